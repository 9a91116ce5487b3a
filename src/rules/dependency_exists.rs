use super::shared::xep_name;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::repo::number_of_spec;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, every XEP named in `<dependencies>` (`<spec>XEP-0030</spec>`)
    /// exists: the repository has its `xep-NNNN.xml`. Other specifications (`RFC 6120`,
    /// `XMPP Core`) are not looked up.
    ///
    /// ## Why it matters
    /// XEP-0001 ("XEP Types", and the header XEP-0001's template describes) lists the
    /// specifications a XEP depends on so that implementers can find them; a number that
    /// names no XEP is a typo or a reference to a proto-XEP that was never accepted.
    ///
    /// ## Example
    /// Bad: `<spec>XEP-9030</spec>`; good: `<spec>XEP-0030</spec>`.
    DependencyExists { id: "dependency-exists", severity: Error, summary: "a dependency on a XEP the repository does not have" }
}

impl Rule for DependencyExists {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(repo) = cx.repo else { return };
        if repo.truncated {
            return;
        }
        for spec in &cx.xep.header.dependencies {
            let Some(n) = number_of_spec(&spec.value) else {
                continue;
            };
            if repo.numbered(n).next().is_some() {
                continue;
            }
            let help = match repo.highest() {
                Some(h) if n > h => format!(
                    "the highest number in this repository is {}: check the number",
                    xep_name(h)
                ),
                _ => "check the number: no file of the repository is named that way".to_string(),
            };
            out.push(
                cx.at_field(
                    &Self::INFO,
                    spec,
                    format!("dependency {} names no XEP of this repository", xep_name(n)),
                )
                .label(format!("no xep-{n:04}.xml"))
                .help(help),
            );
        }
    }
}
