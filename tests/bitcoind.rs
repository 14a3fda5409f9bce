//! The payment story against a real node: a Bitcoin Inquisition `bitcoind` in regtest on
//! 127.0.0.1 (`BITCOIND_EXE`; without it each test prints a notice and passes without
//! running). Every wallet uses `--chain bitcoind:URL` at `init` only; a real `server run`;
//! wallets funded by mining to their addresses. What is checked: channels open on the
//! node's confirmations (the watcher follows the funding on bitcoind), a payment made
//! while B is offline, a cancel, and a cooperative close whose coins come home.

use std::path::Path;

use serde_json::{json, Value};

mod common;

use common::bitcoind::{burn_address, burn_witness, Bitcoind};
use common::procs::{channel_id, eventually, Server, Wallet};
use common::story::{server_init, status};

fn address(w: &Wallet) -> String {
    w.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn channel_status(w: &Wallet, id: &str) -> String {
    w.ok(&["channel", "show", id])["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn balances(w: &Wallet, id: &str) -> (u64, u64) {
    let v = w.ok(&["channel", "show", id]);
    (
        v["client_sat"].as_u64().unwrap(),
        v["server_sat"].as_u64().unwrap(),
    )
}

fn confirmed_sat(w: &Wallet) -> u64 {
    w.ok(&["wallet", "balance"])["confirmed_sat"]
        .as_u64()
        .unwrap()
}

/// A pays B 10 000 sat (B offline): the payment's id.
fn a_pays_b(w: &World) -> String {
    let pay_to = w.b.ok(&["address"])["address"].as_str().unwrap().to_owned();
    w.a.ok(&["pay", &pay_to, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Whether `w`'s data dir holds a spend index record.
fn stored_spend_index(w: &Wallet) -> bool {
    common::procs::read_store(w)
        .load::<asyncpay::chain::spends::SpendIndexRecord>()
        .unwrap()
        .is_some()
}

/// S, A and B on `node`: S, A and B funded by mining (matured coinbases), S running,
/// A with a 200 000 sat channel it funded, B with 300 000 sat of inbound capacity S
/// funded, both confirmed and open.
struct World {
    s: Wallet,
    a: Wallet,
    b: Wallet,
    server: Server,
    a_channel: String,
    b_channel: String,
    _root: tempfile::TempDir,
}

fn world(node: &Bitcoind) -> World {
    world_with(node, 1)
}

/// [`world`] with `b_coins` coinbases for B (none: B holds inbound capacity only).
fn world_with(node: &Bitcoind, b_coins: u32) -> World {
    let world = opened(node, wallets(node, b_coins), Fundings::OneBlock);
    // What the watcher learnt from the node is kept, sealed, for the next command.
    assert!(
        stored_spend_index(&world.a),
        "A's data dir keeps its spend index"
    );
    world
}

/// S (a server, one coinbase), A (two: its channel's funding, and fees) and B (`b_coins`,
/// for fees: a payee sells and claims only while it could enforce the PTLC on chain) on
/// `node`, their coins matured, in a temporary directory.
fn wallets(node: &Bitcoind, b_coins: u32) -> (tempfile::TempDir, Wallet, Wallet, Wallet) {
    let root = tempfile::tempdir().unwrap();
    let spec = node.spec();
    let chain = Path::new(&spec);
    let s = Wallet::create(root.path(), "s", chain);
    server_init(&s, None);
    let a = Wallet::create(root.path(), "a", chain);
    let b = Wallet::create(root.path(), "b", chain);
    node.mine_to(1, &address(&s));
    node.mine_to(2, &address(&a));
    node.mine_to(b_coins, &address(&b));
    node.mine(100);
    (root, s, a, b)
}

/// Where [`opened`] confirms the two fundings: in one block, or each in a block of its
/// own, the payer's or the payee's last.
#[derive(Clone, Copy, PartialEq)]
enum Fundings {
    OneBlock,
    PayerLast,
    PayeeLast,
}

/// S running, A's 200 000 sat channel and B's 300 000 sat of inbound capacity open, their
/// fundings confirmed as `fundings` says, S counting both open.
fn opened(
    node: &Bitcoind,
    (root, s, a, b): (tempfile::TempDir, Wallet, Wallet, Wallet),
    fundings: Fundings,
) -> World {
    let server = Server::start(&s);
    let open_a = || channel_id(&a.ok(&["channel", "open", &server.url, "200000"]));
    let open_b = || channel_id(&b.ok(&["channel", "request-inbound", &server.url, "300000"]));
    let (a_channel, b_channel) = match fundings {
        Fundings::OneBlock => {
            let opened = (open_a(), open_b());
            assert_eq!(
                node.mempool().len(),
                2,
                "both fundings are in the node's mempool"
            );
            opened
        }
        Fundings::PayerLast => {
            let b_channel = open_b();
            node.mine(1);
            (open_a(), b_channel)
        }
        Fundings::PayeeLast => {
            let a_channel = open_a();
            node.mine(1);
            (a_channel, open_b())
        }
    };
    node.mine(1);
    eventually("both channels open on the node's confirmation", || {
        channel_status(&a, &a_channel) == "open" && channel_status(&b, &b_channel) == "open"
    });
    eventually("S sees both channels open", || {
        s.ok(&["server", "status", "--server", &server.url])["channels"]["open"].as_u64() == Some(2)
    });
    World {
        s,
        a,
        b,
        server,
        a_channel,
        b_channel,
        _root: root,
    }
}

#[test]
fn a_pays_b_offline_on_bitcoind_then_closes_and_the_coins_come_home() {
    let Some(node) = Bitcoind::start("the payment story on bitcoind", &[]) else {
        return;
    };
    let w = world(&node);
    let (a, b) = (&w.a, &w.b);
    let pay_to = b.ok(&["address"])["address"].as_str().unwrap().to_owned();

    // A pays while B is offline; B comes online, sells and claims; A collects.
    let paid = a.ok(&["pay", &pay_to, "10000"]);
    assert_eq!(paid["status"], "pending");
    let pid = paid["payment_id"].as_str().unwrap().to_owned();
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(balances(b, &w.b_channel), (10_000, 290_000));
    assert!(
        !received["warnings"].to_string().contains("  "),
        "one sentence, no runs of spaces: {received}"
    );
    let synced = a.ok(&["sync"]);
    assert_eq!(synced["payments"][0]["status"], "paid", "{synced}");
    assert_eq!(balances(a, &w.a_channel), (189_990, 10_010));

    // A cancel: A's balance comes back, B's late sale is refused.
    let p2 = a.ok(&["pay", &pay_to, "5000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(a.ok(&["payments", "cancel", &p2])["status"], "cancelled");
    b.ok(&["receive"]);
    assert_eq!(status(b, &p2), "cancelled");
    assert_eq!(status(a, &pid), "paid");
    assert_eq!(balances(a, &w.a_channel), (189_990, 10_010));

    // A closes cooperatively: the close is on the node, and once it confirms the channel
    // is closed for A and for S, and A's 189 990 sat (less the close's fee) are in its
    // wallet.
    let before = confirmed_sat(a);
    let closed: Value = a.ok(&["channel", "close", &w.a_channel]);
    assert_eq!(closed["status"], "closing", "{closed}");
    assert_eq!(
        node.mempool().len(),
        1,
        "the cooperative close is on the node"
    );
    node.mine(1);
    eventually("A's channel closed", || {
        channel_status(a, &w.a_channel) == "closed"
    });
    let after = confirmed_sat(a);
    assert!(
        after > before + 189_000 && after <= before + 189_990,
        "A's wallet went from {before} to {after} sat"
    );
    drop(w.server);
    let _ = &w.s;
}

/// A node that relays zero-fee transactions alone: an update, settlement or claim pays no
/// fee and carries a zero-value pay-to-anchor output, which a node with default policy
/// takes only in a package with a child paying for it. Under this policy asyncpay publishes
/// them without a child (no wallet coin spent): the tests that run with it check the
/// watcher on a real node, and that the publisher falls back to a child only when needed.
const ZERO_FEE_RELAY: [&str; 3] = ["-minrelaytxfee=0", "-dustrelayfee=0", "-blockmintxfee=0"];

/// A backup of A's data dir while its channel holds state 0 (all 200 000 sat A's), then
/// A pays B 10 000 sat (state 1: 189 990 / 10 010). Returns the backup as a wallet and A's
/// and S's confirmed on-chain balances after the payment.
fn backup_then_pay(w: &World) -> (Wallet, (u64, u64)) {
    let (a, b) = (&w.a, &w.b);
    let old_dir = a.dir.with_file_name("a-old");
    common::procs::copy_dir(&a.dir, &old_dir);
    let old = Wallet {
        dir: old_dir,
        ..a.clone()
    };
    a_pays_b(w);
    b.ok(&["receive"]);
    assert_eq!(a.ok(&["sync"])["payments"][0]["status"], "paid");
    assert_eq!(balances(a, &w.a_channel), (189_990, 10_010));
    (old, (confirmed_sat(a), confirmed_sat(&w.s)))
}

/// After A–S's latest update confirmed: mines until its settlement is published (A's
/// `channel close --force` and S's watcher both try once the 15-block delay is over),
/// checks that A can look at the chain with the settlement (and its anchor output) in the
/// node's mempool, confirms it, waits for A's channel to close, and checks that A's and S's
/// wallets got 189 990 and 10 010 sat since `before`, less at most `fee_bound` each (the
/// fees of the children they paid).
fn settle_and_check(node: &Bitcoind, w: &World, before: (u64, u64), fee_bound: u64) {
    let a = &w.a;
    let close = || {
        a.cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
            .output()
            .unwrap()
    };
    node.mine(14);
    let mut settled = false;
    for _ in 0..10 {
        close();
        if !node.mempool().is_empty() {
            settled = true;
            break;
        }
        node.mine(1);
    }
    assert!(settled, "no settlement was published");
    let look = close();
    assert!(
        matches!(look.status.code(), Some(0 | 5)),
        "{}",
        String::from_utf8_lossy(&look.stdout)
    );
    node.mine(1);
    eventually("A's channel closed", || {
        channel_status(a, &w.a_channel) == "closed"
    });
    let paid = |got: u64, owed: u64| got <= owed && got + fee_bound >= owed;
    let a_got = confirmed_sat(a) - before.0;
    assert!(paid(a_got, 189_990), "A got {a_got} sat");
    // S's 10 010 sat arrive in the settlement. S may have published that settlement (or
    // the update) itself, with a child paying for it from its own coins: its balance
    // then grew by 10 010 sat less that fee (S pays for what it publishes).
    let received_in_one = |s: &Wallet| {
        s.ok(&["wallet", "transactions"])["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["net_sat"] == 10_010 && t["confirmation_height"].is_u64())
    };
    eventually("S's wallet has its 10 010 sat", || received_in_one(&w.s));
    let s_got = confirmed_sat(&w.s) - before.1;
    assert!((7_010..=10_010).contains(&s_got), "S got {s_got} sat");
}

/// A's old backup force-closes with state 0; S rebinds its latest state over it; after the
/// delay the latest state settles and both wallets get their coins. With `fees` (a node
/// with default relay policy) every zero-fee update and settlement goes out with a child
/// paying for it through its anchor, from the publisher's wallet.
fn old_state_loses(node: &Bitcoind, fees: bool) {
    let mut w = world(node);
    // One transaction, or a parent and the child paying for it.
    let published = if fees { 2 } else { 1 };
    let (old, (a_before, s_before)) = backup_then_pay(&w);
    // S is away while the old update goes out and confirms: S comes back to a confirmed
    // old state and rebinds over it (S replaces one still waiting in the mempool:
    // `an_old_update_waiting_in_the_mempool_is_replaced_by_the_latest`).
    let port = w.server.port();
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    let a = &w.a;

    // The old backup force-closes with state 0.
    let out = old
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        node.mempool().len(),
        published,
        "the old update is on the node"
    );
    if fees {
        // The child's change is unconfirmed and version 3: a version 2 payment must not
        // spend it (the node would refuse it); A's other confirmed coin pays.
        let own = address(a);
        a.ok(&["wallet", "send", &own, "10000"]);
        assert_eq!(node.mempool().len(), 3, "the payment is on the node");
    }
    node.mine(1);
    w.server = Server::start_with(&w.s, &port, &[], None);
    // S's watcher sees it and rebinds its latest state over it.
    eventually("S rebinds the latest state over the old one", || {
        node.mempool().len() == published
    });
    node.mine(1);
    let fee_bound = if fees { 3_000 } else { 0 };
    settle_and_check(node, &w, (a_before, s_before), fee_bound);
    drop(w.server);
}

/// Nobody pays for what robs them: S is away while A's old backup force-closes with state 0
/// and, once the delay has passed, publishes that state's settlement with a weak child that
/// a block goes by without. A's own wallet (state 1) looks at the channel: the settlement
/// of an older state is not A's to pay for, and A adds no child to it.
#[test]
fn an_old_states_settlement_is_not_paid_for_by_the_party_it_robs() {
    let Some(node) = Bitcoind::start("an old settlement on bitcoind", &[]) else {
        return;
    };
    let mut w = world(&node);
    let (old, _) = backup_then_pay(&w);
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    let close = |wallet: &Wallet| {
        wallet
            .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
            .output()
            .unwrap()
    };
    close(&old);
    node.mine(1);
    // The delay (15 blocks) after the old update, then its settlement from the backup.
    node.mine(15);
    close(&old);
    let before: std::collections::BTreeSet<String> = node.mempool().into_iter().collect();
    assert_eq!(before.len(), 2, "the old settlement and its child");
    node.mine_empty();
    let shown =
        w.a.cmd(&["channel", "show", &w.a_channel])
            .output()
            .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let after: std::collections::BTreeSet<String> = node.mempool().into_iter().collect();
    assert_eq!(after, before, "A paid for nothing");
}

/// A's old backup force-closes with state 0 on a default-policy node; before any block,
/// S cannot rebind over it (its fee child is the one descendant a version 3 transaction may
/// have), so S replaces it: its latest update on the funding output with a child paying
/// more (package RBF). The old update never confirms; the latest settles.
#[test]
fn an_old_update_waiting_in_the_mempool_is_replaced_by_the_latest() {
    let Some(node) = Bitcoind::start("replacing an old update on bitcoind", &[]) else {
        return;
    };
    let w = world(&node);
    let (old, before) = backup_then_pay(&w);
    let out = old
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let parent = |node: &Bitcoind| {
        node.mempool()
            .iter()
            .map(|t| node.mempool_tx(t))
            .find(|t| t["fee_sat"] == 0)
            .map(|t| t["txid"].as_str().unwrap().to_owned())
    };
    let old_update = parent(&node).expect("the old update is on the node");
    eventually("S replaces the old update", || {
        node.mempool().len() == 2 && parent(&node).is_some_and(|p| p != old_update)
    });
    // The latest update spends the funding output, as the old one did.
    let latest = node.mempool_tx(&parent(&node).unwrap());
    let funding = w.a.ok(&["channel", "show", &w.a_channel])["funding_outpoint"].clone();
    let spent = format!(
        "{}:{}",
        latest["vin"][0]["txid"].as_str().unwrap(),
        latest["vin"][0]["vout"]
    );
    assert_eq!(json!(spent), funding);
    node.mine(1);
    settle_and_check(&node, &w, before, 3_000);
    drop(w.server);
}

#[test]
fn an_old_state_loses_on_bitcoind_and_both_sides_coins_come_home() {
    let Some(node) = Bitcoind::start(
        "the force close from an old backup on a zero-fee bitcoind",
        &ZERO_FEE_RELAY,
    ) else {
        return;
    };
    old_state_loses(&node, false);
}

/// The same on a node with default relay policy: the update and the settlement relay only
/// in a package with a child that pays for them through the anchor.
#[test]
fn an_old_state_loses_on_a_default_policy_node_with_fees_paid_through_the_anchors() {
    let Some(node) = Bitcoind::start("the force close from an old backup on bitcoind", &[]) else {
        return;
    };
    old_state_loses(&node, true);
}

/// B sold the payment, S went away: near the PTLC's expiry B force-closes, and once the
/// settlement confirms B claims the PTLC with S's adaptor pre-signature, on a node with
/// default relay policy: the update, the settlement and the claim each go out in a package
/// with a child that B's wallet pays. S, back, finds `t` in B's claim on the node and
/// completes A's update.
#[test]
fn b_claims_the_ptlc_on_bitcoind_when_s_is_gone_and_s_completes_a_from_the_claim() {
    let Some(node) = Bitcoind::start("the on-chain PTLC claim on bitcoind", &[]) else {
        return;
    };
    let mut w = world(&node);
    let port = w.server.url.rsplit(':').next().unwrap().to_owned();
    let (a, b) = (w.a.clone(), w.b.clone());
    // B's inbound channel was funded by S: B needs a coin of its own for the fee children.
    node.mine_to(1, &address(&b));
    node.mine(100);
    let coins = confirmed_sat(&b);
    let quiet = b.ok(&["receive"]);
    assert!(
        !quiet.to_string().contains("confirmed coins"),
        "B's coin covers its fee reserve: {quiet}"
    );
    let pid = a_pays_b(&w);
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    // As on the ledger (tests/payments.rs): B force-closes 4 blocks later, publishes the
    // settlement after the 6-block delay, then the claim.
    node.mine(4);
    let out = b.cmd(&["claim", &pid]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(node.mempool().len(), 2, "B's update and its fee child");
    node.mine(7);
    let waiting = b.cmd(&["claim", &pid]).output().unwrap();
    assert_eq!(
        waiting.status.code(),
        Some(1),
        "the settlement is published, not confirmed"
    );
    node.mine(1);
    let published = b.ok(&["claim", &pid]);
    assert_eq!(published["payments"][0]["status"], "sold", "{published}");
    let mempool = node.mempool();
    assert_eq!(mempool.len(), 2, "B's claim and its fee child");
    let claim = mempool
        .iter()
        .map(|txid| node.call("getrawtransaction", &[json!(txid), json!(true)]))
        .find(|tx| tx["vout"].as_array().unwrap().len() == 2)
        .expect("the claim: its payout and its anchor");
    assert_eq!(claim["version"], 3, "{claim}");
    assert_eq!(claim["vout"][0]["value"], json!(0.0001), "{claim}");
    assert_eq!(
        claim["vout"][1]["scriptPubKey"]["type"], "anchor",
        "{claim}"
    );
    node.mine(1);
    let claimed = b.ok(&["claim", &pid]);
    assert_eq!(claimed["payments"][0]["status"], "paid", "{claimed}");
    // The 10 000 sat are in B's wallet; its coin paid three children.
    let after = confirmed_sat(&b);
    assert!(
        after > coins + 10_000 - 5_000 && after < coins + 10_000,
        "B's wallet went from {coins} to {after} sat"
    );
    // S comes back on the same port and completes A's update from B's claim on the node.
    w.server = Server::start_with(&w.s, &port, &[], None);
    eventually("S to complete A's update from the chain", || {
        a.cmd(&["sync"]).output().unwrap().status.success()
            && a.ok(&["payments", "show", &pid])["status"] == "paid"
    });
    assert_eq!(balances(&a, &w.a_channel), (189_990, 10_010));
}

/// B sold the payment and never comes back: S force-closes B–S before the PTLC's expiry,
/// settles, and from the expiry takes the PTLC back with its timeout claim, on a node with
/// default relay policy (each in a package with a child from S's wallet); once the claim is
/// final S cancels the payment and A's balance comes back.
#[test]
fn s_takes_an_expired_ptlc_back_on_a_default_policy_node() {
    let Some(node) = Bitcoind::start("the PTLC timeout claim on bitcoind", &[]) else {
        return;
    };
    let w = world(&node);
    let (a, b) = (&w.a, &w.b);
    let pid = a_pays_b(&w);
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let mut timeout_claim: Option<Value> = None;
    for _ in 0..60 {
        node.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(400));
        if timeout_claim.is_none() {
            timeout_claim = node
                .mempool()
                .iter()
                .map(|txid| node.mempool_tx(txid))
                .find(|tx| {
                    tx["vout"].as_array().unwrap().len() == 2
                        && tx["vout"][0]["value"] == json!(0.0001)
                });
            if let Some(claim) = &timeout_claim {
                // A block without it: S's next pass gives it a child paying more.
                let first: std::collections::BTreeSet<String> =
                    node.mempool().into_iter().collect();
                assert_eq!(first.len(), 2, "the timeout claim and S's child");
                node.mine_empty();
                eventually("S's child of its timeout claim replaced", || {
                    let now: std::collections::BTreeSet<String> =
                        node.mempool().into_iter().collect();
                    now.len() == 2
                        && now.contains(claim["txid"].as_str().unwrap())
                        && now.intersection(&first).count() == 1
                });
            }
        }
        a.ok(&["sync"]);
        if a.ok(&["payments", "show", &pid])["status"] == "cancelled" {
            break;
        }
    }
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "cancelled");
    assert_eq!(balances(a, &w.a_channel), (200_000, 0));
    let claim = timeout_claim.expect("S's timeout claim went through the mempool");
    assert_eq!(claim["version"], 3, "{claim}");
    assert_eq!(claim["vout"][0]["value"], json!(0.0001), "{claim}");
    assert_eq!(
        claim["vout"][1]["scriptPubKey"]["type"], "anchor",
        "{claim}"
    );
}

#[test]
fn a_reorganization_under_the_watcher_changes_nothing_owed() {
    let Some(node) = Bitcoind::start("the reorganization on bitcoind", &ZERO_FEE_RELAY) else {
        return;
    };
    let mut w = world(&node);
    let (old, (a_before, s_before)) = backup_then_pay(&w);
    // S is away until the old update is in a block: otherwise S may answer it while it
    // waits in the mempool, before the block the reorganization takes back (a race that
    // made this test fail about one run in twenty).
    let port = w.server.port();
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    let _ = old
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(node.mempool().len(), 1, "the old update is on the node");
    let fork = node.height();
    node.mine(1);
    w.server = Server::start_with(&w.s, &port, &[], None);
    eventually("S rebinds", || node.mempool().len() == 1);
    node.mine(1);
    // Both blocks replaced by three empty ones: the two transactions are unconfirmed again.
    let replaced = node.call("getblockhash", &[json!(fork + 1)]);
    node.call("invalidateblock", &[replaced]);
    let burn = bitcoin::Address::p2wsh(
        &bitcoin::ScriptBuf::from(vec![0x51]),
        bitcoin::Network::Regtest,
    )
    .to_string();
    for _ in 0..3 {
        node.call(
            "generateblock",
            &[serde_json::json!(burn), serde_json::json!([])],
        );
    }
    assert_eq!(
        node.mempool().len(),
        2,
        "the old update and the rebinding are back in the mempool"
    );
    // S's watcher keeps passing over the new chain; then both confirm again.
    std::thread::sleep(std::time::Duration::from_millis(600));
    node.mine(1);
    settle_and_check(&node, &w, (a_before, s_before), 0);
    drop(w.server);
}

/// On a node with default relay policy a force close needs coins for the child's fee: B
/// (inbound capacity only, no coins of its own) is told so, and nothing goes out.
#[test]
fn a_force_close_without_coins_for_its_fee_says_what_to_do() {
    let Some(node) = Bitcoind::start("the force close without fee coins on bitcoind", &[]) else {
        return;
    };
    let w = world_with(&node, 0);
    let out =
        w.b.cmd(&["channel", "close", &w.b_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("min relay fee not met")
            && text.contains("anchor")
            && text.contains("wallet address"),
        "{text}"
    );
    assert!(node.mempool().is_empty());
}

/// A's force close goes out with a fee child; a block comes without it (a full block): the
/// next command replaces the child by one paying more from the same coin, and once mined
/// the wallet counts only the child that confirmed.
#[test]
fn a_channel_transaction_that_misses_a_block_gets_a_child_paying_more() {
    let Some(node) = Bitcoind::start("fee bumping on bitcoind", &[]) else {
        return;
    };
    let mut w = world(&node);
    // S would pay for A's update too (it wants it confirmed as well); without S, what this
    // shows is A's own child.
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    let a = &w.a;
    let coins = confirmed_sat(a);
    let closing = a
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(closing.status.code(), Some(5), "pending");
    let package = |node: &Bitcoind| {
        let mut txs: Vec<Value> = node.mempool().iter().map(|t| node.mempool_tx(t)).collect();
        assert_eq!(txs.len(), 2, "{txs:?}");
        // The update (no fee) first, then its child.
        txs.sort_by_key(|t| t["fee_sat"].as_u64());
        let package_rate = txs[1]["fee_sat"].as_u64().unwrap() as f64
            / (txs[0]["vsize"].as_u64().unwrap() + txs[1]["vsize"].as_u64().unwrap()) as f64;
        (txs[0]["txid"].clone(), txs[1].clone(), package_rate)
    };
    let (update, first, first_rate) = package(&node);
    // Nothing happens while no block went by.
    a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(package(&node).1["txid"], first["txid"]);
    node.mine_empty();
    let shown = a.cmd(&["channel", "show", &w.a_channel]).output().unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let (same_update, second, second_rate) = package(&node);
    assert_eq!(same_update, update);
    assert_ne!(second["txid"], first["txid"], "the child was replaced");
    assert!(
        second_rate >= first_rate * 1.5,
        "{first_rate} then {second_rate} sat/vB"
    );
    assert_eq!(
        second["vin"].as_array().unwrap().len(),
        first["vin"].as_array().unwrap().len()
    );
    node.mine(1);
    assert!(node.mempool().is_empty());
    let after = confirmed_sat(a);
    assert_eq!(after, coins - second["fee_sat"].as_u64().unwrap());
}

/// The anchor is anyone's to spend: a stranger replaces A's fee child with a child of its
/// own, then drops that one (it spends its coin elsewhere, paying more), leaving A's update
/// in the mempool without fee. After the next block A's next command gives it a child
/// again, and it confirms.
#[test]
fn a_stripped_fee_child_is_put_back() {
    let Some(node) = Bitcoind::start("a stripped fee child on bitcoind", &[]) else {
        return;
    };
    let w = world(&node);
    let a = &w.a;
    let closing = a
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(closing.status.code(), Some(5), "pending");
    let mut txs: Vec<Value> = node.mempool().iter().map(|t| node.mempool_tx(t)).collect();
    txs.sort_by_key(|t| t["fee_sat"].as_u64());
    let (update, ours) = (txs[0]["txid"].as_str().unwrap().to_owned(), txs[1].clone());
    let anchor = bitcoin::OutPoint::new(update.parse().unwrap(), 1);
    assert_eq!(
        node.mempool_tx(&update)["vout"][1]["scriptPubKey"]["type"],
        "anchor"
    );
    // Blocks 1 to 4 paid S, A and B.
    let (coin, value) = node.burn_coin(5);
    let theirs = node.send_burn(
        3,
        &[(anchor, vec![]), (coin, burn_witness())],
        value,
        bitcoin::Amount::from_sat(ours["fee_sat"].as_u64().unwrap() + 5_000),
    );
    let pool = node.mempool();
    assert!(pool.contains(&theirs) && !pool.contains(&ours["txid"].as_str().unwrap().to_owned()));
    let elsewhere = node.send_burn(
        2,
        &[(coin, burn_witness())],
        value,
        bitcoin::Amount::from_sat(50_000),
    );
    let pool = node.mempool();
    assert!(
        pool.contains(&elsewhere) && !pool.contains(&theirs),
        "{pool:?}"
    );
    // A's update is left in the mempool without fee: no miner takes it.
    assert_eq!(pool.len(), 2, "{pool:?}");
    assert_eq!(node.mempool_tx(&update)["fee_sat"], 0);
    // Before the next block A leaves it (nothing says it will not be mined); after it, A's
    // next command gives it a child again.
    a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(node.mempool().len(), 2);
    node.mine_empty();
    let shown = a.cmd(&["channel", "show", &w.a_channel]).output().unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let pool = node.mempool();
    assert!(pool.contains(&update) && pool.len() == 3, "{pool:?}");
    node.mine(1);
    assert!(
        node.call("gettxout", &[json!(update), json!(0)])["confirmations"]
            .as_u64()
            .is_some_and(|c| c >= 1),
        "A's update confirmed"
    );
}

/// S closes inbound capacity nothing was paid into (`--idle-inbound-blocks`). On a
/// default-policy node the close needs a fee child from S's wallet; while S has no
/// confirmed coins the close cannot go out, so the channel stays open and S tries again at
/// each pass (recorded as closing, it would never have been tried again). Once S has coins,
/// the close goes out with its child.
#[test]
fn an_idle_close_s_cannot_pay_for_yet_is_tried_again() {
    let Some(node) = Bitcoind::start("the idle close without fee coins on bitcoind", &[]) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let spec = node.spec();
    let chain = Path::new(&spec);
    let s = Wallet::create(root.path(), "s", chain);
    let mut init = common::story::server_init_args(None);
    init.extend(["--idle-inbound-blocks".to_owned(), "3".to_owned()]);
    s.ok(&init.iter().map(String::as_str).collect::<Vec<_>>());
    let b = Wallet::create(root.path(), "b", chain);
    let s_address = address(&s);
    node.mine_to(1, &s_address);
    node.mine(100);
    let server = Server::start(&s);
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &server.url, "300000"]));
    node.mine(1);
    eventually("B's channel open", || {
        channel_status(&b, &b_channel) == "open"
    });
    // S gives away every confirmed coin it has (its funding's change).
    drop(server);
    s.ok(&["wallet", "send", &burn_address(), "--all"]);
    node.mine(1);
    let log = root.path().join("s.log");
    let server = Server::start_logged(&s, "0", &[], None, Some(&log));
    // Idle: S wants to close, cannot pay for the update, keeps the channel open.
    node.mine(3);
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(node.mempool().is_empty(), "{:?}", node.mempool());
    // And S's log says why before it comes to that.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("WARNING: S's wallet has 0 sat of confirmed coins"),
        "{logged}"
    );
    assert_eq!(channel_status(&b, &b_channel), "open");
    // S gets a coin; a later pass closes the channel with a child paying for its update.
    node.mine_to(1, &s_address);
    node.mine(100);
    eventually("S's idle close with its fee child", || {
        node.mempool().len() == 2
    });
    // A block comes without them: S's next pass replaces its child by one paying more.
    let first: std::collections::BTreeSet<String> = node.mempool().into_iter().collect();
    node.mine_empty();
    eventually("S's child replaced", || {
        let now: std::collections::BTreeSet<String> = node.mempool().into_iter().collect();
        now.len() == 2 && now.intersection(&first).count() == 1
    });
    node.mine(1);
    assert!(node.mempool().is_empty());
    drop(server);
}

/// S's watcher on bitcoind (a chain source without a change token) looks on chain at an
/// idle channel once, then again only when a block comes or something in the mempool
/// spends the channel's funding output: it asks the node about all fundings at once
/// (`gettxspendingprevout`) instead of four calls per channel each pass. An old state that
/// a backup of A publishes after quiet passes is seen by the very next pass, which rebinds
/// S's latest update over it.
#[test]
fn s_looks_again_on_bitcoind_only_at_a_block_or_a_spend_of_a_funding() {
    let Some(node) = Bitcoind::start("S's quiet watcher on bitcoind", &[]) else {
        return;
    };
    let w = world(&node);
    let (old, _) = backup_then_pay(&w);
    // S again, in this process, to count its looks.
    let s = in_process_s(w.server, &w.s);
    let core = s.core();
    let passes = |n: usize| -> Vec<usize> {
        (0..n)
            .map(|_| {
                let log = core.watch_once();
                assert!(log.iter().all(|l| !l.contains("failed")), "{log:?}");
                core.watch_looked()
            })
            .collect()
    };
    assert_eq!(passes(1), [2], "the first pass looks at both channels");
    assert_eq!(passes(3), [0, 0, 0], "nothing changed: no look");
    node.mine(1);
    // A block: both channels are looked at; S writes the fundings' new confirmations (a
    // change of both channels, looked at again), then they are quiet.
    assert_eq!(passes(3), [2, 2, 0]);

    let closing = old
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(closing.status.code(), Some(5), "pending");
    let log = core.watch_once();
    assert_eq!(
        core.watch_looked(),
        1,
        "the channel whose funding the mempool spends: {log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("rebind latest update 1 over published update 0")),
        "{log:?}"
    );
    drop(s);
}

/// The rate of the package `txid` heads in the node's mempool (its descendants' fees over
/// their size), in sat/vB rounded down.
fn package_rate(node: &Bitcoind, txid: &str) -> u64 {
    let entry = node.call("getmempoolentry", &[json!(txid)]);
    let fees = bitcoin::Amount::from_btc(entry["fees"]["descendant"].as_f64().unwrap()).unwrap();
    fees.to_sat() / entry["descendantsize"].as_u64().unwrap()
}

/// A funding S published, left behind by the fees of the day, on a default-policy node:
/// S funds B's inbound channel at 2 sat/vB; then its estimate is 20 sat/vB and a block
/// passes the funding by. S's child of the funding's change takes the package to the
/// estimate, and six blocks later a replacement child takes it half again higher: the node
/// takes both (the replacement by its BIP125 rules), one child at a time, and the next
/// block confirms the funding, which opens B's channel.
#[test]
fn s_bumps_its_funding_left_behind_on_a_default_policy_node() {
    let Some(node) = Bitcoind::start("S bumping a funding on bitcoind", &[]) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let spec = node.spec();
    let chain = Path::new(&spec);
    let s = Wallet::create(root.path(), "s", chain);
    server_init(&s, None);
    let b = Wallet::create(root.path(), "b", chain);
    node.mine_to(1, &address(&s));
    node.mine(100);
    let server = Server::start(&s);
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &server.url, "300000"]));
    let pool = node.mempool();
    assert_eq!(pool.len(), 1, "S's funding");
    let funding = pool[0].clone();
    assert_eq!(package_rate(&node, &funding), 2);
    drop(server);

    // Fees rise; a block passes the funding by.
    let server = Server::start_with(&s, "0", &["--anchor-fee-rate", "20"], None);
    node.mine_empty();
    eventually("S's child takes the funding's package to 20 sat/vB", || {
        package_rate(&node, &funding) >= 20
    });
    let child = |node: &Bitcoind| -> Vec<Value> {
        node.call("getmempoolentry", &[json!(funding)])["spentby"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(
        package_rate(&node, &funding) <= 21,
        "the estimate, not more"
    );
    let first = child(&node);
    assert_eq!(first.len(), 1, "one child");
    // Six more blocks without it: half again, by a replacement.
    for _ in 0..6 {
        node.mine_empty();
    }
    eventually("S's replacement child takes it to 31 sat/vB", || {
        package_rate(&node, &funding) >= 31
    });
    assert!(package_rate(&node, &funding) <= 32, "half again, not more");
    let second = child(&node);
    assert!(second.len() == 1 && second != first, "{first:?} {second:?}");
    assert_eq!(node.mempool().len(), 2, "the funding and its one child");
    node.mine(1);
    eventually("B's channel opens", || {
        channel_status(&b, &b_channel) == "open"
    });
    drop(server);
}

/// Fundings the node lost (restarted without its mempool, as a node that crashed, or one
/// that evicted them): S publishes its own again once the next block has gone by (S syncs
/// its wallet once a block), A its own at its next command, and the block that confirms
/// them opens both channels.
#[test]
fn fundings_the_node_lost_are_published_again() {
    let Some(mut node) = Bitcoind::start("fundings the node lost, on bitcoind", &[]) else {
        return;
    };
    let (_root, s, a, b) = wallets(&node, 0);
    let server = Server::start(&s);
    let a_channel = channel_id(&a.ok(&["channel", "open", &server.url, "200000"]));
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &server.url, "300000"]));
    let fundings = node.mempool();
    assert_eq!(fundings.len(), 2, "A's and S's fundings");
    node.restart(&["-persistmempool=0"]);
    assert!(node.mempool().is_empty(), "the node lost them");
    node.mine_empty();
    eventually("S publishes its funding again", || {
        node.mempool().len() == 1
    });
    a.ok(&["channel", "show", &a_channel]);
    let mut again = node.mempool();
    again.sort();
    let mut fundings = fundings;
    fundings.sort();
    assert_eq!(again, fundings, "both fundings are back");
    node.mine(1);
    eventually("both channels open", || {
        channel_status(&a, &a_channel) == "open" && channel_status(&b, &b_channel) == "open"
    });
    drop(server);
}

/// S, A and B on `node` with A's channel and B's inbound channel open, each funding
/// confirmed in a block of its own, the last one (A's if `payer_last`, else B's) then
/// taken away by a reorganization ([`take_tip`]): that funding is back in the mempool,
/// where its funder could still spend its coins elsewhere, while both channels stay open.
/// Returns the world and the hash of the block taken away.
fn reorganized(node: &Bitcoind, payer_last: bool) -> (World, Value) {
    let last = if payer_last {
        Fundings::PayerLast
    } else {
        Fundings::PayeeLast
    };
    let w = opened(node, wallets(node, 1), last);
    (w, take_tip(node))
}

/// Takes the tip block away (`invalidateblock`; `reconsiderblock` brings it back): its
/// one funding goes back to the mempool. Returns its hash.
fn take_tip(node: &Bitcoind) -> Value {
    let tip = node.call("getbestblockhash", &[]);
    node.call("invalidateblock", std::slice::from_ref(&tip));
    assert_eq!(
        node.mempool().len(),
        1,
        "the last funding back in the mempool"
    );
    tip
}

/// S never pays a payee against a payer's funding below its minimum depth: a
/// reorganization takes away the block holding A's funding after A's channel opened; A
/// pays B, and S refuses B's sale (`payer_funding_unconfirmed`), nothing moving; once the
/// block is back, the same `receive` is paid.
#[test]
fn s_buys_no_payment_against_a_payers_funding_a_reorganization_unconfirmed() {
    let Some(node) = Bitcoind::start("a sale against an unconfirmed funding", &[]) else {
        return;
    };
    sale_waits_for_the_block(&node, true, "payer's channel funding has 0 of its 1");
}

/// B never sells a payment into a channel whose funding is below its minimum depth: a
/// reorganization takes away the block holding the funding of B's inbound channel (S's
/// coins, which S could then spend elsewhere, keeping what B's sale and claim gave it)
/// after it opened; A pays, and B's `receive` sells nothing; once the block is back, the
/// same `receive` is paid.
#[test]
fn b_sells_nothing_into_a_channel_a_reorganization_unconfirmed() {
    let Some(node) = Bitcoind::start("a sale into an unconfirmed channel", &[]) else {
        return;
    };
    sale_waits_for_the_block(&node, false, "short of the confirmations it needs");
}

/// [`reorganized`] (A's funding's block taken away if `payer_last`, else B's), then A
/// pays B: B's `receive` fails saying `refusal`, nothing moves; the block comes back (the
/// same one: a new block of the same transactions in the same second would be the block
/// the node was told is invalid), and the same `receive` is paid.
fn sale_waits_for_the_block(node: &Bitcoind, payer_last: bool, refusal: &str) {
    let (w, tip) = reorganized(node, payer_last);
    let b = &w.b;
    let pid = a_pays_b(&w);
    let refused = common::story::fails(b, &["receive"], 1);
    assert!(refused.to_string().contains(refusal), "{refused}");
    assert_eq!(status(b, &pid), "received", "fetched, not sold");
    assert_eq!(balances(b, &w.b_channel), (0, 300_000), "nothing moved");
    node.call("reconsiderblock", &[tip]);
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(balances(b, &w.b_channel), (10_000, 290_000));
    drop(w.server);
}

/// B never reveals the payment scalar (what S pays for) while its channel's funding is
/// below its minimum depth: B sold (`receive --no-claim`), then a reorganization takes
/// away the block holding the funding of B's inbound channel (S's coins, which S could
/// then spend elsewhere and keep the scalar); `claim` reveals nothing, and A is not paid;
/// once the block is back, the same `claim` is paid, and so is A.
#[test]
fn b_reveals_nothing_over_a_channel_a_reorganization_unconfirmed() {
    let Some(node) = Bitcoind::start("a claim over an unconfirmed channel", &[]) else {
        return;
    };
    let w = opened(&node, wallets(&node, 1), Fundings::PayeeLast);
    let (a, b) = (&w.a, &w.b);
    let pid = a_pays_b(&w);
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let tip = take_tip(&node);
    let refused = common::story::fails(b, &["claim"], 1);
    assert!(
        refused.to_string().contains("not revealed to S"),
        "{refused}"
    );
    assert_eq!(status(b, &pid), "sold");
    assert_eq!(
        status(a, &pid),
        "pending",
        "S could not complete A's update"
    );
    node.call("reconsiderblock", &[tip]);
    let claimed = b.ok(&["claim"]);
    assert_eq!(claimed["payments"][0]["status"], "paid", "{claimed}");
    assert_eq!(balances(b, &w.b_channel), (10_000, 290_000));
    assert_eq!(a.ok(&["sync"])["payments"][0]["status"], "paid");
    drop(w.server);
}

/// S signs no sale state against a payer's funding below its minimum depth: B signed the
/// sale state but stopped before it reached S; a reorganization then takes away the block
/// of A's funding; B's next `receive` sends the signed state, and S's recheck of the sale
/// refuses it (`sale_withdrawn`), S signing nothing and nothing moving. B drops the state
/// and sells again, which S refuses until the funding is back in a block; then the payment
/// completes.
#[test]
fn s_signs_no_sale_state_against_a_payers_funding_a_reorganization_unconfirmed() {
    let Some(node) = Bitcoind::start("a sale state over an unconfirmed funding", &[]) else {
        return;
    };
    let w = opened(&node, wallets(&node, 1), Fundings::PayerLast);
    let (a, b) = (&w.a, &w.b);
    let pid = a_pays_b(&w);
    let out = b
        .cmd(&["receive"])
        .env("ASYNCPAY_TEST_CRASH_AT", "sale-signed")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let tip = take_tip(&node);
    let (code, stdout, stderr) = b.human(&["receive"]);
    let said = format!("{stdout}{stderr}");
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("is dropped: S does not complete this PTLC state")
            && said.contains("funding has 0 confirmations")
            && said.contains("payer_funding_unconfirmed"),
        "{said}"
    );
    assert_eq!(status(b, &pid), "received", "S signed nothing");
    assert_eq!(balances(b, &w.b_channel), (0, 300_000), "nothing moved");
    assert_eq!(
        a.ok(&["sync"])["payments"][0]["status"],
        "pending",
        "A not paid"
    );
    node.call("reconsiderblock", &[tip]);
    let got = b.ok(&["receive"]);
    assert_eq!(got["payments"][0]["status"], "paid", "{got}");
    assert_eq!(balances(b, &w.b_channel), (10_000, 290_000));
    assert_eq!(a.ok(&["sync"])["payments"][0]["status"], "paid");
    drop(w.server);
}

/// B's `receive` fails: S buys no payment against the payer's funding below its depth.
fn refused_below_depth(b: &Wallet) {
    let refused = common::story::fails(b, &["receive"], 1);
    assert!(
        refused
            .to_string()
            .contains("payer's channel funding has 0 of its 1"),
        "{refused}"
    );
}

/// `server`, a `server run` of wallet `s`, stopped and started again in this process on the
/// same address (where the clients know it): its core can then be paused and counted.
fn in_process_s(server: Server, s: &Wallet) -> asyncpay::cli::server::InProcessServer {
    use asyncpay::cli::args::Cli;
    use asyncpay::cli::context::Context;
    use clap::Parser;

    let listen = server.url.trim_start_matches("http://").parse().unwrap();
    drop(server);
    let argv = [
        "asyncpay",
        "--json",
        "--quiet",
        "--datadir",
        s.dir.to_str().unwrap(),
        "--passphrase-file",
        s.pass.to_str().unwrap(),
    ];
    let mut ctx = Context::new(Cli::try_parse_from(argv).unwrap().global).unwrap();
    asyncpay::cli::server::InProcessServer::start(&mut ctx, listen).unwrap()
}

/// A look at the chain that S makes before its lock never takes back what S learnt after
/// it (ADR 0015): B's sale reads A's channel on the node (its funding one block deep);
/// before the sale takes S's lock, a reorganization takes that block away and S's watcher
/// writes the funding's confirmations down to none. The sale looks again under the lock
/// and is refused (`payer_funding_unconfirmed`); once the block is back, the same
/// `receive` is paid.
#[test]
fn a_reorganization_between_the_early_look_and_the_lock_stops_the_sale() {
    let Some(node) = Bitcoind::start("a reorganization under a sale's early look", &[]) else {
        return;
    };
    let w = opened(&node, wallets(&node, 1), Fundings::PayerLast);
    let pid = a_pays_b(&w);
    let s = in_process_s(w.server, &w.s);
    let core = s.core();
    let (mut tip, mut before) = (None, None);
    common::pause::while_s_waits_for_its_lock(
        core,
        "sell",
        None,
        || refused_below_depth(&w.b),
        || {
            tip = Some(take_tip(&node));
            let log = core.watch_once();
            assert!(log.iter().all(|l| !l.contains("failed")), "{log:?}");
            assert_eq!(
                core.with_channel(&w.a_channel.parse().unwrap(), |c| c.confirmations()),
                Some(0),
                "S wrote the funding's confirmations down"
            );
            before = Some(core.lock_stats());
        },
    );
    let tip = tip.unwrap();
    assert_eq!(
        common::pause::looks_since(core, &before.unwrap()).1,
        1,
        "the sale looked at the payer's channel again under the lock"
    );
    assert_eq!(status(&w.b, &pid), "received", "fetched, not sold");
    assert_eq!(balances(&w.b, &w.b_channel), (0, 300_000), "nothing moved");
    node.call("reconsiderblock", &[tip]);
    let received = w.b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(balances(&w.b, &w.b_channel), (10_000, 290_000));
    drop(s);
}

/// The watcher's read of the chain never takes back what S learnt after it (ADR 0015):
/// S's watcher reads A's channel (its funding one block deep); before the watcher takes
/// S's lock, a reorganization takes that block away and B's sale finds it (S writes the
/// funding's confirmations down to none and refuses the sale). The watcher looks again
/// under the lock: the confirmations stay at none, and the next sale is refused too, until
/// the block is back.
#[test]
fn a_watcher_read_before_a_reorganization_takes_nothing_back() {
    let Some(node) = Bitcoind::start("a reorganization under the watcher's read", &[]) else {
        return;
    };
    let w = opened(&node, wallets(&node, 1), Fundings::PayerLast);
    let pid = a_pays_b(&w);
    let s = in_process_s(w.server, &w.s);
    let core = s.core();
    let a_channel = w.a_channel.parse().unwrap();
    let confirmations = || core.with_channel(&a_channel, |c| c.confirmations());
    assert_eq!(confirmations(), Some(1));
    let (mut tip, mut before) = (None, None);
    let log = common::pause::while_s_waits_for_its_lock(
        core,
        "watch",
        Some(a_channel),
        || core.watch_once(),
        || {
            tip = Some(take_tip(&node));
            refused_below_depth(&w.b);
            assert_eq!(confirmations(), Some(0));
            before = Some(core.lock_stats());
        },
    );
    assert!(log.iter().all(|l| !l.contains("failed")), "{log:?}");
    assert!(
        common::pause::looks_since(core, &before.unwrap()).1 >= 1,
        "the watcher looked at A's channel again under the lock"
    );
    assert_eq!(confirmations(), Some(0), "nothing taken back");
    refused_below_depth(&w.b);
    node.call("reconsiderblock", &[tip.unwrap()]);
    let received = w.b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(status(&w.b, &pid), "paid");
    drop(s);
}
