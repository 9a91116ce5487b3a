//! Small helpers more than one rule uses.

/// The four digits of a file named `xep-NNNN.xml`.
pub fn file_number(file_name: &str) -> Option<&str> {
    let n = file_name.strip_prefix("xep-")?.strip_suffix(".xml")?;
    (n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// "a Standards Track", "an Informational".
pub fn article(name: &str) -> String {
    let first = name.chars().next().unwrap_or('x').to_ascii_lowercase();
    if "aeiou".contains(first) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

/// A fix writing `new` in place of a header value written plainly in the
/// document (not from an entity, with no reference or CDATA section in it):
/// `None` for any other, whose text cannot be replaced as it stands.
pub fn replace_value(
    cx: &super::Context<'_>,
    field: &crate::model::Field,
    new: &str,
    applicability: crate::diag::Applicability,
) -> Option<crate::diag::Fix> {
    use crate::diag::{Edit, Fix};
    if field.origin.is_some()
        || field.entity.is_some()
        || field.span.file != cx.parsed.file
        || field.value.is_empty()
    {
        return None;
    }
    let source = cx.sources.get(cx.parsed.file)?;
    if source.text.get(field.span.range())? != field.value.as_str() {
        return None;
    }
    Some(Fix::new(
        format!("replace `{}` with `{new}`", field.value),
        applicability,
        vec![Edit::replace(field.span, new)],
    ))
}

/// Whether the document is in a folder named `inbox`, where the XSF keeps
/// proto-XEPs.
pub fn in_inbox(cx: &super::Context<'_>) -> bool {
    cx.sources
        .get(cx.parsed.file)
        .and_then(|f| {
            f.path
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n == "inbox")
        })
        .unwrap_or(false)
}

/// The white space before the element `id` on its line ("\n  "), to give an
/// element inserted after it the same indentation.
pub fn indent_before(cx: &super::Context<'_>, id: crate::xml::NodeId) -> Option<String> {
    let node = cx.tree.node(id)?;
    let source = cx.sources.get(node.span.file)?;
    let before = source.text.get(..node.span.start as usize)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    line.chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| format!("\n{line}"))
}

/// Fixes of a proto-XEP's number and status: safe in `inbox/`, where only
/// proto-XEPs are; elsewhere the file may be a XEP misnamed, and a person
/// should look.
pub fn proto_applicability(cx: &super::Context<'_>) -> crate::diag::Applicability {
    if in_inbox(cx) {
        crate::diag::Applicability::Safe
    } else {
        crate::diag::Applicability::Unsafe
    }
}

/// The document's `<number>` as a number (none for a proto-XEP's `xxxx`).
pub fn doc_number(xep: &crate::model::Xep) -> Option<u32> {
    let n = xep.header.number.as_ref()?;
    (!n.value.is_empty() && n.value.len() <= 5 && n.value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| n.value.parse().ok())
        .flatten()
}

/// `XEP-0030` for 30.
pub fn xep_name(n: u32) -> String {
    format!("XEP-{n:04}")
}

/// The status a source value stands for (`Stable` read as `Draft`).
pub fn canonical_status<'a>(policy: &'a crate::policy::Policy, status: &'a str) -> &'a str {
    policy
        .status_aliases
        .get(status)
        .map_or(status, String::as_str)
}

/// The version of a revision, if it has one.
pub fn version_of(r: &crate::model::Revision) -> Option<&str> {
    r.version.as_ref().map(|v| v.value.as_str())
}

/// The top version of a header read by the repository scan.
pub fn base_top_version(head: &crate::repo::scan::Head) -> Option<&str> {
    head.revision
        .as_ref()
        .and_then(|r| r.version.as_ref())
        .map(|v| v.value.as_str())
}

/// The revisions added since the base: those above the one whose version is
/// the base's top version (all of them when the base had none).
pub fn new_revisions<'a>(
    xep: &'a crate::model::Xep,
    base: &crate::repo::scan::Head,
) -> &'a [crate::model::Revision] {
    let revs = &xep.header.revisions;
    let Some(top) = base_top_version(base) else {
        return if base.revisions == 0 { revs } else { &[] };
    };
    // The base's top revision, by its version (`0.3` and `0.3.0` are one
    // version: a change may rewrite old versions in three parts); failing
    // that, the revisions beyond the base's count are the new ones.
    let same = |r: &crate::model::Revision| {
        version_of(r).is_some_and(|v| {
            v == top
                || matches!(
                    (crate::values::Version::parse(v), crate::values::Version::parse(top)),
                    (Some(a), Some(b)) if a == b
                )
        })
    };
    let k = revs
        .iter()
        .position(same)
        .unwrap_or_else(|| revs.len().saturating_sub(base.revisions));
    revs.get(..k).unwrap_or_default()
}

/// `x.y.z`: three numbers.
pub fn three_parts(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The next patch version after `v` (`1.2.3` → `1.2.4`, `1.2` → `1.2.1`).
pub fn next_patch(v: &str) -> String {
    let nums: Vec<u64> = v
        .split('.')
        .map(|p| {
            p.bytes().take_while(u8::is_ascii_digit).fold(0u64, |n, b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            })
        })
        .collect();
    let major = nums.first().copied().unwrap_or(0);
    let minor = nums.get(1).copied().unwrap_or(0);
    let patch = nums.get(2).map_or(1, |p| p.saturating_add(1));
    format!("{major}.{minor}.{patch}")
}

/// A short commit id.
pub fn short_commit(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// "A, B or C".
pub fn either(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
