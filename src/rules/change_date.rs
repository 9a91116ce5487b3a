use super::shared::{doc_number, new_revisions};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::Date;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: the date of the new top revision of a changed XEP is not after
    /// today (the system's date, or `--today`). That it is not before the revision below it
    /// is `revision-date`'s finding, on every document.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") dates each published revision; a date in the future
    /// or before the previous revision is a slip (a copied block, a wrong year) that shows
    /// on the published XEP and confuses the deferral of Experimental XEPs, which counts
    /// from the last date.
    ///
    /// ## Example
    /// Bad (on 2025-06-01): a new revision dated `2025-07-01`; good: `2025-06-01`.
    ChangeDate { id: "change-date", severity: Error, summary: "a new revision dated after today" }
}

impl Rule for ChangeDate {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((_, Some(changed))) = cx.change else {
            return;
        };
        if doc_number(cx.xep).is_none() {
            return;
        }
        let revs = &cx.xep.header.revisions;
        let Some(top) = revs.first() else { return };
        let is_new = match &changed.base {
            Some(base) => !new_revisions(cx.xep, base).is_empty(),
            None => changed.added,
        };
        if !is_new {
            return;
        }
        let Some(field) = &top.date else { return };
        let Ok(date) = Date::parse(&field.value) else {
            return; // `revision-date` reports it
        };
        if let Some(today) = cx.today
            && date > today
        {
            out.push(
                cx.at_field(
                    &Self::INFO,
                    field,
                    format!("the new revision is dated {date}, after today ({today})"),
                )
                .label("in the future")
                .help(format!("date it {today}, the day it is published")),
            );
        }
    }
}
