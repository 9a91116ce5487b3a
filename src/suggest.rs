//! "Did you mean …?" suggestions.

/// The candidate closest to `word`, if any is close enough to be a likely typo.
/// Ties go to the first candidate, so the answer is deterministic.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let lower_chars: Vec<char> = lower.chars().collect();
    // How often each ASCII character occurs in the word (`None` if it is not
    // all ASCII), for a cheap bound on the score.
    let counts = lower.is_ascii().then(|| {
        let mut counts = [0u16; 128];
        for b in lower.bytes() {
            if let Some(n) = counts.get_mut(usize::from(b)) {
                *n = n.saturating_add(1);
            }
        }
        counts
    });
    // The lowered candidate, reused from one candidate to the next.
    let mut c: Vec<char> = Vec::new();
    let mut flags: Vec<bool> = Vec::new();
    let mut best: Option<(f64, &str)> = None;
    for cand in candidates {
        if cand == word {
            continue;
        }
        c.clear();
        if cand.is_ascii() {
            // What `to_lowercase` gives, without the copy.
            c.extend(cand.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            c.extend(cand.to_lowercase().chars());
        }
        let prefix = lower.len() >= 4 && c.starts_with(&lower_chars);
        if !prefix
            && c != lower_chars
            && let Some(counts) = &counts
            && surely_far(counts, lower_chars.len(), &c)
        {
            continue; // scores below 0.85
        }
        let score = if c == lower_chars {
            1.0
        } else {
            let jw = jaro_winkler(&lower_chars, &c, &mut flags);
            // A prefix of the candidate ("Proto" for "ProtoXEP") counts as close.
            if lower.len() >= 4 && c.starts_with(&lower_chars) {
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

/// Whether the Jaro-Winkler similarity of a word (`counts` of its ASCII
/// characters, `a` of them) and `c` is certainly below 0.85. The Jaro
/// similarity is at most `(m/a + m/b + 1) / 3` for `m` matching characters,
/// and `m` is at most the number of characters the two have in common; the
/// Winkler boost raises a similarity `s` above 0.7 to at most `0.6 s + 0.4`.
/// With `m/a + m/b <= 1.2`, `s <= 0.734` and the score `<= 0.841`: far
/// enough below 0.85 for rounding not to matter.
fn surely_far(counts: &[u16; 128], a: usize, c: &[char]) -> bool {
    let b = c.len();
    if a == 0 || b == 0 {
        return false; // left to `jaro` (1.0 or 0.0)
    }
    let mut left = *counts;
    let mut common = 0usize;
    for &ch in c {
        let Some(n) = usize::try_from(u32::from(ch))
            .ok()
            .and_then(|i| left.get_mut(i))
        else {
            continue; // not ASCII: not in the word
        };
        if *n > 0 {
            *n -= 1;
            common += 1;
        }
    }
    // common/a + common/b <= 1.2, in integers.
    5 * common * (a + b) <= 6 * a * b
}

/// `strsim::jaro_winkler` on characters, computed the same way (the same
/// matches, transpositions and floating-point operations, so the same value
/// to the bit), without its quadratic walks over the second string. `flags`
/// is scratch space.
fn jaro_winkler(a: &[char], b: &[char], flags: &mut Vec<bool>) -> f64 {
    let sim = jaro(a, b, flags);
    if sim > 0.7 {
        let prefix_length = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix_length as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// `strsim::generic_jaro` on characters.
fn jaro(a: &[char], b: &[char], flags: &mut Vec<bool>) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
    flags.clear();
    flags.resize(a_len + b_len, false);
    let (a_flags, b_flags) = flags.split_at_mut(a_len);
    let mut matches = 0usize;
    for (i, (a_elem, a_flag)) in a.iter().zip(a_flags.iter_mut()).enumerate() {
        let min_bound = i.saturating_sub(search_range);
        let max_bound = b_len.min(i + search_range + 1);
        let (Some(window), Some(window_flags)) = (
            b.get(min_bound..max_bound),
            b_flags.get_mut(min_bound..max_bound),
        ) else {
            continue;
        };
        for (b_elem, b_flag) in window.iter().zip(window_flags.iter_mut()) {
            if a_elem == b_elem && !*b_flag {
                *a_flag = true;
                *b_flag = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut b_matched = b_flags.iter().zip(b).filter(|(f, _)| **f).map(|(_, c)| c);
    for (_, ch1) in a_flags.iter().zip(a).filter(|(f, _)| **f) {
        if b_matched.next().is_some_and(|ch2| ch1 != ch2) {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
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

    /// The former `closest`, on `strsim` and owned lowercase copies.
    fn former_closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let lower = word.to_lowercase();
        let mut best: Option<(f64, &str)> = None;
        for &cand in candidates {
            if cand == word {
                continue;
            }
            let c = cand.to_lowercase();
            let score = if c == lower {
                1.0
            } else {
                let jw = strsim::jaro_winkler(&lower, &c);
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

    /// Words of every shape: empty, one character, equal, transposed,
    /// non-ASCII (with letters whose lowercase is longer, and a final sigma).
    const WORDS: &[&str] = &[
        "",
        "a",
        "ab",
        "ba",
        "abc",
        "acb",
        "martha",
        "marhta",
        "dixon",
        "dicksonx",
        "jellyfish",
        "smellyfish",
        "security",
        "security-considerations",
        "Security Considerations",
        "iana",
        "IANA",
        "intro",
        "introduction",
        "business-rules",
        "bizrules",
        "Standards Track",
        "Standards Strack",
        "ProtoXEP",
        "Proto",
        "ProtoXep",
        "Proposed",
        "Über",
        "über",
        "ÜBER",
        "ΟΔΟΣ",
        "οδος",
        "İstanbul",
        "istanbul",
        "xeplint-disable",
        "xeplint-disable-next-element",
        "xeplint-disable-next",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    ];

    #[test]
    fn scores_are_those_of_strsim() {
        let mut flags = Vec::new();
        for a in WORDS {
            for b in WORDS {
                let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let fast = super::jaro_winkler(&ac, &bc, &mut flags);
                let slow = strsim::jaro_winkler(a, b);
                assert_eq!(fast.to_bits(), slow.to_bits(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn far_means_below_the_threshold() {
        let mut far = 0;
        for a in WORDS.iter().filter(|w| w.is_ascii()) {
            let mut counts = [0u16; 128];
            for b in a.bytes() {
                counts[usize::from(b)] += 1;
            }
            let ac = a.chars().count();
            for b in WORDS {
                let bc: Vec<char> = b.chars().collect();
                if super::surely_far(&counts, ac, &bc) {
                    far += 1;
                    assert!(strsim::jaro_winkler(a, b) < 0.85, "{a:?} {b:?}");
                }
            }
        }
        assert!(far > 100, "{far}");
    }

    #[test]
    fn closest_is_the_former_closest() {
        for w in WORDS {
            assert_eq!(closest(w, WORDS.iter().copied()), former_closest(w, WORDS));
            for skip in 0..WORDS.len() {
                let some: Vec<&str> = WORDS.iter().copied().skip(skip).step_by(3).collect();
                assert_eq!(closest(w, some.iter().copied()), former_closest(w, &some));
            }
        }
        // Pseudo-random words over a small alphabet: many near misses.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet: Vec<char> = "abcdeAB-é".chars().collect();
        let words: Vec<String> = (0..300)
            .map(|_| {
                let len = (next() % 12) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut flags = Vec::new();
        for (i, w) in refs.iter().enumerate() {
            let cands = &refs[(i * 7) % 250..(i * 7) % 250 + 50];
            assert_eq!(closest(w, cands.iter().copied()), former_closest(w, cands));
            for c in cands {
                let (ac, bc): (Vec<char>, Vec<char>) = (w.chars().collect(), c.chars().collect());
                assert_eq!(
                    super::jaro_winkler(&ac, &bc, &mut flags).to_bits(),
                    strsim::jaro_winkler(w, c).to_bits(),
                    "{w:?} {c:?}"
                );
                if w.is_ascii() {
                    let mut counts = [0u16; 128];
                    for b in w.bytes() {
                        counts[usize::from(b)] += 1;
                    }
                    if super::surely_far(&counts, ac.len(), &bc) {
                        assert!(strsim::jaro_winkler(w, c) < 0.85, "{w:?} {c:?}");
                    }
                }
            }
        }
    }
}
