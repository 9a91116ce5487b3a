//! The `check` command as users and editors run it: standard input, exit
//! status, ordering under parallelism, baselines, and the Vim / VS Code
//! patterns documented in `docs/integrations.md`.

use crate::binary::run;
use crate::common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------- stdin

#[test]
fn stdin_gives_the_same_findings_as_the_file() {
    let dir = root();
    for file in [
        "fixtures/xml/xml-several-errors.xml",
        "fixtures/xml/xml-entity-error.xml",
        "fixtures/xep-0429.xml",
        "fixtures/inbox/sigexample.xml",
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        for format in ["short", "json", "human"] {
            let direct = run(&dir, &["check", "--format", format, file], None);
            let piped = run(
                &dir,
                &["check", "--format", format, "--stdin-filename", file, "-"],
                Some(bytes.clone()),
            );
            assert_eq!(piped.stdout, direct.stdout, "{file} as {format}");
            assert_eq!(piped.code, direct.code, "{file}");
        }
    }
}

#[test]
fn stdin_without_a_name_is_stdin_in_the_current_folder() {
    // Run from fixtures/xml/: the DOCTYPE's `../xep.ent` is found from `<stdin>`.
    let fixtures = root().join("fixtures/xml");
    let bytes = std::fs::read(fixtures.join("xml-undefined-entity.xml")).unwrap();
    let r = run(&fixtures, &["check", "--format", "short", "-"], Some(bytes));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("<stdin>:28:21: error[xml-undefined-entity]")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("xml-entity-file-missing"),
        "{}",
        r.stdout
    );
    let r = run(
        &fixtures,
        &[
            "check",
            "--stdin-filename",
            "x.xml",
            "xml-undefined-entity.xml",
        ],
        None,
    );
    assert_eq!(r.code, 2, "--stdin-filename without `-`");
}

// ---------------------------------------------------------------- exit status

/// A copy of the valid `fixtures/xep-0429.xml` (with its entity file and
/// DTD) whose first paragraph says "salt & vinegar": one error, nothing else.
fn one_error_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("fixtures");
    std::fs::write(dir.path().join("xeplint.toml"), "").unwrap();
    for shared in ["xep.ent", "xep.dtd"] {
        std::fs::copy(fixtures.join(shared), dir.path().join(shared)).unwrap();
    }
    let text = std::fs::read_to_string(fixtures.join("xep-0429.xml")).unwrap();
    let text = text.replacen("<p>Users expect", "<p>Salt & vinegar. Users expect", 1);
    std::fs::write(dir.path().join("xep-0429.xml"), text).unwrap();
    dir
}

#[test]
fn exit_status() {
    let fixtures = root().join("fixtures");
    let clean = run(
        &fixtures,
        &["check", "--format", "short", "xep-0429.xml"],
        None,
    );
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));

    let project = one_error_project();
    let fixtures = project.path();
    let bad = run(
        fixtures,
        &["check", "--format", "short", "xep-0429.xml"],
        None,
    );
    assert_eq!(
        (bad.code, bad.stdout.as_str()),
        (
            1,
            "xep-0429.xml:45:11: error[xml-bare-ampersand]: `&` must start an entity reference\n"
        )
    );

    // An unreadable path: status 2, the other file is still checked.
    let missing = run(
        fixtures,
        &[
            "check",
            "--format",
            "short",
            "no-such-file.xml",
            "xep-0429.xml",
        ],
        None,
    );
    assert_eq!(missing.code, 2);
    // Reported in the output, as any finding, so that every format has it.
    let (first, rest) = missing.stdout.split_once('\n').unwrap_or_default();
    assert!(
        first.starts_with("no-such-file.xml:1:1: error[io]: cannot read: "),
        "{first}"
    );
    assert_eq!(rest, bad.stdout);

    // Usage errors.
    let r = run(
        fixtures,
        &["check", "--rule", "xml-bare-ampersnd=off", "xep-0429.xml"],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `xml-bare-ampersand`?"),
        "{}",
        r.stderr
    );
    let r = run(
        fixtures,
        &["check", "--rule", "xml-bare-ampersand", "xep-0429.xml"],
        None,
    );
    assert_eq!(r.code, 2);
    let r = run(
        fixtures,
        &["check", "--format", "yaml", "xep-0429.xml"],
        None,
    );
    assert_eq!(r.code, 2);

    // Turning the only error's rule off makes the run pass.
    let r = run(
        fixtures,
        &["check", "--rule", "xml-bare-ampersand=off", "xep-0429.xml"],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "checked 1 file: 0 errors, 0 warnings\n")
    );
    // Lowered to a warning it passes, unless warnings count.
    let args = [
        "check",
        "--rule",
        "xml-bare-ampersand=warning",
        "xep-0429.xml",
    ];
    assert_eq!(run(fixtures, &args, None).code, 0);
    let mut strict = args.to_vec();
    strict.extend(["--error-on", "warning"]);
    assert_eq!(run(fixtures, &strict, None).code, 1);
    let args = ["check", "--rule", "xml-bare-ampersand=info", "xep-0429.xml"];
    assert_eq!(run(fixtures, &args, None).code, 0);
    for (level, code) in [("warning", 0), ("info", 1)] {
        let mut strict = args.to_vec();
        strict.extend(["--error-on", level]);
        assert_eq!(
            run(fixtures, &strict, None).code,
            code,
            "--error-on {level}"
        );
    }
}

// ---------------------------------------------------------------- ordering

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let fixtures = root().join("fixtures");
    let one = run(
        &fixtures,
        &["check", "--format", "json", "-j", "1", "."],
        None,
    );
    let many = run(
        &fixtures,
        &["check", "--format", "json", "-j", "8", "."],
        None,
    );
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(one.code, many.code);
    // By file in input order, then line and column.
    let report: xeplint::report::json::JsonReport = serde_json::from_str(&one.stdout).unwrap();
    let files: Vec<&str> = report.files.iter().map(|f| f.file.as_str()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "folders are walked in sorted order");
    let order = |d: &xeplint::report::json::JsonDiagnostic| {
        (
            files.iter().position(|f| *f == d.document).unwrap(),
            d.location.file != d.document,
            d.location.line,
            d.location.column,
            d.rule.clone(),
        )
    };
    let keys: Vec<_> = report.diagnostics.iter().map(order).collect();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    assert_eq!(keys, sorted_keys);
}

// ---------------------------------------------------------------- editors

/// The VS Code problem matcher's pattern, exactly as in docs/integrations.md.
const VSCODE_REGEXP: &str = r"^(.+?):(\d+):(\d+): (error|warning|info)\[([a-z0-9-]+)\]: (.*)$";
/// The Vim errorformat, exactly as in docs/integrations.md.
const VIM_ERRORFORMAT: &str = "%f:%l:%c: %t%*[a-z]%m";

fn integration_doc() -> String {
    std::fs::read_to_string(root().join("docs/integrations.md")).unwrap()
}

/// Short output with an error, a warning and an info, with a non-ASCII line.
fn short_sample() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xeplint.toml"), "").unwrap();
    let doc = "<xep>\n<p>ünï &nope;</p>\n<!-- xeplint-disable-next-element xml-bad-name: x -->\n<p/>\n</xep>\n";
    std::fs::write(dir.path().join("a b.xml"), doc).unwrap();
    let r = run(
        dir.path(),
        &[
            "check",
            "--format",
            "short",
            "--rule",
            "unused-suppression=info",
            "a b.xml",
        ],
        None,
    );
    (dir, r.stdout)
}

#[test]
fn vscode_problem_matcher_reads_short_output() {
    // The doc holds the pattern as a JSON string.
    let in_json = serde_json::to_string(VSCODE_REGEXP).unwrap();
    assert!(
        integration_doc().contains(&format!("\"regexp\": {in_json}")),
        "docs/integrations.md must show {in_json}"
    );
    let re = regex::Regex::new(VSCODE_REGEXP).unwrap();
    let (_dir, out) = short_sample();
    let lines: Vec<_> = out.lines().collect();
    assert!(lines.len() >= 2, "{out}");
    let caps: Vec<_> = lines
        .iter()
        .map(|l| re.captures(l).unwrap_or_else(|| panic!("no match: {l}")))
        .collect();
    let c = caps
        .iter()
        .find(|c| &c[5] == "xml-undefined-entity")
        .expect("the undefined entity");
    assert_eq!(&c[1], "a b.xml");
    assert_eq!(
        (&c[2], &c[3]),
        ("2", "8"),
        "column in characters, not bytes (10)"
    );
    assert_eq!(&c[4], "error");
    assert!(c[6].starts_with("entity `nope` is not defined"));
    let info = caps
        .iter()
        .find(|c| &c[5] == "unused-suppression")
        .expect("the unused suppression");
    assert_eq!((&info[2], &info[3], &info[4]), ("3", "35", "info"));
}

/// The lines of the ```vim block of docs/integrations.md, as written.
fn vim_lines() -> Vec<String> {
    let doc = integration_doc();
    let start = doc
        .find("```vim\n")
        .expect("docs/integrations.md has a ```vim block")
        + 7;
    let end = start + doc[start..].find("```").expect("the ```vim block ends");
    doc[start..end].lines().map(str::to_string).collect()
}

/// The documented Vim lines, in a vimrc, used as a user would: open a file
/// whose path has spaces, `:make`, read the quickfix list. Each entry must
/// hold the file, line, column, type and text of one line of xeplint's short
/// output (Vim's `%c` takes the column as printed).
#[test]
fn vim_make_with_the_documented_lines() {
    let lines = vim_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("setlocal makeprg=xeplint\\ check\\ --format\\ short\\ %:S")),
        "docs/integrations.md must quote the file name with %:S: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("let &l:errorformat = '{VIM_ERRORFORMAT}'"))),
        "docs/integrations.md must show the errorformat: {lines:?}"
    );
    let vim_ok = std::process::Command::new("vim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !vim_ok {
        common::missing("vim");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("xeplint.toml"),
        "[rules]\nunused-suppression = \"info\"\n",
    )
    .unwrap();
    let folder = dir.path().join("my xeps");
    std::fs::create_dir(&folder).unwrap();
    let doc = "<xep>\n<p>ünï &nope;</p>\n<!-- xeplint-disable-next-element xml-bad-name: x -->\n<p/>\n<p>a & b</p>\n</xep>\n";
    std::fs::write(folder.join("a b's.xml"), doc).unwrap();
    let file = "my xeps/a b's.xml";
    let expected = run(dir.path(), &["check", "--format", "short", file], None).stdout;
    assert!(expected.lines().count() >= 3, "{expected}");

    let mut vimrc = String::from("set nocompatible\nfiletype on\n");
    for l in &lines {
        vimrc.push_str(l);
        vimrc.push('\n');
    }
    std::fs::write(dir.path().join("vimrc"), vimrc).unwrap();
    let result = dir.path().join("qf.txt");
    let bin = Path::new(env!("CARGO_BIN_EXE_xeplint")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let status = std::process::Command::new("vim")
        .current_dir(dir.path())
        .env("PATH", path)
        .args(["-N", "-u", "vimrc", "-i", "NONE", "-n", "-es"])
        .arg(file)
        .args(["-c", "silent make"])
        .arg("-c")
        .arg(format!(
            "call writefile(map(getqflist(), {{_, e -> bufname(e.bufnr) . '|' . e.lnum . '|' . e.col . '|' . e.type . '|' . e.valid . '|' . e.text}}), '{}')",
            result.display()
        ))
        .args(["-c", "qa!"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let qf = std::fs::read_to_string(&result).unwrap_or_default();
    let got: Vec<&str> = qf.lines().collect();
    let want: Vec<String> = expected
        .lines()
        .map(|l| {
            // FILE:LINE:COL: SEVERITY[rule]: message
            let rest = l
                .strip_prefix(file)
                .and_then(|r| r.strip_prefix(':'))
                .unwrap();
            let mut parts = rest.splitn(3, ':');
            let (line, col) = (parts.next().unwrap(), parts.next().unwrap());
            let tail = parts.next().unwrap().trim_start();
            let (severity, text) = tail.split_at(tail.find('[').unwrap());
            format!("{file}|{line}|{col}|{}|1|{text}", &severity[..1])
        })
        .collect();
    assert_eq!(
        got, want,
        "the quickfix list (vim) against xeplint's short output"
    );
    // The three kinds, where xeplint puts them.
    assert!(
        want.iter()
            .any(|w| w.starts_with(&format!("{file}|2|8|e|1|[xml-undefined-entity]"))),
        "{want:?}"
    );
    assert!(
        want.iter()
            .any(|w| w.starts_with(&format!("{file}|3|35|i|1|[unused-suppression]"))),
        "{want:?}"
    );
}

// ---------------------------------------------------------------- baseline

#[test]
fn baseline_accepts_old_findings_and_reports_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xeplint.toml"), "").unwrap();
    let doc = "<xep>\n<header><title>T</title></header>\n<p>&a;</p>\n<p>&b;</p>\n</xep>\n";
    std::fs::write(dir.path().join("d.xml"), doc).unwrap();
    let short = |args: &[&str]| {
        let mut a = vec!["check", "--format", "short"];
        a.extend_from_slice(args);
        run(dir.path(), &a, None)
    };
    let before = short(&["d.xml"]);
    let n = before.stdout.lines().count();
    assert!(n >= 2, "{}", before.stdout);
    let w = short(&["--write-baseline", "b.json", "./d.xml"]);
    assert_eq!((w.code, w.stdout.as_str()), (0, ""));
    assert!(
        w.stderr.contains(&format!("wrote {n} finding(s)")),
        "{}",
        w.stderr
    );
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b.json")).unwrap()).unwrap();
    assert_eq!(b["version"], 1);
    assert_eq!(
        b["entries"][0]["file"], "d.xml",
        "`./` is not part of the key"
    );

    let after = short(&["--baseline", "b.json", "d.xml"]);
    assert_eq!((after.code, after.stdout.as_str()), (0, ""));

    // Lines above move everything; a second `&a;` in the same paragraph is new.
    let moved = doc
        .replace("<header>", "\n\n\n<header>")
        .replace("<p>&a;</p>", "<p>&a; &a;</p>");
    std::fs::write(dir.path().join("d.xml"), moved).unwrap();
    let after = short(&["--baseline", "b.json", "d.xml"]);
    assert_eq!(after.code, 1);
    let lines: Vec<_> = after.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", after.stdout);
    assert_eq!(
        lines[0],
        "d.xml:6:8: error[xml-undefined-entity]: entity `a` is not defined"
    );

    // Usage errors.
    let r = short(&["--baseline", "missing.json", "d.xml"]);
    assert_eq!(r.code, 2);
    let r = short(&[
        "--baseline",
        "b.json",
        "--write-baseline",
        "c.json",
        "d.xml",
    ]);
    assert_eq!(r.code, 2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

#[test]
fn baseline_on_the_corpus_survives_inserted_lines() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        common::missing("../shared/corpus");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("xeps");
    copy_dir(&corpus, &work);
    std::fs::write(work.join("xeplint.toml"), "").unwrap();
    let short = |args: &[&str]| {
        let mut a = vec!["check", "--format", "short"];
        a.extend_from_slice(args);
        run(&work, &a, None)
    };

    let all = short(&["."]);
    assert_ne!(all.code, 2, "{}", all.stderr);
    let findings = all.stdout.lines().count();
    let w = short(&["--write-baseline", "baseline.json", "."]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    assert!(
        w.stderr.contains(&format!("wrote {findings} finding(s)")),
        "{}",
        w.stderr
    );
    let again = short(&["--baseline", "baseline.json", "."]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.stdout
    );

    // Ten lines at the top of a header, and one new defect further down.
    let name = "xep-0045.xml";
    let path = work.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let header = text.find("<header>").expect("a header") + "<header>".len();
    let padding: String = (1..=10)
        .map(|i| format!("\n<!-- inserted line {i} -->"))
        .collect();
    let mut edited = format!("{}{padding}{}", &text[..header], &text[header..]);
    let section = edited.find("<section1").expect("a section");
    let p = section + edited[section..].find("<p>").expect("a paragraph") + "<p>".len();
    edited.insert_str(p, "&xeplint-undefined; ");
    std::fs::write(&path, &edited).unwrap();
    let line = edited[..p].lines().count();
    let column = edited[..p].rsplit('\n').next().unwrap().chars().count() + 1;

    let after = short(&["--baseline", "baseline.json", "."]);
    let lines: Vec<_> = after.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "exactly the new defect:\n{}", after.stdout);
    assert_eq!(
        lines[0],
        format!(
            "{name}:{line}:{column}: error[xml-undefined-entity]: entity `xeplint-undefined` is not defined"
        )
    );
    assert_eq!(after.code, 1);
    // Without the baseline, the moved findings of that file are still there.
    let file_only = short(&[name]);
    assert!(file_only.stdout.lines().count() >= 1);
}
