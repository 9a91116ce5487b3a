//! Documentation of the validity diagnostics (`dtd-…`).

use crate::rules::RuleInfo;

pub static RULES: &[RuleInfo] = &[];
