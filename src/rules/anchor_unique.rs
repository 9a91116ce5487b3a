use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// Every `anchor` attribute value (on sections and anywhere else, including elements that
    /// come from entities) is used once in the document.
    ///
    /// ## Why it matters
    /// Anchors become the fragment identifiers of the published HTML (XEP-0143, "XEP XML
    /// Format"); a duplicate makes links such as `xep-0429.html#membership` land on the wrong
    /// section, and the DTD cannot catch it (anchors are plain CDATA there).
    ///
    /// ## Example
    /// Bad: two sections with `anchor='intro'`; good: `anchor='intro'` and `anchor='intro-terms'`.
    AnchorUnique { id: "anchor-unique", severity: Error, summary: "a section anchor used twice in a document" }
}

impl Rule for AnchorUnique {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        use foldhash::{HashMap, HashMapExt};
        let mut seen: HashMap<&str, &crate::model::Anchor> =
            HashMap::with_capacity(cx.xep.anchors.len());
        for a in &cx.xep.anchors {
            let name = a.name(cx.tree);
            match seen.get(name) {
                Some(first) => {
                    out.push(
                        cx.for_node(
                            cx.diag(
                                &Self::INFO,
                                a.span,
                                format!("anchor `{name}` is used twice"),
                            )
                            .label("second use")
                            .secondary(first.span, "first used here")
                            .help("give each section its own anchor"),
                            a.node,
                        ),
                    );
                }
                None => {
                    seen.insert(name, a);
                }
            }
        }
    }
}
