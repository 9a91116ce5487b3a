//! xeplint: parse and validate XMPP Extension Protocol (XEP) sources.

pub mod baseline;
pub mod batch;
pub mod check;
pub mod config;
#[macro_use]
pub mod diag;
pub mod dtd;
pub mod finish;
pub mod fix;
pub mod gate;
pub mod generation;
pub mod limits;
pub mod load;
pub mod model;
pub mod policy;
pub mod repo;
pub mod report;
pub mod rules;
pub mod server;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod values;
pub mod walk;
pub mod xml;

/// What a unit test does when the corpus it needs is missing: the same
/// helper as the integration tests' (`XEPLINT_REQUIRE_ALL=1` makes it fail).
#[cfg(test)]
#[path = "../tests/it/common.rs"]
mod test_common;
