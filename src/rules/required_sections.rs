use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A Standards Track XEP has top-level sections "Security Considerations", "IANA
    /// Considerations" and "XMPP Registrar Considerations", and (as a warning) "XML Schema".
    /// Topics match case-insensitively, with or without "Considerations". Reported once per
    /// missing section, at the last section; as info on documents in a closed status.
    ///
    /// ## Why it matters
    /// XEP-0143 ("The Sections of a XEP Document") makes these sections required for
    /// protocol specifications: reviewers, the IANA and the XMPP Registrar rely on finding
    /// them. The profiles live in `schemas/policy.toml`.
    ///
    /// ## Example
    /// Bad: a Standards Track XEP whose sections end with "Business Rules"; good: one that
    /// adds `<section1 topic='Security Considerations' anchor='security'>` and the others.
    RequiredSections { id: "required-sections", severity: Error, summary: "a Standards Track XEP without a section XEP-0143 requires (or, as a warning, recommends)" }
}

impl Rule for RequiredSections {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        super::sections::check_profile(cx, &Self::INFO, out);
    }
}
