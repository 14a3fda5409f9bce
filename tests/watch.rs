//! The channel watcher (`asyncpay::watch`) on channels built with the protocol API (a minimal
//! copy of the two-party harness of `tests/protocol.rs`), against the in-memory `Chain` and
//! the on-disk `Ledger`: every scenario runs on both.

mod common;

use std::collections::BTreeMap;

use asyncpay::chain::{Chain, Ledger};
use asyncpay::crypto::musig::{SecretNonce, SigningSession};
use asyncpay::eltoo::{ChannelState, CooperativeClose, Party};
use asyncpay::protocol::{
    Channel, ChannelId, ChannelStatus, Message, OpenChannel, OpenPolicy, UpdateSignature, WireKeys,
};
use asyncpay::watch::{self, Alert, Broadcast, BroadcastKind, ChainView, WatchError, WatchOutcome};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, Script, Transaction, Txid};
use common::protocol::{accept_all, persist, wire, Rand};
use common::PartySecrets;
use secp::{Scalar, G};

const CAPACITY: u64 = 1_000_000;
const DELAY: u16 = 6;

// ----- the chain under test: in memory or on disk -----

trait TestChain {
    fn fund(&mut self, script: &Script, amount: Amount) -> OutPoint;
    fn submit(&mut self, tx: &Transaction) -> Result<Txid, String>;
    fn check(&self, tx: &Transaction) -> Result<(), String>;
    fn mine(&mut self, n: u32);
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError>;
    fn force_close_step(&self, channel: &Channel) -> Result<WatchOutcome, WatchError>;
    fn paid(&self, script: &Script) -> u64;
}

impl TestChain for Chain {
    fn fund(&mut self, script: &Script, amount: Amount) -> OutPoint {
        Chain::fund(self, script, amount).unwrap()
    }
    fn submit(&mut self, tx: &Transaction) -> Result<Txid, String> {
        Chain::submit_to_miner(self, tx.clone()).map_err(|e| e.to_string())
    }
    fn check(&self, tx: &Transaction) -> Result<(), String> {
        Chain::check_consensus(self, tx)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn mine(&mut self, n: u32) {
        Chain::mine(self, n, None);
    }
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::watch(channel, self)
    }
    fn force_close_step(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::force_close_step(channel, self)
    }
    fn paid(&self, script: &Script) -> u64 {
        self.utxos_for_script(script)
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum()
    }
}

struct DiskChain {
    _dir: tempfile::TempDir,
    ledger: Ledger,
}

impl DiskChain {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("ledger")).unwrap();
        DiskChain { _dir: dir, ledger }
    }
}

impl TestChain for DiskChain {
    fn fund(&mut self, script: &Script, amount: Amount) -> OutPoint {
        self.ledger.fund(script, amount).unwrap()
    }
    fn submit(&mut self, tx: &Transaction) -> Result<Txid, String> {
        self.ledger.submit_to_miner(tx).map_err(|e| e.to_string())
    }
    fn check(&self, tx: &Transaction) -> Result<(), String> {
        self.ledger
            .check_consensus(tx)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn mine(&mut self, n: u32) {
        self.ledger.mine(n, None).unwrap();
    }
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::watch_ledger(channel, &self.ledger)
    }
    fn force_close_step(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::force_close_step_ledger(channel, &self.ledger)
    }
    fn paid(&self, script: &Script) -> u64 {
        self.ledger
            .utxos_for_script(script)
            .unwrap()
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum()
    }
}

/// Runs a scenario on the in-memory chain and on a ledger in a temporary directory.
fn on_both(scenario: fn(&mut dyn TestChain)) {
    scenario(&mut Chain::new());
    scenario(&mut DiskChain::new());
}

// ----- a minimal two-party harness (from tests/protocol.rs) -----

/// An independent copy of a channel (channels are not `Clone`).
fn copy(channel: &Channel) -> Channel {
    serde_json::from_str(&serde_json::to_string(channel).unwrap()).unwrap()
}

struct Node {
    channel: Channel,
    secrets: PartySecrets,
}

struct Harness {
    client: Node,
    server: Node,
    funding: OutPoint,
    rand: Rand,
    /// The funding-bound update of every signed state (what a cheater could publish).
    updates: BTreeMap<u32, Transaction>,
}

impl Harness {
    fn node(&mut self, party: Party) -> &mut Node {
        match party {
            Party::Client => &mut self.client,
            Party::Server => &mut self.server,
        }
    }

    fn set(&mut self, party: Party, channel: Channel) {
        self.node(party).channel = persist(channel);
    }

    /// Both sides with state 0 signed, the funding not published yet.
    fn signed(seed: u8, minimum_depth: u32) -> Harness {
        let client = PartySecrets::from_seed(seed);
        let server = PartySecrets::from_seed(seed + 100);
        let open = OpenChannel {
            channel_id: ChannelId([seed; 32]),
            client_keys: WireKeys::from(&client.keys()),
            capacity_sat: CAPACITY,
            funder: Party::Client,
            push_sat: 0,
            shared_delay: Some(DELAY),
        };
        let policy = OpenPolicy {
            minimum_depth,
            ..OpenPolicy::default()
        };
        let (server_channel, accept) =
            Channel::accept_open(&open, &server.keys(), &policy).unwrap();
        let client_channel = Channel::on_accept_channel(&open, &accept).unwrap();
        let mut h = Harness {
            client: Node {
                channel: client_channel,
                secrets: client,
            },
            server: Node {
                channel: server_channel,
                secrets: server,
            },
            funding: OutPoint::null(),
            rand: Rand(u64::from(seed) << 32, "watch"),
            updates: BTreeMap::new(),
        };
        let initial = h.client.channel.initial_state();
        h.update(Party::Client, initial);
        h
    }

    /// The client funds the channel on `chain` (one confirmation) and both sides record it.
    fn fund(&mut self, chain: &mut dyn TestChain) {
        let params = self.client.channel.params().clone();
        self.funding = chain.fund(
            &params.funding_output().unwrap().script_pubkey,
            params.capacity,
        );
        let (c, published) = self.client.channel.funding_published(self.funding).unwrap();
        self.set(Party::Client, c);
        let Message::FundingPublished(published) = wire(published) else {
            panic!("funding")
        };
        let s = self
            .server
            .channel
            .on_funding_published(&published)
            .unwrap();
        self.set(Party::Server, s);
        self.record_latest();
    }

    /// An open channel on `chain` (minimum depth 1), with the watcher opening it.
    fn open(seed: u8, chain: &mut dyn TestChain) -> Harness {
        let mut h = Harness::signed(seed, 1);
        h.fund(chain);
        for party in [Party::Client, Party::Server] {
            h.apply(party, chain);
            assert_eq!(h.node(party).channel.status(), ChannelStatus::Open);
        }
        h
    }

    /// Watches `party`'s channel and applies the suggested transition; returns the outcome.
    fn apply(&mut self, party: Party, chain: &dyn TestChain) -> WatchOutcome {
        let outcome = chain.watch(&self.node(party).channel).unwrap();
        if let Some(c) = watch::next_channel(&self.node(party).channel, &outcome).unwrap() {
            self.set(party, c);
        }
        outcome
    }

    /// One full update of `next` proposed by `proposer`; the acceptor signs first.
    fn update(&mut self, proposer: Party, next: ChannelState) {
        let acceptor = self.propose_and_sign_first(proposer, next);
        let sig = self.sign(proposer);
        let c = self.node(acceptor).channel.on_signature(&sig).unwrap();
        self.set(acceptor, c);
        assert_eq!(self.client.channel.latest(), self.server.channel.latest());
        if self.client.channel.funding_outpoint().is_some() {
            self.record_latest();
        }
    }

    /// Propose, accept, and the acceptor's signature delivered to the proposer: the
    /// proposer has not signed yet. Returns the acceptor.
    fn propose_and_sign_first(&mut self, proposer: Party, next: ChannelState) -> Party {
        let acceptor = proposer.other();
        let rand = self.rand.next();
        let (c, proposal) = self.node(proposer).channel.propose(next, rand).unwrap();
        self.set(proposer, c);
        let rand = self.rand.next();
        let (c, accept) = self
            .node(acceptor)
            .channel
            .accept(&proposal, rand, accept_all)
            .unwrap();
        self.set(acceptor, c);
        let c = self.node(proposer).channel.on_accept(&accept).unwrap();
        self.set(proposer, c);
        let sig = self.sign(acceptor);
        let c = self.node(proposer).channel.on_signature(&sig).unwrap();
        self.set(proposer, c);
        acceptor
    }

    fn sign(&mut self, party: Party) -> UpdateSignature {
        let key = self.node(party).secrets.funding;
        let (c, _) = self.node(party).channel.sign(key).unwrap();
        self.set(party, c);
        self.node(party).channel.update_signature().unwrap()
    }

    fn record_latest(&mut self) {
        let tx = self.client.channel.funding_update_tx().unwrap();
        let number = self.client.channel.latest().unwrap().state.number;
        self.updates.insert(number, tx);
    }

    fn latest(&self) -> ChannelState {
        self.client.channel.latest().unwrap().state.clone()
    }

    /// `n` payments of 20 000 sat from the client to the server.
    fn pay(&mut self, n: u32) {
        for _ in 0..n {
            let next = self
                .latest()
                .pay(Party::Client, Amount::from_sat(20_000))
                .unwrap();
            self.update(Party::Client, next);
        }
    }

    /// On-chain `to_node` payments of both parties equal the latest state's balances.
    fn assert_paid_latest(&self, chain: &dyn TestChain) {
        let params = self.client.channel.params();
        let latest = self.latest();
        for party in [Party::Client, Party::Server] {
            assert_eq!(
                chain.paid(&params.to_node_script(party)),
                latest.balance(party).to_sat(),
                "{party:?}"
            );
        }
    }
}

fn expect_broadcast(outcome: WatchOutcome) -> Broadcast {
    match outcome {
        WatchOutcome::Broadcast(b) => b,
        other => panic!("expected a broadcast, got {other:?}"),
    }
}

/// From our latest update `update_txid` (0 confirmations), spending the channel output
/// `spends`, to a confirmed settlement: waits exactly `DELAY` blocks, checking at every step
/// that the settlement is not broadcast (and would be rejected) before it is mature, then
/// settles and closes `party`'s channel.
fn wait_and_settle(
    h: &mut Harness,
    party: Party,
    chain: &mut dyn TestChain,
    update_txid: Txid,
    spends: OutPoint,
) {
    let latest = h.latest().number;
    let early = h
        .node(party)
        .channel
        .settlement_tx(OutPoint::new(update_txid, 0))
        .unwrap();
    for confs in 0..u32::from(DELAY) {
        assert_eq!(
            h.apply(party, chain),
            WatchOutcome::WaitingForDelay {
                update_txid,
                spends,
                state: latest,
                confirmations: confs,
                blocks_left: u32::from(DELAY) - confs,
            }
        );
        assert_eq!(h.node(party).channel.status(), ChannelStatus::Closing);
        assert!(chain.check(&early).is_err(), "premature at {confs}");
        chain.mine(1);
    }
    let b = expect_broadcast(h.apply(party, chain));
    assert_eq!(b.kind, BroadcastKind::Settlement { state: latest });
    assert_eq!(b.tx, early);
    let txid = chain.submit(&b.tx).unwrap();
    // Idempotent: in the mempool, it is not broadcast again.
    let pending = WatchOutcome::Settled {
        txid,
        spends: OutPoint::new(update_txid, 0),
        state: latest,
        confirmations: 0,
    };
    assert_eq!(h.apply(party, chain), pending);
    assert_eq!(h.node(party).channel.status(), ChannelStatus::Closing);
    chain.mine(1);
    assert_eq!(
        h.apply(party, chain),
        WatchOutcome::Settled {
            txid,
            spends: OutPoint::new(update_txid, 0),
            state: latest,
            confirmations: 1,
        }
    );
    assert_eq!(h.node(party).channel.status(), ChannelStatus::Closed);
    h.assert_paid_latest(chain);
}

// ----- scenarios -----

/// (a) Funding confirmations are counted and open the channel at the minimum depth.
fn funding_confirmations(chain: &mut dyn TestChain) {
    let mut h = Harness::signed(1, 3);
    assert!(matches!(
        chain.watch(&h.server.channel),
        Err(WatchError::FundingUnknown)
    ));
    // A funding outpoint the chain has never seen.
    let (unseen, _) = copy(&h.client.channel)
        .funding_published(OutPoint::new(Txid::all_zeros(), 0))
        .unwrap();
    assert_eq!(
        chain.watch(&unseen).unwrap(),
        WatchOutcome::AwaitingFunding {
            confirmations: 0,
            minimum_depth: 3,
            seen: false
        }
    );
    assert!(matches!(
        chain.force_close_step(&unseen).unwrap(),
        WatchOutcome::AwaitingFunding { seen: false, .. }
    ));

    h.fund(chain);
    for confs in 1..=3 {
        for party in [Party::Client, Party::Server] {
            let outcome = h.apply(party, chain);
            let channel = &h.node(party).channel;
            assert_eq!(channel.confirmations(), confs);
            if confs < 3 {
                assert_eq!(
                    outcome,
                    WatchOutcome::AwaitingFunding {
                        confirmations: confs,
                        minimum_depth: 3,
                        seen: true
                    }
                );
                assert_eq!(channel.status(), ChannelStatus::AwaitingFunding);
            } else {
                assert_eq!(
                    outcome,
                    WatchOutcome::Idle {
                        funding_confirmations: 3
                    }
                );
                assert_eq!(channel.status(), ChannelStatus::Open);
            }
        }
        chain.mine(1);
    }
    // Deeper still: idle, the count follows.
    assert_eq!(
        h.apply(Party::Server, chain),
        WatchOutcome::Idle {
            funding_confirmations: 4
        }
    );
    assert_eq!(h.server.channel.confirmations(), 4);
    assert_eq!(h.server.channel.status(), ChannelStatus::Open);
    assert!(watch::next_channel(
        &h.server.channel,
        &WatchOutcome::Idle {
            funding_confirmations: 4
        }
    )
    .unwrap()
    .is_none());
}

/// (b, b') The client publishes an old update (confirmed, or only in the mempool); the
/// server's watcher rebinds its latest over it once, then settles after the delay.
fn old_update_is_rebound(chain: &mut dyn TestChain, mine_old: bool) {
    let mut h = Harness::open(2, chain);
    h.pay(5);
    assert_eq!(h.latest().number, 5);
    assert_eq!(
        h.apply(Party::Server, chain),
        WatchOutcome::Idle {
            funding_confirmations: 1
        }
    );
    // The client cheats with state 2 (it had more money then).
    let old = h.updates[&2].clone();
    chain.submit(&old).unwrap();
    if mine_old {
        chain.mine(1);
    }
    let b = expect_broadcast(h.apply(Party::Server, chain));
    assert_eq!(h.server.channel.status(), ChannelStatus::Closing);
    assert_eq!(
        b.kind,
        BroadcastKind::Rebind {
            published: 2,
            latest: 5
        }
    );
    assert!(
        b.reason
            .starts_with("rebind latest update 5 over published update 2"),
        "{}",
        b.reason
    );
    assert_eq!(
        b.tx.input[0].previous_output,
        OutPoint::new(old.compute_txid(), 0)
    );
    let rebound = chain.submit(&b.tx).unwrap();
    // Before mining: no duplicate broadcast, on either side.
    let waiting = WatchOutcome::WaitingForDelay {
        update_txid: rebound,
        spends: OutPoint::new(old.compute_txid(), 0),
        state: 5,
        confirmations: 0,
        blocks_left: u32::from(DELAY),
    };
    assert_eq!(h.apply(Party::Server, chain), waiting);
    assert_eq!(h.apply(Party::Client, chain), waiting);
    assert_eq!(h.client.channel.status(), ChannelStatus::Closing);
    wait_and_settle(
        &mut h,
        Party::Server,
        chain,
        rebound,
        OutPoint::new(old.compute_txid(), 0),
    );
    assert_eq!(h.server.channel.status(), ChannelStatus::Closed);
    assert_eq!(
        (
            chain.paid(&h.server.channel.params().to_node_script(Party::Client)),
            chain.paid(&h.server.channel.params().to_node_script(Party::Server))
        ),
        (900_000, 100_000)
    );
    // The client sees the same settlement.
    assert!(matches!(
        h.apply(Party::Client, chain),
        WatchOutcome::Settled {
            state: 5,
            confirmations: 1,
            ..
        }
    ));
}

/// (c) A unilateral close from the funding output to the settlement.
fn force_close(chain: &mut dyn TestChain) {
    let mut h = Harness::open(3, chain);
    h.pay(3);
    // Plain watching never force closes.
    assert!(matches!(
        h.apply(Party::Server, chain),
        WatchOutcome::Idle { .. }
    ));
    let outcome = chain.force_close_step(&h.server.channel).unwrap();
    assert!(!outcome.funding_spent());
    let c = watch::next_channel(&h.server.channel, &outcome)
        .unwrap()
        .expect("closing");
    h.set(Party::Server, c);
    assert_eq!(h.server.channel.status(), ChannelStatus::Closing);
    let b = expect_broadcast(outcome);
    assert_eq!(b.kind, BroadcastKind::ForceClose { state: 3 });
    assert_eq!(b.tx, h.updates[&3]);
    let update = chain.submit(&b.tx).unwrap();
    // Calling the step again does not publish a second update.
    let again = chain.force_close_step(&h.server.channel).unwrap();
    assert!(matches!(
        again,
        WatchOutcome::WaitingForDelay {
            confirmations: 0,
            blocks_left,
            ..
        } if blocks_left == u32::from(DELAY)
    ));
    chain.mine(1);
    // The settlement is broadcast by the force-closing step just as by the watcher.
    for _ in 1..DELAY {
        assert!(matches!(
            chain.force_close_step(&h.server.channel).unwrap(),
            WatchOutcome::WaitingForDelay { .. }
        ));
        chain.mine(1);
    }
    let b = expect_broadcast(chain.force_close_step(&h.server.channel).unwrap());
    assert_eq!(b.kind, BroadcastKind::Settlement { state: 3 });
    assert_eq!(b.tx.input[0].previous_output, OutPoint::new(update, 0));
    let settlement = chain.submit(&b.tx).unwrap();
    chain.mine(1);
    assert_eq!(
        chain.force_close_step(&h.server.channel).unwrap(),
        WatchOutcome::Settled {
            txid: settlement,
            spends: OutPoint::new(update, 0),
            state: 3,
            confirmations: 1
        }
    );
    h.assert_paid_latest(chain);
    assert_eq!(
        chain.paid(&h.server.channel.params().to_node_script(Party::Server)),
        60_000
    );
}

/// (d) A cooperative close is recognised; nothing is broadcast, not even by a force close.
fn cooperative_close(chain: &mut dyn TestChain) {
    let mut h = Harness::open(4, chain);
    h.pay(2);
    let close = h
        .client
        .channel
        .cooperative_close(Amount::from_sat(500), Party::Client)
        .unwrap();
    let params = h.client.channel.params().clone();
    let key = CooperativeClose::signing_key(&params).unwrap();
    let msg = close.sighash().unwrap();
    let (c, s): (Scalar, Scalar) = (h.client.secrets.funding, h.server.secrets.funding);
    let nc = SecretNonce::generate(h.rand.next(), c, &key, Some(&msg));
    let ns = SecretNonce::generate(h.rand.next(), s, &key, Some(&msg));
    let session = SigningSession::new(
        &key,
        [(c * G, nc.public_nonce()), (s * G, ns.public_nonce())],
        msg,
    )
    .unwrap();
    let sig = session
        .aggregate(session.sign(c, nc).unwrap(), session.sign(s, ns).unwrap())
        .unwrap();
    let txid = chain.submit(&close.signed(&sig)).unwrap();
    let pending = WatchOutcome::ClosedCooperatively {
        txid,
        confirmations: 0,
    };
    assert_eq!(h.apply(Party::Server, chain), pending);
    assert_eq!(h.server.channel.status(), ChannelStatus::Closing);
    assert_eq!(chain.force_close_step(&h.server.channel).unwrap(), pending);
    chain.mine(1);
    assert_eq!(
        h.apply(Party::Server, chain),
        WatchOutcome::ClosedCooperatively {
            txid,
            confirmations: 1
        }
    );
    assert_eq!(h.server.channel.status(), ChannelStatus::Closed);
    assert_eq!(
        chain.paid(&params.to_node_script(Party::Client)),
        960_000 - 500
    );
    assert_eq!(chain.paid(&params.to_node_script(Party::Server)), 40_000);
}

/// (e, f) The peer publishes the latest state itself: no rebind, and the settlement is
/// withheld (with the right `blocks_left`) until it is mature, then settles.
fn latest_published_by_peer(chain: &mut dyn TestChain) {
    let mut h = Harness::open(5, chain);
    h.pay(4);
    let latest = h.client.channel.funding_update_tx().unwrap();
    let txid = chain.submit(&latest).unwrap();
    wait_and_settle(
        &mut h,
        Party::Server,
        chain,
        txid,
        latest.input[0].previous_output,
    );
}

/// An update newer than our latest: the peer completed the update we signed and never gave
/// us its half, and published it. (A payee's claimed state that S holds back, or a payer's
/// payment: the peer could then sit on our whole balance, since it alone would settle it.)
/// It is an alert, not a panic; the signature on chain makes the state our latest, and we
/// publish its settlement after the delay ourselves, paying both sides that state.
fn newer_update_alerts(chain: &mut dyn TestChain) {
    let mut h = Harness::open(6, chain);
    h.pay(2);
    // The server signs state 3 first; the client completes it, the server never hears back.
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(20_000))
        .unwrap();
    h.propose_and_sign_first(Party::Client, next.clone());
    h.sign(Party::Client);
    assert_eq!(h.client.channel.latest().unwrap().state.number, 3);
    assert_eq!(h.server.channel.latest().unwrap().state.number, 2);
    let newer = h.client.channel.funding_update_tx().unwrap();
    let txid = chain.submit(&newer).unwrap();
    let WatchOutcome::Alert(alert) = h.apply(Party::Server, chain) else {
        panic!("an alert")
    };
    assert!(
        matches!(
            alert,
            Alert::PublishedNewer {
                txid: t,
                published: 3,
                latest: 2,
                signature: Some(_),
            } if t == txid
        ),
        "{alert:?}"
    );
    assert_eq!(h.server.channel.status(), ChannelStatus::Closing);
    assert_eq!(h.server.channel.latest().unwrap().state, next, "adopted");
    // The server, like the client, now waits for the delay, and settles state 3.
    for party in [Party::Client, Party::Server] {
        assert!(matches!(
            h.apply(party, chain),
            WatchOutcome::WaitingForDelay { state: 3, .. }
        ));
    }
    chain.mine(u32::from(DELAY));
    let b = expect_broadcast(h.apply(Party::Server, chain));
    assert_eq!(b.kind, BroadcastKind::Settlement { state: 3 });
    chain.submit(&b.tx).unwrap();
    chain.mine(1);
    let params = h.server.channel.params().clone();
    for party in [Party::Client, Party::Server] {
        assert_eq!(
            chain.paid(&params.to_node_script(party)),
            next.balance(party).to_sat(),
            "{party:?} is paid state 3"
        );
    }
}

#[test]
fn funding_confirmations_are_counted() {
    on_both(funding_confirmations);
}

#[test]
fn a_confirmed_old_update_is_rebound_once_then_settled() {
    on_both(|c| old_update_is_rebound(c, true));
}

#[test]
fn an_old_update_in_the_mempool_is_rebound_over() {
    on_both(|c| old_update_is_rebound(c, false));
}

#[test]
fn force_close_from_the_funding_output_to_the_settlement() {
    on_both(force_close);
}

#[test]
fn a_cooperative_close_is_detected() {
    on_both(cooperative_close);
}

#[test]
fn the_latest_state_published_by_the_peer_settles_after_the_delay() {
    on_both(latest_published_by_peer);
}

#[test]
fn a_newer_published_update_we_signed_becomes_our_latest_and_settles() {
    on_both(newer_update_alerts);
}

/// `ChainView` through a reference answers like the chain itself.
#[test]
fn chain_view_reports_heights_and_spends() {
    let mut chain = Chain::new();
    let h = Harness::open(7, &mut chain);
    let view = &chain;
    assert_eq!(ChainView::tip_height(&view), chain.height());
    let (tx, height) = ChainView::tx(&view, &h.funding.txid).unwrap();
    assert_eq!(tx.compute_txid(), h.funding.txid);
    assert_eq!(height, Some(chain.height()));
    assert!(ChainView::spending_tx(&view, &h.funding).is_none());
    assert!(ChainView::tx(&view, &Txid::all_zeros()).is_none());
}
