//! A quick check of an XML fragment, the text of an example in a XEP: is it
//! certainly well-formed? Most examples are, and reading each with roxmltree
//! (as the `example-xml` rule does to say what is wrong) is most of that
//! rule's cost: this check, one pass without allocating, answers "certainly
//! clean" for most of them, and "not sure" otherwise, leaving those to
//! roxmltree. Without it a run over the XSF corpus takes about a third more
//! instructions (bench/README.md).
//!
//! The contract is roxmltree's: the fragment is read as
//! `<ROOT xmlns:p='…' …>{body}</ROOT>` ([`ROOT`], with a namespace for each
//! prefix the body uses), and "clean" means roxmltree would succeed, or stop
//! on an error the rule ignores.

/// The synthetic root an example is read inside.
pub const ROOT: &str = "xeplint-example-root";

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

/// What the pre-check keeps while it reads, reused from one example to the
/// next (one per document): no array is cleared for each example or tag.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The name of each open element, outermost first: (start, end) in the body.
    open: Vec<(usize, usize)>,
    /// The local names of the attributes of the tag being read.
    locals: Vec<(usize, usize)>,
    /// Where the pre-check stopped on an end tag that does not close the
    /// innermost open element (the last of `open`), if it did.
    mismatch: Option<usize>,
    /// Whether a comment read so far holds `--` or ends with `-` (an error
    /// roxmltree reports first and the rule ignores).
    bad_comment: bool,
}

/// Whether roxmltree, reading `<ROOT xmlns:…>{body}</ROOT>`, would certainly
/// find nothing the `example-xml` rule reports in `body` (see the comment
/// above). `s` is scratch space, reused from one fragment to the next.
pub fn surely_clean(body: &str, s: &mut Scratch) -> bool {
    scan(body.as_bytes(), s).is_some()
}

/// `Some(())` when clean for certain, `None` when unsure.
fn scan(b: &[u8], s: &mut Scratch) -> Option<()> {
    s.open.clear();
    s.mismatch = None;
    s.bad_comment = false;
    let mut i = 0;
    // Without any `&`, every run of text and every attribute value passes
    // `references_ok`: one search instead of one per run.
    let refs = memchr::memchr(b'&', b).is_some();
    loop {
        let end = find_byte(b, i, b'<');
        if refs {
            references_ok(b.get(i..end)?)?;
        }
        if end >= b.len() {
            return Some(());
        }
        i = end;
        match b.get(i + 1) {
            Some(b'!') => {
                let rest = b.get(i..)?;
                i = if rest.starts_with(b"<!--") {
                    let end = after_gt(b, i + 4, b'-', b'-')?;
                    let text = b.get(i + 4..end - 3)?;
                    s.bad_comment |= text.ends_with(b"-")
                        || memchr::memchr_iter(b'-', text).any(|k| text.get(k + 1) == Some(&b'-'));
                    end
                } else if rest.starts_with(b"<![CDATA[") {
                    after_gt(b, i + 9, b']', b']')?
                } else {
                    return None;
                };
            }
            Some(b'?') => {
                let target_end = pi_target(b, i + 2)?;
                i = after_pi(b, target_end)?;
            }
            Some(b'/') => {
                let Some(&(os, oe)) = s.open.last() else {
                    // Closes what was never opened here: roxmltree expected
                    // `</ROOT>`, an ignored error that ends its reading.
                    let (_, e) = qname(b, i + 2)?;
                    if b.get(i + 2..e)? == ROOT.as_bytes() {
                        return None;
                    }
                    return (b.get(skip_spaces(b, e)) == Some(&b'>')).then_some(());
                };
                // The innermost open element's name, as a whole name: the
                // bytes are the same and no name byte follows (its name was
                // read by `qname`, so the end tag's reads the same; it is
                // not ROOT, which no open element is).
                let name = b.get(os..oe)?;
                let e = i + 2 + name.len();
                let same = b.get(i + 2..e) == Some(name)
                    && b.get(e)
                        .is_some_and(|&c| !is_name_byte(c) && c != b':' && c.is_ascii());
                if !same {
                    s.mismatch = Some(i);
                    return None;
                }
                let j = skip_spaces(b, e);
                if b.get(j) != Some(&b'>') {
                    return None;
                }
                s.open.pop();
                i = j + 1;
            }
            Some(_) => {
                let (_, e) = qname(b, i + 1)?;
                if b.get(i + 1..e)? == ROOT.as_bytes() {
                    return None;
                }
                let (j, is_open) = start_tag_rest(b, e, refs, &mut s.locals)?;
                if is_open {
                    if s.open.len() >= MAX_DEPTH {
                        return None;
                    }
                    s.open.push((i + 1, e));
                }
                i = j;
            }
            None => return None,
        }
    }
}

/// After the first `-->` (`a`, `b` = `-`, `-`) or `]]>` (`]`, `]`) starting at
/// or after `from`: each `>` is looked at, and the two bytes before it.
fn after_gt(b: &[u8], from: usize, a: u8, c: u8) -> Option<usize> {
    let rest = b.get(from..)?;
    memchr::memchr_iter(b'>', rest)
        .find(|&k| k >= 2 && rest.get(k - 2) == Some(&a) && rest.get(k - 1) == Some(&c))
        .map(|k| from + k + 1)
}

/// After the first `?>` starting at or after `from`.
fn after_pi(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    memchr::memchr_iter(b'>', rest)
        .find(|&k| k >= 1 && rest.get(k - 1) == Some(&b'?'))
        .map(|k| from + k + 1)
}

/// The attributes and the end of a start tag whose name ends at `j`: the
/// offset after `>` or `/>`, and whether the element is open (`>`).
/// `refs`: whether `b` holds any `&` (attribute values are checked for
/// references only then). `locals`: where the attributes' local names are
/// kept while the tag is read.
fn start_tag_rest(
    b: &[u8],
    mut j: usize,
    refs: bool,
    locals: &mut Vec<(usize, usize)>,
) -> Option<(usize, bool)> {
    locals.clear();
    loop {
        let mut c = *b.get(j)?;
        let has_space = is_space(c);
        if has_space {
            j = skip_spaces(b, j + 1);
            c = *b.get(j)?;
        }
        match c {
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
                let end = find_either(b, start, quote, b'<');
                if b.get(end) != Some(&quote) {
                    return None;
                }
                if refs {
                    references_ok(b.get(start..end)?)?;
                }
                let name = b.get(local..e)?;
                for &(s, e) in locals.iter() {
                    // Most names differ in length: their bytes are compared only then.
                    if e - s == name.len() && b.get(s..e)? == name {
                        return None;
                    }
                }
                if locals.len() >= MAX_ATTRIBUTES {
                    return None;
                }
                locals.push((local, e));
                j = end + 1;
            }
        }
    }
}

/// A qualified name starting at `start`, in the subset the pre-check takes
/// (see above): where its local part starts and where it ends. Each part is
/// a name start byte and name bytes; after the name comes an ASCII byte
/// (a second `:` or any non-ASCII byte leaves the name to roxmltree).
fn qname(b: &[u8], start: usize) -> Option<(usize, usize)> {
    let rest = b.get(start..)?;
    if !is_name_start(*rest.first()?) {
        return None;
    }
    let mut local = 0;
    let mut k = 1;
    while let Some(&c) = rest.get(k) {
        if is_name_byte(c) {
            k += 1;
        } else if c == b':' && local == 0 && rest.get(k + 1).is_some_and(|&c| is_name_start(c)) {
            local = k + 1;
            k += 2;
        } else if c == b':' || !c.is_ascii() {
            // A second `:`, one not followed by a name start, or a non-ASCII
            // byte where a name could go on.
            return None;
        } else {
            break;
        }
    }
    Some((start + local, start + k))
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

/// The first `x` at or after `from`, or `b.len()`.
fn find_byte(b: &[u8], from: usize, x: u8) -> usize {
    b.get(from..)
        .and_then(|r| memchr::memchr(x, r))
        .map_or(b.len(), |k| from + k)
}

/// The first `x` or `y` at or after `from`, or `b.len()`.
fn find_either(b: &[u8], from: usize, x: u8, y: u8) -> usize {
    b.get(from..)
        .and_then(|r| memchr::memchr2(x, y, r))
        .map_or(b.len(), |k| from + k)
}

// The end tag that does not match.
//
// Most findings are an end tag that does not close the innermost open element
// (`<a><b></a>`). The pre-check stops there, and roxmltree, reading the same
// bytes, reports `UnexpectedCloseTag` at that end tag, naming both elements as
// written, unless it stopped earlier on an error the rule ignores: before the
// end tag the pre-check made sure of the errors the rule reports, not of
// those. [`mismatch_finding`] gives the finding without roxmltree when none of
// those can occur before the end tag, and leaves it to roxmltree otherwise:
//
// - the head is well-formed and within roxmltree's limits: the body is ASCII,
//   so every prefix `prefixes` declares is an ASCII name (a letter or `_`,
//   then letters, digits, `_`, `-`, `.`), and it is short
//   ([`MISMATCH_MAX_LEN`]), far from the limits on namespaces and nodes;
// - no byte before the end tag is a control character other than tab, line
//   feed and carriage return (a non-XML character in text, an attribute value,
//   a comment, a PI or CDATA; an ASCII body holds no U+FFFE or U+FFFF);
// - every `&` before it starts `&amp;`, `&lt;`, `&gt;`, `&quot;` or `&apos;`
//   (no unknown entity, and no character reference that could spell a
//   reserved namespace URI in an `xmlns` value);
// - no `]]>` before it (an error in text);
// - no comment before it holds `--` or ends with `-` (the pre-check notes
//   it in [`Scratch::bad_comment`]);
// - no `<xml:` or `<xmlns:` before it (an element prefix roxmltree does not
//   know, or does not allow), no `<?xml ` (a declaration out of place), no
//   `xmlns:xml` (binding `xml` or `xmlns`), and neither reserved namespace URI
//   (which an `xmlns` attribute may not bind, or binds only to `xml`).
//
// The rest of what roxmltree checks before the end tag is what the pre-check
// checked (names, attributes and their duplicated local names, the form of
// references) or cannot fail here: the prefix of an element follows `<` and
// that of an attribute white space, so unless it is `xml` or `xmlns` the head
// declares it, and every element inherits it; a duplicated namespace
// declaration is a duplicated local name. The end tag itself is `</` name S?
// `>`, the name in the pre-check's subset; roxmltree compares prefix and
// local name as written, so different text is a different name, and it
// reports the position of the end tag's `<` (in an ASCII text, characters are
// bytes). An end tag named ROOT is left to roxmltree (the rule ignores it).

/// Longest body [`mismatch_finding`] decides: fewer than 20,000 prefixes
/// and namespace declarations, fewer than 100,000 nodes, whatever it holds.
const MISMATCH_MAX_LEN: usize = 100_000;

/// The end tag the pre-check stopped on for not closing the innermost open
/// element (`s` as [`surely_clean`] left it), when roxmltree certainly
/// reports that end tag first (see above): where it is, and the names of the
/// open element and of the end tag (ranges of `body`). `None` when not
/// certain.
pub fn mismatch(body: &str, s: &Scratch) -> Option<Mismatch> {
    let at = s.mismatch?;
    let b = body.as_bytes();
    if s.bad_comment || b.len() > MISMATCH_MAX_LEN || !b.is_ascii() {
        return None;
    }
    let &(os, oe) = s.open.last()?;
    let (_, e) = qname(b, at + 2)?;
    let actual = body.get(at + 2..e)?;
    if actual == ROOT || b.get(skip_spaces(b, e)) != Some(&b'>') || !quiet_before(b, at) {
        return None;
    }
    Some(Mismatch {
        at,
        expected: os..oe,
        actual: at + 2..e,
    })
}

/// An end tag that does not close the innermost open element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where the end tag's `<` is.
    pub at: usize,
    /// The open element's name.
    pub expected: std::ops::Range<usize>,
    /// The end tag's name.
    pub actual: std::ops::Range<usize>,
}

/// Bytes [`quiet_before`] looks at: control characters other than tab, line
/// feed and carriage return, `&`, `]` and `<`.
static QUIET_LOOK: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = !matches!(c as u8, b'\t' | b'\n' | b'\r');
        c += 1;
    }
    t[b'&' as usize] = true;
    t[b']' as usize] = true;
    t[b'<' as usize] = true;
    t
};

/// Whether the first `upto` bytes of an ASCII body that the pre-check read
/// hold none of what makes roxmltree stop on an error the rule ignores (see
/// above; comments apart).
fn quiet_before(b: &[u8], upto: usize) -> bool {
    static FINDERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 3]> =
        std::sync::LazyLock::new(|| {
            use memchr::memmem::Finder;
            [
                Finder::new("xmlns:xml"),
                Finder::new("http://www.w3.org/XML/1998/namespace"),
                Finder::new("http://www.w3.org/2000/xmlns/"),
            ]
        });
    let Some(head) = b.get(..upto) else {
        return false;
    };
    if FINDERS.iter().any(|f| f.find(head).is_some()) {
        return false;
    }
    let mut k = 0;
    while let Some(d) = head
        .get(k..)
        .and_then(|r| r.iter().position(|&c| QUIET_LOOK[usize::from(c)]))
    {
        k += d;
        let rest = b.get(k..).unwrap_or_default();
        let quiet = match rest.first() {
            Some(b'&') => [&b"&amp;"[..], b"&lt;", b"&gt;", b"&quot;", b"&apos;"]
                .iter()
                .any(|r| rest.starts_with(r)),
            Some(b']') => !rest.starts_with(b"]]>"),
            Some(b'<') => ![&b"<xml:"[..], b"<xmlns:", b"<?xml "]
                .iter()
                .any(|r| rest.starts_with(r)),
            _ => false,
        };
        if !quiet {
            return false;
        }
        k += 1;
    }
    true
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
    fn name_classes() {
        for c in 0..=255u8 {
            assert_eq!(is_name_start(c), c.is_ascii_alphabetic() || c == b'_');
            assert_eq!(
                is_name_byte(c),
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
            );
        }
    }
}
