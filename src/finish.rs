//! The post-check step: what a document's diagnostics go through once every
//! stage has run, in one place and one order: inline suppressions,
//! fingerprints, configured levels (and `off`), one sort, then the baseline.
//! Plain data in, plain data out: the configuration and the baseline are
//! read before the run; the session calls [`finish`] last.

use crate::baseline::Baseline;
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::source::{SourceFile, SourceMap};
use crate::xml::Parsed;
use std::path::Path;

/// What the post-check step needs of a document and the run.
pub struct Finish<'a> {
    pub sources: &'a SourceMap,
    pub parsed: &'a Parsed,
    pub config: &'a Config,
    pub baseline: Option<&'a Baseline>,
    /// The document's path as given (configuration globs match it).
    pub path: &'a Path,
    /// The document as shown (baseline entries are keyed by it).
    pub display: &'a str,
}

/// Suppressions, then fingerprints, then configured severities (and `off`),
/// then a deterministic order, then the baseline.
pub fn finish(f: &Finish<'_>, diagnostics: &mut Vec<Diagnostic>) {
    crate::suppress::apply(f.parsed, diagnostics);
    for d in diagnostics.iter_mut() {
        if d.fingerprint.is_none() {
            d.fingerprint = Some(crate::baseline::location_key(f.sources, f.parsed, d));
        }
    }
    diagnostics.retain_mut(|d| match f.config.level(d.rule, f.path) {
        None => true,
        Some(l) => match l.severity() {
            None => false,
            Some(s) => {
                d.severity = s;
                true
            }
        },
    });
    sort(f.sources, f.parsed, diagnostics);
    if let Some(baseline) = f.baseline {
        baseline.filter(f.display, diagnostics);
    }
}

/// Diagnostics in the document first, then those in other files by path;
/// within a file by line, column, rule and message. File ids depend on which
/// thread loaded a shared file first, so they are not used.
///
/// Within one file, line and column follow the byte offset (clamped to the
/// text and moved back to a character boundary, as [`SourceFile::line_col`]
/// takes it), one for one: offsets are compared instead, and positions are
/// only counted for two files shown under the same path. The sort is stable.
fn sort(sources: &SourceMap, parsed: &Parsed, diagnostics: &mut [Diagnostic]) {
    if diagnostics.len() < 2 {
        return;
    }
    /// Where a diagnostic is: outside the document or not, its file (an index
    /// in `files`, none when the file is unknown) and the offset.
    struct Place {
        outside: bool,
        file: Option<usize>,
        offset: usize,
    }
    let mut files: Vec<(crate::source::FileId, std::sync::Arc<SourceFile>)> = Vec::new();
    let mut places: Vec<Place> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics.iter() {
        let s = d.primary.span;
        let file = match files.iter().position(|(id, _)| *id == s.file) {
            Some(k) => Some(k),
            None => sources.get(s.file).map(|f| {
                files.push((s.file, f));
                files.len() - 1
            }),
        };
        let offset = match file.and_then(|k| files.get(k)) {
            Some((_, f)) => f.char_floor(s.start as usize),
            None => 0,
        };
        places.push(Place {
            outside: s.file != parsed.file,
            file,
            offset,
        });
    }
    let file = |p: &Place| p.file.and_then(|k| files.get(k)).map(|(_, f)| f);
    let mut order: Vec<usize> = (0..diagnostics.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (pa, pb) = (&places[a], &places[b]);
        let (fa, fb) = (file(pa), file(pb));
        pa.outside
            .cmp(&pb.outside)
            .then_with(|| match (fa, fb) {
                (Some(_), Some(_)) if pa.file == pb.file => pa.offset.cmp(&pb.offset),
                (Some(fa), Some(fb)) => fa
                    .display
                    .cmp(&fb.display)
                    .then_with(|| fa.line_col(pa.offset).cmp(&fb.line_col(pb.offset))),
                _ => fa.is_some().cmp(&fb.is_some()),
            })
            .then_with(|| diagnostics[a].rule.cmp(diagnostics[b].rule))
            .then_with(|| diagnostics[a].message.cmp(&diagnostics[b].message))
            .then(a.cmp(&b))
    });
    // Put each diagnostic in its place (as `sort_by_cached_key` does).
    for i in 0..order.len() {
        let mut k = order[i];
        while k < i {
            k = order[k];
        }
        order[i] = k;
        diagnostics.swap(i, k);
    }
}
