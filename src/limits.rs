//! Every limit xeplint enforces, in one place.
//!
//! xeplint runs on files strangers wrote. Each cost an input can drive has a
//! bound here, and the work up to it is linear in the input's size; past it,
//! the input is refused or the work stops, with a diagnostic that names the
//! limit. `docs/security.md` lists them for users; a test keeps that list
//! in step with this file.

/// Largest file read, in bytes: documents (standard input included), entity
/// files, DTDs, `xeplint.toml` and baselines. The largest XEP is under
/// 1 MiB.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Deepest element nesting followed in a document.
pub const MAX_DEPTH: usize = 1024;

/// Deepest nesting of entity references inside entity text.
pub const MAX_ENTITY_DEPTH: usize = 16;

/// Bytes of entity replacement text expanded in one document, in all.
pub const MAX_EXPANDED_BYTES: usize = 32 * 1024 * 1024;

/// Expanded bytes allowed per byte of the document (above
/// `MAX_EXPANDED_BYTES / 16`, which any document may use).
pub const MAX_AMPLIFICATION: usize = 64;

/// Well-formedness errors reported per document before the parser stops.
pub const MAX_XML_ERRORS: usize = 50;

/// Validity errors reported per document before validation stops.
pub const MAX_DTD_ERRORS: usize = 100;

/// Markup declarations (elements, attribute lists, entities, notations)
/// read from one DTD, entity file or internal subset; the rest is ignored,
/// with a diagnostic.
pub const MAX_DECLARATIONS: usize = 100_000;

/// Element names in one content model.
pub const MAX_MODEL_POSITIONS: usize = 10_000;

/// Nesting of groups in one content model.
pub const MAX_MODEL_DEPTH: usize = 64;

/// Transitions built for the content models of one DTD, in all (a model of
/// n names can need n × n of them): models past it are not compiled, and
/// their elements' content is not checked.
pub const MAX_MODEL_TRANSITIONS: usize = 4 * 1024 * 1024;

/// Nesting of parameter entities in a DOCTYPE.
pub const MAX_PE_DEPTH: usize = 8;

/// Deepest folder followed when a folder is checked.
pub const MAX_WALK_DEPTH: usize = 64;

/// Largest message the language server reads (`xeplint server`): a
/// document of [`MAX_FILE_SIZE`], escaped as JSON, fits.
pub const MAX_LSP_MESSAGE: u64 = 64 * 1024 * 1024;
/// Most XEP sources (`xep-NNNN.xml`) read for the repository view: the
/// headers of more are not read, and the repository rules say so.
pub const MAX_REPOSITORY_XEPS: usize = 20_000;

/// Most commits of a change set read for the rule `change-after-revision`
/// (the commits that changed one document since the base).
pub const MAX_HISTORY_COMMITS: usize = 200;

/// Most worker threads (`--jobs` is lowered to this, with a note).
pub const MAX_JOBS: usize = 256;

/// A byte count for messages: `16 MiB`, `512 KiB`, `300 bytes`.
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(bytes(MAX_FILE_SIZE), "16 MiB");
        assert_eq!(bytes(512 * 1024), "512 KiB");
        assert_eq!(bytes(300), "300 bytes");
        assert_eq!(bytes(16 * 1024 * 1024 + 1), "16777217 bytes");
    }
}
