//! `chipshock run`: Monte Carlo trials of a compiled scenario, a summary on
//! the terminal and, with `--out`, the report files.
//!
//! The caller loads and compiles the scenario, applies
//! [`RunArgs::apply_overrides`] to the network, builds the engine from it
//! and hands both to [`run`]. Everything else (the runner, the figures, the
//! files) lives in the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::mc::{self, Accumulated, Layout, RunConfig, RunOptions, TrialRunner};
use crate::network::Network;
use crate::report::{self, RunReport};

use crate::mc::MAX_THREADS;
use crate::scenario::MAX_MAGNITUDE;

#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct RunArgs {
    /// Scenario file (TOML) [default: the shipped world scenario].
    pub scenario: Option<PathBuf>,

    /// Number of trials.
    #[arg(long, default_value_t = 10_000, value_parser = super::whole_number(1, crate::mc::MAX_TRIALS), allow_negative_numbers = true)]
    pub trials: u64,

    /// First trial number: runs `first..first+trials`. A trial's outcome
    /// depends only on (seed, trial), so runs over consecutive ranges have
    /// exactly the rows of one long run in `trials.csv`. (To split the
    /// statistics themselves over machines, use `chipshock sweep --shard`
    /// and `chipshock merge`.)
    #[arg(long, default_value_t = 0, value_parser = super::whole_number(0, crate::mc::MAX_FIRST_TRIAL), allow_negative_numbers = true)]
    pub first_trial: u64,

    /// Seed of the run; trial `i` draws from its own stream of it.
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

    /// Directory for summary.json, summary.csv, trials.csv, weekly.csv and
    /// exceedance.csv (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// No progress bar and no progress lines on stderr (warnings about
    /// the results still print).
    #[arg(long, short)]
    pub quiet: bool,

    /// Loss in USD from which a trial counts as severe, overriding the
    /// scenario's; above 0 and at most 1e15.
    #[arg(long = "severe-usd", value_name = "USD", allow_negative_numbers = true)]
    pub severe_usd: Option<f64>,

    /// Record weekly fulfilment bands (fan charts) [default: on with --out].
    /// Of --weekly and --no-weekly, the last given wins.
    #[arg(long, overrides_with = "no_weekly")]
    pub weekly: bool,

    /// Do not record weekly fulfilment bands.
    #[arg(long, overrides_with = "weekly")]
    pub no_weekly: bool,

    /// Policy variant to run (see the scenario's [[variant]] tables).
    #[arg(long, default_value = "baseline")]
    pub variant: String,
}

impl RunArgs {
    /// Writes the command-line overrides into the network's settings. Call
    /// before building the engine, which must see the same horizon.
    pub fn apply_overrides(&self, net: &mut Network) -> anyhow::Result<()> {
        super::override_horizon(net, self.horizon);
        if let Some(s) = self.severe_usd {
            // As the scenario's `severe_loss_usd`: a threshold of 0 would
            // count trials that lost nothing as severe.
            if !(s > 0.0 && s <= MAX_MAGNITUDE) {
                bail!(
                    "--severe-usd must be an amount above 0 and at most 1e15, not {}; P(any loss) already counts every trial that lost something",
                    crate::report::fmt::num(s)
                );
            }
            net.settings.severe_loss_usd = s;
        }
        Ok(())
    }

    /// The index of `--variant` in the network (one variant: a list is what
    /// `compare` takes, and the error says so).
    pub fn variant_index(&self, net: &Network) -> anyhow::Result<usize> {
        if self.variant.contains(',') {
            bail!(
                "`run` simulates one variant, not `{}`; to compare several on the same shocks, use `chipshock compare --variants {}`",
                self.variant,
                self.variant
            );
        }
        crate::compare::variant_index(net, &self.variant)
    }

    /// Whether to record weekly bands: asked for, or implied by `--out`.
    pub fn record_weekly(&self) -> bool {
        !self.no_weekly && (self.weekly || self.out.is_some())
    }

    pub fn trial_range(&self) -> std::ops::Range<u64> {
        self.first_trial..self.first_trial.saturating_add(self.trials)
    }

    pub fn options(&self) -> RunOptions {
        RunOptions {
            threads: self
                .threads
                .map_or_else(mc::default_threads, |t| t as usize),
            ..RunOptions::default()
        }
    }

    pub fn config(&self, net: &Network) -> RunConfig {
        RunConfig::new(net, self.seed, self.trial_range(), self.record_weekly())
            .with_variant(&self.variant)
    }
}

/// The results of a run, for callers that want more than the files.
pub struct Finished {
    pub config: RunConfig,
    pub report: RunReport,
    pub accumulated: Accumulated,
    pub files: Vec<PathBuf>,
}

/// Runs the trials, builds the report and writes the files, without
/// printing the summary.
pub fn execute<R: TrialRunner>(
    args: &RunArgs,
    net: &Network,
    engine: &R,
) -> anyhow::Result<Finished> {
    if args
        .horizon
        .is_some_and(|h| h != net.settings.horizon_weeks)
    {
        bail!("the network's horizon differs from --horizon: apply RunArgs::apply_overrides first");
    }
    // Held to the end: no other chipshock process writes into `--out`
    // meanwhile.
    let mut claim = match &args.out {
        Some(dir) => Some(super::claim_out(dir, "run", "the report")?),
        None => None,
    };
    let config = args.config(net);
    let layout = Layout::from_network(net, config.record_weekly);
    let bar = progress_bar(args.trials, args.quiet);
    let started = Instant::now();
    let accumulated = mc::run_engine(engine, &config, &layout, &args.options(), |done| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = RunReport::build(net, &config, &accumulated);
    let mut files = Vec::new();
    if let Some(dir) = &args.out {
        files = report::write_all(dir, &report, &accumulated)
            .with_context(|| format!("writing the report to {}", dir.display()))?;
    }
    if let Some(c) = &mut claim {
        c.keep();
    }
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        crate::say!(
            "{} trials in {secs:.1} s ({:.0} trials/s)",
            accumulated.count(),
            accumulated.count() as f64 / secs.max(1e-9)
        );
        if let Some(dir) = &args.out {
            crate::say!("wrote {} files to {}", files.len(), dir.display());
        }
    }
    if accumulated.count() < 2 {
        crate::say!("{ONE_TRIAL}");
    }
    Ok(Finished {
        config,
        report,
        accumulated,
        files,
    })
}

/// Said when a run has one trial (even with `--quiet`: it is about the
/// results): the spread of one value is unknown, so the standard errors
/// and intervals of means and quantiles are undefined, and a proportion's
/// Wilson interval of one trial spans 79 points ([0, 79.3 %] or
/// [20.7 %, 100 %]).
pub(crate) const ONE_TRIAL: &str = "warning: with 1 trial the spread of the results is unknown: \
     the standard errors and confidence intervals of means and quantiles are undefined (n/a, and \
     empty in the files), and the 95% intervals of probabilities are 79 points wide; they need \
     at least 2 trials (a few hundred to be trusted)";

/// `chipshock run`: [`execute`], then the summary table on stdout.
/// Exit code 0 on success; errors are returned for `main` to print.
pub fn run<R: TrialRunner>(args: &RunArgs, net: &Network, engine: &R) -> anyhow::Result<ExitCode> {
    let done = execute(args, net, engine)?;
    super::write_stdout(&report::table::render(&done.report)).context("writing the summary")?;
    Ok(ExitCode::SUCCESS)
}

/// A bar with ETA on stderr, only for a person watching: not with
/// `--quiet`, not when stderr is a pipe or file. It uses no colour, so
/// `NO_COLOR` needs nothing further.
pub(crate) fn progress_bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} trials  {per_sec}  ETA {eta}",
    )
    .ok()?
    .progress_chars("=> ");
    Some(ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::mc::fake;
    use crate::sim::TrialOutcome;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(args: &[&str]) -> RunArgs {
        Cli::try_parse_from(std::iter::once("run").chain(args.iter().copied()))
            .unwrap()
            .run
    }

    struct FakeEngine;

    impl TrialRunner for FakeEngine {
        type Scratch = ();
        fn new_scratch(&self) {}
        fn run_trial(&self, seed: u64, trial: u64, _: &mut (), out: &mut TrialOutcome, _: bool) {
            fake::trial(seed, trial, out);
        }
    }

    #[test]
    fn defaults_and_weekly_resolution() {
        let a = parse(&["world.toml"]);
        assert_eq!(a.trials, 10_000);
        assert_eq!(a.seed, 1);
        assert_eq!(a.trial_range(), 0..10_000);
        assert!(!a.record_weekly());
        assert!(parse(&["--out", "o"]).record_weekly());
        assert!(!parse(&["--out", "o", "--no-weekly"]).record_weekly());
        assert!(parse(&["--weekly"]).record_weekly());
        assert!(parse(&["--no-weekly", "--weekly"]).record_weekly());
        let s = parse(&["--first-trial", "500", "--trials", "100", "--threads", "2"]);
        assert_eq!(s.trial_range(), 500..600);
        assert_eq!(s.options().threads, 2);
        assert!(Cli::try_parse_from(["run", "--trials", "0"]).is_err());
        assert!(Cli::try_parse_from(["run", "--threads", "0"]).is_err());
    }

    #[test]
    fn overrides_reach_the_network() {
        let mut net = fake::network(5);
        let a = parse(&["--horizon", "9", "--severe-usd", "1e6"]);
        a.apply_overrides(&mut net).unwrap();
        assert_eq!(net.settings.horizon_weeks, 9);
        assert_eq!(net.settings.severe_loss_usd, 1e6);
        for bad in ["-1", "0", "1e300", "inf", "NaN"] {
            let e = parse(&["--severe-usd", bad])
                .apply_overrides(&mut net)
                .unwrap_err()
                .to_string();
            assert!(e.contains("above 0 and at most 1e15"), "{bad}: {e}");
        }
        parse(&["--severe-usd", "1e15"])
            .apply_overrides(&mut net)
            .unwrap();
    }

    #[test]
    fn a_run_writes_the_report_and_shards_agree() {
        let net = fake::network(4);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let a = parse(&[
            "--trials",
            "300",
            "--seed",
            "5",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        let whole = execute(&a, &net, &FakeEngine).unwrap();
        assert_eq!(whole.files.len(), 5);
        assert_eq!(whole.report.manifest.seed, 5);
        let mut first = execute(
            &parse(&["--trials", "120", "--seed", "5", "-q", "--weekly"]),
            &net,
            &FakeEngine,
        )
        .unwrap()
        .accumulated;
        let second = execute(
            &parse(&[
                "--first-trial",
                "120",
                "--trials",
                "180",
                "--seed",
                "5",
                "-q",
                "--weekly",
                "--threads",
                "1",
            ]),
            &net,
            &FakeEngine,
        )
        .unwrap();
        first.merge(&second.accumulated).unwrap();
        assert_eq!(first, whole.accumulated);
        assert_eq!(run(&a, &net, &FakeEngine).unwrap(), ExitCode::SUCCESS);
    }

    #[test]
    fn a_stale_horizon_is_refused() {
        let net = fake::network(4);
        assert!(execute(&parse(&["--horizon", "8", "-q"]), &net, &FakeEngine).is_err());
    }
}
