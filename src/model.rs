//! The typed XEP: header, authors, revisions, sections, anchors, links and
//! examples, each with its span, built from the tree in one pass.

use crate::source::{LineCol, SourceMap, Span};
use crate::xml::{ExpId, NodeId, NodeKind, Tree};
use compact_str::CompactString;
use serde::Serialize;

/// A [`CompactString`] as the string it holds.
fn serialize_str<S: serde::Serializer>(v: &CompactString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

/// A position as `meta` prints it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl From<LineCol> for Pos {
    fn from(l: LineCol) -> Pos {
        Pos {
            line: l.line,
            column: l.column,
        }
    }
}

/// A text value and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Short values (most of them) are stored inline, without an allocation.
    #[serde(serialize_with = "serialize_str")]
    pub value: CompactString,
    /// Where a reader of the document sees it (the `&entity;` reference when
    /// the value came from an entity).
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub node: Option<NodeId>,
    /// The element's content, for values that sit in an element.
    #[serde(skip)]
    pub origin: Option<ExpId>,
    pub pos: Pos,
    /// The entity the value came from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub firstname: Option<Field>,
    pub surname: Option<Field>,
    pub org: Option<Field>,
    pub email: Option<Field>,
    pub jid: Option<Field>,
    pub uri: Option<Field>,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub node: NodeId,
    pub pos: Pos,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

impl Author {
    /// "Firstname Surname", as far as given.
    pub fn name(&self) -> String {
        let parts: Vec<&str> = [&self.firstname, &self.surname]
            .iter()
            .filter_map(|f| f.as_ref().map(|f| f.value.trim()))
            .filter(|v| !v.is_empty())
            .collect();
        parts.join(" ")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub version: Option<Field>,
    pub date: Option<Field>,
    pub initials: Option<Field>,
    pub remark: Option<Field>,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub node: NodeId,
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaLoc {
    pub ns: Option<Field>,
    pub url: Option<Field>,
}

/// The `<legal>` block.
#[derive(Debug, Clone, Serialize)]
pub struct Legal {
    #[serde(skip)]
    pub span: Span,
    pub pos: Pos,
    /// The entity it came from (normally `LEGALNOTICE`).
    pub entity: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Header {
    pub title: Option<Field>,
    #[serde(rename = "abstract")]
    pub abstract_: Option<Field>,
    pub legal: Option<Legal>,
    pub number: Option<Field>,
    pub status: Option<Field>,
    pub lastcall: Vec<Field>,
    pub interim: Vec<Pos>,
    #[serde(rename = "type")]
    pub type_: Option<Field>,
    pub sig: Option<Field>,
    pub approvers: Vec<Field>,
    pub dependencies: Vec<Field>,
    pub supersedes: Vec<Field>,
    pub supersededby: Vec<Field>,
    pub shortname: Option<Field>,
    pub tags: Vec<Field>,
    pub schemaloc: Vec<SchemaLoc>,
    pub registry: bool,
    pub discuss: Option<Field>,
    pub expires: Option<Field>,
    pub authors: Vec<Author>,
    pub revisions: Vec<Revision>,
    pub councilnote: Option<Field>,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub node: Option<NodeId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub level: u8,
    pub topic: Option<Field>,
    pub anchor: Option<Field>,
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    pub node: NodeId,
    pub pos: Pos,
    pub children: Vec<Section>,
}

/// An `anchor` attribute anywhere in the document.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub span: Span,
    pub node: NodeId,
    /// The attribute's place among the element's attributes.
    attr: usize,
}

impl Anchor {
    /// The anchor's name (`tree`: the tree the model was built from).
    pub fn name<'t>(&self, tree: &'t Tree) -> &'t str {
        attr_value(tree, self.node, self.attr)
    }
}

/// A `<link url='…'>`.
#[derive(Debug, Clone)]
pub struct Link {
    pub span: Span,
    pub node: NodeId,
    /// The attribute's place among the element's attributes.
    attr: usize,
}

impl Link {
    /// The link's URL (`tree`: the tree the model was built from).
    pub fn url<'t>(&self, tree: &'t Tree) -> &'t str {
        attr_value(tree, self.node, self.attr)
    }
}

/// The value of an element's attribute, by its place ("" if there is none).
fn attr_value(tree: &Tree, node: NodeId, attr: usize) -> &str {
    tree.element(node)
        .and_then(|e| tree.attributes(e).get(attr))
        .map_or("", |a| a.value.as_str())
}

/// An `<example>` (or `<code>`) element.
#[derive(Debug, Clone)]
pub struct Example {
    pub node: NodeId,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Xep {
    /// The document's file name (`xep-0002.xml`).
    pub file_name: String,
    pub header: Header,
    pub sections: Vec<Section>,
    /// `href` of the `<?xml-stylesheet?>` PI, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stylesheet: Option<String>,
    #[serde(skip)]
    pub stylesheet_span: Option<Span>,
    #[serde(skip)]
    pub anchors: Vec<Anchor>,
    #[serde(skip)]
    pub links: Vec<Link>,
    #[serde(skip)]
    pub examples: Vec<Example>,
    /// Whether the root element is `<xep>`.
    #[serde(skip)]
    pub is_xep: bool,
    #[serde(skip)]
    pub root_span: Span,
}

impl Xep {
    pub fn status(&self) -> Option<&str> {
        self.header.status.as_ref().map(|f| f.value.as_str())
    }

    pub fn doc_type(&self) -> Option<&str> {
        self.header.type_.as_ref().map(|f| f.value.as_str())
    }

    /// Every section in document order, with its depth-first parents flattened.
    pub fn all_sections(&self) -> Vec<&Section> {
        fn walk<'a>(s: &'a [Section], out: &mut Vec<&'a Section>) {
            for x in s {
                out.push(x);
                walk(&x.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.sections, &mut out);
        out
    }
}

struct Builder<'a> {
    tree: &'a Tree,
    sources: &'a SourceMap,
    /// The file of the document element, looked up once: most spans are in it.
    doc: Option<(
        crate::source::FileId,
        std::sync::Arc<crate::source::SourceFile>,
    )>,
    /// Whether to fill in [`Pos`] (for `meta`); the rules report spans.
    positions: bool,
}

impl Builder<'_> {
    fn pos(&self, span: Span) -> Pos {
        if !self.positions {
            return Pos { line: 0, column: 0 };
        }
        self.sources
            .get(span.file)
            .map_or(Pos { line: 1, column: 1 }, |f| {
                f.line_col(span.start as usize).into()
            })
    }

    fn entity_of(&self, node: NodeId) -> Option<String> {
        let n = self.tree.node(node)?;
        self.origin_entity(n.origin)
    }

    /// The entity of an expansion chain (none for a node from the document).
    #[inline]
    fn origin_entity(&self, origin: Option<ExpId>) -> Option<String> {
        origin?;
        self.tree
            .outer_expansion(origin)
            .map(|e| e.name.to_string())
    }

    fn field(&self, node: NodeId) -> Field {
        let value = self.trimmed_text(node);
        let span = self.tree.document_span(node).unwrap_or_default();
        // For a plain element, point at its content when there is some.
        let n = self.tree.node(node);
        let span = match n {
            Some(n) if n.origin.is_none() => self.content_span(node).unwrap_or(span),
            _ => span,
        };
        Field {
            value,
            span,
            node: Some(node),
            origin: n.and_then(|n| n.origin),
            pos: self.pos(span),
            entity: match n {
                Some(n) => self.origin_entity(n.origin),
                None => None,
            },
        }
    }

    /// [`Tree::trimmed_text`], copied once (inline when short).
    fn trimmed_text(&self, node: NodeId) -> CompactString {
        // The usual case, as `Tree::trimmed_text` takes it: one piece of text.
        if let Some(n) = self.tree.node(node)
            && let Some(only) = n.first_child
            && n.last_child == Some(only)
            && let Some(NodeKind::Text(t) | NodeKind::CData(t)) =
                self.tree.node(only).map(|c| &c.kind)
        {
            return CompactString::new(self.tree.str(*t).trim());
        }
        CompactString::from(self.tree.trimmed_text(node))
    }

    /// The span of an element's trimmed text content (or of its first child
    /// reference), when it lies in the document.
    fn content_span(&self, node: NodeId) -> Option<Span> {
        self.tree.node(node)?;
        let mut first: Option<Span> = None;
        let mut last: Option<Span> = None;
        for c in self.tree.children(node) {
            let cn = self.tree.node(c)?;
            let s = match &cn.kind {
                NodeKind::Text(t) if self.tree.str(*t).trim().is_empty() => continue,
                NodeKind::Text(_) | NodeKind::CData(_) | NodeKind::Element(_) => {
                    self.tree.document_span(c)?
                }
                _ => continue,
            };
            first.get_or_insert(s);
            last = Some(s);
        }
        let (a, b) = (first?, last?);
        let mut span = a.to(b);
        // Trim white space inside the span.
        let other;
        let file = match &self.doc {
            Some((id, f)) if *id == span.file => Some(f),
            _ => {
                other = self.sources.get(span.file);
                other.as_ref()
            }
        };
        if let Some(f) = file {
            let text = f.text.get(span.range()).unwrap_or("");
            let lead = text.len() - text.trim_start().len();
            let trail = text.len() - text.trim_end().len();
            if lead + trail < text.len() {
                span.start += lead as u32;
                span.end -= trail as u32;
            }
        }
        Some(span)
    }

    fn opt(&self, parent: NodeId, name: &str) -> Option<Field> {
        self.tree.child(parent, name).map(|(id, _)| self.field(id))
    }

    fn author(&self, id: NodeId) -> Author {
        let span = self.tree.document_span(id).unwrap_or_default();
        Author {
            firstname: self.opt(id, "firstname"),
            surname: self.opt(id, "surname"),
            org: self.opt(id, "org"),
            email: self.opt(id, "email"),
            jid: self.opt(id, "jid"),
            uri: self.opt(id, "uri"),
            span,
            node: id,
            pos: self.pos(span),
            entity: self.entity_of(id),
        }
    }

    fn revision(&self, id: NodeId) -> Revision {
        let span = self.tree.document_span(id).unwrap_or_default();
        Revision {
            version: self.opt(id, "version"),
            date: self.opt(id, "date"),
            initials: self.opt(id, "initials"),
            remark: self.opt(id, "remark"),
            span,
            node: id,
            pos: self.pos(span),
        }
    }

    fn specs(&self, parent: Option<NodeId>) -> Vec<Field> {
        parent
            .map(|p| {
                self.tree
                    .child_elements(p)
                    .filter(|(_, e)| e.name == "spec")
                    .map(|(id, _)| self.field(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn attr_field(&self, node: NodeId, name: &str) -> Option<Field> {
        let n = self.tree.node(node)?;
        let NodeKind::Element(e) = &n.kind else {
            return None;
        };
        let a = self.tree.attr(e, name)?;
        let span = attr_span(self.tree, node, a);
        Some(Field {
            value: a.value.clone(),
            span,
            node: Some(node),
            origin: n.origin,
            pos: self.pos(span),
            entity: self.origin_entity(n.origin),
        })
    }

    fn section(&self, id: NodeId, level: u8, depth: usize) -> Section {
        let span = self.tree.document_span(id).unwrap_or_default();
        const NAMES: [&str; 9] = [
            "section1", "section2", "section3", "section4", "section5", "section6", "section7",
            "section8", "section9",
        ];
        let child_name = NAMES.get(usize::from(level)).copied().unwrap_or("");
        let children = if depth < 8 {
            self.tree
                .child_elements(id)
                .filter(|(_, e)| e.name == child_name)
                .map(|(c, _)| self.section(c, level + 1, depth + 1))
                .collect()
        } else {
            Vec::new()
        };
        Section {
            level,
            topic: self.attr_field(id, "topic"),
            anchor: self.attr_field(id, "anchor"),
            span,
            node: id,
            pos: self.pos(span),
            children,
        }
    }
}

/// Build the model. `file_name` is the document's file name.
pub fn build(tree: &Tree, sources: &SourceMap, file_name: &str) -> Xep {
    build_with(tree, sources, file_name, true)
}

/// Build the model without line and column in its [`Pos`] fields (left 0:0):
/// what checking needs, since rules report spans.
pub fn build_for_rules(tree: &Tree, sources: &SourceMap, file_name: &str) -> Xep {
    build_with(tree, sources, file_name, false)
}

fn build_with(tree: &Tree, sources: &SourceMap, file_name: &str, positions: bool) -> Xep {
    let doc = tree
        .root
        .and_then(|r| tree.node(r))
        .and_then(|n| Some((n.span.file, sources.get(n.span.file)?)));
    let b = Builder {
        tree,
        sources,
        doc,
        positions,
    };
    let mut xep = Xep {
        file_name: file_name.to_string(),
        header: Header::default(),
        sections: Vec::new(),
        stylesheet: None,
        stylesheet_span: None,
        anchors: Vec::new(),
        links: Vec::new(),
        examples: Vec::new(),
        is_xep: false,
        root_span: Span::default(),
    };
    for &m in &tree.misc {
        if let Some(n) = tree.node(m)
            && let NodeKind::Pi { target, data } = &n.kind
            && target == "xml-stylesheet"
            && xep.stylesheet.is_none()
        {
            xep.stylesheet = Some(pseudo_attr(data, "href").unwrap_or_default());
            xep.stylesheet_span = Some(n.span);
        }
    }
    let Some(root) = tree.root else { return xep };
    let Some(root_el) = tree.element(root) else {
        return xep;
    };
    xep.is_xep = root_el.name == "xep";
    xep.root_span = tree.node(root).map(|n| n.span).unwrap_or_default();
    if let Some((h, _)) = tree.child(root, "header") {
        let hd = &mut xep.header;
        hd.node = Some(h);
        hd.span = tree.document_span(h).unwrap_or_default();
        for (id, e) in tree.child_elements(h) {
            match e.name.as_str() {
                "title" => hd.title = Some(b.field(id)),
                "abstract" => hd.abstract_ = Some(b.field(id)),
                "legal" => {
                    let span = tree.document_span(id).unwrap_or_default();
                    hd.legal = Some(Legal {
                        span,
                        pos: b.pos(span),
                        entity: b.entity_of(id),
                    });
                }
                "number" => hd.number = Some(b.field(id)),
                "status" => hd.status = Some(b.field(id)),
                "lastcall" => hd.lastcall.push(b.field(id)),
                "interim" => hd
                    .interim
                    .push(b.pos(tree.document_span(id).unwrap_or_default())),
                "type" => hd.type_ = Some(b.field(id)),
                "sig" => hd.sig = Some(b.field(id)),
                "approver" => hd.approvers.push(b.field(id)),
                "dependencies" => hd.dependencies = b.specs(Some(id)),
                "supersedes" => hd.supersedes = b.specs(Some(id)),
                "supersededby" => hd.supersededby = b.specs(Some(id)),
                "shortname" => hd.shortname = Some(b.field(id)),
                "tags" => {
                    hd.tags = tree
                        .child_elements(id)
                        .filter(|(_, e)| e.name == "tag")
                        .map(|(t, _)| b.field(t))
                        .collect()
                }
                "schemaloc" => hd.schemaloc.push(SchemaLoc {
                    ns: b.opt(id, "ns"),
                    url: b.opt(id, "url"),
                }),
                "registry" => hd.registry = true,
                "discuss" => hd.discuss = Some(b.field(id)),
                "expires" => hd.expires = Some(b.field(id)),
                "author" => hd.authors.push(b.author(id)),
                "revision" => hd.revisions.push(b.revision(id)),
                "councilnote" => hd.councilnote = Some(b.field(id)),
                _ => {}
            }
        }
    }
    xep.sections = tree
        .child_elements(root)
        .filter(|(_, e)| e.name == "section1")
        .map(|(id, _)| b.section(id, 1, 0))
        .collect();
    // Anchors, links and examples anywhere.
    walk(tree, root, |id, n| {
        let NodeKind::Element(e) = &n.kind else {
            return;
        };
        let attrs = tree.attributes(e);
        if let Some((i, a)) = find_attr(attrs, "anchor")
            && !a.value.is_empty()
        {
            xep.anchors.push(Anchor {
                span: attr_span_of(tree, n, a),
                node: id,
                attr: i,
            });
        }
        match e.name.as_str() {
            "link" => {
                if let Some((i, a)) = find_attr(attrs, "url") {
                    xep.links.push(Link {
                        span: attr_span_of(tree, n, a),
                        node: id,
                        attr: i,
                    });
                }
            }
            "example" => xep.examples.push(Example {
                node: id,
                span: tree.document_span(id).unwrap_or(n.span),
            }),
            _ => {}
        }
    });
    xep
}

/// The first attribute with this name, and its place.
fn find_attr<'t>(
    attrs: &'t [crate::xml::Attribute],
    name: &str,
) -> Option<(usize, &'t crate::xml::Attribute)> {
    attrs.iter().enumerate().find(|(_, a)| a.name == name)
}

/// Call `f` on `root` and every node below it, in the order of
/// [`Tree::descendants`] (pre-order), following the tree's links instead of
/// keeping a stack.
fn walk<'t>(tree: &'t Tree, root: NodeId, mut f: impl FnMut(NodeId, &'t crate::xml::Node)) {
    let mut id = root;
    let Some(mut n) = tree.node(id) else { return };
    loop {
        f(id, n);
        if let Some(c) = n.first_child
            && let Some(cn) = tree.node(c)
        {
            (id, n) = (c, cn);
            continue;
        }
        // The next sibling of the nearest node (this one, or an ancestor
        // below `root`) that has one.
        loop {
            if id == root {
                return;
            }
            if let Some(s) = n.next_sibling
                && let Some(sn) = tree.node(s)
            {
                (id, n) = (s, sn);
                break;
            }
            let Some(p) = n.parent else { return };
            let Some(pn) = tree.node(p) else { return };
            (id, n) = (p, pn);
        }
    }
}

/// Where a reader sees an attribute's value: the value itself, or the
/// `&entity;` reference when the element came from an expansion.
fn attr_span(tree: &Tree, id: NodeId, a: &crate::xml::Attribute) -> Span {
    match tree.node(id) {
        Some(n) => attr_span_of(tree, n, a),
        None => a.value_span,
    }
}

/// [`attr_span`] for the node itself.
fn attr_span_of(tree: &Tree, n: &crate::xml::Node, a: &crate::xml::Attribute) -> Span {
    if n.origin.is_some() {
        // `document_span` of the node.
        tree.outer_reference(n.origin).unwrap_or(n.span)
    } else {
        a.value_span
    }
}

/// A pseudo-attribute of a processing instruction (`href='xep.xsl'`).
pub fn pseudo_attr(data: &str, name: &str) -> Option<String> {
    let mut rest = data;
    while let Some(i) = rest.find(name) {
        let before_ok = i == 0 || rest[..i].ends_with(|c: char| c.is_whitespace());
        let after = rest[i + name.len()..].trim_start();
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                let end = v[1..].find(q)?;
                return Some(v[1..1 + end].to_string());
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anchors, links and examples as they were gathered before the arena
    /// scan: node, span and value of each, from a walk with a stack.
    #[allow(clippy::type_complexity)]
    fn former_marks(
        tree: &Tree,
        root: NodeId,
    ) -> (
        Vec<(NodeId, Span, String)>,
        Vec<(NodeId, Span, String)>,
        Vec<(NodeId, Span)>,
    ) {
        let (mut anchors, mut links, mut examples) = (Vec::new(), Vec::new(), Vec::new());
        for id in tree.descendants(root) {
            let Some(n) = tree.node(id) else { continue };
            let NodeKind::Element(e) = &n.kind else {
                continue;
            };
            if let Some(a) = tree.attr(e, "anchor")
                && !a.value.is_empty()
            {
                anchors.push((id, attr_span(tree, id, a), a.value.to_string()));
            }
            match e.name.as_str() {
                "link" => {
                    if let Some(a) = tree.attr(e, "url") {
                        links.push((id, attr_span(tree, id, a), a.value.to_string()));
                    }
                }
                "example" => examples.push((id, tree.document_span(id).unwrap_or(n.span))),
                _ => {}
            }
        }
        (anchors, links, examples)
    }

    /// The model's marks agree with [`former_marks`].
    fn marks_agree(tree: &Tree, what: &str) {
        let Some(root) = tree.root else { return };
        let xep = build_for_rules(tree, &SourceMap::new(), "x.xml");
        let (anchors, links, examples) = former_marks(tree, root);
        let got_anchors: Vec<_> = xep
            .anchors
            .iter()
            .map(|a| (a.node, a.span, a.name(tree).to_string()))
            .collect();
        let got_links: Vec<_> = xep
            .links
            .iter()
            .map(|l| (l.node, l.span, l.url(tree).to_string()))
            .collect();
        let got_examples: Vec<_> = xep.examples.iter().map(|e| (e.node, e.span)).collect();
        assert_eq!(got_anchors, anchors, "anchors of {what}");
        assert_eq!(got_links, links, "links of {what}");
        assert_eq!(got_examples, examples, "examples of {what}");
    }

    /// Every document of the fixtures (and of the corpus, when present).
    #[test]
    fn walk_finds_the_former_marks() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![here.join("fixtures")];
        let corpus = here.join("../shared/corpus");
        if corpus.join("xep.dtd").is_file() {
            dirs.push(corpus);
        }
        let (inputs, _) = crate::check::collect_inputs(&dirs);
        let session = crate::check::Session::new(Default::default());
        let mut docs = 0;
        for input in inputs {
            let Ok(parsed) = session.parse(&input) else {
                continue;
            };
            docs += 1;
            marks_agree(&parsed.tree, &input.display);
        }
        assert!(docs > 5, "{docs} documents");
    }

    #[test]
    fn pi_pseudo_attributes() {
        assert_eq!(
            pseudo_attr("type='text/xsl' href='xep.xsl'", "href").as_deref(),
            Some("xep.xsl")
        );
        assert_eq!(
            pseudo_attr("href=\"a.xsl\"", "href").as_deref(),
            Some("a.xsl")
        );
        assert_eq!(pseudo_attr("xhref='x'", "href"), None);
    }
}
