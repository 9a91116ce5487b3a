use super::shared::replace_value;
use super::{Context, Rule, RuleInfo};
use crate::diag::{Applicability, Diagnostic};

declare_rule! {
    /// ## What it checks
    /// Every `<approver>` is `Board`, `Council` or `Editor`.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process") names three approving bodies: the XMPP Council for
    /// Standards Track, Informational and Historical XEPs, the XSF Board (or the Council) for
    /// Procedural XEPs, and the XMPP Extensions Editor for Humorous XEPs.
    ///
    /// ## Example
    /// Bad: `<approver>council</approver>`, `<approver>N/A</approver>`; good: `<approver>Council</approver>`.
    ApproverValue { id: "approver-value", severity: Error, summary: "an <approver> other than Board, Council or Editor", fix: Sometimes }
}

impl Rule for ApproverValue {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let allowed = &cx.policy.approvers.allowed;
        for a in &cx.xep.header.approvers {
            if allowed.iter().any(|x| *x == a.value) {
                continue;
            }
            let mut d = cx
                .at_field(
                    &Self::INFO,
                    a,
                    format!("`{}` is not an approving body", a.value),
                )
                .label("unknown approver");
            d = match crate::suggest::closest(&a.value, allowed.iter().map(String::as_str)) {
                Some(best) => d
                    .help(format!("did you mean \"{best}\"?"))
                    .with_fix_opt(replace_value(cx, a, best, Applicability::Unsafe)),
                None => d.help(format!("use one of: {}", allowed.join(", "))),
            };
            out.push(d);
        }
    }
}
