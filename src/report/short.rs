//! `path:line:column: severity[rule-id]: message`, one line per diagnostic.

use super::escape;
use crate::diag::FileReport;
use crate::source::Sources;
use std::fmt::Write;

pub fn render(reports: &[FileReport], sources: &Sources) -> String {
    let mut out = String::new();
    for r in reports {
        render_report(r, sources, &mut out);
    }
    out
}

/// The lines of one report, appended to `out`.
pub fn render_report(r: &FileReport, sources: &Sources, out: &mut String) {
    if let Some(e) = &r.read_error {
        let _ = writeln!(
            out,
            "{}:1:1: error[io]: cannot read: {}",
            path(&r.display),
            escape::text(e)
        );
    }
    for d in &r.diagnostics {
        let s = d.primary.span;
        let lc = sources.line_col(s.file, s.start as usize);
        // The message stays on one line whatever it holds.
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            path(sources.display(s.file)),
            lc.line,
            lc.column,
            d.severity,
            d.rule,
            escape::text(&d.message)
        );
    }
}

/// A file as the start of a line: escaped, and led by `./` when it starts
/// with something a log reader could take for a command (`::`) or trim
/// (white space); it still names the same file.
fn path(display: &str) -> std::borrow::Cow<'_, str> {
    let shown = escape::text(display);
    if shown.starts_with([':', ' ', '\t', '-']) {
        std::borrow::Cow::Owned(format!("./{shown}"))
    } else {
        shown
    }
}
