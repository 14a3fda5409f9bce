//! Scripts and taproot trees of the LN-Symmetry layout (PROTOCOL.md §3, §4).

use std::sync::LazyLock;

use bitcoin::hashes::Hash;
use bitcoin::key::{Parity, Secp256k1, TapTweak, UntweakedPublicKey, XOnlyPublicKey};
use bitcoin::opcodes::all::{OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_CLTV};
use bitcoin::opcodes::OP_TRUE;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::secp256k1::VerifyOnly;
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TapNodeHash, TaprootMerkleBranch};
use bitcoin::{absolute, ScriptBuf};

use crate::crypto::memo::Memo;

pub(crate) static SECP: LazyLock<Secp256k1<VerifyOnly>> =
    LazyLock::new(Secp256k1::verification_only);

/// First nLockTime of the state numbering: `TL(k) = 500_000_000 + k`.
pub const STATE_LOCKTIME_BASE: u32 = 500_000_000;

/// The largest state number: `TL(k)` must fit in a `u32`.
pub const MAX_STATE: u32 = u32::MAX - STATE_LOCKTIME_BASE;

/// SIGHASH_ALL|ANYPREVOUTANYSCRIPT: the update and covenant signatures.
pub const SIGHASH_APOAS_ALL: u8 = 0xc1;

/// SIGHASH_ALL|ANYPREVOUT: the offerer's signature on a PTLC success claim.
pub const SIGHASH_APO_ALL: u8 = 0x41;

/// `TL(k)`: the nLockTime of update and settlement transaction `k`.
/// Panics if `k > MAX_STATE` (callers check state numbers when they are created).
pub fn state_locktime(k: u32) -> absolute::LockTime {
    assert!(k <= MAX_STATE, "state number {k} exceeds {MAX_STATE}");
    absolute::LockTime::from_consensus(STATE_LOCKTIME_BASE + k)
}

/// The state number encoded in an nLockTime, if it is one.
pub fn state_from_locktime(lock_time: absolute::LockTime) -> Option<u32> {
    lock_time
        .to_consensus_u32()
        .checked_sub(STATE_LOCKTIME_BASE)
}

/// `EXPR_UPDATE(0) = OP_1 OP_CHECKSIG`;
/// `EXPR_UPDATE(k>0) = OP_1 OP_CHECKSIGVERIFY <TL(k)> OP_CHECKLOCKTIMEVERIFY`.
/// `OP_1` pushes the 1-byte BIP118 key `0x01`: the taproot internal key.
pub fn update_leaf(k: u32) -> ScriptBuf {
    if k == 0 {
        Builder::new()
            .push_opcode(OP_TRUE)
            .push_opcode(OP_CHECKSIG)
            .into_script()
    } else {
        Builder::new()
            .push_opcode(OP_TRUE)
            .push_opcode(OP_CHECKSIGVERIFY)
            .push_lock_time(state_locktime(k))
            .push_opcode(OP_CLTV)
            .into_script()
    }
}

/// The BIP118 key `0x01 || xonly`.
pub fn apo_key(key: &XOnlyPublicKey) -> PushBytesBuf {
    let mut bytes = vec![0x01];
    bytes.extend_from_slice(&key.serialize());
    PushBytesBuf::try_from(bytes).expect("33 bytes")
}

/// The x-only generator `G`: public key of private key 1, the covenant key.
pub fn generator_xonly() -> XOnlyPublicKey {
    XOnlyPublicKey::from_slice(&secp::Point::generator().serialize_xonly()).expect("valid point")
}

/// `EXPR_SETTLE(k) = <CovSig(k)> <0x01||xonly(G)> OP_CHECKSIG`, `cov_sig` being the 65-byte
/// witness signature (64 bytes and the hash type 0xc1).
pub fn settle_leaf(cov_sig: &[u8; 65]) -> ScriptBuf {
    Builder::new()
        .push_slice(cov_sig)
        .push_slice(apo_key(&generator_xonly()))
        .push_opcode(OP_CHECKSIG)
        .into_script()
}

/// PTLC success leaf: `<0x01||P_offerer> OP_CHECKSIGVERIFY <P_receiver> OP_CHECKSIG`.
pub fn ptlc_success_leaf(offerer: &XOnlyPublicKey, receiver: &XOnlyPublicKey) -> ScriptBuf {
    Builder::new()
        .push_slice(apo_key(offerer))
        .push_opcode(OP_CHECKSIGVERIFY)
        .push_x_only_key(receiver)
        .push_opcode(OP_CHECKSIG)
        .into_script()
}

/// PTLC timeout leaf: `<P_offerer> OP_CHECKSIGVERIFY <expiry> OP_CHECKLOCKTIMEVERIFY`.
pub fn ptlc_timeout_leaf(offerer: &XOnlyPublicKey, expiry_height: u32) -> ScriptBuf {
    Builder::new()
        .push_x_only_key(offerer)
        .push_opcode(OP_CHECKSIGVERIFY)
        .push_int(i64::from(expiry_height))
        .push_opcode(OP_CLTV)
        .into_script()
}

/// Tapleaf hash of a script with leaf version 0xc0.
pub fn leaf_hash(script: &ScriptBuf) -> TapLeafHash {
    TapLeafHash::from_script(script, LeafVersion::TapScript)
}

/// The BIP341 output key of `internal_key` committing to `root`, from a memo (issue 10:
/// every watcher look at a channel rebuilt its funding output, and every PTLC claim digest
/// its PTLC tree, a tweak of the same key by the same root each time). The output key is a
/// deterministic function of the two public inputs.
fn tweaked(internal_key: UntweakedPublicKey, root: TapNodeHash) -> (XOnlyPublicKey, Parity) {
    static TWEAKS: Memo<(UntweakedPublicKey, TapNodeHash), (XOnlyPublicKey, Parity)> = Memo::new();
    TWEAKS.get((internal_key, root), || {
        let (output_key, parity) = internal_key.tap_tweak(&SECP, Some(root));
        (output_key.to_x_only_public_key(), parity)
    })
}

/// The P2TR scriptPubKey of `internal_key` with no script tree (a `to_node` output), from a
/// memo: every state's settlement pays both parties' `to_node` keys, tweaked anew at each
/// build (issue 10). A deterministic function of the public key.
pub fn key_path_script(internal_key: UntweakedPublicKey) -> ScriptBuf {
    static SCRIPTS: Memo<UntweakedPublicKey, ScriptBuf> = Memo::new();
    SCRIPTS.get(internal_key, || {
        ScriptBuf::new_p2tr(&SECP, internal_key, None)
    })
}

/// A taproot output with one leaf, or two leaves at depth one: its scriptPubKey and the
/// control blocks of its leaves. The leaves are given as tapleaf hashes so a tree can be
/// rebuilt from the stored hashes alone.
#[derive(Debug, Clone)]
pub struct TapTree {
    internal_key: UntweakedPublicKey,
    leaves: Vec<TapLeafHash>,
    output_key: XOnlyPublicKey,
    parity: Parity,
}

impl TapTree {
    /// The tree of one leaf or of two leaves.
    pub fn new(internal_key: UntweakedPublicKey, leaves: &[TapLeafHash]) -> Self {
        assert!(matches!(leaves.len(), 1 | 2), "one or two leaves");
        let root = match leaves {
            [a] => TapNodeHash::from(*a),
            [a, b] => TapNodeHash::from_node_hashes((*a).into(), (*b).into()),
            _ => unreachable!(),
        };
        let (output_key, parity) = tweaked(internal_key, root);
        Self {
            internal_key,
            leaves: leaves.to_vec(),
            output_key,
            parity,
        }
    }

    /// The merkle root.
    pub fn merkle_root(&self) -> TapNodeHash {
        match self.leaves.as_slice() {
            [a] => TapNodeHash::from(*a),
            [a, b] => TapNodeHash::from_node_hashes((*a).into(), (*b).into()),
            _ => unreachable!(),
        }
    }

    /// `OP_1 <output key>`.
    pub fn script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(
            self.output_key,
        ))
    }

    /// The control block of leaf `index`.
    pub fn control_block(&self, index: usize) -> ControlBlock {
        let branch: Vec<TapNodeHash> = self
            .leaves
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, h)| TapNodeHash::from_byte_array(h.to_byte_array()))
            .collect();
        ControlBlock {
            leaf_version: LeafVersion::TapScript,
            output_key_parity: self.parity,
            internal_key: self.internal_key,
            merkle_branch: TaprootMerkleBranch::try_from(branch).expect("depth <= 1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_leaves_have_the_layout_of_the_draft() {
        assert_eq!(update_leaf(0).to_hex_string(), "51ac");
        // OP_1 OP_CHECKSIGVERIFY <500000007> OP_CLTV
        assert_eq!(update_leaf(7).to_hex_string(), "51ad040765cd1db1");
        assert_eq!(state_from_locktime(state_locktime(7)), Some(7));
        assert_eq!(
            state_from_locktime(absolute::LockTime::from_consensus(100)),
            None
        );
    }

    #[test]
    fn control_blocks_verify_against_the_output_key() {
        let key = generator_xonly();
        let leaves = [leaf_hash(&update_leaf(1)), leaf_hash(&update_leaf(0))];
        let tree = TapTree::new(key, &leaves);
        let spk = tree.script_pubkey();
        let out = XOnlyPublicKey::from_slice(&spk.as_bytes()[2..]).unwrap();
        for (i, script) in [update_leaf(1), update_leaf(0)].iter().enumerate() {
            assert!(tree
                .control_block(i)
                .verify_taproot_commitment(&SECP, out, script));
        }
    }
}
