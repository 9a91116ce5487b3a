use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// `<title>` and `<abstract>` are present and not empty.
    ///
    /// ## Why it matters
    /// XEP-0143 ("XEP XML Format") asks for a title and a one-paragraph abstract: they are what
    /// the XSF's index, announcements and search show of the document.
    ///
    /// ## Example
    /// Bad: `<abstract></abstract>`; good: `<abstract>Defines a way to …</abstract>`.
    EmptyField { id: "empty-field", severity: Error, summary: "an empty <title> or <abstract>" }
}

impl Rule for EmptyField {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if cx.xep.header.node.is_none() {
            return;
        }
        for (name, f) in [
            ("title", &cx.xep.header.title),
            ("abstract", &cx.xep.header.abstract_),
        ] {
            match f {
                Some(f) if f.value.is_empty() => {
                    let span = f
                        .node
                        .and_then(|n| cx.tree.document_span(n))
                        .unwrap_or(f.span);
                    out.push(
                        cx.diag(&Self::INFO, span, format!("<{name}> is empty"))
                            .label("no text here")
                            .help(format!("write the document's {name}")),
                    );
                }
                Some(_) => {}
                None => {} // a missing element is a DTD error
            }
        }
    }
}
