//! What `sweep` and `merge` tell the user about their directories: the
//! resume hint names `--trial-rows` when the shard needs it; a sweep file
//! edited since a directory was started is said to have changed (not to be
//! another sweep); `merge --out` is never a non-empty directory of other
//! files, a directory holding the shards, or a previous merge with stale
//! point files; an `--out` that is a file is named as such.

mod common;

use common::{chipshock, tree};

use std::path::{Path, PathBuf};

use predicates::prelude::*;

/// The body of a small, fast sweep (4 points, 10 trials) of `scenario`.
fn body(scenario: &Path) -> String {
    format!(
        "[sweep]\nscenario = {scenario:?}\nvariants = [\"baseline\"]\ntrials = 10\n\
         [[axis]]\npath = \"shock.blockade.probability\"\nvalues = [0.1, 0.3, 0.5, 0.7]\n"
    )
}

/// Writes the small sweep of the fixtures' base scenario as `s.toml` in
/// `dir`.
fn small_sweep(dir: &Path) -> PathBuf {
    let p = dir.join("s.toml");
    std::fs::write(&p, body(&common::fixture("base.toml"))).expect("write");
    p
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    chipshock()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .assert()
}

fn merge(shards: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    chipshock()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .assert()
}

/// Shards `0/2` and `1/2` of `file`, in `dir/<prefix>0` and `dir/<prefix>1`.
fn two_shards(file: &Path, dir: &Path, prefix: &str, extra: &[&str]) -> [PathBuf; 2] {
    [0, 1].map(|i| {
        let d = dir.join(format!("{prefix}{i}"));
        let shard = format!("{i}/2");
        let mut args = vec!["--shard", shard.as_str()];
        args.extend_from_slice(extra);
        sweep(file, &d, &args).code(0);
        d
    })
}

/// The stderr of a finished command, as text.
fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// An incomplete `--trial-rows` shard is to be finished with `--resume
/// --trial-rows` (resuming it with `--resume` alone is refused), and doing
/// what the hint says lets the merge go through. Without trial rows the
/// hint stays `--resume`.
#[test]
fn the_resume_hint_names_trial_rows_when_the_shard_has_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let [a, b] = two_shards(&file, tmp.path(), "rows", &["--trial-rows"]);
    let out = tmp.path().join("m");
    std::fs::remove_file(b.join("points/p000003.trials.csv")).expect("remove");
    let refused = merge(&[&a, &b], &out).code(1);
    let err = stderr(&refused);
    assert!(
        err.contains("point 3's trial rows are missing")
            && err.contains("; finish it with --resume --trial-rows\n"),
        "{err}"
    );
    // The advice works, and the advice without --trial-rows does not.
    sweep(&file, &b, &["--shard", "1/2", "--resume"])
        .code(1)
        .stderr(predicate::str::contains("was started with --trial-rows"));
    sweep(&file, &b, &["--shard", "1/2", "--resume", "--trial-rows"]).code(0);
    merge(&[&a, &b], &out).code(0);
    assert!(out.join("points/p000003.trials.csv").is_file());

    // Two incomplete shards: "finish each".
    std::fs::remove_file(a.join("points/p000000.trials.csv")).expect("remove");
    std::fs::remove_file(b.join("points/p000001.json")).expect("remove");
    merge(&[&a, &b], &tmp.path().join("m2"))
        .code(1)
        .stderr(predicate::str::contains(
            "2 shards are incomplete; finish each with --resume --trial-rows:\n",
        ));

    // Without trial rows, the hint is --resume alone.
    let [c, d] = two_shards(&file, tmp.path(), "plain", &[]);
    std::fs::remove_file(d.join("points/p000001.json")).expect("remove");
    let refused = merge(&[&c, &d], &tmp.path().join("m3")).code(1);
    let err = stderr(&refused);
    assert!(err.contains("; finish it with --resume\n"), "{err}");
    assert!(!err.contains("--trial-rows"), "{err}");
}

/// SWEEPS.md says a directory must be resumed with the `--trial-rows`
/// setting it was started with (resuming without it is refused), not that
/// `--resume` carries the setting over.
#[test]
fn the_guide_says_to_resume_with_the_same_trial_rows_setting() {
    let guide = common::read(&common::repo().join("docs/SWEEPS.md"));
    let flat = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        !flat.contains("(with the `--trial-rows` setting the directory was started with)"),
        "SWEEPS.md still says --resume carries the --trial-rows setting over"
    );
    assert!(
        flat.contains("with the same `--trial-rows` setting"),
        "SWEEPS.md says to resume with the same --trial-rows setting"
    );
}

/// A sweep file changed since its directory was started (a comment will
/// do) is said to have changed, not to be another sweep; so is its
/// scenario. A sweep file of another name is another sweep.
#[test]
fn resuming_after_the_sweep_file_changed_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scenario = tmp.path().join("world.toml");
    std::fs::copy(common::fixture("base.toml"), &scenario).expect("copy");
    let file = tmp.path().join("s.toml");
    std::fs::write(&file, body(&scenario)).expect("write");
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]).code(0);
    let before = tree(&out);

    std::fs::write(&file, format!("# a comment\n{}", body(&scenario))).expect("write");
    let refused = sweep(&file, &out, &["--resume"]).code(1);
    assert_eq!(
        stderr(&refused),
        format!(
            "error: {} was started from another version of s.toml: the sweep file s.toml has \
             changed since it was started (its hash differs; any edit changes it, even a \
             comment), so its points cannot be resumed; restore the file, or run into a new \
             --out\n",
            out.display()
        )
    );
    assert_eq!(tree(&out), before, "a refused sweep writes nothing");

    // The scenario changed instead (the sweep file restored).
    std::fs::write(&file, body(&scenario)).expect("write");
    let text = common::read(&scenario);
    std::fs::write(&scenario, format!("{text}\n# a comment\n")).expect("write");
    sweep(&file, &out, &["--resume"])
        .code(1)
        .stderr(predicate::str::contains(
            "the scenario of s.toml has changed since it was started (its hash differs), so its \
             points cannot be resumed; restore the scenario, or run into a new --out",
        ));
    std::fs::write(&scenario, text).expect("restore");
    sweep(&file, &out, &["--resume"]).code(0);

    // Another sweep file (another name, another seed) is another sweep.
    let other = tmp.path().join("other.toml");
    let text = body(&scenario).replace("trials = 10\n", "trials = 10\nseed = 3\n");
    std::fs::write(&other, text).expect("write");
    sweep(&other, &out, &["--resume"])
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{} holds results of another sweep (s.toml); choose another --out",
            out.display()
        )));
}

/// `merge --out` refuses a non-empty directory of other files, a
/// directory holding the shards, a shard of the same sweep and another
/// sweep's directory, each untouched; it accepts an empty directory and
/// its own previous merge, but not one with point files it would not
/// write, which it names and keeps.
#[test]
fn merge_out_is_new_empty_or_a_previous_merge_without_stale_points() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let shards = tmp.path().join("shards");
    std::fs::create_dir_all(&shards).expect("mkdir");
    let [a, b] = two_shards(&file, &shards, "", &[]);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).code(0);

    // A directory of other files.
    let notes = tmp.path().join("notes");
    std::fs::create_dir_all(&notes).expect("mkdir");
    std::fs::write(notes.join("todo.txt"), "keep me").expect("write");
    merge(&[&a, &b], &notes)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "--out {} exists, is not empty, and holds no sweep",
            notes.display()
        )));
    assert_eq!(
        tree(&notes),
        vec![("todo.txt".to_string(), b"keep me".to_vec())]
    );

    // The directory holding the shards (`merge shards/*` would pick the
    // merge up next time).
    let before = tree(&shards);
    merge(&[&a, &b], &shards)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "--out {} holds the shard directory {}",
            shards.display(),
            a.display()
        )));
    assert_eq!(tree(&shards), before, "the shards are untouched");

    // A shard of the same sweep, split otherwise.
    let third = tmp.path().join("third");
    sweep(&file, &third, &["--shard", "0/3"]).code(0);
    let before = tree(&third);
    merge(&[&a, &b], &third)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "--out {} holds shard 0/3 of this sweep",
            third.display()
        )));
    assert_eq!(tree(&third), before);

    // Another sweep's directory.
    let other_file = tmp.path().join("other.toml");
    std::fs::write(
        &other_file,
        common::read(&file).replace("trials = 10\n", "trials = 10\nseed = 3\n"),
    )
    .expect("write");
    let other = tmp.path().join("other");
    sweep(&other_file, &other, &[]).code(0);
    merge(&[&a, &b], &other)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{} holds results of another sweep (other.toml); choose another --out",
            other.display()
        )));

    // An empty directory, then the same merge again over it: the bytes of
    // the sweep run whole.
    let out = tmp.path().join("merged");
    std::fs::create_dir_all(&out).expect("mkdir");
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));

    // A point file the merge would not write survives nowhere silently:
    // the merge is refused, naming it, and it is kept.
    let stale = out.join("points/p000099.json");
    std::fs::copy(out.join("points/p000000.json"), &stale).expect("copy");
    merge(&[&a, &b], &out)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "--out {} holds an earlier result of this sweep, and 1 file in {} that this merge \
             would not write (p000099.json)",
            out.display(),
            out.join("points").display()
        )));
    assert!(stale.is_file(), "nothing is deleted");
    std::fs::remove_file(&stale).expect("remove");

    // Trial rows of an earlier merge with them, over which a merge without
    // them is asked for.
    let rows = tmp.path().join("rows");
    std::fs::create_dir_all(&rows).expect("mkdir");
    let [c, d] = two_shards(&file, &rows, "", &["--trial-rows"]);
    merge(&[&c, &d], &out).code(0);
    assert!(out.join("points/p000002.trials.csv").is_file());
    merge(&[&a, &b], &out)
        .code(1)
        .stderr(
            predicate::str::contains("4 files in").and(predicate::str::contains(
                "(p000000.trials.csv, p000001.trials.csv, p000002.trials.csv, …)",
            )),
        );
    assert!(out.join("sweep.json").is_file());
    assert!(
        common::read(&out.join("sweep.json")).contains("\"trial_rows\": true"),
        "the refused merge wrote nothing"
    );
}

/// An `--out` that is a file is named as one, by `sweep` and by `merge`,
/// and left as it was; so is a file on the way to it.
#[test]
fn an_out_that_is_a_file_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let afile = tmp.path().join("afile");
    std::fs::write(&afile, "mine").expect("write");

    sweep(&file, &afile, &[]).code(2).stderr(format!(
        "error: {} is a file, not a directory; choose another --out\n",
        afile.display()
    ));
    sweep(&file, &afile.join("sub"), &[])
        .code(2)
        .stderr(format!(
            "error: {} cannot be created: {} is a file, not a directory; choose another --out\n",
            afile.join("sub").display(),
            afile.display()
        ));

    let [a, b] = two_shards(&file, tmp.path(), "s", &[]);
    merge(&[&a, &b], &afile).code(2).stderr(format!(
        "error: {} is a file, not a directory; choose another --out\n",
        afile.display()
    ));
    merge(&[&a, &b], &afile.join("sub"))
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{} is a file, not a directory",
            afile.display()
        )));
    assert_eq!(std::fs::read(&afile).expect("read"), b"mine");
}
