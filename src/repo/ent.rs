//! `xep.ent`'s `xepNNNN` entities: the title each shows, where.
//!
//! xsf/xeps declares one entity per XEP that other documents cite:
//!
//! ```text
//! <!ENTITY xep0030 "<span class='ref'><link url='…/xep-0030.html'>Service Discovery (XEP-0030)</link></span> <note>…</note>" >
//! ```
//!
//! The title is the text of the first `<link>`, without its ` (XEP-NNNN)`.
//! The file is read as text (a light scan, not the DTD parser: only these
//! declarations matter here); the whole check of a document reads it as a
//! DTD as before.

use crate::source::{FileId, SourceFile, SourceMap, Span};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One `xepNNNN` entity.
#[derive(Debug, Clone)]
pub struct EntTitle {
    /// The entity's name in its declaration.
    pub name: Span,
    /// The title it shows (references to the predefined entities decoded),
    /// and where (the whole value when no title is found).
    pub title: Option<String>,
    pub title_span: Span,
}

/// `xep.ent`, loaded into the source map for labels.
#[derive(Debug)]
pub struct EntFile {
    pub file: FileId,
    /// By number; the first declaration of each wins, as in XML.
    pub entities: HashMap<u32, EntTitle>,
}

impl EntFile {
    pub fn read(sources: &SourceMap, path: PathBuf, shown: String, text: String) -> EntFile {
        let text = Arc::new(text);
        let file = sources.add(SourceFile::new(path, shown, text.clone()));
        let mut entities = HashMap::new();
        for (at, _) in text.match_indices("<!ENTITY") {
            let Some((number, decl)) = declaration(&text, at, file) else {
                continue;
            };
            entities.entry(number).or_insert(decl);
        }
        EntFile { file, entities }
    }
}

/// The declaration starting at `at` when it declares `xepNNNN`.
fn declaration(text: &str, at: usize, file: FileId) -> Option<(u32, EntTitle)> {
    let rest = text.get(at + "<!ENTITY".len()..)?;
    let name_start = at + "<!ENTITY".len() + (rest.len() - rest.trim_start().len());
    let rest = text.get(name_start..)?;
    let name_len = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .unwrap_or(rest.len());
    let name = rest.get(..name_len)?;
    let digits = name.strip_prefix("xep")?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = digits.parse().ok()?;
    let after = rest.get(name_len..)?;
    let value_at = name_start + name_len + (after.len() - after.trim_start().len());
    let quote = text.get(value_at..)?.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value_start = value_at + 1;
    let value_len = text.get(value_start..)?.find(quote)?;
    let value = text.get(value_start..value_start + value_len)?;
    let name_span = Span::new(file, name_start, name_start + name_len);
    let whole = Span::new(file, value_start, value_start + value_len);
    let (title, title_span) = match link_text(value) {
        Some((s, e)) => {
            let raw = value.get(s..e).unwrap_or("");
            let shown = raw
                .trim_end()
                .strip_suffix(&format!("(XEP-{digits})"))
                .unwrap_or(raw)
                .trim();
            let lead = raw.len() - raw.trim_start().len();
            let start = value_start + s + lead;
            (
                Some(decode(shown)),
                Span::new(file, start, start + shown.len()),
            )
        }
        None => (None, whole),
    };
    Some((
        number,
        EntTitle {
            name: name_span,
            title,
            title_span,
        },
    ))
}

/// The byte range of the text of the first `<link …>…</link>` in `value`.
fn link_text(value: &str) -> Option<(usize, usize)> {
    let open = value.find("<link")?;
    let start = open + value.get(open..)?.find('>')? + 1;
    let len = value.get(start..)?.find("</link>")?;
    Some((start, start + len))
}

/// The five predefined references and character references decoded; other
/// references kept as written.
pub fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let Some(end) = after.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = after;
            continue;
        };
        let name = after.get(..end).unwrap_or("");
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => {
                out.push('&');
                out.push_str(name);
                out.push(';');
            }
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    crate::repo::scan::collapse(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_titles_where_they_are() {
        let sources = SourceMap::new();
        let text = "<!ENTITY other 'x'>\n<!ENTITY xep0901 \"<span class='ref'><link url='u'>Fish &amp; Chips (XEP-0901)</link></span> <note>n</note>\" >\n<!ENTITY xep0902 'no link'>\n";
        let ent = EntFile::read(&sources, "xep.ent".into(), "xep.ent".into(), text.into());
        let e = ent.entities.get(&901).expect("xep0901");
        assert_eq!(e.title.as_deref(), Some("Fish & Chips"));
        assert_eq!(&text[e.title_span.range()], "Fish &amp; Chips");
        assert_eq!(&text[e.name.range()], "xep0901");
        assert_eq!(ent.entities.get(&902).and_then(|e| e.title.clone()), None);
        assert_eq!(ent.entities.len(), 2);
    }
}
