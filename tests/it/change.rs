//! The change rules (`--base`) against `fixtures/change/<rule-id>/`.
//!
//! Each folder holds numbered steps (`1/`, `2/`, …), each the files a commit
//! writes into a small XEP repository (with `fixtures/xep.dtd` and
//! `fixtures/xep.ent`; a step's `xep.ent.add` is appended to `xep.ent`). The
//! test makes a git repository in a temporary folder, commits each step,
//! and runs `xeplint check --base STEP-1 --today 2025-06-01 .` in it. The
//! final version of each document lists the change-rule findings it must
//! get, as the rule fixtures do (`<!-- expect: RULE SEVERITY at LINE:COL -->`);
//! a document without one must get none. Findings of the other rules (the
//! repository rules see this repository too) are not compared here.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn have_git() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

/// Copy a step's files into the repository (`xep.ent.add` appended).
fn apply(step: &Path, repo: &Path) {
    for entry in walk(step) {
        let rel = entry.strip_prefix(step).expect("inside the step");
        let text = std::fs::read_to_string(&entry).expect("fixture text");
        if rel == Path::new("xep.ent.add") {
            let mut ent = std::fs::read_to_string(repo.join("xep.ent")).expect("xep.ent");
            ent.push_str(&text);
            std::fs::write(repo.join("xep.ent"), ent).expect("write");
            continue;
        }
        let to = repo.join(rel);
        std::fs::create_dir_all(to.parent().expect("a folder")).expect("mkdir");
        std::fs::write(to, text).expect("write");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A repository built from the steps of `case`; its first commit.
fn build(case: &Path, repo: &Path) -> String {
    git(repo, &["init", "-q"]);
    git(repo, &["config", "user.name", "Fixture Author"]);
    git(repo, &["config", "user.email", "author@example.org"]);
    git(repo, &["config", "commit.gpgsign", "false"]);
    let dtd = std::fs::read(fixtures().join("xep.dtd")).expect("xep.dtd");
    std::fs::write(repo.join("xep.dtd"), dtd).expect("write");
    let ent = std::fs::read(fixtures().join("xep.ent")).expect("xep.ent");
    std::fs::write(repo.join("xep.ent"), ent).expect("write");
    let mut steps: Vec<(u32, PathBuf)> = std::fs::read_dir(case)
        .expect("case folder")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let n = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{}: steps are named 1, 2, …", p.display()));
            (n, p)
        })
        .collect();
    steps.sort();
    let mut base = String::new();
    for (n, step) in &steps {
        apply(step, repo);
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", &format!("step {n}")]);
        if base.is_empty() {
            base = git(repo, &["rev-parse", "HEAD"]);
        }
    }
    base
}

/// `(document, rule severity at LINE:COL)` a document declares, for the change rules.
fn declared(repo: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in walk(repo) {
        if path.extension().is_none_or(|e| e != "xml") || path.starts_with(repo.join(".git")) {
            continue;
        }
        let rel = path
            .strip_prefix(repo)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("text");
        for line in text.lines() {
            if let Some(body) = line
                .trim()
                .strip_prefix("<!-- expect:")
                .and_then(|b| b.strip_suffix("-->"))
            {
                let body = body.trim();
                if body != "nothing" && body.starts_with("change-") {
                    out.push((rel.clone(), body.to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

/// What `xeplint check --base` reports of the change rules.
fn reported(repo: &Path, base: &str) -> (Vec<(String, String)>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(repo)
        .args(["check", "--format", "json", "--today", "2025-06-01"])
        .args(["--initials", "ab", "--base", base, "."])
        .output()
        .expect("run xeplint");
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut found = Vec::new();
    for d in json["diagnostics"].as_array().expect("diagnostics") {
        let rule = d["rule"].as_str().unwrap_or_default();
        if !rule.starts_with("change-") {
            continue;
        }
        found.push((
            d["document"].as_str().unwrap_or_default().to_string(),
            format!(
                "{rule} {} at {}:{}",
                d["severity"].as_str().unwrap_or_default(),
                d["line"],
                d["column"]
            ),
        ));
    }
    found.sort();
    (found, json)
}

#[test]
fn change_fixtures_report_what_they_declare() {
    if !have_git() {
        common::missing("git");
        return;
    }
    let mut triggered: BTreeMap<String, bool> = xeplint::rules::CHANGE_RULES
        .iter()
        .map(|r| (r.info().id.to_string(), false))
        .collect();
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures().join("change"))
        .expect("fixtures/change")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let tmp = tempfile::tempdir().expect("temporary folder");
        let base = build(&case, tmp.path());
        let want = declared(tmp.path());
        let (got, _) = reported(tmp.path(), &base);
        if want != got {
            failures.push(format!(
                "{name}:\n  declared: {want:#?}\n  reported: {got:#?}"
            ));
        }
        if got.iter().any(|(_, f)| f.starts_with(&format!("{name} "))) {
            triggered.insert(name, true);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    let missing: Vec<&String> = triggered
        .iter()
        .filter(|(_, t)| !**t)
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty(),
        "change rules without a fixture in fixtures/change/<rule-id>/ that triggers them: {missing:?}"
    );
}

/// Three-part versions are asked for from the policy's
/// `three_part_versions_since` (2022-12-20) on: a check dated the day
/// before (`--today`, as when replaying history) does not report `0.3`.
#[test]
fn three_parts_are_asked_for_from_their_day_on() {
    if !have_git() {
        common::missing("git");
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary folder");
    let base = build(
        &fixtures().join("change").join("change-version"),
        tmp.path(),
    );
    let versions = |today: &str| -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
            .current_dir(tmp.path())
            .args(["check", "--format", "short", "--today", today])
            .args(["--base", &base, "xep-0901.xml"])
            .output()
            .expect("run xeplint");
        assert_ne!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("change-version"))
            .map(String::from)
            .collect()
    };
    let on_the_day = versions("2022-12-20");
    assert_eq!(on_the_day.len(), 1, "{on_the_day:?}");
    assert!(
        on_the_day[0].contains("does not have three parts"),
        "{on_the_day:?}"
    );
    assert_eq!(versions("2022-12-19"), Vec::<String>::new());
}

#[test]
fn a_missing_base_says_how_to_fetch_it() {
    if !have_git() {
        common::missing("git");
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary folder");
    build(&fixtures().join("change").join("change-date"), tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(tmp.path())
        .args(["check", "--base", "origin/master", "."])
        .output()
        .expect("run xeplint");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("`origin/master` is not a commit"), "{said}");
    assert!(said.contains("fetch-depth: 0"), "{said}");
    assert!(out.stdout.is_empty());
    // The same with a file named (its repository view is read while git
    // works): nothing checked, the same error.
    let named = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(tmp.path())
        .args(["check", "--base", "origin/master", "xep-0901.xml"])
        .output()
        .expect("run xeplint");
    assert_eq!(named.status.code(), Some(2), "{named:?}");
    assert_eq!(named.stderr, out.stderr);
    assert!(named.stdout.is_empty());

    // A shallow clone of it: the base is not there.
    let clone = tempfile::tempdir().expect("temporary folder");
    let url = format!("file://{}", tmp.path().display());
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(clone.path().join("c"))
        .status()
        .expect("git clone");
    assert!(status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(clone.path().join("c"))
        .args(["check", "--base", "HEAD~1", "."])
        .output()
        .expect("run xeplint");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("a shallow clone"), "{said}");
    assert!(said.contains("fetch-depth: 0"), "{said}");
}

#[test]
fn the_revision_fix_makes_the_finding_go() {
    if !have_git() {
        common::missing("git");
        return;
    }
    use xeplint::check::{Input, Options, Session};
    let tmp = tempfile::tempdir().expect("temporary folder");
    let base = build(
        &fixtures().join("change").join("change-revision"),
        tmp.path(),
    );
    let doc = tmp.path().join("xep-0901.xml");
    let session = |initials: &str| {
        let o = Options {
            change: Some(std::sync::Arc::new(
                xeplint::repo::git::ChangeSet::open(tmp.path(), &base, None).expect("change set"),
            )),
            today: xeplint::values::Date::parse("2025-06-01").ok(),
            initials: Some(initials.to_string()),
            ..Options::default()
        };
        Session::new(o)
    };
    let s = session("ab");
    let report = s.check(&Input::file(&doc));
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.rule == "change-revision")
        .expect("a change-revision finding");
    let fix = d.fix.as_ref().expect("a fix");
    assert_eq!(fix.applicability, xeplint::diag::Applicability::Unsafe);
    assert_eq!(fix.title, "insert revision 0.2.1 above the top one");
    let mut text = std::fs::read_to_string(&doc).expect("text");
    for e in fix.edits.iter().rev() {
        text.replace_range(e.span.range(), &e.replacement);
    }
    assert!(
        text.contains(
            "<version>0.2.1</version>\n    <date>2025-06-01</date>\n    <initials>ab</initials>"
        ),
        "{text}"
    );
    std::fs::write(&doc, &text).expect("write");
    let after = session("ab").check(&Input::file(&doc));
    let left: Vec<String> = after
        .diagnostics
        .iter()
        .filter(|d| d.rule.starts_with("change-") || d.rule == "revision-order")
        .map(|d| format!("{}: {}", d.rule, d.message))
        .collect();
    assert!(left.is_empty(), "{left:?}\n{text}");
}

#[test]
fn named_files_alone_are_compared_in_the_work_tree() {
    if !have_git() {
        common::missing("git");
        return;
    }
    use xeplint::repo::git::ChangeSet;
    let tmp = tempfile::tempdir().expect("temporary folder");
    let repo = tmp.path();
    let first = build(&fixtures().join("change").join("change-revision"), repo);
    let named = repo.join("xep-0901.xml");
    let other = repo.join("xep-0977.xml");
    let text = std::fs::read_to_string(&named).expect("text");
    std::fs::write(&other, &text).expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "another"]);
    let set = |base: &str, checked: Option<&[PathBuf]>| {
        let set = ChangeSet::open(repo, base, checked).expect("change set");
        let mut found: Vec<(String, bool)> = set
            .changed
            .values()
            .map(|c| (c.rel.clone(), c.added))
            .collect();
        found.sort();
        found
    };
    let changed = |names: &[&str]| -> Vec<(String, bool)> {
        names.iter().map(|n| (n.to_string(), false)).collect()
    };
    let only = [named.clone()];
    // Committed changes count, named or not.
    let all = set(&first, None);
    assert!(
        all.contains(&("xep-0901.xml".to_string(), false)),
        "{all:?}"
    );
    assert!(all.contains(&("xep-0977.xml".to_string(), true)), "{all:?}");
    assert_eq!(set(&first, Some(&only)), all);
    // Since the last commit: an edit not committed counts in a file named,
    // and in a file not named only when no file is named.
    let head = git(repo, &["rev-parse", "HEAD"]);
    std::fs::write(&other, text.replace("</xep>", "<!-- edited --></xep>")).expect("write");
    assert_eq!(set(&head, None), changed(&["xep-0977.xml"]));
    assert_eq!(set(&head, Some(&only)), changed(&[]));
    std::fs::write(&named, text.replace("</xep>", "<!-- edited --></xep>")).expect("write");
    assert_eq!(set(&head, Some(&only)), changed(&["xep-0901.xml"]));
    assert_eq!(set(&head, None), changed(&["xep-0901.xml", "xep-0977.xml"]));
}

#[test]
fn a_file_named_gets_the_findings_it_gets_in_a_whole_run() {
    if !have_git() {
        common::missing("git");
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary folder");
    let base = build(
        &fixtures().join("change").join("change-revision"),
        tmp.path(),
    );
    let run = |path: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
            .current_dir(tmp.path())
            .args(["check", "--format", "short", "--today", "2025-06-01"])
            .args(["--initials", "ab", "--base", &base, path])
            .output()
            .expect("run xeplint");
        assert_ne!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("xep-0901.xml:"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let whole = run(".");
    assert!(
        whole.iter().any(|l| l.contains("[change-revision]")),
        "{whole:?}"
    );
    assert_eq!(run("xep-0901.xml"), whole);
}
