//! [`StoreError`]: everything that can go wrong with the data dir, each with what to do next.

use std::io;
use std::path::{Path, PathBuf};

/// An error from the encrypted state directory.
///
/// Every message says what happened and what to do next. Variants are public so that the
/// CLI can map them to exit codes; [`StoreError::is_unlock_failure`] groups the ones that
/// mean "the wallet stays locked".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process (or another handle in this process) holds the data dir's lock.
    #[error(
        "wallet data dir {} is in use by {}; commands that only read still work, others must \
         wait for it to finish (or pass --wait-lock to wait)",
        path.display(),
        holder.as_ref().map_or_else(|| "another asyncpay process".to_owned(), |h| h.to_string())
    )]
    InUse {
        /// The data dir.
        path: PathBuf,
        /// Who holds it, as the holder recorded in the lock file (`None`: unknown, or the
        /// record is stale: its process is gone).
        holder: Option<super::LockHolder>,
    },
    /// Another process writes the data dir's PostgreSQL schema (it holds the schema's
    /// writer lock): a copy of this data dir is running elsewhere.
    #[error(
        "the records database {} is in use by another asyncpay process (a copy of this data dir running elsewhere?); only one process may write it: stop the other one, then try again (a copy on another machine waits its turn with `server run --standby`)",
        path.display()
    )]
    DatabaseInUse {
        /// The database, as [`StoreError::Database`] names it.
        path: PathBuf,
    },
    /// This process wrote the records database, and another one took it over (a standby
    /// copy of the data dir, after this one lost its session): it writes nothing more.
    #[error(
        "another asyncpay process took over the records database {} (a standby copy of this data dir?) while this one had lost its connection; this one writes nothing more: stop it",
        path.display()
    )]
    TakenOver {
        /// The database, as [`StoreError::Database`] names it.
        path: PathBuf,
    },
    /// An operating-system error while reading or writing a file of the data dir.
    #[error("cannot {action} {}: {source}; check that the path exists and is accessible", path.display())]
    Io {
        /// What was being done ("read", "write", "create", "lock", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The data dir has no storage identity yet.
    #[error("no wallet in {}; create one with `asyncpay init`", path.display())]
    NotInitialized {
        /// The data dir.
        path: PathBuf,
    },
    /// The data dir already has a storage identity; creating another would orphan its files.
    #[error(
        "a wallet already exists in {}; unlock it, or choose another --datadir",
        path.display()
    )]
    AlreadyInitialized {
        /// The data dir.
        path: PathBuf,
    },
    /// The passphrase does not decrypt `identity.age`.
    ///
    /// age cannot tell a wrong passphrase from a damaged passphrase stanza (salt or wrapped
    /// key), so this is also what a byte flipped there gives.
    #[error(
        "wrong passphrase for {}; try again (if you are sure of it, the file may be damaged: restore it from a backup)",
        path.display()
    )]
    WrongPassphrase {
        /// The `identity.age` file.
        path: PathBuf,
    },
    /// A passphrase was given but this wallet keeps its storage identity in an identity file.
    #[error(
        "the wallet in {} has no passphrase: its storage identity is kept in an identity file; unlock it with --identity FILE",
        path.display()
    )]
    NoPassphrase {
        /// The data dir.
        path: PathBuf,
    },
    /// The identity file holds no identity for this wallet's recipient.
    #[error(
        "identity file {} does not hold this wallet's storage identity (the wallet uses {expected}); pass the identity file this wallet was created with",
        path.display()
    )]
    IdentityMismatch {
        /// The identity file given.
        path: PathBuf,
        /// The wallet's recipient (`age1...`).
        expected: String,
    },
    /// The identity file given cannot be used (unreadable, not a plain age identity file, ...).
    #[error("cannot use identity file {}: {reason}", path.display())]
    BadIdentityFile {
        /// The identity file given.
        path: PathBuf,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// The data dir is open to other users (group or world permission bits) and cannot be
    /// made private (mode 0700), or is not a directory.
    #[error(
        "wallet data dir {} {problem}; make it private with `chmod 700 {}` (as its owner), or choose another --datadir",
        path.display(), path.display()
    )]
    NotPrivate {
        /// The data dir.
        path: PathBuf,
        /// What is wrong ("has mode 0755 and cannot be changed: ...").
        problem: String,
    },
    /// The data dir's `lock` file is not one asyncpay made: a symbolic or hard link, a
    /// FIFO, a directory, another user's file.
    #[error(
        "the lock file {} {problem}, not asyncpay's lock file; nothing was written to it. Remove it (`rm {}`) and run the command again; if it was put there by someone else, check the data dir for other changes",
        path.display(), path.display()
    )]
    BadLockFile {
        /// The lock file.
        path: PathBuf,
        /// What it is instead.
        problem: String,
    },
    /// An empty passphrase was offered for a new `identity.age`.
    #[error("the new passphrase is empty; choose a non-empty passphrase or use an identity file")]
    EmptyPassphrase,
    /// A scrypt work factor outside the supported range.
    #[error("scrypt work factor {found} is out of range; choose one from {min} to {max}")]
    InvalidWorkFactor {
        /// The work factor asked for.
        found: u8,
        /// Smallest accepted.
        min: u8,
        /// Largest accepted.
        max: u8,
    },
    /// A file failed to decrypt or parse: truncated, tampered with, or not what it should be.
    #[error(
        "{} {reason}; restore it from a backup, or run `asyncpay init --restore` with a new --datadir",
        path.display()
    )]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong, as a phrase following the path ("is truncated or ...").
        reason: String,
    },
    /// A state file whose authentication tag is wrong: replaced, or copied from another
    /// record or another wallet.
    #[error(
        "{} fails its authentication: it was replaced, or copied from another record or another wallet; do not use it, restore it from your own backup",
        path.display()
    )]
    Forged {
        /// The file.
        path: PathBuf,
    },
    /// The records database failed (SQLite error: disk full, locked, damaged file...).
    #[error(
        "cannot use the records database {}: {reason}; check the disk and the file's permissions, or restore the data dir from a backup",
        path.display()
    )]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's message.
        reason: String,
    },
    /// The PostgreSQL server that holds the records failed, or could not be reached.
    #[error(
        "cannot use the records database {}: {reason}; check that the PostgreSQL server is running and reachable, and that its user may use the database (the data dir's `database` file names it)",
        path.display()
    )]
    DatabaseServer {
        /// The database and schema.
        path: PathBuf,
        /// The server's or the connection's message.
        reason: String,
    },
    /// The records database does not match its own sealed summary: a record was put back
    /// from an older copy, deleted, or added from elsewhere.
    #[error(
        "{} has been tampered with: a record was put back from an older copy, deleted, or added from elsewhere; do not use it (an old secret nonce could sign twice and give away a key): restore the whole data dir from your latest backup, or run `asyncpay init --restore` with a new --datadir",
        path.display()
    )]
    RolledBack {
        /// The database file.
        path: PathBuf,
    },
    /// The records database says it has a write-ahead log, and the log is gone: the
    /// commits since its last checkpoint were in it.
    #[error(
        "{}-wal, the write-ahead log of {}, is missing: it holds this wallet's latest commits, and without it the database would go back to an older state (an old secret nonce could sign twice and give away a key); put the file back if you still have it (it belongs with the database: back them up and restore them together), else restore the whole data dir from your latest backup. Do not put an empty file in its place: asyncpay makes the log again by itself when it knows it was empty (it stopped normally, and nothing wrote since)",
        path.display(),
        path.display()
    )]
    LogMissing {
        /// The database file.
        path: PathBuf,
    },
    /// The write-ahead log was removed or replaced while this process wrote to the
    /// database, and its commits could not be moved into the database file yet.
    #[error(
        "{}-wal, the write-ahead log of {}, was removed or replaced while asyncpay was using it: its latest commits are only in this running process, which could not move them into the database file because another program kept reading it for 10 s; nothing more was written. Close that program (a `server sales`, a SQLite tool) and try again while this one still runs",
        path.display(),
        path.display()
    )]
    LogRemoved {
        /// The database file.
        path: PathBuf,
    },
    /// A data dir of an older release, whose state files have not been moved into
    /// `records.sqlite` yet.
    #[error(
        "{} holds state files of an older asyncpay that are not in records.sqlite yet; if you just upgraded asyncpay, run `asyncpay wallet upgrade` once to move them in (if this wallet already had a records.sqlite, someone removed it: do not upgrade, restore the data dir from your latest backup)",
        path.display()
    )]
    NotMigrated {
        /// The data dir.
        path: PathBuf,
    },
    /// A file written by a newer asyncpay.
    #[error(
        "{} has format version {found} but this asyncpay reads versions up to {max}; upgrade asyncpay",
        path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The newest version this build reads.
        max: u32,
    },
    /// A file of an older format that [`StateFile::migrate`](super::StateFile::migrate)
    /// refused to upgrade.
    #[error(
        "{} has format version {found}, which this asyncpay cannot upgrade to version {current} ({reason}); open it with the asyncpay release that wrote it, or restore with `asyncpay init --restore` in a new --datadir",
        path.display()
    )]
    MigrationFailed {
        /// The file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The version this build writes.
        current: u32,
        /// Why the upgrade was refused.
        reason: String,
    },
    /// A value could not be serialized for saving (a bug in its `Serialize` impl).
    #[error("cannot serialize the data for {}: {reason}; this is a bug in asyncpay, please report it", path.display())]
    Serialize {
        /// The file that was to be written.
        path: PathBuf,
        /// The serializer's message.
        reason: String,
    },
}

impl StoreError {
    /// True for errors that leave the wallet locked because the credentials offered are not
    /// this wallet's: wrong passphrase, identity mismatch, unusable identity file, passphrase
    /// offered to an identity-file wallet.
    pub fn is_unlock_failure(&self) -> bool {
        matches!(
            self,
            StoreError::WrongPassphrase { .. }
                | StoreError::IdentityMismatch { .. }
                | StoreError::BadIdentityFile { .. }
                | StoreError::NoPassphrase { .. }
        )
    }

    /// True if the identity file given cannot be opened or read (missing, a directory, no
    /// permission): an input error like an unreadable passphrase file, not a lock.
    pub fn is_unreadable_identity_file(&self) -> bool {
        matches!(self, StoreError::BadIdentityFile { reason, .. }
            if reason.starts_with("cannot open it") || reason.starts_with("cannot read it"))
    }

    /// True if the passphrase was wrong.
    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(self, StoreError::WrongPassphrase { .. })
    }

    /// True if another process holds the data dir.
    pub fn is_in_use(&self) -> bool {
        matches!(
            self,
            StoreError::InUse { .. }
                | StoreError::DatabaseInUse { .. }
                | StoreError::TakenOver { .. }
        )
    }

    /// True if a file is damaged or of an unreadable format (corrupt, newer version, or a
    /// refused migration).
    pub fn is_corrupt_or_unsupported(&self) -> bool {
        matches!(
            self,
            StoreError::Corrupt { .. }
                | StoreError::BadLockFile { .. }
                | StoreError::Forged { .. }
                | StoreError::RolledBack { .. }
                | StoreError::LogMissing { .. }
                | StoreError::NotMigrated { .. }
                | StoreError::UnsupportedVersion { .. }
                | StoreError::MigrationFailed { .. }
        )
    }

    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
