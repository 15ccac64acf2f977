//! TOML syntax errors in plain words.
//!
//! The TOML parser names what it expected (`expected '='`) but not what
//! the writer most likely meant. Each of its errors is kept as it says it,
//! located, with a hint for the slips people make in hand-written files: a
//! bare word where a string goes, `:` for `=`, a header or string left
//! open, JSON instead of TOML. Only the first error of a line is reported:
//! the parser's later ones on that line follow from it (`name: "x"` is an
//! invalid key, and then a key with no value). A key or table defined
//! twice is explained by [`super::duplicates`].

use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The diagnostics for the parser's errors on one file (`text`; `base`, the
/// file's offset in the scenario's, or the sweep's, sources).
pub(crate) fn explain(
    text: &str,
    base: usize,
    mut errors: Vec<toml::de::Error>,
) -> Vec<Diagnostic> {
    // In the file's order: a line's first error is the one it begins with.
    errors.sort_by_key(|e| e.span().map_or(0, |r| r.start));
    let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count();
    let mut duplicates = Vec::new();
    let mut out = Vec::new();
    let mut lines_reported = Vec::new();
    for e in errors {
        let at = e.span().unwrap_or(0..0);
        if e.message() == "duplicate key" {
            duplicates.push(at);
            continue;
        }
        let line = line_of(at.start);
        if lines_reported.contains(&line) {
            continue;
        }
        lines_reported.push(line);
        let message = e.message().trim();
        let written = text.get(at.clone()).unwrap_or("");
        let line_text = text.lines().nth(line).unwrap_or("");
        let line_start = text[..at.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let before = text.get(line_start..at.start).unwrap_or("");
        // (The parser's span may be empty: `'a\u{7}b'` stops before the
        // character it refuses.)
        let control = control_char(text.get(at.start..).unwrap_or(""));
        let at_error = Slip {
            message,
            written,
            before,
            line: line_text,
            control,
        };
        let mut d = Diagnostic::new(
            format!("{message} (TOML syntax error)"),
            Span::new(base + at.start, base + at.end),
        )
        .hint_opt(hint(&at_error, text));
        if let Some(c) = control {
            // Shown as its symbol (␀), which may be mistaken for the text.
            d = d.label(format!("control character {}", code_point(c)));
        }
        out.push(d);
    }
    out.extend(super::duplicates::explain(text, base, &duplicates));
    out
}

/// Where the parser stopped, and what it said.
struct Slip<'a> {
    /// The parser's message.
    message: &'a str,
    /// The text it stopped at.
    written: &'a str,
    /// The line's text before it.
    before: &'a str,
    /// The whole line.
    line: &'a str,
    /// The control character it stopped at, if any.
    control: Option<char>,
}

/// The control character `rest` (the text from where the parser stopped)
/// starts with, if any: TOML allows none in a file but tab and line
/// breaks, and the terminal shows none.
fn control_char(rest: &str) -> Option<char> {
    rest.chars()
        .next()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A character as Unicode names it: `U+0000`.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// For the parser's "invalid boolean" or "invalid float, expected `nan`"
/// (it reads a bare word by its first letter: `t`rue, `f`alse, `n`an,
/// `i`nf), the word and the keyword, when the word is no slip of the
/// keyword (`TW`, `fab`, `NL`, `intel`): text left unquoted. A slip (`True`,
/// `fals`, `NaN`) keeps the hint for the keyword.
fn bare_word<'a>(slip: &Slip<'a>) -> Option<(String, &'a str)> {
    let is = |prefix: &str| slip.message.starts_with(prefix);
    if !(is("invalid boolean")
        || is("invalid float, expected `nan`")
        || is("invalid float, expected `inf`"))
    {
        return None;
    }
    let keyword = slip.message.split_once("expected `")?.1.split('`').next()?;
    let word = slip.written.trim();
    let lower = word.to_lowercase();
    let misspelt = lower == keyword
        || (lower.chars().count() >= 3 && strsim::osa_distance(&lower, keyword) == 1)
        || (keyword == "inf" && lower == "infinity");
    if word.is_empty() || misspelt {
        return None;
    }
    // A sign before it is part of what was written (`-nvidia`).
    let sign = slip
        .before
        .chars()
        .last()
        .filter(|c| matches!(c, '+' | '-'))
        .map(String::from)
        .unwrap_or_default();
    Some((format!("{sign}{word}"), keyword))
}

/// The name a header line gives its table, as written (`[[country]` gives
/// `country`); `name` when it gives none.
fn header_name(line: &str) -> &str {
    let name = line
        .trim_start()
        .trim_start_matches('[')
        .split([']', '#'])
        .next()
        .unwrap_or("")
        .trim();
    if name.is_empty() { "name" } else { name }
}

/// The bracket, `[` or `{`, left open in `before` (outside strings), if
/// any: what the text that follows it is an element of.
fn open_bracket(before: &str) -> Option<char> {
    let mut open = Vec::new();
    let mut quote = None;
    let mut escaped = false;
    for c in before.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => open.push(c),
                ']' | '}' => {
                    open.pop();
                }
                '#' => break,
                _ => {}
            },
        }
    }
    open.pop()
}

/// What the writer of the line (where the parser stopped) most likely
/// meant, for the parser's message.
fn hint(slip: &Slip, text: &str) -> Option<String> {
    let Slip {
        message,
        written,
        before,
        line,
        control,
    } = *slip;
    let is = |prefix: &str| message.starts_with(prefix);
    let key = line
        .split(['=', ':'])
        .next()
        .and_then(|k| k.split_whitespace().next())
        .unwrap_or("");
    let key = if key.is_empty() || key.starts_with('[') {
        "key"
    } else {
        key
    };
    let hint = if text.trim_start().starts_with('{') && is("invalid key-value pair") {
        "the file is TOML, not JSON: tables as `[name]` or `[[name]]` headers, and one \
         `key = value` per line"
            .to_string()
    } else if is("string values must be quoted") && written.trim().contains(char::is_whitespace) {
        // Two values where one goes: `[1 2]`, `{ a = 1 b = 2 }`, `x = 1 2`.
        match open_bracket(before) {
            Some('[') => "an array is [a, b, c]: a comma between its elements".to_string(),
            Some(_) => {
                "an inline table is { a = 1, b = 2 }: a comma between its entries".to_string()
            }
            None => format!(
                "a key takes one value: a list is written `{key} = [a, b]`, and text is \
                 quoted: `{key} = \"{}\"`",
                written.trim()
            ),
        }
    } else if is("string values must be quoted") {
        let word = written.trim();
        format!("text is quoted: `\"{word}\"`; only numbers, true and false go unquoted")
    } else if let Some((word, keyword)) = bare_word(slip) {
        // A word that starts like a keyword (`TW`, `fab`, `NL`, `intel`):
        // the parser reads it as that keyword misspelt.
        format!(
            "text is quoted: `\"{word}\"`; only numbers, true and false go unquoted (unquoted, \
             `{word}` reads as a misspelt `{keyword}`)"
        )
    } else if is("missing escaped value")
        || is("too few unicode value digits")
        || is("invalid unicode")
    {
        "in a \"...\" string a backslash starts an escape (\\n, \\t, \\\", \\\\, \\u00e9): \
         write \\\\ for a backslash, or use a literal string in single quotes, \
         'C:\\data', which keeps every character as written"
            .to_string()
    } else if is("unexpected key or value") && line.trim_start().starts_with('[') {
        "a table header stands alone on its line, its brackets matched: `[meta]` or \
         `[[facility]]`"
            .to_string()
    } else if is("unexpected key or value") && before.trim_end().ends_with('\'') {
        "a '...' string ends at the next ': for text with an apostrophe use double \
         quotes, \"it's\""
            .to_string()
    } else if is("unexpected key or value") && before.trim_end().ends_with('"') {
        "a key takes one value: several are written as a list, `[\"a\", \"b\"]`".to_string()
    } else if is("unquoted keys cannot be empty") {
        "a key goes before `=`, and each part of a dotted key has a name: `key = value`, \
         `a.b = value`"
            .to_string()
    } else if is("extra comma") {
        "one comma between two elements".to_string()
    } else if let Some(c) = control.filter(|_| is("invalid") && message.contains("string")) {
        format!(
            "the string holds the control character {}, which TOML does not allow as \
             written: remove it, or write it as the escape \\u{:04X} in a \"...\" string",
            code_point(c),
            u32::from(c)
        )
    } else if is("invalid multi-line") {
        "close the string with the same three quotes that open it: \"\"\"...\"\"\" or \
         '''...'''"
            .to_string()
    } else if is("invalid comment character") {
        "a comment holds printable text only: remove the control character (a stray \
         byte from a copy and paste)"
            .to_string()
    } else if is("invalid date") || is("invalid time") || is("unsupported datetime") {
        "no scenario value is a date or time: quote it if it is text, \"2024-01-01\"".to_string()
    } else if is("invalid unquoted key") && written.contains(':') {
        format!("a key takes its value with `=`, not `:`: write `{key} = ...`")
    } else if is("invalid unquoted key") || is("invalid key") {
        "a key is made of letters, digits, `-` and `_` (quote any other: \"my key\" = 1), \
         and each line sets one: key = value"
            .to_string()
    } else if is("key with no value") || is("missing assignment between key-value pairs") {
        format!("write `{key} = value`: a key and its value are joined by `=`")
    } else if is("missing value") {
        format!("give `{key}` a value after `=`, e.g. `{key} = \"text\"` or `{key} = 0.5`")
    } else if is("unclosed array table") {
        format!(
            "close the header on its line, with two brackets: `[[{}]]`",
            header_name(line)
        )
    } else if is("unclosed table") {
        format!("close the header on its line: `[{}]`", header_name(line))
    } else if is("invalid basic string") || is("invalid literal string") || is("invalid string") {
        "close the string with its quote on the same line: a \"...\" string cannot span lines \
         (write \"\"\"...\"\"\" for text over several)"
            .to_string()
    } else if is("unclosed array") || is("missing comma between array elements") {
        "an array is [a, b, c]: a comma between its elements and `]` at its end (it may \
         span lines)"
            .to_string()
    } else if is("unclosed inline table") || is("missing comma between key-value pairs") {
        "an inline table is { a = 1, b = 2 }: a comma between its entries and `}` at its \
         end"
        .to_string()
    } else if is("invalid float")
        || is("invalid integer")
        || is("invalid exponent")
        || is("invalid fraction")
        || is("invalid mantissa")
        || is("unexpected leading zero")
        || is("unexpected sign")
        || is("`_` may only go between digits")
    {
        "write a plain number, such as 52, 0.25 or 1.5e9: no units, no thousands separators, \
         no leading zeros"
            .to_string()
    } else if is("invalid boolean") {
        "write true or false, in lower case".to_string()
    } else if is("cannot recurse further") {
        format!(
            "arrays and inline tables nest at most {} deep, far deeper than any scenario \
             value: look for brackets left open",
            super::duplicates::MAX_NESTING
        )
    } else if is("recursion limit") {
        format!(
            "a key or header has at most {} dotted parts, far more than any scenario key",
            super::duplicates::MAX_NESTING
        )
    } else if is("extra `=`") || is("unexpected `=`") {
        "one `=` per key: key = value".to_string()
    } else if is("unexpected content") || is("unexpected key or value") {
        "one `key = value` per line; a comment starts with #".to_string()
    } else {
        return None;
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<Diagnostic> {
        let (_, errors) = toml::de::DeTable::parse_recoverable(text);
        explain(text, 0, errors)
    }

    /// Each common slip: the parser's message, kept, and a hint; one error
    /// per line.
    #[test]
    fn slips_get_hints() {
        for (text, message, hint) in [
            (
                "[meta]\nname = base\n",
                "string values must be quoted",
                "text is quoted: `\"base\"`",
            ),
            (
                "[meta]\nname: \"base\"\n",
                "invalid unquoted key",
                "a key takes its value with `=`, not `:`: write `name = ...`",
            ),
            (
                "[meta]\nname \"base\"\n",
                "key with no value",
                "write `name = value`",
            ),
            (
                "[meta\nname = \"b\"\n",
                "unclosed table",
                "close the header",
            ),
            (
                "[meta]\nname = \"base\n",
                "invalid basic string",
                "close the string",
            ),
            (
                "x = [\"a\", \"b\"\ny = 1\n",
                "missing comma between array elements",
                "an array is [a, b, c]",
            ),
            (
                "{\"meta\": {\"name\": \"b\"}}\n",
                "invalid key-value pair",
                "not JSON",
            ),
            ("h = 52.5.1\n", "invalid float", "write a plain number"),
            ("b = True\n", "invalid boolean", "write true or false"),
            ("b = fals\n", "invalid boolean", "write true or false"),
            ("b = ture\n", "invalid boolean", "write true or false"),
            (
                "country = TW\n",
                "invalid boolean",
                "text is quoted: `\"TW\"`; only numbers, true and false go unquoted \
                 (unquoted, `TW` reads as a misspelt `true`)",
            ),
            (
                "kind = fab\n",
                "invalid boolean",
                "text is quoted: `\"fab\"`",
            ),
            ("id = tsmc_x\n", "invalid boolean", "`\"tsmc_x\"`"),
            (
                "x = [\"a\", front_end]\n",
                "invalid boolean",
                "`\"front_end\"`",
            ),
            ("country = NL\n", "invalid float", "`\"NL\"`"),
            ("country = IN\n", "invalid float", "a misspelt `inf`"),
            ("firm = -intel\n", "invalid float", "`\"-intel\"`"),
            ("x = NaN\n", "invalid float", "write a plain number"),
            (
                "[[country]\nid = \"TW\"\n",
                "unclosed array table",
                "close the header on its line, with two brackets: `[[country]]`",
            ),
            (
                "[sweep\nscenario = \"w.toml\"\n",
                "unclosed table",
                "close the header on its line: `[sweep]`",
            ),
            (
                "path = \"C:\\data\"\n",
                "missing escaped value",
                "write \\\\ for a backslash",
            ),
            (
                "x = [1 2]\n",
                "string values must be quoted",
                "a comma between its elements",
            ),
            (
                "x = {a = 1 b = 2}\n",
                "string values must be quoted",
                "a comma between its entries",
            ),
            (
                "x = 1 2\n",
                "string values must be quoted",
                "a key takes one value",
            ),
            (
                "x = [\"[\", 1 2]\n",
                "string values",
                "a comma between its elements",
            ),
            (
                "x = \"a\" \"b\"\n",
                "unexpected key or value",
                "written as a list",
            ),
            (
                "x = 'it's'\n",
                "unexpected key or value",
                "use double quotes",
            ),
            (
                "[a]]\n",
                "unexpected key or value",
                "a table header stands alone",
            ),
            (
                "= 1\n",
                "unquoted keys cannot be empty",
                "a key goes before `=`",
            ),
            ("x = [1,,2]\n", "extra comma", "one comma"),
            ("x = \"\"\"abc\n", "invalid multi-line", "same three quotes"),
            (
                "x = 1 # a\u{1}\n",
                "invalid comment character",
                "printable text",
            ),
            (
                "d = 2024-13-01\n",
                "invalid date",
                "no scenario value is a date",
            ),
            (
                "x = 1__0\n",
                "`_` may only go between digits",
                "write a plain number",
            ),
            (
                "name = \"The \u{0}fab\"\n",
                "invalid basic string",
                "the string holds the control character U+0000, which TOML does not allow as \
                 written: remove it, or write it as the escape \\u0000",
            ),
            (
                "name = 'a\u{7}b'\n",
                "invalid literal string",
                "control character U+0007",
            ),
            (
                "name = \"\"\"a\u{1b}b\"\"\"\n",
                "invalid multi-line basic string",
                "control character U+001B",
            ),
        ] {
            let d = errors(text);
            assert_eq!(d.len(), 1, "{text:?}: {d:#?}");
            assert!(d[0].message.contains(message), "{text:?}: {}", d[0].message);
            let h = d[0].hint.as_deref().unwrap_or("");
            assert!(h.contains(hint), "{text:?}: {h}");
        }
    }
}

#[cfg(test)]
mod control {
    use super::*;

    /// A control character in a string is named where it is (a terminal
    /// shows nothing of it, and the excerpt its symbol).
    #[test]
    fn a_control_character_is_named_where_it_is() {
        let text = "[meta]\nname = \"The \u{0}fab\"\n";
        let (_, errors) = toml::de::DeTable::parse_recoverable(text);
        let d = explain(text, 0, errors);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].label, "control character U+0000");
        assert_eq!(d[0].span.map(|s| s.start), text.find('\u{0}'));
    }
}

#[cfg(test)]
mod deep {
    use super::*;

    /// Nesting far past the parser's limit is its one error, with a key
    /// set twice too (which has the file's outline read again): nothing
    /// descends level by level, so ten thousand levels fit the test
    /// thread's stack as well as ten do.
    #[test]
    fn nesting_far_past_the_limit_is_one_error_not_a_stack_overflow() {
        for open in ["[", "{a = "] {
            let text = format!("a = 1\na = 2\nx = {}\n", open.repeat(10_000));
            let (_, errors) = toml::de::DeTable::parse_recoverable(&text);
            let d = explain(&text, 0, errors);
            assert!(
                d.iter().any(|d| d.message.contains("max recursion depth")),
                "{d:#?}"
            );
            assert!(
                d.iter().any(|d| d.message.contains("duplicate key `a`")),
                "{d:#?}"
            );
        }
    }

    /// Past the parser's limits: its message, kept, and the limit.
    #[test]
    fn nesting_and_dotting_past_the_limit_get_hints() {
        for (text, message, hint) in [
            (
                format!("x = {}1{}\n", "[".repeat(100), "]".repeat(100)),
                "max recursion depth",
                "nest at most 80 deep",
            ),
            (
                format!("{} = 1\n", ["a"; 100].join(".")),
                "recursion limit",
                "at most 80 dotted parts",
            ),
        ] {
            let (_, errors) = toml::de::DeTable::parse_recoverable(&text);
            let d = explain(&text, 0, errors);
            assert_eq!(d.len(), 1, "{d:#?}");
            assert!(d[0].message.contains(message), "{}", d[0].message);
            let h = d[0].hint.as_deref().unwrap_or("");
            assert!(h.contains(hint), "{h}");
        }
    }
}
