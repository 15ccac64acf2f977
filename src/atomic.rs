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
    let tmp = temp_path(path);
    let result = (|| {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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
/// below it), returning how many. Only for a directory no other process is
/// writing to: a live writer's temporary file would be taken from under
/// it. A missing `dir` has none.
pub fn remove_temp_files(dir: &Path) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if is_temp_name(&name.to_string_lossy()) && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
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

/// Makes sure `dir` can be created and a file created in it, so that a
/// long run given a bad `--out` (a file, a read-only place) fails before
/// its trials rather than after them. The directories the check creates
/// are removed again (the writers create them with the files), so a run
/// stopped before it writes leaves nothing behind.
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    if dir.is_file() {
        return Err(io::Error::other("it is a file, not a directory"));
    }
    // The missing directories, deepest first.
    let created: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    fs::create_dir_all(dir)?;
    let probe = temp_path(&dir.join("write-test"));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| fs::remove_file(&probe));
    for d in created {
        // (Empty unless something else wrote there meanwhile, which stays.)
        let _ = fs::remove_dir(d);
    }
    written
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

    /// The check of an output directory creates it only for the check:
    /// what did not exist before does not after; what did, stays.
    #[test]
    fn preparing_a_directory_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        prepare_dir(&deep).unwrap();
        assert!(!dir.path().join("a").exists());
        fs::create_dir(dir.path().join("kept")).unwrap();
        prepare_dir(&dir.path().join("kept")).unwrap();
        prepare_dir(&dir.path().join("kept/new")).unwrap();
        assert_eq!(entries(dir.path()), vec!["kept"]);
        assert!(entries(&dir.path().join("kept")).is_empty());
        fs::write(dir.path().join("file"), "x").unwrap();
        assert!(prepare_dir(&dir.path().join("file")).is_err());
        assert!(prepare_dir(&dir.path().join("file/below")).is_err());
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
