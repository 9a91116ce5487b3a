use super::shared::file_number;
use super::shared::{proto_applicability, replace_value};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A file not named `xep-NNNN.xml` (a proto-XEP, normally in `inbox/`) has status `ProtoXEP`.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Submission Process"): a proposal is a ProtoXEP until the approving body
    /// accepts it and the Editor gives it a number and the status Experimental.
    ///
    /// ## Example
    /// In `inbox/my-proposal.xml`, bad: `<status>Experimental</status>`; good: `<status>ProtoXEP</status>`.
    ProtoStatus { id: "proto-status", severity: Error, summary: "a proto-XEP with a status other than ProtoXEP", fix: Sometimes }
}

impl Rule for ProtoStatus {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if file_number(&cx.xep.file_name).is_some() {
            return;
        }
        let want = &cx.policy.proto.status;
        match &cx.xep.header.status {
            Some(s) if s.value == *want => {}
            // A value that is no status at all is status-value's business.
            Some(s) if !cx.policy.statuses.iter().any(|x| *x == s.value) => {}
            Some(s) => out.push(
                cx.at_field(
                    &Self::INFO,
                    s,
                    format!("a proto-XEP must have status {want}, found `{}`", s.value),
                )
                .label(format!(
                    "`{}` is not a file name of the form xep-NNNN.xml",
                    cx.xep.file_name
                ))
                .help(format!(
                    "write <status>{want}</status>; the Editor changes it when the XEP is accepted"
                ))
                .with_fix_opt(replace_value(cx, s, want, proto_applicability(cx))),
            ),
            None => {}
        }
    }
}
