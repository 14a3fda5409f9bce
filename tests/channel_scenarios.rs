//! eltoo channel scenarios on the local regtest ledger: open, state advances, force close
//! with an old state losing, settlement delays, rebinding limits, PTLC success and timeout,
//! cooperative close, "flip any witness byte and the ledger rejects", and a cancelled
//! asynchronous payment whose superseded update is published later and loses.

mod common;

use std::collections::BTreeMap;

use asyncpay::chain::{Ledger, RejectError};
use asyncpay::crypto::adaptor::PreSignature;
use asyncpay::crypto::musig::{AggregateKey, SecretNonce, SigningSession};
use asyncpay::eltoo::{
    published_update_input, ChannelParams, ChannelState, CooperativeClose, Party, Ptlc, PtlcClaim,
    PtlcPath, StateTransactions, UpdateInput,
};
use asyncpay::protocol::{self, ChannelError, ChannelId, OpenChannel, OpenPolicy, WireKeys};
use asyncpay::watch::{watch_ledger, Alert, BroadcastKind, WatchOutcome};
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1, TapTweak};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::transaction::Version;
use bitcoin::{absolute, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use common::protocol::{accept_all, persist, Rand};
use common::PartySecrets;
use secp::{Scalar, G};

const CAPACITY: u64 = 1_000_000;
const DELAY: u16 = 6;

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

/// Both sides of one channel in one process, with the regtest ledger.
struct Channel {
    ledger: Ledger,
    _dir: tempfile::TempDir,
    client: PartySecrets,
    server: PartySecrets,
    params: ChannelParams,
    key: AggregateKey,
    funding: OutPoint,
    /// Every signed state: its transactions and 2-of-2 update signature.
    states: BTreeMap<u32, (StateTransactions, [u8; 64])>,
    /// Settle-leaf hash of every signed state (what a party keeps to rebind).
    history: BTreeMap<u32, TapLeafHash>,
}

impl Channel {
    /// Opens a channel funded by the client: update 0 and settlement 0 are built and signed
    /// before the funding transaction is published.
    fn open(seed: u8) -> Channel {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path()).unwrap();
        let client = PartySecrets::from_seed(seed);
        let server = PartySecrets::from_seed(seed + 100);
        let params = common::params(&client, &server, CAPACITY, DELAY);
        let key = params.aggregate_key().unwrap();

        // The client's on-chain coin: a key-path P2TR output from the faucet.
        let secp = Secp256k1::new();
        let wallet = Keypair::from_seckey_slice(&secp, &[seed + 50; 32]).unwrap();
        let wallet_spk = ScriptBuf::new_p2tr(&secp, wallet.x_only_public_key().0, None);
        let coin = ledger
            .fund(&wallet_spk, Amount::from_sat(CAPACITY + 50_000))
            .unwrap();
        let coin_out = ledger.output(&coin).unwrap().unwrap();
        let mut funding_tx = Transaction {
            version: Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: coin,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: vec![
                params.funding_output().unwrap(),
                TxOut {
                    value: Amount::from_sat(49_000),
                    script_pubkey: wallet_spk,
                },
            ],
        };
        let sighash = SighashCache::new(&funding_tx)
            .taproot_key_spend_signature_hash(
                0,
                &Prevouts::All(&[coin_out]),
                TapSighashType::Default,
            )
            .unwrap();
        let msg = bitcoin::secp256k1::Message::from_digest(sighash.to_byte_array());
        let sig = secp.sign_schnorr_no_aux_rand(&msg, &wallet.tap_tweak(&secp, None).to_keypair());
        funding_tx.input[0].witness = Witness::from_slice(&[sig.as_ref()]);
        let funding = OutPoint::new(funding_tx.compute_txid(), 0);

        let mut channel = Channel {
            ledger,
            _dir: dir,
            client,
            server,
            params,
            key,
            funding,
            states: BTreeMap::new(),
            history: BTreeMap::new(),
        };
        channel.sign_state(channel.state(0, CAPACITY, 0, vec![]));
        assert!(
            channel.states.contains_key(&0),
            "update 0 signed before funding"
        );
        channel.ledger.submit_to_miner(&funding_tx).unwrap();
        channel.ledger.mine(1, None).unwrap();
        channel
    }

    fn state(&self, number: u32, client: u64, server: u64, ptlcs: Vec<Ptlc>) -> ChannelState {
        ChannelState {
            number,
            client: Amount::from_sat(client),
            server: Amount::from_sat(server),
            ptlcs,
        }
    }

    /// Both parties sign update `k` with a fresh MuSig2 session.
    fn sign_state(&mut self, state: ChannelState) -> [u8; 64] {
        let txs = StateTransactions::build(&self.params, &state).unwrap();
        let msg = txs.update_sighash;
        let (c, s) = (self.client.funding, self.server.funding);
        let nc = SecretNonce::generate(random32(), c, &self.key, Some(&msg));
        let ns = SecretNonce::generate(random32(), s, &self.key, Some(&msg));
        let session = SigningSession::new(
            &self.key,
            [(c * G, nc.public_nonce()), (s * G, ns.public_nonce())],
            msg,
        )
        .unwrap();
        let (sc, ss) = (session.sign(c, nc).unwrap(), session.sign(s, ns).unwrap());
        session.verify_partial(c * G, sc).unwrap();
        session.verify_partial(s * G, ss).unwrap();
        let sig = session.aggregate(sc, ss).unwrap();
        self.history.insert(state.number, txs.settle_leaf_hash());
        self.states.insert(state.number, (txs, sig));
        sig
    }

    /// Update `k` bound to `input`.
    fn update(&self, k: u32, input: &UpdateInput) -> Transaction {
        let (txs, sig) = &self.states[&k];
        txs.signed_update(&self.params, input, sig).unwrap()
    }

    fn submit(&self, tx: &Transaction) -> Result<(), RejectError> {
        self.ledger.submit_to_miner(tx).map(|_| ()).map_err(|e| {
            e.rejection()
                .cloned()
                .expect("a rejection, not an i/o error")
        })
    }

    fn mine(&self, n: u32) {
        self.ledger.mine(n, None).unwrap();
    }

    fn confirmed(&self, tx: &Transaction) -> bool {
        let info = self.ledger.tx(&tx.compute_txid()).unwrap();
        info.is_some_and(|i| i.confirmation_height.is_some())
    }

    fn value_at(&self, script: &ScriptBuf) -> u64 {
        self.ledger.value_at(script).unwrap().to_sat()
    }

    /// Client pays the server `amount` in each of `n` new states. Returns the last number.
    fn advance(&mut self, n: u32, amount: u64) -> u32 {
        for _ in 0..n {
            let last = *self.states.keys().last().unwrap();
            let next = self.states[&last]
                .0
                .state
                .pay(Party::Client, Amount::from_sat(amount));
            self.sign_state(next.unwrap());
        }
        *self.states.keys().last().unwrap()
    }
}

fn assert_rejected(result: Result<(), RejectError>, what: &str) -> RejectError {
    match result {
        Err(e) => e,
        Ok(()) => panic!("ledger accepted {what}"),
    }
}

#[test]
fn open_advance_and_force_close_with_the_latest_state() {
    let mut ch = Channel::open(1);
    let last = ch.advance(3, 10_000);
    assert_eq!(last, 3);
    let update = ch.update(3, &UpdateInput::Funding(ch.funding));
    ch.submit(&update).unwrap();
    ch.mine(1);
    assert!(ch.confirmed(&update));

    let settlement = ch.states[&3]
        .0
        .signed_settlement(OutPoint::new(update.compute_txid(), 0));
    // Settlement before shared_delay: BIP68 rejects it, for each block short of the delay.
    for _ in 1..DELAY {
        let err = assert_rejected(ch.submit(&settlement), "an early settlement");
        assert!(err.to_string().contains("relative locktime"), "{err}");
        ch.mine(1);
    }
    ch.submit(&settlement).unwrap();
    ch.mine(1);
    assert!(ch.confirmed(&settlement));
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Client)),
        970_000
    );
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Server)),
        30_000
    );
}

#[test]
fn old_update_published_is_rebound_over_and_loses() {
    let mut ch = Channel::open(2);
    ch.advance(4, 25_000);
    // The client cheats: publishes update 1 (it had more money then).
    let old = ch.update(1, &UpdateInput::Funding(ch.funding));
    ch.submit(&old).unwrap();
    ch.mine(1);
    // The server sees it, rebuilds the control block from the kept settle-leaf hash and
    // rebinds update 4 over it.
    let input = published_update_input(&old, &ch.history).unwrap();
    assert!(matches!(input, UpdateInput::Update { number: 1, .. }));
    let latest = ch.update(4, &input);
    ch.submit(&latest).unwrap();
    ch.mine(1);
    assert!(ch.confirmed(&latest));

    // Settlement 1 can no longer be published: its update output is spent.
    ch.mine(u32::from(DELAY));
    let stale = ch.states[&1]
        .0
        .signed_settlement(OutPoint::new(old.compute_txid(), 0));
    let err = assert_rejected(ch.submit(&stale), "settlement of the old state");
    assert!(matches!(err, RejectError::AlreadySpent { .. }), "{err}");

    let settlement = ch.states[&4]
        .0
        .signed_settlement(OutPoint::new(latest.compute_txid(), 0));
    ch.submit(&settlement).unwrap();
    ch.mine(1);
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Client)),
        900_000
    );
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Server)),
        100_000
    );
}

#[test]
fn updates_rebind_only_forward_and_settlements_match_their_update() {
    let mut ch = Channel::open(3);
    ch.advance(4, 1_000);
    let u2 = ch.update(2, &UpdateInput::Funding(ch.funding));
    ch.submit(&u2).unwrap();
    ch.mine(u32::from(DELAY) + 1);
    let u2_out = OutPoint::new(u2.compute_txid(), 0);

    // Settlement k cannot spend update output j != k.
    for k in [0, 1, 3, 4] {
        let wrong = ch.states[&k].0.signed_settlement(u2_out);
        assert_rejected(
            ch.submit(&wrong),
            &format!("settlement {k} on update output 2"),
        );
    }
    // An older (or the same) update cannot spend update output 2 (CLTV on TL(3)).
    let input = published_update_input(&u2, &ch.history).unwrap();
    for k in [0, 1] {
        let (txs, sig) = &ch.states[&k];
        let older = txs.signed_update(&ch.params, &input, sig);
        assert!(
            older.is_err(),
            "the builder refuses to bind update {k} backwards"
        );
        // Forge it anyway: update k's valid signature with update 3's leaf and control
        // block. The signature verifies (APOAS), but CLTV needs TL(3) and the ledger refuses.
        let template = ch.update(3, &input).input[0].witness.clone();
        let mut signature = sig.to_vec();
        signature.push(0xc1);
        let mut forged = txs.update.clone();
        forged.input[0].previous_output = u2_out;
        forged.input[0].witness = Witness::from_slice(&[
            signature,
            template.nth(1).unwrap().to_vec(),
            template.nth(2).unwrap().to_vec(),
        ]);
        assert_rejected(
            ch.submit(&forged),
            &format!("update {k} spending update output 2"),
        );
    }
    // Newer ones can.
    let u3 = ch.update(3, &input);
    ch.submit(&u3).unwrap();
    ch.mine(1);
    // And the newest can rebind over update 3 as well.
    let input3 = published_update_input(&u3, &ch.history).unwrap();
    ch.submit(&ch.update(4, &input3)).unwrap();
}

/// State 1 (900 000 to the client, 20 000 to the server, and `ptlcs`) signed, its update
/// on the funding output mined, and its settlement mined `DELAY` blocks later: the outpoints
/// of the PTLC outputs, in order.
fn settle_with_ptlcs(ch: &mut Channel, ptlcs: Vec<Ptlc>) -> Vec<OutPoint> {
    let state = ch.state(1, 900_000, 20_000, ptlcs);
    ch.sign_state(state);
    let update = ch.update(1, &UpdateInput::Funding(ch.funding));
    ch.submit(&update).unwrap();
    ch.mine(u32::from(DELAY));
    let txs = &ch.states[&1].0;
    let settlement = txs.signed_settlement(OutPoint::new(update.compute_txid(), 0));
    let outs = txs
        .ptlc_vouts
        .iter()
        .map(|v| OutPoint::new(settlement.compute_txid(), v.unwrap()))
        .collect();
    ch.submit(&settlement).unwrap();
    ch.mine(1);
    outs
}

/// Claims are anchored (version 3, the whole amount out, a zero-value pay-to-anchor) so a
/// node with default policy relays them with a fee child; a pre-signature S made for the
/// legacy shape (version 2, one output) of an earlier version still completes to a valid
/// claim, and a pre-signature over anything else completes to none.
#[test]
fn claims_are_anchored_and_legacy_presignatures_still_claim() {
    use asyncpay::eltoo::ClaimShape;
    use asyncpay::payment::sale::{claim_digest, presigned_shape, signed_success_claim};
    let mut ch = Channel::open(4);
    let (t, t2) = (
        Scalar::try_from(random32()).unwrap(),
        Scalar::try_from(random32()).unwrap(),
    );
    let expiry = ch.ledger.tip().unwrap().height + 2 * u32::from(DELAY) + 20;
    let ptlc = |point| Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(40_000),
        point,
        expiry,
    };
    let (anchored, legacy) = (ptlc(t * G), ptlc(t2 * G));
    let outs = settle_with_ptlcs(&mut ch, vec![anchored.clone(), legacy.clone()]);
    let vout = |i: usize| outs[i];
    let presign = |p: &Ptlc, shape| {
        let claim = PtlcClaim::with_shape(
            &ch.params,
            p,
            OutPoint::null(),
            PtlcPath::Success,
            ch.params.to_node_script(Party::Client),
            shape,
        )
        .unwrap();
        PreSignature::sign(
            ch.server.ptlc,
            &claim.offerer_apo_sighash().unwrap(),
            p.point,
            random32(),
        )
    };
    let claim = |p: &Ptlc, i, pre: &PreSignature, t| {
        signed_success_claim(&ch.params, p, vout(i), pre, t, ch.client.ptlc, random32())
    };
    let payout = TxOut {
        value: Amount::from_sat(40_000),
        script_pubkey: ch.params.to_node_script(Party::Client),
    };

    let pre = presign(&anchored, ClaimShape::Anchored);
    assert_eq!(
        presigned_shape(&ch.params, &anchored, &pre),
        Some(ClaimShape::Anchored)
    );
    let tx = claim(&anchored, 0, &pre, t).unwrap();
    assert_eq!(tx.version, Version(3));
    let anchor = TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::new_p2a(),
    };
    assert_eq!(tx.output, vec![payout.clone(), anchor]);
    ch.submit(&tx).unwrap();

    let old = presign(&legacy, ClaimShape::Legacy);
    assert_eq!(
        presigned_shape(&ch.params, &legacy, &old),
        Some(ClaimShape::Legacy)
    );
    // An S that pre-signs the legacy shape at a sale now (an old version, or one that would
    // leave B a claim no default-policy node relays) is refused: B checks the pre-signature
    // against `claim_digest`, the anchored claim's, before it signs the sale state.
    let digest = claim_digest(&ch.params, &legacy).unwrap();
    assert!(old
        .verify(ch.server.ptlc * G, &digest, legacy.point)
        .is_err());
    let tx = claim(&legacy, 1, &old, t2).unwrap();
    assert_eq!((tx.version, tx.output.clone()), (Version(2), vec![payout]));
    ch.submit(&tx).unwrap();
    ch.mine(1);
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Client)),
        980_000
    );

    // A pre-signature for another PTLC's claim, or by another key, fits no shape.
    assert_eq!(presigned_shape(&ch.params, &legacy, &pre), None);
    let digest = claim_digest(&ch.params, &anchored).unwrap();
    let foreign = PreSignature::sign(ch.client.ptlc, &digest, anchored.point, random32());
    assert_eq!(presigned_shape(&ch.params, &anchored, &foreign), None);
    assert!(claim(&anchored, 0, &foreign, t).is_err());
}

#[test]
fn ptlc_success_reveals_the_scalar_and_timeout_waits_for_expiry() {
    let mut ch = Channel::open(4);
    let t = Scalar::try_from(random32()).unwrap();
    let t2 = Scalar::try_from(random32()).unwrap();
    let tip = ch.ledger.tip().unwrap().height;
    let expiry = tip + 2 * u32::from(DELAY) + 20;
    let ptlc = Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(40_000),
        point: t * G,
        expiry,
    };
    let second = Ptlc {
        point: t2 * G,
        ..ptlc.clone()
    };
    // The client funded 1,000,000 and paid the server 100,000; the server offers two PTLCs
    // of 40,000 back (like S paying B).
    let outs = settle_with_ptlcs(&mut ch, vec![ptlc.clone(), second.clone()]);
    let vout = |i: usize| outs[i];

    // Success: the server pre-signed (APO, adaptor T) before knowing which settlement txid
    // would exist; the client completes with t and claims; the server extracts t.
    let dest = ch.params.to_node_script(Party::Client);
    let claim = PtlcClaim::new(&ch.params, &ptlc, vout(0), PtlcPath::Success, dest).unwrap();
    let digest = claim.offerer_apo_sighash().unwrap();
    let pre = PreSignature::sign(ch.server.ptlc, &digest, ptlc.point, random32());
    pre.verify(ch.server.ptlc * G, &digest, ptlc.point).unwrap();
    let offerer_sig = pre.complete(t, ptlc.point).unwrap();
    let receiver_sig: musig2::LiftedSignature =
        musig2::sign_solo(ch.client.ptlc, claim.sighash().unwrap(), random32());
    let success = claim
        .signed_success(&offerer_sig, &receiver_sig.serialize())
        .unwrap();
    // Without the right t the claim is invalid.
    let wrong = pre.complete(t2, second.point).unwrap();
    let bad = claim
        .signed_success(&wrong, &receiver_sig.serialize())
        .unwrap();
    assert_rejected(ch.submit(&bad), "a claim with the wrong scalar");
    ch.submit(&success).unwrap();
    ch.mine(1);
    let seen = ch.ledger.tx(&success.compute_txid()).unwrap().unwrap().tx;
    let sig_in_witness =
        PtlcClaim::offerer_signature_in(&seen, success.input[0].previous_output).unwrap();
    assert_eq!(pre.extract(&sig_in_witness, ptlc.point).unwrap(), t);

    // Timeout: the second PTLC goes back to the server only after expiry.
    let back = ch.params.to_node_script(Party::Server);
    let timeout = PtlcClaim::new(
        &ch.params,
        &second,
        vout(1),
        PtlcPath::Timeout,
        back.clone(),
    )
    .unwrap();
    let sig: musig2::LiftedSignature =
        musig2::sign_solo(ch.server.ptlc, timeout.sighash().unwrap(), random32());
    let timeout_tx = timeout.signed_timeout(&sig.serialize()).unwrap();
    let err = assert_rejected(ch.submit(&timeout_tx), "a PTLC timeout before expiry");
    assert!(err.to_string().contains("locktime"), "{err}");
    let now = ch.ledger.tip().unwrap().height;
    ch.mine(expiry - now - 1);
    assert_rejected(ch.submit(&timeout_tx), "a PTLC timeout one block early");
    ch.mine(1);
    ch.submit(&timeout_tx).unwrap();
    ch.mine(1);
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Client)),
        940_000
    );

    // S tells the two spends apart by the input that spends the PTLC and its leaf, at any
    // input position (APO signs neither the other inputs nor the index).
    use asyncpay::payment::sale::{ptlc_spend, PtlcSpend};
    assert_eq!(
        ptlc_spend(&ch.params, &ptlc, vout(0), &success),
        PtlcSpend::Success(sig_in_witness)
    );
    let mut second_input = success.clone();
    second_input.input.insert(0, timeout_tx.input[0].clone());
    assert_eq!(
        ptlc_spend(&ch.params, &ptlc, vout(0), &second_input),
        PtlcSpend::Success(sig_in_witness)
    );
    // The signature S extracts `t` from is read at the PTLC's input, not at input 0.
    assert_eq!(
        PtlcClaim::offerer_signature_in(&second_input, vout(0)),
        Some(sig_in_witness)
    );
    assert_eq!(
        PtlcClaim::offerer_signature_in(&second_input, vout(1)),
        None,
        "the timeout spend first in the transaction is no success claim"
    );
    assert_eq!(
        ptlc_spend(&ch.params, &second, vout(1), &timeout_tx),
        PtlcSpend::Timeout
    );
    assert_eq!(
        ptlc_spend(&ch.params, &ptlc, vout(0), &timeout_tx),
        PtlcSpend::Unknown,
        "a transaction not spending that output"
    );
    assert_eq!(ch.value_at(&back), 60_000);
}

#[test]
fn cooperative_close_spends_the_funding_output_by_key_path() {
    let mut ch = Channel::open(5);
    ch.advance(2, 100_000);
    let close = CooperativeClose::new(
        &ch.params,
        ch.funding,
        Amount::from_sat(800_000),
        Amount::from_sat(200_000),
        Amount::from_sat(500),
        Party::Client,
    )
    .unwrap();
    let key = CooperativeClose::signing_key(&ch.params).unwrap();
    let msg = close.sighash().unwrap();
    let (c, s) = (ch.client.funding, ch.server.funding);
    let nc = SecretNonce::generate(random32(), c, &key, Some(&msg));
    let ns = SecretNonce::generate(random32(), s, &key, Some(&msg));
    let session = SigningSession::new(
        &key,
        [(c * G, nc.public_nonce()), (s * G, ns.public_nonce())],
        msg,
    )
    .unwrap();
    let sig = session
        .aggregate(session.sign(c, nc).unwrap(), session.sign(s, ns).unwrap())
        .unwrap();
    let tx = close.signed(&sig);
    assert_eq!(
        assert_every_flip_rejected(&ch, &tx, "cooperative close"),
        64
    );
    ch.submit(&tx).unwrap();
    ch.mine(1);
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Client)),
        799_500
    );
    assert_eq!(
        ch.value_at(&ch.params.to_node_script(Party::Server)),
        200_000
    );
    // The channel is closed: no update can be published any more.
    let err = assert_rejected(
        ch.submit(&ch.update(2, &UpdateInput::Funding(ch.funding))),
        "an update after the close",
    );
    assert!(matches!(err, RejectError::AlreadySpent { .. }), "{err}");
}

/// Flips each bit 0 of each byte of each witness element of input 0 in turn; the ledger must
/// reject every variant. Returns how many variants were checked.
fn assert_every_flip_rejected(ch: &Channel, tx: &Transaction, what: &str) -> usize {
    // Valid by consensus: the only objection may be the relay fee a fee child pays.
    let consensus_only = |tx: &Transaction| match ch.ledger.check(tx) {
        Err(e) => !matches!(e.rejection(), Some(RejectError::Policy { .. })),
        Ok(_) => false,
    };
    assert!(
        match ch.ledger.check(tx).map_err(|e| e.to_string()) {
            Ok(_) => true,
            Err(e) => e.starts_with("min relay fee not met"),
        },
        "{what} is valid before flipping"
    );
    let elements: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    let mut checked = 0;
    for (e, element) in elements.iter().enumerate() {
        for i in 0..element.len() {
            let mut flipped = elements.clone();
            flipped[e][i] ^= 0x01;
            let mut bad = tx.clone();
            bad.input[0].witness = Witness::from_slice(&flipped);
            assert!(
                consensus_only(&bad),
                "{what}: flipping byte {i} of witness element {e} was not refused by consensus"
            );
            checked += 1;
        }
    }
    checked
}

/// Every byte of every witness element of an update (fresh and rebound), a settlement, a
/// PTLC success claim and a cooperative close: flipping it makes the ledger reject.
#[test]
fn flipping_any_witness_byte_is_rejected() {
    let mut ch = Channel::open(6);
    let t = Scalar::try_from(random32()).unwrap();
    let ptlc = Ptlc {
        offerer: Party::Server,
        amount: Amount::from_sat(30_000),
        point: t * G,
        expiry: 1_000,
    };
    ch.sign_state(ch.state(1, 970_000, 0, vec![ptlc.clone()]));
    ch.advance(1, 1_000);

    let u1 = ch.update(1, &UpdateInput::Funding(ch.funding));
    ch.submit(&u1).unwrap();
    ch.mine(u32::from(DELAY));
    let rebound = ch.update(2, &published_update_input(&u1, &ch.history).unwrap());
    let settlement = ch.states[&1]
        .0
        .signed_settlement(OutPoint::new(u1.compute_txid(), 0));
    let vout = OutPoint::new(
        settlement.compute_txid(),
        ch.states[&1].0.ptlc_vouts[0].unwrap(),
    );
    let claim = PtlcClaim::new(
        &ch.params,
        &ptlc,
        vout,
        PtlcPath::Success,
        ch.params.to_node_script(Party::Client),
    )
    .unwrap();
    let pre = PreSignature::sign(
        ch.server.ptlc,
        &claim.offerer_apo_sighash().unwrap(),
        ptlc.point,
        random32(),
    );
    let receiver: musig2::LiftedSignature =
        musig2::sign_solo(ch.client.ptlc, claim.sighash().unwrap(), random32());
    let success = claim
        .signed_success(&pre.complete(t, ptlc.point).unwrap(), &receiver.serialize())
        .unwrap();

    let mut checked = assert_every_flip_rejected(&ch, &rebound, "rebound update 2");
    checked += assert_every_flip_rejected(&ch, &settlement, "settlement 1");
    ch.submit(&settlement).unwrap();
    ch.mine(1);
    checked += assert_every_flip_rejected(&ch, &success, "PTLC success claim");
    assert!(checked > 400, "checked {checked} flips");
}

/// States and parameters that would be unsafe or unspendable are refused before anything is
/// signed: the last state number (its update output needs TL(k+1)), PTLC expiries that are
/// not block heights, a zero shared_delay (a settlement could confirm with the old update),
/// and a cooperative close that pays nobody.
#[test]
fn unsafe_states_and_params_are_refused() {
    use asyncpay::eltoo::{scripts::MAX_STATE, EltooError};
    let client = PartySecrets::from_seed(40);
    let server = PartySecrets::from_seed(41);
    let params = common::params(&client, &server, CAPACITY, DELAY);
    let state = |number, ptlcs| ChannelState {
        number,
        client: Amount::from_sat(CAPACITY - 1_000),
        server: Amount::ZERO,
        ptlcs,
    };
    let ptlc = |expiry| Ptlc {
        offerer: Party::Client,
        amount: Amount::from_sat(1_000),
        point: client.ptlc * G,
        expiry,
    };
    assert!(StateTransactions::build(&params, &state(MAX_STATE - 1, vec![ptlc(10)])).is_ok());
    assert_eq!(
        StateTransactions::build(&params, &state(MAX_STATE, vec![ptlc(10)])).unwrap_err(),
        EltooError::StateNumberTooLarge(MAX_STATE)
    );
    for expiry in [0, 500_000_000] {
        assert_eq!(
            StateTransactions::build(&params, &state(1, vec![ptlc(expiry)])).unwrap_err(),
            EltooError::BadExpiry(expiry)
        );
    }
    let mut no_delay = params.clone();
    no_delay.shared_delay = 0;
    assert!(matches!(
        StateTransactions::build(&no_delay, &state(1, vec![ptlc(10)])),
        Err(EltooError::BadParams(_))
    ));
    let close = CooperativeClose::new(
        &params,
        OutPoint::null(),
        Amount::from_sat(CAPACITY - 100),
        Amount::from_sat(100),
        Amount::from_sat(CAPACITY - 200),
        Party::Client,
    );
    assert!(matches!(close, Err(EltooError::BadParams(_))));
}

/// Both sides' `asyncpay::protocol::Channel` of one channel, driven through the protocol
/// (every channel value persisted and reloaded after each transition).
struct ProtocolPair {
    client: protocol::Channel,
    server: protocol::Channel,
    client_secrets: PartySecrets,
    server_secrets: PartySecrets,
    rand: Rand,
}

impl ProtocolPair {
    /// Opens a client-funded channel on `ledger`: open/accept, state 0 signed, funding
    /// transaction confirmed, both sides open.
    fn open(seed: u8, ledger: &Ledger) -> ProtocolPair {
        let client_secrets = PartySecrets::from_seed(seed);
        let server_secrets = PartySecrets::from_seed(seed + 100);
        let open = OpenChannel {
            channel_id: ChannelId([seed; 32]),
            client_keys: WireKeys::from(&client_secrets.keys()),
            capacity_sat: CAPACITY,
            funder: Party::Client,
            push_sat: 0,
            shared_delay: Some(DELAY),
        };
        let policy = OpenPolicy {
            minimum_depth: 1,
            ..OpenPolicy::default()
        };
        let (server, accept) =
            protocol::Channel::accept_open(&open, &server_secrets.keys(), &policy).unwrap();
        let client = protocol::Channel::on_accept_channel(&open, &accept).unwrap();
        let mut pair = ProtocolPair {
            client,
            server,
            client_secrets,
            server_secrets,
            rand: Rand(0, "protocol pair"),
        };
        let initial = pair.client.initial_state();
        pair.begin(initial);
        pair.sign_both();
        let params = pair.client.params().clone();
        let funding = ledger
            .fund(
                &params.funding_output().unwrap().script_pubkey,
                params.capacity,
            )
            .unwrap();
        let (c, published) = pair.client.funding_published(funding).unwrap();
        pair.client = persist(c);
        pair.server = persist(pair.server.on_funding_published(&published).unwrap());
        pair.client = persist(pair.client.on_funding_confirmed(1).unwrap());
        pair.server = persist(pair.server.on_funding_confirmed(1).unwrap());
        pair
    }

    /// The client proposes `next`, the server accepts, the client records the accept.
    fn begin(&mut self, next: ChannelState) {
        let (c, proposal) = self.client.propose(next, self.rand.next()).unwrap();
        self.client = persist(c);
        let (s, accept) = self
            .server
            .accept(&proposal, self.rand.next(), accept_all)
            .unwrap();
        self.server = persist(s);
        self.client = persist(self.client.on_accept(&accept).unwrap());
    }

    /// Both sign the pending update and exchange their partials: the update completes.
    fn sign_both(&mut self) {
        let (c, _) = self.client.sign(self.client_secrets.funding).unwrap();
        self.client = persist(c);
        let (s, _) = self.server.sign(self.server_secrets.funding).unwrap();
        self.server = persist(s);
        let from_client = self.client.update_signature().unwrap();
        let from_server = self.server.update_signature().unwrap();
        self.server = persist(self.server.on_signature(&from_client).unwrap());
        self.client = persist(self.client.on_signature(&from_server).unwrap());
        assert!(self.client.pending().is_none() && self.server.pending().is_none());
        assert_eq!(self.client.latest(), self.server.latest());
    }

    fn latest(&self) -> ChannelState {
        self.client.latest().unwrap().state.clone()
    }
}

/// PROTOCOL.md §5 step 6 on the ledger: A withholds `s_A` on update `n+1`, S signs it too,
/// then the payment is cancelled: both supersede `n+1` and sign `n+2` restoring A's
/// balance. S (who later learned `s_A` from B) completes `n+1` off-protocol and publishes it:
/// each side's watcher rebinds `n+2` over it, and `n+2` settles with its balances.
#[test]
fn a_superseded_payment_update_published_later_is_rebound_by_n_plus_2() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let mut pair = ProtocolPair::open(7, &ledger);
    let funding = pair.client.funding_outpoint().unwrap();
    let params = pair.client.params().clone();

    // State n = 1: A paid S 100,000.
    let n = pair
        .latest()
        .pay(Party::Client, Amount::from_sat(100_000))
        .unwrap();
    pair.begin(n.clone());
    pair.sign_both();

    // The asynchronous payment: update n+1 = 2, s_A withheld from S; S signs it as well.
    let payment = n.pay(Party::Client, Amount::from_sat(50_000)).unwrap();
    pair.begin(payment.clone());
    let (c, s_a) = pair
        .client
        .sign_withheld(pair.client_secrets.funding)
        .unwrap();
    pair.client = persist(c);
    let (s, s_s) = pair.server.sign(pair.server_secrets.funding).unwrap();
    pair.server = persist(s);
    let pending = pair.client.pending().unwrap();
    let nonces = [
        (
            pair.client_secrets.funding * G,
            pending.local_nonce().clone(),
        ),
        (
            pair.server_secrets.funding * G,
            pending.remote_nonce().unwrap().clone(),
        ),
    ];
    assert_eq!(
        pair.client.update_signature().unwrap_err(),
        ChannelError::Withheld(2)
    );

    // Cancel: both supersede n+1 ...
    pair.client = persist(pair.client.supersede_pending().unwrap());
    pair.server = persist(pair.server.supersede_pending().unwrap());
    let between = serde_json::to_string(&pair.client).unwrap();
    // ... and sign n+2 = 3, restoring A's balance.
    let mut restored = n.clone();
    restored.number = 3;
    pair.begin(restored.clone());
    pair.sign_both();
    assert_eq!(pair.latest(), restored);
    assert_eq!(pair.client.history().len(), 4, "states 0..=3, 2 superseded");

    // S completes n+1 with s_A (bought from B) and its own s_S, and publishes it.
    let payment_txs = StateTransactions::build(&params, &payment).unwrap();
    let session = SigningSession::new(
        &params.aggregate_key().unwrap(),
        nonces,
        payment_txs.update_sighash,
    )
    .unwrap();
    let sig = session.aggregate(s_a, s_s).unwrap();
    let old = payment_txs
        .signed_update(&params, &UpdateInput::Funding(funding), &sig)
        .unwrap();
    ledger.submit_to_miner(&old).unwrap();
    ledger.mine(1, None).unwrap();

    // Had A not signed n+2 yet, n+1 would be newer than its latest: an alert, no rebind.
    let before_n2: protocol::Channel = serde_json::from_str(&between).unwrap();
    assert_eq!(before_n2.superseded(), Some(2));
    assert_eq!(
        before_n2.react_to_published_update(&old, &[]).unwrap_err(),
        ChannelError::PublishedNewer {
            published: 2,
            latest: 1
        }
    );
    assert!(matches!(
        watch_ledger(&before_n2, &ledger).unwrap(),
        WatchOutcome::Alert(Alert::PublishedNewer {
            published: 2,
            latest: 1,
            ..
        })
    ));

    // With n+2 signed, both watchers rebind it over n+1 (the same transaction).
    let outcome = watch_ledger(&pair.client, &ledger).unwrap();
    let rebind = outcome.broadcast().expect("a rebind").clone();
    assert_eq!(
        rebind.kind,
        BroadcastKind::Rebind {
            published: 2,
            latest: 3
        }
    );
    assert_eq!(watch_ledger(&pair.server, &ledger).unwrap(), outcome);
    assert_eq!(
        pair.client.react_to_published_update(&old, &[]).unwrap(),
        Some(rebind.tx.clone())
    );
    assert_eq!(
        rebind.tx.input[0].previous_output,
        OutPoint::new(old.compute_txid(), 0)
    );
    ledger.submit_to_miner(&rebind.tx).unwrap();
    ledger.mine(1, None).unwrap();
    assert!(matches!(
        watch_ledger(&pair.client, &ledger).unwrap(),
        WatchOutcome::WaitingForDelay { state: 3, .. }
    ));

    // Settlement n+1 is dead (its update output is spent); settlement n+2 after the delay.
    let stale = payment_txs.signed_settlement(OutPoint::new(old.compute_txid(), 0));
    let err = ledger.submit_to_miner(&stale).unwrap_err();
    assert!(
        matches!(err.rejection(), Some(RejectError::AlreadySpent { .. })),
        "{err}"
    );
    ledger.mine(u32::from(DELAY) - 1, None).unwrap();
    let settle = watch_ledger(&pair.server, &ledger).unwrap();
    let settle = settle.broadcast().expect("the settlement");
    assert_eq!(settle.kind, BroadcastKind::Settlement { state: 3 });
    ledger.submit_to_miner(&settle.tx).unwrap();
    ledger.mine(1, None).unwrap();
    assert!(matches!(
        watch_ledger(&pair.client, &ledger).unwrap(),
        WatchOutcome::Settled { state: 3, .. }
    ));
    let value_at = |script: &ScriptBuf| -> u64 { ledger.value_at(script).unwrap().to_sat() };
    assert_eq!(value_at(&params.to_node_script(Party::Client)), 900_000);
    assert_eq!(value_at(&params.to_node_script(Party::Server)), 100_000);
}

/// `asyncpay decode` explains a channel's real update and settlement transactions (raw hex),
/// and a bitcoin address; a hex string that is no transaction is refused (exit 2).
#[test]
fn decode_explains_channel_transactions_and_addresses() {
    let decode = |text: &str| {
        let out = common::procs::command()
            .args(["--json", "decode", text])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), doc)
    };
    let hex = |tx: &Transaction| bitcoin::consensus::encode::serialize_hex(tx);
    let mut ch = Channel::open(7);
    ch.advance(2, 10_000);
    let update = ch.update(2, &UpdateInput::Funding(ch.funding));
    let settlement = ch.states[&2]
        .0
        .signed_settlement(OutPoint::new(update.compute_txid(), 0));

    let (code, doc) = decode(&hex(&update));
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["kind"], "raw_transaction");
    assert_eq!(doc["role"], "eltoo channel update to state 2");
    assert_eq!(doc["txid"], update.compute_txid().to_string());
    assert_eq!(doc["version"], 3);
    assert_eq!(doc["inputs"][0]["previous_output"], ch.funding.to_string());
    assert_eq!(doc["outputs"][0]["type"], "p2tr");
    assert_eq!(doc["outputs"][0]["value_sat"], CAPACITY);
    assert_eq!(doc["outputs"][1]["type"], "pay-to-anchor");
    assert_eq!(doc["outputs"][1]["value_sat"], 0);

    let (code, doc) = decode(&hex(&settlement));
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        doc["role"],
        format!("eltoo channel settlement of state 2 ({DELAY} blocks after its update)")
    );
    assert_eq!(doc["total_out_sat"], CAPACITY);
    assert_eq!(doc["outputs"][0]["value_sat"], CAPACITY - 20_000);

    // A bitcoin address: its networks, type and script.
    let address = bitcoin::Address::from_script(
        &ch.params.to_node_script(Party::Client),
        bitcoin::Network::Regtest,
    )
    .unwrap();
    let (code, doc) = decode(&address.to_string());
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["kind"], "bitcoin_address");
    assert_eq!(doc["networks"], serde_json::json!(["regtest"]));
    assert_eq!(doc["type"], "p2tr");
    assert_eq!(
        doc["script_pubkey"],
        ch.params.to_node_script(Party::Client).to_hex_string()
    );

    // One character changed: the checksum catches it.
    let mut typo = address.to_string().into_bytes();
    let i = typo.len() - 3;
    typo[i] = if typo[i] == b'q' { b'p' } else { b'q' };
    let (code, doc) = decode(std::str::from_utf8(&typo).unwrap());
    assert_eq!(code, Some(2), "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("not a valid bitcoin address"), "{doc}");

    // Outputs that add up beyond any u64 (a hostile transaction): explained, not a crash.
    let mut greedy = settlement.clone();
    greedy.output = vec![
        TxOut {
            value: Amount::from_sat(u64::MAX),
            script_pubkey: ScriptBuf::new(),
        };
        2
    ];
    let (code, doc) = decode(&hex(&greedy));
    assert_eq!(code, Some(0), "{doc}");
    assert!(doc["role"].as_str().unwrap().contains("invalid"), "{doc}");
    assert!(doc["total_out_sat"].is_null(), "{doc}");

    // Hex that is not a whole transaction: one byte short, one byte extra.
    let full = hex(&update);
    for bad in [&full[..full.len() - 2], &format!("{full}00")] {
        let (code, doc) = decode(bad);
        assert_eq!(code, Some(2), "{doc}");
        assert!(doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot decode"));
    }
}
