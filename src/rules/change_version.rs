use super::shared::{base_top_version, doc_number, new_revisions, three_parts};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::Version;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: the new top revision of a changed XEP has a version higher than
    /// the top version at the base, and every revision added since the base has a
    /// three-part version (`x.y.z`). Three parts are asked for from 2022-12-20 on (the
    /// policy's `three_part_versions_since`): a run with an earlier `--today` does not.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") numbers revisions in increasing order, and the XSF
    /// editors ask for three-part versions (xsf/xeps `docs/TRIAGING.md`: a patch change is
    /// `x.y.z+1`, a minor one `x.y+1.0`; `tools/triage.sh` refuses others since
    /// 2022-12-20); the tools that publish XEPs sort by them.
    ///
    /// ## Example
    /// Bad: base at `1.2.0`, new revision `1.1.9`, or `1.3`; good: `1.2.1` or `1.3.0`.
    ChangeVersion { id: "change-version", severity: Error, summary: "a new revision whose version is not higher than the base's, or not x.y.z" }
}

impl Rule for ChangeVersion {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((_, Some(changed))) = cx.change else {
            return;
        };
        if changed.added || doc_number(cx.xep).is_none() {
            return;
        }
        let Some(base) = &changed.base else { return };
        let added = new_revisions(cx.xep, base);
        let three = cx.policy.repository.three_parts_required(cx.today);
        for rev in added {
            let Some(v) = &rev.version else { continue };
            if three && !three_parts(&v.value) {
                out.push(
                    cx.at_field(
                        &Self::INFO,
                        v,
                        format!("new version `{}` does not have three parts", v.value),
                    )
                    .label("not x.y.z")
                    .help("write versions as x.y.z, e.g. 1.2.1 for a small change, 1.3.0 for a new feature"),
                );
            }
        }
        let (Some(top), Some(base_top)) = (
            added.first().and_then(|r| r.version.as_ref()),
            base_top_version(base),
        ) else {
            return;
        };
        if let (Some(new), Some(old)) = (Version::parse(&top.value), Version::parse(base_top))
            && new <= old
        {
            out.push(
                cx.at_field(
                    &Self::INFO,
                    top,
                    format!(
                        "new version {} is not higher than {base_top}, the top version at the base",
                        top.value
                    ),
                )
                .label("not above the base's version")
                .help(format!(
                    "use a version above {base_top}, e.g. {}",
                    super::shared::next_patch(base_top)
                )),
            );
        }
    }
}
