//! `xeplint.toml`: rule levels, overrides, ignores, paths relative to the
//! file, and the errors a broken configuration gives.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Two valid documents (one in `inbox/`), each given the same two problems
/// right before its first section: a suppression that silences nothing
/// (`unused-suppression`, a warning) and one naming an unknown rule
/// (`unknown-suppression`, a warning).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("inbox")).unwrap();
    let problems = "<!-- xeplint-disable-next-element unknown-suppression: nothing to silence -->\n\
                    <!-- xeplint-disable-next-element no-such-rule: misspelt -->\n";
    for (from, to) in [
        ("xep-1001.xml", "xep-1001.xml"),
        ("inbox/sigexample.xml", "inbox/sigexample.xml"),
    ] {
        let text = std::fs::read_to_string(fixtures().join(from)).unwrap();
        let at = text.find("<section1").expect("a section");
        let text = format!("{}{problems}{}", &text[..at], &text[at..]);
        std::fs::write(root.join(to), text).unwrap();
    }
    for shared in ["xep.ent", "xep.dtd"] {
        let text = std::fs::read(fixtures().join(shared)).unwrap();
        std::fs::write(root.join(shared), &text).unwrap();
        std::fs::write(root.join("inbox").join(shared), &text).unwrap();
    }
    dir
}

fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

fn check(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(dir)
        // A fixed date: the documents form a XEP repository, whose
        // `deferral-due` would otherwise depend on the calendar.
        .args(["check", "--format", "short", "--today", "2025-01-01"])
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// The expected short output: for each document, its two lines when present.
fn expected(root: &Path, lines: &[(&str, &str, &str)]) -> String {
    let mut out = String::new();
    for (file, severity, rule) in lines {
        let path = root.join(file);
        let (needle, column, message) = match *rule {
            "unused-suppression" => (
                "unknown-suppression: nothing",
                35,
                "suppression of `unknown-suppression` silences nothing",
            ),
            _ => (
                "no-such-rule",
                35,
                "`no-such-rule` is not a rule id; this suppression silences nothing",
            ),
        };
        let line = line_of(&path, needle);
        out.push_str(&format!(
            "{file}:{line}:{column}: {severity}[{rule}]: {message}\n"
        ));
    }
    out
}

#[test]
fn without_configuration_both_are_warnings() {
    let dir = project();
    let (out, _, code) = check(dir.path(), &["."]);
    assert_eq!(
        out,
        expected(
            dir.path(),
            &[
                ("inbox/sigexample.xml", "warning", "unused-suppression"),
                ("inbox/sigexample.xml", "warning", "unknown-suppression"),
                ("xep-1001.xml", "warning", "unused-suppression"),
                ("xep-1001.xml", "warning", "unknown-suppression"),
            ]
        )
    );
    assert_eq!(code, 0);
}

const CONFIG: &str = r#"
[rules]
unknown-suppression = "off"
unused-suppression = "error"

[[overrides]]
files = ["inbox/**"]
rules = { unused-suppression = "warning" }
"#;

#[test]
fn off_error_and_an_override() {
    let dir = project();
    std::fs::write(dir.path().join("xeplint.toml"), CONFIG).unwrap();
    let (out, err, code) = check(dir.path(), &["."]);
    assert_eq!(
        out,
        expected(
            dir.path(),
            &[
                ("inbox/sigexample.xml", "warning", "unused-suppression"),
                ("xep-1001.xml", "error", "unused-suppression"),
            ]
        ),
        "{err}"
    );
    assert_eq!(code, 1);

    // Only the inbox: a warning, so the run passes, unless warnings count.
    let (out, _, code) = check(dir.path(), &["inbox"]);
    assert_eq!(out.lines().count(), 1);
    assert_eq!(code, 0);
    let (_, _, code) = check(dir.path(), &["--error-on", "warning", "inbox"]);
    assert_eq!(code, 1);

    // Overrides match paths relative to the configuration, wherever xeplint runs.
    let (out, _, code) = check(&dir.path().join("inbox"), &["sigexample.xml"]);
    assert!(out.contains("warning[unused-suppression]"), "{out}");
    assert_eq!(code, 0);

    // The command line wins over the file and its overrides.
    let (out, _, code) = check(
        dir.path(),
        &[
            "--rule",
            "unused-suppression=off",
            "--rule",
            "unknown-suppression=info",
            ".",
        ],
    );
    assert_eq!(
        out,
        expected(
            dir.path(),
            &[
                ("inbox/sigexample.xml", "info", "unknown-suppression"),
                ("xep-1001.xml", "info", "unknown-suppression"),
            ]
        )
    );
    assert_eq!(code, 0);
}

#[test]
fn ignore_and_explicit_config_paths() {
    let dir = project();
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    // Paths and globs are relative to the configuration file's folder.
    std::fs::write(
        conf.join("lint.toml"),
        "[rules]\nunknown-suppression = \"off\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.xml"), "<xep><p>&</p></xep>").unwrap();
    std::fs::write(
        dir.path().join("xeplint.toml"),
        "ignore = [\"broken.xml\", \"inbox\"]\n",
    )
    .unwrap();
    let (out, err, code) = check(dir.path(), &["."]);
    assert!(err.is_empty(), "{err}");
    assert!(
        !out.contains("broken.xml") && !out.contains("inbox/"),
        "{out}"
    );
    assert!(out.contains("xep-1001.xml"), "{out}");
    assert_eq!(code, 0);
    // Ignored even when named.
    let (out, _, code) = check(dir.path(), &["broken.xml"]);
    assert_eq!((out.as_str(), code), ("", 0));

    // --config replaces the discovered file.
    let (out, _, _) = check(dir.path(), &["--config", "conf/lint.toml", "."]);
    assert!(out.contains("broken.xml"), "{out}");
    assert!(!out.contains("[unknown-suppression]"), "{out}");
    let (_, err, code) = check(dir.path(), &["--config", "nowhere.toml", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere.toml"), "{err}");
}

#[test]
fn mistakes_are_usage_errors_with_suggestions() {
    let dir = project();
    let cases: &[(&str, &str)] = &[
        (
            "[rules]\nunused-supression = \"off\"\n",
            "xeplint.toml:2:1: `rules.unused-supression`: unknown rule `unused-supression`; did you mean `unused-suppression`?",
        ),
        (
            "[rule]\n",
            "xeplint.toml:1:2: `rule`: unknown key; did you mean `rules`?",
        ),
        (
            "[[overrides]]\nfiles = [\"inbox/**\"]\nrule = {}\n",
            "xeplint.toml:3:1: `rule`: unknown key; did you mean `rules`?",
        ),
        (
            "[[overrides]]\nfiles = [\"inbox/**\"]\nrules = { unknown-suppresion = \"off\" }\n",
            "`overrides[0].rules.unknown-suppresion`: unknown rule `unknown-suppresion`; did you mean `unknown-suppression`?",
        ),
        (
            "[rules]\nunused-suppression = \"loud\"\n",
            "xeplint.toml:2:22: `rules.unused-suppression`: unknown level `loud`",
        ),
        ("ignore = [\"a[\"]\n", "`ignore`: bad glob `a[`"),
    ];
    for (config, message) in cases {
        std::fs::write(dir.path().join("xeplint.toml"), config).unwrap();
        let (out, err, code) = check(dir.path(), &["."]);
        assert_eq!(code, 2, "{config}");
        assert!(out.is_empty());
        assert!(
            err.contains(message),
            "{config}\nexpected: {message}\ngot: {err}"
        );
    }
}
