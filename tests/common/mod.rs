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
