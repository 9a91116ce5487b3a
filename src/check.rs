//! The entry point the CLI, tests and editor integrations share.
//!
//! A [`Session`] holds everything shared by the documents of one run: the
//! source map, the loader with its cache of entity files and DTDs, compiled
//! DTDs and the configuration. [`Session::check`] checks one document;
//! [`Session::check_all`] checks many in parallel and returns reports in input
//! order, so output never depends on the thread count. [`Session::check_each`]
//! does the same as documents come, resolving each report (rendering it,
//! say) right after its document is checked and then releasing the
//! document's text: memory does not grow with the number of documents.

use crate::diag::{Diagnostic, FileReport};
use crate::gate::Gate;
use crate::load::{Chosen, Loader};
use crate::source::{FileId, SourceMap, Sources};
pub use crate::walk::Input;
use crate::xml::{ParseOptions, Parsed, parse_document};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

/// Documents per batch of [`Session::check_each`] for the command line. A
/// batch waits for its slowest document: enough for the cores to stay busy.
/// Entity files and DTDs are forgotten a batch after their last use: few
/// enough that the run holds those of few folders at once.
pub const BATCH: usize = 32;

/// Documents of this many nodes or more are validated and checked against
/// the XEP rules side by side (`rayon::join`); smaller ones one after the
/// other. Of the corpus's 721 documents, 32 have 2 048 nodes or more (the
/// largest 7 869); the median one has about 500.
const SPLIT_NODES: usize = 2048;

/// Options for a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub parse: ParseOptions,
    /// Use this DTD instead of the one the DOCTYPE names.
    pub dtd: Option<Chosen>,
    /// `xeplint.toml` and `--rule` settings (applied by [`crate::finish`]).
    pub config: Arc<crate::config::Config>,
    /// Accepted findings, dropped from reports (`--baseline`).
    pub baseline: Option<Arc<crate::baseline::Baseline>>,
}

/// Shared state of one run.
#[derive(Debug)]
pub struct Session {
    pub sources: Arc<SourceMap>,
    pub loader: Loader,
    pub options: Options,
    pub dtds: crate::dtd::cache::DtdCache,
}

impl Session {
    pub fn new(options: Options) -> Session {
        Session::with_gate(options, Arc::new(Gate::new()))
    }

    /// A session reading through `gate` (shared with what the caller read
    /// before: the configuration, a baseline).
    pub fn with_gate(options: Options, gate: Arc<Gate>) -> Session {
        let sources = Arc::new(SourceMap::new());
        Session {
            loader: Loader::new(sources.clone(), gate),
            sources,
            options,
            dtds: Default::default(),
        }
    }

    /// The gate every read of this session goes through.
    pub fn gate(&self) -> &Arc<Gate> {
        &self.loader.gate
    }

    /// Parse a document (reading it through the gate unless its text is
    /// given).
    pub fn parse(&self, input: &Input) -> Result<Parsed, String> {
        if let Some(why) = &input.error {
            return Err(why.clone());
        }
        let gate = self.gate();
        let (place, bytes) = match &input.bytes {
            Some(b) => {
                // Standard input: where the name it stands for is, else here.
                let place = gate
                    .place_of(&input.path)
                    .or_else(|_| gate.place_of(Path::new("<stdin>")))
                    .map_err(|e| e.reason())?;
                (place, b.clone())
            }
            None => {
                let admitted = match (&input.admitted, &input.root) {
                    (Some(a), _) => Ok(a.clone()),
                    (None, Some(root)) => gate.admit_in(&input.path, root),
                    (None, None) => gate.admit_named(&input.path),
                }
                .map_err(|e| e.reason())?;
                let bytes = gate.read(&admitted).map_err(|e| e.reason())?;
                (admitted.place(), bytes)
            }
        };
        Ok(parse_document(
            &self.loader,
            &place,
            &input.path,
            input.display.clone(),
            bytes,
            &self.options.parse,
        ))
    }

    /// Check one document: every stage, diagnostics sorted by position.
    pub fn check(&self, input: &Input) -> FileReport {
        self.check_document(input).0
    }

    /// [`Session::check`], and the document's id in the source map (none when
    /// it could not be read).
    fn check_document(&self, input: &Input) -> (FileReport, Option<FileId>) {
        let parsed = match self.parse(input) {
            Ok(p) => p,
            Err(e) => {
                let report = FileReport {
                    display: input.display.clone(),
                    diagnostics: Vec::new(),
                    read_error: Some(e),
                };
                return (report, None);
            }
        };
        let mut diagnostics = parsed.diagnostics.clone();
        // Validation and the XEP rules read the same tree independently: side
        // by side, a large document takes the longer of the two, not their
        // sum. Either half may run on another thread: it marks the files it
        // asks for with this document's generation there too. A small
        // document is not split: the other thread has documents of its own,
        // and taking half of this one costs more than it saves.
        let generation = crate::load::current_generation();
        let valid = || {
            crate::load::in_generation(generation, || {
                self.dtds
                    .validate(&self.loader, self.options.dtd.as_ref(), &parsed)
            })
        };
        let rules = || crate::load::in_generation(generation, || self.xep_rules(input, &parsed));
        let (valid, rules) = if parsed.tree.nodes.len() >= SPLIT_NODES {
            rayon::join(valid, rules)
        } else {
            (valid(), rules())
        };
        diagnostics.extend(valid);
        diagnostics.extend(rules);
        // Suppressions, configuration, order, baseline: the last step.
        let finish = crate::finish::Finish {
            sources: &self.sources,
            parsed: &parsed,
            config: &self.options.config,
            baseline: self.options.baseline.as_deref(),
            path: &input.path,
            display: &input.display,
        };
        crate::finish::finish(&finish, &mut diagnostics);
        let report = FileReport {
            display: input.display.clone(),
            diagnostics,
            read_error: None,
        };
        (report, Some(parsed.file))
    }

    /// The typed model of a parsed document.
    pub fn model(&self, input: &Input, parsed: &Parsed) -> crate::model::Xep {
        crate::model::build(&parsed.tree, &self.sources, input.file_name())
    }

    /// Build the model and run the XEP rules.
    fn xep_rules(&self, input: &Input, parsed: &Parsed) -> Vec<Diagnostic> {
        if parsed.undecodable {
            return Vec::new();
        }
        let xep = crate::model::build_for_rules(&parsed.tree, &self.sources, input.file_name());
        let cx = crate::rules::Context {
            xep: &xep,
            tree: &parsed.tree,
            parsed,
            sources: &self.sources,
            policy: crate::policy::Policy::bundled(),
        };
        crate::rules::run(&cx)
    }

    /// Check many documents in parallel; reports come back in input order.
    /// Every document's text stays in the source map, for reporting.
    pub fn check_all(&self, inputs: &[Input]) -> Vec<FileReport> {
        inputs.par_iter().map(|i| self.check(i)).collect()
    }

    /// Check documents as they come and hand each report over in input order,
    /// holding few documents at a time, however many there are.
    ///
    /// `resolve` runs on the thread that checked a document, right after, with
    /// the sources its report points into: it takes there whatever needs
    /// their text (rendering, positions). The document's text is then
    /// released from the source map. `each` gets every report with what
    /// `resolve` made of it, in input order, on the calling thread.
    ///
    /// Documents are checked in parallel in batches of `batch`, two batches
    /// in the pool at a time, while `each` takes the one before; inputs are
    /// taken from `inputs` one batch beyond those in the pool, so they too may
    /// be found as the run goes ([`crate::walk::Walk`]).
    /// Entity files and DTDs stay loaded while documents use them: once a
    /// batch is reported, one that no later batch has used, and that is not in
    /// the folder of a document of the next two batches or above it, is
    /// forgotten (its text released) and read again if a later document names
    /// it. Do not check documents of this session elsewhere meanwhile: an
    /// external file their reports point into may be released.
    ///
    /// Reports and their order are those of [`Session::check_all`].
    pub fn check_each<T: Send>(
        &self,
        inputs: impl IntoIterator<Item = Input>,
        batch: usize,
        resolve: impl Fn(&FileReport, &Sources) -> T + Sync,
        mut each: impl FnMut(FileReport, T),
    ) {
        let batch = batch.max(1);
        let mut inputs = inputs.into_iter();
        let resolve = &resolve;
        // Batches in the pool, oldest first: the generation each began, the
        // folders of its documents, and where its reports come.
        type Done<T> = Vec<(FileReport, T)>;
        let mut flight: VecDeque<(u64, Vec<PathBuf>, mpsc::Receiver<Done<T>>)> = VecDeque::new();
        // The batch after those in the pool, taken early for its folders.
        let mut next: Vec<Input> = inputs.by_ref().take(batch).collect();
        rayon::in_place_scope(|s| {
            loop {
                // Two batches at a time: threads done with one go on with the
                // next while the last documents of the first finish.
                while flight.len() < 2 && !next.is_empty() {
                    let chunk = std::mem::replace(&mut next, inputs.by_ref().take(batch).collect());
                    let folders = folders_of(&chunk);
                    let generation = self.loader.next_generation();
                    let (tx, rx) = mpsc::sync_channel(1);
                    s.spawn(move |_| {
                        let _ = tx.send(self.check_chunk(&chunk, generation, resolve));
                    });
                    flight.push_back((generation, folders, rx));
                }
                // Entity files no document queued next will use: their
                // recorded expansions go now (documents of the pool that
                // still use them parse those entities). At the end of the
                // input, nothing new is loaded in their place: they stay.
                if !next.is_empty() {
                    self.loader.close_replays_outside(&folders_of(&next));
                }
                let Some((generation, _, rx)) = flight.pop_front() else {
                    break;
                };
                // No reports: the batch's job panicked, and the scope raises
                // that panic again once the other jobs are done.
                let Ok(done) = rx.recv() else { break };
                for (report, made) in done {
                    each(report, made);
                }
                // Every document up to this batch is resolved: what only this
                // batch and those before used, nothing will point into any
                // more (documents of the batch still in the pool mark what
                // they load with its generation, a later one). Files of the
                // folders still to come are kept all the same: their next
                // documents are likely to use them again.
                let mut upcoming = folders_of(&next);
                upcoming.extend(flight.iter().flat_map(|f| f.1.iter().cloned()));
                self.evict_unused(generation + 1, &upcoming);
            }
        });
    }

    /// Check a batch in parallel; resolve each report where it was made, then
    /// release its document.
    fn check_chunk<T: Send>(
        &self,
        chunk: &[Input],
        generation: u64,
        resolve: &(impl Fn(&FileReport, &Sources) -> T + Sync),
    ) -> Vec<(FileReport, T)> {
        chunk
            .par_iter()
            .map(|input| {
                let (report, file) =
                    crate::load::in_generation(Some(generation), || self.check_document(input));
                let sources = self.sources.snapshot_of(files_of(&report).chain(file));
                let made = resolve(&report, &sources);
                drop(sources);
                if let Some(file) = file {
                    self.sources.release(file);
                }
                (report, made)
            })
            .collect()
    }

    /// Forget the external files not used since `generation` began, except
    /// those in or above one of the `folders`: release their texts and
    /// compiled DTDs.
    fn evict_unused(&self, generation: u64, folders: &[PathBuf]) {
        for ext in self.loader.evict_unused(generation, folders) {
            self.dtds.forget(&ext);
            self.sources.release(ext.file);
        }
    }

    pub fn snapshot(&self) -> Sources {
        self.sources.snapshot()
    }
}

/// The folders of some inputs, each once.
fn folders_of(inputs: &[Input]) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = Vec::new();
    for i in inputs {
        let dir = match i.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !folders.iter().any(|f| f == dir) {
            folders.push(dir.to_path_buf());
        }
    }
    folders
}

/// The files a report's diagnostics point into.
fn files_of(report: &FileReport) -> impl Iterator<Item = FileId> + '_ {
    report.diagnostics.iter().flat_map(|d| {
        std::iter::once(d.primary.span.file)
            .chain(d.secondary.iter().map(|l| l.span.file))
            .chain(d.notes.iter().filter_map(|n| n.span.map(|s| s.file)))
    })
}
