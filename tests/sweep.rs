//! Sweeps: every sweep-file error class with file and line; shards run as
//! separate processes merge into exactly the unsharded result; a sweep
//! killed with SIGKILL and resumed gives the same bytes; merge refuses
//! mixed, duplicate and missing shards.

mod common;

use common::{chipshock, tree};

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use predicates::prelude::*;

fn sweep_file() -> PathBuf {
    common::fixture("sweep_small.toml")
}

fn sweep_to(dir: &Path, extra: &[&str]) {
    run_sweep(&sweep_file(), dir, extra);
}

/// Runs the sweep `file` into `dir` on two threads, which must succeed.
fn run_sweep(file: &Path, dir: &Path, extra: &[&str]) {
    chipshock()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(dir)
        .args(["-q", "--threads", "2"])
        .args(extra)
        .assert()
        .code(0);
}

#[test]
fn three_shards_merge_into_exactly_the_whole_sweep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    sweep_to(&whole, &[]);
    let files = tree(&whole);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"points.csv")
            && names.contains(&"sensitivity.csv")
            && names.contains(&"points.json")
    );
    assert_eq!(names.iter().filter(|n| n.starts_with("points/")).count(), 8);
    let csv = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "points.csv")
            .expect("csv")
            .1
            .clone(),
    )
    .expect("utf8");
    assert!(csv.starts_with(
        "point,shock.blockade.probability,policy.stock.inventory_weeks,variant,metric,"
    ));
    // 8 points × (baseline 7 metrics + all 7 metrics).
    assert_eq!(csv.lines().count(), 1 + 8 * 14);
    // The baseline's avoided loss is 0 at every point (against itself):
    // the tornado table ranks only the other variant's.
    let sensitivity = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "sensitivity.csv")
            .expect("sensitivity")
            .1
            .clone(),
    )
    .expect("utf8");
    let rows = |prefix: &str| {
        sensitivity
            .lines()
            .filter(|l| l.starts_with(prefix))
            .count()
    };
    assert_eq!(rows("baseline,avoided_usd,"), 0, "{sensitivity}");
    assert_eq!(rows("all,avoided_usd,"), 2, "{sensitivity}");
    assert_eq!(rows("baseline,lost_usd,"), 2, "{sensitivity}");
    // variant × metric × axis: baseline 2 × 2, all 3 × 2.
    assert_eq!(sensitivity.lines().count(), 1 + 4 + 6, "{sensitivity}");

    // Three shards, each its own process (with one thread, to show the
    // thread count does not matter either).
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| tmp.path().join(format!("shard{i}")))
        .collect();
    for (i, d) in shards.iter().enumerate() {
        chipshock()
            .arg("sweep")
            .arg(sweep_file())
            .arg("--out")
            .arg(d)
            .args(["-q", "--threads", "1", "--shard", &format!("{i}/3")])
            .assert()
            .code(0);
        assert!(!d.join("points.csv").exists(), "a shard writes no tables");
    }
    let merged = tmp.path().join("merged");
    chipshock()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .code(0)
        .stderr(predicates::str::contains("merged 3 shards"));
    assert_eq!(
        tree(&merged),
        files,
        "merge of 3 shards == the unsharded sweep, byte for byte"
    );
    // `-q`: the same files, and nothing said.
    let quiet = tmp.path().join("quiet");
    chipshock()
        .args(["merge", "-q"])
        .args(&shards)
        .arg("--out")
        .arg(&quiet)
        .assert()
        .code(0)
        .stderr(predicates::str::is_empty());
    assert_eq!(tree(&quiet), files);
}

#[test]
fn merge_refuses_mixed_duplicate_and_missing_shards() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = |i: usize, n: usize| {
        let d = tmp.path().join(format!("s{i}of{n}"));
        sweep_to(&d, &["--shard", &format!("{i}/{n}")]);
        d
    };
    let (a, b) = (s(0, 2), s(1, 2));
    let out = tmp.path().join("m");
    chipshock()
        .arg("merge")
        .arg(&a)
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("shard 0/2 given twice"));
    chipshock()
        .arg("merge")
        .arg(&a)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing shard(s) 1/2"));
    // A shard of another sweep (another seed).
    let other_file = tmp.path().join("other.toml");
    let text = common::read(&sweep_file())
        .replace("seed = 7", "seed = 8")
        .replace(
            "\"base.toml\"",
            &format!("{:?}", common::fixture("base.toml")),
        );
    std::fs::write(&other_file, text).expect("write");
    let c = tmp.path().join("other");
    chipshock()
        .arg("sweep")
        .arg(&other_file)
        .arg("--out")
        .arg(&c)
        .args(["-q", "--shard", "1/2"])
        .assert()
        .code(0);
    chipshock()
        .arg("merge")
        .arg(&a)
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("shards of different sweeps"));
    // An incomplete shard names its missing points, and tells a point file
    // cut short (a copy interrupted) from one never written.
    std::fs::remove_file(b.join("points/p000003.json")).expect("remove");
    let cut = b.join("points/p000001.json");
    let text = common::read(&cut);
    std::fs::write(&cut, &text[..text.len() / 2]).expect("truncate");
    chipshock()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("shard 1/2")
                .and(predicate::str::contains("2 points not usable"))
                .and(predicate::str::contains("point 1 is damaged: "))
                .and(predicate::str::contains(
                    "p000001.json is not a point file (EOF",
                ))
                .and(predicate::str::contains("point 3 is missing"))
                .and(predicate::str::contains("finish it with --resume")),
        );
    std::fs::write(&cut, &text).expect("restore");
    // The output directory may not be one of the shards (writing there
    // would replace its manifest).
    chipshock()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&a)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is one of the shards being merged",
        ));
    // A manifest is data from disk: one edited to an impossible shard is
    // refused before anything indexes with it.
    let edited = tmp.path().join("edited");
    std::fs::create_dir_all(&edited).expect("mkdir");
    let manifest = common::read(&a.join("sweep.json"));
    let bad = manifest.replacen("\"shard_index\": 0", "\"shard_index\": 5", 1);
    assert_ne!(bad, manifest, "the manifest names its shard index");
    std::fs::write(edited.join("sweep.json"), bad).expect("write");
    chipshock()
        .arg("merge")
        .arg(&edited)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a usable sweep manifest"))
        .stderr(predicate::str::contains("shard 5/2 is impossible"));
    // Rerunning into a used directory needs --resume.
    chipshock()
        .arg("sweep")
        .arg(sweep_file())
        .arg("--out")
        .arg(&a)
        .args(["-q", "--shard", "0/2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume"));
}

#[test]
fn killed_sweep_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    sweep_to(&whole, &[]);
    let expected = tree(&whole);

    let dir = tmp.path().join("killed");
    let mut child = Process::cargo_bin("chipshock")
        .expect("binary")
        .arg("sweep")
        .arg(sweep_file())
        .arg("--out")
        .arg(&dir)
        .args(["-q", "--threads", "1"])
        .spawn()
        .expect("spawn");
    // Wait for the first finished point, then kill -9.
    let started = Instant::now();
    while !dir.join("points/p000000.json").exists() && started.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let done = std::fs::read_dir(dir.join("points"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(
        done < 8,
        "the sweep was interrupted before the end ({done} files)"
    );
    assert!(!dir.join("points.csv").exists());
    sweep_to(&dir, &["--resume"]);
    // A kill during a write can leave a temporary file; the resumed sweep
    // removes it.
    assert_eq!(
        tree(&dir),
        expected,
        "resumed sweep == uninterrupted sweep, byte for byte"
    );
}

/// Writes a sweep file next to the fixtures' base scenario and returns
/// (its path, its text).
fn sweep_with(dir: &Path, body: &str) -> (PathBuf, String) {
    let text = format!(
        "[sweep]\nscenario = {:?}\nvariants = [\"baseline\"]\ntrials = 10\n{body}",
        common::fixture("base.toml")
    );
    let p = dir.join("s.toml");
    std::fs::write(&p, &text).expect("write");
    (p, text)
}

/// Checks that the sweep fails with `message` located at `s.toml:LINE`
/// where LINE is the line containing `at`.
fn check_error(body: &str, message: &str, at: &str) {
    check_error_at(body, message, |text| {
        text.lines().position(|l| l.contains(at)).expect("line") + 1
    });
}

/// [`check_error`] with the expected line found by `line_of(sweep text)`.
fn check_error_at(body: &str, message: &str, line_of: impl Fn(&str) -> usize) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, text) = sweep_with(tmp.path(), body);
    let line = line_of(&text);
    refused_sweep(&p, &tmp.path().join("o"))
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains(format!("s.toml:{line}:")));
}

/// [`check_error`], also checking the error's hint (its start).
fn check_hinted(body: &str, message: &str, hint: &str, at: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, text) = sweep_with(tmp.path(), body);
    let line = text.lines().position(|l| l.contains(at)).expect("line") + 1;
    refused_sweep(&p, &tmp.path().join("o"))
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains(format!("= hint: {hint}")))
        .stderr(predicate::str::contains(format!("s.toml:{line}:")));
}

/// Runs the sweep `p` into `out` and checks that it is refused (exit 1).
fn refused_sweep(p: &Path, out: &Path) -> assert_cmd::assert::Assert {
    chipshock()
        .arg("sweep")
        .arg(p)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
        .code(1)
}

#[test]
fn unknown_parameter_path() {
    check_error(
        "[[axis]]\npath = \"shock.blockad.probability\"\nvalues = [0.1]\n",
        "no shock `blockad` in the scenario; did you mean `blockade`?",
        "path =",
    );
    check_error(
        "[[axis]]\npath = \"facility.fab_a.capacity\"\nvalues = [1.0]\n",
        "`capacity` is not a numeric field of facility `fab_a`; did you mean `facility.fab_a.capacity_per_week`?",
        "path =",
    );
    check_error(
        "[[axis]]\npath = \"weather.x.y\"\nvalues = [1.0]\n",
        "unknown parameter kind `weather`",
        "path =",
    );
}

#[test]
fn non_numeric_target() {
    check_error(
        "[[axis]]\npath = \"facility.fab_a.country\"\nvalues = [1.0]\n",
        "`country` is not a numeric field of facility `fab_a`",
        "path =",
    );
}

#[test]
fn value_that_makes_the_scenario_invalid() {
    check_error(
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.2, 1.5]\n",
        "`probability` is 1.5, but must lie in [0, 1]",
        "path =",
    );
    check_error(
        "[[axis]]\npath = \"facility.fab_a.capacity_per_week\"\nvalues = [100.0, 50.0]\n",
        "baseline load of facility `fab_a` is 70",
        "path =",
    );
}

#[test]
fn sweep_file_errors() {
    // [[sweep]] is a list of tables, not the one table a sweep file has.
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("s.toml");
    std::fs::write(
        &p,
        "[[sweep]]\nscenario = \"base.toml\"\nvariants = [\"baseline\"]\ntrials = 2\n",
    )
    .expect("write");
    refused_sweep(&p, &tmp.path().join("o"))
        .stderr(predicate::str::contains(
            "[sweep] must be a table, not a list",
        ))
        .stderr(predicate::str::contains("single brackets"));
    // A name with a backtick in it stays whole, and the valid ones listed.
    check_error(
        "design = \"gr`id\"\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
        "unknown design `gr`id`",
        "design =",
    );
    check_error(
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalue = [0.1]\n",
        "unknown field `value`",
        "value = [0.1]",
    );
    check_error(
        "design = \"zip\"\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.2]\n[[axis]]\npath = \"policy.stock.inventory_weeks\"\nvalues = [2.0]\n",
        "zipped axes need the same number of values",
        "design = \"zip\"",
    );
    check_error(
        "design = \"latin_hypercube\"\n[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.1, to = 0.5 }\n",
        "a latin_hypercube design needs `points`",
        "design =",
    );
    check_error(
        "[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.1, to = 0.5 }\n",
        "a range needs `steps` ≥ 2",
        "range =",
    );
    // Limits that once ran out of memory or wrapped around.
    check_error(
        "[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.1, to = 0.5, steps = 4294967297 }\n",
        "`steps` is 4294967297, more than the 100000 points a sweep may have",
        "range =",
    );
    // 65,536⁴ = 2⁶⁴: the grid's size wraps to 0 in 64 bits.
    check_error(
        &[
            "shock.blockade.probability",
            "policy.stock.inventory_weeks",
            "market.mkt.inventory_weeks",
            "facility.fab_a.inventory_weeks",
        ]
        .iter()
        .map(|a| {
            format!("[[axis]]\npath = \"{a}\"\nrange = {{ from = 0.1, to = 0.5, steps = 65536 }}\n")
        })
        .collect::<String>(),
        "the grid has more than 100000 points (the product of the axes' lengths overflows)",
        "path = \"shock.blockade.probability\"",
    );
    check_error(
        "[[axis]]\npath = \"policy.stock.inventory_weeks\"\nrange = { from = -1e308, to = 1e308, steps = 3 }\n",
        "is too wide: `to - from` overflows",
        "range =",
    );
}

/// An axis with neither `values` nor `range`, with an empty `values`, or
/// with both: each told as what it is, at its place, with a hint.
#[test]
fn an_axis_without_values_with_empty_values_or_with_both_is_told_which() {
    let path = "[[axis]]\npath = \"shock.blockade.probability\"\n";
    check_hinted(
        path,
        "axis `shock.blockade.probability` has neither `values` nor `range`",
        "give the values to sweep, values = [0.02, 0.05, 0.1], or a range, \
         range = { from = 0.02, to = 0.2, steps = 4 }",
        "path =",
    );
    check_hinted(
        &format!("{path}values = []\n"),
        "axis `shock.blockade.probability` has an empty `values` list",
        "list the values to sweep",
        "values = []",
    );
    check_hinted(
        &format!("{path}values = [0.1, 0.2]\nrange = {{ from = 0.1, to = 0.2, steps = 2 }}\n"),
        "axis `shock.blockade.probability` has both `values` and `range`; an axis takes one of \
         the two",
        "remove one: `values` sweeps the numbers listed, `range` evenly spaced ones",
        "range =",
    );
    // Both, one of them empty, is still both.
    check_hinted(
        &format!("{path}range = {{ from = 0.1, to = 0.2, steps = 2 }}\nvalues = []\n"),
        "has both `values` and `range`",
        "remove one",
        "values = []",
    );
    // A Latin hypercube's range example has no `steps`.
    check_hinted(
        &format!("design = \"latin_hypercube\"\npoints = 4\n{path}"),
        "has neither `values` nor `range`",
        "give the values to sweep, values = [0.02, 0.05, 0.1], or a range, \
         range = { from = 0.02, to = 0.2 }\n",
        "path =",
    );
}

/// A seed, a trial count, a value or zipped axes out of bounds: each error
/// has a hint saying what is valid.
#[test]
fn values_out_of_bounds_have_hints() {
    let axis = "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n";
    check_hinted(
        &format!("seed = -1\n{axis}"),
        "`seed` is -1, but must be ≥ 0",
        "a seed is any whole number from 0 to 18446744073709551615",
        "seed =",
    );
    check_hinted(
        &format!("seed = 18446744073709551616\n{axis}"),
        "`seed` is 18446744073709551616, but must be at most 18446744073709551615",
        "a seed is any whole number from 0 to 18446744073709551615",
        "seed =",
    );
    // (`sweep_with` writes `trials = 10`; a second `trials` would be a
    // TOML error.)
    let (err, text) = refused_text(&format!("[sweep]\nscenario = {{base}}\ntrials = 0\n{axis}"));
    must_contain(&err, "`trials` is 0, but must be between 1 and 50000000");
    must_contain(
        &err,
        "= hint: `trials` is how many trials each point and variant runs, e.g. trials = 400",
    );
    must_contain(&err, format!("s.toml:{}:10", line_of(&text, "trials", 0)));
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrials = 10\n[[axis]]\npath = \"shock.blockade.probability\"\n\
         values = [0.02, nan]\n",
    );
    must_contain(&err, "axis value `nan` is not a finite number");
    must_contain(
        &err,
        "= hint: every value must be a number a parameter can take (nan, inf and -inf are none)",
    );
    // At the `nan` itself.
    must_contain(&err, format!("s.toml:{}:17", line_of(&text, "nan", 0)));
    check_hinted(
        "[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.1, to = inf, steps = 3 }\n",
        "range bounds must be finite numbers",
        "nan, inf and -inf are no parameter's values: e.g. range = { from = 0.02, to = 0.2, steps = 4 }",
        "range =",
    );
    // Zipped axes of unequal length: every axis's length, and the hint
    // names the odd one out.
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrials = 10\ndesign = \"zip\"\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.2]\n\
         [[axis]]\npath = \"policy.stock.inventory_weeks\"\nvalues = [2.0]\n\
         [[axis]]\npath = \"market.mkt.inventory_weeks\"\nrange = { from = 1, to = 2, steps = 2 }\n",
    );
    must_contain(
        &err,
        "zipped axes need the same number of values: `shock.blockade.probability` has 2, \
             `policy.stock.inventory_weeks` has 1, `market.mkt.inventory_weeks` has 2",
    );
    must_contain(
        &err,
        "= hint: `policy.stock.inventory_weeks` has 1 value where the other axes have 2: \
             give every axis 2 values, or use design = \"grid\" for every combination",
    );
    must_contain(&err, format!("s.toml:{}:", line_of(&text, "design", 0)));
}

/// A value listed twice in an axis of a grid (or a range from a value to
/// itself) would compute the same points twice; in a Latin hypercube it
/// would be drawn twice as often: refused at the repeat. A zip design may
/// repeat a value along one axis, but not a whole point.
#[test]
fn a_value_listed_twice_is_refused_at_the_repeat() {
    let path = "[[axis]]\npath = \"shock.blockade.probability\"\n";
    let (err, text) = refused_text(&format!(
        "[sweep]\nscenario = {{base}}\ntrials = 10\n{path}values = [0.1, 0.2, 0.10]\n"
    ));
    must_contain(&err, "axis `shock.blockade.probability` lists 0.1 twice");
    // At the second 0.1, the first beside it.
    must_contain(&err, format!("s.toml:{}:21", line_of(&text, "values", 0)));
    assert!(err.contains("first listed here"), "{err}");
    must_contain(
        &err,
        "= hint: remove the repeat: every point with it would be computed again, to the \
             same figures",
    );
    check_hinted(
        &format!(
            "{path}values = [0.1, 0.2]\n[[axis]]\npath = \"policy.stock.inventory_weeks\"\nrange = {{ from = 2, to = 2, steps = 3 }}\n"
        ),
        "the range of axis `policy.stock.inventory_weeks` runs from 2 to 2: its 3 steps are all 2",
        "to hold the parameter at 2 give values = [2], or widen the range",
        "range =",
    );
    check_hinted(
        &format!("design = \"latin_hypercube\"\npoints = 4\n{path}values = [0.1, 0.1, 0.5, 0.1]\n"),
        "axis `shock.blockade.probability` lists 0.1 three times",
        "remove the repeats: a latin_hypercube design picks a list's values by position",
        "values =",
    );
    let zip = |a: &str, b: &str| {
        format!(
            "[sweep]\nscenario = {{base}}\ntrials = 10\ndesign = \"zip\"\n{path}values = {a}\n\
             [[axis]]\npath = \"policy.stock.inventory_weeks\"\nvalues = {b}\n"
        )
    };
    let (err, text) = refused_text(&zip("[0.1, 0.1, 0.2, 0.1]", "[2.0, 3.0, 3.0, 2.0]"));
    must_contain(
        &err,
        "points 0 and 3 of the zip design are the same (shock.blockade.probability = 0.1, \
             policy.stock.inventory_weeks = 2)",
    );
    must_contain(&err, format!("s.toml:{}:26", line_of(&text, "values", 0)));
    must_contain(
        &err,
        "= hint: remove the value at position 4 from every axis",
    );
    // One axis repeating a value while the other moves is a zip's way.
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = zip("[0.1, 0.1, 0.2]", "[2.0, 3.0, 3.0]")
        .replace("{base}", &format!("{:?}", common::fixture("base.toml")));
    let p = tmp.path().join("s.toml");
    std::fs::write(&p, text).expect("write");
    chipshock()
        .arg("sweep")
        .arg(&p)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .args(["-q", "--threads", "2"])
        .assert()
        .code(0);
}

/// A sweep of the baseline alone has no avoided loss to rank (it would be
/// the baseline's against itself, 0 at every point).
#[test]
fn a_baseline_only_sweep_ranks_no_avoided_loss() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.5]\n",
    );
    let out = tmp.path().join("o");
    run_sweep(&p, &out, &[]);
    let sensitivity = common::read(&out.join("sensitivity.csv"));
    assert_eq!(
        sensitivity
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap_or(""))
            .collect::<Vec<_>>(),
        ["lost_usd", "p_any_loss"],
        "{sensitivity}"
    );
}

/// An axis of more than ten values is cut into five groups of whole
/// values: on a grid each group holds every combination of the other axes
/// equally often, so an axis without effect (the cost of a policy the
/// sweep does not run) has a spread of exactly 0, however much the other
/// axis moves the losses, and no value is in two groups.
#[test]
fn an_axis_of_many_values_without_effect_has_no_spread() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("s.toml");
    std::fs::write(
        &p,
        format!(
            "[sweep]\nscenario = {:?}\nvariants = [\"baseline\"]\ntrials = 40\nseed = 5\n\
             [[axis]]\npath = \"policy.stock.annual_cost_usd\"\n\
             range = {{ from = 0, to = 1100, steps = 12 }}\n\
             [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.9]\n",
            common::fixture("base.toml")
        ),
    )
    .expect("write");
    let out = tmp.path().join("o");
    run_sweep(&p, &out, &[]);
    // The cost moves nothing: the losses take one value per blockade
    // probability, two in all.
    let points = common::read(&out.join("points.csv"));
    let mut means: Vec<&str> = points
        .lines()
        .filter(|l| l.split(',').nth(4) == Some("lost_usd"))
        .filter_map(|l| l.split(',').nth(5))
        .collect();
    means.sort();
    means.dedup();
    assert_eq!(means.len(), 2, "{points}");
    let sensitivity = common::read(&out.join("sensitivity.csv"));
    for metric in ["lost_usd", "p_any_loss"] {
        let row = |axis: &str| -> Vec<String> {
            sensitivity
                .lines()
                .find(|l| l.starts_with(&format!("baseline,{metric},")) && l.contains(axis))
                .unwrap_or_else(|| panic!("no {metric} row for {axis} in\n{sensitivity}"))
                .split(',')
                .map(str::to_string)
                .collect()
        };
        let cost = row("policy.stock.annual_cost_usd");
        assert_eq!(cost[4], "0", "{metric}: {sensitivity}");
        assert_eq!(
            (cost[5].as_str(), cost[7].as_str()),
            ("0..100", "900..1100"),
            "{metric}: {sensitivity}"
        );
        assert_ne!(row("shock.blockade.probability")[4], "0", "{sensitivity}");
    }
}

/// A sweep over a scenario with no market would report zero losses at every
/// point: refused as `run` and `compare` refuse it, pointing at the
/// scenario file.
#[test]
fn a_sweep_over_a_scenario_without_markets_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let empty = common::write_temp(&tmp, "empty.toml", "# only a comment\n");
    let p = tmp.path().join("s.toml");
    std::fs::write(
        &p,
        format!("[sweep]\nscenario = {empty:?}\nvariants = [\"baseline\"]\ntrials = 10\n"),
    )
    .expect("write");
    refused_sweep(&p, &tmp.path().join("o"))
        .stderr(predicate::str::contains("empty.toml:1:1"))
        .stderr(predicate::str::contains(
            "the scenario has no [[market]]: there is no demand to simulate",
        ));
    assert!(!tmp.path().join("o").exists(), "nothing is written");
}

/// The same parameter swept by two axes: only the last would take effect,
/// so the points file and the sensitivities would disagree.
#[test]
fn an_axis_swept_twice_is_refused() {
    let axis = "[[axis]]\npath = \"shock.blockade.probability\"\n";
    check_error_at(
        &format!("{axis}values = [0.1]\n{axis}values = [0.2]\n"),
        "axis `shock.blockade.probability` is swept twice",
        // The second axis's path.
        |text| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.starts_with("path ="))
                .nth(1)
                .map(|(i, _)| i + 1)
                .expect("two axes")
        },
    );
}

#[test]
fn unknown_variant_in_sweep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[sweep]\nscenario = {:?}\nvariants = [\"baseline\", \"alll\"]\ntrials = 10\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
        common::fixture("base.toml")
    );
    let p = tmp.path().join("s.toml");
    std::fs::write(&p, &text).expect("write");
    chipshock()
        .arg("sweep")
        .arg(&p)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown variant `alll`"))
        .stderr(predicate::str::contains("did you mean `all`?"))
        .stderr(predicate::str::contains("s.toml:3:"));
}

#[test]
fn latin_hypercube_sweep_runs_and_is_reproducible() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let body = "seed = 3\ndesign = \"latin_hypercube\"\npoints = 6\n[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.05, to = 0.5 }\n[[axis]]\npath = \"policy.stock.inventory_weeks\"\nrange = { from = 1.0, to = 20.0 }\n";
    let (p, _) = sweep_with(tmp.path(), body);
    let run = |d: &str| {
        let out = tmp.path().join(d);
        chipshock()
            .arg("sweep")
            .arg(&p)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .assert()
            .code(0);
        std::fs::read_to_string(out.join("points.csv")).expect("points.csv")
    };
    let a = run("a");
    assert_eq!(a, run("b"));
    for line in a.lines().skip(1) {
        let cols: Vec<f64> = line
            .split(',')
            .skip(1)
            .take(2)
            .map(|x| x.parse().expect("number"))
            .collect();
        assert!(
            (0.05..=0.5).contains(&cols[0]) && (1.0..=20.0).contains(&cols[1]),
            "{line}"
        );
    }
}

#[test]
fn trial_rows_on_request() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plain = tmp.path().join("plain");
    sweep_to(&plain, &[]);
    assert!(
        !plain.join("points/p000000.trials.csv").exists(),
        "no trial rows unless asked"
    );
    let rows = tmp.path().join("rows");
    sweep_to(&rows, &["--trial-rows"]);
    let text = std::fs::read_to_string(rows.join("points/p000005.trials.csv")).expect("trial rows");
    assert!(text.starts_with("variant,trial,"));
    // Two variants × 4,000 trials.
    assert_eq!(text.lines().count(), 1 + 2 * 4000);
    assert_eq!(
        std::fs::read(rows.join("points.csv")).expect("csv"),
        std::fs::read(plain.join("points.csv")).expect("csv"),
        "trial rows do not change the results"
    );
}

/// Runs the sweep `text` (written as `s.toml` in a fresh directory, with
/// `{base}` standing for the fixtures' base scenario, quoted) and returns
/// its stderr and text, checking that it is refused (exit 1).
fn refused_text(text: &str) -> (String, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = text.replace("{base}", &format!("{:?}", common::fixture("base.toml")));
    let p = tmp.path().join("s.toml");
    std::fs::write(&p, &text).expect("write");
    let out = refused_sweep(&p, &tmp.path().join("o"))
        .get_output()
        .clone();
    (String::from_utf8(out.stderr).expect("utf8"), text)
}

/// Asserts that the error text `err` holds `want`.
fn must_contain(err: &str, want: impl AsRef<str>) {
    let want = want.as_ref();
    assert!(err.contains(want), "`{want}` not in\n{err}");
}

/// The line of `text` holding the `n`-th (0-based) occurrence of `at`.
fn line_of(text: &str, at: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(at))
        .nth(n)
        .map(|(i, _)| i + 1)
        .expect("line")
}

/// An alias and its name, or a shock's probability and its rate (one
/// parameter, the shock's occurrence), are the same parameter: the second
/// axis would silently undo the first.
#[test]
fn two_names_of_one_parameter_are_swept_twice() {
    for (first, second, why) in [
        (
            "policy.reshore_us.capacity_per_week",
            "policy.reshore_us.capacity",
            "`capacity` is another name for `capacity_per_week`",
        ),
        (
            "shock.blockade.probability",
            "shock.blockade.rate_per_year",
            "a shock's probability and its rate_per_year are one parameter",
        ),
        (
            "shock.blockade.duration_weeks.mode",
            "shock.blockade.duration_weeks",
            "replaces the whole distribution",
        ),
    ] {
        check_error_at(
            &format!(
                "[[axis]]\npath = \"{first}\"\nvalues = [0.1]\n[[axis]]\npath = \"{second}\"\nvalues = [0.2]\n"
            ),
            &format!("axis `{second}` "),
            |text| line_of(text, &format!("path = \"{second}\""), 0),
        );
        let (err, _) = refused_text(&format!(
            "[sweep]\nscenario = {{base}}\ntrials = 10\n[[axis]]\npath = \"{first}\"\nvalues = [0.1]\n[[axis]]\npath = \"{second}\"\nvalues = [0.2]\n"
        ));
        assert!(err.contains(why), "{err}");
        assert!(
            err.contains(&format!("as axis `{first}`"))
                || err.contains(&format!("axis `{first}` sets")),
            "names the first axis: {err}"
        );
        assert!(err.contains("first swept here"), "{err}");
    }
}

/// The sweep in docs/SWEEPS.md and every sweep shipped in
/// scenarios/sweeps/ load: every point of each is valid.
#[test]
fn shipped_and_documented_sweeps_load() {
    let load = |p: &Path| {
        if let Err(e) = chipshock::sweep::load_sweep(p) {
            let why = match e {
                chipshock::sweep::SweepError::Io(msg) => msg,
                chipshock::sweep::SweepError::Invalid(sources, diags) => {
                    let r = chipshock::diagnostic::Renderer::new(&sources);
                    diags.items.iter().map(|d| r.render(d)).collect()
                }
            };
            panic!("{} does not load:\n{why}", p.display());
        }
    };
    let dir = common::repo().join("scenarios/sweeps");
    let mut shipped: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/sweeps")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    shipped.sort();
    assert!(!shipped.is_empty(), "scenarios/sweeps holds sweeps");
    for p in &shipped {
        load(p);
    }
    let doc = common::read(&common::repo().join("docs/SWEEPS.md"));
    let start = doc
        .find("```toml\n[sweep]")
        .expect("SWEEPS.md shows a sweep file")
        + 8;
    let len = doc[start..].find("```").expect("the block ends");
    let example = &doc[start..start + len];
    assert!(
        example.contains("scenario = \"../world.toml\""),
        "{example}"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let world = common::repo().join("scenarios/world.toml");
    let p = common::write_temp(
        &tmp,
        "example.toml",
        &example.replace("\"../world.toml\"", &format!("{world:?}")),
    );
    load(&p);
}

/// A variant that a point's value makes invalid is reported at the axis
/// that set the value (not the first axis, not the variant), naming the
/// point and its values.
#[test]
fn a_point_that_overloads_a_variant_is_reported_at_its_axis() {
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrials = 10\nvariants = [\"baseline\", \"all\"]\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n\
         [[axis]]\npath = \"policy.reshore_us.capacity_per_week\"\nvalues = [40, 10]\n",
    );
    must_contain(
        &err,
        "error: point 1 (shock.blockade.probability = 0.1, policy.reshore_us.capacity_per_week = 10): \
             variant `all`: its policies load facility `reshore_us` to 20",
    );
    let line = line_of(&text, "policy.reshore_us.capacity_per_week", 0);
    assert!(
        err.contains(&format!("s.toml:{line}:")),
        "at the capacity axis: {err}"
    );
    assert!(err.contains("set to 10 at this point"), "{err}");
    assert!(
        err.contains("this variant"),
        "the variant is shown too: {err}"
    );
    assert!(err.contains("the sweep has 1 problem\n"), "{err}");
}

/// Only the variants a sweep runs must apply at its points: a point where
/// a variant it does not run overloads a facility runs.
#[test]
fn a_variant_the_sweep_does_not_run_does_not_refuse_a_point() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"policy.reshore_us.capacity_per_week\"\nvalues = [40, 10]\n",
    );
    chipshock()
        .arg("sweep")
        .arg(&p)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .arg("-q")
        .assert()
        .success();
    assert!(tmp.path().join("o/points.csv").is_file());
}

/// Policies that conflict at a point (they move more than all of a
/// customer's sourcing) refuse the sweep only in a variant it runs.
#[test]
fn conflicting_policies_refuse_only_a_variant_the_sweep_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scenario = format!(
        "{}\n[[policy]]\nid = \"fs_us\"\nagreement = \"allies\"\n[policy.friendshore]\n\
         product = \"chip\"\ncustomers = {{ markets = [\"mkt\"] }}\nfrom = [\"TW\"]\n\
         to = \"allies\"\nshare = 0.3\nextra_capacity_fraction = 0.1\n\
         [[variant]]\nid = \"fs_all\"\npolicies = [\"fs_us\", \"reshore_us\"]\n",
        common::read(&common::fixture("base.toml"))
    );
    let scenario = common::write_temp(&tmp, "fs.toml", &scenario);
    let sweep = |variants: &str, name: &str| {
        let text = format!(
            "[sweep]\nscenario = {scenario:?}\ntrials = 5\nvariants = {variants}\n\
             [[axis]]\npath = \"policy.reshore_us.share\"\nvalues = [0.2, 0.9]\n"
        );
        let p = common::write_temp(&tmp, name, &text);
        let mut c = chipshock();
        c.arg("sweep")
            .arg(&p)
            .arg("--out")
            .arg(tmp.path().join(format!("{name}.out")))
            .arg("-q");
        c.assert()
    };
    sweep("[\"baseline\"]", "a.toml").success();
    sweep("[\"baseline\", \"fs_all\"]", "b.toml")
        .code(1)
        .stderr(predicate::str::contains(
            "variant `fs_all`: policies `fs_us` and `reshore_us` together move more than all",
        ));
}

/// A variant listed twice, or an empty list of variants, is refused at its
/// place in the sweep file.
#[test]
fn duplicate_or_no_variants_are_refused() {
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrials = 10\nvariants = [\"all\", \"all\"]\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
    );
    assert!(err.contains("variant `all` is listed twice"), "{err}");
    must_contain(&err, format!("s.toml:{}:", line_of(&text, "variants", 0)));
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrials = 10\nvariants = []\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
    );
    assert!(err.contains("`variants` is empty"), "{err}");
    must_contain(&err, format!("s.toml:{}:", line_of(&text, "variants", 0)));
}

/// A shard checks only its own points: a point another shard runs cannot
/// stop it (and is reported by the shard that runs it).
#[test]
fn a_shard_checks_only_its_own_points() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Point 1 (fab_a at 1 unit a week) overloads fab_a; point 0 does not.
    let (p, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"facility.fab_a.capacity_per_week\"\nvalues = [1000, 1]\n",
    );
    let shard = |i: usize| {
        let mut c = chipshock();
        c.arg("sweep")
            .arg(&p)
            .arg("--out")
            .arg(tmp.path().join(format!("s{i}")))
            .args(["-q", "--shard", &format!("{i}/2")]);
        c.assert()
    };
    shard(0).success();
    shard(1).code(1).stderr(predicate::str::contains(
        "point 1 (facility.fab_a.capacity_per_week = 1)",
    ));
}

/// A Latin hypercube range given `steps`, and a misspelt parameter kind.
#[test]
fn latin_hypercube_steps_and_kind_typos_are_explained() {
    check_error(
        "design = \"latin_hypercube\"\npoints = 3\n[[axis]]\npath = \"shock.blockade.probability\"\n\
         range = { from = 0.1, to = 0.2, steps = 5 }\n",
        "a latin_hypercube design does not use `steps`",
        "range =",
    );
    check_error(
        "[[axis]]\npath = \"facilty.fab_a.capacity_per_week\"\nvalues = [1.0]\n",
        "unknown parameter kind `facilty` (did you mean `facility`?)",
        "path =",
    );
}

/// Every unknown key of a sweep file is reported at once, in file order.
#[test]
fn every_unknown_key_is_reported_at_once() {
    let (err, text) = refused_text(
        "[sweep]\nscenario = {base}\ntrails = 10\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvaluse = [0.1]\n\
         range = { from = 0.1, too = 0.2 }\n",
    );
    let at = |key: &str| {
        err.find(&format!("unknown field `{key}`"))
            .unwrap_or_else(|| panic!("`{key}` not reported: {err}"))
    };
    assert!(
        at("trails") < at("valuse") && at("valuse") < at("too"),
        "{err}"
    );
    assert!(err.contains("did you mean `trials`?"), "{err}");
    must_contain(&err, format!("s.toml:{}:", line_of(&text, "valuse", 0)));
    assert!(err.contains("the sweep has 3 problems"), "{err}");
}

/// Sweep-file mistakes in the sweep file's words, each at its line.
#[test]
fn sweep_file_mistakes_in_plain_words() {
    let axis = "[[axis]]\npath = \"shock.blockade.probability\"\n";
    for (text, message, hint, at) in [
        (
            format!("[sweep]\nscenario = {{base}}\ntrials = \"200\"\n{axis}values = [0.1]\n"),
            "`trials` must be a whole number, not the text \"200\"",
            "without quotes: 200",
            "trials =",
        ),
        (
            format!("[sweep]\nscenario = {{base}}\ntrials = 10\n{axis}values = [\"0.1\"]\n"),
            "`values` must be a list of numbers: one of them is the text \"0.1\"",
            "without quotes: 0.1",
            "values =",
        ),
        // A value no scenario may hold is not worth unquoting.
        (
            format!("[sweep]\nscenario = {{base}}\ntrials = 10\n{axis}values = [\"2e15\"]\n"),
            "`values` must be a list of numbers: one of them is the text \"2e15\"",
            "e.g. values = [0.02, 0.1, 0.2]",
            "values =",
        ),
        (
            format!("[sweep]\nscenario = {{base}}\ntrials = 10\n{axis}range = [0.1, 0.2]\n"),
            "`range` is a table with keys from, to and steps",
            "range = { from = 0.1, to = 0.2, steps = 5 }",
            "range =",
        ),
        (
            format!(
                "[sweep]\nscenario = {{base}}\nvariants = \"all\"\ntrials = 10\n{axis}values = [0.1]\n"
            ),
            "`variants` must be a list of variant names in quotes, not the text \"all\"",
            "variants = [\"all\"]",
            "variants =",
        ),
        (
            format!(
                "[sweep]\nscenario = {{base}}\ntrials = 10\ndesign = \"latin-hypercube\"\npoints = 4\n{axis}range = {{ from = 0.1, to = 0.2 }}\n"
            ),
            "unknown design `latin-hypercube`",
            "did you mean `latin_hypercube`?",
            "design =",
        ),
        (
            format!(
                "[sweep]\nscenario = {{base}}\ntrials = 10\npoints = 10\n{axis}values = [0.1]\n"
            ),
            "`points` is for a latin_hypercube design; a grid design",
            "remove `points`",
            "points =",
        ),
        (
            format!(
                "[sweep]\nscenario = {{base}}\ntrials = 10\ndesign = \"zip\"\npoints = 10\n{axis}values = [0.1]\n"
            ),
            "`points` is for a latin_hypercube design; a zip design",
            "remove `points`",
            "points =",
        ),
    ] {
        let (err, text) = refused_text(&text);
        assert!(err.contains(message), "{message}:\n{err}");
        assert!(err.contains(hint), "{hint}:\n{err}");
        let line = line_of(&text, at, 0);
        assert!(
            err.contains(&format!("s.toml:{line}:")),
            "at `{at}`:\n{err}"
        );
        assert!(!err.contains("expected"), "no serde words:\n{err}");
    }
    let (err, _) = refused_text(&format!(
        "[sweep]\nscenario = {{base}}\nvariants = [\"alll\"]\ntrials = 0\n{axis}values = [0.1]\n"
    ));
    assert!(err.contains("the sweep has 2 problems\n"), "{err}");
}

/// A scenario that is not there is an error at `scenario`, which says the
/// path is relative to the sweep file.
#[test]
fn a_missing_scenario_is_located_and_resolved_relative_to_the_sweep_file() {
    let (err, _) = refused_text(
        "[sweep]\nscenario = \"bse.toml\"\ntrials = 10\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
    );
    assert!(err.contains("scenario `bse.toml` not found"), "{err}");
    assert!(err.contains("s.toml:2:12"), "{err}");
    assert!(err.contains("relative to the sweep file"), "{err}");
}

/// A scenario path naming a directory says so (not "not found"), and
/// shows the directory it resolved to, even when that is the current
/// directory (`scenario = "."` beside a sweep file named without one).
#[test]
fn a_scenario_that_is_a_directory_is_named_as_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "[sweep]\nscenario = \".\"\ntrials = 10\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n";
    let p = tmp.path().join("s.toml");
    std::fs::write(&p, text).expect("write");
    let err = |a: assert_cmd::assert::Assert| {
        String::from_utf8_lossy(&a.get_output().stderr).into_owned()
    };
    let absolute = err(refused_sweep(&p, &tmp.path().join("o")));
    assert!(
        absolute.contains(&format!(
            "scenario `.` is a directory, not a scenario file: {}",
            tmp.path().display()
        )),
        "{absolute}"
    );
    assert!(absolute.contains("s.toml:2:12"), "{absolute}");
    let relative = err(chipshock()
        .current_dir(tmp.path())
        .args(["sweep", "s.toml", "--out", "o", "-q"])
        .assert()
        .code(1));
    assert!(
        relative.contains("scenario `.` is a directory, not a scenario file: . (relative to"),
        "{relative}"
    );
    assert!(!relative.contains("not found"), "{relative}");
}

/// A seed is any `u64`, as `run --seed` takes, though TOML's integers are
/// 64-bit signed; one outside that range is refused with its value.
#[test]
fn a_sweep_seed_takes_the_whole_u64_range() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let axis = "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n";
    let (p, _) = sweep_with(tmp.path(), &format!("seed = 18446744073709551615\n{axis}"));
    let out = tmp.path().join("o");
    chipshock()
        .arg("sweep")
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .code(0);
    assert!(
        common::read(&out.join("sweep.json")).contains("\"seed\": 18446744073709551615,"),
        "the manifest records the seed"
    );
    check_error(
        &format!("seed = 18446744073709551616\n{axis}"),
        "`seed` is 18446744073709551616, but must be at most 18446744073709551615",
        "seed =",
    );
    check_error(
        &format!("seed = -1\n{axis}"),
        "`seed` is -1, but must be ≥ 0",
        "seed =",
    );
}

/// A grid of too many points is reported at its axes (their lengths'
/// product is the problem), not at `scenario`.
#[test]
fn a_grid_of_too_many_points_is_reported_at_its_axes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, text) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"shock.blockade.probability\"\nrange = { from = 0.1, to = 0.5, steps = 1000 }\n\
         [[axis]]\npath = \"policy.stock.inventory_weeks\"\nrange = { from = 1, to = 5, steps = 101 }\n",
    );
    let a = refused_sweep(&p, &tmp.path().join("o"));
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    must_contain(&err, "the grid has 101000 points, more than 100000");
    let first = line_of(&text, "shock.blockade.probability", 0);
    assert!(err.contains(&format!("s.toml:{first}:")), "{err}");
    assert!(err.contains("1000 values"), "{err}");
    assert!(err.contains("× 101 values"), "{err}");
    assert!(
        !err.contains(&format!("s.toml:{}:", line_of(&text, "scenario", 0))),
        "{err}"
    );
}

/// A scenario given where a sweep file belongs is recognised as one.
#[test]
fn a_scenario_given_to_sweep_is_recognised() {
    let tmp = tempfile::tempdir().expect("tempdir");
    refused_sweep(&common::fixture("base.toml"), &tmp.path().join("o")).stderr(
        predicate::str::contains(
            "this looks like a scenario file (it has [[facility]] tables and [[market]] tables): \
             `chipshock sweep` takes a sweep file; see docs/SWEEPS.md",
        ),
    );
}

#[test]
fn a_shard_count_of_zero_is_explained() {
    chipshock()
        .arg("sweep")
        .arg(sweep_file())
        .args(["--out", "unused", "--shard", "0/0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the shard count must be at least 1",
        ));
}

/// A shard with a sign is read as the flag's value and refused as a shard
/// (not as "unexpected argument '-1'"), as `--threads -1` is.
#[test]
fn a_negative_shard_is_refused_as_a_shard() {
    for (value, says) in [
        (
            "-1/2",
            "`-1` is not a shard index (a whole number from 0, below the count)",
        ),
        ("0/-2", "`-2` is not a shard count (a whole number from 1)"),
        ("-1", "`-1` is not I/N (e.g. 3/64)"),
        ("--resume", "`--resume` is not I/N (e.g. 3/64)"),
    ] {
        chipshock()
            .arg("sweep")
            .arg(sweep_file())
            .args(["--out", "unused", "--shard", value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "invalid value '{value}' for '--shard <I/N>': {says}"
            )));
    }
}

/// Path mistakes suggest only what exists there: a policy's own fields,
/// the ids under a path, a distribution's own parameters.
#[test]
fn axis_path_suggestions_are_what_exists_there() {
    let err = |path: &str| {
        refused_text(&format!(
            "[sweep]\nscenario = {{base}}\ntrials = 10\n[[axis]]\npath = \"{path}\"\nvalues = [0.5]\n"
        ))
        .0
    };
    let e = err("policy.stock.share");
    assert!(
        e.contains(
            "`share` is not a numeric field of policy `stock` (a stockpile policy); \
             valid: capex_usd, subsidy_usd, annual_cost_usd, inventory_weeks, holding_rate_per_year"
        ),
        "{e}"
    );
    assert!(!e.contains("did you mean"), "nothing close to suggest: {e}");
    for (path, message) in [
        (
            "shock.blockade.trigger.sanctons.probability",
            "shock `blockade` has no trigger of `sanctons`; did you mean `shock.blockade.trigger.sanctions.probability`?",
        ),
        (
            "facility.fab_a.recipe.wafr",
            "facility `fab_a` has no recipe input `wafr`; did you mean `facility.fab_a.recipe.wafer`?",
        ),
        (
            "market.mkt.demand.chp.units_per_week",
            "market `mkt` has no demand for `chp`; did you mean `market.mkt.demand.chip.units_per_week`?",
        ),
        (
            "shock.blockade.recovery_weeks.mode",
            "shock `blockade`'s `recovery_weeks` is lognormal { median = 4, sigma = 0.5 }, \
             which has no parameter `mode`; its parameters: median, sigma",
        ),
    ] {
        let e = err(path);
        assert!(e.contains(message), "{path}:\n{e}");
    }
}

/// `--trial-rows` output is all there or refused: resuming with the other
/// setting, merging shards of both, or a shard missing a trial file.
#[test]
fn trial_rows_are_never_silently_partial() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.3, 0.5, 0.7]\n",
    );
    let run = |out: &Path, extra: &[&str]| {
        let mut c = chipshock();
        c.arg("sweep")
            .arg(&p)
            .arg("--out")
            .arg(out)
            .arg("-q")
            .args(extra);
        c.assert()
    };
    let plain = tmp.path().join("plain");
    run(&plain, &[]).code(0);
    run(&plain, &["--resume", "--trial-rows"])
        .code(2)
        .stderr(predicate::str::contains("was started without --trial-rows"));
    let rows = tmp.path().join("rows");
    run(&rows, &["--trial-rows"]).code(0);
    run(&rows, &["--resume"])
        .code(2)
        .stderr(predicate::str::contains("was started with --trial-rows"));

    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    run(&a, &["--shard", "0/2", "--trial-rows"]).code(0);
    run(&b, &["--shard", "1/2"]).code(0);
    run(&c, &["--shard", "1/2", "--trial-rows"]).code(0);
    let merge = |shards: [&Path; 2]| {
        chipshock()
            .arg("merge")
            .args(shards)
            .arg("--out")
            .arg(tmp.path().join("m"))
            .assert()
    };
    merge([&a, &b])
        .code(1)
        .stderr(predicate::str::contains("was run with --trial-rows but"));
    std::fs::remove_file(c.join("points/p000003.trials.csv")).expect("remove");
    merge([&a, &c]).code(1).stderr(
        predicate::str::contains("shard 1/2")
            .and(predicate::str::contains("point 3's trial rows are missing"))
            .and(predicate::str::contains("p000003.trials.csv")),
    );
    // Resuming recomputes the point whose trial rows are gone.
    run(&c, &["--shard", "1/2", "--trial-rows", "--resume"]).code(0);
    merge([&a, &c]).code(0);
    assert_eq!(
        tree(&tmp.path().join("m")),
        tree(&rows),
        "the merge == the unsharded sweep with trial rows"
    );
}

/// `merge` names every incomplete shard at once; a directory it cannot
/// read is an I/O error (exit 2), and the directory above the shards, or a
/// file given for a shard, is recognised.
#[test]
fn merge_reports_every_incomplete_shard_and_unreadable_directories() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.3, 0.5, 0.7]\n",
    );
    let shards = tmp.path().join("shards");
    let dirs: Vec<PathBuf> = (0..2).map(|i| shards.join(i.to_string())).collect();
    for (i, d) in dirs.iter().enumerate() {
        chipshock()
            .arg("sweep")
            .arg(&p)
            .arg("--out")
            .arg(d)
            .args(["-q", "--shard", &format!("{i}/2")])
            .assert()
            .code(0);
    }
    let merge = |args: &[&Path]| {
        chipshock()
            .arg("merge")
            .args(args)
            .arg("--out")
            .arg(tmp.path().join("m"))
            .assert()
    };
    merge(&[&shards])
        .code(2)
        .stderr(predicate::str::contains(format!(
            "it holds shard directories (0, 1): merge {}/*",
            shards.display()
        )));
    merge(&[&tmp.path().join("nowhere")])
        .code(2)
        .stderr(predicate::str::contains("nowhere does not exist"));
    // A file is named as one, whatever error reading below it gives.
    let file = tmp.path().join("afile");
    std::fs::write(&file, "not a shard").expect("write");
    merge(&[&file])
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{} is a file, not a shard directory",
            file.display()
        )));
    std::fs::remove_file(dirs[0].join("points/p000002.json")).expect("remove");
    std::fs::remove_file(dirs[1].join("points/p000001.json")).expect("remove");
    merge(&[&dirs[0], &dirs[1]]).code(1).stderr(
        predicate::str::contains("2 shards are incomplete")
            .and(predicate::str::contains("shard 0/2"))
            .and(predicate::str::contains("point 2 is missing"))
            .and(predicate::str::contains("shard 1/2"))
            .and(predicate::str::contains("point 1 is missing")),
    );
}

/// A point file `merge` cannot read is not sent to `--resume`, which
/// would not read it either: the hint fits the error (no permission: its
/// permissions and owner). A missing point beside it still is.
#[test]
fn merge_hints_what_fits_a_point_it_cannot_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dirs: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        sweep_to(d, &["--shard", &format!("{i}/2")]);
    }
    let merge = || {
        let a = chipshock()
            .arg("merge")
            .args(&dirs)
            .arg("--out")
            .arg(tmp.path().join("m"))
            .assert()
            .code(1);
        String::from_utf8(a.get_output().stderr.clone()).expect("utf8")
    };
    // A directory where a point file should be: unreadable to anyone.
    let point = dirs[0].join("points/p000002.json");
    let saved = std::fs::read(&point).expect("read");
    std::fs::remove_file(&point).expect("remove");
    std::fs::create_dir(&point).expect("mkdir");
    let err = merge();
    must_contain(&err, "point 2 is unreadable (");
    must_contain(&err, "check the file (--resume would not read it either)");
    assert!(!err.contains("finish it with --resume"), "{err}");
    // With a point missing in the other shard, --resume is the fix for it.
    std::fs::remove_file(dirs[1].join("points/p000003.json")).expect("remove");
    let err = merge();
    must_contain(&err, "finish with --resume each shard with points missing");
    sweep_to(&dirs[1], &["--shard", "1/2", "--resume"]);
    std::fs::remove_dir(&point).expect("rmdir");
    std::fs::write(&point, &saved).expect("write");

    // No permission to read it (unless the tests run as root, who reads
    // anything).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&point, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read(&point).is_err() {
            let err = merge();
            must_contain(&err, "Permission denied");
            must_contain(&err, "check its permissions and owner");
            assert!(!err.contains("--resume"), "{err}");
        }
        std::fs::set_permissions(&point, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

/// A file in `points/` that is no point of the sweep (or of its shard) is
/// refused on resume rather than kept silently: it would go into a merge.
#[test]
fn a_stray_point_file_is_refused_on_resume() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("s");
    sweep_to(&out, &["--shard", "0/2"]);
    // Point 1 belongs to the other shard; point 99 to no point at all.
    for stray in ["p000001.json", "p000099.json", "notes.txt"] {
        let path = out.join("points").join(stray);
        std::fs::write(&path, "{}").expect("write");
        chipshock()
            .arg("sweep")
            .arg(sweep_file())
            .arg("--out")
            .arg(&out)
            .args(["-q", "--threads", "2", "--shard", "0/2", "--resume"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{stray} is not a file of this sweep's shard 0/2"
            )));
        std::fs::remove_file(&path).expect("remove");
    }
    sweep_to(&out, &["--shard", "0/2", "--resume"]);
}

/// A sweep directory whose manifest is damaged (cut short) or gone is
/// refused as one that does not fit the command line (exit 2); with
/// `--resume`, when every file in its `points/` is an intact point of this
/// very sweep, the manifest is rebuilt from the sweep file and the points
/// kept, to the bytes of an uninterrupted run. Points of another sweep, or
/// a damaged point, are refused, saying what to do.
#[test]
fn a_damaged_or_lost_manifest_is_rebuilt_from_points_of_this_sweep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    sweep_to(&whole, &[]);
    let expected = tree(&whole);
    let dir = tmp.path().join("d");
    let manifest = dir.join("sweep.json");
    let run = |sweep: &Path, extra: &[&str]| {
        chipshock()
            .arg("sweep")
            .arg(sweep)
            .arg("--out")
            .arg(&dir)
            .args(["-q", "--threads", "2"])
            .args(extra)
            .assert()
    };
    let stderr = |a: assert_cmd::assert::Assert| {
        String::from_utf8(a.get_output().stderr.clone()).expect("utf8")
    };
    sweep_to(&dir, &[]);
    // Cut short, as by a full disk.
    let text = common::read(&manifest);
    std::fs::write(&manifest, &text[..text.len() / 2]).expect("write");
    let err = stderr(run(&sweep_file(), &[]).code(2));
    must_contain(&err, "is not a sweep manifest");
    must_contain(
        &err,
        "it holds 8 points of this sweep, finished: add --resume to keep them",
    );
    let err = stderr(run(&sweep_file(), &["--resume"]).code(0));
    must_contain(
        &err,
        "sweep.json was damaged; rebuilt it from the sweep file, keeping 8",
    );
    assert_eq!(
        tree(&dir),
        expected,
        "rebuilt == uninterrupted, byte for byte"
    );

    // Gone, with a point still to compute.
    std::fs::remove_file(&manifest).expect("remove");
    std::fs::remove_file(dir.join("points/p000005.json")).expect("remove");
    must_contain(
        &stderr(run(&sweep_file(), &["--trial-rows", "--resume"]).code(2)),
        "were computed without --trial-rows, and this run is with",
    );
    let err = stderr(run(&sweep_file(), &["--resume"]).code(0));
    must_contain(
        &err,
        "sweep.json was missing; rebuilt it from the sweep file, keeping 7",
    );
    assert_eq!(tree(&dir), expected);

    // Points of another sweep (another seed) are never taken.
    std::fs::remove_file(&manifest).expect("remove");
    let other = tmp.path().join("other.toml");
    std::fs::write(
        &other,
        common::read(&sweep_file())
            .replace("seed = 7", "seed = 8")
            .replace(
                "\"base.toml\"",
                &format!("{:?}", common::fixture("base.toml")),
            ),
    )
    .expect("write");
    let err = stderr(run(&other, &["--resume"]).code(2));
    must_contain(&err, "p000000.json is a point of another sweep");
    assert!(!manifest.exists(), "nothing written");
    // Nor is a damaged point taken for this sweep's.
    let point = dir.join("points/p000003.json");
    let text = common::read(&point);
    std::fs::write(&point, &text[..text.len() / 2]).expect("write");
    let err = stderr(run(&sweep_file(), &["--resume"]).code(2));
    must_contain(&err, "point 3 is damaged");
    must_contain(
        &err,
        "p000003.json away (its point is computed again) and resume again",
    );
    // A damaged manifest with no points is not rebuilt either: nothing to
    // keep, and nothing to say it is this sweep's.
    std::fs::remove_dir_all(dir.join("points")).expect("remove");
    std::fs::create_dir(dir.join("points")).expect("mkdir");
    std::fs::write(&manifest, "").expect("write");
    let err = stderr(run(&sweep_file(), &["--resume"]).code(2));
    must_contain(
        &err,
        "holds no intact point of this sweep to keep, so there is nothing to resume: remove",
    );
}

/// The manifest carries the scenario's attribution (the notice its data's
/// licence asks to travel with results), shards and merge alike; a
/// scenario that declares none has none.
#[test]
fn the_manifest_carries_the_attribution() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let notice = "Contains data from a test source, CC BY 4.0";
    let scenario = tmp.path().join("attributed.toml");
    std::fs::write(
        &scenario,
        format!(
            "include = [{:?}]\n[meta]\noverride = true\nattribution = {notice:?}\n",
            common::fixture("base.toml")
        ),
    )
    .expect("write");
    let sweep = tmp.path().join("s.toml");
    std::fs::write(
        &sweep,
        format!(
            "[sweep]\nscenario = {scenario:?}\nvariants = [\"baseline\"]\ntrials = 10\n\
             [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.2]\n"
        ),
    )
    .expect("write");
    let mut shards = Vec::new();
    for i in 0..2 {
        let d = tmp.path().join(format!("shard{i}"));
        chipshock()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&d)
            .args(["-q", "--shard", &format!("{i}/2")])
            .assert()
            .code(0);
        shards.push(d);
    }
    let merged = tmp.path().join("merged");
    chipshock()
        .args(["merge", "-q"])
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .code(0);
    for d in shards.iter().chain([&merged]) {
        let manifest = common::read(&d.join("sweep.json"));
        assert!(
            manifest.contains(&format!("\"attribution\": {notice:?}")),
            "{manifest}"
        );
    }
    // A shard written before manifests recorded the attribution merges
    // with one that records it, and the merge carries it.
    let old = shards[1].join("sweep.json");
    let without: String = common::read(&old)
        .lines()
        .filter(|l| !l.contains("\"attribution\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&old, without).expect("write");
    let merged_old = tmp.path().join("merged_old");
    chipshock()
        .args(["merge", "-q"])
        .args(&shards)
        .arg("--out")
        .arg(&merged_old)
        .assert()
        .code(0);
    assert!(common::read(&merged_old.join("sweep.json")).contains(notice));
    let (plain, _) = sweep_with(
        tmp.path(),
        "[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
    );
    let out = tmp.path().join("plain");
    chipshock()
        .arg("sweep")
        .arg(&plain)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .assert()
        .code(0);
    assert!(!common::read(&out.join("sweep.json")).contains("attribution"));
}

/// A key set twice in a sweep file is named, with the line of its first
/// setting, as in scenario files (the TOML parser says only "duplicate
/// key").
#[test]
fn a_key_set_twice_in_a_sweep_file_is_named() {
    check_hinted(
        "seed = 3\nseed = 4\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
        "duplicate key `seed` in [sweep] (first set on line 5)",
        "remove one of them",
        "seed = 4",
    );
}

/// A TOML slip in a sweep file gets the hint it gets in a scenario file.
#[test]
fn a_syntax_slip_in_a_sweep_file_is_hinted() {
    check_hinted(
        "seed: 3\n[[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1]\n",
        "invalid unquoted key",
        "a key takes its value with `=`, not `:`: write `seed = ...`",
        "seed: 3",
    );
}
