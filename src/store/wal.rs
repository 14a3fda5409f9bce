//! The write-ahead log of a records database (ADR 0013): `records.sqlite-wal` holds every
//! commit since the last checkpoint, so it belongs to the database.
//!
//! - Before SQLite opens a database, a header that says it has a log (its read version,
//!   offset 19, is 2, which is what SQLite goes by) with no log beside it is refused
//!   ([`StoreError::LogMissing`]): SQLite would make a new, empty log and show the older
//!   checkpoint. Unless the data dir says the log was empty: `records.sqlite-clean`
//!   ([`mark_clean`]) exists only from a writer's close after a complete checkpoint until
//!   the next writer's first write, which removes it durably before anything goes to the
//!   log ([`unmark_clean`]). The log is then made again, empty.
//! - A writer makes the log (empty, 0600, its directory entry durable) before it switches
//!   the database to it, so that no crash leaves a header that says "log" without one.
//! - A writer remembers its log's inode: a log removed or replaced while it runs is seen at
//!   its next write ([`LogId::intact`]), and the commits only the removed file holds are
//!   moved into the database file before anything more is written.
//! - The files are opened by hand only while no connection of this process has the database
//!   open ([`guarded_open`]): closing any descriptor of a file drops every POSIX lock the
//!   process holds on it, SQLite's included.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::StoreError;

/// How many connections of this process have each database (canonical path) open.
static OPEN: Mutex<BTreeMap<PathBuf, usize>> = Mutex::new(BTreeMap::new());

fn open_counts() -> MutexGuard<'static, BTreeMap<PathBuf, usize>> {
    OPEN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The write-ahead log beside the database `file`.
pub(crate) fn log_path(file: &Path) -> PathBuf {
    let mut log = file.as_os_str().to_owned();
    log.push("-wal");
    PathBuf::from(log)
}

/// One connection's place among [`OPEN`]'s counts; kept beside the connection and dropped
/// after it.
#[derive(Debug)]
pub(crate) struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut open = open_counts();
        if let Some(n) = open.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.0);
            }
        }
    }
}

/// The database file as SQLite opens it (a symbolic link followed: the log is beside the
/// file it points to), the same whether or not it exists yet.
pub(crate) fn canonical(file: &Path) -> PathBuf {
    std::fs::canonicalize(file)
        .or_else(|_| match (file.parent(), file.file_name()) {
            (Some(dir), Some(name)) => std::fs::canonicalize(dir).map(|d| d.join(name)),
            _ => Ok(file.to_path_buf()),
        })
        .unwrap_or_else(|_| file.to_path_buf())
}

/// Checks the log of `file` (and, for a `writer`, makes it if there is none), then runs
/// `open` (SQLite connecting to `file`), with no other thread of the process connecting
/// to it meanwhile. When the process already has the database open, the log was checked
/// then and the files are not touched.
pub(crate) fn guarded_open<T>(
    file: &Path,
    label: &Path,
    writer: bool,
    open: impl FnOnce() -> Result<T, StoreError>,
) -> Result<(T, Registered), StoreError> {
    let mut counts = open_counts();
    if counts.get(file).copied().unwrap_or(0) == 0 && says_logged(file) && !log_path(file).exists()
    {
        if !(writer && clean_path(file).exists()) {
            return Err(StoreError::LogMissing {
                path: label.to_path_buf(),
            });
        }
        make_log(file)?;
    }
    let conn = open()?;
    *counts.entry(file.to_path_buf()).or_insert(0) += 1;
    Ok((conn, Registered(file.to_path_buf())))
}

/// Whether the header of `file` says that it has a write-ahead log (read version 2, the
/// byte SQLite goes by).
fn says_logged(file: &Path) -> bool {
    let mut header = [0u8; 20];
    File::open(file)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && header[19] == 2
}

/// Makes an empty log beside `file` if there is none, 0600, with its directory entry
/// durable; SQLite uses it from the switch on (and ignores an empty log beside a database
/// of a rollback journal). The log and its index made earlier get the same mode; either
/// must be a regular file (SQLite would follow nothing else, and would hang on a pipe).
pub(crate) fn make_log(file: &Path) -> Result<(), StoreError> {
    let log = log_path(file);
    let index = PathBuf::from(format!("{}-shm", file.display()));
    for side in [&log, &index] {
        match std::fs::symlink_metadata(side) {
            Ok(m) if !m.file_type().is_file() => {
                return Err(StoreError::corrupt(
                    side,
                    "is not a regular file (a link, a directory or a pipe put there): \
                     remove it and restore the data dir from your latest backup",
                ))
            }
            Ok(_) => protect(side)?,
            Err(_) if side == &log => write_empty(&log, file)?,
            Err(_) => {}
        }
    }
    Ok(())
}

/// Makes an empty file at `path` beside the database `file` (0600, durable, its directory
/// entry too) unless one is there: never truncates one that appeared meanwhile.
fn write_empty(path: &Path, file: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path).and_then(|f| f.sync_all()) {
        Ok(()) => sync_dir(file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::io("create", path, e)),
    }
}

/// Makes `path` 0600 (SQLite creates the database with the umask's mode).
pub(crate) fn protect(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io("protect", path, e))?;
    }
    Ok(())
}

/// The writer's log as it was when the writer connected: (device, inode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogId(u64, u64);

impl LogId {
    /// The log beside `file` now; `None` if there is none.
    pub(crate) fn of(file: &Path) -> Option<LogId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(log_path(file))
                .ok()
                .map(|m| LogId(m.dev(), m.ino()))
        }
        #[cfg(not(unix))]
        {
            log_path(file).exists().then_some(LogId(0, 0))
        }
    }

    /// Whether the log beside `file` is still this one (not removed, not replaced).
    pub(crate) fn intact(self, file: &Path) -> bool {
        LogId::of(file) == Some(self)
    }

    /// A descriptor of this log (read-only: enough to sync what SQLite wrote to it),
    /// `None` if the log beside `file` is no longer this one. SQLite locks the database
    /// and its `-shm` file, never the log, so closing this descriptor drops no lock.
    pub(crate) fn open(self, file: &Path) -> Option<File> {
        let fd = File::open(log_path(file)).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let m = fd.metadata().ok()?;
            (LogId(m.dev(), m.ino()) == self).then_some(fd)
        }
        #[cfg(not(unix))]
        Some(fd)
    }
}

/// Whether `fd` is the file at the log's path beside the database `file` (not removed,
/// not replaced since it was opened).
pub(crate) fn is_log_of(fd: &File, file: &Path) -> bool {
    super::atomic::is_file_at(fd, &log_path(file))
}

/// The mark of a clean stop beside the database `file`.
pub(crate) fn clean_path(file: &Path) -> PathBuf {
    PathBuf::from(format!("{}-clean", file.display()))
}

/// After a complete checkpoint at a writer's close: the log is empty and the database file
/// holds every commit, durably said so.
pub(crate) fn mark_clean(file: &Path) -> Result<(), StoreError> {
    let mark = clean_path(file);
    if mark.exists() {
        return Ok(());
    }
    write_empty(&mark, file)
}

/// Before a writer's first write: the log is about to hold commits the database file does
/// not, so the mark of a clean stop goes, durably, first.
pub(crate) fn unmark_clean(file: &Path) -> Result<(), StoreError> {
    let mark = clean_path(file);
    match std::fs::remove_file(&mark) {
        Ok(()) => sync_dir(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", &mark, e)),
    }
}

/// A file at the log's path that is not the writer's log (another file put there) is moved
/// aside, durably, before anything else: a crash then finds no log (refused), never that
/// file (which SQLite would apply).
pub(crate) fn set_aside(file: &Path) -> Result<(), StoreError> {
    let log = log_path(file);
    let aside = PathBuf::from(format!("{}.foreign", log.display()));
    match std::fs::rename(&log, &aside) {
        Ok(()) => sync_dir(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("move aside", &log, e)),
    }
}

/// Makes a change of the directory holding `file` durable.
fn sync_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) => super::atomic::sync_dir(dir).map_err(|e| StoreError::io("sync", dir, e)),
        None => Ok(()),
    }
}

/// After the commits of a log removed or replaced under a running writer were moved into
/// the database file (a complete checkpoint), puts an empty log in its place: whatever is
/// at the log's path now was not written by this writer, and SQLite would apply it. The
/// empty log is made apart and renamed over the path, so no moment finds no log there.
pub(crate) fn replace_lost_log(file: &Path) -> Result<(), StoreError> {
    let log = log_path(file);
    super::atomic::write_atomic(&log, &[]).map_err(|e| StoreError::io("replace", &log, e))
}
