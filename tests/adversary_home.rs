//! Money that leaves a channel reaches the wallet (ISSUE9 item 12, PROTOCOL.md §7.11): with
//! real processes on the real regtest ledger, every output that pays a party when a channel
//! ends — a cooperative close, a settlement's `to_node` (also after the counterparty
//! published an old state from a backup), B's on-chain PTLC success claim and S's timeout
//! claim — lands on an address of that party's own wallet: `wallet balance` shows it to the
//! satoshi, `wallet utxos` lists it on the change chain, `wallet send` spends it, and
//! `init --restore` from the mnemonic alone on a fresh data dir finds it again. Checked for
//! the clients (A, B) and for S.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

mod common;

use common::procs::{copy_dir, eventually, to_node, value_at, Env, Wallet};
use common::story::{fails, Story};

fn id(v: &Value) -> String {
    v["payment_id"].as_str().unwrap().to_owned()
}

fn total(w: &Wallet) -> u64 {
    w.ok(&["wallet", "balance"])["total_sat"].as_u64().unwrap()
}

/// What the wallet's own payments cost in fees (transactions paying others have no known
/// fee: settlements, closes and claims pay the wallet, they are not its payments).
fn fees(w: &Wallet) -> u64 {
    w.ok(&["wallet", "transactions"])["transactions"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["fee_sat"].as_u64())
        .sum()
}

/// The wallet's unspent outputs as (amount, keychain).
fn utxos(w: &Wallet) -> Vec<(u64, String)> {
    w.ok(&["wallet", "utxos"])["utxos"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["amount_sat"].as_u64().unwrap(),
                u["keychain"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `init --restore` with `w`'s mnemonic into a fresh data dir `name` on the same ledger.
fn restore(env: &Env, w: &Wallet, name: &str) -> Wallet {
    let phrase = w.ok(&["wallet", "backup", "--force"])["mnemonic"]
        .as_str()
        .unwrap()
        .to_owned();
    let restored = Wallet {
        dir: env.root.path().join(name),
        ..w.clone()
    };
    let mut child = restored
        .cmd(&["init", "--restore"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(phrase.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "init --restore: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    restored
}

/// The payout of `sat` from a channel is in `w`'s wallet: `w`'s total is `expected`, the
/// payout is an unspent output of its change chain, a restore from the seed on a fresh data
/// dir shows the same, and `wallet send` spends it (the amount sent needs it).
fn payout_is_home(env: &Env, w: &Wallet, name: &str, expected: u64, sat: &[u64]) {
    assert_eq!(total(w), expected, "{name}'s wallet balance");
    let unspent = utxos(w);
    for s in sat {
        assert!(
            unspent.contains(&(*s, "change".to_owned())),
            "{name}'s payout of {s} sat is not among its coins: {unspent:?}"
        );
    }
    let restored = restore(env, w, &format!("{name}-restored"));
    assert_eq!(total(&restored), expected, "{name} restored from its seed");
    let found = utxos(&restored);
    for s in sat {
        assert!(
            found.contains(&(*s, "change".to_owned())),
            "the restore of {name} did not find its payout of {s} sat: {found:?}"
        );
    }
    // Spend it: more than the wallet holds besides the payouts.
    let sink = env.wallet(&format!("{name}-sink"));
    let to = sink.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let amount = expected - 1_000;
    let sent = w.ok(&["wallet", "send", &to, &amount.to_string()]);
    let fee = sent["fee_sat"].as_u64().unwrap();
    env.mine(1);
    assert_eq!(total(&sink), amount, "{name}'s payment arrived");
    assert_eq!(
        total(w),
        expected - amount - fee,
        "{name} after its payment"
    );
    assert!(
        utxos(w).iter().all(|(v, _)| !sat.contains(v)),
        "{name}'s payouts were spent"
    );
}

fn stop_server(st: &mut Story) {
    let _ = st.server.child.kill();
    let _ = st.server.child.wait();
}

/// A cooperative close pays A's and S's wallets; each sees it, restores it, spends it.
#[test]
fn a_cooperative_close_pays_both_wallets() {
    let mut st = Story::new(&[]);
    let a = st.a.clone();
    a.ok(&["channel", "push", &st.a_channel, "10000"]);
    let shown = a.ok(&["channel", "show", &st.a_channel]);
    let before = total(&a);
    assert_eq!(before, 500_000 - 200_000 - fees(&a));
    a.ok(&["channel", "close", &st.a_channel, "--fee", "500"]);
    st.env.mine(1);
    // The close pays the addresses the channel named when it opened, to the satoshi.
    let a_payout = to_node(&a, 0);
    assert_eq!(value_at(&st.env, &a_payout), 189_500);
    assert_eq!(value_at(&st.env, &st.s_to_node[0]), 10_000);
    let shown_address: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
        shown["payout_address"].as_str().unwrap().parse().unwrap();
    assert_eq!(shown_address.assume_checked().script_pubkey(), a_payout);
    payout_is_home(&st.env, &a, "a", before + 189_500, &[189_500]);

    stop_server(&mut st);
    let s = st.s.clone();
    // S: faucet - B's inbound capacity - its fees + what the close paid it.
    let expected = 1_000_000 - 300_000 - fees(&s) + 10_000;
    payout_is_home(&st.env, &s, "s", expected, &[10_000]);
}

/// A restored from an old backup force-closes with an old state; S's watcher rebinds the
/// latest over it and settles. The settlement pays the honest A's wallet and S's wallet
/// (the cheater's copy has the same seed and sees the same). B force-closes alone too.
#[test]
fn force_closes_with_an_old_state_pay_every_wallet() {
    let mut st = Story::new(&[]);
    let a = st.a.clone();
    a.ok(&["channel", "push", &st.a_channel, "10000"]);
    let backup = Wallet {
        dir: st.env.root.path().join("a-backup"),
        ..a.clone()
    };
    copy_dir(&a.dir, &backup.dir);
    a.ok(&["channel", "push", &st.a_channel, "20000"]);
    let out = backup
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    eventually("S to settle the latest state", || {
        st.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(100));
        value_at(&st.env, &st.s_to_node[0]) > 0
    });
    st.env.mine(1);
    assert_eq!(value_at(&st.env, &to_node(&a, 0)), 170_000);
    assert_eq!(value_at(&st.env, &st.s_to_node[0]), 30_000);
    // B force-closes its inbound channel alone (all of it is S's: 300,000 to S).
    let b = st.b.clone();
    let out = b
        .cmd(&["channel", "close", &st.b_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    st.env.mine(7);
    eventually("B's settlement", || {
        let _ = b
            .cmd(&["channel", "close", &st.b_channel, "--force", "--no-wait"])
            .output();
        st.env.mine(1);
        value_at(&st.env, &st.s_to_node[1]) == 300_000
    });

    let a_expected = 500_000 - 200_000 - fees(&a) + 170_000;
    assert_eq!(
        total(&backup),
        a_expected,
        "the old copy sees the same coins"
    );
    payout_is_home(&st.env, &a, "a", a_expected, &[170_000]);
    assert_eq!(total(&b), 0, "B had nothing in its channel");

    stop_server(&mut st);
    let s = st.s.clone();
    let s_expected = 1_000_000 - 300_000 - fees(&s) + 30_000 + 300_000;
    payout_is_home(&st.env, &s, "s", s_expected, &[30_000, 300_000]);
}

/// S disappears after selling; B claims the PTLC on chain: the claim pays B's wallet, and
/// the settlement pays S's.
#[test]
fn an_on_chain_ptlc_success_claim_pays_b_s_wallet() {
    let mut st = Story::new(&[]);
    let (a, b) = (st.a.clone(), st.b.clone());
    let b_payout = to_node(&b, 0);
    let pid = id(&a.ok(&["pay", &st.address, "10000"]));
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    stop_server(&mut st);
    fails(&b, &["claim", &pid], 4);
    // Near the expiry B force-closes (E = h + 14; B closes from tip E − (6 + 3·1 − 1) − 2
    // = h + 4), then claims with S's completed pre-signature.
    st.env.mine(4);
    let e = fails(&b, &["claim", &pid], 1);
    assert!(e.to_string().contains("force-closed"), "{e}");
    st.env.mine(8);
    eventually("B's claim to be paid", || {
        let out = b.cmd(&["claim", &pid]).output().unwrap();
        st.env.mine(1);
        out.status.success()
            && serde_json::from_slice::<Value>(&out.stdout).unwrap()["payments"][0]["status"]
                == "paid"
    });
    let shown = b.cmd(&["channel", "show", &st.b_channel]).output().unwrap();
    assert!(
        shown.status.success(),
        "B's channel after the claim: {shown:?}"
    );
    assert_eq!(value_at(&st.env, &b_payout), 10_000);
    assert_eq!(value_at(&st.env, &st.s_to_node[1]), 290_000);
    payout_is_home(&st.env, &b, "b", 10_000, &[10_000]);

    let s = st.s.clone();
    let expected = 1_000_000 - 300_000 - fees(&s) + 290_000;
    payout_is_home(&st.env, &s, "s", expected, &[290_000]);
}

/// B never claims; S force-closes, settles and takes the PTLC back after its expiry: both
/// the settlement and the timeout claim pay S's wallet.
#[test]
fn an_on_chain_ptlc_timeout_claim_pays_s_wallet() {
    let mut st = Story::new(&[]);
    let (a, b) = (st.a.clone(), st.b.clone());
    a.ok(&["pay", &st.address, "10000"]);
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    for _ in 0..30 {
        st.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    eventually("S to take the PTLC back", || {
        st.env.mine(1);
        value_at(&st.env, &st.s_to_node[1]) == 300_000
    });
    st.env.mine(1);
    stop_server(&mut st);
    let s = st.s.clone();
    let expected = 1_000_000 - 300_000 - fees(&s) + 290_000 + 10_000;
    payout_is_home(&st.env, &s, "s", expected, &[290_000, 10_000]);
    assert_eq!(total(&b), 0, "B let the PTLC expire");
}

/// Change of the wallet's own payments never goes to an address a channel reserved for its
/// payout, and each channel gets its own payout address.
#[test]
fn channel_payouts_are_not_reused_as_change() {
    let st = Story::new(&[]);
    let a = st.a.clone();
    let second = a.ok(&["channel", "open", &st.server.url, "50000"]);
    st.env.mine(1);
    let first = a.ok(&["channel", "show", &st.a_channel]);
    assert_ne!(first["payout_address"], second["payout_address"]);
    assert_ne!(first["payout_address"], first["server_payout_address"]);
    let sink = st.env.wallet("sink");
    let to = sink.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    a.ok(&["wallet", "send", &to, "1000"]);
    st.env.mine(1);
    for payout in [&first["payout_address"], &second["payout_address"]] {
        let script = payout
            .as_str()
            .unwrap()
            .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            .unwrap()
            .assume_checked()
            .script_pubkey();
        assert_eq!(
            value_at(&st.env, &script),
            0,
            "change went to a payout address"
        );
    }
}
