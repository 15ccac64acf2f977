//! The samplers against their analytic moments, and the exact bits of
//! their first draws.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::*;
use crate::dist::Distribution;
use crate::scenario::Dist;

/// Draws per parameter set in the moment checks.
const N: usize = 200_000;
/// Allowed distance from the analytic value, in standard errors. The seeds
/// are fixed, so a check either always passes or always fails; at 4 SE a
/// correct sampler fails one of these checks with probability ~1e-3 over
/// the choice of seed, and a sampler with a wrong parameterisation or a
/// biased acceptance test misses by tens of SE at this N.
const Z: f64 = 4.0;

fn rng(case: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(0x5eed_2026);
    r.set_stream(case);
    r
}

/// Sample mean and variance with their standard errors (the variance's
/// from the sample's fourth central moment: `√((m4 − s⁴)/n)`), and range.
struct Moments {
    mean: f64,
    var: f64,
    se_mean: f64,
    se_var: f64,
    min: f64,
    max: f64,
}

fn moments(xs: &[f64]) -> Moments {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let (mut m2, mut m4) = (0.0, 0.0);
    for x in xs {
        let d = (x - mean) * (x - mean);
        m2 += d;
        m4 += d * d;
    }
    let (m2, m4) = (m2 / n, m4 / n);
    Moments {
        mean,
        var: m2 * n / (n - 1.0),
        se_mean: (m2 / n).sqrt(),
        se_var: ((m4 - m2 * m2) / n).sqrt(),
        min: xs.iter().copied().fold(f64::INFINITY, f64::min),
        max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// `N` draws from `draw` have the given mean and variance within `Z`
/// standard errors, and lie in `[lo, hi]`.
fn check(
    name: &str,
    case: u64,
    mean: f64,
    var: f64,
    lo: f64,
    hi: f64,
    draw: impl Fn(&mut ChaCha8Rng) -> f64,
) {
    let mut r = rng(case);
    let xs: Vec<f64> = (0..N).map(|_| draw(&mut r)).collect();
    assert!(xs.iter().all(|x| !x.is_nan()), "{name}: NaN drawn");
    let m = moments(&xs);
    assert!(
        m.min >= lo && m.max <= hi,
        "{name}: drew [{}, {}] outside the support [{lo}, {hi}]",
        m.min,
        m.max
    );
    assert!(
        (m.mean - mean).abs() <= Z * m.se_mean,
        "{name}: mean {} vs {mean} (se {})",
        m.mean,
        m.se_mean
    );
    assert!(
        (m.var - var).abs() <= Z * m.se_var,
        "{name}: variance {} vs {var} (se {})",
        m.var,
        m.se_var
    );
}

fn beta_moments(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (a / s, a * b / (s * s * (s + 1.0)))
}

#[test]
fn uniforms_stay_in_their_intervals() {
    check("unit", 1, 0.5, 1.0 / 12.0, 0.0, 1.0, unit);
    let mut r = rng(2);
    for _ in 0..N {
        let u = open_unit(&mut r);
        assert!(u > 0.0 && u < 1.0, "{u}");
    }
    // The extreme words map inside (0, 1), not onto its ends.
    struct Words(u64);
    impl rand::TryRng for Words {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.0 as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(self.0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            dst.fill(self.0 as u8);
            Ok(())
        }
    }
    assert_eq!(open_unit(&mut Words(0)), 0.5 / (1u64 << 52) as f64);
    assert!(open_unit(&mut Words(u64::MAX)) < 1.0);
    assert_eq!(unit(&mut Words(0)), 0.0);
    assert!(unit(&mut Words(u64::MAX)) < 1.0);
}

#[test]
fn normal_moments() {
    // Every other sampler builds on this one, so it gets ten times the
    // draws: a 1% error in its variance is then ~7 standard errors.
    let mut r = rng(4);
    let xs: Vec<f64> = (0..10 * N).map(|_| standard_normal(&mut r)).collect();
    let m = moments(&xs);
    assert!(m.mean.abs() <= Z * m.se_mean, "mean {}", m.mean);
    assert!((m.var - 1.0).abs() <= Z * m.se_var, "variance {}", m.var);
    let skew = xs.iter().map(|x| x * x * x).sum::<f64>() / xs.len() as f64;
    // Var(Z³) = 15.
    assert!(
        skew.abs() <= Z * (15.0 / xs.len() as f64).sqrt(),
        "skew {skew}"
    );
}

#[test]
fn gamma_moments_below_and_above_shape_one() {
    for (i, a) in [0.05, 0.3, 0.999, 1.0, 2.5, 40.0].into_iter().enumerate() {
        let g = Gamma::new(a).unwrap();
        check(
            &format!("gamma({a})"),
            10 + i as u64,
            a,
            a,
            0.0,
            f64::MAX,
            |r| g.sample(r),
        );
    }
    assert!(Gamma::new(0.0).is_none());
    assert!(Gamma::new(-1.0).is_none());
    assert!(Gamma::new(f64::INFINITY).is_none());
    assert!(Gamma::new(f64::NAN).is_none());
}

#[test]
fn beta_moments_below_and_above_shape_one() {
    let cases = [
        (0.5, 0.5),
        (0.2, 3.0),
        (3.0, 0.2),
        (2.0, 5.0),
        (1.0, 1.0),
        (30.0, 70.0),
        (0.05, 0.08),
    ];
    for (i, (a, b)) in cases.into_iter().enumerate() {
        let d = Beta::new(a, b).unwrap();
        let (mean, var) = beta_moments(a, b);
        check(
            &format!("beta({a}, {b})"),
            20 + i as u64,
            mean,
            var,
            0.0,
            1.0,
            |r| d.sample(r),
        );
    }
    assert!(Beta::new(0.0, 1.0).is_none());
}

/// Shapes so small that `U^(1/a)` underflows in most draws: the common
/// scale keeps the ratio defined (0 or 1, never NaN) and the mean right.
#[test]
fn beta_with_tiny_shapes_gives_no_nan() {
    let (a, b) = (0.002, 0.003);
    let d = Beta::new(a, b).unwrap();
    let mut r = rng(30);
    let xs: Vec<f64> = (0..N).map(|_| d.sample(&mut r)).collect();
    assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    // Nearly every draw is at an end: a Bernoulli(a/(a+b)) in the limit.
    let ones = xs.iter().filter(|x| **x > 0.5).count() as f64 / N as f64;
    let p = a / (a + b);
    let se = (p * (1.0 - p) / N as f64).sqrt();
    assert!((ones - p).abs() <= Z * se, "{ones} vs {p}");
}

#[test]
fn triangular_moments_with_mode_inside_and_at_each_end() {
    for (i, (a, c, b)) in [
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (2.0, 3.0, 10.0),
        (-4.0, 0.5, 1.0),
    ]
    .into_iter()
    .enumerate()
    {
        let t = Triangular::new(a, c, b).unwrap();
        let mean = (a + b + c) / 3.0;
        let var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
        check(
            &format!("triangular({a}, {c}, {b})"),
            40 + i as u64,
            mean,
            var,
            a,
            b,
            |r| t.sample(r),
        );
    }
    assert!(Triangular::new(1.0, 1.0, 1.0).is_none());
    assert!(Triangular::new(0.0, 2.0, 1.0).is_none());
}

#[test]
fn pert_moments_with_mode_inside_and_at_each_end() {
    for (i, (lo, mode, hi)) in [
        (0.0, 0.0, 10.0),
        (0.0, 10.0, 10.0),
        (2.0, 6.0, 20.0),
        (-5.0, -4.0, 100.0),
    ]
    .into_iter()
    .enumerate()
    {
        let p = Pert::new(lo, mode, hi).unwrap();
        let r = hi - lo;
        let (m, v) = beta_moments(1.0 + 4.0 * (mode - lo) / r, 1.0 + 4.0 * (hi - mode) / r);
        // The classic PERT mean, (min + 4 mode + max) / 6.
        assert!((lo + r * m - (lo + 4.0 * mode + hi) / 6.0).abs() < 1e-12);
        check(
            &format!("pert({lo}, {mode}, {hi})"),
            50 + i as u64,
            lo + r * m,
            r * r * v,
            lo,
            hi,
            |g| p.sample(g),
        );
    }
}

#[test]
fn lognormal_moments() {
    for (i, (median, sigma)) in [(8.0, 0.6), (0.02, 0.25), (1.0, 1.0)]
        .into_iter()
        .enumerate()
    {
        let l = LogNormal::from_median(median, sigma).unwrap();
        let s2 = sigma * sigma;
        let mean = median * libm::exp(0.5 * s2);
        let var = (libm::exp(s2) - 1.0) * median * median * libm::exp(s2);
        check(
            &format!("lognormal({median}, {sigma})"),
            60 + i as u64,
            mean,
            var,
            0.0,
            f64::MAX,
            |r| l.sample(r),
        );
    }
}

/// With σ = 3 the sample variance of X itself converges far too slowly to
/// test (its fourth moment is `e^(8σ²)` times the mean's), so the check is
/// on `ln X`, which must be exactly normal(ln median, σ²), and on the median.
#[test]
fn lognormal_with_large_sigma() {
    let (median, sigma) = (3.0, 3.0);
    let l = LogNormal::from_median(median, sigma).unwrap();
    check(
        "ln lognormal(3, 3)",
        70,
        libm::log(median),
        sigma * sigma,
        f64::MIN,
        f64::MAX,
        |r| {
            let x = l.sample(r);
            assert!(x > 0.0, "{x}");
            libm::log(x)
        },
    );
    let mut r = rng(71);
    let below = (0..N).filter(|_| l.sample(&mut r) < median).count() as f64 / N as f64;
    assert!(
        (below - 0.5).abs() <= Z * (0.25 / N as f64).sqrt(),
        "{below}"
    );
    assert!(LogNormal::from_median(0.0, 1.0).is_none());
    assert!(LogNormal::from_median(1.0, 0.0).is_none());
}

#[test]
fn poisson_moments() {
    for (i, mean) in [10.0, 101.0, 150.0, 5_000.0, 1e7].into_iter().enumerate() {
        let p = Poisson::new(mean).unwrap();
        check(
            &format!("poisson({mean})"),
            80 + i as u64,
            mean,
            mean,
            0.0,
            f64::MAX,
            |r| p.sample(r) as f64,
        );
    }
    assert!(Poisson::new(9.9).is_none());
    assert!(Poisson::new(f64::INFINITY).is_none());
}

/// The whole distribution, not just two moments: a chi-square test of
/// the counts against the Poisson pmf (every count expected ≥ 20 times a
/// cell of its own, the two tails pooled), at the smallest mean PTRS takes
/// and at 150. With `df` cells less one the statistic is about
/// `df ± √(2 df)`; a squeeze constant off by a few percent pushes it far
/// past `df + Z √(2 df)`.
#[test]
fn poisson_counts_pass_a_chi_square_test() {
    for (case, mean) in [(90, 10.0), (91, 150.0)] {
        let p = Poisson::new(mean).unwrap();
        let mut r = rng(case);
        let top = (mean * 3.0) as usize;
        let mut counts = vec![0.0f64; top + 1];
        for _ in 0..N {
            counts[(p.sample(&mut r) as usize).min(top)] += 1.0;
        }
        let pmf = |k: usize| {
            let k = k as f64;
            libm::exp(-mean + k * libm::log(mean) - libm::lgamma(k + 1.0))
        };
        let expected: Vec<f64> = (0..=top).map(|k| N as f64 * pmf(k)).collect();
        let big = |k: &usize| expected[*k] >= 20.0;
        let lo = (0..=top).find(big).unwrap();
        let hi = (0..=top).rev().find(big).unwrap();
        let pooled = |ks: std::ops::Range<usize>, e: f64| {
            let o: f64 = counts[ks].iter().sum();
            (o - e) * (o - e) / e
        };
        let lower = N as f64 - expected[lo..].iter().sum::<f64>();
        let upper = N as f64 - expected[..=hi].iter().sum::<f64>();
        let mut chi2 = pooled(0..lo, lower) + pooled(hi + 1..top + 1, upper);
        for k in lo..=hi {
            chi2 += (counts[k] - expected[k]) * (counts[k] - expected[k]) / expected[k];
        }
        let df = (hi - lo + 2) as f64;
        assert!(
            chi2 <= df + Z * (2.0 * df).sqrt(),
            "poisson({mean}): chi-square {chi2} with {df} degrees of freedom"
        );
    }
}

/// The scenario's parameters (beta mean/sd, PERT min/mode/max, lognormal
/// median/sigma) reach the samplers as the documented shapes.
#[test]
fn distribution_parameters_reach_the_samplers() {
    let beta = Distribution::new(&Dist::Beta {
        mean: 0.3,
        sd: 0.15,
    })
    .unwrap();
    check("Dist::Beta", 100, 0.3, 0.15 * 0.15, 0.0, 1.0, |r| {
        beta.sample(r)
    });
    let wide = Distribution::new(&Dist::Beta {
        mean: 0.2,
        sd: 0.39,
    })
    .unwrap();
    check("Dist::Beta wide", 101, 0.2, 0.39 * 0.39, 0.0, 1.0, |r| {
        wide.sample(r)
    });
    let pert = Distribution::new(&Dist::Pert {
        min: 2.0,
        mode: 6.0,
        max: 20.0,
    })
    .unwrap();
    let (m, v) = beta_moments(1.0 + 16.0 / 18.0, 1.0 + 56.0 / 18.0);
    assert_eq!(pert.mean(), (2.0 + 24.0 + 20.0) / 6.0);
    check(
        "Dist::Pert",
        102,
        2.0 + 18.0 * m,
        324.0 * v,
        2.0,
        20.0,
        |r| pert.sample(r),
    );
    let ln = Distribution::new(&Dist::Lognormal {
        median: 8.0,
        sigma: 0.6,
    })
    .unwrap();
    let var = (libm::exp(0.36) - 1.0) * 64.0 * libm::exp(0.36);
    check("Dist::Lognormal", 103, ln.mean(), var, 0.0, f64::MAX, |r| {
        ln.sample(r)
    });
}

/// Uniform and choice draws keep the values rand gave them: `unit` is
/// rand's `StandardUniform` for `f64`, word for word.
#[test]
fn unit_is_rands_standard_uniform() {
    use rand::RngExt;
    let (mut a, mut b) = (rng(110), rng(110));
    for _ in 0..10_000 {
        assert_eq!(unit(&mut a).to_bits(), b.random::<f64>().to_bits());
    }
}

fn first<T>(n: usize, mut draw: impl FnMut() -> T) -> Vec<T> {
    (0..n).map(|_| draw()).collect()
}

fn bits(draw: impl FnMut() -> f64) -> Vec<u64> {
    let mut draw = draw;
    first(4, || draw().to_bits())
}

/// The first four draws of each sampler from `ChaCha8Rng::seed_from_u64(2026)`,
/// as IEEE 754 bits (see `golden_bits_of_the_first_draws`).
#[rustfmt::skip]
const GOLDEN: [(&str, [u64; 4]); 12] = [
    ("unit", [0x3fe330615441cff4, 0x3fd041173855b970, 0x3fa59e3559788f40, 0x3fc7f516debf2338]),
    ("open_unit", [0x3fe330615441cff5, 0x3fd041173855b972, 0x3fa59e3559788f50, 0x3fc7f516debf233c]),
    ("normal", [0x3fe31ea3b7d83176, 0xbfef4f798efb34cc, 0x3fe2dd3642a7614c, 0xbfc4bf262777ed2a]),
    ("gamma(0.3)", [0x3f79d38dfd3b5c50, 0x3faa6c986feb8f06, 0x3fe26a03d4494861, 0x3f7630579b92d782]),
    ("gamma(2.5)", [0x40095d36388348e1, 0x3ff413f65746afca, 0x40093e3a750202d2, 0x3ff819f9c36d42bf]),
    ("beta(0.5, 2)", [0x3fb6c373efabedee, 0x3fce805a321d0f5d, 0x3fddbd27ceeed70c, 0x3fb092ffbc363e97]),
    ("uniform", [0x3ff660c2a8839fe8, 0x3f9045ce156e5c00, 0xbfea9872a9a1dc30, 0xbfd015d24281b990]),
    ("choice", [0x4014000000000000, 0x4000000000000000, 0x3ff0000000000000, 0x3ff0000000000000]),
    ("triangular", [0x3fdd8b6711ae0f06, 0x3fd34d455690a6e4, 0x3fc752166745e9f6, 0x3fd179abd4a85471]),
    ("pert", [0x4025a6ef265648fd, 0x402468bda63d12d6, 0x40140d33baa73822, 0x40138d8608102872]),
    ("lognormal", [0x4026e6153c899995, 0x4011ca5ea81e253a, 0x4026ca0f07c2f221, 0x401d08d70ca84163]),
    ("beta", [0x3fdc7f1d15330af8, 0x3fdab9c3e548db11, 0x3fc6f2437c4ccae2, 0x3fc604a5395e6e94]),
];

/// The exact bits of the first draws of every sampler from one seed.
///
/// These values must be the same on every machine and in every build (any
/// x86_64 or aarch64 CPU, with or without FMA, any optimisation level, any
/// `target-cpu`, any change elsewhere in the crate): that is what lets a
/// cluster run merge exactly into a workstation run. If this test fails, a
/// draw has changed, and with it every published result; change these
/// values only with a deliberate, announced change of the samplers (or of
/// `libm`, whose version the run manifest records).
///
/// Uniform, choice and triangular are the values rand 0.10 / rand_distr
/// 0.6 drew from the same stream; the others are this module's own.
#[test]
fn golden_bits_of_the_first_draws() {
    let fresh = || ChaCha8Rng::seed_from_u64(2026);
    let dist = |d: Dist| {
        let d = Distribution::new(&d).unwrap();
        let mut r = fresh();
        bits(move || d.sample(&mut r))
    };
    let sampler = |f: &dyn Fn(&mut ChaCha8Rng) -> f64| {
        let mut r = fresh();
        bits(|| f(&mut r))
    };
    let gamma_small = Gamma::new(0.3).unwrap();
    let gamma = Gamma::new(2.5).unwrap();
    let beta = Beta::new(0.5, 2.0).unwrap();
    let got = [
        ("unit", sampler(&unit)),
        ("open_unit", sampler(&open_unit)),
        ("normal", sampler(&standard_normal)),
        ("gamma(0.3)", sampler(&|r| gamma_small.sample(r))),
        ("gamma(2.5)", sampler(&|r| gamma.sample(r))),
        ("beta(0.5, 2)", sampler(&|r| beta.sample(r))),
        (
            "uniform",
            dist(Dist::Uniform {
                min: -1.0,
                max: 3.0,
            }),
        ),
        (
            "choice",
            dist(Dist::Choice {
                values: vec![1.0, 2.0, 5.0],
                weights: Some(vec![0.2, 0.3, 0.5]),
            }),
        ),
        (
            "triangular",
            dist(Dist::Triangular {
                min: 0.1,
                mode: 0.3,
                max: 0.9,
            }),
        ),
        (
            "pert",
            dist(Dist::Pert {
                min: 2.0,
                mode: 6.0,
                max: 20.0,
            }),
        ),
        (
            "lognormal",
            dist(Dist::Lognormal {
                median: 8.0,
                sigma: 0.6,
            }),
        ),
        (
            "beta",
            dist(Dist::Beta {
                mean: 0.3,
                sd: 0.15,
            }),
        ),
    ];
    assert_eq!(got.len(), GOLDEN.len());
    for ((name, got), (want_name, want)) in got.iter().zip(GOLDEN) {
        assert_eq!(*name, want_name);
        assert_eq!(
            got.as_slice(),
            want.as_slice(),
            "{name}: the first draws changed: {:x?}",
            got
        );
    }
    let poisson = |m: f64| {
        let (p, mut r) = (Poisson::new(m).unwrap(), fresh());
        first(4, move || p.sample(&mut r))
    };
    assert_eq!(poisson(150.0), [153, 119, 140, 176]);
    assert_eq!(poisson(5_000.0), [5020, 4822, 4946, 5153]);
}
