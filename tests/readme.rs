//! The README is the front door: it must name every rule, format and subcommand.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn readme_lists_every_rule_with_its_default_severity() {
    let text = readme();
    let missing: Vec<String> = xeplint::rules::registry()
        .into_iter()
        .filter(|r| !text.contains(&format!("| `{}` | {} |", r.id, r.severity)))
        .map(|r| format!("{} ({})", r.id, r.severity))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's rule table lacks (or has another severity for): {missing:?}"
    );
}

#[test]
fn readme_names_every_format_and_subcommand() {
    let text = readme();
    for word in ["`human`", "`short`", "`json`", "`sarif`", "`github`"] {
        assert!(
            text.contains(word),
            "README.md does not describe the format {word}"
        );
    }
    for cmd in [
        "xeplint check",
        "xeplint meta",
        "xeplint rules",
        "xeplint explain",
    ] {
        assert!(text.contains(cmd), "README.md does not describe `{cmd}`");
    }
    assert!(
        text.contains("cargo test"),
        "README.md must give the test command"
    );
}
