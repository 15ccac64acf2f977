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
        assert_eq!(line.split(',').count(), 10, "{line}");
        assert!(line.starts_with("baseline,"), "{line}");
    }
    let shocked = lines.clone().find(|l| !l.ends_with(',')).unwrap();
    let fired = shocked.rsplit(',').next().unwrap();
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
    // Again, over the existing files.
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
