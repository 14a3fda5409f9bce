//! The adversary against the payment lifecycle (issue 9, items 6, 9, 10, 11), with real
//! processes: a real S on 127.0.0.1, the real clients, transactions on the embedded ledger,
//! old backups copied back over a data dir. Each test ends with balances to the satoshi.
//!
//! - S starts whatever one channel or payment holds: a payment cancelled on a closing
//!   channel, an unreadable payment file and an unreadable channel file are quarantined and
//!   reported, and S goes on watching (it settles the closing channel on chain).
//! - A cancel racing a sale the payee already signed: S refuses the cancel, the payee's
//!   channel is not stranded, the payment completes.
//! - A sold PTLC the payee does not claim goes back to S off-chain: no transaction.
//! - A restored backup never makes A sign a second session with one nonce.
//! - A cancel that S could not hear (S down) and the payee's sale that came first: A's next
//!   `sync` (or its retried cancel) takes the payment to paid, never calls it a failure.
//! - A close written but never published (a crash between the two) is published by the
//!   next look (one that cannot be published yet blocks nothing); a claim written before a
//!   crash is paid when the channel closes before the payee runs `claim` again.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::procs::{
    channel_id, copy_dir, eventually, fund, plant, to_node, value_at, Server, Wallet,
};
use common::story::{fails, status, Story};
use serde_json::Value;

const AMOUNT: u64 = 20_000;
/// S's fee for `AMOUNT` at 1000 ppm.
const FEE: u64 = 20;

/// `c` dies at crash point `point` (as after SIGKILL, everything before it written).
fn crashed(mut c: Command, point: &str) {
    let out = c.env("ASYNCPAY_TEST_CRASH_AT", point).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn pay(story: &Story) -> String {
    story.pay(AMOUNT)
}

/// `server run` of `s` on `port`, returning the server and its JSON listening line.
fn start_s(s: &Wallet, port: &str, nonce_log: Option<&Path>) -> (Server, Value) {
    use std::io::{BufRead, BufReader};
    let listen = format!("127.0.0.1:{port}");
    let mut c = s.cmd(&[
        "server",
        "run",
        "--listen",
        &listen,
        "--watch-interval-ms",
        "100",
    ]);
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    if let Some(log) = nonce_log {
        c.env("ASYNCPAY_TEST_NONCE_LOG", log);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let doc: Value =
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("S did not start: {line:?}"));
    let url = doc["url"].as_str().unwrap().to_owned();
    (Server { child, url }, doc)
}

/// Stops the story's S and starts it again on the same port; returns its listening line.
fn restart_s(story: &mut Story, nonce_log: Option<&Path>) -> Value {
    let port = story.server.port();
    let _ = story.server.child.kill();
    let _ = story.server.child.wait();
    let (server, line) = start_s(&story.s, &port, nonce_log);
    story.server = server;
    line
}

fn stop_s(story: &mut Story) {
    let _ = story.server.child.kill();
    let _ = story.server.child.wait();
}

fn funding_outpoint(w: &Wallet, channel: &str) -> bitcoin::OutPoint {
    w.ok(&["channel", "show", channel])["funding_outpoint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Record types of a newer asyncpay (format version 99): authentic records of S's or a
/// wallet's collections that this release cannot read.
macro_rules! future_record {
    ($name:ident, $file:literal, $kind:literal) => {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct $name {
            from_the_future: bool,
        }
        impl asyncpay::store::StateFile for $name {
            const FILE: &'static str = $file;
            const KIND: &'static str = $kind;
            const VERSION: u32 = 99;
        }
    };
}
future_record!(
    FutureServerPayment,
    "server-payments",
    "asyncpay/server-payment"
);
future_record!(
    FutureServerChannel,
    "server-channels",
    "asyncpay/server-channel"
);
future_record!(FutureClientPayment, "payments", "asyncpay/client-payment");

fn spent(story: &Story, outpoint: &bitcoin::OutPoint) -> bool {
    story.env.ledger().spending_tx(outpoint).unwrap().is_some()
}

/// Item 6: a payment cancelled on a closing channel, an unreadable payment record and an
/// unreadable channel record (of a newer asyncpay: S was downgraded) never keep S from
/// starting. S reports them (listening line,
/// `server sales list`) and keeps watching: it settles the closing channel at the state
/// before the payment, to the satoshi.
#[test]
fn s_starts_and_keeps_watching_whatever_one_payment_or_channel_holds() {
    let mut story = Story::new(&[]);
    let id = pay(&story);
    // A force-closes its channel with the payment pending, then cancels the payment: S
    // writes the cancel while the channel is closing (this used to leave a cancelled payment
    // S could not supersede, and S then refused to start).
    let out = story
        .a
        .cmd(&["channel", "close", &story.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    story.env.mine(1);
    let a_keys = common::story::keys_of(&story.a);
    eventually("S sees the channel closing", || {
        let channels: Value =
            asyncpay::net::client::Client::new(&story.server.url, a_keys.node_secret(), None)
                .unwrap()
                .get("/v1/channels")
                .unwrap();
        channels
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] != "open")
    });
    // S agrees; A, whose state 1 is signed (its `s_A` went to B), calls it cancelled only
    // once an earlier state settles: S could complete state 1 until then.
    let waiting = fails(&story.a, &["payments", "cancel", &id], 5);
    assert!(
        waiting["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cancelled once an earlier state settles")),
        "{waiting}"
    );
    assert_eq!(status(&story.a, &id), "pending");
    eventually("A's payment cancelled once state 0 settles", || {
        story.env.mine(1);
        story.a.cmd(&["sync"]).output().unwrap().status.success()
            && status(&story.a, &id) == "cancelled"
    });

    // Next to S's real state: a payment record and a channel record it cannot read.
    stop_s(&mut story);
    plant(
        &story.s,
        &"ff".repeat(32),
        &FutureServerPayment {
            from_the_future: true,
        },
    );
    plant(
        &story.s,
        &"ee".repeat(32),
        &FutureServerChannel {
            from_the_future: true,
        },
    );

    let line = restart_s(&mut story, None);
    let quarantined = line["quarantined"].as_array().cloned().unwrap_or_default();
    let whats: Vec<&str> = quarantined
        .iter()
        .map(|q| q["what"].as_str().unwrap())
        .collect();
    assert_eq!(quarantined.len(), 2, "{line}");
    assert!(whats.iter().any(|w| w.contains("payment record")), "{line}");
    assert!(whats.iter().any(|w| w.contains("channel record")), "{line}");
    // The operator sees them too.
    let listed = story
        .s
        .ok(&["server", "sales", "list", "--server", &story.server.url]);
    assert_eq!(
        listed["quarantined"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );

    // The same for a wallet: an unreadable payment record is reported, the rest goes on.
    plant(
        &story.a,
        &"dd".repeat(32),
        &FutureClientPayment {
            from_the_future: true,
        },
    );
    let listed = story.a.ok(&["payments", "list", "--all"]);
    assert_eq!(
        listed["payments"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert!(
        listed["problems"][0]
            .as_str()
            .unwrap()
            .contains("quarantined"),
        "{listed}"
    );
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "cancelled");

    // S keeps watching: its watcher publishes the settlement of the closing A–S channel
    // after the delay, at the state before the (cancelled) payment. B's channel is untouched.
    story.env.mine(7);
    let a_out = to_node(&story.a, 0);
    let s_out = story.s_to_node[0].clone();
    eventually("S's settlement of the closing channel", || {
        story.env.mine(1);
        value_at(&story.env, &a_out) == 200_000
    });
    assert_eq!(value_at(&story.env, &a_out), 200_000);
    assert_eq!(value_at(&story.env, &s_out), 0);
    // The other channel is open and still pays.
    assert_eq!(story.b_balances(), (0, 300_000));
    let b_funding = funding_outpoint(&story.b, &story.b_channel);
    assert!(!spent(&story, &b_funding));
}

/// Item 9: the payee signed the sale state (written, partial not yet sent: a crash or a
/// lost reply) when the payer cancels. S refuses the cancel (it used to drop the state and
/// strand B's channel with a signed update S no longer wanted); B's next `receive` finishes
/// the sale and claims; every balance is right to the satoshi, on chain too.
#[test]
fn cancel_racing_a_signed_sale_is_refused_and_strands_nothing() {
    let story = Story::new(&[]);
    let id = pay(&story);
    crashed(story.b.cmd(&["receive", "--no-claim"]), "sale-signed");

    // A cancels now: S refuses, changes nothing.
    let err = story.a.cmd(&["payments", "cancel", &id]).output().unwrap();
    assert!(!err.status.success());
    let text = String::from_utf8_lossy(&err.stdout);
    assert!(
        text.contains("sale_in_progress") || text.contains("being sold"),
        "{text}"
    );
    assert_eq!(status(&story.a, &id), "pending");

    // B comes back: its signed sale state completes, it claims.
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    // The cancel still changes nothing once paid.
    fails(&story.a, &["payments", "cancel", &id], 1);

    let a = (200_000 - AMOUNT - FEE, AMOUNT + FEE);
    let b = (AMOUNT, 300_000 - AMOUNT);
    assert_eq!(story.a_balances(), a);
    assert_eq!(story.b_balances(), b);
    story.force_close_and_check((a.0, a.1, b.0, b.1));
}

/// Item 10: a sold PTLC the payee does not claim goes back to S off-chain, one block before
/// S would have to close the channel to take it back: no transaction, no close. S cancels
/// the payment, the payer gets its money back; after the expiry S closes nothing.
#[test]
fn unclaimed_ptlc_goes_back_to_s_off_chain() {
    use asyncpay::payment::sale::{offered_ptlc_expiry, server_close_margin};
    let story = Story::new(&[]);
    let a_funding = funding_outpoint(&story.a, &story.a_channel);
    let b_funding = funding_outpoint(&story.b, &story.b_channel);
    let id = pay(&story);
    let tip = story.env.ledger().tip().unwrap().height;
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &id), "sold");
    assert_eq!(story.b_balances(), (0, 300_000 - AMOUNT));

    // The payee does not claim. Blocks pass up to one before S's deadline to close.
    // The story: B–S delay 6, confirmation budget 1.
    let expiry = offered_ptlc_expiry(tip, 6, 1);
    let deadline = expiry - server_close_margin(6, 1);
    let now = story.env.ledger().tip().unwrap().height;
    story.env.mine(deadline - 1 - now);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!spent(&story, &b_funding), "S closed before its deadline");

    // B gives the PTLC back (`payments cancel` on a sold incoming payment).
    let v = story.b.ok(&["payments", "cancel", &id]);
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(story.b_balances(), (0, 300_000));
    // The payer's sync sees the cancel and restores its balance.
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(story.a_balances(), (200_000, 0));
    // B cannot claim what it gave back.
    let _ = story.b.cmd(&["claim", &id]).output().unwrap();
    assert_eq!(story.b_balances(), (0, 300_000));

    // Past the expiry: nothing went on chain, nothing will.
    story.env.mine(expiry - deadline + 3);
    std::thread::sleep(std::time::Duration::from_millis(800));
    story.env.mine(1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!spent(&story, &a_funding), "the A–S channel was closed");
    assert!(!spent(&story, &b_funding), "the B–S channel was closed");
    assert!(story.env.ledger().mempool().unwrap().is_empty());
    // Both channels still pay: A pays B again and B is paid.
    let again = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &again), "paid");
    story.a.ok(&["sync"]);
    assert_eq!(story.a_balances(), (200_000 - AMOUNT - FEE, AMOUNT + FEE));
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
}

/// Item 11: a backup of A taken between the nonce exchange and the signature, restored
/// after A signed, while S (restored from its own older backup, or hostile) answers the same
/// payment with another nonce: A refuses to sign. A backup taken before S's nonce was
/// recorded is never signed either: the payment is cancelled. No public nonce of anyone
/// ever signs two sessions; A pays again with a fresh nonce; balances to the satoshi.
#[test]
fn restored_backup_never_signs_a_second_session_with_one_nonce() {
    let mut story = Story::with(None, &[], true);
    let log = story.nonce_log();
    let root = story.env.root.path().to_path_buf();
    let a_cmd = |story: &Story, args: &[&str]| {
        let mut c = story.a.cmd(args);
        c.env("ASYNCPAY_TEST_NONCE_LOG", &log);
        c
    };

    // S's backup before the payment.
    stop_s(&mut story);
    copy_dir(&story.s.dir, &root.join("s-backup"));
    restart_s(&mut story, Some(&log));

    // A pays and stops right after S's nonce is written next to its own: the backup.
    crashed(
        a_cmd(&story, &["pay", &story.address, &AMOUNT.to_string()]),
        "payment-nonces-recorded",
    );
    copy_dir(&story.a.dir, &root.join("a-backup"));
    // A resumes: same nonces (S still has the payment), signs once, delivers.
    let out = a_cmd(&story, &["sync"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let payments = story.a.ok(&["payments", "list", "--all"]);
    let id = payments["payments"][0]["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status(&story.a, &id), "pending");

    // Both restored from their backups: S no longer knows the payment and answers with a
    // new nonce; A still holds its secret nonce, unconsumed.
    stop_s(&mut story);
    copy_dir(&root.join("s-backup"), &story.s.dir);
    copy_dir(&root.join("a-backup"), &story.a.dir);
    restart_s(&mut story, Some(&log));
    let out = a_cmd(&story, &["sync"]).output().unwrap();
    assert!(!out.status.success(), "A signed after a nonce change");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("another nonce"), "{text}");
    // However often it is asked.
    let out = a_cmd(&story, &["sync"]).output().unwrap();
    assert!(!out.status.success());

    // The payment is cancelled (S cancels its new record, A drops its nonce unused).
    a_cmd(&story, &["payments", "cancel", &id])
        .output()
        .unwrap();
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(story.a_balances(), (200_000, 0));

    // A backup taken before S's nonce was recorded (A stops right after writing its
    // proposal): never signed, the payment is cancelled.
    crashed(
        a_cmd(&story, &["pay", &story.address, &AMOUNT.to_string()]),
        "payment-proposed",
    );
    let out = a_cmd(&story, &["sync"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let listed = story.a.ok(&["payments", "list", "--all"]);
    assert!(
        listed["payments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "cancelled"),
        "{listed}"
    );
    assert_eq!(story.a_balances(), (200_000, 0));

    // A pays again with fresh nonces; B is paid.
    let out = a_cmd(&story, &["pay", &story.address, &AMOUNT.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    story.b.ok(&["receive"]);
    a_cmd(&story, &["sync"]).output().unwrap();
    assert_eq!(story.a_balances(), (200_000 - AMOUNT - FEE, AMOUNT + FEE));
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));

    // No public nonce signed two sessions (A and S log every signing).
    let text = std::fs::read_to_string(&log).unwrap();
    let mut seen = std::collections::HashMap::new();
    for line in text.lines() {
        let (nonce, session) = line.split_once(' ').unwrap();
        let first = seen.entry(nonce.to_owned()).or_insert(session.to_owned());
        assert_eq!(first, session, "nonce {nonce} signed two sessions\n{text}");
    }
    assert!(seen.len() >= 2, "{text}");
}

/// Issue 12, item 6: A cancels while S is down (exit 4: the cancel is recorded, not done);
/// S comes back and B is paid first. A's `sync` finishes the payment as the paid payment it
/// is (S answers the cancel with `409 already_paid`: that is not a failure), exit 0, with
/// the invoice collected. The same with A retrying `payments cancel` instead: it says it
/// could not cancel because the payment was paid (exit 1) and leaves it paid, collected.
#[test]
fn a_cancel_s_never_heard_before_the_payee_was_paid_ends_paid() {
    let mut story = Story::new(&[]);
    let a = story.a.clone();
    for (n, retry) in [(1, "sync"), (2, "cancel")] {
        let id = pay(&story);
        stop_s(&mut story);
        let err = fails(&a, &["payments", "cancel", &id], 4);
        assert!(
            err["error"]["hint"]
                .as_str()
                .unwrap()
                .contains(&format!("asyncpay payments cancel {id}")),
            "{err}"
        );
        assert_eq!(status(&a, &id), "cancelling");
        restart_s(&mut story, None);
        story.b.ok(&["receive"]);
        assert_eq!(status(&story.b, &id), "paid");

        if retry == "sync" {
            let synced = a.ok(&["sync"]);
            assert_eq!(synced["payments"][0]["payment_id"], id.as_str(), "{synced}");
            assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
            // Once more: nothing left to do, still exit 0.
            a.ok(&["sync"]);
        } else {
            let err = fails(&a, &["payments", "cancel", &id], 1);
            let message = err["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("could not be cancelled") && message.contains("already paid"),
                "{err}"
            );
            a.ok(&["sync"]);
        }
        let shown = a.ok(&["payments", "show", &id]);
        assert_eq!(shown["status"], "paid", "{shown}");
        assert_eq!(
            shown["invoice"]["body"]["payment_id"],
            id.as_str(),
            "{shown}"
        );
        assert!(shown.get("reason").is_none(), "{shown}");
        // The channel completed the payment's state: nothing pending on it.
        let ch = a.ok(&["channel", "show", &story.a_channel]);
        assert!(ch.get("pending_payment").is_none(), "{ch}");
        let paid = n * (AMOUNT + FEE);
        assert_eq!(story.a_balances(), (200_000 - paid, paid));
        assert_eq!(story.b_balances(), (n * AMOUNT, 300_000 - n * AMOUNT));
    }
}

/// A force close whose `closing` was written but whose update never reached the chain (the
/// process died between the two, or its disk failed after the write): before, nothing
/// ever published it (a later look saw a closing channel with its funding unspent and
/// waited), so a PTLC in it could expire while S held its scalar. The next look publishes
/// it.
#[test]
fn a_close_written_but_never_published_is_published_by_the_next_look() {
    let story = Story::new(&[]);
    let funding = funding_outpoint(&story.a, &story.a_channel);
    crashed(
        story
            .a
            .cmd(&["channel", "close", &story.a_channel, "--force", "--no-wait"]),
        "watch-written",
    );
    assert!(
        !spent(&story, &funding),
        "the crash came before the broadcast"
    );
    let shown = story.a.ok(&["channel", "show", &story.a_channel]);
    assert_eq!(shown["status"], "closing", "{shown}");
    assert!(
        spent(&story, &funding),
        "the look published the close: {shown}"
    );
    // It goes on to settle, to the satoshi.
    story.env.mine(16);
    let settled = story
        .a
        .cmd(&["channel", "close", &story.a_channel, "--force"])
        .output();
    assert!(settled.unwrap().status.success());
    story.env.mine(1);
    assert_eq!(value_at(&story.env, &to_node(&story.a, 0)), 200_000);
}

/// The payee's claim state was signed and written, and the process died before the payment
/// was marked paid; the channel is then closed (by the payee here; by S, or after a failed
/// write, alike) before the payee runs `claim` again. Before, `claim` looked for the PTLC's
/// output in the settlement (the state folds it into the payee's balance: there is none)
/// and never ended; it is paid once the settlement of that state confirms.
#[test]
fn a_claim_written_before_a_crash_is_paid_on_a_closing_channel() {
    let story = Story::new(&[]);
    let id = pay(&story);
    story.b.ok(&["receive", "--no-claim"]);
    crashed(story.b.cmd(&["claim"]), "claim-countersigned");
    assert_eq!(status(&story.b, &id), "sold");
    // Pending (exit 5): the close is under way.
    fails(
        &story.b,
        &["channel", "close", &story.b_channel, "--force", "--no-wait"],
        5,
    );
    // Paid once the settlement of that state confirms (S could still publish an older
    // update meanwhile, which each `claim` rebinds over): pending until then.
    let waiting = fails(&story.b, &["claim"], 1);
    assert!(
        waiting["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("paid once the settlement of state")),
        "{waiting}"
    );
    let b = story.b.ok(&["payments", "show", &id]);
    assert_eq!(b["status"], "sold");
    assert!(
        b["reason"]
            .as_str()
            .is_some_and(|r| r.contains("paid once the settlement of state")),
        "{b}"
    );
    story.b_claims_until_paid(&id);
    assert_eq!(status(&story.b, &id), "paid");
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    // The settlement of B's latest state paid B the amount.
    assert_eq!(value_at(&story.env, &to_node(&story.b, 0)), AMOUNT);
}

/// B claims off-chain once the PTLC expired (its view of the chain lags, or it lies about
/// the time): S's own tip decides, and S refuses (`ptlc_expired`) before it completes A's
/// update: the timing window that keeps S able to rebind A's `n+1` assumes a claim by the
/// expiry. (S's watcher is slowed down here, so that S has not closed B–S at its margin.)
#[test]
fn s_refuses_an_off_chain_claim_from_the_ptlcs_expiry_on() {
    let story = Story::new(&["--watch-interval-ms", "600000"]);
    let height = || story.env.ledger().tip().unwrap().height;
    let id = pay(&story);
    let sold_at = height();
    story.b.ok(&["receive", "--no-claim"]);
    let stale = story.env.root.path().join("stale-chain");
    if story.b.chain.is_dir() {
        copy_dir(&story.b.chain, &stale);
    } else {
        std::fs::copy(&story.b.chain, &stale).unwrap();
    }
    let lagging = Wallet {
        chain: stale,
        ..story.b.clone()
    };
    let moved = common::procs::command()
        .arg("--datadir")
        .arg(&lagging.dir)
        .arg("--passphrase-file")
        .arg(&lagging.pass)
        .args(["wallet", "set-chain", &lagging.chain_spec()])
        .output()
        .unwrap();
    assert!(moved.status.success(), "{moved:?}");
    let expiry = asyncpay::payment::sale::offered_ptlc_expiry(sold_at, 6, 1);
    while height() < expiry {
        story.env.mine(1);
    }
    let e = fails(&lagging, &["claim", &id], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ptlc_expired")),
        "{e}"
    );
    story.a.ok(&["sync"]);
    assert_eq!(
        status(&story.a, &id),
        "pending",
        "S did not complete A's payment"
    );
}

/// A close that cannot be published (no confirmed coins to pay its fee through the anchor)
/// leaves the channel closing; every look now tries to publish it again. Such a failure
/// must not stop the wallet: its other channel still receives a payment, and listing shows
/// it as an alert; `channel show` of it says what keeps it back (never "published"); once
/// coins arrive, the next look publishes the close.
#[test]
fn a_close_that_cannot_be_published_yet_blocks_nothing_and_goes_out_later() {
    let story = Story::new(&[]);
    let c = story.env.wallet("c");
    let inbound =
        |sat: &str| channel_id(&c.ok(&["channel", "request-inbound", &story.server.url, sat]));
    let (x, _y) = (inbound("100000"), inbound("100000"));
    story.env.mine(1);
    let funding = funding_outpoint(&c, &x);
    let refused = fails(&c, &["channel", "close", &x, "--force", "--no-wait"], 1);
    assert!(
        refused["error"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("receive some")),
        "{refused}"
    );
    // Shown alone, the channel says what keeps its close back; listed, it is an alert
    // among channels that work.
    let shown = fails(&c, &["channel", "show", &x], 1);
    assert!(
        shown["error"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("receive some")),
        "{shown}"
    );
    let listed = c.ok(&["channel", "list"]);
    let x_listed = listed["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["channel_id"] == x.as_str())
        .unwrap()
        .clone();
    assert_eq!(x_listed["status"], "closing");
    assert_eq!(x_listed["chain"]["status"], "alert", "{x_listed}");
    // C sells nothing without the coins that could enforce a claim on chain (it says so,
    // not that channel x is stuck); with them, its other channel is paid. Two coins: the
    // close's fee child takes one.
    let address = c.ok(&["address"])["address"].as_str().unwrap().to_owned();
    let id = story.a.ok(&["pay", &address, "2000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = fails(&c, &["receive"], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not selling yet")),
        "{e}"
    );
    assert!(!spent(&story, &funding));
    fund(&c, &story.env, 50_000);
    fund(&c, &story.env, 50_000);
    c.ok(&["receive"]);
    assert_eq!(status(&c, &id), "paid");
    c.ok(&["channel", "show", &x]);
    assert!(spent(&story, &funding), "the look published the close");
}

/// Payee review, item 1: two incoming payments under one payment point (a payer that reused
/// its partial signature for two packages, or an S that is its own payer, can deliver
/// them). A PTLC S sold for one must never count for the other: B's store gets a second
/// payment of 250,000 sat under the point of a sold 20,000-sat one (planted, as such a
/// payer and S would deliver it). It is not taken as sold on the strength of the other's
/// PTLC, it is never paid, and B ends with the 20,000 sat it was paid once.
#[test]
fn a_ptlc_sold_for_one_payment_never_counts_for_another_with_its_point() {
    use asyncpay::client::{ClientPayment, LocalStatus};
    let story = Story::new(&[]);
    let id = pay(&story);
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &id), "sold");
    let twin = "ee".repeat(32);
    let mut p: ClientPayment = common::procs::read_store(&story.b)
        .load_keyed(&id)
        .unwrap()
        .unwrap();
    p.payment_id = twin.parse().unwrap();
    p.amount_sat = 250_000;
    p.status = LocalStatus::Received;
    // The invoice (for the same point) and the channel stay: an earlier attempt to sell it,
    // which S answered with `sale_queued`, would have written them.
    p.adaptor_signature = None;
    (p.reason, p.confirmation_budget, p.payment_point) = (None, None, None);
    plant(&story.b, &twin, &p);

    let _ = story.b.cmd(&["receive", "--no-claim"]).output().unwrap();
    assert_ne!(status(&story.b, &twin), "sold", "sold on the other's PTLC");
    // The sold one is claimed first; then no claim of the twin finds a PTLC it could take
    // for claimed (it never sent its scalar).
    story.b.ok(&["claim", &id]);
    assert_eq!(status(&story.b, &id), "paid");
    let _ = story.b.cmd(&["claim"]).output().unwrap();
    assert_ne!(status(&story.b, &twin), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
}

/// S's second coin (its first is the change of B's inbound channel), paid to an address of
/// S's wallet (its payout of A's channel) while `server run` holds its data dir.
fn s_second_coin(story: &Story) {
    story
        .env
        .ledger()
        .fund(&story.s_to_node[0], bitcoin::Amount::from_sat(100_000))
        .unwrap();
}

/// Payer review, item 1: every sold payment may need S to rebind the payer's `n+1` on chain
/// within one confirmation budget (the payee claims as late as the PTLC allows, the
/// payer's channel closing on an older state), and each rebinding's fee child spends a
/// confirmed coin. A payer and a payee together selling more payments than S's coins can
/// pay for would have S pay for some it can never enforce. S, with two confirmed coins
/// here, sells two payments at a time: the third waits (`fee_capacity`), received, until
/// one is claimed, and is then sold and paid as usual.
#[test]
fn s_sells_no_more_payments_at_once_than_its_coins_can_rebind() {
    let story = Story::new(&[]);
    for _ in 0..2 {
        story.a.ok(&["channel", "open", &story.server.url, "50000"]);
    }
    s_second_coin(&story);
    let ids: Vec<String> = (0..3).map(|_| story.pay(10_000)).collect();
    let out = story.b.cmd(&["receive", "--no-claim"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("fee_capacity"), "{text}");
    let statuses: Vec<String> = ids.iter().map(|id| status(&story.b, id)).collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "sold").count(),
        2,
        "{statuses:?}"
    );
    let waiting = &ids[statuses.iter().position(|s| s == "received").unwrap()];
    let first = &ids[statuses.iter().position(|s| s == "sold").unwrap()];
    story.b.ok(&["claim", first]);
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, waiting), "sold");
    story.b.ok(&["claim"]);
    for id in &ids {
        assert_eq!(status(&story.b, id), "paid");
    }
    assert_eq!(story.b_balances(), (30_000, 270_000));
}

/// A review of this wave: a sale resent after a crash skipped the fee-capacity check,
/// safe only while its own sale state was still counted. A payee's copy of its wallet
/// sells a second payment over the number of the first's unsigned sale state: S drops
/// that state (nothing of it signed), so the first counts no more, and the second passes
/// the check. The first resent then was sold and signed without a check: two PTLCs sold
/// against S's one coin. S now checks every sale its count does not hold.
#[test]
fn a_sale_resent_over_a_dropped_state_is_checked_for_fee_capacity() {
    let story = Story::new(&[]);
    story.a.ok(&["channel", "open", &story.server.url, "50000"]);
    story.env.mine(1);
    let root = story.env.root.path();
    let files = [root.join("p1.age"), root.join("p2.age")];
    let ids: Vec<String> = files
        .iter()
        .map(|f| {
            let paid = story.a.ok(&[
                "pay",
                &story.address,
                "10000",
                "--package-out",
                f.to_str().unwrap(),
            ]);
            paid["payment_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let package = |i: usize| {
        [
            "receive",
            "--package",
            files[i].to_str().unwrap(),
            "--no-claim",
        ]
    };
    // A copy of B before it sells anything: the same node and the same channel with S.
    let copy = Wallet {
        dir: root.join("b-copy"),
        ..story.b.clone()
    };
    copy_dir(&story.b.dir, &copy.dir);
    // B sells the first payment and stops before it signs the sale state.
    crashed(story.b.cmd(&package(0)), "sale-answered");
    // The copy sells the second over the same state number, and signs it.
    copy.ok(&package(1));
    assert_eq!(status(&copy, &ids[1]), "sold");
    // The first, resent by the copy (the invoice B signed before, field for field): S's
    // one coin is held for the second.
    let out = copy.cmd(&package(0)).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("fee_capacity"), "{text}");
    assert_ne!(status(&copy, &ids[0]), "sold");
    let sold_ptlcs: usize = common::procs::records::<asyncpay::server::ServerChannel>(&story.s)
        .iter()
        .filter_map(|ch| ch.channel.latest())
        .map(|l| l.state.ptlcs.len())
        .sum();
    assert_eq!(sold_ptlcs, 1, "S holds one sold PTLC for its one coin");
}

/// A review of this wave: the payment commands never looked at a channel with nothing in
/// flight, so a payee that only ran `receive` never saw an old state its server published.
/// S goes back to a backup from before B was paid and closes B's inbound channel, idle by
/// that backup, with the state it remembers (B's balance 0), then stops answering. B runs
/// only `receive` (which fails: S is gone), a block mined before each run: its latest
/// state goes out over the old one and settles, and B's payout holds the payment. The
/// watch comes first in `receive`, so a server that does not answer cannot keep B from it.
#[test]
fn a_payee_that_only_receives_answers_an_old_state_its_server_publishes() {
    let mut story = Story::with_init(&[("--idle-inbound-blocks", "3")]);
    let root = story.env.root.path().to_path_buf();
    stop_s(&mut story);
    copy_dir(&story.s.dir, &root.join("s-backup"));
    restart_s(&mut story, None);
    let id = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    assert_eq!(story.b_balances(), (AMOUNT, 300_000 - AMOUNT));
    stop_s(&mut story);
    copy_dir(&root.join("s-backup"), &story.s.dir);
    restart_s(&mut story, None);
    let funding = funding_outpoint(&story.b, &story.b_channel);
    story.env.mine(3);
    until_spent(&story, &funding, "S closes B's channel with its old state");
    stop_s(&mut story);
    let payout = to_node(&story.b, 0);
    for _ in 0..30 {
        if value_at(&story.env, &payout) > 0 {
            break;
        }
        story.env.mine(1);
        let receive = story.b.cmd(&["receive"]).output().unwrap();
        assert!(!receive.status.success(), "S is gone");
    }
    assert_eq!(value_at(&story.env, &payout), AMOUNT);
}

/// A review of this wave: a payment pending on a channel kept S's idle (and stake) close of
/// it off, "until its expiry at the latest" — but nothing ends a pending payment its payer
/// never cancels. B, paid into its inbound channel, pays from it with a short expiry and
/// never cancels: S keeps the idle channel open while the payment may still be sold, and
/// closes it once the payment expired.
#[test]
fn a_payment_never_cancelled_keeps_no_inbound_channel_open() {
    let story = Story::with_init(&[("--idle-inbound-blocks", "2")]);
    let id = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    let a_address = story.a.ok(&["address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires = std::time::Instant::now() + std::time::Duration::from_secs(8);
    story.b.ok(&["pay", &a_address, "1000", "--expiry", "8s"]);
    let funding = funding_outpoint(&story.b, &story.b_channel);
    // Idle past its limit, but the payment may still be sold: open.
    story.env.mine(2);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        story.env.ledger().spending_tx(&funding).unwrap().is_none(),
        "S closed a channel a payment still holds"
    );
    // The payment expired, unsold and never cancelled: S closes the idle channel.
    std::thread::sleep(expires.saturating_duration_since(std::time::Instant::now()));
    story.env.mine(1);
    until_spent(&story, &funding, "S closes the idle channel");
}

/// A payee that revealed `t` in its claim (S accepted it, completed the payer's state and
/// counts the payment paid) and then never signs the state folding the PTLC kept S's
/// inbound channel open for good: the PTLC of the latest state counted as a payment under
/// way, whatever its expiry. Up to the PTLC's expiry it still does; from then on S closes
/// the idle channel, and takes the PTLC back by no timeout: the payee, back, claims it on
/// chain with `t` and is paid.
#[test]
fn a_payee_that_never_signs_its_claim_keeps_no_inbound_channel_open() {
    let story = Story::with_init(&[("--idle-inbound-blocks", "2")]);
    let id = pay(&story);
    crashed(story.b.cmd(&["receive"]), "claim-agreed");
    story.a.ok(&["sync"]);
    assert_eq!(
        status(&story.a, &id),
        "paid",
        "S completed the payer's state"
    );
    let expiry = common::procs::records::<asyncpay::client::ClientChannel>(&story.b)
        .into_iter()
        .find_map(|ch| ch.channel.latest()?.state.ptlcs.first().map(|p| p.expiry))
        .expect("the sold PTLC in the payee's latest state");
    let funding = funding_outpoint(&story.b, &story.b_channel);
    // Idle past its limit, up to the block before the PTLC's expiry: open.
    let tip = story.env.ledger().tip().unwrap().height;
    story.env.mine(expiry - 1 - tip);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !spent(&story, &funding),
        "S closed a channel whose PTLC had not expired"
    );
    // From the expiry on, S closes it.
    story.env.mine(1);
    until_spent(
        &story,
        &funding,
        "S closes the channel its payee left unsigned",
    );
    story.b_claims_until_paid(&id);
    // The sale state settled: S has its balance, and B the PTLC (claimed with `t`).
    assert_eq!(value_at(&story.env, &story.s_to_node[1]), 300_000 - AMOUNT);
}

/// S's idle close looked at the payee's signed state only (the review of cancel and
/// close): a sale state S accepted and the payee had not signed yet counted for nothing,
/// so S could force-close the channel under a sale in progress (B's signature then met a
/// closing channel, and the payment waited for its withdrawal near the expiry). B, paid
/// once, is idle past the limit (1 block) while its next sale waits for its signature: S
/// keeps the channel open, and B's next `receive` is paid off-chain.
#[test]
fn s_closes_no_idle_channel_under_a_sale_in_progress() {
    let story = Story::with_init(&[("--idle-inbound-blocks", "1")]);
    // A fee coin to spare beside the one the sale holds: S's idle close waits for one.
    s_second_coin(&story);
    let first = pay(&story);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &first), "paid");
    story.a.ok(&["sync"]);
    let id = pay(&story);
    crashed(story.b.cmd(&["receive"]), "sale-answered");
    let funding = funding_outpoint(&story.b, &story.b_channel);
    // One block: idle past the limit, the sale still well before S's margin (two blocks
    // would reach it here, where S withdraws the sale and then closes the channel).
    story.env.mine(1);
    // Many watcher passes (one each 100 ms).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !spent(&story, &funding),
        "S closed a channel under a sale in progress"
    );
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    assert!(!spent(&story, &funding), "paid off-chain");
}

/// The depth floor (`wallet set-min-depth`) raised after an inbound channel opened (with
/// the depth S set then, below it; or a channel of an older release): B sells nothing into
/// the channel, and reveals no `t` over it, until its funding is that deep (the review of
/// the floor: it was checked at the open only).
#[test]
fn a_depth_floor_raised_after_the_open_holds_the_sale_until_the_funding_is_that_deep() {
    let story = Story::new(&[]);
    let depth = |w| {
        common::procs::records::<asyncpay::client::ClientChannel>(w)
            .into_iter()
            .map(|ch| ch.channel.confirmations())
            .max()
            .unwrap()
    };
    story.b.ok(&["channel", "list"]);
    let have = depth(&story.b);
    story
        .b
        .ok(&["wallet", "set-min-depth", &(have + 2).to_string()]);
    let id = pay(&story);
    let need = have + 2;
    let short = |have: u32| {
        let e = fails(&story.b, &["receive"], 1);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("short of the confirmations it needs")
                && message.contains(&format!("{} has {have} of {need}", story.b_channel)),
            "{e}"
        );
        assert_eq!(status(&story.b, &id), "received");
    };
    short(have);
    story.env.mine(1);
    short(have + 1);
    story.env.mine(1);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    // Sold, then the floor rises again: `t` is not revealed until the funding is as deep.
    story.a.ok(&["sync"]);
    let next = pay(&story);
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &next), "sold");
    story
        .b
        .ok(&["wallet", "set-min-depth", &(need + 2).to_string()]);
    let e = fails(&story.b, &["claim"], 1);
    assert!(
        e.to_string()
            .contains("the payment scalar is not revealed to S until it has them"),
        "{e}"
    );
    assert_eq!(status(&story.b, &next), "sold");
    // The floor back where the funding is (no block mined: a block or two more would bring
    // the PTLC within S's force-close margin): `t` goes, and B is paid.
    story.b.ok(&["wallet", "set-min-depth", &need.to_string()]);
    story.b.ok(&["claim"]);
    assert_eq!(status(&story.b, &next), "paid");
}

/// Waits until something spends `outpoint` (in a block or the mempool): S's watcher. A
/// block is mined after each 3 s without (at most 10): an S just restarted from an old
/// record starts counting a channel idle at its first pass, which may come after the
/// blocks the test mined (its record's confirmations are counted up to a few only).
fn until_spent(story: &Story, outpoint: &bitcoin::OutPoint, what: &str) {
    let spent = || story.env.ledger().spending_tx(outpoint).unwrap().is_some();
    for _ in 0..10 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        while std::time::Instant::now() < deadline {
            if spent() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        story.env.mine(1);
    }
    assert!(spent(), "timed out waiting: {what}");
}

/// The fee-capacity count's coins were counted, not held (the last notes' list): with two
/// payments sold against S's two coins, a node asking S for inbound capacity had S fund it
/// from one of them, leaving two sold payments S could rebind only one of. S now funds
/// from no coin it holds for fees: with none other it refuses (`server_cannot_fund`), and
/// the payments it sold are paid as usual.
#[test]
fn s_funds_no_channel_from_the_coins_it_holds_for_fees() {
    let story = Story::new(&[]);
    story.a.ok(&["channel", "open", &story.server.url, "50000"]);
    s_second_coin(&story);
    let ids: Vec<String> = (0..2).map(|_| story.pay(10_000)).collect();
    story.b.ok(&["receive", "--no-claim"]);
    for id in &ids {
        assert_eq!(status(&story.b, id), "sold");
    }
    let c = story.env.wallet("c");
    let err = fails(
        &c,
        &["channel", "request-inbound", &story.server.url, "100000"],
        1,
    );
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("server_cannot_fund"), "{err}");
    assert!(message.contains("2 coin(s) held for the fees"), "{err}");
    assert!(
        story.env.ledger().mempool().unwrap().is_empty(),
        "S funded nothing"
    );
    // Forgotten at S at once: it counts against neither C's limits nor S's.
    let refused: Vec<_> = common::procs::records::<asyncpay::server::ServerChannel>(&story.s)
        .into_iter()
        .filter(|ch| ch.channel.funding_outpoint().is_none())
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].channel.status(),
        asyncpay::protocol::ChannelStatus::Closed
    );
    story.b.ok(&["claim"]);
    for id in &ids {
        assert_eq!(status(&story.b, id), "paid");
    }
    assert_eq!(story.b_balances(), (20_000, 280_000));
}

/// The fifth review: S's own close of an idle inbound channel (a time its client picks)
/// paid its fee child from a coin S held for a sold payment, leaving that payment's
/// rebinding without a coin. S now closes idle inbound only with a fee coin to spare: with
/// one coin and one payment sold, the idle channel stays open; with coins to spare, S
/// closes it. (S's force close of the payee's channel, the PTLC near its expiry, is urgent
/// and may take the coin: that is what it is held for.)
#[test]
fn s_closes_idle_inbound_only_with_a_fee_coin_to_spare() {
    use asyncpay::protocol::ChannelStatus;
    use asyncpay::server::ServerChannel;
    let story = Story::with_init(&[("--idle-inbound-blocks", "2")]);
    let c = story.env.wallet("c");
    let idle = common::procs::channel_id(&c.ok(&[
        "channel",
        "request-inbound",
        &story.server.url,
        "100000",
    ]));
    story.env.mine(1);
    let status_at_s = || {
        common::procs::records::<ServerChannel>(&story.s)
            .into_iter()
            .find(|ch| ch.channel.id().to_string() == idle)
            .unwrap()
            .channel
            .status()
    };
    let id = pay(&story);
    story.b.ok(&["receive", "--no-claim"]);
    assert_eq!(status(&story.b, &id), "sold");
    // Idle past its limit: S's one coin is held for the sold payment.
    for _ in 0..2 {
        story.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(status_at_s(), ChannelStatus::Open);
    let funding: bitcoin::OutPoint = c.ok(&["channel", "show", &idle])["funding_outpoint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let spends_it = || {
        story
            .env
            .ledger()
            .mempool()
            .unwrap()
            .iter()
            .any(|t| t.input.iter().any(|i| i.previous_output == funding))
    };
    assert!(!spends_it(), "S did not close the idle channel");
    // Coins to spare (each mines a block): S closes it.
    story.s_fee_coin();
    story.s_fee_coin();
    common::procs::eventually("S to close the idle channel", || {
        status_at_s() != ChannelStatus::Open
    });
}

/// The same count, its other half (untested before): a payer's channel closing holds one
/// of S's coins too (S may have to get a paid payment's `n+1` confirmed there). With two
/// coins and one of A's channels force-closed, S sells one payment at a time: the second
/// waits (`fee_capacity`) until the first is claimed.
#[test]
fn a_payers_closing_channel_holds_one_of_s_s_coins() {
    use asyncpay::server::ServerChannel;
    let story = Story::new(&[]);
    let closing =
        common::procs::channel_id(&story.a.ok(&["channel", "open", &story.server.url, "50000"]));
    story.a.ok(&["channel", "open", &story.server.url, "50000"]);
    s_second_coin(&story);
    let out = story
        .a
        .cmd(&["channel", "close", &closing, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    story.env.mine(1);
    common::procs::eventually("S to see the payer's channel closing", || {
        common::procs::records::<ServerChannel>(&story.s)
            .iter()
            .any(|c| {
                c.channel.id().to_string() == closing
                    && c.channel.status() == asyncpay::protocol::ChannelStatus::Closing
            })
    });
    let ids: Vec<String> = (0..2).map(|_| story.pay(10_000)).collect();
    let out = story.b.cmd(&["receive", "--no-claim"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("fee_capacity"), "{text}");
    let statuses: Vec<String> = ids.iter().map(|id| status(&story.b, id)).collect();
    let sold: Vec<&String> = ids
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| *s == "sold")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(sold.len(), 1, "{statuses:?}");
    story.b.ok(&["claim", sold[0]]);
    story.b.ok(&["receive"]);
    for id in &ids {
        assert_eq!(status(&story.b, id), "paid");
    }
    assert_eq!(story.b_balances(), (20_000, 280_000));
}

/// A payer killed after its package reached the payee's mailbox, before it wrote so (its
/// `delivered`): the payee buys it and S completes the payer's update meanwhile. The
/// payer's next command finishes the payment (paid, with the payee's invoice), every
/// balance right. (The last notes listed this case as failing in `deliver`; through
/// `sync` it does not.)
#[test]
fn a_payer_killed_after_posting_its_package_ends_paid() {
    let story = Story::new(&[]);
    crashed(
        story.a.cmd(&["pay", &story.address, &AMOUNT.to_string()]),
        "package-posted",
    );
    let listed = story.a.ok(&["payments", "list"])["payments"].clone();
    let id = listed[0]["payment_id"].as_str().unwrap().to_owned();
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "paid");
    let shown = story.a.ok(&["payments", "show", &id]);
    assert_eq!(shown["invoice"]["type"], "invoice", "{shown}");
    // The package may reach the payee's mailbox twice (posted again, its first post not
    // recorded): the payee's next run takes nothing twice.
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    let listed = story.b.ok(&["payments", "list"])["payments"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let a = (200_000 - AMOUNT - FEE, AMOUNT + FEE);
    let b = (AMOUNT, 300_000 - AMOUNT);
    assert_eq!(story.a_balances(), a);
    assert_eq!(story.b_balances(), b);
}
