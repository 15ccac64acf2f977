//! TOML's "duplicate key" errors, explained.
//!
//! The TOML parser says only "duplicate key" and where the second
//! definition is: not which key, nor where the first one was. This module
//! reads the file's outline (every table header and every key, with its
//! place) from toml's own event parser, finds the first definition, and
//! says what the mistake most likely was: a key set twice, a table written
//! twice (`[meta]` twice in one file), or an array of tables written once
//! as a single table (`[country]` before `[[country]]`). The parser reports
//! one mistake several times (every later `[[country]]`, every key of a
//! second `[meta]` that the first also sets); each is reported once here.

use std::ops::Range;

use toml_parser::parser::{EventReceiver, RecursionGuard};
use toml_parser::{ErrorSink, Source, Span as TomlSpan};

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// What a header or key defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `[a.b]`
    Table,
    /// `[[a.b]]`
    ArrayTable,
    /// `key = value` (an inline table or an array included)
    Value,
}

/// One definition in the file: a table header or a key.
#[derive(Debug)]
struct Item {
    kind: Kind,
    /// Keys from the document's root down to what it defines.
    path: Vec<String>,
    /// The keys as written (a header's within its brackets; a dotted key
    /// whole).
    keys: Range<usize>,
    /// The whole header, brackets included; the keys for a key.
    span: Range<usize>,
    /// The header whose table holds this key (`None` above the first
    /// header, and for headers).
    header: Option<usize>,
    /// For a key inside an inline table (`recipe = { wafer = 1 }`), that
    /// table: its number in the file and its key. Keys of different inline
    /// tables never collide.
    inline: Option<(usize, String)>,
    /// For a key, how many keys of `path` lead to the table it is set in
    /// (the rest are the key as written).
    table_len: usize,
}

/// An array or inline table being read, and the path of the keys inside it.
struct Frame {
    path: Vec<String>,
    inline: Option<(usize, String)>,
}

/// Builds the outline from toml_parser's events.
struct Outline<'i> {
    source: Source<'i>,
    items: Vec<Item>,
    /// Keys read since the last header or key-value separator.
    keys: Vec<(String, Range<usize>)>,
    /// Where the header being read opened, and whether it is `[[...]]`.
    open: Option<(usize, bool)>,
    header: Option<usize>,
    /// The path of the last key-value's key: an array or inline table that
    /// opens right after its `=` holds that path's keys.
    value_path: Vec<String>,
    after_sep: bool,
    frames: Vec<Frame>,
    inline_tables: usize,
}

impl Outline<'_> {
    fn close_header(&mut self, close: TomlSpan) {
        let Some((start, array)) = self.open.take() else {
            return;
        };
        let keys = std::mem::take(&mut self.keys);
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return;
        };
        self.items.push(Item {
            kind: if array { Kind::ArrayTable } else { Kind::Table },
            keys: first.1.start..last.1.end,
            path: keys.into_iter().map(|(k, _)| k).collect(),
            span: start..close.end(),
            header: None,
            inline: None,
            table_len: 0,
        });
        self.header = Some(self.items.len() - 1);
    }

    /// The path inside an array or inline table opening now.
    fn frame_path(&self) -> Vec<String> {
        if self.after_sep {
            self.value_path.clone()
        } else {
            self.frames
                .last()
                .map(|f| f.path.clone())
                .unwrap_or_default()
        }
    }
}

impl EventReceiver for Outline<'_> {
    fn std_table_open(&mut self, span: TomlSpan, _: &mut dyn ErrorSink) {
        self.open = Some((span.start(), false));
        self.keys.clear();
    }
    fn std_table_close(&mut self, span: TomlSpan, _: &mut dyn ErrorSink) {
        self.close_header(span);
    }
    fn array_table_open(&mut self, span: TomlSpan, _: &mut dyn ErrorSink) {
        self.open = Some((span.start(), true));
        self.keys.clear();
    }
    fn array_table_close(&mut self, span: TomlSpan, _: &mut dyn ErrorSink) {
        self.close_header(span);
    }
    fn inline_table_open(&mut self, _: TomlSpan, _: &mut dyn ErrorSink) -> bool {
        let path = self.frame_path();
        let name = path.last().cloned().unwrap_or_default();
        self.frames.push(Frame {
            path,
            inline: Some((self.inline_tables, name)),
        });
        self.inline_tables += 1;
        self.after_sep = false;
        true
    }
    fn inline_table_close(&mut self, _: TomlSpan, _: &mut dyn ErrorSink) {
        self.frames.pop();
    }
    fn array_open(&mut self, _: TomlSpan, _: &mut dyn ErrorSink) -> bool {
        let path = self.frame_path();
        self.frames.push(Frame { path, inline: None });
        self.after_sep = false;
        true
    }
    fn array_close(&mut self, _: TomlSpan, _: &mut dyn ErrorSink) {
        self.frames.pop();
    }
    fn simple_key(
        &mut self,
        span: TomlSpan,
        encoding: Option<toml_parser::decoder::Encoding>,
        _: &mut dyn ErrorSink,
    ) {
        let raw = toml_parser::Raw::new_unchecked(
            self.source
                .input()
                .get(span.start()..span.end())
                .unwrap_or(""),
            encoding,
            span,
        );
        let mut name = String::new();
        raw.decode_key(&mut name, &mut ());
        self.keys.push((name, span.start()..span.end()));
    }
    fn key_val_sep(&mut self, _: TomlSpan, _: &mut dyn ErrorSink) {
        let keys = std::mem::take(&mut self.keys);
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return;
        };
        let range = first.1.start..last.1.end;
        let (mut path, inline, header) = match self.frames.last() {
            Some(f) => (f.path.clone(), f.inline.clone(), None),
            None => (
                self.header
                    .map(|h| self.items[h].path.clone())
                    .unwrap_or_default(),
                None,
                self.header,
            ),
        };
        let table_len = path.len();
        path.extend(keys.into_iter().map(|(k, _)| k));
        self.value_path = path.clone();
        self.after_sep = true;
        self.items.push(Item {
            kind: Kind::Value,
            path,
            keys: range.clone(),
            span: range,
            header,
            inline,
            table_len,
        });
    }
    fn scalar(
        &mut self,
        _: TomlSpan,
        _: Option<toml_parser::decoder::Encoding>,
        _: &mut dyn ErrorSink,
    ) {
        self.after_sep = false;
    }
}

/// How deep arrays and inline tables nest before the parser gives up: the
/// `toml` crate's own limit (it reports "max recursion depth" past it). The
/// outline is read with toml_parser's recursive descent, one stack frame
/// per level, so it must stop there too: a file of ten thousand `[` is a
/// syntax error to report, not a stack overflow.
pub(crate) const MAX_NESTING: u32 = 80;

fn outline(text: &str) -> Vec<Item> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut o = Outline {
        source,
        items: Vec::new(),
        keys: Vec::new(),
        open: None,
        header: None,
        value_path: Vec::new(),
        after_sep: false,
        frames: Vec::new(),
        inline_tables: 0,
    };
    // Past the limit the parser skips the value without descending (and
    // the parser's own error about it is already reported).
    let mut guarded = RecursionGuard::new(&mut o, MAX_NESTING);
    toml_parser::parser::parse_document(&tokens, &mut guarded, &mut ());
    o.items
}

/// The sections written `[[section]]`, one entry each (besides the
/// nested `[[shock.trigger]]`).
fn is_array_of_tables(path: &[String]) -> bool {
    match path {
        [one] => {
            super::load::SECTIONS.contains(&one.as_str())
                && !matches!(one.as_str(), "include" | "meta")
        }
        [a, b] => super::load::ARRAYS_OF_TABLES.contains(&(a.as_str(), b.as_str())),
        _ => false,
    }
}

/// Tables of the language written once, with single brackets: `[meta]`,
/// and the tables within an entry (`[market.demand.chip]`, `[shock.lane]`).
fn is_single_table(path: &[String]) -> bool {
    match path {
        [one] => one == "meta",
        [first, ..] => {
            is_array_of_tables(&path[..1]) && !is_array_of_tables(&path[..2]) && first != "meta"
        }
        [] => false,
    }
}

/// A path as a header names it: `market.demand.chip`.
fn dotted(path: &[String]) -> String {
    path.join(".")
}

/// Explains the TOML parser's "duplicate key" errors of one file (`spans`,
/// the places it gives, in the file's own offsets; `base`, the file's
/// offset in the scenario's). One diagnostic per mistake: errors that only
/// follow from one already explained are dropped.
pub(crate) fn explain(text: &str, base: usize, spans: &[Range<usize>]) -> Vec<Diagnostic> {
    if spans.is_empty() {
        return Vec::new();
    }
    let items = outline(text);
    // Where each line starts: the line of an offset is the count of
    // starts at or before it.
    let lines: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let at = |r: &Range<usize>| Span::new(r.start + base, r.end + base);
    let mut out = Vec::new();
    // First definitions of tables already reported as written both ways.
    let mut mixed: Vec<usize> = Vec::new();
    for s in spans {
        // Items are in the file's order.
        let found = items
            .partition_point(|it| it.keys.start <= s.start)
            .checked_sub(1)
            .filter(|&i| s.start < items[i].keys.end.max(items[i].keys.start + 1));
        let Some(i) = found else {
            let key = text.get(s.clone()).unwrap_or("");
            out.push(
                Diagnostic::new(format!("duplicate key `{key}`"), at(s))
                    .hint("remove one of them: a key is set once in a table"),
            );
            continue;
        };
        let item = &items[i];
        // Keys of a table written a second time: the parser reads them into
        // the first, where the keys both set collide. The table is the
        // mistake, reported at its header.
        if let Some(h) = item.header
            && items[h].kind == Kind::Table
            && first_definition(&items, h).is_some_and(|j| items[j].kind == Kind::Table)
        {
            continue;
        }
        let Some(j) = first_definition(&items, i) else {
            out.push(
                Diagnostic::new(
                    format!("duplicate key `{}`", dotted(&item.path)),
                    at(&item.span),
                )
                .hint("remove one of them: a key is set once in a table"),
            );
            continue;
        };
        let first = &items[j];
        let line = lines.partition_point(|&start| start <= first.span.start);
        let name = dotted(&item.path);
        let d = match (first.kind, item.kind) {
            (Kind::Table, Kind::Table) if item.path == ["meta"] => {
                super::load::second_meta(at(&item.span), at(&first.span), Some(line)).hint(
                    "write one [meta] per file: move these keys into the first \
                     (a [meta] in a later file may change them with `override = true`)",
                )
            }
            (Kind::Table, Kind::Table) => {
                let entry = enclosing_entry(&items, i)
                    .map(|e| format!(" in one [[{}]] entry", dotted(&items[e].path)))
                    .unwrap_or_default();
                let hint = if is_array_of_tables(&item.path) {
                    format!(
                        "write `[[{name}]]`, with double brackets, for every entry of an array of tables"
                    )
                } else {
                    match enclosing_entry(&items, i) {
                        Some(e) => format!(
                            "write each table once: move these keys into the first [{name}], or, \
                             if they belong to another entry, write `[[{}]]` above this one",
                            dotted(&items[e].path)
                        ),
                        None => format!(
                            "write each table once: move these keys into the first [{name}], or remove one of them"
                        ),
                    }
                };
                Diagnostic::new(
                    format!("a second [{name}] table{entry} (the first is on line {line})"),
                    at(&item.span),
                )
                .label("written again here")
                .related(at(&first.span), format!("first [{name}] here"))
                .hint(hint)
            }
            (Kind::Table, Kind::ArrayTable) | (Kind::ArrayTable, Kind::Table) => {
                if mixed.contains(&j) {
                    continue;
                }
                mixed.push(j);
                let message = if item.kind == Kind::ArrayTable {
                    format!(
                        "`[[{name}]]` adds an entry to `{name}`, which line {line} opens as a single table, `[{name}]`"
                    )
                } else {
                    format!(
                        "`[{name}]` opens `{name}` as a single table, but line {line} starts it as an array of tables, `[[{name}]]`"
                    )
                };
                let hint = if is_array_of_tables(&item.path) {
                    // The entry written `[name]` may be the first or a later one.
                    let which = if item.kind == Kind::ArrayTable {
                        ", the first one too"
                    } else {
                        ""
                    };
                    format!(
                        "write `[[{name}]]`, with double brackets, for every entry of an array of tables{which}"
                    )
                } else if is_single_table(&item.path) {
                    format!("write `[{name}]`, with single brackets, once: it is a single table")
                } else {
                    format!(
                        "write it the same way each time: `[[{name}]]` for every entry of an array of tables, \
                         or `[{name}]` once for a single table"
                    )
                };
                let first_label = if first.kind == Kind::Table {
                    "single brackets: a single table"
                } else {
                    "double brackets: an array of tables"
                };
                Diagnostic::new(message, at(&item.span))
                    .related(at(&first.span), first_label)
                    .hint(hint)
            }
            // A later `[[x]]` of a table already reported as written both ways.
            (Kind::ArrayTable, Kind::ArrayTable) if mixed.contains(&j) => continue,
            (Kind::Value, Kind::Value) => {
                let key = relative_key(&items, i);
                let place = place(&items, i);
                let hint = match item
                    .header
                    .filter(|&h| items[h].kind == Kind::ArrayTable && item.inline.is_none())
                {
                    Some(h) => format!(
                        "remove one of them; if the second begins another entry, write `[[{}]]` above it",
                        dotted(&items[h].path)
                    ),
                    None => "remove one of them: a key is set once in a table".to_string(),
                };
                Diagnostic::new(
                    format!("duplicate key `{key}` {place} (first set on line {line})"),
                    at(&item.span),
                )
                .label("set again here")
                .related(at(&first.span), "first set here")
                .hint(hint)
            }
            _ => {
                let key = relative_key(&items, i);
                let place = place(&items, i);
                Diagnostic::new(
                    format!("`{key}` is defined twice {place} (first on line {line})"),
                    at(&item.span),
                )
                .label("defined again here")
                .related(at(&first.span), "first defined here")
                .hint(format!(
                    "define it once: either as a value, `{} = ...`, or as a table, `[{name}]`",
                    item.path.last().map_or("", String::as_str)
                ))
            }
        };
        out.push(d);
    }
    out
}

/// The earliest definition of what item `i` defines, before it in the
/// same table: not before the `[[...]]` header that began the entry it is
/// in, nor in another inline table.
fn first_definition(items: &[Item], i: usize) -> Option<usize> {
    let item = &items[i];
    let mut same = None;
    let mut within = None;
    for (j, it) in items[..i].iter().enumerate().rev() {
        if item.inline.is_none()
            && it.kind == Kind::ArrayTable
            && it.path.len() < item.path.len()
            && item.path.starts_with(&it.path)
        {
            break;
        }
        if it.inline.as_ref().map(|x| x.0) != item.inline.as_ref().map(|x| x.0) {
            continue;
        }
        if it.path == item.path {
            same = Some(j);
        } else if it.path.starts_with(&item.path) {
            // Defined by a dotted key below it (`capacity.countries = ...`
            // before `[shock.capacity]`).
            within = Some(j);
        }
    }
    same.or(within)
}

/// The `[[...]]` header of the entry that item `i` lies in, if any.
fn enclosing_entry(items: &[Item], i: usize) -> Option<usize> {
    let item = &items[i];
    items[..i].iter().rposition(|it| {
        it.kind == Kind::ArrayTable
            && it.path.len() < item.path.len()
            && item.path.starts_with(&it.path)
    })
}

/// A key as written in its table (`name`, `a.b` for a dotted key), or a
/// header's keys within its entry (`capacity` of `[shock.capacity]`).
fn relative_key(items: &[Item], i: usize) -> String {
    let item = &items[i];
    let table_len = match item.kind {
        Kind::Value => item.table_len,
        _ => enclosing_entry(items, i).map_or(0, |e| items[e].path.len()),
    };
    dotted(&item.path[table_len.min(item.path.len())..])
}

/// Where item `i` is, as a message says it: "in a [[country]] entry", "in
/// [meta]", "in the inline table `recipe`", "at the top of the file".
fn place(items: &[Item], i: usize) -> String {
    let item = &items[i];
    if let Some((_, name)) = &item.inline {
        return format!("in the inline table `{name}`");
    }
    let table = match item.kind {
        Kind::Value => item.header,
        _ => enclosing_entry(items, i),
    };
    match table.map(|h| &items[h]) {
        Some(h) if h.kind == Kind::ArrayTable => format!("in a [[{}]] entry", dotted(&h.path)),
        Some(h) => format!("in [{}]", dotted(&h.path)),
        None => "at the top of the file".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1-based line of byte `pos` of `text`.
    fn line_of(text: &str, pos: usize) -> usize {
        text.get(..pos).unwrap_or(text).matches('\n').count() + 1
    }

    /// The messages and the lines they point at for `text`, from the
    /// parser's own errors.
    fn check(text: &str) -> Vec<(String, usize, Option<String>)> {
        let (_, errors) = toml::de::DeTable::parse_recoverable(text);
        let spans: Vec<Range<usize>> = errors
            .iter()
            .filter(|e| e.message() == "duplicate key")
            .filter_map(|e| e.span())
            .collect();
        assert!(!spans.is_empty(), "no duplicate key in {text:?}");
        explain(text, 0, &spans)
            .into_iter()
            .map(|d| {
                let at = d.span.map_or(0, |s| line_of(text, s.start));
                (d.message, at, d.hint)
            })
            .collect()
    }

    #[test]
    fn a_key_set_twice_is_named_with_its_first_line() {
        let got = check("[[country]]\nid = \"A\"\nname = \"x\"\nname = \"y\"\n");
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got[0].0,
            "duplicate key `name` in a [[country]] entry (first set on line 3)"
        );
        assert_eq!(got[0].1, 4);
        assert_eq!(
            got[0].2.as_deref(),
            Some(
                "remove one of them; if the second begins another entry, write `[[country]]` above it"
            )
        );
    }

    #[test]
    fn keys_in_inline_tables_and_dotted_keys_are_named_as_written() {
        let got = check("[[facility]]\nid = \"f\"\nrecipe = { wafer = 1, wafer = 2 }\n");
        assert_eq!(
            got[0].0,
            "duplicate key `wafer` in the inline table `recipe` (first set on line 3)"
        );
        let got = check("[meta]\na.b = 1\na.b = 2\n");
        assert_eq!(
            got[0].0,
            "duplicate key `a.b` in [meta] (first set on line 2)"
        );
        let got = check("include = []\ninclude = []\n");
        assert_eq!(
            got[0].0,
            "duplicate key `include` at the top of the file (first set on line 1)"
        );
    }

    /// Keys of the same name in different entries are no duplicates, and a
    /// key set twice in the second entry points at its first setting there.
    #[test]
    fn each_entry_is_its_own_table() {
        let got = check("[[country]]\nid = \"A\"\n[[country]]\nid = \"B\"\nid = \"C\"\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, 5);
        assert!(got[0].0.ends_with("(first set on line 4)"), "{}", got[0].0);
    }

    #[test]
    fn a_single_table_before_its_array_is_one_problem() {
        let got =
            check("[country]\nid = \"A\"\n\n[[country]]\nid = \"B\"\n\n[[country]]\nid = \"C\"\n");
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got[0].0,
            "`[[country]]` adds an entry to `country`, which line 1 opens as a single table, `[country]`"
        );
        assert_eq!(got[0].1, 4);
        assert_eq!(
            got[0].2.as_deref(),
            Some(
                "write `[[country]]`, with double brackets, for every entry of an array of tables, the first one too"
            )
        );
        let got =
            check("[[country]]\nid = \"A\"\n[country]\nid = \"B\"\n[[country]]\nid = \"C\"\n");
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got[0].0,
            "`[country]` opens `country` as a single table, but line 1 starts it as an array of tables, `[[country]]`"
        );
        assert_eq!(got[0].1, 3);
    }

    #[test]
    fn a_second_meta_in_one_file_is_one_problem() {
        let got =
            check("[meta]\nname = \"a\"\n\n[[country]]\nid = \"A\"\n\n[meta]\nname = \"b\"\n");
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].0, "a second [meta] table (the first is on line 1)");
        assert_eq!(got[0].1, 7);
        assert!(
            got[0]
                .2
                .as_deref()
                .is_some_and(|h| h.contains("move these keys into the first")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_table_written_twice_in_one_entry() {
        let got = check(
            "[[market]]\nid = \"m\"\n[market.demand.chip]\nunits_per_week = 1\n\
             [market.demand.chip]\nunits_per_week = 2\n",
        );
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got[0].0,
            "a second [market.demand.chip] table in one [[market]] entry (the first is on line 3)"
        );
        assert_eq!(got[0].1, 5);
        let got = check("[facility]\nid = \"a\"\n[facility]\nid = \"b\"\n");
        assert_eq!(
            got[0].2.as_deref(),
            Some(
                "write `[[facility]]`, with double brackets, for every entry of an array of tables"
            )
        );
    }

    #[test]
    fn a_value_and_a_table_of_one_name() {
        let got = check(
            "[[shock]]\nid = \"s\"\ncapacity = { countries = [\"TW\"] }\n[shock.capacity]\nkinds = [\"fab\"]\n",
        );
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(
            got[0].0,
            "`capacity` is defined twice in a [[shock]] entry (first on line 3)"
        );
    }
}
