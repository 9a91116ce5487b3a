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
    ($(#[doc = $doc:literal])* $name:ident { id: $id:literal, severity: $sev:ident, summary: $summary:literal $(,)? }) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const INFO: $crate::diag::RuleInfo = $crate::diag::RuleInfo {
                id: $id,
                severity: $crate::diag::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
            };
        }
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
