//! Every fixture under `fixtures/xml/` and `fixtures/dtd/` declares what it
//! produces in `<!-- expect: … -->` comments. The whole check of it, every
//! rule included, as `xeplint check` runs it from the repository root, must
//! report exactly that: no finding of another rule, and as many findings as
//! declared. (`tests/it/wellformed.rs` and `tests/it/dtd_snapshots.rs` check the
//! positions of the `xml-…` and `dtd-…` findings.)

use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rules a fixture declares, each with how many findings: one for
/// `RULE at L:C`, N for `RULE ×N on line L`.
fn declared(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (i, _) in text.match_indices("<!-- expect:") {
        let rest = &text[i + "<!-- expect:".len()..];
        let body = &rest[..rest.find("-->").expect("an expect comment ends")];
        for item in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let rule = item.split_whitespace().next().unwrap_or_default();
            let count = item
                .split_whitespace()
                .nth(1)
                .and_then(|w| w.strip_prefix('×'))
                .map_or(1, |n| n.parse().expect("a count after ×"));
            *out.entry(rule.to_string()).or_default() += count;
        }
    }
    out
}

#[test]
fn fixtures_report_only_what_they_declare() {
    let mut want: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for dir in ["fixtures/xml", "fixtures/dtd"] {
        for entry in std::fs::read_dir(root().join(dir)).expect(dir) {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "xml") {
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let rules = declared(&text);
            assert!(!rules.is_empty(), "{name} declares nothing");
            want.insert(name, rules);
        }
    }
    assert!(want.len() >= 35, "only {} fixtures", want.len());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xeplint"))
        .current_dir(root())
        .args(["check", "--format", "json", "fixtures/xml", "fixtures/dtd"])
        .output()
        .expect("run xeplint");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");

    let mut got: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in json["files"].as_array().expect("files") {
        let file = f["file"].as_str().expect("file").to_string();
        assert!(f["error"].is_null(), "{file}: {}", f["error"]);
        got.entry(file).or_default();
    }
    for d in json["diagnostics"].as_array().expect("diagnostics") {
        let doc = d["document"].as_str().expect("document").to_string();
        let rule = d["rule"].as_str().expect("rule").to_string();
        *got.entry(doc).or_default().entry(rule).or_default() += 1;
    }

    let mut problems = Vec::new();
    for (name, rules) in &want {
        match got.get(name) {
            None => problems.push(format!("{name}: not checked")),
            Some(found) if found != rules => problems.push(format!(
                "{name}:\n  declares {rules:?}\n  reports  {found:?}"
            )),
            Some(_) => {}
        }
    }
    for name in got.keys().filter(|n| !want.contains_key(*n)) {
        problems.push(format!("{name}: checked, but declares nothing"));
    }
    assert!(
        problems.is_empty(),
        "fixtures whose whole check differs from their `expect:` comments \
         (a fixture must be a clean proto-XEP but for the defect it shows):\n{}",
        problems.join("\n")
    );
}
