//! `chipshock sweep` and `chipshock merge`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::diagnostic::Renderer;
use crate::mc::{self, RunOptions};
use crate::sweep::run::{
    ManifestRebuilt, SweepOptions, SweepProgress, SweepRunError, merge, run_sweep,
};
use crate::sweep::{SweepError, load_sweep_shard};

use super::{EXIT_INVALID, EXIT_USAGE, color_stderr};

/// `I/N`: this process runs shard I of N (0 ≤ I < N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not I/N (e.g. 3/64)"))?;
        let index: usize = i.trim().parse().map_err(|_| {
            format!("`{i}` is not a shard index (a whole number from 0, below the count)")
        })?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a shard count (a whole number from 1)"))?;
        if count > crate::sweep::MAX_POINTS {
            return Err(format!(
                "shard count {count} is more than {}, the most points a sweep may have",
                crate::sweep::MAX_POINTS
            ));
        }
        if count == 0 {
            return Err(format!(
                "shard {index}/{count}: the shard count must be at least 1 (0/1 is the whole sweep)"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: the index must be below the count (0-based: 0/{count} to {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

use crate::mc::MAX_THREADS;

#[derive(clap::Args, Clone, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML; see docs/SWEEPS.md).
    pub sweep: PathBuf,

    /// Directory for the results (points/, sweep.json, points.csv,
    /// points.json, sensitivity.csv).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Run shard I of N (0-based), e.g. `--shard $SLURM_ARRAY_TASK_ID/64`.
    // A value such as `-1/2` is taken as the value, to be refused as a
    // shard, rather than as an unknown flag `-1` (clap's
    // `allow_negative_numbers`, as `--threads` has, takes only numbers).
    #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
    pub shard: Option<Shard>,

    /// Continue an interrupted sweep: finished points are kept.
    #[arg(long)]
    pub resume: bool,

    /// Also write every trial's row per point (points/pNNNNNN.trials.csv).
    #[arg(long)]
    pub trial_rows: bool,

    /// Worker threads [default: all cores]. Does not change the results.
    #[arg(long, value_parser = super::whole_number(1, MAX_THREADS), allow_negative_numbers = true)]
    pub threads: Option<u64>,

    /// No progress bar and no progress lines on stderr (warnings about
    /// the results still print).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Clone, Debug)]
pub struct MergeArgs {
    /// Shard directories written by `chipshock sweep --shard I/N`.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,

    /// Directory for the merged sweep.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// No line on stderr saying what was merged (errors still print).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Exit codes: an invalid sweep or a refused merge is 1; an `--out` or
/// flags that do not fit the directory, and I/O, are 2.
fn refuse(e: SweepRunError) -> ExitCode {
    crate::say!("error: {e}");
    match e {
        SweepRunError::Refused(_) => ExitCode::from(EXIT_INVALID),
        SweepRunError::Usage(_) | SweepRunError::Io(_) | SweepRunError::Run(_) => {
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `chipshock sweep`.
pub fn sweep(args: &SweepArgs) -> ExitCode {
    let shard = args.shard.unwrap_or(Shard { index: 0, count: 1 });
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(mc::default_threads);
    let sweep = match load_sweep_shard(&args.sweep, shard.index, shard.count, threads) {
        Ok(s) => s,
        Err(SweepError::Io(msg)) => {
            crate::say!("error: {msg}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(SweepError::Invalid(sources, diags)) => {
            Renderer::new(&sources).emit_stderr(&diags, color_stderr());
            let n = diags.len();
            crate::say!(
                "error: the sweep has {n} problem{}",
                if n == 1 { "" } else { "s" }
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let opts = SweepOptions {
        shard_index: shard.index,
        shard_count: shard.count,
        resume: args.resume,
        trial_rows: args.trial_rows,
        run: RunOptions {
            threads,
            ..RunOptions::default()
        },
    };
    let mine = crate::sweep::shard_points(sweep.points.len(), shard.index, shard.count).len();
    let total = mine as u64 * sweep.trials * sweep.variants.len() as u64;
    let bar = super::run::progress_bar(total, args.quiet);
    let started = Instant::now();
    let result = run_sweep(&sweep, &args.out, &opts, |p| {
        if let Some(b) = &bar {
            match p {
                SweepProgress::Resumed(d) => {
                    // The rate and the time left count from here (moved
                    // without drawing: a frame drawn at the jump would show
                    // the resumed trials as done in no time).
                    b.set_draw_target(indicatif::ProgressDrawTarget::hidden());
                    b.set_position(d);
                    b.reset_eta();
                    b.reset_elapsed();
                    b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
                SweepProgress::Done(d) => b.set_position(d),
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match result {
        Ok(run) => {
            if let Some(why) = run.rebuilt_manifest {
                // Said even with --quiet: the directory was changed.
                crate::say!(
                    "note: {} was {}; rebuilt it from the sweep file, keeping {} finished \
                     point{} of this sweep (their files checked) in {}",
                    crate::sweep::output::manifest_path(&args.out).display(),
                    match why {
                        ManifestRebuilt::Missing => "missing",
                        ManifestRebuilt::Damaged => "damaged",
                    },
                    run.skipped,
                    if run.skipped == 1 { "" } else { "s" },
                    args.out.join("points").display()
                );
            }
            if !args.quiet {
                let secs = started.elapsed().as_secs_f64();
                crate::say!(
                    "{} of {} points ({} computed, {} already done) × {} variants × {} trials in {secs:.1} s ({:.1} points/min)",
                    mine,
                    sweep.points.len(),
                    run.computed,
                    run.skipped,
                    sweep.variants.len(),
                    sweep.trials,
                    run.computed as f64 / (secs / 60.0).max(1e-9)
                );
                if run.complete {
                    crate::say!(
                        "wrote points.csv, points.json, sensitivity.csv to {}",
                        args.out.display()
                    );
                } else {
                    crate::say!(
                        "shard {}/{} done in {}; merge all shards with `chipshock merge DIR... --out DIR`",
                        shard.index,
                        shard.count,
                        args.out.display()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => refuse(e),
    }
}

/// `chipshock merge`.
pub fn merge_cmd(args: &MergeArgs) -> ExitCode {
    let dirs: Vec<&Path> = args.shards.iter().map(PathBuf::as_path).collect();
    match merge(&dirs, &args.out) {
        Ok(m) => {
            let noun = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
            if !args.quiet {
                crate::say!(
                    "merged {} ({}) into {}",
                    noun(dirs.len(), "shard"),
                    noun(m.points, "point"),
                    args.out.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => refuse(e),
    }
}
