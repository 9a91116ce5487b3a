//! Compiled DTDs: element types with their content models as automata and
//! their attribute lists, ready for a linear validation pass.
//!
//! A content model such as `(title, abstract, (a | b)*, c?)` becomes a
//! Glushkov (position) automaton: one state per occurrence of an element
//! name in the model plus a start state. XML requires content models to be
//! deterministic; such a model yields a deterministic automaton directly, so
//! validating a child is one table lookup. A non-deterministic model (a
//! validity error of the DTD, reported when the element is used) is still
//! run correctly, by tracking a set of states.

use crate::diag::Diagnostic;
use crate::dtd::decl::{AttDefault, AttType, ContentSpec, Decl, Occur, Particle, ParticleKind};
use crate::dtd::rules::{DTD_DECLARATION, DTD_LIMIT};
use crate::dtd::values::check_value;
use crate::source::Span;
use foldhash::{HashMap, HashMapExt};

/// Index of an element name in a [`CompiledDtd`].
pub type Sym = u32;

/// A state of a content-model automaton.
pub type State = u32;

use crate::limits::{MAX_MODEL_POSITIONS as MAX_POSITIONS, MAX_MODEL_TRANSITIONS};

/// Elements with more declared attributes than this find them by a hash
/// table instead of comparing names one by one.
const INDEXED_ATTRIBUTES: usize = 16;

/// A content model as a position automaton.
#[derive(Debug, Clone)]
pub struct Automaton {
    /// The element name at each position (state `p + 1` is "just read position `p`").
    syms: Vec<Sym>,
    /// Transition lists, shared between states with equal lists; each sorted
    /// by symbol: `(symbol, target state)`.
    tables: Vec<Vec<(Sym, State)>>,
    /// For each state, its index in `tables`.
    state_table: Vec<u32>,
    /// Whether the content may end in each state.
    accept: Vec<bool>,
    /// A symbol that makes the model ambiguous (two positions reachable from
    /// one state on the same name), if any.
    ambiguous: Option<Sym>,
    /// The model in DTD syntax.
    pub model: String,
}

/// Largest number of entries of [`CompiledDtd::rows`] given to one
/// content model, and to all of them.
const MAX_DENSE: usize = 1 << 16;
const MAX_ROWS: usize = 1 << 20;

/// Glushkov construction data for one particle.
struct Glu {
    nullable: bool,
    first: Vec<u32>,
    last: Vec<u32>,
}

struct Builder<'a> {
    syms: Vec<Sym>,
    follow: Vec<Vec<u32>>,
    intern: &'a mut dyn FnMut(&str) -> Sym,
    too_big: bool,
    /// Transitions the DTD's models may still add ([`MAX_MODEL_TRANSITIONS`]).
    budget: &'a mut usize,
}

impl Builder<'_> {
    /// Add `first` to the follow lists of `last`, if the budget allows.
    fn link(&mut self, last: &[u32], first: &[u32]) {
        let cost = last.len().saturating_mul(first.len());
        if self.too_big || cost > *self.budget {
            self.too_big = true;
            return;
        }
        *self.budget -= cost;
        for &l in last {
            if let Some(f) = self.follow.get_mut(l as usize) {
                f.extend_from_slice(first);
            }
        }
    }

    fn particle(&mut self, p: &Particle) -> Glu {
        let mut g = match &p.kind {
            ParticleKind::Name(n) => {
                if self.syms.len() >= MAX_POSITIONS {
                    self.too_big = true;
                    return Glu {
                        nullable: true,
                        first: Vec::new(),
                        last: Vec::new(),
                    };
                }
                let pos = self.syms.len() as u32;
                let sym = (self.intern)(n);
                self.syms.push(sym);
                self.follow.push(Vec::new());
                Glu {
                    nullable: false,
                    first: vec![pos],
                    last: vec![pos],
                }
            }
            ParticleKind::Seq(items) => {
                let mut acc = Glu {
                    nullable: true,
                    first: Vec::new(),
                    last: Vec::new(),
                };
                for item in items {
                    let g = self.particle(item);
                    self.link(&acc.last, &g.first);
                    if self.too_big {
                        return acc;
                    }
                    if acc.nullable {
                        acc.first.extend_from_slice(&g.first);
                    }
                    if g.nullable {
                        acc.last.extend_from_slice(&g.last);
                    } else {
                        acc.last = g.last;
                    }
                    acc.nullable &= g.nullable;
                }
                acc
            }
            ParticleKind::Choice(items) => {
                let mut acc = Glu {
                    nullable: items.is_empty(),
                    first: Vec::new(),
                    last: Vec::new(),
                };
                for item in items {
                    let g = self.particle(item);
                    acc.nullable |= g.nullable;
                    acc.first.extend(g.first);
                    acc.last.extend(g.last);
                }
                acc
            }
        };
        match p.occur {
            Occur::One => {}
            Occur::Opt => g.nullable = true,
            Occur::Star | Occur::Plus => {
                self.link(&g.last, &g.first);
                if p.occur == Occur::Star {
                    g.nullable = true;
                }
            }
        }
        g
    }
}

impl Automaton {
    /// Compile a content model; `intern` gives the symbol of an element
    /// name; `budget` is how many transitions it may take (what it takes is
    /// taken off). Also says whether the model was too large (more names than
    /// [`MAX_POSITIONS`], or more transitions than the budget).
    pub fn compile(
        particle: &Particle,
        intern: &mut dyn FnMut(&str) -> Sym,
        budget: &mut usize,
    ) -> (Automaton, bool) {
        let mut b = Builder {
            syms: Vec::new(),
            follow: Vec::new(),
            intern,
            too_big: false,
            budget,
        };
        let g = b.particle(particle);
        let Builder {
            syms,
            follow,
            too_big,
            ..
        } = b;
        let n = syms.len();
        let mut accept = vec![false; n + 1];
        accept[0] = g.nullable;
        for &l in &g.last {
            accept[l as usize + 1] = true;
        }
        let mut tables: Vec<Vec<(Sym, State)>> = Vec::new();
        let mut index: HashMap<Vec<(Sym, State)>, u32> = HashMap::new();
        let mut state_table = Vec::with_capacity(n + 1);
        let mut ambiguous = None;
        let lists = std::iter::once(&g.first).chain(follow.iter());
        for list in lists {
            let mut t: Vec<(Sym, State)> =
                list.iter().map(|&p| (syms[p as usize], p + 1)).collect();
            t.sort_unstable();
            t.dedup();
            if ambiguous.is_none() {
                ambiguous = t.windows(2).find(|w| w[0].0 == w[1].0).map(|w| w[0].0);
            }
            let id = match index.get(&t) {
                Some(&id) => id,
                None => {
                    let id = tables.len() as u32;
                    index.insert(t.clone(), id);
                    tables.push(t);
                    id
                }
            };
            state_table.push(id);
        }
        let a = Automaton {
            syms,
            tables,
            state_table,
            accept,
            ambiguous,
            model: render(particle),
        };
        (a, too_big)
    }

    /// The start state, as a state set.
    pub fn start(&self) -> Vec<State> {
        vec![0]
    }

    /// Make `states` the start state set, keeping its allocation.
    pub fn reset(&self, states: &mut Vec<State>) {
        states.clear();
        states.push(0);
    }

    fn table(&self, s: State) -> &[(Sym, State)] {
        self.state_table
            .get(s as usize)
            .and_then(|&t| self.tables.get(t as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// The states reached from `from` on `sym`, into `out` (empty: no match).
    pub fn step(&self, from: &[State], sym: Sym, out: &mut Vec<State>) {
        out.clear();
        for &s in from {
            let t = self.table(s);
            let i = t.partition_point(|&(x, _)| x < sym);
            out.extend(
                t[i..]
                    .iter()
                    .take_while(|&&(x, _)| x == sym)
                    .map(|&(_, t)| t),
            );
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Whether each state has at most one successor per name (the model is
    /// not ambiguous): then [`Automaton::next`] runs it one state at a time.
    pub fn is_deterministic(&self) -> bool {
        self.ambiguous.is_none()
    }

    /// The state reached from `s` on `sym`, for a deterministic automaton:
    /// [`Automaton::step`] from `[s]` gives `[next]`, or nothing for `None`.
    pub fn next(&self, s: State, sym: Sym) -> Option<State> {
        let t = self.table(s);
        let i = t.partition_point(|&(x, _)| x < sym);
        t.get(i).filter(|&&(x, _)| x == sym).map(|&(_, to)| to)
    }

    /// Whether the content may end in state `s`.
    pub fn accepts_state(&self, s: State) -> bool {
        self.accept.get(s as usize).copied().unwrap_or(false)
    }

    /// Whether the content may end in one of `states`.
    pub fn accepts(&self, states: &[State]) -> bool {
        states
            .iter()
            .any(|&s| self.accept.get(s as usize).copied().unwrap_or(false))
    }

    /// Names allowed next, in the order they appear in the model.
    pub fn expected(&self, states: &[State]) -> Vec<Sym> {
        let mut targets: Vec<State> = states
            .iter()
            .flat_map(|&s| self.table(s).iter().map(|&(_, t)| t))
            .collect();
        targets.sort_unstable();
        let mut out: Vec<Sym> = Vec::new();
        for t in targets {
            let sym = self.syms[t as usize - 1];
            if !out.contains(&sym) {
                out.push(sym);
            }
        }
        out
    }

    /// Of the names allowed next, those that every way to a complete content
    /// goes through (e.g. `type` after `status` in the XEP header).
    pub fn required(&self, states: &[State]) -> Vec<Sym> {
        self.expected(states)
            .into_iter()
            .filter(|&sym| !self.can_finish_without(states, sym))
            .collect()
    }

    fn can_finish_without(&self, states: &[State], avoid: Sym) -> bool {
        let mut seen = vec![false; self.accept.len()];
        let mut stack: Vec<State> = states.to_vec();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s as usize], true) {
                continue;
            }
            if self.accept[s as usize] {
                return true;
            }
            for &(x, t) in self.table(s) {
                if x != avoid && !seen[t as usize] {
                    stack.push(t);
                }
            }
        }
        false
    }

    /// Recovery after a mismatch: the states reached on `sym` from any state
    /// reachable from `states` (as if the missing elements were there).
    pub fn resync(&self, states: &[State], sym: Sym) -> Vec<State> {
        let mut seen = vec![false; self.accept.len()];
        let mut stack: Vec<State> = states.to_vec();
        let mut reach = Vec::new();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen[s as usize], true) {
                continue;
            }
            reach.push(s);
            for &(_, t) in self.table(s) {
                if !seen[t as usize] {
                    stack.push(t);
                }
            }
        }
        let mut out = Vec::new();
        self.step(&reach, sym, &mut out);
        out
    }

    /// Where `sym` first occurs in the model, counting names from the left
    /// (for a sequence, its place in the sequence).
    pub fn rank(&self, sym: Sym) -> Option<usize> {
        self.syms.iter().position(|&s| s == sym)
    }

    /// Whether `sym` occurs anywhere in the model.
    pub fn mentions(&self, sym: Sym) -> bool {
        self.syms.contains(&sym)
    }

    /// A name on which the model is not deterministic, if any.
    pub fn ambiguous(&self) -> Option<Sym> {
        self.ambiguous
    }

    /// Whether the whole sequence matches (for tests and simple callers).
    pub fn matches(&self, seq: &[Sym]) -> bool {
        let mut cur = self.start();
        let mut next = Vec::new();
        for &s in seq {
            self.step(&cur, s, &mut next);
            if next.is_empty() {
                return false;
            }
            std::mem::swap(&mut cur, &mut next);
        }
        self.accepts(&cur)
    }

    /// Number of states (positions plus the start state).
    pub fn states(&self) -> usize {
        self.accept.len()
    }
}

/// A content model in DTD syntax: `(a, b?, (c | d)*)`.
pub fn render(p: &Particle) -> String {
    let mut out = String::new();
    render_into(p, &mut out);
    out
}

fn render_into(p: &Particle, out: &mut String) {
    match &p.kind {
        ParticleKind::Name(n) => out.push_str(n),
        ParticleKind::Seq(items) | ParticleKind::Choice(items) => {
            let sep = if matches!(p.kind, ParticleKind::Seq(_)) {
                ", "
            } else {
                " | "
            };
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                render_into(item, out);
            }
            out.push(')');
        }
    }
    out.push_str(match p.occur {
        Occur::One => "",
        Occur::Opt => "?",
        Occur::Star => "*",
        Occur::Plus => "+",
    });
}

/// What an element may contain.
#[derive(Debug, Clone)]
pub enum Content {
    /// Named in a content model or used, but never declared.
    Undeclared,
    Empty,
    Any,
    /// Text and these elements, in any order (`(#PCDATA)` when empty).
    Mixed(Vec<Sym>),
    Children(Automaton),
}

/// One declared attribute.
#[derive(Debug, Clone)]
pub struct AttInfo {
    pub name: String,
    pub name_span: Span,
    pub ty: AttType,
    pub default: AttDefault,
}

/// An element type with its declaration.
#[derive(Debug, Clone)]
pub struct ElementType {
    pub name: String,
    /// The name in `<!ELEMENT name …>`, when declared.
    pub decl: Option<Span>,
    pub content: Content,
    /// Declared attributes; the first definition of a name wins.
    pub attributes: Vec<AttInfo>,
    /// Set when the content model is not deterministic (a validity error of
    /// the DTD, reported where the element is used).
    pub ambiguous: Option<String>,
    /// For each of `attributes`, in the same order: whether any value will
    /// do (CDATA, not #FIXED). Set by [`CompiledDtd::build`].
    free: Vec<bool>,
    /// Index in `attributes` by name, once there are more than
    /// [`INDEXED_ATTRIBUTES`] (an element's list stays linear to search
    /// however many a DTD declares).
    att_index: Option<HashMap<String, usize>>,
    /// Index in `attributes` of its ID attribute, if any.
    id_attribute: Option<usize>,
    /// The #REQUIRED attributes, as bits of their index in `attributes`;
    /// `None` when one of them is past the 64th.
    required: Option<u64>,
}

impl ElementType {
    pub fn attribute(&self, name: &str) -> Option<&AttInfo> {
        match &self.att_index {
            Some(index) => self.attributes.get(*index.get(name)?),
            None => self.attributes.iter().find(|a| a.name == name),
        }
    }

    /// Where [`ElementType::attribute`] finds `name` in `attributes`, and
    /// whether any value of it is valid (CDATA, not #FIXED).
    #[inline]
    pub fn attribute_index(&self, name: &str) -> Option<(usize, bool)> {
        let i = match &self.att_index {
            Some(index) => *index.get(name)?,
            None => self.attributes.iter().position(|a| a.name == name)?,
        };
        Some((i, *self.free.get(i)?))
    }

    /// Whether the attributes found, as bits of their index in `attributes`
    /// (`wide`: and one past the 64th), include every #REQUIRED one; `None`
    /// when the bits cannot tell.
    #[inline]
    pub fn has_required(&self, found: u64, wide: bool) -> Option<bool> {
        match self.required {
            Some(0) => Some(true),
            Some(r) if !wide => Some(r & found == r),
            _ => None,
        }
    }
}

/// No row, in [`CompiledDtd::rows`] and [`Quick::row`].
pub const NO_ROW: u32 = u32::MAX;

/// [`Quick::mode`]: text and CDATA sections are allowed (mixed content,
/// `ANY`, an undeclared type).
pub const TEXT: u8 = 1;
/// [`Quick::mode`]: the content has no rows (a model that is not
/// deterministic or too large, or past the size limit of the rows); read it
/// from [`ElementType::content`].
pub const SLOW: u8 = 2;
/// [`Quick::mode`]: `EMPTY`, no child node at all.
pub const NOTHING: u8 = 4;
/// [`Quick::mode`]: an element of this type written without attributes
/// needs no finding about itself (declared, deterministic, no #REQUIRED
/// attribute).
pub const BARE: u8 = 8;
/// [`Quick::mode`]: declared and deterministic: an element of this type
/// with attributes needs no finding about itself when they need none.
pub const SOUND: u8 = 16;

/// What the pass over documents with nothing to report needs of an element
/// type, in a few bytes ([`CompiledDtd::quick`]).
#[derive(Debug, Clone, Copy)]
pub struct Quick {
    /// The start row of its content in [`CompiledDtd::rows`]; for [`SLOW`]
    /// content, its automaton's start state (0); for `EMPTY`, [`NO_ROW`].
    pub row: u32,
    /// [`TEXT`], [`SLOW`], [`NOTHING`] (without [`TEXT`] and [`NOTHING`],
    /// element content: white space, comments and processing instructions
    /// between the elements), and [`BARE`] and [`SOUND`]. (Bits of one
    /// byte, not `bool`s: the compiler then keeps a `Quick` in a register.)
    pub mode: u8,
}

/// The rows of a [`CompiledDtd`], as one automaton for every content.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    rows: &'a [u32],
}

impl Rows<'_> {
    /// The row reached from `row` on `sym` ([`NO_ROW`] when the content
    /// does not allow `sym` there); `row` is a row of [`CompiledDtd::rows`]
    /// or [`NO_ROW`], and `sym` a symbol of the DTD (below the length of
    /// [`CompiledDtd::quick`]: the answer for another is meaningless).
    #[inline(always)]
    pub fn next(self, row: u32, sym: Sym) -> u32 {
        self.rows
            .get(row as usize + 1 + sym as usize)
            .copied()
            .unwrap_or(NO_ROW)
    }

    /// Whether the content may end in `row`.
    #[inline(always)]
    pub fn accepts(self, row: u32) -> bool {
        self.rows.get(row as usize) == Some(&1)
    }
}

/// A DTD ready for validation.
#[derive(Debug, Clone, Default)]
pub struct CompiledDtd {
    names: HashMap<String, Sym>,
    pub elements: Vec<ElementType>,
    /// By symbol: what the pass over valid documents needs of the type.
    pub quick: Vec<Quick>,
    /// The contents of element types as one automaton in rows of one entry
    /// per symbol plus one: entry 0 of a row says whether the content may
    /// end there (1) or not (0), entry `1 + sym` is the row reached on
    /// `sym`, or [`NO_ROW`]. A deterministic model has a row per state;
    /// mixed content and `ANY` one row that loops on every name allowed.
    /// Read through [`CompiledDtd::rows()`].
    rows: Vec<u32>,
    /// Validity errors in the declarations themselves (`dtd-declaration`).
    pub errors: Vec<Diagnostic>,
    /// Whether any attribute is of type ID, IDREF or IDREFS.
    pub has_ids: bool,
    /// Transitions the content models still to compile may take.
    budget: usize,
}

impl CompiledDtd {
    /// Compile declarations, in order of precedence (the internal subset
    /// first, then the external DTD): the first declaration of an element or
    /// attribute is the one used.
    pub fn build<'a>(decls: impl IntoIterator<Item = &'a Decl>) -> CompiledDtd {
        let mut dtd = CompiledDtd {
            budget: MAX_MODEL_TRANSITIONS,
            ..CompiledDtd::default()
        };
        let mut attlists = Vec::new();
        for d in decls {
            match d {
                Decl::Element(e) => {
                    let sym = dtd.intern(&e.name);
                    if let Some(first) = dtd.elements[sym as usize].decl {
                        dtd.errors.push(
                            Diagnostic::of(
                                &DTD_DECLARATION,
                                e.name_span,
                                format!("<{}> is declared twice", e.name),
                            )
                            .label("second declaration")
                            .secondary(first, "first declared here; this one is used")
                            .help("keep one `<!ELEMENT>` declaration per element"),
                        );
                        continue;
                    }
                    let content = dtd.content(&e.name, e.name_span, &e.content);
                    let ambiguous = match &content {
                        Content::Children(a) => a.ambiguous().map(|s| dtd.name(s).to_string()),
                        _ => None,
                    };
                    let slot = &mut dtd.elements[sym as usize];
                    slot.decl = Some(e.name_span);
                    slot.ambiguous = ambiguous;
                    slot.content = content;
                }
                Decl::Attlist(a) => attlists.push(a),
                Decl::Entity(_) | Decl::PeRef { .. } => {}
            }
        }
        for a in attlists {
            let sym = dtd.intern(&a.element);
            for def in &a.attributes {
                dtd.attribute(sym, def);
            }
        }
        dtd.index_contents();
        for e in &mut dtd.elements {
            e.free = e
                .attributes
                .iter()
                .map(|a| a.ty == AttType::Cdata && !matches!(a.default, AttDefault::Fixed(_)))
                .collect();
            e.required = e
                .attributes
                .iter()
                .enumerate()
                .filter(|(_, a)| a.default == AttDefault::Required)
                .try_fold(0u64, |bits, (i, _)| {
                    Some(bits | 1u64.checked_shl(u32::try_from(i).ok()?)?)
                });
        }
        dtd
    }

    /// Fill [`CompiledDtd::quick`] and [`CompiledDtd::rows`] from the
    /// element types.
    fn index_contents(&mut self) {
        let columns = self.elements.len();
        let width = columns + 1;
        let mut rows: Vec<u32> = Vec::new();
        // One row that loops on the names `allowed` says.
        let looping = |rows: &mut Vec<u32>, allowed: &dyn Fn(Sym) -> bool| {
            if rows.len() + width > MAX_ROWS {
                return NO_ROW;
            }
            let row = rows.len() as u32;
            rows.push(1);
            rows.extend((0..columns as Sym).map(|s| if allowed(s) { row } else { NO_ROW }));
            row
        };
        let mut quick = Vec::with_capacity(columns);
        for e in &self.elements {
            let sound = e.decl.is_some() && e.ambiguous.is_none();
            let (mode, row) = match &e.content {
                Content::Empty => (NOTHING, NO_ROW),
                Content::Any | Content::Undeclared => (TEXT, looping(&mut rows, &|_| true)),
                Content::Mixed(allowed) => (
                    TEXT,
                    looping(&mut rows, &|s| allowed.binary_search(&s).is_ok()),
                ),
                Content::Children(a) => {
                    let size = a.states().saturating_mul(width);
                    let row = if !a.is_deterministic()
                        || size > MAX_DENSE
                        || rows.len() + size > MAX_ROWS
                        || a.syms.iter().any(|&x| x as usize >= columns)
                    {
                        NO_ROW
                    } else {
                        let base = rows.len();
                        rows.resize(base + size, NO_ROW);
                        for s in 0..a.states() {
                            let at = base + s * width;
                            if let Some(r) = rows.get_mut(at) {
                                *r = u32::from(a.accepts_state(s as State));
                            }
                            for &(x, t) in a.table(s as State) {
                                if let Some(r) = rows.get_mut(at + 1 + x as usize) {
                                    *r = (base + t as usize * width) as u32;
                                }
                            }
                        }
                        base as u32
                    };
                    (0, row)
                }
            };
            let (mode, row) = match (mode, row) {
                (NOTHING, _) => (NOTHING, NO_ROW),
                (_, NO_ROW) => (mode | SLOW, 0),
                _ => (mode, row),
            };
            let required = e
                .attributes
                .iter()
                .any(|a| matches!(a.default, AttDefault::Required));
            let flags = match (sound, required) {
                (true, false) => BARE | SOUND,
                (true, true) => SOUND,
                (false, _) => 0,
            };
            quick.push(Quick {
                row,
                mode: mode | flags,
            });
        }
        self.quick = quick;
        self.rows = rows;
    }

    /// [`CompiledDtd::rows`], to step through with [`Rows::next`].
    pub fn rows(&self) -> Rows<'_> {
        Rows { rows: &self.rows }
    }

    fn intern(&mut self, name: &str) -> Sym {
        intern(&mut self.names, &mut self.elements, name)
    }

    fn content(&mut self, name: &str, name_span: Span, spec: &ContentSpec) -> Content {
        match spec {
            ContentSpec::Empty => Content::Empty,
            ContentSpec::Any => Content::Any,
            ContentSpec::Mixed(names) => {
                let mut syms = Vec::new();
                for n in names {
                    let s = self.intern(n);
                    if syms.contains(&s) {
                        self.errors.push(
                            Diagnostic::of(
                                &DTD_DECLARATION,
                                name_span,
                                format!("the mixed content of <{name}> lists <{n}> twice"),
                            )
                            .label("declared here")
                            .help(format!("name <{n}> once in `(#PCDATA | …)*`")),
                        );
                    } else {
                        syms.push(s);
                    }
                }
                syms.sort_unstable();
                Content::Mixed(syms)
            }
            ContentSpec::Children(p) => {
                let names = &mut self.names;
                let elements = &mut self.elements;
                let (a, too_big) =
                    Automaton::compile(p, &mut |n| intern(names, elements, n), &mut self.budget);
                if too_big {
                    self.errors.push(
                        Diagnostic::of(&DTD_LIMIT,
                            name_span,
                            format!("the content model of <{name}> is too large to check"),
                        )
                        .label(format!(
                            "over {MAX_POSITIONS} element names, or over the {MAX_MODEL_TRANSITIONS} transitions xeplint builds for one DTD"
                        ))
                        .help("split the model with intermediate elements")
                        .note(format!("the content of <{name}> is not checked")),
                    );
                    return Content::Any;
                }
                Content::Children(a)
            }
        }
    }

    fn attribute(&mut self, sym: Sym, def: &crate::dtd::decl::AttDef) {
        let el = &self.elements[sym as usize];
        if el.attribute(&def.name).is_some() {
            return; // the first definition wins
        }
        let ename = el.name.clone();
        if def.ty == AttType::Id {
            if let Some(other) = el.id_attribute.and_then(|i| el.attributes.get(i)) {
                self.errors.push(
                    Diagnostic::of(
                        &DTD_DECLARATION,
                        def.name_span,
                        format!(
                            "<{ename}> has two ID attributes, `{}` and `{}`",
                            other.name, def.name
                        ),
                    )
                    .label("second ID attribute")
                    .secondary(other.name_span, "first ID attribute")
                    .help("an element type may have only one attribute of type ID"),
                );
            }
            if matches!(def.default, AttDefault::Fixed(_) | AttDefault::Value(_)) {
                self.errors.push(
                    Diagnostic::of(
                        &DTD_DECLARATION,
                        def.name_span,
                        format!(
                            "ID attribute `{}` of <{ename}> has a default value",
                            def.name
                        ),
                    )
                    .label("an ID attribute cannot have a default")
                    .help("declare it #IMPLIED or #REQUIRED"),
                );
            }
        }
        if let AttDefault::Fixed(v) | AttDefault::Value(v) = &def.default
            && def.ty != AttType::Id
            && let Err(why) = check_value(&def.ty, v)
        {
            self.errors.push(
                Diagnostic::of(
                    &DTD_DECLARATION,
                    def.name_span,
                    format!(
                        "the default value `{v}` of attribute `{}` of <{ename}> is not valid",
                        def.name
                    ),
                )
                .label(why),
            );
        }
        if matches!(def.ty, AttType::Id | AttType::Idref | AttType::Idrefs) {
            self.has_ids = true;
        }
        let el = &mut self.elements[sym as usize];
        let i = el.attributes.len();
        if def.ty == AttType::Id && el.id_attribute.is_none() {
            el.id_attribute = Some(i);
        }
        el.attributes.push(AttInfo {
            name: def.name.clone(),
            name_span: def.name_span,
            ty: def.ty.clone(),
            default: def.default.clone(),
        });
        match &mut el.att_index {
            Some(index) => {
                index.insert(def.name.clone(), i);
            }
            None if el.attributes.len() > INDEXED_ATTRIBUTES => {
                let mut index = HashMap::with_capacity(el.attributes.len() * 2);
                for (k, a) in el.attributes.iter().enumerate() {
                    index.entry(a.name.clone()).or_insert(k);
                }
                el.att_index = Some(index);
            }
            None => {}
        }
    }

    /// The symbol of an element name, if the DTD mentions it.
    pub fn symbol(&self, name: &str) -> Option<Sym> {
        self.names.get(name).copied()
    }

    pub fn element(&self, sym: Sym) -> &ElementType {
        &self.elements[sym as usize]
    }

    pub fn name(&self, sym: Sym) -> &str {
        &self.elements[sym as usize].name
    }

    /// Names of every declared element.
    pub fn declared(&self) -> impl Iterator<Item = &str> {
        self.elements
            .iter()
            .filter(|e| e.decl.is_some())
            .map(|e| e.name.as_str())
    }
}

/// No symbol: an element name the DTD does not mention.
pub const NO_SYM: Sym = Sym::MAX;

fn intern(names: &mut HashMap<String, Sym>, elements: &mut Vec<ElementType>, name: &str) -> Sym {
    if let Some(&s) = names.get(name) {
        return s;
    }
    let s = elements.len() as Sym;
    names.insert(name.to_string(), s);
    elements.push(ElementType {
        name: name.to_string(),
        decl: None,
        content: Content::Undeclared,
        attributes: Vec::new(),
        ambiguous: None,
        free: Vec::new(),
        att_index: None,
        id_attribute: None,
        required: Some(0),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtd::decl::{Subset, parse_decls};
    use crate::source::FileId;

    fn dtd(text: &str) -> CompiledDtd {
        let decls = parse_decls(text, FileId(0), 0, Subset::External);
        assert!(decls.errors.is_empty(), "{:?}", decls.errors);
        CompiledDtd::build(&decls.decls)
    }

    /// Whether `<root>` may hold the children named (space-separated).
    fn ok(d: &CompiledDtd, root: &str, children: &str) -> bool {
        let sym = d.symbol(root).expect("declared");
        let Content::Children(a) = &d.element(sym).content else {
            panic!("not element content")
        };
        let seq: Option<Vec<Sym>> = children
            .split_whitespace()
            .map(|n| d.symbol(n).or(Some(u32::MAX)))
            .collect();
        a.matches(&seq.unwrap_or_default())
    }

    #[test]
    fn sequence() {
        let d = dtd("<!ELEMENT r (a, b, c)>");
        assert!(ok(&d, "r", "a b c"));
        assert!(!ok(&d, "r", "a b"));
        assert!(!ok(&d, "r", "a c b"));
        assert!(!ok(&d, "r", "a b c c"));
        assert!(!ok(&d, "r", ""));
        assert!(!ok(&d, "r", "a b x"));
    }

    #[test]
    fn choice() {
        let d = dtd("<!ELEMENT r (a | b | c)>");
        assert!(ok(&d, "r", "a"));
        assert!(ok(&d, "r", "c"));
        assert!(!ok(&d, "r", "a b"));
        assert!(!ok(&d, "r", ""));
    }

    #[test]
    fn occurrences() {
        let d = dtd("<!ELEMENT r (a?, b*, c+)>");
        assert!(ok(&d, "r", "c"));
        assert!(ok(&d, "r", "a c c c"));
        assert!(ok(&d, "r", "b b c"));
        assert!(ok(&d, "r", "a b c"));
        assert!(!ok(&d, "r", "a a c"));
        assert!(!ok(&d, "r", "a b"));
        assert!(!ok(&d, "r", "c b"));
    }

    #[test]
    fn nested_groups() {
        let d = dtd("<!ELEMENT r ((a, b)* | (c, (d | e)+))>");
        assert!(ok(&d, "r", ""));
        assert!(ok(&d, "r", "a b a b"));
        assert!(ok(&d, "r", "c d e d"));
        assert!(!ok(&d, "r", "a b c d"));
        assert!(!ok(&d, "r", "c"));
        assert!(!ok(&d, "r", "a"));
        let d = dtd("<!ELEMENT r ((a?, b?)+, c)>");
        assert!(ok(&d, "r", "c"));
        assert!(ok(&d, "r", "b a b c"));
    }

    #[test]
    fn header_model() {
        let d = dtd(include_str!("../../schemas/xep.dtd"));
        let base = "title abstract legal number status";
        let tail = "type sig dependencies supersedes supersededby shortname author revision";
        assert!(ok(&d, "header", &format!("{base} {tail}")));
        assert!(ok(
            &d,
            "header",
            &format!(
                "{base} lastcall lastcall interim type sig approver approver dependencies supersedes supersededby shortname tags schemaloc schemaloc registry discuss expires author author revision revision councilnote"
            )
        ));
        // `type` missing after `status`.
        assert!(!ok(
            &d,
            "header",
            &format!("{base} sig dependencies supersedes supersededby shortname author revision")
        ));
        // Two `tags`.
        assert!(!ok(
            &d,
            "header",
            &format!(
                "{base} type sig dependencies supersedes supersededby shortname tags tags author revision"
            )
        ));
        // What is expected, and required, after `status`.
        let h = d.symbol("header").unwrap();
        let Content::Children(a) = &d.element(h).content else {
            panic!()
        };
        let mut cur = a.start();
        let mut next = Vec::new();
        for n in base.split(' ') {
            a.step(&cur, d.symbol(n).unwrap(), &mut next);
            std::mem::swap(&mut cur, &mut next);
        }
        let names = |v: Vec<Sym>| v.into_iter().map(|s| d.name(s)).collect::<Vec<_>>();
        assert_eq!(names(a.expected(&cur)), ["lastcall", "interim", "type"]);
        assert_eq!(names(a.required(&cur)), ["type"]);
        // Recovery: `sig` found where `type` was due.
        assert!(!a.resync(&cur, d.symbol("sig").unwrap()).is_empty());
        assert!(a.resync(&cur, d.symbol("title").unwrap()).is_empty());
        assert!(a.ambiguous().is_none());
        assert!(a.model.starts_with("(title, abstract, legal,"));
    }

    #[test]
    fn ambiguity_and_declaration_errors() {
        let d = dtd(
            "<!ELEMENT r ((a, b) | (a, c))> <!ELEMENT a EMPTY> <!ELEMENT a ANY>
             <!ELEMENT m (#PCDATA | a | a)*>
             <!ATTLIST a x ID #IMPLIED y ID #IMPLIED z NMTOKEN 'a b'>",
        );
        let r = d.symbol("r").unwrap();
        assert_eq!(d.element(r).ambiguous.as_deref(), Some("a"));
        // Still validated correctly.
        assert!(ok(&d, "r", "a c"));
        assert!(ok(&d, "r", "a b"));
        assert!(!ok(&d, "r", "a"));
        assert_eq!(d.errors.len(), 4, "{:#?}", d.errors);
        assert!(d.errors.iter().all(|e| e.rule == "dtd-declaration"));
        assert!(d.has_ids);
    }

    #[test]
    fn shared_tables_for_starred_choices() {
        let d = dtd("<!ELEMENT r (a | b | c | d)*>");
        let Content::Children(a) = &d.element(d.symbol("r").unwrap()).content else {
            panic!()
        };
        assert_eq!(a.states(), 5);
        assert_eq!(a.tables.len(), 1);
        assert!(ok(&d, "r", "d c b a a"));
    }

    /// [`Automaton::next`] agrees with [`Automaton::step`], and the rows of
    /// [`CompiledDtd::rows`] with both (and with mixed content and `ANY`).
    #[test]
    fn next_and_rows_agree_with_step() {
        let check = |d: &CompiledDtd| {
            let mut dense = 0;
            let rows = d.rows();
            let width = d.elements.len() as u32 + 1;
            let syms = (0..d.elements.len() as Sym + 2).chain([Sym::MAX]);
            let columns = d.elements.len() as Sym;
            for (e, q) in d.elements.iter().zip(&d.quick) {
                let a = match &e.content {
                    Content::Children(a) => a,
                    Content::Empty => {
                        assert_eq!((q.row, q.mode & !(BARE | SOUND)), (NO_ROW, NOTHING));
                        for sym in 0..columns {
                            assert_eq!(rows.next(q.row, sym), NO_ROW);
                        }
                        continue;
                    }
                    Content::Mixed(allowed) => {
                        assert_eq!(q.mode & !(BARE | SOUND), TEXT);
                        assert!(rows.accepts(q.row));
                        for sym in 0..columns {
                            let to = if allowed.contains(&sym) {
                                q.row
                            } else {
                                NO_ROW
                            };
                            assert_eq!(rows.next(q.row, sym), to, "<{}> {sym}", e.name);
                        }
                        continue;
                    }
                    Content::Any | Content::Undeclared => {
                        assert_eq!(q.mode & !(BARE | SOUND), TEXT);
                        assert!(rows.accepts(q.row));
                        for sym in 0..columns {
                            assert_eq!(rows.next(q.row, sym), q.row, "<{}> {sym}", e.name);
                        }
                        continue;
                    }
                };
                if !a.is_deterministic() {
                    assert_eq!((q.row, q.mode & !(BARE | SOUND)), (0, SLOW));
                    continue;
                }
                let mode = q.mode & !(BARE | SOUND);
                let slow = mode == SLOW;
                assert!(slow || mode == 0);
                dense += usize::from(!slow);
                let row = |s: State| q.row + s * width;
                let mut out = Vec::new();
                for s in 0..a.states() as State + 2 {
                    for sym in syms.clone() {
                        a.step(&[s], sym, &mut out);
                        let via_step = match out.as_slice() {
                            [] => None,
                            [t] => Some(*t),
                            more => panic!("{more:?} from a deterministic model"),
                        };
                        assert_eq!(a.next(s, sym), via_step, "<{}> {s} {sym}", e.name);
                        assert_eq!(a.accepts_state(s), a.accepts(&[s]));
                        if !slow && (s as usize) < a.states() && sym < columns {
                            assert_eq!(
                                rows.next(row(s), sym),
                                via_step.map_or(NO_ROW, row),
                                "<{}> {s} {sym}",
                                e.name
                            );
                            assert_eq!(rows.accepts(row(s)), a.accepts_state(s));
                        }
                    }
                }
            }
            dense
        };
        assert!(check(&dtd(include_str!("../../schemas/xep.dtd"))) > 10);
        let d = dtd(
            "<!ELEMENT r ((a, b)* | (c, (d | e)+))> <!ELEMENT s (a?, b*, c+)>
             <!ELEMENT m (#PCDATA | a | c)*> <!ELEMENT n ANY> <!ELEMENT a EMPTY>
             <!ELEMENT t ((a, b) | (a, c))>",
        );
        assert_eq!(check(&d), 2);
        // Too large for a row per state: the sparse table answers.
        let names: Vec<String> = (0..300).map(|i| format!("n{i}")).collect();
        let d = dtd(&format!("<!ELEMENT r ({})*>", names.join(" | ")));
        assert_eq!(check(&d), 0);
    }
}
