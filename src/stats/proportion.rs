//! Probabilities estimated as the fraction of trials where something happened.

use serde::Serialize;

use super::Z95;

/// `count` of `n` trials, with its standard error and Wilson score interval.
///
/// Wilson rather than `p ± 1.96 SE` because the probabilities that matter
/// here (a severe loss) are often near 0, where the normal interval
/// collapses to a point or leaves [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Proportion {
    pub count: u64,
    pub n: u64,
    pub estimate: f64,
    /// `√(p (1 − p) / n)`.
    pub std_error: f64,
    /// Wilson score 95 % interval.
    pub ci95: [f64; 2],
}

impl Proportion {
    pub fn new(count: u64, n: u64) -> Proportion {
        if n == 0 {
            return Proportion {
                count,
                n,
                estimate: 0.0,
                std_error: 0.0,
                ci95: [0.0, 1.0],
            };
        }
        let nf = n as f64;
        let p = count as f64 / nf;
        let z2 = Z95 * Z95;
        let denom = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denom;
        let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
        // At the ends the Wilson bound is exactly 0 or 1; say so rather
        // than report rounding noise.
        let lo = if count == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        };
        let hi = if count >= n {
            1.0
        } else {
            (centre + half).min(1.0)
        };
        Proportion {
            count,
            n,
            estimate: p,
            std_error: (p * (1.0 - p) / nf).sqrt(),
            ci95: [lo, hi],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_known_values() {
        // 10 of 100: Wilson 95 % interval is [0.0552, 0.1744].
        let p = Proportion::new(10, 100);
        assert_eq!(p.estimate, 0.1);
        assert!((p.ci95[0] - 0.05523).abs() < 1e-4, "{:?}", p.ci95);
        assert!((p.ci95[1] - 0.17437).abs() < 1e-4, "{:?}", p.ci95);
        assert!((p.std_error - 0.03).abs() < 1e-12);
    }

    #[test]
    fn zero_events_still_give_an_upper_bound() {
        let p = Proportion::new(0, 1000);
        assert_eq!(p.ci95[0], 0.0);
        assert!(p.ci95[1] > 0.003 && p.ci95[1] < 0.004, "{:?}", p.ci95);
        let all = Proportion::new(1000, 1000);
        assert_eq!(all.ci95[1], 1.0);
    }
}
