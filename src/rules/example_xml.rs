use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::source::piece;
use crate::xml::{NodeId, NodeKind, Tree};
use std::borrow::Cow;

declare_rule! {
    /// ## What it checks
    /// An `<example>` whose CDATA content is XML (it starts with `<`) is well-formed, read with
    /// roxmltree inside a synthetic root. The conventions examples use are accepted: several
    /// top-level elements, `...`, `…`, `[...]` and `<...>` elisions, comments, an XML declaration,
    /// namespace prefixes declared elsewhere, unknown entities, a stream opened and not closed
    /// or closed without being opened. What is reported is certainly broken: a mismatched end
    /// tag, a duplicated attribute, an unquoted or malformed attribute, a bare `&` or `<`.
    /// The report is at the exact line inside the example.
    ///
    /// ## Why it matters
    /// Implementers copy examples; XEP-0143 ("XEP Styleguide") asks that protocol examples be
    /// valid XML. A broken example is a bug in the specification.
    ///
    /// ## Example
    /// Bad: `<iq type='get'><query xmlns='jabber:iq:version'></iq>`;
    /// good: `<iq type='get'><query xmlns='jabber:iq:version'/></iq>`.
    ExampleXml { id: "example-xml", severity: Warning, summary: "an <example> whose XML is not well-formed" }
}

use crate::xml::fragment::{self, ROOT, Scratch};

impl Rule for ExampleXml {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let mut scratch = Scratch::default();
        for ex in &cx.xep.examples {
            let text = example_text(cx, ex.node, None);
            let Some(found) = finding_with(&text, &mut scratch) else {
                continue;
            };
            // Only a finding needs the way back to the files.
            let mut map = TextMap::new();
            example_text(cx, ex.node, Some(&mut map));
            let Some(span) = locate(&text, &map, found.offset.min(text.len())) else {
                continue;
            };
            out.push(
                cx.diag(&ExampleXml::INFO, span, found.message)
                    .label(found.label)
                    .help("fix the example so implementers can copy it; `xeplint explain example-xml` lists what is tolerated"),
            );
        }
    }
}

/// Where a stretch of the example's text stands in a file: (offset in the
/// text, span in the file, whether offsets inside map one to one).
type TextMap = Vec<(usize, Span, bool)>;

/// The example's text (CDATA, text, and what entities inside expand to) and,
/// when `map` is given, the way back to the files. The usual example, one
/// CDATA section, is borrowed from the tree, not copied.
fn example_text<'a>(
    cx: &Context<'a>,
    example: NodeId,
    mut map: Option<&mut TextMap>,
) -> Cow<'a, str> {
    let mut text: Cow<'a, str> = Cow::Borrowed("");
    let mut next = Some(example);
    while let Some(id) = next {
        next = next_in_order(cx.tree, example, id);
        let Some(n) = cx.tree.node(id) else { continue };
        let (piece, span, exact) = match &n.kind {
            NodeKind::CData(t) if n.origin.is_none() => {
                let t = cx.tree.str(*t);
                let start = n.span.start as usize + 9;
                (t, Span::new(n.span.file, start, start + t.len()), true)
            }
            NodeKind::Text(t) if n.origin.is_none() => {
                let t = cx.tree.str(*t);
                let file = cx.sources.get(n.span.file);
                let src = file.as_ref().and_then(|f| f.text.get(n.span.range()));
                match src {
                    Some(src) if src != t => {
                        // Escaped text: map each stretch between references.
                        if let Some(map) = map.as_deref_mut() {
                            map_escaped(src, n.span, text.len(), map);
                        }
                        append(&mut text, t);
                        continue;
                    }
                    _ => (t, n.span, true),
                }
            }
            NodeKind::Text(t) | NodeKind::CData(t) => (
                cx.tree.str(*t),
                cx.tree.document_span(id).unwrap_or(n.span),
                false,
            ),
            _ => continue,
        };
        if let Some(map) = map.as_deref_mut() {
            map.push((text.len(), span, exact));
        }
        append(&mut text, piece);
    }
    text
}

/// The node after `id` in a pre-order walk of `start`'s subtree (the order of
/// [`Tree::descendants`], without its stack).
fn next_in_order(tree: &Tree, start: NodeId, id: NodeId) -> Option<NodeId> {
    if let Some(c) = tree.first_child(id) {
        return Some(c);
    }
    let mut cur = id;
    while cur != start {
        if let Some(s) = tree.next_sibling(cur) {
            return Some(s);
        }
        cur = tree.node(cur)?.parent?;
    }
    None
}

/// Add `piece` to `text`, copying only from the second non-empty piece on.
fn append<'a>(text: &mut Cow<'a, str>, piece: &'a str) {
    if piece.is_empty() {
        return;
    }
    match text {
        Cow::Borrowed("") => *text = Cow::Borrowed(piece),
        Cow::Borrowed(t) => {
            let mut s = String::with_capacity(t.len() + piece.len());
            s.push_str(t);
            s.push_str(piece);
            *text = Cow::Owned(s);
        }
        Cow::Owned(s) => s.push_str(piece),
    }
}

/// Map stretches of escaped source text (`&lt;iq&gt;`) to the resolved text
/// starting at `base` in the example's text.
fn map_escaped(src: &str, span: Span, base: usize, map: &mut TextMap) {
    let mut resolved = base;
    let mut p = 0;
    map.push((
        resolved,
        Span::new(span.file, span.start as usize, span.end as usize),
        true,
    ));
    while let Some(i) = src.get(p..).and_then(|r| r.find('&')).map(|i| i + p) {
        let Some(semi) = src.get(i..).and_then(|r| r.find(';')).map(|j| i + j) else {
            break;
        };
        let body = piece(src, i + 1..semi);
        let c = match body {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => body
                .strip_prefix('#')
                .and_then(crate::dtd::decl::char_ref_value),
        };
        let Some(c) = c else { break };
        resolved += (i - p) + c.len_utf8();
        p = semi + 1;
        let at = span.start as usize + p;
        map.push((resolved, Span::new(span.file, at, span.end as usize), true));
    }
}

/// The span of byte `offset` of the example's text.
fn locate(text: &str, map: &TextMap, offset: usize) -> Option<Span> {
    let i = map
        .partition_point(|(o, _, _)| *o <= offset)
        .checked_sub(1)?;
    let (o, span, exact) = *map.get(i)?;
    if exact {
        let at = span.start as usize + (offset - o);
        let width = text
            .get(offset..)
            .and_then(|r| r.chars().next())
            .map_or(0, char::len_utf8);
        Some(Span::new(span.file, at, at + width))
    } else {
        Some(span)
    }
}

/// [`prepare_marked`], finding the markers itself.
#[cfg(test)]
fn prepare(text: &str) -> Cow<'_, str> {
    prepare_marked(text, markers(text.as_bytes()))
}

/// What one pass over an example's text finds of the constructs
/// [`xml_body`] and [`prepare_marked`] look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Markers {
    /// `<!ELEMENT` or `<!ATTLIST` (a DTD).
    dtd: bool,
    /// `…`: elisions `prepare` blanks out (besides `...`, which is searched
    /// apart: dots are too common to visit each).
    ellipsis: bool,
    /// `<?xml `: an XML declaration.
    xml_decl: bool,
    /// `<!DOCTYPE`.
    doctype: bool,
}

/// [`Markers`] of a text: one search for the bytes `?`, `!` and the first
/// byte of `…`, each hit checked in place.
fn markers(b: &[u8]) -> Markers {
    let mut m = Markers {
        dtd: false,
        ellipsis: false,
        xml_decl: false,
        doctype: false,
    };
    for p in memchr::memchr3_iter(b'?', b'!', 0xE2, b) {
        let (Some(&c), Some(rest)) = (b.get(p), b.get(p + 1..)) else {
            continue;
        };
        let after_lt = p > 0 && b.get(p - 1) == Some(&b'<');
        match c {
            0xE2 => m.ellipsis |= rest.starts_with(&"…".as_bytes()[1..]),
            b'?' => m.xml_decl |= after_lt && rest.starts_with(b"xml "),
            _ if after_lt => {
                m.doctype |= rest.starts_with(b"DOCTYPE");
                m.dtd |= rest.starts_with(b"ELEMENT") || rest.starts_with(b"ATTLIST");
            }
            _ => {}
        }
        if m.dtd {
            break; // decides alone
        }
    }
    m
}

/// The searchers of [`prepare_marked`], built once: building one costs more
/// than searching a usual example.
struct Finders {
    dots: memchr::memmem::Finder<'static>,
    ellipsis: memchr::memmem::Finder<'static>,
    xml_decl: memchr::memmem::Finder<'static>,
    doctype: memchr::memmem::Finder<'static>,
}

static FINDERS: std::sync::LazyLock<Finders> = std::sync::LazyLock::new(|| {
    use memchr::memmem::Finder;
    Finders {
        dots: Finder::new("..."),
        ellipsis: Finder::new("…"),
        xml_decl: Finder::new("<?xml "),
        doctype: Finder::new("<!DOCTYPE"),
    }
});

/// Blank out what examples use but XML does not allow, keeping byte offsets
/// (every byte of a blanked character becomes a space; line ends stay). Each
/// pattern is one linear scan. Most examples have none of them and are
/// returned as they are. `m`: the text's [`Markers`].
///
/// The elisions are blanked as if in this order, each pattern everywhere
/// before the next: `<...>`, `<…>`, `[...]`, `[…]`, `...`, `…`. A pattern with
/// dots and one with `…` never share a byte where both match (`…` is not a
/// dot, and `<`, `>`, `[`, `]` each stand at one end of a pattern and not at
/// the other), and blanking writes only spaces, which no pattern holds: the
/// patterns with dots and those with `…` are blanked apart. Those with dots:
/// `<...>` and `[...]` are a run of exactly three dots between brackets, which
/// cannot overlap, and are blanked wherever they are; `...` then takes three
/// dots at a time from the start of each run of dots left. So one walk over
/// the matches of `...` (from the first: a run of dots is always met at its
/// start) blanks a match with the brackets around it if it has them, else
/// alone; and the same for `…`. Blanking can make an `<?xml ` (`<?xml...`),
/// never a `<!DOCTYPE`.
fn prepare_marked(text: &str, m: Markers) -> Cow<'_, str> {
    let f = &*FINDERS;
    let first_dots = f.dots.find(text.as_bytes());
    if first_dots.is_none() && !m.ellipsis && !m.xml_decl && !m.doctype {
        return Cow::Borrowed(text);
    }
    let mut buf = text.as_bytes().to_vec();
    let blank = |buf: &mut Vec<u8>, from: usize, to: usize| {
        for b in buf.iter_mut().take(to).skip(from) {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    // Patterns are whole UTF-8 sequences, so byte matches fall on character
    // boundaries, and blanking them keeps the buffer UTF-8. Matches do not
    // overlap: each search starts after the previous match, as
    // `memmem::find_iter` would, and blanking a match leaves what follows it
    // unchanged.
    let elisions = |buf: &mut Vec<u8>, finder: &memchr::memmem::Finder<'_>, mut from: usize| {
        let len = finder.needle().len();
        while let Some(i) = buf
            .get(from..)
            .and_then(|r| finder.find(r))
            .map(|i| i + from)
        {
            let around = (i.checked_sub(1).and_then(|j| buf.get(j)), buf.get(i + len));
            let (start, end) = match around {
                (Some(b'<'), Some(b'>')) | (Some(b'['), Some(b']')) => (i - 1, i + len + 1),
                _ => (i, i + len),
            };
            blank(buf, start, end);
            from = end;
        }
    };
    if let Some(p) = first_dots {
        elisions(&mut buf, &f.dots, p);
    }
    if m.ellipsis {
        elisions(&mut buf, &f.ellipsis, 0);
    }
    // XML declarations and DOCTYPEs anywhere (several documents in one example).
    let decls = [(&f.xml_decl, "?>"), (&f.doctype, ">")];
    for (open, close) in decls.into_iter().take(if m.doctype { 2 } else { 1 }) {
        let mut from = 0;
        while let Some(i) = buf.get(from..).and_then(|r| open.find(r)).map(|i| i + from) {
            let end = buf
                .get(i..)
                .and_then(|r| memchr::memmem::find(r, close.as_bytes()))
                .map_or(buf.len(), |j| i + j + close.len());
            blank(&mut buf, i, end);
            from = end;
        }
    }
    Cow::Owned(
        String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Namespace prefixes used in the text (`stream:` in `<stream:stream>`), in
/// order of first use.
fn prefixes(s: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let b = s.as_bytes();
    for (i, _) in s.match_indices(':') {
        let before_colon = piece(s, ..i);
        let start = before_colon
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .last()
            .map_or(i, |(j, _)| j);
        if start == i {
            continue;
        }
        let Some(name) = s.get(start..i) else {
            continue;
        };
        let before = start.checked_sub(1).and_then(|j| b.get(j)).copied();
        if !matches!(before, Some(b'<' | b'/' | b' ' | b'\t' | b'\n' | b'\r')) {
            continue;
        }
        if name == "xml"
            || name == "xmlns"
            || !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        {
            continue;
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// What is wrong in an example: the message, the label, and the byte offset
/// in the example's text.
#[derive(Debug, PartialEq, Eq)]
struct Finding {
    message: String,
    label: &'static str,
    offset: usize,
}

/// The finding in an example's text, if any. `scratch`: the pre-check's
/// buffers, kept from one example to the next.
fn finding_with(text: &str, scratch: &mut Scratch) -> Option<Finding> {
    let body = xml_body(text)?;
    if fragment::surely_clean(&body, scratch) {
        return None;
    }
    if let Some(m) = fragment::mismatch(&body, scratch) {
        let (message, label) = mismatch_message(body.get(m.expected)?, body.get(m.actual)?);
        return Some(Finding {
            message,
            label,
            offset: m.at,
        });
    }
    parse_finding(&body)
}

/// The text to read as XML (see [`prepare`]), or `None` when the example is
/// not XML.
fn xml_body(text: &str) -> Option<Cow<'_, str>> {
    // `trim_start`, with the ASCII white space it trims (vertical tab
    // included) skipped byte by byte: most examples start with a line end.
    let ascii = text
        .bytes()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'));
    let start = match ascii.and_then(|k| text.get(k..)) {
        Some(rest) if rest.is_char_boundary(1) => rest,
        _ => text.trim_start(),
    };
    if !start.starts_with('<') {
        return None; // not XML (or a transcript with "C:" prefixes)
    }
    let m = markers(text.as_bytes());
    if (start.starts_with("<!") && !start.starts_with("<!--")) || m.dtd {
        return None; // a DTD
    }
    Some(prepare_marked(text, m))
}

/// Read `body` with roxmltree inside a synthetic root that declares the
/// prefixes it uses, and say what the first error (if any) means here.
fn parse_finding(body: &str) -> Option<Finding> {
    let prefixes = prefixes(body);
    let decl = |p: &str| " xmlns:='urn:xeplint:'".len() + 2 * p.len();
    let head_len = 1 + ROOT.len() + prefixes.iter().map(|p| decl(p)).sum::<usize>() + 1;
    let mut doc = String::with_capacity(head_len + body.len() + ROOT.len() + 3);
    doc.push('<');
    doc.push_str(ROOT);
    for p in &prefixes {
        doc.push_str(" xmlns:");
        doc.push_str(p);
        doc.push_str("='urn:xeplint:");
        doc.push_str(p);
        doc.push('\'');
    }
    doc.push('>');
    let head_len = doc.len();
    doc.push_str(body);
    doc.push_str("</");
    doc.push_str(ROOT);
    doc.push('>');
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1_000_000,
        ..Default::default()
    };
    let err = roxmltree::Document::parse_with_options(&doc, opts).err()?;
    use roxmltree::Error as E;
    let (message, label) = match &err {
        E::UnexpectedCloseTag(expected, actual, _) => {
            if expected == ROOT || actual == ROOT {
                // A close tag with no open tag (a stream being closed), or
                // elements left open at the end (a stream being opened).
                return None;
            }
            mismatch_message(expected, actual)
        }
        E::DuplicatedAttribute(name, _) => (
            format!("example XML: attribute `{name}` is given twice"),
            "duplicated attribute",
        ),
        E::InvalidAttributeValue(_) => (
            "example XML: `<` in an attribute value".to_string(),
            "not allowed in an attribute value",
        ),
        E::MalformedEntityReference(_) => (
            "example XML: `&` does not start a reference".to_string(),
            "write `&amp;`",
        ),
        E::InvalidName(_)
        | E::InvalidChar(..)
        | E::InvalidChar2(..)
        | E::InvalidString(..)
        | E::UnknownToken(_) => (
            "example XML: malformed markup".to_string(),
            "not well-formed here",
        ),
        _ => return None,
    };
    let pos = err.pos();
    let offset = offset_of(&doc, pos.row as usize, pos.col as usize)?.checked_sub(head_len)?;
    Some(Finding {
        message,
        label,
        offset,
    })
}

/// The message and label of an end tag `</actual>` where `</expected>` was
/// due.
fn mismatch_message(expected: &str, actual: &str) -> (String, &'static str) {
    (
        format!("example XML: expected `</{expected}>`, found `</{actual}>`"),
        "this end tag does not match",
    )
}

/// Byte offset of a 1-based row and character column.
fn offset_of(s: &str, row: usize, col: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..row {
        start += s.get(start..)?.find('\n')? + 1;
    }
    let line = s.get(start..)?;
    let mut off = 0;
    for (n, c) in line.chars().enumerate() {
        if n + 1 == col {
            return Some(start + off);
        }
        off += c.len_utf8();
    }
    Some(start + off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_keeps_offsets() {
        let t = "<a>…</a><?xml version='1.0'?><b x='1' .../>";
        let p = prepare(t);
        assert_eq!(p.len(), t.len());
        assert!(!p.contains("..."));
        assert_eq!(p.find("<b"), t.find("<b"));
    }

    /// `xml_body` takes an example as XML when `trim_start` would.
    #[test]
    fn xml_body_trims_as_trim_start() {
        let spaces = [
            "", " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\u{85}", "\u{a0}", "\u{3000}",
        ];
        let starts = ["", "<a/>", "<!-- c --><a/>", "<!x>", "x<a/>", "é<a/>", "<"];
        for a in spaces {
            for b in spaces {
                for c in starts {
                    let t = format!("{a}{b}{c}");
                    let start = t.trim_start();
                    let dtd = start.starts_with("<!") && !start.starts_with("<!--");
                    let former = start.starts_with('<') && !dtd;
                    assert_eq!(xml_body(&t).is_some(), former, "{t:?}");
                }
            }
        }
    }

    /// The markers are what searching for each pattern finds.
    #[test]
    fn markers_are_the_searches() {
        let searched = |t: &str| Markers {
            dtd: t.contains("<!ELEMENT") || t.contains("<!ATTLIST"),
            ellipsis: t.contains("…"),
            xml_decl: t.contains("<?xml "),
            doctype: t.contains("<!DOCTYPE"),
        };
        let pieces = [
            "", "<", "!", "?", "<!", "<?", "xml ", "xml", "DOCTYPE", "ELEMENT", "ATTLIST", "…",
            "\u{e2}", "é", "â", "a", " ", "<!--", "-->", "...",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let t = format!("{a}{b}{c}");
                    let m = markers(t.as_bytes());
                    let want = searched(&t);
                    // After a DTD marker the search stops: the others may be short.
                    assert_eq!(m.dtd, want.dtd, "{t:?}");
                    if !m.dtd {
                        assert_eq!(m, want, "{t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn finds_prefixes() {
        let p = prefixes("<stream:stream xmlns:stream='x'><db:result/> a:b text</stream:stream>");
        assert!(p.contains(&"stream"));
        assert!(p.contains(&"db"));
    }

    /// What roxmltree alone finds (the rule before the pre-check existed).
    fn by_roxmltree(text: &str) -> Option<Finding> {
        parse_finding(&xml_body(text)?)
    }

    /// Tallies of a differential run.
    #[derive(Default)]
    struct Tally {
        cases: usize,
        clean: usize,
        reported: usize,
        /// Findings of an end tag that does not match.
        mismatches: usize,
        /// Findings given by `fragment::mismatch`, without roxmltree.
        decided: usize,
        labels: std::collections::BTreeSet<&'static str>,
        scratch: Scratch,
    }

    impl Tally {
        /// The pre-check path and the roxmltree path give the same finding.
        fn agree(&mut self, text: &str) {
            let slow = by_roxmltree(text);
            // The buffers of the pre-check carry over from case to case, as
            // they do from one example to the next in a document.
            let fast = finding_with(text, &mut self.scratch);
            assert_eq!(fast, slow, "the pre-check path differs on {text:?}");
            self.cases += 1;
            if let Some(body) = xml_body(text) {
                let mut s = Scratch::default();
                if fragment::surely_clean(&body, &mut s) {
                    self.clean += 1;
                } else if fragment::mismatch(&body, &s).is_some() {
                    self.decided += 1;
                }
            }
            if let Some(f) = slow {
                self.reported += 1;
                self.mismatches += usize::from(f.label == "this end tag does not match");
                self.labels.insert(f.label);
            }
        }
    }

    #[test]
    fn pre_check_on_tricky_inputs() {
        let clean = [
            "<a/>",
            "<a></a>",
            "<p:a xmlns:p='u'><p:b q:c=\"1\"/></p:a>",
            "<stream:stream to='x'>",
            "</stream:stream>",
            "<a/></b><c></d>", // stops at `</b>`: ROOT expected, ignored
            "<a>&amp;&lt;&#65;&#x263A;&unknown;&a:b;</a>",
            "<a b='&amp;&#x41;&foo;' c=\"'>\"/>",
            "<a><!-- <b> & -- --></a>",
            "<a><![CDATA[<b> & ]]></a>",
            "<a><?pi <b> & ?></a>",
            "<a>]]></a>",   // ignored error
            "<a>\u{1}</a>", // non-XML character: ignored error
            "<a\n  b = '1'\n  c='2'\n/>",
            "<a><b>", // left open: ignored
            "<a>…</a><?xml version='1.0'?><b/>",
        ];
        for t in clean {
            let body = prepare(t);
            assert!(
                fragment::surely_clean(&body, &mut Scratch::default()),
                "should pass the pre-check: {t:?}"
            );
            assert_eq!(by_roxmltree(t), None, "roxmltree reports {t:?}");
        }
        let unsure = [
            "<a></b>",
            "<a b='1' b='2'/>",
            "<a p:b='1' q:b='2'/>", // same local name: left to roxmltree
            "<a>&</a>",
            "<a>&amp</a>",
            "<a>&#0;</a>",
            "<a>&#X41;</a>",
            "<a b='<'/>",
            "<a b='1'c='2'/>",
            "<a b=1/>",
            "<a/ >",
            "< a/>",
            "<1a/>",
            "<:a/>",
            "<a:b:c/>",
            "<é/>",
            "<a><!-- x</a>",
            "<a><![CDATA[ x</a>",
            "<a><!ENTITY x 'y'></a>",
            "<a><?</a>",
            "<xeplint-example-root/>",
            "</xeplint-example-root>",
            "<a b='1",
        ];
        for t in unsure {
            let body = prepare(t);
            assert!(
                !fragment::surely_clean(&body, &mut Scratch::default()),
                "should be left to roxmltree: {t:?}"
            );
        }
    }

    #[test]
    fn mismatched_end_tags_without_roxmltree() {
        let mut scratch = Scratch::default();
        let mut decide = |t: &str| {
            assert_eq!(
                finding_with(t, &mut scratch),
                by_roxmltree(t),
                "differs on {t:?}"
            );
            let body = xml_body(t).unwrap();
            let mut s = Scratch::default();
            assert!(!fragment::surely_clean(&body, &mut s), "clean: {t:?}");
            fragment::mismatch(&body, &s).is_some()
        };
        let decided = [
            "<a><b></a>",
            "<a><b></a >",
            "<p:a xmlns:p='u'><b c='&amp;&lt;'>&gt;&quot;&apos;<p:c></p:a>",
            "<a><!-- - ok - --><?pi x?><b/><c></a>",
            "<a xml:lang='en' xmlns='urn:x'><b></b:c>",
            "<a>\t\r\n<b></a>",
            "<a></a><b><c></b>",
        ];
        for t in decided {
            assert!(decide(t), "left to roxmltree: {t:?}");
        }
        // Each makes roxmltree stop earlier with an error the rule ignores,
        // or could.
        let left = [
            "<a>&nbsp;<b></a>",
            "<a>&#60;<b></a>",
            "<a><!-- x -- y --><b></a>",
            "<a><!-- x---><b></a>",
            "<a>\u{1}<b></a>",
            "<a>]]><b></a>",
            "<a><![CDATA[x]]><b></a>", // `]]>` is not told apart from one in text
            "<xml:a><b></xml:a>",
            "<xmlns:a><b></xmlns:a>",
            "<a xmlns:xml='u'><b></a>",
            "<a xmlns:p='http://www.w3.org/XML/1998/namespace'><b></a>",
            "<a xmlns='http://www.w3.org/2000/xmlns/'><b></a>",
            "<a>é<b></a>",
            "<a><b></xeplint-example-root>",
            "<a><b></c d>",
        ];
        for t in left {
            assert!(!decide(t), "decided without roxmltree: {t:?}");
        }
    }

    /// Examples written for this test, in the style of XEP examples: streams
    /// opened and closed apart, elisions, entities, comments, several stanzas.
    const SNIPPETS: &[&str] = &[
        "<iq type='get' id='v1' to='shop.example.net'>\n  <query xmlns='jabber:iq:version'/>\n</iq>",
        "<iq type='result' id='v1' from='shop.example.net'>\n  <query xmlns='jabber:iq:version'>\n    <name>Till</name>\n    <version>2.1</version>\n  </query>\n</iq>",
        "<message to='ann@example.org/desk' type='chat' xml:lang='en'>\n  <body>Fish &amp; chips at 6? &#x263A;</body>\n  <thread>t-77</thread>\n</message>",
        "<presence from=\"bo@example.com/phone\">\n  <show>away</show>\n  <status>On a train &#8211; back soon</status>\n</presence>",
        "<?xml version='1.0'?>\n<stream:stream\n    xmlns='jabber:client'\n    xmlns:stream='http://etherx.jabber.org/streams'\n    to='example.com'\n    version='1.0'>",
        "</stream:stream>",
        "<iq type='set' id='p2'>\n  <pubsub xmlns='http://jabber.org/protocol/pubsub'>\n    <publish node='notes'>\n      <item id='n1'>\n        <entry xmlns='urn:example:notes'>...</entry>\n      </item>\n    </publish>\n  </pubsub>\n</iq>",
        "<!-- the client asks first -->\n<iq type='get' id='d3'><disco:query xmlns:disco='http://jabber.org/protocol/disco#info'/></iq>\n<!-- and the server answers -->\n<iq type='result' id='d3'><query xmlns='http://jabber.org/protocol/disco#info'>\n  <identity category='server' type='im' name='Lamp &lt;beta&gt;'/>\n  <feature var='urn:example:lamp'/>\n</query></iq>",
        "<message>\n  <body>See <![CDATA[<b>bold</b>]]> and &nbsp; there</body>\n  <x xmlns='urn:example:x' a=\"it's\" b='say \"hi\"'/>\n</message>",
        "<r xmlns='urn:example:ack' h='3'/>\n<a xmlns='urn:example:ack' h='5'/>",
        "<iq type='error' id='e4'>\n  <error type='cancel'>\n    <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\n    <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='de'>Nicht gefunden: Büro</text>\n  </error>\n</iq>",
        "<?pi-note keep this?>\n<doc>\n  <a><b><c><d>deep</d></c></b></a>\n  <e/>\n</doc>",
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dGhpcyBpcyBub3QgYSBzZWNyZXQ=</success>",
        "<list>\n  <item jid='one@example.org' subscription='both'>[...]</item>\n  <…>\n  <item jid='two@example.org'/>\n</list>",
        // Already broken, so that reported findings are mutated too.
        "<query xmlns='urn:example:q'>\n  <set max='10' max='20'/>\n</querry>",
        "<body>Tom & Jerry</body>\n<note a='x<y'/>",
        "<!-- features -->\n<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\n  <sm xmlns='urn:xmpp:sm:3' xml:lang='en'>&lt;a&gt; &amp; &quot;b&apos;</sm>\n  <?note it is?>\n  <mech:list xmlns:mech='urn:example:m'><mech:m>x</mech:list>\n  <![CDATA[x]]>\n</stream:features>",
    ];

    /// Strings inserted at every position.
    const INSERTS: &[&str] = &[
        "<",
        ">",
        "&",
        "'",
        "\"",
        "/",
        ":",
        " ",
        "=",
        ";",
        "#",
        "\n",
        "&amp;",
        "&amp",
        "&#0;",
        "&#x41;",
        "&#65",
        "&unknown;",
        "<!--",
        "-->",
        "]]>",
        "<![CDATA[",
        "<?p ",
        "?>",
        "</x>",
        "<y>",
        "</",
        "/>",
        "é",
        "\u{1}",
        " xmlns:p='u'",
        " a='1'",
        "q:",
        "...",
        "....",
        "<...>",
        "[…]",
        "…",
        "<xeplint-example-root>",
        "</xeplint-example-root>",
        "<!DOCTYPE x>",
        "<!x>",
        // What makes roxmltree stop on an error the rule ignores.
        "&nbsp;",
        "&#x3C;",
        "-",
        "--",
        "\u{7f}",
        "\u{FFFE}",
        "xml:",
        "xmlns:",
        "<?xml ?>",
        " xmlns:xml='u'",
        " xmlns:xmlns='u'",
        " xmlns:p=''",
        " xmlns='http://www.w3.org/XML/1998/namespace'",
        " xmlns:p='http://www.w3.org/2000/xmlns/'",
    ];

    /// Every single mutation of `s`: each character deleted, each insertion at
    /// each position, each truncation, each attribute given twice, each pair
    /// of neighbouring end tags swapped.
    fn mutants(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        for w in cuts.windows(2) {
            if let [a, b] = *w {
                out.push(format!("{}{}", &s[..a], &s[b..]));
            }
        }
        for &p in &cuts {
            out.push(s[..p].to_string());
            for ins in INSERTS {
                out.push(format!("{}{ins}{}", &s[..p], &s[p..]));
            }
        }
        // Attributes: ` name='value'` (or with double quotes), given twice.
        for (eq, _) in s.match_indices('=') {
            let start = s[..eq].rfind(|c: char| c.is_whitespace()).map_or(0, |i| i);
            let Some(q) = s[eq + 1..].chars().next() else {
                continue;
            };
            if q != '\'' && q != '"' {
                continue;
            }
            let Some(close) = s[eq + 2..].find(q).map(|i| eq + 2 + i + 1) else {
                continue;
            };
            let attr = &s[start..close];
            out.push(format!("{}{attr}{}", &s[..close], &s[close..]));
        }
        // End tags swapped with the next one.
        let ends: Vec<(usize, usize)> = s
            .match_indices("</")
            .filter_map(|(i, _)| s[i..].find('>').map(|j| (i, i + j + 1)))
            .collect();
        for w in ends.windows(2) {
            if let [(a0, a1), (b0, b1)] = *w
                && a1 <= b0
            {
                out.push(format!(
                    "{}{}{}{}{}",
                    &s[..a0],
                    &s[b0..b1],
                    &s[a1..b0],
                    &s[a0..a1],
                    &s[b1..]
                ));
            }
        }
        out
    }

    /// One mutation of `s` (a deletion, an insertion or a truncation at a
    /// random place), without listing them all.
    fn random_mutant(s: &str, rng: &mut Lcg) -> String {
        let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        let i = rng.below(cuts.len());
        let p = cuts.get(i).copied().unwrap_or(0);
        let q = cuts.get(i + 1).copied().unwrap_or(p);
        match rng.below(INSERTS.len() + 2) {
            0 => format!("{}{}", &s[..p], &s[q..]),
            1 => s[..p].to_string(),
            k => format!("{}{}{}", &s[..p], INSERTS[k - 2], &s[p..]),
        }
    }

    /// A small deterministic generator (64-bit LCG), so failures reproduce.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n.max(1)
        }
    }

    #[test]
    fn pre_check_agrees_with_roxmltree_on_mutants() {
        // Every other snippet on each of two threads (each with a generator
        // of its own), then one tally: half the time on two cores.
        let halves: Vec<Tally> = std::thread::scope(|scope| {
            let jobs: Vec<_> = (0..2)
                .map(|half| {
                    scope.spawn(move || {
                        let mut tally = Tally::default();
                        let mut rng = Lcg(0x5eed + half as u64);
                        for s in SNIPPETS.iter().skip(half).step_by(2) {
                            tally.agree(s);
                            let singles = mutants(s);
                            for m in &singles {
                                tally.agree(m);
                            }
                            // Two mutations in a row, on a fixed sample.
                            for _ in 0..400 {
                                let Some(first) = singles.get(rng.below(singles.len())) else {
                                    continue;
                                };
                                let seconds = mutants(first);
                                if let Some(m) = seconds.get(rng.below(seconds.len())) {
                                    tally.agree(m);
                                }
                            }
                        }
                        tally
                    })
                })
                .collect();
            jobs.into_iter()
                .map(|j| j.join().expect("a half failed (its message is above)"))
                .collect()
        });
        let mut tally = Tally::default();
        for h in halves {
            tally.cases += h.cases;
            tally.clean += h.clean;
            tally.reported += h.reported;
            tally.mismatches += h.mismatches;
            tally.decided += h.decided;
            tally.labels.extend(h.labels);
        }
        eprintln!(
            "{} cases: {} passed the pre-check, {} reported, {} mismatched end tags, {} of them without roxmltree",
            tally.cases, tally.clean, tally.reported, tally.mismatches, tally.decided
        );
        // The comparison means something only if both paths were taken often.
        assert!(tally.cases > 50_000, "{} cases", tally.cases);
        assert!(
            tally.clean * 5 > tally.cases,
            "{} of {} clean",
            tally.clean,
            tally.cases
        );
        assert!(
            tally.reported * 5 > tally.cases,
            "{} of {} reported",
            tally.reported,
            tally.cases
        );
        // Both ways to a mismatched end tag were taken often, too.
        assert!(
            tally.decided * 10 > tally.mismatches && tally.decided * 10 < tally.mismatches * 9,
            "{} of {} mismatched end tags without roxmltree",
            tally.decided,
            tally.mismatches
        );
        for label in [
            "this end tag does not match",
            "duplicated attribute",
            "write `&amp;`",
            "not well-formed here",
        ] {
            assert!(tally.labels.contains(label), "no mutant reported `{label}`");
        }
    }

    /// Every example of the corpus, and mutants of a sample of them; the text
    /// of each example as it is gathered for the pre-check and for a finding.
    #[test]
    fn pre_check_agrees_with_roxmltree_on_the_corpus() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        if !dir.join("xep.dtd").is_file() {
            crate::test_common::missing("../shared/corpus");
            return;
        }
        let (inputs, _) = crate::walk::collect_inputs(&[dir]);
        let session = crate::check::Session::new(Default::default());
        let mut tally = Tally::default();
        let mut rng = Lcg(0xc0ffee);
        let mut examples = 0;
        for input in inputs {
            let Ok(parsed) = session.parse(&input) else {
                continue;
            };
            let xep =
                crate::model::build_for_rules(&parsed.tree, &session.sources, input.file_name());
            let cx = Context {
                xep: &xep,
                tree: &parsed.tree,
                parsed: &parsed,
                sources: &session.sources,
                policy: crate::policy::Policy::bundled(),
                named: true,
                real: None,
                repo: None,
                change: None,
                today: None,
                initials: None,
            };
            for ex in &xep.examples {
                examples += 1;
                let mut order = Vec::new();
                let mut next = Some(ex.node);
                while let Some(id) = next {
                    order.push(id);
                    next = next_in_order(cx.tree, ex.node, id);
                }
                let walked: Vec<_> = cx.tree.descendants(ex.node).collect();
                assert_eq!(order, walked, "walk order in {}", input.file_name());
                let text = example_text(&cx, ex.node, None);
                let mut map = TextMap::new();
                assert_eq!(example_text(&cx, ex.node, Some(&mut map)), text);
                tally.agree(&text);
                if examples % 7 == 0 {
                    for _ in 0..8 {
                        tally.agree(&random_mutant(&text, &mut rng));
                    }
                }
            }
        }
        assert!(examples > 1000, "{examples} examples");
        assert!(tally.reported > 0 && tally.clean * 2 > tally.cases);
        eprintln!(
            "{examples} examples, {} cases: {} passed the pre-check, {} reported, {} mismatched end tags, {} of them without roxmltree",
            tally.cases, tally.clean, tally.reported, tally.mismatches, tally.decided
        );
    }
}
