//! Exact, order-independent sums in fixed point.
//!
//! Floating-point addition is not associative, so a sum folded in a
//! different order (another thread count, a run split into shards) differs
//! in its last bits. Here each value is rounded once, on its own, to a
//! multiple of `2^-FRAC` and the integers are added: the total is the same
//! whatever the order or grouping, which is what lets shards merge into
//! exactly the result of one run.

use serde::{Deserialize, Serialize};

/// A sum of values each rounded to a multiple of `2^-FRAC`.
///
/// With `FRAC = 24` (used for USD and units) the resolution is about
/// 6·10⁻⁸ and totals up to about 10³¹ are exact; with `FRAC = 0` (used for
/// sums of squares) the resolution is 1 and totals reach about 10³⁸.
/// Values beyond the range saturate rather than wrap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSum<const FRAC: u32> {
    raw: i128,
}

impl<const FRAC: u32> FixedSum<FRAC> {
    const SCALE: f64 = (1u128 << FRAC) as f64;

    /// The fixed-point value of `x`: a pure function of `x` alone.
    #[inline]
    fn quantise(x: f64) -> i128 {
        // `as` saturates and maps NaN to 0, so this cannot panic.
        (x * Self::SCALE).round() as i128
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        self.raw = self.raw.saturating_add(Self::quantise(x));
    }

    pub fn merge(&mut self, other: &Self) {
        self.raw = self.raw.saturating_add(other.raw);
    }

    pub fn value(&self) -> f64 {
        self.raw as f64 / Self::SCALE
    }
}

/// Sum of values in `[0, 1]` at a resolution of `2^-32`, in a `u64`:
/// compact enough for one per market and week, exact for up to 2³² trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSum {
    raw: u64,
}

impl UnitSum {
    const SCALE: f64 = 4_294_967_296.0;

    #[inline]
    pub fn add(&mut self, x: f32) {
        let q = (f64::from(x.clamp(0.0, 1.0)) * Self::SCALE).round() as u64;
        self.raw = self.raw.saturating_add(q);
    }

    pub fn merge(&mut self, other: &Self) {
        self.raw = self.raw.saturating_add(other.raw);
    }

    pub fn value(&self) -> f64 {
        self.raw as f64 / Self::SCALE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_grouping_do_not_matter() {
        let xs: Vec<f64> = (0..500)
            .map(|i| (i as f64 * 0.37).exp() % 1e12 + 0.1)
            .collect();
        let mut fwd = FixedSum::<24>::default();
        xs.iter().for_each(|&x| fwd.add(x));
        let mut rev = FixedSum::<24>::default();
        xs.iter().rev().for_each(|&x| rev.add(x));
        let (mut a, mut b) = (FixedSum::<24>::default(), FixedSum::<24>::default());
        xs[..123].iter().for_each(|&x| a.add(x));
        xs[123..].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        assert_eq!(fwd, rev);
        assert_eq!(fwd, a);
        let float: f64 = xs.iter().sum();
        assert!((fwd.value() - float).abs() <= 1e-9 * float);
    }

    #[test]
    fn unit_sum_is_exact_for_simple_fractions() {
        let mut s = UnitSum::default();
        for x in [0.25f32, 0.5, 1.0, 0.0, 1.5, -1.0] {
            s.add(x);
        }
        assert_eq!(s.value(), 2.75);
    }

    #[test]
    fn non_finite_values_cannot_panic() {
        let mut s = FixedSum::<24>::default();
        s.add(f64::NAN);
        s.add(f64::INFINITY);
        s.add(1.0);
        assert!(s.value() > 1e30);
    }
}
