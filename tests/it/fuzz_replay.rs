//! Replays the fuzzing corpus (`fuzz/corpus/TARGET/`) and every input that
//! once crashed a fuzz target (`fuzz/regressions/TARGET/`) through the same
//! code the fuzz targets run, without a fuzzer: each must pass the target's
//! checks (no panic, spans inside their files, documented rule ids) quickly.
//!
//! `XEPLINT_REPLAY=DIR` replays `DIR/TARGET/*` as well (e.g. fresh fuzzer
//! artifacts sorted into target folders).

use crate::harness;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TARGETS: [&str; 5] = ["parse", "dtd", "check", "config", "human"];

fn inputs(root: &Path, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(root: &Path, budget: Duration) -> usize {
    let project = tempfile::tempdir().expect("tempdir");
    harness::setup(project.path());
    let mut failures = Vec::new();
    let mut count = 0;
    for target in TARGETS {
        for file in inputs(root, target) {
            let data = std::fs::read(&file).expect("read input");
            let start = Instant::now();
            let result = std::panic::catch_unwind(|| match target {
                "parse" => harness::parse(project.path(), &data),
                "dtd" => harness::dtd(&data),
                "config" => harness::config(project.path(), &data),
                "human" => harness::human(&data),
                _ => harness::check(project.path(), &data),
            });
            let took = start.elapsed();
            count += 1;
            if result.is_err() {
                failures.push(format!("{target}: {} panicked", file.display()));
            } else if took > budget {
                failures.push(format!(
                    "{target}: {} took {took:?} (over {budget:?})",
                    file.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    count
}

/// Release builds must answer each input within a second; debug builds are
/// slower, so they get more.
fn budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(1)
    }
}

#[test]
fn corpus_and_regressions_replay() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for target in TARGETS {
        assert!(
            !inputs(&fuzz.join("corpus"), target).is_empty(),
            "fuzz/corpus/{target}/ holds no input"
        );
    }
    let seeds = replay(&fuzz.join("corpus"), budget());
    let regressions = replay(&fuzz.join("regressions"), budget());
    eprintln!("replayed {seeds} corpus inputs and {regressions} regressions");
    if let Some(dir) = std::env::var_os("XEPLINT_REPLAY") {
        let n = replay(Path::new(&dir), budget());
        eprintln!("replayed {n} inputs from {}", Path::new(&dir).display());
    }
}
