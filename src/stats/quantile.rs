//! Exact quantiles, CVaR and the exceedance curve from sorted per-trial values.
//!
//! A run keeps one loss per trial (8 bytes each), so quantiles need no
//! sketch: they are order statistics of the full sample, and their
//! Monte Carlo error comes from the binomial distribution of ranks.

use serde::Serialize;

use super::{Welford, Z95};

/// The quantile definition every figure uses, recorded in run manifests.
pub const QUANTILE_DEFINITION: &str = "inverse empirical CDF (Hyndman-Fan type 1): Q(p) is the k-th smallest of the n values, k = max(1, ceil(n p)); CVaR95 is the mean of the k = ceil(0.05 n) largest values";

/// Guards `ceil(n·p)` against `0.95 * 100 = 95.00000000000001`-style noise.
const RANK_EPS: f64 = 1e-9;

fn rank(n: usize, p: f64) -> usize {
    ((n as f64 * p - RANK_EPS).ceil() as usize).clamp(1, n)
}

/// `Q(p)` of an ascending slice (see [`QUANTILE_DEFINITION`]); 0 when empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[rank(sorted.len(), p) - 1]
}

/// A quantile with its Monte Carlo uncertainty.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct QuantileEstimate {
    pub p: f64,
    pub value: f64,
    /// Distribution-free 95 % interval: the order statistics `x₍lo₎` and
    /// `x₍hi₎` (1-based, ascending) at ranks `lo = floor(n p − h)` and
    /// `hi = ceil(n p + h)`, `h = 1.96 √(n p (1 − p))` (the normal
    /// approximation to the binomial count of values below the quantile),
    /// each rank clamped to `1 ..= n`. `None` for fewer than two values:
    /// one value bounds nothing.
    pub ci95: Option<[f64; 2]>,
    /// Width of that interval over 2 × 1.96 (= 3.92): the standard error a
    /// normal approximation would give. `None` with the interval.
    pub std_error: Option<f64>,
}

pub fn quantile_estimate(sorted: &[f64], p: f64) -> QuantileEstimate {
    let n = sorted.len();
    let ci95 = (n >= 2).then(|| {
        let nf = n as f64;
        let half = Z95 * (nf * p * (1.0 - p)).sqrt();
        let lo = ((nf * p - half).floor().max(1.0) as usize).min(n);
        let hi = ((nf * p + half).ceil().max(1.0) as usize).min(n);
        [sorted[lo - 1], sorted[hi - 1]]
    });
    QuantileEstimate {
        p,
        value: quantile_sorted(sorted, p),
        ci95,
        std_error: ci95.map(|[lo, hi]| (hi - lo) / (2.0 * Z95)),
    }
}

/// Expected shortfall beyond the `alpha` quantile (the mean of the worst
/// `1 − alpha` of trials) and its asymptotic standard error
/// `√((Var[L | L ≥ VaR] + α (CVaR − VaR)²) / (n (1 − α)))`, `None` for
/// fewer than two values (a tail of one value, among more, adds no
/// variance of its own: the gap to the VaR carries its uncertainty).
pub fn cvar_sorted(sorted: &[f64], alpha: f64) -> (f64, Option<f64>) {
    let n = sorted.len();
    if n == 0 {
        return (0.0, None);
    }
    // `ceil(n (1 − α))` values. `1 − 0.95` is 0.050000000000000044 in
    // floating point, and from about 2e7 trials that excess outgrows an
    // absolute guard (3e7 trials took 1,500,001 values): the guard is
    // relative.
    let k = ((n as f64 * (1.0 - alpha) * (1.0 - 1e-12)).ceil() as usize).clamp(1, n);
    let tail: Welford = sorted[n - k..].iter().copied().collect();
    let cvar = tail.mean();
    let var = quantile_sorted(sorted, alpha);
    let gap = cvar - var;
    let tail_var = tail.variance().unwrap_or(0.0);
    let se =
        (n >= 2).then(|| ((tail_var + alpha * (gap * gap)) / (n as f64 * (1.0 - alpha))).sqrt());
    (cvar, se)
}

/// One point of the loss exceedance curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ExceedancePoint {
    pub loss_usd: f64,
    /// `P(loss > loss_usd)` over the trials of the run.
    pub probability: f64,
}

/// `P(L > x)` at `x = 0` and at distinct losses of the sample, at most
/// `cap` points. With more distinct losses than that, the points are
/// chosen so that their exceedance probabilities are log-spaced from
/// `P(L > 0)` down to `1/n`: the tail, which is what the curve is read for,
/// keeps as many points as the body.
pub fn exceedance_curve(sorted: &[f64], cap: usize) -> Vec<ExceedancePoint> {
    let n = sorted.len();
    if n == 0 || cap == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let above = |x: f64| (n - sorted.partition_point(|&v| v <= x)) as f64 / nf;
    let mut xs: Vec<f64> = Vec::new();
    xs.push(0.0f64.min(sorted[0]));
    let positive = &sorted[sorted.partition_point(|&v| v <= 0.0)..];
    let mut distinct: Vec<f64> = positive.to_vec();
    distinct.dedup();
    if distinct.len() < cap {
        xs.extend(distinct);
    } else if !positive.is_empty() {
        // Exceedance counts c from |positive| down to 1, log-spaced; the loss
        // with exactly c - 1 values above it (ties aside) is sorted[n - c].
        let c_max = positive.len() as f64;
        for i in 0..cap - 1 {
            let t = i as f64 / (cap - 2).max(1) as f64;
            // libm::pow, not f64::powf: the platform's pow may differ in the
            // last bit between machines, which can move a rounded count and
            // so a point of exceedance.csv.
            let c = libm::pow(c_max, 1.0 - t).round().clamp(1.0, c_max) as usize;
            xs.push(sorted[n - c]);
        }
        xs.sort_by(f64::total_cmp);
        xs.dedup();
    }
    xs.into_iter()
        .map(|x| ExceedancePoint {
            loss_usd: x,
            probability: above(x),
        })
        .collect()
}

/// Location, spread, quantiles and tail of one per-trial metric. The
/// spread of fewer than two values is unknown: their `std_dev`,
/// `std_error`, `ci95`, quantile intervals and `cvar95_std_error` are
/// `None` (`null` in JSON, empty in CSV, `n/a` on the terminal), never 0.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    /// Sample standard deviation (`count − 1` denominator).
    pub std_dev: Option<f64>,
    /// Monte Carlo standard error of the mean, `std_dev / √count`.
    pub std_error: Option<f64>,
    /// `mean ± t95(count − 1) SE`: Student's t with `count − 1` degrees of
    /// freedom ([`super::t95`]).
    pub ci95: Option<[f64; 2]>,
    pub min: f64,
    pub max: f64,
    pub p50: QuantileEstimate,
    pub p90: QuantileEstimate,
    pub p95: QuantileEstimate,
    pub p99: QuantileEstimate,
    /// Mean of the worst 5 % of trials.
    pub cvar95: f64,
    pub cvar95_std_error: Option<f64>,
}

impl Summary {
    /// Summarises values given in trial order. The mean is folded in that
    /// order, so the same trials give the same bits however they were run.
    pub fn of(values: &[f64]) -> Summary {
        let w: Welford = values.iter().copied().collect();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self::of_sorted(&w, &sorted)
    }

    fn of_sorted(w: &Welford, sorted: &[f64]) -> Summary {
        let (cvar95, cvar95_std_error) = cvar_sorted(sorted, 0.95);
        Summary {
            count: w.count(),
            mean: w.mean(),
            std_dev: w.std_dev(),
            std_error: w.std_error(),
            ci95: w.ci95(),
            min: sorted.first().copied().unwrap_or(0.0),
            max: sorted.last().copied().unwrap_or(0.0),
            p50: quantile_estimate(sorted, 0.50),
            p90: quantile_estimate(sorted, 0.90),
            p95: quantile_estimate(sorted, 0.95),
            p99: quantile_estimate(sorted, 0.99),
            cvar95,
            cvar95_std_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_to(n: usize) -> Vec<f64> {
        (1..=n).map(|i| i as f64).collect()
    }

    #[test]
    fn quantiles_of_one_to_hundred() {
        let xs = one_to(100);
        assert_eq!(quantile_sorted(&xs, 0.5), 50.0);
        assert_eq!(quantile_sorted(&xs, 0.9), 90.0);
        assert_eq!(quantile_sorted(&xs, 0.95), 95.0);
        assert_eq!(quantile_sorted(&xs, 0.99), 99.0);
        assert_eq!(quantile_sorted(&xs, 0.0), 1.0);
        assert_eq!(quantile_sorted(&xs, 1.0), 100.0);
        assert_eq!(quantile_sorted(&xs, 0.501), 51.0);
    }

    #[test]
    fn quantiles_of_a_small_sample() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile_sorted(&xs, 0.5), 5.0);
        assert_eq!(quantile_sorted(&xs, 0.9), 9.0);
        assert_eq!(quantile_sorted(&xs, 0.95), 10.0);
        assert_eq!(quantile_sorted(&[], 0.5), 0.0);
    }

    #[test]
    fn cvar_is_the_mean_of_the_worst_five_percent() {
        let xs = one_to(100);
        let (cvar, se) = cvar_sorted(&xs, 0.95);
        assert_eq!(cvar, (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0);
        assert!(se.unwrap() > 0.0);
        // 10 values: the worst 5 % rounds up to one trial.
        let (cvar, _) = cvar_sorted(&one_to(10), 0.95);
        assert_eq!(cvar, 10.0);
        let (cvar, _) = cvar_sorted(&one_to(41), 0.95);
        assert_eq!(cvar, (39.0 + 40.0 + 41.0) / 3.0);
        // 3e7 trials: exactly 1,500,000 in the tail (`1 − 0.95` rounds up
        // in floating point, and took 1,500,001 with an absolute guard):
        // ones there, a zero just below it.
        let n = 30_000_000;
        let mut xs = vec![0.0; n];
        xs[n - 1_500_000..].fill(1.0);
        assert_eq!(cvar_sorted(&xs, 0.95).0, 1.0);
    }

    #[test]
    fn quantile_interval_brackets_the_estimate() {
        let xs = one_to(1000);
        let q = quantile_estimate(&xs, 0.9);
        assert_eq!(q.value, 900.0);
        let [lo, hi] = q.ci95.unwrap();
        assert!(lo < 900.0 && 900.0 < hi);
        // ±1.96 √(1000 · 0.9 · 0.1) ≈ ±18.6 ranks.
        assert_eq!([lo, hi], [881.0, 919.0]);
    }

    #[test]
    fn exceedance_with_few_distinct_losses() {
        let xs = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 10.0, 20.0, 30.0];
        let c = exceedance_curve(&xs, 200);
        let pts: Vec<(f64, f64)> = c.iter().map(|p| (p.loss_usd, p.probability)).collect();
        assert_eq!(pts, vec![(0.0, 0.4), (10.0, 0.2), (20.0, 0.1), (30.0, 0.0)]);
    }

    #[test]
    fn exceedance_is_capped_monotone_and_reaches_the_tail() {
        let xs = one_to(100_000);
        let c = exceedance_curve(&xs, 200);
        assert!(c.len() <= 200 && c.len() > 100, "{}", c.len());
        assert!(c.windows(2).all(|w| w[0].loss_usd < w[1].loss_usd));
        assert!(c.windows(2).all(|w| w[0].probability >= w[1].probability));
        assert_eq!(c.last().unwrap().loss_usd, 100_000.0);
        assert!(c.iter().filter(|p| p.probability <= 0.01).count() > 40);
    }

    /// The capped curve is exactly what docs/OUTPUTS.md says: the point at
    /// 0 and the c-th largest loss for c = round(m^(1 − i/198)), i = 0 ..=
    /// 198 (m positive losses), de-duplicated, so fewer than 200 points
    /// where the rounded counts coincide (near the tail) or losses tie.
    #[test]
    fn capped_exceedance_points_are_as_documented() {
        // 5000 zero losses and 20000 positive ones, in ties of two.
        let mut xs = vec![0.0; 5000];
        xs.extend((0..20_000).map(|i| f64::from(i / 2 + 1)));
        let (n, m) = (xs.len(), 20_000usize);
        let c = exceedance_curve(&xs, 200);
        let mut want: Vec<f64> = (0..199)
            .map(|i| {
                let t = f64::from(i) / 198.0;
                let c = libm::pow(m as f64, 1.0 - t).round().clamp(1.0, m as f64) as usize;
                xs[n - c]
            })
            .collect();
        want.push(0.0);
        want.sort_by(f64::total_cmp);
        want.dedup();
        let got: Vec<f64> = c.iter().map(|p| p.loss_usd).collect();
        assert_eq!(got, want);
        assert!(got.len() < 200, "{}", got.len());
        assert_eq!(c[0].probability, 0.8);
        for p in &c {
            let above = xs.iter().filter(|&&x| x > p.loss_usd).count();
            assert_eq!(p.probability, above as f64 / n as f64);
        }
    }

    #[test]
    fn summary_of_known_sample() {
        let s = Summary::of(&[3.0, 1.0, 2.0, 4.0]);
        assert_eq!(s.count, 4);
        assert_eq!(s.mean, 2.5);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert_eq!(s.p50.value, 2.0);
        assert_eq!(s.cvar95, 4.0);
        // SE = √(5/3)/2; t(3) = 3.1824.
        let half = 3.1824463052837095 * (5.0f64 / 3.0).sqrt() / 2.0;
        let [lo, hi] = s.ci95.unwrap();
        assert!((hi - 2.5 - half).abs() < 1e-12, "{lo} {hi}");
        assert!((2.5 - lo - half).abs() < 1e-12, "{lo} {hi}");
    }

    /// One value says nothing of the spread: every figure of it is
    /// undefined, none 0 (a run of one trial, or one recovered trial,
    /// read `21.0 ±0.0` with an interval [21, 21]).
    #[test]
    fn summary_of_one_value_has_no_spread() {
        let s = Summary::of(&[21.0]);
        assert_eq!((s.count, s.mean, s.min, s.max), (1, 21.0, 21.0, 21.0));
        assert_eq!((s.std_dev, s.std_error, s.ci95), (None, None, None));
        assert_eq!(s.cvar95_std_error, None);
        for q in [s.p50, s.p90, s.p95, s.p99] {
            assert_eq!((q.value, q.ci95, q.std_error), (21.0, None, None));
        }
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["std_error"].is_null() && json["ci95"].is_null());
        assert!(json["p95"]["ci95"].is_null());
        // Nor does none.
        let s = Summary::of(&[]);
        assert_eq!((s.count, s.std_error, s.ci95), (0, None, None));
        assert_eq!(s.p50.ci95, None);
        // Two equal values have a known spread of 0.
        let s = Summary::of(&[21.0, 21.0]);
        assert_eq!((s.std_error, s.ci95), (Some(0.0), Some([21.0, 21.0])));
        assert_eq!(s.p50.ci95, Some([21.0, 21.0]));
        assert_eq!(s.cvar95_std_error, Some(0.0));
    }

    /// Ranks of the quantile interval: n = 20, p = 0.5: h = 1.96 √5 = 4.38,
    /// ranks floor(5.62) = 5 and ceil(14.38) = 15; SE = (15 − 5)/3.92.
    /// Near the ends the ranks are clamped to 1 and n.
    #[test]
    fn quantile_interval_ranks_and_clamping() {
        let xs = one_to(20);
        let q = quantile_estimate(&xs, 0.5);
        assert_eq!((q.value, q.ci95), (10.0, Some([5.0, 15.0])));
        assert!((q.std_error.unwrap() - 10.0 / (2.0 * Z95)).abs() < 1e-12);
        let q = quantile_estimate(&xs, 0.99);
        // n p = 19.8, h = 0.87: ranks 18 and min(21, 20) = 20.
        assert_eq!((q.value, q.ci95), (20.0, Some([18.0, 20.0])));
        let q = quantile_estimate(&one_to(3), 0.05);
        assert_eq!(q.ci95, Some([1.0, 1.0]));
    }
}
