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
    // Countries, facilities and markets are the nodes of the graph export,
    // which tools key by id alone: one id for two of them merged them.
    facility_with_a_country_id: "id = \"fab_b\"" => "id = \"US\"",
        "`US` is both a country and a facility id", at "id = \"US\"", hint "give them distinct ids";
    market_with_a_country_id: "id = \"mkt\"" => "id = \"TW\"",
        "`TW` is both a country and a market id", at "id = \"TW\"", hint "`chipshock graph`";
    // Control characters reach terminals and graph files: refused in
    // names (tabs too), kept to tabs and line breaks in an attribution.
    control_character_in_a_name: "name = \"base\"" => "name = \"ba\\u0007se\"",
        "[meta]: `name` contains the control character U+0007", at "name = \"ba",
        hint "one line of plain text";
    tab_in_a_firm: "id = \"fab_b\"" => "id = \"fab_b\"\nfirm = \"Fab\\tB\"",
        "facility `fab_b`: `firm` contains the control character U+0009", at "firm =";
    escape_in_an_attribution: "name = \"base\"" => "name = \"base\"\nattribution = \"a\\nb\\u001b[2J\"",
        "[meta]: `attribution` contains the control character U+001B", at "attribution",
        hint "may hold tabs and line breaks";
    unknown_supplier: "supplier = \"fab_b\"" => "supplier = \"fab_c\"",
        "unknown facility `fab_c`", at "fab_c", hint "did you mean";
    duplicate_id: "id = \"fab_b\"" => "id = \"fab_a\"",
        "duplicate facility id `fab_a`", at "id = \"fab_a\"", hint "override = true";
    shares_not_summing: "share = 0.3" => "share = 0.2",
        "shares of `chip` into `mkt` sum to 0.9, not 1", at "share = 0.7", hint "sum to 1";
    shares_scaled_to_one: "share = 0.3" => "share = 0.2",
        "sum to 0.9, not 1", at "share = 0.7", hint "scale them by 1.11111";
    shares_all_zero: "share = 0.7\nlead_weeks = 1\n\n[[link]]\nsupplier = \"fab_b\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 0.3"
        => "share = 0.0\nlead_weeks = 1\n\n[[link]]\nsupplier = \"fab_b\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 0.0",
        "shares of `chip` into `mkt` sum to 0, not 1", at "share = 0.0",
        hint "every share of `chip` into `mkt` is 0, and shares must sum to 1: give at least one supplier a positive share";
    negative_capacity: "capacity_per_week = 60" => "capacity_per_week = -60",
        "`capacity_per_week` is negative (-60)", at "capacity_per_week = -60";
    zero_capacity: "capacity_per_week = 10\n" => "capacity_per_week = 0\n",
        "`capacity_per_week` is zero", at "capacity_per_week = 0", hint "greater than zero";
    nan_value: "value_usd_per_unit = 5000" => "value_usd_per_unit = nan",
        "`value_usd_per_unit` is NaN", at "nan";
    infinite_demand: "units_per_week = 100" => "units_per_week = inf",
        "`units_per_week` is infinite", at "inf";
    priority_beyond_u32: "share = 0.3\n" => "share = 0.3\npriority = 4294967296\n",
        "`priority` is 4294967296, but must be from 0 to 4294967295", at "priority = 4294967296",
        hint "0 is served first";
    negative_priority: "share = 0.3\n" => "share = 0.3\npriority = -1\n",
        "`priority` is -1, but must be from 0 to 4294967295", at "priority = -1";
    lead_time_zero: "suppliers = { wafer_co = 1.0 }\nlead_weeks = 1" => "suppliers = { wafer_co = 1.0 }\nlead_weeks = 0",
        "`lead_weeks` is 0, but must be at least 1", at "lead_weeks = 0";
    load_above_capacity: "capacity_per_week = 100\nrecipe" => "capacity_per_week = 50\nrecipe",
        "baseline load of facility `fab_a` is 70 units/week, above its capacity 50 (140 %)", at "capacity_per_week = 50";
    load_above_a_vanishing_capacity: "capacity_per_week = 100\nrecipe" => "capacity_per_week = 5e-324\nrecipe",
        "above its capacity 4.94066e-324 (more than 1,000,000 %)", at "capacity_per_week = 5e-324";
    integer_past_sixty_four_bits: "horizon_weeks = 52" => "horizon_weeks = 18446744073709551615",
        "`horizon_weeks` is 18446744073709551615, beyond TOML's whole numbers (64-bit: -9223372036854775808 to 9223372036854775807)", at "horizon_weeks";
    integer_past_u64: "horizon_weeks = 52" => "horizon_weeks = 18446744073709551616",
        "`horizon_weeks` is 18446744073709551616, beyond TOML's whole numbers", at "horizon_weeks";
    negative_integer_past_sixty_four_bits: "horizon_weeks = 52" => "horizon_weeks = -9223372036854775809",
        "`horizon_weeks` is -9223372036854775809, beyond TOML's whole numbers", at "horizon_weeks";
    integer_past_i128: "horizon_weeks = 52" => "horizon_weeks = 99999999999999999999999999999999999999999",
        "`horizon_weeks` is 99999999999999999999999999999999999999999, beyond", at "horizon_weeks";
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
    // An end barely outside the range is shown with the digits that put
    // it there, not rounded into it.
    severity_a_hair_above_one: "values = [0.5, 1.0]" => "values = [0.5, 1.0000001]",
        "`severity` can take values in [0.5, 1.0000001], outside the allowed [0, 1]", at "values = [0.5, 1.0000001]";
    severity_a_hair_below_zero: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = { fixed = -0.0000000001 }",
        "`severity` can take values in [-1e-10, -1e-10], outside the allowed [0, 1]", at "severity = { fixed";
    trigger_unknown_shock: "shock = \"sanctions\"" => "shock = \"sanction\"",
        "unknown shock `sanction`", at "shock = \"sanction\"", hint "did you mean `sanctions`?";
    weekly_loss_beyond_summing: "units_per_week = 100\nlost_usd_per_unit = 50" => "units_per_week = 1e10\nlost_usd_per_unit = 1e15",
        "market `mkt` could lose 1e25 USD a week of `chip`", at "lost_usd_per_unit = 1e15", hint "far beyond the world's yearly output";
    subsidy_above_capex: "subsidy_usd = 6.6e9" => "subsidy_usd = 6.6e10",
        "policy `reshore_us`: subsidy_usd 66000000000 is more than its capex_usd 20000000000",
        at "subsidy_usd = 6.6e10", hint "capex_usd is the whole capital cost";
    variant_unknown_policy: "policies = [\"stock\", \"reshore_us\"]" => "policies = [\"stock\", \"reshore-us\"]",
        "unknown policy `reshore-us`", at "reshore-us", hint "did you mean `reshore_us`?";
    unknown_key_lists_valid: "inventory_weeks = 2" => "inventry_weeks = 2",
        "unknown field `inventry_weeks`, expected one of", at "inventry_weeks", hint "did you mean `inventory_weeks`?";
    unknown_section: "[[variant]]" => "[[variants]]",
        "unknown section `variants`", at "[[variants]]", hint "did you mean `variant`?";
    syntax_error: "name = \"base\"" => "name = \"base",
        "", at "name = \"base";
    wrong_type: "horizon_weeks = 52" => "horizon_weeks = \"52\"",
        "`horizon_weeks` must be a whole number of weeks, not a string", at "horizon_weeks", hint "write 52";
    unknown_enum_value: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = \"plant\"\nproduct = \"chip\"\ncapacity_per_week = 60",
        "unknown kind `plant`, expected one of `fab`", at "kind = \"plant\"", hint "write one of: fab, materials";
    // One letter off a short name is a typo, not another name.
    unknown_short_kind_suggests: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = \"fob\"\nproduct = \"chip\"\ncapacity_per_week = 60",
        "unknown kind `fob`", at "kind = \"fob\"", hint "did you mean `fab`?";
    // serde's words for Rust types, rewritten in the scenario language.
    distribution_as_a_bare_number: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = 1.0",
        "`severity` must be a distribution: a table with one key naming its kind (fixed, uniform", at "severity = 1.0",
        hint "write `{ fixed = 1.0 }` for a fixed value";
    distribution_as_its_kind_alone: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = \"uniform\"",
        "`severity` must be a distribution: a table with one key", at "severity = \"uniform\"",
        hint "write `{ uniform = { min = 0, max = 10 } }`";
    distribution_with_two_kinds: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = { fixed = 1, beta = 2 }",
        "`severity` must be a distribution: a table with one key", at "severity = { fixed",
        hint "one kind per distribution";
    distribution_parameters_as_a_number: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = { beta = 0.8 }",
        "the parameters of a `beta` distribution form a table", at "severity = { beta = 0.8 }",
        hint "write `{ beta = { mean = 0.7, sd = 0.1 } }`";
    number_in_quotes: "capacity_per_week = 60" => "capacity_per_week = \"60\"",
        "`capacity_per_week` must be a number, not a string (in a [[facility]] entry)", at "capacity_per_week = \"60\"",
        hint "write 60 (without quotes)";
    // A number no scenario may hold is not worth unquoting.
    non_finite_number_in_quotes: "capacity_per_week = 60" => "capacity_per_week = \"NaN\"",
        "`capacity_per_week` must be a number, not a string", at "capacity_per_week = \"NaN\"",
        hint "numbers are finite and at most 1e15 in magnitude, written without quotes";
    overflowing_number_in_quotes: "capacity_per_week = 60" => "capacity_per_week = \"1e400\"",
        "`capacity_per_week` must be a number, not a string", at "capacity_per_week = \"1e400\"",
        hint "numbers are finite and at most 1e15 in magnitude";
    fractional_weeks: "suppliers = { wafer_co = 1.0 }\nlead_weeks = 1" => "suppliers = { wafer_co = 1.0 }\nlead_weeks = 2.5",
        "`lead_weeks` must be a whole number of weeks, not 2.5", at "lead_weeks = 2.5", hint "write 2 or 3";
    one_id_where_a_list_is_wanted: "countries = [\"TW\"]" => "countries = \"TW\"",
        "`countries` must be a list, not a string", at "countries = \"TW\"", hint "write [\"TW\"]";
    trigger_in_single_brackets: "[[shock.trigger]]" => "[shock.trigger]",
        "`trigger` must be an array of tables (in a [[shock]] entry)", at "[shock.trigger]",
        hint "write `[[shock.trigger]]`";
    trigger_without_its_shock_names_the_trigger: "shock = \"sanctions\"\n" => "",
        "missing field `shock` (in a [[shock.trigger]] entry)", at "[[shock.trigger]]";
    // Misspelt keywords: "did you mean", and the key's own name for
    // serde's "variant" (which reads as a policy variant).
    unknown_kind_suggests: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = \"fabs\"\nproduct = \"chip\"\ncapacity_per_week = 60",
        "unknown kind `fabs`", at "kind = \"fabs\"", hint "did you mean `fab`?";
    unknown_category_suggests: "category = \"front_end\"" => "category = \"frontend\"",
        "unknown category `frontend`", at "category = \"frontend\"", hint "did you mean `front_end`?";
    unknown_sector_suggests: "sector = \"automotive\"" => "sector = \"auto\"",
        "unknown sector `auto`", at "sector = \"auto\"", hint "did you mean `automotive`?";
    unknown_allocation_suggests: "id = \"fab_b\"" => "id = \"fab_b\"\nallocation = \"prio\"",
        "unknown allocation rule `prio`", at "allocation = \"prio\"", hint "did you mean `priority`?";
    unknown_release_suggests: "inventory_weeks = 12" => "inventory_weeks = 12\nrelease = \"during-shock\"",
        "unknown release rule `during-shock`", at "release = \"during-shock\"", hint "did you mean `during_shock`?";
    unknown_distribution_kind_suggests: "duration_weeks = { fixed = 26 }" => "duration_weeks = { fxed = 26 }",
        "unknown distribution kind `fxed`", at "fxed", hint "did you mean `fixed`?";
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
    // An id heads table rows and columns: a long one is refused (one of
    // 65,534 characters made the run table panic).
    id_too_long: "id = \"mkt\"" => "id = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
        "a market id is 129 characters long, more than 128", at "id = \"xxx", hint "`name`";
    selector_matches_nothing: "countries = [\"TW\"]" => "countries = [\"TW\"]\nkinds = [\"osat\"]",
        "shock `blockade` selects nothing", at "id = \"blockade\"";
    // Finite, but a loss of units × USD × weeks would overflow to infinity
    // and come out of the statistics as NaN.
    magnitude_beyond_the_limit: "lost_usd_per_unit = 50" => "lost_usd_per_unit = 1e300",
        "`lost_usd_per_unit` is 1e300, beyond the largest magnitude", at "1e300";
    choice_weights_overflow: "weights = [1, 3]" => "weights = [1e308, 1e308]",
        "choice weights sum to more than the largest number", at "weights = [1e308";
    // A demand shock's severity: one range, [-1, 1000], however it is broken.
    demand_rise_beyond_the_limit: "[[shock]]\nid = \"sanctions\"" => "[[shock]]\nid = \"surge\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 5000 }\n[shock.demand]\nmarkets = [\"mkt\"]\n\n[[shock]]\nid = \"sanctions\"",
        "demand `severity` can take values in [5000, 5000], outside the allowed [-1, 1000]", at "severity = { fixed = 5000 }", hint "fractional change of demand in [-1, 1000]";
    demand_fall_a_hair_beyond_the_limit: "[[shock]]\nid = \"sanctions\"" => "[[shock]]\nid = \"slump\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { fixed = -1.0000001 }\n[shock.demand]\nmarkets = [\"mkt\"]\n\n[[shock]]\nid = \"sanctions\"",
        "demand `severity` can take values in [-1.0000001, -1.0000001], outside the allowed [-1, 1000]", at "severity = { fixed";
    demand_fall_beyond_the_limit: "[[shock]]\nid = \"sanctions\"" => "[[shock]]\nid = \"slump\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { uniform = { min = -2, max = 1 } }\n[shock.demand]\nmarkets = [\"mkt\"]\n\n[[shock]]\nid = \"sanctions\"",
        "demand `severity` can take values in [-2, 1], outside the allowed [-1, 1000]", at "severity = { uniform", hint "-1 = demand gone";
    // The limit on magnitudes holds for distribution parameters too.
    fixed_duration_beyond_the_limit: "duration_weeks = { fixed = 26 }" => "duration_weeks = { fixed = 1e20 }",
        "`duration_weeks`: fixed value 1e20 is beyond the largest magnitude a scenario may use (1e15)", at "duration_weeks = { fixed = 1e20 }";
    uniform_onset_beyond_the_limit: "onset_week = { uniform = { min = 0, max = 40 } }" => "onset_week = { uniform = { min = 0, max = 1e300 } }",
        "`onset_week`: uniform max 1e300 is beyond the largest magnitude", at "max = 1e300";
    triangular_lag_beyond_the_limit: "lag_weeks = { triangular = { min = 1, mode = 2, max = 6 } }" => "lag_weeks = { triangular = { min = 1, mode = 2, max = 1e16 } }",
        "`lag_weeks`: triangular max 1e16 is beyond the largest magnitude", at "max = 1e16";
    choice_weight_beyond_the_limit: "weights = [1, 3]" => "weights = [1, 1e16]",
        "`severity`: choice weight 1e16 is beyond the largest magnitude", at "weights = [1, 1e16]";
    lognormal_tail_beyond_the_limit: "recovery_weeks = { lognormal = { median = 4, sigma = 0.5 } }" => "recovery_weeks = { lognormal = { median = 1e14, sigma = 5 } }",
        "`recovery_weeks`: lognormal median 1e14, sigma 5 draws values beyond the largest magnitude", at "median = 1e14", hint "median·e^(8·sigma)";
    lognormal_sigma_beyond_the_limit: "recovery_weeks = { lognormal = { median = 4, sigma = 0.5 } }" => "recovery_weeks = { lognormal = { median = 4, sigma = 50 } }",
        "`recovery_weeks`: lognormal median 4, sigma 50 draws values beyond the largest magnitude", at "sigma = 50";
    // Ids are written into result files (`trials.csv` joins fired shocks
    // as `id@onset/duration/severity;...`): separators, quotes and spaces
    // are refused.
    id_with_separators: "id = \"election\"" => "id = \"elec;tion@3/4\"",
        "shock id `elec;tion@3/4` contains `;`, `@`, `/`, which an id may not", at "elec;tion", hint "write \"elec_tion_3_4\"";
    id_with_a_dot: "id = \"election\"" => "id = \"new.gov\"",
        "shock id `new.gov` contains `.`", at "id = \"new.gov\"", hint "write \"new_gov\"";
    id_with_quotes_commas_and_spaces: "id = \"all\"" => "id = 'all \"v\", x'",
        "variant id `all \"v\", x` contains a space, `\"`, `,`", at "id = 'all", hint "write \"all_v_x\"";
    empty_id: "id = \"election\"" => "id = \"\"",
        "a shock id is empty", at "id = \"\"";
    // `include` below a table header is a key of that table.
    include_after_a_table_header: "[meta]\nname = \"base\"" => "[meta]\nname = \"base\"\ninclude = [\"other.toml\"]",
        "unknown field `include`", at "include = [", hint "`include` must come before the first table header";
    // A key of the shock written below its target's header.
    shock_key_below_its_target: "[shock.capacity]\ncountries = [\"TW\"]" => "[shock.capacity]\ncountries = [\"TW\"]\nonset_week = { fixed = 3 }",
        "unknown field `onset_week`", at "onset_week = {", hint "`onset_week` is a key of the [[shock]] itself: move it above the `[shock.capacity]` header";
    // A revocation with a second target: the two targets are the problem,
    // not the revocation's fields.
    revocation_with_a_capacity_target: "rate_per_year = 0.2\nrevoke = [\"allies\"]" => "rate_per_year = 0.2\nduration_weeks = { fixed = 3 }\nrevoke = [\"allies\"]\n[shock.capacity]\ncountries = [\"TW\"]",
        "shock `election` has 2 targets; it needs exactly one", at "id = \"election\"", hint "a revocation is a shock of its own";
    // An empty selector would hit everything: that must be written out.
    empty_capacity_selector: "[shock.capacity]\ncountries = [\"TW\"]" => "[shock.capacity]",
        "shock `blockade`: `[shock.capacity]` names no facilities, countries, blocs, products or kinds, so it would hit every facility", at "id = \"blockade\"", hint "kinds = [\"fab\", \"materials\"";
    empty_demand_selector: "[[shock]]\nid = \"sanctions\"" => "[[shock]]\nid = \"surge\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 0.5 }\n[shock.demand]\n\n[[shock]]\nid = \"sanctions\"",
        "shock `surge`: `[shock.demand]` names no markets, countries, blocs, sectors or products", at "id = \"surge\"", hint "sectors = [\"automotive\"";
    // Crisis sharing without its agreement: the scenario's own agreement.
    crisis_sharing_suggests_the_scenarios_agreement: "[[policy]]\nid = \"stock\"" => "[[policy]]\nid = \"share\"\n[policy.crisis_sharing]\n\n[[policy]]\nid = \"stock\"",
        "policy `share`: crisis sharing rests on an agreement", at "id = \"share\"", hint "add `agreement = \"allies\"`";
    // A shared supplier given twice: the later table is the duplicate,
    // whichever form each takes (`[[link]]` tables are read first).
    duplicate_link_is_the_later_table: "[[shock]]\nid = \"blockade\"" => "[[link]]\nsupplier = \"wafer_co\"\ncustomer = \"fab_a\"\nproduct = \"wafer\"\nshare = 1.0\n\n[[shock]]\nid = \"blockade\"",
        "duplicate link: `wafer_co` already supplies `wafer` to `fab_a`", at "supplier = \"wafer_co\"", hint "declare each supplier";
    // A share written as a percentage.
    share_as_a_percentage: "share = 0.7" => "share = 70",
        "`share` is 70, but must lie in [0, 1]", at "share = 70", hint "for 70 %, write 0.7";
    // A share a hair above 1 (normalised by hand): shown with the digits
    // that put it above 1, not rounded to "1".
    share_a_hair_above_one: "share = 0.7" => "share = 1.0000005",
        "`share` is 1.0000005, but must lie in [0, 1]", at "share = 1.0000005", hint "a fraction is at most 1: write 1 for all of it";
    // A revocation switches the regime for the rest of the trial: a
    // duration, severity or recovery would do nothing.
    revocation_with_a_duration: "rate_per_year = 0.2\nrevoke" => "rate_per_year = 0.2\nduration_weeks = { fixed = 3 }\nrevoke",
        "shock `election` revokes agreements, which stay revoked to the horizon: `duration_weeks` would have no effect", at "duration_weeks = { fixed = 3 }", hint "remove `duration_weeks`";
    revocation_with_a_severity: "rate_per_year = 0.2\nrevoke" => "rate_per_year = 0.2\nseverity = { fixed = 0.1 }\nrevoke",
        "`severity` would have no effect", at "severity = { fixed = 0.1 }", hint "a revocation has only an onset";
    duration_that_rounds_to_zero: "duration_weeks = { fixed = 26 }" => "duration_weeks = { fixed = 0 }",
        "`duration_weeks` is always below half a week (0)", at "duration_weeks = { fixed = 0 }", hint "whole weeks ≥ 1";
    lead_time_beyond_the_limit: "suppliers = { wafer_co = 1.0 }\nlead_weeks = 1" => "suppliers = { wafer_co = 1.0 }\nlead_weeks = 521",
        "`lead_weeks` is 521, more than the 520 weeks (ten years) a link may take", at "lead_weeks = 521", hint "1 to 520 weeks";
    // An export control must close some lane, as a shock's selector must
    // select something (litho flows from the US to Taiwan, not back).
    export_control_closing_nothing: "[[policy]]\nid = \"stock\"" => "[[policy]]\nid = \"ban\"\n[policy.export_control]\nfrom = [\"TW\"]\nto = [\"US\"]\nproducts = [\"litho\"]\n\n[[policy]]\nid = \"stock\"",
        "policy `ban` closes no link", at "id = \"ban\"", hint "check the ids and filters";
    // A variant overloading its own reshored fab: the advice is about the
    // reshore policy, not a friendshore's extra capacity.
    variant_overloads_its_reshored_fab: "capacity_per_week = 40\nbuild_weeks" => "capacity_per_week = 10\nbuild_weeks",
        "its policies load facility `reshore_us` to 20.0 units/week, above its capacity 10 (200 %)", at "id = \"all\"",
        hint "raise the reshore policy `reshore_us`'s capacity_per_week or lower its share";
    // TOML's "duplicate key", with the key, where it was first set and how
    // to mend it.
    duplicate_key_is_named_with_its_first_line: "id = \"fab_b\"\ncountry = \"US\"" => "id = \"fab_b\"\ncountry = \"US\"\ncountry = \"TW\"",
        "duplicate key `country` in a [[facility]] entry (first set on line 65)", at "country = \"TW\"",
        hint "remove one of them; if the second begins another entry, write `[[facility]]` above it";
    array_of_tables_begun_as_a_single_table: "[[country]]\nid = \"TW\"" => "[country]\nid = \"TW\"",
        "`[[country]]` adds an entry to `country`, which line 12 opens as a single table, `[country]`", at "[[country]]",
        hint "write `[[country]]`, with double brackets, for every entry of an array of tables, the first one too";
    second_meta_in_one_file: "[[bloc]]" => "[meta]\nname = \"again\"\n\n[[bloc]]",
        "a second [meta] table (the first is on line 4)", at "[meta]", hint "write one [meta] per file";
    missing_id: "[[facility]]\nid = \"fab_b\"" => "[[facility]]\nname = \"fab b\"",
        "missing field `id` (in a [[facility]] entry)", at "[[facility]]",
        hint "every [[facility]] entry needs an id, distinct from every other facility's: write it below `[[facility]]`, e.g. `id = \"tsmc_tw_lt10\"`";
    missing_demand_field: "units_per_week = 100\nlost_usd_per_unit = 50" => "units_per_week = 100",
        "missing field `lost_usd_per_unit` (in a [[market]] entry)", at "[market.demand.chip]",
        hint "each entry gives both `units_per_week` and `lost_usd_per_unit`";
    missing_link_field: "[[link]]\nsupplier = \"fab_b\"\ncustomer = \"mkt\"\nproduct = \"chip\"\nshare = 0.3" => "[[link]]\nsupplier = \"fab_b\"\ncustomer = \"mkt\"\nproduct = \"chip\"",
        "missing field `share` (in a [[link]] entry)", at "[[link]]", hint "add `share = ...`: every [[link]] entry needs it";
    shock_triggering_itself: "shock = \"sanctions\"" => "shock = \"blockade\"",
        "shock `blockade` triggers itself", at "shock = \"blockade\"",
        hint "a trigger names another shock, which this one sets off; to make `blockade` itself fire more often";
    // A name with a backtick in it does not garble the list of valid ones.
    backtick_in_a_kind: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = \"fa`b\"\nproduct = \"chip\"\ncapacity_per_week = 60",
        "unknown kind `fa`b`, expected one of `fab`, `materials`", at "kind = \"fa`b\"", hint "did you mean `fab`?";
    // Dates are values of no field; toml's private name for them stays out.
    date_for_a_number: "units_per_week = 100" => "units_per_week = 1979-05-27T00:00:00Z",
        "`units_per_week` is a date, which no scenario value is", at "1979-05-27";
    kind_as_a_table: "kind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 60" => "kind = { fab = 1, osat = 2 }\nproduct = \"chip\"\ncapacity_per_week = 60",
        "`kind` must be a name in quotes, not a table", at "kind = {";
    // A list where a table is wanted: the list is the mistake, not its
    // first item (which serde read as the table's first field).
    list_for_a_table: "[shock.capacity]\ncountries = [\"TW\"]" => "capacity = [{ countries = [\"TW\"] }]",
        "`capacity` must be a table, not a list", at "capacity = [", hint "write `[shock.capacity]` with its keys below it";
    meta_as_a_list: "[meta]\nname = \"base\"" => "[[meta]]\nname = \"base\"",
        "[meta] must be a table, not a list", at "[[meta]]", hint "single brackets";
    // Numbers in messages stay short at any magnitude.
    tiny_number_in_a_message: "severity = { beta = { mean = 0.8, sd = 0.1 } }" => "severity = { uniform = { min = 1e-300, max = 2.5 } }",
        "`severity` can take values in [1e-300, 2.5], outside the allowed [0, 1]", at "min = 1e-300";
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

/// Thousands of unknown references among thousands of ids (a generated
/// scenario with one systematic slip) are all reported, each at its
/// place, but only the first few dozen names are searched for a
/// did-you-mean (each search compares with every id); the first one not
/// searched says so and how many others there are.
#[test]
fn many_unknown_references_are_all_reported_but_not_all_searched() {
    let n = 20_000;
    let mut text = String::from(
        "[[country]]\nid = \"AA\"\n[[product]]\nid = \"p\"\nunit = \"u\"\n\
         category = \"front_end\"\nvalue_usd_per_unit = 1\n",
    );
    for i in 0..n {
        text += &format!(
            "[[facility]]\nid = \"fab{i}\"\ncountry = \"AA\"\nkind = \"fab\"\n\
             product = \"p\"\ncapacity_per_week = 10\n"
        );
    }
    text += "[[market]]\nid = \"m\"\ncountry = \"AA\"\nsector = \"consumer\"\n\
             [market.demand.p]\nunits_per_week = 1\nlost_usd_per_unit = 1\n";
    for i in 0..n {
        text += &format!(
            "[[link]]\nsupplier = \"fab{i}x\"\ncustomer = \"m\"\nproduct = \"p\"\nshare = 1\n"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "many.toml", &text);
    let (_, diags) = build(&path).expect_err("rejected");
    let unknown: Vec<_> = diags
        .items
        .iter()
        .filter(|d| d.message.starts_with("unknown facility `fab"))
        .collect();
    assert_eq!(unknown.len(), n, "every unknown reference is reported");
    let searched = chipshock::diagnostic::Suggester::MAX_SEARCHES;
    for (i, d) in unknown.iter().enumerate().take(searched) {
        assert_eq!(
            d.hint.as_deref(),
            Some(format!("did you mean `fab{i}`?").as_str())
        );
    }
    let stopped = unknown[searched].hint.as_deref().unwrap_or("");
    assert!(
        stopped.starts_with(&format!(
            "no did-you-mean: this and {} other unknown facility ids",
            n - searched - 1
        )),
        "{stopped}"
    );
    assert!(unknown[searched + 1..].iter().all(|d| d.hint.is_none()));
}

/// A `choice` value of weight 0 is never drawn, so the range of its key
/// does not apply to it; a value of positive weight outside it is refused.
#[test]
fn a_choice_value_of_weight_zero_is_not_held_to_the_range() {
    let base = read(&fixture("base.toml"));
    let find = "values = [0.5, 1.0], weights = [1, 3]";
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, _) = mutate(&base, find, "values = [0.5, 2.0, 1.0], weights = [1, 0, 3]");
    build(&write_temp(&dir, "ok.toml", &ok))
        .map_err(|(_, d)| d.items)
        .expect("valid");
    let (bad, _) = mutate(
        &base,
        find,
        "values = [0.5, 2.0, 1.0], weights = [1, 1e-3, 3]",
    );
    let (_, diags) = build(&write_temp(&dir, "bad.toml", &bad)).expect_err("rejected");
    assert!(
        diags.items[0]
            .message
            .contains("`severity` can take values in [0.5, 2]"),
        "{:#?}",
        diags.items
    );
}

/// A [[sourcing]] block that names no supplier is the problem, at its
/// `suppliers`; its customers are not also said to be supplied by nobody
/// (with a hint to add the block that is there).
#[test]
fn a_sourcing_block_without_suppliers_is_pointed_at() {
    let base = read(&fixture("base.toml"));
    let (text, _) = mutate(&base, "suppliers = { wafer_co = 1.0 }", "suppliers = { }");
    let dir = tempfile::tempdir().expect("tempdir");
    let (scenario, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    assert_eq!(diags.len(), 1, "{:#?}", diags.items);
    let d = &diags.items[0];
    assert_eq!(d.message, "a [[sourcing]] block with no suppliers");
    assert_eq!(scenario.sources.snippet(d.span.expect("span")), "{ }");
    assert!(
        d.hint.as_deref().is_some_and(
            |h| h.contains("`suppliers = { wafer_co = 1.0 }` (makers of `wafer`: wafer_co)")
        ),
        "{:?}",
        d.hint
    );
    // With an alternate it declares a link, and the share sum speaks.
    let (text, _) = mutate(
        &base,
        "suppliers = { wafer_co = 1.0 }",
        "suppliers = { }\nalternates = [\"wafer_co\"]",
    );
    let (_, diags) = build(&write_temp(&dir, "a.toml", &text)).expect_err("rejected");
    assert!(
        diags.items[0].message.contains("sum to 0, not 1"),
        "{:#?}",
        diags.items
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

/// One bad value is one problem: the entity it belongs to is kept, so the
/// links that name it do not add "does not use" or "nobody supplies it"
/// errors that send the reader after the wrong fix.
#[test]
fn one_bad_value_is_one_problem() {
    let base = read(&fixture("base.toml"));
    for (find, replace, message) in [
        (
            "units_per_week = 100",
            "units_per_week = -5",
            "`units_per_week` is negative (-5)",
        ),
        (
            "units_per_week = 1, erosion",
            "units_per_week = 0, erosion",
            "`units_per_week` is zero",
        ),
        (
            "share = 0.7",
            "share = 1.5",
            "`share` is 1.5, but must lie in [0, 1]",
        ),
        (
            "suppliers = { wafer_co = 1.0 }",
            "suppliers = { wafer_coo = 1.0 }",
            "unknown facility `wafer_coo`",
        ),
        (
            "recipe = { wafer = 1.0 }\ncapital",
            "recipe = { wafer = -1.0 }\ncapital",
            "`recipe.wafer` is negative (-1)",
        ),
        // A link left out for its own problem leaves its customer's shares
        // short: that is the same problem.
        (
            "supplier = \"fab_b\"",
            "supplier = \"wafer_co\"",
            "facility `wafer_co` makes `wafer`, not `chip`",
        ),
        (
            "share = 0.3",
            "share = 0.3\nqualified = false",
            "unqualified supplier `fab_b` has a positive share 0.3",
        ),
        // The lane shock `sanctions` selects the litho link: left out, it
        // does not make the shock "select nothing".
        (
            "suppliers = { litho_co = 1.0 }",
            "suppliers = { litho_co = 100 }",
            "`share` is 100, but must lie in [0, 1]",
        ),
    ] {
        let (text, _) = mutate(&base, find, replace);
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
        let all: Vec<&str> = diags.items.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(all.len(), 1, "{replace}: {all:#?}");
        assert!(all[0].contains(message), "{replace}: {all:#?}");
    }
}

/// The blockade of base.toml after a later file overrides it with `body`
/// (its fields after `override = true`).
fn overridden_blockade(body: &str) -> chipshock::network::Shock {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        &format!(
            "include = [\"base.toml\"]\n\n[[shock]]\nid = \"blockade\"\noverride = true\n{body}"
        ),
    );
    let net = build(&top).map_err(|(_, d)| d.items).expect("valid");
    net.shocks
        .into_iter()
        .find(|s| s.id == "blockade")
        .expect("blockade")
}

/// An override that gives a shock another kind of target replaces its
/// target: the blockade, a capacity shock in base.toml, becomes a lane
/// shock (it once had both targets, and was refused for it).
#[test]
fn an_override_can_retarget_a_shock() {
    let sh = overridden_blockade("[shock.lane]\nfrom = [\"TW\"]\nto = [\"US\"]\n");
    assert!(
        matches!(sh.target, chipshock::network::ShockTarget::Lane(_)),
        "{:?}",
        sh.target
    );
}

/// An override that gives a rate replaces the probability (one of the two
/// is allowed, so keeping both was refused with "gives both"), and one that
/// makes the shock a revocation drops its duration, severity and recovery.
#[test]
fn an_override_replaces_how_often_and_what_a_shock_is() {
    let sh = overridden_blockade("rate_per_year = 0.5\n");
    assert!(
        matches!(sh.occurrence, chipshock::network::Occurrence::RatePerYear(r) if r == 0.5),
        "{:?}",
        sh.occurrence
    );
    let sh = overridden_blockade("revoke = [\"allies\"]\n");
    assert!(
        matches!(sh.target, chipshock::network::ShockTarget::Revoke(_)),
        "{:?}",
        sh.target
    );
}

/// A sweep file given where a scenario is expected is recognised.
#[test]
fn a_sweep_file_given_as_a_scenario_is_recognised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write_temp(
        &dir,
        "s.toml",
        "[sweep]\nscenario = \"base.toml\"\nvariants = [\"baseline\"]\ntrials = 10\n",
    );
    let (_, diags) = build(&p).expect_err("rejected");
    let d = diags
        .items
        .iter()
        .find(|d| d.message.contains("unknown section `sweep`"))
        .expect("reported");
    assert!(
        d.hint
            .as_deref()
            .is_some_and(|h| h.contains("chipshock sweep")),
        "{:?}",
        d.hint
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
fn every_unknown_key_of_an_entry_is_reported_at_once() {
    // Three misspelt keys in one facility (one of them a required key, one
    // inside a nested table) and a fourth, unrelated, mistake after them.
    let base = read(&fixture("base.toml"));
    let text = base
        .replace(
            "id = \"fab_b\"\ncountry = \"US\"\nkind = \"fab\"\nproduct = \"chip\"",
            "id = \"fab_b\"\ncountry = \"US\"\nkind = \"fab\"\nprodct = \"chip\"\ncolour = 1",
        )
        .replace(
            "litho = { units_per_week = 1, erosion_per_week = 0.05 }",
            "litho = { units_per_wek = 1, erosion_per_week = 0.05 }",
        )
        .replace("inventory_weeks = 2", "inventory_weeks = \"two\"");
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", &text)).expect_err("rejected");
    let msgs: Vec<&str> = diags.items.iter().map(|d| d.message.as_str()).collect();
    let at = |want: &str| {
        msgs.iter()
            .position(|m| m.starts_with(want))
            .unwrap_or_else(|| panic!("missing `{want}` in {msgs:#?}"))
    };
    // fab_a: the nested unknown key, then the type error after it.
    assert!(at("unknown field `units_per_wek`") < at("`inventory_weeks` must be a number"));
    // fab_b: both unknown keys, in file order, with the likely key named.
    assert!(at("unknown field `prodct`") < at("unknown field `colour`"));
    let prodct = &diags.items[at("unknown field `prodct`")];
    assert_eq!(prodct.hint.as_deref(), Some("did you mean `product`?"));
    // Taking `prodct` out leaves `product` missing: that is the same
    // mistake, and not reported again.
    assert!(
        !msgs.iter().any(|m| m.contains("missing field")),
        "{msgs:#?}"
    );
    assert_eq!(diags.len(), 4, "{msgs:#?}");
}

/// A misspelt key whose value does not fit the key it most likely meant
/// (or whose value holds typos of its own) is reported once and taken out,
/// and the entry read on: the keys after it are reported too. A misspelt
/// distribution parameter is an unknown key like any other. Problems of
/// different sections come in file order.
#[test]
fn unknown_keys_after_a_bad_value_and_in_distributions_are_reported() {
    let text = "[[shock]]\nid = \"s\"\nprobabilty = 0.5\n\
        duration_weeks = { pert = { min = 4, mod = 12, max = 52 } }\nseverity = { fixd = 1.0 }\n\
        [shock.capacity]\ncountries = [\"A\"]\n\
        [[facility]]\nid = \"f\"\ncountry = \"A\"\nkind = \"fab\"\nproduct = \"chip\"\n\
        capacity_per_week = 10\ncapcity = \"abc\"\n\
        capitl = { tool = { units_per_weak = 2, erosion_per_week = 0.03 } }\n\
        recovry_weeks = 2\nfoo = 1\n\
        [[country]]\nid = \"A\"\ncolour = 1\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", text)).expect_err("rejected");
    let got: Vec<(&str, Option<&str>)> = diags
        .items
        .iter()
        .map(|d| {
            let m = d.message.as_str();
            (m.split(',').next().unwrap_or(m), d.hint.as_deref())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "unknown field `probabilty`",
                Some("did you mean `probability`?")
            ),
            ("unknown field `mod`", Some("did you mean `mode`?")),
            (
                "unknown distribution kind `fixd`",
                Some("did you mean `fixed`?")
            ),
            (
                "unknown field `capcity`",
                Some("did you mean `capacity_per_week`?")
            ),
            ("unknown field `capitl`", Some("did you mean `capital`?")),
            (
                "unknown field `recovry_weeks`",
                Some("did you mean `recovery_weeks`?")
            ),
            (
                "unknown field `foo`",
                Some(
                    "valid keys: id, name, firm, country, kind, product, capacity_per_week, \
                     recipe, capital, inventory_weeks, recovery_weeks, allocation, override"
                )
            ),
            (
                "unknown field `colour`",
                Some("valid keys: id, name, blocs, override")
            ),
        ]
    );
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

/// A chain of includes longer than the loader's limit (a generated one)
/// is an error at the include one level too deep, not a stack overflow.
#[test]
fn includes_nested_past_the_limit_are_refused_at_the_include() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deepest = chipshock::scenario::MAX_INCLUDE_DEPTH;
    for i in 0..deepest + 20 {
        let next = i + 1;
        write_temp(
            &dir,
            &format!("d{i}.toml"),
            &format!("# level {i}\ninclude = [\"d{next}.toml\"]\n"),
        );
    }
    let (scenario, diags) = build(&dir.path().join("d0.toml")).expect_err("rejected");
    assert_eq!(diags.len(), 1, "{:#?}", diags.items);
    let d = &diags.items[0];
    assert!(
        d.message
            .starts_with(&format!("includes nest more than {deepest} deep: ")),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("d0.toml") && d.message.ends_with(&format!("d{}.toml", deepest + 1)),
        "{}",
        d.message
    );
    let loc = scenario.sources.locate(d.span.expect("span")).expect("loc");
    assert!(loc.file.ends_with(&format!("d{deepest}.toml")), "{loc}");
    assert_eq!(loc.line, 2);
    assert_eq!(scenario.sources.files().len(), deepest + 1);
}

/// An included file that is not UTF-8 is reported at its own first byte
/// that is not, like any other problem of its contents.
#[test]
fn an_included_file_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = write_temp(&dir, "top.toml", "include = [\"sub/old.toml\"]\n");
    std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
    std::fs::write(
        dir.path().join("sub/old.toml"),
        b"[[country]]\nid = \"FR\"\nname = \"Fran\xe7e\"\n",
    )
    .expect("write");
    let (scenario, diags) = build(&top).expect_err("rejected");
    assert_eq!(diags.len(), 1, "{:#?}", diags.items);
    let d = &diags.items[0];
    assert_eq!(
        d.message,
        "the file is not UTF-8 text: byte 0xE7 is not part of a character"
    );
    let loc = scenario.sources.locate(d.span.expect("span")).expect("loc");
    assert!(loc.file.ends_with("old.toml"), "{loc}");
    assert_eq!((loc.line, loc.column), (3, 13));
    assert!(
        d.hint
            .as_deref()
            .is_some_and(|h| h.contains("save the file as UTF-8")),
        "{:?}",
        d.hint
    );
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

/// TOML's duplicate keys and tables: one problem each, at the second
/// definition, naming what is defined twice and where it was first (the
/// parser reports a second `[meta]` once for the table and again for each
/// key both set, and `[country]` once for every later `[[country]]`).
#[test]
fn a_duplicate_in_the_toml_is_one_problem_at_its_second_definition() {
    for (text, message, line, hint) in [
        (
            "[[country]]\nid=\"A\"\nname=\"x\"\nname=\"y\"\n",
            "duplicate key `name` in a [[country]] entry (first set on line 3)",
            4,
            "remove one of them",
        ),
        (
            "[country]\nid = \"A\"\n\n[[country]]\nid = \"B\"\n\n[[country]]\nid = \"C\"\n",
            "`[[country]]` adds an entry to `country`, which line 1 opens as a single table, `[country]`",
            4,
            "write `[[country]]`, with double brackets, for every entry",
        ),
        (
            "[meta]\nname = \"a\"\n\n[[country]]\nid = \"A\"\n\n[meta]\nname = \"b\"\n",
            "a second [meta] table (the first is on line 1)",
            7,
            "move these keys into the first",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_temp(&dir, "d.toml", text);
        let (scenario, diags) = build(&path).expect_err("rejected");
        assert_eq!(diags.len(), 1, "{:#?}", diags.items);
        let d = &diags.items[0];
        assert_eq!(d.message, message);
        let at = scenario
            .sources
            .locate(d.span.expect("a span"))
            .expect("in the file");
        assert_eq!((at.line, at.column), (line, 1), "{message}");
        assert!(
            d.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{:?}",
            d.hint
        );
        // The first definition is shown too.
        let first = d.related.first().expect("the first definition");
        let first_line = scenario.sources.locate(first.0).expect("in the file").line;
        assert!(message.contains(&format!("line {first_line}")), "{message}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(
        &dir,
        "d.toml",
        "[[country]]\nid=\"A\"\nname=\"x\"\nname=\"y\"\n",
    );
    let out = chipshock().arg("validate").arg(&path).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for want in [
        "error: duplicate key `name` in a [[country]] entry (first set on line 3)",
        "d.toml:4:1",
        "3 │ name=\"x\"\n  │ ---- first set here",
        "= hint: remove one of them",
    ] {
        assert!(stderr.contains(want), "`{want}` not in\n{stderr}");
    }
}

/// An override's entry of a table keyed by id replaces the earlier entry
/// whole: one that leaves a key out is told so.
#[test]
fn an_incomplete_override_entry_is_told_it_replaces_the_whole_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "world/base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n\
         [[market]]\nid = \"mkt\"\noverride = true\n\
         [market.demand.chip]\nunits_per_week = 90\n",
    );
    let (scenario, diags) = build(&top).expect_err("rejected");
    assert_eq!(diags.len(), 1, "{:#?}", diags.items);
    let d = &diags.items[0];
    assert_eq!(
        d.message,
        "missing field `lost_usd_per_unit` (in a [[market]] entry)"
    );
    let at = scenario
        .sources
        .locate(d.span.expect("a span"))
        .expect("in a file");
    assert!(at.file.ends_with("top.toml") && at.line == 6, "{at}");
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "write `lost_usd_per_unit = ...` in [market.demand.chip]: an override replaces the \
             earlier `chip` entry whole, keeping none of its values, so it gives both \
             `units_per_week` and `lost_usd_per_unit`"
        )
    );
}

/// An override that names one entry of a table keyed by id (a market's
/// `demand`) adds or replaces that entry and keeps the others: adding
/// `wafer` demand to `mkt` keeps its `chip` demand, which `fab_a` and
/// `fab_b` still supply.
#[test]
fn override_keeps_the_entries_it_does_not_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "world/base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n\
         [[market]]\nid = \"mkt\"\noverride = true\n\
         [market.demand.wafer]\nunits_per_week = 10\nlost_usd_per_unit = 5\n\n\
         [[link]]\nsupplier = \"wafer_co\"\ncustomer = \"mkt\"\nproduct = \"wafer\"\nshare = 1.0\n",
    );
    let net = build(&top).map_err(|(_, d)| d.items).expect("valid");
    let mkt = net.markets.iter().position(|m| m.id == "mkt").expect("mkt") as u32;
    let demand = |product: &str| {
        net.needs
            .iter()
            .find(|n| {
                n.customer == Customer::Market(mkt)
                    && net.products[n.product as usize].id == product
            })
            .map(|n| n.baseline_use)
    };
    assert_eq!(demand("chip"), Some(100.0), "the chip demand is kept");
    assert_eq!(demand("wafer"), Some(10.0), "the wafer demand is added");
}

/// An entry the override names replaces the earlier one whole, and takes
/// the override's place (its span), so later messages point at it; the
/// facility's `recipe` and `capital` merge the same way.
#[test]
fn override_replaces_a_named_entry_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "world/base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n\
         [[facility]]\nid = \"fab_a\"\noverride = true\nrecipe = { silicon = 0.5 }\n\
         [facility.capital.euv]\nunits_per_week = 2\nerosion_per_week = 0.1\n\n\
         [[market]]\nid = \"mkt\"\noverride = true\n\
         [market.demand.chip]\nunits_per_week = 90\nlost_usd_per_unit = 60\n",
    );
    let (scenario, diags) = chipshock::scenario::load_scenario(&top).expect("readable");
    assert!(diags.is_empty(), "{:#?}", diags.items);
    let merged = &scenario.merged;
    let fab_a = merged
        .facility
        .iter()
        .find(|f| f.id.value == "fab_a")
        .expect("fab_a");
    let keys = |m: Option<Vec<&String>>| {
        m.unwrap_or_default()
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(
            fab_a
                .recipe
                .as_ref()
                .map(|r| r.keys().map(|k| &k.value).collect())
        ),
        ["silicon", "wafer"]
    );
    assert_eq!(
        keys(
            fab_a
                .capital
                .as_ref()
                .map(|c| c.keys().map(|k| &k.value).collect())
        ),
        ["euv", "litho"]
    );
    let mkt = merged
        .market
        .iter()
        .find(|m| m.id.value == "mkt")
        .expect("mkt");
    let (chip, demand) = mkt
        .demand
        .as_ref()
        .and_then(|d| d.iter().next())
        .expect("chip demand");
    assert_eq!(
        (demand.units_per_week.value, demand.lost_usd_per_unit.value),
        (90.0, 60.0)
    );
    let at = scenario.sources.locate(chip.span).expect("in a file");
    assert!(at.file.ends_with("top.toml"), "the entry is placed at {at}");
}

#[test]
fn override_of_a_misspelt_id_suggests_the_existing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "world/base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n[[facility]]\nid = \"fab_aa\"\noverride = true\ncapacity_per_week = 200\n",
    );
    let (_, diags) = build(&top).expect_err("rejected");
    let d = diags
        .items
        .iter()
        .find(|d| d.message.contains("facility `fab_aa` overrides nothing"))
        .expect("reported");
    let hint = d.hint.clone().unwrap_or_default();
    assert!(hint.contains("did you mean `fab_a`?"), "{hint}");
}

/// The override example of docs/SCENARIOS.md ("Files and includes") is a
/// valid scenario next to the shipped files it includes.
#[test]
fn files_and_includes_example_validates() {
    let doc = read(&repo().join("docs/SCENARIOS.md"));
    let section = doc
        .split("## Files and includes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a TOML example");
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(repo().join("scenarios/world")).expect("scenarios/world") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("a file name").to_string_lossy();
        write_temp(&dir, &format!("world/{name}"), &read(&path));
    }
    let path = write_temp(&dir, "example.toml", example);
    if let Err((_, diags)) = build(&path) {
        panic!("the example is invalid: {:#?}", diags.items);
    }
}

/// A misspelt candidate of a `[[sourcing]]` with two customers is checked
/// for each customer, and printed once.
#[test]
fn the_same_problem_is_printed_once() {
    let base = read(&fixture("base.toml"));
    let (text, _) = mutate(
        &base,
        "suppliers = { wafer_co = 1.0 }\nlead_weeks = 1",
        "suppliers = { wafer_co = 1.0 }\ncandidates = [\"wafer_cp\"]\nlead_weeks = 1",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "s.toml", &text);
    let out = assert_cmd::Command::cargo_bin("chipshock")
        .expect("binary built")
        .env("NO_COLOR", "1")
        .arg("validate")
        .arg(&path)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("unknown facility `wafer_cp`").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("the scenario has 1 problem\n"), "{stderr}");
}

/// The messages of `text` when it is validated (it must be rejected).
fn problems(text: &str) -> Vec<chipshock::diagnostic::Diagnostic> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, diags) = build(&write_temp(&dir, "s.toml", text)).expect_err("rejected");
    diags.items
}

/// A link given in an included `[[sourcing]]` and again in the including
/// file's `[[link]]`: the included one comes first in load order, and the
/// customer's shares are not reported as well (they are right as written,
/// counting each supplier once).
#[test]
fn a_duplicate_link_across_files_is_the_later_one_and_only_that() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "world/base.toml", &read(&fixture("base.toml")));
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"world/base.toml\"]\n\n[[link]]\nsupplier = \"wafer_co\"\ncustomer = \"fab_b\"\nproduct = \"wafer\"\nshare = 0.0\n",
    );
    let (scenario, diags) = build(&top).expect_err("rejected");
    assert_eq!(diags.len(), 1, "{:#?}", diags.items);
    let d = &diags.items[0];
    assert!(
        d.message
            .contains("duplicate link: `wafer_co` already supplies `wafer` to `fab_b`"),
        "{}",
        d.message
    );
    assert_eq!(d.label, "declared again here");
    let again = scenario.sources.locate(d.span.expect("span")).expect("loc");
    assert!(
        again.file.ends_with("top.toml") && again.line == 4,
        "{again}"
    );
    let (first_span, first_label) = &d.related[0];
    assert_eq!(first_label, "first declared here");
    let first = scenario.sources.locate(*first_span).expect("loc");
    assert!(first.file.ends_with("world/base.toml"), "{first}");
}

/// Short ids get suggestions for one slip of the keyboard, in references
/// and in overrides alike.
#[test]
fn short_ids_get_suggestions() {
    let base = read(&fixture("short_ids.toml"));
    let text = base
        .replace("supplier = \"fab\"", "supplier = \"fba\"")
        .replace("facilities = [\"fab\"]", "facilities = [\"fbb\"]");
    let found = problems(&text);
    for id in ["fba", "fbb"] {
        let d = found
            .iter()
            .find(|d| d.message == format!("unknown facility `{id}`"))
            .unwrap_or_else(|| panic!("`{id}` not reported: {found:#?}"));
        assert_eq!(d.hint.as_deref(), Some("did you mean `fab`?"), "{id}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_temp(&dir, "base.toml", &base);
    let top = write_temp(
        &dir,
        "top.toml",
        "include = [\"base.toml\"]\n\n[[facility]]\nid = \"fba\"\noverride = true\ncapacity_per_week = 200\n",
    );
    let (_, diags) = build(&top).expect_err("rejected");
    let hint = diags.items[0].hint.clone().unwrap_or_default();
    assert!(hint.starts_with("did you mean `fab`?"), "{hint}");
}

/// A facility whose country did not resolve might be the one a shock's
/// country selector meant: the shock is not said to select nothing.
#[test]
fn a_selector_is_not_blamed_for_an_entity_already_reported() {
    let base = read(&fixture("short_ids.toml"));
    let text = base
        .replace("country = \"TW\"\nkind", "country = \"TWN\"\nkind")
        .replace("facilities = [\"fab\"]", "countries = [\"TW\"]");
    let found = problems(&text);
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["unknown country `TWN`"]);
}

/// Crisis sharing without its agreement: the hint names the scenario's own
/// agreement blocs, or says how to declare one.
#[test]
fn crisis_sharing_hints_name_the_scenarios_agreements() {
    let base = read(&fixture("base.toml"));
    let policy = "[[policy]]\nid = \"share\"\n[policy.crisis_sharing]\n\n[[variant]]";
    let hint = |text: &str| {
        problems(text)
            .into_iter()
            .find(|d| d.message.contains("crisis sharing rests on an agreement"))
            .and_then(|d| d.hint)
            .unwrap_or_default()
    };
    let two = base.replace("[[variant]]", policy).replace(
        "[[country]]\nid = \"TW\"",
        "[[bloc]]\nid = \"pact\"\nagreement = true\n\n[[country]]\nid = \"TW\"",
    );
    let h = hint(&two);
    assert!(h.contains("allies, pact") && !h.contains("ipef"), "{h}");
    let none = base
        .replace("[[variant]]", policy)
        .replace("agreement = true", "agreement = false")
        .replace("revoke = [\"allies\"]", "revoke = []");
    let h = hint(&none);
    assert!(h.contains("the scenario declares none yet"), "{h}");
}

/// What is valid but does nothing is noted by `validate`: a shock whose
/// onset is always past the horizon, a shock on a facility that supplies
/// nobody, a stockpile target no higher than the stock already held.
#[test]
fn validate_notes_what_does_nothing() {
    let base = read(&fixture("base.toml"));
    let text = base
        .replace(
            "onset_week = { uniform = { min = 0, max = 40 } }",
            "onset_week = { fixed = 60 }",
        )
        .replace(
            "[[market]]",
            "[[facility]]\nid = \"idle\"\ncountry = \"TW\"\nkind = \"fab\"\nproduct = \"chip\"\ncapacity_per_week = 5\n\n\
             [[shock]]\nid = \"idle_fire\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 1 }\n\
             [shock.capacity]\nfacilities = [\"idle\"]\n\n\
             [[shock]]\nid = \"dormant\"\nprobability = 0\nduration_weeks = { fixed = 4 }\nseverity = { fixed = 1 }\n\
             [shock.capacity]\nfacilities = [\"fab_a\"]\n\n[[market]]",
        )
        .replace("inventory_weeks = 12", "inventory_weeks = 0.5");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "s.toml", &text);
    let net = build(&path).map_err(|(_, d)| d.items).expect("valid");
    let notes = chipshock::network::notes(&net);
    assert_eq!(
        notes,
        [
            "shock `idle_fire` has no effect: it hits only facilities that supply nobody (`idle`)",
            "shock `dormant` never fires: its probability is 0 and no shock triggers it",
            "shock `blockade` never fires: its onset_week is never before the horizon (52 weeks)",
            "policy `stock` raises no stock: every customer input it selects already holds 0.5 weeks or more",
        ]
    );
    let out = chipshock().arg("validate").arg(&path).assert().code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("  note: shock `blockade` never fires"),
        "{stdout}"
    );
    // The shipped world has nothing to note.
    assert!(
        chipshock::network::notes(
            &build(&repo().join("scenarios/world.toml"))
                .map_err(|(_, d)| d.items)
                .expect("valid")
        )
        .is_empty()
    );
}

/// A shock's events in a trial are cut to 64: a rate at which that is
/// likelier than once in a million trials is noted, one below it is not.
#[test]
fn a_rate_whose_events_would_be_cut_is_noted() {
    let example = read(&repo().join("scenarios/examples/two_suppliers.toml"));
    let (text, _) = mutate(&example, "horizon_weeks = 52 ", "horizon_weeks = 5200 ");
    let (text, _) = mutate(&text, "probability = 1.0 ", "rate_per_year = 1e6 ");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "s.toml", &text);
    let net = build(&path).map_err(|(_, d)| d.items).expect("valid");
    assert_eq!(
        chipshock::network::notes(&net),
        [
            "shock `fab_a_outage` fires at most 64 times in a trial: at rate_per_year 1000000 it \
          averages 100000000 events over the horizon (5200 weeks), so its count is cut to 64 in \
          practically every trial"
        ]
    );
    let out = chipshock().arg("validate").arg(&path).assert().code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("  note: shock `fab_a_outage` fires at most 64 times in a trial"),
        "{stdout}"
    );
    // Around the line: means 33 and 34 events over the base's 52 weeks.
    let base = read(&fixture("base.toml"));
    let notes = |rate: &str| {
        let (text, _) = mutate(
            &base,
            "rate_per_year = 0.2",
            &format!("rate_per_year = {rate}"),
        );
        let path = write_temp(&dir, "base.toml", &text);
        chipshock::network::notes(&build(&path).map_err(|(_, d)| d.items).expect("valid"))
            .into_iter()
            .filter(|n| n.contains("at most 64"))
            .collect::<Vec<_>>()
    };
    assert_eq!(notes("33"), Vec::<String>::new());
    assert_eq!(
        notes("34"),
        [
            "shock `election` fires at most 64 times in a trial: at rate_per_year 34 it averages 34 \
          events over the horizon (52 weeks), so its count is cut to 64 in 0.00015 % of trials"
        ]
    );
}

/// When the files themselves have problems, the entities with them are
/// left out and references to them cannot be checked: the closing line
/// says that more checks follow.
#[test]
fn parse_problems_say_that_more_checks_follow() {
    let base = read(&fixture("base.toml"));
    let text = base
        .replace("inventory_weeks = 2", "inventry_weeks = 2")
        .replace("supplier = \"fab_b\"", "supplier = \"fab_c\"");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_temp(&dir, "s.toml", &text);
    let out = chipshock().arg("validate").arg(&path).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(
            "error: the scenario has 1 problem; references and values are checked once it is fixed\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("fab_c"), "{stderr}");
}

/// A lognormal of realistic spread passes; a demand shock's lognormal,
/// unbounded, is capped when drawn rather than refused.
#[test]
fn realistic_lognormals_pass() {
    let base = read(&fixture("base.toml"));
    let text = base
        .replace(
            "recovery_weeks = { lognormal = { median = 4, sigma = 0.5 } }",
            "recovery_weeks = { lognormal = { median = 8, sigma = 3 } }",
        )
        .replace(
            "[[shock]]\nid = \"sanctions\"",
            "[[shock]]\nid = \"surge\"\nprobability = 0.1\nduration_weeks = { fixed = 4 }\n\
             severity = { lognormal = { median = 0.2, sigma = 1 } }\n[shock.demand]\nmarkets = [\"mkt\"]\n\n\
             [[shock]]\nid = \"sanctions\"",
        );
    let dir = tempfile::tempdir().expect("tempdir");
    build(&write_temp(&dir, "s.toml", &text))
        .map_err(|(_, d)| d.items)
        .expect("valid");
}

/// A trial keeps 4,096 fired shocks at most: a scenario whose shocks could
/// come near that together is noted; one whose shocks cannot reach it
/// (63 rate shocks of at most 64 events, one of probability 0.1 and one
/// triggered: 4,034 at most) is not.
#[test]
fn shocks_that_could_fire_past_the_trial_cap_are_noted() {
    let base = read(&fixture("base.toml"));
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = |shocks: usize, rate: &str| {
        let mut text = base.clone();
        for i in 0..shocks {
            text.push_str(&format!(
                "\n[[shock]]\nid = \"storm_{i}\"\nrate_per_year = {rate}\n\
                 duration_weeks = {{ fixed = 1 }}\nseverity = {{ fixed = 0.1 }}\n\
                 [shock.capacity]\ncountries = [\"TW\"]\n"
            ));
        }
        let path = write_temp(&dir, "many.toml", &text);
        chipshock::network::notes(&build(&path).map_err(|(_, d)| d.items).expect("valid"))
            .into_iter()
            .filter(|n| n.contains("fired shocks at most"))
            .collect::<Vec<_>>()
    };
    // With the base's blockade (probability 0.1) and election (rate 0.2):
    // 62 storms at the per-shock cut, 64 events each, stay within 4,096.
    assert_eq!(notes(62, "1e4"), Vec::<String>::new());
    // 70 storms at the cut: 4,480 events a trial, every trial (and 4,485
    // with the others' six standard deviations and the triggered one).
    assert_eq!(
        notes(70, "1e4"),
        [
            "the shocks fire 4480 times a trial on average, and up to about 4485 (six standard \
             deviations, every triggered shock added): a trial keeps 4096 fired shocks at most, \
             dropping the events of the shocks declared last"
        ]
    );
    // 70 storms a year each: far from the cap.
    assert_eq!(notes(70, "1"), Vec::<String>::new());
}
