//! The command line: exit codes, output, and error rendering.

mod common;

use common::chipshock;

use predicates::prelude::*;

#[test]
fn validate_valid_scenario_exits_zero_with_summary() {
    chipshock()
        .args(["validate"])
        .arg(common::fixture("base.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("is valid"))
        .stdout(predicate::str::contains("facilities       4"))
        .stdout(predicate::str::contains("most utilised facilities"))
        .stdout(predicate::str::contains("structural chokepoints"));
}

#[test]
fn validate_invalid_scenario_exits_one_with_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = common::read(&common::fixture("base.toml"));
    let text = base.replace("share = 0.3", "share = 0.2");
    let p = common::write_temp(&dir, "bad.toml", &text);
    let line = text.lines().position(|l| l == "share = 0.7").expect("line") + 1;
    chipshock()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("bad.toml:{line}:9")))
        .stderr(predicate::str::contains("sum to 0.9, not 1"))
        .stderr(predicate::str::contains("hint:"))
        .stderr(predicate::str::contains("the scenario has 1 problem"));
}

#[test]
fn missing_file_exits_two() {
    chipshock()
        .args(["validate", "/nonexistent/scenario.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read scenario"));
}

#[test]
fn bad_arguments_exit_two() {
    chipshock().args(["validate", "--bogus"]).assert().code(2);
    chipshock()
        .args(["graph", "--format", "svg"])
        .assert()
        .code(2);
    chipshock().assert().code(2);
    // A negative number is read as the flag's value, and refused as one
    // (not as "unexpected argument '-1'"); threads are capped.
    for (flag, value, says) in [
        ("--trials", "-1", "-1 is not in 1..=50000000"),
        ("--trials", "2e3", "`2e3` is not a whole number"),
        ("--first-trial", "-3", "-3 is not in 0..="),
        ("--seed", "-1", "-1 is not in 0..=18446744073709551615"),
        (
            "--seed",
            "18446744073709551616",
            "is not in 0..=18446744073709551615",
        ),
        ("--horizon", "-5", "-5 is not in 1..=5200"),
        ("--threads", "2000", "2000 is not in 1..=1024"),
    ] {
        chipshock()
            .args(["run", flag, value, "-q"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn no_panic_on_binary_garbage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("garbage.toml");
    std::fs::write(&p, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    chipshock()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("garbage.toml:1:1"))
        .stderr(predicate::str::contains("the file is UTF-16 text"));
}

/// A scenario or sweep file that is not UTF-8 (a Latin-1 `é`) is an error
/// of its contents at the byte's line and column, with the line shown and
/// how to save it, not an I/O error with a byte offset.
#[test]
fn text_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut latin1 = b"[meta]\nname = \"caf".to_vec();
    latin1.extend([0xe9, b'"', b'\n']);
    let p = dir.path().join("latin1.toml");
    std::fs::write(&p, &latin1).expect("write");
    let sweep = dir.path().join("sweep.toml");
    let mut text = b"[sweep]\n# caf".to_vec();
    text.extend([0xe9, b'\n']);
    std::fs::write(&sweep, &text).expect("write");
    let mut sweep_cmd = chipshock();
    sweep_cmd
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("out"));
    let mut validate = chipshock();
    validate.arg("validate").arg(&p);
    for (mut cmd, at) in [
        (validate, "latin1.toml:2:12"),
        (sweep_cmd, "sweep.toml:2:6"),
    ] {
        cmd.assert()
            .code(1)
            .stderr(predicate::str::contains(at))
            .stderr(predicate::str::contains(
                "the file is not UTF-8 text: byte 0xE9 is not part of a character",
            ))
            .stderr(predicate::str::contains("caf\u{fffd}"))
            .stderr(predicate::str::contains("byte 0xE9 is `é`"));
    }
}

#[test]
fn graph_formats() {
    let base = common::fixture("base.toml");
    let dot = chipshock()
        .args(["graph", "--format", "dot"])
        .arg(&base)
        .assert()
        .code(0);
    let out = String::from_utf8(dot.get_output().stdout.clone()).expect("utf8");
    assert!(out.starts_with("digraph chipshock {"));
    assert!(out.contains("\"fab_a\" -> \"mkt\""));
    assert!(out.contains("\"fab_a\" -> \"TW\""), "located-in edge");

    let g = chipshock()
        .args(["graph", "--format", "graphml"])
        .arg(&base)
        .assert()
        .code(0);
    let out = String::from_utf8(g.get_output().stdout.clone()).expect("utf8");
    assert!(out.contains("<graphml"));
    assert_eq!(out.matches("<node ").count(), 2 + 4 + 1);
    assert_eq!(out.matches("<edge ").count(), 5 + 4 + 1);

    let j = chipshock()
        .args(["graph", "--format", "json"])
        .arg(&base)
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&j.get_output().stdout).expect("json");
    assert_eq!(v["nodes"].as_array().map(Vec::len), Some(7));
    assert_eq!(v["links"].as_array().map(Vec::len), Some(10));
    let fab = v["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|x| x["id"] == "fab_a"))
        .expect("fab_a node");
    assert_eq!(fab["baseline_output"], 70.0);
    assert_eq!(fab["type"], "facility");
}

/// A facility or market with a country's id is refused, by `graph` as by
/// `validate`: every export names nodes by id alone, and Graphviz and
/// NetworkX merged the two nodes into one (the country vanished, and the
/// market's located-in edge ended at the facility).
#[test]
fn graph_node_ids_are_unique_across_kinds() {
    let base = common::read(&common::fixture("base.toml"));
    let tmp = tempfile::tempdir().expect("tempdir");
    for (find, kind, id) in [
        ("id = \"fab_b\"", "facility", "US"),
        ("id = \"mkt\"", "market", "TW"),
    ] {
        let text = base.replace(find, &format!("id = \"{id}\""));
        let path = common::write_temp(&tmp, &format!("{kind}.toml"), &text);
        for format in ["dot", "graphml", "json"] {
            chipshock()
                .args(["graph", "--format", format])
                .arg(&path)
                .assert()
                .code(1)
                .stdout(predicate::str::is_empty())
                .stderr(predicate::str::contains(format!(
                    "error: `{id}` is both a country and a {kind} id"
                )));
        }
    }
    // The shipped world's ids are unique across kinds.
    let j = chipshock()
        .args(["graph", "--format", "json"])
        .assert()
        .code(0);
    let v: serde_json::Value = serde_json::from_slice(&j.get_output().stdout).expect("json");
    let nodes = v["nodes"].as_array().expect("nodes");
    let ids: std::collections::HashSet<&str> =
        nodes.iter().filter_map(|n| n["id"].as_str()).collect();
    assert_eq!(ids.len(), nodes.len());
}

/// The shipped world's data attribution travels with every graph format as
/// a graph-level attribute; a scenario without one gets none.
#[test]
fn graph_carries_the_data_attribution() {
    let graph = |format: &str, scenario: Option<std::path::PathBuf>| {
        let mut c = chipshock();
        c.args(["graph", "--format", format]);
        if let Some(p) = scenario {
            c.arg(p);
        }
        let out = c.assert().code(0);
        String::from_utf8(out.get_output().stdout.clone()).expect("utf8")
    };
    let j: serde_json::Value = serde_json::from_str(&graph("json", None)).expect("json");
    let a = j["graph"]["attribution"].as_str().expect("attribution");
    assert!(a.contains("CC BY-NC 4.0"), "{a}");
    let dot = graph("dot", None);
    assert!(dot.contains("  comment=\"data: "), "{dot:.300}");
    assert!(dot.contains("CC BY-NC 4.0"));
    let ml = graph("graphml", None);
    assert!(ml.contains("<key id=\"g_attribution\" for=\"graph\""));
    let data = ml
        .split("<data key=\"g_attribution\">")
        .nth(1)
        .expect("graph data");
    assert!(
        data.split("</data>")
            .next()
            .is_some_and(|d| d.contains("CC BY-NC 4.0"))
    );

    let base = || Some(common::fixture("base.toml"));
    let j: serde_json::Value = serde_json::from_str(&graph("json", base())).expect("json");
    assert!(j["graph"].get("attribution").is_none());
    assert!(!graph("dot", base()).contains("comment="));
    assert!(!graph("graphml", base()).contains("g_attribution"));
}

#[test]
fn graph_writes_file_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("g.dot");
    chipshock()
        .args(["graph", "--format", "dot", "-o"])
        .arg(&out)
        .arg(common::fixture("base.toml"))
        .assert()
        .code(0);
    assert!(
        std::fs::read_to_string(&out)
            .expect("written")
            .starts_with("digraph")
    );
    let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
    assert_eq!(leftovers, 1, "no temporary files left behind");
}

#[test]
fn schema_is_json_schema_of_the_language() {
    let a = chipshock().arg("schema").assert().code(0);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert!(
        v["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("json-schema.org"))
    );
    for key in [
        "facility", "market", "shock", "policy", "variant", "sourcing", "include",
    ] {
        assert!(v["properties"][key].is_object(), "schema lacks `{key}`");
    }
    let facility = &v["$defs"]["Facility"];
    assert_eq!(
        facility["additionalProperties"], false,
        "unknown keys rejected"
    );
    assert!(facility["properties"]["capacity_per_week"].is_object());
}

#[test]
fn shipped_world_validates_with_no_argument() {
    chipshock()
        .arg("validate")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "scenarios/world.toml (shipped) is valid",
        ));
}

/// A reader that stops early (`chipshock graph | head`) closes the pipe:
/// the command ends cleanly instead of panicking on the failed write. The
/// world's graph (about 2 MB) is far larger than a pipe's buffer, so the
/// write does meet the closed pipe.
#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("chipshock");
    let mut child = std::process::Command::new(bin)
        .arg("graph")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end at once.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Messages to a stderr whose reader has gone (`chipshock validate x.toml
/// 2>&1 | head -1`) are dropped instead of panicking: the exit code still
/// says how the command ended, for an invalid scenario, an unreadable file
/// and a run's closing note alike.
#[test]
fn a_closed_stderr_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = common::write_temp(&dir, "bad.toml", "[[facility]]\nid = \"x\"\n");
    let missing = dir.path().join("missing.toml");
    let cases: [(&[&std::ffi::OsStr], i32); 3] = [
        (&["validate".as_ref(), bad.as_os_str()], 1),
        (&["validate".as_ref(), missing.as_os_str()], 2),
        (&["run".as_ref(), "--trials".as_ref(), "20".as_ref()], 0),
    ];
    for (args, code) in cases {
        let (reader, writer) = std::io::pipe().expect("pipe");
        // Close the reading end before the command writes anything.
        drop(reader);
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("chipshock"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .expect("run");
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

/// `run` and `compare` refuse a scenario with nothing to simulate (an empty
/// or comment-only file) instead of reporting zero losses for it.
#[test]
fn a_scenario_without_markets_is_not_simulated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = common::write_temp(&dir, "empty.toml", "# only a comment\n");
    for cmd in ["run", "compare"] {
        chipshock()
            .arg(cmd)
            .arg(&p)
            .args(["--trials", "5", "--quiet", "--out"])
            .arg(dir.path().join("out"))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("empty.toml:1:1"))
            .stderr(predicate::str::contains("the scenario has no [[market]]"));
    }
    // `validate` accepts it as a fragment, and says what it cannot do.
    chipshock()
        .arg("validate")
        .arg(&p)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("is valid"))
        .stdout(predicate::str::contains("note: no [[market]]"))
        .stdout(predicate::str::contains(
            "market demand at baseline: $0.00 per week",
        ));
}

/// A first trial so close to the top of the trial numbers that the run
/// would wrap around (and silently run fewer trials) is a usage error.
#[test]
fn a_first_trial_beyond_the_range_is_a_usage_error() {
    for cmd in ["run", "compare"] {
        chipshock()
            .arg(cmd)
            .args(["--first-trial", "18446744073709551615", "--trials", "5"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--first-trial"));
    }
}

/// Arrays or inline tables nested thousands deep (a small file) are the
/// parser's "max recursion depth" error at the bracket past the limit, in
/// every command that reads a scenario or a sweep file, not a stack
/// overflow. Checked in a child process: an overflow aborts it.
#[test]
fn nesting_thousands_deep_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, open) in [("arrays.toml", "["), ("tables.toml", "{a = ")] {
        let text = format!("x = {}\n", open.repeat(12_000));
        let p = common::write_temp(&dir, name, &text);
        // The 81st opening is refused: `x = ` and 80 before it.
        let col = 5 + 80 * open.len();
        let out = dir.path().join("out");
        for args in [
            vec!["validate".as_ref()],
            vec!["graph".as_ref()],
            vec![
                "run".as_ref(),
                "--trials".as_ref(),
                "5".as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
        ] {
            chipshock()
                .args(&args)
                .arg(&p)
                .assert()
                .code(1)
                .stderr(predicate::str::contains(format!("{name}:1:{col}")))
                .stderr(predicate::str::contains("max recursion depth"));
        }
    }
    let sweep = common::write_temp(
        &dir,
        "sweep.toml",
        &format!(
            "[sweep]\nscenario = \"base.toml\"\nx = {}\n",
            "[".repeat(12_000)
        ),
    );
    chipshock()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(dir.path().join("sweep_out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("sweep.toml:3:85"))
        .stderr(predicate::str::contains("max recursion depth"));
}

/// An error on a line of megabytes (a one-line array, a file with old Mac
/// line endings) shows the part of the line around it, not the whole line.
#[test]
fn an_error_on_a_huge_line_shows_the_part_around_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!("x = [{}\"a\" 1]\n", "1, ".repeat(1_000_000));
    let p = common::write_temp(&dir, "huge.toml", &text);
    // The element after "a", which wants a comma before it.
    let column = text.find(" 1]").expect("end") + 2;
    let out = chipshock().arg("validate").arg(&p).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
    assert!(
        stderr.contains(&format!("huge.toml:1:{column}")),
        "{stderr}"
    );
    assert!(stderr.contains("1 │ …, 1, 1,"), "{stderr}");
    assert!(stderr.contains(", 1, \"a\" 1]\n"), "{stderr}");
}
