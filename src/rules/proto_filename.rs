use super::shared::file_number;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// A file that is not exactly `xep-NNNN.xml` does not start with `xep-` and a digit.
    ///
    /// ## Why it matters
    /// XEP-0001 gives numbers only on acceptance; names such as `xep-12.xml` or
    /// `xep-0429-draft.xml` look numbered to people and tools but are proto-XEPs, and
    /// the XSF's tooling treats them as neither.
    ///
    /// ## Example
    /// Bad: `inbox/xep-0999-sig.xml`; good: `inbox/sig-example.xml`.
    ProtoFilename { id: "proto-filename", severity: Error, summary: "a file name that looks like a numbered XEP's but is not xep-NNNN.xml" }
}

impl Rule for ProtoFilename {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn reads_file_name(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let name = &cx.xep.file_name;
        if file_number(name).is_some() {
            return;
        }
        let looks_numbered = name
            .strip_prefix("xep-")
            .is_some_and(|r| r.bytes().next().is_some_and(|b| b.is_ascii_digit()));
        if looks_numbered {
            out.push(
                cx.diag(&Self::INFO, cx.xep.root_span, format!("file name `{name}` looks like a numbered XEP but is not xep-NNNN.xml"))
                    .label("this document is treated as a proto-XEP")
                    .help("name a proto-XEP after its subject (e.g. `inbox/my-protocol.xml`); numbered XEPs are exactly xep-NNNN.xml"),
            );
        }
    }
}
