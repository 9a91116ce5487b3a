//! Loading external files (entity files, DTDs), once per run.
//!
//! What may be read is decided by [`crate::gate`]: a SYSTEM id is admitted
//! there (resolved against the real folder of the file that names it, as the
//! operating system would, and kept inside the project root), and only an
//! admitted file is loaded here.
//! Every file is read and parsed once per run and shared by all documents;
//! a run that checks documents in batches forgets the files a whole batch did
//! not use ([`Loader::evict_unused`]), and reads them again if asked.

use crate::diag::Diagnostic;
use crate::dtd::decl::{Decl, Decls, Subset, parse_decls, parse_decls_shared};
use crate::gate::{Admitted, Gate, Refusal};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::xml::recorded::ReplayStore;
use crate::xml::rules::XML_EXTERNAL_REFUSED;
use foldhash::{HashMap, HashMapExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// A file the user chose for every document: the DTD (`--dtd`, or `dtd` in
/// `xeplint.toml`) or the entity file (`--entities`, `entities`).
#[derive(Debug, Clone)]
pub struct Chosen {
    /// As written on the command line (or the real path the configuration
    /// gave, already admitted when it was loaded).
    pub path: PathBuf,
    /// Who chose it, for messages: `--dtd`, `` `dtd` in xeplint.toml ``.
    pub by: &'static str,
    admitted: OnceLock<Result<Admitted, Refusal>>,
}

impl Chosen {
    pub fn new(path: impl Into<PathBuf>, by: &'static str) -> Chosen {
        Chosen {
            path: path.into(),
            by,
            admitted: OnceLock::new(),
        }
    }

    /// The file, admitted by the gate once per run.
    pub fn admitted(&self, gate: &Gate) -> &Result<Admitted, Refusal> {
        self.admitted.get_or_init(|| gate.admit_named(&self.path))
    }
}

/// A parsed file of declarations (an entity file or a DTD).
#[derive(Debug)]
pub struct ExtFile {
    pub file: FileId,
    /// Where it is: what it names is resolved from there.
    pub admitted: Option<Admitted>,
    pub decls: Decls,
    /// General entities by name, first declaration wins: index into `decls.decls`.
    pub general: HashMap<String, usize>,
    /// Parameter entities by name, first declaration wins.
    pub parameter: HashMap<String, usize>,
    /// The parameter-entity references among the declarations, in order
    /// (index into `decls.decls`): every document including the file
    /// follows them, and most files have none.
    pub pe_refs: Vec<usize>,
    /// Recorded expansions of its general entities: they live and go with
    /// the file.
    pub(crate) replays: RwLock<ReplayStore>,
}

impl ExtFile {
    fn new(file: FileId, admitted: Option<Admitted>, decls: Decls) -> ExtFile {
        let mut general = HashMap::new();
        let mut parameter = HashMap::new();
        let mut pe_refs = Vec::new();
        for (i, d) in decls.decls.iter().enumerate() {
            match d {
                Decl::Entity(e) => {
                    let map = if e.parameter {
                        &mut parameter
                    } else {
                        &mut general
                    };
                    map.entry(e.name.clone()).or_insert(i);
                }
                Decl::PeRef { .. } => pe_refs.push(i),
                _ => {}
            }
        }
        ExtFile {
            file,
            admitted,
            decls,
            general,
            parameter,
            pe_refs,
            replays: RwLock::new(ReplayStore::default()),
        }
    }

    pub fn entity(&self, name: &str, parameter: bool) -> Option<&crate::dtd::decl::EntityDecl> {
        let map = if parameter {
            &self.parameter
        } else {
            &self.general
        };
        match self.decls.decls.get(*map.get(name)?) {
            Some(Decl::Entity(e)) => Some(e),
            _ => None,
        }
    }
}

type Slot = Arc<OnceLock<Result<Arc<ExtFile>, Refusal>>>;

/// A file of the cache.
#[derive(Debug)]
struct Cached {
    slot: Slot,
    /// The name given when the file was first asked for: it is shown by that
    /// name all run long, even if it is forgotten and read again.
    display: String,
    /// The last generation that asked for the file.
    used: u64,
}

/// A path made canonical, or why it could not be.
type Canonical = Result<PathBuf, (std::io::ErrorKind, String)>;

/// Loads and caches external files for one run.
#[derive(Debug)]
pub struct Loader {
    pub sources: Arc<SourceMap>,
    /// What decides what may be read.
    pub gate: Arc<Gate>,
    cache: Mutex<HashMap<PathBuf, Cached>>,
    /// Marks the files asked for from now on ([`Loader::next_generation`]).
    generation: AtomicU64,
    /// `canonicalize` answers for folders, once per path and run (to tell
    /// which loaded files lie near the documents still to come).
    canon: Mutex<HashMap<PathBuf, Canonical>>,
}

impl Loader {
    pub fn new(sources: Arc<SourceMap>, gate: Arc<Gate>) -> Loader {
        Loader {
            sources,
            gate,
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            canon: Mutex::new(HashMap::new()),
        }
    }

    /// `path.canonicalize()`, asked of the file system once per run.
    pub fn canonical(&self, path: &Path) -> Canonical {
        if let Some(c) = self
            .canon
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return c.clone();
        }
        let c = path.canonicalize().map_err(|e| (e.kind(), e.to_string()));
        self.canon
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf(), c.clone());
        c
    }

    /// Read and parse an admitted file of declarations, once per run;
    /// `display` names it in diagnostics (the first name given wins).
    pub fn load(&self, admitted: &Admitted, display: String) -> Result<Arc<ExtFile>, Refusal> {
        let key = admitted.path().to_path_buf();
        let (slot, display) = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let generation = crate::generation::current()
                .unwrap_or_else(|| self.generation.load(Ordering::Acquire));
            let c = cache.entry(key.clone()).or_insert_with(|| Cached {
                slot: Slot::default(),
                display,
                used: generation,
            });
            c.used = c.used.max(generation);
            if let Some(done) = c.slot.get() {
                return done.clone();
            }
            (c.slot.clone(), c.display.clone())
        };
        slot.get_or_init(|| self.read(admitted, display)).clone()
    }

    /// Start a new generation and return it: the files asked for from now on
    /// are marked as used in it (see [`Loader::evict_unused`]), except those
    /// asked for under [`in_generation`].
    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Forget the files read but not asked for since generation `generation`
    /// began, and return them. A file asked for later is read again (under
    /// the name it was first given). The caller releases whatever was built
    /// from them: their texts in the source map, compiled DTDs. Only files
    /// nothing will report on any more may go: evict after every document
    /// checked before `generation` began has been reported. Files that could
    /// not be read stay known as such. Files in one of `folders` or in a
    /// folder above one are kept: documents still to come from there are
    /// likely to ask for them.
    pub fn evict_unused(&self, generation: u64, folders: &[PathBuf]) -> Vec<Arc<ExtFile>> {
        let folders = self.canonical_folders(folders);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut evicted = Vec::new();
        for (path, c) in cache.iter_mut() {
            if c.used < generation
                && !near(path, &folders)
                && let Some(Ok(f)) = c.slot.get()
            {
                evicted.push(f.clone());
                c.slot = Slot::default();
            }
        }
        evicted
    }

    /// Release the recorded expansions of the loaded files that are neither
    /// in one of `folders` nor above one: the documents still to come, which
    /// are there, will not use them. Documents already under way that do
    /// parse those entities instead; the files themselves stay until
    /// [`Loader::evict_unused`] lets them go. Checking folder after folder,
    /// each with its own `xep.ent`, the run then holds one folder's
    /// recordings at a time instead of two while it moves on.
    pub fn close_replays_outside(&self, folders: &[PathBuf]) {
        let folders = self.canonical_folders(folders);
        // Taken out of the cache first: a document being replayed holds its
        // store, and other threads may want the cache meanwhile.
        let outside: Vec<Arc<ExtFile>> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .iter()
                .filter(|(path, _)| !near(path, &folders))
                .filter_map(|(_, c)| match c.slot.get() {
                    Some(Ok(f)) => Some(f.clone()),
                    _ => None,
                })
                .collect()
        };
        for f in outside {
            let mut store = f.replays.write().unwrap_or_else(|e| e.into_inner());
            if !store.is_closed() {
                store.close();
            }
        }
    }

    fn canonical_folders(&self, folders: &[PathBuf]) -> Vec<PathBuf> {
        folders
            .iter()
            .filter_map(|f| self.canonical(f).ok())
            .collect()
    }

    fn read(&self, admitted: &Admitted, display: String) -> Result<Arc<ExtFile>, Refusal> {
        let text = self.gate.read(admitted)?;
        let text = decode(text).map_err(|(_, msg)| Refusal::Io(msg))?;
        let start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        let arc = Arc::new(text);
        let path = admitted.path().to_path_buf();
        let file = self
            .sources
            .add(SourceFile::new(path, display, arc.clone()));
        // An external entity may begin with a text declaration `<?xml …?>`.
        let decls = parse_decls_shared(&arc, start, file, Subset::External);
        Ok(Arc::new(ExtFile::new(file, Some(admitted.clone()), decls)))
    }

    /// Parse declarations xeplint carries itself (the bundled DTD).
    pub fn load_text(&self, display: &str, text: &str) -> Arc<ExtFile> {
        let file = self.sources.add(SourceFile::new(
            PathBuf::from(display),
            display.to_string(),
            Arc::new(text.into()),
        ));
        let decls = parse_decls(text, file, 0, Subset::External);
        Arc::new(ExtFile::new(file, None, decls))
    }
}

/// Whether the file at `path` is in one of `folders` or in a folder above one.
fn near(path: &Path, folders: &[PathBuf]) -> bool {
    path.parent()
        .is_some_and(|p| folders.iter().any(|f| f.starts_with(p)))
}

/// Bytes to text: UTF-8 (with or without BOM) only. On failure, the byte
/// offset of the problem and a message.
pub fn decode(bytes: Vec<u8>) -> Result<String, (usize, String)> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err((0, "the file is UTF-16 (it starts with a UTF-16 byte order mark); xeplint reads UTF-8 only".into()));
    }
    if bytes.len() >= 4
        && bytes.get(..4).is_some_and(|b| b[0] == 0 || b[1] == 0)
        && bytes.get(..4) != Some(b"\0\0\0\0")
    {
        return Err((0, "the file looks like UTF-16 or UTF-32 (it has NUL bytes in its first characters); xeplint reads UTF-8 only".into()));
    }
    // The SIMD check is several times faster than the standard library's
    // on XEP text (mostly ASCII, with some other characters everywhere); on
    // failure the standard one says where.
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: `from_utf8` just found every byte of `bytes` to be UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        (
            at,
            format!("invalid UTF-8 at byte {at}; xeplint reads UTF-8 only"),
        )
    })
}

/// How a file named `name` from the folder shown as `dir` is shown: joined,
/// `.` and `..` taken lexically (`..` removes a name before it, never
/// another `..`). Only for display: what is read is what the gate admitted.
pub fn display_join(dir: &Path, name: &str) -> String {
    let mut out: Vec<Component<'_>> = Vec::new();
    let joined = dir.join(name);
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect::<PathBuf>().display().to_string()
}

/// A refusal as a diagnostic at the SYSTEM literal.
pub fn refusal_diagnostic(span: crate::source::Span, system: &str, why: &Refusal) -> Diagnostic {
    Diagnostic::of(&XML_EXTERNAL_REFUSED,
        span,
        format!("refusing to load `{system}`: {}", why.reason()),
    )
    .label("this SYSTEM id is not followed")
    .help("name a file beside the document (e.g. `xep.ent`), or pass `--entities PATH` / `--dtd PATH`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_join_lexically() {
        assert_eq!(display_join(Path::new("inbox"), "../xep.ent"), "xep.ent");
        assert_eq!(display_join(Path::new(""), "xep.ent"), "xep.ent");
        assert_eq!(
            display_join(Path::new("../other"), "../../xep.ent"),
            "../../xep.ent"
        );
        assert_eq!(display_join(Path::new("a/./b"), "./c.ent"), "a/b/c.ent");
        assert_eq!(display_join(Path::new("/"), "../x.ent"), "/x.ent");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_read_once_and_forgotten_when_unused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join(".git")).expect("folders");
        std::fs::create_dir_all(root.join("inbox")).expect("folders");
        std::fs::write(root.join("xep.ent"), "<!ENTITY a 'b'>").expect("write");
        std::os::unix::fs::symlink("../xep.ent", root.join("inbox/xep.ent")).expect("link");
        let gate = Arc::new(Gate::new());
        let loader = Loader::new(Arc::new(SourceMap::new()), gate.clone());
        let inbox = gate.place_of(&root.join("inbox/doc.xml")).expect("place");
        let top = gate.place_of(&root.join("doc.xml")).expect("place");
        let admit = |place: &crate::gate::Place, system: &str| {
            gate.admit_system(place, system).expect("admitted")
        };
        let f = loader
            .load(&admit(&inbox, "xep.ent"), "inbox/xep.ent".into())
            .expect("load");
        let g = loader
            .load(&admit(&top, "xep.ent"), "xep.ent".into())
            .expect("load");
        assert!(Arc::ptr_eq(&f, &g), "one file, read once");
        let xep_ent = admit(&top, "xep.ent");
        // Unused for a generation: forgotten, read again under its first name.
        let g1 = loader.next_generation();
        assert!(
            loader
                .evict_unused(g1, &[])
                .iter()
                .any(|e| Arc::ptr_eq(e, &f))
        );
        assert!(loader.evict_unused(g1, &[]).is_empty(), "forgotten once");
        let h = loader.load(&xep_ent, "other name".into()).expect("load");
        assert!(!Arc::ptr_eq(&f, &h), "read again");
        assert_ne!(f.file, h.file);
        let name = loader.sources.get(h.file).map(|s| s.display.clone());
        assert_eq!(name.as_deref(), Some("inbox/xep.ent"));
        // Used in the current generation: kept.
        assert!(loader.evict_unused(g1, &[]).is_empty());
        let g2 = loader.next_generation();
        let _ = loader.load(&xep_ent, String::new());
        assert!(
            loader.evict_unused(g2, &[]).is_empty(),
            "used in generation {g2}"
        );
        // Asked for by work of an earlier generation while a later one has
        // begun: marked with the earlier one, and forgotten once everything
        // up to it has been reported, not one generation later.
        let g3 = loader.next_generation();
        let g4 = loader.next_generation();
        assert_eq!(
            loader.evict_unused(g2 + 1, &[]).len(),
            1,
            "only {g2} used it"
        );
        let k = crate::generation::within(Some(g3), || {
            assert_eq!(crate::generation::current(), Some(g3));
            let k = loader.load(&xep_ent, String::new());
            // Nested work says its own generation, and the outer one is back after.
            crate::generation::within(Some(g4), || {
                assert_eq!(crate::generation::current(), Some(g4))
            });
            assert_eq!(crate::generation::current(), Some(g3));
            k
        })
        .expect("load");
        assert_eq!(crate::generation::current(), None);
        assert!(loader.evict_unused(g3, &[]).is_empty(), "used in {g3}");
        assert!(
            loader
                .evict_unused(g3 + 1, &[])
                .iter()
                .any(|e| Arc::ptr_eq(e, &k)),
            "only {g3} used it"
        );
        // Asked for outside any: the latest generation, as before.
        let _ = loader.load(&xep_ent, String::new());
        assert!(loader.evict_unused(g4, &[]).is_empty(), "used in {g4}");
        // Not used since, but documents still to come are in its folder or
        // below it: kept. Only in other folders: forgotten.
        let g5 = loader.next_generation();
        let outside = dir.path().to_path_buf();
        for folder in [&root, &root.join("inbox")] {
            assert!(
                loader
                    .evict_unused(g5, &[outside.clone(), folder.clone()])
                    .is_empty(),
                "{} comes",
                folder.display()
            );
        }
        assert_eq!(
            loader
                .evict_unused(g5, std::slice::from_ref(&outside))
                .len(),
            1
        );
    }

    #[test]
    fn decodes_utf8_only() {
        assert!(decode(b"<a/>".to_vec()).is_ok());
        assert!(decode(vec![0xFF, 0xFE, b'<', 0]).is_err());
        assert_eq!(decode(vec![b'a', 0xC3]).unwrap_err().0, 1);
    }
}
