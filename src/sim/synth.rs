//! Synthetic networks of any size, for benchmarks and property tests.
//!
//! [`synthetic`] builds a layered DAG (materials → equipment → fabs → OSATs
//! → markets) directly as [`Network`] structs, with shares summing to one,
//! capacities above the baseline load and a few shocks of every kind.
//! [`assemble`] completes hand-made parts (CSR arrays, topological order,
//! baseline flows) and is shared with the test builder.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::dist::Distribution;
use crate::network::{
    Baseline, Bloc, Country, Customer, Facility, Link, Market, Need, NeedKind, Network, Occurrence,
    Product, Settings, Shock, ShockTarget, Trigger,
};
use crate::scenario::{Allocation, Dist, FacilityKind, ProductCategory, Sector};

/// The entity lists of a network before its derived arrays exist.
/// `Lane` shock targets index `links` in the order given here.
#[derive(Clone, Debug)]
pub struct Parts {
    pub settings: Settings,
    pub blocs: Vec<Bloc>,
    pub countries: Vec<Country>,
    pub products: Vec<Product>,
    pub facilities: Vec<Facility>,
    pub markets: Vec<Market>,
    /// `baseline_use` is computed by [`assemble`].
    pub needs: Vec<Need>,
    pub links: Vec<Link>,
    pub shocks: Vec<Shock>,
}

/// Completes `p` into a [`Network`]: links sorted by need (lane targets
/// remapped), CSR arrays, topological order, and the baseline flows:
/// `link_flow = share × need.baseline_use`, `facility_output = Σ out-link
/// flows`, a material need's `baseline_use = output × per_unit`, a capital
/// or demand need's = `units_per_week`. The supply graph must be acyclic.
pub fn assemble(p: Parts) -> Network {
    let Parts {
        settings,
        blocs,
        countries,
        products,
        facilities,
        markets,
        mut needs,
        links,
        mut shocks,
    } = p;
    let (nf, nm) = (facilities.len(), markets.len());

    let mut perm: Vec<usize> = (0..links.len()).collect();
    perm.sort_by_key(|&i| links[i].need);
    let mut new_index = vec![0u32; links.len()];
    for (new, &old) in perm.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let links: Vec<Link> = perm.iter().map(|&i| links[i].clone()).collect();
    for s in &mut shocks {
        if let ShockTarget::Lane(ls) = &mut s.target {
            for l in ls.iter_mut() {
                *l = new_index[*l as usize];
            }
        }
    }

    let crate::network::Adjacency {
        need_links,
        facility_needs,
        market_needs,
        supplier_links,
    } = crate::network::Adjacency::build(nf, nm, &needs, &links);

    // Kahn's algorithm over facility → facility supply.
    let mut indeg = vec![0u32; nf];
    for l in &links {
        if let Customer::Facility(c) = needs[l.need as usize].customer {
            indeg[c as usize] += 1;
        }
    }
    let mut topo: Vec<u32> = (0..nf as u32).filter(|&f| indeg[f as usize] == 0).collect();
    let mut i = 0;
    while i < topo.len() {
        let f = topo[i] as usize;
        i += 1;
        for &l in supplier_links.row(f) {
            if let Customer::Facility(c) = needs[links[l as usize].need as usize].customer {
                indeg[c as usize] -= 1;
                if indeg[c as usize] == 0 {
                    topo.push(c);
                }
            }
        }
    }

    let mut link_flow = vec![0.0; links.len()];
    let mut facility_output = vec![0.0; nf];
    for (n, need) in needs.iter_mut().enumerate() {
        match need.kind {
            NeedKind::Capital { units_per_week, .. } | NeedKind::Demand { units_per_week, .. } => {
                need.baseline_use = units_per_week;
                for &l in need_links.row(n) {
                    link_flow[l as usize] = links[l as usize].share * units_per_week;
                }
            }
            NeedKind::Material { .. } => {}
        }
    }
    for &f in topo.iter().rev() {
        let f = f as usize;
        let out: f64 = supplier_links
            .row(f)
            .iter()
            .map(|&l| link_flow[l as usize])
            .sum();
        facility_output[f] = out;
        for &n in facility_needs.row(f) {
            let need = &mut needs[n as usize];
            if let NeedKind::Material { per_unit } = need.kind {
                need.baseline_use = out * per_unit;
                for &l in need_links.row(n as usize) {
                    link_flow[l as usize] = links[l as usize].share * need.baseline_use;
                }
            }
        }
    }

    Network {
        settings,
        blocs,
        countries,
        products,
        facilities,
        markets,
        needs,
        links,
        need_links,
        facility_needs,
        market_needs,
        supplier_links,
        topo_order: topo,
        baseline: Baseline {
            facility_output,
            link_flow,
        },
        shocks,
        policies: Vec::new(),
        variants: Vec::new(),
        scenario_hash: String::new(),
    }
}

fn dist(d: Dist) -> Distribution {
    Distribution::new(&d).expect("synthetic distributions are valid")
}

/// Random positive weights summing to one.
fn shares(rng: &mut ChaCha8Rng, k: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..k).map(|_| rng.random_range(0.2..1.0)).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// A layered synthetic network with about `facilities` (at least 8) facilities:
/// 20 % materials plants, 10 % equipment makers, 40 % fabs, 30 % OSATs,
/// plus one market per 20 facilities. Every need has 1–3 suppliers, a
/// qualified zero-share alternate and an unqualified candidate where the
/// product has enough producers. Capacities are 1.2–1.6 × baseline load.
/// Five shocks: a fab outage (which may trigger a lane block), a yearly
/// materials export ban, the lane block, a demand surge and a revocation.
pub fn synthetic(facilities: usize, seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // At least one producer of every product.
    let n = facilities.max(8);
    let n_mat = (n * 2 / 10).max(3);
    let n_eq = (n / 10).max(1);
    let n_fab = (n * 4 / 10).max(2);
    let n_osat = n.saturating_sub(n_mat + n_eq + n_fab).max(2);
    let n_mkt = (n / 20).max(1);

    let blocs = vec![
        Bloc {
            id: "allies".into(),
            name: "Allies".into(),
            agreement: true,
        },
        Bloc {
            id: "others".into(),
            name: "Others".into(),
            agreement: false,
        },
    ];
    let countries: Vec<Country> = (0..6)
        .map(|c| Country {
            id: format!("c{c}"),
            name: format!("Country {c}"),
            blocs: vec![u32::from(c >= 4)],
        })
        .collect();
    // 0..3 materials, 3 equipment, 4..6 front-end, 6..8 back-end.
    let cats = [
        ("wafer", ProductCategory::Material),
        ("resist", ProductCategory::Material),
        ("gas", ProductCategory::Material),
        ("litho", ProductCategory::Equipment),
        ("logic_wafer", ProductCategory::FrontEnd),
        ("memory_wafer", ProductCategory::FrontEnd),
        ("logic_chip", ProductCategory::BackEnd),
        ("memory_chip", ProductCategory::BackEnd),
    ];
    let products: Vec<Product> = cats
        .iter()
        .map(|(id, c)| Product {
            id: (*id).into(),
            name: (*id).into(),
            unit: "unit".into(),
            category: *c,
            value_usd_per_unit: 10.0,
            qualification_weeks: 8.0,
        })
        .collect();

    let mut facs = Vec::with_capacity(n_mat + n_eq + n_fab + n_osat);
    let mut producers: Vec<Vec<u32>> = vec![Vec::new(); products.len()];
    let mut add = |facs: &mut Vec<Facility>, rng: &mut ChaCha8Rng, kind, product: usize| {
        let i = facs.len() as u32;
        producers[product].push(i);
        facs.push(Facility {
            id: format!("f{i}"),
            name: format!("Facility {i}"),
            firm: None,
            country: rng.random_range(0..6u32),
            kind,
            product: product as u32,
            capacity_per_week: 0.0,
            inventory_weeks: rng.random_range(1.0..6.0),
            recovery_weeks: rng.random_range(0.0..8.0f64).round(),
            allocation: if rng.random_range(0..10) == 0 {
                Allocation::Priority
            } else {
                Allocation::Proportional
            },
        });
    };
    for i in 0..n_mat {
        add(&mut facs, &mut rng, FacilityKind::Materials, i % 3);
    }
    for _ in 0..n_eq {
        add(&mut facs, &mut rng, FacilityKind::Equipment, 3);
    }
    for i in 0..n_fab {
        add(&mut facs, &mut rng, FacilityKind::Fab, 4 + i % 2);
    }
    for i in 0..n_osat {
        add(&mut facs, &mut rng, FacilityKind::Osat, 6 + i % 2);
    }
    let markets: Vec<Market> = (0..n_mkt)
        .map(|m| Market {
            id: format!("m{m}"),
            name: format!("Market {m}"),
            country: rng.random_range(0..6u32),
            sector: Sector::Consumer,
            inventory_weeks: rng.random_range(0.0..4.0),
            backorder: m % 5 == 4,
        })
        .collect();

    let mut needs = Vec::new();
    let mut links = Vec::new();
    let source = |needs: &mut Vec<Need>,
                  links: &mut Vec<Link>,
                  rng: &mut ChaCha8Rng,
                  customer: Customer,
                  product: usize,
                  kind: NeedKind,
                  target_weeks: f64| {
        let nid = needs.len() as u32;
        needs.push(Need {
            customer,
            product: product as u32,
            kind,
            target_weeks,
            baseline_use: 0.0,
        });
        let pool = &producers[product];
        let k = rng.random_range(1..=3usize).min(pool.len());
        // Distinct suppliers: a random window of the producer list.
        let start = rng.random_range(0..pool.len());
        let sh = shares(rng, k);
        let extra = pool.len().saturating_sub(k).min(2);
        for j in 0..k + extra {
            let supplier = pool[(start + j) % pool.len()];
            let (share, qualified) = match j.checked_sub(k) {
                None => (sh[j], true),
                Some(0) => (0.0, true),
                Some(_) => (0.0, false),
            };
            links.push(Link {
                supplier,
                need: nid,
                share,
                lead_weeks: rng.random_range(1..=4u32),
                qualified,
                priority: rng.random_range(0..3u32),
            });
        }
    };
    for (f, fac) in facs.iter().enumerate() {
        let (kind, product, inv) = (fac.kind, fac.product, fac.inventory_weeks);
        let c = Customer::Facility(f as u32);
        match kind {
            FacilityKind::Fab => {
                for (m, per_unit) in [(0usize, 1.0), (1, 0.5), (2, 0.1)] {
                    source(
                        &mut needs,
                        &mut links,
                        &mut rng,
                        c,
                        m,
                        NeedKind::Material { per_unit },
                        inv,
                    );
                }
                let units = rng.random_range(1.0..5.0);
                let kind = NeedKind::Capital {
                    units_per_week: units,
                    erosion_per_week: 0.05,
                };
                source(&mut needs, &mut links, &mut rng, c, 3, kind, inv);
            }
            FacilityKind::Osat => {
                let fe = product as usize - 2;
                let kind = NeedKind::Material { per_unit: 0.002 };
                source(&mut needs, &mut links, &mut rng, c, fe, kind, inv);
            }
            _ => {}
        }
    }
    for (m, mk) in markets.iter().enumerate() {
        for product in [6usize, 7] {
            let kind = NeedKind::Demand {
                units_per_week: rng.random_range(1_000.0..5_000.0),
                lost_usd_per_unit: rng.random_range(10.0..1_000.0),
            };
            let c = Customer::Market(m as u32);
            source(
                &mut needs,
                &mut links,
                &mut rng,
                c,
                product,
                kind,
                mk.inventory_weeks,
            );
        }
    }

    // Shocks. Targets are chosen now; capacities after the baseline.
    let fabs: Vec<u32> = producers[4].iter().chain(&producers[5]).copied().collect();
    let k_fab = (fabs.len() / 20).max(1);
    let start = rng.random_range(0..fabs.len());
    let outage: Vec<u32> = (0..k_fab).map(|j| fabs[(start + j) % fabs.len()]).collect();
    let ban: Vec<u32> = producers[0]
        .iter()
        .copied()
        .filter(|&f| facs[f as usize].country == 0)
        .collect();
    let lane: Vec<u32> = links
        .iter()
        .enumerate()
        .filter(|(_, l)| facs[l.supplier as usize].country == 1)
        .map(|(i, _)| i as u32)
        .take(200)
        .collect();
    let surge: Vec<u32> = needs
        .iter()
        .enumerate()
        .filter(|(_, nd)| matches!(nd.customer, Customer::Market(m) if m % 3 == 0))
        .map(|(i, _)| i as u32)
        .collect();
    let shock = |id: &str, occurrence, target, duration, severity, recovery, triggers| Shock {
        id: id.into(),
        name: id.into(),
        occurrence,
        onset_week: None,
        duration_weeks: dist(duration),
        severity: dist(severity),
        recovery_weeks: recovery,
        target,
        reach: None,
        triggers,
    };
    let shocks = vec![
        shock(
            "fab_outage",
            Occurrence::Probability(0.3),
            ShockTarget::Capacity(outage),
            Dist::Uniform {
                min: 4.0,
                max: 16.0,
            },
            Dist::Uniform { min: 0.3, max: 1.0 },
            None,
            vec![Trigger {
                shock: 2,
                probability: 0.5,
                lag_weeks: dist(Dist::Fixed(2.0)),
            }],
        ),
        shock(
            "materials_ban",
            Occurrence::RatePerYear(0.2),
            ShockTarget::Capacity(ban),
            Dist::Pert {
                min: 4.0,
                mode: 10.0,
                max: 30.0,
            },
            Dist::Beta { mean: 0.6, sd: 0.2 },
            Some(dist(Dist::Fixed(4.0))),
            vec![],
        ),
        shock(
            "lane_block",
            Occurrence::Probability(0.1),
            ShockTarget::Lane(lane),
            Dist::Uniform { min: 2.0, max: 8.0 },
            Dist::Uniform { min: 0.5, max: 1.0 },
            Some(dist(Dist::Fixed(2.0))),
            vec![],
        ),
        shock(
            "demand_surge",
            Occurrence::Probability(0.2),
            ShockTarget::Demand(surge),
            Dist::Uniform {
                min: 4.0,
                max: 12.0,
            },
            Dist::Uniform { min: 0.1, max: 0.3 },
            None,
            vec![],
        ),
        shock(
            "revocation",
            Occurrence::Probability(0.05),
            ShockTarget::Revoke(vec![0]),
            Dist::Fixed(1.0),
            Dist::Fixed(1.0),
            None,
            vec![],
        ),
    ];

    let mut net = assemble(Parts {
        settings: Settings {
            name: format!("synthetic-{n}-{seed}"),
            description: "synthetic layered network".into(),
            attribution: String::new(),
            horizon_weeks: 104,
            fulfilment_threshold: 0.95,
            severe_loss_usd: 1e9,
        },
        blocs,
        countries,
        products,
        facilities: facs,
        markets,
        needs,
        links,
        shocks,
    });
    for (f, fac) in net.facilities.iter_mut().enumerate() {
        let load = net.baseline.facility_output[f];
        fac.capacity_per_week = if load > 0.0 {
            load * rng.random_range(1.2..1.6)
        } else {
            100.0
        };
    }
    net
}
