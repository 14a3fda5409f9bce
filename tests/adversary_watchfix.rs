//! The holes an attacker review found after the watcher merge, attacked through the real
//! interfaces (the real `server run` on 127.0.0.1, the embedded regtest ledger, real wallets),
//! each ending with the balances checked to the satoshi.
//!
//! 1. A PTLC claim is read at the input that spends the PTLC, at any position: B claims with
//!    a fee input first and S still extracts `t`; a hostile S takes an expired PTLC back with
//!    a timeout claim that also pays B's script, and B does not take it for its own claim.
//! 2. S rebinds the payer's `n+1` in the very pass that extracts `t` (one pass later could be
//!    a block later: the payer's old state settles first); an old update mined ahead of a
//!    rebinding restarts the settlement delay, so extra rebinds cost no budget.
//! 3. A sale is never made on a stale view of the payee's channel: B does not sell into a
//!    channel already closing on chain, and the payer can still cancel.
//! 4. Channel requests are pinned to the server key the channel was opened with: another
//!    server at the same URL gets a clear error and nothing signed.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use asyncpay::eltoo::{ptlc_tree, Party, PtlcClaim};
use asyncpay::payment::sale::signed_timeout_claim;
use asyncpay::server::payments::ServerPayment;
use asyncpay::server::ServerChannel;
use asyncpay::watch::{BroadcastKind, WatchOutcome};
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Keypair, Message, Secp256k1};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash};
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use common::duo::{on_both, Harness, DELAY};
use common::procs::{
    channel_id, copy_dir, eventually, fund, to_node, value_at, Env, Server, Wallet,
};
use common::story::{fails, keys_of, server_init, status, Story, B_FEE_RESERVE};
use serde_json::Value;

fn tip(env: &Env) -> u32 {
    env.ledger().tip().unwrap().height
}

fn id(v: &Value) -> String {
    v["payment_id"].as_str().unwrap().to_owned()
}

/// A copy of `w`'s data dir as it is now (an old backup), as a wallet of its own.
fn backup(w: &Wallet, name: &str) -> Wallet {
    let dir = w.dir.with_file_name(name);
    copy_dir(&w.dir, &dir);
    Wallet { dir, ..w.clone() }
}

/// S's status of payment `pid`, read from S's own files while it runs.
fn s_status(s: &Wallet, pid: &str) -> Option<String> {
    let p: ServerPayment = common::procs::read_store(s).load_keyed(pid).ok()??;
    Some(
        serde_json::to_value(p.status)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// S's channel with key index `index`, read from S's files.
fn s_channel(s: &Wallet, index: u32) -> ServerChannel {
    let st = common::procs::read_store(s);
    for key in st.keys_of::<ServerChannel>().unwrap() {
        let ch: ServerChannel = st.load_keyed(&key).unwrap().unwrap();
        if ch.key_index == index {
            return ch;
        }
    }
    panic!("S has no channel with key index {index}");
}

/// `server run` of `s` on 127.0.0.1:`port` with a watcher pass every `interval_ms`.
fn start_server(s: &Wallet, port: &str, interval_ms: &str) -> Server {
    start_server_with(s, port, interval_ms, &[])
}

/// [`start_server`] with `extra` arguments.
fn start_server_with(s: &Wallet, port: &str, interval_ms: &str, extra: &[&str]) -> Server {
    let listen = format!("127.0.0.1:{port}");
    let mut child = s
        .cmd(&[
            "server",
            "run",
            "--listen",
            &listen,
            "--watch-interval-ms",
            interval_ms,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let doc: Value = serde_json::from_str(&line).expect("the listening line");
    Server {
        child,
        url: doc["url"].as_str().unwrap().to_owned(),
    }
}

/// A P2A output of `sat` from the faucet (anyone can spend it: a fee input), mined.
fn fee_coin(env: &Env, sat: u64) -> (TxIn, TxOut) {
    let script = ScriptBuf::new_p2a();
    let outpoint = env.ledger().fund(&script, Amount::from_sat(sat)).unwrap();
    let input = TxIn {
        previous_output: outpoint,
        script_sig: ScriptBuf::new(),
        sequence: Sequence::MAX,
        witness: Witness::new(),
    };
    (
        input,
        TxOut {
            value: Amount::from_sat(sat),
            script_pubkey: script,
        },
    )
}

/// BIP342 SIGHASH_DEFAULT signature by `secret` of input `index` of `tx`, spending `prevouts`
/// through the leaf `leaf`.
fn sign_leaf(
    tx: &Transaction,
    index: usize,
    prevouts: &[TxOut],
    leaf: &[u8],
    secret: [u8; 32],
) -> Vec<u8> {
    let leaf_hash =
        TapLeafHash::from_script(bitcoin::Script::from_bytes(leaf), LeafVersion::TapScript);
    let digest = SighashCache::new(tx)
        .taproot_script_spend_signature_hash(
            index,
            &Prevouts::All(prevouts),
            leaf_hash,
            TapSighashType::Default,
        )
        .unwrap();
    let secp = Secp256k1::new();
    let key = Keypair::from_seckey_slice(&secp, &secret).unwrap();
    secp.sign_schnorr_no_aux_rand(&Message::from_digest(digest.to_byte_array()), &key)
        .as_ref()
        .to_vec()
}

/// Item 1. B claims its PTLC on chain with a fee input FIRST (S's ALL|APO signature commits
/// to no other input and not to the input index); S, back from a crash, must find the claim
/// at input 1, extract `t` and collect from A. A second PTLC expires unclaimed and a hostile
/// S takes it back with a timeout claim that also pays 600 sat to B's script (S's timeout
/// signature is its own, over any transaction it likes): B must see a take-back, not its own
/// claim, and the payer C gets its money back.
#[test]
fn claims_are_read_at_the_ptlc_input_whatever_else_the_transaction_holds() {
    let mut st = Story::new(&[]);
    let port = st.server.port();
    let (a, b, env) = (st.a.clone(), st.b.clone(), &st.env);
    let c = env.wallet("c");
    fund(&c, env, 500_000);
    let c_channel = channel_id(&c.ok(&["channel", "open", &st.server.url, "200000"]));
    // Two payments sold at once: S needs a second confirmed coin (a block mined).
    st.s_fee_coin();
    let p1 = st.pay(10_000);
    assert_eq!(
        b.ok(&["receive", "--no-claim"])["payments"][0]["status"],
        "sold"
    );
    let p2 = id(&c.ok(&["pay", &st.address, "20000"]));
    assert_eq!(
        b.ok(&["receive", "--no-claim"])["payments"][0]["status"],
        "sold"
    );
    // B closes B–S and settles state 2 (both PTLCs) on chain.
    fails(
        &b,
        &["channel", "close", &st.b_channel, "--force", "--no-wait"],
        5,
    );
    env.mine(6);
    let mut settled = false;
    for _ in 0..4 {
        let out = b
            .cmd(&["channel", "close", &st.b_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
        if out.status.success() {
            settled = true;
            break;
        }
        env.mine(1);
    }
    assert!(settled, "B–S settles");
    env.mine(1);
    let (fee_in, fee_out) = fee_coin(env, 2_000);

    // S goes down. B's claim of p1, as the CLI builds it, taken from the mempool; the
    // ledger is put back as it was, so that only the attacker's version ever exists.
    st.server.child.kill().unwrap();
    st.server.child.wait().unwrap();
    let saved = env.root.path().join("chain-saved");
    copy_dir(&env.chain(), &saved);
    let published = b.ok(&["claim", &p1]);
    assert_eq!(published["payments"][0]["status"], "sold", "{published}");
    let honest = env.ledger().mempool().unwrap().remove(0);
    std::fs::remove_dir_all(env.chain()).unwrap();
    copy_dir(&saved, &env.chain());
    assert!(env.ledger().mempool().unwrap().is_empty());

    // The same claim with the fee input first: B's own (SIGHASH_DEFAULT) signature is made
    // again for the new transaction; S's completed APO signature stays as it is.
    let ptlc_in = honest.input[0].clone();
    let ptlc_out = env
        .ledger()
        .output(&ptlc_in.previous_output)
        .unwrap()
        .unwrap();
    let mut attack = honest.clone();
    attack.input = vec![fee_in, ptlc_in.clone()];
    let w: Vec<Vec<u8>> = ptlc_in.witness.iter().map(<[u8]>::to_vec).collect();
    // B's PTLC key of its channel: the index's, bound to the channel's id.
    let b_id: asyncpay::protocol::ChannelId = st.b_channel.parse().unwrap();
    let receiver = keys_of(&b)
        .channel(0)
        .bound_to(&b_id.0)
        .ptlc_scalar()
        .serialize();
    let sig = sign_leaf(&attack, 1, &[fee_out, ptlc_out], &w[2], receiver);
    attack.input[1].witness = Witness::from_slice(&[sig, w[1].clone(), w[2].clone(), w[3].clone()]);
    assert_eq!(
        PtlcClaim::offerer_signature_in(&attack, ptlc_in.previous_output).map(|s| s.to_vec()),
        Some(w[1][..64].to_vec()),
        "the offerer's signature is read at the PTLC's input"
    );
    env.ledger()
        .submit_to_miner(&attack)
        .expect("S's ALL|APO signature commits to no other input");
    env.mine(1);
    assert_eq!(b.ok(&["claim", &p1])["payments"][0]["status"], "paid");

    // p2 expires unclaimed; S's keys, used by the test as a hostile S would, take it back
    // with a fee input first and a 600-sat output to B's payout script.
    let ch = s_channel(&st.s, 1);
    let params = ch.channel.params().clone();
    let ptlc = ch
        .channel
        .latest()
        .unwrap()
        .state
        .ptlcs
        .iter()
        .find(|p| p.amount.to_sat() == 20_000)
        .unwrap()
        .clone();
    let script = ptlc_tree(&params, &ptlc).unwrap().script_pubkey();
    let (outpoint, utxo) = env.ledger().utxos_for_script(&script).unwrap().remove(0);
    let (fee_in, fee_out) = fee_coin(env, 2_000);
    while tip(env) < ptlc.expiry {
        env.mine(1);
    }
    let s_secret = s_channel(&st.s, 1).secrets(&keys_of(&st.s)).ptlc_scalar();
    let timeout = signed_timeout_claim(&params, &ptlc, outpoint, s_secret, [9; 32]).unwrap();
    let b_script = to_node(&b, 0);
    let mut hostile = timeout.clone();
    hostile.input = vec![fee_in, timeout.input[0].clone()];
    hostile.output.push(TxOut {
        value: Amount::from_sat(600),
        script_pubkey: b_script.clone(),
    });
    let w: Vec<Vec<u8>> = timeout.input[0]
        .witness
        .iter()
        .map(<[u8]>::to_vec)
        .collect();
    let sig = sign_leaf(
        &hostile,
        1,
        &[fee_out, utxo.output],
        &w[1],
        s_secret.serialize(),
    );
    hostile.input[1].witness = Witness::from_slice(&[sig, w[1].clone(), w[2].clone()]);
    env.ledger().submit_to_miner(&hostile).unwrap();
    env.mine(1);
    let e = fails(&b, &["claim", &p2], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("took the PTLC back"),
        "{e}"
    );
    assert_eq!(
        status(&b, &p2),
        "failed",
        "B does not count S's take-back as paid"
    );

    // S comes back: it reads B's claim at input 1 and is paid by A; C is refunded.
    st.server = Server::start_with(&st.s, &port, &[], None);
    eventually(
        "S to extract t from the claim with a fee input first",
        || {
            a.cmd(&["sync"]).output().unwrap().status.success()
                && a.ok(&["payments", "show", &p1])["status"] == "paid"
        },
    );
    assert_eq!(Story::balances(&a, &st.a_channel), (189_990, 10_010));
    eventually("S to refund C", || {
        c.cmd(&["sync"]).output().unwrap().status.success()
            && c.ok(&["payments", "show", &p2])["status"] == "cancelled"
    });
    assert_eq!(Story::balances(&c, &c_channel), (200_000, 0));
    // To the satoshi on chain: B got its 10,000 claim (and S's 600), S its 270,000 of the
    // settlement and the 20,000 PTLC back; B's settlement output was 0 (no output).
    assert_eq!(value_at(env, &b_script), 10_600);
    assert_eq!(value_at(env, &st.s_to_node[1]), 290_000);
    assert_eq!(s_status(&st.s, &p1).as_deref(), Some("paid"));
    assert_eq!(s_status(&st.s, &p2).as_deref(), Some("cancelled"));
}

/// Item 2, the pass. Payer and payee together on the timing bound (A–S 15, B–S 6, C = 1),
/// with S's watcher passing only every 2 s: B claims on chain in block E, the last it may;
/// S learns `t` in its next pass and must rebind `n+1` in THAT pass. The test mines block
/// E+1 the moment S has written the payment paid, and A at once publishes its old
/// settlement (valid from block E+2): had S left the rebinding to its next pass, A's
/// settlement would be first in the mempool and S would lose the 100,100 sat A owes it.
#[test]
fn s_rebinds_the_payers_state_in_the_pass_that_learns_t() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = start_server(&s, "0", "2000");
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    let a_channel = channel_id(&a.ok(&["channel", "open", &server.url, "200000"]));
    let b = env.wallet("b");
    fund(&b, &env, B_FEE_RESERVE);
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &server.url, "300000"]));
    env.mine(1);
    let s_to_node: Vec<ScriptBuf> = (0..2).map(|i| to_node(&s, i)).collect();
    let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();
    let a_old = backup(&a, "a-old");
    let pid = id(&a.ok(&["pay", &address, "100000"]));
    assert_eq!(
        b.ok(&["receive", "--no-claim"])["payments"][0]["status"],
        "sold"
    );
    let h = tip(&env);
    let expiry = h + 14;
    // A closes A–S with its old state 0; B closes B–S; both updates in block h+1.
    fails(
        &a_old,
        &["channel", "close", &a_channel, "--force", "--no-wait"],
        5,
    );
    fails(
        &b,
        &["channel", "close", &b_channel, "--force", "--no-wait"],
        5,
    );
    env.mine(1);
    // B–S settles (its settlement may be in block h+7).
    env.mine(5);
    let mut settled = false;
    for _ in 0..4 {
        let out = b
            .cmd(&["channel", "close", &b_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
        if out.status.success() {
            settled = true;
            break;
        }
        env.mine(1);
    }
    assert!(settled, "B–S settles");
    while tip(&env) < expiry - 1 {
        env.mine(1);
    }
    // Tip E−1: B claims; block E holds the claim.
    assert_eq!(b.ok(&["claim", &pid])["payments"][0]["status"], "sold");
    env.mine(1);
    assert_eq!(tip(&env), expiry);
    assert_eq!(
        value_at(&env, &to_node(&b, 0)),
        100_000,
        "B's claim confirmed"
    );
    // S's next pass extracts t; the moment it wrote the payment paid, block E+1 comes.
    let start = Instant::now();
    while s_status(&s, &pid).as_deref() != Some("paid") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "S never learnt t"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    env.mine(1);
    // A publishes its old settlement at once (valid for block h+16 = E+2).
    let _ = a_old
        .cmd(&["channel", "close", &a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2_500)); // S's next pass
    env.mine(1);
    for _ in 0..3 {
        let _ = a_old
            .cmd(&["channel", "close", &a_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
        env.mine(1);
    }
    // S settles A–S with n+1 after its delay.
    env.mine(15);
    eventually("S to settle A–S with state n+1", || {
        env.mine(1);
        std::thread::sleep(Duration::from_millis(500));
        value_at(&env, &s_to_node[0]) > 0 || value_at(&env, &to_node(&a, 0)) == 200_000
    });
    env.mine(1);
    assert_eq!(
        (
            value_at(&env, &s_to_node[0]),
            value_at(&env, &to_node(&a, 0)),
            value_at(&env, &to_node(&b, 0)),
            value_at(&env, &s_to_node[1]),
        ),
        (100_100, 99_900, 100_000, 200_000),
        "(S from A–S, A, B, S from B–S): S paid B 100,000 and got 100,100 from A"
    );
    drop(server);
}

/// Item 2, the extra rebind. The peer publishes old update 0; S's rebinding of its latest
/// (4) loses the race to another old update (2, over 0) mined ahead of it. That update
/// restarts the settlement delay: S, rebinding as late as `DELAY − 1` blocks after it, still
/// wins, and neither old state can settle. (So no rebind forced this way shortens the time
/// PROTOCOL.md §4.1 gives S: every update that confirms brings its own delay.)
#[test]
fn an_old_update_mined_ahead_of_a_rebinding_restarts_the_delay() {
    on_both(|chain| {
        let mut h = Harness::open(31, chain);
        h.pay(4);
        let u0 = h.updates[&0].clone();
        chain.submit(&u0).unwrap();
        chain.mine(1);
        let first = match h.apply(Party::Server, chain) {
            WatchOutcome::Broadcast(b) => b,
            other => panic!("expected a rebinding, got {other:?}"),
        };
        assert_eq!(
            first.kind,
            BroadcastKind::Rebind {
                published: 0,
                latest: 4
            }
        );
        // The attacker's update 2 over 0 is mined instead of S's rebinding.
        let over = h
            .backup(2)
            .react_to_published_update(&u0, &[])
            .unwrap()
            .expect("state 2 rebinds over state 0");
        let over_txid = chain.submit(&over).unwrap();
        assert!(
            chain.submit(&first.tx).is_err(),
            "S's rebinding lost the race"
        );
        chain.mine(1);
        let old0 = h.backup(0).settlement_tx(u0_outpoint(&u0)).unwrap();
        assert!(chain.submit(&old0).is_err(), "state 0 can never settle now");
        // State 2's settlement needs DELAY blocks from ITS confirmation: S has them again.
        let old2 = h
            .backup(2)
            .settlement_tx(OutPoint::new(over_txid, 0))
            .unwrap();
        let again = match h.apply(Party::Server, chain) {
            WatchOutcome::Broadcast(b) => b,
            other => panic!("expected a rebinding, got {other:?}"),
        };
        assert_eq!(
            again.kind,
            BroadcastKind::Rebind {
                published: 2,
                latest: 4
            }
        );
        chain.mine(u32::from(DELAY) - 2);
        assert!(
            chain.submit(&old2).is_err(),
            "state 2 cannot settle DELAY − 1 blocks after its update"
        );
        let rebound = chain.submit(&again.tx).unwrap();
        chain.mine(1);
        assert!(chain.submit(&old2).is_err(), "state 2 can no longer settle");
        // S's latest settles and pays both parties its balances exactly.
        let latest = h.latest();
        let mut settlement = None;
        for _ in 0..=DELAY {
            if let WatchOutcome::Broadcast(b) = h.apply(Party::Server, chain) {
                assert_eq!(
                    b.kind,
                    BroadcastKind::Settlement {
                        state: latest.number
                    }
                );
                settlement = Some(chain.submit(&b.tx).unwrap());
                break;
            }
            chain.mine(1);
        }
        assert!(
            settlement.is_some(),
            "S settles its latest state over {rebound}"
        );
        chain.mine(1);
        let params = h.server.channel.params().clone();
        for party in [Party::Client, Party::Server] {
            assert_eq!(
                chain.paid(&params.to_node_script(party)),
                latest.balance(party).to_sat(),
                "{party:?} is paid the latest state to the satoshi"
            );
        }
    });
}

fn u0_outpoint(u0: &Transaction) -> OutPoint {
    OutPoint::new(u0.compute_txid(), 0)
}

/// Item 3. A sale S queued for its operator (`--manual`) resumes on the channel recorded
/// with it; meanwhile B's old backup closed that B–S channel on chain (B's own files still
/// say open) and S's watcher has not passed since. B must not sell into the closing channel
/// on its stale view (nor S offer a PTLC in it): otherwise S's pre-signature leaves for a
/// state that can never be signed, the payment stays sold, and the payer cannot cancel.
/// Here the payer cancels and gets its money back to the satoshi.
#[test]
fn a_resumed_sale_is_not_made_into_a_channel_already_closing_on_chain() {
    let mut st = Story::new(&[]);
    // S again: sales approved by hand, a watcher that does not pass during the test.
    let port = st.server.port();
    st.server.child.kill().unwrap();
    st.server.child.wait().unwrap();
    st.server = start_server_with(&st.s, &port, "600000", &["--manual"]);
    let url = st.server.url.clone();
    let (a, b, env) = (&st.a, &st.b, &st.env);
    let b_old = backup(b, "b-old");
    let pid = st.pay(100_000);
    assert_eq!(b.ok(&["receive"])["payments"][0]["status"], "queued");
    fails(
        &b_old,
        &["channel", "close", &st.b_channel, "--force", "--no-wait"],
        5,
    );
    env.mine(1);
    st.s.ok(&["server", "sales", "approve", &pid, "--server", &url]);
    let e = fails(b, &["receive"], 1);
    let msg = e["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("closing on chain"), "B says why: {e}");
    assert_ne!(status(b, &pid), "sold");
    assert_eq!(
        s_status(&st.s, &pid).as_deref(),
        Some("pending"),
        "S sold nothing"
    );
    // A cancels and gets its money back.
    a.ok(&["payments", "cancel", &pid]);
    assert_eq!(status(a, &pid), "cancelled");
    assert!(a.cmd(&["sync"]).output().unwrap().status.success());
    assert_eq!(st.a_balances(), (200_000, 0));
}

/// Item 4. Another server answers at S's URL (S is down, someone else took its port): A's
/// `pay` and B's `receive` refuse to talk to it with a clear error naming both keys, and
/// nothing is signed for it. With S back, the pinned clients work as before.
#[test]
fn another_server_at_the_channels_url_is_refused() {
    let mut st = Story::new(&[]);
    let port = st.server.port();
    st.server.child.kill().unwrap();
    st.server.child.wait().unwrap();
    let s_id = keys_of(&st.s).node_id().to_string();
    let s2 = st.env.wallet("s2");
    server_init(&s2, None);
    let impostor = Server::start_with(&s2, &port, &[], None);
    for (w, args) in [
        (&st.a, vec!["pay", st.address.as_str(), "10000"]),
        (&st.b, vec!["receive"]),
    ] {
        let e = fails(w, &args, 1);
        let msg = e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            msg.contains("refusing to talk to another server"),
            "{args:?}: {e}"
        );
        assert!(msg.contains(&s_id), "names the pinned key: {msg}");
    }
    assert_eq!(
        common::procs::read_store(&s2)
            .keys_of::<ServerPayment>()
            .unwrap()
            .len(),
        0,
        "the impostor got no payment"
    );
    drop(impostor);
    st.server = Server::start_with(&st.s, &port, &[], None);
    let pid = st.pay(10_000);
    assert_eq!(st.b.ok(&["receive"])["payments"][0]["status"], "paid");
    assert!(st.a.cmd(&["sync"]).output().unwrap().status.success());
    assert_eq!(status(&st.a, &pid), "paid");
    assert_eq!(st.a_balances(), (189_990, 10_010));
    assert_eq!(st.b_balances(), (10_000, 290_000));
}
