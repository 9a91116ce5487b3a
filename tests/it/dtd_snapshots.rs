//! The validity diagnostics on `fixtures/dtd/`: one small XEP per kind of
//! validity error, each valid but for that error.
//!
//! Each fixture says what it must produce in a comment after its DOCTYPE:
//! `<!-- expect: RULE at LINE:COL; … -->` (or `RULE ×N on line L` for many
//! alike), listing every `xml-…`/`dtd-…` diagnostic, in order. The short and
//! human outputs of those diagnostics are snapshots (other rules' findings
//! are left out, so that the snapshots change only with validation).

use std::path::{Path, PathBuf};
use xeplint::check::{Input, Options, Session};
use xeplint::diag::FileReport;
use xeplint::load::Chosen;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new("fixtures/dtd");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures/dtd exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    out.sort();
    assert!(out.len() >= 15, "fixtures/dtd has only {} files", out.len());
    out
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string()
}

/// Check one fixture (shown as `dtd/NAME.xml`), keeping the validity and
/// well-formedness diagnostics.
fn check(path: &Path, options: Options) -> (Session, FileReport) {
    let session = Session::new(options);
    // As `xeplint check .` finds it from the project folder (where
    // fixtures/xep.dtd links to schemas/xep.dtd).
    let input = Input {
        display: format!("dtd/{}.xml", stem(path)),
        root: None,
        admitted: None,
        error: None,
        ..Input::file(path)
    };
    let mut report = session.check(&input);
    report
        .diagnostics
        .retain(|d| d.rule.starts_with("dtd-") || d.rule.starts_with("xml-"));
    (session, report)
}

fn short(session: &Session, report: FileReport) -> String {
    xeplint::report::short::render(&[report], &session.snapshot())
}

/// The `expect:` comment of a fixture, as `RULE at L:C` items.
fn expectations(text: &str) -> Vec<String> {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("<!-- expect: "))
        .expect("an expect comment");
    let body = line.strip_suffix("-->").unwrap_or(line).trim();
    body.split("; ").map(str::to_string).collect()
}

/// What was found, in the same notation.
fn found(session: &Session, report: &FileReport) -> Vec<String> {
    let sources = session.snapshot();
    let items: Vec<(String, usize, usize)> = report
        .diagnostics
        .iter()
        .map(|d| {
            let lc = sources.line_col(d.primary.span.file, d.primary.span.start as usize);
            (d.rule.to_string(), lc.line, lc.column)
        })
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let (rule, line, col) = &items[i];
        let run = items[i..]
            .iter()
            .take_while(|(r, l, _)| r == rule && l == line)
            .count();
        if run > 3 {
            out.push(format!("{rule} ×{run} on line {line}"));
            i += run;
        } else {
            out.push(format!("{rule} at {line}:{col}"));
            i += 1;
        }
    }
    out
}

#[test]
fn every_fixture_gives_what_it_expects() {
    let mut problems = Vec::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let (session, report) = check(&path, Options::default());
        let want = expectations(&text);
        let got = found(&session, &report);
        if want != got {
            problems.push(format!(
                "{}: expected {want:?}, found {got:?}",
                path.display()
            ));
        }
        // The rule a fixture is named after is among what it gives.
        let named = stem(&path);
        if !got
            .iter()
            .any(|g| named.starts_with(g.split(' ').next().unwrap_or("")))
        {
            problems.push(format!("{}: {named} not reported", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_validity_rule_has_a_fixture() {
    let names: Vec<String> = fixtures().iter().map(|p| stem(p)).collect();
    // dtd-unreadable needs a --dtd that does not exist: see below;
    // dtd-limit a DTD too large for a fixture: see tests/it/security.rs.
    for r in xeplint::dtd::rules::RULES {
        if r.id == "dtd-unreadable" || r.id == "dtd-limit" {
            continue;
        }
        assert!(
            names.iter().any(|n| n.starts_with(r.id)),
            "no fixture for {}",
            r.id
        );
    }
}

#[test]
fn short_output() {
    for path in fixtures() {
        let (session, report) = check(&path, Options::default());
        insta::assert_snapshot!(format!("short-{}", stem(&path)), short(&session, report));
    }
}

#[test]
fn human_output() {
    for path in fixtures() {
        if stem(&path) == "dtd-too-many-errors" {
            continue; // a hundred times the same snippet
        }
        let (session, report) = check(&path, Options::default());
        let out = xeplint::report::human::render(&[report], &session.snapshot(), false);
        assert!(!out.contains("/work/") && !out.contains("/home/"), "{out}");
        insta::assert_snapshot!(format!("human-{}", stem(&path)), out);
    }
}

#[test]
fn dtd_option_replaces_a_missing_dtd() {
    let path = Path::new("fixtures/dtd/dtd-bundled.xml");
    let options = Options {
        dtd: Some(Chosen::new("fixtures/xep.dtd", "--dtd")),
        ..Options::default()
    };
    let (session, report) = check(path, options);
    assert_eq!(short(&session, report), "");
}

#[test]
fn unreadable_dtd_option() {
    let path = Path::new("fixtures/dtd/dtd-content.xml");
    let options = Options {
        dtd: Some(Chosen::new("fixtures/dtd/no-such.dtd", "--dtd")),
        ..Options::default()
    };
    let (session, report) = check(path, options);
    let out = short(&session, report);
    insta::assert_snapshot!("short-dtd-unreadable", out);
    // Not validated at all: the fixture's own error is not reported.
    assert!(!out.contains("[dtd-content]"), "{out}");
}
