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
        out.push(
            Diagnostic::new(
                format!("{message} (TOML syntax error)"),
                Span::new(base + at.start, base + at.end),
            )
            .hint_opt(hint(message, written, line_text, text)),
        );
    }
    out.extend(super::duplicates::explain(text, base, &duplicates));
    out
}

/// What the writer of `line` (where the parser stopped at `written`)
/// most likely meant, for the parser's `message`.
fn hint(message: &str, written: &str, line: &str, text: &str) -> Option<String> {
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
    } else if is("string values must be quoted") {
        let word = written.trim();
        format!("text is quoted: `\"{word}\"`; only numbers, true and false go unquoted")
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
        "close the header on its line, with two brackets: `[[facility]]`".to_string()
    } else if is("unclosed table") {
        "close the header on its line: `[meta]`".to_string()
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
    {
        "write a plain number, such as 52, 0.25 or 1.5e9: no units, no thousands separators, \
         no leading zeros"
            .to_string()
    } else if is("invalid boolean") {
        "write true or false, in lower case".to_string()
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
        ] {
            let d = errors(text);
            assert_eq!(d.len(), 1, "{text:?}: {d:#?}");
            assert!(d[0].message.contains(message), "{text:?}: {}", d[0].message);
            let h = d[0].hint.as_deref().unwrap_or("");
            assert!(h.contains(hint), "{text:?}: {h}");
        }
    }
}
