use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// The `<number>` is written out in the source, not produced by an entity reference.
    ///
    /// ## Why it matters
    /// XEP-0001 makes the number the document's identity, and the XSF's tools read header
    /// values without expanding entities: a number written as `&xep-number;` looks empty to
    /// them (the XSF's conformance script fails such documents).
    ///
    /// ## Example
    /// Bad: `<number>&xep-number;</number>`; good: `<number>0491</number>`.
    NumberLiteral { id: "number-literal", severity: Warning, summary: "a <number> taken from an entity instead of written out" }
}

impl Rule for NumberLiteral {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(n) = &cx.xep.header.number else {
            return;
        };
        let Some(node) = n.node else { return };
        // The entity may sit inside <number> (the element itself is in the document).
        let from_entity = cx.tree.children(node).find_map(|c| {
            let cn = cx.tree.node(c)?;
            cx.tree
                .origin_chain(cn.origin)
                .last()
                .map(|e| (e.name.clone(), e.reference))
        });
        if let Some((name, span)) = from_entity {
            out.push(
                cx.diag(&Self::INFO, span, format!("the number is written through `&{name};`"))
                    .label(format!("expands to {}", n.value))
                    .help(format!("write <number>{}</number>: tools that read headers without expanding entities see no number", n.value)),
            );
        }
    }
}
