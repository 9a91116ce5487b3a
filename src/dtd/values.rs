//! Attribute values and text as validity sees them: white space,
//! normalization of tokenized values, and whether a value fits its type.

use crate::dtd::decl::{AttType, is_name, is_nmtoken};

/// XML white space.
pub fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// [`is_ws`] for one byte of UTF-8: a string is all white space exactly
/// when all its bytes are (no byte of a multi-byte character is ASCII).
pub fn is_ws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether text is all white space ([`is_ws`]). The usual white space
/// between elements, a newline and spaces, is compared with spaces several
/// bytes at a time; anything else goes byte by byte.
#[inline]
pub fn is_all_ws(text: &str) -> bool {
    let b = text.as_bytes();
    let rest = match b.split_first() {
        Some((b'\n', rest)) => rest,
        _ => b,
    };
    all_spaces(rest) || b.iter().all(|&c| is_ws_byte(c))
}

/// Whether bytes are all spaces, read eight (or four, overlapping) at a time;
/// below four, the first, middle and last (which are all of them).
#[inline(always)]
fn all_spaces(b: &[u8]) -> bool {
    const SPACES8: u64 = u64::from_le_bytes([b' '; 8]);
    const SPACES4: u32 = u32::from_le_bytes([b' '; 4]);
    let mut rest = b;
    while let Some((chunk, more)) = rest.split_first_chunk::<8>() {
        if u64::from_le_bytes(*chunk) != SPACES8 {
            return false;
        }
        rest = more;
    }
    match (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
        (Some(lo), Some(hi)) => {
            u32::from_le_bytes(*lo) == SPACES4 && u32::from_le_bytes(*hi) == SPACES4
        }
        _ => match (rest.first(), rest.last()) {
            (Some(&first), Some(&last)) => {
                first == b' ' && last == b' ' && rest.get(rest.len() / 2) == Some(&b' ')
            }
            _ => true,
        },
    }
}

/// The value of a tokenized attribute after normalization: leading and
/// trailing spaces dropped, runs of spaces collapsed.
pub fn normalize(v: &str) -> String {
    normalized(v).into_owned()
}

/// An attribute's value as a `#FIXED` default is compared with it: as
/// written for CDATA, normalized for the other types.
pub fn compared_value<'a>(ty: &AttType, value: &'a str) -> std::borrow::Cow<'a, str> {
    if *ty == AttType::Cdata {
        std::borrow::Cow::Borrowed(value)
    } else {
        normalized(value)
    }
}

/// [`normalize`], borrowing when the value is already normal (the usual case).
pub fn normalized(v: &str) -> std::borrow::Cow<'_, str> {
    let b = v.as_bytes();
    let clean = b.first().is_none_or(|&c| c != b' ')
        && b.last().is_none_or(|&c| c != b' ')
        && !v.contains("  ")
        && !v.contains(|c: char| is_ws(c) && c != ' ');
    if clean {
        return std::borrow::Cow::Borrowed(v);
    }
    std::borrow::Cow::Owned(
        v.split(is_ws)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Check a value (normalized for tokenized types) against its type; on
/// failure, what was expected.
pub fn check_value(ty: &AttType, value: &str) -> Result<(), String> {
    if *ty == AttType::Cdata {
        return Ok(());
    }
    let v = normalized(value);
    let tokens = || v.split(' ').filter(|t| !t.is_empty());
    match ty {
        AttType::Cdata => Ok(()),
        AttType::Id | AttType::Idref | AttType::Entity => {
            if is_name(&v) {
                Ok(())
            } else {
                Err("expected an XML name (a letter or `_` first, no spaces)".into())
            }
        }
        AttType::Idrefs | AttType::Entities => {
            if !v.is_empty() && tokens().all(is_name) {
                Ok(())
            } else {
                Err("expected one or more XML names separated by spaces".into())
            }
        }
        AttType::Nmtoken => {
            if is_nmtoken(&v) {
                Ok(())
            } else {
                Err("expected a name token (letters, digits, `.-_:`, no spaces)".into())
            }
        }
        AttType::Nmtokens => {
            if !v.is_empty() && tokens().all(is_nmtoken) {
                Ok(())
            } else {
                Err("expected one or more name tokens separated by spaces".into())
            }
        }
        AttType::Notation(list) | AttType::Enumeration(list) => {
            if list.iter().any(|x| *x == *v) {
                Ok(())
            } else {
                Err(format!("expected one of: {}", list.join(", ")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`is_all_ws`] answers as [`is_ws`] on every character.
    #[test]
    fn all_white_space() {
        let pieces = [
            "", " ", "\n", "\t", "\r", "x", "é", "\u{a0}", "\u{c}", "\0", "  ",
        ];
        let mut texts: Vec<String> = Vec::new();
        for a in pieces {
            for b in pieces {
                for n in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 30] {
                    texts.push(format!("{a}{}{b}", " ".repeat(n)));
                    texts.push(format!("\n{a}{}{b}", " ".repeat(n)));
                    texts.push(format!("\n{}{a}{}{b}", " ".repeat(n), " ".repeat(n / 2)));
                }
            }
        }
        for t in &texts {
            assert_eq!(is_all_ws(t), t.chars().all(is_ws), "{t:?}");
        }
    }

    #[test]
    fn values() {
        assert!(check_value(&AttType::Nmtoken, " x ").is_ok());
        assert!(check_value(&AttType::Nmtoken, "x y").is_err());
        assert!(check_value(&AttType::Nmtokens, "x  y").is_ok());
        assert!(check_value(&AttType::Id, "1x").is_err());
        assert!(check_value(&AttType::Enumeration(vec!["a".into(), "b".into()]), " b").is_ok());
        assert!(check_value(&AttType::Enumeration(vec!["a".into()]), "c").is_err());
        assert!(check_value(&AttType::Idrefs, "").is_err());
    }
}
