//! The adversary at channel opening (issue 9, items 1–3): a stranger speaking signed HTTP to
//! the real S (`server run` on 127.0.0.1, the real regtest ledger), and a lying S in front
//! of a real client. Each test ends with the money checked to the satoshi.
//!
//! - a push on a channel S funds (S's coins handed over in state 0) is refused;
//! - a hundred opens in a row hit the limits with clear errors and lock none of S's coins,
//!   Sybils with fresh node ids get no inbound capacity, unfunded opens expire;
//! - a fake funding outpoint (a txid that does not exist, an output index that does not
//!   exist, a real output with the wrong script, the right script with the wrong amount) is
//!   refused by S, never counted by the watcher, and refused by a client whose S lies.
//! - a failed `channel open` leaves no ghost in `channel list` (issue 12, item 5): S refuses,
//!   is down, vanishes after the record is written, cannot fund, or our funding fails; but
//!   an open whose funding may be on chain is never hidden, whatever S says after.

use std::sync::{Arc, Mutex};

use asyncpay::eltoo::Party;
use asyncpay::protocol::{Channel, ChannelId, FundingPublished, Message, OpenPolicy};
use asyncpay::server::{ChannelPolicy, Replies, ServerInfo};
use asyncpay::watch::{Alert, WatchOutcome};
use bitcoin::{Amount, OutPoint, ScriptBuf, Txid};
use serde_json::Value;

mod common;

use common::hostile::{forward, node_of, secret, serve, Hostile, Response};
use common::procs::{fund, Env, Server, Wallet};
use common::protocol::{accept_all, Rand};
use common::story::server_init;
use common::PartySecrets;

const CAPACITY: u64 = 100_000;

/// A stranger: a fresh node key speaking signed HTTP to `url`.
fn stranger(url: &str, seed: u8) -> Hostile {
    Hostile::new(url, secret(0x0e, seed.into()))
}

/// S's on-chain wallet balance (its wallet is locked while it runs: stop it first).
fn balance(s: &Wallet) -> u64 {
    s.ok(&["wallet", "balance"])["total_sat"].as_u64().unwrap()
}

#[test]
fn a_stranger_cannot_take_s_coins_with_a_push() {
    let env = Env::new();
    let s = env.wallet("s");
    // Even with the most permissive inbound policy.
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let mallory = stranger(&server.url, 7);
    let keys = PartySecrets::from_seed(70);
    for (n, push) in [(0, CAPACITY), (1, CAPACITY - 330), (2, 1)] {
        let err = mallory
            .open(n, &keys, Party::Server, CAPACITY, push)
            .unwrap_err();
        assert!(
            err.contains("open_refused") && err.contains("push_sat must be 0"),
            "{err}"
        );
    }
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert!(mine.is_empty(), "no channel was made: {mine:?}");
    assert!(env.ledger().mempool().unwrap().is_empty());
    drop(server);
    assert_eq!(balance(&s), 1_000_000);
}

/// A review of this wave: S's limit on unfunded opens for all nodes together (1,000 by
/// default) let a few dozen free node ids, 16 opens each, keep every client from opening
/// a channel (`server_busy`), again after each expiry: an open costs nothing until it is
/// funded. The limit now holds back only nodes with no funded channel with S.
#[test]
fn strangers_filling_the_unfunded_limit_keep_no_client_from_opening() {
    use asyncpay::server::ServerChannel;
    let env = Env::new();
    let s = env.wallet("s");
    common::story::server_init_with(&s, &[("--max-unfunded", "4")]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    a.ok(&["channel", "open", &server.url, "100000"]);
    env.mine(1);
    common::procs::eventually("S sees A's channel funded", || {
        common::procs::records::<ServerChannel>(&s)
            .iter()
            .any(|c| c.channel.status() == asyncpay::protocol::ChannelStatus::Open)
    });
    // Two strangers, two opens each, never funded: the limit is reached.
    let keys = PartySecrets::from_seed(90);
    for seed in 100..102u8 {
        let stranger = stranger(&server.url, seed);
        for n in 0..2 {
            stranger.open(n, &keys, Party::Client, CAPACITY, 0).unwrap();
        }
    }
    let err = stranger(&server.url, 102)
        .open(0, &keys, Party::Client, CAPACITY, 0)
        .unwrap_err();
    assert!(err.contains("server_busy"), "{err}");
    // A, with a funded channel, opens another all the same.
    let second = a.ok(&["channel", "open", &server.url, "100000"]);
    assert_eq!(second["status"], "awaiting_funding", "{second}");
    drop(server);
}

#[test]
fn sixty_opens_hit_the_limits_and_lock_nothing_and_unfunded_opens_expire() {
    let env = Env::new();
    let s = env.wallet("s");
    // Default limits and the default inbound policy (stake).
    s.ok(&["server", "init", "--min-confirmations", "1"]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let mallory = stranger(&server.url, 9);
    let keys = PartySecrets::from_seed(90);

    // Fifty requests for inbound capacity: a node with no stake gets none (another key:
    // the request budget of a node without a channel is 100 per 120 s, item 15).
    let greedy = stranger(&server.url, 8);
    for n in 0..50 {
        let err = greedy
            .open(n, &keys, Party::Server, CAPACITY, 0)
            .unwrap_err();
        assert!(err.contains("inbound_refused"), "open {n}: {err}");
        assert!(err.contains("channel you fund yourself"), "{err}");
    }
    // Twenty Sybils (fresh node ids) fare no better.
    for seed in 100..120u8 {
        let err = stranger(&server.url, seed)
            .open(0, &keys, Party::Server, CAPACITY, 0)
            .unwrap_err();
        assert!(err.contains("inbound_refused"), "{err}");
    }
    // Sixty opens it would fund itself and never does: the per-node limit (16) hits (an
    // unfunded open earns no request budget of its own: 100 per 120 s, item 15).
    let mut accepted = 0;
    let mut refused = 0;
    for n in 100..160 {
        match mallory.open(n, &keys, Party::Client, CAPACITY, 0) {
            Ok(_) => accepted += 1,
            Err(e) => {
                assert!(e.contains("too_many_unfunded"), "{e}");
                assert!(e.contains("forgotten 144 blocks"), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (16, 44));
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(mine.len(), 16);
    assert!(mine.iter().all(|c| c["status"] == "opening"));

    // 144 blocks later the never-funded opens are forgotten, and the node may open again.
    env.mine(144);
    mallory
        .open(500, &keys, Party::Client, CAPACITY, 0)
        .unwrap();
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(mine.iter().filter(|c| c["status"] == "closed").count(), 16);
    assert_eq!(mine.iter().filter(|c| c["status"] == "opening").count(), 1);

    // None of S's coins moved.
    drop(server);
    assert_eq!(balance(&s), 1_000_000);
}

#[test]
fn inbound_for_anyone_is_still_bounded_in_total() {
    let env = Env::new();
    let s = env.wallet("s");
    s.ok(&[
        "server",
        "init",
        "--min-confirmations",
        "1",
        "--inbound",
        "anyone",
        "--max-inbound",
        "250000",
    ]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let keys = PartySecrets::from_seed(50);
    // Two Sybils reserve 200 000 sat; the third is over the total.
    for seed in 50..52u8 {
        stranger(&server.url, seed)
            .open(0, &keys, Party::Server, CAPACITY, 0)
            .unwrap();
    }
    let err = stranger(&server.url, 52)
        .open(0, &keys, Party::Server, CAPACITY, 0)
        .unwrap_err();
    assert!(err.contains("server_cannot_fund"), "{err}");
    assert!(err.contains("over its total of 250000 sat"), "{err}");
    drop(server);
    assert_eq!(balance(&s), 1_000_000);
}

#[test]
fn s_refuses_fake_fundings_and_never_counts_them() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    let server = Server::start(&s);
    let mallory = stranger(&server.url, 11);
    let keys = PartySecrets::from_seed(110);
    let mut rand = Rand(0, "adversary-open");
    let (c, _) = mallory.open_and_sign_state_zero(0, &keys, Party::Client, CAPACITY, &mut rand);
    let funding = c.params().funding_output().unwrap();
    let ledger = env.ledger();
    let elsewhere = ScriptBuf::new_p2tr(
        &bitcoin::key::Secp256k1::verification_only(),
        keys.keys().settlement,
        None,
    );
    let real = ledger.fund(&elsewhere, Amount::from_sat(CAPACITY)).unwrap();
    let short = ledger
        .fund(&funding.script_pubkey, Amount::from_sat(CAPACITY - 1))
        .unwrap();
    env.mine(1);
    let nowhere = OutPoint::new(
        Txid::from_raw_hash(bitcoin::hashes::Hash::from_byte_array([0xab; 32])),
        0,
    );
    let fakes = [
        (nowhere, "funding_not_found"),
        (OutPoint::new(real.txid, 999), "has only"),
        (real, "not the channel's funding script"),
        (short, "not the channel's capacity"),
    ];
    let tell = |outpoint: OutPoint| {
        mallory.post(Message::FundingPublished(FundingPublished {
            channel_id: c.id(),
            funding_outpoint: outpoint.to_string(),
        }))
    };
    for (fake, why) in fakes {
        let err = tell(fake).unwrap_err();
        assert!(err.contains(why), "{fake}: {err}");
        let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
        assert_eq!(mine[0]["status"], "awaiting funding", "{fake}");
        assert!(mine[0]["funding_outpoint"].is_null(), "{fake}");
        // The watcher counts no confirmation for it either, however deep it is.
        let (recorded, _) = c.funding_published(fake).unwrap();
        let outcome = asyncpay::watch::watch_ledger(&recorded, &env.ledger()).unwrap();
        match (&outcome, fake == nowhere) {
            (
                WatchOutcome::AwaitingFunding {
                    confirmations: 0,
                    seen: false,
                    ..
                },
                true,
            ) => {}
            (WatchOutcome::Alert(Alert::FundingMismatch { outpoint, .. }), false) => {
                assert_eq!(*outpoint, fake)
            }
            other => panic!("{fake}: {other:?}"),
        }
        assert!(asyncpay::watch::next_channel(&recorded, &outcome)
            .unwrap()
            .is_none());
    }
    env.mine(5);
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(mine[0]["status"], "awaiting funding");

    // The real funding is accepted and opens the channel.
    let good = env
        .ledger()
        .fund(&funding.script_pubkey, funding.value)
        .unwrap();
    tell(good).unwrap();
    env.mine(1);
    common::procs::eventually("S to count the funding", || {
        let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
        mine[0]["status"] == "open"
    });
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(mine[0]["funding_outpoint"], good.to_string());
    assert_eq!(mine[0]["server_sat"], 0);
    assert_eq!(mine[0]["client_sat"], CAPACITY);
}

/// A lying S: it speaks the protocol honestly up to state 0, then names a funding outpoint
/// that is not the channel's.
struct LyingServer {
    url: String,
    lie: Arc<Mutex<OutPoint>>,
    /// The `open_channel` messages it was sent.
    opens: Arc<std::sync::atomic::AtomicUsize>,
}

impl LyingServer {
    fn start() -> LyingServer {
        LyingServer::with_delay(OpenPolicy::default().default_shared_delay)
    }

    /// A lying S that sets `delay` as every channel's `shared_delay`.
    fn with_delay(delay: u16) -> LyingServer {
        LyingServer::with_delay_and_budget(delay, ChannelPolicy::default().confirmation_budget)
    }

    /// [`LyingServer::with_delay`], publishing a confirmation budget of `budget` blocks.
    fn with_delay_and_budget(delay: u16, budget: u16) -> LyingServer {
        LyingServer::with(delay, budget, (1, 1))
    }

    /// [`LyingServer::with_delay_and_budget`], with the minimum depth it publishes at
    /// `/v1/info` and the one it sets in its `accept_channel`.
    fn with(delay: u16, budget: u16, (published, set): (u32, u32)) -> LyingServer {
        let lie = Arc::new(Mutex::new(OutPoint::null()));
        let told = lie.clone();
        let opens = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let opened = opens.clone();
        let secrets = PartySecrets::from_seed(200);
        let state = Mutex::new((
            Rand(0, "lying-server"),
            std::collections::HashMap::<ChannelId, Channel>::new(),
        ));
        let url = serve(move |request| {
            let reply: Value = if request.target == "/v1/info" {
                serde_json::to_value(ServerInfo {
                    node_id: node_of(&secret(0x0e, 5)),
                    network: "regtest".into(),
                    version: "0".into(),
                    policy: ChannelPolicy {
                        minimum_depth: published,
                        confirmation_budget: budget,
                        ..ChannelPolicy::default()
                    },
                    watcher: None,
                })
                .unwrap()
            } else {
                let (rand, channels) = &mut *state.lock().unwrap();
                let out = match Message::decode(&request.body).unwrap() {
                    Message::OpenChannel(o) => {
                        opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let policy = OpenPolicy {
                            minimum_depth: set,
                            default_shared_delay: delay,
                            min_shared_delay: delay,
                            max_shared_delay: delay,
                            ..OpenPolicy::default()
                        };
                        let (ch, a) = Channel::accept_open(&o, &secrets.keys(), &policy).unwrap();
                        channels.insert(o.channel_id, ch);
                        vec![Message::AcceptChannel(a)]
                    }
                    Message::UpdateProposal(p) => {
                        let ch = channels.remove(&p.channel_id).unwrap();
                        let (ch, a) = ch.accept(&p, rand.next(), accept_all).unwrap();
                        channels.insert(p.channel_id, ch);
                        vec![Message::UpdateAccept(a)]
                    }
                    Message::UpdateSignature(sig) => {
                        let ch = channels.remove(&sig.channel_id).unwrap();
                        let ch = ch.on_signature(&sig).unwrap();
                        let (ch, _) = ch.sign(secrets.funding).unwrap();
                        let ours = ch.update_signature().unwrap();
                        let id = ch.id();
                        channels.insert(id, ch);
                        vec![
                            Message::UpdateSignature(ours),
                            Message::FundingPublished(FundingPublished {
                                channel_id: id,
                                funding_outpoint: told.lock().unwrap().to_string(),
                            }),
                        ]
                    }
                    other => panic!("{other:?}"),
                };
                serde_json::to_value(Replies {
                    messages: out
                        .iter()
                        .map(|m| serde_json::from_slice(&m.encode()).unwrap())
                        .collect(),
                })
                .unwrap()
            };
            Response::json(200, &reply)
        });
        LyingServer { url, lie, opens }
    }
}

#[test]
fn a_client_refuses_a_servers_fake_funding() {
    let env = Env::new();
    let liar = LyingServer::start();
    let b = env.wallet("b");
    let ledger = env.ledger();
    let other = ScriptBuf::new_p2tr(
        &bitcoin::key::Secp256k1::verification_only(),
        PartySecrets::from_seed(3).keys().settlement,
        None,
    );
    let real = ledger.fund(&other, Amount::from_sat(CAPACITY)).unwrap();
    let nowhere = OutPoint::new(
        Txid::from_raw_hash(bitcoin::hashes::Hash::from_byte_array([0xcd; 32])),
        0,
    );
    for (fake, why) in [
        (nowhere, "neither on chain nor in the mempool"),
        (OutPoint::new(real.txid, 999), "has only"),
        (real, "not the channel's funding script"),
    ] {
        *liar.lie.lock().unwrap() = fake;
        let out = b
            .cmd(&["channel", "request-inbound", &liar.url, "100000"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("is not real") && text.contains(why), "{text}");
    }
    env.mine(3);
    let list = b.ok(&["channel", "list"])["channels"].clone();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for ch in list {
        assert_eq!(ch["status"], "awaiting_funding", "{ch}");
        assert!(ch["funding_outpoint"].is_null(), "{ch}");
        assert_eq!(ch["client_sat"], 0);
    }
    // B's wallet holds nothing and lost nothing.
    assert_eq!(b.ok(&["wallet", "balance"])["total_sat"], 0);
}

/// S sets each channel's `shared_delay`. One so short that an old state S publishes could
/// win while the client is offline for a few blocks, or so long that a force close locks
/// the client's money for months, is refused before anything is signed, and leaves no
/// channel behind.
#[test]
fn a_client_refuses_a_shared_delay_out_of_bounds() {
    let env = Env::new();
    let b = env.wallet("b");
    for delay in [2, 5, 2017, u16::MAX] {
        let liar = LyingServer::with_delay(delay);
        let e = common::story::fails(&b, &["channel", "request-inbound", &liar.url, "100000"], 1);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("shared_delay of {delay} blocks")),
            "{e}"
        );
    }
    // Within the range, but not above the server's confirmation budget (6 blocks): an old
    // state it publishes could settle before the client's answer confirms (a review of
    // this wave). Refused for a channel either side funds.
    let liar = LyingServer::with_delay(6);
    fund(&b, &env, 500_000);
    for open in [["channel", "request-inbound"], ["channel", "open"]] {
        let e = common::story::fails(&b, &[open[0], open[1], &liar.url, "100000"], 1);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("not above the confirmation budget of 6 blocks"),
            "{e}"
        );
    }
    // A server publishing a budget of 1 block, below this wallet's floor of 6: the floor
    // counts.
    b.ok(&["wallet", "set-min-budget", "6"]);
    let liar = LyingServer::with_delay_and_budget(6, 1);
    let e = common::story::fails(&b, &["channel", "open", &liar.url, "100000"], 1);
    let message = e["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not above the confirmation budget of 6 blocks"),
        "{e}"
    );
    no_channels(&b);
}

/// S sets each channel's minimum depth. What S pays B in a channel S funds stands on that
/// funding: counted final after fewer confirmations than B's floor (`wallet
/// set-min-depth`), a reorganization that deep would let S spend the funding's coins
/// elsewhere once A paid it for what it sold B. Such an inbound channel is refused before
/// anything is signed, whether S publishes the depth at `/v1/info` or only sets it in its
/// answer.
#[test]
fn a_payee_refuses_an_inbound_channel_whose_depth_is_below_its_floor() {
    let env = Env::new();
    let b = env.wallet("b");
    assert_eq!(b.ok(&["wallet", "info"])["min_funding_depth"], 1, "regtest");
    let set = b.ok(&["wallet", "set-min-depth", "3"]);
    assert_eq!(
        (&set["previous"], &set["min_funding_depth"]),
        (&1.into(), &3.into())
    );
    assert_eq!(b.ok(&["wallet", "info"])["min_funding_depth"], 3);
    let liar = |depths| {
        LyingServer::with(
            OpenPolicy::default().default_shared_delay,
            ChannelPolicy::default().confirmation_budget,
            depths,
        )
    };
    // Published too low: refused before anything is sent; published at the floor and set
    // lower in the answer: refused on the answer.
    for (depths, opens) in [((1, 1), 0), ((3, 2), 1)] {
        let liar = liar(depths);
        let e = common::story::fails(&b, &["channel", "request-inbound", &liar.url, "100000"], 1);
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "final after {} confirmation(s), below this wallet's floor of 3",
                depths.0.min(depths.1)
            )),
            "{e}"
        );
        assert!(
            e["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("set-min-depth"),
            "{e}"
        );
        assert_eq!(
            liar.opens.load(std::sync::atomic::Ordering::SeqCst),
            opens,
            "{depths:?}"
        );
    }
    no_channels(&b);
    // At the floor, the open goes on past the check (to the liar's fake funding).
    let e = common::story::fails(
        &b,
        &["channel", "request-inbound", &liar((3, 3)).url, "100000"],
        1,
    );
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("is not real"), "{e}");
    // Out of range: a usage error; the other floor's setting keeps this one.
    b.ok(&["wallet", "set-min-budget", "2"]);
    common::story::fails(&b, &["wallet", "set-min-depth", "0"], 2);
    common::story::fails(&b, &["wallet", "set-min-depth", "145"], 2);
    assert_eq!(b.ok(&["wallet", "info"])["min_funding_depth"], 3);
}

/// A proxy in front of the real S that hands each channel message to `meddle` first:
/// `Some(answer)` is answered instead of S (S never sees the message), `None` forwards it.
fn meddling_proxy(
    upstream: String,
    meddle: impl Fn(&Message) -> Option<Response> + Send + Sync + 'static,
) -> String {
    serve(move |request| {
        if request.target == "/v1/channel-messages" {
            if let Some(answer) = Message::decode(&request.body).ok().and_then(|m| meddle(&m)) {
                return answer;
            }
        }
        forward(&upstream, request)
    })
}

fn refusal(code: &str, message: &str) -> Response {
    Response::json(
        403,
        &serde_json::json!({"error": {"code": code, "message": message}}),
    )
}

/// `channel list` shows nothing, in JSON and in text.
fn no_channels(w: &Wallet) {
    assert_eq!(
        w.ok(&["channel", "list"])["channels"].clone(),
        serde_json::json!([])
    );
    let (code, text, _) = w.human(&["channel", "list"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.lines().next(), Some("(no channels)"), "{text}");
}

/// Issue 12, item 5: every way an open fails before any funding could exist leaves no
/// channel in `channel list`. Nothing signed: the record is gone. State 0 signed but never
/// funded (our funding failed; S could not fund): marked closed, listed only with `--all`,
/// its key index never used again. The wallets' coins are untouched.
#[test]
fn a_failed_open_leaves_no_ghost() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = Arc::new(Mutex::new(Some(Server::start(&s))));
    let url = server.lock().unwrap().as_ref().unwrap().url.clone();
    let a = env.wallet("a");
    fund(&a, &env, 150_000);

    // S refuses the open itself (below its minimum capacity).
    let err = common::story::fails(&a, &["channel", "open", &url, "1000"], 1);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("open_refused"),
        "{err}"
    );
    no_channels(&a);

    // S answers the open, then refuses state 0 (hostile): nothing was signed.
    let hostile = meddling_proxy(url.clone(), |m| {
        matches!(m, Message::UpdateProposal(_)).then(|| refusal("nope", "no state 0 for you"))
    });
    let (code, _, stderr) = a.human(&["channel", "open", &hostile, "100000"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no state 0") && stderr.contains("its record is removed"),
        "{stderr}"
    );
    no_channels(&a);
    assert_eq!(
        a.ok(&["channel", "list", "--all"])["channels"].clone(),
        serde_json::json!([])
    );

    // S goes down after the channel is written (it dies as state 0 is proposed).
    let dying = {
        let server = server.clone();
        meddling_proxy(url.clone(), move |m| {
            if matches!(m, Message::UpdateProposal(_)) {
                server.lock().unwrap().take(); // killed and reaped
                return Some(Response {
                    status: 502,
                    body: Vec::new(),
                });
            }
            None
        })
    };
    let (code, _, stderr) = a.human(&["channel", "open", &dying, "100000"]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("its record is removed"), "{stderr}");
    no_channels(&a);
    assert_eq!(
        a.ok(&["channel", "list", "--all"])["channels"].clone(),
        serde_json::json!([])
    );

    // S down from the start.
    let err = common::story::fails(&a, &["channel", "open", &url, "100000"], 4);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach"),
        "{err}"
    );
    no_channels(&a);

    // S back; our funding fails (150 000 sat cannot fund 200 000): state 0 was signed by
    // both, nothing was ever published. Hidden, but kept under --all as closed.
    let port = url.rsplit(':').next().unwrap().to_owned();
    *server.lock().unwrap() = Some(Server::start_with(&s, &port, &[], None));
    let out = a
        .cmd(&["channel", "open", &url, "200000"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    no_channels(&a);
    let all = a.ok(&["channel", "list", "--all"])["channels"].clone();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all[0]["status"], "abandoned", "{all}");
    assert!(all[0]["funding_outpoint"].is_null(), "{all}");
    assert_eq!(all[0]["key_index"], 0, "{all}");
    assert!(env.ledger().mempool().unwrap().is_empty());
    assert_eq!(a.ok(&["wallet", "balance"])["total_sat"], 150_000);

    // A real open still works, with a fresh channel key (index 0 signed state 0 above).
    let opened = a.ok(&["channel", "open", &url, "100000"]);
    assert_eq!(opened["key_index"], 1, "{opened}");
    let listed = a.ok(&["channel", "list"])["channels"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["channel_id"], opened["channel_id"]);

    // Inbound: S cannot fund (its coins are spent elsewhere) after it countersigned state 0.
    drop(server.lock().unwrap().take());
    let poor = env.wallet("poor");
    server_init(&poor, None);
    let poor_server = Server::start(&poor);
    let b = env.wallet("b");
    let err = common::story::fails(
        &b,
        &["channel", "request-inbound", &poor_server.url, "100000"],
        1,
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("server_cannot_fund"),
        "{err}"
    );
    no_channels(&b);
    let all = b.ok(&["channel", "list", "--all"])["channels"].clone();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all[0]["status"], "abandoned", "{all}");
    assert_eq!(b.ok(&["wallet", "balance"])["total_sat"], 0);
}

/// Issue 12, item 5: an open whose funding transaction was published is never hidden,
/// whatever S answers after (here a hostile S refuses to hear of the funding): the channel
/// stays in `channel list` with its funding outpoint and the money in it, and once S hears
/// of the funding (the next update resends it) the channel works.
#[test]
fn an_open_whose_funding_was_published_is_never_hidden() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let refusing = Arc::new(Mutex::new(true));
    let proxy = {
        let refusing = refusing.clone();
        meddling_proxy(server.url.clone(), move |m| {
            (matches!(m, Message::FundingPublished(_)) && *refusing.lock().unwrap())
                .then(|| refusal("funding_refused", "S will not hear of this funding"))
        })
    };
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    let err = common::story::fails(&a, &["channel", "open", &proxy, "200000"], 1);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("will not hear"),
        "{err}"
    );
    assert!(
        err["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("the channel is kept"),
        "{err}"
    );
    let mempool = env.ledger().mempool().unwrap();
    assert_eq!(mempool.len(), 1, "the funding was published");
    env.mine(1);
    for listed in [
        a.ok(&["channel", "list"])["channels"].clone(),
        a.ok(&["channel", "list", "--all"])["channels"].clone(),
    ] {
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert!(listed[0]["funding_outpoint"].is_string(), "{listed}");
        assert_eq!(listed[0]["client_sat"], 200_000, "{listed}");
        assert_ne!(listed[0]["status"], "closed", "{listed}");
    }
    let id = a.ok(&["channel", "list"])["channels"].clone()[0]["channel_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outpoint: OutPoint = a.ok(&["channel", "show", &id])["funding_outpoint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let funding = env.ledger().tx(&outpoint.txid).unwrap().unwrap().tx;
    assert_eq!(
        funding.output[outpoint.vout as usize].value.to_sat(),
        200_000
    );

    // S listens again: the next update tells it of the funding first, and goes through.
    *refusing.lock().unwrap() = false;
    let pushed = a.ok(&["channel", "push", &id, "1000"]);
    assert_eq!(
        (pushed["client_sat"].as_u64(), pushed["server_sat"].as_u64()),
        (Some(199_000), Some(1_000))
    );
}

/// Attacker review of S's closes: S wrote a channel closing when it signed a cooperative
/// close, before publishing it; a close the node refused (one paying 1 sat, below the relay
/// fee) left the channel closing at S for good, its funding unspent (S's coins in an
/// inbound channel locked, and a payer's closing channel holding one of S's fee coins). S
/// now refuses a close below the relay fee before it signs anything, and the channel stays
/// open on both sides; one that pays its relay goes through as before.
#[test]
fn s_signs_no_close_the_node_would_refuse() {
    use asyncpay::server::ServerChannel;
    let st = common::story::Story::new(&[]);
    let out =
        st.a.cmd(&["channel", "close", &st.a_channel, "--fee", "1"])
            .output()
            .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("fee_too_low"), "{text}");
    let at_s = common::procs::records::<ServerChannel>(&st.s)
        .into_iter()
        .find(|c| c.channel.id().to_string() == st.a_channel)
        .unwrap();
    assert_eq!(
        at_s.channel.status(),
        asyncpay::protocol::ChannelStatus::Open
    );
    assert_eq!(
        st.a.ok(&["channel", "show", &st.a_channel])["status"],
        "open"
    );
    st.a.ok(&["channel", "close", &st.a_channel, "--fee", "500"]);
    st.env.mine(1);
    assert_eq!(
        st.a.ok(&["channel", "show", &st.a_channel])["status"],
        "closed"
    );
}

/// The package rate, in sat/vB (rounded down), of `txid` waiting in the mempool with its
/// children.
fn package_rate(env: &Env, txid: &Txid) -> u64 {
    env.ledger()
        .mempool_entry(txid)
        .unwrap()
        .expect("in the mempool")
        .package_rate()
        .to_sat_per_vb_floor()
}

/// Waits (up to 20 s) for S's watcher to bring the package of `txid` to `rate` sat/vB or
/// more; returns the rate it reached.
fn package_reaches(env: &Env, txid: &Txid, rate: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = package_rate(env, txid);
        if now >= rate || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A funding S published, left behind by the fees of the day: S funds an inbound channel
/// at 2 sat/vB, then fees rise (its node estimates 20 sat/vB) and busy blocks pass the
/// funding by. It waited for good before, S's coins and its client's channel with it. Now
/// the first block that passes it by, S pays the estimate through a child of the
/// funding's change; after six more, half again (the child replaced each time), up to
/// twice the estimate and no further however dear the blocks; the next block that takes
/// that rate confirms it. A funding S makes at such a time goes out at the estimate, not
/// at S's old setting.
#[test]
fn s_pays_more_for_a_funding_the_fees_left_behind() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let keys = PartySecrets::from_seed(61);
    let mut rand = Rand(0, "funding-left-behind");
    let funded = |url: &str, n: u32, rand: &mut Rand| -> Txid {
        let (_, replies) =
            stranger(url, 61).open_and_sign_state_zero(n, &keys, Party::Server, CAPACITY, rand);
        match replies.as_slice() {
            [Message::FundingPublished(f)] => f.outpoint().unwrap().txid,
            other => panic!("{other:?}"),
        }
    };
    let funding = funded(&server.url, 0, &mut rand);
    assert_eq!(package_rate(&env, &funding), 2);
    drop(server);

    // Fees rise.
    let server = Server::start_with(&s, "0", &["--anchor-fee-rate", "20"], None);
    let busy = |n: u32, rate: u64| {
        env.ledger()
            .mine_busy(n, bitcoin::FeeRate::from_sat_per_vb(rate).unwrap())
            .unwrap();
    };
    let confirmed = || {
        env.ledger()
            .tx(&funding)
            .unwrap()
            .unwrap()
            .confirmation_height
            .is_some()
    };
    busy(1, 30);
    assert!(!confirmed(), "the busy block left it out");
    // A block passed it by: S pays the estimate.
    assert_eq!(package_reaches(&env, &funding, 20), 20);
    busy(5, 30);
    assert!(!confirmed(), "20 sat/vB is not enough for these blocks");
    // Twenty watcher passes: five blocks are not yet six.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(package_rate(&env, &funding), 20);
    // Six blocks: half again, 31 sat/vB.
    busy(1, 30);
    assert_eq!(package_reaches(&env, &funding, 31), 31);
    let children = env
        .ledger()
        .mempool_entry(&funding)
        .unwrap()
        .unwrap()
        .spent_by;
    assert_eq!(children.len(), 1, "each child replaced the one before");
    // Dearer blocks: S goes up to twice the estimate, no further.
    busy(6, 100);
    assert_eq!(package_reaches(&env, &funding, 40), 40);
    busy(12, 100);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(!confirmed());
    assert_eq!(
        package_rate(&env, &funding),
        40,
        "at most twice the estimate"
    );
    busy(1, 40);
    assert!(confirmed(), "the funding confirmed");

    // A funding made now goes out at the estimate.
    let second = funded(&server.url, 1, &mut rand);
    assert!(
        package_rate(&env, &second) >= 19,
        "{}",
        package_rate(&env, &second)
    );
    drop(server);
}

/// A client's own funding that left the node's mempool unconfirmed (a node that restarted
/// without its mempool, or evicted it): before, nothing ever published it again, and the
/// channel waited for good at A while A's wallet took its coins back. A's next command
/// that looks at the channel publishes it again, and the block that confirms it opens the
/// channel. Not so where A's wallet spent the coins meanwhile (a payment A made must not
/// be replaced by the funding, even one paying a higher rate, nor take its coins once the
/// node lost that payment too), nor once S would have forgotten the channel (its coins
/// would wait for a force close).
#[test]
fn a_clients_funding_the_node_lost_is_published_again() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    let server = Server::start(&s);
    let open = |sat: &str, rate: &str| {
        let opened = a.ok(&["channel", "open", &server.url, sat, "--fee-rate", rate]);
        let funding: Txid = opened["funding_outpoint"].as_str().unwrap()[..64]
            .parse()
            .unwrap();
        (opened["channel_id"].as_str().unwrap().to_owned(), funding)
    };
    let in_mempool = |txid: &Txid| {
        env.ledger()
            .mempool()
            .unwrap()
            .iter()
            .any(|t| t.compute_txid() == *txid)
    };
    let (id, funding) = open("200000", "2");
    assert!(in_mempool(&funding));
    assert_eq!(env.ledger().expire(&funding).unwrap(), vec![funding]);
    let (code, shown, notes) = a.human(&["channel", "show", &id]);
    assert_eq!(code, 0, "{shown}");
    assert!(in_mempool(&funding), "A published it again: {notes}");
    assert!(notes.contains("published again"), "{notes}");
    env.mine(1);
    assert_eq!(a.ok(&["channel", "show", &id])["status"], "open");

    // Lost again, on a second channel at 10 sat/vB; A's wallet pays someone with its coins
    // at 2 sat/vB meanwhile: the funding would replace the payment, so it is not published.
    let (second, second_funding) = open("100000", "10");
    assert!(!env.ledger().expire(&second_funding).unwrap().is_empty());
    let to = env.wallet("elsewhere").ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let spendable = a.ok(&["wallet", "balance"])["spendable_sat"]
        .as_u64()
        .unwrap();
    let sent = a.ok(&["wallet", "send", &to, &(spendable - 1_000).to_string()]);
    let payment: Txid = sent["txid"].as_str().unwrap().parse().unwrap();
    let (code, _, notes) = a.human(&["channel", "show", &second]);
    assert_eq!(code, 0, "{notes}");
    assert!(in_mempool(&payment), "the payment stays: {notes}");
    assert!(!in_mempool(&second_funding), "{notes}");
    assert!(
        notes.contains(&format!("{payment} of this wallet spends its coins")),
        "{notes}"
    );
    // Nor once the payment too left the mempool: the funding must not take its coins.
    assert!(!env.ledger().expire(&payment).unwrap().is_empty());
    let (_, _, notes) = a.human(&["channel", "show", &second]);
    assert!(!in_mempool(&second_funding), "{notes}");
    assert!(notes.contains("not published again"), "{notes}");

    // A third, lost at once, looked at only 138 blocks after its open: not published again.
    fund(&a, &env, 300_000);
    let (third, third_funding) = open("100000", "2");
    assert!(!env.ledger().expire(&third_funding).unwrap().is_empty());
    env.mine(138);
    let (_, _, notes) = a.human(&["channel", "show", &third]);
    assert!(!in_mempool(&third_funding), "{notes}");
    assert!(notes.contains("not published again"), "{notes}");
    // Its coins are back in the wallet; once a payment spending them is six blocks deep,
    // the funding can never confirm, and the channel is closed.
    a.ok(&["wallet", "send", "--all", &to]);
    env.mine(5);
    assert_eq!(
        a.ok(&["channel", "show", &third])["status"],
        "awaiting_funding"
    );
    env.mine(1);
    let (_, shown, notes) = a.human(&["channel", "show", &third]);
    assert!(notes.contains("can never confirm"), "{notes}");
    assert!(shown.contains("closed"), "{shown}");

    // A funding that spends the change of a payment A made just before, both lost: the
    // user may have paid again meanwhile, so neither goes out again.
    let b = env.wallet("b2");
    fund(&b, &env, 300_000);
    let paid = b.ok(&["wallet", "send", &to, "50000"]);
    let payment: Txid = paid["txid"].as_str().unwrap().parse().unwrap();
    let opened = b.ok(&["channel", "open", &server.url, "100000"]);
    let fourth = opened["channel_id"].as_str().unwrap().to_owned();
    let funding = env
        .ledger()
        .mempool()
        .unwrap()
        .into_iter()
        .find(|t| t.input.iter().any(|i| i.previous_output.txid == payment))
        .expect("the funding spends the payment's change")
        .compute_txid();
    let lost = env.ledger().expire(&payment).unwrap();
    assert!(
        lost.contains(&payment) && lost.contains(&funding),
        "{lost:?}"
    );
    let (_, _, notes) = b.human(&["channel", "show", &fourth]);
    assert!(
        !in_mempool(&payment) && !in_mempool(&funding),
        "nothing went out again: {notes}"
    );
    assert!(
        notes.contains(&format!("{payment} of this wallet")),
        "{notes}"
    );
    drop(server);
}

/// A funding S published that left the node's mempool unconfirmed (it waited two weeks,
/// or a full mempool evicted it): before, it was gone for good, its channel awaiting
/// funding at S for ever and its capacity counted against S's total. S now publishes it
/// again. And where S's wallet spent its coins elsewhere meanwhile (the wallet freed them
/// when the funding left the mempool), the channel is forgotten once that spend is six
/// blocks deep: S's limit on the capacity it funds has room again.
#[test]
fn s_publishes_a_dropped_funding_again_and_forgets_one_that_cannot_confirm() {
    let env = Env::new();
    let s = env.wallet("s");
    common::story::server_init_with(&s, &[("--max-inbound", &CAPACITY.to_string())]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let keys = PartySecrets::from_seed(62);
    let mut rand = Rand(0, "funding-dropped");
    let open = |url: &str, n: u32, rand: &mut Rand| {
        stranger(url, 62).open_and_sign_state_zero(n, &keys, Party::Server, CAPACITY, rand)
    };
    let (_, replies) = open(&server.url, 0, &mut rand);
    let [Message::FundingPublished(f)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    let funding = f.outpoint().unwrap().txid;
    let in_mempool = || {
        env.ledger()
            .mempool()
            .unwrap()
            .iter()
            .any(|t| t.compute_txid() == funding)
    };
    assert!(in_mempool());
    // A block goes by, then the node drops it.
    env.ledger()
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb(10).unwrap())
        .unwrap();
    assert_eq!(env.ledger().expire(&funding).unwrap(), vec![funding]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !in_mempool() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(in_mempool(), "S published its funding again");

    // Dropped again while S is away, and S's wallet spends the coins elsewhere.
    drop(server);
    assert!(!env.ledger().expire(&funding).unwrap().is_empty());
    let elsewhere = env.wallet("elsewhere");
    let to = elsewhere.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = s.ok(&["wallet", "send", &to, "50000"]);
    let spend: Txid = sent["txid"].as_str().unwrap().parse().unwrap();
    let funding_tx = env.ledger().tx(&funding).unwrap();
    assert!(funding_tx.is_none(), "the funding is gone");
    env.mine(5);
    // Five blocks deep: S still waits (and the funding stays counted).
    let server = Server::start(&s);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let err = stranger(&server.url, 62)
        .open(1, &keys, Party::Server, CAPACITY, 0)
        .unwrap_err();
    assert!(err.contains("server_cannot_fund"), "{err}");
    // Six: the channel is forgotten, and S funds another.
    env.mine(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match stranger(&server.url, 62).open(1, &keys, Party::Server, CAPACITY, 0) {
            Ok(_) => break,
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.contains("server_cannot_fund"), "{e}");
                // (Well within S's limit on requests per node.)
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Err(e) => panic!("S never forgot the channel: {e}"),
        }
    }
    drop(server);
    let at_s = common::procs::records::<asyncpay::server::ServerChannel>(&s);
    let first = at_s
        .iter()
        .find(|c| c.channel.funding_outpoint().map(|o| o.txid) == Some(funding))
        .unwrap();
    assert_eq!(
        first.channel.status(),
        asyncpay::protocol::ChannelStatus::Closed
    );
    assert!(
        env.ledger()
            .tx(&spend)
            .unwrap()
            .unwrap()
            .confirmation_height
            .is_some(),
        "S's spend confirmed"
    );
}

/// Attacker review of the funding bumps: S's second funding spent the first's change (S's
/// only coin then), and S took it for its own fee child of the first funding: the
/// "replacement" evicted the second funding from the mempool, for good. S now bumps only
/// a child of its own that pays only to itself; a funding chained on another's change is
/// left alone (it pays for the first one too), and gets a child of its own.
#[test]
fn s_bumps_no_funding_into_evicting_another() {
    let env = Env::new();
    let s = env.wallet("s");
    server_init(&s, None);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let keys = PartySecrets::from_seed(63);
    let mut rand = Rand(0, "fundings-chained");
    let mut fundings = Vec::new();
    for n in 0..2 {
        let (_, replies) = stranger(&server.url, 63 + n as u8).open_and_sign_state_zero(
            n,
            &keys,
            Party::Server,
            CAPACITY,
            &mut rand,
        );
        let [Message::FundingPublished(f)] = replies.as_slice() else {
            panic!("{replies:?}")
        };
        fundings.push(f.outpoint().unwrap().txid);
    }
    let second = env.ledger().tx(&fundings[1]).unwrap().unwrap().tx;
    assert!(
        second
            .input
            .iter()
            .any(|i| i.previous_output.txid == fundings[0]),
        "the second funding spends the first's change"
    );
    drop(server);
    let server = Server::start_with(&s, "0", &["--anchor-fee-rate", "20"], None);
    env.ledger()
        .mine_busy(1, bitcoin::FeeRate::from_sat_per_vb(30).unwrap())
        .unwrap();
    // The second gets a child at the estimate; the first is left as it is.
    assert_eq!(package_reaches(&env, &fundings[1], 20), 20);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mempool: Vec<Txid> = env
        .ledger()
        .mempool()
        .unwrap()
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    assert!(mempool.contains(&fundings[0]) && mempool.contains(&fundings[1]));
    assert_eq!(mempool.len(), 3, "two fundings and one child: {mempool:?}");
    env.mine(1);
    for f in &fundings {
        let confirmed = env.ledger().tx(f).unwrap().unwrap().confirmation_height;
        assert!(confirmed.is_some());
    }
    drop(server);
}
