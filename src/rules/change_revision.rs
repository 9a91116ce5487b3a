use super::shared::{base_top_version, doc_number, new_revisions, next_patch, short_commit};
use super::{Context, Rule, RuleInfo};
use crate::diag::{Diagnostic, Edit, Fix};
use crate::source::Span;

declare_rule! {
    /// ## What it checks
    /// With `--base REF`: a numbered XEP changed since the merge base of REF has a new
    /// revision block at the top of its header, with a version, a date, initials and a
    /// remark. The fix (unsafe: the remark is for the author to write) inserts one with the
    /// next patch version, today's date, and the initials of `--initials`, of `initials` in
    /// `xeplint.toml` or of git's `user.name`.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") has every published change of a XEP recorded as a
    /// revision, and the XSF editors refuse a change without one (xsf/xeps
    /// `docs/TRIAGING.md`, issue 1223: "a new `/xep/header/revision` block in changed files,
    /// containing a version, date, initials and remark").
    ///
    /// ## Example
    /// Bad: a changed section and the same top `<revision>` as before; good:
    /// `<revision><version>0.3.1</version><date>2025-06-01</date><initials>ab</initials><remark><p>Fixed an example.</p></remark></revision>`
    /// above it.
    ChangeRevision { id: "change-revision", severity: Error, summary: "a changed XEP without a new, complete revision block", fix: Sometimes }
}

impl Rule for ChangeRevision {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((set, Some(changed))) = cx.change else {
            return;
        };
        if changed.added || !changed.is_numbered() || doc_number(cx.xep).is_none() {
            return;
        }
        let Some(base) = &changed.base else { return };
        let base_name = format!("{} ({})", set.base_ref, short_commit(&set.base));
        let added = new_revisions(cx.xep, base);
        let Some(top) = added.first() else {
            let base_top = base_top_version(base).unwrap_or("?");
            let at = cx
                .xep
                .header
                .revisions
                .first()
                .map_or(cx.header_span(), |r| r.span);
            let mut d = cx
                .diag(
                    &Self::INFO,
                    at,
                    format!("changed since {base_name} without a new revision block"),
                )
                .label(format!(
                    "the top revision is still {base_top}, as at the base"
                ))
                .help("add a `<revision>` above this one saying what changed");
            if let Some(fix) = self.fix(cx, at, base_top) {
                d = d.with_fix(fix);
            }
            out.push(d);
            return;
        };
        for (name, f) in [
            ("version", &top.version),
            ("date", &top.date),
            ("initials", &top.initials),
            ("remark", &top.remark),
        ] {
            if f.as_ref().is_none_or(|f| f.value.trim().is_empty()) {
                out.push(
                    cx.diag(
                        &Self::INFO,
                        top.span,
                        format!("the new revision block has no {name}"),
                    )
                    .label("the new revision")
                    .help(format!(
                        "add `<{name}>` (a revision has a version, date, initials and remark)"
                    )),
                );
            }
        }
    }
}

impl ChangeRevision {
    /// A revision block above the top one (at `at`).
    fn fix(&self, cx: &Context<'_>, at: Span, base_top: &str) -> Option<Fix> {
        if cx.xep.header.revisions.is_empty() {
            return None;
        }
        let file = cx.sources.get(at.file)?;
        let start = at.start as usize;
        let line_start = file.text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = file.text.get(line_start..start)?;
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return None;
        }
        let inner = format!("{indent}  ");
        let today = cx
            .today
            .map_or_else(|| "YYYY-MM-DD".to_string(), |d| d.to_string());
        let initials = cx.initials.unwrap_or("XX");
        let version = next_patch(base_top);
        let block = format!(
            "<revision>\n{inner}<version>{version}</version>\n{inner}<date>{today}</date>\n{inner}<initials>{}</initials>\n{inner}<remark><p>FIXME: say what changed.</p></remark>\n{indent}</revision>\n{indent}",
            escape(initials)
        );
        Some(Fix::unsafe_(
            format!("insert revision {version} above the top one"),
            vec![Edit::insert(at, block)],
        ))
    }
}

/// Text for element content.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;")
}
