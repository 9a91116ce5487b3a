//! Byte scans of the parser: where markup ends, which characters need a
//! closer look, XML names.

use super::*;

/// Where the tag `b` (from its `<`) ends: the first `>` outside quotes, as
/// quick-xml's `ElementParser` finds it, but a byte at a time between
/// quoted values: most tags are a few bytes long, shorter than a vector
/// search takes to start.
pub(super) fn tag_end(b: &[u8]) -> Option<usize> {
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
pub(super) fn plain_comment_len(s: &str) -> Option<usize> {
    static DASHES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("--"));
    let body = s.strip_prefix("<!--")?.as_bytes();
    let j = DASHES.find(body)?;
    let plain = body.get(j + 2) == Some(&b'>') && memchr::memchr(b'>', body.get(..j)?).is_none();
    plain.then_some(4 + j + 3)
}

/// The length of the CDATA section `s` starts with, up to the first `]]>`
/// (as quick-xml's reader reads it); `None` when it is never closed.
pub(super) fn cdata_len(s: &str) -> Option<usize> {
    static END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("]]>"));
    let body = s.strip_prefix("<![CDATA[")?.as_bytes();
    END.find(body).map(|j| 9 + j + 3)
}

/// The length of the DOCTYPE `s` starts with: up to the first `>` outside
/// quotes, comments, processing instructions and brackets (the internal
/// subset, and any bracketed section inside it); `None` when it is never
/// closed.
pub(super) fn doctype_len(s: &str) -> Option<usize> {
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

/// Whether `s` may hold a character XML 1.0 forbids: one pass over the bytes,
/// in blocks the compiler can vectorize. Control bytes other than tab, line
/// feed and carriage return are forbidden characters; `0xEF` starts the
/// encodings of U+FFFE and U+FFFF (and of other characters, which the precise
/// check then lets through).
pub(super) fn may_hold_forbidden_char(s: &[u8]) -> bool {
    fold_bytes(s, 1, suspicious) != 0
}

/// The OR of `f` over the bytes of `s`, in fixed-size blocks the compiler
/// turns into vector code, stopping once `all` bits are set. A tail shorter
/// than a block is read as an overlapping block ending where `s` ends:
/// bytes seen twice change nothing in an OR.
#[inline(always)]
pub(super) fn fold_bytes(s: &[u8], all: u8, f: impl Fn(u8) -> u8 + Copy) -> u8 {
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
pub(super) fn find_value_special(s: &[u8]) -> Option<usize> {
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
pub(super) fn suspicious(b: u8) -> u8 {
    u8::from((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0xEF))
}

/// [`scan_text`] found a byte [`may_hold_forbidden_char`] would flag.
pub(super) const SUSPICIOUS: u8 = 1;
/// [`scan_text`] found a `]`.
pub(super) const BRACKET: u8 = 2;
/// [`scan_text`] found a `&`.
pub(super) const AMPERSAND: u8 = 4;

/// What a run of text holds that needs a closer look, in one vectorized
/// pass: [`SUSPICIOUS`], [`BRACKET`] and [`AMPERSAND`] bits.
pub(super) fn scan_text(s: &[u8]) -> u8 {
    fold_bytes(s, SUSPICIOUS | BRACKET | AMPERSAND, |b| {
        suspicious(b) | (u8::from(b == b']') << 1) | (u8::from(b == b'&') << 2)
    })
}

/// Lookup table for ASCII name characters: 1 = name start, 2 = name only.
pub(super) const ASCII_NAME: [u8; 128] = {
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
pub(super) fn name_chars_len(s: &str) -> usize {
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
pub(super) fn is_xml_name(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&b) if b < 0x80 => {
            ASCII_NAME.get(b as usize) == Some(&1) && name_chars_len(s) == s.len()
        }
        _ => is_name(s),
    }
}

pub(super) fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

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
