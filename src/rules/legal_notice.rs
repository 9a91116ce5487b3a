use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;

declare_rule! {
    /// ## What it checks
    /// The header's `<legal>` block comes from the `&LEGALNOTICE;` entity of `xep.ent`,
    /// not from another entity or a copy written out.
    ///
    /// ## Why it matters
    /// The XSF's IPR Policy requires its current legal notice on every XEP; the entity keeps
    /// every document on the same wording when the notice changes (XEP-0143, "XEP XML Format").
    /// A copied or older notice silently goes stale.
    ///
    /// ## Example
    /// Bad: `<legal><copyright>…</copyright>…</legal>` written out, or `&PUBLICDOMAINNOTICE;`;
    /// good: `&LEGALNOTICE;` right after `<abstract>`.
    LegalNotice { id: "legal-notice", severity: Error, summary: "a legal notice that is missing or not taken from &LEGALNOTICE;" }
}

impl Rule for LegalNotice {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let want = &cx.policy.files.legal_entity;
        let reference = format!("&{want};");
        match &cx.xep.header.legal {
            Some(l) if l.entity.as_deref() == Some(want.as_str()) => {}
            Some(l) => {
                let d = match &l.entity {
                    Some(other) => cx
                        .diag(
                            &Self::INFO,
                            l.span,
                            format!("the legal notice comes from `&{other};`, not `{reference}`"),
                        )
                        .label("another notice"),
                    None => cx
                        .diag(
                            &Self::INFO,
                            l.span,
                            format!("the legal notice is written out instead of `{reference}`"),
                        )
                        .label("a copy of the notice"),
                };
                out.push(d.help(format!("replace the <legal> block with {reference}")));
            }
            None => {
                // A reference that could not be expanded is reported where it stands.
                let text = cx.sources.get(cx.parsed.file).map(|f| f.text.clone());
                if !cx.parsed.entities_complete || text.is_some_and(|t| t.contains(&reference)) {
                    return;
                }
                let span = cx
                    .xep
                    .header
                    .abstract_
                    .as_ref()
                    .map_or(cx.header_span(), |a| a.span);
                out.push(
                    cx.diag(&Self::INFO, span, "the header has no legal notice")
                        .label(format!("{reference} belongs after <abstract>"))
                        .help(format!("add {reference} after </abstract>")),
                );
            }
        }
    }
}
