//! Source files and located values.
//!
//! Every value a user writes is kept with the place it was written, so that
//! any later stage (loading, validation, sweeps) can point back at it. All
//! files of a scenario share one global byte-offset space, as rustc's source
//! map does: file `i` occupies `[base_i, base_i + len_i)`. A [`Span`] is then
//! just a range, and the [`SourceMap`] turns it back into file, line and column.

use std::cell::Cell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// A byte range in the global offset space of a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user or an `include` named it (for messages).
    pub name: String,
    /// The canonical path, used to detect include cycles.
    pub path: PathBuf,
    pub text: String,
    /// Offset of this file's first byte in the global offset space.
    pub base: usize,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The index (0-based) of the line holding local offset `at` (the last
    /// line past the end).
    pub fn line_index(&self, at: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= at)
            .saturating_sub(1)
    }

    /// The local byte range of line `index` (0-based), without its `\n`.
    pub fn line_range(&self, index: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next - 1);
        Some(start..end)
    }
}

/// A file, line and column (both 1-based), as editors and rustc print them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// All files of one scenario, in load order.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    next_base: usize,
    /// [`content_hash`](Self::content_hash), kept once computed: every
    /// point of a sweep compiles a copy of the same files, and hashing the
    /// world's half-megabyte of data took 5 ms a point.
    hash: std::sync::OnceLock<String>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its index. One padding byte separates files so
    /// that an end-of-file span never lands in the next file.
    pub fn add(&mut self, name: impl Into<String>, path: impl AsRef<Path>, text: String) -> usize {
        self.hash = std::sync::OnceLock::new();
        let base = self.next_base;
        self.next_base = base + text.len() + 1;
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            name: name.into(),
            path: path.as_ref().to_path_buf(),
            text,
            base,
            line_starts,
        });
        self.files.len() - 1
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// SHA-256 of every file's length and text, in load order, as hex: the
    /// scenario hash of the manifests. (The lengths keep the split between
    /// files from being moved without changing the hash.)
    pub fn content_hash(&self) -> &str {
        self.hash.get_or_init(|| {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            for file in &self.files {
                hasher.update((file.text.len() as u64).to_le_bytes());
                hasher.update(file.text.as_bytes());
            }
            hex(&hasher.finalize())
        })
    }

    pub fn file(&self, id: usize) -> &SourceFile {
        &self.files[id]
    }

    /// The file holding global offset `pos`.
    pub fn file_of(&self, pos: usize) -> Option<usize> {
        match self.files.binary_search_by(|f| f.base.cmp(&pos)) {
            Ok(i) => Some(i),
            Err(0) => None,
            Err(i) => Some(i - 1),
        }
    }

    /// File, line and column of the start of `span`.
    pub fn locate(&self, span: Span) -> Option<Location> {
        let id = self.file_of(span.start)?;
        let file = &self.files[id];
        let local = (span.start - file.base).min(file.text.len());
        let line = file.line_index(local);
        let column = file.text[file.line_starts[line]..local].chars().count() + 1;
        Some(Location {
            file: file.name.clone(),
            line: line + 1,
            column,
        })
    }

    /// The local byte range of `span` within its file.
    pub fn local(&self, span: Span) -> Option<(usize, Range<usize>)> {
        let id = self.file_of(span.start)?;
        let file = &self.files[id];
        let start = (span.start - file.base).min(file.text.len());
        let end = span
            .end
            .saturating_sub(file.base)
            .clamp(start, file.text.len());
        Some((id, start..end))
    }

    /// The text under `span` (empty when out of range).
    pub fn snippet(&self, span: Span) -> &str {
        match self.local(span) {
            Some((id, r)) => self.files[id].text.get(r).unwrap_or(""),
            None => "",
        }
    }
}

thread_local! {
    /// Base offset of the file being deserialized; set by the loader around
    /// each `toml` deserialization so that [`Sp`] records global spans.
    static CURRENT_BASE: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f` with located values offset by `base` (the file being parsed).
pub(crate) fn with_base<R>(base: usize, f: impl FnOnce() -> R) -> R {
    let old = CURRENT_BASE.with(|b| b.replace(base));
    let out = f();
    CURRENT_BASE.with(|b| b.set(old));
    out
}

/// A value with the span it was written at.
///
/// Deserializes through `toml::Spanned`, then shifts the span into the global
/// offset space of the file being loaded.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
    /// A value that no file wrote (defaults, programmatic changes).
    pub fn synthetic(value: T) -> Self {
        Sp {
            value,
            span: Span::default(),
        }
    }
    pub fn get(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = toml::Spanned::<T>::deserialize(d)?;
        let base = CURRENT_BASE.with(|b| b.get());
        let r = s.span();
        Ok(Sp {
            span: Span::new(r.start + base, r.end + base),
            value: s.into_inner(),
        })
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T: Ord> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Eq> Eq for Sp<T> {}

/// A digest as lower-case hex: how every hash in the manifests and point
/// files is written.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::SourceMap;

    /// The hash is kept once computed, carried by copies, and computed
    /// again when a file is added.
    #[test]
    fn content_hash_follows_the_files() {
        let mut m = SourceMap::new();
        m.add("a", "a.toml", "x = 1\n".to_string());
        let one = m.content_hash().to_string();
        assert_eq!(one.len(), 64);
        assert_eq!(m.clone().content_hash(), one);
        m.add("b", "b.toml", String::new());
        assert_ne!(
            m.content_hash(),
            one,
            "an added file, even empty, changes it"
        );
        let mut other = SourceMap::new();
        other.add("a", "a.toml", "x = 1\n".to_string());
        assert_eq!(other.content_hash(), one, "same files, same hash");
    }
}
