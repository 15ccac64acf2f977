//! `chipshock compare`: policy variants on common random numbers.
//!
//! Every variant runs the same trials (the same seed and trial numbers, so
//! the same shock schedules). The comparison against the baseline is the
//! **paired** difference of each trial's loss, whose interval is far
//! tighter than the difference of two independent means; the table shows
//! both so the gain is visible.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use serde::Serialize;

use super::validate::usd;
use crate::mc::{self, Accumulated, Layout, RunConfig, RunOptions, TrialRunner};
use crate::network::{Customer, Network};
use crate::policy::{self, Cost};
use crate::report::{self, RunReport};
use crate::sim::TrialOutcome;
use crate::sim::variant::VariantEngine;
use crate::stats::{PairedDifference, Proportion, paired_difference};

#[derive(clap::Args, Clone, Debug)]
pub struct CompareArgs {
    /// Scenario file (default: the shipped world scenario).
    pub scenario: Option<PathBuf>,

    /// Comma-separated variants [default: every variant of the scenario].
    /// `baseline` is always included.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,

    /// Trials per variant.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: u64,

    /// First trial number (shards of one comparison use consecutive ranges).
    #[arg(long, default_value_t = 0)]
    pub first_trial: u64,

    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Worker threads [default: all cores]. Does not change the results.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..4096))]
    pub threads: Option<u64>,

    /// Horizon in weeks, overriding the scenario's.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub horizon: Option<u32>,

    /// Also compare the losses of one market, country, bloc, sector or
    /// product (an id or a sector name, e.g. `US`, `automotive`).
    #[arg(long)]
    pub focus: Option<String>,

    /// Directory for comparison.csv, comparison.json and every variant's
    /// run files (with a `variant` column).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[arg(long, short)]
    pub quiet: bool,
}

/// One variant against the baseline, for one scope (total or focus).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub variant: String,
    pub name: String,
    /// `total` or the focus key.
    pub scope: String,
    pub expected_lost_usd: f64,
    pub expected_lost_usd_ci95: [f64; 2],
    pub expected_lost_units: f64,
    /// Baseline loss minus variant loss, trial by trial (USD).
    pub avoided_usd: PairedDifference,
    pub avoided_units: PairedDifference,
    /// Half-width of the 95 % interval had the variants been run on
    /// independent random numbers (√(SE_b² + SE_v²) × 1.96).
    pub unpaired_ci95_half_width_usd: f64,
    pub cost: Cost,
    /// Mean avoided loss per dollar of policy cost over the horizon.
    pub avoided_usd_per_dollar: Option<f64>,
    pub p_any_loss: Proportion,
    /// 1 = largest expected avoided loss.
    pub rank: usize,
}

#[derive(Serialize)]
struct ComparisonFile<'a> {
    manifest: &'a report::Manifest,
    focus: Option<&'a str>,
    comparisons: &'a [Comparison],
}

/// Per-trial focused losses, written by trial number (so thread count and
/// scheduling cannot change them).
struct FocusSink {
    first: u64,
    mask: Vec<bool>,
    usd: Vec<AtomicU64>,
    units: Vec<AtomicU64>,
}

struct Focused<'a> {
    inner: &'a VariantEngine,
    sink: Option<&'a FocusSink>,
}

impl TrialRunner for Focused<'_> {
    type Scratch = crate::sim::Scratch;
    fn new_scratch(&self) -> Self::Scratch {
        self.inner.scratch()
    }
    fn run_trial(
        &self,
        seed: u64,
        trial: u64,
        s: &mut Self::Scratch,
        out: &mut TrialOutcome,
        weekly: bool,
    ) {
        self.inner.run_trial(seed, trial, s, out, weekly);
        if let Some(sink) = self.sink {
            let (mut u, mut n) = (0.0, 0.0);
            for (i, &m) in sink.mask.iter().enumerate() {
                if m {
                    u += out.lost_usd_by_need[i];
                    n += out.lost_units_by_need[i];
                }
            }
            let i = (trial - sink.first) as usize;
            sink.usd[i].store(u.to_bits(), Ordering::Relaxed);
            sink.units[i].store(n.to_bits(), Ordering::Relaxed);
        }
    }
}

/// Resolves `--focus` to a mask over the network's market needs, and a
/// label.
pub fn focus_mask(net: &Network, key: &str) -> anyhow::Result<Vec<bool>> {
    let market_needs: Vec<usize> = net
        .needs
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.customer, Customer::Market(_)))
        .map(|(i, _)| i)
        .collect();
    let pick = |f: &dyn Fn(usize, &crate::network::Market, u32) -> bool| -> Vec<bool> {
        market_needs
            .iter()
            .map(|&n| match net.needs[n].customer {
                Customer::Market(m) => f(n, &net.markets[m as usize], net.needs[n].product),
                Customer::Facility(_) => false,
            })
            .collect()
    };
    let mask = if let Some(mi) = net.markets.iter().position(|m| m.id == key) {
        pick(&|_, m, _| m.id == net.markets[mi].id)
    } else if let Some(ci) = net.countries.iter().position(|c| c.id == key) {
        pick(&|_, m, _| m.country as usize == ci)
    } else if let Some(bi) = net.blocs.iter().position(|b| b.id == key) {
        pick(&|_, m, _| {
            net.countries[m.country as usize]
                .blocs
                .contains(&(bi as u32))
        })
    } else if let Some(pi) = net.products.iter().position(|p| p.id == key) {
        pick(&|_, _, p| p as usize == pi)
    } else {
        let sector = net
            .markets
            .iter()
            .map(|m| m.sector)
            .find(|s| crate::network::graph::enum_name(*s) == key);
        match sector {
            Some(s) => pick(&|_, m, _| m.sector == s),
            None => {
                let mut all: Vec<String> = Vec::new();
                all.extend(net.markets.iter().map(|m| m.id.clone()));
                all.extend(net.countries.iter().map(|c| c.id.clone()));
                all.extend(net.blocs.iter().map(|b| b.id.clone()));
                all.extend(net.products.iter().map(|p| p.id.clone()));
                for s in [
                    "automotive",
                    "consumer",
                    "data_centre",
                    "industrial",
                    "defence",
                    "communications",
                ] {
                    all.push(s.to_string());
                }
                let hint = crate::diagnostic::did_you_mean(key, all.iter().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                bail!(
                    "--focus `{key}` is not a market, country, bloc, product or sector of the scenario{hint}"
                );
            }
        }
    };
    if !mask.iter().any(|x| *x) {
        bail!("--focus `{key}` selects no market demand");
    }
    Ok(mask)
}

/// Finds variant `id`, with a did-you-mean on a typo.
pub fn variant_index(net: &Network, id: &str) -> anyhow::Result<usize> {
    match net.variants.iter().position(|v| v.id == id) {
        Some(i) => Ok(i),
        None => {
            let ids: Vec<&str> = net.variants.iter().map(|v| v.id.as_str()).collect();
            let hint = crate::diagnostic::did_you_mean(id, ids.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            bail!(
                "unknown variant `{id}`; {hint}the scenario's variants: {}",
                ids.join(", ")
            )
        }
    }
}

/// A variant's run: its report and per-trial losses.
pub struct VariantRun {
    pub id: String,
    pub name: String,
    pub cost: Cost,
    pub report: RunReport,
    pub accumulated: Accumulated,
    pub focus_usd: Vec<f64>,
    pub focus_units: Vec<f64>,
}

/// Which trials every variant runs, and how.
#[derive(Clone, Debug)]
pub struct TrialPlan {
    pub seed: u64,
    pub trials: std::ops::Range<u64>,
    pub options: RunOptions,
    pub record_weekly: bool,
}

/// Runs every variant on the same trials.
pub fn run_variants(
    net: &Network,
    variants: &[usize],
    plan: &TrialPlan,
    focus: Option<&[bool]>,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Vec<VariantRun>> {
    let (seed, trials, opts, record_weekly) = (
        plan.seed,
        plan.trials.clone(),
        &plan.options,
        plan.record_weekly,
    );
    let mut runs = Vec::new();
    let mut done_before = 0;
    for &vi in variants {
        let vn = policy::apply(net, vi).map_err(anyhow::Error::msg)?;
        let engine = VariantEngine::new(&vn);
        let cfg = RunConfig::new(&vn.net, seed, trials.clone(), record_weekly).with_variant(&vn.id);
        let layout = Layout::from_network(&vn.net, record_weekly);
        let n = (trials.end - trials.start) as usize;
        let sink = focus.map(|mask| FocusSink {
            first: trials.start,
            mask: mask.to_vec(),
            usd: (0..n).map(|_| AtomicU64::new(0)).collect(),
            units: (0..n).map(|_| AtomicU64::new(0)).collect(),
        });
        let runner = Focused {
            inner: &engine,
            sink: sink.as_ref(),
        };
        let acc = mc::run_engine(&runner, &cfg, &layout, opts, |d| progress(done_before + d))?;
        done_before += acc.count();
        let report = RunReport::build(&vn.net, &cfg, &acc);
        let (focus_usd, focus_units) = match &sink {
            Some(s) => (
                s.usd
                    .iter()
                    .map(|x| f64::from_bits(x.load(Ordering::Relaxed)))
                    .collect(),
                s.units
                    .iter()
                    .map(|x| f64::from_bits(x.load(Ordering::Relaxed)))
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        runs.push(VariantRun {
            id: vn.id.clone(),
            name: net.variants[vi].name.clone(),
            cost: vn.cost.clone(),
            report,
            accumulated: acc,
            focus_usd,
            focus_units,
        });
    }
    Ok(runs)
}

/// The comparisons of every run against the first (the baseline), for the
/// total and, if given, the focus.
pub fn compare(runs: &[VariantRun], focus: Option<&str>) -> Vec<Comparison> {
    let mut rows = Vec::new();
    let Some(base) = runs.first() else {
        return rows;
    };
    let scopes: Vec<Option<&str>> = std::iter::once(None).chain(focus.map(Some)).collect();
    for scope in scopes {
        let (b_usd, b_units): (&[f64], &[f64]) = match scope {
            None => (
                &base.accumulated.trials.lost_usd,
                &base.accumulated.trials.lost_units,
            ),
            Some(_) => (&base.focus_usd, &base.focus_units),
        };
        let b_summary = crate::stats::Summary::of(b_usd);
        let mut block = Vec::new();
        for r in runs {
            let (v_usd, v_units): (&[f64], &[f64]) = match scope {
                None => (
                    &r.accumulated.trials.lost_usd,
                    &r.accumulated.trials.lost_units,
                ),
                Some(_) => (&r.focus_usd, &r.focus_units),
            };
            let v_summary = crate::stats::Summary::of(v_usd);
            let units = crate::stats::Summary::of(v_units);
            let avoided_usd = paired_difference(b_usd, v_usd);
            let avoided_units = paired_difference(b_units, v_units);
            let any = v_usd.iter().filter(|x| **x > 0.0).count() as u64;
            let cost = r.cost.total_over_horizon_usd;
            block.push(Comparison {
                variant: r.id.clone(),
                name: r.name.clone(),
                scope: scope.unwrap_or("total").to_string(),
                expected_lost_usd: v_summary.mean,
                expected_lost_usd_ci95: v_summary.ci95,
                expected_lost_units: units.mean,
                unpaired_ci95_half_width_usd: 1.96
                    * (b_summary.std_error.powi(2) + v_summary.std_error.powi(2)).sqrt(),
                avoided_usd_per_dollar: (cost > 0.0).then(|| avoided_usd.mean / cost),
                avoided_usd,
                avoided_units,
                cost: r.cost.clone(),
                p_any_loss: Proportion::new(any, v_usd.len() as u64),
                rank: 0,
            });
        }
        let mut order: Vec<usize> = (0..block.len()).collect();
        order.sort_by(|&a, &b| {
            block[b]
                .avoided_usd
                .mean
                .total_cmp(&block[a].avoided_usd.mean)
                .then(a.cmp(&b))
        });
        for (rank, &i) in order.iter().enumerate() {
            block[i].rank = rank + 1;
        }
        rows.extend(block);
    }
    rows
}

/// The comparison table for the terminal.
pub fn table(rows: &[Comparison], trials: u64) -> String {
    let mut s = String::new();
    let mut scope = "";
    for r in rows {
        if r.scope != scope {
            scope = &r.scope;
            let _ = writeln!(
                s,
                "\n{} ({} trials per variant, common random numbers; avoided = baseline − variant, paired)",
                if scope == "total" {
                    "all markets".to_string()
                } else {
                    format!("focus: {scope}")
                },
                trials
            );
            let _ = writeln!(
                s,
                "{:<4} {:<16} {:>11} {:>10} {:>12} {:>23} {:>10} {:>7} {:>7} {:>11} {:>10}",
                "rank",
                "variant",
                "E[loss]",
                "± 95% CI",
                "avoided",
                "paired 95% CI",
                "unpaired±",
                "P(bet)",
                "P(wor)",
                "cost",
                "avoided/$"
            );
        }
        let ci = r.avoided_usd.ci95;
        let _ = writeln!(
            s,
            "{:<4} {:<16} {:>11} {:>10} {:>12} {:>23} {:>10} {:>6.1}% {:>6.1}% {:>11} {:>10}",
            r.rank,
            r.variant,
            usd(r.expected_lost_usd),
            usd(0.5 * (r.expected_lost_usd_ci95[1] - r.expected_lost_usd_ci95[0])),
            usd(r.avoided_usd.mean),
            format!("[{}, {}]", usd(ci[0]), usd(ci[1])),
            usd(r.unpaired_ci95_half_width_usd),
            100.0 * r.avoided_usd.variant_better.estimate,
            100.0 * r.avoided_usd.variant_worse.estimate,
            usd(r.cost.total_over_horizon_usd),
            r.avoided_usd_per_dollar
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    s
}

fn csv(rows: &[Comparison]) -> String {
    use crate::report::fmt::{csv_field, num};
    let mut s = String::from(
        "variant,scope,rank,expected_lost_usd,expected_lost_usd_ci95_low,expected_lost_usd_ci95_high,expected_lost_units,\
avoided_usd_mean,avoided_usd_std_error,avoided_usd_ci95_low,avoided_usd_ci95_high,unpaired_ci95_half_width_usd,\
avoided_units_mean,avoided_units_ci95_low,avoided_units_ci95_high,p_variant_better,p_variant_worse,p_any_loss,\
capex_usd,subsidy_usd,annual_cost_usd,cost_over_horizon_usd,avoided_usd_per_dollar\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.variant),
            csv_field(&r.scope),
            r.rank,
            num(r.expected_lost_usd),
            num(r.expected_lost_usd_ci95[0]),
            num(r.expected_lost_usd_ci95[1]),
            num(r.expected_lost_units),
            num(r.avoided_usd.mean),
            num(r.avoided_usd.std_error),
            num(r.avoided_usd.ci95[0]),
            num(r.avoided_usd.ci95[1]),
            num(r.unpaired_ci95_half_width_usd),
            num(r.avoided_units.mean),
            num(r.avoided_units.ci95[0]),
            num(r.avoided_units.ci95[1]),
            num(r.avoided_usd.variant_better.estimate),
            num(r.avoided_usd.variant_worse.estimate),
            num(r.p_any_loss.estimate),
            num(r.cost.capex_usd),
            num(r.cost.subsidy_usd),
            num(r.cost.annual_usd),
            num(r.cost.total_over_horizon_usd),
            r.avoided_usd_per_dollar.map(num).unwrap_or_default()
        );
    }
    s
}

/// Concatenates the variants' run files, one header each.
fn write_combined(dir: &std::path::Path, runs: &[VariantRun]) -> anyhow::Result<()> {
    for e in report::exporters() {
        if e.file_name() == "summary.json" {
            continue;
        }
        let mut body: Vec<u8> = Vec::new();
        for (i, r) in runs.iter().enumerate() {
            if !e.applies(&r.report) {
                continue;
            }
            let mut part = Vec::new();
            e.write(&mut part, &r.report, &r.accumulated)?;
            let skip = if i == 0 || body.is_empty() {
                0
            } else {
                part.iter()
                    .position(|&b| b == b'\n')
                    .map_or(part.len(), |p| p + 1)
            };
            body.extend_from_slice(&part[skip..]);
        }
        if !body.is_empty() {
            crate::atomic::write(&dir.join(e.file_name()), &body)?;
        }
    }
    #[derive(Serialize)]
    struct All<'a> {
        variants: Vec<&'a RunReport>,
    }
    let all = All {
        variants: runs.iter().map(|r| &r.report).collect(),
    };
    crate::atomic::write(
        &dir.join("summary.json"),
        serde_json::to_string_pretty(&all)?.as_bytes(),
    )?;
    Ok(())
}

/// `chipshock compare`.
pub fn run(args: &CompareArgs, net: &mut Network) -> anyhow::Result<ExitCode> {
    if let Some(h) = args.horizon {
        net.settings.horizon_weeks = h;
    }
    let mut ids: Vec<String> = if args.variants.is_empty() {
        net.variants.iter().map(|v| v.id.clone()).collect()
    } else {
        args.variants.clone()
    };
    ids.retain(|v| v != "baseline");
    ids.insert(0, "baseline".to_string());
    let mut indices = Vec::new();
    for id in &ids {
        let i = variant_index(net, id)?;
        if !indices.contains(&i) {
            indices.push(i);
        }
    }
    let focus = match &args.focus {
        Some(k) => Some(focus_mask(net, k)?),
        None => None,
    };
    let opts = RunOptions {
        threads: args
            .threads
            .map(|t| t as usize)
            .unwrap_or_else(mc::default_threads),
        ..RunOptions::default()
    };
    let trials = args.first_trial..args.first_trial + args.trials;
    let bar = super::run::progress_bar(args.trials * indices.len() as u64, args.quiet);
    let started = Instant::now();
    let plan = TrialPlan {
        seed: args.seed,
        trials,
        options: opts,
        record_weekly: args.out.is_some(),
    };
    let runs = run_variants(net, &indices, &plan, focus.as_deref(), |d| {
        if let Some(b) = &bar {
            b.set_position(d);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let rows = compare(&runs, args.focus.as_deref());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_combined(dir, &runs)?;
        crate::atomic::write(&dir.join("comparison.csv"), csv(&rows).as_bytes())?;
        let file = ComparisonFile {
            manifest: &runs[0].report.manifest,
            focus: args.focus.as_deref(),
            comparisons: &rows,
        };
        let mut json = serde_json::to_string_pretty(&file)?;
        json.push('\n');
        crate::atomic::write(&dir.join("comparison.json"), json.as_bytes())?;
    }
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        let total = args.trials * runs.len() as u64;
        eprintln!(
            "{total} variant-trials in {secs:.1} s ({:.0}/s)",
            total as f64 / secs.max(1e-9)
        );
    }
    let m = &runs[0].report.manifest;
    let mut out = std::io::stdout().lock();
    let header = format!(
        "scenario `{}`  seed {}  trials {}..{}  horizon {} weeks  hash {}\n",
        m.scenario,
        m.seed,
        m.trial_start,
        m.trial_end,
        m.horizon_weeks,
        &m.scenario_hash[..12.min(m.scenario_hash.len())]
    );
    out.write_all(header.as_bytes())?;
    out.write_all(table(&rows, args.trials).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
