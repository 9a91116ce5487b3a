use super::shared::indent_before;
use super::{Context, Rule, RuleInfo};
use crate::diag::{Diagnostic, Edit, Fix};
use crate::dtd::decl::{Decl, EntityDecl, EntityValue};
use crate::source::Span;

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
    LegalNotice { id: "legal-notice", severity: Error, summary: "a legal notice that is missing or not taken from &LEGALNOTICE;", fix: Sometimes }
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
                        .label("a copy of the notice")
                        .with_fix_opt(written_out_fix(cx, want)),
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
                        .help(format!("add {reference} after </abstract>"))
                        .with_fix_opt(missing_fix(cx, want)),
                );
            }
        }
    }
}

/// The entity's replacement text, when the document's entity files
/// declare it.
fn notice<'p>(cx: &'p Context<'_>, name: &str) -> Option<&'p str> {
    cx.parsed.included.iter().find_map(|f| {
        let i = *f.general.get(name)?;
        match f.decls.decls.get(i)? {
            Decl::Entity(EntityDecl {
                value: EntityValue::Internal { text, .. },
                ..
            }) => Some(&**text),
            _ => None,
        }
    })
}

/// Text to compare notices by: tags left out, the predefined entities
/// read, white space dropped.
fn comparable(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if in_tag || c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A `<legal>` block written out whose text is the notice's, word for
/// word: the reference instead (safe).
fn written_out_fix(cx: &Context<'_>, name: &str) -> Option<Fix> {
    let header = cx.xep.header.node?;
    let (id, e) = cx.tree.child(header, "legal")?;
    let node = cx.tree.node(id)?;
    let end = e.end_span()?;
    if node.origin.is_some() || node.span.file != cx.parsed.file {
        return None;
    }
    let mut text = String::new();
    cx.tree.for_each_text(id, &mut |t| text.push_str(t));
    let written: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if written != comparable(notice(cx, name)?) {
        return None;
    }
    Some(Fix::safe(
        format!("replace the <legal> block with &{name};"),
        vec![Edit::replace(
            Span::new(cx.parsed.file, node.span.start as usize, end.end as usize),
            format!("&{name};"),
        )],
    ))
}

/// No `<legal>`: the reference after `</abstract>` (safe), when the
/// entity files declare it.
fn missing_fix(cx: &Context<'_>, name: &str) -> Option<Fix> {
    notice(cx, name)?;
    let header = cx.xep.header.node?;
    let (id, e) = cx.tree.child(header, "abstract")?;
    let node = cx.tree.node(id)?;
    if node.origin.is_some() || node.span.file != cx.parsed.file {
        return None;
    }
    let end = e.end_span()?;
    let indent = indent_before(cx, id).unwrap_or_default();
    Some(Fix::safe(
        format!("add &{name}; after </abstract>"),
        vec![Edit::insert(
            Span::point(cx.parsed.file, end.end as usize),
            format!("{indent}&{name};"),
        )],
    ))
}
