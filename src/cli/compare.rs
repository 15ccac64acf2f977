//! `chipshock compare`: the command line of [`crate::compare`]. The table
//! shows the paired and the unpaired interval side by side, so the gain of
//! common random numbers is visible.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::atomic::{self, Staged};
pub use crate::compare::{
    Comparison, TrialPlan, VariantRun, compare, focus_mask, run_variants, variant_index,
};
use crate::mc::{self, RunOptions};
use crate::network::Network;
use crate::report::fmt::{ratio, usd};
use crate::report::{self, RunReport};
use crate::text::printable;

use crate::mc::MAX_THREADS;

#[derive(clap::Args, Clone, Debug)]
pub struct CompareArgs {
    /// Scenario file (default: the shipped world scenario).
    pub scenario: Option<PathBuf>,

    /// Comma-separated variants [default: every variant of the scenario].
    /// `baseline` is always included.
    #[arg(long, value_delimiter = ',', value_parser = trimmed)]
    pub variants: Vec<String>,

    /// Trials per variant.
    #[arg(long, default_value_t = 2_000, value_parser = super::whole_number(1, crate::mc::MAX_TRIALS), allow_negative_numbers = true)]
    pub trials: u64,

    /// First trial number: compares trials `first..first+trials`. A
    /// trial's outcome depends only on (seed, trial), so comparisons over
    /// consecutive ranges have exactly the rows of one long comparison in
    /// `trials.csv`. (To split the statistics themselves over machines, use
    /// `chipshock sweep --shard` and `chipshock merge`.)
    #[arg(long, default_value_t = 0, value_parser = super::whole_number(0, crate::mc::MAX_FIRST_TRIAL), allow_negative_numbers = true)]
    pub first_trial: u64,

    #[arg(long, default_value_t = 1, value_parser = super::whole_number(0, u64::MAX), allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads [default: all cores]. Does not change the results.
    #[arg(long, value_parser = super::whole_number(1, MAX_THREADS), allow_negative_numbers = true)]
    pub threads: Option<u64>,

    /// Horizon in weeks, overriding the scenario's. A shock's `probability`
    /// is its chance per trial, whatever the horizon; `rate_per_year`
    /// shocks scale with it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5200), allow_negative_numbers = true)]
    pub horizon: Option<u32>,

    /// Also compare the losses of one market, country, bloc, sector or
    /// product (an id or a sector name, e.g. `US`, `automotive`).
    #[arg(long)]
    pub focus: Option<String>,

    /// Directory for comparison.csv, comparison.json and every variant's
    /// run files (with a `variant` column).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// No progress bar and no progress lines on stderr (warnings about
    /// the results still print).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Serialize)]
struct ComparisonFile<'a> {
    manifest: &'a report::Manifest,
    focus: Option<&'a str>,
    comparisons: &'a [Comparison],
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
        let na = || crate::report::table::NOT_AVAILABLE.to_string();
        let _ = writeln!(
            s,
            "{:<4} {:<16} {:>11} {:>10} {:>12} {:>23} {:>10} {:>6.1}% {:>6.1}% {:>11} {:>10}",
            r.rank,
            r.variant,
            usd(r.expected_lost_usd),
            r.expected_lost_usd_ci95
                .map_or_else(na, |c| usd(0.5 * (c[1] - c[0]))),
            usd(r.avoided_usd.mean),
            r.avoided_usd
                .ci95
                .map_or_else(na, |c| format!("[{}, {}]", usd(c[0]), usd(c[1]))),
            r.unpaired_ci95_half_width_usd.map_or_else(na, usd),
            100.0 * r.avoided_usd.variant_better.estimate,
            100.0 * r.avoided_usd.variant_worse.estimate,
            usd(r.cost.total_over_horizon_usd),
            match r.avoided_usd_per_dollar {
                Some(x) => ratio(x),
                // Free: nothing to divide by.
                None if r.cost.total_over_horizon_usd == 0.0 => "-".into(),
                // So cheap the ratio is past any number (see `per_dollar`).
                None => na(),
            }
        );
    }
    s
}

fn csv(rows: &[Comparison]) -> String {
    use crate::report::fmt::{csv_field, num, opt_num};
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
            opt_num(r.expected_lost_usd_ci95.map(|c| c[0])),
            opt_num(r.expected_lost_usd_ci95.map(|c| c[1])),
            num(r.expected_lost_units),
            num(r.avoided_usd.mean),
            opt_num(r.avoided_usd.std_error),
            opt_num(r.avoided_usd.ci95.map(|c| c[0])),
            opt_num(r.avoided_usd.ci95.map(|c| c[1])),
            opt_num(r.unpaired_ci95_half_width_usd),
            num(r.avoided_units.mean),
            opt_num(r.avoided_units.ci95.map(|c| c[0])),
            opt_num(r.avoided_units.ci95.map(|c| c[1])),
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

/// Stages the variants' run files, one header each, in `dir`: every
/// exporter's file but `summary.json`, which the caller stages with the
/// comparison. Returns them, and the earlier result's files this one does
/// not replace (`stale`, when `earlier` says there is one).
fn stage_combined(
    dir: &std::path::Path,
    runs: &[VariantRun],
    earlier: bool,
) -> anyhow::Result<(Vec<Staged>, Vec<PathBuf>)> {
    let (mut staged, mut stale) = (Vec::new(), Vec::new());
    for e in report::exporters() {
        if e.file_name() == report::MARKER {
            continue;
        }
        let path = dir.join(e.file_name());
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
        if body.is_empty() {
            if earlier {
                stale.push(path);
            }
        } else {
            staged.push(stage_file(&path, &body)?);
        }
    }
    Ok((staged, stale))
}

/// Writes one output file beside its place, to be renamed into it with the
/// rest; an error names the file (a full disk said only "No space left on
/// device").
fn stage_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<Staged> {
    atomic::stage(path, |w| w.write_all(bytes))
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a comparison into `dir` (created if missing): the variants' run
/// files, `comparison.csv`, their `summary.json`, and `comparison.json`
/// last, so that a directory never holds a `comparison.json` beside files
/// of another result ([`atomic::commit_set`]). Temporary files of an
/// earlier write killed midway are removed (so the caller holds the
/// directory's lock, [`atomic::lock_dir`]), and so are the files of an
/// earlier run or comparison that this one does not replace.
fn write_comparison(
    dir: &std::path::Path,
    runs: &[VariantRun],
    rows: &[Comparison],
    focus: Option<&str>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let exporters = report::exporters();
    let mut names: Vec<&str> = exporters.iter().map(|e| e.file_name()).collect();
    names.extend(["comparison.csv", "comparison.json"]);
    atomic::remove_temp_files_for(dir, &names)
        .with_context(|| format!("removing temporary files from {}", dir.display()))?;
    let earlier = dir.join(report::MARKER).is_file() || dir.join("comparison.json").is_file();
    let (mut staged, stale) = stage_combined(dir, runs, earlier)?;
    staged.push(stage_file(
        &dir.join("comparison.csv"),
        csv(rows).as_bytes(),
    )?);
    #[derive(Serialize)]
    struct All<'a> {
        variants: Vec<&'a RunReport>,
    }
    let all = All {
        variants: runs.iter().map(|r| &r.report).collect(),
    };
    staged.push(stage_file(
        &dir.join(report::MARKER),
        serde_json::to_string_pretty(&all)?.as_bytes(),
    )?);
    // One manifest for the whole comparison: the baseline run's, naming
    // every variant compared (not only the baseline's).
    let mut manifest = runs[0].report.manifest.clone();
    manifest.variant = runs
        .iter()
        .map(|r| r.report.manifest.variant.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let file = ComparisonFile {
        manifest: &manifest,
        focus,
        comparisons: rows,
    };
    let mut json = serde_json::to_string_pretty(&file)?;
    json.push('\n');
    staged.push(stage_file(&dir.join("comparison.json"), json.as_bytes())?);
    atomic::commit_set(staged, &stale)
        .with_context(|| format!("writing the results to {}", dir.display()))
}

/// A list item without the spaces around it (`--variants 'a, b'`).
fn trimmed(item: &str) -> Result<String, String> {
    Ok(item.trim().to_string())
}

/// `chipshock compare`.
pub fn run(args: &CompareArgs, net: &mut Network) -> anyhow::Result<ExitCode> {
    super::override_horizon(net, args.horizon);
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
    if indices.len() == 1 {
        let why = if args.variants.is_empty() {
            "the scenario declares no other [[variant]]"
        } else {
            "no other variant was named"
        };
        crate::say!(
            "note: nothing to compare `baseline` with ({why}): the ranking has one row; docs/POLICIES.md shows how to declare variants"
        );
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
    // Held to the end: no other chipshock process writes into `--out`
    // meanwhile.
    let mut claim = match &args.out {
        Some(dir) => Some(super::claim_out(dir, "compare", "the comparison")?),
        None => None,
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
        write_comparison(dir, &runs, &rows, args.focus.as_deref())?;
    }
    if let Some(c) = &mut claim {
        c.keep();
    }
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        let total = args.trials * runs.len() as u64;
        crate::say!(
            "{total} variant-trials in {secs:.1} s ({:.0}/s)",
            total as f64 / secs.max(1e-9)
        );
    }
    if args.trials < 2 {
        crate::say!("{}", super::run::ONE_TRIAL);
    }
    let m = &runs[0].report.manifest;
    // The scenario's name and attribution with any control character
    // escaped, as in `run`'s table.
    let mut header = format!(
        "scenario `{}`  seed {}  trials {}..{}  horizon {} weeks  hash {}\n",
        printable(&m.scenario),
        m.seed,
        m.trial_start,
        m.trial_end,
        m.horizon_weeks,
        &m.scenario_hash[..12.min(m.scenario_hash.len())]
    );
    if let Some(a) = &m.attribution {
        header += &format!("data: {}\n", printable(a));
    }
    super::write_stdout(&(header + &table(&rows, args.trials)))?;
    Ok(ExitCode::SUCCESS)
}
