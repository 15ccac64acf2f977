//! `chipshock validate`: the summary of a valid scenario.

use std::fmt::Write as _;

use crate::network::graph::enum_name;
use crate::network::{CHOKEPOINT_SHARE, Network, chokepoints, notes};
use crate::report::fmt::usd;
use crate::text::printable;

/// Renders the validation summary: counts, baseline flows, the most
/// utilised facilities and the structural chokepoints.
pub fn summary(net: &Network, label: &str, all_flows: bool) -> String {
    let mut s = String::new();
    // The scenario's own text, with any control character escaped: on a
    // terminal it would be an instruction.
    let _ = writeln!(s, "scenario {} is valid", printable(label));
    if !net.settings.name.is_empty() {
        let _ = writeln!(s, "  name: {}", printable(&net.settings.name));
    }
    if !net.settings.attribution.is_empty() {
        let _ = writeln!(s, "  data: {}", printable(&net.settings.attribution));
    }
    let _ = writeln!(s, "  hash: {}", net.scenario_hash);
    let _ = writeln!(s);
    let counts = [
        ("countries", net.countries.len()),
        ("blocs", net.blocs.len()),
        ("products", net.products.len()),
        ("facilities", net.facilities.len()),
        ("markets", net.markets.len()),
        ("links", net.links.len()),
        ("shocks", net.shocks.len()),
        ("policies", net.policies.len()),
        ("variants", net.variants.len()),
    ];
    for (k, v) in counts {
        let _ = writeln!(s, "  {k:<11} {v:>6}");
    }
    if net.markets.is_empty() {
        let _ = writeln!(
            s,
            "  note: no [[market]]: valid as a file to include, but `run`, `compare` and `sweep` need markets"
        );
    }
    for note in notes(net) {
        let _ = writeln!(s, "  note: {note}");
    }
    let demand: f64 = net
        .needs
        .iter()
        .filter(|n| matches!(n.customer, crate::network::Customer::Market(_)))
        .map(|n| n.baseline_use * net.products[n.product as usize].value_usd_per_unit)
        .sum();
    let _ = writeln!(
        s,
        "  market demand at baseline: {} per week (chip value)",
        usd(demand)
    );

    let mut order: Vec<usize> = (0..net.facilities.len()).collect();
    order.sort_by(|&a, &b| {
        net.baseline
            .utilisation(net, b)
            .total_cmp(&net.baseline.utilisation(net, a))
            .then(a.cmp(&b))
    });
    let table = |s: &mut String, rows: &[usize]| {
        let _ = writeln!(
            s,
            "  {:<34} {:<5} {:<20} {:>14} {:>14} {:>7}",
            "facility", "ctry", "product", "output/wk", "capacity/wk", "util"
        );
        for &f in rows {
            let fa = &net.facilities[f];
            let p = &net.products[fa.product as usize];
            let _ = writeln!(
                s,
                "  {:<34} {:<5} {:<20} {:>14} {:>14} {:>6.1}%",
                fa.id,
                net.countries[fa.country as usize].id,
                p.id,
                num(net.baseline.facility_output[f]),
                num(fa.capacity_per_week),
                100.0 * net.baseline.utilisation(net, f)
            );
        }
    };
    let _ = writeln!(s, "\nmost utilised facilities at baseline:");
    table(&mut s, &order[..order.len().min(10)]);
    if all_flows {
        let _ = writeln!(
            s,
            "\nbaseline flow solution (every facility, suppliers first):"
        );
        let topo: Vec<usize> = net.topo_order.iter().map(|&f| f as usize).collect();
        table(&mut s, &topo);
    }

    let cps = chokepoints(net);
    let _ = writeln!(
        s,
        "\nstructural chokepoints (one country or firm > {:.0} % of world capacity):",
        100.0 * CHOKEPOINT_SHARE
    );
    if cps.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for c in &cps {
        let p = net.products.iter().find(|p| p.id == c.product);
        let cat = p.map(|p| enum_name(p.category)).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<24} {:<10} {:<7} {:<24} {:>5.1}%",
            c.product,
            cat,
            c.holder_kind,
            printable(&c.holder),
            100.0 * c.share
        );
    }
    if !all_flows {
        let _ = writeln!(
            s,
            "\n(--flows prints the baseline output of every facility)"
        );
    }
    s
}

/// A quantity with thousands separators and at most 2 decimals.
pub fn num(x: f64) -> String {
    if x.abs() >= 100.0 {
        let r = x.round() as i64;
        let digits = r.abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else {
        format!("{x:.2}")
    }
}
