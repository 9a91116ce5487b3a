//! The shape of the source: no dependency circle between modules, and no
//! source file too long to hold in one's head.
//!
//! A module is a file of `src/` (or a folder with `mod.rs`); a private
//! submodule (`mod x;`, not `pub mod`) counts as part of its parent: it is
//! the parent's code split into files, with the parent's types. A module
//! depends on another when it names it: `crate::a::b`, `super::…`, or a
//! name of one of its own public submodules. Unit tests (`mod tests`) are
//! left out: like integration tests, they may use the whole crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a source file may be.
const MAX_LINES: usize = 1500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `crate::xml::parser` for `src/xml/parser/mod.rs`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src/");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// The text without comments and string literals (roughly: enough that
/// paths in them are not taken for dependencies).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

struct Tree {
    /// Every module, and whether it is private to its parent.
    modules: BTreeMap<Vec<String>, bool>,
    files: Vec<(PathBuf, Vec<String>, String)>,
}

fn load() -> Tree {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut modules = BTreeMap::new();
    let mut read = Vec::new();
    for f in files {
        if f.ends_with("main.rs") {
            continue; // the binary: it may use anything
        }
        let text = std::fs::read_to_string(&f).expect("read a source file");
        // Unit tests may use the whole crate, as integration tests do.
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        let m = module_of(&f);
        read.push((f, m.clone(), text));
        modules.entry(m).or_insert(false);
    }
    // Private submodules.
    for (_, m, text) in &read {
        for line in text.lines() {
            let t = line.trim();
            if let Some(name) = t.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                let mut child = m.clone();
                child.push(name.to_string());
                modules.insert(child, true);
            }
        }
    }
    Tree {
        modules,
        files: read,
    }
}

impl Tree {
    /// The unit a module belongs to: itself, or the nearest ancestor it is
    /// a private part of.
    fn unit(&self, m: &[String]) -> Vec<String> {
        let mut m = m.to_vec();
        while self.modules.get(&m) == Some(&true) {
            m.pop();
        }
        m
    }

    /// The longest known module that `path` (absolute, from the crate
    /// root) names.
    fn resolve(&self, path: &[String]) -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| self.modules.contains_key(p))
    }

    /// The units each unit depends on.
    fn graph(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (_, m, text) in &self.files {
            let from = self.unit(m);
            g.entry(from.clone()).or_default();
            let code = code(text);
            let bytes: Vec<char> = code.chars().collect();
            let mut i = 0;
            while i < bytes.len() {
                // A path: words joined by `::`.
                if bytes[i].is_ascii_alphabetic() || bytes[i] == '_' {
                    let start = i;
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric()
                            || bytes[i] == '_'
                            || (bytes[i] == ':' && bytes.get(i + 1) == Some(&':')))
                    {
                        i += if bytes[i] == ':' { 2 } else { 1 };
                    }
                    let word: String = bytes[start..i].iter().collect();
                    let parts: Vec<String> = word
                        .split("::")
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect();
                    if parts.len() < 2 && !(parts.len() == 1 && parts[0] == "super") {
                        continue;
                    }
                    let abs: Option<Vec<String>> = match parts[0].as_str() {
                        "crate" => Some(parts[1..].to_vec()),
                        "super" => {
                            let mut base = m.clone();
                            let mut rest = &parts[..];
                            while rest.first().is_some_and(|p| p == "super") {
                                base.pop();
                                rest = &rest[1..];
                            }
                            base.extend(rest.iter().cloned());
                            Some(base)
                        }
                        "self" => {
                            let mut base = m.clone();
                            base.extend(parts[1..].iter().cloned());
                            Some(base)
                        }
                        first => {
                            // A submodule of this module, named directly.
                            let mut child = m.clone();
                            child.push(first.to_string());
                            self.modules.contains_key(&child).then(|| {
                                let mut p = m.clone();
                                p.extend(parts.iter().cloned());
                                p
                            })
                        }
                    };
                    if let Some(target) = abs.and_then(|a| self.resolve(&a)) {
                        let to = self.unit(&target);
                        if to != from {
                            g.entry(from.clone()).or_default().insert(to);
                        }
                    }
                } else {
                    i += 1;
                }
            }
        }
        g
    }
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_dependency_circle_between_modules() {
    let tree = load();
    let g = tree.graph();
    assert!(
        g.get(&vec!["xml".to_string(), "parser".to_string()])
            .is_some_and(|d| d.contains(&vec!["load".to_string()])),
        "the scan of dependencies is broken: xml::parser uses load"
    );
    // Depth-first search for a back edge, reporting the circle.
    fn visit(
        g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        m: &Vec<String>,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        circles: &mut Vec<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(k) = path.iter().position(|p| p == m) {
            let circle: Vec<String> = path[k..].iter().chain([m]).map(|p| name(p)).collect();
            circles.push(circle.join(" -> "));
            return;
        }
        path.push(m.clone());
        for d in g.get(m).into_iter().flatten() {
            visit(g, d, path, done, circles);
        }
        path.pop();
        done.insert(m.clone());
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for m in g.keys() {
        visit(&g, m, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "dependency circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn no_source_file_is_too_long() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}
