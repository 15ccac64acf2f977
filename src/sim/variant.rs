//! A variant in the engine: one compiled [`Engine`] per policy regime (and,
//! with crisis sharing, per crisis state), and a driver that switches
//! between them week by week.
//!
//! The regimes come from [`policy::apply`](crate::policy::apply): which
//! reshored fabs are online and which agreements have been revoked. A
//! switch re-expresses the trial state against the new baseline
//! ([`Scratch::rebase`]) without creating or destroying stock. Crisis
//! sharing swaps in an engine whose member suppliers ration members first,
//! while any shock is active and the agreement holds. The schedule of a
//! trial is drawn exactly as in the plain engine (policies draw no random
//! numbers), so every variant sees the same shocks: common random numbers.

use std::sync::OnceLock;

use super::engine::{Engine, EngineConfig, RegimeChange, Scratch};
use super::step::{Checkpoint, Checkpoints, Driver};
use super::{FiredShock, TrialOutcome};
use crate::network::{Network, ShockTarget};
use crate::policy::VariantNetwork;
use crate::scenario::Allocation;

/// A regime's network in the crisis state: the members' facilities of every
/// crisis-sharing group whose agreement still holds (not in `revoked`)
/// serve their members first (priority 0 before the others' 1).
fn crisis_network(net: &Network, vn: &VariantNetwork, revoked: u32) -> Network {
    let mut n = net.clone();
    for (g, c) in vn.crisis.iter().enumerate() {
        let bit = vn
            .agreements
            .iter()
            .position(|&a| a == c.agreement)
            .unwrap_or(g);
        if revoked & (1 << bit) != 0 {
            continue;
        }
        let mut sharing = vec![false; n.facilities.len()];
        for &f in &c.facilities {
            n.facilities[f as usize].allocation = Allocation::Priority;
            sharing[f as usize] = true;
        }
        for l in n.links.iter_mut() {
            if sharing[l.supplier as usize] {
                l.priority = 1;
            }
        }
        for &l in &c.member_links {
            n.links[l as usize].priority = 0;
        }
    }
    n
}

/// A variant compiled for simulation.
pub struct VariantEngine {
    pub id: String,
    /// `engines[regime * crisis_states + crisis]`.
    engines: Vec<Engine>,
    crisis_states: usize,
    /// (facility, first week, ramp weeks) of reshored fabs, in online order.
    online: Vec<(u32, u32, u32)>,
    /// Bloc index of each agreement the regimes depend on.
    agreements: Vec<u32>,
    /// Agreement (bloc) of each crisis-sharing group.
    crisis_agreements: Vec<u32>,
    blocked_links: Vec<u32>,
    has_reserves: bool,
    /// Whether an empty schedule leaves the baseline untouched.
    is_static: bool,
    /// Outcome of a trial without shocks, when the variant is not static
    /// (computed once: every quiet trial is the same).
    quiet: Option<TrialOutcome>,
    /// States of a trial without shocks at evenly spaced weeks after the
    /// first policy event (empty when the variant is static): a disrupted
    /// trial resumes from the latest before its first shock.
    checkpoints: Vec<Checkpoint>,
    /// `changes[from * engines + to]`: what a switch between two engines
    /// changes, found the first time a trial makes that switch.
    changes: Vec<OnceLock<RegimeChange>>,
}

/// At most this many checkpoints per variant (each holds one trial state;
/// on the shipped world about half a megabyte).
const MAX_CHECKPOINTS: u32 = 16;

impl VariantEngine {
    /// Compiles every regime of `vn`.
    pub fn new(vn: &VariantNetwork) -> VariantEngine {
        Self::with_config(vn, EngineConfig::default())
    }

    pub fn with_config(vn: &VariantNetwork, cfg: EngineConfig) -> VariantEngine {
        let crisis_states = if vn.crisis.is_empty() { 1 } else { 2 };
        let n_rev = 1usize << vn.agreements.len();
        let mut engines = Vec::with_capacity(vn.regimes.len() * crisis_states);
        for (r, regime) in vn.regimes.iter().enumerate() {
            let online_count = r / n_rev;
            let revoked = (r % n_rev) as u32;
            let mut net: Network = vn.net.clone();
            for ((l, x), q) in net
                .links
                .iter_mut()
                .zip(&regime.share)
                .zip(&regime.qualified)
            {
                l.share = *x;
                l.qualified = *q;
            }
            // Fabs not yet online have no capacity.
            for o in vn.online.iter().skip(online_count) {
                net.facilities[o.facility as usize].capacity_per_week = 0.0;
            }
            for crisis in 0..crisis_states {
                // (The regime's network serves its normal state as it is;
                // only the crisis state needs a modified copy.)
                let in_crisis;
                let n = if crisis == 0 {
                    &net
                } else {
                    in_crisis = crisis_network(&net, vn, revoked);
                    &in_crisis
                };
                let mut e = Engine::with_config(n, cfg.clone());
                for &l in &regime.withdrawn {
                    e.withdraw(l as usize);
                }
                for &(need, weeks) in &vn.reserves {
                    let units = weeks * regime.need_use[need as usize];
                    if units > 0.0 {
                        e.set_reserve(need as usize, units);
                    }
                }
                engines.push(e);
            }
        }
        let engines_count = engines.len();
        let mut ve = VariantEngine {
            id: vn.id.clone(),
            engines,
            crisis_states,
            online: vn
                .online
                .iter()
                .map(|o| (o.facility, o.week, o.ramp_weeks))
                .collect(),
            agreements: vn.agreements.clone(),
            crisis_agreements: vn.crisis.iter().map(|c| c.agreement).collect(),
            blocked_links: vn.blocked_links.clone(),
            has_reserves: !vn.reserves.is_empty(),
            is_static: vn.is_static(),
            quiet: None,
            checkpoints: Vec::new(),
            changes: (0..engines_count * engines_count)
                .map(|_| OnceLock::new())
                .collect(),
        };
        if !ve.is_static {
            let mut s = ve.scratch();
            let mut out = ve.quiet_outcome();
            ve.simulate(&mut s, &mut out, true);
            ve.quiet = Some(out);
            ve.checkpoints = ve.record_checkpoints(&mut s);
        }
        ve
    }

    /// An outcome sized for a trial of this variant, weekly fulfilment
    /// recorded, with no shock fired.
    fn quiet_outcome(&self) -> TrialOutcome {
        let e0 = &self.engines[0];
        let mut out = TrialOutcome::default();
        out.reset(
            0,
            e0.market_need_ids().len(),
            e0.market_count() * e0.horizon() as usize,
        );
        out
    }

    /// Runs a trial without shocks to the horizon (no early stop: a
    /// disrupted trial does not stop before its first shock either),
    /// keeping its state at evenly spaced weeks after the first policy
    /// event, at most [`MAX_CHECKPOINTS`].
    fn record_checkpoints(&self, s: &mut Scratch) -> Vec<Checkpoint> {
        let e0 = &self.engines[0];
        let first = self.driver(false).first_event();
        let h = e0.horizon();
        if !e0.config().fast_forward || first >= h {
            return Vec::new();
        }
        let every = (h - first).div_ceil(MAX_CHECKPOINTS + 1).max(1);
        let weeks: Vec<u32> = (1..=MAX_CHECKPOINTS)
            .map(|k| first.saturating_add(k * every))
            .filter(|&w| w < h)
            .collect();
        let mut out = self.quiet_outcome();
        let mut recorded = Vec::with_capacity(weeks.len());
        e0.simulate_with(
            s,
            &mut out,
            true,
            &mut self.driver(true),
            Checkpoints::Record(&weeks, &mut recorded, &self.engines),
            |_, _| {},
        );
        recorded
    }

    fn driver(&self, to_horizon: bool) -> PolicyDriver<'_> {
        PolicyDriver {
            ve: self,
            to_horizon,
        }
    }

    /// Weeks of the checkpoints a disrupted trial may resume from.
    #[cfg(test)]
    pub(crate) fn checkpoint_weeks(&self) -> Vec<u32> {
        self.checkpoints.iter().map(Checkpoint::week).collect()
    }

    /// Drops the checkpoints: every disrupted trial simulates the weeks
    /// from the first policy event (the tests' reference).
    #[cfg(test)]
    pub(crate) fn drop_checkpoints(&mut self) {
        self.checkpoints.clear();
    }

    /// The engine of week 0 (regime 0, no crisis).
    pub fn base(&self) -> &Engine {
        &self.engines[0]
    }

    pub fn scratch(&self) -> Scratch {
        let mut s = self.engines[0].scratch();
        s.build_done = vec![0; self.online.len()];
        s
    }

    /// Runs trial `trial`: the same schedule as every other variant, then
    /// the weekly loop under this variant's policies.
    pub fn run_trial(
        &self,
        seed: u64,
        trial: u64,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    ) {
        let e0 = &self.engines[0];
        e0.begin_trial(trial, s, out, record_weekly);
        e0.draw_schedule(seed, trial, &mut out.fired, s);
        if out.fired.is_empty() {
            if let Some(q) = &self.quiet {
                copy_quiet(q, out, record_weekly);
            }
            return; // static variant: exact zeros
        }
        self.simulate(s, out, record_weekly);
    }

    /// Simulates a given schedule (a scripted scenario: "the agreement
    /// breaks in week 5, the blockade starts in week 30") instead of a drawn
    /// one.
    pub fn run_schedule(
        &self,
        fired: &[FiredShock],
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    ) {
        self.engines[0].begin_trial(0, s, out, record_weekly);
        out.fired.extend_from_slice(fired);
        self.engines[0].settle_recovery(&mut out.fired);
        if out.fired.is_empty() && self.is_static {
            return;
        }
        self.simulate(s, out, record_weekly);
    }

    fn simulate(&self, s: &mut Scratch, out: &mut TrialOutcome, record_weekly: bool) {
        // (A scratch made by another engine's `scratch` has no build
        // counts; the trial's reset zeroes them.)
        s.build_done.resize(self.online.len(), 0);
        self.engines[0].simulate_with(
            s,
            out,
            record_weekly,
            &mut self.driver(false),
            Checkpoints::Resume(&self.checkpoints, &self.engines),
            |_, _| {},
        );
    }
}

/// Copies the cached quiet outcome into `out` (whose trial index and sizes
/// are already set).
fn copy_quiet(q: &TrialOutcome, out: &mut TrialOutcome, record_weekly: bool) {
    out.lost_units = q.lost_units;
    out.lost_usd = q.lost_usd;
    out.lost_units_by_need
        .copy_from_slice(&q.lost_units_by_need);
    out.lost_usd_by_need.copy_from_slice(&q.lost_usd_by_need);
    out.peak_shortfall = q.peak_shortfall;
    out.weeks_below_threshold = q.weeks_below_threshold;
    out.time_to_survive = q.time_to_survive;
    out.time_to_recover = q.time_to_recover;
    out.first_short_week = q.first_short_week;
    out.backorder_unit_weeks = q.backorder_unit_weeks;
    if record_weekly {
        out.weekly_fulfilment.copy_from_slice(&q.weekly_fulfilment);
    }
}

struct PolicyDriver<'e> {
    ve: &'e VariantEngine,
    /// Never let fast-forward stop the trial (recording checkpoints).
    to_horizon: bool,
}

/// Whether some capital input of facility `f` is cut off this week: every
/// link that could supply it has its lane closed or its supplier stopped.
/// (A partly passable lane or a supplier at reduced capacity still
/// delivers.)
fn capital_cut_off(e: &Engine, f: usize, s: &Scratch) -> bool {
    let caps = &e.fac_cap.items[e.fac_cap.offsets[f] as usize..e.fac_cap.offsets[f + 1] as usize];
    caps.iter().any(|&n| {
        let n = n as usize;
        let links = e.need_links.offsets[n] as usize..e.need_links.offsets[n + 1] as usize;
        !links.is_empty()
            && links
                .into_iter()
                .all(|l| s.pf[l] == 0.0 || s.cf[e.l_flow[l].supplier as usize] == 0.0)
    })
}

impl PolicyDriver<'_> {
    /// How many reshored fabs are online: those built (their building
    /// weeks done), in the order the regimes bring them online. A fab
    /// built before one that comes earlier in that order, whose building a
    /// cut-off delayed, waits for it.
    fn online(ve: &VariantEngine, s: &Scratch) -> usize {
        ve.online
            .iter()
            .zip(&s.build_done)
            .take_while(|&(&(_, w, _), &done)| done >= w)
            .count()
    }

    /// Whether some shock that touches this variant's network is in effect
    /// in week `t` (reserves are released and crisis sharing is on). Not a
    /// revocation, and not a shock that reaches only what a policy builds
    /// in a variant that does not build it: such a shock touches nothing,
    /// and releasing reserves for it would draw them with no shock at all.
    fn shock_active(fired: &[FiredShock], e: &Engine, t: u32) -> bool {
        fired.iter().any(|f| {
            let target = &e.shocks[f.shock as usize].target;
            !matches!(target, ShockTarget::Revoke(_))
                && !target.reaches_nothing()
                && t >= f.onset_week
                && t < f
                    .onset_week
                    .saturating_add(f.duration_weeks)
                    .saturating_add(f.recovery_weeks)
        })
    }
}

impl<'e> Driver<'e> for PolicyDriver<'e> {
    fn quiet_from(&self) -> u32 {
        let ve = self.ve;
        if self.to_horizon {
            return u32::MAX;
        }
        let online_done = ve
            .online
            .iter()
            .map(|&(_, w, r)| w.saturating_add(r) + 1)
            .max()
            .unwrap_or(0);
        if ve.blocked_links.is_empty() {
            online_done
        } else {
            u32::MAX // a closed lane keeps the state away from baseline
        }
    }

    fn first_event(&self) -> u32 {
        let ve = self.ve;
        if ve.blocked_links.is_empty() {
            ve.online
                .iter()
                .map(|&(_, w, _)| w)
                .min()
                .unwrap_or(u32::MAX)
        } else {
            0
        }
    }

    fn before_week(
        &mut self,
        t: u32,
        fired: &[FiredShock],
        s: &mut Scratch,
        _current: &'e Engine,
    ) -> &'e Engine {
        let ve = self.ve;
        let e0 = &ve.engines[0];
        // Weeks skipped as exact baseline weeks cut nothing off: each fab
        // built and ramped through them.
        if s.build_counted < t {
            let skipped = t - s.build_counted;
            for done in &mut s.build_done {
                *done += skipped;
            }
            s.build_counted = t;
        }
        let online = Self::online(ve, s);
        // The week each bloc's agreement is revoked in this trial, as the
        // loop recorded it from the schedule before the first week.
        let revoked_by = |bloc: u32| s.revoked_week[bloc as usize] <= t;
        let mut revoked = 0u32;
        for (i, &a) in ve.agreements.iter().enumerate() {
            if revoked_by(a) {
                revoked |= 1 << i;
            }
        }
        let active = Self::shock_active(fired, e0, t);
        let crisis =
            ve.crisis_states == 2 && active && ve.crisis_agreements.iter().any(|&a| !revoked_by(a));
        s.reserve_locked = ve.has_reserves && !active;
        // Ramping fabs: clear last week's ramp factor before the shocks of
        // this week are applied.
        for (&(f, w, r), &done) in ve.online.iter().zip(&s.build_done).take(online) {
            if done <= w + r + 1 {
                s.cf[f as usize] = 1.0;
                s.fac_pending.insert(f as usize);
            }
        }
        let regime = online * (1usize << ve.agreements.len()) + revoked as usize;
        &ve.engines[regime * ve.crisis_states + usize::from(crisis)]
    }

    fn rebase(&self, s: &mut Scratch, from: &'e Engine, to: &'e Engine, t: u32) {
        let ve = self.ve;
        let index = |e: &Engine| ve.engines.iter().position(|x| std::ptr::eq(x, e));
        match (index(from), index(to)) {
            (Some(i), Some(j)) => {
                let change = ve.changes[i * ve.engines.len() + j]
                    .get_or_init(|| RegimeChange::between(from, to));
                s.rebase_by(from, change, t);
            }
            _ => s.rebase(from, to, t),
        }
    }

    fn after_shocks(&mut self, t: u32, s: &mut Scratch) {
        let ve = self.ve;
        let online = Self::online(ve, s);
        for (&(f, w, r), &done) in ve.online.iter().zip(&s.build_done).take(online) {
            if done <= w + r {
                // Linear ramp to full capacity, on top of any shock factor
                // (reset to 1 before the shocks were applied).
                s.cf[f as usize] *= f64::from(done - w + 1) / f64::from(r + 1);
            }
        }
        let e0 = &ve.engines[0];
        for &l in &ve.blocked_links {
            let lk = &e0.links[l as usize];
            s.close_lane(l as usize, lk.need as usize, lk.supplier as usize);
        }
        // This week counts toward building and ramping each fab unless one
        // of its capital inputs is cut off: tools, service and licences
        // that cannot reach the site neither build nor ramp it. (Counted
        // one week past the ramp, the week its last factor is cleared.)
        for k in 0..ve.online.len() {
            let (f, w, r) = ve.online[k];
            if s.build_done[k] <= w + r + 1 && !capital_cut_off(e0, f as usize, s) {
                s.build_done[k] += 1;
            }
        }
        s.build_counted = t + 1;
    }

    fn settled(&self, s: &Scratch) -> bool {
        self.ve
            .online
            .iter()
            .zip(&s.build_done)
            .all(|(&(_, w, r), &done)| done > w + r)
    }
}

impl crate::mc::TrialRunner for VariantEngine {
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
        VariantEngine::run_trial(self, seed, trial, scratch, out, record_weekly);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testkit::Builder;

    /// A shock in effect releases reserves and turns crisis sharing on,
    /// unless it touches nothing in the variant (its rule reaches only a fab
    /// the variant does not build) or is a revocation; outside its window it
    /// is not in effect.
    #[test]
    fn only_a_shock_that_touches_the_network_is_active() {
        let mut b = Builder::new(40);
        let f = b.facility("chip", 100.0, 0.0, 0.0);
        let m = b.market(0.0, false);
        let n = b.demand(m, "chip", 100.0, 1.0);
        b.link(f, n, 1.0, 1);
        let real = b.scripted(ShockTarget::Capacity(vec![f]), 10.0, 4.0, 1.0, Some(2.0));
        let empty = b.scripted(ShockTarget::Capacity(Vec::new()), 10.0, 4.0, 1.0, Some(2.0));
        let e = Engine::new(&b.build());
        let fired = |s: u32| [FiredShock::scripted(s, 10, 4, 1.0, 2)];
        let active = |s: u32, t: u32| PolicyDriver::shock_active(&fired(s), &e, t);
        assert!(!active(real, 9) && active(real, 10) && active(real, 15) && !active(real, 16));
        assert!((0..40).all(|t| !active(empty, t)));
    }
}
