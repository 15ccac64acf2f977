//! The network as a petgraph graph: structure checks and export.
//!
//! Nodes are countries, facilities and markets; edges are supply links
//! (supplier → customer, per product) and located-in relations (facility or
//! market → country). Exporters in [`crate::export`] write this graph.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::{Customer, Facility, Link, Need, Network};

/// A node of the exported graph.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Country {
        id: String,
        name: String,
        blocs: Vec<String>,
    },
    Facility {
        id: String,
        name: String,
        firm: Option<String>,
        country: String,
        kind: String,
        product: String,
        capacity_per_week: f64,
        baseline_output: f64,
        utilisation: f64,
    },
    Market {
        id: String,
        name: String,
        country: String,
        sector: String,
        demand_per_week: f64,
    },
}

impl Node {
    pub fn id(&self) -> &str {
        match self {
            Node::Country { id, .. } | Node::Facility { id, .. } | Node::Market { id, .. } => id,
        }
    }
}

/// An edge of the exported graph.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Edge {
    Supply {
        product: String,
        share: f64,
        lead_weeks: u32,
        qualified: bool,
        baseline_flow: f64,
    },
    LocatedIn,
}

/// Builds the export graph. Node order: countries, facilities, markets.
pub fn export_graph(net: &Network) -> DiGraph<Node, Edge> {
    let mut g = DiGraph::new();
    let country: Vec<NodeIndex> = net
        .countries
        .iter()
        .map(|c| {
            g.add_node(Node::Country {
                id: c.id.clone(),
                name: c.name.clone(),
                blocs: c
                    .blocs
                    .iter()
                    .map(|&b| net.blocs[b as usize].id.clone())
                    .collect(),
            })
        })
        .collect();
    let facility: Vec<NodeIndex> = net
        .facilities
        .iter()
        .enumerate()
        .map(|(i, f)| {
            g.add_node(Node::Facility {
                id: f.id.clone(),
                name: f.name.clone(),
                firm: f.firm.clone(),
                country: net.countries[f.country as usize].id.clone(),
                kind: enum_name(f.kind),
                product: net.products[f.product as usize].id.clone(),
                capacity_per_week: f.capacity_per_week,
                baseline_output: net.baseline.facility_output[i],
                utilisation: net.baseline.utilisation(net, i),
            })
        })
        .collect();
    let market: Vec<NodeIndex> = net
        .markets
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let demand = net
                .market_needs
                .row(mi)
                .iter()
                .map(|&n| net.needs[n as usize].baseline_use)
                .sum();
            g.add_node(Node::Market {
                id: m.id.clone(),
                name: m.name.clone(),
                country: net.countries[m.country as usize].id.clone(),
                sector: enum_name(m.sector),
                demand_per_week: demand,
            })
        })
        .collect();
    for (i, f) in net.facilities.iter().enumerate() {
        g.add_edge(facility[i], country[f.country as usize], Edge::LocatedIn);
    }
    for (i, m) in net.markets.iter().enumerate() {
        g.add_edge(market[i], country[m.country as usize], Edge::LocatedIn);
    }
    for (li, l) in net.links.iter().enumerate() {
        let need = &net.needs[l.need as usize];
        let to = match need.customer {
            Customer::Facility(f) => facility[f as usize],
            Customer::Market(m) => market[m as usize],
        };
        g.add_edge(
            facility[l.supplier as usize],
            to,
            Edge::Supply {
                product: net.products[need.product as usize].id.clone(),
                share: l.share,
                lead_weeks: l.lead_weeks,
                qualified: l.qualified,
                baseline_flow: net.baseline.link_flow[li],
            },
        );
    }
    g
}

/// The snake_case name serde gives an enum value (`data_centre`).
pub fn enum_name(v: impl Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Hashes one `u64` (a packed pair of indices) by a multiplication by the
/// golden ratio (Fibonacci hashing): the keys are not chosen by an
/// adversary, so SipHash's protection buys nothing here.
#[derive(Default)]
pub(crate) struct PairHasher(u64);

/// A set of pairs of indices (each pair packed as `a << 32 | b`), hashed by
/// one multiplication instead of SipHash: the keys are our own indices, not
/// adversarial input.
pub(crate) type PairSet = HashSet<u64, BuildHasherDefault<PairHasher>>;

/// The key of the pair `(a, b)` in a [`PairSet`].
pub(crate) fn pair(a: u32, b: u32) -> u64 {
    u64::from(a) << 32 | u64::from(b)
}

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        // The product's high bits are the well-mixed ones: fold them into
        // the low bits, which pick the bucket.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; any other key is folded in byte by byte.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Facilities in topological order (suppliers first), or the facilities of
/// one supply cycle, in cycle order.
pub(super) fn facility_order(
    facilities: &[Facility],
    needs: &[Need],
    links: &[Link],
) -> Result<Vec<u32>, Vec<u32>> {
    let mut g: DiGraph<u32, ()> = DiGraph::with_capacity(facilities.len(), links.len());
    for i in 0..facilities.len() {
        g.add_node(i as u32);
    }
    // One edge per (supplier, customer) pair, in the order of first
    // appearance (what `update_edge` builds, without its search of the
    // supplier's edges for every link). The pairs are hashed by one
    // multiplication: this runs for every policy regime of every variant,
    // and with SipHash it was a third of `chipshock validate` on the world.
    let mut seen = PairSet::with_capacity_and_hasher(links.len(), BuildHasherDefault::default());
    for l in links {
        if let Customer::Facility(c) = needs[l.need as usize].customer
            && seen.insert(pair(l.supplier, c))
        {
            g.add_edge(
                NodeIndex::new(l.supplier as usize),
                NodeIndex::new(c as usize),
                (),
            );
        }
    }
    match toposort(&g, None) {
        Ok(order) => Ok(order.into_iter().map(|n| n.index() as u32).collect()),
        Err(_) => {
            // Find a strongly connected component with a cycle and walk it.
            let scc = tarjan_scc(&g)
                .into_iter()
                .find(|c| c.len() > 1)
                .unwrap_or_default();
            if scc.is_empty() {
                return Err(vec![0]);
            }
            let in_scc = |n: NodeIndex| scc.contains(&n);
            let mut cycle = vec![scc[0]];
            let mut cur = scc[0];
            while let Some(next) = g.neighbors(cur).find(|n| in_scc(*n)) {
                if let Some(pos) = cycle.iter().position(|x| *x == next) {
                    cycle.drain(..pos);
                    break;
                }
                cycle.push(next);
                cur = next;
            }
            Err(cycle.into_iter().map(|n| n.index() as u32).collect())
        }
    }
}
