//! Report files from a fake run: headers, row counts, parse-back, and
//! byte-identical output whatever the thread count or sharding.

use std::fs;
use std::path::Path;

use super::*;
use crate::mc::{Layout, RunOptions, fake, run_trials};

const TRIALS: u64 = 1500;
const WEEKS: usize = 5;

fn run(net: &Network, range: std::ops::Range<u64>, threads: usize, block: usize) -> Accumulated {
    let layout = Layout::from_network(net, true);
    run_trials(
        range,
        &layout,
        &RunOptions {
            threads,
            block_size: block,
        },
        || (),
        |t, _: &mut (), out| fake::trial(9, t, out),
        |_| {},
    )
    .unwrap()
}

/// A run of `trials` trials without weekly bands in which trial `t` loses
/// `usd` at each `(need, usd)` of `losses(t)`, and their sum in all.
fn run_losses(
    net: &Network,
    trials: u64,
    losses: impl Fn(u64) -> Vec<(usize, f64)> + Sync,
) -> Accumulated {
    let layout = Layout::from_network(net, false);
    run_trials(
        0..trials,
        &layout,
        &RunOptions {
            threads: 2,
            block_size: 64,
        },
        || (),
        |t, _: &mut (), out| {
            for (need, usd) in losses(t) {
                out.lost_usd_by_need[need] = usd;
                out.lost_usd += usd;
            }
        },
        |_| {},
    )
    .unwrap()
}

fn write(dir: &Path, net: &Network, acc: &Accumulated) -> Vec<PathBuf> {
    let cfg = RunConfig::new(net, 9, acc.range(), true);
    let report = RunReport::build(net, &cfg, acc);
    write_all(dir, &report, acc).unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn files_have_headers_and_expected_rows() {
    let net = fake::network(WEEKS as u32);
    let acc = run(&net, 0..TRIALS, 2, 256);
    let dir = tempfile::tempdir().unwrap();
    let written = write(dir.path(), &net, &acc);
    assert_eq!(written.len(), 5);

    let trials = read(dir.path(), "trials.csv");
    let mut lines = trials.lines();
    assert_eq!(lines.next(), Some(trials_csv::HEADER));
    assert_eq!(lines.clone().count(), TRIALS as usize);
    for line in lines.clone() {
        assert_eq!(line.split(',').count(), 11, "{line}");
        assert!(line.starts_with("baseline,"), "{line}");
    }
    let fired = lines
        .clone()
        .map(|l| l.split(',').nth(9).unwrap())
        .find(|f| !f.is_empty())
        .unwrap();
    assert!(
        fired.starts_with("taiwan_blockade@") || fired.starts_with("neon_loss@"),
        "{fired}"
    );

    let weekly = read(dir.path(), "weekly.csv");
    assert_eq!(weekly.lines().next(), Some(weekly_csv::HEADER));
    assert_eq!(weekly.lines().count(), 1 + 2 * WEEKS);

    let exc = read(dir.path(), "exceedance.csv");
    assert_eq!(exc.lines().next(), Some(exceedance_csv::HEADER));
    let n = exc.lines().count() - 1;
    assert!(n > 10 && n <= EXCEEDANCE_POINTS, "{n}");

    let summary = read(dir.path(), "summary.csv");
    assert_eq!(summary.lines().next(), Some(summary_csv::HEADER));
    for line in summary.lines().skip(1) {
        assert_eq!(line.split(',').count(), 6, "{line}");
    }
    assert!(summary.contains("\nbaseline,lost_usd,total,,mean,"));
    assert!(summary.contains("\nbaseline,lost_usd,sector,automotive,mean,"));
    assert!(summary.contains("\nbaseline,p_severe_loss,total,,ci95_high,"));
}

#[test]
fn json_parses_back_with_manifest_and_figures() {
    let net = fake::network(WEEKS as u32);
    let acc = run(&net, 0..TRIALS, 1, 1024);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &net, &acc);
    let v: serde_json::Value = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    let m = &v["manifest"];
    assert_eq!(m["seed"], 9);
    assert_eq!(m["trials"], TRIALS);
    assert_eq!(m["trial_start"], 0);
    assert_eq!(m["trial_end"], TRIALS);
    assert_eq!(m["scenario_hash"], "abc123");
    assert_eq!(
        m["crates"]["rand"].as_str().map(|s| s.starts_with("0.10")),
        Some(true)
    );
    assert!(m["crates"]["libm"].is_string());
    assert!(m["crates"].get("rand_distr").is_none());
    assert!(m.get("threads").is_none());
    let mean = v["lost_usd"]["mean"].as_f64().unwrap();
    let truth = fake::P_SHOCK * fake::MEAN_LOSS;
    let se = v["lost_usd"]["std_error"].as_f64().unwrap();
    assert!((mean - truth).abs() < 4.0 * se, "{mean} vs {truth}");
    let p = v["p_any_loss"]["estimate"].as_f64().unwrap();
    assert!((p - fake::P_SHOCK).abs() < 0.04, "{p}");
    let sectors = &v["breakdowns"][2];
    assert_eq!(sectors["dimension"], "sector");
    let share: f64 = sectors["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9, "{share}");
    assert_eq!(v["weekly"].as_array().unwrap().len(), 2 * WEEKS);
}

#[test]
fn files_are_byte_identical_across_threads_and_shards() {
    let net = fake::network(WEEKS as u32);
    let one = run(&net, 0..TRIALS, 1, 1024);
    let two = run(&net, 0..TRIALS, 2, 100);
    let mut sharded = run(&net, 0..700, 2, 64);
    sharded.merge(&run(&net, 700..TRIALS, 1, 3)).unwrap();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    write(dirs[0].path(), &net, &one);
    write(dirs[1].path(), &net, &two);
    write(dirs[2].path(), &net, &sharded);
    for name in [
        "summary.json",
        "summary.csv",
        "trials.csv",
        "weekly.csv",
        "exceedance.csv",
    ] {
        let a = fs::read(dirs[0].path().join(name)).unwrap();
        for d in &dirs[1..] {
            assert!(
                a == fs::read(d.path().join(name)).unwrap(),
                "{name} differs"
            );
        }
    }
}

#[test]
fn writing_leaves_no_temporary_files_and_no_stale_weekly_when_off() {
    let net = fake::network(WEEKS as u32);
    let layout = Layout::from_network(&net, false);
    let acc = run_trials(
        0..50,
        &layout,
        &RunOptions::default(),
        || (),
        |t, _: &mut (), out| fake::trial(1, t, out),
        |_| {},
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A weekly.csv no run wrote stays.
    let mine = dir.path().join("mine");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("weekly.csv"), "my own\n").unwrap();
    let cfg = RunConfig::new(&net, 1, acc.range(), false);
    write_all(&mine, &RunReport::build(&net, &cfg, &acc), &acc).unwrap();
    assert_eq!(
        fs::read_to_string(mine.join("weekly.csv")).unwrap(),
        "my own\n"
    );
    let out = dir.path().join("nested/out");
    // An earlier run with weekly bands wrote a weekly.csv there.
    let weekly = run(&net, 0..50, 1, 64);
    let cfg = RunConfig::new(&net, 1, weekly.range(), true);
    write_all(&out, &RunReport::build(&net, &cfg, &weekly), &weekly).unwrap();
    assert!(out.join("weekly.csv").exists());
    let cfg = RunConfig::new(&net, 1, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    write_all(&out, &report, &acc).unwrap();
    // Again, over the existing files and what a run killed mid-write left.
    fs::write(out.join(".weekly.csv.tmp-4194304-0"), "half").unwrap();
    write_all(&out, &report, &acc).unwrap();
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "exceedance.csv",
            "summary.csv",
            "summary.json",
            "trials.csv"
        ]
    );
}

#[test]
fn terminal_table_shows_headline_figures() {
    let net = fake::network(WEEKS as u32);
    let acc = run(&net, 0..TRIALS, 2, 512);
    let cfg = RunConfig::new(&net, 9, acc.range(), true);
    let text = table::render(&RunReport::build(&net, &cfg, &acc));
    assert!(
        text.contains("scenario `tiny`  variant baseline  seed 9  trials 0..1500 (1500)"),
        "{text}"
    );
    assert!(text.contains("lost output (USD)"));
    assert!(text.contains("P(loss >= $2.00B)"));
    assert!(text.contains("expected loss by sector"));
    assert!(text.contains("taiwan_blockade"));
    let header = text.lines().nth(2).unwrap();
    assert!(
        header.contains("mean") && header.contains("CVaR95"),
        "{header}"
    );
}

/// The example of `hand_computed_recovery`: horizon 20, one trial never
/// short, four recovered, three still short at the end.
fn hand_trials() -> Vec<(Option<u32>, Option<u32>)> {
    vec![
        (None, None),
        (Some(3), Some(4)),
        (Some(5), Some(9)),
        // Short in week 19: recovers 9 weeks on at the earliest.
        (Some(11), None),
        (Some(8), Some(9)),
        (Some(2), None),
        // Short only in the last week: nothing known of its recovery.
        (Some(19), None),
        (Some(0), Some(2)),
    ]
}

/// Worked by hand. Recovered: 2, 4, 9, 9 weeks; still short at the end,
/// after first shortfalls in weeks 11, 2 and 19 of 20, so known to last
/// beyond 8, 17 and 0 weeks:
///
/// ```text
/// t=2: 6 at risk (the one beyond 0 has left), 1 recovers: S = 5/6
/// t=4: 5 at risk, 1 recovers:                              S = 2/3
/// t=9: 3 at risk (the one beyond 8 has left: it may recover exactly at
///      9), 2 recover:                                      S = 2/9
/// ```
///
/// Median 9 (the recovered trials alone say 4, mean 6); P90 not reached;
/// the longest time observed is 17, where S = 2/9 with Greenwood variance
/// (2/9)² (1/30 + 1/20 + 2/3) = 1/27. (Keeping the trial censored at
/// 20 − 11 = 9 at risk at 9 would give S(9) = 1/3.)
#[test]
fn hand_computed_recovery() {
    let k = Recovery::of(20, hand_trials());
    assert_eq!(
        (k.short_trials, k.recovered, k.still_short_at_end),
        (7, 4, 3)
    );
    assert_eq!((k.median, k.p90), (Some(9.0), None));
    assert_eq!(k.longest_observed_weeks, 17.0);
    let s = k.still_short.unwrap();
    assert_eq!(s.weeks, 17.0);
    assert!((s.estimate - 2.0 / 9.0).abs() < 1e-12, "{}", s.estimate);
    assert!(
        (s.std_error - (1.0f64 / 27.0).sqrt()).abs() < 1e-12,
        "{}",
        s.std_error
    );
    assert_eq!(
        table::recovery_line(&k),
        "time to recover (weeks), 4 of 7 short trials recovered within the horizon \
         (3 still short at its end): Kaplan-Meier median 9, P90 not reached, \
         P(still short 17 weeks after the first shortfall) 22.2% (SE 19.2%) \
         (the longest time observed)\n"
    );
}

/// The probability of still being short is read at 52 weeks when the
/// trials were seen that long, or whenever the estimate has reached 0.
#[test]
fn still_short_at_52_weeks() {
    // Horizon 100: one recovers after 30 weeks, one is still short 99
    // weeks after its first shortfall.
    let k = Recovery::of(100, [(Some(10), Some(30)), (Some(0), None)]);
    let s = k.still_short.unwrap();
    assert_eq!((s.weeks, s.estimate), (52.0, 0.5));
    assert_eq!(k.median, Some(30.0));
    assert_eq!(k.longest_observed_weeks, 99.0);
    // Every short trial recovered: 0 from the last recovery on.
    let k = Recovery::of(20, [(Some(1), Some(3)), (Some(2), Some(5)), (None, None)]);
    let s = k.still_short.unwrap();
    assert_eq!((s.weeks, s.estimate, s.std_error), (52.0, 0.0, 0.0));
    assert_eq!((k.median, k.p90), (Some(3.0), Some(5.0)));
    assert!(table::recovery_line(&k).ends_with("after the first shortfall) 0.0% (SE 0.0%)\n"));
    // No trial short.
    let k = Recovery::of(20, [(None, None)]);
    assert_eq!((k.short_trials, k.median, k.still_short), (0, None, None));
    assert_eq!(
        table::recovery_line(&k),
        "time to recover (weeks): no trial fell short\n"
    );
}

/// A run whose trials cycle through: not short; short from week 1 and
/// recovered after 2 weeks; short from week 2 to the end (horizon 5).
fn censored_run(net: &Network, trials: u64) -> Accumulated {
    let layout = Layout::from_network(net, false);
    run_trials(
        0..trials,
        &layout,
        &RunOptions {
            threads: 2,
            block_size: 7,
        },
        || (),
        |t, _: &mut (), out| match t % 3 {
            1 => {
                out.lost_usd = 10.0;
                out.first_short_week = Some(1);
                out.time_to_survive = Some(1);
                out.time_to_recover = Some(2);
            }
            2 => {
                out.lost_usd = 30.0;
                out.first_short_week = Some(2);
                out.time_to_survive = Some(2);
            }
            _ => {}
        },
        |_| {},
    )
    .unwrap()
}

/// The Kaplan–Meier figures reach summary.json, summary.csv and the
/// terminal; the summary of recovered trials only is kept beside them.
/// A trial short from week 2 of 5 is still short 2 weeks on, so at 2
/// weeks half the short trials have recovered: median 2.
#[test]
fn recovery_reaches_every_output() {
    let net = fake::network(WEEKS as u32);
    let acc = censored_run(&net, 30);
    let cfg = RunConfig::new(&net, 9, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    let k = report.time_to_recover.kaplan_meier.as_ref().unwrap();
    assert_eq!(
        (k.short_trials, k.recovered, k.still_short_at_end),
        (20, 10, 10)
    );
    assert_eq!((k.median, k.p90), (Some(2.0), None));
    assert_eq!(k.still_short.unwrap().estimate, 0.5);
    assert_eq!(report.time_to_recover.defined.count, 10);
    assert_eq!(report.time_to_recover.summary.as_ref().unwrap().mean, 2.0);
    assert!(report.time_to_survive.kaplan_meier.is_none());

    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &report, &acc).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    let km = &v["time_to_recover"]["kaplan_meier"];
    assert_eq!(km["short_trials"], 20);
    assert_eq!(km["still_short_at_end"], 10);
    assert_eq!(km["median"], 2.0);
    assert!(km["p90"].is_null());
    assert_eq!(km["still_short"]["weeks"], 2.0);
    assert!(v["time_to_survive"].get("kaplan_meier").is_none());
    assert!(v["time_to_recover"]["summary"]["mean"].is_number());

    let csv = read(dir.path(), "summary.csv");
    for row in [
        "baseline,time_to_recover_km,total,,short_trials,20\n",
        "baseline,time_to_recover_km,total,,recovered,10\n",
        "baseline,time_to_recover_km,total,,still_short_at_end,10\n",
        "baseline,time_to_recover_km,total,,median,2\n",
        "baseline,time_to_recover_km,total,,p90,\n",
        "baseline,time_to_recover_km,total,,p_still_short,0.5\n",
        "baseline,time_to_recover_km,total,,p_still_short_weeks,2\n",
        "baseline,time_to_recover,total,,mean,2\n",
    ] {
        assert!(csv.contains(row), "{row}");
    }
    let trials = read(dir.path(), "trials.csv");
    let rows: Vec<&str> = trials.lines().skip(1).take(3).collect();
    assert_eq!(
        rows,
        [
            "baseline,0,0,0,0,0,0,,,,",
            "baseline,1,10,0,0,0,0,1,2,,1",
            "baseline,2,30,0,0,0,0,2,,,2"
        ]
    );

    let text = table::render(&report);
    assert!(
        text.contains("time to recover (weeks), 10 recovered trials only"),
        "{text}"
    );
    assert!(
        text.contains(
            "time to recover (weeks), 10 of 20 short trials recovered within the horizon \
             (10 still short at its end): Kaplan-Meier median 2, P90 not reached"
        ),
        "{text}"
    );
}

/// Breakdown standard errors come from exact sums of the per-trial group
/// losses and of their squares. With losses of ten-thousandths of a dollar,
/// whose squares a sum rounded to whole USD² dropped (leaving a standard
/// error of 0), a market's matches the standard error of the same losses
/// taken trial by trial; and a loss of 160/3 in every trial reads 160/3
/// (a sum rounded to 2⁻²⁴ read 53.33333331) with no spread.
#[test]
fn breakdown_standard_errors_of_small_losses() {
    let net = fake::network(WEEKS as u32);
    let small = |t: u64| {
        if t.is_multiple_of(3) {
            1e-4 * (1 + t % 7) as f64
        } else {
            0.0
        }
    };
    // Need 0 is market us_auto's, need 2 market eu_dc's alone.
    let acc = run_losses(&net, 1000, |t| vec![(0, 160.0 / 3.0), (2, small(t))]);
    let cfg = RunConfig::new(&net, 9, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    let market = |key: &str| {
        report.breakdowns[0]
            .rows
            .iter()
            .find(|r| r.key == key)
            .unwrap()
            .clone()
    };
    let eu = market("eu_dc");
    let alone = Summary::of(&(0..1000).map(small).collect::<Vec<_>>());
    let (got, want) = (eu.std_error.unwrap(), alone.std_error.unwrap());
    assert!(want > 1e-6, "{want}");
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
    assert!((eu.expected_lost_usd - alone.mean).abs() <= 1e-12 * alone.mean);
    let us = market("us_auto");
    assert!(
        (us.expected_lost_usd - 160.0 / 3.0).abs() < 1e-12,
        "{}",
        us.expected_lost_usd
    );
    assert_eq!(us.std_error, Some(0.0));
}

/// With no value (no trial fell short, so none recovered either) the
/// time to survive and the time to recover keep their rows and fields,
/// with `count` 0 and every figure undefined: empty in summary.csv, `null`
/// in summary.json and `n/a` on the terminal. The rows used to vanish, the
/// JSON `summary` to be `null` and the terminal to print `-`.
#[test]
fn no_value_keeps_every_row_with_its_figures_undefined() {
    let net = fake::network(WEEKS as u32);
    let dir = tempfile::tempdir().unwrap();
    let acc = run_losses(&net, 10, |t| vec![(0, t as f64)]);
    let cfg = RunConfig::new(&net, 9, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    assert!(report.time_to_survive.summary.is_none());
    assert!(report.time_to_recover.summary.is_none());
    write_all(dir.path(), &report, &acc).unwrap();

    let v: serde_json::Value = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    let keys =
        |x: &serde_json::Value| -> Vec<String> { x.as_object().unwrap().keys().cloned().collect() };
    let csv = read(dir.path(), "summary.csv");
    let rows = |metric: &str| -> Vec<(String, String)> {
        let head = format!("baseline,{metric},total,,");
        csv.lines()
            .filter_map(|l| l.strip_prefix(&head))
            .map(|rest| {
                let (stat, value) = rest.split_once(',').unwrap();
                (stat.to_string(), value.to_string())
            })
            .collect()
    };
    let full: Vec<String> = rows("lost_usd").into_iter().map(|(s, _)| s).collect();
    for metric in ["time_to_survive", "time_to_recover"] {
        let s = &v[metric]["summary"];
        assert_eq!(keys(s), keys(&v["lost_usd"]), "{metric}");
        assert_eq!(s["count"], 0);
        for (k, x) in s.as_object().unwrap() {
            let undefined = x.is_null()
                || x.as_object()
                    .is_some_and(|q| q.values().all(|y| y.is_null()));
            assert!(k == "count" || undefined, "{metric}.{k}: {x}");
        }
        assert_eq!(s["p95"]["value"], serde_json::Value::Null);
        let mine = rows(metric);
        let stats: Vec<String> = mine.iter().map(|(s, _)| s.clone()).collect();
        assert_eq!(stats, full, "{metric}: the rows of any summary");
        for (stat, value) in &mine {
            let want = if stat == "count" { "0" } else { "" };
            assert_eq!(value, want, "{metric} {stat}");
        }
    }
    let text = table::render(&report);
    for label in [
        "time to survive (weeks), 0 trials",
        "time to recover (weeks), 0 recovered trials only",
    ] {
        let row = text.lines().find(|l| l.starts_with(label)).unwrap();
        let cells: Vec<&str> = row[label.len()..].split_whitespace().collect();
        assert_eq!(cells, ["n/a"; 7], "{row}");
    }
}

/// Fewer than two values have no spread. A metric over one value (the time
/// to recover when one trial of two recovered; every figure of a run of
/// one trial, breakdowns included) has its standard errors and intervals
/// `null` in summary.json, empty in summary.csv and `n/a` on the terminal,
/// never 0 (which read `21.0 ±0.0`, an interval [21, 21]).
#[test]
fn one_value_has_no_standard_error_anywhere() {
    let net = fake::network(WEEKS as u32);
    let dir = tempfile::tempdir().unwrap();
    // Trial 0 is never short; trial 1 recovers after 2 weeks.
    let acc = censored_run(&net, 2);
    let cfg = RunConfig::new(&net, 9, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    write_all(dir.path(), &report, &acc).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    let ttr = &v["time_to_recover"]["summary"];
    assert_eq!(
        (ttr["count"].as_u64(), ttr["mean"].as_f64()),
        (Some(1), Some(2.0))
    );
    for field in ["std_dev", "std_error", "ci95", "cvar95_std_error"] {
        assert!(ttr[field].is_null(), "{field}: {}", ttr[field]);
    }
    assert!(ttr["p95"]["ci95"].is_null() && ttr["p95"]["std_error"].is_null());
    assert_eq!(ttr["p95"]["value"], 2.0);
    // Two trials have a spread.
    assert!(v["lost_usd"]["std_error"].as_f64().unwrap() > 0.0);
    let csv = read(dir.path(), "summary.csv");
    for stat in [
        "std_dev",
        "std_error",
        "ci95_low",
        "ci95_high",
        "p95_ci95_high",
    ] {
        let row = format!("\nbaseline,time_to_recover,total,,{stat},\n");
        assert!(csv.contains(&row), "{row}");
    }
    assert!(csv.contains("\nbaseline,lost_usd,total,,std_error,5\n"));
    let text = table::render(&report);
    let row = text
        .lines()
        .find(|l| l.starts_with("time to recover (weeks), 1 recovered trials only"))
        .unwrap();
    assert!(row.contains(" n/a ") && !row.contains('±'), "{row}");

    // One trial, with a loss in market us_auto.
    let acc = run_losses(&net, 1, |_| vec![(0, 5.0)]);
    let cfg = RunConfig::new(&net, 9, acc.range(), false);
    let report = RunReport::build(&net, &cfg, &acc);
    write_all(dir.path(), &report, &acc).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    assert!(v["lost_usd"]["std_error"].is_null() && v["lost_usd"]["ci95"].is_null());
    let us = &v["breakdowns"][0]["rows"][0];
    assert_eq!(
        (&us["key"], &us["expected_lost_usd"]),
        (&"us_auto".into(), &5.0.into())
    );
    assert!(us["std_error"].is_null());
    let csv = read(dir.path(), "summary.csv");
    assert!(csv.contains("\nbaseline,lost_usd,market,us_auto,std_error,\n"));
    assert!(csv.contains("\nbaseline,lost_usd,total,,ci95_low,\n"));
    let text = table::render(&report);
    let row = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("{start}: {text}"))
            .to_string()
    };
    assert!(row("lost output (USD)").contains(" n/a "), "{text}");
    assert!(row("  us_auto").contains(" n/a "), "{text}");
    // A proportion's interval is known after one trial.
    assert!(row("P(any loss)").contains("[20.7%, 100.0%]"), "{text}");
}

/// The severe-loss label names the threshold as it is: every trial losing
/// $5,000 against a threshold of $5,000.001 read "P(loss >= $5.00K) 0.0 %",
/// as if trials of $5,000 were not counted at $5,000.
#[test]
fn the_severe_loss_label_is_not_rounded_into_another_amount() {
    let mut net = fake::network(WEEKS as u32);
    let acc = run_losses(&net, 10, |_| vec![(0, 5000.0)]);
    for (threshold, label, share) in [
        (5000.001, "P(loss >= $5.000001K)", "0.0%"),
        (5000.0, "P(loss >= $5.00K)", "100.0%"),
    ] {
        net.settings.severe_loss_usd = threshold;
        let cfg = RunConfig::new(&net, 9, acc.range(), false);
        let text = table::render(&RunReport::build(&net, &cfg, &acc));
        let line = text.lines().find(|l| l.starts_with("P(loss >= ")).unwrap();
        assert!(line.starts_with(label), "{line}");
        assert!(line.contains(&format!(" {share} ")), "{line}");
    }
}
