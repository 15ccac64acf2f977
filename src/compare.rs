//! Policy variants compared on common random numbers.
//!
//! Every variant runs the same trials (the same seed and trial numbers, so
//! the same shock schedules: policies draw no random numbers). The
//! comparison against the baseline is the **paired** difference of each
//! trial's loss, whose interval is far tighter than the difference of two
//! independent means. Used by `chipshock compare` and by sweeps.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::bail;
use serde::Serialize;

use crate::mc::{self, Accumulated, Layout, RunConfig, RunOptions, TrialRunner};
use crate::network::{Customer, Network};
use crate::policy::{self, Cost};
use crate::report::RunReport;
use crate::scenario::Sector;
use crate::sim::TrialOutcome;
use crate::sim::variant::VariantEngine;
use crate::stats::{
    PairedDifference, Proportion, TIE_TOLERANCE, paired_difference, welch_ci95_half_width,
};

/// One variant against the baseline, for one scope (total or focus).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub variant: String,
    pub name: String,
    /// `total` or the focus key.
    pub scope: String,
    pub expected_lost_usd: f64,
    /// `None` for fewer than two trials, as for every mean.
    pub expected_lost_usd_ci95: Option<[f64; 2]>,
    pub expected_lost_units: f64,
    /// Baseline loss minus variant loss, trial by trial (USD).
    pub avoided_usd: PairedDifference,
    pub avoided_units: PairedDifference,
    /// Half-width of the 95 % interval had the variants been run on
    /// independent random numbers: Welch's `t95(ν) √(SE_b² + SE_v²)`, with
    /// the Welch–Satterthwaite degrees of freedom rounded down (see
    /// [`welch_ci95_half_width`]); `None` for fewer than two trials.
    pub unpaired_ci95_half_width_usd: Option<f64>,
    pub cost: Cost,
    /// Mean avoided loss per dollar of policy cost over the horizon;
    /// `None` where undefined (see [`per_dollar`]).
    pub avoided_usd_per_dollar: Option<f64>,
    pub p_any_loss: Proportion,
    /// 1 = largest expected avoided loss; among equal ones, the cheapest.
    pub rank: usize,
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
        // A sector by its name in scenario files (`data_centre`).
        let sector = serde_json::from_value::<Sector>(serde_json::Value::from(key)).ok();
        match sector {
            Some(s) if net.markets.iter().any(|m| m.sector == s) => pick(&|_, m, _| m.sector == s),
            // Not "unknown": the name is right, the scenario has no such
            // market.
            Some(_) => bail!(
                "--focus `{key}` selects no market demand: no market of the scenario is in that sector"
            ),
            None => {
                // Only what would select something: a sector no market is
                // in would be suggested only to be refused.
                let mut all: Vec<String> = Vec::new();
                all.extend(net.markets.iter().map(|m| m.id.clone()));
                all.extend(net.countries.iter().map(|c| c.id.clone()));
                all.extend(net.blocs.iter().map(|b| b.id.clone()));
                all.extend(net.products.iter().map(|p| p.id.clone()));
                for m in &net.markets {
                    let name = crate::network::graph::enum_name(m.sector);
                    if !all.contains(&name) {
                        all.push(name);
                    }
                }
                let hint = crate::diagnostic::did_you_mean(
                    key,
                    all.iter().map(String::as_str).filter(|c| *c != key),
                )
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

/// A variant compiled and ready to run: its network (the policies applied)
/// and its engine.
pub struct PreparedVariant {
    /// Its index in the scenario's variants.
    index: usize,
    vn: policy::VariantNetwork,
    engine: VariantEngine,
}

/// Compiles the variants (policies applied, engines built) on the pool's
/// threads; the first variant, in the order given, whose policies do not
/// apply is the error.
pub fn prepare_variants(net: &Network, variants: &[usize]) -> Result<Vec<PreparedVariant>, String> {
    use rayon::prelude::*;
    let prepared: Vec<Result<PreparedVariant, String>> = variants
        .par_iter()
        .map(|&vi| {
            let vn = policy::apply(net, vi).map_err(|e| e.with_hint())?;
            let engine = VariantEngine::new(&vn);
            Ok(PreparedVariant {
                index: vi,
                vn,
                engine,
            })
        })
        .collect();
    prepared.into_iter().collect()
}

/// Runs every variant on the same trials. The variants are compiled as
/// many at a time as there are threads, then run one after the other (so
/// at most that many compiled variants are held at once).
pub fn run_variants(
    net: &Network,
    variants: &[usize],
    plan: &TrialPlan,
    focus: Option<&[bool]>,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Vec<VariantRun>> {
    let threads = plan.options.threads.max(1);
    let per_variant = plan.trials.end.saturating_sub(plan.trials.start);
    let mut runs = Vec::with_capacity(variants.len());
    for chunk in variants.chunks(threads) {
        let prepared =
            on_threads(threads, || prepare_variants(net, chunk))?.map_err(anyhow::Error::msg)?;
        let before = per_variant * runs.len() as u64;
        runs.extend(run_prepared(net, &prepared, plan, focus, |d| {
            progress(before + d)
        })?);
    }
    Ok(runs)
}

/// Runs `f` on a pool of `threads` threads (what `--threads` allows).
pub fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()?;
    Ok(pool.install(f))
}

/// Runs prepared variants on the same trials.
pub fn run_prepared(
    net: &Network,
    prepared: &[PreparedVariant],
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
    for p in prepared {
        let (vi, vn, engine) = (p.index, &p.vn, &p.engine);
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
            inner: engine,
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
    let refs: Vec<&VariantRun> = runs.iter().collect();
    compare_runs(&refs, focus)
}

/// [`compare`] over runs given by reference (the first is the baseline).
pub fn compare_runs(runs: &[&VariantRun], focus: Option<&str>) -> Vec<Comparison> {
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
                unpaired_ci95_half_width_usd: b_summary
                    .std_error
                    .zip(v_summary.std_error)
                    .map(|(b, v)| welch_ci95_half_width(b, b_summary.count, v, v_summary.count)),
                avoided_usd_per_dollar: per_dollar(avoided_usd.mean, cost),
                avoided_usd,
                avoided_units,
                cost: r.cost.clone(),
                p_any_loss: Proportion::new(any, v_usd.len() as u64),
                rank: 0,
            });
        }
        for (rank, i) in rank_order(&block).into_iter().enumerate() {
            block[i].rank = rank + 1;
        }
        rows.extend(block);
    }
    rows
}

/// Avoided loss per dollar of cost, `None` where it is undefined: for a
/// variant that costs nothing, and for one that costs so little (a
/// positive cost near 5e-324 dollars) that the ratio exceeds the largest
/// double. The ratio would then be infinite, which CSV readers do not
/// agree on and JSON cannot hold (it wrote `null` there, and `inf` in
/// `comparison.csv` and on the terminal). The cost, written beside it,
/// tells the two cases apart.
pub fn per_dollar(avoided_usd: f64, cost_usd: f64) -> Option<f64> {
    let ratio = avoided_usd / cost_usd;
    (cost_usd > 0.0 && ratio.is_finite()).then_some(ratio)
}

/// The order in which a block of comparisons ranks: the largest expected
/// avoided loss first. Variants whose expected losses differ by no more than
/// rounding (`TIE_TOLERANCE`, relative, as for P(better)) avoid the same
/// loss, and the cheaper of them ranks first, then the one declared first.
///
/// Ties are found between neighbours of the exact order, so a chain of
/// variants each within rounding of the next is one tie (a comparator with a
/// tolerance is no total order, which a sort may not be given).
fn rank_order(block: &[Comparison]) -> Vec<usize> {
    let cheaper_first = |a: &usize, b: &usize| {
        let (x, y) = (&block[*a], &block[*b]);
        x.cost
            .total_over_horizon_usd
            .total_cmp(&y.cost.total_over_horizon_usd)
            .then(y.avoided_usd.mean.total_cmp(&x.avoided_usd.mean))
            .then(a.cmp(b))
    };
    let mut order: Vec<usize> = (0..block.len()).collect();
    order.sort_by(|&a, &b| {
        block[b]
            .avoided_usd
            .mean
            .total_cmp(&block[a].avoided_usd.mean)
            .then(cheaper_first(&a, &b))
    });
    let tied = |a: usize, b: usize| {
        let (x, y) = (block[a].expected_lost_usd, block[b].expected_lost_usd);
        (x - y).abs() <= TIE_TOLERANCE * x.abs().max(y.abs())
    };
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && tied(order[end - 1], order[end]) {
            end += 1;
        }
        order[start..end].sort_by(cheaper_first);
        start = end;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mc::fake;
    use crate::stats::{Summary, t95};

    /// A fake run of `trials` seeded `seed`, as variant `id`.
    fn fake_run(id: &str, seed: u64, trials: std::ops::Range<u64>) -> VariantRun {
        let net = fake::network(5);
        let layout = Layout::from_network(&net, false);
        let acc = mc::run_trials(
            trials.clone(),
            &layout,
            &RunOptions {
                threads: 1,
                block_size: 64,
            },
            || (),
            |t, _: &mut (), out| fake::trial(seed, t, out),
            |_| {},
        )
        .expect("runs");
        let cfg = RunConfig::new(&net, seed, trials, false).with_variant(id);
        VariantRun {
            id: id.into(),
            name: id.into(),
            cost: Cost::default(),
            report: RunReport::build(&net, &cfg, &acc),
            accumulated: acc,
            focus_usd: Vec::new(),
            focus_units: Vec::new(),
        }
    }

    /// Variants whose losses differ only by rounding avoid the same loss: the
    /// cheaper ranks first, though the dearer one's last bits say it avoided
    /// a hair more. Losses apart by more than rounding rank by what they
    /// avoid, whatever the cost.
    #[test]
    fn rounding_level_differences_rank_the_cheaper_first() {
        let base = fake_run("baseline", 3, 0..50);
        let variant = |id: &str, scale: f64, cost: f64| {
            let mut r = fake_run(id, 3, 0..50);
            for x in &mut r.accumulated.trials.lost_usd {
                *x *= scale;
            }
            r.cost.total_over_horizon_usd = cost;
            r
        };
        let runs = [
            base,
            variant("dear", 0.5 * (1.0 - 1e-13), 2e6),
            variant("cheap", 0.5, 1e6),
            variant("better", 0.5 * (1.0 - 1e-6), 5e6),
        ];
        let rows = compare(&runs, None);
        assert!(rows[1].avoided_usd.mean > rows[2].avoided_usd.mean);
        let ranks: Vec<(&str, usize)> = rows.iter().map(|r| (r.variant.as_str(), r.rank)).collect();
        assert_eq!(
            ranks,
            [("baseline", 4), ("dear", 3), ("cheap", 2), ("better", 1)]
        );
    }

    /// Avoided loss per dollar is undefined for a variant that costs
    /// nothing and for one so cheap the ratio would be infinite, never
    /// `inf`; a tiny cost whose ratio a double holds keeps it.
    #[test]
    fn a_ratio_past_the_largest_double_is_undefined() {
        let base = fake_run("baseline", 3, 0..50);
        let variant = |id: &str, cost: f64| {
            let mut r = fake_run(id, 3, 0..50);
            for x in &mut r.accumulated.trials.lost_usd {
                *x *= 0.5;
            }
            r.cost.total_over_horizon_usd = cost;
            r
        };
        let runs = [
            base,
            variant("free", 0.0),
            variant("subnormal", 5e-324),
            variant("tiny", 1e-300),
            variant("dear", 1e6),
        ];
        let rows = compare(&runs, None);
        let avoided = rows[1].avoided_usd.mean;
        assert!(avoided > 0.0, "{avoided}");
        let ratios: Vec<Option<f64>> = rows.iter().map(|r| r.avoided_usd_per_dollar).collect();
        assert_eq!(
            ratios,
            [
                None,
                None,
                None,
                Some(avoided / 1e-300),
                Some(avoided / 1e6)
            ]
        );
        assert_eq!(per_dollar(-avoided, 5e-324), None);
    }

    /// The unpaired half-width is Welch's t interval, not 1.96 SEs: with 12
    /// trials a side the t quantile lies between t(22) = 2.07 and t(11) = 2.20.
    #[test]
    fn unpaired_half_width_is_welch_t() {
        let runs = [fake_run("baseline", 3, 0..12), fake_run("other", 4, 0..12)];
        let rows = compare(&runs, None);
        let sb = Summary::of(&runs[0].accumulated.trials.lost_usd);
        let sv = Summary::of(&runs[1].accumulated.trials.lost_usd);
        let (sb_se, sv_se) = (sb.std_error.unwrap(), sv.std_error.unwrap());
        let se = (sb_se.powi(2) + sv_se.powi(2)).sqrt();
        assert!(sb_se > 0.0 && sv_se > 0.0, "both lost something");
        let got = rows[1].unpaired_ci95_half_width_usd.unwrap();
        assert_eq!(got, welch_ci95_half_width(sb_se, 12, sv_se, 12));
        let t = got / se;
        assert!(t >= t95(22) - 1e-12 && t <= t95(11) + 1e-12, "t {t}");
        // The variant's own interval is a t interval of its 12 trials.
        let own = rows[1].expected_lost_usd_ci95.unwrap();
        let half = (own[1] - own[0]) / 2.0;
        assert!((half - t95(11) * sv_se).abs() <= 1e-9 * half, "{half}");
        // Against itself the paired difference is 0 in every trial.
        assert_eq!(rows[0].avoided_usd.ci95, Some([0.0, 0.0]));
        // One trial a side: no interval of any kind.
        let runs = [fake_run("baseline", 3, 0..1), fake_run("other", 4, 0..1)];
        for r in compare(&runs, None) {
            assert_eq!(r.expected_lost_usd_ci95, None);
            assert_eq!(r.unpaired_ci95_half_width_usd, None);
            assert_eq!((r.avoided_usd.std_error, r.avoided_usd.ci95), (None, None));
            assert_eq!(r.avoided_units.ci95, None);
        }
    }
}
