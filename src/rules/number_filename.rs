use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A file named `xep-NNNN.xml` holds `<number>NNNN</number>` with the same four digits.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") has the XMPP Extensions Editor assign each accepted
    /// XEP a number, and the XSF publishes `xep-NNNN.xml` as XEP-NNNN. A number that
    /// disagrees with the file name publishes the document under the wrong number.
    ///
    /// ## Example
    /// In `xep-0429.xml`, bad: `<number>0428</number>`; good: `<number>0429</number>`.
    NumberFilename { id: "number-filename", severity: Error, summary: "a numbered XEP whose <number> is missing or does not match its file name" }
}

impl Rule for NumberFilename {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(expected) = super::shared::file_number(&cx.xep.file_name) else {
            return;
        };
        match &cx.xep.header.number {
            Some(n) if n.value == expected => {}
            Some(n) => out.push(
                cx.at_field(
                    &Self::INFO,
                    n,
                    format!(
                        "number `{}` does not match the file name `{}`",
                        n.value, cx.xep.file_name
                    ),
                )
                .label(format!("the file name says {expected}"))
                .help(format!(
                    "write <number>{expected}</number>, or rename the file"
                )),
            ),
            None => out.push(
                cx.diag(
                    &Self::INFO,
                    cx.header_span(),
                    format!("the header has no <number>; the file name says {expected}"),
                )
                .label("no <number> in this header")
                .help(format!("add <number>{expected}</number> after <legal>")),
            ),
        }
    }
}
