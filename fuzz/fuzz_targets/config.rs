#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod xeplint_fuzz_harness;

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folder the configuration is in (created once per fuzzing process;
/// nothing is written in it).
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("xeplint-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("create the folder");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    xeplint_fuzz_harness::config(dir(), data);
});
