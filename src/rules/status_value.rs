use super::shared::replace_value;
use super::{Context, Rule, RuleInfo};
use crate::diag::{Applicability, Diagnostic};

declare_rule! {
    /// ## What it checks
    /// `<status>` is one of ProtoXEP, Experimental, Proposed, Draft, Active, Final, Retracted,
    /// Obsolete, Deferred, Rejected, Deprecated (the list lives in `schemas/policy.toml`).
    ///
    /// ## Why it matters
    /// XEP-0001 ("Summary of XEP States") defines these states and nothing else; the XSF's
    /// tools sort and publish documents by them. Readers see `Draft` as "Stable", but the
    /// source must say `Draft`.
    ///
    /// ## Example
    /// Bad: `<status>Stable</status>`, `<status>ProtoXep</status>`; good: `<status>Draft</status>`, `<status>ProtoXEP</status>`.
    StatusValue { id: "status-value", severity: Error, summary: "a <status> that is not a state XEP-0001 defines", fix: Sometimes }
}

impl Rule for StatusValue {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(s) = &cx.xep.header.status else {
            return;
        };
        let allowed = &cx.policy.statuses;
        if allowed.iter().any(|x| *x == s.value) {
            return;
        }
        let mut d = cx
            .at_field(&Self::INFO, s, format!("`{}` is not a XEP status", s.value))
            .label("unknown status");
        if let Some(real) = cx.policy.status_aliases.get(s.value.as_str()) {
            d = d
                .label(format!("readers see `{}`, but the source must say `{real}`", s.value))
                .help(format!("write <status>{real}</status>: XEP-0001 shows the {real} state to readers as \"{}\"", s.value))
                .with_fix_opt(replace_value(cx, s, real, Applicability::Safe));
        } else if let Some(best) =
            crate::suggest::closest(&s.value, allowed.iter().map(String::as_str))
        {
            d = d
                .help(format!("did you mean \"{best}\"?"))
                .with_fix_opt(replace_value(cx, s, best, Applicability::Unsafe));
        } else {
            d = d.help(format!("use one of: {}", allowed.join(", ")));
        }
        out.push(d);
    }
}
