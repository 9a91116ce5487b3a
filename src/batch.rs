//! Checking many documents with memory that does not grow with their number:
//! documents are checked in parallel in batches, each report resolved (its
//! text rendered, its positions found) on the thread that made it, the
//! document's text released at once, and the entity files and DTDs no
//! document still to come will use forgotten (see [`crate::generation`]).

use crate::check::Session;
use crate::diag::FileReport;
use crate::source::{FileId, Sources};
use crate::walk::Input;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Documents per batch of [`Session::check_each`] for the command line. A
/// batch waits for its slowest document: enough for the cores to stay busy.
/// Entity files and DTDs are forgotten a batch after their last use: few
/// enough that the run holds those of few folders at once.
pub const BATCH: usize = 32;

impl Session {
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
        each: impl FnMut(FileReport, T),
    ) {
        self.check_each_by(
            inputs,
            batch,
            |input| {
                let (report, file) = self.check_document(input);
                (report, file, ())
            },
            |r, sources, ()| resolve(r, sources),
            each,
        );
    }

    /// [`Session::check_each`], with `work` in place of the plain check of a
    /// document (fixing it, say: [`crate::fix`]): it returns the report, the
    /// id of the text the report points into (released after `resolve`),
    /// and what else it made for `resolve`.
    pub fn check_each_by<T: Send, E>(
        &self,
        inputs: impl IntoIterator<Item = Input>,
        batch: usize,
        work: impl Fn(&Input) -> (FileReport, Option<FileId>, E) + Sync,
        resolve: impl Fn(&FileReport, &Sources, E) -> T + Sync,
        mut each: impl FnMut(FileReport, T),
    ) {
        let batch = batch.max(1);
        let work = &work;
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
                    self.open_repositories(&chunk);
                    let generation = self.loader.next_generation();
                    let (tx, rx) = mpsc::sync_channel(1);
                    s.spawn(move |_| {
                        let _ = tx.send(self.check_chunk(&chunk, generation, work, resolve));
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
    fn check_chunk<T: Send, E>(
        &self,
        chunk: &[Input],
        generation: u64,
        work: &(impl Fn(&Input) -> (FileReport, Option<FileId>, E) + Sync),
        resolve: &(impl Fn(&FileReport, &Sources, E) -> T + Sync),
    ) -> Vec<(FileReport, T)> {
        chunk
            .par_iter()
            .map(|input| {
                let (report, file, extra) =
                    crate::generation::within(Some(generation), || work(input));
                let sources = self.sources.snapshot_of(files_of(&report).chain(file));
                let made = resolve(&report, &sources, extra);
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
        // Repository views no document to come is in: read again if one is.
        let keep: Vec<PathBuf> = folders
            .iter()
            .filter_map(|f| self.loader.canonical(f).ok())
            .collect();
        self.forget_repositories(|dir| keep.iter().any(|k| k.starts_with(dir)));
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
