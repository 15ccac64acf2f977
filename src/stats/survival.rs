//! The Kaplan–Meier estimate of a duration distribution from right-censored
//! observations.
//!
//! A duration that has not ended when observation stops (a shortfall still
//! going on at the horizon's end) is *censored*: only a lower bound is
//! known. Averaging only the durations that ended biases them low, the
//! more so the longer the durations; dropping the censored ones from the
//! denominator overstates how many end early. Kaplan–Meier uses each
//! censored duration for as long as it was seen, and no longer.

use serde::Serialize;

/// Relative slack when comparing the survival curve to `1 − p`: a product
/// of rational factors may land a few ulps above a level it reaches exactly
/// (ten values, none censored, reach 0.5 after five).
const LEVEL_EPS: f64 = 1e-12;

/// One duration: either it ended at `time` (`event`), or it was still going
/// on at `time`, when observation stopped (censored: it is longer than
/// `time`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

/// One distinct time at which some duration ended.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Step {
    pub time: f64,
    /// Durations not ended and not censored before `time`.
    pub at_risk: u64,
    /// Durations ending at `time`.
    pub events: u64,
    /// The estimate of `P(T > time)`.
    pub survival: f64,
    /// Greenwood's sum `Σ d / (n (n − d))` up to `time`.
    greenwood: f64,
}

/// The fitted Kaplan–Meier curve: `S(t) = Π_{tᵢ ≤ t} (1 − dᵢ / nᵢ)` over
/// the distinct event times `tᵢ`, with `dᵢ` durations ending at `tᵢ` out of
/// the `nᵢ` at risk there. A duration censored at `c` is at risk at every
/// `t ≤ c` (it is known to last beyond `c`): at a tie, events come first.
#[derive(Clone, Debug, PartialEq)]
pub struct KaplanMeier {
    steps: Vec<Step>,
    subjects: u64,
    events: u64,
    /// The longest time observed, ended or censored.
    longest: f64,
}

impl KaplanMeier {
    /// Fits the curve. Observations with a non-finite time are ignored.
    pub fn fit(observations: impl IntoIterator<Item = Observation>) -> KaplanMeier {
        let mut obs: Vec<Observation> = observations
            .into_iter()
            .filter(|o| o.time.is_finite())
            .collect();
        // By time; at a tie, events before censorings (a duration censored
        // at t is still at risk at t).
        obs.sort_by(|a, b| a.time.total_cmp(&b.time).then(b.event.cmp(&a.event)));
        let subjects = obs.len() as u64;
        let events = obs.iter().filter(|o| o.event).count() as u64;
        let longest = obs.last().map_or(0.0, |o| o.time);
        let mut steps = Vec::new();
        let (mut survival, mut greenwood) = (1.0f64, 0.0f64);
        let mut at_risk = subjects;
        let mut i = 0;
        while i < obs.len() {
            let t = obs[i].time;
            let (mut d, mut leaving) = (0u64, 0u64);
            while i < obs.len() && obs[i].time == t {
                d += u64::from(obs[i].event);
                leaving += 1;
                i += 1;
            }
            if d > 0 {
                let (n, df) = (at_risk as f64, d as f64);
                survival *= 1.0 - df / n;
                greenwood += if d < at_risk {
                    df / (n * (n - df))
                } else {
                    // S drops to 0: its variance is 0 from here on.
                    f64::INFINITY
                };
                steps.push(Step {
                    time: t,
                    at_risk,
                    events: d,
                    survival,
                    greenwood,
                });
            }
            at_risk -= leaving;
        }
        KaplanMeier {
            steps,
            subjects,
            events,
            longest,
        }
    }

    /// Durations observed (ended or censored).
    pub fn subjects(&self) -> u64 {
        self.subjects
    }

    /// Durations seen to end.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Durations still going on when observation stopped.
    pub fn censored(&self) -> u64 {
        self.subjects - self.events
    }

    /// The longest time observed (ended or censored); 0 without
    /// observations. Beyond it `S` is unknown, unless it has reached 0.
    pub fn longest(&self) -> f64 {
        self.longest
    }

    /// The steps of the curve, one per distinct event time.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The last step at or before `t`.
    fn step_at(&self, t: f64) -> Option<&Step> {
        let k = self.steps.partition_point(|s| s.time <= t);
        k.checked_sub(1).map(|k| &self.steps[k])
    }

    /// `S(t)`, the estimate of `P(T > t)`: 1 before the first event. Past
    /// [`KaplanMeier::longest`] it is only meaningful when it is 0.
    pub fn survival(&self, t: f64) -> f64 {
        self.step_at(t).map_or(1.0, |s| s.survival)
    }

    /// Greenwood's standard error of `S(t)`, `S(t) √(Σ_{tᵢ ≤ t} dᵢ / (nᵢ (nᵢ − dᵢ)))`;
    /// 0 where `S(t)` is 0 or 1.
    pub fn std_error(&self, t: f64) -> f64 {
        match self.step_at(t) {
            Some(s) if s.survival > 0.0 && s.greenwood.is_finite() => {
                s.survival * s.greenwood.sqrt()
            }
            _ => 0.0,
        }
    }

    /// The `p` quantile of the durations: the first event time at which
    /// `S(t) ≤ 1 − p`. `None` when the curve stays above `1 − p` up to the
    /// longest time observed ("not reached": too many durations were still
    /// going on). Without censoring this is the inverse empirical CDF
    /// (Hyndman–Fan type 1) used for every other quantile.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let level = (1.0 - p) * (1.0 + LEVEL_EPS);
        self.steps
            .iter()
            .find(|s| s.survival <= level)
            .map(|s| s.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(data: &[(f64, bool)]) -> Vec<Observation> {
        data.iter()
            .map(|&(time, event)| Observation { time, event })
            .collect()
    }

    /// Ten durations, four censored (+), worked by hand:
    ///
    /// ```text
    /// 2  3  3  5+  6  6+  8  9+  12  12+
    /// t=2:  n=10 d=1  S = 9/10             = 0.9
    /// t=3:  n=9  d=2  S = 0.9 · 7/9        = 0.7
    ///       (5+ leaves)
    /// t=6:  n=6  d=1  S = 0.7 · 5/6        = 0.58333…   (6+ still at risk at 6)
    ///       (6+ leaves)
    /// t=8:  n=4  d=1  S = 0.58333… · 3/4   = 0.4375
    ///       (9+ leaves)
    /// t=12: n=2  d=1  S = 0.4375 · 1/2     = 0.21875    (12+ at risk at 12)
    /// ```
    ///
    /// Median: first S ≤ 0.5, at 8. P90: S never reaches 0.1, so not
    /// reached. Ignoring the censoring, the six ended durations have median
    /// 3 and mean 5.67.
    /// Greenwood at 6: 0.58333² · (1/90 + 2/63 + 1/30) = 0.025926, SE 0.16102.
    #[test]
    fn hand_computed_example_with_censoring() {
        let km = KaplanMeier::fit(obs(&[
            (12.0, false),
            (3.0, true),
            (2.0, true),
            (6.0, false),
            (5.0, false),
            (6.0, true),
            (9.0, false),
            (8.0, true),
            (12.0, true),
            (3.0, true),
        ]));
        assert_eq!((km.subjects(), km.events(), km.censored()), (10, 6, 4));
        let curve: Vec<(f64, u64, u64)> = km
            .steps()
            .iter()
            .map(|s| (s.time, s.at_risk, s.events))
            .collect();
        assert_eq!(
            curve,
            [
                (2.0, 10, 1),
                (3.0, 9, 2),
                (6.0, 6, 1),
                (8.0, 4, 1),
                (12.0, 2, 1)
            ]
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert_eq!(km.survival(1.0), 1.0);
        assert!(close(km.survival(2.0), 0.9));
        assert!(close(km.survival(4.5), 0.7));
        assert!(close(km.survival(6.0), 0.7 * 5.0 / 6.0));
        assert!(close(km.survival(7.0), 0.7 * 5.0 / 6.0));
        assert!(close(km.survival(8.0), 0.4375));
        assert!(close(km.survival(11.0), 0.4375));
        assert!(close(km.survival(12.0), 0.21875));
        assert_eq!(km.quantile(0.5), Some(8.0));
        assert_eq!(km.quantile(0.25), Some(3.0));
        assert_eq!(km.quantile(0.9), None);
        assert_eq!(km.longest(), 12.0);
        let var = (0.7f64 * 5.0 / 6.0).powi(2) * (1.0 / 90.0 + 2.0 / 63.0 + 1.0 / 30.0);
        assert!(
            close(km.std_error(6.0), var.sqrt()),
            "{}",
            km.std_error(6.0)
        );
        assert!((km.std_error(6.0) - 0.16102).abs() < 5e-6);
        assert_eq!(km.std_error(1.0), 0.0);
    }

    /// Without censoring the curve is the empirical survival function and
    /// its quantiles are the type-1 quantiles of the sample.
    #[test]
    fn without_censoring_it_is_the_empirical_distribution() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let km = KaplanMeier::fit(xs.iter().map(|&time| Observation { time, event: true }));
        for (k, &x) in xs.iter().enumerate() {
            let s = (10 - k - 1) as f64 / 10.0;
            assert!((km.survival(x) - s).abs() < 1e-12, "{x}");
        }
        for p in [0.1, 0.25, 0.5, 0.9, 0.95] {
            assert_eq!(
                km.quantile(p),
                Some(crate::stats::quantile_sorted(&xs, p)),
                "p {p}"
            );
        }
        // Ends at 0, with no uncertainty left.
        assert_eq!(km.survival(10.0), 0.0);
        assert_eq!(km.std_error(10.0), 0.0);
        // Greenwood without censoring is the binomial √(S(1 − S)/n).
        let se = km.std_error(3.0);
        assert!((se - (0.7f64 * 0.3 / 10.0).sqrt()).abs() < 1e-12, "{se}");
    }

    #[test]
    fn all_censored_or_empty() {
        let km = KaplanMeier::fit(obs(&[(4.0, false), (7.0, false)]));
        assert_eq!((km.subjects(), km.events(), km.censored()), (2, 0, 2));
        assert_eq!(km.survival(100.0), 1.0);
        assert_eq!(km.quantile(0.5), None);
        assert_eq!(km.longest(), 7.0);
        let km = KaplanMeier::fit(Vec::new());
        assert_eq!(
            (km.subjects(), km.survival(1.0), km.quantile(0.5)),
            (0, 1.0, None)
        );
    }
}
