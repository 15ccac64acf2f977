//! Loading scenario files: includes, per-entity parsing, explicit overrides.
//!
//! Each file is parsed into a TOML document first, then every entity
//! (`[[facility]]`, `[[shock]]`, ...) is deserialized on its own, so one bad
//! entity does not hide the problems of the others: the loader reports every
//! syntax, type and unknown-key error of every file at once.
//!
//! Files listed in `include` are loaded before the including file, depth
//! first, each at most once. An entity whose id was already defined is an
//! error unless it says `override = true`; then the fields it sets replace
//! the earlier ones and the others are kept. Tables keyed by id (a
//! facility's `recipe` and `capital`, a market's `demand`) merge entry by
//! entry, so an override can change one input or one product's demand
//! without restating the rest.
//!
//! serde's messages name Rust types ("expected f64", "unknown variant");
//! the loader rewrites them in the words of the scenario language, with the
//! key that is wrong and a hint of how to write it.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::*;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean, unknown_name};
use crate::source::{SourceMap, Span, with_base};

/// A loaded scenario: every file's definitions merged in load order.
#[derive(Debug, Default)]
pub struct Scenario {
    pub sources: SourceMap,
    pub merged: ScenarioFile,
}

/// Where scenario files come from: the disk, or the copy of the shipped
/// scenarios embedded in the binary.
pub trait SourceFs {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// A stable identity for `path` (to load a file once and detect cycles).
    fn identity(&self, path: &Path) -> PathBuf;
}

/// The real file system.
pub struct DiskFs;

/// The largest scenario file read (the shipped world is under 1 MiB): a
/// path to something endless (`/dev/zero`) is refused, not read forever.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// A file whose bytes are not UTF-8 text, kept so the error can show the
/// line and column of the first byte that is not (it travels inside the
/// `io::Error` of [`read_text_file`]; [`NotUtf8::of`] takes it out).
#[derive(Debug)]
pub struct NotUtf8 {
    /// The text with each byte sequence that is not UTF-8 replaced by
    /// U+FFFD: what the error can show.
    pub lossy: String,
    /// Where the first such sequence starts (the same offset in the bytes
    /// and in `lossy`, where it is one U+FFFD).
    pub at: usize,
    /// Its first byte.
    pub byte: u8,
    /// Whether the file starts with UTF-16's byte-order mark.
    pub utf16: bool,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not UTF-8 text (byte {} is not part of a character)",
            self.at
        )
    }
}

impl std::error::Error for NotUtf8 {}

impl NotUtf8 {
    fn new(bytes: &[u8], at: usize) -> Self {
        NotUtf8 {
            lossy: String::from_utf8_lossy(bytes).into_owned(),
            at,
            byte: bytes.get(at).copied().unwrap_or(0),
            utf16: bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]),
        }
    }

    /// A read's text, or the text that was not UTF-8, or the error.
    pub fn split(read: std::io::Result<String>) -> std::io::Result<Result<String, NotUtf8>> {
        match read {
            Ok(text) => Ok(Ok(text)),
            Err(e) => Self::of(e).map(Err),
        }
    }

    /// The text that was not UTF-8, if that is why `e` was returned.
    fn of(e: std::io::Error) -> Result<NotUtf8, std::io::Error> {
        if e.get_ref().is_some_and(|inner| inner.is::<NotUtf8>()) {
            if let Some(inner) = e.into_inner() {
                return inner
                    .downcast::<NotUtf8>()
                    .map(|b| *b)
                    .map_err(|other| std::io::Error::new(std::io::ErrorKind::InvalidData, other));
            }
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidData));
        }
        Err(e)
    }

    /// The error, at the first byte that is not UTF-8 (`base`: where
    /// `lossy` starts in its source map).
    pub fn diagnostic(&self, base: usize) -> Diagnostic {
        // The sequence is one U+FFFD in `lossy`.
        let end = self.at + char::REPLACEMENT_CHARACTER.len_utf8();
        let hint = if self.utf16 {
            "the file is UTF-16 text: save it as UTF-8".to_string()
        } else if self.byte >= 0xa0 {
            format!(
                "save the file as UTF-8: the text was saved in another encoding (in Latin-1 \
                 and Windows-1252, byte 0x{:02X} is `{}`)",
                self.byte,
                char::from(self.byte)
            )
        } else {
            "save the file as UTF-8: the text was saved in another encoding, or the file \
             is not text"
                .to_string()
        };
        Diagnostic::new(
            format!(
                "the file is not UTF-8 text: byte 0x{:02X} is not part of a character",
                self.byte
            ),
            Span::new(base + self.at, base + end),
        )
        .label("not UTF-8")
        .hint(hint)
    }
}

/// Reads a text file the user named (a scenario, an include, a sweep
/// file): a directory, a file over [`MAX_FILE_BYTES`] (or endless, such as
/// `/dev/zero`) and text that is not UTF-8 (a [`NotUtf8`] inside the
/// error) are refused, each saying so.
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MiB, the most a scenario or sweep file may be",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            NotUtf8::new(e.as_bytes(), at),
        )
    })
}

impl SourceFs for DiskFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        read_text_file(path)
    }
    fn identity(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
    }
}

/// An in-memory file system (the shipped scenarios, tests).
pub struct MemoryFs {
    pub files: Vec<(PathBuf, String)>,
}

impl SourceFs for MemoryFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let want = normalize(path);
        self.files
            .iter()
            .find(|(p, _)| normalize(p) == want)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
    fn identity(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}

/// Lexical path normalisation (`a/./b/../c` → `a/c`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        // (`a/..` or `.`: the directory itself, not no path.)
        out.push(".");
    }
    out
}

/// Why a scenario could not even be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The top-level file could not be read (a usage or I/O problem, not a
    /// problem with the scenario's contents).
    #[error("cannot read scenario `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Loads `path` and everything it includes, from disk.
///
/// Returns the merged scenario and every problem found while loading; an
/// `Err` only when the top-level file cannot be read.
pub fn load_scenario(path: &Path) -> Result<(Scenario, Diagnostics), LoadError> {
    load_with(&DiskFs, path)
}

/// Loads a scenario from a string (include paths resolve against the
/// current directory).
pub fn load_scenario_str(name: &str, text: &str) -> (Scenario, Diagnostics) {
    let fs = MemoryFs {
        files: vec![(PathBuf::from(name), text.to_string())],
    };
    match load_with(&fs, Path::new(name)) {
        Ok(x) => x,
        Err(e) => {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::global(e.to_string()));
            (Scenario::default(), d)
        }
    }
}

/// Loads `path` through `fs`.
pub fn load_with(fs: &dyn SourceFs, path: &Path) -> Result<(Scenario, Diagnostics), LoadError> {
    let text = NotUtf8::split(fs.read(path)).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut loader = Loader {
        fs,
        sources: SourceMap::new(),
        diags: Diagnostics::default(),
        merged: Merged::default(),
        done: Vec::new(),
        stack: Vec::new(),
        files_defined: 0,
    };
    match text {
        Ok(text) => loader.load_file(path, text),
        Err(not_utf8) => loader.not_utf8(path, not_utf8),
    }
    let Loader {
        sources,
        mut diags,
        merged,
        ..
    } = loader;
    let merged = merged.finish(&mut diags);
    // Sections are met in the TOML table's order, not the file's; the user
    // reads each file top to bottom (files in the order they were read).
    diags
        .items
        .sort_by_key(|d| d.span.map_or(usize::MAX, |s| s.start));
    Ok((Scenario { sources, merged }, diags))
}

struct Loader<'a> {
    fs: &'a dyn SourceFs,
    sources: SourceMap,
    diags: Diagnostics,
    merged: Merged,
    /// Identities of files already loaded.
    done: Vec<PathBuf>,
    /// The include chain being loaded (for cycle messages).
    stack: Vec<(PathBuf, String)>,
    /// Files whose definitions have been read, in load order.
    files_defined: usize,
}

/// How many files deep includes may nest below the top-level file. Each
/// level is a few stack frames of the loader, so an endless generated
/// chain is refused here rather than overflowing the stack; hand-written
/// scenarios nest a handful deep.
pub const MAX_INCLUDE_DEPTH: usize = 100;

pub(super) const SECTIONS: &[&str] = &[
    "include", "meta", "bloc", "country", "product", "facility", "market", "link", "sourcing",
    "shock", "policy", "variant",
];

impl Loader<'_> {
    fn load_file(&mut self, path: &Path, text: String) {
        let identity = self.fs.identity(path);
        let name = path.display().to_string();
        self.done.push(identity.clone());
        self.stack.push((identity, name.clone()));
        let file_id = self.sources.add(name, path, text);
        let base = self.sources.file(file_id).base;
        // Borrow the text from the source map for the parse.
        let text = self.sources.file(file_id).text.clone();
        let (doc, errors) = DeTable::parse_recoverable(&text);
        if !errors.is_empty() {
            self.diags
                .extend(super::syntax::explain(&text, base, errors));
            self.stack.pop();
            return;
        }
        let doc = doc.into_inner();

        // Includes first, so this file's definitions come after theirs.
        if let Some((k, v)) = doc.get_key_value("include") {
            let key_span = shift(base, k.span());
            match with_base(base, || {
                Vec::<Sp<String>>::deserialize(ValueDeserializer::from(v.clone()))
            }) {
                Ok(list) => {
                    for inc in list {
                        self.include(path, &inc);
                    }
                }
                Err(e) => {
                    let d = Diagnostic::new(
                        format!("`include` must be a list of file paths: {}", e.message()),
                        e.span().map(|s| shift(base, s)).unwrap_or(key_span),
                    )
                    .hint("write `include = [\"world/base.toml\", \"shocks/taiwan.toml\"]`");
                    self.diags.push(d);
                }
            }
        }

        // This file's definitions come after those of every file loaded so
        // far, its includes among them.
        let rank = self.files_defined;
        self.files_defined += 1;
        for (key, value) in doc.iter() {
            let section = key.get_ref().as_ref();
            let key_span = shift(base, key.span());
            macro_rules! array {
                ($field:ident, $ty:ty $(, |$x:ident, $at:ident| $set:expr)?) => {{
                    match value.get_ref() {
                        DeValue::Array(items) => {
                            for item in items.iter() {
                                let context = Context::Entry(stringify!($field));
                                #[allow(unused_mut)]
                                if let Some(mut x) = self.entity::<$ty>(base, item, context) {
                                    $({
                                        let ($x, $at) = (&mut x, item.span().start);
                                        $set;
                                    })?
                                    self.merged.$field.push(x);
                                }
                            }
                        }
                        _ => {
                            let before = text.get(..key.span().start).unwrap_or_default();
                            let header = before.trim_end().ends_with('[');
                            let problem = not_an_array_of_tables(section, section, header);
                            self.diags.push(
                                Diagnostic::new(problem.message, key_span).hint_opt(problem.hint),
                            );
                        }
                    }
                }};
            }
            match section {
                "include" => {}
                "meta" => {
                    if let Some(m) = self.entity::<Meta>(base, value, Context::Meta) {
                        self.merged.meta.push((key_span, m));
                    }
                }
                "bloc" => array!(bloc, Bloc),
                "country" => array!(country, Country),
                "product" => array!(product, Product),
                "facility" => array!(facility, Facility),
                "market" => array!(market, Market),
                "link" => array!(link, Link, |x, at| x.order = (rank, at)),
                "sourcing" => array!(sourcing, Sourcing, |x, at| x.order = (rank, at)),
                "shock" => array!(shock, Shock),
                "policy" => array!(policy, Policy),
                "variant" => array!(variant, Variant),
                other => {
                    let hint = if matches!(other, "sweep" | "axis") {
                        // A sweep file given where a scenario is expected.
                        "this looks like a sweep file: run it with `chipshock sweep FILE --out DIR` \
                         (docs/SWEEPS.md)"
                            .to_string()
                    } else {
                        did_you_mean(other, SECTIONS.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("valid sections: {}", SECTIONS.join(", ")))
                    };
                    self.diags.push(
                        Diagnostic::new(format!("unknown section `{other}`"), key_span)
                            .label("not a scenario section")
                            .hint(hint),
                    );
                }
            }
        }
        self.stack.pop();
    }

    /// Records a file that is not UTF-8: shown as far as it can be, at
    /// its first byte that is not; nothing of it is read.
    fn not_utf8(&mut self, path: &Path, mut n: NotUtf8) {
        let text = std::mem::take(&mut n.lossy);
        let id = self.sources.add(path.display().to_string(), path, text);
        self.diags.push(n.diagnostic(self.sources.file(id).base));
    }

    fn include(&mut self, from: &Path, inc: &Sp<String>) {
        let dir = from.parent().unwrap_or(Path::new(""));
        let target = normalize(&dir.join(&inc.value));
        // `stack` holds the top-level file and the includes leading here.
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            let first = self.stack.first().map_or("", |(_, n)| n.as_str());
            self.diags.push(
                Diagnostic::new(
                    format!(
                        "includes nest more than {MAX_INCLUDE_DEPTH} deep: {first} → … → {} → {}",
                        from.display(),
                        target.display()
                    ),
                    inc.span,
                )
                .label("one include too deep; not loaded")
                .hint(
                    "include the files side by side from one file, `include = [\"a.toml\", \"b.toml\"]`, \
                     rather than each from the one before",
                ),
            );
            return;
        }
        let identity = self.fs.identity(&target);
        if let Some(pos) = self.stack.iter().position(|(id, _)| *id == identity) {
            let mut chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(target.display().to_string());
            self.diags.push(
                Diagnostic::new(format!("include cycle: {}", chain.join(" → ")), inc.span)
                    .label("this include closes the cycle")
                    .hint("move the shared definitions into a file that both include"),
            );
            return;
        }
        if self.done.contains(&identity) {
            return; // already loaded through another include
        }
        match NotUtf8::split(self.fs.read(&target)) {
            Ok(Ok(text)) => self.load_file(&target, text),
            Ok(Err(not_utf8)) => {
                self.done.push(identity);
                self.not_utf8(&target, not_utf8);
            }
            Err(e) => self.diags.push(
                Diagnostic::new(
                    format!(
                        "cannot read included file `{}` (resolved to `{}`): {e}",
                        inc.value,
                        // `dir/.` normalises to nothing: the including
                        // file's own directory.
                        if target.as_os_str().is_empty() {
                            Path::new(".").display()
                        } else {
                            target.display()
                        }
                    ),
                    inc.span,
                )
                .label("included here")
                .hint("include paths are relative to the including file"),
            ),
        }
    }

    /// Reads one entity (`[meta]` or a `[[section]]` entry), recording its
    /// errors; `None` if it has any.
    ///
    /// serde stops at an entity's first error, so a user who misspelt three
    /// keys would fix them in three rounds. An unknown key is recorded and
    /// then read as the key it most likely meant (the hint's), or taken out
    /// when none is near, and the entity is read again, until it reads or
    /// an error of another kind is recorded: every unknown key is reported
    /// at once, with the first other error. What can only follow from that
    /// repair is left unsaid: a missing key after one was taken out, or a
    /// value that does not fit the key it was read as.
    fn entity<T: for<'de> Deserialize<'de>>(
        &mut self,
        base: usize,
        item: &toml::Spanned<DeValue<'_>>,
        context: Context,
    ) -> Option<T> {
        let read = |v: &toml::Spanned<DeValue<'_>>| {
            with_base(base, || T::deserialize(ValueDeserializer::from(v.clone())))
        };
        let mut e = match read(item) {
            Ok(x) => return Some(x),
            Err(e) => e,
        };
        let mut item = item.clone();
        // Where the repairs were: keys read as another (the key's span, its
        // value's), and whether a key was taken out.
        let mut renamed: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut removed = false;
        loop {
            let message = e.message();
            let inside = e.span().and_then(|at| {
                renamed
                    .iter()
                    .position(|(_, v)| v.start <= at.start && at.end <= v.end)
            });
            if let Some(k) = inside {
                // The value does not fit the key it was read as (so that key
                // was probably not meant): take it out and read on, for the
                // other keys' sake.
                let (key, _) = renamed.swap_remove(k);
                if matches!(repair_key(item.get_mut(), &key, None), Repair::NotFound) {
                    break;
                }
                removed = true;
                match read(&item) {
                    Ok(_) => break,
                    Err(next) => {
                        e = next;
                        continue;
                    }
                }
            }
            if removed && message.starts_with("missing field `") {
                break;
            }
            self.toml_error(base, &e, context, Some(item.get_ref()));
            let message = as_unknown_field(message).unwrap_or_else(|| message.to_string());
            let meant = unknown_name(&message, "field")
                .and_then(|(wanted, valid)| did_you_mean(wanted, valid.iter().copied()));
            let Some(span) = e.span().filter(|_| message.starts_with("unknown field `")) else {
                break;
            };
            match repair_key(item.get_mut(), &span, meant.as_deref()) {
                Repair::Renamed(value) => renamed.push((span.clone(), value)),
                Repair::Removed => removed = true,
                Repair::NotFound => break,
            }
            match read(&item) {
                Ok(_) => break,
                Err(next) => e = next,
            }
        }
        None
    }

    /// Records a TOML or serde error at its place, in the words of the
    /// scenario language (see [`explain`]).
    fn toml_error(
        &mut self,
        base: usize,
        e: &toml::de::Error,
        context: Context,
        value: Option<&DeValue>,
    ) {
        let span = e
            .span()
            .map(|s| shift(base, s))
            .unwrap_or(Span::new(base, base));
        let raw = e.message().trim();
        let section = match context {
            Context::Meta => "meta",
            Context::Entry(section) => section,
        };
        let path = error_path(e);
        let problem = if is_list_at(value, &path)
            && !is_array_of_tables(section, &path)
            && (path.is_empty()
                || raw.ends_with("expected a sequence")
                || raw.contains("expected struct"))
        {
            // serde's message is about the list's first item; the mistake
            // is the list itself.
            table_written_as_list(section, &path)
        } else if let Some(field) = raw
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            Problem::new(
                raw,
                missing_field_hint(section, &path, field, overrides(value)),
            )
        } else {
            explain(section, &path, raw, self.sources.snippet(span))
        };
        let place = match (context, path.first()) {
            (Context::Meta, _) => "[meta]".to_string(),
            // An error inside one element of a nested array of tables names
            // that element (`[[shock.trigger]]`), not the entity around it;
            // an error about the array as a whole names the entity.
            (_, Some(key))
                if is_array_of_tables(section, &path[..1])
                    && !raw.ends_with("expected a sequence") =>
            {
                format!("a [[{section}.{key}]] entry")
            }
            _ => format!("a [[{section}]] entry"),
        };
        self.diags.push(
            Diagnostic::new(format!("{} (in {place})", problem.message), span)
                .hint_opt(problem.hint),
        );
    }
}

/// Whether the raw entity says `override = true`.
fn overrides(value: Option<&DeValue>) -> bool {
    let Some(DeValue::Table(t)) = value else {
        return false;
    };
    t.iter().any(|(k, v)| {
        k.get_ref().as_ref() == "override" && matches!(v.get_ref(), DeValue::Boolean(true))
    })
}

/// An id for the example of a hint, one of the shipped world's.
fn example_id(section: &str) -> &'static str {
    match section {
        "bloc" => "us_allies",
        "country" => "TW",
        "product" => "eda_software",
        "facility" => "tsmc_tw_lt10",
        "market" => "us_automotive",
        "shock" => "taiwan_blockade",
        "policy" => "chips_intel_ohio",
        "variant" => "reshoring",
        _ => "x",
    }
}

/// How to give the key `field` that the table at `path` of a
/// `[[section]]` entry lacks (`overrides`: the entry says `override =
/// true`).
fn missing_field_hint(section: &str, path: &[String], field: &str, overrides: bool) -> String {
    match path {
        [] if field == "id" && overrides => format!(
            "an override names the entry it changes by its id: write it below `[[{section}]]`, \
             e.g. `id = \"{}\"`",
            example_id(section)
        ),
        [] if field == "id" => format!(
            "every [[{section}]] entry needs an id, distinct from every other {section}'s: \
             write it below `[[{section}]]`, e.g. `id = \"{}\"`",
            example_id(section)
        ),
        [table, key] if matches!(table.as_str(), "demand" | "capital") => {
            let (a, b) = if table == "demand" {
                ("units_per_week", "lost_usd_per_unit")
            } else {
                ("units_per_week", "erosion_per_week")
            };
            let header = format!("[{section}.{table}.{key}]");
            if overrides {
                format!(
                    "write `{field} = ...` in {header}: an override replaces the earlier `{key}` \
                     entry whole, keeping none of its values, so it gives both `{a}` and `{b}`"
                )
            } else {
                format!("write `{field} = ...` in {header}: each entry gives both `{a}` and `{b}`")
            }
        }
        _ => {
            let table = match path {
                [] => format!("[[{section}]] entry"),
                [key] if is_array_of_tables(section, path) => format!("[[{section}.{key}]]"),
                _ => format!("[{section}.{}]", path.join(".")),
            };
            format!("add `{field} = ...`: every {table} needs it (docs/SCENARIOS.md)")
        }
    }
}

/// serde's message for an unknown key, `unknown field `x`, expected one of
/// `a`, `b``, from toml's for a table read into a map of known keys (a
/// distribution's parameters): "unexpected keys in table: x, available
/// keys: a, b". The error's span is the first unexpected key's.
fn as_unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unexpected keys in table: ")?;
    let (unexpected, available) = rest.split_once(", available keys: ")?;
    let first = unexpected.split(", ").next()?;
    let valid: Vec<String> = available
        .split(", ")
        .map(|k| format!("`{}`", k.trim()))
        .collect();
    Some(format!(
        "unknown field `{first}`, expected one of {}",
        valid.join(", ")
    ))
}

/// What [`repair_key`] did.
enum Repair {
    /// The key now reads as the one meant; the span of its value.
    Renamed(Range<usize>),
    Removed,
    NotFound,
}

/// Finds in `v` (at any depth) the unknown key written at `span`, and
/// renames it `meant` (unless that key is there too) or takes it out.
fn repair_key(v: &mut DeValue<'_>, span: &Range<usize>, meant: Option<&str>) -> Repair {
    match v {
        DeValue::Table(t) => {
            let key = t
                .iter()
                .find(|(k, _)| k.span() == *span)
                .map(|(k, _)| k.clone());
            let Some(key) = key else {
                return t
                    .iter_mut()
                    .map(|(_, x)| repair_key(x.get_mut(), span, meant))
                    .find(|r| !matches!(r, Repair::NotFound))
                    .unwrap_or(Repair::NotFound);
            };
            let Some(value) = t.remove(&key) else {
                return Repair::NotFound;
            };
            match meant.filter(|m| !t.contains_key(*m)) {
                Some(m) => {
                    let at = value.span();
                    t.insert(toml::Spanned::new(key.span(), m.to_string().into()), value);
                    Repair::Renamed(at)
                }
                None => Repair::Removed,
            }
        }
        DeValue::Array(items) => items
            .iter_mut()
            .map(|x| repair_key(x.get_mut(), span, meant))
            .find(|r| !matches!(r, Repair::NotFound))
            .unwrap_or(Repair::NotFound),
        _ => Repair::NotFound,
    }
}

/// A list where the table at `path` of a `[[section]]` entry (or `[meta]`)
/// is wanted: serde reads the list's items as the table's fields in order.
fn table_written_as_list(section: &str, path: &[String]) -> Problem {
    let (field, hint) = match path {
        [.., last] => (
            format!("`{}`", field_name(section, path)),
            format!(
                "write `[{section}.{}]` with its keys below it, or `{last} = {{ key = value }}`",
                path.join(".")
            ),
        ),
        [] if section == "meta" => (
            "[meta]".to_string(),
            "write `[meta]`, single brackets, with its keys below it".to_string(),
        ),
        [] => (
            format!("each [[{section}]] entry"),
            format!("write `[[{section}]]` with its keys below it"),
        ),
    };
    Problem::new(format!("{field} must be a table, not a list"), hint)
}

/// Whether the raw value at `path` (keys from `value` down) is a list.
fn is_list_at(value: Option<&DeValue>, path: &[String]) -> bool {
    let Some(mut v) = value else {
        return false;
    };
    for key in path {
        let DeValue::Table(t) = v else {
            return false;
        };
        match t.iter().find(|(k, _)| k.get_ref().as_ref() == key.as_str()) {
            Some((_, x)) => v = x.get_ref(),
            None => return false,
        }
    }
    matches!(v, DeValue::Array(_))
}

/// Where a TOML or serde error arose.
#[derive(Clone, Copy)]
enum Context {
    /// The `[meta]` table.
    Meta,
    /// One entry of the array of tables `[[section]]`.
    Entry(&'static str),
}

fn shift(base: usize, r: std::ops::Range<usize>) -> Span {
    Span::new(r.start + base, r.end + base)
}

/// A problem in the scenario's words: what is wrong, and how to write it.
struct Problem {
    message: String,
    hint: Option<String>,
}

impl Problem {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The keys from the deserialized value down to the one an error is about
/// (`["demand", "chip", "units_per_week"]` in an entity, `["sweep",
/// "trials"]` in a sweep file); empty when the error is about the value
/// itself.
///
/// `toml` keeps them private and prints them as the last line of the
/// error's text (`in \`demand.chip.units_per_week\``) when the error carries
/// no document, as the loader's per-entity errors and the sweep parser's
/// do. Array elements add no key: an error in a `[[shock.trigger]]` has the
/// path `["trigger"]`.
pub(crate) fn error_path(e: &toml::de::Error) -> Vec<String> {
    let text = e.to_string();
    text.trim_end()
        .lines()
        .last()
        .filter(|line| *line != e.message().trim())
        .and_then(|line| line.strip_prefix("in `")?.strip_suffix('`'))
        .map(|keys| keys.split('.').map(str::to_string).collect())
        .unwrap_or_default()
}

/// Nested arrays of tables: (section, key) of each.
pub(super) const ARRAYS_OF_TABLES: &[(&str, &str)] = &[("shock", "trigger")];

fn is_array_of_tables(section: &str, path: &[String]) -> bool {
    matches!(path, [key] if ARRAYS_OF_TABLES.contains(&(section, key.as_str())))
}

/// The keys, within their section, whose value is a distribution ([`Dist`]).
const DISTRIBUTIONS: &[(&str, &[&str])] = &[
    ("shock", &["onset_week"]),
    ("shock", &["duration_weeks"]),
    ("shock", &["severity"]),
    ("shock", &["recovery_weeks"]),
    ("shock", &["trigger", "lag_weeks"]),
];

/// If `path` lies within a distribution, the index of its key in `path`.
fn distribution_at(section: &str, path: &[String]) -> Option<usize> {
    DISTRIBUTIONS.iter().find_map(|&(s, keys)| {
        let inside =
            s == section && path.len() >= keys.len() && path.iter().zip(keys).all(|(a, b)| a == b);
        inside.then(|| keys.len() - 1)
    })
}

/// Every kind of distribution, with an example of how it is written.
const DISTRIBUTION_FORMS: &[(&str, &str)] = &[
    ("fixed", "{ fixed = 1.0 }"),
    ("uniform", "{ uniform = { min = 0, max = 10 } }"),
    (
        "triangular",
        "{ triangular = { min = 1, mode = 2, max = 6 } }",
    ),
    ("pert", "{ pert = { min = 4, mode = 12, max = 52 } }"),
    ("lognormal", "{ lognormal = { median = 8, sigma = 0.5 } }"),
    ("beta", "{ beta = { mean = 0.7, sd = 0.1 } }"),
    (
        "choice",
        "{ choice = { values = [0.5, 1], weights = [1, 3] } }",
    ),
];

fn distribution_form(kind: &str) -> Option<&'static str> {
    DISTRIBUTION_FORMS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, form)| *form)
}

/// Rewrites a serde error about the value at `path` of a `[[section]]`
/// entry (`snippet` is the text it points at). Messages serde words well
/// enough (a missing field) pass through unchanged.
fn explain(section: &str, path: &[String], message: &str, snippet: &str) -> Problem {
    if message.contains(TOML_DATETIME) || looks_like_a_date(snippet) {
        // toml reads a date as a table under a private key, whose name
        // would leak into the message.
        return Problem::new(
            format!(
                "`{}` is a date, which no scenario value is",
                field_name(section, path)
            ),
            "write a number, text in quotes, a list or a table (see docs/SCENARIOS.md)",
        );
    }
    if message.starts_with("invalid length") {
        return table_written_as_list(section, path);
    }
    if message == "integer number overflowed"
        || ((message.starts_with("invalid value: integer `")
            || message.starts_with("invalid type: integer `"))
            && (message.ends_with(", expected i64") || message.contains("` as i128")))
    {
        // A whole number past TOML's 64-bit range: serde's text names Rust
        // types (as the sweep file's reading does, `sweep::explain`).
        return Problem::new(
            format!(
                "`{}` is {}, beyond TOML's whole numbers (64-bit: {} to {})",
                field_name(section, path),
                snippet.trim(),
                i64::MIN,
                i64::MAX
            ),
            "most values are limited far below that (see docs/SCENARIOS.md)",
        );
    }
    if message.starts_with("wanted exactly 1 element") && distribution_at(section, path).is_none() {
        return Problem::new(
            format!(
                "`{}` must be a name in quotes, not a table",
                field_name(section, path)
            ),
            "write one name, e.g. kind = \"fab\"",
        );
    }
    if message.starts_with("unknown field `") {
        return Problem {
            message: message.to_string(),
            hint: entry_key_in_sub_table(section, path, message)
                .or_else(|| unknown_field_hint(message)),
        };
    }
    if let Some(m) = as_unknown_field(message) {
        return Problem {
            hint: unknown_field_hint(&m),
            message: m,
        };
    }
    if let Some(p) = unknown_value(section, path, message) {
        return p;
    }
    if message == "wanted string or table" && distribution_at(section, path).is_none() {
        // A keyword (`kind`, `sector`) written as a number or a list.
        return Problem {
            message: format!(
                "`{}` must be a name in quotes, not {}",
                field_name(section, path),
                snippet.trim()
            ),
            hint: None,
        };
    }
    let found = invalid_type(message);
    if let Some(at) = distribution_at(section, path)
        && path.len() == at + 1
        && let Some(p) = distribution_problem(&path[at], message, found.as_ref(), snippet)
    {
        return p;
    }
    if let Some((found, expected)) = &found
        && let Some(p) = wrong_type(section, path, found, expected, snippet)
    {
        return p;
    }
    Problem {
        message: message.to_string(),
        hint: None,
    }
}

/// Whether `snippet` is a TOML date or date-time (`1979-05-27...`), which
/// toml hands to serde as a table: the message would call it one.
pub(crate) fn looks_like_a_date(snippet: &str) -> bool {
    let b = snippet.trim().as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
}

/// The private key under which toml hands a date to serde.
pub(crate) const TOML_DATETIME: &str = "$__toml_private_datetime";

/// A key of the entry itself written below one of its sub-table headers
/// (`duration_weeks` after `[shock.capacity]`): TOML puts every key below a
/// header into that table, so the entry never sees it.
fn entry_key_in_sub_table(section: &str, path: &[String], message: &str) -> Option<String> {
    let (wanted, _) = unknown_name(message, "field")?;
    let table = path.first()?;
    let schema = match section {
        "shock" => schemars::schema_for!(super::Shock),
        "policy" => schemars::schema_for!(super::Policy),
        "facility" => schemars::schema_for!(super::Facility),
        "market" => schemars::schema_for!(super::Market),
        _ => return None,
    };
    let value = schema.to_value();
    let entry_keys = value.get("properties")?.as_object()?;
    (entry_keys.contains_key(wanted) && entry_keys.contains_key(table.as_str())).then_some(())?;
    Some(format!(
        "`{wanted}` is a key of the [[{section}]] itself: move it above the \
         `[{section}.{}]` header (every key below a header belongs to that table)",
        path.join(".")
    ))
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggests the
/// closest valid key.
fn unknown_field_hint(message: &str) -> Option<String> {
    let (wanted, valid) = unknown_name(message, "field")?;
    if wanted == "include" {
        // TOML puts every key written below a table header into that table.
        return Some(
            "`include` must come before the first table header: move it to the top of the file, \
             above `[meta]` and the first `[[...]]` table"
                .to_string(),
        );
    }
    match did_you_mean(wanted, valid.iter().copied()) {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None if !valid.is_empty() => Some(format!("valid keys: {}", valid.join(", "))),
        None => None,
    }
}

/// serde's "unknown variant `fabs`, expected one of `fab`, ..." for a
/// keyword value (`kind`, `sector`, a distribution's kind), worded with the
/// key's own name: "variant" would be taken for a policy variant.
fn unknown_value(section: &str, path: &[String], message: &str) -> Option<Problem> {
    let (wanted, valid) = unknown_name(message, "variant")?;
    let noun = if distribution_at(section, path).is_some_and(|at| at + 1 == path.len()) {
        "distribution kind"
    } else {
        match path.last().map(String::as_str) {
            Some("kind" | "kinds") => "kind",
            Some("sector" | "sectors") => "sector",
            Some("allocation") => "allocation rule",
            Some("release") => "release rule",
            Some(other) => other,
            None => "value",
        }
    };
    let hint = match did_you_mean(wanted, valid.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("write one of: {}", valid.join(", ")),
    };
    let expected = match valid.as_slice() {
        [] => String::new(),
        [one] => format!(", expected `{one}`"),
        many => format!(", expected one of `{}`", many.join("`, `")),
    };
    Some(Problem::new(
        format!("unknown {noun} `{wanted}`{expected}"),
        hint,
    ))
}

/// What serde found where it wanted something else.
enum Found {
    Text(String),
    Number(String),
    Bool(String),
    Table,
    List,
    Other(String),
}

impl Found {
    /// The found value, as the message names it.
    fn describe(&self) -> String {
        match self {
            Found::Text(_) => "a string".to_string(),
            Found::Number(n) => n.clone(),
            Found::Bool(b) => b.clone(),
            Found::Table => "a table".to_string(),
            Found::List => "a list".to_string(),
            Found::Other(s) => s.clone(),
        }
    }

    /// A number written in quotes, or a number.
    fn as_number(&self) -> Option<f64> {
        match self {
            Found::Text(s) | Found::Number(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Splits serde's "invalid type: string \"120\", expected f64" into what was
/// found and what was expected.
fn invalid_type(message: &str) -> Option<(Found, String)> {
    let (found, expected) = message
        .strip_prefix("invalid type: ")?
        .rsplit_once(", expected ")?;
    let quoted = |prefix: &str, close: char| {
        found
            .strip_prefix(prefix)
            .and_then(|s| s.strip_suffix(close))
            .map(str::to_string)
    };
    let found = if let Some(s) = quoted("string \"", '"') {
        Found::Text(s)
    } else if let Some(n) = quoted("integer `", '`').or_else(|| quoted("floating point `", '`')) {
        Found::Number(n)
    } else if let Some(b) = quoted("boolean `", '`') {
        Found::Bool(b)
    } else if found == "map" {
        Found::Table
    } else if found == "sequence" {
        Found::List
    } else {
        Found::Other(found.to_string())
    };
    Some((found, expected.to_string()))
}

/// How a value the key `field` wants as a number could be written. A
/// number in quotes that no scenario may hold (`"NaN"`, `"inf"`, `"1e400"`)
/// is not worth unquoting.
fn number_hint(found: &Found) -> String {
    match (found, found.as_number()) {
        (Found::Text(_), Some(x)) if x.is_nan() || x.abs() > super::MAX_MAGNITUDE => format!(
            "numbers are finite and at most {:e} in magnitude, written without quotes",
            super::MAX_MAGNITUDE
        ),
        (Found::Text(s), Some(_)) => format!("write {} (without quotes)", s.trim()),
        (Found::Text(_), None) => "numbers are written without quotes: 120, 0.5, 1e9".to_string(),
        _ => "write a single number, such as 120 or 0.5".to_string(),
    }
}

/// A distribution written as something other than a one-key table, or
/// with a kind whose parameters are written wrongly. `field` is its key.
fn distribution_problem(
    field: &str,
    message: &str,
    found: Option<&(Found, String)>,
    snippet: &str,
) -> Option<Problem> {
    let kinds: Vec<&str> = DISTRIBUTION_FORMS.iter().map(|(k, _)| *k).collect();
    let not_a_table = || {
        format!(
            "`{field}` must be a distribution: a table with one key naming its kind ({})",
            kinds.join(", ")
        )
    };
    let number = snippet.trim().parse::<f64>().ok();
    let named = snippet.trim().trim_matches(['"', '\'']);
    if message == "wanted string or table" {
        // A bare number, a boolean or a list.
        let hint = match number {
            Some(_) => format!("write `{{ fixed = {} }}` for a fixed value", snippet.trim()),
            None => "write `{ fixed = 1.0 }` for a fixed value".to_string(),
        };
        return Some(Problem::new(not_a_table(), hint));
    }
    if message.contains("unit variant") {
        // Only the kind's name: `severity = "fixed"`.
        let hint = match distribution_form(named) {
            Some(form) => format!("a `{named}` distribution needs its parameters: write `{form}`"),
            None => "write `{ fixed = 1.0 }` for a fixed value".to_string(),
        };
        return Some(Problem::new(not_a_table(), hint));
    }
    if message.starts_with("wanted exactly 1 element") || message.contains("exactly 1 entry") {
        // No key, or several: `{ fixed = 1, uniform = ... }`.
        return Some(Problem::new(
            not_a_table(),
            "write one kind per distribution: `{ fixed = 1.0 }` for a fixed value, \
             `{ uniform = { min = 0, max = 10 } }` for a range",
        ));
    }
    if let Some((_, variant)) = message.split_once("expected struct variant Dist::") {
        // Parameters written as a number: `{ uniform = 3 }`.
        let kind = variant.to_lowercase();
        let form = distribution_form(&kind)?;
        return Some(Problem::new(
            format!("the parameters of a `{kind}` distribution form a table"),
            format!("write `{form}`"),
        ));
    }
    match found {
        // `{ fixed = "1" }`: the one parameter of a fixed distribution.
        Some((found, expected)) if expected == "f64" => Some(Problem::new(
            format!(
                "a `fixed` distribution takes one number, not {}",
                found.describe()
            ),
            match found.as_number() {
                Some(_) => format!("write `{{ fixed = {} }}`", named.trim()),
                None => "write `{ fixed = 1.0 }`".to_string(),
            },
        )),
        _ => None,
    }
}

/// A value of the wrong type: a number in quotes, a fraction where whole
/// weeks are wanted, a single id where a list is.
fn wrong_type(
    section: &str,
    path: &[String],
    found: &Found,
    expected: &str,
    snippet: &str,
) -> Option<Problem> {
    let field = field_name(section, path);
    let not = found.describe();
    let problem = match expected {
        "f64" | "f32" => Problem::new(
            format!("`{field}` must be a number, not {not}"),
            number_hint(found),
        ),
        "i64" | "i32" | "u64" | "u32" | "usize" => {
            let unit = if field.ends_with("_weeks") {
                " of weeks"
            } else {
                ""
            };
            let hint = match found.as_number() {
                Some(x) if x.fract() == 0.0 && matches!(found, Found::Text(_)) => {
                    format!("write {x} (without quotes)")
                }
                Some(x) if x.fract() == 0.0 => format!("write {x}"),
                Some(x) if x.is_finite() => format!("write {} or {}", x.floor(), x.ceil()),
                _ => "write a whole number, such as 2".to_string(),
            };
            Problem::new(
                format!("`{field}` must be a whole number{unit}, not {not}"),
                hint,
            )
        }
        "a boolean" => {
            let hint = match found {
                Found::Text(s) if s == "true" || s == "false" => {
                    format!("write {s} (without quotes)")
                }
                _ => format!("write `{field} = true` or `{field} = false`"),
            };
            Problem::new(format!("`{field}` must be true or false, not {not}"), hint)
        }
        "a string" => {
            let hint = match found {
                Found::Number(_) | Found::Bool(_) => format!("write \"{}\"", snippet.trim()),
                _ => format!("write one value in double quotes: `{field} = \"...\"`"),
            };
            Problem::new(format!("`{field}` must be text in quotes, not {not}"), hint)
        }
        "a sequence" if matches!(found, Found::Table) && is_array_of_tables(section, path) => {
            let header = format!("{section}.{}", path.join("."));
            not_an_array_of_tables(&field, &header, snippet.starts_with('['))
        }
        "a sequence" => {
            let hint = match found {
                Found::Text(_) | Found::Number(_) | Found::Bool(_) => {
                    format!("write [{}]", snippet.trim())
                }
                _ => "write a list in square brackets: [\"a\", \"b\"]".to_string(),
            };
            Problem::new(format!("`{field}` must be a list, not {not}"), hint)
        }
        _ if expected == "a map" || expected.starts_with("struct ") => {
            let header = std::iter::once(section)
                .chain(path.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(".");
            Problem::new(
                format!("`{field}` must be a table, not {not}"),
                format!("write `{field} = {{ ... }}`, or a `[{header}]` section"),
            )
        }
        _ => return None,
    };
    Some(problem)
}

/// The name of the key at the end of `path`, as a message names it: the
/// key itself, or `recipe.wafer` for an entry of a table keyed by id.
fn field_name(section: &str, path: &[String]) -> String {
    match path {
        [.., table, key]
            if ["recipe", "capital", "demand", "suppliers"].contains(&table.as_str()) =>
        {
            format!("{table}.{key}")
        }
        [.., key] => key.clone(),
        [] => section.to_string(),
    }
}

/// An array of tables written as something else: a single table (`[link]`,
/// `[shock.trigger]`) or a value. `header` is its full name, `name` the key
/// the message names; `single_brackets` when it was written as a table header.
fn not_an_array_of_tables(name: &str, header: &str, single_brackets: bool) -> Problem {
    let hint = if single_brackets {
        format!("write `[[{header}]]`, with double brackets: each one starts an entry")
    } else {
        format!("write each entry as a `[[{header}]]` table")
    };
    Problem::new(format!("`{name}` must be an array of tables"), hint)
}

/// Entities with an id that a later file may override.
trait Entity {
    const KIND: &'static str;
    fn id(&self) -> &Sp<String>;
    fn override_flag(&self) -> Option<&Sp<bool>>;
    /// Replaces every field `other` sets; tables keyed by id take `other`'s
    /// entries one by one.
    fn merge_from(&mut self, other: Self);
}

/// Implements [`Entity`]: the fields an override replaces whole, then
/// (after `by_entry`) the tables keyed by id it merges entry by entry.
macro_rules! entity {
    ($ty:ty, $kind:literal, [$($field:ident),*] $(, by_entry [$($table:ident),*])?) => {
        impl Entity for $ty {
            const KIND: &'static str = $kind;
            fn id(&self) -> &Sp<String> { &self.id }
            fn override_flag(&self) -> Option<&Sp<bool>> { self.override_.as_ref() }
            fn merge_from(&mut self, other: Self) {
                $( if other.$field.is_some() { self.$field = other.$field; } )*
                $($( merge_entries(&mut self.$table, other.$table); )*)?
            }
        }
    };
}

/// Merges a table keyed by id (a recipe, a market's demand) entry by entry:
/// an entry `from` names replaces the earlier entry of that id whole, and
/// the entries it does not name are kept. An override cannot remove one.
fn merge_entries<V>(into: &mut Option<BTreeMap<Id, V>>, from: Option<BTreeMap<Id, V>>) {
    let Some(from) = from else { return };
    let into = into.get_or_insert_with(BTreeMap::new);
    for (id, value) in from {
        // `insert` alone would keep the earlier key and with it the earlier
        // file's span; the entry is the override's now, and so is its place.
        into.remove(&id);
        into.insert(id, value);
    }
}

entity!(Bloc, "bloc", [name, agreement]);
entity!(Country, "country", [name, blocs]);
entity!(
    Product,
    "product",
    [
        name,
        unit,
        category,
        value_usd_per_unit,
        qualification_weeks
    ]
);
entity!(
    Facility,
    "facility",
    [
        name,
        firm,
        country,
        kind,
        product,
        capacity_per_week,
        inventory_weeks,
        recovery_weeks,
        allocation
    ],
    by_entry [recipe, capital]
);
entity!(
    Market,
    "market",
    [name, country, sector, inventory_weeks, backorder],
    by_entry[demand]
);
impl Entity for Shock {
    const KIND: &'static str = "shock";
    fn id(&self) -> &Sp<String> {
        &self.id
    }
    fn override_flag(&self) -> Option<&Sp<bool>> {
        self.override_.as_ref()
    }
    fn merge_from(&mut self, other: Self) {
        // The target is one choice among four tables: an override that
        // names one replaces the earlier target whole (a capacity shock
        // turned into a lane shock would otherwise have two targets).
        if other.capacity.is_some()
            || other.lane.is_some()
            || other.demand.is_some()
            || other.revoke.is_some()
        {
            self.capacity = None;
            self.lane = None;
            self.demand = None;
            self.revoke = None;
        }
        // A revocation has an onset only: turned into one, the shock drops
        // the duration, severity and recovery it had.
        if other.revoke.is_some() {
            self.duration_weeks = None;
            self.severity = None;
            self.recovery_weeks = None;
        }
        // How often it fires is one choice of two: an override that gives
        // a rate replaces a probability, and the other way round.
        if other.probability.is_some() || other.rate_per_year.is_some() {
            self.probability = None;
            self.rate_per_year = None;
        }
        macro_rules! take { ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* } }
        take!(
            name,
            probability,
            rate_per_year,
            onset_week,
            duration_weeks,
            severity,
            recovery_weeks,
            capacity,
            lane,
            demand,
            revoke
        );
        // An override that lists triggers replaces the earlier list.
        if !other.trigger.is_empty() {
            self.trigger = other.trigger;
        }
    }
}
entity!(
    Policy,
    "policy",
    [
        name,
        agreement,
        capex_usd,
        subsidy_usd,
        annual_cost_usd,
        reshore,
        friendshore,
        stockpile,
        dual_source,
        crisis_sharing,
        export_control
    ]
);
entity!(Variant, "variant", [name, policies]);

/// Definitions in load order, before duplicates are resolved.
#[derive(Default)]
struct Merged {
    meta: Vec<(Span, Meta)>,
    bloc: Vec<Bloc>,
    country: Vec<Country>,
    product: Vec<Product>,
    facility: Vec<Facility>,
    market: Vec<Market>,
    link: Vec<Link>,
    sourcing: Vec<Sourcing>,
    shock: Vec<Shock>,
    policy: Vec<Policy>,
    variant: Vec<Variant>,
}

/// Resolves duplicates: keeps the first definition of each id, merges
/// `override = true` redefinitions into it, and records the rest as errors.
fn dedupe<T: Entity>(items: Vec<T>, diags: &mut Diagnostics) -> Vec<T> {
    // Every id of this kind, in load order, for "did you mean" on an
    // override of an id nobody defines.
    let ids: Vec<String> = items.iter().map(|x| x.id().value.clone()).collect();
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let id = item.id().value.clone();
        let overrides = item.override_flag().map(|b| b.value).unwrap_or(false);
        match index.get(&id) {
            Some(&i) if overrides => out[i].merge_from(item),
            Some(&i) => diags.push(
                Diagnostic::new(
                    format!("duplicate {} id `{id}`", T::KIND),
                    item.id().span,
                )
                .label("defined again here")
                .related(out[i].id().span, "first defined here")
                .hint("rename one, or write `override = true` to change fields of the earlier definition"),
            ),
            None if overrides => {
                let fix = "remove `override = true`, or include the file that defines it first";
                let others = ids.iter().map(String::as_str).filter(|other| *other != id);
                let hint = match did_you_mean(&id, others) {
                    Some(near) => format!("did you mean `{near}`? Otherwise {fix}"),
                    None => fix.to_string(),
                };
                diags.push(
                    Diagnostic::new(
                        format!("{} `{id}` overrides nothing: no earlier definition", T::KIND),
                        item.id().span,
                    )
                    .hint(hint),
                )
            }
            None => {
                index.insert(id, out.len());
                out.push(item);
            }
        }
    }
    out
}

impl Merged {
    /// Resolves duplicate ids and `[meta]` tables into one scenario.
    fn finish(self, diags: &mut Diagnostics) -> ScenarioFile {
        let mut meta: Option<(Span, Meta)> = None;
        for (span, m) in self.meta {
            match &mut meta {
                None => meta = Some((span, m)),
                Some((first, cur)) => {
                    if m.override_.as_ref().is_some_and(|b| b.value) {
                        macro_rules! take { ($($f:ident),*) => { $( if m.$f.is_some() { cur.$f = m.$f; } )* } }
                        take!(
                            name,
                            description,
                            attribution,
                            horizon_weeks,
                            fulfilment_threshold,
                            severe_loss_usd
                        );
                    } else {
                        diags.push(second_meta(span, *first, None).hint(
                            "write `override = true` in the later [meta] to change its fields",
                        ));
                    }
                }
            }
        }
        let mut file = ScenarioFile {
            include: Vec::new(),
            meta: meta.map(|(_, m)| m),
            bloc: self.bloc,
            country: self.country,
            product: self.product,
            facility: self.facility,
            market: self.market,
            link: self.link,
            sourcing: self.sourcing,
            shock: self.shock,
            policy: self.policy,
            variant: self.variant,
        };
        resolve_duplicates(&mut file, diags);
        file
    }
}

/// A `[meta]` table after the first (at `first`; `line`, its line when in
/// the same file).
pub(super) fn second_meta(at: Span, first: Span, line: Option<usize>) -> Diagnostic {
    let message = match line {
        Some(n) => format!("a second [meta] table (the first is on line {n})"),
        None => "a second [meta] table".to_string(),
    };
    Diagnostic::new(message, at).related(first, "first [meta] here")
}

/// Applies the override rules, reporting duplicate ids.
pub fn resolve_duplicates(file: &mut ScenarioFile, diags: &mut Diagnostics) {
    file.bloc = dedupe(std::mem::take(&mut file.bloc), diags);
    file.country = dedupe(std::mem::take(&mut file.country), diags);
    file.product = dedupe(std::mem::take(&mut file.product), diags);
    file.facility = dedupe(std::mem::take(&mut file.facility), diags);
    file.market = dedupe(std::mem::take(&mut file.market), diags);
    file.shock = dedupe(std::mem::take(&mut file.shock), diags);
    file.policy = dedupe(std::mem::take(&mut file.policy), diags);
    file.variant = dedupe(std::mem::take(&mut file.variant), diags);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `DISTRIBUTIONS` lists exactly the keys whose type is a distribution,
    /// so a distribution key added to `Shock` or `Trigger` gets the
    /// distribution messages too.
    #[test]
    fn distribution_keys_are_those_of_the_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::scenario::json_schema()).expect("the schema is JSON");
        let mut from_schema = Vec::new();
        for (def, prefix) in [("Shock", vec![]), ("Trigger", vec!["trigger"])] {
            let properties = schema["$defs"][def]["properties"]
                .as_object()
                .expect("properties");
            for (key, value) in properties {
                if value.to_string().contains("\"#/$defs/Dist\"") {
                    let mut path = prefix.clone();
                    path.push(key.as_str());
                    from_schema.push(path);
                }
            }
        }
        let mut listed: Vec<Vec<&str>> = DISTRIBUTIONS
            .iter()
            .map(|(section, keys)| {
                assert_eq!(*section, "shock");
                keys.to_vec()
            })
            .collect();
        from_schema.sort();
        listed.sort();
        assert_eq!(listed, from_schema);
    }

    /// A load error in one entity: its message and hint.
    fn first_problem(text: &str) -> (String, Option<String>) {
        let (_, diags) = load_scenario_str("s.toml", text);
        let d = diags.items.first().expect("a problem");
        (d.message.clone(), d.hint.clone())
    }

    #[test]
    fn error_paths_reach_into_nested_tables() {
        let (message, hint) = first_problem(
            "[[market]]\nid = \"m\"\n[market.demand.chip]\nunits_per_week = \"7\"\nlost_usd_per_unit = 1\n",
        );
        assert_eq!(
            message,
            "`units_per_week` must be a number, not a string (in a [[market]] entry)"
        );
        assert_eq!(hint.as_deref(), Some("write 7 (without quotes)"));
        let (message, _) = first_problem("[[facility]]\nid = \"f\"\nrecipe = { wafer = true }\n");
        assert_eq!(
            message,
            "`recipe.wafer` must be a number, not true (in a [[facility]] entry)"
        );
    }

    #[test]
    fn a_lag_is_a_distribution_of_the_trigger() {
        let (message, hint) = first_problem(
            "[[shock]]\nid = \"s\"\n[[shock.trigger]]\nshock = \"t\"\nprobability = 1\nlag_weeks = 3\n",
        );
        assert!(
            message.starts_with("`lag_weeks` must be a distribution")
                && message.ends_with("(in a [[shock.trigger]] entry)"),
            "{message}"
        );
        assert_eq!(
            hint.as_deref(),
            Some("write `{ fixed = 3 }` for a fixed value")
        );
    }
}
