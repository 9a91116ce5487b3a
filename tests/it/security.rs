//! The security findings, each proved fixed by running the real binary as a
//! user (or CI) would, plus in-process checks through the library where
//! those are the natural way.
//!
//! Canaries: every project built here has a folder `outside/` beside its
//! root, holding files whose every line would be quoted by some output
//! format if xeplint read them ([`canary_decls`], [`canary_doc`]); every run
//! of the binary has `XEPLINT_CANARY=CANARY-ENV-91b2` as its only
//! environment variable, so `/proc/self/environ` starts with it. Neither
//! canary may appear on standard output or standard error, in any of the
//! five formats. Positive controls (the same files inside the root, or
//! `/proc/self/environ` named on purpose) show that a read would be seen.
//!
//! Sections, one per finding:
//! 1. reads outside the project, shown in output
//! 2. panics (wide lines, standard error full or closed, stdout closed)
//! 3. costs bounded
//! 4. output that cannot be hijacked
//! 5. failed writes
//! 6. wrong results on unusual but valid input
//! 7. the class: random project trees, every read inside the root

use crate::common;

use std::ffi::OsStr;
use std::io::{BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------ helpers

/// The secret of a file outside the project root.
const CANARY_FILE: &str = "CANARY-TOKEN-7f3a";
/// The secret in the environment of every run (`XEPLINT_CANARY`).
const CANARY_ENV: &str = "CANARY-ENV-91b2";
/// The same kind of secret in a file inside the root: positive controls.
const CANARY_INSIDE: &str = "CANARY-INSIDE-3c1d";

const FORMATS: [&str; 5] = ["human", "short", "json", "sarif", "github"];
const TEXT_FORMATS: [&str; 3] = ["human", "short", "github"];

/// Time any run of the binary may take before it counts as hung. Debug
/// build, two cores shared with other work: generous on purpose.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Time a cost case may take. These guard against quadratic blow-ups
/// (minutes, or never), they are not benchmarks: each case takes well under
/// a second in a debug build on an idle machine, and 20 s leaves room for
/// two shared cores and a busy CI runner.
const COST_LIMIT: Duration = Duration::from_secs(20);

/// Declarations whose every line ends up in some output if read: as an
/// entity file `&leak;` is defined (a link to `#&leak;` then quotes it in
/// every format); as a DTD `<x>` must hold a `<TOKEN>` (quoted by
/// `dtd-content`); and the last line is a syntax error shown in a snippet.
fn canary_decls(token: &str) -> String {
    format!("<!ENTITY leak \"{token}\">\n<!ELEMENT x ({token})>\n{token}\n")
}

/// A document that, if checked, quotes `token` in every format (an
/// internal link to an anchor that does not exist).
fn canary_doc(token: &str) -> String {
    format!(
        "<xep><section1 topic='a' anchor='b'><p><link url='#{token}'>x</link></p></section1></xep>\n"
    )
}

/// A document using `leak` from whatever `system_dtd` / `system_ents` name.
fn doc_naming(system_dtd: Option<&str>, system_ents: Option<&str>) -> String {
    let dtd = system_dtd.map_or(String::new(), |s| format!(" SYSTEM '{s}'"));
    let ents = system_ents.map_or(String::new(), |s| {
        format!(" [<!ENTITY % ents SYSTEM '{s}'> %ents;]")
    });
    format!("<!DOCTYPE x{dtd}{ents}>\n<x><link url='#&leak;'/></x>\n")
}

/// A project: `top/p` (the root, with `.git`) and `top/outside` holding the
/// canaries: `secret.ent` ([`canary_decls`]) and `secret.xml`
/// ([`canary_doc`]). Paths are canonical.
struct Project {
    _dir: tempfile::TempDir,
    top: PathBuf,
    root: PathBuf,
    outside: PathBuf,
}

fn project() -> Project {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = std::fs::canonicalize(dir.path()).expect("canonical");
    let root = top.join("p");
    let outside = top.join("outside");
    std::fs::create_dir_all(root.join(".git")).expect(".git");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret.ent"), canary_decls(CANARY_FILE)).expect("write");
    std::fs::write(outside.join("secret.xml"), canary_doc(CANARY_FILE)).expect("write");
    Project {
        _dir: dir,
        top,
        root,
        outside,
    }
}

impl Project {
    /// Write `rel` (inside the root), making its folders.
    fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        write_file(&self.root.join(rel), bytes.as_ref())
    }

    /// A symbolic link at `at` (inside the root) to `target`.
    fn link(&self, target: impl AsRef<Path>, at: impl AsRef<Path>) {
        let at = self.root.join(at);
        if let Some(parent) = at.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        symlink(target, &at).expect("symlink");
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(path, bytes).expect("write");
    path.to_path_buf()
}

/// `../` `n` times.
fn ups(n: usize) -> String {
    "../".repeat(n)
}

/// The binary, run from `cwd` with only the canary in its environment.
fn xeplint(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xeplint"));
    c.current_dir(cwd)
        .env_clear()
        .env("XEPLINT_CANARY", CANARY_ENV);
    c
}

/// A finished run.
struct Out {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    took: Duration,
}

impl Out {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    fn both(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }

    /// For failure messages: status, then the output, cut.
    fn show(&self) -> String {
        let mut all = self.both();
        if all.len() > 6000 {
            let mut cut = 6000;
            while !all.is_char_boundary(cut) {
                cut -= 1;
            }
            all.truncate(cut);
            all.push_str("\n[…]");
        }
        format!("status {:?} after {:?}\n{all}", self.status, self.took)
    }
}

/// Wait for `child` (its pipes, if any, read and `stdin` written on other
/// threads); kill it and fail after `limit`.
fn wait_for(mut child: Child, stdin: Option<Vec<u8>>, limit: Duration, what: &str) -> Out {
    let start = Instant::now();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let feeder = child.stdin.take().map(|mut pipe| {
        std::thread::spawn(move || {
            // The child may stop reading (that is what a limit does).
            let _ = pipe.write_all(&stdin.unwrap_or_default());
        })
    });
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    Out {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        took,
    }
}

/// Run `cmd` with piped output, and `stdin` (else nothing) as input.
fn run_cmd(mut cmd: Command, stdin: Option<Vec<u8>>, limit: Duration) -> Out {
    let what = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("run xeplint");
    wait_for(child, stdin, limit, &what)
}

/// `xeplint ARGS` from `cwd`.
fn run<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> Out {
    let mut c = xeplint(cwd);
    c.args(args);
    run_cmd(c, None, RUN_LIMIT)
}

/// `xeplint check --format FORMAT ARGS` from `cwd`.
fn check<S: AsRef<OsStr>>(cwd: &Path, format: &str, args: &[S]) -> Out {
    let mut c = xeplint(cwd);
    c.args(["check", "--format", format]).args(args);
    run_cmd(c, None, RUN_LIMIT)
}

/// Neither canary in the output, and no panic.
fn assert_no_canary(out: &Out, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for canary in [CANARY_FILE, CANARY_ENV] {
            assert!(
                !contains(bytes, canary.as_bytes()),
                "{what}: {canary} on {stream}\n{}",
                out.show()
            );
        }
    }
    assert_no_panic(out, what);
}

fn assert_no_panic(out: &Out, what: &str) {
    assert!(
        out.status.signal().is_none() && !matches!(out.code(), Some(101 | 134)),
        "{what}: crashed\n{}",
        out.show()
    );
    assert!(!out.both().contains("panicked"), "{what}\n{}", out.show());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `check` in every format: no canary in any, and the text formats clean
/// ([`assert_clean_text`]). Returns each format's run.
fn all_formats<S: AsRef<OsStr>>(cwd: &Path, args: &[S], what: &str) -> Vec<(&'static str, Out)> {
    FORMATS
        .iter()
        .map(|&f| {
            let out = check(cwd, f, args);
            let what = format!("{what} ({f})");
            assert_no_canary(&out, &what);
            if TEXT_FORMATS.contains(&f) {
                assert_clean_text(f, &out, &what);
            }
            (f, out)
        })
        .collect()
}

fn format_out<'a>(runs: &'a [(&str, Out)], format: &str) -> &'a Out {
    &runs
        .iter()
        .find(|(f, _)| *f == format)
        .expect("format run")
        .1
}

/// An annotation line as xeplint writes it: the command, then `file=` and
/// (for a finding) its position, then `title=`, then `::` and the message.
/// Text from documents is escaped in the message, and `:` and `,` in the
/// properties, so an injected command cannot take this shape (it would lack
/// `title=`).
const ANNOTATION: &str = r"^::(error|warning|notice) file=[^,:]*(,line=\d+,col=\d+,endLine=\d+,endColumn=\d+)?,title=[a-z0-9-]+::";

/// Output a terminal or a log reader can take at face value: UTF-8, no
/// control character but line feed and tab (no ESC, BEL, bare CR, C1), no
/// bidi override or isolate, and no line that starts (after blanks) with
/// `::`, a GitHub workflow command, except in the github format the
/// annotations xeplint writes itself ([`ANNOTATION`]), which are then every
/// line of standard output.
fn assert_clean_text(format: &str, out: &Out, what: &str) {
    let annotation = regex::Regex::new(ANNOTATION).expect("regex");
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = std::str::from_utf8(bytes)
            .unwrap_or_else(|e| panic!("{what}: {stream} is not UTF-8 ({e})\n{}", out.show()));
        for (n, line) in text.split('\n').enumerate() {
            let bad = line.chars().find(|&c| {
                (c.is_control() && c != '\t')
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            });
            assert!(
                bad.is_none(),
                "{what}: {stream} line {} holds {bad:?}: {line:?}",
                n + 1
            );
            let github_stdout = format == "github" && stream == "stdout";
            if github_stdout && !line.is_empty() {
                assert!(
                    annotation.is_match(line),
                    "{what}: not an annotation of xeplint's: {line:?}"
                );
            } else {
                assert!(
                    !line.trim_start().starts_with("::"),
                    "{what}: {stream} line {} reads as a workflow command: {line:?}",
                    n + 1
                );
            }
        }
    }
}

fn json(out: &Out) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e})\n{}", out.show()))
}

/// Peak resident memory (kB) and result of a child, reaped by
/// [`common::wait4`] (std's `wait` would not give `ru_maxrss`).
#[allow(
    clippy::zombie_processes,
    reason = "reaped by `wait4`, not through std"
)]
fn wait4_with_peak(
    mut child: Child,
    stdin: impl FnOnce(std::process::ChildStdin) + Send + 'static,
) -> (Out, u64) {
    let start = Instant::now();
    let feeder = child
        .stdin
        .take()
        .map(|p| std::thread::spawn(move || stdin(p)));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let (status, usage) = common::wait4(&mut child, RUN_LIMIT, "xeplint");
    let took = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let out = Out {
        status: ExitStatus::from_raw(status),
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
        took,
    };
    (out, usage.ru_maxrss as u64)
}

// ============================================================= 1. reads outside the project

/// Positive control for the environment canary: `/proc/self/environ`
/// named on purpose is read (a file named on the command line, outside any
/// project, is the user's choice) and its text shows in the human format's
/// snippet. So, had any case below read it, the canary would show.
#[test]
fn control_environ_read_on_purpose_shows_the_env_canary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = check(dir.path(), "human", &["/proc/self/environ"]);
    assert!(out.stdout().contains(CANARY_ENV), "{}", out.show());
}

/// Finding 1a: A committed folder link (`docs -> .h/1/2/3/4/5/6/7`) plus `..`
/// in a SYSTEM id: every count of `..` from the link's real folder and from the
/// folder as written, then the path to the canary (or `/proc/self/environ`), as
/// the DTD and as `%ents;`. Nothing is read; what reaches the canary as the
/// operating system resolves it is refused as leading outside the root.
#[test]
fn system_ids_through_a_folder_link_and_dotdot_are_refused() {
    let p = project();
    let real = p.root.join(".h/1/2/3/4/5/6/7");
    std::fs::create_dir_all(&real).expect("folders");
    p.link(".h/1/2/3/4/5/6/7", "docs");
    let secret = p.outside.join("secret.ent");
    let environ = Path::new("/proc/self/environ");
    let mut ids: Vec<String> = Vec::new();
    for target in [secret.as_path(), environ] {
        // From the real folder (as the OS resolves `..`) and from `p/docs`
        // (as `..` reads lexically): every count of `..` that lands above
        // the target, then the rest of its path.
        for from in [real.clone(), p.root.join("docs")] {
            for (n, base) in from.ancestors().enumerate().skip(1) {
                if let Ok(rest) = target.strip_prefix(base) {
                    ids.push(format!("{}{}", ups(n), rest.display()));
                }
            }
        }
        let abs = target.strip_prefix("/").expect("absolute").display();
        ids.push(format!("{}{abs}", ups(10)));
        ids.push(format!("{}{abs}", ups(40)));
    }
    ids.sort();
    ids.dedup();
    // The SYSTEM ids that do reach a canary from the real folder: those must
    // be refused (the others lead nowhere; either way nothing is read).
    let reaching: Vec<&String> = ids
        .iter()
        .filter(|id| {
            std::fs::canonicalize(real.join(id.as_str()))
                .is_ok_and(|t| t == secret || t.starts_with("/proc"))
        })
        .collect();
    assert!(
        reaching.iter().any(|id| id.ends_with("secret.ent"))
            && reaching.iter().any(|id| id.ends_with("environ")),
        "the SYSTEM ids must reach the canaries: {reaching:?}"
    );
    for (i, id) in ids.iter().enumerate() {
        write_file(
            &real.join(format!("dtd{i:02}.xml")),
            doc_naming(Some(id), None).as_bytes(),
        );
        write_file(
            &real.join(format!("ent{i:02}.xml")),
            doc_naming(None, Some(id)).as_bytes(),
        );
    }
    // Positive control: the same way (the link, then `..`) to a file inside
    // the root is followed, and its token shows in every format.
    p.write("inside.ent", canary_decls(CANARY_INSIDE));
    write_file(
        &real.join("control.xml"),
        doc_naming(None, Some(&format!("{}inside.ent", ups(8)))).as_bytes(),
    );
    let runs = all_formats(
        &p.root,
        &["docs", ".", "docs/dtd00.xml"],
        "folder link and ..",
    );
    for (f, out) in &runs {
        assert!(
            out.stdout().contains(CANARY_INSIDE),
            "control ({f}): the inside file was not shown\n{}",
            out.show()
        );
    }
    let short = format_out(&runs, "short").stdout();
    for (i, id) in ids.iter().enumerate() {
        if !reaching.contains(&id) {
            continue;
        }
        for doc in [format!("docs/dtd{i:02}.xml"), format!("docs/ent{i:02}.xml")] {
            let refused = short.lines().any(|l| {
                l.starts_with(&format!("{doc}:"))
                    && l.contains("[xml-external-refused]")
                    && l.contains("leads outside the project root")
            });
            assert!(refused, "{doc} ({id}): no refusal\n{short}");
        }
    }
}

/// Finding 1b: A document that is itself a link to the canary outside, or to
/// `/proc/self/environ`: named on the command line and found by walking `.`, it
/// is not read (exit 2, "leads outside the project root").
#[test]
fn documents_linking_outside_are_not_read() {
    let p = project();
    p.link(p.outside.join("secret.xml"), "leak.xml");
    p.link("/proc/self/environ", "env.xml");
    p.link("../outside/secret.xml", "rel.xml");
    for args in [&["leak.xml"][..], &["env.xml"], &["rel.xml"], &["."]] {
        let what = format!("{args:?}");
        for (f, out) in all_formats(&p.root, args, &what) {
            assert_eq!(out.code(), Some(2), "{what} ({f})\n{}", out.show());
            assert!(
                out.both().contains("leads outside the project root"),
                "{what} ({f})\n{}",
                out.show()
            );
        }
    }
    // Positive control: the same document inside the root shows its token.
    p.write("ctl/inside.xml", canary_doc(CANARY_INSIDE));
    for f in FORMATS {
        let out = check(&p.root, f, &["ctl"]);
        assert!(
            out.stdout().contains(CANARY_INSIDE),
            "control ({f})\n{}",
            out.show()
        );
    }
}

/// Finding 1c: Paths in a committed `xeplint.toml` leading outside: each a
/// usage error (exit 2) naming the key; nothing of the file shown.
#[test]
fn config_paths_outside_the_project_are_usage_errors() {
    let p = project();
    p.write("doc.xml", doc_naming(None, None));
    let cases = [
        ("dtd", "/etc/passwd".to_string()),
        ("entities", "/proc/self/environ".to_string()),
        ("entities", "../../..".to_string()),
        ("dtd", "../outside/secret.ent".to_string()),
        ("entities", "../outside/secret.ent".to_string()),
        ("dtd", p.outside.join("secret.ent").display().to_string()),
    ];
    for (key, value) in &cases {
        p.write("xeplint.toml", format!("{key} = \"{value}\"\n"));
        let what = format!("{key} = {value}");
        for (f, out) in all_formats(&p.root, &["doc.xml"], &what) {
            assert_eq!(out.code(), Some(2), "{what} ({f})\n{}", out.show());
            let err = out.stderr();
            assert!(err.contains(&format!("`{key}`")), "{what} ({f}): {err}");
            assert!(!out.both().contains("root:x:0"), "{what} ({f}): {err}");
            assert!(out.stdout.is_empty(), "{what} ({f})\n{}", out.show());
        }
    }
    // Positive control: a file inside, as `entities` and as `dtd`, is used
    // and its token shows.
    p.write("inside.ent", canary_decls(CANARY_INSIDE));
    for key in ["entities", "dtd"] {
        p.write("xeplint.toml", format!("{key} = \"inside.ent\"\n"));
        let doc = if key == "entities" {
            "<!DOCTYPE x [<!ENTITY % ents SYSTEM 'none.ent'> %ents;]>\n<x><link url='#&leak;'/></x>\n"
        } else {
            "<!DOCTYPE x>\n<x/>\n"
        };
        p.write("doc.xml", doc);
        let out = check(&p.root, "short", &["doc.xml"]);
        assert!(
            out.stdout().contains(CANARY_INSIDE),
            "control {key}\n{}",
            out.show()
        );
    }
}

/// Finding 1d: An `xeplint.toml` in a folder above the repository (which has
/// `.git`) is not the repository's configuration: its `ignore = ["**"]` does
/// not make `xeplint check .` inside the repository skip its files.
#[test]
fn config_above_the_repository_is_not_used() {
    let p = project();
    write_file(&p.top.join("xeplint.toml"), b"ignore = [\"**\"]\n");
    p.write("a.xml", "<x>&nope;</x>\n");
    let out = check(&p.root, "short", &["."]);
    assert_eq!(out.code(), Some(1), "{}", out.show());
    assert!(
        out.stdout()
            .contains("a.xml:1:4: error[xml-undefined-entity]"),
        "{}",
        out.show()
    );
    // Control: the same configuration inside the repository does skip it.
    p.write("xeplint.toml", "ignore = [\"**\"]\n");
    let out = check(&p.root, "short", &["."]);
    assert_eq!(out.code(), Some(0), "control\n{}", out.show());
    assert!(!out.stdout().contains("a.xml"), "control\n{}", out.show());
}

// ================================================================ 2. panics

/// Finding 2a: The human format with a finding past display column
/// 65 535: 70 000 characters, 20 000 tabs (four columns each), 33 000 CJK
/// characters (two columns each) before the error. Exit 1, no line over 400
/// characters, and the position right in `--format short`.
#[test]
fn findings_past_column_65535() {
    let p = project();
    let cases = [
        (
            "wide.xml",
            "a".repeat(70_000) + " ",
            "&",
            "xml-bare-ampersand",
        ),
        (
            "tabs.xml",
            "\t".repeat(20_000),
            "&nope;",
            "xml-undefined-entity",
        ),
        (
            "cjk.xml",
            "中".repeat(33_000),
            "&nope;",
            "xml-undefined-entity",
        ),
    ];
    for (name, before, error, rule) in &cases {
        let text = format!("<x>{before}{error} </x>\n");
        p.write(name, &text);
        let column = "<x>".len() + before.chars().count() + 1;
        let out = check(&p.root, "human", &[name]);
        assert_no_panic(&out, name);
        assert_eq!(out.code(), Some(1), "{name}\n{}", out.show());
        let stdout = out.stdout();
        let longest = stdout.lines().map(|l| l.chars().count()).max();
        assert!(
            longest.is_some_and(|n| n <= 400),
            "{name}: a line of {longest:?} characters"
        );
        assert!(
            stdout.contains(&format!("[{name}:1:{column}]")),
            "{name}: no heading at column {column}"
        );
        let short = check(&p.root, "short", &[name]).stdout();
        assert!(
            short.contains(&format!("{name}:1:{column}: error[{rule}]")),
            "{name}: {short}"
        );
    }
}

/// The cases of 2b that write to standard error: arguments, what standard
/// error says when it can be read, and the exit status.
fn stderr_cases(p: &Project) -> Vec<(Vec<&'static str>, &'static str, i32)> {
    p.write("bad.xml", "<x>&nope;</x>\n");
    vec![
        (
            vec!["check", "--rule", "nope=off", "bad.xml"],
            "unknown rule",
            2,
        ),
        (vec!["check", "--bogus", "bad.xml"], "--bogus", 2),
        (vec!["check", "--jobs", "100000", "bad.xml"], "256", 1),
        (
            vec!["check", "--format", "github", "bad.xml"],
            "checked 1 file",
            1,
        ),
        (vec!["meta", "bad.xml"], "well-formedness", 0),
        (vec!["explain", "nope"], "no rule", 2),
    ]
}

/// Finding 2b: Standard error full (`/dev/full`) or closed (a pipe whose reader
/// is gone) in cases that write to it: a usage error, the `--jobs` note, the
/// github summary, a `meta` warning. No panic; the exit status is the one the
/// case has anyway.
#[test]
fn standard_error_full_or_closed() {
    let p = project();
    for (args, says, code) in stderr_cases(&p) {
        // Control: the case does write to standard error.
        let out = run(&p.root, &args);
        assert!(out.stderr().contains(says), "{args:?}\n{}", out.show());
        assert_eq!(out.code(), Some(code), "{args:?}\n{}", out.show());
        for how in ["/dev/full", "closed"] {
            let mut c = xeplint(&p.root);
            c.args(&args).stdin(Stdio::null()).stdout(Stdio::piped());
            if how == "/dev/full" {
                let full = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .expect("/dev/full");
                c.stderr(Stdio::from(full));
            } else {
                c.stderr(Stdio::piped());
            }
            let mut child = c.spawn().expect("run xeplint");
            drop(child.stderr.take());
            let out = wait_for(child, None, RUN_LIMIT, &format!("{args:?}"));
            let what = format!("{args:?} with standard error {how}");
            assert_no_panic(&out, &what);
            assert_eq!(out.code(), Some(code), "{what}\n{}", out.show());
        }
    }
}

/// Finding 2b: Standard output closed early (`xeplint check … | head -1`) on a
/// folder with many findings: the process exits on its own, quietly.
#[test]
fn standard_output_closed_early() {
    let p = project();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::fs::create_dir_all(p.root.join("copies")).expect("folder");
    for name in ["xep.ent", "xep.dtd"] {
        std::fs::copy(fixtures.join(name), p.root.join("copies").join(name)).expect("copy");
    }
    let docs: Vec<PathBuf> = std::fs::read_dir(fixtures.join("xml"))
        .expect("fixtures/xml")
        .flatten()
        .map(|e| e.path())
        .collect();
    for i in 0..120 {
        for d in &docs {
            let to = p
                .root
                .join(format!("copies/c{i:03}"))
                .join(d.file_name().expect("name"));
            std::fs::create_dir_all(to.parent().expect("parent")).expect("folder");
            std::fs::copy(d, to).expect("copy");
        }
    }
    // Control: the whole output is far more than a pipe holds (64 KiB), so
    // the run below goes on writing after its reader left.
    let all = check(&p.root, "short", &["copies"]);
    assert!(all.stdout.len() > 200_000, "{} bytes", all.stdout.len());
    for format in ["short", "human", "github"] {
        let mut c = xeplint(&p.root);
        c.args(["check", "--format", format, "copies"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("run xeplint");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).expect("read") == 1 && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        assert!(!first.is_empty(), "{format}: no first line");
        drop(stdout);
        let out = wait_for(child, None, RUN_LIMIT, format);
        assert_no_panic(&out, format);
        let err = out.stderr();
        assert!(!err.contains("Broken pipe"), "{format}: {err}");
        assert!(!err.contains("cannot write"), "{format}: {err}");
    }
}

// ============================================================ 3. costs bounded

/// Write `path` through a buffer: the cost cases are megabytes, and the
/// tests run side by side; none holds a whole case in memory.
fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create"));
    fill(&mut w).expect("write");
    w.into_inner().expect("flush");
}

/// `check --format short NAME` in time; its output.
fn costly(p: &Project, name: &str) -> String {
    let mut c = xeplint(&p.root);
    c.args(["check", "--format", "short", name]);
    let out = run_cmd(c, None, COST_LIMIT);
    assert_no_panic(&out, name);
    eprintln!("{name}: {:?}", out.took);
    out.stdout()
}

/// Finding 3: A DTD of ten content models `(a?, a?, …)` of 10 000 particles
/// each (each would need 10⁸ transitions): in time, each reported as too large.
#[test]
fn content_models_with_quadratic_automata() {
    let p = project();
    write_with(&p.root.join("models.dtd"), |w| {
        let model = vec!["a?"; 10_000].join(",");
        for i in 0..10 {
            writeln!(w, "<!ELEMENT m{i} ({model})>")?;
        }
        writeln!(w, "<!ELEMENT a EMPTY>\n<!ELEMENT x (m0)>")
    });
    p.write(
        "models.xml",
        "<!DOCTYPE x SYSTEM 'models.dtd'>\n<x><m0><a/></m0></x>\n",
    );
    let out = costly(&p, "models.xml");
    let too_large = out
        .lines()
        .filter(|l| l.contains("[dtd-limit]") && l.contains("too large to check"))
        .count();
    assert_eq!(too_large, 10, "{out}");
}

/// Finding 3: One ATTLIST of 160 000 attributes (2.8 MB): in time, and used (an
/// attribute it declares passes, one it does not is reported).
#[test]
fn one_attlist_of_160000_attributes() {
    let p = project();
    write_with(&p.root.join("atts.dtd"), |w| {
        write!(w, "<!ELEMENT x EMPTY>\n<!ATTLIST x")?;
        for i in 0..160_000 {
            write!(w, " a{i} CDATA #IMPLIED")?;
        }
        writeln!(w, ">")
    });
    let size = std::fs::metadata(p.root.join("atts.dtd"))
        .expect("atts.dtd")
        .len();
    assert!(size > 2_800_000, "{size}");
    p.write(
        "atts.xml",
        "<!DOCTYPE x SYSTEM 'atts.dtd'>\n<x a159999='1' zz='2'/>\n",
    );
    let out = costly(&p, "atts.xml");
    assert!(out.contains("attribute `zz` is not declared"), "{out}");
    assert!(!out.contains("a159999"), "{out}");
}

/// Finding 3: 400 000 ATTLISTs in a DTD under 16 MiB: in time, `dtd-limit` past
/// 100 000 declarations.
#[test]
fn four_hundred_thousand_attlists() {
    let p = project();
    write_with(&p.root.join("attlists.dtd"), |w| {
        writeln!(w, "<!ELEMENT x EMPTY>")?;
        for i in 0..400_000 {
            writeln!(w, "<!ATTLIST x a{i} CDATA #IMPLIED>")?;
        }
        Ok(())
    });
    let size = std::fs::metadata(p.root.join("attlists.dtd"))
        .expect("dtd")
        .len();
    assert!(size < 16 << 20, "{size}");
    p.write(
        "attlists.xml",
        "<!DOCTYPE x SYSTEM 'attlists.dtd'>\n<x a5='1'/>\n",
    );
    let out = costly(&p, "attlists.xml");
    assert!(
        out.contains("[dtd-limit]: more than 100000 declarations"),
        "{out}"
    );
}

/// Finding 3: Entity declarations filling 15 MB, as the internal subset and as
/// a DTD: in time, `dtd-limit`.
#[test]
fn fifteen_megabytes_of_entity_declarations() {
    let p = project();
    let decls = |w: &mut BufWriter<std::fs::File>| -> std::io::Result<()> {
        let mut n = 0u64;
        let mut i = 0;
        while n < 15_000_000 {
            let line = format!("<!ENTITY e{i} 'v{i}'>\n");
            w.write_all(line.as_bytes())?;
            n += line.len() as u64;
            i += 1;
        }
        Ok(())
    };
    write_with(&p.root.join("subset.xml"), |w| {
        writeln!(w, "<!DOCTYPE x [")?;
        decls(w)?;
        writeln!(w, "]>\n<x>&e1;</x>")
    });
    write_with(&p.root.join("ents.dtd"), decls);
    p.write("dtd.xml", "<!DOCTYPE x SYSTEM 'ents.dtd'>\n<x>&e1;</x>\n");
    p.write(
        "ents.xml",
        "<!DOCTYPE x [<!ENTITY % e SYSTEM 'ents.dtd'> %e;]>\n<x>&e1;</x>\n",
    );
    for name in ["subset.xml", "dtd.xml", "ents.xml"] {
        let out = costly(&p, name);
        assert!(
            out.contains("[dtd-limit]: more than 100000 declarations"),
            "{name}: {out}"
        );
    }
}

/// Finding 3: Standard input of 17 MiB: refused, naming the 16 MiB limit (and
/// not a size it cannot know), exit 2, with a low peak (under 200 MB).
///
/// Linux counts the resident memory of the process that spawns a child in
/// the child's peak (`ru_maxrss`, see tests/it/memory.rs), and this process
/// runs the other cases in parallel (over 150 MB at times). So the child is
/// spawned from a fresh copy of this test binary running only this test
/// (`common::run_alone`), which prints the peak for this one to check.
#[test]
fn seventeen_mib_on_standard_input() {
    if std::env::var_os(common::ALONE).is_some() {
        let (out, peak_kb) = seventeen_mib_child();
        println!("peak-kb={peak_kb} status={:?}", out.code());
        assert_no_panic(&out, "17 MiB stdin");
        assert_eq!(out.code(), Some(2), "{}", out.show());
        let all = out.both();
        assert!(all.contains("over the 16 MiB limit"), "{all}");
        // Only the first 16 MiB and one byte are read: the size is not known.
        assert!(!all.contains("bytes, over"), "a size it cannot know: {all}");
        return;
    }
    let probe = common::run_alone(module_path!(), "seventeen_mib_on_standard_input");
    let probe = Out {
        status: probe.status,
        stdout: probe.stdout,
        stderr: probe.stderr,
        took: Duration::ZERO,
    };
    assert!(probe.status.success(), "the probe failed\n{}", probe.show());
    let peak_kb: u64 = probe
        .stdout()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peak-kb=")?.parse().ok())
        .unwrap_or_else(|| panic!("no peak from the probe\n{}", probe.show()));
    eprintln!("17 MiB on standard input: peak {peak_kb} kB");
    assert!(peak_kb < 200_000, "peak {peak_kb} kB");
}

/// `xeplint check -` fed 17 MiB; its output and peak memory (kB).
fn seventeen_mib_child() -> (Out, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = xeplint(dir.path());
    c.args(["check", "--format", "short", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().expect("run xeplint");
    wait4_with_peak(child, |mut pipe| {
        let chunk = vec![b' '; 1 << 20];
        let _ = pipe.write_all(b"<x>");
        for _ in 0..17 {
            if pipe.write_all(&chunk).is_err() {
                return;
            }
        }
    })
}

/// Finding 3: Standard input without end: read no further than the limit, then
/// refused (exit 2) at once.
#[test]
fn endless_standard_input_is_read_up_to_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = xeplint(dir.path());
    c.args(["check", "--format", "short", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run xeplint");
    let mut pipe = child.stdin.take().expect("stdin");
    // Up to 1 GiB, counting what the child takes before it closes the pipe.
    let feeder = std::thread::spawn(move || {
        let chunk = vec![b' '; 64 << 10];
        let mut taken = 0u64;
        while taken < 1 << 30 && pipe.write_all(&chunk).is_ok() {
            taken += chunk.len() as u64;
        }
        taken
    });
    let out = wait_for(child, None, COST_LIMIT, "endless standard input");
    let taken = feeder.join().expect("feeder");
    eprintln!(
        "endless standard input: {taken} bytes taken in {:?}",
        out.took
    );
    assert_no_panic(&out, "endless stdin");
    assert_eq!(out.code(), Some(2), "{}", out.show());
    assert!(
        out.both().contains("over the 16 MiB limit"),
        "{}",
        out.show()
    );
    // 16 MiB read, and what the pipe held (64 KiB, or up to 1 MiB).
    assert!(taken <= (16 << 20) + (2 << 20), "{taken} bytes taken");
}

/// Finding 3: `-j 100000` is lowered to 256 threads, with a note, and the run
/// ends promptly; `-j 0` is a usage error.
#[test]
fn jobs_are_clamped() {
    let p = project();
    p.write("a.xml", "<x>&nope;</x>\n");
    let mut c = xeplint(&p.root);
    c.args(["check", "--format", "short", "-j", "100000", "a.xml"]);
    let out = run_cmd(c, None, COST_LIMIT);
    assert_no_panic(&out, "-j 100000");
    assert_eq!(out.code(), Some(1), "{}", out.show());
    assert!(out.stderr().contains("using 256 threads"), "{}", out.show());
    let out = check(&p.root, "short", &["-j", "0", "a.xml"]);
    assert_eq!(out.code(), Some(2), "{}", out.show());
}

// ================================================== 4. output that cannot be hijacked

/// Finding 4: Document text and file names that would end a line, start a
/// GitHub workflow command or drive a terminal, quoted by messages, help texts
/// and snippets, and in file names found by walking a folder: the human, short
/// and github outputs are clean ([`assert_clean_text`]); every annotation line
/// is one of xeplint's, one per finding.
#[test]
fn output_cannot_be_hijacked() {
    let p = project();
    let inject = "&#10;::error file=ci.yml,line=1::pwned";
    // A message (the link's target) and a did-you-mean help (the anchor)
    // quoting a line feed.
    p.write(
        "help.xml",
        format!(
            "<xep><section1 topic='a' anchor='anchor-typ{inject}'><p>\
             <link url='#anchor-typo'>x</link> <link url='#x{inject}'>y</link>\
             </p></section1></xep>\n"
        ),
    );
    // A bare CR in a source line with an error, shown in a snippet.
    p.write(
        "cr.xml",
        "<x>a\r::error file=ci.yml,line=1::pwned &nope;</x>\n",
    );
    // Raw ESC and BEL (errors themselves) and a bidi override in text.
    p.write(
        "esc.xml",
        "<x>\u{1b}]0;title\u{7} \u{202e}evil\u{2066} &nope;</x>\n",
    );
    let names: [&[u8]; 3] = [
        b"names/a\n::error file=x::pwned.xml",
        b"names/b\x1b]0;title\x07.xml",
        b"names/\xff\xfe.xml",
    ];
    for name in names {
        p.write(OsStr::from_bytes(name), "<x>&nope;</x>\n");
    }
    let runs = all_formats(&p.root, &["."], "hostile text");
    // The injected text is really there: JSON, which escapes as JSON does,
    // gives it back with its line feeds and ESC.
    let report = json(format_out(&runs, "json"));
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let live = "\n::error file=ci.yml,line=1::pwned";
    let quoting = |key: &str| {
        diagnostics
            .iter()
            .any(|d| d[key].as_str().is_some_and(|m| m.contains(live)))
    };
    assert!(quoting("message"), "no message quotes the line feed");
    assert!(quoting("help"), "no help quotes the line feed");
    let files: Vec<&str> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(files.iter().any(|f| f.contains('\n')), "{files:?}");
    assert!(files.iter().any(|f| f.contains('\u{1b}')), "{files:?}");
    // The file whose name is not UTF-8 is checked, and shown escaped.
    assert!(files.contains(&"names/\\xff\\xfe.xml"), "{files:?}");
    let short = format_out(&runs, "short").stdout();
    assert!(
        short.contains("names/\\xff\\xfe.xml:1:4: error[xml-undefined-entity]"),
        "{short}"
    );
    // One annotation per finding (an injected line would be one more).
    let findings =
        diagnostics.len() + report["summary"]["unreadable"].as_u64().unwrap_or(0) as usize;
    let github = format_out(&runs, "github").stdout();
    assert_eq!(github.lines().count(), findings, "{github}");
    // The snippets show the escapes, not the characters.
    let human = format_out(&runs, "human").stdout();
    for shown in [
        "a\\r::error",
        "\\u{1b}]0;title\\u{7}",
        "\\u{202e}evil\\u{2066}",
    ] {
        assert!(human.contains(shown), "no `{shown}` in\n{human}");
    }
}

// ========================================================== 5. failed writes

/// Finding 5a: Standard output on a full disk (`/dev/full`): exit 2 and a
/// message on standard error, never exit 0, in every format and for every
/// command that prints.
#[test]
fn output_to_a_full_disk() {
    let p = project();
    p.write("bad.xml", "<x>&nope;</x>\n");
    let mut cases: Vec<Vec<&str>> = FORMATS
        .iter()
        .map(|f| vec!["check", "--format", f, "bad.xml"])
        .collect();
    cases.extend([
        vec!["rules"],
        vec!["explain", "internal-link"],
        vec!["meta", "bad.xml"],
        vec!["--help"],
        vec!["--version"],
        vec!["check", "--help"],
    ]);
    for args in cases {
        // Control: the case does print, and does not fail by itself.
        let ok = run(&p.root, &args);
        assert!(
            !ok.stdout.is_empty() && matches!(ok.code(), Some(0 | 1)),
            "{args:?}\n{}",
            ok.show()
        );
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut c = xeplint(&p.root);
        c.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(full))
            .stderr(Stdio::piped());
        let out = wait_for(
            c.spawn().expect("run"),
            None,
            RUN_LIMIT,
            &format!("{args:?}"),
        );
        assert_no_panic(&out, &format!("{args:?}"));
        assert_eq!(out.code(), Some(2), "{args:?}\n{}", out.show());
        assert!(
            out.stderr().contains("No space left"),
            "{args:?}\n{}",
            out.show()
        );
    }
}

/// The names in a folder.
fn listing(dir: &Path) -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    names
}

/// Finding 5b: Rewriting a baseline when the disk is "full" (a file size
/// limit, `RLIMIT_FSIZE`, with `SIGXFSZ` ignored so the write fails with
/// EFBIG): exit 2, the old baseline byte for byte, no temporary file left.
#[test]
fn baseline_rewrite_on_a_full_disk() {
    let p = project();
    p.write("docs/a.xml", "<x>&one;</x>\n");
    let old = check(
        &p.root,
        "short",
        &["--write-baseline", "baseline.json", "docs"],
    );
    assert_eq!(old.code(), Some(0), "{}", old.show());
    let before = std::fs::read(p.root.join("baseline.json")).expect("baseline");
    assert!(before.len() < 4096, "{} bytes", before.len());
    for i in 0..20 {
        p.write(format!("docs/b{i:02}.xml"), "<x>&one;&two;&three;</x>\n");
    }
    let names = listing(&p.root);
    let mut c = xeplint(&p.root);
    c.args(["check", "--write-baseline", "baseline.json", "docs"]);
    // SAFETY: between fork and exec only async-signal-safe calls: signal
    // and setrlimit.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run_cmd(c, None, RUN_LIMIT);
    assert_no_panic(&out, "full disk");
    assert_eq!(out.code(), Some(2), "{}", out.show());
    assert!(
        out.stderr().contains("cannot write baseline"),
        "{}",
        out.show()
    );
    assert_eq!(
        std::fs::read(p.root.join("baseline.json")).expect("baseline"),
        before,
        "the old baseline changed"
    );
    assert_eq!(listing(&p.root), names, "a file was left behind");
    // Control: without the limit the same run rewrites it.
    let out = check(
        &p.root,
        "short",
        &["--write-baseline", "baseline.json", "docs"],
    );
    assert_eq!(out.code(), Some(0), "{}", out.show());
    let after = std::fs::read(p.root.join("baseline.json")).expect("baseline");
    assert!(after.len() > 4096, "control: {} bytes", after.len());
}

/// Finding 5c: `--write-baseline` through a link to a file outside the project:
/// refused, the file outside untouched.
#[test]
fn baseline_through_a_link_outside() {
    let p = project();
    p.write("a.xml", "<x>&nope;</x>\n");
    let target = p.outside.join("secret.ent");
    let before = std::fs::read(&target).expect("secret");
    p.link(&target, "baseline.json");
    p.link("../outside/secret.ent", "relative.json");
    for name in ["baseline.json", "relative.json"] {
        let out = check(&p.root, "short", &["--write-baseline", name, "a.xml"]);
        assert_no_canary(&out, name);
        assert_eq!(out.code(), Some(2), "{name}\n{}", out.show());
        assert!(
            out.stderr().contains("leads outside the project root"),
            "{}",
            out.show()
        );
        assert_eq!(std::fs::read(&target).expect("secret"), before, "{name}");
    }
    assert_eq!(listing(&p.outside), ["secret.ent", "secret.xml"]);
}

// ============================================== 6. wrong results on valid input

/// The short output's lines for `rule`.
fn lines_of(out: &str, rule: &str) -> Vec<String> {
    let tag = format!("[{rule}]");
    out.lines()
        .filter(|l| l.contains(&tag))
        .map(String::from)
        .collect()
}

/// Finding 6: An `xep.ent` that pulls in an entity file beside it: its entities
/// are defined, for a document beside it (a bare name) and one in a subfolder
/// (`../xep.ent`).
#[test]
fn entity_files_including_entity_files() {
    let p = project();
    p.write(
        "xep.ent",
        "<!ENTITY % more SYSTEM 'more.ent'> %more;\n<!ENTITY base 'b'>\n",
    );
    p.write("more.ent", "<!ENTITY fromMore 'm'>\n");
    p.write("doc.xml", doc_with_ents("xep.ent", "&base;&fromMore;"));
    p.write(
        "sub/doc.xml",
        doc_with_ents("../xep.ent", "&base;&fromMore;"),
    );
    // Control: an entity defined nowhere is reported.
    p.write(
        "sub/control.xml",
        doc_with_ents("../xep.ent", "&fromNowhere;"),
    );
    let out = check(
        &p.root,
        "short",
        &["doc.xml", "sub/doc.xml", "sub/control.xml"],
    )
    .stdout();
    let undefined = lines_of(&out, "xml-undefined-entity");
    assert_eq!(undefined.len(), 1, "{out}");
    assert!(undefined[0].starts_with("sub/control.xml:"), "{out}");
    assert!(
        lines_of(&out, "xml-entity-file-missing").is_empty(),
        "{out}"
    );
}

fn doc_with_ents(system: &str, body: &str) -> String {
    format!("<!DOCTYPE x [<!ENTITY % ents SYSTEM '{system}'> %ents;]>\n<x>{body}</x>\n")
}

/// Finding 6: From `a/sub`, checking `../other/doc.xml` that names
/// `../../xep.ent`: the root's `xep.ent` is loaded, not the decoy in `a/sub`
/// (which lacks the entity).
#[test]
fn entity_file_found_from_the_document_not_the_current_folder() {
    let p = project();
    p.write("xep.ent", "<!ENTITY used 'u'>\n");
    p.write("a/sub/xep.ent", "<!ENTITY decoy 'd'>\n");
    p.write("a/other/doc.xml", doc_with_ents("../../xep.ent", "&used;"));
    let sub = p.root.join("a/sub");
    let out = check(&sub, "short", &["../other/doc.xml"]);
    let text = out.stdout();
    assert!(
        lines_of(&text, "xml-undefined-entity").is_empty(),
        "{}",
        out.show()
    );
    assert!(
        lines_of(&text, "xml-entity-file-missing").is_empty(),
        "{}",
        out.show()
    );
    // Control: the decoy really lacks it.
    p.write("a/sub/control.xml", doc_with_ents("xep.ent", "&used;"));
    let out = check(&sub, "short", &["control.xml"]).stdout();
    assert_eq!(lines_of(&out, "xml-undefined-entity").len(), 1, "{out}");
}

/// Whether `xmllint --noout --noent` accepts `path`; `None` when there is
/// no xmllint ([`common::missing`]).
fn xmllint_accepts(path: &Path) -> Option<bool> {
    match Command::new("xmllint")
        .args(["--noout", "--noent"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) => Some(s.success()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            common::missing("xmllint");
            None
        }
        Err(e) => panic!("xmllint: {e}"),
    }
}

/// Finding 6: Entities in attribute values expand all the way: a chain of two
/// entities naming an anchor leaves no `internal-link` finding; a recursive
/// entity, an undefined one and a billion laughs in attribute values are each
/// reported, as xmllint rejects them.
#[test]
fn entities_in_attribute_values() {
    let p = project();
    let chain = "<!DOCTYPE xep [\n<!ENTITY anc '&anc2;'>\n<!ENTITY anc2 'brief'>\n]>\n\
                 <xep><section1 topic='a' anchor='&anc;'><p><link url='#brief'>x</link></p></section1></xep>\n";
    let mut laughs = String::from("<!DOCTYPE x [\n<!ENTITY l0 'lol'>\n");
    for i in 1..10 {
        laughs.push_str(&format!(
            "<!ENTITY l{i} '{}'>\n",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    laughs.push_str("]>\n<x a='&l9;'/>\n");
    let cases = [
        ("chain.xml", chain.to_string(), None),
        (
            "recursive.xml",
            "<!DOCTYPE x [\n<!ENTITY r1 '&r2;'>\n<!ENTITY r2 'a&r1;'>\n]>\n<x a='&r1;'/>\n"
                .to_string(),
            Some("xml-recursive-entity"),
        ),
        (
            "undefined.xml",
            "<!DOCTYPE x []>\n<x a='&undef;'/>\n".to_string(),
            Some("xml-undefined-entity"),
        ),
        ("laughs.xml", laughs, Some("xml-entity-limit")),
    ];
    for (name, text, rule) in &cases {
        let path = p.write(name, text);
        let out = check(&p.root, "short", &[name]).stdout();
        match rule {
            None => {
                assert!(lines_of(&out, "internal-link").is_empty(), "{name}: {out}");
                assert!(!out.contains("[xml-"), "{name}: {out}");
            }
            Some(rule) => {
                let found = lines_of(&out, rule);
                assert!(
                    found.iter().any(|l| l.contains(": error[")),
                    "{name}: no {rule}\n{out}"
                );
            }
        }
        if let Some(accepted) = xmllint_accepts(&path) {
            assert_eq!(accepted, rule.is_none(), "{name}: xmllint disagrees");
        }
    }
    // Control: with the anchor misspelt, the link is reported.
    p.write("control.xml", chain.replace("'brief'", "'brie'"));
    let out = check(&p.root, "short", &["control.xml"]).stdout();
    assert_eq!(lines_of(&out, "internal-link").len(), 1, "{out}");
}

/// Finding 6: A byte order mark is not a column: an error on line 1 after a BOM
/// is at the column it has without one.
#[test]
fn a_byte_order_mark_is_not_a_column() {
    let p = project();
    p.write("plain.xml", "<x>a & b</x>\n");
    p.write("bom.xml", "\u{feff}<x>a & b</x>\n");
    for name in ["plain.xml", "bom.xml"] {
        let short = check(&p.root, "short", &[name]).stdout();
        assert_eq!(
            lines_of(&short, "xml-bare-ampersand"),
            [format!(
                "{name}:1:6: error[xml-bare-ampersand]: `&` must start an entity reference"
            )],
            "{short}"
        );
        let report = json(&check(&p.root, "json", &[name]));
        let at: Vec<(u64, u64)> = report["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "xml-bare-ampersand")
            .map(|d| {
                (
                    d["line"].as_u64().unwrap_or(0),
                    d["column"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(at, [(1, 6)], "{name}");
    }
}

/// Finding 6: A reference to an unparsed (NDATA) entity in content is an error.
#[test]
fn unparsed_entity_in_content() {
    let p = project();
    p.write(
        "ndata.xml",
        "<!DOCTYPE x [\n<!NOTATION gif SYSTEM 'image/gif'>\n\
         <!ENTITY pic SYSTEM 'pic.gif' NDATA gif>\n]>\n<x>&pic;</x>\n",
    );
    let out = check(&p.root, "short", &["ndata.xml"]).stdout();
    assert!(
        out.contains("ndata.xml:5:4: error[xml-unparsed-entity]"),
        "{out}"
    );
    if let Some(accepted) = xmllint_accepts(&p.root.join("ndata.xml")) {
        assert!(!accepted, "xmllint accepts it");
    }
}

/// Finding 6: A conditional section in the internal subset: one `dtd-syntax`
/// error, and no cascade (never closed, text outside the root).
#[test]
fn conditional_section_in_the_internal_subset() {
    let p = project();
    p.write(
        "cond.xml",
        "<!DOCTYPE x [\n<![INCLUDE[ <!ELEMENT x EMPTY> ]]>\n]>\n<x/>\n",
    );
    let out = check(&p.root, "short", &["cond.xml"]).stdout();
    let syntax = lines_of(&out, "dtd-syntax");
    assert_eq!(syntax.len(), 1, "{out}");
    assert!(
        syntax[0].contains("conditional sections are not allowed in the internal subset"),
        "{out}"
    );
    assert!(!out.contains("[xml-"), "{out}");
    assert!(!out.contains("never closed"), "{out}");
    if let Some(accepted) = xmllint_accepts(&p.root.join("cond.xml")) {
        assert!(!accepted, "xmllint accepts it");
    }
}

/// Finding 6: Messages name the right limit and the right source: a 17 MiB
/// document is "over the 16 MiB limit"; a `dtd` from xeplint.toml that cannot
/// be read is "given by `dtd` in xeplint.toml", not `--dtd`.
#[test]
fn messages_name_the_right_limit_and_source() {
    let p = project();
    write_with(&p.root.join("big.xml"), |w| {
        w.write_all(b"<x>")?;
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..17 {
            w.write_all(&chunk)?;
        }
        w.write_all(b"</x>")
    });
    let out = check(&p.root, "short", &["big.xml"]);
    assert_eq!(out.code(), Some(2), "{}", out.show());
    assert!(
        out.stdout().contains("over the 16 MiB limit"),
        "{}",
        out.show()
    );
    std::fs::create_dir_all(p.root.join("folder.dtd")).expect("folder");
    p.write("xeplint.toml", "dtd = \"folder.dtd\"\n");
    p.write("doc.xml", "<!DOCTYPE x SYSTEM 'x.dtd'>\n<x/>\n");
    let out = check(&p.root, "short", &["doc.xml"]);
    let text = out.both();
    assert!(text.contains("given by `dtd` in xeplint.toml"), "{text}");
    assert!(!text.contains("--dtd"), "{text}");
    // The same from the command line says `--dtd`.
    std::fs::remove_file(p.root.join("xeplint.toml")).expect("rm");
    let out = check(&p.root, "short", &["--dtd", "folder.dtd", "doc.xml"]);
    assert!(out.both().contains("given by --dtd"), "{}", out.show());
}

/// Finding 6: A folder that cannot be walked (a link leading out of the root, a
/// folder too deep) is an error in the JSON, SARIF and github outputs too, not
/// only on standard error.
#[test]
fn unwalkable_folders_are_reported_in_every_format() {
    let p = project();
    p.write("d/ok.xml", "<x/>\n");
    p.link(&p.outside, "d/out");
    p.link("../..", "d/up");
    let deep: PathBuf = (0..70).map(|i| format!("f{i}")).collect();
    p.write(Path::new("d").join(&deep).join("deep.xml"), "<x/>\n");
    let runs = all_formats(&p.root, &["d"], "unwalkable folders");
    for (f, out) in &runs {
        assert_eq!(out.code(), Some(2), "{f}\n{}", out.show());
    }
    let unreadable = |file: &str| -> Vec<String> {
        let report = json(format_out(&runs, "json"));
        report["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|e| e["file"].as_str().is_some_and(|f| f.starts_with(file)))
            .filter_map(|e| e["error"].as_str().map(String::from))
            .collect()
    };
    for (file, why) in [
        ("d/out", "leads outside the project root"),
        ("d/up", "leads outside the project root"),
        ("d/f0/", "more than 64 folders deep"),
    ] {
        let errors = unreadable(file);
        assert!(
            errors.iter().any(|e| e.contains(why)),
            "json {file}: {errors:?}"
        );
        let sarif = json(format_out(&runs, "sarif"));
        let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            notes.iter().any(|n| {
                n["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains(file) && t.contains(why))
            }),
            "sarif {file}: {notes:?}"
        );
        let github = format_out(&runs, "github").stdout();
        assert!(
            github
                .lines()
                .any(|l| l.starts_with(&format!("::error file={file}")) && l.contains(why)),
            "github {file}: {github}"
        );
    }
}

// ================================================ 7. the class: random project trees

/// xorshift64*: a small generator with fixed seeds, so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Folders a random tree may have, below its root.
const FOLDERS: [&str; 7] = ["a", "b", "a/c", "a/c/d", ".h/1/2", ".h/1/2/3/4", "b/e"];
/// Names of links.
const LINKS: [&str; 8] = ["l1", "l2", "up", "out", "docs", "x.xml", "y.ent", "z.dtd"];
/// Names of files, inside and outside.
const FILES: [&str; 7] = [
    "xep.ent",
    "xep.dtd",
    "secret.ent",
    "secret.xml",
    "passwd",
    "environ",
    "doc0.xml",
];

/// A random project tree: what was made, for the checks.
struct RandomTree {
    p: Project,
    /// Folders of the root, relative (`""` for the root).
    folders: Vec<String>,
    /// Paths to name on the command line, written under the root.
    named: Vec<PathBuf>,
    /// SYSTEM ids and configuration paths that, as the operating system
    /// resolves them from where they are written, reach a file outside.
    threats: usize,
}

/// A random path: `..`, `.`, folder, link and file names, sometimes
/// absolute (the tree's own outside folder, `/etc`, `/proc/self`), sometimes
/// a URI; often the shape of an attack: a link or folder, some `..`, then
/// `outside/…` (which reaches it when the count of `..` fits: half the time
/// it is made to fit `depth`, the depth below the root of the folder the
/// path is written in).
fn random_path(rng: &mut Rng, p: &Project, depth: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    match rng.below(10) {
        0 => parts.push(p.outside.display().to_string()),
        1 => parts.push(rng.pick(&["/etc", "/proc/self", "/", "/tmp"]).to_string()),
        2 => return format!("file://{}/secret.ent", p.outside.display()),
        3..=5 => {
            let n = match rng.below(4) {
                0 => {
                    parts.push(rng.pick(&LINKS).to_string());
                    rng.below(6)
                }
                1 => {
                    parts.push(rng.pick(&FOLDERS).to_string());
                    rng.below(6)
                }
                _ if rng.chance(50) => depth + 1,
                _ => rng.below(6),
            };
            parts.extend(std::iter::repeat_n("..".to_string(), n));
            parts.push("outside".into());
            let file = rng.pick(&["secret.ent", "xep.ent", "sub/secret.ent", "secret.xml"]);
            parts.push(file.to_string());
            return parts.join("/");
        }
        _ => {}
    }
    for _ in 0..rng.below(7) {
        let part = match rng.below(6) {
            0 | 1 => "..".to_string(),
            2 => ".".to_string(),
            3 => rng.pick(&FOLDERS).to_string(),
            4 => rng.pick(&LINKS).to_string(),
            _ => rng.pick(&["outside", "p", "sub", ".h"]).to_string(),
        };
        parts.push(part);
    }
    parts.push(rng.pick(&FILES).to_string());
    let joined = parts.join("/");
    joined.replace("//", "/")
}

/// Whether a path written in the folder `dir` (real) reaches a file
/// outside `root` as the operating system resolves it, without being
/// absolute or a URI: the threats only a resolution that is wrong lets in.
fn reaches_outside(dir: &Path, written: &str, root: &Path) -> bool {
    !written.starts_with('/')
        && !written.contains(':')
        && std::fs::canonicalize(dir.join(written))
            .is_ok_and(|t| !t.starts_with(root) && t.is_file())
}

fn random_tree(rng: &mut Rng) -> RandomTree {
    let p = project();
    std::fs::create_dir_all(p.outside.join("sub")).expect("outside/sub");
    std::fs::write(p.outside.join("sub/secret.ent"), canary_decls(CANARY_FILE)).expect("write");
    std::fs::write(p.outside.join("xep.ent"), canary_decls(CANARY_FILE)).expect("write");
    if rng.chance(30) {
        // A marker outside must not make it a root through a link.
        std::fs::create_dir_all(p.outside.join(".git")).expect(".git");
    }
    let mut folders = vec![String::new()];
    for _ in 0..1 + rng.below(4) {
        let f = rng.pick(&FOLDERS).to_string();
        std::fs::create_dir_all(p.root.join(&f)).expect("folder");
        if !folders.contains(&f) {
            folders.push(f);
        }
    }
    for f in folders.clone() {
        if rng.chance(50) {
            p.write(Path::new(&f).join("xep.ent"), "<!ENTITY ok 'fine'>\n");
        }
        if rng.chance(30) {
            p.write(Path::new(&f).join("xep.dtd"), "<!ELEMENT x ANY>\n");
        }
    }
    // Links, anywhere in the root, to anywhere.
    for _ in 0..2 + rng.below(6) {
        let at = Path::new(rng.pick(&folders)).join(rng.pick(&LINKS));
        if p.root.join(&at).symlink_metadata().is_ok() {
            continue;
        }
        let target: PathBuf = match rng.below(12) {
            0 => p.root.join(rng.pick(&folders)).join("xep.ent"),
            1 => p.root.join(rng.pick(&folders)),
            2 => p
                .outside
                .join(rng.pick(&["secret.ent", "secret.xml", "xep.ent"])),
            3 => p.outside.clone(),
            4 => PathBuf::from(rng.pick(&["/etc/passwd", "/proc/self/environ", "/etc", "/"])),
            5 => PathBuf::from("nowhere/at/all"),
            6 => PathBuf::from(at.file_name().expect("name")), // itself: a loop
            7 => PathBuf::from(rng.pick(&LINKS)),              // maybe a loop
            8 => PathBuf::from(format!("{}outside", ups(1 + rng.below(8)))),
            9 => PathBuf::from(format!("{}{}", ups(rng.below(8)), rng.pick(&FILES))),
            10 => PathBuf::from(random_path(rng, &p, at.components().count() - 1)),
            _ => p.top.clone(),
        };
        p.link(target, at);
    }
    // Documents naming random SYSTEM ids.
    let mut threats = 0;
    let mut named = Vec::new();
    for i in 0..1 + rng.below(5) {
        let folder = rng.pick(&folders).clone();
        let rel = Path::new(&folder).join(format!("doc{i}.xml"));
        let depth = Path::new(&folder).components().count();
        let dtd = rng.chance(60).then(|| random_path(rng, &p, depth));
        let ents = rng.chance(70).then(|| random_path(rng, &p, depth));
        if p.root.join(&rel).symlink_metadata().is_ok() {
            continue;
        }
        let path = p.write(&rel, doc_naming(dtd.as_deref(), ents.as_deref()));
        let dir = std::fs::canonicalize(path.parent().expect("parent")).expect("canonical");
        threats += dtd
            .iter()
            .chain(&ents)
            .filter(|id| reaches_outside(&dir, id, &p.root))
            .count();
        named.push(rel);
    }
    // The configuration, giving random paths.
    if rng.chance(40) {
        let mut toml = String::new();
        for key in ["entities", "dtd"] {
            if rng.chance(60) {
                let value = random_path(rng, &p, 0);
                threats += usize::from(reaches_outside(&p.root, &value, &p.root));
                toml.push_str(&format!("{key} = \"{value}\"\n"));
            }
        }
        p.write("xeplint.toml", toml);
    }
    // Paths named on the command line: the documents, links, folders, and
    // random paths written below the root.
    for _ in 0..3 {
        let folder = rng.pick(&folders).clone();
        named.push(Path::new(&folder).join(rng.pick(&LINKS)));
        named.push(PathBuf::from(folder));
    }
    RandomTree {
        p,
        folders,
        named,
        threats,
    }
}

/// Check a tree in-process through one audited gate, as `xeplint check`
/// does: the configuration, a walk of the root, the paths named. Returns
/// the paths read and the findings as the short format shows them.
fn check_in_process(t: &RandomTree) -> (Vec<PathBuf>, String) {
    use xeplint::check::{Options, Session};
    use xeplint::gate::Gate;
    use xeplint::walk::Walk;
    let gate = Arc::new(Gate::audited());
    let mut opts = Options::default();
    let config = t.p.root.join("xeplint.toml");
    if config.exists()
        && let Ok(c) = xeplint::config::Config::load(&config, &gate)
    {
        opts.parse.entities = c.entities.clone();
        opts.dtd = c.dtd.clone();
        opts.config = Arc::new(c);
    }
    let session = Session::with_gate(opts, gate.clone());
    let mut reports = Vec::new();
    let mut paths = vec![t.p.root.clone()];
    paths.extend(t.named.iter().map(|n| t.p.root.join(n)));
    for path in &paths {
        // What cannot be walked is an error entry, not a read: skipped here.
        for input in Walk::new(path, &gate).flatten() {
            reports.push(session.check(&input));
        }
    }
    let sources = session.snapshot();
    let shown = xeplint::report::short::render(&reports, &sources);
    (gate.read_so_far(), shown)
}

/// Finding 7: Random project trees (links to inside and outside files and
/// folders, to `/etc/passwd` and `/proc/self/environ`, dangling, loops,
/// relative with `..`, absolute; documents whose SYSTEM ids mix `..`, `.`,
/// folder and link names and absolute parts; random configuration paths): every
/// path read lies inside the canonical root, and no canary shows. The binary,
/// run on five of them (with threats) in every format, shows no canary
/// either.
#[test]
fn random_trees_read_nothing_outside_the_root() {
    let mut threats = 0;
    let mut reads = 0;
    let mut outside_targets = 0;
    let mut binary_runs = 0;
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let t = random_tree(&mut rng);
        threats += t.threats;
        let (read, shown) = check_in_process(&t);
        reads += read.len();
        for path in &read {
            assert!(
                path.starts_with(&t.p.root),
                "seed {seed}: read {} outside {}",
                path.display(),
                t.p.root.display()
            );
        }
        assert!(!shown.contains(CANARY_FILE), "seed {seed}:\n{shown}");
        // Links found leading outside, as the walk sees them.
        outside_targets += t
            .folders
            .iter()
            .flat_map(|f| LINKS.iter().map(move |l| Path::new(f).join(l)))
            .filter(|l| {
                std::fs::canonicalize(t.p.root.join(l)).is_ok_and(|r| !r.starts_with(&t.p.root))
            })
            .count();
        // The binary on the first trees with threats, in every format.
        if binary_runs < 5 && t.threats > 0 {
            binary_runs += 1;
            let mut args: Vec<PathBuf> = vec![PathBuf::from(".")];
            args.extend(t.named.iter().cloned());
            all_formats(&t.p.root, &args, &format!("seed {seed}"));
        }
    }
    eprintln!(
        "300 trees: {reads} reads, {threats} SYSTEM ids or paths reaching outside, {outside_targets} links leading outside"
    );
    // The trees did attack: many ids and links reach outside, and much was
    // read inside (the audit sees reads).
    assert!(threats >= 50, "only {threats} threats");
    assert!(
        outside_targets >= 100,
        "only {outside_targets} links outside"
    );
    assert!(reads >= 300, "only {reads} reads");
    assert_eq!(binary_runs, 5);
}

/// Finding 7: The audit the random trees rely on sees a read outside when one
/// happens: a file named on purpose outside any project is admitted and read
/// (its own root), and listed.
#[test]
fn control_the_audit_lists_what_is_read() {
    let p = project();
    let gate = Arc::new(xeplint::gate::Gate::audited());
    let session = xeplint::check::Session::with_gate(Default::default(), gate.clone());
    let secret = p.outside.join("secret.xml");
    let report = session.check(&xeplint::check::Input::file(&secret));
    assert!(report.read_error.is_none(), "{:?}", report.read_error);
    assert_eq!(gate.read_so_far(), vec![secret.clone()]);
    assert!(!secret.starts_with(&p.root));
}
