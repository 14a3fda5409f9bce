//! The disk fails under S: `fsync` and `fdatasync` return `EIO`, as a failing disk makes
//! them (ADR 0014). A real `server run` on 127.0.0.1 runs with `tests/fault/fail_sync.c`
//! preloaded (`common::fault`), which fails the syncs of one kind of file (S's write-ahead
//! log, or its replay journal) once a trigger file exists; everything else is the real
//! system. (Clients whose disk fails during payments: `tests/payment_kills.rs`.)
//!
//! - a failed sync of S's records: the answer that waited for it is an error, never a
//!   success; `server run` stops with an error that says to check the disk, and without the
//!   mark of a clean stop (nothing since the last good sync is vouched for);
//! - a failed sync of the replay journal: the request is refused (`503 server_storage`) and
//!   not acted upon; `server run` stops the same way (its records closed cleanly);
//! - a writer syncs its log as it connects: with the log's sync failing, S does not start;
//! - a payee whose disk fails at each sync of its `claim` in turn: the command fails
//!   plainly (exit 1, never a usage error); the channel is closed exactly when S may hold
//!   the payment scalar (published whether the close could be written or not); the
//!   payment ends paid either way.
//!   (Payments with failing client disks at random: `tests/payment_kills.rs`.)
//! - S loses its power (`tests/fault/power_cut.c`: what was written but not synced is
//!   gone): everything S answered before is still there when it starts again, as its
//!   answers wait for the sync of every commit before them (ADR 0014).

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use asyncpay::net::auth::AuthHeader;
use asyncpay::net::client::Client;
use asyncpay::server::mailbox::ItemMeta;
use serde_json::json;

mod common;

use common::fault::{failing_syncs, power_cut, power_cut_said, Failing};
use common::hostile::{node_of, now, secret, send, server_id};
use common::procs::{to_node, value_at, Env, Server, Wallet};
use common::story::{keys_of, server_init};
use common::story::{status, Story};

/// `server run` of `s` with the syncs of files whose path contains `of` failing while
/// `trigger` exists; its stderr in `log`.
fn failing_server(env: &Env, s: &Wallet, of: &str, trigger: &Path, log: &Path) -> Command {
    let mut c = Server::command(s, "0", Some(log));
    failing_syncs(
        &mut c,
        env.root.path(),
        Path::new(of),
        Failing::While(trigger),
    );
    c
}

/// How `child` ended, if it did within 20 s.
fn ends(child: &mut Child) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The operator's signed post of one item for a recipient, stamped now under a fresh
/// nonce: a request that commits to S's records.
struct Poster {
    operator: bitcoin::secp256k1::SecretKey,
    s_node: asyncpay::keys::NodeId,
    target: String,
    body: String,
    recipient: bitcoin::secp256k1::SecretKey,
}

impl Poster {
    fn new(s: &Wallet, url: &str) -> Poster {
        let recipient = secret(0x6c, 9);
        Poster {
            operator: keys_of(s).node_secret(),
            s_node: server_id(url),
            target: format!("/v1/mailbox/{}", node_of(&recipient)),
            body: json!({"payload": "c0ffee"}).to_string(),
            recipient,
        }
    }

    fn post(&self, url: &str) -> (u16, serde_json::Value) {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        let auth = AuthHeader::sign(
            &asyncpay::net::auth::keypair(&self.operator),
            &self.s_node,
            "POST",
            &self.target,
            self.body.as_bytes(),
            now(),
            nonce,
        )
        .to_string();
        send(url, "POST", &self.target, &auth, Some(self.body.as_bytes()))
    }

    /// The items S holds for the recipient.
    fn items(&self, url: &str) -> usize {
        Client::new(url, self.recipient, None)
            .unwrap()
            .get::<Vec<ItemMeta>>("/v1/mailbox")
            .unwrap()
            .len()
    }
}

/// A server wallet `s`, the trigger file that makes its disk fail and the file of its log.
fn server_and_trigger() -> (Env, Wallet, PathBuf, PathBuf) {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    let trigger = env.root.path().join("disk-fails");
    let log = env.root.path().join("s.log");
    (env, s, trigger, log)
}

/// The syncs of `of` fail while S runs: the request that needed one gets `expect`
/// (status, code), `server run` ends with an error naming `reason`, and the records are
/// marked cleanly closed only if their syncs did not fail; S started again on a healthy
/// disk answers. Returns the items S holds then for the poster's recipient.
fn the_disk_fails_under_s(of: &str, expect: (u16, &str), reason: &str) -> usize {
    let (env, s, trigger, log) = server_and_trigger();
    let mut server = Server::spawn(failing_server(&env, &s, of, &trigger, &log));
    let poster = Poster::new(&s, &server.url);
    let (status, answer) = poster.post(&server.url);
    assert_eq!(status, 200, "the disk is fine yet: {answer}");

    std::fs::write(&trigger, b"").unwrap();
    let (status, answer) = poster.post(&server.url);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (expect.0, Some(expect.1)),
        "{answer}"
    );
    let ended = ends(&mut server.child).expect("server run stops after a failed sync");
    assert!(!ended.success(), "{ended}");
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains(&format!("stopping: {reason}")) && stderr.contains("check the disk"),
        "{stderr}"
    );
    // The operator reads what failed, not what a client is told.
    assert!(
        !stderr.contains("report it to the server operator"),
        "{stderr}"
    );
    assert_eq!(
        s.dir.join("records.sqlite-clean").exists(),
        of.contains("/replay/"),
        "a mark of a clean stop only where no sync of the records failed"
    );

    std::fs::remove_file(&trigger).unwrap();
    let server = Server::start(&s);
    let (status, answer) = poster.post(&server.url);
    assert_eq!(status, 200, "S on a healthy disk: {answer}");
    poster.items(&server.url)
}

#[test]
fn s_stops_when_a_sync_of_its_records_fails() {
    let items = the_disk_fails_under_s(
        "records.sqlite-wal",
        (500, "internal"),
        "syncing the write-ahead log failed",
    );
    // The failed request's item may or may not have reached the disk (its answer said
    // nothing of it): the first and the last are there.
    assert!((2..=3).contains(&items), "{items}");
}

#[test]
fn s_stops_when_a_sync_of_its_replay_journal_fails() {
    let items = the_disk_fails_under_s(
        "/replay/",
        (503, "server_storage"),
        "syncing the replay journal failed",
    );
    assert_eq!(
        items, 2,
        "the request S could not record was not acted upon"
    );
}

#[test]
fn s_does_not_start_when_its_log_cannot_be_synced_as_it_connects() {
    let (env, s, trigger, log) = server_and_trigger();
    std::fs::write(&trigger, b"").unwrap();
    let mut child = failing_server(&env, &s, "records.sqlite-wal", &trigger, &log)
        .spawn()
        .unwrap();
    let Some(ended) = ends(&mut child) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("S started on a log it cannot sync");
    };
    assert!(!ended.success(), "{ended}");
    let out = child.wait_with_output().unwrap();
    let error = String::from_utf8_lossy(&out.stdout);
    // Our sync at connect, not SQLite's own at a later commit ("disk I/O error").
    assert!(
        error.contains("syncing the write-ahead log failed") && error.contains("check the disk"),
        "{error}"
    );
}

/// B's `claim` with the syncs of its records' log failing as `when` says: how it ended,
/// and what it said.
fn claim_on_a_failing_disk(story: &Story, when: Failing<'_>) -> (std::process::Output, String) {
    let mut claim = story.b.cmd(&["claim"]);
    let log = story.b.dir.join("records.sqlite-wal");
    failing_syncs(&mut claim, story.env.root.path(), &log, when);
    let out = claim.output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, said)
}

/// The payee's disk fails at the `after`-th sync of its `claim`'s log: the command fails
/// plainly (exit 1); if S did not get the payment scalar, the channel stays open; if it
/// did (S may hold it without our record of its signature), the channel is closed in that
/// same run, the disk failing or not. Either way the payment ends paid, to the satoshi.
fn the_payees_disk_fails_in_its_claim(after: u64) {
    let story = Story::new(&[]);
    let id = story.pay(5_000);
    story.b.ok(&["receive", "--no-claim"]);
    let b_funding: bitcoin::OutPoint = story.b.ok(&["channel", "show", &story.b_channel])
        ["funding_outpoint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (out, said) = claim_on_a_failing_disk(&story, Failing::After(after));
    assert_eq!(out.status.code(), Some(1), "after {after} syncs: {said}");
    assert!(
        said.contains("disk I/O error") || said.contains("write-ahead log"),
        "{said}"
    );
    let at_s: Vec<serde_json::Value> =
        Client::new(&story.server.url, keys_of(&story.a).node_secret(), None)
            .unwrap()
            .get("/v1/payments")
            .unwrap();
    let s_has_t = at_s
        .iter()
        .any(|p| p["payment_id"] == id.as_str() && p["status"] == "paid");
    let closed = story
        .env
        .ledger()
        .spending_tx(&b_funding)
        .unwrap()
        .is_some();
    // Looked at before any other command of B's (whose look would publish a close that
    // was written).
    assert_eq!(
        closed, s_has_t,
        "after {after} syncs: a close exactly when S may hold t"
    );
    story.b_claims_until_paid(&id);
    assert_eq!(status(&story.b, &id), "paid", "after {after} syncs");
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    if closed {
        assert_eq!(value_at(&story.env, &to_node(&story.b, 0)), 5_000);
    } else {
        assert_eq!(story.b_balances(), (5_000, 295_000));
    }
}

#[test]
fn a_payees_disk_failing_in_its_claim_fails_plainly_and_closes_only_once_t_left() {
    // From its first write to the one after its claim state (written, not yet marked
    // paid).
    for after in 1..=4 {
        the_payees_disk_fails_in_its_claim(after);
    }
}

/// A disk that fails once, at one sync of the payee's `claim`: the command may go on past
/// it (it tries S again), but the payee is never "paid" unless its written channel holds
/// the claimed state. Before, the retry used the channel as held in memory, ahead of what
/// was written (S's signature of the claimed state that could not be stored), and a write
/// of "paid" after it could succeed while the channel on disk still held the PTLC.
#[test]
fn a_payees_disk_failing_once_in_its_claim_never_says_paid_ahead_of_its_records() {
    for after in 1..=6 {
        let story = Story::new(&[]);
        let id = story.pay(5_000);
        story.b.ok(&["receive", "--no-claim"]);
        let (_, said) = claim_on_a_failing_disk(&story, Failing::Once(after));
        if status(&story.b, &id) == "paid" {
            assert_eq!(
                story.b_balances(),
                (5_000, 295_000),
                "paid after a failed sync {after}, but the channel as written: {said}"
            );
        }
    }
}

#[test]
fn a_payers_disk_failing_in_pay_fails_plainly() {
    let story = Story::new(&[]);
    let mut pay = story.a.cmd(&["pay", &story.address, "1000"]);
    let log = story.a.dir.join("records.sqlite-wal");
    failing_syncs(&mut pay, story.env.root.path(), &log, Failing::After(1));
    let out = pay.output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    // It was exit 2, a usage error.
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("disk I/O error"), "{said}");
    let id = story.pay(1_000);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
}

/// `server run` of the story's S again on its port, on a disk that loses what was not
/// synced when the power goes, once `cut` exists. Its watcher passes every 10 minutes: the
/// sync at the end of a pass would hide an answer that left before its commit was synced.
fn s_on_a_disk_that_loses_power(story: &mut Story, cut: &Path) {
    let port = story.server.port();
    let _ = story.server.child.kill();
    let _ = story.server.child.wait();
    let mut c = Server::command_watching(&story.s, &port, None, "600000");
    power_cut(&mut c, story.env.root.path(), &story.s.dir, cut);
    story.server = Server::spawn(c);
}

/// Cuts S's power; S starts again on its port (on a healthy disk). The cut S saw its writes
/// (the shim watched its files; a path it failed to match would make this a mere kill).
fn cut_the_power(story: &mut Story, cut: &Path) {
    std::fs::write(cut, b"").unwrap();
    let ended = ends(&mut story.server.child).expect("the power went");
    assert_eq!(ended.code(), Some(137), "{ended}");
    let (seen, undone) = power_cut_said(cut, story.server.child.id()).expect("S said what it saw");
    assert!(
        seen > 0,
        "S's writes were watched ({seen} seen, {undone} undone)"
    );
    println!("S lost its power: {seen} writes seen, {undone} taken back");
    std::fs::remove_file(cut).unwrap();
    let port = story.server.port();
    story.server = Server::start_with(&story.s, &port, &[], None);
}

/// S loses its power right after it answered A's payment, and again right after it
/// answered B's sale and claim: each time, what it answered is still there when it starts
/// again, and the payment ends paid on both sides, to the satoshi. S commits without a
/// sync of its own and syncs its log for every commit before any answer leaves (ADR 0014);
/// an answer ahead of its sync would have lost the payment (A's pending state and package
/// at the first cut, the sale and B's claimed state at the second).
#[test]
fn what_s_answered_survives_a_power_cut() {
    let mut story = Story::new(&[]);
    let cut = story.env.root.path().join("power-cut");
    s_on_a_disk_that_loses_power(&mut story, &cut);
    let id = story.pay(5_000);
    cut_the_power(&mut story, &cut);

    s_on_a_disk_that_loses_power(&mut story, &cut);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    cut_the_power(&mut story, &cut);

    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    assert_eq!(story.b_balances(), (5_000, 295_000));
    assert_eq!(story.a_balances(), (194_995, 5_005));
}

/// The power goes five times at moments picked at random while A pays B again and again
/// (each payment: A's `pay`, B's `receive`, A's `sync`): S and whichever command of A's or
/// B's is running lose what they wrote and did not sync (commands that ended before keep
/// theirs: a process that ended is not cut), and the commands cut short are not run again
/// until S is back. Once S is back on a healthy disk and both sides
/// synced: every payment is paid on both sides or on neither, the channels' balances are
/// exactly the payments paid (amount, and S's fee of 1000 ppm at A), and one more payment
/// goes through. The delays are printed (`--nocapture`) and can be given back in
/// `ASYNCPAY_TEST_POWER_CUTS_MS` (e.g. `400,900,150`).
#[test]
fn payments_survive_power_cuts_of_s_at_random_moments() {
    let delays: Vec<u64> = match std::env::var("ASYNCPAY_TEST_POWER_CUTS_MS") {
        Ok(given) => given.split(',').map(|d| d.parse().unwrap()).collect(),
        Err(_) => {
            let mut seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64;
            (0..5)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    50 + (seed >> 33) % 1500
                })
                .collect()
        }
    };
    println!("ASYNCPAY_TEST_POWER_CUTS_MS={}", {
        let d: Vec<String> = delays.iter().map(u64::to_string).collect();
        d.join(",")
    });
    let mut story = Story::new(&[]);
    let cut = story.env.root.path().join("power-cut");
    let (a, b, address) = (story.a.clone(), story.b.clone(), story.address.clone());
    let root = story.env.root.path().to_path_buf();
    for delay in delays {
        s_on_a_disk_that_loses_power(&mut story, &cut);
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let steps: [(&Wallet, Vec<&str>); 3] = [
                    (&a, vec!["pay", &address, "1000"]),
                    (&b, vec!["receive"]),
                    (&a, vec!["sync"]),
                ];
                'payments: while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    for (w, args) in &steps {
                        let mut c = w.cmd(args);
                        power_cut(&mut c, &root, &w.dir, &cut);
                        let done = c.output().unwrap();
                        if done.status.code() == Some(137) {
                            println!("`{}` lost its power", args[0]);
                        }
                        if !done.status.success() || stop.load(std::sync::atomic::Ordering::SeqCst)
                        {
                            break 'payments;
                        }
                    }
                }
            });
            std::thread::sleep(Duration::from_millis(delay));
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            cut_the_power(&mut story, &cut);
        });
    }

    // S back for good: both sides catch up.
    for _ in 0..3 {
        let _ = a.cmd(&["sync"]).output().unwrap();
        let _ = b.cmd(&["receive"]).output().unwrap();
    }
    a.ok(&["sync"]);
    let listed = a.ok(&["payments", "list", "--all"]);
    let ids: Vec<String> = listed["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["payment_id"].as_str().unwrap().to_owned())
        .collect();
    let mut paid = 0u64;
    for id in &ids {
        let at_a = status(&a, id);
        let at_b = b
            .cmd(&["payments", "show", id])
            .output()
            .unwrap()
            .status
            .success()
            .then(|| status(&b, id));
        assert_eq!(
            at_a == "paid",
            at_b.as_deref() == Some("paid"),
            "payment {id}: {at_a} at A, {at_b:?} at B"
        );
        paid += u64::from(at_a == "paid");
    }
    println!("{paid} of {} payments paid", ids.len());
    assert!(!ids.is_empty(), "the cuts came before any payment started");
    assert_eq!(story.b_balances(), (1_000 * paid, 300_000 - 1_000 * paid));
    assert_eq!(
        story.a_balances(),
        (200_000 - 1_001 * paid, 1_001 * paid),
        "{paid} of {} payments paid",
        ids.len()
    );
    let id = story.pay(1_000);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
}
