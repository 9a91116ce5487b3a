use super::shared::file_number;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// Reports, for information, the legacy types `SIG Proposal` and `SIG Formation` on the
    /// documents allowed to keep them (XEP-0006, XEP-0007, XEP-0010, XEP-0069, XEP-0139).
    ///
    /// ## Why it matters
    /// These types predate XEP-0001's current list. The old documents keep them (nobody edits
    /// them), but a document copied from one must not: a SIG is now proposed by a Procedural XEP.
    ///
    /// ## Example
    /// Accepted, as info, in XEP-0007: `<type>SIG Proposal</type>`. Bad in a new document:
    /// `<type>SIG Proposal</type>` (reported by `type-value`); good: `<type>Procedural</type>`.
    LegacyType { id: "legacy-type", severity: Info, summary: "a legacy SIG type on a document allowed to keep it" }
}

impl Rule for LegacyType {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(t) = &cx.xep.header.type_ else {
            return;
        };
        let Some(numbers) = cx.policy.types.legacy.get(t.value.as_str()) else {
            return;
        };
        if file_number(&cx.xep.file_name).is_some_and(|n| numbers.iter().any(|x| x == n)) {
            out.push(
                cx.at_field(&Self::INFO, t, format!("legacy type `{}`", t.value))
                    .label("accepted on this document only")
                    .help("new documents that propose a SIG use <type>Procedural</type>"),
            );
        }
    }
}
