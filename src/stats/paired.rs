//! Paired comparison of two variants run on the same trials.
//!
//! Under common random numbers trial `i` of every variant sees the same
//! shocks, so the per-trial difference removes most of the shock-to-shock
//! variance and its interval is far tighter than that of two independent
//! means.

use serde::Serialize;

use super::{Proportion, Welford};

/// Baseline loss minus variant loss, per trial: positive means the variant
/// avoided loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PairedDifference {
    pub n: u64,
    /// Mean avoided loss.
    pub mean: f64,
    /// `None` for fewer than two trials, as for every mean.
    pub std_error: Option<f64>,
    /// `mean ± t95(n − 1) SE`, Student's t with `n − 1` degrees of freedom
    /// (the differences are one sample of `n` values); `None` for fewer
    /// than two trials.
    pub ci95: Option<[f64; 2]>,
    /// Trials where the variant lost less (beyond [`TIE_TOLERANCE`]).
    pub variant_better: Proportion,
    /// Trials where the variant lost more (beyond [`TIE_TOLERANCE`]).
    pub variant_worse: Proportion,
}

/// Two losses within this fraction of the larger are a tie. A policy that
/// does nothing in a trial still runs through a different compiled network
/// (other targets, shares, capacities), so its loss can differ from the
/// baseline's in the last bits of long floating-point sums (relative
/// differences near 1e-15 to 1e-12); counted as better or worse, such trials
/// would make `P(better)` and `P(worse)` report rounding.
pub const TIE_TOLERANCE: f64 = 1e-9;

/// Compares `variant` against `baseline`, both in trial order.
///
/// # Panics
/// If the slices differ in length: they must come from the same trials.
pub fn paired_difference(baseline: &[f64], variant: &[f64]) -> PairedDifference {
    assert_eq!(
        baseline.len(),
        variant.len(),
        "paired difference needs the same trials for both variants"
    );
    let mut w = Welford::new();
    let (mut better, mut worse) = (0u64, 0u64);
    for (&b, &v) in baseline.iter().zip(variant) {
        w.push(b - v);
        let tie = TIE_TOLERANCE * b.abs().max(v.abs());
        better += u64::from(b - v > tie);
        worse += u64::from(v - b > tie);
    }
    let n = w.count();
    PairedDifference {
        n,
        mean: w.mean(),
        std_error: w.std_error(),
        ci95: w.ci95(),
        variant_better: Proportion::new(better, n),
        variant_worse: Proportion::new(worse, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_of_known_samples() {
        let base = [10.0, 20.0, 30.0, 40.0];
        let var = [9.0, 18.0, 30.0, 41.0];
        let d = paired_difference(&base, &var);
        assert_eq!(d.n, 4);
        assert_eq!(d.mean, (1.0 + 2.0 + 0.0 - 1.0) / 4.0);
        assert_eq!(d.variant_better.count, 2);
        assert_eq!(d.variant_worse.count, 1);
        let [lo, hi] = d.ci95.unwrap();
        assert!(lo < d.mean && d.mean < hi);
    }

    /// The interval of the mean difference uses t with n − 1 degrees of
    /// freedom: differences 1, 2, 0, −1 have mean 0.5, standard deviation
    /// √(5/3), SE √(5/3)/2 = 0.6455 and t(3) = 3.1824, so 0.5 ± 2.0543
    /// (the normal 1.96 gave ± 1.2652).
    #[test]
    fn paired_interval_uses_student_t() {
        let d = paired_difference(&[10.0, 20.0, 30.0, 40.0], &[9.0, 18.0, 30.0, 41.0]);
        let se = (5.0f64 / 3.0).sqrt() / 2.0;
        assert!((d.std_error.unwrap() - se).abs() < 1e-12);
        let half = 3.1824463052837095 * se;
        let [lo, hi] = d.ci95.unwrap();
        assert!((lo - (0.5 - half)).abs() < 1e-12, "{lo}");
        assert!((hi - (0.5 + half)).abs() < 1e-12, "{hi}");
        assert!((half - 2.0543).abs() < 5e-5, "{half}");
    }

    /// One trial: the difference is known, its spread is not.
    #[test]
    fn one_pair_has_no_interval() {
        let d = paired_difference(&[10.0], &[4.0]);
        assert_eq!((d.n, d.mean), (1, 6.0));
        assert_eq!((d.std_error, d.ci95), (None, None));
        assert_eq!(d.variant_better.count, 1);
    }

    #[test]
    fn rounding_level_differences_are_ties() {
        let base = [2.3511327077935314e10, 100.0, 0.0, 50.0];
        let var = [
            2.3511327077935318e10,
            100.0 * (1.0 - 1e-12),
            0.0,
            50.0 * (1.0 + 1e-6),
        ];
        let d = paired_difference(&base, &var);
        assert_eq!(d.variant_better.count, 0);
        assert_eq!(d.variant_worse.count, 1);
        // The mean difference is not rounded: ties only affect the counts.
        assert!(d.mean < 0.0);
    }

    #[test]
    fn pairing_is_tighter_than_independent_means() {
        // Shared noise dominates; the variant saves 5 % of every loss.
        let base: Vec<f64> = (0..1000).map(|i| ((i * 37 % 101) as f64).powi(2)).collect();
        let var: Vec<f64> = base.iter().map(|b| b * 0.95).collect();
        let d = paired_difference(&base, &var);
        let indep = Welford::from_iter(base.iter().copied())
            .std_error()
            .unwrap();
        assert!(d.std_error.unwrap() < indep / 10.0);
        assert!(d.ci95.unwrap()[0] > 0.0);
    }
}
