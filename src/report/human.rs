//! `--format human`: source snippets drawn by miette, with the primary label,
//! secondary labels in the same file and help; notes, and labels pointing
//! into other files (an entity file, the DTD), follow as footer lines:
//!
//! ```text
//!   note: `&LEGALNOTICE;` is defined here (xep.ent:73:9)
//! ```
//!
//! miette is given an excerpt, not the file: the lines the labels are on
//! and one line around each, every line cut to a window around its labels
//! (no line of output is longer than [`MAX_LINE`] characters), characters
//! that could end a line or drive a terminal escaped ([`super::escape`]),
//! tabs expanded. Lines far apart are shown as separate snippets, and a
//! label spanning several lines is drawn on its first. Messages are not
//! wrapped: a wrapped line would start with text from the document.

use super::Location;
use super::escape;
use crate::diag::FileReport;
use crate::diag::{Diagnostic, Severity};
use crate::source::piece;
use crate::source::{FileId, SourceFile, Sources, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt::{self, Write};

/// Width used to lay out snippets.
pub const WIDTH: usize = 100;

/// The longest line of output, in characters.
pub const MAX_LINE: usize = 400;

/// Columns of a source line shown around its labels (as a terminal counts
/// them, and as miette lays labels out: a CJK character takes two).
const WINDOW: usize = 160;

/// Characters shown before the first label of a cut line.
const LEAD: usize = 40;

/// Lines shown above and below each labelled line (as rustc does: none).
const CONTEXT: usize = 0;

/// Labelled lines at most this many lines apart are shown in one snippet,
/// the lines between them included; farther ones in snippets of their own.
const JOIN: usize = 2;

/// One run of consecutive source lines, as shown.
struct Chunk {
    /// Where its text starts in the excerpt's own offsets.
    base: usize,
    /// The 0-based number of its first line.
    first_line: usize,
    /// The lines as shown, each followed by `\n`.
    text: String,
    /// Where each line starts in `text`.
    starts: Vec<usize>,
}

/// What miette reads: the chunks of one diagnostic, in its own offsets.
struct Excerpt {
    name: String,
    chunks: Vec<Chunk>,
    /// For each label: its 0-based column in the source line, for the
    /// snippet's heading, by the excerpt offset it starts at.
    columns: Vec<(usize, usize)>,
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let at = span.offset();
        let chunk = self
            .chunks
            .iter()
            .find(|c| at >= c.base && at <= c.base + c.text.len())
            .ok_or(MietteError::OutOfBounds)?;
        let line_of = |o: usize| {
            let rel = o.saturating_sub(chunk.base).min(chunk.text.len());
            chunk
                .starts
                .partition_point(|&s| s <= rel)
                .saturating_sub(1)
        };
        let first = line_of(at).saturating_sub(before);
        let last = (line_of(at + span.len()) + after).min(chunk.starts.len().saturating_sub(1));
        let from = chunk.starts.get(first).copied().unwrap_or(0);
        let to = chunk
            .starts
            .get(last + 1)
            .copied()
            .unwrap_or(chunk.text.len());
        let data = chunk.text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let column = self
            .columns
            .iter()
            .find(|(o, _)| *o == at)
            .map_or(0, |(_, c)| *c);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data.as_bytes(),
            SourceSpan::new((chunk.base + from).into(), data.len()),
            chunk.first_line + first,
            column,
            last + 1 - first,
        )))
    }
}

/// A label to draw: where it is in the file, and its text.
struct Mark<'a> {
    span: Span,
    text: &'a str,
    primary: bool,
}

/// Where one source character went in the excerpt.
#[derive(Clone, Copy)]
struct Placed {
    /// Its byte offset in the file.
    source: usize,
    /// Its offset in the excerpt.
    shown: usize,
}

/// A source line cut to its window and escaped: the text shown, and where
/// each character went.
struct ShownLine {
    text: String,
    placed: Vec<Placed>,
    /// The file offset just past the window.
    end: usize,
}

/// The window of `line` (a byte range of `text`) to show: about [`LEAD`]
/// characters before `anchor` (a byte offset in the line), up to [`WINDOW`]
/// characters of output.
fn shown_line(
    text: &str,
    line: std::ops::Range<usize>,
    anchor: Option<usize>,
    base: usize,
) -> ShownLine {
    let body = text.get(line.clone()).unwrap_or("");
    let mut start = 0;
    let long = body
        .chars()
        .scan(0, |w, c| {
            *w += shown_width(c);
            Some(*w)
        })
        .any(|w| w > WINDOW);
    if let Some(anchor) = anchor.filter(|_| long) {
        // A span is expected to start on a character, but the window does
        // not rely on it: inside one, it starts at that character.
        let anchor = crate::source::floor_char(body, anchor.saturating_sub(line.start));
        let before = piece(body, ..anchor);
        if before.chars().count() > LEAD {
            let back: usize = before.chars().rev().take(LEAD).map(char::len_utf8).sum();
            start = anchor - back;
        }
    }
    let mut out = ShownLine {
        text: String::new(),
        placed: Vec::new(),
        end: line.end,
    };
    if start > 0 {
        out.text.push('…');
    }
    let mut shown = 0;
    for (i, c) in piece(body, start..).char_indices() {
        if shown >= WINDOW {
            out.end = line.start + start + i;
            out.text.push('…');
            break;
        }
        out.placed.push(Placed {
            source: line.start + start + i,
            shown: base + out.text.len(),
        });
        if c == '\t' {
            out.text.push_str("    ");
        } else {
            escape::push_char(&mut out.text, c);
        }
        shown += shown_width(c);
    }
    out
}

/// The columns a source character takes once shown: a tab four, an escaped
/// character its escape, others as a terminal shows them.
fn shown_width(c: char) -> usize {
    if c == '\t' {
        4
    } else if escape::is_unsafe(c) {
        let mut s = String::new();
        escape::push_char(&mut s, c);
        s.len()
    } else {
        unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
    }
}

/// Where a file offset on a shown line lands in the excerpt: at the first
/// character at or after it, or just past the window.
fn land(line: &ShownLine, offset: usize, line_end_shown: usize) -> usize {
    line.placed
        .iter()
        .find(|p| p.source >= offset)
        .map_or(line_end_shown, |p| p.shown)
}

/// The excerpt of `file` for some labels, and each label's place in it;
/// labels that fall outside what is shown come back as footer notes.
fn excerpt(file: &SourceFile, marks: &[Mark<'_>]) -> (Excerpt, Vec<LabeledSpan>, Vec<String>) {
    let text = file.text.as_str();
    let mut footer = Vec::new();
    // Each label on the line it starts on, cut to that line.
    let lines: Vec<usize> = marks
        .iter()
        .map(|m| file.line_of(file.char_floor(m.span.start as usize)))
        .collect();
    let mut wanted: Vec<usize> = lines.clone();
    wanted.sort_unstable();
    wanted.dedup();
    // Runs of lines: each labelled line with its context, joined when close.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &l in &wanted {
        let from = l.saturating_sub(CONTEXT);
        let to = (l + CONTEXT).min(file.line_count().saturating_sub(1));
        match runs.last_mut() {
            Some(last) if from <= last.1 + JOIN + 1 => last.1 = last.1.max(to),
            _ => runs.push((from, to)),
        }
    }
    let mut ex = Excerpt {
        name: escape::text(&file.display).into_owned(),
        chunks: Vec::new(),
        columns: Vec::new(),
    };
    let mut shown_lines: Vec<(usize, ShownLine, usize)> = Vec::new();
    let mut base = 0;
    for (from, to) in runs {
        let mut chunk = Chunk {
            base,
            first_line: from,
            text: String::new(),
            starts: Vec::new(),
        };
        for l in from..=to {
            let Some(range) = file.line_range(l) else {
                break;
            };
            // The window follows the primary label, else the first.
            let anchor = marks
                .iter()
                .zip(&lines)
                .filter(|(_, ml)| **ml == l)
                .max_by_key(|(m, _)| m.primary)
                .map(|(m, _)| m.span.start as usize);
            chunk.starts.push(chunk.text.len());
            let line = shown_line(text, range, anchor, base + chunk.text.len());
            chunk.text.push_str(&line.text);
            let end_shown = base + chunk.text.len();
            chunk.text.push('\n');
            shown_lines.push((l, line, end_shown));
        }
        base += chunk.text.len() + 1;
        ex.chunks.push(chunk);
    }
    let mut labels = Vec::new();
    for (m, &l) in marks.iter().zip(&lines) {
        let Some((_, line, end_shown)) = shown_lines.iter().find(|(n, _, _)| *n == l) else {
            continue;
        };
        let start = m.span.start as usize;
        let label = (!m.text.is_empty()).then(|| clip(&escape::text(m.text), MAX_LINE / 2));
        let window_start = line.placed.first().map_or(line.end, |p| p.source);
        if start > line.end || (m.span.end as usize) < window_start {
            let at = file.line_col(start);
            footer.push(format!(
                "note: {} ({}:{}:{})",
                label.as_deref().unwrap_or("see"),
                ex.name,
                at.line,
                at.column
            ));
            continue;
        }
        let a = land(line, start, *end_shown);
        let b = land(line, (m.span.end as usize).min(line.end), *end_shown).max(a);
        ex.columns.push((a, file.line_col(start).column - 1));
        let span = SourceSpan::new(a.into(), b - a);
        labels.push(if m.primary {
            LabeledSpan::new_primary_with_span(label, span)
        } else {
            LabeledSpan::new_with_span(label, span)
        });
    }
    (ex, labels, footer)
}

/// `s` cut to at most `max` characters, with `…` where it was cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", piece(s, ..i)),
        _ => s.to_string(),
    }
}

/// One diagnostic as miette wants it.
struct Report {
    rule: &'static str,
    message: String,
    severity: miette::Severity,
    source: Option<Excerpt>,
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

/// `file:line:column` of a span, escaped.
fn place(sources: &Sources, span: Span) -> String {
    let l = Location::of(sources, span);
    format!("{}:{}:{}", escape::text(&l.file), l.line, l.column)
}

/// A line of text for the output: escaped and cut to [`MAX_LINE`].
fn line(s: &str) -> String {
    clip(&escape::text(s), MAX_LINE - 8)
}

/// Render one diagnostic (without a trailing blank line).
pub fn render_diagnostic(
    d: &Diagnostic,
    sources: &Sources,
    handler: &GraphicalReportHandler,
) -> String {
    let file: FileId = d.primary.span.file;
    let src = sources.get(file);
    let mut footer = Vec::new();
    let mut marks = Vec::new();
    if src.is_some() {
        marks.push(Mark {
            span: d.primary.span,
            text: &d.primary.message,
            primary: true,
        });
    }
    for l in &d.secondary {
        if src.is_some() && l.span.file == file {
            marks.push(Mark {
                span: l.span,
                text: &l.message,
                primary: false,
            });
        } else {
            let what = if l.message.is_empty() {
                "see"
            } else {
                &l.message
            };
            footer.push(format!("note: {} ({})", line(what), place(sources, l.span)));
        }
    }
    let (source, labels) = match src {
        Some(src) => {
            let (ex, labels, notes) = excerpt(src, &marks);
            footer.extend(notes);
            (Some(ex), labels)
        }
        None => (None, Vec::new()),
    };
    for n in &d.notes {
        footer.push(match n.span {
            Some(s) => format!("note: {} ({})", line(&n.message), place(sources, s)),
            None => format!("note: {}", line(&n.message)),
        });
    }
    if let Some(f) = &d.fix {
        let how = match f.applicability {
            crate::diag::Applicability::Safe => "safe: --fix",
            crate::diag::Applicability::Unsafe => "unsafe: --fix --unsafe-fixes",
        };
        footer.push(format!("fix: {} ({how})", line(&f.title)));
    }
    let report = Report {
        rule: d.rule,
        message: line(&d.message),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        source,
        labels,
        help: d.help.as_deref().map(line),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Never lose a finding: fall back to the one-line form.
        let l = Location::of(sources, d.primary.span);
        out = format!(
            "{}:{}:{}: {}[{}]: {}\n",
            escape::text(&l.file),
            l.line,
            l.column,
            d.severity,
            d.rule,
            line(&d.message)
        );
    }
    if src.is_none() {
        let _ = writeln!(out, "  at {}", place(sources, d.primary.span));
    }
    for note in footer {
        let _ = writeln!(out, "  {note}");
    }
    out
}

/// The miette handler: colours only when asked, lines never wrapped.
pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_wrap_lines(false)
        .with_context_lines(CONTEXT)
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
        let _ = writeln!(
            out,
            "error[io]: cannot read {}: {}\n",
            escape::text(&r.display),
            line(e)
        );
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
    use std::sync::Arc;

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
            let d = Diagnostic::new("r", Severity::Error, Span::new(f, s, e), "m")
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
