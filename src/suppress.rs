//! Inline suppressions, written as XML comments:
//!
//! ```xml
//! <!-- xeplint-disable-next-element dtd-content, xml-undefined-entity: kept as published -->
//! <section1 topic="Legacy">…</section1>
//!
//! <!-- xeplint-disable revision-order: the history is out of order on purpose -->
//! ```
//!
//! `xeplint-disable-next-element` silences the named rules for findings whose
//! primary position lies inside the next sibling element after the comment
//! (from its start tag to its end tag); `xeplint-disable` silences them in the
//! whole file. The reason follows a colon. (`--`, as in ESLint, cannot be used:
//! XML does not allow `--` inside a comment.)
//!
//! A suppression that silences nothing is reported as `unused-suppression`,
//! an unknown rule id or directive as `unknown-suppression`.

use crate::diag::Diagnostic;
use crate::rules::suppression::{UNKNOWN_SUPPRESSION, UNUSED_SUPPRESSION};
use crate::source::{FileId, Span};
use crate::xml::{NodeId, NodeKind, Parsed, Tree};
use std::ops::Range;

const NEXT_ELEMENT: &str = "xeplint-disable-next-element";
const FILE: &str = "xeplint-disable";
const DIRECTIVES: [&str; 2] = [NEXT_ELEMENT, FILE];

#[derive(Debug)]
enum Scope {
    File,
    Range(Range<u32>),
    /// `xeplint-disable-next-element` with no element after it.
    Nothing,
}

#[derive(Debug)]
struct Suppression {
    scope: Scope,
    /// Rule id, its span in the comment, and whether it silenced anything.
    rules: Vec<(String, Span, bool)>,
}

/// Drop the diagnostics silenced by the document's suppression comments, and
/// add `unused-suppression` / `unknown-suppression` warnings.
/// The parser notes whether a comment of the document starts with
/// `xeplint-` ([`Parsed::suppression_comments`]); most documents have none,
/// and their nodes need not be looked at.
pub fn apply(parsed: &Parsed, diagnostics: &mut Vec<Diagnostic>) {
    if parsed.suppression_comments {
        apply_all(parsed, diagnostics);
    }
}

/// [`apply`] without the parser's note: every comment node is looked at.
fn apply_all(parsed: &Parsed, diagnostics: &mut Vec<Diagnostic>) {
    let tree = &parsed.tree;
    // The rule ids, gathered at the first suppression comment (most
    // documents have none).
    let mut known: Option<Vec<&str>> = None;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (id, node) in tree.nodes.iter().enumerate() {
        let NodeKind::Comment(text) = node.kind else {
            continue;
        };
        let text = tree.str(text);
        if node.span.file != parsed.file || node.origin.is_some() {
            continue; // comments from entity files do not apply to documents
        }
        if !text.trim_start().starts_with("xeplint-") {
            continue; // not a suppression (`read` would say so)
        }
        let known = known.get_or_insert_with(|| {
            let mut known: Vec<&str> = crate::rules::registry().iter().map(|r| r.id).collect();
            // A rule reporting in this very document is known, registered or not.
            known.extend(diagnostics.iter().map(|d| d.rule));
            known
        });
        let id = NodeId::from_index(id);
        if let Some(s) = read(tree, parsed.file, id, text, known, &mut problems) {
            found.push(s);
        }
    }
    if found.is_empty() && problems.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        let mut silenced = false;
        for s in &mut found {
            let inside = match &s.scope {
                Scope::File => true,
                Scope::Range(r) => {
                    d.primary.span.file == parsed.file && r.contains(&d.primary.span.start)
                }
                Scope::Nothing => false,
            };
            if !inside {
                continue;
            }
            for (rule, _, used) in &mut s.rules {
                if rule == d.rule {
                    *used = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    for s in &found {
        for (rule, span, used) in &s.rules {
            if *used {
                continue;
            }
            let (label, help) = match s.scope {
                Scope::Nothing => (
                    "no element follows this comment",
                    "put the comment right before the element it is about",
                ),
                Scope::File => (
                    "nothing to silence in this file",
                    "remove the rule id (or the whole comment)",
                ),
                Scope::Range(_) => (
                    "nothing to silence in the next element",
                    "remove the rule id (or the whole comment)",
                ),
            };
            problems.push(
                Diagnostic::of(
                    &UNUSED_SUPPRESSION,
                    *span,
                    format!("suppression of `{rule}` silences nothing"),
                )
                .label(label)
                .help(help),
            );
        }
    }
    diagnostics.extend(problems);
}

/// Read one comment; `None` when it is not a suppression (or is a broken one,
/// reported in `problems`).
fn read(
    tree: &Tree,
    file: FileId,
    id: NodeId,
    text: &str,
    known: &[&str],
    problems: &mut Vec<Diagnostic>,
) -> Option<Suppression> {
    let node = tree.node(id)?;
    let comment = node.span;
    // The comment's text starts after `<!--`.
    let base = comment.start as usize + 4;
    let lead = text.len() - text.trim_start().len();
    let body = text.trim_start();
    if !body.starts_with("xeplint-") {
        return None;
    }
    let word_len = body
        .find(|c: char| c.is_whitespace() || c == ':')
        .unwrap_or(body.len());
    let directive = &body[..word_len];
    let directive_span = Span::new(file, base + lead, base + lead + word_len);
    if !DIRECTIVES.contains(&directive) {
        let mut d = Diagnostic::of(
            &UNKNOWN_SUPPRESSION,
            directive_span,
            format!("unknown suppression directive `{directive}`"),
        )
        .label("not a directive xeplint knows");
        d = match crate::suggest::closest(directive, DIRECTIVES) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("use `{NEXT_ELEMENT}` or `{FILE}`")),
        };
        problems.push(d);
        return None;
    }
    // The rule list ends at the reason: after `:` (or a `--`, though XML
    // does not allow it in comments).
    let list_start = lead + word_len;
    let rest = &text[list_start..];
    let list_len = [rest.find(':'), rest.find("--")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    let list = &rest[..list_len];
    let mut rules = Vec::new();
    let mut pos = 0;
    for part in list.split(|c: char| c == ',' || c.is_whitespace()) {
        let at = pos;
        pos += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        let start = base + list_start + at;
        let span = Span::new(file, start, start + part.len());
        if known.contains(&part) {
            rules.push((part.to_string(), span, false));
        } else {
            let mut d = Diagnostic::of(
                &UNKNOWN_SUPPRESSION,
                span,
                format!("`{part}` is not a rule id; this suppression silences nothing"),
            )
            .label("unknown rule id");
            d = match crate::suggest::closest(part, known.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("`xeplint rules` lists every rule id"),
            };
            problems.push(d);
        }
    }
    if rules.is_empty() {
        if !problems
            .iter()
            .any(|p| comment_contains(comment, p.primary.span))
        {
            problems.push(
                Diagnostic::of(
                    &UNKNOWN_SUPPRESSION,
                    directive_span,
                    format!("`{directive}` names no rule"),
                )
                .label("no rule id after this")
                .help(format!("e.g. `<!-- {directive} dtd-content: reason -->`")),
            );
        }
        return None;
    }
    let scope = if directive == FILE {
        Scope::File
    } else {
        match next_element(tree, id) {
            Some(e) => Scope::Range(extent(tree, file, e)),
            None => Scope::Nothing,
        }
    };
    Some(Suppression { scope, rules })
}

fn comment_contains(comment: Span, span: Span) -> bool {
    span.file == comment.file && span.start >= comment.start && span.end <= comment.end
}

/// The next element sibling after a node (for a comment before the root: the root).
fn next_element(tree: &Tree, id: NodeId) -> Option<NodeId> {
    let node = tree.node(id)?;
    match node.parent {
        Some(_) => std::iter::successors(tree.next_sibling(id), |&c| tree.next_sibling(c))
            .find(|&c| tree.element(c).is_some()),
        None => {
            let root = tree.root?;
            (tree.node(root)?.span.start > node.span.start).then_some(root)
        }
    }
}

/// The byte range of an element in the document: from its start tag to the
/// end of its end tag. Without an end tag (`<x/>`, or never closed) it ends
/// where its last descendant in the document ends.
pub(crate) fn extent(tree: &Tree, file: FileId, id: NodeId) -> Range<u32> {
    let Some(node) = tree.node(id) else {
        return 0..0;
    };
    let start = node.span.start;
    let mut end = node.span.end;
    let mut cur = id;
    for _ in 0..4096 {
        let Some(n) = tree.node(cur) else { break };
        if n.span.file != file {
            break;
        }
        end = end.max(n.span.end);
        if let NodeKind::Element(e) = &n.kind
            && let Some(close) = e.end_span()
        {
            end = end.max(close.end);
            break;
        }
        match n.last_child {
            Some(c) => cur = c,
            None => break,
        }
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Input, Options, Session};

    fn run(doc: &str) -> Vec<Diagnostic> {
        let session = Session::new(Options::default());
        let mut input = Input::file("/nonexistent/t.xml");
        input.bytes = Some(doc.as_bytes().to_vec());
        let parsed = session.parse(&input).unwrap();
        let mut d = parsed.diagnostics.clone();
        apply(&parsed, &mut d);
        d
    }

    /// Skipping documents the parser saw no suppression comment in changes
    /// nothing; the note is set exactly for comments of the document itself
    /// that start with `xeplint-`.
    #[test]
    fn the_parsers_note_skips_only_documents_without_suppressions() {
        let docs = [
            ("<xep><p>&a;</p></xep>", false),
            ("<xep><!-- a comment --><p>&a;</p></xep>", false),
            (
                "<xep><!-- xeplint-disable xml-undefined-entity --><p>&a;</p></xep>",
                true,
            ),
            ("<xep><!--xeplint-bogus--><p>&a;</p></xep>", true),
            (
                "<!--\n xeplint-disable-file xml-undefined-entity --><xep><p>&a;</p></xep>",
                true,
            ),
            ("<xep><!-- see xeplint-disable --><p>&a;</p></xep>", false),
            ("<xep><p>xeplint-disable</p><p>&a;</p></xep>", false),
            (
                "<!DOCTYPE xep [<!ENTITY c '<!-- xeplint-disable xml-undefined-entity -->'>]><xep>&c;<p>&a;</p></xep>",
                false,
            ),
        ];
        for (doc, noted) in docs {
            let session = Session::new(Options::default());
            let mut input = Input::file("/nonexistent/t.xml");
            input.bytes = Some(doc.as_bytes().to_vec());
            let parsed = session.parse(&input).unwrap();
            assert_eq!(parsed.suppression_comments, noted, "{doc}");
            let mut all = parsed.diagnostics.clone();
            apply_all(&parsed, &mut all);
            let mut noted = parsed.diagnostics.clone();
            apply(&parsed, &mut noted);
            assert_eq!(format!("{noted:?}"), format!("{all:?}"), "{doc}");
        }
    }

    fn rules(d: &[Diagnostic]) -> Vec<&str> {
        d.iter().map(|d| d.rule).collect()
    }

    #[test]
    fn next_element_silences_inside_only() {
        let doc = "<xep>\n<!-- xeplint-disable-next-element xml-undefined-entity: legacy -->\n<p>&a;</p>\n<p>&b;</p>\n</xep>\n";
        let d = run(doc);
        assert_eq!(rules(&d), ["xml-undefined-entity"]);
        assert!(d[0].message.contains("`b`"), "{:?}", d[0]);
    }

    #[test]
    fn whole_file_and_unused() {
        let doc = "<xep><!-- xeplint-disable xml-undefined-entity --><p>&a;</p><p>&b;</p>\n<!-- xeplint-disable-next-element unknown-suppression --><p>ok</p></xep>";
        let d = run(doc);
        assert_eq!(rules(&d), [UNUSED_SUPPRESSION.id]);
        assert!(d[0].message.contains("unknown-suppression"));
    }

    #[test]
    fn unknown_ids_and_directives() {
        let doc = "<xep><!-- xeplint-disable-next-element unused-supression: x --><p/>\n<!-- xeplint-disable-nxt-element unused-suppression --><p/><!-- xeplint-disable --></xep>";
        let d = run(doc);
        assert_eq!(rules(&d), [UNKNOWN_SUPPRESSION.id; 3]);
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean `unused-suppression`?")
        );
        assert_eq!(
            d[1].help.as_deref(),
            Some("did you mean `xeplint-disable-next-element`?")
        );
        assert!(d[2].message.contains("names no rule"));
    }

    #[test]
    fn comment_before_root_covers_root_and_label_points_at_id() {
        let doc =
            "<!-- xeplint-disable-next-element unknown-suppression, unused-suppression -->\n<xep/>";
        let d = run(doc);
        // Both ids are unused: each reported at its own place in the comment.
        assert_eq!(rules(&d), [UNUSED_SUPPRESSION.id; 2]);
        let s = d[1].primary.span;
        assert_eq!(&doc[s.range()], "unused-suppression");
    }
}
