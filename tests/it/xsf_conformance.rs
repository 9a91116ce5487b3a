//! xeplint against the XSF's XEP-0001 conformance script
//! (`tools/validate-xep0001-conformance.sh` in xsf/xeps), over the corpus.
//!
//! The script reads header values with XPath `text()` and no entity expansion,
//! and fails a file on each check below. This test re-implements those reads
//! (independently of xeplint's parser: plain string search, as XPath sees the
//! source) and asserts that every failure is raised by xeplint too, as an
//! error or a warning, by the rule responsible. Three deliberate exceptions,
//! documented in docs/rules.md: the script accepts `Procedural` only for a
//! fixed list of numbers (XEP-0001 allows any document to be Procedural), it
//! rejects `Editor` as approver (XEP-0001 makes the Editor the approving body
//! of Humorous XEPs), and it judges the editors' README as a proto-XEP (it is
//! not a XEP at all). DTD validity is compared with xmllint in differential.rs.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use xeplint::check::{Input, Session};
use xeplint::diag::Severity;

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.join("xep.ent").is_file().then_some(p)
}

/// The header's text, as far as `</header>`.
fn header(text: &str) -> &str {
    let start = text.find("<header>").unwrap_or(0);
    let end = text[start..]
        .find("</header>")
        .map_or(text.len(), |e| start + e);
    &text[start..end]
}

/// XPath `/xep/header/NAME/text()` without entity expansion: every element's
/// text concatenated; an entity reference is not text.
fn values(header: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        let v = &after[..j];
        // Text around an entity reference survives; the reference does not.
        let mut text = String::new();
        let mut s = v;
        while let Some(a) = s.find('&') {
            text.push_str(&s[..a]);
            s = s[a..].find(';').map_or("", |k| &s[a + k + 1..]);
        }
        text.push_str(s);
        out.push(text);
        rest = &after[j..];
    }
    out
}

/// GNU `sort -V` (filevercmp): alternate runs of non-digits and digits;
/// non-digits compare letters before other characters, digits as numbers.
fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => c as i32,
            Some(b'~') => -1,
            Some(c) => c as i32 + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (x, y) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        let num = |s: &[u8], k: &mut usize| {
            let start = *k;
            while *k < s.len() && s[*k].is_ascii_digit() {
                *k += 1;
            }
            std::str::from_utf8(&s[start..*k])
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let (x, y) = (num(a, &mut i), num(b, &mut j));
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// The script's failures for one file, as (check, rules that answer it).
fn script_failures(name: &str, text: &str) -> Vec<(&'static str, &'static [&'static str])> {
    let h = header(text);
    let one = |n: &str| values(h, n).concat();
    let (number, status, ty, approver) =
        (one("number"), one("status"), one("type"), one("approver"));
    let mut fails: Vec<(&'static str, &'static [&'static str])> = Vec::new();
    // Exception 3: the editors' own documents (`<number>README</number>`)
    // are not XEPs: numbering, status and approval do not apply to them
    // (`[editorial]` in schemas/policy.toml).
    if xeplint::policy::Policy::bundled()
        .editorial
        .numbers
        .contains(&number)
    {
        return fails;
    }
    let numbered = name.len() == 12
        && name.starts_with("xep-")
        && name.ends_with(".xml")
        && name[4..8].bytes().all(|b| b.is_ascii_digit());
    if numbered {
        if name != format!("xep-{number}.xml") {
            fails.push(("number", &["number-filename", "number-literal"]));
        }
    } else {
        if status != "ProtoXEP" {
            fails.push(("proto-status", &["proto-status", "status-value"]));
        }
        if number != "XXXX" && number != "xxxx" {
            fails.push(("proto-number", &["proto-number", "number-literal"]));
        }
        if name.starts_with("xep-") && name.as_bytes().get(4).is_some_and(u8::is_ascii_digit) {
            fails.push(("proto-name", &["proto-filename"]));
        }
    }
    const STATUSES: [&str; 11] = [
        "ProtoXEP",
        "Experimental",
        "Proposed",
        "Draft",
        "Active",
        "Final",
        "Retracted",
        "Obsolete",
        "Deferred",
        "Rejected",
        "Deprecated",
    ];
    if !STATUSES.contains(&status.as_str()) {
        fails.push(("status", &["status-value"]));
    }
    let legacy_ok = match name {
        "xep-0006.xml" | "xep-0010.xml" | "xep-0069.xml" | "xep-0139.xml" => ty == "SIG Formation",
        "xep-0007.xml" => ty == "SIG Proposal",
        _ => false,
    };
    // Exception 1: any document may be Procedural.
    let types = [
        "Historical",
        "Humorous",
        "Informational",
        "Organizational",
        "Standards Track",
        "Procedural",
    ];
    if !types.contains(&ty.as_str()) && !legacy_ok {
        fails.push(("type", &["type-value"]));
    }
    // Exception 2: the Editor approves Humorous XEPs.
    if approver != "Board" && approver != "Council" && !(approver == "Editor" && ty == "Humorous") {
        fails.push((
            "approver",
            &["approver-value", "approver-missing", "approver-type"],
        ));
    }
    let versions = values(h, "version");
    let mut sorted = versions.clone();
    sorted.sort_by(|x, y| version_cmp(y, x));
    if sorted != versions {
        fails.push(("revision order", &["revision-order"]));
    }
    if approver == "Board" && ty == "Standards Track" {
        fails.push(("board standards track", &["approver-type"]));
    }
    let pi_ok = text.split("<?xml-stylesheet").skip(1).any(|pi| {
        pi.split("?>")
            .next()
            .is_some_and(|p| p.contains("href='xep.xsl'") || p.contains("href=\"xep.xsl\""))
    });
    if !pi_ok {
        fails.push(("stylesheet", &["stylesheet"]));
    }
    if !text.contains("&LEGALNOTICE;") {
        fails.push(("legal notice", &["legal-notice"]));
    }
    fails
}

#[test]
fn every_script_failure_is_raised_by_xeplint() {
    let Some(corpus) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    let (inputs, errors) = xeplint::walk::collect_inputs(std::slice::from_ref(&corpus));
    assert!(errors.is_empty(), "{errors:?}");
    let session = Session::new(Default::default());
    let reports = session.check_all(&inputs);
    let mut failures = 0;
    let mut missed = Vec::new();
    for (input, report) in inputs.iter().zip(&reports) {
        let name = input
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let text = std::fs::read_to_string(&input.path).unwrap_or_default();
        let raised: BTreeSet<&str> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
            .map(|d| d.rule)
            .collect();
        for (check, rules) in script_failures(name, &text) {
            failures += 1;
            if !rules.iter().any(|r| raised.contains(r)) {
                missed.push(format!(
                    "{}: {check} (expected one of {rules:?}, got {raised:?})",
                    input.display
                ));
            }
        }
    }
    eprintln!(
        "{} files, {failures} script failures, {} not raised by xeplint",
        inputs.len(),
        missed.len()
    );
    assert!(
        failures > 100,
        "the emulation found too few failures ({failures}): is it reading the corpus?"
    );
    assert!(
        missed.is_empty(),
        "not raised by xeplint:\n{}",
        missed.join("\n")
    );
}

#[test]
fn procedural_sig_documents_are_clean() {
    let Some(corpus) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    let session = Session::new(Default::default());
    for (file, worst) in [
        ("xep-0002.xml", Severity::Info),
        ("xep-0429.xml", Severity::Info),
        ("inbox/sige2ee.xml", Severity::Info),
        ("xep-0007.xml", Severity::Warning),
    ] {
        let report = session.check(&Input::file(corpus.join(file)));
        let too_bad: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity > worst)
            .map(|d| format!("{}[{}] {}", d.severity, d.rule, d.message))
            .collect();
        assert!(too_bad.is_empty(), "{file}: {too_bad:#?}");
    }
    // XEP-0007 is a closed legacy SIG proposal: its missing SIG sections are info.
    let report = session.check(&Input::file(corpus.join("xep-0007.xml")));
    let sig: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == "sig-sections")
        .collect();
    assert_eq!(sig.len(), 4, "{sig:#?}");
    assert!(sig.iter().all(|d| d.severity == Severity::Info));
}

#[test]
fn documents_that_do_not_propose_a_sig_are_not_held_to_the_sig_profile() {
    let Some(corpus) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    let session = Session::new(Default::default());
    for file in ["xep-0002.xml", "xep-0019.xml", "xep-0001.xml"] {
        let report = session.check(&Input::file(corpus.join(file)));
        assert!(
            report.diagnostics.iter().all(|d| d.rule != "sig-sections"),
            "{file}"
        );
    }
    for file in ["xep-0381.xml", "xep-0429.xml", "inbox/sige2ee.xml"] {
        // They have every SIG section, so nothing is reported; check they are
        // recognised by removing one.
        let path = corpus.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let broken = text
            .replacen("topic='Membership'", "topic='People'", 1)
            .replacen("topic=\"Membership\"", "topic=\"People\"", 1);
        assert_ne!(text, broken, "{file} has no Membership section to rename");
        let mut input = Input::file(path);
        input.bytes = Some(broken.into_bytes());
        let report = session.check(&input);
        assert!(
            report
                .diagnostics
                .iter()
                .any(|d| d.rule == "sig-sections" && d.message.contains("Membership")),
            "{file} is not recognised as a SIG formation document"
        );
    }
}

#[test]
fn meta_of_xep_0002() {
    let Some(corpus) = corpus() else {
        common::missing("../shared/corpus");
        return;
    };
    let session = Session::new(Default::default());
    let input = Input::file(corpus.join("xep-0002.xml"));
    let parsed = session.parse(&input).unwrap();
    let xep = session.model(&input, &parsed);
    let json = serde_json::to_value(&xep).unwrap();
    let h = &json["header"];
    assert_eq!(h["number"]["value"], "0002");
    assert_eq!(h["status"]["value"], "Active");
    assert_eq!(h["type"]["value"], "Procedural");
    assert_eq!(h["approvers"][0]["value"], "Board");
    let revs = h["revisions"].as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["version"]["value"], "1.1");
    assert_eq!(revs[0]["date"]["value"], "2002-01-11");
    assert_eq!(revs[1]["version"]["value"], "1.0");
    assert_eq!(revs[1]["date"]["value"], "2001-06-28");
    let topics: Vec<_> = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["topic"]["value"].clone())
        .collect();
    assert_eq!(topics, ["Short Definition", "Explanation"]);
    let author = &h["authors"][0];
    assert_eq!(author["entity"], "stpeter");
    assert_eq!(author["firstname"]["value"], "Peter");
    assert_eq!(author["surname"]["value"], "Saint-Andre");
    assert!(
        author["email"]["value"]
            .as_str()
            .is_some_and(|e| e.contains('@'))
    );
    assert!(
        author["jid"]["value"]
            .as_str()
            .is_some_and(|e| e.contains('@'))
    );
}
