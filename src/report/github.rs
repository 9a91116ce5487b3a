//! `--format github`: GitHub Actions workflow commands, one per finding,
//! which GitHub shows as annotations on the pull request's diff:
//!
//! ```text
//! ::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::MESSAGE
//! ```
//!
//! `warning` findings become `::warning`, `info` findings `::notice`.

use super::Location;
use super::escape::text as esc;
use crate::diag::FileReport;
use crate::diag::Severity;
use crate::source::Sources;
use std::fmt::Write;

/// Escape the message part of a workflow command. Text from documents and
/// file names is escaped first ([`super::escape`]); the line breaks left are
/// xeplint's own, which GitHub shows as line breaks in the annotation.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=…`, `title=…`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(reports: &[FileReport], sources: &Sources) -> String {
    let mut out = String::new();
    for r in reports {
        render_report(r, sources, &mut out);
    }
    out
}

/// The commands of one report, appended to `out`.
pub fn render_report(r: &FileReport, sources: &Sources, out: &mut String) {
    if let Some(e) = &r.read_error {
        let _ = writeln!(
            out,
            "::error file={},title=io::{}",
            escape_property(&esc(&r.display)),
            escape_data(&format!("cannot read: {}", esc(e)))
        );
    }
    for d in &r.diagnostics {
        let at = Location::of(sources, d.primary.span);
        let mut message = esc(&d.message).into_owned();
        if !d.primary.message.is_empty() {
            let _ = write!(message, "\n{}", esc(&d.primary.message));
        }
        if let Some(help) = &d.help {
            let _ = write!(message, "\nhelp: {}", esc(help));
        }
        for l in &d.secondary {
            if l.span.file != d.primary.span.file {
                let at = Location::of(sources, l.span);
                let _ = write!(
                    message,
                    "\nnote: {} ({}:{}:{})",
                    esc(&l.message),
                    esc(&at.file),
                    at.line,
                    at.column
                );
            }
        }
        for n in &d.notes {
            let _ = write!(message, "\nnote: {}", esc(&n.message));
            if let Some(s) = n.span {
                let l = Location::of(sources, s);
                let _ = write!(message, " ({}:{}:{})", esc(&l.file), l.line, l.column);
            }
        }
        if let Some(f) = &d.fix {
            let _ = write!(
                message,
                "\nfix available ({}): {}",
                f.applicability.as_str(),
                esc(&f.title)
            );
        }
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(d.severity),
            escape_property(&esc(&at.file)),
            at.line,
            at.column,
            at.end_line,
            at.end_column,
            escape_property(d.rule),
            escape_data(&message)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_does() {
        assert_eq!(escape_data("100% a:b,c\r\nd"), "100%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
