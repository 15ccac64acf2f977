//! The baseline steady state and the structural chokepoints.
//!
//! Baseline flows are solved backward from market demand: a link carries
//! its share of its customer's need; a facility makes what its links carry;
//! its material needs are that output times the recipe, its capital needs a
//! fixed service flow. Walking facilities customers-first makes this one
//! pass, exact up to floating-point rounding.

use serde::Serialize;

use super::{Baseline, Csr, Facility, Link, Need, NeedKind, Network};

/// Solves the baseline flows and stores each need's baseline use.
/// `topo_order` lists suppliers before customers.
pub(super) fn solve(
    facilities: &[Facility],
    needs: &mut [Need],
    links: &[Link],
    need_links: &Csr,
    facility_needs: &Csr,
    supplier_links: &Csr,
    topo_order: &[u32],
) -> Baseline {
    let mut output = vec![0.0; facilities.len()];
    let mut link_flow = vec![0.0; links.len()];
    // Customers first: a facility's output is known once every customer's
    // need is known.
    for &f in topo_order.iter().rev() {
        let f = f as usize;
        let mut out = 0.0;
        for &l in supplier_links.row(f) {
            let link = &links[l as usize];
            out += link.share * needs[link.need as usize].baseline_use;
        }
        output[f] = out;
        for &n in facility_needs.row(f) {
            let need = &mut needs[n as usize];
            need.baseline_use = match need.kind {
                NeedKind::Material { per_unit } => out * per_unit,
                NeedKind::Capital { units_per_week, .. } => units_per_week,
                NeedKind::Demand { units_per_week, .. } => units_per_week,
            };
        }
    }
    for (ni, need) in needs.iter().enumerate() {
        for &l in need_links.row(ni) {
            link_flow[l as usize] = links[l as usize].share * need.baseline_use;
        }
    }
    Baseline {
        facility_output: output,
        link_flow,
    }
}

/// A product where one country or one firm holds more than 65 % of world
/// capacity (the SIA/BCG definition of a single point of failure).
#[derive(Clone, Debug, Serialize)]
pub struct Chokepoint {
    pub product: String,
    /// "country" or "firm".
    pub holder_kind: &'static str,
    pub holder: String,
    /// Share of world capacity, 0..1.
    pub share: f64,
}

/// Threshold of the SIA/BCG chokepoint definition.
pub const CHOKEPOINT_SHARE: f64 = 0.65;

/// Every product with a country or firm above [`CHOKEPOINT_SHARE`] of its
/// world capacity, largest share first.
pub fn chokepoints(net: &Network) -> Vec<Chokepoint> {
    let mut out = Vec::new();
    for (pi, p) in net.products.iter().enumerate() {
        let makers: Vec<&Facility> = net
            .facilities
            .iter()
            .filter(|f| f.product as usize == pi)
            .collect();
        let total: f64 = makers.iter().map(|f| f.capacity_per_week).sum();
        if total <= 0.0 {
            continue;
        }
        let mut by_country: Vec<(String, f64)> = Vec::new();
        let mut by_firm: Vec<(String, f64)> = Vec::new();
        for f in &makers {
            let c = net.countries[f.country as usize].name.clone();
            add(&mut by_country, c, f.capacity_per_week);
            if let Some(firm) = &f.firm {
                add(&mut by_firm, firm.clone(), f.capacity_per_week);
            }
        }
        for (kind, list) in [("country", by_country), ("firm", by_firm)] {
            for (holder, cap) in list {
                let share = cap / total;
                if share > CHOKEPOINT_SHARE {
                    out.push(Chokepoint {
                        product: p.id.clone(),
                        holder_kind: kind,
                        holder,
                        share,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.product.cmp(&b.product)));
    out
}

fn add(list: &mut Vec<(String, f64)>, key: String, x: f64) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v += x,
        None => list.push((key, x)),
    }
}
