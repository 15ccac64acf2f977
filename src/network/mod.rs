//! The compiled, validated, immutable supply-chain network.
//!
//! [`compile`] turns a loaded [`Scenario`](crate::scenario::Scenario) into a
//! [`Network`] or into the complete list of problems with it. Once a
//! `Network` exists every reference is an index, every number is finite and
//! in range, shares sum to one, the supply graph is acyclic and the baseline
//! load fits capacity, so the engine never needs to check anything.
//!
//! Layout: entities are plain `Vec`s indexed by `u32`; the relations the
//! engine walks are compressed-sparse-row arrays ([`Csr`]); facilities are
//! also listed in topological order (suppliers before customers). The
//! petgraph view used for export and cycle detection is built on demand by
//! [`graph`].

mod baseline;
mod compile;
pub mod graph;

pub use baseline::{CHOKEPOINT_SHARE, Chokepoint, chokepoints};
pub(crate) use compile::percent_over;
pub use compile::{
    MAX_DEMAND_RISE, MAX_LEAD_WEEKS, MAX_MAGNITUDE, compile, compile_for_variants,
    compile_structure, notes, require_markets,
};

use serde::Serialize;

use crate::dist::Distribution;
use crate::scenario::{Allocation, FacilityKind, ProductCategory, Release, Sector};

/// The four relations the engine walks, derived from needs and links.
#[derive(Clone, Debug, Default)]
pub struct Adjacency {
    pub need_links: Csr,
    pub facility_needs: Csr,
    pub market_needs: Csr,
    pub supplier_links: Csr,
}

impl Adjacency {
    /// Builds the relations; `links` must be sorted by need for need rows
    /// to be contiguous.
    pub fn build(facilities: usize, markets: usize, needs: &[Need], links: &[Link]) -> Adjacency {
        let by_customer = |want_market: bool| {
            needs
                .iter()
                .enumerate()
                .filter_map(move |(i, n)| match (n.customer, want_market) {
                    (Customer::Facility(f), false) => Some((f, i as u32)),
                    (Customer::Market(m), true) => Some((m, i as u32)),
                    _ => None,
                })
        };
        Adjacency {
            need_links: Csr::from_pairs(
                needs.len(),
                links.iter().enumerate().map(|(i, l)| (l.need, i as u32)),
            ),
            facility_needs: Csr::from_pairs(facilities, by_customer(false)),
            market_needs: Csr::from_pairs(markets, by_customer(true)),
            supplier_links: Csr::from_pairs(
                facilities,
                links
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.supplier, i as u32)),
            ),
        }
    }
}

/// Compressed sparse rows: the items of row `r` are
/// `items[offsets[r] as usize..offsets[r + 1] as usize]`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Csr {
    pub offsets: Vec<u32>,
    pub items: Vec<u32>,
}

impl Csr {
    /// Builds rows from `(row, item)` pairs; items keep their input order
    /// within a row.
    pub fn from_pairs(rows: usize, pairs: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let pairs: Vec<(u32, u32)> = pairs.into_iter().collect();
        let mut counts = vec![0u32; rows + 1];
        for &(r, _) in &pairs {
            counts[r as usize + 1] += 1;
        }
        for i in 0..rows {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut items = vec![0u32; pairs.len()];
        for (r, it) in pairs {
            items[fill[r as usize] as usize] = it;
            fill[r as usize] += 1;
        }
        Csr { offsets, items }
    }

    #[inline]
    pub fn row(&self, r: usize) -> &[u32] {
        &self.items[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }

    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Bloc {
    pub id: String,
    pub name: String,
    /// A political shock can revoke it.
    pub agreement: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Country {
    pub id: String,
    pub name: String,
    pub blocs: Vec<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub category: ProductCategory,
    pub value_usd_per_unit: f64,
    pub qualification_weeks: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Facility {
    pub id: String,
    pub name: String,
    pub firm: Option<String>,
    pub country: u32,
    pub kind: FacilityKind,
    pub product: u32,
    /// Units of `product` per week.
    pub capacity_per_week: f64,
    /// Inventory target of every input, in weeks of baseline use.
    pub inventory_weeks: f64,
    pub recovery_weeks: f64,
    pub allocation: Allocation,
}

#[derive(Clone, Debug, Serialize)]
pub struct Market {
    pub id: String,
    pub name: String,
    pub country: u32,
    pub sector: Sector,
    pub inventory_weeks: f64,
    pub backorder: bool,
}

/// Who holds a need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Customer {
    Facility(u32),
    Market(u32),
}

/// How a need is used.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum NeedKind {
    /// A material consumed at `per_unit` units per unit of the facility's output.
    Material { per_unit: f64 },
    /// A capital input: a fixed service flow per week; capacity erodes at
    /// `erosion_per_week` once the stock of spares is exhausted.
    Capital {
        units_per_week: f64,
        erosion_per_week: f64,
    },
    /// A market's demand, losing `lost_usd_per_unit` per unit not delivered.
    Demand {
        units_per_week: f64,
        lost_usd_per_unit: f64,
    },
}

/// One customer's requirement of one product: the unit of sourcing,
/// inventory and ordering.
#[derive(Clone, Debug, Serialize)]
pub struct Need {
    pub customer: Customer,
    pub product: u32,
    pub kind: NeedKind,
    /// Inventory target in weeks of baseline use.
    pub target_weeks: f64,
    /// Baseline use per week (from the baseline flow solution).
    pub baseline_use: f64,
}

/// A supply link from a facility into a need.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub supplier: u32,
    pub need: u32,
    pub share: f64,
    pub lead_weeks: u32,
    pub qualified: bool,
    pub priority: u32,
}

/// Events of one shock in a trial: a `RatePerYear` shock's Poisson count is
/// cut to this many (docs/MODEL.md §2), so that a trial's schedule has a
/// bound. `validate` notes a rate at which the cut is likely to matter.
pub const MAX_EVENTS_PER_SHOCK: u32 = 64;

/// Shocks fired in one trial, spontaneous and triggered together: events
/// past this many are dropped (those of the shocks declared last), so that
/// a trial's schedule has a bound. `validate` notes a scenario whose shocks
/// could come near it.
pub const MAX_FIRED: usize = 4096;

/// How often a shock happens.
#[derive(Clone, Debug, Serialize)]
pub enum Occurrence {
    /// At most once within the horizon, with this probability.
    Probability(f64),
    /// Poisson events at this yearly rate.
    RatePerYear(f64),
}

/// What a shock hits, resolved to indices.
#[derive(Clone, Debug, Serialize)]
pub enum ShockTarget {
    /// Capacity of these facilities falls by `severity`.
    Capacity(Vec<u32>),
    /// These links pass only `1 - severity` of their flow.
    Lane(Vec<u32>),
    /// These market needs rise by `severity` (a fraction).
    Demand(Vec<u32>),
    /// These agreements (bloc indices) are revoked from onset on.
    Revoke(Vec<u32>),
}

impl ShockTarget {
    /// A capacity, lane or demand shock that selects nothing here: one
    /// whose rule reaches only what a policy builds, in a variant that does
    /// not build it. It fires, and touches nothing.
    pub fn reaches_nothing(&self) -> bool {
        matches!(self, ShockTarget::Capacity(v) | ShockTarget::Lane(v) | ShockTarget::Demand(v) if v.is_empty())
    }
}

/// The rule by which a capacity or lane shock selected its targets, kept so
/// that what a policy adds (a reshored fab and the links that supply it) is
/// reached as a declared facility or link matching it would be: an
/// earthquake in Japan also stops the Japanese fab a subsidy builds.
#[derive(Clone, Debug, Serialize)]
pub enum Reach {
    /// Facilities named (any when empty), of these kinds (any when empty),
    /// in these countries (any when `None`), making these products.
    Facilities {
        named: Vec<u32>,
        kinds: Vec<FacilityKind>,
        countries: Option<Vec<bool>>,
        products: Vec<bool>,
    },
    /// Links from suppliers in the `from` countries to customers in the
    /// `to` countries, of these products.
    Lanes {
        from: Vec<bool>,
        to: Vec<bool>,
        products: Vec<bool>,
    },
}

/// Which input needs of a fab a variant builds a stockpile or dual-sourcing
/// policy reaches: the rule of its customer selector, applied to the new
/// fab as to a declared facility of its country and kind (a stockpile at
/// every fab covers the fabs the variant builds too). A selector that names
/// customers by id, or selects markets by sector, reaches no new fab.
#[derive(Clone, Debug, Serialize)]
pub struct BuiltNeeds {
    /// The customers' countries (any when `None`).
    pub countries: Option<Vec<bool>>,
    /// The customers' kinds (any when empty).
    pub kinds: Vec<FacilityKind>,
    /// The products of the needs.
    pub products: Vec<bool>,
}

impl BuiltNeeds {
    /// Whether the rule reaches the need for `product` of facility `f`.
    pub fn reaches(&self, f: &Facility, product: u32) -> bool {
        self.countries.as_ref().is_none_or(|c| member(c, f.country))
            && (self.kinds.is_empty() || self.kinds.contains(&f.kind))
            && member(&self.products, product)
    }
}

/// Whether `i` is in the set `set`. A facility or market whose country or
/// product did not resolve (already reported) carries index 0 as a
/// placeholder, which may lie outside an empty table: it belongs to no set.
fn member(set: &[bool], i: u32) -> bool {
    set.get(i as usize).copied().unwrap_or(false)
}

impl Reach {
    /// Whether a capacity shock of this rule reaches facility `i`.
    pub fn reaches_facility(&self, i: u32, f: &Facility) -> bool {
        match self {
            Reach::Facilities {
                named,
                kinds,
                countries,
                products,
            } => {
                (named.is_empty() || named.contains(&i))
                    && (kinds.is_empty() || kinds.contains(&f.kind))
                    && countries.as_ref().is_none_or(|c| member(c, f.country))
                    && member(products, f.product)
            }
            Reach::Lanes { .. } => false,
        }
    }

    /// Whether a lane shock of this rule reaches a link from a supplier in
    /// country `from` to a customer in country `to`, carrying `product`.
    pub fn reaches_link(&self, from: u32, to: u32, product: u32) -> bool {
        match self {
            Reach::Lanes {
                from: f,
                to: t,
                products,
            } => member(f, from) && member(t, to) && member(products, product),
            Reach::Facilities { .. } => false,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Trigger {
    pub shock: u32,
    pub probability: f64,
    pub lag_weeks: Distribution,
}

#[derive(Clone, Debug, Serialize)]
pub struct Shock {
    pub id: String,
    pub name: String,
    pub occurrence: Occurrence,
    /// `None`: uniform over the horizon.
    pub onset_week: Option<Distribution>,
    pub duration_weeks: Distribution,
    pub severity: Distribution,
    /// `None`: each facility's own recovery time.
    pub recovery_weeks: Option<Distribution>,
    pub target: ShockTarget,
    /// How a capacity or lane shock selected its targets (`None` for other
    /// shocks, and for ones built in code from explicit targets).
    pub reach: Option<Reach>,
    pub triggers: Vec<Trigger>,
}

/// A policy's action, resolved to indices. The engine gives it meaning.
#[derive(Clone, Debug, Serialize)]
pub enum PolicyAction {
    Reshore {
        country: u32,
        product: u32,
        firm: Option<String>,
        capacity_per_week: f64,
        build_weeks: f64,
        ramp_weeks: f64,
        template: u32,
        /// Needs (of the product) that move `share` to the new capacity.
        needs: Vec<u32>,
        share: f64,
    },
    Friendshore {
        product: u32,
        needs: Vec<u32>,
        /// Countries whose suppliers lose share.
        from_countries: Vec<u32>,
        /// Bloc whose suppliers gain it.
        to_bloc: u32,
        share: f64,
        extra_capacity_fraction: f64,
    },
    Stockpile {
        needs: Vec<u32>,
        inventory_weeks: f64,
        holding_rate_per_year: f64,
        release: Release,
        /// The inputs of fabs a variant builds it reaches.
        built: Option<BuiltNeeds>,
    },
    DualSource {
        needs: Vec<u32>,
        /// The inputs of fabs a variant builds it reaches.
        built: Option<BuiltNeeds>,
    },
    CrisisSharing {
        products: Vec<u32>,
    },
    ExportControl {
        /// The declared links it closes.
        links: Vec<u32>,
        /// Its rule, which also closes the links a variant adds on the
        /// lane (a reshored fab's inputs, a friendshoring deal's links).
        reach: Reach,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct Policy {
    pub id: String,
    pub name: String,
    /// The agreement (bloc index) it rests on.
    pub agreement: Option<u32>,
    pub capex_usd: f64,
    pub subsidy_usd: f64,
    pub annual_cost_usd: f64,
    pub action: PolicyAction,
}

#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    pub id: String,
    pub name: String,
    pub policies: Vec<u32>,
}

/// The baseline steady state: what flows when nothing goes wrong.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Baseline {
    /// Units per week each facility produces.
    pub facility_output: Vec<f64>,
    /// Units per week on each link.
    pub link_flow: Vec<f64>,
}

impl Baseline {
    pub fn utilisation(&self, net: &Network, f: usize) -> f64 {
        let cap = net.facilities[f].capacity_per_week;
        if cap > 0.0 {
            self.facility_output[f] / cap
        } else {
            0.0
        }
    }
}

/// Scenario-wide settings.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub name: String,
    pub description: String,
    /// The scenario's `attribution` (empty when it declares none).
    pub attribution: String,
    pub horizon_weeks: u32,
    pub fulfilment_threshold: f64,
    pub severe_loss_usd: f64,
}

/// The compiled network. Immutable; shared by every trial and thread.
#[derive(Clone, Debug, Serialize)]
pub struct Network {
    pub settings: Settings,
    pub blocs: Vec<Bloc>,
    pub countries: Vec<Country>,
    pub products: Vec<Product>,
    pub facilities: Vec<Facility>,
    pub markets: Vec<Market>,
    pub needs: Vec<Need>,
    /// Sorted by need, then by declaration order.
    pub links: Vec<Link>,
    /// Need → its links (indices into `links`, contiguous).
    pub need_links: Csr,
    /// Facility → its input needs.
    pub facility_needs: Csr,
    /// Market → its demand needs.
    pub market_needs: Csr,
    /// Facility → the links it supplies.
    pub supplier_links: Csr,
    /// Facilities, suppliers before customers.
    pub topo_order: Vec<u32>,
    pub baseline: Baseline,
    pub shocks: Vec<Shock>,
    pub policies: Vec<Policy>,
    /// `variants[0]` is always `baseline`.
    pub variants: Vec<Variant>,
    /// SHA-256 of the resolved scenario text (every file, in load order).
    pub scenario_hash: String,
}

impl Network {
    /// The country a customer sits in.
    pub fn customer_country(&self, c: Customer) -> u32 {
        match c {
            Customer::Facility(f) => self.facilities[f as usize].country,
            Customer::Market(m) => self.markets[m as usize].country,
        }
    }

    /// A readable name for a customer ("facility `x`" / "market `y`").
    pub fn customer_id(&self, c: Customer) -> &str {
        match c {
            Customer::Facility(f) => &self.facilities[f as usize].id,
            Customer::Market(m) => &self.markets[m as usize].id,
        }
    }

    pub fn link_count(&self) -> usize {
        self.links.len()
    }
}

impl Network {
    /// Recomputes everything derived from the entities (CSR arrays,
    /// topological order, baseline flows) after a structural change such as
    /// a policy adding a facility or moving shares. Links must be sorted by
    /// need. Returns the facilities whose baseline load now exceeds their
    /// capacity (facility, load), or the facilities of a supply cycle.
    pub fn rebuild_derived(&mut self) -> Result<Vec<(u32, f64)>, Vec<u32>> {
        self.links.sort_by_key(|l| l.need);
        let adj = Adjacency::build(
            self.facilities.len(),
            self.markets.len(),
            &self.needs,
            &self.links,
        );
        self.need_links = adj.need_links;
        self.facility_needs = adj.facility_needs;
        self.market_needs = adj.market_needs;
        self.supplier_links = adj.supplier_links;
        self.topo_order = graph::facility_order(&self.facilities, &self.needs, &self.links)?;
        Ok(self.rebaseline())
    }

    /// Recomputes the baseline flows, outputs and uses after a change of
    /// link shares alone: the links, their order and so the CSR arrays and
    /// topological order stay valid. (A variant's policy regimes differ
    /// only in shares; rebuilding the whole structure for each one was
    /// most of the cost of compiling a variant.) Returns the facilities
    /// whose baseline load now exceeds their capacity (facility, load).
    pub fn rebaseline(&mut self) -> Vec<(u32, f64)> {
        self.baseline = baseline::solve(
            &self.facilities,
            &mut self.needs,
            &self.links,
            &self.need_links,
            &self.facility_needs,
            &self.supplier_links,
            &self.topo_order,
        );
        self.facilities
            .iter()
            .enumerate()
            .filter(|(i, f)| self.baseline.facility_output[*i] > f.capacity_per_week * (1.0 + 1e-9))
            .map(|(i, _)| (i as u32, self.baseline.facility_output[i]))
            .collect()
    }
}
