//! The repository view: what the repository rules know of the XEPs beside
//! the one being checked. A XEP repository is a folder that holds `xep.ent`
//! (a regular file, not a link) and `xep-NNNN.xml` files, as xsf/xeps does:
//! the folder of a document, or the folder above for a document in
//! `inbox/`, inside its project root (see [`crate::gate`]). The header of
//! each `xep-NNNN.xml` is read once per run, through the gate, up to
//! the end of its top revision only ([`scan`]), and `xep.ent`'s `xepNNNN` entities are read
//! for the titles they show ([`ent`]). Every document of the run shares the
//! view. A folder whose `xep.ent` is a link to another (as in xeplint's own
//! rule fixtures) is no repository.
//!
//! [`git`] reads the base of a change set (`--base`) with the `git` program.

pub mod ent;
pub mod git;
pub mod scan;

use crate::gate::{Admitted, Gate};
use crate::limits::MAX_REPOSITORY_XEPS;
use crate::source::SourceMap;
use foldhash::HashMap;
use scan::{Head, Val};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One numbered XEP of the repository.
#[derive(Debug)]
pub struct Entry {
    /// `xep-0001.xml`.
    pub file_name: String,
    /// The number its file name gives.
    pub number: u32,
    pub admitted: Admitted,
    pub head: Head,
}

impl Entry {
    pub fn status(&self) -> Option<&str> {
        self.head.status.as_ref().map(|v| v.value.as_str())
    }

    pub fn title(&self) -> Option<&str> {
        self.head.title.as_ref().map(|v| v.value.as_str())
    }
}

/// The repository of a run.
#[derive(Debug)]
pub struct Repository {
    /// The folder holding `xep.ent` and the XEPs (canonical).
    pub dir: Arc<Path>,
    /// How the folder is shown (`.`, `../xeps`, as the first document named
    /// it).
    pub shown: String,
    /// The numbered XEPs, by number (then file name).
    pub xeps: Vec<Entry>,
    /// `xep.ent`, when it could be read.
    pub ent: Option<ent::EntFile>,
    /// More than [`MAX_REPOSITORY_XEPS`] sources: the rest were not read.
    pub truncated: bool,
    /// Lookups made once, so that a rule comparing a document with every
    /// other XEP costs one lookup, not a pass over all (a whole-corpus run
    /// would otherwise compare every pair).
    index: Index,
}

/// Where values of the headers are found: indexes into [`Repository::xeps`],
/// in increasing order.
#[derive(Debug, Default)]
struct Index {
    /// By the number `<number>` holds (it may differ from the file name's).
    number: HashMap<u32, Vec<usize>>,
    /// By `<shortname>`.
    shortname: HashMap<String, Vec<usize>>,
    /// By the XEP a `<supersedes>` names: the XEP and which of its values.
    superseders: HashMap<u32, Vec<(usize, usize)>>,
}

impl Index {
    fn new(xeps: &[Entry]) -> Index {
        let mut index = Index::default();
        for (k, e) in xeps.iter().enumerate() {
            if let Some(n) = e.head.number.as_ref().and_then(|v| v.value.parse().ok()) {
                index.number.entry(n).or_default().push(k);
            }
            if let Some(v) = &e.head.shortname {
                index.shortname.entry(v.value.clone()).or_default().push(k);
            }
            let mut named = Vec::new();
            for (i, v) in e.head.supersedes.iter().enumerate() {
                // The first value naming a XEP stands for it.
                if let Some(n) = number_of_spec(&v.value).filter(|n| !named.contains(n)) {
                    named.push(n);
                    index.superseders.entry(n).or_default().push((k, i));
                }
            }
        }
        index
    }
}

/// The number in a file name `xep-NNNN.xml`.
pub fn number_of_file(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("xep-")?.strip_suffix(".xml")?;
    (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The number a reference to a XEP names: `XEP-0030`, `xep-0030`, `0030`.
pub fn number_of_spec(spec: &str) -> Option<u32> {
    let s = spec.trim();
    let digits = s
        .strip_prefix("XEP-")
        .or_else(|| s.strip_prefix("xep-"))
        .or_else(|| s.strip_prefix("XEP "))
        .unwrap_or(s);
    (!digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl Repository {
    /// The repository in the folder `dir` (canonical, inside the project
    /// root `root`), if it is one: read every header and
    /// `xep.ent`. `shown` is how the folder is shown.
    pub fn open(
        gate: &Arc<Gate>,
        sources: &SourceMap,
        dir: &Path,
        root: &Arc<Path>,
        shown: String,
    ) -> Option<Repository> {
        if !dir.starts_with(root) {
            return None;
        }
        let ent_path = dir.join("xep.ent");
        if !std::fs::symlink_metadata(&ent_path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let mut names: Vec<(String, u32, Option<std::fs::FileType>)> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let n = number_of_file(&name)?;
                Some((name, n, e.file_type().ok()))
            })
            .collect();
        if names.is_empty() {
            return None;
        }
        names.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        let truncated = names.len() > MAX_REPOSITORY_XEPS;
        names.truncate(MAX_REPOSITORY_XEPS);
        let read = |(name, number, kind): &(String, u32, Option<std::fs::FileType>)| {
            let admitted = match kind {
                Some(t) if t.is_file() => gate.admit_listed(dir, name.as_ref(), root)?,
                _ => gate.admit_in(&dir.join(name), root).ok()?,
            };
            // Up to the end of the top revision: all the view needs.
            let bytes = gate.read_head(&admitted, b"</revision>").ok()?;
            Some(Entry {
                head: scan::scan(&bytes),
                file_name: name.clone(),
                number: *number,
                admitted,
            })
        };
        // On the thread pool when asked from outside it (the command line
        // opens the views before the documents are checked: see
        // `Session::open_repositories`); one after the other on a thread
        // of the pool, which waiting for its own jobs could pick up the
        // check of a document asking for this same view.
        let xeps: Vec<Entry> = if rayon::current_thread_index().is_none() {
            use rayon::prelude::*;
            names.par_iter().filter_map(read).collect()
        } else {
            names.iter().filter_map(read).collect()
        };
        let ent = gate
            .admit_in(&ent_path, root)
            .ok()
            .and_then(|a| gate.read(&a).ok())
            .map(|bytes| {
                // Valid UTF-8 (the usual case) is taken as it is, without
                // the copy and the slower walk of a lossy conversion.
                let text = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                ent::EntFile::read(sources, ent_path, join_shown(&shown, "xep.ent"), text)
            });
        Some(Repository {
            dir: dir.into(),
            shown,
            index: Index::new(&xeps),
            xeps,
            ent,
            truncated,
        })
    }

    /// The XEPs whose `<number>` holds `n`, with their index.
    pub fn with_number(&self, n: u32) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries(self.index.number.get(&n))
    }

    /// The XEPs whose `<shortname>` is `name`, with their index.
    pub fn with_shortname(&self, name: &str) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries(self.index.shortname.get(name))
    }

    /// The XEPs whose `<supersedes>` names XEP `n`, with their index and
    /// the first value naming it.
    pub fn superseders(&self, n: u32) -> impl Iterator<Item = (usize, &Entry, &Val)> {
        self.index
            .superseders
            .get(&n)
            .into_iter()
            .flatten()
            .filter_map(|&(k, i)| {
                let e = self.xeps.get(k)?;
                Some((k, e, e.head.supersedes.get(i)?))
            })
    }

    fn entries<'a>(
        &'a self,
        at: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = (usize, &'a Entry)> + 'a {
        at.into_iter()
            .flatten()
            .filter_map(|&k| Some((k, self.xeps.get(k)?)))
    }

    /// The XEPs numbered `n` (one, unless numbers are duplicated).
    pub fn numbered(&self, n: u32) -> impl Iterator<Item = (usize, &Entry)> {
        let from = self.xeps.partition_point(|e| e.number < n);
        self.xeps
            .iter()
            .enumerate()
            .skip(from)
            .take_while(move |(_, e)| e.number == n)
    }

    /// The XEP numbered `n` (by file name), other than the document at
    /// `real`.
    pub fn get(&self, n: u32, real: Option<&Path>) -> Option<(usize, &Entry)> {
        self.numbered(n)
            .find(|(_, e)| !same_file(e.admitted.path(), real))
    }

    /// The XEP list as `xeplint list` prints it: for each numbered XEP, its
    /// file and the header fields, each with its line and column.
    pub fn list(&self) -> serde_json::Value {
        let xeps: Vec<serde_json::Value> = self
            .xeps
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(&e.head).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("file".into(), e.file_name.clone().into());
                    o.insert(
                        "last_revision".into(),
                        o.get("revision").cloned().unwrap_or_default(),
                    );
                    o.remove("revision");
                }
                v
            })
            .collect();
        serde_json::json!({ "repository": self.shown, "xeps": xeps })
    }

    /// The highest number in use.
    pub fn highest(&self) -> Option<u32> {
        self.xeps.last().map(|e| e.number)
    }

    /// Where a value of XEP `k`'s header is, as `path:line:column`, for a
    /// note: other documents are not loaded to point into them (the run holds
    /// no more than the document it reports on).
    pub fn place(&self, k: usize, val: &Val) -> String {
        let name = self.xeps.get(k).map_or("?", |e| e.file_name.as_str());
        format!(
            "{}:{}:{}",
            join_shown(&self.shown, name),
            val.line,
            val.column
        )
    }
}

/// Whether `path` is the document at `real` (both canonical: their bytes
/// compare, without `Path`'s component by component comparison, which a
/// run of the corpus would do a million times).
pub fn same_file(path: &Path, real: Option<&Path>) -> bool {
    real.is_some_and(|r| path.as_os_str().as_encoded_bytes() == r.as_os_str().as_encoded_bytes())
}

/// `name` in the folder shown as `dir`.
pub fn join_shown(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

/// How the root is shown from a document at `written` whose real folder is
/// `real_dir`: its written folder, with a `..` for each level it lies below
/// the root.
pub fn shown_root(written: &Path, real_dir: &Path, root: &Path) -> String {
    let Ok(below) = real_dir.strip_prefix(root) else {
        return root.display().to_string();
    };
    let mut dir = match written.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    for _ in below.components() {
        dir.push("..");
    }
    crate::load::display_join(&dir, ".")
}
