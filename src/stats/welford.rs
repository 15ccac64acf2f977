//! Welford's running mean and variance, with an exact pairwise merge.
//!
//! Used wherever a mean and its standard error are needed without keeping
//! the values. The merge is Chan et al.'s parallel formula: merging two
//! accumulators gives the same statistics (up to rounding) as one pass over
//! the concatenated values. Reports fold values in trial order so that
//! their figures do not depend on how a run was split.

use serde::{Deserialize, Serialize};

/// Count, mean and sum of squared deviations of the values pushed so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Combines with the statistics of another, disjoint set of values.
    pub fn merge(&mut self, other: &Welford) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let (na, nb) = (self.n as f64, other.n as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += other.m2 + delta * delta * na * nb / n as f64;
        self.n = n;
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean; 0 for no values (an empty run lost nothing).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample variance (n − 1 denominator); `None` for fewer than two
    /// values, whose spread is unknown.
    pub fn variance(&self) -> Option<f64> {
        (self.n >= 2).then(|| (self.m2 / (self.n - 1) as f64).max(0.0))
    }

    /// Sample standard deviation; `None` for fewer than two values.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Monte Carlo standard error of the mean, `s / √n`; `None` for fewer
    /// than two values (a single value gives no `s`: reporting 0 would
    /// claim the mean exact).
    pub fn std_error(&self) -> Option<f64> {
        self.variance().map(|v| (v / self.n as f64).sqrt())
    }

    /// Half-width of the 95 % confidence interval of the mean,
    /// `t95(n − 1) · SE`, with Student's t quantile for `n − 1` degrees of
    /// freedom (the standard error is estimated from the same values: for
    /// few of them the normal 1.96 gives intervals far too narrow). `None`
    /// for fewer than two values, whose spread, and so interval, is
    /// unknown.
    pub fn ci95_half_width(&self) -> Option<f64> {
        self.std_error().map(|se| super::t95(self.n - 1) * se)
    }

    /// 95 % confidence interval of the mean, `mean ± t95(n − 1) · SE` (see
    /// [`Welford::ci95_half_width`]); `None` for fewer than two values.
    pub fn ci95(&self) -> Option<[f64; 2]> {
        self.ci95_half_width()
            .map(|h| [self.mean - h, self.mean + h])
    }
}

impl FromIterator<f64> for Welford {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut w = Welford::new();
        for x in iter {
            w.push(x);
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_pass(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn push_matches_two_pass() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 * 1.5e6)
            .collect();
        let w: Welford = xs.iter().copied().collect();
        let (m, v) = two_pass(&xs);
        assert!(close(w.mean(), m), "{} vs {m}", w.mean());
        let wv = w.variance().unwrap();
        assert!(close(wv, v), "{wv} vs {v}");
    }

    #[test]
    fn merge_matches_two_pass_for_every_split() {
        let xs: Vec<f64> = (0..257).map(|i| (i as f64).sin() * 1e9 + 3e9).collect();
        let (m, v) = two_pass(&xs);
        for cut in [0, 1, 2, 100, 256, 257] {
            let mut a: Welford = xs[..cut].iter().copied().collect();
            let b: Welford = xs[cut..].iter().copied().collect();
            a.merge(&b);
            assert_eq!(a.count(), 257);
            assert!(close(a.mean(), m), "cut {cut}: {} vs {m}", a.mean());
            let av = a.variance().unwrap();
            assert!(close(av, v), "cut {cut}: {av} vs {v}");
        }
    }

    /// `mean ± t(n − 1) SE`: the values 8, 10, 12 have mean 10, standard
    /// deviation 2, SE 2/√3 and 2 degrees of freedom (t = 4.3027), so the
    /// interval is 10 ± 4.9683; two values 9 and 11 give 10 ± 12.7062
    /// (the normal 1.96 gave ± 2.26 and ± 1.96).
    #[test]
    fn interval_uses_student_t() {
        let w: Welford = [8.0, 10.0, 12.0].into_iter().collect();
        let h = w.ci95_half_width().unwrap();
        assert!(
            (h - 4.302652729749464 * 2.0 / 3f64.sqrt()).abs() < 1e-12,
            "{h}"
        );
        assert_eq!(w.ci95(), Some([10.0 - h, 10.0 + h]));
        assert!((h - 4.9683).abs() < 5e-5, "{h}");
        let w: Welford = [9.0, 11.0].into_iter().collect();
        let [lo, hi] = w.ci95().unwrap();
        assert!(
            (hi - 22.7062).abs() < 5e-5 && (lo + 2.7062).abs() < 5e-5,
            "{lo} {hi}"
        );
        // Many values: t(9999) ≈ 1.9602.
        let w: Welford = (0..10_000).map(|i| f64::from(i % 7)).collect();
        let ratio = w.ci95_half_width().unwrap() / w.std_error().unwrap();
        assert!((ratio - 1.9602).abs() < 5e-5, "{ratio}");
    }

    /// With fewer than two values the spread is unknown: no variance,
    /// standard error or interval (formerly 0, and an interval of zero
    /// width that claimed the mean exact).
    #[test]
    fn empty_and_single() {
        let w = Welford::new();
        assert_eq!(w.mean(), 0.0);
        assert_eq!(
            (w.variance(), w.std_dev(), w.std_error()),
            (None, None, None)
        );
        assert_eq!((w.ci95_half_width(), w.ci95()), (None, None));
        let w: Welford = [5.0].into_iter().collect();
        assert_eq!(w.mean(), 5.0);
        assert_eq!(
            (w.variance(), w.std_dev(), w.std_error()),
            (None, None, None)
        );
        assert_eq!((w.ci95_half_width(), w.ci95()), (None, None));
        // Two equal values: a spread of 0 is known.
        let w: Welford = [5.0, 5.0].into_iter().collect();
        assert_eq!((w.std_error(), w.ci95()), (Some(0.0), Some([5.0, 5.0])));
    }
}
