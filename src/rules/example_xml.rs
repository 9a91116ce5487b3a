use super::{Context, Rule, RuleInfo};
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::xml::NodeKind;

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
            let (text, map) = example_text(cx, ex.node);
            if let Some(d) = check_text(cx, &text, &map) {
                out.push(d);
            }
        }
    }
}

/// Where a stretch of the example's text stands in a file: (offset in the
/// text, span in the file, whether offsets inside map one to one).
type TextMap = Vec<(usize, Span, bool)>;

/// The example's text (CDATA, text, and what entities inside expand to), with
/// a map back to the files.
fn example_text(cx: &Context<'_>, example: crate::xml::NodeId) -> (String, TextMap) {
    let mut text = String::new();
    let mut map = Vec::new();
    for id in cx.tree.descendants(example) {
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
                        map_escaped(src, n.span, text.len(), &mut map);
                        text.push_str(t);
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
        map.push((text.len(), span, exact));
        text.push_str(piece);
    }
    (text, map)
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

/// Blank out what examples use but XML does not allow, keeping byte offsets
/// (every byte of a blanked character becomes a space; line ends stay). Each
/// pattern is one linear scan.
fn prepare(text: &str) -> String {
    use memchr::memmem;
    let mut buf = text.as_bytes().to_vec();
    let blank = |buf: &mut Vec<u8>, from: usize, to: usize| {
        for b in buf.iter_mut().take(to).skip(from) {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    // Patterns are whole UTF-8 sequences, so byte matches fall on character
    // boundaries, and blanking them keeps the buffer UTF-8.
    for pat in ["<...>", "<…>", "[...]", "[…]", "...", "…"] {
        let hits: Vec<usize> = memmem::find_iter(&buf, pat.as_bytes()).collect();
        for i in hits {
            blank(&mut buf, i, i + pat.len());
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
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Namespace prefixes used in the text (`stream:` in `<stream:stream>`).
fn prefixes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = s.as_bytes();
    for (i, _) in s.match_indices(':') {
        let start = s[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .last()
            .map_or(i, |(j, _)| j);
        if start == i {
            continue;
        }
        let name = &s[start..i];
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
        if !out.iter().any(|p| p == name) {
            out.push(name.to_string());
        }
    }
    out
}

fn check_text(cx: &Context<'_>, text: &str, map: &TextMap) -> Option<Diagnostic> {
    let start = text.trim_start();
    if !start.starts_with('<') {
        return None; // not XML (or a transcript with "C:" prefixes)
    }
    if (start.starts_with("<!") && !start.starts_with("<!--"))
        || text.contains("<!ELEMENT")
        || text.contains("<!ATTLIST")
    {
        return None; // a DTD
    }
    let body = prepare(text);
    let mut head = format!("<{ROOT}");
    for p in prefixes(&body) {
        head.push_str(&format!(" xmlns:{p}='urn:xeplint:{p}'"));
    }
    head.push('>');
    let doc = format!("{head}{body}</{ROOT}>");
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 1_000_000,
        ..Default::default()
    };
    let err = roxmltree::Document::parse_with_options(&doc, opts).err()?;
    use roxmltree::Error as E;
    let (msg, label) = match &err {
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
    let offset = offset_of(&doc, pos.row as usize, pos.col as usize)?.checked_sub(head.len())?;
    let span = locate(text, map, offset.min(text.len()))?;
    Some(
        cx.diag(&ExampleXml::INFO, span, msg)
            .label(label)
            .help("fix the example so implementers can copy it; `xeplint explain example-xml` lists what is tolerated"),
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

    #[test]
    fn finds_prefixes() {
        let p = prefixes("<stream:stream xmlns:stream='x'><db:result/> a:b text</stream:stream>");
        assert!(p.contains(&"stream".to_string()));
        assert!(p.contains(&"db".to_string()));
    }
}
