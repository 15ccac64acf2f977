//! Policy variants on common random numbers: reproducible paired
//! differences, far tighter intervals than independent runs, monotone
//! effects where the model is monotone, and paper versus concrete.

mod common;

use chipshock::cli::compare::{TrialPlan, compare, run_variants};
use chipshock::mc::RunOptions;
use chipshock::network::Network;
use chipshock::policy;
use chipshock::scenario::load_scenario_str;
use chipshock::sim::variant::VariantEngine;
use chipshock::sim::{FiredShock, TrialOutcome};
use chipshock::stats::Summary;
use common::*;

fn net(path: &std::path::Path) -> Network {
    build(path).map_err(|(_, d)| d.items).expect("valid")
}

/// A scenario given as text, which must load and compile without a word.
fn compiled(name: &str, text: &str) -> Network {
    let (scenario, diags) = load_scenario_str(name, text);
    assert!(diags.is_empty(), "{name}: {:?}", diags.items);
    chipshock::network::compile(&scenario)
        .map_err(|d| d.items)
        .expect("compiles")
}

fn engine(net: &Network, id: &str) -> VariantEngine {
    let i = net
        .variants
        .iter()
        .position(|v| v.id == id)
        .expect("variant");
    VariantEngine::new(&policy::apply(net, i).expect("applies"))
}

fn variant_indices(net: &Network, ids: &[&str]) -> Vec<usize> {
    ids.iter()
        .map(|id| {
            net.variants
                .iter()
                .position(|v| v.id == *id)
                .expect("variant")
        })
        .collect()
}

fn shock(net: &Network, id: &str) -> u32 {
    net.shocks.iter().position(|s| s.id == id).expect("shock") as u32
}

fn scripted(ve: &VariantEngine, fired: &[FiredShock]) -> f64 {
    let mut s = ve.scratch();
    let mut out = TrialOutcome::default();
    ve.run_schedule(fired, &mut s, &mut out, false);
    out.lost_usd
}

fn plan(seed: u64, trials: u64) -> TrialPlan {
    TrialPlan {
        seed,
        trials: 0..trials,
        options: RunOptions {
            threads: 2,
            ..RunOptions::default()
        },
        record_weekly: false,
    }
}

/// A friendshoring deal that links a market to an allied fab it never
/// sourced from; qualification (5 weeks) is shorter than the outage.
const DEAL_WITH_A_NEW_SOURCE: &str = "[meta]\nhorizon_weeks = 52\n\
    [[bloc]]\nid = \"pact\"\nagreement = true\n\
    [[country]]\nid = \"A\"\n[[country]]\nid = \"C\"\n[[country]]\nid = \"E\"\nblocs = [\"pact\"]\n\
    [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 5\nqualification_weeks = 5\n\
    [[facility]]\nid = \"fab_a\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\nrecovery_weeks = 0\n\
    [[facility]]\nid = \"fab_e\"\ncountry = \"E\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\nrecovery_weeks = 0\n\
    [[market]]\nid = \"mkt\"\ncountry = \"C\"\nsector = \"consumer\"\ninventory_weeks = 1\n\
    [market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 1\n\
    [[link]]\nsupplier = \"fab_a\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 1.0\nlead_weeks = 1\n\
    [[shock]]\nid = \"out\"\nprobability = 0\nduration_weeks = { fixed = 6 }\nseverity = { fixed = 1 }\n\
    [shock.capacity]\nfacilities = [\"fab_a\"]\n\
    [[shock]]\nid = \"election\"\nprobability = 0\nrevoke = [\"pact\"]\n\
    [[policy]]\nid = \"deal\"\nagreement = \"pact\"\n[policy.friendshore]\nproduct = \"chip\"\n\
    customers = { markets = [\"mkt\"] }\nfrom = [\"A\"]\nto = \"pact\"\nshare = 0.5\n\
    [[variant]]\nid = \"friend\"\npolicies = [\"deal\"]\n";

/// The link a friendshoring deal added is gone with the deal: once the
/// agreement is revoked, the allied fab is no more a candidate for the
/// market's rerouting than in the baseline, where nothing links them. Before,
/// the link stayed as an unqualified candidate, qualified after 5 weeks of
/// the outage and served the market: the torn-up deal still saved 100 units.
#[test]
fn a_revoked_deal_leaves_no_second_source() {
    let n = compiled("deal.toml", DEAL_WITH_A_NEW_SOURCE);
    let (base, friend) = (engine(&n, "baseline"), engine(&n, "friend"));
    let outage = FiredShock::scripted(shock(&n, "out"), 20, 6, 1.0, 0);
    let election = FiredShock::scripted(shock(&n, "election"), 5, 1, 1.0, 0);
    // Hand check: fab_a makes nothing in weeks 20-25; the week-19 shipment
    // serves week 20 and the week of stock week 21; weeks 22-26 are lost
    // (fab_a ships again in week 26, arriving in week 27).
    assert_eq!(scripted(&base, std::slice::from_ref(&outage)), 500.0);
    // The deal in force: half the market's supply comes from fab_e, which
    // takes the rest once fab_a is down.
    assert!(scripted(&friend, std::slice::from_ref(&outage)) < 100.0);
    // Torn up 15 weeks before: exactly the baseline's loss.
    assert_eq!(scripted(&friend, &[election, outage]), 500.0);
}

/// Paper versus concrete: when the agreement breaks before the blockade,
/// friendshoring's benefit falls back to the baseline's, while reshoring's
/// is unchanged.
#[test]
fn paper_versus_concrete() {
    let n = net(&fixture("paper_concrete.toml"));
    let blockade = FiredShock::scripted(shock(&n, "taiwan_blockade"), 30, 12, 1.0, 0);
    let election = FiredShock::scripted(shock(&n, "new_government"), 5, 80, 1.0, 0);
    let only_blockade = [blockade.clone()];
    let broken_first = [election, blockade];
    let base = engine(&n, "baseline");
    let friend = engine(&n, "friendshoring");
    let reshore = engine(&n, "reshoring");
    let benefit =
        |ve: &VariantEngine, fired: &[FiredShock]| scripted(&base, fired) - scripted(ve, fired);

    let (f_held, f_broken) = (
        benefit(&friend, &only_blockade),
        benefit(&friend, &broken_first),
    );
    let (r_held, r_broken) = (
        benefit(&reshore, &only_blockade),
        benefit(&reshore, &broken_first),
    );
    // With the agreement holding, both policies protect the market.
    assert!(
        f_held > 0.0 && r_held > 0.0,
        "friendshoring {f_held}, reshoring {r_held}"
    );
    // The paper is gone: friendshoring is back at the baseline (its shares
    // reverted 25 weeks before the blockade).
    assert_eq!(
        f_broken, 0.0,
        "friendshoring benefit after the break (held: {f_held})"
    );
    // The concrete stays: the reshored fab's benefit does not change at all.
    assert_eq!(r_broken, r_held);

    // Hand check of the baseline: Taiwan makes nothing in weeks 30-41. The
    // week-29 shipment arrives in week 30 and serves it; the market's 2
    // weeks of stock (160) serve weeks 31-32; Japan cannot be qualified
    // within the outage (26 weeks). Weeks 33-41 are lost, and so is week
    // 42: Taiwan ships again in week 42, arriving in week 43. 10 weeks ×
    // 80 units × $100 = $80,000.
    assert_eq!(scripted(&base, &only_blockade), 80_000.0);
}

/// One fab serving a market with 3 weeks of cover, and a stockpile that
/// raises the cover to 8 weeks, released always or only during a shock.
fn chain_with_reserve() -> String {
    let mut s = String::from(
        "[meta]\nhorizon_weeks = 60\n\
         [[country]]\nid = \"A\"\n\
         [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 10\n\
         [[facility]]\nid = \"fab\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 120\nrecovery_weeks = 0\n\
         [[market]]\nid = \"mkt\"\ncountry = \"A\"\nsector = \"automotive\"\ninventory_weeks = 3\n[market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 1\n\
         [[sourcing]]\ncustomers = [\"mkt\"]\nproduct = \"chip\"\nsuppliers = { fab = 1.0 }\nlead_weeks = 1\n\
         [[shock]]\nid = \"outage\"\nprobability = 0.9\nonset_week = { uniform = { min = 0, max = 40 } }\n\
         duration_weeks = { uniform = { min = 1, max = 14 } }\nseverity = { uniform = { min = 0.3, max = 1.0 } }\n\
         recovery_weeks = { uniform = { min = 0, max = 4 } }\n[shock.capacity]\nfacilities = [\"fab\"]\n",
    );
    for release in ["always", "during_shock"] {
        s += &format!(
            "[[policy]]\nid = \"{release}\"\n[policy.stockpile]\ncustomers = {{ markets = [\"mkt\"] }}\nproducts = [\"chip\"]\ninventory_weeks = 8\nrelease = \"{release}\"\n\
             [[variant]]\nid = \"{release}\"\npolicies = [\"{release}\"]\n"
        );
    }
    s
}

/// A reserve is released only while a shock is in effect, and refilled
/// from what arrives beyond the market's working stock, never by
/// withholding demand once supply is back.
#[test]
fn a_reserve_is_refilled_from_surplus_not_from_demand() {
    let n = compiled("reserve.toml", &chain_with_reserve());
    // Hand case: the fab is down in weeks 10-17. The week-9 shipment
    // serves week 10; the 8 weeks of stock (800) serve weeks 11-17; the fab
    // ships again in week 18, arriving from week 19 on at its capacity 120,
    // 20 above demand, which refills the stock.
    // - Without a stockpile (3 weeks of cover) weeks 14-18 are lost (500).
    // - Released always, the last 100 units serve week 18: nothing lost.
    // - Released during the shock: the shock is over in week 18, and the
    //   100 units left are reserve, locked (100 lost). From week 19 the
    //   market is served first and only the surplus refills the reserve
    //   (before, the locked reserve withheld every arrival until 500 were
    //   back: 420 units lost after the shock).
    let outage = [FiredShock::scripted(shock(&n, "outage"), 10, 8, 1.0, 0)];
    let baseline = scripted(&engine(&n, "baseline"), &outage);
    assert_eq!(baseline, 500.0, "3 weeks of cover: 5 of the 8 weeks lost");
    assert_eq!(scripted(&engine(&n, "always"), &outage), 0.0);
    assert_eq!(scripted(&engine(&n, "during_shock"), &outage), 100.0);
    // Trial by trial, a reserve never loses more than no stockpile, nor
    // less than the same stock released always (up to rounding: locked,
    // the reserve's market works its stock as the one without it, by
    // other sums).
    let within = |a: f64, b: f64| a <= b + 1e-9 * (1.0 + b.abs());
    let none = per_trial(&n, "baseline", 300);
    let (always, reserve) = (
        per_trial(&n, "always", 300),
        per_trial(&n, "during_shock", 300),
    );
    for t in 0..none.len() {
        assert!(
            within(reserve[t], none[t]),
            "trial {t}: {} > {}",
            reserve[t],
            none[t]
        );
        assert!(
            within(always[t], reserve[t]),
            "trial {t}: {} > {}",
            always[t],
            reserve[t]
        );
    }
    assert!(none.iter().zip(&reserve).any(|(a, b)| b < a));
}

/// Variants that avoid the same loss rank the cheaper first (then in the
/// order declared).
#[test]
fn equal_avoided_loss_ranks_the_cheaper_first() {
    let mut text = chain_with_stockpile(&[]).replace("probability = 0.9", "probability = 0.0");
    for (id, cost) in [("pricey", 1000), ("free", 0)] {
        text += &format!(
            "[[policy]]\nid = \"{id}\"\nannual_cost_usd = {cost}\n[policy.stockpile]\ncustomers = {{ markets = [\"mkt\"] }}\n\
             products = [\"chip\"]\ninventory_weeks = 2\nholding_rate_per_year = 0\n\
             [[variant]]\nid = \"{id}\"\npolicies = [\"{id}\"]\n"
        );
    }
    let n = compiled("ties.toml", &text);
    let idx = variant_indices(&n, &["baseline", "pricey", "free"]);
    let runs = run_variants(&n, &idx, &plan(5, 20), None, |_| {}).expect("runs");
    let rows = compare(&runs, None);
    let ranks: Vec<(&str, usize)> = rows.iter().map(|r| (r.variant.as_str(), r.rank)).collect();
    assert!(rows.iter().all(|r| r.avoided_usd.mean == 0.0));
    assert_eq!(ranks, [("baseline", 1), ("pricey", 3), ("free", 2)]);
}

/// A fab built by a reshore policy in country B, copying a fab in A whose
/// wafers come from C, and shocks selected by rule: every fab, and the
/// wafer lanes from C.
const RESHORED_FAB_IN_REACH: &str = "[meta]\nhorizon_weeks = 40\n\
    [[country]]\nid = \"A\"\n[[country]]\nid = \"B\"\n[[country]]\nid = \"C\"\n\
    [[product]]\nid = \"wafer\"\nunit = \"w\"\ncategory = \"material\"\nvalue_usd_per_unit = 1\n\
    [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 10\n\
    [[facility]]\nid = \"sup\"\ncountry = \"C\"\nkind = \"materials\"\nproduct = \"wafer\"\ncapacity_per_week = 300\n\
    [[facility]]\nid = \"fab\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 130\nrecipe = { wafer = 1.0 }\nrecovery_weeks = 0\n\
    [[market]]\nid = \"mkt\"\ncountry = \"A\"\nsector = \"automotive\"\ninventory_weeks = 0\n[market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 1\n\
    [[sourcing]]\ncustomers = [\"fab\"]\nproduct = \"wafer\"\nsuppliers = { sup = 1.0 }\nlead_weeks = 1\n\
    [[sourcing]]\ncustomers = [\"mkt\"]\nproduct = \"chip\"\nsuppliers = { fab = 1.0 }\nlead_weeks = 1\n\
    [[shock]]\nid = \"quake\"\nprobability = 0\nduration_weeks = { fixed = 6 }\nseverity = { fixed = 1 }\n\
    [shock.capacity]\nkinds = [\"fab\"]\n\
    [[shock]]\nid = \"embargo\"\nprobability = 0\nduration_weeks = { fixed = 6 }\nseverity = { fixed = 1 }\n\
    [shock.lane]\nfrom = [\"C\"]\nto = [\"A\", \"B\"]\nproducts = [\"wafer\"]\n\
    [[policy]]\nid = \"reshore_b\"\n[policy.reshore]\ncountry = \"B\"\nproduct = \"chip\"\ncapacity_per_week = 130\n\
    build_weeks = 0\nramp_weeks = 0\ntemplate = \"fab\"\ncustomers = { markets = [\"mkt\"] }\nshare = 1.0\n\
    [[variant]]\nid = \"reshored\"\npolicies = [\"reshore_b\"]\n";

/// A shock selected by rule reaches what a policy builds as it reaches
/// declared facilities and links: with every fab down, or every wafer lane
/// from C closed, the market served by the reshored fab loses at least what
/// it loses served by the declared one (more, here: rerouting hands share
/// back to the idle declared fab, which first has to restock its wafers).
/// Before, the reshored fab and its supply were out of every shock's reach,
/// and the variant lost almost nothing: reshoring looked better than it is.
#[test]
fn shocks_reach_what_a_policy_builds() {
    let n = compiled("reach.toml", RESHORED_FAB_IN_REACH);
    let (base, reshored) = (engine(&n, "baseline"), engine(&n, "reshored"));
    // The quake stops the fab 6 weeks (600 units at $1); the embargo, with
    // the week in transit, cuts 7 weeks of wafers, of which the fab's stock
    // (4 weeks of cover and the week's use) covers 5 (200).
    for (id, base_loss) in [("quake", 600.0), ("embargo", 200.0)] {
        let fired = [FiredShock::scripted(shock(&n, id), 10, 6, 1.0, 0)];
        let lost = scripted(&base, &fired);
        assert_eq!(lost, base_loss, "{id}");
        let with_reshore = scripted(&reshored, &fired);
        assert!(with_reshore >= lost, "{id}: {with_reshore} < {lost}");
    }
}

/// A capacity shock whose rule matches no declared facility but matches a fab
/// a policy builds is no error: it hits nothing in the baseline (which a
/// note says) and stops the new fab in the variant that builds it. A rule
/// that matches neither is still refused.
#[test]
fn a_shock_may_select_only_what_a_policy_builds() {
    let quake_b = "[[shock]]\nid = \"quake_b\"\nprobability = 0\nduration_weeks = { fixed = 6 }\nseverity = { fixed = 1 }\n[shock.capacity]\ncountries = [\"B\"]\n";
    let text = RESHORED_FAB_IN_REACH.replace("[[policy]]", &format!("{quake_b}[[policy]]"));
    let n = compiled("reach.toml", &text);
    let notes = chipshock::network::notes(&n);
    assert!(
        notes
            .iter()
            .any(|x| x.contains("`quake_b` hits no facility of the baseline")),
        "{notes:?}"
    );
    let fired = [FiredShock::scripted(shock(&n, "quake_b"), 10, 6, 1.0, 0)];
    assert_eq!(scripted(&engine(&n, "baseline"), &fired), 0.0);
    assert!(scripted(&engine(&n, "reshored"), &fired) > 0.0);

    // Fabs in B, but of another kind: nothing a policy builds either.
    let osat = text.replace(
        "countries = [\"B\"]",
        "countries = [\"B\"]\nkinds = [\"osat\"]",
    );
    let (scenario, _) = load_scenario_str("reach.toml", &osat);
    let errors = chipshock::network::compile(&scenario).expect_err("selects nothing");
    assert!(
        errors
            .items
            .iter()
            .any(|d| d.message == "shock `quake_b` selects nothing"),
        "{:?}",
        errors.items
    );
}

/// A reshored fab that ramps up is handed share no faster than it has
/// spare capacity: with no shock at all, the variant loses nothing. (Share
/// drifted to the new baseline at 0.1 a week while the fab's capacity
/// ramped at 50/21 a week, so the market, which holds no stock, lost 26
/// units to rationing in a world where nothing happened.)
#[test]
fn a_ramping_fab_takes_share_as_its_capacity_grows() {
    let text = "[meta]\nhorizon_weeks = 60\n\
        [[country]]\nid = \"A\"\n[[country]]\nid = \"B\"\n[[country]]\nid = \"C\"\n\
        [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 5\nqualification_weeks = 4\n\
        [[facility]]\nid = \"fab\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\ninventory_weeks = 0\nrecovery_weeks = 0\n\
        [[market]]\nid = \"mkt\"\ncountry = \"C\"\nsector = \"consumer\"\ninventory_weeks = 0\n[market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 1\n\
        [[sourcing]]\ncustomers = [\"mkt\"]\nproduct = \"chip\"\nsuppliers = { fab = 1.0 }\nlead_weeks = 1\n\
        [[shock]]\nid = \"outage\"\nprobability = 0\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 1 }\n[shock.capacity]\nfacilities = [\"fab\"]\n\
        [[policy]]\nid = \"reshore_b\"\ncapex_usd = 1000\n[policy.reshore]\ncountry = \"B\"\nproduct = \"chip\"\ncapacity_per_week = 50\n\
        build_weeks = 10\nramp_weeks = 20\ntemplate = \"fab\"\ncustomers = { markets = [\"mkt\"] }\nshare = 0.4\n\
        [[variant]]\nid = \"reshoring\"\npolicies = [\"reshore_b\"]\n";
    let n = compiled("ramp.toml", text);
    let ve = engine(&n, "reshoring");
    let mut s = ve.scratch();
    let mut out = TrialOutcome::default();
    ve.run_schedule(&[], &mut s, &mut out, true);
    // (Up to rounding: the two shares of an order add up to it only to
    // the last bit, and the market holds no stock to absorb that.)
    assert!(out.lost_units < 1e-9, "{}", out.lost_units);
    assert!(out.weekly_fulfilment.iter().all(|&x| x == 1.0));
    // The share did move: an outage of the declared fab late in the
    // horizon is now partly covered by the new one.
    let late = [FiredShock::scripted(shock(&n, "outage"), 50, 4, 1.0, 0)];
    let base = scripted(&engine(&n, "baseline"), &late);
    assert_eq!(base, 400.0);
    assert!(scripted(&ve, &late) < base);
}

/// The schedule comes from the trial's stream before any policy acts, so
/// every variant sees the same shocks, and running again reproduces every
/// per-trial difference exactly.
#[test]
fn common_random_numbers_are_exact_and_tighten_the_interval() {
    let n = net(&repo().join("scenarios/world.toml"));
    let idx = variant_indices(&n, &["baseline", "reshoring"]);
    let trials = 240;
    let a = run_variants(&n, &idx, &plan(11, trials), None, |_| {}).expect("runs");
    let b = run_variants(&n, &idx, &plan(11, trials), None, |_| {}).expect("runs");
    // Same schedules in both variants, trial by trial.
    for i in 0..trials as usize {
        assert_eq!(
            a[0].accumulated.trials.fired(i),
            a[1].accumulated.trials.fired(i)
        );
    }
    // Exactly reproducible paired differences.
    let diff = |r: &[chipshock::cli::compare::VariantRun]| -> Vec<u64> {
        r[0].accumulated
            .trials
            .lost_usd
            .iter()
            .zip(&r[1].accumulated.trials.lost_usd)
            .map(|(x, y)| (x - y).to_bits())
            .collect()
    };
    assert_eq!(diff(&a), diff(&b));
    let rows = compare(&a, None);
    let [lo, hi] = rows[1].avoided_usd.ci95.expect("many trials");
    let paired = hi - lo;

    // Unpaired: the variant on an independent seed.
    let other = run_variants(&n, &idx[1..], &plan(12, trials), None, |_| {}).expect("runs");
    let sb = Summary::of(&a[0].accumulated.trials.lost_usd);
    let sv = Summary::of(&other[0].accumulated.trials.lost_usd);
    let (sb, sv) = (sb.std_error.expect("trials"), sv.std_error.expect("trials"));
    let unpaired = 2.0 * 1.96 * (sb.powi(2) + sv.powi(2)).sqrt();
    assert!(paired > 0.0, "reshoring changes some trial");
    assert!(
        unpaired >= 3.0 * paired,
        "paired CI width {paired:.3e} should be at least 3× narrower than unpaired {unpaired:.3e}"
    );
}

/// A teaching chain with a random supplier outage and a stockpile policy
/// of `weeks` weeks at the market.
fn chain_with_stockpile(weeks: &[f64]) -> String {
    let mut s = String::from(
        "[meta]\nhorizon_weeks = 60\n\
         [[country]]\nid = \"A\"\n\
         [[product]]\nid = \"wafer\"\nunit = \"wafer\"\ncategory = \"material\"\nvalue_usd_per_unit = 1\n\
         [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 10\n\
         [[facility]]\nid = \"sup\"\ncountry = \"A\"\nkind = \"materials\"\nproduct = \"wafer\"\ncapacity_per_week = 150\n\
         [[facility]]\nid = \"fab\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 130\nrecipe = { wafer = 1.0 }\ninventory_weeks = 2\n\
         [[market]]\nid = \"mkt\"\ncountry = \"A\"\nsector = \"automotive\"\ninventory_weeks = 1\n[market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 50\n\
         [[sourcing]]\ncustomers = [\"fab\"]\nproduct = \"wafer\"\nsuppliers = { sup = 1.0 }\nlead_weeks = 1\n\
         [[sourcing]]\ncustomers = [\"mkt\"]\nproduct = \"chip\"\nsuppliers = { fab = 1.0 }\nlead_weeks = 1\n\
         [[shock]]\nid = \"outage\"\nprobability = 0.9\nonset_week = { uniform = { min = 0, max = 40 } }\n\
         duration_weeks = { uniform = { min = 1, max = 12 } }\nseverity = { uniform = { min = 0.3, max = 1.0 } }\n\
         recovery_weeks = { uniform = { min = 0, max = 6 } }\n[shock.capacity]\nfacilities = [\"sup\"]\n",
    );
    for (i, w) in weeks.iter().enumerate() {
        s += &format!(
            "[[policy]]\nid = \"stock{i}\"\n[policy.stockpile]\ncustomers = {{ markets = [\"mkt\"] }}\nproducts = [\"chip\"]\ninventory_weeks = {w:?}\n\
             [[variant]]\nid = \"v{i}\"\npolicies = [\"stock{i}\"]\n"
        );
    }
    s
}

fn per_trial(n: &Network, id: &str, trials: u64) -> Vec<f64> {
    let i = n.variants.iter().position(|v| v.id == id).expect("variant");
    let r = run_variants(n, &[i], &plan(3, trials), None, |_| {}).expect("runs");
    r[0].accumulated.trials.lost_usd.clone()
}

/// More stockpile never increases a trial's lost demand.
#[test]
fn more_stockpile_never_hurts() {
    let weeks = [1.0, 2.0, 4.0, 8.0];
    let n = compiled("chain.toml", &chain_with_stockpile(&weeks));
    let runs: Vec<Vec<f64>> = (0..weeks.len())
        .map(|i| per_trial(&n, &format!("v{i}"), 300))
        .collect();
    let mut strictly_better = 0;
    for k in 1..runs.len() {
        for (t, (now, before)) in runs[k].iter().zip(&runs[k - 1]).enumerate() {
            assert!(
                *now <= before + 1e-9,
                "trial {t}: {} weeks of stock loses {now} > {before} with {} weeks",
                weeks[k],
                weeks[k - 1]
            );
            strictly_better += usize::from(now < before);
        }
    }
    assert!(
        strictly_better > 0,
        "stockpiles make a difference in some trial"
    );
}

/// A pre-qualified alternate with spare capacity never hurts: dual
/// sourcing qualifies the candidate, which then absorbs outages at once
/// instead of after the qualification time.
#[test]
fn prequalified_alternate_never_hurts() {
    let text = "[meta]\nhorizon_weeks = 60\n\
        [[country]]\nid = \"A\"\n\
        [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 10\nqualification_weeks = 8\n\
        [[facility]]\nid = \"fab_a\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\n\
        [[facility]]\nid = \"fab_b\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\n\
        [[market]]\nid = \"mkt\"\ncountry = \"A\"\nsector = \"industrial\"\ninventory_weeks = 1\n[market.demand.chip]\nunits_per_week = 80\nlost_usd_per_unit = 20\n\
        [[sourcing]]\ncustomers = [\"mkt\"]\nproduct = \"chip\"\nsuppliers = { fab_a = 1.0 }\ncandidates = [\"fab_b\"]\nlead_weeks = 1\n\
        [[shock]]\nid = \"outage\"\nprobability = 0.9\nonset_week = { uniform = { min = 0, max = 40 } }\n\
        duration_weeks = { uniform = { min = 1, max = 16 } }\nseverity = { uniform = { min = 0.2, max = 1.0 } }\n\
        [shock.capacity]\nfacilities = [\"fab_a\"]\n\
        [[policy]]\nid = \"dual\"\n[policy.dual_source]\nproducts = [\"chip\"]\n\
        [[variant]]\nid = \"dual\"\npolicies = [\"dual\"]\n";
    let n = compiled("dual.toml", text);
    let base = per_trial(&n, "baseline", 300);
    let dual = per_trial(&n, "dual", 300);
    let mut better = 0;
    for (t, (b, d)) in base.iter().zip(&dual).enumerate() {
        assert!(d <= &(b + 1e-9), "trial {t}: dual sourcing loses {d} > {b}");
        better += usize::from(d < b);
    }
    assert!(better > 0, "the alternate helps in some trial");
}

/// More capacity is not monotone even in one chain with one market
/// (docs/MODEL.md §7): a fab cut below its orders keeps ordering wafers for
/// the orders it receives, not for what it can make, so it builds wafer
/// stock in front of the cut, and that stock later carries it through its
/// supplier's outage. The same fab with twice the capacity rides the cut
/// out without building any, and loses in the supplier's outage.
#[test]
fn more_capacity_can_hurt_in_one_chain() {
    let chain = |fab_capacity: f64| {
        format!(
            "[meta]\nhorizon_weeks = 78\n\
            [[country]]\nid = \"A\"\n\
            [[product]]\nid = \"wafer\"\nunit = \"w\"\ncategory = \"material\"\nvalue_usd_per_unit = 10\n\
            [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 5\n\
            [[facility]]\nid = \"sup\"\ncountry = \"A\"\nkind = \"materials\"\nproduct = \"wafer\"\n\
            capacity_per_week = 150\ninventory_weeks = 0\nrecovery_weeks = 2\n\
            [[facility]]\nid = \"fab\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\n\
            capacity_per_week = {fab_capacity}\ninventory_weeks = 2\nrecovery_weeks = 3\nrecipe = {{ wafer = 1.0 }}\n\
            [[market]]\nid = \"mkt\"\ncountry = \"A\"\nsector = \"consumer\"\ninventory_weeks = 1\n\
            [market.demand.chip]\nunits_per_week = 100\nlost_usd_per_unit = 50\n\
            [[link]]\nsupplier = \"sup\"\ncustomer = \"fab\"\nproduct = \"wafer\"\nshare = 1.0\nlead_weeks = 2\n\
            [[link]]\nsupplier = \"fab\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 1.0\nlead_weeks = 2\n\
            [[shock]]\nid = \"fab_cut\"\nprobability = 0\nrecovery_weeks = {{ fixed = 3 }}\nduration_weeks = {{ fixed = 4 }}\nseverity = {{ fixed = 1 }}\n[shock.capacity]\nfacilities = [\"fab\"]\n\
            [[shock]]\nid = \"sup_cut\"\nprobability = 0\nrecovery_weeks = {{ fixed = 4 }}\nduration_weeks = {{ fixed = 4 }}\nseverity = {{ fixed = 1 }}\n[shock.capacity]\nfacilities = [\"sup\"]\n"
        )
    };
    let lost = |fab_capacity: f64| {
        let (scenario, diags) = load_scenario_str("chain.toml", &chain(fab_capacity));
        assert!(diags.is_empty(), "{:?}", diags.items);
        let n = chipshock::network::compile(&scenario)
            .map_err(|d| d.items)
            .expect("valid");
        let fired = [
            FiredShock::scripted(shock(&n, "fab_cut"), 34, 4, 0.568, 3),
            FiredShock::scripted(shock(&n, "sup_cut"), 40, 4, 0.757, 4),
        ];
        scripted(&engine(&n, "baseline"), &fired)
    };
    // At 200 the cut leaves 86.4 a week against orders of 100 and more:
    // the market's week of stock covers the gap, and the wafers ordered for
    // the unmade chips cover the supplier's outage. At 400 the cut leaves
    // 172.8, more than the orders, and nothing is put by.
    let (small, large) = (lost(200.0), lost(400.0));
    assert_eq!(small, 0.0);
    assert!(large > 600.0, "{large}");
}

/// A fab in `C` that runs on tools from `T` (1 tool-week a week, no spares,
/// eroding by half a week when cut off), its market's only supplier; a
/// policy builds a second fab in `C` from it (taking half the market), and
/// an export control shuts the tool lanes from `T` to `C`.
const FAB_BEHIND_A_CONTROL: &str = "[meta]\nhorizon_weeks = 30\n\
    [[country]]\nid = \"T\"\n[[country]]\nid = \"C\"\n\
    [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 5\n\
    [[product]]\nid = \"tool\"\nunit = \"tool-week\"\ncategory = \"equipment\"\nvalue_usd_per_unit = 1000\n\
    [[facility]]\nid = \"tool_maker\"\ncountry = \"T\"\nkind = \"equipment\"\nproduct = \"tool\"\ncapacity_per_week = 10\nrecovery_weeks = 0\n\
    [[facility]]\nid = \"fab\"\ncountry = \"C\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 100\ninventory_weeks = 0\nrecovery_weeks = 0\n\
    capital = { tool = { units_per_week = 1, erosion_per_week = 0.5 } }\n\
    [[market]]\nid = \"mkt\"\ncountry = \"C\"\nsector = \"consumer\"\ninventory_weeks = 0\n\
    demand = { chip = { units_per_week = 100, lost_usd_per_unit = 1 } }\n\
    [[link]]\nsupplier = \"fab\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 1.0\nlead_weeks = 1\n\
    [[link]]\nsupplier = \"tool_maker\"\ncustomer = \"fab\"\nproduct = \"tool\"\nshare = 1.0\nlead_weeks = 1\n\
    [[policy]]\nid = \"new_fab\"\n[policy.reshore]\ncountry = \"C\"\nproduct = \"chip\"\ncapacity_per_week = 100\n\
    build_weeks = 0\ntemplate = \"fab\"\ncustomers = { markets = [\"mkt\"] }\nshare = 0.5\n\
    [[policy]]\nid = \"control\"\n[policy.export_control]\nfrom = [\"T\"]\nto = [\"C\"]\nproducts = [\"tool\"]\n\
    [[variant]]\nid = \"controls\"\npolicies = [\"control\"]\n\
    [[variant]]\nid = \"both\"\npolicies = [\"new_fab\", \"control\"]\n";

/// An export control closes the lanes of its rule whatever added them: the
/// fab a variant builds behind it gets no controlled tools either. Before,
/// only declared links were closed, and the new fab, keeping its tools,
/// served the market while the declared one eroded: 90 units lost instead
/// of 2,740.
#[test]
fn an_export_control_closes_the_lanes_a_policy_adds() {
    let n = compiled("control.toml", FAB_BEHIND_A_CONTROL);
    // Hand check, controls alone: health 1, 0.5, 0 in weeks 0, 1, 2 on; the
    // market gets last week's output: 100, then 50 (week 2), then nothing,
    // so 50 + 27 × 100 are lost.
    assert_eq!(scripted(&engine(&n, "controls"), &[]), 2_750.0);
    // Both fabs cut off: in week 1 each can make 50 of orders split about
    // 90/10 (the new fab's share drifting in), so 50 + 10 ship and 40 are
    // lost in week 2, then 100 a week.
    assert_eq!(scripted(&engine(&n, "both"), &[]), 2_740.0);
}

/// An export control from the allies to the market's country also shuts the
/// link a friendshoring deal added on that lane, so the deal's new source
/// cannot absorb the outage. Before, it did: 101 units lost instead of 1,060.
#[test]
fn an_export_control_closes_a_link_a_deal_added() {
    let n = net(&fixture("friendshore_controlled.toml"));
    let outage = FiredShock::scripted(shock(&n, "cn_outage"), 20, 10, 1.0, 0);
    // Hand check: week 0 ships only cn_fab's 0.4 (40), so 60 are lost in
    // week 1; then rerouting hands the allies' 0.6 back to cn_fab, which has
    // the spare capacity. In the outage no open supplier is eligible: 10 ×
    // 100 lost. At $10 a unit: (60 + 1,000) × 10.
    assert_eq!(
        scripted(&engine(&n, "fs_controls"), std::slice::from_ref(&outage)),
        10_600.0
    );
    // The deal alone: al1 and al2 take the whole market after the outage's
    // first week, 40 lost.
    assert_eq!(scripted(&engine(&n, "friendshore"), &[outage]), 400.0);
}

/// The new fab under the variant's structural policies rides out its
/// supplier's outage as its template does: with the wafer alternate
/// qualified, or 12 weeks of wafers, market2 loses nothing. Without them
/// (the reshore alone) new_fab waits 26 weeks to qualify w2 and market2
/// loses nearly its whole outage, as fab_b did.
#[test]
fn a_built_fab_is_covered_by_the_variants_structural_policies() {
    let n = net(&fixture("reshored_fab_policies.toml"));
    let outage = [FiredShock::scripted(shock(&n, "w1_outage"), 20, 10, 1.0, 0)];
    let lost = |v: &str| scripted(&engine(&n, v), &outage);
    // Hand check, baseline: w1 down weeks 20-29; each market's chain holds a
    // week of wafers and a week of chips, so 8 weeks are lost: 800 units at
    // $10 in each market. `dual`: fab_a switches to w2 within its cover.
    assert_eq!(lost("baseline"), 16_000.0);
    assert_eq!(lost("dual"), 8_000.0);
    assert!(lost("reshore") > 7_000.0);
    assert_eq!(lost("dual_reshore"), 0.0);
    assert_eq!(lost("stock"), 0.0);
    assert_eq!(lost("stock_reshore"), 0.0);
    // As a reserve: new_fab's starts empty when it opens (it held nothing
    // before), fills from surplus and never withholds the week's wafers, so
    // a trial without shocks loses nothing; in the outage it is drawn.
    assert_eq!(scripted(&engine(&n, "reserve_reshore"), &[]), 0.0);
    assert_eq!(lost("reserve_reshore"), 0.0);
}

/// A fab a policy builds is neither built nor ramped while its capital
/// inputs are cut off: each week in which every source of one of them is
/// closed or stopped is added to its build. Before, it came online on the
/// calendar whatever reached it.
#[test]
fn a_fab_is_not_built_while_its_tools_are_cut_off() {
    let n = net(&fixture("reshore_tools_cut.toml"));
    let ve = engine(&n, "reshore");
    let outage = FiredShock::scripted(shock(&n, "outage"), 10, 20, 1.0, 0);
    let cut = |weeks: u32| FiredShock::scripted(shock(&n, "tool_cutoff"), 0, weeks, 1.0, 0);
    // Hand check, tools never cut: fab_a makes nothing in weeks 10-29; the
    // new fab is online in week 10 at 25, 50, 75, 100 a week, which the
    // market gets a week later: 100 + 75 + 50 + 25 units lost at $10.
    assert_eq!(scripted(&ve, std::slice::from_ref(&outage)), 2_500.0);
    // Cut in weeks 0-5: built in week 16, so weeks 11-17 are lost whole and
    // then 75, 50, 25: 850 units.
    assert_eq!(scripted(&ve, &[outage.clone(), cut(6)]), 8_500.0);
    // Cut in weeks 0-19: built in week 30, after the outage: the baseline's
    // 20 weeks.
    assert_eq!(scripted(&ve, &[outage.clone(), cut(20)]), 20_000.0);
    assert_eq!(
        scripted(&engine(&n, "baseline"), &[outage, cut(20)]),
        20_000.0
    );
}
