//! Reports of a run: the figures of MODEL §4 computed from an
//! [`Accumulated`], and their export to files and the terminal.
//!
//! [`RunReport::build`] is the only place figures are computed; exporters
//! (one file per format, behind the [`Exporter`] trait) only lay them out.
//! Every file is written atomically ([`crate::atomic`]) and every float is printed
//! by [`fmt::num`], so the same results give byte-identical files.
//!
//! *Invariant:* nothing in a report depends on the thread count, which is
//! therefore not recorded in the manifest.

use crate::atomic;
mod exceedance_csv;
pub mod fmt;
mod json;
mod summary_csv;
pub mod table;
pub mod trials_csv;
mod weekly_csv;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::ser::Error as _;

use crate::mc::{Accumulated, RunConfig};
use crate::network::Network;
use crate::stats::{
    ExceedancePoint, KaplanMeier, Observation, Proportion, QUANTILE_DEFINITION, Summary,
    exceedance_curve,
};

pub use exceedance_csv::ExceedanceCsv;
pub use json::SummaryJson;
pub use summary_csv::SummaryCsv;
pub use trials_csv::TrialsCsv;
pub use weekly_csv::WeeklyCsv;

/// Most points kept on the exceedance curve.
pub const EXCEEDANCE_POINTS: usize = 200;

/// What produced the results: enough to reproduce them, and to refuse to
/// merge shards of different runs.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    pub chipshock_version: String,
    pub scenario: String,
    pub scenario_hash: String,
    /// Where the scenario's data come from and under what licence, as the
    /// scenario declares it (absent when it declares none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// The policy variant simulated (in `comparison.json`: every variant
    /// compared, comma-separated, baseline first).
    pub variant: String,
    pub seed: u64,
    pub trial_start: u64,
    /// Exclusive.
    pub trial_end: u64,
    pub trials: u64,
    pub horizon_weeks: u32,
    pub fulfilment_threshold: f64,
    pub severe_loss_usd: f64,
    pub weekly_recorded: bool,
    pub quantile_definition: String,
    /// Versions of the crates whose output values the results depend on
    /// (the random stream, and `libm`, whose functions every sampler uses:
    /// an accuracy fix there can move a draw), from Cargo.lock.
    pub crates: BTreeMap<String, String>,
}

/// A metric defined only in some trials (time to survive / recover).
#[derive(Clone, Debug, Serialize)]
pub struct Conditional {
    /// Trials in which it is defined.
    pub defined: Proportion,
    /// Over those trials only; `None` if there are none, written as a
    /// summary of `count` 0 whose every figure is `null`
    /// ([`summary_or_undefined`]). For the time to recover these are the
    /// trials that recovered within the horizon, so the summary is biased
    /// low: see `kaplan_meier`.
    #[serde(serialize_with = "summary_or_undefined")]
    pub summary: Option<Summary>,
    /// Time to recover only: its distribution over every trial that fell
    /// short, the recovery of those still short at the horizon's end taken
    /// as censored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kaplan_meier: Option<Recovery>,
}

/// Writes [`Conditional::summary`]; without one, the fields of a summary
/// with `count` 0 and every figure `null`, so that a reader finds the
/// fields it reads whether or not any trial fell short (the files keep
/// their shape, as for the undefined figures of one value). The fields are
/// those of a real summary, so the two cannot drift apart.
fn summary_or_undefined<S: serde::Serializer>(
    summary: &Option<Summary>,
    ser: S,
) -> Result<S::Ok, S::Error> {
    fn undefined(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => m.values_mut().for_each(undefined),
            other => *other = serde_json::Value::Null,
        }
    }
    match summary {
        Some(s) => s.serialize(ser),
        None => {
            let mut v = serde_json::to_value(Summary::of(&[0.0])).map_err(S::Error::custom)?;
            undefined(&mut v);
            v["count"] = 0.into();
            v.serialize(ser)
        }
    }
}

/// Weeks after the first shortfall at which [`Recovery::still_short`] is
/// read, when the trials were observed that long.
pub const STILL_SHORT_WEEKS: u32 = 52;

/// Time to recover over the trials that fell short, with those still short
/// in the horizon's last week counted as right-censored: a trial whose
/// first shortfall was in week `f` and that is still short in week `H − 1`
/// (`H` the horizon) recovers `H − f` weeks after its first shortfall at
/// the earliest, so its time to recover is at least `H − f`. Kaplan–Meier
/// keeps it at risk for every time before `H − f` and, since it may recover
/// exactly then, not at `H − f` itself (in the usual notation, "longer than
/// `H − f − 1`"). The mean and quantiles of `Conditional::summary`, over
/// recovered trials only, leave out the longest shortfalls and read low.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recovery {
    /// Trials that fell short: some week's total fulfilment was below the
    /// threshold.
    pub short_trials: u64,
    /// Of those, trials that recovered within the horizon (time to recover
    /// defined).
    pub recovered: u64,
    /// Of those, trials still short in the horizon's last week: their time
    /// to recover is censored.
    pub still_short_at_end: u64,
    /// Kaplan–Meier median time to recover, in weeks: the first time at
    /// which the estimated share still short is at most 1/2. `None` ("not
    /// reached") when it stays above 1/2 up to the longest time observed,
    /// or when no trial fell short.
    pub median: Option<f64>,
    /// The same at 1/10: 90 % of short trials recover within it.
    pub p90: Option<f64>,
    /// The longest time after a first shortfall at which a short trial was
    /// observed (recovered then, or last seen still short), in weeks: the
    /// estimate is known up to it. 0 when no trial fell short.
    pub longest_observed_weeks: f64,
    /// Kaplan–Meier probability that a trial that fell short is still
    /// short [`STILL_SHORT_WEEKS`] weeks after its first shortfall, or after
    /// `longest_observed_weeks` if that is less (and the estimate has not
    /// reached 0); `None` when no trial fell short.
    pub still_short: Option<StillShort>,
}

/// The Kaplan–Meier probability of a shortfall lasting beyond `weeks`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StillShort {
    /// Weeks after the first shortfall.
    pub weeks: f64,
    /// `P(time to recover > weeks)`.
    pub estimate: f64,
    /// Greenwood's standard error of `estimate`.
    pub std_error: f64,
}

impl Recovery {
    /// From each trial's first shortfall week and time to recover, in trial
    /// order, over a horizon of `horizon_weeks`.
    pub fn of(
        horizon_weeks: u32,
        trials: impl IntoIterator<Item = (Option<u32>, Option<u32>)>,
    ) -> Recovery {
        let (mut short, mut recovered) = (0u64, 0u64);
        let mut obs = Vec::new();
        for (first_short_week, ttr) in trials {
            match (first_short_week, ttr) {
                (_, Some(d)) => {
                    short += 1;
                    recovered += 1;
                    obs.push(Observation {
                        time: f64::from(d),
                        event: true,
                    });
                }
                (Some(f), None) => {
                    short += 1;
                    // Still short in week H − 1, f + (H − 1 − f): known to
                    // last longer than H − 1 − f weeks.
                    obs.push(Observation {
                        time: f64::from(horizon_weeks.saturating_sub(f).saturating_sub(1)),
                        event: false,
                    });
                }
                (None, None) => {}
            }
        }
        let km = KaplanMeier::fit(obs);
        let longest = km.longest();
        let still_short = (short > 0).then(|| {
            let at = f64::from(STILL_SHORT_WEEKS);
            let reached_zero = km.steps().last().is_some_and(|s| s.survival == 0.0);
            let weeks = if reached_zero { at } else { at.min(longest) };
            StillShort {
                weeks,
                estimate: km.survival(weeks),
                std_error: km.std_error(weeks),
            }
        });
        Recovery {
            short_trials: short,
            recovered,
            still_short_at_end: short - recovered,
            median: km.quantile(0.5),
            p90: km.quantile(0.9),
            longest_observed_weeks: longest,
            still_short,
        }
    }
}

/// Expected loss of one group of market needs.
#[derive(Clone, Debug, Serialize)]
pub struct BreakdownRow {
    pub key: String,
    pub expected_lost_usd: f64,
    /// Monte Carlo standard error of `expected_lost_usd`; `None` for fewer
    /// than two trials.
    pub std_error: Option<f64>,
    /// Fraction of the expected total loss.
    pub share: f64,
    pub expected_lost_units: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Breakdown {
    /// `market`, `country`, `sector`, `product` or `need`.
    pub dimension: String,
    pub rows: Vec<BreakdownRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShockRow {
    pub id: String,
    pub name: String,
    /// Trials in which the shock fired at least once.
    pub fired: Proportion,
    /// Firings in all trials (rate-driven shocks may fire repeatedly).
    pub firings: u64,
    /// A political shock that revokes agreements: it has an onset only.
    pub revocation: bool,
}

/// Fan-chart band of one market in one week. Weekly fulfilment is kept in
/// single precision, so the band is too: its digits beyond are noise (0.8
/// would read 0.800000011920929).
#[derive(Clone, Debug, Serialize)]
pub struct WeeklyBand {
    pub market: String,
    pub week: u32,
    pub mean: f32,
    pub p5: f32,
    pub p50: f32,
    pub p95: f32,
}

/// Every figure of a run, ready to serialise.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub manifest: Manifest,
    pub lost_usd: Summary,
    pub lost_units: Summary,
    pub peak_shortfall: Summary,
    pub weeks_below_threshold: Summary,
    /// Delay of back-ordered demand per trial (unit-weeks: the backlog
    /// summed over the weeks it waited); `None` when no market back-orders.
    pub backorder_unit_weeks: Option<Summary>,
    pub time_to_survive: Conditional,
    pub time_to_recover: Conditional,
    pub p_any_loss: Proportion,
    /// `P(lost_usd ≥ severe_loss_usd)`.
    pub p_severe_loss: Proportion,
    pub exceedance: Vec<ExceedancePoint>,
    pub breakdowns: Vec<Breakdown>,
    pub shocks: Vec<ShockRow>,
    /// Empty unless weekly bands were recorded.
    pub weekly: Vec<WeeklyBand>,
}

impl RunReport {
    /// Computes every figure. Shock and market names come from `net`; the
    /// scenario identity and thresholds from `cfg`.
    pub fn build(net: &Network, cfg: &RunConfig, acc: &Accumulated) -> RunReport {
        let t = &acc.trials;
        let n = acc.count();
        let lost_usd = Summary::of(&t.lost_usd);
        let mut sorted = t.lost_usd.clone();
        sorted.sort_by(f64::total_cmp);
        let weeks: Vec<f64> = t.weeks_below.iter().map(|&w| f64::from(w)).collect();
        let conditional = |xs: Vec<f64>| Conditional {
            defined: Proportion::new(xs.len() as u64, n),
            summary: (!xs.is_empty()).then(|| Summary::of(&xs)),
            kaplan_meier: None,
        };
        let recovery = Recovery::of(
            cfg.horizon_weeks,
            (0..t.len()).map(|i| (t.first_short_week(i), t.time_to_recover(i))),
        );
        let any = sorted.len() - sorted.partition_point(|&x| x <= 0.0);
        let severe = sorted.len() - sorted.partition_point(|&x| x < cfg.severe_loss_usd);
        RunReport {
            manifest: Manifest {
                chipshock_version: env!("CARGO_PKG_VERSION").into(),
                scenario: cfg.scenario.clone(),
                scenario_hash: cfg.scenario_hash.clone(),
                attribution: (!cfg.attribution.is_empty()).then(|| cfg.attribution.clone()),
                variant: cfg.variant.clone(),
                seed: cfg.seed,
                trial_start: acc.range().start,
                trial_end: acc.range().end,
                trials: n,
                horizon_weeks: cfg.horizon_weeks,
                fulfilment_threshold: cfg.fulfilment_threshold,
                severe_loss_usd: cfg.severe_loss_usd,
                weekly_recorded: acc.weekly.is_some(),
                quantile_definition: QUANTILE_DEFINITION.into(),
                crates: locked_versions(&["rand", "rand_core", "chacha20", "libm"]),
            },
            lost_units: Summary::of(&t.lost_units),
            peak_shortfall: Summary::of(&t.peak_shortfall),
            weeks_below_threshold: Summary::of(&weeks),
            backorder_unit_weeks: net
                .markets
                .iter()
                .any(|m| m.backorder)
                .then(|| Summary::of(&t.backorder_unit_weeks)),
            time_to_survive: conditional(t.defined_tts().map(f64::from).collect()),
            time_to_recover: Conditional {
                kaplan_meier: Some(recovery),
                ..conditional(t.defined_ttr().map(f64::from).collect())
            },
            p_any_loss: Proportion::new(any as u64, n),
            p_severe_loss: Proportion::new(severe as u64, n),
            exceedance: exceedance_curve(&sorted, EXCEEDANCE_POINTS),
            breakdowns: breakdowns(acc, lost_usd.mean),
            shocks: net
                .shocks
                .iter()
                .enumerate()
                .map(|(s, shock)| ShockRow {
                    id: shock.id.clone(),
                    name: shock.name.clone(),
                    fired: Proportion::new(acc.shock_trials.get(s).copied().unwrap_or(0), n),
                    firings: acc.shock_firings.get(s).copied().unwrap_or(0),
                    revocation: matches!(shock.target, crate::network::ShockTarget::Revoke(_)),
                })
                .collect(),
            weekly: weekly_bands(net, acc),
            lost_usd,
        }
    }

    /// Shock ids by index, for naming fired shocks.
    fn shock_id(&self, s: u32) -> &str {
        self.shocks
            .get(s as usize)
            .map_or("?", |row| row.id.as_str())
    }

    /// Whether shock `s` revokes agreements (and so has no duration or
    /// severity to show).
    fn is_revocation(&self, s: u32) -> bool {
        self.shocks
            .get(s as usize)
            .is_some_and(|row| row.revocation)
    }
}

fn breakdowns(acc: &Accumulated, total_mean: f64) -> Vec<Breakdown> {
    let n = acc.count() as f64;
    acc.layout()
        .dims
        .iter()
        .zip(&acc.breakdown)
        .map(|(dim, sums)| Breakdown {
            dimension: dim.name.clone(),
            rows: dim
                .keys
                .iter()
                .zip(sums)
                .map(|(key, g)| {
                    let mean = if n > 0.0 { g.lost_usd.sum() / n } else { 0.0 };
                    let se = g
                        .lost_usd
                        .sample_variance(acc.count())
                        .map(|var| (var / n).sqrt());
                    BreakdownRow {
                        key: key.clone(),
                        expected_lost_usd: mean,
                        std_error: se,
                        share: if total_mean > 0.0 {
                            mean / total_mean
                        } else {
                            0.0
                        },
                        expected_lost_units: if n > 0.0 {
                            g.lost_units.value() / n
                        } else {
                            0.0
                        },
                    }
                })
                .collect(),
        })
        .collect()
}

fn weekly_bands(net: &Network, acc: &Accumulated) -> Vec<WeeklyBand> {
    let Some(w) = &acc.weekly else {
        return Vec::new();
    };
    let mut rows = Vec::with_capacity(w.markets * w.weeks);
    for m in 0..w.markets {
        let market = net
            .markets
            .get(m)
            .map_or_else(|| m.to_string(), |x| x.id.clone());
        for week in 0..w.weeks {
            let q = |p| w.quantile(m, week, p) as f32;
            rows.push(WeeklyBand {
                market: market.clone(),
                week: week as u32,
                mean: w.mean(m, week, acc.count()) as f32,
                p5: q(0.05),
                p50: q(0.50),
                p95: q(0.95),
            });
        }
    }
    rows
}

/// The lock file this binary was built with.
const CARGO_LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));

/// Versions of `names` as locked (first entry of each name).
fn locked_versions(names: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<&str> = None;
    for line in CARGO_LOCK.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("name = \"")
            .and_then(|s| s.strip_suffix('"'))
        {
            current = Some(name);
        } else if let (Some(name), Some(v)) = (
            current,
            line.strip_prefix("version = \"")
                .and_then(|s| s.strip_suffix('"')),
        ) {
            if names.contains(&name) {
                out.entry(name.to_string()).or_insert_with(|| v.to_string());
            }
            current = None;
        }
    }
    out
}

/// One output format.
pub trait Exporter {
    /// File name inside the output directory.
    fn file_name(&self) -> &'static str;

    /// Whether the run has anything to write in this format.
    fn applies(&self, _report: &RunReport) -> bool {
        true
    }

    fn write(&self, out: &mut dyn Write, report: &RunReport, acc: &Accumulated) -> io::Result<()>;
}

/// Every format, in the order they are written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(SummaryJson),
        Box::new(SummaryCsv),
        Box::new(TrialsCsv),
        Box::new(WeeklyCsv),
        Box::new(ExceedanceCsv),
    ]
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create output directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot remove the temporary files a killed run left in {}", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Writes every applicable format into `dir` (created if missing), each
/// file atomically, and `summary.json` last: a directory never holds a
/// `summary.json` beside files of another run (a run killed while it puts
/// its files in place leaves none, which says the set is incomplete; see
/// [`atomic::commit_set`]). Returns the paths written. A file of a format
/// that does not apply (`weekly.csv` of a run without weekly bands) left
/// there by an earlier run (one that wrote `summary.json`) is removed:
/// beside this run's files it would read as theirs. Temporary files of an
/// earlier run killed mid-write are removed too, so the caller must hold
/// the directory's lock ([`atomic::lock_dir`]): another process's live
/// temporary files look the same.
pub fn write_all(
    dir: &Path,
    report: &RunReport,
    acc: &Accumulated,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let exporters = exporters();
    let names: Vec<&str> = exporters.iter().map(|e| e.file_name()).collect();
    atomic::remove_temp_files_for(dir, &names).map_err(|source| ReportError::Remove {
        path: dir.to_path_buf(),
        source,
    })?;
    // Files of an earlier run are recognised by its summary.json; without
    // one, a file of the same name is not ours to remove.
    let earlier_run = dir.join(MARKER).is_file();
    let (mut staged, mut stale) = (Vec::new(), Vec::new());
    // The marker last.
    let (marker, rest): (Vec<_>, Vec<_>) =
        exporters.into_iter().partition(|e| e.file_name() == MARKER);
    for e in rest.into_iter().chain(marker) {
        let path = dir.join(e.file_name());
        if !e.applies(report) {
            if earlier_run {
                stale.push(path);
            }
            continue;
        }
        let file = atomic::stage(&path, |w| e.write(w, report, acc))
            .map_err(|source| ReportError::Write { path, source })?;
        staged.push(file);
    }
    let written: Vec<PathBuf> = staged.iter().map(|f| f.path().to_path_buf()).collect();
    atomic::commit_set(staged, &stale).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(written)
}

/// The file whose presence says a directory holds a whole run's results.
pub const MARKER: &str = "summary.json";

#[cfg(test)]
mod tests;
