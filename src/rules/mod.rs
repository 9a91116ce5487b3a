//! Rules: the registry of every diagnostic id, with its documentation, and the
//! XEP rules (one file per rule) that read the typed model.
//!
//! Adding a rule: write `src/rules/my_rule.rs` with `declare_rule!` and an
//! `impl Rule`, then add one line to [`XEP_RULES`] (and the `mod` line).

use crate::diag::{Diagnostic, RuleInfo};
use crate::model::{Field, Xep};
use crate::policy::Policy;
use crate::source::{SourceMap, Span};
use crate::xml::{Parsed, Tree};

/// What a rule sees.
pub struct Context<'a> {
    pub xep: &'a Xep,
    pub tree: &'a Tree,
    pub parsed: &'a Parsed,
    pub sources: &'a SourceMap,
    pub policy: &'a Policy,
    /// Whether the document has a file name (standard input given without
    /// `--stdin-filename` has none).
    pub named: bool,
    /// The document's real path, when it has one.
    pub real: Option<&'a std::path::Path>,
    /// The repository it is in ([`crate::repo`]): the repository rules apply.
    pub repo: Option<&'a crate::repo::Repository>,
    /// `--base`: the change set, and this document's change if it changed.
    pub change: Option<(
        &'a crate::repo::git::ChangeSet,
        Option<&'a crate::repo::git::Changed>,
    )>,
    /// "Today", for the rules that compare dates with it.
    pub today: Option<crate::values::Date>,
    /// Initials for a revision block a fix inserts.
    pub initials: Option<&'a str>,
}

impl Context<'_> {
    /// Whether the document is in a closed status (Obsolete, Retracted, …).
    pub fn closed(&self) -> bool {
        self.policy.is_closed(self.xep.status())
    }

    /// A diagnostic for `info` at `span`, with the severity the document's
    /// status calls for.
    pub fn diag(&self, info: &RuleInfo, span: Span, message: impl Into<String>) -> Diagnostic {
        let mut severity = info.severity;
        if self.closed()
            && let Some(&s) = self.policy.closed_severity.get(info.id)
        {
            severity = s;
        }
        let mut d = Diagnostic::new(info.id, severity, span, message);
        if severity != info.severity {
            d = d.note(format!(
                "reported as {severity} because the document's status is {}",
                self.xep.status().unwrap_or("closed")
            ));
        }
        d
    }

    /// A diagnostic at a header field; names the entity it came from.
    pub fn at_field(
        &self,
        info: &RuleInfo,
        field: &Field,
        message: impl Into<String>,
    ) -> Diagnostic {
        let d = self.diag(info, field.span, message);
        self.with_entity(d, field.origin)
    }

    /// For something that came from an entity expansion: report it at the
    /// reference in the document, with notes saying where the entity is defined.
    pub fn with_entity(&self, d: Diagnostic, origin: Option<crate::xml::ExpId>) -> Diagnostic {
        self.tree.in_document(d, origin)
    }

    /// [`Context::with_entity`] for the element `node`.
    pub fn for_node(&self, d: Diagnostic, node: crate::xml::NodeId) -> Diagnostic {
        self.with_entity(d, self.tree.node(node).and_then(|n| n.origin))
    }

    /// The place to report something missing from the header.
    pub fn header_span(&self) -> Span {
        if self.xep.header.node.is_some() {
            self.xep.header.span
        } else {
            self.xep.root_span
        }
    }
}

/// An XEP rule.
pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>);
    /// Whether the rule reads the document's file name (and so cannot
    /// judge standard input given without `--stdin-filename`).
    fn reads_file_name(&self) -> bool {
        false
    }
}

mod anchor_unique;
mod approver_missing;
mod approver_type;
mod approver_value;
mod author_duplicate;
mod author_fields;
mod change_after_revision;
mod change_date;
mod change_number;
mod change_promotion;
mod change_revision;
mod change_split;
mod change_status;
mod change_version;
mod date_format;
mod deferral_due;
mod dependency_exists;
mod dependency_status;
mod empty_field;
mod entity_missing;
mod entity_title;
mod example_xml;
mod internal_link;
mod legacy_type;
mod legal_notice;
pub mod notices;
mod number_filename;
mod number_literal;
mod number_unique;
mod proto_filename;
mod proto_number;
mod proto_status;
mod reference_status;
mod required_sections;
mod revision_date;
mod revision_order;
mod sections;
mod shared;
mod shortname_unique;
mod sig_sections;
mod status_value;
mod stylesheet;
mod superseded_status;
mod supersedes_symmetric;
pub mod suppression;
mod type_value;
mod version_status;

/// Every XEP rule, in the order `xeplint rules` lists them.
pub static XEP_RULES: &[&dyn Rule] = &[
    &number_filename::NumberFilename,
    &number_literal::NumberLiteral,
    &proto_status::ProtoStatus,
    &proto_number::ProtoNumber,
    &proto_filename::ProtoFilename,
    &status_value::StatusValue,
    &type_value::TypeValue,
    &legacy_type::LegacyType,
    &approver_value::ApproverValue,
    &approver_missing::ApproverMissing,
    &approver_type::ApproverType,
    &revision_order::RevisionOrder,
    &revision_date::RevisionDate,
    &date_format::DateFormat,
    &version_status::VersionStatus,
    &stylesheet::Stylesheet,
    &legal_notice::LegalNotice,
    &empty_field::EmptyField,
    &author_fields::AuthorFields,
    &author_duplicate::AuthorDuplicate,
    &anchor_unique::AnchorUnique,
    &internal_link::InternalLink,
    &required_sections::RequiredSections,
    &sig_sections::SigSections,
    &example_xml::ExampleXml,
];

/// The repository rules: they read the XEPs beside the document
/// ([`Context::repo`]) and apply only inside a XEP repository.
pub static REPO_RULES: &[&dyn Rule] = &[
    &number_unique::NumberUnique,
    &shortname_unique::ShortnameUnique,
    &supersedes_symmetric::SupersedesSymmetric,
    &superseded_status::SupersededStatus,
    &dependency_exists::DependencyExists,
    &dependency_status::DependencyStatus,
    &entity_missing::EntityMissing,
    &entity_title::EntityTitle,
    &reference_status::ReferenceStatus,
    &deferral_due::DeferralDue,
];

/// The change rules: they compare a document with its version at the base
/// of `--base` ([`Context::change`]).
pub static CHANGE_RULES: &[&dyn Rule] = &[
    &change_revision::ChangeRevision,
    &change_version::ChangeVersion,
    &change_date::ChangeDate,
    &change_status::ChangeStatus,
    &change_number::ChangeNumber,
    &change_promotion::ChangePromotion,
    &change_split::ChangeSplit,
    &change_after_revision::ChangeAfterRevision,
];

/// Run every XEP rule over a document.
pub fn run(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !cx.xep.is_xep {
        return out;
    }
    let editorial = cx
        .xep
        .header
        .number
        .as_ref()
        .is_some_and(|n| cx.policy.editorial.numbers.contains(&n.value.to_string()));
    let repo: &[&dyn Rule] = if cx.repo.is_some() { REPO_RULES } else { &[] };
    let change: &[&dyn Rule] = if cx.change.is_some_and(|(_, c)| c.is_some()) {
        CHANGE_RULES
    } else {
        &[]
    };
    for r in XEP_RULES.iter().chain(repo).chain(change) {
        if editorial
            && cx
                .policy
                .editorial
                .not_applied
                .iter()
                .any(|id| id == r.info().id)
        {
            continue;
        }
        if !cx.named && r.reads_file_name() {
            continue;
        }
        r.check(cx, &mut out);
    }
    out
}

/// Every rule id xeplint can emit, in the order `xeplint rules` lists them.
pub fn registry() -> Vec<&'static RuleInfo> {
    let mut all: Vec<&'static RuleInfo> = Vec::new();
    all.extend(crate::xml::rules::RULES.iter().copied());
    all.extend(crate::dtd::rules::RULES.iter().copied());
    all.extend(XEP_RULES.iter().map(|r| r.info()));
    all.extend(REPO_RULES.iter().map(|r| r.info()));
    all.extend(CHANGE_RULES.iter().map(|r| r.info()));
    all.extend(suppression::RULES.iter().copied());
    all.extend(notices::RULES.iter().copied());
    all
}

/// The rule with this id.
pub fn lookup(id: &str) -> Option<&'static RuleInfo> {
    registry().into_iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented_in_three_parts() {
        let mut seen = std::collections::HashSet::new();
        for r in registry() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                r.id
            );
            assert!(
                !r.summary.is_empty() && !r.summary.ends_with('.'),
                "{}: summary",
                r.id
            );
            let doc = r.doc_text();
            let what = doc.find("## What it checks");
            let why = doc.find("## Why it matters");
            let example = doc.find("## Example");
            assert!(
                what.is_some() && what < why && why < example,
                "{}: the doc must have the three parts in order",
                r.id
            );
            let why_text = doc
                .get(why.unwrap_or(0)..example.unwrap_or(0))
                .unwrap_or("");
            let ex = doc.get(example.unwrap_or(0)..).unwrap_or("").to_lowercase();
            if r.id.starts_with("xml-") || r.id.starts_with("dtd-") {
                assert!(
                    why_text.contains("XML 1.0 §"),
                    "{}: \"Why it matters\" must cite XML 1.0",
                    r.id
                );
            } else if XEP_RULES
                .iter()
                .chain(REPO_RULES)
                .chain(CHANGE_RULES)
                .any(|x| x.info().id == r.id)
            {
                assert!(
                    why_text.contains("XEP-0001")
                        || why_text.contains("XEP-0143")
                        || why_text.contains("XEP-0002"),
                    "{}: \"Why it matters\" must cite the XEP it enforces",
                    r.id
                );
            }
            assert!(
                ex.contains("bad") && ex.contains("good"),
                "{}: the example needs a bad and a good fragment",
                r.id
            );
        }
    }
}
