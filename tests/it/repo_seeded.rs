//! Seeded defects in a copy of the corpus (`../shared/corpus`): an asymmetric
//! `<supersedes>`, a duplicate shortname, a dependency on a XEP that does not
//! exist, a missing and a mistitled `xep.ent` entity. Each must be reported
//! by its repository rule at the file and line concerned, and nothing else
//! may change in the whole corpus's findings.
//!
//! Every edit keeps the line count of its file, so the findings of the copy
//! before and after compare line for line. The documents are chosen by what
//! they hold, not by name.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.join("xep.ent").is_file().then_some(dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read corpus") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Every finding of a run: `file:line rule message`.
fn findings(dir: &Path) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(dir)
        .args(["check", "--format", "json", "--today", "2025-06-01", "."])
        .output()
        .expect("run xeplint");
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                d["file"].as_str().unwrap_or_default(),
                d["line"],
                d["rule"].as_str().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The header of a numbered XEP of the copy, and its text.
struct Doc {
    name: String,
    text: String,
}

impl Doc {
    fn header(&self) -> &str {
        &self.text[..self.text.find("</header>").unwrap_or(0)]
    }

    fn field(&self, tag: &str) -> Option<&str> {
        let h = self.header();
        let open = format!("<{tag}>");
        let start = h.find(&open)? + open.len();
        let end = start + h[start..].find(&format!("</{tag}>"))?;
        Some(h[start..end].trim())
    }

    fn line_of(&self, needle: &str) -> usize {
        let at = self.text.find(needle).expect("the seeded text");
        self.text[..at].matches('\n').count() + 1
    }
}

fn numbered(dir: &Path) -> Vec<Doc> {
    let mut out: Vec<Doc> = std::fs::read_dir(dir)
        .expect("read")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let digits = name.strip_prefix("xep-")?.strip_suffix(".xml")?;
            (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(())?;
            let text = std::fs::read_to_string(dir.join(&name)).ok()?;
            Some(Doc { name, text })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn live(d: &Doc) -> bool {
    matches!(
        d.field("status"),
        Some("Experimental" | "Draft" | "Final" | "Active")
    )
}

#[test]
fn seeded_defects_are_reported_where_they_are_and_nothing_else_changes() {
    let Some(src) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = tmp.path();
    copy_dir(&src, dir);
    let before = findings(dir);
    let docs = numbered(dir);
    let ent = std::fs::read_to_string(dir.join("xep.ent")).expect("xep.ent");
    let referenced = |n: &str| {
        let r = format!("&xep{n};");
        docs.iter().any(|d| d.text.contains(&r))
            || std::fs::read_dir(dir.join("inbox")).is_ok_and(|mut it| {
                it.any(|e| {
                    e.ok()
                        .and_then(|e| std::fs::read_to_string(e.path()).ok())
                        .is_some_and(|t| t.contains(&r))
                })
            })
    };
    let number = |d: &Doc| d.name[4..8].to_string();
    let title_ok = |d: &Doc| {
        let n = number(d);
        d.field("title")
            .is_some_and(|t| ent.contains(&format!("'>{t} (XEP-{n})</link>")) && !t.contains('&'))
    };
    // Five different live XEPs, each fit for its defect.
    let mut used: Vec<String> = Vec::new();
    let mut pick = |f: &dyn Fn(&Doc) -> bool| -> usize {
        let k = docs
            .iter()
            .position(|d| live(d) && !used.contains(&d.name) && f(d))
            .expect("a document for the defect");
        used.push(docs[k].name.clone());
        k
    };
    // Experimental: not approved, so the target is not yet superseded (and
    // `superseded-status` stays quiet).
    let sup = pick(&|d| {
        d.field("status") == Some("Experimental") && d.header().contains("<supersedes/>")
    });
    let target = pick(&|d| d.header().contains("<supersededby/>"));
    let short_from = pick(&|d| {
        d.field("shortname")
            .is_some_and(|s| s.len() > 3 && s.chars().all(|c| c.is_ascii_lowercase()))
    });
    let short_to = pick(&|d| matches!(d.field("shortname"), Some("N/A" | "NOT_YET_ASSIGNED")));
    let dep = pick(&|d| d.header().contains("<dependencies>"));
    let missing =
        pick(&|d| !referenced(&number(d)) && ent.contains(&format!("<!ENTITY xep{} ", number(d))));
    let mistitled = pick(&|d| title_ok(d));

    let mut expect: BTreeSet<String> = BTreeSet::new();
    let write = |d: &Doc, text: &str| std::fs::write(dir.join(&d.name), text).expect("write");

    // An asymmetric supersedes.
    let t = number(&docs[target]);
    let d = &docs[sup];
    let seeded = format!("<supersedes><spec>XEP-{t}</spec></supersedes>");
    let text = d.text.replacen("<supersedes/>", &seeded, 1);
    write(d, &text);
    let seeded_doc = Doc {
        name: d.name.clone(),
        text,
    };
    expect.insert(format!(
        "{}:{} supersedes-symmetric",
        d.name,
        seeded_doc.line_of(&seeded)
    ));

    // A duplicate shortname.
    let shortname = docs[short_from]
        .field("shortname")
        .expect("shortname")
        .to_string();
    let d = &docs[short_to];
    let old = format!(
        "<shortname>{}</shortname>",
        d.field("shortname").unwrap_or_default()
    );
    let new = format!("<shortname>{shortname}</shortname>");
    let text = d.text.replacen(&old, &new, 1);
    write(d, &text);
    let seeded_doc = Doc {
        name: d.name.clone(),
        text,
    };
    expect.insert(format!(
        "{}:{} shortname-unique",
        d.name,
        seeded_doc.line_of(&new)
    ));
    let from = &docs[short_from];
    expect.insert(format!(
        "{}:{} shortname-unique",
        from.name,
        from.line_of(&format!("<shortname>{shortname}</shortname>"))
    ));

    // A dependency on a XEP that does not exist.
    let d = &docs[dep];
    let seeded = "<dependencies><spec>XEP-9876</spec>";
    let text = d.text.replacen("<dependencies>", seeded, 1);
    write(d, &text);
    let seeded_doc = Doc {
        name: d.name.clone(),
        text,
    };
    expect.insert(format!(
        "{}:{} dependency-exists",
        d.name,
        seeded_doc.line_of(seeded)
    ));

    // A missing entity (renamed, so no line moves), and a mistitled one.
    let m = number(&docs[missing]);
    let mut ent2 = ent.replacen(
        &format!("<!ENTITY xep{m} "),
        &format!("<!ENTITY xep{m}gone "),
        1,
    );
    expect.insert(format!(
        "{}:{} entity-missing",
        docs[missing].name,
        docs[missing].line_of("<number>")
    ));
    let w = number(&docs[mistitled]);
    let title = docs[mistitled].field("title").expect("title").to_string();
    let from = format!("'>{title} (XEP-{w})</link>");
    let at = ent2.find(&from).expect("the entity's title");
    let line = ent2[..at].matches('\n').count() + 1;
    ent2 = ent2.replacen(&from, &format!("'>Seeded Wrong Title (XEP-{w})</link>"), 1);
    std::fs::write(dir.join("xep.ent"), ent2).expect("write xep.ent");
    expect.insert(format!("xep.ent:{line} entity-title"));

    let after = findings(dir);
    let gone: Vec<&String> = before.difference(&after).collect();
    assert!(gone.is_empty(), "findings that went away: {gone:#?}");
    let new: BTreeSet<String> = after
        .difference(&before)
        .map(|f| {
            let mut w = f.split_whitespace();
            format!(
                "{} {}",
                w.next().unwrap_or_default(),
                w.next().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        new,
        expect,
        "new findings: {:#?}",
        after.difference(&before).collect::<Vec<_>>()
    );
}
