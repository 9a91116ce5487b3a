//! Policy as data: `schemas/policy.toml`, compiled into the binary.

use crate::diag::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub statuses: Vec<String>,
    pub closed_statuses: Vec<String>,
    #[serde(default)]
    pub status_aliases: BTreeMap<String, String>,
    pub proto: Proto,
    pub editorial: Editorial,
    pub types: Types,
    pub approvers: Approvers,
    #[serde(default)]
    pub version_status: Vec<VersionStatus>,
    #[serde(default)]
    pub closed_severity: BTreeMap<String, Severity>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
    pub files: Files,
    pub fixes: Fixes,
    /// What each status, type and approver means (shown on hover).
    #[serde(default)]
    pub meanings: Meanings,
    pub repository: RepositoryPolicy,
    pub lifecycle: Lifecycle,
}

/// What fixes may insert (see `[fixes]` in `schemas/policy.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixes {
    /// Elements whose empty form means "none": inserted when missing.
    pub empty_means_none: Vec<String>,
    /// Required elements with a placeholder value (element → value):
    /// inserted when missing by an unsafe fix.
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
}

/// What XEP-0001 says each header value means.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meanings {
    #[serde(default)]
    pub status: BTreeMap<String, String>,
    #[serde(default, rename = "type")]
    pub type_: BTreeMap<String, String>,
    #[serde(default)]
    pub approver: BTreeMap<String, String>,
}

/// What the repository and change rules compare (see `[repository]` in
/// `schemas/policy.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryPolicy {
    pub shortname_placeholders: Vec<String>,
    pub superseded_statuses: Vec<String>,
    pub superseding_statuses: Vec<String>,
    pub retired_statuses: Vec<String>,
    pub reference_statuses: Vec<String>,
    pub deferral_status: String,
    pub deferral_months: u32,
    pub promoted_status: String,
    pub promoted_version: String,
    pub entity_from: String,
    /// From this day on (`YYYY-MM-DD`), a new revision's version has three
    /// parts (`change-version`): the day the editors' tools began to require
    /// it. A check whose "today" is earlier (`--today`) does not ask for it.
    #[serde(deserialize_with = "date")]
    pub three_part_versions_since: crate::values::Date,
}

/// A `YYYY-MM-DD` date of the policy, read once.
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<crate::values::Date, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    crate::values::Date::parse(&text)
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a YYYY-MM-DD date")))
}

impl RepositoryPolicy {
    /// Whether new versions must have three parts on `today` (always, when
    /// `today` is unknown).
    pub fn three_parts_required(&self, today: Option<crate::values::Date>) -> bool {
        today.is_none_or(|today| today >= self.three_part_versions_since)
    }

    /// Whether a status is one of [`RepositoryPolicy::retired_statuses`].
    pub fn is_retired(&self, status: Option<&str>) -> bool {
        status.is_some_and(|s| self.retired_statuses.iter().any(|r| r == s))
    }

    /// Whether a status is one of [`RepositoryPolicy::superseding_statuses`].
    pub fn supersedes_in(&self, status: Option<&str>) -> bool {
        status.is_some_and(|s| self.superseding_statuses.iter().any(|r| r == s))
    }

    /// Whether a shortname stands for "none yet".
    pub fn is_placeholder(&self, shortname: &str) -> bool {
        let key = |s: &str| -> String {
            s.chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-'))
                .flat_map(char::to_lowercase)
                .collect()
        };
        let k = key(shortname);
        k.is_empty() || self.shortname_placeholders.iter().any(|p| key(p) == k)
    }
}

/// The XEP-0001 life cycle: the statuses each status may change to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Where it comes from, cited in findings.
    pub source: String,
    pub next: BTreeMap<String, Vec<String>>,
}

impl Lifecycle {
    /// Whether `from` may change to `to` (both as written in a source,
    /// aliases such as `Stable` read as the value they stand for).
    pub fn allows(&self, from: &str, to: &str) -> Option<bool> {
        Some(self.next.get(from)?.iter().any(|s| s == to))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proto {
    pub status: String,
    pub numbers: Vec<String>,
}

/// Documents of the editors kept beside the XEPs (the README): see
/// `schemas/policy.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Editorial {
    /// The `<number>` values that mark such a document.
    pub numbers: Vec<String>,
    /// The rules that do not apply to them.
    pub not_applied: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Types {
    pub allowed: Vec<String>,
    /// Legacy type → the numbers of the documents allowed to keep it.
    #[serde(default)]
    pub legacy: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvers {
    pub allowed: Vec<String>,
    /// Approver → the types it may approve.
    #[serde(default)]
    pub types: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionStatus {
    pub statuses: Vec<String>,
    pub below: Option<String>,
    pub from: Option<String>,
    pub describe: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub title_types: Vec<String>,
    #[serde(default)]
    pub title_words: Vec<String>,
    pub rule: String,
    /// The document that asks for these sections (cited in diagnostics).
    pub source: String,
    pub required: Vec<String>,
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Other topics that satisfy a section (its older names).
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    pub stylesheet: String,
    pub legal_entity: String,
}

/// The policy bundled with xeplint.
pub const BUNDLED: &str = include_str!("../schemas/policy.toml");

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The bundled policy (checked by a test, so this cannot fail in a release).
    pub fn bundled() -> &'static Policy {
        static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
        POLICY.get_or_init(|| {
            Policy::parse(BUNDLED).unwrap_or_else(|e| {
                // Unreachable in a tested build: the bundled file is parsed by a unit test.
                eprintln!("xeplint: the bundled policy is broken: {e}");
                std::process::exit(70)
            })
        })
    }

    pub fn is_closed(&self, status: Option<&str>) -> bool {
        status.is_some_and(|s| self.closed_statuses.iter().any(|c| c == s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_policy_parses() {
        let p = Policy::parse(BUNDLED).expect("bundled policy");
        let day = |s: &str| crate::values::Date::parse(s).ok();
        let repo = &p.repository;
        assert_eq!(day("2022-12-20"), Some(repo.three_part_versions_since));
        let broken = BUNDLED.replace(
            "three_part_versions_since = \"2022-12-20\"",
            "three_part_versions_since = \"2022-13-20\"",
        );
        assert_ne!(broken, BUNDLED);
        let e = Policy::parse(&broken).expect_err("a month 13");
        assert!(e.contains("not a YYYY-MM-DD date"), "{e}");
        assert!(repo.three_parts_required(day("2026-01-01")));
        assert!(!repo.three_parts_required(day("2020-01-01")));
        assert!(repo.three_parts_required(None));
        assert!(p.statuses.iter().any(|s| s == "ProtoXEP"));
        assert_eq!(
            p.status_aliases.get("Stable").map(String::as_str),
            Some("Draft")
        );
        assert!(p.profiles.iter().any(|x| x.rule == "sig-sections"));
        for (from, to) in &p.lifecycle.next {
            for s in std::iter::once(from).chain(to) {
                assert!(p.statuses.contains(s), "lifecycle names unknown status {s}");
            }
        }
        assert!(p.repository.is_placeholder("NOT_YET_ASSIGNED"));
        assert!(!p.repository.is_placeholder("disco"));
        for rule in p.closed_severity.keys() {
            assert!(
                crate::rules::lookup(rule).is_some(),
                "closed_severity names unknown rule {rule}"
            );
        }
    }
}
