//! BIP341/342 signature digests extended by BIP118 (SIGHASH_ANYPREVOUT and
//! SIGHASH_ANYPREVOUTANYSCRIPT), as Bitcoin Inquisition's `SignatureHashSchnorr` computes them.
//!
//! The message (`SigMsg`) is, in order:
//!
//! | field | committed when |
//! |---|---|
//! | epoch `0x00` | always |
//! | `hash_type` | always |
//! | `nVersion`, `nLockTime` | always |
//! | `sha_prevouts`, `sha_amounts`, `sha_scriptpubkeys`, `sha_sequences` | input type is neither ANYONECANPAY (`0x80`), ANYPREVOUT (`0x40`) nor ANYPREVOUTANYSCRIPT (`0xc0`) |
//! | `sha_outputs` | output type is ALL (or `hash_type` is DEFAULT) |
//! | `spend_type = ext_flag * 2 + annex_present` | always |
//! | outpoint, spent output (amount, scriptPubKey), `nSequence` | ANYONECANPAY |
//! | spent output (amount, scriptPubKey), `nSequence` | ANYPREVOUT |
//! | `nSequence` | ANYPREVOUTANYSCRIPT |
//! | `input_index` | otherwise |
//! | `sha_annex` | annex present |
//! | `sha_single_output` | output type is SINGLE |
//! | `tapleaf_hash` | tapscript, and not ANYPREVOUTANYSCRIPT |
//! | `key_version`, `codesep_pos` | tapscript |
//!
//! APO/APOAS hash types (`0x41..=0x43`, `0xc1..=0xc3`) exist only for tapscript signatures
//! checked against a BIP118 key ([`KeyVersion::AnyPrevout`]); a BIP118 key commits
//! `key_version` 1 for every hash type, so its DEFAULT/ALL/... digests differ from those of a
//! 32-byte BIP342 key.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::{TapLeafHash, Transaction, TxOut};

/// Which key version a tapscript signature check uses (BIP342 `key_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVersion {
    /// A 32-byte BIP340 key (BIP342, `key_version` 0).
    Taproot,
    /// A BIP118 key: `0x01 || xonly` or the 1-byte `0x01` (the internal key); `key_version` 1.
    AnyPrevout,
}

impl KeyVersion {
    /// The `key_version` byte committed in the signature message.
    pub fn to_byte(self) -> u8 {
        match self {
            KeyVersion::Taproot => 0x00,
            KeyVersion::AnyPrevout => 0x01,
        }
    }
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

/// `SIGHASH_DEFAULT`: no hash-type byte; commits like `SIGHASH_ALL`.
pub const SIGHASH_DEFAULT: u8 = 0x00;
/// `SIGHASH_ALL`.
pub const SIGHASH_ALL: u8 = 0x01;
/// `SIGHASH_NONE`.
pub const SIGHASH_NONE: u8 = 0x02;
/// `SIGHASH_SINGLE`.
pub const SIGHASH_SINGLE: u8 = 0x03;
/// `SIGHASH_ANYPREVOUT` input modifier (BIP118): the outpoint of this input is not committed.
pub const SIGHASH_ANYPREVOUT: u8 = 0x40;
/// `SIGHASH_ANYONECANPAY` input modifier: only this input is committed.
pub const SIGHASH_ANYONECANPAY: u8 = 0x80;
/// `SIGHASH_ANYPREVOUTANYSCRIPT` input modifier (BIP118): outpoint, amount, scriptPubKey and
/// tapleaf hash of this input are not committed.
pub const SIGHASH_ANYPREVOUTANYSCRIPT: u8 = 0xc0;

const SIGHASH_OUTPUT_MASK: u8 = 0x03;
const SIGHASH_INPUT_MASK: u8 = 0xc0;

/// Why no digest exists for a transaction / hash type / key / path combination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SighashError {
    /// `input_index` is not an input of the transaction.
    #[error("input index {index} out of range: the transaction has {inputs} inputs")]
    InputIndexOutOfRange {
        /// The requested input index.
        index: usize,
        /// Number of inputs of the transaction.
        inputs: usize,
    },
    /// `spent_outputs` does not hold exactly one entry per input.
    #[error("{spent_outputs} spent outputs given for a transaction with {inputs} inputs")]
    SpentOutputsCount {
        /// Number of spent outputs given.
        spent_outputs: usize,
        /// Number of inputs of the transaction.
        inputs: usize,
    },
    /// The hash type is none of 0x00-0x03, 0x81-0x83, 0x41-0x43, 0xc1-0xc3.
    #[error("undefined hash type {0:#04x}")]
    UndefinedHashType(u8),
    /// An APO/APOAS hash type was used for a key path spend.
    #[error("hash type {0:#04x} (anyprevout) is invalid on the key path: it needs a bip118 key in tapscript")]
    AnyPrevoutOnKeyPath(u8),
    /// An APO/APOAS hash type was used with a 32-byte BIP342 key (`key_version` 0).
    #[error("hash type {0:#04x} (anyprevout) is invalid with a 32-byte tapscript key: it needs a bip118 key (key_version 1)")]
    AnyPrevoutWithTaprootKey(u8),
    /// SIGHASH_SINGLE (any modifier) for an input with no output at the same index.
    #[error("hash type {hash_type:#04x} (single) for input {index} but the transaction has only {outputs} outputs")]
    SingleWithoutOutput {
        /// The hash type.
        hash_type: u8,
        /// The signed input's index.
        index: usize,
        /// Number of outputs of the transaction.
        outputs: usize,
    },
    /// The annex is empty or does not start with 0x50.
    #[error("annex must start with 0x50, got {}", .0.map_or_else(|| "an empty annex".to_string(), |b| format!("first byte {b:#04x}")))]
    InvalidAnnex(Option<u8>),
}

/// Check that `hash_type` is defined for `path` (Inquisition's hash-type rule).
pub fn check_hash_type(hash_type: u8, path: SpendPath) -> Result<(), SighashError> {
    let base_valid = hash_type <= 0x03 || (0x81..=0x83).contains(&hash_type);
    if base_valid {
        return Ok(());
    }
    let apo = (0x41..=0x43).contains(&hash_type) || (0xc1..=0xc3).contains(&hash_type);
    if !apo {
        return Err(SighashError::UndefinedHashType(hash_type));
    }
    match path {
        SpendPath::KeyPath => Err(SighashError::AnyPrevoutOnKeyPath(hash_type)),
        SpendPath::Tapscript {
            key_version: KeyVersion::Taproot,
            ..
        } => Err(SighashError::AnyPrevoutWithTaprootKey(hash_type)),
        SpendPath::Tapscript {
            key_version: KeyVersion::AnyPrevout,
            ..
        } => Ok(()),
    }
}

/// Append the consensus encoding of `value` to `buf`.
fn put<T: Encodable + ?Sized>(buf: &mut Vec<u8>, value: &T) {
    value
        .consensus_encode(buf)
        .expect("writing to a Vec cannot fail");
}

/// SHA256 of the concatenated consensus encodings of `items`.
fn sha256_of<'a, T: Encodable + 'a>(items: impl IntoIterator<Item = &'a T>) -> [u8; 32] {
    let mut buf = Vec::new();
    for item in items {
        put(&mut buf, item);
    }
    sha256::Hash::hash(&buf).to_byte_array()
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
    if input_index >= tx.input.len() {
        return Err(SighashError::InputIndexOutOfRange {
            index: input_index,
            inputs: tx.input.len(),
        });
    }
    if spent_outputs.len() != tx.input.len() {
        return Err(SighashError::SpentOutputsCount {
            spent_outputs: spent_outputs.len(),
            inputs: tx.input.len(),
        });
    }
    check_hash_type(hash_type, path)?;
    if let Some(a) = annex {
        if a.first() != Some(&0x50) {
            return Err(SighashError::InvalidAnnex(a.first().copied()));
        }
    }
    let output_type = if hash_type == SIGHASH_DEFAULT {
        SIGHASH_ALL
    } else {
        hash_type & SIGHASH_OUTPUT_MASK
    };
    let input_type = hash_type & SIGHASH_INPUT_MASK;
    if output_type == SIGHASH_SINGLE && input_index >= tx.output.len() {
        return Err(SighashError::SingleWithoutOutput {
            hash_type,
            index: input_index,
            outputs: tx.output.len(),
        });
    }

    let mut msg = Vec::with_capacity(256);
    msg.push(0x00); // epoch
    msg.push(hash_type);
    put(&mut msg, &tx.version);
    put(&mut msg, &tx.lock_time);
    if input_type == 0x00 {
        msg.extend_from_slice(&sha256_of(tx.input.iter().map(|i| &i.previous_output)));
        msg.extend_from_slice(&sha256_of(spent_outputs.iter().map(|o| &o.value)));
        msg.extend_from_slice(&sha256_of(spent_outputs.iter().map(|o| &o.script_pubkey)));
        msg.extend_from_slice(&sha256_of(tx.input.iter().map(|i| &i.sequence)));
    }
    if output_type == SIGHASH_ALL {
        msg.extend_from_slice(&sha256_of(tx.output.iter()));
    }

    let ext_flag: u8 = match path {
        SpendPath::KeyPath => 0,
        SpendPath::Tapscript { .. } => 1,
    };
    msg.push((ext_flag << 1) | u8::from(annex.is_some()));
    let input = &tx.input[input_index];
    match input_type {
        SIGHASH_ANYONECANPAY => {
            put(&mut msg, &input.previous_output);
            put(&mut msg, &spent_outputs[input_index]);
            put(&mut msg, &input.sequence);
        }
        SIGHASH_ANYPREVOUT => {
            put(&mut msg, &spent_outputs[input_index]);
            put(&mut msg, &input.sequence);
        }
        SIGHASH_ANYPREVOUTANYSCRIPT => put(&mut msg, &input.sequence),
        _ => {
            let index = u32::try_from(input_index).expect("input index fits in u32");
            put(&mut msg, &index);
        }
    }
    if let Some(a) = annex {
        let mut buf = Vec::with_capacity(a.len() + 9);
        put(&mut buf, &bitcoin::VarInt(a.len() as u64));
        buf.extend_from_slice(a);
        msg.extend_from_slice(sha256::Hash::hash(&buf).as_byte_array());
    }
    if output_type == SIGHASH_SINGLE {
        msg.extend_from_slice(&sha256_of(std::iter::once(&tx.output[input_index])));
    }
    if let SpendPath::Tapscript {
        leaf_hash,
        key_version,
        codesep_pos,
    } = path
    {
        if input_type != SIGHASH_ANYPREVOUTANYSCRIPT {
            msg.extend_from_slice(leaf_hash.as_byte_array());
        }
        msg.push(key_version.to_byte());
        put(&mut msg, &codesep_pos);
    }
    Ok(msg)
}

/// BIP340 tagged hash: `SHA256(SHA256(tag) || SHA256(tag) || msg)`.
pub fn tagged_hash(tag: &str, msg: &[u8]) -> [u8; 32] {
    let tag_hash = sha256::Hash::hash(tag.as_bytes());
    let mut engine = sha256::Hash::engine();
    engine.input(tag_hash.as_byte_array());
    engine.input(tag_hash.as_byte_array());
    engine.input(msg);
    sha256::Hash::from_engine(engine).to_byte_array()
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
    let msg = signature_message(tx, input_index, spent_outputs, hash_type, path, annex)?;
    Ok(tagged_hash("TapSighash", &msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, Witness};

    fn tx(inputs: usize, outputs: usize) -> Transaction {
        Transaction {
            version: Version(2),
            lock_time: LockTime::ZERO,
            input: (0..inputs)
                .map(|i| TxIn {
                    previous_output: OutPoint::new(bitcoin::Txid::all_zeros(), i as u32),
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(0xffff_fffd),
                    witness: Witness::new(),
                })
                .collect(),
            output: (0..outputs)
                .map(|i| TxOut {
                    value: Amount::from_sat(1000 + i as u64),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x20, i as u8]),
                })
                .collect(),
        }
    }

    fn spent(n: usize) -> Vec<TxOut> {
        (0..n)
            .map(|i| TxOut {
                value: Amount::from_sat(5000 + i as u64),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x20, 0xa0 + i as u8]),
            })
            .collect()
    }

    fn tapscript(key_version: KeyVersion) -> SpendPath {
        SpendPath::Tapscript {
            leaf_hash: TapLeafHash::from_byte_array([7; 32]),
            key_version,
            codesep_pos: u32::MAX,
        }
    }

    #[test]
    fn hash_type_matrix() {
        let apo = tapscript(KeyVersion::AnyPrevout);
        let v0 = tapscript(KeyVersion::Taproot);
        for ht in 0..=255u8 {
            let base = ht <= 3 || (0x81..=0x83).contains(&ht);
            let apo_type = (0x41..=0x43).contains(&ht) || (0xc1..=0xc3).contains(&ht);
            assert_eq!(
                check_hash_type(ht, SpendPath::KeyPath).is_ok(),
                base,
                "{ht:#x}"
            );
            assert_eq!(check_hash_type(ht, v0).is_ok(), base, "{ht:#x}");
            assert_eq!(
                check_hash_type(ht, apo).is_ok(),
                base || apo_type,
                "{ht:#x}"
            );
            if apo_type {
                assert_eq!(
                    check_hash_type(ht, SpendPath::KeyPath),
                    Err(SighashError::AnyPrevoutOnKeyPath(ht))
                );
                assert_eq!(
                    check_hash_type(ht, v0),
                    Err(SighashError::AnyPrevoutWithTaprootKey(ht))
                );
            } else if !base {
                assert_eq!(
                    check_hash_type(ht, apo),
                    Err(SighashError::UndefinedHashType(ht))
                );
            }
        }
    }

    #[test]
    fn shape_errors() {
        let t = tx(2, 1);
        let apo = tapscript(KeyVersion::AnyPrevout);
        assert_eq!(
            signature_message(&t, 2, &spent(2), 0x41, apo, None),
            Err(SighashError::InputIndexOutOfRange {
                index: 2,
                inputs: 2
            })
        );
        assert_eq!(
            signature_message(&t, 0, &spent(1), 0x41, apo, None),
            Err(SighashError::SpentOutputsCount {
                spent_outputs: 1,
                inputs: 2
            })
        );
        assert_eq!(
            signature_message(&t, 1, &spent(2), 0xc3, apo, None),
            Err(SighashError::SingleWithoutOutput {
                hash_type: 0xc3,
                index: 1,
                outputs: 1
            })
        );
        assert!(signature_message(&t, 0, &spent(2), 0xc3, apo, None).is_ok());
        assert_eq!(
            signature_message(&t, 0, &spent(2), 0x41, apo, Some(&[0x51, 1])),
            Err(SighashError::InvalidAnnex(Some(0x51)))
        );
        assert_eq!(
            signature_message(&t, 0, &spent(2), 0x41, apo, Some(&[])),
            Err(SighashError::InvalidAnnex(None))
        );
        let msg = SighashError::SingleWithoutOutput {
            hash_type: 0x43,
            index: 3,
            outputs: 2,
        }
        .to_string();
        assert!(
            msg.contains("0x43") && msg.contains('3') && msg.contains('2'),
            "{msg}"
        );
    }

    /// ANYPREVOUT ignores the outpoint; ANYPREVOUTANYSCRIPT also the spent output and the
    /// leaf; neither ignores nSequence.
    #[test]
    fn anyprevout_commitments() {
        let t = tx(2, 2);
        let s = spent(2);
        let apo = tapscript(KeyVersion::AnyPrevout);
        let other_leaf = SpendPath::Tapscript {
            leaf_hash: TapLeafHash::from_byte_array([8; 32]),
            key_version: KeyVersion::AnyPrevout,
            codesep_pos: u32::MAX,
        };
        let mut moved = t.clone();
        moved.input[1].previous_output.vout = 99;
        let mut other_spent = s.clone();
        other_spent[1].value = Amount::from_sat(1);
        let mut resequenced = t.clone();
        resequenced.input[1].sequence = Sequence(1);
        let h = |tx: &Transaction, sp: &[TxOut], ht: u8, path: SpendPath| {
            signature_hash(tx, 1, sp, ht, path, None).unwrap()
        };
        for ht in [0x41, 0x42, 0x43] {
            assert_eq!(h(&t, &s, ht, apo), h(&moved, &s, ht, apo));
            assert_ne!(h(&t, &s, ht, apo), h(&t, &other_spent, ht, apo));
            assert_ne!(h(&t, &s, ht, apo), h(&t, &s, ht, other_leaf));
            assert_ne!(h(&t, &s, ht, apo), h(&resequenced, &s, ht, apo));
        }
        for ht in [0xc1, 0xc2, 0xc3] {
            assert_eq!(h(&t, &s, ht, apo), h(&moved, &s, ht, apo));
            assert_eq!(h(&t, &s, ht, apo), h(&t, &other_spent, ht, apo));
            assert_eq!(h(&t, &s, ht, apo), h(&t, &s, ht, other_leaf));
            assert_ne!(h(&t, &s, ht, apo), h(&resequenced, &s, ht, apo));
        }
        // key_version is committed for every hash type.
        let v0 = tapscript(KeyVersion::Taproot);
        assert_ne!(h(&t, &s, 0x01, apo), h(&t, &s, 0x01, v0));
    }
}
