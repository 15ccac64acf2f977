//! The plain-text summary printed on the terminal after a run: aligned
//! columns, USD in human units, no colour (so `NO_COLOR` and pipes need no
//! special case).

use std::fmt::Write as _;

use super::fmt::{pct, usd, usd_exact};
use super::{Recovery, RunReport, STILL_SHORT_WEEKS};
use crate::stats::{Proportion, Summary};
use crate::text::printable;

/// The widest a column is padded to.
const MAX_COLUMN: usize = 1000;

/// Lays out rows with the first column left-aligned and the rest
/// right-aligned, two spaces apart.
pub fn grid(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| {
        rows.iter()
            .filter_map(|r| r.get(c))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            // (A longer cell is printed whole, unpadded; a width past
            // 65,535 would not format at all.)
            .min(MAX_COLUMN)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c == 0 {
                let _ = write!(line, "{cell:<w$}", w = widths[0]);
            } else {
                let _ = write!(line, "  {cell:>w$}", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A count of things in human units: `1.23M`, `456K`, `12.5`, `0.500`.
fn qty(x: f64) -> String {
    usd(x).replacen('$', "", 1)
}

fn weeks(x: f64) -> String {
    format!("{x:.1}")
}

/// What the terminal shows for a figure that is undefined (the spread of
/// fewer than two values).
pub const NOT_AVAILABLE: &str = "n/a";

fn metric_row(name: &str, s: &Summary, f: &dyn Fn(f64) -> String) -> Vec<String> {
    vec![
        name.to_string(),
        f(s.mean),
        s.ci95.map_or_else(
            || NOT_AVAILABLE.into(),
            |ci| format!("±{}", f(ci[1] - s.mean)),
        ),
        f(s.p50.value),
        f(s.p90.value),
        f(s.p95.value),
        f(s.p99.value),
        f(s.cvar95),
    ]
}

fn prop_row(name: String, p: &Proportion) -> Vec<String> {
    vec![
        name,
        pct(p.estimate),
        format!("[{}, {}]", pct(p.ci95[0]), pct(p.ci95[1])),
    ]
}

/// The time to recover with its censoring made plain: how many short trials
/// recovered within the horizon, how many were still short at its end, and
/// the Kaplan–Meier figures that count the latter.
pub fn recovery_line(k: &Recovery) -> String {
    if k.short_trials == 0 {
        return "time to recover (weeks): no trial fell short\n".into();
    }
    let q = |x: Option<f64>| x.map_or_else(|| "not reached".to_string(), |w| format!("{w}"));
    let mut line = format!(
        "time to recover (weeks), {} of {} short trials recovered within the horizon ({} still short at its end): Kaplan-Meier median {}, P90 {}",
        k.recovered,
        k.short_trials,
        k.still_short_at_end,
        q(k.median),
        q(k.p90),
    );
    if let Some(s) = &k.still_short {
        line += &format!(
            ", P(still short {} weeks after the first shortfall) {} (SE {})",
            s.weeks,
            pct(s.estimate),
            pct(s.std_error),
        );
        if s.weeks < f64::from(STILL_SHORT_WEEKS) {
            line += " (the longest time observed)";
        }
    }
    line.push('\n');
    line
}

/// The whole terminal summary.
pub fn render(r: &RunReport) -> String {
    let m = &r.manifest;
    // The scenario's name (or file name) and attribution with any control
    // character escaped: on a terminal it would be an instruction.
    let mut out = format!(
        "scenario `{}`  variant {}  seed {}  trials {}..{} ({})  horizon {} weeks  hash {}\n\n",
        printable(&m.scenario),
        m.variant,
        m.seed,
        m.trial_start,
        m.trial_end,
        m.trials,
        m.horizon_weeks,
        m.scenario_hash.get(..12).unwrap_or(&m.scenario_hash),
    );
    if let Some(a) = &m.attribution {
        // Above the blank line that ends the header.
        out.pop();
        out += &format!("data: {}\n\n", printable(a));
    }
    let mut rows: Vec<Vec<String>> = vec![
        ["", "mean", "95% CI", "P50", "P90", "P95", "P99", "CVaR95"]
            .map(String::from)
            .to_vec(),
        metric_row("lost output (USD)", &r.lost_usd, &usd),
        metric_row("lost units", &r.lost_units, &qty),
        metric_row("peak shortfall", &r.peak_shortfall, &pct),
        metric_row("weeks below threshold", &r.weeks_below_threshold, &weeks),
    ];
    if let Some(b) = &r.backorder_unit_weeks {
        rows.push(metric_row("back-order delay (unit-weeks)", b, &qty));
    }
    for (name, unit, c) in [
        ("time to survive (weeks)", "trials", &r.time_to_survive),
        // Over recovered trials only: the line below the grid says so.
        (
            "time to recover (weeks)",
            "recovered trials only",
            &r.time_to_recover,
        ),
    ] {
        let label = format!("{name}, {} {unit}", c.defined.count);
        match &c.summary {
            Some(s) => rows.push(metric_row(&label, s, &weeks)),
            // Of no values every figure is undefined.
            None => rows.push(
                std::iter::once(label)
                    .chain(std::iter::repeat_n(NOT_AVAILABLE.to_string(), 7))
                    .collect(),
            ),
        }
    }
    out.push_str(&grid(&rows));
    if let Some(k) = &r.time_to_recover.kaplan_meier {
        out.push_str(&recovery_line(k));
    }
    out.push('\n');
    out.push_str(&grid(&[
        prop_row("P(any loss)".into(), &r.p_any_loss),
        prop_row(
            // Never rounded into another amount: 5000.001 is not $5.00K.
            format!("P(loss >= {})", usd_exact(m.severe_loss_usd)),
            &r.p_severe_loss,
        ),
    ]));
    for b in r.breakdowns.iter().filter(|b| b.dimension != "need") {
        let mut rows: Vec<&super::BreakdownRow> = b
            .rows
            .iter()
            .filter(|x| x.expected_lost_usd > 0.0)
            .collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by(|a, b| b.expected_lost_usd.total_cmp(&a.expected_lost_usd));
        let mut g = vec![vec![
            format!("expected loss by {}", b.dimension),
            "USD".into(),
            "± SE".into(),
            "share".into(),
        ]];
        g.extend(rows.iter().take(10).map(|x| {
            vec![
                format!("  {}", x.key),
                usd(x.expected_lost_usd),
                x.std_error.map_or_else(|| NOT_AVAILABLE.into(), usd),
                pct(x.share),
            ]
        }));
        out.push('\n');
        out.push_str(&grid(&g));
    }
    // Every shock, those that never fired too: their interval says how
    // rare they can still be.
    let fired: Vec<Vec<String>> = r
        .shocks
        .iter()
        .map(|s| prop_row(format!("  {}", s.id), &s.fired))
        .collect();
    if !fired.is_empty() {
        out.push('\n');
        let mut g = vec![vec![
            "shocks fired".into(),
            "trials".into(),
            "95% CI".into(),
        ]];
        g.extend(fired);
        out.push_str(&grid(&g));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_aligns_columns() {
        let g = grid(&[
            vec!["a".into(), "1".into()],
            vec!["longer".into(), "12345".into()],
        ]);
        assert_eq!(g, "a           1\nlonger  12345\n");
    }

    /// A cell wider than any column is padded to is printed whole (a width
    /// past 65,535 made formatting panic).
    #[test]
    fn a_very_wide_cell_is_printed_whole() {
        let wide = "m".repeat(70_000);
        let out = grid(&[
            vec![wide.clone(), "1".into()],
            vec!["short".into(), "22".into()],
        ]);
        assert!(out.starts_with(&format!("{wide}  ")), "{:.40}", out);
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("short ")));
    }
}
