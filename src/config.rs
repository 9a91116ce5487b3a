//! Configuration: `xeplint.toml` and `--rule` settings, as plain data (what
//! level a rule has for a file, which files are ignored). The post-check
//! step ([`crate::finish`]) applies it.
//!
//! ```toml
//! entities = "xep.ent"          # paths are relative to this file's folder
//! dtd = "xep.dtd"
//! ignore = ["attic/**"]         # files skipped
//!
//! [rules]                        # rule id -> "off" | "info" | "warning" | "error"
//! unused-suppression = "error"
//!
//! [[overrides]]                  # later overrides win
//! files = ["inbox/**"]
//! rules = { unused-suppression = "warning" }
//! ```
//!

use crate::diag::Severity;
use crate::source::{LineCol, SourceFile};
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// The name looked for in the current folder and its ancestors.
pub const FILE_NAME: &str = "xeplint.toml";

/// What a rule is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub const NAMES: [&'static str; 4] = ["off", "info", "warning", "error"];

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "off" => Some(Level::Off),
            other => Severity::parse(other).map(Level::from),
        }
    }

    /// `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Info => Some(Severity::Info),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Info => Level::Info,
            Severity::Warning => Level::Warning,
            Severity::Error => Level::Error,
        }
    }
}

/// A configuration problem: a usage error naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file, or `--rule` for the command line.
    pub origin: String,
    /// Line and column in the file, when known.
    pub at: Option<LineCol>,
    /// The key concerned (`rules.xml-foo`, `overrides[1].files`), when known.
    pub key: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(at) = self.at {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    overrides: Vec<toml::Spanned<RawOverride>>,
    entities: Option<toml::Spanned<String>>,
    dtd: Option<toml::Spanned<String>>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<String>>,
    initials: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    files: Vec<toml::Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
}

const TOP_KEYS: &[&str] = &[
    "rules",
    "overrides",
    "entities",
    "dtd",
    "ignore",
    "initials",
];
const OVERRIDE_KEYS: &[&str] = &["files", "rules"];

#[derive(Debug, Clone)]
struct Override {
    files: GlobSet,
    rules: HashMap<String, Level>,
}

/// A loaded configuration (or the empty default), plus command-line rule
/// settings, which win over everything in the file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// The folder globs and relative paths are resolved against (absolute).
    pub dir: PathBuf,
    /// `entities = …`: the file, once [`Config::load`] admitted it.
    pub entities: Option<crate::load::Chosen>,
    /// `dtd = …`: the file, once [`Config::load`] admitted it.
    pub dtd: Option<crate::load::Chosen>,
    /// `initials = …`: the initials of the revision blocks fixes insert.
    pub initials: Option<String>,
    /// The paths as written, with where: admitted by [`Config::load`].
    written: Vec<(PathKey, String, usize)>,
    rules: HashMap<String, Level>,
    overrides: Vec<Override>,
    ignore: Option<GlobSet>,
    cli_rules: HashMap<String, Level>,
}

/// Every rule id xeplint knows.
fn known_ids() -> Vec<&'static str> {
    crate::rules::registry().into_iter().map(|r| r.id).collect()
}

fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::suggest::closest(word, candidates).map(|s| format!("did you mean `{s}`?"))
}

impl Config {
    /// An empty configuration based in `dir` (paths resolve against it).
    pub fn empty(dir: impl Into<PathBuf>) -> Config {
        Config {
            dir: dir.into(),
            ..Config::default()
        }
    }

    /// The project's configuration: `xeplint.toml` in `start` or the nearest
    /// folder above it holding one, looking no further than the project
    /// root (the nearest folder holding `.git` or `xeplint.toml`).
    pub fn discover(start: &Path) -> Option<PathBuf> {
        for dir in crate::gate::lexical_absolute(start).ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            if crate::gate::is_root(dir) {
                return None;
            }
        }
        None
    }

    /// Read and check a configuration file, through the gate: the file and
    /// the paths it gives must lie inside its project root.
    pub fn load(path: &Path, gate: &crate::gate::Gate) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let fail = |message: String| ConfigError {
            origin: origin.clone(),
            at: None,
            key: None,
            message,
            help: None,
        };
        let admitted = gate
            .admit_named(path)
            .map_err(|e| fail(format!("cannot read the configuration: {}", e.reason())))?;
        let bytes = gate
            .read(&admitted)
            .map_err(|e| fail(format!("cannot read the configuration: {}", e.reason())))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| fail("cannot read the configuration: it is not UTF-8 text".into()))?;
        let dir = absolute(path)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut config = Config::parse(&text, &origin, &dir)?;
        config.path = Some(path.to_path_buf());
        let place = admitted.place();
        let source = SourceFile::new(
            origin.clone().into(),
            origin.clone(),
            std::sync::Arc::new(text),
        );
        for (key, written, offset) in std::mem::take(&mut config.written) {
            let real = gate
                .admit_relative(&place, &written)
                .map_err(|e| ConfigError {
                    origin: origin.clone(),
                    at: Some(source.line_col(offset)),
                    key: Some(key.name().into()),
                    message: format!("cannot use `{written}`: {}", e.reason()),
                    help: Some(format!(
                        "name a file inside the project root `{}`",
                        place.root().display()
                    )),
                })?;
            let chosen = crate::load::Chosen::new(real.path(), key.by());
            match key {
                PathKey::Entities => config.entities = Some(chosen),
                PathKey::Dtd => config.dtd = Some(chosen),
            }
        }
        Ok(config)
    }

    /// Parse configuration text. `origin` names it in errors; `dir` is the
    /// folder relative paths and globs are resolved against.
    pub fn parse(text: &str, origin: &str, dir: &Path) -> Result<Config, ConfigError> {
        let source = SourceFile::new(
            origin.into(),
            origin.into(),
            std::sync::Arc::new(text.into()),
        );
        let at = |offset: usize| Some(source.line_col(offset));
        let err = |offset: Option<usize>, key: Option<String>, message: String, help| ConfigError {
            origin: origin.to_string(),
            at: offset.and_then(at),
            key,
            message,
            help,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start);
            match unknown_field(e.message()) {
                Some(field) => {
                    let keys = if OVERRIDE_KEYS.contains(&field.as_str())
                        || e.message().contains("`files`")
                    {
                        OVERRIDE_KEYS
                    } else {
                        TOP_KEYS
                    };
                    let help = did_you_mean(&field, keys.iter().copied())
                        .or_else(|| Some(format!("known keys: {}", keys.join(", "))));
                    err(offset, Some(field), "unknown key".into(), help)
                }
                None => err(offset, None, e.message().trim().to_string(), None),
            }
        })?;
        let known = known_ids();
        let rules_table = |table: &BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
                           prefix: &str|
         -> Result<HashMap<String, Level>, ConfigError> {
            let mut out = HashMap::new();
            for (id, level) in table {
                let key = format!("{prefix}{}", id.get_ref());
                if !known.contains(&id.get_ref().as_str()) {
                    return Err(err(
                        Some(id.span().start),
                        Some(key),
                        format!("unknown rule `{}`", id.get_ref()),
                        did_you_mean(id.get_ref(), known.iter().copied())
                            .or_else(|| Some("`xeplint rules` lists them all".into())),
                    ));
                }
                let Some(l) = Level::parse(level.get_ref()) else {
                    return Err(err(
                        Some(level.span().start),
                        Some(key),
                        format!("unknown level `{}`", level.get_ref()),
                        Some(format!(
                            "use one of {}",
                            Level::NAMES.map(|n| format!("\"{n}\"")).join(", ")
                        )),
                    ));
                };
                out.insert(id.get_ref().clone(), l);
            }
            Ok(out)
        };
        let glob_set =
            |patterns: &[toml::Spanned<String>], key: &str| -> Result<GlobSet, ConfigError> {
                let mut b = GlobSetBuilder::new();
                for p in patterns {
                    let g = glob(p.get_ref()).map_err(|e| {
                        err(
                            Some(p.span().start),
                            Some(key.to_string()),
                            format!("bad glob `{}`: {}", p.get_ref(), e.kind()),
                            None,
                        )
                    })?;
                    b.add(g);
                }
                b.build()
                    .map_err(|e| err(None, Some(key.to_string()), format!("bad glob: {e}"), None))
            };
        let rules = rules_table(&raw.rules, "rules.")?;
        let mut overrides = Vec::new();
        for (i, o) in raw.overrides.iter().enumerate() {
            let o = o.get_ref();
            let key = format!("overrides[{i}]");
            overrides.push(Override {
                files: glob_set(&o.files, &format!("{key}.files"))?,
                rules: rules_table(&o.rules, &format!("{key}.rules."))?,
            });
        }
        let ignore = if raw.ignore.is_empty() {
            None
        } else {
            Some(glob_set(&raw.ignore, "ignore")?)
        };
        // The paths are admitted by `Config::load`, which reads the file
        // through the gate; text parsed on its own names no file.
        let written = [(PathKey::Entities, &raw.entities), (PathKey::Dtd, &raw.dtd)]
            .into_iter()
            .filter_map(|(k, p)| p.as_ref().map(|p| (k, p.get_ref().clone(), p.span().start)))
            .collect();
        Ok(Config {
            path: None,
            dir: dir.to_path_buf(),
            entities: None,
            dtd: None,
            initials: raw.initials.filter(|i| !i.trim().is_empty()),
            written,
            rules,
            overrides,
            ignore,
            cli_rules: HashMap::new(),
        })
    }

    /// A `--rule ID=LEVEL` setting from the command line.
    pub fn set_rule_arg(&mut self, arg: &str) -> Result<(), ConfigError> {
        let err = |message: String, help: Option<String>| ConfigError {
            origin: "--rule".into(),
            at: None,
            key: None,
            message,
            help,
        };
        let Some((id, level)) = arg.split_once('=') else {
            return Err(err(
                format!("`{arg}` is not of the form ID=LEVEL"),
                Some("e.g. `--rule unused-suppression=off`".into()),
            ));
        };
        let (id, level) = (id.trim(), level.trim());
        let known = known_ids();
        if !known.contains(&id) {
            return Err(err(
                format!("unknown rule `{id}`"),
                did_you_mean(id, known.iter().copied())
                    .or_else(|| Some("`xeplint rules` lists them all".into())),
            ));
        }
        let Some(level) = Level::parse(level) else {
            return Err(err(
                format!("unknown level `{level}` for `{id}`"),
                Some(format!("use one of {}", Level::NAMES.join(", "))),
            ));
        };
        self.cli_rules.insert(id.to_string(), level);
        Ok(())
    }

    /// The level configured for `rule` in a document at `path` (as given on
    /// the command line), if any: command line, then the last matching
    /// override, then `[rules]`.
    pub fn level(&self, rule: &str, path: &Path) -> Option<Level> {
        if let Some(l) = self.cli_rules.get(rule) {
            return Some(*l);
        }
        if !self.overrides.is_empty() {
            let rel = self.relative(path);
            for o in self.overrides.iter().rev() {
                if let Some(l) = o.rules.get(rule)
                    && matches(&o.files, &rel)
                {
                    return Some(*l);
                }
            }
        }
        self.rules.get(rule).copied()
    }

    /// Whether `ignore` skips the file at `path`.
    pub fn is_ignored(&self, path: &Path) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|set| matches(set, &self.relative(path)))
    }

    /// `path` relative to the configuration's folder, when it lies below it;
    /// otherwise as given (lexically normalized).
    pub fn relative(&self, path: &Path) -> PathBuf {
        let abs = absolute(path);
        if let Ok(rel) = abs.strip_prefix(&self.dir) {
            return rel.to_path_buf();
        }
        // Symbolic links on the way (e.g. a temporary folder): compare real paths.
        if let (Some(real_dir), Some(real)) = (
            self.dir.canonicalize().ok(),
            abs.parent()
                .and_then(|p| p.canonicalize().ok())
                .zip(abs.file_name())
                .map(|(p, n)| p.join(n)),
        ) && let Ok(rel) = real.strip_prefix(&real_dir)
        {
            return rel.to_path_buf();
        }
        crate::gate::lexical_absolute(path)
    }
}

/// A key of `xeplint.toml` that names a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathKey {
    Entities,
    Dtd,
}

impl PathKey {
    fn name(self) -> &'static str {
        match self {
            PathKey::Entities => "entities",
            PathKey::Dtd => "dtd",
        }
    }

    /// Who chose the file, for messages.
    fn by(self) -> &'static str {
        match self {
            PathKey::Entities => "`entities` in xeplint.toml",
            PathKey::Dtd => "`dtd` in xeplint.toml",
        }
    }
}

/// The message of serde's "unknown field `x`, expected …" error: `x`.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.get(..rest.find('`')?)?.to_string())
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// A path matches when it, or one of its folders, matches (so `attic` and
/// `attic/**` both cover everything below `attic/`).
fn matches(set: &GlobSet, rel: &Path) -> bool {
    rel.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .any(|a| set.is_match(a))
}

fn absolute(path: &Path) -> PathBuf {
    crate::gate::lexical_absolute(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "xeplint.toml", Path::new("/project"))
    }

    #[test]
    fn reads_rules_overrides_and_paths() {
        let c = parse(
            r#"
entities = "ents/xep.ent"
ignore = ["attic"]
[rules]
unused-suppression = "error"
unknown-suppression = "off"
[[overrides]]
files = ["inbox/**"]
rules = { unused-suppression = "info" }
"#,
        )
        .unwrap();
        assert!(
            c.entities.is_none(),
            "named files are admitted by Config::load"
        );
        let root = Path::new("/project/xep-0001.xml");
        let inbox = Path::new("/project/inbox/x.xml");
        assert_eq!(c.level("unused-suppression", root), Some(Level::Error));
        assert_eq!(c.level("unused-suppression", inbox), Some(Level::Info));
        assert_eq!(c.level("unknown-suppression", inbox), Some(Level::Off));
        assert!(c.is_ignored(Path::new("/project/attic/old/x.xml")));
        assert!(!c.is_ignored(root));
    }

    #[test]
    fn command_line_wins() {
        let mut c = parse("[rules]\nunused-suppression = \"error\"\n").unwrap();
        c.set_rule_arg("unused-suppression=off").unwrap();
        assert_eq!(
            c.level("unused-suppression", Path::new("/project/a.xml")),
            Some(Level::Off)
        );
        let e = c.set_rule_arg("unused-supression=off").unwrap_err();
        assert!(e.to_string().contains("did you mean `unused-suppression`"));
        assert!(c.set_rule_arg("unused-suppression").is_err());
        assert!(c.set_rule_arg("unused-suppression=loud").is_err());
    }

    #[test]
    fn unknown_keys_and_rules_are_named() {
        let e = parse("rule = 1\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rule"));
        assert_eq!(e.at, Some(LineCol { line: 1, column: 1 }));
        assert!(e.to_string().contains("did you mean `rules`?"), "{e}");

        let e = parse("[[overrides]]\nfiles = []\nrule = {}\n").unwrap_err();
        assert!(e.to_string().contains("did you mean `rules`?"), "{e}");

        let e = parse("[rules]\n\nunused-supression = \"off\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("rules.unused-supression"));
        assert_eq!(e.at, Some(LineCol { line: 3, column: 1 }));
        assert!(e.to_string().contains("did you mean `unused-suppression`?"));

        let e = parse("[rules]\nunused-suppression = \"loud\"\n").unwrap_err();
        assert!(e.message.contains("unknown level"), "{e}");
    }
}
