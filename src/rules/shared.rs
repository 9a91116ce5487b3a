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
