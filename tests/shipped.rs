//! The shipped scenarios: they validate, carry their sources and licence,
//! cover what the world model promises, and the teaching examples have the
//! baseline flows their headers state.

mod common;

use chipshock::network::{Network, chokepoints};
use common::*;

fn valid(rel: &str) -> Network {
    build(&repo().join("scenarios").join(rel))
        .map_err(|(_, d)| d.items)
        .unwrap_or_else(|e| panic!("{rel} should validate: {e:#?}"))
}

fn output(net: &Network, id: &str) -> f64 {
    let i = net
        .facilities
        .iter()
        .position(|f| f.id == id)
        .expect("facility exists");
    net.baseline.facility_output[i]
}

#[test]
fn teaching_chain_baseline_matches_its_header() {
    let net = valid("examples/teaching_chain.toml");
    assert_eq!(net.facilities.len(), 2);
    let fab = net
        .facilities
        .iter()
        .position(|f| f.kind == chipshock::scenario::FacilityKind::Fab)
        .expect("fab");
    assert_eq!(net.baseline.facility_output[fab], 100.0);
    assert!((net.baseline.utilisation(&net, fab) - 100.0 / 120.0).abs() < 1e-12);
    let other = 1 - fab;
    assert_eq!(net.baseline.facility_output[other], 100.0);
    assert!((net.baseline.utilisation(&net, other) - 100.0 / 150.0).abs() < 1e-12);
}

#[test]
fn two_suppliers_baseline_matches_its_header() {
    let net = valid("examples/two_suppliers.toml");
    assert_eq!(output(&net, "fab_a"), 70.0);
    assert_eq!(output(&net, "fab_b"), 30.0);
}

#[test]
fn world_is_large_and_complete() {
    let net = valid("world.toml");
    assert!(
        net.countries.len() >= 25,
        "{} countries",
        net.countries.len()
    );
    assert!(
        net.facilities.len() >= 150,
        "{} facilities",
        net.facilities.len()
    );
    for c in ["US", "TW", "CN", "JP", "KR"] {
        assert!(net.countries.iter().any(|x| x.id == c), "country {c}");
    }
    use chipshock::scenario::{FacilityKind as K, Sector as S};
    for k in [K::Fab, K::Materials, K::Equipment, K::Osat, K::Design] {
        assert!(
            net.facilities.iter().any(|f| f.kind == k),
            "a facility of kind {k:?}"
        );
    }
    for s in [
        S::Automotive,
        S::Consumer,
        S::DataCentre,
        S::Industrial,
        S::Defence,
    ] {
        assert!(
            net.markets.iter().any(|m| m.sector == s),
            "a market in {s:?}"
        );
    }
    for firm in [
        "TSMC",
        "Samsung",
        "SK hynix",
        "Intel",
        "Micron",
        "ASML",
        "Tokyo Electron",
        "Shin-Etsu",
        "SUMCO",
    ] {
        assert!(
            net.facilities
                .iter()
                .any(|f| f.firm.as_deref() == Some(firm)),
            "named firm {firm}"
        );
    }
    for v in ["baseline", "reshoring", "friendshoring", "stockpile", "all"] {
        assert!(net.variants.iter().any(|x| x.id == v), "variant {v}");
    }
    // ASML's EUV monopoly is the textbook chokepoint.
    assert!(
        chokepoints(&net)
            .iter()
            .any(|c| c.product == "euv_litho" && c.holder == "ASML" && c.share > 0.99)
    );
}

#[test]
fn world_shock_library_covers_the_named_shocks_and_chain() {
    let net = valid("world.toml");
    let id = |s: &str| {
        net.shocks
            .iter()
            .position(|x| x.id == s)
            .unwrap_or_else(|| panic!("shock {s}"))
    };
    for s in [
        "taiwan_blockade",
        "taiwan_conflict",
        "china_mineral_export_ban",
        "sanctions_on_china",
        "japan_earthquake",
        "ukraine_neon_loss",
        "government_change_revokes_ipef",
        "demand_surge",
    ] {
        id(s);
    }
    // Blockade → sanctions → mineral ban.
    let triggers =
        |s: &str| -> Vec<u32> { net.shocks[id(s)].triggers.iter().map(|t| t.shock).collect() };
    assert!(triggers("taiwan_blockade").contains(&(id("sanctions_on_china") as u32)));
    assert!(triggers("sanctions_on_china").contains(&(id("china_mineral_export_ban") as u32)));
    assert!(matches!(
        net.shocks[id("government_change_revokes_ipef")].target,
        chipshock::network::ShockTarget::Revoke(_)
    ));
}

/// Every number in a shipped scenario names its source or says it is an
/// assumption: each line that assigns a number carries a comment, and the
/// files that hold ETO-derived rows carry the CC BY-NC attribution.
#[test]
fn shipped_numbers_carry_comments_and_attribution() {
    let root = repo().join("scenarios");
    let files: Vec<std::path::PathBuf> = files_under(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    assert!(files.len() >= 8);
    let mut missing = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .expect("under scenarios")
            .display()
            .to_string();
        if rel.starts_with("examples") || rel.starts_with("sweeps") {
            continue; // teaching values, stated as such in their headers
        }
        let text = read(f);
        for (i, line) in text.lines().enumerate() {
            let code = code_without_strings(line);
            let assigns_number = code.split('=').skip(1).any(|rhs| {
                rhs.trim_start()
                    .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
            });
            if assigns_number && !line.contains('#') {
                missing.push(format!("{rel}:{}: {line}", i + 1));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "numbers without a source comment:\n{}",
        missing.join("\n")
    );
    for f in ["world.toml", "world/base.toml", "README.md"] {
        let text = read(&root.join(f));
        assert!(text.contains("CC BY-NC 4.0"), "{f} carries the licence");
        assert!(
            text.contains("Emerging Technology Observatory"),
            "{f} carries the attribution"
        );
    }
}

/// The code part of a TOML line: quoted strings blanked, comment removed.
fn code_without_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    for ch in line.chars() {
        match (in_str, ch) {
            (false, '#') => break,
            (_, '"') => in_str = !in_str,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// Every ```toml block of the documentation is valid TOML, so a reader can
/// paste it (one once joined keys with `;`, a syntax error); and every
/// policy block names policies that the shipped scenario really has.
#[test]
fn documentation_toml_blocks_parse() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped_policies: String = ["reshoring", "friendshoring", "resilience"]
        .iter()
        .map(|f| read(&root.join(format!("scenarios/policies/{f}.toml"))))
        .collect();
    let mut blocks = 0;
    for doc in [
        "README.md",
        "docs/SCENARIOS.md",
        "docs/POLICIES.md",
        "docs/SWEEPS.md",
    ] {
        let text = read(&root.join(doc));
        for (i, block) in text.split("```toml\n").skip(1).enumerate() {
            let body = block.split("```").next().unwrap_or_default();
            if let Err(e) = body.parse::<toml::Table>() {
                panic!("{doc}, toml block {}: {e}\n{body}", i + 1);
            }
            if doc == "docs/POLICIES.md" {
                for line in body.lines().filter(|l| l.starts_with("id = ")) {
                    let id = line.split('"').nth(1).unwrap_or_default();
                    assert!(
                        shipped_policies.contains(&format!("id = \"{id}\"")),
                        "{doc}: policy `{id}` is not in scenarios/policies/"
                    );
                }
            }
            blocks += 1;
        }
    }
    assert!(blocks >= 10, "only {blocks} toml blocks found");
}
