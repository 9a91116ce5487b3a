//! Well-formedness: the `fixtures/xml/` documents against the expectations
//! they declare, exact positions (characters, CRLF, entity expansions), and
//! the whole corpus against xmllint.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use xeplint::check::{Input, Session};
use xeplint::diag::Diagnostic;
use xeplint::diag::FileReport;
use xeplint::source::Sources;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// (rule, line, column) of a diagnostic's primary span.
type Found = (String, usize, usize);

fn position(sources: &Sources, d: &Diagnostic) -> (usize, usize) {
    let lc = sources.line_col(d.primary.span.file, d.primary.span.start as usize);
    (lc.line, lc.column)
}

fn xml_findings(report: &FileReport, sources: &Sources) -> BTreeSet<Found> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.rule.starts_with("xml-"))
        .map(|d| {
            let (l, c) = position(sources, d);
            (d.rule.to_string(), l, c)
        })
        .collect()
}

/// `<!-- expect: RULE at LINE:COL -->` comments of a fixture.
fn expectations(text: &str) -> Vec<(String, Found)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("<!-- expect:") {
        let rest = &text[i + "<!-- expect:".len()..];
        let Some(end) = rest.find("-->") else {
            continue;
        };
        let body = rest[..end].trim();
        let parsed = body.split_once(" at ").and_then(|(rule, pos)| {
            let (l, c) = pos.trim().split_once(':')?;
            Some((rule.trim().to_string(), l.parse().ok()?, c.parse().ok()?))
        });
        let found = parsed.unwrap_or_else(|| panic!("unreadable expectation `{body}`"));
        out.push((body.to_string(), found));
    }
    out
}

fn expected_for(text: &str) -> BTreeSet<Found> {
    expectations(text).into_iter().map(|(_, f)| f).collect()
}

fn xml_fixture_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures().join("xml"))
        .expect("fixtures/xml")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    paths.sort();
    paths
}

/// The short output of the `xml-…` findings only: other rules have their own
/// snapshots, and must not churn these.
fn short_xml_only(report: &FileReport, sources: &Sources) -> String {
    let only = FileReport {
        display: report.display.clone(),
        diagnostics: report
            .diagnostics
            .iter()
            .filter(|d| d.rule.starts_with("xml-"))
            .cloned()
            .collect(),
        read_error: report.read_error.clone(),
    };
    xeplint::report::short::render(std::slice::from_ref(&only), sources)
}

#[test]
fn xml_fixtures_report_exactly_what_they_declare() {
    let paths = xml_fixture_paths();
    assert!(paths.len() >= 15, "fixtures/xml/ looks empty");
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let text = std::fs::read_to_string(path).expect("read fixture");
        let expected = expected_for(&text);
        assert!(!expected.is_empty(), "{name} declares no expectation");
        let session = Session::new(Default::default());
        let mut input = Input::file(path);
        input.display = format!("xml/{name}");
        let report = session.check(&input);
        let sources = session.snapshot();
        assert!(
            report.read_error.is_none(),
            "{name}: {:?}",
            report.read_error
        );
        let found = xml_findings(&report, &sources);
        if found != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  found    {found:?}"
            ));
        }
        let snap = name.trim_end_matches(".xml").to_string();
        insta::assert_snapshot!(snap, short_xml_only(&report, &sources));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_fixtures_are_well_formed() {
    let dir = fixtures();
    for name in [
        "xep-0002.xml",
        "xep-0007.xml",
        "xep-0429.xml",
        "xep-1001.xml",
        "inbox/sigexample.xml",
    ] {
        let session = Session::new(Default::default());
        let report = session.check(&Input::file(dir.join(name)));
        let sources = session.snapshot();
        let found = xml_findings(&report, &sources);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

// ----- positions -----

/// Check `text` as `doc.xml` in a fresh project folder (holding `files`).
fn check_text(text: &str, files: &[(&str, &str)]) -> (FileReport, Sources) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    let path = dir.path().join("doc.xml");
    std::fs::write(&path, text).expect("write doc");
    let session = Session::new(Default::default());
    let mut input = Input::file(&path);
    input.display = "doc.xml".into();
    let report = session.check(&input);
    (report, session.snapshot())
}

fn only_xml(report: &FileReport) -> Vec<&Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.rule.starts_with("xml-"))
        .collect()
}

#[test]
fn columns_count_characters_not_bytes() {
    // "é" is 2 bytes, "€" 3, "𝄞" 4: the `<` of `</x>` is character 11, byte 19.
    let (report, sources) = check_text("<x>\n<p>éé€€𝄞 a</x>\n", &[]);
    let d = only_xml(&report);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].rule, "xml-mismatched-tag");
    assert_eq!(position(&sources, d[0]), (2, 11));
    // The span covers the whole end tag, in bytes.
    assert_eq!(sources.text(d[0].primary.span), "</x>");
}

#[test]
fn crlf_line_ends_count_once() {
    let (report, sources) = check_text("<x>\r\n<p>\r\n  a & b</p>\r\n</x>\r\n", &[]);
    let d = only_xml(&report);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].rule, "xml-bare-ampersand");
    assert_eq!(position(&sources, d[0]), (3, 5));
}

#[test]
fn invalid_character_is_reported_where_it_is() {
    let (report, sources) = check_text("<x>\n  ab\u{1}c é\u{2}</x>", &[]);
    let d = only_xml(&report);
    assert_eq!(d.len(), 1, "one report per piece of text: {d:?}");
    assert_eq!(d[0].rule, "xml-invalid-char");
    assert_eq!(position(&sources, d[0]), (2, 5));
}

#[test]
fn error_inside_an_entity_is_reported_at_the_reference() {
    let doc = "<!DOCTYPE x [\n  <!ENTITY bad \"one <b><i>two</b>\">\n]>\n<x>\n  <p>see &bad; here</p>\n</x>\n";
    let (report, sources) = check_text(doc, &[]);
    let d = only_xml(&report);
    let d = d
        .iter()
        .find(|d| d.rule == "xml-mismatched-tag")
        .unwrap_or_else(|| panic!("no mismatched tag in {d:?}"));
    // Primary: the `&bad;` reference on line 5.
    assert_eq!(position(&sources, d), (5, 10));
    assert_eq!(sources.text(d.primary.span), "&bad;");
    // Secondary: the end tag inside the entity's text (line 2).
    let inner = d.secondary.first().expect("a secondary label");
    let lc = sources.line_col(inner.span.file, inner.span.start as usize);
    assert_eq!((lc.line, lc.column), (2, 30));
    assert_eq!(sources.text(inner.span), "</b>");
    // A note names the entity and points at its declaration.
    let note = d
        .notes
        .iter()
        .find(|n| n.message.contains("&bad;"))
        .expect("a note naming the entity");
    let at = note.span.expect("the note points at the declaration");
    assert_eq!(sources.text(at), "bad");
    let lc = sources.line_col(at.file, at.start as usize);
    assert_eq!((lc.line, lc.column), (2, 12));
}

#[test]
fn error_inside_an_entity_file_names_that_file() {
    let ent = "<!-- entities -->\n<!ENTITY note \"<em>open\">\n";
    let doc =
        "<!DOCTYPE x [ <!ENTITY % ents SYSTEM 'my.ent'> %ents; ]>\n<x>\n<p>&note;</p>\n</x>\n";
    let (report, sources) = check_text(doc, &[("my.ent", ent)]);
    let d = only_xml(&report);
    let d = d
        .iter()
        .find(|d| d.rule == "xml-unclosed-tag")
        .unwrap_or_else(|| panic!("no unclosed tag in {d:?}"));
    assert_eq!(sources.display(d.primary.span.file), "doc.xml");
    assert_eq!(position(&sources, d), (3, 4));
    let note = d
        .notes
        .iter()
        .find(|n| n.message.contains("&note;"))
        .expect("a note naming the entity");
    let at = note.span.expect("the note points at the declaration");
    assert!(
        sources.display(at.file).ends_with("my.ent"),
        "{}",
        sources.display(at.file)
    );
    let lc = sources.line_col(at.file, at.start as usize);
    assert_eq!((lc.line, lc.column), (2, 10));
}

#[test]
fn nested_entities_report_the_outermost_reference() {
    let doc = "<!DOCTYPE x [\n<!ENTITY inner \"a &undefinedthing; b\">\n<!ENTITY outer \"[&inner;]\">\n]>\n<x>&outer;</x>\n";
    let (report, sources) = check_text(doc, &[]);
    let d = only_xml(&report);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].rule, "xml-undefined-entity");
    assert_eq!(position(&sources, d[0]), (5, 4));
    let names: Vec<&str> = d[0].notes.iter().map(|n| n.message.as_str()).collect();
    assert!(names.iter().any(|n| n.contains("&inner;")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("&outer;")), "{names:?}");
}

// ----- the corpus against xmllint -----

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

fn have_xmllint() -> bool {
    std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Lines of `parser error` xmllint reports for `file`, run in its folder.
fn xmllint_error_lines(file: &Path) -> BTreeSet<usize> {
    let dir = file.parent().expect("a folder");
    let name = file.file_name().expect("a name");
    let out = std::process::Command::new("xmllint")
        .args(["--nonet", "--noout", "--noent", "--loaddtd"])
        .arg(name)
        .current_dir(dir)
        .output()
        .expect("run xmllint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("{}:", name.to_string_lossy());
    stderr
        .lines()
        .filter(|l| l.contains("parser error"))
        .filter_map(|l| l.strip_prefix(&prefix)?.split(':').next()?.parse().ok())
        .collect()
}

#[test]
fn corpus_well_formedness_agrees_with_xmllint() {
    let Some(corpus) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    if !have_xmllint() {
        common::missing("xmllint");
        return;
    }
    let (inputs, errors) = xeplint::walk::collect_inputs(std::slice::from_ref(&corpus));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(inputs.len() > 100, "the corpus looks empty");

    // xmllint, one process per file, on every core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = inputs.len().div_ceil(threads);
    let xmllint: Vec<BTreeSet<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|i| xmllint_error_lines(&i.path))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("xmllint thread"))
            .collect()
    });

    let session = Session::new(Default::default());
    let reports = session.check_all(&inputs);
    let sources = session.snapshot();
    let mut disagree = Vec::new();
    let mut with_errors = 0;
    for ((input, report), theirs) in inputs.iter().zip(&reports).zip(&xmllint) {
        let ours: BTreeSet<usize> = report
            .diagnostics
            .iter()
            .filter(|d| d.rule.starts_with("xml-") && d.severity == xeplint::diag::Severity::Error)
            .filter(|d| sources.display(d.primary.span.file) == input.display)
            .map(|d| position(&sources, d).0)
            .collect();
        with_errors += usize::from(!theirs.is_empty());
        if &ours != theirs {
            disagree.push(format!(
                "{}: xmllint lines {theirs:?}, xeplint lines {ours:?}",
                input.display
            ));
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    eprintln!(
        "{} files, {with_errors} with parser errors, all matched",
        inputs.len()
    );

    // inbox/iap.xml declares %ents; but never references it: xmllint prints a
    // parser error and still exits 0. The first undefined entity is the
    // legal notice.
    let iap = inputs
        .iter()
        .position(|i| i.path.ends_with("inbox/iap.xml"))
        .expect("inbox/iap.xml in the corpus");
    let first = reports[iap]
        .diagnostics
        .iter()
        .find(|d| d.rule == "xml-undefined-entity")
        .expect("an undefined entity in iap.xml");
    assert_eq!(position(&sources, first), (11, 3));
}
