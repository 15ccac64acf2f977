//! Policies: a variant's network and the rules that change it over time.
//!
//! [`apply`] turns the compiled network and one variant into a
//! [`VariantNetwork`]: the *union* network (every facility, need and link
//! any regime of the variant uses — reshored fabs, friendshored links — with
//! qualification, stockpile and capacity changes applied), and the list of
//! **regimes**: the baseline (shares, flows, outputs, targets) in force for
//! each combination of "which reshored fabs are online" and "which
//! agreements are revoked". The engine starts in the week-0 regime and
//! switches regime when a fab comes online or a political shock revokes an
//! agreement; stocks are never created or destroyed by a switch, only the
//! baseline they are measured against changes.
//!
//! Paper versus concrete: friendshored shares and crisis sharing rest on an
//! agreement and end when it is revoked; reshored capacity, stockpiles and
//! pre-qualified alternates stay.
//!
//! Application order within a variant (so policies compose the same way
//! whatever order the user lists them in): dual sourcing and stockpiles
//! (structural), friendshoring (on the declared sourcing), reshoring (in
//! order of coming online, each taking its share of what is then in place),
//! crisis sharing and export controls (rules the engine applies).

use serde::Serialize;

use crate::network::graph::{PairSet, pair};
use crate::network::{Customer, Facility, Link, Need, NeedKind, Network, PolicyAction};
use crate::scenario::Release;

/// A reshored fab coming online.
#[derive(Clone, Debug, Serialize)]
pub struct Online {
    pub facility: u32,
    /// First week with capacity.
    pub week: u32,
    /// Weeks from first output to full capacity (linear).
    pub ramp_weeks: u32,
    /// Index of the policy.
    pub policy: u32,
}

/// A baseline the engine can be in.
#[derive(Clone, Debug, Serialize)]
pub struct Regime {
    /// Normal share of every link of the union network.
    pub share: Vec<f64>,
    /// Baseline flow of every link.
    pub link_flow: Vec<f64>,
    /// Baseline output of every facility.
    pub facility_output: Vec<f64>,
    /// Baseline use of every need.
    pub need_use: Vec<f64>,
    /// Whether each link is qualified: suppliers qualified by a
    /// friendshoring deal lose it when the deal's agreement is revoked.
    pub qualified: Vec<bool>,
    /// Links this regime does not have, in link order: those a
    /// friendshoring deal added to the network, once every deal that
    /// contracted them is revoked. The contracted source was the paper: it
    /// may no more take share after a shortfall than a producer the
    /// scenario never linked.
    pub withdrawn: Vec<u32>,
}

/// Members-first service during a crisis, while an agreement holds.
#[derive(Clone, Debug, Serialize)]
pub struct CrisisSharing {
    pub agreement: u32,
    /// Links from a member's supplier to a member's customer, for the
    /// shared products: served first while any shock is active.
    pub member_links: Vec<u32>,
    /// Supplier facilities that ration members first.
    pub facilities: Vec<u32>,
}

/// Costs of a variant, in USD.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cost {
    pub capex_usd: f64,
    /// Part of capex paid by governments.
    pub subsidy_usd: f64,
    /// Recurring cost per year, including stockpile holding costs.
    pub annual_usd: f64,
    /// Of which stockpile holding.
    pub holding_usd_per_year: f64,
    /// capex + annual × horizon in years: the denominator of avoided loss
    /// per dollar.
    pub total_over_horizon_usd: f64,
}

/// A network with one variant's policies applied.
#[derive(Clone, Debug)]
pub struct VariantNetwork {
    pub variant: usize,
    pub id: String,
    /// The union network; its `baseline` is regime 0 (week 0, no agreement
    /// revoked).
    pub net: Network,
    /// Reshored fabs in order of coming online.
    pub online: Vec<Online>,
    /// Agreements whose revocation changes the regime (bloc indices).
    pub agreements: Vec<u32>,
    /// Regimes indexed by `regime_index(fabs online, revoked mask)`.
    pub regimes: Vec<Regime>,
    pub crisis: Vec<CrisisSharing>,
    /// Links blocked from week 0 (export controls).
    pub blocked_links: Vec<u32>,
    /// Stockpiles held back except while a shock is active, as (need, weeks
    /// of use): each regime holds those weeks of the need's use in it, so a
    /// fab that a regime leaves idle holds none, and one not yet built none.
    pub reserves: Vec<(u32, f64)>,
    pub cost: Cost,
}

impl VariantNetwork {
    /// The regime with the first `online` reshored fabs online and the
    /// agreements in `revoked` (bit i = `agreements[i]`) revoked.
    pub fn regime_index(&self, online: usize, revoked: u32) -> usize {
        online * (1usize << self.agreements.len()) + revoked as usize
    }

    /// True when nothing changes with time in a trial without shocks.
    pub fn is_static(&self) -> bool {
        self.online.iter().all(|o| o.week == 0 && o.ramp_weeks == 0)
            && self.blocked_links.is_empty()
    }
}

/// Why a variant's policies cannot be applied to the network.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// A friendshore policy's receiving bloc has no facility making its
    /// product.
    #[error("policy `{policy}`: no facility in bloc `{bloc}` makes `{product}` to friendshore to")]
    NoReceiver {
        policy: String,
        bloc: String,
        product: String,
    },
    /// The variant's policies rest on more agreements than its regimes
    /// cover (one regime per set of revoked agreements).
    #[error("variant `{variant}` rests on {count} agreements; at most 4 are supported")]
    TooManyAgreements { variant: String, count: usize },
    /// The variant's policies make material flow in a loop through these
    /// facilities.
    #[error("variant `{variant}` creates a supply cycle through {}", facilities.join(" → "))]
    Cycle {
        variant: String,
        facilities: Vec<String>,
    },
    /// The variant's policies load a facility above its capacity (`load`
    /// and `capacity` in units/week; `reshored`: a fab the variant builds).
    #[error(
        "variant `{variant}`: its policies load facility `{facility}` to {load:.1} units/week, above its capacity {capacity} ({percent} %)"
    )]
    Overload {
        variant: String,
        facility: String,
        load: f64,
        capacity: f64,
        percent: String,
        reshored: bool,
    },
}

impl ApplyError {
    /// The message with its hint, as a diagnostic prints them on one line.
    pub fn with_hint(&self) -> String {
        format!("{self} (hint: {})", self.hint())
    }

    /// What to change.
    pub fn hint(&self) -> String {
        match self {
            ApplyError::NoReceiver { bloc, product, .. } => format!(
                "add a facility making `{product}` in a country of bloc `{bloc}`, or friendshore to a bloc that has one"
            ),
            ApplyError::Cycle { .. } => "material must flow one way: narrow the customers of \
                 the variant's reshore or friendshore policies so that no facility supplies \
                 its own suppliers"
                .to_string(),
            ApplyError::TooManyAgreements { .. } => {
                "split its policies over variants resting on at most 4 agreements each".to_string()
            }
            ApplyError::Overload {
                facility,
                reshored: true,
                ..
            } => format!(
                "raise the reshore policy `{facility}`'s capacity_per_week or lower its share"
            ),
            ApplyError::Overload { .. } => "raise the facility's capacity_per_week (or a \
                 friendshore policy's extra_capacity_fraction), or move less share to it"
                .to_string(),
        }
    }
}

/// Applies variant `variant` of `net`. The error names the policy and what
/// it would break (a facility over capacity, a supply cycle).
pub fn apply(net: &Network, variant: usize) -> Result<VariantNetwork, ApplyError> {
    let v = &net.variants[variant];
    let mut u = net.clone();
    let mut cost = Cost::default();
    let years = f64::from(net.settings.horizon_weeks) / 52.0;
    let policies: Vec<usize> = v.policies.iter().map(|&p| p as usize).collect();
    for &pi in &policies {
        let p = &net.policies[pi];
        cost.capex_usd += p.capex_usd;
        cost.subsidy_usd += p.subsidy_usd;
        cost.annual_usd += p.annual_cost_usd;
    }

    // Structural: qualification and stockpiles.
    let mut reserves = Vec::new();
    for &pi in &policies {
        match &net.policies[pi].action {
            PolicyAction::DualSource { needs, .. } => {
                let mut in_policy = vec![false; u.needs.len()];
                for &n in needs {
                    in_policy[n as usize] = true;
                }
                for l in &mut u.links {
                    if in_policy[l.need as usize] {
                        l.qualified = true;
                    }
                }
            }
            PolicyAction::Stockpile {
                needs,
                inventory_weeks,
                holding_rate_per_year,
                release,
                ..
            } => {
                for &n in needs {
                    let need = &mut u.needs[n as usize];
                    let extra_weeks = (inventory_weeks - need.target_weeks).max(0.0);
                    let units = extra_weeks * need.baseline_use;
                    let value = net.products[need.product as usize].value_usd_per_unit;
                    cost.holding_usd_per_year += units * value * holding_rate_per_year;
                    if *release == Release::DuringShock && extra_weeks > 0.0 {
                        reserves.push((n, extra_weeks));
                    }
                    need.target_weeks = need.target_weeks.max(*inventory_weeks);
                }
            }
            _ => {}
        }
    }

    // Reshored fabs: new facilities, their needs and input links (copied
    // from the template), and a zero-share link into each selected need.
    let mut reshores: Vec<(usize, f64)> = policies
        .iter()
        .filter_map(|&pi| match &net.policies[pi].action {
            PolicyAction::Reshore { build_weeks, .. } => Some((pi, *build_weeks)),
            _ => None,
        })
        .collect();
    reshores.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut online = Vec::new();
    // Stockpiles at the new fabs' inputs.
    let mut built_stock: Vec<BuiltStock> = Vec::new();
    // (policy, new facility, [(need, new link)], share)
    let mut reshore_links: Vec<(Vec<(u32, u32)>, f64)> = Vec::new();
    for &(pi, _) in &reshores {
        let p = &net.policies[pi];
        let PolicyAction::Reshore {
            country,
            firm,
            capacity_per_week,
            build_weeks,
            ramp_weeks,
            template,
            needs,
            share,
            ..
        } = &p.action
        else {
            continue;
        };
        let t = &net.facilities[*template as usize];
        let f_new = u.facilities.len() as u32;
        u.facilities.push(Facility {
            id: p.id.clone(),
            name: p.name.clone(),
            firm: firm.clone().or_else(|| t.firm.clone()),
            country: *country,
            kind: t.kind,
            product: t.product,
            capacity_per_week: *capacity_per_week,
            inventory_weeks: t.inventory_weeks,
            recovery_weeks: t.recovery_weeks,
            allocation: t.allocation,
        });
        for &tn in net.facility_needs.row(*template as usize) {
            let tneed = &net.needs[tn as usize];
            let n_new = u.needs.len() as u32;
            // The installed base (capital service) scales with capacity:
            // a fab twice the template's size runs twice its tools.
            let kind = match tneed.kind {
                NeedKind::Capital {
                    units_per_week,
                    erosion_per_week,
                } => NeedKind::Capital {
                    units_per_week: units_per_week * capacity_per_week / t.capacity_per_week,
                    erosion_per_week,
                },
                k => k,
            };
            // The variant's structural policies reach the new fab's inputs
            // by their rules, as they reach a declared fab's.
            let new_fab = &u.facilities[f_new as usize];
            let mut target_weeks = tneed.target_weeks;
            let mut qualify = false;
            for &pi in &policies {
                match &net.policies[pi].action {
                    PolicyAction::DualSource { built: Some(r), .. }
                        if r.reaches(new_fab, tneed.product) =>
                    {
                        qualify = true;
                    }
                    PolicyAction::Stockpile {
                        built: Some(r),
                        inventory_weeks,
                        holding_rate_per_year,
                        release,
                        ..
                    } if r.reaches(new_fab, tneed.product) && *inventory_weeks > target_weeks => {
                        built_stock.push(BuiltStock {
                            need: n_new,
                            fab: online.len(),
                            extra_weeks: inventory_weeks - target_weeks,
                            usd_per_unit_year: net.products[tneed.product as usize]
                                .value_usd_per_unit
                                * holding_rate_per_year,
                            reserve: *release == Release::DuringShock,
                        });
                        target_weeks = *inventory_weeks;
                    }
                    _ => {}
                }
            }
            u.needs.push(Need {
                customer: Customer::Facility(f_new),
                product: tneed.product,
                kind,
                target_weeks,
                baseline_use: 0.0,
            });
            for &tl in net.need_links.row(tn as usize) {
                let l = &net.links[tl as usize];
                u.links.push(Link {
                    need: n_new,
                    qualified: l.qualified || qualify,
                    ..l.clone()
                });
            }
        }
        let mut pairs = Vec::new();
        for &n in needs {
            let lead = net
                .need_links
                .row(n as usize)
                .iter()
                .find(|&&l| net.links[l as usize].supplier == *template)
                .or_else(|| net.need_links.row(n as usize).first())
                .map(|&l| net.links[l as usize].lead_weeks)
                .unwrap_or(1);
            pairs.push((n, u32::MAX)); // link index fixed after sorting
            u.links.push(Link {
                supplier: f_new,
                need: n,
                share: 0.0,
                lead_weeks: lead,
                qualified: true,
                priority: 0,
            });
        }
        reshore_links.push((pairs, *share));
        online.push(Online {
            facility: f_new,
            week: build_weeks.max(0.0).round() as u32,
            ramp_weeks: ramp_weeks.max(0.0).round() as u32,
            policy: pi as u32,
        });
    }

    // Friendshoring: qualify and link the allied suppliers, add their
    // extra capacity (built, so it stays), and record the share moves.
    let members = |bloc: u32, country: u32| net.countries[country as usize].blocs.contains(&bloc);
    // Links whose standing a friendshoring deal gave (the link itself, or
    // its qualification), as (need, supplier) pairs, and each deal that
    // covers one: (policy, supplier, need). A link keeps its standing in a
    // regime while some deal covering it is in force.
    let mut granted: Vec<(usize, u32, u32)> = Vec::new();
    let mut by_deal = PairSet::default();
    // Of those, the links a deal added.
    let mut created = PairSet::default();
    // (need, supplier) of every link of the union so far.
    let mut linked: PairSet = u.links.iter().map(|l| pair(l.need, l.supplier)).collect();
    for &pi in &policies {
        let p = &net.policies[pi];
        let PolicyAction::Friendshore {
            product,
            needs,
            from_countries,
            to_bloc,
            share: _,
            extra_capacity_fraction,
        } = &p.action
        else {
            continue;
        };
        let receivers: Vec<u32> = (0..net.facilities.len() as u32)
            .filter(|&f| {
                let fa = &net.facilities[f as usize];
                fa.product == *product
                    && members(*to_bloc, fa.country)
                    && !from_countries.contains(&fa.country)
            })
            .collect();
        if receivers.is_empty() {
            return Err(ApplyError::NoReceiver {
                policy: p.id.clone(),
                bloc: net.blocs[*to_bloc as usize].id.clone(),
                product: net.products[*product as usize].id.clone(),
            });
        }
        for &f in &receivers {
            u.facilities[f as usize].capacity_per_week *= 1.0 + extra_capacity_fraction;
        }
        for &n in needs {
            for &f in &receivers {
                if linked.insert(pair(n, f)) {
                    created.insert(pair(n, f));
                    by_deal.insert(pair(n, f));
                    let lead = net
                        .need_links
                        .row(n as usize)
                        .first()
                        .map(|&l| net.links[l as usize].lead_weeks)
                        .unwrap_or(1);
                    u.links.push(Link {
                        supplier: f,
                        need: n,
                        share: 0.0,
                        lead_weeks: lead,
                        qualified: true,
                        priority: 0,
                    });
                }
            }
        }
        // The policy's links to its receivers are qualified (one walk over
        // the links, not one per need: the world's friendshoring policies
        // name hundreds of needs).
        let mut in_policy = vec![false; u.needs.len()];
        for &n in needs {
            in_policy[n as usize] = true;
        }
        for l in &mut u.links {
            if in_policy[l.need as usize] && receivers.contains(&l.supplier) {
                let p = pair(l.need, l.supplier);
                if !l.qualified || by_deal.contains(&p) {
                    by_deal.insert(p);
                    granted.push((pi, l.supplier, l.need));
                }
                l.qualified = true;
            }
        }
    }

    // Fix the union's structure (sorting links by need) and find the
    // reshore links' indices.
    u.rebuild_derived().map_err(|cycle| ApplyError::Cycle {
        variant: v.id.clone(),
        facilities: cycle
            .iter()
            .map(|&f| u.facilities[f as usize].id.clone())
            .collect(),
    })?;
    for (k, (pairs, _)) in reshore_links.iter_mut().enumerate() {
        let f_new = online[k].facility;
        for (n, l) in pairs.iter_mut() {
            *l = u
                .need_links
                .row(*n as usize)
                .iter()
                .copied()
                .find(|&x| u.links[x as usize].supplier == f_new)
                .unwrap_or(u32::MAX);
        }
    }

    // Agreements that matter: those friendshoring or crisis sharing rest on.
    let mut agreements: Vec<u32> = Vec::new();
    for &pi in &policies {
        let p = &net.policies[pi];
        if let (Some(a), PolicyAction::Friendshore { .. } | PolicyAction::CrisisSharing { .. }) =
            (p.agreement, &p.action)
            && !agreements.contains(&a)
        {
            agreements.push(a);
        }
    }
    if agreements.len() > 4 {
        return Err(ApplyError::TooManyAgreements {
            variant: v.id.clone(),
            count: agreements.len(),
        });
    }

    // Regimes: shares for every (fabs online, agreements revoked) pair.
    let base_share: Vec<f64> = u.links.iter().map(|l| l.share).collect();
    let n_rev = 1usize << agreements.len();
    let mut regimes = Vec::with_capacity((online.len() + 1) * n_rev);
    // One working copy for every regime: they differ from the union only in
    // shares, so only the baseline is solved again for each.
    let mut g = u.clone();
    for k in 0..=online.len() {
        for mask in 0..n_rev as u32 {
            // Whether policy `pi` rests on an agreement revoked in this regime.
            let revoked = |pi: usize| {
                net.policies[pi].agreement.is_some_and(|a| {
                    agreements
                        .iter()
                        .position(|&x| x == a)
                        .is_some_and(|bit| mask & (1 << bit) != 0)
                })
            };
            let mut share = base_share.clone();
            // Friendshoring in force.
            for &pi in &policies {
                let p = &net.policies[pi];
                let PolicyAction::Friendshore {
                    product,
                    needs,
                    from_countries,
                    to_bloc,
                    share: s,
                    ..
                } = &p.action
                else {
                    continue;
                };
                if revoked(pi) {
                    continue; // the paper is gone
                }
                for &n in needs {
                    let row = u.need_links.row(n as usize);
                    // The deal's receivers: the bloc's facilities of the
                    // scenario making the product. A reshored fab is not
                    // one (it takes its own share when it comes online;
                    // before, it has no capacity to serve any).
                    let receives = |f: u32| {
                        let sup = &u.facilities[f as usize];
                        (f as usize) < net.facilities.len()
                            && sup.product == *product
                            && members(*to_bloc, sup.country)
                            && !from_countries.contains(&sup.country)
                    };
                    let mut moved = 0.0;
                    let mut recv_cap = 0.0;
                    for &l in row {
                        let f = u.links[l as usize].supplier;
                        let sup = &u.facilities[f as usize];
                        if from_countries.contains(&sup.country) {
                            moved += share[l as usize] * s;
                            share[l as usize] *= 1.0 - s;
                        } else if receives(f) {
                            recv_cap += sup.capacity_per_week;
                        }
                    }
                    if moved > 0.0 && recv_cap > 0.0 {
                        for &l in row {
                            let f = u.links[l as usize].supplier;
                            if receives(f) {
                                let cap = u.facilities[f as usize].capacity_per_week;
                                share[l as usize] += moved * cap / recv_cap;
                            }
                        }
                    }
                }
            }
            // Reshored fabs online, in order.
            for (pairs, s) in reshore_links.iter().take(k) {
                for &(n, new_link) in pairs {
                    for &l in u.need_links.row(n as usize) {
                        share[l as usize] *= 1.0 - s;
                    }
                    if new_link != u32::MAX {
                        share[new_link as usize] = *s;
                    }
                }
            }
            // A link whose standing a deal gave loses it once no deal
            // covering it is in force: a link the deal qualified is a
            // candidate again, one it added is withdrawn.
            let in_force: PairSet = granted
                .iter()
                .filter(|&&(pi, ..)| !revoked(pi))
                .map(|&(_, sup, n)| pair(n, sup))
                .collect();
            let mut qualified: Vec<bool> = u.links.iter().map(|l| l.qualified).collect();
            let mut withdrawn = Vec::new();
            for (l, link) in u.links.iter().enumerate() {
                let p = pair(link.need, link.supplier);
                if by_deal.contains(&p) && !in_force.contains(&p) {
                    qualified[l] = false;
                    if created.contains(&p) {
                        withdrawn.push(l as u32);
                    }
                }
            }
            for (l, x) in g.links.iter_mut().zip(&share) {
                l.share = *x;
            }
            let over = g.rebaseline();
            if let Some(&(f, load)) = over.first() {
                let fa = &g.facilities[f as usize];
                // What to change depends on the facility: a reshored fab is
                // its policy's (same id); others take share moved to them.
                let reshored = net
                    .policies
                    .iter()
                    .any(|p| p.id == fa.id && matches!(p.action, PolicyAction::Reshore { .. }));
                return Err(ApplyError::Overload {
                    variant: v.id.clone(),
                    facility: fa.id.clone(),
                    load,
                    capacity: fa.capacity_per_week,
                    percent: crate::network::percent_over(load, fa.capacity_per_week),
                    reshored,
                });
            }
            regimes.push(Regime {
                share,
                link_flow: g.baseline.link_flow.clone(),
                facility_output: g.baseline.facility_output.clone(),
                need_use: g.needs.iter().map(|n| n.baseline_use).collect(),
                qualified,
                withdrawn,
            });
        }
    }
    // A stockpile at a fab the variant builds is held from the week the
    // fab comes online, at its use once every fab is online.
    let built_out = &regimes[online.len() * n_rev];
    let (mut built_per_year, mut built_over_horizon) = (0.0, 0.0);
    for b in &built_stock {
        let per_year = b.extra_weeks * built_out.need_use[b.need as usize] * b.usd_per_unit_year;
        built_per_year += per_year;
        let weeks_held = net
            .settings
            .horizon_weeks
            .saturating_sub(online[b.fab].week);
        built_over_horizon += per_year * f64::from(weeks_held) / 52.0;
        if b.reserve {
            reserves.push((b.need, b.extra_weeks));
        }
    }
    cost.annual_usd += cost.holding_usd_per_year;
    cost.total_over_horizon_usd = cost.capex_usd + cost.annual_usd * years + built_over_horizon;
    cost.holding_usd_per_year += built_per_year;
    cost.annual_usd += built_per_year;

    // The union network's own baseline is regime 0.
    if let Some(r0) = regimes.first() {
        for (l, x) in u.links.iter_mut().zip(&r0.share) {
            l.share = *x;
        }
        u.rebaseline();
    }

    // The links the policies added (a reshored fab's inputs and outputs,
    // a friendshoring deal's links): what names links by index refers to
    // the declared network, and reaches these only by its rule.
    let declared: PairSet = net.links.iter().map(|l| pair(l.need, l.supplier)).collect();
    let added_links: Vec<u32> = (0..u.links.len() as u32)
        .filter(|&x| {
            let l = &u.links[x as usize];
            !declared.contains(&pair(l.need, l.supplier))
        })
        .collect();
    // Whether a lane rule reaches union link `x`.
    let on_lane = |r: &crate::network::Reach, x: u32| {
        let l = &u.links[x as usize];
        let need = &u.needs[l.need as usize];
        r.reaches_link(
            u.facilities[l.supplier as usize].country,
            u.customer_country(need.customer),
            need.product,
        )
    };

    // Crisis sharing and export controls.
    let mut crisis = Vec::new();
    let mut blocked_links = Vec::new();
    for &pi in &policies {
        let p = &net.policies[pi];
        match &p.action {
            PolicyAction::CrisisSharing { products } => {
                let Some(a) = p.agreement else { continue };
                let mut member_links = Vec::new();
                let mut facilities = Vec::new();
                for (li, l) in u.links.iter().enumerate() {
                    let need = &u.needs[l.need as usize];
                    let sup = &u.facilities[l.supplier as usize];
                    if !products.contains(&need.product) || !members(a, sup.country) {
                        continue;
                    }
                    if !facilities.contains(&l.supplier) {
                        facilities.push(l.supplier);
                    }
                    if members(a, u.customer_country(need.customer)) {
                        member_links.push(li as u32);
                    }
                }
                crisis.push(CrisisSharing {
                    agreement: a,
                    member_links,
                    facilities,
                });
            }
            PolicyAction::ExportControl { links, reach } => {
                // Indices refer to the declared network; map by (supplier,
                // need). What the variant added on the lane is closed too:
                // a fab it builds behind the control gets no controlled
                // tools, a deal's new source no passage the control shuts.
                for &x in &added_links {
                    if on_lane(reach, x) && !blocked_links.contains(&x) {
                        blocked_links.push(x);
                    }
                }
                for &l in links {
                    let dl = &net.links[l as usize];
                    if let Some(x) = u
                        .need_links
                        .row(dl.need as usize)
                        .iter()
                        .find(|&&x| u.links[x as usize].supplier == dl.supplier)
                        && !blocked_links.contains(x)
                    {
                        blocked_links.push(*x);
                    }
                }
            }
            _ => {}
        }
    }
    blocked_links.sort_unstable();

    // Shock targets that name links refer to the declared network: remap.
    // What the policies added (reshored fabs, `added_links`) is reached by
    // the rule a shock selected by,
    // as a declared facility or link would be: an earthquake in Japan
    // stops the Japanese fab a subsidy builds, a blockade the lane into it.
    let mut targets = Vec::with_capacity(u.shocks.len());
    for shock in &u.shocks {
        let reach = shock.reach.as_ref();
        targets.push(match &shock.target {
            crate::network::ShockTarget::Lane(links) => {
                let mut mapped: Vec<u32> = links
                    .iter()
                    .filter_map(|&l| {
                        let dl = &net.links[l as usize];
                        u.need_links
                            .row(dl.need as usize)
                            .iter()
                            .copied()
                            .find(|&x| u.links[x as usize].supplier == dl.supplier)
                    })
                    .collect();
                if let Some(r) = reach {
                    mapped.extend(added_links.iter().copied().filter(|&x| on_lane(r, x)));
                }
                Some(crate::network::ShockTarget::Lane(mapped))
            }
            crate::network::ShockTarget::Capacity(fs) => reach.map(|r| {
                let mut fs = fs.clone();
                fs.extend(
                    (net.facilities.len() as u32..u.facilities.len() as u32)
                        .filter(|&f| r.reaches_facility(f, &u.facilities[f as usize])),
                );
                crate::network::ShockTarget::Capacity(fs)
            }),
            _ => None,
        });
    }
    for (shock, target) in u.shocks.iter_mut().zip(targets) {
        if let Some(t) = target {
            shock.target = t;
        }
    }

    Ok(VariantNetwork {
        variant,
        id: v.id.clone(),
        net: u,
        online,
        agreements,
        regimes,
        crisis,
        blocked_links,
        reserves,
        cost,
    })
}

/// A stockpile policy's raised target at an input of a fab the variant
/// builds.
struct BuiltStock {
    need: u32,
    /// Index of the fab in `online`.
    fab: usize,
    extra_weeks: f64,
    /// Holding cost of a unit for a year.
    usd_per_unit_year: f64,
    /// Held back except while a shock is in effect.
    reserve: bool,
}
