//! The README and the pages of `docs/` are the front door: what they show a
//! new user must be true. This runs their examples with the built binary,
//! from the repository root:
//!
//! - a ```` ```console ```` block is `$ COMMAND` and the output it prints:
//!   the command's standard output must be exactly that;
//! - in a ```` ```sh ```` block, a command line ending in a claim is run
//!   (with `sh -c`, `xeplint` on the PATH) and must do what it claims:
//!   `# exit N` (the exit status), `# exit N: RULE, RULE` (and its output
//!   names exactly these rules; `xml-*` stands for one or more rules of
//!   that prefix), `# exit N: nothing` (and no rule),
//!   `# exit N: no output` (and prints nothing on standard output).
//!   Lines without a claim are not run.
//!
//! With `XEPLINT_BLESS=1` the console blocks are rewritten with what the
//! commands print now (review the diff); claims are never rewritten.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// README.md and every page of docs/.
fn pages() -> Vec<String> {
    let mut out = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    out.extend(docs);
    out
}

/// A fenced block: its language, the line (0-based) of its opening fence,
/// and its lines.
struct Block {
    lang: String,
    start: usize,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    start: i,
                    lines: Vec::new(),
                })
            }
            (Some(_), Some(_)) => out.push(open.take().expect("open")),
            (Some(b), None) => b.lines.push(line.to_string()),
            (None, None) => {}
        }
    }
    out
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `line` with `sh -c` from the repository root, the built xeplint
/// first on the PATH.
fn run(line: &str) -> Ran {
    let bin = Path::new(env!("CARGO_BIN_EXE_xeplint"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(root())
        .env("PATH", std::env::join_paths(paths).expect("PATH"))
        .env_remove("NO_COLOR")
        .env_remove("XEPLINT_REQUIRE_ALL")
        .output()
        .expect("run sh");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The rule ids an output names, in any format: `[rule]` (short), a line
/// holding only the id (human), `title=rule::` (github), `"rule": "…"`
/// (json), `"ruleId": "…"` (sarif). Only ids of the registry count.
fn rules_named(out: &str) -> BTreeSet<String> {
    let known: BTreeSet<&str> = xeplint::rules::registry().iter().map(|r| r.id).collect();
    let mut found = BTreeSet::new();
    let mut take = |s: &str| {
        if known.contains(s) {
            found.insert(s.to_string());
        }
    };
    for line in out.lines() {
        take(line.trim());
        for (i, _) in line.match_indices('[') {
            if let Some(end) = line[i + 1..].find(']') {
                take(&line[i + 1..i + 1 + end]);
            }
        }
        if let Some(rest) = line.split_once(",title=").map(|(_, r)| r) {
            take(rest.split("::").next().unwrap_or_default());
        }
        for key in ["\"rule\": \"", "\"ruleId\": \""] {
            if let Some((_, rest)) = line.split_once(key) {
                take(rest.split('"').next().unwrap_or_default());
            }
        }
    }
    found
}

/// A claim at the end of a command line: `# exit N[: …]`.
fn claim(line: &str) -> Option<(String, i32, Option<String>)> {
    let (command, comment) = line.rsplit_once(" # ")?;
    let rest = comment.trim().strip_prefix("exit ")?;
    let (code, what) = match rest.split_once(':') {
        Some((c, w)) => (c, Some(w.trim().to_string())),
        None => (rest, None),
    };
    let code = code
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("unreadable claim `# {comment}`"));
    Some((command.trim().to_string(), code, what))
}

/// Check every claimed command of `page`; returns the problems and how many
/// commands were run.
fn check_claims(page: &str, text: &str) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut ran = 0;
    let known: BTreeSet<&str> = xeplint::rules::registry().iter().map(|r| r.id).collect();
    for b in blocks(text).iter().filter(|b| b.lang == "sh") {
        for (i, line) in b.lines.iter().enumerate() {
            let Some((command, code, what)) = claim(line) else {
                continue;
            };
            let at = format!("{page}:{}: `{command}`", b.start + i + 2);
            let r = run(&command);
            ran += 1;
            if r.code != code {
                problems.push(format!(
                    "{at}: exit status {}, the page says {code}\n{}{}",
                    r.code, r.stdout, r.stderr
                ));
                continue;
            }
            let named = rules_named(&r.stdout);
            match what.as_deref() {
                None => {}
                Some("no output") if !r.stdout.is_empty() => {
                    problems.push(format!("{at}: printed\n{}", r.stdout));
                }
                Some("nothing") if !named.is_empty() => {
                    problems.push(format!("{at}: names {named:?}, the page says nothing"));
                }
                Some("no output" | "nothing") => {}
                Some(list) => {
                    // `xml-*` stands for one or more rules of that prefix.
                    let items: Vec<&str> = list.split(',').map(str::trim).collect();
                    let mut unmatched: Vec<String> = Vec::new();
                    for item in &items {
                        let hits = match item.strip_suffix('*') {
                            Some(prefix) => named.iter().filter(|n| n.starts_with(prefix)).count(),
                            None => {
                                assert!(known.contains(item), "{at}: `{item}` is no rule id");
                                usize::from(named.contains(*item))
                            }
                        };
                        if hits == 0 {
                            unmatched.push(format!("{item} is not named"));
                        }
                    }
                    for n in &named {
                        let claimed = items.iter().any(|i| match i.strip_suffix('*') {
                            Some(prefix) => n.starts_with(prefix),
                            None => i == n,
                        });
                        if !claimed {
                            unmatched.push(format!("{n} is named, but not on the page"));
                        }
                    }
                    if !unmatched.is_empty() {
                        problems.push(format!("{at}: {}\n{}", unmatched.join("; "), r.stdout));
                    }
                }
            }
        }
    }
    (problems, ran)
}

#[test]
fn claimed_commands_do_what_the_pages_say() {
    let mut problems = Vec::new();
    let mut total = 0;
    for page in pages() {
        let (p, ran) = check_claims(&page, &read(&page));
        if page == "README.md" {
            assert!(ran >= 5, "README.md has only {ran} claimed commands");
        }
        total += ran;
        problems.extend(p);
    }
    assert!(
        total >= 10,
        "only {total} claimed commands in README.md and docs/"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn console_blocks_show_what_the_command_prints() {
    let bless = std::env::var_os("XEPLINT_BLESS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut seen = 0;
    for page in pages() {
        let text = read(&page);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Rewrite from the end, so the line numbers of earlier blocks hold.
        let mut found = blocks(&text);
        found.retain(|b| b.lang == "console");
        for b in found.iter().rev() {
            let Some(command) = b.lines.first().and_then(|l| l.strip_prefix("$ ")) else {
                problems.push(format!(
                    "{page}:{}: a console block starts with `$ `",
                    b.start + 1
                ));
                continue;
            };
            seen += 1;
            let r = run(command);
            let got: Vec<String> = r.stdout.lines().map(str::to_string).collect();
            if got != b.lines[1..] {
                if bless {
                    lines.splice(b.start + 2..b.start + 1 + b.lines.len(), got);
                } else {
                    let first = got
                        .iter()
                        .zip(&b.lines[1..])
                        .position(|(a, b)| a != b)
                        .unwrap_or(got.len().min(b.lines.len() - 1));
                    problems.push(format!(
                        "{page}:{}: `{command}` prints otherwise from its line {}:\n  page: {:?}\n  now:  {:?}",
                        b.start + 1,
                        first + 1,
                        b.lines.get(first + 1),
                        got.get(first)
                    ));
                }
            }
        }
        if bless {
            let mut new = lines.join("\n");
            new.push('\n');
            if new != text {
                std::fs::write(root().join(&page), new).expect("write");
                eprintln!("{page}: console blocks rewritten");
            }
        }
    }
    assert!(seen >= 3, "only {seen} console blocks");
    assert!(
        problems.is_empty(),
        "{}\n\nRun `XEPLINT_BLESS=1 cargo test --test it readme::` to rewrite the console \
         blocks, and review the diff.",
        problems.join("\n")
    );
}

#[test]
fn readme_is_a_front_door() {
    let text = read("README.md");
    let lines = text.lines().count();
    assert!(
        lines <= 400,
        "README.md has {lines} lines: keep it at most 400, move the rest to docs/"
    );
    let rules = format!("{} rules", xeplint::rules::registry().len());
    assert!(
        text.contains(&rules),
        "README.md must say how many rules there are: {rules}"
    );
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
    for must in [
        "cargo install --locked --path .",
        "cargo test",
        "bash .ci/run",
        "XEPLINT_REQUIRE_ALL=1",
        "](docs/rules.md)",
        "](docs/formats.md)",
        "](docs/configuration.md)",
        "](docs/integrations.md)",
        "](docs/security.md)",
        "](bench/README.md)",
        "](CONTRIBUTING.md)",
    ] {
        assert!(text.contains(must), "README.md must say `{must}`");
    }
}

/// Every `cargo install` the pages show uses the lock file.
#[test]
fn every_install_is_locked() {
    let mut pages = pages();
    pages.extend(["CONTRIBUTING.md".to_string(), "action.yml".to_string()]);
    for page in pages {
        for (i, line) in read(&page).lines().enumerate() {
            if line.contains("cargo install") && !line.contains("--locked") {
                // Prose may name the command pre-commit runs, quoted as such.
                assert!(
                    line.contains("without `--locked`") || line.contains("without --locked"),
                    "{page}:{}: `cargo install` without --locked: {line}",
                    i + 1
                );
            }
        }
    }
}

/// Relative links of README.md, docs/, bench/README.md and CONTRIBUTING.md
/// lead to files that exist.
#[test]
fn relative_links_resolve() {
    let mut pages = pages();
    pages.extend([
        "bench/README.md".to_string(),
        "CONTRIBUTING.md".to_string(),
        "CHANGELOG.md".to_string(),
    ]);
    let mut broken = Vec::new();
    for page in pages {
        let text = read(&page);
        let dir: PathBuf = Path::new(&page)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            if !root().join(&dir).join(file).exists() {
                broken.push(format!("{page}: ({target})"));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing: {broken:?}");
}
