//! The XML layer: quick-xml tokenizes; this module builds the [`Tree`], checks
//! well-formedness, reads the DOCTYPE and expands entities, keeping for every
//! node the place it came from.

use super::tree::*;
use crate::diag::{Diagnostic, Severity};
use crate::dtd::decl::{
    Decl, EntityDecl, EntityValue, Subset, char_ref_value, is_name, is_name_char, is_name_start,
    is_xml_char, parse_decls,
};
use crate::gate::Place;
use crate::load::{Chosen, ExtFile, Loader, display_join, refusal_diagnostic};
use crate::source::{FileId, Span};
use foldhash::{HashMap, HashMapExt};
use quick_xml::Reader;
use quick_xml::events::Event;
use quick_xml::parser::{ElementParser, Parser as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    let mut p = P {
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
        local_entities: HashMap::new(),
        shared: Vec::new(),
        internal_decls: Vec::new(),
        included: Vec::new(),
        dtd: DtdRef::None,
        entities_complete: true,
        expanded: 0,
        doc_len: text.len(),
        active: Vec::new(),
        taint: false,
        abort: false,
        root_closed: false,
        after_root_reported: false,
        seen_content: false,
        pending: None,
        truncated: false,
        suppression_comments: false,
    };
    if let Some((at, msg)) = decode_error {
        let d = Diagnostic::error("xml-encoding", Span::point(file, 0), msg)
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
            let d = Diagnostic::error(
                "xml-unclosed-tag",
                span,
                format!("`<{name}>` is never closed"),
            )
            .label("this element has no end tag")
            .secondary(Span::point(file, end), "the file ends here")
            .help(format!("add `</{name}>` where the element should end"));
            p.push(d);
        }
        if p.tree.root.is_none() {
            let d = Diagnostic::error(
                "xml-no-root",
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

/// The parse state an expansion starts from, for [`P::record`].
struct Mark {
    nodes: usize,
    /// Length of the tree's text arena.
    text: usize,
    expansions: usize,
    diags: usize,
    errors: usize,
    expanded: usize,
    parent: Option<NodeId>,
    depth: usize,
}

/// The nodes clean expansions of a file's shared entities added, kept with
/// the file (`ExtFile::replays`) and copied into later documents that
/// reference the same entity: parsing its text again would give the same.
///
/// Every recorded expansion of the file sits in the same few pools, reserved
/// large up front: they grow without leaving holes between the documents'
/// own allocations, and only what is written takes memory.
#[derive(Debug, Default)]
pub struct ReplayStore {
    /// Recorded expansions by the index of the entity's declaration.
    index: HashMap<usize, Replay>,
    nodes: Vec<ReplayNode>,
    /// Text of the text and CDATA nodes; their [`TextRef`]s point here.
    text: String,
    /// Attributes of the elements; their [`AttrRange`]s point here.
    attrs: Vec<Attribute>,
    /// Each recorded expansion first (its reference is the one a replay
    /// replaces), then those nested in it.
    expansions: Vec<Expansion>,
    /// Set by [`ReplayStore::close`]: nothing is recorded any more.
    closed: bool,
}

/// One recorded expansion: where it sits in the pools, and what it takes.
#[derive(Debug, Clone, Copy)]
struct Replay {
    nodes: (usize, usize),
    /// The strings of its nodes, one block: their [`TextRef`]s count from
    /// its start.
    text: (usize, usize),
    expansions: (usize, usize),
    /// What the expansion counted against the document's budget.
    cost: usize,
    /// How deep its elements nest (1: elements with no element inside).
    depth: usize,
    /// The entity depth limit it was recorded under.
    max_entity_depth: usize,
}

#[derive(Debug)]
struct ReplayNode {
    kind: NodeKind,
    /// From the expansion's first node; `None`: the element holding the
    /// reference.
    parent: Option<u32>,
    span: Span,
    /// From the expansion's first expansion.
    origin: u32,
}

/// What one file keeps in recorded expansions at most, in bytes.
const MAX_REPLAY_BYTES: usize = 8 * 1024 * 1024;

impl ReplayStore {
    /// Release every recorded expansion and record no more: documents
    /// still to come parse the file's entities instead.
    pub fn close(&mut self) {
        *self = ReplayStore {
            closed: true,
            ..ReplayStore::default()
        };
    }

    /// Whether [`ReplayStore::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    fn attributes(&self, e: &Element) -> &[Attribute] {
        let (start, len) = e.attributes.bounds();
        self.attrs.get(start..start + len).unwrap_or(&[])
    }

    /// Bytes held, roughly.
    fn size(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<ReplayNode>()
            + self.text.len()
            + self.attrs.len() * std::mem::size_of::<Attribute>()
            + self.expansions.len() * std::mem::size_of::<Expansion>()
    }

    /// Room for the first recordings: past glibc's mmap threshold as set by
    /// the CLI, so pages are committed only as they are written.
    fn reserve(&mut self) {
        const BYTES: usize = 256 * 1024;
        if self.nodes.capacity() == 0 {
            self.nodes
                .reserve(BYTES / std::mem::size_of::<ReplayNode>().max(1));
            self.text.reserve(BYTES);
            self.attrs
                .reserve(BYTES / std::mem::size_of::<Attribute>().max(1));
            self.expansions
                .reserve(BYTES / std::mem::size_of::<Expansion>().max(1));
        }
    }

    /// How long each pool is: [`ReplayStore::truncate`] goes back to it.
    fn lens(&self) -> [usize; 4] {
        [
            self.nodes.len(),
            self.text.len(),
            self.attrs.len(),
            self.expansions.len(),
        ]
    }

    /// Drop what a failed recording added since `lens`.
    fn truncate(&mut self, [nodes, text, attrs, expansions]: [usize; 4]) {
        self.nodes.truncate(nodes);
        self.text.truncate(text);
        self.attrs.truncate(attrs);
        self.expansions.truncate(expansions);
    }
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

/// Where the tag `b` (from its `<`) ends: the first `>` outside quotes, as
/// quick-xml's `ElementParser` finds it, but a byte at a time between
/// quoted values: most tags are a few bytes long, shorter than a vector
/// search takes to start.
fn tag_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        match *b.get(i)? {
            b'>' => return Some(i),
            q @ (b'"' | b'\'') => i += 1 + memchr::memchr(q, b.get(i + 1..)?)?,
            _ => {}
        }
        i += 1;
    }
}

/// The length of the comment `s` starts with, when it is well-formed and
/// holds no `>`: the first `--` after `<!--` is then the one of `-->`, where
/// quick-xml's reader would end it too. Any other comment is left to the
/// reader, whose errors xeplint reports.
fn plain_comment_len(s: &str) -> Option<usize> {
    static DASHES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("--"));
    let body = s.strip_prefix("<!--")?.as_bytes();
    let j = DASHES.find(body)?;
    let plain = body.get(j + 2) == Some(&b'>') && memchr::memchr(b'>', body.get(..j)?).is_none();
    plain.then_some(4 + j + 3)
}

/// The length of the CDATA section `s` starts with, up to the first `]]>`
/// (as quick-xml's reader reads it); `None` when it is never closed.
fn cdata_len(s: &str) -> Option<usize> {
    static END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("]]>"));
    let body = s.strip_prefix("<![CDATA[")?.as_bytes();
    END.find(body).map(|j| 9 + j + 3)
}

/// The length of the DOCTYPE `s` starts with: up to the first `>` outside
/// quotes, comments, processing instructions and brackets (the internal
/// subset, and any bracketed section inside it); `None` when it is never
/// closed.
fn doctype_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = "<!DOCTYPE".len();
    while let Some(&c) = b.get(i) {
        match c {
            b'"' | b'\'' => i += 1 + memchr::memchr(c, b.get(i + 1..)?)?,
            b'<' if b.get(i..)?.starts_with(b"<!--") => {
                i += 4 + memchr::memmem::find(b.get(i + 4..)?, b"-->")? + 2;
            }
            b'<' if b.get(i + 1) == Some(&b'?') => {
                i += 2 + memchr::memmem::find(b.get(i + 2..)?, b"?>")? + 1;
            }
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `at`, or the start of the character it falls in.
fn floor_char(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `at`, or the end of the character it falls in.
fn ceil_char(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at += 1;
    }
    at
}

struct Pending {
    text: TextRef,
    span: Span,
    origin: Option<ExpId>,
    parent: Option<NodeId>,
}

struct P<'l> {
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
    stack: Vec<NodeId>,
    /// General entities declared in the internal subset and in the text of
    /// parameter entities, first declaration winning: looked up first.
    local_entities: HashMap<String, Arc<EntityDecl>>,
    /// Entity files and the DTD, in the order they came: looked up after.
    shared: Vec<Arc<ExtFile>>,
    internal_decls: Vec<Decl>,
    included: Vec<Arc<ExtFile>>,
    dtd: DtdRef,
    entities_complete: bool,
    expanded: usize,
    doc_len: usize,
    active: Vec<CompactString>,
    /// Set while an expansion is recorded (see [`ReplayStore`]) when its result
    /// depends on more than the entity's text: a reference that is not
    /// resolved, or is resolved through the document's own declarations.
    taint: bool,
    abort: bool,
    root_closed: bool,
    after_root_reported: bool,
    seen_content: bool,
    pending: Option<Pending>,
    truncated: bool,
    suppression_comments: bool,
}

/// Whether `s` may hold a character XML 1.0 forbids: one pass over the bytes,
/// in blocks the compiler can vectorize. Control bytes other than tab, line
/// feed and carriage return are forbidden characters; `0xEF` starts the
/// encodings of U+FFFE and U+FFFF (and of other characters, which the precise
/// check then lets through).
fn may_hold_forbidden_char(s: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { avx2::may_hold_forbidden_char(s) };
    }
    any_forbidden(s)
}

#[inline(always)]
fn any_forbidden(s: &[u8]) -> bool {
    fold_bytes(s, 1, suspicious) != 0
}

/// The byte scans every character of the text goes through, compiled a
/// second time for AVX2 (32 bytes a step instead of SSE2's 16) and taken when
/// the CPU has it, as the `memchr` crate does for its searches.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[target_feature(enable = "avx2")]
    pub(super) fn may_hold_forbidden_char(s: &[u8]) -> bool {
        super::any_forbidden(s)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn scan_text(s: &[u8]) -> u8 {
        super::text_flags(s)
    }
}

/// The OR of `f` over the bytes of `s`, in fixed-size blocks the compiler
/// turns into vector code, stopping once `all` bits are set. A tail shorter
/// than a block is read as an overlapping block ending where `s` ends:
/// bytes seen twice change nothing in an OR.
#[inline(always)]
fn fold_bytes(s: &[u8], all: u8, f: impl Fn(u8) -> u8 + Copy) -> u8 {
    #[inline(always)]
    fn block<const N: usize>(s: &[u8], f: impl Fn(u8) -> u8) -> u8 {
        match <&[u8; N]>::try_from(s) {
            Ok(b) => b.iter().fold(0u8, |a, &c| a | f(c)),
            Err(_) => 0,
        }
    }
    let n = s.len();
    if n >= 32 {
        let mut acc = 0u8;
        let mut blocks = s.chunks_exact(32);
        for b in &mut blocks {
            acc |= block::<32>(b, f);
            if acc == all {
                return acc;
            }
        }
        if !blocks.remainder().is_empty() {
            acc |= block::<32>(s.get(n - 32..).unwrap_or(&[]), f);
        }
        acc
    } else if n >= 16 {
        block::<16>(s.get(..16).unwrap_or(&[]), f) | block::<16>(s.get(n - 16..).unwrap_or(&[]), f)
    } else if n >= 8 {
        block::<8>(s.get(..8).unwrap_or(&[]), f) | block::<8>(s.get(n - 8..).unwrap_or(&[]), f)
    } else {
        s.iter().fold(0u8, |a, &c| a | f(c))
    }
}

/// The first byte of an attribute value that normalization must look at:
/// `&`, `<`, tab, line feed or carriage return. Values without one (nearly
/// all) are cleared by one vectorized pass.
fn find_value_special(s: &[u8]) -> Option<usize> {
    #[inline(always)]
    fn special(b: u8) -> u8 {
        u8::from(matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
    }
    if fold_bytes(s, 1, special) == 0 {
        return None;
    }
    s.iter().position(|&b| special(b) != 0)
}

/// 1 for a byte [`may_hold_forbidden_char`] flags, else 0.
#[inline(always)]
fn suspicious(b: u8) -> u8 {
    u8::from((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0xEF))
}

/// [`scan_text`] found a byte [`may_hold_forbidden_char`] would flag.
const SUSPICIOUS: u8 = 1;
/// [`scan_text`] found a `]`.
const BRACKET: u8 = 2;
/// [`scan_text`] found a `&`.
const AMPERSAND: u8 = 4;

/// What a run of text holds that needs a closer look, in one vectorized
/// pass: [`SUSPICIOUS`], [`BRACKET`] and [`AMPERSAND`] bits.
fn scan_text(s: &[u8]) -> u8 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { avx2::scan_text(s) };
    }
    text_flags(s)
}

#[inline(always)]
fn text_flags(s: &[u8]) -> u8 {
    fold_bytes(s, SUSPICIOUS | BRACKET | AMPERSAND, |b| {
        suspicious(b) | (u8::from(b == b']') << 1) | (u8::from(b == b'&') << 2)
    })
}

/// Lookup table for ASCII name characters: 1 = name start, 2 = name only.
const ASCII_NAME: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' || b == b':' {
            1
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            2
        } else {
            0
        };
        c += 1;
    }
    t
};

/// Length in bytes of the run of XML name characters at the start of `s`
/// (ASCII by table, the rest by [`is_name_char`]).
fn name_chars_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c < 0x80 {
            if ASCII_NAME.get(c as usize).copied().unwrap_or(0) == 0 {
                return i;
            }
            i += 1;
        } else {
            match s.get(i..).and_then(|r| r.chars().next()) {
                Some(ch) if is_name_char(ch) => i += ch.len_utf8(),
                _ => return i,
            }
        }
    }
    i
}

/// [`is_name`], with ASCII names (nearly all) decided by the table.
fn is_xml_name(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&b) if b < 0x80 => {
            ASCII_NAME.get(b as usize) == Some(&1) && name_chars_len(s) == s.len()
        }
        _ => is_name(s),
    }
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

const PREDEFINED: [(&str, char); 5] = [
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("apos", '\''),
    ("quot", '"'),
];

impl<'l> P<'l> {
    fn finish(self, undecodable: bool) -> Parsed {
        Parsed {
            file: self.file,
            tree: self.tree,
            diagnostics: self.diags,
            internal_decls: self.internal_decls,
            included: self.included,
            dtd: self.dtd,
            entities_complete: self.entities_complete,
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
                        Diagnostic::error(
                            "xml-too-many-errors",
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
            (limits.max_expanded_bytes / 16)
                .max(self.doc_len.saturating_mul(limits.max_amplification)),
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
        if self.expanded.saturating_add(cost) > budget {
            let d = Diagnostic::error(
                "xml-entity-limit",
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
        self.expanded += cost;
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
                let d = Diagnostic::error(
                    "xml-text-outside-root",
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
                        let raw = frag.text.get(at..end).unwrap_or("");
                        self.add_text(raw, frag.span(at, end), frag.origin);
                        end
                    } else {
                        let end =
                            memchr::memchr2(b'<', b'&', run).map_or(frag.text.len(), |i| at + i);
                        self.text(frag, frag.text.get(at..end).unwrap_or(""), at);
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
                let d = Diagnostic::error(
                    "xml-unclosed-tag",
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
        let raw = frag.text.get(at..after).unwrap_or("");
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
        let rest = frag.text.get(at..).unwrap_or("");
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
        let rest = frag.text.get(start..).unwrap_or("");
        let after_amp = rest.as_bytes().get(1..).unwrap_or(&[]);
        match memchr::memchr3(b';', b'&', b'<', after_amp) {
            Some(i) if after_amp.get(i) == Some(&b';') => {
                let end = start + i + 2;
                self.reference(frag, frag.text.get(start..end).unwrap_or(""), start);
                end
            }
            Some(i) => {
                let end = start + i + 1;
                self.text(frag, frag.text.get(start..end).unwrap_or(""), start);
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
        let (rule, msg, label, resume): (&'static str, String, &str, Option<usize>) = match &e {
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
                ("xml-unterminated", what.to_string(), "starts here", resume)
            }
            quick_xml::Error::IllFormed(IllFormedError::DoubleHyphenInComment) => (
                "xml-bad-comment",
                "`--` is not allowed inside a comment".into(),
                "this `--` does not end the comment",
                frag.text
                    .get(at..)
                    .and_then(|r| r.find("-->"))
                    .map(|i| at + i + 3),
            ),
            other => ("xml-syntax", other.to_string(), "here", Some(at + 1)),
        };
        let end = at
            + frag
                .text
                .get(at..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8);
        let end = if rule == "xml-bad-comment" {
            at + 2
        } else {
            end
        };
        let d = Diagnostic::error(rule, frag.span(at, end), msg).label(label);
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
        let raw = frag.text.get(before..after).unwrap_or("");
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
                let inner = raw.get(2..raw.len().saturating_sub(2)).unwrap_or("");
                let target_len: usize = inner
                    .chars()
                    .take_while(|&c| is_name_char(c))
                    .map(char::len_utf8)
                    .sum();
                let target = inner.get(..target_len).unwrap_or("");
                let data = inner.get(target_len..).unwrap_or("").trim_start();
                if !is_name(target) {
                    let d = Diagnostic::error(
                        "xml-bad-name",
                        frag.span(before + 2, before + 2 + target_len.max(1)),
                        "processing instruction has no valid target name",
                    )
                    .label("a name must follow `<?`");
                    self.push(d);
                } else if target.eq_ignore_ascii_case("xml") {
                    let d = Diagnostic::error(
                        "xml-misplaced-declaration",
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
                    let d = Diagnostic::error(
                        "xml-misplaced-declaration",
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
            let d = Diagnostic::error(
                "xml-misplaced-declaration",
                frag.span(before, after),
                "a DOCTYPE may only stand before the root element, once",
            )
            .label("misplaced `<!DOCTYPE …>`");
            self.push(d);
        } else {
            let raw = frag.text.get(before..after).unwrap_or("");
            self.doctype(raw, before);
        }
    }

    /// The CDATA section at `before..after`.
    fn cdata(&mut self, frag: &Frag<'_>, before: usize, after: usize) {
        let raw = frag.text.get(before..after).unwrap_or("");
        self.flush_text();
        let inner = raw.get(9..raw.len().saturating_sub(3)).unwrap_or("");
        self.check_chars(frag, inner, before + 9);
        if self.stack.is_empty() {
            let d = Diagnostic::error(
                "xml-text-outside-root",
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
        let raw = frag.text.get(before..after).unwrap_or("");
        self.flush_text();
        let inner = raw.get(4..raw.len().saturating_sub(3)).unwrap_or("");
        self.check_chars(frag, inner, before + 4);
        if inner.ends_with('-') {
            let d = Diagnostic::error(
                "xml-bad-comment",
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
        let rest = raw.get(i + 8..).unwrap_or("");
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
        let enc = raw.get(val_start..val_start + len).unwrap_or("");
        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
            let d = Diagnostic::error(
                "xml-encoding",
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
                let d = Diagnostic::error("xml-invalid-char", frag.span(at, at + c.len_utf8()), format!("U+{:04X} is not allowed in XML", c as u32))
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
            let d = Diagnostic::error(
                "xml-syntax",
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
            let seg = raw.get(last..i).unwrap_or("");
            self.add_text(seg, frag.span(before + last, before + i), frag.origin);
            let d = Diagnostic::error(
                "xml-bare-ampersand",
                frag.span(before + i, before + i + 1),
                "`&` must start an entity reference",
            )
            .label("a bare `&` in text")
            .help("write `&amp;`");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.add_text("&", frag.span(before + i, before + i + 1), frag.origin);
            last = i + 1;
        }
        let seg = raw.get(last..).unwrap_or("");
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
        let inner = raw.get(1..inner_end).unwrap_or("");
        let first = inner.chars().next();
        if !first.is_some_and(is_name_start) {
            // `a < b` or `<1x>`: not a tag.
            if first.is_some_and(is_name_char) {
                let len: usize = inner
                    .chars()
                    .take_while(|&c| is_name_char(c))
                    .map(char::len_utf8)
                    .sum();
                let d = Diagnostic::error(
                    "xml-bad-name",
                    frag.span(before, before + 1 + len),
                    format!(
                        "`{}` is not a valid element name",
                        inner.get(..len).unwrap_or("")
                    ),
                )
                .label("names start with a letter, `_` or `:`")
                .help("rename the element");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            } else {
                let d = Diagnostic::error(
                    "xml-unescaped-lt",
                    frag.span(before, before + 1),
                    "`<` must start a tag",
                )
                .label("a bare `<` in text")
                .help("write `&lt;`");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
                self.add_text("<", frag.span(before, before + 1), frag.origin);
            }
            return Some(before + 1);
        }
        let name_len = name_chars_len(inner);
        let name = inner.get(..name_len).unwrap_or("");
        let name_span = frag.span(before + 1, before + 1 + name_len);
        let attributes = self.attributes(frag, inner, before + 1, name_len);
        let span = frag.span(before, before + raw.len());
        if self.stack.is_empty() && self.root_closed && !self.after_root_reported {
            self.after_root_reported = true;
            let d = Diagnostic::error(
                "xml-content-after-root",
                span,
                format!("`<{name}>` comes after the root element has ended"),
            )
            .label("a document has exactly one root element")
            .help("move this element inside the root element, or remove it");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
        }
        if self.stack.len() >= self.opts.limits.max_depth {
            let d = Diagnostic::error(
                "xml-depth-limit",
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
                    let d = Diagnostic::error(
                        "xml-bad-attribute",
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
            let rest = inner.get(i..).unwrap_or("");
            let nlen = name_chars_len(rest);
            let aname = rest.get(..nlen).unwrap_or("");
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
            let raw_val = inner.get(vstart..vstart + vlen).unwrap_or("");
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
                let d = Diagnostic::error(
                    "xml-duplicate-attribute",
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

    /// Normalize an attribute value: references resolved, white space
    /// characters turned into spaces.
    fn attr_value(&mut self, frag: &Frag<'_>, raw: &str, base: usize) -> TextRef {
        self.check_chars(frag, raw, base);
        // The usual value: nothing to resolve or normalize.
        if find_value_special(raw.as_bytes()).is_none() {
            return self.tree.add_text(raw);
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        let mut off = 0;
        while let Some(i) = find_value_special(rest.as_bytes()) {
            if self.abort {
                break;
            }
            out.push_str(rest.get(..i).unwrap_or(""));
            let at = off + i;
            let tail = rest.get(i..).unwrap_or("");
            match tail.as_bytes().first() {
                Some(b'<') => {
                    let d = Diagnostic::error(
                        "xml-unescaped-lt",
                        frag.span(base + at, base + at + 1),
                        "`<` is not allowed in an attribute value",
                    )
                    .label("a bare `<`")
                    .help("write `&lt;`");
                    let d = self.with_origin(d, frag.origin);
                    self.push(d);
                    out.push('<');
                    rest = tail.get(1..).unwrap_or("");
                    off = at + 1;
                }
                Some(b'&') => {
                    let semi = tail.find(';').filter(|&s| {
                        s > 1 && !tail.get(1..s).unwrap_or("").contains([' ', '&', '<'])
                    });
                    match semi {
                        None => {
                            let d = Diagnostic::error(
                                "xml-bare-ampersand",
                                frag.span(base + at, base + at + 1),
                                "`&` must start an entity reference",
                            )
                            .label("a bare `&` in an attribute value")
                            .help("write `&amp;`");
                            let d = self.with_origin(d, frag.origin);
                            self.push(d);
                            out.push('&');
                            rest = tail.get(1..).unwrap_or("");
                            off = at + 1;
                        }
                        Some(s) => {
                            let body = tail.get(1..s).unwrap_or("");
                            let span = frag.span(base + at, base + at + s + 1);
                            let mut active = Vec::new();
                            self.attr_reference(frag, body, span, &mut out, &mut active);
                            rest = tail.get(s + 1..).unwrap_or("");
                            off = at + s + 1;
                        }
                    }
                }
                _ => {
                    out.push(' ');
                    rest = tail.get(1..).unwrap_or("");
                    off = at + 1;
                }
            }
        }
        out.push_str(rest);
        self.tree.add_text(&out)
    }

    /// The reference `&body;` inside an attribute value, normalized onto
    /// `out`: a character, a predefined entity, or an internal entity whose
    /// replacement text is normalized in turn (XML 1.0 §3.3.3), references
    /// inside it included. `span` is the reference as written in the
    /// attribute: what goes wrong inside an expansion is reported there.
    /// `active` holds the entities being expanded, outermost first.
    fn attr_reference(
        &mut self,
        frag: &Frag<'_>,
        body: &str,
        span: Span,
        out: &mut String,
        active: &mut Vec<String>,
    ) {
        if self.abort {
            return;
        }
        // Where an inner finding comes from, for its message.
        let within = |active: &[String]| match active.first() {
            Some(outer) => format!(" (in the expansion of `&{outer};`)"),
            None => String::new(),
        };
        if let Some(num) = body.strip_prefix('#') {
            match char_ref_value(num) {
                Some(c) => out.push(c),
                None => self.bad_char_ref(frag, body, span),
            }
            return;
        }
        if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == body) {
            out.push(*c);
            return;
        }
        self.taint = true;
        if !is_xml_name(body) {
            let d = Diagnostic::error(
                "xml-bare-ampersand",
                span,
                format!("`&` must start an entity reference{}", within(active)),
            )
            .label(format!("`&{body};` is not a reference"))
            .help("write `&amp;`");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let Some(ent) = self.lookup(body) else {
            if active.is_empty() {
                self.undefined(frag, body, span);
            } else if self.entities_complete {
                let d = Diagnostic::error(
                    "xml-undefined-entity",
                    span,
                    format!("entity `{body}` is not defined{}", within(active)),
                )
                .label("an entity used here refers to an unknown entity");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            }
            return;
        };
        let Some(decl) = ent.decl() else { return };
        let EntityValue::Internal { text, .. } = &decl.value else {
            let d = Diagnostic::error(
                "xml-entity-in-attribute",
                span,
                format!(
                    "external entity `&{body};` cannot be used in an attribute value{}",
                    within(active)
                ),
            )
            .label("external entity")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        };
        if active.iter().any(|a| a == body) {
            let d = Diagnostic::error(
                "xml-recursive-entity",
                span,
                format!("entity `{body}` refers to itself{}", within(active)),
            )
            .label("this reference never ends")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        if active.len() >= self.opts.limits.max_entity_depth {
            let d = Diagnostic::error(
                "xml-entity-limit",
                span,
                format!(
                    "entities are nested more than {} deep",
                    self.opts.limits.max_entity_depth
                ),
            )
            .label("expansion stopped here")
            .note("this protects against entity bombs (\"billion laughs\"); the rest of the file was not checked");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.abort = true;
            return;
        }
        if !self.charge(text.len() + EXPANSION_COST, span, frag.origin) {
            return;
        }
        if text.contains('<') {
            let d = Diagnostic::error(
                "xml-entity-in-attribute",
                span,
                format!(
                    "`&{body};` holds markup and cannot be used in an attribute value{}",
                    within(active)
                ),
            )
            .label("this entity's text contains `<`")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        active.push(body.to_string());
        let mut rest: &str = text;
        while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
            if self.abort {
                break;
            }
            out.push_str(rest.get(..i).unwrap_or(""));
            let tail = rest.get(i..).unwrap_or("");
            if tail.starts_with('&') {
                match tail.find(';') {
                    Some(semi) => {
                        let inner = tail.get(1..semi).unwrap_or("");
                        self.attr_reference(frag, inner, span, out, active);
                        rest = tail.get(semi + 1..).unwrap_or("");
                    }
                    None => {
                        let d = Diagnostic::error(
                            "xml-bare-ampersand",
                            span,
                            format!("`&` must start an entity reference{}", within(active)),
                        )
                        .label("the text of an entity used here holds a bare `&`")
                        .help("write `&amp;` in the entity's text");
                        let d = self.with_origin(d, frag.origin);
                        self.push(d);
                        out.push('&');
                        rest = tail.get(1..).unwrap_or("");
                    }
                }
            } else {
                out.push(' ');
                rest = tail.get(1..).unwrap_or("");
            }
        }
        out.push_str(rest);
        active.pop();
    }

    fn bad_char_ref(&mut self, frag: &Frag<'_>, body: &str, span: Span) {
        let d = Diagnostic::error(
            "xml-bad-char-ref",
            span,
            format!("`&{body};` is not a valid character reference"),
        )
        .label("not a legal XML character")
        .help("use `&#NNN;` (decimal) or `&#xHHHH;` (hexadecimal) for a character XML allows");
        let d = self.with_origin(d, frag.origin);
        self.push(d);
    }

    fn undefined(&mut self, frag: &Frag<'_>, name: &str, span: Span) {
        self.taint = true;
        if !self.entities_complete {
            return;
        }
        let mut d = Diagnostic::error(
            "xml-undefined-entity",
            span,
            format!("entity `{name}` is not defined"),
        )
        .label("unknown entity");
        if let Some(best) = self.suggest_entity(name) {
            d = d.help(format!("did you mean `&{best};`?"));
        } else {
            d = d.help("declare it in the DOCTYPE's internal subset, or write the text out");
        }
        if self.shared.is_empty() && self.tree.doctype.is_some() {
            d = d.note(
                "the DOCTYPE pulls in no entity file: does it declare and reference `%ents;`?",
            );
        }
        let d = self.with_origin(d, frag.origin);
        self.push(d);
    }

    fn suggest_entity(&self, name: &str) -> Option<String> {
        let mut cands: Vec<&str> = PREDEFINED.iter().map(|(n, _)| *n).collect();
        cands.extend(self.local_entities.keys().map(String::as_str));
        for f in &self.shared {
            cands.extend(f.general.keys().map(String::as_str));
        }
        crate::suggest::closest(name, cands).map(str::to_string)
    }

    /// An entity by name. A name is taken into `local_entities` only when
    /// no earlier declaration has it, so looking there first, then in the
    /// files in order, finds the first declaration.
    fn lookup(&self, name: &str) -> Option<EntRef> {
        if let Some(d) = self.local_entities.get(name) {
            return Some(EntRef::Local(d.clone()));
        }
        self.shared
            .iter()
            .find_map(|f| f.general.get(name).map(|&i| EntRef::Shared(f.clone(), i)))
    }

    /// `&…;` in content.
    fn reference(&mut self, frag: &Frag<'_>, raw: &str, before: usize) {
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let span = frag.span(before, before + raw.len());
        if let Some(num) = body.strip_prefix('#') {
            match char_ref_value(num) {
                Some(c) => self.add_text(c.encode_utf8(&mut [0; 4]), span, frag.origin),
                None => self.bad_char_ref(frag, body, span),
            }
            return;
        }
        if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == body) {
            self.add_text(c.encode_utf8(&mut [0; 4]), span, frag.origin);
            return;
        }
        if !is_xml_name(body) {
            let d = Diagnostic::error(
                "xml-bare-ampersand",
                frag.span(before, before + 1),
                "`&` must start an entity reference",
            )
            .label(format!("`{raw}` is not a reference"))
            .help("write `&amp;`");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.add_text(raw, span, frag.origin);
            return;
        }
        let Some(ent) = self.lookup(body) else {
            self.undefined(frag, body, span);
            return;
        };
        if self.stack.is_empty() {
            let d = Diagnostic::error(
                "xml-text-outside-root",
                span,
                format!("entity reference `&{body};` outside the root element"),
            )
            .label("references may only stand inside elements");
            self.push(d);
            return;
        }
        let Some(decl) = ent.decl() else { return };
        if let EntityValue::External {
            ndata: Some(notation),
            ..
        } = &decl.value
        {
            let d = Diagnostic::error(
                "xml-unparsed-entity",
                span,
                format!("`&{body};` names an unparsed entity"),
            )
            .label(format!(
                "`{body}` is data in notation `{notation}`, not XML text"
            ))
            .note_at(decl.name_span, format!("`{body}` is declared here"))
            .help("refer to unparsed entities only in attributes of type ENTITY or ENTITIES");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let EntityValue::Internal { text, .. } = &decl.value else {
            let d = Diagnostic::warning(
                "xml-external-entity",
                span,
                format!("external entity `&{body};` is not loaded"),
            )
            .label("xeplint does not read external general entities")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            self.push(d);
            return;
        };
        if self.active.iter().any(|a| a == body) {
            let d = Diagnostic::error(
                "xml-recursive-entity",
                span,
                format!("entity `{body}` refers to itself"),
            )
            .label("this reference never ends")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let limits = &self.opts.limits;
        let budget = self.budget();
        let cost = text.len() + EXPANSION_COST;
        if self.active.len() >= limits.max_entity_depth || self.expanded + cost > budget {
            let why = if self.active.len() >= limits.max_entity_depth {
                format!(
                    "entities are nested more than {} deep",
                    limits.max_entity_depth
                )
            } else {
                format!("entity expansion exceeds {budget} bytes for this document")
            };
            let d = Diagnostic::error("xml-entity-limit", span, why)
                .label("expansion stopped here")
                .note("this protects against entity bombs (\"billion laughs\"); the rest of the file was not checked");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.abort = true;
            return;
        }
        // A reference in the document itself to an entity of a shared file:
        // the same text gives the same nodes in every document, so they are
        // copied from the first clean expansion instead of parsed again.
        let shared = match &ent {
            EntRef::Shared(f, i) if self.active.is_empty() && !self.opts.no_replay => Some((f, *i)),
            _ => None,
        };
        if let Some((f, i)) = shared
            && self.replay(f, i, span)
        {
            return;
        }
        self.flush_text();
        let mark = shared.map(|_| self.mark());
        self.expanded += cost;
        let exp = ExpId::from_index(self.tree.expansions.len());
        self.tree.expansions.push(Expansion {
            name: CompactString::from(body),
            reference: span,
            definition: decl.name_span,
            parent: frag.origin,
        });
        self.active.push(CompactString::from(body));
        let inner = Frag::new(text, decl.name_span.file, Some(decl), Some(exp));
        self.content(&inner, 0, false);
        self.flush_text();
        self.active.pop();
        if let (Some((f, i)), Some(mark)) = (shared, mark) {
            self.record(f, i, &mark);
        }
    }

    /// Where the parse stands before an expansion that may be recorded.
    fn mark(&mut self) -> Mark {
        self.taint = false;
        Mark {
            nodes: self.tree.nodes.len(),
            text: self.tree.text_len(),
            expansions: self.tree.expansions.len(),
            diags: self.diags.len(),
            errors: self.errors,
            expanded: self.expanded,
            parent: self.stack.last().copied(),
            depth: self.stack.len(),
        }
    }

    /// Keep the expansion made since `m` for the entity declared at `decl`
    /// of `file`, when it was clean: no diagnostic, no limit reached, nothing
    /// that depends on the document (see `taint`).
    fn record(&self, file: &ExtFile, decl: usize, m: &Mark) {
        if self.abort
            || self.truncated
            || self.taint
            || self.diags.len() != m.diags
            || self.errors != m.errors
            || self.stack.len() != m.depth
            || self.pending.is_some()
        {
            return;
        }
        let mut store = file.replays.write().unwrap_or_else(|e| e.into_inner());
        if store.closed || store.index.contains_key(&decl) || store.size() > MAX_REPLAY_BYTES {
            return;
        }
        store.reserve();
        let lens = store.lens();
        match self.record_into(&mut store, m) {
            Some(replay) => {
                store.index.insert(decl, replay);
            }
            None => store.truncate(lens),
        }
    }

    fn record_into(&self, store: &mut ReplayStore, m: &Mark) -> Option<Replay> {
        let tree = &self.tree;
        let rel = |i: usize, base: usize| u32::try_from(i.checked_sub(base)?).ok();
        let first_node = store.nodes.len();
        let first_exp = store.expansions.len();
        // Every string the expansion's nodes hold was stored after the mark:
        // they are copied as one block, and refer to it from its start.
        let first_text = store.text.len();
        store.text.push_str(tree.text_from(m.text));
        let text_end = tree.text_len();
        let text = |t: TextRef| t.relative_to(m.text, text_end);
        let mut depth_max = 0;
        let mut depths: Vec<usize> = Vec::new();
        for n in tree.nodes.get(m.nodes..)? {
            let (parent, depth) = match n.parent {
                Some(p) if Some(p) == m.parent && p.index() < m.nodes => (None, 0),
                Some(p) => {
                    let k = rel(p.index(), m.nodes)?;
                    (Some(k), depths.get(k as usize)? + 1)
                }
                None => return None,
            };
            depths.push(depth);
            let origin = rel(n.origin?.index(), m.expansions)?;
            let kind = match n.kind {
                NodeKind::Element(mut e) => {
                    depth_max = depth_max.max(depth + 1);
                    let start = store.attrs.len();
                    for a in tree.attributes(&e) {
                        store.attrs.push(Attribute {
                            name: text(a.name)?,
                            value: text(a.value)?,
                            ..*a
                        });
                    }
                    e.name = text(e.name)?;
                    e.attributes = AttrRange::new(start, store.attrs.len() - start);
                    NodeKind::Element(e)
                }
                NodeKind::Text(t) => NodeKind::Text(text(t)?),
                NodeKind::CData(t) => NodeKind::CData(text(t)?),
                NodeKind::Comment(t) => NodeKind::Comment(text(t)?),
                NodeKind::Pi { target, data } => NodeKind::Pi {
                    target: text(target)?,
                    data: text(data)?,
                },
            };
            store.nodes.push(ReplayNode {
                kind,
                parent,
                span: n.span,
                origin,
            });
        }
        for (k, e) in tree.expansions.get(m.expansions..)?.iter().enumerate() {
            let parent = match e.parent {
                None if k == 0 => None,
                Some(p) if k > 0 => Some(ExpId::from_index(rel(p.index(), m.expansions)? as usize)),
                _ => return None,
            };
            store.expansions.push(Expansion {
                name: e.name.clone(),
                reference: e.reference,
                definition: e.definition,
                parent,
            });
        }
        Some(Replay {
            nodes: (first_node, store.nodes.len()),
            text: (first_text, store.text.len()),
            expansions: (first_exp, store.expansions.len()),
            cost: self.expanded.checked_sub(m.expanded)?,
            depth: depth_max,
            max_entity_depth: self.opts.limits.max_entity_depth,
        })
    }

    /// Add the recorded expansion of the entity declared at `decl` of `file`
    /// for the reference at `span`; false (and nothing done) when there is
    /// none, or this document's limits or declarations would make the
    /// expansion differ: it is parsed instead.
    fn replay(&mut self, file: &ExtFile, decl: usize, span: Span) -> bool {
        let store = file.replays.read().unwrap_or_else(|e| e.into_inner());
        let Some(r) = store.index.get(&decl).copied() else {
            return false;
        };
        let (Some(nodes), Some(block), Some(expansions)) = (
            store.nodes.get(r.nodes.0..r.nodes.1),
            store.text.get(r.text.0..r.text.1),
            store.expansions.get(r.expansions.0..r.expansions.1),
        ) else {
            return false;
        };
        let limits = &self.opts.limits;
        if self.expanded.saturating_add(r.cost) > self.budget()
            || self.stack.is_empty()
            || self.stack.len() + r.depth > limits.max_depth
            || r.max_entity_depth != limits.max_entity_depth
        {
            return false;
        }
        // Nested references must find the same declarations here.
        for e in expansions.iter().skip(1) {
            let same = match self.lookup(&e.name) {
                Some(ent @ EntRef::Shared(..)) => {
                    ent.decl().map(|d| d.name_span) == Some(e.definition)
                }
                _ => false,
            };
            if !same {
                return false;
            }
        }
        self.flush_text();
        self.expanded += r.cost;
        let e0 = self.tree.expansions.len();
        for (k, e) in expansions.iter().enumerate() {
            self.tree.expansions.push(Expansion {
                name: e.name.clone(),
                reference: if k == 0 { span } else { e.reference },
                definition: e.definition,
                parent: e.parent.map(|p| ExpId::from_index(e0 + p.index())),
            });
        }
        let n0 = self.tree.nodes.len();
        let top = self.stack.last().copied();
        let base = self.tree.add_block(block);
        for n in nodes {
            let kind = match n.kind {
                NodeKind::Element(mut e) => {
                    let start = self.tree.attr_count();
                    for a in store.attributes(&e) {
                        self.tree.add_attr(Attribute {
                            name: a.name.moved_by(base),
                            value: a.value.moved_by(base),
                            ..*a
                        });
                    }
                    e.name = e.name.moved_by(base);
                    e.attributes = self.tree.attrs_since(start);
                    NodeKind::Element(e)
                }
                NodeKind::Text(t) => NodeKind::Text(t.moved_by(base)),
                NodeKind::CData(t) => NodeKind::CData(t.moved_by(base)),
                NodeKind::Comment(t) => NodeKind::Comment(t.moved_by(base)),
                NodeKind::Pi { target, data } => NodeKind::Pi {
                    target: target.moved_by(base),
                    data: data.moved_by(base),
                },
            };
            let parent = match n.parent {
                Some(k) => Some(NodeId::from_index(n0 + k as usize)),
                None => top,
            };
            let origin = Some(ExpId::from_index(e0 + n.origin as usize));
            self.tree.push(Node::new(kind, parent, n.span, origin));
        }
        true
    }

    fn end_tag(&mut self, frag: &Frag<'_>, raw: &str, before: usize, frame: usize) {
        self.flush_text();
        let inner = raw.get(2..raw.len().saturating_sub(1)).unwrap_or("");
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
            let d = Diagnostic::error(
                "xml-bad-name",
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
                        let d = Diagnostic::error(
                            "xml-mismatched-tag",
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
                let mut d = Diagnostic::error(
                    "xml-unexpected-end-tag",
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

    // ----- DOCTYPE -----

    fn doctype(&mut self, raw: &str, before: usize) {
        let file = self.file;
        let sp = |a: usize, b: usize| {
            Span::new(
                file,
                before + floor_char(raw, a),
                before + ceil_char(raw, b),
            )
        };
        let b = raw.as_bytes();
        let mut i = "<!DOCTYPE".len();
        let skip_ws = |i: &mut usize| {
            while b
                .get(*i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                *i += 1;
            }
        };
        skip_ws(&mut i);
        let rest = raw.get(i..).unwrap_or("");
        let nlen: usize = rest
            .chars()
            .take_while(|&c| is_name_char(c))
            .map(char::len_utf8)
            .sum();
        let name = rest.get(..nlen).unwrap_or("").to_string();
        if !is_name(&name) {
            self.push(
                Diagnostic::error(
                    "xml-bad-doctype",
                    sp(i, i + 1),
                    "the DOCTYPE has no valid document type name",
                )
                .label("a name such as `xep` was expected here"),
            );
        }
        i += nlen;
        skip_ws(&mut i);
        let mut system = None;
        let mut public = None;
        let mut system_span = None;
        let quoted = |i: &mut usize| -> Option<(usize, usize)> {
            let q = *b.get(*i)?;
            if q != b'"' && q != b'\'' {
                return None;
            }
            let len = b.get(*i + 1..)?.iter().position(|&c| c == q)?;
            let r = (*i + 1, *i + 1 + len);
            *i += len + 2;
            Some(r)
        };
        let kw = raw.get(i..).unwrap_or("");
        if kw.starts_with("SYSTEM") || kw.starts_with("PUBLIC") {
            let is_public = kw.starts_with("PUBLIC");
            i += 6;
            skip_ws(&mut i);
            if is_public {
                match quoted(&mut i) {
                    Some((a, e)) => public = Some(raw.get(a..e).unwrap_or("").to_string()),
                    None => self.push(
                        Diagnostic::error(
                            "xml-bad-doctype",
                            sp(i, i + 1),
                            "expected a quoted public identifier",
                        )
                        .label("here"),
                    ),
                }
                skip_ws(&mut i);
            }
            match quoted(&mut i) {
                Some((a, e)) => {
                    system = Some(raw.get(a..e).unwrap_or("").to_string());
                    system_span = Some(sp(a, e));
                }
                None => self.push(
                    Diagnostic::error(
                        "xml-bad-doctype",
                        sp(i, i + 1),
                        "expected a quoted system identifier",
                    )
                    .label("here"),
                ),
            }
            skip_ws(&mut i);
        }
        self.tree.doctype = Some(Doctype {
            name,
            system: system.clone(),
            public,
            span: sp(0, raw.len()),
            system_span,
        });
        // Internal subset.
        if b.get(i) == Some(&b'[') {
            let close = raw
                .rfind(']')
                .unwrap_or(raw.len().saturating_sub(1))
                .max(i + 1);
            let subset = raw.get(i + 1..close).unwrap_or("");
            let decls = parse_decls(subset, file, before + i + 1, Subset::Internal);
            for e in decls.errors {
                self.push(e);
            }
            let (place, shown) = (self.place.clone(), self.display_dir.clone());
            self.walk_decls(decls.decls, &place, &shown, 0);
        }
        // External subset: the DTD.
        if let (Some(sys), Some(span)) = (system, system_span) {
            self.dtd = self.load_dtd(&sys, span);
            if let DtdRef::Loaded(f) = &self.dtd {
                let f = f.clone();
                self.shared.push(f);
            }
        }
    }

    fn load_dtd(&mut self, system: &str, span: Span) -> DtdRef {
        let missing = |reason: String| DtdRef::Missing {
            span,
            system: system.to_string(),
            reason,
        };
        let admitted =
            match self.loader.gate.admit_system(&self.place, system) {
                Ok(a) => a,
                Err(why) => {
                    if why.is_policy() {
                        self.push(refusal_diagnostic(span, system, &why).help(
                            "xeplint will use its bundled DTD; pass `--dtd PATH` to choose one",
                        ));
                    }
                    return missing(why.reason());
                }
            };
        let display = display_join(&self.display_dir, system);
        match self.loader.load(&admitted, display) {
            Ok(f) => {
                for e in &f.decls.errors {
                    self.push(e.clone());
                }
                DtdRef::Loaded(f)
            }
            Err(e) => missing(e.reason()),
        }
    }

    /// Take in declarations in order: entities into scopes, parameter
    /// references spliced.
    fn walk_decls(&mut self, decls: Vec<Decl>, place: &Place, shown: &Path, depth: usize) {
        let mut local_pe: HashMap<String, EntityDecl> = HashMap::new();
        for d in decls {
            if self.abort {
                return;
            }
            match d {
                Decl::Entity(e) => {
                    if e.parameter {
                        local_pe.entry(e.name.clone()).or_insert(e);
                    } else if self.lookup(&e.name).is_none() {
                        self.local_entities.insert(e.name.clone(), Arc::new(e));
                    }
                }
                Decl::PeRef { name, span } => {
                    let pe = local_pe.get(&name).cloned().or_else(|| {
                        self.included
                            .iter()
                            .find_map(|f| f.entity(&name, true).cloned())
                    });
                    self.pe_reference(&name, span, pe, place, shown, depth);
                }
                other => self.internal_decls.push(other),
            }
        }
    }

    fn pe_reference(
        &mut self,
        name: &str,
        span: Span,
        pe: Option<EntityDecl>,
        place: &Place,
        shown: &Path,
        depth: usize,
    ) {
        let Some(pe) = pe else {
            self.push(
                Diagnostic::error(
                    "xml-undefined-entity",
                    span,
                    format!("parameter entity `%{name};` is not declared"),
                )
                .label("unknown parameter entity")
                .help(format!(
                    "declare it first, e.g. <!ENTITY % {name} SYSTEM 'xep.ent'>"
                )),
            );
            return;
        };
        if depth > crate::limits::MAX_PE_DEPTH {
            self.push(
                Diagnostic::error(
                    "xml-entity-limit",
                    span,
                    "parameter entities are nested too deeply",
                )
                .label("stopped here"),
            );
            return;
        }
        match &pe.value {
            EntityValue::Internal {
                text, span: vspan, ..
            } => {
                // Parameter entities can be nested into a bomb as well.
                if !self.charge(text.len() + EXPANSION_COST, span, None) {
                    return;
                }
                let decls = parse_decls(text, vspan.file, vspan.start as usize, Subset::External);
                for e in decls.errors {
                    self.push(e);
                }
                self.walk_decls(decls.decls, place, shown, depth + 1);
            }
            EntityValue::External {
                system,
                system_span,
                ..
            } => {
                let chosen = self.opts.entities.as_ref();
                let (admitted, display) = match chosen {
                    Some(c) => (
                        c.admitted(&self.loader.gate).clone(),
                        c.path.display().to_string(),
                    ),
                    None => (
                        self.loader.gate.admit_system(place, system),
                        display_join(shown, system),
                    ),
                };
                let loaded = match admitted {
                    Err(why) if why.is_policy() && chosen.is_none() => {
                        self.entities_complete = false;
                        self.push(refusal_diagnostic(*system_span, system, &why));
                        return;
                    }
                    Err(why) => Err(why),
                    Ok(a) => self.loader.load(&a, display.clone()),
                };
                match loaded {
                    Ok(f) => {
                        for e in &f.decls.errors {
                            self.push(e.clone());
                        }
                        if self.included.iter().any(|g| Arc::ptr_eq(g, &f)) {
                            return;
                        }
                        self.included.push(f.clone());
                        let sub_place = f
                            .admitted
                            .as_ref()
                            .map_or_else(|| place.clone(), |a| a.place());
                        let sub_shown = Path::new(&display)
                            .parent()
                            .map_or_else(PathBuf::new, Path::to_path_buf);
                        let nested: Vec<(String, Span)> = f
                            .pe_refs
                            .iter()
                            .filter_map(|&i| match f.decls.decls.get(i) {
                                Some(Decl::PeRef { name, span }) => Some((name.clone(), *span)),
                                _ => None,
                            })
                            .collect();
                        self.shared.push(f.clone());
                        for (n, s) in nested {
                            let inner = f.entity(&n, true).cloned();
                            self.pe_reference(&n, s, inner, &sub_place, &sub_shown, depth + 1);
                        }
                    }
                    Err(e) => {
                        self.entities_complete = false;
                        let what = match chosen {
                            Some(c) => format!("the entity file given by {}", c.by),
                            None => "entity file".to_string(),
                        };
                        let d = Diagnostic::warning(
                            "xml-entity-file-missing",
                            *system_span,
                            format!("{what} `{display}` could not be read: {}", e.reason()),
                        )
                        .label(format!("`%{name};` names this file"))
                        .help("pass `--entities PATH` to use another entity file")
                        .note("references to the entities it would define are not reported");
                        self.push(d);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recordings of a file whose folder no document to come is in are
    /// released; documents that still use the file parse its entities, with
    /// the same result.
    #[test]
    fn replays_closed_outside_the_coming_folders() {
        use crate::check::{Input, Options, Session};
        let dir = tempfile::tempdir().expect("temp dir");
        for f in ["a", "b"] {
            let folder = dir.path().join(f);
            std::fs::create_dir(&folder).expect("mkdir");
            std::fs::write(folder.join("e.ent"), "<!ENTITY x \"<p n='1'>x</p>\">").expect("write");
            let doc = "<!DOCTYPE r [<!ENTITY % e SYSTEM 'e.ent'> %e;]>\n<r>&x;<q>&x;</q></r>\n";
            std::fs::write(folder.join("d.xml"), doc).expect("write");
        }
        let session = Session::new(Options::default());
        // The tree with its strings resolved and the findings as printed:
        // neither depends on the ids the files were given.
        let check = |f: &str| {
            let input = Input::file(dir.path().join(f).join("d.xml"));
            let parsed = session.parse(&input).expect("readable");
            let tree = &parsed.tree;
            let nodes: Vec<String> = tree
                .nodes
                .iter()
                .map(|n| {
                    let kind = match &n.kind {
                        NodeKind::Element(e) => {
                            let attrs: Vec<(&str, &str)> = tree
                                .attributes(e)
                                .iter()
                                .map(|a| (tree.str(a.name), tree.str(a.value)))
                                .collect();
                            format!(
                                "<{}> {attrs:?} {:?}",
                                tree.name(e),
                                e.end_span().map(|s| s.start)
                            )
                        }
                        NodeKind::Text(t) => format!("text {:?}", tree.str(*t)),
                        other => format!("{other:?}"),
                    };
                    format!(
                        "{kind} {}..{} {:?} {:?}",
                        n.span.start, n.span.end, n.parent, n.origin
                    )
                })
                .collect();
            let report = session.check(&input);
            let shown =
                crate::report::short::render(std::slice::from_ref(&report), &session.snapshot());
            (nodes, shown)
        };
        let store = |f: &str| {
            let ent = session
                .loader
                .load(
                    &session
                        .gate()
                        .admit_named(&dir.path().join(f).join("e.ent"))
                        .expect("admitted"),
                    String::new(),
                )
                .expect("loaded");
            let s = ent.replays.read().expect("lock");
            (s.index.len(), s.is_closed())
        };
        let first = check("a");
        check("b");
        assert_eq!(store("a"), (1, false), "a's expansion was recorded");
        session
            .loader
            .close_replays_outside(&[dir.path().join("b")]);
        assert_eq!(store("a"), (0, true), "released");
        assert_eq!(store("b"), (1, false), "kept: documents to come are in b");
        assert_eq!(check("a"), first, "parsed again, the same");
        assert_eq!(store("a"), (0, true), "nothing recorded after closing");
    }

    #[test]
    fn fast_name_checks_agree_with_the_grammar() {
        for s in [
            "",
            "a",
            "A1",
            "_x",
            ":y",
            "x-y.z",
            "1a",
            "-a",
            ".a",
            "a b",
            "a\u{B7}",
            "\u{E9}t\u{E9}",
            "\u{B7}a",
            "a\u{300}",
            "\u{300}a",
            "a<",
            "xml:lang",
            "a\u{1}",
            "\u{10000}x",
            "x\u{FFFE}",
        ] {
            assert_eq!(is_xml_name(s), is_name(s), "{s:?}");
            let slow: usize = s
                .chars()
                .take_while(|&c| is_name_char(c))
                .map(char::len_utf8)
                .sum();
            assert_eq!(name_chars_len(s), slow, "{s:?}");
        }
        for b in 0u8..128 {
            let s = (b as char).to_string();
            assert_eq!(is_xml_name(&s), is_name(&s), "{b}");
        }
    }

    #[test]
    fn byte_scans_find_what_char_scans_find() {
        for s in [
            "plain text",
            "tab\tok",
            "bell\u{7}",
            "nul\0",
            "\u{FFFE}",
            "\u{FFFF}",
            "\u{FEFF} bom",
            "\u{FFFD} replacement",
            &"long ".repeat(40),
            &format!("{}\u{1}", "y".repeat(70)),
        ] {
            if s.chars().any(|c| !is_xml_char(c)) {
                assert!(may_hold_forbidden_char(s.as_bytes()), "{s:?}");
            }
        }
    }

    #[test]
    fn block_scans_see_every_byte_at_every_length() {
        for len in 0..100usize {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    if let Some(slot) = v.get_mut(at) {
                        *slot = c;
                    }
                    assert_eq!(
                        may_hold_forbidden_char(&v),
                        suspicious(c) != 0,
                        "{len} {at} {c}"
                    );
                    // The AVX2 build (taken on this CPU if it has AVX2) and
                    // the portable one.
                    assert_eq!(any_forbidden(&v), suspicious(c) != 0);
                    assert_eq!(text_flags(&v), scan_text(&v));
                    let flags = scan_text(&v);
                    assert_eq!(flags & SUSPICIOUS != 0, suspicious(c) != 0);
                    assert_eq!(flags & BRACKET != 0, c == b']');
                    assert_eq!(flags & AMPERSAND != 0, c == b'&');
                }
            }
            assert!(!may_hold_forbidden_char(&vec![b'a'; len]));
        }
    }

    /// The length quick-xml's reader gives the markup `s` starts with, when
    /// it reads it as a comment or CDATA section without error.
    fn reader_len(s: &str) -> Option<(bool, usize)> {
        let mut r = Reader::from_str(s);
        r.config_mut().check_comments = true;
        match r.read_event() {
            Ok(Event::Comment(_)) => Some((true, r.buffer_position() as usize)),
            Ok(Event::CData(_)) => Some((false, r.buffer_position() as usize)),
            _ => None,
        }
    }

    #[test]
    fn comments_and_cdata_delimited_without_the_reader_end_where_it_ends() {
        let cases = [
            "<!-- plain -->rest",
            "<!---->",
            "<!-- a -- b -->",
            "<!-- a --->",
            "<!--->-->",
            "<!-->-->",
            "<!-- a > b -->",
            "<!-- never closed",
            "<!-- x -->y-->",
            "<!-- \u{e9}t\u{e9} --><a/>",
            "<![CDATA[ a ]] > ]]>",
            "<![CDATA[]]>",
            "<![CDATA[ x ]]]]>",
            "<![CDATA[ never",
            "<![cdata[ x ]]>",
            "<!--",
            "<![CDATA[",
        ];
        for s in cases {
            let fast = plain_comment_len(s)
                .map(|n| (true, n))
                .or_else(|| cdata_len(s).map(|n| (false, n)));
            // Whatever the fast path takes, the reader reads the same way.
            if let Some(fast) = fast {
                assert_eq!(Some(fast), reader_len(s), "{s:?}");
            }
        }
        assert_eq!(plain_comment_len("<!-- plain -->rest"), Some(14));
        assert_eq!(cdata_len("<![CDATA[]]>"), Some(12));
        // Left to the reader: its errors are the ones reported.
        for s in [
            "<!-- a -- b -->",
            "<!-- a --->",
            "<!-- a > b -->",
            "<!-- open",
        ] {
            assert_eq!(plain_comment_len(s), None, "{s:?}");
        }
    }

    #[test]
    fn tag_ends_are_those_quick_xml_finds() {
        let cases = [
            "<a>",
            "<a/>rest>",
            "</a>",
            "<a b='>'>",
            "<a b=\"'>\" c='\"'>x",
            "<a b='never closed>",
            "<a b=\"x>",
            "<a",
            "<",
            "<a b='1'c=\"2\">>",
            "<a\n  b = '\u{e9}>' >",
        ];
        for s in cases {
            let mut scanner = ElementParser::Outside;
            assert_eq!(tag_end(s.as_bytes()), scanner.feed(s.as_bytes()), "{s:?}");
        }
    }

    #[test]
    fn value_scan_finds_the_first_special_byte() {
        let slow = |s: &[u8]| {
            s.iter()
                .position(|b| matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
        };
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        for len in [1usize, 15, 16, 17, 31, 32, 33, 40] {
            for at in [0, 1, len / 2, len.saturating_sub(1)] {
                for c in [b'&', b'<', b'\t', b'\n', b'\r', b'x'] {
                    let mut v = vec![b'a'; len];
                    if let Some(slot) = v.get_mut(at) {
                        *slot = c;
                    }
                    cases.push(v.clone());
                    // A second special byte after the first.
                    if let Some(slot) = v.get_mut(len - 1) {
                        *slot = b'&';
                    }
                    cases.push(v);
                }
            }
        }
        for s in &cases {
            assert_eq!(find_value_special(s), slow(s), "{s:?}");
        }
    }
}
