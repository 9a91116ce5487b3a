use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::values::Version;

declare_rule! {
    /// ## What it checks
    /// Revision versions are dotted numbers and strictly descend from the top of the header to
    /// the bottom, compared number by number: 0.10 comes after 0.9, 1.0 after 0.9.1, and a
    /// release candidate (2.5rc1) before its release (2.5).
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") has each published revision carry a new, higher
    /// version, listed newest first; the XSF's tools take the top revision as the current one.
    /// A revision out of order publishes the wrong version as current.
    ///
    /// ## Example
    /// Bad: revisions 0.3, 0.1, 0.2 (top to bottom); good: 0.3, 0.2, 0.1.
    RevisionOrder { id: "revision-order", severity: Error, summary: "a revision version that is not a version number, or not lower than the one above it" }
}

impl Rule for RevisionOrder {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let mut above: Option<(Version, &crate::model::Field)> = None;
        for rev in &cx.xep.header.revisions {
            let Some(f) = &rev.version else { continue };
            let Some(v) = Version::parse(&f.value) else {
                out.push(
                    cx.at_field(
                        &Self::INFO,
                        f,
                        format!("`{}` is not a version number", f.value),
                    )
                    .label("expected dotted numbers")
                    .help("write a version such as 0.1, 1.0 or 1.2.3"),
                );
                continue;
            };
            if let Some((prev, pf)) = &above
                && v >= *prev
            {
                let (msg, label) = if v == *prev {
                    (
                        format!("revision {} is listed twice", f.value),
                        "this version is the same as the one above",
                    )
                } else {
                    (
                        format!("revision {} is listed below {}", f.value, pf.value),
                        "this version is newer than the one above",
                    )
                };
                out.push(
                    cx.at_field(&Self::INFO, f, msg)
                        .label(label)
                        .secondary(pf.span, "the revision above")
                        .help("list revisions newest first, each with a higher version than the one below it"),
                );
            }
            above = Some((v, f));
        }
    }
}
