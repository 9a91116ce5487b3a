//! Finding the documents a command line names: files as given, folders
//! walked for `*.xml` in sorted order.
//!
//! A folder is walked inside its project root ([`crate::gate`]): a symbolic
//! link leading out of it is not followed (and reported), and every document
//! found is read inside that root.

use crate::gate::{Admitted, Gate};
use crate::limits::MAX_WALK_DEPTH;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One document to check.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where the document is (or is taken to be, for standard input).
    pub path: PathBuf,
    /// The path shown in diagnostics.
    pub display: String,
    /// The project root of the folder the document was found in; `None`:
    /// the root of the document's own folder (see [`crate::gate`]).
    pub root: Option<Arc<Path>>,
    /// The document, admitted already (a regular file a walk listed).
    pub admitted: Option<Admitted>,
    /// The text, when it does not come from `path` (standard input).
    pub bytes: Option<Vec<u8>>,
    /// Why the document cannot be checked, when that is known before it is
    /// read (a folder that could not be walked).
    pub error: Option<String>,
    /// Standard input without `--stdin-filename`: the document has no file
    /// name, and the rules that read one do not apply.
    pub unnamed: bool,
}

impl Input {
    /// The document's file name ("" when it has none, or not in UTF-8).
    pub fn file_name(&self) -> &str {
        self.path.file_name().and_then(|n| n.to_str()).unwrap_or("")
    }

    pub fn file(path: impl Into<PathBuf>) -> Input {
        let path = path.into();
        Input {
            display: display_path(&path),
            path,
            root: None,
            admitted: None,
            bytes: None,
            error: None,
            unnamed: false,
        }
    }

    /// Standard input, standing for the file `name` (`<stdin>` in the
    /// current folder without one).
    pub fn stdin(bytes: Vec<u8>, name: Option<PathBuf>) -> Input {
        let unnamed = name.is_none();
        let mut input = Input::file(name.unwrap_or_else(|| PathBuf::from("<stdin>")));
        input.bytes = Some(bytes);
        input.unnamed = unnamed;
        input
    }

    /// A path that cannot be checked, and why: reported as unreadable.
    pub fn failed(display: String, why: String) -> Input {
        let mut input = Input::file(PathBuf::new());
        input.display = display;
        input.error = Some(why);
        input
    }
}

/// A document found, or a path that could not be read and why (shown as
/// the path, then the reason).
pub type Found = Result<Input, (String, String)>;

/// Expand command-line paths: files as given, folders walked for `*.xml` in
/// sorted order. Unreadable entries are returned as errors, in order.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<(String, String)>) {
    let gate = Arc::new(Gate::new());
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for found in paths.iter().flat_map(|p| Walk::new(p, &gate)) {
        match found {
            Ok(i) => inputs.push(i),
            Err(e) => errors.push(e),
        }
    }
    (inputs, errors)
}

/// A folder entry, with its type as the listing gave it (no `stat`).
type Listed = (PathBuf, Option<std::fs::FileType>);

/// A folder being walked: its depth, real path and the entries left.
struct Open {
    depth: usize,
    real: PathBuf,
    entries: std::vec::IntoIter<Listed>,
}

/// One command-line path expanded as [`collect_inputs`] does, an entry at a
/// time: a file as given, a folder walked for `*.xml` in sorted order. Only
/// the listings of the folders being walked are held, so a run can check
/// documents as they are found, whatever their number.
pub struct Walk {
    gate: Arc<Gate>,
    /// The project root of the folder named: nothing outside it is walked.
    root: Option<Arc<Path>>,
    /// Listings of the folders being walked, innermost last.
    stack: Vec<Open>,
    /// Folders entered, real: a symbolic link loop is walked once.
    visited: std::collections::HashSet<PathBuf>,
    /// The path itself when it is a file, or why it could not be read.
    first: Option<Found>,
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk").field("root", &self.root).finish()
    }
}

impl Walk {
    pub fn new(path: &Path, gate: &Arc<Gate>) -> Walk {
        let mut walk = Walk {
            gate: gate.clone(),
            root: None,
            stack: Vec::new(),
            visited: Default::default(),
            first: None,
        };
        walk.first = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => match gate.root_of(path, true) {
                Ok(root) => {
                    walk.root = Some(root);
                    walk.enter(path, 0)
                }
                Err(e) => Some(Err((display_path(path), e.reason()))),
            },
            Ok(_) => Some(Ok(Input::file(path))),
            Err(e) => Some(Err((display_path(path), e.to_string()))),
        };
        walk
    }

    /// List the folder `dir` (as walked) for walking, unless it was walked
    /// already; an error when it cannot be read or leads out of the root.
    fn enter(&mut self, dir: &Path, depth: usize) -> Option<Found> {
        let fail = |why: String| Some(Err((display_path(dir), why)));
        let real = match std::fs::canonicalize(dir) {
            Ok(r) => r,
            Err(e) => return fail(e.to_string()),
        };
        if let Some(root) = &self.root
            && !real.starts_with(root)
        {
            return fail(format!(
                "not followed: it leads outside the project root `{}`",
                root.display()
            ));
        }
        if !self.visited.insert(real.clone()) {
            return None; // a symbolic link loop
        }
        if depth > MAX_WALK_DEPTH {
            return fail(format!(
                "not walked: more than {MAX_WALK_DEPTH} folders deep"
            ));
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return fail(e.to_string()),
        };
        let mut paths: Vec<Listed> = entries
            .filter_map(|e| e.ok().map(|e| (e.path(), e.file_type().ok())))
            .collect();
        // Every path is this folder joined with one name: their bytes order
        // them as `Path`'s component by component comparison would.
        paths.sort_unstable_by(|a, b| {
            a.0.as_os_str()
                .as_encoded_bytes()
                .cmp(b.0.as_os_str().as_encoded_bytes())
        });
        self.stack.push(Open {
            depth,
            real,
            entries: paths.into_iter(),
        });
        None
    }

    /// A document found in a folder of the walk: admitted already when the
    /// listing shows a regular file in a real folder.
    fn document(&self, path: PathBuf, admitted: Option<Admitted>) -> Input {
        let mut input = Input::file(path);
        input.display = display_path(&input.path);
        input.root = self.root.clone();
        input.admitted = admitted;
        input
    }
}

impl Iterator for Walk {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        if let Some(found) = self.first.take() {
            return Some(found);
        }
        loop {
            let open = self.stack.last_mut()?;
            let Some((path, listed)) = open.entries.next() else {
                self.stack.pop();
                continue;
            };
            let depth = open.depth;
            let Some(name) = path.file_name() else {
                continue;
            };
            let bytes = name.as_encoded_bytes();
            if bytes.starts_with(b".") || bytes == b"target" {
                continue;
            }
            let xml = bytes.ends_with(b".xml");
            match listed {
                // Known from the listing, and not a link: the real folder's
                // own entry.
                Some(t) if t.is_dir() => {
                    if let Some(error) = self.enter(&path, depth + 1) {
                        return Some(error);
                    }
                }
                Some(t) if t.is_file() => {
                    if xml {
                        let admitted = self
                            .root
                            .as_ref()
                            .and_then(|root| self.gate.admit_listed(&open.real, name, root));
                        return Some(Ok(self.document(path, admitted)));
                    }
                }
                // Links and anything else: looked at through (links
                // followed); the gate checks where they lead.
                _ => match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => {
                        if let Some(error) = self.enter(&path, depth + 1) {
                            return Some(error);
                        }
                    }
                    Ok(_) if xml => return Some(Ok(self.document(path, None))),
                    Ok(_) => {}
                    Err(e) if xml => return Some(Err((display_path(&path), e.to_string()))),
                    Err(_) => {}
                },
            }
        }
    }
}

/// A path as shown: `./x.xml` as `x.xml`, bytes that are not UTF-8 as
/// `\xNN` (every output format escapes what could drive a terminal).
pub fn display_path(p: &Path) -> String {
    let bytes = p.as_os_str().as_encoded_bytes();
    let bytes = bytes.strip_prefix(b"./").unwrap_or(bytes);
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
