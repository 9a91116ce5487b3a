//! The binary's peak memory on hostile documents stays bounded: its peak
//! resident set as the kernel counts it for a child process (`ru_maxrss`,
//! read by `wait4` when the child is reaped), whether it runs for a
//! millisecond or a minute.
//!
//! Linux starts that count from the resident memory of the process that
//! spawns the child (it is carried over the `exec`): the figure is the larger
//! of this test process's and the binary's. Hence the test runs alone in a
//! fresh copy of the test binary (`common::run_alone`), apart from tests that
//! build documents of 50 MB in their process, and writes its big document
//! without holding it.

use crate::common;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Peak resident memory (kB) of `xeplint check` on `path`. Fails when the
/// binary does not find errors in it (exit status 1: the document was read
/// and checked), or takes over a minute.
#[allow(
    clippy::zombie_processes,
    reason = "reaped by `wait4`, not through std"
)]
fn peak_kb(path: &Path) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .args(["check", "--format", "short"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run xeplint");
    let what = format!("xeplint check {}", path.display());
    let (status, usage) = common::wait4(&mut child, Duration::from_secs(60), &what);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 1,
        "{}: xeplint did not exit with status 1 (wait status {status:#x})",
        path.display()
    );
    assert!(usage.ru_maxrss > 0, "no peak memory reported for the child");
    usage.ru_maxrss as u64
}

fn billion_laughs() -> String {
    let mut doc = String::from("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 \"lol\">\n");
    for i in 1..=9 {
        let body = format!("&lol{};", i - 1).repeat(10);
        doc.push_str(&format!("<!ENTITY lol{i} \"{body}\">\n"));
    }
    doc.push_str("]>\n<lolz>&lol9;</lolz>\n");
    doc
}

#[test]
fn memory_stays_bounded() {
    if std::env::var_os(common::ALONE).is_none() {
        let out = common::run_alone(module_path!(), "memory_stays_bounded");
        let text = String::from_utf8_lossy(&out.stderr);
        eprint!("{text}");
        assert!(out.status.success(), "the measuring copy failed:\n{text}");
        assert!(text.contains("peak"), "no figure measured:\n{text}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let write = |name: &str, doc: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, doc).expect("write");
        path
    };
    let big = "x".repeat(100_000);
    let mut cases = vec![
        (write("laughs.xml", &billion_laughs()), 150_000),
        (
            write(
                "quadratic.xml",
                &format!(
                    "<!DOCTYPE q [<!ENTITY big \"{big}\">]>\n<q>{}</q>\n",
                    "&big;".repeat(20_000)
                ),
            ),
            150_000,
        ),
        (
            write(
                "deep.xml",
                &format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000)),
            ),
            100_000,
        ),
    ];
    // 15 MB of text, under the 16 MiB a document may have, written a line
    // at a time. The text is kept by the source map and as a text node.
    let text = dir.path().join("text.xml");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&text).expect("create"));
    out.write_all(b"<x>").expect("write");
    for _ in 0..15_000_000 / 9 {
        out.write_all(b"abcdefgh\n").expect("write");
    }
    out.write_all(b"</x>").expect("write");
    out.into_inner().expect("flush");
    let size = std::fs::metadata(&text).expect("text.xml").len();
    assert!((15_000_000..16 << 20).contains(&size), "{size} bytes");
    // Measured at 35 MB (a debug build): the file's bytes, the text node and
    // some 5 MB for the binary itself.
    cases.push((text, 64 << 10));

    for (path, limit_kb) in cases {
        let kb = peak_kb(&path);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        eprintln!("{name}: peak {kb} kB (limit {limit_kb} kB)");
        assert!(kb < limit_kb, "{name}: {kb} kB over {limit_kb} kB");
    }
}
