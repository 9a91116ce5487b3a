//! Matching section topics against a profile of required sections.

use super::{Context, RuleInfo};
use crate::diag::{Diagnostic, Severity};
use crate::policy::Profile;

/// A topic in comparable form: lower case, single spaces, no "considerations".
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        // What `to_lowercase` gives, without the copies.
        for w in s.split_ascii_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            let start = out.len();
            out.push_str(w);
            if let Some(added) = out.get_mut(start..) {
                added.make_ascii_lowercase();
            }
        }
    } else {
        for w in s.to_lowercase().split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    if let Some(n) = out.strip_suffix(" considerations").map(str::len) {
        out.truncate(n);
    }
    out
}

/// Whether a section topic satisfies a required name: equal, or the required
/// words followed by more ("Scope and Role of the SIG"), once both are through
/// [`normalize`].
#[cfg(test)]
fn topic_matches(topic: &str, required: &str) -> bool {
    normalized_match(&normalize(topic), &normalize(required))
}

/// [`topic_matches`] on topics already through [`normalize`].
fn normalized_match(t: &str, r: &str) -> bool {
    t == r || t.strip_prefix(r).is_some_and(|rest| rest.starts_with(' '))
}

/// Whether `words` occurs in `text` as whole words (case-insensitive).
fn has_phrase(text: &str, phrase: &str) -> bool {
    let t = text.to_lowercase();
    let p = phrase.to_lowercase();
    t.match_indices(&p).any(|(i, _)| {
        let before = t[..i].chars().next_back();
        let after = t[i + p.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a profile applies to the document.
pub fn applies(cx: &Context<'_>, p: &Profile) -> bool {
    let Some(t) = cx.xep.doc_type() else {
        return false;
    };
    if p.types.iter().any(|x| x == t) {
        return true;
    }
    if p.title_types.iter().any(|x| x == t) {
        let title = cx
            .xep
            .header
            .title
            .as_ref()
            .map_or("", |f| f.value.as_str());
        return p.title_words.iter().any(|w| has_phrase(title, w));
    }
    false
}

/// Report each required (and, as warnings, recommended) top-level section the
/// document lacks, once, at the last section (or the `<xep>` element).
pub fn check_profile(cx: &Context<'_>, info: &RuleInfo, out: &mut Vec<Diagnostic>) {
    // The topics, normalized for the first profile that applies.
    let mut topics: Option<Vec<String>> = None;
    for p in cx.policy.profiles.iter().filter(|p| p.rule == info.id) {
        if !applies(cx, p) {
            continue;
        }
        let topics = topics.get_or_insert_with(|| {
            cx.xep
                .sections
                .iter()
                .filter_map(|s| s.topic.as_ref())
                .map(|t| normalize(&t.value))
                .collect()
        });
        let (span, label) = match cx.xep.sections.last() {
            Some(s) => (s.span, "the last section"),
            None => (cx.xep.root_span, "this document has no sections"),
        };
        let missing = |name: &String| {
            let names = std::iter::once(name).chain(p.aliases.get(name).into_iter().flatten());
            !names.into_iter().any(|n| {
                let required = normalize(n);
                topics.iter().any(|t| normalized_match(t, &required))
            })
        };
        for (name, recommended) in p
            .required
            .iter()
            .map(|n| (n, false))
            .chain(p.recommended.iter().map(|n| (n, true)))
        {
            if !missing(name) {
                continue;
            }
            let mut d = cx.diag(
                info,
                span,
                format!(
                    "{} document has no \"{name}\" section",
                    super::shared::article(&p.name)
                ),
            );
            if recommended && d.severity > Severity::Warning {
                d.severity = Severity::Warning;
            }
            let anchor = normalize(name).replace(' ', "-");
            out.push(
                d.label(label)
                    .help(format!(
                        "add <section1 topic='{name}' anchor='{anchor}'>…</section1>"
                    ))
                    .note(format!(
                        "{} lists the sections a {} document needs",
                        p.source, p.name
                    )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_lowers_and_joins() {
        assert_eq!(normalize("  IANA \t Considerations "), "iana");
        assert_eq!(normalize("Scope and  Role"), "scope and role");
        assert_eq!(normalize("Über  Sicherheit"), "über sicherheit");
        assert_eq!(normalize("Security\u{a0}Considerations"), "security");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn normalize_is_the_former_normalize() {
        let former = |s: &str| {
            let mut out = String::new();
            for w in s.to_lowercase().split_ascii_whitespace() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(w);
            }
            if let Some(n) = out.strip_suffix(" considerations").map(str::len) {
                out.truncate(n);
            }
            out
        };
        for s in [
            "",
            " ",
            "a",
            " a ",
            "\tA\r\nB\x0c c  ",
            "Security Considerations",
            "  Security   CONSIDERATIONS  ",
            "considerations",
            " Considerations",
            "IANA\u{b}Considerations",
        ] {
            assert_eq!(normalize(s), former(s), "{s:?}");
        }
    }

    /// Comparing as the texts are normalized is comparing the normalized
    /// texts, on pieces put together every way.
    #[test]
    fn topic_matches_is_normalized_match() {
        let pieces = [
            "",
            " ",
            "\t\n",
            "\x0b",
            "\u{a0}",
            "Security",
            "security",
            "SECURITY",
            "Considerations",
            "considerations",
            " considerations",
            "xconsiderations",
            "IANA",
            "Scope",
            "Scoped",
            "and",
            "é",
            "Über",
        ];
        let mut texts = Vec::new();
        for a in pieces {
            for b in pieces {
                texts.push(format!("{a}{b}"));
                for c in pieces {
                    texts.push(format!("{a} {b}{c}"));
                }
            }
        }
        for t in &texts {
            for r in texts.iter().step_by(7) {
                assert_eq!(
                    topic_matches(t, r),
                    normalized_match(&normalize(t), &normalize(r)),
                    "{t:?} {r:?}"
                );
            }
        }
    }

    #[test]
    fn tolerant_topics() {
        assert!(topic_matches(
            "Security Considerations",
            "Security Considerations"
        ));
        assert!(topic_matches("security", "Security Considerations"));
        assert!(topic_matches("IANA  considerations", "IANA Considerations"));
        assert!(topic_matches("Scope and Role of the SIG", "Scope and Role"));
        assert!(!topic_matches("Scoped", "Scope"));
        assert!(!topic_matches("Introductions", "Introduction"));
    }

    #[test]
    fn whole_word_phrases() {
        assert!(has_phrase(
            "Internet of Things Special Interest Group (IoT SIG)",
            "SIG"
        ));
        assert!(has_phrase(
            "Special Interests Group End to End Encryption",
            "Special Interests Group"
        ));
        assert!(!has_phrase("Special Interest Groups (SIGs)", "SIG"));
        assert!(!has_phrase(
            "Special Interest Groups (SIGs)",
            "Special Interest Group"
        ));
        assert!(!has_phrase("Streamlining the SIGs", "SIG"));
        assert!(!has_phrase("Signing", "SIG"));
    }
}
