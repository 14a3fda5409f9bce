//! Issue 10: a network's data dirs written by the release before the records database (one
//! age file per record; `tests/data/files-v1/`, made by the binary of commit 378d298, see
//! `tests/data/README.md`) are migrated by this binary and go on: S, a payer A with a paid
//! and a pending payment, and an offline payee B.

mod common;

use std::path::{Path, PathBuf};

use common::procs::{command_of, copy_dir, Server, Wallet};
use common::story::server_init_args;
use serde_json::Value;

/// The port S of the fixture was set up on (its clients' channels name it); below the
/// ephemeral range, so that no other test is given it.
const PORT: u16 = 29437;
const FIXTURE: &str = "tests/data/files-v1";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

/// Every `*.age` state file under `dir` but `identity.age`.
fn state_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(state_files(&path));
        } else if path.extension().is_some_and(|e| e == "age")
            && path.file_name().is_some_and(|n| n != "identity.age")
        {
            out.push(path);
        }
    }
    out
}

fn wallet(root: &Path, name: &str) -> Wallet {
    Wallet {
        dir: root.join(name),
        chain: root.join("chain"),
        pass: root.join("pw"),
    }
}

#[test]
fn a_network_of_the_file_format_is_migrated_and_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(&fixture(), root);
    let (s, a, b) = (wallet(root, "s"), wallet(root, "a"), wallet(root, "b"));
    for w in [&s, &a, &b] {
        assert!(
            !state_files(&w.dir).is_empty(),
            "the fixture is of the file format"
        );
    }
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("facts.json")).unwrap()).unwrap();
    let (paid, pending) = (
        facts["paid"].as_str().unwrap(),
        facts["pending"].as_str().unwrap(),
    );

    // Each data dir is refused until its owner moves it in, once.
    for w in [&s, &a, &b] {
        let out = w.cmd(&["wallet", "info"]).output().unwrap();
        assert_eq!(out.status.code(), Some(7), "{out:?}");
        let moved = w.ok(&["wallet", "upgrade"]);
        assert!(!moved["migrated"].as_array().unwrap().is_empty(), "{moved}");
    }

    // S starts on the migrated data dir and serves the channels it had.
    let server = Server::start_with(&s, &PORT.to_string(), &[], None);
    assert_eq!(server.url, format!("http://127.0.0.1:{PORT}"));
    let a_list = a.ok(&["payments", "list", "--all"]);
    let status = |list: &Value, id: &str| {
        list["payments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["payment_id"] == id)
            .map(|p| p["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status(&a_list, paid).as_deref(), Some("paid"), "{a_list}");
    assert_eq!(
        status(&a_list, pending).as_deref(),
        Some("pending"),
        "{a_list}"
    );

    // The payment made before the upgrade, still pending (its signed update and nonces went
    // through the migration), is cancelled: A's balance comes back. (Cancelled rather than
    // received, so that the test does not depend on the day it runs: the payment expires
    // after the fixture's 30 days, and an expired one is cancelled too.)
    let a_channel = facts["a_channel"].as_str().unwrap();
    let cancelled = a.ok(&["payments", "cancel", pending]);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let shown = a.ok(&["channel", "show", a_channel]);
    assert_eq!(
        shown["client_sat"].as_u64(),
        facts["a_client_sat_before"].as_u64(),
        "{shown}"
    );

    // A new payment on the migrated channels, received by the migrated payee (given its fee
    // reserve first: a payee sells and claims only with the coins to enforce a claim).
    let mut ledger = asyncpay::chain::Ledger::open(&b.chain).unwrap();
    common::procs::fund_on(&b, &mut ledger, 100_000);
    let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();
    let id = a.ok(&["pay", &address, "1000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // B also meets the cancelled payment's package (unless it expired): recorded as
    // cancelled, not a failure.
    b.ok(&["receive"]);
    let b_list = b.ok(&["payments", "list", "--all"]);
    assert_eq!(status(&b_list, &id).as_deref(), Some("paid"), "{b_list}");
    assert_eq!(status(&b_list, paid).as_deref(), Some("paid"), "{b_list}");
    let synced = a.ok(&["sync"]);
    assert_eq!(status(&synced, &id).as_deref(), Some("paid"), "{synced}");

    // Every state file went into the database and is gone.
    drop(server);
    for w in [&s, &a, &b] {
        assert!(w.dir.join(asyncpay::store::DB_FILE).exists());
        assert_eq!(state_files(&w.dir), Vec::<PathBuf>::new());
    }
}

/// Writes `tests/data/files-v1/` with the binary of the release before the records
/// database: `ASYNCPAY_OLD_BIN=/path/to/asyncpay-378d298 cargo test --test migration
/// generate_fixture -- --ignored`. Only when the fixture must change.
#[test]
#[ignore]
fn generate_fixture() {
    let old = PathBuf::from(std::env::var_os("ASYNCPAY_OLD_BIN").expect("ASYNCPAY_OLD_BIN"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(root.join("pw"), "pw\n").unwrap();
    // The old binary is a release build: it takes the tests' cheap work factor only when
    // told it is a test.
    let old_cmd = |w: &Wallet, args: &[&str]| {
        let mut c = w.command_with(command_of(&old), true, args);
        c.env("ASYNCPAY_INSECURE_TEST_WORK_FACTOR", "1");
        c
    };
    let run = |w: &Wallet, args: &[&str]| -> Value {
        let out = old_cmd(w, args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ledger = || asyncpay::chain::Ledger::open(root.join("chain")).unwrap();
    let fund = |w: &Wallet, sat: u64| {
        let addr: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
            run(w, &["wallet", "address"])["address"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        ledger()
            .fund(
                &addr.assume_checked().script_pubkey(),
                bitcoin::Amount::from_sat(sat),
            )
            .unwrap();
    };
    let (s, a, b) = (wallet(root, "s"), wallet(root, "a"), wallet(root, "b"));
    for w in [&s, &a, &b] {
        run(w, &["init"]);
    }
    let listen = format!("127.0.0.1:{PORT}");
    let init = server_init_args(Some(PORT));
    run(&s, &init.iter().map(String::as_str).collect::<Vec<_>>());
    fund(&s, 1_000_000);
    fund(&a, 500_000);
    let mut server = old_cmd(&s, &["server", "run", "--listen", &listen])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
    }
    let url = format!("http://{listen}");
    let a_channel = run(&a, &["channel", "open", &url, "200000"])["channel_id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(&b, &["channel", "request-inbound", &url, "300000"]);
    ledger().mine(1, None).unwrap();
    let address = run(&b, &["address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let paid = run(&a, &["pay", &address, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(&b, &["receive"]);
    run(&a, &["sync"]);
    // B is offline from here on: this payment waits in S's mailbox.
    let pending = run(&a, &["pay", &address, "5000", "--expiry", "30d"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client_sat = run(&a, &["channel", "show", &a_channel])["client_sat"]
        .as_u64()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let facts = serde_json::json!({
        "made_by": "asyncpay 378d298 (one age file per record)",
        "paid": paid,
        "pending": pending,
        "a_channel": a_channel,
        // A's balance in the channel, the 5,000 sat payment still pending.
        "a_client_sat_before": client_sat,
    });
    std::fs::write(
        root.join("facts.json"),
        serde_json::to_string_pretty(&facts).unwrap(),
    )
    .unwrap();
    // What the data dirs hold at rest (not their lock files).
    copy_dir(root, &fixture());
}
