//! Update, settlement, PTLC claim and cooperative close transactions.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use bitcoin::hashes::Hash;
use bitcoin::key::XOnlyPublicKey;
use bitcoin::taproot::TapLeafHash;
use bitcoin::transaction::Version;
use bitcoin::{absolute, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

use super::channel::{ChannelParams, ChannelState, Party, Ptlc};
use super::scripts::{self, TapTree, SIGHASH_APOAS_ALL, SIGHASH_APO_ALL};
use super::EltooError;
use crate::crypto::bip118::{self, KeyVersion, SpendPath};

/// nSequence of update inputs: non-final (so CLTV applies), no relative lock. Committed by
/// the APOAS update signature, so it is fixed for every update transaction.
pub const UPDATE_SEQUENCE: Sequence = Sequence(0xffff_fffd);

/// nSequence of PTLC claim inputs.
pub const CLAIM_SEQUENCE: Sequence = Sequence(0xffff_fffd);

fn placeholder_input(sequence: Sequence) -> TxIn {
    TxIn {
        previous_output: OutPoint::null(),
        script_sig: ScriptBuf::new(),
        sequence,
        witness: Witness::new(),
    }
}

fn anchor(value: Amount) -> TxOut {
    TxOut {
        value,
        script_pubkey: ScriptBuf::new_p2a(),
    }
}

fn sighash(
    tx: &Transaction,
    spent: &TxOut,
    hash_type: u8,
    path: SpendPath,
) -> Result<[u8; 32], EltooError> {
    Ok(bip118::signature_hash(
        tx,
        0,
        std::slice::from_ref(spent),
        hash_type,
        path,
        None,
    )?)
}

fn apo_path(leaf: &ScriptBuf, key_version: KeyVersion) -> SpendPath {
    SpendPath::Tapscript {
        leaf_hash: scripts::leaf_hash(leaf),
        key_version,
        codesep_pos: u32::MAX,
    }
}

fn witness_sig(sig: &[u8; 64], hash_type: u8) -> Vec<u8> {
    let mut v = sig.to_vec();
    if hash_type != 0 {
        v.push(hash_type);
    }
    v
}

/// The output an update transaction spends: the funding output or an earlier update output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateInput {
    /// The funding output.
    Funding(OutPoint),
    /// Update output of state `number`, whose settle leaf hash the caller kept.
    Update {
        /// The outpoint (vout 0 of the published update transaction).
        outpoint: OutPoint,
        /// The state number of the spent update output.
        number: u32,
        /// Its settle leaf hash.
        settle_leaf_hash: TapLeafHash,
    },
}

/// Everything both parties derive for one channel state.
#[derive(Debug, Clone)]
pub struct StateTransactions {
    /// The state.
    pub state: ChannelState,
    /// Settlement transaction `k`, input not yet bound (APOAS: bound at publication).
    pub settlement: Transaction,
    /// Output index of each PTLC in the settlement, in `state.ptlcs` order (`None`: trimmed).
    pub ptlc_vouts: Vec<Option<u32>>,
    /// `CovSig(k)` with its hash type byte, 65 bytes.
    pub cov_sig: [u8; 65],
    /// `EXPR_SETTLE(k)`.
    pub settle_leaf: ScriptBuf,
    /// Update output `k`: `tr(Q, {EXPR_UPDATE(k+1), EXPR_SETTLE(k)})`.
    pub update_output: TxOut,
    /// Update transaction `k`, input not yet bound.
    pub update: Transaction,
    /// The APOAS|ALL digest the 2-of-2 MuSig2 update signature signs.
    pub update_sighash: [u8; 32],
    update_tree: TapTree,
}

/// The states built most recently, newest last (issue 10: one update built the same state
/// up to eight times on each side — nonce, session, signing, completion, history — each with
/// a covenant signature, two key aggregations and four taproot tweaks). The transactions are
/// a deterministic function of the parameters and the state, both compared in full, so a
/// cached copy is what building again would give; nothing secret is in them. Bounded: a
/// flood of states only evicts.
static STATE_CACHE: Mutex<Vec<(ChannelParams, StateTransactions)>> = Mutex::new(Vec::new());

const STATE_CACHE_SIZE: usize = 32;

impl StateTransactions {
    /// Builds update and settlement `k` of `state` (or copies them from the cache of recent
    /// states).
    pub fn build(params: &ChannelParams, state: &ChannelState) -> Result<Self, EltooError> {
        {
            let cache = STATE_CACHE.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, txs)) = cache
                .iter()
                .rev()
                .find(|(p, txs)| txs.state == *state && p == params)
            {
                return Ok(txs.clone());
            }
        }
        let txs = Self::build_uncached(params, state)?;
        let mut cache = STATE_CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= STATE_CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((params.clone(), txs.clone()));
        Ok(txs)
    }

    fn build_uncached(params: &ChannelParams, state: &ChannelState) -> Result<Self, EltooError> {
        params.check()?;
        state.check(params.capacity)?;
        let k = state.number;
        let (outputs, ptlc_vouts) = settlement_outputs(params, state)?;
        let settlement = Transaction {
            version: Version(3),
            lock_time: scripts::state_locktime(k),
            input: vec![placeholder_input(Sequence::from_height(
                params.shared_delay,
            ))],
            output: outputs,
        };
        let funding = params.funding_output()?;
        // APOAS commits to neither the spent output nor the leaf: any values do here.
        let cov_digest = sighash(
            &settlement,
            &funding,
            SIGHASH_APOAS_ALL,
            apo_path(&ScriptBuf::new(), KeyVersion::AnyPrevout),
        )?;
        let mut cov_sig = [0u8; 65];
        cov_sig[..64].copy_from_slice(&covenant_signature(cov_digest));
        cov_sig[64] = SIGHASH_APOAS_ALL;
        let settle_leaf = scripts::settle_leaf(&cov_sig);

        let internal = params.internal_key()?;
        let update_tree = TapTree::new(
            internal,
            &[
                scripts::leaf_hash(&scripts::update_leaf(k + 1)),
                scripts::leaf_hash(&settle_leaf),
            ],
        );
        let update_output = TxOut {
            value: params.capacity,
            script_pubkey: update_tree.script_pubkey(),
        };
        let update = Transaction {
            version: Version(3),
            lock_time: scripts::state_locktime(k),
            input: vec![placeholder_input(UPDATE_SEQUENCE)],
            output: vec![update_output.clone(), anchor(Amount::ZERO)],
        };
        let update_sighash = sighash(
            &update,
            &funding,
            SIGHASH_APOAS_ALL,
            apo_path(&scripts::update_leaf(0), KeyVersion::AnyPrevout),
        )?;
        Ok(Self {
            state: state.clone(),
            settlement,
            ptlc_vouts,
            cov_sig,
            settle_leaf,
            update_output,
            update,
            update_sighash,
            update_tree,
        })
    }

    /// The settle leaf hash of this state: keep it to rebind over this update later.
    pub fn settle_leaf_hash(&self) -> TapLeafHash {
        scripts::leaf_hash(&self.settle_leaf)
    }

    /// Update transaction `k` spending `input` with the 2-of-2 signature `sig` (64 bytes,
    /// signed over [`StateTransactions::update_sighash`]).
    pub fn signed_update(
        &self,
        params: &ChannelParams,
        input: &UpdateInput,
        sig: &[u8; 64],
    ) -> Result<Transaction, EltooError> {
        let internal = params.internal_key()?;
        let (outpoint, leaf, control) = match input {
            UpdateInput::Funding(outpoint) => {
                let tree = params.funding_tree()?;
                (*outpoint, scripts::update_leaf(0), tree.control_block(0))
            }
            UpdateInput::Update {
                outpoint,
                number,
                settle_leaf_hash,
            } => {
                if *number >= self.state.number {
                    return Err(EltooError::NotNewer {
                        spent: *number,
                        state: self.state.number,
                    });
                }
                let leaf = scripts::update_leaf(number + 1);
                let tree = TapTree::new(internal, &[scripts::leaf_hash(&leaf), *settle_leaf_hash]);
                (*outpoint, leaf, tree.control_block(0))
            }
        };
        let mut tx = self.update.clone();
        tx.input[0].previous_output = outpoint;
        tx.input[0].witness = Witness::from_slice(&[
            witness_sig(sig, SIGHASH_APOAS_ALL),
            leaf.into_bytes(),
            control.serialize(),
        ]);
        Ok(tx)
    }

    /// Settlement `k` spending update output `k` at `update_outpoint`; needs no signature.
    pub fn signed_settlement(&self, update_outpoint: OutPoint) -> Transaction {
        let mut tx = self.settlement.clone();
        tx.input[0].previous_output = update_outpoint;
        tx.input[0].witness = Witness::from_slice(&[
            self.settle_leaf.to_bytes(),
            self.update_tree.control_block(1).serialize(),
        ]);
        tx
    }
}

/// Settlement outputs: `to_node` of client and server above dust, PTLC outputs above dust,
/// and the pay-to-anchor output carrying whatever was trimmed.
fn settlement_outputs(
    params: &ChannelParams,
    state: &ChannelState,
) -> Result<(Vec<TxOut>, Vec<Option<u32>>), EltooError> {
    let mut outputs = Vec::new();
    let mut trimmed = Amount::ZERO;
    let mut add = |out: TxOut, outputs: &mut Vec<TxOut>| -> Result<Option<u32>, EltooError> {
        if out.value < params.dust_limit {
            trimmed = trimmed
                .checked_add(out.value)
                .ok_or(EltooError::AmountOverflow)?;
            Ok(None)
        } else {
            outputs.push(out);
            Ok(Some(outputs.len() as u32 - 1))
        }
    };
    for party in [Party::Client, Party::Server] {
        let out = TxOut {
            value: state.balance(party),
            script_pubkey: params.to_node_script(party),
        };
        add(out, &mut outputs)?;
    }
    let mut ptlc_vouts = Vec::with_capacity(state.ptlcs.len());
    for ptlc in &state.ptlcs {
        let out = TxOut {
            value: ptlc.amount,
            script_pubkey: ptlc_tree(params, ptlc)?.script_pubkey(),
        };
        ptlc_vouts.push(add(out, &mut outputs)?);
    }
    outputs.push(anchor(trimmed));
    Ok((outputs, ptlc_vouts))
}

/// Identifies a published update transaction (one that spends the funding output or an
/// update output, with nLockTime `TL(j)`) and returns what a newer update needs to spend its
/// output: the state number `j` and its settle leaf hash from `history`.
pub fn published_update_input(
    tx: &Transaction,
    history: &BTreeMap<u32, TapLeafHash>,
) -> Result<UpdateInput, EltooError> {
    let number = scripts::state_from_locktime(tx.lock_time).ok_or(EltooError::NotAnUpdate)?;
    if tx.output.len() != 2 || tx.output[1].script_pubkey != ScriptBuf::new_p2a() {
        return Err(EltooError::NotAnUpdate);
    }
    let settle_leaf_hash = *history
        .get(&number)
        .ok_or(EltooError::UnknownState(number))?;
    Ok(UpdateInput::Update {
        outpoint: OutPoint::new(tx.compute_txid(), 0),
        number,
        settle_leaf_hash,
    })
}

/// The PTLC output tree: `tr(Q_T, {SUCCESS, TIMEOUT})` with the internal key
/// [`ptlc_internal_key`], which commits to the payment point.
pub fn ptlc_tree(params: &ChannelParams, ptlc: &Ptlc) -> Result<TapTree, EltooError> {
    let [success, timeout] = ptlc_leaves(params, ptlc);
    Ok(TapTree::new(
        ptlc_internal_key(params, &ptlc.point)?,
        &[scripts::leaf_hash(&success), scripts::leaf_hash(&timeout)],
    ))
}

/// Tag of the payment-point commitment in a PTLC's internal key.
pub const PTLC_POINT_TAG: &str = "asyncpay/ptlc-point";

/// The internal key of a PTLC output for payment point `point`:
/// `Q_T = lift_x(xonly(Q)) + int(TaggedHash("asyncpay/ptlc-point", xonly(Q) ‖ ser33(T)))·G`.
///
/// The offerer's APO (`0x41`) signature commits to the spent scriptPubKey, so with `T` in
/// the output key a signature completed for one PTLC is invalid on any other PTLC of the
/// same channel, amount and expiry ("twin" PTLCs, PROTOCOL.md §4). `Q` still controls the
/// key path (the tweak is public).
pub fn ptlc_internal_key(
    params: &ChannelParams,
    point: &secp::Point,
) -> Result<XOnlyPublicKey, EltooError> {
    let q = params.internal_key()?;
    let mut msg = Vec::with_capacity(65);
    msg.extend_from_slice(&q.serialize());
    msg.extend_from_slice(&point.serialize());
    let tweak =
        bitcoin::secp256k1::Scalar::from_be_bytes(bip118::tagged_hash(PTLC_POINT_TAG, &msg))
            .map_err(|_| EltooError::BadParams("PTLC point commitment is not a scalar".into()))?;
    let (key, _) = q
        .add_tweak(&scripts::SECP, &tweak)
        .map_err(|_| EltooError::BadParams("PTLC internal key is the point at infinity".into()))?;
    Ok(key)
}

fn ptlc_leaves(params: &ChannelParams, ptlc: &Ptlc) -> [ScriptBuf; 2] {
    let offerer = &params.keys(ptlc.offerer).ptlc;
    let receiver = &params.keys(ptlc.offerer.other()).ptlc;
    [
        scripts::ptlc_success_leaf(offerer, receiver),
        scripts::ptlc_timeout_leaf(offerer, ptlc.expiry),
    ]
}

/// Which way a PTLC output is claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtlcPath {
    /// The receiver claims with the offerer's completed adaptor signature.
    Success,
    /// The offerer takes it back after expiry.
    Timeout,
}

/// The shape of a PTLC claim transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimShape {
    /// Version 3, no fee, the payout and a zero-value pay-to-anchor output: relayed by
    /// nodes with default policy in a package with a child that pays its fee (CPFP), like
    /// the updates and settlements. Every claim built now.
    Anchored,
    /// Version 2, no fee, the payout alone: what S pre-signed before claims had an anchor.
    /// Only a chain that relays zero-fee transactions (the regtest ledger) takes it; kept
    /// so that a sale made by an earlier version can still be claimed there.
    Legacy,
}

/// A transaction claiming one PTLC output, unsigned, with what its signers sign.
#[derive(Debug, Clone)]
pub struct PtlcClaim {
    /// The claim transaction (one input; the payout, then the anchor if anchored).
    pub tx: Transaction,
    /// The spent PTLC output.
    pub spent: TxOut,
    path: PtlcPath,
    leaf: ScriptBuf,
    tree: TapTree,
}

impl PtlcClaim {
    /// An anchored claim of `ptlc` (at `outpoint` in some settlement) paying its whole
    /// amount to `destination`.
    pub fn new(
        params: &ChannelParams,
        ptlc: &Ptlc,
        outpoint: OutPoint,
        path: PtlcPath,
        destination: ScriptBuf,
    ) -> Result<Self, EltooError> {
        Self::with_shape(
            params,
            ptlc,
            outpoint,
            path,
            destination,
            ClaimShape::Anchored,
        )
    }

    /// A claim of `ptlc` of the given shape.
    pub fn with_shape(
        params: &ChannelParams,
        ptlc: &Ptlc,
        outpoint: OutPoint,
        path: PtlcPath,
        destination: ScriptBuf,
        shape: ClaimShape,
    ) -> Result<Self, EltooError> {
        let tree = ptlc_tree(params, ptlc)?;
        let [success, timeout] = ptlc_leaves(params, ptlc);
        let (leaf, lock_time) = match path {
            PtlcPath::Success => (success, absolute::LockTime::ZERO),
            PtlcPath::Timeout => (
                timeout,
                absolute::LockTime::from_height(ptlc.expiry)
                    .map_err(|_| EltooError::BadExpiry(ptlc.expiry))?,
            ),
        };
        let mut input = placeholder_input(CLAIM_SEQUENCE);
        input.previous_output = outpoint;
        let payout = TxOut {
            value: ptlc.amount,
            script_pubkey: destination,
        };
        let (version, output) = match shape {
            ClaimShape::Anchored => (Version(3), vec![payout, anchor(Amount::ZERO)]),
            ClaimShape::Legacy => (Version(2), vec![payout]),
        };
        let tx = Transaction {
            version,
            lock_time,
            input: vec![input],
            output,
        };
        Ok(Self {
            tx,
            spent: TxOut {
                value: ptlc.amount,
                script_pubkey: tree.script_pubkey(),
            },
            path,
            leaf,
            tree,
        })
    }

    /// Digest the offerer's APO (`0x41`) signature signs on the success path: it omits the
    /// outpoint, so it stays valid whichever update and settlement instance confirmed.
    pub fn offerer_apo_sighash(&self) -> Result<[u8; 32], EltooError> {
        sighash(
            &self.tx,
            &self.spent,
            SIGHASH_APO_ALL,
            apo_path(&self.leaf, KeyVersion::AnyPrevout),
        )
    }

    /// Digest of the BIP342 (SIGHASH_DEFAULT) signature by the 32-byte key of the path:
    /// the receiver's on the success path, the offerer's on the timeout path.
    pub fn sighash(&self) -> Result<[u8; 32], EltooError> {
        sighash(
            &self.tx,
            &self.spent,
            0,
            apo_path(&self.leaf, KeyVersion::Taproot),
        )
    }

    /// The success claim: `offerer_sig` (the completed APO adaptor signature) and
    /// `receiver_sig` over [`PtlcClaim::sighash`].
    pub fn signed_success(
        &self,
        offerer_sig: &[u8; 64],
        receiver_sig: &[u8; 64],
    ) -> Result<Transaction, EltooError> {
        if self.path != PtlcPath::Success {
            return Err(EltooError::WrongPath);
        }
        let mut tx = self.tx.clone();
        tx.input[0].witness = Witness::from_slice(&[
            witness_sig(receiver_sig, 0),
            witness_sig(offerer_sig, SIGHASH_APO_ALL),
            self.leaf.to_bytes(),
            self.tree.control_block(0).serialize(),
        ]);
        Ok(tx)
    }

    /// The timeout claim, signed by the offerer over [`PtlcClaim::sighash`].
    pub fn signed_timeout(&self, offerer_sig: &[u8; 64]) -> Result<Transaction, EltooError> {
        if self.path != PtlcPath::Timeout {
            return Err(EltooError::WrongPath);
        }
        let mut tx = self.tx.clone();
        tx.input[0].witness = Witness::from_slice(&[
            witness_sig(offerer_sig, 0),
            self.leaf.to_bytes(),
            self.tree.control_block(1).serialize(),
        ]);
        Ok(tx)
    }

    /// The offerer's signature (64 bytes) in a published success claim of the PTLC output
    /// `outpoint`: what the offerer extracts the adaptor secret from. The claim is read from
    /// the input that spends `outpoint`, at whatever position: the offerer's ALL|APO
    /// signature commits to no other input and not to the input index, so the receiver may
    /// put fee inputs before it. `None` when no input spends `outpoint` by a witness of the
    /// success path's shape (4 elements).
    pub fn offerer_signature_in(tx: &Transaction, outpoint: OutPoint) -> Option<[u8; 64]> {
        let input = tx.input.iter().find(|i| i.previous_output == outpoint)?;
        if input.witness.len() != 4 {
            return None;
        }
        let element = input.witness.nth(1)?;
        element.get(..64)?.try_into().ok()
    }
}

/// A cooperative close: a key-path spend of the funding output by the tweaked aggregate key.
#[derive(Debug, Clone)]
pub struct CooperativeClose {
    /// The close transaction, unsigned.
    pub tx: Transaction,
    spent: TxOut,
}

impl CooperativeClose {
    /// Pays each party its balance (outputs below dust are left out); `fee` is taken from
    /// `fee_payer`'s balance. Balances must add up to the capacity.
    pub fn new(
        params: &ChannelParams,
        funding: OutPoint,
        client: Amount,
        server: Amount,
        fee: Amount,
        fee_payer: Party,
    ) -> Result<Self, EltooError> {
        let state = ChannelState {
            number: 0,
            client,
            server,
            ptlcs: vec![],
        };
        state.check(params.capacity)?;
        let mut outputs = Vec::new();
        for party in [Party::Client, Party::Server] {
            let mut value = state.balance(party);
            if party == fee_payer {
                value = value
                    .checked_sub(fee)
                    .ok_or(EltooError::InsufficientBalance {
                        party,
                        balance: value,
                        amount: fee,
                    })?;
            }
            if value >= params.dust_limit {
                outputs.push(TxOut {
                    value,
                    script_pubkey: params.to_node_script(party),
                });
            }
        }
        if outputs.is_empty() {
            return Err(EltooError::BadParams(
                "cooperative close would pay nobody: both balances after the fee are dust".into(),
            ));
        }
        let mut input = placeholder_input(Sequence::ENABLE_LOCKTIME_NO_RBF);
        input.previous_output = funding;
        Ok(Self {
            tx: Transaction {
                version: Version::TWO,
                lock_time: absolute::LockTime::ZERO,
                input: vec![input],
                output: outputs,
            },
            spent: params.funding_output()?,
        })
    }

    /// The BIP341 key-path digest (SIGHASH_DEFAULT) both parties sign with MuSig2 under the
    /// aggregate key tweaked by the funding tree ([`CooperativeClose::signing_key`]).
    pub fn sighash(&self) -> Result<[u8; 32], EltooError> {
        sighash(&self.tx, &self.spent, 0, SpendPath::KeyPath)
    }

    /// The tweaked aggregate key the close signature is made for.
    pub fn signing_key(
        params: &ChannelParams,
    ) -> Result<crate::crypto::musig::AggregateKey, EltooError> {
        let root = params.funding_tree()?.merkle_root();
        Ok(params
            .aggregate_key()?
            .with_taproot_tweak(&root.to_byte_array())?)
    }

    /// The signed close transaction.
    pub fn signed(&self, sig: &[u8; 64]) -> Transaction {
        let mut tx = self.tx.clone();
        tx.input[0].witness = Witness::from_slice(&[sig.as_slice()]);
        tx
    }
}

/// The x-only form of a MuSig2/secp point, as rust-bitcoin uses it.
pub fn xonly(point: &secp::Point) -> XOnlyPublicKey {
    XOnlyPublicKey::from_slice(&point.serialize_xonly()).expect("valid point")
}

/// The covenant signature of a settle leaf: BIP340 by the secret key 1 (public key G) over
/// `digest`, with zero auxiliary randomness (PROTOCOL.md's fixed signature). Through
/// libsecp256k1 with the key pair made once; the same bytes as `musig2::sign_solo` (BIP340
/// signing is deterministic), which the test below checks.
fn covenant_signature(digest: [u8; 32]) -> [u8; 64] {
    use bitcoin::secp256k1::{Keypair, Message};
    static ONE: std::sync::OnceLock<Keypair> = std::sync::OnceLock::new();
    let mut one = [0u8; 32];
    one[31] = 1;
    let keypair =
        ONE.get_or_init(|| Keypair::from_seckey_slice(crate::crypto::secp(), &one).expect("1"));
    crate::crypto::secp()
        .sign_schnorr_with_aux_rand(&Message::from_digest(digest), keypair, &[0; 32])
        .serialize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_covenant_signature_is_the_one_musig2_makes() {
        for i in 0..32u8 {
            let digest = [i.wrapping_mul(37) ^ 0x5a; 32];
            let theirs: musig2::LiftedSignature =
                musig2::sign_solo(secp::Scalar::one(), digest, [0u8; 32]);
            assert_eq!(covenant_signature(digest), theirs.serialize(), "{i}");
        }
    }
    use crate::eltoo::{PartyKeys, DUST_LIMIT};
    use secp::Scalar;

    fn params(seed: u8) -> ChannelParams {
        let party = |s: u8| PartyKeys {
            funding: Scalar::try_from([s; 32]).unwrap().base_point_mul(),
            settlement: xonly(&Scalar::try_from([s + 1; 32]).unwrap().base_point_mul()),
            ptlc: xonly(&Scalar::try_from([s + 2; 32]).unwrap().base_point_mul()),
        };
        ChannelParams {
            client: party(seed),
            server: party(seed + 10),
            capacity: Amount::from_sat(1_000_000),
            shared_delay: 144,
            dust_limit: DUST_LIMIT,
        }
    }

    #[test]
    fn cached_states_are_the_states_built_afresh() {
        let state = |number, client| ChannelState {
            number,
            client: Amount::from_sat(client),
            server: Amount::from_sat(1_000_000 - client),
            ptlcs: vec![],
        };
        let cases = [
            (params(1), state(3, 600_000)),
            (params(1), state(3, 500_000)),
            (params(1), state(4, 600_000)),
            (params(2), state(3, 600_000)),
        ];
        for _ in 0..2 {
            for (p, s) in &cases {
                let cached = StateTransactions::build(p, s).unwrap();
                let fresh = StateTransactions::build_uncached(p, s).unwrap();
                assert_eq!(cached.update_sighash, fresh.update_sighash);
                assert_eq!(cached.update, fresh.update);
                assert_eq!(cached.settlement, fresh.settlement);
                assert_eq!(cached.state, *s);
            }
        }
        // Distinct inputs, distinct transactions: nothing is served for a near miss.
        let sighashes: std::collections::BTreeSet<_> = cases
            .iter()
            .map(|(p, s)| StateTransactions::build(p, s).unwrap().update_sighash)
            .collect();
        assert_eq!(sighashes.len(), cases.len());
        // A failed build is not cached.
        let mut bad = params(1);
        bad.shared_delay = 1;
        assert!(StateTransactions::build(&bad, &cases[0].1).is_err());
        assert!(StateTransactions::build(&bad, &cases[0].1).is_err());
    }
}
