use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A document that forms a Special Interest Group has top-level sections "Introduction",
    /// "Scope and Role", "Membership", "Lifetime" and "Deliverables". Such documents are those
    /// of the legacy types `SIG Proposal` and `SIG Formation`, and Procedural documents whose
    /// title names a single SIG ("… Special Interest Group", "… SIG"). A document about SIGs
    /// in general ("Special Interest Groups (SIGs)") proposes none. Info on closed documents.
    ///
    /// ## Why it matters
    /// XEP-0002 defines SIGs and has each be formed by a XEP stating its scope, membership,
    /// lifetime and deliverables, so that the Council can judge and later dissolve it.
    ///
    /// ## Example
    /// Bad: a SIG proposal with sections "Introduction" and "Deliverables" only; good: one that
    /// adds "Scope and Role", "Membership" and "Lifetime".
    SigSections { id: "sig-sections", severity: Error, summary: "a SIG formation document without one of the sections XEP-0002 lists" }
}

impl Rule for SigSections {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        super::sections::check_profile(cx, &Self::INFO, out);
    }
}
