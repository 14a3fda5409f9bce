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
//! A sync of a log that is no longer at its path (removed or replaced under the writer)
//! vouches for nothing: its commits are on disk only once moved into the database file
//! ([`Synced::LogMoved`]; the writer does that, then [`GroupSync::all_durable`]).
//!
//! A failed sync is final: the kernel may have dropped the pages it could not write, so
//! nothing written since the last good sync can be vouched for again. Every later wait (and
//! deferred write) fails; S stops (ADR 0014).

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The log a group's commits went to: a descriptor of it, to sync.
pub(crate) type Log = Arc<File>;

/// What a sync of the log found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Synced {
    /// The log's writes are durable.
    Durable,
    /// The log was synced, but it is no longer the file at the log's path: what it holds
    /// is not durable until moved into the database file.
    LogMoved,
}

/// Why [`GroupSync::wait`] could not vouch for the commits.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotDurable {
    /// See [`Synced::LogMoved`]; the commits stay pending.
    LogMoved,
    /// A sync failed (final).
    Failed(String),
}

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
pub(crate) struct GroupSync {
    state: Mutex<State>,
    synced: Condvar,
    /// What a failed sync means, and what to do.
    failure: fn(&std::io::Error) -> String,
}

impl Default for GroupSync {
    /// The group commit of a records database's write-ahead log.
    fn default() -> GroupSync {
        GroupSync::new(sync_failure)
    }
}

impl GroupSync {
    /// The group commit of a file whose failed sync `failure` describes.
    pub(crate) fn new(failure: fn(&std::io::Error) -> String) -> GroupSync {
        GroupSync {
            state: Mutex::default(),
            synced: Condvar::new(),
            failure,
        }
    }

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

    /// The log the latest commit went to.
    #[cfg(test)]
    pub(crate) fn log(&self) -> Option<Log> {
        self.lock().log.clone()
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
    /// time. [`NotDurable::LogMoved`] if the log synced was no longer at its path (nothing
    /// vouched for); the reason of a failed sync, now or earlier.
    pub(crate) fn wait(
        &self,
        sync: impl Fn(&File) -> std::io::Result<Synced>,
    ) -> Result<(), NotDurable> {
        let mut s = self.lock();
        let ticket = s.written;
        loop {
            if let Some(reason) = &s.failed {
                return Err(NotDurable::Failed(reason.clone()));
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
            let moved = match done {
                Ok(Synced::Durable) => {
                    s.durable = s.durable.max(upto);
                    false
                }
                Ok(Synced::LogMoved) => true,
                Err(e) => {
                    s.failed = Some((self.failure)(&e));
                    false
                }
            };
            self.synced.notify_all();
            if moved {
                return Err(NotDurable::LogMoved);
            }
        }
    }
}

/// What a failed sync of the log means, and what to do.
pub(crate) fn sync_failure(e: &std::io::Error) -> String {
    format!(
        "syncing the write-ahead log failed ({e}): what was committed since the last sync \
         may not be on disk, even if it reads back (the kernel may keep pages it could not \
         write); check the disk, and reboot the machine before starting again"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Log {
        Arc::new(tempfile::tempfile().unwrap())
    }

    fn durable(f: &File) -> std::io::Result<Synced> {
        f.sync_data().map(|()| Synced::Durable)
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
        g.wait(durable).unwrap();
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
                    durable(f)
                })
                .unwrap()
            });
            entered.recv().unwrap();
            let waiters: Vec<_> = (1..WRITERS)
                .map(|_| {
                    g.committed(&log);
                    let g = g.clone();
                    scope.spawn(move || g.wait(durable).unwrap())
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
        let Err(NotDurable::Failed(reason)) = g.wait(failing) else {
            panic!("a failed sync vouched for the commits");
        };
        assert!(
            reason.contains("EIO") && reason.contains("reboot"),
            "{reason}"
        );
        // A later good sync does not vouch for what the failed one lost.
        assert!(g.wait(durable).is_err());
        g.all_durable();
        assert!(g.wait(durable).is_err());
        assert_eq!(g.failed(), Some(reason));
    }

    #[test]
    fn a_log_moved_vouches_for_nothing_until_its_commits_are_moved() {
        let g = GroupSync::default();
        let log = log();
        g.committed(&log);
        assert_eq!(g.wait(|_| Ok(Synced::LogMoved)), Err(NotDurable::LogMoved));
        assert!(g.pending(), "still pending");
        assert_eq!(g.failed(), None, "not a failure");
        g.all_durable(); // the writer moved them into the database file
        assert!(!g.pending());
        g.wait(|_| panic!("nothing waits")).unwrap();
    }
}
