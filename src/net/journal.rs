//! The replay cache's entries on disk, so that a request captured before the server restarts
//! is still refused as a replay after it (issue 9, item 15).
//!
//! Every request the server admits that can change state (any method but GET and HEAD: a
//! replayed read has no effect) is appended (and synced) here before its handler runs:
//! one line `<ts> <hex digest>` with the request's timestamp and
//! [`auth::replay_digest`](super::auth::replay_digest) of its (node, nonce) — neither the
//! node nor the nonce is written, so the files tell nothing about who talks to the server.
//! Lines go to one file per minute of their timestamp (`<dir>/<ts / 60>.log`, 0600 in a 0700
//! directory); a file is deleted once every timestamp it can hold has left the clock window,
//! so the directory holds at most the last few minutes. On start, the server reads the live
//! lines back into its [`ReplayCache`](super::auth::ReplayCache). A torn last line (a crash
//! while appending) is skipped: its request was never answered nor acted upon.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bitcoin::hex::{DisplayHex, FromHex};

use super::auth::{replay_entry_live, MAX_CLOCK_SKEW_SECS};

/// One journaled entry: the request's timestamp and its (node, nonce) digest.
pub type JournalEntry = (u64, [u8; 32]);

/// The replay journal of one server: a directory of per-minute files.
#[derive(Debug)]
pub struct ReplayJournal {
    dir: PathBuf,
}

/// Whether no timestamp of minute file `minute` can pass the clock check at `now` any more.
fn minute_stale(minute: u64, now: u64) -> bool {
    minute
        .saturating_mul(60)
        .saturating_add(59)
        .saturating_add(MAX_CLOCK_SKEW_SECS)
        < now
}

fn minute_of(name: &std::ffi::OsStr) -> Option<u64> {
    name.to_str()?.strip_suffix(".log")?.parse().ok()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
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

    /// Appends one admitted request's entry and syncs it; returns once it is durable. When
    /// it starts a new minute file, stale files are deleted.
    pub fn append(&self, ts: u64, digest: &[u8; 32], now: u64) -> io::Result<()> {
        let minute = ts / 60;
        let path = self.dir.join(format!("{minute}.log"));
        let created = !path.exists();
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        file.write_all(format!("{ts} {}\n", digest.as_hex()).as_bytes())?;
        file.sync_data()?;
        if created {
            sync_dir(&self.dir)?;
            self.drop_stale(now)?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn entries_survive_reopening_until_they_leave_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replay");
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
}
