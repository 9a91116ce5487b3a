//! The fix for children in the wrong order (`dtd-content`): the children of
//! an element, each moved whole with the white space and comments before it,
//! put in the order its content model names them; a required child whose
//! empty form means "none" (`<dependencies/>`, policy `[fixes]`) and a
//! missing `<legal>` (as `&LEGALNOTICE;`) inserted where the model wants
//! them. The fix is offered only when the result matches the model: safe,
//! since every child the author wrote stays, as written; unsafe when it
//! also inserts a placeholder for the author to fill in (`<shortname>`).

use super::Validator;
use crate::diag::{Applicability, Edit, Fix};
use crate::dtd::compile::{Automaton, State, Sym};
use crate::source::Span;
use crate::xml::{NodeId, NodeKind};

/// One child as it moves: the element (or the `&entity;` that gives it) and
/// what comes before it since the previous child.
struct Unit {
    /// Where the white space and comments before it start.
    start: usize,
    /// Where the element (or the reference) starts.
    body: usize,
    end: usize,
    sym: Sym,
}

/// What the new content is made of.
enum Piece {
    Unit(usize),
    Insert(Sym),
}

impl Validator<'_> {
    /// The fix putting the children of `id` in the order of `a`, if there is
    /// a certain one.
    pub(super) fn order_fix(&self, a: &Automaton, id: NodeId) -> Option<Fix> {
        if !a.is_deterministic() {
            return None;
        }
        let tree = self.tree;
        let node = tree.node(id)?;
        let NodeKind::Element(parent) = &node.kind else {
            return None;
        };
        let close = parent.end_span()?;
        if node.origin.is_some() || close.file != self.file || node.span.file != self.file {
            return None;
        }
        let source = self.text.as_ref()?;
        let text = source.text.as_str();
        let open_end = node.span.end as usize;
        let mut units: Vec<Unit> = Vec::new();
        let mut prev_end = open_end;
        for c in tree.children(id) {
            let cn = tree.node(c)?;
            match &cn.kind {
                NodeKind::Element(e) => {
                    let (body, end) = match cn.origin {
                        None => (
                            cn.span.start as usize,
                            e.end_span().map_or(cn.span.end, |s| s.end) as usize,
                        ),
                        Some(_) => {
                            let r = tree.document_span(c)?;
                            (r.start as usize, r.end as usize)
                        }
                    };
                    // An entity that gives two elements cannot be split.
                    if body < prev_end || end > close.start as usize {
                        return None;
                    }
                    let sym = self.sym(c)?;
                    gap_is_blank(text.get(prev_end..body)?)?;
                    units.push(Unit {
                        start: prev_end,
                        body,
                        end,
                        sym,
                    });
                    prev_end = end;
                }
                NodeKind::Text(t) => {
                    if !crate::dtd::values::is_all_ws(tree.str(*t)) {
                        return None;
                    }
                }
                NodeKind::CData(_) => return None,
                NodeKind::Comment(_) | NodeKind::Pi { .. } => {}
            }
        }
        gap_is_blank(text.get(prev_end..close.start as usize)?)?;
        if units.is_empty() {
            return None;
        }
        // The order of the model, then what is missing.
        let mut order: Vec<usize> = (0..units.len()).collect();
        let ranks: Vec<usize> = units
            .iter()
            .map(|u| a.rank(u.sym))
            .collect::<Option<Vec<usize>>>()?;
        order.sort_by_key(|&i| ranks[i]);
        let mut pieces: Vec<Piece> = Vec::new();
        let mut state: State = 0;
        for &i in &order {
            loop {
                if let Some(next) = a.next(state, units[i].sym) {
                    state = next;
                    pieces.push(Piece::Unit(i));
                    break;
                }
                state = self.insert_missing(a, state, &mut pieces)?;
            }
        }
        while !a.accepts_state(state) {
            state = self.insert_missing(a, state, &mut pieces)?;
        }
        let moved = moved(&order);
        let inserted: Vec<(String, Applicability)> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Insert(s) => Some(self.insertion(*s)),
                Piece::Unit(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        if moved.is_empty() && inserted.is_empty() {
            return None;
        }
        // Inserted children get the indentation of the first child.
        let first = units.first()?;
        let lead = text.get(first.start..first.body)?;
        let indent = match lead.rfind('\n') {
            Some(nl) => &lead[nl..],
            None => "",
        };
        let mut new = String::new();
        for p in &pieces {
            match p {
                Piece::Unit(i) => new.push_str(text.get(units[*i].start..units[*i].end)?),
                Piece::Insert(s) => {
                    new.push_str(indent);
                    new.push_str(&self.insertion(*s)?.0);
                }
            }
        }
        let last = units.last()?;
        let span = Span::new(self.file, first.start, last.end);
        let pname = tree.name(parent);
        let applicability = inserted
            .iter()
            .map(|(_, a)| *a)
            .max()
            .unwrap_or(Applicability::Safe);
        let inserted: Vec<String> = inserted.into_iter().map(|(t, _)| t).collect();
        let title = self.order_title(pname, &units, &order, &moved, &inserted);
        Some(Fix::new(
            title,
            applicability,
            vec![Edit::replace(span, new)],
        ))
    }

    /// Insert the one required name at `state` if its empty form means
    /// "none" (or it is `<legal>`): the state after it.
    fn insert_missing(
        &self,
        a: &Automaton,
        state: State,
        pieces: &mut Vec<Piece>,
    ) -> Option<State> {
        let req = a.required(&[state]);
        let [sym] = req.as_slice() else {
            return None;
        };
        self.insertion(*sym)?;
        pieces.push(Piece::Insert(*sym));
        a.next(state, *sym)
    }

    /// What a missing `sym` is written as, when a fix may add it, and how
    /// sure that is: an empty list element or the legal notice is what the
    /// author meant (safe); a placeholder is for the author to fill in
    /// (unsafe).
    fn insertion(&self, sym: Sym) -> Option<(String, Applicability)> {
        let name = self.dtd.name(sym);
        let policy = crate::policy::Policy::bundled();
        if policy.fixes.empty_means_none.iter().any(|n| n == name) {
            return Some((format!("<{name}/>"), Applicability::Safe));
        }
        if name == "legal" && self.legal_entity {
            return Some((
                format!("&{};", policy.files.legal_entity),
                Applicability::Safe,
            ));
        }
        let value = policy.fixes.placeholders.get(name)?;
        Some((format!("<{name}>{value}</{name}>"), Applicability::Unsafe))
    }

    fn order_title(
        &self,
        pname: &str,
        units: &[Unit],
        order: &[usize],
        moved: &[usize],
        inserted: &[String],
    ) -> String {
        let name = |i: usize| format!("<{}>", self.dtd.name(units[i].sym));
        let mut parts = Vec::new();
        match moved {
            [] => {}
            [m] => {
                let at = order.iter().position(|i| i == m).unwrap_or(0);
                parts.push(match at.checked_sub(1).and_then(|p| order.get(p)) {
                    Some(&before) => format!("move {} after {}", name(*m), name(before)),
                    None => format!("move {} to the start of <{pname}>", name(*m)),
                });
            }
            _ => parts.push(format!("put the children of <{pname}> in the DTD's order")),
        }
        if !inserted.is_empty() {
            parts.push(format!("add {}", inserted.join(" and ")));
        }
        parts.join(", ")
    }
}

/// The children that move: those outside a longest run kept in order.
fn moved(order: &[usize]) -> Vec<usize> {
    // Longest increasing subsequence of original indices, quadratic: an
    // element has few children to reorder.
    let n = order.len();
    if n > 512 {
        return order.to_vec();
    }
    let mut len = vec![1usize; n];
    let mut from = vec![usize::MAX; n];
    for j in 0..n {
        for i in 0..j {
            if order[i] < order[j] && len[i] + 1 > len[j] {
                len[j] = len[i] + 1;
                from[j] = i;
            }
        }
    }
    let mut keep = vec![false; n];
    let mut at = (0..n).max_by_key(|&j| len[j]);
    while let Some(j) = at {
        keep[j] = true;
        at = (from[j] != usize::MAX).then_some(from[j]);
    }
    (0..n).filter(|&j| !keep[j]).map(|j| order[j]).collect()
}

/// `Some` when `gap` holds only white space and comments.
fn gap_is_blank(mut gap: &str) -> Option<()> {
    loop {
        gap = gap.trim_start_matches(crate::dtd::values::is_ws);
        if gap.is_empty() {
            return Some(());
        }
        let rest = gap.strip_prefix("<!--")?;
        gap = &rest[rest.find("-->")? + 3..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_run_in_order_stays() {
        assert_eq!(moved(&[0, 1, 2]), Vec::<usize>::new());
        assert_eq!(moved(&[1, 0, 2]).len(), 1);
        assert_eq!(moved(&[0, 2, 3, 1]), vec![1]);
    }

    #[test]
    fn gaps_of_blanks_and_comments() {
        assert!(gap_is_blank(" \n <!-- a --> \t").is_some());
        assert!(gap_is_blank("").is_some());
        assert!(gap_is_blank(" x ").is_none());
        assert!(gap_is_blank("<!-- open").is_none());
        assert!(gap_is_blank("<?pi?>").is_none());
    }
}
