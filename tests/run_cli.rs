//! `chipshock run` and `chipshock compare` from the command line: exit
//! codes, files, and byte-identical results for any thread count.

mod common;

use common::chipshock;

use std::path::Path;

use predicates::prelude::*;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect();
    v.sort();
    v
}

fn run_to(dir: &Path, scenario: &Path, extra: &[&str]) {
    chipshock()
        .args(["run", "--trials", "300", "-q", "--out"])
        .arg(dir)
        .arg(scenario)
        .args(extra)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("lost output (USD)"));
}

#[test]
fn run_outputs_are_identical_for_any_thread_count_and_differ_by_seed() {
    let scenario = common::fixture("base.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b, c, d) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
        tmp.path().join("d"),
    );
    run_to(&a, &scenario, &["--threads", "1", "--seed", "5"]);
    run_to(&b, &scenario, &["--threads", "2", "--seed", "5"]);
    run_to(&c, &scenario, &["--threads", "2", "--seed", "5"]);
    run_to(&d, &scenario, &["--threads", "2", "--seed", "6"]);
    let fa = files(&a);
    let names: Vec<&str> = fa.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "exceedance.csv",
            "summary.csv",
            "summary.json",
            "trials.csv",
            "weekly.csv"
        ]
    );
    assert_eq!(fa, files(&b), "1 thread and 2 threads give the same bytes");
    assert_eq!(fa, files(&c), "the same seed gives the same bytes");
    assert_ne!(
        fa.iter().find(|(n, _)| n == "trials.csv"),
        files(&d).iter().find(|(n, _)| n == "trials.csv"),
        "another seed gives other trials"
    );
    let trials = String::from_utf8(fa[3].1.clone()).expect("utf8");
    assert!(trials.starts_with("variant,trial,lost_usd,"));
    assert_eq!(trials.lines().count(), 301);
}

#[test]
fn shards_of_a_run_cover_its_trials() {
    let scenario = common::fixture("base.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    let part = tmp.path().join("part");
    run_to(&whole, &scenario, &["--seed", "5"]);
    chipshock()
        .args([
            "run",
            "--trials",
            "100",
            "--first-trial",
            "200",
            "--seed",
            "5",
            "-q",
            "--out",
        ])
        .arg(&part)
        .arg(&scenario)
        .assert()
        .code(0);
    let w = std::fs::read_to_string(whole.join("trials.csv")).expect("read");
    let p = std::fs::read_to_string(part.join("trials.csv")).expect("read");
    let tail: Vec<&str> = w.lines().skip(201).collect();
    let shard: Vec<&str> = p.lines().skip(1).collect();
    assert_eq!(
        tail, shard,
        "trial 200.. of the whole run == the shard's trials"
    );
}

#[test]
fn run_variant_and_unknown_variant() {
    let scenario = common::fixture("base.toml");
    chipshock()
        .args(["run", "--trials", "50", "-q", "--variant", "all"])
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("lost output"))
        .stdout(predicate::str::contains("variant all  seed 1"));
    chipshock()
        .args(["run", "--trials", "50", "-q", "--variant", "alll"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown variant `alll`"))
        .stderr(predicate::str::contains("did you mean `all`?"));
    chipshock()
        .args(["run", "--trials", "50", "-q", "--variant", "all,reshoring"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`run` simulates one variant"))
        .stderr(predicate::str::contains(
            "chipshock compare --variants all,reshoring",
        ));
}

/// `--horizon` changing the scenario's horizon says that a shock's
/// `probability` is a chance per trial, which the horizon does not scale;
/// the scenario's own horizon says nothing. `compare` says the same.
#[test]
fn a_new_horizon_says_probabilities_are_per_trial() {
    let scenario = common::fixture("base.toml");
    let note = "shocks given a `probability` (blockade) keep their chance per trial";
    for cmd in ["run", "compare"] {
        chipshock()
            .args([cmd, "--trials", "20", "-q", "--horizon", "104"])
            .arg(&scenario)
            .assert()
            .code(0)
            .stderr(predicate::str::contains(
                "--horizon 104 replaces the scenario's 52 weeks",
            ))
            .stderr(predicate::str::contains(note));
        chipshock()
            .args([cmd, "--trials", "20", "-q", "--horizon", "52"])
            .arg(&scenario)
            .assert()
            .code(0)
            .stderr(predicate::str::contains("per trial").not());
    }
}

/// A bad `--out` (here an existing file) is refused before any trial runs,
/// not after a long run has finished, and nothing is written.
#[test]
fn a_bad_out_is_refused_before_the_trials() {
    let scenario = common::fixture("base.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = common::write_temp(&tmp, "afile", "not a directory\n");
    // The message names the path that is a file, as `sweep` does: below a
    // file the system said only "Not a directory (os error 20)".
    let below = file.join("sub/deeper");
    for cmd in ["run", "compare"] {
        for (out, said) in [
            (
                &file,
                format!(
                    "error: {} is a file, not a directory; choose another --out\n",
                    file.display()
                ),
            ),
            (
                &below,
                format!(
                    "error: {} cannot be created: {} is a file, not a directory; choose another \
                     --out\n",
                    below.display(),
                    file.display()
                ),
            ),
        ] {
            chipshock()
                .arg(cmd)
                .arg(&scenario)
                .args(["--trials", "200", "-q", "--out"])
                .arg(out)
                .assert()
                .code(2)
                .stdout(predicate::str::is_empty())
                .stderr(said);
        }
    }
    assert_eq!(common::read(&file), "not a directory\n");
    // A comparison's directory is not a run's: its comparison.* would stay
    // beside another run's summary.
    let cmp = tmp.path().join("cmp");
    chipshock()
        .args(["compare", "--trials", "20", "-q", "--out"])
        .arg(&cmp)
        .arg(&scenario)
        .assert()
        .code(0);
    let before = common::read(&cmp.join("summary.json"));
    chipshock()
        .args(["run", "--trials", "20", "-q", "--seed", "9", "--out"])
        .arg(&cmp)
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "holds the results of `chipshock compare`",
        ));
    assert_eq!(common::read(&cmp.join("summary.json")), before);
    // Nor is a sweep's: the files would sit beside its points, and go into
    // its `--resume`.
    let sweep = tmp.path().join("sweep");
    let small = common::write_temp(
        &tmp,
        "small.toml",
        &common::read(&common::fixture("sweep_small.toml"))
            .replace("base.toml", &scenario.display().to_string())
            .replace("trials = 4000", "trials = 10"),
    );
    chipshock()
        .args(["sweep", "-q", "--out"])
        .arg(&sweep)
        .arg(&small)
        .assert()
        .code(0);
    let listed = || {
        let mut names: Vec<_> = std::fs::read_dir(&sweep)
            .expect("sweep dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        names
    };
    let before = listed();
    for cmd in ["run", "compare"] {
        chipshock()
            .args([cmd, "--trials", "20", "-q", "--out"])
            .arg(&sweep)
            .arg(&scenario)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "holds the results of `chipshock sweep`",
            ));
    }
    assert_eq!(listed(), before);
}

/// `run` and `compare` refuse an `--out` another chipshock process is
/// writing (it holds the directory's lock, as a sweep does), before their
/// trials and without touching its files: they used to remove the other
/// process's live temporary files as a killed run's leftovers, and one of
/// the two could exit 0 with no `summary.json` written.
#[cfg(unix)]
#[test]
fn an_out_another_process_is_writing_is_refused() {
    let scenario = common::fixture("base.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("busy");
    std::fs::create_dir(&out).expect("mkdir");
    let live = out.join(".summary.json.tmp-4194304-0");
    std::fs::write(&live, "being written").expect("write");
    let held = chipshock::atomic::lock_dir(&out).expect("lock");
    for cmd in ["run", "compare"] {
        chipshock()
            .arg(cmd)
            .arg(&scenario)
            .args(["--trials", "20", "-q", "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(format!(
                "another chipshock process is writing to {}",
                out.display()
            )));
    }
    assert_eq!(common::read(&live), "being written", "left alone");
    assert_eq!(files(&out).len(), 1);
    // Released, the directory is the next run's, leftovers and all.
    drop(held);
    run_to(&out, &scenario, &[]);
    assert!(!live.exists());
    assert!(out.join("summary.json").is_file());
}

/// The delay of back-ordered demand is reported: per trial in trials.csv,
/// summarised in summary.csv and on the terminal, for a scenario with a
/// back-ordering market; a lost-demand scenario has no such rows.
#[test]
fn backorder_delay_is_reported() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let chain = common::read(&root.join("scenarios/examples/teaching_chain.toml"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let waiting = common::write_temp(
        &tmp,
        "waiting.toml",
        &chain.replacen(
            "inventory_weeks = 1 ",
            "backorder = true\ninventory_weeks = 1 ",
            1,
        ),
    );
    let column = |dir: &Path| -> Vec<String> {
        let csv = common::read(&dir.join("trials.csv"));
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let at = header
            .iter()
            .position(|h| *h == "backorder_unit_weeks")
            .expect("a backorder_unit_weeks column");
        lines
            .map(|l| l.split(',').nth(at).unwrap_or_default().to_string())
            .collect()
    };
    let out = tmp.path().join("waiting");
    chipshock()
        .args(["run", "--trials", "3", "--out"])
        .arg(&out)
        .arg(&waiting)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("back-order delay (unit-weeks)"));
    // Week 15's 100 units short wait, and nothing is lost.
    for x in column(&out) {
        assert!(x.parse::<f64>().expect("number") >= 100.0, "{x}");
    }
    let summary = common::read(&out.join("summary.csv"));
    assert!(
        summary.contains(",backorder_unit_weeks,total,,mean,"),
        "{summary}"
    );
    let plain = tmp.path().join("plain");
    chipshock()
        .args(["run", "--trials", "3", "--out"])
        .arg(&plain)
        .arg(root.join("scenarios/examples/teaching_chain.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("back-order delay").not());
    assert!(column(&plain).iter().all(|x| x == "0"));
    assert!(!common::read(&plain.join("summary.csv")).contains("backorder_unit_weeks"));
}

#[test]
fn compare_writes_the_comparison_and_ranks_variants() {
    let scenario = common::fixture("paper_concrete.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("cmp");
    chipshock()
        .args(["compare", "--trials", "100", "-q", "--focus", "US", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("all markets"))
        .stdout(predicate::str::contains("focus: US"))
        .stdout(predicate::str::contains("reshoring"));
    let csv = std::fs::read_to_string(out.join("comparison.csv")).expect("comparison.csv");
    let header = csv.lines().next().expect("header");
    assert!(header.starts_with("variant,scope,rank,expected_lost_usd"));
    // 3 variants × (total + focus).
    assert_eq!(csv.lines().count(), 1 + 6);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).expect("json"))
            .expect("parses");
    assert_eq!(json["comparisons"].as_array().map(Vec::len), Some(6));
    // The manifest names every variant compared, not only the baseline.
    let variants = json["manifest"]["variant"].as_str().expect("variant");
    for v in ["baseline", "friendshoring", "reshoring"] {
        assert!(variants.split(',').any(|x| x == v), "{variants}");
    }
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    for v in ["baseline,", "friendshoring,", "reshoring,"] {
        assert!(
            summary.lines().any(|l| l.starts_with(v)),
            "summary.csv has rows of {v}"
        );
    }
    chipshock()
        .args(["compare", "--trials", "10", "-q", "--focus", "Atlantis"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--focus `Atlantis`"));
}

/// `--focus` on a sector no market of the scenario is in says so, rather
/// than that the name is unknown with a "did you mean" of the same name;
/// a misspelt sector is pointed at the sectors the scenario's markets are
/// in.
#[test]
fn a_focus_sector_without_markets_is_said_plainly() {
    let scenario = common::fixture("base.toml");
    let focus = |key: &str| {
        chipshock()
            .args(["compare", "--trials", "5", "-q", "--focus", key])
            .arg(&scenario)
            .assert()
    };
    focus("consumer").code(2).stderr(
        "error: --focus `consumer` selects no market demand: no market of the scenario is in \
             that sector\n",
    );
    for typo in ["automotiv", "Automotive"] {
        focus(typo).code(2).stderr(format!(
            "error: --focus `{typo}` is not a market, country, bloc, product or sector of the \
             scenario; did you mean `automotive`?\n"
        ));
    }
    // No suggestion of a sector the scenario has no market in.
    focus("consumr")
        .code(2)
        .stderr(predicate::str::contains("did you mean").not());
    focus("automotive")
        .code(0)
        .stdout(predicate::str::contains("focus: automotive"));
}

/// A policy that costs next to nothing (5e-324 dollars) has an avoided
/// loss per dollar past any double: every output says it is undefined
/// (`n/a`, empty, `null`), with the cost beside it, where the terminal and
/// comparison.csv said `inf` and comparison.json `null`, which reads as
/// "costs nothing".
#[test]
fn a_ratio_to_a_negligible_cost_is_undefined_everywhere() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = common::read(&common::fixture("base.toml"))
        .replace(
            "id = \"stock\"\nannual_cost_usd = 1000",
            "id = \"stock\"\ncapex_usd = 5e-324",
        )
        .replace(
            "inventory_weeks = 12\n",
            "inventory_weeks = 12\nholding_rate_per_year = 0\n",
        )
        + "\n[[variant]]\nid = \"stock_only\"\npolicies = [\"stock\"]\n";
    let scenario = common::write_temp(&tmp, "tiny_cost.toml", &text);
    let out = tmp.path().join("c");
    let shown = chipshock()
        .args([
            "compare",
            "--variants",
            "stock_only",
            "--trials",
            "300",
            "-q",
        ])
        .args(["--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("inf").not())
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(shown).expect("utf8");
    let row = shown
        .lines()
        .find(|l| l.contains(" stock_only "))
        .expect("the variant's row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[cells.len() - 2..], ["$4.94e-324", "n/a"], "{row}");
    let csv = common::read(&out.join("comparison.csv"));
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("stock_only,total,"))
        .expect("csv row")
        .split(',')
        .collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).expect(name)];
    assert_ne!(cell("avoided_usd_mean"), "0", "the policy avoids some loss");
    assert_eq!(cell("cost_over_horizon_usd"), "5e-324");
    assert_eq!(cell("avoided_usd_per_dollar"), "");
    let json: serde_json::Value =
        serde_json::from_str(&common::read(&out.join("comparison.json"))).expect("json");
    let v = &json["comparisons"][1];
    assert_eq!(v["variant"], "stock_only");
    assert!(v["avoided_usd_per_dollar"].is_null());
}

/// A run in which no trial falls short keeps the time to survive and to
/// recover in every output, each figure undefined (`n/a`, empty, `null`):
/// the files keep their shape, as docs/OUTPUTS.md says.
#[test]
fn a_run_without_shortfalls_keeps_the_shape_of_its_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("o");
    let shown = chipshock()
        .args(["run", "--trials", "200", "-q", "--out"])
        .arg(&out)
        .arg(common::repo().join("scenarios/examples/two_suppliers.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no trial fell short"))
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(shown).expect("utf8");
    let csv = common::read(&out.join("summary.csv"));
    let json: serde_json::Value =
        serde_json::from_str(&common::read(&out.join("summary.json"))).expect("json");
    for (metric, label) in [
        ("time_to_survive", "time to survive (weeks), 0 trials"),
        (
            "time_to_recover",
            "time to recover (weeks), 0 recovered trials only",
        ),
    ] {
        let row = shown.lines().find(|l| l.starts_with(label)).expect("a row");
        assert_eq!(row[label.len()..].split_whitespace().count(), 7, "{row}");
        assert!(
            row[label.len()..].split_whitespace().all(|c| c == "n/a"),
            "{row}"
        );
        let rows: Vec<&str> = csv
            .lines()
            .filter(|l| l.starts_with(&format!("baseline,{metric},total,,")))
            .collect();
        assert_eq!(rows.len(), 26, "{metric}");
        assert!(rows.contains(&format!("baseline,{metric},total,,count,0").as_str()));
        assert!(rows.contains(&format!("baseline,{metric},total,,mean,").as_str()));
        let summary = &json[metric]["summary"];
        assert_eq!(summary["count"], 0, "{metric}");
        assert!(summary["mean"].is_null() && summary["p50"]["value"].is_null());
    }
}

/// Control characters in text the command line shows (a scenario named
/// after its file; the tabs and line breaks an attribution may hold) are
/// shown escaped: on a terminal ESC starts an instruction (recolour, clear
/// the screen, retitle the window) and CR overwrites the line.
#[cfg(unix)]
#[test]
fn control_characters_reach_the_terminal_escaped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = common::read(&common::fixture("base.toml")).replace(
        "name = \"base\"\n",
        "attribution = \"CC BY\\tdata\\nline two\\rover\"\n",
    );
    let scenario = common::write_temp(&tmp, "we\u{1b}[31mird.toml", &text);
    let raw = |out: &[u8]| {
        String::from_utf8_lossy(out)
            .chars()
            .find(|&c| c.is_control() && c != '\n')
    };
    for args in [
        &["validate"][..],
        &["run", "--trials", "20", "-q"],
        &["compare", "--trials", "20", "-q", "--variants", "all"],
    ] {
        let out = chipshock()
            .args(args)
            .arg(&scenario)
            .assert()
            .code(0)
            .stdout(predicate::str::contains(
                "data: CC BY\\tdata\\nline two\\rover\n",
            ))
            .get_output()
            .stdout
            .clone();
        assert_eq!(raw(&out), None, "{args:?}");
        let shown = String::from_utf8(out).expect("utf8");
        let name = if args[0] == "validate" {
            format!(
                "scenario {} is valid",
                tmp.path().join("we\\u{1b}[31mird.toml").display()
            )
        } else {
            "scenario `we\\u{1b}[31mird`".to_string()
        };
        assert!(shown.contains(&name), "{args:?}: {shown}");
    }
}

/// The world scenario exercises every distribution (PERT, lognormal, beta,
/// choice), triggers and Poisson rates: 1 and 2 threads, and a policy
/// variant with regime switches, give the same bytes.
#[test]
fn world_outputs_are_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, threads: &str, variant: &str| {
        let dir = tmp.path().join(name);
        chipshock()
            .args([
                "run",
                "--trials",
                "120",
                "--seed",
                "3",
                "-q",
                "--threads",
                threads,
                "--variant",
                variant,
                "--out",
            ])
            .arg(&dir)
            .assert()
            .code(0);
        files(&dir)
    };
    assert_eq!(run("b1", "1", "baseline"), run("b2", "2", "baseline"));
    assert_eq!(run("a1", "1", "all"), run("a2", "2", "all"));
}

/// In `trials.csv` a revocation, which has an onset only, is written
/// `id@onset`; other shocks `id@onset/duration/severity`. In time order.
#[test]
fn fired_shocks_are_listed_by_onset_and_a_revocation_by_its_onset_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("w");
    chipshock()
        .args(["run", "--trials", "120", "--seed", "3", "-q", "--out"])
        .arg(&dir)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(dir.join("trials.csv")).expect("trials.csv");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|&c| c == "fired")
        .expect("fired column");
    let (mut revocations, mut others) = (0, 0);
    for line in text.lines().skip(1) {
        let fired = line.split(',').nth(col).expect("fired cell");
        let mut last = 0u32;
        for f in fired.split(';').filter(|f| !f.is_empty()) {
            let (id, when) = f.split_once('@').expect("id@...");
            let parts: Vec<&str> = when.split('/').collect();
            if id == "government_change_revokes_ipef" {
                assert_eq!(parts.len(), 1, "{f}");
                revocations += 1;
            } else {
                assert_eq!(parts.len(), 3, "{f}");
                others += 1;
            }
            let onset: u32 = parts[0].parse().expect("onset");
            assert!(onset >= last, "not in time order: {fired}");
            last = onset;
        }
    }
    assert!(revocations > 0 && others > 0, "{revocations} {others}");
}

/// A write `compare` cannot make is reported with the file it was writing.
#[test]
fn a_failed_compare_write_names_its_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("c");
    // A directory where comparison.csv goes: the rename onto it fails.
    std::fs::create_dir_all(out.join("comparison.csv").join("x")).expect("mkdir");
    chipshock()
        .args(["compare", "--trials", "5", "-q", "--out"])
        .arg(&out)
        .arg(common::repo().join("scenarios/examples/two_suppliers.toml"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("writing ").and(predicate::str::contains("comparison.csv")),
        );
}

/// One trial warns that its spread is unknown, even with `--quiet`
/// (which, as `--help` says, keeps warnings about the results), and says
/// what that leaves: no standard errors, and probabilities' intervals 79
/// points wide, as the table shows them; two trials do not.
#[test]
fn one_trial_is_told_its_intervals_mean_nothing() {
    let scenario = common::fixture("base.toml");
    for (cmd, variants) in [("run", None), ("compare", Some("all"))] {
        let run = |trials: &str| {
            let mut c = chipshock();
            c.arg(cmd).arg(&scenario).args(["--trials", trials, "-q"]);
            if let Some(v) = variants {
                c.args(["--variants", v]);
            }
            c.assert().code(0)
        };
        run("1")
            .stderr(predicate::str::contains(
                "warning: with 1 trial the spread of the results is unknown: the standard \
                 errors and confidence intervals of means and quantiles are undefined (n/a, and \
                 empty in the files), and the 95% intervals of probabilities are 79 points wide",
            ))
            // The table shows the intervals as unknown, not as 0.
            .stdout(predicate::str::contains(" n/a ").and(predicate::str::contains("±$0").not()));
        if cmd == "run" {
            // Whatever the one trial did, its probabilities' intervals are
            // 79.3 points wide.
            run("1").stdout(
                predicate::str::contains("[0.0%, 79.3%]")
                    .or(predicate::str::contains("[20.7%, 100.0%]")),
            );
        }
        // (The time to survive and to recover of no short trial are
        // undefined whatever the number of trials.)
        run("2")
            .stderr(predicate::str::contains("with 1 trial").not())
            .stdout(predicate::function(|out: &str| {
                out.lines()
                    .filter(|l| !l.starts_with("time to "))
                    .all(|l| !l.contains(" n/a "))
            }));
    }
}

/// A scenario's `attribution` of its data travels with every result: the
/// validation summary, the run and compare tables, and the manifests.
#[test]
fn the_data_attribution_travels_with_the_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let note = "Contains data from Example Survey 2026, CC BY-NC 4.0";
    let base = common::fixture("base.toml");
    let scenario = common::write_temp(
        &dir,
        "attributed.toml",
        &format!(
            "include = [{:?}]\n[meta]\noverride = true\nattribution = \"{note}\"\n",
            base.display().to_string()
        ),
    );
    let line = format!("data: {note}");
    chipshock()
        .arg("validate")
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(line.as_str()));
    let out = dir.path().join("run");
    chipshock()
        .args(["run", "--trials", "20", "-q", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(line.as_str()));
    let summary = common::read(&out.join("summary.json"));
    assert!(
        summary.contains(&format!("\"attribution\": \"{note}\"")),
        "{summary}"
    );
    let out = dir.path().join("compare");
    chipshock()
        .args([
            "compare",
            "--variants",
            "all",
            "--trials",
            "20",
            "-q",
            "--out",
        ])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(line.as_str()));
    let comparison = common::read(&out.join("comparison.json"));
    assert!(comparison.contains(&format!("\"attribution\": \"{note}\"")));
    // Without one, nothing is said.
    chipshock()
        .args(["run", "--trials", "5", "-q"])
        .arg(&base)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("data:").not());
}

/// A shock whose onset a shorter `--horizon` leaves behind is named with
/// the note `validate` gives, and the shocks table shows it fired in no
/// trial (the table lists every shock, fired or not).
#[test]
fn a_shock_past_a_shortened_horizon_is_noted_and_listed() {
    let scenario = common::repo().join("scenarios/examples/two_suppliers.toml");
    let note = "note: shock `fab_a_outage` never fires: its onset_week is never before the horizon (5 weeks)";
    chipshock()
        .args(["run", "--trials", "10", "-q", "--horizon", "5"])
        .arg(&scenario)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(note))
        .stdout(predicate::str::contains("shocks fired"))
        .stdout(predicate::str::is_match(r"\n  fab_a_outage +0\.0%").expect("regex"));
    chipshock()
        .args(["run", "--trials", "10", "-q"])
        .arg(&scenario)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("never fires").not());
}

/// `--variants` items may have spaces around them; a comparison with
/// nothing but the baseline says so.
#[test]
fn compare_trims_variant_names_and_notes_a_lone_baseline() {
    let scenario = common::fixture("base.toml");
    chipshock()
        .args([
            "compare",
            "--trials",
            "5",
            "-q",
            "--variants",
            " all , baseline",
        ])
        .arg(&scenario)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("nothing to compare").not());
    chipshock()
        .args(["compare", "--trials", "5", "-q", "--variants", "baseline"])
        .arg(&scenario)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "note: nothing to compare `baseline` with (no other variant was named)",
        ));
    chipshock()
        .args(["compare", "--trials", "5", "-q"])
        .arg(common::repo().join("scenarios/examples/teaching_chain.toml"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "nothing to compare `baseline` with (the scenario declares no other [[variant]])",
        ));
}

/// A severe-loss threshold must be above 0 (at 0 every trial, losing
/// nothing, would count as severe), on the command line and in a scenario.
#[test]
fn a_zero_severe_loss_threshold_is_refused() {
    let scenario = common::fixture("base.toml");
    chipshock()
        .args(["run", "--trials", "5", "-q", "--severe-usd", "0"])
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--severe-usd must be an amount above 0 and at most 1e15, not 0",
        ));
    let dir = tempfile::tempdir().expect("tempdir");
    let text = common::read(&scenario).replacen(
        "horizon_weeks = 52",
        "horizon_weeks = 52\nsevere_loss_usd = 0",
        1,
    );
    let path = common::write_temp(&dir, "zero.toml", &text);
    chipshock()
        .args(["run", "--trials", "5", "-q"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("zero.toml:7:"))
        .stderr(predicate::str::contains("severe_loss_usd"))
        .stderr(predicate::str::contains("greater than zero"));
}
