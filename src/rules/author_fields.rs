use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// Every `<author>` has a non-empty first name and surname, and at least one way to reach
    /// the author: `<email>`, `<jid>` or `<uri>`.
    ///
    /// ## Why it matters
    /// XEP-0143 ("XEP XML Format", author information) asks authors to give their name and
    /// contact details, so that implementers and the Editor can reach them; a XEP whose author
    /// cannot be reached cannot be maintained (XEP-0001, "Proposal Process").
    ///
    /// ## Example
    /// Bad: `<author><firstname>Ann</firstname><surname>Lee</surname></author>`;
    /// good: the same with `<email>ann@example.org</email>` or `<jid>ann@example.org</jid>`.
    AuthorFields { id: "author-fields", severity: Warning, summary: "an author without a first name or a surname, or without any email, JID or URI" }
}

impl Rule for AuthorFields {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for a in &cx.xep.header.authors {
            let empty =
                |f: &Option<crate::model::Field>| f.as_ref().is_none_or(|f| f.value.is_empty());
            let mut missing = Vec::new();
            if empty(&a.firstname) {
                missing.push("<firstname>");
            }
            if empty(&a.surname) {
                missing.push("<surname>");
            }
            let contact = !(empty(&a.email) && empty(&a.jid) && empty(&a.uri));
            if missing.is_empty() && contact {
                continue;
            }
            let name = a.name();
            let who = if name.is_empty() {
                "author".to_string()
            } else {
                format!("author {name}")
            };
            if !missing.is_empty() {
                out.push(
                    cx.for_node(
                        cx.diag(
                            &Self::INFO,
                            a.span,
                            format!("{who} has no {}", missing.join(" or ")),
                        )
                        .label("this author")
                        .help("give the author's first name and surname"),
                        a.node,
                    ),
                );
            }
            if !contact {
                out.push(
                    cx.for_node(
                        cx.diag(
                            &Self::INFO,
                            a.span,
                            format!("{who} has no email, JID or URI"),
                        )
                        .label("no way to reach this author")
                        .help("add <email>, <jid> or <uri> after <surname> (and <org>)"),
                        a.node,
                    ),
                );
            }
        }
    }
}
