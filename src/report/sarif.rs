//! `--format sarif`: SARIF 2.1.0, as read by GitHub code scanning and editors'
//! SARIF viewers.
//!
//! One run; `tool.driver.rules` lists every rule of the registry (plus any id
//! a result uses that the registry lacks), so `ruleIndex` always resolves.
//! Columns count Unicode code points (`columnKind`), as xeplint's do; region
//! ends are exclusive, as SARIF specifies.

use super::Location;
use crate::diag::FileReport;
use crate::diag::Severity;
use crate::source::{Sources, Span};
use serde_sarif::sarif;
use std::collections::{BTreeMap, HashMap};

/// Where users learn about the tool: the `repository` of Cargo.toml, if set.
pub const INFORMATION_URI: Option<&str> = match option_env!("CARGO_PKG_REPOSITORY") {
    Some(r) if !r.is_empty() => Some(r),
    _ => None,
};

/// `$schema` of the log (the address GitHub's documentation uses).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of xeplint's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "xeplint/v1";

fn level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    }
}

fn level_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn n(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A path as a URI reference: relative paths stay relative (to the folder
/// xeplint ran in: in CI, the repository root), absolute ones become `file:`
/// URIs; characters outside the unreserved set are percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn message(text: impl Into<String>) -> sarif::Message {
    sarif::Message::builder().text(text.into()).build()
}

fn physical(sources: &Sources, span: Span) -> sarif::PhysicalLocation {
    let l = Location::of(sources, span);
    sarif::PhysicalLocation::builder()
        .artifact_location(sarif::ArtifactLocation::builder().uri(uri(&l.file)).build())
        .region(
            sarif::Region::builder()
                .start_line(n(l.line))
                .start_column(n(l.column))
                .end_line(n(l.end_line))
                .end_column(n(l.end_column))
                .build(),
        )
        .build()
}

fn related(id: usize, sources: &Sources, span: Span, text: &str) -> sarif::Location {
    sarif::Location::builder()
        .id(n(id))
        .physical_location(physical(sources, span))
        .message(message(text))
        .build()
}

fn descriptor(
    id: &str,
    severity: Severity,
    summary: &str,
    doc: &str,
) -> sarif::ReportingDescriptor {
    let doc = doc.trim();
    let text = if doc.is_empty() { summary } else { doc };
    sarif::ReportingDescriptor::builder()
        .id(id.to_string())
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(summary.to_string())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(text.to_string())
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(text.to_string())
                .markdown(text.to_string())
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(serde_json::Value::from(level_name(severity)))
                .build(),
        )
        .build()
}

/// A fix as SARIF has it (§3.55): one artifact change (fixes are in one
/// file) whose replacements are the edits; regions give lines and columns
/// and the byte range, which is exact.
fn sarif_fix(sources: &Sources, fix: &crate::diag::Fix) -> sarif::Fix {
    let file = fix.edits.first().map(|e| e.span.file);
    let location = file.map_or_else(String::new, |f| uri(sources.display(f)));
    let replacements: Vec<sarif::Replacement> = fix
        .edits
        .iter()
        .map(|e| {
            let l = Location::of(sources, e.span);
            let region = sarif::Region::builder()
                .start_line(n(l.line))
                .start_column(n(l.column))
                .end_line(n(l.end_line))
                .end_column(n(l.end_column))
                .byte_offset(n(l.start))
                .byte_length(n(l.end.saturating_sub(l.start)))
                .build();
            sarif::Replacement::builder()
                .deleted_region(region)
                .inserted_content(
                    sarif::ArtifactContent::builder()
                        .text(e.replacement.clone())
                        .build(),
                )
                .build()
        })
        .collect();
    sarif::Fix::builder()
        .description(message(format!(
            "{} ({})",
            fix.title,
            fix.applicability.as_str()
        )))
        .artifact_changes(vec![
            sarif::ArtifactChange::builder()
                .artifact_location(sarif::ArtifactLocation::builder().uri(location).build())
                .replacements(replacements)
                .build(),
        ])
        .build()
}

/// One document's part of the log, positions resolved: made where the
/// document's text is at hand ([`resolve`]), added to a [`Builder`] later
/// (which numbers the rules).
#[derive(Debug, Clone)]
pub struct Resolved {
    notification: Option<sarif::Notification>,
    /// One per diagnostic, in order; `ruleIndex` not yet set.
    results: Vec<sarif::Result>,
}

/// Resolve one report's positions.
pub fn resolve(r: &FileReport, sources: &Sources) -> Resolved {
    let notification = r.read_error.as_ref().map(|e| {
        sarif::Notification::builder()
            .message(message(format!("cannot read {}: {e}", r.display)))
            .level(serde_json::Value::from("error"))
            .locations(vec![
                sarif::Location::builder()
                    .physical_location(
                        sarif::PhysicalLocation::builder()
                            .artifact_location(
                                sarif::ArtifactLocation::builder()
                                    .uri(uri(&r.display))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            ])
            .build()
    });
    let mut results = Vec::with_capacity(r.diagnostics.len());
    for d in &r.diagnostics {
        let mut text = d.message.clone();
        if let Some(help) = &d.help {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        let mut primary = sarif::Location::builder()
            .physical_location(physical(sources, d.primary.span))
            .build();
        if !d.primary.message.is_empty() {
            primary.message = Some(message(d.primary.message.clone()));
        }
        let mut rel = Vec::new();
        for l in &d.secondary {
            rel.push(related(rel.len() + 1, sources, l.span, &l.message));
        }
        for note in &d.notes {
            match note.span {
                Some(s) => rel.push(related(rel.len() + 1, sources, s, &note.message)),
                None => {
                    text.push_str("\nnote: ");
                    text.push_str(&note.message);
                }
            }
        }
        let mut result = sarif::Result::builder()
            .rule_id(d.rule.to_string())
            .level(level(d.severity))
            .message(message(text))
            .locations(vec![primary])
            .build();
        if !rel.is_empty() {
            result.related_locations = Some(rel);
        }
        if let Some(fix) = &d.fix {
            result.fixes = Some(vec![sarif_fix(sources, fix)]);
        }
        if let Some(fp) = &d.fingerprint {
            result.partial_fingerprints = Some(BTreeMap::from([(
                FINGERPRINT_KEY.to_string(),
                format!("{}|{}|{fp}", d.rule, r.display),
            )]));
        }
        results.push(result);
    }
    Resolved {
        notification,
        results,
    }
}

/// Collects the log a document at a time, in input order. Positions are
/// resolved before a document is added, so its text may be released then.
#[derive(Debug)]
pub struct Builder {
    rules: Vec<sarif::ReportingDescriptor>,
    index: HashMap<String, usize>,
    results: Vec<sarif::Result>,
    notifications: Vec<sarif::Notification>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// Every rule of the registry is described, whether it finds anything.
    pub fn new() -> Builder {
        let mut rules: Vec<sarif::ReportingDescriptor> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for r in crate::rules::registry() {
            if index.contains_key(r.id) {
                continue;
            }
            index.insert(r.id.to_string(), rules.len());
            rules.push(descriptor(r.id, r.severity, r.summary, r.doc));
        }
        Builder {
            rules,
            index,
            results: Vec::new(),
            notifications: Vec::new(),
        }
    }

    /// Add the next document's report.
    pub fn add(&mut self, r: &FileReport, sources: &Sources) {
        self.push(r, resolve(r, sources));
    }

    /// Add the next document's report, resolved by [`resolve`]: number the
    /// rules its results use (a rule the registry lacks is described here).
    pub fn push(&mut self, r: &FileReport, resolved: Resolved) {
        self.notifications.extend(resolved.notification);
        for (d, mut result) in r.diagnostics.iter().zip(resolved.results) {
            let rules = &mut self.rules;
            let rule_index = *self.index.entry(d.rule.to_string()).or_insert_with(|| {
                rules.push(descriptor(d.rule, d.severity, d.rule, ""));
                rules.len() - 1
            });
            result.rule_index = Some(n(rule_index));
            self.results.push(result);
        }
    }

    pub fn finish(self) -> sarif::Sarif {
        let Builder {
            rules,
            results,
            notifications,
            ..
        } = self;
        let mut driver = sarif::ToolComponent::builder()
            .name(env!("CARGO_PKG_NAME").to_string())
            .version(env!("CARGO_PKG_VERSION").to_string())
            .semantic_version(env!("CARGO_PKG_VERSION").to_string())
            .rules(rules)
            .build();
        driver.information_uri = INFORMATION_URI.map(str::to_string);
        let mut invocation = sarif::Invocation::builder()
            .execution_successful(notifications.is_empty())
            .build();
        if !notifications.is_empty() {
            invocation.tool_execution_notifications = Some(notifications);
        }
        let run = sarif::Run::builder()
            .tool(sarif::Tool::builder().driver(driver).build())
            .results(results)
            .invocations(vec![invocation])
            .column_kind(serde_json::Value::from("unicodeCodePoints"))
            .build();
        sarif::Sarif::builder()
            .schema(SCHEMA_URI.to_string())
            .version(serde_json::to_value(sarif::Version::V2_1_0).unwrap_or_default())
            .runs(vec![run])
            .build()
    }
}

/// The report as SARIF data.
pub fn build(reports: &[FileReport], sources: &Sources) -> sarif::Sarif {
    let mut b = Builder::new();
    for r in reports {
        b.add(r, sources);
    }
    b.finish()
}

/// The report as pretty-printed SARIF JSON, ending with a newline.
pub fn render(reports: &[FileReport], sources: &Sources) -> String {
    to_text(&build(reports, sources))
}

/// Pretty-printed SARIF JSON, ending with a newline.
pub fn to_text(log: &sarif::Sarif) -> String {
    let mut s = serde_json::to_string_pretty(log).unwrap_or_default();
    s.push('\n');
    s
}

/// Write pretty-printed, ending with a newline, as [`to_text`] gives, without
/// holding the whole text.
pub fn write(log: &sarif::Sarif, mut out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, log).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris() {
        assert_eq!(uri("inbox/a b.xml"), "inbox/a%20b.xml");
        assert_eq!(uri("/srv/x.xml"), "file:///srv/x.xml");
        assert_eq!(uri("dir\\x.xml"), "dir/x.xml");
    }
}
