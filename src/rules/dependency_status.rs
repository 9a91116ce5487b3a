use super::shared::xep_name;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::repo::number_of_spec;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, no XEP named in `<dependencies>` is Retracted, Rejected,
    /// Deprecated or Obsolete (the list is in `schemas/policy.toml`). Reported as info on a
    /// document that is itself in a closed status.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Summary of XEP States"): a Deprecated XEP is not recommended for new
    /// implementations, an Obsolete one should not be used, and a Retracted or Rejected one
    /// never became a standard. A XEP that depends on one asks implementers to build on
    /// something the XSF no longer stands behind.
    ///
    /// ## Example
    /// Bad: `<spec>XEP-0901</spec>` when XEP-0901 is Obsolete; good: the XEP that superseded
    /// it, `<spec>XEP-0902</spec>`.
    DependencyStatus { id: "dependency-status", severity: Warning, summary: "a dependency on a Retracted, Rejected, Deprecated or Obsolete XEP" }
}

impl Rule for DependencyStatus {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(repo) = cx.repo else { return };
        let closed = &cx.policy.repository.retired_statuses;
        for spec in &cx.xep.header.dependencies {
            let Some(n) = number_of_spec(&spec.value) else {
                continue;
            };
            let Some((k, other)) = repo.get(n, cx.real) else {
                continue;
            };
            let Some(status) = other.status().filter(|s| closed.iter().any(|c| c == s)) else {
                continue;
            };
            let mut d = cx
                .at_field(
                    &Self::INFO,
                    spec,
                    format!("dependency {} is {status}", xep_name(n)),
                )
                .label(format!("{} is {status}", xep_name(n)));
            if let Some(v) = &other.head.status {
                d = d.note(format!("its status: {}", repo.place(k, v)));
            }
            let by = other
                .head
                .supersededby
                .iter()
                .find_map(|v| number_of_spec(&v.value));
            d = d.help(match by {
                Some(b) => format!("depend on {}, which supersedes it", xep_name(b)),
                None => "depend on a XEP the XSF still stands behind, or say why in the text"
                    .to_string(),
            });
            out.push(d);
        }
    }
}
