//! What a test does when something it needs from outside the repository is
//! missing (the XEP corpus in `../shared/corpus`, `xmllint`, `vim`, …).
//! Included by the integration tests (`mod common;`) and by the crate's unit
//! tests (`src/lib.rs`), so both behave the same.

/// `what` is missing: with `XEPLINT_REQUIRE_ALL=1` (set by `.ci/run`) the
/// test fails, so CI can never pass without running it; otherwise it says
/// what it skips, and the caller returns (local runs without the corpus or
/// the tools still pass).
pub fn missing(what: &str) {
    if std::env::var_os("XEPLINT_REQUIRE_ALL").is_some_and(|v| v == "1") {
        panic!("{what} is missing and XEPLINT_REQUIRE_ALL=1: CI must have it");
    }
    eprintln!("skipped: {what} is missing (XEPLINT_REQUIRE_ALL=1 makes this an error)");
}

/// Runs the test `module::name` of this test binary alone, in a fresh copy
/// of the binary, with the variable `ALONE` set; returns its output. For
/// tests that measure the process (its peak memory): the other tests of the
/// binary, running beside them, would count in the figure. `module` is the
/// caller's `module_path!()`. The caller checks `std::env::var_os(ALONE)` to
/// know whether it is that copy.
#[allow(
    dead_code,
    reason = "used by the integration tests, not the unit tests"
)]
pub fn run_alone(module: &str, name: &str) -> std::process::Output {
    // libtest names a test by its path without the crate's name.
    let path = match module.split_once("::") {
        Some((_, m)) => format!("{m}::{name}"),
        None => name.to_string(),
    };
    let me = std::env::current_exe().expect("the test binary");
    std::process::Command::new(me)
        .args([&path, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .expect("run the test binary")
}

/// Set in the copy of the test binary that [`run_alone`] starts.
#[allow(
    dead_code,
    reason = "used by the integration tests, not the unit tests"
)]
pub const ALONE: &str = "XEPLINT_TEST_ALONE";

/// Wait for `child` (spawned, and never waited on through std) for at most
/// `limit`, then kill it and fail. Returns its wait status and its resource
/// use, as `wait4` gives them: std's `wait` would not give `ru_maxrss`, the
/// child's peak memory.
#[cfg(unix)]
#[allow(
    dead_code,
    reason = "used by the integration tests, not the unit tests"
)]
pub fn wait4(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> (i32, libc::rusage) {
    let pid = child.id() as libc::pid_t;
    let start = std::time::Instant::now();
    let mut status = 0;
    // SAFETY: `rusage` is plain integers, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is a child of this process not reaped yet (never
        // waited on through std); both pointers are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            return (status, usage);
        }
        assert_eq!(reaped, 0, "wait4: {}", std::io::Error::last_os_error());
        if start.elapsed() > limit {
            let _ = child.kill();
            // SAFETY: as above; reaps the killed child.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
