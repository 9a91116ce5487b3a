use super::shared::{doc_number, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::repo::number_of_spec;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, each XEP named in `<supersedes>` lists this one in its
    /// `<supersededby>`, and each XEP named in `<supersededby>` lists this one in its
    /// `<supersedes>`. Specifications that are not XEPs (`RFC 6120`) are not looked up.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Approval Process") has a superseded XEP point to the one that replaces it,
    /// and the XEP list and each document's header show both directions; when one side
    /// forgets, readers of the old XEP are not sent to the new one (or the other way round).
    ///
    /// ## Example
    /// Bad: `xep-0902.xml` has `<supersedes><spec>XEP-0901</spec></supersedes>` and
    /// `xep-0901.xml` has an empty `<supersededby/>`; good: `xep-0901.xml` has
    /// `<supersededby><spec>XEP-0902</spec></supersededby>`.
    SupersedesSymmetric { id: "supersedes-symmetric", severity: Warning, summary: "a supersedes or supersededby entry the other XEP does not return" }
}

impl Rule for SupersedesSymmetric {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(me)) = (cx.repo, doc_number(cx.xep)) else {
            return;
        };
        let h = &cx.xep.header;
        for (mine, theirs, want) in [
            (&h.supersedes, "supersededby", true),
            (&h.supersededby, "supersedes", false),
        ] {
            for spec in mine {
                let Some(n) = number_of_spec(&spec.value) else {
                    continue;
                };
                let Some((k, other)) = repo.get(n, cx.real) else {
                    continue; // `dependency-exists` covers names of no XEP only for dependencies
                };
                let list = if want {
                    &other.head.supersededby
                } else {
                    &other.head.supersedes
                };
                if list.iter().any(|v| number_of_spec(&v.value) == Some(me)) {
                    continue;
                }
                let (verb, back) = if want {
                    ("supersedes", "superseded by")
                } else {
                    ("is superseded by", "superseding")
                };
                let mut d = cx
                    .at_field(
                        &Self::INFO,
                        spec,
                        format!(
                            "{} {verb} {}, but {} does not list {} in `<{theirs}>`",
                            xep_name(me),
                            xep_name(n),
                            xep_name(n),
                            xep_name(me)
                        ),
                    )
                    .label(format!("{back} {}", xep_name(n)))
                    .help(format!(
                        "add `<spec>{}</spec>` to `<{theirs}>` in `{}`, or remove this entry",
                        xep_name(me),
                        other.file_name
                    ));
                let their = list.first().or(other.head.status.as_ref());
                if let Some(v) = their {
                    d = d.note(format!("{}'s header: {}", xep_name(n), repo.place(k, v)));
                }
                out.push(d);
            }
        }
    }
}
