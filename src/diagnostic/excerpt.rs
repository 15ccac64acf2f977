//! The part of the source a diagnostic shows.
//!
//! codespan-reporting prints each line a label is on whole. A generated file
//! may hold a line of megabytes (a one-line array of a million numbers, a
//! file with old Mac line endings, which has no `\n` at all), and an error on
//! it would print all of it. An [`Excerpt`] holds only the lines a
//! diagnostic's labels are on (and the one after each, which codespan may
//! show to close a gap), each line longer than [`LONG_LINE`] bytes cut to a
//! window around its label, with `…` where it was cut, and control
//! characters shown as their symbols (a carriage return or an escape would
//! act on the terminal). Line and column numbers stay the file's: it is
//! codespan's view of the files, not a copy of them.

use std::ops::Range;

use codespan_reporting::files::{Error, Files};

use crate::source::SourceMap;

/// Lines up to this many bytes are shown whole (a long comment or a
/// table on one line reads better whole than cut).
pub(super) const LONG_LINE: usize = 160;
/// Bytes kept before a label on a line that is cut.
const BEFORE: usize = 60;
/// Bytes kept of a line that is cut.
const WINDOW: usize = 120;
/// Where a line was cut.
const CUT: &str = "…";
/// Lines held at each end of a label over many lines: more than codespan
/// shows of it (3 lines after its start and 1 before its end, and a line
/// between them and the next shown).
const SHOWN_OF_MANY: usize = 6;

/// One line of a file, as the excerpt holds it.
#[derive(Debug)]
struct Line {
    /// Its index in the file.
    index: usize,
    /// Where it lies in the excerpt's text (its `\n` included).
    view: Range<usize>,
    /// The part of the file's line kept (file offsets).
    kept: Range<usize>,
    /// Characters of the line cut before `kept`.
    chars_cut: usize,
    /// Bytes of the `…` before the kept part in the excerpt (0 or 3).
    marker: usize,
}

/// The lines of one file that a diagnostic shows.
#[derive(Debug)]
struct File {
    name: String,
    text: String,
    /// In the file's order.
    lines: Vec<Line>,
}

/// A file (by its id) and a byte range in it.
pub(super) type Place = (usize, Range<usize>);

/// The lines of every file a diagnostic points into.
#[derive(Debug, Default)]
pub(super) struct Excerpt {
    files: Vec<File>,
}

impl Excerpt {
    /// The excerpt that shows `labels` (a source map's file id and local
    /// byte range each; the primary label first, whose place a cut line
    /// is centred on), and each label's file and range in it.
    pub(super) fn new(sources: &SourceMap, labels: &[Place]) -> (Self, Vec<Option<Place>>) {
        let mut ids: Vec<usize> = Vec::new();
        for (id, _) in labels {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        let files: Vec<File> = ids
            .iter()
            .map(|&id| {
                let ranges: Vec<&Range<usize>> = labels
                    .iter()
                    .filter(|(i, _)| *i == id)
                    .map(|(_, r)| r)
                    .collect();
                excerpt_of(sources, id, &ranges)
            })
            .collect();
        let mapped = labels
            .iter()
            .map(|(id, range)| {
                let at = ids.iter().position(|i| i == id)?;
                let source = sources.file(*id).text.as_str();
                let start = files[at].map(source, range.start)?;
                let end = files[at].map(source, range.end)?.max(start);
                Some((at, start..end))
            })
            .collect();
        (Excerpt { files }, mapped)
    }
}

fn excerpt_of(sources: &SourceMap, id: usize, labels: &[&Range<usize>]) -> File {
    let source = sources.file(id);
    let text = source.text.as_str();
    // The lines to hold: each label's, the one after each, and those
    // between its ends that codespan shows (the first few and the last:
    // it asks for the others, but shows a break for them).
    let mut wanted: Vec<usize> = Vec::new();
    for r in labels {
        let (first, last) = (source.line_index(r.start), source.line_index(r.end));
        if last - first <= 2 * SHOWN_OF_MANY {
            wanted.extend(first..=last + 1);
        } else {
            wanted.extend(first..=first + SHOWN_OF_MANY);
            wanted.extend(last - SHOWN_OF_MANY..=last + 1);
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    let wanted = wanted
        .into_iter()
        .filter_map(|index| source.line_range(index).map(|r| (index, r)));
    let mut out = File {
        name: source.name.clone(),
        text: String::new(),
        lines: Vec::new(),
    };
    for (index, range) in wanted {
        let line = &text[range.clone()];
        let kept = if line.len() <= LONG_LINE {
            range.clone()
        } else {
            // Around the first label that starts on the line (the primary
            // one if it does), else the first that ends on it.
            let anchor = labels
                .iter()
                .map(|r| r.start)
                .chain(labels.iter().map(|r| r.end))
                .find(|x| (range.start..=range.end).contains(x))
                .unwrap_or(range.start);
            let start = floor_boundary(line, (anchor - range.start).saturating_sub(BEFORE));
            let end = floor_boundary(line, (start + WINDOW).min(line.len()));
            range.start + start..range.start + end
        };
        let view_start = out.text.len();
        let marker = if kept.start > range.start {
            out.text.push_str(CUT);
            CUT.len()
        } else {
            0
        };
        out.text.extend(text[kept.clone()].chars().map(shown));
        if kept.end < range.end {
            out.text.push_str(CUT);
        }
        out.text.push('\n');
        out.lines.push(Line {
            index,
            view: view_start..out.text.len(),
            chars_cut: text[range.start..kept.start].chars().count(),
            kept,
            marker,
        });
    }
    out
}

/// A character as the excerpt shows it: a control character (other than
/// tab) as its symbol, `␍` for a carriage return, for the terminal would
/// act on it (a carriage return moves back to the start of the line, an
/// escape starts a command) or show nothing.
fn shown(c: char) -> char {
    match u32::from(c) {
        0x09 => c,
        x @ 0x00..=0x1f => char::from_u32(0x2400 + x).unwrap_or(char::REPLACEMENT_CHARACTER),
        0x7f => '\u{2421}',
        _ if c.is_control() => char::REPLACEMENT_CHARACTER,
        _ => c,
    }
}

/// The largest character boundary of `s` at or before `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl File {
    /// A local offset of the file (whose text is `source`), as an offset in
    /// the excerpt: a place cut away is moved to the nearest end of what is
    /// kept.
    fn map(&self, source: &str, at: usize) -> Option<usize> {
        let i = self
            .lines
            .partition_point(|l| l.kept.start <= at)
            .checked_sub(1)?;
        let line = &self.lines[i];
        let within = at.clamp(line.kept.start, line.kept.end);
        // Characters may be shown wider than written (a control character
        // as its symbol): count them.
        let chars = source.get(line.kept.start..within)?.chars().count();
        let from = line.view.start + line.marker;
        let offset = self.text[from..line.view.end]
            .char_indices()
            .nth(chars)
            .map_or(line.view.end - 1, |(i, _)| from + i);
        // A place past the line's end is its `\n` (at most).
        Some(offset.min(line.view.end - 1))
    }

    fn line(&self, index: usize) -> Option<&Line> {
        self.lines
            .binary_search_by_key(&index, |l| l.index)
            .ok()
            .map(|i| &self.lines[i])
    }
}

impl<'a> Files<'a> for Excerpt {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(self.files.get(id).ok_or(Error::FileMissing)?.name.as_str())
    }

    fn source(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(self.files.get(id).ok_or(Error::FileMissing)?.text.as_str())
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, Error> {
        let file = self.files.get(id).ok_or(Error::FileMissing)?;
        let i = file
            .lines
            .partition_point(|l| l.view.start <= byte_index)
            .saturating_sub(1);
        Ok(file.lines.get(i).map_or(0, |l| l.index))
    }

    /// A line not held (inside a label over many lines, which codespan
    /// asks for but does not show) is empty.
    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, Error> {
        let file = self.files.get(id).ok_or(Error::FileMissing)?;
        Ok(file
            .line(line_index)
            .map_or(file.text.len()..file.text.len(), |l| l.view.clone()))
    }

    fn column_number(
        &'a self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let file = self.files.get(id).ok_or(Error::FileMissing)?;
        let Some(line) = file.line(line_index) else {
            return Ok(1);
        };
        let kept_from = line.view.start + line.marker;
        let within = file
            .text
            .get(kept_from..byte_index.max(kept_from))
            .map_or(0, |s| s.chars().count());
        Ok(line.chars_cut + within + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_file(text: &str) -> SourceMap {
        let mut m = SourceMap::new();
        m.add("f.toml", "f.toml", text.to_string());
        m
    }

    /// The excerpt of one label, and where the label is in it.
    fn excerpt(m: &SourceMap, at: Range<usize>) -> (Excerpt, usize, Range<usize>) {
        let (e, mapped) = Excerpt::new(m, &[(0, at)]);
        let (id, r) = mapped[0].clone().expect("mapped");
        (e, id, r)
    }

    #[test]
    fn short_lines_are_kept_whole_with_their_numbers() {
        let m = one_file("a = 1\nb = 2\nc = x\nd = 4\n");
        let (e, id, r) = excerpt(&m, 16..17); // `x`
        assert_eq!(&e.source(id).expect("source")[r.clone()], "x");
        assert_eq!(e.line_index(id, r.start).expect("line"), 2);
        assert_eq!(e.column_number(id, 2, r.start).expect("column"), 5);
        assert_eq!(e.source(id).expect("source"), "c = x\nd = 4\n");
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let line = format!(
            "x = [{}bad{}]",
            "1, ".repeat(100_000),
            ", 2".repeat(100_000)
        );
        let at = line.find("bad").expect("bad");
        let m = one_file(&format!("[meta]\n{line}\n"));
        let (e, id, r) = excerpt(&m, 7 + at..7 + at + 3);
        let text = e.source(id).expect("source");
        assert!(text.len() < LONG_LINE + 2 * CUT.len() + 2, "{text}");
        assert!(
            text.starts_with(CUT) && text.trim_end().ends_with(CUT),
            "{text}"
        );
        assert_eq!(&text[r.clone()], "bad");
        assert_eq!(e.line_index(id, r.start).expect("line"), 1);
        assert_eq!(
            e.column_number(id, 1, r.start).expect("column"),
            at + 1,
            "the file's column"
        );
    }

    #[test]
    fn a_cut_keeps_whole_characters() {
        let m = one_file(&"é".repeat(200));
        let (e, id, r) = excerpt(&m, 200..202);
        let text = e.source(id).expect("source");
        assert!(text.chars().filter(|&c| c == 'é').count() > 50, "{text}");
        assert_eq!(&text[r.clone()], "é");
        assert_eq!(e.column_number(id, 0, r.start).expect("column"), 101);
    }

    /// Control characters are shown as their symbols (a carriage return
    /// would move the terminal back to the start of the line), and a label
    /// after them still lands on its text.
    #[test]
    fn control_characters_are_shown_as_symbols() {
        let m = one_file("a = 1\r# x\u{1b}[2J = \"\u{0}\" bad\n");
        let at = 20..23;
        assert_eq!(&m.file(0).text[at.clone()], "bad");
        let (e, id, r) = excerpt(&m, at);
        let text = e.source(id).expect("source");
        // (With the line after, empty.)
        assert_eq!(text, "a = 1\u{240d}# x\u{241b}[2J = \"\u{2400}\" bad\n\n");
        assert_eq!(&text[r.clone()], "bad");
        assert_eq!(e.column_number(id, 0, r.start).expect("column"), 21);
    }
}
