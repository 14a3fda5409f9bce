//! The watcher under attack (ISSUE 9 items 4, 8 and the watcher part of 14), through the real
//! ledger and the real processes.
//!
//! - Update and settlement signatures are ALL|APOAS: they commit to no other input and not to
//!   the input index, so an attacker publishes an OLD update with fee inputs before and after
//!   the channel input. The watcher must find the channel input wherever it is, rebind the
//!   latest state over it, and the latest state must win to the satoshi.
//! - A spend of a channel output that is neither an update, a settlement nor a cooperative
//!   close is an alarm, never a close.
//! - S recognises the settlement of ANY B–S state holding a sold PTLC (not only the latest):
//!   it extracts `t` from B's claim and gets paid by A; a PTLC missing from the settled state
//!   refunds A.
//! - B, after sending `t` to S, goes on chain at once when S does not sign the claimed state.
//! - B's claim on chain, `t` in it, is not left to S's timeout claim: B outbids it in the
//!   mempool, up to what the PTLC is worth.
//! - The running S raises a visible alarm when its watcher keeps failing.
//! - An old update from deep in a long channel's history (a chunk stored apart from the
//!   channel's record) is rebound over with the chunk read from the store; without the chunk
//!   the watcher fails loudly instead of calling the update foreign.

mod common;

use asyncpay::eltoo::scripts::{self, TapTree};
use asyncpay::eltoo::{Party, StateTransactions};
use asyncpay::protocol::ChannelStatus;
use asyncpay::watch::{Alert, Broadcast, BroadcastKind, WatchOutcome};
use bitcoin::hashes::Hash;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::{Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness};
use common::duo::{fee_input, on_both, with_inputs, Harness, TestChain, CAPACITY, DELAY};

fn expect_broadcast(outcome: WatchOutcome) -> Broadcast {
    match outcome {
        WatchOutcome::Broadcast(b) => b,
        other => panic!("expected a broadcast, got {other:?}"),
    }
}

/// After S published `rebound` (its latest update) over the attacker's `attack_txid`: mines
/// until S's watcher publishes the settlement of the latest state, confirms it, and checks
/// both `to_node` outputs pay the latest balances exactly.
fn settle_latest(
    h: &mut Harness,
    chain: &mut dyn TestChain,
    rebound: bitcoin::Txid,
    attack_txid: bitcoin::Txid,
) {
    let latest = h.latest();
    for confs in 0..u32::from(DELAY) {
        assert_eq!(
            h.apply(Party::Server, chain),
            WatchOutcome::WaitingForDelay {
                update_txid: rebound,
                spends: OutPoint::new(attack_txid, 0),
                state: latest.number,
                confirmations: confs,
                blocks_left: u32::from(DELAY) - confs,
            }
        );
        chain.mine(1);
    }
    let b = expect_broadcast(h.apply(Party::Server, chain));
    assert_eq!(
        b.kind,
        BroadcastKind::Settlement {
            state: latest.number
        }
    );
    let txid = chain.submit(&b.tx).unwrap();
    chain.mine(1);
    assert_eq!(
        h.apply(Party::Server, chain),
        WatchOutcome::Settled {
            txid,
            spends: OutPoint::new(rebound, 0),
            state: latest.number,
            confirmations: 1
        }
    );
    assert_eq!(h.server.channel.status(), ChannelStatus::Closed);
    let params = h.server.channel.params().clone();
    for party in [Party::Client, Party::Server] {
        assert_eq!(
            chain.paid(&params.to_node_script(party)),
            latest.balance(party).to_sat(),
            "{party:?} is paid the latest state to the satoshi"
        );
    }
}

/// The client publishes its state-1 update (it had 980 000 sat then, 920 000 now) with
/// `before` fee inputs ahead of the channel input and `after` behind it.
fn old_update_with_fee_inputs(chain: &mut dyn TestChain, seed: u8, before: usize, after: usize) {
    let mut h = Harness::open(seed, chain);
    h.pay(4);
    assert_eq!(h.latest().balance(Party::Client).to_sat(), 920_000);
    let fees_before = (0..before).map(|_| fee_input(chain, 5_000)).collect();
    let fees_after = (0..after).map(|_| fee_input(chain, 7_000)).collect();
    let attack = with_inputs(&h.updates[&1], fees_before, fees_after);
    assert_eq!(attack.input[before].previous_output, h.funding);
    let attack_txid = chain
        .submit(&attack)
        .expect("ALL|APOAS commits to no other input: the old update stays valid");
    chain.mine(1);
    // The honest client too sees an old update, not a cooperative close.
    let b = expect_broadcast(h.apply(Party::Server, chain));
    assert_eq!(
        b.kind,
        BroadcastKind::Rebind {
            published: 1,
            latest: 4
        },
        "{before} fee input(s) before, {after} after"
    );
    assert_eq!(b.tx.input[0].previous_output, OutPoint::new(attack_txid, 0));
    assert_eq!(h.server.channel.status(), ChannelStatus::Closing);
    assert_eq!(
        expect_broadcast(h.apply(Party::Client, chain)).tx,
        b.tx,
        "the client rebinds the same latest update"
    );
    let rebound = chain.submit(&b.tx).unwrap();
    // The attacker's own backup now sees a newer state than its own: it cannot settle.
    let backup = h.backup(1);
    assert!(matches!(
        chain.watch(&backup).unwrap(),
        WatchOutcome::Alert(Alert::PublishedNewer {
            published: 4,
            latest: 1,
            ..
        })
    ));
    let old_settlement = backup.settlement_tx(OutPoint::new(attack_txid, 0)).unwrap();
    settle_latest(&mut h, chain, rebound, attack_txid);
    assert!(
        chain.submit(&old_settlement).is_err(),
        "the old state can no longer settle"
    );
}

#[test]
fn an_old_update_with_a_fee_input_first_is_rebound_and_the_latest_state_wins() {
    on_both(|chain| old_update_with_fee_inputs(chain, 1, 1, 0));
}

#[test]
fn an_old_update_with_fee_inputs_around_or_after_the_channel_input_is_rebound() {
    on_both(|chain| old_update_with_fee_inputs(chain, 2, 2, 1));
    on_both(|chain| old_update_with_fee_inputs(chain, 3, 0, 2));
}

/// The client publishes state 0, then rebinds its state-2 backup over it with a fee input
/// first: the watcher follows the spend chain through the reordered input and rebinds 4.
#[test]
fn an_old_update_rebound_over_an_older_one_with_a_fee_input_first_is_rebound_again() {
    on_both(|chain| {
        let mut h = Harness::open(4, chain);
        h.pay(4);
        let fee = fee_input(chain, 5_000);
        let u0 = h.updates[&0].clone();
        chain.submit(&u0).unwrap();
        chain.mine(1);
        let over = h
            .backup(2)
            .react_to_published_update(&u0, &[])
            .unwrap()
            .expect("state 2 rebinds over state 0");
        let attack = with_inputs(&over, vec![fee], vec![]);
        let attack_txid = chain.submit(&attack).unwrap();
        chain.mine(1);
        let b = expect_broadcast(h.apply(Party::Server, chain));
        assert_eq!(
            b.kind,
            BroadcastKind::Rebind {
                published: 2,
                latest: 4
            }
        );
        assert_eq!(b.tx.input[0].previous_output, OutPoint::new(attack_txid, 0));
        let rebound = chain.submit(&b.tx).unwrap();
        settle_latest(&mut h, chain, rebound, attack_txid);
    });
}

/// Both channel keys sign a key-path spend of the published update output: no update, no
/// settlement, no cooperative close. Both watchers raise an alarm and never call the channel
/// closed.
#[test]
fn an_unknown_spend_of_an_update_output_is_an_alarm_not_a_close() {
    on_both(|chain| {
        let mut h = Harness::open(5, chain);
        h.pay(2);
        let update = h.updates[&2].clone();
        let update_txid = chain.submit(&update).unwrap();
        chain.mine(1);
        let params = h.client.channel.params().clone();
        let txs = StateTransactions::build(&params, &h.latest()).unwrap();
        let tree = TapTree::new(
            params.internal_key().unwrap(),
            &[
                scripts::leaf_hash(&scripts::update_leaf(3)),
                txs.settle_leaf_hash(),
            ],
        );
        let spent = TxOut {
            value: Amount::from_sat(CAPACITY),
            script_pubkey: tree.script_pubkey(),
        };
        assert_eq!(update.output[0], spent);
        let mut spend = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(update_txid, 0),
                script_sig: bitcoin::ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(CAPACITY),
                script_pubkey: params.to_node_script(Party::Client),
            }],
        };
        let digest = SighashCache::new(&spend)
            .taproot_key_spend_signature_hash(0, &Prevouts::All(&[spent]), TapSighashType::Default)
            .unwrap();
        let mut keys = [
            (
                h.client.secrets.funding.base_point_mul(),
                h.client.secrets.funding,
            ),
            (
                h.server.secrets.funding.base_point_mul(),
                h.server.secrets.funding,
            ),
        ];
        keys.sort_by_key(|(p, _)| p.serialize());
        let ctx = musig2::KeyAggContext::new(keys.map(|(p, _)| p))
            .unwrap()
            .with_taproot_tweak(&tree.merkle_root().to_byte_array())
            .unwrap();
        let secret: secp::Scalar = ctx.aggregated_seckey(keys.map(|(_, s)| s)).unwrap();
        let sig: musig2::LiftedSignature =
            musig2::sign_solo(secret, digest.to_byte_array(), [7u8; 32]);
        spend.input[0].witness = Witness::from_slice(&[sig.serialize()]);
        let spend_txid = chain.submit(&spend).unwrap();
        for _ in 0..3 {
            chain.mine(1);
            for party in [Party::Client, Party::Server] {
                match h.apply(party, chain) {
                    WatchOutcome::Alert(Alert::UnknownSpend { txid, spent, .. }) => {
                        assert_eq!(txid, spend_txid);
                        assert_eq!(spent, OutPoint::new(update_txid, 0));
                    }
                    other => panic!("{party:?}: expected an alarm, got {other:?}"),
                }
                assert_eq!(h.node(party).channel.status(), ChannelStatus::Closing);
            }
        }
        let alarm = chain.watch(&h.server.channel).unwrap();
        let WatchOutcome::Alert(a) = alarm else {
            panic!()
        };
        assert!(a.to_string().contains("not closed"), "{a}");
    });
}

// ----- the real processes -----

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::procs::{channel_id, eventually, fund, to_node, value_at, Env, Server, Wallet};
use common::story::{fails, server_init, server_init_with, B_FEE_RESERVE};
use serde_json::Value;

/// A TCP proxy in front of S for B: it forwards every request (one per connection: it asks S
/// for `Connection: close`) and, once `stall` is set, forwards `POST /v1/payments/claim` to
/// S but never answers it. S receives `t` and B hears nothing: S took `t` and stalls.
struct StallingProxy {
    url: String,
    stall: Arc<AtomicBool>,
    stalled: Arc<AtomicUsize>,
    /// Every `POST /v1/payments/claim` B sent (stalled or not): each carries `t`.
    claims: Arc<AtomicUsize>,
    /// Keeps every `POST /v1/channels/close/sign` (a client's partial signature of a
    /// cooperative close) from S, and answers nothing: what a server that holds on to it
    /// sees.
    keep_close_signatures: Arc<AtomicBool>,
    /// Forwards `POST /v1/channels/close/sign` and hands the client S's close with another
    /// signature in its witness (the same txid): a close the client never signed.
    tamper_close: Arc<AtomicBool>,
    /// Answers, forwarding nothing, every `POST /v1/payments/cancel` with `200` and this
    /// payment view saying "cancelled", and every `GET /v1/payments/ID` with it saying
    /// "pending": a server that hides what it holds.
    fake_cancel: Arc<std::sync::Mutex<Option<serde_json::Value>>>,
}

fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).ok()?;
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "the proxy reads bodies by length"
    );
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).ok()?;
    // One request per connection to S.
    let mut lines: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut request = lines.join("\r\n").into_bytes();
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(&body);
    Some((head, request))
}

fn proxy(upstream: String) -> StallingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stall = Arc::new(AtomicBool::new(false));
    let stalled = Arc::new(AtomicUsize::new(0));
    let claims = Arc::new(AtomicUsize::new(0));
    let keep_close_signatures = Arc::new(AtomicBool::new(false));
    let tamper_close = Arc::new(AtomicBool::new(false));
    let fake_cancel = Arc::new(std::sync::Mutex::new(None::<serde_json::Value>));
    let (st, sd, cl, kc, tc, fc) = (
        stall.clone(),
        stalled.clone(),
        claims.clone(),
        keep_close_signatures.clone(),
        tamper_close.clone(),
        fake_cancel.clone(),
    );
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (upstream, st, sd, cl, kc, tc, fc) = (
                upstream.clone(),
                st.clone(),
                sd.clone(),
                cl.clone(),
                kc.clone(),
                tc.clone(),
                fc.clone(),
            );
            std::thread::spawn(move || {
                let Some((head, request)) = read_request(&mut conn) else {
                    return;
                };
                if head.starts_with("POST /v1/payments/claim ") {
                    cl.fetch_add(1, Ordering::SeqCst);
                }
                if kc.load(Ordering::SeqCst) && head.starts_with("POST /v1/channels/close/sign ") {
                    return;
                }
                let lie = fc.lock().unwrap().clone();
                if head.starts_with("POST /v1/payments/cancel ")
                    && lie.is_some_and(|v| v["unknown"] == true)
                {
                    let body =
                        r#"{"error":{"code":"unknown_payment","message":"no such payment"}}"#;
                    let _ = write!(
                        conn,
                        "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    return;
                }
                let status = if head.starts_with("POST /v1/payments/cancel ") {
                    Some("cancelled")
                } else if head.starts_with("GET /v1/payments/") {
                    Some("pending")
                } else {
                    None
                };
                if let (Some(status), Some(mut view)) = (status, fc.lock().unwrap().clone()) {
                    view["status"] = status.into();
                    let body = view.to_string();
                    {
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        return;
                    }
                }
                let Ok(mut up) = TcpStream::connect(&upstream) else {
                    return;
                };
                let _ = up.write_all(&request);
                let mut response = Vec::new();
                let _ = up.read_to_end(&mut response);
                if st.load(Ordering::SeqCst) && head.starts_with("POST /v1/payments/claim ") {
                    sd.fetch_add(1, Ordering::SeqCst);
                    return; // S has the scalar; B gets nothing
                }
                if tc.load(Ordering::SeqCst) && head.starts_with("POST /v1/channels/close/sign ") {
                    response = tampered_close(&response);
                }
                let _ = conn.write_all(&response);
            });
        }
    });
    StallingProxy {
        url,
        stall,
        stalled,
        claims,
        keep_close_signatures,
        tamper_close,
        fake_cancel,
    }
}

/// S's answer to `close/sign` with one byte of the close's signature changed: the same
/// transaction id (the witness is not part of it), another transaction.
fn tampered_close(response: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(response.to_vec()).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let mut done: Value = serde_json::from_str(body).unwrap();
    let mut tx: Transaction =
        bitcoin::consensus::encode::deserialize_hex(done["tx_hex"].as_str().unwrap()).unwrap();
    let mut signature = tx.input[0].witness.nth(0).unwrap().to_vec();
    signature[10] ^= 1;
    tx.input[0].witness = Witness::from_slice(&[signature]);
    done["tx_hex"] = bitcoin::consensus::encode::serialize_hex(&tx).into();
    let body = done.to_string();
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// S (fee 1000 ppm, `shared_delay` 6), A with a 200 000 sat channel, B with 300 000 sat of
/// inbound capacity whose channel (and payment address) goes through `b_server` (S's URL
/// when `None`).
struct World {
    env: Env,
    s: Wallet,
    server: Server,
    a: Wallet,
    b: Wallet,
    a_channel: String,
    b_channel: String,
    address: String,
    /// S's `to_node` scripts of its channels with A (0) and B (1).
    s_to_node: Vec<bitcoin::ScriptBuf>,
    /// An address of S's wallet, taken before `server run` held its data dir.
    s_spare: String,
    /// What [`sell`] pays.
    pay_sat: u64,
}

/// The amounts of a [`World`], in sat.
#[derive(Clone, Copy)]
struct Sizes {
    a_channel: u64,
    b_inbound: u64,
    /// B's coins besides its channel, for the fees of its force close and claims.
    b_fees: u64,
    /// What each payment [`sell`] makes pays.
    pay: u64,
}

const SIZES: Sizes = Sizes {
    a_channel: 200_000,
    b_inbound: 300_000,
    b_fees: B_FEE_RESERVE,
    pay: 10_000,
};

fn world(b_server: impl FnOnce(&Server) -> Option<String>) -> (World, Option<String>) {
    world_with(|s| server_init(s, None), b_server)
}

/// [`world`] with S initialised by `init`.
fn world_with(
    init: impl FnOnce(&Wallet),
    b_server: impl FnOnce(&Server) -> Option<String>,
) -> (World, Option<String>) {
    world_sized(SIZES, init, b_server)
}

/// [`world_with`] with the amounts `sizes`.
fn world_sized(
    sizes: Sizes,
    init: impl FnOnce(&Wallet),
    b_server: impl FnOnce(&Server) -> Option<String>,
) -> (World, Option<String>) {
    let env = Env::new();
    let s = env.wallet("s");
    init(&s);
    fund(&s, &env, sizes.b_inbound + 700_000);
    let s_spare = s.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start(&s);
    let b = env.wallet("b");
    fund(&b, &env, sizes.b_fees);
    let via = b_server(&server);
    let b_url = via.clone().unwrap_or_else(|| server.url.clone());
    // A pays through the same URL as B's address names (payments stay on one server).
    let a = env.wallet("a");
    fund(&a, &env, sizes.a_channel + 300_000);
    let a_channel = channel_id(&a.ok(&["channel", "open", &b_url, &sizes.a_channel.to_string()]));
    let b_channel = channel_id(&b.ok(&[
        "channel",
        "request-inbound",
        &b_url,
        &sizes.b_inbound.to_string(),
    ]));
    env.mine(1);
    // S's payout scripts, revealed at open (read without the lock `server run` holds).
    let s_to_node = (0..2).map(|i| to_node(&s, i)).collect();
    let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();
    (
        World {
            env,
            s,
            server,
            a,
            b,
            a_channel,
            b_channel,
            address,
            s_to_node,
            s_spare,
            pay_sat: sizes.pay,
        },
        via,
    )
}

fn balances(w: &Wallet, id: &str) -> (u64, u64) {
    let v = w.ok(&["channel", "show", id]);
    (
        v["client_sat"].as_u64().unwrap(),
        v["server_sat"].as_u64().unwrap(),
    )
}

fn height(env: &Env) -> u32 {
    env.ledger().tip().unwrap().height
}

/// Item 8: B sends `t` with its claim; S takes it (and completes A's payment) but never
/// signs the claimed state. B does not wait for the PTLC's expiry, nor for a later run of
/// its own: the same `claim` retries for a few seconds (a restarting S), then closes the
/// channel, and B is paid on chain. Everyone ends right to the satoshi.
#[test]
fn b_goes_on_chain_at_once_when_s_takes_t_and_stalls() {
    let mut stall = None;
    let (w, _) = world(|server| {
        let p = proxy(server.url.trim_start_matches("http://").to_owned());
        let url = p.url.clone();
        stall = Some(p);
        Some(url)
    });
    let p = stall.unwrap();
    let (a, b) = (&w.a, &w.b);
    let pid = a.ok(&["pay", &w.address, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sold = b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let sold_at = height(&w.env);

    p.stall.store(true, Ordering::SeqCst);
    // `claim` reports the payment it could not finish (exit 1) with the reason.
    let e = fails(b, &["claim", &pid], 1);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("did not sign the claimed state"), "{e}");
    assert!(message.contains("force-closed"), "{e}");
    assert!(
        p.stalled.load(Ordering::SeqCst) >= 2,
        "S got the claim with t, and B retried it before closing"
    );
    // At once: no block was mined since the sale, the PTLC expiry (at least 2·6 + 6 blocks
    // after the sale) is far, and B's update is already published.
    assert_eq!(height(&w.env), sold_at);
    assert_eq!(
        b.ok(&["channel", "show", &w.b_channel])["status"],
        "closing"
    );
    let mempool = w.env.ledger().mempool().unwrap();
    assert_eq!(mempool.len(), 2, "B's update is published: {mempool:?}");
    let anchor = mempool[0]
        .output
        .iter()
        .position(|o| o.script_pubkey == bitcoin::ScriptBuf::new_p2a())
        .unwrap();
    let anchor = OutPoint::new(mempool[0].compute_txid(), anchor as u32);
    assert!(
        mempool[1].input.iter().any(|i| i.previous_output == anchor),
        "the update first, then the fee child spending its anchor: {mempool:?}"
    );
    // S did take t: A's payment is paid at S.
    eventually("A to see its payment paid", || {
        a.cmd(&["sync"]).output().unwrap().status.success()
            && a.ok(&["payments", "show", &pid])["status"] == "paid"
    });
    assert_eq!(balances(a, &w.a_channel), (189_990, 10_010));

    // B claims the PTLC on chain as soon as the settlement confirms.
    let mut paid = false;
    for _ in 0..30 {
        w.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(250));
        let out = b.cmd(&["claim", &pid]).output().unwrap();
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            if v["payments"][0]["status"] == "paid" {
                paid = true;
                break;
            }
        }
    }
    assert!(paid, "B is paid on chain");
    assert!(
        height(&w.env) < sold_at + 2 * 6 + 6,
        "paid before the PTLC could even expire"
    );
    assert_eq!(value_at(&w.env, &to_node(b, 0)), 10_000);
    eventually("S to settle the B–S channel", || {
        w.env.mine(1);
        value_at(&w.env, &to_node(b, 0)) == 10_000 && w.env.ledger().mempool().unwrap().is_empty()
    });
    assert_eq!(value_at(&w.env, &w.s_to_node[1]), 290_000);
}

// ----- B reveals `t` only while it could still enforce the PTLC on chain -----

/// S with confirmation budget `C = 4`: B–S delay 6, A–S delay 40 (≥ 6 + 5·4 + 4). S offers
/// `E = h + 6 + 3·4 − 1 + 6 = h + 23`; B needs `6 + 3·4 − 1 = 17` blocks to enforce on chain
/// and stops revealing `t` off-chain `17 + 2 = 19` blocks before `E` (at tip `h + 4`; the
/// old rule, `delay + 6 = 12`, ignored `C` and revealed up to tip `h + 10`). S, unclaimed,
/// force-closes B–S `6 + max(2·4 − 1, 6) = 13` blocks before `E` (tip `h + 10`).
const BUDGET: u16 = 4;

fn budget_world() -> (World, StallingProxy) {
    let mut stall = None;
    let (w, _) = world_with(
        |s| {
            s.ok(&[
                "server",
                "init",
                "--shared-delay",
                "40",
                "--min-shared-delay",
                "5",
                "--inbound-shared-delay",
                "6",
                "--confirmation-budget",
                &BUDGET.to_string(),
                "--min-confirmations",
                "1",
                "--inbound",
                "anyone",
            ]);
        },
        |server| {
            let p = proxy(server.url.trim_start_matches("http://").to_owned());
            let url = p.url.clone();
            stall = Some(p);
            Some(url)
        },
    );
    (w, stall.unwrap())
}

/// Pays 10 000 sat from A to B and has B sell it (`receive --no-claim`) in [`budget_world`];
/// returns the payment id and the PTLC's expiry height (S's `E_min` at the sale's tip).
fn sell_one(w: &World) -> (String, u32) {
    sell(w, BUDGET)
}

/// [`sell_one`] with S's confirmation budget `budget`.
fn sell(w: &World, budget: u16) -> (String, u32) {
    let pid = w.a.ok(&["pay", &w.address, &w.pay_sat.to_string()])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sold = w.b.ok(&["receive", "--no-claim"]);
    assert_eq!(sold["payments"][0]["status"], "sold", "{sold}");
    let expiry = asyncpay::payment::sale::offered_ptlc_expiry(height(&w.env), 6, budget);
    (pid, expiry)
}

fn mine_to(w: &World, tip: u32) {
    while height(&w.env) < tip {
        w.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// B's `claim` of `pid` sends S nothing (its error says `says`) and force-closes B–S; S
/// cannot complete A's payment; then B claims the PTLC on chain as soon as the settlement
/// confirms, by the expiry, still never sending `t` off-chain.
fn b_goes_on_chain_without_revealing(
    w: &World,
    p: &StallingProxy,
    pid: &str,
    expiry: u32,
    says: &str,
) {
    let (a, b) = (&w.a, &w.b);
    let e = fails(b, &["claim", pid], 1);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains(says), "{e}");
    assert!(message.contains("force-closed"), "{e}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 0, "t never went to S");
    assert_eq!(
        b.ok(&["channel", "show", &w.b_channel])["status"],
        "closing"
    );
    assert_eq!(
        a.ok(&["payments", "show", pid])["status"],
        "pending",
        "S cannot complete A's payment without t"
    );
    let mut paid = false;
    for _ in 0..40 {
        w.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(250));
        let out = b.cmd(&["claim", pid]).output().unwrap();
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            if v["payments"][0]["status"] == "paid" {
                paid = true;
                break;
            }
        }
    }
    assert!(paid, "B is paid on chain");
    assert!(height(&w.env) <= expiry, "B's claim confirmed by E");
    assert_eq!(
        p.claims.load(Ordering::SeqCst),
        0,
        "t never went to S off-chain"
    );
    assert_eq!(value_at(&w.env, &to_node(b, 0)), 10_000);
}

/// Attacker review item 3 (with item 4): B comes online when off-chain there is no longer
/// time to enforce the PTLC on chain should S take `t` and not sign (S stalls every claim).
/// B sends S nothing: it force-closes B–S at once and claims on chain, revealing `t` only
/// there, by the expiry. S learns `t` from B's claim and is paid by A. Everyone ends right
/// to the satoshi.
#[test]
fn b_near_the_expiry_goes_on_chain_without_revealing_t() {
    let (w, p) = budget_world();
    let (a, b) = (&w.a, &w.b);
    let (pid, expiry) = sell_one(&w);
    p.stall.store(true, Ordering::SeqCst);
    let close_margin = asyncpay::payment::sale::payee_close_margin(6, BUDGET);
    assert_eq!(close_margin, 19);
    // The first tip at which B must not reveal `t` off-chain (the old rule still did).
    let first = expiry - close_margin;
    assert!(
        first + 6 + 6 < expiry,
        "the old threshold would reveal here"
    );
    mine_to(&w, first);
    assert_eq!(
        b.ok(&["channel", "show", &w.b_channel])["status"],
        "open",
        "S did not close B–S yet"
    );

    b_goes_on_chain_without_revealing(&w, &p, &pid, expiry, "too near to reveal");
    // S extracts t from B's claim and completes A's payment.
    eventually("A to see its payment paid", || {
        a.cmd(&["sync"]).output().unwrap().status.success()
            && a.ok(&["payments", "show", &pid])["status"] == "paid"
    });
    assert_eq!(balances(a, &w.a_channel), (189_990, 10_010));
    eventually("S's B–S output", || {
        w.env.mine(1);
        value_at(&w.env, &w.s_to_node[1]) == 290_000 && w.env.ledger().mempool().unwrap().is_empty()
    });
    assert_eq!(value_at(&w.env, &to_node(b, 0)), 10_000);
}

/// Attacker review item 3: B comes online when even going on chain could not claim the
/// PTLC before S may take it back by timeout. B reveals `t` to no one (not off-chain, not
/// on chain), closes nothing and says so; giving the PTLC back refunds A at once. Balances
/// to the satoshi.
#[test]
fn b_too_late_to_enforce_reveals_nothing() {
    let (w, p) = budget_world();
    let (a, b) = (&w.a, &w.b);
    let (pid, expiry) = sell_one(&w);
    p.stall.store(true, Ordering::SeqCst);
    let enforce = asyncpay::payment::sale::payee_enforce_blocks(6, BUDGET);
    assert_eq!(enforce, 17);
    // One block past the last tip from which B could enforce on chain; S has not closed yet.
    let too_late = expiry - enforce + 1;
    assert!(too_late < expiry - asyncpay::payment::sale::server_close_margin(6, BUDGET));
    mine_to(&w, too_late);

    let e = fails(b, &["claim", &pid], 1);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("too late to claim"), "{e}");
    assert!(message.contains("not revealed"), "{e}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 0, "t never went to S");
    assert_eq!(b.ok(&["channel", "show", &w.b_channel])["status"], "open");
    assert!(
        w.env.ledger().mempool().unwrap().is_empty(),
        "nothing published"
    );
    assert_eq!(b.ok(&["payments", "show", &pid])["status"], "sold");
    assert_eq!(balances(b, &w.b_channel), (0, 290_000));
    // A second try reveals nothing either.
    fails(b, &["claim", &pid], 1);
    assert_eq!(p.claims.load(Ordering::SeqCst), 0, "t never went to S");

    // B gives the PTLC back: A is refunded, both channels stay open.
    let v = b.ok(&["payments", "cancel", &pid]);
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(balances(b, &w.b_channel), (0, 300_000));
    a.ok(&["sync"]);
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "cancelled");
    assert_eq!(balances(a, &w.a_channel), (200_000, 0));
    assert_eq!(p.claims.load(Ordering::SeqCst), 0, "t never went to S");
}

/// B's claim writes `t` as revealed with its proposal, before the send; B is killed between
/// the two (`claim-proposed`), so `t` never left. Giving the PTLC back is refused from then
/// on (S may hold `t`). B comes back at the first tip within `payee_close_margin` of the
/// expiry, where a first reveal is refused. Sending `t` now could hand it to S for the
/// first time, and S could complete A's payment and take the PTLC back by its timeout:
/// B sends S nothing, force-closes B–S and claims on chain. (Before, the earlier write made
/// B skip the timing checks and send `t` off-chain, even past `payee_enforce_blocks`.)
#[test]
fn b_killed_before_its_claim_left_never_sends_t_off_chain_near_the_expiry() {
    let (w, p) = budget_world();
    let b = &w.b;
    let (pid, expiry) = sell_one(&w);
    let out = b
        .cmd(&["claim", &pid])
        .env("ASYNCPAY_TEST_CRASH_AT", "claim-proposed")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 0, "t never left");
    let e = fails(b, &["payments", "cancel", &pid], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be given back"),
        "{e}"
    );
    assert_eq!(balances(b, &w.b_channel), (0, 290_000));
    p.stall.store(true, Ordering::SeqCst);
    mine_to(
        &w,
        expiry - asyncpay::payment::sale::payee_close_margin(6, BUDGET),
    );
    assert_eq!(b.ok(&["channel", "show", &w.b_channel])["status"], "open");

    b_goes_on_chain_without_revealing(&w, &p, &pid, expiry, "too near to send the payment scalar");
}

/// B sends `t` one block before the close margin; S takes it and does not sign (S stalls
/// every claim). A block comes while B retries: from then on B sends `t` no more, and
/// force-closes at once instead of retrying for the rest of its 15 seconds.
#[test]
fn b_stops_resending_t_when_a_block_brings_the_expiry_near() {
    let (w, p) = budget_world();
    let b = &w.b;
    let (pid, expiry) = sell_one(&w);
    p.stall.store(true, Ordering::SeqCst);
    mine_to(
        &w,
        expiry - asyncpay::payment::sale::payee_close_margin(6, BUDGET) - 1,
    );
    let e = std::thread::scope(|scope| {
        let claim = scope.spawn(|| fails(b, &["claim", &pid], 1));
        while p.claims.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        w.env.mine(1);
        claim.join().unwrap()
    });
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("force-closed"), "{e}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 1, "t was sent once: {e}");
    assert_eq!(
        b.ok(&["channel", "show", &w.b_channel])["status"],
        "closing"
    );
}

/// As above, but B was killed after S accepted the claim (so S holds `t`) and B signed the
/// claimed state, before its signature left (`update-signed`). Too late to send `t` again,
/// B still completes the claim it had signed: only its signature goes to S, and B is paid
/// off-chain, the channel open.
#[test]
fn b_killed_after_signing_its_claim_completes_it_too_late() {
    let (w, p) = budget_world();
    let (a, b) = (&w.a, &w.b);
    let (pid, expiry) = sell_one(&w);
    let out = b
        .cmd(&["claim", &pid])
        .env("ASYNCPAY_TEST_CRASH_AT", "update-signed")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 1);
    let enforce = asyncpay::payment::sale::payee_enforce_blocks(6, BUDGET);
    mine_to(&w, expiry - enforce + 1);

    let v = b.ok(&["claim", &pid]);
    assert_eq!(v["payments"][0]["status"], "paid", "{v}");
    assert_eq!(p.claims.load(Ordering::SeqCst), 1, "t was not sent again");
    assert_eq!(b.ok(&["channel", "show", &w.b_channel])["status"], "open");
    assert_eq!(balances(b, &w.b_channel), (10_000, 290_000));
    a.ok(&["sync"]);
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "paid");
}

/// A's partial signature of a cooperative close reaches S (S may complete that close at
/// any time: it pays the balances of today), and S answers nothing. A must carry no new
/// state on that channel: it is written closing before the partial leaves, and A
/// force-closes with its latest update (the same balances) at once. Before, the channel
/// stayed open, and S could later publish the held close over payments made since.
#[test]
fn a_close_signature_s_holds_on_to_ends_the_channel() {
    let (w, p) = budget_world();
    let a = &w.a;
    p.keep_close_signatures.store(true, Ordering::SeqCst);
    let e = fails(a, &["channel", "close", &w.a_channel], 5);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("may hold our signature"), "{e}");
    assert!(message.contains("force-closed"), "{e}");
    assert_eq!(
        a.ok(&["channel", "show", &w.a_channel])["status"],
        "closing"
    );
    assert_eq!(
        w.env.ledger().mempool().unwrap().len(),
        2,
        "A's update and its fee child"
    );
    // Nothing new goes over it.
    let e = fails(a, &["pay", &w.address, "10000"], 1);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("channel"),
        "{e}"
    );
}

/// S answers A's cooperative close with a transaction that is not the close A signed (its
/// signature changed, its txid the same): A refuses it and keeps nothing of it. When the
/// node then loses S's real close (S down), A's next look force-closes with its latest
/// update; it publishes nothing S handed it.
#[test]
fn a_close_that_is_not_the_one_signed_is_refused_and_never_published_again() {
    let (mut w, p) = budget_world();
    p.tamper_close.store(true, Ordering::SeqCst);
    let a = &w.a.clone();
    let e = fails(a, &["channel", "close", &w.a_channel], 5);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("is not the close we signed"), "{e}");
    let mempool = w.env.ledger().mempool().unwrap();
    assert_eq!(mempool.len(), 1, "S's real close");
    let close = mempool[0].compute_txid();
    // S down (S would publish its close again itself), and the node loses the close.
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    assert_eq!(w.env.ledger().expire(&close).unwrap(), vec![close]);
    let _ = a.cmd(&["channel", "show", &w.a_channel]).output().unwrap();
    let mempool = w.env.ledger().mempool().unwrap();
    assert!(
        !mempool.is_empty() && mempool.iter().all(|t| t.compute_txid() != close),
        "A's update and its fee child, not the close"
    );
}

/// A's channel is closing after B sold and claimed A's payment (so S holds `s_A` and the
/// completed `n+1`), and S hides it: it shows the payment pending, and would answer a
/// cancel with "cancelled". Before, A asked and wrote the payment cancelled, final, while S
/// settled `n+1` on chain: A paid and showed no proof. Now the chain decides on a closing
/// channel, not S: the payment stays pending (exit 5) until a state settles, and it ends
/// paid, with B's invoice, once S delivers it.
#[test]
fn a_cancel_s_agrees_to_on_a_closing_channel_waits_for_the_chain() {
    let (w, p) = budget_world();
    let (a, b) = (&w.a, &w.b);
    let (pid, _) = sell_one(&w);
    assert_eq!(b.ok(&["claim", &pid])["payments"][0]["status"], "paid");
    fails(
        a,
        &["channel", "close", &w.a_channel, "--force", "--no-wait"],
        5,
    );
    *p.fake_cancel.lock().unwrap() = Some(lying_view(&w, &pid));
    let e = fails(a, &["payments", "cancel", &pid], 5);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled once an earlier state settles"),
        "{e}"
    );
    assert_eq!(a.ok(&["payments", "show", &pid])["status"], "pending");
    *p.fake_cancel.lock().unwrap() = None;
    a_ends_paid_with_the_invoice(&w, &pid);
}

/// The view of payment `pid` (10,000 sat from A to B, state 1) that S's stand-in in
/// [`StallingProxy::fake_cancel`] answers with, its status set by the proxy.
fn lying_view(w: &World, pid: &str) -> serde_json::Value {
    let node = |w: &common::procs::Wallet| w.ok(&["wallet", "info"])["node_id"].clone();
    serde_json::json!({
        "payment_id": pid,
        "expired": false,
        "payer": node(&w.a),
        "payee": node(&w.b),
        "amount_sat": 10_000,
        "fee_sat": 10,
        "expiry": 0,
        "state_number": 1,
        "sale_queued": false,
    })
}

/// A's channel closed on chain after S completed `n+1`: A's `sync`, a block at a time,
/// ends with the payment paid and B's invoice as its proof.
fn a_ends_paid_with_the_invoice(w: &World, pid: &str) {
    eventually("A to see its payment paid", || {
        w.env.mine(1);
        w.a.cmd(&["sync"]).output().unwrap().status.success()
            && w.a.ok(&["payments", "show", pid])["status"] == "paid"
    });
    let shown = w.a.ok(&["payments", "show", pid]);
    assert!(shown["invoice"].is_object(), "{shown}");
}

/// Attacker review of the payer's side: S, holding the completed `n+1` once B sold and
/// claimed A's payment, agrees to A's cancel (A then supersedes its signed `n+1`), and at
/// A's next try says it does not know the payment. Before, A took that for "S never
/// recorded it, nothing was signed" and wrote the payment cancelled, final: A had paid,
/// showed it cancelled with no proof, and might pay again. Now A keeps it not cancelled and
/// says why; closed on chain, the payment ends paid, with B's invoice.
#[test]
fn a_payer_does_not_take_a_cancel_for_done_when_s_forgets_a_payment_it_accepted() {
    let (w, p) = budget_world();
    let (a, b) = (&w.a, &w.b);
    let (pid, _) = sell_one(&w);
    assert_eq!(b.ok(&["claim", &pid])["payments"][0]["status"], "paid");
    let mut view = lying_view(&w, &pid);
    *p.fake_cancel.lock().unwrap() = Some(view.clone());
    let _ = a.cmd(&["payments", "cancel", &pid]).output().unwrap();
    view["unknown"] = true.into();
    *p.fake_cancel.lock().unwrap() = Some(view);
    for args in [&["payments", "cancel", &pid][..], &["sync"]] {
        let _ = a.cmd(args).output().unwrap();
        let shown = a.ok(&["payments", "show", &pid]);
        assert_ne!(shown["status"], "cancelled", "{shown}");
    }
    let e = fails(a, &["payments", "cancel", &pid], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lost its records or lies"),
        "{e}"
    );
    // A closes; the chain decides: S's n+1 settles, and A is shown paid with B's invoice.
    *p.fake_cancel.lock().unwrap() = None;
    let _ = a
        .cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
        .output()
        .unwrap();
    a_ends_paid_with_the_invoice(&w, &pid);
}

/// Item 14 (watcher part): when the watcher cannot read the chain pass after pass, S logs an
/// ALARM and `GET /v1/info` shows it; once the chain is readable again the status is `ok`.
#[test]
fn a_failing_watcher_raises_a_visible_alarm_and_recovers() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    // S's wallet is locked while it runs.
    let keys = common::story::keys_of(&s);
    let log = env.root.path().join("s.log");
    let mut c = s.cmd(&[
        "server",
        "run",
        "--listen",
        "127.0.0.1:0",
        "--watch-interval-ms",
        "100",
    ]);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let doc: Value = serde_json::from_str(&line).unwrap();
    let server = Server {
        child,
        url: doc["url"].as_str().unwrap().to_owned(),
    };
    let client = asyncpay::net::client::Client::new(&server.url, keys.node_secret(), None).unwrap();
    let watcher = || -> Value { client.get::<Value>("/v1/info").unwrap()["watcher"].clone() };
    eventually("a first pass", || watcher()["status"] == "ok");

    // The chain becomes unreadable (as with no descriptors left, or a broken ledger): a
    // file takes the ledger directory's place.
    let chain_dir = env.ledger().dir().to_path_buf();
    let moved = chain_dir.with_file_name("chain.moved");
    std::fs::rename(&chain_dir, &moved).unwrap();
    std::fs::write(&chain_dir, b"not a ledger").unwrap();
    eventually("the alarm", || watcher()["status"] == "alarm");
    let w = watcher();
    assert!(w["consecutive_failures"].as_u64().unwrap() >= 3, "{w}");
    assert!(
        w["last_error"]
            .as_str()
            .unwrap()
            .contains("reading the chain failed"),
        "{w}"
    );
    assert!(w["failing_since"].as_u64().is_some(), "{w}");
    eventually("the ALARM line in S's log", || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("ALARM: the chain watcher failed")
    });

    std::fs::remove_file(&chain_dir).unwrap();
    std::fs::rename(&moved, &chain_dir).unwrap();
    eventually("the recovery", || watcher()["status"] == "ok");
    assert_eq!(watcher()["consecutive_failures"], 0);
    eventually("the recovery line", || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("watcher: recovered")
    });
    drop(server);
}

/// A copy of `w`'s data dir as it is now (an old backup), as a wallet of its own.
fn backup(w: &Wallet, name: &str) -> Wallet {
    let dir = w.dir.with_file_name(name);
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(&w.dir)
        .arg(&dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a");
    Wallet {
        dir,
        chain: w.chain.clone(),
        pass: w.pass.clone(),
    }
}

/// Item 4, `watch_sold`: B holds two sold PTLCs (B–S state 2) and publishes the B–S state 1
/// of an old backup, which holds only the first, while S is down; it settles, and B claims
/// the first PTLC on chain with `t1`. S, back, must recognise that settlement of a
/// non-latest state: extract `t1` from B's claim and collect A's payment; and refund the
/// second payer, whose PTLC is in no settled state.
#[test]
fn s_recognises_the_settlement_of_an_older_b_s_state_and_is_paid() {
    let (mut w, _) = world(|_| None);
    let port = w.server.port();
    let (a, b) = (w.a.clone(), w.b.clone());
    let c = w.env.wallet("c");
    fund(&c, &w.env, 500_000);
    let c_channel = channel_id(&c.ok(&["channel", "open", &w.server.url, "200000"]));
    // Two payments sold at once: S needs a second confirmed coin (a block mined).
    common::procs::fund_address(&w.env, &w.s_spare, 100_000);

    let p1 = a.ok(&["pay", &w.address, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        b.ok(&["receive", "--no-claim"])["payments"][0]["status"],
        "sold"
    );
    let old = backup(&b, "b-old");
    let p2 = c.ok(&["pay", &w.address, "20000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        b.ok(&["receive", "--no-claim"])["payments"][0]["status"],
        "sold"
    );
    assert_eq!(b.ok(&["channel", "show", &w.b_channel])["state"], 2);
    assert_eq!(old.ok(&["channel", "show", &w.b_channel])["state"], 1);

    // S goes down; B's old backup closes with state 1 and settles it after the delay.
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    fails(
        &old,
        &["channel", "close", &w.b_channel, "--force", "--no-wait"],
        5,
    );
    w.env.mine(7);
    let mut settled = false;
    for _ in 0..3 {
        if old
            .cmd(&["channel", "close", &w.b_channel, "--force", "--no-wait"])
            .output()
            .unwrap()
            .status
            .success()
        {
            settled = true;
            break;
        }
        w.env.mine(1);
    }
    assert!(settled, "the old state settles while S is away");
    w.env.mine(1);
    // B claims the first PTLC from the settlement of state 1 (its latest is 2).
    let published = b.ok(&["claim", &p1]);
    assert_eq!(published["payments"][0]["status"], "sold", "{published}");
    w.env.mine(1);
    assert_eq!(b.ok(&["claim", &p1])["payments"][0]["status"], "paid");
    let e = fails(&b, &["claim", &p2], 1);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("without the PTLC"),
        "{e}"
    );
    assert_eq!(value_at(&w.env, &to_node(&b, 0)), 10_000);
    assert_eq!(value_at(&w.env, &w.s_to_node[1]), 290_000);

    // S comes back: it reads B's claim in the settlement of state 1 and is paid by A; C's
    // PTLC is in no settled state, so C gets its money back.
    w.server = Server::start_with(&w.s, &port, &[], None);
    eventually(
        "S to complete A's update from the old state's claim",
        || {
            a.cmd(&["sync"]).output().unwrap().status.success()
                && a.ok(&["payments", "show", &p1])["status"] == "paid"
        },
    );
    assert_eq!(balances(&a, &w.a_channel), (189_990, 10_010));
    eventually("S to refund C", || {
        c.cmd(&["sync"]).output().unwrap().status.success()
            && c.ok(&["payments", "show", &p2])["status"] == "cancelled"
    });
    assert_eq!(balances(&c, &c_channel), (200_000, 0));
}

/// A channel past its first chunk of history, saved in a real data dir the way a record of
/// the format before chunks is carried over (its first save stores the chunk apart): the
/// client publishes state 5, from inside the chunk, and S's watcher pass reads the chunk back
/// and rebinds over it; the rebinding is valid on the ledger. With the chunk gone the pass
/// fails and says so. A save whose transaction fails stores no chunk.
#[test]
fn an_old_update_from_a_chunk_stored_apart_is_rebound_with_the_chunk_read_back() {
    use asyncpay::chain::source::RegtestSource;
    use asyncpay::protocol::{HistoryChunk, HISTORY_CHUNK};
    use asyncpay::server::{watch_pass, ServerChannel};
    use asyncpay::store::{DataDir, LockWait};

    let mut chain = common::duo::DiskChain::new();
    let mut h = Harness::open(41, &mut chain);
    while h.latest().number < HISTORY_CHUNK + 2 {
        let next = h.latest().pay(Party::Client, Amount::ONE_SAT).unwrap();
        h.update(Party::Client, next);
    }
    let chunk = h.server.chunks[&0].clone();
    // Each side's record as written before chunks: every hash in it.
    let format1 = |channel: &asyncpay::protocol::Channel, chunk: &HistoryChunk| {
        let mut v = serde_json::to_value(channel).unwrap();
        v["format"] = 1.into();
        v.as_object_mut().unwrap().remove("history_chunks");
        for (k, hash) in chunk.hashes() {
            v["settle_leaf_hashes"][k.to_string()] =
                bitcoin::hex::DisplayHex::to_lower_hex_string(&hash.to_byte_array()[..]).into();
        }
        v
    };
    let v = format1(&h.server.channel, &chunk);
    let node: asyncpay::keys::NodeId = asyncpay::keys::NodeId(
        "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            .parse()
            .unwrap(),
    );
    let server_channel = |channel| ServerChannel {
        client: node,
        key_index: 0,
        channel,
        published: Vec::new(),
        opened_height: None,
        received: None,
        uncovered_since: None,
        key_salt: None,
        withdrawn_sale: None,
        cooperative_close: None,
    };
    let root = tempfile::tempdir().unwrap();
    let store = DataDir::open(root.path(), LockWait::Fail)
        .unwrap()
        .create_with_passphrase(&age::secrecy::SecretString::from("pw".to_owned()), 4)
        .unwrap();
    let id = h.server.channel.id().to_string();
    let key = chunk.key();
    // A chunk already stored under S's key with other hashes (nothing but a bug or another
    // branch of the channel writes one): the save fails, and writes no record that would
    // drop S's own hashes.
    let mut planted = serde_json::to_value(&chunk).unwrap();
    planted["settle_leaf_hashes"]["7"] = "11".repeat(32).into();
    let planted: HistoryChunk = serde_json::from_value(planted).unwrap();
    store.save_keyed(&key, &planted).unwrap();
    let err = store
        .save_keyed(
            &id,
            &server_channel(serde_json::from_value(v.clone()).unwrap()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("written once"), "{err}");
    assert!(store.keys_of::<ServerChannel>().unwrap().is_empty());
    store
        .transaction(|tx| tx.remove_keyed::<HistoryChunk>(&key))
        .unwrap();
    // A save whose transaction fails leaves neither the record nor the chunk.
    let failed: Result<(), Box<dyn std::error::Error>> = store.transaction(|tx| {
        tx.save_keyed(
            &id,
            &server_channel(serde_json::from_value(v.clone()).unwrap()),
        )?;
        Err("the step failed after the save".into())
    });
    assert!(failed.is_err());
    assert!(store.keys_of::<HistoryChunk>().unwrap().is_empty());
    store
        .save_keyed(
            &id,
            &server_channel(serde_json::from_value(v.clone()).unwrap()),
        )
        .unwrap();
    assert_eq!(
        store.keys_of::<HistoryChunk>().unwrap(),
        std::slice::from_ref(&key)
    );
    assert_eq!(
        store.load_keyed::<HistoryChunk>(&key).unwrap(),
        Some(chunk.clone())
    );
    // A transaction that removes the chunk and then saves the channel writes it again.
    store
        .transaction(|tx| {
            tx.remove_keyed::<HistoryChunk>(&key)?;
            tx.save_keyed(
                &id,
                &server_channel(serde_json::from_value(v.clone()).unwrap()),
            )
        })
        .unwrap();
    assert_eq!(store.load_keyed::<HistoryChunk>(&key).unwrap(), Some(chunk));
    let loaded = store.load_keyed::<ServerChannel>(&id).unwrap().unwrap();
    // The same data dir holds the client's side of a channel with the same id (a client of
    // this S chose the id of one of its client channels): each side's chunk has its own key.
    let client_chunk = h.client.chunks[&0].clone();
    store
        .save_keyed(
            &id,
            &asyncpay::client::ClientChannel {
                server_url: "http://127.0.0.1:1".to_owned(),
                server: node,
                key_index: 0,
                channel: serde_json::from_value(format1(&h.client.channel, &client_chunk)).unwrap(),
                opened_height: None,
                keys_bound: false,
                cooperative_close: None,
            },
        )
        .unwrap();
    let mut keys = vec![key.clone(), client_chunk.key()];
    keys.sort();
    assert_eq!(store.keys_of::<HistoryChunk>().unwrap(), keys);
    let client = store
        .load_keyed::<asyncpay::client::ClientChannel>(&id)
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&loaded.channel).unwrap(),
        serde_json::to_value(&h.server.channel).unwrap(),
        "the record keeps only the hashes above the chunk"
    );

    let old = h.updates[&5].clone();
    chain.submit(&old).unwrap();
    chain.mine(1);
    let source = RegtestSource::new(chain.ledger.clone());
    let mut kept = Vec::new();
    let (outcome, _) =
        watch_pass(&loaded.channel, None, &source, false, &store, &mut kept).unwrap();
    let b = expect_broadcast(outcome);
    assert_eq!(
        kept.iter().map(HistoryChunk::index).collect::<Vec<_>>(),
        [0]
    );
    assert_eq!(
        b.kind,
        BroadcastKind::Rebind {
            published: 5,
            latest: HISTORY_CHUNK + 2
        }
    );
    // The client's watcher rebinds with its own chunk.
    let (outcome, _) = watch_pass(
        &client.channel,
        None,
        &source,
        false,
        &store,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(expect_broadcast(outcome).tx, b.tx);
    // The chunk gone (a data dir restored without it): the pass fails and says what to do.
    store
        .transaction(|tx| tx.remove_keyed::<HistoryChunk>(&key))
        .unwrap();
    let err = watch_pass(
        &loaded.channel,
        None,
        &source,
        false,
        &store,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        err.contains("chunk 0 of the channel's history is missing"),
        "{err}"
    );
    // A chunk kept from an earlier pass serves the next one without being read again.
    let (outcome, _) =
        watch_pass(&loaded.channel, None, &source, false, &store, &mut kept).unwrap();
    assert_eq!(expect_broadcast(outcome).tx, b.tx);
    assert_eq!(kept.len(), 1);
    // The rebinding S made is valid: the latest state wins.
    chain.submit(&b.tx).unwrap();
    chain.mine(1);
}

/// B's claim of a PTLC on chain counts as paid only once as deep as the channel's funding
/// had to be (`--min-confirmations 3` here): at one confirmation a reorganization could
/// still undo it, and S's timeout claim confirm instead. Until then the payment stays sold,
/// and says how many confirmations it has.
#[test]
fn b_s_claim_on_chain_is_paid_only_once_final() {
    let (mut w, _) = world_with(
        |s| server_init_with(s, &[("--min-confirmations", "3")]),
        |_| None,
    );
    w.env.mine(2);
    let b = w.b.clone();
    // Then B claims as soon as the settlement confirms.
    let (pid, _) = b_force_closes_with_s_away(&mut w);
    let show = || b.ok(&["payments", "show", &pid]);
    eventually("B's claim to confirm", || {
        let _ = b.cmd(&["claim", &pid]).output().unwrap();
        w.env.mine(1);
        let _ = b.cmd(&["claim", &pid]).output().unwrap();
        show()["reason"]
            .as_str()
            .is_some_and(|r| r.contains("has 1 of 3 confirmations"))
    });
    assert_eq!(show()["status"], "sold");
    w.env.mine(1);
    b.cmd(&["claim", &pid]).output().unwrap();
    assert_eq!(show()["status"], "sold", "{}", show());
    w.env.mine(1);
    b.cmd(&["claim", &pid]).output().unwrap();
    assert_eq!(show()["status"], "paid", "{}", show());
    assert_eq!(value_at(&w.env, &to_node(&b, 0)), 10_000);
}

/// A pays B 10,000 sat, B sells it, S goes away (killed), and near the expiry B's `claim`
/// force-closes B–S. Returns the payment id and the PTLC's expiry.
fn b_force_closes_with_s_away(w: &mut World) -> (String, u32) {
    let (pid, expiry) = sell(w, 1);
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    w.env.mine(4);
    let e = fails(&w.b, &["claim", &pid], 1);
    assert!(e.to_string().contains("force-closed"), "{e}");
    (pid, expiry)
}

/// After [`b_force_closes_with_s_away`]: B is away until tip `at - 1`, where its `claim`
/// publishes the settlement, which the next block confirms; B's `claim` at tip `at`, when
/// its claim on chain could go out, is returned.
fn settle_then_claim_at(w: &World, pid: &str, at: u32) -> std::process::Output {
    mine_to(w, at - 1);
    let _ = w.b.cmd(&["claim", pid]).output().unwrap();
    w.env.mine(1);
    assert_eq!(height(&w.env), at);
    w.b.cmd(&["claim", pid]).output().unwrap()
}

/// Whether a transaction paying `payout` (B's claim) waits in the mempool.
fn claim_in_mempool(w: &World, payout: &bitcoin::ScriptBuf) -> bool {
    let mempool = w.env.ledger().mempool().unwrap();
    mempool
        .iter()
        .any(|t| t.output.iter().any(|o| &o.script_pubkey == payout))
}

/// The edge of the rule below: with `C = 1`, at tip `E − 1` B's claim can still confirm by
/// block `E`, before S's timeout claim is valid (block `E + 1`): it goes out, and B is
/// paid. (One block later it would not: the next test.)
#[test]
fn b_claims_on_chain_at_the_last_tip_it_can() {
    let (mut w, _) = world(|_| None);
    let b = w.b.clone();
    let (pid, expiry) = b_force_closes_with_s_away(&mut w);
    let claim_at = settle_then_claim_at(&w, &pid, expiry - 1);
    assert!(claim_at.status.success(), "{claim_at:?}");
    let b_payout = to_node(&b, 0);
    assert!(claim_in_mempool(&w, &b_payout), "B's claim went out");
    w.env.mine(1);
    assert_eq!(
        value_at(&w.env, &b_payout),
        10_000,
        "B's claim confirmed in block E"
    );
}

/// Timelock review, item 1: B offline from its force close until the PTLC's expiry has come
/// (S away too). Its settlement confirms only at the expiry (tip `E`): a success claim published now
/// could lose the race to S's timeout claim, valid from the next block, and S would hold
/// `t` (and be paid by A) while taking the PTLC back. B publishes nothing and says so; S,
/// back, takes the PTLC back and the payer is refunded.
#[test]
fn b_too_late_on_chain_reveals_nothing_and_the_payer_is_refunded() {
    let (mut w, _) = world(|_| None);
    let (a, b) = (w.a.clone(), w.b.clone());
    let port = w.server.url.rsplit(':').next().unwrap().to_owned();
    let port = port.as_str();
    // B is then away until the expiry has come: at tip E its settlement has confirmed.
    let (pid, expiry) = b_force_closes_with_s_away(&mut w);
    let claim_at = settle_then_claim_at(&w, &pid, expiry);
    let text = String::from_utf8_lossy(&claim_at.stdout).into_owned();
    assert!(text.contains("too late to claim on chain"), "{text}");
    assert!(text.contains("not revealed"), "{text}");
    let b_payout = to_node(&b, 0);
    assert!(
        !claim_in_mempool(&w, &b_payout),
        "no success claim went out"
    );
    assert_eq!(b.ok(&["payments", "show", &pid])["status"], "sold");
    // S comes back, takes the PTLC back after its expiry, and refunds A.
    let _s = Server::start_with(&w.s, port, &[], None);
    eventually("A to be refunded", || {
        w.env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(200));
        let _ = a.cmd(&["sync"]).output();
        a.ok(&["payments", "show", &pid])["status"] == "cancelled"
    });
    assert_eq!(value_at(&w.env, &b_payout), 0, "B was never paid");
}

/// Timelock review, second pass: B's on-chain claim cannot go out for want of coins (its
/// fee child has none to spend) in time; t did not leave, so the expiry check still holds
/// when B, with coins again, tries after `E − C`: it reveals nothing.
#[test]
fn a_claim_that_could_not_go_out_reveals_nothing_later() {
    let (mut w, _) = world(|_| None);
    let b = w.b.clone();
    let (pid, expiry) = b_force_closes_with_s_away(&mut w);
    // B's settlement goes out; then B's coins go elsewhere before its claim.
    let sink = w.env.wallet("sink");
    let to = sink.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut settled = false;
    for _ in 0..12 {
        w.env.mine(1);
        let _ = b.cmd(&["claim", &pid]).output().unwrap();
        if w.env.ledger().mempool().unwrap().len() == 2 {
            settled = true;
            break;
        }
    }
    assert!(settled, "B's settlement and its child wait in the mempool");
    w.env.mine(1);
    b.ok(&["wallet", "send", "--all", &to]);
    let out = b.cmd(&["claim", &pid]).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(height(&w.env) < expiry, "B was in time");
    let b_payout = to_node(&b, 0);
    let no_claim = || {
        w.env
            .ledger()
            .mempool()
            .unwrap()
            .iter()
            .all(|t| t.output.iter().all(|o| o.script_pubkey != b_payout))
    };
    assert!(no_claim(), "the claim did not go out");
    // Coins again, too late: nothing is revealed.
    mine_to(&w, expiry);
    fund(&b, &w.env, 50_000);
    let out = b.cmd(&["claim", &pid]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("too late to claim on chain"), "{text}");
    assert!(no_claim(), "the claim did not go out");
}

/// The timeout claim a hostile S (its keys, used by the test) publishes for the PTLC that
/// B's claim in the mempool spends, with a child spending `coin` (an anchor output) and
/// paying `fee` for both: it replaces B's claim. Returns the timeout claim's txid.
fn s_times_out_over_b_s_claim(
    w: &World,
    b_payout: &bitcoin::ScriptBuf,
    (coin, fee): (OutPoint, u64),
) -> bitcoin::Txid {
    use asyncpay::server::ServerChannel;
    let mempool = w.env.ledger().mempool().unwrap();
    let claim = mempool
        .iter()
        .find(|t| t.output.iter().any(|o| &o.script_pubkey == b_payout))
        .expect("B's claim waits in the mempool");
    let outpoint = claim.input[0].previous_output;
    let ch = common::procs::records::<ServerChannel>(&w.s)
        .into_iter()
        .find(|c| c.channel.id().to_string() == w.b_channel)
        .unwrap();
    let ptlc = ch.channel.latest().unwrap().state.ptlcs[0].clone();
    let secret = ch.secrets(&common::story::keys_of(&w.s)).ptlc_scalar();
    let timeout = asyncpay::payment::sale::signed_timeout_claim(
        ch.channel.params(),
        &ptlc,
        outpoint,
        secret,
        [9; 32],
    )
    .unwrap();
    w.env
        .ledger()
        .submit_package(&[timeout.clone(), child_paying(w, &timeout, (coin, fee))])
        .expect("S's timeout claim replaces B's");
    timeout.compute_txid()
}

/// A version 3 child of `parent` spending its anchor and `coin` (an anchor output of its
/// own, from [`p2a_coin`]), paying `fee` for both.
fn child_paying(w: &World, parent: &Transaction, (coin, fee): (OutPoint, u64)) -> Transaction {
    let p2a = bitcoin::ScriptBuf::new_p2a();
    let anchor = parent
        .output
        .iter()
        .position(|o| o.script_pubkey == p2a)
        .unwrap();
    let spend = |previous_output| TxIn {
        previous_output,
        script_sig: bitcoin::ScriptBuf::new(),
        sequence: Sequence::MAX,
        witness: Witness::new(),
    };
    Transaction {
        version: bitcoin::transaction::Version(3),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![
            spend(OutPoint::new(parent.compute_txid(), anchor as u32)),
            spend(coin),
        ],
        output: vec![TxOut {
            value: w.env.ledger().output(&coin).unwrap().unwrap().value - Amount::from_sat(fee),
            script_pubkey: p2a,
        }],
    }
}

/// A confirmed coin paying `fee + 1,000` sat to an anchor script (anyone can spend it),
/// for a test's fee child; funding it mines a block.
fn p2a_coin(w: &World, fee: u64) -> OutPoint {
    w.env
        .ledger()
        .fund(
            &bitcoin::ScriptBuf::new_p2a(),
            Amount::from_sat(fee + 1_000),
        )
        .unwrap()
}

/// B's claim goes out at tip `E − 1` but a busy block passes it by; from tip `E` S's
/// timeout claim is valid for the next block, and a hostile S replaces B's claim with it,
/// paying `fee`. Returns the world (of `sizes`), the payment id, B's payout script and S's
/// claim.
fn b_s_claim_replaced_by_s_s_timeout(
    sizes: Sizes,
    fee: u64,
) -> (World, String, bitcoin::ScriptBuf, bitcoin::Txid) {
    let (mut w, _) = world_sized(sizes, |s| server_init(s, None), |_| None);
    let (pid, expiry) = b_force_closes_with_s_away(&mut w);
    // S's coin for its fee (funding it mines a block: before B's claim is out).
    let coin = p2a_coin(&w, fee);
    let claim_at = settle_then_claim_at(&w, &pid, expiry - 1);
    assert!(claim_at.status.success(), "{claim_at:?}");
    let b_payout = to_node(&w.b, 0);
    assert!(claim_in_mempool(&w, &b_payout), "B's claim went out");
    w.env
        .ledger()
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb(50).unwrap())
        .unwrap();
    assert_eq!(height(&w.env), expiry);
    assert!(
        claim_in_mempool(&w, &b_payout),
        "the busy block left it out"
    );
    let timeout = s_times_out_over_b_s_claim(&w, &b_payout, (coin, fee));
    assert!(
        !claim_in_mempool(&w, &b_payout),
        "S's timeout claim replaced B's"
    );
    (w, pid, b_payout, timeout)
}

/// B's next `claim` replaces S's timeout claim `timeout` with its own claim (paying to
/// `b_payout`) and a child.
fn b_outbids(w: &World, pid: &str, b_payout: &bitcoin::ScriptBuf, timeout: bitcoin::Txid) {
    let outbid = w.b.cmd(&["claim", pid]).output().unwrap();
    assert!(outbid.status.success(), "{outbid:?}");
    assert!(claim_in_mempool(w, b_payout), "B's claim is back");
    let mempool = w.env.ledger().mempool().unwrap();
    assert!(
        mempool.iter().all(|t| t.compute_txid() != timeout),
        "S's timeout claim was replaced"
    );
}

/// The next block confirms B's claim: B is paid the PTLC (the world's payment).
fn b_is_paid_once_mined(w: &World, pid: &str, b_payout: &bitcoin::ScriptBuf) {
    w.env.mine(1);
    w.b.ok(&["claim", pid]);
    assert_eq!(w.b.ok(&["payments", "show", pid])["status"], "paid");
    assert_eq!(value_at(&w.env, b_payout), w.pay_sat, "B was paid the PTLC");
}

/// Once `t` is out, S can complete the payer's payment with it, so B fights for the PTLC.
/// S's timeout claim replaced B's claim after the expiry (above); B's next `claim`
/// replaces S's timeout claim in turn, paying what it evicts, and B's claim confirms: B is
/// paid the PTLC.
#[test]
fn b_outbids_s_s_timeout_claim_once_t_is_out() {
    let (w, pid, b_payout, timeout) = b_s_claim_replaced_by_s_s_timeout(SIZES, 3_000);
    b_outbids(&w, &pid, &b_payout, timeout);
    b_is_paid_once_mined(&w, &pid, &b_payout);
}

/// The fight stops at what is at stake: a timeout claim of S's whose package pays more than
/// the PTLC (10,000 sat) is not outbid, and B says why.
#[test]
fn b_does_not_pay_more_than_the_ptlc_to_outbid_s() {
    let (w, pid, b_payout, timeout) = b_s_claim_replaced_by_s_s_timeout(SIZES, 10_500);
    let e = fails(&w.b, &["claim", &pid], 1);
    assert!(
        e.to_string()
            .contains("no less than the 10,000 sat at stake"),
        "{e}"
    );
    let mempool = w.env.ledger().mempool().unwrap();
    assert!(mempool.iter().any(|t| t.compute_txid() == timeout));
    assert!(!claim_in_mempool(&w, &b_payout));
    assert_eq!(w.b.ok(&["payments", "show", &pid])["status"], "sold");
}

/// What the transactions waiting in the mempool pay in fees together.
fn mempool_fees(w: &World) -> u64 {
    let ledger = w.env.ledger();
    let mempool = ledger.mempool().unwrap();
    let created: std::collections::HashMap<OutPoint, u64> = mempool
        .iter()
        .flat_map(|t| {
            let txid = t.compute_txid();
            t.output
                .iter()
                .enumerate()
                .map(move |(i, o)| (OutPoint::new(txid, i as u32), o.value.to_sat()))
        })
        .collect();
    mempool
        .iter()
        .map(|t| {
            let spent: u64 = t
                .input
                .iter()
                .map(|i| {
                    created.get(&i.previous_output).copied().unwrap_or_else(|| {
                        ledger
                            .output(&i.previous_output)
                            .unwrap()
                            .unwrap()
                            .value
                            .to_sat()
                    })
                })
                .sum();
            spent - t.output.iter().map(|o| o.value.to_sat()).sum::<u64>()
        })
        .sum()
}

/// Attacker review of the outbid, second pass: B raised S's rate by half again over its
/// own, larger package, and so gave up against an S paying about half the PTLC, where a
/// bid just over S's rate still cost less than the PTLC. S's package pays 6,000 sat here:
/// half as much again would cost B the PTLC (10,000 sat) or more; the least replacement
/// does not, and B outbids with it. A block that leaves B's claim out does not make B's
/// next pass pay the stake or more either (bumps of a claim are held below it).
#[test]
fn b_outbids_s_with_the_least_replacement_when_more_is_too_dear() {
    let (w, pid, b_payout, timeout) = b_s_claim_replaced_by_s_s_timeout(SIZES, 6_000);
    b_outbids(&w, &pid, &b_payout, timeout);
    let paid = mempool_fees(&w);
    assert!(
        (6_000..10_000).contains(&paid),
        "B's package pays {paid} sat"
    );
    // A block passes it by; B's next pass bumps, below the stake.
    w.env
        .ledger()
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb(200).unwrap())
        .unwrap();
    assert!(
        claim_in_mempool(&w, &b_payout),
        "the busy block left it out"
    );
    let _ = w.b.cmd(&["claim", &pid]).output().unwrap();
    let bumped = mempool_fees(&w);
    assert!(
        (paid..10_000).contains(&bumped),
        "B's package pays {bumped} sat after {paid}"
    );
    b_is_paid_once_mined(&w, &pid, &b_payout);
}

/// Attacker review of the outbid: S wins the PTLC and the payer's payment with its timeout
/// claim, so for a large PTLC it may pay more than the 1,000 sat/vB a fee bump is held to.
/// B's bound in this fight is the PTLC, not that ceiling: S's package paying 300,000 sat
/// (above 1,000 sat/vB) is outbid for a PTLC of 1,000,000 sat, and B is paid it.
#[test]
fn b_outbids_s_past_the_bump_ceiling_when_the_ptlc_is_worth_it() {
    let sizes = Sizes {
        a_channel: 1_500_000,
        b_inbound: 1_500_000,
        b_fees: 1_000_000,
        pay: 1_000_000,
    };
    let (w, pid, b_payout, timeout) = b_s_claim_replaced_by_s_s_timeout(sizes, 300_000);
    let theirs = w.env.ledger().mempool().unwrap();
    let vsize: u64 = theirs.iter().map(|t| t.vsize() as u64).sum();
    assert!(
        300_000 > 1_000 * vsize,
        "S's package ({vsize} vB) pays more than 1,000 sat/vB"
    );
    b_outbids(&w, &pid, &b_payout, timeout);
    let paid = mempool_fees(&w);
    assert!(
        (300_000..1_000_000).contains(&paid),
        "B's package pays {paid} sat"
    );
    b_is_paid_once_mined(&w, &pid, &b_payout);
}

/// Payer review, item 3 (and payee review, item 2): S holds the payer's update `n+1`
/// complete once the payee sold it `s_A`, and may publish it while never delivering the
/// invoice — and never publishing its settlement, holding A's whole balance hostage. The
/// signature on chain is 2-of-2 over the state A signed: A's watcher takes `n+1` as its
/// latest and publishes the settlement itself after the delay. Everyone is paid `n+1` to the
/// satoshi.
#[test]
fn a_payer_settles_the_update_s_published_and_held_back() {
    let (w, update) = s_holds_back_a_s_update();
    w.env.ledger().submit_to_miner(&update).unwrap();
    w.env.mine(1);
    a_settles_the_update_s_published(&w);
}

/// The same, untested before: S's update `n+1` seen in the mempool, not yet in a block. A
/// takes it as its latest there already, and does not replace it with anything of its own
/// (its previous latest, `n`, is older); once it confirms, A settles it.
#[test]
fn a_payer_takes_the_update_s_put_in_the_mempool_as_its_latest() {
    let (w, update) = s_holds_back_a_s_update();
    let coin = p2a_coin(&w, 2_000);
    let child = child_paying(&w, &update, (coin, 2_000));
    w.env
        .ledger()
        .submit_package(&[update.clone(), child.clone()])
        .unwrap();
    let shown = w.a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(shown["client_sat"], 189_990, "{shown}");
    assert_eq!(shown["state"], 1, "{shown}");
    let mempool: Vec<_> = w
        .env
        .ledger()
        .mempool()
        .unwrap()
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    assert_eq!(
        mempool,
        vec![update.compute_txid(), child.compute_txid()],
        "S's package stands"
    );
    w.env.mine(1);
    a_settles_the_update_s_published(&w);
}

/// A pays 10,000 sat, B is paid, and S, holding A's `n+1` complete, goes away; returns the
/// world and S's update `n+1` (taken from its records), unpublished.
fn s_holds_back_a_s_update() -> (World, Transaction) {
    use asyncpay::server::ServerChannel;
    let (mut w, _) = world(|_| None);
    let pid = w.a.ok(&["pay", &w.address, "10000"])["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.b.ok(&["receive"]);
    assert_eq!(w.b.ok(&["payments", "show", &pid])["status"], "paid");
    // S, with A's n+1 complete, goes away after publishing it (taken from its records).
    w.server.child.kill().unwrap();
    w.server.child.wait().unwrap();
    let s_side = common::procs::records::<ServerChannel>(&w.s)
        .into_iter()
        .find(|c| c.channel.id().to_string() == w.a_channel)
        .unwrap();
    assert_eq!(s_side.channel.latest().unwrap().state.number, 1);
    let update = s_side.channel.funding_update_tx().unwrap();
    (w, update)
}

/// After S's update `n+1` confirmed: A takes it as its latest and settles it after the
/// delay; everyone is paid `n+1` to the satoshi.
fn a_settles_the_update_s_published(w: &World) {
    // A looks: the state it signed last is its latest now; it settles it after the delay.
    let shown = w.a.ok(&["channel", "show", &w.a_channel]);
    assert_eq!(shown["chain"]["status"], "waiting_for_delay", "{shown}");
    assert_eq!(shown["client_sat"], 189_990, "{shown}");
    let mut settled = false;
    for _ in 0..20 {
        let _ =
            w.a.cmd(&["channel", "close", &w.a_channel, "--force", "--no-wait"])
                .output()
                .unwrap();
        w.env.mine(1);
        if value_at(&w.env, &to_node(&w.a, 0)) > 0 {
            settled = true;
            break;
        }
    }
    assert!(settled, "A published the settlement of n+1");
    assert_eq!(value_at(&w.env, &to_node(&w.a, 0)), 189_990);
    assert_eq!(value_at(&w.env, &w.s_to_node[0]), 10_010);
}
