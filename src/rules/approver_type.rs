use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// The approving body may approve the document's type: a Board-approved document is not
    /// Standards Track; an Editor-approved one is Humorous (the table is in `schemas/policy.toml`).
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process"): the XMPP Council approves Standards Track, Informational
    /// and Historical XEPs, the Board only certain Procedural ones, and the XMPP Extensions
    /// Editor only Humorous ones. A mismatch sends the document to the wrong body.
    ///
    /// ## Example
    /// Bad: `<type>Standards Track</type>` with `<approver>Board</approver>`;
    /// good: `<type>Standards Track</type>` with `<approver>Council</approver>`.
    ApproverType { id: "approver-type", severity: Error, summary: "an approving body that may not approve this type of document" }
}

impl Rule for ApproverType {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(t) = &cx.xep.header.type_ else {
            return;
        };
        for a in &cx.xep.header.approvers {
            let Some(types) = cx.policy.approvers.types.get(a.value.as_str()) else {
                continue;
            };
            if types.iter().any(|x| *x == t.value)
                || !cx.policy.types.allowed.iter().any(|x| *x == t.value)
                    && !cx.policy.types.legacy.contains_key(t.value.as_str())
            {
                continue; // unknown types are type-value's business
            }
            out.push(
                cx.at_field(
                    &Self::INFO,
                    a,
                    format!(
                        "{} document cannot be approved by the {}",
                        super::shared::article(&t.value),
                        a.value
                    ),
                )
                .label(format!(
                    "the {} approves {} documents only",
                    a.value,
                    types.join(", ")
                ))
                .secondary(t.span, "the document's type")
                .help(match t.value.as_str() {
                    "Humorous" => "write <approver>Editor</approver>".to_string(),
                    _ => "write <approver>Council</approver>".to_string(),
                }),
            );
        }
    }
}
