//! Statistics over trials: mergeable accumulators and the estimators
//! reported for a run.
//!
//! Everything here is a pure function of per-trial values, so a figure
//! depends only on which trials were run, never on how (threads, shards).
//! Accumulators that must merge across shards sum integers ([`FixedSum`],
//! [`FixedMoments`],
//! histogram counts) so the merge is exact; floating-point estimators
//! ([`Welford`], [`Summary`]) fold values in trial order.

mod fixed;
pub mod histogram;
mod paired;
mod proportion;
mod quantile;
mod student_t;
mod survival;
mod welford;

pub use fixed::{FixedMoments, FixedSum, UnitSum};
pub use paired::{PairedDifference, TIE_TOLERANCE, paired_difference};
pub use proportion::Proportion;
pub use quantile::{
    ExceedancePoint, QUANTILE_DEFINITION, QuantileEstimate, Summary, cvar_sorted, exceedance_curve,
    quantile_estimate, quantile_sorted,
};
pub use student_t::{t95, welch_ci95_half_width};
pub use survival::{KaplanMeier, Observation};
pub use welford::Welford;

/// The two-sided 95 % normal quantile, `Φ⁻¹(0.975)`: used by the Wilson
/// interval of proportions and the order-statistic interval of quantiles.
/// Intervals of means use Student's t instead ([`t95`]).
pub const Z95: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod coverage {
    //! The intervals must mean what they say: over many independent
    //! replications of a known distribution, about 95 % of them cover the
    //! truth.
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    #[test]
    fn mean_interval_covers_the_true_mean_about_95_percent() {
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        let reps = 400;
        let mut covered = 0;
        for _ in 0..reps {
            // Uniform(0, 10): true mean 5.
            let w: Welford = (0..200).map(|_| rng.random::<f64>() * 10.0).collect();
            let [lo, hi] = w.ci95().unwrap();
            covered += usize::from(lo <= 5.0 && 5.0 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
    }

    /// With few values the interval must widen by Student's t: five normal
    /// values a replication, where `mean ± 1.96 SE` covers only about 88 %
    /// of the time and `mean ± t(4) SE` (2.776) 95 %.
    #[test]
    fn mean_interval_of_five_values_covers_about_95_percent() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut normal = || {
            // Box–Muller.
            let (u, v) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let reps = 4000;
        let (mut covered, mut covered_z) = (0, 0);
        for _ in 0..reps {
            // Normal(3, 2²).
            let w: Welford = (0..5).map(|_| 3.0 + 2.0 * normal()).collect();
            let [lo, hi] = w.ci95().unwrap();
            covered += usize::from(lo <= 3.0 && 3.0 <= hi);
            let h = Z95 * w.std_error().unwrap();
            covered_z += usize::from((w.mean() - 3.0).abs() <= h);
        }
        let rate = covered as f64 / reps as f64;
        let rate_z = covered_z as f64 / reps as f64;
        assert!((0.94..=0.96).contains(&rate), "coverage {rate}");
        assert!((0.86..=0.90).contains(&rate_z), "normal coverage {rate_z}");
    }

    #[test]
    fn wilson_interval_covers_the_true_probability_about_95_percent() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let reps = 400;
        let mut covered = 0;
        for _ in 0..reps {
            let hits = (0..500).filter(|_| rng.random::<f64>() < 0.2).count() as u64;
            let [lo, hi] = Proportion::new(hits, 500).ci95;
            covered += usize::from(lo <= 0.2 && 0.2 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
    }
}
