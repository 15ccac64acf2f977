//! Parameter paths: addressing one number of a scenario by name.
//!
//! A sweep axis names a number as `kind.id.field[.sub]`, e.g.
//! `shock.taiwan_blockade.probability`,
//! `policy.us_chips_arizona.capacity_per_week`,
//! `product.logic_leading.qualification_weeks`,
//! `market.us_auto.demand.mcu.units_per_week`,
//! `shock.taiwan_blockade.duration_weeks.mode`.
//! The value is written into the loaded scenario (with the span of the
//! sweep file's axis), which is then compiled as usual: a value that makes
//! the scenario invalid is reported like any other scenario error, pointing
//! at the axis.

use crate::diagnostic::did_you_mean;
use crate::report::fmt::num;
use crate::scenario::{Dist, Num, Policy, ScenarioFile};
use crate::source::{Sp, Span};

/// The keys of a shock whose value is a distribution.
const SHOCK_DISTRIBUTIONS: [&str; 4] =
    ["onset_week", "duration_weeks", "severity", "recovery_weeks"];

/// The parameter `path` sets, spelt one way: a policy's `capacity` is its
/// `capacity_per_week`, a fixed distribution's `fixed` is its `value`, and
/// a shock's `probability` and `rate_per_year` are both its `occurrence`
/// (one parameter written two ways: setting one removes the other).
pub fn canonical(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["policy", id, "capacity"] => format!("policy.{id}.capacity_per_week"),
        ["shock", id, "probability" | "rate_per_year"] => format!("shock.{id}.occurrence"),
        ["shock", id, dist, "fixed"] if SHOCK_DISTRIBUTIONS.contains(dist) => {
            format!("shock.{id}.{dist}.value")
        }
        _ => path.to_string(),
    }
}

/// Whether axes `a` and `b` set the same number, so that one of them would
/// silently have no effect: the same parameter (see [`canonical`]), or a
/// whole distribution and one of its parameters (setting the distribution
/// replaces the parameter).
pub fn overlap(a: &str, b: &str) -> bool {
    let (a, b) = (canonical(a), canonical(b));
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}

/// A path being applied, for its error messages.
struct Target<'a> {
    kind: &'a str,
    id: &'a str,
    /// Everything after the id (`demand.chip.units_per_week`).
    field: String,
}

impl Target<'_> {
    /// "did you mean `kind.id.x`? " for the candidate field closest to the
    /// one written (never the one written), or nothing.
    fn suggestion(&self, candidates: &[String]) -> String {
        did_you_mean(
            &self.field,
            candidates
                .iter()
                .map(String::as_str)
                .filter(|c| *c != self.field),
        )
        .map(|s| format!("did you mean `{}.{}.{s}`? ", self.kind, self.id))
        .unwrap_or_default()
    }

    /// The field is not one of `candidates` (every numeric field of this
    /// entity, written in full); `valid` lists them for the reader.
    fn unknown_field(&self, what: &str, candidates: &[String], valid: &[&str]) -> String {
        format!(
            "`{}` is not a numeric field of {what}; {}valid: {}",
            self.field,
            self.suggestion(candidates),
            valid.join(", ")
        )
    }

    /// `sub` (a recipe input, a demanded product, a triggered shock) is not
    /// among `ids`, those this entity has: `missing` says what it is not,
    /// `listed` names the list, `none` says there is none, and
    /// `field_of(id)` is the field an id would give, for the suggestion.
    fn unknown_sub_id(
        &self,
        missing: String,
        sub: &str,
        ids: &[&str],
        field_of: impl Fn(&str) -> String,
        (listed, none): (&str, &str),
    ) -> String {
        if ids.is_empty() {
            return format!("{missing} `{sub}`: {none}");
        }
        let hint = did_you_mean(sub, ids.iter().copied())
            .map(|s| {
                format!(
                    "did you mean `{}.{}.{}`? ",
                    self.kind,
                    self.id,
                    field_of(&s)
                )
            })
            .unwrap_or_default();
        format!("{missing} `{sub}`; {hint}{listed}: {}", ids.join(", "))
    }
}

/// Writes `value` at `path` in `file`. The error says what is wrong with
/// the path and lists what would have been valid.
pub fn apply(file: &mut ScenarioFile, path: &str, value: f64, span: Span) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() < 3 {
        return Err(format!(
            "`{path}` is not a parameter path; write kind.id.field, e.g. shock.taiwan_blockade.probability"
        ));
    }
    let (kind, id, rest) = (parts[0], parts[1], &parts[2..]);
    let target = Target {
        kind,
        id,
        field: rest.join("."),
    };
    let v = Sp::new(value, span);
    let set = |slot: &mut Option<Num>| *slot = Some(v.clone());
    let not_found = |ids: Vec<String>| -> String {
        let hint = did_you_mean(id, ids.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        format!("no {kind} `{id}` in the scenario{hint}")
    };
    match kind {
        "meta" => Err("meta settings are not sweep parameters; sweep the trials or the scenario values instead".into()),
        "product" => {
            let ids: Vec<String> = file.product.iter().map(|x| x.id.value.clone()).collect();
            let Some(p) = file.product.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            const FIELDS: [&str; 2] = ["value_usd_per_unit", "qualification_weeks"];
            match rest {
                ["value_usd_per_unit"] => set(&mut p.value_usd_per_unit),
                ["qualification_weeks"] => set(&mut p.qualification_weeks),
                _ => {
                    let all = FIELDS.map(String::from);
                    return Err(target.unknown_field(&format!("product `{id}`"), &all, &FIELDS));
                }
            }
            Ok(())
        }
        "facility" => {
            let ids: Vec<String> = file.facility.iter().map(|x| x.id.value.clone()).collect();
            let Some(f) = file.facility.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            let inputs: Vec<String> = f.recipe.iter().flatten().map(|(k, _)| k.value.clone()).collect();
            let capital: Vec<String> = f.capital.iter().flatten().map(|(k, _)| k.value.clone()).collect();
            let mut all: Vec<String> = ["capacity_per_week", "inventory_weeks", "recovery_weeks"].map(String::from).into();
            all.extend(inputs.iter().map(|i| format!("recipe.{i}")));
            for c in &capital {
                all.push(format!("capital.{c}.units_per_week"));
                all.push(format!("capital.{c}.erosion_per_week"));
            }
            let what = format!("facility `{id}`");
            match rest {
                ["capacity_per_week"] => set(&mut f.capacity_per_week),
                ["inventory_weeks"] => set(&mut f.inventory_weeks),
                ["recovery_weeks"] => set(&mut f.recovery_weeks),
                ["recipe", input] => {
                    let Some((_, slot)) = f.recipe.iter_mut().flatten().find(|(k, _)| k.value == *input) else {
                        let ids: Vec<&str> = inputs.iter().map(String::as_str).collect();
                        return Err(target.unknown_sub_id(
                            format!("facility `{id}` has no recipe input"),
                            input,
                            &ids,
                            |i| format!("recipe.{i}"),
                            ("its recipe inputs", "it has no recipe"),
                        ));
                    };
                    *slot = v;
                }
                ["capital", input, field] => {
                    let Some((_, cap)) = f.capital.iter_mut().flatten().find(|(k, _)| k.value == *input) else {
                        let ids: Vec<&str> = capital.iter().map(String::as_str).collect();
                        return Err(target.unknown_sub_id(
                            format!("facility `{id}` has no capital input"),
                            input,
                            &ids,
                            |i| format!("capital.{i}.{field}"),
                            ("its capital inputs", "it has no capital inputs"),
                        ));
                    };
                    match *field {
                        "units_per_week" => cap.units_per_week = v,
                        "erosion_per_week" => cap.erosion_per_week = v,
                        _ => {
                            return Err(target.unknown_field(
                                &what,
                                &all,
                                &["capital.<input>.units_per_week", "capital.<input>.erosion_per_week"],
                            ));
                        }
                    }
                }
                _ => {
                    return Err(target.unknown_field(
                        &what,
                        &all,
                        &[
                            "capacity_per_week",
                            "inventory_weeks",
                            "recovery_weeks",
                            "recipe.<input>",
                            "capital.<input>.units_per_week",
                            "capital.<input>.erosion_per_week",
                        ],
                    ));
                }
            }
            Ok(())
        }
        "market" => {
            let ids: Vec<String> = file.market.iter().map(|x| x.id.value.clone()).collect();
            let Some(m) = file.market.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            let products: Vec<String> = m.demand.iter().flatten().map(|(k, _)| k.value.clone()).collect();
            let mut all = vec!["inventory_weeks".to_string()];
            for p in &products {
                all.push(format!("demand.{p}.units_per_week"));
                all.push(format!("demand.{p}.lost_usd_per_unit"));
            }
            let valid = ["inventory_weeks", "demand.<product>.units_per_week", "demand.<product>.lost_usd_per_unit"];
            let what = format!("market `{id}`");
            match rest {
                ["inventory_weeks"] => set(&mut m.inventory_weeks),
                ["demand", product, field] => {
                    let Some((_, d)) = m.demand.iter_mut().flatten().find(|(k, _)| k.value == *product) else {
                        let ids: Vec<&str> = products.iter().map(String::as_str).collect();
                        return Err(target.unknown_sub_id(
                            format!("market `{id}` has no demand for"),
                            product,
                            &ids,
                            |p| format!("demand.{p}.{field}"),
                            ("it demands", "it demands nothing"),
                        ));
                    };
                    match *field {
                        "units_per_week" => d.units_per_week = v,
                        "lost_usd_per_unit" => d.lost_usd_per_unit = v,
                        _ => return Err(target.unknown_field(&what, &all, &valid[1..])),
                    }
                }
                _ => return Err(target.unknown_field(&what, &all, &valid)),
            }
            Ok(())
        }
        "shock" => {
            let ids: Vec<String> = file.shock.iter().map(|x| x.id.value.clone()).collect();
            let Some(s) = file.shock.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            let triggers: Vec<String> = s.trigger.iter().map(|t| t.shock.value.clone()).collect();
            let mut all: Vec<String> = ["probability", "rate_per_year"].map(String::from).into();
            for (name, d) in [
                ("onset_week", &s.onset_week),
                ("duration_weeks", &s.duration_weeks),
                ("severity", &s.severity),
                ("recovery_weeks", &s.recovery_weeks),
            ] {
                all.push(name.to_string());
                if let Some(d) = d {
                    all.extend(parameters(&d.value).1.iter().map(|(p, _)| format!("{name}.{p}")));
                }
            }
            all.extend(triggers.iter().map(|t| format!("trigger.{t}.probability")));
            match rest {
                ["probability"] => {
                    s.rate_per_year = None;
                    set(&mut s.probability);
                }
                ["rate_per_year"] => {
                    s.probability = None;
                    set(&mut s.rate_per_year);
                }
                ["trigger", shock, "probability"] => {
                    let Some(t) = s.trigger.iter_mut().find(|t| t.shock.value == *shock) else {
                        let ids: Vec<&str> = triggers.iter().map(String::as_str).collect();
                        return Err(target.unknown_sub_id(
                            format!("shock `{id}` has no trigger of"),
                            shock,
                            &ids,
                            |t| format!("trigger.{t}.probability"),
                            ("it triggers", "it triggers no shock"),
                        ));
                    };
                    t.probability = v;
                }
                [name] | [name, _] if SHOCK_DISTRIBUTIONS.contains(name) => {
                    let slot = match *name {
                        "onset_week" => &mut s.onset_week,
                        "duration_weeks" => &mut s.duration_weeks,
                        "severity" => &mut s.severity,
                        _ => &mut s.recovery_weeks,
                    };
                    match rest.get(1) {
                        None => *slot = Some(Sp::new(Dist::Fixed(value), span)),
                        Some(param) => {
                            let d = slot.as_mut().ok_or_else(|| {
                                format!(
                                    "shock `{id}` gives no `{name}` distribution to change; \
                                     sweep `shock.{id}.{name}` to give it a fixed value"
                                )
                            })?;
                            if !set_dist_param(&mut d.value, param, value) {
                                return Err(no_such_parameter(&target, name, param, &d.value));
                            }
                            d.span = span;
                        }
                    }
                }
                _ => {
                    return Err(target.unknown_field(
                        &format!("shock `{id}`"),
                        &all,
                        &[
                            "probability",
                            "rate_per_year",
                            "onset_week",
                            "duration_weeks",
                            "severity",
                            "recovery_weeks",
                            "<distribution>.<parameter>",
                            "trigger.<shock>.probability",
                        ],
                    ));
                }
            }
            Ok(())
        }
        "policy" => {
            let ids: Vec<String> = file.policy.iter().map(|x| x.id.value.clone()).collect();
            let Some(p) = file.policy.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            let (action, fields) = action_fields(p);
            let field = if target.field == "capacity" && p.reshore.is_some() {
                "capacity_per_week"
            } else {
                target.field.as_str()
            };
            match field {
                "capex_usd" => set(&mut p.capex_usd),
                "subsidy_usd" => set(&mut p.subsidy_usd),
                "annual_cost_usd" => set(&mut p.annual_cost_usd),
                f => {
                    let slot: Option<&mut Num> = match (f, &mut p.reshore, &mut p.friendshore, &mut p.stockpile) {
                        ("capacity_per_week", Some(r), _, _) => Some(&mut r.capacity_per_week),
                        ("share", Some(r), _, _) => Some(&mut r.share),
                        ("share", _, Some(fr), _) => Some(&mut fr.share),
                        ("inventory_weeks", _, _, Some(s)) => Some(&mut s.inventory_weeks),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        *slot = v;
                        return Ok(());
                    }
                    let opt: Option<&mut Option<Num>> = match (f, &mut p.reshore, &mut p.friendshore, &mut p.stockpile) {
                        ("build_weeks", Some(r), _, _) => Some(&mut r.build_weeks),
                        ("ramp_weeks", Some(r), _, _) => Some(&mut r.ramp_weeks),
                        ("extra_capacity_fraction", _, Some(fr), _) => Some(&mut fr.extra_capacity_fraction),
                        ("holding_rate_per_year", _, _, Some(s)) => Some(&mut s.holding_rate_per_year),
                        _ => None,
                    };
                    match opt {
                        Some(slot) => set(slot),
                        None => {
                            let valid: Vec<&str> = ["capex_usd", "subsidy_usd", "annual_cost_usd"]
                                .into_iter()
                                .chain(fields.iter().copied())
                                .collect();
                            let all: Vec<String> = valid.iter().map(|f| f.to_string()).collect();
                            return Err(target.unknown_field(
                                &format!("policy `{id}` (a {action} policy)"),
                                &all,
                                &valid,
                            ));
                        }
                    }
                }
            }
            Ok(())
        }
        other => {
            let kinds = ["product", "facility", "market", "shock", "policy"];
            let guess = crate::diagnostic::did_you_mean(other, kinds)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            Err(format!(
                "unknown parameter kind `{other}`{guess}; paths start with product, facility, market, shock or policy"
            ))
        }
    }
}

/// A policy's action (its one action table) and that action's numeric
/// fields, besides the costs every policy has.
fn action_fields(p: &Policy) -> (&'static str, &'static [&'static str]) {
    if p.reshore.is_some() {
        (
            "reshore",
            &["capacity_per_week", "build_weeks", "ramp_weeks", "share"],
        )
    } else if p.friendshore.is_some() {
        ("friendshore", &["share", "extra_capacity_fraction"])
    } else if p.stockpile.is_some() {
        ("stockpile", &["inventory_weeks", "holding_rate_per_year"])
    } else if p.dual_source.is_some() {
        ("dual_source", &[])
    } else if p.crisis_sharing.is_some() {
        ("crisis_sharing", &[])
    } else if p.export_control.is_some() {
        ("export_control", &[])
    } else {
        ("cost-only", &[])
    }
}

/// A distribution's kind and its named parameters with their values (a
/// choice has none that can be set one at a time).
fn parameters(d: &Dist) -> (&'static str, Vec<(&'static str, f64)>) {
    match d {
        Dist::Fixed(x) => ("fixed", vec![("value", *x)]),
        Dist::Uniform { min, max } => ("uniform", vec![("min", *min), ("max", *max)]),
        Dist::Triangular { min, mode, max } => (
            "triangular",
            vec![("min", *min), ("mode", *mode), ("max", *max)],
        ),
        Dist::Pert { min, mode, max } => {
            ("pert", vec![("min", *min), ("mode", *mode), ("max", *max)])
        }
        Dist::Lognormal { median, sigma } => {
            ("lognormal", vec![("median", *median), ("sigma", *sigma)])
        }
        Dist::Beta { mean, sd } => ("beta", vec![("mean", *mean), ("sd", *sd)]),
        Dist::Choice { .. } => ("choice", Vec::new()),
    }
}

/// Changes one named parameter of a distribution; false if it has none of
/// that name.
fn set_dist_param(d: &mut Dist, param: &str, value: f64) -> bool {
    let slot: Option<&mut f64> = match (d, param) {
        (Dist::Fixed(x), "value" | "fixed") => Some(x),
        (Dist::Uniform { min, .. }, "min") => Some(min),
        (Dist::Uniform { max, .. }, "max") => Some(max),
        (Dist::Triangular { min, .. } | Dist::Pert { min, .. }, "min") => Some(min),
        (Dist::Triangular { mode, .. } | Dist::Pert { mode, .. }, "mode") => Some(mode),
        (Dist::Triangular { max, .. } | Dist::Pert { max, .. }, "max") => Some(max),
        (Dist::Lognormal { median, .. }, "median") => Some(median),
        (Dist::Lognormal { sigma, .. }, "sigma") => Some(sigma),
        (Dist::Beta { mean, .. }, "mean") => Some(mean),
        (Dist::Beta { sd, .. }, "sd") => Some(sd),
        _ => None,
    };
    match slot {
        Some(s) => {
            *s = value;
            true
        }
        None => false,
    }
}

/// The shock's `name` distribution has no parameter `param`: says which
/// distribution it is, with its parameters, rather than every kind's.
fn no_such_parameter(target: &Target, name: &str, param: &str, d: &Dist) -> String {
    let (kind, params) = parameters(d);
    let written: Vec<String> = params
        .iter()
        .map(|(p, x)| format!("{p} = {}", num(*x)))
        .collect();
    let id = target.id;
    if params.is_empty() {
        return format!(
            "shock `{id}`'s `{name}` is a {kind} distribution, whose values cannot be swept one at a time; \
             sweep `shock.{id}.{name}` to replace it with a fixed value"
        );
    }
    let names: Vec<&str> = params.iter().map(|(p, _)| *p).collect();
    let hint = did_you_mean(param, names.iter().copied())
        .map(|s| format!("did you mean `shock.{id}.{name}.{s}`? "))
        .unwrap_or_default();
    format!(
        "shock `{id}`'s `{name}` is {kind} {{ {} }}, which has no parameter `{param}`; {hint}its parameters: {}",
        written.join(", "),
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_the_occurrence_pair_are_one_parameter() {
        assert!(overlap("policy.r.capacity", "policy.r.capacity_per_week"));
        assert!(overlap("shock.b.probability", "shock.b.rate_per_year"));
        assert!(overlap(
            "shock.b.duration_weeks",
            "shock.b.duration_weeks.mode"
        ));
        assert!(overlap("shock.b.severity.fixed", "shock.b.severity.value"));
        assert!(!overlap("shock.b.probability", "shock.c.probability"));
        assert!(!overlap(
            "shock.b.probability",
            "shock.b.trigger.c.probability"
        ));
        assert!(!overlap(
            "shock.b.duration_weeks.min",
            "shock.b.duration_weeks.max"
        ));
    }
}
