//! Engine tests: exact hand-derived cases, invariants over synthetic
//! networks, schedule statistics, determinism.

use proptest::prelude::*;

use super::synth::synthetic;
use super::testkit::{Builder, fixed};
use super::variant::VariantEngine;
use super::{Engine, EngineConfig, TrialOutcome};
use crate::network::{Network, Occurrence, Shock, ShockTarget};

const W: u32 = 10;

fn run(net: &Network) -> TrialOutcome {
    let e = Engine::new(net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    e.run_trial(1, 0, &mut s, &mut out, true);
    out
}

fn weekly(out: &TrialOutcome, net: &Network, m: usize) -> Vec<f32> {
    let h = net.settings.horizon_weeks as usize;
    out.weekly_fulfilment[m * h..(m + 1) * h].to_vec()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

/// supplier → fab → market, demand 100/wk, every lead 1, huge capacities;
/// fab input cover `k` weeks, market cover `m` weeks; the supplier is down
/// `d` weeks from week 10.
fn chain(k: f64, m: f64, d: f64) -> Network {
    let mut b = Builder::new(60);
    let s = b.facility("x", 10_000.0, 0.0, 0.0);
    let f = b.facility("chip", 10_000.0, k, 0.0);
    let nx = b.material(f, "x", 1.0);
    b.link(s, nx, 1.0, 1);
    let mk = b.market(m, false);
    let nd = b.demand(mk, "chip", 100.0, 50.0);
    b.link(f, nd, 1.0, 1);
    b.scripted(ShockTarget::Capacity(vec![s]), W as f64, d, 1.0, Some(0.0));
    b.build()
}

fn shipped(name: &str) -> Network {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/examples")
        .join(name);
    let (scenario, diags) = crate::scenario::load_scenario(&path).expect("example loads");
    assert!(diags.is_empty(), "{name}: load diagnostics");
    crate::network::compile(&scenario).unwrap_or_else(|_| panic!("{name} compiles"))
}

/// scenarios/examples/teaching_chain.toml: the chain below with k = 2,
/// m = 1, d = 4 and real capacities (supplier 150, fab 120). The formula
/// gives 100 × (4 - 2 - 1) = 100 units lost in week 15 alone. Capacity now
/// binds after the restart (the supplier ships 150 of the fab's order of
/// 400 in week 14; the fab ships 120 in week 15), but that still covers the
/// market from week 16: its order-up-to gap is 80 then, and falls.
#[test]
fn teaching_chain_example_loses_one_week() {
    let net = shipped("teaching_chain.toml");
    let out = run(&net);
    assert_eq!(out.lost_units, 100.0);
    assert_eq!(out.lost_usd, 5000.0);
    let wk = weekly(&out, &net, 0);
    for (t, &x) in wk.iter().enumerate() {
        assert_eq!(x, if t == 15 { 0.0 } else { 1.0 }, "week {t}");
    }
    assert_eq!(out.time_to_survive, Some(5));
    assert_eq!(out.time_to_recover, Some(1));
}

/// Time to survive counts from the first shock that moves goods, not from a
/// revocation weeks before it (which changes which policies hold, and
/// nothing here): the teaching chain's 5 weeks, with or without an
/// agreement torn up in week 0.
#[test]
fn time_to_survive_counts_from_the_first_disruption() {
    let mut net = shipped("teaching_chain.toml");
    let plain = run(&net);
    assert_eq!(plain.time_to_survive, Some(5));
    let mut revocation = net.shocks[0].clone();
    revocation.onset_week = Some(fixed(0.0));
    revocation.target = ShockTarget::Revoke(Vec::new());
    revocation.triggers.clear();
    net.shocks.push(revocation);
    let out = run(&net);
    assert_eq!(out.fired.len(), 2, "{:?}", out.fired);
    assert_eq!(out.lost_units, plain.lost_units);
    assert_eq!(out.time_to_survive, Some(5));
    assert_eq!(out.time_to_recover, plain.time_to_recover);
}

/// Time to survive counts from the shock the first shortfall follows, not
/// from a minor shock long over before it: the chain's supplier is down 4
/// weeks from week 10 and the market first falls short in week 15, 5 weeks
/// on, whatever harmless shock came in week 2. (Counting from the trial's
/// first shock gave 13.)
#[test]
fn time_to_survive_counts_from_the_shock_the_shortfall_follows() {
    let mut net = chain(2.0, 1.0, 4.0);
    let plain = run(&net);
    assert_eq!(
        (plain.first_short_week, plain.time_to_survive),
        (Some(15), Some(5))
    );
    let mut early = net.shocks[0].clone();
    early.onset_week = Some(fixed(2.0));
    early.duration_weeks = fixed(1.0);
    early.severity = fixed(0.01);
    net.shocks.push(early);
    let out = run(&net);
    assert_eq!(out.fired.len(), 2, "{:?}", out.fired);
    assert_eq!(out.lost_units, plain.lost_units);
    assert_eq!(out.time_to_survive, Some(5));
}

/// The onset a shortfall counts from: the earliest shock still in effect in
/// its week (duration and recovery), else the latest before it, else the
/// latest revocation before it; none when nothing began by then.
#[test]
fn the_onset_a_shortfall_counts_from() {
    let mut b = Builder::new(60);
    let f = b.facility("chip", 1000.0, 0.0, 0.0);
    let mk = b.market(0.0, false);
    let nd = b.demand(mk, "chip", 100.0, 1.0);
    b.link(f, nd, 1.0, 1);
    let cap = b.scripted(ShockTarget::Capacity(vec![f]), 0.0, 1.0, 0.5, Some(0.0));
    let revoke = b.scripted(ShockTarget::Revoke(Vec::new()), 0.0, 1.0, 1.0, None);
    let nothing = b.scripted(ShockTarget::Capacity(Vec::new()), 0.0, 1.0, 1.0, None);
    let e = Engine::new(&b.build());
    let at = |shock, onset, duration, recovery| {
        super::FiredShock::scripted(shock, onset, duration, 0.5, recovery)
    };
    // In effect in week 20: [5, 5 + 10 + 10) and [18, 21); the earliest wins.
    let fired = [at(cap, 5, 10, 10), at(cap, 18, 3, 0), at(cap, 30, 2, 0)];
    assert_eq!(e.survived_from(&fired, 20), Some(5));
    // None in effect in week 20: the latest before it.
    let fired = [at(cap, 2, 1, 0), at(cap, 12, 3, 0), at(cap, 30, 2, 0)];
    assert_eq!(e.survived_from(&fired, 20), Some(12));
    // Only revocations before it.
    let fired = [at(revoke, 3, 0, 0), at(revoke, 7, 0, 0), at(cap, 25, 2, 0)];
    assert_eq!(e.survived_from(&fired, 20), Some(7));
    // A shock that reaches nothing here (only a fab a policy builds
    // elsewhere) is no shock the shortfall follows.
    let fired = [at(nothing, 5, 30, 0), at(cap, 12, 20, 0)];
    assert_eq!(e.survived_from(&fired, 20), Some(12));
    // Nothing before it: not the survival of a shock.
    assert_eq!(e.survived_from(&[at(cap, 25, 2, 0)], 20), None);
    assert_eq!(e.survived_from(&[], 20), None);
}

/// A supplier with room (capacity 10,000) serving one market without stock
/// (100 a week, lead `lead`), whose demand changes by `change` from week 10
/// for `weeks` weeks, over a horizon of `horizon`. Returns the network and
/// the market's need.
fn demand_change(
    horizon: u32,
    lead: u32,
    backorder: bool,
    change: f64,
    weeks: f64,
) -> (Network, u32) {
    let mut b = Builder::new(horizon);
    let f = b.facility("chip", 10_000.0, 0.0, 0.0);
    let mk = b.market(0.0, backorder);
    let nd = b.demand(mk, "chip", 100.0, 1.0);
    b.link(f, nd, 1.0, lead);
    b.scripted(
        ShockTarget::Demand(vec![nd]),
        10.0,
        weeks,
        change,
        Some(0.0),
    );
    (b.build(), nd)
}

/// A lost-sales market without stock orders a rise in demand: demand is
/// 150 instead of 100 in weeks 10-19, the supplier has room, and only week
/// 10's 50 extra units are lost (the week-10 order, 150, arrives in week
/// 11). Replacing only what was sold never ordered the rise (500 lost), and
/// planning demand against the position before the week's sales ordered
/// 150 and 100 in turn (250 lost).
#[test]
fn a_market_without_stock_orders_a_rise_in_demand() {
    let (net, _) = demand_change(40, 1, false, 0.5, 10.0);
    let out = run(&net);
    assert_eq!(out.lost_units, 50.0);
    let wk = weekly(&out, &net, 0);
    for (t, &x) in wk.iter().enumerate() {
        let want = if t == 10 { 100.0 / 150.0 } else { 1.0 };
        assert_eq!(x, want as f32, "week {t}");
    }
}

/// A demand rise is held in the pipeline. Supplier capacity 10,000, a
/// market without stock, demand 100 → 150 in weeks 10–19, lead time `L`:
/// the market holds the lead-time demand at the new rate, so it is short
/// only in the `L` weeks before its first larger order arrives.
/// - Lost sales: 50 lost in each of those weeks, `50 L`.
/// - Back-ordering: it owes 50, 100, …, `50 L` at their ends (`25 L (L + 1)`
///   unit-weeks), all delivered with the first larger order; nothing is
///   lost at the horizon end.
///
/// When demand falls back the extra pipeline drains and nothing is lost;
/// a dip (100 → 60) costs the same `L` weeks of the change when demand comes
/// back. Before, the pipeline stayed at its baseline: with `L = 3` the
/// lost-sales market lost 350 of the rise, and a back-ordering market
/// (even with `L = 1`) carried a backlog to the end of the rise.
#[test]
fn a_demand_rise_is_held_in_the_pipeline() {
    for lead in [1u32, 2, 3] {
        for backorder in [false, true] {
            for (change, step) in [(0.5, 50.0), (-0.4, 40.0)] {
                let (net, _) = demand_change(40, lead, backorder, change, 10.0);
                let out = run(&net);
                let l = f64::from(lead);
                let want = if backorder {
                    (0.0, step * l * (l + 1.0) / 2.0)
                } else {
                    (step * l, 0.0)
                };
                let case = format!("lead {lead}, back-order {backorder}, change {change}");
                assert_eq!((out.lost_units, out.backorder_unit_weeks), want, "{case}");
                assert_eq!(out.weeks_below_threshold, lead, "{case}");
            }
        }
    }
}

/// With `W = 2` (the gap closed at half its size a week) a sustained change
/// in demand settles at the stock target, as with `W = 1`: the market's
/// sales terms are closed with the rest of the gap. Planned outright, a
/// rise settled `(W − 1) ΔD = 50` above the target, and a dip emptied a
/// market without stock, which then lost sales in every week of it.
#[test]
fn a_sustained_change_in_demand_settles_at_the_target_with_slow_replenishment() {
    for backorder in [false, true] {
        for change in [0.5, -0.4] {
            let (net, nd) = demand_change(80, 3, backorder, change, 30.0);
            let slow = EngineConfig {
                replenishment_weeks: 2.0,
                ..EngineConfig::default()
            };
            let e = Engine::with_config(&net, slow);
            let (mut s, mut out) = (e.scratch(), TrialOutcome::default());
            let mut week_38 = None;
            e.run_trial_inspect(1, 0, &mut s, &mut out, true, |t, st| {
                if t == 38 {
                    week_38 = Some((st.inventory(&e, nd as usize), st.backlog(nd as usize)));
                }
            });
            let case = format!("back-order {backorder}, change {change}");
            let (stock, owed) = week_38.expect("week 38 simulated");
            assert!(
                stock.abs() < 1e-3 && owed.abs() < 1e-3,
                "{case}: {stock} {owed}"
            );
            if change < 0.0 {
                let wk = weekly(&out, &net, 0);
                assert!(wk[10..40].iter().all(|&x| x == 1.0), "{case}: {wk:?}");
            }
        }
    }
}

/// Lost demand is not ordered again. One fab of capacity 200 serves two
/// markets of 100 a week with no stock; the lane to the second is closed
/// weeks 10-12, so it loses weeks 11-13 (300 units). When the lane opens
/// it orders its 100 again, not 100 more for the sale it just lost, so the
/// fab is not overloaded and the first market loses nothing. (Ordering the
/// lost units again rationed the fab to 2/3 in week 13, and the first
/// market lost 33.)
#[test]
fn lost_demand_is_not_ordered_again() {
    let mut b = Builder::new(40);
    let f = b.facility("chip", 200.0, 0.0, 0.0);
    let (m1, m2) = (b.market(0.0, false), b.market(0.0, false));
    let (n1, n2) = (
        b.demand(m1, "chip", 100.0, 1.0),
        b.demand(m2, "chip", 100.0, 1.0),
    );
    b.link(f, n1, 1.0, 1);
    let lane = b.link(f, n2, 1.0, 1);
    b.scripted(ShockTarget::Lane(vec![lane]), 10.0, 3.0, 1.0, Some(0.0));
    let net = b.build();
    let out = run(&net);
    assert_eq!(out.lost_units_by_need, vec![0.0, 300.0]);
    let wk = weekly(&out, &net, 1);
    for (t, &x) in wk.iter().enumerate() {
        let want = if (11..=13).contains(&t) { 0.0 } else { 1.0 };
        assert_eq!(x, want, "week {t}");
    }
    assert!(weekly(&out, &net, 0).iter().all(|&x| x == 1.0));
}

/// scenarios/examples/two_suppliers.toml: fab_a (share 0.7) is down weeks
/// 10-15. Week 11 the market moves fab_a's 0.7 to fab_b, whose spare
/// capacity (70 of 100) is exactly that much of last week's order. fab_b
/// then ships its full 100 a week against orders of 170, the market's stock
/// holds at 30, nothing is lost; once fab_a is back, rerouting splits the
/// order again and the shares drift home, so the trial ends at baseline.
#[test]
fn two_suppliers_example_reroutes_without_loss() {
    let net = shipped("two_suppliers.toml");
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    let mut fab_b_share_week_11 = 0.0;
    e.run_trial_inspect(1, 0, &mut s, &mut out, true, |t, st| {
        if t == 11 {
            fab_b_share_week_11 = st.share(1);
        }
    });
    assert_eq!(out.lost_units, 0.0);
    assert!(close(fab_b_share_week_11, 1.0), "{fab_b_share_week_11}");
    assert!(s.state_equals_baseline(&e));
}

/// two_suppliers.toml with fab_b able to take the whole order: week 11 the
/// market moves fab_a's share to fab_b, which ships in full, so from week 12
/// the need is not short and rerouting only checks whether the shares may
/// drift home. They may not while fab_a is down (its share is below its
/// baseline and it has no spare capacity), and must from week 17, once
/// fab_a is back: the link that blocked the drift for five weeks no longer
/// does, and the shares return to 70/30 at 0.1 a week.
#[test]
fn shares_drift_home_once_the_link_that_held_them_recovers() {
    let mut net = shipped("two_suppliers.toml");
    net.facilities[1].capacity_per_week = 300.0;
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    // fab_a's share at the end of each simulated week.
    let mut fab_a_share = vec![f64::NAN; net.settings.horizon_weeks as usize];
    e.run_trial_inspect(1, 0, &mut s, &mut out, true, |t, st| {
        fab_a_share[t as usize] = st.share(0);
    });
    assert_eq!(out.lost_units, 0.0);
    // Held at zero from the move through the outage and the week it ends.
    for (t, &x) in fab_a_share.iter().enumerate().take(17).skip(11) {
        assert_eq!(x, 0.0, "week {t}");
    }
    // Then home by 0.1 a week.
    for (t, &x) in fab_a_share.iter().enumerate().take(24).skip(17) {
        assert!(close(x, 0.1 * (t - 16) as f64), "week {t}: {x}");
    }
    assert!(s.state_equals_baseline(&e));
}

#[test]
fn no_shock_is_an_exact_fixed_point() {
    let mut nets = vec![
        chain(2.0, 1.0, 6.0),
        shipped("teaching_chain.toml"),
        shipped("two_suppliers.toml"),
    ];
    for (size, seed) in [(30, 1), (200, 2), (500, 3)] {
        nets.push(synthetic(size, seed));
    }
    for mut net in nets {
        net.shocks.clear();
        let cfg = EngineConfig {
            fast_forward: false,
            ..EngineConfig::default()
        };
        let e = Engine::with_config(&net, cfg);
        let mut s = e.scratch();
        assert!(s.state_equals_baseline(&e));
        let mut out = TrialOutcome::default();
        let mut every_week = true;
        e.run_trial_inspect(7, 3, &mut s, &mut out, true, |_, st| {
            every_week &= st.state_equals_baseline(&e);
        });
        assert!(every_week, "state left the baseline during a quiet trial");
        assert!(s.state_equals_baseline(&e));
        assert_eq!(out.lost_units, 0.0);
        assert_eq!(out.lost_usd, 0.0);
        assert_eq!(out.peak_shortfall, 0.0);
        assert_eq!(out.weeks_below_threshold, 0);
        assert!(out.weekly_fulfilment.iter().all(|&x| x == 1.0));
    }
}

#[test]
fn quiet_trial_returns_zeros_without_the_loop() {
    let mut net = synthetic(100, 5);
    net.shocks.clear();
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    let mut weeks = 0;
    e.run_trial_inspect(1, 1, &mut s, &mut out, false, |_, _| weeks += 1);
    assert_eq!(weeks, 0);
    assert_eq!(out.lost_units, 0.0);
    assert!(out.fired.is_empty());
}

/// Derivation (w = 10, lead 1, capacities never bind): the supplier ships 0
/// in weeks w..w+d-1, so the fab receives nothing in weeks w+1..w+d. Its
/// inventory (k weeks) carries weeks w+1..w+k; it produces 0 in weeks
/// w+k+1..w+d (d-k weeks). The market receives 0 one week later, weeks
/// w+k+2..w+d+1, and covers the first m of them from stock. Lost weeks:
/// w+k+m+2 ..= w+d+1, i.e. 100 × (d-k-m) units. When the supplier restarts
/// at w+d it ships the fab's whole order-up-to gap, enough to serve the
/// market's (also order-up-to) order at w+d+1 in full, so no week after
/// w+d+1 is short. Example k=2, m=1, d=6: lost weeks 15, 16, 17 = 300.
#[test]
fn three_tier_chain_exact_loss_and_timing() {
    for (k, m, d, lost, first, last) in [
        (2.0, 1.0, 6.0, 300.0, 15, 17),
        (1.0, 2.0, 8.0, 500.0, 15, 19),
        (0.0, 0.0, 4.0, 400.0, 12, 15),
        (2.0, 1.0, 3.0, 0.0, 0, 0),
    ] {
        let net = chain(k, m, d);
        let out = run(&net);
        assert_eq!(out.lost_units, lost, "k={k} m={m} d={d}");
        assert_eq!(out.lost_usd, lost * 50.0);
        assert_eq!(out.lost_units_by_need, vec![lost]);
        let wk = weekly(&out, &net, 0);
        if lost > 0.0 {
            for (t, &x) in wk.iter().enumerate() {
                let short = (first..=last).contains(&(t as u32));
                assert_eq!(x, if short { 0.0 } else { 1.0 }, "week {t}");
            }
            assert_eq!(out.weeks_below_threshold, last - first + 1);
            assert_eq!(out.time_to_survive, Some(first - W));
            assert_eq!(out.time_to_recover, Some(last + 1 - first));
            assert_eq!(out.peak_shortfall, 1.0);
        } else {
            assert!(wk.iter().all(|&x| x == 1.0));
            assert_eq!(out.time_to_survive, None);
        }
    }
}

fn two_suppliers(k: f64, m: f64, alt_qualified: bool, qual_weeks: f64) -> Network {
    let mut b = Builder::new(60);
    b.qualification_weeks("x", qual_weeks);
    let s1 = b.facility("x", 10_000.0, 0.0, 0.0);
    let s2 = b.facility("x", 1_000.0, 0.0, 0.0);
    let f = b.facility("chip", 10_000.0, k, 0.0);
    let nx = b.material(f, "x", 1.0);
    b.link(s1, nx, 1.0, 1);
    let alt = b.link(s2, nx, 0.0, 1);
    if !alt_qualified {
        b.unqualified(alt);
    }
    let mk = b.market(m, false);
    let nd = b.demand(mk, "chip", 100.0, 1.0);
    b.link(f, nd, 1.0, 1);
    b.scripted(
        ShockTarget::Capacity(vec![s1]),
        W as f64,
        20.0,
        1.0,
        Some(0.0),
    );
    b.build()
}

/// A qualified zero-share alternate with spare capacity takes the whole
/// share the week after the first short delivery (week 11); the fab's two
/// weeks of cover bridge the one missing arrival, so nothing is lost. An
/// unqualified alternate that would need 26 weeks does not help: the loss
/// is the single-supplier loss 100 × (20 - 2 - 1).
#[test]
fn qualified_alternate_absorbs_the_loss() {
    let out = run(&two_suppliers(2.0, 1.0, true, 26.0));
    assert_eq!(out.lost_units, 0.0);
    let out = run(&two_suppliers(2.0, 1.0, false, 26.0));
    assert_eq!(out.lost_units, 1700.0);
}

/// Unqualified candidate, qualification 2 weeks, fab cover 1, market cover
/// 0: short deliveries are seen in weeks 11 and 12 (counter 1, 2), so the
/// candidate takes the share at week 12 and delivers at 13. The fab has
/// stock for week 11 only and produces nothing in week 12; the market loses
/// week 13 alone (100 units). Each extra week of qualification costs 100.
#[test]
fn candidate_takes_share_after_qualification() {
    let net = two_suppliers(1.0, 0.0, false, 2.0);
    let out = run(&net);
    assert_eq!(out.lost_units, 100.0);
    assert_eq!(weekly(&out, &net, 0)[13], 0.0);
    let out = run(&two_suppliers(1.0, 0.0, false, 3.0));
    assert_eq!(out.lost_units, 200.0);
}

/// One supplier at capacity 100 serving markets of 30 and 70 (cover 0,
/// lead 1); capacity falls 40 % for 5 weeks. Orders scale alike (each
/// market re-orders its own shortfall), so each gets 60 % every week:
/// 18 and 42, losing 12 and 28 per week for 5 weeks. In the first week
/// after, orders are 42 + 98 = 140 > 100 and rationing gives exactly 30 and
/// 70, so no further loss.
fn rationing(priority: bool) -> (Network, TrialOutcome) {
    let mut b = Builder::new(40);
    let s = b.facility("chip", 100.0, 0.0, 0.0);
    if priority {
        b.priority(s);
    }
    let m1 = b.market(0.0, false);
    let m2 = b.market(0.0, false);
    let n1 = b.demand(m1, "chip", 30.0, 1.0);
    let n2 = b.demand(m2, "chip", 70.0, 1.0);
    let l1 = b.link(s, n1, 1.0, 1);
    let l2 = b.link(s, n2, 1.0, 1);
    b.link_priority(l1, 0);
    b.link_priority(l2, 1);
    b.scripted(
        ShockTarget::Capacity(vec![s]),
        W as f64,
        5.0,
        0.4,
        Some(0.0),
    );
    let net = b.build();
    let out = run(&net);
    (net, out)
}

#[test]
fn proportional_rationing_numbers() {
    let (_, out) = rationing(false);
    assert!(
        close(out.lost_units_by_need[0], 60.0),
        "{:?}",
        out.lost_units_by_need
    );
    assert!(
        close(out.lost_units_by_need[1], 140.0),
        "{:?}",
        out.lost_units_by_need
    );
}

/// Same as above with priority allocation: the priority-0 market (30) is
/// served in full, the other gets 60 - 30 = 30 of 70: it loses 40 per week.
#[test]
fn priority_allocation_serves_first_customer_in_full() {
    let (_, out) = rationing(true);
    assert_eq!(out.lost_units_by_need[0], 0.0);
    assert!(
        close(out.lost_units_by_need[1], 200.0),
        "{:?}",
        out.lost_units_by_need
    );
}

/// Supplier capacity 200 (load 100) cut by 7/8 to 25 and the lane to the
/// 70-market fully blocked, both for 5 weeks. The blocked customer's share
/// goes to the other: the 30-market gets all 25 (not 25 × 30/100), losing
/// 5/week; the blocked one loses 70/week. After: orders 35 + 140 ≤ 200.
#[test]
fn blocked_lane_share_goes_to_other_customers() {
    let mut b = Builder::new(40);
    let s = b.facility("chip", 200.0, 0.0, 0.0);
    let m1 = b.market(0.0, false);
    let m2 = b.market(0.0, false);
    let n1 = b.demand(m1, "chip", 30.0, 1.0);
    let n2 = b.demand(m2, "chip", 70.0, 1.0);
    b.link(s, n1, 1.0, 1);
    let l2 = b.link(s, n2, 1.0, 1);
    b.scripted(
        ShockTarget::Capacity(vec![s]),
        W as f64,
        5.0,
        0.875,
        Some(0.0),
    );
    b.scripted(ShockTarget::Lane(vec![l2]), W as f64, 5.0, 1.0, Some(0.0));
    let out = run(&b.build());
    assert!(
        close(out.lost_units_by_need[0], 25.0),
        "{:?}",
        out.lost_units_by_need
    );
    assert_eq!(out.lost_units_by_need[1], 350.0);
}

fn single_market(backorder: bool, cap: f64, recovery: Option<f64>, fac_rec: f64) -> Network {
    let mut b = Builder::new(40);
    let s = b.facility("chip", cap, 0.0, fac_rec);
    let m = b.market(0.0, backorder);
    let n = b.demand(m, "chip", 100.0, 2.0);
    b.link(s, n, 1.0, 1);
    b.scripted(ShockTarget::Capacity(vec![s]), W as f64, 5.0, 1.0, recovery);
    b.build()
}

/// Supplier (capacity 1000) down weeks 10-14; market cover 0. A lost-sales
/// market loses weeks 11-15 (500). A back-ordering market carries 100, 200,
/// ..., 500 at the ends of weeks 11-15 (1500 unit-weeks); at week 15 it
/// orders 100 + 100 (pipeline) + 400 (backlog) = 600, which arrives at week
/// 16 and clears the 600 due: nothing is lost at the horizon end.
#[test]
fn backorder_versus_lost_demand() {
    let out = run(&single_market(false, 1000.0, Some(0.0), 0.0));
    assert_eq!(out.lost_units, 500.0);
    assert_eq!(out.backorder_unit_weeks, 0.0);
    let net = single_market(true, 1000.0, Some(0.0), 0.0);
    let out = run(&net);
    assert_eq!(out.lost_units, 0.0);
    assert_eq!(out.backorder_unit_weeks, 1500.0);
    assert_eq!(out.weeks_below_threshold, 5);
    assert_eq!(weekly(&out, &net, 0)[16], 1.0);
}

/// Capacity 100 = load, down weeks 10-14, recovery 3 weeks: capacity 25,
/// 50, 75 in weeks 15, 16, 17 and full from week 18 (the shock's own
/// recovery, or the facility's when the shock has none). Deliveries arrive
/// a week later: fulfilment 0 in weeks 11-15, then 0.25, 0.5, 0.75, 1.
/// Lost: 5 × 100 + 75 + 50 + 25 = 650.
#[test]
fn linear_recovery_ramp() {
    for net in [
        single_market(false, 100.0, Some(3.0), 0.0),
        single_market(false, 100.0, None, 3.0),
    ] {
        let out = run(&net);
        assert_eq!(out.lost_units, 650.0);
        let wk = weekly(&out, &net, 0);
        assert_eq!(
            &wk[10..20],
            &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0]
        );
    }
}

/// A scripted schedule of a capacity shock declared without a recovery of
/// its own recovers the facility over the facility's time, as a drawn one
/// does, whatever recovery the script gives: before, a script's shorter
/// recovery ended the shock's weeks early and cut the facility's ramp
/// (capacity back in full in week 15, 150 units fewer lost).
#[test]
fn a_scripted_shock_keeps_the_facility_recovery() {
    let net = single_market(false, 100.0, None, 3.0);
    let e = Engine::new(&net);
    for scripted_recovery in [0, 1, 3, 9] {
        let mut s = e.scratch();
        let mut out = TrialOutcome::default();
        out.reset(0, e.market_need_ids.len(), 0);
        out.fired
            .push(super::FiredShock::scripted(0, W, 5, 1.0, scripted_recovery));
        e.simulate(&mut s, &mut out, false, |_, _| {});
        assert_eq!(
            out.lost_units, 650.0,
            "scripted recovery {scripted_recovery}"
        );
    }
}

/// Capital input: the fab (capacity 100 = load, recovery 4) draws 1 unit of
/// tool service per week from 2 weeks of spares; the tool maker is down
/// weeks 10-29. Spares last through week 12; from week 13 health erodes by
/// 0.25/week (output 75, 50, 25, 0); supply resumes with the arrival at
/// week 31, health climbs 0.25/week (25, 50, 75, 100 in weeks 31-34).
/// The market (cover 0) receives each output one week later: lost
/// 25 + 50 + 75 + 15 × 100 (weeks 17-31) + 75 + 50 + 25 = 1800.
#[test]
fn capital_erosion_and_recovery() {
    assert_eq!(run(&capital_chain(1.0, 100.0)).lost_units, 1800.0);
}

/// The chain above, its tool service counted in `units` a week from a
/// maker of capacity `maker`.
fn capital_chain(units: f64, maker: f64) -> Network {
    let mut b = Builder::new(60);
    let e = b.facility("tool", maker, 0.0, 0.0);
    let f = b.facility("chip", 100.0, 2.0, 4.0);
    let nt = b.capital(f, "tool", units, 0.25);
    b.link(e, nt, 1.0, 1);
    let m = b.market(0.0, false);
    let n = b.demand(m, "chip", 100.0, 1.0);
    b.link(f, n, 1.0, 1);
    b.scripted(
        ShockTarget::Capacity(vec![e]),
        W as f64,
        20.0,
        1.0,
        Some(0.0),
    );
    b.build()
}

/// The same chain with its tool service counted in another unit (a tenth:
/// 0.1 a week from a maker of 10, where 0.1 is not exact in binary) loses
/// exactly as much. The spares drawn down to one week's use read a hair
/// below it in one unit and not the other, and an exact test eroded health
/// a week early in some (1,900 units against 1,800 with 0.3).
#[test]
fn capital_erosion_does_not_depend_on_the_unit() {
    for (units, maker) in [(0.1, 10.0), (0.3, 30.0), (1e-5, 1e-3)] {
        let out = run(&capital_chain(units, maker));
        assert_eq!(out.lost_units, 1800.0, "tool service in units of {units}");
    }
}

/// Trial state returns to baseline after the shock, so the fast-forward
/// stops early with the same outcome as the full loop.
#[test]
fn fast_forward_matches_full_loop() {
    for net in [chain(2.0, 1.0, 6.0), synthetic(200, 9)] {
        let fast = Engine::new(&net);
        let slow = Engine::with_config(
            &net,
            EngineConfig {
                fast_forward: false,
                ..EngineConfig::default()
            },
        );
        let (mut s1, mut s2) = (fast.scratch(), slow.scratch());
        let (mut fast_weeks, mut slow_weeks) = (0u32, 0u32);
        for trial in 0..20 {
            let (mut a, mut b) = (TrialOutcome::default(), TrialOutcome::default());
            fast.run_trial_inspect(3, trial, &mut s1, &mut a, true, |_, _| fast_weeks += 1);
            slow.run_trial_inspect(3, trial, &mut s2, &mut b, true, |_, _| slow_weeks += 1);
            assert_eq!(a.fired, b.fired);
            for (x, y) in [
                (a.lost_units, b.lost_units),
                (a.lost_usd, b.lost_usd),
                (a.peak_shortfall, b.peak_shortfall),
                (a.backorder_unit_weeks, b.backorder_unit_weeks),
            ] {
                assert!(close(x, y), "trial {trial}: {x} {y}");
            }
            assert_eq!(a.weeks_below_threshold, b.weeks_below_threshold);
            assert_eq!(
                (a.time_to_survive, a.time_to_recover, a.first_short_week),
                (b.time_to_survive, b.time_to_recover, b.first_short_week)
            );
            for (x, y) in a.weekly_fulfilment.iter().zip(&b.weekly_fulfilment) {
                assert!((x - y).abs() <= 1e-6, "trial {trial}: weekly {x} {y}");
            }
        }
        // The fast loop did stop early (quiet trials and quiet tails).
        assert!(
            fast_weeks < slow_weeks / 2,
            "{fast_weeks} of {slow_weeks} weeks"
        );
    }
}

#[test]
fn determinism_same_seed_same_outcome() {
    let net = synthetic(300, 11);
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut fired_any = 0;
    for trial in 0..30 {
        let (mut a, mut b) = (TrialOutcome::default(), TrialOutcome::default());
        e.run_trial(99, trial, &mut s, &mut a, true);
        // Another scratch, and the same scratch after other trials.
        let mut s2 = e.scratch();
        e.run_trial(99, trial, &mut s2, &mut b, true);
        assert_eq!(a.fired, b.fired);
        assert_eq!(a.lost_units.to_bits(), b.lost_units.to_bits());
        assert_eq!(a.lost_usd_by_need, b.lost_usd_by_need);
        assert_eq!(a.weekly_fulfilment, b.weekly_fulfilment);
        fired_any += usize::from(!a.fired.is_empty());
    }
    assert!(fired_any > 5);
    let mut differ = 0;
    for trial in 0..50 {
        let (mut a, mut b) = (TrialOutcome::default(), TrialOutcome::default());
        e.run_trial(1, trial, &mut s, &mut a, false);
        e.run_trial(2, trial, &mut s, &mut b, false);
        differ += usize::from(a.fired != b.fired);
    }
    assert!(
        differ > 10,
        "only {differ} of 50 schedules differ between seeds"
    );
}

/// Shock A (p = 0.3) triggers B (p = 0.5, lag 0) and C (p = 0.8, lag 0)
/// triggers B too (B fires at most once); D happens at 2/year over 104
/// weeks (Poisson mean 4). 20,000 schedules: frequencies within 4 binomial
/// standard errors.
#[test]
fn occurrence_and_trigger_frequencies() {
    let mut b = Builder::new(104);
    let f = b.facility("x", 10.0, 0.0, 0.0);
    let m = b.market(0.0, false);
    let n = b.demand(m, "x", 1.0, 1.0);
    b.link(f, n, 1.0, 1);
    let mk = |occ, sev: f64| Shock {
        id: String::new(),
        name: String::new(),
        occurrence: occ,
        onset_week: None,
        duration_weeks: fixed(3.0),
        severity: super::testkit::fixed(sev),
        recovery_weeks: None,
        target: ShockTarget::Capacity(vec![0]),
        reach: None,
        triggers: Vec::new(),
    };
    let a = b.shock(mk(Occurrence::Probability(0.3), 0.5));
    let bb = b.shock(mk(Occurrence::Probability(0.0), 0.5));
    let c = b.shock(mk(Occurrence::Probability(0.1), 0.5));
    let d = b.shock(mk(Occurrence::RatePerYear(2.0), 0.5));
    b.trigger(a, bb, 0.5, 0.0);
    b.trigger(c, bb, 0.8, 0.0);
    let net = b.build();
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut fired = Vec::new();
    let trials = 20_000u64;
    let (mut na, mut nb, mut nc, mut nd, mut nd2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for t in 0..trials {
        e.draw_schedule(2024, t, &mut fired, &mut s);
        let count = |k: u32| fired.iter().filter(|x| x.shock == k).count() as f64;
        na += count(a).min(1.0);
        nb += count(bb);
        nc += count(c);
        let cd = count(d);
        nd += cd;
        nd2 += cd * cd;
        assert!(count(bb) <= 1.0);
        for x in &fired {
            if x.shock == bb {
                let parent = &fired[x.triggered_by.unwrap() as usize];
                assert!(parent.shock == a || parent.shock == c);
                assert_eq!(x.onset_week, parent.onset_week);
            }
        }
    }
    let nt = trials as f64;
    let check = |hits: f64, p: f64, what: &str| {
        let se = (p * (1.0 - p) / nt).sqrt();
        let freq = hits / nt;
        assert!(
            (freq - p).abs() < 4.0 * se,
            "{what}: {freq} vs {p} (se {se})"
        );
    };
    check(na, 0.3, "A");
    check(nc, 0.1, "C");
    // B: not (A and trigger) and not (C and trigger).
    let pb = 1.0 - (1.0 - 0.3 * 0.5) * (1.0 - 0.1 * 0.8);
    check(nb, pb, "B");
    let mean = nd / nt;
    let var = nd2 / nt - mean * mean;
    assert!(
        (mean - 4.0).abs() < 4.0 * (4.0 / nt).sqrt(),
        "D mean {mean}"
    );
    // The sample variance of a Poisson(λ) has variance ≈ (μ₄ − σ⁴) / n
    // with μ₄ = λ (1 + 3λ) and σ⁴ = λ²: 36 / n for λ = 4.
    assert!(
        (var - 4.0).abs() < 4.0 * (36.0 / nt).sqrt(),
        "D variance {var}"
    );
}

/// An event whose onset is drawn at or past the horizon happens after the
/// simulated weeks and is dropped (it was once moved to the last week,
/// inventing a one-week shock there). An onset uniform over twice the
/// horizon: about half the events fall inside, spread evenly, and none
/// piles up in the last week; a fixed onset past the horizon never fires.
#[test]
fn onsets_past_the_horizon_are_dropped() {
    let h = 52u32;
    let mut b = Builder::new(h);
    let f = b.facility("x", 10.0, 0.0, 0.0);
    let m = b.market(0.0, false);
    let n = b.demand(m, "x", 1.0, 1.0);
    b.link(f, n, 1.0, 1);
    let mk = |onset| super::testkit::capacity_shock(Occurrence::Probability(1.0), Some(onset));
    let spread = b.shock(mk(crate::dist::Distribution::Uniform {
        min: 0.0,
        max: 2.0 * h as f64,
    }));
    let late = b.shock(mk(fixed(500.0)));
    let net = b.build();
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut fired = Vec::new();
    let trials = 20_000u64;
    let (mut inside, mut last_week) = (0.0, 0.0);
    for t in 0..trials {
        e.draw_schedule(7, t, &mut fired, &mut s);
        assert!(
            fired.iter().all(|x| x.shock != late),
            "trial {t}: {fired:?}"
        );
        for x in fired.iter().filter(|x| x.shock == spread) {
            assert!(x.onset_week < h);
            inside += 1.0;
            if x.onset_week == h - 1 {
                last_week += 1.0;
            }
        }
    }
    let nt = trials as f64;
    // round(U(0, 2h)) < h: probability (h − 0.5) / 2h.
    let p = (h as f64 - 0.5) / (2.0 * h as f64);
    let se = (p * (1.0 - p) / nt).sqrt();
    assert!(
        (inside / nt - p).abs() < 4.0 * se,
        "inside {} vs {p}",
        inside / nt
    );
    // The last week gets its share of one week in 2h, not everything past.
    let q = 1.0 / (2.0 * h as f64);
    let se = (q * (1.0 - q) / nt).sqrt();
    assert!(
        (last_week / nt - q).abs() < 4.0 * se,
        "last week {} vs {q}",
        last_week / nt
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// No negative stock; produced = shipped; stock changes balance
    /// production and consumption; fulfilment in [0, 1]; loss ≥ 0.
    #[test]
    fn invariants_on_synthetic_networks(size in 10usize..150, nseed in 0u64..1000, seed in 0u64..1000, trial in 0u64..1000) {
        let mut net = synthetic(size, nseed);
        // Make shocks likely so that most cases exercise disruption.
        for sh in &mut net.shocks {
            if let Occurrence::Probability(p) = &mut sh.occurrence {
                *p = 0.9;
            }
        }
        let e = Engine::with_config(&net, EngineConfig { fast_forward: false, ..EngineConfig::default() });
        let mut s = e.scratch();
        let stock = |st: &super::Scratch| -> f64 {
            (0..net.needs.len()).map(|n| st.inventory(&e, n)).sum::<f64>()
                + (0..net.needs.len()).map(|n| st.in_transit(&e, n)).sum::<f64>()
        };
        let scale: f64 = 1.0 + (0..net.needs.len()).map(|n| s.inventory(&e, n)).sum::<f64>()
            + (0..net.needs.len()).map(|n| s.in_transit(&e, n)).sum::<f64>();
        let mut prev = stock(&s);
        let mut bad: Option<String> = None;
        let mut out = TrialOutcome::default();
        // Last week's shares, orders and spare capacity: rerouting moves
        // share to a supplier only within its spare capacity, however many
        // needs move to it at once.
        let (mut shares, mut orders, mut spare) = (s.share.clone(), orders_of(&s), s.spare.clone());
        e.run_trial_inspect(seed, trial, &mut s, &mut out, true, |t, st| {
            if bad.is_some() { return; }
            let tol = 1e-9 * scale;
            let mut gained = vec![0.0; net.facilities.len()];
            for (l, lk) in net.links.iter().enumerate() {
                gained[lk.supplier as usize] += (st.share[l] - shares[l]).max(0.0) * orders[lk.need as usize];
            }
            for (f, (&g, &sp)) in gained.iter().zip(&spare).enumerate() {
                if g > sp * (1.0 + 1e-6) + tol {
                    bad = Some(format!("week {t}: facility {f} gained {g} of its spare {sp}"));
                }
            }
            // Moves keep each need's shares adding up to what they did.
            for n in 0..net.needs.len() {
                let links = e.need_links.offsets[n] as usize..e.need_links.offsets[n + 1] as usize;
                let (was, now): (f64, f64) = (shares[links.clone()].iter().sum(), st.share[links].iter().sum());
                if (now - was).abs() > 1e-9 {
                    bad = Some(format!("week {t}: need {n}'s shares sum to {now}, not {was}"));
                }
            }
            shares.copy_from_slice(&st.share);
            orders = orders_of(st);
            spare.copy_from_slice(&st.spare);
            for n in 0..net.needs.len() {
                if st.inventory(&e, n) < -tol { bad = Some(format!("week {t}: need {n} stock {}", st.inventory(&e, n))); }
            }
            for n in 0..net.needs.len() {
                if st.in_transit(&e, n) < -tol {
                    bad = Some(format!("week {t}: need {n} in transit {}", st.in_transit(&e, n)));
                }
            }
            for l in 0..net.links.len() {
                if st.shipment(l) < -tol {
                    bad = Some(format!("week {t}: link {l} ships {}", st.shipment(l)));
                }
            }
            let (produced, shipped, consumed) = st.week_totals();
            if (produced - shipped).abs() > tol { bad = Some(format!("week {t}: produced {produced} shipped {shipped}")); }
            let now = stock(st);
            if ((now - prev) - (produced - consumed)).abs() > tol {
                bad = Some(format!("week {t}: stock change {} vs produced - consumed {}", now - prev, produced - consumed));
            }
            prev = now;
        });
        prop_assert!(!out.fired.is_empty());
        prop_assert!(bad.is_none(), "{}", bad.unwrap_or_default());
        prop_assert!(out.lost_units >= 0.0);
        prop_assert!(out.lost_usd_by_need.iter().all(|&x| x >= 0.0));
        prop_assert!(out.weekly_fulfilment.iter().all(|&x| (0.0..=1.0).contains(&x)));
        prop_assert!((0.0..=1.0).contains(&out.peak_shortfall));
    }
}

/// Every need's order this week.
fn orders_of(s: &super::Scratch) -> Vec<f64> {
    s.need.iter().map(|st| st.order).collect()
}

/// Supplier `a` (share 1 of markets 1 and 2, 100 a week each) is down for
/// 20 weeks from week 10; `b` is their qualified alternate at share 0 and
/// sole supplier of market 0's 100 a week, with 100 of spare capacity. Each
/// market alone would move its whole order to `b` (its room is `b`'s
/// spare, 100, all of its order). Planned together they claim 200 of the
/// 100, so each is granted half and moves half its share: `b` is never
/// ordered beyond its capacity, market 0 loses nothing, and the two share
/// the loss evenly: 1,050 units each. (When each took all of it, `b` was
/// ordered 300 against 200 and rationed market 0 as well, which lost 694
/// units: 2,261 in all.)
#[test]
fn needs_moving_to_one_supplier_share_its_spare_capacity() {
    let mut b = Builder::new(60);
    let a = b.facility("chip", 10_000.0, 0.0, 0.0);
    let alt = b.facility("chip", 200.0, 0.0, 0.0);
    let m0 = b.market(0.0, false);
    let n0 = b.demand(m0, "chip", 100.0, 1.0);
    b.link(alt, n0, 1.0, 1);
    let mut to_alt = Vec::new();
    for _ in 0..2 {
        let m = b.market(0.0, false);
        let n = b.demand(m, "chip", 100.0, 1.0);
        b.link(a, n, 1.0, 1);
        to_alt.push(b.link(alt, n, 0.0, 1));
    }
    b.scripted(
        ShockTarget::Capacity(vec![a]),
        W as f64,
        20.0,
        1.0,
        Some(0.0),
    );
    let net = b.build();
    let e = Engine::new(&net);
    let mut s = e.scratch();
    let mut out = TrialOutcome::default();
    let mut alt_ordered_over_capacity = false;
    let mut shares_week_11 = Vec::new();
    e.run_trial_inspect(1, 0, &mut s, &mut out, true, |t, st| {
        alt_ordered_over_capacity |= st.recv[alt as usize] > 200.0 * (1.0 + 1e-12);
        if t == 11 {
            shares_week_11 = to_alt.iter().map(|&l| st.share(l as usize)).collect();
        }
    });
    assert_eq!(shares_week_11, [0.5, 0.5]);
    assert!(!alt_ordered_over_capacity);
    assert_eq!(out.lost_units_by_need[0], 0.0);
    assert!(out.lost_units_by_need[1] > 0.0);
    assert!(close(out.lost_units_by_need[1], out.lost_units_by_need[2]));
}

/// Both engines of one network: working only the active sets, and working
/// every node every week (the reference).
fn sparse_and_dense(net: &Network, fast_forward: bool) -> (Engine, Engine) {
    (
        Engine::with_config(net, sets(true, fast_forward)),
        Engine::with_config(net, sets(false, fast_forward)),
    )
}

/// The default rules, with or without active sets and fast-forward.
fn sets(active_sets: bool, fast_forward: bool) -> EngineConfig {
    EngineConfig {
        fast_forward,
        active_sets,
        ..EngineConfig::default()
    }
}

/// Every quantity of the trial state the next week depends on, as bits.
fn state_bits(st: &super::Scratch) -> Vec<u64> {
    let mut v = Vec::new();
    for n in &st.need {
        v.extend(
            [
                n.inv_dev,
                n.transit_dev,
                n.arr_dev,
                n.backlog,
                n.cap_health,
                n.order,
            ]
            .map(f64::to_bits),
        );
        v.extend([u64::from(n.short_weeks), u64::from(n.reroute)]);
    }
    for a in [
        &st.share, &st.ship, &st.pipe, &st.recv, &st.out, &st.spare, &st.lam,
    ] {
        v.extend(a.iter().map(|x| x.to_bits()));
    }
    v.extend(st.qualified.iter().map(|&x| x as u64));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Working only the active needs and facilities gives, week by week,
    /// the state (to the bit) and the outcome of working every node.
    #[test]
    fn active_sets_match_working_every_node(size in 10usize..200, nseed in 0u64..1000, seed in 0u64..1000, trial in 0u64..1000, ff in any::<bool>()) {
        let mut net = synthetic(size, nseed);
        for sh in &mut net.shocks {
            if let Occurrence::Probability(p) = &mut sh.occurrence {
                *p = 0.7;
            }
        }
        let (sparse, dense) = sparse_and_dense(&net, ff);
        let run = |e: &Engine| {
            let mut s = e.scratch();
            let mut out = TrialOutcome::default();
            let mut weeks = Vec::new();
            e.run_trial_inspect(seed, trial, &mut s, &mut out, true, |_, st| weeks.push(state_bits(st)));
            (format!("{out:?}"), weeks)
        };
        let (a, b) = (run(&sparse), run(&dense));
        prop_assert_eq!(a.1.len(), b.1.len(), "weeks simulated");
        for (t, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
            prop_assert!(x == y, "week {}: states differ", t);
        }
        prop_assert_eq!(a.0, b.0);
    }
}

/// Plays the first `trials` trials (seed `seed`) of every world variant
/// under both configurations and asserts equal outcomes, to the bit.
/// Returns, per variant, how many trials `count` picked out.
fn world_variants_agree(
    a: EngineConfig,
    b: EngineConfig,
    seed: u64,
    trials: u64,
    count: impl Fn(&TrialOutcome) -> bool,
) -> Vec<usize> {
    let (scenario, diags) = crate::shipped::load(crate::shipped::WORLD).expect("embedded");
    assert!(diags.is_empty());
    let net = crate::network::compile(&scenario).expect("compiles");
    (0..net.variants.len())
        .map(|v| {
            let vn = crate::policy::apply(&net, v).expect("variant applies");
            let ea = VariantEngine::with_config(&vn, a.clone());
            let eb = VariantEngine::with_config(&vn, b.clone());
            engines_agree(&ea, &eb, seed, trials, &vn.id, &count)
        })
        .collect()
}

/// Plays the first `trials` trials (seed `seed`) on both engines of variant
/// `id` and asserts equal outcomes, to the bit. Returns how many trials
/// `count` picked out.
fn engines_agree(
    ea: &VariantEngine,
    eb: &VariantEngine,
    seed: u64,
    trials: u64,
    id: &str,
    count: impl Fn(&TrialOutcome) -> bool,
) -> usize {
    let (mut sa, mut sb) = (ea.scratch(), eb.scratch());
    let mut counted = 0;
    for trial in 0..trials {
        let mut oa = TrialOutcome::default();
        let mut ob = TrialOutcome::default();
        ea.run_trial(seed, trial, &mut sa, &mut oa, true);
        eb.run_trial(seed, trial, &mut sb, &mut ob, true);
        assert_eq!(
            format!("{oa:?}"),
            format!("{ob:?}"),
            "variant {id}, trial {trial}"
        );
        counted += usize::from(count(&oa));
    }
    counted
}

/// The same on the shipped world under every variant (regime switches,
/// closed lanes, reserves, ramps, crisis sharing): the first disrupted
/// trials give the same outcomes, to the bit.
#[test]
fn active_sets_match_working_every_node_on_the_world_variants() {
    let played = world_variants_agree(sets(true, true), sets(false, true), 3, 40, |o| {
        !o.fired.is_empty()
    });
    for (v, &p) in played.iter().enumerate() {
        assert!(p >= 10, "variant {v}: only {p} disrupted trials");
    }
}

/// Fast-forward skips the weeks before the first shock and the first policy
/// event (a ramp, a closed lane) exactly: with a snap tolerance of zero (the
/// trial stops only once the state is exactly the baseline) every world
/// variant gives the outcome of the full loop, to the bit.
#[test]
fn skipped_weeks_before_the_first_event_are_exact() {
    let exact_ff = EngineConfig {
        snap_tolerance: 0.0,
        ..EngineConfig::default()
    };
    let full = EngineConfig {
        fast_forward: false,
        ..EngineConfig::default()
    };
    let late = world_variants_agree(exact_ff, full, 5, 30, |o| {
        !o.fired.is_empty() && o.fired.iter().all(|f| f.onset_week >= 10)
    });
    for (v, &n) in late.iter().enumerate() {
        assert!(n >= 5, "variant {v}: only {n} trials start late");
    }
}

/// Plays the first `trials` trials (seed `seed`) of variant `vn` with its
/// checkpoints and without them, and asserts equal outcomes, to the bit.
/// Returns how many trials resumed from a checkpoint (first onset at or
/// after the first checkpoint) and satisfy `count`; `None` when the variant
/// has no checkpoints.
fn resumed_trials_match(
    vn: &crate::policy::VariantNetwork,
    seed: u64,
    trials: u64,
    count: impl Fn(&TrialOutcome) -> bool,
) -> Option<usize> {
    let resuming = VariantEngine::new(vn);
    let first = *resuming.checkpoint_weeks().first()?;
    let mut reference = VariantEngine::new(vn);
    reference.drop_checkpoints();
    Some(engines_agree(
        &resuming,
        &reference,
        seed,
        trials,
        &vn.id,
        |o| {
            let onset = o.fired.iter().map(|f| f.onset_week).min();
            onset.is_some_and(|w| w >= first) && count(o)
        },
    ))
}

/// A disrupted trial of a variant whose policies move the state early (a
/// reshored fab ramping from week 0, a lane closed for good) resumes from
/// the latest checkpoint before its first shock instead of simulating the
/// weeks before it again. On every world variant with checkpoints, the
/// first 40 trials give the outcome of simulating every week from the first
/// policy event, to the bit, and enough of them resume.
#[test]
fn trials_resumed_from_a_checkpoint_are_exact() {
    let (scenario, _) = crate::shipped::load(crate::shipped::WORLD).expect("embedded");
    let net = crate::network::compile(&scenario).expect("compiles");
    let mut with_checkpoints = 0;
    for v in 0..net.variants.len() {
        let vn = crate::policy::apply(&net, v).expect("variant applies");
        let Some(resumed) = resumed_trials_match(&vn, 11, 40, |_| true) else {
            continue;
        };
        with_checkpoints += 1;
        assert!(resumed >= 5, "variant {}: {resumed} trials resumed", vn.id);
    }
    assert!(
        with_checkpoints >= 3,
        "{with_checkpoints} variants have checkpoints"
    );
}

/// The same where the weeks before the first shock already lose demand:
/// on the small fixture, a variant banning TW's chips to the US from week 0
/// starves the market until the reshored US fab comes online in week 20.
/// A trial resuming from a checkpoint carries the losses, shortfall weeks,
/// first and last short weeks and weekly fulfilment of the weeks it
/// skipped, to the bit.
#[test]
fn resumed_trials_carry_what_the_weeks_before_lost() {
    let text = format!(
        "{}\n{}",
        include_str!("../../tests/fixtures/base.toml"),
        r#"
[[policy]]
id = "ban"
[policy.export_control]
from = ["TW"]
to = ["US"]
products = ["chip"]

[[variant]]
id = "ban"
policies = ["ban", "reshore_us"]
"#
    );
    let (scenario, diags) = crate::scenario::load_scenario_str("base.toml", &text);
    assert!(diags.is_empty(), "{diags:?}");
    let net = crate::network::compile(&scenario).expect("compiles");
    let v = net
        .variants
        .iter()
        .position(|v| v.id == "ban")
        .expect("variant");
    let vn = crate::policy::apply(&net, v).expect("variant applies");
    let resumed_with_losses =
        resumed_trials_match(&vn, 3, 400, |o| o.lost_units > 0.0).expect("checkpoints");
    assert!(
        resumed_with_losses >= 5,
        "{resumed_with_losses} trials resumed"
    );
}

/// Rounding residue leaves the active set: on the shipped world after a
/// Taiwan blockade, no need stays pending next week with nothing but a
/// stock or in-transit deviation inside the snap tolerance (nonzero, at
/// most `tol × (target + use + 1)`) while its flows are at rest. Such a
/// need is snapped to rest exactly, so a week's work after a shock tracks
/// the needs still recovering, not the ones that left it rounding bits.
#[test]
fn residue_within_the_snap_tolerance_leaves_the_active_set() {
    let (scenario, _) = crate::shipped::load(crate::shipped::WORLD).expect("embedded");
    let net = crate::network::compile(&scenario).expect("compiles");
    let e = Engine::new(&net);
    let tol = e.cfg.snap_tolerance;
    let id = |s: &str| net.shocks.iter().position(|x| x.id == s).expect("shock") as u32;
    let blockade = |shock| super::FiredShock::scripted(shock, 10, 26, 1.0, 8);
    let mut out = TrialOutcome::default();
    out.reset(0, e.market_need_ids().len(), 0);
    out.fired.extend([
        blockade(id("taiwan_blockade")),
        blockade(id("taiwan_blockade_inbound")),
    ]);
    let mut s = e.scratch();
    let (mut weeks, mut snapped_at_rest) = (0, 0);
    e.simulate(&mut s, &mut out, false, |t, s| {
        weeks += 1;
        for n in 0..e.needs.len() {
            let pending = s.need_pending.words()[n / 64] >> (n % 64) & 1 == 1;
            let at_rest_flows = t + 1 >= s.need[n].arrivals_until
                && s.need[n].quiet
                && s.need[n].ships_at_base
                && !s.need[n].reroute
                && s.need[n].backlog == 0.0
                && s.need[n].cap_health == 1.0;
            if !pending || !at_rest_flows {
                continue;
            }
            let scale = tol * (e.needs[n].target + e.needs[n].base_use + 1.0);
            let dev = s.need[n].inv_dev.abs().max(s.need[n].transit_dev.abs());
            assert!(
                dev == 0.0 || dev > scale,
                "week {t}: need {n} pending with residue {dev:e} (tolerance {scale:e})"
            );
            snapped_at_rest += usize::from(dev == 0.0);
        }
    });
    assert!(weeks > 40, "the blockade trial ran {weeks} weeks");
    assert!(snapped_at_rest > 0, "no need was snapped to rest");
    assert!(out.lost_usd > 0.0);
}
