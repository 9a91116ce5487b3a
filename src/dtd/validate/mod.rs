//! Validation of a parsed document against its DTD.
//!
//! Which DTD: the one given with `--dtd`; else the one the DOCTYPE names;
//! else (missing, refused, or no DOCTYPE at all) the DTD bundled with
//! xeplint, with one `dtd-bundled` note saying so. A DTD is compiled once per
//! run ([`DtdCache`]) and shared by every document and thread; a document
//! whose internal subset declares elements or attributes gets its own
//! compilation (rare).
//!
//! Validation is one pass over the tree, without recursion, that goes on
//! after errors (up to [`MAX_ERRORS`] per document). Every finding about a
//! node that came from an entity expansion is moved to the `&name;`
//! reference the reader sees ([`Tree::in_document`]).

use crate::diag::{Diagnostic, Severity};
use crate::dtd::cache::{DtdCache, gather};
use crate::dtd::compile::{
    BARE, CompiledDtd, Content, NO_ROW, NO_SYM, NOTHING, Quick, Rows, SLOW, SOUND, State, Sym, TEXT,
};
use crate::dtd::decl::{AttDefault, AttType, Decl};
use crate::dtd::rules::{
    DTD_ATTRIBUTE_VALUE, DTD_BUNDLED, DTD_CHILD_NOT_ALLOWED, DTD_CONTENT, DTD_DECLARATION,
    DTD_DUPLICATE_ID, DTD_FIXED_ATTRIBUTE, DTD_MISSING_ATTRIBUTE, DTD_NOT_EMPTY, DTD_ROOT_MISMATCH,
    DTD_TEXT_NOT_ALLOWED, DTD_TOO_MANY_ERRORS, DTD_UNDECLARED_ATTRIBUTE, DTD_UNDECLARED_ELEMENT,
    DTD_UNKNOWN_IDREF, DTD_UNREADABLE,
};
use crate::dtd::values::{check_value, compared_value, is_all_ws, is_ws, normalize};
use crate::load::{Chosen, ExtFile, Loader};
use crate::source::Span;
use crate::xml::{ExpId, NodeId, NodeKind, Parsed, Tree};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

mod order;
mod quick;

/// Validity errors reported per document before giving up.
pub const MAX_ERRORS: usize = 100;

/// The document type of the bundled DTD.
const BUNDLED_ROOT: &str = "xep";

impl DtdCache {
    /// Validate `parsed` against the DTD it names (or `--dtd`, or the bundled
    /// one) and return the `dtd-…` diagnostics.
    pub fn validate(
        &self,
        loader: &Loader,
        dtd: Option<&Chosen>,
        parsed: &Parsed,
    ) -> Vec<Diagnostic> {
        self.validate_with(loader, dtd, parsed, true)
    }

    /// [`DtdCache::validate`]; `fast: false` leaves out the shortcuts taken
    /// for content with nothing to report (tests compare both ways).
    fn validate_with(
        &self,
        loader: &Loader,
        chosen: Option<&Chosen>,
        parsed: &Parsed,
        fast: bool,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if parsed.undecodable {
            return out;
        }
        let Some(root) = parsed.tree.root else {
            return out;
        };
        let Some(choice) = self.choose(loader, chosen, parsed, &mut out) else {
            return out;
        };
        // Declarations that come before the external DTD: the internal
        // subset and any file of declarations it pulled in.
        let local: Vec<&Decl> = parsed
            .internal_decls
            .iter()
            .chain(
                parsed
                    .included
                    .iter()
                    .filter(|f| self.declares_markup(f))
                    .flat_map(|f| f.decls.decls.iter()),
            )
            .filter(|d| matches!(d, Decl::Element(_) | Decl::Attlist(_)))
            .collect();
        let dtd = match (&choice, local.is_empty()) {
            (Some(ext), true) => self.compiled(ext),
            (Some(ext), false) => {
                let external = gather(ext);
                Arc::new(CompiledDtd::build(
                    local.iter().copied().chain(external.decls.iter()),
                ))
            }
            (None, _) => Arc::new(CompiledDtd::build(local.iter().copied())),
        };
        // Where the tree stops being trustworthy: the first well-formedness
        // error (the parser recovers, but what follows may be misplaced).
        // Elements that end before it are checked in full, as xmllint does
        // before it stops; an unread entity file makes every element suspect.
        let damage = parsed
            .diagnostics
            .iter()
            .filter(|d| {
                d.severity == Severity::Error
                    && d.rule.starts_with("xml-")
                    && d.rule != crate::xml::rules::XML_EXTERNAL_REFUSED.id
            })
            .map(|d| {
                let s = d.primary.span;
                if s.file == parsed.file { s.start } else { 0 }
            })
            .min();
        let content_until = if parsed.entities_complete {
            damage.unwrap_or(u32::MAX)
        } else {
            0
        };
        let mut v = Validator {
            dtd: &dtd,
            tree: &parsed.tree,
            syms: Vec::new(),
            fast,
            file: parsed.file,
            out,
            errors: 0,
            capped: false,
            content_until,
            ids: HashMap::new(),
            idrefs: Vec::new(),
            ambiguous_reported: HashSet::new(),
            states: Vec::new(),
            next_states: Vec::new(),
            seen: Vec::new(),
            text: loader.sources.get(parsed.file),
            legal_entity: {
                let name = &crate::policy::Policy::bundled().files.legal_entity;
                parsed
                    .included
                    .iter()
                    .any(|f| f.general.contains_key(name.as_str()))
            },
        };
        for d in &dtd.errors {
            v.emit(d.clone(), None);
        }
        v.root(root, parsed, loader);
        // Most documents are valid: when a cheap pass over the tree finds
        // nothing the walk would report, the walk is left out.
        let shortcut = fast && v.all_valid(root);
        #[cfg(test)]
        tests::SHORTCUT.with(|s| s.set(Some(shortcut)));
        if !shortcut {
            // The symbol of every element, looked up once: the walk and the
            // check of its parent's content both need it.
            v.syms = v.symbols();
            v.walk(root);
        }
        v.check_idrefs();
        v.out
    }

    /// Pick the DTD. `None` inside: only the internal subset declares
    /// anything. Outer `None`: nothing to validate against.
    fn choose(
        &self,
        loader: &Loader,
        chosen: Option<&Chosen>,
        parsed: &Parsed,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Option<Arc<ExtFile>>> {
        let doctype = parsed.tree.doctype.as_ref();
        if let Some(chosen) = chosen {
            let loaded = chosen
                .admitted(&loader.gate)
                .clone()
                .and_then(|a| loader.load(&a, chosen.path.display().to_string()));
            return match loaded {
                Ok(f) => {
                    let already =
                        matches!(&parsed.dtd, crate::xml::DtdRef::Loaded(g) if Arc::ptr_eq(g, &f));
                    if !already {
                        out.extend(f.decls.errors.iter().cloned());
                    }
                    Some(Some(f))
                }
                Err(e) => {
                    let span = doctype
                        .map(|d| d.system_span.unwrap_or(d.span))
                        .unwrap_or(Span::point(parsed.file, 0));
                    out.push(
                        Diagnostic::of(
                            &DTD_UNREADABLE,
                            span,
                            format!(
                                "the DTD given by {}, `{}`, could not be read: {}",
                                chosen.by,
                                chosen.path.display(),
                                e.reason()
                            ),
                        )
                        .label("not validated")
                        .help(format!("check the path given by {}", chosen.by)),
                    );
                    None
                }
            };
        }
        let (span, why) = match &parsed.dtd {
            crate::xml::DtdRef::Loaded(f) => return Some(Some(f.clone())),
            crate::xml::DtdRef::Missing {
                span,
                system,
                reason,
            } => (
                *span,
                format!(
                    "the DTD `{system}` was not loaded ({reason}); validated against the DTD bundled with xeplint"
                ),
            ),
            crate::xml::DtdRef::None => match doctype {
                Some(d) => {
                    if parsed
                        .internal_decls
                        .iter()
                        .any(|d| matches!(d, Decl::Element(_)))
                    {
                        return Some(None);
                    }
                    (
                        d.span,
                        "the DOCTYPE names no DTD; validated against the DTD bundled with xeplint"
                            .to_string(),
                    )
                }
                None => {
                    let span = parsed
                        .tree
                        .root
                        .and_then(|r| parsed.tree.element(r))
                        .map_or(Span::point(parsed.file, 0), |e| e.name_span());
                    (
                        span,
                        "the document has no DOCTYPE; validated against the DTD bundled with xeplint"
                            .to_string(),
                    )
                }
            },
        };
        out.push(
            Diagnostic::of(&DTD_BUNDLED, span, why)
                .label("the bundled XEP DTD stands in for this")
                .help("restore the DTD beside the document (`<!DOCTYPE xep SYSTEM 'xep.dtd' …>`), or choose one with `--dtd PATH`"),
        );
        Some(Some(self.bundled(loader)))
    }
}

struct Validator<'a> {
    dtd: &'a CompiledDtd,
    tree: &'a Tree,
    /// By node index: the DTD's symbol for the element's name, or
    /// [`NO_SYM`] (filled in by [`Validator::symbols`]).
    syms: Vec<Sym>,
    /// Whether to take the shortcuts for valid content.
    fast: bool,
    out: Vec<Diagnostic>,
    errors: usize,
    capped: bool,
    /// The document.
    file: crate::source::FileId,
    /// Content is checked for elements that end before this offset of the
    /// document: the tree may lack or misplace content after a
    /// well-formedness error, and everywhere when an entity file was not read.
    content_until: u32,
    ids: HashMap<String, Span>,
    idrefs: Vec<(String, Span, Option<ExpId>)>,
    ambiguous_reported: HashSet<Sym>,
    /// Buffers `children` reuses from one element to the next.
    states: Vec<State>,
    next_states: Vec<State>,
    seen: Vec<&'a str>,
    /// The document's text, for fixes.
    text: Option<Arc<crate::source::SourceFile>>,
    /// Whether the document's entities declare the legal notice's entity.
    legal_entity: bool,
}

/// Whether the value of the `i`th declared attribute of `et` needs no finding
/// and records no ID or IDREF (see [`Validator::attributes_ok`]).
#[inline(never)]
fn value_ok(et: &crate::dtd::compile::ElementType, i: usize, value: &str) -> bool {
    let Some(info) = et.attributes.get(i) else {
        return false;
    };
    match &info.ty {
        AttType::Id | AttType::Idref | AttType::Idrefs => return false,
        AttType::Cdata => {} // any value
        ty => {
            if check_value(ty, value).is_err() {
                return false;
            }
        }
    }
    !matches!(&info.default, AttDefault::Fixed(fixed)
        if compared_value(&info.ty, value).as_ref() != fixed.as_str())
}

/// `<a>`, `<a> or <b>`, `<a>, <b> or <c>`; long lists are cut.
fn list(items: &[String], conj: &str) -> String {
    const MAX: usize = 8;
    let mut items: Vec<String> = items.to_vec();
    if items.len() > MAX {
        let more = items.len() - (MAX - 1);
        items.truncate(MAX - 1);
        items.push(format!("{more} more"));
    }
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} {conj} {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// HTML elements often typed in XEPs, and the XEP element meant.
const HTML_NAMES: &[(&str, &str)] = &[
    ("a", "link"),
    ("b", "strong"),
    ("i", "em"),
    ("pre", "code"),
    ("h1", "section1"),
    ("h2", "section2"),
    ("h3", "section3"),
    ("h4", "section4"),
    ("h5", "section5"),
];

/// The declared element an undeclared name most likely stands for.
fn suggest_element<'d>(dtd: &'d CompiledDtd, name: &str) -> Option<&'d str> {
    let declared = |n: &str| {
        dtd.symbol(n)
            .map(|s| dtd.element(s))
            .filter(|e| e.decl.is_some())
            .map(|e| e.name.as_str())
    };
    if let Some((_, to)) = HTML_NAMES.iter().find(|(h, _)| *h == name)
        && let Some(n) = declared(to)
    {
        return Some(n);
    }
    crate::suggest::closest(name, dtd.declared())
}

fn tag(name: &str) -> String {
    format!("<{name}>")
}

impl<'a> Validator<'a> {
    /// The DTD's symbol for an element's name (`None` for other nodes).
    fn sym(&self, id: NodeId) -> Option<Sym> {
        self.syms.get(id.index()).copied().filter(|&s| s != NO_SYM)
    }

    /// By node index, the DTD's symbol for each element's name ([`NO_SYM`]
    /// when it has none, and for other nodes): one tight pass, apart from
    /// the checks that use them.
    #[inline(never)]
    fn symbols(&self) -> Vec<Sym> {
        self.tree
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Element(e) => self.dtd.symbol(self.tree.name(e)).unwrap_or(NO_SYM),
                _ => NO_SYM,
            })
            .collect()
    }

    /// Record a finding (moved to the document when it came from an
    /// entity); its index in `out`, unless the cap was reached.
    fn emit(&mut self, d: Diagnostic, origin: Option<ExpId>) -> Option<usize> {
        if d.severity == Severity::Error {
            if self.capped {
                return None;
            }
            self.errors += 1;
            if self.errors > MAX_ERRORS {
                self.capped = true;
                let span = self.tree.in_document(d, origin).primary.span;
                self.out.push(
                    Diagnostic::of(
                        &DTD_TOO_MANY_ERRORS,
                        span,
                        format!("stopping after {MAX_ERRORS} validity errors"),
                    )
                    .label("the rest of the document was not validated")
                    .help("fix the errors above first; often one mistake causes many"),
                );
                return None;
            }
        }
        let d = self.tree.in_document(d, origin);
        self.out.push(d);
        Some(self.out.len() - 1)
    }

    fn root(&mut self, root: NodeId, parsed: &Parsed, loader: &Loader) {
        let Some(el) = self.tree.element(root) else {
            return;
        };
        let origin = self.tree.node(root).and_then(|n| n.origin);
        let (expected, at) = match &self.tree.doctype {
            Some(d) => (d.name.clone(), Some(d)),
            None if matches!(parsed.dtd, crate::xml::DtdRef::None) => {
                (BUNDLED_ROOT.to_string(), None)
            }
            None => return,
        };
        if expected.is_empty() || self.tree.name(el) == expected {
            return;
        }
        let mut d = Diagnostic::of(
            &DTD_ROOT_MISMATCH,
            el.name_span(),
            format!(
                "the root element is <{}> but the document type is <{expected}>",
                self.tree.name(el)
            ),
        )
        .label("root element");
        if let Some(dt) = at {
            // The name in `<!DOCTYPE name`.
            let name_span = loader
                .sources
                .get(dt.span.file)
                .and_then(|f| {
                    let text = f.text.get(dt.span.range())?;
                    let after = text.get("<!DOCTYPE".len()..)?;
                    let ws = after.len() - after.trim_start().len();
                    let start = dt.span.start as usize + "<!DOCTYPE".len() + ws;
                    Some(Span::new(dt.span.file, start, start + dt.name.len()))
                })
                .unwrap_or(dt.span);
            d = d.secondary(name_span, format!("the DOCTYPE says <{expected}>"));
        }
        d = d.help(format!(
            "rename the root element to <{expected}>, or correct the DOCTYPE"
        ));
        self.emit(d, origin);
    }

    fn walk(&mut self, root: NodeId) {
        let tree = self.tree;
        for id in tree.descendants(root) {
            if self.capped {
                return;
            }
            let Some(node) = tree.node(id) else { continue };
            let NodeKind::Element(el) = &node.kind else {
                continue;
            };
            let name = tree.name(el);
            let sym = self.sym(id);
            let declared = sym.filter(|&s| self.dtd.element(s).decl.is_some());
            let Some(sym) = declared else {
                let mut d = Diagnostic::of(
                    &DTD_UNDECLARED_ELEMENT,
                    el.name_span(),
                    format!("<{name}> is not declared in the DTD"),
                )
                .label("unknown element");
                d = match suggest_element(self.dtd, name) {
                    Some(s) => d.help(format!("did you mean <{s}>?")),
                    None => d.help("use one of the elements the DTD declares"),
                };
                self.emit(d, node.origin);
                continue;
            };
            self.attributes(id, sym);
            let et = self.dtd.element(sym);
            if let Some(witness) = &et.ambiguous
                && self.ambiguous_reported.insert(sym)
            {
                let mut d = Diagnostic::of(&DTD_DECLARATION,
                    el.name_span(),
                    format!("the content model of <{name}> is not deterministic"),
                )
                .label(format!("<{name}> is used here"))
                .help(format!(
                    "a <{witness}> child can match two places of the model; rewrite it so each child matches one place, e.g. `(a, (b | c))` instead of `((a, b) | (a, c))`"
                ));
                if let Some(decl) = et.decl {
                    d = d.note_at(decl, format!("<{name}> is declared here"));
                }
                self.emit(d, node.origin);
            }
            if self.ends_before_damage(id) {
                self.content(id, sym);
            }
        }
    }

    // ----- shortcuts for valid documents -----

    /// Whether an element ends (in the document's text) before the first
    /// well-formedness error.
    fn ends_before_damage(&self, id: NodeId) -> bool {
        if self.content_until == u32::MAX {
            return true;
        }
        let Some(node) = self.tree.node(id) else {
            return false;
        };
        let end = match (node.origin, &node.kind) {
            (Some(_), _) => self.tree.document_span(id).map(|s| s.end),
            (None, NodeKind::Element(e)) => Some(e.end_span().unwrap_or(node.span).end),
            (None, _) => Some(node.span.end),
        };
        let in_document = self.tree.document_span(id).map(|s| s.file) == Some(self.file);
        in_document && end.is_some_and(|e| e <= self.content_until)
    }

    // ----- attributes -----

    fn attributes(&mut self, id: NodeId, sym: Sym) {
        let tree = self.tree;
        let dtd = self.dtd;
        let Some(node) = tree.node(id) else { return };
        let NodeKind::Element(el) = &node.kind else {
            return;
        };
        let et = dtd.element(sym);
        let el_name = tree.name(el);
        for a in tree.attributes(el) {
            let (name, value) = (tree.str(a.name), tree.str(a.value));
            let Some(info) = et.attribute(name) else {
                let names: Vec<&str> = et.attributes.iter().map(|x| x.name.as_str()).collect();
                let mut d = Diagnostic::of(
                    &DTD_UNDECLARED_ATTRIBUTE,
                    a.name_span,
                    format!("attribute `{}` is not declared for <{}>", name, el_name),
                )
                .label("unknown attribute");
                d = match crate::suggest::closest(name, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if names.is_empty() => {
                        d.help(format!("<{}> takes no attributes", el_name))
                    }
                    None => d.help(format!(
                        "<{}> takes: {}",
                        el_name,
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.emit(d, node.origin);
                continue;
            };
            if let Err(why) = check_value(&info.ty, value) {
                let what = match &info.ty {
                    AttType::Enumeration(_) | AttType::Notation(_) => "an allowed value",
                    AttType::Id => "a valid ID",
                    AttType::Idref => "a valid IDREF",
                    AttType::Idrefs => "a valid IDREFS list",
                    AttType::Nmtoken => "a valid NMTOKEN",
                    AttType::Nmtokens => "a valid NMTOKENS list",
                    AttType::Entity => "a valid ENTITY name",
                    AttType::Entities => "a valid ENTITIES list",
                    AttType::Cdata => "valid",
                };
                let mut d = Diagnostic::of(
                    &DTD_ATTRIBUTE_VALUE,
                    a.value_span,
                    format!(
                        "`{}` is not {what} for attribute `{}` of <{}>",
                        value, name, el_name
                    ),
                )
                .label(why);
                if let AttType::Enumeration(list) | AttType::Notation(list) = &info.ty
                    && let Some(s) =
                        crate::suggest::closest(value.trim(), list.iter().map(String::as_str))
                {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.emit(d, node.origin);
                continue;
            }
            if let AttDefault::Fixed(fixed) = &info.default
                && compared_value(&info.ty, value).as_ref() != fixed.as_str()
            {
                let d = Diagnostic::of(
                    &DTD_FIXED_ATTRIBUTE,
                    a.value_span,
                    format!("attribute `{}` of <{}> must be `{fixed}`", name, el_name),
                )
                .label(format!("the DTD fixes this value to `{fixed}`"))
                .help(format!(
                    "write {}='{fixed}', or leave the attribute out",
                    name
                ));
                self.emit(d, node.origin);
                continue;
            }
            match info.ty {
                AttType::Id => {
                    let v = normalize(value);
                    // Where a reader of the document sees it (as `in_document` reports).
                    let here = tree.outer_reference(node.origin).unwrap_or(a.value_span);
                    if let Some(&first) = self.ids.get(&v) {
                        let d = Diagnostic::of(
                            &DTD_DUPLICATE_ID,
                            a.value_span,
                            format!("the ID `{v}` is used twice"),
                        )
                        .label("second use")
                        .secondary(first, "first used here")
                        .help("every ID attribute in a document needs a different value");
                        self.emit(d, node.origin);
                    } else {
                        self.ids.insert(v, here);
                    }
                }
                AttType::Idref | AttType::Idrefs => {
                    for t in value.split(is_ws).filter(|t| !t.is_empty()) {
                        self.idrefs.push((t.to_string(), a.value_span, node.origin));
                    }
                }
                _ => {}
            }
        }
        for info in &et.attributes {
            if info.default == AttDefault::Required && tree.attr(el, &info.name).is_none() {
                let example = match &info.ty {
                    AttType::Enumeration(l) | AttType::Notation(l) => {
                        l.first().cloned().unwrap_or_default()
                    }
                    _ => "…".to_string(),
                };
                let d = Diagnostic::of(
                    &DTD_MISSING_ATTRIBUTE,
                    el.name_span(),
                    format!("<{}> needs the attribute `{}`", el_name, info.name),
                )
                .label(format!("`{}` is #REQUIRED", info.name))
                .help(format!("add {}='{example}'", info.name));
                self.emit(d, node.origin);
            }
        }
    }

    fn check_idrefs(&mut self) {
        let refs = std::mem::take(&mut self.idrefs);
        for (v, span, origin) in refs {
            if !self.ids.contains_key(&v) {
                let mut d = Diagnostic::of(
                    &DTD_UNKNOWN_IDREF,
                    span,
                    format!("no element has the ID `{v}`"),
                )
                .label("this reference points nowhere");
                d = match crate::suggest::closest(&v, self.ids.keys().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "give the element it means an ID attribute with the value `{v}`, or correct the reference"
                    )),
                };
                self.emit(d, origin);
            }
        }
    }

    // ----- content -----

    fn content(&mut self, id: NodeId, sym: Sym) {
        let et = self.dtd.element(sym);
        match &et.content {
            Content::Any | Content::Undeclared => {}
            Content::Empty => self.empty(id),
            Content::Mixed(allowed) => self.mixed(id, allowed),
            Content::Children(_) => self.children(id, sym),
        }
    }

    fn empty(&mut self, id: NodeId) {
        let tree = self.tree;
        let Some(node) = tree.node(id) else { return };
        let (Some(first), NodeKind::Element(el)) = (node.first_child, &node.kind) else {
            return;
        };
        let Some(child) = tree.node(first) else {
            return;
        };
        let what = match &child.kind {
            NodeKind::Element(e) => format!("<{}>", self.tree.name(e)),
            NodeKind::Text(t) if tree.str(*t).chars().all(is_ws) => "white space".to_string(),
            NodeKind::Text(_) => "text".to_string(),
            NodeKind::CData(_) => "a CDATA section".to_string(),
            NodeKind::Comment(_) => "a comment".to_string(),
            NodeKind::Pi { .. } => "a processing instruction".to_string(),
        };
        let span = match &child.kind {
            NodeKind::Element(e) => e.name_span(),
            _ => child.span,
        };
        let name = self.tree.name(el);
        let d = Diagnostic::of(
            &DTD_NOT_EMPTY,
            span,
            format!("<{name}> is declared EMPTY but holds {what}"),
        )
        .label(format!("{what} inside <{name}>"))
        .secondary(el.name_span(), "declared EMPTY")
        .help(format!(
            "write <{}/>, with nothing inside, not even spaces or comments",
            name
        ));
        self.emit(d, child.origin);
    }

    /// The expansion that brought `child` into its parent: the outermost
    /// expansion in the child's chain that the parent is not itself part of.
    fn entering(&self, child: Option<ExpId>, parent: Option<ExpId>) -> Option<ExpId> {
        let mut cur = child;
        let mut last = None;
        let mut n = 0;
        while let Some(e) = cur {
            if Some(e) == parent || n > 64 {
                break;
            }
            last = Some(e);
            cur = self.tree.expansion(e).and_then(|x| x.parent);
            n += 1;
        }
        last
    }

    fn mixed(&mut self, id: NodeId, allowed: &[Sym]) {
        let tree = self.tree;
        let dtd = self.dtd;
        let Some(node) = tree.node(id) else { return };
        let NodeKind::Element(parent) = &node.kind else {
            return;
        };
        // Disallowed children, grouped when one entity reference brought
        // several of them in.
        let mut groups: Vec<(Option<ExpId>, Vec<NodeId>)> = Vec::new();
        for c in tree.children(id) {
            let Some(cn) = tree.node(c) else { continue };
            let NodeKind::Element(_) = &cn.kind else {
                continue;
            };
            let Some(s) = self.sym(c).filter(|&s| dtd.element(s).decl.is_some()) else {
                continue; // reported as undeclared
            };
            if allowed.binary_search(&s).is_ok() {
                continue;
            }
            let via = self.entering(cn.origin, node.origin);
            match groups.last_mut() {
                Some((g, members)) if via.is_some() && *g == via => members.push(c),
                _ => groups.push((via, vec![c])),
            }
        }
        if groups.is_empty() {
            return;
        }
        let allowed_names: Vec<&str> = allowed.iter().map(|&s| dtd.name(s)).collect();
        let pname = tree.name(parent);
        for (via, members) in groups {
            let mut names: Vec<String> = Vec::new();
            for &m in &members {
                if let Some(e) = tree.element(m)
                    && !names.contains(&tag(tree.name(e)))
                {
                    names.push(tag(tree.name(e)));
                }
            }
            let Some(first) = members.first().and_then(|&m| tree.node(m)) else {
                continue;
            };
            let NodeKind::Element(fe) = &first.kind else {
                continue;
            };
            let verb = if names.len() == 1 { "is" } else { "are" };
            let message = format!("{} {verb} not allowed in <{}>", list(&names, "and"), pname);
            let holds = if allowed_names.is_empty() {
                format!("<{pname}> may hold only text")
            } else {
                let tags: Vec<String> = allowed_names.iter().map(|n| tag(n)).collect();
                format!("<{}> may hold text and {}", pname, list(&tags, "and"))
            };
            let mut d = Diagnostic::of(&DTD_CHILD_NOT_ALLOWED, fe.name_span(), message)
                .label(format!("not allowed inside <{pname}>"))
                .secondary(parent.name_span(), format!("inside this <{pname}>"));
            d = match via.and_then(|e| tree.expansion(e)) {
                Some(x) => d.help(format!(
                    "the entity `&{};` expands to {}; use it outside the <{}>, or write plain text ({holds})",
                    x.name,
                    list(&names, "and"),
                    pname
                )),
                None => match crate::suggest::closest(tree.name(fe), allowed_names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean <{s}>? ({holds})")),
                    None => d.help(holds),
                },
            };
            self.emit(d, first.origin);
        }
    }

    fn children(&mut self, id: NodeId, sym: Sym) {
        let tree = self.tree;
        let dtd = self.dtd;
        let Content::Children(a) = &dtd.element(sym).content else {
            return;
        };
        let Some(node) = tree.node(id) else { return };
        let NodeKind::Element(parent) = &node.kind else {
            return;
        };
        if self.fast && a.is_deterministic() && self.children_fit(a, id) {
            return;
        }
        let pname = tree.name(parent);
        let help = || format!("<{pname}> takes: {}", a.model);
        let mut cur = std::mem::take(&mut self.states);
        a.reset(&mut cur);
        let mut next = std::mem::take(&mut self.next_states);
        let mut prev: Option<&str> = None;
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        let mut text_reported = false;
        // The error about the last child that did not fit, while no child
        // has fitted since: further misfits join it instead of piling up.
        let mut open: Option<(usize, usize)> = None;
        let mut misfits = false;
        // The first finding about this element's content: it carries the fix.
        let mut first: Option<usize> = None;
        for c in tree.children(id) {
            let Some(cn) = tree.node(c) else { continue };
            match &cn.kind {
                NodeKind::Element(e) => {
                    let s = self.sym(c);
                    let declared = s.filter(|&s| dtd.element(s).decl.is_some());
                    if let Some(s) = s {
                        a.step(&cur, s, &mut next);
                        if !next.is_empty() {
                            std::mem::swap(&mut cur, &mut next);
                            prev = Some(tree.name(e));
                            seen.push(tree.name(e));
                            open = None;
                            continue;
                        }
                    }
                    if declared.is_none() {
                        // Already reported as undeclared. Go on as if it
                        // were the declared name it most resembles.
                        if let Some(t) =
                            suggest_element(dtd, tree.name(e)).and_then(|n| dtd.symbol(n))
                        {
                            a.step(&cur, t, &mut next);
                            if !next.is_empty() {
                                std::mem::swap(&mut cur, &mut next);
                                prev = Some(dtd.name(t));
                            }
                        }
                        continue;
                    }
                    let s = declared.unwrap_or(u32::MAX);
                    if let Some((idx, n)) = &mut open {
                        *n += 1;
                        if let (Some(d), Some(at)) = (self.out.get_mut(*idx), tree.document_span(c))
                        {
                            if *n <= 3 {
                                d.secondary.push(crate::diag::Label {
                                    span: at,
                                    message: format!("<{}> does not fit either", tree.name(e)),
                                });
                            } else if *n == 4 {
                                d.notes.push(crate::diag::Note {
                                    message: "more children after these do not fit either".into(),
                                    span: None,
                                });
                            }
                        }
                        seen.push(tree.name(e));
                        continue;
                    }
                    let resynced = a.resync(&cur, s);
                    let expected = self.expected_phrase(a, &cur, pname);
                    let at = match prev {
                        Some(p) => format!("after <{p}>"),
                        None => "as the first child".to_string(),
                    };
                    let label = if !a.mentions(s) {
                        format!("<{pname}> cannot hold <{}>", tree.name(e))
                    } else if !resynced.is_empty() {
                        let req = a.required(&cur);
                        if req.is_empty() {
                            "out of place".to_string()
                        } else {
                            let req: Vec<String> = req.iter().map(|&r| tag(dtd.name(r))).collect();
                            let verb = if req.len() == 1 { "is" } else { "are" };
                            format!("{} {verb} missing before this", list(&req, "or"))
                        }
                    } else if seen.contains(&tree.name(e)) {
                        format!("<{}> cannot come again here", tree.name(e))
                    } else {
                        format!("<{}> belongs earlier in <{pname}>", tree.name(e))
                    };
                    // A long list of optional names says little: then just
                    // say the child does not belong.
                    let message = match expected {
                        Some(expected) => {
                            format!(
                                "<{pname}>: expected {expected} {at}, found <{}>",
                                tree.name(e)
                            )
                        }
                        None => format!("<{}> is not allowed in <{pname}>", tree.name(e)),
                    };
                    let d = Diagnostic::of(&DTD_CONTENT, e.name_span(), message)
                        .label(label)
                        .secondary(parent.name_span(), format!("in this <{pname}>"))
                        .help(help());
                    // Recover: skip what is missing, or skip this child.
                    misfits = true;
                    if resynced.is_empty() {
                        open = self.emit(d, cn.origin).map(|i| (i, 0));
                        first = first.or(open.map(|(i, _)| i));
                    } else {
                        first = first.or(self.emit(d, cn.origin));
                        cur = resynced;
                        prev = Some(tree.name(e));
                    }
                    seen.push(tree.name(e));
                }
                NodeKind::Text(t) | NodeKind::CData(t) => {
                    let t = tree.str(*t);
                    let cdata = matches!(cn.kind, NodeKind::CData(_));
                    if text_reported || (!cdata && t.chars().all(is_ws)) {
                        continue;
                    }
                    text_reported = true;
                    let what = if cdata { "a CDATA section" } else { "text" };
                    // Point at the first non-space character of the text.
                    let span = if cdata {
                        cn.span
                    } else {
                        let lead = t.len() - t.trim_start_matches(is_ws).len();
                        let start = cn.span.start as usize + lead;
                        if cn.origin.is_none() && start < cn.span.end as usize {
                            let len = t
                                .trim_start_matches(is_ws)
                                .trim_end_matches(is_ws)
                                .len()
                                .min(cn.span.end as usize - start);
                            Span::new(cn.span.file, start, start + len)
                        } else {
                            cn.span
                        }
                    };
                    let d = Diagnostic::of(
                        &DTD_TEXT_NOT_ALLOWED,
                        span,
                        format!("{what} is not allowed in <{pname}>"),
                    )
                    .label(format!("{what} here"))
                    .secondary(parent.name_span(), format!("<{pname}> holds elements only"))
                    .help(format!("put the text inside a child element; {}", help()));
                    self.emit(d, cn.origin);
                }
                _ => {}
            }
        }
        // After a misfit, what is missing at the end is mostly its echo.
        if !a.accepts(&cur) && !misfits {
            let expected = self
                .expected_phrase(a, &cur, pname)
                .unwrap_or_else(|| "more content".to_string());
            let at = match prev {
                Some(p) => format!("after <{p}>"),
                None => "as the first child".to_string(),
            };
            let (span, found, label) = match parent.end_span() {
                Some(end) => (
                    end,
                    format!("</{pname}>"),
                    format!("{expected} must come before </{pname}>"),
                ),
                None => (
                    node.span,
                    format!("an empty <{pname}/>"),
                    format!("<{pname}/> has no content"),
                ),
            };
            let d = Diagnostic::of(
                &DTD_CONTENT,
                span,
                format!("<{pname}>: expected {expected} {at}, found {found}"),
            )
            .label(label)
            .help(help());
            first = first.or(self.emit(d, node.origin));
        }
        if let Some(i) = first
            && let Some(fix) = self.order_fix(a, id)
            && let Some(d) = self.out.get_mut(i)
        {
            d.fix = Some(fix);
        }
        self.states = cur;
        self.next_states = next;
        self.seen = seen;
    }

    /// Whether the children of `id` match the deterministic automaton `a`
    /// with nothing to report: every child element steps on, no text but
    /// white space, no CDATA section, and the content may end there. Exactly
    /// when [`Validator::children`]'s general loop would emit nothing.
    fn children_fit(&self, a: &crate::dtd::compile::Automaton, id: NodeId) -> bool {
        let tree = self.tree;
        let mut state: State = 0;
        for c in tree.children(id) {
            let Some(cn) = tree.node(c) else { continue };
            match &cn.kind {
                NodeKind::Element(_) => {
                    let Some(next) = self.sym(c).and_then(|s| a.next(state, s)) else {
                        return false;
                    };
                    state = next;
                }
                NodeKind::Text(t) => {
                    if !is_all_ws(tree.str(*t)) {
                        return false;
                    }
                }
                NodeKind::CData(_) => return false,
                NodeKind::Comment(_) | NodeKind::Pi { .. } => {}
            }
        }
        a.accepts_state(state)
    }

    /// What may come next: the required names if any, else every name
    /// allowed (and the end, when it is allowed); `None` when that is a long
    /// list of options.
    fn expected_phrase(
        &self,
        a: &crate::dtd::compile::Automaton,
        cur: &[u32],
        pname: &str,
    ) -> Option<String> {
        let req = a.required(cur);
        let optional = req.is_empty();
        let syms = if optional { a.expected(cur) } else { req };
        let mut names: Vec<String> = syms.iter().map(|&s| tag(self.dtd.name(s))).collect();
        if a.accepts(cur) {
            names.push(format!("</{pname}>"));
        }
        if names.is_empty() || (optional && names.len() > 4) {
            return None;
        }
        Some(list(&names, "or"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Input, Options, Session};

    thread_local! {
        /// Whether the last validation on this thread took the shortcut
        /// for documents with nothing to report.
        pub(super) static SHORTCUT: std::cell::Cell<Option<bool>> =
            const { std::cell::Cell::new(None) };
    }

    fn check(text: &str) -> Vec<(String, &'static str)> {
        let session = Session::new(Options::default());
        let dir = std::env::temp_dir();
        let input = Input {
            path: dir.join("xeplint-validate-test.xml"),
            display: "t.xml".into(),
            root: None,
            admitted: None,
            error: None,
            unnamed: false,
            bytes: Some(text.as_bytes().to_vec()),
        };
        let report = session.check(&input);
        let sources = session.snapshot();
        report
            .diagnostics
            .iter()
            .filter(|d| d.rule.starts_with("dtd-"))
            .map(|d| {
                let lc = sources.line_col(d.primary.span.file, d.primary.span.start as usize);
                (format!("{}:{} {}", lc.line, lc.column, d.message), d.rule)
            })
            .collect()
    }

    const DTD: &str = "<!DOCTYPE r [
<!ELEMENT r (a, b?, c+)>
<!ELEMENT a EMPTY>
<!ELEMENT b (#PCDATA)>
<!ELEMENT c (#PCDATA | b)*>
<!ATTLIST a k (x | y) #REQUIRED f CDATA #FIXED 'v' i ID #IMPLIED>
<!ATTLIST c r IDREF #IMPLIED>
]>
";

    #[test]
    fn valid_document() {
        let doc = format!("{DTD}<r><a k='x' i='n1'/><b>t</b><c r='n1'>x<b/></c></r>");
        assert_eq!(check(&doc), []);
    }

    #[test]
    fn each_kind_of_error() {
        let doc = format!(
            "{DTD}<r><a k='z' f='w' i='n1' q='1'>x</a><c r='n2'><a k='x'/></c><c>t</c><d/>text</r>"
        );
        let got = check(&doc);
        let rules: Vec<&str> = got.iter().map(|g| g.1).collect();
        for r in [
            "dtd-attribute-value",
            "dtd-fixed-attribute",
            "dtd-undeclared-attribute",
            "dtd-not-empty",
            "dtd-unknown-idref",
            "dtd-child-not-allowed",
            "dtd-undeclared-element",
            "dtd-text-not-allowed",
        ] {
            assert!(rules.contains(&r), "{r} missing from {got:#?}");
        }
    }

    #[test]
    fn sequence_messages() {
        let doc = format!("{DTD}<r><b/><a k='x'/><c/></r>");
        let got = check(&doc);
        assert_eq!(
            got[0].0, "9:5 <r>: expected <a> as the first child, found <b>",
            "{got:#?}"
        );
        let doc = format!("{DTD}<r><a k='x'/><b/>\n</r>");
        let got = check(&doc);
        assert_eq!(
            got,
            [(
                "10:1 <r>: expected <c> after <b>, found </r>".to_string(),
                "dtd-content"
            )]
        );
    }

    #[test]
    fn ids_and_root() {
        let doc = format!("{DTD}<r><a k='x' i='n'/><c/><c><a k='y' i='n'/></c></r>");
        let got = check(&doc);
        assert!(got.iter().any(|g| g.1 == "dtd-duplicate-id"), "{got:#?}");
        let doc = DTD.replace("DOCTYPE r", "DOCTYPE s") + "<r><a k='x'/><c/></r>";
        let got = check(&doc);
        assert_eq!(got[0].1, "dtd-root-mismatch", "{got:#?}");
    }

    #[test]
    fn bundled_when_no_doctype() {
        let got = check("<xep><header/></xep>");
        assert_eq!(got[0].1, "dtd-bundled", "{got:#?}");
        assert!(got.iter().any(|g| g.1 == "dtd-content"), "{got:#?}");
    }

    /// A document at `path`, read from there or given as `text`.
    fn input_at(path: &std::path::Path, text: Option<&str>) -> Input {
        Input {
            path: path.to_path_buf(),
            display: "t.xml".into(),
            root: None,
            admitted: None,
            error: None,
            unnamed: false,
            bytes: text.map(|t| t.as_bytes().to_vec()),
        }
    }

    /// Every finding, in full, with and without the shortcuts for valid
    /// content.
    fn both_ways(path: &std::path::Path, text: Option<&str>) -> (String, String) {
        let session = Session::new(Options::default());
        let input = input_at(path, text);
        let Ok(parsed) = session.parse(&input) else {
            return (String::new(), String::new());
        };
        let run = |fast| {
            let got = session.dtds.validate_with(
                &session.loader,
                session.options.dtd.as_ref(),
                &parsed,
                fast,
            );
            format!("{got:#?}")
        };
        (run(true), run(false))
    }

    /// The shortcuts for valid content change nothing, on documents made to
    /// sit at their edges.
    #[test]
    fn shortcuts_agree_with_the_general_path() {
        let dtd = "<!DOCTYPE r [
<!ELEMENT r (a, b?, c+, (d | e)*, u?)>
<!ELEMENT a EMPTY>
<!ELEMENT b (#PCDATA)>
<!ELEMENT c (#PCDATA | b | d | m)*>
<!ELEMENT d (a | b)+>
<!ELEMENT e ((a, b) | (a, c))>
<!ELEMENT m (#PCDATA)>
<!ENTITY ab '<a/><b/>'>
<!ENTITY t 'text'>
<!ATTLIST a k CDATA #IMPLIED f CDATA #FIXED 'v' n NMTOKEN 'x' t (p | q) #IMPLIED>
<!ATTLIST b i ID #IMPLIED>
<!ATTLIST d r IDREF #IMPLIED g NMTOKENS #FIXED 'a b'>
<!ATTLIST m q CDATA #REQUIRED>
]>
";
        let bodies = [
            "<r><a/><c/></r>",
            "<r>\n <a/>\n\t<b>x</b><c>t<b/><d><a/></d></c><d><b/><a/></d><e/><u/></r>",
            "<r><a/><!-- c --><?pi x?><c/></r>",
            "<r><a/></r>",
            "<r/>",
            "<r></r>",
            "<r> </r>",
            "<r><a/>\u{a0}<c/></r>",
            "<r><a/><![CDATA[ ]]><c/></r>",
            "<r><a/>text<c/></r>",
            "<r><a/><c/>&t;</r>",
            "<r>&ab;<c/></r>",
            "<r><b/><a/><c/></r>",
            "<r><a/><c/><b/></r>",
            "<r><a/><m/><c/></r>",
            "<r><a/><x/><c/></r>",
            "<r><a/><c/><e><a/><c/></e><e><a/><b/></e><e><a/></e></r>",
            "<r><a/><c/><d/></r>",
            "<r><a/><c><![CDATA[x]]></c></r>",
            "<r><a/><b><![CDATA[x]]></b><c>t</c><c>t<!-- c --></c><c>t<m q=''>u</m></c></r>",
            "<r><a/><c>t<b>u</b><b>v<a/></b></c></r>",
            "<r><a/><c/><u><a/></u></r>",
            "<r><a/><c/><a/><a/><a/><a/><a/></r>",
            "<r><a k='v'><b/></a><c>&ab;</c></r>",
            "<r><a/><c/><d><c/></d></r>",
            "<r><a/><c/></r><!-- after -->",
            "<r><a/><c/><d>",
            "<r><a/><c/><d><c/>",
            "<r><a k='1' f='v' n=' y ' t='q'/><c/></r>",
            "<r><a f='w'/><c/></r>",
            "<r><a n='x y'/><c/></r>",
            "<r><a t='z'/><c/></r>",
            "<r><a z='1'/><c/></r>",
            "<r><a/><b i='x'/><c/></r>",
            "<r><a/><b i='x'/><c><b i='x'/></c></r>",
            "<r><a/><c/><d r='x'><a/></d></r>",
            "<r><a/><b i='x'/><c/><d r='x'><a/></d></r>",
            "<r><a/><c/><d g=' a  b '><a/></d></r>",
            "<r><a/><c/><d g='a'><a/></d></r>",
            "<r><a/><c><m q=''/></c></r>",
            "<r><a/><c><m/></c></r>",
            "<r><a>&t;</a><c/></r>",
            "<r><a><!-- x --></a><c/></r>",
            "<r><a> </a><c/></r>",
            "<s><a/><c/></s>",
            "<r><a/><c>x<a/></c></r>",
            "<r><a/><b><a/></b><c/></r>",
            "<r><a/><c><u/></c></r>",
        ];
        for body in bodies {
            let doc = format!("{dtd}{body}");
            let (fast, slow) =
                both_ways(&std::env::temp_dir().join("xeplint-both.xml"), Some(&doc));
            assert_eq!(fast, slow, "{body}");
        }
        // Content without rows (a model too large for them, one that is not
        // deterministic), ANY, mixed and EMPTY content, and attributes past
        // the 64th.
        let names: Vec<String> = (0..300).map(|i| format!("n{i}")).collect();
        let atts: String = (0..70).map(|i| format!(" a{i} CDATA #IMPLIED")).collect();
        let dtd = format!(
            "<!DOCTYPE r [
<!ELEMENT r (big*, seq?, any?, m*, e*, amb?, w*)>
<!ELEMENT big ({})*>
<!ELEMENT seq ({})>
{}
<!ELEMENT any ANY>
<!ELEMENT m (#PCDATA | n0 | n1)*>
<!ELEMENT e EMPTY>
<!ELEMENT amb ((n0, n1) | (n0, n2))>
<!ELEMENT w EMPTY>
<!ATTLIST w{atts} z CDATA #REQUIRED>
<!ATTLIST n1 k (x | y) 'x' f CDATA #FIXED 'v' t NMTOKEN #IMPLIED>
]>
",
            names.join(" | "),
            names.join(", "),
            names
                .iter()
                .map(|n| format!("<!ELEMENT {n} EMPTY>"))
                .collect::<String>()
        );
        let in_order: String = names.iter().map(|n| format!("<{n}/>")).collect();
        let swapped = in_order.replacen("<n7/><n8/>", "<n8/><n7/>", 1);
        let short = in_order.replacen("<n299/>", "", 1);
        let seqs = [
            format!("<r><seq>{in_order}</seq></r>"),
            format!("<r><seq>{swapped}</seq></r>"),
            format!("<r><seq>{short}</seq></r>"),
            format!("<r><seq>{in_order} x</seq></r>"),
            "<r><seq/></r>".to_string(),
        ];
        let bodies = [
            "<r/>",
            "<r><big/></r>",
            "<r><big><n0/><e/></big></r>",
            "<r><big><n0/><n5/><n299/></big></r>",
            "<r><big><n0/>text</big></r>",
            "<r><big> <n0/> </big><big><!-- c --><x/></big></r>",
            "<r><big><n0/><![CDATA[ ]]></big></r>",
            "<r><any><n0/>text<![CDATA[x]]><big/></any></r>",
            "<r><any><x/></any></r>",
            "<r><m>t<n0/><n1 k='y'/></m></r>",
            "<r><m>t<n2/></m></r>",
            "<r><m><n1 k='z' f='w' t='a b'/></m></r>",
            "<r><e><!-- c --></e></r>",
            "<r><e> </e></r>",
            "<r><e><?pi x?></e></r>",
            "<r><amb><n0/><n1/></amb></r>",
            "<r><amb/></r>",
            "<r><w z='1'/></r>",
            "<r><w/></r>",
            "<r><w a69='x' z='1' a0='y'/></r>",
            "<r><w a69='x'/></r>",
            "<r><w a68='x' a70='y' z=''/></r>",
            "<r><big><n0/></big><any/><m/><e/><w z=''/></r>",
        ];
        for body in bodies
            .iter()
            .copied()
            .chain(seqs.iter().map(String::as_str))
        {
            let doc = format!("{dtd}{body}");
            let (fast, slow) =
                both_ways(&std::env::temp_dir().join("xeplint-both.xml"), Some(&doc));
            assert_eq!(fast, slow, "{body}");
        }
        // And on the fixtures, under the bundled DTD and their own.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut dirs = vec![root];
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "xml") {
                    let (fast, slow) = both_ways(&p, None);
                    assert_eq!(fast, slow, "{}", p.display());
                    files += 1;
                }
            }
        }
        assert!(files > 10, "{files} fixtures");
    }

    /// Valid documents take the shortcut, and the others do not (which the
    /// findings alone would not show).
    #[test]
    fn valid_documents_take_the_shortcut() {
        let taken = |path: &std::path::Path, text: Option<&str>| {
            let session = Session::new(Options::default());
            let input = input_at(path, text);
            let parsed = session.parse(&input).expect("parsed");
            SHORTCUT.with(|s| s.set(None));
            let got = session.dtds.validate_with(
                &session.loader,
                session.options.dtd.as_ref(),
                &parsed,
                true,
            );
            let clean = got.iter().all(|d| d.severity != Severity::Error);
            (SHORTCUT.with(|s| s.get()), clean)
        };
        let tmp = std::env::temp_dir().join("xeplint-shortcut.xml");
        let valid = format!("{DTD}<r><a k='x'/><b>t</b><c>x<b/> </c>\n<!-- c --></r>");
        assert_eq!(taken(&tmp, Some(&valid)), (Some(true), true));
        // An ID attribute: the walk records it.
        let with_id = format!("{DTD}<r><a k='x' i='n1'/><c/></r>");
        assert_eq!(taken(&tmp, Some(&with_id)), (Some(false), true));
        for body in [
            "<r><a k='x'/></r>",
            "<r><a k='x'/><c/><d/></r>",
            "<r> x <a k='x'/><c/></r>",
        ] {
            let doc = format!("{DTD}{body}");
            assert_eq!(taken(&tmp, Some(&doc)), (Some(false), false), "{body}");
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for file in ["xep-0002.xml", "xep-0429.xml", "inbox/sigexample.xml"] {
            assert_eq!(taken(&root.join(file), None), (Some(true), true), "{file}");
        }
    }

    /// Declarations in a file that the internal subset pulls in count, on
    /// every document that pulls it in (whether a file declares any is
    /// remembered per run).
    #[test]
    fn included_declarations_are_used_every_time() {
        let dir = std::env::temp_dir().join(format!("xeplint-included-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.ent"), "<!ELEMENT r (a, b?)> <!ELEMENT a EMPTY>").unwrap();
        std::fs::write(dir.join("e.ent"), "<!ENTITY x 'y'>").unwrap();
        let session = Session::new(Options::default());
        let run = |body: &str| {
            let doc = format!(
                "<!DOCTYPE r [<!ENTITY % e SYSTEM 'e.ent'> %e; <!ENTITY % m SYSTEM 'm.ent'> %m; <!ELEMENT b EMPTY>]>{body}"
            );
            let input = Input {
                path: dir.join("d.xml"),
                display: "d.xml".into(),
                root: None,
                admitted: None,
                error: None,
                unnamed: false,
                bytes: Some(doc.into_bytes()),
            };
            let report = session.check(&input);
            report
                .diagnostics
                .iter()
                .filter(|d| d.rule.starts_with("dtd-"))
                .map(|d| d.rule)
                .collect::<Vec<_>>()
        };
        for _ in 0..2 {
            assert_eq!(run("<r><a/><b/></r>"), Vec::<&str>::new());
            assert_eq!(run("<r><b/></r>"), ["dtd-content"]);
            assert_eq!(run("<r><a/><c/></r>"), ["dtd-undeclared-element"]);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn deep_trees_do_not_overflow() {
        let depth = 5000;
        let doc = format!(
            "<!DOCTYPE r [<!ELEMENT r (r?)>]>{}{}",
            "<r>".repeat(depth),
            "</r>".repeat(depth)
        );
        assert_eq!(check(&doc), []);
    }
}
