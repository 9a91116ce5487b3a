//! Documentation of the well-formedness diagnostics (`xml-…`).

use crate::diag::Severity;
use crate::rules::RuleInfo;

pub static RULES: &[RuleInfo] = &[];

#[allow(dead_code)]
const _SEVERITY: Severity = Severity::Error;
