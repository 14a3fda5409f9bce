//! The sans-I/O channel state machine (`asyncpay::protocol`) driven by an in-process
//! two-party harness (after rust-lightning's `functional_test_utils`): a client and the
//! server exchange encoded messages, every channel value is persisted (JSON round trip) after
//! every transition and the test continues from the restored copy, and every signed state is
//! checked on the regtest ledger.

mod common;

use std::collections::BTreeMap;

use asyncpay::chain::Chain;
use asyncpay::crypto::musig::{PartialSignature, SecretNonce, SigningSession};
use asyncpay::eltoo::{ChannelState, Party, Ptlc};
use asyncpay::protocol::{
    Channel, ChannelError, ChannelId, ChannelStatus, HistoryChunk, Message, MessageError,
    OpenChannel, OpenPolicy, UpdateProposal, UpdateSignature, WireKeys, WireState, HISTORY_CHUNK,
    MAX_MESSAGE_SIZE,
};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{Amount, OutPoint, Transaction};
use common::protocol::{accept_all, persist, wire, Rand};
use common::PartySecrets;
use proptest::prelude::*;
use secp::{Scalar, G};

const CAPACITY: u64 = 1_000_000;
const DELAY: u16 = 6;

fn json(channel: &Channel) -> String {
    serde_json::to_string(channel).unwrap()
}

/// The server's policy: the client may only propose states that do not lower what the
/// server holds (its balance plus PTLCs it receives).
fn server_policy(latest: Option<&ChannelState>, next: &ChannelState) -> Result<(), String> {
    let holds = |s: &ChannelState| {
        s.server
            + s.ptlcs
                .iter()
                .filter(|p| p.offerer == Party::Client)
                .map(|p| p.amount)
                .sum::<Amount>()
    };
    match latest {
        Some(l) if holds(next) < holds(l) => Err(format!(
            "the server would hold {} instead of {}",
            holds(next),
            holds(l)
        )),
        _ => Ok(()),
    }
}

struct Node {
    channel: Channel,
    secrets: PartySecrets,
    /// The chunks of the history stored apart from the channel (what a save stores).
    chunks: BTreeMap<u32, HistoryChunk>,
}

impl Node {
    fn key(&self) -> Scalar {
        self.secrets.funding
    }
}

/// Both sides of one channel plus the ledger.
struct Harness {
    client: Node,
    server: Node,
    chain: Chain,
    funding: OutPoint,
    rand: Rand,
    /// The latest update spending the funding output, for every signed state (what a
    /// cheater could publish later).
    updates: BTreeMap<u32, Transaction>,
}

impl Harness {
    fn node(&mut self, party: Party) -> &mut Node {
        match party {
            Party::Client => &mut self.client,
            Party::Server => &mut self.server,
        }
    }

    /// Applies a transition result to `party`: persists it, continues from the loaded copy.
    fn set(&mut self, party: Party, channel: Channel) {
        let node = self.node(party);
        for frozen in channel.fresh_history_chunks() {
            let chunk = frozen.chunk();
            node.chunks.insert(chunk.index(), chunk.clone());
        }
        node.channel = persist(channel);
    }

    /// Opens a channel funded by the client: open/accept, state 0 signed by both, then the
    /// funding transaction confirmed on the ledger.
    fn open(seed: u8) -> Harness {
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
        let Message::OpenChannel(open) = wire(open) else {
            panic!("open")
        };
        let policy = OpenPolicy {
            minimum_depth: 1,
            ..OpenPolicy::default()
        };
        let (server_channel, accept) =
            Channel::accept_open(&open, &server.keys(), &policy).unwrap();
        let Message::AcceptChannel(accept) = wire(accept) else {
            panic!("accept")
        };
        let client_channel = Channel::on_accept_channel(&open, &accept).unwrap();
        assert_eq!(client_channel.params(), server_channel.params());
        let mut h = Harness {
            client: Node {
                channel: persist(client_channel),
                secrets: client,
                chunks: BTreeMap::new(),
            },
            server: Node {
                channel: persist(server_channel),
                secrets: server,
                chunks: BTreeMap::new(),
            },
            chain: Chain::new(),
            funding: OutPoint::null(),
            rand: Rand(0, "harness"),
            updates: BTreeMap::new(),
        };
        let initial = h.client.channel.initial_state();
        h.update(Party::Client, initial, Party::Server);
        for party in [Party::Client, Party::Server] {
            assert_eq!(
                h.node(party).channel.status(),
                ChannelStatus::AwaitingFunding
            );
        }
        // Update 0 is signed: now the funder publishes the funding transaction.
        let params = h.client.channel.params().clone();
        h.funding = h
            .chain
            .fund(
                &params.funding_output().unwrap().script_pubkey,
                params.capacity,
            )
            .unwrap();
        let (c, published) = h.client.channel.funding_published(h.funding).unwrap();
        h.set(Party::Client, c);
        let Message::FundingPublished(published) = wire(published) else {
            panic!("funding")
        };
        let s = h.server.channel.on_funding_published(&published).unwrap();
        h.set(Party::Server, s);
        for party in [Party::Client, Party::Server] {
            let c = h.node(party).channel.on_funding_confirmed(1).unwrap();
            assert_eq!(c.status(), ChannelStatus::Open);
            h.set(party, c);
        }
        h.check_latest_on_chain();
        h
    }

    /// One full update of `next`, proposed by `proposer`; `first` signs and sends first.
    /// Every message goes through the codec, every channel through persistence.
    fn update(&mut self, proposer: Party, next: ChannelState, first: Party) {
        let acceptor = proposer.other();
        let rand = self.rand.next();
        let (c, proposal) = self.node(proposer).channel.propose(next, rand).unwrap();
        self.set(proposer, c);
        let Message::UpdateProposal(proposal) = wire(proposal) else {
            panic!("proposal")
        };
        let rand = self.rand.next();
        let policy = if acceptor == Party::Server && proposer == Party::Client {
            server_policy
        } else {
            accept_all
        };
        let (c, accept) = self
            .node(acceptor)
            .channel
            .accept(&proposal, rand, policy)
            .unwrap();
        self.set(acceptor, c);
        let Message::UpdateAccept(accept) = wire(accept) else {
            panic!("accept")
        };
        let c = self.node(proposer).channel.on_accept(&accept).unwrap();
        self.set(proposer, c);

        // Both compute both payment points; each side's partial matches its point.
        let points: Vec<_> = [Party::Client, Party::Server]
            .iter()
            .map(|p| self.node(*p).channel.payment_point(Party::Client).unwrap())
            .collect();
        assert_eq!(points[0], points[1]);

        let second = first.other();
        let sig_first = self.sign(first);
        let c = self.node(second).channel.on_signature(&sig_first).unwrap();
        self.set(second, c);
        assert!(self.node(second).channel.pending().is_some());
        let sig_second = self.sign(second);
        assert!(self.node(second).channel.pending().is_none(), "completed");
        let c = self.node(first).channel.on_signature(&sig_second).unwrap();
        self.set(first, c);

        let (client, server) = (&self.client.channel, &self.server.channel);
        assert!(client.pending().is_none() && server.pending().is_none());
        assert_eq!(client.latest(), server.latest());
        assert_eq!(client.history(), server.history());
        assert_eq!(
            client.payment_point(Party::Client).unwrap_err(),
            ChannelError::NoPendingUpdate
        );
    }

    /// `party` signs the pending update, persists, and returns the message it sends.
    fn sign(&mut self, party: Party) -> UpdateSignature {
        let key = self.node(party).key();
        let point = self.node(party).channel.payment_point(party).unwrap();
        let (c, partial) = self.node(party).channel.sign(key).unwrap();
        assert_eq!(
            partial.point(),
            point.into(),
            "s·G equals the payment point"
        );
        self.set(party, c);
        let msg = self.node(party).channel.update_signature().unwrap();
        let Message::UpdateSignature(msg) = wire(msg) else {
            panic!("signature")
        };
        msg
    }

    /// The latest update (on the funding output) is valid on the ledger, and both sides
    /// build the identical transaction.
    fn check_latest_on_chain(&mut self) {
        let tx = self.client.channel.funding_update_tx().unwrap();
        assert_eq!(tx, self.server.channel.funding_update_tx().unwrap());
        self.chain.check_consensus(&tx).unwrap();
        let number = self.client.channel.latest().unwrap().state.number;
        self.updates.insert(number, tx);
    }

    fn latest(&self) -> ChannelState {
        self.client.channel.latest().unwrap().state.clone()
    }

    /// The first half of an update: `proposer` proposes `next`, the other side accepts (the
    /// server with its policy), the proposer records the accept. Nobody has signed yet.
    fn begin(&mut self, proposer: Party, next: ChannelState) {
        let acceptor = proposer.other();
        let rand = self.rand.next();
        let (c, proposal) = self.node(proposer).channel.propose(next, rand).unwrap();
        self.set(proposer, c);
        let Message::UpdateProposal(proposal) = wire(proposal) else {
            panic!("proposal")
        };
        let policy = if acceptor == Party::Server {
            server_policy
        } else {
            accept_all
        };
        let rand = self.rand.next();
        let (c, accept) = self
            .node(acceptor)
            .channel
            .accept(&proposal, rand, policy)
            .unwrap();
        self.set(acceptor, c);
        let Message::UpdateAccept(accept) = wire(accept) else {
            panic!("accept")
        };
        let c = self.node(proposer).channel.on_accept(&accept).unwrap();
        self.set(proposer, c);
    }

    /// The client (A) signs the pending update withheld and persists; returns `s_A`.
    fn sign_withheld(&mut self) -> PartialSignature {
        let point = self.client.channel.payment_point(Party::Client).unwrap();
        let (c, s_a) = self
            .client
            .channel
            .sign_withheld(self.client.key())
            .unwrap();
        assert_eq!(s_a.point(), point.into(), "s_A·G = T_A");
        self.set(Party::Client, c);
        s_a
    }
}

fn point(seed: u64) -> secp::Point {
    let bytes = sha256::Hash::hash(&seed.to_be_bytes()).to_byte_array();
    Scalar::try_from(bytes).unwrap() * G
}

/// A random next state from `latest`: move money, add a PTLC, or resolve one.
fn random_next(latest: &ChannelState, op: u8, amount: u64, seed: u64) -> ChannelState {
    let mut next = latest.clone();
    next.number += 1;
    let payer = if seed % 2 == 0 {
        Party::Client
    } else {
        Party::Server
    };
    let balance = |s: &ChannelState, p: Party| s.balance(p).to_sat();
    let set = |s: &mut ChannelState, p: Party, v: u64| match p {
        Party::Client => s.client = Amount::from_sat(v),
        Party::Server => s.server = Amount::from_sat(v),
    };
    match op % 3 {
        1 if next.ptlcs.len() < 4 && balance(latest, payer) >= 1_000 => {
            let amt = 330 + amount % (balance(latest, payer) - 330);
            set(&mut next, payer, balance(latest, payer) - amt);
            next.ptlcs.push(Ptlc {
                offerer: payer,
                amount: Amount::from_sat(amt),
                point: point(seed),
                expiry: 1_000 + (seed % 1_000) as u32,
            });
        }
        2 if !next.ptlcs.is_empty() => {
            let p = next.ptlcs.remove(amount as usize % next.ptlcs.len());
            // Fulfilled (to the receiver) or failed (back to the offerer).
            let to = if seed % 3 == 0 {
                p.offerer
            } else {
                p.offerer.other()
            };
            let v = balance(&next, to) + p.amount.to_sat();
            set(&mut next, to, v);
        }
        _ => {
            let amt = amount % (balance(latest, payer) + 1);
            let (from, to) = (payer, payer.other());
            set(&mut next, from, balance(latest, from) - amt);
            set(&mut next, to, balance(latest, to) + amt);
        }
    }
    next
}

#[test]
fn open_signs_state_zero_before_funding() {
    let h = Harness::open(1);
    let latest = h.client.channel.latest().unwrap();
    assert_eq!(latest.state.number, 0);
    assert_eq!(latest.state.client, Amount::from_sat(CAPACITY));
    assert_eq!(h.client.channel.funding_outpoint(), Some(h.funding));
    assert_eq!(h.server.channel.history().len(), 1);
}

#[test]
fn fifty_advances_by_either_side_agree_and_are_valid_on_chain() {
    let mut h = Harness::open(2);
    let mut r = Rand(0, "advances");
    for i in 0..50u64 {
        let b = r.next();
        let proposer = if b[0] % 2 == 0 {
            Party::Client
        } else {
            Party::Server
        };
        let first = if b[1] % 2 == 0 {
            Party::Client
        } else {
            Party::Server
        };
        let amount = u64::from_be_bytes(b[2..10].try_into().unwrap()) % 200_000;
        let next = random_next(&h.latest(), b[10], amount, i);
        // The client only proposes what the server's policy accepts; the server the rest.
        let proposer = match server_policy(Some(&h.latest()), &next) {
            Ok(()) => proposer,
            Err(_) => Party::Server,
        };
        h.update(proposer, next, first);
        h.check_latest_on_chain();
    }
    assert_eq!(h.latest().number, 50);
    assert_eq!(h.client.channel.history().len(), 51);
    assert_eq!(
        h.client.channel.latest().unwrap().signature,
        h.server.channel.latest().unwrap().signature
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Random sequences of updates (moves, PTLC adds and removals), proposed by either side,
    /// either side signing first: both sides always end with the same latest state, whose
    /// update the ledger accepts.
    #[test]
    fn random_update_sequences_stay_in_agreement(
        steps in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<u8>(), 0u64..300_000), 1..15)
    ) {
        let mut h = Harness::open(3);
        for (i, (by_client, client_first, op, amount)) in steps.into_iter().enumerate() {
            let next = random_next(&h.latest(), op, amount, i as u64);
            let proposer = if by_client && server_policy(Some(&h.latest()), &next).is_ok() {
                Party::Client
            } else {
                Party::Server
            };
            let first = if client_first { Party::Client } else { Party::Server };
            h.update(proposer, next.clone(), first);
            prop_assert_eq!(h.latest(), next);
            h.check_latest_on_chain();
        }
    }
}

#[test]
fn restart_replays_sign_with_a_byte_identical_partial() {
    let mut h = Harness::open(4);
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(1_234))
        .unwrap();
    let (c, proposal) = h.client.channel.propose(next, h.rand.next()).unwrap();
    h.set(Party::Client, c);
    let (s, accept) = h
        .server
        .channel
        .accept(&proposal, h.rand.next(), server_policy)
        .unwrap();
    h.set(Party::Server, s);
    let c = h.client.channel.on_accept(&accept).unwrap();
    h.set(Party::Client, c);

    // The persisted pre-sign state carries the secret nonce.
    let pre_sign = json(&h.client.channel);
    let v: serde_json::Value = serde_json::from_str(&pre_sign).unwrap();
    assert_eq!(
        v["pending"]["secret_nonce"].as_str().map(str::len),
        Some(194)
    );

    let key = h.client.key();
    let (signed, s1) = h.client.channel.sign(key).unwrap();
    // Crash before the signed channel was persisted: restart from disk and sign again.
    let restored: Channel = serde_json::from_str(&pre_sign).unwrap();
    let (_, s2) = restored.sign(key).unwrap();
    assert_eq!(s1.to_bytes(), s2.to_bytes());

    // Once the signed channel is persisted, the nonce is gone for good.
    let signed = persist(signed);
    let v: serde_json::Value = serde_json::from_str(&json(&signed)).unwrap();
    assert!(v["pending"]["secret_nonce"].is_null());
    assert!(signed.pending().unwrap().nonce_consumed());
    assert_eq!(
        signed.sign(key).unwrap_err(),
        ChannelError::NonceConsumed(1)
    );
    assert!(signed
        .sign(key)
        .unwrap_err()
        .to_string()
        .contains("already used"));
    assert_eq!(signed.local_partial(), Some(s1));
    // A second, different accept cannot change the session of a nonce already recorded.
    let mut other = accept.clone();
    other.nonce = h.client.channel.pending().unwrap().local_nonce().to_bytes();
    assert_eq!(
        h.client.channel.on_accept(&other).unwrap_err(),
        ChannelError::NonceConflict(1)
    );
    // The same accept again is harmless.
    h.client.channel.on_accept(&accept).unwrap();
}

#[test]
fn bad_proposals_are_rejected_and_change_nothing() {
    let mut h = Harness::open(5);
    h.update(
        Party::Client,
        h.latest()
            .pay(Party::Client, Amount::from_sat(10_000))
            .unwrap(),
        Party::Client,
    );
    let before = json(&h.server.channel);
    let good = h
        .latest()
        .pay(Party::Client, Amount::from_sat(5_000))
        .unwrap();
    let (_, proposal) = h.client.channel.propose(good, h.rand.next()).unwrap();

    let try_accept = |h: &mut Harness, p: &UpdateProposal| {
        let r = h.rand.next();
        h.server
            .channel
            .accept(p, r, server_policy)
            .map(|_| ())
            .unwrap_err()
    };

    // Wrong number.
    let mut wrong = proposal.clone();
    wrong.number = 7;
    wrong.state.number = 7;
    let err = try_accept(&mut h, &wrong);
    assert_eq!(
        err.to_string(),
        "update proposal for state 7 but the latest signed state is 1"
    );
    // Number and state disagree.
    let mut wrong = proposal.clone();
    wrong.state.number = 3;
    assert!(matches!(
        try_accept(&mut h, &wrong),
        ChannelError::Message(MessageError::InvalidField { .. })
    ));
    // Broken conservation.
    let mut wrong = proposal.clone();
    wrong.state.client_sat += 1;
    let err = try_accept(&mut h, &wrong);
    assert!(
        err.to_string().contains("but the channel capacity is"),
        "{err}"
    );
    // The client takes money: the server's policy refuses.
    let mut wrong = proposal.clone();
    wrong.state.client_sat += 6_000;
    wrong.state.server_sat -= 6_000;
    let err = try_accept(&mut h, &wrong);
    assert!(
        matches!(err, ChannelError::Refused { number: 2, .. }),
        "{err}"
    );
    // A PTLC below dust, and one with a timestamp expiry.
    let mut wrong = proposal.clone();
    wrong.state.client_sat -= 100;
    wrong.state.ptlcs.push(asyncpay::protocol::WirePtlc {
        offerer: Party::Client,
        amount_sat: 100,
        point: point(1).serialize(),
        expiry: 500,
    });
    assert!(try_accept(&mut h, &wrong)
        .to_string()
        .contains("dust limit"));
    wrong.state.client_sat -= 900;
    wrong.state.ptlcs[0].amount_sat = 1_000;
    wrong.state.ptlcs[0].expiry = 600_000_000;
    assert!(try_accept(&mut h, &wrong)
        .to_string()
        .contains("not a block height"));
    // Another channel's proposal.
    let mut wrong = proposal.clone();
    wrong.channel_id = ChannelId([0xee; 32]);
    assert!(matches!(
        try_accept(&mut h, &wrong),
        ChannelError::WrongChannel { .. }
    ));
    // A bad nonce.
    let mut wrong = proposal.clone();
    wrong.proposer_nonce = [0; 66];
    assert!(try_accept(&mut h, &wrong).to_string().contains("nonce"));

    assert_eq!(json(&h.server.channel), before, "nothing changed");
    // The proposer cannot propose over its own pending update, and a bad proposal of its own
    // is refused before anything is recorded.
    let (c, _) = h
        .client
        .channel
        .propose(
            h.latest().pay(Party::Client, Amount::from_sat(1)).unwrap(),
            h.rand.next(),
        )
        .unwrap();
    assert_eq!(
        c.propose(h.latest(), h.rand.next()).unwrap_err(),
        ChannelError::UpdatePending(2)
    );
    let mut broken = h.latest();
    broken.number = 2;
    broken.client += Amount::from_sat(1);
    assert!(matches!(
        h.client.channel.propose(broken, h.rand.next()).unwrap_err(),
        ChannelError::InvalidState { number: 2, .. }
    ));
    // And the original proposal still goes through.
    let (s, _) = h
        .server
        .channel
        .accept(&proposal, h.rand.next(), server_policy)
        .unwrap();
    assert_eq!(s.pending().unwrap().next().number, 2);
}

#[test]
fn a_bad_partial_signature_is_rejected_and_changes_nothing() {
    let mut h = Harness::open(6);
    let next = h.latest().pay(Party::Client, Amount::from_sat(1)).unwrap();
    let (c, proposal) = h.client.channel.propose(next, h.rand.next()).unwrap();
    h.set(Party::Client, c);
    let (s, accept) = h
        .server
        .channel
        .accept(&proposal, h.rand.next(), server_policy)
        .unwrap();
    h.set(Party::Server, s);
    let c = h.client.channel.on_accept(&accept).unwrap();
    h.set(Party::Client, c);
    let good = h.sign(Party::Client);
    let before = json(&h.server.channel);

    let mut bad = good.clone();
    bad.partial_signature[31] ^= 1;
    let err = h.server.channel.on_signature(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the client partial signature on state 1 does not verify"
    );
    let mut wrong_number = good.clone();
    wrong_number.number = 2;
    assert!(h
        .server
        .channel
        .on_signature(&wrong_number)
        .unwrap_err()
        .to_string()
        .contains("update signature for state 2 but the pending update is for state 1"));
    // The server's own partial replayed as the client's does not verify either.
    let (signed, server_partial) = h.server.channel.sign(h.server.key()).unwrap();
    drop(signed);
    let mut mirrored = good.clone();
    mirrored.partial_signature = server_partial.to_bytes();
    assert!(h.server.channel.on_signature(&mirrored).is_err());
    assert_eq!(json(&h.server.channel), before, "nothing changed");

    let s = h.server.channel.on_signature(&good).unwrap();
    h.set(Party::Server, s);
    let sig = h.sign(Party::Server);
    let c = h.client.channel.on_signature(&sig).unwrap();
    h.set(Party::Client, c);
    assert_eq!(h.client.channel.latest(), h.server.channel.latest());
    h.check_latest_on_chain();
}

/// The asynchronous payment's use: A signs without sending `s_A` to S; S signs and keeps
/// `s_S`; S completes only with `s_A` learned elsewhere (from B), and `s_A·G = T_A`.
#[test]
fn a_withheld_partial_completes_the_state_when_it_arrives_later() {
    let mut h = Harness::open(7);
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    let (c, proposal) = h.client.channel.propose(next, h.rand.next()).unwrap();
    h.set(Party::Client, c);
    let (s, accept) = h
        .server
        .channel
        .accept(&proposal, h.rand.next(), server_policy)
        .unwrap();
    h.set(Party::Server, s);
    let c = h.client.channel.on_accept(&accept).unwrap();
    h.set(Party::Client, c);

    let t_a = h.server.channel.payment_point(Party::Client).unwrap();
    let (c, s_a) = h.client.channel.sign(h.client.key()).unwrap();
    h.set(Party::Client, c);
    assert_eq!(s_a.point(), t_a.into());
    assert_eq!(
        h.client.channel.cancel_pending().unwrap_err(),
        ChannelError::CannotCancelSigned(1)
    );
    let (s, _) = h.server.channel.sign(h.server.key()).unwrap();
    h.set(Party::Server, s);
    assert!(h.server.channel.pending().is_some(), "S waits for s_A");

    // B sells s_A to S: S builds the signature message itself.
    let from_b = UpdateSignature {
        channel_id: h.server.channel.id(),
        number: 1,
        partial_signature: s_a.to_bytes(),
    };
    let s = h.server.channel.on_signature(&from_b).unwrap();
    h.set(Party::Server, s);
    assert_eq!(h.server.channel.latest().unwrap().state.number, 1);
    // A comes back: S delivers its partial signature, resent from the completed state.
    let s_s = h.server.channel.update_signature().unwrap();
    let c = h.client.channel.on_signature(&s_s).unwrap();
    h.set(Party::Client, c);
    assert_eq!(h.client.channel.latest(), h.server.channel.latest());
    h.check_latest_on_chain();
}

#[test]
fn an_unsigned_pending_update_can_be_cancelled() {
    let mut h = Harness::open(8);
    let paid = h
        .latest()
        .pay(Party::Client, Amount::from_sat(5_000))
        .unwrap();
    h.update(Party::Client, paid, Party::Client);
    let take = h
        .latest()
        .pay(Party::Server, Amount::from_sat(1_000))
        .unwrap();
    let (c, proposal) = h.client.channel.propose(take, h.rand.next()).unwrap();
    h.set(Party::Client, c);
    let err = h
        .server
        .channel
        .accept(&proposal, h.rand.next(), server_policy)
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("update to state 2 refused: the server would hold"));
    let c = h.client.channel.cancel_pending().unwrap();
    h.set(Party::Client, c);
    assert!(h.client.channel.pending().is_none());
    assert_eq!(
        h.client.channel.cancel_pending().unwrap_err(),
        ChannelError::NoPendingUpdate
    );
    h.update(
        Party::Client,
        h.latest()
            .pay(Party::Client, Amount::from_sat(1_000))
            .unwrap(),
        Party::Server,
    );
    assert_eq!(h.latest().number, 2);
}

#[test]
fn an_old_published_update_is_rebound_over_and_the_latest_settles() {
    let mut h = Harness::open(9);
    for _ in 0..5 {
        let next = h
            .latest()
            .pay(Party::Client, Amount::from_sat(20_000))
            .unwrap();
        h.update(Party::Client, next, Party::Client);
        h.check_latest_on_chain();
    }
    // The client cheats with state 2 (it had more money then).
    let old = h.updates[&2].clone();
    h.chain.submit_to_miner(old.clone()).unwrap();
    h.chain.mine(1, None);
    let rebound = h
        .server
        .channel
        .react_to_published_update(&old, &[])
        .unwrap()
        .expect("an old state is answered");
    assert_eq!(rebound.input[0].previous_output.txid, old.compute_txid());
    h.chain.check_consensus(&rebound).unwrap();
    h.chain.submit_to_miner(rebound.clone()).unwrap();
    h.chain.mine(1, None);
    // The latest state needs no answer; other transactions are not updates of this channel.
    assert_eq!(
        h.client
            .channel
            .react_to_published_update(&rebound, &[])
            .unwrap(),
        None
    );
    let other = Harness::open(10);
    assert!(matches!(
        h.server
            .channel
            .react_to_published_update(&other.updates[&0], &[])
            .unwrap_err(),
        ChannelError::NotOurUpdate(_)
    ));
    let mut not_update = old.clone();
    not_update.lock_time = bitcoin::absolute::LockTime::ZERO;
    assert!(h
        .server
        .channel
        .react_to_published_update(&not_update, &[])
        .is_err());

    let settlement = h
        .server
        .channel
        .settlement_tx(OutPoint::new(rebound.compute_txid(), 0))
        .unwrap();
    assert!(h.chain.check_consensus(&settlement).is_err(), "too early");
    h.chain.mine(u32::from(DELAY) - 1, None);
    h.chain.submit_to_miner(settlement).unwrap();
    h.chain.mine(1, None);
    let params = h.client.channel.params();
    let paid = |p: Party| -> u64 {
        h.chain
            .utxos_for_script(&params.to_node_script(p))
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum()
    };
    assert_eq!(paid(Party::Client), 900_000);
    assert_eq!(paid(Party::Server), 100_000);
}

/// A channel past its first chunk of history: the record keeps only the hashes above the
/// chunk, which is stored apart once; an old update inside the chunk is rebound over with the
/// chunk read back, and refused without it (or with a chunk of another channel or place).
#[test]
fn a_long_channel_stores_its_old_history_apart_and_rebinds_with_it() {
    let mut h = Harness::open(21);
    let top = HISTORY_CHUNK + 6;
    let small = json(&h.server.channel).len();
    while h.latest().number < top {
        let next = h.latest().pay(Party::Client, Amount::from_sat(1)).unwrap();
        h.update(Party::Client, next, Party::Server);
        let n = h.latest().number;
        if n == 5 || n == top - 1 {
            h.check_latest_on_chain();
        }
    }
    // Chunk 0 (states 0..HISTORY_CHUNK) froze once the latest state passed it, the same on both sides.
    let server = &h.server;
    assert_eq!(server.chunks.keys().copied().collect::<Vec<_>>(), [0]);
    assert_eq!(server.chunks[&0].hashes(), h.client.chunks[&0].hashes());
    let chunk = server.chunks[&0].clone();
    assert_eq!(chunk.hashes().len() as u32, HISTORY_CHUNK);
    assert_eq!(chunk.channel_id(), server.channel.id());
    assert_eq!(chunk.local(), Party::Server);
    assert_eq!(
        chunk.key(),
        format!("{}-server-0", server.channel.id()),
        "each side's chunks have their own keys"
    );
    assert_eq!(
        h.client.chunks[&0].key(),
        format!("{}-client-0", server.channel.id())
    );
    // The record: format 2, one chunk apart, the hashes above it; as small as a new channel's.
    let record: serde_json::Value = serde_json::to_value(&server.channel).unwrap();
    assert_eq!(record["format"], 2);
    assert_eq!(record["history_chunks"], 1);
    let kept: Vec<u32> = record["settle_leaf_hashes"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    assert_eq!(kept, (HISTORY_CHUNK..=top).collect::<Vec<_>>());
    assert!(json(&server.channel).len() < small + 1_000);
    // The loaded copy holds no chunk in memory and has none to store.
    assert_eq!(server.channel.fresh_history_chunks().count(), 0);
    assert_eq!(
        server.channel.history().keys().copied().collect::<Vec<_>>(),
        kept
    );
    // The client publishes state 5, inside the chunk: the server needs the chunk to rebind.
    let old = h.updates[&5].clone();
    assert_eq!(
        server
            .channel
            .react_to_published_update(&old, &[])
            .unwrap_err(),
        ChannelError::HistoryChunkNeeded(0)
    );
    let rebound = server
        .channel
        .react_to_published_update(&old, std::slice::from_ref(&chunk))
        .unwrap()
        .expect("an old state is answered");
    h.chain.submit_to_miner(old.clone()).unwrap();
    h.chain.mine(1, None);
    h.chain.check_consensus(&rebound).unwrap();
    // A chunk of another channel, or of the other side, does not serve.
    let mut v = serde_json::to_value(&chunk).unwrap();
    v["channel_id"] = hex(&[22; 32]).into();
    let foreign: HistoryChunk = serde_json::from_value(v).unwrap();
    for wrong in [&foreign, &h.client.chunks[&0]] {
        assert_eq!(
            server
                .channel
                .react_to_published_update(&old, std::slice::from_ref(wrong))
                .unwrap_err(),
            ChannelError::HistoryChunkNeeded(0)
        );
    }
    // Among chunks read (the watcher shows every one it read to each later look), the one
    // of this channel, side and state serves.
    let read = [foreign.clone(), h.client.chunks[&0].clone(), chunk.clone()];
    assert_eq!(
        server
            .channel
            .react_to_published_update(&old, &read)
            .unwrap(),
        Some(rebound.clone())
    );
    // A state above the chunk needs none.
    let recent = h.updates[&(top - 1)].clone();
    assert!(server
        .channel
        .react_to_published_update(&recent, &[])
        .unwrap()
        .is_some());
    // The golden files: this build writes both formats byte for byte as released
    // (`GOLDEN_REGENERATE=channel2` writes them, only for a new format).
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (file, text) in [
        ("channel-v2.json", json(&server.channel)),
        (
            "settle-leaf-hashes-v1.json",
            serde_json::to_string(&chunk).unwrap(),
        ),
    ] {
        if std::env::var_os("GOLDEN_REGENERATE").as_deref() == Some("channel2".as_ref()) {
            std::fs::write(golden.join(file), &text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(golden.join(file)).unwrap(),
            text,
            "{file}"
        );
    }
    // The chunk's persisted form round-trips and is checked.
    let text = serde_json::to_string(&chunk).unwrap();
    assert_eq!(serde_json::from_str::<HistoryChunk>(&text).unwrap(), chunk);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["index"] = 1.into();
    let err = serde_json::from_value::<HistoryChunk>(v).unwrap_err();
    assert!(err.to_string().contains("outside its range"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["format"] = 2.into();
    assert!(serde_json::from_value::<HistoryChunk>(v).is_err());

    // A record of format 1, which carries every hash (as written before chunks), loads; its
    // first save stores the chunk apart and writes the same record as above.
    let mut v = record.clone();
    v["format"] = 1.into();
    v.as_object_mut().unwrap().remove("history_chunks");
    for (k, hash) in chunk.hashes() {
        v["settle_leaf_hashes"][k.to_string()] = hex(&hash.to_byte_array()).into();
    }
    let migrated: Channel = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(
        migrated
            .fresh_history_chunks()
            .map(|f| f.chunk())
            .collect::<Vec<_>>(),
        [&chunk]
    );
    assert_eq!(serde_json::to_value(&migrated).unwrap(), record);
    // Records that contradict themselves are refused.
    let refused = |v: serde_json::Value, what: &str| {
        let err = serde_json::from_value::<Channel>(v).unwrap_err();
        assert!(err.to_string().contains(what), "{err} does not say {what}");
    };
    let mut both = record.clone();
    both["settle_leaf_hashes"]["5"] = v["settle_leaf_hashes"]["5"].clone();
    refused(both, "in chunk 0 stored apart");
    let mut too_many = record.clone();
    too_many["history_chunks"] = 2.into();
    refused(
        too_many,
        "is kept in the record and in chunk 1 stored apart",
    );
    let mut unsigned = record.clone();
    unsigned["latest"] = serde_json::Value::Null;
    unsigned["status"] = "closed".into();
    unsigned["settle_leaf_hashes"] = serde_json::json!({});
    refused(
        unsigned,
        "1 chunks of history stored apart, but the latest signed state is None",
    );
    let mut format1 = record.clone();
    format1["format"] = 1.into();
    refused(format1, "format 1 with 1 chunks");
}

#[test]
fn cooperative_close_from_the_latest_state_is_valid_on_chain() {
    let mut h = Harness::open(11);
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(300_000))
        .unwrap();
    h.update(Party::Client, next, Party::Server);
    let close = h
        .client
        .channel
        .cooperative_close(Amount::from_sat(500), Party::Client)
        .unwrap();
    let params = h.client.channel.params().clone();
    let key = asyncpay::eltoo::CooperativeClose::signing_key(&params).unwrap();
    let msg = close.sighash().unwrap();
    let (c, s) = (h.client.key(), h.server.key());
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
    h.chain.submit_to_miner(close.signed(&sig)).unwrap();
    let c = h.client.channel.closing().unwrap();
    h.set(Party::Client, c);
    assert_eq!(h.client.channel.status(), ChannelStatus::Closing);
    assert!(matches!(
        h.client
            .channel
            .propose(
                h.latest().pay(Party::Client, Amount::ONE_SAT).unwrap(),
                h.rand.next()
            )
            .unwrap_err(),
        ChannelError::WrongStatus { .. }
    ));
}

#[test]
fn updates_wait_for_the_opening_and_state_zero_must_match_it() {
    let client = PartySecrets::from_seed(12);
    let server = PartySecrets::from_seed(112);
    let policy = OpenPolicy::default();
    // A push on a channel S funds would give the client S's coins in state 0: refused,
    // whatever the amount (one satoshi up to the whole capacity).
    for push_sat in [1, 1_000, CAPACITY] {
        let gift = OpenChannel {
            channel_id: ChannelId([12; 32]),
            client_keys: WireKeys::from(&client.keys()),
            capacity_sat: CAPACITY,
            funder: Party::Server,
            push_sat,
            shared_delay: None,
        };
        let err = Channel::accept_open(&gift, &server.keys(), &policy).unwrap_err();
        assert!(
            matches!(&err, ChannelError::OpenRefused(m) if m.contains("push_sat must be 0")),
            "{err}"
        );
    }
    // The funder may give the other side something: here the client pushes 1 000 sat to S.
    let open = OpenChannel {
        channel_id: ChannelId([12; 32]),
        client_keys: WireKeys::from(&client.keys()),
        capacity_sat: CAPACITY,
        funder: Party::Client,
        push_sat: 1_000,
        shared_delay: None,
    };
    let (s, accept) = Channel::accept_open(&open, &server.keys(), &policy).unwrap();
    assert_eq!(accept.shared_delay, policy.default_shared_delay);
    let c = Channel::on_accept_channel(&open, &accept).unwrap();
    assert_eq!(c.initial_state().server, Amount::from_sat(1_000));
    assert_eq!(c.initial_state().client, Amount::from_sat(CAPACITY - 1_000));
    // State 1 before state 0; state 0 with other balances.
    let mut one = c.initial_state();
    one.number = 1;
    assert_eq!(
        c.propose(one, [1; 32]).unwrap_err().to_string(),
        "update proposal for state 1 but no state is signed yet (the first state is 0)"
    );
    let mut skewed = c.initial_state();
    skewed.client = Amount::ZERO;
    skewed.server = Amount::from_sat(CAPACITY);
    assert!(matches!(
        c.propose(skewed, [1; 32]).unwrap_err(),
        ChannelError::InitialState { .. }
    ));
    let (s, proposal) = s.propose(s.initial_state(), [2; 32]).unwrap();
    let (c, accept0) = c.accept(&proposal, [3; 32], accept_all).unwrap();
    let s = s.on_accept(&accept0).unwrap();
    let (s, _) = s.sign(server.funding).unwrap();
    // Signing with the wrong key is refused before the nonce is touched.
    assert_eq!(
        c.sign(server.funding).unwrap_err(),
        ChannelError::WrongKey("client")
    );
    let (c, _) = c.sign(client.funding).unwrap();
    let c = c.on_signature(&s.update_signature().unwrap()).unwrap();
    let s = s.on_signature(&c.update_signature().unwrap()).unwrap();
    assert_eq!(c.status(), ChannelStatus::AwaitingFunding);
    assert_eq!(s.latest(), c.latest());
    // No updates before the funding is confirmed.
    let next = c
        .latest()
        .unwrap()
        .state
        .pay(Party::Client, Amount::ONE_SAT)
        .unwrap();
    assert!(c
        .propose(next, [4; 32])
        .unwrap_err()
        .to_string()
        .contains("while the channel is awaiting funding"));
    assert_eq!(
        c.on_funding_confirmed(3).unwrap_err(),
        ChannelError::FundingUnknown
    );

    // Open requests the server refuses.
    let mut big = open.clone();
    big.capacity_sat = 200_000_000;
    assert!(Channel::accept_open(&big, &server.keys(), &policy).is_err());
    let mut slow = open.clone();
    slow.shared_delay = Some(5_000);
    assert!(Channel::accept_open(&slow, &server.keys(), &policy)
        .unwrap_err()
        .to_string()
        .contains("shared delay 5000 blocks"));
    let mut same_keys = open.clone();
    same_keys.client_keys = WireKeys::from(&server.keys());
    assert!(Channel::accept_open(&same_keys, &server.keys(), &policy).is_err());
}

#[test]
fn message_decode_rejects_oversized_input_and_unknown_versions() {
    let msg = Message::UpdateProposal(UpdateProposal {
        channel_id: ChannelId([1; 32]),
        number: 1,
        state: WireState {
            number: 1,
            client_sat: 1,
            server_sat: 2,
            ptlcs: vec![],
        },
        proposer_nonce: [3; 66],
    });
    let bytes = msg.encode();
    assert_eq!(Message::decode(&bytes).unwrap(), msg);
    let mut padded = bytes.clone();
    padded.resize(MAX_MESSAGE_SIZE + 1, b' ');
    assert_eq!(
        Message::decode(&padded).unwrap_err(),
        MessageError::TooLarge {
            size: MAX_MESSAGE_SIZE + 1,
            limit: MAX_MESSAGE_SIZE
        }
    );
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace("\"version\":1", "\"version\":9");
    let err = Message::decode(text.as_bytes()).unwrap_err();
    assert_eq!(err, MessageError::UnsupportedVersion { found: 9 });
    assert!(err.to_string().contains("version 9 is not supported"));
    assert!(Message::decode(b"not json").is_err());
}

#[test]
fn persisted_channels_are_validated_on_load() {
    let h = Harness::open(13);
    let text = json(&h.client.channel);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["latest"]["state"]["client_sat"] = 999_999.into();
    let err = serde_json::from_value::<Channel>(v).unwrap_err();
    assert!(err.to_string().contains("capacity"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["format"] = 3.into();
    let err = serde_json::from_value::<Channel>(v).unwrap_err();
    assert!(
        err.to_string().contains("format 3 is not supported"),
        "{err}"
    );
    // Format 2 says how many chunks of history are stored apart; format 1 has none.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["format"] = 2.into();
    let err = serde_json::from_value::<Channel>(v).unwrap_err();
    assert!(err.to_string().contains("format 2 with 0 chunks"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sig = v["latest"]["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    v["latest"]["signature"] = format!("{flipped}{}", &sig[1..]).into();
    let err = serde_json::from_value::<Channel>(v).unwrap_err();
    assert!(err.to_string().contains("signature of state 0"), "{err}");
    // The Debug form never shows a secret nonce or partial signature.
    let mut h = h;
    let next = h.latest().pay(Party::Client, Amount::ONE_SAT).unwrap();
    let (c, _) = h.client.channel.propose(next, h.rand.next()).unwrap();
    let nonce_hex = serde_json::to_value(&c).unwrap()["pending"]["secret_nonce"]
        .as_str()
        .unwrap()
        .to_string();
    let debug = format!("{c:?}");
    assert!(debug.contains("<secret>") && !debug.contains(&nonce_hex[..16]));
}

// ----- the asynchronous payment: a withheld partial, and a cancel superseding it -----

/// The payer A signs update `n+1` with `sign_withheld`: the signature is the one `sign`
/// gives, the nonce is consumed, but `update_signature` never hands `s_A` out and the
/// signed update cannot be cancelled.
#[test]
fn a_withheld_partial_is_never_handed_to_the_peer() {
    let mut h = Harness::open(20);
    let payment = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    h.begin(Party::Client, payment);
    let pre_sign = json(&h.client.channel);
    assert!(!pre_sign.contains("withheld"), "absent while not withheld");
    assert!(!h.client.channel.pending().unwrap().withheld());

    let s_a = h.sign_withheld();
    let key = h.client.key();
    let pending = h.client.channel.pending().unwrap();
    assert!(pending.withheld() && pending.nonce_consumed());
    assert_eq!(h.client.channel.local_partial(), Some(s_a));
    let err = h.client.channel.update_signature().unwrap_err();
    assert_eq!(err, ChannelError::Withheld(1));
    assert_eq!(
        err.to_string(),
        "our partial signature on state 1 is withheld (sold to the payee in an asynchronous \
         payment) and is never sent to the peer"
    );
    // The same partial as `sign` from the persisted pre-sign copy (a crash replay).
    let restored: Channel = serde_json::from_str(&pre_sign).unwrap();
    assert_eq!(restored.sign_withheld(key).unwrap().1, s_a);
    assert_eq!(restored.sign(key).unwrap().1, s_a);
    // The nonce signs once; a signed update is not cancelled.
    for result in [
        h.client.channel.sign_withheld(key),
        h.client.channel.sign(key),
    ] {
        assert_eq!(result.unwrap_err(), ChannelError::NonceConsumed(1));
    }
    assert_eq!(
        h.client.channel.cancel_pending().unwrap_err(),
        ChannelError::CannotCancelSigned(1)
    );
    let v: serde_json::Value = serde_json::from_str(&json(&h.client.channel)).unwrap();
    assert_eq!(v["pending"]["withheld"], true);
    assert!(v["pending"]["secret_nonce"].is_null());
    assert_eq!(
        v["pending"]["local_partial"].as_str(),
        Some(hex(&s_a.to_bytes()).as_str())
    );

    // S signs normally; its partial goes to A as usual.
    let s_s = h.sign(Party::Server);
    assert!(!h.server.channel.pending().unwrap().withheld());
    assert_eq!(s_s.number, 1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The peer's partial completes a withheld update on A's side (S delivering `s_S`, here even
/// before B sold `s_A`); A still never answers with `s_A`; S completes with `s_A` from B.
#[test]
fn the_peers_partial_completes_a_withheld_update() {
    let mut h = Harness::open(21);
    let payment = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    h.begin(Party::Client, payment.clone());
    let s_a = h.sign_withheld();
    let s_s = h.sign(Party::Server);
    assert!(h.server.channel.pending().is_some(), "S waits for s_A");

    let c = h.client.channel.on_signature(&s_s).unwrap();
    h.set(Party::Client, c);
    assert!(h.client.channel.pending().is_none());
    assert_eq!(h.client.channel.latest().unwrap().state, payment);
    // Completed from a withheld partial: A's resend path does not leak s_A either.
    assert_eq!(
        h.client.channel.update_signature().unwrap_err(),
        ChannelError::Withheld(1)
    );
    let v: serde_json::Value = serde_json::from_str(&json(&h.client.channel)).unwrap();
    assert_eq!(v["latest"]["withheld"], true);

    // B sells s_A to S, who completes state 1 too.
    let from_b = UpdateSignature {
        channel_id: h.server.channel.id(),
        number: 1,
        partial_signature: s_a.to_bytes(),
    };
    let s = h.server.channel.on_signature(&from_b).unwrap();
    h.set(Party::Server, s);
    assert_eq!(h.client.channel.latest(), h.server.channel.latest());
    h.check_latest_on_chain();

    // The next update is an ordinary one, and resending works again.
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(1_000))
        .unwrap();
    h.update(Party::Client, next, Party::Client);
    assert_eq!(h.client.channel.update_signature().unwrap().number, 2);
    assert!(!json(&h.client.channel).contains("withheld"));
    h.check_latest_on_chain();
}

/// The cancel: A withheld `s_A` on `n+1` and S signed it too; both supersede it, refuse to
/// sign `n+1` again, and sign `n+2` restoring A's balance, which becomes the latest state.
#[test]
fn a_superseded_withheld_payment_is_replaced_by_state_n_plus_2() {
    let mut h = Harness::open(22);
    let paid = h
        .latest()
        .pay(Party::Client, Amount::from_sat(100_000))
        .unwrap();
    h.update(Party::Client, paid, Party::Client);
    let n = h.latest();
    assert_eq!(n.number, 1);
    let payment = n.pay(Party::Client, Amount::from_sat(50_000)).unwrap();
    h.begin(Party::Client, payment.clone());
    let old_nonce = h.client.channel.pending().unwrap().local_nonce().to_bytes();
    h.sign_withheld();
    let (s, _s_s) = h.server.channel.sign(h.server.key()).unwrap();
    h.set(Party::Server, s);

    let payment_leaf =
        asyncpay::eltoo::StateTransactions::build(h.client.channel.params(), &payment)
            .unwrap()
            .settle_leaf_hash();
    for party in [Party::Client, Party::Server] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
        let ch = &h.node(party).channel;
        assert!(ch.pending().is_none());
        assert_eq!(ch.superseded(), Some(2));
        assert_eq!(ch.next_number(), 3);
        assert_eq!(ch.latest().unwrap().state, n);
        assert_eq!(ch.history().keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(ch.history()[&2], payment_leaf);
        assert_eq!(
            ch.supersede_pending().unwrap_err(),
            ChannelError::NoPendingUpdate
        );
    }
    // Neither side signs another state 2.
    let mut again = payment.clone();
    again.client += Amount::from_sat(1);
    again.server -= Amount::from_sat(1);
    let err = h
        .client
        .channel
        .propose(again.clone(), h.rand.next())
        .unwrap_err();
    assert_eq!(
        err,
        ChannelError::WrongNumber {
            what: "update proposal",
            got: 2,
            latest: Some(1),
            superseded: Some(2),
        }
    );
    assert_eq!(
        err.to_string(),
        "update proposal for state 2 but the latest signed state is 1 and the update to state \
         2 was superseded (the next state is 3)"
    );
    let replay = UpdateProposal {
        channel_id: h.server.channel.id(),
        number: 2,
        state: WireState::from(&again),
        proposer_nonce: old_nonce,
    };
    assert!(matches!(
        h.server
            .channel
            .accept(&replay, h.rand.next(), server_policy)
            .unwrap_err(),
        ChannelError::WrongNumber { got: 2, .. }
    ));

    // State n+2 restores A's balance (S's policy accepts it: S holds what it held at n).
    let mut restored = n.clone();
    restored.number = 3;
    h.update(Party::Client, restored.clone(), Party::Server);
    for party in [Party::Client, Party::Server] {
        let ch = &h.node(party).channel;
        assert_eq!(ch.latest().unwrap().state, restored);
        assert_eq!(ch.superseded(), None);
        assert_eq!(ch.next_number(), 4);
        assert_eq!(
            ch.history().keys().copied().collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(ch.history()[&2], payment_leaf, "kept to rebind over it");
        assert!(!json(ch).contains("superseded"));
    }
    h.check_latest_on_chain();
    let next = h
        .latest()
        .pay(Party::Client, Amount::from_sat(2_000))
        .unwrap();
    h.update(Party::Client, next, Party::Client);
    assert_eq!(h.latest().number, 4);
    h.check_latest_on_chain();
}

/// S never signed the payment update (it signs only at the sale): superseding it discards
/// S's secret nonce unused. An unsigned update proposed by S is superseded the same way.
#[test]
fn supersede_drops_an_update_the_server_never_signed() {
    let mut h = Harness::open(23);
    let payment = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    h.begin(Party::Client, payment);
    h.sign_withheld();
    let server_nonce = serde_json::to_value(&h.server.channel).unwrap()["pending"]["secret_nonce"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!h.server.channel.pending().unwrap().nonce_consumed());
    for party in [Party::Server, Party::Client] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
    }
    let after = json(&h.server.channel);
    assert!(!after.contains(&server_nonce), "the nonce is gone, unused");
    assert_eq!(
        h.server.channel.sign(h.server.key()).unwrap_err(),
        ChannelError::NoPendingUpdate
    );
    assert_eq!(h.server.channel.superseded(), Some(1));
    assert_eq!(h.client.channel.history(), h.server.channel.history());

    // An update S proposed, nobody signed: superseded as well (2 above 1).
    let mut proposed_by_s = h.latest();
    proposed_by_s.number = 2;
    h.begin(Party::Server, proposed_by_s);
    for party in [Party::Client, Party::Server] {
        assert!(!h.node(party).channel.pending().unwrap().nonce_consumed());
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
        let ch = &h.node(party).channel;
        assert_eq!((ch.superseded(), ch.next_number()), (Some(2), 3));
        assert_eq!(ch.latest().unwrap().state.number, 0);
        assert_eq!(ch.history().keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
    }
    let mut next = h.latest();
    next.number = 3;
    h.update(Party::Server, next, Party::Client);
    assert_eq!(h.latest().number, 3);
    assert_eq!(h.client.channel.superseded(), None);
    h.check_latest_on_chain();
}

/// A sale state: `latest` plus a PTLC of 20 000 sat S offers the client.
fn sale(latest: &ChannelState, number: u32, seed: u64) -> ChannelState {
    let ptlc = Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(20_000),
        point: point(seed),
        expiry: 1_000,
    };
    asyncpay::payment::sale::sale_state(latest, number, ptlc).unwrap()
}

/// A harness whose state 1 gives S 100 000 sat to sell with.
fn harness_with_server_balance(seed: u8) -> Harness {
    let mut h = Harness::open(seed);
    let paid = h
        .latest()
        .pay(Party::Client, Amount::from_sat(100_000))
        .unwrap();
    h.update(Party::Client, paid, Party::Client);
    h
}

/// A withdrawn sale (PROTOCOL.md §7.4) the payee had signed: only a state that adds PTLCs
/// the peer offers may be dropped once signed; both sides supersede it, and the next state
/// is numbered above it on both.
#[test]
fn a_withdrawn_sale_state_the_payee_signed_is_superseded_on_both_sides() {
    let mut h = harness_with_server_balance(24);
    h.begin(Party::Server, sale(&h.latest(), 2, 1));
    h.sign(Party::Client);
    assert!(h.client.channel.may_drop_signed_pending());
    assert!(!h.server.channel.may_drop_signed_pending());
    for party in [Party::Server, Party::Client] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
        assert_eq!(h.node(party).channel.next_number(), 3);
    }
    assert!(h.server.channel.take_back_supersede(3).is_none());
    assert!(
        h.client.channel.take_back_supersede(2).is_none(),
        "the payee signed it: its number is never given back"
    );
    // A second sale state signed while the first is kept: never dropped (only one dropped
    // update can be adopted should the peer publish it).
    h.begin(Party::Server, sale(&h.latest(), 3, 2));
    let signature = h.sign(Party::Client);
    assert!(!h.client.channel.may_drop_signed_pending());
    let c = h.server.channel.on_signature(&signature).unwrap();
    h.set(Party::Server, c);
    let signature = h.sign(Party::Server);
    let c = h.client.channel.on_signature(&signature).unwrap();
    h.set(Party::Client, c);
    assert_eq!(h.latest().number, 3);
    h.check_latest_on_chain();

    // Nor a state that settles a sold PTLC: its claim (the one whose proposal reveals `t`,
    // which a server must not make us drop by answering `sale_withdrawn`) or its give-back.
    let sold = |h: &Harness| h.latest().ptlcs.last().unwrap().clone();
    let claiming = |h: &Harness| {
        let ptlc = sold(h);
        asyncpay::payment::sale::claimed_state(&h.latest(), 3, ptlc.point, ptlc.amount).unwrap()
    };
    let giving_back = |h: &Harness| {
        let mut next = h.latest();
        next.number = 3;
        next.server += next.ptlcs.pop().unwrap().amount;
        next
    };
    let settling: [&dyn Fn(&Harness) -> ChannelState; 2] = [&claiming, &giving_back];
    for next in settling {
        let mut h = harness_with_server_balance(29);
        h.update(Party::Server, sale(&h.latest(), 2, 1), Party::Client);
        let next = next(&h);
        h.begin(Party::Client, next);
        h.sign(Party::Client);
        assert!(!h.client.channel.may_drop_signed_pending());
    }

    // A payment of ours, or a PTLC we offer, is never dropped once signed.
    let paying = |l: &ChannelState| l.pay(Party::Client, Amount::from_sat(1_000)).unwrap();
    let offering = |l: &ChannelState| {
        let mut next = l.clone();
        next.number += 1;
        next.client -= Amount::from_sat(20_000);
        next.ptlcs.push(Ptlc {
            offerer: Party::Client,
            amount: Amount::from_sat(20_000),
            point: point(3),
            expiry: 1_000,
        });
        next
    };
    let ours: [&dyn Fn(&ChannelState) -> ChannelState; 2] = [&paying, &offering];
    for next in ours {
        let mut h = harness_with_server_balance(25);
        h.begin(Party::Client, next(&h.latest()));
        h.sign(Party::Client);
        assert!(!h.client.channel.may_drop_signed_pending());
    }
}

/// A hostile S that said it withdrew a sale, kept the payee's partial signature of the
/// sale state and completes and publishes that state before any state above it is signed:
/// the payee, which dropped the state, adopts it from the chain (its record kept the state
/// and its partial) and settles it; a wrong signature is refused. The kept update survives
/// a save and goes once the next state completes.
#[test]
fn a_dropped_sale_state_the_server_publishes_is_adopted_and_settled() {
    let mut h = harness_with_server_balance(27);
    let sale_state = sale(&h.latest(), 2, 1);
    h.begin(Party::Server, sale_state.clone());
    let payee_partial = h.sign(Party::Client);
    let hostile: Channel = serde_json::from_str(&json(&h.server.channel)).unwrap();
    let (hostile, _) = hostile.sign(h.server.key()).unwrap();
    let hostile = hostile.on_signature(&payee_partial).unwrap();
    let published = hostile.funding_update_tx().unwrap();
    for party in [Party::Server, Party::Client] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
    }
    assert!(json(&h.client.channel).contains("superseded_signed"));
    assert!(!json(&h.server.channel).contains("superseded_signed"));

    h.chain.check_consensus(&published).unwrap();
    h.chain.submit_to_miner(published.clone()).unwrap();
    h.chain.mine(1, None);
    assert!(matches!(
        h.client.channel.react_to_published_update(&published, &[]),
        Err(ChannelError::PublishedNewer {
            published: 2,
            latest: 1
        })
    ));
    let signature = h
        .client
        .channel
        .pending_signature_in(&published)
        .unwrap()
        .expect("the 2-of-2 signature of the dropped state");
    assert!(h.client.channel.adopt_pending([7; 64]).is_err());
    let adopted = persist(h.client.channel.adopt_pending(signature).unwrap());
    assert_eq!(adopted.latest().unwrap().state, sale_state);
    assert_eq!(adopted.superseded(), None);
    assert_eq!(
        adopted.react_to_published_update(&published, &[]).unwrap(),
        None,
        "the latest state: settle it"
    );
    let settlement = adopted
        .settlement_tx(OutPoint::new(published.compute_txid(), 0))
        .unwrap();
    h.chain.mine(u32::from(DELAY), None);
    h.chain.check_consensus(&settlement).unwrap();

    // Once the next state completes, nothing of the dropped state is kept.
    h.update(Party::Server, sale(&h.latest(), 3, 2), Party::Client);
    assert!(!json(&h.client.channel).contains("superseded_signed"));
    assert!(h
        .client
        .channel
        .pending_signature_in(&published)
        .unwrap()
        .is_none());
}

/// Two sale states the payee signed and dropped in a row (the state restoring its balances
/// never signed between them): both stay adoptable. A hostile S that completes both
/// publishes the first, then rebinds the second over it; the payee adopts each in turn and
/// settles the second.
#[test]
fn two_dropped_sale_states_stay_adoptable_one_over_the_other() {
    let mut h = harness_with_server_balance(28);
    let mut hostile = Vec::new();
    for (number, seed) in [(2, 1), (3, 2)] {
        h.begin(Party::Server, sale(&h.latest(), number, seed));
        let payee_partial = h.sign(Party::Client);
        let copy: Channel = serde_json::from_str(&json(&h.server.channel)).unwrap();
        let (copy, _) = copy.sign(h.server.key()).unwrap();
        hostile.push(copy.on_signature(&payee_partial).unwrap());
        for party in [Party::Server, Party::Client] {
            let c = h.node(party).channel.supersede_pending().unwrap();
            h.set(party, c);
        }
    }
    let kept = serde_json::to_value(&h.client.channel).unwrap();
    assert_eq!(kept["superseded_signed"].as_array().unwrap().len(), 2);
    let mut swapped = kept.clone();
    swapped["superseded_signed"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let err = serde_json::from_value::<Channel>(swapped).unwrap_err();
    assert!(
        err.to_string().contains("is not a superseded update"),
        "{err}"
    );

    let first = hostile[0].funding_update_tx().unwrap();
    h.chain.submit_to_miner(first.clone()).unwrap();
    h.chain.mine(1, None);
    let signature = h
        .client
        .channel
        .pending_signature_in(&first)
        .unwrap()
        .unwrap();
    let adopted = persist(h.client.channel.adopt_pending(signature).unwrap());
    assert_eq!(adopted.latest().unwrap().state.number, 2);
    assert_eq!(adopted.superseded(), Some(3));
    assert!(adopted.holds_superseded_signed());

    let second = hostile[1]
        .react_to_published_update(&first, &[])
        .unwrap()
        .expect("state 3 rebinds over state 2");
    h.chain.check_consensus(&second).unwrap();
    h.chain.submit_to_miner(second.clone()).unwrap();
    h.chain.mine(1, None);
    assert!(matches!(
        adopted.react_to_published_update(&second, &[]),
        Err(ChannelError::PublishedNewer {
            published: 3,
            latest: 2
        })
    ));
    let signature = adopted.pending_signature_in(&second).unwrap().unwrap();
    let adopted = persist(adopted.adopt_pending(signature).unwrap());
    assert_eq!(
        adopted.latest().unwrap().state,
        hostile[1].latest().unwrap().state
    );
    assert!(!adopted.holds_superseded_signed() && adopted.superseded().is_none());
    let settlement = adopted
        .settlement_tx(OutPoint::new(second.compute_txid(), 0))
        .unwrap();
    h.chain.mine(u32::from(DELAY), None);
    h.chain.check_consensus(&settlement).unwrap();
}

/// A withdrawn sale the payee never signed: it drops the state without superseding, S
/// takes its supersede back for a proposal of that number (and for no other), and the
/// next state carries the number again on both sides.
#[test]
fn a_withdrawn_sale_state_the_payee_never_signed_gives_its_number_back() {
    let mut h = harness_with_server_balance(26);
    h.begin(Party::Server, sale(&h.latest(), 2, 1));
    let c = h.server.channel.supersede_pending().unwrap();
    h.set(Party::Server, c);
    let c = h.client.channel.cancel_pending().unwrap();
    h.set(Party::Client, c);
    assert_eq!(
        (
            h.server.channel.next_number(),
            h.client.channel.next_number()
        ),
        (3, 2)
    );
    assert!(h.server.channel.take_back_supersede(3).is_none());
    let c = h.server.channel.take_back_supersede(2).unwrap();
    h.set(Party::Server, c);
    assert_eq!(h.server.channel.next_number(), 2);
    assert_eq!(h.server.channel.superseded(), None);
    assert_eq!(h.client.channel.history(), h.server.channel.history());
    h.update(Party::Server, sale(&h.latest(), 2, 2), Party::Client);
    assert_eq!(h.latest().number, 2);
    h.check_latest_on_chain();

    // Superseded twice over the same latest state (3 on both sides, then 4 at S alone):
    // taking 4 back leaves 3 the superseded update, and the next state is 4 on both.
    h.begin(Party::Server, sale(&h.latest(), 3, 3));
    for party in [Party::Server, Party::Client] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
    }
    h.begin(Party::Server, sale(&h.latest(), 4, 4));
    let c = h.server.channel.supersede_pending().unwrap();
    h.set(Party::Server, c);
    let c = h.client.channel.cancel_pending().unwrap();
    h.set(Party::Client, c);
    let c = h.server.channel.take_back_supersede(4).unwrap();
    h.set(Party::Server, c);
    assert_eq!(h.server.channel.superseded(), Some(3));
    assert_eq!(h.server.channel.next_number(), 4);
    assert_eq!(h.client.channel.history(), h.server.channel.history());
    h.update(Party::Server, sale(&h.latest(), 4, 5), Party::Client);
    assert_eq!(h.latest().number, 4);
}

#[test]
fn supersede_needs_an_open_channel_with_a_pending_update() {
    let mut h = Harness::open(24);
    assert_eq!(
        h.client.channel.supersede_pending().unwrap_err(),
        ChannelError::NoPendingUpdate
    );
    let payment = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    h.begin(Party::Client, payment);
    h.sign_withheld();
    // A close under way keeps a signed pending update, and nothing is superseded any more.
    let closing = h.client.channel.closing().unwrap();
    assert!(closing.pending().is_some());
    assert_eq!(
        closing.supersede_pending().unwrap_err(),
        ChannelError::WrongStatus {
            action: "supersede the pending update",
            status: ChannelStatus::Closing,
        }
    );
    assert_eq!(
        closing.closed().supersede_pending().unwrap_err(),
        ChannelError::WrongStatus {
            action: "supersede the pending update",
            status: ChannelStatus::Closed,
        }
    );
}

/// Withheld and superseded channels survive the JSON round trip; files without the new
/// fields load as before; inconsistent records are refused.
#[test]
fn withheld_and_superseded_records_round_trip_and_are_validated() {
    let mut h = Harness::open(25);
    let plain = json(&h.client.channel);
    assert!(!plain.contains("withheld") && !plain.contains("superseded"));
    let payment = h
        .latest()
        .pay(Party::Client, Amount::from_sat(50_000))
        .unwrap();
    h.begin(Party::Client, payment);
    let pre_sign: serde_json::Value = serde_json::to_value(&h.client.channel).unwrap();
    h.sign_withheld();
    let withheld: serde_json::Value = serde_json::to_value(&h.client.channel).unwrap();
    let loaded: Channel = serde_json::from_value(withheld.clone()).unwrap();
    assert!(loaded.pending().unwrap().withheld());
    assert_eq!(
        loaded.update_signature().unwrap_err(),
        ChannelError::Withheld(1)
    );

    let refused = |v: serde_json::Value, expect: &str| {
        let err = serde_json::from_value::<Channel>(v)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{err}");
    };
    // Withheld needs our partial signature.
    let mut v = pre_sign.clone();
    v["pending"]["withheld"] = true.into();
    refused(v, "marked withheld without our partial signature");

    for party in [Party::Client, Party::Server] {
        let c = h.node(party).channel.supersede_pending().unwrap();
        h.set(party, c);
    }
    let superseded: serde_json::Value = serde_json::to_value(&h.client.channel).unwrap();
    assert_eq!(superseded["superseded"], 1);
    assert!(superseded["pending"].is_null());
    let loaded: Channel = serde_json::from_value(superseded.clone()).unwrap();
    assert_eq!((loaded.superseded(), loaded.next_number()), (Some(1), 2));

    for (number, expect) in [
        (0, "is not between the latest signed state 0"),
        (asyncpay::eltoo::scripts::MAX_STATE, "is not between"),
        (5, "settle-leaf hash of the superseded update 5 is missing"),
    ] {
        let mut v = superseded.clone();
        v["superseded"] = number.into();
        refused(v, expect);
    }
    let mut v = superseded.clone();
    v["settle_leaf_hashes"]
        .as_object_mut()
        .unwrap()
        .remove("1")
        .unwrap();
    refused(v, "settle-leaf hash of the superseded update 1 is missing");
    // The payer signed the update it superseded: the record keeps it, and it must be that
    // update.
    assert_eq!(superseded["superseded_signed"][0]["state"]["number"], 1);
    let mut v = superseded.clone();
    v.as_object_mut().unwrap().remove("superseded").unwrap();
    refused(
        v.clone(),
        "the signed superseded update 1 is not a superseded update",
    );
    v.as_object_mut()
        .unwrap()
        .remove("superseded_signed")
        .unwrap();
    refused(
        v,
        "settle-leaf hash of state 1, which is neither signed nor superseded",
    );
    let mut v = superseded.clone();
    v["superseded_signed"][0]["state"]["client_sat"] = 1.into();
    refused(v, "persisted channel is corrupt");

    // A pending update after the supersede must carry the next number (2, not 1).
    let next = h.latest().pay(Party::Client, Amount::ONE_SAT).unwrap();
    let next = asyncpay::eltoo::ChannelState { number: 2, ..next };
    h.begin(Party::Client, next);
    let mut v: serde_json::Value = serde_json::to_value(&h.client.channel).unwrap();
    v["pending"]["next"]["number"] = 1.into();
    refused(
        v,
        "the pending update is for state 1 but the next state is 2",
    );

    // A completed withheld state needs our partial too.
    let mut v = withheld;
    v["pending"] = serde_json::Value::Null;
    v["latest"]["withheld"] = true.into();
    v["latest"]["local_partial"] = serde_json::Value::Null;
    refused(
        v,
        "state 0 is marked withheld without our partial signature",
    );
}
