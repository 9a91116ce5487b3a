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
        // How many times each name is used: most documents use each once,
        // and nothing more is gathered.
        let anchors = &cx.xep.anchors;
        let mut counts: HashMap<&str, usize> = HashMap::with_capacity(anchors.len());
        for a in anchors {
            *counts.entry(a.name(cx.tree)).or_default() += 1;
        }
        if counts.len() == anchors.len() {
            return;
        }
        // Names used more than once, in the order of their first use, and
        // their uses in document order.
        let mut uses: HashMap<&str, Vec<&crate::model::Anchor>> = HashMap::new();
        let mut names = Vec::new();
        for a in anchors {
            let name = a.name(cx.tree);
            if counts.get(name).is_some_and(|&n| n > 1) {
                let list = uses.entry(name).or_default();
                if list.is_empty() {
                    names.push(name);
                }
                list.push(a);
            }
        }
        for name in names {
            let Some([first, second, rest @ ..]) = uses.get(name).map(Vec::as_slice) else {
                continue;
            };
            let times = match rest.len() {
                0 => "twice".to_string(),
                n => format!("{} times", n + 2),
            };
            let mut d = cx
                .diag(
                    &Self::INFO,
                    second.span,
                    format!("anchor `{name}` is used {times}"),
                )
                .label("second use")
                .secondary(first.span, "first used here");
            for again in rest {
                d = d.secondary(again.span, "used again here");
            }
            out.push(cx.for_node(d.help("give each section its own anchor"), second.node));
        }
    }
}
