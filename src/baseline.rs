//! Baselines: accept today's findings, report only new ones.
//!
//! `--write-baseline FILE` records every finding as (rule, file, fingerprint)
//! with a count; `--baseline FILE` drops findings matching an entry, at most
//! `count` of them per entry (a multiset), so a second copy of an accepted
//! problem is still reported.
//!
//! A fingerprint does not contain line or column numbers: it is the
//! diagnostic's own `fingerprint` when the rule sets one, otherwise the
//! element path of the primary position (`xep/header/revision[2]/date`)
//! and the message with line numbers blanked. Findings therefore keep their
//! fingerprint when lines are inserted or removed above them.

use crate::diag::Diagnostic;
use crate::diag::FileReport;
use crate::source::{FileId, SourceMap};
use crate::xml::{NodeId, Parsed, Tree};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The baseline file format version.
pub const VERSION: u32 = 1;

/// One accepted finding (or several identical ones).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    /// The file as displayed (the path as given on the command line).
    pub file: String,
    pub fingerprint: String,
    pub count: usize,
}

/// The contents of a baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<Entry>,
    #[serde(skip)]
    index: HashMap<String, HashMap<(String, String), usize>>,
}

impl Baseline {
    pub fn new(mut entries: Vec<Entry>) -> Baseline {
        entries.sort();
        let mut index: HashMap<String, HashMap<(String, String), usize>> = HashMap::new();
        for e in &entries {
            let n = index
                .entry(file_key(&e.file))
                .or_default()
                .entry((e.rule.clone(), e.fingerprint.clone()))
                .or_default();
            *n = n.saturating_add(e.count);
        }
        Baseline {
            version: VERSION,
            entries,
            index,
        }
    }

    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.version != VERSION {
            return Err(format!(
                "baseline version {} is not supported (expected {VERSION})",
                b.version
            ));
        }
        Ok(Baseline::new(b.entries))
    }

    /// Read a baseline file (named on the command line) through the gate.
    pub fn load(path: &Path, gate: &crate::gate::Gate) -> Result<Baseline, String> {
        let admitted = gate.admit_named(path).map_err(|e| e.reason())?;
        let bytes = gate.read(&admitted).map_err(|e| e.reason())?;
        let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
        Baseline::from_json(&text)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Number of findings the baseline accepts.
    pub fn findings(&self) -> usize {
        self.entries
            .iter()
            .fold(0usize, |n, e| n.saturating_add(e.count))
    }

    /// Drop the diagnostics of document `file` that the baseline accepts.
    pub fn filter(&self, file: &str, diagnostics: &mut Vec<Diagnostic>) {
        let Some(accepted) = self.index.get(&file_key(file)) else {
            return;
        };
        let mut left = accepted.clone();
        diagnostics.retain(|d| {
            let key = (
                d.rule.to_string(),
                d.fingerprint.clone().unwrap_or_default(),
            );
            match left.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
    }
}

/// Counts findings a report at a time, for a baseline of the whole run (the
/// fingerprints are in the diagnostics: no source text is needed).
#[derive(Debug, Default)]
pub struct Tally {
    counts: BTreeMap<(String, String, String), usize>,
}

impl Tally {
    pub fn add(&mut self, report: &FileReport) {
        for d in &report.diagnostics {
            let key = (
                d.rule.to_string(),
                file_key(&report.display),
                d.fingerprint.clone().unwrap_or_default(),
            );
            *self.counts.entry(key).or_default() += 1;
        }
    }

    pub fn finish(self) -> Baseline {
        Baseline::new(
            self.counts
                .into_iter()
                .map(|((rule, file, fingerprint), count)| Entry {
                    rule,
                    file,
                    fingerprint,
                    count,
                })
                .collect(),
        )
    }
}

/// A file as recorded: `./a/b.xml` and `a\\b.xml` are both `a/b.xml`.
pub fn file_key(display: &str) -> String {
    let mut s = display.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

/// The location-independent key of a diagnostic without a fingerprint of its
/// own: element path of the primary position and the message without line
/// numbers. Outside the document (an entity file): that file's name instead.
pub fn location_key(sources: &SourceMap, parsed: &Parsed, d: &Diagnostic) -> String {
    let span = d.primary.span;
    let place = if span.file == parsed.file {
        element_path(&parsed.tree, parsed.file, span.start)
    } else {
        let name = sources
            .get(span.file)
            .and_then(|f| f.path.file_name().map(|n| n.to_os_string()))
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("({name})")
    };
    let place = if place.is_empty() { "/" } else { &place };
    let message = strip_line_numbers(&d.message);
    let mut key = String::with_capacity(place.len() + 2 + message.len());
    key.push_str(place);
    key.push_str(": ");
    key.push_str(&message);
    key
}

/// `xep/header/revision[2]/date`: the innermost element of the document
/// holding `offset`, by names and positions among same-name siblings (`[n]`
/// from the second on). Empty outside the root element (the key then uses `/`).
pub fn element_path(tree: &Tree, file: FileId, offset: u32) -> String {
    let Some(root) = tree.root else {
        return String::new();
    };
    let inside = |id: NodeId| {
        tree.node(id)
            .is_some_and(|n| n.span.file == file && n.origin.is_none())
            && crate::suppress::extent(tree, file, id).contains(&offset)
    };
    if !inside(root) {
        return String::new();
    }
    // The parts joined with `/` as they come.
    let mut path = String::new();
    let mut parts = 0usize;
    let mut cur = root;
    if let Some(e) = tree.element(root) {
        path.push_str(tree.name(e));
        parts += 1;
    }
    for _ in 0..4096 {
        let Some((id, e)) = tree.child_elements(cur).find(|&(id, _)| inside(id)) else {
            break;
        };
        let name = tree.name(e);
        // Its place among the children of the same name.
        let n = tree
            .child_elements(cur)
            .take_while(|&(c, _)| c != id)
            .filter(|(_, s)| tree.name(s) == name)
            .count()
            + 1;
        if parts > 0 {
            path.push('/');
        }
        path.push_str(name);
        if n > 1 {
            use std::fmt::Write;
            let _ = write!(path, "[{n}]");
        }
        parts += 1;
        cur = id;
    }
    path
}

/// Blank the numbers that are positions: `line 12`, `lines 3`, `column 7`,
/// `12:7`. Other numbers (versions, XEP numbers) are kept.
pub fn strip_line_numbers(message: &str) -> String {
    if !message.bytes().any(|b| b.is_ascii_digit()) {
        return message.to_string(); // no number: nothing to blank
    }
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let before: String = chars[..start].iter().collect::<String>().to_lowercase();
        let after_colon_digit =
            chars.get(i) == Some(&':') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
        let colon_before =
            start >= 2 && chars[start - 1] == ':' && chars[start - 2].is_ascii_digit();
        let position = ["line ", "lines ", "column ", "col ", "line:"]
            .iter()
            .any(|w| before.ends_with(w))
            || after_colon_digit
            || colon_before;
        if position {
            out.push('#');
        } else {
            out.extend(&chars[start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_positions_only() {
        assert_eq!(
            strip_line_numbers("revision 1.2 is listed below 1.1 (see line 40, 12:7)"),
            "revision 1.2 is listed below 1.1 (see line #, #:#)"
        );
        assert_eq!(
            strip_line_numbers("XEP-0001 section 4"),
            "XEP-0001 section 4"
        );
        assert_eq!(
            strip_line_numbers("no numbers: é, line, column"),
            "no numbers: é, line, column"
        );
    }

    #[test]
    fn multiset_filter() {
        let b = Baseline::new(vec![Entry {
            rule: "r".into(),
            file: "a.xml".into(),
            fingerprint: "xep: m".into(),
            count: 1,
        }]);
        let span = crate::source::Span::default();
        let d = Diagnostic::new("r", crate::diag::Severity::Error, span, "m").fingerprint("xep: m");
        let mut ds = vec![d.clone(), d.clone()];
        b.filter("a.xml", &mut ds);
        assert_eq!(ds.len(), 1);
        let mut ds = vec![d.clone()];
        b.filter("b.xml", &mut ds);
        assert_eq!(ds.len(), 1);
        let mut ds = vec![d.clone()];
        b.filter("./a.xml", &mut ds);
        assert_eq!(ds.len(), 0);
        let back = Baseline::from_json(&b.to_json()).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn element_paths() {
        use crate::check::{Input, Options, Session};
        let doc = "<xep>\n<header><revision><date/></revision>\n<revision>\n<date>x</date></revision></header></xep>";
        let session = Session::new(Options::default());
        let mut input = Input::file("/nonexistent/t.xml");
        input.bytes = Some(doc.as_bytes().to_vec());
        let parsed = session.parse(&input).unwrap();
        let at = doc.find(">x<").unwrap() as u32 + 1;
        assert_eq!(
            element_path(&parsed.tree, parsed.file, at),
            "xep/header/revision[2]/date"
        );
        assert_eq!(element_path(&parsed.tree, parsed.file, 1), "xep");
        assert_eq!(
            element_path(&parsed.tree, parsed.file, doc.len() as u32),
            ""
        );
    }
}
