//! Validation and compilation: [`Scenario`] → [`Network`], or every problem.
//!
//! One pass over the scenario resolves every reference to an index and
//! checks every number, collecting all problems with their spans (a bad
//! entity is skipped, not fatal, so later checks still run). Structural
//! checks (share sums, cycles, baseline load) run only on what resolved.

use std::collections::HashMap;

use super::*;
use crate::diagnostic::{Diagnostic, Diagnostics, Suggester, Suggestion};
use crate::dist::Distribution;
use crate::scenario::{self as sc, Num, Scenario};
use crate::source::{Sp, Span};

/// Shares of one need must sum to one within this tolerance.
pub const SHARE_TOLERANCE: f64 = 1e-6;
/// Baseline load may exceed capacity by this relative margin (rounding).
const LOAD_TOLERANCE: f64 = 1e-9;

pub use crate::scenario::MAX_MAGNITUDE;

/// Largest fractional rise a demand shock may give (1000 = +100,000 %).
/// Distributions with an unbounded tail (lognormal) are clamped to it when
/// sampled.
pub const MAX_DEMAND_RISE: f64 = 1e3;

/// The most one market need may lose in a week, in USD (`units_per_week ×
/// lost_usd_per_unit`), some fifty million times the world's yearly output.
/// The loss breakdowns (by market, country, sector, product) sum each
/// trial's losses exactly in fixed point, one trial's up to about 2.6·10³³
/// USD a group (`stats::FixedSum`); below this cap a group of up to a
/// million needs stays within it over the longest horizon, even with
/// demand raised a thousandfold.
pub const MAX_WEEKLY_LOSS_USD: f64 = 1e20;

/// The longest lead time a link may have: ten years. Pipelines are kept
/// per week of lead time, so an absurd lead (a typo for a day count) would
/// cost memory and time in every trial.
pub const MAX_LEAD_WEEKS: u32 = 520;

/// A load as a percentage of a capacity it exceeds, to one decimal, a
/// trailing ".0" dropped: 140, 138.9, 100.3; a load just over the capacity
/// never reads "100".
pub(crate) fn percent_over(load: f64, capacity: f64) -> String {
    let p = 100.0 * load / capacity;
    if p.is_finite() && p < 1e6 {
        let s = format!("{p:.1}");
        match s.strip_suffix(".0") {
            // Over by less than 0.05 %: as many digits as it takes.
            Some("100") => show(p),
            Some(whole) => whole.to_string(),
            None => s,
        }
    } else {
        // (A capacity of 5e-324 puts it at infinity.)
        "more than 1,000,000".to_string()
    }
}

/// A number for a message: as written for everyday magnitudes, in
/// scientific notation beyond them (`{}` would print 1e-300 as 300 digits,
/// and `{:.6}` a load of 1e15 with six useless decimals).
fn show(x: f64) -> String {
    // Trailing zeros of a fixed-point mantissa carry nothing.
    fn trim(t: &str) -> &str {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.')
        } else {
            t
        }
    }
    let a = x.abs();
    if x == 0.0 || (1e-4..1e9).contains(&a) {
        // Up to six significant digits.
        let digits = (5 - a.log10().floor().max(-6.0) as i32).clamp(0, 10) as usize;
        trim(&format!("{x:.digits$}")).to_string()
    } else if x.is_finite() {
        let t = format!("{x:.5e}");
        let (mantissa, exponent) = t.split_once('e').unwrap_or((&t, "0"));
        format!("{}e{exponent}", trim(mantissa))
    } else {
        format!("{x}")
    }
}

/// [`show`] for a value outside `[lo, hi]`, with as many digits as it takes
/// to read as outside: 1.0000005 shown as "1" would contradict the message
/// it is in.
fn show_outside(x: f64, lo: f64, hi: f64) -> String {
    let short = show(x);
    match short.parse::<f64>() {
        Ok(y) if (lo..=hi).contains(&y) => format!("{x}"),
        _ => short,
    }
}

/// An end of a distribution's support, checked against `[lo, hi]`: outside
/// it, with the digits that show it outside ([`show_outside`]); inside,
/// [`show`]. The support `[1.0000001, 1.0000001]` of a severity must not
/// read `[1, 1]`.
fn show_bound(x: f64, lo: f64, hi: f64) -> String {
    if (lo..=hi).contains(&x) {
        show(x)
    } else {
        show_outside(x, lo, hi)
    }
}

/// The standard-normal quantile taken as a lognormal's practical maximum:
/// a draw exceeds `median·e^(8σ)` with probability 6e-16, less than once in
/// any run.
const LOGNORMAL_TAIL_Z: f64 = 8.0;

/// Why a distribution's parameters break the scenario-wide limit on
/// magnitudes ([`MAX_MAGNITUDE`]), if they do.
///
/// A lognormal is unbounded, so its parameters alone say little: `median =
/// 1e14, sigma = 5` draws values far beyond the limit, and so does a modest
/// median with a huge sigma (`median = 8, sigma = 50`). Weeks are rounded and
/// a demand rise is capped, so such draws would not overflow the engine, but
/// a distribution whose draws run to 1e30 weeks or units describes nothing
/// real, and its saturated draws would show in the trial records. So a
/// lognormal is held to the limit at its practical maximum, the value its
/// draws exceed once in 10^15 ([`LOGNORMAL_TAIL_Z`]); every realistic spread
/// (sigma up to 3 or so for a median of weeks) passes.
fn beyond_magnitude(d: &sc::Dist) -> Option<String> {
    let limit = |name: &str, x: f64| {
        (x.abs() > MAX_MAGNITUDE).then(|| {
            format!("{name} {x:e} is beyond the largest magnitude a scenario may use ({MAX_MAGNITUDE:e})")
        })
    };
    let first = |pairs: &[(&str, f64)]| pairs.iter().find_map(|&(n, x)| limit(n, x));
    match d {
        sc::Dist::Fixed(x) => limit("fixed value", *x),
        sc::Dist::Uniform { min, max } => first(&[("uniform min", *min), ("uniform max", *max)]),
        sc::Dist::Triangular { min, mode, max } => first(&[
            ("triangular min", *min),
            ("triangular mode", *mode),
            ("triangular max", *max),
        ]),
        sc::Dist::Pert { min, mode, max } => {
            first(&[("pert min", *min), ("pert mode", *mode), ("pert max", *max)])
        }
        sc::Dist::Lognormal { median, sigma } => {
            first(&[("lognormal median", *median), ("lognormal sigma", *sigma)]).or_else(|| {
                // Compared as logarithms: the tail value itself may overflow.
                let ln_tail = libm::log(*median) + LOGNORMAL_TAIL_Z * sigma;
                (ln_tail > libm::log(MAX_MAGNITUDE)).then(|| {
                    format!(
                        "lognormal median {}, sigma {} draws values beyond the largest magnitude a scenario may use ({MAX_MAGNITUDE:e}): its practical maximum median·e^(8·sigma) is {}",
                        show(*median),
                        show(*sigma),
                        match libm::exp(ln_tail) {
                            t if t.is_finite() => show(t),
                            _ => "beyond 1e308".to_string(),
                        }
                    )
                })
            })
        }
        // Mean and sd lie in (0, 1), checked by `Distribution::new`.
        sc::Dist::Beta { .. } => None,
        sc::Dist::Choice { values, weights } => values
            .iter()
            .find_map(|&x| limit("choice value", x))
            .or_else(|| {
                weights
                    .iter()
                    .flatten()
                    .find_map(|&w| limit("choice weight", w))
            }),
    }
}

/// How to give a crisis-sharing policy its agreement: one of the
/// scenario's own agreement blocs, or how to declare one.
fn agreement_hint(ctx: &Ctx) -> String {
    let ids: Vec<&str> = ctx
        .blocs
        .iter()
        .filter(|b| b.agreement)
        .map(|b| b.id.as_str())
        .collect();
    match ids.as_slice() {
        [] => "add `agreement = \"<bloc id>\"`, naming a [[bloc]] with agreement = true (the scenario declares none yet)".to_string(),
        [one] => format!("add `agreement = \"{one}\"` (a bloc with agreement = true)"),
        [first, ..] => format!(
            "add `agreement = \"{first}\"` or another bloc with agreement = true: {}",
            ids.join(", ")
        ),
    }
}

/// Whether `c` may appear in an id: ASCII letters, digits, `_` and `-`.
/// Ids are written into files of results (`trials.csv` joins fired shocks
/// as `id@onset/duration/severity;...`, a revocation as `id@onset`) and
/// command lines, and sweep files name parameters as
/// `facility.<id>.capacity_per_week`, so none may contain a separator, a
/// dot, a quote, a space or anything that needs escaping.
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// The longest id: ids head the columns and rows of the result tables.
pub(crate) const MAX_ID_LEN: usize = 128;

/// `id` with every run of other characters replaced by one `_` (and none
/// at either end): the hint for an id that breaks [`id_char`].
fn clean_id(id: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in id.chars() {
        if id_char(c) {
            if gap && !out.is_empty() {
                out.push('_');
            }
            out.push(c);
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

/// For the commands that simulate (`run`, `compare`, `sweep`): a scenario
/// without markets is a valid fragment for `validate`, but simulating it
/// would report zero losses for nothing at all (an empty or comment-only
/// file, the wrong file of a set of includes). The problem points at the
/// scenario's first file.
pub fn require_markets(s: &Scenario, net: &Network) -> Result<(), Diagnostics> {
    if !net.markets.is_empty() {
        return Ok(());
    }
    let at = s.sources.files().first().map_or(0, |f| f.base);
    let mut diags = Diagnostics::default();
    diags.push(
        Diagnostic::new(
            "the scenario has no [[market]]: there is no demand to simulate",
            Span::new(at, at),
        )
        .hint("add [[market]] tables (docs/SCENARIOS.md), or include the file that defines them"),
    );
    Err(diags)
}

/// The share of trials above which `validate` notes that a shock's
/// Poisson count is cut to [`MAX_EVENTS_PER_SHOCK`](super::MAX_EVENTS_PER_SHOCK):
/// one trial in a million, a hundredth of a trial in the 10,000 trials of a
/// typical run. For the cut at 64 that is a mean above 33.6 events over
/// the horizon (16.8 a year over two years).
const CUT_NOTE_ABOVE: f64 = 1e-6;

/// P(N > k) for N ~ Poisson(mean).
fn poisson_above(mean: f64, k: u32) -> f64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    let ln_p = |j: u32| -mean + f64::from(j) * mean.ln() - libm::lgamma(f64::from(j) + 1.0);
    if mean >= f64::from(k) {
        // At least about half the mass lies above k: 1 − P(N ≤ k) loses
        // nothing worth keeping (and the terms above k may underflow).
        let below: f64 = (0..=k).map(|j| ln_p(j).exp()).sum();
        return (1.0 - below).max(0.0);
    }
    // Below the mean's reach the terms above k fall at least as fast as
    // mean / (k + 1) < 1 per step: add them until they no longer count.
    let mut j = k + 1;
    let mut term = ln_p(j).exp();
    let mut sum = 0.0;
    while term > sum * 1e-17 && term > 0.0 {
        sum += term;
        j += 1;
        term *= mean / f64::from(j);
    }
    sum
}

/// Mean and variance of `min(N, k)` for N ~ Poisson(mean): a rate
/// shock's events in a trial, as drawn.
fn capped_poisson_moments(mean: f64, k: u32) -> (f64, f64) {
    if mean.is_nan() || mean <= 0.0 {
        return (0.0, 0.0);
    }
    let ln_p = |j: u32| -mean + f64::from(j) * mean.ln() - libm::lgamma(f64::from(j) + 1.0);
    let (mut below, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for j in 0..k {
        let p = ln_p(j).exp();
        let x = f64::from(j);
        below += p;
        m1 += p * x;
        m2 += p * x * x;
    }
    let at_cap = (1.0 - below).max(0.0);
    let cap = f64::from(k);
    let mean = m1 + at_cap * cap;
    (mean, (m2 + at_cap * cap * cap - mean * mean).max(0.0))
}

/// Whether a trial's shocks could come near [`MAX_FIRED`](super::MAX_FIRED):
/// `Some((mean, most))` when the spontaneous events' count, at its mean
/// plus six standard deviations, with every shock a trigger can fire added
/// (`triggered`, per shock),
/// reaches the cap (`most`: that sum). Only possible with more shocks than
/// the cap over the per-shock cut, 64 of them at least.
fn fired_near_cap(net: &Network, triggered: &[bool]) -> Option<(f64, f64)> {
    let horizon = f64::from(net.settings.horizon_weeks);
    let (mut mean, mut var, mut bound) = (0.0, 0.0, 0.0);
    for sh in &net.shocks {
        match sh.occurrence {
            Occurrence::Probability(p) if p > 0.0 => {
                let p = p.min(1.0);
                mean += p;
                var += p * (1.0 - p);
                bound += 1.0;
            }
            Occurrence::RatePerYear(rate) if rate > 0.0 => {
                let (m, v) =
                    capped_poisson_moments(rate * horizon / 52.0, super::MAX_EVENTS_PER_SHOCK);
                mean += m;
                var += v;
                bound += f64::from(super::MAX_EVENTS_PER_SHOCK);
            }
            _ => {}
        }
    }
    // A shock is triggered at most once a trial.
    let triggerable = triggered.iter().filter(|&&t| t).count() as f64;
    let cap = super::MAX_FIRED as f64;
    let most = mean + 6.0 * var.sqrt() + triggerable;
    (bound + triggerable > cap && most >= cap).then_some((mean, most))
}

/// A positive number to two significant digits: 47, 0.37, 0.00037.
fn two_digits(x: f64) -> String {
    let digits = (1 - x.log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// What a valid scenario says that does nothing, or not all it says: a
/// shock that can never fire within the horizon, a capacity shock on
/// facilities that supply nobody, a stockpile target no higher than the
/// stock already held, a rate of events the engine would often cut to
/// [`MAX_EVENTS_PER_SHOCK`](super::MAX_EVENTS_PER_SHOCK) a trial, shocks
/// that could together fire near [`MAX_FIRED`](super::MAX_FIRED). None
/// is an error (a sweep may move a value across the line, and a scenario
/// under construction may not be linked up yet), but each is most likely
/// a mistake, so `chipshock validate` prints them as notes.
pub fn notes(net: &Network) -> Vec<String> {
    let mut out = Vec::new();
    let horizon = net.settings.horizon_weeks;
    // Per shock: some shock's trigger names it.
    let mut triggered = vec![false; net.shocks.len()];
    for t in net.shocks.iter().flat_map(|o| &o.triggers) {
        if let Some(x) = triggered.get_mut(t.shock as usize) {
            *x = true;
        }
    }
    for (k, sh) in net.shocks.iter().enumerate() {
        let by_trigger = triggered[k];
        // A drawn onset is rounded to the week; at or past the horizon the
        // shock does not fire in that trial (docs/MODEL.md §2).
        if !by_trigger && matches!(sh.occurrence, Occurrence::Probability(p) if p <= 0.0) {
            out.push(format!(
                "shock `{}` never fires: its probability is 0 and no shock triggers it",
                sh.id
            ));
        } else if let Some(onset) = &sh.onset_week
            && onset.support().0 >= f64::from(horizon) - 0.5
            && !by_trigger
        {
            out.push(format!(
                "shock `{}` never fires: its onset_week is never before the horizon ({horizon} weeks)",
                sh.id
            ));
        }
        if let Occurrence::RatePerYear(rate) = sh.occurrence {
            let mean = rate * f64::from(horizon) / 52.0;
            let cut = poisson_above(mean, super::MAX_EVENTS_PER_SHOCK);
            if cut > CUT_NOTE_ABOVE {
                let share = if cut >= 0.995 {
                    "practically every trial".to_string()
                } else {
                    format!("{} % of trials", two_digits(100.0 * cut))
                };
                out.push(format!(
                    "shock `{}` fires at most {} times in a trial: at rate_per_year {} it averages {} events over the horizon ({horizon} weeks), so its count is cut to {} in {share}",
                    sh.id,
                    super::MAX_EVENTS_PER_SHOCK,
                    show(rate),
                    show(mean),
                    super::MAX_EVENTS_PER_SHOCK,
                ));
            }
        }
        if let ShockTarget::Capacity(fs) = &sh.target
            && fs.is_empty()
        {
            out.push(format!(
                "shock `{}` hits no facility of the baseline: it reaches only fabs a policy builds",
                sh.id
            ));
        }
        if let ShockTarget::Capacity(fs) = &sh.target
            && !fs.is_empty()
            && fs
                .iter()
                .all(|&f| net.supplier_links.row(f as usize).is_empty())
        {
            let ids: Vec<&str> = fs
                .iter()
                .take(3)
                .map(|&f| net.facilities[f as usize].id.as_str())
                .collect();
            let more = if fs.len() > 3 { ", …" } else { "" };
            out.push(format!(
                "shock `{}` has no effect: it hits only facilities that supply nobody (`{}`{more})",
                sh.id,
                ids.join("`, `")
            ));
        }
    }
    for p in &net.policies {
        if let PolicyAction::Stockpile {
            needs,
            inventory_weeks,
            ..
        } = &p.action
        {
            let held = needs
                .iter()
                .filter(|&&n| net.needs[n as usize].target_weeks >= *inventory_weeks)
                .count();
            // A target is a floor: customers already holding more keep
            // their own, which is no mistake unless that is every one.
            if held == needs.len() && held > 0 {
                out.push(format!(
                    "policy `{}` raises no stock: every customer input it selects already holds {} weeks or more",
                    p.id,
                    show(*inventory_weeks)
                ));
            }
        }
    }
    if let Some((mean, most)) = fired_near_cap(net, &triggered) {
        out.push(format!(
            "the shocks fire {} times a trial on average, and up to about {} (six standard deviations, every triggered shock added): a trial keeps {} fired shocks at most, dropping the events of the shocks declared last",
            show(mean.round()),
            show(most.round()),
            super::MAX_FIRED
        ));
    }
    out
}

/// Validates and compiles a loaded scenario: its structure, and for every
/// variant that its policies do not conflict and apply cleanly (they may
/// not overload a facility or create a cycle).
pub fn compile(s: &Scenario) -> Result<Network, Diagnostics> {
    let net = structure(s, None)?;
    let all: Vec<usize> = (1..net.variants.len()).collect();
    check_variants(s, &net, &all)?;
    Ok(net)
}

/// [`compile_for_variants`] without applying the variants: for a scenario
/// known to compile for them, such as a sweep point checked when the sweep
/// was loaded (applying the world's variants is half of compiling it).
pub fn compile_structure(s: &Scenario, variants: &[String]) -> Result<Network, Diagnostics> {
    structure(s, Some(variants.to_vec()))
}

/// [`compile`] checking only the variants named (ids; every one must be a
/// variant of the scenario): their policies must not conflict and must
/// apply. For a scenario that runs only those, such as a sweep's point.
pub fn compile_for_variants(s: &Scenario, variants: &[String]) -> Result<Network, Diagnostics> {
    let net = structure(s, Some(variants.to_vec()))?;
    // In the scenario's order, as `compile` reports them.
    let which: Vec<usize> = (1..net.variants.len())
        .filter(|&vi| variants.contains(&net.variants[vi].id))
        .collect();
    check_variants(s, &net, &which)?;
    Ok(net)
}

/// The structure of `s` compiled, with variant conflicts checked for
/// `checked_variants` (all when `None`).
fn structure(s: &Scenario, checked_variants: Option<Vec<String>>) -> Result<Network, Diagnostics> {
    let mut c = Compiler {
        checked_variants,
        ..Compiler::default()
    };
    let net = c.run(s);
    c.say_where_suggestions_stopped();
    if c.diags.is_empty() {
        net.ok_or_else(|| {
            let mut d = Diagnostics::default();
            d.push(Diagnostic::global("scenario could not be compiled"));
            d
        })
    } else {
        Err(c.diags)
    }
}

/// Applies the variants `which` (indices; the baseline, 0, has nothing to
/// apply) on the pool's threads; the problems are reported in the order
/// given, each at the variant's id.
fn check_variants(s: &Scenario, net: &Network, which: &[usize]) -> Result<(), Diagnostics> {
    use rayon::prelude::*;
    let problems: Vec<Option<crate::policy::ApplyError>> = which
        .par_iter()
        .map(|&vi| {
            if vi == 0 {
                None
            } else {
                crate::policy::apply(net, vi).err()
            }
        })
        .collect();
    let mut diags = Diagnostics::default();
    for (&vi, problem) in which.iter().zip(problems) {
        if let Some(e) = problem {
            let span = s
                .merged
                .variant
                .iter()
                .find(|v| v.id.value == net.variants[vi].id)
                .map(|v| v.id.span)
                .unwrap_or_default();
            diags.push(
                Diagnostic::new(e.to_string(), span)
                    .label("this variant")
                    .hint(e.hint()),
            );
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

/// Names an id table for messages ("country", "facility").
struct Table {
    kind: &'static str,
    index: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Table {
    fn new(kind: &'static str) -> Self {
        Table {
            kind,
            index: HashMap::new(),
            ids: Vec::new(),
        }
    }
    fn insert(&mut self, id: &str) -> u32 {
        let i = self.ids.len() as u32;
        self.index.insert(id.to_string(), i);
        self.ids.push(id.to_string());
        i
    }
    fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }
}

/// Which numbers are allowed.
#[derive(Clone, Copy)]
enum Rule {
    Positive,
    NonNegative,
    Fraction,
}

#[derive(Default)]
struct Compiler {
    diags: Diagnostics,
    /// When set, only these variants (by id) are checked for conflicting
    /// policies: the others are not run (a sweep's points).
    checked_variants: Option<Vec<String>>,
    /// Capacity shocks that select no declared facility: "selects nothing",
    /// unless their rule reaches a facility a policy builds (checked once
    /// the policies are compiled).
    unselected: Vec<(Diagnostic, Reach)>,
    /// Did-you-mean for unknown references, searched for the first few
    /// dozen names of each kind.
    suggester: Suggester,
    /// The first unknown reference of each kind not searched (its kind
    /// and its diagnostic's message and span), to say there why it has
    /// no suggestion.
    unsearched: Vec<(&'static str, String, Span)>,
}

impl Compiler {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reports the unknown reference `id` of `kind` (say "facility") among
    /// `candidates`: with the id it most likely meant, else with `hint`.
    fn unknown<'a>(
        &mut self,
        kind: &'static str,
        id: &Sp<String>,
        candidates: impl IntoIterator<Item = &'a str>,
        hint: impl FnOnce() -> String,
    ) {
        let message = format!("unknown {kind} `{}`", id.value);
        let hint = match self.suggester.suggest(kind, &id.value, candidates) {
            Suggestion::Near(s) => Some(format!("did you mean `{s}`?")),
            Suggestion::NoneNear => Some(hint()),
            Suggestion::NotSearched => {
                if !self.unsearched.iter().any(|u| u.0 == kind) {
                    self.unsearched.push((kind, message.clone(), id.span));
                }
                None
            }
        };
        let label = match kind {
            "customer" => "no facility or market has this id".to_string(),
            "country or bloc" => "no country or bloc has this id".to_string(),
            _ => format!("no {kind} has this id"),
        };
        self.err(
            Diagnostic::new(message, id.span)
                .label(label)
                .hint_opt(hint),
        );
    }

    /// Gives the first unknown reference of each kind that was not
    /// searched for a suggestion a hint saying so, and how many more
    /// there are.
    fn say_where_suggestions_stopped(&mut self) {
        for (kind, message, span) in std::mem::take(&mut self.unsearched) {
            let hint = self.suggester.stopped_hint(kind);
            if let Some(d) = self
                .diags
                .items
                .iter_mut()
                .find(|d| d.span == Some(span) && d.message == message)
            {
                d.hint = Some(hint);
            }
        }
    }

    /// Resolves `id` in `table`, reporting an unknown reference with a
    /// did-you-mean suggestion.
    fn resolve(&mut self, table: &Table, id: &Sp<String>) -> Option<u32> {
        if let Some(i) = table.get(&id.value) {
            return Some(i);
        }
        self.unknown(table.kind, id, table.ids.iter().map(String::as_str), || {
            if table.ids.is_empty() {
                format!("no {} is defined", table.kind)
            } else {
                format!(
                    "declare it with a [[{}]] table with id = \"{}\"",
                    table.kind, id.value
                )
            }
        });
        None
    }

    /// Checks a number against `rule`; reports and returns `None` if not.
    fn num(&mut self, v: &Num, key: &str, rule: Rule) -> Option<f64> {
        let x = v.value;
        let bad = if x.is_nan() {
            Some(format!("`{key}` is NaN"))
        } else if x.is_infinite() {
            Some(format!("`{key}` is infinite"))
        } else if x.abs() > MAX_MAGNITUDE {
            Some(format!(
                "`{key}` is {x:e}, beyond the largest magnitude a scenario may use ({MAX_MAGNITUDE:e})"
            ))
        } else {
            match rule {
                Rule::Positive if x <= 0.0 => Some(if x == 0.0 {
                    format!("`{key}` is zero, but must be greater than zero")
                } else {
                    format!(
                        "`{key}` is negative ({}), but must be greater than zero",
                        show(x)
                    )
                }),
                Rule::NonNegative if x < 0.0 => Some(format!("`{key}` is negative ({})", show(x))),
                Rule::Fraction if !(0.0..=1.0).contains(&x) => Some(format!(
                    "`{key}` is {}, but must lie in [0, 1]",
                    show_outside(x, 0.0, 1.0)
                )),
                _ => None,
            }
        };
        match bad {
            Some(msg) => {
                let hint = match rule {
                    Rule::Positive => "use a finite number greater than zero".to_string(),
                    Rule::NonNegative => "use a finite number ≥ 0".to_string(),
                    // Just above 1: a share or probability normalised by
                    // hand, and rounded up.
                    Rule::Fraction if x > 1.0 && x < 1.01 => {
                        "a fraction is at most 1: write 1 for all of it".to_string()
                    }
                    // Most likely a percentage.
                    Rule::Fraction if x > 1.0 && x <= 100.0 => format!(
                        "a fraction lies between 0 and 1: for {} %, write {}",
                        show(x),
                        show(x / 100.0)
                    ),
                    Rule::Fraction => "use a fraction between 0 and 1 (0.25 = 25 %)".to_string(),
                };
                self.err(Diagnostic::new(msg, v.span).hint(hint));
                None
            }
            None => Some(x),
        }
    }

    fn opt_num(&mut self, v: &Option<Num>, key: &str, rule: Rule, default: f64) -> Option<f64> {
        match v {
            Some(v) => self.num(v, key, rule),
            None => Some(default),
        }
    }

    /// Reports a missing required field of entity `what` (id at `span`).
    fn missing<T>(
        &mut self,
        v: &Option<T>,
        what: &str,
        span: Span,
        key: &str,
        example: &str,
    ) -> bool {
        if v.is_none() {
            self.err(
                Diagnostic::new(format!("{what} is missing `{key}`"), span)
                    .label("defined here")
                    .hint(format!("add `{key} = {example}`")),
            );
            false
        } else {
            true
        }
    }

    fn dist(&mut self, d: &Sp<sc::Dist>, key: &str) -> Option<Distribution> {
        let x = match Distribution::new(&d.value) {
            Ok(x) => x,
            Err(msg) => {
                self.err(
                    Diagnostic::new(format!("`{key}`: impossible distribution: {msg}"), d.span)
                        .hint("see docs/SCENARIOS.md#distributions for each distribution's parameters"),
                );
                return None;
            }
        };
        if let Some(msg) = beyond_magnitude(&d.value) {
            let hint = if matches!(d.value, sc::Dist::Lognormal { .. }) {
                format!(
                    "lower the median or sigma so that median·e^(8·sigma) stays within {MAX_MAGNITUDE:e}"
                )
            } else {
                format!(
                    "every number in a scenario, distribution parameters included, lies within ±{MAX_MAGNITUDE:e}"
                )
            };
            self.err(Diagnostic::new(format!("`{key}`: {msg}"), d.span).hint(hint));
            return None;
        }
        Some(x)
    }

    /// A distribution whose support must lie within [lo, hi].
    fn dist_in(&mut self, d: &Sp<sc::Dist>, key: &str, lo: f64, hi: f64) -> Option<Distribution> {
        let x = self.dist(d, key)?;
        let (a, b) = x.support();
        if a < lo || b > hi {
            self.err(
                Diagnostic::new(
                    format!(
                        "`{key}` can take values in [{}, {}], outside the allowed [{}, {}]",
                        show_bound(a, lo, hi),
                        show_bound(b, lo, hi),
                        show(lo),
                        show(hi)
                    ),
                    d.span,
                )
                .hint(format!(
                    "choose parameters so every value lies in [{}, {}]",
                    show(lo),
                    show(hi)
                )),
            );
            return None;
        }
        Some(x)
    }

    /// Reports free text with control characters: names, firms and units
    /// are one line of plain text, and descriptions and attributions may
    /// hold tabs and line breaks besides. They reach terminals (where a
    /// control character is an instruction: ESC recolours or clears the
    /// screen, CR overwrites the line) and graph files (XML 1.0 allows
    /// none of them but tab and line breaks), and none is meant.
    fn check_texts(&mut self, f: &sc::ScenarioFile) {
        type Text<'a> = (String, &'static str, &'a Sp<String>);
        fn named<'a>(
            kind: &str,
            id: &Sp<String>,
            name: &'a Option<Sp<String>>,
        ) -> Option<Text<'a>> {
            name.as_ref()
                .map(|n| (format!("{kind} `{}`", id.value), "name", n))
        }
        let (mut line, mut prose): (Vec<Text>, Vec<Text>) = (Vec::new(), Vec::new());
        if let Some(m) = &f.meta {
            line.extend(m.name.as_ref().map(|n| ("[meta]".to_string(), "name", n)));
            for (field, text) in [
                ("description", &m.description),
                ("attribution", &m.attribution),
            ] {
                prose.extend(text.as_ref().map(|t| ("[meta]".to_string(), field, t)));
            }
        }
        line.extend(f.bloc.iter().filter_map(|x| named("bloc", &x.id, &x.name)));
        line.extend(
            f.country
                .iter()
                .filter_map(|x| named("country", &x.id, &x.name)),
        );
        for p in &f.product {
            line.extend(named("product", &p.id, &p.name));
            let owner = || format!("product `{}`", p.id.value);
            line.extend(p.unit.as_ref().map(|u| (owner(), "unit", u)));
        }
        for fa in &f.facility {
            line.extend(named("facility", &fa.id, &fa.name));
            let owner = || format!("facility `{}`", fa.id.value);
            line.extend(fa.firm.as_ref().map(|firm| (owner(), "firm", firm)));
        }
        line.extend(
            f.market
                .iter()
                .filter_map(|x| named("market", &x.id, &x.name)),
        );
        line.extend(
            f.shock
                .iter()
                .filter_map(|x| named("shock", &x.id, &x.name)),
        );
        for p in &f.policy {
            line.extend(named("policy", &p.id, &p.name));
            if let Some(firm) = p.reshore.as_ref().and_then(|r| r.firm.as_ref()) {
                line.push((format!("policy `{}`", p.id.value), "firm", firm));
            }
        }
        line.extend(
            f.variant
                .iter()
                .filter_map(|x| named("variant", &x.id, &x.name)),
        );
        let bad = line
            .into_iter()
            .map(|t| (crate::text::first_not_in_line(&t.2.value), t, true))
            .chain(
                prose
                    .into_iter()
                    .map(|t| (crate::text::first_not_in_prose(&t.2.value), t, false)),
            );
        for (c, (owner, field, text), one_line) in bad {
            let Some(c) = c else { continue };
            let hint = if one_line {
                format!("`{field}` is one line of plain text: remove the character")
            } else {
                format!(
                    "`{field}` may hold tabs and line breaks, but no other control character: remove it"
                )
            };
            self.err(
                Diagnostic::new(
                    format!(
                        "{owner}: `{field}` contains the control character U+{:04X}",
                        u32::from(c)
                    ),
                    text.span,
                )
                .hint(hint),
            );
        }
    }

    /// Reports a facility or market (`kind`) whose id is a country's:
    /// countries, facilities and markets are the nodes of the graph export,
    /// where Graphviz and NetworkX take one id for one node and would merge
    /// the two, and `--focus` would take the id for the market alone.
    fn not_a_country_id(&mut self, f: &sc::ScenarioFile, id: &Sp<String>, kind: &str) {
        let Some(country) = f.country.iter().find(|c| c.id.value == id.value) else {
            return;
        };
        self.err(
            Diagnostic::new(
                format!("`{}` is both a country and a {kind} id", id.value),
                id.span,
            )
            .related(country.id.span, "country defined here")
            .hint(
                "the graph export (`chipshock graph`) and `--focus` name countries, facilities and markets alike; give them distinct ids",
            ),
        );
    }

    /// Reports an id of entity `kind` with characters an id may not use.
    fn check_id(&mut self, kind: &str, id: &Sp<String>) {
        if id.value.is_empty() {
            self.err(
                Diagnostic::new(format!("a {kind} id is empty"), id.span)
                    .hint("ids use ASCII letters, digits, `_` and `-`, e.g. id = \"tw_fab\""),
            );
            return;
        }
        if id.value.chars().count() > MAX_ID_LEN {
            self.err(
                Diagnostic::new(
                    format!(
                        "a {kind} id is {} characters long, more than {MAX_ID_LEN}",
                        id.value.chars().count()
                    ),
                    id.span,
                )
                .hint("ids are names for tables and command lines: use a short one, and `name` for the long form"),
            );
            return;
        }
        let mut bad: Vec<char> = Vec::new();
        for c in id.value.chars() {
            if !id_char(c) && !bad.contains(&c) {
                bad.push(c);
            }
        }
        if bad.is_empty() {
            return;
        }
        let shown: Vec<String> = bad
            .iter()
            .take(5)
            .map(|c| match c {
                ' ' => "a space".to_string(),
                c if c.is_control() => format!("{c:?}"),
                c => format!("`{c}`"),
            })
            .collect();
        let clean = clean_id(&id.value);
        let hint = if clean.is_empty() {
            "ids use ASCII letters, digits, `_` and `-` only".to_string()
        } else {
            format!("ids use ASCII letters, digits, `_` and `-` only: write \"{clean}\"")
        };
        self.err(
            Diagnostic::new(
                format!(
                    "{kind} id `{}` contains {}, which an id may not",
                    id.value,
                    shown.join(", ")
                ),
                id.span,
            )
            .label("not a valid id")
            .hint(hint),
        );
    }

    fn run(&mut self, s: &Scenario) -> Option<Network> {
        let f = &s.merged;
        let settings = self.settings(f.meta.as_ref());

        // Every id, whatever its kind, from the same safe characters.
        let ids = f
            .bloc
            .iter()
            .map(|x| ("bloc", &x.id))
            .chain(f.country.iter().map(|x| ("country", &x.id)))
            .chain(f.product.iter().map(|x| ("product", &x.id)))
            .chain(f.facility.iter().map(|x| ("facility", &x.id)))
            .chain(f.market.iter().map(|x| ("market", &x.id)))
            .chain(f.shock.iter().map(|x| ("shock", &x.id)))
            .chain(f.policy.iter().map(|x| ("policy", &x.id)))
            .chain(f.variant.iter().map(|x| ("variant", &x.id)));
        for (kind, id) in ids {
            self.check_id(kind, id);
        }
        self.check_texts(f);

        // Blocs and countries.
        let mut bloc_t = Table::new("bloc");
        let mut blocs = Vec::new();
        for b in &f.bloc {
            bloc_t.insert(&b.id.value);
            blocs.push(Bloc {
                id: b.id.value.clone(),
                name: b
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| b.id.value.clone()),
                agreement: b.agreement.as_ref().is_some_and(|a| a.value),
            });
        }
        let mut country_t = Table::new("country");
        let mut countries = Vec::new();
        for ct in &f.country {
            country_t.insert(&ct.id.value);
            let mut cb = Vec::new();
            for b in ct.blocs.iter().flatten() {
                if let Some(i) = self.resolve(&bloc_t, b) {
                    cb.push(i);
                }
            }
            countries.push(Country {
                id: ct.id.value.clone(),
                name: ct
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| ct.id.value.clone()),
                blocs: cb,
            });
        }
        for id in &f.country {
            if bloc_t.get(&id.id.value).is_some() {
                let bspan = f
                    .bloc
                    .iter()
                    .find(|b| b.id.value == id.id.value)
                    .map(|b| b.id.span);
                let mut d = Diagnostic::new(
                    format!("`{}` is both a country and a bloc id", id.id.value),
                    id.id.span,
                )
                .hint("lanes and selectors name countries and blocs alike; give them distinct ids");
                if let Some(sp) = bspan {
                    d = d.related(sp, "bloc defined here");
                }
                self.err(d);
            }
        }

        // Products.
        let mut product_t = Table::new("product");
        let mut products = Vec::new();
        for p in &f.product {
            product_t.insert(&p.id.value);
            let what = format!("product `{}`", p.id.value);
            self.missing(&p.unit, &what, p.id.span, "unit", "\"wafer\"");
            self.missing(&p.category, &what, p.id.span, "category", "\"front_end\"");
            self.missing(
                &p.value_usd_per_unit,
                &what,
                p.id.span,
                "value_usd_per_unit",
                "1000.0",
            );
            let value = p
                .value_usd_per_unit
                .as_ref()
                .and_then(|v| self.num(v, "value_usd_per_unit", Rule::Positive))
                .unwrap_or(1.0);
            let qual = self
                .opt_num(
                    &p.qualification_weeks,
                    "qualification_weeks",
                    Rule::NonNegative,
                    26.0,
                )
                .unwrap_or(26.0);
            products.push(Product {
                id: p.id.value.clone(),
                name: p
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| p.id.value.clone()),
                unit: p.unit.as_ref().map(|u| u.value.clone()).unwrap_or_default(),
                category: p
                    .category
                    .as_ref()
                    .map(|c| c.value)
                    .unwrap_or(sc::ProductCategory::Material),
                value_usd_per_unit: value,
                qualification_weeks: qual,
            });
        }

        // Facilities and their input needs.
        let mut facility_t = Table::new("facility");
        let mut facilities = Vec::new();
        let mut needs: Vec<Need> = Vec::new();
        let mut need_index: HashMap<(Customer, u32), u32> = HashMap::new();
        let mut facility_ok = Vec::new();
        // Facilities whose country or product did not resolve (reported):
        // no selector can tell whether it meant them.
        let mut facility_unsure = Vec::new();
        for fa in &f.facility {
            let fi = facility_t.insert(&fa.id.value);
            self.not_a_country_id(f, &fa.id, "facility");
            let what = format!("facility `{}`", fa.id.value);
            let sp = fa.id.span;
            let mut ok = true;
            ok &= self.missing(&fa.country, &what, sp, "country", "\"TW\"");
            ok &= self.missing(&fa.kind, &what, sp, "kind", "\"fab\"");
            ok &= self.missing(&fa.product, &what, sp, "product", "\"logic_leading\"");
            ok &= self.missing(
                &fa.capacity_per_week,
                &what,
                sp,
                "capacity_per_week",
                "1000.0",
            );
            let country = fa
                .country
                .as_ref()
                .and_then(|c| self.resolve(&country_t, c));
            let product = fa
                .product
                .as_ref()
                .and_then(|p| self.resolve(&product_t, p));
            let capacity = fa
                .capacity_per_week
                .as_ref()
                .and_then(|v| self.num(v, "capacity_per_week", Rule::Positive));
            let inventory_weeks = self.opt_num(
                &fa.inventory_weeks,
                "inventory_weeks",
                Rule::NonNegative,
                4.0,
            );
            let recovery_weeks =
                self.opt_num(&fa.recovery_weeks, "recovery_weeks", Rule::NonNegative, 4.0);
            ok &= country.is_some() && product.is_some() && capacity.is_some();
            ok &= inventory_weeks.is_some() && recovery_weeks.is_some();
            let target = inventory_weeks.unwrap_or(0.0);
            for (input, coef) in fa.recipe.iter().flatten() {
                let pi = self.resolve(&product_t, input);
                // A bad coefficient (reported) keeps the need, so that its
                // links resolve and report nothing more.
                let k = self
                    .num(coef, &format!("recipe.{}", input.value), Rule::Positive)
                    .unwrap_or(0.0);
                if let Some(pi) = pi {
                    if Some(pi) == product {
                        self.err(
                            Diagnostic::new(format!("{what} uses its own product `{}` as an input", input.value), input.span)
                                .hint("a facility cannot consume what it makes; model the upstream step as its own facility"),
                        );
                        continue;
                    }
                    need_index.insert((Customer::Facility(fi), pi), needs.len() as u32);
                    needs.push(Need {
                        customer: Customer::Facility(fi),
                        product: pi,
                        kind: NeedKind::Material { per_unit: k },
                        target_weeks: target,
                        baseline_use: 0.0,
                    });
                }
            }
            for (input, cap) in fa.capital.iter().flatten() {
                let pi = self.resolve(&product_t, input);
                // Bad numbers (reported) keep the need: see the recipe above.
                let u = self
                    .num(&cap.units_per_week, "units_per_week", Rule::Positive)
                    .unwrap_or(0.0);
                let e = self
                    .num(&cap.erosion_per_week, "erosion_per_week", Rule::Fraction)
                    .unwrap_or(0.0);
                if let Some(pi) = pi {
                    if need_index.contains_key(&(Customer::Facility(fi), pi)) || Some(pi) == product
                    {
                        self.err(
                            Diagnostic::new(
                                format!("{what} lists `{}` both in its recipe and as a capital input (or makes it)", input.value),
                                input.span,
                            )
                            .hint("an input is either consumed per unit (recipe) or a capital good (capital), not both"),
                        );
                        continue;
                    }
                    need_index.insert((Customer::Facility(fi), pi), needs.len() as u32);
                    needs.push(Need {
                        customer: Customer::Facility(fi),
                        product: pi,
                        kind: NeedKind::Capital {
                            units_per_week: u,
                            erosion_per_week: e,
                        },
                        target_weeks: target,
                        baseline_use: u,
                    });
                }
            }
            facility_ok.push(ok);
            facility_unsure.push(country.is_none() || product.is_none());
            facilities.push(Facility {
                id: fa.id.value.clone(),
                name: fa
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| fa.id.value.clone()),
                firm: fa.firm.as_ref().map(|x| x.value.clone()),
                country: country.unwrap_or(0),
                kind: fa
                    .kind
                    .as_ref()
                    .map(|k| k.value)
                    .unwrap_or(sc::FacilityKind::Fab),
                product: product.unwrap_or(0),
                capacity_per_week: capacity.unwrap_or(0.0),
                inventory_weeks: target,
                recovery_weeks: recovery_weeks.unwrap_or(0.0),
                allocation: fa.allocation.as_ref().map(|a| a.value).unwrap_or_default(),
            });
        }

        // Markets and their demand needs.
        let mut market_t = Table::new("market");
        let mut markets = Vec::new();
        // As `facility_unsure`: a market whose country or a demanded
        // product did not resolve.
        let mut market_unsure = Vec::new();
        for m in &f.market {
            let mi = market_t.insert(&m.id.value);
            if let Some(fi) = facility_t.get(&m.id.value) {
                self.err(
                    Diagnostic::new(
                        format!("`{}` is both a facility and a market id", m.id.value),
                        m.id.span,
                    )
                    .related(f.facility[fi as usize].id.span, "facility defined here")
                    .hint("links name customers by id; give facilities and markets distinct ids"),
                );
            }
            self.not_a_country_id(f, &m.id, "market");
            let what = format!("market `{}`", m.id.value);
            self.missing(&m.country, &what, m.id.span, "country", "\"US\"");
            self.missing(&m.sector, &what, m.id.span, "sector", "\"automotive\"");
            let country = m.country.as_ref().and_then(|c| self.resolve(&country_t, c));
            let inv = self
                .opt_num(
                    &m.inventory_weeks,
                    "inventory_weeks",
                    Rule::NonNegative,
                    2.0,
                )
                .unwrap_or(0.0);
            let demand = m.demand.as_ref();
            if demand.is_none_or(|d| d.is_empty()) {
                self.err(
                    Diagnostic::new(format!("{what} has no demand"), m.id.span).hint(
                        "add `[market.demand.<product>]` with units_per_week and lost_usd_per_unit",
                    ),
                );
            }
            let mut unsure = country.is_none();
            for (pid, d) in demand.into_iter().flatten() {
                let pi = self.resolve(&product_t, pid);
                unsure |= pi.is_none();
                // Bad numbers (reported) keep the need: see the recipe above.
                let u = self
                    .num(&d.units_per_week, "units_per_week", Rule::NonNegative)
                    .unwrap_or(0.0);
                let l = self
                    .num(&d.lost_usd_per_unit, "lost_usd_per_unit", Rule::NonNegative)
                    .unwrap_or(0.0);
                if u * l > MAX_WEEKLY_LOSS_USD {
                    self.err(
                        Diagnostic::new(
                            format!(
                                "market `{}` could lose {:e} USD a week of `{}` (units_per_week × lost_usd_per_unit), beyond {MAX_WEEKLY_LOSS_USD:e}",
                                m.id.value, u * l, pid.value
                            ),
                            d.lost_usd_per_unit.span,
                        )
                        .label("the value of output lost per unit short")
                        .hint("that is far beyond the world's yearly output (about 1e14 USD): check the units of units_per_week and lost_usd_per_unit"),
                    );
                }
                if let Some(pi) = pi {
                    need_index.insert((Customer::Market(mi), pi), needs.len() as u32);
                    needs.push(Need {
                        customer: Customer::Market(mi),
                        product: pi,
                        kind: NeedKind::Demand {
                            units_per_week: u,
                            lost_usd_per_unit: l,
                        },
                        target_weeks: inv,
                        baseline_use: u,
                    });
                }
            }
            market_unsure.push(unsure);
            markets.push(Market {
                id: m.id.value.clone(),
                name: m
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| m.id.value.clone()),
                country: country.unwrap_or(0),
                sector: m
                    .sector
                    .as_ref()
                    .map(|s| s.value)
                    .unwrap_or(sc::Sector::Industrial),
                inventory_weeks: inv,
                backorder: m.backorder.as_ref().is_some_and(|b| b.value),
            });
        }

        // Links, from [[link]] and expanded [[sourcing]] blocks.
        let customer_of = |id: &str| -> Option<Customer> {
            facility_t
                .get(id)
                .map(Customer::Facility)
                .or_else(|| market_t.get(id).map(Customer::Market))
        };
        struct RawLink {
            supplier: Sp<String>,
            customer: Sp<String>,
            product: Sp<String>,
            share: Num,
            lead: Option<Sp<i64>>,
            qualified: bool,
            priority: Option<Sp<i64>>,
            /// The table's place in load order ([`sc::Link::order`]).
            order: (usize, usize),
        }
        let mut raw_links: Vec<RawLink> = Vec::new();
        for l in &f.link {
            raw_links.push(RawLink {
                supplier: l.supplier.clone(),
                customer: l.customer.clone(),
                product: l.product.clone(),
                share: l.share.clone(),
                lead: l.lead_weeks.clone(),
                qualified: l.qualified.as_ref().is_none_or(|q| q.value),
                priority: l.priority.clone(),
                order: l.order,
            });
        }
        // (customer, product) of the [[sourcing]] blocks that declare no
        // supplier at all (reported): their customers' "nobody supplies
        // it" would only repeat that, and point elsewhere.
        let mut empty_sourcing: std::collections::HashSet<(&str, &str)> =
            std::collections::HashSet::new();
        for so in &f.sourcing {
            if so.customers.is_empty() {
                self.err(
                    Diagnostic::new("a [[sourcing]] block with no customers", so.product.span)
                        .hint("list the customers: `customers = [\"tw_fab\"]`"),
                );
            }
            if so.suppliers.value.is_empty() && so.alternates.is_empty() && so.candidates.is_empty()
            {
                let makers: Vec<&str> = f
                    .facility
                    .iter()
                    .filter(|fa| {
                        fa.product
                            .as_ref()
                            .is_some_and(|p| p.value == so.product.value)
                    })
                    .map(|fa| fa.id.value.as_str())
                    .take(5)
                    .collect();
                let example = makers.first().copied().unwrap_or("tw_fab");
                let makers = if makers.is_empty() {
                    format!("no facility makes `{}` yet", so.product.value)
                } else {
                    format!("makers of `{}`: {}", so.product.value, makers.join(", "))
                };
                self.err(
                    Diagnostic::new("a [[sourcing]] block with no suppliers", so.suppliers.span)
                        .label("no supplier")
                        .hint(format!(
                            "name each supplier with its share, the shares summing to 1: \
                             `suppliers = {{ {example} = 1.0 }}` ({makers})"
                        )),
                );
                for cu in &so.customers {
                    empty_sourcing.insert((cu.value.as_str(), so.product.value.as_str()));
                }
            }
            for cu in &so.customers {
                let base = |supplier: &Sp<String>, share: Num, qualified| RawLink {
                    supplier: supplier.clone(),
                    customer: cu.clone(),
                    product: so.product.clone(),
                    share,
                    lead: so.lead_weeks.clone(),
                    qualified,
                    priority: so.priority.clone(),
                    order: so.order,
                };
                for (sup, share) in &so.suppliers.value {
                    raw_links.push(base(sup, share.clone(), true));
                }
                for sup in &so.alternates {
                    raw_links.push(base(sup, Sp::new(0.0, sup.span), true));
                }
                for sup in &so.candidates {
                    raw_links.push(base(sup, Sp::new(0.0, sup.span), false));
                }
            }
        }
        let mut links: Vec<(Link, Span)> = Vec::new();
        // Each link's supplier span and place in load order, by (supplier, need).
        let mut seen_link: HashMap<(u32, u32), (Span, (usize, usize))> = HashMap::new();
        // Needs with a link already reported as wrong: their "nobody
        // supplies it" and share-sum checks would only repeat that problem
        // in other words (or contradict what the user wrote).
        let mut dropped_link: std::collections::HashSet<(Customer, u32)> =
            std::collections::HashSet::new();
        // Links left out for a problem already reported, with what resolved
        // of them: a selector that would have matched one is not said to
        // select nothing.
        let mut dropped_links: Vec<DroppedLink> = Vec::new();
        let customer_ids: Vec<String> = facility_t
            .ids
            .iter()
            .chain(market_t.ids.iter())
            .cloned()
            .collect();
        for rl in &raw_links {
            let supplier = self.resolve(&facility_t, &rl.supplier);
            let product = self.resolve(&product_t, &rl.product);
            let customer = customer_of(&rl.customer.value);
            if customer.is_none() {
                self.unknown(
                    "customer",
                    &rl.customer,
                    customer_ids.iter().map(String::as_str),
                    || "a customer is a facility or a market id".into(),
                );
            }
            let share = self.num(&rl.share, "share", Rule::Fraction);
            let lead = match &rl.lead {
                Some(l) if l.value < 1 => {
                    self.err(
                        Diagnostic::new(format!("`lead_weeks` is {}, but must be at least 1", l.value), l.span)
                            .hint("every shipment takes at least one week; use lead_weeks = 1 for the fastest link"),
                    );
                    Some(1) // reported; keep the link so later checks stay meaningful
                }
                Some(l) if l.value > MAX_LEAD_WEEKS as i64 => {
                    self.err(
                        Diagnostic::new(
                            format!(
                                "`lead_weeks` is {}, more than the {MAX_LEAD_WEEKS} weeks (ten years) a link may take",
                                l.value
                            ),
                            l.span,
                        )
                        .hint(format!("use a lead time of 1 to {MAX_LEAD_WEEKS} weeks")),
                    );
                    Some(1)
                }
                Some(l) => Some(l.value as u32),
                None => Some(2),
            };
            let priority = match &rl.priority {
                Some(p) if p.value < 0 || p.value > u32::MAX as i64 => {
                    self.err(
                        Diagnostic::new(
                            format!(
                                "`priority` is {}, but must be from 0 to {}",
                                p.value,
                                u32::MAX
                            ),
                            p.span,
                        )
                        .hint(
                            "priorities only order the customers (0 is served first), \
                             so small numbers do: 0, 1, 2, …",
                        ),
                    );
                    Some(0)
                }
                Some(p) => Some(p.value as u32),
                None => Some(0),
            };
            let (Some(s), Some(p), Some(c), Some(share), Some(lead), Some(priority)) =
                (supplier, product, customer, share, lead, priority)
            else {
                // Already reported. The customer's need then lacks a link:
                // its "nobody supplies it" and share-sum checks would only
                // repeat the problem in other words.
                if let (Some(c), Some(p)) = (customer, product) {
                    dropped_link.insert((c, p));
                }
                dropped_links.push(DroppedLink {
                    supplier,
                    customer,
                    product,
                });
                continue;
            };
            let dropped = DroppedLink {
                supplier: Some(s),
                customer: Some(c),
                product: Some(p),
            };
            if facilities[s as usize].product != p {
                let made = &products[facilities[s as usize].product as usize].id;
                self.err(
                    Diagnostic::new(
                        format!(
                            "facility `{}` makes `{made}`, not `{}`",
                            rl.supplier.value, rl.product.value
                        ),
                        rl.supplier.span,
                    )
                    .hint(format!(
                        "a supplier of `{}` must be a facility whose product is `{}`",
                        rl.product.value, rl.product.value
                    )),
                );
                dropped_link.insert((c, p));
                dropped_links.push(dropped);
                continue;
            }
            let Some(&need) = need_index.get(&(c, p)) else {
                let uses = match c {
                    Customer::Facility(_) => "recipe or capital inputs",
                    Customer::Market(_) => "demand",
                };
                self.err(
                    Diagnostic::new(
                        format!(
                            "`{}` does not use `{}`: it is not among its {uses}",
                            rl.customer.value, rl.product.value
                        ),
                        rl.product.span,
                    )
                    .hint(format!(
                        "add `{}` to the {uses} of `{}`, or remove this link",
                        rl.product.value, rl.customer.value
                    )),
                );
                continue;
            };
            if !rl.qualified && share > 0.0 {
                self.err(
                    Diagnostic::new(
                        format!("unqualified supplier `{}` has a positive share {}", rl.supplier.value, show(share)),
                        rl.share.span,
                    )
                    .hint("an unqualified supplier starts at zero share; list it under `candidates`, or mark it qualified"),
                );
                dropped_link.insert((c, p));
                dropped_links.push(dropped);
                continue;
            }
            if let Some(&(other, other_order)) = seen_link.get(&(s, need)) {
                // `[[link]]` tables are read before `[[sourcing]]` ones: the
                // one declared first in load order is the original.
                let (again, first) = if other_order <= rl.order {
                    (rl.supplier.span, other)
                } else {
                    (other, rl.supplier.span)
                };
                self.err(
                    Diagnostic::new(
                        format!(
                            "duplicate link: `{}` already supplies `{}` to `{}`",
                            rl.supplier.value, rl.product.value, rl.customer.value
                        ),
                        again,
                    )
                    .label("declared again here")
                    .related(first, "first declared here")
                    .hint("declare each supplier of a customer's product once"),
                );
                dropped_link.insert((c, p));
                continue;
            }
            seen_link.insert((s, need), (rl.supplier.span, rl.order));
            links.push((
                Link {
                    supplier: s,
                    need,
                    share,
                    lead_weeks: lead,
                    qualified: rl.qualified,
                    priority,
                },
                rl.share.span,
            ));
        }
        // Stable sort by need keeps declaration order within a need.
        links.sort_by_key(|(l, _)| l.need);
        let link_spans: Vec<Span> = links.iter().map(|(_, s)| *s).collect();
        let links: Vec<Link> = links.into_iter().map(|(l, _)| l).collect();
        let Adjacency {
            need_links,
            facility_needs,
            market_needs,
            supplier_links,
        } = Adjacency::build(facilities.len(), markets.len(), &needs, &links);

        // Every need supplied, shares summing to one.
        let mut shares_ok = true;
        for (ni, need) in needs.iter().enumerate() {
            if dropped_link.contains(&(need.customer, need.product)) {
                shares_ok = false;
                continue;
            }
            let row = need_links.row(ni);
            let pid = &products[need.product as usize].id;
            let cid = match need.customer {
                Customer::Facility(x) => &facilities[x as usize].id,
                Customer::Market(x) => &markets[x as usize].id,
            };
            let cspan = match need.customer {
                Customer::Facility(x) => f.facility[x as usize].id.span,
                Customer::Market(x) => f.market[x as usize].id.span,
            };
            if row.is_empty() {
                shares_ok = false;
                if empty_sourcing.contains(&(cid.as_str(), pid.as_str())) {
                    continue;
                }
                let what = match need.customer {
                    Customer::Facility(_) => "facility",
                    Customer::Market(_) => "market",
                };
                let makers: Vec<&str> = facilities
                    .iter()
                    .filter(|fa| fa.product == need.product)
                    .map(|fa| fa.id.as_str())
                    .take(5)
                    .collect();
                let hint = if makers.is_empty() {
                    format!(
                        "no facility makes `{pid}`; declare one and a [[sourcing]] block for `{cid}`"
                    )
                } else {
                    format!(
                        "add a [[sourcing]] block: customers = [\"{cid}\"], product = \"{pid}\", suppliers = {{ {} = 1.0 }} (makers: {})",
                        makers[0],
                        makers.join(", ")
                    )
                };
                self.err(
                    Diagnostic::new(
                        format!("{what} `{cid}` needs `{pid}` but nobody supplies it"),
                        cspan,
                    )
                    .label("declared here")
                    .hint(hint),
                );
                continue;
            }
            let sum: f64 = row.iter().map(|&l| links[l as usize].share).sum();
            if (sum - 1.0).abs() > SHARE_TOLERANCE {
                shares_ok = false;
                let first = link_spans[row[0] as usize];
                self.err(
                    Diagnostic::new(
                        format!("shares of `{pid}` into `{cid}` sum to {}, not 1", (sum * 1e9).round() / 1e9),
                        first,
                    )
                    .label(format!("{} link(s) into `{cid}`", row.len()))
                    .hint(if sum > 0.0 {
                        format!("the shares of one customer's product must sum to 1 (±{SHARE_TOLERANCE}); scale them by {}", show(1.0 / sum))
                    } else {
                        // Nothing to scale: a supplier must take a share.
                        format!(
                            "every share of `{pid}` into `{cid}` is 0, and shares must sum to 1: give at least \
                             one supplier a positive share (a supplier kept ready at share 0 is listed in \
                             `alternates` of a [[sourcing]] block)"
                        )
                    }),
                );
            }
        }

        // Supply cycles, and a topological order of facilities.
        let topo_order = match graph::facility_order(&facilities, &needs, &links) {
            Ok(order) => order,
            Err(cycle) => {
                let names: Vec<&str> = cycle
                    .iter()
                    .map(|&i| facilities[i as usize].id.as_str())
                    .collect();
                let span = f.facility[cycle[0] as usize].id.span;
                self.err(
                    Diagnostic::new(
                        format!("supply cycle: {} → {}", names.join(" → "), names[0]),
                        span,
                    )
                    .label("part of the cycle")
                    .hint("material must flow one way; break the cycle by removing one of these links"),
                );
                Vec::new()
            }
        };

        // Baseline flows (only when the structure is sound).
        let mut baseline = Baseline::default();
        let facilities_ok = facility_ok.iter().all(|x| *x);
        if shares_ok && (!topo_order.is_empty() || facilities.is_empty()) {
            baseline = baseline::solve(
                &facilities,
                &mut needs,
                &links,
                &need_links,
                &facility_needs,
                &supplier_links,
                &topo_order,
            );
            if facilities_ok {
                for (fi, fa) in facilities.iter().enumerate() {
                    let load = baseline.facility_output[fi];
                    let cap = fa.capacity_per_week;
                    if load > cap * (1.0 + LOAD_TOLERANCE) {
                        let span = f.facility[fi]
                            .capacity_per_week
                            .as_ref()
                            .map(|c| c.span)
                            .unwrap_or(f.facility[fi].id.span);
                        self.err(
                            Diagnostic::new(
                                format!(
                                    "baseline load of facility `{}` is {} units/week, above its capacity {} ({} %)",
                                    fa.id,
                                    show(load),
                                    show(cap),
                                    percent_over(load, cap)
                                ),
                                span,
                            )
                            .label("capacity declared here")
                            .hint("raise capacity_per_week, or move share of its customers to other suppliers"),
                        );
                    }
                }
            }
        }

        let horizon = settings.horizon_weeks;
        let shock_t = {
            let mut t = Table::new("shock");
            for sh in &f.shock {
                t.insert(&sh.id.value);
            }
            t
        };
        let ctx = Ctx {
            bloc_t: &bloc_t,
            country_t: &country_t,
            product_t: &product_t,
            facility_t: &facility_t,
            market_t: &market_t,
            countries: &countries,
            blocs: &blocs,
            facilities: &facilities,
            markets: &markets,
            needs: &needs,
            links: &links,
            facility_unsure: &facility_unsure,
            market_unsure: &market_unsure,
            dropped_links: &dropped_links,
        };
        let shocks: Vec<Shock> = f
            .shock
            .iter()
            .filter_map(|sh| self.shock(sh, &ctx, &shock_t, horizon))
            .collect();
        let mut policy_t = Table::new("policy");
        let mut policies = Vec::new();
        let mut policy_spans = Vec::new();
        for p in &f.policy {
            policy_t.insert(&p.id.value);
            let compiled = self.policy(p, &ctx);
            policies.push(compiled);
            policy_spans.push(p.id.span);
        }
        let variants = self.variants(&f.variant, &policy_t, &policies, &policy_spans);
        // A capacity shock that selects no declared facility is no mistake
        // if it reaches one a policy builds (`countries = ["JP"]` and a
        // subsidy that builds the only Japanese fab): it hits that fab in the
        // variants that build it, as `policy::apply` extends its targets.
        let built: Vec<Facility> = policies
            .iter()
            .flatten()
            .filter_map(|p| match &p.action {
                PolicyAction::Reshore {
                    country, template, ..
                } => Some(Facility {
                    country: *country,
                    ..facilities[*template as usize].clone()
                }),
                _ => None,
            })
            .collect();
        for (d, reach) in std::mem::take(&mut self.unselected) {
            // (A named selector names declared facilities only.)
            if !built.iter().any(|f| reach.reaches_facility(u32::MAX, f)) {
                self.err(d);
            }
        }

        let scenario_hash = s.sources.content_hash().to_string();

        if !self.diags.is_empty() {
            return None;
        }
        let policies = policies.into_iter().flatten().collect();
        let net = Network {
            settings,
            blocs,
            countries,
            products,
            facilities,
            markets,
            needs,
            links,
            need_links,
            facility_needs,
            market_needs,
            supplier_links,
            topo_order,
            baseline,
            shocks,
            policies,
            variants,
            scenario_hash,
        };
        self.diags.is_empty().then_some(net)
    }

    fn settings(&mut self, meta: Option<&sc::Meta>) -> Settings {
        let mut s = Settings {
            name: String::new(),
            description: String::new(),
            attribution: String::new(),
            horizon_weeks: 104,
            fulfilment_threshold: 0.95,
            severe_loss_usd: 1e9,
        };
        let Some(m) = meta else { return s };
        if let Some(n) = &m.name {
            s.name = n.value.clone();
        }
        if let Some(d) = &m.description {
            s.description = d.value.clone();
        }
        if let Some(a) = &m.attribution {
            s.attribution = a.value.trim().to_string();
        }
        if let Some(h) = &m.horizon_weeks {
            if h.value < 1 || h.value > 5200 {
                self.err(
                    Diagnostic::new(
                        format!(
                            "`horizon_weeks` is {}, but must be between 1 and 5200",
                            h.value
                        ),
                        h.span,
                    )
                    .hint("the default is 104 weeks (two years)"),
                );
            } else {
                s.horizon_weeks = h.value as u32;
            }
        }
        if let Some(t) = &m.fulfilment_threshold
            && let Some(x) = self.num(t, "fulfilment_threshold", Rule::Fraction)
        {
            s.fulfilment_threshold = x;
        }
        if let Some(t) = &m.severe_loss_usd
            && let Some(x) = self.num(t, "severe_loss_usd", Rule::Positive)
        {
            s.severe_loss_usd = x;
        }
        s
    }
}

/// A supply link left out of the network for a problem already reported,
/// with what of it resolved.
#[derive(Clone, Copy)]
struct DroppedLink {
    supplier: Option<u32>,
    customer: Option<Customer>,
    product: Option<u32>,
}

/// Lookup tables shared by the shock and policy compilers.
struct Ctx<'a> {
    bloc_t: &'a Table,
    country_t: &'a Table,
    product_t: &'a Table,
    facility_t: &'a Table,
    market_t: &'a Table,
    countries: &'a [Country],
    blocs: &'a [Bloc],
    facilities: &'a [Facility],
    markets: &'a [Market],
    needs: &'a [Need],
    links: &'a [Link],
    /// See `facility_unsure` and `market_unsure` in [`Compiler::run`].
    facility_unsure: &'a [bool],
    market_unsure: &'a [bool],
    dropped_links: &'a [DroppedLink],
}

impl Compiler {
    /// Resolves ids naming a country or a bloc into the set of countries.
    fn places(&mut self, ctx: &Ctx, ids: &[Sp<String>]) -> Option<Vec<bool>> {
        let mut set = vec![false; ctx.countries.len()];
        let mut ok = true;
        for id in ids {
            if let Some(c) = ctx.country_t.get(&id.value) {
                set[c as usize] = true;
            } else if let Some(b) = ctx.bloc_t.get(&id.value) {
                for (ci, c) in ctx.countries.iter().enumerate() {
                    if c.blocs.contains(&b) {
                        set[ci] = true;
                    }
                }
            } else {
                let all = ctx
                    .country_t
                    .ids
                    .iter()
                    .chain(ctx.bloc_t.ids.iter())
                    .map(String::as_str);
                self.unknown("country or bloc", id, all, || {
                    "name a country id or a bloc id".into()
                });
                ok = false;
            }
        }
        ok.then_some(set)
    }

    fn product_set(&mut self, ctx: &Ctx, ids: &[Sp<String>]) -> Option<Vec<bool>> {
        let mut set = vec![ids.is_empty(); ctx.product_t.ids.len()];
        let mut ok = true;
        for id in ids {
            match self.resolve(ctx.product_t, id) {
                Some(p) => set[p as usize] = true,
                None => ok = false,
            }
        }
        ok.then_some(set)
    }

    /// The facilities `s` selects, and whether a facility whose country or
    /// product did not resolve (already reported) might be among them.
    fn facility_selector(
        &mut self,
        ctx: &Ctx,
        s: &sc::FacilitySelector,
    ) -> Option<(Vec<u32>, bool, Reach)> {
        let mut ids = Vec::new();
        let mut ok = true;
        for id in &s.facilities {
            match self.resolve(ctx.facility_t, id) {
                Some(i) => ids.push(i),
                None => ok = false,
            }
        }
        let mut place_ids = s.countries.clone();
        place_ids.extend(s.blocs.iter().cloned());
        let places = self.places(ctx, &place_ids);
        let products = self.product_set(ctx, &s.products);
        let (Some(places), Some(products), true) = (places, products, ok) else {
            return None;
        };
        let kinds: Vec<sc::FacilityKind> = s.kinds.iter().map(|k| k.value).collect();
        let by_id_and_kind = |i: usize, fa: &Facility| {
            (ids.is_empty() || ids.contains(&(i as u32)))
                && (kinds.is_empty() || kinds.contains(&fa.kind))
        };
        let maybe = ctx
            .facilities
            .iter()
            .enumerate()
            .any(|(i, fa)| ctx.facility_unsure[i] && by_id_and_kind(i, fa));
        let reach = Reach::Facilities {
            named: ids.clone(),
            kinds: kinds.clone(),
            countries: (!place_ids.is_empty()).then_some(places),
            products,
        };
        let selected = ctx
            .facilities
            .iter()
            .enumerate()
            .filter(|&(i, fa)| reach.reaches_facility(i as u32, fa))
            .map(|(i, _)| i as u32)
            .collect();
        Some((selected, maybe, reach))
    }

    /// Needs of the selected customers (for `products`, all when `None`).
    fn customer_needs(
        &mut self,
        ctx: &Ctx,
        s: &sc::CustomerSelector,
        products: &[bool],
    ) -> Option<Vec<u32>> {
        self.customer_needs_and_rule(ctx, s, products)
            .map(|(needs, _)| needs)
    }

    /// [`customer_needs`](Self::customer_needs), and the rule by which the
    /// selector reaches the inputs of fabs a variant builds.
    fn customer_needs_and_rule(
        &mut self,
        ctx: &Ctx,
        s: &sc::CustomerSelector,
        products: &[bool],
    ) -> Option<(Vec<u32>, Option<BuiltNeeds>)> {
        let mut ok = true;
        let mut mk = Vec::new();
        for id in &s.markets {
            match self.resolve(ctx.market_t, id) {
                Some(i) => mk.push(i),
                None => ok = false,
            }
        }
        let mut fa = Vec::new();
        for id in &s.facilities {
            match self.resolve(ctx.facility_t, id) {
                Some(i) => fa.push(i),
                None => ok = false,
            }
        }
        let mut place_ids = s.countries.clone();
        place_ids.extend(s.blocs.iter().cloned());
        let places = self.places(ctx, &place_ids)?;
        if !ok {
            return None;
        }
        let sectors: Vec<sc::Sector> = s.sectors.iter().map(|x| x.value).collect();
        let kinds: Vec<sc::FacilityKind> = s.kinds.iter().map(|x| x.value).collect();
        let by_id = !mk.is_empty() || !fa.is_empty();
        let rule = (!by_id && sectors.is_empty()).then(|| BuiltNeeds {
            countries: (!place_ids.is_empty()).then(|| places.clone()),
            kinds: kinds.clone(),
            products: products.to_vec(),
        });
        let needs = ctx
            .needs
            .iter()
            .enumerate()
            .filter(|(_, n)| products[n.product as usize])
            .filter(|(_, n)| match n.customer {
                Customer::Market(m) => {
                    let mkt = &ctx.markets[m as usize];
                    (!by_id || mk.contains(&m))
                        && (place_ids.is_empty() || member(&places, mkt.country))
                        && (sectors.is_empty() || sectors.contains(&mkt.sector))
                        && kinds.is_empty()
                }
                Customer::Facility(f) => {
                    let fac = &ctx.facilities[f as usize];
                    (!by_id || fa.contains(&f))
                        && (place_ids.is_empty() || member(&places, fac.country))
                        && sectors.is_empty()
                        && (kinds.is_empty() || kinds.contains(&fac.kind))
                }
            })
            .map(|(i, _)| i as u32)
            .collect();
        Some((needs, rule))
    }

    /// The links from `from` to `to` of `products`, and whether a link
    /// left out or placed nowhere for a problem already reported might be
    /// among them.
    fn lane_links(
        &mut self,
        ctx: &Ctx,
        from: &[Sp<String>],
        to: &[Sp<String>],
        products: &[Sp<String>],
    ) -> Option<(Vec<u32>, bool, Reach)> {
        let from = self.places(ctx, from);
        let to = self.places(ctx, to);
        let products = self.product_set(ctx, products);
        let (from, to, products) = (from?, to?, products?);
        // Whether a supplier / customer may lie in `set`: a facility or
        // market placed nowhere (its country unresolved) might.
        let supplier_in = |set: &[bool], f: u32, sure: bool| {
            member(set, ctx.facilities[f as usize].country)
                || (!sure && ctx.facility_unsure[f as usize])
        };
        let customer_in = |set: &[bool], c: Customer, sure: bool| match c {
            Customer::Facility(f) => supplier_in(set, f, sure),
            Customer::Market(m) => {
                member(set, ctx.markets[m as usize].country)
                    || (!sure && ctx.market_unsure[m as usize])
            }
        };
        let selected: Vec<u32> = ctx
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let need = &ctx.needs[l.need as usize];
                supplier_in(&from, l.supplier, true)
                    && customer_in(&to, need.customer, true)
                    && member(&products, need.product)
            })
            .map(|(i, _)| i as u32)
            .collect();
        let maybe = ctx
            .links
            .iter()
            .map(|l| {
                let need = &ctx.needs[l.need as usize];
                (Some(l.supplier), Some(need.customer), Some(need.product))
            })
            .chain(
                ctx.dropped_links
                    .iter()
                    .map(|d| (d.supplier, d.customer, d.product)),
            )
            .any(|(s, c, p)| {
                s.is_none_or(|s| supplier_in(&from, s, false))
                    && c.is_none_or(|c| customer_in(&to, c, false))
                    && p.is_none_or(|p| member(&products, p))
            });
        Some((selected, maybe, Reach::Lanes { from, to, products }))
    }

    fn agreement(&mut self, ctx: &Ctx, id: &Sp<String>) -> Option<u32> {
        let b = self.resolve(ctx.bloc_t, id)?;
        if !ctx.blocs[b as usize].agreement {
            self.err(
                Diagnostic::new(format!("bloc `{}` is not an agreement", id.value), id.span)
                    .hint("mark it revocable with `agreement = true` in its [[bloc]] table if it rests on a treaty or deal"),
            );
            return None;
        }
        Some(b)
    }

    /// A demand shock's severity, a fractional change of demand in [−1,
    /// [`MAX_DEMAND_RISE`]]. A bounded distribution must stay within it; an
    /// unbounded one (lognormal, on (0, ∞)) is capped at the top when drawn.
    fn demand_severity(&mut self, d: &Sp<sc::Dist>) -> Option<Distribution> {
        let x = self.dist(d, "severity")?;
        let (a, b) = x.support();
        let unbounded = matches!(x, Distribution::LogNormal(..));
        if a < -1.0 || (b > MAX_DEMAND_RISE && !unbounded) {
            self.err(
                Diagnostic::new(
                    format!(
                        "demand `severity` can take values in [{}, {}], outside the allowed [-1, {}]",
                        show_bound(a, -1.0, MAX_DEMAND_RISE),
                        show_bound(b, -1.0, MAX_DEMAND_RISE),
                        show(MAX_DEMAND_RISE)
                    ),
                    d.span,
                )
                .hint(format!(
                    "a demand shock's severity is a fractional change of demand in [-1, {0}]: -1 = demand gone, 0.2 = +20 %, {0} = +{1} % (the largest rise; draws of a lognormal are capped there)",
                    show(MAX_DEMAND_RISE),
                    show(MAX_DEMAND_RISE * 100.0)
                )),
            );
            return None;
        }
        Some(x)
    }

    fn shock(&mut self, sh: &sc::Shock, ctx: &Ctx, shock_t: &Table, horizon: u32) -> Option<Shock> {
        let what = format!("shock `{}`", sh.id.value);
        let occurrence = match (&sh.probability, &sh.rate_per_year) {
            (Some(p), None) => self
                .num(p, "probability", Rule::Fraction)
                .map(Occurrence::Probability),
            (None, Some(r)) => self
                .num(r, "rate_per_year", Rule::NonNegative)
                .map(Occurrence::RatePerYear),
            (Some(p), Some(_)) => {
                self.err(
                    Diagnostic::new(
                        format!("{what} gives both `probability` and `rate_per_year`"),
                        p.span,
                    )
                    .hint("give one: a probability within the horizon, or a yearly rate"),
                );
                None
            }
            (None, None) => {
                self.err(
                    Diagnostic::new(format!("{what} gives neither `probability` nor `rate_per_year`"), sh.id.span)
                        .hint("add `probability = 0.05` (within the horizon; 0 = only when triggered) or `rate_per_year = 0.02`"),
                );
                None
            }
        };
        let onset = match &sh.onset_week {
            Some(d) => self.dist_in(d, "onset_week", 0.0, f64::INFINITY).map(Some),
            None => Some(None),
        };
        let is_revoke = sh.revoke.is_some();
        let targets = [
            sh.capacity.is_some(),
            sh.lane.is_some(),
            sh.demand.is_some(),
            is_revoke,
        ];
        let n_targets = targets.iter().filter(|x| **x).count();
        // (A revocation among other targets is reported as such below, not
        // through the fields a revocation may not have.)
        if is_revoke && n_targets == 1 {
            // A revocation switches the policy regime at its onset for the
            // rest of the trial (a torn-up agreement is not restored within
            // the horizon): a duration, severity or recovery would be shown
            // in the trial records and silently do nothing.
            let given = [
                ("duration_weeks", sh.duration_weeks.as_ref().map(|d| d.span)),
                ("severity", sh.severity.as_ref().map(|d| d.span)),
                ("recovery_weeks", sh.recovery_weeks.as_ref().map(|d| d.span)),
            ];
            for (key, span) in given {
                if let Some(span) = span {
                    self.err(
                        Diagnostic::new(
                            format!("{what} revokes agreements, which stay revoked to the horizon: `{key}` would have no effect"),
                            span,
                        )
                        .hint(format!("remove `{key}`: a revocation has only an onset")),
                    );
                }
            }
        }
        let duration = match &sh.duration_weeks {
            Some(d) => self.dist_in(d, "duration_weeks", 0.0, f64::INFINITY).and_then(|x| {
                // Durations are whole weeks, at least one (MODEL.md §2): a
                // distribution every draw of which rounds to 0 is a mistake.
                if x.support().1 < 0.5 {
                    self.err(
                        Diagnostic::new(
                            format!("`duration_weeks` is always below half a week ({}): every draw would round to 0, and a shock lasts at least 1 week", show(x.support().1)),
                            d.span,
                        )
                        .hint("durations are whole weeks ≥ 1; for a one-off drop, use `{ fixed = 1 }`"),
                    );
                    return None;
                }
                Some(x)
            }),
            None if is_revoke => Some(Distribution::Fixed(horizon as f64)),
            None => {
                self.missing(
                    &sh.duration_weeks,
                    &what,
                    sh.id.span,
                    "duration_weeks",
                    "{ pert = { min = 4, mode = 12, max = 52 } }",
                );
                None
            }
        };
        if n_targets != 1 {
            let hint = if is_revoke && n_targets > 1 {
                "a revocation is a shock of its own: move `revoke = [...]` to a new [[shock]], \
                 and give this one a [[shock.trigger]] of it if the two go together"
            } else {
                "give one of [shock.capacity], [shock.lane], [shock.demand] or `revoke = [...]`"
            };
            self.err(
                Diagnostic::new(
                    format!("{what} has {n_targets} targets; it needs exactly one"),
                    sh.id.span,
                )
                .hint(hint),
            );
            return None;
        }
        let severity = match &sh.severity {
            Some(d) if sh.demand.is_some() => self.demand_severity(d),
            Some(d) => self.dist_in(d, "severity", 0.0, 1.0),
            None if is_revoke => Some(Distribution::Fixed(1.0)),
            None => {
                self.missing(
                    &sh.severity,
                    &what,
                    sh.id.span,
                    "severity",
                    "{ fixed = 1.0 }",
                );
                None
            }
        };
        let recovery = match &sh.recovery_weeks {
            Some(d) => self
                .dist_in(d, "recovery_weeks", 0.0, f64::INFINITY)
                .map(Some),
            None => Some(None),
        };
        // Whether an entity already reported as wrong might be among what
        // the target selects: then "selects nothing" may be false.
        let mut maybe = false;
        let mut reach = None;
        let target = if let Some(sel) = &sh.capacity {
            if sel.facilities.is_empty()
                && sel.countries.is_empty()
                && sel.blocs.is_empty()
                && sel.products.is_empty()
                && sel.kinds.is_empty()
            {
                // Read literally, an empty selector matches every facility:
                // a shock to the whole world is possible but never by
                // accident, so it is written out.
                self.err(
                    Diagnostic::new(
                        format!("{what}: `[shock.capacity]` names no facilities, countries, blocs, products or kinds, so it would hit every facility"),
                        sh.id.span,
                    )
                    .hint("name what it hits, e.g. countries = [\"TW\"]; to hit every facility on purpose, write kinds = [\"fab\", \"materials\", \"equipment\", \"osat\", \"design\"]"),
                );
                None
            } else {
                self.facility_selector(ctx, sel).map(|(v, m, r)| {
                    maybe = m;
                    reach = Some(r);
                    ShockTarget::Capacity(v)
                })
            }
        } else if let Some(l) = &sh.lane {
            if l.from.is_empty() || l.to.is_empty() {
                self.err(
                    Diagnostic::new(
                        format!("{what}: a lane needs `from` and `to` countries or blocs"),
                        sh.id.span,
                    )
                    .hint("e.g. from = [\"CN\"], to = [\"us_allies\"]"),
                );
                None
            } else {
                self.lane_links(ctx, &l.from, &l.to, &l.products)
                    .map(|(v, m, r)| {
                        maybe = m;
                        reach = Some(r);
                        ShockTarget::Lane(v)
                    })
            }
        } else if let Some(d) = &sh.demand
            && d.markets.is_empty()
            && d.countries.is_empty()
            && d.blocs.is_empty()
            && d.sectors.is_empty()
            && d.products.is_empty()
        {
            // As an empty `[shock.capacity]`.
            self.err(
                Diagnostic::new(
                    format!("{what}: `[shock.demand]` names no markets, countries, blocs, sectors or products, so it would change every market's demand"),
                    sh.id.span,
                )
                .hint("name the demand it changes, e.g. sectors = [\"automotive\"]; to change all demand on purpose, write sectors = [\"automotive\", \"consumer\", \"data_centre\", \"industrial\", \"defence\", \"communications\"]"),
            );
            None
        } else if let Some(d) = &sh.demand {
            maybe = ctx.markets.iter().enumerate().any(|(i, m)| {
                ctx.market_unsure[i]
                    && (d.markets.is_empty() || d.markets.iter().any(|x| x.value == m.id))
                    && (d.sectors.is_empty() || d.sectors.iter().any(|x| x.value == m.sector))
            });
            let products = self.product_set(ctx, &d.products);
            let sel = sc::CustomerSelector {
                markets: d.markets.clone(),
                countries: d.countries.clone(),
                blocs: d.blocs.clone(),
                sectors: d.sectors.clone(),
                ..Default::default()
            };
            products
                .and_then(|p| self.customer_needs(ctx, &sel, &p))
                .map(|needs| {
                    needs
                        .into_iter()
                        .filter(|&n| matches!(ctx.needs[n as usize].customer, Customer::Market(_)))
                        .collect()
                })
                .map(ShockTarget::Demand)
        } else {
            let mut ids = Vec::new();
            let mut ok = true;
            for a in sh.revoke.iter().flatten() {
                match self.agreement(ctx, a) {
                    Some(b) => ids.push(b),
                    None => ok = false,
                }
            }
            ok.then_some(ShockTarget::Revoke(ids))
        };
        if let Some(t) = &target {
            let empty = match t {
                ShockTarget::Capacity(v)
                | ShockTarget::Lane(v)
                | ShockTarget::Demand(v)
                | ShockTarget::Revoke(v) => v.is_empty(),
            };
            if empty && !maybe {
                let d = Diagnostic::new(format!("{what} selects nothing"), sh.id.span)
                    .hint("its selector matches no facility, link, market demand or agreement; check the ids and filters");
                match (t, reach.clone()) {
                    // It may still hit a fab a policy builds.
                    (ShockTarget::Capacity(_), Some(r)) => self.unselected.push((d, r)),
                    _ => self.err(d),
                }
            }
        }
        let mut triggers = Vec::new();
        for tr in &sh.trigger {
            let target = self.resolve(shock_t, &tr.shock);
            let p = self.num(&tr.probability, "probability", Rule::Fraction);
            let lag = match &tr.lag_weeks {
                Some(d) => self.dist_in(d, "lag_weeks", 0.0, f64::INFINITY),
                None => Some(Distribution::Fixed(0.0)),
            };
            if let (Some(shock), Some(probability), Some(lag_weeks)) = (target, p, lag) {
                if shock_t.ids[shock as usize] == sh.id.value {
                    self.err(
                        Diagnostic::new(format!("{what} triggers itself"), tr.shock.span).hint(
                            format!(
                                "a trigger names another shock, which this one sets off; to make \
                                 `{}` itself fire more often, raise its `probability` or give it \
                                 a `rate_per_year`",
                                sh.id.value
                            ),
                        ),
                    );
                    continue;
                }
                triggers.push(Trigger {
                    shock,
                    probability,
                    lag_weeks,
                });
            }
        }
        Some(Shock {
            id: sh.id.value.clone(),
            name: sh
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| sh.id.value.clone()),
            occurrence: occurrence?,
            onset_week: onset?,
            duration_weeks: duration?,
            severity: severity?,
            recovery_weeks: recovery?,
            target: target?,
            reach,
            triggers,
        })
    }

    fn policy(&mut self, p: &sc::Policy, ctx: &Ctx) -> Option<Policy> {
        let what = format!("policy `{}`", p.id.value);
        let capex = self.opt_num(&p.capex_usd, "capex_usd", Rule::NonNegative, 0.0);
        let subsidy = self.opt_num(&p.subsidy_usd, "subsidy_usd", Rule::NonNegative, 0.0);
        let annual = self.opt_num(
            &p.annual_cost_usd,
            "annual_cost_usd",
            Rule::NonNegative,
            0.0,
        );
        // The subsidy is the public part of the capital cost, not a sum
        // beside it.
        if let (Some(c), Some(s), Some(sp)) = (capex, subsidy, &p.subsidy_usd)
            && s > c
        {
            self.err(
                Diagnostic::new(
                    format!("{what}: subsidy_usd {s} is more than its capex_usd {c}"),
                    sp.span,
                )
                .label("the public part of the capital cost")
                .hint("capex_usd is the whole capital cost, subsidy included: raise capex_usd to the total, or lower subsidy_usd"),
            );
        }
        let agreement = match &p.agreement {
            Some(a) => Some(self.agreement(ctx, a)?),
            None => None,
        };
        let n_actions = [
            p.reshore.is_some(),
            p.friendshore.is_some(),
            p.stockpile.is_some(),
            p.dual_source.is_some(),
            p.crisis_sharing.is_some(),
            p.export_control.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if n_actions != 1 {
            self.err(
                Diagnostic::new(format!("{what} has {n_actions} actions; it needs exactly one"), p.id.span).hint(
                    "give one of [policy.reshore], [policy.friendshore], [policy.stockpile], [policy.dual_source], [policy.crisis_sharing], [policy.export_control]",
                ),
            );
            return None;
        }
        let action = if let Some(r) = &p.reshore {
            let country = self.resolve(ctx.country_t, &r.country);
            let product = self.resolve(ctx.product_t, &r.product);
            let capacity = self.num(&r.capacity_per_week, "capacity_per_week", Rule::Positive);
            let build = self.opt_num(&r.build_weeks, "build_weeks", Rule::NonNegative, 0.0);
            let ramp = self.opt_num(&r.ramp_weeks, "ramp_weeks", Rule::NonNegative, 0.0);
            let template = self.resolve(ctx.facility_t, &r.template);
            let share = self.num(&r.share, "share", Rule::Fraction);
            let (product, template) = (product?, template?);
            if ctx.facilities[template as usize].product != product {
                self.err(
                    Diagnostic::new(
                        format!("template `{}` does not make `{}`", r.template.value, r.product.value),
                        r.template.span,
                    )
                    .hint("the template is an existing facility of the same product whose recipe and sourcing the new capacity copies"),
                );
                return None;
            }
            let mut products = vec![false; ctx.product_t.ids.len()];
            products[product as usize] = true;
            let needs = self.customer_needs(ctx, &r.customers, &products)?;
            if needs.is_empty() {
                self.err(Diagnostic::new(
                    format!("{what}: its customers use no `{}`", r.product.value),
                    r.product.span,
                ));
                return None;
            }
            PolicyAction::Reshore {
                country: country?,
                product,
                firm: r.firm.as_ref().map(|x| x.value.clone()),
                capacity_per_week: capacity?,
                build_weeks: build?,
                ramp_weeks: ramp?,
                template,
                needs,
                share: share?,
            }
        } else if let Some(fr) = &p.friendshore {
            let product = self.resolve(ctx.product_t, &fr.product)?;
            let from = self.places(ctx, &fr.from)?;
            let to = self.resolve(ctx.bloc_t, &fr.to)?;
            let share = self.num(&fr.share, "share", Rule::Fraction)?;
            let extra = self.opt_num(
                &fr.extra_capacity_fraction,
                "extra_capacity_fraction",
                Rule::NonNegative,
                0.0,
            )?;
            let mut products = vec![false; ctx.product_t.ids.len()];
            products[product as usize] = true;
            let needs = self.customer_needs(ctx, &fr.customers, &products)?;
            PolicyAction::Friendshore {
                product,
                needs,
                from_countries: from
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x)
                    .map(|(i, _)| i as u32)
                    .collect(),
                to_bloc: to,
                share,
                extra_capacity_fraction: extra,
            }
        } else if let Some(st) = &p.stockpile {
            let products = self.product_set(ctx, &st.products)?;
            let (needs, built) = self.customer_needs_and_rule(ctx, &st.customers, &products)?;
            let weeks = self.num(&st.inventory_weeks, "inventory_weeks", Rule::NonNegative)?;
            let rate = self.opt_num(
                &st.holding_rate_per_year,
                "holding_rate_per_year",
                Rule::NonNegative,
                0.2,
            )?;
            PolicyAction::Stockpile {
                needs,
                inventory_weeks: weeks,
                holding_rate_per_year: rate,
                release: st.release.as_ref().map(|r| r.value).unwrap_or_default(),
                built,
            }
        } else if let Some(ds) = &p.dual_source {
            let products = self.product_set(ctx, &ds.products)?;
            let (needs, built) = self.customer_needs_and_rule(ctx, &ds.customers, &products)?;
            PolicyAction::DualSource { needs, built }
        } else if let Some(cs) = &p.crisis_sharing {
            if agreement.is_none() {
                self.err(
                    Diagnostic::new(
                        format!("{what}: crisis sharing rests on an agreement"),
                        p.id.span,
                    )
                    .hint(agreement_hint(ctx)),
                );
                return None;
            }
            let set = self.product_set(ctx, &cs.products)?;
            PolicyAction::CrisisSharing {
                products: set
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x)
                    .map(|(i, _)| i as u32)
                    .collect(),
            }
        } else {
            let ec = p.export_control.as_ref()?;
            let (links, maybe, reach) = self.lane_links(ctx, &ec.from, &ec.to, &ec.products)?;
            if links.is_empty() && !maybe {
                // As a shock's selector that matches nothing: a control that
                // closes no lane would cost nothing and change nothing.
                self.err(
                    Diagnostic::new(format!("{what} closes no link"), p.id.span).hint(
                        "no supply link runs from its `from` to its `to` countries for its products; check the ids and filters",
                    ),
                );
            }
            PolicyAction::ExportControl { links, reach }
        };
        if let Some(PolicyAction::Stockpile { needs, .. } | PolicyAction::DualSource { needs, .. }) =
            Some(&action)
            && needs.is_empty()
        {
            self.err(
                Diagnostic::new(format!("{what} selects no customer need"), p.id.span)
                    .hint("check its customers and products"),
            );
        }
        Some(Policy {
            id: p.id.value.clone(),
            name: p
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| p.id.value.clone()),
            agreement,
            capex_usd: capex?,
            subsidy_usd: subsidy?,
            annual_cost_usd: annual?,
            action,
        })
    }

    fn variants(
        &mut self,
        vs: &[sc::Variant],
        policy_t: &Table,
        policies: &[Option<Policy>],
        spans: &[Span],
    ) -> Vec<Variant> {
        let mut out = vec![Variant {
            id: "baseline".into(),
            name: "baseline (no policy)".into(),
            policies: Vec::new(),
        }];
        for v in vs {
            let list = v.policies.clone().unwrap_or_default();
            if v.id.value == "baseline" {
                if let Some(first) = list.first() {
                    self.err(
                        Diagnostic::new("variant `baseline` must have no policies", first.span)
                            .hint("baseline is the network as declared; give the policy set another name"),
                    );
                }
                if let Some(n) = &v.name {
                    out[0].name = n.value.clone();
                }
                continue;
            }
            let mut ids: Vec<u32> = Vec::new();
            for pid in &list {
                if let Some(i) = self.resolve(policy_t, pid) {
                    if ids.contains(&i) {
                        self.err(Diagnostic::new(
                            format!(
                                "policy `{}` listed twice in variant `{}`",
                                pid.value, v.id.value
                            ),
                            pid.span,
                        ));
                    } else {
                        ids.push(i);
                    }
                }
            }
            if self
                .checked_variants
                .as_ref()
                .is_none_or(|c| c.contains(&v.id.value))
            {
                self.conflicts(v, &ids, policies, spans);
            }
            out.push(Variant {
                id: v.id.value.clone(),
                name: v
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| v.id.value.clone()),
                policies: ids,
            });
        }
        out
    }

    /// Policies that cannot both apply: two stockpile targets for one need,
    /// or more than the whole of a need's sourcing moved by reshoring and
    /// friendshoring together.
    fn conflicts(
        &mut self,
        v: &sc::Variant,
        ids: &[u32],
        policies: &[Option<Policy>],
        spans: &[Span],
    ) {
        let mut stock: HashMap<u32, u32> = HashMap::new();
        let mut moved: HashMap<u32, (f64, u32)> = HashMap::new();
        for &pi in ids {
            let Some(p) = &policies[pi as usize] else {
                continue;
            };
            match &p.action {
                PolicyAction::Stockpile { needs, .. } => {
                    for n in needs {
                        if let Some(&other) = stock.get(n) {
                            let what = "both set a stockpile target for the same input";
                            let hint =
                                "keep one stockpile policy per customer and product in a variant";
                            self.conflict(v, p, pi, other, policies, spans, what, hint);
                            return;
                        }
                        stock.insert(*n, pi);
                    }
                }
                PolicyAction::Reshore { needs, share, .. }
                | PolicyAction::Friendshore { needs, share, .. } => {
                    for n in needs {
                        let e = moved.entry(*n).or_insert((0.0, pi));
                        e.0 += share;
                        if e.0 > 1.0 + SHARE_TOLERANCE {
                            let other = e.1;
                            let what = "together move more than all of one customer's sourcing";
                            let hint = "reduce their shares so they sum to at most 1";
                            self.conflict(v, p, pi, other, policies, spans, what, hint);
                            return;
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Compiler {
    /// Reports policies `other` and `pi` of variant `v` as conflicting.
    #[allow(clippy::too_many_arguments)]
    fn conflict(
        &mut self,
        v: &sc::Variant,
        p: &Policy,
        pi: u32,
        other: u32,
        policies: &[Option<Policy>],
        spans: &[Span],
        what: &str,
        hint: &str,
    ) {
        let op = policies[other as usize]
            .as_ref()
            .map(|x| x.id.as_str())
            .unwrap_or("?");
        self.err(
            Diagnostic::new(
                format!(
                    "variant `{}`: policies `{op}` and `{}` {what}",
                    v.id.value, p.id
                ),
                spans[pi as usize],
            )
            .related(spans[other as usize], "conflicting policy")
            .hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{CUT_NOTE_ABOVE, capped_poisson_moments, percent_over, poisson_above, two_digits};

    /// Mean and variance of `min(N, k)` against the tail sums
    /// `E[min(N,k)] = Σ_{j<k} P(N > j)` and `E[min(N,k)²] = Σ_{j<k} (2j+1)
    /// P(N > j)`, computed from the other tail function.
    #[test]
    fn capped_poisson_moments_match_the_tail_sums() {
        for mean in [0.3, 5.0, 40.0, 64.0, 90.0] {
            let (m, v) = capped_poisson_moments(mean, 64);
            let tail = |j: u32| poisson_above(mean, j);
            let m_want: f64 = (0..64).map(tail).sum();
            let m2_want: f64 = (0..64).map(|j| f64::from(2 * j + 1) * tail(j)).sum();
            let v_want = m2_want - m_want * m_want;
            assert!(
                (m - m_want).abs() <= 1e-9 * m_want,
                "{mean}: {m} vs {m_want}"
            );
            assert!(
                (v - v_want).abs() <= 1e-7 * v_want.max(1e-3),
                "{mean}: {v} vs {v_want}"
            );
        }
        // Far below the cap, the Poisson's own moments.
        let (m, v) = capped_poisson_moments(2.0, 64);
        assert!(
            (m - 2.0).abs() < 1e-12 && (v - 2.0).abs() < 1e-12,
            "{m} {v}"
        );
        // Far above, always the cap.
        assert_eq!(capped_poisson_moments(1e8, 64), (64.0, 0.0));
        assert_eq!(capped_poisson_moments(0.0, 64), (0.0, 0.0));
    }

    /// P(N > 64) against values computed with 40 significant digits, on both
    /// sides of the mean 64 where the sum changes direction; and the
    /// note's threshold lies between means 33.5 and 33.7.
    #[test]
    fn poisson_tail_above_the_cap() {
        let close = |got: f64, want: f64| {
            assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
        };
        close(poisson_above(20.0, 64), 1.319_253_838_549_17e-15);
        close(poisson_above(35.0, 64), 3.702_479_575_037_2e-6);
        close(poisson_above(64.0, 64), 0.466_821_091_682_635);
        close(poisson_above(100.0, 64), 0.999_921_956_124_794);
        assert_eq!(poisson_above(1e8, 64), 1.0);
        assert_eq!(poisson_above(0.0, 64), 0.0);
        assert!(poisson_above(33.5, 64) < CUT_NOTE_ABOVE);
        assert!(poisson_above(33.7, 64) > CUT_NOTE_ABOVE);
        assert_eq!(two_digits(46.68), "47");
        assert_eq!(two_digits(0.000_370_2), "0.00037");
    }

    #[test]
    fn an_overload_never_reads_as_100_percent() {
        assert_eq!(percent_over(70.0, 50.0), "140");
        assert_eq!(percent_over(138.885, 100.0), "138.9");
        assert_eq!(percent_over(100.3, 100.0), "100.3");
        let just_over = percent_over(100.01, 100.0);
        assert!(just_over.starts_with("100.0"), "{just_over}");
    }
}
