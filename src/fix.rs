//! The fix engine: applies the fixes findings carry ([`crate::diag::Fix`]),
//! checks the result again, and goes on until nothing more applies, as ruff
//! does.
//!
//! Each pass takes the fixes of the findings of the current text (safe ones,
//! and unsafe ones when asked), in order of position, leaving out any that
//! overlaps one already taken (it comes back in the next pass, on the new
//! text), applies them, and checks the new text. A pass whose text has more
//! `xml-` errors than before (or as many, and more `dtd-` errors) is undone;
//! its fixes are then tried one at a time, and each that makes things worse
//! on its own is refused for the rest of the run and reported: a fix that
//! does harm is a bug.
//! At most [`MAX_PASSES`] passes. Every byte outside the edits is kept.
//!
//! Nothing here writes: the caller decides (`--fix` writes atomically
//! through [`crate::gate::Gate::write_atomic`], `--diff` prints, the language
//! server sends the edits).

use crate::check::{Input, Session};
use crate::diag::{Applicability, Diagnostic, Edit, FileReport, Fix, Severity};
use crate::source::FileId;

/// Passes before the engine stops (ruff stops after 100; a XEP's fixes
/// settle in two or three).
pub const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Safe fixes only (`--fix`).
    Safe,
    /// Safe and unsafe ones (`--fix --unsafe-fixes`).
    Unsafe,
}

impl Mode {
    fn allows(self, a: Applicability) -> bool {
        a == Applicability::Safe || self == Mode::Unsafe
    }
}

/// What fixing one document did.
#[derive(Debug)]
pub struct Outcome {
    /// The text as read.
    pub original: String,
    /// The text after the fixes (equal to `original` when none applied).
    pub fixed: String,
    /// Findings fixed, over all passes: the fixes applied, or the findings
    /// that went away when that is more.
    pub applied: usize,
    /// Passes run (each checks the text once).
    pub passes: usize,
    /// The findings of the fixed text: what is left to do by hand.
    pub report: FileReport,
    /// The fixed text's id in the source map (for rendering `report`).
    pub file: Option<FileId>,
    /// Fixes that made the document worse and were left out: rule and title.
    pub refused: Vec<(&'static str, String)>,
    /// Why nothing could be fixed, when the text cannot be edited safely
    /// (not UTF-8, say): the report is then the plain check's.
    pub unfixable: Option<String>,
}

impl Outcome {
    /// Whether the fixes changed the text.
    pub fn changed(&self) -> bool {
        self.original != self.fixed
    }

    /// Findings left whose fix `--unsafe-fixes` would apply.
    pub fn unsafe_left(&self) -> usize {
        self.report
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Unsafe)
            })
            .count()
    }
}

/// Fix one document in memory.
pub fn fix_document(session: &Session, input: &Input, mode: Mode) -> Outcome {
    let read = session.read(input);
    let admitted = match (&input.bytes, session.admit(input)) {
        (None, Ok(a)) => Some(a),
        _ => input.admitted.clone(),
    };
    let bytes = match read {
        Ok((_, bytes)) => bytes,
        Err(_) => return unfixed(session, input, String::new(), None),
    };
    let original = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            return unfixed(
                session,
                input,
                String::new(),
                Some("the file is not UTF-8: it was not fixed".into()),
            );
        }
    };
    let at = |text: &str| Input {
        bytes: Some(text.as_bytes().to_vec()),
        admitted: admitted.clone(),
        ..input.clone()
    };
    let mut text = original.clone();
    let (mut report, mut file) = check(session, &at(&text));
    let found = report.diagnostics.len();
    let mut errors = hard_errors(&report);
    let mut refused: Vec<(&'static str, String)> = Vec::new();
    let mut applied = 0;
    let mut passes = 1;
    while passes <= MAX_PASSES {
        let Some(id) = file else { break };
        let chosen: Vec<(&'static str, Fix)> = choose(&report.diagnostics, id, mode, &refused)
            .into_iter()
            .map(|d| (d.rule, fix_of(d).clone()))
            .collect();
        if chosen.is_empty() {
            break;
        }
        let candidate = apply(&text, chosen.iter().flat_map(|(_, f)| f.edits.iter()));
        passes += 1;
        let (r, f) = check(session, &at(&candidate));
        if hard_errors(&r) <= errors {
            release(session, file);
            (text, report, file) = (candidate, r, f);
            errors = hard_errors(&report);
            applied += chosen.len();
            continue;
        }
        // Worse: find the fixes to blame, one at a time on the old text.
        release(session, f);
        let mut progressed = false;
        let before = refused.len();
        for (rule, fix) in &chosen {
            let alone = apply(&text, fix.edits.iter());
            let (r, f) = check(session, &at(&alone));
            if hard_errors(&r) > errors {
                refused.push((rule, fix.title.clone()));
                release(session, f);
            } else if !progressed {
                // Keep the first good one; the others come back next pass.
                release(session, file);
                (text, report, file) = (alone, r, f);
                errors = hard_errors(&report);
                applied += 1;
                progressed = true;
            } else {
                release(session, f);
            }
        }
        if !progressed && refused.len() == before {
            break;
        }
    }
    // Findings gone: a fix may settle several (a child put in its place
    // answers each finding its misplacement caused).
    let applied = applied.max(found.saturating_sub(report.diagnostics.len()));
    Outcome {
        original,
        fixed: text,
        applied,
        passes,
        report,
        file,
        refused,
        unfixable: None,
    }
}

/// Check a text. (Tests may change what the check offers, to see how the
/// engine takes a harmful fix.)
fn check(session: &Session, input: &Input) -> (FileReport, Option<FileId>) {
    #[allow(unused_mut)]
    let (mut report, file) = session.check_document(input);
    #[cfg(test)]
    if let Some(f) = tests::INJECT.with(|i| i.get()) {
        f(&mut report);
    }
    (report, file)
}

fn unfixed(session: &Session, input: &Input, original: String, why: Option<String>) -> Outcome {
    let (report, file) = check(session, input);
    Outcome {
        fixed: original.clone(),
        original,
        applied: 0,
        passes: 1,
        report,
        file,
        refused: Vec::new(),
        unfixable: why,
    }
}

fn release(session: &Session, file: Option<FileId>) {
    if let Some(id) = file {
        session.sources.release(id);
    }
}

/// Well-formedness errors, then validity errors: what a fix must never add
/// to. Compared in that order: an error that breaks well-formedness hides
/// validity errors after it (they are not checked), so a fix that removes
/// one may bring others to light and still be progress, and one that adds
/// one is worse whatever it hides.
fn hard_errors(report: &FileReport) -> (usize, usize) {
    let count = |prefix: &str| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.rule.starts_with(prefix))
            .count()
    };
    (
        count("xml-") + usize::from(report.read_error.is_some()),
        count("dtd-"),
    )
}

fn fix_of(d: &Diagnostic) -> &Fix {
    // Only diagnostics with a fix are chosen.
    static NONE: Fix = Fix {
        title: String::new(),
        applicability: Applicability::Safe,
        edits: Vec::new(),
    };
    d.fix.as_ref().unwrap_or(&NONE)
}

/// The fixes to apply in one pass: allowed, in the document, not refused,
/// and overlapping none taken before (the same fix offered by two findings
/// is taken once).
fn choose<'d>(
    diagnostics: &'d [Diagnostic],
    file: FileId,
    mode: Mode,
    refused: &[(&'static str, String)],
) -> Vec<&'d Diagnostic> {
    let mut candidates: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| {
            d.fix.as_ref().is_some_and(|f| {
                !f.edits.is_empty()
                    && mode.allows(f.applicability)
                    && f.is_sound_in(file)
                    && !refused.iter().any(|(r, t)| *r == d.rule && *t == f.title)
            })
        })
        .collect();
    // Safe fixes first, then by position.
    candidates.sort_by_key(|d| {
        let f = fix_of(d);
        (f.applicability, f.edits.first().map(|e| e.span.start))
    });
    let mut taken: Vec<&Diagnostic> = Vec::new();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for d in candidates {
        let f = fix_of(d);
        if taken.iter().any(|t| fix_of(t).edits == f.edits) {
            continue;
        }
        let clash = f.edits.iter().any(|e| {
            ranges.iter().any(|&(s, end)| {
                e.span.start < end.max(s + 1) && s < e.span.end.max(e.span.start + 1)
            })
        });
        if clash {
            continue;
        }
        ranges.extend(f.edits.iter().map(|e| (e.span.start, e.span.end)));
        taken.push(d);
    }
    taken
}

/// `text` with `edits` applied (they must not overlap; each is clamped to
/// the text and to a character boundary, so a wrong span cannot panic).
pub fn apply<'e>(text: &str, edits: impl IntoIterator<Item = &'e Edit>) -> String {
    let mut edits: Vec<&Edit> = edits.into_iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let start = crate::source::floor_char(text, e.span.start as usize).max(at);
        let end = crate::source::floor_char(text, e.span.end as usize).max(start);
        out.push_str(crate::source::piece(text, at..start));
        out.push_str(&e.replacement);
        at = end;
    }
    out.push_str(crate::source::piece(text, at..));
    out
}

/// A unified diff of a fix, as `diff -u` prints it, with `path` as both
/// names (`a/` and `b/` in front, as git does).
pub fn unified_diff(original: &str, fixed: &str, path: &str) -> String {
    similar::TextDiff::from_lines(original, fixed)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    thread_local! {
        /// Changes each report the engine gets.
        pub(super) static INJECT: std::cell::Cell<Option<fn(&mut FileReport)>> =
            const { std::cell::Cell::new(None) };
    }

    #[test]
    fn a_fix_that_breaks_the_document_is_refused() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix/xep-1950.xml");
        let session = Session::new(Default::default());
        let input = Input::file(&path);
        let good = fix_document(&session, &input, Mode::Safe);
        assert!(
            good.changed() && good.refused.is_empty(),
            "{:?}",
            good.refused
        );
        // Each order fix replaced by one that renames a start tag: the
        // document would no longer be well-formed.
        INJECT.with(|i| {
            i.set(Some(|r: &mut FileReport| {
                for d in &mut r.diagnostics {
                    if d.fix.is_some() {
                        d.fix = Some(Fix::safe("harm", vec![Edit::replace(d.primary.span, "x")]));
                    }
                }
            }))
        });
        let bad = fix_document(&session, &input, Mode::Safe);
        INJECT.with(|i| i.set(None));
        assert!(!bad.changed(), "the harmful fix was kept");
        assert_eq!(bad.applied, 0);
        assert!(
            bad.refused.iter().any(|(_, t)| t == "harm"),
            "{:?}",
            bad.refused
        );
        assert!(bad.passes <= MAX_PASSES + 1);
    }

    #[test]
    fn a_text_that_is_not_utf8_is_not_fixed() {
        let session = Session::new(Default::default());
        let input = Input::stdin(b"<xep>\xff</xep>".to_vec(), None);
        let out = fix_document(&session, &input, Mode::Unsafe);
        assert!(out.unfixable.is_some() && !out.changed());
    }

    fn edit(start: usize, end: usize, r: &str) -> Edit {
        Edit::replace(Span::new(FileId(0), start, end), r)
    }

    #[test]
    fn edits_apply_and_keep_every_other_byte() {
        let text = "<a><b/><c/></a>";
        let out = apply(text, &[edit(3, 7, "<c/>"), edit(7, 11, "<b/>")]);
        assert_eq!(out, "<a><c/><b/></a>");
        assert_eq!(apply(text, &[edit(0, 0, "x")]), format!("x{text}"));
        assert_eq!(apply(text, &[]), text);
    }

    #[test]
    fn wrong_spans_do_not_panic() {
        let text = "é<a/>";
        // Inside `é`, past the end, overlapping: clamped, never a panic.
        let out = apply(text, &[edit(1, 3, "x"), edit(2, 99, "y")]);
        assert!(out.starts_with('x'), "{out}");
        let _ = apply(text, &[edit(99, 100, "z")]);
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_pass() {
        let d = |start, end, title: &str| {
            Diagnostic::new("x", Severity::Error, Span::new(FileId(0), start, end), "m")
                .with_fix(Fix::safe(title, vec![edit(start, end, "r")]))
        };
        let ds = vec![d(0, 5, "a"), d(3, 8, "b"), d(8, 9, "c"), d(0, 5, "a")];
        let taken = choose(&ds, FileId(0), Mode::Safe, &[]);
        let titles: Vec<&str> = taken.iter().map(|d| fix_of(d).title.as_str()).collect();
        assert_eq!(titles, ["a", "c"]);
        // A refused fix is not taken again.
        let taken = choose(&ds, FileId(0), Mode::Safe, &[("x", "a".into())]);
        let titles: Vec<&str> = taken.iter().map(|d| fix_of(d).title.as_str()).collect();
        assert_eq!(titles, ["b", "c"]);
    }

    #[test]
    fn unsafe_fixes_only_when_asked() {
        let d = Diagnostic::new("x", Severity::Error, Span::new(FileId(0), 0, 1), "m")
            .with_fix(Fix::unsafe_("u", vec![edit(0, 1, "r")]));
        assert!(choose(std::slice::from_ref(&d), FileId(0), Mode::Safe, &[]).is_empty());
        assert_eq!(choose(&[d], FileId(0), Mode::Unsafe, &[]).len(), 1);
    }

    #[test]
    fn diff_names_the_file() {
        let d = unified_diff("a\nb\n", "a\nc\n", "x.xml");
        assert!(d.starts_with("--- a/x.xml\n+++ b/x.xml\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }
}
