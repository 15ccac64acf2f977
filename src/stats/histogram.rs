//! Fixed-bin histograms of fractions in [0, 1], for weekly fan charts.
//!
//! Keeping every week of every trial would cost trials × markets × weeks
//! floats; a histogram per market and week costs a fixed 202 counters and
//! merges exactly (integer counts), at a resolution of 0.5 % fulfilment.

/// Regular bins splitting (0, 1).
pub const BINS: usize = 200;
/// Slots per histogram: exactly 0, the regular bins, exactly 1. Complete
/// stoppage and full service are common and deserve exact answers.
pub const SLOTS: usize = BINS + 2;

/// The slot a fraction falls into (values outside [0, 1] are clamped).
#[inline]
pub fn slot(x: f32) -> usize {
    if x >= 1.0 {
        SLOTS - 1
    } else if x > 0.0 {
        1 + ((x * BINS as f32) as usize).min(BINS - 1)
    } else {
        // Also NaN: a missing value counts as no service.
        0
    }
}

/// `Q(p)` (rank `k = max(1, ceil(n p))`, as for exact quantiles) from slot
/// counts, interpolating linearly within a regular bin as if its values
/// were spread evenly; exact at 0 and 1.
pub fn quantile(counts: &[u32], p: f64) -> f64 {
    debug_assert_eq!(counts.len(), SLOTS);
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if n == 0 {
        return 0.0;
    }
    let k = ((n as f64 * p - 1e-9).ceil() as u64).clamp(1, n);
    let mut before = 0u64;
    for (s, &c) in counts.iter().enumerate() {
        let c = u64::from(c);
        if before + c >= k {
            return match s {
                0 => 0.0,
                s if s == SLOTS - 1 => 1.0,
                s => {
                    let lo = (s - 1) as f64 / BINS as f64;
                    lo + (k - before) as f64 / c as f64 / BINS as f64
                }
            };
        }
        before += c;
    }
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(xs: &[f32]) -> Vec<u32> {
        let mut h = vec![0u32; SLOTS];
        for &x in xs {
            h[slot(x)] += 1;
        }
        h
    }

    #[test]
    fn exact_ends() {
        let h = hist(&[1.0; 10]);
        assert_eq!(quantile(&h, 0.05), 1.0);
        let h = hist(&[0.0, 0.0, 1.0, 1.0]);
        assert_eq!(quantile(&h, 0.5), 0.0);
        assert_eq!(quantile(&h, 0.51), 1.0);
    }

    #[test]
    fn interpolates_within_half_a_percent() {
        let xs: Vec<f32> = (0..1000).map(|i| (i as f32 + 0.5) / 1000.0).collect();
        let h = hist(&xs);
        for p in [0.05, 0.5, 0.95] {
            let q = quantile(&h, p);
            assert!((q - p).abs() < 0.005, "p {p}: {q}");
        }
    }
}
