use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// Every internal link, `<link url='#name'>`, points at an `anchor` that exists in the
    /// document (anchors that come from entities count), or at `#example-N`, the anchor the
    /// XSF's stylesheet gives the N-th example.
    ///
    /// ## Why it matters
    /// A broken internal link sends readers of the published XEP nowhere; XEP-0143 asks
    /// authors to link sections by their anchors, and nothing else checks that they exist.
    ///
    /// ## Example
    /// Bad: `<link url='#memebrship'>` with `anchor='membership'`; good: `<link url='#membership'>`.
    InternalLink { id: "internal-link", severity: Error, summary: "an internal link to an anchor the document does not have" }
}

/// The XSF's stylesheet gives the n-th example the anchor `example-n`.
fn is_example_anchor(target: &str, examples: usize) -> bool {
    target
        .strip_prefix("example-")
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n >= 1 && n <= examples)
}

impl Rule for InternalLink {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // The anchors, gathered at the first internal link.
        let mut anchors: Option<foldhash::HashSet<&str>> = None;
        for l in &cx.xep.links {
            let Some(target) = l.url(cx.tree).strip_prefix('#') else {
                continue;
            };
            if target.is_empty() {
                continue;
            }
            let anchors = anchors
                .get_or_insert_with(|| cx.xep.anchors.iter().map(|a| a.name(cx.tree)).collect());
            if anchors.contains(target) || is_example_anchor(target, cx.xep.examples.len()) {
                continue;
            }
            let mut d = cx
                .diag(
                    &Self::INFO,
                    l.span,
                    format!("no anchor `{target}` in this document"),
                )
                .label("this link leads nowhere");
            let from_entity = cx.tree.node(l.node).and_then(|n| n.origin).is_some();
            d = if from_entity {
                // Written in an entity's text (see the notes): what it means
                // is up to the entity, not a typo of this document.
                d.label("this link, from an entity's text, leads nowhere here").help(format!(
                    "the link is written in the entity (see the note below), for documents with a section anchored `{target}`: add one here, or do not use the entity"
                ))
            } else {
                match crate::suggest::closest(target, anchors.iter().copied()) {
                    Some(best) => d.help(format!("did you mean `#{best}`?")),
                    None => d.help(format!(
                        "add anchor='{target}' to the section this link means"
                    )),
                }
            };
            out.push(cx.for_node(d, l.node));
        }
    }
}
