//! Every output format on the same run, through the binary: snapshots, the
//! JSON round trip and schema, SARIF against the SARIF 2.1.0 schema, GitHub
//! escaping, positions inside entity files.

use crate::binary::xeplint;
use serde_json::Value;
use std::path::{Path, PathBuf};
use xeplint::report::json::JsonReport;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Copy fixture `from` to `to` in `root`, replacing each `(old, new)` once.
fn copy_edited(root: &Path, from: &str, to: &str, edits: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(fixtures().join(from)).unwrap();
    for (old, new) in edits {
        assert!(text.contains(old), "{from} has no {old:?}");
        text = text.replacen(old, new, 1);
    }
    let path = root.join(to);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The shared run: copies of the valid fixtures with known defects put in,
/// so the snapshots change only when the formats (or these messages) do:
///
/// - `xep-0429.xml`: a bare `&`, an undefined entity, an end tag that does not
///   match on a line with non-ASCII text, and an entity from `xep.ent` whose
///   text leaves an element open (a label and a note inside `xep.ent`);
/// - `xep-1001.xml`: an unused suppression (warning) and a misspelt rule id
///   in a suppression (set to info by the configuration);
/// - `inbox/sigexample.xml`: clean.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("xeplint.toml"),
        "[rules]\nunknown-suppression = \"info\"\n",
    )
    .unwrap();
    copy_edited(
        root,
        "xep.ent",
        "xep.ent",
        &[(
            "<!ENTITY",
            "<!ENTITY brokenent \"<em>never closed\">\n<!ENTITY",
        )],
    );
    std::fs::copy(fixtures().join("xep.dtd"), root.join("xep.dtd")).unwrap();
    copy_edited(
        root,
        "xep-0429.xml",
        "xep-0429.xml",
        &[
            ("<p>Users expect", "<p>Salt & vinegar. Users expect"),
            ("painful.</p>", "painful &nosuchentity;.</p>"),
            (
                "<p>The SIG is expected to:</p>",
                "<p>Ünïcødé — ✓ then <em>a wrong end tag</p>\n  <p>It uses &brokenent; too.</p>\n  <p>The SIG is expected to:</p>",
            ),
        ],
    );
    copy_edited(
        root,
        "xep-1001.xml",
        "xep-1001.xml",
        &[(
            "<section1 topic='Security Considerations'",
            "<!-- xeplint-disable-next-element xml-bare-ampersand: none here -->\n<!-- xeplint-disable-next-element xml-bare-ampresand: typo -->\n<section1 topic='Security Considerations'",
        )],
    );
    copy_edited(root, "inbox/sigexample.xml", "inbox/sigexample.xml", &[]);
    for shared in ["xep.ent", "xep.dtd"] {
        std::fs::copy(root.join(shared), root.join("inbox").join(shared)).unwrap();
    }
    dir
}

const RUN: &[&str] = &["xep-0429.xml", "xep-1001.xml", "inbox/sigexample.xml"];

/// Run `check --format FORMAT` on [`RUN`] in a fresh [`project`].
fn run(format: &str) -> (String, i32) {
    let dir = project();
    // A fixed date: the project is a XEP repository, whose `deferral-due`
    // would otherwise depend on the calendar.
    let out = xeplint()
        .current_dir(dir.path())
        .args(["check", "--today", "2025-01-01", "--format", format])
        .args(RUN)
        .output()
        .expect("run xeplint");
    (
        String::from_utf8(out.stdout).expect("UTF-8 output"),
        out.status.code().unwrap_or(-1),
    )
}

/// The tool version changes; snapshots should not.
fn unversioned(s: &str) -> String {
    s.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[VERSION]\"",
    )
}

fn load_json(path: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).expect("schema file")).expect("schema JSON")
}

fn assert_valid(schema: &Value, instance: &Value) {
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
        .expect("compile schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn human() {
    let (out, code) = run("human");
    assert_eq!(code, 1);
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
    assert!(
        out.ends_with("checked 3 files: 4 errors, 1 warning, 1 info\n"),
        "{out}"
    );
    // The note about the entity definition is a footer line with its position.
    assert!(
        out.contains("note: `&brokenent;` is defined here (xep.ent:"),
        "{out}"
    );
    insta::assert_snapshot!("human", out);
}

#[test]
fn short() {
    let (out, code) = run("short");
    assert_eq!(code, 1);
    insta::assert_snapshot!("short", out);
}

#[test]
fn github() {
    let (out, code) = run("github");
    assert_eq!(code, 1);
    for line in out.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
    }
    insta::assert_snapshot!("github", out);
}

#[test]
fn json_round_trips_and_matches_its_schema() {
    let (out, code) = run("json");
    assert_eq!(code, 1);
    let value: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(value["version"], 1);
    let report: JsonReport = serde_json::from_str(&out).expect("deserializes");
    assert_eq!(serde_json::to_value(&report).unwrap(), value, "round trip");
    assert_valid(&load_json("docs/json-schema.json"), &value);

    // Summary agrees with the list.
    let n = |sev: &str| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity.as_str() == sev)
            .count()
    };
    assert_eq!(report.summary.files, RUN.len());
    assert_eq!(report.summary.errors, n("error"));
    assert_eq!(report.summary.warnings, n("warning"));
    assert_eq!(report.files.len(), RUN.len());
    // Columns count characters, not bytes.
    let line = "  <p>Ünïcødé — ✓ then <em>a wrong end tag</p>";
    let column = line[..line.find("</p>").unwrap()].chars().count() + 1;
    assert_ne!(column, line.find("</p>").unwrap() + 1);
    let mismatched = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "xml-mismatched-tag")
        .unwrap();
    assert_eq!(mismatched.location.column, column);
    // A note with its own position, in the entity file.
    assert!(report.diagnostics.iter().any(|d| d.notes.iter().any(|n| {
        n.location
            .as_ref()
            .is_some_and(|l| l.file == "xep.ent" && l.column == 10)
    })));

    insta::assert_snapshot!("json", unversioned(&out));
}

#[test]
fn json_schema_rejects_what_it_should() {
    let schema = load_json("docs/json-schema.json");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (out, _) = run("json");
    let good: Value = serde_json::from_str(&out).unwrap();
    let mut bad = good.clone();
    bad["version"] = 2.into();
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad["diagnostics"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad["diagnostics"][0]
        .as_object_mut()
        .unwrap()
        .remove("column");
    assert!(!validator.is_valid(&bad));
    let mut bad = good;
    bad["diagnostics"][0]["surprise"] = true.into();
    assert!(!validator.is_valid(&bad));
}

/// The published SARIF 2.1.0 schema, with one fix: the `language` patterns
/// (of `run` and `toolComponent`) have a stray `]` that strict ECMA-262 regex
/// checking (as jsonschema does when it checks a schema) rejects. xeplint
/// writes no `language`, so the fix changes nothing the test relies on.
fn sarif_schema() -> Value {
    const BAD: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn fix(v: &mut Value, n: &mut usize) {
        match v {
            Value::String(s) if s == BAD => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
                *n += 1;
            }
            Value::Array(a) => a.iter_mut().for_each(|v| fix(v, n)),
            Value::Object(o) => o.values_mut().for_each(|v| fix(v, n)),
            _ => {}
        }
    }
    let mut schema = load_json("tests/data/sarif-schema-2.1.0.json");
    let mut fixed = 0;
    fix(&mut schema, &mut fixed);
    assert!(
        fixed > 0,
        "the vendored schema changed: revisit sarif_schema()"
    );
    schema
}

#[test]
fn sarif_matches_the_sarif_schema() {
    let (out, code) = run("sarif");
    assert_eq!(code, 1);
    let value: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_valid(&sarif_schema(), &value);
    assert_eq!(value["version"], "2.1.0");

    let run = &value["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "xeplint");
    // Present only when Cargo.toml names a repository.
    if let Some(uri) = driver["informationUri"].as_str() {
        assert!(uri.starts_with("https://"), "{uri}");
    }
    let rules = driver["rules"].as_array().unwrap();
    for r in xeplint::rules::registry() {
        let d = rules
            .iter()
            .find(|d| d["id"] == r.id)
            .unwrap_or_else(|| panic!("rule {} missing", r.id));
        assert_eq!(d["shortDescription"]["text"], r.summary);
        let level = match r.severity {
            xeplint::diag::Severity::Error => "error",
            xeplint::diag::Severity::Warning => "warning",
            xeplint::diag::Severity::Info => "note",
        };
        assert_eq!(d["defaultConfiguration"]["level"], level);
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex points at the rule");
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            !loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
    }
    // The note of the entity error is a related location.
    assert!(
        results.iter().any(|r| r["relatedLocations"]
            .as_array()
            .is_some_and(|l| l.iter().any(|l| l["message"]["text"]
                .as_str()
                .unwrap()
                .contains("is defined here"))))
    );

    // Snapshot without the rule table and indices, which grow with the registry.
    let mut trimmed = value.clone();
    trimmed["runs"][0]["tool"]["driver"]["rules"] = Value::from("[RULES]");
    for r in trimmed["runs"][0]["results"].as_array_mut().unwrap() {
        r["ruleIndex"] = Value::from("[INDEX]");
    }
    insta::assert_snapshot!(
        "sarif",
        unversioned(&serde_json::to_string_pretty(&trimmed).unwrap())
    );
}

/// On every fixture (valid ones, one per well-formedness problem, one per
/// XEP rule), every format reports the same findings, and the machine
/// formats match their schemas.
#[test]
fn formats_agree_on_every_fixture() {
    let all = |format: &str| {
        let out = xeplint()
            .current_dir(fixtures())
            .args(["check", "--format", format, "."])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(2), "{format}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&all("json")).unwrap();
    assert_valid(&load_json("docs/json-schema.json"), &json);
    let report: JsonReport = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&report).unwrap(), json);
    let n = report.diagnostics.len();
    assert!(n > 10, "the fixtures have findings");
    assert_eq!(all("short").lines().count(), n);
    assert_eq!(all("github").lines().count(), n);
    let sarif: Value = serde_json::from_str(&all("sarif")).unwrap();
    assert_valid(&sarif_schema(), &sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), n);
    let human = all("human");
    let s = &report.summary;
    assert!(human.ends_with(&format!("{}\n", s.line())), "{human}");
}

/// A project in a temporary folder: `xeplint.toml` marks its root.
fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xeplint.toml"), "").unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const ENT: &str =
    "<!-- shared entities -->\n<!ENTITY ok \"fine\">\n<!ENTITY broken \"<em>never closed\">\n";
const DOC: &str = "<?xml version='1.0'?>\n<!DOCTYPE xep [ <!ENTITY % ents SYSTEM 'xep.ent'> %ents; ]>\n<xep>\n<p>&ok; and &broken; here</p>\n</xep>\n";

#[test]
fn positions_inside_entity_files() {
    let dir = scratch(&[("xep.ent", ENT), ("doc.xml", DOC)]);
    let out = xeplint()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "doc.xml"])
        .output()
        .unwrap();
    let report: JsonReport = serde_json::from_slice(&out.stdout).unwrap();
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "xml-unclosed-tag")
        .expect("the entity's unclosed element is reported");
    let at = &d.location;
    assert_eq!((at.file.as_str(), at.line, at.column), ("doc.xml", 4, 13));
    let note = d
        .notes
        .iter()
        .find_map(|n| n.location.as_ref())
        .expect("a note pointing at the definition");
    assert_eq!(
        (note.file.as_str(), note.line, note.column),
        ("xep.ent", 3, 10)
    );
    let label = d
        .secondary
        .iter()
        .find(|l| l.location.file == "xep.ent")
        .expect("a label inside the entity's text");
    assert_eq!((label.location.line, label.location.column), (3, 18));

    let human = xeplint()
        .current_dir(dir.path())
        .args(["check", "doc.xml"])
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.contains("(xep.ent:3:10)"), "{human}");
    assert!(human.contains("(xep.ent:3:18)"), "{human}");

    let sarif = xeplint()
        .current_dir(dir.path())
        .args(["check", "--format", "sarif", "doc.xml"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "xml-unclosed-tag")
        .unwrap();
    let related = result["relatedLocations"].as_array().unwrap();
    assert!(related.iter().any(|l| {
        let p = &l["physicalLocation"];
        p["artifactLocation"]["uri"] == "xep.ent" && p["region"]["startLine"] == 3
    }));
}

#[test]
fn github_escapes_properties_and_messages() {
    let doc = "<xep>\n<!-- xeplint-disable-next-element 100%sure: reason -->\n<p/>\n</xep>\n";
    let dir = scratch(&[("a,b:c.xml", doc)]);
    let out = xeplint()
        .current_dir(dir.path())
        .args(["check", "--format", "github", "a,b:c.xml"])
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("title=unknown-suppression"))
        .unwrap_or_else(|| panic!("no unknown-suppression in {out}"));
    assert!(
        line.starts_with(
            "::warning file=a%2Cb%3Ac.xml,line=2,col=35,endLine=2,endColumn=43,title=unknown-suppression::"
        ),
        "{line}"
    );
    let message = line.splitn(3, "::").nth(2).unwrap();
    assert!(
        message.starts_with("`100%25sure` is not a rule id"),
        "{message}"
    );
    // Label and help follow on their own lines, escaped.
    assert!(message.contains("%0Ahelp: "), "{message}");
    assert!(!message.contains('\n') && !message.contains('\r'));
}

#[test]
fn human_never_panics_on_odd_spans() {
    // Errors at the very end, with and without a final newline, in CRLF and
    // multi-byte text, and an empty file.
    let cases: &[(&str, &str)] = &[
        ("empty.xml", ""),
        ("eof.xml", "<xep><p>"),
        ("eof-newline.xml", "<xep>\r\n<p>é\r\n"),
        ("text-only.xml", "just text"),
        ("bom.xml", "\u{feff}<xep>&"),
    ];
    let dir = scratch(cases);
    let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    let out = xeplint()
        .current_dir(dir.path())
        .arg("check")
        .args(&names)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("checked 5 files"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}
