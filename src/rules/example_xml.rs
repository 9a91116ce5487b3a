use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::source::Span;
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
    ExampleXml { id: "example-xml", severity: Warning, summary: "XML in <example> is well-formed" }
}

const ROOT: &str = "xeplint-example-root";

impl Rule for ExampleXml {
    fn info(&self) -> &'static RuleInfo {
        &Self::INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for ex in &cx.xep.examples {
            let text = example_text(cx, ex.node, None);
            let Some(found) = finding(&text) else {
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
        let body = src.get(i + 1..semi).unwrap_or("");
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
    /// `…`, `<?xml ` or `<!DOCTYPE`: something `prepare` blanks out (besides
    /// `...`, which is searched apart: dots are too common to visit each).
    blanks: bool,
}

/// [`Markers`] of a text: one search for the bytes `?`, `!` and the first
/// byte of `…`, each hit checked in place.
fn markers(b: &[u8]) -> Markers {
    let mut m = Markers {
        dtd: false,
        blanks: false,
    };
    for p in memchr::memchr3_iter(b'?', b'!', 0xE2, b) {
        let (Some(&c), Some(rest)) = (b.get(p), b.get(p + 1..)) else {
            continue;
        };
        let after_lt = p > 0 && b.get(p - 1) == Some(&b'<');
        match c {
            0xE2 => m.blanks |= rest.starts_with(&"…".as_bytes()[1..]),
            b'?' => m.blanks |= after_lt && rest.starts_with(b"xml "),
            _ if after_lt => {
                m.blanks |= rest.starts_with(b"DOCTYPE");
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

/// Blank out what examples use but XML does not allow, keeping byte offsets
/// (every byte of a blanked character becomes a space; line ends stay). Each
/// pattern is one linear scan. Most examples have none of them and are
/// returned as they are. `m`: the text's [`Markers`].
fn prepare_marked(text: &str, m: Markers) -> Cow<'_, str> {
    use memchr::memmem;
    // Every pattern below contains `...` or one of the markers. The searcher
    // is built once: building one costs more than searching a usual example.
    static DOTS: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new("..."));
    if !m.blanks && DOTS.find(text.as_bytes()).is_none() {
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
    for pat in ["<...>", "<…>", "[...]", "[…]", "...", "…"] {
        let mut from = 0;
        while let Some(i) = buf
            .get(from..)
            .and_then(|r| memmem::find(r, pat.as_bytes()))
            .map(|i| i + from)
        {
            blank(&mut buf, i, i + pat.len());
            from = i + pat.len();
        }
    }
    // XML declarations and DOCTYPEs anywhere (several documents in one example).
    for (open, close) in [("<?xml ", "?>"), ("<!DOCTYPE", ">")] {
        let mut from = 0;
        while let Some(i) = buf
            .get(from..)
            .and_then(|r| memmem::find(r, open.as_bytes()))
            .map(|i| i + from)
        {
            let end = buf
                .get(i..)
                .and_then(|r| memmem::find(r, close.as_bytes()))
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
        let before_colon = s.get(..i).unwrap_or("");
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

/// The finding in an example's text, if any.
fn finding(text: &str) -> Option<Finding> {
    let body = xml_body(text)?;
    if surely_clean(&body) {
        return None;
    }
    parse_finding(&body)
}

/// The text to read as XML (see [`prepare`]), or `None` when the example is
/// not XML.
fn xml_body(text: &str) -> Option<Cow<'_, str>> {
    let start = text.trim_start();
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
            (
                format!("example XML: expected `</{expected}>`, found `</{actual}>`"),
                "this end tag does not match",
            )
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

// The pre-check.
//
// Most examples are fine, and building a roxmltree document of each (nodes,
// attributes, namespaces, owned strings) only to learn that is most of this
// rule's cost. [`surely_clean`] reads the prepared body in one pass, without
// allocating, and says `true` only when roxmltree, reading
// `<ROOT xmlns:…>{body}</ROOT>`, would succeed or stop on an error the rule
// ignores (`_ => return None` above, or a close tag involving ROOT). When in
// doubt it says `false`, and roxmltree decides as before: a `false` costs
// time, a wrong `true` would lose a finding.
//
// Why `true` is sound. roxmltree reads the document once, front to back, and
// returns its first error. Each of its steps is of one of two sorts:
//
// 1. Steps that can only fail with an error the rule ignores, and that do not
//    change where the tokenizer goes next: non-XML characters (text, comments,
//    CDATA, PIs, attribute values), `]]>` in text, `--` in a comment, unknown
//    namespace prefixes and the checks on `xmlns`/`xml` bindings, unknown
//    entities, node and namespace limits, `xmlns:` as an element prefix. The
//    pre-check does not look at these: if one fires, roxmltree stops with an
//    ignored error, and everything before it was checked below.
// 2. Steps that can fail with a reported error: the pre-check repeats each of
//    them on the same bytes, the same way or more strictly, and answers
//    `false` whenever roxmltree could fail there (or it is not sure):
//    - a `<` in content is followed by `!--`, `![CDATA[`, `?`, `/` or a name;
//      comments, CDATA sections and PIs end inside the body, at the first
//      `-->`, `]]>` or `?>` after their start, as roxmltree looks for them;
//    - names are ASCII `[A-Za-z_][A-Za-z0-9_.-]*`, with at most one `:`
//      between two such parts (anything else, including any non-ASCII byte
//      where a name could continue, is left to roxmltree);
//    - a start tag is a name, then attributes each preceded by white space
//      (`name S? = S? quote value quote`, the value holding no `<` and ending
//      inside the body), then `>` or `/>`; no two attributes of a tag share a
//      local name (stricter than roxmltree, which compares expanded names,
//      so a duplicate through two prefixes bound to the same URI is caught);
//    - every `&` in text or in an attribute value starts a reference
//      roxmltree accepts: `&#` digits or `&#x` hex digits naming an XML
//      character, or an ASCII name, then `;`, all before the run ends;
//      whether the entity is known only decides an ignored error (no DTD
//      can come before the synthetic root, so no entity is ever declared);
//    - an end tag is `</` name S? `>` and names the innermost open element
//      (names compare as written; with at most one `:` and a non-empty
//      prefix, equal text means equal prefix and local name). An end tag
//      with no open element is the ignored "close tag with no open tag"
//      (ROOT expected), so the pre-check answers `true` there: roxmltree
//      stops at that error, if not earlier at an ignored one.
//    - no tag is named ROOT (that would change which end tag closes what).
//    At the end of the body the pre-check is in content, so what follows is
//    `</ROOT>`: it closes the root (success) or meets an element still open
//    (the ignored "left open" error).
//
// The head (`<ROOT xmlns:p='urn:xeplint:p' …>`) is not looked at: if it is
// malformed (a prefix with characters XML names do not allow), roxmltree's
// error is inside it and `parse_finding` drops it (`checked_sub` of the head
// length); if it is well-formed it only binds namespaces, which the checks
// above do not depend on. Searches stop at the end of the body: a construct
// left unterminated there is answered `false`, so what follows the body never
// needs to be known.

/// Deepest nesting and most attributes on a tag the pre-check follows;
/// beyond them it leaves the example to roxmltree.
const MAX_DEPTH: usize = 64;
const MAX_ATTRIBUTES: usize = 32;

/// Whether roxmltree would certainly find nothing this rule reports in
/// `body` (see the comment above).
fn surely_clean(body: &str) -> bool {
    scan(body.as_bytes()).is_some()
}

/// `Some(())` when clean for certain, `None` when unsure.
fn scan(b: &[u8]) -> Option<()> {
    use memchr::memmem;
    let mut open = [(0usize, 0usize); MAX_DEPTH];
    let mut depth = 0usize;
    let mut i = 0;
    // Without any `&`, every run of text and every attribute value passes
    // `references_ok`: one search instead of one per run.
    let refs = memchr::memchr(b'&', b).is_some();
    loop {
        // Most runs between tags are short: looked at byte by byte first.
        let rest = b.get(i..)?;
        let end = match rest.iter().take(16).position(|&c| c == b'<') {
            Some(j) => i + j,
            None => rest
                .get(16..)
                .and_then(|r| memchr::memchr(b'<', r))
                .map_or(b.len(), |j| i + 16 + j),
        };
        if refs {
            references_ok(b.get(i..end)?)?;
        }
        if end == b.len() {
            return Some(());
        }
        i = end;
        let after = |from: usize, pat: &[u8]| -> Option<usize> {
            memmem::find(b.get(from..)?, pat).map(|k| from + k + pat.len())
        };
        match b.get(i + 1) {
            Some(b'!') => {
                let rest = b.get(i..)?;
                i = if rest.starts_with(b"<!--") {
                    after(i + 4, b"-->")?
                } else if rest.starts_with(b"<![CDATA[") {
                    after(i + 9, b"]]>")?
                } else {
                    return None;
                };
            }
            Some(b'?') => {
                let target_end = pi_target(b, i + 2)?;
                i = after(target_end, b"?>")?;
            }
            Some(b'/') => {
                let (_, e) = qname(b, i + 2)?;
                let name = b.get(i + 2..e)?;
                if name == ROOT.as_bytes() {
                    return None;
                }
                let j = skip_spaces(b, e);
                if b.get(j) != Some(&b'>') {
                    return None;
                }
                let Some(d) = depth.checked_sub(1) else {
                    // Closes what was never opened here: roxmltree expected
                    // `</ROOT>`, an ignored error that ends its reading.
                    return Some(());
                };
                let (os, oe) = *open.get(d)?;
                if b.get(os..oe)? != name {
                    return None;
                }
                depth = d;
                i = j + 1;
            }
            Some(_) => {
                let (_, e) = qname(b, i + 1)?;
                if b.get(i + 1..e)? == ROOT.as_bytes() {
                    return None;
                }
                let (j, is_open) = start_tag_rest(b, e, refs)?;
                if is_open {
                    *open.get_mut(depth)? = (i + 1, e);
                    depth += 1;
                }
                i = j;
            }
            None => return None,
        }
    }
}

/// The attributes and the end of a start tag whose name ends at `j`: the
/// offset after `>` or `/>`, and whether the element is open (`>`).
/// `refs`: whether `b` holds any `&` (attribute values are checked for
/// references only then).
fn start_tag_rest(b: &[u8], mut j: usize, refs: bool) -> Option<(usize, bool)> {
    let mut locals = [(0usize, 0usize); MAX_ATTRIBUTES];
    let mut n = 0;
    loop {
        let has_space = b.get(j).is_some_and(|&c| is_space(c));
        j = skip_spaces(b, j);
        match *b.get(j)? {
            b'/' => {
                return (b.get(j + 1) == Some(&b'>')).then_some((j + 2, false));
            }
            b'>' => return Some((j + 1, true)),
            _ => {
                if !has_space {
                    return None;
                }
                let (local, e) = qname(b, j)?;
                j = skip_spaces(b, e);
                if b.get(j) != Some(&b'=') {
                    return None;
                }
                j = skip_spaces(b, j + 1);
                let quote = *b.get(j)?;
                if quote != b'\'' && quote != b'"' {
                    return None;
                }
                let start = j + 1;
                let end = start + memchr::memchr2(quote, b'<', b.get(start..)?)?;
                if b.get(end) != Some(&quote) {
                    return None;
                }
                if refs {
                    references_ok(b.get(start..end)?)?;
                }
                let name = b.get(local..e)?;
                for &(s, e) in locals.get(..n)? {
                    if b.get(s..e)? == name {
                        return None;
                    }
                }
                *locals.get_mut(n)? = (local, e);
                n += 1;
                j = end + 1;
            }
        }
    }
}

/// A qualified name starting at `start`, in the subset the pre-check takes
/// (see above): where its local part starts and where it ends.
fn qname(b: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut colon = None;
    let mut j = start;
    while let Some(&c) = b.get(j) {
        if c == b':' {
            if colon.is_some() {
                return None;
            }
            colon = Some(j);
        } else if !c.is_ascii() {
            return None;
        } else if !is_name_byte(c) {
            break;
        }
        j += 1;
    }
    let local = match colon {
        Some(c) => {
            if !b.get(start).is_some_and(|&c| is_name_start(c)) || c == start {
                return None;
            }
            c + 1
        }
        None => start,
    };
    (local < j && b.get(local).is_some_and(|&c| is_name_start(c))).then_some((local, j))
}

/// Where the target of a PI starting at `start` (after `<?`) ends.
fn pi_target(b: &[u8], start: usize) -> Option<usize> {
    if !b.get(start).is_some_and(|&c| is_name_start(c) || c == b':') {
        return None;
    }
    let mut j = start + 1;
    while let Some(&c) = b.get(j) {
        if !c.is_ascii() {
            return None;
        }
        if !is_name_byte(c) && c != b':' {
            break;
        }
        j += 1;
    }
    Some(j)
}

/// Every `&` in a run of text or an attribute value starts a reference
/// roxmltree accepts (character references to XML characters, or an ASCII
/// name), ended by `;` inside the run.
fn references_ok(run: &[u8]) -> Option<()> {
    let mut k = 0;
    while let Some(a) = memchr::memchr(b'&', run.get(k..)?) {
        let r = k + a + 1;
        let j = if run.get(r) == Some(&b'#') {
            let (from, radix) = if run.get(r + 1) == Some(&b'x') {
                (r + 2, 16)
            } else {
                (r + 1, 10)
            };
            let digits = run
                .get(from..)?
                .iter()
                .take_while(|c| {
                    if radix == 16 {
                        c.is_ascii_hexdigit()
                    } else {
                        c.is_ascii_digit()
                    }
                })
                .count();
            let to = from + digits;
            let digits = std::str::from_utf8(run.get(from..to)?).ok()?;
            let n = u32::from_str_radix(digits, radix).ok()?;
            if !is_xml_char(char::from_u32(n).unwrap_or('\u{FFFD}')) {
                return None;
            }
            to
        } else {
            if !run.get(r).is_some_and(|&c| is_name_start(c) || c == b':') {
                return None;
            }
            let mut j = r + 1;
            while let Some(&c) = run.get(j) {
                if !c.is_ascii() {
                    return None;
                }
                if !is_name_byte(c) && c != b':' {
                    break;
                }
                j += 1;
            }
            j
        };
        if run.get(j) != Some(&b';') {
            return None;
        }
        k = j + 1;
    }
    Some(())
}

/// XML white space.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_spaces(b: &[u8], mut j: usize) -> usize {
    while b.get(j).is_some_and(|&c| is_space(c)) {
        j += 1;
    }
    j
}

/// Classes of bytes in names: [`NAME_START`] and [`NAME_BYTE`] bits.
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            t[c] |= NAME_START;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
            t[c] |= NAME_BYTE;
        }
        c += 1;
    }
    t
};
const NAME_START: u8 = 1;
const NAME_BYTE: u8 = 2;

/// An ASCII byte that may start a name part (`:` is handled apart).
fn is_name_start(c: u8) -> bool {
    NAME_CLASS[usize::from(c)] & NAME_START != 0
}

/// An ASCII byte that may continue a name part (`:` is handled apart).
fn is_name_byte(c: u8) -> bool {
    NAME_CLASS[usize::from(c)] & NAME_BYTE != 0
}

/// A character XML allows (as roxmltree tests a character reference).
fn is_xml_char(c: char) -> bool {
    if (c as u32) < 0x20 {
        matches!(c, '\t' | '\n' | '\r')
    } else {
        !matches!(c as u32, 0xFFFE | 0xFFFF)
    }
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

    /// The markers are what searching for each pattern finds.
    #[test]
    fn markers_are_the_searches() {
        let searched = |t: &str| Markers {
            dtd: t.contains("<!ELEMENT") || t.contains("<!ATTLIST"),
            blanks: ["…", "<?xml ", "<!DOCTYPE"].iter().any(|p| t.contains(p)),
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
                    // After a DTD marker the search stops: `blanks` may be short.
                    assert_eq!(m.dtd, want.dtd, "{t:?}");
                    if !m.dtd {
                        assert_eq!(m, want, "{t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn name_classes() {
        for c in 0..=255u8 {
            assert_eq!(is_name_start(c), c.is_ascii_alphabetic() || c == b'_');
            assert_eq!(
                is_name_byte(c),
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
            );
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

    /// `prepare` as it was before it borrowed unchanged text and stopped
    /// collecting matches: the reference the current one is compared with.
    fn former_prepare(text: &str) -> String {
        use memchr::memmem;
        let mut buf = text.as_bytes().to_vec();
        let blank = |buf: &mut Vec<u8>, from: usize, to: usize| {
            for b in buf.iter_mut().take(to).skip(from) {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        };
        for pat in ["<...>", "<…>", "[...]", "[…]", "...", "…"] {
            let hits: Vec<usize> = memmem::find_iter(&buf, pat.as_bytes()).collect();
            for i in hits {
                blank(&mut buf, i, i + pat.len());
            }
        }
        for (open, close) in [("<?xml ", "?>"), ("<!DOCTYPE", ">")] {
            let mut from = 0;
            while let Some(i) = buf
                .get(from..)
                .and_then(|r| memmem::find(r, open.as_bytes()))
                .map(|i| i + from)
            {
                let end = buf
                    .get(i..)
                    .and_then(|r| memmem::find(r, close.as_bytes()))
                    .map_or(buf.len(), |j| i + j + close.len());
                blank(&mut buf, i, end);
                from = end;
            }
        }
        String::from_utf8(buf).unwrap()
    }

    /// Tallies of a differential run.
    #[derive(Default)]
    struct Tally {
        cases: usize,
        clean: usize,
        reported: usize,
        labels: std::collections::BTreeSet<&'static str>,
    }

    impl Tally {
        /// The pre-check path and the roxmltree path give the same finding.
        fn agree(&mut self, text: &str) {
            assert_eq!(
                prepare(text),
                former_prepare(text),
                "prepare differs on {text:?}"
            );
            let slow = by_roxmltree(text);
            let fast = finding(text);
            assert_eq!(fast, slow, "the pre-check path differs on {text:?}");
            self.cases += 1;
            if xml_body(text).is_some_and(|b| surely_clean(&b)) {
                self.clean += 1;
            }
            if let Some(f) = slow {
                self.reported += 1;
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
            assert!(surely_clean(&body), "should pass the pre-check: {t:?}");
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
            assert!(!surely_clean(&body), "should be left to roxmltree: {t:?}");
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
        "<xeplint-example-root>",
        "</xeplint-example-root>",
        "<!DOCTYPE x>",
        "<!x>",
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
        let mut tally = Tally::default();
        let mut rng = Lcg(0x5eed);
        for s in SNIPPETS {
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
        eprintln!(
            "{} cases: {} passed the pre-check, {} reported",
            tally.cases, tally.clean, tally.reported
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
            eprintln!("skipped: {} is absent", dir.display());
            return;
        }
        let (inputs, _) = crate::check::collect_inputs(&[dir]);
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
            "{examples} examples, {} cases: {} passed the pre-check, {} reported",
            tally.cases, tally.clean, tally.reported
        );
    }
}
