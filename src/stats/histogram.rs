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

/// Values counted.
pub fn count(counts: &[u32]) -> u64 {
    counts.iter().map(|&c| u64::from(c)).sum()
}

/// The rank of `Q(p)` among `n ≥ 1` values, `k = max(1, ceil(n p))` (with
/// the guard of the exact quantiles against `0.95 · 100 =
/// 95.00000000000001`).
pub fn rank(n: u64, p: f64) -> u64 {
    ((n as f64 * p - 1e-9).ceil() as u64).clamp(1, n)
}

/// `Q(p)` (rank `k = max(1, ceil(n p))`, as for exact quantiles) from slot
/// counts; exact at 0 and 1. Within a regular bin `[lo, lo + w)` holding
/// `c` values, the `j`-th of them is read at the midpoint rule
/// `lo + (j − ½)/c · w`, as if the values were spread evenly over the bin
/// (each at the middle of its `1/c` share). So a bin's values are placed
/// symmetrically about its centre, one value alone at the centre, and the
/// error is under `w` (half a percent) either way, where the rule
/// `lo + j/c · w` put a lone value at the bin's upper edge and biased every
/// reading up by `w/(2c)`.
pub fn quantile(counts: &[u32], p: f64) -> f64 {
    debug_assert_eq!(counts.len(), SLOTS);
    let n = count(counts);
    if n == 0 {
        return 0.0;
    }
    let k = rank(n, p);
    let mut before = 0u64;
    for (s, &c) in counts.iter().enumerate() {
        let c = u64::from(c);
        if before + c >= k {
            return match s {
                0 => 0.0,
                s if s == SLOTS - 1 => 1.0,
                s => {
                    let lo = (s - 1) as f64 / BINS as f64;
                    let j = (k - before) as f64;
                    lo + (j - 0.5) / c as f64 / BINS as f64
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

    /// One value alone in its bin reads at the bin's centre, not its upper
    /// edge; `c` values at `lo + (j − ½)/c · w`.
    #[test]
    fn midpoint_rule_within_a_bin() {
        // 0.8013 is in bin [0.800, 0.805).
        let h = hist(&[0.8013]);
        for p in [0.05, 0.5, 0.95] {
            assert!((quantile(&h, p) - 0.8025).abs() < 1e-12, "p {p}");
        }
        // Four values in [0.100, 0.105): 0.100625, 0.101875, 0.103125, 0.104375.
        let h = hist(&[0.1001, 0.1002, 0.1003, 0.1004]);
        for (p, want) in [
            (0.25, 0.100625),
            (0.5, 0.101875),
            (0.75, 0.103125),
            (1.0, 0.104375),
        ] {
            assert!((quantile(&h, p) - want).abs() < 1e-12, "p {p}");
        }
    }

    /// Values spread evenly over the bins read without bias: the old rule
    /// read every band of this sample `w/(2c)` high.
    #[test]
    fn evenly_spread_values_read_without_bias() {
        // Ten values per bin, at the middles of their tenths.
        let xs: Vec<f32> = (0..2000).map(|i| (i as f32 + 0.5) / 2000.0).collect();
        let h = hist(&xs);
        for p in [0.05, 0.5, 0.95] {
            let k = (2000.0 * p - 1e-9f64).ceil();
            let exact = (k - 0.5) / 2000.0;
            let q = quantile(&h, p);
            assert!((q - exact).abs() < 1e-6, "p {p}: {q} vs {exact}");
        }
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
