use super::shared::{doc_number, xep_name};
use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// In a XEP repository, the title a XEP's `xepNNNN` entity in `xep.ent` shows (the text
    /// of its first `<link>`, without ` (XEP-NNNN)`) is the XEP's `<title>`. Case and white
    /// space are not compared, and the entity may leave out an acronym the title ends with
    /// in parentheses. Reported in `xep.ent` at the entity, with the XEP's title as a
    /// secondary label.
    ///
    /// ## Why it matters
    /// Every XEP that cites another through its entity shows the entity's title: when a XEP
    /// is renamed (XEP-0001, "Publication Process": revisions may change the title) and the
    /// entity is not, readers see the old name in every citing document.
    ///
    /// ## Example
    /// Bad: `<title>Ticket Labels</title>` and the entity showing `Ticket Tags (XEP-0901)`;
    /// good: the entity showing `Ticket Labels (XEP-0901)`.
    EntityTitle { id: "entity-title", severity: Warning, summary: "an xep.ent entity that shows another title than its XEP's" }
}

/// Case and white space aside, whether `shown` is `title` (or `title`
/// without a trailing parenthesized acronym).
fn same_title(shown: &str, title: &str) -> bool {
    let norm = |s: &str| crate::repo::scan::collapse(s).to_lowercase();
    let (shown, title) = (norm(shown), norm(title));
    if shown == title {
        return true;
    }
    title
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once(" ("))
        .is_some_and(|(head, acronym)| head == shown && !acronym.contains(' '))
}

impl Rule for EntityTitle {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(repo), Some(n), Some(title)) =
            (cx.repo, doc_number(cx.xep), cx.xep.header.title.as_ref())
        else {
            return;
        };
        // A title built from an entity is not compared: its text is the
        // expansion, the entity's may be anything.
        if title.entity.is_some() {
            return;
        }
        let Some(entity) = repo.ent.as_ref().and_then(|e| e.entities.get(&n)) else {
            return;
        };
        let Some(shown) = entity.title.as_deref() else {
            return;
        };
        if shown.contains('&') || same_title(shown, &title.value) {
            return;
        }
        let d = cx
            .diag(
                &Self::INFO,
                entity.title_span,
                format!(
                    "xep.ent shows {} as \"{shown}\", but its title is \"{}\"",
                    xep_name(n),
                    title.value
                ),
            )
            .label(format!("the title `xep{n:04}` shows"))
            .secondary(title.span, "the XEP's title")
            .help(format!(
                "write \"{}\" in the entity (or rename the XEP if the entity is right)",
                title.value
            ));
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::same_title;

    #[test]
    fn titles_compare_as_readers_see_them() {
        assert!(same_title("Bind 2", "bind  2"));
        assert!(same_title(
            "Special Interest Groups",
            "Special Interest Groups (SIGs)"
        ));
        assert!(!same_title("Bind 2.0", "Bind 2"));
        assert!(!same_title(
            "BOSH",
            "Bidirectional-streams Over Synchronous HTTP (BOSH)"
        ));
        assert!(!same_title("Groups", "Special Interest Groups (SIGs)"));
    }
}
