//! Diagnostics: every problem with a scenario, located and explained.
//!
//! Validation collects all of them rather than stopping at the first, then
//! renders them like rustc does: `file:line:col`, the source line, a caret
//! under the offending text, and a hint. Colour only on a terminal and only
//! without `NO_COLOR`.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasherDefault;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::term::{self, Config};

use crate::source::{SourceMap, Span};

/// One problem with a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where (the primary span); `None` for problems with no single place.
    pub span: Option<Span>,
    /// Text under the caret.
    pub label: String,
    /// Other places that matter ("first defined here").
    pub related: Vec<(Span, String)>,
    /// What was probably meant, or how to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            label: String::new(),
            related: Vec::new(),
            hint: None,
        }
    }

    /// A problem with no place in any file (a missing file, a cycle).
    pub fn global(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            label: String::new(),
            related: Vec::new(),
            hint: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push((span, text.into()));
        self
    }

    /// The same problem at the same place, told the same way (labels and
    /// related places aside).
    fn same_problem(&self, other: &Diagnostic) -> bool {
        self.message == other.message && self.span == other.span && self.hint == other.hint
    }

    /// A hash of what [`Diagnostic::same_problem`] compares.
    fn problem_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = DefaultHasher::new();
        (&self.message, self.span, &self.hint).hash(&mut h);
        h.finish()
    }
}

/// Every problem found, in the order found (files in load order), each
/// once. Record them with [`Diagnostics::push`] (or `extend`), which keeps
/// them unique.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    /// Hashes of the problems recorded: a generated scenario may have tens
    /// of thousands, and a scan of them all for each would take
    /// quadratic time. (The hasher has no state, so `Diagnostics` stays
    /// small in the error types that carry it.)
    seen: HashSet<u64, BuildHasherDefault<DefaultHasher>>,
}

impl Diagnostics {
    /// Records `d`, unless the same problem is already recorded: a mistake
    /// that several entities share (a misspelt candidate of a
    /// `[[sourcing]]` with many customers) is checked once per entity but
    /// reported once. The first of duplicates is kept, in its place.
    pub fn push(&mut self, d: Diagnostic) {
        // Only a problem with a hash already seen is compared with the
        // others (a true duplicate, or a rare collision).
        if !self.seen.insert(d.problem_hash()) && self.items.iter().any(|e| e.same_problem(&d)) {
            return;
        }
        self.items.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    /// Records each in turn, dropping duplicates as [`Diagnostics::push`] does.
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        for d in iter {
            self.push(d);
        }
    }
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" (`kind` =
/// "field"; or "unknown variant `x`, expected `a` or `b`", or "..., there
/// are no fields") into the name written and the valid names. The name
/// written may itself contain backticks, so it runs to the last "`,
/// expected" (the valid names, the crate's own, never contain one).
pub fn unknown_name<'a>(message: &'a str, kind: &str) -> Option<(&'a str, Vec<&'a str>)> {
    let rest = message
        .strip_prefix("unknown ")?
        .strip_prefix(kind)?
        .strip_prefix(" `")?;
    if let Some((wanted, expected)) = rest.rsplit_once("`, expected ") {
        return Some((wanted, expected.split('`').skip(1).step_by(2).collect()));
    }
    let wanted = rest
        .rsplit_once("`, there are no ")
        .map_or_else(|| rest.strip_suffix('`').unwrap_or(rest), |(w, _)| w);
    Some((wanted, Vec::new()))
}

/// Suggests the candidate closest to `wanted`, if any is close enough to be
/// a plausible typo: a case-insensitive match, one slip of the keyboard
/// ([`one_slip`]), or Jaro-Winkler ≥ 0.8.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    // Names are short (ids at most 128 characters): a string far longer is
    // no misspelling of one, and comparing it with every candidate would
    // take quadratic time.
    if wanted.len() > 256 {
        return None;
    }
    let lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let cl = c.to_lowercase();
        let score = if cl == lower {
            2.0
        } else {
            // A key written short (`capcity` for `capacity_per_week`) is
            // also compared with the candidate's first words, as many as
            // it has; a hair lower, so a whole-key match of equal
            // closeness wins.
            let words = lower.split('_').count();
            let head = cl.split('_').take(words).collect::<Vec<_>>().join("_");
            let short = if head.len() < cl.len() {
                strsim::jaro_winkler(&lower, &head) - 0.01
            } else {
                0.0
            };
            let slip = if one_slip(&lower, &cl) { 0.9 } else { 0.0 };
            if lower.chars().count() < 3 || cl.chars().count() < 3 {
                // Names of one or two letters (country codes) are all close
                // to one another: only a swap counts (`one_slip`).
                slip
            } else {
                strsim::jaro_winkler(&lower, &cl).max(short).max(slip)
            }
        };
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Did-you-mean suggestions for the unknown references of a scenario.
///
/// One search compares the name with every id of its kind, so a
/// generated scenario with thousands of unknown names among thousands of
/// ids (one systematic slip) would take minutes. The first
/// [`Suggester::MAX_SEARCHES`] distinct unknown names of each kind are
/// searched; past them the references are still reported, each at its
/// place, but not searched. A name written again gets the answer it got
/// before, searched or not.
#[derive(Debug, Default)]
pub struct Suggester {
    /// The answer for each (kind, name), in the order first asked.
    answers: HashMap<(&'static str, String), Suggestion>,
    /// Distinct names searched, and distinct names left unsearched, by kind.
    counts: HashMap<&'static str, (usize, usize)>,
}

/// What [`Suggester::suggest`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suggestion {
    /// An id close enough to be what was meant.
    Near(String),
    /// No id is close.
    NoneNear,
    /// Not searched: more than [`Suggester::MAX_SEARCHES`] names of this
    /// kind came before it.
    NotSearched,
}

impl Suggester {
    /// Distinct unknown names searched per kind of id. Past a few dozen,
    /// the names usually share one cause, which the first suggestions
    /// show.
    pub const MAX_SEARCHES: usize = 50;

    /// The id of kind `kind` (say "facility") that `wanted` most likely
    /// meant, among `candidates` (see [`did_you_mean`]).
    pub fn suggest<'a>(
        &mut self,
        kind: &'static str,
        wanted: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Suggestion {
        let key = (kind, wanted.to_string());
        if let Some(s) = self.answers.get(&key) {
            return s.clone();
        }
        let (searched, skipped) = self.counts.entry(kind).or_default();
        let s = if *searched < Self::MAX_SEARCHES {
            *searched += 1;
            did_you_mean(wanted, candidates).map_or(Suggestion::NoneNear, Suggestion::Near)
        } else {
            *skipped += 1;
            Suggestion::NotSearched
        };
        self.answers.insert(key, s.clone());
        s
    }

    /// How many distinct unknown names of `kind` were not searched.
    pub fn not_searched(&self, kind: &str) -> usize {
        self.counts.get(kind).map_or(0, |c| c.1)
    }

    /// The hint of the first reference of `kind` not searched: that the
    /// search stopped there, and how many names it left.
    pub fn stopped_hint(&self, kind: &str) -> String {
        format!(
            "no did-you-mean: this and {} other unknown {kind} ids are not compared with the \
             declared ones (the first {} are); so many usually share one cause, which the \
             first hints show",
            self.not_searched(kind).saturating_sub(1),
            Self::MAX_SEARCHES
        )
    }
}

/// Whether `a` is `b` with one slip of the keyboard: two neighbouring
/// letters swapped (`fba` for `fab`), or, when both have at least three
/// characters, one letter wrong, missing or extra (`fbb`, `fa`, `fabb`).
///
/// Jaro-Winkler alone misses these on short ids, where one letter moves the
/// score far below its threshold. Two-letter ids (country codes) get the swap
/// only: `UK` for `US` is a different code, not a typo, and suggesting it
/// would be noise.
fn one_slip(a: &str, b: &str) -> bool {
    let (n, m) = (a.chars().count(), b.chars().count());
    if n == 0 || m == 0 || a == b {
        return false;
    }
    if n.min(m) < 3 {
        if n != m {
            return false;
        }
        let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let differ: Vec<usize> = (0..n).filter(|&i| x[i] != y[i]).collect();
        return matches!(differ.as_slice(), [i, j] if *j == i + 1 && x[*i] == y[*j] && x[*j] == y[*i]);
    }
    strsim::osa_distance(a, b) == 1
}

mod excerpt;

/// Renders diagnostics as text, rustc style.
pub struct Renderer<'a> {
    sources: &'a SourceMap,
}

impl<'a> Renderer<'a> {
    pub fn new(sources: &'a SourceMap) -> Self {
        Renderer { sources }
    }

    /// The diagnostic in codespan's terms, over the lines of the files it
    /// shows ([`excerpt`]: a long line is cut around its label).
    fn to_codespan(&self, d: &Diagnostic) -> (excerpt::Excerpt, CsDiagnostic<usize>) {
        let primary = d.span.and_then(|s| self.sources.local(s));
        let related: Vec<_> = d
            .related
            .iter()
            .filter_map(|(span, text)| Some((self.sources.local(*span)?, text)))
            .collect();
        let places: Vec<_> = primary
            .iter()
            .cloned()
            .chain(related.iter().map(|(at, _)| at.clone()))
            .collect();
        let (excerpt, mapped) = excerpt::Excerpt::new(self.sources, &places);
        let mut labels = Vec::new();
        // The places in the excerpt, in the order given: the primary's first.
        let mut mapped = mapped.into_iter();
        if primary.is_some()
            && let Some(Some((id, r))) = mapped.next()
        {
            labels.push(Label::primary(id, r).with_message(d.label.clone()));
        }
        for ((_, text), place) in related.iter().zip(mapped) {
            if let Some((id, r)) = place {
                labels.push(Label::secondary(id, r).with_message((*text).clone()));
            }
        }
        let mut notes = Vec::new();
        if let Some(h) = &d.hint {
            notes.push(format!("hint: {h}"));
        }
        let diagnostic = CsDiagnostic::error()
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        (excerpt, diagnostic)
    }

    /// Writes one diagnostic as plain text.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = Vec::new();
        let config = Config::default();
        let (files, diagnostic) = self.to_codespan(d);
        if term::emit_to_io_write(&mut out, &config, &files, &diagnostic).is_err() {
            return format!("error: {}\n", d.message);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes every diagnostic to stderr, in colour when `color` is true.
    pub fn emit_stderr(&self, ds: &Diagnostics, color: bool) {
        use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
        let choice = if color {
            ColorChoice::Always
        } else {
            ColorChoice::Never
        };
        let mut stream = StandardStream::stderr(choice);
        let config = Config::default();
        for d in &ds.items {
            let (files, diagnostic) = self.to_codespan(d);
            if term::emit_to_write_style(&mut stream, &config, &files, &diagnostic).is_err() {
                crate::say!("error: {}", d.message);
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_may_contain_backticks() {
        assert_eq!(
            unknown_name(
                "unknown variant `fa`b`, expected one of `fab`, `osat`",
                "variant"
            ),
            Some(("fa`b", vec!["fab", "osat"]))
        );
        assert_eq!(
            unknown_name("unknown field `x`, expected `a` or `b`", "field"),
            Some(("x", vec!["a", "b"]))
        );
        assert_eq!(
            unknown_name("unknown field `x`, there are no fields", "field"),
            Some(("x", vec![]))
        );
        assert_eq!(unknown_name("missing field `x`", "field"), None);
    }

    #[test]
    fn a_key_written_short_is_matched_to_its_first_words() {
        let keys = ["capital", "capacity_per_week", "recovery_weeks", "id"];
        let hint = |w: &str| did_you_mean(w, keys.iter().copied());
        assert_eq!(hint("capcity").as_deref(), Some("capacity_per_week"));
        assert_eq!(hint("capacity").as_deref(), Some("capacity_per_week"));
        assert_eq!(hint("capitl").as_deref(), Some("capital"));
        assert_eq!(hint("recovry_weeks").as_deref(), Some("recovery_weeks"));
        assert_eq!(hint("ID").as_deref(), Some("id"));
        assert_eq!(hint("colour"), None);
    }

    #[test]
    fn a_short_id_with_one_slip_is_suggested() {
        let ids = ["fab", "mkt", "osat", "US", "TW"];
        let hint = |w: &str| did_you_mean(w, ids.iter().copied());
        assert_eq!(hint("fba").as_deref(), Some("fab"));
        assert_eq!(hint("fbb").as_deref(), Some("fab"));
        assert_eq!(hint("fabb").as_deref(), Some("fab"));
        assert_eq!(hint("mtk").as_deref(), Some("mkt"));
        assert_eq!(hint("osta").as_deref(), Some("osat"));
        // Two letters: a swap is a typo, another letter another code.
        assert_eq!(hint("SU").as_deref(), Some("US"));
        assert_eq!(hint("WT").as_deref(), Some("TW"));
        assert_eq!(hint("UK"), None);
        assert_eq!(hint("CN"), None);
        assert_eq!(hint("xyz"), None);
        // Nor is a one- or three-letter name near a two-letter one.
        assert_eq!(hint("U"), None);
        assert_eq!(hint("USA"), None);
        assert_eq!(hint("TWN"), None);
        assert_eq!(hint("tw").as_deref(), Some("TW"));
    }

    #[test]
    fn suggestions_stop_after_the_first_names_of_a_kind() {
        let ids = ["fab_a", "fab_b", "mkt"];
        let mut s = Suggester::default();
        for i in 0..Suggester::MAX_SEARCHES {
            let want = if i == 0 {
                Suggestion::Near("fab_a".into())
            } else {
                Suggestion::NoneNear
            };
            let name = if i == 0 {
                "fab_x".to_string()
            } else {
                format!("zz{i}")
            };
            assert_eq!(s.suggest("facility", &name, ids), want);
        }
        // Past the limit, a new name is not searched; a name already
        // asked keeps its answer, and another kind has its own count.
        assert_eq!(s.suggest("facility", "fab_y", ids), Suggestion::NotSearched);
        assert_eq!(s.suggest("facility", "mkx", ids), Suggestion::NotSearched);
        assert_eq!(
            s.suggest("facility", "fab_x", ids),
            Suggestion::Near("fab_a".into())
        );
        assert_eq!(
            s.suggest("market", "mkx", ids),
            Suggestion::Near("mkt".into())
        );
        assert_eq!(s.not_searched("facility"), 2);
        assert!(
            s.stopped_hint("facility")
                .contains("this and 1 other unknown facility ids"),
            "{}",
            s.stopped_hint("facility")
        );
    }

    #[test]
    fn push_drops_exact_duplicates_only() {
        let at = Span::new(3, 7);
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::new("unknown facility `x`", at).label("first"));
        ds.push(Diagnostic::new("another problem", at));
        ds.push(Diagnostic::new("unknown facility `x`", at).label("second"));
        ds.push(Diagnostic::new("unknown facility `x`", Span::new(9, 10)));
        ds.push(Diagnostic::new("unknown facility `x`", at).hint("did you mean `y`?"));
        let kept: Vec<(&str, &str)> = ds
            .items
            .iter()
            .map(|d| (d.message.as_str(), d.label.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("unknown facility `x`", "first"),
                ("another problem", ""),
                ("unknown facility `x`", ""),
                ("unknown facility `x`", ""),
            ]
        );
        assert_eq!(ds.items[3].hint.as_deref(), Some("did you mean `y`?"));
    }
}
