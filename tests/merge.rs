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
        .code(2)
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
/// scenario. A sweep file of another name is another sweep, but what
/// differs from the file the directory was started from is told just the
/// same: an unedited copy resumes, an edited one is refused saying so.
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
    let refused = sweep(&file, &out, &["--resume"]).code(2);
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
        .code(2)
        .stderr(predicate::str::contains(
            "the scenario of s.toml has changed since it was started (its hash differs), so its \
             points cannot be resumed; restore the scenario, or run into a new --out",
        ));
    std::fs::write(&scenario, text).expect("restore");
    sweep(&file, &out, &["--resume"]).code(0);

    // A copy under another name is the same sweep; edited (a comment will
    // do), it is another, and the error says what differs from s.toml.
    let copy = tmp.path().join("s2.toml");
    std::fs::copy(&file, &copy).expect("copy");
    sweep(&copy, &out, &["--resume"]).code(0);
    // (The manifest now names the copy: resumed from s.toml, s.toml again.)
    sweep(&file, &out, &["--resume"]).code(0);
    std::fs::write(&copy, format!("{}#\n", body(&scenario))).expect("write");
    let before = tree(&out);
    let refused = sweep(&copy, &out, &["--resume"]).code(2);
    assert_eq!(
        stderr(&refused),
        format!(
            "error: {} holds results of another sweep (s.toml): s2.toml differs from s.toml as it \
             was when the directory was started (its hash differs; any edit changes it, even a \
             comment), so its points cannot be resumed; resume it with s.toml as it was, or \
             choose another --out\n",
            out.display()
        )
    );
    assert_eq!(tree(&out), before, "a refused sweep writes nothing");

    // Another sweep file (another name, another seed, more trials): the
    // figures the manifest records say how it differs.
    let other = tmp.path().join("other.toml");
    let text = body(&scenario).replace("trials = 10\n", "trials = 20\nseed = 3\n");
    std::fs::write(&other, text).expect("write");
    sweep(&other, &out, &["--resume"])
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{} holds results of another sweep (s.toml): other.toml differs from s.toml as it \
             was when the directory was started (`trials` was 10, is now 20; `seed` was 1, is \
             now 3), so its points cannot be resumed; resume it with s.toml as it was, or \
             choose another --out",
            out.display()
        )));

    // Its scenario changed too: both are told.
    std::fs::write(
        &scenario,
        format!("{}\n# a comment\n", common::read(&scenario)),
    )
    .expect("write");
    sweep(&other, &out, &["--resume"])
        .code(2)
        .stderr(predicate::str::contains(
            "the scenario of other.toml differs from that of s.toml when the directory was \
             started (its hash differs), and other.toml differs from s.toml as it was when the \
             directory was started (`trials` was 10, is now 20; `seed` was 1, is now 3), so its \
             points cannot be resumed; resume it with s.toml and its scenario as they were, or \
             choose another --out",
        ));
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

/// `sweep` writes only into a new or empty directory, or one holding the
/// sweep (to resume): a directory of the user's own files, which it would
/// overwrite (`points.csv`, `points/p000003.json`), is refused and left
/// as it was.
#[test]
fn sweep_refuses_a_non_empty_directory_without_a_sweep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let results = tmp.path().join("results");
    std::fs::create_dir_all(results.join("points")).expect("mkdir");
    std::fs::write(results.join("points.csv"), "mine").expect("write");
    std::fs::write(results.join("points/p000003.json"), "mine too").expect("write");
    let before = tree(&results);
    for extra in [&[][..], &["--resume"][..]] {
        sweep(&file, &results, extra)
            .code(2)
            .stderr(predicate::str::contains(format!(
                "--out {} exists, is not empty, and holds no sweep (it holds points, points.csv): \
                 sweep writes only into a new or empty directory, or resumes a sweep in it; \
                 choose another --out",
                results.display()
            )));
        assert_eq!(tree(&results), before, "nothing is overwritten");
    }

    // An empty directory is fine, and so is one where a sweep was killed
    // while writing its manifest (only its temporary file is there).
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    sweep(&file, &empty, &[]).code(0);
    let killed = tmp.path().join("killed");
    std::fs::create_dir_all(&killed).expect("mkdir");
    std::fs::write(killed.join(".sweep.json.tmp-4242-0"), "{").expect("write");
    sweep(&file, &killed, &[]).code(0);
    assert_eq!(tree(&killed), tree(&empty));

    // A directory holding the sweep needs --resume, a usage error (exit 2).
    sweep(&file, &empty, &[])
        .code(2)
        .stderr(predicate::str::contains("add --resume to continue it"));
}

/// Opens `dir` as a file and locks it, as a sweep or merge writing there
/// does.
fn hold_lock(dir: &Path) -> std::fs::File {
    let f = std::fs::File::open(dir).expect("open the directory");
    f.try_lock().expect("lock");
    f
}

/// While one process writes into a directory, `sweep` and `merge` into it
/// are refused (exit 2), and write nothing there; once it is done, they go
/// ahead.
#[test]
fn a_directory_another_process_writes_to_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let [a, b] = two_shards(&file, tmp.path(), "s", &[]);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let busy = format!(
        "error: another chipshock process is writing to {}; wait for it or choose another --out\n",
        out.display()
    );
    let lock = hold_lock(&out);
    sweep(&file, &out, &[]).code(2).stderr(busy.clone());
    sweep(&file, &out, &["--resume"])
        .code(2)
        .stderr(busy.clone());
    merge(&[&a, &b], &out).code(2).stderr(busy);
    assert!(tree(&out).is_empty(), "nothing was written");
    drop(lock);
    merge(&[&a, &b], &out).code(0);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).code(0);
    assert_eq!(tree(&out), tree(&whole));
    // A shard in progress is locked too.
    let lock = hold_lock(&b);
    sweep(&file, &b, &["--shard", "1/2", "--resume"])
        .code(2)
        .stderr(predicate::str::contains(format!(
            "another chipshock process is writing to {}",
            b.display()
        )));
    drop(lock);
    sweep(&file, &b, &["--shard", "1/2", "--resume"]).code(0);
}

/// Two processes given the same `--out`: the second is refused while the
/// first runs; the first, killed with SIGKILL, leaves no lock behind.
#[test]
fn a_second_sweep_into_a_running_sweeps_directory_is_refused() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().expect("tempdir");
    // Long enough (tens of seconds on one thread) to be running throughout.
    let slow = tmp.path().join("slow.toml");
    std::fs::write(
        &slow,
        body(&common::fixture("base.toml"))
            .replace("trials = 10", "trials = 200000")
            .replace(
                "[0.1, 0.3, 0.5, 0.7]",
                "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]",
            ),
    )
    .expect("write");
    let out = tmp.path().join("out");
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin!("chipshock"))
        .arg("sweep")
        .arg(&slow)
        .arg("--out")
        .arg(&out)
        .args(["-q", "--threads", "1"])
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while !out.join("sweep.json").exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = sweep(&slow, &out, &["--resume", "--threads", "1"]);
    let still_running = first.try_wait().expect("wait").is_none();
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    if still_running {
        second.code(2).stderr(format!(
            "error: another chipshock process is writing to {}; wait for it or choose another \
             --out\n",
            out.display()
        ));
    }
    // The kernel released the killed sweep's lock.
    let f = std::fs::File::open(&out).expect("open");
    assert!(f.try_lock().is_ok(), "no lock is left behind");
}

/// Temporary files of atomic writes that a killed sweep or merge left (in
/// the directory and in `points/`) are removed by `--resume` and by a merge
/// over the directory: the result is the uninterrupted run's, file for
/// file.
#[test]
fn temporary_files_of_a_killed_run_are_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).code(0);

    let killed = tmp.path().join("killed");
    sweep(&file, &killed, &[]).code(0);
    std::fs::remove_file(killed.join("points/p000002.json")).expect("remove");
    std::fs::remove_file(killed.join("points.csv")).expect("remove");
    let planted = [
        "points/.p000002.json.tmp-20608-550",
        "points/.p000001.json.tmp-1-0",
        ".points.csv.tmp-20608-551",
        ".sweep.json.tmp-99-3",
    ];
    for p in planted {
        std::fs::write(killed.join(p), "half a fi").expect("plant");
    }
    sweep(&file, &killed, &["--resume"]).code(0);
    assert_eq!(tree(&killed), tree(&whole));

    // A merge over its own earlier result, killed mid-write.
    let [a, b] = two_shards(&file, tmp.path(), "s", &[]);
    let merged = tmp.path().join("merged");
    merge(&[&a, &b], &merged).code(0);
    for p in planted {
        std::fs::write(merged.join(p), "half a fi").expect("plant");
    }
    merge(&[&a, &b], &merged).code(0);
    assert_eq!(tree(&merged), tree(&whole));
    // Files that only look alike are the user's, and are kept.
    std::fs::write(merged.join("notes.tmp-1-2"), "mine").expect("write");
    merge(&[&a, &b], &merged).code(0);
    assert!(merged.join("notes.tmp-1-2").is_file());
}

/// A point file with a figure changed by hand no longer matches the
/// checksum written with it: `merge` refuses it, naming it, and `--resume`
/// recomputes it.
#[test]
fn an_edited_point_file_is_refused_and_recomputed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).code(0);
    let [a, b] = two_shards(&file, tmp.path(), "edit", &[]);
    let point = b.join("points/p000001.json");
    let full = std::fs::read_to_string(&point).expect("read");
    // The first figure's first digit, changed: still a valid point file.
    let at = full.find("\"mean\": ").expect("a mean") + "\"mean\": ".len();
    let digit = full[at..]
        .find(|c: char| c.is_ascii_digit())
        .expect("digit")
        + at;
    let old = full.as_bytes()[digit];
    let new = if old == b'9' { '1' } else { (old + 1) as char };
    let edited = format!("{}{new}{}", &full[..digit], &full[digit + 1..]);
    std::fs::write(&point, &edited).expect("edit");
    let out = tmp.path().join("m");
    merge(&[&a, &b], &out)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{} no longer matches the checksum written with it",
            point.display()
        )));
    assert!(!out.exists(), "the refused merge wrote nothing");
    sweep(&file, &b, &["--shard", "1/2", "--resume"]).code(0);
    assert_eq!(
        std::fs::read_to_string(&point).expect("read"),
        full,
        "recomputed"
    );
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));
}

/// Trial rows edited by hand into other valid rows (a digit of a loss
/// changed) no longer match the digest their point file holds: `merge`
/// refuses them, naming the file, and `--resume` recomputes them.
#[test]
fn edited_trial_rows_are_refused_and_recomputed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--trial-rows"]).code(0);
    let [a, b] = two_shards(&file, tmp.path(), "rows_edit", &["--trial-rows"]);
    let rows = b.join("points/p000001.trials.csv");
    let full = std::fs::read_to_string(&rows).expect("read");
    // The last digit of the file's last row, changed: same shape, same
    // number of lines.
    let at = full.rfind(|c: char| c.is_ascii_digit()).expect("a digit");
    let old = full.as_bytes()[at];
    let new = if old == b'9' { '1' } else { (old + 1) as char };
    std::fs::write(&rows, format!("{}{new}{}", &full[..at], &full[at + 1..])).expect("edit");
    let out = tmp.path().join("m");
    merge(&[&a, &b], &out)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "point 1's trial rows are edited: {} no longer matches the digest its point file holds",
            rows.display()
        )));
    assert!(!out.exists(), "the refused merge wrote nothing");
    sweep(&file, &b, &["--shard", "1/2", "--resume", "--trial-rows"]).code(0);
    assert_eq!(
        std::fs::read_to_string(&rows).expect("read"),
        full,
        "recomputed"
    );
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));
}

/// A trial-rows file cut short (`truncate -s`) is not a finished point:
/// `--resume` recomputes it, and `merge` reports it as damaged, naming it,
/// whether it ends mid-row or at the end of a row.
#[test]
fn truncated_trial_rows_are_recomputed_and_refused_by_merge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--trial-rows"]).code(0);
    let [a, b] = two_shards(&file, tmp.path(), "rows", &["--trial-rows"]);
    let out = tmp.path().join("m");
    let cut = b.join("points/p000001.trials.csv");
    let full = std::fs::read(&cut).expect("read");
    // Mid-row, then at the end of a row.
    let at_row_end = full[..full.len() - 1]
        .iter()
        .rposition(|&c| c == b'\n')
        .expect("rows")
        + 1;
    for (len, why) in [
        (100, "is cut short (it does not end with a complete row)"),
        (
            at_row_end,
            "has 10 lines, not 11 (a header and a row per variant and trial)",
        ),
    ] {
        std::fs::write(&cut, &full[..len]).expect("truncate");
        merge(&[&a, &b], &out)
            .code(1)
            .stderr(predicate::str::contains(format!(
                "point 1's trial rows are damaged: {} {why}",
                cut.display()
            )));
        assert!(!out.exists(), "the refused merge wrote nothing");
    }
    sweep(&file, &b, &["--shard", "1/2", "--resume", "--trial-rows"]).code(0);
    assert_eq!(std::fs::read(&cut).expect("read"), full, "recomputed");
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));

    // The same in an unsharded sweep.
    let p = whole.join("points/p000002.trials.csv");
    let full = std::fs::read(&p).expect("read");
    std::fs::write(&p, &full[..full.len() / 2]).expect("truncate");
    sweep(&file, &whole, &["--resume", "--trial-rows"]).code(0);
    assert_eq!(std::fs::read(&p).expect("read"), full, "recomputed");
}

/// Shards run from byte-identical sweep files under different names are
/// one sweep (the hash is its identity): they merge, the merged manifest
/// naming the first shard's file. Manifests that differ otherwise are
/// refused, naming the field.
#[test]
fn shards_of_one_sweep_file_under_two_names_merge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let copy = tmp.path().join("s_copy.toml");
    std::fs::copy(&file, &copy).expect("copy");
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]).code(0);
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    sweep(&file, &a, &["--shard", "0/2"]).code(0);
    sweep(&copy, &b, &["--shard", "1/2"]).code(0);
    let out = tmp.path().join("m");
    merge(&[&a, &b], &out).code(0);
    assert_eq!(tree(&out), tree(&whole));

    // A manifest edited (its seed) is still refused, saying where.
    let m = b.join("sweep.json");
    let text = common::read(&m);
    std::fs::write(&m, text.replace("\"seed\": 1,", "\"seed\": 2,")).expect("write");
    merge(&[&a, &b], &tmp.path().join("m2"))
        .code(1)
        .stderr(predicate::str::contains(
            "but their manifests differ in `seed`; one of them was edited or corrupted",
        ));
}

/// A merge written among its shards and picked up as one (`merge sh/*`)
/// is named as a whole sweep, not as a shard split otherwise.
#[test]
fn a_merged_result_among_the_shards_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let sh = tmp.path().join("sh3");
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| {
            let d = sh.join(i.to_string());
            sweep(&file, &d, &["--shard", &format!("{i}/3")]).code(0);
            d
        })
        .collect();
    let dirs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    let merged = sh.join("merged");
    merge(&dirs, &merged).code(0);
    let mut all = dirs.clone();
    all.push(&merged);
    for order in [all.clone(), all.iter().rev().copied().collect()] {
        let refused = merge(&order, &tmp.path().join("m2")).code(1);
        let err = stderr(&refused);
        assert!(
            err.contains(&format!(
                "{} holds a whole sweep (a merged result or an unsharded run), not a shard: \
                 leave it out of the directories to merge",
                merged.display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "(`merge {}/*` picks up a merge written into {}: write merges outside the \
                 shards' directory)",
                sh.display(),
                sh.display()
            )),
            "{err}"
        );
        assert!(!err.contains("split into"), "{err}");
    }
}

/// A `points` that is a file, not a directory, is named before any point
/// is computed (it would fail every point's write).
#[test]
fn a_points_path_that_is_a_file_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = small_sweep(tmp.path());
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]).code(0);
    std::fs::remove_dir_all(out.join("points")).expect("remove");
    std::fs::write(out.join("points"), "mine").expect("write");
    sweep(&file, &out, &["--resume"]).code(2).stderr(format!(
        "error: {} is a file, not a directory: the point files are written there; move it \
         away, or choose another --out\n",
        out.join("points").display()
    ));
    assert_eq!(common::read(&out.join("points")), "mine");
}

/// Rewrites the manifest of `dir` as a chipshock of point format 1 wrote
/// it: no `points_format`, and a sweep hash that did not cover the format.
fn as_format_1(dir: &Path) {
    let path = dir.join("sweep.json");
    let mut m: serde_json::Value = serde_json::from_str(&common::read(&path)).expect("json");
    let obj = m.as_object_mut().expect("object");
    assert_eq!(obj.remove("points_format"), Some(2.into()));
    let hash =
        obj["sweep_hash"]
            .as_str()
            .expect("hash")
            .replacen(|c: char| c.is_ascii_hexdigit(), "0", 4);
    obj.insert("sweep_hash".into(), hash.into());
    std::fs::write(&path, serde_json::to_string_pretty(&m).expect("json")).expect("write");
}

/// With one trial a point, a mean's standard error and interval are left
/// empty in points.csv (a proportion keeps its Wilson interval). Point
/// files written when they were 0 (format 1) are never mixed with these:
/// resuming such a directory, merging such a shard with new ones, and
/// merging new shards over such a merge are refused, naming the formats.
#[test]
fn one_trial_points_and_points_of_another_format() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("one.toml");
    let text = body(&common::fixture("base.toml")).replace("trials = 10\n", "trials = 1\n");
    std::fs::write(&file, text).expect("write");
    let [a, b] = two_shards(&file, tmp.path(), "one", &[]);
    let m = tmp.path().join("m");
    merge(&[&a, &b], &m).code(0);
    let csv = common::read(&m.join("points.csv"));
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let (metric, se, lo, hi) = (
        col("metric"),
        col("std_error"),
        col("ci95_low"),
        col("ci95_high"),
    );
    let mut seen = 0;
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let empty = [se, lo, hi].map(|c| cells[c].is_empty());
        match cells[metric] {
            "lost_usd" | "lost_units" | "peak_shortfall" | "weeks_below_threshold" => {
                assert_eq!(empty, [true; 3], "{line}");
                seen += 1;
            }
            "p_any_loss" | "p_severe_loss" => assert_eq!(empty, [false; 3], "{line}"),
            _ => {}
        }
    }
    assert_eq!(seen, 4 * 4, "four metrics at four points");
    let point: serde_json::Value =
        serde_json::from_str(&common::read(&m.join("points/p000000.json"))).expect("json");
    assert!(point["variants"][0]["lost_usd"]["std_error"].is_null());

    // New shards over a merge of format 1.
    let old_merge = tmp.path().join("old_merge");
    merge(&[&a, &b], &old_merge).code(0);
    as_format_1(&old_merge);
    let before = tree(&old_merge);
    let refused = merge(&[&a, &b], &old_merge).code(1);
    assert!(
        stderr(&refused).contains(&format!(
            "--out {} holds points of format 1, and the shards are of format 2 (since format 2 \
             a standard error or interval of fewer than two trials is left empty, where format \
             1 wrote 0); choose another --out",
            old_merge.display()
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(tree(&old_merge), before, "a refused merge writes nothing");

    // A shard of format 1 with one of format 2.
    as_format_1(&a);
    let refused = merge(&[&a, &b], &tmp.path().join("m2")).code(1);
    assert!(
        stderr(&refused).contains(&format!(
            "{} holds points of format 1 and {} of format 2 (since format 2",
            a.display(),
            b.display()
        )),
        "{}",
        stderr(&refused)
    );
    // Resuming it.
    let before = tree(&a);
    let refused = sweep(&file, &a, &["--shard", "0/2", "--resume"]).code(2);
    assert!(
        stderr(&refused).contains(&format!(
            "{} holds points of format 1 and this chipshock writes format 2 (since format 2 a \
             standard error or interval of fewer than two trials is left empty, where format 1 \
             wrote 0), so they cannot be resumed together; finish it with a chipshock that \
             writes format 1, or run into a new --out",
            a.display()
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(tree(&a), before, "a refused sweep writes nothing");
}
