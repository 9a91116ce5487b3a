//! Positions and addresses as the Language Server Protocol counts them: a
//! line and a column in UTF-16 code units (or UTF-8 bytes, when the client
//! agrees), `file://` URIs; and edits applied to an open document.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent, Uri};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How columns are counted, as negotiated at initialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 bytes (when the client offers `positionEncodings: ["utf-8"]`).
    Utf8,
    /// UTF-16 code units: the protocol's default.
    Utf16,
}

/// Where the lines of a text start: offsets ↔ positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` (clamped to the text, moved back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let offset = crate::source::floor_char(text, offset.min(self.len));
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let piece = text.get(start..offset).unwrap_or("");
        let character = match enc {
            Encoding::Utf8 => piece.len(),
            Encoding::Utf16 => piece.encode_utf16().count(),
        };
        Position::new(to_u32(line), to_u32(character))
    }

    /// Follow an edit of the text: bytes `start..end` replaced by `new`.
    /// Line starts before the edit stay, those inside it go, those after it
    /// move: cheaper than indexing the text again (an edit of the largest
    /// XEP would otherwise index 400 kB twice).
    pub fn edit(&mut self, start: usize, end: usize, new: &str) {
        let first = self.starts.partition_point(|&s| s <= start);
        let last = self.starts.partition_point(|&s| s <= end).max(first);
        let added: Vec<usize> = memchr::memchr_iter(b'\n', new.as_bytes())
            .map(|i| start + i + 1)
            .collect();
        let n = added.len();
        self.starts.splice(first..last, added);
        let removed = end.saturating_sub(start);
        for s in self.starts.iter_mut().skip(first + n) {
            *s = *s + new.len() - removed;
        }
        self.len = self.len + new.len() - removed;
    }

    pub fn range(&self, text: &str, span: std::ops::Range<usize>, enc: Encoding) -> Range {
        Range::new(
            self.position(text, span.start, enc),
            self.position(text, span.end, enc),
        )
    }

    /// The byte offset of a position: past the end of its line, the line's
    /// end; past the last line, the text's end; inside a character, its
    /// start.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&n| n.saturating_sub(1));
        let line = text.get(start..end.max(start)).unwrap_or("");
        let want = pos.character as usize;
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= want {
                return start + i;
            }
            units += match enc {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units > want {
                return start + i;
            }
        }
        start + line.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Apply the changes of one `didChange` notification to `text`, in order,
/// keeping its line index in step.
pub fn apply_changes(
    text: &mut String,
    index: &mut LineIndex,
    changes: Vec<TextDocumentContentChangeEvent>,
    enc: Encoding,
) {
    for change in changes {
        match change.range {
            None => {
                *text = change.text;
                *index = LineIndex::new(text);
            }
            Some(range) => {
                let start = index.offset(text, range.start, enc);
                let end = index.offset(text, range.end, enc).max(start);
                text.replace_range(start..end, &change.text);
                index.edit(start, end, &change.text);
            }
        }
    }
}

/// The path of a `file:` URI (percent escapes decoded); `None` for other
/// schemes and for paths that are not absolute.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file:///path` or `file://localhost/path`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = percent_decode(rest)?;
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    };
    #[cfg(not(unix))]
    let path = PathBuf::from(String::from_utf8(bytes).ok()?);
    path.is_absolute().then_some(path)
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let path = crate::gate::lexical_absolute(path);
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_str()?.replace('\\', "/").into_bytes();
    let mut s = String::from("file://");
    for &c in &bytes {
        if c.is_ascii_alphanumeric() || b"/-._~".contains(&c) {
            s.push(char::from(c));
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_or_bytes() {
        let text = "ab\nü𝄞x\r\nend";
        let index = LineIndex::new(text);
        // `x` is after ü (2 bytes, 1 unit) and 𝄞 (4 bytes, 2 units).
        let x = text.find('x').unwrap();
        assert_eq!(
            index.position(text, x, Encoding::Utf16),
            Position::new(1, 3)
        );
        assert_eq!(index.position(text, x, Encoding::Utf8), Position::new(1, 6));
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for o in 0..=text.len() {
                if text.is_char_boundary(o) {
                    let p = index.position(text, o, enc);
                    assert_eq!(index.offset(text, p, enc), o, "offset {o} {enc:?}");
                }
            }
        }
        // Past the line's end: the end of the line; past the text: its end.
        assert_eq!(index.offset(text, Position::new(0, 99), Encoding::Utf16), 2);
        assert_eq!(
            index.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        // Inside a surrogate pair: the character's start.
        let clef = text.find('𝄞').unwrap();
        assert_eq!(
            index.offset(text, Position::new(1, 2), Encoding::Utf16),
            clef
        );
    }

    #[test]
    fn changes_apply_in_order() {
        let mut text = String::from("<a>\n  héllo\n</a>\n");
        let change = |l1, c1, l2, c2, t: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: t.into(),
        };
        let mut index = LineIndex::new(&text);
        apply_changes(
            &mut text,
            &mut index,
            vec![
                change(1, 3, 1, 4, "e"),
                change(0, 1, 0, 2, "b"),
                change(1, 7, 2, 0, "\n\n  x\n"),
                change(0, 3, 1, 0, ""),
                change(9, 0, 9, 0, "end\n"),
            ],
            Encoding::Utf16,
        );
        assert_eq!(text, "<b>  hello\n\n  x\n</a>\nend\n");
        let fresh = LineIndex::new(&text);
        assert_eq!((&index.starts, index.len), (&fresh.starts, fresh.len));
    }

    #[test]
    fn file_uris_round_trip() {
        let p = Path::new("/tmp/a dir/xép-0001.xml");
        let uri = path_to_uri(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/x%C3%A9p-0001.xml");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
        let other = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&other), None);
    }
}
