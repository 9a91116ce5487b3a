use super::shared::file_number;
use super::shared::replace_value;
use super::{Context, Rule, RuleInfo};
use crate::diag::{Applicability, Diagnostic};

declare_rule! {
    /// ## What it checks
    /// `<type>` is one of Standards Track, Informational, Historical, Humorous, Procedural or
    /// Organizational. The legacy types `SIG Proposal` and `SIG Formation` are accepted only on
    /// the documents that already carry them (see `legacy-type`).
    ///
    /// ## Why it matters
    /// XEP-0001 ("XEP Types") defines these types; the type decides who approves the
    /// document and which sections it needs. Any document, proto-XEPs included, may be Procedural.
    ///
    /// ## Example
    /// Bad: `<type>Standards track</type>`; good: `<type>Standards Track</type>`.
    TypeValue { id: "type-value", severity: Error, summary: "a <type> XEP-0001 does not define, or a legacy type on a document not allowed to keep it", fix: Sometimes }
}

impl Rule for TypeValue {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(t) = &cx.xep.header.type_ else {
            return;
        };
        let types = &cx.policy.types;
        if types.allowed.iter().any(|x| *x == t.value) {
            return;
        }
        if let Some(numbers) = types.legacy.get(t.value.as_str()) {
            let here = file_number(&cx.xep.file_name);
            if here.is_some_and(|n| numbers.iter().any(|x| x == n)) {
                return; // reported as info by legacy-type
            }
            let list = numbers
                .iter()
                .map(|n| format!("XEP-{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                cx.at_field(
                    &Self::INFO,
                    t,
                    format!("the legacy type `{}` is kept only on {list}", t.value),
                )
                .label("new documents cannot use this type")
                .help("a document that proposes a SIG is Procedural"),
            );
            return;
        }
        let mut d = cx
            .at_field(&Self::INFO, t, format!("`{}` is not a XEP type", t.value))
            .label("unknown type");
        d = match crate::suggest::closest(&t.value, types.allowed.iter().map(String::as_str)) {
            Some(best) => d
                .help(format!("did you mean \"{best}\"?"))
                .with_fix_opt(replace_value(cx, t, best, Applicability::Unsafe)),
            None => d.help(format!("use one of: {}", types.allowed.join(", "))),
        };
        out.push(d);
    }
}
