//! XML: the tree with spans and the parser that builds it.

pub mod fragment;
pub mod parser;
pub mod recorded;
pub mod rules;
pub mod tree;

pub use parser::{DtdRef, Limits, ParseOptions, Parsed, parse_document};
pub use tree::{Attribute, Doctype, Element, ExpId, Expansion, Node, NodeId, NodeKind, Tree};
