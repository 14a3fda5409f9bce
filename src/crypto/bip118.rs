//! BIP341/342 signature digests extended by BIP118 (SIGHASH_ANYPREVOUT and
//! SIGHASH_ANYPREVOUTANYSCRIPT), as Bitcoin Inquisition's `SignatureHashSchnorr` computes them.

use bitcoin::{TapLeafHash, Transaction, TxOut};

/// Which key version a tapscript signature check uses (BIP342 `key_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVersion {
    /// A 32-byte BIP340 key (BIP342, `key_version` 0).
    Taproot,
    /// A BIP118 key: `0x01 || xonly` or the 1-byte `0x01` (the internal key); `key_version` 1.
    AnyPrevout,
}

/// The spend path of the signed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendPath {
    /// Taproot key path (BIP341, `ext_flag` 0).
    KeyPath,
    /// Tapscript (BIP342, `ext_flag` 1).
    Tapscript {
        /// Tapleaf hash of the executed leaf (not committed for ANYPREVOUTANYSCRIPT).
        leaf_hash: TapLeafHash,
        /// Key version of the key the signature is checked against.
        key_version: KeyVersion,
        /// Opcode position of the last executed OP_CODESEPARATOR, `0xffffffff` if none.
        codesep_pos: u32,
    },
}

/// Why no digest exists for a hash type / key / path combination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SighashError {
    /// Placeholder until implemented.
    #[error("invalid sighash")]
    Invalid,
}

/// The signature message (`SigMsg`, starting with the epoch byte 0x00) for input
/// `input_index` of `tx`. `spent_outputs` holds one entry per input, in input order.
/// `annex` is the full annex including its 0x50 prefix.
pub fn signature_message(
    tx: &Transaction,
    input_index: usize,
    spent_outputs: &[TxOut],
    hash_type: u8,
    path: SpendPath,
    annex: Option<&[u8]>,
) -> Result<Vec<u8>, SighashError> {
    let _ = (tx, input_index, spent_outputs, hash_type, path, annex);
    todo!()
}

/// `TaggedHash("TapSighash", signature_message(..))`: the 32 bytes a BIP340 signature signs.
pub fn signature_hash(
    tx: &Transaction,
    input_index: usize,
    spent_outputs: &[TxOut],
    hash_type: u8,
    path: SpendPath,
    annex: Option<&[u8]>,
) -> Result<[u8; 32], SighashError> {
    let _ = (tx, input_index, spent_outputs, hash_type, path, annex);
    todo!()
}
