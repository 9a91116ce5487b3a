//! Recorded entity expansions (`Replay` in the parser): a document whose
//! shared entities were expanded before, in another document, must come out
//! exactly as when every expansion is parsed.

use crate::harness;

use std::path::Path;
use xeplint::check::{Input, Options, Session};
use xeplint::xml::Limits;

const ENTITIES: &str = r#"<!ENTITY leaf "a <em>leaf</em> &amp; more">
<!ENTITY branch "<p class='b' n='&#66;'>before &leaf; after<![CDATA[ <raw> ]]><!-- note --><?pi data?></p>">
<!ENTITY trunk "<div>&branch;<span>&leaf;</span></div>&leaf;">
<!ENTITY plain "just text">
<!ENTITY broken "<p>never closed">
<!ENTITY attr "<p title='&plain;'>x</p>">
<!ENTITY ghost "<p>&nowhere;</p>">
<!ENTITY deep "<a><b><c><d>deep</d></c></b></a>">
"#;

fn doc(subset_extra: &str, body: &str) -> String {
    format!(
        "<?xml version='1.0'?>\n<!DOCTYPE r [\n{subset_extra}<!ENTITY % e SYSTEM 'e.ent'>\n%e;\n]>\n<r>\n{body}\n</r>\n"
    )
}

/// Parse and check `docs` in order in one session; the dumps and reports.
fn run(dir: &Path, docs: &[&str], no_replay: bool, limits: &Limits) -> Vec<String> {
    let mut options = Options::default();
    options.parse.no_replay = no_replay;
    options.parse.limits = limits.clone();
    let session = Session::new(options);
    docs.iter()
        .map(|name| {
            let input = Input::file(dir.join(name));
            let parsed = session.parse(&input).expect("readable");
            let report = session.check(&input);
            format!("{}\n{:#?}", harness::dump(&parsed), report.diagnostics)
        })
        .collect()
}

fn same_with_and_without(files: &[(&str, String)], limits: Limits) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("e.ent"), ENTITIES).expect("write");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let replayed = run(dir.path(), &names, false, &limits);
    let parsed = run(dir.path(), &names, true, &limits);
    for (i, (a, b)) in replayed.iter().zip(&parsed).enumerate() {
        assert_eq!(
            a, b,
            "document {} differs when expansions are replayed",
            names[i]
        );
    }
    replayed.len()
}

fn corpus_like() -> Vec<(&'static str, String)> {
    vec![
        (
            "one.xml",
            doc("", "&trunk;\n<p>&branch; and &leaf;</p> &plain; &broken;"),
        ),
        // The same references again: now copied from the first expansions.
        (
            "two.xml",
            doc(
                "",
                "<p>x&trunk;y</p>&branch;&branch;<q>&leaf;&plain;&deep;</q>",
            ),
        ),
        // Its own `leaf` comes first: `trunk` and `branch` must be parsed.
        (
            "three.xml",
            doc("<!ENTITY leaf 'mine'>\n", "&trunk;&branch;&leaf;&deep;"),
        ),
        // References resolved against the document are never recorded.
        (
            "four.xml",
            doc(
                "<!ENTITY plain 'other'>\n<!ENTITY nowhere 'found'>\n",
                "&attr;&ghost;&attr;&ghost;",
            ),
        ),
        ("five.xml", doc("", "&attr;&ghost;&broken;&deep;&trunk;")),
    ]
}

#[test]
fn replayed_expansions_equal_parsed_ones() {
    assert_eq!(same_with_and_without(&corpus_like(), Limits::default()), 5);
}

#[test]
fn replay_respects_limits() {
    // Deep elements near the depth limit, and a small expansion budget.
    let nested = |n: usize| format!("{}&deep;{}", "<x>".repeat(n), "</x>".repeat(n));
    let files = vec![
        ("a.xml", doc("", "&deep;&trunk;")),
        ("b.xml", doc("", &nested(3))),
        ("c.xml", doc("", &nested(4))),
        ("d.xml", doc("", &nested(5))),
        ("e.xml", doc("", &"&trunk;".repeat(40))),
        // Room for `trunk` in a large document, not in the small one after.
        (
            "f.xml",
            doc("", &format!("&trunk;<!--{}-->", "-".repeat(6000))),
        ),
        ("g.xml", doc("", "&trunk;")),
    ];
    for limits in [
        Limits {
            max_depth: 8,
            ..Limits::default()
        },
        Limits {
            max_expanded_bytes: 4096,
            max_amplification: 1,
            ..Limits::default()
        },
        Limits {
            max_expanded_bytes: 16 * 600,
            max_amplification: 1,
            ..Limits::default()
        },
        Limits {
            max_entity_depth: 2,
            ..Limits::default()
        },
    ] {
        assert_eq!(same_with_and_without(&files, limits), 7);
    }
}
