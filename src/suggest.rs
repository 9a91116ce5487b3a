//! "Did you mean …?" suggestions, by Jaro-Winkler similarity (`strsim`).

/// The candidate closest to `word`, if any is close enough to be a likely
/// typo: a Jaro-Winkler similarity of at least 0.85, case aside, or `word`
/// being the start of the candidate (four bytes or more). Ties go to
/// the candidate first in byte order, so the answer is deterministic.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    // Compared as characters collected once: `strsim::jaro_winkler` on two
    // `&str` walks the second from its start again for each character of
    // the first, decoding UTF-8 each time (over the corpus, where broken
    // links are compared with every anchor of their XEP, 13.3 M of the
    // rules' 88 M instructions; 9.1 M this way).
    let word_chars: Vec<char> = lower.chars().collect();
    let mut best: Option<(f64, &str)> = None;
    for cand in candidates {
        if cand == word {
            continue;
        }
        let c = cand.to_lowercase();
        let score = if c == lower {
            1.0
        } else {
            let c_chars: Vec<char> = c.chars().collect();
            let jw = strsim::generic_jaro_winkler(&word_chars, &c_chars);
            // A prefix of the candidate ("Proto" for "ProtoXEP") counts as close.
            if lower.len() >= 4 && c.starts_with(&lower) {
                jw.max(0.9)
            } else {
                jw
            }
        };
        if score >= 0.85 && best.is_none_or(|(s, b)| score > s || (score == s && cand < b)) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos() {
        let types = [
            "Standards Track",
            "Informational",
            "Historical",
            "Humorous",
            "Procedural",
        ];
        assert_eq!(closest("Standards Strack", types), Some("Standards Track"));
        assert_eq!(closest("standards track", types), Some("Standards Track"));
        assert_eq!(
            closest("ProtoXep", ["ProtoXEP", "Proposed"]),
            Some("ProtoXEP")
        );
        assert_eq!(closest("Proto", ["ProtoXEP", "Proposed"]), Some("ProtoXEP"));
        assert_eq!(closest("Banana", types), None);
    }

    #[test]
    fn characters_compare_as_strings_do() {
        let words = [
            "",
            "a",
            "anchor",
            "anchro",
            "über-schrift",
            "ueber",
            "σίγμα",
            "xep-0001",
        ];
        for a in words {
            for b in words {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                assert_eq!(
                    strsim::generic_jaro_winkler(&ca, &cb).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a} / {b}"
                );
            }
        }
    }
}
