use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::Version;

declare_rule! {
    /// ## What it checks
    /// The current version (the top revision) agrees with the status: a proto-XEP is 0.0.x,
    /// an Experimental XEP is below 1.0, a Stable (Draft), Final or Active XEP is 1.0 or above.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") numbers Experimental revisions 0.x and the revision
    /// that advances a XEP to Stable or Active 1.0; a mismatch usually means a forgotten
    /// status change or a forgotten revision block.
    ///
    /// ## Example
    /// Bad: `<status>Experimental</status>` with a top revision `1.2`; good: top revision `0.3`.
    VersionStatus { id: "version-status", severity: Warning, summary: "a current version that does not fit the document's status" }
}

impl Rule for VersionStatus {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(status) = &cx.xep.header.status else {
            return;
        };
        let Some(top) = cx
            .xep
            .header
            .revisions
            .first()
            .and_then(|r| r.version.as_ref())
        else {
            return;
        };
        let Some(v) = Version::parse(&top.value) else {
            return;
        };
        for rule in &cx.policy.version_status {
            if !rule.statuses.iter().any(|x| *x == status.value) {
                continue;
            }
            let below_ok = rule
                .below
                .as_deref()
                .and_then(Version::parse)
                .is_none_or(|b| v < b);
            let from_ok = rule
                .from
                .as_deref()
                .and_then(Version::parse)
                .is_none_or(|f| v >= f);
            if !(below_ok && from_ok) {
                out.push(
                    cx.at_field(
                        &Self::INFO,
                        top,
                        format!("version {} does not fit status {}", top.value, status.value),
                    )
                    .label(rule.describe.clone())
                    .secondary(status.span, "the status")
                    .help(
                        "check the status, or add a revision with the version the status calls for",
                    ),
                );
            }
        }
    }
}
