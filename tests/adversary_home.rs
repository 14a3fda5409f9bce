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

use common::procs::{copy_dir, eventually, to_node, value_at, Env, Server, Wallet};
use common::story::{fails, Story, B_FEE_RESERVE};

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

/// A wallet restored from its seed has no channel records, so its next channel takes a key
/// index it used before. Its keys must still be new: were they the old channel's, S could
/// answer with its own key of that channel, and every state signed there (update
/// signatures commit to no outpoint and no amount) would spend the new channel's funding,
/// with no record on the client's side to answer them. The keys are bound to each
/// channel's random id: the same index, other keys; and the new channel works.
#[test]
fn a_restored_wallet_never_reuses_a_channels_keys() {
    use asyncpay::client::ClientChannel;
    let st = Story::new(&[]);
    let restored = restore(&st.env, &st.a, "a-restored");
    common::procs::fund(&restored, &st.env, 500_000);
    let again =
        common::procs::channel_id(&restored.ok(&["channel", "open", &st.server.url, "100000"]));
    st.env.mine(1);
    let keys = |w: &Wallet| -> Vec<(u32, String, [u8; 33])> {
        common::procs::records::<ClientChannel>(w)
            .into_iter()
            .map(|ch| {
                let funding = ch.channel.params().client.funding.serialize();
                (ch.key_index, ch.channel.id().to_string(), funding)
            })
            .collect()
    };
    let (old, new) = (keys(&st.a), keys(&restored));
    assert_eq!((old.len(), new.len()), (1, 1));
    assert_eq!(old[0].0, new[0].0, "the same key index");
    assert_eq!(new[0].1, again);
    assert_ne!(old[0].2, new[0].2, "other funding keys");
    // The new channel signs and pays with its bound keys.
    let address = st.b.ok(&["address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = restored.ok(&["pay", &address, "1000", "--channel", &again])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    st.b.ok(&["receive"]);
    assert_eq!(restored.ok(&["sync"])["payments"][0]["status"], "paid");
    assert_eq!(restored.ok(&["payments", "show", &id])["status"], "paid");
}

/// The same for S: restored from its seed (its channel records gone), S hands out its key
/// indices again, so a client that had a channel at an index could send its old key again
/// and replay that channel's states on the new one, funded by S. S's keys are bound to a
/// random value of its own per channel: the same index, other keys.
#[test]
fn a_restored_server_never_reuses_a_channels_keys() {
    use asyncpay::server::ServerChannel;
    let st = Story::new(&[]);
    let s2 = restore(&st.env, &st.s, "s-restored");
    common::story::server_init(&s2, None);
    common::procs::fund(&s2, &st.env, 1_000_000);
    let server = Server::start(&s2);
    let c = st.env.wallet("c");
    c.ok(&["channel", "request-inbound", &server.url, "100000"]);
    st.env.mine(1);
    let keys = |w: &Wallet| -> Vec<(u32, [u8; 33])> {
        common::procs::records::<ServerChannel>(w)
            .into_iter()
            .map(|ch| (ch.key_index, ch.channel.params().server.funding.serialize()))
            .collect()
    };
    let new = keys(&s2);
    assert_eq!(new.len(), 1);
    let old = keys(&st.s);
    let reused = old
        .iter()
        .find(|(i, _)| *i == new[0].0)
        .expect("the same index");
    assert_ne!(reused.1, new[0].1, "other funding keys");
    drop(server);
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

/// S settles the latest state of the A–S channel after [`old_backup`]: 170,000 sat to A,
/// 30,000 to S.
fn the_latest_state_settles(st: &Story) {
    let env = &st.env;
    eventually("S to settle the latest state", || {
        env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(100));
        value_at(env, &st.s_to_node[0]) > 0
    });
    env.mine(1);
    assert_eq!(value_at(env, &to_node(&st.a, 0)), 170_000);
    assert_eq!(value_at(env, &st.s_to_node[0]), 30_000);
}

/// A pushes 10,000 sat to S, keeps a copy of its data dir, then pushes 20,000 more: the
/// copy (returned) holds an old state.
fn old_backup(st: &Story) -> Wallet {
    let a = &st.a;
    a.ok(&["channel", "push", &st.a_channel, "10000"]);
    let backup = Wallet {
        dir: st.env.root.path().join("a-backup"),
        ..a.clone()
    };
    copy_dir(&a.dir, &backup.dir);
    a.ok(&["channel", "push", &st.a_channel, "20000"]);
    backup
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

/// A's channel after a push of 10 000 sat, closed cooperatively with `fee` paid by A, then
/// (S stopped first when `stop_s`) the close taken out of the mempool: the node lost it.
/// Returns the funding outpoint and the close.
fn a_close_the_node_lost(
    st: &mut Story,
    fee: &str,
    stop_s: bool,
) -> (bitcoin::OutPoint, bitcoin::Txid) {
    let a = st.a.clone();
    a.ok(&["channel", "push", &st.a_channel, "10000"]);
    let shown = a.ok(&["channel", "show", &st.a_channel]);
    let funding: bitcoin::OutPoint = shown["funding_outpoint"].as_str().unwrap().parse().unwrap();
    a.ok(&["channel", "close", &st.a_channel, "--fee", fee]);
    let close = spender(st, funding).expect("the close in the mempool");
    if stop_s {
        stop_server(st);
    }
    assert_eq!(st.env.ledger().expire(&close).unwrap(), vec![close]);
    (funding, close)
}

/// What spends `outpoint`, in a block or in the mempool.
fn spender(st: &Story, outpoint: bitcoin::OutPoint) -> Option<bitcoin::Txid> {
    let spending = st.env.ledger().spending_tx(&outpoint).unwrap();
    spending.map(|t| t.tx.compute_txid())
}

/// The close paid both sides as agreed (A 189 500 after its 500 sat fee, S 10 000).
fn close_paid(st: &Story) {
    st.env.mine(1);
    assert_eq!(value_at(&st.env, &to_node(&st.a, 0)), 189_500);
    assert_eq!(value_at(&st.env, &st.s_to_node[0]), 10_000);
}

/// A cooperative close the node lost from its mempool (a restart without it, an eviction)
/// is published again by S's watcher at the next block, instead of S force-closing the
/// channel (an anchor's fee and the shared delay); it pays as agreed.
#[test]
fn a_cooperative_close_the_node_lost_is_published_again_by_s() {
    let mut st = Story::new(&[]);
    let (funding, close) = a_close_the_node_lost(&mut st, "500", false);
    st.env.mine(1);
    eventually("S to publish the close again", || {
        spender(&st, funding) == Some(close)
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(spender(&st, funding), Some(close), "no force close instead");
    close_paid(&st);
}

/// The same with S down: A's next look publishes it again, and it pays as agreed.
#[test]
fn a_cooperative_close_the_node_lost_is_published_again_by_the_client() {
    let mut st = Story::new(&[]);
    let (funding, close) = a_close_the_node_lost(&mut st, "500", true);
    st.a.ok(&["channel", "show", &st.a_channel]);
    assert_eq!(spender(&st, funding), Some(close));
    close_paid(&st);
    let shown = st.a.ok(&["channel", "show", &st.a_channel]);
    assert_eq!(shown["status"], "closed");
}

/// A close paying less than the fee rate today is not published again: it could hold the
/// channel's coins without end. The channel is force-closed instead.
#[test]
fn a_lost_cooperative_close_below_the_fee_rate_ends_in_a_force_close() {
    let mut st = Story::new(&[]);
    let (funding, close) = a_close_the_node_lost(&mut st, "200", true);
    let (code, shown, notes) = st.a.human(&["channel", "show", &st.a_channel]);
    assert_eq!(code, 0, "{shown}{notes}");
    let spent = spender(&st, funding);
    assert!(
        spent.is_some_and(|t| t != close),
        "our latest update, not the close: {spent:?}"
    );
}

/// A restored from an old backup force-closes with an old state; S's watcher rebinds the
/// latest over it and settles. The settlement pays the honest A's wallet and S's wallet
/// (the cheater's copy has the same seed and sees the same). B force-closes alone too.
#[test]
fn force_closes_with_an_old_state_pay_every_wallet() {
    let mut st = Story::new(&[]);
    let a = st.a.clone();
    let backup = old_backup(&st);
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

    // The old copy paid for its update's relay; both copies (one seed) see that child.
    let a_expected = 500_000 - 200_000 - fees(&backup) + 170_000;
    assert_eq!(
        total(&backup),
        a_expected,
        "the old copy sees the same coins"
    );
    payout_is_home(&st.env, &a, "a", a_expected, &[170_000]);
    assert_eq!(
        total(&b),
        B_FEE_RESERVE - fees(&b),
        "B had nothing in its channel, and paid its update's and settlement's relay"
    );
    // Two children at the ledger's 2 sat/vB (an update's and a settlement's), a few
    // hundred sat each: no overpaying, no run of bumps.
    assert!((1..2_000).contains(&fees(&b)), "B paid {} sat", fees(&b));

    stop_server(&mut st);
    let s = st.s.clone();
    let s_expected = 1_000_000 - 300_000 - fees(&s) + 30_000 + 300_000;
    payout_is_home(&st.env, &s, "s", s_expected, &[30_000, 300_000]);
}

/// A's old backup force-closes and its update waits in the mempool with the backup's fee
/// child: before any block, S replaces both with its latest update bound to the funding
/// output and a child that outbids them (package replacement, as on a node: the latest
/// cannot spend an unconfirmed update that has a child). The backup's child is gone with
/// the old update, so the cheater pays nothing for it; the latest state settles.
#[test]
fn an_old_update_in_the_mempool_is_replaced_by_the_latest_before_a_block() {
    let mut st = Story::new(&[]);
    let a = st.a.clone();
    let backup = old_backup(&st);
    let funding = a.ok(&["channel", "show", &st.a_channel])["funding_outpoint"].clone();
    // S is down while the backup publishes, so that the mempool read below surely holds the
    // old update (S's watcher, every 100 ms, could otherwise replace it first).
    stop_server(&mut st);
    let env = &st.env;
    let out = backup
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let ledger = env.ledger();
    let mempool = ledger.mempool().unwrap();
    assert_eq!(mempool.len(), 2, "the old update and the backup's child");
    let (old_update, old_child) = (mempool[0].compute_txid(), mempool[1].compute_txid());
    let _s = Server::start_with(&st.s, "0", &[], None);
    eventually("S replaces the old update", || {
        let m = ledger.mempool().unwrap();
        m.len() == 2 && m[0].compute_txid() != old_update
    });
    let m = ledger.mempool().unwrap();
    assert_eq!(
        serde_json::json!(m[0].input[0].previous_output.to_string()),
        funding,
        "the latest update spends the funding output, as the old one did"
    );
    for gone in [old_update, old_child] {
        assert!(ledger.tx(&gone).unwrap().is_none(), "{gone} was replaced");
    }
    the_latest_state_settles(&st);
    // Neither copy of A paid a fee for the force close: its child never confirmed.
    assert_eq!(fees(&backup), fees(&a));
    assert_eq!(total(&backup), 500_000 - 200_000 - fees(&a) + 170_000);
}

/// The anchor is anyone's to spend: a stranger replaces A's fee child with its own, then
/// double-spends its own coin, leaving A's update in the mempool without fee. No block takes
/// it (a miner takes packages of at least 1 sat/vB); A's next command gives it a child
/// again, and it confirms. (S is away, so only A pays.)
#[test]
fn a_stripped_fee_child_is_put_back_on_the_ledger() {
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
    let mut st = Story::new(&[]);
    stop_server(&mut st);
    let (a, env) = (st.a.clone(), &st.env);
    let ledger = env.ledger();
    let burn = ScriptBuf::new_p2wsh(&ScriptBuf::from(vec![0x51]).wscript_hash());
    let coin = ledger.fund(&burn, Amount::from_sat(60_000)).unwrap();
    let spend = |version: i32, inputs: &[(OutPoint, Vec<Vec<u8>>)], out: u64| Transaction {
        version: bitcoin::transaction::Version(version),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: inputs
            .iter()
            .map(|(o, w)| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(w),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(out),
            script_pubkey: burn.clone(),
        }],
    };
    let out = a
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let mempool = ledger.mempool().unwrap();
    let (update, ours) = (mempool[0].clone(), mempool[1].clone());
    let anchor = OutPoint::new(update.compute_txid(), 1);
    assert_eq!(update.output[1].script_pubkey, ScriptBuf::new_p2a());
    let ours_fee = ledger
        .mempool_entry(&ours.compute_txid())
        .unwrap()
        .unwrap()
        .descendant_fees;
    // The stranger's child outbids A's on the anchor...
    let theirs = spend(
        3,
        &[(anchor, vec![]), (coin, vec![vec![0x51]])],
        60_000 - ours_fee.to_sat() - 5_000,
    );
    ledger.submit(&theirs).unwrap();
    // ...and is then replaced by a spend of its coin elsewhere.
    ledger
        .submit(&spend(2, &[(coin, vec![vec![0x51]])], 10_000))
        .unwrap();
    let ids: Vec<_> = ledger
        .mempool()
        .unwrap()
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    assert!(
        ids.contains(&update.compute_txid()) && ids.len() == 2,
        "{ids:?}"
    );
    // The next block leaves the update out.
    env.mine(1);
    let waiting = ledger.mempool().unwrap();
    assert_eq!(
        waiting,
        vec![update.clone()],
        "the update waits without fee"
    );
    // A's next command sees it waiting without a child and gives it one.
    a.ok(&["channel", "show", &st.a_channel]);
    let mempool = ledger.mempool().unwrap();
    assert_eq!(mempool.len(), 2, "the update and a new child of A's");
    assert!(mempool[1].input.iter().any(|i| i.previous_output == anchor));
    env.mine(1);
    let info = ledger.tx(&update.compute_txid()).unwrap().unwrap();
    assert!(info.confirmation_height.is_some(), "A's update confirmed");
}

/// A P2WSH script of the stranger's: it drops `items` witness items (even) and succeeds.
fn dropping(items: usize) -> bitcoin::ScriptBuf {
    bitcoin::ScriptBuf::from([vec![0x6d; items / 2], vec![0x51]].concat()) // 2DROPs, TRUE
}

/// The input spending `coin`, paid to [`dropping`]`(items)`, with `items` witness items of
/// 80 bytes (what a node relays: about 20 vB each). Like a P2WPKH input's two, they make
/// its witness look like a taproot script-path spend.
fn stranger_input(coin: bitcoin::OutPoint, items: usize) -> bitcoin::TxIn {
    let mut witness = vec![vec![0xaa; 80]; items];
    witness.push(dropping(items).into_bytes());
    bitcoin::TxIn {
        previous_output: coin,
        script_sig: bitcoin::ScriptBuf::new(),
        sequence: bitcoin::Sequence::ENABLE_RBF_NO_LOCKTIME,
        witness: bitcoin::Witness::from_slice(&witness),
    }
}

fn stranger_output(sat: u64, items: usize) -> bitcoin::TxOut {
    bitcoin::TxOut {
        value: bitcoin::Amount::from_sat(sat),
        script_pubkey: bitcoin::ScriptBuf::new_p2wsh(&dropping(items).wscript_hash()),
    }
}

/// A child of `parent` spending its anchor and the stranger's `coin` of `value` (paid to
/// [`dropping`]`(items)`), paying `fee`.
fn stranger_child(
    parent: &bitcoin::Transaction,
    (coin, value, items): (bitcoin::OutPoint, u64, usize),
    fee: u64,
) -> bitcoin::Transaction {
    let anchor = parent
        .output
        .iter()
        .position(|o| o.script_pubkey == bitcoin::ScriptBuf::new_p2a())
        .unwrap();
    let mut anchor = stranger_input(
        bitcoin::OutPoint::new(parent.compute_txid(), anchor as u32),
        0,
    );
    anchor.witness = bitcoin::Witness::new();
    bitcoin::Transaction {
        version: bitcoin::transaction::Version(3),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![anchor, stranger_input(coin, items)],
        output: vec![stranger_output(value - fee, 0)],
    }
}

/// The stranger's coins to pad a channel transaction: a zero-value one whose spend carries
/// 100 items (about 2,050 vB), and one of 30,000 sat for fees. A zero-value coin is only
/// made by a transaction a miner takes outside relay policy (a node relays no dust): a
/// padded update must pay no fee (it has a zero-value anchor), so its padding brings none.
fn padding_coins(env: &Env) -> (bitcoin::OutPoint, (bitcoin::OutPoint, u64, usize)) {
    let ledger = env.ledger();
    let funded = ledger
        .fund(
            &stranger_output(0, 0).script_pubkey,
            bitcoin::Amount::from_sat(31_000),
        )
        .unwrap();
    let split = bitcoin::Transaction {
        version: bitcoin::transaction::Version(2),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![stranger_input(funded, 0)],
        output: vec![stranger_output(0, 100), stranger_output(30_000, 0)],
    };
    let txid = ledger.submit_to_miner(&split).unwrap();
    env.mine(1);
    (
        bitcoin::OutPoint::new(txid, 0),
        (bitcoin::OutPoint::new(txid, 1), 30_000, 0),
    )
}

/// `tx` with the zero-value `coin` as one more input.
fn padded(tx: &bitcoin::Transaction, coin: bitcoin::OutPoint) -> bitcoin::Transaction {
    let mut padded = tx.clone();
    padded.input.push(stranger_input(coin, 100));
    padded
}

/// What a package of `size` vB pays to replace one paying `fee` for `vsize`: just above
/// its rate, and its fee and relay besides.
fn outbidding(fee: u64, vsize: u64, size: u64) -> u64 {
    ((fee * size).div_ceil(vsize) + 10).max(fee + size + 10)
}

/// What the package of `parent` (it and its child) pays in fees, and its size.
fn package_fee(env: &Env, parent: &bitcoin::Transaction) -> (u64, u64) {
    let entry = env
        .ledger()
        .mempool_entry(&parent.compute_txid())
        .unwrap()
        .unwrap();
    (entry.descendant_fees.to_sat(), entry.descendant_vsize)
}

/// A's force close waits for blocks with its update and fee child; S is away.
fn force_closed(st: &mut Story) -> bitcoin::Transaction {
    stop_server(st);
    let out =
        st.a.cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    st.env.ledger().mempool().unwrap()[0].clone()
}

/// Blocks of a busy mempool: only packages paying 10 sat/vB go in.
fn mine_busy(env: &Env) {
    env.ledger()
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb_u32(10))
        .unwrap();
}

/// A busy block leaves out the package that holds A's update; then A's next command
/// replaces it: the mempool holds the update as A signed it, its one input, with a child
/// of A's paying `outbid`, the fees of what it replaced, and the package's relay besides
/// (BIP125 rule 3: the ledger, as a node, takes nothing less); the next busy block takes it.
fn a_outbids(st: &Story, update: &bitcoin::Transaction, outbid: u64) {
    let (a, env) = (&st.a, &st.env);
    mine_busy(env);
    assert_eq!(
        env.ledger().mempool().unwrap().len(),
        2,
        "the busy block left them out"
    );
    let fees_before = fees(a);
    a.ok(&["channel", "show", &st.a_channel]);
    let mempool = env.ledger().mempool().unwrap();
    assert_eq!(mempool.len(), 2, "A's update and a child: {mempool:?}");
    assert_eq!(&mempool[0], update, "the update as A signed it");
    let (fee, vsize) = package_fee(env, update);
    assert!(
        fee >= outbid + vsize && fee < outbid + 3 * vsize,
        "the package pays the {outbid} sat it replaces and its relay: {fee} sat, {vsize} vB"
    );
    mine_busy(env);
    let info = env.ledger().tx(&update.compute_txid()).unwrap().unwrap();
    assert!(info.confirmation_height.is_some(), "A's update confirmed");
    assert_eq!(fees(a) - fees_before, fee, "A paid its new child's fee");
}

/// The anchor is anyone's to spend: after a busy block left A's package out, a stranger
/// replaces A's fee child with a large one (about 950 vB, near the 1,000 a version 3 child
/// may have) paying a higher rate than A's child and more in all, as a replacement must —
/// but a package rate that busy blocks still leave out. Raising the rate over A's own
/// small child is not enough to replace it: A's new child pays what the stranger's paid,
/// and its own relay.
#[test]
fn a_large_child_of_a_strangers_on_the_anchor_is_outbid_paying_what_it_evicts() {
    let mut st = Story::new(&[]);
    let coin = env_fund(&st.env, 40);
    let update = force_closed(&mut st);
    let ledger = st.env.ledger();
    let ours = ledger.mempool().unwrap()[1].clone();
    let (ours_fee, _) = package_fee(&st.env, &update);
    let size = stranger_child(&update, coin, 0).vsize() as u64;
    assert!((900..1_000).contains(&size), "{size} vB");
    mine_busy(&st.env);
    // A higher rate than A's child alone, and its fee and relay besides.
    let fee = (ours_fee * size).div_ceil(ours.vsize() as u64) + size + 10;
    let theirs = stranger_child(&update, coin, fee);
    ledger.submit(&theirs).unwrap();
    let pinned = vec![update.clone(), theirs];
    assert_eq!(ledger.mempool().unwrap(), pinned);
    // A block went by without A's package, but the stranger's child pays what A's bump
    // would: A gives it a block (as it would the other side's bump: outbidding that at
    // once would start a bidding war).
    st.a.ok(&["channel", "show", &st.a_channel]);
    assert_eq!(ledger.mempool().unwrap(), pinned);
    a_outbids(&st, &update, fee);
}

/// A's force close waits (S away) and a stranger with a coin for small children is ready:
/// the update, the coin, the size of a child of the stranger's, and the least such a child
/// pays to replace A's (a higher rate than A's child alone, and its fee and relay besides).
fn a_and_a_stranger(
    st: &mut Story,
) -> (
    bitcoin::Transaction,
    (bitcoin::OutPoint, u64, usize),
    u64,
    u64,
) {
    let coin = env_fund(&st.env, 0);
    let update = force_closed(st);
    let ours = st.env.ledger().mempool().unwrap()[1].clone();
    let (ours_fee, _) = package_fee(&st.env, &update);
    let size = stranger_child(&update, coin, 0).vsize() as u64;
    let least = ((ours_fee * size).div_ceil(ours.vsize() as u64) + 1).max(ours_fee + size) + 1;
    (update, coin, size, least)
}

/// The stranger puts its child back with a new txid, paying `fee`.
fn put_back(
    st: &Story,
    update: &bitcoin::Transaction,
    coin: (bitcoin::OutPoint, u64, usize),
    fee: u64,
) {
    let again = stranger_child(update, coin, fee);
    st.env.ledger().submit(&again).unwrap();
    assert_eq!(
        st.env.ledger().mempool().unwrap(),
        vec![update.clone(), again]
    );
}

/// A's command outbid the stranger's child, which paid `theirs`: A's child holds the
/// anchor, the package paying that and its relay.
fn a_took_the_anchor(
    st: &Story,
    update: &bitcoin::Transaction,
    coin: bitcoin::OutPoint,
    theirs: u64,
) {
    st.a.ok(&["channel", "show", &st.a_channel]);
    let mempool = st.env.ledger().mempool().unwrap();
    assert_eq!(&mempool[0], update);
    assert!(
        mempool[1].input.iter().all(|i| i.previous_output != coin),
        "A's child took the anchor: {mempool:?}"
    );
    let (paid, vsize) = package_fee(&st.env, update);
    assert!(paid >= theirs + vsize, "{paid} sat for {vsize} vB");
}

/// A stranger's child that pays less than A's bump would, put back with a new txid after
/// every block (a few hundred sat each time), must not keep A waiting for a block that
/// never comes: A counts from the update's entry, not the child's, and outbids it.
#[test]
fn a_strangers_child_put_back_after_every_block_does_not_hold_off_the_bump() {
    let mut st = Story::new(&[]);
    let (update, coin, size, least) = a_and_a_stranger(&mut st);
    put_back(&st, &update, coin, least);
    let mut theirs = least;
    for _ in 0..2 {
        mine_busy(&st.env);
        theirs += size + 1;
        put_back(&st, &update, coin, theirs);
    }
    // Below the 4 sat/vB A's bump pays (1.5 times A's 2, plus 1).
    let (_, vsize) = package_fee(&st.env, &update);
    assert!(theirs * 1000 / vsize < 4_000, "{theirs} sat for {vsize} vB");
    a_took_the_anchor(&st, &update, coin.0, theirs);
}

/// As above, but the stranger's child pays what A's first bump would (4 sat/vB), so A gives
/// it a block, as it would the other side's bump. Put back after that block at the same
/// rate, it falls behind what A's own bumps would have reached (7 sat/vB): A outbids it.
#[test]
fn a_strangers_child_put_back_at_our_first_bump_falls_behind_and_is_outbid() {
    let mut st = Story::new(&[]);
    let (update, coin, size, least) = a_and_a_stranger(&mut st);
    mine_busy(&st.env);
    let vsize = update.vsize() as u64 + size;
    let theirs = least.max(vsize * 42 / 10);
    put_back(&st, &update, coin, theirs);
    st.a.ok(&["channel", "show", &st.a_channel]);
    let held = stranger_child(&update, coin, theirs);
    assert_eq!(
        st.env.ledger().mempool().unwrap(),
        vec![update.clone(), held]
    );
    mine_busy(&st.env);
    let theirs = theirs + size + 1;
    put_back(&st, &update, coin, theirs);
    assert!(
        theirs * 1000 / vsize < 7_000 * 19 / 20,
        "{theirs} sat for {vsize} vB"
    );
    a_took_the_anchor(&st, &update, coin.0, theirs);
}

/// A and S both watch A's force close, and busy blocks leave its package out: each block
/// one of them bumps (S's watcher, every 100 ms, mostly first), and the other gives that
/// bump a block instead of outbidding it at once; the package's rate follows one bumper's
/// schedule (2, 4, 7, 11.5 sat/vB: 1.5 times plus 1 a block), not a bidding war, and
/// confirms once it pays what the busy blocks take.
#[test]
fn the_two_watchers_of_a_channel_do_not_outbid_each_other() {
    let st = Story::new(&[]);
    let (a, env) = (&st.a, &st.env);
    let out = a
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let update = env.ledger().mempool().unwrap()[0].clone();
    let mut schedule = 2_000u64; // sat per 1,000 vB
    for _ in 0..3 {
        mine_busy(env);
        schedule = schedule * 3 / 2 + 1_000;
        std::thread::sleep(std::time::Duration::from_millis(600));
        a.ok(&["channel", "show", &st.a_channel]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let (fee, vsize) = package_fee(env, &update);
        let rate = fee * 1_000 / vsize;
        assert!(
            rate * 10 >= schedule * 9 && rate * 10 <= schedule * 13,
            "{rate} sat/kvB after a block; one bump a block pays {schedule}"
        );
    }
    mine_busy(env);
    let info = env.ledger().tx(&update.compute_txid()).unwrap().unwrap();
    assert!(info.confirmation_height.is_some(), "the update confirmed");
}

/// A coin of the stranger's of 20,000 sat paid to [`dropping`]`(items)`.
fn env_fund(env: &Env, items: usize) -> (bitcoin::OutPoint, u64, usize) {
    let coin = env
        .ledger()
        .fund(
            &stranger_output(0, items).script_pubkey,
            bitcoin::Amount::from_sat(20_000),
        )
        .unwrap();
    (coin, 20_000, items)
}

/// An update's signatures commit to no other input: anyone may publish it padded with
/// inputs of their own. A stranger replaces A's force-close package with A's update padded
/// to about 2,250 vB and a child: a package paying just above A's rate, which busy blocks
/// leave out, and which a replacement must outbid in all. A picks its own input by its
/// outpoint (the padding's witness looks like a script-path spend as much as the
/// channel's), and replaces the padded update with its own and a child paying what the
/// stranger's package paid, and its own relay.
#[test]
fn an_update_a_stranger_pads_is_replaced_by_the_update_paying_what_it_evicts() {
    let mut st = Story::new(&[]);
    let (zero, fee_coin) = padding_coins(&st.env);
    let update = force_closed(&mut st);
    let ledger = st.env.ledger();
    let (ours_fee, ours_vsize) = package_fee(&st.env, &update);
    let pinned = padded(&update, zero);
    let size = pinned.vsize() as u64 + stranger_child(&pinned, fee_coin, 0).vsize() as u64;
    assert!(size > 2_000, "{size} vB");
    let fee = outbidding(ours_fee, ours_vsize, size);
    let child = stranger_child(&pinned, fee_coin, fee);
    ledger
        .submit_package(&[pinned.clone(), child.clone()])
        .unwrap();
    assert_eq!(
        ledger.mempool().unwrap(),
        vec![pinned, child],
        "A's package is gone"
    );
    a_outbids(&st, &update, fee);
}

/// The same for A's settlement: its signature too commits to no other input. Padded in
/// the mempool by a stranger (with a child), A picks its input by the update output it
/// spends, and replaces it, paying what the padded package paid and its relay.
#[test]
fn a_settlement_a_stranger_pads_is_replaced_by_the_settlement_paying_what_it_evicts() {
    let mut st = Story::new(&[]);
    let (zero, fee_coin) = padding_coins(&st.env);
    let update = force_closed(&mut st);
    let env = &st.env;
    let ledger = env.ledger();
    let spends_update = |t: &bitcoin::Transaction| {
        t.input
            .iter()
            .any(|i| i.previous_output == bitcoin::OutPoint::new(update.compute_txid(), 0))
    };
    let settlement = {
        let mut found = None;
        for _ in 0..40 {
            env.mine(1);
            st.a.ok(&["channel", "show", &st.a_channel]);
            found = ledger
                .mempool()
                .unwrap()
                .into_iter()
                .find(|t| spends_update(t));
            if found.is_some() {
                break;
            }
        }
        found.expect("A publishes its settlement once the update is deep enough")
    };
    let (ours_fee, ours_vsize) = package_fee(env, &settlement);
    let pinned = padded(&settlement, zero);
    let size = pinned.vsize() as u64 + stranger_child(&pinned, fee_coin, 0).vsize() as u64;
    let fee = outbidding(ours_fee, ours_vsize, size);
    let child = stranger_child(&pinned, fee_coin, fee);
    ledger
        .submit_package(&[pinned.clone(), child.clone()])
        .unwrap();
    assert_eq!(ledger.mempool().unwrap(), vec![pinned, child]);
    a_outbids(&st, &settlement, fee);
}

/// A's old backup publishes an old update padded and with a child (as above), to hold it
/// in the mempool: S's latest update cannot spend it (a second generation of unconfirmed
/// version 3 transactions), so S replaces it with its latest update bound to the funding
/// output and a child paying what the padded package paid and its own relay besides; the
/// latest state settles.
#[test]
fn an_old_update_padded_in_the_mempool_is_replaced_by_the_latest() {
    let mut st = Story::new(&[]);
    let backup = old_backup(&st);
    let (zero, fee_coin) = padding_coins(&st.env);
    stop_server(&mut st);
    let env = &st.env;
    let ledger = env.ledger();
    let out = backup
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let old = ledger.mempool().unwrap()[0].clone();
    let (old_fee, old_vsize) = package_fee(env, &old);
    let old = padded(&old, zero);
    let size = old.vsize() as u64 + stranger_child(&old, fee_coin, 0).vsize() as u64;
    let fee = outbidding(old_fee, old_vsize, size);
    let child = stranger_child(&old, fee_coin, fee);
    ledger.submit_package(&[old.clone(), child]).unwrap();

    let _s = Server::start_with(&st.s, "0", &[], None);
    eventually("S replaces the padded old update", || {
        ledger.tx(&old.compute_txid()).unwrap().is_none()
    });
    let m = ledger.mempool().unwrap();
    assert_eq!(m.len(), 2, "S's latest update and its child: {m:?}");
    assert_eq!(m[0].input.len(), 1);
    assert_eq!(m[0].input[0].previous_output, old.input[0].previous_output);
    let (paid, vsize) = package_fee(env, &m[0]);
    assert!(
        paid >= fee + vsize,
        "the package pays the {fee} sat it replaces and its relay: {paid} sat, {vsize} vB"
    );
    the_latest_state_settles(&st);
}

/// A payee without the coins to enforce a claim on chain (the fees of a force close and of
/// the claim come from its confirmed coins) neither sells nor reveals the payment scalar:
/// were S to take it and not sign, the payee could publish nothing, and S would be paid by
/// A and take the PTLC back by its timeout. Unsold, the payment stays A's to cancel; once
/// coins arrive it sells. Coins spent between the sale and the claim stop the claim too;
/// with coins again, the same claim pays.
#[test]
fn a_payee_without_coins_reveals_nothing_until_it_could_enforce_its_claim() {
    let st = Story::new(&[]);
    let c = st.env.wallet("c");
    c.ok(&["channel", "request-inbound", &st.server.url, "100000"]);
    st.env.mine(1);
    let address = c.ok(&["address"])["address"].as_str().unwrap().to_owned();
    let pid = st.a.ok(&["pay", &address, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = fails(&c, &["receive"], 1);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("not selling yet"), "{e}");
    assert!(message.contains("0 sat of confirmed coins"), "{e}");
    assert_ne!(c.ok(&["payments", "show", &pid])["status"], "sold");
    st.a.ok(&["sync"]);
    assert_eq!(st.a.ok(&["payments", "show", &pid])["status"], "pending");

    common::procs::fund(&c, &st.env, B_FEE_RESERVE);
    let sold = c.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    // C spends every confirmed coin: the claim waits.
    let elsewhere = st.a.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    c.ok(&["wallet", "send", &elsewhere, "--all"]);
    let e = fails(&c, &["claim", &pid], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not claiming yet"),
        "{e}"
    );
    st.a.ok(&["sync"]);
    assert_eq!(
        st.a.ok(&["payments", "show", &pid])["status"],
        "pending",
        "S has no scalar to complete A's payment with"
    );
    common::procs::fund(&c, &st.env, B_FEE_RESERVE);
    let v = c.ok(&["claim", &pid]);
    assert_eq!(v["payments"][0]["status"], "paid", "{v}");
    st.a.ok(&["sync"]);
    assert_eq!(st.a.ok(&["payments", "show", &pid])["status"], "paid");
}

/// A payee whose inbound channel S funded holds no coins: the ledger, like a node, relays
/// no zero-fee update alone, so `receive` warns that the fee reserve is short, and a force
/// close says what it needs and publishes nothing; with a coin, the next `receive` (which
/// watches the channels first) sends it out with a child.
#[test]
fn a_payee_without_coins_is_warned_and_cannot_force_close_until_it_has_some() {
    let st = Story::new(&[]);
    let c = st.env.wallet("c");
    let c_channel =
        common::procs::channel_id(&c.ok(&["channel", "request-inbound", &st.server.url, "100000"]));
    st.env.mine(1);
    let warnings = c.ok(&["receive"])["warnings"].to_string();
    assert!(
        warnings.contains("0 sat of confirmed coins") && warnings.contains("fee"),
        "{warnings}"
    );
    // The same warning in the text a person reads (it was in --json only).
    let (code, text, _) = c.human(&["receive"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("warning: this wallet has 0 sat of confirmed coins"),
        "{text}"
    );
    let out = c
        .cmd(&["channel", "close", &c_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("min relay fee not met")
            && text.contains("anchor")
            && text.contains("wallet address"),
        "{text}"
    );
    assert!(st.env.ledger().mempool().unwrap().is_empty());
    let reserve_warning = |c: &Wallet| {
        c.ok(&["receive"])["warnings"]
            .to_string()
            .contains("of confirmed coins")
    };
    // A coin confirmed in the next block: `receive`, which watches the channels first,
    // publishes the force close the wallet could not pay for, the update and its child.
    common::procs::fund(&c, &st.env, 20_000);
    // The balance `receive` remembers for a block is not kept past the wallet's own spend
    // in it: the child spent the only confirmed coin, and its change is unconfirmed.
    assert!(reserve_warning(&c), "the reserve is spent");
    assert_eq!(
        st.env.ledger().mempool().unwrap().len(),
        2,
        "the update and its child"
    );
    let out = c
        .cmd(&["channel", "close", &c_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(st.env.ledger().mempool().unwrap().len(), 2, "nothing more");
    // Nor past a block: the change confirmed covers the reserve again.
    st.env.mine(1);
    assert!(!reserve_warning(&c), "the change covers the reserve");
}

/// The watch `receive` and `sync` keep first reports what it could not do (here: a force
/// close the wallet has no coin to pay for) as warnings; when the command then failed (its
/// server gone), they were lost with its result, and with `--json` (no notes on stderr) a
/// script never saw them. They now come with the error.
#[test]
fn the_watchs_warnings_come_with_a_command_that_fails_after_it() {
    let mut st = Story::new(&[]);
    let c = st.env.wallet("c");
    let c_channel =
        common::procs::channel_id(&c.ok(&["channel", "request-inbound", &st.server.url, "100000"]));
    st.env.mine(1);
    let out = c
        .cmd(&["channel", "close", &c_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    stop_server(&mut st);
    // (`sync` does the same, for a wallet with a payment of its own to sync.)
    let command = "receive";
    let e = common::story::fails(&c, &[command], 4);
    let warnings = e["error"]["warnings"].to_string();
    assert!(
        warnings.contains(&c_channel) && warnings.contains("min relay fee not met"),
        "{command}: {e}"
    );
    // On a terminal they were notes already, before the error.
    let (code, _, err) = c.human(&[command]);
    assert_eq!(code, 4, "{err}");
    let (warned, failed) = (err.find("min relay fee not met"), err.find("error:"));
    assert!(warned.is_some() && warned < failed, "{command}: {err}");
}

/// `--anchor-fee-rate` sets what the child paying for a force close pays, instead of the
/// estimate (2 sat/vB on the ledger).
#[test]
fn the_anchor_fee_rate_sets_what_the_fee_child_pays() {
    let mut st = Story::new(&[]);
    stop_server(&mut st);
    let a = st.a.clone();
    let out = a
        .cmd(&[
            "--anchor-fee-rate",
            "25",
            "channel",
            "close",
            &st.a_channel,
            "--force",
            "--no-wait",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let ledger = st.env.ledger();
    let update = ledger.mempool().unwrap()[0].compute_txid();
    let package = ledger.mempool_entry(&update).unwrap().unwrap();
    let rate = package.package_rate().to_sat_per_vb_floor();
    assert!((25..27).contains(&rate), "the package pays {rate} sat/vB");
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
    // B's wallet: its fee reserve, less the fee children of its update, settlement and
    // claim, plus the claim.
    let b_expected = B_FEE_RESERVE - fees(&b) + 10_000;
    // Three children (update, settlement, claim) of a few hundred sat each.
    assert!((1..3_000).contains(&fees(&b)), "B paid {} sat", fees(&b));
    payout_is_home(&st.env, &b, "b", b_expected, &[10_000]);

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
    assert_eq!(total(&b), B_FEE_RESERVE, "B let the PTLC expire");
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

/// Attacker review of S's closes: S paid for every close a client started (it outbid the
/// client's fee child a block later), so a client closing channels again and again (inbound
/// ones S funded, say) spent S's coins on fees. A client's close of a channel that holds no
/// PTLC is its own to pay for now: a block that passes A's update by does not make S
/// replace A's child (S waits a day's blocks first; its balance is locked until then, not
/// lost). A's package then confirms as it is.
#[test]
fn s_does_not_pay_for_a_clients_close_at_once() {
    let st = Story::new(&[]);
    let out =
        st.a.cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let ledger = st.env.ledger();
    let txids = || -> Vec<String> {
        ledger
            .mempool()
            .unwrap()
            .iter()
            .map(|t| t.compute_txid().to_string())
            .collect()
    };
    let published = txids();
    assert_eq!(published.len(), 2, "A's update and its child");
    ledger
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb(500).unwrap())
        .unwrap();
    assert_eq!(txids(), published, "the busy block left A's package out");
    // S's watcher (every 100 ms) has passes enough to act.
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    assert_eq!(txids(), published, "S did not replace A's child");
    st.env.mine(1);
    assert!(txids().is_empty(), "A's package confirmed, at A's cost");
}
