//! Property tests of the loader and compiler: random valid scenarios
//! validate and their baseline flows conserve material; arbitrary input
//! never panics.

mod common;

use chipshock::network::{self, Customer, NeedKind};
use chipshock::scenario::load_scenario_str;
use proptest::prelude::*;

/// A random layered scenario: `m` materials suppliers → `f` fabs (recipe
/// of one material each) → `k` markets, with random shares and ample
/// capacity.
fn scenario_text(
    m: usize,
    f: usize,
    k: usize,
    shares: &[u32],
    demand: &[u32],
    coef: &[u32],
) -> String {
    let mut s = String::from(
        "[[country]]\nid = \"A\"\n[[country]]\nid = \"B\"\n\
         [[product]]\nid = \"mat\"\nunit = \"t\"\ncategory = \"material\"\nvalue_usd_per_unit = 1\n\
         [[product]]\nid = \"chip\"\nunit = \"u\"\ncategory = \"front_end\"\nvalue_usd_per_unit = 10\n",
    );
    for i in 0..m {
        s += &format!(
            "[[facility]]\nid = \"m{i}\"\ncountry = \"{}\"\nkind = \"materials\"\nproduct = \"mat\"\ncapacity_per_week = 1e9\n",
            if i % 2 == 0 { "A" } else { "B" }
        );
    }
    for i in 0..f {
        s += &format!(
            "[[facility]]\nid = \"f{i}\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 1e9\nrecipe = {{ mat = {} }}\n",
            0.25 * f64::from(coef[i % coef.len()])
        );
    }
    for i in 0..k {
        s += &format!(
            "[[market]]\nid = \"k{i}\"\ncountry = \"B\"\nsector = \"consumer\"\n[market.demand.chip]\nunits_per_week = {}\nlost_usd_per_unit = 5\n",
            demand[i % demand.len()]
        );
    }
    // Shares from positive weights; the last share closes the sum exactly.
    let mut w = 0;
    let mut block = |customer: String, product: &str, n: usize, prefix: &str, s: &mut String| {
        let ws: Vec<f64> = (0..n)
            .map(|j| f64::from(shares[(w + j) % shares.len()]))
            .collect();
        w += n;
        let total: f64 = ws.iter().sum();
        let mut parts = Vec::new();
        let mut acc = 0.0;
        for (j, x) in ws.iter().enumerate() {
            let share = if j + 1 == n { 1.0 - acc } else { x / total };
            acc += share;
            parts.push(format!("{prefix}{j} = {share:?}"));
        }
        *s += &format!(
            "[[sourcing]]\ncustomers = [\"{customer}\"]\nproduct = \"{product}\"\nsuppliers = {{ {} }}\nlead_weeks = 1\n",
            parts.join(", ")
        );
    };
    for i in 0..f {
        block(format!("f{i}"), "mat", m, "m", &mut s);
    }
    for i in 0..k {
        block(format!("k{i}"), "chip", f, "f", &mut s);
    }
    s
}

/// Loads `text` as a scenario and compiles it when valid, or renders every
/// diagnostic: whatever the text, nothing may panic.
fn load_compile_or_render(text: &str) {
    let (scenario, diags) = load_scenario_str("fuzz.toml", text);
    if diags.is_empty() {
        let _ = network::compile(&scenario);
    } else {
        let r = chipshock::diagnostic::Renderer::new(&scenario.sources);
        for d in &diags.items {
            let _ = r.render(d);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_valid_scenarios_validate_and_conserve(
        m in 1usize..6, f in 1usize..8, k in 1usize..6,
        shares in prop::collection::vec(1u32..100, 1..20),
        demand in prop::collection::vec(0u32..10_000, 1..10),
        coef in prop::collection::vec(1u32..12, 1..10),
    ) {
        let text = scenario_text(m, f, k, &shares, &demand, &coef);
        let (scenario, diags) = load_scenario_str("random.toml", &text);
        prop_assert!(diags.is_empty(), "{:?}", diags.items);
        let net = network::compile(&scenario).map_err(|d| TestCaseError::fail(format!("{:?}", d.items)))?;
        prop_assert_eq!(net.facilities.len(), m + f);
        let b = &net.baseline;
        // Each need receives its baseline use; each facility ships its output.
        for (ni, need) in net.needs.iter().enumerate() {
            let inflow: f64 = net.need_links.row(ni).iter().map(|&l| b.link_flow[l as usize]).sum();
            prop_assert!((inflow - need.baseline_use).abs() <= 1e-9 * need.baseline_use.max(1.0));
            if let (Customer::Facility(fi), NeedKind::Material { per_unit }) = (need.customer, need.kind) {
                prop_assert!((need.baseline_use - per_unit * b.facility_output[fi as usize]).abs() <= 1e-9 * need.baseline_use.max(1.0));
            }
        }
        for fi in 0..net.facilities.len() {
            let shipped: f64 = net.supplier_links.row(fi).iter().map(|&l| b.link_flow[l as usize]).sum();
            prop_assert!((shipped - b.facility_output[fi]).abs() <= 1e-9 * shipped.max(1.0));
        }
        // Material balance end to end: materials shipped = Σ fab output × coefficient.
        let chips: f64 = net.needs.iter().filter(|n| matches!(n.customer, Customer::Market(_))).map(|n| n.baseline_use).sum();
        let fab_out: f64 = (m..m + f).map(|i| b.facility_output[i]).sum();
        prop_assert!((chips - fab_out).abs() <= 1e-9 * chips.max(1.0));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let (scenario, diags) = load_scenario_str("fuzz.toml", &text);
        if diags.is_empty() {
            let _ = network::compile(&scenario);
        }
    }

    /// Whole-line slips (a line repeated or dropped, `[[x]]` written `[x]`,
    /// a header or key added, non-ASCII text) exercise the explanations of
    /// duplicate keys and syntax errors: loading never panics, and every
    /// diagnostic renders.
    #[test]
    fn line_edits_never_panic(
        edits in prop::collection::vec((0usize..200, 0usize..8), 1..6)
    ) {
        let base = common::read(&common::fixture("base.toml"));
        let mut lines: Vec<String> = base.lines().map(str::to_owned).collect();
        for (at, op) in edits {
            let i = at % lines.len().max(1);
            let line = lines.get(i).cloned().unwrap_or_default();
            match op {
                0 => lines.insert(i, line),
                1 => { if !lines.is_empty() { lines.remove(i); } }
                2 => lines[i] = line.replace("[[", "[").replace("]]", "]"),
                3 => lines[i] = line.replace('[', "[[").replace(']', "]]"),
                4 => lines.insert(i, "[meta]".into()),
                5 => lines.insert(i, "näme = \"é\"".into()),
                6 => lines[i] = line.replacen(" = ", ": ", 1),
                _ => lines.insert(i, "id = \"dup\"".into()),
            }
        }
        load_compile_or_render(&lines.join("\n"));
    }

    #[test]
    fn mutated_scenarios_never_panic(
        edits in prop::collection::vec((0usize..4000, prop::sample::select(vec!["", "0", "-1", "nan", "\"", "]", "[[", "=", "x", "1e400", "\n", "inf"])), 1..6)
    ) {
        let mut text = common::read(&common::fixture("base.toml"));
        for (pos, ins) in edits {
            let mut p = pos % (text.len() + 1);
            while !text.is_char_boundary(p) { p -= 1; }
            let end = (p + 2).min(text.len());
            let end = if text.is_char_boundary(end) { end } else { p };
            text.replace_range(p..end, ins);
        }
        load_compile_or_render(&text);
    }
}
