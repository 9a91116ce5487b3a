use super::shared::{doc_number, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::repo::number_of_spec;

declare_rule! {
    /// ## What it checks
    /// A XEP that is superseded by an approved XEP (one that is Stable, Final or Active,
    /// named in its `<supersededby>` or naming it in its `<supersedes>`) has a status that
    /// says so: Deprecated or Obsolete (or Retracted or Rejected, which already took it out
    /// of the process). Both lists are in `schemas/policy.toml`.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process"): when a XEP is superseded, "the status of the earlier
    /// XEP shall be changed to Deprecated" and later to Obsolete. A superseded XEP still
    /// shown as Stable or Experimental sends implementers to the wrong document.
    ///
    /// ## Example
    /// Bad: `<status>Draft</status>` with `<supersededby><spec>XEP-0902</spec></supersededby>`;
    /// good: `<status>Deprecated</status>` with the same `<supersededby>`.
    SupersededStatus { id: "superseded-status", severity: Warning, summary: "a superseded XEP whose status is not Deprecated or Obsolete" }
}

impl Rule for SupersededStatus {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(me), Some(status)) =
            (cx.repo, doc_number(cx.xep), cx.xep.header.status.as_ref())
        else {
            return;
        };
        let allowed = &cx.policy.repository.superseded_statuses;
        if allowed.iter().any(|s| *s == status.value) {
            return;
        }
        // Who supersedes it: its own `<supersededby>`, else another XEP's
        // `<supersedes>`.
        let policy = &cx.policy.repository;
        let approved = |n: u32| {
            repo.get(n, cx.real)
                .is_some_and(|(_, e)| policy.supersedes_in(e.status()))
        };
        let own = cx
            .xep
            .header
            .supersededby
            .iter()
            .filter_map(|s| number_of_spec(&s.value).map(|n| (n, s.span)))
            .find(|(n, _)| approved(*n));
        let by_other = || {
            repo.superseders(me).find_map(|(k, e, v)| {
                if crate::repo::same_file(e.admitted.path(), cx.real)
                    || !policy.supersedes_in(e.status())
                {
                    return None;
                }
                Some((e.number, k, v))
            })
        };
        let mut d;
        if let Some((n, span)) = own {
            d = cx
                .at_field(
                    &Self::INFO,
                    status,
                    format!(
                        "{} is superseded by {}, which is {}, but its status is {}",
                        xep_name(me),
                        xep_name(n),
                        repo.get(n, cx.real)
                            .and_then(|(_, e)| e.status())
                            .unwrap_or("?"),
                        status.value
                    ),
                )
                .secondary(span, "superseded here");
        } else if let Some((n, k, v)) = by_other() {
            d = cx.at_field(
                &Self::INFO,
                status,
                format!(
                    "{} ({}) supersedes {} but its status is {}",
                    xep_name(n),
                    repo.xeps.get(k).and_then(|e| e.status()).unwrap_or("?"),
                    xep_name(me),
                    status.value
                ),
            );
            d = d.note(format!(
                "{} supersedes it at {}",
                xep_name(n),
                repo.place(k, v)
            ));
        } else {
            return;
        }
        d = d.label("this status").help(format!(
            "a superseded XEP is {} (XEP-0001, \"Approval Process\")",
            super::shared::either(allowed)
        ));
        out.push(d);
    }
}
