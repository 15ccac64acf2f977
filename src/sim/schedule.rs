//! A trial's shock schedule, drawn before the weekly loop from the trial's
//! own random stream.
//!
//! The stream is ChaCha8 seeded from the run seed with the trial number as
//! its stream id, so trial `i` is the same whatever thread runs it.
//!
//! **Every random value has a fixed address in the stream.** The
//! occurrence draw of shock `k` is the `k`-th `u64` of the stream; every
//! other value (onset, duration, severity, recovery of the `e`-th event of
//! shock `k`; fire and lag of its `j`-th trigger) is read from its own
//! region at word position `(k + 1) << 40 | slot << 32 | field << 8`. A value
//! is read only when needed, but it is the same value whatever else
//! happened: rejection samplers (PERT, beta, lognormal, PTRS Poisson) that
//! consume a variable number of words cannot shift later draws, a shock
//! that does not fire does not move the next one's values, and a policy
//! that changes the network without changing its shocks sees the very same
//! schedule (common random numbers). This is the "fixed number of draws per shock" rule taken to
//! its limit, and it keeps a quiet trial to one block of ChaCha output.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::engine::{Engine, weeks};
use super::{FiredShock, Scratch};
use crate::network::{Occurrence, ShockTarget};
use crate::sampler::unit;

/// Spontaneous events of one shock within a horizon (Poisson counts are
/// truncated here).
pub const MAX_EVENTS_PER_SHOCK: u32 = 64;
/// Fired shocks per trial, spontaneous and triggered together.
pub const MAX_FIRED: usize = 4096;
/// Poisson means up to this are drawn by inverse CDF from one uniform;
/// larger ones by [`Poisson`](crate::sampler::Poisson) (PTRS) from the
/// shock's own region.
pub(crate) const INVERSE_CDF_MAX_MEAN: f64 = 100.0;

/// The slot of a shock's triggered instance (at most one per trial).
const TRIGGERED_SLOT: u32 = 255;
const F_ONSET: u32 = 0;
const F_DURATION: u32 = 1;
const F_SEVERITY: u32 = 2;
const F_RECOVERY: u32 = 3;
const F_COUNT: u32 = 4;
/// Trigger `j` uses fields `F_TRIGGER + 2j` (fire) and `+ 1` (lag).
const F_TRIGGER: u32 = 8;

#[inline]
fn addr(shock: u32, slot: u32, field: u32) -> u128 {
    (((shock as u128) + 1) << 40) | ((slot as u128) << 32) | ((field as u128 & 0xFF_FFFF) << 8)
}

/// The trial's generator: ChaCha8 from `seed`, stream `trial`.
pub fn trial_rng(seed: u64, trial: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(trial);
    rng
}

/// Number of events from one uniform by inverse CDF of Poisson(mean).
fn poisson_inverse(mean: f64, u: f64) -> u32 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    // libm, not f64::exp: the platform's exp may differ in the last bit
    // between machines, and this probability decides the count.
    let mut p = libm::exp(-mean);
    let mut cdf = p;
    let mut k = 0u32;
    while u >= cdf && k < MAX_EVENTS_PER_SHOCK {
        k += 1;
        p *= mean / k as f64;
        cdf += p;
        if p == 0.0 && cdf < u {
            // The tail underflowed: u lies beyond double precision's reach.
            break;
        }
    }
    k
}

impl Engine {
    /// Draws trial `trial`'s schedule into `fired` (cleared first):
    /// spontaneous events in shock order, then triggered ones breadth-first.
    /// Uses only `scratch`'s schedule arrays; allocation-free once `fired`
    /// has grown to its working size.
    pub fn draw_schedule(
        &self,
        seed: u64,
        trial: u64,
        fired: &mut Vec<FiredShock>,
        scratch: &mut Scratch,
    ) {
        scratch.ensure(self);
        fired.clear();
        scratch.fired_slot.clear();
        scratch.triggered.fill(false);
        if self.shocks.is_empty() {
            return;
        }
        let h = self.horizon;
        let mut rng = trial_rng(seed, trial);

        // Occurrence: word 2k of the stream holds shock k's draw.
        for (k, s) in self.shocks.iter().enumerate() {
            let u = unit(&mut rng);
            let n = match s.occurrence {
                Occurrence::Probability(p) => u32::from(u < p),
                Occurrence::RatePerYear(r) => match &self.poisson[k] {
                    None => poisson_inverse(r * h as f64 / 52.0, u),
                    Some(d) => {
                        let mut r2 = trial_rng(seed, trial);
                        r2.set_word_pos(addr(k as u32, 0, F_COUNT));
                        d.sample(&mut r2).min(u64::from(MAX_EVENTS_PER_SHOCK)) as u32
                    }
                },
            };
            // Events are materialised below, after every occurrence draw,
            // so the sequential prefix of the stream stays aligned.
            for e in 0..n {
                if fired.len() >= MAX_FIRED {
                    break;
                }
                fired.push(FiredShock {
                    shock: k as u32,
                    onset_week: 0,
                    duration_weeks: 0,
                    severity: 0.0,
                    recovery_weeks: 0,
                    triggered_by: None,
                });
                scratch.fired_slot.push(e);
            }
        }
        // Spontaneous events: onset and the rest from their own regions. An
        // event whose onset falls at or past the horizon happens after the
        // simulated weeks: it is dropped, as a triggered one is (moving it
        // to the last week would invent a one-week shock).
        let mut kept = 0;
        for i in 0..fired.len() {
            let (k, slot) = (fired[i].shock, scratch.fired_slot[i]);
            rng.set_word_pos(addr(k, slot, F_ONSET));
            let onset = match &self.shocks[k as usize].onset_week {
                Some(d) => weeks(d.sample(&mut rng), 0),
                None => ((unit(&mut rng) * h as f64) as u32).min(h.saturating_sub(1)),
            };
            if onset >= h {
                continue;
            }
            fired.swap(kept, i);
            scratch.fired_slot[kept] = slot;
            self.fill_instance(&mut rng, &mut fired[kept], slot, onset);
            kept += 1;
        }
        fired.truncate(kept);
        scratch.fired_slot.truncate(kept);
        // Triggers, breadth-first; a shock is triggered at most once.
        let mut i = 0;
        while i < fired.len() {
            let parent = fired[i].clone();
            let slot = scratch.fired_slot[i];
            for (j, trig) in self.shocks[parent.shock as usize]
                .triggers
                .iter()
                .enumerate()
            {
                let f = F_TRIGGER + 2 * j as u32;
                rng.set_word_pos(addr(parent.shock, slot, f));
                let u = unit(&mut rng);
                let child = trig.shock as usize;
                if u >= trig.probability || child >= self.shocks.len() || scratch.triggered[child] {
                    continue;
                }
                scratch.triggered[child] = true;
                rng.set_word_pos(addr(parent.shock, slot, f + 1));
                let lag = weeks(trig.lag_weeks.sample(&mut rng), 0);
                let onset = parent.onset_week.saturating_add(lag);
                if onset >= h || fired.len() >= MAX_FIRED {
                    continue;
                }
                let mut inst = FiredShock {
                    shock: child as u32,
                    onset_week: onset,
                    duration_weeks: 0,
                    severity: 0.0,
                    recovery_weeks: 0,
                    triggered_by: Some(i as u32),
                };
                self.fill_instance(&mut rng, &mut inst, TRIGGERED_SLOT, onset);
                fired.push(inst);
                scratch.fired_slot.push(TRIGGERED_SLOT);
            }
            i += 1;
        }
    }

    /// Duration, severity and recovery of one instance, from its regions.
    fn fill_instance(&self, rng: &mut ChaCha8Rng, inst: &mut FiredShock, slot: u32, onset: u32) {
        let k = inst.shock;
        let s = &self.shocks[k as usize];
        inst.onset_week = onset;
        rng.set_word_pos(addr(k, slot, F_DURATION));
        inst.duration_weeks = weeks(s.duration_weeks.sample(rng), 1);
        rng.set_word_pos(addr(k, slot, F_SEVERITY));
        let sev = s.severity.sample(rng);
        inst.severity = match s.target {
            ShockTarget::Demand(_) => sev.clamp(-1.0, crate::network::MAX_DEMAND_RISE),
            _ => sev.clamp(0.0, 1.0),
        };
        match &s.recovery_weeks {
            Some(d) => {
                rng.set_word_pos(addr(k, slot, F_RECOVERY));
                inst.recovery_weeks = weeks(d.sample(rng), 0);
            }
            None => {
                // Capacity shocks ramp back over each facility's own time;
                // other shocks end at once.
                let per_fac = matches!(s.target, ShockTarget::Capacity(_));
                inst.recovery_weeks = if per_fac {
                    self.shock_fac_recovery[k as usize]
                } else {
                    0
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_inverse_matches_cdf_edges() {
        assert_eq!(poisson_inverse(0.0, 0.5), 0);
        assert_eq!(poisson_inverse(1.0, 0.0), 0);
        // P(0) = e^-1 ≈ 0.3679, P(≤1) ≈ 0.7358.
        assert_eq!(poisson_inverse(1.0, 0.36), 0);
        assert_eq!(poisson_inverse(1.0, 0.37), 1);
        assert_eq!(poisson_inverse(1.0, 0.74), 2);
        assert!(poisson_inverse(1.0, 0.999_999_999_999) <= MAX_EVENTS_PER_SHOCK);
    }
}
