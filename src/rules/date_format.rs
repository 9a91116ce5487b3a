use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::rules::revision_date::{date_fix, date_help, date_problem};

declare_rule! {
    /// ## What it checks
    /// `<lastcall>` and `<expires>` hold real calendar dates written `YYYY-MM-DD`.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Proposal Process", "Expiration Dates"): a Last Call ends on a date, and an
    /// Experimental XEP expires on one; the XSF's tools announce and act on both.
    ///
    /// ## Example
    /// Bad: `<lastcall>2024-06-31</lastcall>`; good: `<lastcall>2024-06-30</lastcall>`.
    DateFormat { id: "date-format", severity: Error, summary: "a <lastcall> or <expires> that is not a real YYYY-MM-DD date", fix: Sometimes }
}

impl Rule for DateFormat {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let h = &cx.xep.header;
        for (what, f) in h
            .lastcall
            .iter()
            .map(|f| ("lastcall", f))
            .chain(h.expires.iter().map(|f| ("expires", f)))
        {
            if let Some(msg) = date_problem(&f.value) {
                out.push(
                    cx.at_field(&Self::INFO, f, format!("<{what}>: {msg}"))
                        .label("not a calendar date")
                        .help(date_help(&f.value))
                        .with_fix_opt(date_fix(cx, f)),
                );
            }
        }
    }
}
