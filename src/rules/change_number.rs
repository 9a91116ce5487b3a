use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: the `<number>` of a numbered XEP is the one it had at the base.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process"): a XEP keeps the number it was published under for
    /// good. Its URL, its `xepNNNN` entity and every citation name it by that number; a
    /// changed number breaks all of them and may take another XEP's.
    ///
    /// ## Example
    /// Bad: `xep-0901.xml` had `<number>0901</number>` at the base and now holds
    /// `<number>0910</number>`; good: it still holds `0901`.
    ChangeNumber { id: "change-number", severity: Error, summary: "a XEP number that changed since the base" }
}

impl Rule for ChangeNumber {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((_, Some(changed))) = cx.change else {
            return;
        };
        if !changed.is_numbered() {
            return;
        }
        let (Some(base), Some(now)) = (&changed.base, cx.xep.header.number.as_ref()) else {
            return;
        };
        let Some(was) = base.number.as_ref().map(|v| v.value.as_str()) else {
            return;
        };
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !numeric(was) || was == now.value {
            return;
        }
        out.push(
            cx.at_field(
                &Self::INFO,
                now,
                format!("number changed from {was} to {}", now.value),
            )
            .label(format!("was {was} at the base"))
            .help(format!("a published XEP keeps its number: write {was}")),
        );
    }
}
