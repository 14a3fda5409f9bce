//! Atomic file replacement: temp file in the same directory, write, fsync, rename, fsync dir.
//!
//! Temp files are named `.<file name>.<16 hex digits>.tmp`. A process killed mid-write
//! leaves at most one of them per file it was writing; [`DataDir::open`](super::DataDir::open)
//! removes them once it holds the data dir's lock (no other writer can be running then).

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

const TMP_SUFFIX: &str = ".tmp";
const TMP_RANDOM_HEX: usize = 16;

/// Replaces `path` with `bytes` so that after a crash the file holds either its old or its
/// new contents, never a mix.
///
/// Writes a temp file in the same directory (mode 0600 on unix), fsyncs it, renames it over
/// `path` and fsyncs the directory. The temp file is removed if any step before the rename
/// fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = dir.join(temp_name(name)?);
    let written = (|| {
        let mut file = create_new_private(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

fn temp_name(name: &OsStr) -> io::Result<OsString> {
    let mut random = [0u8; TMP_RANDOM_HEX / 2];
    getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
    let mut out = OsString::from(".");
    out.push(name);
    out.push(".");
    for b in random {
        out.push(format!("{b:02x}"));
    }
    out.push(TMP_SUFFIX);
    Ok(out)
}

/// True if `name` has the shape of a temp file made by [`write_atomic`].
pub(crate) fn is_temp_name(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let Some(stem) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TMP_SUFFIX))
    else {
        return false;
    };
    match stem.rsplit_once('.') {
        Some((target, random)) => {
            !target.is_empty()
                && random.len() == TMP_RANDOM_HEX
                && random.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Removes the temp files left in `dir` by interrupted [`write_atomic`] calls. Only safe while
/// no other writer can be active in `dir` (the caller holds its lock). Returns how many were
/// removed.
pub(crate) fn remove_stale_temps(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() && is_temp_name(&entry.file_name()) {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Creates a new file readable and writable by the owner only (on unix).
pub(crate) fn create_new_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Fsyncs a directory so that a rename in it is durable. A no-op where directories cannot
/// be opened as files (Windows).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether `fd` is the file at `path` now: not removed, not replaced since it was opened.
pub(crate) fn is_file_at(fd: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (Ok(open), Ok(there)) = (fd.metadata(), fs::metadata(path)) else {
            return false;
        };
        open.nlink() > 0 && (open.dev(), open.ino()) == (there.dev(), there.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = fd;
        path.exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("f")]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"x").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn temp_removed_on_error() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails after the temp file is written.
        let target = dir.path().join("d");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inner"), b"x").unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("d")]);
    }

    #[test]
    fn temp_names_are_recognised() {
        let name = temp_name(OsStr::new("seed.age")).unwrap();
        assert!(is_temp_name(&name), "{name:?}");
        for other in [
            "seed.age",
            ".seed.age",
            ".seed.age.tmp",
            ".0123456789abcdef.tmp",
            ".seed.age.0123456789abcdeg.tmp",
            "seed.age.0123456789abcdef.tmp",
        ] {
            assert!(!is_temp_name(OsStr::new(other)), "{other}");
        }
    }

    #[test]
    fn stale_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".seed.age.0123456789abcdef.tmp"), b"x").unwrap();
        fs::write(dir.path().join("keep.tmp"), b"x").unwrap();
        assert_eq!(remove_stale_temps(dir.path()).unwrap(), 1);
        assert!(dir.path().join("keep.tmp").exists());
    }
}
