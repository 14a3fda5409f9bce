//! A two-party channel harness on a chain for the adversary tests of the watcher
//! (tests/adversary_watch.rs): a minimal copy of the harness in tests/watch.rs, plus the
//! attacker's tools (fee inputs placed anywhere in an APO-signed transaction, a key-path
//! spend both parties sign).

use std::collections::BTreeMap;

use asyncpay::chain::{Chain, Ledger};
use asyncpay::eltoo::{ChannelState, Party};
use asyncpay::protocol::{
    Channel, ChannelId, ChannelStatus, HistoryChunk, Message, OpenChannel, OpenPolicy,
    UpdateSignature, WireKeys,
};
use asyncpay::watch::{self, WatchError, WatchOutcome};
use bitcoin::{Amount, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, Txid, Witness};

use super::protocol::{accept_all, persist, wire, Rand};
use super::PartySecrets;

pub const CAPACITY: u64 = 1_000_000;
pub const DELAY: u16 = 6;

/// The chain under test: in memory or the on-disk ledger.
pub trait TestChain {
    fn fund(&mut self, script: &Script, amount: Amount) -> OutPoint;
    fn submit(&mut self, tx: &Transaction) -> Result<Txid, String>;
    fn mine(&mut self, n: u32);
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError>;
    fn paid(&self, script: &Script) -> u64;
    fn output(&self, outpoint: &OutPoint) -> bitcoin::TxOut;
}

impl TestChain for Chain {
    fn fund(&mut self, script: &Script, amount: Amount) -> OutPoint {
        Chain::fund(self, script, amount).unwrap()
    }
    fn submit(&mut self, tx: &Transaction) -> Result<Txid, String> {
        Chain::submit_to_miner(self, tx.clone()).map_err(|e| e.to_string())
    }
    fn mine(&mut self, n: u32) {
        Chain::mine(self, n, None);
    }
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::watch(channel, self)
    }
    fn paid(&self, script: &Script) -> u64 {
        self.utxos_for_script(script)
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum()
    }
    fn output(&self, outpoint: &OutPoint) -> bitcoin::TxOut {
        Chain::output(self, outpoint).unwrap()
    }
}

pub struct DiskChain {
    _dir: tempfile::TempDir,
    pub ledger: Ledger,
}

impl DiskChain {
    pub fn new() -> Self {
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
    fn mine(&mut self, n: u32) {
        self.ledger.mine(n, None).unwrap();
    }
    fn watch(&self, channel: &Channel) -> Result<WatchOutcome, WatchError> {
        watch::watch_ledger(channel, &self.ledger)
    }
    fn paid(&self, script: &Script) -> u64 {
        self.ledger
            .utxos_for_script(script)
            .unwrap()
            .iter()
            .map(|(_, u)| u.output.value.to_sat())
            .sum()
    }
    fn output(&self, outpoint: &OutPoint) -> bitcoin::TxOut {
        self.ledger.output(outpoint).unwrap().unwrap()
    }
}

/// Runs a scenario on the in-memory chain and on a ledger in a temporary directory.
pub fn on_both(scenario: impl Fn(&mut dyn TestChain)) {
    scenario(&mut Chain::new());
    scenario(&mut DiskChain::new());
}

/// An independent copy of a channel (channels are not `Clone`).
pub fn copy(channel: &Channel) -> Channel {
    serde_json::from_str(&serde_json::to_string(channel).unwrap()).unwrap()
}

/// A fee input anyone can spend (a funded pay-to-anchor output, empty witness).
pub fn fee_input(chain: &mut dyn TestChain, sat: u64) -> TxIn {
    let outpoint = chain.fund(&ScriptBuf::new_p2a(), Amount::from_sat(sat));
    TxIn {
        previous_output: outpoint,
        script_sig: ScriptBuf::new(),
        sequence: Sequence::MAX,
        witness: Witness::new(),
    }
}

/// `tx` with `before` inserted ahead of its inputs and `after` appended: what anyone may do
/// to an ALL|APOAS-signed transaction.
pub fn with_inputs(tx: &Transaction, before: Vec<TxIn>, after: Vec<TxIn>) -> Transaction {
    let mut t = tx.clone();
    let mut input = before;
    input.extend(t.input);
    input.extend(after);
    t.input = input;
    t
}

pub struct Node {
    pub channel: Channel,
    pub secrets: PartySecrets,
    /// The chunks of the history stored apart from the channel (what a save stores).
    pub chunks: BTreeMap<u32, HistoryChunk>,
}

pub struct Harness {
    pub client: Node,
    pub server: Node,
    pub funding: OutPoint,
    rand: Rand,
    /// The funding-bound update of every signed state (what a cheater could publish).
    pub updates: BTreeMap<u32, Transaction>,
    /// The client's channel as it was at each signed state (its old backups).
    pub backups: BTreeMap<u32, String>,
}

impl Harness {
    pub fn node(&mut self, party: Party) -> &mut Node {
        match party {
            Party::Client => &mut self.client,
            Party::Server => &mut self.server,
        }
    }

    fn set(&mut self, party: Party, channel: Channel) {
        let node = self.node(party);
        for frozen in channel.fresh_history_chunks() {
            let chunk = frozen.chunk();
            node.chunks.insert(chunk.index(), chunk.clone());
        }
        node.channel = persist(channel);
    }

    /// An open channel on `chain` (minimum depth 1), funded by the client.
    pub fn open(seed: u8, chain: &mut dyn TestChain) -> Harness {
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
            minimum_depth: 1,
            ..OpenPolicy::default()
        };
        let (server_channel, accept) =
            Channel::accept_open(&open, &server.keys(), &policy).unwrap();
        let client_channel = Channel::on_accept_channel(&open, &accept).unwrap();
        let mut h = Harness {
            client: Node {
                channel: client_channel,
                secrets: client,
                chunks: BTreeMap::new(),
            },
            server: Node {
                channel: server_channel,
                secrets: server,
                chunks: BTreeMap::new(),
            },
            funding: OutPoint::null(),
            rand: Rand(u64::from(seed) << 32, "adversary-watch"),
            updates: BTreeMap::new(),
            backups: BTreeMap::new(),
        };
        let initial = h.client.channel.initial_state();
        h.update(Party::Client, initial);
        let params = h.client.channel.params().clone();
        h.funding = chain.fund(
            &params.funding_output().unwrap().script_pubkey,
            params.capacity,
        );
        let (c, published) = h.client.channel.funding_published(h.funding).unwrap();
        h.set(Party::Client, c);
        let Message::FundingPublished(published) = wire(published) else {
            panic!("funding")
        };
        let s = h.server.channel.on_funding_published(&published).unwrap();
        h.set(Party::Server, s);
        h.record_latest();
        for party in [Party::Client, Party::Server] {
            h.apply(party, chain);
            assert_eq!(h.node(party).channel.status(), ChannelStatus::Open);
        }
        h
    }

    /// Watches `party`'s channel and applies the suggested transition; returns the outcome.
    pub fn apply(&mut self, party: Party, chain: &dyn TestChain) -> WatchOutcome {
        let outcome = chain.watch(&self.node(party).channel).unwrap();
        if let Some(c) = watch::next_channel(&self.node(party).channel, &outcome).unwrap() {
            self.set(party, c);
        }
        outcome
    }

    /// One full update of `next` proposed by `proposer`.
    pub fn update(&mut self, proposer: Party, next: ChannelState) {
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
        let sig = self.sign(proposer);
        let c = self.node(acceptor).channel.on_signature(&sig).unwrap();
        self.set(acceptor, c);
        assert_eq!(self.client.channel.latest(), self.server.channel.latest());
        if self.client.channel.funding_outpoint().is_some() {
            self.record_latest();
        }
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
        self.backups
            .insert(number, serde_json::to_string(&self.client.channel).unwrap());
    }

    /// The client's channel as backed up at state `number`.
    pub fn backup(&self, number: u32) -> Channel {
        serde_json::from_str(&self.backups[&number]).unwrap()
    }

    pub fn latest(&self) -> ChannelState {
        self.client.channel.latest().unwrap().state.clone()
    }

    /// `n` payments of 20 000 sat from the client to the server.
    pub fn pay(&mut self, n: u32) {
        for _ in 0..n {
            let next = self
                .latest()
                .pay(Party::Client, Amount::from_sat(20_000))
                .unwrap();
            self.update(Party::Client, next);
        }
    }
}
