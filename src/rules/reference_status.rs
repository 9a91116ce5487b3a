use super::shared::xep_name;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, references to other XEPs through their entities (`&xep0901;`)
    /// that name a Retracted, Deprecated or Obsolete XEP (the list is in
    /// `schemas/policy.toml`). One finding per XEP referred to, at the first reference,
    /// saying how many there are.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Summary of XEP States"): a Deprecated or Obsolete XEP should not be
    /// implemented any more, and a Retracted one never became a standard. A reference to
    /// one may be history told on purpose, or a pointer an author should move to its
    /// successor: worth a look, not an error.
    ///
    /// ## Example
    /// Bad (when XEP-0901 is Obsolete): `see &xep0901;`; good: `see &xep0902;`, the XEP that
    /// superseded it, or a sentence saying why the old one is cited.
    ReferenceStatus { id: "reference-status", severity: Info, summary: "a reference to a Retracted, Deprecated or Obsolete XEP" }
}

impl Rule for ReferenceStatus {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(repo) = cx.repo else { return };
        let closed = &cx.policy.repository.reference_statuses;
        // References written in the document itself, by number: the first
        // one and how many.
        let mut seen: Vec<(u32, crate::source::Span, usize)> = Vec::new();
        for e in &cx.tree.expansions {
            if e.parent.is_some() || e.reference.file != cx.xep.root_span.file {
                continue;
            }
            let Some(digits) = e.name.strip_prefix("xep") else {
                continue;
            };
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(n) = digits.parse::<u32>() else {
                continue;
            };
            match seen.iter_mut().find(|s| s.0 == n) {
                Some(s) => s.2 += 1,
                None => seen.push((n, e.reference, 1)),
            }
        }
        for (n, span, count) in seen {
            let Some((_, other)) = repo.get(n, cx.real) else {
                continue;
            };
            let Some(status) = other.status().filter(|s| closed.iter().any(|c| c == s)) else {
                continue;
            };
            let times = if count > 1 {
                format!(" ({count} references)")
            } else {
                String::new()
            };
            let mut d = cx
                .diag(
                    &Self::INFO,
                    span,
                    format!("reference to {}, which is {status}{times}", xep_name(n)),
                )
                .label(format!("{} is {status}", xep_name(n)));
            let by = other
                .head
                .supersededby
                .iter()
                .find_map(|v| crate::repo::number_of_spec(&v.value));
            if let Some(b) = by {
                d = d.help(format!(
                    "{} supersedes it: refer to that one unless the old XEP is meant",
                    xep_name(b)
                ));
            }
            out.push(d);
        }
    }
}
