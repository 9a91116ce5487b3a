//! DTDs: declarations, compiled content models, validation.

pub mod decl;
