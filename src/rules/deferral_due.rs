use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::Date;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, an Experimental XEP whose last revision is more than twelve
    /// months old (both in `schemas/policy.toml`). "Today" is the system's date (UTC), or
    /// the one `--today YYYY-MM-DD` gives, for runs that must not change with the calendar.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process"): "an Experimental XEP shall be assigned a status of
    /// Deferred if it has not been updated in twelve (12) months". The XSF editors defer
    /// such XEPs in batches; this finding lists them, and tells an author when an update is
    /// due to keep the XEP Experimental.
    ///
    /// ## Example
    /// Bad (on 2025-06-01): `<status>Experimental</status>` with a last revision dated
    /// `2024-03-01`; good: a revision dated after 2024-06-01, or `<status>Deferred</status>`.
    DeferralDue { id: "deferral-due", severity: Info, summary: "an Experimental XEP not updated for twelve months, due for deferral" }
}

impl Rule for DeferralDue {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let policy = &cx.policy.repository;
        let (Some(_), Some(today)) = (cx.repo, cx.today) else {
            return;
        };
        if super::shared::doc_number(cx.xep).is_none()
            || cx.xep.status() != Some(policy.deferral_status.as_str())
        {
            return;
        }
        let Some(date) = cx
            .xep
            .header
            .revisions
            .first()
            .and_then(|r| r.date.as_ref())
        else {
            return;
        };
        let Ok(last) = Date::parse(&date.value) else {
            return;
        };
        let limit = today.months_before(policy.deferral_months);
        if last >= limit {
            return;
        }
        out.push(
            cx.at_field(
                &Self::INFO,
                date,
                format!(
                    "last revised {}, more than {} months before {today}: due for deferral",
                    date.value, policy.deferral_months
                ),
            )
            .label("the last revision")
            .help(format!(
                "publish a revision, or the XMPP Extensions Editor sets the status to {}",
                "Deferred"
            ))
            .note("XEP-0001, \"Approval Process\": an Experimental XEP not updated in twelve months is Deferred"),
        );
    }
}
