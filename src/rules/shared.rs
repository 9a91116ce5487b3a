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
