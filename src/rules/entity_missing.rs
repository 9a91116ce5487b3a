use super::shared::{doc_number, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, a numbered XEP in any status from Experimental on has its
    /// `xepNNNN` entity in the repository's `xep.ent`, which other XEPs cite it by.
    ///
    /// ## Why it matters
    /// XEP-0001 ("Publication Process") publishes an accepted XEP under its number, and the
    /// XSF editors' process (xsf/xeps `docs/PROCESSING.md`) adds its entity to `xep.ent` as
    /// part of publishing it: without it, `&xep0901;` in another XEP is an undefined entity.
    ///
    /// ## Example
    /// Bad: `xep-0901.xml` is Experimental and `xep.ent` has no `xep0901`; good:
    /// `<!ENTITY xep0901 "<span class='ref'><link url='https://xmpp.org/extensions/xep-0901.html'>Ticket Labels (XEP-0901)</link></span> <note>…</note>" >`.
    EntityMissing { id: "entity-missing", severity: Warning, summary: "a published XEP without its xepNNNN entity in xep.ent" }
}

impl Rule for EntityMissing {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(n), Some(field)) =
            (cx.repo, doc_number(cx.xep), cx.xep.header.number.as_ref())
        else {
            return;
        };
        let Some(ent) = &repo.ent else { return };
        if cx.xep.status().is_none_or(|s| s == cx.policy.proto.status) {
            return;
        }
        if ent.entities.contains_key(&n) {
            return;
        }
        let title = cx
            .xep
            .header
            .title
            .as_ref()
            .map_or("TITLE", |t| t.value.as_str());
        out.push(
            cx.at_field(
                &Self::INFO,
                field,
                format!("{} has no `xep{n:04}` entity in xep.ent", xep_name(n)),
            )
            .label("published under this number")
            .help(format!(
                "add `<!ENTITY xep{n:04} \"<span class='ref'><link url='https://xmpp.org/extensions/xep-{n:04}.html'>{title} ({})</link></span> <note>…</note>\" >` to xep.ent",
                xep_name(n)
            )),
        );
    }
}
