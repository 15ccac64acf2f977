//! The 97.5 % quantile of Student's t distribution: the multiplier of the
//! standard error in a two-sided 95 % interval of a mean.
//!
//! The normal 1.96 assumes the standard error is known; estimated from `n`
//! values it is itself uncertain, and the interval must be wider by the t
//! quantile with `n − 1` degrees of freedom: 12.71 for two values, 2.26 for
//! ten, 1.98 for a hundred. Beyond a few thousand values the two agree to
//! the digits printed.
//!
//! Exact values (to the last bit of an `f64`) are tabulated for 1 to 30
//! degrees of freedom; beyond, the Cornish–Fisher expansion of the t
//! quantile about the normal one (Fisher & Cornish 1960; Hill 1970,
//! Algorithm 396), to the fifth power of `1/ν`, is accurate to better than
//! 10⁻⁹ (7·10⁻¹⁰ at 31 degrees of freedom, its worst case). Only products,
//! sums and quotients are used, so the value is the same on every machine.

use super::Z95;

/// `t(0.975; ν)` for `ν = 1 ..= 30`, computed to 40 digits (by inverting
/// the regularised incomplete beta function) and rounded to `f64`.
const TABLE: [f64; 30] = [
    12.706204736174705,
    4.302652729749464,
    3.1824463052837095,
    2.7764451051977943,
    2.5705818356363155,
    2.44691185114497,
    2.3646242515927853,
    2.3060041352041667,
    2.2621571627982053,
    2.228138851986275,
    2.2009851600916397,
    2.178812829667229,
    2.1603686564627926,
    2.144786687917804,
    2.1314495455597755,
    2.1199052992212546,
    2.109815577833317,
    2.1009220402410387,
    2.0930240544083096,
    2.085963447265865,
    2.0796138447276804,
    2.0738730679040263,
    2.0686576104190486,
    2.063898561628026,
    2.0595385527532977,
    2.055529438642873,
    2.0518305164802855,
    2.048407141795245,
    2.0452296421327043,
    2.042272456301238,
];

/// The 97.5 % quantile of Student's t with `df` degrees of freedom: a
/// two-sided 95 % interval of a mean of `n` values is `mean ± t95(n − 1) SE`.
///
/// `df = 0` (a single value) has no interval; it returns infinity, and
/// callers that report an interval must treat that case themselves.
pub fn t95(df: u64) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df as usize - 1],
        _ => cornish_fisher(df as f64),
    }
}

/// The Cornish–Fisher expansion `z + g₁(z)/ν + … + g₅(z)/ν⁵` of the t
/// quantile about the normal quantile `z` (Abramowitz & Stegun 26.7.5 for
/// the first four terms; Hill 1970 for the fifth).
fn cornish_fisher(nu: f64) -> f64 {
    let z = Z95;
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let g5 = (((((27.0 * z2 + 339.0) * z2 + 930.0) * z2 - 1782.0) * z2 - 765.0) * z2 + 17955.0) * z
        / 368_640.0;
    let u = 1.0 / nu;
    z + u * (g1 + u * (g2 + u * (g3 + u * (g4 + u * g5))))
}

/// Half-width of the 95 % interval of the difference of two independent
/// means (Welch): `t95(ν) · √(SE_a² + SE_b²)`, with the Welch–Satterthwaite
/// degrees of freedom `ν = (SE_a² + SE_b²)² / (SE_a⁴/(n_a − 1) + SE_b⁴/(n_b − 1))`
/// rounded down (the conservative choice: a larger quantile). For two
/// samples of `n` values `ν` lies between `n − 1` and `2(n − 1)`. 0 when
/// both standard errors are 0.
pub fn welch_ci95_half_width(se_a: f64, n_a: u64, se_b: f64, n_b: u64) -> f64 {
    // In units of the larger standard error, so that squares of huge
    // losses cannot overflow.
    let scale = se_a.abs().max(se_b.abs());
    if scale.is_nan() || scale == 0.0 {
        return 0.0;
    }
    let (a, b) = (se_a / scale, se_b / scale);
    let (va, vb) = (a * a, b * b);
    let total = va + vb;
    let term = |v: f64, n: u64| {
        if n < 2 {
            0.0
        } else {
            let share = v / total;
            share * share / (n - 1) as f64
        }
    };
    let denom = term(va, n_a) + term(vb, n_b);
    let df = if denom > 0.0 {
        // (`as` saturates: an infinite ν is the normal quantile.)
        ((1.0 / denom).floor() as u64).max(1)
    } else {
        // A standard error from fewer than two values is 0: unreachable
        // with `total > 0`, but say the least.
        1
    };
    t95(df) * scale * total.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round4(x: f64) -> f64 {
        (x * 1e4).round() / 1e4
    }

    /// The values of every printed t table, to four decimals.
    #[test]
    fn known_quantiles_to_four_decimals() {
        for (df, want) in [
            (1, 12.7062),
            (2, 4.3027),
            (3, 3.1824),
            (5, 2.5706),
            (10, 2.2281),
            (20, 2.0860),
            (30, 2.0423),
            (40, 2.0211),
            (60, 2.0003),
            (100, 1.9840),
            (120, 1.9799),
            (1000, 1.9623),
        ] {
            assert_eq!(round4(t95(df)), want, "df {df}: {}", t95(df));
        }
    }

    /// One and two degrees of freedom have closed forms: `tan(0.475 π)`
    /// (Cauchy) and `(2p − 1) √(2 / (4p(1 − p)))` at `p = 0.975`.
    #[test]
    fn closed_forms_for_one_and_two_degrees_of_freedom() {
        let cauchy = (0.475 * std::f64::consts::PI).tan();
        assert!((t95(1) - cauchy).abs() < 1e-12, "{} vs {cauchy}", t95(1));
        let two = 0.95 * (2.0f64 / (4.0 * 0.975 * 0.025)).sqrt();
        assert!((t95(2) - two).abs() < 1e-14, "{} vs {two}", t95(2));
    }

    /// The expansion beyond the table, against values computed to 40
    /// digits: within 10⁻⁹ from its worst case (31) on, and continuous
    /// with the table at its end.
    #[test]
    fn expansion_is_accurate_beyond_the_table() {
        for (df, exact) in [
            (31, 2.0395134463964086),
            (40, 2.0210753903062733),
            (50, 2.008559112100761),
            (100, 1.9839715185235522),
            (1000, 1.9623390808264085),
            (1_000_000, 1.959966356814107),
        ] {
            let got = t95(df);
            assert!((got - exact).abs() < 1e-9, "df {df}: {got} vs {exact}");
        }
        // The expansion at 30 agrees with the table's exact value.
        assert!((cornish_fisher(30.0) - t95(30)).abs() < 1e-9);
        assert!(t95(30) > t95(31));
    }

    /// Welch: equal standard errors from two samples of 11 values give
    /// ν = 20; one dominant standard error gives about its own n − 1.
    #[test]
    fn welch_degrees_of_freedom() {
        let h = welch_ci95_half_width(3.0, 11, 3.0, 11);
        assert!((h - t95(20) * 18f64.sqrt()).abs() < 1e-12, "{h}");
        // ν = (9 + 1)² / (81/4 + 1/4) = 4.88…, rounded down to 4.
        let h = welch_ci95_half_width(3.0, 5, 1.0, 5);
        assert!((h - t95(4) * 10f64.sqrt()).abs() < 1e-12, "{h}");
        // Huge losses do not overflow; a trivial side adds nothing.
        let h = welch_ci95_half_width(1e200, 1000, 0.0, 1000);
        assert!((h / 1e200 - t95(999)).abs() < 1e-12, "{h}");
        assert_eq!(welch_ci95_half_width(0.0, 10, 0.0, 10), 0.0);
        // Many trials: the normal quantile, to four decimals.
        let h = welch_ci95_half_width(1.0, 1_000_000, 1.0, 1_000_000);
        assert!((h / 2f64.sqrt() - 1.96).abs() < 1e-4, "{h}");
    }

    #[test]
    fn decreases_to_the_normal_quantile() {
        let mut last = f64::INFINITY;
        for df in (1..200).chain([500, 5_000, 50_000_000]) {
            let t = t95(df);
            assert!(t < last && t > Z95, "df {df}: {t}");
            last = t;
        }
        assert!((t95(u64::MAX) - Z95).abs() < 1e-15);
        assert_eq!(t95(0), f64::INFINITY);
    }
}
