//! Issue 9 items 5 and 13, attacked through the real interfaces.
//!
//! - Item 5: a payer and a payee acting together (A restores an old backup and force-closes
//!   A–S, B sells with `receive --no-claim` and claims on chain as late as S lets it) against
//!   the real `server run` with stock commands; S's balance ends, to the satoshi, not lower.
//!   The timing inequality `delay(A–S) >= delay(B–S) + 5·C + margin − 2` at the boundary:
//!   a sale exactly at it goes through, one block short S refuses it.
//! - Item 13: two PTLCs of the same amount, keys and expiry ("twins") on the regtest ledger:
//!   a completed claim signature for one fails on the other; a state with two PTLCs for one
//!   payment point is refused.

mod common;

use std::time::Duration;

use asyncpay::chain::Ledger;
use asyncpay::crypto::adaptor::PreSignature;
use asyncpay::crypto::bip118::{self, KeyVersion, SpendPath};
use asyncpay::eltoo::scripts::{self, TapTree};
use asyncpay::eltoo::{
    ptlc_tree, ChannelState, EltooError, Party, Ptlc, PtlcClaim, PtlcPath, StateTransactions,
};
use asyncpay::payment::sale::{claim_digest, PtlcTiming};
use bitcoin::transaction::Version;
use bitcoin::{absolute, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use common::procs::{
    channel_id, copy_dir, eventually, fund, to_node, value_at, Env, Server, Wallet,
};
use common::story::{fails, server_init_args_with, server_init_with, status, Story, B_FEE_RESERVE};
use common::PartySecrets;
use secp::{Scalar, G};
use serde_json::Value;

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

fn tip(env: &Env) -> u32 {
    env.ledger().tip().unwrap().height
}

/// Mines one block and gives S's watcher (100 ms passes) time to act on it.
fn block(env: &Env) {
    env.mine(1);
    std::thread::sleep(Duration::from_millis(700));
}

/// Waits until something is in the mempool (S answered the last block).
fn await_mempool(env: &Env, what: &str) {
    eventually(what, || !env.ledger().mempool().unwrap().is_empty());
}

fn id(v: &Value) -> String {
    v["payment_id"].as_str().unwrap().to_owned()
}

/// Item 5, the measured attack, with stock commands at the tightest policy S accepts
/// (A–S 15 blocks, B–S 6, budget 1: exactly on the inequality) and B claiming in the last
/// block S leaves it. S completes A's state n+1 from B's on-chain claim and rebinds it over
/// A's old update before that update's settlement can confirm.
#[test]
fn payer_and_payee_together_cannot_make_s_pay_for_nothing() {
    let st = Story::new(&[]);
    let (a, b, env) = (&st.a, &st.b, &st.env);
    // A keeps a backup from before the payment.
    let backup = env.root.path().join("a-backup");
    copy_dir(&a.dir, &backup);
    let a_old = Wallet {
        dir: backup,
        ..a.clone()
    };
    let pid = id(&a.ok(&["pay", &st.address, "100000"]));
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let h = tip(env);
    // S chose the expiry: h + delay(B–S) + 3·C − 1 + margin = h + 14 = h + delay(A–S) − 2·C + 1.
    let expiry = h + 14;
    let timing = PtlcTiming {
        payer_delay: 15,
        payee_delay: 6,
        budget: 1,
    };
    assert_eq!(timing.window(h), Ok((expiry, expiry)));

    // A force-closes A–S from the backup (state 0: before the payment) right after the sale.
    let out = a_old
        .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Its update confirms in block h+1: its settlement may confirm from block h+16.
    block(env);
    let funding: OutPoint = a.ok(&["channel", "show", &st.a_channel])["funding_outpoint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let old_update = env.ledger().spending_tx(&funding).unwrap().unwrap().tx;
    let old_output = OutPoint::new(old_update.compute_txid(), 0);
    // B stays silent. S force-closes B–S in time (its margin), settles it with the PTLC.
    while tip(env) < expiry - 1 {
        block(env);
    }
    // Tip E−1: B claims on chain now, the last moment its claim can beat S's timeout claim
    // (which S publishes at tip E for block E+1).
    let claimed = b.ok(&["claim", &pid]);
    assert_eq!(claimed["payments"][0]["status"], "sold", "{claimed}");
    assert!(
        claimed["payments"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("published"),
        "{claimed}"
    );
    await_mempool(env, "B's claim in the mempool");
    env.mine(1); // block E: B is paid on chain
    assert_eq!(
        value_at(env, &to_node(b, 0)),
        100_000,
        "B's claim confirmed"
    );
    // S extracts t from the claim, completes n+1 and rebinds it over A's old update at once:
    // from block E, or already from the mempool, when its rebinding went into block E with
    // the claim (a watcher pass between the claim's submission and the block).
    // (Only a rebinding can spend the old update's output before block h+16.)
    eventually("S's rebinding of state n+1", || {
        env.ledger().spending_tx(&old_output).unwrap().is_some()
    });
    env.mine(1); // block E+1 = h+15, before h+16
                 // The attacker A tries its old settlement at every block; it never confirms.
    for _ in 0..3 {
        let _ = a_old
            .cmd(&["channel", "close", &st.a_channel, "--force", "--no-wait"])
            .output()
            .unwrap();
        block(env);
    }
    eventually("S to settle A–S with state n+1", || {
        env.mine(1);
        std::thread::sleep(Duration::from_millis(200));
        value_at(env, &st.s_to_node[0]) > 0
    });
    // To the satoshi: S paid B 100,000 and got 100,100 from A; A paid; B got paid.
    let s_a = value_at(env, &st.s_to_node[0]);
    let s_b = value_at(env, &st.s_to_node[1]);
    assert_eq!(
        (s_a, s_b),
        (100_100, 200_000),
        "S's settlement outputs (A–S, B–S)"
    );
    assert!(
        s_a + s_b >= 300_000,
        "S ends with no less than it put in (300,000 sat)"
    );
    assert_eq!(value_at(env, &to_node(a, 0)), 99_900, "A's settlement");
    assert_eq!(value_at(env, &to_node(b, 0)), 100_000, "B's claim");
}

/// S at `--shared-delay D_A --inbound-shared-delay D_B --confirmation-budget 1`.
fn server_init(s: &Wallet, payer_delay: u16, payee_delay: u16, port: &str) {
    server_init_with(
        s,
        &[
            ("--shared-delay", &payer_delay.to_string()),
            ("--inbound-shared-delay", &payee_delay.to_string()),
            ("--listen", &format!("127.0.0.1:{port}")),
        ],
    );
}

fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string()
}

/// The inequality at the boundary, through stock commands: with B–S at 6 blocks and a
/// budget of 1, an A–S delay of exactly 15 sells (the window is the single height
/// h + 14), 14 is refused (S's latest safe expiry h + 13 is one block below the earliest
/// h + 14 the payee needs). S's init refuses a policy whose own channels could not sell,
/// and S's open gives client-funded channels at least the payer bound.
#[test]
fn the_timing_inequality_holds_to_the_block() {
    let env = Env::new();
    let s = env.wallet("s");
    // A policy off the inequality is refused at init.
    let e = fails(
        &s,
        &[
            "server",
            "init",
            "--shared-delay",
            "14",
            "--inbound-shared-delay",
            "6",
            "--confirmation-budget",
            "1",
            "--min-shared-delay",
            "2",
        ],
        2,
    );
    assert!(e.to_string().contains("at least 15"), "{e}");
    // A delay our clients refuse (they accept 6 to 2,016 blocks) is warned of at init.
    for (flag, delay) in [("--inbound-shared-delay", "5"), ("--shared-delay", "2017")] {
        let init = server_init_args_with(&[("--shared-delay", "40"), (flag, delay)]);
        let (code, _, stderr) = s.human(&init.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(&format!("warning: {flag} {delay}: asyncpay clients accept")),
            "{stderr}"
        );
    }
    let port = free_port();
    server_init(&s, 15, 6, &port);
    fund(&s, &env, 1_000_000);
    let mut server = Server::start_with(&s, &port, &[], None);
    let url = server.url.clone();
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    let a15 = channel_id(&a.ok(&["channel", "open", &url, "100000"]));
    let b = env.wallet("b");
    fund(&b, &env, B_FEE_RESERVE);
    let b6 = channel_id(&b.ok(&["channel", "request-inbound", &url, "300000"]));
    env.mine(1);
    let _ = a15;
    let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();

    // Exactly at the bound: sold.
    let p1 = id(&a.ok(&["pay", &address, "10000"]));
    let sold = b.ok(&["receive"]);
    assert_eq!(sold["payments"][0]["status"], "paid", "{sold}");
    a.ok(&["sync"]);
    assert_eq!(a.ok(&["payments", "show", &p1])["status"], "paid");

    // S's policy moves to A–S 14 / B–S 5 (still on the inequality for its new channels);
    // A opens a 14-block channel. Paying into B's existing 6-block channel is one block
    // short: S refuses the sale.
    drop(server);
    server_init(&s, 14, 5, &port);
    server = Server::start_with(&s, &port, &[], None);
    let a2 = env.wallet("a2");
    fund(&a2, &env, 500_000);
    let a14 = channel_id(&a2.ok(&["channel", "open", &url, "100000"]));
    env.mine(1);
    let p2 = id(&a2.ok(&["pay", &address, "10000"]));
    let refused = b.cmd(&["receive"]).output().unwrap();
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("S does not sell this payment"), "{text}");
    assert!(text.contains("= 15 blocks"), "{text}");
    // Nothing moved: B's channel holds no PTLC, A cancels and has its balance back.
    let shown = b.ok(&["channel", "show", &b6]);
    assert_eq!(
        (shown["client_sat"].as_u64(), shown["server_sat"].as_u64()),
        (Some(10_000), Some(290_000)),
        "{shown}"
    );
    a2.ok(&["payments", "cancel", &p2]);
    let back = a2.ok(&["channel", "show", &a14]);
    assert_eq!(back["client_sat"], 100_000, "{back}");
    drop(server);
}

/// Item 13: twins. Two PTLCs offered by S in one channel, same amount, keys and expiry,
/// different payment points. S's APO pre-signature for the first, completed with `t1`,
/// does not spend the second (the point is committed in the output key); with the old
/// layout (internal key `Q` for every PTLC) it did.
#[test]
fn a_completed_claim_signature_for_one_ptlc_fails_on_its_twin() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let client = PartySecrets::from_seed(31);
    let server = PartySecrets::from_seed(131);
    let params = common::params(&client, &server, 1_000_000, 6);
    let (t1, t2) = (
        Scalar::try_from(random32()).unwrap(),
        Scalar::try_from(random32()).unwrap(),
    );
    let expiry = ledger.tip().unwrap().height + 100;
    let first = Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(20_000),
        point: t1 * G,
        expiry,
    };
    let twin = Ptlc {
        point: t2 * G,
        ..first.clone()
    };
    let spk1 = ptlc_tree(&params, &first).unwrap().script_pubkey();
    let spk2 = ptlc_tree(&params, &twin).unwrap().script_pubkey();
    assert_ne!(spk1, spk2, "the payment point is committed in the output");
    assert_ne!(
        claim_digest(&params, &first).unwrap(),
        claim_digest(&params, &twin).unwrap()
    );
    let out1 = ledger.fund(&spk1, first.amount).unwrap();
    let out2 = ledger.fund(&spk2, twin.amount).unwrap();
    ledger.mine(1, None).unwrap();

    let dest = params.to_node_script(Party::Client);
    let claim = |ptlc: &Ptlc, outpoint| {
        PtlcClaim::new(&params, ptlc, outpoint, PtlcPath::Success, dest.clone()).unwrap()
    };
    // S pre-signs B's claim of the first PTLC; B completes it with t1.
    let c1 = claim(&first, out1);
    let digest = c1.offerer_apo_sighash().unwrap();
    let pre = PreSignature::sign(server.ptlc, &digest, first.point, random32());
    let offerer_sig = pre.complete(t1, first.point).unwrap();
    let receiver = |c: &PtlcClaim| -> [u8; 64] {
        let sig: musig2::LiftedSignature =
            musig2::sign_solo(client.ptlc, c.sighash().unwrap(), random32());
        sig.serialize()
    };
    // The twin claimed with the same completed offerer signature (and B's own valid
    // signature): the ledger refuses it.
    let c2 = claim(&twin, out2);
    let stolen = c2.signed_success(&offerer_sig, &receiver(&c2)).unwrap();
    let err = ledger.submit_to_miner(&stolen).unwrap_err();
    assert!(err.rejection().is_some(), "a consensus rejection: {err}");
    // The first claim is fine.
    ledger
        .submit_to_miner(&c1.signed_success(&offerer_sig, &receiver(&c1)).unwrap())
        .unwrap();
    ledger.mine(1, None).unwrap();
    assert_eq!(
        ledger
            .utxos_for_script(&dest)
            .unwrap()
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum::<u64>(),
        20_000,
        "B took exactly the PTLC it had the scalar for"
    );
    assert!(
        ledger.output(&out2).unwrap().is_some(),
        "the twin is unspent"
    );

    // The old layout, for contrast: internal key Q in both, identical outputs, and the
    // completed signature spends the twin (what the measured attack did).
    let [success, timeout] = [
        scripts::ptlc_success_leaf(&params.server.ptlc, &params.client.ptlc),
        scripts::ptlc_timeout_leaf(&params.server.ptlc, expiry),
    ];
    let old_tree = TapTree::new(
        params.internal_key().unwrap(),
        &[scripts::leaf_hash(&success), scripts::leaf_hash(&timeout)],
    );
    let old_spk = old_tree.script_pubkey();
    let o1 = ledger.fund(&old_spk, first.amount).unwrap();
    let o2 = ledger.fund(&old_spk, twin.amount).unwrap();
    ledger.mine(1, None).unwrap();
    let spent = TxOut {
        value: first.amount,
        script_pubkey: old_spk,
    };
    let old_claim = |outpoint: OutPoint| Transaction {
        version: Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0xffff_fffd),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: first.amount,
            script_pubkey: dest.clone(),
        }],
    };
    let path = |kv| SpendPath::Tapscript {
        leaf_hash: scripts::leaf_hash(&success),
        key_version: kv,
        codesep_pos: u32::MAX,
    };
    let apo = bip118::signature_hash(
        &old_claim(o1),
        0,
        std::slice::from_ref(&spent),
        0x41,
        path(KeyVersion::AnyPrevout),
        None,
    )
    .unwrap();
    let old_pre = PreSignature::sign(server.ptlc, &apo, first.point, random32());
    let old_sig = old_pre.complete(t1, first.point).unwrap();
    let mut twin_claimed = 0;
    for outpoint in [o1, o2] {
        let mut tx = old_claim(outpoint);
        let digest = bip118::signature_hash(
            &tx,
            0,
            std::slice::from_ref(&spent),
            0,
            path(KeyVersion::Taproot),
            None,
        )
        .unwrap();
        let ours: musig2::LiftedSignature = musig2::sign_solo(client.ptlc, digest, random32());
        let mut offerer = old_sig.to_vec();
        offerer.push(0x41);
        tx.input[0].witness = Witness::from_slice(&[
            ours.serialize().to_vec(),
            offerer,
            success.to_bytes(),
            old_tree.control_block(0).serialize(),
        ]);
        if ledger.submit_to_miner(&tx).is_ok() {
            twin_claimed += 1;
        }
    }
    assert_eq!(
        twin_claimed, 2,
        "the old layout let one completed signature take both twins"
    );
}

/// Item 13: a state with two PTLCs for one payment point cannot be built (so not signed),
/// and the protocol layer refuses such a proposal.
#[test]
fn a_duplicate_ptlc_for_one_point_is_refused() {
    let client = PartySecrets::from_seed(41);
    let server = PartySecrets::from_seed(141);
    let params = common::params(&client, &server, 1_000_000, 6);
    let t = Scalar::try_from(random32()).unwrap();
    let ptlc = Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(20_000),
        point: t * G,
        expiry: 500,
    };
    let other_expiry = Ptlc {
        expiry: 600,
        ..ptlc.clone()
    };
    let state = ChannelState {
        number: 1,
        client: Amount::from_sat(0),
        server: Amount::from_sat(960_000),
        ptlcs: vec![ptlc.clone(), other_expiry],
    };
    assert!(matches!(
        StateTransactions::build(&params, &state),
        Err(EltooError::DuplicatePtlc(_))
    ));
    assert!(matches!(
        state.check(params.capacity),
        Err(EltooError::DuplicatePtlc(_))
    ));
    let single = ChannelState {
        server: Amount::from_sat(980_000),
        ptlcs: vec![ptlc],
        ..state
    };
    StateTransactions::build(&params, &single).unwrap();
}

/// An S that publishes a confirmation budget too small for the chain shortens the margins
/// B enforces a sold PTLC with: B's claim on chain could still wait in the mempool after
/// the expiry, where S's timeout claim replaces it, and S holds `t` (the payer's payment)
/// and the PTLC both. B sells only into a server whose budget reaches B's own floor, and
/// takes no inbound channel from one below it.
#[test]
fn b_sells_nothing_into_a_server_whose_budget_is_below_its_floor() {
    let story = Story::new(&[]); // S publishes a budget of 1 block
    let info = story.b.ok(&["wallet", "info"]);
    assert_eq!(
        info["min_confirmation_budget"], 1,
        "regtest's default: {info}"
    );
    let set = story.b.ok(&["wallet", "set-min-budget", "2"]);
    assert_eq!(
        (&set["previous"], &set["min_confirmation_budget"]),
        (&Value::from(1), &Value::from(2)),
        "{set}"
    );
    let below = |v: &Value| {
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("budget is 1 blocks, below this wallet's floor of 2"))
    };

    // No inbound channel from it: refused before anything is signed or funded.
    let refused = fails(
        &story.b,
        &["channel", "request-inbound", &story.server.url, "100000"],
        1,
    );
    assert!(below(&refused), "{refused}");
    let channels = story.b.ok(&["channel", "list"]);
    assert_eq!(
        channels["channels"].as_array().map(Vec::len),
        Some(1),
        "{channels}"
    );

    // A payment into the channel B already has is received, not sold: nothing of it is
    // B's yet, and the payer can take it back.
    let id = story.pay(10_000);
    let unsold = fails(&story.b, &["receive"], 1);
    assert!(below(&unsold), "{unsold}");
    assert_eq!(status(&story.b, &id), "received");
    assert_eq!(story.b_balances(), (0, 300_000));
    story.a.ok(&["payments", "cancel", &id]);
    story.a.ok(&["sync"]);
    assert_eq!(status(&story.a, &id), "cancelled");
    assert_eq!(story.a_balances(), (200_000, 0));

    // At a floor the server's budget reaches, B is paid as before.
    story.b.ok(&["wallet", "set-min-budget", "1"]);
    let second = story.pay(10_000);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &second), "paid");
    assert_eq!(story.b_balances(), (10_000, 290_000));

    // The floor is checked where it is set, too.
    let usage = fails(&story.b, &["wallet", "set-min-budget", "0"], 2);
    assert!(usage.to_string().contains("1..=144"), "{usage}");
}

/// Payee review, item 3: an attempt to sell that failed after B wrote S's budget of then
/// (4 blocks here) does not outlive it. S's budget is 1 block now, and its expiry is
/// computed with 1: planning the claim with 4 would find it "too late to claim" at once,
/// and B would give up a payment the expiry leaves ample time for.
#[test]
fn a_budget_from_a_failed_attempt_does_not_outlive_it() {
    use asyncpay::client::ClientPayment;
    let story = Story::new(&[]); // S publishes a budget of 1 block
    story.b.ok(&["wallet", "set-min-budget", "2"]);
    let id = story.pay(10_000);
    fails(&story.b, &["receive"], 1);
    assert_eq!(status(&story.b, &id), "received");
    // What an attempt under a budget of 4 would have left behind.
    let mut p: ClientPayment = common::procs::read_store(&story.b)
        .load_keyed(&id)
        .unwrap()
        .unwrap();
    p.confirmation_budget = Some(4);
    common::procs::plant(&story.b, &id, &p);
    story.b.ok(&["wallet", "set-min-budget", "1"]);
    story.b.ok(&["receive"]);
    assert_eq!(status(&story.b, &id), "paid");
    assert_eq!(story.b_balances(), (10_000, 290_000));
}
