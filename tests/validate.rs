//! Scenario validation: every error class, with its message, file, line
//! and hint; multi-error reports; includes and overrides; baseline flows.
//!
//! Each error test mutates one place of the valid `fixtures/base.toml`
//! and checks the diagnostic points at the expected line.

mod common;

use chipshock::network::{Customer, NeedKind};
use chipshock::source::Span;
use common::*;

/// One edit of the base scenario and what it must produce.
struct Case {
    find: &'static str,
    replace: &'static str,
    /// Substring of the diagnostic's message.
    message: &'static str,
    /// Substring of the source line the diagnostic points at.
    at: &'static str,
    /// Substring of the hint, if one is expected.
    hint: Option<&'static str>,
}

fn mutate(base: &str, find: &str, replace: &str) -> (String, usize) {
    assert_eq!(
        base.matches(find).count(),
        1,
        "`{find}` must occur exactly once in base.toml"
    );
    let pos = base.find(find).unwrap_or(0);
    (base.replacen(find, replace, 1), pos)
}

/// Checks one case: the scenario is rejected, some diagnostic carries the
/// message, points into the right file at a line containing `at` (the first
/// such line at or after the edit), and has the hint.
fn check(case: &Case) {
    let base = read(&fixture("base.toml"));
    let (text, pos) = mutate(&base, case.find, case.replace);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "scenario.toml", &text);
    let (scenario, diags) = build(&path)
        .err()
        .unwrap_or_else(|| panic!("`{}` → `{}` should be rejected", case.find, case.replace));
    let found = diags
        .items
        .iter()
        .find(|d| d.message.contains(case.message))
        .unwrap_or_else(|| {
            let all: Vec<String> = diags.items.iter().map(|d| d.message.clone()).collect();
            panic!("no diagnostic contains `{}`; got {all:#?}", case.message)
        });
    let span: Span = found.span.expect("diagnostic has a span");
    let loc = scenario.sources.locate(span).expect("span is in a file");
    assert!(loc.file.ends_with("scenario.toml"), "file {}", loc.file);
    let edit_line = text[..pos].matches('\n').count();
    let lines: Vec<&str> = text.lines().collect();
    let want = (edit_line..lines.len())
        .chain(0..edit_line)
        .find(|&i| lines[i].contains(case.at))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no line contains `{}`", case.at));
    assert_eq!(
        loc.line,
        want,
        "`{}` reported at line {} (`{}`), expected line {want}",
        case.message,
        loc.line,
        lines.get(loc.line - 1).unwrap_or(&"")
    );
    if let Some(h) = case.hint {
        let got = found.hint.clone().unwrap_or_default();
        assert!(got.contains(h), "hint `{got}` lacks `{h}`");
    }
    // The rendered form names file:line:col and shows the source line.
    let rendered = chipshock::diagnostic::Renderer::new(&scenario.sources).render(found);
    assert!(
        rendered.contains(&format!("scenario.toml:{}:{}", loc.line, loc.column)),
        "{rendered}"
    );
}

macro_rules! cases {
    ($($name:ident: $find:expr => $replace:expr, $message:expr, at $at:expr $(, hint $hint:expr)?;)*) => {
        $(
            #[test]
            fn $name() {
                check(&Case {
                    find: $find,
                    replace: $replace,
                    message: $message,
                    at: $at,
                    hint: None $(.or(Some($hint)))?,
                });
            }
        )*
    };
}

cases! {
    unknown_country_suggests: "id = \"fab_a\"\ncountry = \"TW\"" => "id = \"fab_a\"\ncountry = \"Tw\"",
        "unknown country `Tw`", at "country = \"Tw\"", hint "did you mean `TW`?";
    unknown_bloc_suggests: "id = \"US\"\nblocs = [\"allies\"]" => "id = \"US\"\nblocs = [\"alies\"]",
        "unknown bloc `alies`", at "alies", hint "did you mean `allies`?";
    unknown_supplier: "supplier = \"fab_b\"" => "supplier = \"fab_c\"",
        "unknown facility `fab_c`", at "fab_c", hint "did you mean";
    duplicate_id: "id = \"fab_b\"" => "id = \"fab_a\"",
        "duplicate facility id `fab_a`", at "id = \"fab_a\"", hint "override = true";
    shares_not_summing: "share = 0.3" => "share = 0.2",
        "shares of `chip` into `mkt` sum to 0.9, not 1", at "share = 0.7", hint "sum to 1";
    negative_capacity: "capacity_per_week = 60" => "capacity_per_week = -60",
        "`capacity_per_week` is negative (-60)", at "capacity_per_week = -60";
    zero_capacity: "capacity_per_week = 10\n" => "capacity_per_week = 0\n",
        "`capacity_per_week` is zero", at "capacity_per_week = 0", hint "greater than zero";
    nan_value: "value_usd_per_unit = 5000" => "value_usd_per_unit = nan",
        "`value_usd_per_unit` is NaN", at "nan";
    infinite_demand: "units_per_week = 100" => "units_per_week = inf",
        "`units_per_week` is infinite", at "inf";
    lead_time_zero: "suppliers = { wafer_co = 1.0 }\nlead_weeks = 1" => "suppliers = { wafer_co = 1.0 }\nlead_weeks = 0",
        "`lead_weeks` is 0, but must be at least 1", at "lead_weeks = 0";
    load_above_capacity: "capacity_per_week = 100\nrecipe" => "capacity_per_week = 50\nrecipe",
        "baseline load of facility `fab_a` is 70.000000 units/week, above its capacity 50", at "capacity_per_week = 50";
    market_unsupplied: "lost_usd_per_unit = 50" => "lost_usd_per_unit = 50\n[market.demand.wafer]\nunits_per_week = 1\nlost_usd_per_unit = 1",
        "market `mkt` needs `wafer` but nobody supplies it", at "id = \"mkt\"", hint "[[sourcing]]";
    beta_mean_outside: "mean = 0.8" => "mean = 1.3",
        "beta mean 1.3 must lie strictly inside (0, 1)", at "mean = 1.3";
    lognormal_sigma: "sigma = 0.5" => "sigma = 0.0",
        "lognormal sigma 0 must be > 0", at "sigma = 0.0";
    uniform_min_above_max: "min = 0, max = 40" => "min = 50, max = 40",
        "uniform min 50 is greater than max 40", at "min = 50";
    pert_mode_outside: "min = 4, mode = 8, max = 20" => "min = 4, mode = 30, max = 20",
        "pert mode 30 lies outside", at "mode = 30";
    severity_above_one: "values = [0.5, 1.0]" => "values = [0.5, 1.5]",
        "`severity` can take values in [0.5, 1.5]", at "values = [0.5, 1.5]";
    trigger_unknown_shock: "shock = \"sanctions\"" => "shock = \"sanction\"",
        "unknown shock `sanction`", at "shock = \"sanction\"", hint "did you mean `sanctions`?";
    variant_unknown_policy: "policies = [\"stock\", \"reshore_us\"]" => "policies = [\"stock\", \"reshore-us\"]",
        "unknown policy `reshore-us`", at "reshore-us", hint "did you mean `reshore_us`?";
    unknown_key_lists_valid: "inventory_weeks = 2" => "inventry_weeks = 2",
        "unknown field `inventry_weeks`, expected one of", at "inventry_weeks", hint "did you mean `inventory_weeks`?";
    unknown_section: "[[variant]]" => "[[variants]]",
        "unknown section `variants`", at "[[variants]]", hint "did you mean `variant`?";
    syntax_error: "name = \"base\"" => "name = \"base",
        "", at "name = \"base";
    wrong_type: "horizon_weeks = 52" => "horizon_weeks = \"52\"",
        "invalid type", at "horizon_weeks";
    unknown_enum_variant: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = \"fob\"\nproduct = \"chip\"\ncapacity_per_week = 60",
        "unknown variant `fob`", at "kind = \"fob\"";
    revoke_needs_agreement: "agreement = true" => "agreement = false",
        "bloc `allies` is not an agreement", at "revoke", hint "agreement = true";
    unqualified_with_share: "share = 0.3" => "share = 0.3\nqualified = false",
        "unqualified supplier `fab_b` has a positive share", at "share = 0.3", hint "candidates";
    supplier_wrong_product: "supplier = \"fab_b\"" => "supplier = \"wafer_co\"",
        "facility `wafer_co` makes `wafer`, not `chip`", at "supplier = \"wafer_co\"";
    template_wrong_product: "template = \"fab_b\"" => "template = \"wafer_co\"",
        "template `wafer_co` does not make `chip`", at "template";
    both_probability_and_rate: "rate_per_year = 0.2" => "rate_per_year = 0.2\nprobability = 0.1",
        "gives both `probability` and `rate_per_year`", at "probability = 0.1";
    own_product_as_input: "recipe = { wafer = 1.0 }\ncapital" => "recipe = { wafer = 1.0, chip = 0.1 }\ncapital",
        "uses its own product `chip` as an input", at "chip = 0.1";
    horizon_zero: "horizon_weeks = 52" => "horizon_weeks = 0",
        "`horizon_weeks` is 0", at "horizon_weeks = 0";
    selector_matches_nothing: "countries = [\"TW\"]" => "countries = [\"TW\"]\nkinds = [\"osat\"]",
        "shock `blockade` selects nothing", at "id = \"blockade\"";
    // Finite, but a loss of units × USD × weeks would overflow to infinity
    // and come out of the statistics as NaN.
    magnitude_beyond_the_limit: "lost_usd_per_unit = 50" => "lost_usd_per_unit = 1e300",
        "`lost_usd_per_unit` is 1e300, beyond the largest magnitude", at "1e300";
    choice_weights_overflow: "weights = [1, 3]" => "weights = [1e308, 1e308]",
        "choice weights sum to more than the largest number", at "weights = [1e308";
    demand_rise_beyond_the_limit: "[[shock]]\nid = \"sanctions\"" => "[[shock]]\nid = \"surge\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 5000 }\n[shock.demand]\nmarkets = [\"mkt\"]\n\n[[shock]]\nid = \"sanctions\"",
        "demand `severity` can reach 5e3, above the largest rise", at "severity = { fixed = 5000 }", hint "fractional rise";
}

/// A facility whose product and country resolve to nothing, in a scenario
/// with no products or countries at all: the selector of a shock naming it
/// once indexed the empty tables (a panic). Now the unknown ids are
/// reported and nothing else.
#[test]
fn unresolved_ids_with_empty_tables_are_reported_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(
        &dir,
        "scenario.toml",
        "[[facility]]\nid = \"f\"\ncountry = \"X\"\nkind = \"fab\"\nproduct = \"p\"\ncapacity_per_week = 1\n\n\
         [[shock]]\nid = \"s\"\nprobability = 1\nduration_weeks = { fixed = 1 }\nseverity = { fixed = 1 }\n\
         [shock.capacity]\nfacilities = [\"f\"]\n",
    );
    let Err((_, diags)) = build(&path) else {
        panic!("the scenario should be rejected")
    };
    let messages: Vec<&str> = diags.items.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("unknown country `X`")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("unknown product `p`")),
        "{messages:#?}"
    );
}

#[test]
fn supply_cycle_names_the_nodes() {
    let base = read(&fixture("base.toml"));
    let (mut text, _) = mutate(
        &base,
        "capacity_per_week = 10\n",
        "capacity_per_week = 10\nrecipe = { chip = 0.01 }\n",
    );
    text.push_str(
        "\n[[sourcing]]\ncustomers = [\"litho_co\"]\nproduct = \"chip\"\nsuppliers = { fab_a = 1.0 }\n",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    let d = diags
        .items
        .iter()
        .find(|d| d.message.starts_with("supply cycle:"))
        .expect("a cycle diagnostic");
    assert!(
        d.message.contains("fab_a") && d.message.contains("litho_co"),
        "{}",
        d.message
    );
}

#[test]
fn conflicting_policies_in_a_variant() {
    let base = read(&fixture("base.toml"));
    let (text, _) = mutate(
        &base,
        "[[variant]]",
        "[[policy]]\nid = \"stock2\"\n[policy.stockpile]\ncustomers = { sectors = [\"automotive\"] }\nproducts = [\"chip\"]\ninventory_weeks = 8\n\n[[variant]]",
    );
    let text = text.replace(
        "policies = [\"stock\", \"reshore_us\"]",
        "policies = [\"stock\", \"stock2\"]",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (scenario, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    let d = diags
        .items
        .iter()
        .find(|d| d.message.contains("both set a stockpile target"))
        .expect("conflict reported");
    let loc = scenario.sources.locate(d.span.expect("span")).expect("loc");
    assert_eq!(text.lines().nth(loc.line - 1), Some("id = \"stock2\""));
}

#[test]
fn every_error_is_reported_at_once() {
    let base = read(&fixture("base.toml"));
    let text = base
        .replace(
            "id = \"fab_a\"\ncountry = \"TW\"",
            "id = \"fab_a\"\ncountry = \"Tw\"",
        )
        .replace("share = 0.3", "share = 0.2")
        .replace("sigma = 0.5", "sigma = -1.0")
        .replace("shock = \"sanctions\"", "shock = \"sanction\"")
        .replace("capacity_per_week = 10\n", "capacity_per_week = -10\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    let msgs: Vec<&str> = diags.items.iter().map(|d| d.message.as_str()).collect();
    for want in [
        "unknown country `Tw`",
        "sum to 0.9",
        "lognormal sigma -1 must be > 0",
        "unknown shock `sanction`",
        "`capacity_per_week` is negative",
    ] {
        assert!(
            msgs.iter().any(|m| m.contains(want)),
            "missing `{want}` in {msgs:#?}"
        );
    }
}

#[test]
fn every_parse_error_is_reported_at_once() {
    let base = read(&fixture("base.toml"));
    let text = base
        .replace("inventory_weeks = 2", "inventry_weeks = 2")
        .replace("[[variant]]", "[[variants]]")
        .replace("horizon_weeks = 52", "horizon_weeks = \"x\"");
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    assert_eq!(diags.len(), 3, "{:#?}", diags.items);
}

#[test]
fn base_fixture_baseline_flows_are_exact() {
    let net = build(&fixture("base.toml"))
        .map_err(|(_, d)| d.items)
        .expect("valid");
    let out = |id: &str| {
        let i = net
            .facilities
            .iter()
            .position(|f| f.id == id)
            .expect("facility");
        net.baseline.facility_output[i]
    };
    assert_eq!(out("fab_a"), 70.0);
    assert_eq!(out("fab_b"), 30.0);
    assert_eq!(out("wafer_co"), 100.0);
    // Capital input: a fixed service flow, not per unit of output.
    assert_eq!(out("litho_co"), 1.0);
    assert_eq!(net.variants[0].id, "baseline");
    assert_eq!(net.variants.len(), 2);
    // Conservation: every need receives exactly its use; every facility
    // ships exactly its output.
    for (ni, need) in net.needs.iter().enumerate() {
        let inflow: f64 = net
            .need_links
            .row(ni)
            .iter()
            .map(|&l| net.baseline.link_flow[l as usize])
            .sum();
        assert!((inflow - need.baseline_use).abs() < 1e-9);
        if let (Customer::Facility(f), NeedKind::Material { per_unit }) = (need.customer, need.kind)
        {
            assert!(
                (need.baseline_use - per_unit * net.baseline.facility_output[f as usize]).abs()
                    < 1e-9
            );
        }
    }
}

#[test]
fn includes_compose_and_overrides_are_explicit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = read(&fixture("base.toml"));
    write_temp(&dir, "world/base.toml", &base);
    // Raise fab_a's capacity explicitly; other fields are kept.
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n[[facility]]\nid = \"fab_a\"\noverride = true\ncapacity_per_week = 200\n",
    );
    let net = build(&top).map_err(|(_, d)| d.items).expect("valid");
    let fa = net
        .facilities
        .iter()
        .find(|f| f.id == "fab_a")
        .expect("fab_a");
    assert_eq!(fa.capacity_per_week, 200.0);
    assert_eq!(
        fa.inventory_weeks, 2.0,
        "fields the override does not set are kept"
    );
    assert_eq!(net.countries[fa.country as usize].id, "TW");

    // Without `override = true` the same definition is a duplicate.
    let silent = write_temp(
        &dir,
        "silent.toml",
        "include = [\"world/base.toml\"]\n\n[[facility]]\nid = \"fab_a\"\ncapacity_per_week = 200\n",
    );
    let (scenario, diags) = build(&silent).expect_err("rejected");
    let d = &diags.items[0];
    assert!(
        d.message.contains("duplicate facility id `fab_a`"),
        "{}",
        d.message
    );
    let first = scenario.sources.locate(d.related[0].0).expect("loc");
    assert!(first.file.ends_with("world/base.toml"), "{}", first.file);
    assert!(
        scenario
            .sources
            .locate(d.span.expect("span"))
            .expect("loc")
            .file
            .ends_with("silent.toml")
    );

    // Overriding something that does not exist is an error too.
    let nothing = write_temp(
        &dir,
        "nothing.toml",
        "include = [\"world/base.toml\"]\n\n[[facility]]\nid = \"fab_z\"\noverride = true\ncapacity_per_week = 200\n",
    );
    let (_, diags) = build(&nothing).expect_err("rejected");
    assert!(diags.items[0].message.contains("overrides nothing"));
}

#[test]
fn include_cycle_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "a.toml", "include = [\"b.toml\"]\n");
    write_temp(&dir, "b.toml", "include = [\"sub/c.toml\"]\n");
    write_temp(&dir, "sub/c.toml", "include = [\"../a.toml\"]\n");
    let (scenario, diags) = build(&dir.path().join("a.toml")).expect_err("rejected");
    let d = diags
        .items
        .iter()
        .find(|d| d.message.starts_with("include cycle"))
        .expect("cycle");
    assert!(
        d.message.contains("b.toml") && d.message.contains("c.toml"),
        "{}",
        d.message
    );
    let loc = scenario.sources.locate(d.span.expect("span")).expect("loc");
    assert!(loc.file.ends_with("c.toml") && loc.line == 1, "{loc}");
}

#[test]
fn missing_include_points_at_the_include() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write_temp(&dir, "a.toml", "# top\ninclude = [\"nope.toml\"]\n");
    let (scenario, diags) = build(&p).expect_err("rejected");
    let d = &diags.items[0];
    assert!(
        d.message.contains("cannot read included file"),
        "{}",
        d.message
    );
    assert_eq!(
        scenario
            .sources
            .locate(d.span.expect("span"))
            .expect("loc")
            .line,
        2
    );
}

#[test]
fn diamond_includes_load_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "common.toml", "[[bloc]]\nid = \"eu\"\n");
    write_temp(&dir, "x.toml", "include = [\"common.toml\"]\n");
    write_temp(&dir, "y.toml", "include = [\"common.toml\"]\n");
    let top = write_temp(&dir, "top.toml", "include = [\"x.toml\", \"y.toml\"]\n");
    let net = build(&top).map_err(|(_, d)| d.items).expect("valid");
    assert_eq!(net.blocs.len(), 1);
}

#[test]
fn second_meta_needs_override() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "a.toml", "[meta]\nname = \"a\"\nhorizon_weeks = 10\n");
    let ok = write_temp(
        &dir,
        "b.toml",
        "include = [\"a.toml\"]\n[meta]\noverride = true\nname = \"b\"\n",
    );
    let net = build(&ok).map_err(|(_, d)| d.items).expect("valid");
    assert_eq!(
        (net.settings.name.as_str(), net.settings.horizon_weeks),
        ("b", 10)
    );
    let bad = write_temp(
        &dir,
        "c.toml",
        "include = [\"a.toml\"]\n[meta]\nname = \"c\"\n",
    );
    let (_, diags) = build(&bad).expect_err("rejected");
    assert!(diags.items[0].message.contains("second [meta]"));
}
