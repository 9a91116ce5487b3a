//! `--format human`: source snippets drawn by miette, with the primary label,
//! secondary labels in the same file and help; notes, and labels pointing
//! into other files (an entity file, the DTD), follow as footer lines:
//!
//! ```text
//!   note: `&LEGALNOTICE;` is defined here (xep.ent:73:9)
//! ```

use super::Location;
use crate::check::FileReport;
use crate::diag::{Diagnostic, Severity};
use crate::source::{FileId, Sources, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt::{self, Write};
use std::sync::Arc;

/// Width used to wrap messages and help.
pub const WIDTH: usize = 100;

/// A named text whose columns count characters, as xeplint's positions do
/// (miette's own count bytes, which differs on lines with non-ASCII text).
struct Source {
    name: String,
    text: Arc<String>,
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let start = inner.span().offset().min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |l| l.chars().count());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// One diagnostic as miette wants it.
struct Report {
    rule: &'static str,
    message: String,
    severity: miette::Severity,
    source: Option<Source>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A span clamped to the text and snapped to character boundaries, so miette
/// never sees an offset it cannot slice at.
fn clamp(text: &str, span: Span) -> SourceSpan {
    let snap = |mut o: usize| {
        o = o.min(text.len());
        while !text.is_char_boundary(o) {
            o -= 1;
        }
        o
    };
    let start = snap(span.start as usize);
    let end = snap(span.end as usize).max(start);
    SourceSpan::new(start.into(), end - start)
}

fn label_text(message: &str) -> Option<String> {
    (!message.is_empty()).then(|| message.to_string())
}

fn place(sources: &Sources, span: Span) -> String {
    let l = Location::of(sources, span);
    format!("{}:{}:{}", l.file, l.line, l.column)
}

/// Render one diagnostic (without a trailing blank line).
pub fn render_diagnostic(
    d: &Diagnostic,
    sources: &Sources,
    handler: &GraphicalReportHandler,
) -> String {
    let file: FileId = d.primary.span.file;
    let src = sources.get(file);
    let mut labels = Vec::new();
    let mut footer = Vec::new();
    if let Some(src) = src {
        labels.push(LabeledSpan::new_primary_with_span(
            label_text(&d.primary.message),
            clamp(&src.text, d.primary.span),
        ));
    }
    for l in &d.secondary {
        match src {
            Some(src) if l.span.file == file => labels.push(LabeledSpan::new_with_span(
                label_text(&l.message),
                clamp(&src.text, l.span),
            )),
            _ => footer.push(format!(
                "note: {} ({})",
                if l.message.is_empty() {
                    "see"
                } else {
                    &l.message
                },
                place(sources, l.span)
            )),
        }
    }
    for n in &d.notes {
        footer.push(match n.span {
            Some(s) => format!("note: {} ({})", n.message, place(sources, s)),
            None => format!("note: {}", n.message),
        });
    }
    let report = Report {
        rule: d.rule,
        message: d.message.clone(),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        source: src.map(|s| Source {
            name: s.display.clone(),
            text: s.text.clone(),
        }),
        labels,
        help: d.help.clone(),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Never lose a finding: fall back to the one-line form.
        let l = Location::of(sources, d.primary.span);
        out = format!(
            "{}:{}:{}: {}[{}]: {}\n",
            l.file, l.line, l.column, d.severity, d.rule, d.message
        );
    }
    if src.is_none() {
        let _ = writeln!(out, "  at {}", place(sources, d.primary.span));
    }
    for line in footer {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// The miette handler: colours only when asked.
pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
}

/// Every report, each diagnostic followed by a blank line. The summary line
/// is left to the caller.
pub fn render(reports: &[FileReport], sources: &Sources, color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
    for r in reports {
        render_report(r, sources, &handler, &mut out);
    }
    out
}

/// One report, each diagnostic followed by a blank line, appended to `out`.
pub fn render_report(
    r: &FileReport,
    sources: &Sources,
    handler: &GraphicalReportHandler,
    out: &mut String,
) {
    if let Some(e) = &r.read_error {
        let _ = writeln!(out, "error[io]: cannot read {}: {e}\n", r.display);
    }
    for d in &r.diagnostics {
        out.push_str(&render_diagnostic(d, sources, handler));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap};

    fn render_in(text: &str, spans: &[(usize, usize)]) -> String {
        let map = SourceMap::new();
        let f = map.add(SourceFile::new(
            "t.xml".into(),
            "t.xml".into(),
            Arc::new(text.into()),
        ));
        let other = map.add(SourceFile::new(
            "xep.ent".into(),
            "xep.ent".into(),
            Arc::new("<!ENTITY a 'b'>\n".into()),
        ));
        let sources = map.snapshot();
        let mut out = String::new();
        for &(s, e) in spans {
            let d = Diagnostic::error("r", Span::new(f, s, e), "m")
                .label("here")
                .secondary(Span::new(f, 0, 1), "start")
                .secondary(Span::new(other, 9, 10), "in the entity file")
                .note_at(Span::new(other, 9, 10), "`&a;` is defined here")
                .help("fix it");
            out.push_str(&render_diagnostic(&d, &sources, &handler(false)));
        }
        out
    }

    #[test]
    fn never_panics_at_edges() {
        for text in ["", "a", "a\n", "é\n", "ab\r\n", "\n\n"] {
            let n = text.len();
            let spans = [(0, 0), (n, n), (0, n), (n, n + 5), (1, 1), (n + 9, n + 99)];
            let out = render_in(text, &spans);
            assert!(out.contains("m"), "{out}");
        }
    }

    #[test]
    fn other_files_become_notes() {
        let out = render_in("<a>\n&a;\n</a>\n", &[(4, 7)]);
        assert!(
            out.contains("note: `&a;` is defined here (xep.ent:1:10)"),
            "{out}"
        );
        assert!(out.contains("note: in the entity file (xep.ent:1:10)"));
        assert!(out.contains("help: fix it"));
        assert!(out.contains("[t.xml:2:1]"), "{out}");
    }

    #[test]
    fn header_column_counts_characters() {
        let out = render_in("<a>\n<p>ünï &x;</p>\n</a>\n", &[(13, 16)]);
        assert!(out.contains("[t.xml:2:8]"), "{out}");
    }
}
