//! Parameter sweeps: many scenario points × variants × trials.
//!
//! A sweep file names a scenario, variants, trials, a seed and axes (a
//! parameter path with values or a range), and a design (grid, zip or
//! Latin hypercube). [`load_sweep`] resolves it completely before anything
//! runs: every axis path is checked and every point's scenario is compiled,
//! so an invalid point is reported with file:line up front. Every point uses
//! the same trial seeds (common random numbers across points too).

pub mod design;
mod explain;
pub mod output;
pub mod params;
pub mod run;

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::de::{DeTable, ValueDeserializer};

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use crate::network::{self, Network};
use crate::report::fmt::num;
use crate::scenario::{self, Scenario};
use crate::source::{SourceMap, Sp, Span, with_base};
use design::AxisValues;

/// A sweep file as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub sweep: SweepSpec,
    #[serde(default)]
    pub axis: Vec<Axis>,
}

/// How points are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DesignKind {
    /// Every combination of the axes' values.
    Grid,
    /// The i-th value of every axis together.
    Zip,
    /// A Latin-hypercube sample of `points` points.
    LatinHypercube,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The scenario file, relative to the sweep file.
    pub scenario: Sp<String>,
    /// Variants run at every point (default: baseline only).
    pub variants: Option<Sp<Vec<Sp<String>>>>,
    /// Trials per point and variant.
    pub trials: Sp<i64>,
    /// Seed of every point's trials (and of a Latin-hypercube design).
    /// Any `u64`, as `run --seed` takes: wider than TOML's 64-bit signed
    /// integers, which the toml crate reads beyond (a negative seed or one
    /// above `u64::MAX` is refused with its value).
    pub seed: Option<Sp<i128>>,
    /// Default grid.
    pub design: Option<Sp<DesignKind>>,
    /// Number of points of a Latin-hypercube design.
    pub points: Option<Sp<i64>>,
}

/// One swept parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// A parameter path, e.g. `shock.taiwan_blockade.probability`.
    pub path: Sp<String>,
    /// Explicit values.
    pub values: Option<Sp<Vec<Sp<f64>>>>,
    /// Or a range: `steps` evenly spaced values from `from` to `to`
    /// (grid, zip), or the continuous range (Latin hypercube).
    pub range: Option<Sp<RangeSpec>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub from: f64,
    pub to: f64,
    pub steps: Option<i64>,
}

/// A resolved axis.
#[derive(Clone, Debug)]
pub struct ResolvedAxis {
    pub path: String,
    pub values: AxisValues,
    pub span: crate::source::Span,
}

/// A sweep ready to run: every point's scenario compiles.
pub struct Sweep {
    /// The sweep file's path.
    pub path: PathBuf,
    /// The base scenario (the sweep file is part of its source map, so
    /// point errors can point at axes).
    pub scenario: Scenario,
    pub axes: Vec<ResolvedAxis>,
    /// Parameter values of every point, in axis order.
    pub points: Vec<Vec<f64>>,
    pub variants: Vec<String>,
    pub trials: u64,
    pub seed: u64,
    /// SHA-256 of the sweep file, the scenario, the chipshock version and
    /// the point files' format: shards of different sweeps never merge.
    pub hash: String,
    pub scenario_hash: String,
}

/// Why a sweep cannot run.
pub enum SweepError {
    /// The sweep or scenario file could not be read.
    Io(String),
    /// Problems with the sweep file or a point's scenario.
    Invalid(SourceMap, Diagnostics),
}

/// The hint of a seed out of range.
pub(crate) const SEED_HINT: &str = "a seed is any whole number from 0 to 18446744073709551615, as `run --seed` takes, e.g. seed = 2026";

/// Largest number of points a design may produce.
pub const MAX_POINTS: usize = 100_000;

impl Sweep {
    /// The scenario of point `i`, compiled. Cannot fail for a loaded sweep
    /// (every point was compiled, its variants checked, by [`load_sweep`],
    /// so they are not checked again), but returns the diagnostics rather
    /// than panicking.
    pub fn network(&self, i: usize) -> Result<Network, Diagnostics> {
        network::compile_structure(
            &point_scenario(&self.scenario, &self.axes, &self.points[i])?,
            &self.variants,
        )
    }
}

/// The scenario of a point, compiled, with the variants the sweep runs
/// (ids) checked: their policies do not conflict and apply at this point.
/// (The scenario's other variants are not run, so they are not asked to.)
fn point_network(
    base: &Scenario,
    axes: &[ResolvedAxis],
    values: &[f64],
    variants: &[String],
) -> Result<Network, Diagnostics> {
    network::compile_for_variants(&point_scenario(base, axes, values)?, variants)
}

/// The base scenario with a point's values applied.
fn point_scenario(
    base: &Scenario,
    axes: &[ResolvedAxis],
    values: &[f64],
) -> Result<Scenario, Diagnostics> {
    let mut merged = base.merged.clone();
    let mut diags = Diagnostics::default();
    for (axis, v) in axes.iter().zip(values) {
        if let Err(msg) = params::apply(&mut merged, &axis.path, *v, axis.span) {
            diags.push(Diagnostic::new(msg, axis.span));
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    // Hashed once here, the copies carry the hash: every point has the
    // base scenario's files.
    base.sources.content_hash();
    Ok(Scenario {
        sources: base.sources.clone(),
        merged,
    })
}

/// The top-level tables of a scenario file: a file with some of them and
/// no `[sweep]` is a scenario given where a sweep file was wanted.
/// (Those that tell a scenario best come first.)
const SCENARIO_TABLES: [&str; 12] = [
    "facility", "market", "product", "shock", "policy", "variant", "link", "sourcing", "bloc",
    "country", "include", "meta",
];

/// Every key of a sweep file that is none of its fields, each at its place
/// with a did-you-mean (serde reports only the first, so a file with two
/// typos took two runs to mend). The lists below are `SweepSpec`'s,
/// `Axis`'s and `RangeSpec`'s fields: a field added there and not here is
/// refused by every sweep that uses it (the tests write every field).
fn unknown_keys(
    top: &toml::de::DeTable<'_>,
    span_of: &impl Fn(std::ops::Range<usize>) -> Span,
) -> Vec<Diagnostic> {
    use toml::de::DeValue;
    const TOP: &[&str] = &["sweep", "axis"];
    const SWEEP: &[&str] = &["scenario", "variants", "trials", "seed", "design", "points"];
    const AXIS: &[&str] = &["path", "values", "range"];
    const RANGE: &[&str] = &["from", "to", "steps"];
    let mut found = Vec::new();
    let mut check = |table: &toml::de::DeTable<'_>, known: &[&str], place: &str| {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if known.contains(&key) {
                continue;
            }
            let hint = match crate::diagnostic::did_you_mean(key, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("valid: {}", known.join(", ")),
            };
            found.push(
                Diagnostic::new(
                    format!("unknown field `{key}` in {place}"),
                    span_of(k.span()),
                )
                .hint(hint),
            );
        }
    };
    check(top, TOP, "the sweep file");
    for (k, v) in top.iter() {
        match (k.get_ref().as_ref(), v.get_ref()) {
            ("sweep", DeValue::Table(t)) => check(t, SWEEP, "the [sweep] table"),
            ("axis", DeValue::Array(items)) => {
                for item in items.iter() {
                    if let DeValue::Table(t) = item.get_ref() {
                        check(t, AXIS, "an [[axis]] table");
                        for (rk, rv) in t.iter() {
                            if rk.get_ref() == "range"
                                && let DeValue::Table(r) = rv.get_ref()
                            {
                                check(r, RANGE, "an axis's `range`");
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // In file order (the tables' keys are not kept in it).
    found.sort_by_key(|d| d.span.map(|s| s.start));
    found
}

fn parse_sweep(
    sources: &mut SourceMap,
    path: &Path,
    text: String,
) -> Result<SweepFile, Diagnostics> {
    let id = sources.add(path.display().to_string(), path, text);
    let base = sources.file(id).base;
    let text = sources.file(id).text.clone();
    let mut diags = Diagnostics::default();
    let span_of = |r: std::ops::Range<usize>| Span::new(r.start + base, r.end + base);
    let (doc, errors) = DeTable::parse_recoverable(&text);
    if !errors.is_empty() {
        // Explained as in scenario files.
        diags.extend(crate::scenario::syntax::explain(&text, base, errors));
        return Err(diags);
    }
    let top = doc.get_ref();
    if !top.iter().any(|(k, _)| k.get_ref() == "sweep") {
        let tables: Vec<_> = SCENARIO_TABLES
            .iter()
            .filter_map(|t| top.iter().find(|(k, _)| k.get_ref() == t))
            .take(2)
            .collect();
        if let Some((first, _)) = tables.first() {
            let names: Vec<String> = tables
                .iter()
                .map(|(k, _)| match k.get_ref().as_ref() {
                    "meta" => "a [meta] table".to_string(),
                    "include" => "an `include` list".to_string(),
                    k => format!("[[{k}]] tables"),
                })
                .collect();
            diags.push(
                Diagnostic::new(
                    format!(
                        "this looks like a scenario file (it has {}): `chipshock sweep` takes a sweep file; see docs/SWEEPS.md",
                        names.join(" and ")
                    ),
                    span_of(first.span()),
                )
                .hint(
                    "a sweep file has a [sweep] table naming the scenario (scenario = \"world.toml\") \
                     and [[axis]] tables of the parameters to vary; `chipshock run` runs a scenario",
                ),
            );
            return Err(diags);
        }
    }
    if let Some((key, v)) = top.iter().find(|(k, _)| k.get_ref() == "sweep")
        && let toml::de::DeValue::Array(_) = v.get_ref()
    {
        // `[[sweep]]` or `sweep = [...]`: serde would read the list's items
        // as the table's fields and complain about the first of them.
        diags.push(
            Diagnostic::new("[sweep] must be a table, not a list", span_of(key.span()))
                .hint("write `[sweep]`, single brackets, with its keys below it"),
        );
        return Err(diags);
    }
    // Every unknown key at once (serde stops at the first).
    let unknown = unknown_keys(top, &span_of);
    if !unknown.is_empty() {
        for d in unknown {
            diags.push(d);
        }
        return Err(diags);
    }
    let value = toml::de::DeValue::Table(top.clone());
    let spanned = toml::Spanned::new(doc.span(), value);
    match with_base(base, || {
        SweepFile::deserialize(ValueDeserializer::from(spanned))
    }) {
        Ok(f) => Ok(f),
        Err(e) => {
            let span = e.span().map(span_of).unwrap_or(Span::new(base, base));
            let problem = explain::explain(
                &crate::scenario::load::error_path(&e),
                e.message().trim(),
                sources.snippet(span),
            );
            diags.push(Diagnostic::new(problem.message, span).hint_opt(problem.hint));
            Err(diags)
        }
    }
}

/// The scenario file a sweep names, or why it cannot be read: a file that
/// is not there is a mistake in the sweep file (located at `scenario`, as a
/// wrong include is in a scenario); any other failure to read is I/O.
fn scenario_of(
    own: &SourceMap,
    sweep_path: &Path,
    named: &Sp<String>,
) -> Result<(Scenario, Diagnostics), SweepError> {
    let dir = sweep_path.parent().unwrap_or(Path::new(""));
    let resolved = scenario::load::normalize(&dir.join(&named.value));
    // `scenario = "."` beside a sweep file named without a directory
    // normalizes to the empty path, the current directory.
    let resolved = if resolved.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        resolved
    };
    let relative = if Path::new(&named.value).is_absolute() {
        String::new()
    } else {
        format!(
            " (relative to the sweep file's directory, {})",
            if dir.as_os_str().is_empty() {
                Path::new(".").display()
            } else {
                dir.display()
            }
        )
    };
    match std::fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => {
            let mut diags = Diagnostics::default();
            diags.push(
                Diagnostic::new(
                    format!(
                        "scenario `{}` is a directory, not a scenario file: {}{relative}",
                        named.value,
                        resolved.display()
                    ),
                    named.span,
                )
                .label("a directory")
                .hint("name the scenario's TOML file, e.g. scenario = \"../world.toml\""),
            );
            Err(SweepError::Invalid(own.clone(), diags))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Other TOML files where it was looked for, for a did-you-mean.
            let near: Vec<String> = resolved
                .parent()
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    }
                })
                .and_then(|d| std::fs::read_dir(d).ok())
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".toml"))
                .collect();
            let wanted = resolved
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let hint = match did_you_mean(&wanted, near.iter().map(String::as_str)) {
                Some(n) => format!("did you mean `{n}`? `scenario` is resolved relative to the sweep file, not to the current directory"),
                None => "`scenario` is resolved relative to the sweep file, not to the current directory".to_string(),
            };
            let mut diags = Diagnostics::default();
            diags.push(
                Diagnostic::new(
                    format!(
                        "scenario `{}` not found: looked for {}{relative}",
                        named.value,
                        resolved.display()
                    ),
                    named.span,
                )
                .label("no such file")
                .hint(hint),
            );
            Err(SweepError::Invalid(own.clone(), diags))
        }
        _ => scenario::load_scenario(&resolved).map_err(|e| {
            let at = own
                .locate(named.span)
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            SweepError::Io(format!(
                "{at}{e} (looked for {}{relative})",
                resolved.display()
            ))
        }),
    }
}

/// Loads and checks a sweep: the file, its scenario, every axis, every point.
pub fn load_sweep(path: &Path) -> Result<Sweep, SweepError> {
    load_sweep_shard(path, 0, 1, crate::mc::default_threads())
}

/// [`load_sweep`] for shard `index` of `count`: only the points the shard
/// runs are checked (a cluster's shards each check their own, not every
/// point of the sweep), on `threads` threads.
pub fn load_sweep_shard(
    path: &Path,
    index: usize,
    count: usize,
    threads: usize,
) -> Result<Sweep, SweepError> {
    use crate::scenario::load::{NotUtf8, read_text_file};
    let mut own = SourceMap::new();
    let text = match NotUtf8::split(read_text_file(path)) {
        Ok(Ok(text)) => text,
        Ok(Err(mut not_utf8)) => {
            let text = std::mem::take(&mut not_utf8.lossy);
            let id = own.add(path.display().to_string(), path, text);
            let mut diags = Diagnostics::default();
            diags.push(not_utf8.diagnostic(own.file(id).base));
            return Err(SweepError::Invalid(own, diags));
        }
        Err(e) => {
            return Err(SweepError::Io(format!(
                "cannot read sweep `{}`: {e}",
                path.display()
            )));
        }
    };
    // First pass: find the scenario.
    let file = parse_sweep(&mut own, path, text.clone())
        .map_err(|d| SweepError::Invalid(own.clone(), d))?;
    let (mut scenario, diags) = scenario_of(&own, path, &file.sweep.scenario)?;
    if !diags.is_empty() {
        return Err(SweepError::Invalid(scenario.sources, diags));
    }
    let base_net = network::compile(&scenario)
        .and_then(|net| network::require_markets(&scenario, &net).map(|()| net))
        .map_err(|d| SweepError::Invalid(scenario.sources.clone(), d))?;
    // Second pass: the sweep file joins the scenario's source map so that a
    // point's errors can point at its axis.
    let file = parse_sweep(&mut scenario.sources, path, text.clone())
        .map_err(|d| SweepError::Invalid(scenario.sources.clone(), d))?;

    let mut diags = Diagnostics::default();
    let spec = &file.sweep;
    let trials = match spec.trials.value {
        t if t >= 1 && t as u64 <= crate::mc::MAX_TRIALS => t as u64,
        t => {
            diags.push(
                Diagnostic::new(
                    format!(
                        "`trials` is {t}, but must be between 1 and {}",
                        crate::mc::MAX_TRIALS
                    ),
                    spec.trials.span,
                )
                .hint(
                    "`trials` is how many trials each point and variant runs, e.g. trials = 400 \
                     (a few dozen are enough to try a sweep out)",
                ),
            );
            0
        }
    };
    let seed = match &spec.seed {
        Some(s) => match u64::try_from(s.value) {
            Ok(v) => v,
            Err(_) => {
                let bound = if s.value < 0 {
                    "≥ 0".to_string()
                } else {
                    format!("at most {}", u64::MAX)
                };
                diags.push(
                    Diagnostic::new(
                        format!("`seed` is {}, but must be {bound}", s.value),
                        s.span,
                    )
                    .hint(SEED_HINT),
                );
                0
            }
        },
        None => 1,
    };
    let mut variants = Vec::new();
    if let Some(list) = &spec.variants
        && list.value.is_empty()
    {
        diags.push(Diagnostic::new("`variants` is empty", list.span).hint(
            "list the variants to run (variants = [\"baseline\", \"reshoring\"]), or leave \
                 `variants` out to run the baseline alone",
        ));
    }
    for v in spec.variants.iter().flat_map(|l| &l.value) {
        if variants.contains(&v.value) {
            diags.push(
                Diagnostic::new(format!("variant `{}` is listed twice", v.value), v.span)
                    .hint("list each variant once"),
            );
        } else if base_net.variants.iter().any(|x| x.id == v.value) {
            variants.push(v.value.clone());
        } else {
            let hint = crate::diagnostic::did_you_mean(
                &v.value,
                base_net.variants.iter().map(|x| x.id.as_str()),
            )
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                let all: Vec<&str> = base_net.variants.iter().map(|x| x.id.as_str()).collect();
                format!("the scenario's variants: {}", all.join(", "))
            });
            diags
                .push(Diagnostic::new(format!("unknown variant `{}`", v.value), v.span).hint(hint));
        }
    }
    if variants.is_empty() && spec.variants.as_ref().is_none_or(|v| v.value.is_empty()) {
        variants.push("baseline".to_string());
    }
    let design = spec
        .design
        .as_ref()
        .map(|d| d.value)
        .unwrap_or(DesignKind::Grid);
    if design != DesignKind::LatinHypercube
        && let Some(n) = &spec.points
    {
        let name = if design == DesignKind::Zip {
            "zip"
        } else {
            "grid"
        };
        diags.push(
            Diagnostic::new(
                format!(
                    "`points` is for a latin_hypercube design; a {name} design takes its points from the axes' values"
                ),
                n.span,
            )
            .hint("remove `points`, or set design = \"latin_hypercube\""),
        );
    }
    let mut axes = Vec::new();
    // Where each resolved axis's values are written: the list or range, and
    // each listed value (none for a range).
    let mut value_spans: Vec<(Span, Vec<Span>)> = Vec::new();
    if file.axis.is_empty() {
        diags.push(
            Diagnostic::new("the sweep has no axis", spec.scenario.span)
                .hint("add [[axis]] tables: path = \"shock.taiwan_blockade.probability\", values = [0.02, 0.1]"),
        );
    }
    for axis in &file.axis {
        let values = match (&axis.values, &axis.range) {
            (Some(v), Some(r)) => {
                diags.push(values_and_range(&axis.path, v.span, r.span));
                continue;
            }
            (None, None) => {
                diags.push(no_values(&axis.path, design));
                continue;
            }
            (Some(v), None) if v.value.is_empty() => {
                diags.push(
                    Diagnostic::new(
                        format!("axis `{}` has an empty `values` list", axis.path.value),
                        v.span,
                    )
                    .label("no values")
                    .hint(format!(
                        "list the values to sweep, e.g. values = [0.02, 0.05, 0.1], or give a \
                         range instead: {}",
                        range_example(design)
                    )),
                );
                continue;
            }
            (Some(v), None) => {
                let not_finite: Vec<&Sp<f64>> =
                    v.value.iter().filter(|x| !x.value.is_finite()).collect();
                for bad in &not_finite {
                    let written = scenario.sources.snippet(bad.span).trim().to_string();
                    diags.push(
                        Diagnostic::new(
                            format!("axis value `{written}` is not a finite number"),
                            bad.span,
                        )
                        .hint(
                            "every value must be a number a parameter can take (nan, inf and \
                             -inf are none); remove it, or write the number meant",
                        ),
                    );
                }
                if !not_finite.is_empty() {
                    continue;
                }
                // A zip design may repeat a value along one axis (another
                // axis moves meanwhile); its points are checked whole below.
                if design != DesignKind::Zip {
                    let repeated = repeated_values(&axis.path.value, &v.value, design);
                    if !repeated.is_empty() {
                        diags.extend(repeated);
                        continue;
                    }
                }
                AxisValues::List(v.value.iter().map(|x| x.value).collect())
            }
            (None, Some(r)) => {
                let steps = r.value.steps.unwrap_or(0);
                if !r.value.from.is_finite() || !r.value.to.is_finite() {
                    diags.push(
                        Diagnostic::new("range bounds must be finite numbers", r.span).hint(
                            format!(
                                "nan, inf and -inf are no parameter's values: e.g. {}",
                                range_example(design)
                            ),
                        ),
                    );
                    continue;
                }
                if !(r.value.to - r.value.from).is_finite() {
                    diags.push(
                        Diagnostic::new(
                            format!(
                                "the range from {:e} to {:e} is too wide: `to - from` overflows",
                                r.value.from, r.value.to
                            ),
                            r.span,
                        )
                        .hint("keep both bounds within about ±1e307"),
                    );
                    continue;
                }
                if steps > MAX_POINTS as i64 {
                    diags.push(Diagnostic::new(
                        format!(
                            "`steps` is {steps}, more than the {MAX_POINTS} points a sweep may have"
                        ),
                        r.span,
                    ));
                    continue;
                }
                if design != DesignKind::LatinHypercube && steps < 2 {
                    diags.push(
                        Diagnostic::new(
                            "a range needs `steps` ≥ 2 in a grid or zip design",
                            r.span,
                        )
                        .hint("e.g. range = { from = 0.02, to = 0.2, steps = 5 }"),
                    );
                    continue;
                }
                if design == DesignKind::LatinHypercube && r.value.steps.is_some() {
                    diags.push(
                        Diagnostic::new(
                            "a latin_hypercube design does not use `steps`: it cuts the range \
                             into `points` strata and draws one value in each",
                            r.span,
                        )
                        .hint(format!(
                            "remove `steps`: range = {{ from = {}, to = {} }}",
                            num(r.value.from),
                            num(r.value.to)
                        )),
                    );
                    continue;
                }
                let values = AxisValues::Range {
                    from: r.value.from,
                    to: r.value.to,
                    steps: steps.max(0) as usize,
                };
                if design == DesignKind::Grid
                    && let Some(d) = repeated_steps(&axis.path.value, &values, r.span)
                {
                    diags.push(d);
                    continue;
                }
                values
            }
        };
        if let Some(prev) = axes
            .iter()
            .find(|a: &&ResolvedAxis| params::overlap(&a.path, &axis.path.value))
        {
            diags.push(swept_twice(prev, &axis.path));
            continue;
        }
        // Check the path against the base scenario.
        let mut probe = scenario.merged.clone();
        let first = values.discrete().first().copied().unwrap_or(0.0);
        if let Err(msg) = params::apply(&mut probe, &axis.path.value, first, axis.path.span) {
            diags.push(Diagnostic::new(msg, axis.path.span));
            continue;
        }
        axes.push(ResolvedAxis {
            path: axis.path.value.clone(),
            values,
            span: axis.path.span,
        });
        value_spans.push(match (&axis.values, &axis.range) {
            (Some(v), _) => (v.span, v.value.iter().map(|x| x.span).collect()),
            (None, Some(r)) => (r.span, Vec::new()),
            (None, None) => (axis.path.span, Vec::new()),
        });
    }
    if !diags.is_empty() {
        return Err(SweepError::Invalid(scenario.sources, diags));
    }
    let points: Vec<Vec<f64>> = match design {
        DesignKind::Grid => {
            // Saturating: a product that wrapped around could pass the check.
            let n: usize = axes
                .iter()
                .map(|a| a.values.discrete().len())
                .fold(1usize, usize::saturating_mul);
            if n > MAX_POINTS {
                diags.push(too_many_points(&axes, n, spec.scenario.span));
                Vec::new()
            } else {
                design::grid(&axes.iter().map(|a| a.values.clone()).collect::<Vec<_>>())
            }
        }
        DesignKind::Zip => {
            match design::zip(&axes.iter().map(|a| a.values.clone()).collect::<Vec<_>>()) {
                Ok(p) => match repeated_zip_point(&axes, &value_spans, &p) {
                    Some(d) => {
                        diags.push(d);
                        Vec::new()
                    }
                    None => p,
                },
                Err(_) => {
                    let span = spec
                        .design
                        .as_ref()
                        .map(|d| d.span)
                        .unwrap_or(spec.scenario.span);
                    diags.push(unequal_zip(&axes, span));
                    Vec::new()
                }
            }
        }
        DesignKind::LatinHypercube => match &spec.points {
            Some(n) if n.value >= 1 && (n.value as usize) <= MAX_POINTS => design::latin_hypercube(
                &axes.iter().map(|a| a.values.clone()).collect::<Vec<_>>(),
                n.value as usize,
                seed,
            ),
            Some(n) => {
                diags.push(Diagnostic::new(
                    format!(
                        "`points` is {}, but must be between 1 and {MAX_POINTS}",
                        n.value
                    ),
                    n.span,
                ));
                Vec::new()
            }
            None => {
                let span = spec
                    .design
                    .as_ref()
                    .map(|d| d.span)
                    .unwrap_or(spec.scenario.span);
                diags.push(
                    Diagnostic::new("a latin_hypercube design needs `points`", span)
                        .hint("points = 20"),
                );
                Vec::new()
            }
        },
    };
    // Check the shard's points before any runs, on `threads` threads (a
    // point of the world scenario takes tens of milliseconds to compile),
    // with the variants the sweep runs. The first failing point, in point
    // order, explains the problem; the rest repeat it.
    let mine = shard_points(points.len(), index, count);
    let first_bad = crate::compare::on_threads(threads, || {
        use rayon::prelude::*;
        mine.par_iter()
            .position_first(|&p| point_network(&scenario, &axes, &points[p], &variants).is_err())
    })
    .map_err(|e| SweepError::Io(e.to_string()))?
    .map(|k| mine[k]);
    if let Some(i) = first_bad
        && let Err(d) = point_network(&scenario, &axes, &points[i], &variants)
    {
        for problem in point_problems(&scenario, &axes, &variants, i, &points[i], d) {
            diags.push(problem);
        }
    }
    if !diags.is_empty() {
        return Err(SweepError::Invalid(scenario.sources, diags));
    }
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // Points of two formats must not meet in one directory.
    h.update(format!("points format {}", output::POINTS_FORMAT).as_bytes());
    h.update(text.as_bytes());
    h.update(base_net.scenario_hash.as_bytes());
    let hash = crate::source::hex(&h.finalize());
    Ok(Sweep {
        path: path.to_path_buf(),
        scenario,
        axes,
        points,
        variants,
        trials,
        seed,
        hash,
        scenario_hash: base_net.scenario_hash.clone(),
    })
}

/// The error for a grid of `n` points, more than [`MAX_POINTS`] (`n` is
/// `usize::MAX` when the product overflowed): at the first axis, with every
/// axis's count of values beside it, since their product is the problem.
fn too_many_points(axes: &[ResolvedAxis], n: usize, fallback: Span) -> Diagnostic {
    let message = if n == usize::MAX {
        format!(
            "the grid has more than {MAX_POINTS} points (the product of the axes' lengths overflows)"
        )
    } else {
        format!("the grid has {n} points, more than {MAX_POINTS}")
    };
    let values = |a: &ResolvedAxis| {
        let k = a.values.discrete().len();
        format!("{k} value{}", if k == 1 { "" } else { "s" })
    };
    // (A grid over no axis has one point: there is a first axis here.)
    let Some((first, rest)) = axes.split_first() else {
        return Diagnostic::new(message, fallback);
    };
    let mut d = Diagnostic::new(message, first.span).label(values(first));
    for a in rest {
        d = d.related(a.span, format!("× {}", values(a)));
    }
    d.hint("a grid has the product of its axes' lengths: use fewer values, or a latin_hypercube design with `points`")
}

/// "1 value" or "2 values".
fn values_noun(k: usize) -> String {
    format!("{k} value{}", if k == 1 { "" } else { "s" })
}

/// How a range is written in `design`, for hints (a Latin hypercube's
/// range has no `steps`).
fn range_example(design: DesignKind) -> &'static str {
    if design == DesignKind::LatinHypercube {
        "range = { from = 0.02, to = 0.2 }"
    } else {
        "range = { from = 0.02, to = 0.2, steps = 4 }"
    }
}

/// The error for an axis that gives neither `values` nor `range`.
fn no_values(path: &Sp<String>, design: DesignKind) -> Diagnostic {
    Diagnostic::new(
        format!("axis `{}` has neither `values` nor `range`", path.value),
        path.span,
    )
    .label("nothing to sweep")
    .hint(format!(
        "give the values to sweep, values = [0.02, 0.05, 0.1], or a range, {}",
        range_example(design)
    ))
}

/// The error for an axis that gives both `values` and `range`: at the one
/// written second, the other beside it.
fn values_and_range(path: &Sp<String>, values: Span, range: Span) -> Diagnostic {
    let (at, other, label) = if range.start > values.start {
        (range, values, "`values` given here")
    } else {
        (values, range, "`range` given here")
    };
    Diagnostic::new(
        format!(
            "axis `{}` has both `values` and `range`; an axis takes one of the two",
            path.value
        ),
        at,
    )
    .related(other, label)
    .hint(
        "remove one: `values` sweeps the numbers listed, `range` evenly spaced ones from \
         `from` to `to`",
    )
}

/// Every value a `values` list of a grid or Latin-hypercube axis repeats,
/// each at its second place with its first beside it (in a grid each point
/// with it would be computed twice, to the same figures; a Latin hypercube
/// picks a list's values by position, so it would be drawn more often
/// than the others). `0.1` and `0.10` are the same value, and so are `0`
/// and `-0`.
fn repeated_values(path: &str, values: &[Sp<f64>], design: DesignKind) -> Vec<Diagnostic> {
    let key = |x: f64| x + 0.0; // -0.0 becomes 0.0
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        key(values[a].value)
            .total_cmp(&key(values[b].value))
            .then(a.cmp(&b))
    });
    // (second place, first place, times listed), for each repeated value.
    let mut repeats: Vec<(usize, usize, usize)> = Vec::new();
    for group in order.chunk_by(|&a, &b| key(values[a].value) == key(values[b].value)) {
        if let [first, second, ..] = *group {
            repeats.push((second, first, group.len()));
        }
    }
    repeats.sort_unstable();
    let why = if design == DesignKind::LatinHypercube {
        "a latin_hypercube design picks a list's values by position, so a value listed twice \
         would be drawn twice as often as the others"
    } else {
        "every point with it would be computed again, to the same figures"
    };
    repeats
        .into_iter()
        .map(|(second, first, times)| {
            let (times, repeats) = match times {
                2 => ("twice".to_string(), "the repeat"),
                3 => ("three times".to_string(), "the repeats"),
                n => (format!("{n} times"), "the repeats"),
            };
            Diagnostic::new(
                format!("axis `{path}` lists {} {times}", num(values[second].value)),
                values[second].span,
            )
            .label("listed again")
            .related(values[first].span, "first listed here")
            .hint(format!("remove {repeats}: {why}"))
        })
        .collect()
}

/// The error for a grid range whose steps repeat a value (`from` equal to
/// `to`, or too narrow a range for its steps to differ).
fn repeated_steps(path: &str, values: &AxisValues, span: Span) -> Option<Diagnostic> {
    let AxisValues::Range { from, to, steps } = *values else {
        return None;
    };
    let all = values.discrete();
    let repeated = all.windows(2).find(|w| w[0] == w[1])?[0];
    let d = if from == to {
        Diagnostic::new(
            format!(
                "the range of axis `{path}` runs from {} to {}: its {steps} steps are all {}",
                num(from),
                num(to),
                num(from)
            ),
            span,
        )
        .label(format!("{steps} equal values"))
        .hint(format!(
            "to hold the parameter at {} give values = [{}], or widen the range",
            num(from),
            num(from)
        ))
    } else {
        Diagnostic::new(
            format!(
                "the range of axis `{path}` from {} to {} is too narrow for {steps} steps: \
                 they repeat {}",
                num(from),
                num(to),
                num(repeated)
            ),
            span,
        )
        .label(format!("repeats {}", num(repeated)))
        .hint(
            "use fewer steps, or a wider range: every point with a repeated value would be \
             computed again, to the same figures",
        )
    };
    Some(d)
}

/// The error for a zip design whose axes differ in length: at `design`,
/// each axis labelled with its length. The hint names the axes whose
/// length differs from the most common one (the first axis's, in a tie).
fn unequal_zip(axes: &[ResolvedAxis], design: Span) -> Diagnostic {
    let lens: Vec<usize> = axes.iter().map(|a| a.values.discrete().len()).collect();
    let common = lens
        .iter()
        .copied()
        .max_by_key(|&n| {
            (
                lens.iter().filter(|&&m| m == n).count(),
                std::cmp::Reverse(lens.iter().position(|&m| m == n)),
            )
        })
        .unwrap_or(0);
    let listed: Vec<String> = axes
        .iter()
        .zip(&lens)
        .map(|(a, n)| format!("`{}` has {n}", a.path))
        .collect();
    let mut d = Diagnostic::new(
        format!(
            "zipped axes need the same number of values: {}",
            listed.join(", ")
        ),
        design,
    )
    .label("the i-th value of every axis together");
    for (a, &n) in axes.iter().zip(&lens) {
        d = d.related(a.span, values_noun(n));
    }
    let differing: Vec<String> = axes
        .iter()
        .zip(&lens)
        .filter(|(_, n)| **n != common)
        .map(|(a, &n)| format!("`{}` has {}", a.path, values_noun(n)))
        .collect();
    let others: Vec<&ResolvedAxis> = axes
        .iter()
        .zip(&lens)
        .filter(|(_, n)| **n == common)
        .map(|(a, _)| a)
        .collect();
    let differing = match differing.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => differing.join(""),
    };
    let whereas = match others.as_slice() {
        [one] => format!("`{}` has {common}", one.path),
        _ => format!("the other axes have {common}"),
    };
    d.hint(format!(
        "{differing} where {whereas}: give every axis {}, or use design = \"grid\" for every \
         combination",
        values_noun(common)
    ))
}

/// The error for a zip design that has a point twice (every axis repeats
/// its value at the same two places): at the first axis's value of the
/// later point, the earlier beside it. (One axis may repeat a value while
/// another moves: only a whole point repeated is computed twice.)
fn repeated_zip_point(
    axes: &[ResolvedAxis],
    spans: &[(Span, Vec<Span>)],
    points: &[Vec<f64>],
) -> Option<Diagnostic> {
    let mut seen = std::collections::HashMap::new();
    let (first, again) = points.iter().enumerate().find_map(|(j, p)| {
        let key: Vec<u64> = p.iter().map(|x| (x + 0.0).to_bits()).collect();
        seen.insert(key, j).map(|i| (i, j))
    })?;
    let settings: Vec<String> = axes
        .iter()
        .zip(&points[again])
        .map(|(a, v)| format!("{} = {}", a.path, num(*v)))
        .collect();
    let (at, before) = match spans.first() {
        Some((_, items)) if items.len() > again => (items[again], Some(items[first])),
        Some((whole, _)) => (*whole, None),
        None => return None,
    };
    let mut d = Diagnostic::new(
        format!(
            "points {first} and {again} of the zip design are the same ({})",
            settings.join(", ")
        ),
        at,
    )
    .label(format!("point {again}"));
    if let Some(b) = before {
        d = d.related(b, format!("point {first}"));
    }
    Some(d.hint(format!(
        "remove the value at position {} from every axis: the point would be computed again, \
         to the same figures",
        again + 1
    )))
}

/// The error for `axis`, which sets (part of) the parameter `prev` already
/// sweeps: only one of the two could take effect.
fn swept_twice(prev: &ResolvedAxis, axis: &Sp<String>) -> Diagnostic {
    let (a, b) = (prev.path.as_str(), axis.value.as_str());
    let (ca, cb) = (params::canonical(a), params::canonical(b));
    let last = |p: &str| p.rsplit('.').next().unwrap_or("").to_string();
    let message = if a == b {
        format!("axis `{b}` is swept twice")
    } else if ca.ends_with(".occurrence") && ca == cb {
        format!(
            "axis `{b}` sets the same parameter as axis `{a}`: a shock's probability and its \
             rate_per_year are one parameter, its occurrence, written two ways (setting one \
             removes the other)"
        )
    } else if ca == cb {
        let (alias, name) = if last(a) == last(&ca) {
            (last(b), last(a))
        } else {
            (last(a), last(b))
        };
        format!(
            "axis `{b}` sets the same parameter as axis `{a}`: `{alias}` is another name for `{name}`"
        )
    } else if cb.len() < ca.len() {
        format!(
            "axis `{b}` replaces the whole distribution, one of whose parameters axis `{a}` sets"
        )
    } else {
        format!("axis `{b}` sets a parameter of the distribution that axis `{a}` replaces whole")
    };
    Diagnostic::new(message, axis.span)
        .related(prev.span, "first swept here")
        .hint(if a == b {
            "merge the two axes' values into one axis"
        } else {
            "keep one of the two axes"
        })
}

/// A point's scenario problems, each naming the point and pointing at an
/// axis of the sweep file. A value an axis wrote carries the axis's span,
/// so a problem with it points there already. A problem found elsewhere (a
/// variant whose policies overload a facility an axis resized) is moved to
/// the axis that causes it: the first axis without whose value the point
/// no longer has that problem, else the first axis; where it was found
/// stays as a related place.
fn point_problems(
    base: &Scenario,
    axes: &[ResolvedAxis],
    variants: &[String],
    index: usize,
    values: &[f64],
    found: Diagnostics,
) -> Vec<Diagnostic> {
    let settings: Vec<String> = axes
        .iter()
        .zip(values)
        .map(|(a, v)| format!("{} = {}", a.path, num(*v)))
        .collect();
    let point = format!("point {index} ({})", settings.join(", "));
    // The point's problems without each axis's value, computed when needed.
    let mut without: Vec<Option<Vec<Diagnostic>>> = vec![None; axes.len()];
    let mut problems = Vec::new();
    for d in found.items {
        let message = format!("{point}: {}", d.message);
        if let Some(k) = axes.iter().position(|a| Some(a.span) == d.span) {
            // Found at the axis itself (the value it sets is the problem):
            // say what it was set to, not what the scenario declared there.
            let label = format!("set to {} at this point", num(values[k]));
            problems.push(Diagnostic {
                message,
                label,
                ..d
            });
            continue;
        }
        if axes.is_empty() {
            problems.push(Diagnostic { message, ..d });
            continue;
        }
        let cause = (0..axes.len())
            .find(|&k| {
                let rest = without[k].get_or_insert_with(|| {
                    let (a, v): (Vec<ResolvedAxis>, Vec<f64>) = axes
                        .iter()
                        .zip(values)
                        .enumerate()
                        .filter(|(j, _)| *j != k)
                        .map(|(_, (a, v))| (a.clone(), *v))
                        .unzip();
                    point_network(base, &a, &v, variants)
                        .err()
                        .map(|e| e.items)
                        .unwrap_or_default()
                });
                !rest
                    .iter()
                    .any(|e| e.message == d.message && e.span == d.span)
            })
            .unwrap_or(0);
        let mut moved = Diagnostic::new(message, axes[cause].span)
            .label(format!("set to {} at this point", num(values[cause])));
        if let Some(s) = d.span {
            let label = if d.label.is_empty() {
                "found here".to_string()
            } else {
                d.label
            };
            moved = moved.related(s, label);
        }
        moved.related.extend(d.related);
        moved.hint = d.hint;
        problems.push(moved);
    }
    problems
}

/// The points shard `index` of `count` runs: every `count`-th point from
/// `index`, so neighbouring points (similar in cost) spread over shards.
pub fn shard_points(points: usize, index: usize, count: usize) -> Vec<usize> {
    (index..points).step_by(count.max(1)).collect()
}
