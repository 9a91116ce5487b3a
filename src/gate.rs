//! The one place that decides what xeplint may read, and where it may write.
//!
//! xeplint runs in CI on files strangers wrote. Every file it opens is first
//! *admitted* here, and only an admitted path is ever read ([`Gate::read`]):
//! documents named on the command line or found in a folder, the entity
//! files and DTDs SYSTEM ids name, the paths `xeplint.toml` gives, the
//! configuration itself and baselines. [`Admitted`] can only be made by this
//! module.
//!
//! - **The project root** of a path is the nearest folder holding `.git` or
//!   `xeplint.toml`, looking up from where the path is (for a folder named on
//!   the command line, from that folder); without one, that folder itself.
//! - **A path is admitted** when its real location (every symbolic link and
//!   `..` resolved) lies inside its root. What a document, an entity file or
//!   the configuration names must lie inside the root of the file naming it.
//! - **SYSTEM ids** that are URIs (`http:`, `file:`, …) or absolute paths are
//!   refused: nothing is fetched over a network.
//! - **Only regular files are read**, up to [`MAX_FILE_SIZE`] bytes. On Linux
//!   the file is opened with `openat2` below its root, following no symbolic
//!   link (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`): the decision holds for
//!   the file actually opened, even if the tree changes meanwhile. Where the
//!   kernel lacks `openat2`, the file opened is compared with the one
//!   admitted (device and inode).
//! - **A refusal says why**, never what the refused file holds.
//! - **Writes** ([`Gate::write_atomic`]) go to a temporary file beside the
//!   target, renamed into place with the target's permissions, and never
//!   through a symbolic link leading outside the target's root.

use crate::limits::{MAX_FILE_SIZE, bytes};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What marks a project root.
pub const ROOT_MARKERS: [&str; 2] = [".git", "xeplint.toml"];

/// A path the gate let through: its real location, inside its root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Admitted {
    real: PathBuf,
    root: Arc<Path>,
}

impl Admitted {
    /// The real path: canonical, inside [`Admitted::root`].
    pub fn path(&self) -> &Path {
        &self.real
    }

    /// The project root it belongs to (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where it is, for resolving what it names.
    pub fn place(&self) -> Place {
        Place {
            dir: self
                .real
                .parent()
                .map_or_else(|| self.root.to_path_buf(), Path::to_path_buf),
            root: self.root.clone(),
        }
    }
}

/// A folder inside a project root: where a file is (or, for standard input,
/// is taken to be), and so where the relative paths it holds lead from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    dir: PathBuf,
    root: Arc<Path>,
}

impl Place {
    /// The folder (canonical).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The project root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Why a path was not read (or written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `http://…`, `file://…` and any other URI scheme.
    Uri(String),
    /// An absolute path as a SYSTEM id.
    Absolute,
    /// The real location lies outside the project root.
    OutsideRoot {
        root: PathBuf,
    },
    NotFound,
    /// A folder, a FIFO, a device…
    NotRegular,
    /// Over [`MAX_FILE_SIZE`]: its size when known. Standard input (and a
    /// file that grows while it is read) is read no further than the limit,
    /// so its size is not known.
    TooLarge {
        size: Option<u64>,
    },
    Io(String),
}

impl Refusal {
    /// Why, in words that fit after "cannot read X: ".
    pub fn reason(&self) -> String {
        match self {
            Refusal::Uri(scheme) => format!("`{scheme}:` URIs are never fetched"),
            Refusal::Absolute => "absolute paths are not followed".into(),
            Refusal::OutsideRoot { root } => {
                format!("it leads outside the project root `{}`", root.display())
            }
            Refusal::NotFound => "no such file".into(),
            Refusal::NotRegular => "not a regular file".into(),
            Refusal::TooLarge { size: Some(size) } => format!(
                "it is {size} bytes, over the {} limit",
                bytes(MAX_FILE_SIZE)
            ),
            Refusal::TooLarge { size: None } => {
                format!("it is over the {} limit", bytes(MAX_FILE_SIZE))
            }
            Refusal::Io(e) => e.clone(),
        }
    }

    /// Whether this is a refusal on principle (a URI, an absolute path, a
    /// way out of the root), rather than a file that is missing or unfit.
    pub fn is_policy(&self) -> bool {
        matches!(
            self,
            Refusal::Uri(_) | Refusal::Absolute | Refusal::OutsideRoot { .. }
        )
    }

    fn io(e: &std::io::Error) -> Refusal {
        match e.kind() {
            std::io::ErrorKind::NotFound => Refusal::NotFound,
            _ => Refusal::Io(e.to_string()),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

/// The gate of one run; its answers are cached for the run.
#[derive(Debug, Default)]
pub struct Gate {
    /// Project roots, by the canonical folder they were found from.
    roots: Mutex<HashMap<PathBuf, Arc<Path>>>,
    /// Admissions of SYSTEM ids, by the folder naming them and the id:
    /// every document of a folder names the same few files.
    systems: Mutex<HashMap<(PathBuf, String), Result<Admitted, Refusal>>>,
    /// Every path read, when asked for ([`Gate::audited`]).
    audit: Option<Mutex<Vec<PathBuf>>>,
    #[cfg(target_os = "linux")]
    beneath: linux::Beneath,
}

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    /// A gate that remembers every path it reads ([`Gate::read_so_far`]):
    /// for tests that prove nothing outside a root is ever read.
    pub fn audited() -> Gate {
        Gate {
            audit: Some(Mutex::new(Vec::new())),
            ..Gate::default()
        }
    }

    /// The real paths read so far (empty unless [`Gate::audited`]).
    pub fn read_so_far(&self) -> Vec<PathBuf> {
        self.audit
            .as_ref()
            .map(|a| a.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// The project root of a path written on the command line (a folder
    /// when `is_dir`, else a file): the nearest folder holding `.git` or
    /// `xeplint.toml`, looking up from where the path is written; else, the
    /// folder named (or the named file's folder) itself.
    ///
    /// The search follows the path as written (`..` taken lexically), and a
    /// folder counts as a root only when no symbolic link leads to it: a
    /// link committed in a repository cannot make a folder elsewhere the
    /// root, so a link leading out of the repository, even the folder named
    /// itself, is refused when admitted.
    pub fn root_of(&self, written: &Path, is_dir: bool) -> Result<Arc<Path>, Refusal> {
        let abs = lexical_absolute(written);
        let folder = if is_dir { abs } else { parent_of(&abs) };
        if let Some(root) = self.lock_roots().get(&folder) {
            return Ok(root.clone());
        }
        let marked = folder
            .ancestors()
            .find(|a| is_root(a) && std::fs::canonicalize(a).is_ok_and(|c| c == *a));
        let root: Arc<Path> = match marked {
            Some(a) => a.into(),
            None => canonical(&folder)?.into(),
        };
        self.lock_roots().insert(folder, root.clone());
        Ok(root)
    }

    /// Where a file named on the command line is (it need not exist: the
    /// name `--stdin-filename` gives standard input).
    pub fn place_of(&self, written: &Path) -> Result<Place, Refusal> {
        let root = self.root_of(written, false)?;
        Ok(Place {
            dir: canonical(&parent_of(written))?,
            root,
        })
    }

    /// A file named on the command line (a document, `--dtd`, `--entities`,
    /// `--config`, `--baseline`): admitted when it lies inside its root.
    pub fn admit_named(&self, written: &Path) -> Result<Admitted, Refusal> {
        let root = self.root_of(written, false)?;
        admit(written, root)
    }

    /// A file inside `root` (a document found in a folder of it).
    pub fn admit_in(&self, path: &Path, root: &Arc<Path>) -> Result<Admitted, Refusal> {
        admit(path, root.clone())
    }

    /// A regular file listed in a folder already known to be real (canonical)
    /// and inside `root`: admitted without asking the file system again.
    /// [`Gate::read`] still opens it following no symbolic link.
    pub fn admit_listed(
        &self,
        real_dir: &Path,
        name: &std::ffi::OsStr,
        root: &Arc<Path>,
    ) -> Option<Admitted> {
        real_dir.starts_with(root).then(|| Admitted {
            real: real_dir.join(name),
            root: root.clone(),
        })
    }

    /// A path written in a file at `place` (`entities = …` in
    /// `xeplint.toml`): relative to its folder, admitted inside its root.
    pub fn admit_relative(&self, place: &Place, written: &str) -> Result<Admitted, Refusal> {
        admit(&place.dir.join(written), place.root.clone())
    }

    /// A SYSTEM id written in a file at `place`. URIs and absolute paths are
    /// refused; a relative path leads from the file's real folder, as the
    /// operating system would follow it, and must stay inside the root.
    pub fn admit_system(&self, place: &Place, system: &str) -> Result<Admitted, Refusal> {
        if let Some(scheme) = uri_scheme(system) {
            return Err(Refusal::Uri(scheme.to_string()));
        }
        if Path::new(system).is_absolute() || system.starts_with(['/', '\\']) {
            return Err(Refusal::Absolute);
        }
        let key = (place.dir.clone(), system.to_string());
        if let Some(done) = self.lock_systems().get(&key) {
            return done.clone();
        }
        let done = admit(&place.dir.join(system), place.root.clone());
        self.lock_systems().insert(key, done.clone());
        done
    }

    /// Open an admitted file for reading: a regular file of at most
    /// [`MAX_FILE_SIZE`] bytes (recorded when reads are audited).
    fn open_regular(&self, a: &Admitted) -> Result<(std::fs::File, std::fs::Metadata), Refusal> {
        let file = self.open(a)?;
        let meta = file.metadata().map_err(|e| Refusal::io(&e))?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular);
        }
        if meta.len() > MAX_FILE_SIZE {
            return Err(Refusal::TooLarge {
                size: Some(meta.len()),
            });
        }
        if let Some(audit) = &self.audit {
            audit
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(a.real.clone());
        }
        Ok((file, meta))
    }

    /// Read an admitted file: a regular file of at most [`MAX_FILE_SIZE`]
    /// bytes, opened below its root without following any symbolic link.
    pub fn read(&self, a: &Admitted) -> Result<Vec<u8>, Refusal> {
        let (file, meta) = self.open_regular(a)?;
        let mut buf = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Refusal::io(&e))?;
        if buf.len() as u64 > MAX_FILE_SIZE {
            return Err(Refusal::TooLarge { size: None });
        }
        Ok(buf)
    }

    /// The beginning of an admitted file, up to and including the first
    /// occurrence of `until` (the whole file when it has none): the header
    /// of a XEP without the rest. Read in chunks, as [`Gate::read`] opens
    /// files, and never past [`MAX_FILE_SIZE`].
    pub fn read_head(&self, a: &Admitted, until: &[u8]) -> Result<Vec<u8>, Refusal> {
        // A XEP's top revision ends within its first 4 KiB in 99 cases out
        // of 100: one `read` of 4 KiB usually does, then twice as much
        // room each time. Reading straight into the buffer costs one
        // system call per chunk (`read_to_end` makes several small ones).
        let (mut file, _) = self.open_regular(a)?;
        let mut buf: Vec<u8> = vec![0; 4 * 1024];
        let mut len = 0;
        loop {
            if len == buf.len() {
                if len as u64 > MAX_FILE_SIZE {
                    return Err(Refusal::TooLarge { size: None });
                }
                buf.resize((len * 2).min(MAX_FILE_SIZE as usize + 1), 0);
            }
            let n = match file.read(buf.get_mut(len..).unwrap_or_default()) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Refusal::io(&e)),
            };
            let searched = len.saturating_sub(until.len().saturating_sub(1));
            len += n;
            if let Some(at) = buf
                .get(searched..len)
                .and_then(|tail| memchr::memmem::find(tail, until))
            {
                buf.truncate(searched + at + until.len());
                return Ok(buf);
            }
            if n == 0 {
                buf.truncate(len);
                return Ok(buf);
            }
        }
    }

    /// Read standard input, up to [`MAX_FILE_SIZE`] bytes as any file.
    pub fn read_stdin(&self) -> Result<Vec<u8>, Refusal> {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Refusal::io(&e))?;
        if buf.len() as u64 > MAX_FILE_SIZE {
            return Err(Refusal::TooLarge { size: None });
        }
        Ok(buf)
    }

    #[cfg(target_os = "linux")]
    fn open(&self, a: &Admitted) -> Result<std::fs::File, Refusal> {
        match self.beneath.open(&a.root, &a.real) {
            Some(opened) => opened,
            None => open_and_compare(&a.real),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn open(&self, a: &Admitted) -> Result<std::fs::File, Refusal> {
        open_and_compare(&a.real)
    }

    /// Write `contents` to the file named `written` (on the command line):
    /// to a temporary file in the target's folder, then renamed over it,
    /// with the target's permissions when it exists. A target that is a
    /// symbolic link is written where the link leads, which must lie inside
    /// the root; a dangling link is replaced. Returns the path written.
    pub fn write_atomic(&self, written: &Path, contents: &[u8]) -> Result<PathBuf, Refusal> {
        let root = self.root_of(written, false)?;
        let target = match std::fs::canonicalize(written) {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = written.file_name().ok_or(Refusal::NotRegular)?;
                canonical(&parent_of(written))?.join(name)
            }
            Err(e) => return Err(Refusal::io(&e)),
        };
        if !target.starts_with(&root) {
            return Err(Refusal::OutsideRoot {
                root: root.to_path_buf(),
            });
        }
        let existing = match std::fs::symlink_metadata(&target) {
            Ok(m) if m.is_file() => Some(m.permissions()),
            Ok(m) if m.file_type().is_symlink() => None,
            Ok(_) => return Err(Refusal::NotRegular),
            Err(_) => None,
        };
        let dir = parent_of(&target);
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        // Unique per write: two threads may write the same file (a path
        // named twice).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.xeplint-{}-{n}.tmp", std::process::id()));
        let result = write_new(&temp, contents, existing)
            .and_then(|()| std::fs::rename(&temp, &target).map_err(|e| Refusal::io(&e)));
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map(|()| target)
    }

    fn lock_roots(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Path>>> {
        self.roots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_systems(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(PathBuf, String), Result<Admitted, Refusal>>> {
        self.systems.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a folder marks a project root.
pub fn is_root(dir: &Path) -> bool {
    dir.join(ROOT_MARKERS[0]).exists() || dir.join(ROOT_MARKERS[1]).is_file()
}

/// The folder a file named `written` is in (`.` for a bare name).
fn parent_of(written: &Path) -> PathBuf {
    match written.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` made absolute from the current folder, `.` and `..` taken
/// lexically (`..` removes the name before it). Only used to find a root:
/// what is read is found by the operating system's own resolution.
pub fn lexical_absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn canonical(path: &Path) -> Result<PathBuf, Refusal> {
    std::fs::canonicalize(path).map_err(|e| Refusal::io(&e))
}

fn admit(path: &Path, root: Arc<Path>) -> Result<Admitted, Refusal> {
    let real = canonical(path)?;
    if !real.starts_with(&root) {
        return Err(Refusal::OutsideRoot {
            root: root.to_path_buf(),
        });
    }
    Ok(Admitted { real, root })
}

/// Create `temp` (it must not exist), write and flush `contents`.
fn write_new(
    temp: &Path,
    contents: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<(), Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut f = options.open(temp).map_err(|e| Refusal::io(&e))?;
    if let Some(p) = permissions {
        f.set_permissions(p).map_err(|e| Refusal::io(&e))?;
    }
    f.write_all(contents).map_err(|e| Refusal::io(&e))?;
    f.sync_all().map_err(|e| Refusal::io(&e))
}

/// Open `real` (canonical) following no symbolic link at its end and without
/// waiting (a FIFO put in its place must not block), then make sure the file
/// opened is the one at `real`.
fn open_and_compare(real: &Path) -> Result<std::fs::File, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(real).map_err(|e| Refusal::io(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file.metadata().map_err(|e| Refusal::io(&e))?;
        let there = std::fs::symlink_metadata(real).map_err(|e| Refusal::io(&e))?;
        let same = canonical(real).is_ok_and(|c| c == real);
        if !same || (opened.dev(), opened.ino()) != (there.dev(), there.ino()) {
            return Err(Refusal::Io("the file changed while it was opened".into()));
        }
    }
    Ok(file)
}

/// The scheme of a URI (`http` in `http://…`); a one-letter "scheme" is a
/// Windows drive letter, refused as an absolute path.
fn uri_scheme(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = s.get(..colon)?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(scheme)
}

#[cfg(target_os = "linux")]
mod linux {
    use super::Refusal;
    use std::collections::HashMap;
    use std::ffi::CString;
    use std::os::fd::{FromRawFd, OwnedFd, RawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// `struct open_how` of `openat2(2)`.
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }

    /// `openat2` below a root, with the roots' folders kept open.
    #[derive(Debug, Default)]
    pub(super) struct Beneath {
        /// Set once the kernel has answered that it has no `openat2`.
        missing: AtomicBool,
        roots: Mutex<HashMap<std::path::PathBuf, std::sync::Arc<OwnedFd>>>,
    }

    impl Beneath {
        /// Open `real` (canonical, inside the canonical `root`) for reading;
        /// `None` when the kernel cannot do it this way.
        pub(super) fn open(
            &self,
            root: &Path,
            real: &Path,
        ) -> Option<Result<std::fs::File, Refusal>> {
            if self.missing.load(Ordering::Relaxed) {
                return None;
            }
            let rel = real.strip_prefix(root).ok()?;
            let rel = CString::new(rel.as_os_str().as_bytes()).ok()?;
            let dir = match self.root_fd(root) {
                Ok(fd) => fd,
                Err(e) => return Some(Err(e)),
            };
            let how = OpenHow {
                flags: (libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
                    as u64,
                mode: 0,
                resolve: libc::RESOLVE_BENEATH
                    | libc::RESOLVE_NO_SYMLINKS
                    | libc::RESOLVE_NO_MAGICLINKS,
            };
            // SAFETY: `rel` is a NUL-terminated string and `how` a valid
            // `open_how` of the size passed; the descriptor returned, if
            // any, is owned by nobody else.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    std::os::fd::AsRawFd::as_raw_fd(&*dir),
                    rel.as_ptr(),
                    &how as *const OpenHow,
                    std::mem::size_of::<OpenHow>(),
                )
            };
            if fd >= 0 {
                // SAFETY: a fresh descriptor from the kernel, owned here.
                return Some(Ok(unsafe {
                    std::fs::File::from(OwnedFd::from_raw_fd(fd as RawFd))
                }));
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::ENOSYS | libc::EPERM | libc::E2BIG) => {
                    self.missing.store(true, Ordering::Relaxed);
                    None
                }
                Some(libc::ELOOP | libc::EXDEV) => Some(Err(Refusal::Io(
                    "the path changed while it was opened (a symbolic link appeared)".into(),
                ))),
                _ => Some(Err(Refusal::io(&err))),
            }
        }

        fn root_fd(&self, root: &Path) -> Result<std::sync::Arc<OwnedFd>, Refusal> {
            let mut roots = self.roots.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(fd) = roots.get(root) {
                return Ok(fd.clone());
            }
            let c = CString::new(root.as_os_str().as_bytes())
                .map_err(|_| Refusal::Io("a NUL byte in a path".into()))?;
            // SAFETY: `c` is NUL-terminated; the descriptor is owned here.
            let fd = unsafe {
                libc::open(
                    c.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return Err(Refusal::io(&std::io::Error::last_os_error()));
            }
            // SAFETY: a fresh descriptor from the kernel, owned here.
            let fd = std::sync::Arc::new(unsafe { OwnedFd::from_raw_fd(fd) });
            roots.insert(root.to_path_buf(), fd.clone());
            Ok(fd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Arc<Path>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("p");
        std::fs::create_dir_all(root.join(".git")).expect("mkdir");
        std::fs::create_dir_all(root.join("inbox")).expect("mkdir");
        std::fs::write(root.join("xep.ent"), "<!ENTITY a 'b'>").expect("write");
        std::fs::write(dir.path().join("secret"), "TOKEN").expect("write");
        let root: Arc<Path> = std::fs::canonicalize(&root).expect("canonical").into();
        (dir, root)
    }

    #[test]
    fn heads_end_after_the_mark_wherever_the_reads_cut() {
        let (_dir, root) = project();
        let gate = Gate::new();
        let mark = b"</revision>";
        // The mark before, across and after the first 4 KiB read, twice;
        // and no mark at all.
        for at in [0, 10, 4090, 4096 - mark.len(), 4096, 9000, 70_000] {
            let mut text = vec![b'x'; at];
            text.extend_from_slice(mark);
            text.extend_from_slice(b"tail");
            text.extend_from_slice(mark);
            let path = root.join("head.xml");
            std::fs::write(&path, &text).expect("write");
            let a = gate.admit_in(&path, &root).expect("admitted");
            let head = gate.read_head(&a, mark).expect("read");
            assert_eq!(head.len(), at + mark.len(), "mark at {at}");
            assert!(head.ends_with(mark));
        }
        for size in [0, 4096, 10_000] {
            let path = root.join("none.xml");
            std::fs::write(&path, vec![b'y'; size]).expect("write");
            let a = gate.admit_in(&path, &root).expect("admitted");
            assert_eq!(gate.read_head(&a, mark).expect("read").len(), size);
        }
    }

    #[test]
    fn roots_are_found_from_where_a_path_is() {
        let (dir, root) = project();
        let gate = Gate::new();
        assert_eq!(
            gate.root_of(&root.join("inbox"), true).ok(),
            Some(root.clone())
        );
        // No marker: the folder itself.
        let bare = std::fs::canonicalize(dir.path()).expect("canonical");
        assert_eq!(
            gate.root_of(&bare, true).ok().as_deref(),
            Some(bare.as_path())
        );
    }

    #[test]
    fn system_ids_are_refused_or_admitted_inside_the_root() {
        let (_dir, root) = project();
        let gate = Gate::new();
        let inbox = gate.place_of(&root.join("inbox/doc.xml")).expect("place");
        assert_eq!(inbox.root(), &*root);
        assert!(
            matches!(gate.admit_system(&inbox, "http://x/y.ent"), Err(Refusal::Uri(s)) if s == "http")
        );
        assert!(matches!(
            gate.admit_system(&inbox, "file:///etc/passwd"),
            Err(Refusal::Uri(_))
        ));
        assert_eq!(
            gate.admit_system(&inbox, "/etc/passwd"),
            Err(Refusal::Absolute)
        );
        assert!(matches!(
            gate.admit_system(&inbox, "../../secret"),
            Err(Refusal::OutsideRoot { .. })
        ));
        let ent = gate.admit_system(&inbox, "../xep.ent").expect("admitted");
        assert_eq!(ent.path(), root.join("xep.ent"));
        assert_eq!(gate.read(&ent).as_deref(), Ok(&b"<!ENTITY a 'b'>"[..]));
        // A bare name resolves in the folder of the file naming it.
        let top = ent.place();
        assert_eq!(
            gate.admit_system(&top, "xep.ent").map(|a| a.real),
            Ok(root.join("xep.ent"))
        );
        assert_eq!(
            gate.admit_system(&top, "nothing.ent"),
            Err(Refusal::NotFound)
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_where_they_lead_and_checked_there() {
        let (dir, root) = project();
        let gate = Gate::new();
        let link = |target: &Path, at: &str| {
            std::os::unix::fs::symlink(target, root.join(at)).expect("symlink");
        };
        link(&dir.path().join("secret"), "secret.ent");
        link(Path::new("../xep.ent"), "inbox/xep.ent");
        // A folder link deep inside the root, then `..` beyond its depth.
        std::fs::create_dir_all(root.join(".h/1/2/3")).expect("mkdir");
        link(Path::new(".h/1/2/3"), "docs");
        let top = gate.place_of(&root.join("doc.xml")).expect("place");
        assert!(matches!(
            gate.admit_system(&top, "secret.ent"),
            Err(Refusal::OutsideRoot { .. })
        ));
        let inbox = gate.place_of(&root.join("inbox/doc.xml")).expect("place");
        assert_eq!(
            gate.admit_system(&inbox, "xep.ent").map(|a| a.real),
            Ok(root.join("xep.ent"))
        );
        let docs = gate.place_of(&root.join("docs/doc.xml")).expect("place");
        assert_eq!(docs.dir(), root.join(".h/1/2/3"));
        assert!(matches!(
            gate.admit_system(&docs, "../../../../../secret"),
            Err(Refusal::OutsideRoot { .. })
        ));
        // Three levels up from .h/1/2/3 is .h, inside the root: the path the
        // operating system follows, not the one written.
        std::fs::write(root.join(".h/x.ent"), "x").expect("write");
        assert_eq!(
            gate.admit_system(&docs, "../../../x.ent").map(|a| a.real),
            Ok(root.join(".h/x.ent"))
        );
        // Named on the command line: the link is resolved and checked too.
        assert!(matches!(
            gate.admit_named(&root.join("secret.ent")),
            Err(Refusal::OutsideRoot { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let (_dir, root) = project();
        let gate = Gate::new();
        let a = gate
            .admit_named(&root.join("inbox"))
            .expect("a folder is admitted");
        assert_eq!(gate.read(&a), Err(Refusal::NotRegular));
        let fifo = root.join("fifo.ent");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: `c` is NUL-terminated.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        let a = gate.admit_named(&fifo).expect("admitted");
        assert_eq!(
            gate.read(&a),
            Err(Refusal::NotRegular),
            "a FIFO does not block"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_opened_is_the_one_admitted() {
        let (dir, root) = project();
        let gate = Gate::new();
        let a = gate.admit_named(&root.join("xep.ent")).expect("admitted");
        // Replaced by a link to a file outside the root after admission.
        std::fs::remove_file(root.join("xep.ent")).expect("rm");
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("xep.ent"))
            .expect("symlink");
        let read = gate.read(&a);
        assert!(read.is_err(), "{read:?}");
        assert!(!format!("{read:?}").contains("TOKEN"));
    }

    #[cfg(unix)]
    #[test]
    fn writes_are_atomic_keep_permissions_and_stay_inside() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, root) = project();
        let gate = Gate::new();
        let target = root.join("baseline.json");
        std::fs::write(&target, "old").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        gate.write_atomic(&target, b"new").expect("written");
        assert_eq!(std::fs::read(&target).expect("read"), b"new");
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
        // No temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(&root)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.to_string_lossy().contains("xeplint-")),
            "{names:?}"
        );
        // Through a link leading outside: refused, the outside file untouched.
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("out.json"))
            .expect("symlink");
        assert!(matches!(
            gate.write_atomic(&root.join("out.json"), b"x"),
            Err(Refusal::OutsideRoot { .. })
        ));
        assert_eq!(
            std::fs::read(dir.path().join("secret")).expect("read"),
            b"TOKEN"
        );
    }
}
