//! Text a scenario or a user supplied, made safe to show: on a terminal a
//! control character is an instruction (ESC starts a sequence that can
//! recolour, clear the screen or retitle the window; CR returns to the
//! start of the line and overwrites it), so names, ids, attributions and
//! paths are printed with their control characters escaped.
//!
//! Validation refuses control characters in names and ids, and keeps only
//! tabs and line breaks in descriptions and attributions
//! ([`first_not_in_line`], [`first_not_in_prose`]); what is shown is
//! escaped anyway, since not every text shown comes from a validated
//! scenario (a file name, a scenario built in code).

use std::borrow::Cow;

/// `s` with each control character written as Rust writes it in a string
/// literal (`\n`, `\t`, `\r`, `\u{1b}`), and everything else as it is.
/// Backslashes are kept as they are, so a path such as `C:\data` reads
/// unchanged; the escapes are for a person, not to be parsed back.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The first character that may not appear in one line of text (a name,
/// a firm, a unit): any control character, tabs and line breaks included.
pub fn first_not_in_line(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// The first character that may not appear in prose (a description, an
/// attribution): a control character other than a tab or a line break.
pub fn first_not_in_prose(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert!(matches!(printable("Taiwan – 台灣 C:\\x"), Cow::Borrowed(_)));
        assert_eq!(
            printable("evil\u{1b}[31mRED\rOVER\u{7}\ta\nb\u{9b}"),
            "evil\\u{1b}[31mRED\\rOVER\\u{7}\\ta\\nb\\u{9b}"
        );
        assert_eq!(first_not_in_line("a\tb"), Some('\t'));
        assert_eq!(first_not_in_line("plain – text"), None);
        assert_eq!(first_not_in_prose("line\r\nnext\tcol"), None);
        assert_eq!(first_not_in_prose("x\u{1}y"), Some('\u{1}'));
        assert_eq!(first_not_in_prose("x\u{7f}"), Some('\u{7f}'));
    }
}
