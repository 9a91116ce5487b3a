//! The change set of `--base REF`, read with the `git` program.
//!
//! Why the program and not a library (gix): it is the user's own git, with
//! their configuration, object formats and partial clones, so xeplint sees
//! what `git diff` shows them; it adds no dependency tree of a hundred crates
//! to a small linter; and the few commands needed (`merge-base`, `diff
//! --name-status`, `log`, `cat-file --batch`) are stable plumbing. It is run
//! with fixed arguments (no shell, the ref after `--end-of-options`), and
//! what it prints is bounded: a blob over [`MAX_FILE_SIZE`] is skipped as a
//! file over the limit is, and the history read for one document is at most
//! [`MAX_HISTORY_COMMITS`] commits.
//!
//! A base that is not in the clone (GitHub's checkout fetches one commit by
//! default) is an error that says how to fetch it, never a guess.

use super::scan::{self, Head};
use crate::limits::{MAX_FILE_SIZE, MAX_HISTORY_COMMITS};
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One XEP source changed since the base.
#[derive(Debug, Clone)]
pub struct Changed {
    /// Its path from the top of the work tree, as git writes it.
    pub rel: String,
    /// Not in the base.
    pub added: bool,
    /// Its header at the base (when it was there and could be read).
    pub base: Option<Head>,
    /// Commits since the base that changed it after the one that added its
    /// top revision block: (commit, subject).
    pub after_revision: Vec<(String, String)>,
    /// The commit that added the top revision block, when known.
    pub revision_commit: Option<String>,
}

impl Changed {
    /// A numbered XEP (`xep-NNNN.xml` at the top).
    pub fn is_numbered(&self) -> bool {
        super::number_of_file(&self.rel).is_some()
    }

    /// A proto-XEP (`inbox/*.xml`).
    pub fn is_proto(&self) -> bool {
        self.rel.starts_with("inbox/") && self.rel.ends_with(".xml") && !self.rel[6..].contains('/')
    }
}

/// What changed between the merge base of a ref and the work tree.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// The ref as given.
    pub base_ref: String,
    /// The merge base (a commit id).
    pub base: String,
    /// The top of the work tree (canonical).
    pub top: PathBuf,
    /// Changed XEP sources, by real path.
    pub changed: HashMap<PathBuf, Changed>,
    /// The numbers of the XEPs at the base.
    pub base_numbers: Vec<u32>,
}

impl ChangeSet {
    /// The change of the document at `real`, if it changed.
    pub fn of(&self, real: &Path) -> Option<&Changed> {
        self.changed.get(real)
    }

    /// The proto-XEPs added.
    pub fn added_protos(&self) -> impl Iterator<Item = &Changed> {
        self.changed.values().filter(|c| c.added && c.is_proto())
    }

    /// The numbered XEPs changed (added ones included).
    pub fn numbered(&self) -> impl Iterator<Item = &Changed> {
        self.changed.values().filter(|c| c.is_numbered())
    }

    /// The smallest number above every number at the base.
    pub fn next_free(&self) -> u32 {
        self.base_numbers.iter().max().map_or(1, |n| n + 1)
    }

    /// Read the change set of the work tree at (or above) `dir` against
    /// `base_ref`. `checked`: the files the run checks, when it names files
    /// only (no folder): only they are compared as they are in the work
    /// tree, the other XEP sources as committed (see [`changed_files`]).
    pub fn open(
        dir: &Path,
        base_ref: &str,
        checked: Option<&[PathBuf]>,
    ) -> Result<ChangeSet, String> {
        // The top of the work tree and the merge base, side by side (each
        // git process costs a millisecond or two to start).
        let (top_out, merged) = std::thread::scope(|s| {
            let merged =
                s.spawn(|| git(dir, &["merge-base", "--end-of-options", base_ref, "HEAD"]));
            let top = git(
                dir,
                &["rev-parse", "--show-toplevel", "--is-shallow-repository"],
            );
            let merged = merged
                .join()
                .unwrap_or_else(|_| Err("git merge-base failed".to_string()));
            (top, merged)
        });
        let top_out = top_out?;
        let top_text = String::from_utf8_lossy(&top_out);
        let mut lines = top_text.lines();
        let top = PathBuf::from(lines.next().unwrap_or_default());
        let shallow = lines.next() == Some("true");
        let top = std::fs::canonicalize(&top).map_err(|e| format!("{}: {e}", top.display()))?;
        let missing = |why: &str| {
            let shown = base_ref;
            let clone = if shallow {
                "a shallow clone"
            } else {
                "this clone"
            };
            format!(
                "the base `{shown}` {why} in {clone}: fetch the history (in GitHub Actions, \
                 `actions/checkout` with `fetch-depth: 0`; elsewhere `git fetch --unshallow` \
                 or `git fetch origin {shown}`)"
            )
        };
        let base = match merged {
            Ok(out) => String::from_utf8_lossy(&out).trim().to_string(),
            Err(_) => {
                let known = git(
                    &top,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        "--end-of-options",
                        &format!("{base_ref}^{{commit}}"),
                    ],
                )
                .is_ok();
                return Err(if known {
                    missing("has no common history with HEAD")
                } else {
                    missing("is not a commit")
                });
            }
        };
        if base.is_empty() {
            return Err(missing("has no common history with HEAD"));
        }
        let diff = changed_files(&top, &base, checked)?;
        let mut changed = HashMap::new();
        for (status, rel) in diff {
            let is_xep = super::number_of_file(&rel).is_some()
                || (rel.starts_with("inbox/") && rel.ends_with(".xml"));
            if !is_xep || status == b'D' {
                continue;
            }
            changed.insert(
                top.join(&rel),
                Changed {
                    added: status == b'A',
                    rel,
                    base: None,
                    after_revision: Vec::new(),
                    revision_commit: None,
                },
            );
        }
        // The base's headers, in one process, beside the history of the
        // numbered XEPs changed.
        let wanted: Vec<(PathBuf, String)> = changed
            .iter()
            .filter(|(_, c)| !c.added)
            .map(|(p, c)| (p.clone(), format!("{base}:{}", c.rel)))
            .collect();
        let numbered: Vec<(PathBuf, String)> = changed
            .iter()
            .filter(|(_, c)| c.is_numbered())
            .map(|(p, c)| (p.clone(), c.rel.clone()))
            .collect();
        let (blobs, histories) = std::thread::scope(|s| {
            let blobs = s.spawn(|| cat_files(&top, wanted.iter().map(|(_, s)| s.as_str())));
            let histories = histories(&top, &base, &numbered);
            let blobs = blobs
                .join()
                .unwrap_or_else(|_| Err("git cat-file failed".to_string()));
            (blobs, histories)
        });
        for ((path, _), blob) in wanted.iter().zip(blobs?) {
            if let (Some(c), Some(bytes)) = (changed.get_mut(path), blob) {
                c.base = Some(scan::scan(head_of(&bytes)));
            }
        }
        let base_numbers = if changed.values().any(|c| c.added && c.is_numbered()) {
            let names = git(&top, &["ls-tree", "--name-only", "-z", &base])?;
            names
                .split(|&b| b == 0)
                .filter_map(|n| super::number_of_file(std::str::from_utf8(n).ok()?))
                .collect()
        } else {
            Vec::new()
        };
        for (path, commits, tops) in histories? {
            if let Some(c) = changed.get_mut(&path) {
                after_revision(c, &commits, &tops);
            }
        }
        Ok(ChangeSet {
            base_ref: base_ref.to_string(),
            base,
            top,
            changed,
            base_numbers,
        })
    }
}

/// The XEP sources changed between `base` and the work tree at `top`:
/// (status letter, path from the top), as `git diff --name-status` gives
/// them.
///
/// A fresh clone's index is "racily clean" (its files are as new as it), and
/// git then reads every file it compares with the work tree again: 100 ms
/// and more for all of xsf/xeps, at every run. When the run checks named
/// files only (`checked`), only they are compared in the work tree; the
/// other XEP sources as committed (HEAD against the base), which reads no
/// file. A named file outside the work tree asks for the whole comparison.
fn changed_files(
    top: &Path,
    base: &str,
    checked: Option<&[PathBuf]>,
) -> Result<Vec<(u8, String)>, String> {
    const XEPS: [&str; 2] = ["xep-*.xml", "inbox/*.xml"];
    let named: Option<Vec<String>> = checked.and_then(|paths| {
        paths
            .iter()
            .map(|p| {
                let real = std::fs::canonicalize(p).ok()?;
                Some(real.strip_prefix(top).ok()?.to_str()?.to_string())
            })
            .collect()
    });
    let Some(named) = named else {
        return name_status(top, &[base], &XEPS);
    };
    let specs: Vec<String> = named.iter().map(|r| format!(":(literal){r}")).collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let (committed, worked) = std::thread::scope(|s| {
        let worked = s.spawn(|| name_status(top, &[base], &specs));
        let committed = name_status(top, &[base, "HEAD"], &XEPS);
        let worked = worked
            .join()
            .unwrap_or_else(|_| Err("git diff failed".to_string()));
        (committed, worked)
    });
    let mut all: Vec<(u8, String)> = committed?
        .into_iter()
        .filter(|(_, rel)| !named.contains(rel))
        .collect();
    all.extend(worked?);
    Ok(all)
}

/// `git diff --name-status` between `against` (a commit, or two) and the
/// paths `specs`.
fn name_status(top: &Path, against: &[&str], specs: &[&str]) -> Result<Vec<(u8, String)>, String> {
    let mut args = vec![
        "-c",
        "core.quotepath=off",
        "diff",
        "--name-status",
        "-z",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
    ];
    args.extend(against);
    args.push("--");
    args.extend(specs);
    let out = git(top, &args)?;
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    let mut found = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let letter = status.first().copied().unwrap_or(b'M');
        found.push((letter, String::from_utf8_lossy(path).into_owned()));
    }
    Ok(found)
}

/// A document's commits since the base (oldest first) and its top revision
/// block at each: (version, date, initials, remark).
type History = (PathBuf, Vec<(String, String)>, Vec<Option<[String; 4]>>);

/// For each numbered XEP changed (`(real path, path from the top)`): the
/// commits since the base that changed it, and its top revision block at
/// each (one `git log` per document, one `git cat-file` for them all).
fn histories(
    top: &Path,
    base: &str,
    numbered: &[(PathBuf, String)],
) -> Result<Vec<History>, String> {
    let range = format!("{base}..HEAD");
    let mut logs = Vec::new();
    for (path, rel) in numbered {
        let log = git(
            top,
            &[
                "log",
                "--reverse",
                "--no-merges",
                "-z",
                "--format=%H%x01%s",
                &range,
                "--",
                rel,
            ],
        )?;
        let commits: Vec<(String, String)> = log
            .split(|&b| b == 0)
            .filter(|r| !r.is_empty())
            .filter_map(|r| {
                let r = String::from_utf8_lossy(r);
                let (id, subject) = r.trim_start_matches('\n').split_once('\x01')?;
                Some((id.to_string(), subject.to_string()))
            })
            .take(MAX_HISTORY_COMMITS)
            .collect();
        if commits.len() >= 2 {
            logs.push((path.clone(), rel.clone(), commits));
        }
    }
    let specs: Vec<String> = logs
        .iter()
        .flat_map(|(_, rel, commits)| commits.iter().map(move |(id, _)| format!("{id}:{rel}")))
        .collect();
    let mut blobs = cat_files(top, specs.iter().map(String::as_str))?.into_iter();
    let mut out = Vec::new();
    for (path, _, commits) in logs {
        let tops: Vec<Option<[String; 4]>> = blobs
            .by_ref()
            .take(commits.len())
            .map(|b| {
                let h = scan::scan(head_of(b.as_ref()?));
                let r = h.revision?;
                let v = |f: Option<scan::Val>| f.map(|v| v.value).unwrap_or_default();
                Some([v(r.version), v(r.date), v(r.initials), v(r.remark)])
            })
            .collect();
        out.push((path, commits, tops));
    }
    Ok(out)
}

/// The commits after the one that wrote `c`'s top revision block (xsf/xeps
/// issue 1225), from its history.
fn after_revision(c: &mut Changed, commits: &[(String, String)], tops: &[Option<[String; 4]>]) {
    let base_top = c
        .base
        .as_ref()
        .and_then(|h| h.revision.as_ref())
        .and_then(|r| r.version.as_ref())
        .map(|v| v.value.clone());
    let Some(last) = tops.last().cloned().flatten() else {
        return;
    };
    if Some(&last[0]) == base_top.as_ref() {
        return; // no new revision: `change-revision` says so
    }
    // The commit that wrote the top revision block as it now is: the last
    // one that changed it. A commit that updates the block (its date, its
    // remark) along with the text describes itself.
    let Some(first) = (0..tops.len())
        .rev()
        .find(|&i| i == 0 || tops.get(i) != tops.get(i - 1))
    else {
        return;
    };
    c.after_revision = commits.get(first + 1..).unwrap_or_default().to_vec();
    c.revision_commit = commits.get(first).map(|(id, _)| id.clone());
}

/// The beginning of a source up to `</header>`.
fn head_of(bytes: &[u8]) -> &[u8] {
    match memchr::memmem::find(bytes, b"</header>") {
        Some(i) => bytes.get(..i + "</header>".len()).unwrap_or(bytes),
        None => bytes,
    }
}

/// Run git in `dir` with `args`; its standard output, or what it said.
pub fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = command(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let said = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            said.trim()
        ))
    }
}

fn command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0");
    c
}

/// The blobs `specs` (`COMMIT:PATH`) name, through one `git cat-file
/// --batch`: `None` for one that is missing or over [`MAX_FILE_SIZE`]
/// (read and dropped).
fn cat_files<'a>(
    dir: &Path,
    specs: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<Vec<u8>>>, String> {
    let input: Vec<u8> = specs.flat_map(|s| [s.as_bytes(), b"\n"].concat()).collect();
    let count = input.iter().filter(|&&b| b == b'\n').count();
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut child = command(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let result = std::thread::scope(|s| {
        s.spawn(move || {
            if let Some(mut w) = stdin {
                let _ = w.write_all(&input);
            }
        });
        let Some(stdout) = stdout else {
            return Err("git cat-file: no output".to_string());
        };
        let mut r = std::io::BufReader::new(stdout);
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let mut line = String::new();
            if r.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                break;
            }
            // `<oid> blob <size>` or `<spec> missing`.
            let mut words = line.split_whitespace();
            let (_, kind, size) = (words.next(), words.next(), words.next());
            let size: Option<u64> = size.and_then(|s| s.parse().ok());
            match (kind, size) {
                (Some(kind), Some(size)) => {
                    let mut part = (&mut r).take(size);
                    if size <= MAX_FILE_SIZE && kind == "blob" {
                        let mut blob = Vec::new();
                        part.read_to_end(&mut blob).map_err(|e| e.to_string())?;
                        out.push(Some(blob));
                    } else {
                        std::io::copy(&mut part, &mut std::io::sink())
                            .map_err(|e| e.to_string())?;
                        out.push(None);
                    }
                    let mut nl = [0u8; 1];
                    let _ = r.read_exact(&mut nl);
                }
                _ => out.push(None),
            }
        }
        Ok(out)
    });
    let _ = child.wait();
    let mut out = result?;
    out.resize(count, None);
    Ok(out)
}

/// The initials of git's `user.name` in `dir` ("Jane Q. Doe" gives `jqd`).
pub fn user_initials(dir: &Path) -> Option<String> {
    let out = git(dir, &["config", "user.name"]).ok()?;
    let name = String::from_utf8_lossy(&out);
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .flat_map(char::to_lowercase)
        .take(8)
        .collect();
    (!initials.is_empty()).then_some(initials)
}
