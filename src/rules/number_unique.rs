use super::shared::{doc_number, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, no other numbered XEP (`xep-NNNN.xml`) has the same `<number>`.
    /// The other document is shown as a secondary label.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") gives each accepted XEP a number of its own: the
    /// number names the document (`XEP-0030`), its URL and its `xepNNNN` entity. Two files
    /// with one number publish one of them under the other's name.
    ///
    /// ## Example
    /// Bad: `xep-0901.xml` and `xep-0902.xml` both hold `<number>0901</number>`; good: each
    /// file holds the number its name gives.
    NumberUnique { id: "number-unique", severity: Error, summary: "a number another XEP of the repository also holds" }
}

impl Rule for NumberUnique {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(n), Some(field)) =
            (cx.repo, doc_number(cx.xep), cx.xep.header.number.as_ref())
        else {
            return;
        };
        for (k, other) in repo.with_number(n) {
            if crate::repo::same_file(other.admitted.path(), cx.real) {
                continue;
            }
            let Some(v) = &other.head.number else {
                continue;
            };
            let mut d = cx
                .at_field(
                    &Self::INFO,
                    field,
                    format!(
                        "{} is also the number of `{}`",
                        xep_name(n),
                        other.file_name
                    ),
                )
                .label("this number")
                .help("each XEP has a number of its own: the one its file name gives");
            d = d.note(format!("the same number at {}", repo.place(k, v)));
            out.push(d);
        }
    }
}
