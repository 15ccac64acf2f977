//! Validated probability distributions and their sampling.
//!
//! The scenario writes a [`scenario::Dist`](crate::scenario::Dist); `network`
//! checks its parameters once and stores a [`Distribution`], which the engine
//! samples without any further checks. The sampling algorithms live in
//! [`sampler`](crate::sampler); this module only chooses and parameterises
//! them.

use rand::Rng;
use serde::Serialize;

use crate::sampler::{self, Beta, LogNormal, Pert, Triangular};
use crate::scenario::Dist;

/// A distribution whose parameters have been checked.
#[derive(Clone, Debug, Serialize)]
pub enum Distribution {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular(#[serde(skip)] Triangular, [f64; 3]),
    Pert(#[serde(skip)] Pert, [f64; 3]),
    LogNormal(#[serde(skip)] LogNormal, [f64; 2]),
    Beta(#[serde(skip)] Beta, [f64; 2]),
    /// Values with cumulative weights (last = 1).
    Choice {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
}

impl Distribution {
    /// Checks the parameters of `d`; the error says what is impossible and why.
    pub fn new(d: &Dist) -> Result<Self, String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match d {
            Dist::Fixed(x) => {
                if !x.is_finite() {
                    return Err(format!("fixed value {x} is not a finite number"));
                }
                Ok(Distribution::Fixed(*x))
            }
            Dist::Uniform { min, max } => {
                if !finite(&[*min, *max]) {
                    return Err("uniform bounds must be finite numbers".into());
                }
                if min > max {
                    return Err(format!("uniform min {min} is greater than max {max}"));
                }
                Ok(Distribution::Uniform {
                    min: *min,
                    max: *max,
                })
            }
            Dist::Triangular { min, mode, max } | Dist::Pert { min, mode, max } => {
                let name = if matches!(d, Dist::Pert { .. }) {
                    "pert"
                } else {
                    "triangular"
                };
                if !finite(&[*min, *mode, *max]) {
                    return Err(format!("{name} parameters must be finite numbers"));
                }
                if min > max {
                    return Err(format!("{name} min {min} is greater than max {max}"));
                }
                if mode < min || mode > max {
                    return Err(format!(
                        "{name} mode {mode} lies outside [min, max] = [{min}, {max}]"
                    ));
                }
                if min == max {
                    return Ok(Distribution::Fixed(*min));
                }
                let p = [*min, *mode, *max];
                if name == "pert" {
                    let s = Pert::new(*min, *mode, *max)
                        .ok_or_else(|| format!("pert shapes of {p:?} are not usable"))?;
                    Ok(Distribution::Pert(s, p))
                } else {
                    let s = Triangular::new(*min, *mode, *max)
                        .ok_or_else(|| format!("triangular {p:?} is not usable"))?;
                    Ok(Distribution::Triangular(s, p))
                }
            }
            Dist::Lognormal { median, sigma } => {
                if !finite(&[*median, *sigma]) {
                    return Err("lognormal parameters must be finite numbers".into());
                }
                if *median <= 0.0 {
                    return Err(format!("lognormal median {median} must be > 0"));
                }
                if *sigma <= 0.0 {
                    return Err(format!("lognormal sigma {sigma} must be > 0"));
                }
                let l = LogNormal::from_median(*median, *sigma)
                    .ok_or("lognormal parameters are not usable")?;
                Ok(Distribution::LogNormal(l, [*median, *sigma]))
            }
            Dist::Beta { mean, sd } => {
                if !finite(&[*mean, *sd]) {
                    return Err("beta parameters must be finite numbers".into());
                }
                if *mean <= 0.0 || *mean >= 1.0 {
                    return Err(format!("beta mean {mean} must lie strictly inside (0, 1)"));
                }
                let var_max = mean * (1.0 - mean);
                if *sd <= 0.0 || sd * sd >= var_max {
                    return Err(format!(
                        "beta sd {sd} must be > 0 and below sqrt(mean*(1-mean)) = {:.4}",
                        var_max.sqrt()
                    ));
                }
                let k = var_max / (sd * sd) - 1.0;
                let (alpha, beta) = (mean * k, (1.0 - mean) * k);
                let b = Beta::new(alpha, beta).ok_or_else(|| {
                    format!(
                        "beta mean {mean}, sd {sd} give shapes ({alpha}, {beta}), \
                         which must be finite and > 0"
                    )
                })?;
                Ok(Distribution::Beta(b, [*mean, *sd]))
            }
            Dist::Choice { values, weights } => {
                if values.is_empty() {
                    return Err("choice needs at least one value".into());
                }
                if !finite(values) {
                    return Err("choice values must be finite numbers".into());
                }
                let w: Vec<f64> = match weights {
                    Some(w) => {
                        if w.len() != values.len() {
                            return Err(format!(
                                "choice has {} values but {} weights",
                                values.len(),
                                w.len()
                            ));
                        }
                        if !finite(w) || w.iter().any(|x| *x < 0.0) {
                            return Err("choice weights must be finite and ≥ 0".into());
                        }
                        w.clone()
                    }
                    None => vec![1.0; values.len()],
                };
                let total: f64 = w.iter().sum();
                if total <= 0.0 {
                    return Err("choice weights sum to zero".into());
                }
                if !total.is_finite() {
                    // Each weight is finite but their sum overflows: every
                    // x / total would be 0 and the last value always drawn.
                    return Err(
                        "choice weights sum to more than the largest number; scale them down"
                            .into(),
                    );
                }
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = w
                    .iter()
                    .map(|x| {
                        acc += x / total;
                        acc
                    })
                    .collect();
                // The sum of the fractions may fall a hair short of 1. It
                // is 1 from the last value of positive weight on, so no
                // value of weight 0 after it can be drawn: a value of
                // weight 0 is never drawn, and so is left out of the
                // support (a key's range does not apply to it).
                let last = w.iter().rposition(|x| *x > 0.0).unwrap_or(0);
                for c in &mut cumulative[last..] {
                    *c = 1.0;
                }
                Ok(Distribution::Choice {
                    values: values.clone(),
                    cumulative,
                })
            }
        }
    }

    /// Smallest and largest value the distribution can produce (lognormal:
    /// 0 and infinity; choice: of the values that can be drawn, those of
    /// positive weight).
    pub fn support(&self) -> (f64, f64) {
        match self {
            Distribution::Fixed(x) => (*x, *x),
            Distribution::Uniform { min, max } => (*min, *max),
            Distribution::Triangular(_, p) | Distribution::Pert(_, p) => (p[0], p[2]),
            Distribution::LogNormal(..) => (0.0, f64::INFINITY),
            Distribution::Beta(..) => (0.0, 1.0),
            Distribution::Choice { values, cumulative } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .filter(|&(_, c)| {
                        let drawn = *c > prev;
                        prev = *c;
                        drawn
                    })
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (v, _)| {
                        (lo.min(*v), hi.max(*v))
                    })
            }
        }
    }

    /// The mean (used for reports and sanity checks, not for sampling);
    /// its `exp` goes through `libm` too, so it is the same bits everywhere.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Fixed(x) => *x,
            Distribution::Uniform { min, max } => 0.5 * (min + max),
            Distribution::Triangular(_, p) => (p[0] + p[1] + p[2]) / 3.0,
            Distribution::Pert(_, p) => (p[0] + 4.0 * p[1] + p[2]) / 6.0,
            Distribution::LogNormal(_, p) => p[0] * libm::exp(0.5 * p[1] * p[1]),
            Distribution::Beta(_, p) => p[0],
            Distribution::Choice { values, cumulative } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let w = c - prev;
                        prev = *c;
                        v * w
                    })
                    .sum()
            }
        }
    }

    /// Draws one value with the crate's own samplers ([`crate::sampler`]).
    ///
    /// The value depends only on the words `rng` hands over: every
    /// transcendental function goes through the pure-Rust `libm` crate and
    /// every constant is a literal, so the same stream gives the same bits
    /// on every machine and in every build, whatever the compiler inlines
    /// or folds (docs/MODEL.md §2). Fixed reads no word; uniform, choice and
    /// triangular read exactly one; PERT, lognormal and beta are rejection
    /// samplers and read a variable number, which is why the schedule reads
    /// each value from its own region of the stream (`sim::schedule`).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Distribution::Fixed(x) => *x,
            Distribution::Uniform { min, max } => {
                let u = sampler::unit(rng);
                min + (max - min) * u
            }
            Distribution::Triangular(t, _) => t.sample(rng),
            Distribution::Pert(p, _) => p.sample(rng),
            Distribution::LogNormal(l, _) => l.sample(rng),
            Distribution::Beta(b, _) => b.sample(rng),
            Distribution::Choice { values, cumulative } => {
                let u = sampler::unit(rng);
                let i = cumulative
                    .partition_point(|c| *c <= u)
                    .min(values.len() - 1);
                values[i]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(values: &[f64], weights: &[f64]) -> Distribution {
        Distribution::new(&Dist::Choice {
            values: values.to_vec(),
            weights: Some(weights.to_vec()),
        })
        .expect("valid choice")
    }

    /// A value of weight 0 can never be drawn, wherever it stands, so the
    /// support (which a key's range is checked against) leaves it out.
    #[test]
    fn a_value_of_weight_zero_is_never_drawn_nor_in_the_support() {
        // 0.1 + 0.2 + 0.7 falls a hair short of 1 in floating point: the
        // last value, of weight 0, must not take up the rest.
        let d = choice(&[1.0, 2.0, 3.0, 99.0], &[0.1, 0.2, 0.7, 0.0]);
        assert_eq!(d.support(), (1.0, 3.0));
        let Distribution::Choice { cumulative, .. } = &d else {
            unreachable!("a choice")
        };
        assert_eq!(cumulative[2], 1.0);
        assert_eq!(cumulative[3], 1.0);
        let d = choice(&[-5.0, 0.5, 7.0, 2.0], &[0.0, 1.0, 0.0, 1.0]);
        assert_eq!(d.support(), (0.5, 2.0));
        assert_eq!(d.mean(), 1.25);
        // Equal weights, the default, keep every value.
        let d = Distribution::new(&Dist::Choice {
            values: vec![0.5, 2.0],
            weights: None,
        })
        .expect("valid");
        assert_eq!(d.support(), (0.5, 2.0));
    }
}
