//! The wallet's encrypted state directory.
//!
//! Layout of a data dir (mode 0700 on unix; files 0600):
//!
//! - `identity.age`: the X25519 *storage identity*, encrypted to the user's passphrase with
//!   age's scrypt recipient (ASCII armored). Absent in identity-file mode.
//! - `recipient`: the storage identity's public recipient (`age1...`), plain text. Written
//!   in both modes; in identity-file mode it is the only trace of the identity.
//! - `records.sqlite` (with SQLite's write-ahead log `records.sqlite-wal` and its index
//!   `records.sqlite-shm` next to it, the log belonging to the database, and
//!   `records.sqlite-clean` after a clean stop; ADR 0013): every record of the wallet (the
//!   seed, the on-chain wallet, channels, payments, S's mailbox...), each the JSON
//!   envelope `{"kind": KIND, "version": N, "data": ...}` of a [`StateFile`] sealed under a random data key that is age-encrypted to the storage
//!   recipient (so saving never needs the passphrase) and bound to the storage identity;
//!   see `db.rs` for the format, the authentication of every record and the rollback
//!   check.
//! - `database`: only for a data dir whose records live in PostgreSQL (`asyncpay init
//!   --database URL`): the URL and the schema that hold them instead of `records.sqlite`
//!   (see `backend.rs` and ADR 0011).
//! - `lock`: an empty file on which [`DataDir`] holds an exclusive `flock` (advisory) for as
//!   long as it, or a [`Store`] made from it, lives: one writing process at a time.
//! - `.<name>.<16 hex>.tmp`: a temp file of [`write_atomic`] (`identity.age`, `recipient`),
//!   only present after a crash; [`DataDir::open`] removes them.
//!
//! A data dir of a release before the database holds one `*.age` file per record instead;
//! the first unlock moves them into `records.sqlite` in one transaction (see
//! [`DataDir::unlock`]).
//!
//! Writes are transactions ([`Store::transaction`]): everything a protocol step saves is
//! committed together, durably (`synchronous=FULL`), or not at all. Errors are
//! [`StoreError`]s whose messages say what to do next.
//!
//! [`ReadOnlyDir`] opens a data dir *without* its lock, for a process that only reads while
//! another one holds the lock (the operator's `server sales` next to a running `server run`).
//! SQLite gives the reader a consistent snapshot of each read (the writer's commits go on
//! meanwhile). A [`ReadOnlyStore`] has no way to write: it creates, removes and changes
//! nothing (not even the lock file or stale temp files), but for one thing any opener of
//! the database must do: rolling back the commit a writer of an older release (a rollback
//! journal) killed midway left in its journal, to the last commit.
//!
//! ```no_run
//! use asyncpay::store::{DataDir, LockWait, SeedFile, Unlock};
//! use age::secrecy::SecretString;
//! # fn main() -> Result<(), asyncpay::store::StoreError> {
//! let dir = DataDir::open("/tmp/wallet".as_ref(), LockWait::Fail)?;
//! let pass = SecretString::from("correct horse".to_owned());
//! let store = if dir.is_initialized() {
//!     dir.unlock(&Unlock::Passphrase(pass))?
//! } else {
//!     dir.create_with_passphrase(&pass, asyncpay::store::DEFAULT_WORK_FACTOR)?
//! };
//! let seed: Option<SeedFile> = store.load()?;
//! # Ok(()) }
//! ```

pub(crate) mod atomic;
mod auth;
mod backend;
mod db;
mod envelope;
mod error;
pub(crate) mod group;
mod holder;
mod identity;
mod pg_tls;
mod seed;
mod wal;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;

pub use atomic::write_atomic;
pub use backend::{Postgres, DATABASE_FILE, PASSWORD_ENV};
pub use db::{Txn, DB_FILE};
pub use envelope::{migrate_by_defaults, StateFile};
pub use error::StoreError;
pub use group::GroupStats;
pub use holder::LockHolder;
pub use seed::SeedFile;

/// Name of the passphrase-encrypted storage identity in the data dir.
pub const IDENTITY_FILE: &str = "identity.age";
/// Name of the plain file holding the storage recipient in the data dir.
pub const RECIPIENT_FILE: &str = "recipient";
/// Name of the lock file in the data dir.
pub const LOCK_FILE: &str = "lock";
/// Smallest scrypt work factor (log2 N) accepted for a new `identity.age`. Low values are
/// only for tests.
pub const MIN_WORK_FACTOR: u8 = 1;
/// Largest scrypt work factor accepted, when writing and when reading `identity.age`
/// (2^22 needs 4 GiB of memory; a higher value in a file means it was tampered with).
pub const MAX_WORK_FACTOR: u8 = 22;
/// A sensible work factor for a new passphrase: 2^18 (256 MiB, around a second on a
/// current machine; the value age falls back to when it cannot measure).
pub const DEFAULT_WORK_FACTOR: u8 = 18;
/// Smallest work factor a release build accepts from [`WORK_FACTOR_ENV`]: 2^16 (64 MiB per
/// guess). Lower values make a stolen `identity.age` cheap to brute-force; debug builds (the
/// test suite) and [`INSECURE_WORK_FACTOR_ENV`] allow them.
pub const MIN_RELEASE_WORK_FACTOR: u8 = 16;
/// Environment variable overriding the work factor of new passphrases.
pub const WORK_FACTOR_ENV: &str = "ASYNCPAY_SCRYPT_WORK_FACTOR";
/// Set to `1` to accept a [`WORK_FACTOR_ENV`] below [`MIN_RELEASE_WORK_FACTOR`] in a release
/// build: for test runs of a release binary only, never for a real wallet.
pub const INSECURE_WORK_FACTOR_ENV: &str = "ASYNCPAY_INSECURE_TEST_WORK_FACTOR";

/// Parses a work factor given in [`WORK_FACTOR_ENV`]: a number from
/// [`MIN_RELEASE_WORK_FACTOR`] (or [`MIN_WORK_FACTOR`] when `allow_weak`) to
/// [`MAX_WORK_FACTOR`]. The error says what to do.
pub fn parse_work_factor(value: &str, allow_weak: bool) -> Result<u8, String> {
    let min = if allow_weak {
        MIN_WORK_FACTOR
    } else {
        MIN_RELEASE_WORK_FACTOR
    };
    let found: u8 = value.trim().parse().map_err(|_| {
        format!("{WORK_FACTOR_ENV} must be a number from {min} to {MAX_WORK_FACTOR}, not '{value}'")
    })?;
    if !(MIN_WORK_FACTOR..=MAX_WORK_FACTOR).contains(&found) {
        return Err(format!(
            "{WORK_FACTOR_ENV}={found} is out of range; choose one from {min} to {MAX_WORK_FACTOR}"
        ));
    }
    if found < min {
        return Err(format!(
            "{WORK_FACTOR_ENV}={found} is too weak: a stolen identity.age would be cheap to \
             brute-force; choose one from {min} to {MAX_WORK_FACTOR} (default \
             {DEFAULT_WORK_FACTOR}), or unset it"
        ));
    }
    Ok(found)
}

/// True when this build accepts weak work factors: a debug build (the test suite), or
/// [`INSECURE_WORK_FACTOR_ENV`]`=1`.
pub fn weak_work_factor_allowed() -> bool {
    cfg!(debug_assertions) || std::env::var(INSECURE_WORK_FACTOR_ENV).is_ok_and(|v| v.trim() == "1")
}

/// The work factor for a new passphrase: [`WORK_FACTOR_ENV`] if set (checked by
/// [`parse_work_factor`]), else `default`.
pub fn work_factor_from_env(default: u8) -> Result<u8, String> {
    match std::env::var(WORK_FACTOR_ENV) {
        Ok(v) => parse_work_factor(&v, weak_work_factor_allowed()),
        Err(_) => Ok(default),
    }
}

/// What [`DataDir::open`] does when another process holds the data dir.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockWait {
    /// Return [`StoreError::InUse`] at once.
    Fail,
    /// Try again for up to this long (another command's lock is usually released within
    /// moments), then return [`StoreError::InUse`].
    Grace(std::time::Duration),
    /// Block until the other process releases the lock.
    Wait,
}

/// How to unlock the storage identity. `Debug` does not print the passphrase.
#[derive(Clone)]
pub enum Unlock {
    /// Decrypt `identity.age` with this passphrase.
    Passphrase(SecretString),
    /// Read the storage identity from this plain age identity file (`AGE-SECRET-KEY-1...`
    /// lines, as written by `age-keygen`). Works in both modes, as long as the file holds
    /// the identity of this wallet's recipient.
    IdentityFile(PathBuf),
}

impl fmt::Debug for Unlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unlock::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            Unlock::IdentityFile(path) => f.debug_tuple("IdentityFile").field(path).finish(),
        }
    }
}

/// The exclusive lock on a data dir; released on drop (the holder record in it is cleared
/// first).
#[derive(Debug)]
pub(crate) struct DirLock {
    file: File,
}

impl Drop for DirLock {
    fn drop(&mut self) {
        holder::clear(&self.file);
        // Released explicitly, not by closing the file: a child process that another thread
        // is starting right now holds a copy of every descriptor until it executes its
        // program, and the lock would stay with that copy until then.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// An open data dir, holding its exclusive lock until it and every [`Store`] made from it are
/// dropped.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    lock: Arc<DirLock>,
    fixed_mode: Option<u32>,
    /// Where the records of the wallet being created go ([`DataDir::use_database`]).
    new_database: std::sync::Mutex<Option<Postgres>>,
}

impl DataDir {
    /// Opens the data dir at `path`, creating it (mode 0700 on unix) if missing, and takes its
    /// exclusive lock: with [`LockWait::Fail`], [`StoreError::InUse`] if another process (or
    /// another `DataDir` in this process) holds it; with [`LockWait::Wait`], blocks until it
    /// is free. Then removes temp files left by interrupted writes.
    ///
    /// An existing dir that other users may enter (any group or world bit, e.g. 0755) is made
    /// private (0700); [`DataDir::fixed_permissions`] then tells its old mode, for a note.
    /// [`StoreError::NotPrivate`] if that fails (e.g. another user owns it) or if the path
    /// is not a directory.
    pub fn open(path: &Path, wait: LockWait) -> Result<DataDir, StoreError> {
        DataDir::open_as(path, wait, "")
    }

    /// [`DataDir::open`], recording this process (its pid and `command`, e.g. `server run`)
    /// as the holder in the lock file, so that a process refused the lock can name it in
    /// its [`StoreError::InUse`] (see [`LockHolder`]).
    pub fn open_as(path: &Path, wait: LockWait, command: &str) -> Result<DataDir, StoreError> {
        create_private_dir(path).map_err(|e| StoreError::io("create", path, e))?;
        let fixed_mode = make_private(path)?;
        let lock_path = path.join(LOCK_FILE);
        let mut file = open_lock_file(&lock_path, true)?;
        let mut locked = fs4::FileExt::try_lock(&file);
        if let LockWait::Grace(grace) = wait {
            let until = std::time::Instant::now() + grace;
            while matches!(locked, Err(fs4::TryLockError::WouldBlock))
                && std::time::Instant::now() < until
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
                locked = fs4::FileExt::try_lock(&file);
            }
        }
        match locked {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => match wait {
                LockWait::Fail | LockWait::Grace(_) => {
                    return Err(StoreError::InUse {
                        path: path.to_path_buf(),
                        holder: holder::read_from(&file),
                    })
                }
                LockWait::Wait => {
                    fs4::FileExt::lock(&file).map_err(|e| StoreError::io("lock", &lock_path, e))?
                }
            },
            Err(fs4::TryLockError::Error(e)) => {
                return Err(StoreError::io("lock", &lock_path, e));
            }
        }
        holder::record(&mut file, command);
        atomic::remove_stale_temps(path)
            .map_err(|e| StoreError::io("clean up temp files in", path, e))?;
        Ok(DataDir {
            path: path.to_path_buf(),
            lock: Arc::new(DirLock { file }),
            fixed_mode,
            new_database: std::sync::Mutex::new(None),
        })
    }

    /// The mode the data dir had when [`DataDir::open`] found it open to other users and
    /// changed it to 0700; `None` if it was private already (or just created).
    pub fn fixed_permissions(&self) -> Option<u32> {
        self.fixed_mode
    }

    /// The data dir's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if a storage identity is set up: `identity.age` (passphrase mode) or `recipient`
    /// (identity-file mode) exists.
    pub fn is_initialized(&self) -> bool {
        is_initialized(&self.path)
    }

    /// True if the storage identity is passphrase-protected (`identity.age` exists).
    pub fn has_passphrase(&self) -> bool {
        self.file(IDENTITY_FILE).exists()
    }

    /// Makes this new data dir keep its records in `database` (a PostgreSQL schema of their
    /// own) instead of `records.sqlite`: writes the `database` file that names it. Call it
    /// before the wallet is created; refuses if the dir is initialized.
    pub fn use_database(&self, database: &Postgres) -> Result<(), StoreError> {
        self.refuse_if_initialized()?;
        // Written with the wallet's first record, under its storage identity's tag.
        *self
            .new_database
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(database.clone());
        Ok(())
    }

    /// Moves every record of `store` (this data dir's, unlocked) to `to`: a new PostgreSQL
    /// schema, or with `None` back to `records.sqlite`. The records are re-sealed under the
    /// new database's own data key in the transaction that creates it; then the data dir
    /// switches to it (the `database` file is written, or removed), and the old copy is
    /// destroyed (an old copy is what a rollback would be made from).
    ///
    /// A crash before the switch leaves the data dir on its old records (the new copy is
    /// never used: run the move again); after it, on the new ones.
    pub fn move_records(&self, store: Store, to: Option<&Postgres>) -> Result<Moved, StoreError> {
        let Some(old) = store.reader.db.clone() else {
            return Err(StoreError::NotInitialized {
                path: self.path.clone(),
            });
        };
        let identity = store.reader.identity.clone();
        let record_key = auth::RecordKey::derive(&identity);
        // Where the open store's records are (not the `database` file read again).
        let from = old.location().clone();
        let target = match (to, &from) {
            (None, backend::Location::Sqlite(_)) => {
                return Err(StoreError::Database {
                    path: from.label(),
                    reason: "the records are there already".into(),
                })
            }
            (Some(pg), _) => backend::Location::Postgres(Box::new(pg.clone())),
            (None, backend::Location::Postgres(_)) => {
                let file = self.path.join(DB_FILE);
                // Not in use (the `database` file wins): a copy an interrupted move left.
                backend::Location::Sqlite(file.clone()).destroy()?;
                backend::Location::Sqlite(file)
            }
        };
        let records = old.export()?;
        let count = records.len();
        let db = db::Db::create_at(&target, &identity, &record_key, records)?;
        // Still the writer of what was exported: a copy of the data dir (a standby) that
        // took the records over meanwhile may have written since.
        let switched = old.confirm_writer().and_then(|()| match to {
            Some(pg) => backend::Location::write_postgres(&self.path, pg, &record_key),
            None => backend::Location::forget_postgres(&self.path),
        });
        if let Err(e) = switched {
            // Still on the old records: the full new copy must not stay behind.
            drop(db);
            let _ = target.destroy();
            return Err(e);
        }
        // A copy of the data dir made before the move (a standby) must not serve from the old
        // schema once this writer lets go of its lock: marked as moved while it is held. If
        // that fails, the old copy is left for the operator, not destroyed: someone else may
        // write it now.
        let marked = match &from {
            backend::Location::Postgres(_) => old.mark_moved(),
            backend::Location::Sqlite(_) => Ok(()),
        };
        // The old database's connection (and its writer lock) goes with the old store.
        drop((old, store));
        let left_behind = marked
            .and_then(|()| from.destroy())
            .err()
            .map(|e| (from.label().display().to_string(), e));
        let store = self.unlocked(identity, db);
        Ok(Moved {
            store,
            records: count,
            left_behind,
        })
    }

    /// Where the records are: `records.sqlite`'s path, or the PostgreSQL schema.
    pub fn records_location(&self) -> Result<String, StoreError> {
        records_location(&self.path)
    }

    /// Creates a new random X25519 storage identity and saves it as `identity.age`,
    /// encrypted to `passphrase` with scrypt work factor `work_factor` (log2 N; see
    /// [`DEFAULT_WORK_FACTOR`]); also writes `recipient`. Refuses if the dir is initialized.
    pub fn create_with_passphrase(
        &self,
        passphrase: &SecretString,
        work_factor: u8,
    ) -> Result<Store, StoreError> {
        check_new_passphrase(passphrase, work_factor)?;
        self.refuse_if_initialized()?;
        let identity = x25519::Identity::generate();
        // identity.age first: a crash before `recipient` is written leaves a wallet that
        // unlocks with the passphrase (the other order would leave a recipient without
        // identity).
        self.write_identity_age(&identity, passphrase, work_factor)?;
        self.write_recipient(&identity.to_public())?;
        Ok(self.store(identity, false)?.0)
    }

    /// Sets up identity-file mode: the storage identity is the one in `file` (a plain age
    /// identity file holding exactly one X25519 identity); only its public recipient is
    /// written, to `recipient`. Refuses if the dir is initialized.
    pub fn create_with_identity_file(&self, file: &Path) -> Result<Store, StoreError> {
        let mut identities = identity::read_identity_file(file)?;
        if identities.len() != 1 {
            return Err(StoreError::BadIdentityFile {
                path: file.to_path_buf(),
                reason: format!(
                    "it holds {} identities; give a file with exactly one",
                    identities.len()
                ),
            });
        }
        self.refuse_if_initialized()?;
        let identity = identities.remove(0);
        self.write_recipient(&identity.to_public())?;
        Ok(self.store(identity, false)?.0)
    }

    /// Unlocks the storage identity and opens the records database, checking it against
    /// its sealed summary. A data dir of an older release, whose records are still one
    /// `*.age` file each, is refused ([`StoreError::NotMigrated`]) until
    /// [`DataDir::unlock_upgrading`] (`asyncpay wallet upgrade`) moves them in.
    ///
    /// Errors: [`StoreError::NotInitialized`]; [`StoreError::WrongPassphrase`];
    /// [`StoreError::NoPassphrase`] (a passphrase for an identity-file wallet);
    /// [`StoreError::IdentityMismatch`] (an identity file without this wallet's identity);
    /// [`StoreError::BadIdentityFile`]; [`StoreError::Corrupt`] /
    /// [`StoreError::UnsupportedVersion`] for a damaged or newer `identity.age` or
    /// `recipient`.
    pub fn unlock(&self, unlock: &Unlock) -> Result<Store, StoreError> {
        Ok(self.store(unlock_identity(&self.path, unlock)?, false)?.0)
    }

    /// Opens the store again with a storage key an earlier unlock of this data dir gave
    /// ([`Store::key`]): a REPL session unlocks once and takes the lock per command.
    /// [`StoreError::Corrupt`] if the data dir holds another wallet now.
    pub fn unlock_with_key(&self, key: &StorageKey) -> Result<Store, StoreError> {
        check_key(&self.path, key)?;
        Ok(self.store(key.0.clone(), false)?.0)
    }

    /// [`DataDir::unlock`] for `asyncpay wallet upgrade`: moves the state files of an older
    /// release into a new database, in the transaction that creates it (the files are
    /// removed once it has committed). Each file must carry this identity's tag, or none
    /// may (a release from before record authentication): an untagged file next to tagged
    /// ones, or a wrong tag, is [`StoreError::Forged`] and stops the upgrade with nothing
    /// written. Returns the files moved (none if the dir has its database already). Run it
    /// only on a data dir you trust: it vouches for whatever is there.
    pub fn unlock_upgrading(&self, unlock: &Unlock) -> Result<(Store, Vec<PathBuf>), StoreError> {
        self.store(unlock_identity(&self.path, unlock)?, true)
    }

    /// Re-encrypts the storage identity to a `new` passphrase, atomically replacing
    /// `identity.age` (the state files are untouched: they are encrypted to the recipient,
    /// which does not change). `current` may be the old passphrase or, to move an
    /// identity-file wallet to a passphrase, its identity file.
    pub fn change_passphrase(
        &self,
        current: &Unlock,
        new: &SecretString,
        work_factor: u8,
    ) -> Result<(), StoreError> {
        check_new_passphrase(new, work_factor)?;
        let store = self.unlock(current)?;
        if !self.file(RECIPIENT_FILE).exists() {
            self.write_recipient(&store.reader.recipient)?;
        }
        self.write_identity_age(&store.reader.identity, new, work_factor)
    }

    /// The storage identity as `AGE-SECRET-KEY-1...`, for an explicit export (e.g. to keep
    /// it in an identity file). Whoever has it can read every state file.
    pub fn export_identity(&self, store: &Store) -> SecretString {
        store.reader.identity.to_string()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The store of this data dir, its database created if it has none. State files of the
    /// format before the database are imported only when `upgrading` (`wallet upgrade`):
    /// found by a plain unlock, they are refused ([`StoreError::NotMigrated`]), so that
    /// files kept from before the migration can never come back silently in place of a
    /// database someone removed.
    fn store(
        &self,
        identity: x25519::Identity,
        upgrading: bool,
    ) -> Result<(Store, Vec<PathBuf>), StoreError> {
        let record_key = auth::RecordKey::derive(&identity);
        let new_database = self
            .new_database
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let new_postgres = new_database.is_some();
        if let Some(pg) = new_database {
            backend::Location::write_postgres(&self.path, &pg, &record_key)?;
        }
        let mut moved = Vec::new();
        let db = db::Db::open_or_create(&self.path, &identity, &record_key, new_postgres, || {
            if !upgrading {
                let mut files = Vec::new();
                collect_state_files(&self.path, &mut files)?;
                if !files.is_empty() {
                    return Err(StoreError::NotMigrated {
                        path: self.path.clone(),
                    });
                }
                return Ok(Vec::new());
            }
            let legacy = Legacy::read(&self.path, &identity, &record_key)?;
            moved = legacy.files;
            Ok(legacy.records)
        })?;
        // The files are in the committed database now. Copies a crash left before they were
        // all gone are removed at the next open: nothing reads them, and they must not be
        // there to import again if the database were ever taken away.
        if moved.is_empty() {
            let mut leftovers = Vec::new();
            collect_state_files(&self.path, &mut leftovers)?;
            remove_migrated(&self.path, &leftovers)?;
        } else {
            remove_migrated(&self.path, &moved)?;
        }
        // A `records.sqlite` beside a `database` file is a copy a move to PostgreSQL left
        // (it crashed, or could not remove it): nothing reads it, and it must not be there
        // to come back if the `database` file were ever taken away.
        if let backend::Location::Postgres(_) = db.location() {
            backend::Location::Sqlite(self.path.join(DB_FILE)).destroy()?;
        }
        let store = self.unlocked(identity, db);
        Ok((store, moved))
    }

    /// The store over `db`, this data dir's open database, holding the lock.
    fn unlocked(&self, identity: x25519::Identity, mut db: db::Db) -> Store {
        db.hold_lock(Arc::clone(&self.lock));
        Store {
            reader: ReadOnlyStore {
                dir: self.path.clone(),
                recipient: identity.to_public(),
                identity,
                db: Some(Arc::new(db)),
            },
            lock: Some(Arc::clone(&self.lock)),
        }
    }

    fn refuse_if_initialized(&self) -> Result<(), StoreError> {
        if self.is_initialized() {
            return Err(StoreError::AlreadyInitialized {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn write_identity_age(
        &self,
        identity: &x25519::Identity,
        passphrase: &SecretString,
        work_factor: u8,
    ) -> Result<(), StoreError> {
        let path = self.file(IDENTITY_FILE);
        let plaintext = identity::identity_plaintext(identity);
        let ciphertext =
            identity::encrypt_to_passphrase(plaintext.as_bytes(), passphrase, work_factor)
                .map_err(|e| encrypt_error(&path, e))?;
        write_atomic(&path, &ciphertext).map_err(|e| StoreError::io("write", &path, e))
    }

    fn write_recipient(&self, recipient: &x25519::Recipient) -> Result<(), StoreError> {
        let path = self.file(RECIPIENT_FILE);
        write_atomic(&path, identity::recipient_text(recipient).as_bytes())
            .map_err(|e| StoreError::io("write", &path, e))
    }
}

/// Where the records of data dir `dir` are, to show: `records.sqlite`'s path, or the
/// PostgreSQL URL and schema its `database` file names (read without checking its tag:
/// only an unlocked store checks it, before it connects).
pub fn records_location(dir: &Path) -> Result<String, StoreError> {
    Ok(backend::Location::of(dir, None)?
        .label()
        .display()
        .to_string())
}

/// Whether the records of data dir `dir` live in PostgreSQL (its `database` file, read
/// without checking its tag, as [`records_location`]).
pub fn records_in_postgres(dir: &Path) -> Result<bool, StoreError> {
    Ok(matches!(
        backend::Location::of(dir, None)?,
        backend::Location::Postgres(_)
    ))
}

/// What [`Store::writer_turn`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterTurn {
    /// Another copy of the data dir wrote the PostgreSQL records since this one did.
    pub copied: bool,
    /// The latest request stamp this copy refused at its last turn (0: none).
    pub floor: u64,
}

/// The data dir file marking the copy of the data dir that last took its turn writing its
/// PostgreSQL records ([`Store::take_writer_turn`]).
const WRITER_FILE: &str = "writer";
/// The first words of [`WRITER_FILE`] (its format version).
const WRITER_MAGIC: &str = "asyncpay-writer v1 ";

/// The data dir `dir` itself, as [`WRITER_FILE`] names it: its device and inode, and the
/// machine's boot (a clone of the whole disk, booted elsewhere, is another place).
fn writer_place(dir: &Path) -> Result<String, StoreError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).map_err(|e| StoreError::io("read", dir, e))?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Ok(format!("{}:{}:{}", meta.dev(), meta.ino(), boot.trim()))
}

/// What [`DataDir::move_records`] did.
#[derive(Debug)]
pub struct Moved {
    /// The store at the records' new place.
    pub store: Store,
    /// How many records moved.
    pub records: usize,
    /// The old copy, if it could not be destroyed, and why (the operator should remove it).
    pub left_behind: Option<(String, StoreError)>,
}

/// An unlocked data dir: the storage identity in memory (zeroized on drop; `Debug` shows only
/// the recipient). Keeps the data dir's lock alive. Reads like a [`ReadOnlyStore`] (see
/// [`Store::read_only`]) and also writes.
pub struct Store {
    reader: ReadOnlyStore,
    /// `None`: a detached store ([`Store::detached`]), which cannot write.
    lock: Option<Arc<DirLock>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.reader.dir)
            .field("recipient", &self.reader.recipient.to_string())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store over a read-only view of a data dir another process holds: it reads as a
    /// [`ReadOnlyStore`] does, and every write fails with [`StoreError::InUse`] naming the
    /// holder. For commands that only read (a balance, a list) while, say, `server run`
    /// holds the wallet: they run the same code and skip their saves
    /// ([`Store::is_detached`]).
    pub fn detached(reader: ReadOnlyStore) -> Store {
        Store { reader, lock: None }
    }

    /// True for a [`Store::detached`] store: it holds no lock and cannot write.
    pub fn is_detached(&self) -> bool {
        self.lock.is_none()
    }

    /// The storage key, to open this data dir again without the passphrase
    /// ([`DataDir::unlock_with_key`]). Whoever has it can read every record: keep it in
    /// memory only.
    pub fn key(&self) -> StorageKey {
        self.reader.key()
    }

    /// The storage recipient the data key (and nothing else written from now on) is
    /// encrypted to.
    pub fn recipient(&self) -> x25519::Recipient {
        self.reader.recipient()
    }

    /// The data dir's path.
    pub fn dir(&self) -> &Path {
        self.reader.dir()
    }

    /// The records database (`records.sqlite` in the data dir).
    pub fn database_path(&self) -> PathBuf {
        self.db().path().to_path_buf()
    }

    /// Loads `T`, or `None` if it was never saved. Reads only.
    ///
    /// Errors: [`StoreError::Forged`] (not sealed by this wallet's data key at this place),
    /// [`StoreError::Corrupt`] (wrong kind, invalid data), [`StoreError::UnsupportedVersion`]
    /// (newer version), [`StoreError::MigrationFailed`] (older version that `T::migrate`
    /// refused), [`StoreError::Database`].
    pub fn load<T: StateFile>(&self) -> Result<Option<T>, StoreError> {
        self.reader.load()
    }

    /// Loads the `key` instance of a keyed `T` (one record per channel, say): keys are
    /// `a-z`, `0-9`, `-` and `_`.
    pub fn load_keyed<T: StateFile>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.reader.load_keyed(key)
    }

    /// The keys of every stored instance of a keyed `T`, sorted.
    pub fn keys_of<T: StateFile>(&self) -> Result<Vec<String>, StoreError> {
        self.reader.keys_of::<T>()
    }

    /// A read-only view of this store (the same storage identity and database; it does not
    /// hold the lock).
    pub fn read_only(&self) -> ReadOnlyStore {
        self.reader.clone()
    }

    /// Saves the `key` instance of a keyed `T`, in a transaction of its own.
    pub fn save_keyed<T: StateFile>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.transaction(|tx| tx.save_keyed(key, value))
    }

    /// Saves `value`, in a transaction of its own: serialized in its envelope, sealed under
    /// the data key and committed durably. The plaintext never touches the disk.
    pub fn save<T: StateFile>(&self, value: &T) -> Result<(), StoreError> {
        self.transaction(|tx| tx.save(value))
    }

    /// Removes the `key` instance of a keyed `T`, in a transaction of its own; false if
    /// there was none.
    pub fn remove_keyed<T: StateFile>(&self, key: &str) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.remove_keyed::<T>(key))
    }

    /// Runs `f` as one transaction: every save and removal it makes is committed together
    /// (durably, before this returns, unless [`Store::defer_durability`] was called: then
    /// at the next [`Store::sync`]) if it returns `Ok`, and none of them if it returns
    /// `Err` or panics. A protocol step saves its consumed nonce, its channel state and its
    /// payment record in one of these before the message that depends on them leaves.
    pub fn transaction<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Txn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        if self.lock.is_none() {
            let lock_path = self.reader.dir.join(LOCK_FILE);
            return Err(StoreError::InUse {
                path: self.reader.dir.clone(),
                holder: open_lock_file(&lock_path, false)
                    .ok()
                    .and_then(|f| holder::read_from(&f)),
            }
            .into());
        }
        self.db().write(f)
    }

    /// Group commit (ADR 0014): from now on a transaction returns once committed to the
    /// write-ahead log, not synced, and [`Store::sync`] makes every commit so far durable
    /// with one sync for all the commits waiting. For a process that answers many requests
    /// at once (S): it must call [`Store::sync`] before anything that depends on a commit
    /// leaves it (an answer, a published transaction). False, and nothing changes, for a
    /// PostgreSQL store (the server groups its commits itself).
    pub fn defer_durability(&self) -> bool {
        self.db().defer_durability()
    }

    /// Returns once every commit made before the call is durable (see
    /// [`Store::defer_durability`]; at once if durability is not deferred). A failed sync
    /// fails this and every later sync and write: restart the process.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.db().sync()
    }

    /// Why this writer must stop, if it must (final): a sync failed (nothing committed since
    /// the last good one can be vouched for, and every later sync and write fails), or
    /// another process took over its PostgreSQL schema ([`Store::confirm_writer`]).
    pub fn must_stop(&self) -> Option<String> {
        self.db().must_stop()
    }

    /// With the records in PostgreSQL: whether a copy of this data dir other than this one
    /// (on another machine, or this one restored or cloned) wrote them since this one last
    /// took its turn as their writer, and the floor this copy kept from its last turn
    /// ([`Store::take_writer_turn`], ADR 0018). The copy that writes is marked in the
    /// schema and in the data dir's `writer` file, which names the data dir itself (its
    /// device and inode, and the machine's boot): a copy of the directory is another
    /// directory. A schema never marked (before this release) counts as written by this
    /// copy. Nothing to say with SQLite.
    pub fn writer_turn(&self) -> Result<WriterTurn, StoreError> {
        if !records_in_postgres(&self.reader.dir)? {
            return Ok(WriterTurn::default());
        }
        let here = writer_place(&self.reader.dir)?;
        let kept = std::fs::read_to_string(self.reader.dir.join(WRITER_FILE))
            .ok()
            .and_then(|text| {
                let mut words = text.strip_prefix(WRITER_MAGIC)?.split_whitespace();
                let (mark, place, floor) = (words.next()?, words.next()?, words.next()?);
                (place == here).then(|| (mark.to_owned(), floor.parse().unwrap_or(0)))
            });
        let in_schema = self.db().writer_mark()?;
        let copied =
            in_schema.is_some_and(|m| kept.as_ref().is_none_or(|(ours, _)| m != ours.as_bytes()));
        Ok(WriterTurn {
            copied,
            floor: kept.map_or(0, |(_, floor)| floor),
        })
    }

    /// Takes this copy's turn as the writer of the PostgreSQL records: a new mark, with
    /// `floor` (the latest request stamp S refuses, kept across restarts until it has
    /// passed), goes into the data dir's `writer` file, then the mark into the schema. The
    /// file is written first: a crash in between makes the next start think another copy
    /// wrote, the safe side. From then on another mark in the schema means this writer was
    /// taken over. Nothing to do with SQLite.
    pub fn take_writer_turn(&self, floor: u64) -> Result<(), StoreError> {
        if !records_in_postgres(&self.reader.dir)? {
            return Ok(());
        }
        let file = self.reader.dir.join(WRITER_FILE);
        let here = writer_place(&self.reader.dir)?;
        let mut mark = [0u8; 16];
        getrandom::fill(&mut mark).map_err(|e| StoreError::Database {
            path: self.database_path(),
            reason: format!("no randomness for a writer mark: {e}"),
        })?;
        let mark = crate::protocol::hex::encode(&mark);
        write_atomic(
            &file,
            format!("{WRITER_MAGIC}{mark} {here} {floor}\n").as_bytes(),
        )
        .map_err(|e| StoreError::io("write", &file, e))?;
        self.db().mark_writer(mark.as_bytes())
    }

    /// With the records in PostgreSQL: fails with [`StoreError::TakenOver`] (final) if
    /// another process took over the schema, e.g. a standby copy of the data dir while this
    /// one had lost its session. Nothing to check with SQLite.
    pub fn confirm_writer(&self) -> Result<(), StoreError> {
        self.db().confirm_writer()
    }

    /// [`Store::sync`] as a function of its own, for what must sync this store before it
    /// acts (S's chain source, before each broadcast). It does not keep the database open:
    /// once the store is closed it has nothing to sync.
    pub fn syncer(&self) -> impl Fn() -> Result<(), StoreError> + Send + Sync + 'static {
        let db = self.reader.db.as_ref().map(Arc::downgrade);
        move || match db.as_ref().and_then(std::sync::Weak::upgrade) {
            Some(db) => db.sync(),
            None => Ok(()),
        }
    }

    /// Whether a commit may not be durable yet: [`Store::sync`] has work to do.
    pub fn sync_pending(&self) -> bool {
        self.db().sync_pending()
    }

    /// How many commits were deferred and how many syncs made them durable.
    pub fn group_stats(&self) -> GroupStats {
        self.db().group_stats()
    }

    fn db(&self) -> &db::Db {
        self.reader
            .db
            .as_deref()
            .expect("a writable store always has its database")
    }
}

/// The state files an older asyncpay left in a data dir (`*.age` but `identity.age`), ready
/// to be carried into `records.sqlite`.
struct Legacy {
    records: Vec<db::Imported>,
    files: Vec<PathBuf>,
}

impl Legacy {
    /// Reads every legacy state file of `dir`. Each must carry this identity's tag, or none
    /// may (as a release from before authentication left the dir): an untagged file next to
    /// tagged ones was put there by someone else ([`StoreError::Forged`]).
    fn read(
        dir: &Path,
        identity: &x25519::Identity,
        record_key: &auth::RecordKey,
    ) -> Result<Legacy, StoreError> {
        let mut files = Vec::new();
        collect_state_files(dir, &mut files)?;
        files.sort();
        let mut records = Vec::new();
        let mut untagged = Vec::new();
        for path in &files {
            let ciphertext = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
            if ciphertext.is_empty() {
                return Err(StoreError::corrupt(path, "is empty (truncated)"));
            }
            let plaintext = identity::decrypt_with(identity, &ciphertext)
                .map_err(|e| StoreError::corrupt(path, identity::decrypt_failure_reason(&e)))?;
            let (coll, key) = legacy_record_id(dir, path);
            let envelope = match record_key.open(&legacy_tag_id(dir, path), &plaintext) {
                Ok(envelope) => envelope,
                Err(auth::AuthFailure::Forged) => {
                    return Err(StoreError::Forged { path: path.clone() })
                }
                Err(auth::AuthFailure::Unauthenticated) => {
                    untagged.push(path.clone());
                    &plaintext[..]
                }
            };
            records.push(db::Imported {
                coll,
                key,
                envelope: zeroize::Zeroizing::new(envelope.to_vec()),
            });
        }
        if let Some(path) = untagged.first().filter(|_| untagged.len() < files.len()) {
            return Err(StoreError::Forged { path: path.clone() });
        }
        Ok(Legacy { records, files })
    }
}

/// The record a legacy state file becomes: `seed.age` → (`seed.age`, ``), `channels/x.age`
/// → (`channels`, `x`).
fn legacy_record_id(dir: &Path, path: &Path) -> (String, String) {
    let id = legacy_tag_id(dir, path);
    match id.split_once('/') {
        Some((coll, file)) => (
            coll.to_owned(),
            file.strip_suffix(".age").unwrap_or(file).to_owned(),
        ),
        None => (id, String::new()),
    }
}

/// A legacy state file's place as its tag binds it: the path relative to the data dir with
/// `/` separators (`seed.age`, `channels/<id>.age`).
fn legacy_tag_id(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `*.age` state file under `dir` (not `identity.age`, not temp files).
fn collect_state_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), StoreError> {
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("read", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("read", dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map_err(|e| StoreError::io("read", &path, e))?;
        if kind.is_dir() && !name.starts_with('.') {
            collect_state_files(&path, out)?;
        } else if kind.is_file()
            && name.ends_with(".age")
            && !name.starts_with('.')
            && name != IDENTITY_FILE
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Removes the legacy files now in the database, and the directories they leave empty.
fn remove_migrated(dir: &Path, files: &[PathBuf]) -> Result<(), StoreError> {
    for file in files {
        match fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("remove", file, e)),
        }
        if let Some(parent) = file.parent().filter(|p| *p != dir) {
            let _ = fs::remove_dir(parent); // only succeeds once empty
        }
    }
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("sync", dir, e))
}

/// A data dir opened for reading only, *without* its lock (see the module documentation):
/// for a process that reads next to another one holding the lock, e.g. the operator's
/// `server sales` next to a running `server run`. Opening and unlocking create, remove and
/// change nothing.
#[derive(Debug, Clone)]
pub struct ReadOnlyDir {
    path: PathBuf,
}

impl ReadOnlyDir {
    /// Opens the data dir at `path` without taking its lock and without touching it:
    /// [`StoreError::NotInitialized`] if it is not a directory (it is never created).
    pub fn open(path: &Path) -> Result<ReadOnlyDir, StoreError> {
        if !path.is_dir() {
            return Err(StoreError::NotInitialized {
                path: path.to_path_buf(),
            });
        }
        Ok(ReadOnlyDir {
            path: path.to_path_buf(),
        })
    }

    /// The data dir's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if a storage identity is set up (see [`DataDir::is_initialized`]).
    pub fn is_initialized(&self) -> bool {
        is_initialized(&self.path)
    }

    /// Unlocks the storage identity, with the errors of [`DataDir::unlock`]. Reads only.
    pub fn unlock(&self, unlock: &Unlock) -> Result<ReadOnlyStore, StoreError> {
        self.open_store(unlock_identity(&self.path, unlock)?)
    }

    /// [`ReadOnlyDir::unlock`] with a key an earlier unlock gave (see
    /// [`DataDir::unlock_with_key`]).
    pub fn unlock_with_key(&self, key: &StorageKey) -> Result<ReadOnlyStore, StoreError> {
        check_key(&self.path, key)?;
        self.open_store(key.0.clone())
    }

    fn open_store(&self, identity: x25519::Identity) -> Result<ReadOnlyStore, StoreError> {
        let record_key = auth::RecordKey::derive(&identity);
        let db = db::Db::open_read_only(&self.path, &identity, &record_key)?;
        if db.is_none() {
            let mut files = Vec::new();
            collect_state_files(&self.path, &mut files)?;
            if !files.is_empty() {
                return Err(StoreError::NotMigrated {
                    path: self.path.clone(),
                });
            }
        }
        Ok(ReadOnlyStore {
            dir: self.path.clone(),
            recipient: identity.to_public(),
            identity,
            db: db.map(Arc::new),
        })
    }
}

/// An unlocked data dir that can only be read: no method writes, and it holds no lock. Made
/// by [`ReadOnlyDir::unlock`] or [`Store::read_only`]. The storage identity is in memory
/// (zeroized on drop; `Debug` shows only the recipient).
#[derive(Clone)]
pub struct ReadOnlyStore {
    dir: PathBuf,
    identity: x25519::Identity,
    recipient: x25519::Recipient,
    /// `None`: the data dir has no database yet (nothing saved): every read finds nothing.
    db: Option<Arc<db::Db>>,
}

impl fmt::Debug for ReadOnlyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOnlyStore")
            .field("dir", &self.dir)
            .field("recipient", &self.recipient.to_string())
            .finish_non_exhaustive()
    }
}

impl ReadOnlyStore {
    /// The sealed digest's counter, read again now (each record checked against the digest
    /// if it changed; a counter below one seen before is [`StoreError::RolledBack`]): every
    /// commit that saves a record moves it forward. 0 without a database.
    pub fn records_counter(&self) -> Result<u64, StoreError> {
        match &self.db {
            Some(db) => db.records_counter(),
            None => Ok(0),
        }
    }

    /// The storage key (see [`Store::key`]).
    pub fn key(&self) -> StorageKey {
        StorageKey(self.identity.clone())
    }

    /// The storage recipient the data key is encrypted to.
    pub fn recipient(&self) -> x25519::Recipient {
        self.recipient.clone()
    }

    /// The data dir's path.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads `T`, or `None` if it was never saved (see [`Store::load`]).
    pub fn load<T: StateFile>(&self) -> Result<Option<T>, StoreError> {
        match &self.db {
            Some(db) => db.load(&db::RecordId::single::<T>()),
            None => Ok(None),
        }
    }

    /// Loads the `key` instance of a keyed `T`.
    pub fn load_keyed<T: StateFile>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let id = db::RecordId::keyed::<T>(&self.dir.join(DB_FILE), key)?;
        match &self.db {
            Some(db) => db.load(&id),
            None => Ok(None),
        }
    }

    /// The keys of every stored instance of a keyed `T`, sorted.
    pub fn keys_of<T: StateFile>(&self) -> Result<Vec<String>, StoreError> {
        match &self.db {
            Some(db) => db.keys_of(T::FILE),
            None => Ok(Vec::new()),
        }
    }
}

/// An unlocked storage identity, kept in memory to open its data dir again without the
/// passphrase (a REPL session, a wait that lets go of the lock between polls). Zeroized on
/// drop; `Debug` shows nothing of it.
#[derive(Clone)]
pub struct StorageKey(x25519::Identity);

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageKey({})", self.0.to_public())
    }
}

/// Refuses `key` for the data dir at `dir` unless its recipient is the one the dir records
/// (the dir was replaced by another wallet's since the key was taken).
fn check_key(dir: &Path, key: &StorageKey) -> Result<(), StoreError> {
    if !is_initialized(dir) {
        return Err(StoreError::NotInitialized {
            path: dir.to_path_buf(),
        });
    }
    match recorded_recipient(dir)? {
        Some(r) if r.to_string() != key.0.to_public().to_string() => Err(StoreError::corrupt(
            &dir.join(RECIPIENT_FILE),
            "names another wallet than the one unlocked earlier (was the data dir replaced?); \
             unlock it again",
        )),
        _ => Ok(()),
    }
}

/// The path named in the errors of the file-less decoders below.
const UNNAMED_FILE: &str = "<state file>";

/// Decodes the decrypted plaintext of a state file: the `{"kind","version","data"}`
/// envelope of `T` (kind checked, newer versions refused, older ones migrated). This is the
/// decoder [`Store::load`] runs after decryption; it is public so that these untrusted bytes
/// can be fuzzed and checked without a data dir. Errors name the file `<state file>`.
pub fn decode_state_plaintext<T: StateFile>(plaintext: &[u8]) -> Result<T, StoreError> {
    envelope::decode::<T>(Path::new(UNNAMED_FILE), plaintext)
}

/// The plaintext [`Store::save`] encrypts for `value` (the inverse of
/// [`decode_state_plaintext`]), in a zeroizing buffer: it may hold secrets, never write it
/// anywhere unencrypted.
pub fn encode_state_plaintext<T: StateFile>(
    value: &T,
) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
    envelope::encode(value).map_err(|e| StoreError::Serialize {
        path: PathBuf::from(UNNAMED_FILE),
        reason: e.to_string(),
    })
}

/// Decrypts the bytes of a state file with the storage `identity` and decodes them as
/// [`Store::load`] does with a file's contents, except that it does *not* check the
/// authentication tag (it has no file, so no record id; a tag present is skipped). Public
/// for fuzzing the whole read path of untrusted bytes; never a way to read a record.
pub fn decode_state_ciphertext<T: StateFile>(
    identity: &x25519::Identity,
    ciphertext: &[u8],
) -> Result<T, StoreError> {
    let path = Path::new(UNNAMED_FILE);
    if ciphertext.is_empty() {
        return Err(StoreError::corrupt(path, "is empty (truncated)"));
    }
    let plaintext = identity::decrypt_with(identity, ciphertext)
        .map_err(|e| StoreError::corrupt(path, identity::decrypt_failure_reason(&e)))?;
    envelope::decode::<T>(path, auth::strip_unchecked(&plaintext))
}

/// Parses the text of a data dir's `recipient` file (public for fuzzing; errors name it
/// `<state file>`).
pub fn parse_recipient_file(text: &str) -> Result<x25519::Recipient, StoreError> {
    identity::parse_recipient_text(Path::new(UNNAMED_FILE), text)
}

/// Parses the decrypted plaintext of `identity.age` (public for fuzzing; errors name it
/// `<state file>`).
pub fn parse_identity_plaintext(text: &str) -> Result<x25519::Identity, StoreError> {
    identity::parse_identity_plaintext(Path::new(UNNAMED_FILE), text)
}

/// True if the data dir at `dir` holds a wallet (a storage identity:
/// `identity.age` or `recipient`).
pub fn is_initialized(dir: &Path) -> bool {
    dir.join(IDENTITY_FILE).exists() || dir.join(RECIPIENT_FILE).exists()
}

/// Unlocks the storage identity of the data dir `dir`, reading only.
fn unlock_identity(dir: &Path, unlock: &Unlock) -> Result<x25519::Identity, StoreError> {
    if !is_initialized(dir) {
        return Err(StoreError::NotInitialized {
            path: dir.to_path_buf(),
        });
    }
    match unlock {
        Unlock::Passphrase(passphrase) => unlock_with_passphrase(dir, passphrase),
        Unlock::IdentityFile(file) => unlock_with_identity_file(dir, file),
    }
}

/// The recipient recorded in `recipient`, if the file exists.
fn recorded_recipient(dir: &Path) -> Result<Option<x25519::Recipient>, StoreError> {
    let path = dir.join(RECIPIENT_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| StoreError::corrupt(&path, "is not UTF-8 text"))?;
            identity::parse_recipient_text(&path, text).map(Some)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", &path, e)),
    }
}

fn unlock_with_passphrase(
    dir: &Path,
    passphrase: &SecretString,
) -> Result<x25519::Identity, StoreError> {
    let path = dir.join(IDENTITY_FILE);
    let ciphertext = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StoreError::NoPassphrase {
                path: dir.to_path_buf(),
            })
        }
        Err(e) => return Err(StoreError::io("read", &path, e)),
    };
    let mut key = age::scrypt::Identity::new(passphrase.clone());
    key.set_max_work_factor(MAX_WORK_FACTOR);
    let plaintext = identity::decrypt_with(&key, &ciphertext).map_err(|e| match e {
        age::DecryptError::DecryptionFailed => StoreError::WrongPassphrase { path: path.clone() },
        age::DecryptError::NoMatchingKeys => StoreError::corrupt(
            &path,
            "is not passphrase-encrypted (was another file copied over it?)",
        ),
        other => StoreError::corrupt(&path, identity::decrypt_failure_reason(&other)),
    })?;
    let text = std::str::from_utf8(&plaintext)
        .map_err(|_| StoreError::corrupt(&path, "decrypts, but is not UTF-8 text"))?;
    let identity = identity::parse_identity_plaintext(&path, text)?;
    if let Some(recorded) = recorded_recipient(dir)? {
        if recorded != identity.to_public() {
            return Err(StoreError::corrupt(
                &dir.join(RECIPIENT_FILE),
                format!(
                    "names {recorded}, but identity.age holds the identity of {}",
                    identity.to_public()
                ),
            ));
        }
    }
    Ok(identity)
}

fn unlock_with_identity_file(dir: &Path, file: &Path) -> Result<x25519::Identity, StoreError> {
    let identities = identity::read_identity_file(file)?;
    let recorded = recorded_recipient(dir)?.ok_or_else(|| {
        StoreError::corrupt(
            &dir.join(RECIPIENT_FILE),
            "is missing, so an identity file cannot be checked against this wallet (unlock with the passphrase and change it to recreate the file)",
        )
    })?;
    identities
        .into_iter()
        .find(|i| i.to_public() == recorded)
        .ok_or_else(|| StoreError::IdentityMismatch {
            path: file.to_path_buf(),
            expected: recorded.to_string(),
        })
}

fn check_new_passphrase(passphrase: &SecretString, work_factor: u8) -> Result<(), StoreError> {
    if passphrase.expose_secret().is_empty() {
        return Err(StoreError::EmptyPassphrase);
    }
    if !(MIN_WORK_FACTOR..=MAX_WORK_FACTOR).contains(&work_factor) {
        return Err(StoreError::InvalidWorkFactor {
            found: work_factor,
            min: MIN_WORK_FACTOR,
            max: MAX_WORK_FACTOR,
        });
    }
    Ok(())
}

fn encrypt_error(path: &Path, error: age::EncryptError) -> StoreError {
    match error {
        age::EncryptError::Io(e) => StoreError::io("encrypt", path, e),
        other => StoreError::io("encrypt", path, io::Error::other(other.to_string())),
    }
}

/// Makes the existing data dir private: mode 0700 if any group or world bit is set. Returns
/// the old mode when it changed it.
fn make_private(path: &Path) -> Result<Option<u32>, StoreError> {
    let meta = fs::metadata(path).map_err(|e| StoreError::io("inspect", path, e))?;
    if !meta.is_dir() {
        return Err(StoreError::NotPrivate {
            path: path.to_path_buf(),
            problem: "is not a directory".to_owned(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|e| {
                StoreError::NotPrivate {
                    path: path.to_path_buf(),
                    problem: format!(
                        "has mode {mode:04o}, open to other users, and cannot be made private ({e})"
                    ),
                }
            })?;
            let now = fs::metadata(path)
                .map_err(|e| StoreError::io("inspect", path, e))?
                .permissions()
                .mode();
            if now & 0o077 != 0 {
                return Err(StoreError::NotPrivate {
                    path: path.to_path_buf(),
                    problem: format!("keeps mode {:04o} after a change to 0700", now & 0o7777),
                });
            }
            return Ok(Some(mode));
        }
    }
    Ok(None)
}

/// Opens the lock file at `path` (creating it, mode 0600, if `create`), refusing anything
/// asyncpay did not make there: the holder record is written into this file, so a link in
/// its place would have that write (a truncation) land in the file it points to, and a FIFO
/// or device would block or misbehave. On unix the open never follows a symbolic link
/// (`O_NOFOLLOW`) nor blocks (`O_NONBLOCK`), and what it opened must be a regular file of
/// this user with one link (a hard link to another file has two).
pub(crate) fn open_lock_file(path: &Path, create: bool) -> Result<File, StoreError> {
    let refuse = |problem: &str| StoreError::BadLockFile {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    };
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(create)
        .create(create)
        .truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        match e.raw_os_error() {
            Some(libc::ELOOP) => return refuse("is a symbolic link"),
            Some(libc::EISDIR) => return refuse("is a directory"),
            _ => {}
        }
        StoreError::io("open", path, e)
    })?;
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io("inspect", path, e))?;
    if !meta.file_type().is_file() {
        return Err(refuse("is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() != 1 {
            return Err(refuse(&format!(
                "has {} hard links (another name for the same file elsewhere)",
                meta.nlink()
            )));
        }
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Err(refuse(&format!(
                "belongs to another user (uid {})",
                meta.uid()
            )));
        }
    }
    Ok(file)
}

fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// A new wallet's store in `dir` (a weak work factor), its seed (a fixed regtest mnemonic)
/// saved: for the tests of other modules that need a real store.
#[cfg(test)]
pub(crate) fn test_store(dir: &Path) -> Store {
    std::env::set_var(INSECURE_WORK_FACTOR_ENV, "1");
    let store = DataDir::open(dir, LockWait::Fail)
        .unwrap()
        .create_with_passphrase(&SecretString::from("pw".to_owned()), 4)
        .unwrap();
    store.save(&tests::seed()).unwrap();
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn store_debug_hides_identity() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        let store = dir.create_with_passphrase(&pass("pw"), 2).unwrap();
        let secret = dir.export_identity(&store);
        let shown = format!("{store:?}");
        assert!(!shown.contains(secret.expose_secret()), "{shown}");
        assert!(!shown.contains("AGE-SECRET-KEY"), "{shown}");
        assert!(shown.contains(&store.recipient().to_string()));
    }

    #[test]
    fn work_factor_floor_outside_debug_builds() {
        // A release build (allow_weak = false) refuses the test suite's cheap factors.
        for weak in ["1", "10", "15"] {
            let err = parse_work_factor(weak, false).unwrap_err();
            assert!(err.contains("too weak"), "{err}");
            assert!(err.contains(WORK_FACTOR_ENV), "{err}");
        }
        assert_eq!(parse_work_factor("16", false), Ok(16));
        assert_eq!(parse_work_factor(" 18 ", false), Ok(18));
        assert_eq!(parse_work_factor("22", false), Ok(22));
        // Debug builds and the explicit testing variable allow them.
        assert_eq!(parse_work_factor("1", true), Ok(1));
        assert_eq!(parse_work_factor("10", true), Ok(10));
        for bad in ["0", "23", "255", "256", "-1", "", "abc", "1e3"] {
            assert!(parse_work_factor(bad, true).is_err(), "{bad}");
            assert!(parse_work_factor(bad, false).is_err(), "{bad}");
        }
        assert_eq!(
            weak_work_factor_allowed(),
            cfg!(debug_assertions)
                || std::env::var(INSECURE_WORK_FACTOR_ENV).is_ok_and(|v| v.trim() == "1")
        );
    }

    #[test]
    fn refuses_bad_new_passphrases() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        assert!(matches!(
            dir.create_with_passphrase(&pass(""), 10),
            Err(StoreError::EmptyPassphrase)
        ));
        assert!(matches!(
            dir.create_with_passphrase(&pass("x"), 0),
            Err(StoreError::InvalidWorkFactor { .. })
        ));
        assert!(matches!(
            dir.create_with_passphrase(&pass("x"), 64),
            Err(StoreError::InvalidWorkFactor { .. })
        ));
        assert!(!dir.is_initialized());
    }

    #[test]
    fn store_keeps_lock_alive() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        let store = dir.create_with_passphrase(&pass("pw"), 2).unwrap();
        drop(dir);
        assert!(DataDir::open(tmp.path(), LockWait::Fail)
            .unwrap_err()
            .is_in_use());
        drop(store);
        DataDir::open(tmp.path(), LockWait::Fail).unwrap();
    }

    /// A read-only handle made from the writer's store shares its database: it keeps the
    /// lock until the writer's close has run (a checkpoint, the mark of a clean stop), or
    /// the next writer would find the lock free and its data dir in the middle of a close.
    #[test]
    fn a_writers_read_only_handle_keeps_the_lock_until_the_writer_is_closed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = test_store(tmp.path());
        let clean_mark = wal::clean_path(&tmp.path().join(DB_FILE));
        let view = store.read_only();
        drop(store);
        assert!(DataDir::open(tmp.path(), LockWait::Fail)
            .unwrap_err()
            .is_in_use());
        assert!(!clean_mark.exists());
        assert!(view.load::<SeedFile>().unwrap().is_some());
        drop(view);
        assert!(clean_mark.exists());
        DataDir::open(tmp.path(), LockWait::Fail).unwrap();
    }

    /// Group commit (ADR 0014) syncs the very file SQLite writes the deferred commits to:
    /// the log at its path, by device and inode (a sync of any other file would vouch
    /// for commits that are not on disk).
    #[test]
    fn a_group_sync_syncs_the_log_sqlite_writes_to() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        let store = dir.create_with_passphrase(&pass("pw"), 2).unwrap();
        assert!(store.defer_durability());
        store.save(&seed()).unwrap();
        let fd = store
            .db()
            .deferred_log()
            .expect("a deferred commit names its log");
        let ours = fd.metadata().unwrap();
        let log = std::fs::metadata(tmp.path().join(format!("{DB_FILE}-wal"))).unwrap();
        assert_eq!((ours.dev(), ours.ino()), (log.dev(), log.ino()));
        assert!(ours.len() > 0, "the commit is in that file");
        store.sync().unwrap();
        assert!(!store.sync_pending());
    }

    pub(super) fn seed() -> SeedFile {
        SeedFile {
            mnemonic: "abandon ".repeat(11) + "about",
            network: "regtest".into(),
            created_at: 7,
            bip39_seed: None,
        }
    }

    /// A keyed state file for the tests (one file per key under `notes/`).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Note {
        n: u32,
    }

    impl StateFile for Note {
        const FILE: &'static str = "notes";
        const KIND: &'static str = "asyncpay/test-note";
        const VERSION: u32 = 1;
    }

    /// Every entry under `dir`, recursively: path, length, modification time.
    fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let mut all = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            all.push((entry.path(), meta.len(), meta.modified().unwrap()));
            if meta.is_dir() {
                all.extend(listing(&entry.path()));
            }
        }
        all.sort();
        all
    }

    #[test]
    fn read_only_reads_while_another_handle_holds_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        let store = dir.create_with_passphrase(&pass("pw"), 2).unwrap();
        store.save(&seed()).unwrap();
        store.save_keyed("a1", &Note { n: 1 }).unwrap();

        let ro = ReadOnlyDir::open(tmp.path()).unwrap();
        assert!(ro.is_initialized());
        let reader = ro.unlock(&Unlock::Passphrase(pass("pw"))).unwrap();
        assert_eq!(reader.recipient(), store.recipient());
        let loaded: SeedFile = reader.load().unwrap().unwrap();
        assert_eq!(loaded.mnemonic, seed().mnemonic);
        assert_eq!(reader.keys_of::<Note>().unwrap(), vec!["a1".to_owned()]);
        assert_eq!(reader.load_keyed::<Note>("a1").unwrap().unwrap().n, 1);
        // The lock is still the writer's alone.
        assert!(DataDir::open(tmp.path(), LockWait::Fail)
            .unwrap_err()
            .is_in_use());
        // A writer's later atomic replace is seen by the reader.
        let mut newer = seed();
        newer.created_at = 8;
        store.save(&newer).unwrap();
        assert_eq!(reader.load::<SeedFile>().unwrap().unwrap().created_at, 8);
        // A view of the writer's store reads the same without unlocking again.
        let view = store.read_only();
        assert_eq!(view.load::<SeedFile>().unwrap().unwrap().created_at, 8);
        assert!(!format!("{reader:?}").contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn read_only_open_and_unlock_change_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        {
            let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
            let store = dir.create_with_passphrase(&pass("pw"), 2).unwrap();
            store.save(&seed()).unwrap();
        }
        // No lock file and a stale temp file: a locking open would create the one and
        // remove the other.
        fs::remove_file(tmp.path().join(LOCK_FILE)).unwrap();
        let stale = tmp.path().join(".seed.age.0123456789abcdef.tmp");
        fs::write(&stale, b"half").unwrap();
        // The log's index (`-shm`) is shared memory that every reader writes its read
        // marks into: only its size is compared.
        let files = || {
            listing(tmp.path())
                .into_iter()
                .map(|(path, len, time)| {
                    let shm = path.to_string_lossy().ends_with("-shm");
                    (path, len, (!shm).then_some(time))
                })
                .collect::<Vec<_>>()
        };
        let before = files();

        let ro = ReadOnlyDir::open(tmp.path()).unwrap();
        let wrong = ro.unlock(&Unlock::Passphrase(pass("nope"))).unwrap_err();
        assert!(wrong.is_wrong_passphrase(), "{wrong}");
        let reader = ro.unlock(&Unlock::Passphrase(pass("pw"))).unwrap();
        assert!(reader.load::<SeedFile>().unwrap().is_some());
        assert!(reader.keys_of::<Note>().unwrap().is_empty());
        assert!(reader.load_keyed::<Note>("missing").unwrap().is_none());

        assert_eq!(files(), before);
        assert!(stale.exists());
        assert!(!tmp.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn read_only_open_never_creates_a_data_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nowhere");
        let e = ReadOnlyDir::open(&missing).unwrap_err();
        assert!(matches!(e, StoreError::NotInitialized { .. }), "{e}");
        assert!(!missing.exists());
        // An empty directory: open works, unlocking says there is no wallet.
        let ro = ReadOnlyDir::open(tmp.path()).unwrap();
        assert!(!ro.is_initialized());
        let e = ro.unlock(&Unlock::Passphrase(pass("pw"))).unwrap_err();
        assert!(matches!(e, StoreError::NotInitialized { .. }), "{e}");
        assert!(listing(tmp.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn dir_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b");
        DataDir::open(&path, LockWait::Fail).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn an_open_existing_dir_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("wallet");
        fs::create_dir(&path).unwrap();
        for mode in [0o755, 0o770, 0o701, 0o777] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let dir = DataDir::open(&path, LockWait::Fail).unwrap();
            assert_eq!(dir.fixed_permissions(), Some(mode));
            let now = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(now & 0o777, 0o700, "{mode:o}");
            drop(dir);
            // Private already: nothing to report.
            let dir = DataDir::open(&path, LockWait::Fail).unwrap();
            assert_eq!(dir.fixed_permissions(), None);
        }
        // Not a directory: refused before anything is written there.
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(DataDir::open(&file, LockWait::Fail).is_err());
    }
}
