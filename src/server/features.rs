//! Hover, go to definition, references, outline and completion, read from
//! the parsed document and its model.
//!
//! One analysis (the parse and model of one text) is kept: requests come in
//! runs on the document being edited. It is built again when its document
//! changes, and released from the source map when replaced.

use super::Server;
use super::text::LineIndex;
use crate::dtd::decl::{ContentSpec, Decl, EntityDecl, EntityValue, ParticleKind, Subset};
use crate::model::Xep;
use crate::source::{FileId, SourceMap, Span};
use crate::xml::{NodeId, NodeKind, Parsed};
use lsp_types as lsp;
use std::sync::Arc;

/// The parse and model of one version of an open document.
pub(crate) struct Analysis {
    pub key: String,
    pub stamp: u64,
    pub parsed: Parsed,
    pub xep: Xep,
    /// Entities declared in the internal subset.
    pub internal: Vec<EntityDecl>,
    pub place: Option<crate::gate::Place>,
    pub index: LineIndex,
    sources: Arc<SourceMap>,
}

impl Drop for Analysis {
    fn drop(&mut self) {
        self.sources.release(self.parsed.file);
    }
}

/// Characters of an XML name (as far as completion and hover need).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// The longest entity name looked for around the cursor.
const NAME_WINDOW: usize = 256;

/// `&name;` at `offset`: the name, and the bytes of the whole reference
/// (the `;` may be missing while typing).
fn entity_at(text: &str, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    let offset = offset.min(text.len());
    let before = text
        .get(offset.saturating_sub(NAME_WINDOW)..offset)
        .or_else(|| {
            let s = crate::source::ceil_char(text, offset.saturating_sub(NAME_WINDOW));
            text.get(s..offset)
        })?;
    let amp = before.rfind('&')?;
    let name_start = offset - before.len() + amp + 1;
    if !text.get(name_start..offset)?.chars().all(is_name_char) {
        return None;
    }
    let after = text.get(offset..)?;
    let len = after
        .char_indices()
        .take_while(|(i, c)| *i < NAME_WINDOW && is_name_char(*c))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name_end = offset + len;
    let name = text.get(name_start..name_end)?.to_string();
    let end = if text.get(name_end..)?.starts_with(';') {
        name_end + 1
    } else {
        name_end
    };
    (!name.is_empty()).then_some((name, name_start - 1..end))
}

/// Replacement text shortened for a hover or a completion's detail: white
/// space runs as one space, at most `max` characters.
fn shorten(s: &str, max: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut out: String = joined.chars().take(max).collect();
    out.push('…');
    out
}

/// Markdown code, fenced with more backticks than the text holds.
fn code_block(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}xml\n{s}\n{fence}")
}

const PREDEFINED: [(&str, &str); 5] = [
    ("lt", "<"),
    ("gt", ">"),
    ("amp", "&"),
    ("apos", "'"),
    ("quot", "\""),
];

impl Analysis {
    /// The general entity `name`: from the internal subset, else from the
    /// files it includes (`xep.ent`).
    pub fn entity(&self, name: &str) -> Option<&EntityDecl> {
        self.internal
            .iter()
            .find(|e| !e.parameter && e.name == name)
            .or_else(|| {
                self.parsed
                    .included
                    .iter()
                    .find_map(|f| f.entity(name, false))
            })
    }

    /// Every general entity in scope, each name once.
    fn entities(&self) -> Vec<&EntityDecl> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let included = self.parsed.included.iter().flat_map(|f| {
            f.decls.decls.iter().filter_map(|d| match d {
                Decl::Entity(e) if !e.parameter => Some(e),
                _ => None,
            })
        });
        for e in self
            .internal
            .iter()
            .filter(|e| !e.parameter)
            .chain(included)
        {
            if seen.insert(e.name.as_str()) {
                out.push(e);
            }
        }
        out
    }

    fn doc_file(&self) -> FileId {
        self.parsed.file
    }

    /// The innermost element of the document's own text whose extent holds
    /// `offset`.
    pub fn element_at(&self, offset: usize) -> Option<NodeId> {
        let tree = &self.parsed.tree;
        let file = self.doc_file();
        let mut best: Option<(NodeId, u32)> = None;
        for (i, n) in tree.nodes.iter().enumerate() {
            if !matches!(n.kind, NodeKind::Element(_)) || n.span.file != file || n.origin.is_some()
            {
                continue;
            }
            let id = NodeId::from_index(i);
            let r = crate::suppress::extent(tree, file, id);
            if (r.start as usize) <= offset && offset < (r.end as usize).max(r.start as usize + 1) {
                let len = r.end - r.start;
                if best.is_none_or(|(_, l)| len <= l) {
                    best = Some((id, len));
                }
            }
        }
        best.map(|(id, _)| id)
    }
}

impl Server {
    /// The analysis of an open document's current text.
    pub(crate) fn analysis_of(&mut self, uri: &lsp::Uri) -> Option<&Analysis> {
        let key = uri.as_str();
        let doc = self.docs.get(key)?;
        if !doc.xml {
            return None;
        }
        let fresh = self
            .analysis
            .as_ref()
            .is_some_and(|a| a.key == key && a.stamp == doc.stamp);
        if !fresh {
            self.analysis = None;
            // Counted first: a renewed session drops the analysis.
            self.count_check();
            let doc = self.docs.get(key)?;
            let input = Server::input_of(doc);
            let parsed = self.session.parse(&input).ok()?;
            let xep = self.session.model(&input, &parsed);
            let internal = internal_entities(&doc.text, &parsed);
            let place = doc
                .path
                .as_ref()
                .and_then(|p| self.session.gate().place_of(p).ok());
            self.analysis = Some(Analysis {
                key: key.to_string(),
                stamp: doc.stamp,
                parsed,
                xep,
                internal,
                place,
                index: doc.index.clone(),
                sources: self.session.sources.clone(),
            });
        }
        self.analysis.as_ref()
    }

    /// The byte offset of a position in an open document, its analysis
    /// made ready ([`Server::parts`]).
    fn at(&mut self, p: &lsp::TextDocumentPositionParams) -> Option<usize> {
        self.analysis_of(&p.text_document.uri)?;
        let (text, a) = self.parts(&p.text_document.uri)?;
        Some(a.index.offset(text, p.position, self.enc))
    }

    /// An open document's text and its analysis (made by
    /// [`Server::analysis_of`]).
    fn parts(&self, uri: &lsp::Uri) -> Option<(&str, &Analysis)> {
        let doc = self.docs.get(uri.as_str())?;
        let a = self.analysis.as_ref().filter(|a| a.key == uri.as_str())?;
        Some((doc.text.as_str(), a))
    }

    /// A location in whatever file a span lies in.
    fn location(&self, span: Span) -> Option<lsp::Location> {
        let file = self.session.sources.get(span.file)?;
        let a = self.analysis.as_ref()?;
        let uri = if span.file == a.parsed.file {
            self.docs.get(&a.key)?.uri.clone()
        } else {
            if !file.path.is_absolute() {
                return None;
            }
            super::text::path_to_uri(&file.path)?
        };
        let index = LineIndex::new(&file.text);
        Some(lsp::Location {
            uri,
            range: index.range(&file.text, span.range(), self.enc),
        })
    }

    pub(crate) fn hover(&mut self, p: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let enc = self.enc;
        let offset = self.at(p)?;
        let (text, a) = self.parts(&p.text_document.uri)?;
        let markdown = |value: String| lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            }),
            range: None,
        };
        if let Some((name, span)) = entity_at(text, offset) {
            let range = a.index.range(text, span, enc);
            if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == name) {
                let mut h = markdown(format!("`&{name};`: the character `{c}` (predefined)"));
                h.range = Some(range);
                return Some(h);
            }
            let decl = a.entity(&name)?;
            let mut value = format!("**`&{name};`**");
            match &decl.value {
                EntityValue::Internal { text, .. } => {
                    value.push_str(" expands to:\n\n");
                    value.push_str(&code_block(&shorten(text, 300)));
                }
                EntityValue::External { system, .. } => {
                    value.push_str(&format!(
                        ": the external file `{}`",
                        crate::report::escape::text(system)
                    ));
                }
            }
            if let Some(f) = self.session.sources.get(decl.name_span.file) {
                let at = f.line_col(decl.name_span.start as usize);
                value.push_str(&format!(
                    "\n\nDeclared in `{}`, line {}.",
                    crate::report::escape::text(&f.display),
                    at.line
                ));
            }
            let mut h = markdown(value);
            h.range = Some(range);
            return Some(h);
        }
        // A header value: what XEP-0001 says it means.
        let meanings = &crate::policy::Policy::bundled().meanings;
        let header = &a.xep.header;
        let fields = header
            .status
            .iter()
            .map(|f| (f, "status", &meanings.status))
            .chain(header.type_.iter().map(|f| (f, "type", &meanings.type_)))
            .chain(
                header
                    .approvers
                    .iter()
                    .map(|f| (f, "approver", &meanings.approver)),
            );
        for (field, what, table) in fields {
            let s = field.span;
            if s.file != a.parsed.file || offset < s.start as usize || offset > s.end as usize {
                continue;
            }
            let value = field.value.as_str();
            let policy = crate::policy::Policy::bundled();
            let canonical = if what == "status" {
                policy
                    .status_aliases
                    .get(value)
                    .map_or(value, String::as_str)
            } else {
                value
            };
            let text_of = match table.get(canonical) {
                Some(m) => format!("**{what} {value}** (XEP-0001): {m}"),
                None => format!("**{what} {value}**: not a value XEP-0001 defines for `<{what}>`"),
            };
            let mut h = markdown(crate::report::escape::text(&text_of).into_owned());
            h.range = Some(a.index.range(text, s.range(), enc));
            return Some(h);
        }
        None
    }

    pub(crate) fn definition(
        &mut self,
        p: &lsp::TextDocumentPositionParams,
    ) -> Option<lsp::GotoDefinitionResponse> {
        let offset = self.at(p)?;
        let (text, a) = self.parts(&p.text_document.uri)?;
        if let Some((name, _)) = entity_at(text, offset) {
            let span = a.entity(&name)?.name_span;
            return self.location(span).map(lsp::GotoDefinitionResponse::Scalar);
        }
        if let Some(name) = link_at(a, offset) {
            let anchor = a
                .xep
                .anchors
                .iter()
                .find(|an| an.name(&a.parsed.tree) == name)?;
            let span = anchor.span;
            return self.location(span).map(lsp::GotoDefinitionResponse::Scalar);
        }
        // `<spec>XEP-NNNN</spec>`: that XEP's file, beside this one.
        let element = a.element_at(offset)?;
        let tree = &a.parsed.tree;
        if tree.element_name(element) != "spec" {
            return None;
        }
        let value: String = tree
            .children(element)
            .filter_map(|c| match tree.node(c).map(|n| n.kind) {
                Some(NodeKind::Text(t)) => Some(tree.str(t).to_string()),
                _ => None,
            })
            .collect();
        let number = value.trim().strip_prefix("XEP-")?;
        if number.len() != 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let place = a.place.as_ref()?;
        let admitted = self
            .session
            .gate()
            .admit_relative(place, &format!("xep-{number}.xml"))
            .ok()?;
        let uri = super::text::path_to_uri(admitted.path())?;
        Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location {
            uri,
            range: lsp::Range::default(),
        }))
    }

    pub(crate) fn references(&mut self, p: &lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
        let offset = self.at(&p.text_document_position)?;
        let (_, a) = self.parts(&p.text_document_position.text_document.uri)?;
        let tree = &a.parsed.tree;
        let within = |s: Span| {
            s.file == a.parsed.file && s.start as usize <= offset && offset <= s.end as usize
        };
        let name = match a.xep.anchors.iter().find(|an| within(an.span)) {
            Some(an) => an.name(tree).to_string(),
            None => link_at(a, offset)?,
        };
        let mut spans: Vec<Span> = Vec::new();
        if p.context.include_declaration {
            spans.extend(
                a.xep
                    .anchors
                    .iter()
                    .filter(|an| an.name(tree) == name)
                    .map(|an| an.span),
            );
        }
        spans.extend(
            a.xep
                .links
                .iter()
                .filter(|l| l.url(tree).strip_prefix('#') == Some(name.as_str()))
                .map(|l| l.span),
        );
        Some(spans.into_iter().filter_map(|s| self.location(s)).collect())
    }

    pub(crate) fn symbols(&mut self, uri: &lsp::Uri) -> Option<lsp::DocumentSymbolResponse> {
        let enc = self.enc;
        self.analysis_of(uri)?;
        let text = self.docs.get(uri.as_str())?.text.as_str();
        let a = self.analysis.as_ref()?;
        let tree = &a.parsed.tree;
        let file = a.parsed.file;
        let range_of = |node: NodeId, fallback: Span| -> Option<(lsp::Range, lsp::Range)> {
            let n = tree.node(node)?;
            if n.span.file != file {
                let s = tree.document_span(node).unwrap_or(fallback);
                let r = a.index.range(text, s.range(), enc);
                return Some((r, r));
            }
            let ext = crate::suppress::extent(tree, file, node);
            Some((
                a.index
                    .range(text, ext.start as usize..ext.end as usize, enc),
                a.index.range(text, n.span.range(), enc),
            ))
        };
        let mut out = Vec::new();
        let header = &a.xep.header;
        if let Some(node) = header.node
            && let Some((range, selection)) = range_of(node, header.span)
        {
            let mut children = Vec::new();
            let fields = [
                ("title", header.title.as_ref()),
                ("number", header.number.as_ref()),
                ("status", header.status.as_ref()),
                ("type", header.type_.as_ref()),
            ];
            for (name, field) in fields {
                if let Some(f) = field
                    && f.span.file == file
                {
                    let r = a.index.range(text, f.span.range(), enc);
                    children.push(symbol(
                        name.into(),
                        Some(f.value.to_string()),
                        lsp::SymbolKind::FIELD,
                        r,
                        r,
                        None,
                    ));
                }
            }
            let title = header
                .title
                .as_ref()
                .map(|t| t.value.to_string())
                .unwrap_or_default();
            out.push(symbol(
                "header".into(),
                Some(title),
                lsp::SymbolKind::NAMESPACE,
                range,
                selection,
                Some(children),
            ));
        }
        fn sections(
            list: &[crate::model::Section],
            range_of: &dyn Fn(NodeId, Span) -> Option<(lsp::Range, lsp::Range)>,
        ) -> Vec<lsp::DocumentSymbol> {
            list.iter()
                .filter_map(|s| {
                    let (range, selection) = range_of(s.node, s.span)?;
                    let name = s.topic.as_ref().map_or_else(
                        || format!("section{} (no topic)", s.level),
                        |t| t.value.to_string(),
                    );
                    let name = if name.trim().is_empty() {
                        format!("section{}", s.level)
                    } else {
                        name
                    };
                    Some(symbol(
                        name,
                        s.anchor.as_ref().map(|a| format!("#{}", a.value)),
                        lsp::SymbolKind::MODULE,
                        range,
                        selection,
                        Some(sections(&s.children, range_of)),
                    ))
                })
                .collect()
        }
        out.extend(sections(&a.xep.sections, &range_of));
        Some(lsp::DocumentSymbolResponse::Nested(out))
    }

    pub(crate) fn completion(
        &mut self,
        p: &lsp::TextDocumentPositionParams,
    ) -> Option<lsp::CompletionResponse> {
        let enc = self.enc;
        let offset = self.at(p)?;
        let (text, a) = self.parts(&p.text_document.uri)?;
        let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let before = text.get(line_start..offset)?;
        let edit_from = |start: usize, new_text: String| {
            Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range: a.index.range(text, start..offset, enc),
                new_text,
            }))
        };
        let mut items = Vec::new();
        // `&name`: entities.
        if let Some(amp) = before.rfind('&')
            && before.get(amp + 1..)?.chars().all(is_name_char)
        {
            let start = line_start + amp + 1;
            for e in a.entities() {
                let detail = match &e.value {
                    EntityValue::Internal { text, .. } => shorten(text, 80),
                    EntityValue::External { system, .. } => format!("file {system}"),
                };
                items.push(lsp::CompletionItem {
                    label: e.name.clone(),
                    kind: Some(lsp::CompletionItemKind::CONSTANT),
                    detail: Some(detail),
                    filter_text: Some(e.name.clone()),
                    text_edit: edit_from(start, format!("{};", e.name)),
                    ..Default::default()
                });
            }
            return Some(lsp::CompletionResponse::Array(items));
        }
        // `url='#…`: anchors.
        if let Some(hash) = before.rfind("url='#").or_else(|| before.rfind("url=\"#"))
            && !before.get(hash + 6..)?.contains(['\'', '"', '>'])
        {
            let start = line_start + hash + 6;
            let mut seen = std::collections::HashSet::new();
            for an in &a.xep.anchors {
                let name = an.name(&a.parsed.tree);
                if seen.insert(name) {
                    items.push(lsp::CompletionItem {
                        label: name.to_string(),
                        kind: Some(lsp::CompletionItemKind::REFERENCE),
                        text_edit: edit_from(start, name.to_string()),
                        ..Default::default()
                    });
                }
            }
            return Some(lsp::CompletionResponse::Array(items));
        }
        // `<status>…`, `<type>…`, `<approver>…`: the values XEP-0001 allows.
        let policy = crate::policy::Policy::bundled();
        for (tag, values, meanings) in [
            ("<status>", &policy.statuses, &policy.meanings.status),
            ("<type>", &policy.types.allowed, &policy.meanings.type_),
            (
                "<approver>",
                &policy.approvers.allowed,
                &policy.meanings.approver,
            ),
        ] {
            if let Some(i) = before.rfind(tag)
                && !before.get(i + tag.len()..)?.contains('<')
            {
                let start = line_start + i + tag.len();
                for v in values {
                    items.push(lsp::CompletionItem {
                        label: v.clone(),
                        kind: Some(lsp::CompletionItemKind::ENUM_MEMBER),
                        documentation: meanings
                            .get(v)
                            .map(|m| lsp::Documentation::String(m.clone())),
                        text_edit: edit_from(start, v.clone()),
                        ..Default::default()
                    });
                }
                return Some(lsp::CompletionResponse::Array(items));
            }
        }
        // `<name`: the elements the DTD allows in the enclosing element.
        let lt = before.rfind('<')?;
        let typed = before.get(lt + 1..)?;
        if !typed.chars().all(is_name_char) {
            return None;
        }
        let start = line_start + lt + 1;
        let parent = a
            .element_at(line_start + lt)
            .map(|id| a.parsed.tree.element_name(id).to_string());
        for name in self.allowed_children(parent.as_deref()) {
            items.push(lsp::CompletionItem {
                label: name.clone(),
                kind: Some(lsp::CompletionItemKind::PROPERTY),
                text_edit: edit_from(start, name),
                ..Default::default()
            });
        }
        Some(lsp::CompletionResponse::Array(items))
    }

    /// The elements the document's DTD (or the bundled one) allows inside
    /// `parent` (none: the document element, `xep`), sorted.
    fn allowed_children(&self, parent: Option<&str>) -> Vec<String> {
        let Some(a) = self.analysis.as_ref() else {
            return Vec::new();
        };
        let ext = match &a.parsed.dtd {
            crate::xml::DtdRef::Loaded(ext) => ext.clone(),
            _ => self.session.dtds.bundled(&self.session.loader),
        };
        let gathered = crate::dtd::cache::gather(&ext);
        let decls = a.parsed.internal_decls.iter().chain(gathered.decls.iter());
        let elements: Vec<&crate::dtd::decl::ElementDecl> = decls
            .filter_map(|d| match d {
                Decl::Element(e) => Some(e),
                _ => None,
            })
            .collect();
        let mut names: Vec<String> = match parent {
            None => vec!["xep".into()],
            Some(parent) => match elements
                .iter()
                .find(|e| e.name == parent)
                .map(|e| &e.content)
            {
                Some(ContentSpec::Any) => elements.iter().map(|e| e.name.clone()).collect(),
                Some(ContentSpec::Mixed(names)) => names.clone(),
                Some(ContentSpec::Children(p)) => {
                    let mut out = Vec::new();
                    let mut stack = vec![p];
                    while let Some(p) = stack.pop() {
                        match &p.kind {
                            ParticleKind::Name(n) => out.push(n.clone()),
                            ParticleKind::Seq(list) | ParticleKind::Choice(list) => {
                                stack.extend(list.iter())
                            }
                        }
                    }
                    out
                }
                Some(ContentSpec::Empty) | None => Vec::new(),
            },
        };
        names.sort();
        names.dedup();
        names
    }
}

/// The anchor a `url='#name'` at `offset` points to.
fn link_at(a: &Analysis, offset: usize) -> Option<String> {
    let tree = &a.parsed.tree;
    a.xep
        .links
        .iter()
        .find(|l| {
            l.span.file == a.parsed.file
                && l.span.start as usize <= offset
                && offset <= l.span.end as usize
        })
        .and_then(|l| l.url(tree).strip_prefix('#').map(str::to_string))
}

#[allow(deprecated)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: lsp::SymbolKind,
    range: lsp::Range,
    selection_range: lsp::Range,
    children: Option<Vec<lsp::DocumentSymbol>>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}

/// The general and parameter entities of the document's internal subset.
fn internal_entities(text: &str, parsed: &Parsed) -> Vec<EntityDecl> {
    let Some(doctype) = &parsed.tree.doctype else {
        return Vec::new();
    };
    if doctype.span.file != parsed.file {
        return Vec::new();
    }
    let Some(whole) = text.get(doctype.span.range()) else {
        return Vec::new();
    };
    let (Some(open), Some(close)) = (whole.find('['), whole.rfind(']')) else {
        return Vec::new();
    };
    if close <= open {
        return Vec::new();
    }
    let base = doctype.span.start as usize + open + 1;
    let Some(subset) = text.get(base..doctype.span.start as usize + close) else {
        return Vec::new();
    };
    crate::dtd::decl::parse_decls(subset, parsed.file, base, Subset::Internal)
        .decls
        .into_iter()
        .filter_map(|d| match d {
            Decl::Entity(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_references_are_found_around_the_cursor() {
        let text = "<p>see &xep0060; and &a-b</p>";
        let at = text.find("0060").unwrap();
        assert_eq!(entity_at(text, at), Some(("xep0060".into(), 7..16)));
        assert_eq!(entity_at(text, 8), Some(("xep0060".into(), 7..16)));
        let typing = text.find("-b").unwrap();
        assert_eq!(entity_at(text, typing).map(|e| e.0), Some("a-b".into()));
        assert_eq!(entity_at(text, 2), None);
        assert_eq!(entity_at(text, text.find(" and").unwrap() + 2), None);
    }

    #[test]
    fn expansions_are_shortened_and_fenced() {
        assert_eq!(shorten("a\n   b  c", 10), "a b c");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert!(code_block("x ``` y").starts_with("````xml\n"));
    }
}
