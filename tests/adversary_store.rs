//! Issue 10 (authenticated records): someone who can write the data dir but does not hold
//! the storage identity (a shared backup folder, a sync service, another local user with
//! write access) tries to make the wallet use data of their choosing. Every state file is
//! encrypted to the *public* recipient, so they can make one that decrypts; the record tag
//! is what stops them.

use std::io::Write;

use age::secrecy::SecretString;
use asyncpay::keys::Seed;
use asyncpay::store::{
    encode_state_plaintext, DataDir, LockWait, SeedFile, StateFile, StoreError, Unlock,
    RECIPIENT_FILE,
};
use asyncpay::wallet::WalletState;
use serde::{Deserialize, Serialize};

mod common;

use common::procs::Env;

const FORGER_MNEMONIC: &str = "legal winner thank year wave sausage worth useful legal winner \
    thank yellow";

/// A keyed record type of this test (like a channel: `things/<key>.age`).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Thing {
    amount_sat: u64,
}

impl StateFile for Thing {
    const FILE: &'static str = "things";
    const KIND: &'static str = "asyncpay-test/thing";
    const VERSION: u32 = 1;
}

/// What a forger can make: `value`'s plaintext envelope (optionally behind `prefix`),
/// age-encrypted to the data dir's public recipient.
fn forge<T: StateFile>(dir: &std::path::Path, value: &T, prefix: &[u8]) -> Vec<u8> {
    let text = std::fs::read_to_string(dir.join(RECIPIENT_FILE)).unwrap();
    let recipient: age::x25519::Recipient = text
        .lines()
        .find(|l| l.starts_with("age1"))
        .unwrap()
        .parse()
        .unwrap();
    let mut plaintext = prefix.to_vec();
    plaintext.extend_from_slice(&encode_state_plaintext(value).unwrap());
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(&plaintext).unwrap();
    writer.finish().unwrap();
    out
}

fn forger_seed() -> SeedFile {
    SeedFile {
        mnemonic: FORGER_MNEMONIC.to_owned(),
        network: "regtest".to_owned(),
        created_at: 1_764_000_000,
    }
}

fn new_store(root: &std::path::Path) -> (DataDir, asyncpay::store::Store) {
    let dir = DataDir::open(root, LockWait::Fail).unwrap();
    let store = dir
        .create_with_passphrase(&SecretString::from("pw".to_owned()), 4)
        .unwrap();
    (dir, store)
}

/// The measured attack of the issue: a `seed.age` of the forger's mnemonic, encrypted to the
/// public recipient, used to load without error (and the wallet then handed out the forger's
/// addresses). Now it is refused, with or without a made-up tag.
#[test]
fn a_forged_seed_is_refused() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (_dir, store) = new_store(tmp.path());
    let ours = Seed::generate(&[7; 32]);
    store
        .save(&SeedFile {
            mnemonic: ours.phrase().to_string(),
            network: "regtest".to_owned(),
            created_at: 1,
        })
        .unwrap();
    let path = store.path_of::<SeedFile>();

    // No tag (as an older asyncpay wrote): in a data dir whose files are tagged, it was
    // planted, and the error does not invite an upgrade.
    store.save_keyed("other", &Thing { amount_sat: 1 }).unwrap();
    std::fs::write(&path, forge(tmp.path(), &forger_seed(), b"")).unwrap();
    let err = store.load::<SeedFile>().unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert!(err.is_corrupt_or_unsupported());
    assert!(store.authenticate_legacy_records().is_err());

    // The current format with a tag the forger made up (they cannot compute ours).
    let mut prefix = b"asyncpay-record-v1\n".to_vec();
    prefix.extend_from_slice(&[0x42; 32]);
    std::fs::write(&path, forge(tmp.path(), &forger_seed(), &prefix)).unwrap();
    let err = store.load::<SeedFile>().unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert!(
        err.to_string().contains("restore it from your own backup"),
        "{err}"
    );
}

/// Authentic records moved: one channel's file copied over another's, or a record copied to
/// another kind's place, are refused (the tag binds the place).
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
    let small = store.keyed_path_of::<Thing>("small").unwrap();
    let large = store.keyed_path_of::<Thing>("large").unwrap();
    std::fs::copy(&large, &small).unwrap();
    let err = store.load_keyed::<Thing>("small").unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert_eq!(
        store.load_keyed::<Thing>("large").unwrap(),
        Some(Thing {
            amount_sat: 1_000_000
        })
    );

    store.save(&forger_seed()).unwrap();
    std::fs::copy(store.path_of::<SeedFile>(), &small).unwrap();
    let err = store.load_keyed::<Thing>("small").unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
}

/// `wallet upgrade` vouches for the files of a data dir an older asyncpay wrote (none
/// tagged), once. In a dir that already holds tagged files it vouches for nothing: an
/// untagged file there was planted, and so is refused as `Forged` — by the upgrade and by
/// every read (whose error then gives no upgrade hint). A wrong tag stops the upgrade too,
/// with nothing written.
#[test]
fn upgrade_authenticates_an_old_data_dir_but_never_a_planted_file() {
    std::env::set_var("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
    let tmp = tempfile::tempdir().unwrap();
    let (_dir, store) = new_store(tmp.path());
    // An old data dir: every record untagged, as the previous release wrote them.
    let a = store.keyed_path_of::<Thing>("a").unwrap();
    let b = store.keyed_path_of::<Thing>("b").unwrap();
    std::fs::create_dir_all(a.parent().unwrap()).unwrap();
    std::fs::write(&a, forge(tmp.path(), &Thing { amount_sat: 5 }, b"")).unwrap();
    std::fs::write(&b, forge(tmp.path(), &Thing { amount_sat: 6 }, b"")).unwrap();
    let err = store.load_keyed::<Thing>("a").unwrap_err();
    assert!(matches!(err, StoreError::Unauthenticated { .. }), "{err}");

    // A file with a made-up tag among them: nothing is written.
    let mut prefix = b"asyncpay-record-v1\n".to_vec();
    prefix.extend_from_slice(&[1; 32]);
    let bad = store.keyed_path_of::<Thing>("c").unwrap();
    std::fs::write(&bad, forge(tmp.path(), &Thing { amount_sat: 7 }, &prefix)).unwrap();
    let before = std::fs::read(&b).unwrap();
    let err = store.authenticate_legacy_records().unwrap_err();
    assert!(
        matches!(err, StoreError::Forged { ref path } if *path == bad),
        "{err}"
    );
    assert_eq!(std::fs::read(&b).unwrap(), before, "nothing written");
    std::fs::remove_file(&bad).unwrap();

    assert_eq!(
        store.authenticate_legacy_records().unwrap(),
        vec![a, b.clone()]
    );
    assert_eq!(
        store.load_keyed::<Thing>("b").unwrap(),
        Some(Thing { amount_sat: 6 })
    );
    assert!(store.authenticate_legacy_records().unwrap().is_empty());

    // Now an untagged file is planted next to the tagged ones: refused everywhere.
    std::fs::write(
        &b,
        forge(
            tmp.path(),
            &Thing {
                amount_sat: 1_000_000,
            },
            b"",
        ),
    )
    .unwrap();
    let err = store.load_keyed::<Thing>("b").unwrap_err();
    assert!(matches!(err, StoreError::Forged { .. }), "{err}");
    assert!(!err.to_string().contains("upgrade"), "{err}");
    let err = store.authenticate_legacy_records().unwrap_err();
    assert!(
        matches!(err, StoreError::Forged { ref path } if *path == b),
        "{err}"
    );
}

/// Through the binary: a forged seed makes every command that reads it fail with exit 7 and
/// the reason, instead of handing out the forger's addresses, and the error does not invite
/// an upgrade; a data dir an older release wrote works again after `wallet upgrade`.
#[test]
fn the_binary_refuses_a_forged_seed_and_upgrades_an_old_data_dir() {
    let env = Env::new();
    let a = env.wallet("a");
    let genuine = a.ok(&["wallet", "info"])["node_id"].clone();
    a.ok(&["wallet", "address"]); // writes wallet.age (tagged) next to seed.age
    let seed_path = a.dir.join(SeedFile::FILE);
    let genuine_file = std::fs::read(&seed_path).unwrap();
    let error_of = |out: std::process::Output| {
        assert_eq!(out.status.code(), Some(7), "{out:?}");
        // `--json`: the error is the one JSON document on stdout.
        let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(error["error"]["kind"], "data", "{error}");
        error["error"]["message"].as_str().unwrap().to_owned()
    };

    std::fs::write(&seed_path, forge(&a.dir, &forger_seed(), b"")).unwrap();
    let message = error_of(a.cmd(&["wallet", "address"]).output().unwrap());
    assert!(message.contains("fails its authentication"), "{message}");
    assert!(
        !message.contains("upgrade") && !message.contains("bcrt1"),
        "{message}"
    );
    let message = error_of(a.cmd(&["wallet", "upgrade"]).output().unwrap());
    assert!(message.contains("fails its authentication"), "{message}");

    // The genuine file back: the wallet is itself again.
    std::fs::write(&seed_path, &genuine_file).unwrap();
    assert_eq!(a.ok(&["wallet", "info"])["node_id"], genuine);

    // An old data dir (every record untagged, as the previous release wrote them): refused
    // with the upgrade hint until `wallet upgrade`, then the same wallet.
    {
        let dir = DataDir::open(&a.dir, LockWait::Fail).unwrap();
        let store = dir
            .unlock(&Unlock::Passphrase(SecretString::from("pw".to_owned())))
            .unwrap();
        let seed: SeedFile = store.load().unwrap().unwrap();
        let wallet: WalletState = store.load().unwrap().unwrap();
        std::fs::write(&seed_path, forge(&a.dir, &seed, b"")).unwrap();
        std::fs::write(store.path_of::<WalletState>(), forge(&a.dir, &wallet, b"")).unwrap();
    }
    let message = error_of(a.cmd(&["wallet", "info"]).output().unwrap());
    assert!(message.contains("is not authenticated"), "{message}");
    assert!(message.contains("asyncpay wallet upgrade"), "{message}");
    let upgraded = a.ok(&["wallet", "upgrade"]);
    assert_eq!(
        upgraded["authenticated"],
        serde_json::json!(["seed.age", "wallet.age"])
    );
    assert_eq!(upgraded["node_id"], genuine);
    assert_eq!(a.ok(&["wallet", "info"])["node_id"], genuine);
    a.ok(&["wallet", "balance"]);
}
