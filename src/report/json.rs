//! `--format json`: one JSON document for the whole run.
//!
//! The shape is described by the JSON Schema in `docs/json-schema.json`; the
//! structs below serialize and deserialize it, so a Rust consumer can read the
//! output back with `serde_json::from_str::<JsonReport>`.

use super::{Location, Summary};
use crate::diag::FileReport;
use crate::diag::Severity;
use crate::source::Sources;
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change of the format.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonReport {
    /// Format version: [`VERSION`].
    pub version: u32,
    pub tool: Tool,
    /// Every document checked, in input order.
    pub files: Vec<FileEntry>,
    /// Every finding: by document in input order, then position, then rule.
    pub diagnostics: Vec<JsonDiagnostic>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    /// Findings in this document.
    pub diagnostics: usize,
    /// Why the document could not be read (nothing was checked).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiagnostic {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// The document being checked (`file` may be an entity file it uses).
    pub document: String,
    /// The primary position.
    #[serde(flatten)]
    pub location: Location,
    /// What is at the primary position (may be empty).
    pub label: String,
    pub help: Option<String>,
    pub notes: Vec<JsonNote>,
    pub secondary: Vec<JsonLabel>,
    /// Location-independent key used by baselines.
    pub fingerprint: Option<String>,
    /// Edits that make the finding go away, when the rule knows them.
    pub fix: Option<JsonFix>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonFix {
    pub title: String,
    pub applicability: crate::diag::Applicability,
    pub edits: Vec<JsonEdit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonEdit {
    #[serde(flatten)]
    pub location: Location,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonNote {
    pub message: String,
    /// Where the note points, if anywhere (often an entity file).
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLabel {
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
}

/// One document's part of the report, positions resolved: made where the
/// document's text is at hand ([`resolve`]), added to a [`Builder`] later.
#[derive(Debug, Clone)]
pub struct Resolved {
    file: FileEntry,
    diagnostics: Vec<JsonDiagnostic>,
}

/// Resolve one report's positions.
pub fn resolve(r: &FileReport, sources: &Sources) -> Resolved {
    Resolved {
        file: FileEntry {
            file: r.display.clone(),
            diagnostics: r.diagnostics.len(),
            error: r.read_error.clone(),
        },
        diagnostics: r
            .diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                rule: d.rule.to_string(),
                severity: d.severity,
                message: d.message.clone(),
                document: r.display.clone(),
                location: Location::of(sources, d.primary.span),
                label: d.primary.message.clone(),
                help: d.help.clone(),
                notes: d
                    .notes
                    .iter()
                    .map(|n| JsonNote {
                        message: n.message.clone(),
                        location: n.span.map(|s| Location::of(sources, s)),
                    })
                    .collect(),
                secondary: d
                    .secondary
                    .iter()
                    .map(|l| JsonLabel {
                        message: l.message.clone(),
                        location: Location::of(sources, l.span),
                    })
                    .collect(),
                fingerprint: d.fingerprint.clone(),
                fix: d.fix.as_ref().map(|f| JsonFix {
                    title: f.title.clone(),
                    applicability: f.applicability,
                    edits: f
                        .edits
                        .iter()
                        .map(|e| JsonEdit {
                            location: Location::of(sources, e.span),
                            replacement: e.replacement.clone(),
                        })
                        .collect(),
                }),
            })
            .collect(),
    }
}

/// Collects the report a document at a time, in input order. Positions are
/// resolved before a document is added, so its text may be released then.
#[derive(Debug, Default)]
pub struct Builder {
    files: Vec<FileEntry>,
    diagnostics: Vec<JsonDiagnostic>,
    summary: Summary,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Add the next document's report.
    pub fn add(&mut self, r: &FileReport, sources: &Sources) {
        self.push(r, resolve(r, sources));
    }

    /// Add the next document's report, resolved by [`resolve`].
    pub fn push(&mut self, r: &FileReport, resolved: Resolved) {
        self.summary.add(r);
        self.files.push(resolved.file);
        self.diagnostics.extend(resolved.diagnostics);
    }

    pub fn finish(self) -> JsonReport {
        JsonReport {
            version: VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            files: self.files,
            diagnostics: self.diagnostics,
            summary: self.summary,
        }
    }
}

/// The report as data.
pub fn build(reports: &[FileReport], sources: &Sources) -> JsonReport {
    let mut b = Builder::new();
    for r in reports {
        b.add(r, sources);
    }
    b.finish()
}

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(reports: &[FileReport], sources: &Sources) -> String {
    to_text(&build(reports, sources))
}

/// Pretty-printed JSON, ending with a newline.
pub fn to_text(report: &JsonReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// Write pretty-printed, ending with a newline, as [`to_text`] gives, without
/// holding the whole text.
pub fn write(report: &JsonReport, mut out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}
