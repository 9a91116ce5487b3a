//! The bodies of the fuzz targets, shared by `fuzz_targets/*.rs` and by
//! `tests/it/fuzz_replay.rs` (which replays the committed corpus without a
//! fuzzer). Besides "no panic", each body checks invariants a reader of the
//! diagnostics relies on: every span lies inside its file, on character
//! boundaries, and every `xml-…` rule id is documented.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use xeplint::check::{Input, Options, Session};
use xeplint::diag::Diagnostic;
use xeplint::dtd::decl::{Subset, parse_decls, parse_decls_shared};
use xeplint::load::Loader;
use xeplint::source::{FileId, SourceMap, Sources, Span};
use xeplint::xml::{ParseOptions, parse_document};

/// The entity file and DTD of the fixtures, as a document finds them.
const XEP_ENT: &str = include_str!("../fixtures/xep.ent");
const XEP_DTD: &str = include_str!("../schemas/xep.dtd");

/// Lay out a project in `dir`: a `.git` marker (the project root), the
/// entity file and DTD at the top and in `xml/`, where documents are put, so
/// both `xep.ent` and `../xep.ent` resolve.
pub fn setup(dir: &Path) {
    let xml = dir.join("xml");
    std::fs::create_dir_all(dir.join(".git")).expect("create .git marker");
    std::fs::create_dir_all(&xml).expect("create xml/");
    for d in [dir, xml.as_path()] {
        std::fs::write(d.join("xep.ent"), XEP_ENT).expect("write xep.ent");
        std::fs::write(d.join("xep.dtd"), XEP_DTD).expect("write xep.dtd");
    }
}

fn doc_path(dir: &Path) -> PathBuf {
    dir.join("xml").join("doc.xml")
}

/// The XML parser with entity expansion, on one document; a second parse
/// that expands every entity reference anew (no recorded expansions copied)
/// must give the same tree and diagnostics.
pub fn parse(dir: &Path, data: &[u8]) {
    let run = |no_replay: bool| {
        let gate = Arc::new(xeplint::gate::Gate::new());
        let loader = Loader::new(Arc::new(SourceMap::new()), gate.clone());
        let opts = ParseOptions {
            no_replay,
            ..ParseOptions::default()
        };
        let place = gate
            .place_of(&doc_path(dir))
            .expect("the fuzz project is laid out");
        let parsed = parse_document(
            &loader,
            &place,
            &doc_path(dir),
            "xml/doc.xml".into(),
            data.to_vec(),
            &opts,
        );
        (loader, parsed)
    };
    let (loader, parsed) = run(false);
    let (_, fresh) = run(true);
    assert_eq!(
        dump(&parsed),
        dump(&fresh),
        "copying recorded expansions changed the result"
    );
    let sources = loader.sources.snapshot();
    for d in &parsed.diagnostics {
        diagnostic_ok(&sources, d);
    }
    for n in &parsed.tree.nodes {
        span_ok(&sources, n.span, "node");
    }
    for e in &parsed.tree.expansions {
        span_ok(&sources, e.reference, "expansion reference");
        span_ok(&sources, e.definition, "expansion definition");
    }
}

/// The declaration parser, on `data` as an external and an internal subset.
pub fn dtd(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // An entity file's declarations share its text: the same declarations
    // and errors as from a private copy.
    let shared = Arc::new(text.to_string());
    let copied = parse_decls(&text, FileId(0), 0, Subset::External);
    let sharing = parse_decls_shared(&shared, 0, FileId(0), Subset::External);
    assert_eq!(
        format!("{:?}", copied.decls),
        format!("{:?}", sharing.decls)
    );
    assert_eq!(copied.errors.len(), sharing.errors.len());
    for subset in [Subset::External, Subset::Internal] {
        let decls = parse_decls(&text, FileId(0), 0, subset);
        for d in &decls.errors {
            let s = d.primary.span;
            assert!(
                s.start <= s.end && s.end as usize <= text.len(),
                "span {s:?} outside a text of {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize)
            );
        }
    }
}

/// The whole check of one document, as the CLI runs it.
pub fn check(dir: &Path, data: &[u8]) {
    let session = Session::new(Options::default());
    let mut input = Input::stdin(data.to_vec(), Some(doc_path(dir)));
    input.display = "xml/doc.xml".into();
    let report = session.check(&input);
    let sources = session.snapshot();
    for d in &report.diagnostics {
        diagnostic_ok(&sources, d);
    }
    let _ = xeplint::report::short::render(std::slice::from_ref(&report), &sources);
}

/// Documents below the project a configuration is asked about, and rules
/// (known ones, and one that is not) asked for.
const CONFIG_PATHS: [&str; 4] = [
    "xep-0001.xml",
    "xml/doc.xml",
    "inbox/new.xml",
    "attic/old/xep-0002.xml",
];
const CONFIG_RULES: [&str; 4] = [
    "unused-suppression",
    "xml-undefined-entity",
    "revision-date",
    "no-such-rule",
];

/// The input (as text, invalid UTF-8 replaced) as `xeplint.toml` in `dir`,
/// and as a baseline file.
pub fn config(dir: &Path, data: &[u8]) {
    use xeplint::config::{Config, Level};
    let text = String::from_utf8_lossy(data);
    if let Ok(mut config) = Config::parse(&text, "xeplint.toml", dir) {
        for rel in CONFIG_PATHS {
            let path = dir.join(rel);
            assert_eq!(config.relative(&path), Path::new(rel), "relative({rel})");
            let _ = config.is_ignored(&path);
            for rule in CONFIG_RULES {
                let _ = config.level(rule, &path);
            }
        }
        // Paths outside the folder, or not absolute.
        for path in ["../elsewhere/a.xml", "b.xml", "/c.xml"] {
            let _ = config.relative(Path::new(path));
            let _ = config.is_ignored(Path::new(path));
            let _ = config.level(CONFIG_RULES[0], Path::new(path));
        }
        // The command line wins over every setting of the file.
        config
            .set_rule_arg("xml-undefined-entity=off")
            .expect("a valid --rule");
        for rel in CONFIG_PATHS {
            assert_eq!(
                config.level("xml-undefined-entity", &dir.join(rel)),
                Some(Level::Off)
            );
        }
    }
    baseline(&text);
}

/// A baseline read from `text`: written out, it reads back the same, and it
/// drops as many findings as its entries accept.
fn baseline(text: &str) {
    use xeplint::baseline::{Baseline, file_key};
    let Ok(baseline) = Baseline::from_json(text) else {
        return;
    };
    let json = baseline.to_json();
    let again = Baseline::from_json(&json).expect("to_json's output reads back");
    assert_eq!(again, baseline, "to_json and from_json disagree");
    assert_eq!(again.to_json(), json);
    // For the files of the first entries: findings of each entry's rule (when
    // xeplint knows it) and fingerprint, one more than the entry accepts (at
    // most four), and one without a fingerprint.
    for file in baseline.entries.iter().take(4).map(|e| e.file.as_str()) {
        let mut diagnostics = Vec::new();
        for e in baseline.entries.iter().take(16) {
            let Some(rule) = xeplint::rules::lookup(&e.rule) else {
                continue;
            };
            for _ in 0..e.count.min(3) + 1 {
                diagnostics.push(
                    Diagnostic::of(rule, Span::new(FileId(0), 0, 0), "finding")
                        .fingerprint(e.fingerprint.clone()),
                );
            }
            diagnostics.push(Diagnostic::of(rule, Span::new(FileId(0), 0, 0), "finding"));
        }
        // What the entries of `file` accept, per (rule, fingerprint).
        let accepted = |d: &Diagnostic| -> u128 {
            let fingerprint = d.fingerprint.as_deref().unwrap_or_default();
            baseline
                .entries
                .iter()
                .filter(|e| file_key(&e.file) == file_key(file))
                .filter(|e| e.rule == d.rule && e.fingerprint == fingerprint)
                .map(|e| e.count as u128)
                .sum()
        };
        let mut expected_drops = 0u128;
        let mut seen: Vec<&Diagnostic> = Vec::new();
        for d in &diagnostics {
            // The baseline keys a finding without a fingerprint as "".
            let key = |x: &Diagnostic| (x.rule, x.fingerprint.clone().unwrap_or_default());
            let before = seen.iter().filter(|s| key(s) == key(d)).count() as u128;
            if before < accepted(d) {
                expected_drops += 1;
            }
            seen.push(d);
        }
        let all = diagnostics.clone();
        baseline.filter(file, &mut diagnostics);
        assert_eq!(
            (all.len() - diagnostics.len()) as u128,
            expected_drops,
            "findings dropped for {file:?}"
        );
        // What is left keeps its order.
        let mut rest = all.iter();
        for d in &diagnostics {
            assert!(rest.any(|a| a == d), "filter reordered the findings");
        }
    }
}

/// The text renderers on a random document with findings at random places.
/// The input is a document, then, after the first NUL byte, the findings:
/// each takes 12 bytes (start, length, and which label, message and file).
/// Whatever the document holds (long lines, tabs, wide characters, control
/// characters, no line breaks at all) and wherever the spans fall, the
/// renderers must not panic; no line of human output may be longer than
/// 400 characters, none may hold a control character, and no line of any
/// text format may start with `::` (a GitHub workflow command) but the
/// github format's own annotations.
pub fn human(data: &[u8]) {
    use xeplint::source::SourceFile;
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (doc, spec) = data.split_at(split);
    let text = String::from_utf8_lossy(doc).into_owned();
    let map = SourceMap::new();
    let file = map.add(SourceFile::new(
        "doc.xml".into(),
        "doc\n::error::x.xml".into(),
        Arc::new(text.clone()),
    ));
    let other = map.add(SourceFile::new(
        "xep.ent".into(),
        "xep.ent".into(),
        Arc::new("<!ENTITY a 'b'>\n".into()),
    ));
    let words = [
        "",
        "here",
        "a\n::error file=ci.yml::pwned",
        "\u{1b}]0;title\u{7}",
        "wide 漢字漢字",
        "\r\u{202e}x",
    ];
    let n = text.len().max(1);
    let number = |b: &[u8]| {
        b.iter()
            .fold(0usize, |a, &x| a.wrapping_mul(256).wrapping_add(x as usize))
    };
    let mut diagnostics = Vec::new();
    for chunk in spec.get(1..).unwrap_or(&[]).chunks(12).take(16) {
        let start = number(chunk.get(0..4).unwrap_or(&[])) % (n + 8);
        let len = number(chunk.get(4..8).unwrap_or(&[])) % (n + 8);
        let pick = |k: usize| words[chunk.get(k).copied().unwrap_or(0) as usize % words.len()];
        let in_other = chunk.get(11).is_some_and(|b| b % 5 == 0);
        let span = Span::new(if in_other { other } else { file }, start, start + len);
        let mut d = Diagnostic::of(&xeplint::xml::rules::XML_SYNTAX, span, pick(8)).label(pick(9));
        let second = Span::new(file, len % (n + 1), start % (n + 1));
        d = d.secondary(second, pick(10));
        if chunk.get(11).is_some_and(|b| b % 3 == 0) {
            d = d.help(pick(11)).note_at(Span::new(other, 9, 10), pick(8));
        }
        diagnostics.push(d);
    }
    let report = xeplint::diag::FileReport {
        display: "doc\n::error::x.xml".into(),
        diagnostics,
        read_error: None,
    };
    let sources = map.snapshot();
    let reports = std::slice::from_ref(&report);
    let human = xeplint::report::human::render(reports, &sources, false);
    for line in human.lines() {
        assert!(
            line.chars().count() <= xeplint::report::human::MAX_LINE,
            "a line of {} characters",
            line.chars().count()
        );
    }
    let short = xeplint::report::short::render(reports, &sources);
    let github = xeplint::report::github::render(reports, &sources);
    for (format, out) in [("human", &human), ("short", &short), ("github", &github)] {
        assert!(
            !out.chars()
                .any(|c| xeplint::report::escape::is_unsafe(c) && c != '\n'),
            "{format}: a control character reached the output"
        );
        for line in out.lines() {
            let line = line.trim_start();
            let own = format == "github"
                && ["::error file=", "::warning file=", "::notice file="]
                    .iter()
                    .any(|p| line.starts_with(p));
            assert!(own || !line.starts_with("::"), "{format}: {line:?}");
        }
    }
}

/// Everything about a parse a check could see (texts resolved, so that where
/// they sit in the tree's arena does not matter).
pub fn dump(parsed: &xeplint::xml::Parsed) -> String {
    use std::fmt::Write as _;
    use xeplint::xml::{NodeId, NodeKind};
    let tree = &parsed.tree;
    let mut out = String::new();
    for (i, n) in tree.nodes.iter().enumerate() {
        let kind = match &n.kind {
            NodeKind::Element(e) => {
                let attrs: Vec<_> = tree
                    .attributes(e)
                    .iter()
                    .map(|a| {
                        let (name, value) = (tree.str(a.name), tree.str(a.value));
                        (name, value, a.name_span, a.value_span)
                    })
                    .collect();
                format!(
                    "<{}> {attrs:?} {:?} {:?}",
                    tree.name(e),
                    e.name_span(),
                    e.end_span()
                )
            }
            NodeKind::Text(t) => format!("text {:?}", tree.str(*t)),
            NodeKind::CData(t) => format!("cdata {:?}", tree.str(*t)),
            NodeKind::Comment(t) => format!("comment {:?}", tree.str(*t)),
            NodeKind::Pi { target, data } => {
                format!("pi {:?} {:?}", tree.str(*target), tree.str(*data))
            }
        };
        let children: Vec<usize> = tree
            .children(NodeId::from_index(i))
            .map(|c| c.index())
            .collect();
        let _ = writeln!(
            out,
            "{i} {kind} {:?} {:?} {:?} {children:?}",
            n.span,
            n.parent.map(|p| p.index()),
            n.origin.map(|o| o.index())
        );
    }
    let _ = writeln!(
        out,
        "{:?}\n{:?} {:?}\n{:#?}",
        tree.expansions, tree.root, tree.misc, parsed.diagnostics
    );
    out
}

fn diagnostic_ok(sources: &Sources, d: &Diagnostic) {
    if d.rule.starts_with("xml-") {
        assert!(
            xeplint::rules::lookup(d.rule).is_some(),
            "undocumented rule id {}",
            d.rule
        );
    }
    span_ok(sources, d.primary.span, d.rule);
    for l in &d.secondary {
        span_ok(sources, l.span, d.rule);
    }
    for n in &d.notes {
        if let Some(s) = n.span {
            span_ok(sources, s, d.rule);
        }
    }
}

fn span_ok(sources: &Sources, s: Span, what: &str) {
    let file = sources.get(s.file).expect("span in a known file");
    let len = file.text.len();
    assert!(
        s.start <= s.end && s.end as usize <= len,
        "{what}: span {s:?} outside {} ({len} bytes)",
        file.display
    );
    assert!(
        file.text.is_char_boundary(s.start as usize) && file.text.is_char_boundary(s.end as usize),
        "{what}: span {s:?} splits a character in {}",
        file.display
    );
    let _ = file.line_col(s.start as usize);
}
