use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// No author is listed twice: two `<author>` blocks with the same name, or the same email.
    ///
    /// ## Why it matters
    /// The header's author list is what the XSF publishes as the document's authors
    /// (XEP-0143); a duplicate usually comes from adding an author both inline and through
    /// an entity from `xep.ent`.
    ///
    /// ## Example
    /// Bad: `&alice;` and, below it, an inline `<author>` for the same person; good: one of the two.
    AuthorDuplicate { id: "author-duplicate", severity: Warning, summary: "an author listed twice" }
}

impl Rule for AuthorDuplicate {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let authors = &cx.xep.header.authors;
        let key = |a: &crate::model::Author| {
            let v = |f: &Option<crate::model::Field>| {
                f.as_ref()
                    .map(|f| f.value.as_str().to_lowercase())
                    .unwrap_or_default()
            };
            (
                format!("{} {}", v(&a.firstname), v(&a.surname))
                    .trim()
                    .to_string(),
                v(&a.email),
            )
        };
        let keys: Vec<(String, String)> = authors.iter().map(key).collect();
        for (i, (a, (name, email))) in authors.iter().zip(&keys).enumerate() {
            let first = authors.iter().zip(&keys).take(i).find(|(_, (n2, e2))| {
                (!name.is_empty() && n2 == name) || (!email.is_empty() && e2 == email)
            });
            if let Some((b, _)) = first {
                let shown = a.name();
                let shown = if shown.is_empty() {
                    email.clone()
                } else {
                    shown
                };
                out.push(
                    cx.for_node(
                        cx.diag(
                            &Self::INFO,
                            a.span,
                            format!("author {shown} is listed twice"),
                        )
                        .label("second listing")
                        .secondary(b.span, "first listed here")
                        .help("remove one of the two <author> blocks"),
                        a.node,
                    ),
                );
            }
        }
    }
}
