//! `check --fix`, `--unsafe-fixes` and `--diff` on the documents of
//! `fixtures/fix/` (see its README): the fixed text byte for byte, a second
//! run that changes nothing, a diff that writes nothing and gives the same
//! change, standard input, and documents with nothing to fix left alone.

use crate::binary::{self, Run};
use crate::common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    // A scratch copy is a XEP repository of its own (real xep.ent, numbered
    // files): its repository findings (the fixtures share a shortname, have
    // no entities in xep.ent) are not what these tests are about.
    let args: Vec<&str> = match args.split_first() {
        Some((&"check", rest)) => ["check", "--no-repository"]
            .iter()
            .chain(rest)
            .copied()
            .collect(),
        _ => args.to_vec(),
    };
    binary::run(dir, &args, stdin)
}

/// The fix fixtures (document, expected after `--fix`, expected after
/// `--fix --unsafe-fixes`), relative to `fixtures/fix/`.
const CASES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("xep-1950.xml", Some("xep-1950.xml.fixed"), None),
    ("xep-1951.xml", Some("xep-1951.xml.fixed"), None),
    ("xep-1952.xml", None, Some("xep-1952.xml.unsafe-fixed")),
    ("xep-1954.xml", Some("xep-1954.xml.fixed"), None),
    ("xep-1955.xml", None, Some("xep-1955.xml.unsafe-fixed")),
    (
        "inbox/colourhint.xml",
        Some("inbox/colourhint.xml.fixed"),
        None,
    ),
];

/// A scratch copy of `fixtures/fix/` with real files (no links), so fixes
/// can be written.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let from = root().join("fixtures/fix");
    for sub in ["", "inbox"] {
        std::fs::create_dir_all(tmp.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(from.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap();
                std::fs::copy(&path, tmp.path().join(sub).join(name)).unwrap();
            }
        }
    }
    tmp
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

#[test]
fn fixes_give_the_expected_documents_and_a_second_run_changes_nothing() {
    let tmp = scratch();
    let dir = tmp.path();
    for &(doc, safe, unsafe_) in CASES {
        let before = read(dir.join(doc));
        let r = run(dir, &["check", "--format", "short", "--fix", doc], None);
        let want = safe.map_or_else(|| before.clone(), |s| read(dir.join(s)));
        assert_eq!(read(dir.join(doc)), want, "{doc} after --fix\n{}", r.stderr);
        if safe.is_some() {
            assert!(r.stderr.contains("xeplint: fixed "), "{doc}: {}", r.stderr);
        }
        if let Some(u) = unsafe_ {
            assert_eq!(r.code, 1, "{doc}: findings are left without unsafe fixes");
            assert!(
                r.stderr.contains("more with --unsafe-fixes"),
                "{}",
                r.stderr
            );
            let r = run(
                dir,
                &["check", "--format", "short", "--fix", "--unsafe-fixes", doc],
                None,
            );
            assert_eq!(
                read(dir.join(doc)),
                read(dir.join(u)),
                "{doc} after --unsafe-fixes"
            );
            assert_eq!(r.code, 0, "{doc}: {}{}", r.stdout, r.stderr);
        } else {
            assert_eq!(
                r.code, 0,
                "{doc}: nothing is left: {}{}",
                r.stdout, r.stderr
            );
        }
        // Idempotent: a second run, unsafe fixes included, changes nothing.
        let fixed = read(dir.join(doc));
        let again = run(
            dir,
            &["check", "--format", "short", "--fix", "--unsafe-fixes", doc],
            None,
        );
        assert_eq!(
            read(dir.join(doc)),
            fixed,
            "{doc}: a second --fix changed it"
        );
        assert!(
            again.stderr.contains("fixed 0 findings in 0 files"),
            "{doc}: {}",
            again.stderr
        );
    }
}

#[test]
fn diff_writes_nothing_and_shows_the_fix() {
    let tmp = scratch();
    let dir = tmp.path();
    for &(doc, safe, _) in CASES {
        let before = read(dir.join(doc));
        let r = run(dir, &["check", "--diff", doc], None);
        assert_eq!(read(dir.join(doc)), before, "{doc}: --diff wrote");
        let Some(safe) = safe else {
            assert_eq!(r.code, 0, "{doc}: nothing safe to fix");
            assert_eq!(r.stdout, "", "{doc}");
            continue;
        };
        assert_eq!(r.code, 1, "{doc}: there is something to fix");
        assert!(
            r.stdout
                .starts_with(&format!("--- a/{doc}\n+++ b/{doc}\n@@ ")),
            "{doc}: {}",
            r.stdout
        );
        // The diff is the fix: applied to the document, it gives the fixed one.
        assert_eq!(
            apply_diff(&before, &r.stdout),
            read(dir.join(safe)),
            "{doc}"
        );
        assert!(r.stderr.contains("would fix "), "{}", r.stderr);
    }
}

/// Apply a unified diff of one file (as `similar` writes it) to `text`.
fn apply_diff(text: &str, diff: &str) -> String {
    let old: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut at = 0;
    for line in diff.split_inclusive('\n').skip(2) {
        if let Some(h) = line.strip_prefix("@@ -") {
            let start: usize = h
                .split([',', ' '])
                .next()
                .and_then(|n| n.parse().ok())
                .expect("hunk start");
            while at + 1 < start {
                out.push_str(old[at]);
                at += 1;
            }
            continue;
        }
        match line.as_bytes().first() {
            Some(b' ') => {
                assert_eq!(&line[1..], old[at], "context");
                out.push_str(old[at]);
                at += 1;
            }
            Some(b'-') => {
                assert_eq!(&line[1..], old[at], "removed line");
                at += 1;
            }
            Some(b'+') => out.push_str(&line[1..]),
            _ => {}
        }
    }
    for l in &old[at..] {
        out.push_str(l);
    }
    out
}

#[test]
fn standard_input_prints_the_fixed_document() {
    let tmp = scratch();
    let dir = tmp.path();
    for &(doc, safe, _) in CASES {
        let before = std::fs::read(dir.join(doc)).unwrap();
        let r = run(
            dir,
            &[
                "check",
                "--format",
                "short",
                "--fix",
                "--stdin-filename",
                doc,
                "-",
            ],
            Some(before.clone()),
        );
        let want = safe.map_or_else(
            || String::from_utf8(before.clone()).unwrap(),
            |s| read(dir.join(s)),
        );
        assert_eq!(r.stdout, want, "{doc} through standard input");
        // The file itself is not touched; the findings left go to stderr.
        assert_eq!(std::fs::read(dir.join(doc)).unwrap(), before);
        assert!(r.stderr.contains("fixed "), "{}", r.stderr);
    }
    // Other paths beside `-` would mix documents on standard output.
    let r = run(
        dir,
        &["check", "--fix", "-", "xep-1950.xml"],
        Some(Vec::new()),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("must be the only path"), "{}", r.stderr);
}

#[test]
fn documents_with_nothing_to_fix_are_left_alone() {
    let dir = root().join("fixtures");
    for doc in [
        "xep-0002.xml",
        "xep-0007.xml",
        "xep-0429.xml",
        "inbox/sigexample.xml",
    ] {
        let r = run(&dir, &["check", "--diff", "--unsafe-fixes", doc], None);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{doc}: {}", r.stderr);
    }
    let corpus = root().join("../shared/corpus");
    if !corpus.join("xep.dtd").is_file() {
        common::missing("../shared/corpus");
        return;
    }
    // The Procedural SIG documents of the XSF's tree: nothing to change.
    for doc in [
        "xep-0002.xml",
        "xep-0007.xml",
        "xep-0429.xml",
        "inbox/sige2ee.xml",
    ] {
        let r = run(&corpus, &["check", "--diff", "--unsafe-fixes", doc], None);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{doc}: {}", r.stderr);
    }
}

#[test]
fn usage_errors() {
    let dir = root().join("fixtures/fix");
    let r = run(&dir, &["check", "--unsafe-fixes", "xep-1950.xml"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--unsafe-fixes needs --fix or --diff"),
        "{}",
        r.stderr
    );
    let r = run(&dir, &["check", "--fix", "--diff", "xep-1950.xml"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn fixes_appear_in_every_format() {
    let dir = root().join("fixtures/fix");
    let r = run(&dir, &["check", "--format", "json", "xep-1950.xml"], None);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let fix = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|d| d["fix"].as_object())
        .expect("a finding with a fix");
    assert_eq!(fix["applicability"], "safe");
    assert!(fix["edits"][0]["start"].is_u64() && fix["edits"][0]["line"].is_u64());

    let r = run(&dir, &["check", "--format", "sarif", "xep-1950.xml"], None);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let f = results
        .iter()
        .find_map(|r| r["fixes"].as_array())
        .expect("SARIF fixes");
    let replacement = &f[0]["artifactChanges"][0]["replacements"][0];
    assert!(replacement["deletedRegion"]["byteOffset"].is_u64());
    assert!(replacement["insertedContent"]["text"].is_string());

    let r = run(&dir, &["check", "--format", "github", "xep-1950.xml"], None);
    assert!(r.stdout.contains("fix available (safe)"), "{}", r.stdout);

    let r = run(&dir, &["check", "xep-1950.xml"], None);
    assert!(
        r.stdout.contains("fix: put the children of <header>") || r.stdout.contains("fix: move <"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(safe: --fix)"), "{}", r.stdout);
}
