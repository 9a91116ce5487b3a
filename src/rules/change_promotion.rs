use super::shared::{doc_number, version_of, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: a numbered XEP that is new since the base (a proto-XEP the Council
    /// accepted, now published) has version 0.1.0, status Experimental, no `<interim/>`,
    /// the next free number (one above the highest at the base, or the next after the
    /// others promoted in the same change), and its `xepNNNN` entity in xep.ent.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") and the XSF editors' process (xsf/xeps
    /// `docs/PROCESSING.md`) publish an accepted proto-XEP as version 0.1.0 and status
    /// Experimental under the next number, add its entity, and drop the interim marker a
    /// proto-XEP may carry. A slip in any of these is published with it.
    ///
    /// ## Example
    /// Bad: a new `xep-0905.xml` with `<version>0.0.3</version>` and
    /// `<status>ProtoXEP</status>` while the highest number was 0901; good: `xep-0902.xml`
    /// with `<version>0.1.0</version>` and `<status>Experimental</status>`.
    ChangePromotion { id: "change-promotion", severity: Error, summary: "a newly numbered XEP not published as 0.1.0, Experimental, next number, with its entity" }
}

impl Rule for ChangePromotion {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((set, Some(changed))) = cx.change else {
            return;
        };
        if !changed.added || !changed.is_numbered() {
            return;
        }
        let policy = &cx.policy.repository;
        let h = &cx.xep.header;
        if let Some(top) = h.revisions.first() {
            let v = version_of(top).unwrap_or("");
            if v != policy.promoted_version {
                let span = top.version.as_ref().map_or(top.span, |f| f.span);
                out.push(
                    cx.diag(
                        &Self::INFO,
                        span,
                        format!(
                            "a newly published XEP is version {}, not `{v}`",
                            policy.promoted_version
                        ),
                    )
                    .label("the first published version")
                    .help(format!(
                        "write {} in the top revision",
                        policy.promoted_version
                    )),
                );
            }
        }
        if let Some(s) = &h.status
            && s.value != policy.promoted_status
        {
            out.push(
                cx.at_field(
                    &Self::INFO,
                    s,
                    format!(
                        "a newly published XEP is {}, not {}",
                        policy.promoted_status, s.value
                    ),
                )
                .label("the status it is published with")
                .help(format!("write <status>{}</status>", policy.promoted_status)),
            );
        }
        if !h.interim.is_empty() {
            out.push(
                cx.diag(
                    &Self::INFO,
                    cx.header_span(),
                    "a newly published XEP has no `<interim/>`",
                )
                .label("this header holds `<interim/>`")
                .help("remove `<interim/>`: it marks interim versions of a proto-XEP"),
            );
        }
        let Some(n) = doc_number(cx.xep) else { return };
        let Some(field) = &h.number else { return };
        if !set.base_numbers.is_empty() {
            let first = set.next_free();
            let promoted = set.numbered().filter(|c| c.added).count().max(1) as u32;
            let last = first + promoted - 1;
            if n < first || n > last {
                let which = if promoted > 1 {
                    format!("{} to {}", xep_name(first), xep_name(last))
                } else {
                    xep_name(first)
                };
                out.push(
                    cx.at_field(
                        &Self::INFO,
                        field,
                        format!("{} is not the next free number, {which}", xep_name(n)),
                    )
                    .label("the number it is published under")
                    .help(format!("number it {which} (and name the file after it)")),
                );
            }
        }
        if let Some(repo) = cx.repo
            && let Some(ent) = &repo.ent
            && !ent.entities.contains_key(&n)
        {
            out.push(
                cx.at_field(
                    &Self::INFO,
                    field,
                    format!(
                        "{} is published without its `xep{n:04}` entity in xep.ent",
                        xep_name(n)
                    ),
                )
                .label("this number")
                .help("add the entity to xep.ent in the same change (`entity-missing` shows it)"),
            );
        }
    }
}
