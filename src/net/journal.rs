//! The replay cache's entries on disk, so that a request captured before the server restarts
//! is still refused as a replay after it (issue 9, item 15).
//!
//! Every request the server admits that can change state (any method but GET and HEAD: a
//! replayed read has no effect) is appended (and synced) here before its handler runs:
//! one line `<ts> <hex digest>` with the request's timestamp and
//! [`auth::replay_digest`](super::auth::replay_digest) of its (node, nonce) — neither the
//! node nor the nonce is written, so the files tell nothing about who talks to the server.
//! Lines go to one file per minute of the server's clock (`<dir>/<now / 60>.log`, 0600 in a
//! 0700 directory; never an earlier minute than the last, nor earlier than the stamp allows
//! for), kept open while it is the current one; a file is deleted once every
//! timestamp it can hold has left the clock window, so the directory holds at most the last
//! few minutes. On start, the server reads the live lines back into its
//! [`ReplayCache`](super::auth::ReplayCache). A torn last line (a crash while appending) is
//! skipped: its request was never answered nor acted upon; the next append to that file
//! first ends it, so that it does not swallow the next entry.
//!
//! Appends wait for the disk together (ADR 0014's group commit): requests appended while a
//! sync is under way share the next one. A failed sync is final: every later append fails
//! (the requests are refused, `503 server_storage`) and `server run` stops.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::hex::{DisplayHex, FromHex};

use super::auth::{replay_entry_live, MAX_CLOCK_SKEW_SECS, MAX_FUTURE_SKEW_SECS};
use crate::store::atomic::{is_file_at, sync_dir};
use crate::store::group::{GroupStats, GroupSync, NotDurable, Synced};

/// One journaled entry: the request's timestamp and its (node, nonce) digest.
pub type JournalEntry = (u64, [u8; 32]);

/// The replay journal of one server: a directory of per-minute files.
pub struct ReplayJournal {
    dir: PathBuf,
    /// The file of the current minute, open for appending.
    current: Mutex<Option<MinuteFile>>,
    /// The appends waiting for the disk.
    group: GroupSync,
}

impl std::fmt::Debug for ReplayJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayJournal")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A minute's file, open for appending.
struct MinuteFile {
    minute: u64,
    path: PathBuf,
    file: Arc<File>,
}

/// Whether no timestamp of minute file `minute` can pass the clock check at `now` any more.
/// A file holds the requests admitted during its minute of the server's clock, stamped at
/// most [`MAX_FUTURE_SKEW_SECS`] ahead of it (a file of an earlier release, named by its
/// entries' minute, holds none later than its minute: it is kept no shorter).
fn minute_stale(minute: u64, now: u64) -> bool {
    minute
        .saturating_mul(60)
        .saturating_add(59)
        .saturating_add(MAX_FUTURE_SKEW_SECS)
        .saturating_add(MAX_CLOCK_SKEW_SECS)
        < now
}

fn minute_of(name: &std::ffi::OsStr) -> Option<u64> {
    name.to_str()?.strip_suffix(".log")?.parse().ok()
}

/// What a failed sync of the journal means, and what to do.
fn sync_failure(e: &io::Error) -> String {
    format!(
        "syncing the replay journal failed ({e}): the requests it recorded since the last \
         sync may not be on disk; check the disk, and reboot the machine before starting S \
         again"
    )
}

impl ReplayJournal {
    /// Opens (creating it 0700) the journal in `dir`, deletes the files that hold only
    /// entries past the clock window at `now`, and returns the live entries
    /// `(ts, digest)` to restore.
    pub fn open(dir: &Path, now: u64) -> io::Result<(ReplayJournal, Vec<JournalEntry>)> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        let journal = ReplayJournal {
            dir: dir.to_owned(),
            current: Mutex::new(None),
            group: GroupSync::new(sync_failure),
        };
        let mut live = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let Some(minute) = minute_of(&entry.file_name()) else {
                continue; // not ours
            };
            if minute_stale(minute, now) {
                std::fs::remove_file(entry.path())?;
                continue;
            }
            let text = std::fs::read(entry.path())?;
            for line in text.split(|b| *b == b'\n') {
                let Some((ts, digest)) = std::str::from_utf8(line)
                    .ok()
                    .and_then(|l| l.split_once(' '))
                    .and_then(|(ts, d)| {
                        Some((ts.parse::<u64>().ok()?, <[u8; 32]>::from_hex(d).ok()?))
                    })
                else {
                    continue; // a torn line: its request was never answered
                };
                if replay_entry_live(ts, now) {
                    live.push((ts, digest));
                }
            }
        }
        sync_dir(dir)?;
        Ok((journal, live))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one admitted request's entry (`now`: the server's clock) and returns once it
    /// is durable, with every entry appended meanwhile: one sync for all of them.
    pub fn append(&self, ts: u64, digest: &[u8; 32], now: u64) -> io::Result<()> {
        {
            let mut current = self.lock();
            let file = self.file_for(&mut current, ts, now)?;
            if let Err(e) = (&*file).write_all(format!("{ts} {}\n", digest.as_hex()).as_bytes()) {
                // Opened again (its torn line ended) at the next append.
                *current = None;
                return Err(e);
            }
            self.group.committed(&file);
        }
        self.wait()
    }

    /// Why a sync of the journal failed, if one did (final: S must stop).
    pub fn failed(&self) -> Option<String> {
        self.group.failed()
    }

    /// The entries appended and the syncs that made them durable so far.
    pub fn stats(&self) -> GroupStats {
        self.group.stats()
    }

    fn lock(&self) -> MutexGuard<'_, Option<MinuteFile>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Returns once every entry appended so far is durable.
    fn wait(&self) -> io::Result<()> {
        self.group
            .wait(|f| f.sync_data().map(|()| Synced::Durable))
            .map_err(|e| match e {
                NotDurable::Failed(reason) => io::Error::other(reason),
                NotDurable::LogMoved => io::Error::other("the replay journal's file moved"),
            })
    }

    /// The file for an entry stamped `ts` at `now`, still at its path: the one kept, or the
    /// one opened (created) now, once every entry appended to the one before is durable (a
    /// sync covers the latest file only).
    fn file_for(
        &self,
        current: &mut Option<MinuteFile>,
        ts: u64,
        now: u64,
    ) -> io::Result<Arc<File>> {
        // The minute of the server's clock, but never before the file kept (no going back
        // and forth at a minute's edge) nor before what the stamp allows: a file of minute
        // `m` holds no stamp after `m·60 + 59 +` MAX_FUTURE_SKEW_SECS, which its deletion
        // counts on, even when the clock stepped back since the request was admitted.
        let mut minute = now.max(ts.saturating_sub(MAX_FUTURE_SKEW_SECS)) / 60;
        if let Some(kept) = current {
            minute = minute.max(kept.minute);
            if kept.minute == minute && is_file_at(&kept.file, &kept.path) {
                return Ok(kept.file.clone());
            }
        }
        *current = None;
        self.wait()?;
        let path = self.dir.join(format!("{minute}.log"));
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        if ends_torn(&mut file)? {
            file.write_all(b"\n")?;
        }
        // Its name on disk before an entry in it is vouched for (at every open: a first
        // try may have failed after the file was made).
        sync_dir(&self.dir)?;
        self.drop_stale(now)?;
        let file = Arc::new(file);
        *current = Some(MinuteFile {
            minute,
            path,
            file: file.clone(),
        });
        Ok(file)
    }

    /// Deletes the files whose entries all left the clock window at `now`.
    fn drop_stale(&self, now: u64) -> io::Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if minute_of(&entry.file_name()).is_some_and(|m| minute_stale(m, now)) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

/// Whether `file` holds a last line with no end (a crash while appending).
fn ends_torn(file: &mut File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn entries_survive_reopening_until_they_leave_the_window() {
        let (_dir, path) = journal_dir();
        let (journal, live) = ReplayJournal::open(&path, NOW).unwrap();
        assert!(live.is_empty());
        journal.append(NOW - 100, &[1; 32], NOW).unwrap();
        journal.append(NOW + 30, &[2; 32], NOW).unwrap();
        // A torn line is skipped.
        let mut f = OpenOptions::new()
            .append(true)
            .open(path.join(format!("{}.log", (NOW + 30) / 60)))
            .unwrap();
        f.write_all(b"1700000031 abcd").unwrap();
        drop(journal);
        let (_, mut live) = ReplayJournal::open(&path, NOW + 10).unwrap();
        live.sort();
        assert_eq!(live, vec![(NOW - 100, [1; 32]), (NOW + 30, [2; 32])]);
        // 121 s after the first entry's stamp it is no longer needed; its file goes once
        // no stamp of its minute can pass.
        let (_, live) = ReplayJournal::open(&path, NOW + 21).unwrap();
        assert_eq!(live, vec![(NOW + 30, [2; 32])]);
        let (_, live) = ReplayJournal::open(&path, NOW + 400).unwrap();
        assert!(live.is_empty());
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0);
    }

    /// A temporary directory and the journal's place in it.
    fn journal_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replay");
        (dir, path)
    }

    fn live(path: &Path, now: u64) -> Vec<JournalEntry> {
        let (_, mut live) = ReplayJournal::open(path, now).unwrap();
        live.sort();
        live
    }

    /// A crash in the middle of an append leaves a torn line; the next run's first entry in
    /// that file is not glued to it (it would be unreadable, and its request replayable
    /// after the following restart).
    #[test]
    fn a_torn_line_does_not_swallow_the_next_runs_entry() {
        let (_dir, path) = journal_dir();
        let (journal, _) = ReplayJournal::open(&path, NOW).unwrap();
        journal.append(NOW, &[1; 32], NOW).unwrap();
        drop(journal);
        let mut f = OpenOptions::new()
            .append(true)
            .open(path.join(format!("{}.log", NOW / 60)))
            .unwrap();
        f.write_all(b"1700000001 abcd").unwrap();
        let (journal, _) = ReplayJournal::open(&path, NOW + 1).unwrap();
        journal.append(NOW + 2, &[2; 32], NOW + 2).unwrap();
        drop(journal);
        assert_eq!(
            live(&path, NOW + 3),
            vec![(NOW, [1; 32]), (NOW + 2, [2; 32])]
        );
    }

    /// A minute's file holds the requests admitted in that minute of the server's clock,
    /// stamped up to [`MAX_FUTURE_SKEW_SECS`] ahead: it is kept for as long as the latest
    /// of them can still pass the clock check.
    #[test]
    fn a_file_is_kept_while_an_entry_stamped_ahead_of_its_minute_is_live() {
        let (_dir, path) = journal_dir();
        let minute = NOW / 60;
        let late = minute * 60 + 59; // the minute's last second
        let ahead = late + MAX_FUTURE_SKEW_SECS; // the latest stamp admitted then
        let (journal, _) = ReplayJournal::open(&path, late).unwrap();
        journal.append(ahead, &[3; 32], late).unwrap();
        drop(journal);
        let last_live = ahead + MAX_CLOCK_SKEW_SECS;
        assert!(replay_entry_live(ahead, last_live));
        assert_eq!(live(&path, last_live), vec![(ahead, [3; 32])]);
        assert!(!replay_entry_live(ahead, last_live + 1));
        assert!(live(&path, last_live + 1).is_empty());
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0, "file deleted");
    }

    /// Entries of two minutes, and entries appended by several threads at once (sharing
    /// syncs), all come back.
    #[test]
    fn concurrent_appends_across_a_minute_all_come_back() {
        const THREADS: u8 = 4;
        const EACH: u8 = 25;
        let (_dir, path) = journal_dir();
        let (journal, _) = ReplayJournal::open(&path, NOW).unwrap();
        let next_minute = (NOW / 60 + 1) * 60;
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let journal = &journal;
                scope.spawn(move || {
                    for i in 0..EACH {
                        // The server's clock moves on to the next minute half-way.
                        let now = if i < EACH / 2 { NOW } else { next_minute };
                        journal.append(now, &[t * EACH + i; 32], now).unwrap();
                    }
                });
            }
        });
        let stats = journal.stats();
        assert_eq!(stats.commits, u64::from(THREADS * EACH));
        assert!(
            stats.syncs >= 2 && stats.syncs <= stats.commits,
            "{stats:?}"
        );
        drop(journal);
        let got = live(&path, next_minute);
        assert_eq!(got.len(), usize::from(THREADS * EACH));
        let mut digests: Vec<u8> = got.iter().map(|(_, d)| d[0]).collect();
        digests.sort_unstable();
        assert_eq!(digests, (0..THREADS * EACH).collect::<Vec<_>>());
        assert_eq!(
            std::fs::read_dir(&path).unwrap().count(),
            2,
            "one file a minute"
        );
    }

    /// The kept file removed (or replaced) under the server: the next entry goes to the
    /// file at the path, not to the one nobody will read again.
    #[test]
    fn an_entry_after_the_file_was_removed_goes_to_a_new_file() {
        let (_dir, path) = journal_dir();
        let (journal, _) = ReplayJournal::open(&path, NOW).unwrap();
        journal.append(NOW, &[1; 32], NOW).unwrap();
        std::fs::remove_file(path.join(format!("{}.log", NOW / 60))).unwrap();
        journal.append(NOW + 1, &[2; 32], NOW + 1).unwrap();
        drop(journal);
        assert_eq!(live(&path, NOW + 2), vec![(NOW + 1, [2; 32])]);
    }

    /// The clock stepped back between a request's admission and its entry: the entry goes
    /// to a file kept as long as its stamp is live, not to the earlier minute's.
    #[test]
    fn an_entry_written_after_the_clock_stepped_back_is_kept_while_live() {
        let (_dir, path) = journal_dir();
        let minute = NOW / 60;
        let ts = minute * 60 + 30; // admitted at minute * 60
        let (journal, _) = ReplayJournal::open(&path, minute * 60).unwrap();
        journal.append(ts, &[4; 32], minute * 60 - 1).unwrap();
        // A later entry at an earlier minute goes to the file kept, not back to another.
        let earlier = minute * 60 - 40;
        journal.append(earlier, &[5; 32], minute * 60 - 61).unwrap();
        drop(journal);
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 1, "one file");
        assert_eq!(
            live(&path, earlier + MAX_CLOCK_SKEW_SECS),
            vec![(earlier, [5; 32]), (ts, [4; 32])]
        );
        assert_eq!(live(&path, ts + MAX_CLOCK_SKEW_SECS), vec![(ts, [4; 32])]);
    }
}
