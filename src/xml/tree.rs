//! The document tree: an arena of nodes, each with a span and, when it came
//! from an entity expansion, the expansion that produced it.
//!
//! Built for a corpus of hundreds of documents per run: every string of a
//! tree (element and attribute names, attribute values, text, comments,
//! processing instructions) is kept in one text arena and referred to by a
//! [`TextRef`], so that a node is plain data of 68 bytes that needs no
//! dropping, and children are linked through the arena instead of each
//! element owning a vector.

use crate::source::piece;
use crate::source::{FileId, Span};
pub use compact_str::CompactString;
use std::num::NonZeroU32;

/// A node of a [`Tree`]: its index in the arena, stored plus one so that an
/// `Option<NodeId>` takes four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(NonZeroU32);

/// An [`Expansion`] of a [`Tree`], stored like [`NodeId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpId(NonZeroU32);

fn plus_one(index: usize) -> NonZeroU32 {
    u32::try_from(index.saturating_add(1))
        .ok()
        .and_then(NonZeroU32::new)
        .unwrap_or(NonZeroU32::MAX)
}

impl NodeId {
    pub fn from_index(index: usize) -> NodeId {
        NodeId(plus_one(index))
    }

    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

impl ExpId {
    pub fn from_index(index: usize) -> ExpId {
        ExpId(plus_one(index))
    }

    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// One expansion of a general entity reference.
#[derive(Debug, Clone)]
pub struct Expansion {
    /// Entity name, without `&` and `;`.
    pub name: CompactString,
    /// The `&name;` reference (in the document, or in an outer entity's text).
    pub reference: Span,
    /// The entity's name in its `<!ENTITY>` declaration.
    pub definition: Span,
    /// The expansion whose text holds `reference`, for nested entities.
    pub parent: Option<ExpId>,
}

/// An attribute; read its name and value with [`Tree::str`].
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub name: TextRef,
    /// Normalized: references resolved, white space turned into spaces.
    pub value: TextRef,
    pub name_span: Span,
    /// The value between the quotes.
    pub value_span: Span,
}

/// An element; read its name with [`Tree::name`].
#[derive(Debug, Clone, Copy)]
pub struct Element {
    pub name: TextRef,
    /// Where its attributes sit in the tree's attribute arena: read them
    /// with [`Tree::attributes`] or [`Tree::attr`].
    pub attributes: AttrRange,
    /// The file of the start tag, and of the end tag: an element starts and
    /// ends in the same entity.
    file: FileId,
    /// Where the name starts in the start tag (it is `name.len()` long).
    name_at: u32,
    /// The end tag, start and end (`u32::MAX` twice: none, for `<x/>` or
    /// when it never came).
    end: (u32, u32),
}

impl Element {
    /// An element whose name is `name`, written at `name_span`; no end tag
    /// yet.
    pub fn new(name: TextRef, attributes: AttrRange, name_span: Span) -> Element {
        Element {
            name,
            attributes,
            file: name_span.file,
            name_at: name_span.start,
            end: (u32::MAX, u32::MAX),
        }
    }

    /// The name in the start tag.
    pub fn name_span(&self) -> Span {
        Span {
            file: self.file,
            start: self.name_at,
            end: self.name_at.saturating_add(self.name.len),
        }
    }

    /// The end tag (`None` for `<x/>` or when it never came).
    pub fn end_span(&self) -> Option<Span> {
        (self.end != (u32::MAX, u32::MAX)).then_some(Span {
            file: self.file,
            start: self.end.0,
            end: self.end.1,
        })
    }

    /// Record the end tag, which must be in the start tag's file (else it is
    /// not kept).
    pub fn set_end_span(&mut self, span: Span) {
        if span.file == self.file && (span.start, span.end) != (u32::MAX, u32::MAX) {
            self.end = (span.start, span.end);
        }
    }
}

/// A run of one of the tree's arenas: where it starts and how long it is.
/// Each arena has its own type, so that a run of one cannot index another.
macro_rules! arena_run {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name {
            start: u32,
            len: u32,
        }

        impl $name {
            pub fn new(start: usize, len: usize) -> $name {
                $name {
                    start: u32::try_from(start).unwrap_or(u32::MAX),
                    len: u32::try_from(len).unwrap_or(0),
                }
            }

            /// Start and length in the arena.
            pub fn bounds(self) -> (usize, usize) {
                (self.start as usize, self.len as usize)
            }

            pub fn len(self) -> usize {
                self.len as usize
            }

            pub fn is_empty(self) -> bool {
                self.len == 0
            }
        }
    };
}

arena_run!(
    /// The attributes of one element, in the tree's attribute arena.
    AttrRange
);

arena_run!(
    /// A string kept in the tree's text arena: read it with [`Tree::str`].
    TextRef
);

impl TextRef {
    /// The same string in an arena whose copy of it starts `base` bytes
    /// further on.
    pub fn moved_by(self, base: usize) -> TextRef {
        TextRef::new(self.start as usize + base, self.len as usize)
    }

    /// The same string counted from `from` on, when it starts there or
    /// after and ends by `to`.
    pub fn relative_to(self, from: usize, to: usize) -> Option<TextRef> {
        let start = (self.start as usize).checked_sub(from)?;
        (self.start as usize + self.len as usize <= to)
            .then(|| TextRef::new(start, self.len as usize))
    }
}

#[derive(Debug, Clone, Copy)]
pub enum NodeKind {
    Element(Element),
    /// Character data with references resolved.
    Text(TextRef),
    CData(TextRef),
    Comment(TextRef),
    Pi {
        target: TextRef,
        data: TextRef,
    },
}

// Every stage walks the node arena: keep a node in 68 bytes (it was 96 when
// names were inline strings).
const _: () = assert!(std::mem::size_of::<Node>() <= 68);

#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub kind: NodeKind,
    pub parent: Option<NodeId>,
    pub(crate) first_child: Option<NodeId>,
    pub(crate) last_child: Option<NodeId>,
    pub(crate) next_sibling: Option<NodeId>,
    /// For an element, its start tag; for others, the whole node.
    pub span: Span,
    /// The innermost entity expansion this node came from.
    pub origin: Option<ExpId>,
}

/// The DOCTYPE declaration as written.
#[derive(Debug, Clone)]
pub struct Doctype {
    pub name: String,
    pub system: Option<String>,
    pub public: Option<String>,
    /// The whole `<!DOCTYPE …>`.
    pub span: Span,
    /// The SYSTEM literal (between quotes), when there is one.
    pub system_span: Option<Span>,
}

#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub expansions: Vec<Expansion>,
    /// The document element.
    pub root: Option<NodeId>,
    /// Comments and PIs outside the document element, in order.
    pub misc: Vec<NodeId>,
    pub doctype: Option<Doctype>,
    /// The text of every text and CDATA node, one after the other.
    text: String,
    /// The attributes of every element, element after element.
    attrs: Vec<Attribute>,
}

/// Node arenas of dropped trees, kept per thread for the next document: a
/// fresh arena costs a page fault per 4 KiB touched, which was about a tenth
/// of parsing. At most one spare per thread, of bounded size.
mod spare {
    use super::{Attribute, Node};
    use std::cell::RefCell;

    /// Arenas with room for more nodes than this are let go.
    const MAX_NODES: usize = 1 << 16;

    /// Text arenas larger than this are let go.
    const MAX_TEXT: usize = 1 << 22;

    type Arenas = (Vec<Node>, String, Vec<Attribute>);

    thread_local! {
        static SPARE: RefCell<Option<Arenas>> = const { RefCell::new(None) };
    }

    /// Empty arenas with room for at least `nodes` nodes and `text` bytes.
    pub fn take(nodes: usize, text: usize) -> Arenas {
        let spare = SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.take()))
            .ok()
            .flatten();
        match spare {
            Some((mut v, mut t, a)) => {
                v.reserve(nodes);
                t.reserve(text);
                (v, t, a)
            }
            None => (
                Vec::with_capacity(nodes),
                String::with_capacity(text),
                Vec::with_capacity(nodes / 2),
            ),
        }
    }

    pub fn give(mut nodes: Vec<Node>, mut text: String, mut attrs: Vec<Attribute>) {
        if nodes.capacity() > MAX_NODES
            || text.capacity() > MAX_TEXT
            || attrs.capacity() > MAX_NODES
        {
            return;
        }
        nodes.clear();
        text.clear();
        attrs.clear();
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = Some((nodes, text, attrs));
            }
        });
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        spare::give(
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.attrs),
        );
    }
}

impl Node {
    pub fn new(kind: NodeKind, parent: Option<NodeId>, span: Span, origin: Option<ExpId>) -> Node {
        Node {
            kind,
            parent,
            first_child: None,
            last_child: None,
            next_sibling: None,
            span,
            origin,
        }
    }
}

impl Tree {
    /// An empty tree with room for `nodes` nodes and `text` bytes of text.
    pub fn with_capacity(nodes: usize, text: usize) -> Tree {
        let mut tree = Tree::default();
        (tree.nodes, tree.text, tree.attrs) = spare::take(nodes, text);
        tree
    }

    /// The characters of a string of the tree: an element's or attribute's
    /// name, an attribute's value, text, a comment, a PI's target or data.
    pub fn str(&self, t: TextRef) -> &str {
        let start = t.start as usize;
        piece(&self.text, start..start + t.len as usize)
    }

    /// How many bytes the text arena holds.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The text arena from `start` on.
    pub fn text_from(&self, start: usize) -> &str {
        piece(&self.text, start..)
    }

    /// Add a block of strings at the end of the text arena: returns where it
    /// starts (see [`TextRef::moved_by`]).
    pub fn add_block(&mut self, block: &str) -> usize {
        let start = self.text.len();
        self.text.push_str(block);
        start
    }

    /// Store a string; see [`Tree::extend_text`] to add to the last.
    pub fn add_text(&mut self, s: &str) -> TextRef {
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(s);
        TextRef {
            start,
            len: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    /// Append to `t` when it is the last text stored (else store anew the
    /// concatenation): returns the longer text.
    pub fn extend_text(&mut self, t: TextRef, s: &str) -> TextRef {
        if t.start as usize + t.len as usize == self.text.len() {
            self.text.push_str(s);
            TextRef {
                start: t.start,
                len: u32::try_from(t.len as usize + s.len()).unwrap_or(t.len),
            }
        } else {
            let joined = format!("{}{s}", self.str(t));
            self.add_text(&joined)
        }
    }

    /// Store the attributes of an element still being read: each call adds
    /// one; [`Tree::attrs_since`] gives the range of those added since `start`
    /// (a [`Tree::attr_count`] taken before the first).
    pub fn add_attr(&mut self, a: Attribute) {
        self.attrs.push(a);
    }

    /// How many attributes the tree holds so far.
    pub fn attr_count(&self) -> usize {
        self.attrs.len()
    }

    /// The attributes added since `start`, as a range to store in an element.
    pub fn attrs_since(&self, start: usize) -> AttrRange {
        let start = start.min(self.attrs.len());
        AttrRange {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(self.attrs.len() - start).unwrap_or(0),
        }
    }

    /// Attributes stored from `start` on (those of the element being read).
    pub fn attrs_from(&self, start: usize) -> &[Attribute] {
        self.attrs.get(start..).unwrap_or(&[])
    }

    /// An element's attributes, in the order written.
    pub fn attributes(&self, e: &Element) -> &[Attribute] {
        let start = e.attributes.start as usize;
        self.attrs
            .get(start..start + e.attributes.len as usize)
            .unwrap_or(&[])
    }

    /// An element's attribute by name.
    pub fn attr(&self, e: &Element, name: &str) -> Option<&Attribute> {
        self.attributes(e).iter().find(|a| self.str(a.name) == name)
    }

    /// An element's name.
    pub fn name(&self, e: &Element) -> &str {
        self.str(e.name)
    }

    /// The name of the element `id` ("" for other nodes).
    pub fn element_name(&self, id: NodeId) -> &str {
        self.element(id).map_or("", |e| self.str(e.name))
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// Add a node as the last child of its parent (or as a parentless node).
    pub fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId::from_index(self.nodes.len());
        let parent = node.parent;
        self.nodes.push(node);
        if let Some(p) = parent {
            let prev = match self.nodes.get_mut(p.index()) {
                Some(pn) => {
                    let prev = pn.last_child.replace(id);
                    if prev.is_none() {
                        pn.first_child = Some(id);
                    }
                    prev
                }
                None => None,
            };
            if let Some(prev) = prev
                && let Some(pn) = self.nodes.get_mut(prev.index())
            {
                pn.next_sibling = Some(id);
            }
        }
        id
    }

    /// The children of a node, in document order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            tree: self,
            next: self.node(id).and_then(|n| n.first_child),
        }
    }

    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        self.node(id)?.first_child
    }

    pub fn last_child(&self, id: NodeId) -> Option<NodeId> {
        self.node(id)?.last_child
    }

    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.node(id)?.next_sibling
    }

    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.node(id)?.kind {
            NodeKind::Element(e) => Some(e),
            _ => None,
        }
    }

    pub fn expansion(&self, id: ExpId) -> Option<&Expansion> {
        self.expansions.get(id.index())
    }

    /// The expansion chain of a node, innermost first.
    pub fn origin_chain(&self, origin: Option<ExpId>) -> Vec<&Expansion> {
        let mut out = Vec::new();
        let mut cur = origin;
        while let Some(e) = cur.and_then(|id| self.expansion(id)) {
            out.push(e);
            cur = e.parent;
            if out.len() > 64 {
                break;
            }
        }
        out
    }

    /// The outermost expansion of a chain: the one whose reference is in the
    /// document.
    pub fn outer_expansion(&self, origin: Option<ExpId>) -> Option<&Expansion> {
        let mut last = None;
        let mut cur = origin;
        // The same bound as `origin_chain`: 65 links at most.
        for _ in 0..65 {
            let Some(e) = cur.and_then(|id| self.expansion(id)) else {
                break;
            };
            last = Some(e);
            cur = e.parent;
        }
        last
    }

    /// The outermost `&name;` reference in the document of an expansion chain.
    pub fn outer_reference(&self, origin: Option<ExpId>) -> Option<Span> {
        self.outer_expansion(origin).map(|e| e.reference)
    }

    /// The outermost reference in the document for a node from an expansion:
    /// where a reader of the document sees it.
    pub fn document_span(&self, id: NodeId) -> Option<Span> {
        let node = self.node(id)?;
        Some(self.outer_reference(node.origin).unwrap_or(node.span))
    }

    /// Element children of a node.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &Element)> + '_ {
        self.children(id)
            .filter_map(move |c| self.element(c).map(|e| (c, e)))
    }

    /// The first child element with this name.
    pub fn child(&self, id: NodeId, name: &str) -> Option<(NodeId, &Element)> {
        self.child_elements(id)
            .find(|(_, e)| self.str(e.name) == name)
    }

    /// All text below a node (text and CDATA), concatenated.
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.for_each_text(id, &mut |t| out.push_str(t));
        out
    }

    /// Each piece of text below a node (text and CDATA), in document order
    /// (the pieces [`Tree::text`] joins); elements nested deeper than 4 096
    /// levels are not entered.
    pub fn for_each_text<'t>(&'t self, id: NodeId, f: &mut impl FnMut(&'t str)) {
        self.visit_text(id, f, 0);
    }

    /// [`Tree::text`] without leading and trailing white space, in one
    /// allocation.
    pub fn trimmed_text(&self, id: NodeId) -> String {
        // The usual case: an element holding one piece of text.
        if let Some(n) = self.node(id)
            && let Some(only) = n.first_child
            && n.last_child == Some(only)
            && let Some(NodeKind::Text(t) | NodeKind::CData(t)) = self.node(only).map(|c| &c.kind)
        {
            return self.str(*t).trim().to_string();
        }
        let mut out = self.text(id);
        let end = out.trim_end().len();
        out.truncate(end);
        let lead = out.len() - out.trim_start().len();
        out.drain(..lead);
        out
    }

    fn visit_text<'t>(&'t self, id: NodeId, f: &mut impl FnMut(&'t str), depth: usize) {
        let Some(node) = self.node(id) else { return };
        match &node.kind {
            NodeKind::Text(t) | NodeKind::CData(t) => f(self.str(*t)),
            NodeKind::Element(_) => {
                if depth > 4096 {
                    return;
                }
                for c in self.children(id) {
                    self.visit_text(c, f, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Every node in document order, depth first, without recursion.
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants {
            tree: self,
            start: id,
            stack: vec![id],
        }
    }
}

pub struct Children<'a> {
    tree: &'a Tree,
    next: Option<NodeId>,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.next?;
        self.next = self.tree.node(id).and_then(|n| n.next_sibling);
        Some(id)
    }
}

/// Pre-order walk: the stack holds the next sibling to visit at each level.
pub struct Descendants<'a> {
    tree: &'a Tree,
    start: NodeId,
    stack: Vec<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.stack.pop()?;
        if let Some(n) = self.tree.node(id) {
            if let Some(s) = n.next_sibling
                && id != self.start
            {
                self.stack.push(s);
            }
            if let Some(c) = n.first_child {
                self.stack.push(c);
            }
        }
        Some(id)
    }
}

impl Tree {
    /// Re-target a finding about something that came from an entity expansion:
    /// the primary label moves to the outermost `&name;` reference in the
    /// document, the original place becomes a secondary label, and a note per
    /// expansion level says where the entity is defined.
    pub fn in_document(
        &self,
        mut d: crate::diag::Diagnostic,
        origin: Option<ExpId>,
    ) -> crate::diag::Diagnostic {
        let chain = self.origin_chain(origin);
        let Some(outer) = chain.last() else { return d };
        let inner = d.primary.clone();
        d.primary.span = outer.reference;
        if inner.span != outer.reference {
            let msg = if inner.message.is_empty() {
                "here".to_string()
            } else {
                inner.message.clone()
            };
            d.primary.message = if inner.message.is_empty() {
                format!("in the expansion of `&{};`", outer.name)
            } else {
                format!("{} (in the expansion of `&{};`)", inner.message, outer.name)
            };
            d.secondary.insert(
                0,
                crate::diag::Label {
                    span: inner.span,
                    message: msg,
                },
            );
        }
        for e in chain.iter() {
            d = d.note_at(e.definition, format!("`&{};` is defined here", e.name));
        }
        d
    }
}
