//! The state-machine fuzzer of one eltoo channel, after rust-lightning's
//! `chanmon_consistency`: shared by the bounded proptest version `tests/state_machine.rs`
//! (every `cargo test`) and the cargo-fuzz target `fuzz/fuzz_targets/state_machine.rs`
//! (long runs), which includes this file with `#[path]`. Only the public API of `asyncpay`,
//! `common/protocol.rs` and their dependencies (bitcoin, secp, serde_json) are used here.
//!
//! The client and the server drive the sans-I/O [`asyncpay::protocol::Channel`] through
//! random interleavings of updates (either side proposes, either side signs first), updates
//! interrupted by a crash and then finished or abandoned, backups taken and restored (the
//! restored side is now stale: a cheater or a careless user), a hostile peer that answers a
//! restored proposal with a new nonce, and blocks mined on the real embedded ledger. Every
//! channel value goes through persistence after every transition. At the end somebody
//! publishes any update it ever held — with a fee input placed before or after the channel's
//! input — and the honest side enforces.
//!
//! Invariants checked after every step (a violation panics: a failed proptest case, a crash
//! for libFuzzer):
//! - conservation: every side's latest state adds up to the capacity;
//! - the honest side's latest state never goes back and is valid on the ledger;
//! - no public nonce of ours ever signs two different sessions (state or peer nonce);
//! - whatever is published, the honest side's latest state settles on chain, to the satoshi.
#![allow(dead_code)]

use std::collections::BTreeMap;

use asyncpay::chain::Chain;
use asyncpay::eltoo::{ChannelState, Party};
use asyncpay::protocol::{
    Channel, ChannelId, Message, OpenChannel, OpenPolicy, UpdateAccept, UpdateProposal, WireKeys,
};
use bitcoin::blockdata::opcodes::OP_TRUE;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, Witness};

use crate::common::protocol::{accept_all, persist, wire, PartySecrets, Rand};

pub const CAPACITY: u64 = 1_000_000;
pub const DELAY: u16 = 6;

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A full update of a random next state.
    Update {
        client_proposes: bool,
        client_signs_first: bool,
        amount: u64,
    },
    /// Propose and accept, crash both sides (persist, reload), then finish or abandon.
    Interrupted { client_proposes: bool, finish: bool },
    /// A backup of one side.
    Backup { client: bool },
    /// One side goes back to one of its backups.
    Restore { client: bool, which: usize },
    /// The client proposes, keeps a backup from before (or after) the server's accept,
    /// signs; then it is restored from that backup and the (hostile) server answers with a
    /// new nonce.
    HostileReaccept { backup_after_accept: bool },
    /// Blocks pass.
    Mine(u8),
}

fn party(client: bool) -> Party {
    if client {
        Party::Client
    } else {
        Party::Server
    }
}

pub struct Side {
    channel: Channel,
    secrets: PartySecrets,
    backups: Vec<String>,
    /// Every session our nonce signed: public nonce -> (state, peer nonce).
    signed: BTreeMap<Vec<u8>, (ChannelState, Vec<u8>)>,
    /// Restored from a backup older than its peer's state: it may no longer be trusted
    /// to be in step, and the other side is the honest one.
    stale: bool,
}

pub struct World {
    client: Side,
    server: Side,
    chain: Chain,
    rand: Rand,
    /// Every update ever signed by both, bound to the funding output, by state number.
    updates: BTreeMap<u32, Transaction>,
    /// The highest state the honest side has seen signed.
    honest_latest: u32,
}

fn json(channel: &Channel) -> String {
    serde_json::to_string(channel).unwrap()
}

fn load(json: &str) -> Channel {
    serde_json::from_str(json).unwrap()
}

impl World {
    fn side(&mut self, p: Party) -> &mut Side {
        match p {
            Party::Client => &mut self.client,
            Party::Server => &mut self.server,
        }
    }

    fn set(&mut self, p: Party, channel: Channel) {
        self.side(p).channel = persist(channel);
    }

    pub fn open(seed: u8) -> World {
        let client = PartySecrets::from_seed(seed);
        let server = PartySecrets::from_seed(seed.wrapping_add(100));
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
        let side = |channel, secrets| Side {
            channel: persist(channel),
            secrets,
            backups: Vec::new(),
            signed: BTreeMap::new(),
            stale: false,
        };
        let mut w = World {
            client: side(client_channel, client),
            server: side(server_channel, server),
            chain: Chain::new(),
            rand: Rand(u64::from(seed) << 32, "state machine"),
            updates: BTreeMap::new(),
            honest_latest: 0,
        };
        let initial = w.client.channel.initial_state();
        w.update(Party::Client, initial, Party::Server).unwrap();
        let params = w.client.channel.params().clone();
        let funding = w
            .chain
            .fund(
                &params.funding_output().unwrap().script_pubkey,
                params.capacity,
            )
            .unwrap();
        let (c, published) = w.client.channel.funding_published(funding).unwrap();
        w.set(Party::Client, c);
        let Message::FundingPublished(published) = wire(published) else {
            panic!("funding")
        };
        let s = w.server.channel.on_funding_published(&published).unwrap();
        w.set(Party::Server, s);
        for p in [Party::Client, Party::Server] {
            let c = w.side(p).channel.on_funding_confirmed(1).unwrap();
            w.set(p, c);
        }
        w.record_latest();
        w
    }

    fn in_step(&self) -> bool {
        !self.client.stale && !self.server.stale
    }

    /// The honest side: the one not restored from an old backup (the server when neither).
    fn honest(&self) -> Party {
        if self.server.stale {
            Party::Client
        } else {
            Party::Server
        }
    }

    /// Records the latest update bound to the funding output (what a cheater may publish
    /// later) once both sides hold it.
    fn record_latest(&mut self) {
        let tx = self.client.channel.funding_update_tx().unwrap();
        assert_eq!(tx, self.server.channel.funding_update_tx().unwrap());
        self.chain.check_consensus(&tx).unwrap();
        let n = self.client.channel.latest().unwrap().state.number;
        self.updates.insert(n, tx);
    }

    fn propose(&mut self, proposer: Party, next: ChannelState) -> Option<UpdateProposal> {
        let rand = self.rand.next();
        let (c, proposal) = self.side(proposer).channel.propose(next, rand).ok()?;
        self.set(proposer, c);
        let Message::UpdateProposal(proposal) = wire(proposal) else {
            panic!("proposal")
        };
        Some(proposal)
    }

    fn accept(&mut self, acceptor: Party, proposal: &UpdateProposal) -> Option<UpdateAccept> {
        let rand = self.rand.next();
        let (c, accept) = self
            .side(acceptor)
            .channel
            .accept(proposal, rand, accept_all)
            .ok()?;
        self.set(acceptor, c);
        let Message::UpdateAccept(accept) = wire(accept) else {
            panic!("accept")
        };
        Some(accept)
    }

    /// `p` signs its pending update; records the session its nonce signed, failing the case
    /// if that nonce already signed another.
    fn sign(&mut self, p: Party) -> Option<Message> {
        let side = self.side(p);
        let pending = side.channel.pending()?;
        let nonce = pending.local_nonce().to_bytes().to_vec();
        let session = (
            pending.next().clone(),
            pending.remote_nonce()?.to_bytes().to_vec(),
        );
        let key = side.secrets.funding;
        let (c, _) = side.channel.sign(key).ok()?;
        if let Some(earlier) = side.signed.insert(nonce, session.clone()) {
            assert_eq!(
                earlier, session,
                "{p:?} signed two different sessions with one nonce"
            );
        }
        self.set(p, c);
        Some(wire(self.side(p).channel.update_signature().unwrap()))
    }

    fn receive_signature(&mut self, p: Party, msg: Message) -> Option<()> {
        let Message::UpdateSignature(sig) = msg else {
            panic!("signature")
        };
        let c = self.side(p).channel.on_signature(&sig).ok()?;
        self.set(p, c);
        Some(())
    }

    /// One full update; `None` where a side refused (which must change nothing of it).
    fn update(&mut self, proposer: Party, next: ChannelState, first: Party) -> Option<()> {
        let proposal = self.propose(proposer, next)?;
        let accept = self.accept(proposer.other(), &proposal)?;
        let c = self.side(proposer).channel.on_accept(&accept).ok()?;
        self.set(proposer, c);
        let sig = self.sign(first)?;
        self.receive_signature(first.other(), sig)?;
        let sig = self.sign(first.other())?;
        self.receive_signature(first, sig)?;
        Some(())
    }

    /// Drops whatever is pending on both sides that was never signed.
    fn abandon(&mut self) {
        for p in [Party::Client, Party::Server] {
            if let Ok(c) = self.side(p).channel.cancel_pending() {
                self.set(p, c);
            }
        }
    }

    fn latest(&self, p: Party) -> ChannelState {
        let side = match p {
            Party::Client => &self.client,
            Party::Server => &self.server,
        };
        side.channel.latest().unwrap().state.clone()
    }

    pub fn run(&mut self, step: &Step) {
        match *step {
            Step::Update {
                client_proposes,
                client_signs_first,
                amount,
            } => {
                let proposer = party(client_proposes);
                let latest = self.latest(proposer);
                let payer = party(amount % 2 == 0);
                let Ok(next) = latest.pay(payer, Amount::from_sat(amount % 150_000)) else {
                    return;
                };
                let done = self
                    .update(proposer, next, party(client_signs_first))
                    .is_some();
                if done && self.in_step() {
                    self.record_latest();
                }
                self.abandon();
            }
            Step::Interrupted {
                client_proposes,
                finish,
            } => {
                let proposer = party(client_proposes);
                let Ok(next) = self.latest(proposer).pay(proposer, Amount::from_sat(1_000)) else {
                    return;
                };
                let Some(proposal) = self.propose(proposer, next) else {
                    return;
                };
                let accept = self.accept(proposer.other(), &proposal);
                // The crash: both sides continue from what they persisted.
                for p in [Party::Client, Party::Server] {
                    let saved = json(&self.side(p).channel);
                    self.side(p).channel = load(&saved);
                }
                let finished = finish
                    && accept
                        .and_then(|accept| {
                            let c = self.side(proposer).channel.on_accept(&accept).ok()?;
                            self.set(proposer, c);
                            let sig = self.sign(proposer)?;
                            self.receive_signature(proposer.other(), sig)?;
                            let sig = self.sign(proposer.other())?;
                            self.receive_signature(proposer, sig)
                        })
                        .is_some();
                if finished && self.in_step() {
                    self.record_latest();
                }
                self.abandon();
            }
            Step::Backup { client } => {
                let saved = json(&self.side(party(client)).channel);
                self.side(party(client)).backups.push(saved);
            }
            Step::Restore { client, which } => {
                let p = party(client);
                // Only one side goes stale: the other one is the honest side of the case.
                if self.side(p.other()).stale || self.side(p).backups.is_empty() {
                    return;
                }
                let side = self.side(p);
                let saved = side.backups[which % side.backups.len()].clone();
                side.channel = load(&saved);
                let restored = self.latest(p).number;
                let peer = self.latest(p.other()).number;
                if restored < peer {
                    self.side(p).stale = true;
                }
                self.abandon();
            }
            Step::HostileReaccept {
                backup_after_accept,
            } => self.hostile_reaccept(backup_after_accept),
            Step::Mine(n) => {
                self.chain.mine(u32::from(n), None);
            }
        }
    }

    /// PROTOCOL §7 invariant 3 against a hostile server: the client proposes (its nonce
    /// leaves), keeps a backup — before S's accept arrives, or after it recorded it — gets
    /// S's accept and signs; restored from the backup, it gets a *different* accept from S
    /// for the same proposal. It must never sign a second session with its nonce:
    /// - backup after the accept: the recorded session refuses S's new nonce
    ///   (`on_accept` fails) — the protocol layer itself enforces it;
    /// - backup before the accept: the restored proposal holds no peer nonce, and the rule
    ///   of docs/protocol.md §7.3 applies — a proposal found on disk without the peer's
    ///   nonce is never signed, only dropped (what `payments`/`channel` recovery does).
    fn hostile_reaccept(&mut self, backup_after_accept: bool) {
        if !self.in_step() {
            return;
        }
        let Ok(next) = self
            .latest(Party::Client)
            .pay(Party::Client, Amount::from_sat(500))
        else {
            return;
        };
        let server_before = json(&self.server.channel);
        let client_before = json(&self.client.channel);
        let Some(proposal) = self.propose(Party::Client, next) else {
            return;
        };
        let mut backup = json(&self.client.channel);
        let Some(accept) = self.accept(Party::Server, &proposal) else {
            return;
        };
        let c = self.client.channel.on_accept(&accept).unwrap();
        self.set(Party::Client, c);
        if backup_after_accept {
            backup = json(&self.client.channel);
        }
        assert!(self.sign(Party::Client).is_some());
        // Restore, and S answers the same proposal again with a fresh nonce.
        self.client.channel = load(&backup);
        self.server.channel = load(&server_before);
        let second = self.accept(Party::Server, &proposal).unwrap();
        let restored = self.client.channel.pending().unwrap();
        if backup_after_accept {
            assert!(
                self.client.channel.on_accept(&second).is_err(),
                "a recorded session refuses another nonce of the peer"
            );
        } else {
            assert!(restored.remote_nonce().is_none() && restored.local_partial().is_none());
            // The §7.3 rule: dropped, never signed.
            let c = self.client.channel.cancel_pending().unwrap();
            self.set(Party::Client, c);
        }
        // Both sides go back to where they were before this step (nothing was completed).
        self.client.channel = load(&client_before);
        self.server.channel = load(&server_before);
    }

    /// Invariants after every step.
    pub fn check(&mut self) {
        for p in [Party::Client, Party::Server] {
            let latest = self.latest(p);
            latest.check(Amount::from_sat(CAPACITY)).unwrap();
        }
        let honest = self.honest();
        let latest = self.latest(honest).number;
        assert!(latest >= self.honest_latest, "the honest side went back");
        self.honest_latest = latest;
        let tx = self.side(honest).channel.funding_update_tx().unwrap();
        self.chain.check_consensus(&tx).unwrap();
        if self.in_step() {
            assert_eq!(self.latest(Party::Client), self.latest(Party::Server));
        }
    }

    /// Someone publishes an update it ever held (by number), with a fee input first or
    /// last; the honest side rebinds as often as needed and settles its latest state.
    pub fn publish_and_enforce(&mut self, number: usize, fee_first: bool) {
        let numbers: Vec<u32> = self.updates.keys().copied().collect();
        let n = numbers[number % numbers.len()];
        let mut tx = self.updates[&n].clone();
        // A fee input from an anyone-can-spend output: APOAS signatures commit to no other
        // input, so a third party may add it anywhere.
        let fee_script =
            ScriptBuf::new_p2wsh(&ScriptBuf::from(vec![OP_TRUE.to_u8()]).wscript_hash());
        let fee = self
            .chain
            .fund(&fee_script, Amount::from_sat(10_000))
            .unwrap();
        let fee_in = TxIn {
            previous_output: fee,
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[vec![OP_TRUE.to_u8()]]),
            ..TxIn::default()
        };
        if fee_first {
            tx.input.insert(0, fee_in);
        } else {
            tx.input.push(fee_in);
        }
        let honest = self.honest();
        let mut published = tx;
        self.chain.submit_to_miner(published.clone()).unwrap();
        self.chain.mine(1, None);
        // The honest side answers every older update with its latest, rebound over it.
        while let Some(answer) = self
            .side(honest)
            .channel
            .react_to_published_update(&published, &[])
            .unwrap()
        {
            self.chain.submit_to_miner(answer.clone()).unwrap();
            self.chain.mine(1, None);
            published = answer;
        }
        let update_out = update_outpoint(&published);
        let settlement = self.side(honest).channel.settlement_tx(update_out).unwrap();
        self.chain.mine(u32::from(DELAY), None);
        self.chain.submit_to_miner(settlement.clone()).unwrap();
        self.chain.mine(1, None);
        // Settled to the satoshi: the honest side's latest state, whatever was published.
        let expected = self
            .side(honest)
            .channel
            .latest_transactions()
            .unwrap()
            .signed_settlement(update_out);
        assert_eq!(settlement.output, expected.output);
        for (vout, out) in settlement.output.iter().enumerate() {
            let outpoint = OutPoint::new(settlement.compute_txid(), vout as u32);
            assert_eq!(self.chain.output(&outpoint).as_ref(), Some(out));
        }
    }
}

/// The channel's update output in a published update: the output 0 (fixed by the
/// signature: SIGHASH_ALL commits to every output).
fn update_outpoint(tx: &Transaction) -> OutPoint {
    OutPoint::new(tx.compute_txid(), 0)
}

pub fn run_case(seed: u8, steps: &[Step], published: usize, fee_first: bool) {
    let mut w = World::open(seed);
    w.check();
    for step in steps {
        w.run(step);
        w.check();
    }
    w.publish_and_enforce(published, fee_first);
}

/// One case of the fuzzer: the channel's seed, the steps, which update is published at the
/// end and where the fee input goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// 1..90 (the server's keys are from `seed + 100`: never the client's).
    pub seed: u8,
    pub steps: Vec<Step>,
    pub published: usize,
    pub fee_first: bool,
}

impl Case {
    pub fn run(&self) {
        run_case(self.seed, &self.steps, self.published, self.fee_first);
    }
}

/// At most this many steps per case: one execution stays in the milliseconds.
pub const MAX_STEPS: usize = 32;

/// Where `Step::Update`'s amount comes from: `0..AMOUNTS`, as in the proptest strategy.
const AMOUNTS: u32 = 200_000;

/// Decodes fuzz input into a case. Every byte string of at least 3 bytes is a case:
///
/// - byte 0: the seed (`1 + b % 89`); byte 1: the update published at the end (by index
///   into the updates ever held, modulo their number); byte 2: bit 0, the fee input first;
/// - then steps, at most [`MAX_STEPS`] (the rest is ignored), each a tag byte: its low 4 bits
///   select the step (0–5 `Update`, 6–7 `Interrupted`, 8–9 `Backup`, 10–11 `Restore`,
///   12–13 `HostileReaccept`, 14–15 `Mine`, about the weights of the proptest strategy), its
///   high 4 bits are the step's flags (bit 4, bit 5) or small number (`Restore`: which
///   backup, bits 5–7; `Mine`: `1 + (b >> 4) % 3` blocks). `Update` is followed by 3 bytes,
///   big-endian, the amount (modulo 200 000); a truncated last step is dropped.
pub fn case_from_bytes(data: &[u8]) -> Option<Case> {
    let (header, mut rest) = data.split_first_chunk::<3>()?;
    let mut steps = Vec::new();
    while steps.len() < MAX_STEPS {
        let Some((&tag, tail)) = rest.split_first() else {
            break;
        };
        rest = tail;
        let args = tag >> 4;
        let bit = |i: u8| args & (1 << i) != 0;
        let step = match tag & 0x0f {
            0..=5 => {
                let Some((amount, tail)) = rest.split_first_chunk::<3>() else {
                    break;
                };
                rest = tail;
                let amount = u32::from_be_bytes([0, amount[0], amount[1], amount[2]]) % AMOUNTS;
                Step::Update {
                    client_proposes: bit(0),
                    client_signs_first: bit(1),
                    amount: u64::from(amount),
                }
            }
            6 | 7 => Step::Interrupted {
                client_proposes: bit(0),
                finish: bit(1),
            },
            8 | 9 => Step::Backup { client: bit(0) },
            10 | 11 => Step::Restore {
                client: bit(0),
                which: usize::from(args >> 1),
            },
            12 | 13 => Step::HostileReaccept {
                backup_after_accept: bit(0),
            },
            _ => Step::Mine(1 + args % 3),
        };
        steps.push(step);
    }
    Some(Case {
        seed: 1 + header[0] % 89,
        steps,
        published: usize::from(header[1]),
        fee_first: header[2] & 1 != 0,
    })
}

/// The inverse of [`case_from_bytes`] for cases in its range (seed 1..90, published < 256,
/// at most [`MAX_STEPS`] steps, amounts < 200 000, `Restore::which` < 8, `Mine` 1..4): the
/// seed corpus of the fuzz target is written from named cases with it.
pub fn case_to_bytes(case: &Case) -> Vec<u8> {
    let flags = |a: bool, b: bool| (u8::from(a) | u8::from(b) << 1) << 4;
    let mut out = vec![
        case.seed - 1,
        u8::try_from(case.published).unwrap(),
        u8::from(case.fee_first),
    ];
    assert!(case.steps.len() <= MAX_STEPS);
    for step in &case.steps {
        match *step {
            Step::Update {
                client_proposes,
                client_signs_first,
                amount,
            } => {
                assert!(amount < u64::from(AMOUNTS));
                out.push(flags(client_proposes, client_signs_first));
                out.extend_from_slice(&(amount as u32).to_be_bytes()[1..]);
            }
            Step::Interrupted {
                client_proposes,
                finish,
            } => out.push(6 | flags(client_proposes, finish)),
            Step::Backup { client } => out.push(8 | flags(client, false)),
            Step::Restore { client, which } => {
                assert!(which < 8);
                out.push(10 | flags(client, false) | (which as u8) << 5);
            }
            Step::HostileReaccept {
                backup_after_accept,
            } => out.push(12 | flags(backup_after_accept, false)),
            Step::Mine(n) => {
                assert!((1..4).contains(&n));
                out.push(14 | (n - 1) << 4);
            }
        }
    }
    out
}
