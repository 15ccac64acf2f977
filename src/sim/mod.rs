//! The engine: one trial of weekly supply-chain dynamics over flat arrays.
//!
//! [`Engine`] is compiled once from a [`Network`](crate::network::Network)
//! and shared by every thread; each thread owns a [`Scratch`] reused across
//! trials and a [`TrialOutcome`] it fills. A trial's randomness is its shock
//! schedule, drawn from its own stream `(seed, trial)` before the weekly
//! loop ([`schedule`]); the loop itself is deterministic ([`step`]).
//!
//! ```
//! use chipshock::sim::{Engine, TrialOutcome, synth::synthetic};
//! let net = synthetic(50, 7);
//! let engine = Engine::new(&net);
//! let mut scratch = engine.scratch();
//! let mut out = TrialOutcome::default();
//! engine.run_trial(42, 0, &mut scratch, &mut out, false);
//! assert!(out.lost_units >= 0.0);
//! ```

mod bits;
mod engine;
pub mod schedule;
pub(crate) mod step;
pub mod synth;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
pub mod variant;

pub use engine::{Engine, EngineConfig, Scratch};
pub use schedule::trial_rng;

/// The runner plays trials through this; the engine resets `out` itself, so
/// a pre-reset outcome costs nothing extra but a second clear.
impl Engine {
    /// Sizes the scratch for this engine and resets the outcome for trial
    /// `trial` (weekly fulfilment sized only when recorded).
    pub(crate) fn begin_trial(
        &self,
        trial: u64,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    ) {
        s.ensure(self);
        let weekly_len = if record_weekly {
            self.market_count() * self.horizon() as usize
        } else {
            0
        };
        out.reset(trial, self.market_need_ids().len(), weekly_len);
    }
}

impl crate::mc::TrialRunner for Engine {
    type Scratch = Scratch;

    fn new_scratch(&self) -> Scratch {
        self.scratch()
    }

    fn run_trial(
        &self,
        seed: u64,
        trial: u64,
        scratch: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    ) {
        Engine::run_trial(self, seed, trial, scratch, out, record_weekly);
    }
}

use serde::Serialize;

/// A shock that fired in a trial, as drawn from the trial's schedule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiredShock {
    /// Index into `Network::shocks`.
    pub shock: u32,
    pub onset_week: u32,
    pub duration_weeks: u32,
    pub severity: f64,
    /// Weeks of linear ramp back after the end. For a capacity shock with no
    /// recovery of its own each facility ramps over its own recovery time,
    /// and this holds the longest of them.
    pub recovery_weeks: u32,
    /// Index into the trial's fired list of the shock that triggered it.
    pub triggered_by: Option<u32>,
}

impl FiredShock {
    /// A scripted instance of shock `shock` (index into `Network::shocks`),
    /// not drawn and not triggered: "the blockade starts in week 10, lasts
    /// 26 weeks at full severity and recovers over 8". A capacity shock
    /// the scenario declares without `recovery_weeks` recovers each
    /// facility over the facility's own recovery time, as when drawn:
    /// `recovery_weeks` is then set to the longest of them when the
    /// schedule is simulated.
    pub fn scripted(
        shock: u32,
        onset_week: u32,
        duration_weeks: u32,
        severity: f64,
        recovery_weeks: u32,
    ) -> FiredShock {
        FiredShock {
            shock,
            onset_week,
            duration_weeks,
            severity,
            recovery_weeks,
            triggered_by: None,
        }
    }
}

/// Everything one trial reports. Reused across trials (no allocation per
/// trial once sized): call [`TrialOutcome::reset`] before each.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrialOutcome {
    pub trial: u64,
    pub fired: Vec<FiredShock>,
    /// Lost demand in units, summed over markets and products. For a
    /// back-ordering market only demand still unserved at the horizon end
    /// counts as lost (late deliveries are in `backorder_unit_weeks`).
    pub lost_units: f64,
    pub lost_usd: f64,
    /// Per market-demand need (same order as `Network::needs` filtered to
    /// markets: index = position in `market_need_ids`).
    pub lost_units_by_need: Vec<f64>,
    pub lost_usd_by_need: Vec<f64>,
    /// Largest weekly shortfall fraction over all markets (0..1).
    pub peak_shortfall: f64,
    /// Weeks in which total fulfilment was below the threshold.
    pub weeks_below_threshold: u32,
    /// Weeks from the onset of the shock the first shortfall follows (see
    /// docs/MODEL.md §4) to the first shortfall week; `None` without a
    /// shortfall, or when no shock began at or before it (a policy's own).
    pub time_to_survive: Option<u32>,
    /// Weeks from the first shortfall week until fulfilment is back above
    /// the threshold for good; `None` without a shortfall, or when it was
    /// still short in the last week (recovery censored by the horizon).
    pub time_to_recover: Option<u32>,
    /// The first week whose total fulfilment was below the threshold.
    pub first_short_week: Option<u32>,
    /// Weekly fulfilment fraction per market, row-major `[market][week]`
    /// (horizon columns). Filled only when requested.
    pub weekly_fulfilment: Vec<f32>,
    /// Σ over weeks of back-ordered units outstanding at the end of each
    /// week (unit-weeks of delay, back-ordering markets only).
    pub backorder_unit_weeks: f64,
}

impl TrialOutcome {
    pub fn reset(&mut self, trial: u64, market_needs: usize, weekly_len: usize) {
        self.trial = trial;
        self.fired.clear();
        self.lost_units = 0.0;
        self.lost_usd = 0.0;
        self.lost_units_by_need.clear();
        self.lost_units_by_need.resize(market_needs, 0.0);
        self.lost_usd_by_need.clear();
        self.lost_usd_by_need.resize(market_needs, 0.0);
        self.peak_shortfall = 0.0;
        self.weeks_below_threshold = 0;
        self.time_to_survive = None;
        self.time_to_recover = None;
        self.first_short_week = None;
        self.weekly_fulfilment.clear();
        self.weekly_fulfilment.resize(weekly_len, 1.0);
        self.backorder_unit_weeks = 0.0;
    }
}
