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
pub use crate::network::MAX_EVENTS_PER_SHOCK;
/// Fired shocks per trial, spontaneous and triggered together.
pub use crate::network::MAX_FIRED;
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
    /// Sets the recovery of every capacity shock in `fired` that the
    /// scenario declares without one to the longest of its facilities'
    /// recovery times, as a drawn schedule has it: each facility ramps back
    /// over its own time, and the weeks the shock touches its targets must
    /// cover the longest ramp. (A scripted schedule may say otherwise.)
    pub(crate) fn settle_recovery(&self, fired: &mut [FiredShock]) {
        for f in fired {
            let s = &self.shocks[f.shock as usize];
            if s.recovery_weeks.is_none() && matches!(s.target, ShockTarget::Capacity(_)) {
                f.recovery_weeks = self.shock_fac_recovery[f.shock as usize];
            }
        }
    }
    /// Draws trial `trial`'s schedule into `fired` (cleared first), in time
    /// order: by onset, a triggered instance after its parent; a shock is
    /// triggered at most once, at the earliest onset its firing triggers
    /// give it (see [`Engine::draw_triggers`]).
    ///
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
        // In time order: a rate shock's events were drawn in slot order,
        // wherever they fell. Ties keep shock then slot order, so the order
        // is total and the sort needs no stability (nor an allocation): the
        // slot rides in `triggered_by`, still `None` for every instance here.
        if !fired.is_sorted_by_key(|f| f.onset_week) {
            for (f, &slot) in fired.iter_mut().zip(&scratch.fired_slot) {
                f.triggered_by = Some(slot);
            }
            fired.sort_unstable_by_key(|f| (f.onset_week, f.shock, f.triggered_by));
            for (f, slot) in fired.iter_mut().zip(&mut scratch.fired_slot) {
                *slot = f.triggered_by.take().unwrap_or_default();
            }
        }
        self.draw_triggers(&mut rng, fired, scratch);
    }

    /// Triggered instances, in time order (Dijkstra's order, lags being
    /// non-negative). `fired` holds the spontaneous instances sorted by
    /// onset; it is worked in place as three runs: `[0, i)` done, in time
    /// order, their triggers read; `[i, m)` spontaneous instances still to
    /// do, sorted; `[m, len)` pending triggered instances, unsorted, each
    /// with the earliest onset (and its parent) the triggers read so far
    /// give it. The next instance done is the earliest of `fired[i]` and the
    /// pending ones (on a tie the spontaneous one, then the one pending
    /// longest). A shock is triggered at most once, at the earliest onset
    /// any firing trigger gives it: a trigger read later can only lower a
    /// pending onset, never a done one, so once done an instance is final.
    ///
    /// Every value read has its own address (the fire and lag draws of
    /// trigger `j` of an instance sit in the instance's slot, a triggered
    /// instance's own values in slot 255), so the order of reading changes
    /// no value; the schedule is a function of the trial's stream alone,
    /// and ties between triggers change only which parent is named.
    fn draw_triggers(
        &self,
        rng: &mut ChaCha8Rng,
        fired: &mut Vec<FiredShock>,
        scratch: &mut Scratch,
    ) {
        let h = self.horizon;
        let (mut i, mut m) = (0, fired.len());
        while i < fired.len() {
            // The earliest instance not done: `fired[i]` if spontaneous,
            // unless a pending one starts strictly sooner.
            let mut next = i;
            for q in m.max(i + 1)..fired.len() {
                if fired[q].onset_week < fired[next].onset_week {
                    next = q;
                }
            }
            if next != i {
                // Into place; the runs after `i` keep their order.
                fired[i..=next].rotate_right(1);
                scratch.fired_slot[i..=next].rotate_right(1);
            }
            if i == m || next != i {
                // A pending instance is done: the spontaneous run moves up.
                m += 1;
            }
            let parent_onset = fired[i].onset_week;
            let parent_shock = fired[i].shock;
            let slot = scratch.fired_slot[i];
            for (j, trig) in self.shocks[parent_shock as usize]
                .triggers
                .iter()
                .enumerate()
            {
                let f = F_TRIGGER + 2 * j as u32;
                rng.set_word_pos(addr(parent_shock, slot, f));
                let u = unit(rng);
                let child = trig.shock as usize;
                if u >= trig.probability || child >= self.shocks.len() {
                    continue;
                }
                // Pending (its onset may still fall) or done (final)?
                let pending = if scratch.triggered[child] {
                    match (m..fired.len()).find(|&q| fired[q].shock == child as u32) {
                        Some(q) => Some(q),
                        None => continue,
                    }
                } else {
                    None
                };
                rng.set_word_pos(addr(parent_shock, slot, f + 1));
                let lag = weeks(trig.lag_weeks.sample(rng), 0);
                let onset = parent_onset.saturating_add(lag);
                if onset >= h {
                    // After the simulated weeks; an earlier one may follow.
                    continue;
                }
                if let Some(q) = pending {
                    if onset < fired[q].onset_week {
                        fired[q].onset_week = onset;
                        fired[q].triggered_by = Some(i as u32);
                    }
                    continue;
                }
                if fired.len() >= MAX_FIRED {
                    continue;
                }
                scratch.triggered[child] = true;
                let mut inst = FiredShock {
                    shock: child as u32,
                    onset_week: onset,
                    duration_weeks: 0,
                    severity: 0.0,
                    recovery_weeks: 0,
                    triggered_by: Some(i as u32),
                };
                self.fill_instance(rng, &mut inst, TRIGGERED_SLOT, onset);
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
    use crate::dist::Distribution;
    use crate::network::{Network, Shock, Trigger};
    use crate::sim::testkit::{Builder, fixed};

    /// A one-facility network for schedule tests.
    fn builder(h: u32) -> Builder {
        let mut b = Builder::new(h);
        let f = b.facility("x", 10.0, 0.0, 0.0);
        let m = b.market(0.0, false);
        let n = b.demand(m, "x", 1.0, 1.0);
        b.link(f, n, 1.0, 1);
        b
    }

    fn shock(occurrence: Occurrence, onset: Option<Distribution>) -> Shock {
        super::super::testkit::capacity_shock(occurrence, onset)
    }

    /// Draws trials `0..n` of `net` seeded `seed`, checking on each the
    /// invariants every schedule keeps: instances are chronological, a
    /// triggered instance comes after its parent and no earlier than it,
    /// and a shock is triggered at most once.
    fn schedules(net: &Network, seed: u64, n: u64, mut each: impl FnMut(u64, &[FiredShock])) {
        let e = Engine::new(net);
        let mut s = e.scratch();
        let mut fired = Vec::new();
        for t in 0..n {
            e.draw_schedule(seed, t, &mut fired, &mut s);
            for (i, x) in fired.iter().enumerate() {
                assert!(x.onset_week < net.settings.horizon_weeks);
                if i > 0 {
                    assert!(
                        fired[i - 1].onset_week <= x.onset_week,
                        "trial {t}: not chronological: {fired:?}"
                    );
                }
                if let Some(p) = x.triggered_by {
                    assert!((p as usize) < i, "trial {t}: {fired:?}");
                    assert!(fired[p as usize].onset_week <= x.onset_week);
                    let twice = fired[i + 1..]
                        .iter()
                        .any(|y| y.shock == x.shock && y.triggered_by.is_some());
                    assert!(!twice, "trial {t}: triggered twice: {fired:?}");
                }
            }
            each(t, &fired);
        }
    }

    /// A shock with many events a year, triggering a child with certainty
    /// and no lag: the child starts with the parent's *earliest* event, not
    /// with whichever event was drawn first (it once followed event 0
    /// wherever that fell: `P@1;P@13;P@11;P@8;P@3;Q@1` was the lucky case).
    #[test]
    fn a_repeated_parent_triggers_from_its_earliest_event() {
        let mut b = builder(52);
        let p = b.shock(shock(Occurrence::RatePerYear(6.0), None));
        let q = b.shock(shock(Occurrence::Probability(0.0), None));
        b.trigger(p, q, 1.0, 0.0);
        let net = b.build();
        let mut several = 0;
        schedules(&net, 11, 2_000, |t, fired| {
            let first = fired
                .iter()
                .filter(|x| x.shock == p)
                .map(|x| x.onset_week)
                .min();
            let children: Vec<_> = fired.iter().filter(|x| x.shock == q).collect();
            match first {
                None => assert!(children.is_empty(), "trial {t}: {fired:?}"),
                Some(w) => {
                    assert_eq!(children.len(), 1, "trial {t}: {fired:?}");
                    assert_eq!(children[0].onset_week, w, "trial {t}: {fired:?}");
                    let parent = &fired[children[0].triggered_by.unwrap() as usize];
                    assert_eq!((parent.shock, parent.onset_week), (p, w));
                }
            }
            several += usize::from(fired.iter().filter(|x| x.shock == p).count() > 2);
        });
        assert!(several > 1_000, "{several}");
    }

    /// Two parents, each triggering the same child: the child takes the
    /// earliest onset any trigger gives it (parent onset + lag), even when
    /// that trigger's parent starts later or comes later in shock order; a
    /// trigger whose lag carries the child past the horizon does not stop
    /// an earlier one from firing it.
    #[test]
    fn a_child_starts_at_the_earliest_onset_its_triggers_give() {
        for (lag_a, expect) in [(10.0, Some(10)), (100.0, Some(10)), (1.0, Some(6))] {
            let mut b = builder(52);
            let a = b.shock(shock(Occurrence::Probability(1.0), Some(fixed(5.0))));
            let bb = b.shock(shock(Occurrence::Probability(1.0), Some(fixed(8.0))));
            let c = b.shock(shock(Occurrence::Probability(0.0), None));
            b.trigger(a, c, 1.0, lag_a);
            b.trigger(bb, c, 1.0, 2.0);
            let net = b.build();
            schedules(&net, 3, 20, |t, fired| {
                let child: Vec<_> = fired.iter().filter(|x| x.shock == c).collect();
                assert_eq!(child.len(), 1, "lag {lag_a}, trial {t}: {fired:?}");
                assert_eq!(Some(child[0].onset_week), expect, "lag {lag_a}: {fired:?}");
                let parent = fired[child[0].triggered_by.unwrap() as usize].shock;
                assert_eq!(parent, if expect == Some(6) { a } else { bb });
            });
        }
    }

    /// A chain reaches a shock sooner than a direct trigger: A@1 → B@1 →
    /// C@1 beats D@5 → C@5 although D's trigger is nearer the root (and D
    /// comes first in shock order); the list runs in time order.
    #[test]
    fn a_chain_can_trigger_before_a_direct_trigger() {
        let mut b = builder(52);
        let d = b.shock(shock(Occurrence::Probability(1.0), Some(fixed(5.0))));
        let a = b.shock(shock(Occurrence::Probability(1.0), Some(fixed(1.0))));
        let bb = b.shock(shock(Occurrence::Probability(0.0), None));
        let c = b.shock(shock(Occurrence::Probability(0.0), None));
        b.trigger(d, c, 1.0, 0.0);
        b.trigger(a, bb, 1.0, 0.0);
        b.trigger(bb, c, 1.0, 0.0);
        let net = b.build();
        schedules(&net, 5, 20, |_, fired| {
            let got: Vec<_> = fired
                .iter()
                .map(|x| (x.shock, x.onset_week, x.triggered_by))
                .collect();
            assert_eq!(
                got,
                [
                    (a, 1, None),
                    (bb, 1, Some(0)),
                    (c, 1, Some(1)),
                    (d, 5, None)
                ]
            );
        });
    }

    /// Random networks of shocks with random triggers, lags and cycles:
    /// each schedule equals a reference computed without any order, the
    /// least fixed point of "a shock's triggered onset is the earliest
    /// parent onset + lag of its firing triggers, below the horizon", read
    /// from the same addresses.
    #[test]
    fn triggered_onsets_are_the_earliest_any_path_gives() {
        let h = 52u32;
        let mut gen_rng = trial_rng(99, 0);
        let mut pick = |n: usize| (unit(&mut gen_rng) * n as f64) as usize;
        let mut triggered = 0;
        for net_no in 0..60 {
            let mut b = builder(h);
            let ns = 2 + pick(6);
            for _ in 0..ns {
                let occ = match pick(6) {
                    0 => Occurrence::Probability(0.0),
                    1 => Occurrence::Probability(0.3),
                    2 => Occurrence::Probability(1.0),
                    3 => Occurrence::RatePerYear(1.0),
                    4 => Occurrence::RatePerYear(5.0),
                    _ => Occurrence::RatePerYear(20.0),
                };
                let mut sh = shock(occ, None);
                for _ in 0..pick(4) {
                    sh.triggers.push(Trigger {
                        shock: pick(ns) as u32,
                        probability: [0.3, 0.7, 1.0][pick(3)],
                        lag_weeks: match pick(3) {
                            0 => fixed(0.0),
                            1 => Distribution::Uniform { min: 0.0, max: 8.0 },
                            _ => Distribution::Uniform {
                                min: 0.0,
                                max: 40.0,
                            },
                        },
                    });
                }
                b.shock(sh);
            }
            let net = b.build();
            let seed = 1000 + net_no;
            schedules(&net, seed, 200, |t, fired| {
                triggered += fired.iter().filter(|x| x.triggered_by.is_some()).count();
                let want = reference(&net, seed, t);
                let mut got: Vec<_> = fired
                    .iter()
                    .map(|x| (x.shock, x.onset_week, x.triggered_by.is_some()))
                    .collect();
                got.sort_unstable();
                assert_eq!(got, want, "network {net_no}, trial {t}: {fired:?}");
                for x in fired {
                    if let Some(p) = x.triggered_by {
                        let parent = fired[p as usize].shock as usize;
                        assert!(
                            net.shocks[parent]
                                .triggers
                                .iter()
                                .any(|g| g.shock == x.shock)
                        );
                    }
                }
            });
        }
        assert!(triggered > 2_000, "{triggered}");
    }

    /// `(shock, onset, triggered)` of every instance of trial `t`, sorted,
    /// by fixed-point iteration over positional draws (rates up to 100 a
    /// horizon, onsets uniform).
    fn reference(net: &Network, seed: u64, t: u64) -> Vec<(u32, u32, bool)> {
        let h = net.settings.horizon_weeks;
        let mut rng = trial_rng(seed, t);
        let mut inst = Vec::new();
        for (k, s) in net.shocks.iter().enumerate() {
            let u = unit(&mut rng);
            let n = match s.occurrence {
                Occurrence::Probability(p) => u32::from(u < p),
                Occurrence::RatePerYear(r) => poisson_inverse(r * h as f64 / 52.0, u),
            };
            for e in 0..n {
                inst.push((k as u32, e, 0u32));
            }
        }
        for x in &mut inst {
            rng.set_word_pos(addr(x.0, x.1, F_ONSET));
            x.2 = ((unit(&mut rng) * h as f64) as u32).min(h - 1);
        }
        let mut best: Vec<Option<u32>> = vec![None; net.shocks.len()];
        loop {
            let mut next = best.clone();
            let triggered = best
                .iter()
                .enumerate()
                .filter_map(|(k, o)| o.map(|o| (k as u32, TRIGGERED_SLOT, o)));
            for (k, slot, onset) in inst.iter().copied().chain(triggered) {
                for (j, g) in net.shocks[k as usize].triggers.iter().enumerate() {
                    let f = F_TRIGGER + 2 * j as u32;
                    rng.set_word_pos(addr(k, slot, f));
                    if unit(&mut rng) >= g.probability {
                        continue;
                    }
                    rng.set_word_pos(addr(k, slot, f + 1));
                    let o = onset + weeks(g.lag_weeks.sample(&mut rng), 0);
                    let c = &mut next[g.shock as usize];
                    if o < h && c.is_none_or(|c| o < c) {
                        *c = Some(o);
                    }
                }
            }
            if next == best {
                break;
            }
            best = next;
        }
        let mut all: Vec<_> = inst.iter().map(|x| (x.0, x.2, false)).collect();
        all.extend(
            best.iter()
                .enumerate()
                .filter_map(|(k, o)| o.map(|o| (k as u32, o, true))),
        );
        all.sort_unstable();
        all
    }

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
