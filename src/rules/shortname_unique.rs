use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, no other numbered XEP has the same `<shortname>`. Placeholders
    /// such as `N/A` or `NOT_YET_ASSIGNED`, and the shortnames of XEPs gone for good
    /// (Retracted, Rejected, Deprecated, Obsolete: a successor may take theirs over), are
    /// not compared (both lists are in `schemas/policy.toml`).
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") has the XMPP Extensions Editor assign the shortname,
    /// which names the XEP's namespaces and registry entries (`urn:xmpp:SHORTNAME:0`); two
    /// XEPs with one shortname would claim the same names.
    ///
    /// ## Example
    /// Bad: two XEPs with `<shortname>labels</shortname>`; good: `labels` and `ticket-labels`.
    ShortnameUnique { id: "shortname-unique", severity: Error, summary: "a shortname another XEP of the repository also holds" }
}

impl Rule for ShortnameUnique {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(field)) = (cx.repo, cx.xep.header.shortname.as_ref()) else {
            return;
        };
        if super::shared::doc_number(cx.xep).is_none() {
            return;
        }
        let policy = &cx.policy.repository;
        let mine = field.value.trim();
        if policy.is_placeholder(mine) || mine.contains('&') || policy.is_retired(cx.xep.status()) {
            return;
        }
        for (k, other) in repo.with_shortname(mine) {
            if crate::repo::same_file(other.admitted.path(), cx.real) {
                continue;
            }
            let Some(v) = &other.head.shortname else {
                continue;
            };
            if policy.is_retired(other.status()) {
                continue;
            }
            let mut d = cx
                .at_field(
                    &Self::INFO,
                    field,
                    format!("shortname `{mine}` is also that of `{}`", other.file_name),
                )
                .label("this shortname")
                .help("ask the XMPP Extensions Editor for a shortname of its own");
            d = d.note(format!("the same shortname at {}", repo.place(k, v)));
            out.push(d);
        }
    }
}
