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
        .map_or("", |a| tree.str(a.value))
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
    /// Pieces of text of the element whose value is being read (kept for the
    /// next element with more than one piece).
    pieces: std::cell::RefCell<Vec<&'a str>>,
}

impl<'a> Builder<'a> {
    #[inline]
    fn pos(&self, span: Span) -> Pos {
        if !self.positions {
            return Pos { line: 0, column: 0 };
        }
        match &self.doc {
            Some((id, f)) if *id == span.file => f.line_col(span.start as usize).into(),
            _ => self
                .sources
                .get(span.file)
                .map_or(Pos { line: 1, column: 1 }, |f| {
                    f.line_col(span.start as usize).into()
                }),
        }
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
            .map(|e| String::from(e.name.as_str()))
    }

    /// The trimmed text of an element, where a reader sees it, and whence it
    /// came. For a plain element (not from an entity) the span is that of its
    /// content when there is some (see [`Builder::content_span`]).
    fn field(&self, node: NodeId) -> Field {
        let tree = self.tree;
        let Some(n) = tree.node(node) else {
            let span = Span::default();
            return Field {
                value: CompactString::default(),
                span,
                node: Some(node),
                origin: None,
                pos: self.pos(span),
                entity: None,
            };
        };
        let origin = n.origin;
        let mut span = tree.outer_reference(origin).unwrap_or(n.span);
        // The usual case: one piece of text (as `Tree::trimmed_text` takes it).
        let value = if let Some(only) = n.first_child
            && n.last_child == Some(only)
            && let Some(c) = tree.node(only)
            && let NodeKind::Text(t) | NodeKind::CData(t) = &c.kind
        {
            let value = trim(tree.str(*t));
            // `content_span` of this one child: white space alone is no content.
            if origin.is_none() && (matches!(c.kind, NodeKind::CData(_)) || !value.is_empty()) {
                span = self.trim_span(tree.outer_reference(c.origin).unwrap_or(c.span));
            }
            CompactString::new(value)
        } else {
            if origin.is_none()
                && let Some(s) = self.content_span(node)
            {
                span = s;
            }
            self.joined_text(node)
        };
        Field {
            value,
            span,
            node: Some(node),
            origin,
            pos: self.pos(span),
            entity: self.origin_entity(origin),
        }
    }

    /// [`Tree::trimmed_text`] of an element with more than one piece of text
    /// (or none), copied once.
    fn joined_text(&self, node: NodeId) -> CompactString {
        let Ok(mut pieces) = self.pieces.try_borrow_mut() else {
            return CompactString::from(self.tree.trimmed_text(node));
        };
        pieces.clear();
        self.tree.for_each_text(node, &mut |p| pieces.push(p));
        // White space is trimmed from the whole: leading pieces of white
        // space alone go, and so do trailing ones.
        let Some(first) = pieces.iter().position(|p| !trim_start(p).is_empty()) else {
            return CompactString::default();
        };
        let last = pieces
            .iter()
            .rposition(|p| !trim_end(p).is_empty())
            .unwrap_or(first);
        let Some(run) = pieces.get(first..=last) else {
            return CompactString::from(self.tree.trimmed_text(node));
        };
        let n = run.len();
        let piece = |k: usize, p: &'a str| {
            let p = if k == 0 { trim_start(p) } else { p };
            if k + 1 == n { trim_end(p) } else { p }
        };
        let len: usize = run.iter().enumerate().map(|(k, p)| piece(k, p).len()).sum();
        let mut out = CompactString::with_capacity(len);
        for (k, p) in run.iter().enumerate() {
            out.push_str(piece(k, p));
        }
        out
    }

    /// The span of an element's trimmed text content (or of its first child
    /// reference), when it lies in the document.
    fn content_span(&self, node: NodeId) -> Option<Span> {
        let tree = self.tree;
        let n = tree.node(node)?;
        let mut first: Option<Span> = None;
        let mut last: Option<Span> = None;
        let mut next = n.first_child;
        while let Some(c) = next {
            let cn = tree.node(c)?;
            next = cn.next_sibling;
            match &cn.kind {
                NodeKind::Text(t) if trim(tree.str(*t)).is_empty() => continue,
                NodeKind::Text(_) | NodeKind::CData(_) | NodeKind::Element(_) => {}
                _ => continue,
            }
            let s = tree.outer_reference(cn.origin).unwrap_or(cn.span);
            first.get_or_insert(s);
            last = Some(s);
        }
        let (a, b) = (first?, last?);
        Some(self.trim_span(a.to(b)))
    }

    /// A span without the white space at its ends (in its file's text).
    fn trim_span(&self, mut span: Span) -> Span {
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
            let lead = text.len() - trim_start(text).len();
            let trail = text.len() - trim_end(text).len();
            if lead + trail < text.len() {
                span.start += lead as u32;
                span.end -= trail as u32;
            }
        }
        span
    }

    fn author(&self, id: NodeId) -> Author {
        let span = self.tree.document_span(id).unwrap_or_default();
        let [firstname, surname, org, email, jid, uri] =
            self.first_fields(id, ["firstname", "surname", "org", "email", "jid", "uri"]);
        Author {
            firstname,
            surname,
            org,
            email,
            jid,
            uri,
            span,
            node: id,
            pos: self.pos(span),
            entity: self.entity_of(id),
        }
    }

    /// The field of the first child element of each name in `names`, read
    /// in one pass over the children.
    fn first_fields<const N: usize>(&self, id: NodeId, names: [&str; N]) -> [Option<Field>; N] {
        let mut out = [const { None }; N];
        for (c, e) in self.tree.child_elements(id) {
            if let Some(k) = names.iter().position(|n| *n == self.tree.name(e))
                && let Some(slot) = out.get_mut(k)
                && slot.is_none()
            {
                *slot = Some(self.field(c));
            }
        }
        out
    }

    fn revision(&self, id: NodeId) -> Revision {
        let span = self.tree.document_span(id).unwrap_or_default();
        let [version, date, initials, remark] =
            self.first_fields(id, ["version", "date", "initials", "remark"]);
        Revision {
            version,
            date,
            initials,
            remark,
            span,
            node: id,
            pos: self.pos(span),
        }
    }

    fn schemaloc(&self, id: NodeId) -> SchemaLoc {
        let [ns, url] = self.first_fields(id, ["ns", "url"]);
        SchemaLoc { ns, url }
    }

    fn specs(&self, parent: Option<NodeId>) -> Vec<Field> {
        parent
            .map(|p| {
                self.tree
                    .child_elements(p)
                    .filter(|(_, e)| self.tree.name(e) == "spec")
                    .map(|(id, _)| self.field(id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An attribute of element `n` (node `node`) as a field.
    fn attr_field(&self, node: NodeId, n: &crate::xml::Node, a: &crate::xml::Attribute) -> Field {
        let span = attr_span_of(self.tree, n, a);
        Field {
            value: CompactString::from(self.tree.str(a.value)),
            span,
            node: Some(node),
            origin: n.origin,
            pos: self.pos(span),
            entity: self.origin_entity(n.origin),
        }
    }

    fn section(&self, id: NodeId, level: u8, depth: usize) -> Section {
        let tree = self.tree;
        let node = tree.node(id);
        let span = match node {
            Some(n) => tree.outer_reference(n.origin).unwrap_or(n.span),
            None => Span::default(),
        };
        const NAMES: [&str; 9] = [
            "section1", "section2", "section3", "section4", "section5", "section6", "section7",
            "section8", "section9",
        ];
        let child_name = NAMES.get(usize::from(level)).copied().unwrap_or("");
        let mut children = Vec::new();
        if depth < 8
            && let Some(n) = node
        {
            let mut next = n.first_child;
            while let Some(c) = next {
                let Some(cn) = tree.node(c) else { break };
                next = cn.next_sibling;
                if let NodeKind::Element(e) = &cn.kind
                    && tree.name(e) == child_name
                {
                    children.push(self.section(c, level + 1, depth + 1));
                }
            }
        }
        // The first `topic` and `anchor` attributes, in one pass.
        let (mut topic, mut anchor) = (None, None);
        if let Some(n) = node
            && let NodeKind::Element(e) = &n.kind
        {
            for a in tree.attributes(e) {
                match tree.str(a.name) {
                    "topic" if topic.is_none() => topic = Some(self.attr_field(id, n, a)),
                    "anchor" if anchor.is_none() => anchor = Some(self.attr_field(id, n, a)),
                    _ => {}
                }
            }
        }
        Section {
            level,
            topic,
            anchor,
            span,
            node: id,
            pos: self.pos(span),
            children,
        }
    }
}

/// Whether a byte is an ASCII character that `char::is_whitespace` accepts.
#[inline]
fn ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// [`str::trim_start`], without decoding when the text starts with a
/// character below 128 that is not white space.
#[inline]
fn trim_start(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(&b) if b < 0x80 && !ascii_space(b) => s,
        None => s,
        _ => s.trim_start(),
    }
}

/// [`str::trim_end`], likewise.
#[inline]
fn trim_end(s: &str) -> &str {
    match s.as_bytes().last() {
        Some(&b) if b < 0x80 && !ascii_space(b) => s,
        None => s,
        _ => s.trim_end(),
    }
}

/// [`str::trim`], likewise.
#[inline]
fn trim(s: &str) -> &str {
    trim_end(trim_start(s))
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
        pieces: std::cell::RefCell::new(Vec::new()),
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
            && let NodeKind::Pi { target, data } = n.kind
            && tree.str(target) == "xml-stylesheet"
            && xep.stylesheet.is_none()
        {
            xep.stylesheet = Some(pseudo_attr(tree.str(data), "href").unwrap_or_default());
            xep.stylesheet_span = Some(n.span);
        }
    }
    let Some(root) = tree.root else { return xep };
    let Some(root_el) = tree.element(root) else {
        return xep;
    };
    xep.is_xep = tree.name(root_el) == "xep";
    xep.root_span = tree.node(root).map(|n| n.span).unwrap_or_default();
    if let Some((h, _)) = tree.child(root, "header") {
        let hd = &mut xep.header;
        hd.node = Some(h);
        hd.span = tree.document_span(h).unwrap_or_default();
        for (id, e) in tree.child_elements(h) {
            match tree.name(e) {
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
                        .filter(|(_, e)| tree.name(e) == "tag")
                        .map(|(t, _)| b.field(t))
                        .collect()
                }
                "schemaloc" => hd.schemaloc.push(b.schemaloc(id)),
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
        .filter(|(_, e)| tree.name(e) == "section1")
        .map(|(id, _)| b.section(id, 1, 0))
        .collect();
    // Anchors, links and examples anywhere.
    marks(tree, root, &mut xep);
    xep
}

/// Gather the anchors, links and examples below `root` in document order.
fn marks(tree: &Tree, root: NodeId, xep: &mut Xep) {
    walk(tree, root, |id, n| {
        mark(tree, id.index(), n, xep);
    });
}

/// Record node `i` (`n`) if it holds an anchor, or is a link or an example:
/// returns whether it was recorded.
#[inline]
fn mark(tree: &Tree, i: usize, n: &crate::xml::Node, xep: &mut Xep) -> bool {
    let NodeKind::Element(e) = &n.kind else {
        return false;
    };
    let found = find_marks(tree, e);
    if found == Marks::default() {
        return false;
    }
    record(tree, i, n, found, xep);
    true
}

/// What makes an element a mark: the place of its first `anchor` attribute
/// when that is not empty, and of its `url` attribute when it is a `<link>`,
/// and whether it is an `<example>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Marks {
    anchor: Option<usize>,
    url: Option<usize>,
    example: bool,
}

/// The [`Marks`] of an element: one look at its name, and at its attributes
/// when it has any.
#[inline(always)]
fn find_marks(tree: &Tree, e: &crate::xml::Element) -> Marks {
    let attrs = if e.attributes.is_empty() {
        &[]
    } else {
        tree.attributes(e)
    };
    let anchor = match find_attr(tree, attrs, "anchor") {
        Some((k, a)) if !a.value.is_empty() => Some(k),
        _ => None,
    };
    let (url, example) = match tree.name(e) {
        "link" => (find_attr(tree, attrs, "url").map(|(k, _)| k), false),
        "example" => (None, true),
        _ => (None, false),
    };
    Marks {
        anchor,
        url,
        example,
    }
}

/// Record the marks of node `i` (`n`).
#[inline(never)]
fn record(tree: &Tree, i: usize, n: &crate::xml::Node, found: Marks, xep: &mut Xep) {
    let attrs = match &n.kind {
        NodeKind::Element(e) => tree.attributes(e),
        _ => &[],
    };
    let node = NodeId::from_index(i);
    if let Some(k) = found.anchor
        && let Some(a) = attrs.get(k)
    {
        xep.anchors.push(Anchor {
            span: attr_span_of(tree, n, a),
            node,
            attr: k,
        });
    }
    if let Some(k) = found.url
        && let Some(a) = attrs.get(k)
    {
        xep.links.push(Link {
            span: attr_span_of(tree, n, a),
            node,
            attr: k,
        });
    }
    if found.example {
        xep.examples.push(Example {
            node,
            // `document_span` of the node.
            span: tree.outer_reference(n.origin).unwrap_or(n.span),
        });
    }
}

/// The first attribute with this name, and its place.
#[inline]
fn find_attr<'t>(
    tree: &Tree,
    attrs: &'t [crate::xml::Attribute],
    name: &str,
) -> Option<(usize, &'t crate::xml::Attribute)> {
    attrs
        .iter()
        .enumerate()
        .find(|(_, a)| tree.str(a.name) == name)
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

    /// The quick trims are `str`'s.
    #[test]
    fn trims_as_str_does() {
        for b in 0u8..128 {
            assert_eq!(ascii_space(b), char::from(b).is_whitespace(), "byte {b}");
        }
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\u{a0}a\u{a0}",
            "a\u{2003}",
            "\u{85}x",
            "x\u{85}",
            "\u{3000}",
            "\t\r\n\x0b\x0cb\x0c",
            "é",
            " é ",
            "\u{1c}x\u{1f}",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(trim_start(s), s.trim_start(), "{s:?}");
            assert_eq!(trim_end(s), s.trim_end(), "{s:?}");
        }
    }

    /// Field values of elements with several pieces of text are
    /// `Tree::trimmed_text`.
    #[test]
    fn joined_text_is_trimmed_text() {
        let session = crate::check::Session::new(Default::default());
        let doc = "<xep><header><title> <![CDATA[ a ]]> b <x/> <y>c </y>\u{a0}</title>\
                   <abstract>\n <!-- c --> \n</abstract><number><![CDATA[  ]]> </number>\
                   <status><x>one</x></status><type/></header></xep>";
        let mut input = crate::check::Input::file("/nonexistent/t.xml");
        input.bytes = Some(doc.as_bytes().to_vec());
        let parsed = session.parse(&input).unwrap();
        let tree = &parsed.tree;
        let xep = build_for_rules(tree, &SourceMap::new(), "t.xml");
        let h = &xep.header;
        for f in [&h.title, &h.abstract_, &h.number, &h.status, &h.type_] {
            let f = f.as_ref().unwrap();
            let node = f.node.unwrap();
            assert_eq!(f.value.as_str(), tree.trimmed_text(node), "{node:?}");
        }
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
