//! The integration tests, in one binary: one link instead of one per file
//! keeps a clean `cargo test` short (issue 17). Each module is one former
//! `tests/NAME.rs`; run one with `cargo test --test it NAME::`.

mod binary;
mod common;
#[path = "../../fuzz/harness.rs"]
#[allow(dead_code)]
mod harness;

mod change;
mod cli;
mod config;
mod differential;
mod docs;
mod dtd_snapshots;
mod fix;
mod fixtures_declared;
mod formats;
mod fuzz_replay;
mod hostile;
#[cfg(target_os = "linux")]
mod memory;
mod nvim;
mod readme;
mod replay;
mod repo_seeded;
mod rules;
#[cfg(target_os = "linux")]
mod security;
mod server;
mod streaming;
mod structure;
mod wellformed;
mod xsf_conformance;
