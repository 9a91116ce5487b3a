//! Validation of a parsed document against its DTD.

use crate::check::Options;
use crate::diag::Diagnostic;
use crate::load::Loader;
use crate::xml::Parsed;

/// Compiled DTDs of a run, shared by every document.
#[derive(Debug, Default)]
pub struct DtdCache {}

impl DtdCache {
    /// Validate `parsed` against the DTD it names (or `--dtd`, or the bundled
    /// one) and return the `dtd-…` diagnostics.
    pub fn validate(
        &self,
        _loader: &Loader,
        _options: &Options,
        _parsed: &Parsed,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }
}
