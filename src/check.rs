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
use crate::gate::{Admitted, Gate, Place};
use crate::load::{Chosen, Loader};
use crate::repo::Repository;
use crate::repo::git::ChangeSet;
use crate::source::{FileId, SourceMap, Sources};
pub use crate::walk::Input;
use crate::xml::{ParseOptions, Parsed, parse_document};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

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
    /// Do not read the repository a document is in: no repository rules.
    pub no_repository: bool,
    /// "Today" for the rules that compare dates with it (`--today`); the
    /// system clock's date (UTC) when not given.
    pub today: Option<crate::values::Date>,
    /// The change set of `--base`: the change rules apply.
    pub change: Option<Arc<ChangeSet>>,
    /// Initials for the revision block a fix inserts (`--initials`, the
    /// configuration or git's `user.name`).
    pub initials: Option<String>,
}

/// The repositories of a run, by folder: each read once.
type Repos = Mutex<HashMap<PathBuf, Arc<OnceLock<Option<Arc<Repository>>>>>>;

/// Shared state of one run.
#[derive(Debug)]
pub struct Session {
    pub sources: Arc<SourceMap>,
    pub loader: Loader,
    pub options: Options,
    pub dtds: crate::dtd::cache::DtdCache,
    repos: Repos,
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
            repos: Default::default(),
        }
    }

    /// The gate every read of this session goes through.
    pub fn gate(&self) -> &Arc<Gate> {
        &self.loader.gate
    }

    /// Parse a document (reading it through the gate unless its text is
    /// given).
    pub fn parse(&self, input: &Input) -> Result<Parsed, String> {
        let (place, bytes) = self.read(input)?;
        Ok(parse_document(
            &self.loader,
            &place,
            &input.path,
            input.display.clone(),
            bytes,
            &self.options.parse,
        ))
    }

    /// Where a document is and its bytes: read through the gate, or the
    /// text given (standard input, or a text being fixed: then it stands
    /// where the file it was read from is).
    pub fn read(&self, input: &Input) -> Result<(Place, Vec<u8>), String> {
        if let Some(why) = &input.error {
            return Err(why.clone());
        }
        let gate = self.gate();
        match (&input.bytes, &input.admitted) {
            (Some(b), Some(admitted)) => Ok((admitted.place(), b.clone())),
            (Some(b), None) => {
                // Standard input: where the name it stands for is, else here.
                let place = gate
                    .place_of(&input.path)
                    .or_else(|_| gate.place_of(Path::new("<stdin>")))
                    .map_err(|e| e.reason())?;
                Ok((place, b.clone()))
            }
            (None, _) => {
                let admitted = self.admit(input)?;
                let bytes = gate.read(&admitted).map_err(|e| e.reason())?;
                Ok((admitted.place(), bytes))
            }
        }
    }

    /// The gate's admission of a document read from its path.
    pub fn admit(&self, input: &Input) -> Result<Admitted, String> {
        let gate = self.gate();
        match (&input.admitted, &input.root) {
            (Some(a), _) => Ok(a.clone()),
            (None, Some(root)) => gate.admit_in(&input.path, root),
            (None, None) => gate.admit_named(&input.path),
        }
        .map_err(|e| e.reason())
    }

    /// Check one document: every stage, diagnostics sorted by position.
    pub fn check(&self, input: &Input) -> FileReport {
        self.check_document(input).0
    }

    /// [`Session::check`], and the document's id in the source map (none when
    /// it could not be read).
    pub fn check_document(&self, input: &Input) -> (FileReport, Option<FileId>) {
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
        let generation = crate::generation::current();
        let valid = || {
            crate::generation::within(generation, || {
                self.dtds
                    .validate(&self.loader, self.options.dtd.as_ref(), &parsed)
            })
        };
        let rules = || crate::generation::within(generation, || self.xep_rules(input, &parsed));
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

    /// Where a document is (none for standard input without a name).
    fn place_of(&self, input: &Input) -> Option<Place> {
        if input.unnamed || input.error.is_some() {
            return None;
        }
        if let Some(a) = &input.admitted {
            return Some(a.place());
        }
        if input.bytes.is_some() {
            return self.gate().place_of(&input.path).ok();
        }
        match &input.root {
            Some(root) => self.gate().admit_in(&input.path, root),
            None => self.gate().admit_named(&input.path),
        }
        .ok()
        .map(|a| a.place())
    }

    /// Forget the repository views of the folders `keep` does not accept
    /// (a long run over many repositories holds few at once).
    pub(crate) fn forget_repositories(&self, keep: impl Fn(&Path) -> bool) {
        self.repos
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|dir, cell| {
                let kept = keep(dir);
                // Its copy of xep.ent goes with it.
                if !kept
                    && let Some(Some(repo)) = cell.get()
                    && let Some(ent) = &repo.ent
                {
                    self.sources.release(ent.file);
                }
                kept
            });
    }

    /// Read the repository views the documents of `inputs` will ask for
    /// ([`Session::repository`]) before any of them is checked. Called from
    /// outside the thread pool, the headers are read on the pool's threads,
    /// with no thread started for it.
    pub(crate) fn open_repositories(&self, inputs: &[Input]) {
        if self.options.no_repository {
            return;
        }
        let mut seen: Vec<PathBuf> = Vec::new();
        for input in inputs {
            let Some(place) = self.place_of(input) else {
                continue;
            };
            if seen.iter().any(|d| d == place.dir()) {
                continue;
            }
            seen.push(place.dir().to_path_buf());
            let _ = self.repository(&place, &input.path);
        }
    }

    /// The repository of a document at `place` (its folder, or the folder
    /// above one named `inbox`), if it is one: read the first time a
    /// document of it asks.
    pub fn repository(&self, place: &Place, written: &Path) -> Option<Arc<Repository>> {
        if self.options.no_repository {
            return None;
        }
        let dir = place.dir();
        let dir = match dir.parent() {
            Some(up) if dir.file_name().is_some_and(|n| n == "inbox") => up,
            _ => dir,
        };
        let cell = {
            let mut repos = self.repos.lock().unwrap_or_else(|e| e.into_inner());
            repos.entry(dir.to_path_buf()).or_default().clone()
        };
        cell.get_or_init(|| {
            let root: Arc<Path> = place.root().into();
            let shown = crate::repo::shown_root(written, place.dir(), dir);
            Repository::open(self.gate(), &self.sources, dir, &root, shown).map(Arc::new)
        })
        .clone()
    }

    /// Build the model and run the XEP rules.
    fn xep_rules(&self, input: &Input, parsed: &Parsed) -> Vec<Diagnostic> {
        if parsed.undecodable {
            return Vec::new();
        }
        let xep = crate::model::build_for_rules(&parsed.tree, &self.sources, input.file_name());
        let place = xep.is_xep.then(|| self.place_of(input)).flatten();
        let real = place.as_ref().map(|p| p.dir().join(input.file_name()));
        let repo = place.as_ref().and_then(|p| self.repository(p, &input.path));
        let change = self.options.change.as_deref();
        let cx = crate::rules::Context {
            xep: &xep,
            tree: &parsed.tree,
            parsed,
            sources: &self.sources,
            policy: crate::policy::Policy::bundled(),
            named: !input.unnamed,
            real: real.as_deref(),
            repo: repo.as_deref(),
            change: change.map(|c| (c, real.as_deref().and_then(|r| c.of(r)))),
            today: self.options.today.or_else(crate::values::Date::today),
            initials: self.options.initials.as_deref(),
        };
        let mut out = crate::rules::run(&cx);
        if input.unnamed && xep.is_xep {
            out.push(
                Diagnostic::of(
                    &crate::rules::notices::UNNAMED_INPUT,
                    xep.root_span,
                    "standard input has no file name: the rules that read one were not applied",
                )
                .label("this document")
                .help("give its name with `--stdin-filename PATH`"),
            );
        }
        out
    }

    /// Check many documents in parallel; reports come back in input order.
    /// Every document's text stays in the source map, for reporting.
    pub fn check_all(&self, inputs: &[Input]) -> Vec<FileReport> {
        inputs.par_iter().map(|i| self.check(i)).collect()
    }

    pub fn snapshot(&self) -> Sources {
        self.sources.snapshot()
    }
}
