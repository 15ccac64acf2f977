//! Statistics over trials: mergeable accumulators and the estimators
//! reported for a run.
//!
//! Everything here is a pure function of per-trial values, so a figure
//! depends only on which trials were run, never on how (threads, shards).
//! Accumulators that must merge across shards sum integers ([`FixedSum`],
//! histogram counts) so the merge is exact; floating-point estimators
//! ([`Welford`], [`Summary`]) fold values in trial order.

mod fixed;
pub mod histogram;
mod paired;
mod proportion;
mod quantile;
mod welford;

pub use fixed::{FixedSum, UnitSum};
pub use paired::{PairedDifference, paired_difference};
pub use proportion::Proportion;
pub use quantile::{
    ExceedancePoint, QUANTILE_DEFINITION, QuantileEstimate, Summary, cvar_sorted, exceedance_curve,
    quantile_estimate, quantile_sorted,
};
pub use welford::Welford;

/// The two-sided 95 % normal quantile used by every interval.
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
            let [lo, hi] = w.ci95();
            covered += usize::from(lo <= 5.0 && 5.0 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
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
