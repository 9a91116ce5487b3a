//! Loaded texts and spans.
//!
//! Every text xeplint reads (a document, an entity file, a DTD) becomes a
//! [`SourceFile`]. A [`Span`] is a file id and a byte range; line and column are
//! computed only when a diagnostic is reported.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Index of a file in a [`Sources`] list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: clamp_u32(start),
            end: clamp_u32(end.max(start)),
        }
    }

    /// A zero-width span at `offset`.
    pub fn point(file: FileId, offset: usize) -> Span {
        Span::new(file, offset, offset)
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both (same file assumed; otherwise `self`).
    pub fn to(&self, other: Span) -> Span {
        if self.file != other.file {
            return *self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// `s[range]`, for a range that lies inside `s` on character boundaries.
/// Any other range is a bug of the caller: debug builds (tests, fuzzing)
/// stop there; release builds answer with an empty string rather than
/// abort on a user's document.
#[track_caller]
pub fn piece<R>(s: &str, range: R) -> &str
where
    R: std::slice::SliceIndex<str, Output = str> + std::fmt::Debug + Clone,
{
    match s.get(range.clone()) {
        Some(p) => p,
        None => {
            debug_assert!(
                false,
                "{range:?} is not a piece of a text of {} bytes",
                s.len()
            );
            ""
        }
    }
}

/// `at` (clamped to `s`), or the start of the character it falls in.
pub fn floor_char(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `at` (clamped to `s`), or the end of the character it falls in.
pub fn ceil_char(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn clamp_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// One loaded text with its line index.
#[derive(Debug)]
pub struct SourceFile {
    /// The path used to open the file (for a document: as the user gave it).
    pub path: PathBuf,
    /// The path shown in diagnostics.
    pub display: String,
    /// Shared with the parser, which reads the same copy (an `Arc<String>`:
    /// the text read from disk is kept as it is, not copied into an `Arc<str>`).
    pub text: Arc<String>,
    /// Byte offsets where lines start, computed once positions have been
    /// asked for [`INDEX_AFTER`] times (most files of a run need a few
    /// positions, or none).
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// Positions asked for so far (counted up to [`INDEX_AFTER`]).
    asked: AtomicU32,
    /// The last position found without the index: its offset (high half) and
    /// the number of line ends before it (low half). Positions are mostly
    /// asked for in order, so the next one counts line ends from there.
    last: AtomicU64,
}

/// Positions found by counting line ends before a file's line index is built:
/// counting is about six times cheaper per byte than indexing, and a few
/// positions, asked for in order, cost one count up to the last of them.
const INDEX_AFTER: u32 = 16;

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, text: Arc<String>) -> SourceFile {
        SourceFile {
            path,
            display,
            text,
            line_starts: std::sync::OnceLock::new(),
            asked: AtomicU32::new(0),
            last: AtomicU64::new(0),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts
                .extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| clamp_u32(i + 1)));
            starts
        })
    }

    /// A byte offset clamped to the text and moved back to a character
    /// boundary: where [`SourceFile::line_col`] places it. Within a file,
    /// these offsets and line and column follow each other one for one.
    pub fn char_floor(&self, offset: usize) -> usize {
        floor_char(&self.text, offset)
    }

    /// Line and column of a byte offset (clamped to the text, snapped back to a
    /// character boundary). A `\r` before `\n` belongs to the line it ends.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.char_floor(offset);
        if self.line_starts.get().is_none()
            && u32::try_from(self.text.len()).is_ok()
            && self.asked.load(Ordering::Relaxed) < INDEX_AFTER
        {
            self.asked.fetch_add(1, Ordering::Relaxed);
            return self.count_line_col(offset);
        }
        let line_starts = self.line_starts();
        let line = match line_starts.binary_search(&clamp_u32(offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = line_starts.get(line).copied().unwrap_or(0) as usize;
        self.at(line, start, offset)
    }

    /// The position of `offset` on the 0-based `line` that starts at `start`.
    fn at(&self, line: usize, start: usize, offset: usize) -> LineCol {
        // A byte order mark is not a character of the text: the first
        // line's columns count from after it.
        let start = if start == 0 && self.text.starts_with('\u{FEFF}') {
            offset.min(3)
        } else {
            start
        };
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// [`SourceFile::line_col`] without the line index: line ends are counted
    /// (from the last position found, when this one lies after it). `offset`
    /// is on a character boundary, and the text shorter than 4 GiB.
    fn count_line_col(&self, offset: usize) -> LineCol {
        let bytes = self.text.as_bytes();
        let last = self.last.load(Ordering::Relaxed);
        let (last_offset, last_line) = ((last >> 32) as usize, (last & 0xffff_ffff) as usize);
        let (from, before) = if last_offset <= offset {
            (last_offset, last_line)
        } else {
            (0, 0)
        };
        let line = before
            + bytes
                .get(from..offset)
                .map_or(0, |b| memchr::memchr_iter(b'\n', b).count());
        self.last.store(
            (u64::from(clamp_u32(offset)) << 32) | u64::from(clamp_u32(line)),
            Ordering::Relaxed,
        );
        let start = bytes
            .get(..offset)
            .and_then(|b| memchr::memrchr(b'\n', b))
            .map_or(0, |i| i + 1);
        self.at(line, start, offset)
    }

    /// The 0-based number of the line holding `offset` (clamped to the
    /// text).
    pub fn line_of(&self, offset: usize) -> usize {
        let starts = self.line_starts();
        match starts.binary_search(&clamp_u32(offset.min(self.text.len()))) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The bytes of the 0-based `line`, without its line break (`\n` or
    /// `\r\n`).
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let starts = self.line_starts();
        let start = *starts.get(line)? as usize;
        let mut end = starts
            .get(line + 1)
            .map_or(self.text.len(), |&n| (n as usize).saturating_sub(1));
        if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Byte offset of the start of a 1-based line, if it exists.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        line.checked_sub(1)
            .and_then(|l| self.line_starts().get(l))
            .map(|&o| o as usize)
    }
}

/// Every file loaded in a run, shared between threads. Files are only ever
/// added, so a [`FileId`] stays valid for the whole run; a document's text may
/// be released once its diagnostics are reported ([`SourceMap::release`]).
#[derive(Debug, Default)]
pub struct SourceMap {
    /// `None`: released.
    files: std::sync::RwLock<Vec<Option<Arc<SourceFile>>>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&self, file: SourceFile) -> FileId {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(Some(Arc::new(file)));
        FileId(clamp_u32(files.len() - 1))
    }

    /// The file, unless `id` is unknown or was released.
    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).and_then(Option::clone)
    }

    /// Drop the map's hold on a file: its text and line index are freed once
    /// no snapshot or parse still holds them. The id is not reused; a span in
    /// a released file resolves as one in an unknown file does (no text,
    /// line 1, column 1, `<unknown>`), so release only what nothing will
    /// report again: a document whose diagnostics have been rendered, never an
    /// entity file or DTD that the loader's cache shares between documents.
    /// Returns whether the file was held.
    pub fn release(&self, id: FileId) -> bool {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files
            .get_mut(id.0 as usize)
            .and_then(Option::take)
            .is_some()
    }

    /// How many texts are held (not released).
    pub fn held(&self) -> usize {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.iter().filter(|f| f.is_some()).count()
    }

    /// Whether `id` was added and is still held.
    pub fn is_held(&self, id: FileId) -> bool {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).is_some_and(Option::is_some)
    }

    /// A read-only copy of the list, for reporting.
    pub fn snapshot(&self) -> Sources {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        Sources {
            files: files
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.as_ref().map(|f| (FileId(clamp_u32(i)), f.clone())))
                .collect(),
        }
    }

    /// A read-only copy of some files only (those held among `ids`): what
    /// reporting one document needs, at a cost that does not grow with the
    /// number of files loaded.
    pub fn snapshot_of(&self, ids: impl IntoIterator<Item = FileId>) -> Sources {
        let mut ids: Vec<FileId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        Sources {
            files: ids
                .into_iter()
                .filter_map(|id| {
                    let f = files.get(id.0 as usize)?.as_ref()?;
                    Some((id, f.clone()))
                })
                .collect(),
        }
    }
}

/// A snapshot of a [`SourceMap`], or of some of its files: what reporting
/// reads. Files released before it was taken are absent from it.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// Sorted by id.
    files: Vec<(FileId, Arc<SourceFile>)>,
}

impl Sources {
    pub fn get(&self, id: FileId) -> Option<&Arc<SourceFile>> {
        let i = self.files.binary_search_by_key(&id, |(i, _)| *i).ok()?;
        self.files.get(i).map(|(_, f)| f)
    }

    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }

    pub fn line_col(&self, file: FileId, offset: usize) -> LineCol {
        self.get(file)
            .map_or(LineCol { line: 1, column: 1 }, |f| f.line_col(offset))
    }

    pub fn display(&self, file: FileId) -> &str {
        self.get(file).map_or("<unknown>", |f| f.display.as_str())
    }

    pub fn path(&self, file: FileId) -> Option<&Path> {
        self.get(file).map(|f| f.path.as_path())
    }

    /// Every file held when the snapshot was taken, by id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Arc<SourceFile>)> {
        self.files.iter().map(|(id, f)| (*id, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("t.xml".into(), "t.xml".into(), Arc::new(text.into()))
    }

    #[test]
    fn line_col_counts_characters() {
        let f = file("ab\nüñï<x\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // "üñï" is 6 bytes, 3 characters
        assert_eq!(f.line_col(9), LineCol { line: 2, column: 4 });
    }

    #[test]
    fn line_col_after_crlf() {
        let f = file("a\r\nbc\r\nd");
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(7), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let f = file("\u{FEFF}<a>\n<b/>");
        assert_eq!(f.line_col(3), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 1, column: 2 });
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(7), LineCol { line: 2, column: 1 });
        let _ = f.line_starts();
        assert_eq!(f.line_col(4), LineCol { line: 1, column: 2 });
    }

    #[test]
    fn lines_by_number() {
        let f = file("ab\r\ncd\n\nlast");
        assert_eq!(f.line_range(0), Some(0..2));
        assert_eq!(f.line_range(1), Some(4..6));
        assert_eq!(f.line_range(2), Some(7..7));
        assert_eq!(f.line_range(3), Some(8..12));
        assert_eq!(f.line_range(4), None);
        assert_eq!(f.line_of(5), 1);
        assert_eq!(f.line_of(99), 3);
    }

    #[test]
    fn line_col_clamps_and_snaps() {
        let f = file("é");
        assert_eq!(f.line_col(1), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(99), LineCol { line: 1, column: 2 });
    }

    /// Positions by counting (the first ones asked for) and by the line index
    /// (once built) are the same, in any order.
    #[test]
    fn counted_positions_are_indexed_positions() {
        let text = "ab\r\nüñï<x\n\n\nlast line é\nz";
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        // Backwards, forwards, and back and forth.
        let mut order = offsets.clone();
        order.reverse();
        order.extend(offsets.iter().copied());
        offsets.sort_by_key(|&o| (o % 3, o));
        order.extend(offsets);
        let counted = file(text);
        let indexed = file(text);
        let _ = indexed.line_starts();
        for (n, &o) in order.iter().enumerate() {
            assert_eq!(
                counted.line_col(o),
                indexed.line_col(o),
                "offset {o} (call {n})"
            );
        }
        assert!(
            counted.line_starts.get().is_some(),
            "indexed after many calls"
        );
        for o in 0..=text.len() {
            let fresh = file(text);
            assert_eq!(fresh.line_col(o), indexed.line_col(o), "offset {o}");
            assert!(fresh.line_starts.get().is_none());
        }
        let empty = file("");
        assert_eq!(empty.line_col(5), LineCol { line: 1, column: 1 });
    }

    #[test]
    fn released_files_resolve_as_unknown() {
        let map = SourceMap::new();
        let doc = map.add(file("<a>\n&x;</a>\n"));
        let ent = map.add(file("<!ENTITY x 'y'>\n"));
        let before = map.snapshot();
        assert!(map.release(doc));
        assert!(!map.release(doc), "released once");
        assert!(!map.release(FileId(99)), "unknown ids are ignored");
        assert!(!map.is_held(doc) && map.is_held(ent));
        assert!(map.get(doc).is_none());
        // A snapshot taken before still reads the text.
        assert_eq!(before.text(Span::new(doc, 0, 3)), "<a>");
        let after = map.snapshot();
        let span = Span::new(doc, 4, 8);
        assert_eq!(after.text(span), "");
        assert_eq!(after.line_col(doc, 4), LineCol { line: 1, column: 1 });
        assert_eq!(after.display(doc), "<unknown>");
        assert_eq!(after.iter().map(|(id, _)| id).collect::<Vec<_>>(), [ent]);
        // Ids are not reused.
        assert_eq!(map.add(file("")), FileId(2));
        // A partial snapshot holds what was asked for and is still held.
        let some = map.snapshot_of([FileId(2), doc, ent, FileId(7), ent]);
        let ids: Vec<FileId> = some.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [ent, FileId(2)]);
        assert_eq!(some.text(Span::new(ent, 0, 8)), "<!ENTITY");
        assert_eq!(some.display(doc), "<unknown>");
    }
}
