//! Experimental designs: which parameter points a sweep runs.
//!
//! A full grid (every combination, last axis fastest), zipped axes (the
//! i-th value of every axis together), or a Latin-hypercube sample of N
//! points: each axis's range is cut into N equal strata and every stratum
//! is used exactly once, with the strata of different axes paired by
//! independent random permutations drawn from the sweep's seed.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// The values one axis may take.
#[derive(Clone, Debug, PartialEq)]
pub enum AxisValues {
    /// Explicit values.
    List(Vec<f64>),
    /// A continuous range (Latin hypercube) or `steps` evenly spaced values
    /// from `from` to `to` inclusive (grid, zip).
    Range { from: f64, to: f64, steps: usize },
}

impl AxisValues {
    /// The discrete values (grid and zip designs).
    pub fn discrete(&self) -> Vec<f64> {
        match self {
            AxisValues::List(v) => v.clone(),
            AxisValues::Range { from, to, steps } => {
                if *steps <= 1 {
                    return vec![*from];
                }
                (0..*steps)
                    .map(|i| {
                        if i + 1 == *steps {
                            *to
                        } else {
                            from + (to - from) * i as f64 / (*steps - 1) as f64
                        }
                    })
                    .collect()
            }
        }
    }
}

/// Every combination of the axes' values, last axis fastest.
pub fn grid(axes: &[AxisValues]) -> Vec<Vec<f64>> {
    let values: Vec<Vec<f64>> = axes.iter().map(AxisValues::discrete).collect();
    let mut points = vec![Vec::new()];
    for vals in &values {
        let mut next = Vec::with_capacity(points.len() * vals.len());
        for p in &points {
            for v in vals {
                let mut q = p.clone();
                q.push(*v);
                next.push(q);
            }
        }
        points = next;
    }
    points
}

/// The i-th value of every axis together; all axes need the same length.
pub fn zip(axes: &[AxisValues]) -> Result<Vec<Vec<f64>>, String> {
    let values: Vec<Vec<f64>> = axes.iter().map(AxisValues::discrete).collect();
    let n = values.first().map(Vec::len).unwrap_or(0);
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| v.len() != n) {
        return Err(format!(
            "zipped axes need the same number of values: axis 1 has {n}, axis {} has {}",
            i + 1,
            v.len()
        ));
    }
    Ok((0..n).map(|i| values.iter().map(|v| v[i]).collect()).collect())
}

/// A Latin-hypercube sample of `n` points, reproducible from `seed`.
/// Range axes are sampled uniformly within each stratum; list axes pick the
/// value whose position falls in the stratum.
pub fn latin_hypercube(axes: &[AxisValues], n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Stream 1 keeps the design's draws apart from any trial's (stream = trial).
    rng.set_stream(u64::MAX);
    let mut points = vec![Vec::with_capacity(axes.len()); n];
    for axis in axes {
        let mut perm: Vec<usize> = (0..n).collect();
        // Fisher-Yates with our own draws (stable across rand versions).
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            perm.swap(i, j);
        }
        for (p, &stratum) in points.iter_mut().zip(&perm) {
            let u: f64 = rng.random();
            let x = (stratum as f64 + u) / n as f64; // in [stratum/n, (stratum+1)/n)
            let v = match axis {
                AxisValues::Range { from, to, .. } => from + (to - from) * x,
                AxisValues::List(vals) => {
                    let k = ((x * vals.len() as f64) as usize).min(vals.len() - 1);
                    vals[k]
                }
            };
            p.push(v);
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_every_combination_last_axis_fastest() {
        let g = grid(&[
            AxisValues::List(vec![1.0, 2.0]),
            AxisValues::Range { from: 0.0, to: 1.0, steps: 3 },
        ]);
        assert_eq!(
            g,
            vec![
                vec![1.0, 0.0],
                vec![1.0, 0.5],
                vec![1.0, 1.0],
                vec![2.0, 0.0],
                vec![2.0, 0.5],
                vec![2.0, 1.0]
            ]
        );
    }

    #[test]
    fn zip_pairs_and_rejects_unequal_lengths() {
        let z = zip(&[AxisValues::List(vec![1.0, 2.0]), AxisValues::List(vec![3.0, 4.0])]);
        assert_eq!(z, Ok(vec![vec![1.0, 3.0], vec![2.0, 4.0]]));
        assert!(zip(&[AxisValues::List(vec![1.0]), AxisValues::List(vec![3.0, 4.0])]).is_err());
    }

    #[test]
    fn latin_hypercube_uses_every_stratum_once_and_is_reproducible() {
        let axes = [
            AxisValues::Range { from: 0.02, to: 0.2, steps: 0 },
            AxisValues::Range { from: 0.0, to: 40.0, steps: 0 },
        ];
        let n = 50;
        let a = latin_hypercube(&axes, n, 7);
        assert_eq!(a, latin_hypercube(&axes, n, 7), "same seed, same design");
        assert_ne!(a, latin_hypercube(&axes, n, 8), "another seed, another design");
        for (k, axis) in axes.iter().enumerate() {
            let AxisValues::Range { from, to, .. } = axis else { unreachable!() };
            let mut strata: Vec<usize> = a
                .iter()
                .map(|p| {
                    assert!(p[k] >= *from && p[k] <= *to, "{} outside [{from}, {to}]", p[k]);
                    (((p[k] - from) / (to - from)) * n as f64) as usize
                })
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "each stratum exactly once");
        }
    }
}
