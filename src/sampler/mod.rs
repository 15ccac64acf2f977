//! Random variates that come out the same, bit for bit, on every machine and
//! every build.
//!
//! A draw is a function of the words a ChaCha8 stream hands it and nothing
//! else: every transcendental function goes through the pure-Rust [`libm`]
//! crate (one implementation, compiled from source into the binary), never
//! through `f64::ln`/`exp`/`powf`, which call the platform's libm — glibc
//! picks FMA or non-FMA code at run time by CPU, and the compiler may fold a
//! call on a constant at compile time instead, and the results can differ in
//! the last bit. Constants are literals. The remaining operations (`+ − × ÷`,
//! `sqrt`, `floor`, comparisons) are correctly rounded IEEE 754 binary64
//! operations, which Rust neither contracts into FMA nor evaluates in excess
//! precision on any 64-bit target.
//!
//! The rejection samplers (normal, gamma, beta, PERT, Poisson) read a
//! variable number of words; callers that need later values to stay put read
//! each value from its own addressed region of the stream (see
//! `sim::schedule`).

use rand::Rng;

/// `2^-53`, the spacing of [`unit`]'s values.
const TWO_POW_M53: f64 = 1.0 / (1u64 << 53) as f64;
/// `2^-52`, the spacing of [`open_unit`]'s values.
const TWO_POW_M52: f64 = 1.0 / (1u64 << 52) as f64;

/// Uniform on `[0, 1)` from the top 53 bits of one word: the same value as
/// rand's `StandardUniform` for `f64`, so uniform and choice draws keep the
/// values they had when they went through rand.
#[inline]
pub fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * TWO_POW_M53
}

/// Uniform on the open interval `(0, 1)` from the top 52 bits of one word,
/// at the midpoints `(j + ½) 2^-52`: never 0 (so its logarithm is finite)
/// and never 1.
#[inline]
pub fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 12) as f64 + 0.5) * TWO_POW_M52
}

/// Standard normal by Marsaglia's polar method (Marsaglia & Bray 1964, "A
/// convenient method for generating normal variables", SIAM Review 6(3)):
/// a point uniform in the unit disc, transformed with one `ln` and one
/// `sqrt`. It needs no `sin`/`cos` (Box–Muller does), and the second normal
/// of the pair is thrown away so that the sampler keeps no state. Two words
/// per attempt; an attempt is accepted with probability π/4.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    loop {
        let u = 2.0 * unit(rng) - 1.0;
        let v = 2.0 * unit(rng) - 1.0;
        let s = u * u + v * v;
        if s < 1.0 && s > 0.0 {
            return u * (-2.0 * libm::log(s) / s).sqrt();
        }
    }
}

/// Triangular on `[min, max]` with its peak at `mode`, by inverting the CDF
/// with one uniform. The expression is rand_distr 0.6's, and `sqrt` is
/// correctly rounded, so the values are the ones rand_distr drew.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Triangular {
    min: f64,
    mode: f64,
    max: f64,
}

impl Triangular {
    /// `None` unless the parameters are finite and `min ≤ mode ≤ max`,
    /// `min < max`.
    pub fn new(min: f64, mode: f64, max: f64) -> Option<Self> {
        let ok = [min, mode, max].iter().all(|x| x.is_finite())
            && min <= mode
            && mode <= max
            && min < max;
        ok.then_some(Triangular { min, mode, max })
    }

    /// One draw; exactly one word.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let f = unit(rng);
        let (min, mode, max) = (self.min, self.mode, self.max);
        let range = max - min;
        let f_range = f * range;
        let x = if f_range < mode - min {
            min + (f_range * (mode - min)).sqrt()
        } else {
            max - ((range - f_range) * (max - mode)).sqrt()
        };
        // Rounding can step an ulp outside; the support is closed.
        x.max(min).min(max)
    }
}

/// Gamma with shape `a` and scale 1, by Marsaglia & Tsang (2000, "A simple
/// method for generating gamma variables", ACM TOMS 26(3)): a cubed,
/// shifted normal accepted by a squeeze and, rarely, one `ln` test; about
/// 1.03 attempts per draw for `a ≥ 1`. For `a < 1` it draws shape `a + 1`
/// and multiplies by `U^(1/a)` (their boost), which [`Gamma::sample_scaled`]
/// keeps as a logarithm so that a ratio of small-shape gammas ([`Beta`])
/// never underflows to `0/0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gamma {
    /// `a' − 1/3`, where `a'` is the shape actually drawn (`a` or `a + 1`).
    d: f64,
    /// `1 / √(9d)`.
    c: f64,
    /// `1/a` when the boost applies (`a < 1`).
    inv_shape: Option<f64>,
}

impl Gamma {
    /// `None` unless `shape` is finite and `> 0`.
    pub fn new(shape: f64) -> Option<Self> {
        if !(shape.is_finite() && shape > 0.0) {
            return None;
        }
        let (drawn, inv_shape) = if shape < 1.0 {
            (shape + 1.0, Some(1.0 / shape))
        } else {
            (shape, None)
        };
        let d = drawn - 1.0 / 3.0;
        Some(Gamma {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape,
        })
    }

    /// One draw as `(g, s)` with value `g · e^s`: `g > 0` is the
    /// Marsaglia–Tsang draw, `s ≤ 0` the log of the boost (0 for `a ≥ 1`).
    pub fn sample_scaled<R: Rng + ?Sized>(&self, rng: &mut R) -> (f64, f64) {
        let (d, c) = (self.d, self.c);
        let g = loop {
            let (x, v) = loop {
                let x = standard_normal(rng);
                let v = 1.0 + c * x;
                if v > 0.0 {
                    break (x, v);
                }
            };
            let v = v * v * v;
            let u = open_unit(rng);
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 {
                break d * v;
            }
            if libm::log(u) < 0.5 * x2 + d * (1.0 - v + libm::log(v)) {
                break d * v;
            }
        };
        let s = match self.inv_shape {
            Some(inv) => libm::log(open_unit(rng)) * inv,
            None => 0.0,
        };
        (g, s)
    }

    /// One draw (may underflow to 0 for very small shapes).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (g, s) = self.sample_scaled(rng);
        if s == 0.0 { g } else { g * libm::exp(s) }
    }
}

/// Beta(α, β) on `[0, 1]` as `X / (X + Y)` with `X ~ Gamma(α)` and
/// `Y ~ Gamma(β)` drawn one after the other. The two are brought to a common
/// scale before dividing, so small shapes give 0 or 1 (the right limit), not
/// NaN; with both shapes `≥ 1` no `exp` is taken at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beta {
    x: Gamma,
    y: Gamma,
}

impl Beta {
    /// `None` unless both shapes are finite and `> 0`.
    pub fn new(alpha: f64, beta: f64) -> Option<Self> {
        Some(Beta {
            x: Gamma::new(alpha)?,
            y: Gamma::new(beta)?,
        })
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (gx, sx) = self.x.sample_scaled(rng);
        let (gy, sy) = self.y.sample_scaled(rng);
        // X = gx e^sx, Y = gy e^sy; divide both by e^max(sx, sy). The
        // larger one keeps its g > 0, so the ratio is never 0/0.
        let m = sx.max(sy);
        let scale = |s: f64| if s == m { 1.0 } else { libm::exp(s - m) };
        let x = gx * scale(sx);
        let y = gy * scale(sy);
        // 1/(1 + Y/X) rather than X/(X + Y): the same value, and X + Y
        // cannot overflow for huge shapes.
        1.0 / (1.0 + y / x)
    }
}

/// PERT on `[min, max]` with most likely value `mode`: the modified beta
/// with λ = 4 (Vose 2008), `min + (max − min) · Beta(1 + 4(mode − min)/r,
/// 1 + 4(max − mode)/r)` with `r = max − min`; mean `(min + 4 mode + max)/6`.
/// The same parameterisation as rand_distr 0.6's `Pert` with its default
/// shape, drawn with our [`Beta`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pert {
    min: f64,
    max: f64,
    range: f64,
    beta: Beta,
}

impl Pert {
    /// `None` unless the parameters are finite, `min ≤ mode ≤ max` and
    /// `min < max`.
    pub fn new(min: f64, mode: f64, max: f64) -> Option<Self> {
        Triangular::new(min, mode, max)?;
        let range = max - min;
        let alpha = 1.0 + 4.0 * (mode - min) / range;
        let beta = 1.0 + 4.0 * (max - mode) / range;
        Some(Pert {
            min,
            max,
            range,
            beta: Beta::new(alpha, beta)?,
        })
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.beta.sample(rng) * self.range + self.min;
        x.max(self.min).min(self.max)
    }
}

/// Lognormal: `exp(μ + σ Z)` with `Z` from [`standard_normal`]; its median
/// is `e^μ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogNormal {
    mu: f64,
    sigma: f64,
}

impl LogNormal {
    /// From the median `e^μ` and `σ`; `None` unless both are finite and
    /// `> 0`.
    pub fn from_median(median: f64, sigma: f64) -> Option<Self> {
        let ok = median.is_finite() && sigma.is_finite() && median > 0.0 && sigma > 0.0;
        ok.then(|| LogNormal {
            mu: libm::log(median),
            sigma,
        })
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        libm::exp(self.mu + self.sigma * standard_normal(rng))
    }
}

/// Poisson counts for means `≥ 10` by Hörmann's transformed rejection with
/// squeeze, PTRS (Hörmann 1993, "The transformed rejection method for
/// generating Poisson random variables", Insurance: Mathematics and
/// Economics 12(1)): two words per attempt, about 1.1 attempts per draw
/// whatever the mean, and `ln`/`lgamma` only outside the squeeze. The
/// constants are the paper's. (Small means are drawn by inverse CDF in
/// `sim::schedule`.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poisson {
    mean: f64,
    ln_mean: f64,
    a: f64,
    b: f64,
    ln_inv_alpha: f64,
    v_r: f64,
}

impl Poisson {
    /// The smallest mean PTRS is designed for.
    pub const MIN_MEAN: f64 = 10.0;

    /// `None` unless `mean` is finite and `≥` [`Poisson::MIN_MEAN`].
    pub fn new(mean: f64) -> Option<Self> {
        if !(mean.is_finite() && mean >= Self::MIN_MEAN) {
            return None;
        }
        let b = 0.931 + 2.53 * mean.sqrt();
        let a = -0.059 + 0.02483 * b;
        let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        Some(Poisson {
            mean,
            ln_mean: libm::log(mean),
            a,
            b,
            ln_inv_alpha: libm::log(inv_alpha),
            v_r: 0.9277 - 3.6224 / (b - 2.0),
        })
    }

    /// One count (saturating at `u64::MAX` for absurd means).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let (a, b, mean) = (self.a, self.b, self.mean);
        loop {
            let u = open_unit(rng) - 0.5;
            let v = open_unit(rng);
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + mean + 0.43).floor();
            if us >= 0.07 && v <= self.v_r {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = libm::log(v) + self.ln_inv_alpha - libm::log(a / (us * us) + b);
            let rhs = -mean + k * self.ln_mean - libm::lgamma(k + 1.0);
            if lhs <= rhs {
                return k as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests;
