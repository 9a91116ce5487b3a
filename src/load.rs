//! Loading external files (entity files, DTDs) safely, once per run.
//!
//! A SYSTEM id is resolved against the folder of the file that names it, as
//! xmllint does. It is refused when it is a URI with a scheme (nothing is
//! fetched over a network), an absolute path, or a relative path that leaves
//! the project root; only regular files are read, up to a size limit.
//! Every file is read and parsed once per run and shared by all documents;
//! a run that checks documents in batches forgets the files a whole batch did
//! not use ([`Loader::evict_unused`]), and reads them again if asked.

use crate::diag::Diagnostic;
use crate::dtd::decl::{Decl, Decls, Subset, parse_decls, parse_decls_shared};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::xml::parser::ReplayStore;
use foldhash::{HashMap, HashMapExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Largest entity file or DTD read.
pub const MAX_EXTERNAL_SIZE: u64 = 16 * 1024 * 1024;

/// A parsed file of declarations (an entity file or a DTD).
#[derive(Debug)]
pub struct ExtFile {
    pub file: FileId,
    pub path: PathBuf,
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
    fn new(file: FileId, path: PathBuf, decls: Decls) -> ExtFile {
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
            path,
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

/// Why a SYSTEM id was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `http://…`, `file://…` and any other URI scheme.
    Uri(String),
    Absolute,
    OutsideRoot,
}

impl Refusal {
    pub fn reason(&self) -> String {
        match self {
            Refusal::Uri(scheme) => format!("`{scheme}:` URIs are never fetched"),
            Refusal::Absolute => "absolute paths are not followed".into(),
            Refusal::OutsideRoot => "the path leaves the project root".into(),
        }
    }
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    NotFound,
    NotRegular,
    TooLarge(u64),
    Io(String),
    Encoding(String),
}

impl LoadError {
    pub fn reason(&self) -> String {
        match self {
            LoadError::NotFound => "no such file".into(),
            LoadError::NotRegular => "not a regular file".into(),
            LoadError::TooLarge(n) => {
                format!("it is {n} bytes, over the {MAX_EXTERNAL_SIZE}-byte limit")
            }
            LoadError::Io(e) => e.clone(),
            LoadError::Encoding(e) => e.clone(),
        }
    }
}

type Slot = Arc<OnceLock<Result<Arc<ExtFile>, LoadError>>>;

thread_local! {
    /// The generation of the work this thread is doing, when it said so
    /// ([`in_generation`]).
    static BATCH: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Run `f` with the files it asks for marked as used in `generation` (one
/// already started) instead of the latest: a batch of documents checked
/// while the next one has started marks what it uses with its own
/// generation, so that what only it used can be forgotten as soon as it has
/// been reported. `None` runs `f` as it is. Work that `f` hands to other
/// threads must say its generation there again ([`current_generation`]).
pub fn in_generation<R>(generation: Option<u64>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = BATCH.try_with(|b| b.set(self.0));
        }
    }
    let Some(g) = generation else {
        return f();
    };
    let _restore = Restore(BATCH.try_with(|b| b.replace(Some(g))).ok().flatten());
    f()
}

/// The generation this thread works in, if [`in_generation`] set one.
pub fn current_generation() -> Option<u64> {
    BATCH.try_with(std::cell::Cell::get).ok().flatten()
}

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
    cache: Mutex<HashMap<PathBuf, Cached>>,
    /// Marks the files asked for from now on ([`Loader::next_generation`]).
    generation: AtomicU64,
    roots: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    /// `canonicalize` answers, once per path and run: every document of a
    /// folder names the same folder, entity file and DTD.
    canon: Mutex<HashMap<PathBuf, Canonical>>,
    /// [`Loader::resolve_cached`] answers, keyed by the SYSTEM id, the folder
    /// and the root (the first two prefixed with their lengths).
    resolved: Mutex<HashMap<Vec<u8>, Result<PathBuf, Refusal>>>,
}

impl Loader {
    pub fn new(sources: Arc<SourceMap>) -> Loader {
        Loader {
            sources,
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            roots: Mutex::new(HashMap::new()),
            canon: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
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

    /// The project root for a document folder: the nearest ancestor holding
    /// `.git` or `xeplint.toml`; else the folder the user named (`search_root`)
    /// when the document lies below it; else the document's folder. Canonical.
    pub fn project_root(&self, dir: &Path, search_root: Option<&Path>) -> PathBuf {
        let dir = self.canonical(dir).unwrap_or_else(|_| dir.to_path_buf());
        let marked = {
            let mut roots = self.roots.lock().unwrap_or_else(|e| e.into_inner());
            match roots.get(&dir) {
                Some(r) => r.clone(),
                None => {
                    let found = dir
                        .ancestors()
                        .find(|a| a.join(".git").exists() || a.join("xeplint.toml").is_file())
                        .map(Path::to_path_buf);
                    roots.insert(dir.clone(), found.clone());
                    found
                }
            }
        };
        if let Some(root) = marked {
            return root;
        }
        if let Some(sr) = search_root.and_then(|s| self.canonical(s).ok())
            && dir.starts_with(&sr)
        {
            return sr;
        }
        dir
    }

    /// Resolve a SYSTEM id named by a file in `base_dir`, under `root`.
    pub fn resolve(system: &str, base_dir: &Path, root: &Path) -> Result<PathBuf, Refusal> {
        resolve_with(system, base_dir, root, |p| p.canonicalize().ok())
    }

    /// [`Loader::resolve`], with the file system's answers cached for the run.
    pub fn resolve_cached(
        &self,
        system: &str,
        base_dir: &Path,
        root: &Path,
    ) -> Result<PathBuf, Refusal> {
        // Every document of a folder names the same files: resolve each
        // name once per folder instead of normalizing paths per document.
        let (dir, root_bytes) = (
            base_dir.as_os_str().as_encoded_bytes(),
            root.as_os_str().as_encoded_bytes(),
        );
        let mut key = Vec::with_capacity(system.len() + dir.len() + root_bytes.len() + 16);
        for part in [system.as_bytes(), dir] {
            key.extend_from_slice(&(part.len() as u64).to_le_bytes());
            key.extend_from_slice(part);
        }
        key.extend_from_slice(root_bytes);
        if let Some(r) = self
            .resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return r.clone();
        }
        let r = resolve_with(system, base_dir, root, |p| self.canonical(p).ok());
        self.resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, r.clone());
        r
    }

    /// Read and parse a file of declarations, once per run.
    pub fn load(&self, path: &Path, display: String) -> Result<Arc<ExtFile>, LoadError> {
        let key = self.canonical(path).map_err(|(kind, msg)| match kind {
            std::io::ErrorKind::NotFound => LoadError::NotFound,
            _ => LoadError::Io(msg),
        })?;
        let (slot, display) = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let generation = BATCH
                .try_with(std::cell::Cell::get)
                .ok()
                .flatten()
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
        slot.get_or_init(|| self.read(&key, display)).clone()
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

    fn read(&self, path: &Path, display: String) -> Result<Arc<ExtFile>, LoadError> {
        let text = read_regular(path, MAX_EXTERNAL_SIZE)?;
        let text = decode(text).map_err(|(_, msg)| LoadError::Encoding(msg))?;
        let start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        let arc = Arc::new(text);
        let file = self
            .sources
            .add(SourceFile::new(path.to_path_buf(), display, arc.clone()));
        // An external entity may begin with a text declaration `<?xml …?>`.
        let decls = parse_decls_shared(&arc, start, file, Subset::External);
        Ok(Arc::new(ExtFile::new(file, path.to_path_buf(), decls)))
    }

    /// Parse a DTD given by the user or bundled (no path checks).
    pub fn load_text(&self, path: PathBuf, display: String, text: &str) -> Arc<ExtFile> {
        let file = self.sources.add(SourceFile::new(
            path.clone(),
            display,
            Arc::new(text.into()),
        ));
        let decls = parse_decls(text, file, 0, Subset::External);
        Arc::new(ExtFile::new(file, path, decls))
    }
}

/// Whether the file at `path` is in one of `folders` or in a folder above one.
fn near(path: &Path, folders: &[PathBuf]) -> bool {
    path.parent()
        .is_some_and(|p| folders.iter().any(|f| f.starts_with(p)))
}

/// Read a regular file of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound,
        _ => LoadError::Io(e.to_string()),
    })?;
    if !meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(LoadError::TooLarge(meta.len()));
    }
    let f = open_no_wait(path).map_err(|e| LoadError::Io(e.to_string()))?;
    // The path may have been replaced since it was looked at: ask again of
    // what was opened.
    let meta = f.metadata().map_err(|e| LoadError::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(LoadError::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::Io(e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(LoadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// Open for reading without waiting: should a FIFO take the place of a
/// regular file between the check and the open, opening it must not block.
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    }
    #[cfg(not(unix))]
    {
        std::fs::File::open(path)
    }
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

/// [`Loader::resolve`] with `canonical` standing for `Path::canonicalize`.
fn resolve_with(
    system: &str,
    base_dir: &Path,
    root: &Path,
    canonical: impl Fn(&Path) -> Option<PathBuf>,
) -> Result<PathBuf, Refusal> {
    if let Some(scheme) = uri_scheme(system) {
        return Err(Refusal::Uri(scheme.to_string()));
    }
    let rel = Path::new(system);
    if rel.is_absolute() || system.starts_with('\\') || system.starts_with('/') {
        return Err(Refusal::Absolute);
    }
    let joined = lexical_normalize(&base_dir.join(rel));
    let root = canonical(root).unwrap_or_else(|| root.to_path_buf());
    let base = canonical(base_dir).unwrap_or_else(|| base_dir.to_path_buf());
    let lexical = lexical_normalize(&base.join(rel));
    if !lexical.starts_with(&root) {
        return Err(Refusal::OutsideRoot);
    }
    // Symbolic links may point anywhere: check where the file really is.
    if let Some(real) = canonical(&lexical)
        && !real.starts_with(&root)
    {
        return Err(Refusal::OutsideRoot);
    }
    Ok(joined)
}

fn uri_scheme(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = s.get(..colon)?;
    // `C:\…` is a drive letter, not a scheme: refuse it as absolute elsewhere.
    if scheme.len() < 2 {
        return if scheme.len() == 1 {
            Some(scheme)
        } else {
            None
        };
    }
    let mut chars = scheme.chars();
    (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// Remove `.` and resolve `..` without touching the file system.
pub fn lexical_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A refusal as a diagnostic at the SYSTEM literal.
pub fn refusal_diagnostic(span: crate::source::Span, system: &str, why: &Refusal) -> Diagnostic {
    Diagnostic::error(
        "xml-external-refused",
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
    fn refuses_uris_absolute_and_escapes() {
        let root = std::env::temp_dir();
        let base = root.clone();
        assert!(
            matches!(Loader::resolve("http://x/y.ent", &base, &root), Err(Refusal::Uri(s)) if s == "http")
        );
        assert!(matches!(
            Loader::resolve("file:///etc/passwd", &base, &root),
            Err(Refusal::Uri(_))
        ));
        assert_eq!(
            Loader::resolve("/etc/passwd", &base, &root),
            Err(Refusal::Absolute)
        );
        assert_eq!(
            Loader::resolve("../../../../etc/passwd", &base, &root),
            Err(Refusal::OutsideRoot)
        );
        assert!(Loader::resolve("xep.ent", &base, &root).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn cached_resolution_agrees_and_follows_links() {
        let dir = std::env::temp_dir().join(format!("xeplint-load-{}", std::process::id()));
        let root = dir.join("project");
        std::fs::create_dir_all(root.join("inbox")).expect("folders");
        std::fs::write(root.join("xep.ent"), "<!ENTITY a 'b'>").expect("write");
        let _ = std::os::unix::fs::symlink("/etc/passwd", root.join("passwd.ent"));
        let loader = Loader::new(Arc::new(SourceMap::new()));
        let inbox = root.join("inbox");
        for system in [
            "../xep.ent",
            "xep.ent",
            "../passwd.ent",
            "../../outside.ent",
            "/etc/passwd",
            "http://example.org/x.ent",
        ] {
            for _ in 0..2 {
                assert_eq!(
                    loader.resolve_cached(system, &inbox, &root),
                    Loader::resolve(system, &inbox, &root),
                    "{system}"
                );
            }
        }
        assert_eq!(
            loader.resolve_cached("../passwd.ent", &inbox, &root),
            Err(Refusal::OutsideRoot)
        );
        let f = loader
            .load(&root.join("inbox/../xep.ent"), "xep.ent".into())
            .expect("load");
        let g = loader
            .load(&root.join("xep.ent"), "xep.ent".into())
            .expect("load");
        assert!(Arc::ptr_eq(&f, &g), "one file, read once");
        // Unused for a generation: forgotten, read again under its first name.
        let g1 = loader.next_generation();
        assert!(
            loader
                .evict_unused(g1, &[])
                .iter()
                .any(|e| Arc::ptr_eq(e, &f))
        );
        assert!(loader.evict_unused(g1, &[]).is_empty(), "forgotten once");
        let h = loader
            .load(&root.join("xep.ent"), "other name".into())
            .expect("load");
        assert!(!Arc::ptr_eq(&f, &h), "read again");
        assert_ne!(f.file, h.file);
        let name = loader.sources.get(h.file).map(|s| s.display.clone());
        assert_eq!(name.as_deref(), Some("xep.ent"));
        // Used in the current generation: kept.
        assert!(loader.evict_unused(g1, &[]).is_empty());
        let g2 = loader.next_generation();
        let _ = loader.load(&root.join("xep.ent"), String::new());
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
        let k = in_generation(Some(g3), || {
            assert_eq!(current_generation(), Some(g3));
            let k = loader.load(&root.join("xep.ent"), String::new());
            // Nested work says its own generation, and the outer one is back after.
            in_generation(Some(g4), || assert_eq!(current_generation(), Some(g4)));
            assert_eq!(current_generation(), Some(g3));
            k
        })
        .expect("load");
        assert_eq!(current_generation(), None);
        assert!(loader.evict_unused(g3, &[]).is_empty(), "used in {g3}");
        assert!(
            loader
                .evict_unused(g3 + 1, &[])
                .iter()
                .any(|e| Arc::ptr_eq(e, &k)),
            "only {g3} used it"
        );
        // Asked for outside any: the latest generation, as before.
        let _ = loader.load(&root.join("xep.ent"), String::new());
        assert!(loader.evict_unused(g4, &[]).is_empty(), "used in {g4}");
        // Not used since, but documents still to come are in its folder or
        // below it: kept. Only in other folders: forgotten.
        let g5 = loader.next_generation();
        for folder in [&root, &inbox] {
            assert!(
                loader
                    .evict_unused(g5, &[dir.clone(), folder.clone()])
                    .is_empty(),
                "{} comes",
                folder.display()
            );
        }
        assert_eq!(loader.evict_unused(g5, std::slice::from_ref(&dir)).len(), 1);
        assert_eq!(
            loader.load(&root.join("nothing.ent"), String::new()).err(),
            Some(LoadError::NotFound)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn decodes_utf8_only() {
        assert!(decode(b"<a/>".to_vec()).is_ok());
        assert!(decode(vec![0xFF, 0xFE, b'<', 0]).is_err());
        assert_eq!(decode(vec![b'a', 0xC3]).unwrap_err().0, 1);
    }
}
