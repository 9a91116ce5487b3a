//! Markup declarations: the internal subset, entity files and DTDs.
//!
//! [`parse_decls`] reads a stream of declarations and returns them in order,
//! with parameter-entity references at the top level kept as [`Decl::PeRef`]
//! so the caller can load and splice external files. Syntax errors are
//! `dtd-syntax` diagnostics at their place in the file; the parser skips to the
//! next `>` and goes on.

use crate::diag::Diagnostic;
use crate::dtd::rules::{DTD_LIMIT, DTD_SYNTAX};
use crate::source::piece;
use crate::source::{FileId, Span};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occur {
    One,
    Opt,
    Star,
    Plus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParticleKind {
    Name(String),
    Seq(Vec<Particle>),
    Choice(Vec<Particle>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Particle {
    pub kind: ParticleKind,
    pub occur: Occur,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentSpec {
    Empty,
    Any,
    /// `(#PCDATA | a | b)*`; an empty list is `(#PCDATA)`.
    Mixed(Vec<String>),
    Children(Particle),
}

#[derive(Debug, Clone)]
pub struct ElementDecl {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub content: ContentSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttType {
    Cdata,
    Id,
    Idref,
    Idrefs,
    Entity,
    Entities,
    Nmtoken,
    Nmtokens,
    Notation(Vec<String>),
    Enumeration(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttDefault {
    Required,
    Implied,
    Fixed(String),
    Value(String),
}

#[derive(Debug, Clone)]
pub struct AttDef {
    pub name: String,
    pub name_span: Span,
    pub ty: AttType,
    pub default: AttDefault,
}

#[derive(Debug, Clone)]
pub struct AttlistDecl {
    pub element: String,
    pub span: Span,
    pub attributes: Vec<AttDef>,
}

/// The replacement text of an internal entity. Read it as a `&str`.
///
/// Most values hold no character reference: their replacement text is the
/// literal itself, and an entity file's declarations then share the file's
/// text instead of each keeping a copy (an `xep.ent` holds about 300 kB of
/// entity values).
#[derive(Clone)]
pub enum EntityText {
    /// Bytes `start..end` of a text held elsewhere (the file's).
    Shared {
        text: Arc<String>,
        start: u32,
        end: u32,
    },
    Owned(String),
}

impl std::ops::Deref for EntityText {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            EntityText::Shared { text, start, end } => piece(text, *start as usize..*end as usize),
            EntityText::Owned(s) => s,
        }
    }
}

impl std::fmt::Debug for EntityText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

#[derive(Debug, Clone)]
pub enum EntityValue {
    /// Replacement text, with character references already replaced.
    Internal {
        text: EntityText,
        /// The literal between the quotes.
        span: Span,
        /// Pairs (offset in `text`, offset in the file), ascending: where each
        /// stretch of `text` comes from after the first; empty when the text
        /// is the literal itself, byte for byte.
        map: Vec<(u32, u32)>,
    },
    External {
        system: String,
        public: Option<String>,
        system_span: Span,
        ndata: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct EntityDecl {
    pub name: String,
    pub parameter: bool,
    pub name_span: Span,
    pub span: Span,
    pub value: EntityValue,
}

impl EntityDecl {
    /// Where byte `offset` of the replacement text stands in its file.
    pub fn source_offset(&self, offset: usize) -> Option<usize> {
        let EntityValue::Internal { map, span, .. } = &self.value else {
            return None;
        };
        let off = u32::try_from(offset).ok()?;
        if map.is_empty() {
            return Some(span.start as usize + offset);
        }
        let i = match map.binary_search_by_key(&off, |&(t, _)| t) {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        let (t, s) = *map.get(i)?;
        Some((s + (off - t)) as usize)
    }
}

#[derive(Debug, Clone)]
pub enum Decl {
    Element(ElementDecl),
    Attlist(AttlistDecl),
    Entity(EntityDecl),
    /// `%name;` between declarations.
    PeRef {
        name: String,
        span: Span,
    },
}

/// Declarations read from one text, and the syntax errors met.
#[derive(Debug, Default, Clone)]
pub struct Decls {
    pub decls: Vec<Decl>,
    pub errors: Vec<Diagnostic>,
}

/// Whether a text is an internal subset (no conditional sections, no
/// parameter references inside declarations) or an external one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    Internal,
    External,
}

/// Parse `text`, which stands at byte `base` of file `file`.
pub fn parse_decls(text: &str, file: FileId, base: usize, subset: Subset) -> Decls {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        shared: None,
        pos: 0,
        file,
        base,
        subset,
        out: Decls::default(),
        ignore_depth: 0,
    };
    p.run();
    p.out
}

/// [`parse_decls`] on `text[start..]`, the whole text of `file`: entity
/// values that are their literal share `text` instead of copying it.
pub fn parse_decls_shared(text: &Arc<String>, start: usize, file: FileId, subset: Subset) -> Decls {
    let body = piece(text, start..);
    let mut p = Parser {
        s: body.as_bytes(),
        text: body,
        shared: Some(text),
        pos: 0,
        file,
        base: start,
        subset,
        out: Decls::default(),
        ignore_depth: 0,
    };
    p.run();
    p.out
}

const MAX_ERRORS: usize = 50;

use crate::limits::MAX_DECLARATIONS;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    /// The whole text `text` is the end of, from byte `base` on.
    shared: Option<&'a Arc<String>>,
    pos: usize,
    file: FileId,
    base: usize,
    subset: Subset,
    out: Decls,
    ignore_depth: usize,
}

pub(crate) fn is_name_start(c: char) -> bool {
    c == ':'
        || c == '_'
        || c.is_ascii_alphabetic()
        || matches!(c as u32,
            0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
            | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
            | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
}

pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c == '-'
        || c == '.'
        || c.is_ascii_digit()
        || c as u32 == 0xB7
        || matches!(c as u32, 0x300..=0x36F | 0x203F..=0x2040)
}

/// Whether `s` is an XML Name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Whether `s` is an XML Nmtoken.
pub fn is_nmtoken(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

struct Fail;
type R<T> = Result<T, Fail>;

impl Parser<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>, label: &str) -> Fail {
        if self.out.errors.len() < MAX_ERRORS {
            let d = Diagnostic::of(&DTD_SYNTAX, self.span(start, end.max(start)), msg).label(label);
            self.out.errors.push(d);
        }
        Fail
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn starts(&self, lit: &str) -> bool {
        self.s
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(lit.as_bytes()))
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn run(&mut self) {
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            let start = self.pos;
            if self.out.decls.len() >= MAX_DECLARATIONS {
                let end = self.char_end(start);
                let d = Diagnostic::of(&DTD_LIMIT,
                    self.span(start, end),
                    format!("more than {MAX_DECLARATIONS} declarations"),
                )
                .label("the declarations from here on are ignored")
                .note("xeplint reads at most this many declarations from one file, to keep its cost bounded");
                self.out.errors.push(d);
                break;
            }
            let res = if self.starts("<!--") {
                self.comment()
            } else if self.starts("<?") {
                self.pi()
            } else if self.starts("<![") {
                self.conditional()
            } else if self.starts("]]>") && self.ignore_depth > 0 {
                self.ignore_depth -= 1;
                self.pos += 3;
                Ok(())
            } else if self.starts("<!ELEMENT") {
                self.element()
            } else if self.starts("<!ATTLIST") {
                self.attlist()
            } else if self.starts("<!ENTITY") {
                self.entity()
            } else if self.starts("<!NOTATION") {
                self.skip_decl()
            } else if c == b'%' {
                self.pe_ref()
            } else {
                let end = self.char_end(start);
                Err(self.error(
                    start,
                    end,
                    "expected a markup declaration",
                    "a declaration (<!ELEMENT, <!ATTLIST, <!ENTITY) or a comment was expected here",
                ))
            };
            if res.is_err() {
                self.recover(start);
            }
        }
    }

    fn char_end(&self, at: usize) -> usize {
        self.text
            .get(at..)
            .and_then(|r| r.chars().next())
            .map_or(at, |c| at + c.len_utf8())
    }

    /// After an error: skip past the next `>` (at least one character).
    fn recover(&mut self, start: usize) {
        let from = (start + 1).max(self.pos.min(self.s.len()));
        match self
            .s
            .get(from..)
            .and_then(|r| r.iter().position(|&b| b == b'>'))
        {
            Some(i) => self.pos = from + i + 1,
            None => self.pos = self.s.len(),
        }
    }

    fn find(&self, lit: &str) -> Option<usize> {
        let hay = self.s.get(self.pos..)?;
        let needle = lit.as_bytes();
        hay.windows(needle.len())
            .position(|w| w == needle)
            .map(|i| self.pos + i)
    }

    fn comment(&mut self) -> R<()> {
        let start = self.pos;
        self.pos += 4;
        match self.find("-->") {
            Some(i) => {
                self.pos = i + 3;
                Ok(())
            }
            None => {
                self.pos = self.s.len();
                Err(self.error(
                    start,
                    start + 4,
                    "comment is never closed",
                    "this comment has no `-->`",
                ))
            }
        }
    }

    fn pi(&mut self) -> R<()> {
        let start = self.pos;
        match self.find("?>") {
            Some(i) => {
                self.pos = i + 2;
                Ok(())
            }
            None => {
                self.pos = self.s.len();
                Err(self.error(
                    start,
                    start + 2,
                    "processing instruction is never closed",
                    "no `?>` after this",
                ))
            }
        }
    }

    fn conditional(&mut self) -> R<()> {
        let start = self.pos;
        if self.subset == Subset::Internal {
            // Reported once; the whole section, nested ones included, is
            // skipped, so that its `]]>` is not read as a second error.
            let _ = self.error(
                start,
                start + 3,
                "conditional sections are not allowed in the internal subset",
                "conditional section",
            );
            let mut depth = 0usize;
            while self.pos < self.s.len() {
                if self.starts("<![") {
                    depth += 1;
                    self.pos += 3;
                } else if self.starts("]]>") {
                    self.pos += 3;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                } else {
                    self.pos += 1;
                }
            }
            return Ok(());
        }
        self.pos += 3;
        self.skip_ws();
        if self.starts("INCLUDE") {
            self.pos += 7;
            self.skip_ws();
            self.expect(b'[', "expected `[` after INCLUDE")?;
            // The content is parsed in place; the matching `]]>` is consumed by run().
            self.ignore_depth += 1;
            Ok(())
        } else if self.starts("IGNORE") {
            // Skip nested sections.
            let mut depth = 1usize;
            self.pos += 6;
            while depth > 0 {
                if self.pos >= self.s.len() {
                    return Err(self.error(
                        start,
                        start + 3,
                        "conditional section is never closed",
                        "no `]]>`",
                    ));
                }
                if self.starts("<![") {
                    depth += 1;
                    self.pos += 3;
                } else if self.starts("]]>") {
                    depth -= 1;
                    self.pos += 3;
                } else {
                    self.pos += 1;
                }
            }
            Ok(())
        } else {
            Err(self.error(
                start,
                self.pos,
                "expected INCLUDE or IGNORE",
                "conditional section",
            ))
        }
    }

    fn skip_decl(&mut self) -> R<()> {
        let start = self.pos;
        // Skip to the next `>` outside quotes.
        let mut quote = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (quote, c) {
                (None, b'"' | b'\'') => quote = Some(c),
                (Some(q), _) if q == c => quote = None,
                (None, b'>') => return Ok(()),
                _ => {}
            }
        }
        Err(self.error(
            start,
            start + 2,
            "declaration is never closed",
            "no `>` after this",
        ))
    }

    fn pe_ref(&mut self) -> R<()> {
        let start = self.pos;
        self.pos += 1;
        let name = self.name("expected an entity name after `%`")?;
        self.expect(b';', "expected `;` after the parameter entity name")?;
        self.out.decls.push(Decl::PeRef {
            name,
            span: self.span(start, self.pos),
        });
        Ok(())
    }

    fn expect(&mut self, b: u8, msg: &str) -> R<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            let at = self.pos;
            let end = self.char_end(at);
            Err(self.error(at, end, msg, &format!("expected `{}` here", b as char)))
        }
    }

    fn require_ws(&mut self, what: &str) -> R<()> {
        if self.skip_ws() {
            Ok(())
        } else {
            let at = self.pos;
            let end = self.char_end(at);
            Err(self.error(
                at,
                end,
                format!("expected white space {what}"),
                "white space needed here",
            ))
        }
    }

    fn name(&mut self, msg: &str) -> R<String> {
        let start = self.pos;
        let rest = piece(self.text, start..);
        // ASCII name characters (nearly all) by byte; from the first other
        // byte on, by character.
        let ascii = rest
            .bytes()
            .enumerate()
            .take_while(|&(i, b)| {
                b.is_ascii_alphabetic()
                    || b == b'_'
                    || b == b':'
                    || (i > 0 && (b.is_ascii_digit() || b == b'-' || b == b'.'))
            })
            .count();
        let mut end = start + ascii;
        if rest.as_bytes().get(ascii).is_some_and(|b| !b.is_ascii()) {
            for (i, c) in piece(rest, ascii..).char_indices() {
                let ok = if ascii + i == 0 {
                    is_name_start(c)
                } else {
                    is_name_char(c)
                };
                if !ok {
                    break;
                }
                end = start + ascii + i + c.len_utf8();
            }
        }
        if end == start {
            let e = self.char_end(start);
            return Err(self.error(start, e, msg, "not a name"));
        }
        self.pos = end;
        Ok(piece(self.text, start..end).to_string())
    }

    fn nmtoken(&mut self) -> R<String> {
        let start = self.pos;
        let rest = piece(self.text, start..);
        let len: usize = rest
            .chars()
            .take_while(|&c| is_name_char(c))
            .map(char::len_utf8)
            .sum();
        if len == 0 {
            let e = self.char_end(start);
            return Err(self.error(start, e, "expected a name token", "not a name token"));
        }
        self.pos += len;
        Ok(piece(rest, ..len).to_string())
    }

    fn close(&mut self, start: usize) -> R<()> {
        self.skip_ws();
        if self.peek() == Some(b'>') {
            self.pos += 1;
            Ok(())
        } else {
            let at = self.pos;
            let end = self.char_end(at);
            let _ = start;
            Err(self.error(
                at,
                end,
                "expected `>` to end the declaration",
                "expected `>` here",
            ))
        }
    }

    fn element(&mut self) -> R<()> {
        let start = self.pos;
        self.pos += "<!ELEMENT".len();
        self.require_ws("after <!ELEMENT")?;
        let name_start = self.pos;
        let name = self.name("expected an element name")?;
        let name_span = self.span(name_start, self.pos);
        self.require_ws("after the element name")?;
        let content = if self.starts("EMPTY") {
            self.pos += 5;
            ContentSpec::Empty
        } else if self.starts("ANY") {
            self.pos += 3;
            ContentSpec::Any
        } else if self.peek() == Some(b'(') {
            let save = self.pos;
            self.pos += 1;
            self.skip_ws();
            if self.starts("#PCDATA") {
                self.pos += 7;
                self.mixed(save)?
            } else {
                self.pos = save;
                ContentSpec::Children(self.particle(0)?)
            }
        } else {
            let at = self.pos;
            let end = self.char_end(at);
            return Err(self.error(
                at,
                end,
                "expected a content model",
                "EMPTY, ANY or a parenthesised model expected here",
            ));
        };
        self.close(start)?;
        self.out.decls.push(Decl::Element(ElementDecl {
            name,
            name_span,
            span: self.span(start, self.pos),
            content,
        }));
        Ok(())
    }

    fn mixed(&mut self, open: usize) -> R<ContentSpec> {
        let mut names = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'|') => {
                    self.pos += 1;
                    self.skip_ws();
                    names.push(self.name("expected an element name in mixed content")?);
                }
                Some(b')') => {
                    self.pos += 1;
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                    } else if !names.is_empty() {
                        let at = self.pos;
                        return Err(self.error(
                            open,
                            at,
                            "mixed content with elements must end with `)*`",
                            "add `*` after this group",
                        ));
                    }
                    return Ok(ContentSpec::Mixed(names));
                }
                _ => {
                    let at = self.pos;
                    let end = self.char_end(at);
                    return Err(self.error(
                        at,
                        end,
                        "expected `|` or `)` in mixed content",
                        "unexpected here",
                    ));
                }
            }
        }
    }

    fn occur(&mut self) -> Occur {
        let o = match self.peek() {
            Some(b'?') => Occur::Opt,
            Some(b'*') => Occur::Star,
            Some(b'+') => Occur::Plus,
            _ => return Occur::One,
        };
        self.pos += 1;
        o
    }

    fn particle(&mut self, depth: usize) -> R<Particle> {
        let start = self.pos;
        if depth > crate::limits::MAX_MODEL_DEPTH {
            return Err(self.error(
                start,
                self.char_end(start),
                "content model is nested too deeply",
                "too deep",
            ));
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let mut items = Vec::new();
            let mut sep: Option<u8> = None;
            loop {
                self.skip_ws();
                items.push(self.particle(depth + 1)?);
                self.skip_ws();
                match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(c @ (b',' | b'|')) => {
                        if sep.is_some_and(|s| s != c) {
                            let at = self.pos;
                            return Err(self.error(
                                at,
                                at + 1,
                                "a group cannot mix `,` and `|`",
                                "use nested parentheses",
                            ));
                        }
                        sep = Some(c);
                        self.pos += 1;
                    }
                    _ => {
                        let at = self.pos;
                        let end = self.char_end(at);
                        return Err(self.error(
                            at,
                            end,
                            "expected `,`, `|` or `)` in a content model",
                            "unexpected here",
                        ));
                    }
                }
            }
            let occur = self.occur();
            let kind = if sep == Some(b'|') {
                ParticleKind::Choice(items)
            } else {
                ParticleKind::Seq(items)
            };
            Ok(Particle {
                kind,
                occur,
                span: self.span(start, self.pos),
            })
        } else {
            let name = self.name("expected an element name or `(` in a content model")?;
            let occur = self.occur();
            Ok(Particle {
                kind: ParticleKind::Name(name),
                occur,
                span: self.span(start, self.pos),
            })
        }
    }

    fn attlist(&mut self) -> R<()> {
        let start = self.pos;
        self.pos += "<!ATTLIST".len();
        self.require_ws("after <!ATTLIST")?;
        let element = self.name("expected an element name")?;
        let mut attributes = Vec::new();
        loop {
            let had_ws = self.skip_ws();
            if self.peek() == Some(b'>') {
                self.pos += 1;
                break;
            }
            if !had_ws {
                let at = self.pos;
                let end = self.char_end(at);
                return Err(self.error(
                    at,
                    end,
                    "expected white space before an attribute definition",
                    "here",
                ));
            }
            let name_start = self.pos;
            let name = self.name("expected an attribute name")?;
            let name_span = self.span(name_start, self.pos);
            self.require_ws("after the attribute name")?;
            let ty = self.att_type()?;
            self.require_ws("after the attribute type")?;
            let default = if self.starts("#REQUIRED") {
                self.pos += 9;
                AttDefault::Required
            } else if self.starts("#IMPLIED") {
                self.pos += 8;
                AttDefault::Implied
            } else if self.starts("#FIXED") {
                self.pos += 6;
                self.require_ws("after #FIXED")?;
                AttDefault::Fixed(self.att_literal()?)
            } else {
                AttDefault::Value(self.att_literal()?)
            };
            attributes.push(AttDef {
                name,
                name_span,
                ty,
                default,
            });
        }
        self.out.decls.push(Decl::Attlist(AttlistDecl {
            element,
            span: self.span(start, self.pos),
            attributes,
        }));
        Ok(())
    }

    fn att_type(&mut self) -> R<AttType> {
        const KEYWORDS: [(&str, AttType); 8] = [
            ("CDATA", AttType::Cdata),
            ("IDREFS", AttType::Idrefs),
            ("IDREF", AttType::Idref),
            ("ID", AttType::Id),
            ("ENTITY", AttType::Entity),
            ("ENTITIES", AttType::Entities),
            ("NMTOKENS", AttType::Nmtokens),
            ("NMTOKEN", AttType::Nmtoken),
        ];
        if self.peek() == Some(b'(') {
            return Ok(AttType::Enumeration(self.enumeration(false)?));
        }
        if self.starts("NOTATION") {
            self.pos += 8;
            self.require_ws("after NOTATION")?;
            return Ok(AttType::Notation(self.enumeration(true)?));
        }
        // Longest keyword first: ENTITIES before ENTITY.
        let mut best: Option<(usize, AttType)> = None;
        for (kw, ty) in KEYWORDS {
            if self.starts(kw) && best.as_ref().is_none_or(|(l, _)| kw.len() > *l) {
                best = Some((kw.len(), ty));
            }
        }
        match best {
            Some((len, ty)) => {
                self.pos += len;
                Ok(ty)
            }
            None => {
                let at = self.pos;
                let end = self.char_end(at);
                Err(self.error(
                    at,
                    end,
                    "expected an attribute type",
                    "CDATA, ID, NMTOKEN, an enumeration… expected here",
                ))
            }
        }
    }

    fn enumeration(&mut self, names: bool) -> R<Vec<String>> {
        self.expect(b'(', "expected `(`")?;
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            out.push(if names {
                self.name("expected a notation name")?
            } else {
                self.nmtoken()?
            });
            self.skip_ws();
            match self.peek() {
                Some(b'|') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    let at = self.pos;
                    let end = self.char_end(at);
                    return Err(self.error(
                        at,
                        end,
                        "expected `|` or `)` in an enumeration",
                        "unexpected here",
                    ));
                }
            }
        }
    }

    /// A quoted literal; returns (content start, content end) and moves past it.
    fn quoted(&mut self, what: &str) -> R<(usize, usize)> {
        let start = self.pos;
        let Some(q @ (b'"' | b'\'')) = self.peek() else {
            let end = self.char_end(start);
            return Err(self.error(
                start,
                end,
                format!("expected a quoted {what}"),
                "a quote was expected here",
            ));
        };
        match self.s.get(start + 1..).and_then(|r| memchr::memchr(q, r)) {
            Some(i) => {
                self.pos = start + 1 + i + 1;
                Ok((start + 1, start + 1 + i))
            }
            None => {
                self.pos = self.s.len();
                Err(self.error(
                    start,
                    start + 1,
                    format!("{what} is never closed"),
                    "this quote has no partner",
                ))
            }
        }
    }

    fn att_literal(&mut self) -> R<String> {
        let (a, b) = self.quoted("default value")?;
        Ok(piece(self.text, a..b).to_string())
    }

    fn entity(&mut self) -> R<()> {
        let start = self.pos;
        self.pos += "<!ENTITY".len();
        self.require_ws("after <!ENTITY")?;
        let parameter = if self.peek() == Some(b'%') {
            self.pos += 1;
            self.require_ws("after `%`")?;
            true
        } else {
            false
        };
        let name_start = self.pos;
        let name = self.name("expected an entity name")?;
        let name_span = self.span(name_start, self.pos);
        self.require_ws("after the entity name")?;
        let value = if self.starts("SYSTEM") || self.starts("PUBLIC") {
            let public = if self.starts("PUBLIC") {
                self.pos += 6;
                self.require_ws("after PUBLIC")?;
                let (a, b) = self.quoted("public identifier")?;
                self.require_ws("after the public identifier")?;
                Some(piece(self.text, a..b).to_string())
            } else {
                self.pos += 6;
                self.require_ws("after SYSTEM")?;
                None
            };
            let (a, b) = self.quoted("system identifier")?;
            let system = piece(self.text, a..b).to_string();
            let system_span = self.span(a, b);
            let mut ndata = None;
            let save = self.pos;
            if self.skip_ws() && self.starts("NDATA") {
                if parameter {
                    return Err(self.error(
                        self.pos,
                        self.pos + 5,
                        "a parameter entity cannot have NDATA",
                        "NDATA",
                    ));
                }
                self.pos += 5;
                self.require_ws("after NDATA")?;
                ndata = Some(self.name("expected a notation name")?);
            } else {
                self.pos = save;
            }
            EntityValue::External {
                system,
                public,
                system_span,
                ndata,
            }
        } else {
            let (a, b) = self.quoted("entity value")?;
            let (text, map) = self.entity_text(a, b)?;
            EntityValue::Internal {
                text,
                span: self.span(a, b),
                map,
            }
        };
        self.close(start)?;
        self.out.decls.push(Decl::Entity(EntityDecl {
            name,
            parameter,
            name_span,
            span: self.span(start, self.pos),
            value,
        }));
        Ok(())
    }

    /// The replacement text of an entity value: character references are
    /// replaced now, general entity references are kept for later.
    fn entity_text(&mut self, a: usize, b: usize) -> R<(EntityText, Vec<(u32, u32)>)> {
        let raw = piece(self.text, a..b);
        if !raw.contains("&#") && (self.subset == Subset::External || !raw.contains('%')) {
            // The replacement text is the literal.
            let text = match self.shared {
                Some(all) => EntityText::Shared {
                    text: all.clone(),
                    start: u32::try_from(self.base + a).unwrap_or(u32::MAX),
                    end: u32::try_from(self.base + b).unwrap_or(u32::MAX),
                },
                None => EntityText::Owned(raw.to_string()),
            };
            return Ok((text, Vec::new()));
        }
        let mut text = String::with_capacity(raw.len());
        let abs = |o: usize| u32::try_from(self.base + a + o).unwrap_or(u32::MAX);
        let mut map = vec![(0u32, abs(0))];
        let mut i = 0;
        while i < raw.len() {
            let rest = piece(raw, i..);
            if rest.starts_with("&#") {
                let Some(semi) = rest.find(';') else {
                    return Err(self.error(
                        a + i,
                        a + i + 2,
                        "character reference is not closed with `;`",
                        "here",
                    ));
                };
                let body = piece(rest, 2..semi);
                match char_ref_value(body) {
                    Some(c) => {
                        text.push(c);
                        i += semi + 1;
                        map.push((u32::try_from(text.len()).unwrap_or(u32::MAX), abs(i)));
                    }
                    None => {
                        return Err(self.error(
                            a + i,
                            a + i + semi + 1,
                            format!("`&#{body};` is not a valid character reference"),
                            "not a legal XML character",
                        ));
                    }
                }
            } else if rest.starts_with('%') {
                if self.subset == Subset::Internal {
                    return Err(self.error(
                        a + i,
                        a + i + 1,
                        "parameter entity references are not allowed inside declarations in the internal subset",
                        "here",
                    ));
                }
                // Kept literally: xeplint does not expand parameter entities inside entity values.
                text.push('%');
                i += 1;
            } else {
                // Copy the run up to the next `&` or `%` (after the first
                // character, which may be an `&` that starts no character
                // reference) in one go.
                let first = rest.chars().next().map_or(1, char::len_utf8);
                let run = rest
                    .as_bytes()
                    .get(first..)
                    .and_then(|r| memchr::memchr2(b'&', b'%', r))
                    .map_or(rest.len(), |k| first + k);
                text.push_str(piece(rest, ..run));
                i += run.max(1);
            }
        }
        Ok((EntityText::Owned(text), map))
    }
}

/// The character a reference body (`#` already removed: `169` or `x2013`) stands for,
/// if it is a legal XML character.
pub fn char_ref_value(body: &str) -> Option<char> {
    let n = if let Some(hex) = body.strip_prefix('x') {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok()?
    } else {
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        body.parse::<u32>().ok()?
    };
    let c = char::from_u32(n)?;
    is_xml_char(c).then_some(c)
}

/// XML 1.0 `Char`.
pub fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Decls {
        parse_decls(s, FileId(0), 0, Subset::External)
    }

    #[test]
    fn names_are_read_as_the_grammar_says() {
        // The name a declaration gets, by the character classes alone.
        let slow = |s: &str| -> String {
            let mut out = String::new();
            for c in s.chars() {
                let ok = if out.is_empty() {
                    is_name_start(c)
                } else {
                    is_name_char(c)
                };
                if !ok {
                    break;
                }
                out.push(c);
            }
            out
        };
        let parts = [
            "a", "Z", "_", ":", "1", "-", ".", "é", "\u{B7}", "\u{300}", "x",
        ];
        let mut names = vec![String::new()];
        for _ in 0..3 {
            names = names
                .iter()
                .flat_map(|n| parts.iter().map(move |p| format!("{n}{p}")))
                .collect();
        }
        for n in &names {
            let text = format!("{n} rest");
            let mut p = Parser {
                s: text.as_bytes(),
                text: &text,
                shared: None,
                pos: 0,
                file: FileId(0),
                base: 0,
                subset: Subset::External,
                out: Decls::default(),
                ignore_depth: 0,
            };
            let want = slow(&text);
            match p.name("a name") {
                Ok(got) => {
                    assert_eq!(got, want, "{n:?}");
                    assert_eq!(p.pos, want.len(), "{n:?}");
                }
                Err(_) => assert!(want.is_empty(), "{n:?}"),
            }
        }
    }

    #[test]
    fn element_models() {
        let d = parse(
            "<!ELEMENT a (b, (c | d)*, e?)+ ><!ELEMENT b (#PCDATA | c)* ><!ELEMENT c EMPTY><!ELEMENT d (#PCDATA)*>",
        );
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.decls.len(), 4);
        let Decl::Element(a) = &d.decls[0] else {
            panic!()
        };
        let ContentSpec::Children(p) = &a.content else {
            panic!()
        };
        assert_eq!(p.occur, Occur::Plus);
        let ParticleKind::Seq(items) = &p.kind else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        assert!(matches!(items[1].kind, ParticleKind::Choice(_)));
        assert_eq!(items[1].occur, Occur::Star);
        let Decl::Element(b) = &d.decls[1] else {
            panic!()
        };
        assert_eq!(b.content, ContentSpec::Mixed(vec!["c".into()]));
        let Decl::Element(dd) = &d.decls[3] else {
            panic!()
        };
        assert_eq!(dd.content, ContentSpec::Mixed(vec![]));
    }

    #[test]
    fn attlists() {
        let d = parse(
            "<!ATTLIST x a CDATA '' b (one|two) 'one' c ID #REQUIRED d CDATA #FIXED \"v\" e IDREFS #IMPLIED>",
        );
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let Decl::Attlist(a) = &d.decls[0] else {
            panic!()
        };
        assert_eq!(a.attributes.len(), 5);
        assert_eq!(
            a.attributes[1].ty,
            AttType::Enumeration(vec!["one".into(), "two".into()])
        );
        assert_eq!(a.attributes[2].default, AttDefault::Required);
        assert_eq!(a.attributes[3].default, AttDefault::Fixed("v".into()));
        assert_eq!(a.attributes[4].ty, AttType::Idrefs);
    }

    #[test]
    fn entities_and_char_refs() {
        let src =
            "<!-- c --><!ENTITY % ents SYSTEM 'x.ent'>%ents;<!ENTITY c \"&#169; <a>&amp;</a>\">";
        let d = parse(src);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(matches!(&d.decls[1], Decl::PeRef { name, .. } if name == "ents"));
        let Decl::Entity(e) = &d.decls[2] else {
            panic!()
        };
        let EntityValue::Internal { text, .. } = &e.value else {
            panic!()
        };
        assert_eq!(&**text, "© <a>&amp;</a>");
        // "©" is 2 bytes in text, 6 in the source: offset 3 (`<`) maps after the reference.
        let lt = src.find("<a>").unwrap();
        assert_eq!(e.source_offset(3), Some(lt));
    }

    #[test]
    fn too_deep_a_model_is_reported_on_the_character_where_it_stops() {
        // At the end of the text, and before a character of two bytes.
        for tail in ["", "é>"] {
            let src = format!("<!ELEMENT ul {}{tail}", "(".repeat(65));
            let d = parse(&src);
            let e = d
                .errors
                .iter()
                .find(|e| e.message.contains("nested too deeply"))
                .expect("reported");
            let s = e.primary.span;
            assert_eq!(s.start as usize, "<!ELEMENT ul ".len() + 65);
            assert!(s.end as usize <= src.len() && src.is_char_boundary(s.end as usize));
        }
    }

    #[test]
    fn literal_values_share_the_file_text() {
        let src = Arc::new(
            "\u{FEFF}<!ENTITY a \"x <b>&c;</b> 50%\"><!ENTITY d '&#65;z'><!ENTITY % p 'q'>"
                .to_string(),
        );
        let d = parse_decls_shared(&src, 3, FileId(7), Subset::External);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let value = |i: usize| match &d.decls[i] {
            Decl::Entity(e) => match &e.value {
                EntityValue::Internal { text, .. } => (e, text),
                _ => panic!(),
            },
            _ => panic!(),
        };
        // Same text as a private copy would give, and the same offsets.
        let copied = parse_decls(src.get(3..).unwrap(), FileId(7), 3, Subset::External);
        for (i, want) in [(0, "x <b>&c;</b> 50%"), (1, "Az"), (2, "q")] {
            let (e, text) = value(i);
            assert_eq!(&**text, want);
            let Decl::Entity(c) = &copied.decls[i] else {
                panic!()
            };
            for off in 0..=want.len() {
                assert_eq!(
                    e.source_offset(off),
                    c.source_offset(off),
                    "{want} at {off}"
                );
            }
        }
        assert!(matches!(value(0).1, EntityText::Shared { .. }));
        assert!(matches!(value(1).1, EntityText::Owned(_)));
        let lt = src.find("<b>").unwrap();
        assert_eq!(value(0).0.source_offset(2), Some(lt));
        // A character reference: the text is its own, mapped past the reference.
        assert_eq!(value(1).0.source_offset(1), Some(src.find("z'").unwrap()));
    }

    #[test]
    fn errors_are_located_and_recovered() {
        let d = parse("<!ELEMENT a (b,|c)>\n<!ELEMENT ok EMPTY>\n<!BOGUS>");
        assert_eq!(d.decls.len(), 1);
        assert_eq!(d.errors.len(), 2);
        assert_eq!(d.errors[0].primary.span.start, 15);
    }

    #[test]
    fn bad_char_refs() {
        assert_eq!(char_ref_value("x2013"), Some('–'));
        assert_eq!(char_ref_value("0"), None);
        assert_eq!(char_ref_value("xZZ"), None);
        assert_eq!(char_ref_value("99999999999"), None);
    }
}
