//! Exact, order-independent sums in fixed point.
//!
//! Floating-point addition is not associative, so a sum folded in a
//! different order (another thread count, a run split into shards) differs
//! in its last bits. Here each value is rounded once, on its own, to a
//! multiple of `2^-FRAC` and the integers are added: the total is the same
//! whatever the order or grouping, which is what lets shards merge into
//! exactly the result of one run.

use serde::{Deserialize, Serialize};

/// A sum of values each rounded to a multiple of 2⁻⁸⁰ (about 8·10⁻²⁵), in a
/// 256-bit two's-complement integer.
///
/// Both ends matter: the breakdowns sum per-trial losses of up to about
/// 10¹⁵ USD over up to billions of trials, and also losses of a millionth
/// of a dollar, which a resolution of 2⁻²⁴ (6·10⁻⁸) kept to within 6 %
/// (their squares, in [`FixedMoments`], are kept whole). One value's
/// magnitude is capped at [`FixedSum::MAX_VALUE`] (about 2.6·10³³;
/// infinities are capped, NaN counts as 0), so that a sum of up to 2⁶⁴
/// values, however grouped, never leaves the 256 bits: the sum is exact,
/// and adding and merging are associative and commutative without
/// exception.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSum {
    /// The total in units of 2⁻⁸⁰, two's complement, least significant
    /// 64 bits first.
    limbs: [u64; 4],
}

/// Bits of [`FixedSum`] below the binary point.
const FRAC: i32 = 80;

/// `2^e` for an exponent of a normal double, exactly.
const fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

impl FixedSum {
    /// The largest magnitude one value keeps: the largest double below
    /// 2¹¹¹, so that a value is below 2¹⁹¹ units and 2⁶⁴ of them below
    /// 2²⁵⁵.
    pub const MAX_VALUE: f64 = f64::from_bits(((1023 + 110) << 52) | ((1 << 52) - 1));

    /// The fixed-point value of `x`, `round(x · 2⁸⁰)` (halves away from
    /// zero): a pure function of `x` alone.
    fn quantise(x: f64) -> [u64; 4] {
        if x.is_nan() {
            return [0; 4];
        }
        // Scaling by a power of two is exact (the product is below 2¹⁹¹,
        // and a subnormal `x` only gains exponent), so this rounds once.
        let y = (x.clamp(-Self::MAX_VALUE, Self::MAX_VALUE) * pow2(FRAC)).round();
        let a = y.abs();
        let mut mag = [0u64; 4];
        if a < pow2(127) {
            let v = a as u128;
            mag[0] = v as u64;
            mag[1] = (v >> 64) as u64;
        } else {
            // An integer of 128 to 191 bits: its 53-bit significand,
            // shifted into place.
            let bits = a.to_bits();
            let exp = ((bits >> 52) & 0x7ff) as usize - 1023;
            let m = (bits & ((1 << 52) - 1)) | (1 << 52);
            let s = exp - 52;
            let (w, b) = (s / 64, s % 64);
            mag[w] = m << b;
            if b > 0 {
                mag[w + 1] = m >> (64 - b);
            }
        }
        if y < 0.0 { negate(mag) } else { mag }
    }

    /// Adds `x`, rounded to a multiple of 2⁻⁸⁰.
    #[inline]
    pub fn add(&mut self, x: f64) {
        add_to(&mut self.limbs, &Self::quantise(x));
    }

    /// Adds the sum of another, disjoint set of values.
    pub fn merge(&mut self, other: &Self) {
        add_to(&mut self.limbs, &other.limbs);
    }

    fn is_negative(&self) -> bool {
        self.limbs[3] >> 63 == 1
    }

    /// The magnitude of the total, in units of 2⁻⁸⁰.
    fn magnitude(&self) -> [u64; 4] {
        if self.is_negative() {
            negate(self.limbs)
        } else {
            self.limbs
        }
    }

    /// The total, correctly rounded to a double.
    pub fn value(&self) -> f64 {
        let v = to_f64(&self.magnitude()) * pow2(-FRAC);
        if self.is_negative() { -v } else { v }
    }
}

/// The sum of values and the sum of their squares, each value rounded to a
/// multiple of 2⁻⁸⁰ as in [`FixedSum`] and squared exactly: the squares are
/// kept whole, in units of 2⁻¹⁶⁰ in a 512-bit integer, so a square of
/// 10⁻¹² is kept as surely as one of 10³⁰ (a sum of squares rounded to
/// whole units lost every square below ½). Exact, so adding and merging
/// are associative and commutative, as for [`FixedSum`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedMoments {
    sum: FixedSum,
    /// Σ q² of the values `q` in units of 2⁻⁸⁰, least significant 64 bits
    /// first. Each `q²` is below 2³⁸², so 2⁶⁴ of them stay below 2⁴⁴⁶.
    sum_sq: [u64; 8],
}

impl FixedMoments {
    /// Adds `x` (rounded as [`FixedSum::add`] rounds it) and its square.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let q = FixedSum::quantise(x);
        add_to(&mut self.sum.limbs, &q);
        let m = if q[3] >> 63 == 1 { negate(q) } else { q };
        add_to(&mut self.sum_sq, &mul(&m, &m));
    }

    /// Adds the moments of another, disjoint set of values.
    pub fn merge(&mut self, other: &Self) {
        self.sum.merge(&other.sum);
        add_to(&mut self.sum_sq, &other.sum_sq);
    }

    /// The sum of the values, correctly rounded.
    pub fn sum(&self) -> f64 {
        self.sum.value()
    }

    /// The sample variance `(Σx² − (Σx)²/n) / (n − 1)` of `n` values (the
    /// values added, and as many zeros as make up `n`), computed on the
    /// integers, `n Σq² − (Σq)²`, and rounded once: without the
    /// cancellation that ruins `Σx²/n − mean²` in floating point when the
    /// values vary little (identical values give exactly 0). `None` for
    /// fewer than two values: one value says nothing of the spread.
    pub fn sample_variance(&self, n: u64) -> Option<f64> {
        if n < 2 {
            return None;
        }
        let s = self.sum.magnitude();
        // Both below 2⁵¹¹: n < 2⁶⁴ times Σq² < 2⁴⁴⁶, and (Σq)² < 2⁵¹⁰.
        let scaled = mul_small(&self.sum_sq, n);
        let square = mul(&s, &s);
        // Never negative (Cauchy–Schwarz) when `n` counts every value
        // added; a smaller `n` is a caller's slip, read as no spread.
        let diff = if greater(&scaled, &square) {
            sub(&scaled, &square)
        } else {
            [0; 8]
        };
        let nf = n as f64;
        Some(to_f64(&diff) * pow2(-2 * FRAC) / nf / (nf - 1.0))
    }
}

/// `acc += x`, modulo 2^(64 N).
#[inline]
fn add_to<const N: usize>(acc: &mut [u64; N], x: &[u64; N]) {
    let mut carry = false;
    for (a, &b) in acc.iter_mut().zip(x) {
        let (s, c1) = a.overflowing_add(b);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        *a = s;
        carry = c1 || c2;
    }
}

/// `−x`, modulo 2²⁵⁶.
fn negate(x: [u64; 4]) -> [u64; 4] {
    let mut out = x.map(|l| !l);
    add_to(&mut out, &[1, 0, 0, 0]);
    out
}

/// The full 512-bit product of two 256-bit magnitudes.
fn mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
    let mut r = [0u64; 8];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.iter().enumerate() {
            // At most (2⁶⁴ − 1)² + 2 (2⁶⁴ − 1) = 2¹²⁸ − 1: no overflow.
            let t = u128::from(x) * u128::from(y) + u128::from(r[i + j]) + carry;
            r[i + j] = t as u64;
            carry = t >> 64;
        }
        r[i + 4] = carry as u64;
    }
    r
}

/// `x · n`, for a product that stays within the 512 bits.
fn mul_small(x: &[u64; 8], n: u64) -> [u64; 8] {
    let mut out = [0u64; 8];
    let mut carry = 0u128;
    for (o, &l) in out.iter_mut().zip(x) {
        let t = u128::from(l) * u128::from(n) + carry;
        *o = t as u64;
        carry = t >> 64;
    }
    out
}

fn greater(a: &[u64; 8], b: &[u64; 8]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Greater
}

/// `a − b` for `a ≥ b`.
fn sub(a: &[u64; 8], b: &[u64; 8]) -> [u64; 8] {
    let mut out = [0u64; 8];
    let mut borrow = false;
    for i in 0..8 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

/// The 64 bits of `x` from bit `at` up (zeros beyond its end).
fn word_at(x: &[u64], at: usize) -> u64 {
    let (w, b) = (at / 64, at % 64);
    let lo = x.get(w).map_or(0, |&l| l >> b);
    let hi = if b == 0 {
        0
    } else {
        x.get(w + 1).map_or(0, |&l| l << (64 - b))
    };
    lo | hi
}

/// An unsigned integer of little-endian 64-bit limbs, correctly rounded to
/// a double (to nearest, ties to even).
fn to_f64(x: &[u64]) -> f64 {
    let Some(top) = x.iter().rposition(|&l| l != 0) else {
        return 0.0;
    };
    let bits = 64 * top + 64 - x[top].leading_zeros() as usize;
    if bits <= 128 {
        let v = u128::from(x[0]) | u128::from(x.get(1).copied().unwrap_or(0)) << 64;
        return v as f64;
    }
    // Its 128 leading bits, with a sticky bit for any set below them: a
    // double keeps 53, so the conversion of these rounds as the whole
    // would.
    let shift = bits - 128;
    let lead = u128::from(word_at(x, shift)) | u128::from(word_at(x, shift + 64)) << 64;
    let (w, b) = (shift / 64, shift % 64);
    let below = x[..w].iter().any(|&l| l != 0) || x[w] & ((1u64 << b) - 1) != 0;
    (lead | u128::from(below)) as f64 * pow2(shift as i32)
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

    fn sum_of(xs: impl IntoIterator<Item = f64>) -> FixedSum {
        let mut s = FixedSum::default();
        xs.into_iter().for_each(|x| s.add(x));
        s
    }

    #[test]
    fn order_and_grouping_do_not_matter() {
        let xs: Vec<f64> = (0..500)
            .map(|i| (i as f64 * 0.37).exp() % 1e12 + 0.1)
            .collect();
        let fwd = sum_of(xs.iter().copied());
        let rev = sum_of(xs.iter().rev().copied());
        let mut a = sum_of(xs[..123].iter().copied());
        a.merge(&sum_of(xs[123..].iter().copied()));
        assert_eq!(fwd, rev);
        assert_eq!(fwd, a);
        let float: f64 = xs.iter().sum();
        assert!((fwd.value() - float).abs() <= 1e-12 * float);
    }

    /// Squares far below 1 and far above 10³⁰ are both kept: a resolution
    /// of 1 (the former sum of squares) rounded 100 squares of 10⁻⁴ to 0,
    /// and 2⁻²⁴ (the former sum of losses) a third to 0.33333331.
    #[test]
    fn tiny_and_huge_values_are_kept() {
        let tiny = sum_of(std::iter::repeat_n(1e-4 * 1e-4, 100));
        assert!((tiny.value() - 1e-6).abs() < 1e-18, "{}", tiny.value());
        let third = sum_of([1.0 / 3.0]);
        assert!((third.value() - 1.0 / 3.0).abs() < 1e-24);
        let big = 1e15f64 * 1e15;
        let huge = sum_of(std::iter::repeat_n(big, 1000));
        assert_eq!(huge.value(), big * 1000.0);
        // The extremes of one value, and past them.
        let max = sum_of([FixedSum::MAX_VALUE]);
        assert_eq!(max.value(), FixedSum::MAX_VALUE);
        let min = sum_of([-FixedSum::MAX_VALUE]);
        assert_eq!(min.value(), -FixedSum::MAX_VALUE);
        assert_eq!(sum_of([f64::INFINITY]), max);
        assert_eq!(sum_of([1e300]), max);
        assert_eq!(sum_of([f64::NEG_INFINITY]), min);
        assert_eq!(sum_of([f64::NAN, 2.5]).value(), 2.5);
        // Below half a unit: nothing; a half rounds away from zero.
        assert_eq!(sum_of([1e-30, f64::MIN_POSITIVE]).value(), 0.0);
        let unit = 2f64.powi(-80);
        assert_eq!(sum_of([0.5 * unit]).value(), unit);
        assert_eq!(sum_of([-1.5 * unit]).value(), -2.0 * unit);
    }

    /// Every value is read back exactly when it is a multiple of 2⁻⁸⁰
    /// within range, whatever its sign, and totals that cross zero and
    /// the 64- and 128-bit limb boundaries carry exactly.
    #[test]
    fn values_round_trip_and_carries_cross_limbs() {
        for x in [
            0.0,
            1.0,
            -1.0,
            0.1,
            -3.0 * 2f64.powi(-70),
            2f64.powi(-80),
            2f64.powi(47) - 1.0,
            2f64.powi(48),
            -2f64.powi(48),
            2f64.powi(100) * 3.0,
            -7.25e30,
            2f64.powi(110) * 1.5,
        ] {
            assert_eq!(sum_of([x]).value(), x, "{x:e}");
            assert_eq!(sum_of([x, -x]), FixedSum::default(), "{x:e}");
        }
        // 2⁴⁸ in units of 2⁻⁸⁰ is 2¹²⁸: the carry into the third limb.
        let mut s = sum_of([2f64.powi(48) - 2f64.powi(-4)]);
        s.add(2f64.powi(-4));
        assert_eq!(s, sum_of([2f64.powi(48)]));
        let mut s = sum_of([-3.0]);
        s.add(5.5);
        assert_eq!(s.value(), 2.5);
        // A total beyond what one value may be, correctly rounded.
        let mut s = sum_of(std::iter::repeat_n(FixedSum::MAX_VALUE, 1 << 20));
        assert_eq!(s.value(), FixedSum::MAX_VALUE * 2f64.powi(20));
        s.merge(&sum_of([2f64.powi(-80)]));
        assert_eq!(s.value(), FixedSum::MAX_VALUE * 2f64.powi(20));
    }

    fn moments_of(xs: &[f64]) -> FixedMoments {
        let mut m = FixedMoments::default();
        xs.iter().for_each(|&x| m.add(x));
        m
    }

    /// The variance from exact sums: the two-pass value, also where the
    /// values vary little against their size (`Σx²/n − mean²` in floating
    /// point, or squares rounded to doubles, leave only rounding there);
    /// exactly 0 for identical values; undefined for one value.
    #[test]
    fn sample_variance_from_exact_sums() {
        let check = |xs: &[f64]| {
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let two_pass = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
            let m = moments_of(xs);
            let v = m.sample_variance(xs.len() as u64).unwrap();
            assert!(
                (v - two_pass).abs() <= 1e-12 * two_pass,
                "{v} vs {two_pass}"
            );
            assert_eq!(m.sum(), sum_of(xs.iter().copied()).value());
        };
        check(&[1.0, 2.0, 3.0, 4.0]);
        check(&[1e-4, 0.0, 0.0, 3e-4, 0.0, 2e-4]);
        check(&[1e-9, 3e-9]);
        check(&[1e12 + 1.0, 1e12 + 2.0, 1e12 + 3.0]);
        check(&[1e15, 0.0, 2e15]);
        check(
            &(0..1000)
                .map(|i| ((i * 7919) % 1013) as f64 * 1.5e11)
                .collect::<Vec<_>>(),
        );
        assert_eq!(moments_of(&[0.1; 1000]).sample_variance(1000), Some(0.0));
        // Zeros not added count as values.
        let v = moments_of(&[2.0]).sample_variance(2).unwrap();
        assert_eq!(v, 2.0);
        assert_eq!(moments_of(&[3.0]).sample_variance(1), None);
        assert_eq!(FixedMoments::default().sample_variance(0), None);
        assert_eq!(FixedMoments::default().sample_variance(5), Some(0.0));
        // Order and grouping do not matter.
        let xs: Vec<f64> = (0..300).map(|i| (i as f64).sin() * 1e9 + 3e9).collect();
        let mut a = moments_of(&xs[..77]);
        a.merge(&moments_of(&xs[77..]));
        let mut rev = xs.clone();
        rev.reverse();
        assert_eq!(a, moments_of(&xs));
        assert_eq!(a, moments_of(&rev));
        // The largest values square without overflow.
        let big = [FixedSum::MAX_VALUE, -FixedSum::MAX_VALUE];
        let v = moments_of(&big).sample_variance(2).unwrap();
        assert_eq!(v, 2.0 * FixedSum::MAX_VALUE * FixedSum::MAX_VALUE);
    }

    #[test]
    fn unit_sum_is_exact_for_simple_fractions() {
        let mut s = UnitSum::default();
        for x in [0.25f32, 0.5, 1.0, 0.0, 1.5, -1.0] {
            s.add(x);
        }
        assert_eq!(s.value(), 2.75);
    }
}
