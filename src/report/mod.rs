//! Output formats: pure functions of the reports and the sources.
//!
//! Each format can also be written a document at a time, so a run need not
//! keep every document's text until the end: `human`, `short` and `github`
//! render one report to text (`render_report`); `json` and `sarif`, single
//! documents, collect records whose positions are already resolved
//! (`json::Builder`, `sarif::Builder`) and serialize them at the end.
//!
//! - [`human`]: miette snippets with labels, help and notes, then a summary
//! - [`short`]: `path:line:column: severity[rule]: message`
//! - [`json`]: one document per run (schema: `docs/json-schema.json`)
//! - [`sarif`]: SARIF 2.1.0, for code scanning
//! - [`github`]: GitHub Actions workflow commands (annotations)

pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;

use crate::diag::FileReport;
use crate::diag::Severity;
use crate::source::{Sources, Span};

/// Where a span is, in every unit an output format may want. Lines and
/// columns are 1-based, columns count characters; the end is exclusive (the
/// position just after the span), so a zero-width span has end = start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The file as displayed (documents: as given; entity files, DTDs: their path).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets in the file.
    pub start: usize,
    pub end: usize,
}

impl Location {
    pub fn of(sources: &Sources, span: Span) -> Location {
        let start = sources.line_col(span.file, span.start as usize);
        let end = sources.line_col(span.file, span.end as usize);
        Location {
            file: sources.display(span.file).to_string(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            start: span.start as usize,
            end: span.end as usize,
        }
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Files that could not be read.
    pub unreadable: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.add(r);
        }
        s
    }

    /// Count one more document.
    pub fn add(&mut self, report: &FileReport) {
        self.files += 1;
        self.errors += report.count(Severity::Error);
        self.warnings += report.count(Severity::Warning);
        self.infos += report.count(Severity::Info);
        self.unreadable += usize::from(report.read_error.is_some());
    }

    /// `checked 721 files: 3 errors, 12 warnings`
    pub fn line(&self) -> String {
        fn plural(n: usize, one: &str, many: &str) -> String {
            format!("{n} {}", if n == 1 { one } else { many })
        }
        let mut parts = vec![
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
        ];
        if self.infos > 0 {
            parts.push(plural(self.infos, "info", "infos"));
        }
        if self.unreadable > 0 {
            parts.push(format!("{} unreadable", self.unreadable));
        }
        format!(
            "checked {}: {}",
            plural(self.files, "file", "files"),
            parts.join(", ")
        )
    }
}
