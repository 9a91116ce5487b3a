//! The documentation under `docs/` against the code it describes.

/// `xeplint rules` prints each rule's summary: it names what is reported
/// ("a …", "an …"), never the state the rule wants.
#[test]
fn every_summary_names_what_is_reported() {
    let wrong: Vec<String> = xeplint::rules::registry()
        .into_iter()
        .filter(|r| !(r.summary.starts_with("a ") || r.summary.starts_with("an ")))
        .map(|r| format!("{}: {}", r.id, r.summary))
        .collect();
    assert!(
        wrong.is_empty(),
        "summaries that do not start with \"a \" or \"an \" (say what is reported):\n{}",
        wrong.join("\n")
    );
}
