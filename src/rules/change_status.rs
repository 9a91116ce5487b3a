use super::shared::{canonical_status, doc_number, new_revisions};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: when a XEP's `<status>` changed since the base, the change is one
    /// the XEP-0001 life cycle allows (`[lifecycle]` in `schemas/policy.toml`, with the
    /// section it comes from) and comes with a new revision block.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process", its state charts) allows a XEP to move only along its
    /// life cycle: Experimental to Proposed, Deferred or Retracted; Proposed to Stable,
    /// Active, Rejected or back to Experimental; Stable to Final or Deprecated; and so on.
    /// Each move is a published event, recorded as a revision. A jump such as Experimental
    /// to Final skips the Council's votes.
    ///
    /// ## Example
    /// Bad: base `<status>Experimental</status>`, now `<status>Final</status>`; good: now
    /// `<status>Proposed</status>`, with a revision saying the Council issued a Last Call.
    ChangeStatus { id: "change-status", severity: Error, summary: "a status change the XEP-0001 life cycle does not allow, or without a revision" }
}

impl Rule for ChangeStatus {
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
        let (Some(base), Some(now)) = (&changed.base, cx.xep.header.status.as_ref()) else {
            return;
        };
        let Some(was) = base.status.as_ref().map(|v| v.value.as_str()) else {
            return;
        };
        if was == now.value {
            return;
        }
        let life = &cx.policy.lifecycle;
        let (from, to) = (
            canonical_status(cx.policy, was),
            canonical_status(cx.policy, &now.value),
        );
        if from == to {
            return;
        }
        if life.allows(from, to) == Some(false) {
            let next = life
                .next
                .get(from)
                .map_or_else(String::new, |n| n.join(", "));
            let allowed = if next.is_empty() {
                format!("a {from} XEP changes status no more")
            } else {
                format!("from {from} a XEP goes to {next}")
            };
            out.push(
                cx.at_field(
                    &Self::INFO,
                    now,
                    format!(
                        "status changed from {was} to {}, which the life cycle does not allow",
                        now.value
                    ),
                )
                .label(format!("was {was} at the base"))
                .help(allowed)
                .note(format!("the life cycle: {}", life.source)),
            );
        }
        if new_revisions(cx.xep, base).is_empty() {
            out.push(
                cx.at_field(
                    &Self::INFO,
                    now,
                    format!(
                        "status changed from {was} to {} without a new revision",
                        now.value
                    ),
                )
                .label("changed here")
                .help("add a revision block saying why the status changed"),
            );
        }
    }
}
