use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

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
    ApproverMissing { id: "approver-missing", severity: Error, summary: "a header without an <approver>" }
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
        out.push(
            cx.diag(&Self::INFO, span, "the header has no <approver>")
                .label(label)
                .help(format!("add <approver>{hint}</approver> after <sig>")),
        );
    }
}
