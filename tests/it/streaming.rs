//! `Session::check_each`, the streaming entry point: the same reports and
//! output as `check_all`, in input order, whatever the batch size, with
//! documents released once reported.

use std::path::{Path, PathBuf};
use xeplint::check::{Input, Options, Session};
use xeplint::diag::FileReport;
use xeplint::report;
use xeplint::source::Sources;
use xeplint::walk::{Walk, collect_inputs};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every output that needs the sources, for one report.
fn render(r: &FileReport, sources: &Sources) -> String {
    let mut out = String::new();
    report::short::render_report(r, sources, &mut out);
    report::github::render_report(r, sources, &mut out);
    report::human::render_report(r, sources, &report::human::handler(false), &mut out);
    let mut json = report::json::Builder::new();
    json.add(r, sources);
    out.push_str(&report::json::to_text(&json.finish()));
    let mut sarif = report::sarif::Builder::new();
    sarif.add(r, sources);
    out.push_str(&report::sarif::to_text(&sarif.finish()));
    out
}

/// What `check_all` gives: every report rendered with every text still held.
fn expected(inputs: &[Input]) -> Vec<String> {
    let session = Session::new(Options::default());
    let reports = session.check_all(inputs);
    let sources = session.snapshot();
    reports.iter().map(|r| render(r, &sources)).collect()
}

fn streamed(inputs: &[Input], batch: usize) -> (Vec<String>, Session) {
    let session = Session::new(Options::default());
    let mut out = Vec::new();
    session.check_each(inputs.to_vec(), batch, render, |r, text| {
        assert_eq!(r.display, inputs[out.len()].display, "input order");
        out.push(text);
    });
    (out, session)
}

fn fixture_inputs() -> Vec<Input> {
    let (inputs, errors) = collect_inputs(&[fixtures()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(inputs.len() > 50, "the fixtures: {}", inputs.len());
    inputs
}

#[test]
fn same_output_as_check_all_whatever_the_batch() {
    let inputs = fixture_inputs();
    let want = expected(&inputs);
    for batch in [1, 2, 7, 64, 1000] {
        let (got, session) = streamed(&inputs, batch);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "batch {batch}, input {i}: {}", inputs[i].display);
        }
        // No document is held any more; only files of declarations may be.
        let documents: Vec<&Path> = inputs.iter().map(|i| i.path.as_path()).collect();
        for (_, f) in session.snapshot().iter() {
            assert!(
                !documents.contains(&f.path.as_path()),
                "batch {batch}: {} is still held",
                f.display
            );
        }
    }
}

/// Folders visited in turn, again and again: entity files and DTDs are
/// forgotten between and read again, and positions inside them stay right.
#[test]
fn external_files_read_again_report_the_same() {
    let mut inputs = fixture_inputs();
    inputs.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    let want = expected(&inputs);
    for batch in [1, 3] {
        let (got, _) = streamed(&inputs, batch);
        assert_eq!(got, want, "batch {batch}");
    }
}

#[test]
fn walk_lists_what_collect_inputs_does() {
    let paths = [
        fixtures().join("xml"),
        fixtures().join("xep-0002.xml"),
        fixtures().join("nope"),
    ];
    let (inputs, errors) = collect_inputs(&paths);
    let mut walked = Vec::new();
    let mut failed = Vec::new();
    let gate = std::sync::Arc::new(xeplint::gate::Gate::new());
    for found in paths.iter().flat_map(|p| Walk::new(p, &gate)) {
        match found {
            Ok(i) => walked.push((i.path, i.display, i.root, i.admitted)),
            Err(e) => failed.push(e),
        }
    }
    let listed: Vec<_> = inputs
        .into_iter()
        .map(|i| (i.path, i.display, i.root, i.admitted))
        .collect();
    assert_eq!(walked, listed);
    assert_eq!(failed, errors);
    assert_eq!(failed.len(), 1, "{failed:?}");
}

#[test]
fn nothing_to_check() {
    let session = Session::new(Options::default());
    let mut n = 0;
    session.check_each(Vec::new(), 4, |_, _| (), |_, ()| n += 1);
    assert_eq!(n, 0);
}
