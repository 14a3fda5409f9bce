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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use asyncpay::eltoo::Party;
use asyncpay::net::client::Client;
use asyncpay::protocol::{
    Channel, ChannelId, FundingPublished, Message, OpenChannel, OpenPolicy, WireKeys,
};
use asyncpay::server::{ChannelPolicy, Replies, ServerInfo};
use asyncpay::watch::{Alert, WatchOutcome};
use bitcoin::{Amount, OutPoint, ScriptBuf, Txid};
use serde_json::Value;

mod common;

use common::procs::{fund, Env, Server, Wallet};
use common::protocol::{accept_all, Rand};
use common::story::server_init;
use common::PartySecrets;

const CAPACITY: u64 = 100_000;

/// A stranger: a fresh node key and its signed HTTP client to `url`.
fn stranger(url: &str, seed: u8) -> Client {
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[seed; 32]).unwrap();
    Client::new(url, key, None).unwrap()
}

fn post(client: &Client, m: Message) -> Result<Vec<Message>, String> {
    let body: Value = serde_json::from_slice(&m.encode()).unwrap();
    let replies: Replies = client
        .post("/v1/channel-messages", &body)
        .map_err(|e| e.to_string())?;
    Ok(replies
        .messages
        .iter()
        .map(|v| Message::decode(&serde_json::to_vec(v).unwrap()).unwrap())
        .collect())
}

fn open_msg(id: u8, n: u32, keys: &PartySecrets, funder: Party, push: u64) -> OpenChannel {
    let mut channel_id = [id; 32];
    channel_id[..4].copy_from_slice(&n.to_be_bytes());
    OpenChannel {
        channel_id: ChannelId(channel_id),
        client_keys: WireKeys::from(&keys.keys()),
        capacity_sat: CAPACITY,
        funder,
        push_sat: push,
        shared_delay: None,
    }
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
        let err = post(
            &mallory,
            Message::OpenChannel(open_msg(7, n, &keys, Party::Server, push)),
        )
        .unwrap_err();
        assert!(
            err.contains("open_refused") && err.contains("push_sat must be 0"),
            "{err}"
        );
    }
    let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
    assert!(mine.is_empty(), "no channel was made: {mine:?}");
    assert!(env.ledger().with_chain(|c| c.mempool().is_empty()).unwrap());
    drop(server);
    assert_eq!(balance(&s), 1_000_000);
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
        let err = post(
            &greedy,
            Message::OpenChannel(open_msg(9, n, &keys, Party::Server, 0)),
        )
        .unwrap_err();
        assert!(err.contains("inbound_refused"), "open {n}: {err}");
        assert!(err.contains("channel you fund yourself"), "{err}");
    }
    // Twenty Sybils (fresh node ids) fare no better.
    for seed in 100..120u8 {
        let err = post(
            &stranger(&server.url, seed),
            Message::OpenChannel(open_msg(seed, 0, &keys, Party::Server, 0)),
        )
        .unwrap_err();
        assert!(err.contains("inbound_refused"), "{err}");
    }
    // Sixty opens it would fund itself and never does: the per-node limit (16) hits (an
    // unfunded open earns no request budget of its own: 100 per 120 s, item 15).
    let mut accepted = 0;
    let mut refused = 0;
    for n in 100..160 {
        match post(
            &mallory,
            Message::OpenChannel(open_msg(9, n, &keys, Party::Client, 0)),
        ) {
            Ok(_) => accepted += 1,
            Err(e) => {
                assert!(e.contains("too_many_unfunded"), "{e}");
                assert!(e.contains("forgotten 144 blocks"), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (16, 44));
    let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
    assert_eq!(mine.len(), 16);
    assert!(mine.iter().all(|c| c["status"] == "opening"));

    // 144 blocks later the never-funded opens are forgotten, and the node may open again.
    env.mine(144);
    post(
        &mallory,
        Message::OpenChannel(open_msg(9, 500, &keys, Party::Client, 0)),
    )
    .unwrap();
    let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
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
        post(
            &stranger(&server.url, seed),
            Message::OpenChannel(open_msg(seed, 0, &keys, Party::Server, 0)),
        )
        .unwrap();
    }
    let err = post(
        &stranger(&server.url, 52),
        Message::OpenChannel(open_msg(52, 0, &keys, Party::Server, 0)),
    )
    .unwrap_err();
    assert!(err.contains("server_cannot_fund"), "{err}");
    assert!(err.contains("over its total of 250000 sat"), "{err}");
    drop(server);
    assert_eq!(balance(&s), 1_000_000);
}

/// Mallory opens a channel it says it funds and signs state 0 with S, all over signed HTTP;
/// returns its side of the channel.
fn open_and_sign_state_zero(mallory: &Client, keys: &PartySecrets, rand: &mut Rand) -> Channel {
    let open = open_msg(11, 0, keys, Party::Client, 0);
    let accept = match post(mallory, Message::OpenChannel(open.clone()))
        .unwrap()
        .pop()
    {
        Some(Message::AcceptChannel(a)) => a,
        other => panic!("{other:?}"),
    };
    let c = Channel::on_accept_channel(&open, &accept).unwrap();
    let (c, proposal) = c.propose(c.initial_state(), rand.next()).unwrap();
    let accepted = match post(mallory, Message::UpdateProposal(proposal))
        .unwrap()
        .pop()
    {
        Some(Message::UpdateAccept(a)) => a,
        other => panic!("{other:?}"),
    };
    let c = c.on_accept(&accepted).unwrap();
    let (c, _) = c.sign(keys.funding).unwrap();
    let ours = c.update_signature().unwrap();
    let theirs = match post(mallory, Message::UpdateSignature(ours)).unwrap().pop() {
        Some(Message::UpdateSignature(s)) => s,
        other => panic!("{other:?}"),
    };
    c.on_signature(&theirs).unwrap()
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
    let c = open_and_sign_state_zero(&mallory, &keys, &mut rand);
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
        post(
            &mallory,
            Message::FundingPublished(FundingPublished {
                channel_id: c.id(),
                funding_outpoint: outpoint.to_string(),
            }),
        )
    };
    for (fake, why) in fakes {
        let err = tell(fake).unwrap_err();
        assert!(err.contains(why), "{fake}: {err}");
        let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
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
    let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
    assert_eq!(mine[0]["status"], "awaiting funding");

    // The real funding is accepted and opens the channel.
    let good = env
        .ledger()
        .fund(&funding.script_pubkey, funding.value)
        .unwrap();
    tell(good).unwrap();
    env.mine(1);
    common::procs::eventually("S to count the funding", || {
        let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
        mine[0]["status"] == "open"
    });
    let mine: Vec<Value> = mallory.get("/v1/channels").unwrap();
    assert_eq!(mine[0]["funding_outpoint"], good.to_string());
    assert_eq!(mine[0]["server_sat"], 0);
    assert_eq!(mine[0]["client_sat"], CAPACITY);
}

/// A lying S: it speaks the protocol honestly up to state 0, then names a funding outpoint
/// that is not the channel's. One HTTP/1.1 request per connection.
struct LyingServer {
    url: String,
    lie: Arc<Mutex<OutPoint>>,
}

impl LyingServer {
    fn start() -> LyingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let lie = Arc::new(Mutex::new(OutPoint::null()));
        let told = lie.clone();
        std::thread::spawn(move || {
            let secrets = PartySecrets::from_seed(200);
            let mut rand = Rand(0, "lying-server");
            let mut channels: std::collections::HashMap<ChannelId, Channel> = Default::default();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let mut length = 0;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h == "\r\n" || h.is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let reply: Value = if path == "/v1/info" {
                    serde_json::to_value(ServerInfo {
                        node_id: asyncpay::keys::NodeId(
                            bitcoin::secp256k1::PublicKey::from_secret_key(
                                &bitcoin::secp256k1::Secp256k1::new(),
                                &bitcoin::secp256k1::SecretKey::from_slice(&[5; 32]).unwrap(),
                            ),
                        ),
                        network: "regtest".into(),
                        version: "0".into(),
                        policy: ChannelPolicy {
                            minimum_depth: 1,
                            ..ChannelPolicy::default()
                        },
                        watcher: None,
                    })
                    .unwrap()
                } else {
                    let out = match Message::decode(&body).unwrap() {
                        Message::OpenChannel(o) => {
                            let (ch, a) = Channel::accept_open(
                                &o,
                                &secrets.keys(),
                                &OpenPolicy {
                                    minimum_depth: 1,
                                    ..OpenPolicy::default()
                                },
                            )
                            .unwrap();
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
                let text = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        LyingServer { url, lie }
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
    let list = b.ok(&["channel", "list"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for ch in list {
        assert_eq!(ch["status"], "awaiting funding", "{ch}");
        assert!(ch["funding_outpoint"].is_null(), "{ch}");
        assert_eq!(ch["client_sat"], 0);
    }
    // B's wallet holds nothing and lost nothing.
    assert_eq!(b.ok(&["wallet", "balance"])["total_sat"], 0);
}
