//! Text from documents and file names, made safe to print.
//!
//! A message may quote a document (an anchor, an element name, an entity's
//! text) and every finding names a file. Either may hold characters that
//! end a line or drive a terminal: a line feed followed by `::error …` would
//! be read by GitHub Actions as a workflow command, an ESC sequence can set
//! a terminal's title or clear its screen, a bidi override can make the
//! text shown differ from the text read. Every text output format (human,
//! short, github) passes such text through [`text`]: line breaks, other C0
//! and C1 control characters, DEL, bidi overrides and isolates, and the
//! Unicode line and paragraph separators are written as escapes (`\n`,
//! `\u{1b}`). Tabs are kept. JSON and SARIF escape control characters as
//! JSON does.

use std::borrow::Cow;
use std::path::Path;

/// Whether `c` must not reach a terminal or log as it is.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{061C}')
}

/// `s` with every character [`is_unsafe`] finds written as an escape.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

/// Append `c`, escaped if it must be.
pub fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_unsafe(c) => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// A path as shown: bytes that are not UTF-8 as `\xNN`, then escaped.
pub fn path(p: &Path) -> String {
    text(&crate::walk::display_path(p)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_ends_a_line_or_drives_a_terminal() {
        assert_eq!(text("plain é ✓\ttab"), "plain é ✓\ttab");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(text("a\n::error::x"), "a\\n::error::x");
        assert_eq!(text("a\r::error::x"), "a\\r::error::x");
        assert_eq!(text("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
        assert_eq!(text("\u{85}\u{9b}\u{7f}"), "\\u{85}\\u{9b}\\u{7f}");
        assert_eq!(text("a\u{202E}b\u{2066}c"), "a\\u{202e}b\\u{2066}c");
        assert_eq!(text("\u{2028}\u{2029}"), "\\u{2028}\\u{2029}");
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let shown = text(&c.to_string()).into_owned();
            assert!(
                !shown.chars().any(|d| d.is_control() && d != '\t'),
                "{c:?} shown as {shown:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn paths_show_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"./a\xffb\nc.xml"));
        assert_eq!(path(p), "a\\xffb\\nc.xml");
    }
}
