use super::shared::file_number;
use super::shared::{proto_applicability, replace_value};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A proto-XEP (a file not named `xep-NNNN.xml`) has the placeholder number `xxxx` (or `XXXX`).
    ///
    /// ## Why it matters
    /// XEP-0001 ("Submission Process"): numbers are assigned by the XMPP Extensions Editor on
    /// acceptance. A proposal that claims a number collides with the document that really has it.
    ///
    /// ## Example
    /// Bad: `<number>0999</number>` in `inbox/my-proposal.xml`; good: `<number>xxxx</number>`.
    ProtoNumber { id: "proto-number", severity: Error, summary: "a proto-XEP whose <number> is missing or is not the placeholder xxxx", fix: Sometimes }
}

impl Rule for ProtoNumber {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if file_number(&cx.xep.file_name).is_some() {
            return;
        }
        let ok = &cx.policy.proto.numbers;
        let first = ok.first().map_or("xxxx", String::as_str);
        match &cx.xep.header.number {
            Some(n) if ok.iter().any(|x| *x == n.value) => {}
            Some(n) => {
                let shown = if n.value.is_empty() {
                    "an empty number".to_string()
                } else {
                    format!("`{}`", n.value)
                };
                out.push(
                    cx.at_field(&Self::INFO, n, format!("a proto-XEP must have number {first}, found {shown}"))
                        .label("proto-XEPs have no number yet")
                        .help(format!("write <number>{first}</number>; the Editor assigns the number on acceptance"))
                        .with_fix_opt(replace_value(cx, n, first, proto_applicability(cx))),
                )
            }
            None => out.push(
                cx.diag(
                    &Self::INFO,
                    cx.header_span(),
                    format!("the header has no <number>; a proto-XEP has {first}"),
                )
                .label("no <number> in this header")
                .help(format!("add <number>{first}</number> after <legal>")),
            ),
        }
    }
}
