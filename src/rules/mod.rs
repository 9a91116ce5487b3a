//! Rules: the registry of every diagnostic id, with its documentation, and the
//! XEP rules (one file per rule) that read the typed model.

use crate::diag::Severity;

/// What `xeplint rules` lists and `xeplint explain` prints.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// Default severity (some rules lower it for documents in a closed status).
    pub severity: Severity,
    /// One line: what is checked.
    pub summary: &'static str,
    /// Markdown in three parts: what it checks, why it matters, an example.
    pub doc: &'static str,
}

/// Every rule id xeplint can emit, in the order `xeplint rules` lists them.
pub fn registry() -> Vec<&'static RuleInfo> {
    let mut all: Vec<&'static RuleInfo> = Vec::new();
    all.extend(crate::xml::rules::RULES.iter());
    all.extend(crate::dtd::rules::RULES.iter());
    all.extend(crate::suppress::RULES.iter());
    all
}

/// The rule with this id.
pub fn lookup(id: &str) -> Option<&'static RuleInfo> {
    registry().into_iter().find(|r| r.id == id)
}
