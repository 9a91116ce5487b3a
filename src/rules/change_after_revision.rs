use super::shared::short_commit;
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// With `--base REF` and the history since the base: no commit after the one that wrote
    /// a XEP's top revision block (the last commit that changed the block) changes the XEP
    /// again. The commits are listed. A commit that changes the text and updates the block
    /// with it (its date, its remark) is the one that wrote it.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") records each published change in a revision; the
    /// XSF editors merge a change as its revision describes it (xsf/xeps issue 1225: no
    /// change to a document after the commit that adds its revision block). A later fix-up
    /// commit changes the XEP without the revision saying so.
    ///
    /// ## Example
    /// Bad: commit A adds revision 0.3.1 and a new section, commit B then edits the section;
    /// good: B squashed into A, or B adds its own revision.
    ChangeAfterRevision { id: "change-after-revision", severity: Warning, summary: "a commit that changed a XEP after the one adding its top revision" }
}

impl Rule for ChangeAfterRevision {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some((_, Some(changed))) = cx.change else {
            return;
        };
        if changed.after_revision.is_empty() {
            return;
        }
        let Some(top) = cx.xep.header.revisions.first() else {
            return;
        };
        let version = top.version.as_ref().map_or("?", |v| v.value.as_str());
        let adder = changed
            .revision_commit
            .as_deref()
            .map_or_else(String::new, |c| format!(" ({})", short_commit(c)));
        let n = changed.after_revision.len();
        let mut d = cx
            .diag(
                &Self::INFO,
                top.span,
                format!(
                    "{n} commit(s) changed this XEP after the one that added revision {version}{adder}"
                ),
            )
            .label(format!("revision {version}"))
            .help("squash the later commits into the one adding the revision, or give them a revision of their own");
        for (id, subject) in changed.after_revision.iter().take(5) {
            d = d.note(format!("{} {subject}", short_commit(id)));
        }
        if n > 5 {
            d = d.note(format!("and {} more", n - 5));
        }
        out.push(d);
    }
}
