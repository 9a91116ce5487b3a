use super::shared::replace_value;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::{Date, DateError};

declare_rule! {
    /// ## What it checks
    /// Every revision date is a real calendar date written `YYYY-MM-DD`, and dates do not
    /// increase going down the list of revisions.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") dates each revision; the XSF's tools parse these dates
    /// to show history and to expire Experimental XEPs after twelve months of inactivity.
    /// `2011-1-23` or `2023-02-30` break those tools; a newer date below an older one means
    /// the list is out of order.
    ///
    /// ## Example
    /// Bad: `<date>2023-2-30</date>`; good: `<date>2023-03-02</date>`.
    RevisionDate { id: "revision-date", severity: Error, summary: "a revision date that is not a real YYYY-MM-DD date, or is newer than the one above it", fix: Sometimes }
}

/// The problem with a date string, as a message, if any.
pub fn date_problem(value: &str) -> Option<String> {
    match Date::parse(value) {
        Ok(_) => None,
        Err(DateError::Format) => Some(format!("`{value}` is not a date of the form YYYY-MM-DD")),
        Err(DateError::Month) => Some(format!("`{value}` has no such month")),
        Err(DateError::Day { max }) => Some(format!(
            "`{value}` has no such day: that month has {max} days"
        )),
    }
}

/// The fix of a date written with one-digit months or days (safe: the
/// date is the same).
pub fn date_fix(cx: &Context<'_>, f: &crate::model::Field) -> Option<crate::diag::Fix> {
    let padded = Date::padded(&f.value)?;
    replace_value(cx, f, &padded, crate::diag::Applicability::Safe)
}

/// How to fix a date string that is not a date.
pub fn date_help(value: &str) -> String {
    match Date::parse(value) {
        Err(DateError::Format) => "write the date as YYYY-MM-DD, e.g. 2024-03-01".to_string(),
        _ => "the form is right but no such day exists: check the calendar".to_string(),
    }
}

impl Rule for RevisionDate {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let mut above: Option<(Date, &crate::model::Field, &str)> = None;
        for rev in &cx.xep.header.revisions {
            let Some(f) = &rev.date else { continue };
            if let Some(msg) = date_problem(&f.value) {
                out.push(
                    cx.at_field(&Self::INFO, f, msg)
                        .label("not a calendar date")
                        .help(date_help(&f.value))
                        .with_fix_opt(date_fix(cx, f)),
                );
                continue;
            }
            let Ok(d) = Date::parse(&f.value) else {
                continue;
            };
            let version = rev.version.as_ref().map_or("?", |v| v.value.as_str());
            if let Some((prev, pf, pv)) = &above
                && d > *prev
            {
                out.push(
                    cx.at_field(
                        &Self::INFO,
                        f,
                        format!(
                            "revision {version} is dated {}, after revision {pv} above it ({})",
                            f.value, pf.value
                        ),
                    )
                    .label("this date is newer than the one above")
                    .secondary(pf.span, "the revision above")
                    .help("list revisions newest first; check both dates"),
                );
            }
            above = Some((d, f, version));
        }
    }
}
