//! DTDs: declarations, compiled content models, validation.

pub mod decl;
pub mod rules;
pub mod validate;
