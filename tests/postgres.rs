//! Issue 10 (PostgreSQL for S at scale): a data dir whose records live in a PostgreSQL
//! schema (`asyncpay init --database URL`). The records are the same sealed rows as in
//! `records.sqlite`, so the attacks of `adversary_store.rs` are tried again here by someone
//! who can write the *database* (its administrator, a stolen password, a restored dump):
//! an old row put back, a row deleted, added, swapped or copied from another wallet, the
//! whole schema put back under a running process, a trigger, rule or policy planted, and a
//! second process writing the same schema. Each is refused.
//!
//! Needs `ASYNCPAY_TEST_POSTGRES` (a database URL where tests may create schemas; `.ci/run`
//! starts a throwaway cluster and sets it). Without it these tests say so and pass, unless
//! `ASYNCPAY_REQUIRE_POSTGRES` is set (as `.ci/run` does).

use std::path::Path;
use std::time::Duration;

use age::secrecy::SecretString;
use asyncpay::store::{
    DataDir, LockWait, Postgres, ReadOnlyDir, StateFile, StoreError, Unlock, DATABASE_FILE, DB_FILE,
};
use serde::{Deserialize, Serialize};

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

/// The test database's URL; `None` (after saying so) if there is none to use.
fn pg_url() -> Option<String> {
    match std::env::var("ASYNCPAY_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("ASYNCPAY_REQUIRE_POSTGRES").is_none(),
                "ASYNCPAY_REQUIRE_POSTGRES is set but ASYNCPAY_TEST_POSTGRES is not"
            );
            eprintln!("skipped: set ASYNCPAY_TEST_POSTGRES to a PostgreSQL URL (.ci/run does)");
            None
        }
    }
}

fn pass() -> Unlock {
    Unlock::Passphrase(SecretString::from("pw".to_owned()))
}

/// A new wallet store at `root` with its records in a new schema of the test database.
fn new_store(root: &Path, url: &str) -> (DataDir, asyncpay::store::Store) {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    dir.use_database(&Postgres::new(url).unwrap()).unwrap();
    let store = dir
        .create_with_passphrase(&SecretString::from("pw".to_owned()), 4)
        .unwrap();
    (dir, store)
}

fn unlock(root: &Path) -> Result<asyncpay::store::Store, StoreError> {
    DataDir::open(root, LockWait::Fail).unwrap().unlock(&pass())
}

/// A connection of our own to the schema `root`'s `database` file names: the attacker's.
fn raw(root: &Path, url: &str) -> postgres::Client {
    let text = std::fs::read_to_string(root.join(DATABASE_FILE)).unwrap();
    let schema = text
        .lines()
        .find_map(|l| l.strip_prefix("schema "))
        .unwrap()
        .to_owned();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    client
}

/// Record `coll`/`key` as it is in the database: (seq, body).
fn row(db: &mut postgres::Client, key: &str) -> (i64, Vec<u8>) {
    let r = db
        .query_one(
            "SELECT seq, body FROM records WHERE coll = $1 AND key = $2",
            &[&Thing::FILE, &key],
        )
        .unwrap();
    (r.get(0), r.get(1))
}

/// Puts `row` in as record `things`/`key`, whatever was there.
fn put_row(db: &mut postgres::Client, key: &str, (seq, body): &(i64, Vec<u8>)) {
    db.execute(
        "INSERT INTO records (coll, key, seq, body) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (coll, key) DO UPDATE SET seq = excluded.seq, body = excluded.body",
        &[&Thing::FILE, &key, seq, body],
    )
    .unwrap();
}

/// A copy of data dir `from` at `to` (but its lock file): with PostgreSQL, a second
/// process's view of the same schema.
fn copy_data_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "lock" {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn assert_rolled_back(err: StoreError, what: &str) {
    assert!(
        matches!(err, StoreError::RolledBack { .. }),
        "{what}: {err}"
    );
    assert!(err.to_string().contains("PostgreSQL"), "{what}: {err}");
}

/// The records are in the schema, sealed (the server sees no amount), and nowhere in the
/// data dir; a transaction commits all its writes or none; reopening finds them.
#[test]
fn records_live_sealed_in_postgres() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root, &url);
    store
        .save_keyed(
            "a",
            &Thing {
                amount_sat: 424_242,
            },
        )
        .unwrap();
    let failed: Result<(), StoreError> = store.transaction(|tx| {
        tx.save_keyed("b", &Thing { amount_sat: 1 })?;
        tx.remove_keyed::<Thing>("a")?;
        Err(StoreError::RolledBack {
            path: "stop here".into(),
        })
    });
    assert!(failed.is_err());
    store
        .transaction(|tx| {
            tx.save_keyed("b", &Thing { amount_sat: 2 })?;
            tx.save_keyed("c", &Thing { amount_sat: 3 })
        })
        .unwrap();
    assert!(!root.join(DB_FILE).exists());
    assert!(store
        .database_path()
        .display()
        .to_string()
        .contains("PostgreSQL"));
    drop((store, dir));

    let store = unlock(root).unwrap();
    assert_eq!(store.keys_of::<Thing>().unwrap(), ["a", "b", "c"]);
    assert_eq!(
        store.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 2 })
    );
    let mut db = raw(root, &url);
    for r in db.query("SELECT body FROM records", &[]).unwrap() {
        let body: Vec<u8> = r.get(0);
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("424242") && !text.contains("amount_sat"));
    }
}

/// Someone who can write the database puts an old row back, deletes one, adds one back,
/// swaps two, or copies one from another wallet's schema (a genuine sealed row, but not
/// ours): the wallet refuses to open.
#[test]
fn a_rolled_back_deleted_added_swapped_or_foreign_row_is_refused() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (root, other) = (tmp.path().join("ours"), tmp.path().join("theirs"));
    let (dir, store) = new_store(&root, &url);
    store.save_keyed("ch", &Thing { amount_sat: 5 }).unwrap();
    store.save_keyed("gone", &Thing { amount_sat: 9 }).unwrap();
    let mut db = raw(&root, &url);
    let old = row(&mut db, "ch");
    let gone = row(&mut db, "gone");
    store
        .transaction(|tx| {
            tx.save_keyed("ch", &Thing { amount_sat: 6 })?;
            tx.remove_keyed::<Thing>("gone").map(drop)
        })
        .unwrap();
    let new = row(&mut db, "ch");
    drop((store, dir));
    unlock(&root).unwrap();

    put_row(&mut db, "ch", &old);
    assert_rolled_back(unlock(&root).unwrap_err(), "rolled back");
    put_row(&mut db, "ch", &new);
    put_row(&mut db, "gone", &gone);
    assert_rolled_back(unlock(&root).unwrap_err(), "added back");
    db.execute("DELETE FROM records WHERE key IN ('gone', 'ch')", &[])
        .unwrap();
    assert_rolled_back(unlock(&root).unwrap_err(), "deleted");
    put_row(&mut db, "ch", &new);
    put_row(&mut db, "gone", &(new.0, new.1.clone()));
    let err = unlock(&root).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Forged { .. } | StoreError::RolledBack { .. }
        ),
        "swapped: {err}"
    );
    db.execute("DELETE FROM records WHERE key = 'gone'", &[])
        .unwrap();

    // A genuine row of another wallet, at the same place and sequence number.
    let (theirs_dir, theirs) = new_store(&other, &url);
    theirs.save_keyed("ch", &Thing { amount_sat: 1 }).unwrap();
    let mut their_db = raw(&other, &url);
    let (_, their_body) = row(&mut their_db, "ch");
    put_row(&mut db, "ch", &(new.0, their_body));
    let err = unlock(&root).unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "foreign: {err}");
    assert!(err.to_string().contains("record things/ch"), "{err}");
    drop((theirs, theirs_dir));

    put_row(&mut db, "ch", &new);
    assert_eq!(
        unlock(&root).unwrap().load_keyed::<Thing>("ch").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
}

/// Attacks on the schema and on a running writer: a row or the whole schema put back under
/// it, a trigger that swallows writes, a rule, a row security policy, an extra index, an
/// unlogged table, a constraint, a function or operator that could be picked over
/// PostgreSQL's own, an inheriting child table, a damaged body. Each is refused, and the
/// wallet works again once it is undone.
#[test]
fn tampering_with_the_schema_is_refused() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root, &url);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    store.save_keyed("b", &Thing { amount_sat: 6 }).unwrap();
    let mut db = raw(root, &url);

    // A row put back under the running process: its next read refuses it.
    let a = row(&mut db, "a");
    store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap();
    let new_a = row(&mut db, "a");
    put_row(&mut db, "a", &a);
    assert_rolled_back(store.load_keyed::<Thing>("a").unwrap_err(), "row under");
    put_row(&mut db, "a", &new_a);

    // The whole schema (rows and digest) put back under it: consistent, but not what
    // the writer last wrote.
    db.batch_execute(
        "CREATE TEMP TABLE old_records AS SELECT * FROM records; \
         CREATE TEMP TABLE old_meta AS SELECT * FROM meta;",
    )
    .unwrap();
    store.save_keyed("a", &Thing { amount_sat: 8 }).unwrap();
    let restore = "BEGIN; DELETE FROM records; INSERT INTO records SELECT * FROM old_records; \
                   DELETE FROM meta; INSERT INTO meta SELECT * FROM old_meta; COMMIT;";
    db.batch_execute(
        "CREATE TEMP TABLE new_records AS SELECT * FROM records; \
         CREATE TEMP TABLE new_meta AS SELECT * FROM meta;",
    )
    .unwrap();
    db.batch_execute(restore).unwrap();
    assert_rolled_back(store.load_keyed::<Thing>("a").unwrap_err(), "schema under");
    assert_rolled_back(
        store.save_keyed("a", &Thing { amount_sat: 9 }).unwrap_err(),
        "schema under, write",
    );
    db.batch_execute(&restore.replace("old_", "new_")).unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 8 })
    );

    // A trigger that swallows writes: refused by the next write, and at open.
    db.batch_execute(
        "CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RETURN NULL; END $$; \
         CREATE TRIGGER swallow BEFORE INSERT OR UPDATE ON records \
         FOR EACH ROW EXECUTE FUNCTION swallow();",
    )
    .unwrap();
    assert_rolled_back(
        store.save_keyed("b", &Thing { amount_sat: 1 }).unwrap_err(),
        "trigger",
    );
    drop((store, dir));
    assert_rolled_back(unlock(root).unwrap_err(), "trigger at open");
    db.batch_execute("DROP TRIGGER swallow ON records; DROP FUNCTION swallow();")
        .unwrap();
    assert_eq!(
        unlock(root).unwrap().load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );

    // A rule, a row security policy, an extra index: refused at open.
    for (plant, undo) in [
        (
            "CREATE RULE keep AS ON UPDATE TO records DO INSTEAD NOTHING",
            "DROP RULE keep ON records",
        ),
        (
            "ALTER TABLE records ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY hide ON records USING (key <> 'a')",
            "DROP POLICY hide ON records; ALTER TABLE records DISABLE ROW LEVEL SECURITY",
        ),
        (
            "CREATE INDEX other ON records (seq, coll, key)",
            "DROP INDEX other",
        ),
        // Emptied by a crash of the server, never replicated: not durable.
        (
            "ALTER TABLE records SET UNLOGGED",
            "ALTER TABLE records SET LOGGED",
        ),
        (
            "ALTER TABLE records ADD CONSTRAINT planted CHECK (seq > 0)",
            "ALTER TABLE records DROP CONSTRAINT planted",
        ),
        // Chosen over pg_catalog's for arguments it matches better (CVE-2018-1058's trick).
        (
            "CREATE FUNCTION to_regnamespace(x varchar) RETURNS regnamespace LANGUAGE sql \
             AS 'SELECT NULL::regnamespace'",
            "DROP FUNCTION to_regnamespace(varchar)",
        ),
        (
            "CREATE FUNCTION planted_eq(text, varchar) RETURNS bool LANGUAGE sql \
             AS 'SELECT true'; \
             CREATE OPERATOR = (LEFTARG = text, RIGHTARG = varchar, FUNCTION = planted_eq)",
            "DROP OPERATOR = (text, varchar); DROP FUNCTION planted_eq(text, varchar)",
        ),
    ] {
        db.batch_execute(plant).unwrap();
        assert_rolled_back(unlock(root).unwrap_err(), plant);
        db.batch_execute(undo).unwrap();
    }

    // A child table elsewhere that inherits ours (its rows would take part in every read).
    let evil = format!("evil_{}", std::process::id());
    db.batch_execute(&format!(
        "CREATE SCHEMA {evil}; CREATE TABLE {evil}.child () INHERITS (records)"
    ))
    .unwrap();
    assert_rolled_back(unlock(root).unwrap_err(), "inheriting child");
    db.batch_execute(&format!("DROP SCHEMA {evil} CASCADE"))
        .unwrap();

    // A damaged body is found when the database opens, not when the record is needed.
    let (seq, mut body) = row(&mut db, "b");
    *body.last_mut().unwrap() ^= 1;
    put_row(&mut db, "b", &(seq, body.clone()));
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    *body.last_mut().unwrap() ^= 1;
    put_row(&mut db, "b", &(seq, body));
    unlock(root).unwrap();
}

/// A copy of the data dir started elsewhere would be a second writer of the same schema
/// (two processes spending the same nonces and states): refused while the first one
/// writes. A read-only view (the operator's `server sales list`) reads beside the writer
/// and follows it forward.
#[test]
fn one_writer_per_schema_and_readers_beside_it() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (root, copy) = (tmp.path().join("w"), tmp.path().join("copy"));
    let (dir, store) = new_store(&root, &url);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    copy_data_dir(&root, &copy);
    let err = unlock(&copy).unwrap_err();
    assert!(matches!(err, StoreError::DatabaseInUse { .. }), "{err}");
    assert!(err.is_in_use());
    assert!(
        err.to_string().contains("only one process may write"),
        "{err}"
    );

    let reader = ReadOnlyDir::open(&copy).unwrap().unlock(&pass()).unwrap();
    assert_eq!(
        reader.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 5 })
    );
    store.save_keyed("a", &Thing { amount_sat: 6 }).unwrap();
    assert_eq!(
        reader.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );

    // Once the writer is gone, the other may write.
    drop((store, dir));
    let store = unlock(&copy).unwrap();
    store.save_keyed("a", &Thing { amount_sat: 7 }).unwrap();
    assert_eq!(
        reader.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 7 })
    );
}

/// `init --database`: a password in the URL (it would be written to the data dir in the
/// clear) and a server that cannot be reached are refused before anything is written; a
/// good URL gives a wallet whose records are in PostgreSQL, and `database` names them.
#[test]
fn init_with_a_database_refuses_before_writing_anything() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let init = |dir: &Path, database: &str| {
        assert_cmd::Command::cargo_bin("asyncpay")
            .unwrap()
            .args(["--json", "--datadir"])
            .arg(dir)
            .args(["--chain"])
            .arg(format!("regtest:{}", tmp.path().join("chain").display()))
            .args(["init", "--database", database])
            .env("ASYNCPAY_PASSPHRASE", "a long test passphrase")
            .env("ASYNCPAY_SCRYPT_WORK_FACTOR", "4")
            .env_remove("ASYNCPAY_DATABASE")
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    };
    let with_password = url.replacen("postgres@", "postgres:secret@", 1);
    let out = init(&tmp.path().join("a"), &with_password);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let text = said(&out);
    assert!(
        text.contains("PGPASSWORD") && !text.contains("secret"),
        "{text}"
    );
    assert!(!tmp.path().join("a").exists());

    let out = init(
        &tmp.path().join("b"),
        "postgres://postgres@127.0.0.1:1/postgres",
    );
    assert!(!out.status.success());
    let text = said(&out);
    assert!(text.contains("PostgreSQL server is running"), "{text}");
    assert!(!tmp.path().join("b").exists());

    let out = init(&tmp.path().join("c"), &url);
    assert!(out.status.success(), "{out:?}");
    let c = tmp.path().join("c");
    assert!(c.join(DATABASE_FILE).exists() && !c.join(DB_FILE).exists());
    let store = DataDir::open(&c, LockWait::Fail)
        .unwrap()
        .unlock(&Unlock::Passphrase(SecretString::from(
            "a long test passphrase".to_owned(),
        )))
        .unwrap();
    let seed: Option<asyncpay::store::SeedFile> = store.load().unwrap();
    assert!(seed.is_some());
}

/// `DataDir::move_records`: a wallet's records move from `records.sqlite` to a new schema
/// and back, each time in full, re-sealed under the new database's key, and the old copy
/// is destroyed (it is what a rollback would be made from).
#[test]
fn records_move_to_postgres_and_back() {
    let Some(url) = pg_url() else { return };
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    let store = dir
        .create_with_passphrase(&SecretString::from("pw".to_owned()), 4)
        .unwrap();
    for i in 0..20u64 {
        store
            .save_keyed(&format!("t{i}"), &Thing { amount_sat: i })
            .unwrap();
    }
    let same = |store: &asyncpay::store::Store| {
        assert_eq!(store.keys_of::<Thing>().unwrap().len(), 20);
        for i in 0..20u64 {
            assert_eq!(
                store.load_keyed::<Thing>(&format!("t{i}")).unwrap(),
                Some(Thing { amount_sat: i })
            );
        }
    };

    let stale = std::fs::read(root.join(DB_FILE)).unwrap();
    let pg = Postgres::new(&url).unwrap();
    let asyncpay::store::Moved {
        store,
        records: moved,
        left_behind: left,
    } = dir.move_records(store, Some(&pg)).unwrap();
    assert_eq!(moved, 20);
    assert!(left.is_none());
    assert!(!root.join(DB_FILE).exists() && root.join(DATABASE_FILE).exists());
    same(&store);
    store.save_keyed("t0", &Thing { amount_sat: 100 }).unwrap();
    store.save_keyed("t0", &Thing { amount_sat: 0 }).unwrap();
    drop((store, dir));
    // An old records.sqlite put back beside the `database` file (a move that crashed
    // leaves one): removed at the next open, never read.
    std::fs::write(root.join(DB_FILE), &stale).unwrap();
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    let store = dir.unlock(&pass()).unwrap();
    assert!(!root.join(DB_FILE).exists());
    same(&store);
    let mut db = raw(root, &url);
    let schema: String = db.query_one("SELECT current_schema()", &[]).unwrap().get(0);
    drop(db);

    // And back to records.sqlite; the schema is dropped. Moving where the records are
    // already is refused.
    let asyncpay::store::Moved {
        store,
        records: moved,
        left_behind: left,
    } = dir.move_records(store, None).unwrap();
    assert_eq!((moved, left.is_none()), (20, true));
    assert!(root.join(DB_FILE).exists() && !root.join(DATABASE_FILE).exists());
    same(&store);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let gone = admin
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&schema],
        )
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(gone, 0, "the old schema is dropped");
    let err = dir.move_records(store, None).unwrap_err();
    assert!(err.to_string().contains("already"), "{err}");
    drop(dir);
    same(&unlock(root).unwrap());
}

/// `asyncpay wallet move-records` on a funded wallet: the balance is the same in
/// PostgreSQL and back in SQLite, and the output says where the records went.
#[test]
fn the_binary_moves_a_funded_wallet_and_back() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let chain = format!("regtest:{}", tmp.path().join("chain").display());
    let datadir = tmp.path().join("w");
    let run = |args: &[&str]| -> serde_json::Value {
        let out = assert_cmd::Command::cargo_bin("asyncpay")
            .unwrap()
            .args(["--json", "--datadir"])
            .arg(&datadir)
            .args(["--chain", &chain])
            .args(args)
            .env("ASYNCPAY_PASSPHRASE", "a long test passphrase")
            .env("ASYNCPAY_SCRYPT_WORK_FACTOR", "4")
            .env_remove("ASYNCPAY_DATABASE")
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    run(&["init"]);
    let address = run(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    run(&["regtest", "fund", &address, "100000"]);
    let balance = run(&["wallet", "balance"]);
    assert_eq!(balance["confirmed_sat"], 100_000, "{balance}");

    let moved = run(&["wallet", "move-records", &url]);
    assert!(
        moved["to"].as_str().unwrap().starts_with("PostgreSQL"),
        "{moved}"
    );
    assert!(moved["left_behind"].is_null(), "{moved}");
    assert!(!datadir.join(DB_FILE).exists());
    assert_eq!(run(&["wallet", "info"])["records"], moved["to"]);
    assert_eq!(run(&["wallet", "balance"]), balance);

    let back = run(&["wallet", "move-records", "sqlite"]);
    assert_eq!(back["records"], moved["records"], "{back}");
    assert!(!datadir.join(DATABASE_FILE).exists());
    assert_eq!(run(&["wallet", "balance"]), balance);
}

/// The second review's attack on a running writer: the attacker locks the table, the
/// writer's next transaction waits for it, the attacker plants a trigger that keeps the
/// old rows and lets go. The writer checks the schema only once its own lock is held, so
/// it finds the trigger and writes nothing; the saved value is never silently lost.
#[test]
fn a_trigger_planted_while_the_writer_waits_is_found() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (dir, store) = new_store(&root, &url);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    let mut attacker = raw(&root, &url);
    let mut tx = attacker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE records IN EXCLUSIVE MODE")
        .unwrap();
    let writer = std::thread::spawn(move || {
        let saved = store.save_keyed("a", &Thing { amount_sat: 7 });
        (store, saved)
    });
    std::thread::sleep(Duration::from_millis(500));
    // In `public` (a function in the wallet's own schema would be refused as well).
    let function = format!("public.keep_old_{}", std::process::id());
    tx.batch_execute(&format!(
        "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RETURN OLD; END $$; \
         CREATE TRIGGER keep_old BEFORE UPDATE ON records \
         FOR EACH ROW EXECUTE FUNCTION {function}();"
    ))
    .unwrap();
    tx.commit().unwrap();
    let (store, saved) = writer.join().unwrap();
    assert_rolled_back(saved.unwrap_err(), "trigger planted while waiting");
    drop((store, dir));
    attacker
        .batch_execute(&format!(
            "DROP TRIGGER keep_old ON records; DROP FUNCTION {function}();"
        ))
        .unwrap();
    assert_eq!(
        unlock(&root).unwrap().load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 5 })
    );
}

/// The `database` file carries a tag under the storage identity: someone who can write
/// the data dir but not unlock it cannot point the wallet (and the `PGPASSWORD` it sends)
/// at a server of theirs, nor drop the tag.
#[test]
fn a_redirected_database_file_is_refused() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root, &url);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    drop((store, dir));
    let file = root.join(DATABASE_FILE);
    let genuine = std::fs::read_to_string(&file).unwrap();
    let redirected = genuine.replacen("127.0.0.1", "localhost", 1);
    assert_ne!(redirected, genuine);
    std::fs::write(&file, &redirected).unwrap();
    let err = unlock(root).unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    let untagged: String = genuine
        .lines()
        .filter(|l| !l.starts_with("tag "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&file, untagged).unwrap();
    let err = unlock(root).unwrap_err();
    assert!(err.is_corrupt_or_unsupported(), "{err}");
    std::fs::write(&file, genuine).unwrap();
    assert_eq!(
        unlock(root).unwrap().load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 5 })
    );
}

/// The database keeps a table locked: the wallet gives up after its lock timeout with an
/// error that says what to check, instead of hanging (S would hang with it). And a
/// connection the server drops is made again at the next use (the use that finds it gone
/// may fail), the writer's lock with it.
#[test]
fn a_held_lock_times_out_and_a_dropped_connection_is_made_again() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (_dir, store) = new_store(root, &url);
    store.save_keyed("a", &Thing { amount_sat: 5 }).unwrap();
    let mut attacker = raw(root, &url);
    let mut tx = attacker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let started = std::time::Instant::now();
    let err = store.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::DatabaseServer { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    tx.rollback().unwrap();
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 5 })
    );

    let schema: String = attacker
        .query_one("SELECT current_schema()", &[])
        .unwrap()
        .get(0);
    let killed = attacker
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
             AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 7)",
            &[&schema],
        )
        .unwrap();
    assert_eq!(
        killed.len(),
        1,
        "the writer's connection holds the schema's lock"
    );
    // The write that finds the connection gone may fail (the client learns it only then);
    // the next one connects again.
    if let Err(err) = store.save_keyed("a", &Thing { amount_sat: 6 }) {
        assert!(matches!(err, StoreError::DatabaseServer { .. }), "{err}");
        store.save_keyed("a", &Thing { amount_sat: 6 }).unwrap();
    }
    assert_eq!(
        store.load_keyed::<Thing>("a").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
}

/// Someone with database access drops the schema: the wallet does not start over with an
/// empty one of the same name (S would forget every channel); it refuses to open.
#[test]
fn a_dropped_schema_is_not_made_again_empty() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (dir, store) = new_store(root, &url);
    store.save_keyed("ch", &Thing { amount_sat: 1 }).unwrap();
    drop((store, dir));
    let mut db = raw(root, &url);
    let schema: String = db.query_one("SELECT current_schema()", &[]).unwrap().get(0);
    db.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
    assert_rolled_back(unlock(root).unwrap_err(), "dropped schema");
    assert_rolled_back(unlock(root).unwrap_err(), "still dropped");
}

/// How [`cutting_proxy`] cuts a connection once told to.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    /// Swallows the next message holding `COMMIT` and closes both sides: a commit whose
    /// outcome the writer never learns.
    AtCommit,
    /// Takes the next message from the client as the moment the network between them
    /// failed: the client's side is closed, the server's kept open (and forgotten), as if
    /// the server had not found out yet.
    ClientSide,
}

/// A TCP proxy to `upstream` that cuts a connection as `how` says once `cut` is set; its
/// port.
fn cutting_proxy(
    upstream: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    how: Cut,
) -> u16 {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering::SeqCst;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (client, cut) = (client.unwrap(), cut.clone());
            let server = std::net::TcpStream::connect(&upstream).unwrap();
            let (mut back_from, mut back_to) =
                (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut back_from, &mut back_to);
                if how == Cut::AtCommit {
                    let _ = back_to.shutdown(std::net::Shutdown::Both);
                }
            });
            std::thread::spawn(move || {
                let (mut client, mut server) = (client, server);
                let mut buf = vec![0u8; 1 << 16];
                while let Ok(n @ 1..) = client.read(&mut buf) {
                    let now = match how {
                        Cut::AtCommit => buf[..n].windows(6).any(|w| w == b"COMMIT"),
                        Cut::ClientSide => true,
                    };
                    if now && cut.swap(false, SeqCst) {
                        if how == Cut::ClientSide {
                            let _ = client.shutdown(std::net::Shutdown::Both);
                            std::mem::forget(server);
                            return;
                        }
                        break;
                    }
                    if server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = client.shutdown(std::net::Shutdown::Both);
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}

/// The second review's attack: the writer's connection is cut at COMMIT (it cannot know
/// whether the commit landed), a copy of the data dir takes the freed schema lock and
/// writes, and the first writer reconnects. It accepts only the digest its own cut
/// commit would have written, never the other writer's: it was taken over, for good
/// (ADR 0018), and writes nothing more.
#[test]
fn a_writer_whose_commit_was_cut_accepts_only_its_own_digest() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let Some(url) = pg_url() else { return };
    let config: postgres::Config = url.parse().unwrap();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let cut = std::sync::Arc::new(AtomicBool::new(false));
    let proxied = cutting_proxy(format!("127.0.0.1:{port}"), cut.clone(), Cut::AtCommit);
    let user = config.get_user().unwrap_or("postgres");
    let dbname = config.get_dbname().unwrap_or("postgres");
    let via_proxy = format!("postgres://{user}@127.0.0.1:{proxied}/{dbname}");
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let (_a_lock, a) = new_store(&a_dir, &via_proxy);
    a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap();
    copy_data_dir(&a_dir, &b_dir);
    cut.store(true, SeqCst);
    a.save_keyed("x", &Thing { amount_sat: 2 }).unwrap_err();
    let b = unlock(&b_dir).expect("the cut session's lock is free");
    b.save_keyed("x", &Thing { amount_sat: 7 }).unwrap();
    drop(b);
    for _ in 0..2 {
        let err = a.save_keyed("z", &Thing { amount_sat: 3 }).unwrap_err();
        assert!(matches!(err, StoreError::TakenOver { .. }), "{err:?}");
    }
    assert!(a.must_stop().is_some());
    let b = unlock(&b_dir).unwrap();
    assert_eq!(b.load_keyed("x").unwrap(), Some(Thing { amount_sat: 7 }));
    assert_eq!(b.load_keyed::<Thing>("z").unwrap(), None);
}

/// The network between a writer and the server fails, and the server has not found out: the
/// writer's old session lives on there, holding the schema's lock. Its new session finds
/// it holding the lock, ends it, and goes on writing; it is not taken for another process
/// having taken the schema over (ADR 0018), which would stop S for good.
#[test]
fn a_writer_ends_its_own_old_session_that_still_holds_the_lock() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let Some(url) = pg_url() else { return };
    let config: postgres::Config = url.parse().unwrap();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let cut = std::sync::Arc::new(AtomicBool::new(false));
    let proxied = cutting_proxy(format!("127.0.0.1:{port}"), cut.clone(), Cut::ClientSide);
    let user = config.get_user().unwrap_or("postgres");
    let dbname = config.get_dbname().unwrap_or("postgres");
    let via_proxy = format!("postgres://{user}@127.0.0.1:{proxied}/{dbname}");
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let (_lock, a) = new_store(&a_dir, &via_proxy);
    a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap();
    cut.store(true, SeqCst);
    a.save_keyed("x", &Thing { amount_sat: 2 }).unwrap_err();
    a.save_keyed("x", &Thing { amount_sat: 3 }).unwrap();
    assert!(a.must_stop().is_none());
    assert_eq!(a.load_keyed("x").unwrap(), Some(Thing { amount_sat: 3 }));
    drop(a);
    copy_data_dir(&a_dir, &b_dir);
    let b = unlock(&b_dir).expect("the lock was let go with the store");
    assert_eq!(b.load_keyed("x").unwrap(), Some(Thing { amount_sat: 3 }));
}

/// Each copy of a data dir that writes the schema marks its turn (ADR 0018): a restart of
/// the same copy finds its own mark; a copy of the directory (here on this machine, as
/// after a restore) finds another copy wrote since, and so does the first one after it.
#[test]
fn the_copy_that_last_wrote_the_schema_is_known() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    // A turn: what it finds, then it is taken (with a floor of `floor`).
    let turn = |store: &asyncpay::store::Store, floor: u64| {
        let found = store.writer_turn().unwrap();
        store.take_writer_turn(floor).unwrap();
        (found.copied, found.floor)
    };
    let (lock, a) = new_store(&a_dir, &url);
    assert_eq!(turn(&a, 0), (false, 0), "a schema never marked");
    assert_eq!(turn(&a, 0), (false, 0), "the same copy");
    drop((a, lock));
    let a = unlock(&a_dir).unwrap();
    assert_eq!(turn(&a, 0), (false, 0), "the same copy, opened again");
    drop(a);
    copy_data_dir(&a_dir, &b_dir);
    let b = unlock(&b_dir).unwrap();
    assert_eq!(turn(&b, 77), (true, 0), "a copy, its mark file copied too");
    drop(b);
    // A floor is kept until the next turn, even one that finds no other copy wrote.
    let b = unlock(&b_dir).unwrap();
    assert_eq!(turn(&b, 0), (false, 77));
    drop(b);
    let a = unlock(&a_dir).unwrap();
    assert_eq!(turn(&a, 0), (true, 0), "the copy wrote since");

    // Another mark in the schema under a running writer (another copy took its turn while
    // this one had no session, and wrote nothing the digest shows): taken over, for good,
    // and the lock let go.
    let mut db = raw(&a_dir, &url);
    db.execute(
        "UPDATE meta SET value = $1 WHERE name = 'writer'",
        &[&b"another copy".to_vec()],
    )
    .unwrap();
    let err = a.confirm_writer().unwrap_err();
    assert!(matches!(err, StoreError::TakenOver { .. }), "{err:?}");
    let err = a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap_err();
    assert!(matches!(err, StoreError::TakenOver { .. }), "{err:?}");
    assert!(a.must_stop().is_some());
    let b = unlock(&b_dir).expect("the lock was let go");
    assert_eq!(b.load_keyed::<Thing>("x").unwrap(), None);
}

/// The third review's attack on the writer mark: an old copy of the schema, put back under
/// a running writer, carries an older mark. It is a rollback, refused as ever, not a
/// takeover: the writer keeps its lock, so that no standby adopts the old copy.
#[test]
fn an_old_copy_of_the_schema_put_back_is_a_rollback_whatever_its_mark() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let (lock, a) = new_store(&a_dir, &url);
    a.take_writer_turn(0).unwrap();
    a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap();
    let mut db = raw(&a_dir, &url);
    db.batch_execute(
        "CREATE TEMP TABLE old_records AS SELECT * FROM records; \
         CREATE TEMP TABLE old_meta AS SELECT * FROM meta;",
    )
    .unwrap();
    drop((a, lock));
    let a = unlock(&a_dir).unwrap();
    a.take_writer_turn(0).unwrap();
    a.save_keyed("x", &Thing { amount_sat: 2 }).unwrap();
    db.batch_execute(
        "BEGIN; DELETE FROM records; INSERT INTO records SELECT * FROM old_records; \
         DELETE FROM meta; INSERT INTO meta SELECT * FROM old_meta; COMMIT;",
    )
    .unwrap();
    assert_rolled_back(a.confirm_writer().unwrap_err(), "confirm");
    assert_rolled_back(
        a.save_keyed("x", &Thing { amount_sat: 3 }).unwrap_err(),
        "write",
    );
    assert!(a.must_stop().is_none());
    copy_data_dir(&a_dir, &b_dir);
    let err = unlock(&b_dir)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("in use by another"), "{err}");
}

/// `move-records` marks the old schema as moved before it lets go of its lock: a copy of
/// the data dir made before the move (a standby), which still names the old schema, refuses
/// it when the old copy could not be dropped (here someone holds a lock on it past the
/// drop's lock timeout), instead of serving from it beside the moved records.
#[test]
fn a_copy_made_before_a_move_refuses_the_old_schema() {
    let Some(url) = pg_url() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let (dir, a) = new_store(&a_dir, &url);
    a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap();
    copy_data_dir(&a_dir, &b_dir);
    let mut db = raw(&a_dir, &url);
    let mut holder = db.transaction().unwrap();
    holder
        .batch_execute("LOCK TABLE records IN ACCESS SHARE MODE")
        .unwrap();
    let moved = dir
        .move_records(a, Some(&Postgres::new(&url).unwrap()))
        .unwrap();
    assert!(moved.left_behind.is_some(), "the old schema was dropped");
    holder.rollback().unwrap();
    let Err(err) = unlock(&b_dir) else {
        panic!("the old schema opened");
    };
    assert!(err.to_string().contains("moved elsewhere"), "{err}");
    assert_eq!(
        moved.store.load_keyed("x").unwrap(),
        Some(Thing { amount_sat: 1 })
    );
}

/// The second review's R3: with owner rights on our tables, an attacker forces a row
/// security policy whose function would run in the wallet's own session (here it would
/// release the writer's schema lock, letting a copy of the data dir write beside it). The
/// wallet's sessions run with `row_security=off`: the read fails instead, the function
/// never runs, and the copy is still kept out. (Run as a role that is not a superuser:
/// superusers bypass row security.)
#[test]
fn a_forced_policy_never_runs_in_the_wallets_session() {
    let Some(url) = pg_url() else { return };
    let config: postgres::Config = url.parse().unwrap();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres").to_owned();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let role = format!("asyncpay_test_role_{}", std::process::id());
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT CREATE ON DATABASE {db} TO {role}; \
             CREATE OR REPLACE FUNCTION public.{role}_unlock() RETURNS boolean \
             LANGUAGE plpgsql VOLATILE AS \
             $$ BEGIN PERFORM pg_catalog.pg_advisory_unlock_all(); RETURN true; END $$;"
        ))
        .unwrap();
    let as_role = format!("postgres://{role}@127.0.0.1:{port}/{db}");
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let (a_lock, a) = new_store(&a_dir, &as_role);
    a.save_keyed("x", &Thing { amount_sat: 1 }).unwrap();
    copy_data_dir(&a_dir, &b_dir);
    let text = std::fs::read_to_string(a_dir.join(DATABASE_FILE)).unwrap();
    let schema = text
        .lines()
        .find_map(|l| l.strip_prefix("schema "))
        .unwrap()
        .to_owned();
    admin
        .batch_execute(&format!(
            "ALTER TABLE {schema}.meta ENABLE ROW LEVEL SECURITY; \
             ALTER TABLE {schema}.meta FORCE ROW LEVEL SECURITY; \
             CREATE POLICY p ON {schema}.meta USING (public.{role}_unlock());"
        ))
        .unwrap();
    let err = a.load_keyed::<Thing>("x").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DatabaseServer { .. } | StoreError::RolledBack { .. }
        ),
        "{err}"
    );
    let refused = unlock(&b_dir).unwrap_err();
    assert!(
        refused.is_in_use(),
        "the writer still holds its lock: {refused}"
    );
    admin
        .batch_execute(&format!(
            "DROP POLICY p ON {schema}.meta; \
             ALTER TABLE {schema}.meta NO FORCE ROW LEVEL SECURITY; \
             ALTER TABLE {schema}.meta DISABLE ROW LEVEL SECURITY;"
        ))
        .unwrap();
    assert_eq!(
        a.load_keyed::<Thing>("x").unwrap(),
        Some(Thing { amount_sat: 1 })
    );
    drop((a, a_lock));
    admin
        .batch_execute(&format!(
            "DROP SCHEMA {schema} CASCADE; DROP FUNCTION public.{role}_unlock(); \
             REVOKE CREATE ON DATABASE {db} FROM {role}; DROP ROLE {role};"
        ))
        .unwrap();
}

/// A PostgreSQL cluster of this test's own that takes TCP connections over TLS only
/// (`hostnossl ... reject`), its certificate signed by a CA of the test's and naming
/// `localhost` alone; stopped and removed when dropped.
struct TlsCluster {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

/// A CA called `name`: its certificate (PEM) and its issuer.
fn test_ca(name: &str) -> (String, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (pem, rcgen::Issuer::new(params, key))
}

/// Runs a PostgreSQL program (as the `postgres` user when we are root: it refuses root).
fn pg_program(bin: &Path, name: &str) -> std::process::Command {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(name));
        c
    } else {
        std::process::Command::new(bin.join(name))
    }
}

impl TlsCluster {
    /// `None` (after saying so) where PostgreSQL's programs are not installed.
    fn start() -> Option<(TlsCluster, std::path::PathBuf)> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .max_by_key(|b| {
                let version = b.parent().unwrap().file_name().unwrap().to_owned();
                version.to_string_lossy().parse::<u32>().unwrap_or(0)
            });
        let Some(bin) = bin else {
            assert!(
                std::env::var_os("ASYNCPAY_REQUIRE_POSTGRES").is_none(),
                "ASYNCPAY_REQUIRE_POSTGRES is set but PostgreSQL's programs are not in \
                 /usr/lib/postgresql"
            );
            eprintln!("skipped: PostgreSQL's programs are not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, ca) = test_ca("the database's CA");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        std::fs::write(dir.path().join("server.crt"), cert.pem()).unwrap();
        let key_file = dir.path().join("server.key");
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let _ = std::process::Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let out = pg_program(&bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {out:?}");
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\nhostnossl all all all reject\n",
        )
        .unwrap();
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let started = pg_program(&bin, "pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("log"))
                .args(["-w", "-t", "60", "-o"])
                .arg(format!(
                    "-h 127.0.0.1 -p {port} -k {} -c fsync=off -c ssl=on \
                     -c ssl_cert_file={} -c ssl_key_file={}",
                    dir.path().display(),
                    dir.path().join("server.crt").display(),
                    key_file.display()
                ))
                .arg("start")
                .output()
                .unwrap();
            if started.status.success() {
                return Some((TlsCluster { dir, bin, port }, ca_file));
            }
        }
        panic!(
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.path().join("log")).unwrap_or_default()
        );
    }

    /// The URL of the cluster at `host` (`localhost` or `127.0.0.1`), with `params`.
    fn url(&self, host: &str, params: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{params}", self.port)
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = pg_program(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The wallet reaches a database over TLS checked against the CA the URL names: records
/// are written and read back through a cluster that refuses every plaintext connection.
/// `verify-full` refuses a certificate that does not name the host connected to, and
/// `verify-ca` takes it; a certificate from another CA is refused in either mode (a man
/// in the middle), as is a CA file that is not there.
#[test]
fn records_reach_postgres_over_tls_checked_against_the_url_s_ca() {
    let Some((cluster, ca)) = TlsCluster::start() else {
        return;
    };
    let with_ca =
        |mode: &str, file: &Path| format!("sslmode={mode}&sslrootcert={}", file.display());
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    let url = cluster.url("localhost", &with_ca("verify-full", &ca));
    let (dir, store) = new_store(&root, &url);
    store.save_keyed("k", &Thing { amount_sat: 7 }).unwrap();
    drop((store, dir));
    let thing: Option<Thing> = unlock(&root).unwrap().load_keyed("k").unwrap();
    assert_eq!(thing, Some(Thing { amount_sat: 7 }));
    let plain = postgres::Client::connect(
        &cluster.url("127.0.0.1", "sslmode=disable"),
        postgres::NoTls,
    );
    assert!(plain.is_err(), "the cluster took a plaintext connection");

    let refused = |url: &str, says: &str| {
        let e = Postgres::new(url).unwrap().check().unwrap_err().to_string();
        assert!(e.contains(says), "{url}: {e}");
    };
    Postgres::new(&cluster.url("127.0.0.1", &with_ca("verify-ca", &ca)))
        .unwrap()
        .check()
        .unwrap();
    refused(
        &cluster.url("127.0.0.1", &with_ca("verify-full", &ca)),
        "not valid for name \"127.0.0.1\"",
    );
    let (other_pem, _) = test_ca("a man in the middle's CA");
    let other = tmp.path().join("other-ca.pem");
    std::fs::write(&other, other_pem).unwrap();
    for mode in ["verify-full", "verify-ca"] {
        refused(
            &cluster.url("localhost", &with_ca(mode, &other)),
            "UnknownIssuer",
        );
    }
    let missing = tmp.path().join("no-such-ca.pem");
    refused(
        &cluster.url("localhost", &with_ca("verify-full", &missing)),
        "no-such-ca.pem",
    );
}

/// A server (or a man in the middle) that answers the request for TLS with "no" is
/// refused: the wallet sends nothing in plaintext after it, not even its user name.
#[test]
fn a_server_that_will_not_speak_tls_is_refused_without_a_plaintext_word() {
    use std::io::{Read, Write};
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, test_ca("the database's CA").0).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).unwrap();
        socket.write_all(b"N").unwrap();
        // What the client sends next, until it hangs up (or 3 s pass).
        socket
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut after = Vec::new();
        let _ = socket.read_to_end(&mut after);
        (request, after)
    });
    let url = format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
        ca.display()
    );
    let e = Postgres::new(&url).unwrap().check().unwrap_err();
    let (request, after) = server.join().unwrap();
    // SSLRequest: length 8, code 80877103.
    assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47], "{e}");
    assert!(
        after.is_empty(),
        "sent after the refusal: {}",
        String::from_utf8_lossy(&after)
    );
}

/// `init --database` refuses, before it writes anything, a database off this machine
/// that would be reached without TLS checked against a CA, and the TLS modes that do not
/// check who answers; each refusal says what to write instead.
#[test]
fn init_refuses_a_database_off_this_machine_without_checked_tls() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (url, says)) in [
        (
            "postgres://asyncpay@db.example/asyncpay",
            "sslmode=verify-full",
        ),
        (
            "postgres://asyncpay@db.example/asyncpay?sslmode=require",
            "without checking who answers",
        ),
        (
            "host=10.1.2.3 dbname=asyncpay sslmode=verify-full",
            "need sslrootcert",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = tmp.path().join(format!("w{i}"));
        let out = assert_cmd::Command::cargo_bin("asyncpay")
            .unwrap()
            .arg("--datadir")
            .arg(&dir)
            .args(["--chain"])
            .arg(format!("regtest:{}", tmp.path().join("chain").display()))
            .args(["init", "--database", url])
            .env("ASYNCPAY_PASSPHRASE", "a long test passphrase")
            .env("ASYNCPAY_SCRYPT_WORK_FACTOR", "4")
            .env_remove("ASYNCPAY_DATABASE")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {text}");
        assert!(text.contains(says), "{url}: {text}");
        assert!(!dir.exists(), "{url}");
    }
}
