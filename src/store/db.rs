//! The records of a data dir in one SQLite database, `records.sqlite` (schema version 1).
//!
//! ```text
//! meta(name, value)              db_id, data_key, data_key_tag, digest
//! records(coll, key, seq, body)  one row per record; body = nonce(24) || ciphertext
//! ```
//!
//! - **Encryption.** Every record's envelope is sealed with XChaCha20-Poly1305 under the
//!   32-byte *data key*, with `"asyncpay/record/v2\0" || db_id || coll || "\0" || key ||
//!   "\0" || seq` as associated data: a row copied to another place, another database or
//!   another sequence number fails to open. The data key is random, kept age-encrypted to
//!   the storage recipient (`data_key`, so saving needs no passphrase) and bound to the
//!   storage *identity* by `data_key_tag = HMAC(record_key, "asyncpay/data-key\0" || db_id
//!   || data_key)`: a database made by anyone who only knows the public recipient is refused.
//! - **Rollback and deletion.** Every write gets the next value of a global counter as its
//!   `seq` (a commit that only removes records moves it too). `digest` (sealed under the
//!   data key) holds the counter, the number of records and
//!   `Σ HMAC(digest_key, coll || 0 || key || 0 || seq) mod 2^256` over every record: an
//!   additive multiset MAC, updated in O(1) per write. Opening the database checks every
//!   row (it must open under the data key at its place and `seq`) and the sum, and keeps
//!   the `seq` of every record in memory (the *index*): an old row put back (older `seq`),
//!   a row deleted, added from elsewhere or damaged is refused ([`StoreError::RolledBack`],
//!   [`StoreError::Forged`]), at open and, for a row changed under a running process, at
//!   the read that meets it. Only the two tables may exist (no index, trigger or view an
//!   attacker could plant), and every write must change exactly one row. Putting back a
//!   copy of the *whole* database is not detectable from inside it (an old backup looks the
//!   same); see ADR 0007.
//! - **Transactions.** [`Txn`] groups any number of reads and writes into one SQLite
//!   transaction (`BEGIN IMMEDIATE`, SQLite's write-ahead log, `synchronous=FULL`): a
//!   protocol step commits its secret nonce, channel state and payment record together,
//!   durably (one fsync of the log), or not at all. The log (`records.sqlite-wal`) holds the
//!   commits since its last checkpoint and belongs to the database (see `wal.rs`, ADR 0013):
//!   no connection of ours removes it when it closes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use age::x25519;
use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use super::auth::RecordKey;
use super::backend::{Conn, Location, SqlError, SqliteConn, Tx, BUSY_TIMEOUT};
use super::envelope::{self, StateFile};
use super::group::{GroupStats, GroupSync, NotDurable, Synced};
use super::{identity, wal, StoreError};

/// Name of the records database in the data dir.
pub const DB_FILE: &str = "records.sqlite";
/// The schema this build writes (SQLite's `user_version`).
const SCHEMA_VERSION: u32 = 1;
const NONCE_LEN: usize = 24;

/// The keys of one database, from its data key (zeroized on drop).
struct Keys {
    db_id: [u8; 16],
    aead: XChaCha20Poly1305,
    digest: Zeroizing<[u8; 32]>,
}

fn hmac32(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(key);
    for part in parts {
        engine.input(part);
    }
    hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
}

impl Keys {
    fn new(db_id: [u8; 16], data_key: &[u8; 32]) -> Keys {
        Keys {
            db_id,
            aead: XChaCha20Poly1305::new(data_key.into()),
            digest: Zeroizing::new(hmac32(data_key, &[b"asyncpay/record-digest/v1"])),
        }
    }

    fn record_aad(&self, id: &RecordId<'_>, seq: u64) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64 + id.coll.len() + id.key.len());
        aad.extend_from_slice(b"asyncpay/record/v2\0");
        aad.extend_from_slice(&self.db_id);
        aad.extend_from_slice(id.coll.as_bytes());
        aad.push(0);
        aad.extend_from_slice(id.key.as_bytes());
        aad.push(0);
        aad.extend_from_slice(&seq.to_be_bytes());
        aad
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| StoreError::Database {
            path: PathBuf::from(DB_FILE),
            reason: format!("no randomness for a nonce: {e}"),
        })?;
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message of a record's size");
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(body)
    }

    fn open(&self, aad: &[u8], body: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if body.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = body.split_at(NONCE_LEN);
        self.aead
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
            .map(Zeroizing::new)
    }

    /// A record's entry in the digest: its place, `seq` and the nonce of its body (two
    /// bodies sealed for the same place and `seq`, after a counter went back in a crash or
    /// a restore, still differ in it).
    fn entry(&self, coll: &str, key: &str, version: &Version) -> [u8; 32] {
        hmac32(
            &self.digest[..],
            &[
                coll.as_bytes(),
                b"\0",
                key.as_bytes(),
                b"\0",
                &version.seq.to_be_bytes(),
                &version.nonce,
            ],
        )
    }

    fn digest_aad(&self) -> Vec<u8> {
        [&b"asyncpay/digest/v1\0"[..], &self.db_id].concat()
    }
}

/// Which version of a record: its `seq` and its body's nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    seq: u64,
    nonce: [u8; NONCE_LEN],
}

impl Version {
    fn of(seq: u64, body: &[u8]) -> Option<Version> {
        Some(Version {
            seq,
            nonce: body.get(..NONCE_LEN)?.try_into().ok()?,
        })
    }
}

/// Where a record lives: its collection (a [`StateFile::FILE`]) and key (empty for a
/// singleton such as `seed.age`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordId<'a> {
    pub(crate) coll: &'a str,
    pub(crate) key: &'a str,
}

impl<'a> RecordId<'a> {
    pub(crate) fn single<T: StateFile>() -> RecordId<'static> {
        RecordId {
            coll: T::FILE,
            key: "",
        }
    }

    /// The `key` instance of a keyed `T`; keys are `a-z`, `0-9`, `-` and `_`, 1 to 128 long.
    pub(crate) fn keyed<T: StateFile>(
        path: &Path,
        key: &'a str,
    ) -> Result<RecordId<'a>, StoreError> {
        let valid = !key.is_empty()
            && key.len() <= 128
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid {
            return Err(StoreError::Serialize {
                path: label(
                    path,
                    &RecordId {
                        coll: T::FILE,
                        key: "",
                    },
                ),
                reason: format!("invalid record key '{key}': use a-z, 0-9, '-' and '_'"),
            });
        }
        Ok(RecordId { coll: T::FILE, key })
    }
}

fn encode<T: StateFile>(
    path: &Path,
    id: &RecordId<'_>,
    value: &T,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    envelope::encode(value).map_err(|e| StoreError::Serialize {
        path: label(path, id),
        reason: e.to_string(),
    })
}

/// The sealed summary of every record (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digest {
    counter: u64,
    count: u64,
    sum: [u64; 4],
}

impl Digest {
    const EMPTY: Digest = Digest {
        counter: 0,
        count: 0,
        sum: [0; 4],
    };

    fn limbs(entry: &[u8; 32]) -> [u64; 4] {
        std::array::from_fn(|i| {
            u64::from_le_bytes(entry[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
        })
    }

    fn add(&mut self, entry: &[u8; 32]) {
        let e = Self::limbs(entry);
        let mut carry = false;
        for (s, e) in self.sum.iter_mut().zip(e) {
            let (a, c1) = s.overflowing_add(e);
            let (b, c2) = a.overflowing_add(u64::from(carry));
            *s = b;
            carry = c1 || c2;
        }
        self.count += 1;
    }

    fn sub(&mut self, entry: &[u8; 32]) {
        let e = Self::limbs(entry);
        let mut borrow = false;
        for (s, e) in self.sum.iter_mut().zip(e) {
            let (a, b1) = s.overflowing_sub(e);
            let (b, b2) = a.overflowing_sub(u64::from(borrow));
            *s = b;
            borrow = b1 || b2;
        }
        self.count = self.count.wrapping_sub(1);
    }

    fn encode(&self) -> [u8; 48] {
        let mut out = [0u8; 48];
        out[..8].copy_from_slice(&self.counter.to_be_bytes());
        out[8..16].copy_from_slice(&self.count.to_be_bytes());
        for (i, limb) in self.sum.iter().enumerate() {
            out[16 + i * 8..24 + i * 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Digest> {
        if bytes.len() != 48 {
            return None;
        }
        let u = |r: std::ops::Range<usize>| u64::from_be_bytes(bytes[r].try_into().ok()?).into();
        let counter: Option<u64> = u(0..8);
        let count: Option<u64> = u(8..16);
        let mut sum = [0u64; 4];
        for (i, limb) in sum.iter_mut().enumerate() {
            *limb = u64::from_le_bytes(bytes[16 + i * 8..24 + i * 8].try_into().ok()?);
        }
        Some(Digest {
            counter: counter?,
            count: count?,
            sum,
        })
    }
}

/// What the open database holds, as authenticated by the last full check: the digest row
/// it was checked against and the `seq` of every record. Every read goes through it: a
/// row whose `seq` is not the indexed one (put back, or changed under a running process)
/// is refused, and the keys of a collection are the indexed ones.
struct Index {
    digest_body: Vec<u8>,
    digest: Digest,
    seqs: BTreeMap<(String, String), Version>,
    /// `PRAGMA schema_version` when the schema was checked: any later change (a trigger
    /// planted and its schema row hidden again) is refused.
    schema_version: i64,
    /// The digest row of a commit that failed after it may have reached the disk (or the
    /// server): the next digest found may be that one, and only that one.
    uncertain: Option<Vec<u8>>,
}

struct Inner {
    conn: Conn,
    index: Index,
    /// The last use of the connection ended well: no need to ask whether it still works.
    sound: bool,
}

/// One records database, shared by a [`super::Store`] and the read-only views made from it.
pub(crate) struct Db {
    /// How errors name the database: `records.sqlite`'s path, or the PostgreSQL schema.
    path: PathBuf,
    location: Location,
    keys: Keys,
    /// The writer (it holds the data dir's lock: no digest but its own may appear).
    writable: bool,
    inner: Mutex<Inner>,
    /// Commits whose sync is deferred to [`Db::sync`] (ADR 0014), once
    /// [`Db::defer_durability`] asked for it.
    deferred: std::sync::atomic::AtomicBool,
    group: GroupSync,
    /// Why this writer no longer writes: another process took its PostgreSQL schema over
    /// (final, see [`Db::confirm_writer`]).
    taken_over: std::sync::OnceLock<String>,
    /// The mark this writer put in its PostgreSQL schema ([`Db::mark_writer`]): another
    /// mark there means another copy of the data dir took a turn since.
    mark: Mutex<Option<Vec<u8>>>,
    /// The writer's hold on the data dir's lock ([`Db::hold_lock`]): the last field, so it
    /// is let go only after [`Drop`] has closed the database (checkpoint, mark of a clean
    /// stop), whoever holds the last handle on it.
    dir_lock: Option<Arc<super::DirLock>>,
}

impl Drop for Db {
    /// The writer, closing, moves its log into the database file and empties it: the next
    /// process then opens the database without reading back a log of up to SQLite's
    /// checkpoint size (a short command would otherwise pay for it at every start), and a
    /// complete checkpoint leaves the mark of a clean stop ([`wal::mark_clean`]). Not
    /// waiting for a reader that still uses the log: a later writer empties it then.
    /// A log removed under it gets an empty one in its place once its commits are in the
    /// file, as at a write ([`Db::keep_log`]); if a reader keeps that from completing,
    /// the commits only the removed log held are lost with the connection, and this says
    /// so loudly.
    fn drop(&mut self) {
        if !self.writable {
            return;
        }
        // Commits not synced yet: a checkpoint a reader keeps from completing would leave
        // them unsynced in the log. After a failed sync nothing is vouched for: no
        // checkpoint, no mark of a clean stop.
        if let Err(e) = self.sync() {
            tracing::error!("{e}");
            if self.group.failed().is_some() {
                return;
            }
        }
        let inner = self
            .inner
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Conn::Sqlite(c) = &inner.conn else {
            return;
        };
        let lost = !c.log.is_some_and(|log| log.intact(&c.file));
        let file = c.file.clone();
        if lost {
            if let Err(e) = wal::set_aside(&file) {
                tracing::error!("{e}");
            }
        }
        let done = matches!(inner.conn.checkpoint(lost), Ok(true));
        let kept = if !done {
            Ok(())
        } else if lost {
            wal::replace_lost_log(&file).and_then(|()| wal::mark_clean(&file))
        } else {
            wal::mark_clean(&file)
        };
        if let Err(e) = kept {
            tracing::error!("{e}");
        }
        if lost && !done {
            tracing::error!(
                "{}-wal was removed while asyncpay used it, and its latest commits could \
                 not be moved into the database file before closing: they are lost",
                file.display()
            );
        }
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A legacy state file to carry into a new database: its record id and its envelope.
pub(crate) struct Imported {
    pub(crate) coll: String,
    pub(crate) key: String,
    pub(crate) envelope: Zeroizing<Vec<u8>>,
}

impl Db {
    /// Opens `dir`'s database for writing, creating it (with `imported` as its first
    /// records, in the same transaction) if it does not exist yet. A PostgreSQL schema is
    /// created only for a new wallet (`new_postgres`): one the `database` file names that
    /// has gone (dropped by someone) is never made again, empty, in its place.
    pub(crate) fn open_or_create(
        dir: &Path,
        identity: &x25519::Identity,
        record_key: &RecordKey,
        new_postgres: bool,
        imported: impl FnOnce() -> Result<Vec<Imported>, StoreError>,
    ) -> Result<Db, StoreError> {
        let location = Location::of(dir, Some(record_key))?;
        let path = location.label();
        // What to import is read (and checked) before a file is created: a refusal
        // leaves the data dir as it was.
        let mut imported = Some(imported);
        let mut read_imported = || imported.take().map_or(Ok(Vec::new()), |f| f());
        let records = match &location {
            Location::Sqlite(file) if !file.exists() => Some(read_imported()?),
            _ => None,
        };
        let mut conn = connect(&location, &path, true, None)?;
        let version = read_version(&mut conn, &path)?;
        if version == 0 {
            // New, or its creation was interrupted (nothing of it was committed: no table).
            let gone = matches!(location, Location::Postgres(_)) && !new_postgres;
            if gone || !version_tx(&mut conn, &path, |tx| tx.is_empty())? {
                return Err(rolled_back(&path));
            }
            let records = match records {
                Some(records) => records,
                None => read_imported()?,
            };
            create(&mut conn, &location, &path, identity, record_key, records)?;
        }
        Db::finish_open(location, conn, identity, record_key, true)
    }

    /// Creates a new database at `location` holding `records` (re-sealed under its own
    /// data key, in the transaction that creates it), for moving a data dir's records
    /// there. Refuses a place that holds anything already.
    pub(crate) fn create_at(
        location: &Location,
        identity: &x25519::Identity,
        record_key: &RecordKey,
        records: Vec<Imported>,
    ) -> Result<Db, StoreError> {
        let path = location.label();
        let mut conn = connect(location, &path, true, None)?;
        if read_version(&mut conn, &path)? != 0
            || !version_tx(&mut conn, &path, |tx| tx.is_empty())?
        {
            return Err(StoreError::Database {
                path,
                reason: "it is not empty: asyncpay moves records only to a new place".into(),
            });
        }
        create(&mut conn, location, &path, identity, record_key, records)?;
        Db::finish_open(location.clone(), conn, identity, record_key, true)
    }

    /// Every record, as the envelope it was saved with (for [`Db::create_at`]).
    pub(crate) fn export(&self) -> Result<Vec<Imported>, StoreError> {
        self.read(|conn, index| {
            index
                .seqs
                .iter()
                .map(|((coll, key), version)| {
                    let id = RecordId { coll, key };
                    let body = load_body(conn, &self.path, &id, *version)?;
                    let envelope = self
                        .keys
                        .open(&self.keys.record_aad(&id, version.seq), &body)
                        .ok_or_else(|| StoreError::Forged {
                            path: label(&self.path, &id),
                        })?;
                    Ok(Imported {
                        coll: coll.clone(),
                        key: key.clone(),
                        envelope,
                    })
                })
                .collect()
        })
    }

    /// Opens `dir`'s database for reading only; `None` if it has none.
    pub(crate) fn open_read_only(
        dir: &Path,
        identity: &x25519::Identity,
        record_key: &RecordKey,
    ) -> Result<Option<Db>, StoreError> {
        let location = Location::of(dir, Some(record_key))?;
        let path = location.label();
        if let Location::Sqlite(file) = &location {
            if !file.exists() {
                return Ok(None);
            }
        }
        let mut conn = connect(&location, &path, false, None)?;
        if read_version(&mut conn, &path)? == 0 {
            if version_tx(&mut conn, &path, |tx| tx.is_empty())? {
                return Ok(None); // being created by its writer right now: nothing in it yet
            }
            return Err(rolled_back(&path));
        }
        Db::finish_open(location, conn, identity, record_key, false).map(Some)
    }

    fn finish_open(
        location: Location,
        mut conn: Conn,
        identity: &x25519::Identity,
        record_key: &RecordKey,
        writable: bool,
    ) -> Result<Db, StoreError> {
        let path = location.label();
        let version = read_version(&mut conn, &path)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::UnsupportedVersion {
                path,
                found: version,
                max: SCHEMA_VERSION,
            });
        }
        // One read transaction: the keys, the digest and the scan see the same snapshot.
        let tx = conn.read().map_err(|e| db_error(&path, e))?;
        check_schema(&tx, &path)?;
        let keys = load_keys(&tx, &path, identity, record_key)?;
        if tx.meta(MOVED).map_err(|e| db_error(&path, e))?.is_some() {
            return Err(StoreError::Database {
                path,
                reason: "its records were moved elsewhere (`asyncpay wallet move-records`), and \
                         this data dir still names the old place: it is a copy made before the \
                         move; make it again from the data dir that moved"
                    .to_owned(),
            });
        }
        let index = build_index(&tx, &path, &keys)?;
        tx.finish().map_err(|e| db_error(&path, e))?;
        Ok(Db {
            path,
            location,
            keys,
            writable,
            inner: Mutex::new(Inner {
                conn,
                index,
                sound: true,
            }),
            deferred: std::sync::atomic::AtomicBool::new(false),
            group: GroupSync::default(),
            taken_over: std::sync::OnceLock::new(),
            mark: Mutex::new(None),
            dir_lock: None,
        })
    }

    /// Where the records are.
    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    /// Keeps the data dir's lock until this writer is closed: a read-only handle made from
    /// the writer's store ([`super::Store::read_only`]) may outlive the store, and the next
    /// writer must not find the lock free before this one's close has run.
    pub(crate) fn hold_lock(&mut self, lock: Arc<super::DirLock>) {
        self.dir_lock = Some(lock);
    }

    /// The database file (or the PostgreSQL schema), as errors name it.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection, made again if the server dropped it (known closed, or, after a use
    /// that failed, not answering). A writer takes the schema's lock again; whatever
    /// another writer did in between is then found by the digest. A writer taken over
    /// connects no more; one that finds the lock held by another process is taken over.
    fn reconnect_if_closed(&self, inner: &mut Inner) -> Result<(), StoreError> {
        self.refuse_if_taken_over()?;
        let alive = !inner.conn.is_closed() && (inner.sound || inner.conn.answers());
        if !alive {
            // Our old session may still hold the schema's lock on the server's side, until
            // the server finds it dead: the new one ends it first.
            let fresh = match connect(&self.location, &self.path, self.writable, inner.conn.tag()) {
                Err(StoreError::DatabaseInUse { .. }) => {
                    return Err(self.taken_over("another process holds its writer lock"))
                }
                fresh => fresh?,
            };
            drop(std::mem::replace(&mut inner.conn, fresh));
        }
        inner.sound = false; // until this use ends well
        Ok(())
    }

    /// The writer's log, removed or replaced while it runs (`rm`, a cleanup tool), holds
    /// commits nothing but the file SQLite still has open keeps: they are moved into the
    /// database file (a complete checkpoint, waiting for readers as long as any lock), an
    /// empty log is put in place and the connection made again, before anything more is
    /// written. If a reader keeps the checkpoint from completing, nothing is written
    /// ([`StoreError::LogRemoved`]).
    fn keep_log(&self, inner: &mut Inner) -> Result<(), StoreError> {
        let Conn::Sqlite(c) = &mut inner.conn else {
            return Ok(());
        };
        if c.unwritten {
            wal::unmark_clean(&c.file)?;
            c.unwritten = false;
        }
        if c.log.is_some_and(|log| log.intact(&c.file)) {
            return Ok(());
        }
        let file = c.file.clone();
        wal::set_aside(&file)?;
        if !inner
            .conn
            .checkpoint(true)
            .map_err(|e| db_error(&self.path, e))?
        {
            return Err(StoreError::LogRemoved {
                path: self.path.clone(),
            });
        }
        wal::replace_lost_log(&file)?;
        let mut fresh = connect(&self.location, &self.path, true, None)?;
        if let Conn::Sqlite(c) = &mut fresh {
            c.unwritten = false;
        }
        drop(std::mem::replace(&mut inner.conn, fresh));
        // The complete checkpoint synced the database file with every commit counted.
        self.group.all_durable();
        Ok(())
    }

    /// From now on, this writer's commits go to SQLite's log without a sync of their own
    /// (`synchronous=NORMAL`), and [`Db::sync`] makes every commit so far durable with one
    /// sync of the log for all of them (group commit, ADR 0014). The caller must call
    /// [`Db::sync`] before anything that depends on a commit leaves the process. False
    /// (nothing changes) but for a SQLite writer.
    pub(crate) fn defer_durability(&self) -> bool {
        let sqlite = self.writable && matches!(self.lock().conn, Conn::Sqlite(_));
        if sqlite {
            self.deferred
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        sqlite
    }

    /// Whether a commit may not be durable yet (see [`Db::defer_durability`]).
    pub(crate) fn sync_pending(&self) -> bool {
        self.group.pending()
    }

    /// The log the latest deferred commit went to, as the group sync holds it.
    #[cfg(test)]
    pub(crate) fn deferred_log(&self) -> Option<super::group::Log> {
        self.group.log()
    }

    /// Why this writer must stop, if it must (final): a sync failed, or another process
    /// took over its PostgreSQL schema.
    pub(crate) fn must_stop(&self) -> Option<String> {
        self.group
            .failed()
            .or_else(|| self.taken_over.get().cloned())
    }

    /// Fails once another process took over this writer's schema ([`Db::confirm_writer`]).
    fn refuse_if_taken_over(&self) -> Result<(), StoreError> {
        match self.taken_over.get() {
            Some(_) => Err(StoreError::TakenOver {
                path: self.path.clone(),
            }),
            None => Ok(()),
        }
    }

    /// This writer was taken over (final, see [`Db::confirm_writer`]): `how` says how.
    fn taken_over(&self, how: &str) -> StoreError {
        let reason = format!(
            "another process took over the records database {}: {how}",
            self.path.display()
        );
        let _ = self.taken_over.set(reason);
        StoreError::TakenOver {
            path: self.path.clone(),
        }
    }

    /// Whether another copy of the data dir took its turn writing the PostgreSQL schema
    /// since this writer did ([`Db::mark_writer`]): the schema's mark, `in_schema`, is not
    /// ours.
    fn marked_by_another(&self, in_schema: Option<&[u8]>) -> bool {
        self.mark
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_deref()
            .is_some_and(|ours| in_schema != Some(ours))
    }

    /// What a writer that finds digest row `body`, not the one it wrote last, makes of it,
    /// `in_schema` being the schema's writer mark. A digest sealed under this wallet's key
    /// with a counter past ours, or at ours under another copy's mark (a copy of an earlier
    /// release whose commits only removed records left the counter where it was), was
    /// written by another copy
    /// of this data dir that held the PostgreSQL schema while this one had no session:
    /// this one is no longer the writer, for good (its state in memory is older than the
    /// records, and writing from it would undo what the other wrote). Anything else (an
    /// older copy of the schema put back, whatever mark it carries) is a rollback
    /// (ADR 0007), refused as ever: the writer keeps its lock, so that no standby adopts it.
    fn foreign_digest(&self, body: &[u8], index: &Index, in_schema: Option<&[u8]>) -> StoreError {
        let ours = index.digest.counter;
        let newer = matches!(self.location, Location::Postgres(_))
            && open_digest(&self.path, &self.keys, body).is_ok_and(|d| {
                d.counter > ours || (d.counter == ours && self.marked_by_another(in_schema))
            });
        if newer {
            self.taken_over("it wrote while this process had lost its connection")
        } else {
            rolled_back(&self.path)
        }
    }

    /// A PostgreSQL writer checks that it still is the one writing its schema: its session
    /// is alive (or made again, taking the schema's lock again) and the digest is the one it
    /// wrote last. S asks at every watcher pass, so that a copy that lost its session to a
    /// standby stops even with no request coming ([`StoreError::TakenOver`], final). A
    /// database that does not answer is an error of its own, not a takeover. Nothing to
    /// check for SQLite or a reader.
    pub(crate) fn confirm_writer(&self) -> Result<(), StoreError> {
        if !self.writable || !matches!(self.location, Location::Postgres(_)) {
            return Ok(());
        }
        let mut guard = self.lock();
        self.reconnect_if_closed(&mut guard)?;
        let Inner { conn, index, .. } = &mut *guard;
        let tx = conn.read().map_err(|e| db_error(&self.path, e))?;
        let body = read_digest_body(&tx, &self.path)?;
        let in_schema = tx.meta(WRITER).map_err(|e| db_error(&self.path, e))?;
        tx.finish().map_err(|e| db_error(&self.path, e))?;
        if body != index.digest_body && index.uncertain.as_ref() != Some(&body) {
            let e = self.foreign_digest(&body, index, in_schema.as_deref());
            return Err(let_go_if_taken_over(conn, e));
        }
        if self.marked_by_another(in_schema.as_deref()) {
            let e = self.taken_over("another copy of the data dir took its turn writing it");
            return Err(let_go_if_taken_over(conn, e));
        }
        guard.sound = true;
        Ok(())
    }

    /// The sealed digest's counter, the index brought up to date first.
    pub(crate) fn records_counter(&self) -> Result<u64, StoreError> {
        self.read(|_, index| Ok(index.digest.counter))
    }

    /// The writer mark in a PostgreSQL schema (`None`: none yet, or SQLite).
    pub(crate) fn writer_mark(&self) -> Result<Option<Vec<u8>>, StoreError> {
        if !matches!(self.location, Location::Postgres(_)) {
            return Ok(None);
        }
        self.read(|tx, _| tx.meta(WRITER).map_err(|e| db_error(&self.path, e)))
    }

    /// Marks the PostgreSQL schema as moved elsewhere (`wallet move-records`), through the
    /// writer that still holds its lock: a copy of the data dir made before the move (a
    /// standby) refuses it instead of serving from it beside the moved records.
    pub(crate) fn mark_moved(&self) -> Result<(), StoreError> {
        self.put_meta(MOVED, b"1")
    }

    /// A PostgreSQL writer puts `mark` in the schema as the mark of the copy of the data dir
    /// that writes it now; any other mark found there later means another copy took its
    /// turn since (taken over).
    pub(crate) fn mark_writer(&self, mark: &[u8]) -> Result<(), StoreError> {
        if !self.writable || !matches!(self.location, Location::Postgres(_)) {
            return Ok(());
        }
        self.put_meta(WRITER, mark)?;
        *self
            .mark
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(mark.to_vec());
        Ok(())
    }

    /// Sets meta row `name` of a PostgreSQL writer's schema, in a transaction of its own.
    fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut guard = self.lock();
        self.reconnect_if_closed(&mut guard)?;
        let Inner { conn, index, .. } = &mut *guard;
        let tx = conn.write().map_err(|e| db_error(&self.path, e))?;
        tx.lock_tables().map_err(|e| db_error(&self.path, e))?;
        check_schema(&tx, &self.path)?;
        if let Err(e) = self.refresh(&tx, index) {
            drop(tx);
            return Err(let_go_if_taken_over(conn, e));
        }
        tx.put_meta(name, value)
            .map_err(|e| db_error(&self.path, e))?;
        tx.commit().map_err(|e| db_error(&self.path, e))?;
        guard.sound = true;
        Ok(())
    }

    /// The deferred commits and the syncs that made them durable so far.
    pub(crate) fn group_stats(&self) -> GroupStats {
        self.group.stats()
    }

    /// Returns once every commit made before the call is durable: one sync of the log
    /// for every commit waiting (ADR 0014). A log removed or replaced under the writer
    /// meanwhile (its commits are on disk only in the database file) has them moved there
    /// first, as at a write ([`Db::keep_log`]); if a reader keeps that from completing,
    /// [`StoreError::LogRemoved`] and the commits stay pending. A failed sync is final
    /// ([`StoreError::Database`]).
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        if !self.group.pending() && self.group.failed().is_none() {
            return Ok(());
        }
        // The database file as the connection knows it, which `keep_log` checks the log
        // against too.
        let file = match &self.lock().conn {
            Conn::Sqlite(c) => c.file.clone(),
            Conn::Postgres(_) => return Ok(()),
        };
        for moved_before in [false, true] {
            let synced = self.group.wait(|log| {
                log.sync_data()?;
                Ok(if wal::is_log_of(log, &file) {
                    Synced::Durable
                } else {
                    Synced::LogMoved
                })
            });
            match synced {
                Ok(()) => return Ok(()),
                // Moved into the database file (then all durable), or refused; at most
                // once: the commits stay pending rather than be looked at forever.
                Err(NotDurable::LogMoved) if !moved_before => self.keep_log(&mut self.lock())?,
                Err(NotDurable::LogMoved) => break,
                Err(NotDurable::Failed(reason)) => {
                    return Err(StoreError::Database {
                        path: self.path.clone(),
                        reason,
                    })
                }
            }
        }
        Err(StoreError::LogRemoved {
            path: self.path.clone(),
        })
    }

    /// Runs `f` on a read snapshot, with the index brought up to date with it first (a
    /// digest written since by the writer, seen from a read-only view, is checked in full).
    fn read<R>(
        &self,
        f: impl FnOnce(&Tx<'_>, &Index) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut guard = self.lock();
        self.reconnect_if_closed(&mut guard)?;
        let Inner { conn, index, .. } = &mut *guard;
        let tx = conn.read().map_err(|e| db_error(&self.path, e))?;
        if let Err(e) = self.refresh(&tx, index) {
            drop(tx);
            return Err(let_go_if_taken_over(conn, e));
        }
        let out = f(&tx, index)?;
        tx.finish().map_err(|e| db_error(&self.path, e))?;
        guard.sound = true;
        Ok(out)
    }

    /// The record `id`, decoded as `T`; `None` if there is none.
    pub(crate) fn load<T: StateFile>(&self, id: &RecordId<'_>) -> Result<Option<T>, StoreError> {
        self.read(|conn, index| {
            let version = index.seqs.get(&id.owned()).copied();
            load(conn, &self.path, &self.keys, id, version)
        })
    }

    /// The keys of the records of collection `coll`, sorted.
    pub(crate) fn keys_of(&self, coll: &str) -> Result<Vec<String>, StoreError> {
        self.read(|_, index| Ok(index.keys_of(coll, &BTreeMap::new())))
    }

    /// Runs `f` in one write transaction: everything it saved and removed is committed
    /// together when it returns `Ok`, nothing when it returns `Err` (or panics).
    pub(crate) fn write<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Txn<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut guard = self.lock();
        self.reconnect_if_closed(&mut guard)?;
        if let Some(reason) = self.group.failed() {
            return Err(StoreError::Database {
                path: self.path.clone(),
                reason,
            }
            .into());
        }
        self.keep_log(&mut guard)?;
        let deferred_to = self.defer(&mut guard.conn)?;
        let Inner { conn, index, .. } = &mut *guard;
        let tx = conn.write().map_err(|e| db_error(&self.path, e))?;
        // Nothing but our two tables (a planted trigger could turn writes into no-ops),
        // checked once they can no longer change before we commit, and still the
        // write-ahead log we opened with (another connection switching the journal is
        // someone else changing the database under us).
        tx.lock_tables().map_err(|e| db_error(&self.path, e))?;
        check_schema(&tx, &self.path)?;
        if !tx.journal_is_ours().map_err(|e| db_error(&self.path, e))? {
            return Err(rolled_back(&self.path).into());
        }
        if let Err(e) = self.refresh(&tx, index) {
            drop(tx);
            return Err(let_go_if_taken_over(conn, e).into());
        }
        let digest = index.digest;
        let mut txn = Txn {
            tx,
            path: &self.path,
            keys: &self.keys,
            index,
            digest,
            changes: BTreeMap::new(),
        };
        let out = f(&mut txn)?;
        let committed = txn.commit();
        // A commit that failed may still have reached the log (the digest it wrote is
        // then accepted, see `refresh`): counted either way, so that it is synced.
        if let Some(log) = &deferred_to {
            self.group.committed(log);
        }
        committed?;
        guard.sound = true;
        Ok(out)
    }

    /// With durability deferred, the log this connection's next commit goes to unsynced
    /// (switching it to `synchronous=NORMAL` the first time); `None` when it syncs its own
    /// commits.
    fn defer(&self, conn: &mut Conn) -> Result<Option<super::group::Log>, StoreError> {
        let Conn::Sqlite(c) = conn else {
            return Ok(None);
        };
        let Some(log) = c.log_fd.clone() else {
            return Ok(None);
        };
        if !self.deferred.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        if !c.deferred {
            c.conn
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(|e| db_error(&self.path, e))?;
            c.deferred = true;
        }
        Ok(Some(log))
    }

    /// Brings `index` up to date with the database as `conn` sees it. The schema must not
    /// have changed since it was checked. A digest the index was not built from is never
    /// the writer's to accept (no one else writes: it is a copy put back under it, or, with
    /// PostgreSQL, another process's while this one had lost its connection and lock),
    /// unless it is exactly the one its own last commit wrote before failing; a read-only
    /// view accepts it after the full check, if it is newer than the one it had.
    fn refresh(&self, conn: &Tx<'_>, index: &mut Index) -> Result<(), StoreError> {
        if schema_version(conn, &self.path)? != index.schema_version {
            return Err(rolled_back(&self.path));
        }
        let body = read_digest_body(conn, &self.path)?;
        if body == index.digest_body {
            index.uncertain = None; // that commit did not happen
            return Ok(());
        }
        let ours = index.uncertain.as_ref() == Some(&body);
        if self.writable && !ours {
            let in_schema = match self.location {
                Location::Postgres(_) => conn.meta(WRITER).map_err(|e| db_error(&self.path, e))?,
                Location::Sqlite(_) => None,
            };
            return Err(self.foreign_digest(&body, index, in_schema.as_deref()));
        }
        check_schema(conn, &self.path)?;
        let fresh = build_index(conn, &self.path, &self.keys)?;
        if !ours && fresh.digest.counter <= index.digest.counter {
            return Err(rolled_back(&self.path));
        }
        *index = fresh;
        Ok(())
    }
}

impl Index {
    fn keys_of(
        &self,
        coll: &str,
        changes: &BTreeMap<(String, String), Option<Version>>,
    ) -> Vec<String> {
        let in_coll = |(c, _): &&(String, String)| c == coll;
        let mut keys: BTreeMap<&str, bool> = self
            .seqs
            .keys()
            .filter(in_coll)
            .map(|(_, k)| (k.as_str(), true))
            .collect();
        for ((_, k), seq) in changes.iter().filter(|(id, _)| in_coll(id)) {
            keys.insert(k.as_str(), seq.is_some());
        }
        keys.into_iter()
            .filter(|(_, present)| *present)
            .map(|(k, _)| k.to_owned())
            .collect()
    }
}

impl RecordId<'_> {
    fn owned(&self) -> (String, String) {
        (self.coll.to_owned(), self.key.to_owned())
    }
}

/// An open write transaction on the records (see [`super::Store::transaction`]).
pub struct Txn<'a> {
    tx: Tx<'a>,
    path: &'a Path,
    keys: &'a Keys,
    index: &'a mut Index,
    digest: Digest,
    /// What this transaction wrote: the new version of each record, `None` if removed.
    changes: BTreeMap<(String, String), Option<Version>>,
}

impl Txn<'_> {
    /// Loads `T` (see [`super::Store::load`]), as this transaction sees it.
    pub fn load<T: StateFile>(&self) -> Result<Option<T>, StoreError> {
        self.load_id(&RecordId::single::<T>())
    }

    /// Loads the `key` instance of a keyed `T` (see [`super::Store::load_keyed`]).
    pub fn load_keyed<T: StateFile>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.load_id(&RecordId::keyed::<T>(self.path, key)?)
    }

    /// The keys of every instance of a keyed `T`, sorted.
    pub fn keys_of<T: StateFile>(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.index.keys_of(T::FILE, &self.changes))
    }

    /// Saves `value` when the transaction commits.
    pub fn save<T: StateFile>(&mut self, value: &T) -> Result<(), StoreError> {
        value.save_beside(self)?;
        let id = RecordId::single::<T>();
        self.put(&id, &encode(self.path, &id, value)?)
    }

    /// Saves the `key` instance of a keyed `T` when the transaction commits.
    pub fn save_keyed<T: StateFile>(&mut self, key: &str, value: &T) -> Result<(), StoreError> {
        value.save_beside(self)?;
        let id = RecordId::keyed::<T>(self.path, key)?;
        self.put(&id, &encode(self.path, &id, value)?)
    }

    /// Saves `value` as the `key` instance of a keyed `T` that is written once and never
    /// changed: written if there is none; if there is one, it must equal `value`, or the
    /// transaction fails ([`StoreError::Corrupt`]) rather than keep another value in its
    /// place. True when a committed copy equal to `value` was found: no later save needs
    /// to look for it again (a copy this transaction wrote counts only once committed).
    pub fn save_once_keyed<T: StateFile + PartialEq>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<bool, StoreError> {
        let id = RecordId::keyed::<T>(self.path, key)?;
        // Written by this transaction already (one it removed is written again below).
        if matches!(self.changes.get(&id.owned()), Some(Some(_))) {
            return Ok(false);
        }
        match self.load_id::<T>(&id)? {
            None => self.save_keyed(key, value).map(|()| false),
            Some(stored) if stored == *value => Ok(true),
            Some(_) => Err(StoreError::Corrupt {
                path: self.path.to_path_buf(),
                reason: format!(
                    "holds a different {} record {key}, which is written once and never \
                     changed",
                    T::KIND
                ),
            }),
        }
    }

    /// Removes the `key` instance of a keyed `T` when the transaction commits; false if
    /// there is none.
    pub fn remove_keyed<T: StateFile>(&mut self, key: &str) -> Result<bool, StoreError> {
        self.delete(&RecordId::keyed::<T>(self.path, key)?)
    }

    fn load_id<T: StateFile>(&self, id: &RecordId<'_>) -> Result<Option<T>, StoreError> {
        load(&self.tx, self.path, self.keys, id, self.current(id))
    }

    /// The record's version as this transaction sees it (its own writes first).
    fn current(&self, id: &RecordId<'_>) -> Option<Version> {
        let owned = id.owned();
        match self.changes.get(&owned) {
            Some(version) => *version,
            None => self.index.seqs.get(&owned).copied(),
        }
    }

    /// Saves `envelope` as record `id` (replacing any earlier version).
    fn put(&mut self, id: &RecordId<'_>, envelope: &[u8]) -> Result<(), StoreError> {
        let keys = self.keys;
        let seq = self.digest.counter + 1;
        let body = keys.seal(&keys.record_aad(id, seq), envelope)?;
        let version = Version::of(seq, &body).expect("a sealed body starts with its nonce");
        let n = self
            .tx
            .put(id.coll, id.key, seq, &body)
            .map_err(|e| db_error(self.path, e))?;
        expect_one(self.path, n)?;
        // The digest follows only a write that happened.
        if let Some(old) = self.current(id) {
            self.digest.sub(&keys.entry(id.coll, id.key, &old));
        }
        self.digest.counter = seq;
        self.digest.add(&keys.entry(id.coll, id.key, &version));
        self.changes.insert(id.owned(), Some(version));
        Ok(())
    }

    /// Removes record `id`; false if there was none.
    fn delete(&mut self, id: &RecordId<'_>) -> Result<bool, StoreError> {
        let Some(old) = self.current(id) else {
            return Ok(false);
        };
        let n = self
            .tx
            .delete(id.coll, id.key, old.seq)
            .map_err(|e| db_error(self.path, e))?;
        expect_one(self.path, n)?;
        self.digest.sub(&self.keys.entry(id.coll, id.key, &old));
        self.changes.insert(id.owned(), None);
        Ok(true)
    }

    fn commit(mut self) -> Result<(), StoreError> {
        let path = self.path;
        // A commit that only removed records moves the counter too: a reader following the
        // writer (a standby, ADR 0018) tells it from an older digest put back by its counter.
        if !self.changes.is_empty() && self.digest.counter == self.index.digest.counter {
            self.digest.counter += 1;
        }
        let digest_body = if self.changes.is_empty() {
            None
        } else {
            Some(write_digest(&self.tx, path, self.keys, &self.digest)?)
        };
        if let Err(e) = self.tx.commit() {
            // SQLite may have made it durable before failing (an error while deleting the
            // journal), PostgreSQL before the connection broke: the next digest found may
            // be this one.
            self.index.uncertain = digest_body;
            return Err(db_error(path, e));
        }
        // Only what is committed enters the index.
        if let Some(body) = digest_body {
            for (id, version) in self.changes {
                match version {
                    Some(version) => self.index.seqs.insert(id, version),
                    None => self.index.seqs.remove(&id),
                };
            }
            self.index.digest = self.digest;
            self.index.digest_body = body;
            self.index.uncertain = None;
        }
        Ok(())
    }
}

/// A write that SQLite reports as changing no row was turned into a no-op (a trigger, a
/// damaged database): never believe it was saved.
fn expect_one(path: &Path, changed: u64) -> Result<(), StoreError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(rolled_back(path))
    }
}

/// Our tables and nothing else (see [`Tx::schema_is_ours`]).
fn check_schema(tx: &Tx<'_>, path: &Path) -> Result<(), StoreError> {
    if tx.schema_is_ours().map_err(|e| db_error(path, e))? {
        Ok(())
    } else {
        Err(rolled_back(path))
    }
}

/// A writer killed in the middle of a commit leaves its journal behind ("hot"): the
/// database must be rolled back to its last commit before anyone reads it, which a
/// read-only connection cannot do. A read-write connection does it on its first read (and
/// leaves the journal of a live writer alone: that one holds its lock). This is the one
/// change a read-only view may make, and it only restores what was committed.
fn recover_crashed_commit(path: &Path) -> Result<(), StoreError> {
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    if !std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
        return Ok(());
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| db_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(path, e))?;
    harden(&conn, path)?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| db_error(path, e))?;
    Ok(())
}

fn schema_version(tx: &Tx<'_>, path: &Path) -> Result<i64, StoreError> {
    tx.schema_token().map_err(|e| db_error(path, e))
}

/// Syncs a writer's log as it connects (ADR 0014); a failure is reported as a group sync's
/// would be.
fn fd_sync_at_connect(log: &std::fs::File, path: &Path) -> Result<(), StoreError> {
    log.sync_data().map_err(|e| StoreError::Database {
        path: path.to_path_buf(),
        reason: super::group::sync_failure(&e),
    })
}

/// Connects to the records of `location`: SQLite, hardened, its write-ahead log checked
/// (and, `writable`, made and switched to: durable commits, one fsync each); PostgreSQL,
/// holding the schema's writer lock (`writable`).
/// `again`: the name of the PostgreSQL sessions of the store that connects again (see
/// [`Conn::lock_schema`]); `None` for a new store.
fn connect(
    location: &Location,
    path: &Path,
    writable: bool,
    again: Option<super::backend::SessionTag>,
) -> Result<Conn, StoreError> {
    match location {
        Location::Sqlite(file) if writable => {
            let file = wal::canonical(file);
            let (conn, registered) = wal::guarded_open(&file, path, true, || {
                let conn = Connection::open(&file).map_err(|e| db_error(path, e))?;
                wal::protect(&file)?;
                harden(&conn, path)?;
                // Not yet on a log (new, or of ADR 0007's format): make it before the
                // switch, which writes the header at once.
                let now: String = conn
                    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .map_err(|e| db_error(path, e))?;
                if !now.eq_ignore_ascii_case("wal") {
                    wal::make_log(&file)?;
                }
                let mode: String = conn
                    .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                    .and_then(|mode| {
                        conn.pragma_update(None, "synchronous", "FULL")?;
                        conn.busy_timeout(BUSY_TIMEOUT)?;
                        Ok(mode)
                    })
                    .map_err(|e| db_error(path, e))?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(StoreError::Database {
                        path: path.to_path_buf(),
                        reason: format!(
                            "SQLite kept the {mode} journal instead of its write-ahead log"
                        ),
                    });
                }
                // The log SQLite opened (at this first read), as it is now.
                conn.query_row("PRAGMA user_version", [], |_| Ok(()))
                    .map_err(|e| db_error(path, e))?;
                Ok((conn, wal::LogId::of(&file)))
            })?;
            let (conn, log) = conn;
            // Commits a writer killed before its group sync (ADR 0014) left in the page
            // cache are synced before this one shows or builds on them.
            let log_fd = log
                .and_then(|id| id.open(&file))
                .ok_or_else(|| StoreError::Database {
                    path: path.to_path_buf(),
                    reason: "cannot open its write-ahead log again to sync it (it was moved while \
                         connecting, or no descriptor is left): try again"
                        .to_owned(),
                })?;
            fd_sync_at_connect(&log_fd, path)?;
            let log_fd = Some(std::sync::Arc::new(log_fd));
            Ok(Conn::Sqlite(SqliteConn {
                conn,
                file,
                log,
                log_fd,
                deferred: false,
                unwritten: true,
                _registered: registered,
            }))
        }
        Location::Sqlite(file) => {
            let file = wal::canonical(file);
            let (conn, registered) = wal::guarded_open(&file, path, false, || {
                recover_crashed_commit(&file)?;
                let conn = Connection::open_with_flags(
                    &file,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| db_error(path, e))?;
                conn.busy_timeout(BUSY_TIMEOUT)
                    .map_err(|e| db_error(path, e))?;
                harden(&conn, path)?;
                Ok(conn)
            })?;
            Ok(Conn::Sqlite(SqliteConn {
                conn,
                file,
                log: None,
                log_fd: None,
                deferred: false,
                unwritten: false,
                _registered: registered,
            }))
        }
        Location::Postgres(pg) => {
            let reconnecting = again.is_some();
            let mut conn = Conn::postgres(pg, again).map_err(|e| db_error(path, e))?;
            if writable
                && !conn
                    .lock_schema(reconnecting)
                    .map_err(|e| db_error(path, e))?
            {
                return Err(StoreError::DatabaseInUse {
                    path: path.to_path_buf(),
                });
            }
            Ok(conn)
        }
    }
}

/// The meta row of a PostgreSQL schema marking the copy of the data dir that writes it
/// (ADR 0018).
const WRITER: &str = "writer";
/// The meta row of a PostgreSQL schema whose records were moved elsewhere.
const MOVED: &str = "moved";

/// A writer taken over ([`StoreError::TakenOver`]) lets go of its PostgreSQL schema's lock
/// at once, for the copy that wrote (or a standby) to go on.
fn let_go_if_taken_over(conn: &mut Conn, e: StoreError) -> StoreError {
    if matches!(e, StoreError::TakenOver { .. }) {
        conn.unlock_schema();
    }
    e
}

/// Runs `f` in a read snapshot of `conn`.
fn version_tx<R>(
    conn: &mut Conn,
    path: &Path,
    f: impl FnOnce(&Tx<'_>) -> Result<R, SqlError>,
) -> Result<R, StoreError> {
    let tx = conn.read().map_err(|e| db_error(path, e))?;
    let out = f(&tx).map_err(|e| db_error(path, e))?;
    tx.finish().map_err(|e| db_error(path, e))?;
    Ok(out)
}

/// The version of our format the database has (0: none yet).
fn read_version(conn: &mut Conn, path: &Path) -> Result<u32, StoreError> {
    version_tx(conn, path, |tx| tx.format_version())
}

/// Turns off what this database never uses and an attacker could plant: triggers and
/// views do not run on our connections at all, and the defensive mode refuses writes to the
/// schema table through them.
fn harden(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    use rusqlite::config::DbConfig;
    for (config, on) in [
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        // Closing the last connection would checkpoint the log and remove it: a log found
        // missing later could then not be told from one removed after a crash.
        (DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true),
    ] {
        conn.set_db_config(config, on)
            .map_err(|e| db_error(path, e))?;
    }
    Ok(())
}

/// Checks every record against the sealed digest (each row must open under the data key at
/// its place and `seq`, and together they must sum to the digest) and indexes them.
fn build_index(conn: &Tx<'_>, path: &Path, keys: &Keys) -> Result<Index, StoreError> {
    let digest_body = read_digest_body(conn, path)?;
    let stored = open_digest(path, keys, &digest_body)?;
    let mut scanned = Digest {
        counter: stored.counter,
        ..Digest::EMPTY
    };
    let mut seqs = BTreeMap::new();
    conn.scan(
        |e| db_error(path, e),
        |coll, key, seq, body| {
            let seq = u64::try_from(seq).map_err(|_| rolled_back(path))?;
            if seq > stored.counter {
                return Err(rolled_back(path));
            }
            let id = RecordId {
                coll: &coll,
                key: &key,
            };
            // A damaged or replaced body is found now, not when the record is first needed
            // (a channel S could not read would silently go unwatched).
            let version = Version::of(seq, &body)
                .filter(|_| keys.open(&keys.record_aad(&id, seq), &body).is_some())
                .ok_or_else(|| StoreError::Forged {
                    path: label(path, &id),
                })?;
            scanned.add(&keys.entry(&coll, &key, &version));
            seqs.insert((coll, key), version);
            Ok(())
        },
    )?;
    if scanned != stored {
        return Err(rolled_back(path));
    }
    Ok(Index {
        digest_body,
        digest: stored,
        seqs,
        schema_version: schema_version(conn, path)?,
        uncertain: None,
    })
}

fn label(path: &Path, id: &RecordId<'_>) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(" record ");
    s.push(id.coll);
    if !id.key.is_empty() {
        s.push("/");
        s.push(id.key);
    }
    PathBuf::from(s)
}

fn load<T: StateFile>(
    conn: &Tx<'_>,
    path: &Path,
    keys: &Keys,
    id: &RecordId<'_>,
    version: Option<Version>,
) -> Result<Option<T>, StoreError> {
    let Some(version) = version else {
        return Ok(None);
    };
    let seq = version.seq;
    let body = load_body(conn, path, id, version)?;
    let label = label(path, id);
    let envelope =
        keys.open(&keys.record_aad(id, seq), &body)
            .ok_or_else(|| StoreError::Forged {
                path: label.clone(),
            })?;
    envelope::decode::<T>(&label, &envelope).map(Some)
}

/// The body of record `id` at `version`, exactly: the indexed version gone (put back from
/// another copy, or deleted, under us) is [`StoreError::RolledBack`].
fn load_body(
    conn: &Tx<'_>,
    path: &Path,
    id: &RecordId<'_>,
    version: Version,
) -> Result<Vec<u8>, StoreError> {
    conn.body(id.coll, id.key, version.seq)
        .map_err(|e| db_error(path, e))?
        .filter(|b| b.get(..NONCE_LEN) == Some(&version.nonce[..]))
        .ok_or_else(|| rolled_back(path))
}

fn create(
    conn: &mut Conn,
    location: &Location,
    path: &Path,
    identity: &x25519::Identity,
    record_key: &RecordKey,
    imported: Vec<Imported>,
) -> Result<(), StoreError> {
    if let Conn::Sqlite(c) = conn {
        // A mark of a clean stop left by a database removed since does not speak for
        // this one.
        wal::unmark_clean(&c.file)?;
        c.unwritten = false;
    }
    let tx = conn.write().map_err(|e| db_error(path, e))?;
    tx.create_tables(SCHEMA_VERSION, location)
        .map_err(|e| db_error(path, e))?;
    let mut db_id = [0u8; 16];
    let mut data_key = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut db_id)
        .and_then(|()| getrandom::fill(&mut data_key[..]))
        .map_err(|e| StoreError::Database {
            path: path.to_path_buf(),
            reason: format!("no randomness for a data key: {e}"),
        })?;
    let wrapped =
        identity::encrypt_to_recipient(&data_key[..], &identity.to_public()).map_err(|e| {
            StoreError::Database {
                path: path.to_path_buf(),
                reason: format!("cannot encrypt the data key: {e}"),
            }
        })?;
    let tag = record_key.data_key_tag(&db_id, &data_key[..]);
    for (name, value) in [
        ("db_id", &db_id[..]),
        ("data_key", &wrapped[..]),
        ("data_key_tag", &tag[..]),
    ] {
        tx.put_meta(name, value).map_err(|e| db_error(path, e))?;
    }
    let keys = Keys::new(db_id, &data_key);
    // The imported records go in through the same writer as every later one.
    let mut index = Index {
        digest_body: Vec::new(),
        digest: Digest::EMPTY,
        seqs: BTreeMap::new(),
        schema_version: 0,
        uncertain: None,
    };
    let mut txn = Txn {
        tx,
        path,
        keys: &keys,
        index: &mut index,
        digest: Digest::EMPTY,
        changes: BTreeMap::new(),
    };
    for record in &imported {
        let id = RecordId {
            coll: &record.coll,
            key: &record.key,
        };
        txn.put(&id, &record.envelope)?;
    }
    // The digest is written even with nothing imported.
    write_digest(&txn.tx, path, &keys, &txn.digest)?;
    txn.commit()
}

fn load_keys(
    conn: &Tx<'_>,
    path: &Path,
    identity: &x25519::Identity,
    record_key: &RecordKey,
) -> Result<Keys, StoreError> {
    let meta = |name: &str| -> Result<Vec<u8>, StoreError> {
        conn.meta(name)
            .map_err(|e| db_error(path, e))?
            .ok_or_else(|| StoreError::corrupt(path, format!("has no `{name}` (damaged)")))
    };
    let db_id: [u8; 16] = meta("db_id")?
        .try_into()
        .map_err(|_| StoreError::corrupt(path, "has a damaged `db_id`"))?;
    let wrapped = meta("data_key")?;
    let tag = meta("data_key_tag")?;
    let plain = identity::decrypt_with(identity, &wrapped).map_err(|e| {
        StoreError::corrupt(
            path,
            format!(
                "has a data key that {}",
                identity::decrypt_failure_reason(&e)
            ),
        )
    })?;
    let data_key: Zeroizing<[u8; 32]> = Zeroizing::new(
        plain[..]
            .try_into()
            .map_err(|_| StoreError::corrupt(path, "has a data key of the wrong length"))?,
    );
    if !record_key.data_key_tag_matches(&db_id, &data_key[..], &tag) {
        return Err(StoreError::Forged {
            path: path.to_path_buf(),
        });
    }
    Ok(Keys::new(db_id, &data_key))
}

fn read_digest_body(conn: &Tx<'_>, path: &Path) -> Result<Vec<u8>, StoreError> {
    conn.meta("digest")
        .map_err(|e| db_error(path, e))?
        .ok_or_else(|| rolled_back(path))
}

fn open_digest(path: &Path, keys: &Keys, body: &[u8]) -> Result<Digest, StoreError> {
    keys.open(&keys.digest_aad(), body)
        .and_then(|plain| Digest::decode(&plain))
        .ok_or_else(|| StoreError::Forged {
            path: path.to_path_buf(),
        })
}

/// Seals and writes `digest`; returns the row's new value.
fn write_digest(
    conn: &Tx<'_>,
    path: &Path,
    keys: &Keys,
    digest: &Digest,
) -> Result<Vec<u8>, StoreError> {
    let body = keys.seal(&keys.digest_aad(), &digest.encode())?;
    let n = conn
        .put_meta("digest", &body)
        .map_err(|e| db_error(path, e))?;
    expect_one(path, n)?;
    Ok(body)
}

fn rolled_back(path: &Path) -> StoreError {
    StoreError::RolledBack {
        path: path.to_path_buf(),
    }
}

fn db_error(path: &Path, e: impl Into<SqlError>) -> StoreError {
    e.into().at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_adds_and_subtracts_back_to_where_it_was() {
        let keys = Keys::new([7; 16], &[9; 32]);
        let mut d = Digest::EMPTY;
        let v = |seq, n| Version {
            seq,
            nonce: [n; NONCE_LEN],
        };
        let (a, b) = (
            keys.entry("c", "a", &v(1, 0)),
            keys.entry("c", "b", &v(2, 0)),
        );
        d.add(&a);
        d.add(&b);
        let both = d;
        d.sub(&a);
        d.sub(&b);
        assert_eq!(d.sum, Digest::EMPTY.sum);
        assert_eq!(d.count, 0);
        assert_eq!(Digest::decode(&both.encode()), Some(both));
        assert_ne!(
            keys.entry("c", "a", &v(1, 0)),
            keys.entry("c", "a", &v(2, 0))
        );
        // Same place and seq, another body: another entry.
        assert_ne!(
            keys.entry("c", "a", &v(1, 0)),
            keys.entry("c", "a", &v(1, 1))
        );
    }

    #[test]
    fn a_row_opens_only_at_its_place_and_sequence() {
        let keys = Keys::new([1; 16], &[2; 32]);
        let id = RecordId {
            coll: "channels",
            key: "x",
        };
        let body = keys.seal(&keys.record_aad(&id, 5), b"secret").unwrap();
        assert_eq!(
            keys.open(&keys.record_aad(&id, 5), &body).unwrap()[..],
            b"secret"[..]
        );
        assert!(keys.open(&keys.record_aad(&id, 4), &body).is_none());
        let other = RecordId {
            coll: "channels",
            key: "y",
        };
        assert!(keys.open(&keys.record_aad(&other, 5), &body).is_none());
        let elsewhere = Keys::new([3; 16], &[2; 32]);
        assert!(elsewhere
            .open(&elsewhere.record_aad(&id, 5), &body)
            .is_none());
    }
}
