//! The DOCTYPE: its name and identifiers, the internal subset, the external
//! DTD and the parameter entities that pull in entity files.

use super::*;
use crate::source::piece;
use crate::xml::rules::{
    XML_BAD_DOCTYPE, XML_ENTITY_FILE_MISSING, XML_ENTITY_LIMIT, XML_UNDEFINED_ENTITY,
};

impl Parser<'_> {
    pub(super) fn doctype(&mut self, raw: &str, before: usize) {
        let file = self.file;
        let sp = |a: usize, b: usize| {
            Span::new(
                file,
                before + floor_char(raw, a),
                before + ceil_char(raw, b),
            )
        };
        let b = raw.as_bytes();
        let mut i = "<!DOCTYPE".len();
        let skip_ws = |i: &mut usize| {
            while b
                .get(*i)
                .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            {
                *i += 1;
            }
        };
        skip_ws(&mut i);
        let rest = piece(raw, i..);
        let nlen: usize = rest
            .chars()
            .take_while(|&c| is_name_char(c))
            .map(char::len_utf8)
            .sum();
        let name = piece(rest, ..nlen).to_string();
        if !is_name(&name) {
            self.push(
                Diagnostic::of(
                    &XML_BAD_DOCTYPE,
                    sp(i, i + 1),
                    "the DOCTYPE has no valid document type name",
                )
                .label("a name such as `xep` was expected here"),
            );
        }
        i += nlen;
        skip_ws(&mut i);
        let mut system = None;
        let mut public = None;
        let mut system_span = None;
        let quoted = |i: &mut usize| -> Option<(usize, usize)> {
            let q = *b.get(*i)?;
            if q != b'"' && q != b'\'' {
                return None;
            }
            let len = b.get(*i + 1..)?.iter().position(|&c| c == q)?;
            let r = (*i + 1, *i + 1 + len);
            *i += len + 2;
            Some(r)
        };
        let kw = piece(raw, i..);
        if kw.starts_with("SYSTEM") || kw.starts_with("PUBLIC") {
            let is_public = kw.starts_with("PUBLIC");
            i += 6;
            skip_ws(&mut i);
            if is_public {
                match quoted(&mut i) {
                    Some((a, e)) => public = Some(piece(raw, a..e).to_string()),
                    None => self.push(
                        Diagnostic::of(
                            &XML_BAD_DOCTYPE,
                            sp(i, i + 1),
                            "expected a quoted public identifier",
                        )
                        .label("here"),
                    ),
                }
                skip_ws(&mut i);
            }
            match quoted(&mut i) {
                Some((a, e)) => {
                    system = Some(piece(raw, a..e).to_string());
                    system_span = Some(sp(a, e));
                }
                None => self.push(
                    Diagnostic::of(
                        &XML_BAD_DOCTYPE,
                        sp(i, i + 1),
                        "expected a quoted system identifier",
                    )
                    .label("here"),
                ),
            }
            skip_ws(&mut i);
        }
        self.tree.doctype = Some(Doctype {
            name,
            system: system.clone(),
            public,
            span: sp(0, raw.len()),
            system_span,
        });
        // Internal subset.
        if b.get(i) == Some(&b'[') {
            let close = raw
                .rfind(']')
                .unwrap_or(raw.len().saturating_sub(1))
                .max(i + 1);
            let subset = piece(raw, i + 1..close);
            let decls = parse_decls(subset, file, before + i + 1, Subset::Internal);
            for e in decls.errors {
                self.push(e);
            }
            let (place, shown) = (self.place.clone(), self.display_dir.clone());
            self.walk_decls(decls.decls, &place, &shown, 0);
        }
        // External subset: the DTD.
        if let (Some(sys), Some(span)) = (system, system_span) {
            self.scope.dtd = self.load_dtd(&sys, span);
            if let DtdRef::Loaded(f) = &self.scope.dtd {
                let f = f.clone();
                self.scope.shared.push(f);
            }
        }
    }

    pub(super) fn load_dtd(&mut self, system: &str, span: Span) -> DtdRef {
        let missing = |reason: String| DtdRef::Missing {
            span,
            system: system.to_string(),
            reason,
        };
        let admitted =
            match self.loader.gate.admit_system(&self.place, system) {
                Ok(a) => a,
                Err(why) => {
                    if why.is_policy() {
                        self.push(refusal_diagnostic(span, system, &why).help(
                            "xeplint will use its bundled DTD; pass `--dtd PATH` to choose one",
                        ));
                    }
                    return missing(why.reason());
                }
            };
        let display = display_join(&self.display_dir, system);
        match self.loader.load(&admitted, display) {
            Ok(f) => {
                for e in &f.decls.errors {
                    self.push(e.clone());
                }
                DtdRef::Loaded(f)
            }
            Err(e) => missing(e.reason()),
        }
    }

    /// Take in declarations in order: entities into scopes, parameter
    /// references spliced.
    pub(super) fn walk_decls(
        &mut self,
        decls: Vec<Decl>,
        place: &Place,
        shown: &Path,
        depth: usize,
    ) {
        let mut local_pe: HashMap<String, EntityDecl> = HashMap::new();
        let mut referenced: Vec<String> = Vec::new();
        for d in decls {
            if self.abort {
                return;
            }
            match d {
                Decl::Entity(e) => {
                    if e.parameter {
                        local_pe.entry(e.name.clone()).or_insert(e);
                    } else if self.lookup(&e.name).is_none() {
                        self.scope
                            .local_entities
                            .insert(e.name.clone(), Arc::new(e));
                    }
                }
                Decl::PeRef { name, span } => {
                    referenced.push(name.clone());
                    let pe = local_pe.get(&name).cloned().or_else(|| {
                        self.scope
                            .included
                            .iter()
                            .find_map(|f| f.entity(&name, true).cloned())
                    });
                    self.pe_reference(&name, span, pe, place, shown, depth);
                }
                other => self.scope.internal_decls.push(other),
            }
        }
        // Entity files declared at the top of the internal subset and never
        // pulled in (`<!ENTITY % ents SYSTEM 'xep.ent'>` without `%ents;`):
        // the likely cause of every undefined entity that follows.
        if depth == 0 {
            let mut unused: Vec<(String, String)> = local_pe
                .into_iter()
                .filter(|(name, _)| !referenced.contains(name))
                .filter_map(|(name, e)| match e.value {
                    EntityValue::External { system, .. } => Some((name, system)),
                    EntityValue::Internal { .. } => None,
                })
                .collect();
            unused.sort();
            self.scope.unreferenced.extend(unused);
        }
    }

    pub(super) fn pe_reference(
        &mut self,
        name: &str,
        span: Span,
        pe: Option<EntityDecl>,
        place: &Place,
        shown: &Path,
        depth: usize,
    ) {
        let Some(pe) = pe else {
            self.push(
                Diagnostic::of(
                    &XML_UNDEFINED_ENTITY,
                    span,
                    format!("parameter entity `%{name};` is not declared"),
                )
                .label("unknown parameter entity")
                .help(format!(
                    "declare it first, e.g. <!ENTITY % {name} SYSTEM 'xep.ent'>"
                )),
            );
            return;
        };
        if depth > crate::limits::MAX_PE_DEPTH {
            self.push(
                Diagnostic::of(
                    &XML_ENTITY_LIMIT,
                    span,
                    "parameter entities are nested too deeply",
                )
                .label("stopped here"),
            );
            return;
        }
        match &pe.value {
            EntityValue::Internal {
                text, span: vspan, ..
            } => {
                // Parameter entities can be nested into a bomb as well.
                if !self.charge(text.len() + EXPANSION_COST, span, None) {
                    return;
                }
                let decls = parse_decls(text, vspan.file, vspan.start as usize, Subset::External);
                for e in decls.errors {
                    self.push(e);
                }
                self.walk_decls(decls.decls, place, shown, depth + 1);
            }
            EntityValue::External {
                system,
                system_span,
                ..
            } => {
                let chosen = self.opts.entities.as_ref();
                let (admitted, display) = match chosen {
                    Some(c) => (
                        c.admitted(&self.loader.gate).clone(),
                        c.path.display().to_string(),
                    ),
                    None => (
                        self.loader.gate.admit_system(place, system),
                        display_join(shown, system),
                    ),
                };
                let loaded = match admitted {
                    Err(why) if why.is_policy() && chosen.is_none() => {
                        self.scope.entities_complete = false;
                        self.push(refusal_diagnostic(*system_span, system, &why));
                        return;
                    }
                    Err(why) => Err(why),
                    Ok(a) => self.loader.load(&a, display.clone()),
                };
                match loaded {
                    Ok(f) => {
                        for e in &f.decls.errors {
                            self.push(e.clone());
                        }
                        if self.scope.included.iter().any(|g| Arc::ptr_eq(g, &f)) {
                            return;
                        }
                        self.scope.included.push(f.clone());
                        let sub_place = f
                            .admitted
                            .as_ref()
                            .map_or_else(|| place.clone(), |a| a.place());
                        let sub_shown = Path::new(&display)
                            .parent()
                            .map_or_else(PathBuf::new, Path::to_path_buf);
                        let nested: Vec<(String, Span)> = f
                            .pe_refs
                            .iter()
                            .filter_map(|&i| match f.decls.decls.get(i) {
                                Some(Decl::PeRef { name, span }) => Some((name.clone(), *span)),
                                _ => None,
                            })
                            .collect();
                        self.scope.shared.push(f.clone());
                        for (n, s) in nested {
                            let inner = f.entity(&n, true).cloned();
                            self.pe_reference(&n, s, inner, &sub_place, &sub_shown, depth + 1);
                        }
                    }
                    Err(e) => {
                        self.scope.entities_complete = false;
                        let what = match chosen {
                            Some(c) => format!("the entity file given by {}", c.by),
                            None => "entity file".to_string(),
                        };
                        let d = Diagnostic::of(
                            &XML_ENTITY_FILE_MISSING,
                            *system_span,
                            format!("{what} `{display}` could not be read: {}", e.reason()),
                        )
                        .label(format!("`%{name};` names this file"))
                        .help("pass `--entities PATH` to use another entity file")
                        .note("references to the entities it would define are not reported");
                        self.push(d);
                    }
                }
            }
        }
    }
}
