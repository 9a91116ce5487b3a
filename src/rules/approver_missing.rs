use super::shared::indent_before;
use super::{Context, Rule, RuleInfo};
use crate::diag::{Diagnostic, Edit, Fix};
use crate::source::Span;
use crate::xml::NodeKind;

declare_rule! {
    /// ## What it checks
    /// The header names its approving body in an `<approver>` element.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process") makes every XEP's advancement a decision of its approving
    /// body; the DTD allows the element to be left out only for the sake of old documents.
    /// Reported as a warning on documents in a closed status.
    ///
    /// ## Example
    /// Bad: a header with `<sig>Standards</sig>` directly followed by `<dependencies/>`;
    /// good: `<sig>Standards</sig><approver>Council</approver><dependencies/>`.
    ApproverMissing { id: "approver-missing", severity: Error, summary: "a header without an <approver>", fix: Sometimes }
}

impl Rule for ApproverMissing {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if !cx.xep.header.approvers.is_empty() || cx.xep.header.node.is_none() {
            return;
        }
        let (span, label) = match &cx.xep.header.sig {
            Some(sig) => (sig.span, "<approver> belongs after <sig>"),
            None => (cx.header_span(), "this header has no <approver>"),
        };
        let hint = match cx.xep.doc_type() {
            Some("Humorous") => "Editor",
            Some("Procedural") => "Board",
            _ => "Council",
        };
        // A guess from the type: a person should confirm it (unsafe).
        let fix = cx.xep.header.sig.as_ref().and_then(|sig| {
            let node = sig.node?;
            let n = cx.tree.node(node)?;
            let NodeKind::Element(e) = &n.kind else {
                return None;
            };
            if n.origin.is_some() || n.span.file != cx.parsed.file {
                return None;
            }
            let end = e.end_span().map_or(n.span, |s| s);
            let indent = indent_before(cx, node).unwrap_or_default();
            Some(Fix::unsafe_(
                format!("add <approver>{hint}</approver> after <sig>"),
                vec![Edit::insert(
                    Span::point(end.file, end.end as usize),
                    format!("{indent}<approver>{hint}</approver>"),
                )],
            ))
        });
        out.push(
            cx.diag(&Self::INFO, span, "the header has no <approver>")
                .label(label)
                .help(format!("add <approver>{hint}</approver> after <sig>"))
                .with_fix_opt(fix),
        );
    }
}
