use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: a change set that adds a proto-XEP (a new file in `inbox/`) adds
    /// nothing else: no other proto-XEP and no change to a numbered XEP. Reported at each
    /// proto-XEP added.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Submission Process") has each proto-XEP considered on its own by the
    /// Council, and the XSF editors triage a pull request as either "a new proto-XEP" or
    /// "changes to XEPs" (xsf/xeps `docs/TRIAGING.md`, `tools/github_auto_triage_pr.sh`):
    /// a mixed one cannot be accepted in part.
    ///
    /// ## Example
    /// Bad: one pull request adding `inbox/labels.xml` and editing `xep-0901.xml`; good: two
    /// pull requests.
    ChangeSplit { id: "change-split", severity: Warning, summary: "a change set that adds a proto-XEP and something else, to split" }
}

impl Rule for ChangeSplit {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((set, Some(changed))) = cx.change else {
            return;
        };
        if !(changed.added && changed.is_proto()) {
            return;
        }
        let protos = set.added_protos().count().saturating_sub(1);
        let mut numbered: Vec<&str> = set.numbered().map(|c| c.rel.as_str()).collect();
        numbered.sort_unstable();
        if protos == 0 && numbered.is_empty() {
            return;
        }
        let mut what = Vec::new();
        if protos > 0 {
            what.push(format!("{protos} other proto-XEP(s)"));
        }
        if !numbered.is_empty() {
            let shown: Vec<&str> = numbered.iter().take(3).copied().collect();
            let more = if numbered.len() > 3 { ", …" } else { "" };
            what.push(format!(
                "changes to {} numbered XEP(s) ({}{more})",
                numbered.len(),
                shown.join(", ")
            ));
        }
        out.push(
            cx.diag(
                &Self::INFO,
                cx.header_span(),
                format!(
                    "this change set adds a proto-XEP and also {}: split it",
                    what.join(" and ")
                ),
            )
            .label("a proto-XEP added")
            .help("submit each proto-XEP in a pull request of its own, apart from changes to XEPs"),
        );
    }
}
