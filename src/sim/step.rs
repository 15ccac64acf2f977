//! The weekly loop: one trial of supply-chain dynamics over flat arrays.
//!
//! Each week every node updates from the previous week's state (every lead
//! time is ≥ 1 week, so the order of nodes within a pass does not matter):
//!
//! 1. shocks set capacity factors, passable fractions and demand multipliers;
//! 2. arrivals leave the pipelines (each need's cell of the week's row is
//!    read before any shipment of this week is added to a row);
//! 3. rerouting moves sourcing share using last week's deliveries: every
//!    need due plans its move in the order pass, and the moves are made
//!    after it, so that needs moving to one supplier share its spare
//!    capacity;
//! 4. orders: planned use + inventory-position gap / replenishment weeks,
//!    split by the shares after rerouting; markets consume in the same
//!    pass;
//! 5. production, capital health, consumption of inputs;
//! 6. allocation of output over orders, shipments enter the pipelines.
//!
//! The equations, with the tests that pin each, are in docs/MODEL.md.

use super::bits::{ones, word_where};
use super::engine::{Engine, LinkFlow, NeedState, Qualification, Scratch};

/// Chooses, week by week, which compiled engine is in force (the policy
/// regime) and adjusts the state for policy rules the loop does not know.
pub(crate) trait Driver<'e> {
    /// Week from which no policy event is pending (fast-forward may stop
    /// the trial only after it).
    fn quiet_from(&self) -> u32;
    /// Whether every policy event of the trial is past at the end of the
    /// week just simulated (a fab whose building a cut-off delayed is
    /// still to come): fast-forward may stop the trial only then.
    fn settled(&self, _: &Scratch) -> bool {
        true
    }
    /// First week in which the policy moves the state off its baseline (a
    /// ramp starts or a lane is closed), `u32::MAX` if never. Before it and
    /// before the first shock every week is an exact baseline week, which
    /// fast-forward skips.
    fn first_event(&self) -> u32;
    /// The engine for week `t`; `current` is last week's.
    fn before_week(
        &mut self,
        t: u32,
        fired: &[FiredShock],
        s: &mut Scratch,
        current: &'e Engine,
    ) -> &'e Engine;
    /// Called after the shocks of week `t` set the capacity and lane
    /// factors: ramps and permanent lane closures go here.
    fn after_shocks(&mut self, t: u32, s: &mut Scratch);
    /// Re-expresses the state for the switch from engine `from` to `to`
    /// before week `t` ([`Scratch::rebase`]).
    fn rebase(&self, s: &mut Scratch, from: &'e Engine, to: &'e Engine, t: u32) {
        s.rebase(from, to, t);
    }
}

/// Where a trial may start other than at the baseline of week 0.
pub(crate) enum Checkpoints<'a, 'e> {
    None,
    /// Resume from the latest of these checkpoints (recorded under the same
    /// driver's policies, without shocks) at or before the trial's first
    /// shock; `engines` are the driver's, as the checkpoints number them.
    Resume(&'a [Checkpoint], &'e [Engine]),
    /// Record a checkpoint at the start of each of these weeks (a run
    /// without shocks that does not stop early).
    Record(&'a [u32], &'a mut Vec<Checkpoint>, &'e [Engine]),
}

/// A trial without shocks at the start of week `week`, under a driver's
/// policies. Every trial whose first shock (or revocation) comes at or after
/// `week` passes through exactly this state, so it can resume here instead
/// of simulating the weeks before again (a reshored fab ramping from week 0
/// otherwise costs every disrupted trial the weeks up to its first shock).
#[derive(Clone, Debug)]
pub(crate) struct Checkpoint {
    week: u32,
    /// The engine in force in the week before (index into the driver's).
    engine: usize,
    scratch: Scratch,
    /// What the weeks before accumulated (weekly fulfilment recorded).
    out: TrialOutcome,
    progress: Progress,
}

#[cfg(test)]
impl Checkpoint {
    /// The week at whose start the state was kept.
    pub(crate) fn week(&self) -> u32 {
        self.week
    }
}

/// The loop's running tallies besides those in the outcome.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    first_short: Option<u32>,
    last_short: Option<u32>,
    backorder_unit_weeks: f64,
}

/// The plain network: one engine, no policy.
struct NoPolicy<'e>(&'e Engine);

impl<'e> Driver<'e> for NoPolicy<'e> {
    fn quiet_from(&self) -> u32 {
        0
    }
    fn first_event(&self) -> u32 {
        u32::MAX
    }
    fn before_week(
        &mut self,
        _: u32,
        _: &[FiredShock],
        _: &mut Scratch,
        _: &'e Engine,
    ) -> &'e Engine {
        self.0
    }
    fn after_shocks(&mut self, _: u32, _: &mut Scratch) {}
}
use super::{FiredShock, TrialOutcome};
use crate::network::{NeedKind, ShockTarget};

/// A delivery below `order * (1 - SHORT_TOL)` counts as short.
const SHORT_TOL: f64 = 1e-9;

/// Whether a link ordered `order` and shipped `shipped` short of it.
///
/// Orders and shipments are never negative, and a link that ordered
/// nothing shipped nothing (`o × min(p, λ)`, priority rationing's
/// `o × p × fraction`, or a baseline flow equal to its baseline order), so
/// a link that ordered nothing is never short: `0 < 0 × (1 − tol)` is
/// false, and no separate `order > 0` test is needed.
#[inline(always)]
fn short_delivery(order: f64, shipped: f64) -> bool {
    shipped < order * (1.0 - SHORT_TOL)
}

/// A planned share move of one need (see `Engine::make_moves`). `takers`:
/// the range of `Scratch::takers` listing the links that take share, in
/// link order.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ShareMove {
    /// Short links give up share to the takers: `moved` of the order (in
    /// shares) of the `unserved` they lost, spread over the takers in
    /// proportion to their suppliers' spare capacity (`spare_sum` in all).
    /// `prev_order`: the need's order last week, which the order pass has
    /// since replaced.
    Shift {
        need: u32,
        takers: (u32, u32),
        prev_order: f64,
        moved: f64,
        unserved: f64,
        spare_sum: f64,
    },
    /// Shares drift toward baseline at rate `alpha`; the takers are the
    /// links below their baseline share.
    Drift {
        need: u32,
        takers: (u32, u32),
        alpha: f64,
    },
}

/// Relative excess of the claims on a supplier's spare capacity over it
/// that still counts as within it (the claims are products and quotients
/// that may round a hair above the spare they were computed from).
const CLAIM_TOL: f64 = 1e-9;

/// The fraction of its claim each claimant on a supplier's spare capacity
/// is granted: all of it, unless the claims together exceed the spare.
#[inline]
fn granted(claim: f64, spare: f64) -> f64 {
    if claim > spare * (1.0 + CLAIM_TOL) {
        spare / claim
    } else {
        1.0
    }
}

/// Effective severity of one shock instance at week `t`, with recovery `r`:
/// full from onset for `duration` weeks, then falling linearly in `r` equal
/// steps to zero at `end + r`.
#[inline]
fn effective(t: u32, onset: u32, duration: u32, severity: f64, r: u32) -> f64 {
    if t < onset {
        return 0.0;
    }
    let end = onset.saturating_add(duration);
    if t < end {
        return severity;
    }
    let k = t - end;
    if k < r {
        severity * (r - k) as f64 / (r as f64 + 1.0)
    } else {
        0.0
    }
}

/// Weeks `[onset, end)` during which a fired shock touches its targets.
#[inline]
fn window(f: &FiredShock) -> (u32, u32) {
    (
        f.onset_week,
        f.onset_week
            .saturating_add(f.duration_weeks)
            .saturating_add(f.recovery_weeks),
    )
}

impl Engine {
    /// Runs one trial: draws its schedule from `(seed, trial)` and simulates
    /// it, writing the metrics into `out` (reset first). Weekly fulfilment
    /// per market is recorded only when `record_weekly`.
    pub fn run_trial(
        &self,
        seed: u64,
        trial: u64,
        scratch: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
    ) {
        self.run_trial_inspect(seed, trial, scratch, out, record_weekly, |_, _| {});
    }

    /// [`run_trial`](Self::run_trial), calling `inspect(week, state)` after
    /// every simulated week (tests use it to check invariants week by week).
    pub fn run_trial_inspect(
        &self,
        seed: u64,
        trial: u64,
        scratch: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
        inspect: impl FnMut(u32, &Scratch),
    ) {
        self.begin_trial(trial, scratch, out, record_weekly);
        self.draw_schedule(seed, trial, &mut out.fired, scratch);
        self.simulate_settled(scratch, out, record_weekly, inspect);
    }

    /// Simulates the schedule already in `out.fired` (metrics in `out` must
    /// have been reset). Exposed so that callers can run a schedule of their
    /// own, e.g. a scripted scenario; its recoveries are settled as a drawn
    /// schedule's are ([`settle_recovery`](Self::settle_recovery)).
    pub fn simulate(
        &self,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
        inspect: impl FnMut(u32, &Scratch),
    ) {
        self.settle_recovery(&mut out.fired);
        self.simulate_settled(s, out, record_weekly, inspect);
    }

    /// [`simulate`](Self::simulate) for a schedule whose recoveries are
    /// already settled (a drawn one).
    fn simulate_settled(
        &self,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
        inspect: impl FnMut(u32, &Scratch),
    ) {
        s.ensure(self);
        if out.fired.is_empty() && self.cfg.fast_forward {
            // Nothing happens: the baseline is an exact fixed point, so the
            // outcome is exact zeros (already in `out`).
            return;
        }
        self.simulate_with(
            s,
            out,
            record_weekly,
            &mut NoPolicy(self),
            Checkpoints::None,
            inspect,
        );
    }

    /// The weekly loop, with a [`Driver`] choosing each week which compiled
    /// engine (policy regime) is in force. `self` is the engine of week 0;
    /// the state must fit it. `checkpoints` resumes the trial from the
    /// latest checkpoint before its first event, or records checkpoints.
    pub(crate) fn simulate_with<'e, D: Driver<'e>>(
        &'e self,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record_weekly: bool,
        driver: &mut D,
        checkpoints: Checkpoints<'_, 'e>,
        mut inspect: impl FnMut(u32, &Scratch),
    ) {
        let h = self.horizon;
        let mut quiet_from = driver.quiet_from();
        let mut first_onset = u32::MAX;
        for f in &out.fired {
            first_onset = first_onset.min(f.onset_week);
            quiet_from = quiet_from.max(
                if let ShockTarget::Revoke(_) = &self.shocks[f.shock as usize].target {
                    // A revocation is an event of its onset week (the policy
                    // regime switches then and stays); it touches no capacity,
                    // lane or demand, so it holds the trial open no longer.
                    f.onset_week.saturating_add(1)
                } else {
                    window(f).1
                },
            );
        }
        // The weeks before anything happens repeat the baseline exactly:
        // full fulfilment (already in `out`), nothing lost or late.
        let mut start = if self.cfg.fast_forward {
            first_onset.min(driver.first_event()).min(h)
        } else {
            0
        };
        let mut e: &'e Engine = self;
        let mut progress = Progress::default();
        // A trial whose first shock comes after a checkpoint passed through
        // it exactly (the checkpoint is the same loop without shocks, which
        // cannot stop before the first shock either): resume there.
        let resume = match &checkpoints {
            Checkpoints::Resume(cps, engines) if self.cfg.fast_forward => cps
                .iter()
                .rev()
                .find(|cp| cp.week <= first_onset && cp.week > start)
                .map(|cp| (cp, &engines[cp.engine])),
            _ => None,
        };
        if let Some((cp, engine)) = resume {
            s.copy_from(&cp.scratch);
            out.lost_units_by_need
                .copy_from_slice(&cp.out.lost_units_by_need);
            out.peak_shortfall = cp.out.peak_shortfall;
            out.weeks_below_threshold = cp.out.weeks_below_threshold;
            if record_weekly {
                out.weekly_fulfilment
                    .copy_from_slice(&cp.out.weekly_fulfilment);
            }
            progress = cp.progress;
            e = engine;
            start = cp.week;
        } else if !s.at_baseline {
            s.reset(self);
        }
        s.at_baseline = false;
        s.revoked_week.fill(u32::MAX);
        for f in &out.fired {
            if let ShockTarget::Revoke(blocs) = &self.shocks[f.shock as usize].target {
                for &b in blocs {
                    if let Some(w) = s.revoked_week.get_mut(b as usize) {
                        *w = (*w).min(f.onset_week);
                    }
                }
            }
        }

        let (record_weeks, mut recorded, engines) = match checkpoints {
            Checkpoints::Record(weeks, recorded, engines) => (weeks, Some(recorded), engines),
            _ => (&[][..], None, &[][..]),
        };
        for t in start..h {
            if let Some(rec) = recorded.as_deref_mut()
                && record_weeks.contains(&t)
                && let Some(engine) = engines.iter().position(|x| std::ptr::eq(x, e))
            {
                rec.push(Checkpoint {
                    week: t,
                    engine,
                    scratch: s.clone(),
                    out: out.clone(),
                    progress,
                });
            }
            let next = driver.before_week(t, &out.fired, s, e);
            if !std::ptr::eq(next, e) {
                driver.rebase(s, e, next, t);
                e = next;
            }
            e.apply_shocks(t, &out.fired, s);
            driver.after_shocks(t, s);
            let (req, got) = e.week(t, s, out, record_weekly);
            inspect(t, s);

            let total = if req > 0.0 { got / req } else { 1.0 };
            if total < e.threshold {
                out.weeks_below_threshold += 1;
                progress.first_short.get_or_insert(t);
                progress.last_short = Some(t);
            }
            for &n in &e.market_need_ids {
                progress.backorder_unit_weeks += s.need[n as usize].backlog;
            }
            if e.cfg.fast_forward
                && t + 1 >= quiet_from
                && driver.settled(s)
                && s.near_baseline(e, e.cfg.snap_tolerance)
            {
                // Back at baseline with every shock over and no policy event
                // to come: the rest of the trial is quiet. Snap to the exact
                // baseline and stop.
                let revoked = std::mem::take(&mut s.revoked_week);
                s.reset(e);
                s.revoked_week = revoked;
                break;
            }
        }
        let Progress {
            first_short,
            last_short,
            backorder_unit_weeks,
        } = progress;
        // The next trial starts from week 0's engine.
        if !std::ptr::eq(e, self) {
            s.at_baseline = false;
        }

        // Back-ordered demand still unserved at the horizon end is lost.
        for (pos, &n) in self.market_need_ids.iter().enumerate() {
            out.lost_units_by_need[pos] += s.need[n as usize].backlog;
        }
        out.backorder_unit_weeks = backorder_unit_weeks;
        for (pos, &n) in self.market_need_ids.iter().enumerate() {
            let usd = match self.needs[n as usize].kind {
                NeedKind::Demand {
                    lost_usd_per_unit, ..
                } => lost_usd_per_unit,
                _ => 0.0,
            };
            let units = out.lost_units_by_need[pos];
            out.lost_usd_by_need[pos] = units * usd;
            out.lost_units += units;
            out.lost_usd += units * usd;
        }
        if let Some(fs) = first_short {
            out.first_short_week = Some(fs);
            out.time_to_survive = self.survived_from(&out.fired, fs).map(|from| fs - from);
            let ls = last_short.unwrap_or(fs);
            out.time_to_recover = if ls + 1 >= h { None } else { Some(ls + 1 - fs) };
        }
    }

    /// The onset that a first shortfall in week `fs` is counted from (time
    /// to survive): the earliest onset of the shocks moving goods that are
    /// in effect in week `fs` (their duration and recovery); if none is, the
    /// latest such onset before it (a shortfall that follows a shock once
    /// it is over, as stocks and pipelines run dry); failing both, the
    /// latest revocation before it (only agreements were torn up). `None`
    /// when nothing began at or before week `fs`: the shortfall is not the
    /// survival of a shock (a policy's own, such as a fab still ramping).
    ///
    /// Counting from the first shock of the trial instead would count the
    /// weeks from a minor shock, long over, to the shortfall a later one
    /// caused.
    pub(crate) fn survived_from(&self, fired: &[FiredShock], fs: u32) -> Option<u32> {
        let (mut in_effect, mut latest, mut revoked) = (None::<u32>, None::<u32>, None::<u32>);
        for f in fired.iter().filter(|f| f.onset_week <= fs) {
            let o = f.onset_week;
            match &self.shocks[f.shock as usize].target {
                ShockTarget::Revoke(_) => {
                    revoked = revoked.max(Some(o));
                    continue;
                }
                // A shock that reaches only what a policy builds touches
                // nothing in a variant that does not build it.
                t if t.reaches_nothing() => continue,
                _ => {}
            }
            if fs < window(f).1 {
                in_effect = Some(in_effect.map_or(o, |x| x.min(o)));
            }
            latest = latest.max(Some(o));
        }
        in_effect.or(latest).or(revoked)
    }

    /// Sets capacity factors, passable fractions and demand multipliers for
    /// week `t`: targets touched last week are reset to 1, then every shock
    /// in effect multiplies its factor in (lanes only in weeks where some
    /// lane effect changed; otherwise last week's fractions stand). Cost:
    /// the targets of shocks in effect, not the network size.
    pub(crate) fn apply_shocks(&self, t: u32, fired: &[FiredShock], s: &mut Scratch) {
        // Passable fractions are recomputed only in weeks where some lane
        // shock's effect differs from last week's (onset, recovery steps,
        // end); in the weeks between they, and the suppliers' marks, hold.
        let lane_effect = |f: &FiredShock, t: u32| {
            let (a, b) = window(f);
            if t < a || t >= b {
                0.0
            } else {
                effective(
                    t,
                    f.onset_week,
                    f.duration_weeks,
                    f.severity,
                    f.recovery_weeks,
                )
            }
        };
        let lanes_changed = fired.iter().any(|f| {
            matches!(self.shocks[f.shock as usize].target, ShockTarget::Lane(_))
                && (t == 0 || lane_effect(f, t) != lane_effect(f, t - 1))
        });
        if lanes_changed {
            s.complex.fill(false);
            for st in &mut s.need {
                st.lane_cut = false;
            }
        }
        if t > 0 {
            for f in fired {
                let (a, b) = window(f);
                if a < t && t - 1 < b {
                    match &self.shocks[f.shock as usize].target {
                        ShockTarget::Capacity(fs) => {
                            for &i in fs {
                                s.cf[i as usize] = 1.0;
                                s.fac_pending.insert(i as usize);
                            }
                        }
                        ShockTarget::Lane(ls) if lanes_changed => {
                            for &i in ls {
                                s.pf[i as usize] = 1.0;
                            }
                            s.need_pending
                                .insert_row(self.shock_lane_needs.row(f.shock as usize));
                        }
                        ShockTarget::Lane(_) => {}
                        ShockTarget::Demand(ns) => {
                            for &i in ns {
                                s.dm[i as usize] = 1.0;
                                s.need_pending.insert(i as usize);
                            }
                        }
                        ShockTarget::Revoke(_) => {}
                    }
                }
            }
        }
        for f in fired {
            let (a, b) = window(f);
            if t < a || t >= b {
                continue;
            }
            let (o, d, sev) = (f.onset_week, f.duration_weeks, f.severity);
            match &self.shocks[f.shock as usize].target {
                ShockTarget::Capacity(fs) => {
                    let per_facility = self.shocks[f.shock as usize].recovery_weeks.is_none();
                    for &i in fs {
                        let r = if per_facility {
                            self.fac_recovery[i as usize]
                        } else {
                            f.recovery_weeks
                        };
                        s.cf[i as usize] *= 1.0 - effective(t, o, d, sev, r);
                        s.fac_pending.insert(i as usize);
                    }
                }
                ShockTarget::Lane(ls) => {
                    if !lanes_changed {
                        continue;
                    }
                    let e = effective(t, o, d, sev, f.recovery_weeks);
                    for &i in ls {
                        let (i, lk) = (i as usize, &self.links[i as usize]);
                        s.pf[i] *= 1.0 - e;
                        s.complex[lk.supplier as usize] |= s.pf[i] < 1.0;
                        s.need[lk.need as usize].lane_cut |= s.pf[i] != 1.0;
                    }
                    s.need_pending
                        .insert_row(self.shock_lane_needs.row(f.shock as usize));
                }
                ShockTarget::Demand(ns) => {
                    let e = effective(t, o, d, sev, f.recovery_weeks);
                    for &i in ns {
                        s.dm[i as usize] *= 1.0 + e;
                        // (A market need is worked only off its rest.)
                        s.need_pending.insert(i as usize);
                    }
                }
                ShockTarget::Revoke(_) => {}
            }
        }
    }

    /// One week. Returns (demand due, demand served) summed over markets.
    ///
    /// Only the week's active sets are worked: the needs in `need_hot`
    /// (every need that ended last week off its rest state or was touched
    /// since, a shock on its demand included) and the facilities in
    /// `fac_hot` (plus those whose receipts moved off their baseline).
    /// Everything outside is exactly at rest, where working it would write
    /// the values it already holds (a market need at rest is due and sold
    /// its baseline use, which the week's market totals count for it); so a
    /// week costs in proportion to the part of the network off its
    /// baseline, and the results are those of working every node.
    pub(crate) fn week(
        &self,
        t: u32,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        record: bool,
    ) -> (f64, f64) {
        // The gap is closed at `1/W` a week (a product, not a division per
        // need; exact for the default `W = 1`).
        let per_week = 1.0 / self.cfg.replenishment_weeks;
        // Whether locked reserves are held back from use this week.
        let lock = s.reserve_locked;
        // Pipeline rows: this week's arrivals, and for every lead time the
        // row this week's shipments enter (computed once per week, not per
        // link).
        let nn = self.needs.len();
        let m = self.max_lead;
        let arrivals = (t % m) as usize * nn;
        for lead in 1..s.slot.len() {
            s.slot[lead] = ((t + lead as u32) % m) * nn as u32;
        }
        s.m_req.fill(0.0);
        s.m_got.fill(0.0);

        // The week's active sets.
        std::mem::swap(&mut s.need_hot, &mut s.need_pending);
        s.need_pending.clear();
        if !self.cfg.active_sets {
            s.need_hot.fill();
        }
        std::mem::swap(&mut s.fac_hot, &mut s.fac_pending);
        s.fac_pending.clear();
        if !self.cfg.active_sets {
            s.fac_hot.fill();
        }
        if s.reserve_locked {
            for &f in &self.reserve_facilities {
                s.fac_hot.insert(f as usize);
            }
        }
        s.rationed.clear();

        // The three passes are separate functions: each keeps its own
        // working values in registers (one body holding all three spilled
        // more, about 3 % more instructions a week). Test-only totals
        // (conservation): nodes at rest contribute their baseline flows, so
        // the totals start there and the worked nodes add their deviations.
        let consumed = self.base_use_total;
        let consumed = self.order_pass(s, out, arrivals, per_week, lock, consumed);
        self.make_moves(s);
        let (produced, consumed) = self.production_pass(s, lock, consumed);
        let shipped = self.shipment_pass(t, s);
        self.hold_reserves(s);
        s.week_produced = produced;
        s.week_shipped = shipped;
        s.week_consumed = consumed;

        // Metrics. Each market's demand due and served, summed over its
        // needs in need order (a need at rest, not worked, was due and
        // served its baseline use), as if every need were worked.
        for (pos, &n) in self.market_need_ids.iter().enumerate() {
            let n = n as usize;
            let (due, served) = if s.need_hot.contains(n) {
                (s.due[pos], s.served[pos])
            } else {
                (self.n_base_use[n], self.n_base_use[n])
            };
            let m = self.needs[n].owner as usize;
            s.m_req[m] += due;
            s.m_got[m] += served;
        }
        let (mut req, mut got) = (0.0, 0.0);
        for m in 0..self.n_markets {
            let (r, g) = (s.m_req[m], s.m_got[m]);
            req += r;
            got += g;
            let fm = if r > 0.0 { g / r } else { 1.0 };
            out.peak_shortfall = out.peak_shortfall.max(1.0 - fm);
            if record {
                out.weekly_fulfilment[m * self.horizon as usize + t as usize] = fm as f32;
            }
        }
        (req, got)
    }

    /// Pass 1, per active need (its links are a contiguous range): orders;
    /// markets consume. Returns the running total of
    /// consumption.
    #[inline(never)]
    fn order_pass(
        &self,
        s: &mut Scratch,
        out: &mut TrialOutcome,
        arrivals: usize,
        per_week: f64,
        lock: bool,
        mut consumed: f64,
    ) -> f64 {
        let nn = self.needs.len();
        let offsets = &self.need_links.offsets;
        for w in 0..s.need_hot.words().len() {
            let word = s.need_hot.words()[w];
            for n in ones(w, word, nn) {
                let nr = &self.needs[n];
                let (lo, hi) = (offsets[n] as usize, offsets[n + 1] as usize);
                // Rerouting is planned for needs short last week or with
                // shares away from their baseline (after a regime switch:
                // every need whose baseline moved); a need that will move
                // share adds to its suppliers' receipts once it has moved.
                let moves = s.moves.len();
                if s.need[n].reroute {
                    s.need[n].reroute = self.plan_reroute(n, s);
                }
                let moving = s.moves.len() > moves;
                let st = &mut s.need[n];
                // Arrivals: the need's cell of the week's pipeline row,
                // which is then emptied.
                let a = std::mem::take(&mut s.pipe[arrivals + n]);
                st.arr_dev = a;
                // Inventory position (end of last week + everything in
                // flight, this week's arrivals included) minus its baseline.
                let pos = st.inv_dev + st.transit_dev;
                st.transit_dev -= a;
                if !nr.market {
                    // Its stocks may be off: the owner's production is
                    // worked this week.
                    s.fac_hot.insert(nr.owner as usize);
                }

                let mut gap = -pos;
                let planned = match nr.kind {
                    NeedKind::Material { per_unit } => per_unit * s.recv[nr.owner as usize],
                    NeedKind::Capital { units_per_week, .. } => units_per_week,
                    NeedKind::Demand { units_per_week, .. } => {
                        let demand = units_per_week * s.dm[n];
                        let req = demand + st.backlog;
                        let avail = self.available(n, st, lock, &s.reserve_short);
                        let got = req.min(avail);
                        consumed += got - nr.base_use;
                        st.inv_dev = (st.inv_dev + (a - (got - nr.base_use))).max(-nr.target);
                        let short = req - got;
                        if let (Some(d), Some(g)) = (
                            s.due.get_mut(nr.mpos as usize),
                            s.served.get_mut(nr.mpos as usize),
                        ) {
                            (*d, *g) = (req, got);
                        }
                        // The market plans this week's demand and closes
                        // the gap to its target position after this week's
                        // sales, a target that holds its lead-time demand at
                        // this week's rate: `F ΔD` beyond the baseline
                        // pipeline, the week the sales term below replaces
                        // aside (exactly 0 at baseline demand). The sales
                        // are part of the gap, closed at `1/W` a week with
                        // the rest: planned outright, with `W > 1` a
                        // sustained change would settle `(W − 1) ΔD` off
                        // the target.
                        let rise = demand - nr.base_use;
                        gap += self.n_fill[n] * rise;
                        if nr.backorder {
                            // Back-ordered demand is negative inventory: all
                            // of this week's demand is sold, served now or
                            // owed, so the gap takes the rise in demand and
                            // last week's backlog.
                            gap += st.backlog;
                            st.backlog = short;
                            gap += rise;
                            demand
                        } else {
                            if let Some(x) = out.lost_units_by_need.get_mut(nr.mpos as usize) {
                                *x += short;
                            }
                            // Lost demand is gone: the market plans next
                            // week's demand and replaces what it sold beyond
                            // its baseline use, i.e. it orders up to its
                            // position after this week's sales. Planning the
                            // demand alone against the position before them
                            // ordered a lost sale twice (the position still
                            // counts the arrival that fell short), and
                            // replacing only sales would never order a rise
                            // in demand a market without stock cannot serve.
                            gap += got - nr.base_use;
                            demand
                        }
                    }
                };
                let order = (planned + gap * per_week).max(0.0);
                st.order = order;
                let quiet = st.orders_at_baseline(nr.base_use);
                st.quiet = quiet;
                if !quiet && !moving {
                    // Each supplier's receipts move by what passes the lane
                    // less the baseline flow (a link of a need not worked
                    // adds exactly zero, so the sums are those of working
                    // every need, in the same order). A link's order
                    // `order × share` is not stored: whoever needs it
                    // (shipments, rationing, rerouting) forms the same
                    // product again.
                    let recv_dev = &mut s.recv_dev[..];
                    let flows = &self.l_flow[lo..hi];
                    if st.lane_cut {
                        for ((&sh, &pf), lf) in s.share[lo..hi].iter().zip(&s.pf[lo..hi]).zip(flows)
                        {
                            recv_dev[lf.supplier as usize] += order * sh * pf - lf.base;
                        }
                    } else {
                        // Every lane of the need is open.
                        for (&sh, lf) in s.share[lo..hi].iter().zip(flows) {
                            recv_dev[lf.supplier as usize] += order * sh - lf.base;
                        }
                    }
                }
            }
        }
        consumed
    }

    /// Pass 2, per active facility: the orders it can receive through its
    /// lanes (its baseline receipts plus the deviations the order pass
    /// added; a facility none of whose customers moved receives exactly its
    /// baseline), then production, consumption and rationing. Returns the
    /// running totals of production and consumption.
    #[inline(never)]
    fn production_pass(&self, s: &mut Scratch, lock: bool, mut consumed: f64) -> (f64, f64) {
        let nf = self.cap.len();
        let mut produced = self.base_out_total;
        for w in 0..s.fac_hot.words().len() {
            // A facility whose receipts moved off its baseline is worked
            // too (one whose deviations cancel exactly receives its
            // baseline, which is its rest state).
            let word = s.fac_hot.words()[w] | word_where(&s.recv_dev, w, |d| d != 0.0);
            for f in ones(w, word, nf) {
                let recv = self.base_out[f] + std::mem::take(&mut s.recv_dev[f]);
                s.recv[f] = recv;

                // Capital inputs: a fixed service flow from spares; health
                // erodes while cut off and recovers over the facility's
                // recovery time.
                let mut health: f64 = 1.0;
                let step_up = 1.0 / (self.fac_recovery[f].max(1) as f64);
                let (clo, chi) = (
                    self.fac_cap.offsets[f] as usize,
                    self.fac_cap.offsets[f + 1] as usize,
                );
                for ((&n, &units_per_week), &erosion_per_week) in self.fac_cap.items[clo..chi]
                    .iter()
                    .zip(&self.cap_units[clo..chi])
                    .zip(&self.cap_erosion[clo..chi])
                {
                    let n = n as usize;
                    let st = &mut s.need[n];
                    let a = st.arr_dev;
                    if st.inv_dev == 0.0 && a == 0.0 && st.cap_health == 1.0 && !lock {
                        // At rest, nothing arriving off baseline and no
                        // reserve locked: it has its target plus a week's
                        // use, draws its baseline use (`units_per_week`),
                        // stays healthy and at target. Nothing changes.
                        continue;
                    }
                    let (base_use, target) = (self.n_base_use[n], self.n_target[n]);
                    let avail = self.available(n, st, lock, &s.reserve_short);
                    let got = units_per_week.min(avail);
                    consumed += got - base_use;
                    let mut hh = st.cap_health;
                    // Cut off when the stock cannot serve the week's use,
                    // within rounding: a stock drawn down to exactly one
                    // week's use reads a hair below or above it depending on
                    // the unit (0.1 is not exact in binary, 1 is), and an
                    // exact test eroded health a week early in one unit and
                    // not in the other.
                    if avail < units_per_week * (1.0 - SHORT_TOL) {
                        hh = (hh - erosion_per_week).max(0.0);
                    } else if hh < 1.0 {
                        hh = (hh + step_up).min(1.0);
                    }
                    st.cap_health = hh;
                    health = health.min(hh);
                    st.inv_dev = (st.inv_dev + (a - (got - base_use))).max(-target);
                    if st.inv_dev != 0.0 || hh != 1.0 {
                        s.need_pending.insert(n);
                    }
                }

                // Material inputs: output is limited by the scarcest, then
                // each is used in proportion.
                let cap_eff = self.cap[f] * s.cf[f] * health;
                let mut output = cap_eff.min(recv);
                let (mlo, mhi) = (
                    self.fac_mat.offsets[f] as usize,
                    self.fac_mat.offsets[f + 1] as usize,
                );
                let mats = &self.fac_mat.items[mlo..mhi];
                let per_units = &self.mat_per_unit[mlo..mhi];
                for (i, (&n, &per_unit)) in mats.iter().zip(per_units).enumerate() {
                    let avail =
                        self.available(n as usize, &s.need[n as usize], lock, &s.reserve_short);
                    s.mat_avail[i] = avail;
                    if per_unit * output > avail {
                        output = if per_unit > 0.0 {
                            avail / per_unit
                        } else {
                            output
                        };
                    }
                }
                let output = output.max(0.0);
                // Next week's material orders follow this week's receipts.
                let recv_off = recv != self.base_out[f];
                for (i, (&n, &per_unit)) in mats.iter().zip(per_units).enumerate() {
                    let n = n as usize;
                    let (base_use, target) = (self.n_base_use[n], self.n_target[n]);
                    let st = &mut s.need[n];
                    // Unchanged since the loop above: each material need
                    // has one owner.
                    let avail = s.mat_avail[i];
                    let used = (per_unit * output).min(avail);
                    consumed += used - base_use;
                    st.inv_dev = (st.inv_dev + (st.arr_dev - (used - base_use))).max(-target);
                    if st.inv_dev != 0.0 || recv_off {
                        s.need_pending.insert(n);
                    }
                }
                s.out[f] = output;
                s.spare[f] = (cap_eff - output).max(0.0);
                produced += output - self.base_out[f];

                // (NaN-safe: anything but a full delivery counts as rationing.)
                let in_full = output >= recv;
                if !in_full {
                    // Rationing: the customers' shipments differ from their
                    // orders.
                    s.rationed.insert_row(self.fac_out_needs.row(f));
                }
                // Each link ships `order × min(passable, λ)` in pass 3.
                // Orders served in full: λ = 1 (an open lane passes the
                // order unchanged). Every lane open, proportional: each
                // customer gets the same fraction of its order (the water
                // level in this case). Otherwise the water level, or `λ < 0`
                // when priority rationing wrote the shipments itself.
                s.lam[f] = if in_full {
                    1.0
                } else if self.fac_priority[f] {
                    self.ration_by_priority(f, output, s);
                    -1.0
                } else if s.complex[f] {
                    self.water_level(f, output, recv, s)
                } else {
                    output / recv
                };
                if recv_off || output != self.base_out[f] || s.spare[f] != self.base_spare[f] {
                    s.fac_pending.insert(f);
                }
            }
        }
        (produced, consumed)
    }

    /// Pass 3, need by need over contiguous link ranges (each need's
    /// in-transit total stays in a register): shipments enter the pipelines.
    /// Needs neither active nor rationed ship their baseline. Needs whose
    /// stock the facility pass just moved off rest (so far the only members
    /// of next week's set) are walked too: the per-need snap below may set
    /// them back to rest this week, as it would if every need were worked.
    /// Returns the running total of shipments.
    #[inline(never)]
    fn shipment_pass(&self, t: u32, s: &mut Scratch) -> f64 {
        let nn = self.needs.len();
        let m = self.max_lead;
        let offsets = &self.need_links.offsets;
        let mut shipped = self.base_ship_total;
        // Residue within this (relative) tolerance of rest snaps to it;
        // only with fast-forward, whose tolerance it is.
        let snap = if self.cfg.fast_forward {
            self.cfg.snap_tolerance
        } else {
            0.0
        };
        {
            let (slot, lam, pf) = (&s.slot[..], &s.lam[..], &s.pf[..]);
            let (ships, shares, pipe) = (&mut s.ship[..], &s.share[..], &mut s.pipe[..]);
            for w in 0..s.need_hot.words().len() {
                let word =
                    s.need_hot.words()[w] | s.rationed.words()[w] | s.need_pending.words()[w];
                // Needs of this word off their rest state next week.
                let mut pending = 0u64;
                for n in ones(w, word, nn) {
                    let (lo, hi) = (offsets[n] as usize, offsets[n + 1] as usize);
                    let st = &mut s.need[n];
                    if st.quiet && !s.rationed.contains(n) {
                        // Baseline orders served in full: every shipment is
                        // its baseline flow, every deviation entering the
                        // pipelines is zero (nothing is added to the cells)
                        // and no link is short.
                        if !st.ships_at_base {
                            for (x, lf) in ships[lo..hi].iter_mut().zip(&self.l_flow[lo..hi]) {
                                *x = lf.base;
                            }
                            st.ships_at_base = true;
                        }
                        st.was_short = false;
                        st.all_short = false;
                    } else {
                        st.ships_at_base = false;
                        // This week's shipments arrive by week t + M.
                        st.arrivals_until = t + m + 1;
                        // What enters the pipelines off baseline: into the
                        // row of the need's one lead time after the walk, or
                        // link by link (a second walk) when its links' lead
                        // times differ.
                        let walk = Walk {
                            order: st.order,
                            ships: &mut ships[lo..hi],
                            shares: &shares[lo..hi],
                            pf: &pf[lo..hi],
                            flows: &self.l_flow[lo..hi],
                            lam,
                        };
                        let (dev_sum, short, all_short) = if !s.rationed.contains(n) {
                            // Every supplier served its orders in full
                            // (λ = 1): λ need not be read.
                            if st.lane_cut {
                                walk.ship::<false, false>()
                            } else {
                                walk.ship_orders()
                            }
                        } else if self.need_priority[n] {
                            walk.ship::<true, true>()
                        } else {
                            walk.ship::<true, false>()
                        };
                        match self.need_lead[n] {
                            0 => {
                                // Links of different lead times: each
                                // deviation into its own row.
                                for ((&sh, lf), &lead) in ships[lo..hi]
                                    .iter()
                                    .zip(&self.l_flow[lo..hi])
                                    .zip(&self.l_lead[lo..hi])
                                {
                                    pipe[slot[lead as usize] as usize + n] += sh - lf.base;
                                }
                            }
                            lead => pipe[slot[lead as usize] as usize + n] += dev_sum,
                        }
                        shipped += dev_sum;
                        st.transit_dev += dev_sum;
                        st.reroute |= short;
                        st.was_short = short;
                        st.all_short = all_short;
                    }
                    // Nothing in flight and flows at baseline: stocks and
                    // the in-transit total within the snap tolerance of
                    // rest are rounding residue (what a flow deviation
                    // leaves after it was shipped, received and made up),
                    // and snap to it exactly, as fast-forward snaps the
                    // whole state. Without the snap such a need would stay
                    // in the active set, working, to the end of the trial.
                    let flows_at_rest = t + 1 >= st.arrivals_until
                        && st.quiet
                        && st.ships_at_base
                        && !st.reroute
                        && st.backlog == 0.0
                        && st.cap_health == 1.0;
                    if flows_at_rest {
                        let scale = snap * (self.n_target[n] + self.n_base_use[n] + 1.0);
                        if st.inv_dev.abs() <= scale && st.transit_dev.abs() <= scale {
                            st.inv_dev = 0.0;
                            st.transit_dev = 0.0;
                        }
                    }
                    // Whether the need is off its rest state next week.
                    if !flows_at_rest || st.inv_dev != 0.0 || st.transit_dev != 0.0 {
                        pending |= 1 << (n % 64);
                    } else {
                        // At rest: nothing arrives until it orders again.
                        st.arr_dev = 0.0;
                    }
                }
                s.need_pending.insert_word(w, pending);
            }
        }
        shipped
    }

    /// Stock need `n` can draw on this week: its target plus the week's
    /// baseline arrivals, plus the deviations of its inventory and of this
    /// week's arrivals; never negative. While reserves are locked, what is
    /// held of the need's reserve (its size less `reserve_short`) is not.
    #[inline]
    fn available(&self, n: usize, st: &NeedState, lock: bool, reserve_short: &[f64]) -> f64 {
        let stock = self.n_rest_stock[n] + st.inv_dev + st.arr_dev;
        let free = if lock {
            stock - (self.reserve[n] - reserve_short[n])
        } else {
            stock
        };
        free.max(0.0)
    }

    /// What is held of each reserve after the week, from the need's stock
    /// at its end. The reserve is what the stock holds beyond the need's
    /// working stock (its target less the reserve), up to the reserve:
    /// - a draw takes the reserve only once the working stock is gone (what
    ///   is held is never more than the stock);
    /// - what arrives refills the working stock first and only the surplus
    ///   the reserve, so a reserve drawn during a shock is refilled after
    ///   the market is served again, never by withholding its supply;
    /// - at rest (stock at target) the reserve is whole.
    ///
    /// While locked, nothing held is drawn (`available`), so outside a
    /// shock a market with a reserve loses what it would lose without it.
    fn hold_reserves(&self, s: &mut Scratch) {
        for &n in &self.reserve_needs {
            let n = n as usize;
            let (reserve, target) = (self.reserve[n], self.n_target[n]);
            let stock = target + s.need[n].inv_dev;
            let held = if stock >= target {
                // (Exactly whole, not `stock − (target − reserve)`, which
                // may round a hair below it.)
                reserve
            } else {
                let held = (reserve - s.reserve_short[n]).min(stock.max(0.0));
                held.max((stock - (target - reserve)).min(reserve))
            };
            s.reserve_short[n] = reserve - held;
        }
    }

    /// Priority rationing of `output` over facility `f`'s orders, which it
    /// cannot serve in full, written into `s.ship`: links in (priority,
    /// index) order, each priority level rationed proportionally to what its
    /// links can take (`order × passable`).
    fn ration_by_priority(&self, f: usize, output: f64, s: &mut Scratch) {
        let outs = self.fac_out.row(f);
        let (ship, pf) = (&mut s.ship[..], &s.pf[..]);
        let order = |l: usize| s.need[self.l_need[l] as usize].order * s.share[l];
        let mut left = output;
        let mut i = 0;
        while i < outs.len() {
            let p = self.link_priority[outs[i] as usize];
            let mut j = i;
            let mut want = 0.0;
            while j < outs.len() && self.link_priority[outs[j] as usize] == p {
                let l = outs[j] as usize;
                want += order(l) * pf[l];
                j += 1;
            }
            let frac = if want <= left || want <= 0.0 {
                1.0
            } else {
                left / want
            };
            for &l in &outs[i..j] {
                let l = l as usize;
                ship[l] = order(l) * pf[l] * frac;
            }
            left = (left - want * frac).max(0.0);
            i = j;
        }
    }

    /// The water level λ of proportional rationing at facility `f`, which
    /// receives passable orders `recv` and can ship only `output < recv`:
    /// every link ships `order × min(passable, λ)`, and these add up to the
    /// output (what a blocked lane cannot take goes to the others).
    ///
    /// Links whose passable fraction is below λ are capped (they take
    /// `order × passable`) and leave the pool; repeat until stable. λ only
    /// rises from round to round (the links leaving take less than λ of
    /// their orders), so the links capped are exactly those with `passable
    /// < λ` at the end. λ ≤ 1 (the output is short of the passable orders),
    /// so a link whose lane is open is never capped: only the partly closed
    /// ones are gathered, and the open ones are one pool, their orders being
    /// the receipts less the closed links' passable orders.
    fn water_level(&self, f: usize, output: f64, recv: f64, s: &mut Scratch) -> f64 {
        let pf = &s.pf[..];
        // The partly closed links with an order: orders and passable
        // fractions.
        let (orders, passable) = (&mut s.out_order[..], &mut s.out_passable[..]);
        let (mut k, mut closed_passable, mut closed_orders) = (0, 0.0, 0.0);
        for &l in self.fac_out.row(f) {
            let (l, p) = (l as usize, pf[l as usize]);
            if p < 1.0 {
                let o = s.need[self.l_need[l] as usize].order * s.share[l];
                if o > 0.0 {
                    orders[k] = o;
                    passable[k] = p;
                    closed_passable += o * p;
                    closed_orders += o;
                    k += 1;
                }
            }
        }
        let capped = &mut s.out_capped[..k];
        capped.fill(false);
        let mut left = output;
        let mut pool = (recv - closed_passable).max(0.0) + closed_orders;
        loop {
            if pool <= 0.0 {
                // Every link capped: each ships its passable order.
                return 1.0;
            }
            // (Never below zero, which would read as priority rationing:
            // rounding in the capped links' sum could leave `left` a hair
            // under it.)
            let lambda = (left / pool).max(0.0);
            if lambda >= 1.0 {
                // Every order passes in full (rounding: the output was
                // short of the receipts by less than their last bits).
                return 1.0;
            }
            let mut changed = false;
            for ((c, &o), &p) in capped.iter_mut().zip(&orders[..k]).zip(&passable[..k]) {
                if !*c && p < lambda {
                    *c = true;
                    left -= o * p;
                    pool -= o;
                    changed = true;
                }
            }
            if !changed {
                return lambda;
            }
        }
    }

    /// Rerouting (docs/MODEL.md §3.3) in two steps. In the order pass each
    /// need due for it plans its move from last week's deliveries and spare
    /// capacity (and this week's lanes) and claims the
    /// spare capacity the move would take of each supplier. Here the moves
    /// are made; where the needs together claimed more of a supplier's
    /// spare capacity than it had, each is granted its claim scaled by
    /// `spare / claims`. A need moving alone takes what it claimed; several
    /// moving to one supplier share its spare capacity in proportion to
    /// their claims, whatever their order, and its customers at their old
    /// shares keep their supply. Each need that moved adds its receipts,
    /// at its new shares, in the walk that moves them.
    #[inline(never)]
    fn make_moves(&self, s: &mut Scratch) {
        let nf = self.cap.len();
        // Each claimed supplier's claims become its grant (one division per
        // supplier, not one per link).
        let mut over = false;
        for w in 0..s.claimed.words().len() {
            for f in ones(w, s.claimed.words()[w], nf) {
                let g = granted(s.claim[f], s.spare[f]);
                s.claim[f] = g;
                over |= g < 1.0;
            }
        }
        let moves = std::mem::take(&mut s.moves);
        for &m in &moves {
            self.make_move(m, over, s);
        }
        s.moves = moves;
        s.moves.clear();
        s.n_takers = 0;
        // (Claims are zero outside the pass.)
        for w in 0..s.claimed.words().len() {
            for f in ones(w, s.claimed.words()[w], nf) {
                s.claim[f] = 0.0;
            }
        }
        s.claimed.clear();
    }

    /// Plans rerouting for need `n` from last week's deliveries: records the
    /// move (if any share is to move) in `s.moves`, the links that would
    /// take share in `s.takers`, and their claims on their suppliers' spare
    /// capacity in `s.claim`. Returns whether rerouting must run again next
    /// week (a short delivery was seen, or shares are away from baseline);
    /// a drift's answer is settled when it is made.
    ///
    /// Rule: the share lost by short links is `Σ share × (1 − shipped/ordered)`.
    /// It moves at once to links that were served in full, whose lane is
    /// open and whose supplier had spare capacity, in proportion to that
    /// spare capacity expressed in shares of the need's order (at most that
    /// much). Unqualified links are eligible once the need has been short
    /// for the product's qualification weeks, and stay qualified after.
    /// When no link was short, shares move back toward baseline by at most
    /// `share_drift_per_week` per link per week, but only while every link
    /// below its baseline share has an open lane and a supplier with spare
    /// capacity (the original supplier has recovered), and by no more than
    /// that spare capacity (in shares of last week's order) on any link.
    fn plan_reroute(&self, n: usize, s: &mut Scratch) -> bool {
        let offsets = &self.need_links.offsets;
        let (lo, hi) = (offsets[n] as usize, offsets[n + 1] as usize);
        let prev_order = s.need[n].order;
        // The links that would take share are listed as they are found (the
        // list is kept only if they do).
        let first = s.n_takers;
        let mut k = first;
        if !s.need[n].was_short {
            s.need[n].short_weeks = 0;
            // A link below its baseline share that cannot take it back: its
            // lane is not fully open or its supplier has no spare capacity.
            let blocks = |l: usize| {
                s.share[l] < self.l_base_share[l]
                    && (s.pf[l] < 1.0 || s.spare[self.l_flow[l].supplier as usize] <= 0.0)
            };
            // Not recovered: no drift this week, and the shares are off
            // baseline (the blocking link is below its own). The link that
            // blocked last time is tested first.
            let hint = lo + s.need[n].drift_blocker as usize;
            if hint < hi && blocks(hint) {
                return true;
            }
            // How far the shares are from baseline, whether every link
            // below its baseline share can take it back, and how much of it
            // its supplier's spare capacity allows (`room`): a fab still
            // ramping up (or restarting) is handed only what it can make,
            // not a share it would ration to the market's loss.
            let (mut max_diff, mut room): (f64, f64) = (0.0, f64::INFINITY);
            for l in lo..hi {
                let up = self.l_base_share[l] - s.share[l];
                max_diff = max_diff.max(up.abs());
                if blocks(l) {
                    s.need[n].drift_blocker = u16::try_from(l - lo).unwrap_or(u16::MAX);
                    return true;
                }
                if up > 0.0 {
                    s.takers[k] = l as u32;
                    k += 1;
                    if prev_order > 0.0 {
                        let spare = s.spare[self.l_flow[l].supplier as usize];
                        // (A hair under it: `prev_order × up × α` may round
                        // above the spare.)
                        room = room.min(spare * (1.0 - 1e-9) / (prev_order * up));
                    }
                }
            }
            if max_diff == 0.0 {
                // Shares are off baseline exactly when some differs.
                return false;
            }
            // At most the drift, and no link more than its room: each link
            // below its baseline share claims `α (s⁰ − s)` of the order.
            let alpha = (self.cfg.share_drift_per_week / max_diff).min(room);
            let per_share = alpha.min(1.0) * prev_order;
            s.n_takers = k;
            for &l in &s.takers[first..k] {
                let l = l as usize;
                let f = self.l_flow[l].supplier as usize;
                s.claim[f] += per_share * (self.l_base_share[l] - s.share[l]);
                s.claimed.insert(f);
            }
            s.moves.push(ShareMove::Drift {
                need: n as u32,
                takers: (first as u32, k as u32),
                alpha,
            });
            return true;
        }

        // One walk over the links: what the short ones lost, and the room
        // of the eligible ones. Eligibility reads last week's spare capacity
        // and deliveries and this week's lanes, not the shares, so every
        // link's change is decided before any share moves.
        s.need[n].short_weeks = s.need[n].short_weeks.saturating_add(1);
        if s.need[n].all_short {
            // Every link short (the same test, of the same values, as the
            // walk below): none is eligible, there is no room and nothing
            // moves.
            return true;
        }
        let qual_ok = s.need[n].short_weeks >= self.needs[n].qual_weeks;
        let (mut short_share, mut short_shipped, mut spare_sum) = (0.0, 0.0, 0.0);
        for (((l, &sh), &share), (&q, &pf)) in (lo..hi)
            .zip(&s.ship[lo..hi])
            .zip(&s.share[lo..hi])
            .zip(s.qualified[lo..hi].iter().zip(&s.pf[lo..hi]))
        {
            if short_delivery(prev_order * share, sh) {
                short_share += share;
                short_shipped += sh;
            } else if let Some(sp) = self.eligible(l, q.may_take(qual_ok), pf, &s.spare) {
                spare_sum += sp;
                s.takers[k] = l as u32;
                k += 1;
            }
        }
        let per_order = if prev_order > 0.0 {
            1.0 / prev_order
        } else {
            0.0
        };
        let unserved = (short_share - short_shipped * per_order).max(0.0);
        // Room, in shares of last week's order.
        let room = if prev_order > 0.0 {
            spare_sum / prev_order
        } else {
            0.0
        };
        let moved = unserved.min(room);
        if moved > 0.0 && unserved > 0.0 {
            // Each eligible link claims `moved × spare_l / Σ spare` of the
            // order: that fraction (at most all) of its supplier's spare.
            let per_spare = moved * prev_order / spare_sum;
            s.n_takers = k;
            for &l in &s.takers[first..k] {
                let f = self.l_flow[l as usize].supplier as usize;
                s.claim[f] += per_spare * s.spare[f];
                s.claimed.insert(f);
            }
            s.moves.push(ShareMove::Shift {
                need: n as u32,
                takers: (first as u32, k as u32),
                prev_order,
                moved,
                unserved,
                spare_sum,
            });
        }
        true
    }

    /// A link that was not short is eligible to take share when qualified
    /// (or its need has been short long enough: `qualified`), its lane is
    /// open and its supplier had spare capacity: then that spare capacity.
    #[inline(always)]
    fn eligible(&self, l: usize, qualified: bool, pf: f64, spare: &[f64]) -> Option<f64> {
        if qualified && pf > 0.0 {
            let sp = spare[self.l_flow[l].supplier as usize];
            (sp > 0.0).then_some(sp)
        } else {
            None
        }
    }

    /// Makes a planned move, and adds the need's receipts at its new shares
    /// in the same walk (a need at rest adds exact zeros). `over`: some
    /// supplier was claimed beyond its spare capacity this week, so each
    /// taker's take is scaled by what its supplier grants (`s.claim` now
    /// holds each claimed supplier's grant; without `over` every grant is
    /// whole, and the moves are exactly those each need planned).
    fn make_move(&self, m: ShareMove, over: bool, s: &mut Scratch) {
        let offsets = &self.need_links.offsets;
        let (need, (t0, t1)) = match m {
            ShareMove::Drift { need, takers, .. } | ShareMove::Shift { need, takers, .. } => {
                (need, takers)
            }
        };
        let n = need as usize;
        let (lo, hi) = (offsets[n] as usize, offsets[n + 1] as usize);
        let takers = &s.takers[t0 as usize..t1 as usize];
        let (grants, spare) = (&s.claim[..], &s.spare[..]);
        let supplier = |l: u32| self.l_flow[l as usize].supplier as usize;
        // Scaled only where a supplier of one of its own takers was claimed
        // beyond its spare: a need whose grants are all whole makes exactly
        // the move it planned, whatever happens elsewhere.
        let over = over && takers.iter().any(|&l| grants[supplier(l)] < 1.0);
        // This week's order: what passes each lane, `order × share ×
        // passable`, less the baseline flow moves the supplier's receipts.
        let (order, lane_cut) = (s.need[n].order, s.need[n].lane_cut);
        let recv_dev = &mut s.recv_dev[..];
        let pf = &s.pf[lo..hi];
        let receipt = |x: f64, p: f64| if lane_cut { order * x * p } else { order * x };
        match m {
            ShareMove::Drift { alpha, .. } => {
                // Without a scaled grant, one rate `α` for every link (exactly
                // `s⁰` at `α ≥ 1`). With one, each taker moves `min(α, 1) g_f`
                // of its gap, and the links above their baseline share give
                // back what the takers took in all, each the same fraction of
                // its gap (the takers' gaps and the givers' are equal, so the
                // shares still add up).
                let (rate, give_rate) = if over {
                    let a = alpha.min(1.0);
                    let (mut took, mut gap) = (0.0, 0.0);
                    for &l in takers {
                        let up = self.l_base_share[l as usize] - s.share[l as usize];
                        took += a * grants[supplier(l)] * up;
                        gap += up;
                    }
                    (a, took / gap)
                } else {
                    (alpha, alpha)
                };
                let home = !over && alpha >= 1.0;
                let mut next = takers.iter().peekable();
                let mut off = false;
                let links = s.share[lo..hi].iter_mut().zip(pf).zip(&self.l_flow[lo..hi]);
                for ((((x, &p), lf), &b), l) in links.zip(&self.l_base_share[lo..hi]).zip(lo..hi) {
                    if home {
                        *x = b;
                    } else if !over {
                        *x += alpha * (b - *x);
                    } else if next.next_if(|&&k| k as usize == l).is_some() {
                        *x += rate * grants[lf.supplier as usize] * (b - *x);
                    } else {
                        *x += give_rate * (b - *x);
                    }
                    off |= *x != b;
                    recv_dev[lf.supplier as usize] += receipt(*x, p) - lf.base;
                }
                s.need[n].reroute = off;
            }
            ShareMove::Shift {
                prev_order,
                moved,
                unserved,
                spare_sum,
                ..
            } => {
                let per_order = 1.0 / prev_order;
                // Takers take `take × spare_l` (scaled by their supplier's
                // grant), and the short links give up what they took in
                // all, `moved` when every grant is whole, in proportion to
                // what each lost.
                let take = moved / spare_sum;
                let taken = if over {
                    takers
                        .iter()
                        .map(|&l| take * spare[supplier(l)] * grants[supplier(l)])
                        .sum::<f64>()
                } else {
                    moved
                };
                let give = taken / unserved;
                // The takers are in link order: `next` is the next one.
                let mut next = takers.iter().peekable();
                let qualified = &mut s.qualified[lo..hi];
                let links = s.share[lo..hi].iter_mut().zip(pf).zip(&self.l_flow[lo..hi]);
                for ((((x, &p), lf), &sh), (l, q)) in links
                    .zip(&s.ship[lo..hi])
                    .zip((lo..hi).zip(qualified.iter_mut()))
                {
                    if next.next_if(|&&k| k as usize == l).is_some() {
                        let f = lf.supplier as usize;
                        let g = if over { grants[f] } else { 1.0 };
                        *x += take * spare[f] * g;
                        *q = Qualification::Qualified;
                    } else if short_delivery(prev_order * *x, sh) {
                        // Short as the plan decided (the same expression of
                        // the same values: this link's share has not moved).
                        let lost = *x - sh * per_order;
                        *x -= give * lost;
                    }
                    *x = x.max(0.0);
                    recv_dev[lf.supplier as usize] += receipt(*x, p) - lf.base;
                }
            }
        }
        let st = &mut s.need[n];
        st.quiet = st.orders_at_baseline(self.needs[n].base_use);
    }
}

/// One need's links in the shipment pass: its order, and per link the
/// shipment (written), share, passable fraction, and baseline flow and
/// supplier; `lam` is every facility's water level this week.
struct Walk<'a> {
    order: f64,
    ships: &'a mut [f64],
    shares: &'a [f64],
    pf: &'a [f64],
    flows: &'a [LinkFlow],
    lam: &'a [f64],
}

impl Walk<'_> {
    /// Ships `order × share × min(passable, λ)` on every link and returns
    /// the shipments' deviation from baseline, summed in link order, and
    /// whether some link, and every link, delivered short.
    ///
    /// `RATIONED`: some supplier of the need rationed this week. Without
    /// it every supplier has `λ = 1`, which is not read: a link ships
    /// `order × share × passable` (`min(passable, 1)`, passable fractions
    /// never being above 1), the same value.
    ///
    /// `PRIORITY` (only with `RATIONED`): some supplier may have rationed by
    /// priority and written the link's shipment itself (`λ < 0`), which
    /// then stands. Without it every `λ ≥ 0` and the test is left out.
    #[inline(always)]
    fn ship<const RATIONED: bool, const PRIORITY: bool>(self) -> (f64, bool, bool) {
        let (mut dev_sum, mut short, mut all_short) = (0.0, false, true);
        for (((sh, &share), &p), lf) in self
            .ships
            .iter_mut()
            .zip(self.shares)
            .zip(self.pf)
            .zip(self.flows)
        {
            let o = self.order * share;
            let lam = if RATIONED {
                self.lam[lf.supplier as usize]
            } else {
                1.0
            };
            if !PRIORITY || lam >= 0.0 {
                // The smaller of the two, as one `minsd`.
                *sh = o * if p < lam { p } else { lam };
            }
            dev_sum += *sh - lf.base;
            let link_short = short_delivery(o, *sh);
            short |= link_short;
            all_short &= link_short;
        }
        (dev_sum, short, all_short)
    }

    /// [`ship`](Self::ship) for a need whose lanes are all open and none of
    /// whose suppliers rationed: each link ships its order exactly
    /// (`o × min(1, 1) = o`), and none is short.
    #[inline(always)]
    fn ship_orders(self) -> (f64, bool, bool) {
        let mut dev_sum = 0.0;
        for (sh, (&share, lf)) in self
            .ships
            .iter_mut()
            .zip(self.shares.iter().zip(self.flows))
        {
            *sh = self.order * share;
            dev_sum += *sh - lf.base;
        }
        (dev_sum, false, self.ships.is_empty())
    }
}
