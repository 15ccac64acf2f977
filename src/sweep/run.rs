//! Running a sweep (or one shard of it) and merging shards.

use std::path::Path;

use crate::compare::{
    Comparison, PreparedVariant, TrialPlan, on_threads, prepare_variants, run_prepared,
};
use crate::mc::RunOptions;
use crate::stats::{Proportion, Summary};

use super::Sweep;
use super::output::{
    self, AxisValue, ManifestError, PointError, PointResult, Problem, Quantiles, Stat,
    SweepManifest, VariantFigures, check_point, check_trial_rows, read_manifest, read_point,
    trials_path, write_manifest, write_point,
};

/// How to run a sweep; none of it changes the results.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// This process runs shard `index` of `count`.
    pub shard_index: usize,
    pub shard_count: usize,
    /// Skip points whose results are already in the directory.
    pub resume: bool,
    /// Also write every trial's row (`points/pNNNNNN.trials.csv`, all
    /// variants), for analyses the summaries lack.
    pub trial_rows: bool,
    pub run: RunOptions,
}

/// What a sweep run did.
#[derive(Clone, Debug, Default)]
pub struct SweepRun {
    pub computed: usize,
    pub skipped: usize,
    /// Whether the directory now holds the whole sweep (tables written).
    pub complete: bool,
    /// Set when `--resume` found the directory's manifest missing or
    /// damaged and rebuilt it from the sweep file, its finished points
    /// having been checked as this sweep's (see [`run_sweep`]).
    pub rebuilt_manifest: Option<ManifestRebuilt>,
}

/// Why `--resume` rebuilt a directory's manifest (`sweep.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestRebuilt {
    /// It was not there (deleted by hand, say).
    Missing,
    /// It did not parse as a manifest (cut short by a full disk or a copy).
    Damaged,
}

/// Why a sweep or a merge cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepRunError {
    /// The sweep cannot run (a point no longer compiles), or a merge is
    /// refused (shards that do not make one sweep, an `--out` it must not
    /// write into).
    #[error("{0}")]
    Refused(String),
    /// The command line does not fit the sweep's `--out`: it holds other
    /// files, another sweep or another shard, or this sweep, to be resumed
    /// (`--resume`, with the `--trial-rows` setting it was started with).
    #[error("{0}")]
    Usage(String),
    /// A file or directory cannot be read or written, or another process
    /// is writing to the directory.
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Run(#[from] anyhow::Error),
}

impl From<ManifestError> for SweepRunError {
    /// A manifest that cannot be read is I/O; one that is not a manifest
    /// is refused.
    fn from(e: ManifestError) -> Self {
        match e {
            ManifestError::Unreadable(msg, _) => SweepRunError::Io(msg),
            ManifestError::Invalid(msg) => SweepRunError::Refused(msg),
        }
    }
}

fn stat_of(s: &Summary) -> Stat {
    Stat {
        mean: s.mean,
        std_error: s.std_error,
        ci95_low: s.ci95.map(|c| c[0]),
        ci95_high: s.ci95.map(|c| c[1]),
    }
}

fn stat_of_p(p: &Proportion) -> Stat {
    Stat {
        mean: p.estimate,
        std_error: Some(p.std_error),
        ci95_low: Some(p.ci95[0]),
        ci95_high: Some(p.ci95[1]),
    }
}

fn figures(run: &crate::compare::VariantRun, cmp: Option<&Comparison>) -> VariantFigures {
    let r = &run.report;
    VariantFigures {
        variant: run.id.clone(),
        lost_usd: stat_of(&r.lost_usd),
        lost_usd_quantiles: Quantiles {
            p50: r.lost_usd.p50.value,
            p90: r.lost_usd.p90.value,
            p95: r.lost_usd.p95.value,
            p99: r.lost_usd.p99.value,
            cvar95: r.lost_usd.cvar95,
        },
        lost_units: stat_of(&r.lost_units),
        p_any_loss: stat_of_p(&r.p_any_loss),
        p_severe_loss: stat_of_p(&r.p_severe_loss),
        peak_shortfall: stat_of(&r.peak_shortfall),
        weeks_below_threshold: stat_of(&r.weeks_below_threshold),
        avoided_usd: cmp.map(|c| Stat {
            mean: c.avoided_usd.mean,
            std_error: c.avoided_usd.std_error,
            ci95_low: c.avoided_usd.ci95.map(|c| c[0]),
            ci95_high: c.avoided_usd.ci95.map(|c| c[1]),
        }),
        cost_over_horizon_usd: run.cost.total_over_horizon_usd,
        avoided_usd_per_dollar: cmp.and_then(|c| c.avoided_usd_per_dollar),
    }
}

/// The manifest of `sweep` as shard `index/count`, with or without trial
/// rows.
pub fn manifest(sweep: &Sweep, index: usize, count: usize, trial_rows: bool) -> SweepManifest {
    SweepManifest {
        chipshock_version: env!("CARGO_PKG_VERSION").to_string(),
        points_format: output::POINTS_FORMAT,
        sweep_hash: sweep.hash.clone(),
        // The file name only: shards run from different directories or
        // machines must produce the same manifest.
        sweep_file: sweep
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        scenario_hash: sweep.scenario_hash.clone(),
        attribution: sweep
            .scenario
            .merged
            .meta
            .as_ref()
            .and_then(|m| m.attribution.as_ref())
            .map(|a| a.value.trim().to_string())
            .filter(|a| !a.is_empty()),
        points: sweep.points.len(),
        axes: sweep.axes.iter().map(|a| a.path.clone()).collect(),
        variants: sweep.variants.clone(),
        trials: sweep.trials,
        seed: sweep.seed,
        trial_rows,
        shard_index: index,
        shard_count: count,
    }
}

/// Computes one point: every variant on the same trials.
pub fn run_point(
    sweep: &Sweep,
    point: usize,
    opts: &RunOptions,
    progress: impl FnMut(u64),
) -> Result<PointResult, SweepRunError> {
    run_point_with_trials(sweep, point, opts, progress).map(|(r, _)| r)
}

/// [`run_point`], also returning each variant's runs (for trial rows).
fn run_point_with_trials(
    sweep: &Sweep,
    point: usize,
    opts: &RunOptions,
    progress: impl FnMut(u64),
) -> Result<(PointResult, Vec<crate::compare::VariantRun>), SweepRunError> {
    let prepared = on_threads(opts.threads, || prepare_point(sweep, point))
        .map_err(|e| SweepRunError::Refused(e.to_string()))??;
    run_prepared_point(sweep, point, &prepared, opts, progress)
}

/// The most points whose compiled variants a sweep holds at once.
const MAX_PREPARED: usize = 8;

/// A point's network and variants, compiled and ready to run.
struct PreparedPoint {
    net: crate::network::Network,
    variants: Vec<PreparedVariant>,
}

/// Compiles point `point` and its variants (on the pool's threads).
fn prepare_point(sweep: &Sweep, point: usize) -> Result<PreparedPoint, SweepRunError> {
    let net = sweep.network(point).map_err(|d| {
        SweepRunError::Refused(format!(
            "point {point} no longer compiles: {}",
            d.items
                .first()
                .map(|x| x.message.clone())
                .unwrap_or_default()
        ))
    })?;
    let mut indices = Vec::new();
    for v in &sweep.variants {
        let i = net
            .variants
            .iter()
            .position(|x| &x.id == v)
            .ok_or_else(|| {
                SweepRunError::Refused(format!("point {point}: unknown variant `{v}`"))
            })?;
        indices.push(i);
    }
    let variants =
        prepare_variants(&net, &indices).map_err(|e| SweepRunError::Run(anyhow::Error::msg(e)))?;
    Ok(PreparedPoint { net, variants })
}

/// Runs a prepared point: every variant on the same trials.
fn run_prepared_point(
    sweep: &Sweep,
    point: usize,
    prepared: &PreparedPoint,
    opts: &RunOptions,
    progress: impl FnMut(u64),
) -> Result<(PointResult, Vec<crate::compare::VariantRun>), SweepRunError> {
    let plan = TrialPlan {
        seed: sweep.seed,
        trials: 0..sweep.trials,
        options: opts.clone(),
        record_weekly: false,
    };
    let runs = run_prepared(&prepared.net, &prepared.variants, &plan, None, progress)?;
    // Paired comparisons need the baseline first.
    let base_pos = sweep.variants.iter().position(|v| v == "baseline");
    let comparisons: Vec<Option<Comparison>> = match base_pos {
        Some(b) => {
            let mut order: Vec<&crate::compare::VariantRun> = vec![&runs[b]];
            order.extend(
                runs.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != b)
                    .map(|(_, r)| r),
            );
            let rows = crate::compare::compare_runs(&order, None);
            runs.iter()
                .map(|r| rows.iter().find(|c| c.variant == r.id).cloned())
                .collect()
        }
        None => vec![None; runs.len()],
    };
    let result = PointResult {
        sweep_hash: sweep.hash.clone(),
        point,
        values: sweep
            .axes
            .iter()
            .zip(&sweep.points[point])
            .map(|(a, v)| AxisValue {
                path: a.path.clone(),
                value: *v,
            })
            .collect(),
        variants: runs
            .iter()
            .zip(&comparisons)
            .map(|(r, c)| figures(r, c.as_ref()))
            .collect(),
        checksum: String::new(),
        trial_rows_sha256: String::new(),
    };
    Ok((result, runs))
}

/// Writes every variant's trial rows of a point, atomically. Returns their
/// digest, for the point file.
fn write_trial_rows(
    dir: &Path,
    point: usize,
    runs: &[crate::compare::VariantRun],
) -> std::io::Result<String> {
    use crate::report::Exporter as _;
    let mut body = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let mut part = Vec::new();
        crate::report::trials_csv::TrialsCsv.write(&mut part, &r.report, &r.accumulated)?;
        let skip = if i == 0 {
            0
        } else {
            part.iter()
                .position(|&b| b == b'\n')
                .map_or(part.len(), |p| p + 1)
        };
        body.extend_from_slice(&part[skip..]);
    }
    std::fs::create_dir_all(dir.join("points"))?;
    crate::atomic::write(&trials_path(dir, point), &body)?;
    Ok(output::sha256_hex(&body))
}

/// How far a sweep has come, in trials (a point counts its trials times its
/// variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepProgress {
    /// The trials of the points already in the directory (`--resume`),
    /// told once, before any point is computed: they took no time in this
    /// run, so a rate or an estimate of the time left starts after them.
    Resumed(u64),
    /// Trials done so far, those resumed included.
    Done(u64),
}

/// Runs shard `opts.shard_index` of `sweep` into `dir`: points `i, i + n,
/// i + 2n, …`, each written as soon as it is done. With `resume`, points
/// already in `dir` are skipped (with `trial_rows`, those whose trial rows
/// are there too). A directory keeps the `trial_rows` setting it was
/// started with: resuming it with the other is refused, since the points
/// already there would not match the rest. A directory whose manifest is
/// missing or damaged is resumed, its manifest rebuilt from `sweep`, only
/// when its points are this sweep's (see [`resumable_points`]).
pub fn run_sweep(
    sweep: &Sweep,
    dir: &Path,
    opts: &SweepOptions,
    mut progress: impl FnMut(SweepProgress),
) -> Result<SweepRun, SweepRunError> {
    let (i, n) = (opts.shard_index, opts.shard_count);
    if n == 0 {
        return Err(SweepRunError::Refused(format!(
            "--shard {i}/{n}: the shard count must be at least 1"
        )));
    }
    if i >= n {
        return Err(SweepRunError::Refused(format!(
            "--shard {i}/{n}: the index must be below the count (0-based)"
        )));
    }
    let m = manifest(sweep, i, n, opts.trial_rows);
    let mine = super::shard_points(sweep.points.len(), i, n);
    let mut rebuilt = None;
    crate::atomic::check_out_dir(dir).map_err(SweepRunError::Io)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| SweepRunError::Io(format!("creating {}: {e}", dir.display())))?;
    // Held to the end: from here on no other chipshock process writes
    // into `dir`.
    let _lock = crate::atomic::lock_dir(dir).map_err(SweepRunError::Io)?;
    let old = if output::manifest_path(dir).exists() {
        match read_manifest(dir) {
            Ok(old) => Some(old),
            Err(ManifestError::Invalid(damaged)) => {
                // Its points decide: kept under a rebuilt manifest, or
                // refused.
                if !resumable_points(dir, sweep, &mine, opts, Some(&damaged))? {
                    let points = dir.join("points");
                    let other_files =
                        output::entries_but_temp(&points).is_ok_and(|names| !names.is_empty());
                    return Err(SweepRunError::Usage(format!(
                        "{damaged}; {} holds no intact point of this sweep to keep, so there is \
                         nothing to resume: remove {}{} and run again, or choose another --out",
                        dir.display(),
                        output::manifest_path(dir).display(),
                        if other_files {
                            format!(" and {}", points.display())
                        } else {
                            String::new()
                        }
                    )));
                }
                rebuilt = Some(ManifestRebuilt::Damaged);
                None
            }
            Err(e @ ManifestError::Unreadable(..)) => return Err(e.into()),
        }
    } else {
        None
    };
    if let Some(old) = old {
        if old.sweep_hash != m.sweep_hash {
            return Err(SweepRunError::Usage(another_sweep(dir, &old, &m)));
        }
        if (old.shard_index, old.shard_count) != (i, n) {
            return Err(SweepRunError::Usage(format!(
                "{} holds shard {}/{}, not {i}/{n}",
                dir.display(),
                old.shard_index,
                old.shard_count
            )));
        }
        if !opts.resume {
            return Err(SweepRunError::Usage(format!(
                "{} already holds results of this sweep; add --resume to continue it",
                dir.display()
            )));
        }
        if old.trial_rows != opts.trial_rows {
            let (was, now) = if old.trial_rows {
                ("with", "without")
            } else {
                ("without", "with")
            };
            return Err(SweepRunError::Usage(format!(
                "{} was started {was} --trial-rows, and is resumed {now}: its points would not all \
                 have trial rows; resume it {was} --trial-rows, or run the sweep into a new \
                 directory {now} it",
                dir.display()
            )));
        }
    } else if rebuilt.is_none() {
        // Not a sweep's directory: its files are someone else's, and would
        // be overwritten (a points.csv) or mixed with the sweep's. Unless
        // it holds finished points of this sweep, whose manifest was lost.
        let others = output::entries_but_temp(dir)
            .map_err(|e| SweepRunError::Io(format!("reading {}: {e}", dir.display())))?;
        if !others.is_empty() && resumable_points(dir, sweep, &mine, opts, None)? {
            rebuilt = Some(ManifestRebuilt::Missing);
        } else if !others.is_empty() {
            let shown: Vec<&str> = others.iter().take(3).map(String::as_str).collect();
            return Err(SweepRunError::Usage(format!(
                "--out {} exists, is not empty, and holds no sweep (it holds {}{}): sweep writes \
                 only into a new or empty directory, or resumes a sweep in it; choose another \
                 --out",
                dir.display(),
                shown.join(", "),
                if others.len() > 3 { ", …" } else { "" }
            )));
        }
    }
    output::check_points_dir(dir).map_err(SweepRunError::Io)?;
    if let Some(stray) = stray_point_file(dir, &mine) {
        // Only this shard's points are ever written here: anything else
        // was put here by hand, and would go into a merge unnoticed.
        return Err(SweepRunError::Usage(format!(
            "{} is not a file of this sweep's {} (it has {} points{}); move it away, or run \
             into a new --out",
            dir.join("points").join(&stray).display(),
            if n > 1 {
                format!("shard {i}/{n}")
            } else {
                "run".to_string()
            },
            sweep.points.len(),
            if n > 1 {
                ", this shard every n-th from i"
            } else {
                ""
            }
        )));
    }
    output::remove_temp_files(dir).map_err(SweepRunError::Io)?;
    write_manifest(dir, &m)
        .map_err(|e| SweepRunError::Io(format!("writing {}: {e}", dir.display())))?;
    let per_point = sweep.trials * sweep.variants.len() as u64;
    let mut run = SweepRun {
        rebuilt_manifest: rebuilt,
        ..SweepRun::default()
    };
    let mut done = 0u64;
    let mut todo = Vec::new();
    for &p in &mine {
        // A point is done when its file is whole, and with trial rows when
        // its trial file is there and whole too.
        let done_before = read_point(dir, p, &sweep.hash).is_some_and(|r| {
            !opts.trial_rows || check_trial_rows(dir, p, per_point, &r.trial_rows_sha256).is_ok()
        });
        if opts.resume && done_before {
            run.skipped += 1;
            done += per_point;
        } else {
            todo.push(p);
        }
    }
    if done > 0 {
        progress(SweepProgress::Resumed(done));
    }
    // Compiling a point and its variants is single-threaded work (tens of
    // milliseconds on the world), so points are compiled a few at a time,
    // one per thread, then run and written in order. A batch's compiled
    // variants are held together: at most `MAX_PREPARED` points.
    let batch = opts.run.threads.clamp(1, MAX_PREPARED);
    for chunk in todo.chunks(batch) {
        let prepared: Vec<Result<PreparedPoint, SweepRunError>> =
            on_threads(opts.run.threads, || {
                use rayon::prelude::*;
                chunk.par_iter().map(|&p| prepare_point(sweep, p)).collect()
            })?;
        for (&p, prepared) in chunk.iter().zip(prepared) {
            let base = done;
            let (r, runs) = run_prepared_point(sweep, p, &prepared?, &opts.run, |d| {
                progress(SweepProgress::Done(base + d))
            })?;
            let mut r = r;
            if opts.trial_rows {
                r.trial_rows_sha256 = write_trial_rows(dir, p, &runs).map_err(|e| {
                    SweepRunError::Io(format!(
                        "writing the trials of point {p} ({}): {e}",
                        trials_path(dir, p).display()
                    ))
                })?;
            }
            drop(runs);
            write_point(dir, &r).map_err(|e| {
                SweepRunError::Io(format!(
                    "writing point {p} ({}): {e}",
                    output::point_path(dir, p).display()
                ))
            })?;
            run.computed += 1;
            done += per_point;
            progress(SweepProgress::Done(done));
        }
    }
    if n == 1 {
        output::assemble(dir, &m).map_err(SweepRunError::Io)?;
        run.complete = true;
    }
    Ok(run)
}

/// Whether `dir`, whose manifest is missing (`damaged` is `None`) or
/// damaged (`damaged` says how), holds finished points of this sweep that
/// `--resume` may keep, rebuilding the manifest from the sweep file.
/// `Ok(false)` when `points/` holds no intact point of this sweep nor any
/// of another (the directory is then no sweep's, or holds nothing to
/// keep); `Ok(true)` when it holds at least one, every file there is an
/// intact point of this run (of its shard, with `--shard`) or its trial
/// rows, and `--resume` was given with the `--trial-rows` setting its
/// points were computed with. Otherwise the directory is refused, saying
/// why and what to do.
///
/// A point file records the sweep's hash (sweep file, scenario and
/// chipshock version) and a checksum of its contents, as `--resume` checks
/// them with a manifest; the manifest adds only what the command line
/// gives (`--shard`, `--trial-rows`) and what the sweep file sets. So
/// points that pass are exactly this sweep's, and a point's figures do not
/// depend on the shard that computed it. Points of another sweep, or of
/// this one before its sweep file, scenario or chipshock changed, are never
/// taken: their hash differs.
fn resumable_points(
    dir: &Path,
    sweep: &Sweep,
    mine: &[usize],
    opts: &SweepOptions,
    damaged: Option<&str>,
) -> Result<bool, SweepRunError> {
    let points_dir = dir.join("points");
    if !points_dir.is_dir() {
        return Ok(false);
    }
    let names = output::entries_but_temp(&points_dir)
        .map_err(|e| SweepRunError::Io(format!("reading {}: {e}", points_dir.display())))?;
    let run = if opts.shard_count > 1 {
        format!("shard {}/{}", opts.shard_index, opts.shard_count)
    } else {
        "run".to_string()
    };
    // Every file, sorted by name: the intact points of this sweep, the
    // first point of another sweep, the first file that is neither (with
    // why, and what to do).
    let (mut kept, mut trial_rows) = (0usize, false);
    let mut foreign = None;
    let mut bad: Option<(String, String)> = None;
    for name in &names {
        let path = points_dir.join(name);
        let point = name
            .strip_prefix('p')
            .and_then(|r| {
                r.strip_suffix(".json")
                    .map(|d| (d, false))
                    .or_else(|| r.strip_suffix(".trials.csv").map(|d| (d, true)))
            })
            .filter(|(d, _)| d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|(d, trials)| d.parse::<usize>().ok().map(|p| (p, trials)))
            .filter(|(p, _)| mine.binary_search(p).is_ok());
        match point {
            None => {
                bad.get_or_insert_with(|| {
                    (
                        format!(
                            "{} is not a file of this sweep's {run} (it has {} points)",
                            path.display(),
                            sweep.points.len()
                        ),
                        "move it away and resume again".to_string(),
                    )
                });
            }
            Some((_, true)) => trial_rows = true,
            Some((p, false)) => match check_point(dir, p, &sweep.hash) {
                Ok(r) => {
                    kept += 1;
                    trial_rows |= !r.trial_rows_sha256.is_empty();
                }
                Err(e) if e.problem == Problem::OtherSweep => {
                    foreign.get_or_insert(path);
                }
                Err(why) => {
                    bad.get_or_insert_with(|| {
                        (
                            format!("point {p} is {why}"),
                            format!(
                                "move {} away (its point is computed again) and resume again",
                                path.display()
                            ),
                        )
                    });
                }
            },
        }
    }
    let head = match damaged {
        Some(why) => why.to_string(),
        None => format!(
            "{} holds no sweep manifest ({} is missing)",
            dir.display(),
            output::manifest_path(dir).display()
        ),
    };
    let refuse = |why: String, fix: &str| {
        SweepRunError::Usage(format!(
            "{head}, and the manifest cannot be rebuilt from the sweep file to resume it: {why}; \
             {fix}, or choose another --out"
        ))
    };
    if let Some(path) = foreign {
        return Err(refuse(
            format!(
                "{} is a point of another sweep, or of this sweep file, its scenario or \
                 chipshock version as they were when the directory was started (its sweep hash \
                 differs)",
                path.display()
            ),
            "resume it with the sweep file, scenario and chipshock version it was started with",
        ));
    }
    if kept == 0 {
        // Nothing to keep, and nothing that says the files are this
        // sweep's (they may be someone else's).
        return Ok(false);
    }
    if let Some((why, fix)) = bad {
        return Err(refuse(why, &fix));
    }
    let points = points_noun(kept);
    if trial_rows != opts.trial_rows {
        let (was, now) = if trial_rows {
            ("with", "without")
        } else {
            ("without", "with")
        };
        return Err(SweepRunError::Usage(format!(
            "{head}; its {points} of this sweep, finished, were computed {was} --trial-rows, and \
             this run is {now}: resume it {was} --trial-rows (--resume rebuilds the manifest and \
             keeps them), or run the sweep into a new directory {now} it"
        )));
    }
    if !opts.resume {
        return Err(SweepRunError::Usage(format!(
            "{head}; it holds {points} of this sweep, finished: add --resume to keep them (it \
             rebuilds the manifest from the sweep file)"
        )));
    }
    Ok(true)
}

/// Why directory `dir`, whose manifest is `old`, cannot take the results
/// of the sweep of manifest `new` (their hashes differ), saying what
/// changed: the hash covers the chipshock version, the sweep file's text
/// and the scenario, so whichever of the three differs. When the sweep
/// file has the same name it is most likely the same sweep, changed since
/// the directory was started, rather than another sweep; under another
/// name it may be an edited copy, so what differs is told just the same,
/// with the name of the file the directory was started from.
fn another_sweep(dir: &Path, old: &SweepManifest, new: &SweepManifest) -> String {
    if old.points_format != new.points_format {
        return format!(
            "{} holds points of format {} and this chipshock writes format {} ({}), so they \
             cannot be resumed together; finish it with a chipshock that writes format {}, or \
             run into a new --out",
            dir.display(),
            old.points_format,
            new.points_format,
            output::POINTS_FORMAT_CHANGE,
            old.points_format
        );
    }
    let renamed = old.sweep_file != new.sweep_file;
    let (what, fix) = if old.chipshock_version != new.chipshock_version {
        // Another version may hash the scenario otherwise: only the
        // version is told.
        (
            format!(
                "it was started by chipshock {}, and this is {} (the version is part of the \
                 sweep's hash)",
                old.chipshock_version, new.chipshock_version
            ),
            format!("finish it with chipshock {}", old.chipshock_version),
        )
    } else {
        let scenario = old.scenario_hash != new.scenario_hash;
        let fields = recorded_changes(old, new);
        // The sweep file's text is not recorded, but the hash covers it:
        // it changed if the manifest's own fields did, or if nothing else
        // explains the hash.
        let text = !fields.is_empty() || !scenario;
        let mut what = Vec::new();
        if scenario {
            what.push(if renamed {
                format!(
                    "the scenario of {} differs from that of {} when the directory was started \
                     (its hash differs)",
                    new.sweep_file, old.sweep_file
                )
            } else {
                format!(
                    "the scenario of {} has changed since it was started (its hash differs)",
                    new.sweep_file
                )
            });
        }
        if text {
            let why = if fields.is_empty() {
                "its hash differs; any edit changes it, even a comment".to_string()
            } else {
                fields.join("; ")
            };
            what.push(if renamed {
                format!(
                    "{} differs from {} as it was when the directory was started ({why})",
                    new.sweep_file, old.sweep_file
                )
            } else {
                format!(
                    "the sweep file {} has changed since it was started ({why})",
                    new.sweep_file
                )
            });
        }
        let fix = match (scenario, text, renamed) {
            (true, false, _) => "restore the scenario".to_string(),
            (false, _, false) => "restore the file".to_string(),
            (true, true, false) => "restore the scenario and the file".to_string(),
            (false, _, true) => format!("resume it with {} as it was", old.sweep_file),
            (true, true, true) => format!(
                "resume it with {} and its scenario as they were",
                old.sweep_file
            ),
        };
        (what.join(", and "), fix)
    };
    let dir = dir.display();
    if renamed {
        format!(
            "{dir} holds results of another sweep ({}): {what}, so its points cannot be \
             resumed; {fix}, or choose another --out",
            old.sweep_file
        )
    } else {
        format!(
            "{dir} was started from another version of {}: {what}, so its points cannot be \
             resumed; {fix}, or run into a new --out",
            new.sweep_file
        )
    }
}

/// What the sweep file sets that the manifests record, and that differs
/// between `old` and `new`, in words: "`seed` was 1, is now 3".
fn recorded_changes(old: &SweepManifest, new: &SweepManifest) -> Vec<String> {
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut changes = Vec::new();
    if old.axes != new.axes {
        changes.push(format!(
            "the axes were {}, are now {}",
            list(&old.axes),
            list(&new.axes)
        ));
    }
    if old.points != new.points {
        changes.push(format!(
            "it had {}, has now {}",
            points_noun(old.points),
            new.points
        ));
    }
    if old.variants != new.variants {
        changes.push(format!(
            "the variants were {}, are now {}",
            list(&old.variants),
            list(&new.variants)
        ));
    }
    if old.trials != new.trials {
        changes.push(format!(
            "`trials` was {}, is now {}",
            old.trials, new.trials
        ));
    }
    if old.seed != new.seed {
        changes.push(format!("`seed` was {}, is now {}", old.seed, new.seed));
    }
    changes
}

/// Checks the `--out` of a merge before anything is written:
/// - it must be a directory or not exist (see [`crate::atomic::check_out_dir`]);
/// - it must not be one of `shards`, nor hold one of them (it would mix
///   the merged files with its shards, and the next `merge DIR/*` would
///   take them for shards);
/// - it must not exist, or be empty, or hold a whole sweep (a merge or an
///   unsharded run) of the same sweep as `m`, the merged manifest. In the
///   last case its files are overwritten by the merged ones, so a point
///   file in its `points/` that the merge does not write (a point of
///   another version, trial rows the merge does not have) would survive
///   beside them: that is refused, naming the files, rather than deleting
///   anything. Other files in it are left alone, but for temporary files
///   of atomic writes a killed sweep or merge left there, which the merge
///   removes.
fn check_merge_out(out: &Path, shards: &[&Path], m: &SweepManifest) -> Result<(), SweepRunError> {
    crate::atomic::check_out_dir(out).map_err(SweepRunError::Io)?;
    let Ok(o) = std::fs::canonicalize(out) else {
        // Not there yet (or unreadable: the write will say so).
        return Ok(());
    };
    for d in shards {
        let Ok(c) = std::fs::canonicalize(d) else {
            continue;
        };
        if c == o {
            // Writing into a shard would overwrite its manifest (and so
            // destroy the shard).
            return Err(SweepRunError::Refused(format!(
                "--out {} is one of the shards being merged ({}); choose another directory",
                out.display(),
                d.display()
            )));
        }
        if c.starts_with(&o) {
            return Err(SweepRunError::Refused(format!(
                "--out {} holds the shard directory {}: the merged sweep would be written among \
                 its shards (and a later `merge {}/*` would take its files for shards); choose a \
                 directory outside it",
                out.display(),
                d.display(),
                out.display()
            )));
        }
    }
    // Temporary files of atomic writes are left by a killed sweep or merge
    // (and removed before the merge writes): they count for nothing.
    let entries = output::entries_but_temp(out)
        .map_err(|e| SweepRunError::Io(format!("reading {}: {e}", out.display())))?;
    if entries.is_empty() {
        return Ok(());
    }
    if !output::manifest_path(out).exists() {
        return Err(SweepRunError::Refused(format!(
            "--out {} exists, is not empty, and holds no sweep: merge writes only into a new or \
             empty directory, or over a merge of the same sweep; choose another --out",
            out.display()
        )));
    }
    let old = read_manifest(out).map_err(|e| match e {
        ManifestError::Invalid(msg) => SweepRunError::Refused(format!(
            "--out {} is not empty and {msg}; choose another --out",
            out.display()
        )),
        e => e.into(),
    })?;
    if old.points_format != m.points_format {
        return Err(SweepRunError::Refused(format!(
            "--out {} holds points of format {}, and the shards are of format {} ({}); choose \
             another --out",
            out.display(),
            old.points_format,
            m.points_format,
            output::POINTS_FORMAT_CHANGE
        )));
    }
    if old.sweep_hash != m.sweep_hash {
        return Err(SweepRunError::Refused(if old.sweep_file == m.sweep_file {
            format!(
                "--out {} holds results of another version of {} (the sweep's hash differs); \
                 choose another --out",
                out.display(),
                m.sweep_file
            )
        } else {
            format!(
                "{} holds results of another sweep ({}); choose another --out",
                out.display(),
                old.sweep_file
            )
        }));
    }
    if old.shard_count != 1 {
        return Err(SweepRunError::Refused(format!(
            "--out {} holds shard {}/{} of this sweep, not merged in this merge: merging over it \
             would destroy it; choose another --out",
            out.display(),
            old.shard_index,
            old.shard_count
        )));
    }
    let points_dir = out.join("points");
    let mut stale: Vec<String> = match std::fs::read_dir(&points_dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                !output::is_point_file(n, m.points, m.trial_rows) && !crate::atomic::is_temp_name(n)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(SweepRunError::Io(format!(
                "reading {}: {e}",
                points_dir.display()
            )));
        }
    };
    if !stale.is_empty() {
        stale.sort();
        let count = stale.len();
        let shown: Vec<&str> = stale.iter().take(3).map(String::as_str).collect();
        return Err(SweepRunError::Refused(format!(
            "--out {} holds an earlier result of this sweep, and {} in {} that this merge would \
             not write ({}{}): they would be left among the merged points; remove them, or \
             choose another --out",
            out.display(),
            if count == 1 {
                "1 file".to_string()
            } else {
                format!("{count} files")
            },
            points_dir.display(),
            shown.join(", "),
            if count > 3 { ", …" } else { "" }
        )));
    }
    Ok(())
}

/// Checks the fields of a manifest read from disk that `merge` indexes
/// with or allocates by.
fn check_manifest(m: &SweepManifest) -> Result<(), String> {
    if m.sweep_hash.len() != 64 || !m.sweep_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`sweep_hash` {:?} is not 64 hexadecimal digits",
            m.sweep_hash
        ));
    }
    if m.points > super::MAX_POINTS {
        return Err(format!(
            "`points` is {}, more than {}",
            m.points,
            super::MAX_POINTS
        ));
    }
    if m.shard_count == 0 || m.shard_count > super::MAX_POINTS || m.shard_index >= m.shard_count {
        return Err(format!(
            "shard {}/{} is impossible (the index must be below the count, the count between 1 and {})",
            m.shard_index,
            m.shard_count,
            super::MAX_POINTS
        ));
    }
    Ok(())
}

/// The manifest of shard directory `d`, for `merge`. One that cannot be
/// read is an I/O error, told with what `d` is: missing, a file, or the
/// directory above the shards (`merge shards` for `merge shards/*`). What
/// `d` is comes from its own metadata, not from the error reading the
/// manifest below it, whose kind for a file differs between systems (Linux
/// says "Not a directory").
fn shard_manifest(d: &Path) -> Result<SweepManifest, SweepRunError> {
    let m = read_manifest(d).map_err(|e| match e {
        ManifestError::Unreadable(msg, kind) => {
            let why = match std::fs::metadata(d) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Some(format!("{} does not exist", d.display()))
                }
                Ok(meta) if !meta.is_dir() => {
                    Some(format!("{} is a file, not a shard directory", d.display()))
                }
                Ok(_) if kind == std::io::ErrorKind::NotFound => {
                    let below = shard_dirs_in(d);
                    Some(if below.is_empty() {
                        format!("{} is not a sweep directory", d.display())
                    } else {
                        let shown: Vec<&str> = below.iter().take(3).map(String::as_str).collect();
                        format!(
                            "it holds shard directories ({}{}): merge {}/*",
                            shown.join(", "),
                            if below.len() > 3 { ", …" } else { "" },
                            d.display()
                        )
                    })
                }
                // No permission, say: the error says it.
                _ => None,
            };
            SweepRunError::Io(match why {
                Some(why) => format!("{msg}; {why}"),
                None => msg,
            })
        }
        e => e.into(),
    })?;
    // A manifest is data from disk: check it before indexing with it.
    check_manifest(&m).map_err(|e| {
        SweepRunError::Refused(format!(
            "{} is not a usable sweep manifest: {e}",
            output::manifest_path(d).display()
        ))
    })?;
    Ok(m)
}

/// The subdirectories of `d` that hold a sweep manifest, by name.
fn shard_dirs_in(d: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| output::manifest_path(&e.path()).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The fields in which two manifests differ, by their names in
/// `sweep.json`.
fn differing_fields(a: &SweepManifest, b: &SweepManifest) -> Vec<String> {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, _)| format!("`{k}`"))
            .collect(),
        _ => Vec::new(),
    }
}

/// "1 point" or "2 points".
fn points_noun(n: usize) -> String {
    format!("{n} point{}", if n == 1 { "" } else { "s" })
}

/// The first file in `dir/points` that is no point (or point trials file)
/// of `mine`, temporary files aside.
fn stray_point_file(dir: &Path, mine: &[usize]) -> Option<String> {
    let names = output::entries_but_temp(&dir.join("points")).ok()?;
    names.into_iter().find(|name| {
        let index = name
            .strip_prefix('p')
            .and_then(|r| {
                r.strip_suffix(".json")
                    .or_else(|| r.strip_suffix(".trials.csv"))
            })
            .filter(|d| d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<usize>().ok());
        index.is_none_or(|p| mine.binary_search(&p).is_err())
    })
}

/// Merges the shard directories `shards` into `out`: refuses shards of
/// different sweeps or of different `--trial-rows` settings, duplicate and
/// missing shards, and incomplete shards (all of them named at once), and
/// an `out` that could mix the merge with other files (see
/// [`check_merge_out`]). The result is byte-identical to the sweep run
/// whole.
pub fn merge(shards: &[&Path], out: &Path) -> Result<SweepManifest, SweepRunError> {
    if shards.is_empty() {
        return Err(SweepRunError::Refused(
            "nothing to merge: name the shard directories".into(),
        ));
    }
    let mut manifests = Vec::new();
    for d in shards {
        manifests.push(shard_manifest(d)?);
    }
    // A shard written before manifests recorded the attribution has none:
    // it takes the one another shard records (shards of one sweep hash the
    // same scenario text, so they have one attribution), and so does the
    // merge.
    let attribution = manifests.iter().find_map(|m| m.attribution.clone());
    for m in &mut manifests {
        if m.attribution.is_none() {
            m.attribution.clone_from(&attribution);
        }
    }
    let first = &manifests[0];
    for (d, m) in shards.iter().zip(&manifests) {
        if m.points_format != first.points_format {
            return Err(SweepRunError::Refused(format!(
                "{} holds points of format {} and {} of format {} ({}): shards of two formats \
                 do not merge; run every shard with the same chipshock",
                shards[0].display(),
                first.points_format,
                d.display(),
                m.points_format,
                output::POINTS_FORMAT_CHANGE
            )));
        }
        if m.sweep_hash != first.sweep_hash {
            return Err(SweepRunError::Refused(format!(
                "{} and {} are shards of different sweeps ({} vs {}, hashes {} vs {}); merge only shards of one sweep",
                shards[0].display(),
                d.display(),
                first.sweep_file,
                m.sweep_file,
                &first.sweep_hash[..12],
                &m.sweep_hash[..12]
            )));
        }
        if m.trial_rows != first.trial_rows {
            let (with, without) = if first.trial_rows {
                (shards[0], *d)
            } else {
                (*d, shards[0])
            };
            return Err(SweepRunError::Refused(format!(
                "{} was run with --trial-rows but {} without: the merged sweep would have trial \
                 rows for some points only; rerun the shards without them with --trial-rows \
                 (into new directories), or the others without",
                with.display(),
                without.display()
            )));
        }
        // The sweep's identity is its hash, which covers the sweep file's
        // text but not its name: shards run from copies of one file under
        // other names are shards of one sweep (the merge names the first
        // shard's file).
        let same = SweepManifest {
            shard_index: first.shard_index,
            shard_count: first.shard_count,
            sweep_file: first.sweep_file.clone(),
            ..m.clone()
        };
        if same != *first {
            return Err(SweepRunError::Refused(format!(
                "{} and {} claim the same sweep (hash {}) but their manifests differ in {}; \
                 one of them was edited or corrupted",
                shards[0].display(),
                d.display(),
                &first.sweep_hash[..12],
                differing_fields(first, &same).join(", ")
            )));
        }
        // A whole sweep (an unsharded run, or a merge written among the
        // shards) has the same manifest as its shards but for the count.
        let whole = if first.shard_count == 1 {
            Some(shards[0])
        } else if m.shard_count == 1 {
            Some(*d)
        } else {
            None
        };
        if m.shard_count != first.shard_count
            && let Some(whole) = whole
        {
            return Err(SweepRunError::Refused(format!(
                "{} holds a whole sweep (a merged result or an unsharded run), not a shard: leave \
                 it out of the directories to merge{}",
                whole.display(),
                // Beside the shards, as `merge sh/* --out sh/merged` leaves it.
                match whole.parent() {
                    Some(p)
                        if !p.as_os_str().is_empty()
                            && shards.iter().any(|s| *s != whole && s.parent() == Some(p)) =>
                    {
                        format!(
                            " (`merge {}/*` picks up a merge written into {}: write merges \
                             outside the shards' directory)",
                            p.display(),
                            p.display()
                        )
                    }
                    _ => String::new(),
                }
            )));
        }
        if m.shard_count != first.shard_count {
            return Err(SweepRunError::Refused(format!(
                "{} was split into {} shards but {} into {}",
                shards[0].display(),
                first.shard_count,
                d.display(),
                m.shard_count
            )));
        }
    }
    let mut m = first.clone();
    m.shard_index = 0;
    m.shard_count = 1;
    // Before anything else can go wrong: a bad --out is found before the
    // shards are finished, not after.
    check_merge_out(out, shards, &m)?;
    let n = first.shard_count;
    let mut owner: Vec<Option<&Path>> = vec![None; n];
    for (d, m) in shards.iter().zip(&manifests) {
        if let Some(prev) = owner[m.shard_index] {
            return Err(SweepRunError::Refused(format!(
                "shard {}/{n} given twice: {} and {}",
                m.shard_index,
                prev.display(),
                d.display()
            )));
        }
        owner[m.shard_index] = Some(d);
    }
    let missing: Vec<String> = (0..n)
        .filter(|&i| owner[i].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(SweepRunError::Refused(format!(
            "missing shard(s) {}: run them and merge again",
            missing.join(", ")
        )));
    }
    let mut results = Vec::with_capacity(first.points);
    // The rows of a point's trial file (see `write_trial_rows`); a
    // manifest whose product overflows cannot have whole trial files.
    let rows = (first.variants.len() as u64).saturating_mul(first.trials);
    // Every incomplete shard, each with what is wrong with its unusable
    // points: missing (the shard was stopped), damaged (see
    // `check_point`), or, with trial rows, a point whose trial rows are
    // gone or damaged (see `check_trial_rows`): `--resume` recomputes
    // them. A file that cannot be read (no permission) is another matter:
    // its point need not be computed again, the file made readable.
    let mut incomplete = Vec::new();
    let (mut resumable, mut unreadable) = (false, false);
    for (i, d) in owner.iter().enumerate() {
        let d = d.unwrap_or(Path::new("."));
        let mut absent = Vec::new();
        let mut unusable = |what: String, e: &PointError| {
            resumable |= e.resumable();
            unreadable |= !e.resumable();
            absent.push(match e.fix() {
                Some(fix) => format!("{what}: {fix}"),
                None => what,
            });
        };
        for p in super::shard_points(first.points, i, n) {
            match check_point(d, p, &first.sweep_hash) {
                Ok(r) => match first
                    .trial_rows
                    .then(|| check_trial_rows(d, p, rows, &r.trial_rows_sha256))
                {
                    Some(Err(e)) => unusable(format!("point {p}'s trial rows are {e}"), &e),
                    _ => results.push(r),
                },
                Err(e) => unusable(format!("point {p} is {e}"), &e),
            }
        }
        if !absent.is_empty() {
            let count = absent.len();
            absent.truncate(5);
            incomplete.push(format!(
                "shard {i}/{n} in {} is incomplete ({} not usable): {}{}",
                d.display(),
                points_noun(count),
                absent.join("; "),
                if count > 5 { "; …" } else { "" }
            ));
        }
    }
    // A shard keeps the --trial-rows setting it was started with: resuming
    // it without the flag is refused, so the hint names it.
    let resume = if first.trial_rows {
        "--resume --trial-rows"
    } else {
        "--resume"
    };
    match (incomplete.as_slice(), resumable, unreadable) {
        ([], ..) => {}
        ([one], true, false) => {
            return Err(SweepRunError::Refused(format!(
                "{one}; finish it with {resume}"
            )));
        }
        ([one], true, true) => {
            return Err(SweepRunError::Refused(format!(
                "{one}; then finish it with {resume}"
            )));
        }
        ([one], false, _) => return Err(SweepRunError::Refused(one.clone())),
        (many, resumable, unreadable) => {
            let hint = match (resumable, unreadable) {
                (true, false) => format!("; finish each with {resume}"),
                (true, true) => format!(
                    "; once the files that cannot be read are mended, finish with {resume} each \
                     shard with points missing, damaged or edited"
                ),
                (false, _) => String::new(),
            };
            return Err(SweepRunError::Refused(format!(
                "{} shards are incomplete{hint}:\n  {}",
                many.len(),
                many.join("\n  ")
            )));
        }
    }
    std::fs::create_dir_all(out)
        .map_err(|e| SweepRunError::Io(format!("creating {}: {e}", out.display())))?;
    // Held to the end. `out` was checked before the shards were read, to
    // fail early; it is checked again now that no other chipshock process
    // can be writing there.
    let _lock = crate::atomic::lock_dir(out).map_err(SweepRunError::Io)?;
    check_merge_out(out, shards, &m)?;
    output::remove_temp_files(out).map_err(SweepRunError::Io)?;
    write_manifest(out, &m).map_err(|e| SweepRunError::Io(e.to_string()))?;
    for r in &results {
        write_point(out, r).map_err(|e| SweepRunError::Io(e.to_string()))?;
    }
    if m.trial_rows {
        for (i, d) in owner.iter().enumerate() {
            let d = d.unwrap_or(Path::new("."));
            for p in super::shard_points(first.points, i, n) {
                let src = trials_path(d, p);
                let bytes = std::fs::read(&src)
                    .map_err(|e| SweepRunError::Io(format!("reading {}: {e}", src.display())))?;
                crate::atomic::write(&trials_path(out, p), &bytes)
                    .map_err(|e| SweepRunError::Io(e.to_string()))?;
            }
        }
    }
    output::assemble(out, &m).map_err(SweepRunError::Io)?;
    Ok(m)
}
