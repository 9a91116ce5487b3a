//! Entity references: in content (expanded in place, or copied from a
//! recorded expansion) and in attribute values (normalized, all the way
//! down).

use super::*;
use crate::source::piece;
use crate::xml::rules::{
    XML_BAD_CHAR_REF, XML_BARE_AMPERSAND, XML_ENTITY_IN_ATTRIBUTE, XML_ENTITY_LIMIT,
    XML_EXTERNAL_ENTITY, XML_RECURSIVE_ENTITY, XML_TEXT_OUTSIDE_ROOT, XML_UNDEFINED_ENTITY,
    XML_UNESCAPED_LT, XML_UNPARSED_ENTITY,
};

impl Parser<'_> {
    /// Normalize an attribute value: references resolved, white space
    /// characters turned into spaces.
    pub(super) fn attr_value(&mut self, frag: &Frag<'_>, raw: &str, base: usize) -> TextRef {
        self.check_chars(frag, raw, base);
        // The usual value: nothing to resolve or normalize.
        if find_value_special(raw.as_bytes()).is_none() {
            return self.tree.add_text(raw);
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        let mut off = 0;
        while let Some(i) = find_value_special(rest.as_bytes()) {
            if self.abort {
                break;
            }
            out.push_str(piece(rest, ..i));
            let at = off + i;
            let tail = piece(rest, i..);
            match tail.as_bytes().first() {
                Some(b'<') => {
                    let d = Diagnostic::of(
                        &XML_UNESCAPED_LT,
                        frag.span(base + at, base + at + 1),
                        "`<` is not allowed in an attribute value",
                    )
                    .label("a bare `<`")
                    .help("write `&lt;`");
                    let d = self.with_origin(d, frag.origin);
                    self.push(d);
                    out.push('<');
                    rest = piece(tail, 1..);
                    off = at + 1;
                }
                Some(b'&') => {
                    let semi = tail
                        .find(';')
                        .filter(|&s| s > 1 && !piece(tail, 1..s).contains([' ', '&', '<']));
                    match semi {
                        None => {
                            let d = Diagnostic::of(
                                &XML_BARE_AMPERSAND,
                                frag.span(base + at, base + at + 1),
                                "`&` must start an entity reference",
                            )
                            .label("a bare `&` in an attribute value")
                            .help("write `&amp;`");
                            let d = self.amp_fix(d, frag.origin);
                            let d = self.with_origin(d, frag.origin);
                            self.push(d);
                            out.push('&');
                            rest = piece(tail, 1..);
                            off = at + 1;
                        }
                        Some(s) => {
                            let body = piece(tail, 1..s);
                            let span = frag.span(base + at, base + at + s + 1);
                            let mut active = Vec::new();
                            self.attr_reference(frag, body, span, &mut out, &mut active);
                            rest = piece(tail, s + 1..);
                            off = at + s + 1;
                        }
                    }
                }
                _ => {
                    out.push(' ');
                    rest = piece(tail, 1..);
                    off = at + 1;
                }
            }
        }
        out.push_str(rest);
        self.tree.add_text(&out)
    }

    /// The reference `&body;` inside an attribute value, normalized onto
    /// `out`: a character, a predefined entity, or an internal entity whose
    /// replacement text is normalized in turn (XML 1.0 §3.3.3), references
    /// inside it included. `span` is the reference as written in the
    /// attribute: what goes wrong inside an expansion is reported there.
    /// `active` holds the entities being expanded, outermost first.
    pub(super) fn attr_reference(
        &mut self,
        frag: &Frag<'_>,
        body: &str,
        span: Span,
        out: &mut String,
        active: &mut Vec<String>,
    ) {
        if self.abort {
            return;
        }
        // Where an inner finding comes from, for its message.
        let within = |active: &[String]| match active.first() {
            Some(outer) => format!(" (in the expansion of `&{outer};`)"),
            None => String::new(),
        };
        if let Some(num) = body.strip_prefix('#') {
            match char_ref_value(num) {
                Some(c) => out.push(c),
                None => self.bad_char_ref(frag, body, span),
            }
            return;
        }
        if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == body) {
            out.push(*c);
            return;
        }
        self.expansion.taint = true;
        if !is_xml_name(body) {
            let d = Diagnostic::of(
                &XML_BARE_AMPERSAND,
                span,
                format!("`&` must start an entity reference{}", within(active)),
            )
            .label(format!("`&{body};` is not a reference"))
            .help("write `&amp;`");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let Some(ent) = self.lookup(body) else {
            if active.is_empty() {
                self.undefined(frag, body, span);
            } else if self.scope.entities_complete {
                let d = Diagnostic::of(
                    &XML_UNDEFINED_ENTITY,
                    span,
                    format!("entity `{body}` is not defined{}", within(active)),
                )
                .label("an entity used here refers to an unknown entity");
                let d = self.with_origin(d, frag.origin);
                self.push(d);
            }
            return;
        };
        let Some(decl) = ent.decl() else { return };
        let EntityValue::Internal { text, .. } = &decl.value else {
            let d = Diagnostic::of(
                &XML_ENTITY_IN_ATTRIBUTE,
                span,
                format!(
                    "external entity `&{body};` cannot be used in an attribute value{}",
                    within(active)
                ),
            )
            .label("external entity")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        };
        if active.iter().any(|a| a == body) {
            let d = Diagnostic::of(
                &XML_RECURSIVE_ENTITY,
                span,
                format!("entity `{body}` refers to itself{}", within(active)),
            )
            .label("this reference never ends")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        if active.len() >= self.opts.limits.max_entity_depth {
            let d = Diagnostic::of(&XML_ENTITY_LIMIT,
                span,
                format!(
                    "entities are nested more than {} deep",
                    self.opts.limits.max_entity_depth
                ),
            )
            .label("expansion stopped here")
            .note("this protects against entity bombs (\"billion laughs\"); the rest of the file was not checked");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.abort = true;
            return;
        }
        if !self.charge(text.len() + EXPANSION_COST, span, frag.origin) {
            return;
        }
        if text.contains('<') {
            let d = Diagnostic::of(
                &XML_ENTITY_IN_ATTRIBUTE,
                span,
                format!(
                    "`&{body};` holds markup and cannot be used in an attribute value{}",
                    within(active)
                ),
            )
            .label("this entity's text contains `<`")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        active.push(body.to_string());
        let mut rest: &str = text;
        while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
            if self.abort {
                break;
            }
            out.push_str(piece(rest, ..i));
            let tail = piece(rest, i..);
            if tail.starts_with('&') {
                match tail.find(';') {
                    Some(semi) => {
                        let inner = piece(tail, 1..semi);
                        self.attr_reference(frag, inner, span, out, active);
                        rest = piece(tail, semi + 1..);
                    }
                    None => {
                        let d = Diagnostic::of(
                            &XML_BARE_AMPERSAND,
                            span,
                            format!("`&` must start an entity reference{}", within(active)),
                        )
                        .label("the text of an entity used here holds a bare `&`")
                        .help("write `&amp;` in the entity's text");
                        let d = self.with_origin(d, frag.origin);
                        self.push(d);
                        out.push('&');
                        rest = piece(tail, 1..);
                    }
                }
            } else {
                out.push(' ');
                rest = piece(tail, 1..);
            }
        }
        out.push_str(rest);
        active.pop();
    }

    pub(super) fn bad_char_ref(&mut self, frag: &Frag<'_>, body: &str, span: Span) {
        let d = Diagnostic::of(
            &XML_BAD_CHAR_REF,
            span,
            format!("`&{body};` is not a valid character reference"),
        )
        .label("not a legal XML character")
        .help("use `&#NNN;` (decimal) or `&#xHHHH;` (hexadecimal) for a character XML allows");
        let d = self.with_origin(d, frag.origin);
        self.push(d);
    }

    pub(super) fn undefined(&mut self, frag: &Frag<'_>, name: &str, span: Span) {
        self.expansion.taint = true;
        if !self.scope.entities_complete {
            return;
        }
        let mut d = Diagnostic::of(
            &XML_UNDEFINED_ENTITY,
            span,
            format!("entity `{name}` is not defined"),
        )
        .label("unknown entity");
        if let Some((pe, system)) = self
            .scope
            .unreferenced
            .first()
            .filter(|_| self.scope.included.is_empty())
        {
            // The DOCTYPE declares the entity file but never pulls it in.
            d = d.help(format!(
                "the DOCTYPE declares `%{pe};` (SYSTEM '{system}') but never references it: add `%{pe};` after its declaration"
            ));
        } else if let Some(best) = self.suggest_entity(name) {
            d = d.help(format!("did you mean `&{best};`?"));
        } else {
            d = d.help("declare it in the DOCTYPE's internal subset, or write the text out");
        }
        if self.scope.included.is_empty()
            && self.scope.unreferenced.is_empty()
            && self.tree.doctype.is_some()
        {
            d = d.note(
                "the DOCTYPE pulls in no entity file: does it declare and reference `%ents;`?",
            );
        }
        let d = self.with_origin(d, frag.origin);
        self.push(d);
    }

    pub(super) fn suggest_entity(&self, name: &str) -> Option<String> {
        let mut cands: Vec<&str> = PREDEFINED.iter().map(|(n, _)| *n).collect();
        cands.extend(self.scope.local_entities.keys().map(String::as_str));
        for f in &self.scope.shared {
            cands.extend(f.general.keys().map(String::as_str));
        }
        crate::suggest::closest(name, cands).map(str::to_string)
    }

    /// An entity by name. A name is taken into `local_entities` only when
    /// no earlier declaration has it, so looking there first, then in the
    /// files in order, finds the first declaration.
    pub(super) fn lookup(&self, name: &str) -> Option<EntRef> {
        if let Some(d) = self.scope.local_entities.get(name) {
            return Some(EntRef::Local(d.clone()));
        }
        self.scope
            .shared
            .iter()
            .find_map(|f| f.general.get(name).map(|&i| EntRef::Shared(f.clone(), i)))
    }

    /// `&…;` in content.
    pub(super) fn reference(&mut self, frag: &Frag<'_>, raw: &str, before: usize) {
        let body = piece(raw, 1..raw.len().saturating_sub(1));
        let span = frag.span(before, before + raw.len());
        if let Some(num) = body.strip_prefix('#') {
            match char_ref_value(num) {
                Some(c) => self.add_text(c.encode_utf8(&mut [0; 4]), span, frag.origin),
                None => self.bad_char_ref(frag, body, span),
            }
            return;
        }
        if let Some((_, c)) = PREDEFINED.iter().find(|(n, _)| *n == body) {
            self.add_text(c.encode_utf8(&mut [0; 4]), span, frag.origin);
            return;
        }
        if !is_xml_name(body) {
            let d = Diagnostic::of(
                &XML_BARE_AMPERSAND,
                frag.span(before, before + 1),
                "`&` must start an entity reference",
            )
            .label(format!("`{raw}` is not a reference"))
            .help("write `&amp;`");
            let d = self.amp_fix(d, frag.origin);
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.add_text(raw, span, frag.origin);
            return;
        }
        let Some(ent) = self.lookup(body) else {
            self.undefined(frag, body, span);
            return;
        };
        if self.stack.is_empty() {
            let d = Diagnostic::of(
                &XML_TEXT_OUTSIDE_ROOT,
                span,
                format!("entity reference `&{body};` outside the root element"),
            )
            .label("references may only stand inside elements");
            self.push(d);
            return;
        }
        let Some(decl) = ent.decl() else { return };
        if let EntityValue::External {
            ndata: Some(notation),
            ..
        } = &decl.value
        {
            let d = Diagnostic::of(
                &XML_UNPARSED_ENTITY,
                span,
                format!("`&{body};` names an unparsed entity"),
            )
            .label(format!(
                "`{body}` is data in notation `{notation}`, not XML text"
            ))
            .note_at(decl.name_span, format!("`{body}` is declared here"))
            .help("refer to unparsed entities only in attributes of type ENTITY or ENTITIES");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let EntityValue::Internal { text, .. } = &decl.value else {
            let d = Diagnostic::of(
                &XML_EXTERNAL_ENTITY,
                span,
                format!("external entity `&{body};` is not loaded"),
            )
            .label("xeplint does not read external general entities")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            self.push(d);
            return;
        };
        if self.expansion.active.iter().any(|a| a == body) {
            let d = Diagnostic::of(
                &XML_RECURSIVE_ENTITY,
                span,
                format!("entity `{body}` refers to itself"),
            )
            .label("this reference never ends")
            .note_at(decl.name_span, format!("`{body}` is declared here"));
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            return;
        }
        let limits = &self.opts.limits;
        let budget = self.budget();
        let cost = text.len() + EXPANSION_COST;
        if self.expansion.active.len() >= limits.max_entity_depth
            || self.expansion.bytes + cost > budget
        {
            let why = if self.expansion.active.len() >= limits.max_entity_depth {
                format!(
                    "entities are nested more than {} deep",
                    limits.max_entity_depth
                )
            } else {
                format!("entity expansion exceeds {budget} bytes for this document")
            };
            let d = Diagnostic::of(&XML_ENTITY_LIMIT, span, why)
                .label("expansion stopped here")
                .note("this protects against entity bombs (\"billion laughs\"); the rest of the file was not checked");
            let d = self.with_origin(d, frag.origin);
            self.push(d);
            self.abort = true;
            return;
        }
        // A reference in the document itself to an entity of a shared file:
        // the same text gives the same nodes in every document, so they are
        // copied from the first clean expansion instead of parsed again.
        let shared = match &ent {
            EntRef::Shared(f, i) if self.expansion.active.is_empty() && !self.opts.no_replay => {
                Some((f, *i))
            }
            _ => None,
        };
        if let Some((f, i)) = shared
            && self.replay(&f.replays, i, span)
        {
            return;
        }
        self.flush_text();
        let mark = shared.map(|_| self.mark());
        self.expansion.bytes += cost;
        let exp = ExpId::from_index(self.tree.expansions.len());
        self.tree.expansions.push(Expansion {
            name: CompactString::from(body),
            reference: span,
            definition: decl.name_span,
            parent: frag.origin,
        });
        self.expansion.active.push(CompactString::from(body));
        let inner = Frag::new(text, decl.name_span.file, Some(decl), Some(exp));
        self.content(&inner, 0, false);
        self.flush_text();
        self.expansion.active.pop();
        if let (Some((f, i)), Some(mark)) = (shared, mark) {
            self.record(&f.replays, i, &mark);
        }
    }
}
