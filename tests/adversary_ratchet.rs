//! The adversary against S's inbound policy and S's wallet (issue 9, items 2 and 12, after
//! the attacker review): real `server run` on 127.0.0.1, signed HTTP, the real regtest
//! ledger, money and counts checked exactly.
//!
//! - **Recycled stake.** Under the `stake` policy a node stakes a channel, gets inbound
//!   capacity, closes the stake and moves the same coins to a Sybil that does it again: S
//!   counts inbound against live stake only and closes the uncovered inbound after its notice.
//! - **Idle dodge.** A node S funded makes a no-op update (state 1 moving nothing) and leaves
//!   a proposal hanging: the channel received nothing, so S still closes it as idle.
//! - **Junk opens burn no address.** A thousand opens that are never funded reveal no run of
//!   S's change addresses: a real channel's payout to S is found by `init --restore` of S's
//!   seed on a fresh data dir. Refused requests burn none of a client's addresses either.

use std::io::Write;
use std::process::Stdio;

use asyncpay::eltoo::Party;
use asyncpay::net::client::Client;
use asyncpay::protocol::Message;
use serde_json::Value;

mod common;

use common::hostile::{secret, Hostile};
use common::procs::{channel_id, eventually, fund, to_node, value_at, Env, Server, Wallet};
use common::protocol::Rand;
use common::story::keys_of;
use common::PartySecrets;

/// A stranger: a fresh node key speaking signed HTTP to `url`.
fn stranger(url: &str, seed: u16) -> Hostile {
    Hostile::new(url, secret(0x07, seed))
}

/// `server init` with the story's delays (15 for client-funded channels, 6 for channels S
/// funds, a budget of 1 block, one confirmation) and `extra`.
fn init_s(s: &Wallet, extra: &[&str]) {
    let mut args = vec![
        "server",
        "init",
        "--shared-delay",
        "15",
        "--min-shared-delay",
        "2",
        "--inbound-shared-delay",
        "6",
        "--confirmation-budget",
        "1",
        "--min-confirmations",
        "1",
    ];
    args.extend_from_slice(extra);
    s.ok(&args);
}

fn total(w: &Wallet) -> u64 {
    w.ok(&["wallet", "balance"])["total_sat"].as_u64().unwrap()
}

/// The wallet's unspent outputs as (amount, keychain, index).
fn utxos(w: &Wallet) -> Vec<(u64, String, u64)> {
    w.ok(&["wallet", "utxos"])["utxos"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["amount_sat"].as_u64().unwrap(),
                u["keychain"].as_str().unwrap().to_owned(),
                u["index"].as_u64().unwrap(),
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

/// A channel of `w` as its client lists it.
fn show(w: &Wallet, id: &str) -> Value {
    w.ok(&["channel", "show", id])
}

/// The channel `id` as S reports it to its client over the API (`GET /v1/channels`).
/// Waits until S lists the channel `id` as open: S counts a stake once its own watcher has
/// seen the funding confirmed, and its pass runs on a timer, so it may follow the client's
/// own view by a moment.
fn s_counts_open(api: &Client, id: &str) {
    eventually("S to count the stake as open", || {
        let theirs: Vec<Value> = api.get("/v1/channels").unwrap();
        listed(&theirs, id)["status"] == "open"
    });
}

fn listed(client_channels: &[Value], id: &str) -> Value {
    client_channels
        .iter()
        .find(|c| c["channel_id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("S does not list {id}: {client_channels:?}"))
}

/// Mines one block at a time (at most `max`) until `f` holds; S's watcher gets time to act
/// after each block.
fn mine_until(env: &Env, max: u32, what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..max {
        if f() {
            return;
        }
        env.mine(1);
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(f(), "{what} after {max} blocks");
}

fn refused(w: &Wallet, args: &[&str]) -> String {
    let out = w.cmd(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "asyncpay {args:?} succeeded: {text}");
    text
}

/// Item 2, stake recycling: a stakes 100 000 sat, gets 100 000 of inbound, closes its stake
/// and hands the coins to its Sybil b, which stakes and gets inbound again. Only b's inbound
/// is covered by a live stake: S tells a, then force-closes a's inbound after the notice and
/// gets its 100 000 sat back; b's stays. a gets no inbound without a stake.
#[test]
fn recycled_stake_does_not_keep_inbound() {
    let env = Env::new();
    let s = env.wallet("s");
    init_s(&s, &["--inbound-notice-blocks", "20"]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let url = server.url.clone();

    let a = env.wallet("a");
    fund(&a, &env, 300_000);
    let a_stake = channel_id(&a.ok(&["channel", "open", &url, "100000"]));
    env.mine(1);
    eventually("a's stake to open", || {
        show(&a, &a_stake)["status"] == "open"
    });
    let a_api = Client::new(&url, keys_of(&a).node_secret(), None).unwrap();
    s_counts_open(&a_api, &a_stake);
    let a_inbound = channel_id(&a.ok(&["channel", "request-inbound", &url, "100000"]));
    env.mine(1);
    // More than the stake is refused.
    let text = refused(&a, &["channel", "request-inbound", &url, "1000"]);
    assert!(text.contains("inbound_refused"), "{text}");
    // The stake goes away (a cooperative close); the inbound S funded against it stays
    // for now: S shows a the close it is going to make, and why.
    a.ok(&["channel", "close", &a_stake, "--fee", "500"]);
    let closed_at = env.ledger().tip().unwrap().height;
    eventually("S to give a notice", || {
        let mine: Vec<Value> = a_api.get("/v1/channels").unwrap();
        let notice = &listed(&mine, &a_inbound)["close_notice"];
        notice["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stake"))
    });
    let mine: Vec<Value> = a_api.get("/v1/channels").unwrap();
    let notice = listed(&mine, &a_inbound)["close_notice"].clone();
    assert_eq!(notice["at_height"], closed_at + 20, "{notice}");
    assert!(
        notice["reason"]
            .as_str()
            .unwrap()
            .contains("close this one cooperatively"),
        "{notice}"
    );
    env.mine(1);
    // The same coins, now b's: b stakes them and asks for inbound in turn.
    let b = env.wallet("b");
    let b_address = b.ok(&["wallet", "address"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    a.ok(&["wallet", "send", &b_address, "150000"]);
    env.mine(1);
    let b_stake = channel_id(&b.ok(&["channel", "open", &url, "100000"]));
    env.mine(1);
    eventually("b's stake to open", || {
        show(&b, &b_stake)["status"] == "open"
    });
    let b_api = Client::new(&url, keys_of(&b).node_secret(), None).unwrap();
    s_counts_open(&b_api, &b_stake);
    let b_inbound = channel_id(&b.ok(&["channel", "request-inbound", &url, "100000"]));
    env.mine(1);
    // b's inbound is covered: its only notice is the far idle close (4032 blocks).
    eventually("S to see b's inbound open", || {
        let theirs: Vec<Value> = b_api.get("/v1/channels").unwrap();
        listed(&theirs, &b_inbound)["close_notice"].is_object()
    });
    let theirs: Vec<Value> = b_api.get("/v1/channels").unwrap();
    let b_notice = listed(&theirs, &b_inbound)["close_notice"].clone();
    assert!(
        b_notice["reason"]
            .as_str()
            .unwrap()
            .contains("nothing has been paid"),
        "{b_notice}"
    );
    let tip = env.ledger().tip().unwrap().height;
    assert_eq!(b_notice["at_height"], tip + 4032, "{b_notice}");
    // Without a live stake a gets nothing more.
    let text = refused(&a, &["channel", "request-inbound", &url, "1000"]);
    assert!(text.contains("inbound_refused"), "{text}");

    // After the notice S force-closes a's inbound; its whole capacity comes back to S.
    let s_payout = to_node(&s, 1);
    mine_until(&env, 60, "S's force close of a's inbound", || {
        value_at(&env, &s_payout) == 100_000
    });
    assert_eq!(value_at(&env, &s_payout), 100_000);
    let mine: Vec<Value> = a_api.get("/v1/channels").unwrap();
    assert_eq!(listed(&mine, &a_inbound)["status"], "closed");
    // b's inbound is covered by b's live stake: untouched.
    let theirs: Vec<Value> = b_api.get("/v1/channels").unwrap();
    assert_eq!(listed(&theirs, &b_inbound)["status"], "open");
    assert_eq!(listed(&theirs, &b_stake)["status"], "open");
    assert_eq!(value_at(&env, &to_node(&s, 3)), 0);
    drop(server);
    // S: faucet - b's inbound - the two funding fees + a's inbound returned in full.
    let fees: u64 = s.ok(&["wallet", "transactions"])["transactions"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["fee_sat"].as_u64())
        .sum();
    assert_eq!(total(&s), 1_000_000 - 100_000 - fees);
}

/// Item 2, idle dodge: a node S funded moves nothing (a no-op state 1) and leaves another
/// proposal hanging. Nothing was ever paid into it, so S closes it as idle and takes its
/// capacity back to the satoshi.
#[test]
fn a_no_op_update_does_not_dodge_the_idle_close() {
    let env = Env::new();
    let s = env.wallet("s");
    init_s(&s, &["--inbound", "anyone", "--idle-inbound-blocks", "10"]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let mallory = stranger(&server.url, 1);
    let keys = PartySecrets::from_seed(41);
    let mut rand = Rand(0, "adversary-ratchet");
    let (c, replies) =
        mallory.open_and_sign_state_zero(0, &keys, Party::Server, 100_000, &mut rand);
    let funded = match &replies[..] {
        [Message::FundingPublished(f)] => f.clone(),
        other => panic!("{other:?}"),
    };
    let c = c.on_funding_published(&funded).unwrap();
    env.mine(1);
    eventually("the channel to open", || {
        let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
        mine[0]["status"] == "open"
    });
    // Mallory's side counts the confirmation too.
    let outcome = asyncpay::watch::watch_ledger(&c, &env.ledger()).unwrap();
    let c = asyncpay::watch::next_channel(&c, &outcome)
        .unwrap()
        .expect("the funding confirmed");
    // State 1 moves nothing.
    let mut noop = c.latest().unwrap().state.clone();
    noop.number = 1;
    let (c, _) = mallory.update(c, noop, &keys, &mut rand);
    assert_eq!(c.latest().unwrap().state.number, 1);
    // And a proposal for state 2 that mallory never signs.
    let mut hang = c.latest().unwrap().state.clone();
    hang.number = 2;
    let (_, proposal) = c.propose(hang, rand.next()).unwrap();
    assert!(matches!(
        mallory
            .post(Message::UpdateProposal(proposal))
            .unwrap()
            .pop(),
        Some(Message::UpdateAccept(_))
    ));
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(
        (mine[0]["state"].clone(), mine[0]["client_sat"].clone()),
        (1.into(), 0.into())
    );

    let s_payout = to_node(&s, 0);
    mine_until(&env, 40, "S's idle close", || {
        value_at(&env, &s_payout) == 100_000
    });
    let mine: Vec<Value> = mallory.client.get("/v1/channels").unwrap();
    assert_eq!(mine[0]["status"], "closed");
    drop(server);
    let fees: u64 = s.ok(&["wallet", "transactions"])["transactions"]
        .clone()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["fee_sat"].as_u64())
        .sum();
    assert_eq!(total(&s), 1_000_000 - fees);
}

/// Item 12 against item 2's junk: 63 Sybils make a thousand opens S accepts (the limit for
/// all nodes together; eight more are refused) and never fund them. A real channel then
/// pays S 10 000 sat at its cooperative close. `init --restore` of S's seed on a fresh data
/// dir finds that payout, to the satoshi: the junk revealed no run of addresses.
#[test]
fn a_thousand_junk_opens_do_not_hide_s_payout_from_a_restore() {
    let env = Env::new();
    let s = env.wallet("s");
    init_s(&s, &["--open-expiry-blocks", "3"]);
    fund(&s, &env, 1_000_000);
    env.mine(1);
    let server = Server::start(&s);
    let keys = PartySecrets::from_seed(42);
    let started = std::time::Instant::now();
    // Four Sybil operators at once (S answers one request at a time; the exact counts do not
    // depend on the order: 16 per node, 1000 for all nodes together).
    let url = server.url.clone();
    let (accepted, busy) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4u16)
            .map(|w| {
                let (url, keys) = (&url, &keys);
                scope.spawn(move || {
                    let (mut accepted, mut busy) = (0, 0);
                    for seed in (0..63u16).filter(|s| s % 4 == w) {
                        let sybil = stranger(url, 100 + seed);
                        for n in 0..16 {
                            match sybil.open(n, keys, Party::Client, 100_000, 0) {
                                Ok(_) => accepted += 1,
                                Err(e) => {
                                    assert!(e.contains("server_busy"), "{e}");
                                    busy += 1;
                                }
                            }
                        }
                    }
                    (accepted, busy)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
    });
    assert_eq!((accepted, busy), (1000, 8));
    eprintln!("1008 opens in {:?}", started.elapsed());
    // The junk expires; a real client opens, pays S 10 000 sat and closes cooperatively.
    env.mine(3);
    let a = env.wallet("a");
    fund(&a, &env, 300_000);
    let ch = channel_id(&a.ok(&["channel", "open", &server.url, "100000"]));
    env.mine(1);
    eventually("a's channel to open", || show(&a, &ch)["status"] == "open");
    a.ok(&["channel", "push", &ch, "10000"]);
    a.ok(&["channel", "close", &ch, "--fee", "500"]);
    env.mine(1);
    let payout = to_node(&s, 1000);
    assert_eq!(value_at(&env, &payout), 10_000);
    drop(server);
    assert_eq!(total(&s), 1_010_000);
    // S's wallet is found again from its seed alone: the payout on the change chain at the
    // first index (a thousand opens, one address revealed).
    let restored = restore(&env, &s, "s-restored");
    assert_eq!(total(&restored), 1_010_000, "S restored from its seed");
    let found = utxos(&restored);
    assert!(
        found.contains(&(10_000, "change".to_owned(), 0)),
        "the restore did not find S's payout: {found:?}"
    );
}

/// The client side: requests S refuses burn none of the client's addresses; its first real
/// channel pays change address 0, and the next channel a fresh one.
#[test]
fn refused_requests_burn_no_client_address() {
    let env = Env::new();
    let s = env.wallet("s");
    init_s(&s, &[]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let b = env.wallet("b");
    fund(&b, &env, 300_000);
    for _ in 0..5 {
        let text = refused(&b, &["channel", "request-inbound", &server.url, "50000"]);
        assert!(text.contains("inbound_refused"), "{text}");
    }
    let keys = keys_of(&b);
    let secp = bitcoin::key::Secp256k1::verification_only();
    let address = |i: u32| {
        bitcoin::Address::p2tr(
            &secp,
            keys.channel_payout_key(i),
            None,
            bitcoin::Network::Regtest,
        )
        .to_string()
    };
    let first = channel_id(&b.ok(&["channel", "open", &server.url, "50000"]));
    assert_eq!(show(&b, &first)["payout_address"], address(0));
    // The first channel's funding change took index 1: the next payout is index 2.
    let second = channel_id(&b.ok(&["channel", "open", &server.url, "50000"]));
    assert_eq!(show(&b, &second)["payout_address"], address(2));
}

/// The idle rule's other side: a payment received into inbound S funded restarts the idle
/// clock (the close moves to `idle` blocks after S saw it), and the close, when it comes,
/// pays both sides their balances to the satoshi.
#[test]
fn a_payment_received_moves_the_idle_close() {
    let env = Env::new();
    let s = env.wallet("s");
    init_s(&s, &["--inbound", "anyone", "--idle-inbound-blocks", "10"]);
    fund(&s, &env, 1_000_000);
    let server = Server::start(&s);
    let url = server.url.clone();
    let a = env.wallet("a");
    fund(&a, &env, 500_000);
    a.ok(&["channel", "open", &url, "200000"]);
    let b = env.wallet("b");
    // B's fee reserve: it sells and claims only with the coins to enforce a claim on chain.
    fund(&b, &env, 100_000);
    let b_channel = channel_id(&b.ok(&["channel", "request-inbound", &url, "300000"]));
    env.mine(1);
    let funded_at = env.ledger().tip().unwrap().height;
    let b_api = Client::new(&url, keys_of(&b).node_secret(), None).unwrap();
    let notice = || {
        let mine: Vec<Value> = b_api.get("/v1/channels").unwrap();
        listed(&mine, &b_channel)["close_notice"].clone()
    };
    eventually("S to see B's inbound open", || notice().is_object());
    assert_eq!(notice()["at_height"], funded_at + 10);
    env.mine(5);
    let address = b.ok(&["address"])["address"].as_str().unwrap().to_owned();
    a.ok(&["pay", &address, "10000"]);
    let received = b.ok(&["receive"]);
    assert_eq!(received["payments"][0]["status"], "paid", "{received}");
    assert_eq!(show(&b, &b_channel)["client_sat"], 10_000);
    let paid_at = env.ledger().tip().unwrap().height;
    eventually("S to see the payment", || {
        notice()["at_height"] == paid_at + 10
    });
    // At the old idle height and up to the new one's eve, B's inbound stays open.
    let s_payout = to_node(&s, 1);
    let b_payout = to_node(&b, 0);
    env.mine(funded_at + 10 - paid_at);
    std::thread::sleep(std::time::Duration::from_secs(1));
    env.mine(paid_at + 9 - (funded_at + 10));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(show(&b, &b_channel)["status"], "open");
    let mine: Vec<Value> = b_api.get("/v1/channels").unwrap();
    assert_eq!(listed(&mine, &b_channel)["status"], "open");
    // From the new height on, S closes it: 290 000 back to S, 10 000 to B.
    mine_until(&env, 40, "S's idle close after the payment", || {
        value_at(&env, &s_payout) == 290_000
    });
    assert_eq!(value_at(&env, &b_payout), 10_000);
    let mine: Vec<Value> = b_api.get("/v1/channels").unwrap();
    assert_eq!(listed(&mine, &b_channel)["status"], "closed");
}
