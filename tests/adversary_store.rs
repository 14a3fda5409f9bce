//! Issue 10 (authenticated records): someone who can write the data dir but does not hold
//! the storage identity (a shared backup folder, a sync service, another local user with
//! write access) tries to make the wallet use data of their choosing: a forged record or
//! database, records swapped between places, an old record put back, a record deleted, or
//! state files of the format before the database planted. The data key is wrapped to the
//! *public* recipient, so a forger can make one that unwraps; its tag under the identity,
//! the AEAD of every record and the sealed summary of all of them are what stop them.

use std::io::Write;
use std::path::Path;

use age::secrecy::SecretString;
use asyncpay::keys::Seed;
use asyncpay::store::{
    encode_state_plaintext, DataDir, GroupStats, LockWait, SeedFile, StateFile, StoreError, Unlock,
    DB_FILE, RECIPIENT_FILE,
};
use asyncpay::wallet::WalletState;
use serde::{Deserialize, Serialize};

mod common;

use common::procs::Env;
use common::records::raw_db;

const FORGER_MNEMONIC: &str = "legal winner thank year wave sausage worth useful legal winner \
    thank yellow";

/// A keyed record type of this test (like a channel).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Thing {
    amount_sat: u64,
}

impl StateFile for Thing {
    const FILE: &'static str = "things";
    const KIND: &'static str = "asyncpay-test/thing";
    const VERSION: u32 = 1;
}

/// The data dir's public storage recipient, as anyone can read it.
fn recipient_of(dir: &Path) -> age::x25519::Recipient {
    let text = std::fs::read_to_string(dir.join(RECIPIENT_FILE)).unwrap();
    text.lines()
        .find(|l| l.starts_with("age1"))
        .unwrap()
        .parse()
        .unwrap()
}

/// What a forger can make: `value`'s plaintext envelope (optionally behind `prefix`),
/// age-encrypted to the data dir's public recipient: a state file of the format before the
/// database.
fn forge<T: StateFile>(dir: &Path, value: &T, prefix: &[u8]) -> Vec<u8> {
    let mut plaintext = prefix.to_vec();
    plaintext.extend_from_slice(&encode_state_plaintext(value).unwrap());
    encrypt_to(&recipient_of(dir), &plaintext)
}

fn encrypt_to(recipient: &age::x25519::Recipient, plaintext: &[u8]) -> Vec<u8> {
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plaintext).unwrap();
    writer.finish().unwrap();
    out
}

fn forger_seed() -> SeedFile {
    SeedFile {
        mnemonic: FORGER_MNEMONIC.to_owned(),
        network: "regtest".to_owned(),
        created_at: 1_764_000_000,
        bip39_seed: None,
    }
}

fn new_store(root: &Path) -> (DataDir, asyncpay::store::Store) {
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    let store = dir
        .create_with_passphrase(&SecretString::from("pw".to_owned()), 4)
        .unwrap();
    (dir, store)
}

fn unlock(root: &Path) -> Result<asyncpay::store::Store, StoreError> {
    DataDir::open(root, LockWait::Fail)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
}

/// A copy of data dir `root` at `to` as a crash would leave it (every file but the lock),
/// unlocked.
fn crash_copy(root: &Path, to: &Path) -> asyncpay::store::Store {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    unlock(to).unwrap()
}

/// The database file of `dir` with every commit in it (its write-ahead log moved in), as
/// bytes to put back later.
fn database_bytes(dir: &Path) -> Vec<u8> {
    raw_db(dir)
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    std::fs::read(dir.join(DB_FILE)).unwrap()
}

/// Record `coll`/`key` as it is in the database: (seq, body).
fn row(dir: &Path, coll: &str, key: &str) -> (i64, Vec<u8>) {
    raw_db(dir)
        .query_row(
            "SELECT seq, body FROM records WHERE coll = ?1 AND key = ?2",
            [coll, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Puts `row` in as record `coll`/`key`, whatever was there.
fn put_row(dir: &Path, coll: &str, key: &str, (seq, body): &(i64, Vec<u8>)) {
    raw_db(dir)
        .execute(
            "INSERT OR REPLACE INTO records (coll, key, seq, body) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![coll, key, seq, body],
        )
        .unwrap();
}

fn meta(dir: &Path, name: &str) -> Vec<u8> {
    raw_db(dir)
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
}

fn set_meta(dir: &Path, name: &str, value: &[u8]) {
    raw_db(dir)
        .execute(
            "UPDATE meta SET value = ?2 WHERE name = ?1",
            rusqlite::params![name, value],
        )
        .unwrap();
}

/// `other`'s sealed bytes behind `genuine`'s nonce: a body that passes the running
/// process's version check (place, seq and nonce as indexed) and so meets the AEAD check.
fn with_nonce_of(genuine: &[u8], other: &[u8]) -> Vec<u8> {
    [&genuine[..24], &other[24..]].concat()
}

/// Removes the database, leaving the data dir as a release before it left it (identity
/// and recipient only), for the tests of what that release wrote.
fn remove_database(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{DB_FILE}{suffix}")));
    }
}

/// The measured attack of the issue, against the database: a seed of the forger's mnemonic
/// in place of ours is refused, whether they put in bytes of their own, a record sealed in
/// their own wallet's database, or a whole database of their own whose data key they
/// wrapped to our public recipient (it unwraps; only its tag under our identity is
/// missing).
#[test]
fn a_forged_seed_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (ours, theirs) = (tmp.path().join("ours"), tmp.path().join("theirs"));
    let (dir, store) = new_store(&ours);
    let seed = Seed::generate(&[7; 32]);
    store
        .save(&SeedFile {
            mnemonic: seed.phrase().to_string(),
            network: "regtest".to_owned(),
            created_at: 1,
            bip39_seed: None,
        })
        .unwrap();
    let genuine = row(&ours, SeedFile::FILE, "");
    let (forger_dir, forger_store) = new_store(&theirs);
    forger_store.save(&forger_seed()).unwrap();

    // Bytes of their own, and their own sealed record.
    for forged in [
        (genuine.0, vec![0x42; genuine.1.len()]),
        row(&theirs, SeedFile::FILE, ""),
    ] {
        put_row(
            &ours,
            SeedFile::FILE,
            "",
            &(genuine.0, with_nonce_of(&genuine.1, &forged.1)),
        );
        let err = store.load::<SeedFile>().unwrap_err();
        assert!(matches!(err, StoreError::Forged { .. }), "{err}");
        assert!(err.is_corrupt_or_unsupported());
        assert!(
            err.to_string().contains("restore it from your own backup"),
            "{err}"
        );
    }
    put_row(&ours, SeedFile::FILE, "", &genuine);
    drop((store, dir, forger_store, forger_dir));

    // A whole database of theirs, its data key re-wrapped to our recipient.
    let forger_identity = {
        // The forger knows their own identity: they exported it.
        let dir = DataDir::open(&theirs, LockWait::Fail).unwrap();
        let store = dir
            .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
            .unwrap();
        let text = dir.export_identity(&store);
        use age::secrecy::ExposeSecret;
        text.expose_secret()
            .parse::<age::x25519::Identity>()
            .unwrap()
    };
    let data_key = age::decrypt(&forger_identity, &meta(&theirs, "data_key")).unwrap();
    std::fs::write(ours.join(DB_FILE), database_bytes(&theirs)).unwrap();
    std::fs::write(ours.join(format!("{DB_FILE}-wal")), b"").unwrap();
    let _ = std::fs::remove_file(ours.join(format!("{DB_FILE}-shm")));
    set_meta(
        &ours,
        "data_key",
        &encrypt_to(&recipient_of(&ours), &data_key),
    );
    let err = unlock(&ours).unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert!(err.to_string().contains(DB_FILE), "{err}");
}

/// Authentic records moved: one channel's record copied over another's (with or without
/// its sequence number), or a record copied to another kind's place, are refused (the
/// associated data binds the place).
#[test]
fn swapped_records_are_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (_dir, store) = new_store(tmp.path());
    store.save_keyed("small", &Thing { amount_sat: 1 }).unwrap();
    store
        .save_keyed(
            "large",
            &Thing {
                amount_sat: 1_000_000,
            },
        )
        .unwrap();
    let small = row(tmp.path(), Thing::FILE, "small");
    let large = row(tmp.path(), Thing::FILE, "large");
    // With the indexed sequence number and nonce the body fails to open; with its own, the
    // row is not the version the wallet indexed.
    put_row(
        tmp.path(),
        Thing::FILE,
        "small",
        &(small.0, with_nonce_of(&small.1, &large.1)),
    );
    let err = store.load_keyed::<Thing>("small").unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    put_row(tmp.path(), Thing::FILE, "small", &large);
    let err = store.load_keyed::<Thing>("small").unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    assert_eq!(
        store.load_keyed::<Thing>("large").unwrap(),
        Some(Thing {
            amount_sat: 1_000_000
        })
    );

    store.save(&forger_seed()).unwrap();
    put_row(
        tmp.path(),
        Thing::FILE,
        "small",
        &(
            small.0,
            with_nonce_of(&small.1, &row(tmp.path(), SeedFile::FILE, "").1),
        ),
    );
    let err = store.load_keyed::<Thing>("small").unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
}

/// The gap ADR 0005 left open, closed: an authentic record put back from an older copy
/// (a channel's state before its last update, with the secret nonce it has since used), a
/// record deleted (a payment), or an authentic record of an older copy added back are
/// each refused when the database is opened, with nothing changed; the genuine rows back
/// make it open again.
#[test]
fn a_rolled_back_deleted_or_added_record_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (dir, store) = new_store(tmp.path());
    store.save_keyed("ch", &Thing { amount_sat: 5 }).unwrap();
    store.save_keyed("gone", &Thing { amount_sat: 9 }).unwrap();
    let old = row(tmp.path(), Thing::FILE, "ch");
    let gone = row(tmp.path(), Thing::FILE, "gone");
    store
        .transaction(|tx| {
            tx.save_keyed("ch", &Thing { amount_sat: 6 })?;
            tx.remove_keyed::<Thing>("gone").map(drop)
        })
        .unwrap();
    let new = row(tmp.path(), Thing::FILE, "ch");
    drop((store, dir));
    unlock(tmp.path()).unwrap();

    let refused = |what: &str| {
        let err = unlock(tmp.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::RolledBack { .. }),
            "{what}: {err}"
        );
        assert!(err.is_corrupt_or_unsupported());
        assert!(
            err.to_string().contains("restore the whole data dir"),
            "{err}"
        );
    };
    put_row(tmp.path(), Thing::FILE, "ch", &old);
    refused("rolled back");
    put_row(tmp.path(), Thing::FILE, "ch", &new);
    put_row(tmp.path(), Thing::FILE, "gone", &gone);
    refused("added back");
    raw_db(tmp.path())
        .execute("DELETE FROM records WHERE key IN ('gone', 'ch')", [])
        .unwrap();
    refused("deleted");
    put_row(tmp.path(), Thing::FILE, "ch", &new);
    let store = unlock(tmp.path()).unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("ch").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
}

/// The database itself as the attack surface (issue 10 review): a trigger that turns every
/// write into a no-op (the wallet would believe a consumed nonce or a completed state was
/// saved), an index that answers with other rows, a damaged body (a channel S could not
/// read would go unwatched) and a row changed under a running process. Each is refused.
#[test]
fn tampering_with_the_database_itself_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    store.save_keyed("b", &Thing { amount_sat: 6 }).unwrap();

    // A row changed under the running process: the next read refuses it.
    let a = row(root, Thing::FILE, "a");
    store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap();
    let new_a = row(root, Thing::FILE, "a");
    put_row(root, Thing::FILE, "a", &a);
    let err = store.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    put_row(root, Thing::FILE, "a", &new_a);

    // A trigger that swallows writes: refused by the next write, and at open.
    raw_db(root)
        .execute_batch(
            "CREATE TRIGGER swallow BEFORE INSERT ON records BEGIN SELECT RAISE(IGNORE); END;",
        )
        .unwrap();
    let err = store.save_keyed("b", &Thing { amount_sat: 1 }).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    drop((store, dir));
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    raw_db(root).execute_batch("DROP TRIGGER swallow;").unwrap();
    assert_eq!(
        unlock(root).unwrap().load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );

    // An extra index (one that could answer with other rows than the table's).
    raw_db(root)
        .execute_batch("CREATE INDEX other ON records (seq, coll, key);")
        .unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    raw_db(root).execute_batch("DROP INDEX other;").unwrap();

    // A damaged body is found when the database opens, not when the record is needed.
    let (seq, mut body) = row(root, Thing::FILE, "b");
    *body.last_mut().unwrap() ^= 1;
    put_row(root, Thing::FILE, "b", &(seq, body.clone()));
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert!(err.to_string().contains("record things/b"), "{err}");
    *body.last_mut().unwrap() ^= 1;
    put_row(root, Thing::FILE, "b", &(seq, body));
    unlock(root).unwrap();
}

/// The write-ahead log holds every commit since its last checkpoint (ADR 0013): a data dir
/// found without it after a crash, or copied without it, is refused rather than opened at
/// the checkpoint (an older state, with secret nonces since used). The refusal changes
/// nothing (it is refused again), and the log put back brings every commit back. A writer
/// that stops cleanly leaves its log empty and says so (`records.sqlite-clean`): a log
/// removed then, or by a SQLite tool closing the database last, is made again; the next
/// writer's first write takes that mark away.
#[test]
fn a_missing_log_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    let _ = database_bytes(root); // checkpointed: 5 is in the file
                                  // A reader in the middle of a read keeps the writer from emptying its log when it
                                  // stops, as a crash would: the commit of 6 stays in the log only.
    let reader = raw_db(root);
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    store.save_keyed("a", &Thing { amount_sat: 6 }).unwrap();
    drop((store, dir));
    drop(reader);
    let log = root.join(format!("{DB_FILE}-wal"));
    let kept = std::fs::read(&log).unwrap();
    assert!(!kept.is_empty(), "the last commit is in the log");

    std::fs::remove_file(&log).unwrap();
    for _ in 0..2 {
        let err = unlock(root).unwrap_err();
        assert!(matches!(err, StoreError::LogMissing { .. }), "{err}");
        assert!(err.is_corrupt_or_unsupported());
        let text = err.to_string();
        assert!(text.contains("records.sqlite-wal"), "{text}");
        assert!(text.contains("restore the whole data dir"), "{text}");
        let err = asyncpay::store::ReadOnlyDir::open(root)
            .unwrap()
            .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
            .unwrap_err();
        assert!(matches!(err, StoreError::LogMissing { .. }), "{err}");
        assert!(!log.exists(), "a refusal makes no new, empty log");
    }

    std::fs::write(&log, &kept).unwrap();
    let store = unlock(root).unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    drop(store);
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        0,
        "a clean stop empties it"
    );

    // After a clean stop (the mark of it beside the database), a log removed, or taken
    // away by a SQLite tool with SQLite's defaults closing the database last, held
    // nothing: it is made again.
    let clean = root.join(format!("{DB_FILE}-clean"));
    assert!(clean.exists());
    let tool = rusqlite::Connection::open(root.join(DB_FILE)).unwrap();
    let _: i64 = tool
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    drop(tool);
    assert!(!log.exists());
    let store = unlock(root).unwrap();
    assert!(log.exists());
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    // The first write takes the mark away before anything goes to the log: a crash (here
    // a close whose checkpoint a reader holds up) then leaves no mark, and a removed log
    // is refused again.
    store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap();
    assert!(!clean.exists());
    let reader = raw_db(root);
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    drop(store);
    drop(reader);
    assert!(!clean.exists());
    std::fs::remove_file(&log).unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::LogMissing { .. }), "{err}");
}

/// The log removed while the writer runs (a cleanup tool, an `rm`): the commits only the
/// removed file held are moved into the database file before the next write, which then
/// goes to a new, empty log; a copy of the data dir taken at any point after (what a
/// crash leaves) has every commit. While a reader keeps the move from completing, nothing
/// is written. A log replaced by another file is never applied.
#[test]
fn a_log_removed_or_replaced_under_a_running_writer_loses_nothing() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    let (dir, store) = new_store(&root);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    store.save_keyed("b", &Thing { amount_sat: 6 }).unwrap();
    let log = root.join(format!("{DB_FILE}-wal"));
    assert!(std::fs::metadata(&log).unwrap().len() > 0);
    let crash_copy = |name: &str| crash_copy(&root, &tmp.path().join(name));

    std::fs::remove_file(&log).unwrap();
    store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap();
    assert!(log.exists(), "a new log");
    let copy = crash_copy("after-rm");
    assert_eq!(
        copy.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 7 })
    );
    assert_eq!(
        copy.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );

    // A reader in the middle of a read: the move waits for it, then goes on.
    let hold = |millis: u64| {
        let (started, wait) = std::sync::mpsc::channel();
        let root = root.clone();
        let reader = std::thread::spawn(move || {
            let reader = raw_db(&root);
            reader.execute_batch("BEGIN").unwrap();
            let _: i64 = reader
                .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
                .unwrap();
            started.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(millis));
        });
        wait.recv().unwrap();
        reader
    };
    let reader = hold(300);
    std::fs::remove_file(&log).unwrap();
    store.save_keyed("a", &Thing { amount_sat: 8 }).unwrap();
    reader.join().unwrap();
    let copy = crash_copy("after-reader");
    assert_eq!(
        copy.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 8 })
    );
    // One that outlasts SQLite's wait (10 s): nothing is written, and the next write,
    // once it has gone, moves the commits.
    let reader = hold(11_000);
    std::fs::remove_file(&log).unwrap();
    let err = store
        .save_keyed("a", &Thing { amount_sat: 99 })
        .unwrap_err();
    assert!(matches!(err, StoreError::LogRemoved { .. }), "{err}");
    assert!(!err.is_in_use());
    reader.join().unwrap();
    store.save_keyed("b", &Thing { amount_sat: 11 }).unwrap();
    let copy = crash_copy("after-long-reader");
    assert_eq!(
        copy.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 8 })
    );

    // A log replaced by an older copy of itself is not applied.
    let older = std::fs::read(&log).unwrap();
    store.save_keyed("a", &Thing { amount_sat: 9 }).unwrap();
    std::fs::remove_file(&log).unwrap();
    std::fs::write(&log, &older).unwrap();
    store.save_keyed("b", &Thing { amount_sat: 10 }).unwrap();
    // Removed, then the writer closes (its next event): the close moves the commits,
    // waiting for a reader.
    let reader = hold(300);
    std::fs::remove_file(&log).unwrap();
    drop((store, dir));
    reader.join().unwrap();
    assert!(log.exists());
    let store = unlock(&root).unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 9 })
    );
    assert_eq!(
        store.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 10 })
    );
}

/// Group commit (ADR 0014): a writer whose durability is deferred commits without a sync of
/// its own, and one sync makes every commit waiting durable. A log removed after such
/// commits and before their sync (their only copy is in the removed file) has them moved
/// into the database file by the sync, as at a write: a copy of the data dir taken then,
/// as a crash would leave it, holds every one.
#[test]
fn a_group_sync_covers_every_commit_and_a_log_removed_before_it_loses_nothing() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    let (_dir, store) = new_store(&root);
    store.save_keyed("a", &Thing { amount_sat: 1 }).unwrap();
    assert!(!store.sync_pending(), "a commit syncs itself by default");
    assert!(store.defer_durability());
    for amount_sat in 2..7 {
        store.save_keyed("a", &Thing { amount_sat }).unwrap();
    }
    assert!(store.sync_pending());
    store.sync().unwrap();
    assert!(!store.sync_pending());
    assert_eq!(
        store.group_stats(),
        GroupStats {
            commits: 5,
            syncs: 1
        }
    );
    store.sync().unwrap();
    assert_eq!(store.group_stats().syncs, 1, "nothing was waiting");

    store.save_keyed("b", &Thing { amount_sat: 7 }).unwrap();
    let log = root.join(format!("{DB_FILE}-wal"));
    std::fs::remove_file(&log).unwrap();
    store.sync().unwrap();
    assert!(log.exists(), "an empty log in place of the removed one");
    let copy = crash_copy(&root, &tmp.path().join("copy"));
    assert_eq!(
        copy.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    assert_eq!(
        copy.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 7 })
    );
}

/// A data dir reached through a symbolic link that is pointed elsewhere while the writer
/// runs (an operator's migration): the group sync checks the log at the path the connection
/// resolved, as the writer's own check does, and returns (the second review reproduced a
/// sync that looped for ever when the two checks looked at different paths).
#[test]
fn a_group_sync_returns_when_the_data_dirs_link_is_pointed_elsewhere() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (real, other, link) = (
        tmp.path().join("real"),
        tmp.path().join("other"),
        tmp.path().join("link"),
    );
    std::fs::create_dir(&real).unwrap();
    std::fs::create_dir(&other).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (_dir, store) = new_store(&link);
    assert!(store.defer_durability());
    store.save_keyed("a", &Thing { amount_sat: 1 }).unwrap();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&other, &link).unwrap();
    let store = std::sync::Arc::new(store);
    let (done, result) = std::sync::mpsc::channel();
    let syncing = store.clone();
    std::thread::spawn(move || done.send(syncing.sync().map_err(|e| e.to_string())));
    let synced = result
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the sync returns");
    assert_eq!(synced, Ok(()));
    assert!(!store.sync_pending());
}

const SWITCH_ENV: &str = "ASYNCPAY_TEST_SWITCH_JOURNAL";

/// Run by `the_log_is_checked_without_dropping_sqlites_locks` in a process of its own:
/// tries to switch the database named by `SWITCH_ENV` to a rollback journal, and says how
/// that went.
#[test]
fn child_switch_journal() {
    let Some(db) = std::env::var_os(SWITCH_ENV) else {
        return;
    };
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    match conn.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get::<_, String>(0)) {
        Ok(mode) => println!("SWITCHED {mode}"),
        Err(e) => println!("REFUSED {e}"),
    }
}

/// The log is looked at by hand only while this process has no connection to the
/// database (closing any descriptor of a file drops every POSIX lock the process holds on
/// it, SQLite's included): with a writer and two read-only views open in one process,
/// another program still cannot switch the journal (which would remove the log the writer
/// commits to). The log and its index are 0600, and a header that says "log" by its write
/// version alone is refused without one too.
#[test]
fn the_log_is_checked_without_dropping_sqlites_locks() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    let view = asyncpay::store::ReadOnlyDir::open(root)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
        .unwrap();
    assert_eq!(
        view.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 5 })
    );
    // A second view: the process has the database open, so its files are not opened by
    // hand (which would drop the locks SQLite holds on them).
    let second = asyncpay::store::ReadOnlyDir::open(root)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
        .unwrap();
    // SQLite's lock on the database file is still the kernel's (a descriptor opened and
    // closed by hand beside the connection would have dropped it).
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(root.join(DB_FILE)).unwrap().ino();
        let pid = std::process::id().to_string();
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        assert!(
            locks.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(4) == Some(&pid.as_str())
                    && f.get(5).is_some_and(|d| d.ends_with(&format!(":{ino}")))
            }),
            "{locks}"
        );
    }
    // Another program (another process: SQLite's locks are per process).
    let other = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_switch_journal", "--nocapture"])
        .env(SWITCH_ENV, root.join(DB_FILE))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&other.stdout);
    assert!(
        said.contains("REFUSED") && said.contains("locked"),
        "{said}"
    );
    store.save_keyed("a", &Thing { amount_sat: 6 }).unwrap();
    #[cfg(unix)]
    for side in ["-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join(format!("{DB_FILE}{side}")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{side}");
    }
    drop((second, view, store, dir));

    let db = root.join(DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[18] = 1;
    std::fs::write(&db, &bytes).unwrap();
    std::fs::remove_file(root.join(format!("{DB_FILE}-wal"))).unwrap();
    // As after a crash: no mark of a clean stop.
    std::fs::remove_file(root.join(format!("{DB_FILE}-clean"))).unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::LogMissing { .. }), "{err}");
}

/// The second review's attacks on a running process: the whole database put back from an
/// older copy under it (every row and the digest: consistent, but not what the writer
/// last wrote), the schema changed under it, its journal switched by another program
/// (which SQLite refuses while the writer has the database open), and a full database
/// claiming to be a new one. Each is refused; a read-only view accepts only a
/// newer digest than the one it checked.
#[test]
fn a_database_changed_under_a_running_process_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    let db = root.join(DB_FILE);
    let old = database_bytes(root);
    store.save_keyed("a", &Thing { amount_sat: 6 }).unwrap();
    let new = database_bytes(root);

    // The whole older copy written back under the writer.
    std::fs::write(&db, &old).unwrap();
    let err = store.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    let err = store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    std::fs::write(&db, &new).unwrap();
    // SQLite's cache of a database with a write-ahead log does not see a file changed
    // around SQLite: the running writer stays refused; started again, it reads the file.
    let err = store.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    drop((store, dir));
    let store = unlock(root).unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );

    // A read-only view follows the writer forward, never back.
    let reader = asyncpay::store::ReadOnlyDir::open(root)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
        .unwrap();
    store.save_keyed("a", &Thing { amount_sat: 8 }).unwrap();
    assert_eq!(
        reader.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 8 })
    );
    // Past a commit that only removed a record, too (its counter moves: ADR 0018).
    store.save_keyed("gone", &Thing { amount_sat: 1 }).unwrap();
    let seen = reader.records_counter().unwrap();
    assert!(store.remove_keyed::<Thing>("gone").unwrap());
    assert_eq!(reader.load_keyed::<Thing>("gone").unwrap(), None);
    assert!(reader.records_counter().unwrap() > seen);
    let newest = database_bytes(root);
    std::fs::write(&db, &new).unwrap();
    let err = reader.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    std::fs::write(&db, &newest).unwrap();

    // The schema changed under the writer (a table added, then taken away again).
    raw_db(root)
        .execute_batch("CREATE TABLE planted (x); DROP TABLE planted;")
        .unwrap();
    let err = store.save_keyed("a", &Thing { amount_sat: 9 }).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    drop(store);
    let store = unlock(root).unwrap();

    // The journal switched by someone else: leaving the write-ahead log needs the
    // database to oneself, which SQLite refuses while the writer has it open (and the
    // writer checks the mode at every write as well).
    let other = raw_db(root);
    other
        .busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    let err = other
        .query_row("PRAGMA journal_mode=TRUNCATE", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    store.save_keyed("a", &Thing { amount_sat: 9 }).unwrap();
    drop((store, other));

    // A full database that says it is new.
    raw_db(root)
        .execute_batch("PRAGMA user_version = 0;")
        .unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
    let err = asyncpay::store::ReadOnlyDir::open(root)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
        .unwrap_err();
    assert!(matches!(err, StoreError::RolledBack { .. }), "{err}");
}

/// `wallet upgrade` vouches for the state files of a data dir a release before
/// authentication wrote (none tagged), once, moving them into the database. A file with a
/// made-up tag among them stops it with nothing written; once the database exists, files
/// planted beside it are never read, and removed.
#[test]
fn upgrade_moves_an_old_data_dir_but_never_a_planted_file() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    drop(new_store(root));
    remove_database(root);
    // An old data dir: every record untagged, as the release before authentication wrote.
    let things = root.join(Thing::FILE);
    std::fs::create_dir(&things).unwrap();
    let (a, b) = (things.join("a.age"), things.join("b.age"));
    std::fs::write(&a, forge(root, &Thing { amount_sat: 5 }, b"")).unwrap();
    std::fs::write(&b, forge(root, &Thing { amount_sat: 6 }, b"")).unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::NotMigrated { .. }), "{err}");
    assert!(!root.join(DB_FILE).exists(), "nothing written");

    // A file with a made-up tag among them: nothing is written.
    let mut prefix = b"asyncpay-record-v1\n".to_vec();
    prefix.extend_from_slice(&[1; 32]);
    let bad = things.join("c.age");
    std::fs::write(&bad, forge(root, &Thing { amount_sat: 7 }, &prefix)).unwrap();
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    let pw = Unlock::Passphrase(SecretString::from("pw".to_owned()));
    let err = dir.unlock_upgrading(&pw).unwrap_err();
    assert!(
        matches!(err, StoreError::Forged { ref path } if *path == bad),
        "{err}"
    );
    assert!(
        !root.join(DB_FILE).exists() && a.exists(),
        "nothing written"
    );
    std::fs::remove_file(&bad).unwrap();

    let (store, moved) = dir.unlock_upgrading(&pw).unwrap();
    assert_eq!(moved, vec![a.clone(), b.clone()]);
    assert!(
        !things.exists(),
        "the moved files and their directory are gone"
    );
    assert_eq!(
        store.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    drop(store);

    // Now a file is planted in the old format: never read (the database's record stands)
    // and removed, so that it could not be imported if the database were taken away.
    std::fs::create_dir(&things).unwrap();
    let planted = forge(
        root,
        &Thing {
            amount_sat: 1_000_000,
        },
        b"",
    );
    std::fs::write(&b, &planted).unwrap();
    let (store, moved) = dir.unlock_upgrading(&pw).unwrap();
    assert!(moved.is_empty());
    assert_eq!(
        store.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    assert!(!b.exists());
}

/// Through the binary: a forged seed makes every command that reads it fail with exit 7 and
/// the reason, instead of handing out the forger's addresses, and the error does not invite
/// an upgrade; a data dir an older release wrote works again after `wallet upgrade`.
#[test]
fn the_binary_refuses_a_forged_seed_and_upgrades_an_old_data_dir() {
    let env = Env::new();
    let a = env.wallet("a");
    let genuine = a.ok(&["wallet", "info"])["node_id"].clone();
    a.ok(&["wallet", "address"]); // saves the on-chain wallet next to the seed
    let genuine_row = row(&a.dir, SeedFile::FILE, "");
    let error_of = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(7), "{out:?}");
        // `--json`: the error is the one JSON document on stdout.
        let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(error["error"]["kind"], "data", "{error}");
        // What happened, then what to do (in `hint`).
        format!(
            "{}\nhint: {}",
            error["error"]["message"].as_str().unwrap(),
            error["error"]["hint"].as_str().unwrap_or_default()
        )
    };

    put_row(
        &a.dir,
        SeedFile::FILE,
        "",
        &(genuine_row.0, forge(&a.dir, &forger_seed(), b"")),
    );
    let message = error_of(a.cmd(&["wallet", "address"]).output().unwrap());
    assert!(message.contains("fails its authentication"), "{message}");
    assert!(
        !message.contains("upgrade") && !message.contains("bcrt1"),
        "{message}"
    );
    let message = error_of(a.cmd(&["wallet", "upgrade"]).output().unwrap());
    assert!(message.contains("fails its authentication"), "{message}");

    // The genuine record back: the wallet is itself again.
    put_row(&a.dir, SeedFile::FILE, "", &genuine_row);
    assert_eq!(a.ok(&["wallet", "info"])["node_id"], genuine);

    // An old data dir (every record an untagged file, as the release before authentication
    // wrote them): refused with the upgrade hint until `wallet upgrade`, then the same
    // wallet.
    {
        let store = unlock(&a.dir).unwrap();
        let seed: SeedFile = store.load().unwrap().unwrap();
        let wallet: WalletState = store.load().unwrap().unwrap();
        drop(store);
        remove_database(&a.dir);
        std::fs::write(a.dir.join(SeedFile::FILE), forge(&a.dir, &seed, b"")).unwrap();
        std::fs::write(a.dir.join(WalletState::FILE), forge(&a.dir, &wallet, b"")).unwrap();
    }
    let message = error_of(a.cmd(&["wallet", "info"]).output().unwrap());
    assert!(message.contains("not in records.sqlite yet"), "{message}");
    assert!(message.contains("asyncpay wallet upgrade"), "{message}");
    let upgraded = a.ok(&["wallet", "upgrade"]);
    assert_eq!(
        upgraded["migrated"],
        serde_json::json!(["seed.age", "wallet.age"])
    );
    assert_eq!(upgraded["node_id"], genuine);
    assert_eq!(a.ok(&["wallet", "info"])["node_id"], genuine);
    a.ok(&["wallet", "balance"]);
}
