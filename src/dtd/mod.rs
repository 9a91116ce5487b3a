//! DTDs: declarations, compiled content models, validation.

pub mod cache;
pub mod compile;
pub mod decl;
pub mod rules;
pub mod validate;
pub mod values;
