//! Recorded expansions of shared entities: the nodes a clean expansion of an
//! entity of `xep.ent` added to one document, copied into the next documents
//! that reference it instead of parsing its text again.

use super::*;
use crate::xml::recorded::{MAX_REPLAY_BYTES, Replay, ReplayNode, ReplayStore};
use std::sync::RwLock;

/// The parse state an expansion starts from, for [`Parser::record`].
pub(super) struct Mark {
    nodes: usize,
    /// Length of the tree's text arena.
    text: usize,
    expansions: usize,
    diags: usize,
    errors: usize,
    expanded: usize,
    parent: Option<NodeId>,
    depth: usize,
}

impl Parser<'_> {
    /// Where the parse stands before an expansion that may be recorded.
    pub(super) fn mark(&mut self) -> Mark {
        self.expansion.taint = false;
        Mark {
            nodes: self.tree.nodes.len(),
            text: self.tree.text_len(),
            expansions: self.tree.expansions.len(),
            diags: self.diags.len(),
            errors: self.errors,
            expanded: self.expansion.bytes,
            parent: self.stack.last().copied(),
            depth: self.stack.len(),
        }
    }

    /// Keep the expansion made since `m` for the entity declared at `decl`
    /// of `file`, when it was clean: no diagnostic, no limit reached, nothing
    /// that depends on the document (see `taint`).
    pub(super) fn record(&self, replays: &RwLock<ReplayStore>, decl: usize, m: &Mark) {
        if self.abort
            || self.truncated
            || self.expansion.taint
            || self.diags.len() != m.diags
            || self.errors != m.errors
            || self.stack.len() != m.depth
            || self.pending.is_some()
        {
            return;
        }
        let mut store = replays.write().unwrap_or_else(|e| e.into_inner());
        if store.closed || store.index.contains_key(&decl) || store.size() > MAX_REPLAY_BYTES {
            return;
        }
        store.reserve();
        let lens = store.lens();
        match self.record_into(&mut store, m) {
            Some(replay) => {
                store.index.insert(decl, replay);
            }
            None => store.truncate(lens),
        }
    }

    pub(super) fn record_into(&self, store: &mut ReplayStore, m: &Mark) -> Option<Replay> {
        let tree = &self.tree;
        let rel = |i: usize, base: usize| u32::try_from(i.checked_sub(base)?).ok();
        let first_node = store.nodes.len();
        let first_exp = store.expansions.len();
        // Every string the expansion's nodes hold was stored after the mark:
        // they are copied as one block, and refer to it from its start.
        let first_text = store.text.len();
        store.text.push_str(tree.text_from(m.text));
        let text_end = tree.text_len();
        let text = |t: TextRef| t.relative_to(m.text, text_end);
        let mut depth_max = 0;
        let mut depths: Vec<usize> = Vec::new();
        for n in tree.nodes.get(m.nodes..)? {
            let (parent, depth) = match n.parent {
                Some(p) if Some(p) == m.parent && p.index() < m.nodes => (None, 0),
                Some(p) => {
                    let k = rel(p.index(), m.nodes)?;
                    (Some(k), depths.get(k as usize)? + 1)
                }
                None => return None,
            };
            depths.push(depth);
            let origin = rel(n.origin?.index(), m.expansions)?;
            let kind = match n.kind {
                NodeKind::Element(mut e) => {
                    depth_max = depth_max.max(depth + 1);
                    let start = store.attrs.len();
                    for a in tree.attributes(&e) {
                        store.attrs.push(Attribute {
                            name: text(a.name)?,
                            value: text(a.value)?,
                            ..*a
                        });
                    }
                    e.name = text(e.name)?;
                    e.attributes = AttrRange::new(start, store.attrs.len() - start);
                    NodeKind::Element(e)
                }
                NodeKind::Text(t) => NodeKind::Text(text(t)?),
                NodeKind::CData(t) => NodeKind::CData(text(t)?),
                NodeKind::Comment(t) => NodeKind::Comment(text(t)?),
                NodeKind::Pi { target, data } => NodeKind::Pi {
                    target: text(target)?,
                    data: text(data)?,
                },
            };
            store.nodes.push(ReplayNode {
                kind,
                parent,
                span: n.span,
                origin,
            });
        }
        for (k, e) in tree.expansions.get(m.expansions..)?.iter().enumerate() {
            let parent = match e.parent {
                None if k == 0 => None,
                Some(p) if k > 0 => Some(ExpId::from_index(rel(p.index(), m.expansions)? as usize)),
                _ => return None,
            };
            store.expansions.push(Expansion {
                name: e.name.clone(),
                reference: e.reference,
                definition: e.definition,
                parent,
            });
        }
        Some(Replay {
            nodes: (first_node, store.nodes.len()),
            text: (first_text, store.text.len()),
            expansions: (first_exp, store.expansions.len()),
            cost: self.expansion.bytes.checked_sub(m.expanded)?,
            depth: depth_max,
            max_entity_depth: self.opts.limits.max_entity_depth,
        })
    }

    /// Add the recorded expansion of the entity declared at `decl` of `file`
    /// for the reference at `span`; false (and nothing done) when there is
    /// none, or this document's limits or declarations would make the
    /// expansion differ: it is parsed instead.
    pub(super) fn replay(
        &mut self,
        replays: &RwLock<ReplayStore>,
        decl: usize,
        span: Span,
    ) -> bool {
        let store = replays.read().unwrap_or_else(|e| e.into_inner());
        let Some(r) = store.index.get(&decl).copied() else {
            return false;
        };
        let (Some(nodes), Some(block), Some(expansions)) = (
            store.nodes.get(r.nodes.0..r.nodes.1),
            store.text.get(r.text.0..r.text.1),
            store.expansions.get(r.expansions.0..r.expansions.1),
        ) else {
            return false;
        };
        let limits = &self.opts.limits;
        if self.expansion.bytes.saturating_add(r.cost) > self.budget()
            || self.stack.is_empty()
            || self.stack.len() + r.depth > limits.max_depth
            || r.max_entity_depth != limits.max_entity_depth
        {
            return false;
        }
        // Nested references must find the same declarations here.
        for e in expansions.iter().skip(1) {
            let same = match self.lookup(&e.name) {
                Some(ent @ EntRef::Shared(..)) => {
                    ent.decl().map(|d| d.name_span) == Some(e.definition)
                }
                _ => false,
            };
            if !same {
                return false;
            }
        }
        self.flush_text();
        self.expansion.bytes += r.cost;
        let e0 = self.tree.expansions.len();
        for (k, e) in expansions.iter().enumerate() {
            self.tree.expansions.push(Expansion {
                name: e.name.clone(),
                reference: if k == 0 { span } else { e.reference },
                definition: e.definition,
                parent: e.parent.map(|p| ExpId::from_index(e0 + p.index())),
            });
        }
        let n0 = self.tree.nodes.len();
        let top = self.stack.last().copied();
        let base = self.tree.add_block(block);
        for n in nodes {
            let kind = match n.kind {
                NodeKind::Element(mut e) => {
                    let start = self.tree.attr_count();
                    for a in store.attributes(&e) {
                        self.tree.add_attr(Attribute {
                            name: a.name.moved_by(base),
                            value: a.value.moved_by(base),
                            ..*a
                        });
                    }
                    e.name = e.name.moved_by(base);
                    e.attributes = self.tree.attrs_since(start);
                    NodeKind::Element(e)
                }
                NodeKind::Text(t) => NodeKind::Text(t.moved_by(base)),
                NodeKind::CData(t) => NodeKind::CData(t.moved_by(base)),
                NodeKind::Comment(t) => NodeKind::Comment(t.moved_by(base)),
                NodeKind::Pi { target, data } => NodeKind::Pi {
                    target: target.moved_by(base),
                    data: data.moved_by(base),
                },
            };
            let parent = match n.parent {
                Some(k) => Some(NodeId::from_index(n0 + k as usize)),
                None => top,
            };
            let origin = Some(ExpId::from_index(e0 + n.origin as usize));
            self.tree.push(Node::new(kind, parent, n.span, origin));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recordings of a file whose folder no document to come is in are
    /// released; documents that still use the file parse its entities, with
    /// the same result.
    #[test]
    fn replays_closed_outside_the_coming_folders() {
        use crate::check::{Input, Options, Session};
        let dir = tempfile::tempdir().expect("temp dir");
        for f in ["a", "b"] {
            let folder = dir.path().join(f);
            std::fs::create_dir(&folder).expect("mkdir");
            std::fs::write(folder.join("e.ent"), "<!ENTITY x \"<p n='1'>x</p>\">").expect("write");
            let doc = "<!DOCTYPE r [<!ENTITY % e SYSTEM 'e.ent'> %e;]>\n<r>&x;<q>&x;</q></r>\n";
            std::fs::write(folder.join("d.xml"), doc).expect("write");
        }
        let session = Session::new(Options::default());
        // The tree with its strings resolved and the findings as printed:
        // neither depends on the ids the files were given.
        let check = |f: &str| {
            let input = Input::file(dir.path().join(f).join("d.xml"));
            let parsed = session.parse(&input).expect("readable");
            let tree = &parsed.tree;
            let nodes: Vec<String> = tree
                .nodes
                .iter()
                .map(|n| {
                    let kind = match &n.kind {
                        NodeKind::Element(e) => {
                            let attrs: Vec<(&str, &str)> = tree
                                .attributes(e)
                                .iter()
                                .map(|a| (tree.str(a.name), tree.str(a.value)))
                                .collect();
                            format!(
                                "<{}> {attrs:?} {:?}",
                                tree.name(e),
                                e.end_span().map(|s| s.start)
                            )
                        }
                        NodeKind::Text(t) => format!("text {:?}", tree.str(*t)),
                        other => format!("{other:?}"),
                    };
                    format!(
                        "{kind} {}..{} {:?} {:?}",
                        n.span.start, n.span.end, n.parent, n.origin
                    )
                })
                .collect();
            let report = session.check(&input);
            let shown =
                crate::report::short::render(std::slice::from_ref(&report), &session.snapshot());
            (nodes, shown)
        };
        let store = |f: &str| {
            let ent = session
                .loader
                .load(
                    &session
                        .gate()
                        .admit_named(&dir.path().join(f).join("e.ent"))
                        .expect("admitted"),
                    String::new(),
                )
                .expect("loaded");
            let s = ent.replays.read().expect("lock");
            (s.index.len(), s.is_closed())
        };
        let first = check("a");
        check("b");
        assert_eq!(store("a"), (1, false), "a's expansion was recorded");
        session
            .loader
            .close_replays_outside(&[dir.path().join("b")]);
        assert_eq!(store("a"), (0, true), "released");
        assert_eq!(store("b"), (1, false), "kept: documents to come are in b");
        assert_eq!(check("a"), first, "parsed again, the same");
        assert_eq!(store("a"), (0, true), "nothing recorded after closing");
    }
}
