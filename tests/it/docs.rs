//! The documentation under `docs/` against the code it describes.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

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

// ---------------------------------------------------------------- docs/rules.md

const RULES_MD: &str = "docs/rules.md";
const BEGIN: &str = "<!-- BEGIN GENERATED: the rule reference below is written by tests/it/docs.rs from \
xeplint::rules::registry(); do not edit it by hand, run `XEPLINT_BLESS=1 cargo test --test it docs::` -->";
const END: &str = "<!-- END GENERATED -->";

/// Markdown for text that is not inside backticks: `<`, `>` and `&` as
/// entities, so that `<approver>` shows instead of being taken for a tag.
fn inline(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("`{part}`")
            } else {
                part.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            }
        })
        .collect()
}

/// A rule's documentation as `xeplint explain` prints it, its headings one
/// level down (they sit under the rule's own heading).
fn doc_body(doc: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The generated part of `docs/rules.md`.
fn rule_reference() -> String {
    let rules = xeplint::rules::registry();
    let mut out = String::new();
    out.push_str("## Index\n\n");
    out.push_str(&format!(
        "{} rules, as `xeplint rules` lists them.\n\n",
        rules.len()
    ));
    out.push_str("| rule | default | fix | what is reported |\n|---|---|---|---|\n");
    for r in &rules {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | {sev} | {fix} | {summary} |\n",
            id = r.id,
            sev = r.severity,
            fix = r.fix.as_str(),
            summary = inline(r.summary)
        ));
    }
    for r in &rules {
        out.push_str(&format!(
            "\n## {id}\n\nDefault severity: **{sev}**. Reported: {summary}.\n\n{fix}{body}",
            id = r.id,
            sev = r.severity,
            summary = inline(r.summary),
            fix = r.fix_line().map(|l| format!("{l}\n\n")).unwrap_or_default(),
            body = doc_body(&r.doc_text())
        ));
    }
    out
}

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let path = root().join(RULES_MD);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{RULES_MD} lacks its markers; it must hold the lines\n{BEGIN}\n…\n{END}");
    };
    let want = format!(
        "{}{BEGIN}\n\n{}\n{}",
        &text[..b],
        rule_reference(),
        &text[e..]
    );
    if text == want {
        return;
    }
    if std::env::var_os("XEPLINT_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, want).expect("write docs/rules.md");
        eprintln!("{RULES_MD} rewritten from the rule registry");
        return;
    }
    let line = text
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| text.lines().count().min(want.lines().count()))
        + 1;
    panic!(
        "{RULES_MD} differs from what the rule registry gives (first at line {line}).\n\
         Run `XEPLINT_BLESS=1 cargo test --test it docs::` to rewrite it, and commit the result."
    );
}

// ---------------------------------------------------------------- docs/security.md

/// `(name, value)` of every `pub const NAME: TYPE = A * B * …;` in
/// `src/limits.rs`.
fn limits() -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(root().join("src/limits.rs")).expect("src/limits.rs");
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("pub const ") else {
            continue;
        };
        let (name, rest) = rest.split_once(':').expect("pub const NAME: TYPE");
        let expr = rest
            .split_once('=')
            .and_then(|(_, e)| e.trim().strip_suffix(';'))
            .unwrap_or_else(|| panic!("`{line}`: expected `= VALUE;` on one line"));
        let value = expr
            .split('*')
            .map(|f| {
                f.trim()
                    .replace('_', "")
                    .parse::<u64>()
                    .unwrap_or_else(|_| {
                        panic!("`{line}`: this test reads products of integers only")
                    })
            })
            .product();
        out.push((name.trim().to_string(), value));
    }
    out
}

/// Ways a value may be written: `1024`, `100 000`, `100,000`, `16 MiB`.
fn spellings(n: u64) -> Vec<String> {
    let digits = n.to_string();
    let grouped = |sep: &str| {
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    };
    vec![
        digits.clone(),
        grouped(" "),
        grouped(","),
        xeplint::limits::bytes(n),
    ]
}

#[test]
fn docs_security_md_names_every_limit_with_its_value() {
    let doc = std::fs::read_to_string(root().join("docs/security.md")).expect("docs/security.md");
    let limits = limits();
    assert!(
        limits.len() >= 10,
        "read only {limits:?} from src/limits.rs"
    );
    assert_eq!(
        limits
            .iter()
            .find(|(n, _)| n == "MAX_FILE_SIZE")
            .map(|l| l.1),
        Some(xeplint::limits::MAX_FILE_SIZE),
        "src/limits.rs read wrong"
    );
    let mut problems = Vec::new();
    for (name, value) in &limits {
        let Some(row) = doc.lines().find(|l| l.contains(&format!("`{name}` |"))) else {
            problems.push(format!("{name} ({value}) has no row (`| `{name}` | …`)"));
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let shown = cells.get(2).copied().unwrap_or_default();
        let fits = spellings(*value).iter().any(|s| {
            shown == s
                || shown
                    .strip_prefix(s.as_str())
                    .is_some_and(|rest| rest.starts_with(" ("))
                || shown.contains(&format!("({s} bytes)"))
        });
        if !fits {
            problems.push(format!(
                "{name}: the value column says `{shown}`, src/limits.rs says {value} (write one of {:?})",
                spellings(*value)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/security.md is out of step with src/limits.rs:\n{}",
        problems.join("\n")
    );
}
