//! The engine's compiled form of a [`Network`] and the per-thread state.
//!
//! [`Engine::new`] flattens the network into the arrays the weekly loop
//! walks and re-derives the baseline steady state with *the same floating
//! point expressions the loop uses*, so that a quiet network is an exact
//! fixed point of the loop (not merely a fixed point up to rounding).
//!
//! [`Scratch`] holds one trial's state. The stocks are stored as
//! **deviations from the baseline** (inventory − target, shipments in a
//! pipeline cell − their baseline flows): at baseline every deviation is exactly `0.0`, so the
//! steady state is exact whatever the shares, recipes and lead times, and
//! "back at baseline" is a check for zeros.

use super::bits::{BitRows, Bits, ones};
use super::step::ShareMove;
use crate::network::{Csr, Customer, NeedKind, Network, Shock, ShockTarget};
use crate::sampler::Poisson;
use crate::scenario::Allocation;

/// Rules of the engine that the scenario does not fix. This is also the seam
/// where variants (policies) will act: a policy overlay changes the inputs
/// of [`Engine::new`] (capacities, shares, targets, qualification), never
/// the weekly loop.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Weeks over which a gap in the inventory position is closed (≥ 1).
    /// `1.0` is the order-up-to (base-stock) policy.
    pub replenishment_weeks: f64,
    /// Largest change of any sourcing share per week while shares drift
    /// back to their baseline (fraction of the need, 0..=1).
    pub share_drift_per_week: f64,
    /// Return quiet trials in O(1) and stop a trial once it is back at
    /// baseline after its last shock. Off only to test the loop itself.
    pub fast_forward: bool,
    /// Relative tolerance under which a state counts as back at baseline
    /// (and is snapped to it exactly).
    pub snap_tolerance: f64,
    /// Work only the needs and facilities that may be off their baseline
    /// each week (the rest are exactly at rest). Off, every node is worked
    /// every week, with the same results: only to test the active sets.
    pub active_sets: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            replenishment_weeks: 1.0,
            share_drift_per_week: 0.1,
            fast_forward: true,
            snap_tolerance: 1e-12,
            active_sets: true,
        }
    }
}

/// A need as the loop sees it.
#[derive(Clone, Debug)]
pub(crate) struct NeedRt {
    pub kind: NeedKind,
    /// Facility or market index.
    pub owner: u32,
    pub backorder: bool,
    /// Target inventory in units (target weeks × baseline use).
    pub target: f64,
    /// Baseline use per week, as the loop computes it.
    pub base_use: f64,
    /// Weeks of continued shortfall before unqualified links may take share.
    pub qual_weeks: u32,
    /// Position among market needs (`u32::MAX` for facility needs).
    pub mpos: u32,
    /// Owned by a market (else by a facility).
    pub market: bool,
}

/// Whether a link may take share when its need reroutes. Ordered from
/// least standing to most: a regime switch lowers a trial's standing of a
/// link to the new regime's, never raises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Qualification {
    /// Never: the link belongs to other regimes only (what a revoked
    /// friendshoring deal had contracted).
    Withdrawn,
    /// Once its need has been short for the product's qualification weeks.
    Candidate,
    /// At once.
    Qualified,
}

impl Qualification {
    pub(crate) fn of(qualified: bool) -> Qualification {
        if qualified {
            Qualification::Qualified
        } else {
            Qualification::Candidate
        }
    }

    /// Whether the link may take share, its need short for its
    /// qualification weeks or not (`short_long_enough`).
    #[inline(always)]
    pub(crate) fn may_take(self, short_long_enough: bool) -> bool {
        match self {
            Qualification::Qualified => true,
            Qualification::Candidate => short_long_enough,
            Qualification::Withdrawn => false,
        }
    }
}

/// A link as the loop sees it.
#[derive(Clone, Debug)]
pub(crate) struct LinkRt {
    pub supplier: u32,
    pub need: u32,
    pub lead: u32,
    pub base_share: f64,
    /// Baseline weekly flow = `base_use(need) * base_share`.
    pub base_flow: f64,
    pub qualified: Qualification,
}

/// A network compiled for simulation. Immutable; shared by all threads.
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) cfg: EngineConfig,
    pub(crate) horizon: u32,
    pub(crate) threshold: f64,
    pub(crate) needs: Vec<NeedRt>,
    pub(crate) links: Vec<LinkRt>,
    /// The fields of `links` the weekly passes read (links are stored by
    /// need, so a need's links are the contiguous range
    /// `need_links.offsets[n]..need_links.offsets[n + 1]` of every array).
    pub(crate) l_need: Vec<u32>,
    pub(crate) l_lead: Vec<u32>,
    /// Each link's supplier and baseline flow side by side: the order and
    /// shipment walks read both, and one array holds one pointer through
    /// the walk where two arrays hold two.
    pub(crate) l_flow: Vec<LinkFlow>,
    pub(crate) l_base_share: Vec<f64>,
    /// Qualification at baseline (a trial starts from it).
    pub(crate) l_qualified: Vec<Qualification>,
    pub(crate) need_links: Csr,
    /// Facility → its material needs (in `Network::facility_needs` order), with the
    /// units used per unit of output alongside (`mat_per_unit[i]` for
    /// `fac_mat.items[i]`).
    pub(crate) fac_mat: Csr,
    pub(crate) mat_per_unit: Vec<f64>,
    /// Facility → its capital needs, with their service flow and erosion.
    pub(crate) fac_cap: Csr,
    pub(crate) cap_units: Vec<f64>,
    pub(crate) cap_erosion: Vec<f64>,
    /// Facility → links it supplies; for `Priority` facilities sorted by
    /// (priority, link index), otherwise in `supplier_links` order.
    pub(crate) fac_out: Csr,
    /// Per facility, the set of its customer needs (rationing marks them
    /// a word at a time, without going through the links).
    pub(crate) fac_out_needs: BitRows,
    pub(crate) link_priority: Vec<u32>,
    pub(crate) fac_priority: Vec<bool>,
    /// Capacity in units per week.
    pub(crate) cap: Vec<f64>,
    /// Facility's own recovery time, whole weeks.
    pub(crate) fac_recovery: Vec<u32>,
    /// Baseline output (= orders received) per facility.
    pub(crate) base_out: Vec<f64>,
    pub(crate) n_markets: usize,
    /// Market-demand needs in need order; `TrialOutcome::*_by_need` index.
    pub(crate) market_need_ids: Vec<u32>,
    pub(crate) shocks: Vec<Shock>,
    /// Per shock, the needs whose links its lanes cross (empty for other
    /// shocks): a lane change marks them pending a word at a time.
    pub(crate) shock_lane_needs: BitRows,
    /// Poisson count distribution for `RatePerYear` shocks with a large mean.
    pub(crate) poisson: Vec<Option<Poisson>>,
    /// Largest own recovery time over a capacity shock's facilities.
    pub(crate) shock_fac_recovery: Vec<u32>,
    pub(crate) n_blocs: usize,
    /// Per need, flat copies of `NeedRt::target`, `NeedRt::base_use` and
    /// their sum `target + base_use` (the stock a need at rest can draw on),
    /// for the facility pass, which reads nothing else of the need.
    pub(crate) n_target: Vec<f64>,
    pub(crate) n_base_use: Vec<f64>,
    pub(crate) n_rest_stock: Vec<f64>,
    /// Most material needs of any facility (`Scratch::mat_avail` length).
    pub(crate) max_mats: usize,
    /// Most customer links of any facility (`Scratch::out_order` length).
    pub(crate) max_outs: usize,
    /// `max_lead × needs`: the pipeline table (see `Scratch::pipe`).
    pub(crate) pipe_len: usize,
    /// Per need: the lead time shared by all its links, or 0 when they
    /// differ (shipments then enter the pipeline link by link).
    pub(crate) need_lead: Vec<u32>,
    /// Per need: some supplier rations by priority (and may write the
    /// need's shipments itself, marked by `λ < 0`), so its shipment walk
    /// tests `λ`; the others skip the test.
    pub(crate) need_priority: Vec<bool>,
    /// Per market demand need, `F = max(L̄ − 1, 0)` for its lead time `L̄`
    /// (weighted by baseline shares): the weeks of a change in demand its
    /// pipeline holds beyond the one week its order replaces itself (0 for
    /// other needs). See docs/MODEL.md §3.4.
    pub(crate) n_fill: Vec<f64>,
    /// Longest lead time of any link: rows of the pipeline table.
    pub(crate) max_lead: u32,
    /// Units of each need's stock held back while `Scratch::reserve_locked`
    /// (stockpiles released only during a shock); zero without policies.
    pub(crate) reserve: Vec<f64>,
    /// Facilities with an input need that has a reserve: while it is locked
    /// they are worked every week.
    pub(crate) reserve_facilities: Vec<u32>,
    /// Needs with a reserve (`reserve[n] > 0`): what is left of each
    /// reserve is kept week by week (`Scratch::reserve_short`).
    pub(crate) reserve_needs: Vec<u32>,
    /// Baseline spare capacity, `max(cap − base_out, 0)`.
    pub(crate) base_spare: Vec<f64>,
    /// Baseline totals per week: output of all facilities, shipments on all
    /// links, use of all needs (for the conservation totals).
    pub(crate) base_out_total: f64,
    pub(crate) base_ship_total: f64,
    pub(crate) base_use_total: f64,
}

/// Rounds a week count drawn from a distribution: nearest whole week,
/// clamped to `[lo, u32::MAX]` (the `as` cast saturates, NaN gives 0).
#[inline]
pub(crate) fn weeks(x: f64, lo: u32) -> u32 {
    (x.round() as u32).max(lo)
}

impl Engine {
    /// Compiles `net` with the default rules.
    pub fn new(net: &Network) -> Engine {
        Engine::with_config(net, EngineConfig::default())
    }

    /// Compiles `net`. Never fails on a valid network; the baseline is
    /// re-derived here so that it is an exact fixed point of the loop.
    pub fn with_config(net: &Network, cfg: EngineConfig) -> Engine {
        let nf = net.facilities.len();
        let mut cfg = cfg;
        if cfg.replenishment_weeks.is_nan() || cfg.replenishment_weeks < 1.0 {
            cfg.replenishment_weeks = 1.0;
        }
        cfg.share_drift_per_week = cfg.share_drift_per_week.clamp(1e-6, 1.0);

        // Links.
        let mut links: Vec<LinkRt> = net
            .links
            .iter()
            .map(|l| LinkRt {
                supplier: l.supplier,
                need: l.need,
                lead: l.lead_weeks.max(1),
                base_share: l.share,
                base_flow: 0.0,
                qualified: Qualification::of(l.qualified),
            })
            .collect();
        let max_lead = links.iter().map(|l| l.lead).max().unwrap_or(1);

        // Needs.
        let mut mpos_next = 0u32;
        let mut market_need_ids = Vec::new();
        let mut needs: Vec<NeedRt> = net
            .needs
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (owner, backorder, market) = match n.customer {
                    Customer::Facility(f) => (f, false, false),
                    Customer::Market(m) => (m, net.markets[m as usize].backorder, true),
                };
                let mpos = if market && matches!(n.kind, NeedKind::Demand { .. }) {
                    market_need_ids.push(i as u32);
                    mpos_next += 1;
                    mpos_next - 1
                } else {
                    u32::MAX
                };
                let q = net
                    .products
                    .get(n.product as usize)
                    .map_or(0.0, |p| p.qualification_weeks);
                NeedRt {
                    kind: n.kind,
                    owner,
                    backorder,
                    target: 0.0,
                    base_use: 0.0,
                    qual_weeks: (q.max(0.0).ceil() as u32).max(1),
                    mpos,
                    market,
                }
            })
            .collect();

        // Supplier rows, priority-sorted where the facility rations by priority.
        let fac_priority: Vec<bool> = net
            .facilities
            .iter()
            .map(|f| f.allocation == Allocation::Priority)
            .collect();
        let link_priority: Vec<u32> = net.links.iter().map(|l| l.priority).collect();
        let mut fac_out = net.supplier_links.clone();
        for (f, &prio) in fac_priority.iter().enumerate() {
            if prio && f + 1 < fac_out.offsets.len() {
                let (a, b) = (fac_out.offsets[f] as usize, fac_out.offsets[f + 1] as usize);
                fac_out.items[a..b].sort_by_key(|&l| (link_priority[l as usize], l));
            }
        }

        let fac_out_needs = BitRows::from_rows((0..nf).map(|f| {
            fac_out
                .row(f)
                .iter()
                .map(|&l| links[l as usize].need as usize)
        }));

        // Baseline, with the loop's own expressions: a market or capital
        // need's use is its declared flow; a facility's output equals the
        // orders it receives, summed over its out-links in `fac_out` order;
        // a material need's use is `per_unit * output`; a link's flow is
        // `use * share`. Customers come before suppliers (reverse topo).
        let mut base_out = vec![0.0; nf];
        let set_flows = |n: usize, u: f64, links: &mut Vec<LinkRt>| {
            for &l in net.need_links.row(n) {
                let lk = &mut links[l as usize];
                lk.base_flow = u * lk.base_share;
            }
        };
        for (n, need) in needs.iter_mut().enumerate() {
            match need.kind {
                NeedKind::Capital { units_per_week, .. } => {
                    need.base_use = units_per_week;
                    set_flows(n, units_per_week, &mut links);
                }
                NeedKind::Demand { units_per_week, .. } => {
                    need.base_use = units_per_week;
                    set_flows(n, units_per_week, &mut links);
                }
                NeedKind::Material { .. } => {}
            }
        }
        let order = topo_or_fallback(net);
        for &f in order.iter().rev() {
            let f = f as usize;
            // Summed in link-index order, as the loop's supplier pass does.
            let mut row: Vec<u32> = fac_out.row(f).to_vec();
            row.sort_unstable();
            let mut recv = 0.0;
            for &l in &row {
                recv += links[l as usize].base_flow;
            }
            base_out[f] = recv;
            for &n in net.facility_needs.row(f) {
                let n = n as usize;
                if let NeedKind::Material { per_unit } = needs[n].kind {
                    let u = per_unit * recv;
                    needs[n].base_use = u;
                    set_flows(n, u, &mut links);
                }
            }
        }
        for (need, src) in needs.iter_mut().zip(&net.needs) {
            need.target = src.target_weeks.max(0.0) * need.base_use;
        }

        // Capacity: a base load within 1e-9 of capacity (rounding in the
        // compiler's own baseline) is treated as fitting exactly.
        let cap: Vec<f64> = net
            .facilities
            .iter()
            .zip(&base_out)
            .map(|(f, &b)| {
                let c = f.capacity_per_week.max(0.0);
                if c >= b * (1.0 - 1e-9) { c.max(b) } else { c }
            })
            .collect();
        let fac_recovery: Vec<u32> = net
            .facilities
            .iter()
            .map(|f| weeks(f.recovery_weeks, 0))
            .collect();

        let horizon = net.settings.horizon_weeks;
        let base_spare: Vec<f64> = cap
            .iter()
            .zip(&base_out)
            .map(|(c, b)| (c - b).max(0.0))
            .collect();
        let (mut mat_pairs, mut mat_per_unit) = (Vec::new(), Vec::new());
        let (mut cap_pairs, mut cap_units, mut cap_erosion) = (Vec::new(), Vec::new(), Vec::new());
        for f in 0..nf {
            for &n in net.facility_needs.row(f) {
                match needs[n as usize].kind {
                    NeedKind::Material { per_unit } => {
                        mat_pairs.push((f as u32, n));
                        mat_per_unit.push(per_unit);
                    }
                    NeedKind::Capital {
                        units_per_week,
                        erosion_per_week,
                    } => {
                        cap_pairs.push((f as u32, n));
                        cap_units.push(units_per_week);
                        cap_erosion.push(erosion_per_week);
                    }
                    NeedKind::Demand { .. } => {}
                }
            }
        }
        let fac_mat = Csr::from_pairs(nf, mat_pairs);
        let fac_cap = Csr::from_pairs(nf, cap_pairs);
        let n_target: Vec<f64> = needs.iter().map(|n| n.target).collect();
        let n_base_use: Vec<f64> = needs.iter().map(|n| n.base_use).collect();
        let n_rest_stock: Vec<f64> = needs.iter().map(|n| n.target + n.base_use).collect();
        let max_mats = (0..nf).map(|f| fac_mat.row(f).len()).max().unwrap_or(0);
        let max_outs = (0..nf).map(|f| fac_out.row(f).len()).max().unwrap_or(0);
        let need_priority: Vec<bool> = (0..needs.len())
            .map(|n| {
                net.need_links
                    .row(n)
                    .iter()
                    .any(|&l| fac_priority[links[l as usize].supplier as usize])
            })
            .collect();
        let need_lead: Vec<u32> = (0..needs.len())
            .map(|n| {
                let mut leads = net
                    .need_links
                    .row(n)
                    .iter()
                    .map(|&l| links[l as usize].lead);
                let first = leads.next().unwrap_or(0);
                if leads.all(|x| x == first) { first } else { 0 }
            })
            .collect();
        let n_fill: Vec<f64> = (0..needs.len())
            .map(|n| {
                if needs[n].mpos == u32::MAX {
                    return 0.0;
                }
                let (mut weighted, mut total) = (0.0, 0.0);
                for &l in net.need_links.row(n) {
                    let lk = &links[l as usize];
                    weighted += lk.base_share * f64::from(lk.lead);
                    total += lk.base_share;
                }
                if total > 0.0 {
                    (weighted / total - 1.0).max(0.0)
                } else {
                    0.0
                }
            })
            .collect();
        let base_out_total: f64 = base_out.iter().sum();
        let base_ship_total: f64 = links.iter().map(|l| l.base_flow).sum();
        let base_use_total: f64 = needs.iter().map(|n| n.base_use).sum();
        let poisson = net
            .shocks
            .iter()
            .map(|s| match s.occurrence {
                crate::network::Occurrence::RatePerYear(r) => {
                    let mean = r * horizon as f64 / 52.0;
                    if mean > super::schedule::INVERSE_CDF_MAX_MEAN {
                        Poisson::new(mean)
                    } else {
                        None
                    }
                }
                _ => None,
            })
            .collect();
        let shock_fac_recovery = net
            .shocks
            .iter()
            .map(|s| match &s.target {
                ShockTarget::Capacity(fs) => fs
                    .iter()
                    .filter_map(|&f| fac_recovery.get(f as usize))
                    .copied()
                    .max()
                    .unwrap_or(0),
                _ => 0,
            })
            .collect();

        // The passes walk a need's links as a contiguous range.
        assert!(
            net.need_links
                .items
                .iter()
                .enumerate()
                .all(|(i, &l)| l as usize == i),
            "links must be stored by need"
        );
        let shock_lane_needs = BitRows::from_rows(net.shocks.iter().map(|sh| {
            match &sh.target {
                ShockTarget::Lane(ls) => ls
                    .iter()
                    .map(|&l| links[l as usize].need as usize)
                    .collect(),
                _ => Vec::new(),
            }
        }));
        Engine {
            cfg,
            horizon,
            threshold: net.settings.fulfilment_threshold,
            l_need: links.iter().map(|l| l.need).collect(),
            l_lead: links.iter().map(|l| l.lead).collect(),
            l_flow: links
                .iter()
                .map(|l| LinkFlow {
                    base: l.base_flow,
                    supplier: l.supplier,
                })
                .collect(),
            l_base_share: links.iter().map(|l| l.base_share).collect(),
            l_qualified: links.iter().map(|l| l.qualified).collect(),
            needs,
            links,
            need_links: net.need_links.clone(),
            fac_mat,
            mat_per_unit,
            fac_cap,
            cap_units,
            cap_erosion,
            fac_out,
            fac_out_needs,
            link_priority,
            fac_priority,
            cap,
            fac_recovery,
            base_out,
            n_markets: net.markets.len(),
            market_need_ids,
            shock_lane_needs,
            shocks: net.shocks.clone(),
            poisson,
            shock_fac_recovery,
            n_blocs: net.blocs.len(),
            n_target,
            n_base_use,
            n_rest_stock,
            max_mats,
            max_outs,
            pipe_len: max_lead as usize * need_lead.len(),
            need_lead,
            n_fill,
            need_priority,
            max_lead,
            reserve: vec![0.0; net.needs.len()],
            reserve_facilities: Vec::new(),
            reserve_needs: Vec::new(),
            base_spare,
            base_out_total,
            base_ship_total,
            base_use_total,
        }
    }

    /// Holds back `units` of need `n`'s stock while reserves are locked.
    /// Takes link `l` out of this engine's regime: it may never take
    /// share (see [`Qualification::Withdrawn`]). Its share and flow are
    /// the regime's, zero.
    pub(crate) fn withdraw(&mut self, l: usize) {
        self.links[l].qualified = Qualification::Withdrawn;
        self.l_qualified[l] = Qualification::Withdrawn;
    }

    pub(crate) fn set_reserve(&mut self, n: usize, units: f64) {
        self.reserve[n] = units;
        if units > 0.0 && !self.reserve_needs.contains(&(n as u32)) {
            self.reserve_needs.push(n as u32);
        }
        let need = &self.needs[n];
        if !need.market && !self.reserve_facilities.contains(&need.owner) {
            self.reserve_facilities.push(need.owner);
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn horizon(&self) -> u32 {
        self.horizon
    }

    /// Market-demand needs in need order: the index of
    /// `TrialOutcome::lost_units_by_need` and `lost_usd_by_need`.
    pub fn market_need_ids(&self) -> &[u32] {
        &self.market_need_ids
    }

    pub fn market_count(&self) -> usize {
        self.n_markets
    }

    /// Link-week updates in a pass over every link in every week of the
    /// horizon (the work of a trial that simulates every week; for
    /// throughput figures).
    pub fn link_weeks(&self) -> u64 {
        self.links.len() as u64 * self.horizon as u64
    }

    /// The engine's baseline flow on each link (units per week).
    pub fn baseline_link_flow(&self, l: usize) -> f64 {
        self.links[l].base_flow
    }

    /// The engine's baseline output of each facility (units per week).
    pub fn baseline_output(&self, f: usize) -> f64 {
        self.base_out[f]
    }

    /// A fresh per-thread state, at baseline.
    pub fn scratch(&self) -> Scratch {
        let mut s = Scratch::default();
        s.resize(self);
        s.reset(self);
        s
    }
}

/// The network's topological order, or (for a hand-made network that omits
/// it) one computed here; facilities not reached are appended.
fn topo_or_fallback(net: &Network) -> Vec<u32> {
    let nf = net.facilities.len();
    if net.topo_order.len() == nf {
        return net.topo_order.clone();
    }
    let mut indeg = vec![0u32; nf];
    for l in &net.links {
        if let Customer::Facility(c) = net.needs[l.need as usize].customer {
            indeg[c as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..nf as u32).filter(|&f| indeg[f as usize] == 0).collect();
    let mut i = 0;
    while i < order.len() {
        let f = order[i] as usize;
        i += 1;
        for &l in net.supplier_links.row(f) {
            if let Customer::Facility(c) = net.needs[net.links[l as usize].need as usize].customer {
                indeg[c as usize] -= 1;
                if indeg[c as usize] == 0 {
                    order.push(c);
                }
            }
        }
    }
    let mut seen = vec![false; nf];
    for &f in &order {
        seen[f as usize] = true;
    }
    order.extend((0..nf as u32).filter(|&f| !seen[f as usize]));
    order
}

/// A link's baseline flow and supplier (see `Engine::l_flow`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LinkFlow {
    pub base: f64,
    pub supplier: u32,
}

/// The state of one need: what the weekly passes read and write of it
/// together, in one 64-byte record (one cache line and one bounds check
/// per need, where separate arrays cost one of each per quantity).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct NeedState {
    /// End-of-week inventory minus target.
    pub inv_dev: f64,
    /// Everything in flight to the need minus its baseline.
    pub transit_dev: f64,
    /// This week's arrivals minus baseline use.
    pub arr_dev: f64,
    /// Unserved demand carried by back-ordering markets.
    pub backlog: f64,
    /// Capital health of a capital need (1 = installed base intact).
    pub cap_health: f64,
    /// The need's total order this week (last week's, until overwritten).
    pub order: f64,
    /// Consecutive weeks the need has seen a short delivery.
    pub short_weeks: u32,
    /// Week from which its pipeline slots are all zero (no deviation
    /// entered them for `max_lead` weeks).
    pub arrivals_until: u32,
    /// Rerouting must run next week (a short delivery, or shares away from
    /// baseline).
    pub reroute: bool,
    /// Some link delivered short in the need's last shipment pass (so
    /// rerouting looks for the short links only then).
    pub was_short: bool,
    /// Every link delivered short in the need's last shipment pass: no link
    /// can take share from the others, so rerouting has nothing to move.
    pub all_short: bool,
    /// This week: every link orders exactly its baseline flow (the need
    /// orders its baseline use, with baseline shares and open lanes).
    pub quiet: bool,
    /// `ship` of every link is exactly the baseline flow, so a quiet week
    /// need not write it again.
    pub ships_at_base: bool,
    /// Some link's lane is not fully open (`pf ≠ 1`), set with the
    /// passable fractions: the need is not quiet, and its order walk reads
    /// `pf` only then.
    pub lane_cut: bool,
    /// Position within the need of the link that last held its shares off
    /// baseline (below its baseline share, with its lane not fully open or
    /// its supplier without spare capacity), `u16::MAX` if none: rerouting
    /// tests it first, since the same link usually blocks week after week.
    /// A hint only: it is tested again before it is trusted.
    pub drift_blocker: u16,
}

// The record is one cache line; a field added past it would double the
// memory the passes walk.
const _: () = assert!(std::mem::size_of::<NeedState>() == 64);

impl NeedState {
    /// Whether, at this week's order, every link orders exactly its
    /// baseline flow: the need orders its baseline use, with baseline shares
    /// (rerouting is off only then) and open lanes (`base_use × base_share`
    /// is how the baseline was computed).
    #[inline]
    pub fn orders_at_baseline(&self, base_use: f64) -> bool {
        self.order == base_use && !self.reroute && !self.lane_cut
    }

    /// The baseline steady state of a need that uses `base_use` a week.
    fn at_rest(base_use: f64) -> Self {
        NeedState {
            inv_dev: 0.0,
            transit_dev: 0.0,
            arr_dev: 0.0,
            backlog: 0.0,
            cap_health: 1.0,
            order: base_use,
            short_weeks: 0,
            arrivals_until: 0,
            reroute: false,
            was_short: false,
            all_short: false,
            quiet: true,
            ships_at_base: true,
            lane_cut: false,
            drift_blocker: u16::MAX,
        }
    }
}

/// One thread's trial state, reused across trials. Stocks are deviations
/// from baseline (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    // Per need.
    /// The state of each need, one record per need.
    pub(crate) need: Vec<NeedState>,
    /// Demand multiplier from demand shocks.
    pub(crate) dm: Vec<f64>,
    // Per link.
    pub(crate) share: Vec<f64>,
    pub(crate) ship: Vec<f64>,
    /// Passable fraction from lane shocks.
    pub(crate) pf: Vec<f64>,
    pub(crate) qualified: Vec<Qualification>,
    /// The orders and passable fractions of the partly closed customer
    /// links of the facility being rationed, and which of them are capped
    /// at their passable fraction.
    pub(crate) out_order: Vec<f64>,
    pub(crate) out_passable: Vec<f64>,
    pub(crate) out_capped: Vec<bool>,
    /// `slot[lead]`: first index of the pipeline row that this week's
    /// shipments on links of that lead time enter, `((t + lead) % M) × needs`.
    pub(crate) slot: Vec<u32>,
    /// Pipelines as a table of `M = max_lead` rows by needs: a shipment
    /// (minus the baseline flow) sent in week `t` on a link of lead `L` is
    /// added into its need's cell of row `(t + L) % M`, which is read, then
    /// zeroed, in week `t + L`. Arrivals are only ever used summed per need,
    /// so one cell per need and arrival week holds them all.
    pub(crate) pipe: Vec<f64>,
    // Per facility.
    /// Capacity factor from capacity shocks.
    pub(crate) cf: Vec<f64>,
    /// Stock each material need of the facility being worked can draw on
    /// (indexed as its `fac_mat` row).
    pub(crate) mat_avail: Vec<f64>,
    /// Orders received that can pass their lanes.
    pub(crate) recv: Vec<f64>,
    /// This week's receipts minus the baseline, summed over the links of the
    /// needs worked in the order pass (zero outside the week).
    pub(crate) recv_dev: Vec<f64>,
    pub(crate) out: Vec<f64>,
    pub(crate) spare: Vec<f64>,
    /// Water level of each facility: a link ships `order × min(passable,
    /// λ)` (1 when orders are served in full); negative when priority
    /// rationing wrote the shipments.
    pub(crate) lam: Vec<f64>,
    /// Facility has a partly closed lane this week (set with the passable
    /// fractions, by the shocks and the policy driver).
    pub(crate) complex: Vec<bool>,
    // Per market.
    pub(crate) m_req: Vec<f64>,
    pub(crate) m_got: Vec<f64>,
    /// Per market need (by market position), this week's demand due and
    /// served, written when the need is worked (one at rest is due and
    /// served its baseline use, and is not worked).
    pub(crate) due: Vec<f64>,
    pub(crate) served: Vec<f64>,
    // Schedule.
    pub(crate) triggered: Vec<bool>,
    pub(crate) fired_slot: Vec<u32>,
    /// Week each agreement (bloc) was revoked, `u32::MAX` if not.
    pub(crate) revoked_week: Vec<u32>,
    /// Whether the state is exactly the baseline (so a trial needs no reset).
    pub(crate) at_baseline: bool,
    /// Stockpile reserves (`Engine::reserve`) may not be drawn this week
    /// (no shock is active and the policy releases them only during one).
    pub(crate) reserve_locked: bool,
    /// Per need, how much of its reserve is missing (drawn during a shock
    /// and not yet refilled): `reserve − held`, 0 at rest.
    pub(crate) reserve_short: Vec<f64>,
    /// Per fab a policy builds (in order of coming online), the weeks of
    /// building and ramping done: weeks in which none of its capital inputs
    /// was cut off (`sim::variant`). Empty without such fabs.
    pub(crate) build_done: Vec<u32>,
    /// The week `build_done` counts up to (weeks skipped as exact baseline
    /// weeks are caught up: nothing was cut in them).
    pub(crate) build_counted: u32,
    /// Per need, this week: a supplier ships less than it was ordered.
    pub(crate) rationed: Bits,
    /// This week's share moves, each need's planned before any is made
    /// (`Engine::order_pass` plans them, `Engine::make_moves` makes them).
    pub(crate) moves: Vec<ShareMove>,
    /// Per facility, in the rerouting pass: the units of its spare capacity
    /// the planned moves claim, then the fraction of each claim it grants;
    /// zero outside the pass.
    pub(crate) claim: Vec<f64>,
    /// Facilities with a claim this week (the entries of `claim` to zero).
    pub(crate) claimed: Bits,
    /// The links that take share in this week's moves, each move's a range
    /// (`ShareMove`) of the first `n_takers` (one slot per link, so the
    /// planning walks write them without a capacity check).
    pub(crate) takers: Vec<u32>,
    pub(crate) n_takers: usize,
    /// Needs worked this week: every need that may be off its baseline
    /// (see `step`). A need outside the set is exactly at rest: it
    /// orders its baseline, holds its target and has nothing in flight off
    /// baseline, so working it would change nothing.
    pub(crate) need_hot: Bits,
    /// Needs to work next week (filled during this week and by the shocks).
    pub(crate) need_pending: Bits,
    /// Facilities worked this week; one outside is exactly at rest: it
    /// receives its baseline orders, has full capacity and stocks, and its
    /// output, spare capacity and ration hold their baseline values.
    pub(crate) fac_hot: Bits,
    /// Facilities to work next week.
    pub(crate) fac_pending: Bits,
    /// Units produced and consumed (materials, capital, markets) this week:
    /// kept for the conservation tests.
    pub(crate) week_produced: f64,
    pub(crate) week_shipped: f64,
    pub(crate) week_consumed: f64,
}

impl Scratch {
    /// Makes this scratch a copy of `from` (a trial resuming from a
    /// checkpoint), reusing its allocations. Every field is named, so a new
    /// one cannot be forgotten here; the per-facility rationing buffers, the
    /// market needs' sales and the schedule's draw state are working space,
    /// not trial state.
    pub(crate) fn copy_from(&mut self, from: &Scratch) {
        let Scratch {
            need,
            dm,
            share,
            ship,
            pf,
            qualified,
            out_order: _,
            out_passable: _,
            out_capped: _,
            slot,
            pipe,
            cf,
            mat_avail: _,
            recv,
            recv_dev,
            out,
            spare,
            lam,
            complex,
            m_req,
            m_got,
            due: _,
            served: _,
            triggered: _,
            fired_slot: _,
            revoked_week,
            at_baseline,
            reserve_locked,
            reserve_short,
            build_done,
            build_counted,
            rationed,
            moves: _,
            claim: _,
            claimed: _,
            takers: _,
            n_takers: _,
            need_hot,
            need_pending,
            fac_hot,
            fac_pending,
            week_produced,
            week_shipped,
            week_consumed,
        } = from;
        self.need.clone_from(need);
        self.dm.clone_from(dm);
        self.share.clone_from(share);
        self.ship.clone_from(ship);
        self.pf.clone_from(pf);
        self.qualified.clone_from(qualified);
        self.slot.clone_from(slot);
        self.pipe.clone_from(pipe);
        self.cf.clone_from(cf);
        self.recv.clone_from(recv);
        self.recv_dev.clone_from(recv_dev);
        self.out.clone_from(out);
        self.spare.clone_from(spare);
        self.lam.clone_from(lam);
        self.complex.clone_from(complex);
        self.m_req.clone_from(m_req);
        self.m_got.clone_from(m_got);
        self.revoked_week.clone_from(revoked_week);
        self.at_baseline = *at_baseline;
        self.reserve_locked = *reserve_locked;
        self.reserve_short.clone_from(reserve_short);
        self.build_done.clone_from(build_done);
        self.build_counted = *build_counted;
        self.rationed.clone_from(rationed);
        self.need_hot.clone_from(need_hot);
        self.need_pending.clone_from(need_pending);
        self.fac_hot.clone_from(fac_hot);
        self.fac_pending.clone_from(fac_pending);
        self.week_produced = *week_produced;
        self.week_shipped = *week_shipped;
        self.week_consumed = *week_consumed;
    }

    fn resize(&mut self, e: &Engine) {
        let (nn, nl, nf) = (e.needs.len(), e.links.len(), e.cap.len());
        self.dm.resize(nn, 0.0);
        self.reserve_short.resize(nn, 0.0);
        self.need.resize(nn, NeedState::at_rest(0.0));
        for b in [
            &mut self.rationed,
            &mut self.need_hot,
            &mut self.need_pending,
        ] {
            b.resize(nn);
        }
        self.fac_hot.resize(nf);
        self.fac_pending.resize(nf);
        self.claimed.resize(nf);
        self.claim.clear();
        self.claim.resize(nf, 0.0);
        // (Capacity for every need: the weekly loop never allocates.)
        self.moves.clear();
        self.moves.reserve(nn);
        self.takers.clear();
        self.takers.resize(nl, 0);
        self.n_takers = 0;
        for v in [&mut self.share, &mut self.ship, &mut self.pf] {
            v.resize(nl, 0.0);
        }
        self.qualified.resize(nl, Qualification::Candidate);

        self.pipe.resize(e.pipe_len, 0.0);
        self.slot.clear();
        self.slot.resize(e.max_lead as usize + 1, 0);
        for v in [
            &mut self.cf,
            &mut self.recv,
            &mut self.recv_dev,
            &mut self.out,
            &mut self.spare,
            &mut self.lam,
        ] {
            v.resize(nf, 0.0);
        }
        self.complex.resize(nf, false);
        self.mat_avail.resize(e.max_mats, 0.0);
        self.out_order.resize(e.max_outs, 0.0);
        self.out_passable.resize(e.max_outs, 0.0);
        self.out_capped.resize(e.max_outs, false);
        self.m_req.resize(e.n_markets, 0.0);
        self.m_got.resize(e.n_markets, 0.0);
        self.due.resize(e.market_need_ids.len(), 0.0);
        self.served.resize(e.market_need_ids.len(), 0.0);
        self.triggered.resize(e.shocks.len(), false);
        self.revoked_week.resize(e.n_blocs, u32::MAX);
        self.at_baseline = false;
    }

    /// Makes sure the arrays fit `e` (a scratch made for another engine is
    /// resized once, then reused).
    pub(crate) fn ensure(&mut self, e: &Engine) {
        if self.need.len() != e.needs.len()
            || self.share.len() != e.links.len()
            || self.cf.len() != e.cap.len()
            || self.pipe.len() != e.pipe_len
            || self.mat_avail.len() != e.max_mats
            || self.out_order.len() != e.max_outs
            || self.slot.len() != e.max_lead as usize + 1
            || self.m_req.len() != e.n_markets
            || self.due.len() != e.market_need_ids.len()
            || self.triggered.len() != e.shocks.len()
            || self.revoked_week.len() != e.n_blocs
        {
            self.resize(e);
        }
    }

    /// Puts the state exactly at the baseline steady state.
    pub(crate) fn reset(&mut self, e: &Engine) {
        for (st, &base_use) in self.need.iter_mut().zip(&e.n_base_use) {
            *st = NeedState::at_rest(base_use);
        }
        self.dm.fill(1.0);
        self.reserve_short.fill(0.0);
        self.build_done.fill(0);
        self.build_counted = 0;
        self.share.copy_from_slice(&e.l_base_share);
        for (x, lf) in self.ship.iter_mut().zip(&e.l_flow) {
            *x = lf.base;
        }
        self.qualified.copy_from_slice(&e.l_qualified);
        self.pf.fill(1.0);

        self.pipe.fill(0.0);
        self.cf.fill(1.0);
        self.recv.copy_from_slice(&e.base_out);
        self.recv_dev.fill(0.0);
        self.out.copy_from_slice(&e.base_out);
        self.spare.copy_from_slice(&e.base_spare);
        self.lam.fill(1.0);
        self.complex.fill(false);
        self.rationed.clear();
        self.need_hot.clear();
        self.need_pending.clear();
        self.fac_hot.clear();
        self.fac_pending.clear();
        self.m_req.fill(0.0);
        self.m_got.fill(0.0);
        self.revoked_week.fill(u32::MAX);
        self.reserve_locked = false;
        self.at_baseline = true;
    }

    /// Closes lane `l` (of `need`, supplied by `supplier`) for this week: a
    /// policy's permanent closure, applied after the week's shocks.
    pub(crate) fn close_lane(&mut self, l: usize, need: usize, supplier: usize) {
        self.pf[l] = 0.0;
        self.need_pending.insert(need);
        self.complex[supplier] = true;
        self.need[need].lane_cut = true;
    }

    /// Re-expresses the state, measured against `from`'s baseline, against
    /// `to`'s (a policy regime switch). Stocks and shipments in flight are
    /// unchanged; only the baseline they are measured against moves. Both
    /// engines must be compiled from the same union network. `t` is the
    /// week about to be simulated.
    ///
    /// Only the needs and facilities whose baseline differs between the two
    /// engines can be off their rest state because of the switch; they join
    /// the active sets (with rerouting, toward their new shares). Every other
    /// node holds, against `to`, exactly the values it held against `from`.
    pub(crate) fn rebase(&mut self, from: &Engine, to: &Engine, t: u32) {
        self.rebase_by(from, &RegimeChange::between(from, to), t);
    }

    /// [`rebase`](Self::rebase) with the differences between the two
    /// engines already found (`change`, from `from` to the other).
    pub(crate) fn rebase_by(&mut self, from: &Engine, change: &RegimeChange, t: u32) {
        let (m, nn) = (from.max_lead as usize, from.needs.len());
        for (&l, &to_flow) in change.flows.iter().zip(&change.to_flow) {
            let a = &from.links[l as usize];
            let d = a.base_flow - to_flow;
            // Arrivals due: weeks t .. t + lead - 1, rows mod M.
            for k in 0..a.lead as usize {
                self.pipe[((t as usize + k) % m) * nn + a.need as usize] += d;
            }
            self.need[a.need as usize].transit_dev += d * f64::from(a.lead);
        }
        // A standing the new regime lowers (a revoked deal's contracted
        // second source) lapses to it.
        for (&l, &to) in change.lapsed.iter().zip(&change.lapsed_to) {
            let q = &mut self.qualified[l as usize];
            *q = (*q).min(to);
        }
        for (st, d) in self.need.iter_mut().zip(&change.target_delta) {
            st.inv_dev += d;
        }
        // A reserve of another size holds what the old one held, up to its
        // size: one that comes into being (the stockpile of a fab just
        // online) starts empty and fills from surplus.
        for &(n, from_size, to_size) in &change.reserves {
            let held = from_size - self.reserve_short[n as usize];
            self.reserve_short[n as usize] = (to_size - held).max(0.0);
        }
        for &n in &change.needs {
            // Orders and shipments are now measured against other baseline
            // flows; live slots may now be nonzero (they arrive by week
            // t + M - 1).
            let st = &mut self.need[n as usize];
            st.quiet = false;
            st.ships_at_base = false;
            st.reroute = true;
            st.arrivals_until = st.arrivals_until.max(t + from.max_lead);
            self.need_pending.insert(n as usize);
        }
        for &f in &change.facilities {
            self.fac_pending.insert(f as usize);
        }
    }

    /// True when the trial state is *exactly* the baseline steady state.
    pub fn state_equals_baseline(&self, e: &Engine) -> bool {
        let zero = |v: &[f64]| v.iter().all(|&x| x == 0.0);
        self.need.iter().all(|st| {
            st.inv_dev == 0.0
                && st.transit_dev == 0.0
                && st.backlog == 0.0
                && st.cap_health == 1.0
                && st.short_weeks == 0
        }) && zero(&self.pipe)
            && zero(&self.reserve_short)
            && e.links.iter().enumerate().all(|(l, lk)| {
                self.share[l] == lk.base_share
                    && self.link_order(e, l) == lk.base_flow
                    && self.ship[l] == lk.base_flow
            })
            && self.recv == e.base_out
            && self.out == e.base_out
    }

    /// True when the state is within `tol` (relative to each quantity's
    /// baseline scale) of the baseline; shocks must be over for this to mean
    /// the rest of the trial is quiet. Call after a week: only the nodes
    /// pending for next week are checked, since every other one is exactly
    /// at rest.
    pub(crate) fn near_baseline(&self, e: &Engine, tol: f64) -> bool {
        let (nn, nf) = (e.needs.len(), e.cap.len());
        let pending = || {
            self.need_pending
                .words()
                .iter()
                .enumerate()
                .flat_map(move |(w, &word)| ones(w, word, nn))
        };
        let links =
            |n: usize| e.need_links.offsets[n] as usize..e.need_links.offsets[n + 1] as usize;
        // Cheapest first: stocks, then links, then pipeline slots.
        for n in pending() {
            let need = &e.needs[n];
            let scale = tol * (need.target + need.base_use + 1.0);
            if self.need[n].inv_dev.abs() > scale
                || self.need[n].transit_dev.abs() > scale
                || self.need[n].backlog != 0.0
                || self.need[n].cap_health != 1.0
                || self.need[n].short_weeks != 0
            {
                return false;
            }
        }
        for n in pending() {
            for l in links(n) {
                let lk = &e.links[l];
                let scale = tol * (lk.base_flow + 1.0);
                if self.share[l] != lk.base_share
                    || (self.link_order(e, l) - lk.base_flow).abs() > scale
                    || (self.ship[l] - lk.base_flow).abs() > scale
                {
                    return false;
                }
            }
        }
        for (w, &word) in self.fac_pending.words().iter().enumerate() {
            for f in ones(w, word, nf) {
                let b = e.base_out[f];
                if (self.recv[f] - b).abs() > tol * (b + 1.0) {
                    return false;
                }
            }
        }
        for n in pending() {
            let scale = tol * (e.needs[n].base_use + 1.0);
            for r in 0..e.max_lead as usize {
                if self.pipe[r * nn + n].abs() > scale {
                    return false;
                }
            }
        }
        true
    }

    /// Revocation week of each agreement (bloc index) in the last trial,
    /// `None` if it stood. Policies resting on it stop from that week.
    pub fn revoked_week(&self, bloc: usize) -> Option<u32> {
        self.revoked_week
            .get(bloc)
            .copied()
            .filter(|&w| w != u32::MAX)
    }

    /// Current inventory of a need, in units.
    pub fn inventory(&self, e: &Engine, n: usize) -> f64 {
        e.needs[n].target + self.need[n].inv_dev
    }

    /// Units in flight to a need, summed over its pipeline cells (a record
    /// kept apart from the running total the loop uses, so that tests can
    /// check one against the other).
    pub fn in_transit(&self, e: &Engine, n: usize) -> f64 {
        let nn = e.needs.len();
        let base: f64 = e
            .need_links
            .row(n)
            .iter()
            .map(|&l| e.links[l as usize].base_flow * f64::from(e.links[l as usize].lead))
            .sum();
        let dev: f64 = (0..e.max_lead as usize)
            .map(|r| self.pipe[r * nn + n])
            .sum();
        base + dev
    }

    /// Current sourcing share of a link.
    pub fn share(&self, l: usize) -> f64 {
        self.share[l]
    }

    /// This week's output of a facility.
    pub fn output(&self, f: usize) -> f64 {
        self.out[f]
    }

    /// This week's shipment on a link.
    pub fn shipment(&self, l: usize) -> f64 {
        self.ship[l]
    }

    /// This week's order on link `l` of engine `e`: its need's order
    /// split by the link's share (the product the loop forms; orders are
    /// not stored per link).
    pub fn link_order(&self, e: &Engine, l: usize) -> f64 {
        self.need[e.l_need[l] as usize].order * self.share[l]
    }

    /// Back-ordered demand of a need.
    pub fn backlog(&self, n: usize) -> f64 {
        self.need[n].backlog
    }

    /// This week's units produced by all facilities, shipped on all links,
    /// and consumed (inputs used by facilities, demand served by markets).
    pub fn week_totals(&self) -> (f64, f64, f64) {
        (self.week_produced, self.week_shipped, self.week_consumed)
    }
}

/// What a switch from one engine to another of the same union network (a
/// policy regime switch) changes, found once per pair of engines: a trial
/// switches regime several times, and comparing the two engines whole at
/// each switch cost as much as a dozen simulated weeks.
#[derive(Clone, Debug)]
pub(crate) struct RegimeChange {
    /// Links whose baseline flow differs, in link order, and each one's
    /// flow under the other engine.
    flows: Vec<u32>,
    to_flow: Vec<f64>,
    /// Links whose standing the other engine lowers, and to what.
    lapsed: Vec<u32>,
    lapsed_to: Vec<Qualification>,
    /// Per need, the old target less the new (every need: a stock is
    /// re-expressed against its new target by one addition, even of zero).
    target_delta: Vec<f64>,
    /// Needs whose reserve differs, with its size under each engine.
    reserves: Vec<(u32, f64, f64)>,
    /// Needs and facilities whose rest state differs.
    needs: Vec<u32>,
    facilities: Vec<u32>,
}

impl RegimeChange {
    pub(crate) fn between(from: &Engine, to: &Engine) -> RegimeChange {
        let (mut flows, mut to_flow) = (Vec::new(), Vec::new());
        let (mut lapsed, mut lapsed_to) = (Vec::new(), Vec::new());
        for (l, (a, b)) in from.links.iter().zip(&to.links).enumerate() {
            if a.base_flow - b.base_flow != 0.0 {
                flows.push(l as u32);
                to_flow.push(b.base_flow);
            }
            if b.qualified < a.qualified {
                lapsed.push(l as u32);
                lapsed_to.push(b.qualified);
            }
        }
        RegimeChange {
            flows,
            to_flow,
            lapsed,
            lapsed_to,
            target_delta: from
                .needs
                .iter()
                .zip(&to.needs)
                .map(|(a, b)| a.target - b.target)
                .collect(),
            reserves: (0..from.needs.len())
                .filter(|&n| from.reserve[n] != to.reserve[n])
                .map(|n| (n as u32, from.reserve[n], to.reserve[n]))
                .collect(),
            needs: (0..from.needs.len())
                .filter(|&n| !need_baseline_equal(from, to, n))
                .map(|n| n as u32)
                .collect(),
            facilities: (0..from.cap.len())
                .filter(|&f| !facility_baseline_equal(from, to, f))
                .map(|f| f as u32)
                .collect(),
        }
    }
}

/// Whether need `n` rests in the same state under both engines: the same
/// use, target, reserve and kind, and on every link the same baseline
/// share, flow, qualification and priority.
fn need_baseline_equal(a: &Engine, b: &Engine, n: usize) -> bool {
    let (na, nb) = (&a.needs[n], &b.needs[n]);
    let links = a.need_links.offsets[n] as usize..a.need_links.offsets[n + 1] as usize;
    na.kind == nb.kind
        && na.target == nb.target
        && na.base_use == nb.base_use
        && na.qual_weeks == nb.qual_weeks
        && a.reserve[n] == b.reserve[n]
        && links.into_iter().all(|l| {
            let (la, lb) = (&a.links[l], &b.links[l]);
            la.base_share == lb.base_share
                && la.base_flow == lb.base_flow
                && la.qualified == lb.qualified
                && a.link_priority[l] == b.link_priority[l]
        })
}

/// Whether facility `f` rests in the same state under both engines: the
/// same capacity, baseline output and spare, recovery, allocation rule and
/// recipe.
fn facility_baseline_equal(a: &Engine, b: &Engine, f: usize) -> bool {
    let row = |c: &Csr| c.offsets[f] as usize..c.offsets[f + 1] as usize;
    let (mats, caps) = (row(&a.fac_mat), row(&a.fac_cap));
    a.cap[f] == b.cap[f]
        && a.base_out[f] == b.base_out[f]
        && a.base_spare[f] == b.base_spare[f]
        && a.fac_recovery[f] == b.fac_recovery[f]
        && a.fac_priority[f] == b.fac_priority[f]
        && a.mat_per_unit[mats.clone()] == b.mat_per_unit[mats]
        && a.cap_units[caps.clone()] == b.cap_units[caps.clone()]
        && a.cap_erosion[caps.clone()] == b.cap_erosion[caps]
}
