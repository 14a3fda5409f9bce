//! Asynchronous payments in a network in one process (`tests/common/functional.rs`): several
//! payers, payees and servers, every client driven through the client engine over real HTTP
//! on 127.0.0.1, every server the real core and API.

#[path = "common/functional.rs"]
mod functional;
#[path = "common/pause.rs"]
mod pause;
#[path = "common/records.rs"]
mod records;

use asyncpay::client::{Direction, LocalStatus};
use asyncpay::server::payments::ServerPayment;
use functional::{create_network, SERVER_INIT};
use pause::{looks_since, while_s_waits_for_its_lock};

/// S asks 2 % (its `fee_ppm` raised to 20,000): more than a payer pays by default (1 %).
/// The payment is refused before anything is signed or recorded, and the payer's balance
/// is untouched; with `--max-fee` covering it, the same payment goes through and costs the
/// payer exactly the amount and that fee.
#[test]
fn a_fee_above_the_payers_cap_is_refused_before_anything_is_signed() {
    let mut net = create_network(1, 1, 1);
    net.servers[0].rerun_with(&format!("{SERVER_INIT} --fee-ppm 20000"));
    let balance = |net: &functional::Net| {
        let ch = &net.payers[0].engine().channels().unwrap()[0];
        let latest = ch.channel.latest().unwrap();
        (latest.state.client.to_sat(), ch.channel.pending().is_some())
    };
    let before = balance(&net);
    let e = net.try_pay(0, 0, 10_000, None).unwrap_err();
    assert!(
        e.message.contains("asks a fee of 200 sat (20000 ppm)"),
        "{e:?}"
    );
    assert!(e.message.contains("100 sat"), "{e:?}");
    assert!(net.payers[0].payments().is_empty());
    assert_eq!(balance(&net), before);
    // One satoshi short is refused too; the fee itself goes through.
    assert!(net.try_pay(0, 0, 10_000, Some(199)).is_err());
    let p = net.try_pay(0, 0, 10_000, Some(200)).unwrap();
    assert_eq!(net.receive(0)[0].status, LocalStatus::Paid);
    assert!(net.sync(0).iter().all(|p| p.status == LocalStatus::Paid));
    assert_eq!(net.payers[0].payments()[0].payment_id, p.payment_id);
    assert_eq!(balance(&net), (before.0 - 10_200, false));
}

/// A review of this wave: the payee decided a sale's PTLC expiry (and a claim's timing) on
/// its chain source's tip without asking whether the source had caught up with its
/// network. A node just restarted, when the payee comes online, shows an old tip: the
/// PTLC would look further from its expiry than it is. On a source still catching up the
/// payee sells nothing and says why; caught up, it sells and is paid.
#[test]
fn a_payee_sells_nothing_on_the_tip_of_a_source_still_catching_up() {
    use asyncpay::chain::source::Adjusted;
    let net = create_network(1, 1, 1);
    let paid = net.pay(0, 0, 10_000);
    let lagging = net.payees[0]
        .engine_on(|source| Box::new(Adjusted::catching_up(Box::new(source))))
        .receive(None, false)
        .unwrap();
    assert!(
        lagging
            .problems
            .iter()
            .any(|p| p.contains("still catching up")),
        "{:?}",
        lagging.problems
    );
    assert_eq!(
        net.payees[0].status_of(paid.payment_id),
        LocalStatus::Received
    );
    assert_eq!(net.receive(0)[0].status, LocalStatus::Paid);
}

/// A review of the fix above: `scalar_revealed_at` is written before `t` is sent, and a
/// claim with it set took whatever tip its source showed (an on-chain claim must not wait
/// for a node to catch up). A payee killed between that write and the send, back on a
/// source still catching up (an old tip, the expiry looking far), sent `t` to S off-chain.
/// It now sends nothing off-chain on such a tip: it force-closes to claim on chain, and S,
/// which never got `t`, cannot complete the payer's payment.
#[test]
fn a_payee_whose_scalar_may_have_left_sends_nothing_on_a_source_catching_up() {
    use asyncpay::chain::source::Adjusted;
    use asyncpay::protocol::ChannelStatus;
    let net = create_network(1, 1, 1);
    let paid = net.pay(0, 0, 10_000);
    let payee = net.payees[0].engine();
    payee.receive(None, true).unwrap();
    assert_eq!(net.payees[0].status_of(paid.payment_id), LocalStatus::Sold);
    crash_in("claim-proposed", &|| drop(payee.claim(None)));
    let claimed = net.payees[0]
        .engine_on(|source| Box::new(Adjusted::catching_up(Box::new(source))))
        .claim(None)
        .unwrap();
    assert!(
        claimed
            .problems
            .iter()
            .any(|p| p.contains("still catching up") && p.contains("force-closed")),
        "{:?}",
        claimed.problems
    );
    let channel = &net.payees[0].engine().channels().unwrap()[0];
    assert_eq!(channel.channel.status(), ChannelStatus::Closing);
    assert!(net.sync(0).iter().all(|p| p.status != LocalStatus::Paid));
}

/// A review of the delay check: it ran only at open. A channel keeps its delay; the
/// server's published budget (or the wallet's floor) may rise past it later. S here
/// raises its budget from 1 to 6 blocks after the payee's inbound channel was opened with
/// a delay of 6: the payee sells nothing into that channel and says why.
#[test]
fn a_payee_sells_nothing_into_a_channel_whose_delay_the_budget_reached() {
    let mut net = create_network(1, 1, 1);
    net.servers[0].rerun_with(
        "server init --shared-delay 60 --min-shared-delay 7 --inbound-shared-delay 12 \
         --confirmation-budget 6 --min-confirmations 1 --inbound anyone",
    );
    let paid = net.pay(0, 0, 10_000);
    let got = net.payees[0].engine().receive(None, false).unwrap();
    assert!(
        got.problems.iter().any(|p| p
            .contains("shared_delay of 6 blocks is not above the confirmation budget of 6 blocks")),
        "{:?}",
        got.problems
    );
    assert_eq!(
        net.payees[0].status_of(paid.payment_id),
        LocalStatus::Received
    );
}

/// Two payers pay two offline payees through one S, interleaved; every payment ends paid on
/// both sides and each payee's balance grows by exactly what it was paid.
#[test]
fn two_payers_two_payees_one_server() {
    let net = create_network(2, 2, 1);
    let before: Vec<u64> = (0..2).map(|j| net.payee_balance(j)).collect();
    // Both payees offline while four payments are made.
    let paid = [net.pay(0, 0, 10_000), net.pay(1, 1, 20_000)];
    for p in &paid {
        assert_eq!(p.status, LocalStatus::Pending, "{p:?}");
    }
    // Payee 1 comes online first, then payee 0.
    assert_eq!(net.receive(1)[0].status, LocalStatus::Paid);
    assert_eq!(net.receive(0)[0].status, LocalStatus::Paid);
    for i in 0..2 {
        let synced = net.sync(i);
        assert!(
            synced.iter().all(|p| p.status == LocalStatus::Paid),
            "{synced:?}"
        );
    }
    assert_eq!(net.payee_balance(0), before[0] + 10_000);
    assert_eq!(net.payee_balance(1), before[1] + 20_000);
    // A second round, crosswise.
    net.pay_and_settle(0, 1, 3_000);
    net.pay_and_settle(1, 0, 4_000);
    assert_eq!(net.payee_balance(0), before[0] + 14_000);
    assert_eq!(net.payee_balance(1), before[1] + 23_000);
    for payee in &net.payees {
        let incoming = payee.payments();
        assert_eq!(incoming.len(), 2);
        assert!(incoming
            .iter()
            .all(|p| p.direction == Direction::Incoming && p.status == LocalStatus::Paid));
    }
}

/// Group commit at S (ADR 0014): S's commits no longer sync one by one, yet nothing S
/// answers leaves before what S committed is on disk. Two payers pay at once, so that
/// requests wait for the same sync; after each answer (one at a time) nothing S wrote waits
/// for a sync.
#[test]
fn s_answers_only_what_is_on_disk_and_syncs_once_for_the_commits_waiting() {
    let net = create_network(2, 2, 1);
    let core = net.servers[0].running().core();
    let start = core.group_stats();
    net.pay(0, 0, 5_000);
    assert!(!core.durable_pending());
    net.receive(0);
    assert!(!core.durable_pending());
    net.sync(0);
    assert!(!core.durable_pending());
    let one = core.group_stats();
    assert!(one.commits > start.commits, "{one:?}");
    // At once (another payer's request may wait for a sync at any moment of these).
    std::thread::scope(|scope| {
        for i in 0..2 {
            let net = &net;
            scope.spawn(move || {
                for _ in 0..3 {
                    net.pay_and_settle(i, i, 1_000);
                }
            });
        }
    });
    assert!(!core.durable_pending());
    let all = core.group_stats();
    assert!(all.syncs <= all.commits, "{all:?}");
    for payer in &net.payers {
        assert!(payer
            .payments()
            .iter()
            .all(|p| p.status == asyncpay::client::LocalStatus::Paid));
    }
}

/// Two servers: each payee is reached through its own S, and a payer with a channel to
/// each pays both; neither S sees the other's payments.
#[test]
fn one_payer_two_payees_two_servers() {
    let net = create_network(1, 2, 2);
    net.pay_and_settle(0, 0, 5_000);
    net.pay_and_settle(0, 1, 6_000);
    let outgoing = net.payers[0].payments();
    assert_eq!(outgoing.len(), 2);
    let channels: std::collections::BTreeSet<_> =
        outgoing.iter().map(|p| p.channel_id.unwrap()).collect();
    assert_eq!(
        channels.len(),
        2,
        "each payment went over its payee's server"
    );
    for s in &net.servers {
        assert_eq!(s.records::<ServerPayment>().len(), 1, "{}", s.url());
    }
}

/// A payer creates a payment and cancels it by hand, never signing the state that restores
/// its balance, then asks for another over the same number or the next: S refuses it
/// (`restore_pending`). Otherwise a payer could create and cancel payments forever without
/// signing anything, each round adding to S's records. The payer's own `sync` signs the
/// restoring state, and the next payment goes through.
#[test]
fn a_payer_cannot_create_and_cancel_payments_without_restoring_its_balance() {
    use asyncpay::net::client::Client;
    use asyncpay::net::NetError;
    use asyncpay::server::payments::{CancelRequest, PaymentRequest, PaymentView};

    let net = create_network(1, 1, 1);
    let payer = &net.payers[0];
    let first = net.pay(0, 0, 5_000);
    let client = Client::new(
        net.servers[0].url(),
        payer.engine().keys().node_secret(),
        None,
    )
    .unwrap();
    let _: PaymentView = client
        .post(
            "/v1/payments/cancel",
            &CancelRequest {
                payment_id: first.payment_id,
            },
        )
        .unwrap();
    // The same payment again, as a new one over the superseded number itself (S takes a
    // supersede back only for a sale it withdrew), then over the number after it.
    for skip in [0, 1] {
        let mut again: PaymentRequest = first.request.clone().unwrap();
        again.payment_id = asyncpay::payment::PaymentId::random().unwrap();
        again.proposal.number += skip;
        again.proposal.state.number += skip;
        let refused = client
            .post::<_, serde_json::Value>("/v1/payments", &again)
            .unwrap_err();
        assert!(
            matches!(&refused, NetError::Api { code, .. } if code == "restore_pending"),
            "{refused}"
        );
    }
    // The payer's sync finishes its cancel (the restoring state is signed); it pays again.
    net.sync(0);
    assert_eq!(payer.status_of(first.payment_id), LocalStatus::Cancelled);
    assert_eq!(net.pay_and_settle(0, 0, 5_000).status, LocalStatus::Paid);
}

/// S's secret nonce of a cooperative close signs once, and lives in memory only: a second
/// `close/sign` (another fee, or the same after a restart, when an old copy of the channel's
/// file could have brought a stored nonce back) finds no close in progress. Two signatures
/// with one nonce would reveal S's funding key of the channel.
#[test]
fn the_servers_close_nonce_signs_once_and_never_outlives_the_process() {
    use asyncpay::net::client::Client;
    use asyncpay::net::NetError;
    use asyncpay::server::{CloseAccept, CloseRequest, CloseSign};

    let mut net = create_network(1, 0, 1);
    let payer = &net.payers[0];
    let channel = payer.engine().channels().unwrap().remove(0);
    let id = channel.channel.id();
    let secret = payer.engine().keys().node_secret();
    let client = |url: &str| Client::new(url, secret, None).unwrap();
    let request = |url: &str, fee_sat| -> CloseAccept {
        client(url)
            .post(
                "/v1/channels/close/request",
                &CloseRequest {
                    channel_id: id,
                    fee_sat,
                    nonce: "02".repeat(66),
                },
            )
            .unwrap()
    };
    let sign = |url: &str, fee_sat, server_nonce: &str| -> String {
        let err = client(url)
            .post::<_, serde_json::Value>(
                "/v1/channels/close/sign",
                &CloseSign {
                    channel_id: id,
                    fee_sat,
                    nonce: "02".repeat(66),
                    server_nonce: server_nonce.to_owned(),
                    partial_signature: "00".repeat(32),
                },
            )
            .unwrap_err();
        match err {
            NetError::Api { code, .. } => code,
            other => panic!("{other:?}"),
        }
    };
    let url = net.servers[0].url().to_owned();
    let accept = request(&url, 1_000);
    // Another fee than requested: refused, and the nonce is gone with the attempt.
    assert_eq!(sign(&url, 2_000, &accept.nonce), "stale_close");
    assert_eq!(sign(&url, 1_000, &accept.nonce), "no_close");
    // A fresh request, then S restarts: the nonce did not survive it.
    let accept = request(&url, 1_000);
    net.servers[0].restart();
    assert_eq!(sign(&url, 1_000, &accept.nonce), "no_close");
}

/// S's settings record (which holds its next channel key index) put back from an old,
/// authentic copy while S is down: S refuses to start on it (the records database no
/// longer matches its sealed summary) instead of risking a channel key it already uses
/// (two channels with one funding key would let APOAS-signed states of one spend the
/// other); with the genuine record back it starts and derives a new key.
#[test]
fn an_old_settings_record_never_makes_s_reuse_a_channel_key() {
    use asyncpay::eltoo::Party;
    use bitcoin::{Amount, FeeRate};

    let mut net = create_network(1, 0, 1);
    let payer = &net.payers[0];
    payer.fund(1_000_000);
    net.ledger().mine(1, None).unwrap();
    let settings = |dir: &std::path::Path| -> (i64, Vec<u8>) {
        records::raw_db(dir)
            .query_row(
                "SELECT seq, body FROM records WHERE coll = 'server.age'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let put_back = |dir: &std::path::Path, (seq, body): &(i64, Vec<u8>)| {
        records::raw_db(dir)
            .execute(
                "UPDATE records SET seq = ?1, body = ?2 WHERE coll = 'server.age'",
                rusqlite::params![seq, body],
            )
            .unwrap();
    };
    let old = settings(&net.servers[0].dir);
    let url = net.servers[0].url().to_owned();
    let open = |net: &functional::Net| {
        let ch = net.payers[0]
            .engine()
            .open_channel(
                &url,
                Amount::from_sat(100_000),
                Party::Client,
                FeeRate::from_sat_per_vb_u32(2),
            )
            .unwrap();
        net.ledger().mine(1, None).unwrap();
        ch.channel.params().server.funding
    };
    let second = open(&net);
    let new = settings(&net.servers[0].dir);
    assert_ne!(old, new);
    let refused = net.servers[0]
        .try_restart_with(|dir| put_back(dir, &old))
        .unwrap_err();
    assert!(refused.contains("tampered with"), "{refused}");
    net.servers[0].restart_with(|dir| put_back(dir, &new));
    let third = open(&net);
    let keys: std::collections::BTreeSet<_> = net.payers[0]
        .engine()
        .channels()
        .unwrap()
        .iter()
        .map(|c| c.channel.params().server.funding)
        .collect();
    assert_eq!(keys.len(), 3, "S reused a channel key");
    assert_ne!(second, third);
}

/// Passes of S's watcher until one looks at nothing on chain (at most `limit`).
fn watch_until_quiet(core: &asyncpay::server::ServerCore, limit: usize) {
    for _ in 0..limit {
        core.watch_once();
        if core.watch_looked() == 0 {
            return;
        }
    }
    panic!("S's watcher still looks at channels after {limit} passes");
}

/// A backup of payer 0 is taken, then its channel moves on by a payment. Returns the
/// backup (opened as a wallet of its own) and A's latest state number.
fn a_backup_behind_the_latest(net: &functional::Net) -> (functional::Node, u32) {
    let backup = net.root().join("a-backup");
    copy_files(&net.payers[0].dir, &backup);
    net.pay_and_settle(0, 0, 7_000);
    let latest = net.payers[0].engine().channels().unwrap()[0]
        .channel
        .latest()
        .unwrap()
        .state
        .number;
    (functional::Node::open("a-old", backup, &net.chain), latest)
}

/// The old copy of A force-closes with its old state (its update goes out alone).
fn publish_old_state(old: &functional::Node) {
    use asyncpay::client::{ChannelClose, ClientErrorKind};
    let id = old.engine().channels().unwrap()[0].channel.id().to_string();
    let Err(closing) = old
        .engine()
        .close(&id, ChannelClose::Force { no_wait: true })
    else {
        panic!("a force close without waiting is pending");
    };
    assert_eq!(closing.kind, ClientErrorKind::Pending, "{closing:?}");
}

/// Mines a block per pass until S's watcher settles `latest` (at most 40 blocks).
fn settles_latest(net: &functional::Net, core: &asyncpay::server::ServerCore, latest: u32) {
    for _ in 0..40 {
        net.ledger().mine(1, None).unwrap();
        let log = core.watch_once();
        if log
            .iter()
            .any(|l| l.contains(&format!("settle latest state {latest}")))
        {
            return;
        }
    }
    panic!("S did not settle state {latest}");
}

fn rebinds(log: &[String], latest: u32) -> bool {
    log.iter()
        .any(|l| l.contains(&format!("rebind latest update {latest} over published")))
}

/// S's watcher looks at a quiet channel on chain once, then only when the chain or the
/// channel changed (`ServerChannel`s S changed, or any write to the ledger). An old state that
/// a restored backup of A publishes after many quiet passes is seen by the very next pass,
/// which rebinds S's latest update over it; the latest state settles.
#[test]
fn the_watcher_looks_again_at_a_quiet_channel_when_the_chain_changes() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    core.watch_once();
    let all = core.watch_looked();
    assert_eq!(all, 2, "the first pass looks at A's and B's channel");
    // It recorded the fundings' confirmations: a change of both channels.
    core.watch_once();
    assert_eq!(core.watch_looked(), all);
    core.watch_once();
    assert_eq!(core.watch_looked(), 0, "nothing changed: no look");

    // A payment changes both channels with S, nothing on chain.
    net.pay_and_settle(0, 0, 5_000);
    core.watch_once();
    assert_eq!(core.watch_looked(), 2, "both channels changed");
    core.watch_once();
    assert_eq!(core.watch_looked(), 0);

    let (old, latest) = a_backup_behind_the_latest(&net);
    for _ in 0..5 {
        core.watch_once();
    }
    assert_eq!(core.watch_looked(), 0);
    publish_old_state(&old);
    let log = core.watch_once();
    assert_eq!(
        core.watch_looked(),
        all,
        "the ledger changed: every channel looked at"
    );
    assert!(rebinds(&log, latest), "{log:?}");
    settles_latest(&net, core, latest);
}

/// A ledger write hidden from the ledger's count (its `generation` put back by hand after
/// the old state went out, as an attacker with the ledger's file could) is seen at the
/// next block: what S remembers was seen under the tip too. Blocks past the funding's
/// sixth confirmation are not written into S's channel records.
#[test]
fn a_write_hidden_from_the_ledgers_count_is_seen_at_the_next_block() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let a_id = net.payers[0].engine().keys().node_id();
    for _ in 0..8 {
        net.ledger().mine(1, None).unwrap();
        core.watch_once();
        assert_eq!(core.watch_looked(), 2, "a block: every channel looked at");
    }
    assert_eq!(
        core.channels_of(&a_id)[0].confirmations,
        6,
        "counted up to 6"
    );
    let (old, latest) = a_backup_behind_the_latest(&net);
    watch_until_quiet(core, 3);

    let db = rusqlite::Connection::open(net.ledger().database_path()).unwrap();
    let generation = |db: &rusqlite::Connection| -> String {
        db.query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let before = generation(&db);
    let put_back = || {
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'generation'",
            [&before],
        )
        .unwrap()
    };
    publish_old_state(&old);
    assert_ne!(generation(&db), before, "the submit counted");
    put_back();
    let log = core.watch_once();
    assert_eq!(core.watch_looked(), 0, "the count was put back: {log:?}");
    net.ledger().mine(1, None).unwrap();
    put_back();
    let log = core.watch_once();
    assert_eq!(core.watch_looked(), 2, "a new tip: every channel looked at");
    assert!(rebinds(&log, latest), "{log:?}");
    settles_latest(&net, core, latest);
}

/// A channel whose history passes a chunk while S runs: S lets go of the chunk once a
/// committed save stored it (S's memory does not grow with a channel's life), and an old
/// state from inside it, published by a restored backup of A, is still rebound: the
/// watcher reads the chunk back from S's store.
#[test]
fn s_lets_go_of_a_stored_chunk_and_still_rebinds_over_an_old_state_from_it() {
    use asyncpay::protocol::HISTORY_CHUNK;
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    net.pay_and_settle(0, 0, 1_000);
    let backup = net.root().join("a-backup");
    copy_files(&net.payers[0].dir, &backup);
    let a_channel = || {
        let ch = &net.payers[0].engine().channels().unwrap()[0].channel;
        (ch.id(), ch.latest().unwrap().state.number)
    };
    let latest = || a_channel().1;
    let old_number = latest();
    while latest() < HISTORY_CHUNK + 6 {
        net.pay_and_settle(0, 0, 1_000);
    }
    let (stored, fresh, history) = core
        .with_channel(&a_channel().0, |ch| {
            let fresh = ch.fresh_history_chunks().count();
            (ch.stored_history_chunks(), fresh, ch.history())
        })
        .unwrap();
    assert_eq!((stored, fresh), (1, 0), "chunk 0 let go");
    assert!(!history.contains_key(&old_number));
    assert!(history.contains_key(&latest()));

    let old = functional::Node::open("a-old", backup, &net.chain);
    assert_eq!(
        old.engine().channels().unwrap()[0]
            .channel
            .latest()
            .unwrap()
            .state
            .number,
        old_number
    );
    publish_old_state(&old);
    let (id, latest) = a_channel();
    let log = core.watch_once();
    assert!(rebinds(&log, latest), "{log:?}");
    // The chunk read stays at hand while the channel is disputed (a cheater replacing old
    // updates from other chunks in the mempool runs out of chunks not read yet), and goes
    // once it is closed.
    assert_eq!(core.watch_chunks_kept(&id), [0]);
    settles_latest(&net, core, latest);
    assert_eq!(core.watch_chunks_kept(&id), [0]);
    net.ledger().mine(1, None).unwrap();
    core.watch_once();
    assert_eq!(
        core.with_channel(&id, |ch| ch.status()),
        Some(asyncpay::protocol::ChannelStatus::Closed)
    );
    assert!(core.watch_chunks_kept(&id).is_empty());
}

/// Copies a data dir's files (a backup taken while the wallet is idle).
fn copy_files(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_files(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A crashes in `payments cancel` right after S agreed (`cancel-agreed`): its update to
/// the cancelled payment's state is superseded at S, the state restoring its balance
/// unsigned. Its next `pay`, with no `sync` between, finishes the cancel first (it does
/// not trip over S's `restore_pending`) and pays; both payments end as they should.
#[test]
fn a_pay_after_a_crash_in_the_middle_of_a_cancel_finishes_the_cancel_first() {
    let net = create_network(1, 1, 1);
    let payer = &net.payers[0];
    let first = net.pay(0, 0, 5_000);
    crash_in("cancel-agreed", &|| {
        drop(payer.engine().cancel(&first.payment_id.to_string()))
    });
    let second = net.try_pay(0, 0, 7_000, None).unwrap();
    let status = |id| payer.status_of(id);
    assert_eq!(status(first.payment_id), LocalStatus::Cancelled);
    assert_eq!(status(second.payment_id), LocalStatus::Pending);
    net.receive(0);
    net.sync(0);
    assert_eq!(status(second.payment_id), LocalStatus::Paid);
    assert_eq!(status(first.payment_id), LocalStatus::Cancelled);
    assert_eq!(net.payee_balance(0), 7_000);
}

/// A payee signed a sale state that S then withdrew (the payer force-closed before the
/// signature reached S), and crashed right after dropping that state, before it signed
/// the state restoring its balances above it (`sale-dropped`). Its next command signs that
/// state first (S could still complete the dropped one until then), and S takes its
/// payment from that channel (no `restore_pending`).
#[test]
fn a_payee_that_crashed_dropping_a_withdrawn_sale_restores_then_pays() {
    use asyncpay::client::{ChannelClose, PayOptions};
    use bitcoin::Amount;
    let net = create_network(1, 2, 1);
    net.pay_and_settle(0, 0, 20_000);
    let payee = net.payees[0].engine();
    let sold = net.pay(0, 0, 5_000);
    crash_in("sale-signed", &|| drop(payee.receive(None, true)));
    let payer = net.payers[0].engine();
    let a_channel = payer.channels().unwrap().remove(0).channel.id().to_string();
    let _ = payer.close(&a_channel, ChannelClose::Force { no_wait: true });
    net.ledger().mine(1, None).unwrap();
    crash_in("sale-dropped", &|| drop(payee.receive(None, true)));
    let channel = payee.channels().unwrap().remove(0);
    assert!(channel.channel.pending().is_none());
    assert!(channel.channel.holds_superseded_signed());
    let dropped = channel
        .channel
        .superseded()
        .expect("the dropped sale state");

    // (S would not sell this one on: the payee's inbound channel settles too soon after a
    // force close for a PTLC on another payee's, `ptlc_timing`. S takes it, and it is
    // cancelled.)
    let paying = payee
        .pay(
            &net.addresses[1],
            Amount::from_sat(1_000),
            PayOptions {
                channel: Some(channel.channel.id().to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(paying.status, LocalStatus::Pending);
    let channel = payee.channels().unwrap().remove(0);
    assert_eq!(
        channel.channel.latest().unwrap().state.number,
        dropped + 1,
        "the restoring state, signed before the payment"
    );
    let cancelled = payee.cancel(&paying.payment_id.to_string()).unwrap();
    assert_eq!(cancelled.status, LocalStatus::Cancelled);
    assert_eq!(
        net.payees[0].status_of(sold.payment_id),
        LocalStatus::Received
    );
}

/// Runs `step` with the in-process crash point `at` armed; `step` must reach it.
fn crash_in(at: &str, step: &dyn Fn()) {
    use asyncpay::client::{crash_in_process_at, TestCrash};
    crash_in_process_at(Some(at));
    let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    crash_in_process_at(None);
    assert_eq!(
        crashed.unwrap_err().downcast_ref::<TestCrash>().unwrap().0,
        at
    );
}

/// Payee 0, paid once, starts a payment from its channel (S accepts it; it never signs)
/// and returns its id.
fn payee_starts_a_payment_it_never_signs(net: &functional::Net) -> String {
    use asyncpay::client::PayOptions;
    net.pay_and_settle(0, 0, 20_000);
    let payee = net.payees[0].engine();
    crash_in("payment-nonces-recorded", &|| {
        drop(payee.pay(
            &net.addresses[1],
            bitcoin::Amount::from_sat(1_000),
            PayOptions::default(),
        ))
    });
    let p = net.payees[0]
        .payments()
        .into_iter()
        .find(|p| p.direction == Direction::Outgoing)
        .unwrap();
    assert_eq!(p.status, LocalStatus::Proposed);
    p.payment_id.to_string()
}

/// A wallet that is payer and payee on one channel cancels a payment it never signed: S
/// and the wallet supersede its update, and the wallet stops right after S accepted the
/// state restoring its balance (`restore-accepted`). Its next `receive` signs that state
/// before it sells (S sells nothing over a superseded update), then sells and is paid.
#[test]
fn a_cancel_of_an_unsigned_payment_is_restored_before_the_next_sale() {
    let net = create_network(1, 2, 1);
    let id = payee_starts_a_payment_it_never_signs(&net);
    let payee = net.payees[0].engine();
    crash_in("restore-accepted", &|| drop(payee.cancel(&id)));
    let channel = payee.channels().unwrap().remove(0);
    assert!(channel.channel.superseded().is_some() && !channel.channel.holds_superseded_signed());

    net.pay(0, 0, 5_000);
    let got = net.receive(0);
    assert!(got.iter().any(|p| p.status == LocalStatus::Paid), "{got:?}");
    assert_eq!(net.payee_balance(0), 25_000);
}

/// The same wallet stops right after S agreed the cancel, before it superseded the update
/// itself (`cancel-agreed`). Its next `receive` does not drop that update as an interrupted
/// one (its numbers would stay one behind S's for good): it says to finish the cancel, which
/// `sync` does; then it sells and is paid.
#[test]
fn an_interrupted_cancel_is_not_dropped_as_an_interrupted_update() {
    let net = create_network(1, 2, 1);
    let id = payee_starts_a_payment_it_never_signs(&net);
    let payee = net.payees[0].engine();
    crash_in("cancel-agreed", &|| drop(payee.cancel(&id)));

    net.pay(0, 0, 5_000);
    let progress = payee.receive(None, false).unwrap();
    assert!(
        progress
            .problems
            .iter()
            .any(|e| e.contains("interrupted while it was set up or cancelled")),
        "{:?}",
        progress.problems
    );
    payee.sync().unwrap();
    let cancelled = net.payees[0]
        .payments()
        .into_iter()
        .find(|p| p.payment_id.to_string() == id)
        .unwrap();
    assert_eq!(cancelled.status, LocalStatus::Cancelled);
    let got = net.receive(0);
    assert!(got.iter().any(|p| p.status == LocalStatus::Paid), "{got:?}");
    assert_eq!(net.payee_balance(0), 25_000);
}

/// S looks at the channels of a payment on chain before it takes its lock (ADR 0015): the
/// sale and the payee's signature of the sale state each read the payer's and the payee's
/// channel first, and S's checks under the lock take those reads; no look at the chain is
/// made under the lock while nothing else looks at the channels meanwhile.
#[test]
fn s_looks_at_a_payments_channels_before_its_lock() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    net.pay_and_settle(0, 0, 5_000);
    let before = core.lock_stats();
    for _ in 0..3 {
        net.pay_and_settle(0, 0, 1_000);
    }
    let after = core.lock_stats();
    assert_eq!(after.looks_under, before.looks_under, "{after:?}");
    assert_eq!(
        after.reads - before.reads,
        3 * 3,
        "one read for each of the three requests that look"
    );
    assert_eq!(
        after.looks_before - before.looks_before,
        3 * 5,
        "the sale and the sale state's signature, each the payer's and the payee's channel; \
         the claimed state's signature, the payee's"
    );
}

/// A look at the chain made before S's lock never stands for what S learnt after it: the
/// payer's old state goes out between the sale's early looks and its lock, and S's watcher
/// sees it and rebinds before the sale gets the lock. The sale is refused (the payer's
/// channel is closing), S sells nothing, and the latest state settles.
#[test]
fn a_close_seen_between_the_early_look_and_the_lock_stops_the_sale() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let (old, latest) = a_backup_behind_the_latest(&net);
    let paid = net.pay(0, 0, 2_000);
    let mut before = None;
    let received = while_s_waits_for_its_lock(
        core,
        "sell",
        None,
        || net.payees[0].engine().receive(None, false).unwrap(),
        || {
            publish_old_state(&old);
            let log = core.watch_once();
            assert!(rebinds(&log, latest), "{log:?}");
            before = Some(core.lock_stats());
        },
    );
    refused_as_closing(&received);
    assert_eq!(
        looks_since(core, &before.unwrap()),
        (0, 1),
        "the sale looked at the payer's channel again under the lock"
    );
    assert_eq!(
        net.payees[0].status_of(paid.payment_id),
        LocalStatus::Failed,
        "not sold: the payer's channel settles"
    );
    let at_s = core.payment(&paid.counterparty, &paid.payment_id).unwrap();
    assert_eq!(
        at_s.status,
        asyncpay::server::payments::PaymentStatus::Pending,
        "S sold nothing"
    );
    settles_latest(&net, core, latest);
}

/// Reads of the chain that waited longer than a second for S's lock are not used (a block
/// could have come meanwhile, and an older tip passes deadline checks a newer one fails):
/// the sale looks at both channels again under the lock, and the payment goes through.
#[test]
fn an_early_look_that_waited_too_long_for_the_lock_is_made_again() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let paid = net.pay(0, 0, 2_000);
    let before = core.lock_stats();
    let received = while_s_waits_for_its_lock(
        core,
        "sell",
        None,
        || net.receive(0),
        || std::thread::sleep(std::time::Duration::from_millis(1_100)),
    );
    let after = core.lock_stats();
    assert!(received
        .iter()
        .any(|p| p.payment_id == paid.payment_id && p.status == LocalStatus::Paid));
    assert_eq!(
        after.looks_under - before.looks_under,
        2,
        "the sale: the payer's and the payee's channel, under the lock"
    );
    assert_eq!(
        after.looks_before - before.looks_before,
        3,
        "the signatures that followed: from their reads"
    );
}

/// A sale's read of the chain that a look S took since has overtaken is not used: a block
/// came while the sale waited for S's lock, and the watcher looked at the channels in it.
/// The read's tip is older than what S has seen, and passes the deadline check the newer
/// one fails: the sale is refused at the new height (before, S checked it against the
/// read's tip and sold). B's next `receive` asks again and is paid.
#[test]
fn an_early_look_overtaken_by_a_newer_one_is_made_again() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    watch_until_quiet(core, 5);
    let paid = net.pay(0, 0, 2_000);
    let mut before = None;
    let received = while_s_waits_for_its_lock(
        core,
        "sell",
        None,
        || net.payees[0].engine().receive(None, false).unwrap(),
        || {
            net.ledger().mine(1, None).unwrap();
            core.watch_once();
            before = Some(core.lock_stats());
        },
    );
    let tip = net.ledger().tip().unwrap().height;
    assert!(
        received
            .problems
            .iter()
            .any(|p| p.contains("invalid_ptlc") && p.contains(&format!("at height {tip}"))),
        "{:?}",
        received.problems
    );
    let before = before.unwrap();
    let after = core.lock_stats();
    assert_eq!(
        after.looks_under - before.looks_under,
        2,
        "the sale: the payer's and the payee's channel, under the lock"
    );
    assert_eq!(
        after.looks_before, before.looks_before,
        "nothing from the read"
    );
    assert!(net
        .receive(0)
        .iter()
        .any(|p| p.payment_id == paid.payment_id && p.status == LocalStatus::Paid));
}

/// The watcher reads the chain before its lock too, one channel at a time, for the
/// channels a pass looks at: after a block both channels are looked at from such reads;
/// a quiet pass reads nothing.
#[test]
fn the_watcher_reads_the_chain_before_its_lock() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    watch_until_quiet(core, 5);
    let before = core.lock_stats();
    net.ledger().mine(1, None).unwrap();
    core.watch_once();
    assert_eq!(core.watch_looked(), 2);
    assert_eq!(looks_since(core, &before), (2, 0));
    watch_until_quiet(core, 5);
    assert_eq!(looks_since(core, &before).1, 0, "none under the lock");
    let quiet = core.lock_stats();
    core.watch_once();
    assert_eq!(
        core.lock_stats().reads,
        quiet.reads,
        "a quiet pass reads nothing"
    );
}

/// The watcher read A's channel (its funding unspent), and before it takes the lock the
/// payer's old state goes out and a sale finds it (A's channel closing, the sale refused).
/// The watcher's read never stands for a look at the closing channel: it looks again
/// under the lock and rebinds S's latest update over the old one in that very pass.
#[test]
fn a_watcher_pass_whose_read_is_overtaken_looks_again() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let (old, latest) = a_backup_behind_the_latest(&net);
    net.pay(0, 0, 2_000);
    let a_channel = net.payers[0].engine().channels().unwrap()[0].channel.id();
    watch_until_quiet(core, 5);
    net.ledger().mine(1, None).unwrap();
    let mut before = None;
    let log = while_s_waits_for_its_lock(
        core,
        "watch",
        Some(a_channel),
        || core.watch_once(),
        || {
            publish_old_state(&old);
            let received = net.payees[0].engine().receive(None, false).unwrap();
            refused_as_closing(&received);
            before = Some(core.lock_stats());
        },
    );
    assert!(rebinds(&log, latest), "{log:?}");
    assert!(
        looks_since(core, &before.unwrap()).1 >= 1,
        "the watcher looked at A's channel under the lock"
    );
    settles_latest(&net, core, latest);
}

/// The watcher's read of a channel that waited longer than a second for S's lock is not
/// taken: the watcher looks at that channel again under the lock.
#[test]
fn a_watcher_read_that_waited_too_long_is_made_again() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let a_channel = net.payers[0].engine().channels().unwrap()[0].channel.id();
    watch_until_quiet(core, 5);
    net.ledger().mine(1, None).unwrap();
    let before = core.lock_stats();
    while_s_waits_for_its_lock(
        core,
        "watch",
        Some(a_channel),
        || core.watch_once(),
        || std::thread::sleep(std::time::Duration::from_millis(1_100)),
    );
    assert_eq!(
        looks_since(core, &before),
        (1, 1),
        "the other channel from its read, A's under the lock"
    );
}

/// A receive's sale refused: the payer's channel is closing.
fn refused_as_closing(received: &asyncpay::client::Progress) {
    assert!(
        received
            .problems
            .iter()
            .any(|p| p.contains("the payer's channel is closing")),
        "{:?}",
        received.problems
    );
}

/// S's read of the chain before its lock fails (S's ledger unreadable; the clients still
/// read it): the sale is refused at once (`chain_unavailable`), with no look made under
/// S's lock, where a node that does not answer would hold every other request up until it
/// timed out. Once S reads the chain again, the same `receive` is paid.
#[test]
fn a_sale_whose_read_of_the_chain_fails_is_refused_without_a_look_under_the_lock() {
    let net = create_network(1, 1, 1);
    let paid = net.pay(0, 0, 2_000);
    refused_while_s_cannot_read_the_chain(&net, "S cannot read the chain right now", &paid);
}

/// With S's chain unreadable (for S alone), payee 0's `receive` is refused saying `said`,
/// with no look at the chain made under S's lock; once S reads the chain again, its next
/// `receive` is paid `paid`.
fn refused_while_s_cannot_read_the_chain(
    net: &functional::Net,
    said: &str,
    paid: &asyncpay::client::ClientPayment,
) {
    let core = net.servers[0].running().core();
    let before = core.lock_stats();
    net.servers[0].cut_chain(true);
    let received = net.payees[0].engine().receive(None, false).unwrap();
    assert!(
        received.problems.iter().any(|p| p.contains(said)),
        "{:?}",
        received.problems
    );
    let after = core.lock_stats();
    assert_eq!(
        (after.looks_before, after.looks_under),
        (before.looks_before, before.looks_under)
    );
    net.servers[0].cut_chain(false);
    assert!(net
        .receive(0)
        .iter()
        .any(|p| p.payment_id == paid.payment_id && p.status == LocalStatus::Paid));
}

/// The watcher's read of a channel fails (S's ledger unreadable after the read of the
/// channel before it): the pass reports the channel and makes no look at it under S's
/// lock; the next pass, the chain readable again, looks at it.
#[test]
fn a_watcher_read_that_fails_skips_the_channel_without_a_look_under_the_lock() {
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    let ids = [
        net.payers[0].engine().channels().unwrap()[0].channel.id(),
        net.payees[0].engine().channels().unwrap()[0].channel.id(),
    ];
    let (first, second) = (ids.iter().min().unwrap(), ids.iter().max().unwrap());
    watch_until_quiet(core, 5);
    net.ledger().mine(1, None).unwrap();
    let before = core.lock_stats();
    let (_, errors) = while_s_waits_for_its_lock(
        core,
        "watch",
        Some(*first),
        || core.watch_pass_checked(),
        || net.servers[0].cut_chain(true),
    );
    let channels: Vec<_> = errors
        .iter()
        .filter(|e| e.starts_with("channel "))
        .collect();
    assert_eq!(channels.len(), 1, "{errors:?}");
    assert!(
        channels[0].starts_with(&format!("channel {second}: reading the chain failed")),
        "{errors:?}"
    );
    assert_eq!(
        looks_since(core, &before),
        (1, 0),
        "the first channel from its read, none under the lock"
    );
    net.servers[0].cut_chain(false);
    assert!(core.watch_pass_checked().1.is_empty());
}

/// A failed read of the chain refuses the payee's signature of the sale state too: B
/// signed it and stopped before it reached S; S's read fails when B sends it, and S
/// refuses it at once, making no look under its lock. Once S reads the chain again, B's
/// next `receive` is paid.
#[test]
fn a_signature_whose_read_of_the_chain_fails_is_refused_without_a_look_under_the_lock() {
    let net = create_network(1, 1, 1);
    let paid = net.pay(0, 0, 2_000);
    let payee = net.payees[0].engine();
    crash_in("sale-signed", &|| drop(payee.receive(None, false)));
    refused_while_s_cannot_read_the_chain(&net, "S cannot read the chain to check channel", &paid);
}

/// S reads the chain before its lock only for channels a request could look at (ADR
/// 0015): a signature naming another client's channel, and one sent again of a completed
/// state, read nothing (a stranger's or a replaying client's requests cost S no read of
/// the chain), and are answered as before.
#[test]
fn a_signature_s_will_not_look_at_reads_nothing() {
    use asyncpay::protocol::messages::{Message, UpdateSignature};
    let net = create_network(1, 1, 1);
    let core = net.servers[0].running().core();
    net.pay_and_settle(0, 0, 1_000);
    let payer = net.payers[0].engine();
    let channel = payer.channels().unwrap().remove(0).channel;
    let signature = UpdateSignature {
        channel_id: channel.id(),
        number: channel.latest().unwrap().state.number,
        partial_signature: [1; 32],
    };
    let before = core.lock_stats();
    let payee = net.payees[0].engine().keys().node_id();
    let theirs = core.handle(&payee, Message::UpdateSignature(signature.clone()));
    assert_eq!(theirs.unwrap_err().code(), "unknown_channel");
    let again = core.handle(&payer.keys().node_id(), Message::UpdateSignature(signature));
    assert!(
        matches!(again.unwrap()[..], [Message::UpdateSignature(_)]),
        "S's signature of the completed state, again"
    );
    let after = core.lock_stats();
    assert_eq!(
        (after.reads, after.looks_before, after.looks_under),
        (before.reads, before.looks_before, before.looks_under),
        "no read, no look"
    );
}
