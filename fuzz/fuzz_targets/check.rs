#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod xeplint_fuzz_harness;

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A project folder laid out once per fuzzing process.
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("xeplint-fuzz-{}", std::process::id()));
        xeplint_fuzz_harness::setup(&d);
        d
    })
}

fuzz_target!(|data: &[u8]| {
    xeplint_fuzz_harness::check(dir(), data);
});
