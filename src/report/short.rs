//! `path:line:column: severity[rule-id]: message`, one line per diagnostic.

use crate::check::FileReport;
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
        let _ = writeln!(out, "{}:1:1: error[io]: cannot read: {e}", r.display);
    }
    for d in &r.diagnostics {
        let s = d.primary.span;
        let lc = sources.line_col(s.file, s.start as usize);
        let path = sources.display(s.file);
        // The message stays on one line whatever it holds.
        let msg = d.message.replace(['\n', '\r'], " ");
        let _ = writeln!(
            out,
            "{path}:{}:{}: {}[{}]: {msg}",
            lc.line, lc.column, d.severity, d.rule
        );
    }
}
