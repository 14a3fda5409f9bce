//! The payment story against a real node: a Bitcoin Inquisition `bitcoind` in regtest on
//! 127.0.0.1 (`BITCOIND_EXE`; without it each test prints a notice and passes without
//! running). Every wallet uses `--chain bitcoind:URL` at `init` only; a real `server run`;
//! wallets funded by mining to their addresses. What is checked: channels open on the
//! node's confirmations (the watcher follows the funding on bitcoind), a payment made
//! while B is offline, a cancel, and a cooperative close whose coins come home.

use std::path::Path;

use serde_json::Value;

mod common;

use common::bitcoind::Bitcoind;
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

/// S, A and B on `node`: S and A funded by mining (one coinbase each, matured), S running,
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
    let root = tempfile::tempdir().unwrap();
    let spec = node.spec();
    let chain = Path::new(&spec);
    let s = Wallet::create(root.path(), "s", chain);
    server_init(&s, None);
    let a = Wallet::create(root.path(), "a", chain);
    let b = Wallet::create(root.path(), "b", chain);
    node.mine_to(1, &address(&s));
    node.mine_to(1, &address(&a));
    node.mine(100);
    let server = Server::start(&s);
    let url = server.url.clone();
    let a_channel = channel_id(&a.ok(&["channel", "open", &url, "200000"]));
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &url, "300000"]));
    assert_eq!(
        node.mempool().len(),
        2,
        "both fundings are in the node's mempool"
    );
    node.mine(1);
    eventually("both channels open on the node's confirmation", || {
        channel_status(&a, &a_channel) == "open" && channel_status(&b, &b_channel) == "open"
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
