//! Recorded expansions of a shared file's entities, kept with the file (see
//! [`crate::load::ExtFile`]): what the parser copies into a document instead
//! of parsing an entity's text again (`xml/parser/replay.rs`).

use crate::source::Span;
use crate::xml::tree::{Attribute, Element, Expansion, NodeKind};
use foldhash::HashMap;

/// The nodes clean expansions of a file's shared entities added, kept with
/// the file (`ExtFile::replays`) and copied into later documents that
/// reference the same entity: parsing its text again would give the same.
///
/// Every recorded expansion of the file sits in the same few pools, reserved
/// large up front: they grow without leaving holes between the documents'
/// own allocations, and only what is written takes memory.
#[derive(Debug, Default)]
pub struct ReplayStore {
    /// Recorded expansions by the index of the entity's declaration.
    pub(crate) index: HashMap<usize, Replay>,
    pub(crate) nodes: Vec<ReplayNode>,
    /// Text of the text and CDATA nodes; their [`TextRef`]s point here.
    pub(crate) text: String,
    /// Attributes of the elements; their [`AttrRange`]s point here.
    pub(crate) attrs: Vec<Attribute>,
    /// Each recorded expansion first (its reference is the one a replay
    /// replaces), then those nested in it.
    pub(crate) expansions: Vec<Expansion>,
    /// Set by [`ReplayStore::close`]: nothing is recorded any more.
    pub(crate) closed: bool,
}

/// One recorded expansion: where it sits in the pools, and what it takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replay {
    pub(crate) nodes: (usize, usize),
    /// The strings of its nodes, one block: their [`TextRef`]s count from
    /// its start.
    pub(crate) text: (usize, usize),
    pub(crate) expansions: (usize, usize),
    /// What the expansion counted against the document's budget.
    pub(crate) cost: usize,
    /// How deep its elements nest (1: elements with no element inside).
    pub(crate) depth: usize,
    /// The entity depth limit it was recorded under.
    pub(crate) max_entity_depth: usize,
}

#[derive(Debug)]
pub(crate) struct ReplayNode {
    pub(crate) kind: NodeKind,
    /// From the expansion's first node; `None`: the element holding the
    /// reference.
    pub(crate) parent: Option<u32>,
    pub(crate) span: Span,
    /// From the expansion's first expansion.
    pub(crate) origin: u32,
}

/// What one file keeps in recorded expansions at most, in bytes.
pub(crate) const MAX_REPLAY_BYTES: usize = 8 * 1024 * 1024;

impl ReplayStore {
    /// Release every recorded expansion and record no more: documents
    /// still to come parse the file's entities instead.
    pub fn close(&mut self) {
        *self = ReplayStore {
            closed: true,
            ..ReplayStore::default()
        };
    }

    /// Whether [`ReplayStore::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn attributes(&self, e: &Element) -> &[Attribute] {
        let (start, len) = e.attributes.bounds();
        self.attrs.get(start..start + len).unwrap_or(&[])
    }

    /// Bytes held, roughly.
    pub(crate) fn size(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<ReplayNode>()
            + self.text.len()
            + self.attrs.len() * std::mem::size_of::<Attribute>()
            + self.expansions.len() * std::mem::size_of::<Expansion>()
    }

    /// Room for the first recordings: past glibc's mmap threshold as set by
    /// the CLI, so pages are committed only as they are written.
    pub(crate) fn reserve(&mut self) {
        const BYTES: usize = 256 * 1024;
        if self.nodes.capacity() == 0 {
            self.nodes
                .reserve(BYTES / std::mem::size_of::<ReplayNode>().max(1));
            self.text.reserve(BYTES);
            self.attrs
                .reserve(BYTES / std::mem::size_of::<Attribute>().max(1));
            self.expansions
                .reserve(BYTES / std::mem::size_of::<Expansion>().max(1));
        }
    }

    /// How long each pool is: [`ReplayStore::truncate`] goes back to it.
    pub(crate) fn lens(&self) -> [usize; 4] {
        [
            self.nodes.len(),
            self.text.len(),
            self.attrs.len(),
            self.expansions.len(),
        ]
    }

    /// Drop what a failed recording added since `lens`.
    pub(crate) fn truncate(&mut self, [nodes, text, attrs, expansions]: [usize; 4]) {
        self.nodes.truncate(nodes);
        self.text.truncate(text);
        self.attrs.truncate(attrs);
        self.expansions.truncate(expansions);
    }
}
