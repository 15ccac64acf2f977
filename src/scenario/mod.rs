//! What the user wrote: serde types that mirror the TOML scenario language.
//!
//! Nothing here is validated beyond TOML syntax and types; every value keeps
//! its [`Span`](crate::source::Span) so that `network` can point at it. Most
//! fields are optional at this layer because a later file may complete or
//! override an entity (`override = true`); `network` reports what is still
//! missing. The language is documented key by key in docs/SCENARIOS.md.

mod duplicates;
pub mod load;
pub(crate) mod syntax;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::source::Sp;

pub use load::{MAX_INCLUDE_DEPTH, Scenario, load_scenario, load_scenario_str};

/// Largest magnitude of any number in a scenario (units, USD, weeks,
/// rates). Far above any real quantity, and small enough that products of
/// a few of them over a 5,200-week horizon stay finite: a loss of
/// `units_per_week × lost_usd_per_unit × horizon` can never overflow to
/// infinity and come out as `NaN` in the reports.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// A located identifier.
pub type Id = Sp<String>;
/// A located number.
pub type Num = Sp<f64>;

/// One scenario file. The JSON Schema printed by `chipshock schema` is
/// generated from this type.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Files to load first, relative to this file. Their definitions come
    /// before this file's, so this file may override them (`override = true`).
    #[serde(default)]
    pub include: Vec<Sp<String>>,
    /// Scenario-wide settings.
    pub meta: Option<Meta>,
    /// Blocs and agreements countries belong to (`us_allies`, `ipef`, `chip4`).
    #[serde(default)]
    pub bloc: Vec<Bloc>,
    #[serde(default)]
    pub country: Vec<Country>,
    #[serde(default)]
    pub product: Vec<Product>,
    #[serde(default)]
    pub facility: Vec<Facility>,
    #[serde(default)]
    pub market: Vec<Market>,
    /// Single supply links.
    #[serde(default)]
    pub link: Vec<Link>,
    /// Compact form: many links of one product into one or more customers.
    #[serde(default)]
    pub sourcing: Vec<Sourcing>,
    #[serde(default)]
    pub shock: Vec<Shock>,
    #[serde(default)]
    pub policy: Vec<Policy>,
    #[serde(default)]
    pub variant: Vec<Variant>,
}

/// Scenario-wide settings.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    /// Where the scenario's data come from and under what licence. Printed
    /// with every result (the terminal, summary.json, comparison.json), so
    /// that an attribution the data's licence requires travels with them.
    pub attribution: Option<Sp<String>>,
    /// Simulated weeks per trial (default 104).
    #[schemars(range(min = 1, max = 5200))]
    pub horizon_weeks: Option<Sp<i64>>,
    /// Fulfilment below this fraction counts as a shortfall week (default 0.95).
    #[schemars(range(min = 0, max = 1))]
    pub fulfilment_threshold: Option<Num>,
    /// A trial losing at least this many USD is a "severe" loss (default 1e9).
    #[schemars(range(min = 0))]
    pub severe_loss_usd: Option<Num>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// A bloc of countries; `agreement = true` marks one that rests on paper and
/// that a political shock can revoke (friendshoring deals, crisis sharing).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bloc {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// True for an agreement a political shock may revoke (default false).
    pub agreement: Option<Sp<bool>>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Country {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// Ids of the blocs this country belongs to.
    pub blocs: Option<Vec<Id>>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// Where a product sits in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductCategory {
    /// Consumed per unit of output: wafers, resist, gases, gallium.
    Material,
    /// Capital goods and their service: lithography, deposition, etch tools.
    Equipment,
    /// EDA licences, IP, design services.
    Design,
    /// Front-end fabricated wafers.
    FrontEnd,
    /// Assembled, tested, packaged chips.
    BackEnd,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// The product's natural unit ("wafer", "tonne", "tool-service-week").
    pub unit: Option<Sp<String>>,
    pub category: Option<Sp<ProductCategory>>,
    /// Value of one unit in USD (> 0).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub value_usd_per_unit: Option<Num>,
    /// Weeks to qualify a new, unqualified supplier (default 26).
    #[schemars(range(min = 0))]
    pub qualification_weeks: Option<Num>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// What a facility does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    Fab,
    Materials,
    Equipment,
    Osat,
    Design,
}

/// How a supplier rations output when it cannot serve every order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// Every customer gets the same fraction of its order.
    #[default]
    Proportional,
    /// Customers are served in order of their link `priority` (0 first).
    Priority,
}

/// A capital input: tools and their spares and service, or EDA licences.
/// Not consumed per unit of output: the facility draws a fixed flow of
/// service per week from a stock of spares; once that stock is exhausted its
/// capacity erodes at `erosion_per_week` until supply resumes.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapitalInput {
    /// Units of the input used per week to keep the installed base running.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub units_per_week: Num,
    /// Fraction of capacity lost per week once spares run out (0..1).
    #[schemars(range(min = 0, max = 1))]
    pub erosion_per_week: Num,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// The firm that owns it, for firm-level chokepoints (aggregates omit it).
    pub firm: Option<Sp<String>>,
    pub country: Option<Id>,
    pub kind: Option<Sp<FacilityKind>>,
    /// The product it makes.
    pub product: Option<Id>,
    /// Units of its product per week at full capacity.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub capacity_per_week: Option<Num>,
    /// Materials consumed: units of each input per unit of output.
    pub recipe: Option<BTreeMap<Id, Num>>,
    /// Capital goods and services: not consumed per unit (see [`CapitalInput`]).
    pub capital: Option<BTreeMap<Id, CapitalInput>>,
    /// Target inventory of every input, in weeks of normal use (default 4).
    #[schemars(range(min = 0))]
    pub inventory_weeks: Option<Num>,
    /// Weeks to ramp back to full capacity after a shock ends (default 4).
    #[schemars(range(min = 0))]
    pub recovery_weeks: Option<Num>,
    /// Rationing rule when output falls short of orders (default proportional).
    pub allocation: Option<Sp<Allocation>>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// End-market sectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Automotive,
    Consumer,
    DataCentre,
    Industrial,
    Defence,
    Communications,
}

/// A market's weekly need for one product.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    #[schemars(range(min = 0))]
    pub units_per_week: Num,
    /// USD of downstream output lost per unit not delivered (a $1 chip can
    /// stop a $40,000 car).
    #[schemars(range(min = 0))]
    pub lost_usd_per_unit: Num,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Market {
    pub id: Id,
    pub name: Option<Sp<String>>,
    pub country: Option<Id>,
    pub sector: Option<Sp<Sector>>,
    /// Own chip inventory, in weeks of demand (default 2).
    #[schemars(range(min = 0))]
    pub inventory_weeks: Option<Num>,
    /// Unmet demand waits (back-order) instead of being lost (default false).
    pub backorder: Option<Sp<bool>>,
    /// Weekly demand per product id.
    pub demand: Option<BTreeMap<Id, Demand>>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// One supply link: `supplier` (a facility) ships `product` to `customer`
/// (a facility or a market).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub supplier: Id,
    pub customer: Id,
    pub product: Id,
    /// Normal share of the customer's need of this product (0..1).
    #[schemars(range(min = 0, max = 1))]
    pub share: Num,
    /// Weeks from shipment to arrival, at least 1 (default 2).
    #[schemars(range(min = 1, max = 520))]
    pub lead_weeks: Option<Sp<i64>>,
    /// Whether the supplier is qualified (default true).
    pub qualified: Option<Sp<bool>>,
    /// Served-first order under priority allocation (0 first, default 0).
    #[schemars(range(min = 0, max = 4294967295u32))]
    pub priority: Option<Sp<i64>>,
    /// Where this table comes among the scenario's `[[link]]` and
    /// `[[sourcing]]` tables in load order: (the file's place in load order,
    /// the offset in the file). Set by the loader, not written: a link
    /// declared twice is reported at the later one, whichever form each
    /// takes.
    #[serde(skip)]
    #[schemars(skip)]
    pub order: (usize, usize),
}

/// Compact form of many links: each customer sources `product` from
/// `suppliers` (id = share), keeps `alternates` qualified at zero share, and
/// may qualify `candidates` after the product's qualification time.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sourcing {
    pub customers: Vec<Id>,
    pub product: Id,
    /// Supplier id = normal share; shares sum to 1.
    pub suppliers: Sp<BTreeMap<Id, Num>>,
    /// Qualified suppliers at zero share (ready alternates).
    #[serde(default)]
    pub alternates: Vec<Id>,
    /// Unqualified suppliers at zero share.
    #[serde(default)]
    pub candidates: Vec<Id>,
    #[schemars(range(min = 1, max = 520))]
    pub lead_weeks: Option<Sp<i64>>,
    #[schemars(range(min = 0, max = 4294967295u32))]
    pub priority: Option<Sp<i64>>,
    /// As [`Link::order`].
    #[serde(skip)]
    #[schemars(skip)]
    pub order: (usize, usize),
}

/// A probability distribution, written as a one-key table:
/// `{ fixed = 3 }`, `{ uniform = { min = 0, max = 10 } }`, ...
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    Fixed(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Beta-PERT on [min, max] with the given mode.
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Lognormal with the given median (= e^mu) and sigma of the log.
    Lognormal {
        median: f64,
        sigma: f64,
    },
    /// Beta on (0, 1) with the given mean and standard deviation.
    Beta {
        mean: f64,
        sd: f64,
    },
    /// One of `values`, with optional `weights` (default equal).
    Choice {
        values: Vec<f64>,
        weights: Option<Vec<f64>>,
    },
}

/// Selects facilities: a facility matches when it matches every non-empty
/// field (and any entry within a field).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilitySelector {
    #[serde(default)]
    pub facilities: Vec<Id>,
    #[serde(default)]
    pub countries: Vec<Id>,
    #[serde(default)]
    pub blocs: Vec<Id>,
    #[serde(default)]
    pub products: Vec<Id>,
    #[serde(default)]
    pub kinds: Vec<Sp<FacilityKind>>,
}

/// Selects a trade lane: shipments of `products` (all when empty) from
/// facilities in any of `from` to customers in any of `to` (country or bloc ids).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneSelector {
    pub from: Vec<Id>,
    pub to: Vec<Id>,
    #[serde(default)]
    pub products: Vec<Id>,
}

/// Selects customers (markets and facilities) by id, place, sector or kind.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSelector {
    #[serde(default)]
    pub markets: Vec<Id>,
    #[serde(default)]
    pub facilities: Vec<Id>,
    #[serde(default)]
    pub countries: Vec<Id>,
    #[serde(default)]
    pub blocs: Vec<Id>,
    #[serde(default)]
    pub sectors: Vec<Sp<Sector>>,
    #[serde(default)]
    pub kinds: Vec<Sp<FacilityKind>>,
}

/// Selects market demand (severity is the fractional rise: 0.2 = +20 %).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandSelector {
    #[serde(default)]
    pub markets: Vec<Id>,
    #[serde(default)]
    pub countries: Vec<Id>,
    #[serde(default)]
    pub blocs: Vec<Id>,
    #[serde(default)]
    pub sectors: Vec<Sp<Sector>>,
    #[serde(default)]
    pub products: Vec<Id>,
}

/// A shock this one sets off.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub shock: Id,
    /// Probability the triggered shock follows (0..1).
    #[schemars(range(min = 0, max = 1))]
    pub probability: Num,
    /// Weeks from this shock's onset to the triggered one's (default 0).
    pub lag_weeks: Option<Sp<Dist>>,
}

/// A disruption. Exactly one target: `capacity`, `lane`, `demand` or `revoke`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// Probability it occurs within the horizon (0..1). 0 = only when triggered.
    #[schemars(range(min = 0, max = 1))]
    pub probability: Option<Num>,
    /// Alternatively, a yearly rate of occurrence (Poisson).
    #[schemars(range(min = 0))]
    pub rate_per_year: Option<Num>,
    /// Week of onset (default uniform over the horizon).
    pub onset_week: Option<Sp<Dist>>,
    /// Weeks at full severity.
    pub duration_weeks: Option<Sp<Dist>>,
    /// Fraction of capacity lost / of the lane blocked (0..1), or for demand
    /// shocks the fractional rise in demand.
    pub severity: Option<Sp<Dist>>,
    /// Weeks to ramp back after the shock ends (default: each facility's own).
    pub recovery_weeks: Option<Sp<Dist>>,
    pub capacity: Option<FacilitySelector>,
    pub lane: Option<LaneSelector>,
    pub demand: Option<DemandSelector>,
    /// A political shock: revokes these agreements (bloc ids) from its onset.
    pub revoke: Option<Vec<Id>>,
    #[serde(default)]
    pub trigger: Vec<Trigger>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// New capacity built at home (CHIPS Act fabs, Rapidus). Survives every
/// political shock.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reshore {
    pub country: Id,
    pub product: Id,
    pub firm: Option<Sp<String>>,
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub capacity_per_week: Num,
    /// Weeks from the start of the horizon until it produces (0 = built).
    #[schemars(range(min = 0))]
    pub build_weeks: Option<Num>,
    /// Weeks from first output to full capacity.
    #[schemars(range(min = 0))]
    pub ramp_weeks: Option<Num>,
    /// An existing facility whose recipe, capital inputs and input sourcing
    /// the new one copies.
    pub template: Id,
    /// Customers that move part of their sourcing to the new capacity.
    #[serde(default)]
    pub customers: CustomerSelector,
    /// Share of each selected customer's need moved to the new capacity.
    #[schemars(range(min = 0, max = 1))]
    pub share: Num,
}

/// Moves sourcing toward suppliers in an allied bloc, under an agreement.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Friendshore {
    pub product: Id,
    #[serde(default)]
    pub customers: CustomerSelector,
    /// Countries or blocs whose suppliers lose share.
    pub from: Vec<Id>,
    /// The bloc whose suppliers gain it (and are qualified).
    pub to: Id,
    /// Fraction of the share held by `from` suppliers that moves (0..1).
    #[schemars(range(min = 0, max = 1))]
    pub share: Num,
    /// Extra capacity added to the receiving suppliers, as a fraction of their
    /// capacity (default 0).
    #[schemars(range(min = 0))]
    pub extra_capacity_fraction: Option<Num>,
}

/// When a stockpile may be drawn below its raised target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Release {
    /// Used like any inventory.
    #[default]
    Always,
    /// Held back except while a shock is active.
    DuringShock,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stockpile {
    #[serde(default)]
    pub customers: CustomerSelector,
    pub products: Vec<Id>,
    /// New inventory target, in weeks of normal use.
    #[schemars(range(min = 0))]
    pub inventory_weeks: Num,
    /// Holding cost per year as a fraction of the stock's value (default 0.2).
    #[schemars(range(min = 0))]
    pub holding_rate_per_year: Option<Num>,
    pub release: Option<Sp<Release>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DualSource {
    #[serde(default)]
    pub customers: CustomerSelector,
    pub products: Vec<Id>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisSharing {
    /// Products shared (all when empty).
    #[serde(default)]
    pub products: Vec<Id>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportControl {
    pub from: Vec<Id>,
    pub to: Vec<Id>,
    #[serde(default)]
    pub products: Vec<Id>,
}

/// A policy: exactly one action, with its costs.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: Id,
    pub name: Option<Sp<String>>,
    /// The agreement (a bloc with `agreement = true`) the policy rests on.
    pub agreement: Option<Id>,
    /// One-off capital cost in USD.
    #[schemars(range(min = 0))]
    pub capex_usd: Option<Num>,
    /// Part of the capital cost paid by government, in USD.
    #[schemars(range(min = 0))]
    pub subsidy_usd: Option<Num>,
    /// Recurring cost per year in USD.
    #[schemars(range(min = 0))]
    pub annual_cost_usd: Option<Num>,
    pub reshore: Option<Reshore>,
    pub friendshore: Option<Friendshore>,
    pub stockpile: Option<Stockpile>,
    pub dual_source: Option<DualSource>,
    pub crisis_sharing: Option<CrisisSharing>,
    pub export_control: Option<ExportControl>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// A named set of policies. `baseline` (no policy) always exists.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: Id,
    pub name: Option<Sp<String>>,
    pub policies: Option<Vec<Id>>,
    #[serde(rename = "override")]
    pub override_: Option<Sp<bool>>,
}

/// The JSON Schema of a scenario file, pretty-printed, for TOML editors
/// (taplo / Even Better TOML).
///
/// It checks keys, types and the simple bounds of numbers (`minimum`,
/// `maximum`, `exclusiveMinimum` from the `schemars` attributes above);
/// references, distributions, share sums and the rest are for
/// `chipshock validate`.
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(ScenarioFile).to_value();
    drop_null(&mut schema);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Takes `null` out of the schema. serde lets an optional key be left out
/// or be null, and schemars says so; TOML has no null, so an editor should
/// offer only the value's own type: `"type": ["number", "null"]` becomes
/// `"type": "number"`, and `{ "type": "null" }` leaves every `anyOf`.
fn drop_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    let is_null = |x: &Value| x.get("type").and_then(Value::as_str) == Some("null");
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t.as_str() != Some("null"));
                if let [one] = types.as_slice() {
                    let one = one.clone();
                    map.insert("type".to_string(), one);
                }
            }
            if let Some(Value::Array(any)) = map.get_mut("anyOf") {
                any.retain(|x| !is_null(x));
                if let [one] = any.as_slice() {
                    // `anyOf` of one schema is that schema, beside the
                    // description and bounds already here.
                    let one = one.clone();
                    map.remove("anyOf");
                    if let Value::Object(inner) = one {
                        for (k, x) in inner {
                            map.entry(k).or_insert(x);
                        }
                    }
                }
            }
            for x in map.values_mut() {
                drop_null(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// TOML has no null, and the schema gives the simple bounds of numbers,
    /// so an editor flags a negative capacity or a share of 70.
    #[test]
    fn the_schema_has_bounds_and_no_null() {
        let text = super::json_schema();
        assert!(!text.contains("\"null\""), "the schema allows null");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        let prop = |def: &str, key: &str| schema["$defs"][def]["properties"][key].clone();
        let bounds = |v: &Value| ["minimum", "maximum", "exclusiveMinimum"].map(|k| v[k].as_f64());
        assert_eq!(bounds(&prop("Link", "share")), [Some(0.0), Some(1.0), None]);
        assert_eq!(
            bounds(&prop("Link", "lead_weeks")),
            [Some(1.0), Some(520.0), None]
        );
        assert_eq!(
            bounds(&prop("Meta", "horizon_weeks")),
            [Some(1.0), Some(5200.0), None]
        );
        assert_eq!(
            bounds(&prop("Facility", "capacity_per_week")),
            [None, None, Some(0.0)]
        );
        assert_eq!(
            bounds(&prop("Shock", "probability")),
            [Some(0.0), Some(1.0), None]
        );
        assert_eq!(
            bounds(&prop("Demand", "units_per_week")),
            [Some(0.0), None, None]
        );
        // An optional key has its own type, not "number or null".
        assert_eq!(prop("Facility", "capacity_per_week")["type"], "number");
        assert_eq!(prop("Facility", "kind")["$ref"], "#/$defs/FacilityKind");
    }
}
