//! The XML layer: quick-xml tokenizes; this module builds the [`Tree`], checks
//! well-formedness, reads the DOCTYPE and expands entities, keeping for every
//! node the place it came from.

use super::tree::*;
use crate::diag::{Diagnostic, Edit, Fix, RuleInfo, Severity};
use crate::dtd::decl::{
    Decl, EntityDecl, EntityValue, Subset, char_ref_value, is_name, is_name_char, is_name_start,
    is_xml_char, parse_decls,
};
use crate::gate::Place;
use crate::load::{Chosen, ExtFile, Loader, display_join, refusal_diagnostic};
use crate::source::{FileId, Span};
use crate::source::{ceil_char, floor_char, piece};
use crate::xml::rules::{
    XML_BAD_ATTRIBUTE, XML_BAD_COMMENT, XML_BAD_NAME, XML_BARE_AMPERSAND, XML_CONTENT_AFTER_ROOT,
    XML_DEPTH_LIMIT, XML_DUPLICATE_ATTRIBUTE, XML_ENCODING, XML_ENTITY_LIMIT, XML_INVALID_CHAR,
    XML_MISMATCHED_TAG, XML_MISPLACED_DECLARATION, XML_NO_ROOT, XML_SYNTAX, XML_TEXT_OUTSIDE_ROOT,
    XML_TOO_MANY_ERRORS, XML_UNCLOSED_TAG, XML_UNESCAPED_LT, XML_UNEXPECTED_END_TAG,
    XML_UNTERMINATED,
};
use foldhash::{HashMap, HashMapExt};
use quick_xml::Reader;
use quick_xml::events::Event;
use quick_xml::parser::{ElementParser, Parser as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod doctype;
mod entities;
mod replay;
mod scan;

use scan::*;

/// Limits that keep hostile input bounded.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Deepest entity-inside-entity nesting.
    pub max_entity_depth: usize,
    /// Total bytes of replacement text expanded in one document. Each
    /// expansion also counts [`EXPANSION_COST`] bytes, and each node an
    /// expansion adds to the tree [`NODE_COST`]: what they take in memory, so
    /// that many tiny expansions or nodes are bounded as well.
    pub max_expanded_bytes: usize,
    /// Expanded bytes allowed per byte of the document (amplification), beyond
    /// `max_expanded_bytes / 16`.
    pub max_amplification: usize,
    /// Well-formedness errors reported per document before giving up.
    pub max_errors: usize,
}

/// What one entity expansion counts against [`Limits::max_expanded_bytes`].
pub const EXPANSION_COST: usize = 64;
/// What one node made by an entity expansion counts against
/// [`Limits::max_expanded_bytes`].
pub const NODE_COST: usize = 128;

impl Default for Limits {
    fn default() -> Limits {
        use crate::limits::*;
        Limits {
            max_depth: MAX_DEPTH,
            max_entity_depth: MAX_ENTITY_DEPTH,
            max_expanded_bytes: MAX_EXPANDED_BYTES,
            max_amplification: MAX_AMPLIFICATION,
            max_errors: MAX_XML_ERRORS,
        }
    }
}

/// How the parser finds external files.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Use this file for every external parameter entity of the internal
    /// subset (normally `%ents;` → `xep.ent`).
    pub entities: Option<Chosen>,
    pub limits: Limits,
    /// Parse the text of every entity reference, instead of copying what the
    /// first clean expansion of a shared entity gave (see [`ReplayStore`]). The
    /// result is the same; this is for tests and comparisons.
    pub no_replay: bool,
}

/// Where the document's external DTD stands.
#[derive(Debug, Clone)]
pub enum DtdRef {
    /// No DOCTYPE, or no SYSTEM id in it.
    None,
    Loaded(Arc<ExtFile>),
    /// Named but not loaded: the SYSTEM literal and why.
    Missing {
        span: Span,
        system: String,
        reason: String,
    },
}

/// A general entity as found in the document's scopes.
#[derive(Debug, Clone)]
pub enum EntRef {
    Local(Arc<EntityDecl>),
    Shared(Arc<ExtFile>, usize),
}

impl EntRef {
    pub fn decl(&self) -> Option<&EntityDecl> {
        match self {
            EntRef::Local(d) => Some(d),
            EntRef::Shared(f, i) => match f.decls.decls.get(*i) {
                Some(Decl::Entity(e)) => Some(e),
                _ => None,
            },
        }
    }
}

/// The result of parsing one document.
#[derive(Debug)]
pub struct Parsed {
    pub file: FileId,
    pub tree: Tree,
    pub diagnostics: Vec<Diagnostic>,
    /// `<!ELEMENT>` and `<!ATTLIST>` declared in the internal subset.
    pub internal_decls: Vec<Decl>,
    /// Files pulled in by parameter entities of the internal subset.
    pub included: Vec<Arc<ExtFile>>,
    pub dtd: DtdRef,
    /// False when an entity file could not be loaded: references to unknown
    /// entities are then not errors.
    pub entities_complete: bool,
    /// The document's text could not be read as UTF-8: nothing was parsed.
    pub undecodable: bool,
    /// A comment of the document itself starts with `xeplint-` (after white
    /// space): it may hold suppressions. Without one, there is nothing for
    /// [`crate::suppress`] to read.
    pub suppression_comments: bool,
}

/// Parse one document's bytes. `place` is where the document is: SYSTEM
/// ids lead from its folder, inside its project root (see [`crate::gate`]).
/// `path` is the document's path as given, `display` how it is shown.
pub fn parse_document(
    loader: &Loader,
    place: &Place,
    path: &Path,
    display: String,
    bytes: Vec<u8>,
    opts: &ParseOptions,
) -> Parsed {
    use crate::source::SourceFile;
    let (text, decode_error) = match crate::load::decode(bytes) {
        Ok(t) => (t, None),
        Err((at, msg)) => (String::new(), Some((at, msg))),
    };
    // The source map keeps the text; the parser reads that same copy.
    let text: Arc<String> = Arc::new(text);
    let display_dir = Path::new(&display)
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    let file = loader
        .sources
        .add(SourceFile::new(path.to_path_buf(), display, text.clone()));
    let mut p = Parser {
        loader,
        opts,
        file,
        place: place.clone(),
        display_dir,
        // About one node per 32 bytes of an XEP, counting what entities add:
        // reserve, rather than copy the arena as it doubles.
        tree: Tree::with_capacity(text.len() / 32 + 16, text.len()),
        diags: Vec::new(),
        errors: 0,
        stack: Vec::new(),
        scope: Scope {
            local_entities: HashMap::new(),
            shared: Vec::new(),
            internal_decls: Vec::new(),
            included: Vec::new(),
            dtd: DtdRef::None,
            entities_complete: true,
            unreferenced: Vec::new(),
        },
        expansion: Expanding {
            bytes: 0,
            doc_len: text.len(),
            active: Vec::new(),
            taint: false,
        },
        abort: false,
        root_closed: false,
        after_root_reported: false,
        seen_content: false,
        pending: None,
        truncated: false,
        suppression_comments: false,
    };
    if let Some((at, msg)) = decode_error {
        let d = Diagnostic::of(&XML_ENCODING, Span::point(file, 0), msg)
            .label(format!("problem at byte {at}"))
            .help("save the file as UTF-8");
        p.diags.push(d);
        return p.finish(true);
    }
    let frag = Frag::new(&text, file, None, None);
    let start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    p.content(&frag, start, true);
    if !p.abort && !p.truncated {
        p.flush_text();
        let end = text.len();
        for id in p.stack.drain(..).rev().collect::<Vec<_>>() {
            let (name, span) = p.element_name_span(id);
            let d = Diagnostic::of(
                &XML_UNCLOSED_TAG,
                span,
                format!("`<{name}>` is never closed"),
            )
            .label("this element has no end tag")
            .secondary(Span::point(file, end), "the file ends here")
            .help(format!("add `</{name}>` where the element should end"));
            p.push(d);
        }
        if p.tree.root.is_none() {
            let d = Diagnostic::of(
                &XML_NO_ROOT,
                Span::point(file, end),
                "the document has no root element",
            )
            .label("the file ends without any element")
            .help("an XEP is one `<xep>` element holding a `<header>` and sections");
            p.push(d);
        }
    }
    p.finish(false)
}

struct Frag<'a> {
    text: &'a str,
    file: FileId,
    decl: Option<&'a EntityDecl>,
    origin: Option<ExpId>,
}

impl<'a> Frag<'a> {
    fn new(
        text: &'a str,
        file: FileId,
        decl: Option<&'a EntityDecl>,
        origin: Option<ExpId>,
    ) -> Frag<'a> {
        Frag {
            text,
            file,
            decl,
            origin,
        }
    }

    #[inline]
    fn pos(&self, off: usize) -> usize {
        match self.decl {
            None => off,
            Some(d) => d.source_offset(off).unwrap_or(match &d.value {
                EntityValue::Internal { span, .. } => span.start as usize,
                EntityValue::External { .. } => d.span.start as usize,
            }),
        }
    }

    /// The span of `text[a..b]`, widened to whole characters.
    #[inline(always)]
    fn span(&self, a: usize, b: usize) -> Span {
        let a = floor_char(self.text, a);
        let b = ceil_char(self.text, b);
        if self.decl.is_none() {
            // The document's own text: offsets are source offsets.
            return Span::new(self.file, a, b.max(a));
        }
        self.entity_span(a, b)
    }

    /// [`Frag::span`] in an entity's text, mapped back to where it was written.
    #[inline(never)]
    fn entity_span(&self, a: usize, b: usize) -> Span {
        let sa = self.pos(a);
        let sb = if b > a { self.pos(b) } else { sa };
        Span::new(self.file, sa, sb.max(sa))
    }
}

struct Pending {
    text: TextRef,
    span: Span,
    origin: Option<ExpId>,
    parent: Option<NodeId>,
}

struct Parser<'l> {
    loader: &'l Loader,
    opts: &'l ParseOptions,
    file: FileId,
    /// Where the document is: SYSTEM ids lead from there.
    place: Place,
    /// The folder of the document as shown: files it names are shown from it.
    display_dir: PathBuf,
    tree: Tree,
    diags: Vec<Diagnostic>,
    errors: usize,
    /// The open elements, innermost last.
    stack: Vec<NodeId>,
    /// What the DOCTYPE declared and pulled in.
    scope: Scope,
    /// Entity expansion under way, and what it has cost.
    expansion: Expanding,
    /// Set when parsing must stop (a limit, too many errors).
    abort: bool,
    root_closed: bool,
    after_root_reported: bool,
    seen_content: bool,
    pending: Option<Pending>,
    truncated: bool,
    suppression_comments: bool,
}

/// The declarations a document's DOCTYPE gave it.
struct Scope {
    /// General entities declared in the internal subset and in the text of
    /// parameter entities, first declaration winning: looked up first.
    local_entities: HashMap<String, Arc<EntityDecl>>,
    /// Entity files and the DTD, in the order they came: looked up after.
    shared: Vec<Arc<ExtFile>>,
    /// `<!ELEMENT>` and `<!ATTLIST>` of the internal subset.
    internal_decls: Vec<Decl>,
    /// Files pulled in by parameter entities of the internal subset.
    included: Vec<Arc<ExtFile>>,
    dtd: DtdRef,
    /// False once an entity file could not be read.
    entities_complete: bool,
    /// Parameter entities naming a file that the internal subset declares
    /// but never references: name and SYSTEM id.
    unreferenced: Vec<(String, String)>,
}

/// Entity expansion: what it has cost the document, and what is under way.
struct Expanding {
    /// Bytes of replacement text (and per expansion and node costs) so far.
    bytes: usize,
    /// The document's length (the budget grows with it).
    doc_len: usize,
    /// The entities being expanded, outermost first.
    active: Vec<CompactString>,
    /// Set while an expansion is recorded (see [`crate::xml::recorded`]) when
    /// its result depends on more than the entity's text: a reference that
    /// is not resolved, or is resolved through the document's own
    /// declarations.
    taint: bool,
}

const PREDEFINED: [(&str, char); 5] = [
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("apos", '\''),
    ("quot", '"'),
];

impl<'l> Parser<'l> {
    fn finish(self, undecodable: bool) -> Parsed {
        Parsed {
            file: self.file,
            tree: self.tree,
            diagnostics: self.diags,
            internal_decls: self.scope.internal_decls,
            included: self.scope.included,
            dtd: self.scope.dtd,
            entities_complete: self.scope.entities_complete,
            undecodable,
            suppression_comments: self.suppression_comments,
        }
    }

    fn push(&mut self, d: Diagnostic) {
        if d.severity == Severity::Error {
            self.errors += 1;
            if self.errors > self.opts.limits.max_errors {
                if !self.abort {
                    let span = d.primary.span;
                    self.diags.push(
                        Diagnostic::of(
                            &XML_TOO_MANY_ERRORS,
                            span,
                            format!(
                                "stopping after {} well-formedness errors",
                                self.opts.limits.max_errors
                            ),
                        )
                        .label("the rest of the file was not checked"),
                    );
                }
                self.abort = true;
                return;
            }
        }
        self.diags.push(d);
    }

    /// Attach the expansion notes of `origin` to a diagnostic.
    /// A finding inside an entity's text is reported at the reference in the
    /// document, with the place in the entity's text as a secondary label.
    fn with_origin(&self, d: Diagnostic, origin: Option<ExpId>) -> Diagnostic {
        self.tree.in_document(d, origin)
    }

    /// A bare `&` of the document itself (at the finding's one-byte span)
    /// gets the fix `&amp;`: safe, the text reads the same.
    fn amp_fix(&self, d: Diagnostic, origin: Option<ExpId>) -> Diagnostic {
        let span = d.primary.span;
        if origin.is_some() || span.file != self.file || span.len() != 1 {
            return d;
        }
        d.with_fix(Fix::safe(
            "write `&amp;`",
            vec![Edit::replace(span, "&amp;")],
        ))
    }

    /// The name of an element of the tree, borrowed.
    fn element_name(&self, id: NodeId) -> &str {
        self.tree.element_name(id)
    }

    fn element_name_span(&self, id: NodeId) -> (String, Span) {
        match self.tree.node(id) {
            Some(n) => match &n.kind {
                NodeKind::Element(e) => (self.tree.name(e).to_string(), n.span),
                _ => (String::new(), n.span),
            },
            None => (String::new(), Span::point(self.file, 0)),
        }
    }

    /// Bytes of expansion this document may use.
    fn budget(&self) -> usize {
        let limits = &self.opts.limits;
        limits.max_expanded_bytes.min(
            (limits.max_expanded_bytes / 16).max(
                self.expansion
                    .doc_len
                    .saturating_mul(limits.max_amplification),
            ),
        )
    }

    /// Count `cost` bytes of expansion against the budget. Past it, report
    /// at `span` (moved to the reference in the document), stop the parse and
    /// answer false.
    fn charge(&mut self, cost: usize, span: Span, origin: Option<ExpId>) -> bool {
        if self.abort {
            return false;
        }
        let budget = self.budget();
        if self.expansion.bytes.saturating_add(cost) > budget {
            let d = Diagnostic::of(&XML_ENTITY_LIMIT,
                span,
                format!("entity expansion exceeds {budget} bytes for this document"),
            )
            .label("expansion stopped here")
            .note("this protects against entity bombs (\"billion laughs\"); the rest of the file was not checked");
            let d = self.with_origin(d, origin);
            self.push(d);
            self.abort = true;
            return false;
        }
        self.expansion.bytes += cost;
        true
    }

    /// Count a node an expansion made against the budget.
    fn charge_node(&mut self, span: Span, origin: Option<ExpId>) {
        if origin.is_some() && !self.abort {
            self.charge(NODE_COST, span, origin);
        }
    }

    fn add_node(&mut self, kind: NodeKind, span: Span, origin: Option<ExpId>) -> NodeId {
        self.charge_node(span, origin);
        let parent = self.stack.last().copied();
        let misc = parent.is_none() && !matches!(kind, NodeKind::Element(_));
        let id = self.tree.push(Node::new(kind, parent, span, origin));
        if misc {
            self.tree.misc.push(id);
        }
        id
    }

    fn flush_text(&mut self) {
        if let Some(p) = self.pending.take() {
            self.charge_node(p.span, p.origin);
            self.tree.push(Node::new(
                NodeKind::Text(p.text),
                p.parent,
                p.span,
                p.origin,
            ));
        }
    }

    /// Append character data; text outside the root is checked, not kept.
    fn add_text(&mut self, s: &str, span: Span, origin: Option<ExpId>) {
        if s.is_empty() {
            return;
        }
        let parent = self.stack.last().copied();
        if parent.is_none() {
            if !is_ws(s) {
                let rest = s.trim_start_matches([' ', '\t', '\r', '\n']);
                let off = s.len() - rest.len();
                let clen = rest.chars().next().map_or(1, char::len_utf8);
                let a = (span.start as usize + off).min(span.end as usize);
                let at = Span::new(span.file, a, (a + clen).min(span.end as usize));
                let d = Diagnostic::of(
                    &XML_TEXT_OUTSIDE_ROOT,
                    at,
                    if self.tree.root.is_some() {
                        "text after the root element"
                    } else {
                        "text before the root element"
                    },
                )
                .label("only comments, processing instructions and white space may stand here")
                .help("move the text into a section, or remove it");
                let d = self.with_origin(d, origin);
                self.push(d);
            }
            return;
        }
        if let Some(p) = &mut self.pending
            && p.origin == origin
            && p.parent == parent
            && p.span.file == span.file
            && p.span.end <= span.start
        {
            p.text = self.tree.extend_text(p.text, s);
            p.span = p.span.to(span);
            return;
        }
        self.flush_text();
        self.pending = Some(Pending {
            text: self.tree.add_text(s),
            span,
            origin,
            parent,
        });
    }

    /// Parse `frag.text[start..]` as content (or, for the document, prolog,
    /// element and epilog).
    fn content(&mut self, frag: &Frag<'_>, start: usize, is_doc: bool) {
        let frame = self.stack.len();
        let bytes = frag.text.as_bytes();
        let mut at = start;
        // A place to go on from that is not a character boundary (after an
        // error) ends the reading, as one past the end does.
        while !self.abort && frag.text.is_char_boundary(at) {
            // Character data and references are read here, and start and end
            // tags (most of the markup) are delimited here with quick-xml's own
            // tag scanner (a `>` outside quotes), as its reader would, but
            // sliced from the text already known to be UTF-8: the reader would
            // check each tag's UTF-8 again and keep a stack of names that is not
            // used. Comments, CDATA sections, the DOCTYPE and processing
            // instructions (`<!`, `<?`) are read by a quick-xml reader started at
            // their `<`, which is never at a byte order mark (the reader would
            // drop one, shifting every position after it: here U+FEFF is a
            // character like any other).
            let next = match bytes.get(at) {
                None => break,
                Some(b'<') => match bytes.get(at + 1) {
                    Some(b'!' | b'?') => self.markup(frag, at, frame, is_doc),
                    after_lt => self.tag(frag, at, after_lt == Some(&b'/'), frame),
                },
                Some(&b) => {
                    let run = bytes.get(at..).unwrap_or(&[]);
                    // Most runs are the white space between two tags (five
                    // bytes on average): nothing in them to check or search.
                    let ws = run
                        .iter()
                        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                        .count();
                    Some(if b == b'&' {
                        self.ampersand(frag, at)
                    } else if ws > 0 && matches!(run.get(ws), None | Some(b'<')) {
                        let end = at + ws;
                        let raw = piece(frag.text, at..end);
                        self.add_text(raw, frag.span(at, end), frag.origin);
                        end
                    } else {
                        let end =
                            memchr::memchr2(b'<', b'&', run).map_or(frag.text.len(), |i| at + i);
                        self.text(frag, piece(frag.text, at..end), at);
                        end
                    })
                }
            };
            match next {
                Some(next) => at = next,
                // The rest of the text is swallowed: what is still open is
                // not worth a second report.
                None => {
                    self.truncated = true;
                    break;
                }
            }
        }
        if self.abort || self.truncated {
            return;
        }
        // An entity must close what it opens.
        if !is_doc {
            self.flush_text();
            while self.stack.len() > frame {
                let Some(id) = self.stack.pop() else { break };
                let (name, span) = self.element_name_span(id);
                let d = Diagnostic::of(
                    &XML_UNCLOSED_TAG,
                    span,
                    format!("`<{name}>` is not closed inside the entity that opens it"),
                )
                .label("this element has no end tag in the entity's text")
                .help(format!("add `</{name}>` to the entity's replacement text"));
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            }
        }
    }

    /// The start or end tag whose `<` is at `at`. Returns where reading goes
    /// on, `None` when the rest of the text is lost (a tag never closed).
    fn tag(&mut self, frag: &Frag<'_>, at: usize, end: bool, frame: usize) -> Option<usize> {
        let tag = frag.text.as_bytes().get(at..).unwrap_or(&[]);
        let Some(gt) = tag_end(tag) else {
            // Never closed: quick-xml's scanner, run to the end as `tag_end`
            // was, is left in the state that says how.
            let mut scanner = ElementParser::Outside;
            let _ = scanner.feed(tag);
            let e = quick_xml::Error::Syntax(scanner.eof_error(tag));
            return self.syntax_error(frag, e, at, at);
        };
        let after = at + gt + 1;
        let raw = piece(frag.text, at..after);
        if end {
            self.end_tag(frag, raw, at, frame);
            Some(after)
        } else {
            Some(
                self.start_tag(frag, raw, at, raw.ends_with("/>"))
                    .unwrap_or(after),
            )
        }
    }

    /// The comment, CDATA section, DOCTYPE or processing instruction whose
    /// `<` is at `at`, read by quick-xml. Returns where reading goes on,
    /// `None` when the rest of the text is lost.
    fn markup(&mut self, frag: &Frag<'_>, at: usize, frame: usize, is_doc: bool) -> Option<usize> {
        let rest = piece(frag.text, at..);
        // Comments and CDATA sections, nearly all of the markup read here,
        // are delimited without a reader when they are plainly well-formed.
        if let Some(len) = plain_comment_len(rest) {
            self.comment(frag, at, at + len);
            return Some(at + len);
        }
        if let Some(len) = cdata_len(rest) {
            self.cdata(frag, at, at + len);
            return Some(at + len);
        }
        // The DOCTYPE is delimited here: its internal subset may hold what
        // quick-xml's reader does not expect (a conditional section, which
        // is an error there, but must not end the DOCTYPE early).
        if rest.starts_with("<!DOCTYPE") {
            return match doctype_len(rest) {
                Some(len) => {
                    self.doctype_event(frag, at, at + len, is_doc);
                    Some(at + len)
                }
                None => {
                    let e =
                        quick_xml::Error::Syntax(quick_xml::errors::SyntaxError::UnclosedDoctype);
                    self.syntax_error(frag, e, at, at)
                }
            };
        }
        let mut r = Reader::from_str(rest);
        {
            let c = r.config_mut();
            c.check_end_names = false;
            c.allow_unmatched_ends = true;
            c.allow_dangling_amp = true;
            c.check_comments = true;
            c.expand_empty_elements = false;
            c.trim_text(false);
        }
        match r.read_event() {
            Ok(Event::Eof) => Some(frag.text.len()),
            Ok(ev) => {
                let after = at + r.buffer_position() as usize;
                Some(
                    self.event(frag, ev, at, after, frame, is_doc)
                        .unwrap_or(after),
                )
            }
            Err(e) => {
                let err_at = at + r.error_position() as usize;
                self.syntax_error(frag, e, err_at, at)
            }
        }
    }

    /// The `&` at `start`: a reference up to the next `;`, or, when `&` or
    /// `<` comes first, a bare `&` starting a run of text (as quick-xml reads
    /// them). Returns where reading goes on.
    fn ampersand(&mut self, frag: &Frag<'_>, start: usize) -> usize {
        let rest = piece(frag.text, start..);
        let after_amp = rest.as_bytes().get(1..).unwrap_or(&[]);
        match memchr::memchr3(b';', b'&', b'<', after_amp) {
            Some(i) if after_amp.get(i) == Some(&b';') => {
                let end = start + i + 2;
                self.reference(frag, piece(frag.text, start..end), start);
                end
            }
            Some(i) => {
                let end = start + i + 1;
                self.text(frag, piece(frag.text, start..end), start);
                end
            }
            None => {
                self.text(frag, rest, start);
                frag.text.len()
            }
        }
    }

    /// A tokenizer error at `at`, in the markup starting at `before`.
    fn syntax_error(
        &mut self,
        frag: &Frag<'_>,
        e: quick_xml::Error,
        at: usize,
        before: usize,
    ) -> Option<usize> {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        // quick-xml's position for `--` in a comment is not always that of the
        // `--`: find it in the comment.
        let at = match &e {
            quick_xml::Error::IllFormed(IllFormedError::DoubleHyphenInComment) => frag
                .text
                .get(before..)
                .filter(|r| r.starts_with("<!--"))
                .and_then(|r| r.get(4..)?.find("--"))
                .map_or(at, |i| before + 4 + i),
            _ => at,
        };
        self.flush_text();
        let (rule, msg, label, resume): (&'static RuleInfo, String, &str, Option<usize>) = match &e
        {
            quick_xml::Error::Syntax(s) => {
                let what = match s {
                    SyntaxError::UnclosedComment => "comment is never closed",
                    SyntaxError::UnclosedCData => "CDATA section is never closed",
                    SyntaxError::UnclosedPI | SyntaxError::UnclosedXmlDecl => {
                        "processing instruction is never closed"
                    }
                    SyntaxError::UnclosedDoctype => "DOCTYPE is never closed",
                    SyntaxError::InvalidBangMarkup => {
                        "`<!` must start a comment, a CDATA section or the DOCTYPE"
                    }
                    SyntaxError::UnclosedTag
                    | SyntaxError::UnclosedSingleQuotedAttributeValue
                    | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                        "tag is never closed with `>`"
                    }
                };
                let resume = matches!(s, SyntaxError::InvalidBangMarkup).then_some(at + 2);
                (&XML_UNTERMINATED, what.to_string(), "starts here", resume)
            }
            quick_xml::Error::IllFormed(IllFormedError::DoubleHyphenInComment) => (
                &XML_BAD_COMMENT,
                "`--` is not allowed inside a comment".into(),
                "this `--` does not end the comment",
                frag.text
                    .get(at..)
                    .and_then(|r| r.find("-->"))
                    .map(|i| at + i + 3),
            ),
            other => (&XML_SYNTAX, other.to_string(), "here", Some(at + 1)),
        };
        let end = at
            + frag
                .text
                .get(at..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8);
        let end = if std::ptr::eq(rule, &XML_BAD_COMMENT) {
            at + 2
        } else {
            end
        };
        let d = Diagnostic::of(rule, frag.span(at, end), msg).label(label);
        let d = self.with_origin(d, frag.origin);
        self.push(d);
        resume.filter(|&r| r <= frag.text.len())
    }

    /// Handle one event; `Some(offset)` asks to restart tokenizing there.
    fn event(
        &mut self,
        frag: &Frag<'_>,
        ev: Event<'_>,
        before: usize,
        after: usize,
        frame: usize,
        is_doc: bool,
    ) -> Option<usize> {
        let raw = piece(frag.text, before..after);
        match ev {
            Event::Start(_) | Event::Empty(_) => {
                let empty = matches!(ev, Event::Empty(_));
                self.start_tag(frag, raw, before, empty)
            }
            Event::End(_) => {
                self.end_tag(frag, raw, before, frame);
                None
            }
            // `content` reads text and references itself and asks quick-xml
            // only at a `<`; should quick-xml ever hand them over, they are
            // taken the same way.
            Event::Text(_) => {
                self.text(frag, raw, before);
                None
            }
            Event::GeneralRef(_) => {
                self.reference(frag, raw, before);
                None
            }
            Event::CData(_) => {
                self.cdata(frag, before, after);
                None
            }
            Event::Comment(_) => {
                self.comment(frag, before, after);
                None
            }
            Event::PI(_) => {
                self.flush_text();
                let inner = piece(raw, 2..raw.len().saturating_sub(2));
                let target_len: usize = inner
                    .chars()
                    .take_while(|&c| is_name_char(c))
                    .map(char::len_utf8)
                    .sum();
                let target = piece(inner, ..target_len);
                let data = piece(inner, target_len..).trim_start();
                if !is_name(target) {
                    let d = Diagnostic::of(
                        &XML_BAD_NAME,
                        frag.span(before + 2, before + 2 + target_len.max(1)),
                        "processing instruction has no valid target name",
                    )
                    .label("a name must follow `<?`");
                    self.push(d);
                } else if target.eq_ignore_ascii_case("xml") {
                    let d = Diagnostic::of(
                        &XML_MISPLACED_DECLARATION,
                        frag.span(before, after),
                        "the XML declaration may only stand at the very start of the file",
                    )
                    .label("misplaced `<?xml …?>`")
                    .help("remove it, or move it to the first line with nothing before it");
                    self.push(d);
                }
                let target = self.tree.add_text(target);
                let data = self.tree.add_text(data);
                self.add_node(
                    NodeKind::Pi { target, data },
                    frag.span(before, after),
                    frag.origin,
                );
                None
            }
            Event::Decl(_) => {
                if !is_doc || before != 0 && !(before == 3 && frag.text.starts_with('\u{FEFF}')) {
                    let d = Diagnostic::of(
                        &XML_MISPLACED_DECLARATION,
                        frag.span(before, after),
                        "the XML declaration may only stand at the very start of the file",
                    )
                    .label("misplaced `<?xml …?>`")
                    .help("remove it, or move it to the first line with nothing before it");
                    self.push(d);
                } else {
                    self.xml_decl(frag, raw, before);
                }
                None
            }
            Event::DocType(_) => {
                self.doctype_event(frag, before, after, is_doc);
                None
            }
            Event::Eof => None,
        }
    }

    /// The DOCTYPE at `before..after`.
    fn doctype_event(&mut self, frag: &Frag<'_>, before: usize, after: usize, is_doc: bool) {
        if !is_doc || self.seen_content || self.tree.doctype.is_some() {
            let d = Diagnostic::of(
                &XML_MISPLACED_DECLARATION,
                frag.span(before, after),
                "a DOCTYPE may only stand before the root element, once",
            )
            .label("misplaced `<!DOCTYPE …>`");
            self.push(d);
        } else {
            let raw = piece(frag.text, before..after);
            self.doctype(raw, before);
        }
    }

    /// The CDATA section at `before..after`.
    fn cdata(&mut self, frag: &Frag<'_>, before: usize, after: usize) {
        let raw = piece(frag.text, before..after);
        self.flush_text();
        let inner = piece(raw, 9..raw.len().saturating_sub(3));
        self.check_chars(frag, inner, before + 9);
        if self.stack.is_empty() {
            let d = Diagnostic::of(
                &XML_TEXT_OUTSIDE_ROOT,
                frag.span(before, after),
                "CDATA section outside the root element",
            )
            .label("only comments, processing instructions and white space may stand here");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
        } else {
            let t = self.tree.add_text(inner);
            self.add_node(NodeKind::CData(t), frag.span(before, after), frag.origin);
        }
    }

    /// The comment at `before..after`.
    fn comment(&mut self, frag: &Frag<'_>, before: usize, after: usize) {
        let raw = piece(frag.text, before..after);
        self.flush_text();
        let inner = piece(raw, 4..raw.len().saturating_sub(3));
        self.check_chars(frag, inner, before + 4);
        if inner.ends_with('-') {
            let d = Diagnostic::of(
                &XML_BAD_COMMENT,
                frag.span(after - 4, after),
                "a comment may not end with `--->`",
            )
            .label("`-` before `-->`");
            self.push(d);
        }
        if frag.origin.is_none() && inner.trim_start().starts_with("xeplint-") {
            self.suppression_comments = true;
        }
        let inner = self.tree.add_text(inner);
        self.add_node(
            NodeKind::Comment(inner),
            frag.span(before, after),
            frag.origin,
        );
    }

    fn xml_decl(&mut self, frag: &Frag<'_>, raw: &str, before: usize) {
        let Some(i) = raw.find("encoding") else {
            return;
        };
        let rest = piece(raw, i + 8..);
        let rest_t = rest
            .trim_start()
            .strip_prefix('=')
            .unwrap_or("")
            .trim_start();
        let Some(q) = rest_t.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return;
        };
        let val_start = raw.len() - rest_t.len() + 1;
        let Some(len) = raw.get(val_start..).and_then(|r| r.find(q)) else {
            return;
        };
        let enc = piece(raw, val_start..val_start + len);
        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
            let d = Diagnostic::of(
                &XML_ENCODING,
                frag.span(before + val_start, before + val_start + len),
                format!("encoding `{enc}` is not supported"),
            )
            .label("declared here")
            .help("xeplint reads UTF-8 only: convert the file and declare encoding='UTF-8'");
            self.push(d);
        }
    }

    #[inline(always)]
    fn check_chars(&mut self, frag: &Frag<'_>, s: &str, base: usize) {
        if may_hold_forbidden_char(s.as_bytes()) {
            self.report_forbidden_char(frag, s, base);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_forbidden_char(&mut self, frag: &Frag<'_>, s: &str, base: usize) {
        for (i, c) in s.char_indices() {
            if !is_xml_char(c) {
                let at = base + i;
                let d = Diagnostic::of(&XML_INVALID_CHAR, frag.span(at, at + c.len_utf8()), format!("U+{:04X} is not allowed in XML", c as u32))
                    .label("this character")
                    .help("remove it; XML 1.0 allows no control characters but tab, line feed and carriage return");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
                return;
            }
        }
    }

    /// Character data: `raw` is `frag.text[before..]`.
    fn text(&mut self, frag: &Frag<'_>, raw: &str, before: usize) {
        let flags = scan_text(raw.as_bytes());
        if flags & SUSPICIOUS != 0 {
            self.report_forbidden_char(frag, raw, before);
        }
        if flags & BRACKET != 0
            && let Some(i) = raw.find("]]>")
        {
            let d = Diagnostic::of(
                &XML_SYNTAX,
                frag.span(before + i, before + i + 3),
                "`]]>` is not allowed in text",
            )
            .label("write `]]&gt;` instead");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
        }
        if flags & AMPERSAND == 0 {
            self.add_text(raw, frag.span(before, before + raw.len()), frag.origin);
            return;
        }
        // quick-xml hands a dangling `&` over as text.
        let mut last = 0;
        for (i, _) in raw.match_indices('&') {
            if self.abort {
                return;
            }
            let seg = piece(raw, last..i);
            self.add_text(seg, frag.span(before + last, before + i), frag.origin);
            let d = Diagnostic::of(
                &XML_BARE_AMPERSAND,
                frag.span(before + i, before + i + 1),
                "`&` must start an entity reference",
            )
            .label("a bare `&` in text")
            .help("write `&amp;`");
            let d = self.amp_fix(d, frag.origin);
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.add_text("&", frag.span(before + i, before + i + 1), frag.origin);
            last = i + 1;
        }
        let seg = piece(raw, last..);
        self.add_text(
            seg,
            frag.span(before + last, before + raw.len()),
            frag.origin,
        );
    }

    fn start_tag(
        &mut self,
        frag: &Frag<'_>,
        raw: &str,
        before: usize,
        empty: bool,
    ) -> Option<usize> {
        self.flush_text();
        let inner_end = raw.len().saturating_sub(if empty { 2 } else { 1 });
        let inner = piece(raw, 1..inner_end);
        let first = inner.chars().next();
        if !first.is_some_and(is_name_start) {
            // `a < b` or `<1x>`: not a tag.
            if first.is_some_and(is_name_char) {
                let len: usize = inner
                    .chars()
                    .take_while(|&c| is_name_char(c))
                    .map(char::len_utf8)
                    .sum();
                let d = Diagnostic::of(
                    &XML_BAD_NAME,
                    frag.span(before, before + 1 + len),
                    format!("`{}` is not a valid element name", piece(inner, ..len)),
                )
                .label("names start with a letter, `_` or `:`")
                .help("rename the element");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            } else {
                let d = Diagnostic::of(
                    &XML_UNESCAPED_LT,
                    frag.span(before, before + 1),
                    "`<` must start a tag",
                )
                .label("a bare `<` in text")
                .help("write `&lt;`");
                // Unsafe: the `<` may be the start of a tag gone wrong.
                let d = if frag.origin.is_none() {
                    d.with_fix(Fix::unsafe_(
                        "write `&lt;`",
                        vec![Edit::replace(frag.span(before, before + 1), "&lt;")],
                    ))
                } else {
                    d
                };
                let d = self.with_origin(d, frag.origin);
                self.push(d);
                self.add_text("<", frag.span(before, before + 1), frag.origin);
            }
            return Some(before + 1);
        }
        let name_len = name_chars_len(inner);
        let name = piece(inner, ..name_len);
        let name_span = frag.span(before + 1, before + 1 + name_len);
        let attributes = self.attributes(frag, inner, before + 1, name_len);
        let span = frag.span(before, before + raw.len());
        if self.stack.is_empty() && self.root_closed && !self.after_root_reported {
            self.after_root_reported = true;
            let d = Diagnostic::of(
                &XML_CONTENT_AFTER_ROOT,
                span,
                format!("`<{name}>` comes after the root element has ended"),
            )
            .label("a document has exactly one root element")
            .help("move this element inside the root element, or remove it");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
        }
        if self.stack.len() >= self.opts.limits.max_depth {
            let d = Diagnostic::of(
                &XML_DEPTH_LIMIT,
                span,
                format!(
                    "elements are nested more than {} deep",
                    self.opts.limits.max_depth
                ),
            )
            .label("too deep")
            .note("xeplint stops here to keep time and memory bounded");
            self.push(d);
            self.abort = true;
            return None;
        }
        self.seen_content = true;
        let is_root = self.stack.is_empty() && self.tree.root.is_none();
        let name = self.tree.add_text(name);
        let id = self.add_node(
            NodeKind::Element(Element::new(name, attributes, name_span)),
            span,
            frag.origin,
        );
        if is_root {
            self.tree.root = Some(id);
        }
        if !empty {
            self.stack.push(id);
        } else if is_root {
            self.root_closed = true;
        }
        None
    }

    /// Attributes of a start tag; `inner` is the text after `<`, at `base`.
    fn attributes(
        &mut self,
        frag: &Frag<'_>,
        inner: &str,
        base: usize,
        name_len: usize,
    ) -> AttrRange {
        let b = inner.as_bytes();
        // The attributes go straight into the tree's arena, from `first_attr`.
        let first_attr = self.tree.attr_count();
        // Names seen so far, for the duplicate check; a set once there are many,
        // so that a tag with thousands of attributes stays linear.
        // Past 16 attributes, a set of the names for the duplicate check.
        let mut seen: Option<HashMap<String, usize>> = None;
        let mut i = name_len;
        loop {
            let ws_start = i;
            while b
                .get(i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                i += 1;
            }
            if i >= b.len() {
                return self.tree.attrs_since(first_attr);
            }
            let bad =
                |p: &mut Self, at: usize, len: usize, msg: String, label: &str, help: &str| {
                    let d = Diagnostic::of(
                        &XML_BAD_ATTRIBUTE,
                        frag.span(base + at, base + at + len.max(1)),
                        msg,
                    )
                    .label(label)
                    .help(help);
                    let d = p.with_origin(d, frag.origin);
                    p.push(d);
                };
            if i == ws_start {
                bad(
                    self,
                    i,
                    1,
                    "attributes must be separated by white space".into(),
                    "white space needed before this",
                    "add a space",
                );
                return self.tree.attrs_since(first_attr);
            }
            let rest = piece(inner, i..);
            let nlen = name_chars_len(rest);
            let aname = piece(rest, ..nlen);
            if !rest.chars().next().is_some_and(is_name_start) {
                let clen = rest.chars().next().map_or(1, char::len_utf8);
                bad(
                    self,
                    i,
                    clen,
                    format!(
                        "unexpected `{}` in a tag",
                        rest.chars().next().unwrap_or(' ')
                    ),
                    "an attribute name was expected here",
                    "attributes are written name='value'",
                );
                return self.tree.attrs_since(first_attr);
            }
            let name_at = i;
            i += nlen;
            while b
                .get(i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                bad(
                    self,
                    name_at,
                    nlen,
                    format!("attribute `{aname}` has no value"),
                    "expected `=` and a quoted value after this name",
                    "write the attribute as name='value'",
                );
                return self.tree.attrs_since(first_attr);
            }
            i += 1;
            while b
                .get(i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                i += 1;
            }
            let q = b.get(i).copied();
            if !matches!(q, Some(b'"' | b'\'')) {
                bad(
                    self,
                    name_at,
                    nlen,
                    format!("the value of `{aname}` is not quoted"),
                    "this attribute's value needs quotes",
                    "put the value in single or double quotes",
                );
                return self.tree.attrs_since(first_attr);
            }
            let vstart = i + 1;
            let Some(vlen) = q.and_then(|q| memchr::memchr(q, b.get(vstart..)?)) else {
                bad(
                    self,
                    name_at,
                    nlen,
                    format!("the value of `{aname}` is never closed"),
                    "this value has no closing quote",
                    "close the quote",
                );
                return self.tree.attrs_since(first_attr);
            };
            let raw_val = piece(inner, vstart..vstart + vlen);
            i = vstart + vlen + 1;
            let value = self.attr_value(frag, raw_val, base + vstart);
            let name_span = frag.span(base + name_at, base + name_at + nlen);
            let out = self.tree.attrs_from(first_attr);
            let count = out.len();
            let first = if count < 16 {
                out.iter().position(|a| self.tree.str(a.name) == aname)
            } else {
                seen.get_or_insert_with(|| {
                    out.iter()
                        .enumerate()
                        .map(|(k, a)| (self.tree.str(a.name).to_string(), k))
                        .collect()
                })
                .get(aname)
                .copied()
            };
            if let Some(first) = first.and_then(|k| self.tree.attrs_from(first_attr).get(k)) {
                let first_span = first.name_span;
                let d = Diagnostic::of(
                    &XML_DUPLICATE_ATTRIBUTE,
                    name_span,
                    format!("attribute `{aname}` is given twice"),
                )
                .label("second occurrence")
                .secondary(first_span, "first given here")
                .help("remove one of them");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
                continue;
            }
            if let Some(seen) = &mut seen {
                seen.insert(aname.to_string(), count);
            }
            let name = self.tree.add_text(aname);
            self.tree.add_attr(Attribute {
                name,
                value,
                name_span,
                value_span: frag.span(base + vstart, base + vstart + vlen),
            });
        }
    }

    fn end_tag(&mut self, frag: &Frag<'_>, raw: &str, before: usize, frame: usize) {
        self.flush_text();
        let inner = piece(raw, 2..raw.len().saturating_sub(1));
        let name = inner.trim_end_matches([' ', '\t', '\r', '\n']);
        let span = frag.span(before, before + raw.len());
        // The usual case: the end tag closes the innermost open element,
        // whose name was checked in its start tag.
        if let Some(&top) = self.stack.last()
            && self.stack.len() > frame
            && self.element_name(top) == name
        {
            self.stack.pop();
            self.closed(top, span);
            return;
        }
        if !is_xml_name(name) {
            let d = Diagnostic::of(
                &XML_BAD_NAME,
                span,
                format!("`</{name}>` is not a valid end tag"),
            )
            .label("an element name must follow `</`");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let open = self.stack.get(frame..).unwrap_or(&[]);
        match open.iter().rposition(|&id| self.element_name(id) == name) {
            Some(k) => {
                let idx = frame + k;
                // Everything above the match is unclosed.
                if idx + 1 < self.stack.len() {
                    let top = self.stack.last().copied();
                    if let Some(top) = top {
                        let (tname, tspan) = self.element_name_span(top);
                        let d = Diagnostic::of(
                            &XML_MISMATCHED_TAG,
                            span,
                            format!("expected `</{tname}>`, found `</{name}>`"),
                        )
                        .label(format!(
                            "this closes `<{name}>` while `<{tname}>` is still open"
                        ))
                        .secondary(tspan, format!("`<{tname}>` opened here"))
                        .help(format!("add `</{tname}>` before this end tag"));
                        let d = self.with_origin(d, frag.origin);
                        self.push(d);
                    }
                }
                while self.stack.len() > idx + 1 {
                    self.stack.pop();
                }
                if let Some(id) = self.stack.pop() {
                    self.closed(id, span);
                }
            }
            None => {
                let mut d = Diagnostic::of(
                    &XML_UNEXPECTED_END_TAG,
                    span,
                    format!("`</{name}>` closes nothing"),
                )
                .label(format!("no `<{name}>` is open here"));
                if let Some(&top) = self.stack.get(frame..).and_then(|s| s.last()) {
                    let (tname, tspan) = self.element_name_span(top);
                    d = d
                        .secondary(tspan, format!("the innermost open element is `<{tname}>`"))
                        .help(format!("remove it, or did you mean `</{tname}>`?"));
                } else if self.stack.len() > frame || frame > 0 {
                    d = d.help("an entity may only close elements it opened itself");
                } else {
                    d = d.help("remove it");
                }
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            }
        }
    }

    /// Element `id`, just taken off the stack, ends with the end tag at `span`.
    fn closed(&mut self, id: NodeId, span: Span) {
        if let Some(Node {
            kind: NodeKind::Element(e),
            ..
        }) = self.tree.nodes.get_mut(id.index())
        {
            e.set_end_span(span);
        }
        if self.stack.is_empty() && self.tree.root == Some(id) {
            self.root_closed = true;
        }
    }
}
