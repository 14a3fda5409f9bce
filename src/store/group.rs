//! Group commit (ADR 0014): commits that wait for the disk together share one sync of the
//! write-ahead log.
//!
//! A writer whose durability is deferred ([`super::Store::defer_durability`]) commits to the
//! log without syncing it (SQLite's `synchronous=NORMAL`) and counts the commit here
//! ([`GroupSync::committed`]). Whoever must not go on before what was committed is on disk
//! (S, before it answers a request or publishes a transaction) calls [`GroupSync::wait`]:
//! the first waiter syncs the log once for every commit counted so far while the others
//! wait for that sync, then return if it covered their commits, or sync the next group.
//!
//! A failed sync is final: the kernel may have dropped the pages it could not write, so
//! nothing written since the last good sync can be vouched for again. Every later wait (and
//! deferred write) fails until the process starts again and reads the database back.

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The log a group's commits went to: a descriptor of it, to sync.
pub(crate) type Log = Arc<File>;

/// The commits counted and the syncs done, of one writer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    /// Commits whose durability was deferred.
    pub commits: u64,
    /// Syncs of the log that made them durable.
    pub syncs: u64,
}

#[derive(Default)]
struct State {
    /// Deferred commits so far (each commit's ticket is the count after it).
    written: u64,
    /// Every commit up to this ticket is durable.
    durable: u64,
    /// A waiter is syncing the log now.
    syncing: bool,
    /// Why a sync failed: final.
    failed: Option<String>,
    syncs: u64,
    /// The log the latest commit went to.
    log: Option<Log>,
}

/// The group commit of one writer.
#[derive(Default)]
pub(crate) struct GroupSync {
    state: Mutex<State>,
    synced: Condvar,
}

impl GroupSync {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a commit that went to `log` without being synced.
    pub(crate) fn committed(&self, log: &Log) {
        let mut s = self.lock();
        s.written += 1;
        if !s.log.as_ref().is_some_and(|l| Arc::ptr_eq(l, log)) {
            s.log = Some(log.clone());
        }
    }

    /// Every commit counted so far reached the disk another way (a complete checkpoint,
    /// which syncs the database file).
    pub(crate) fn all_durable(&self) {
        let mut s = self.lock();
        if s.failed.is_none() {
            s.durable = s.written;
        }
        self.synced.notify_all();
    }

    /// Whether a commit counted so far may not be durable yet.
    pub(crate) fn pending(&self) -> bool {
        let s = self.lock();
        s.durable < s.written
    }

    /// Why a sync failed, if one did (final).
    pub(crate) fn failed(&self) -> Option<String> {
        self.lock().failed.clone()
    }

    pub(crate) fn stats(&self) -> GroupStats {
        let s = self.lock();
        GroupStats {
            commits: s.written,
            syncs: s.syncs,
        }
    }

    /// Returns once every commit counted before the call is durable: `sync` (which makes
    /// the log's writes durable) runs at most once per group of waiters, never two at a
    /// time. The reason of a failed sync, now or earlier.
    pub(crate) fn wait(&self, sync: impl Fn(&File) -> std::io::Result<()>) -> Result<(), String> {
        let mut s = self.lock();
        let ticket = s.written;
        loop {
            if let Some(reason) = &s.failed {
                return Err(reason.clone());
            }
            if s.durable >= ticket {
                return Ok(());
            }
            if s.syncing {
                s = self
                    .synced
                    .wait(s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            // Everything counted now went to this log before it was counted.
            let (upto, log) = (s.written, s.log.clone().expect("a commit names its log"));
            s.syncing = true;
            drop(s);
            let done = sync(&log);
            s = self.lock();
            s.syncing = false;
            s.syncs += 1;
            match done {
                Ok(()) => s.durable = s.durable.max(upto),
                Err(e) => {
                    s.failed = Some(format!(
                        "syncing the write-ahead log failed ({e}); what was committed since \
                         the last sync may not be on disk: restart to read the database back"
                    ))
                }
            }
            self.synced.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Log {
        Arc::new(tempfile::tempfile().unwrap())
    }

    #[test]
    fn one_sync_covers_every_commit_before_it() {
        let g = GroupSync::default();
        let log = log();
        g.wait(|_| panic!("nothing to sync")).unwrap();
        for _ in 0..5 {
            g.committed(&log);
        }
        assert!(g.pending());
        g.wait(|f| f.sync_data()).unwrap();
        g.wait(|_| panic!("already durable")).unwrap();
        assert!(!g.pending());
        assert_eq!(
            g.stats(),
            GroupStats {
                commits: 5,
                syncs: 1
            }
        );
    }

    #[test]
    fn waiters_behind_a_sync_share_the_next_one() {
        const WRITERS: u64 = 8;
        let g = Arc::new(GroupSync::default());
        let log = log();
        g.committed(&log);
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        std::thread::scope(|scope| {
            // The first sync blocks until every other writer has committed and waits.
            scope.spawn(|| {
                g.wait(|f| {
                    entered_tx.send(()).unwrap();
                    release_rx.lock().unwrap().recv().unwrap();
                    f.sync_data()
                })
                .unwrap()
            });
            entered.recv().unwrap();
            let waiters: Vec<_> = (1..WRITERS)
                .map(|_| {
                    g.committed(&log);
                    let g = g.clone();
                    scope.spawn(move || g.wait(|f| f.sync_data()).unwrap())
                })
                .collect();
            release.send(()).unwrap();
            for w in waiters {
                w.join().unwrap();
            }
        });
        assert!(!g.pending());
        assert_eq!(
            g.stats(),
            GroupStats {
                commits: WRITERS,
                syncs: 2
            }
        );
    }

    #[test]
    fn a_failed_sync_is_final() {
        let g = GroupSync::default();
        let log = log();
        g.committed(&log);
        let failing = |_: &File| Err(std::io::Error::other("EIO"));
        let reason = g.wait(failing).unwrap_err();
        assert!(
            reason.contains("EIO") && reason.contains("restart"),
            "{reason}"
        );
        // A later good sync does not vouch for what the failed one lost.
        assert!(g.wait(|f| f.sync_data()).is_err());
        g.all_durable();
        assert!(g.wait(|f| f.sync_data()).is_err());
        assert_eq!(g.failed(), Some(reason));
    }
}
