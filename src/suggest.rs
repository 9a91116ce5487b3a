//! "Did you mean …?" suggestions, by Jaro-Winkler similarity (`strsim`).

/// The candidate closest to `word`, if any is close enough to be a likely
/// typo: a Jaro-Winkler similarity of at least 0.85, case aside, or `word`
/// being the start of the candidate (four bytes or more). Ties go to
/// the candidate first in byte order, so the answer is deterministic.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for cand in candidates {
        if cand == word {
            continue;
        }
        let c = cand.to_lowercase();
        let score = if c == lower {
            1.0
        } else {
            let jw = strsim::jaro_winkler(&lower, &c);
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
}
