//! serde's messages about a sweep file, in the sweep file's words.
//!
//! serde names Rust types ("expected i64", "struct RangeSpec with 3
//! elements", "unknown variant"); the reader of a sweep file knows its keys
//! and TOML values. [`explain`] rewrites a message about the value at a key
//! path (`sweep.trials`, `axis.values`) and adds how to write it.

use crate::diagnostic::{did_you_mean, unknown_name};

/// What is wrong, and how to write it.
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// How a range is written, for hints.
pub const RANGE_FORM: &str = "range = { from = 0.02, to = 0.2, steps = 5 }";

/// What the value of each key must be, and an example.
fn wanted(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "sweep" => (
            "a table, [sweep]",
            "[sweep]\nscenario = \"../world.toml\"\ntrials = 400",
        ),
        "axis" => (
            "an array of tables, [[axis]] (double brackets, one per axis)",
            "[[axis]]\npath = \"shock.taiwan_blockade.probability\"\nvalues = [0.02, 0.1]",
        ),
        "scenario" => (
            "the scenario file's path in quotes",
            "scenario = \"../world.toml\"",
        ),
        "variants" => (
            "a list of variant names in quotes",
            "variants = [\"baseline\", \"reshoring\"]",
        ),
        "trials" => ("a whole number", "trials = 400"),
        "seed" => ("a whole number", "seed = 2026"),
        "points" => ("a whole number", "points = 40"),
        "design" => (
            "a design name in quotes (grid, zip or latin_hypercube)",
            "design = \"grid\"",
        ),
        "path" => (
            "a parameter path in quotes",
            "path = \"shock.taiwan_blockade.probability\"",
        ),
        "values" => ("a list of numbers", "values = [0.02, 0.1, 0.2]"),
        "range" => ("a table", RANGE_FORM),
        "from" | "to" => ("a number", RANGE_FORM),
        "steps" => ("a whole number", RANGE_FORM),
        _ => return None,
    })
}

/// Where a key lives, for messages.
fn table_of(path: &[String]) -> &'static str {
    match path.first().map(String::as_str) {
        Some("sweep") => "the [sweep] table",
        Some("axis") if path.get(1).is_some_and(|k| k == "range") => "an axis's `range`",
        Some("axis") => "an [[axis]] table",
        _ => "the sweep file",
    }
}

/// Rewrites serde's `message` about the value at `path`; `snippet` is the
/// text it points at. Messages serde words plainly pass through.
pub fn explain(path: &[String], message: &str, snippet: &str) -> Problem {
    let key = path.last().map(String::as_str).unwrap_or("");
    if message.contains(crate::scenario::load::TOML_DATETIME)
        || crate::scenario::load::looks_like_a_date(snippet)
    {
        // toml reads a date as a table under a private key, whose name
        // would leak into the message.
        return Problem::new(
            format!("`{key}` is a date, which no sweep value is"),
            "write a number, text in quotes, a list or a table (see docs/SWEEPS.md)",
        );
    }
    if let Some((field, valid)) = unknown_name(message, "field") {
        let hint = match did_you_mean(field, valid.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("valid: {}", valid.join(", ")),
        };
        return Problem::new(
            format!("unknown field `{field}` in {}", table_of(path)),
            hint,
        );
    }
    if let Some((name, valid)) = unknown_name(message, "variant") {
        let noun = if key == "design" { "design" } else { "name" };
        let hint = match did_you_mean(name, valid.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? {noun}s: {}", valid.join(", ")),
            None => format!("{noun}s: {}", valid.join(", ")),
        };
        return Problem::new(format!("unknown {noun} `{name}`"), hint);
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let example = wanted(field).map(|(_, e)| e).unwrap_or("");
        let message = if path.is_empty() && field == "sweep" {
            "a sweep file needs a [sweep] table".to_string()
        } else {
            format!("{} needs `{field}`", table_of(&path_with(path, field)))
        };
        return Problem::new(message, format!("e.g. {example}"));
    }
    if key == "range"
        && (message.contains("expected struct RangeSpec") || message.starts_with("invalid length"))
    {
        return range_problem(snippet);
    }
    // A whole number beyond what its key holds: toml reads integers wider
    // than TOML's 64-bit signed ones (`seed` takes any u64), and serde
    // names the Rust types.
    if message == "integer number overflowed"
        || (message.starts_with("invalid value: integer `")
            || message.starts_with("invalid type: integer `"))
            && (message.ends_with(", expected i64") || message.ends_with(", expected i128"))
    {
        let written = snippet.trim();
        let message = if key == "seed" && !written.starts_with('-') {
            format!("`seed` is {written}, but must be at most {}", u64::MAX)
        } else {
            format!(
                "`{key}` is {written}, beyond TOML's whole numbers (64-bit: {} to {})",
                i64::MIN,
                i64::MAX
            )
        };
        let hint = if key == "seed" {
            super::SEED_HINT.to_string()
        } else {
            wanted(key).map_or(String::new(), |(_, e)| format!("e.g. {e}"))
        };
        return Problem::new(message, hint);
    }
    if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.rsplit_once(", expected "))
        && let Some((noun, example)) = wanted(key)
    {
        return wrong_type(key, noun, example, found, expected);
    }
    Problem {
        message: message.to_string(),
        hint: None,
    }
}

/// `path` with `key` added below it, for a missing key.
fn path_with(path: &[String], key: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(key.to_string());
    p
}

/// A range written as something other than `{ from, to, steps }` (most
/// often a list, `[0.1, 0.2]`): the table form, with the list's numbers.
fn range_problem(snippet: &str) -> Problem {
    let numbers: Option<Vec<&str>> = snippet
        .trim()
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        });
    let form = match numbers.as_deref() {
        Some([from, to]) if [from, to].iter().all(|x| x.parse::<f64>().is_ok()) => {
            format!("range = {{ from = {from}, to = {to}, steps = 5 }}")
        }
        Some([from, to, steps])
            if [from, to].iter().all(|x| x.parse::<f64>().is_ok())
                && steps.parse::<u64>().is_ok() =>
        {
            format!("range = {{ from = {from}, to = {to}, steps = {steps} }}")
        }
        _ => RANGE_FORM.to_string(),
    };
    Problem::new(
        format!(
            "`range` is a table with keys from, to and steps, not {}",
            describe(snippet)
        ),
        format!(
            "write {form} (steps: how many evenly spaced values, both ends included; \
             a latin_hypercube design needs only from and to), or list the values: values = [..]"
        ),
    )
}

/// The text at an error, described for a message.
fn describe(snippet: &str) -> String {
    let s = snippet.trim();
    if s.starts_with('[') {
        format!("a list ({s})")
    } else if s.starts_with('"') || s.starts_with('\'') {
        format!("the text {s}")
    } else {
        s.to_string()
    }
}

/// serde's "invalid type: string \"200\", expected i64" about `key`, whose
/// value must be `noun` (written as `example`).
fn wrong_type(key: &str, noun: &str, example: &str, found: &str, expected: &str) -> Problem {
    let text = found
        .strip_prefix("string \"")
        .and_then(|s| s.strip_suffix('"'));
    let number = found
        .strip_prefix("integer `")
        .or_else(|| found.strip_prefix("floating point `"))
        .and_then(|s| s.strip_suffix('`'));
    let shown = match (text, number) {
        (Some(t), _) => format!("the text \"{t}\""),
        (_, Some(n)) => format!("the number {n}"),
        _ if found == "map" => "a table".to_string(),
        _ if found == "sequence" => "a list".to_string(),
        _ => found.replace('`', ""),
    };
    // A list whose elements are of the wrong type (`values = ["0.1"]`)
    // is about an element, not about the list.
    let element = matches!(key, "values" | "variants") && expected != "a sequence";
    let message = if element {
        format!("`{key}` must be {noun}: one of them is {shown}")
    } else {
        format!("`{key}` must be {noun}, not {shown}")
    };
    let numeric = matches!(
        key,
        "values" | "trials" | "seed" | "points" | "steps" | "from" | "to"
    );
    let hint = match (text, number) {
        (Some(t), _) if key == "variants" && !element => format!("write variants = [\"{t}\"]"),
        // A value no scenario may hold (NaN, infinite, beyond 1e15) is not
        // worth unquoting; counts and seeds have their own bounds.
        (Some(t), _)
            if numeric
                && t.trim().parse::<f64>().is_ok_and(|x| {
                    x.is_finite()
                        && (!matches!(key, "values" | "from" | "to")
                            || x.abs() <= crate::scenario::MAX_MAGNITUDE)
                }) =>
        {
            format!(
                "numbers are written without quotes: {} rather than \"{t}\"",
                t.trim()
            )
        }
        (_, Some(n)) if key == "values" && !element => {
            format!("a single value is a list of one: values = [{n}]")
        }
        _ => format!("e.g. {example}"),
    };
    Problem::new(message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(path: &str, message: &str, snippet: &str) -> (String, String) {
        let path: Vec<String> = path.split('.').map(str::to_string).collect();
        let p = explain(&path, message, snippet);
        (p.message, p.hint.unwrap_or_default())
    }

    #[test]
    fn serde_words_become_the_sweep_files() {
        let (m, h) = explained(
            "sweep.trials",
            "invalid type: string \"200\", expected i64",
            "\"200\"",
        );
        assert_eq!(m, "`trials` must be a whole number, not the text \"200\"");
        assert!(h.contains("200 rather than \"200\""), "{h}");
        let (m, h) = explained(
            "axis.values",
            "invalid type: string \"0.1\", expected f64",
            "\"0.1\"",
        );
        assert_eq!(
            m,
            "`values` must be a list of numbers: one of them is the text \"0.1\""
        );
        assert!(h.contains("0.1 rather than \"0.1\""), "{h}");
        let (m, h) = explained(
            "axis.range",
            "invalid length 2, expected struct RangeSpec with 3 elements",
            "[0.1, 0.2]",
        );
        assert!(m.starts_with("`range` is a table"), "{m}");
        assert!(
            h.contains("range = { from = 0.1, to = 0.2, steps = 5 }"),
            "{h}"
        );
        let (m, h) = explained(
            "sweep.variants",
            "invalid type: string \"reshoring\", expected a sequence",
            "\"reshoring\"",
        );
        assert_eq!(
            m,
            "`variants` must be a list of variant names in quotes, not the text \"reshoring\""
        );
        assert_eq!(h, "write variants = [\"reshoring\"]");
        let (m, h) = explained(
            "sweep.design",
            "unknown variant `latin-hypercube`, expected one of `grid`, `zip`, `latin_hypercube`",
            "\"latin-hypercube\"",
        );
        assert_eq!(m, "unknown design `latin-hypercube`");
        assert!(h.starts_with("did you mean `latin_hypercube`?"), "{h}");
    }

    #[test]
    fn numbers_too_large_for_their_key_say_the_limit() {
        let (m, h) = explained(
            "sweep.trials",
            "invalid value: integer `18446744073709551615`, expected i64",
            "18446744073709551615",
        );
        assert_eq!(
            m,
            "`trials` is 18446744073709551615, beyond TOML's whole numbers (64-bit: \
             -9223372036854775808 to 9223372036854775807)"
        );
        assert_eq!(h, "e.g. trials = 400");
        let (m, _) = explained(
            "sweep.points",
            "invalid type: integer `-99999999999999999999999` as i128, expected i64",
            "-99999999999999999999999",
        );
        assert!(
            m.starts_with("`points` is -99999999999999999999999, beyond"),
            "{m}"
        );
        let (m, _) = explained(
            "sweep.seed",
            "integer number overflowed",
            "99999999999999999999999999999999999999999",
        );
        assert_eq!(
            m,
            "`seed` is 99999999999999999999999999999999999999999, but must be at most \
             18446744073709551615"
        );
    }
}
