//! Sweep results on disk: one file per finished point, a manifest, and the
//! tables assembled from the point files.
//!
//! Every point is written atomically (`points/pNNNNNN.json`) as soon as it
//! finishes, so a killed sweep loses at most the points in flight and
//! `--resume` skips the rest. The tables (`points.csv`, `points.json`,
//! `sensitivity.csv`) are always assembled by reading the point files back
//! in point order, whether they came from one run or from merged shards, so
//! both give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::fmt::{csv_field, num, opt_num};

/// The format of the point files' figures, recorded in the manifest and
/// part of the sweep's hash, so that points of two formats are never mixed
/// by a resume or a merge:
///
/// 1. (manifests without `points_format`) a standard error or interval of
///    fewer than two trials is 0, a zero-width interval;
/// 2. it is `null` (an empty cell in `points.csv`): the spread of one
///    trial is unknown.
pub const POINTS_FORMAT: u32 = 2;

/// What the latest format changed, for the errors that refuse to mix
/// formats.
pub const POINTS_FORMAT_CHANGE: &str = "since format 2 a standard error or interval of fewer \
     than two trials is left empty, where format 1 wrote 0";

fn first_points_format() -> u32 {
    1
}

/// A mean with its Monte Carlo uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub mean: f64,
    /// `None` (`null`) for fewer than two trials, whose spread is unknown
    /// (a proportion's is always known: its Wilson interval).
    pub std_error: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
}

/// Quantiles of a per-trial metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub cvar95: f64,
}

/// One variant's figures at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantFigures {
    pub variant: String,
    pub lost_usd: Stat,
    pub lost_usd_quantiles: Quantiles,
    pub lost_units: Stat,
    pub p_any_loss: Stat,
    pub p_severe_loss: Stat,
    pub peak_shortfall: Stat,
    pub weeks_below_threshold: Stat,
    /// Paired against the baseline (absent when the sweep runs no baseline).
    pub avoided_usd: Option<Stat>,
    pub cost_over_horizon_usd: f64,
    /// As in `comparison.json`: `None` (`null`) where undefined, for a
    /// variant that costs nothing or so little that the ratio would be
    /// infinite ([`crate::compare::per_dollar`]).
    pub avoided_usd_per_dollar: Option<f64>,
}

/// A parameter value of a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisValue {
    pub path: String,
    pub value: f64,
}

/// The results of one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    pub sweep_hash: String,
    pub point: usize,
    pub values: Vec<AxisValue>,
    pub variants: Vec<VariantFigures>,
    /// SHA-256 of the point's compact JSON with this field empty, set when
    /// the file is written: a figure edited into the file afterwards no
    /// longer matches it, and the point is recomputed (`--resume`) or the
    /// merge refused. (It guards against accidents, not against someone
    /// who recomputes it.)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub checksum: String,
    /// SHA-256 of the point's trial rows (`--trial-rows`), written before
    /// the point: rows edited by hand, even into other valid rows, no longer
    /// match it. Empty without trial rows (and in point files written
    /// before it was recorded, whose rows are checked for their length
    /// only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trial_rows_sha256: String,
}

impl PointResult {
    /// The checksum of this result's contents (its `checksum` aside).
    fn contents_checksum(&self) -> Result<String, serde_json::Error> {
        let mut bare = self.clone();
        bare.checksum.clear();
        Ok(sha256_hex(serde_json::to_string(&bare)?.as_bytes()))
    }
}

/// What a sweep directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    pub chipshock_version: String,
    /// The format of the point files ([`POINTS_FORMAT`]); 1 in manifests
    /// written before it was recorded.
    #[serde(default = "first_points_format")]
    pub points_format: u32,
    /// Identity of the sweep: sweep file, scenario and version.
    pub sweep_hash: String,
    pub sweep_file: String,
    pub scenario_hash: String,
    /// The base scenario's `attribution` (`[meta]`): the notice its data's
    /// licence asks to travel with results. Absent when it declares none
    /// (and from manifests written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    pub points: usize,
    pub axes: Vec<String>,
    pub variants: Vec<String>,
    pub trials: u64,
    pub seed: u64,
    /// Whether every point also has its trial rows
    /// (`points/pNNNNNN.trials.csv`, `--trial-rows`). A directory keeps the
    /// setting it was started with, and shards merge only with shards of
    /// the same setting, so a sweep's trial rows are all there or none.
    /// (Absent from manifests written before it was recorded: false.)
    #[serde(default)]
    pub trial_rows: bool,
    /// `index/count` of this shard; `0/1` for a whole sweep or a merge.
    pub shard_index: usize,
    pub shard_count: usize,
}

pub fn point_path(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("p{point:06}.json"))
}

/// The trial rows of a point (`--trial-rows`).
pub fn trials_path(dir: &Path, point: usize) -> PathBuf {
    dir.join("points").join(format!("p{point:06}.trials.csv"))
}

pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("sweep.json")
}

/// Writes a point's results atomically.
pub fn write_point(dir: &Path, r: &PointResult) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("points"))?;
    let mut r = r.clone();
    r.checksum = r.contents_checksum().map_err(std::io::Error::other)?;
    let mut text = serde_json::to_string_pretty(&r).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::atomic::write(&point_path(dir, r.point), text.as_bytes())
}

/// Reads a point file; `None` if it is missing, unreadable, damaged or
/// belongs to another sweep (a resumed sweep recomputes it).
pub fn read_point(dir: &Path, point: usize, sweep_hash: &str) -> Option<PointResult> {
    check_point(dir, point, sweep_hash).ok()
}

/// What is wrong with a point file, or with a point's trial rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// It is not there: the point was not finished.
    Missing,
    /// It cannot be read (no permission, say): computing the point again
    /// would not mend that, nor would it be needed once the file is
    /// readable.
    Unreadable(std::io::ErrorKind),
    /// It does not parse as what it should be (cut short by a copy, say),
    /// or holds another point.
    Damaged,
    /// It names another sweep.
    OtherSweep,
    /// Its contents no longer match the checksum written with them (a
    /// figure or a row changed by hand).
    Edited,
}

/// Why a point file, or a point's trial rows, cannot be used: the
/// [`Problem`], and the message saying it (`missing`, `unreadable (…)`,
/// `damaged: …`, `from another sweep: …`, `edited: …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointError {
    pub problem: Problem,
    pub message: String,
}

impl PointError {
    fn new(problem: Problem, message: String) -> Self {
        PointError { problem, message }
    }

    /// A file that could not be opened or read.
    fn io(path: &Path, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            PointError::new(Problem::Missing, format!("missing ({})", path.display()))
        } else {
            PointError::new(
                Problem::Unreadable(e.kind()),
                format!("unreadable ({}: {e})", path.display()),
            )
        }
    }

    /// Whether `--resume` mends it, computing the point again: not for a
    /// file it cannot read.
    pub fn resumable(&self) -> bool {
        !matches!(self.problem, Problem::Unreadable(_))
    }

    /// What to do about a file `--resume` would not mend (see
    /// [`PointError::resumable`]).
    pub fn fix(&self) -> Option<&'static str> {
        match self.problem {
            Problem::Unreadable(std::io::ErrorKind::PermissionDenied) => {
                Some("check its permissions and owner")
            }
            Problem::Unreadable(_) => Some("check the file (--resume would not read it either)"),
            _ => None,
        }
    }
}

impl std::fmt::Display for PointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads a point file, saying what is wrong with it when it cannot be used
/// (for `merge`, which must tell a shard not yet finished from a damaged
/// file). Only what can be seen without recomputing the point is caught: a
/// file that does not parse as a point file (cut short, say), that names
/// another sweep or another point, or whose contents no longer match the
/// checksum written with them (a figure edited by hand).
pub fn check_point(dir: &Path, point: usize, sweep_hash: &str) -> Result<PointResult, PointError> {
    let path = point_path(dir, point);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PointError::new(Problem::Missing, "missing".into()));
        }
        Err(e) => return Err(PointError::io(&path, &e)),
    };
    let r: PointResult = serde_json::from_str(&text).map_err(|e| {
        PointError::new(
            Problem::Damaged,
            format!("damaged: {} is not a point file ({e})", path.display()),
        )
    })?;
    if r.sweep_hash != sweep_hash {
        Err(PointError::new(
            Problem::OtherSweep,
            format!("from another sweep: {}", path.display()),
        ))
    } else if r.point != point {
        Err(PointError::new(
            Problem::Damaged,
            format!("damaged: {} holds point {}", path.display(), r.point),
        ))
    } else if r.contents_checksum().ok().as_deref() != Some(r.checksum.as_str()) {
        Err(PointError::new(
            Problem::Edited,
            format!(
                "edited: {} no longer matches the checksum written with it",
                path.display()
            ),
        ))
    } else {
        Ok(r)
    }
}

/// The SHA-256 of `body` in hex: a point's checksum, and the digest of its
/// trial rows as written (`PointResult::trial_rows_sha256`).
pub fn sha256_hex(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::source::hex(&Sha256::digest(body))
}

/// Checks the trial rows of a point (`--trial-rows`), as far as can be
/// seen without recomputing it: the file holds a header and `rows` rows
/// (its variants times its trials; no field of a row holds a line break),
/// the last one ending in a newline, and (when the point recorded one)
/// its SHA-256 is `sha256`. A file cut short (a copy interrupted, a full
/// disk) fails one or the other; one edited by hand fails the digest. Says
/// what is wrong, as [`check_point`] does: missing, unreadable, damaged or
/// edited.
pub fn check_trial_rows(
    dir: &Path,
    point: usize,
    rows: u64,
    sha256: &str,
) -> Result<(), PointError> {
    use sha2::{Digest, Sha256};
    use std::io::Read as _;
    let mut digest = Sha256::new();
    let path = trials_path(dir, point);
    let mut file = std::fs::File::open(&path).map_err(|e| PointError::io(&path, &e))?;
    let (mut lines, mut last) = (0u64, None);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(PointError::io(&path, &e)),
        };
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = Some(buf[n - 1]);
        digest.update(&buf[..n]);
    }
    let wanted = rows.saturating_add(1);
    if last != Some(b'\n') {
        Err(PointError::new(
            Problem::Damaged,
            format!(
                "damaged: {} is cut short (it does not end with a complete row)",
                path.display()
            ),
        ))
    } else if lines != wanted {
        Err(PointError::new(
            Problem::Damaged,
            format!(
                "damaged: {} has {lines} lines, not {wanted} (a header and a row per variant and \
                 trial)",
                path.display()
            ),
        ))
    } else if !sha256.is_empty() && crate::source::hex(&digest.finalize()) != sha256 {
        Err(PointError::new(
            Problem::Edited,
            format!(
                "edited: {} no longer matches the digest its point file holds",
                path.display()
            ),
        ))
    } else {
        Ok(())
    }
}

/// The names of the entries of `dir` other than temporary files of atomic
/// writes (which a killed writer leaves, and [`remove_temp_files`]
/// removes), sorted.
pub fn entries_but_temp(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !crate::atomic::is_temp_name(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Removes the temporary files of atomic writes that a killed sweep or
/// merge left in `dir` and `dir/points` (each the file it was writing,
/// never renamed into place), so that a resumed sweep or a merge over it
/// leaves the same files as an uninterrupted run. Only under
/// [`crate::atomic::lock_dir`]'s lock: no other process is writing there.
pub fn remove_temp_files(dir: &Path) -> Result<(), String> {
    for d in [dir.to_path_buf(), dir.join("points")] {
        crate::atomic::remove_temp_files(&d)
            .map_err(|e| format!("removing temporary files from {}: {e}", d.display()))?;
    }
    Ok(())
}

/// Checks that `dir/points`, if it exists, is a directory (a file there
/// would fail every point's write, after the point was computed).
pub fn check_points_dir(dir: &Path) -> Result<(), String> {
    let points = dir.join("points");
    match std::fs::metadata(&points) {
        Ok(meta) if !meta.is_dir() => Err(format!(
            "{} is a file, not a directory: the point files are written there; move it away, \
             or choose another --out",
            points.display()
        )),
        _ => Ok(()),
    }
}

/// Whether `name` (an entry of `points/`) is a file that a complete sweep
/// of `points` points writes: `pNNNNNN.json` for every point, and with
/// `trial_rows` its `pNNNNNN.trials.csv`.
pub fn is_point_file(name: &str, points: usize, trial_rows: bool) -> bool {
    let (stem, trials) = if let Some(s) = name.strip_suffix(".trials.csv") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".json") {
        (s, false)
    } else {
        return false;
    };
    if trials && !trial_rows {
        return false;
    }
    let Some(digits) = stem.strip_prefix('p') else {
        return false;
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // Exactly as `point_path` writes it (no sign, no extra zeros).
    matches!(digits.parse::<usize>(), Ok(p) if p < points && format!("{p:06}") == digits)
}

pub fn write_manifest(dir: &Path, m: &SweepManifest) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut text = serde_json::to_string_pretty(m).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::atomic::write(&manifest_path(dir), text.as_bytes())
}

/// Why a directory's manifest cannot be used.
#[derive(Debug)]
pub enum ManifestError {
    /// It cannot be read (no such directory or file, no permission): an
    /// I/O error, with the `std::io::Error`'s kind.
    Unreadable(String, std::io::ErrorKind),
    /// It was read, but is not a sweep manifest.
    Invalid(String),
}

pub fn read_manifest(dir: &Path) -> Result<SweepManifest, ManifestError> {
    let p = manifest_path(dir);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        ManifestError::Unreadable(format!("cannot read {}: {e}", p.display()), e.kind())
    })?;
    serde_json::from_str(&text).map_err(|e| {
        ManifestError::Invalid(format!("{} is not a sweep manifest: {e}", p.display()))
    })
}

/// Writes `points.csv`, `points.json` and `sensitivity.csv` from the point
/// files of a complete sweep in `dir`.
pub fn assemble(dir: &Path, m: &SweepManifest) -> Result<Vec<PathBuf>, String> {
    let mut points = Vec::with_capacity(m.points);
    for p in 0..m.points {
        let mut r = check_point(dir, p, &m.sweep_hash)
            .map_err(|why| format!("point {p} in {} is {why}", dir.display()))?;
        // (The file's own integrity check, not a result.)
        r.checksum.clear();
        points.push(r);
    }
    let io = |e: std::io::Error| e.to_string();
    let mut written = Vec::new();
    let csv_path = dir.join("points.csv");
    crate::atomic::write(&csv_path, points_csv(m, &points).as_bytes()).map_err(io)?;
    written.push(csv_path);
    #[derive(Serialize)]
    struct All<'a> {
        manifest: &'a SweepManifest,
        points: &'a [PointResult],
    }
    let mut json = serde_json::to_string_pretty(&All {
        manifest: m,
        points: &points,
    })
    .map_err(|e| e.to_string())?;
    json.push('\n');
    let json_path = dir.join("points.json");
    crate::atomic::write(&json_path, json.as_bytes()).map_err(io)?;
    written.push(json_path);
    let sens_path = dir.join("sensitivity.csv");
    crate::atomic::write(&sens_path, sensitivity_csv(m, &points).as_bytes()).map_err(io)?;
    written.push(sens_path);
    Ok(written)
}

/// The metrics of a variant's figures, as (name, stat, quantiles).
fn metrics(v: &VariantFigures) -> Vec<(&'static str, &Stat, Option<&Quantiles>)> {
    let mut m = vec![
        ("lost_usd", &v.lost_usd, Some(&v.lost_usd_quantiles)),
        ("lost_units", &v.lost_units, None),
        ("p_any_loss", &v.p_any_loss, None),
        ("p_severe_loss", &v.p_severe_loss, None),
        ("peak_shortfall", &v.peak_shortfall, None),
        ("weeks_below_threshold", &v.weeks_below_threshold, None),
    ];
    if let Some(a) = &v.avoided_usd {
        m.push(("avoided_usd", a, None));
    }
    m
}

/// Tidy rows: one per point × variant × metric, axis values as columns.
fn points_csv(m: &SweepManifest, points: &[PointResult]) -> String {
    let mut s = String::from("point");
    for a in &m.axes {
        let _ = write!(s, ",{}", csv_field(a));
    }
    s.push_str(",variant,metric,mean,std_error,ci95_low,ci95_high,p50,p90,p95,p99,cvar95\n");
    for p in points {
        for v in &p.variants {
            for (name, st, q) in metrics(v) {
                let _ = write!(s, "{}", p.point);
                for av in &p.values {
                    let _ = write!(s, ",{}", num(av.value));
                }
                let _ = write!(
                    s,
                    ",{},{},{},{},{},{}",
                    csv_field(&v.variant),
                    name,
                    num(st.mean),
                    opt_num(st.std_error),
                    opt_num(st.ci95_low),
                    opt_num(st.ci95_high)
                );
                match q {
                    Some(q) => {
                        let _ = writeln!(
                            s,
                            ",{},{},{},{},{}",
                            num(q.p50),
                            num(q.p90),
                            num(q.p95),
                            num(q.p99),
                            num(q.cvar95)
                        );
                    }
                    None => s.push_str(",,,,,\n"),
                }
            }
        }
    }
    s
}

/// The groups of points along one axis, values ascending: one per value
/// when the axis takes at most ten distinct values (grids), else its
/// distinct values cut into five runs of (nearly) equal numbers of values
/// (Latin hypercubes, long grid axes). A value's points are never split
/// between two groups: on a grid each group then holds every combination
/// of the other axes equally often, and the labels (`lo..hi`) of two groups
/// never overlap. Returns (label, the group's values, each as the indices
/// of its points in point order).
fn groups(points: &[PointResult], axis: usize) -> Vec<(String, Vec<Vec<usize>>)> {
    let mut by_value: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, p) in points.iter().enumerate() {
        // Order-preserving key for finite floats.
        let x = p.values[axis].value;
        let bits = x.to_bits();
        let key = if x.is_sign_negative() {
            !bits
        } else {
            bits | (1 << 63)
        };
        by_value.entry(key).or_default().push(i);
    }
    let values: Vec<Vec<usize>> = by_value.into_values().collect();
    let value = |ix: &[usize]| num(points[ix[0]].values[axis].value);
    if values.len() <= 10 {
        return values
            .into_iter()
            .map(|ix| (value(&ix), vec![ix]))
            .collect();
    }
    let bins = 5;
    let n = values.len();
    // More than ten values: every bin holds at least two.
    (0..bins)
        .map(|b| {
            let run = values[b * n / bins..(b + 1) * n / bins].to_vec();
            let label = format!("{}..{}", value(&run[0]), value(&run[run.len() - 1]));
            (label, run)
        })
        .collect()
}

/// A group's figure: the average over its values of each value's plain
/// average of `mean_at` over its points (on a grid, where every value has
/// as many points, the plain average over the group's points). Taken
/// relative to the first value's average, so that values with the same
/// average (an axis without effect, on a grid) give exactly that average,
/// whatever the number of values, and the axis a spread of exactly 0.
fn group_mean(values: &[Vec<usize>], mean_at: impl Fn(usize) -> f64) -> f64 {
    let average = |ix: &[usize]| ix.iter().map(|&i| mean_at(i)).sum::<f64>() / ix.len() as f64;
    let first = average(&values[0]);
    if values.len() == 1 {
        return first;
    }
    let offsets: f64 = values[1..].iter().map(|ix| average(ix) - first).sum();
    first + offsets / values.len() as f64
}

/// A first tornado table: for each variant and headline metric, the axes
/// ranked by the spread of the metric's mean over the axis's groups (the
/// avoided loss for the variants other than the baseline).
fn sensitivity_csv(m: &SweepManifest, points: &[PointResult]) -> String {
    let mut s =
        String::from("variant,metric,rank,axis,spread,low_group,low_mean,high_group,high_mean\n");
    if points.is_empty() {
        return s;
    }
    for (vi, variant) in m.variants.iter().enumerate() {
        let names: Vec<&str> = metrics(&points[0].variants[vi])
            .iter()
            .map(|(n, _, _)| *n)
            .collect();
        for (mi, metric) in names.iter().enumerate() {
            if !matches!(*metric, "lost_usd" | "p_any_loss" | "avoided_usd") {
                continue;
            }
            // The baseline's avoided loss is against itself, trial by
            // trial: 0 at every point, so its spread is 0 on every axis
            // and its ranks say nothing.
            if *metric == "avoided_usd" && variant == "baseline" {
                continue;
            }
            let mut rows = Vec::new();
            for (ai, axis) in m.axes.iter().enumerate() {
                let gs = groups(points, ai);
                let means: Vec<(String, f64)> = gs
                    .into_iter()
                    .map(|(label, values)| {
                        let figure =
                            group_mean(&values, |i| metrics(&points[i].variants[vi])[mi].1.mean);
                        (label, figure)
                    })
                    .collect();
                let lo = means.iter().min_by(|a, b| a.1.total_cmp(&b.1)).cloned();
                let hi = means.iter().max_by(|a, b| a.1.total_cmp(&b.1)).cloned();
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    rows.push((axis.clone(), hi.1 - lo.1, lo, hi));
                }
            }
            rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for (rank, (axis, spread, lo, hi)) in rows.into_iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{}",
                    csv_field(variant),
                    metric,
                    rank + 1,
                    csv_field(&axis),
                    num(spread),
                    csv_field(&lo.0),
                    num(lo.1),
                    csv_field(&hi.0),
                    num(hi.1)
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points of one axis taking `values`, in order, without figures.
    fn points_at(values: &[f64]) -> Vec<PointResult> {
        values
            .iter()
            .enumerate()
            .map(|(point, &value)| PointResult {
                sweep_hash: String::new(),
                point,
                values: vec![AxisValue {
                    path: "x".into(),
                    value,
                }],
                variants: Vec::new(),
                checksum: String::new(),
                trial_rows_sha256: String::new(),
            })
            .collect()
    }

    #[test]
    fn groups_hold_whole_values() {
        // Ten values: one group each.
        let ten: Vec<f64> = (0..10).map(f64::from).collect();
        let gs = groups(&points_at(&ten), 0);
        assert_eq!(gs.len(), 10);
        assert!(gs.iter().all(|(_, values)| values.len() == 1));
        // Eleven values, each at two points (a grid with another axis of
        // two values, that axis fastest): five runs of 2, 2, 2, 2 and 3
        // values, each value's two points together.
        let grid: Vec<f64> = (0..22).map(|i| f64::from(i / 2) / 10.0).collect();
        let gs = groups(&points_at(&grid), 0);
        let labels: Vec<&str> = gs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            ["0..0.1", "0.2..0.3", "0.4..0.5", "0.6..0.7", "0.8..1"]
        );
        let sizes: Vec<usize> = gs.iter().map(|(_, values)| values.len()).collect();
        assert_eq!(sizes, [2, 2, 2, 2, 3]);
        let mut seen: Vec<usize> = Vec::new();
        for (_, values) in &gs {
            for ix in values {
                assert_eq!(ix.len(), 2);
                assert!(ix.iter().all(|&i| grid[i] == grid[ix[0]]));
                seen.extend(ix);
            }
        }
        seen.sort();
        assert_eq!(seen, (0..22).collect::<Vec<_>>());
        // One point per value (a Latin hypercube): bins of equal counts,
        // unsorted points sorted by value.
        let lhs = [0.7, 0.1, 0.5, 0.3, 1.1, 0.9, 0.2, 0.8, 0.0, 0.6, 1.0, 0.4];
        let gs = groups(&points_at(&lhs), 0);
        let labels: Vec<&str> = gs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            ["0..0.1", "0.2..0.3", "0.4..0.6", "0.7..0.8", "0.9..1.1"]
        );
    }

    #[test]
    fn equal_value_averages_make_exactly_that_figure() {
        // (0.1 + 0.1 + 0.1) / 3 is not 0.1 in floating point; a group of
        // three values averaging 0.1 each must still be 0.1, and so equal
        // to a group of two.
        let at = |i: usize| [0.1, 0.3, 0.1, 0.3, 0.1, 0.3][i];
        let three = [vec![0, 1], vec![2, 3], vec![4, 5]];
        let two = [vec![0, 1], vec![2, 3]];
        assert_eq!(group_mean(&three, at), group_mean(&two, at));
        assert_eq!(group_mean(&[vec![0], vec![2], vec![4]], at), 0.1);
        assert_eq!(group_mean(&[vec![0, 1]], at), (0.1 + 0.3) / 2.0);
        assert_eq!(group_mean(&[vec![0], vec![1]], at), 0.2);
    }

    #[test]
    fn a_file_that_cannot_be_read_is_not_sent_to_resume() {
        let path = Path::new("points/p000001.json");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let e = PointError::io(path, &denied);
        assert_eq!(
            e.problem,
            Problem::Unreadable(std::io::ErrorKind::PermissionDenied)
        );
        assert!(!e.resumable());
        assert_eq!(e.fix(), Some("check its permissions and owner"));
        let gone = PointError::io(path, &std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(gone.problem, Problem::Missing);
        assert!(gone.resumable());
        assert_eq!(gone.fix(), None);
        // A directory where the point file should be cannot be read either.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(point_path(dir.path(), 1)).unwrap();
        let e = check_point(dir.path(), 1, "h").unwrap_err();
        assert!(!e.resumable(), "{e}");
        assert!(e.message.starts_with("unreadable ("), "{e}");
    }

    #[test]
    fn trial_rows_must_be_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("points")).unwrap();
        let p = trials_path(dir.path(), 3);
        assert!(
            check_trial_rows(dir.path(), 3, 2, "")
                .unwrap_err()
                .message
                .starts_with("missing")
        );
        std::fs::write(&p, "h\na,1\nb,2\n").unwrap();
        assert_eq!(check_trial_rows(dir.path(), 3, 2, ""), Ok(()));
        assert!(
            check_trial_rows(dir.path(), 3, 3, "")
                .unwrap_err()
                .message
                .contains("has 3 lines, not 4")
        );
        // Rows edited into other rows of the same shape match only without
        // the digest the point recorded.
        let digest = sha256_hex(b"h\na,1\nb,2\n");
        assert_eq!(check_trial_rows(dir.path(), 3, 2, &digest), Ok(()));
        std::fs::write(&p, "h\na,1\nb,3\n").unwrap();
        assert_eq!(check_trial_rows(dir.path(), 3, 2, ""), Ok(()));
        assert!(
            check_trial_rows(dir.path(), 3, 2, &digest)
                .unwrap_err()
                .message
                .starts_with("edited: ")
        );
        for cut in ["h\na,1\nb,", "h\na,1\nb,2", ""] {
            std::fs::write(&p, cut).unwrap();
            assert!(
                check_trial_rows(dir.path(), 3, 2, "")
                    .unwrap_err()
                    .message
                    .contains("cut short"),
                "{cut:?}"
            );
        }
    }
}
