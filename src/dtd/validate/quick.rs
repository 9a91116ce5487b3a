//! The pass over valid documents: most documents have nothing to report,
//! and a cheap pass over the tree with the DTD's rows (one table of
//! transitions for every content model) says so without the walk that
//! explains what is wrong. It pays: without it the corpus takes about 17 %
//! more instructions (bench/README.md). Tests compare both ways on every
//! kind of content (`shortcuts_agree_with_the_general_path`).

use super::*;

impl Validator<'_> {
    /// Whether [`Validator::walk`] would report nothing. One pass over the
    /// elements it visits (those under the root, through the same child
    /// links), each reached as a child of its parent: every element is
    /// declared, with a deterministic model, attributes that need no finding
    /// and record no ID ([`Validator::element_ok`]), and content that fits
    /// its parent's model, checked whatever the damage (which only narrows
    /// what the walk checks). With no ID recorded and no IDREF to check,
    /// [`Validator::check_idrefs`] reports nothing either. Anything unusual
    /// (a child link that leads nowhere, more children than nodes) answers
    /// `false`, leaving the decision to the walk.
    ///
    /// Content is stepped through [`CompiledDtd::rows`], the kind of
    /// content read in [`Quick::mode`]; an element whose content has
    /// nothing left to check once it fits its parent (no child at all, or
    /// one text node in mixed content, as `<p>text</p>`) is not visited on
    /// its own. (Inlined where it is called: as a function of its own, or
    /// with the checks below in functions of their own, it took more
    /// instructions, for values kept on the stack.)
    pub(super) fn all_valid(&self, root: NodeId) -> bool {
        let nodes = self.tree.nodes.as_slice();
        let rows = self.dtd.rows();
        let Some(NodeKind::Element(el)) = nodes.get(root.index()).map(|n| &n.kind) else {
            return false;
        };
        let Some((sym, q)) = self.element_ok(el) else {
            return false;
        };
        let mut stack: Vec<(NodeId, Sym, Quick)> = Vec::with_capacity(64);
        stack.push((root, sym, q));
        let mut budget = nodes.len();
        while let Some((id, sym, q)) = stack.pop() {
            let Some(node) = nodes.get(id.index()) else {
                return false;
            };
            let (mut row, mode) = (q.row, q.mode);
            let mut next = node.first_child;
            if next.is_some() && mode & NOTHING != 0 {
                return false; // EMPTY, and a child
            }
            // The children, as `Tree::children` lists them.
            while let Some(c) = next {
                budget = match budget.checked_sub(1) {
                    Some(b) => b,
                    None => return false,
                };
                let Some(cn) = nodes.get(c.index()) else {
                    return false;
                };
                next = cn.next_sibling;
                let e = match &cn.kind {
                    NodeKind::Element(e) => e,
                    // Mixed content and ANY hold anything else.
                    _ if mode & TEXT != 0 => continue,
                    NodeKind::Text(t) => {
                        if !self.white_space(*t) {
                            return false;
                        }
                        continue;
                    }
                    NodeKind::CData(_) => return false,
                    NodeKind::Comment(_) | NodeKind::Pi { .. } => continue,
                };
                let Some((s, child)) = self.element_ok(e) else {
                    return false;
                };
                if mode & SLOW == 0 {
                    // EMPTY content has no row: nothing fits.
                    row = rows.next(row, s);
                    if row == NO_ROW {
                        return false;
                    }
                } else {
                    match self.step_slow(row, sym, s) {
                        Some(r) => row = r,
                        None => return false,
                    }
                }
                // Leaves need no visit of their own: no child at all, or
                // one text node in mixed content (which holds any text).
                match cn.first_child {
                    None => {
                        if !self.closes(rows, child.row, s, child.mode) {
                            return false;
                        }
                    }
                    Some(g)
                        if child.mode & TEXT != 0
                            && nodes.get(g.index()).is_some_and(|gn| {
                                gn.next_sibling.is_none()
                                    && matches!(gn.kind, NodeKind::Text(_) | NodeKind::CData(_))
                            }) => {}
                    Some(_) => stack.push((c, s, child)),
                }
            }
            if !self.closes(rows, row, sym, mode) {
                return false;
            }
        }
        true
    }

    /// Whether a text node is all white space.
    #[inline(always)]
    pub(super) fn white_space(&self, t: crate::xml::tree::TextRef) -> bool {
        is_all_ws(self.tree.str(t))
    }

    /// A child element of type `s` in content of type `sym` that has no
    /// rows ([`SLOW`]): where the content is after it (`row` being the
    /// state of the model's automaton, read in its sparse tables), or `None`
    /// when it does not fit.
    #[cold]
    #[inline(never)]
    pub(super) fn step_slow(&self, row: u32, sym: Sym, s: Sym) -> Option<u32> {
        match &self.dtd.element(sym).content {
            Content::Children(a) if !a.is_deterministic() => None,
            Content::Children(a) => a.next(row, s),
            Content::Mixed(allowed) => allowed.binary_search(&s).is_ok().then_some(row),
            _ => Some(row), // ANY
        }
    }

    /// Whether the content of an element of type `sym` in mode `mode` may
    /// end at `row`.
    #[inline(always)]
    pub(super) fn closes(&self, rows: Rows<'_>, row: u32, sym: Sym, mode: u8) -> bool {
        if mode & (SLOW | NOTHING) == 0 {
            return rows.accepts(row);
        }
        self.closes_slow(row, sym, mode)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn closes_slow(&self, row: u32, sym: Sym, mode: u8) -> bool {
        if mode & NOTHING != 0 {
            return true;
        }
        match &self.dtd.element(sym).content {
            Content::Children(a) => a.is_deterministic() && a.accepts_state(row),
            _ => true,
        }
    }

    /// The symbol of an element that [`Validator::walk`] would not report
    /// itself: declared, with a deterministic model, and attributes that
    /// need no finding ([`Validator::attributes_ok`]).
    #[inline(always)]
    pub(super) fn element_ok(&self, el: &crate::xml::Element) -> Option<(Sym, Quick)> {
        let sym = self.dtd.symbol(self.tree.name(el))?;
        let q = *self.dtd.quick.get(sym as usize)?;
        let ok = if el.attributes.is_empty() {
            q.mode & BARE != 0
        } else {
            q.mode & SOUND != 0 && self.attributes_ok(el, sym)
        };
        ok.then_some((sym, q))
    }

    /// Whether [`Validator::attributes`] would neither report anything nor
    /// record an ID or IDREF for this element.
    #[inline(always)]
    pub(super) fn attributes_ok(&self, el: &crate::xml::Element, sym: Sym) -> bool {
        let tree = self.tree;
        let et = self.dtd.element(sym);
        // The declared attributes given, as bits of their index; `wide`
        // when one is past the 64th.
        let (mut found, mut wide) = (0u64, false);
        for a in tree.attributes(el) {
            let Some((i, free)) = et.attribute_index(self.tree.str(a.name)) else {
                return false;
            };
            match u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)) {
                Some(bit) => found |= bit,
                None => wide = true,
            }
            // CDATA, not #FIXED: any value.
            if !free && !value_ok(et, i, self.tree.str(a.value)) {
                return false;
            }
        }
        match et.has_required(found, wide) {
            Some(all) => all,
            None => et.attributes.iter().all(|info| {
                !matches!(info.default, AttDefault::Required) || tree.attr(el, &info.name).is_some()
            }),
        }
    }
}
