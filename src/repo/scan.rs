//! The light reading of a XEP's header for the repository view: the text up
//! to `</header>` read with quick-xml's reader, no DTD, no entity expanded
//! (a reference other than the five predefined ones and character
//! references is kept as written, `&name;`). The header is read up to the
//! end of its first (top) revision; the revisions below are only counted,
//! and nothing past `</header>` is looked at.

use quick_xml::events::Event;
use serde::Serialize;

/// A value of the header and where it starts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Val {
    pub value: String,
    /// Byte offset of its first character in the file.
    #[serde(skip)]
    pub offset: usize,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

/// The last (top) revision block.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Rev {
    pub version: Option<Val>,
    pub date: Option<Val>,
    pub initials: Option<Val>,
    pub remark: Option<Val>,
}

/// What the repository rules and `xeplint list` need of a header.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Head {
    pub number: Option<Val>,
    pub title: Option<Val>,
    pub status: Option<Val>,
    #[serde(rename = "type")]
    pub type_: Option<Val>,
    pub approver: Vec<Val>,
    pub shortname: Option<Val>,
    pub tags: Vec<Val>,
    pub supersedes: Vec<Val>,
    pub supersededby: Vec<Val>,
    pub dependencies: Vec<Val>,
    /// Whether the header holds `<interim/>`.
    #[serde(skip)]
    pub interim: bool,
    /// The top revision (the first `<revision>` in the header).
    pub revision: Option<Rev>,
    /// How many `<revision>` blocks the header holds.
    #[serde(skip)]
    pub revisions: usize,
    /// Whether `</header>` was reached (a header cut short by an error is
    /// partial: the document's own check reports the error).
    #[serde(skip)]
    pub complete: bool,
}

/// Which field a piece of text belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Number,
    Title,
    Status,
    Type,
    Approver,
    Shortname,
    Tag,
    Supersedes,
    Supersededby,
    Dependency,
    Version,
    Date,
    Initials,
    Remark,
}

/// Line and column of offsets met in increasing order.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl Lines<'_> {
    fn pos(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        if offset < self.at {
            // Not expected (offsets grow); count again from the start.
            self.at = 0;
            self.line = 1;
            self.line_start = 0;
        }
        let between = self.text.get(self.at..offset).unwrap_or_default();
        for nl in memchr::memchr_iter(b'\n', between) {
            self.line += 1;
            self.line_start = self.at + nl + 1;
        }
        self.at = offset;
        let col = self.text.get(self.line_start..offset).map_or(0, |s| {
            s.utf8_chunks().map(|c| c.valid().chars().count()).sum()
        });
        (self.line, col + 1)
    }
}

/// Read the header of a XEP source (`text`: the file, or its beginning up to
/// `</header>`). Never fails: what cannot be read is left out.
pub fn scan(text: &[u8]) -> Head {
    let mut head = Head::default();
    let mut reader = quick_xml::Reader::from_reader(text);
    reader.config_mut().check_end_names = false;
    let mut lines = Lines {
        text,
        at: 0,
        line: 1,
        line_start: 0,
    };
    // Element names from the root down: the names a slot is made of, or ""
    // for any other (no allocation per element).
    let mut stack: Vec<&'static str> = Vec::new();
    let mut in_header = false;
    // The field being read: its slot, its text so far and where it began.
    let mut current: Option<(Slot, String, Option<usize>)> = None;
    let mut depth_of_current = 0usize;
    let mut rev: Option<Rev> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => break,
        };
        match event {
            Event::Start(e) => {
                let name = known(e.name().as_ref());
                if !in_header && name == "header" && stack.len() == 1 {
                    in_header = true;
                }
                stack.push(name);
                if let Some((_, value, _)) = current.as_mut() {
                    value.push(' ');
                } else if in_header {
                    if let Some(slot) = slot_of(&stack) {
                        current = Some((slot, String::new(), None));
                        depth_of_current = stack.len();
                    } else if stack.len() == 3 && stack.last() == Some(&"revision") {
                        head.revisions += 1;
                        if head.revisions == 1 {
                            rev = Some(Rev::default());
                        }
                    }
                }
            }
            Event::Empty(e) => {
                if in_header && stack.len() == 2 && e.name().as_ref() == "interim" {
                    head.interim = true;
                }
                if in_header
                    && stack.len() == 2
                    && e.name().as_ref() == "revision"
                    && current.is_none()
                {
                    head.revisions += 1;
                }
            }
            Event::End(_) => {
                if stack.len() == depth_of_current
                    && let Some((slot, value, start)) = current.take()
                {
                    let trimmed = value.trim();
                    let offset = start.unwrap_or(before);
                    let (line, column) = lines.pos(offset);
                    let val = Val {
                        value: collapse(trimmed),
                        offset,
                        line,
                        column,
                    };
                    store(&mut head, &mut rev, slot, val);
                } else if let Some((_, value, _)) = current.as_mut() {
                    value.push(' ');
                }
                let ended = stack.pop();
                if stack.len() == 2
                    && ended == Some("revision")
                    && head.revisions == 1
                    && let Some(r) = rev.take()
                {
                    head.revision = Some(r);
                    // The fields that matter come before the revisions (the
                    // DTD puts them there): the rest of the header is only
                    // counted, not read.
                    let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    let rest = text.get(at..).unwrap_or_default();
                    let end = memchr::memmem::find(rest, b"</header>");
                    let rest = rest.get(..end.unwrap_or(rest.len())).unwrap_or_default();
                    head.revisions += memchr::memmem::find_iter(rest, b"<revision").count();
                    head.complete = end.is_some();
                    break;
                }
                if in_header && stack.len() == 1 {
                    head.complete = true;
                    break;
                }
            }
            Event::Text(t) => {
                if let Some((_, value, start)) = current.as_mut() {
                    let raw: &str = t.as_ref();
                    if start.is_none() && !raw.trim().is_empty() {
                        let lead = raw.len() - raw.trim_start().len();
                        *start = Some(before + lead);
                    }
                    value.push_str(raw);
                }
            }
            Event::CData(t) => {
                if let Some((_, value, start)) = current.as_mut() {
                    start.get_or_insert(before + "<![CDATA[".len());
                    value.push_str(t.as_ref());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value, start)) = current.as_mut() {
                    start.get_or_insert(before);
                    let name: &str = r.as_ref();
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => value.push(c),
                        _ => match predefined(name) {
                            Some(c) => value.push(c),
                            None => {
                                value.push('&');
                                value.push_str(name);
                                value.push(';');
                            }
                        },
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if stack.len() > 64 {
            break;
        }
    }
    if head.revision.is_none() && head.revisions >= 1 {
        head.revision = rev;
    }
    head
}

/// The element names [`slot_of`] looks for.
const KNOWN: [&str; 18] = [
    "header",
    "number",
    "title",
    "status",
    "type",
    "approver",
    "shortname",
    "tags",
    "tag",
    "supersedes",
    "supersededby",
    "dependencies",
    "spec",
    "revision",
    "version",
    "date",
    "initials",
    "remark",
];

/// `name` if it is one of [`KNOWN`], else "".
fn known(name: &str) -> &'static str {
    KNOWN.iter().find(|k| **k == name).copied().unwrap_or("")
}

/// The field an element holds, from where it is (`stack`: names from the
/// root element down to it, as [`known`] gives them).
fn slot_of(stack: &[&str]) -> Option<Slot> {
    Some(match stack {
        [_, "header", "number"] => Slot::Number,
        [_, "header", "title"] => Slot::Title,
        [_, "header", "status"] => Slot::Status,
        [_, "header", "type"] => Slot::Type,
        [_, "header", "approver"] => Slot::Approver,
        [_, "header", "shortname"] => Slot::Shortname,
        [_, "header", "tags", "tag"] => Slot::Tag,
        [_, "header", "supersedes", "spec"] => Slot::Supersedes,
        [_, "header", "supersededby", "spec"] => Slot::Supersededby,
        [_, "header", "dependencies", "spec"] => Slot::Dependency,
        [_, "header", "revision", "version"] => Slot::Version,
        [_, "header", "revision", "date"] => Slot::Date,
        [_, "header", "revision", "initials"] => Slot::Initials,
        [_, "header", "revision", "remark"] => Slot::Remark,
        _ => return None,
    })
}

fn store(head: &mut Head, rev: &mut Option<Rev>, slot: Slot, val: Val) {
    let first = |f: &mut Option<Val>, v: Val| {
        if f.is_none() {
            *f = Some(v);
        }
    };
    match slot {
        Slot::Number => first(&mut head.number, val),
        Slot::Title => first(&mut head.title, val),
        Slot::Status => first(&mut head.status, val),
        Slot::Type => first(&mut head.type_, val),
        Slot::Approver => head.approver.push(val),
        Slot::Shortname => first(&mut head.shortname, val),
        Slot::Tag => head.tags.push(val),
        Slot::Supersedes => head.supersedes.push(val),
        Slot::Supersededby => head.supersededby.push(val),
        Slot::Dependency => head.dependencies.push(val),
        Slot::Version | Slot::Date | Slot::Initials | Slot::Remark => {
            if head.revisions != 1 {
                return;
            }
            let Some(r) = rev.as_mut() else { return };
            match slot {
                Slot::Version => first(&mut r.version, val),
                Slot::Date => first(&mut r.date, val),
                Slot::Initials => first(&mut r.initials, val),
                _ => first(&mut r.remark, val),
            }
        }
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// White space runs as one space (a remark's paragraphs, a title over two
/// lines).
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "<?xml version='1.0'?>\n<!DOCTYPE xep SYSTEM 'xep.dtd'>\n<xep>\n<header>\n  <title>Jingle &amp; Friends</title>\n  <number>0901</number>\n  <status>Experimental</status>\n  <type>Standards Track</type>\n  <approver>Council</approver>\n  <dependencies><spec>XMPP Core</spec><spec>XEP-0030</spec></dependencies>\n  <supersedes/>\n  <supersededby><spec>XEP-0902</spec></supersededby>\n  <shortname>friends</shortname>\n  <tags><tag>a</tag></tags>\n  <interim/>\n  <revision>\n    <version>0.2.0</version>\n    <date>2024-01-02</date>\n    <initials>ab</initials>\n    <remark><p>Two</p><p>paragraphs.</p></remark>\n  </revision>\n  <revision><version>0.1.0</version><date>2023-01-01</date><initials>ab</initials><remark>First.</remark></revision>\n</header>\n<section1 topic='x'><number>9</number></section1>\n</xep>\n";

    #[test]
    fn reads_the_header_with_positions() {
        let h = scan(DOC.as_bytes());
        assert!(h.complete);
        let title = h.title.as_ref().expect("title");
        assert_eq!(title.value, "Jingle & Friends");
        assert_eq!((title.line, title.column), (5, 10));
        assert_eq!(h.number.as_ref().map(|v| v.value.as_str()), Some("0901"));
        assert_eq!(h.dependencies.len(), 2);
        assert_eq!(h.supersedes.len(), 0);
        assert_eq!(h.supersededby[0].value, "XEP-0902");
        assert!(h.interim);
        assert_eq!(h.revisions, 2);
        let r = h.revision.as_ref().expect("top revision");
        assert_eq!(r.version.as_ref().map(|v| v.value.as_str()), Some("0.2.0"));
        assert_eq!(
            r.remark.as_ref().map(|v| v.value.as_str()),
            Some("Two paragraphs.")
        );
        let v = r.version.as_ref().expect("version");
        assert_eq!(&DOC[v.offset..v.offset + 5], "0.2.0");
    }

    #[test]
    fn broken_input_gives_what_it_can() {
        for cut in 0..DOC.len() {
            let _ = scan(&DOC.as_bytes()[..cut]);
        }
        let h = scan(b"<xep><header><title>T</title><number>1</num");
        assert!(!h.complete);
        assert_eq!(h.title.map(|t| t.value), Some("T".to_string()));
    }
}
