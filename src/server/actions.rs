//! Code actions: each finding's fix as a quick fix (unsafe ones not
//! preferred), every safe fix at once (`source.fixAll.xeplint`), and
//! "disable RULE for this element" (a suppression comment).

use super::Server;
use super::diagnostics::Found;
use crate::diag::Applicability;
use lsp_types as lsp;
use std::collections::HashMap;

/// The kind of the "fix all" action.
pub const FIX_ALL: &str = "source.fixAll.xeplint";

fn overlaps(a: &lsp::Range, b: &lsp::Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Whether the client asked for actions of `kind` (`only` lists prefixes).
fn wanted(only: Option<&Vec<lsp::CodeActionKind>>, kind: &str) -> bool {
    only.is_none_or(|list| {
        list.iter().any(|k| {
            let k = k.as_str();
            kind == k || kind.starts_with(&format!("{k}."))
        })
    })
}

impl Server {
    pub(crate) fn code_actions(
        &mut self,
        p: &lsp::CodeActionParams,
    ) -> Option<lsp::CodeActionResponse> {
        let key = p.text_document.uri.as_str().to_string();
        self.ensure_checked(&key);
        let only = p.context.only.as_ref();
        let mut out: lsp::CodeActionResponse = Vec::new();
        let doc = self.docs.get(&key)?;
        let uri = doc.uri.clone();
        let here: Vec<Found> = doc
            .found
            .iter()
            .filter(|f| overlaps(&f.diagnostic.range, &p.range))
            .cloned()
            .collect();
        let edit = |edits: Vec<lsp::TextEdit>| lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        };
        if wanted(only, lsp::CodeActionKind::QUICKFIX.as_str()) {
            for f in &here {
                if let Some(fix) = &f.fix {
                    let safe = fix.applicability == Applicability::Safe;
                    let title = if safe {
                        fix.title.clone()
                    } else {
                        format!("{} (unsafe: check the result)", fix.title)
                    };
                    out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title,
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![f.diagnostic.clone()]),
                        edit: Some(edit(fix.edits.clone())),
                        is_preferred: Some(safe),
                        ..Default::default()
                    }));
                }
            }
            let mut disabled = std::collections::HashSet::new();
            for f in &here {
                if f.rule.is_empty() || !disabled.insert((f.rule, f.offset)) {
                    continue;
                }
                if let Some(action) = self.disable_action(&key, f) {
                    out.push(lsp::CodeActionOrCommand::CodeAction(action));
                }
            }
        }
        if wanted(only, FIX_ALL)
            && let Some(action) = self.fix_all(&key)
        {
            out.push(lsp::CodeActionOrCommand::CodeAction(action));
        }
        Some(out)
    }

    /// Every safe fix of the document, applied by the fix engine as
    /// `xeplint check --fix` applies them (pass after pass, each checked),
    /// sent as one edit of the stretch that changed.
    fn fix_all(&self, key: &str) -> Option<lsp::CodeAction> {
        let doc = self.docs.get(key)?;
        let safe = doc.found.iter().any(|f| {
            f.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        });
        if !safe {
            return None;
        }
        let input = Server::input_of(doc);
        let outcome = crate::fix::fix_document(&self.session, &input, crate::fix::Mode::Safe);
        if let Some(file) = outcome.file {
            self.session.sources.release(file);
        }
        if !outcome.changed() || outcome.original != doc.text {
            return None;
        }
        let (start, end, replacement) = changed_stretch(&doc.text, &outcome.fixed);
        let index = super::text::LineIndex::new(&doc.text);
        let edit = lsp::TextEdit {
            range: index.range(&doc.text, start..end, self.enc),
            new_text: replacement.to_string(),
        };
        Some(lsp::CodeAction {
            title: format!("Fix all safe xeplint findings ({})", outcome.applied),
            kind: Some(FIX_ALL.into()),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    /// "Disable RULE for this element": a `xeplint-disable-next-element`
    /// comment on the line before the innermost element holding the finding.
    fn disable_action(&mut self, key: &str, f: &Found) -> Option<lsp::CodeAction> {
        let offset = f.offset?;
        let enc = self.enc;
        let uri = self.docs.get(key)?.uri.clone();
        self.analysis_of(&uri)?;
        let a = self.analysis.as_ref()?;
        let text = self.docs.get(key)?.text.as_str();
        // Outside every element (the prolog): the whole file, from a
        // comment before the document element.
        let (element, whole_file) = match a.element_at(offset) {
            Some(e) => (e, false),
            None => (a.parsed.tree.root?, true),
        };
        let node = a.parsed.tree.node(element)?;
        let start = node.span.start as usize;
        let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = text.get(line_start..start)?;
        let directive = if whole_file {
            "xeplint-disable"
        } else {
            "xeplint-disable-next-element"
        };
        let comment = format!("<!-- {directive} {}: reason -->", f.rule);
        let (at, new_text) = if indent.chars().all(char::is_whitespace) {
            (line_start, format!("{indent}{comment}\n"))
        } else {
            (start, comment)
        };
        let pos = a.index.position(text, at, enc);
        let title = if whole_file {
            format!("Disable {} in this file", f.rule)
        } else {
            format!(
                "Disable {} for this <{}> element",
                f.rule,
                a.parsed.tree.element_name(element)
            )
        };
        Some(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![f.diagnostic.clone()]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri,
                    vec![lsp::TextEdit {
                        range: lsp::Range::new(pos, pos),
                        new_text,
                    }],
                )])),
                ..Default::default()
            }),
            is_preferred: Some(false),
            ..Default::default()
        })
    }
}

/// The stretch of `old` that became something else in `new`: its byte range
/// in `old` and what replaces it (on character boundaries).
fn changed_stretch<'n>(old: &str, new: &'n str) -> (usize, usize, &'n str) {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (
        prefix,
        old.len() - suffix,
        crate::source::piece(new, prefix..new.len() - suffix),
    )
}

#[cfg(test)]
mod tests {
    use super::changed_stretch;

    #[test]
    fn the_changed_stretch_is_found() {
        assert_eq!(changed_stretch("abcdef", "abXYef"), (2, 4, "XY"));
        assert_eq!(changed_stretch("aaa", "aaaa"), (3, 3, "a"));
        assert_eq!(changed_stretch("héllo", "hällo"), (1, 3, "ä"));
        assert_eq!(changed_stretch("same", "same"), (4, 4, ""));
    }
}
