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

use crate::scenario::{Dist, Num, ScenarioFile};
use crate::source::{Sp, Span};

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
    let v = Sp::new(value, span);
    let set = |slot: &mut Option<Num>| *slot = Some(v.clone());
    let unknown_field = |valid: &[&str]| -> String {
        let field = rest.join(".");
        let hint = crate::diagnostic::did_you_mean(&field, valid.iter().copied())
            .map(|s| format!("did you mean `{kind}.{id}.{s}`? "))
            .unwrap_or_default();
        format!("`{field}` is not a numeric field of {kind} `{id}`; {hint}valid: {}", valid.join(", "))
    };
    let not_found = |ids: Vec<String>| -> String {
        let hint = crate::diagnostic::did_you_mean(id, ids.iter().map(String::as_str))
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
            match rest {
                ["value_usd_per_unit"] => set(&mut p.value_usd_per_unit),
                ["qualification_weeks"] => set(&mut p.qualification_weeks),
                _ => return Err(unknown_field(&["value_usd_per_unit", "qualification_weeks"])),
            }
            Ok(())
        }
        "facility" => {
            let ids: Vec<String> = file.facility.iter().map(|x| x.id.value.clone()).collect();
            let Some(f) = file.facility.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            match rest {
                ["capacity_per_week"] => set(&mut f.capacity_per_week),
                ["inventory_weeks"] => set(&mut f.inventory_weeks),
                ["recovery_weeks"] => set(&mut f.recovery_weeks),
                ["recipe", input] => {
                    let slot = f
                        .recipe
                        .iter_mut()
                        .flatten()
                        .find(|(k, _)| k.value == *input)
                        .map(|(_, c)| c)
                        .ok_or_else(|| format!("facility `{id}` has no recipe input `{input}`"))?;
                    *slot = v;
                }
                ["capital", input, field] => {
                    let cap = f
                        .capital
                        .iter_mut()
                        .flatten()
                        .find(|(k, _)| k.value == *input)
                        .map(|(_, c)| c)
                        .ok_or_else(|| format!("facility `{id}` has no capital input `{input}`"))?;
                    match *field {
                        "units_per_week" => cap.units_per_week = v,
                        "erosion_per_week" => cap.erosion_per_week = v,
                        _ => return Err(unknown_field(&["capital.<input>.units_per_week", "capital.<input>.erosion_per_week"])),
                    }
                }
                _ => {
                    return Err(unknown_field(&[
                        "capacity_per_week",
                        "inventory_weeks",
                        "recovery_weeks",
                        "recipe.<input>",
                        "capital.<input>.units_per_week",
                        "capital.<input>.erosion_per_week",
                    ]));
                }
            }
            Ok(())
        }
        "market" => {
            let ids: Vec<String> = file.market.iter().map(|x| x.id.value.clone()).collect();
            let Some(m) = file.market.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            match rest {
                ["inventory_weeks"] => set(&mut m.inventory_weeks),
                ["demand", product, field] => {
                    let d = m
                        .demand
                        .iter_mut()
                        .flatten()
                        .find(|(k, _)| k.value == *product)
                        .map(|(_, d)| d)
                        .ok_or_else(|| format!("market `{id}` has no demand for `{product}`"))?;
                    match *field {
                        "units_per_week" => d.units_per_week = v,
                        "lost_usd_per_unit" => d.lost_usd_per_unit = v,
                        _ => return Err(unknown_field(&["demand.<product>.units_per_week", "demand.<product>.lost_usd_per_unit"])),
                    }
                }
                _ => return Err(unknown_field(&["inventory_weeks", "demand.<product>.units_per_week", "demand.<product>.lost_usd_per_unit"])),
            }
            Ok(())
        }
        "shock" => {
            let ids: Vec<String> = file.shock.iter().map(|x| x.id.value.clone()).collect();
            let Some(s) = file.shock.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            match rest {
                ["probability"] => {
                    s.rate_per_year = None;
                    set(&mut s.probability);
                }
                ["rate_per_year"] => {
                    s.probability = None;
                    set(&mut s.rate_per_year);
                }
                ["trigger", target, "probability"] => {
                    let t = s
                        .trigger
                        .iter_mut()
                        .find(|t| t.shock.value == *target)
                        .ok_or_else(|| format!("shock `{id}` has no trigger of `{target}`"))?;
                    t.probability = v;
                }
                [name] | [name, _]
                    if matches!(*name, "onset_week" | "duration_weeks" | "severity" | "recovery_weeks") =>
                {
                    let slot = match *name {
                        "onset_week" => &mut s.onset_week,
                        "duration_weeks" => &mut s.duration_weeks,
                        "severity" => &mut s.severity,
                        _ => &mut s.recovery_weeks,
                    };
                    match rest.get(1) {
                        None => *slot = Some(Sp::new(Dist::Fixed(value), span)),
                        Some(param) => {
                            let d = slot
                                .as_mut()
                                .ok_or_else(|| format!("shock `{id}` gives no `{name}` distribution to change"))?;
                            set_dist_param(&mut d.value, param, value)?;
                            d.span = span;
                        }
                    }
                }
                _ => {
                    return Err(unknown_field(&[
                        "probability",
                        "rate_per_year",
                        "onset_week",
                        "duration_weeks",
                        "severity",
                        "recovery_weeks",
                        "<distribution>.<parameter>",
                        "trigger.<shock>.probability",
                    ]));
                }
            }
            Ok(())
        }
        "policy" => {
            let ids: Vec<String> = file.policy.iter().map(|x| x.id.value.clone()).collect();
            let Some(p) = file.policy.iter_mut().find(|x| x.id.value == id) else {
                return Err(not_found(ids));
            };
            let field = rest.join(".");
            let field = if field == "capacity" { "capacity_per_week".to_string() } else { field };
            match field.as_str() {
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
                            return Err(unknown_field(&[
                                "capex_usd",
                                "subsidy_usd",
                                "annual_cost_usd",
                                "capacity_per_week (reshore)",
                                "build_weeks (reshore)",
                                "ramp_weeks (reshore)",
                                "share (reshore, friendshore)",
                                "extra_capacity_fraction (friendshore)",
                                "inventory_weeks (stockpile)",
                                "holding_rate_per_year (stockpile)",
                            ]));
                        }
                    }
                }
            }
            Ok(())
        }
        other => Err(format!(
            "unknown parameter kind `{other}`; paths start with product, facility, market, shock or policy"
        )),
    }
}

/// Changes one named parameter of a distribution.
fn set_dist_param(d: &mut Dist, param: &str, value: f64) -> Result<(), String> {
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
            Ok(())
        }
        None => Err(format!(
            "the distribution has no parameter `{param}` (fixed: value; uniform: min, max; triangular/pert: min, mode, max; lognormal: median, sigma; beta: mean, sd)"
        )),
    }
}
