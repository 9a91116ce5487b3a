//! The XEP rules against `fixtures/rules/<rule-id>/*.xml`.
//!
//! Each fixture declares, in comments right after its DOCTYPE, what the XEP
//! rules must report on it:
//!
//! ```text
//! <!-- expect: RULE SEVERITY at LINE:COL -->
//! <!-- expect: nothing -->
//! ```
//!
//! The tests check that the XEP-rule diagnostics are exactly those (as a
//! multiset: the same finding twice must be expected twice), that the fixtures
//! are otherwise well-formed and valid, that every XEP rule has a fixture that
//! triggers it, and that the valid fixtures (`fixtures/*.xml`,
//! `fixtures/inbox/*.xml`) draw no error and no warning. Each fixture's output
//! is also kept as an insta snapshot: the short format, with each
//! diagnostic's labels, help and notes below it.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use xeplint::check::{Input, Options, Session};
use xeplint::diag::FileReport;
use xeplint::diag::{Diagnostic, Severity};
use xeplint::source::{Sources, Span};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Whether a rule id belongs to the XEP rules (not well-formedness, validity
/// or suppression bookkeeping).
fn is_xep_rule(id: &str) -> bool {
    !id.starts_with("xml-")
        && !id.starts_with("dtd-")
        && !id.ends_with("-suppression")
        && !xeplint::rules::notices::RULES.iter().any(|r| r.id == id)
}

/// Every XEP rule id in the registry, but the change rules: they need a
/// history, and `tests/it/change.rs` runs their fixtures (`fixtures/change/`).
fn xep_rule_ids() -> Vec<&'static str> {
    xeplint::rules::registry()
        .into_iter()
        .map(|r| r.id)
        .filter(|id| is_xep_rule(id))
        .filter(|id| {
            !xeplint::rules::CHANGE_RULES
                .iter()
                .any(|r| r.info().id == *id)
        })
        .collect()
}

/// `*.xml` files under `dir`, recursively, sorted.
fn xml_files(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive {
                out.extend(xml_files(&p, true));
            }
        } else if p.extension().is_some_and(|e| e == "xml") {
            out.push(p);
        }
    }
    out
}

/// One diagnostic as the expectations name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    rule: String,
    severity: Severity,
    /// `LINE:COL` in the fixture, or `FILE:LINE:COL` when the diagnostic
    /// points into another file (`entity-title` reports in xep.ent).
    at: String,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} at {}", self.rule, self.severity, self.at)
    }
}

/// The expectations a fixture declares, sorted (empty for `expect: nothing`).
fn expectations(path: &Path, text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut nothing = false;
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix("<!-- expect:") else {
            continue;
        };
        let where_ = format!("{}:{}", path.display(), i + 1);
        let body = rest
            .strip_suffix("-->")
            .unwrap_or_else(|| panic!("{where_}: an expect comment must end on its line"))
            .trim();
        if body == "nothing" {
            nothing = true;
            continue;
        }
        let words: Vec<&str> = body.split_whitespace().collect();
        let [rule, severity, "at", at] = words[..] else {
            panic!(
                "{where_}: expected `<!-- expect: RULE SEVERITY at LINE:COL -->`, found {line:?}"
            );
        };
        let severity = Severity::parse(severity)
            .unwrap_or_else(|| panic!("{where_}: unknown severity {severity:?}"));
        // `LINE:COL` in the fixture, or `FILE:LINE:COL` in another file
        // (`rules/entity-title/xep.ent:12:40`, relative to `fixtures/`).
        let mut parts = at.rsplitn(3, ':');
        let (c, l) = (parts.next(), parts.next());
        let valid_at = l.is_some_and(|l| l.parse::<usize>().is_ok())
            && c.is_some_and(|c| c.parse::<usize>().is_ok());
        assert!(valid_at, "{where_}: position {at:?} is not [FILE:]LINE:COL");
        assert!(
            is_xep_rule(rule) && xeplint::rules::lookup(rule).is_some(),
            "{where_}: {rule:?} is not an XEP rule id"
        );
        out.push(Found {
            rule: rule.to_string(),
            severity,
            at: at.to_string(),
        });
    }
    let has_findings = !out.is_empty();
    assert!(
        nothing != has_findings,
        "{}: declare either `<!-- expect: nothing -->` or one or more `<!-- expect: RULE SEVERITY at LINE:COL -->`",
        path.display()
    );
    out.sort();
    out
}

/// `fixtures/rules/x/y.xml` shown as `rules/x/y.xml`.
fn display_of(path: &Path) -> String {
    path.strip_prefix(fixtures_dir())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A file's display name, relative to `fixtures/` when it lies inside.
fn shown_file(sources: &Sources, span: Span) -> String {
    let display = sources.display(span.file);
    let fixtures = fixtures_dir();
    let p = Path::new(display);
    for base in [
        fixtures.clone(),
        fixtures.canonicalize().unwrap_or(fixtures),
    ] {
        if let Ok(rel) = p.strip_prefix(&base) {
            return rel.to_string_lossy().replace('\\', "/");
        }
    }
    display.to_string()
}

fn position(sources: &Sources, span: Span) -> String {
    let lc = sources.line_col(span.file, span.start as usize);
    format!("{}:{}", lc.line, lc.column)
}

/// What checking one fixture gave.
struct Checked {
    path: PathBuf,
    display: String,
    report: FileReport,
    sources: Sources,
}

impl Checked {
    fn xep_findings(&self) -> Vec<Found> {
        let mut out: Vec<Found> = self
            .report
            .diagnostics
            .iter()
            .filter(|d| is_xep_rule(d.rule))
            .map(|d| {
                let s = d.primary.span;
                let file = shown_file(&self.sources, s);
                let pos = position(&self.sources, s);
                Found {
                    rule: d.rule.to_string(),
                    severity: d.severity,
                    at: if file == self.display {
                        pos
                    } else {
                        format!("{file}:{pos}")
                    },
                }
            })
            .collect();
        out.sort();
        out
    }

    /// The short output, each line followed by the diagnostic's labels, help
    /// and notes, indented.
    fn detailed(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.report.read_error {
            out.push_str(&format!("cannot read: {e}\n"));
        }
        for d in &self.report.diagnostics {
            let one = FileReport {
                display: self.report.display.clone(),
                diagnostics: vec![d.clone()],
                read_error: None,
            };
            out.push_str(&xeplint::report::short::render(&[one], &self.sources));
            out.push_str(&details(d, &self.sources, &self.display));
        }
        if out.is_empty() {
            out.push_str("(no diagnostics)\n");
        }
        // Notes name other documents by path: shown from the repository's
        // root, wherever the checkout is.
        out.replace(concat!(env!("CARGO_MANIFEST_DIR"), "/"), "")
    }
}

fn details(d: &Diagnostic, sources: &Sources, display: &str) -> String {
    let place = |span: Span| {
        let file = shown_file(sources, span);
        let pos = position(sources, span);
        if file == display {
            pos
        } else {
            format!("{file}:{pos}")
        }
    };
    let mut out = String::new();
    if !d.primary.message.is_empty() {
        out.push_str(&format!("    label: {}\n", d.primary.message));
    }
    for l in &d.secondary {
        out.push_str(&format!("    also at {}: {}\n", place(l.span), l.message));
    }
    if let Some(h) = &d.help {
        out.push_str(&format!("    help: {h}\n"));
    }
    for n in &d.notes {
        match n.span {
            Some(s) => out.push_str(&format!("    note at {}: {}\n", place(s), n.message)),
            None => out.push_str(&format!("    note: {}\n", n.message)),
        }
    }
    out
}

fn check(session: &Session, path: &Path) -> Checked {
    let display = display_of(path);
    let report = session.check(&Input {
        path: path.to_path_buf(),
        display: display.clone(),
        root: None,
        admitted: None,
        error: None,
        unnamed: false,
        bytes: None,
    });
    Checked {
        path: path.to_path_buf(),
        display,
        report,
        sources: session.snapshot(),
    }
}

fn rule_fixtures() -> Vec<PathBuf> {
    let files = xml_files(&fixtures_dir().join("rules"), true);
    assert!(!files.is_empty(), "no fixtures under fixtures/rules");
    files
}

/// The "today" the rule fixtures are checked on: fixed, so that a snapshot
/// of a date rule (`deferral-due`) does not change with the calendar.
const TODAY: xeplint::values::Date = xeplint::values::Date {
    year: 2026,
    month: 12,
    day: 3,
};

fn fixture_session() -> Session {
    Session::new(Options {
        today: Some(TODAY),
        ..Options::default()
    })
}

fn check_rule_fixtures() -> Vec<Checked> {
    let session = fixture_session();
    rule_fixtures().iter().map(|p| check(&session, p)).collect()
}

/// The rule folder a fixture lives in (`fixtures/rules/<rule>/file.xml`).
fn folder_rule(path: &Path) -> String {
    let rel = path
        .strip_prefix(fixtures_dir().join("rules"))
        .expect("a fixture under fixtures/rules");
    let mut parts = rel.components();
    let first = parts
        .next()
        .expect("a folder")
        .as_os_str()
        .to_string_lossy();
    assert!(
        parts.next().is_some() && parts.next().is_none(),
        "{}: fixtures live exactly one folder deep, in fixtures/rules/<rule-id>/",
        path.display()
    );
    first.into_owned()
}

#[test]
fn fixtures_report_what_they_declare() {
    let mut failures = Vec::new();
    for c in check_rule_fixtures() {
        assert!(
            c.report.read_error.is_none(),
            "{}: {:?}",
            c.display,
            c.report.read_error
        );
        let text = std::fs::read_to_string(&c.path).expect("fixture text");
        let want = expectations(&c.path, &text);
        let got = c.xep_findings();
        if want != got {
            let missing: Vec<String> = multiset_minus(&want, &got);
            let extra: Vec<String> = multiset_minus(&got, &want);
            failures.push(format!(
                "{}:\n  expected but not reported: {missing:?}\n  reported but not expected: {extra:?}\n  output:\n{}",
                c.display,
                indent(&c.detailed(), "    ")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn multiset_minus(a: &[Found], b: &[Found]) -> Vec<String> {
    let mut rest: Vec<&Found> = b.iter().collect();
    let mut out = Vec::new();
    for x in a {
        match rest.iter().position(|y| *y == x) {
            Some(i) => {
                rest.remove(i);
            }
            None => out.push(x.to_string()),
        }
    }
    out
}

fn indent(s: &str, by: &str) -> String {
    s.lines().map(|l| format!("{by}{l}\n")).collect()
}

#[test]
fn fixtures_are_otherwise_well_formed_and_valid() {
    let mut failures = Vec::new();
    for c in check_rule_fixtures() {
        for d in c.report.diagnostics.iter().filter(|d| !is_xep_rule(d.rule)) {
            failures.push(format!(
                "{}:{}: {}[{}]: {}",
                c.display,
                position(&c.sources, d.primary.span),
                d.severity,
                d.rule,
                d.message
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "rule fixtures must be well-formed, valid XEPs apart from the rule they show:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_xep_rule_has_a_failing_fixture() {
    let known: BTreeSet<&str> = xep_rule_ids().into_iter().collect();
    let mut triggered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in check_rule_fixtures() {
        let folder = folder_rule(&c.path);
        assert!(
            known.contains(folder.as_str()),
            "fixtures/rules/{folder}/ is not named after an XEP rule"
        );
        if c.xep_findings().iter().any(|f| f.rule == folder) {
            triggered.entry(folder).or_default().push(c.display.clone());
        }
    }
    let missing: Vec<&str> = known
        .iter()
        .copied()
        .filter(|id| !triggered.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "XEP rules without a fixture in fixtures/rules/<rule-id>/ that triggers them: {}",
        missing.join(", ")
    );
}

#[test]
fn valid_fixtures_draw_no_error_or_warning() {
    let session = fixture_session();
    let dir = fixtures_dir();
    let mut files = xml_files(&dir, false);
    files.extend(xml_files(&dir.join("inbox"), false));
    assert!(
        files.len() >= 5,
        "expected the valid fixtures, found {files:?}"
    );
    let mut failures = Vec::new();
    for path in &files {
        let c = check(&session, path);
        assert!(c.report.read_error.is_none(), "{}", c.display);
        for d in &c.report.diagnostics {
            if d.severity >= Severity::Warning {
                failures.push(format!(
                    "{}:{}: {}[{}]: {}",
                    c.display,
                    position(&c.sources, d.primary.span),
                    d.severity,
                    d.rule,
                    d.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The snapshot name of a fixture: `<rule>__<file stem>`.
fn snapshot_name(path: &Path) -> String {
    let stem = path.file_stem().expect("a file name").to_string_lossy();
    format!("{}__{stem}", folder_rule(path))
}

#[test]
fn snapshots() {
    for c in check_rule_fixtures() {
        insta::with_settings!({ description => c.display.clone(), omit_expression => true }, {
            insta::assert_snapshot!(snapshot_name(&c.path), c.detailed());
        });
    }
}

#[test]
fn every_snapshot_has_a_fixture() {
    let names: BTreeSet<String> = rule_fixtures().iter().map(|p| snapshot_name(p)).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // no snapshots written yet
    };
    let mut orphans = Vec::new();
    for e in entries {
        let name = e.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_prefix("it__rules__")
            .and_then(|n| n.strip_suffix(".snap"))
            && !names.contains(n)
        {
            orphans.push(name.into_owned());
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a fixture (delete them): {orphans:?}"
    );
}

/// The reference tool agrees that every rule fixture is valid, when it is
/// installed.
#[test]
fn fixtures_pass_xmllint() {
    let probe = std::process::Command::new("xmllint")
        .arg("--version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::missing("xmllint");
        return;
    }
    let mut failures = Vec::new();
    for path in rule_fixtures() {
        let out = std::process::Command::new("xmllint")
            .args(["--nonet", "--noout", "--noent", "--loaddtd", "--valid"])
            .arg(path.file_name().expect("a file name"))
            .current_dir(path.parent().expect("a folder"))
            .output()
            .expect("run xmllint");
        if !out.status.success() || !out.stderr.is_empty() {
            failures.push(format!(
                "{}:\n{}",
                display_of(&path),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
