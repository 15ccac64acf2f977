//! Atomic file writes: a reader sees the old file or the whole new one,
//! never a half-written one, even if the run is killed mid-write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writes within a process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` by filling a temporary file beside it (same directory, so
/// the rename cannot cross file systems), syncing it to disk, and renaming
/// it over `path`. On any error the temporary file is removed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> io::Result<()> {
    stage(path, fill)?.commit()
}

/// A file written in full, and synced, beside the `path` it will replace:
/// [`commit`](Self::commit) renames it into place; dropped uncommitted, it
/// is removed.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

/// Writes what `path` will hold into a temporary file beside it (same
/// directory, so the rename cannot cross file systems) and syncs it to
/// disk, leaving `path` as it is. On any error the temporary file is
/// removed.
pub fn stage(
    path: &Path,
    fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> io::Result<Staged> {
    let staged = Staged {
        tmp: temp_path(path),
        path: path.to_path_buf(),
        committed: false,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged.tmp)?;
    let mut w = BufWriter::new(file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(staged)
}

impl Staged {
    /// Where the file goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        sync_dir(&self.path);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Puts a set of files in place, the last of them (its *marker*) last, so
/// that a directory never holds the marker beside files of two different
/// sets: the marker of an earlier set is removed first, then `stale` (the
/// earlier set's files this one does not replace), then the files are
/// renamed into place. Killed midway, the directory has no marker, which
/// says its set is incomplete. Every file must already be staged, so the
/// only steps left to fail are removals and renames. An error names the
/// file it was about.
pub fn commit_set(files: Vec<Staged>, stale: &[PathBuf]) -> io::Result<()> {
    let naming = |what: &str, path: &Path| {
        let path = path.display().to_string();
        let what = what.to_string();
        move |e: io::Error| io::Error::new(e.kind(), format!("{what} {path}: {e}"))
    };
    if let Some(marker) = files.last() {
        remove_if_present(marker.path()).map_err(naming("removing", marker.path()))?;
    }
    for path in stale {
        remove_if_present(path).map_err(naming("removing", path))?;
    }
    for f in files {
        let on_error = naming("putting in place", f.path());
        f.commit().map_err(on_error)?;
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    path.with_file_name(unique)
}

/// Whether `name` is that of a temporary file of [`write_atomic`]
/// (`.NAME.tmp-PID-N`): one left behind means its writer was killed
/// mid-write, and the file it was writing was never renamed into place.
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some((target, unique)) = rest.rsplit_once(".tmp-") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    !target.is_empty()
        && unique
            .split_once('-')
            .is_some_and(|(pid, n)| digits(pid) && digits(n))
}

/// Removes the temporary files of [`write_atomic`] directly in `dir` (not
/// below it), returning how many. Only under the directory's lock
/// ([`lock_dir`]), so that no other process is writing there: a live
/// writer's temporary file would be taken from under it. A missing `dir`
/// has none. An error names the file it was about.
pub fn remove_temp_files(dir: &Path) -> io::Result<usize> {
    remove_temp_files_of(dir, |_| true)
}

/// Whether `name` is that of a temporary file of [`write_atomic`] for the
/// file `target` (`.TARGET.tmp-PID-N`).
fn is_temp_name_of(name: &str, target: &str) -> bool {
    is_temp_name(name)
        && name
            .strip_prefix('.')
            .and_then(|rest| rest.rsplit_once(".tmp-"))
            .is_some_and(|(t, _)| t == target)
}

/// Removes the temporary files left in `dir` by writers of the files named
/// `targets` that were killed mid-write (see [`remove_temp_files`]).
pub fn remove_temp_files_for(dir: &Path, targets: &[&str]) -> io::Result<usize> {
    remove_temp_files_of(dir, |name| targets.iter().any(|t| is_temp_name_of(name, t)))
}

fn remove_temp_files_of(dir: &Path, wanted: impl Fn(&str) -> bool) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_temp_name(&name) && wanted(&name) && entry.file_type()?.is_file() {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| {
                io::Error::new(e.kind(), format!("removing {}: {e}", path.display()))
            })?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Makes the rename itself durable. Best effort: not every platform lets
/// a directory be opened and synced, and the data is already safe.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// An exclusive lock on an output directory, held by a command for as
/// long as it writes there (see [`lock_dir`]). Dropping it releases it; so
/// does the system when the process ends, however it ends, so a killed
/// command leaves no lock behind to clean up.
#[derive(Debug)]
pub struct DirLock {
    /// The directory opened as a file, holding the lock; `None` where the
    /// directory could not be locked (see [`lock_dir`]).
    _dir: Option<File>,
}

/// Locks `dir` (which exists) for writing, or says that another process
/// holds it. Every command that writes into an `--out` directory (`run`,
/// `compare`, `sweep`, `merge`) holds it while it writes, and removes
/// temporary files it finds there only under it: without the lock, two
/// processes given one `--out` each took the other's live temporary files
/// for a killed run's leftovers. The lock is the directory's own (`flock`
/// on Unix), so no lock file appears among the outputs. Where a directory
/// cannot be opened as a file (Windows) or the file system does not lock,
/// the directory is used unlocked: the lock guards against a mistake (two
/// jobs given one `--out`), and refusing to run without it would stop
/// commands that have no such mistake.
pub fn lock_dir(dir: &Path) -> Result<DirLock, String> {
    let Ok(file) = File::open(dir) else {
        return Ok(DirLock { _dir: None });
    };
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _dir: Some(file) }),
        Err(fs::TryLockError::WouldBlock) => Err(format!(
            "another chipshock process is writing to {}; wait for it or choose another --out",
            dir.display()
        )),
        Err(fs::TryLockError::Error(_)) => Ok(DirLock { _dir: None }),
    }
}

/// Checks that `dir` (an `--out`) is a directory or can be made one: it
/// is a directory, or it does not exist and the nearest of its ancestors
/// that exists is a directory. Otherwise says which path is a file (the
/// error `create_dir_all` would give, "File exists", names neither).
/// Anything else (no permission, say) is left to the write to report.
pub fn check_out_dir(dir: &Path) -> Result<(), String> {
    for (i, p) in dir.ancestors().enumerate() {
        if p.as_os_str().is_empty() {
            break;
        }
        match fs::metadata(p) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            Ok(_) if i == 0 => {
                return Err(format!(
                    "{} is a file, not a directory; choose another --out",
                    dir.display()
                ));
            }
            Ok(_) => {
                return Err(format!(
                    "{} cannot be created: {} is a file, not a directory; choose another --out",
                    dir.display(),
                    p.display()
                ));
            }
            Err(_) => continue,
        }
    }
    Ok(())
}

/// Why an output directory could not be claimed ([`claim_dir`]).
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another process holds the directory's lock ([`lock_dir`]), or the
    /// directory is a file or below one ([`check_out_dir`]): the message
    /// says which, and what to do.
    #[error("{0}")]
    Refused(String),
    /// The directory cannot be created, or a file cannot be created in it.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// An output directory claimed by [`claim_dir`]: it exists, this process
/// holds its lock, and a file can be created in it. Dropped before
/// [`keep`](Self::keep), it removes again the directories the claim
/// created (those still empty), so that a command stopped by an error
/// before it writes leaves nothing behind.
#[derive(Debug)]
pub struct OutputDir {
    /// The directories the claim created, deepest first.
    created: Vec<PathBuf>,
    kept: bool,
    _lock: DirLock,
}

impl OutputDir {
    /// Keeps the directories the claim created: results were written.
    pub fn keep(&mut self) {
        self.kept = true;
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.kept {
            for d in &self.created {
                // (Empty unless something was written there, which stays.)
                let _ = fs::remove_dir(d);
            }
        }
    }
}

/// Claims `dir` for a command's results before the command does its work,
/// so that a long run given a bad `--out` (a file, a read-only place, a
/// directory another chipshock process is writing) fails before its trials
/// rather than after them: creates it, locks it ([`lock_dir`]) and makes
/// sure a file can be created in it. The claim holds the lock until it is
/// dropped.
pub fn claim_dir(dir: &Path) -> Result<OutputDir, ClaimError> {
    check_out_dir(dir).map_err(ClaimError::Refused)?;
    // The missing directories, deepest first.
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    let mut claim = OutputDir {
        created: missing,
        kept: false,
        _lock: DirLock { _dir: None },
    };
    fs::create_dir_all(dir)?;
    claim._lock = lock_dir(dir).map_err(ClaimError::Refused)?;
    let probe = temp_path(&dir.join("write-test"));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| fs::remove_file(&probe))?;
    Ok(claim)
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Writes `bytes` to a file the user named (`graph -o PATH`): atomically
/// when it is (or will be) a regular file, through a symbolic link to the
/// file it points at, and straight into anything else, such as a device or
/// a FIFO (`/dev/stdout`), which renaming a temporary over it would replace
/// with a plain file.
pub fn write_named(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(target) if fs::metadata(&target).is_ok_and(|t| t.is_file()) => write(&target, bytes),
            _ => fs::write(path, bytes),
        },
        Ok(m) if !m.is_file() && !m.is_dir() => fs::write(path, bytes),
        _ => write(path, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A set put in place over an earlier one: the earlier marker goes
    /// first and the new one comes last, so a set stopped midway (here a
    /// rename that fails) leaves no marker beside the mix; the earlier
    /// set's stale files go; nothing staged is left behind.
    #[test]
    fn a_set_commits_its_marker_last() {
        let dir = tempfile::tempdir().unwrap();
        let at = |n: &str| dir.path().join(n);
        for (n, text) in [("a.csv", "old"), ("b.csv", "old"), ("summary.json", "old")] {
            fs::write(at(n), text).unwrap();
        }
        let put = |n: &str| stage(&at(n), |w| w.write_all(b"new")).unwrap();
        // Complete: every file new, the stale one gone.
        commit_set(vec![put("a.csv"), put("summary.json")], &[at("b.csv")]).unwrap();
        assert_eq!(entries(dir.path()), ["a.csv", "summary.json"]);
        assert_eq!(fs::read_to_string(at("summary.json")).unwrap(), "new");
        // Stopped midway: `c.csv` cannot be renamed over a directory.
        fs::create_dir(at("c.csv")).unwrap();
        let staged = vec![put("a.csv"), put("c.csv"), put("summary.json")];
        assert!(commit_set(staged, &[]).is_err());
        assert_eq!(entries(dir.path()), ["a.csv", "c.csv"]);
    }

    /// Temporary files of the named targets are removed, others kept.
    #[test]
    fn temp_files_of_named_targets_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        for n in [".weekly.csv.tmp-12-0", ".notes.txt.tmp-12-1", "weekly.csv"] {
            fs::write(dir.path().join(n), "x").unwrap();
        }
        assert_eq!(
            remove_temp_files_for(dir.path(), &["weekly.csv"]).unwrap(),
            1
        );
        assert_eq!(entries(dir.path()), [".notes.txt.tmp-12-1", "weekly.csv"]);
    }

    /// A named output that is a link or a FIFO is written through, not
    /// replaced by a plain file.
    #[cfg(unix)]
    #[test]
    fn a_named_output_is_written_through_links_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.dot");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.dot");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_named(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
            };
            write_named(&fifo, b"through").unwrap();
            assert_eq!(reader.join().unwrap(), "through");
            assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a FIFO");
        }

        let plain = dir.path().join("new.dot");
        write_named(&plain, b"x").unwrap();
        assert_eq!(fs::read_to_string(&plain).unwrap(), "x");
    }

    /// A claim on an output directory creates it only for as long as it is
    /// held, unless kept: what did not exist before does not after; what
    /// did, stays.
    #[test]
    fn a_claimed_directory_leaves_no_trace_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        drop(claim_dir(&deep).unwrap());
        assert!(!dir.path().join("a").exists());
        fs::create_dir(dir.path().join("kept")).unwrap();
        drop(claim_dir(&dir.path().join("kept")).unwrap());
        drop(claim_dir(&dir.path().join("kept/new")).unwrap());
        assert_eq!(entries(dir.path()), vec!["kept"]);
        assert!(entries(&dir.path().join("kept")).is_empty());
        claim_dir(&deep).unwrap().keep();
        assert!(deep.is_dir());
        fs::write(dir.path().join("file"), "x").unwrap();
        assert!(claim_dir(&dir.path().join("file")).is_err());
        assert!(claim_dir(&dir.path().join("file/below")).is_err());
    }

    /// A directory locked (or claimed) by one holder is refused to another
    /// until released.
    #[cfg(unix)]
    #[test]
    fn a_locked_directory_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_dir(dir.path()).unwrap();
        assert!(held._dir.is_some(), "locked");
        let err = lock_dir(dir.path()).unwrap_err();
        assert!(
            err.starts_with("another chipshock process is writing to"),
            "{err}"
        );
        assert!(matches!(claim_dir(dir.path()), Err(ClaimError::Refused(_))));
        drop(held);
        let claim = claim_dir(dir.path()).unwrap();
        assert!(lock_dir(dir.path()).is_err());
        drop(claim);
        assert!(lock_dir(dir.path()).is_ok());
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(entries(dir.path()), vec!["a.csv"]);
    }

    #[test]
    fn temporary_names_are_recognised_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_path(&dir.path().join("p000003.json"));
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(is_temp_name(&name), "{name}");
        assert!(is_temp_name(".points.csv.tmp-20608-550"));
        for other in [
            "p000003.json",
            ".tmp-1-2",
            ".a.tmp-1",
            ".a.tmp-1-",
            ".a.tmp-x-2",
            "a.tmp-1-2",
            ".a.tmp-1-2.bak",
        ] {
            assert!(!is_temp_name(other), "{other}");
        }
        fs::write(&tmp, "half").unwrap();
        fs::write(dir.path().join("p000003.json"), "{}").unwrap();
        fs::write(dir.path().join(".a.tmp-1-2.bak"), "mine").unwrap();
        assert_eq!(remove_temp_files(dir.path()).unwrap(), 1);
        assert_eq!(entries(dir.path()), vec![".a.tmp-1-2.bak", "p000003.json"]);
        assert_eq!(remove_temp_files(&dir.path().join("none")).unwrap(), 0);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        fs::write(&p, "old").unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk on fire"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(entries(dir.path()), vec!["a.csv"]);
    }
}
