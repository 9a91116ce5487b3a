//! Findings as LSP diagnostics: checked as `xeplint check` checks the same
//! text, published in the document or in the file they lie in.

use super::text::{Encoding, LineIndex};
use super::{Doc, Server};
use crate::diag::{Applicability, Diagnostic, FileReport, Severity};
use crate::source::{FileId, Sources};
use lsp_types as lsp;
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

/// One finding of a document's last check, with what code actions need.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub diagnostic: lsp::Diagnostic,
    pub rule: &'static str,
    /// Byte offset of its primary span in the document (when it is there).
    pub offset: Option<usize>,
    pub fix: Option<FoundFix>,
}

/// A fix, its edits as positions in the text that was checked.
#[derive(Debug, Clone)]
pub(crate) struct FoundFix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<lsp::TextEdit>,
}

impl Server {
    /// Check an open document and publish what was found.
    pub(crate) fn check_and_publish(&mut self, key: &str) {
        let Some(doc) = self.docs.get(key) else {
            return;
        };
        let input = Server::input_of(doc);
        let stamp = doc.stamp;
        let (report, file) = self.session.check_document(&input);
        let ids: Vec<FileId> = files_of(&report).chain(file).collect();
        let sources = self.session.sources.snapshot_of(ids);
        let converted = {
            let doc = &self.docs[key];
            convert(&report, file, doc, &sources, self.enc, &self.rules_url)
        };
        drop(sources);
        if let Some(f) = file {
            self.session.sources.release(f);
        }
        self.count_check();
        let Some(doc) = self.docs.get_mut(key) else {
            return;
        };
        let (found, elsewhere) = converted;
        let before: BTreeSet<String> = doc
            .elsewhere
            .iter()
            .map(|(u, _)| u.as_str().to_string())
            .collect();
        doc.found = found;
        doc.elsewhere = elsewhere;
        doc.checked = Some(stamp);
        let params = lsp::PublishDiagnosticsParams {
            uri: doc.uri.clone(),
            diagnostics: doc.found.iter().map(|f| f.diagnostic.clone()).collect(),
            version: Some(doc.version),
        };
        let mut targets = before;
        targets.extend(doc.elsewhere.iter().map(|(u, _)| u.as_str().to_string()));
        self.notify::<lsp::notification::PublishDiagnostics>(params);
        self.publish_elsewhere(targets.into_iter());
    }

    /// The findings every open document placed in the file `key`, each once.
    pub(crate) fn elsewhere_for(&self, key: &str) -> Vec<lsp::Diagnostic> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut docs: Vec<&Doc> = self.docs.values().collect();
        docs.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
        for doc in docs {
            for (uri, d) in &doc.elsewhere {
                if uri.as_str() == key {
                    let k = serde_json::to_string(d).unwrap_or_default();
                    if seen.insert(k) {
                        out.push(d.clone());
                    }
                }
            }
        }
        out
    }

    /// Publish the findings placed in each of these files (none: cleared).
    pub(crate) fn publish_elsewhere(&mut self, targets: impl Iterator<Item = String>) {
        for key in targets {
            if self.docs.get(&key).is_some_and(|d| d.xml) {
                // A checked document publishes its own findings; findings
                // other documents place in it are left to its own check.
                continue;
            }
            let Ok(uri) = lsp::Uri::from_str(&key) else {
                continue;
            };
            let diagnostics = self.elsewhere_for(&key);
            if diagnostics.is_empty() && !self.published_elsewhere.remove(&key) {
                continue;
            }
            if !diagnostics.is_empty() {
                self.published_elsewhere.insert(key.clone());
            }
            self.notify::<lsp::notification::PublishDiagnostics>(lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            });
        }
    }
}

/// The files a report's diagnostics point into.
fn files_of(report: &FileReport) -> impl Iterator<Item = FileId> + '_ {
    report.diagnostics.iter().flat_map(|d| {
        std::iter::once(d.primary.span.file)
            .chain(d.secondary.iter().map(|l| l.span.file))
            .chain(d.notes.iter().filter_map(|n| n.span.map(|s| s.file)))
            .chain(
                d.fix
                    .iter()
                    .flat_map(|f| f.edits.iter().map(|e| e.span.file)),
            )
    })
}

/// Where a span lies, as the client names places.
struct Places<'a> {
    doc: &'a Doc,
    doc_file: Option<FileId>,
    sources: &'a Sources,
    enc: Encoding,
    /// Other files: their URI and line index (none: not a file the client
    /// can open, such as the bundled DTD).
    others: HashMap<FileId, Option<(lsp::Uri, LineIndex)>>,
}

impl Places<'_> {
    fn locate(&mut self, span: crate::source::Span) -> Option<(lsp::Uri, lsp::Range)> {
        if Some(span.file) == self.doc_file {
            let range = self.doc.index.range(&self.doc.text, span.range(), self.enc);
            return Some((self.doc.uri.clone(), range));
        }
        let file = self.sources.get(span.file)?;
        let entry = self.others.entry(span.file).or_insert_with(|| {
            // Files the loader read are admitted paths, absolute; what it
            // did not read (the bundled DTD) has a name, not a path.
            let path = &file.path;
            if !path.is_absolute() {
                return None;
            }
            let uri = super::text::path_to_uri(path)?;
            Some((uri, LineIndex::new(&file.text)))
        });
        let (uri, index) = entry.as_ref()?;
        Some((uri.clone(), index.range(&file.text, span.range(), self.enc)))
    }
}

type Converted = (Vec<Found>, Vec<(lsp::Uri, lsp::Diagnostic)>);

/// A report as the findings of a document and those it places elsewhere.
fn convert(
    report: &FileReport,
    file: Option<FileId>,
    doc: &Doc,
    sources: &Sources,
    enc: Encoding,
    rules_url: &str,
) -> Converted {
    let mut places = Places {
        doc,
        doc_file: file,
        sources,
        enc,
        others: HashMap::new(),
    };
    let mut found = Vec::new();
    let mut elsewhere = Vec::new();
    if let Some(why) = &report.read_error {
        found.push(Found {
            diagnostic: lsp::Diagnostic {
                range: lsp::Range::default(),
                severity: Some(lsp::DiagnosticSeverity::ERROR),
                source: Some("xeplint".into()),
                message: format!("cannot check this document: {why}"),
                ..Default::default()
            },
            rule: "",
            offset: None,
            fix: None,
        });
    }
    for d in &report.diagnostics {
        let mut diagnostic = to_lsp(d, &mut places, rules_url);
        match places.locate(d.primary.span) {
            Some((uri, range)) if uri == doc.uri => {
                diagnostic.range = range;
                let fix = d.fix.as_ref().and_then(|f| {
                    if !f.is_sound_in(d.primary.span.file) || Some(d.primary.span.file) != file {
                        return None;
                    }
                    Some(FoundFix {
                        title: f.title.clone(),
                        applicability: f.applicability,
                        edits: f
                            .edits
                            .iter()
                            .map(|e| lsp::TextEdit {
                                range: doc.index.range(&doc.text, e.span.range(), enc),
                                new_text: e.replacement.clone(),
                            })
                            .collect(),
                    })
                });
                found.push(Found {
                    diagnostic,
                    rule: d.rule,
                    offset: Some(d.primary.span.start as usize),
                    fix,
                });
            }
            Some((uri, range)) => {
                diagnostic.range = range;
                elsewhere.push((uri, diagnostic));
            }
            None => {
                // In a file the client cannot open (the bundled DTD): shown
                // at the top of the document, saying where.
                diagnostic.message = format!(
                    "{} (in {})",
                    diagnostic.message,
                    sources.display(d.primary.span.file)
                );
                found.push(Found {
                    diagnostic,
                    rule: d.rule,
                    offset: None,
                    fix: None,
                });
            }
        }
    }
    (found, elsewhere)
}

/// A diagnostic without its range (set by the caller).
fn to_lsp(d: &Diagnostic, places: &mut Places<'_>, rules_url: &str) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let mut related = Vec::new();
    for label in &d.secondary {
        if let Some((uri, range)) = places.locate(label.span) {
            related.push(lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri, range },
                message: label.message.clone(),
            });
        }
    }
    for note in &d.notes {
        match note.span.and_then(|s| places.locate(s)) {
            Some((uri, range)) => related.push(lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri, range },
                message: note.message.clone(),
            }),
            None => message.push_str(&format!("\nnote: {}", note.message)),
        }
    }
    let href = lsp::Uri::from_str(&format!("{rules_url}#{}", d.rule)).ok();
    lsp::Diagnostic {
        range: lsp::Range::default(),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.into())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("xeplint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}
