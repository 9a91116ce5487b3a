//! Diagnostics: what every stage emits and every output format reads.

use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; legacy.
    Info,
    /// Likely wrong, or against a SHOULD.
    Warning,
    /// The document is wrong: CI must fail.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `xeplint rules` lists and `xeplint explain` prints.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// Default severity (some rules lower it for documents in a closed status).
    pub severity: Severity,
    /// One line: what is checked.
    pub summary: &'static str,
    /// Markdown in three parts: what it checks, why it matters, an example.
    pub doc: &'static str,
    /// Whether its findings can carry a fix.
    pub fix: FixAvailability,
}

/// Whether a rule's findings carry fixes (`xeplint rules`, `xeplint explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    /// Some of its findings: where the right answer is known.
    Sometimes,
    Always,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

impl RuleInfo {
    /// A rule's entry (for the tables of `xml-…` and `dtd-…` ids).
    pub const fn new(
        id: &'static str,
        severity: Severity,
        summary: &'static str,
        doc: &'static str,
    ) -> RuleInfo {
        RuleInfo {
            id,
            severity,
            summary,
            doc,
            fix: FixAvailability::None,
        }
    }

    /// The same entry, saying its findings can carry fixes.
    pub const fn fixable(mut self, fix: FixAvailability) -> RuleInfo {
        self.fix = fix;
        self
    }

    /// "Fix: …", for rules whose findings can carry fixes.
    pub fn fix_line(&self) -> Option<&'static str> {
        match self.fix {
            FixAvailability::None => None,
            FixAvailability::Sometimes => Some(
                "Fix: available for some findings (`xeplint check --fix`, or `--diff` to see it).",
            ),
            FixAvailability::Always => {
                Some("Fix: available (`xeplint check --fix`, or `--diff` to see it).")
            }
        }
    }

    /// The documentation as Markdown: the one space a doc comment puts at the
    /// start of each line is removed.
    pub fn doc_text(&self) -> String {
        let indented = self.doc.lines().all(|l| l.is_empty() || l.starts_with(' '));
        let lines: Vec<&str> = if indented {
            self.doc
                .lines()
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect()
        } else {
            self.doc.lines().collect()
        };
        lines.join("\n").trim().to_string()
    }
}

/// Declare a rule: its doc comment becomes the text `xeplint explain` prints.
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $name:ident { id: $id:literal, severity: $sev:ident, summary: $summary:literal $(, fix: $fix:ident)? $(,)? }) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const INFO: $crate::diag::RuleInfo = $crate::diag::RuleInfo {
                id: $id,
                severity: $crate::diag::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
                fix: $crate::declare_rule!(@fix $($fix)?),
            };
        }
    };
    (@fix) => {
        $crate::diag::FixAvailability::None
    };
    (@fix $fix:ident) => {
        $crate::diag::FixAvailability::$fix
    };
}

/// A span with a message saying what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A note; it may point at a place (e.g. where an entity is defined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub message: String,
    pub span: Option<Span>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable rule id: `xml-…` for well-formedness, `dtd-…` for validity.
    pub rule: &'static str,
    pub severity: Severity,
    /// Lower case, no final period: what is wrong.
    pub message: String,
    /// The exact place, with what is there.
    pub primary: Label,
    pub secondary: Vec<Label>,
    /// How to fix it, when known.
    pub help: Option<String>,
    pub notes: Vec<Note>,
    /// A location-independent key for baselines (element path and the like).
    pub fingerprint: Option<String>,
    /// Edits that make the finding go away, when the rule knows them.
    pub fix: Option<Fix>,
}

/// How sure a fix is, in ruff's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// The result is what the author meant: `--fix` applies it.
    Safe,
    /// A good guess that a person should look at: only `--unsafe-fixes`
    /// applies it.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// One replacement: the bytes of `span` become `replacement` (an insertion
/// when the span is empty, a deletion when the replacement is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Edit {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }

    pub fn insert(at: Span, text: impl Into<String>) -> Edit {
        Edit::replace(
            Span::new(at.file, at.start as usize, at.start as usize),
            text,
        )
    }
}

/// A fix: edits in one file, none overlapping another, that make a finding go
/// away, with a title saying what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does: "move `<number>` after `<legal>`".
    pub title: String,
    pub applicability: Applicability,
    /// Sorted by position.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(
        title: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Fix {
        edits.sort_by_key(|e| (e.span.file, e.span.start, e.span.end));
        Fix {
            title: title.into(),
            applicability,
            edits,
        }
    }

    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(title, Applicability::Safe, edits)
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(title, Applicability::Unsafe, edits)
    }

    /// Whether every edit is in `file` and none overlaps the next.
    pub fn is_sound_in(&self, file: crate::source::FileId) -> bool {
        self.edits.iter().all(|e| e.span.file == file)
            && self
                .edits
                .windows(2)
                .all(|w| w[0].span.end <= w[1].span.start)
    }
}

impl Diagnostic {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            rule,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            fingerprint: None,
            fix: None,
        }
    }

    /// A finding of `rule`, at its default severity. Every stage emits
    /// through the rule's constant (`crate::xml::rules::XML_BAD_NAME`, …), so
    /// an id and its severity are written in one place.
    pub fn of(rule: &'static RuleInfo, span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(rule.id, rule.severity, span, message)
    }

    /// What the primary span points at.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            message: message.into(),
            span: None,
        });
        self
    }

    pub fn note_at(mut self, span: Span, message: impl Into<String>) -> Self {
        self.notes.push(Note {
            message: message.into(),
            span: Some(span),
        });
        self
    }

    /// Attach a fix.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Attach a fix, when there is one.
    pub fn with_fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix.or(self.fix);
        self
    }

    pub fn fingerprint(mut self, key: impl Into<String>) -> Self {
        self.fingerprint = Some(key.into());
        self
    }
}

/// What checking one document found.
#[derive(Debug)]
pub struct FileReport {
    pub display: String,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the file could not be read at all.
    pub read_error: Option<String>,
}

impl FileReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}
