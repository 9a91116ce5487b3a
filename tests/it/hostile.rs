//! Hostile input: each case is answered with a clear diagnostic, never a
//! panic, in bounded time (and memory: `tests/it/memory.rs`). Documents are
//! checked through the library; paths (devices, FIFOs, links, unreadable
//! files, big folders) through the binary, as a user runs it.

use crate::common;

use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};
use xeplint::check::{Input, Session};
use xeplint::diag::FileReport;
use xeplint::diag::Severity;
use xeplint::source::Sources;

/// Time one case may take: a second in release builds; debug builds are
/// several times slower, so they are measured against a looser bound.
fn budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(1)
    }
}

/// A project folder (with a `.git` marker) holding `files`.
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    for (name, body) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(path, body).expect("write");
    }
    dir
}

struct Checked {
    report: FileReport,
    sources: Sources,
    took: Duration,
}

impl Checked {
    fn rules(&self) -> Vec<&'static str> {
        self.report.diagnostics.iter().map(|d| d.rule).collect()
    }

    fn message(&self, rule: &str) -> String {
        self.report
            .diagnostics
            .iter()
            .find(|d| d.rule == rule)
            .map(|d| d.message.clone())
            .unwrap_or_default()
    }

    fn short(&self) -> String {
        xeplint::report::short::render(std::slice::from_ref(&self.report), &self.sources)
    }
}

/// Check `bytes` as `doc.xml` of a project holding `files`, through the library.
fn check_in(bytes: &[u8], files: &[(&str, &[u8])]) -> Checked {
    let dir = project(files);
    let path = dir.path().join("doc.xml");
    std::fs::write(&path, bytes).expect("write doc");
    let session = Session::new(Default::default());
    let mut input = Input::file(&path);
    input.display = "doc.xml".into();
    let start = Instant::now();
    let report = session.check(&input);
    let took = start.elapsed();
    let sources = session.snapshot();
    // Every output format reads spans: they must be inside their files.
    let _ = xeplint::report::short::render(std::slice::from_ref(&report), &sources);
    Checked {
        report,
        sources,
        took,
    }
}

fn check(bytes: &[u8]) -> Checked {
    check_in(bytes, &[])
}

/// The case answered in time with `rule`, an error.
fn expect_error(case: &str, c: &Checked, rule: &str) {
    assert!(
        c.took < budget(),
        "{case}: took {:?} (budget {:?})",
        c.took,
        budget()
    );
    let d = c.report.diagnostics.iter().find(|d| d.rule == rule);
    assert!(
        d.is_some_and(|d| d.severity == Severity::Error),
        "{case}: expected an error {rule}, got {:?}\n{}",
        c.rules(),
        c.short()
    );
    eprintln!("{case}: {:?}, {}", c.took, c.message(rule));
}

// ----- entity bombs -----

fn billion_laughs(levels: usize, fan_out: usize, leaf: &str) -> String {
    let mut doc = String::from("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n");
    doc.push_str(&format!("<!ENTITY lol0 \"{leaf}\">\n"));
    for i in 1..=levels {
        let body = format!("&lol{};", i - 1).repeat(fan_out);
        doc.push_str(&format!("<!ENTITY lol{i} \"{body}\">\n"));
    }
    doc.push_str(&format!("]>\n<lolz>&lol{levels};</lolz>\n"));
    doc
}

#[test]
fn billion_laughs_is_stopped() {
    let c = check(billion_laughs(9, 10, "lol").as_bytes());
    expect_error("billion laughs", &c, "xml-entity-limit");
}

#[test]
fn empty_entity_fan_out_is_stopped() {
    // Expands to nothing, through a great many expansions.
    let c = check(billion_laughs(6, 64, "").as_bytes());
    expect_error("fan-out of empty entities", &c, "xml-entity-limit");
}

#[test]
fn quadratic_blowup_is_stopped() {
    let big = "x".repeat(100_000);
    let refs = "&big;".repeat(20_000);
    let doc = format!("<!DOCTYPE q [<!ENTITY big \"{big}\">]>\n<q>{refs}</q>\n");
    let c = check(doc.as_bytes());
    expect_error("quadratic blowup", &c, "xml-entity-limit");
}

#[test]
fn quadratic_blowup_in_attribute_values_is_stopped() {
    let big = "y".repeat(100_000);
    let refs = "&big;".repeat(20_000);
    let doc = format!("<!DOCTYPE q [<!ENTITY big \"{big}\">]>\n<q a='{refs}'/>\n");
    let c = check(doc.as_bytes());
    expect_error("quadratic blowup in an attribute", &c, "xml-entity-limit");
}

#[test]
fn parameter_entity_laughs_are_stopped() {
    // Parameter entities may refer to others in an external file: a million
    // expansions (six levels of ten), each declaring an entity, within the
    // nesting limit.
    let mut ent = String::from("<!ENTITY % l0 \"<!ENTITY x 'y'>\">\n");
    for i in 1..=6 {
        let body = format!("%l{};", i - 1).repeat(10);
        ent.push_str(&format!("<!ENTITY % l{i} \"{body}\">\n"));
    }
    ent.push_str("%l6;\n");
    let doc = "<!DOCTYPE x [<!ENTITY % ents SYSTEM 'evil.ent'> %ents;]>\n<x>&x;</x>\n";
    let c = check_in(doc.as_bytes(), &[("evil.ent", ent.as_bytes())]);
    expect_error("parameter-entity laughs", &c, "xml-entity-limit");
}

#[test]
fn many_entity_declarations_and_references() {
    // 20 000 parameter entities that each declare a general entity, and
    // 20 000 references to the last one: a lookup must not walk every
    // declaration made so far.
    let mut ent = String::new();
    for i in 0..20_000 {
        ent.push_str(&format!("<!ENTITY % p{i} \"<!ENTITY e{i} 'v'>\">%p{i};\n"));
    }
    let doc = format!(
        "<!DOCTYPE x [<!ENTITY % ents SYSTEM 'many.ent'> %ents;]>\n<x>{}</x>\n",
        "&e19999;".repeat(20_000)
    );
    let c = check_in(doc.as_bytes(), &[("many.ent", ent.as_bytes())]);
    assert!(c.took < budget(), "{:?}", c.took);
    assert!(!c.short().contains("[xml-"), "{}", c.short());
    eprintln!("20 000 declarations and references: {:?}", c.took);
}

#[test]
fn recursive_entities_are_reported() {
    let doc = "<!DOCTYPE r [\n<!ENTITY a \"x &b; y\">\n<!ENTITY b \"&a;\">\n<!ENTITY self \"&self;\">\n]>\n<r>&a; &self;</r>\n";
    let c = check(doc.as_bytes());
    expect_error("recursive entities", &c, "xml-recursive-entity");
    let n = c
        .report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "xml-recursive-entity")
        .count();
    assert_eq!(n, 2, "{}", c.short());
}

#[test]
fn many_errors_stop_early() {
    let doc = format!("<x>{}</x>", "a & b < c ".repeat(200_000));
    let c = check(doc.as_bytes());
    expect_error("two million bytes of errors", &c, "xml-too-many-errors");
    assert!(
        c.report.diagnostics.len() < 60,
        "{}",
        c.report.diagnostics.len()
    );
}

// ----- size -----

#[test]
fn deep_nesting_is_stopped() {
    let doc = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let c = check(doc.as_bytes());
    expect_error("100 000 nested elements", &c, "xml-depth-limit");
}

#[test]
fn fifteen_megabyte_text_node() {
    let mut doc = String::with_capacity(15 * 1024 * 1024 + 100);
    doc.push_str("<x>");
    let line = "All work and no play makes Jack a dull boy. Ünïcödé — too.\n";
    while doc.len() < 15 * 1024 * 1024 {
        doc.push_str(line);
    }
    doc.push_str("\u{1}</x>");
    let c = check(doc.as_bytes());
    // The one bad character at the very end is found.
    expect_error("15 MB text node", &c, "xml-invalid-char");
}

#[test]
fn documents_over_the_size_limit_are_not_read() {
    let mut doc = vec![b' '; xeplint::limits::MAX_FILE_SIZE as usize + 1];
    doc.splice(0..3, *b"<x>");
    let c = check(&doc);
    assert!(
        c.short()
            .contains("cannot read: it is 16777217 bytes, over the 16 MiB limit"),
        "{}",
        c.short()
    );
}

#[test]
fn ten_thousand_attributes() {
    let mut doc = String::from("<x");
    for i in 0..10_000 {
        doc.push_str(&format!(" a{i}='{i}'"));
    }
    doc.push_str(" a9999='again'/>");
    let c = check(doc.as_bytes());
    expect_error("10 000 attributes", &c, "xml-duplicate-attribute");
    assert_eq!(
        c.report
            .diagnostics
            .iter()
            .filter(|d| d.rule.starts_with("xml-"))
            .count(),
        1
    );
}

// ----- encodings and bytes -----

#[test]
fn invalid_utf8() {
    let c = check(b"<x>caf\xe9 au lait</x>");
    expect_error("invalid UTF-8", &c, "xml-encoding");
    assert!(
        c.message("xml-encoding").contains("byte 6"),
        "{}",
        c.short()
    );
}

fn utf16le(s: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for u in s.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

#[test]
fn utf16_with_and_without_bom() {
    let doc = "<?xml version='1.0' encoding='UTF-16'?><x>hi</x>";
    let c = check(&utf16le(doc, true));
    expect_error("UTF-16 with BOM", &c, "xml-encoding");
    let c = check(&utf16le(doc, false));
    expect_error("UTF-16 without BOM", &c, "xml-encoding");
    let mut be = vec![0xFE, 0xFF];
    for u in doc.encode_utf16() {
        be.extend(u.to_be_bytes());
    }
    let c = check(&be);
    expect_error("UTF-16BE with BOM", &c, "xml-encoding");
}

#[test]
fn nul_bytes() {
    let c = check(b"<x>before\0after</x>");
    expect_error("NUL in text", &c, "xml-invalid-char");
    let c = check(b"<x a='1\x002'/>");
    expect_error("NUL in an attribute value", &c, "xml-invalid-char");
    let c = check(b"\0\0\0\0<x/>");
    assert!(
        c.report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    );
}

#[test]
fn truncated_file() {
    let full = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/xep-0002.xml"))
        .expect("fixture");
    let ent = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/xep.ent"))
        .expect("fixture");
    // Cut at every 97th byte (not splitting characters): never a panic, always an error.
    let text = String::from_utf8(full).expect("UTF-8 fixture");
    let mut cuts = 0;
    for cut in (1..text.len() - 8).step_by(97) {
        if !text.is_char_boundary(cut) {
            continue;
        }
        let c = check_in(&text.as_bytes()[..cut], &[("xep.ent", &ent)]);
        assert!(c.took < budget());
        assert!(
            c.report
                .diagnostics
                .iter()
                .any(|d| d.rule.starts_with("xml-") && d.severity == Severity::Error),
            "cut at {cut}: {}",
            c.short()
        );
        cuts += 1;
    }
    assert!(cuts > 10);
}

#[test]
fn empty_file() {
    let c = check(b"");
    expect_error("empty file", &c, "xml-no-root");
    let c = check(b"\xef\xbb\xbf");
    expect_error("only a byte order mark", &c, "xml-no-root");
}

#[test]
fn binary_file() {
    // A PNG header, then bytes from a simple generator.
    let mut bytes = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    let mut x: u32 = 0x1234_5678;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x >> 24) as u8);
    }
    let c = check(&bytes);
    expect_error("binary file", &c, "xml-encoding");
    // Binary that happens to be valid UTF-8: control characters and no root.
    let ascii: Vec<u8> = bytes.iter().map(|b| b & 0x7F).collect();
    let c = check(&ascii);
    assert!(c.took < budget());
    assert!(
        c.report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error),
        "{}",
        c.short()
    );
}

// ----- SYSTEM ids -----

#[test]
fn system_ids_outside_the_project_are_refused() {
    for (system, why) in [
        ("/etc/passwd", "absolute"),
        ("/proc/self/environ", "absolute"),
        ("/dev/zero", "absolute"),
        (
            "../../../../../../etc/passwd",
            "leads outside the project root",
        ),
        ("http://example.org/xep.ent", "`http:`"),
        ("file:///etc/passwd", "`file:`"),
    ] {
        for doc in [
            format!("<!DOCTYPE x SYSTEM '{system}'>\n<x/>"),
            format!("<!DOCTYPE x [<!ENTITY % ents SYSTEM '{system}'> %ents;]>\n<x/>"),
        ] {
            let c = check(doc.as_bytes());
            expect_error(system, &c, "xml-external-refused");
            let msg = c.message("xml-external-refused");
            assert!(msg.contains(why), "{system}: {msg}");
            // Nothing of the file was read.
            assert!(!c.short().contains("root:"), "{}", c.short());
        }
    }
}

#[cfg(unix)]
#[test]
fn links_and_special_files_as_entity_files_are_not_read() {
    use std::os::unix::fs::symlink;
    let dir = project(&[]);
    let p = dir.path();
    symlink("/dev/zero", p.join("zero.ent")).expect("symlink");
    symlink("/etc/passwd", p.join("passwd.ent")).expect("symlink");
    let mut cases = vec![
        ("zero.ent", "xml-external-refused"),
        ("passwd.ent", "xml-external-refused"),
    ];
    if mkfifo(&p.join("fifo.ent")) {
        cases.push(("fifo.ent", "xml-entity-file-missing"));
    }
    for (name, rule) in cases {
        let doc = format!("<!DOCTYPE x [<!ENTITY % ents SYSTEM '{name}'> %ents;]>\n<x>&a;</x>");
        let path = p.join("doc.xml");
        std::fs::write(&path, &doc).expect("write");
        let session = Session::new(Default::default());
        let start = Instant::now();
        let report = session.check(&Input::file(&path));
        let took = start.elapsed();
        assert!(took < budget(), "{name}: {took:?}");
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.rule == rule)
            .unwrap_or_else(|| panic!("{name}: no {rule} in {:?}", report.diagnostics));
        eprintln!("{name}: {}", d.message);
        if rule == "xml-entity-file-missing" {
            assert!(d.message.contains("not a regular file"), "{}", d.message);
        }
    }
}

/// Make a FIFO at `path`. Every Unix can; should this one not (a file
/// system without FIFOs), the FIFO case is missing: see [`common::missing`].
#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("a path without NUL");
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } == 0 {
        return true;
    }
    let e = std::io::Error::last_os_error();
    common::missing(&format!("a FIFO ({}: {e})", path.display()));
    false
}

// ----- paths given to the binary -----

fn xeplint() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xeplint"));
    c.timeout(Duration::from_secs(60));
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn run(args: &[&std::ffi::OsStr], cwd: &Path) -> Run {
    let start = Instant::now();
    let out = xeplint()
        .args(["check", "--format", "short"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run xeplint");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[cfg(unix)]
#[test]
fn special_paths_on_the_command_line() {
    use std::os::unix::fs::symlink;
    let dir = project(&[("good.xml", b"<x/>")]);
    let p = dir.path();
    symlink("loop", p.join("loop")).expect("symlink");
    symlink("/dev/zero", p.join("zero.xml")).expect("symlink");
    let fifo_made = mkfifo(&p.join("fifo.xml"));
    for (name, expect_in_output) in [
        ("loop", "loop"),
        ("zero.xml", "leads outside the project root"),
        ("/dev/zero", "not a regular file"),
        ("fifo.xml", "not a regular file"),
        ("missing.xml", "missing.xml"),
    ] {
        if name == "fifo.xml" && !fifo_made {
            continue;
        }
        let r = run(&[os(name), os("good.xml")], p);
        assert!(r.took < Duration::from_secs(10), "{name}: {:?}", r.took);
        assert_eq!(r.code, Some(2), "{name}: {}\n{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains(expect_in_output), "{name}: {all}");
        eprintln!("{name}: {}", all.trim());
    }
}

/// A file with mode 000. Root reads any file whatever its mode, so as root
/// there is nothing to test here (and nothing CI could install):
/// [`file_that_fails_to_read`] gives the binary a read error root gets too.
#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: root can read a file with mode 000 (file_that_fails_to_read runs)");
        return;
    }
    let dir = project(&[("secret.xml", b"<x/>"), ("good.xml", b"<x/>")]);
    let p = dir.path();
    let secret = p.join("secret.xml");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    assert!(
        std::fs::read(&secret).is_err(),
        "this user is not root but can read a file with mode 000"
    );
    let r = run(&[os("secret.xml"), os("good.xml")], p);
    assert_eq!(r.code, Some(2), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("secret.xml"), "{}", r.stdout);
    // Walking a folder: reported, and the rest still checked.
    let r = run(&[os(".")], p);
    assert_eq!(r.code, Some(2), "{}\n{}", r.stdout, r.stderr);
    let _ = std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644));
}

/// A file that cannot be read, whoever runs the test: `/proc/self/mem`, as
/// the binary opens it, is a regular file (of size 0) it may open, but
/// reading its first byte fails (address 0 is never mapped). Answered as an
/// unreadable file is: named, exit status 2, and the other files checked.
#[cfg(target_os = "linux")]
#[test]
fn file_that_fails_to_read() {
    use std::os::unix::fs::symlink;
    let dir = project(&[("other.xml", b"<x>")]);
    let p = dir.path();
    symlink("/proc/self/mem", p.join("secret.xml")).expect("symlink");
    for args in [&[os("secret.xml"), os("other.xml")][..], &[os(".")]] {
        let r = run(args, p);
        assert_eq!(r.code, Some(2), "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("secret.xml:1:1: error[io]: cannot read"),
            "{args:?}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("other.xml:1:1: error[xml-unclosed-tag]"),
            "{args:?}: {}",
            r.stdout
        );
    }
}

#[cfg(unix)]
#[test]
fn symlink_loop_inside_a_folder() {
    use std::os::unix::fs::symlink;
    let dir = project(&[("docs/a.xml", b"<x>&undefined;</x>")]);
    let p = dir.path();
    symlink("..", p.join("docs/up")).expect("symlink");
    symlink("self", p.join("docs/self")).expect("symlink");
    let r = run(&[os("docs")], p);
    assert!(r.took < Duration::from_secs(10), "{:?}", r.took);
    // a.xml is checked once; the loops are not followed forever.
    let found = r
        .stdout
        .lines()
        .filter(|l| l.contains("a.xml") && l.contains("[xml-undefined-entity]"))
        .count();
    assert_eq!(found, 1, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn twenty_thousand_files_in_sorted_order() {
    let dir = project(&[]);
    let docs = dir.path().join("many");
    std::fs::create_dir(&docs).expect("folder");
    // Created in a scrambled order; each has one error so each is listed.
    let n = 20_000usize;
    for k in 0..n {
        let i = (k * 7919) % n;
        std::fs::write(docs.join(format!("f{i:05}.xml")), b"<x>").expect("write");
    }
    let r = run(&[os("many")], dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let files: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("[xml-unclosed-tag]"))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(files.len(), n, "{}", r.stderr);
    let mut sorted = files.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(files, sorted, "not listed in sorted order");
    assert!(files[0].ends_with("f00000.xml") && files[n - 1].ends_with("f19999.xml"));
    eprintln!("20 000 files in {:?}", r.took);
    assert!(r.took < Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 10 }));
}
