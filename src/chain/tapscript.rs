//! The ledger's BIP118 (SIGHASH_ANYPREVOUT) check for tapscript spends.
//!
//! Bitcoin Core 26 treats BIP118 public keys (`0x01 || xonly`, or the single byte `0x01`
//! meaning the taproot internal key) as an unknown public key type and accepts any
//! non-empty signature for them. [`check_input`] therefore re-runs the executed tapscript
//! leaf in a small evaluator that knows BIP342 + BIP118 `CHECKSIG` semantics and verifies
//! every BIP118 signature against the digest of [`crate::crypto::bip118::signature_hash`].
//!
//! Core has already run its own interpreter (including BIP340 signatures, locktime opcodes
//! and stack rules), so this evaluator only has to follow the same control flow; it
//! rejects any opcode it does not implement instead of guessing.

use std::sync::OnceLock;

use bitcoin::opcodes::all::*;
use bitcoin::opcodes::Opcode;
use bitcoin::script::Instruction;
use bitcoin::secp256k1::{schnorr, Message, Secp256k1, VerifyOnly, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TAPROOT_ANNEX_PREFIX};
use bitcoin::{Script, TapLeafHash, Transaction, TxOut};

use crate::crypto::bip118::{signature_hash, KeyVersion, SpendPath};

/// The tapscript leaf version (BIP342).
pub const TAPSCRIPT_LEAF_VERSION: u8 = 0xc0;

/// Why the BIP118 tapscript check rejected an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TapscriptError {
    /// The caller did not pass one spent output per input (or the index is out of range).
    #[error("{given} spent outputs given for a transaction with {inputs} inputs")]
    SpentOutputs {
        /// How many were given.
        given: usize,
        /// How many inputs the transaction has.
        inputs: usize,
    },
    /// The control block has an impossible size.
    #[error("taproot control block of {len} bytes is malformed")]
    MalformedControlBlock {
        /// Its size.
        len: usize,
    },
    /// The leaf version is not 0xc0.
    #[error("tapscript leaf version 0x{0:02x} not supported by the ledger's BIP118 checker")]
    UnsupportedLeafVersion(u8),
    /// The leaf script does not parse (truncated push).
    #[error("tapscript could not be parsed: {0}")]
    MalformedScript(String),
    /// The leaf script uses an opcode the evaluator does not implement.
    #[error("tapscript opcode {0} not supported by the ledger's BIP118 checker")]
    UnsupportedOpcode(String),
    /// An opcode found too few stack elements.
    #[error("tapscript stack underflow at {0}")]
    StackUnderflow(String),
    /// OP_VERIFY, OP_EQUALVERIFY, OP_NUMEQUALVERIFY or OP_CHECKSIGVERIFY failed.
    #[error("tapscript {0} failed")]
    VerifyFailed(String),
    /// A signature opcode got an empty public key (BIP342: always an error).
    #[error("tapscript {0} with an empty public key")]
    EmptyPublicKey(String),
    /// OP_RETURN was executed.
    #[error("tapscript executed OP_RETURN")]
    OpReturn,
    /// OP_IF / OP_ELSE / OP_ENDIF do not balance.
    #[error("tapscript has unbalanced conditionals")]
    UnbalancedConditional,
    /// A number operand is longer than 4 bytes.
    #[error("tapscript number operand of {0} bytes is too long")]
    NumberTooLong(usize),
    /// The script did not end with exactly one true element.
    #[error("tapscript did not end with exactly one true stack element (stack size {0})")]
    FinalStack(usize),
    /// A BIP118 signature has a size other than 64 or 65 bytes.
    #[error("bip118 signature has invalid size {0} (expected 64 or 65 bytes)")]
    Bip118SignatureSize(usize),
    /// A BIP118 signature has an invalid hash type byte.
    #[error("bip118 signature has invalid hash type 0x{0:02x}")]
    Bip118HashType(u8),
    /// A BIP118 public key is not a valid x-only key.
    #[error("bip118 public key {0} is not a valid x-only key")]
    Bip118InvalidKey(String),
    /// The BIP118 digest could not be computed for this hash type / input.
    #[error(
        "bip118 signature digest for hash type 0x{hash_type:02x} could not be computed: {reason}"
    )]
    Bip118Sighash {
        /// The hash type.
        hash_type: u8,
        /// The digest module's reason.
        reason: String,
    },
    /// A non-empty BIP118 signature does not verify.
    #[error("invalid bip118 signature (hash type 0x{hash_type:02x}) for key {key}")]
    Bip118InvalidSignature {
        /// The x-only key, hex.
        key: String,
        /// The hash type of the signature.
        hash_type: u8,
    },
}

fn secp() -> &'static Secp256k1<VerifyOnly> {
    static SECP: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::verification_only)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `hash_type` is a valid BIP118 hash type for a 65-byte signature.
pub fn is_valid_bip118_hash_type(hash_type: u8) -> bool {
    matches!(hash_type & 0x3f, 0x01..=0x03)
}

/// Checks input `index` of `tx` (spending `spent_outputs`, one per input): if it spends a
/// P2TR output through a tapscript leaf, evaluates the leaf and verifies every BIP118
/// signature. Other inputs pass unchanged (Core checks them).
pub fn check_input(
    tx: &Transaction,
    index: usize,
    spent_outputs: &[TxOut],
) -> Result<(), TapscriptError> {
    if spent_outputs.len() != tx.input.len() || index >= tx.input.len() {
        return Err(TapscriptError::SpentOutputs {
            given: spent_outputs.len(),
            inputs: tx.input.len(),
        });
    }
    let spent = &spent_outputs[index];
    if !spent.script_pubkey.is_p2tr() {
        return Ok(());
    }
    let mut elements: Vec<&[u8]> = tx.input[index].witness.iter().collect();
    let mut annex = None;
    if elements.len() >= 2
        && elements
            .last()
            .is_some_and(|e| e.first() == Some(&TAPROOT_ANNEX_PREFIX))
    {
        annex = elements.pop();
    }
    if elements.len() < 2 {
        return Ok(()); // key path (or an empty witness Core has rejected)
    }
    let control_block = elements.pop().expect("len >= 2");
    let script = elements.pop().expect("len >= 2");
    let cb_len = control_block.len();
    if cb_len < 33 || (cb_len - 33) % 32 != 0 || cb_len > 33 + 128 * 32 {
        return Err(TapscriptError::MalformedControlBlock { len: cb_len });
    }
    let leaf_version = control_block[0] & 0xfe;
    if leaf_version != TAPSCRIPT_LEAF_VERSION {
        return Err(TapscriptError::UnsupportedLeafVersion(leaf_version));
    }
    let script = Script::from_bytes(script);
    let ctx = SigContext {
        tx,
        index,
        spent_outputs,
        annex,
        internal_key: &control_block[1..33],
        leaf_hash: TapLeafHash::from_script(script, LeafVersion::TapScript),
    };
    let stack: Vec<Vec<u8>> = elements.iter().map(|e| e.to_vec()).collect();
    eval(script, stack, &ctx)
}

struct SigContext<'a> {
    tx: &'a Transaction,
    index: usize,
    spent_outputs: &'a [TxOut],
    annex: Option<&'a [u8]>,
    internal_key: &'a [u8],
    leaf_hash: TapLeafHash,
}

impl SigContext<'_> {
    /// BIP342/BIP118 signature check. `Ok(true)`/`Ok(false)` is the pushed result;
    /// `Err` aborts the script.
    fn check_sig(&self, op: Opcode, sig: &[u8], pubkey: &[u8]) -> Result<bool, TapscriptError> {
        let bip118_key = match pubkey {
            [] => return Err(TapscriptError::EmptyPublicKey(op.to_string())),
            [0x01] => Some(self.internal_key),
            [0x01, rest @ ..] if rest.len() == 32 => Some(rest),
            _ => None,
        };
        let Some(key) = bip118_key else {
            // 32-byte BIP340 keys were verified by Core; other sizes are unknown key types
            // which succeed for any non-empty signature.
            return Ok(!sig.is_empty());
        };
        if sig.is_empty() {
            return Ok(false);
        }
        let hash_type = match sig.len() {
            64 => 0x00,
            65 if sig[64] != 0x00 && is_valid_bip118_hash_type(sig[64]) => sig[64],
            65 => return Err(TapscriptError::Bip118HashType(sig[64])),
            n => return Err(TapscriptError::Bip118SignatureSize(n)),
        };
        let xonly = XOnlyPublicKey::from_slice(key)
            .map_err(|_| TapscriptError::Bip118InvalidKey(hex(key)))?;
        let digest = signature_hash(
            self.tx,
            self.index,
            self.spent_outputs,
            hash_type,
            SpendPath::Tapscript {
                leaf_hash: self.leaf_hash,
                key_version: KeyVersion::AnyPrevout,
                codesep_pos: 0xffff_ffff,
            },
            self.annex,
        )
        .map_err(|e| TapscriptError::Bip118Sighash {
            hash_type,
            reason: e.to_string(),
        })?;
        let signature = schnorr::Signature::from_slice(&sig[..64]).map_err(|_| {
            TapscriptError::Bip118InvalidSignature {
                key: hex(key),
                hash_type,
            }
        })?;
        secp()
            .verify_schnorr(&signature, &Message::from_digest(digest), &xonly)
            .map_err(|_| TapscriptError::Bip118InvalidSignature {
                key: hex(key),
                hash_type,
            })?;
        Ok(true)
    }
}

fn cast_to_bool(v: &[u8]) -> bool {
    for (i, b) in v.iter().enumerate() {
        if *b != 0 {
            // Negative zero is false.
            return !(i == v.len() - 1 && *b == 0x80);
        }
    }
    false
}

fn decode_num(v: &[u8]) -> Result<i64, TapscriptError> {
    if v.len() > 4 {
        return Err(TapscriptError::NumberTooLong(v.len()));
    }
    if v.is_empty() {
        return Ok(0);
    }
    let mut result: i64 = 0;
    for (i, b) in v.iter().enumerate() {
        result |= i64::from(*b) << (8 * i);
    }
    let last = v[v.len() - 1];
    if last & 0x80 != 0 {
        Ok(-(result & !(0x80i64 << (8 * (v.len() - 1)))))
    } else {
        Ok(result)
    }
}

fn encode_num(n: i64) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    let neg = n < 0;
    let mut abs = n.unsigned_abs();
    let mut out = Vec::new();
    while abs > 0 {
        out.push((abs & 0xff) as u8);
        abs >>= 8;
    }
    if out.last().is_some_and(|b| b & 0x80 != 0) {
        out.push(if neg { 0x80 } else { 0x00 });
    } else if neg {
        *out.last_mut().expect("non-empty") |= 0x80;
    }
    out
}

fn bool_vec(b: bool) -> Vec<u8> {
    if b {
        vec![1]
    } else {
        Vec::new()
    }
}

fn is_supported(op: Opcode) -> bool {
    let b = op.to_u8();
    (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&b)
        || [
            OP_PUSHNUM_NEG1,
            OP_CHECKSIG,
            OP_CHECKSIGVERIFY,
            OP_CHECKSIGADD,
            OP_CLTV,
            OP_CSV,
            OP_DROP,
            OP_2DROP,
            OP_DUP,
            OP_SWAP,
            OP_VERIFY,
            OP_EQUAL,
            OP_EQUALVERIFY,
            OP_NUMEQUAL,
            OP_NUMEQUALVERIFY,
            OP_NOP,
            OP_IF,
            OP_NOTIF,
            OP_ELSE,
            OP_ENDIF,
            OP_RETURN,
        ]
        .contains(&op)
}

fn pop(stack: &mut Vec<Vec<u8>>, op: Opcode) -> Result<Vec<u8>, TapscriptError> {
    stack
        .pop()
        .ok_or_else(|| TapscriptError::StackUnderflow(op.to_string()))
}

fn eval(
    script: &Script,
    mut stack: Vec<Vec<u8>>,
    ctx: &SigContext<'_>,
) -> Result<(), TapscriptError> {
    // Parse everything first: an unsupported opcode anywhere rejects the spend.
    let mut instructions = Vec::new();
    for ins in script.instructions() {
        let ins = ins.map_err(|e| TapscriptError::MalformedScript(e.to_string()))?;
        if let Instruction::Op(op) = ins {
            if !is_supported(op) {
                return Err(TapscriptError::UnsupportedOpcode(op.to_string()));
            }
        }
        instructions.push(ins);
    }

    let mut exec: Vec<bool> = Vec::new();
    for ins in instructions {
        let executing = exec.iter().all(|e| *e);
        let op = match ins {
            Instruction::PushBytes(bytes) => {
                if executing {
                    stack.push(bytes.as_bytes().to_vec());
                }
                continue;
            }
            Instruction::Op(op) => op,
        };
        match op {
            OP_IF | OP_NOTIF => {
                let mut value = false;
                if executing {
                    let top = pop(&mut stack, op)?;
                    value = cast_to_bool(&top);
                    if op == OP_NOTIF {
                        value = !value;
                    }
                }
                exec.push(value);
                continue;
            }
            OP_ELSE => {
                let last = exec
                    .last_mut()
                    .ok_or(TapscriptError::UnbalancedConditional)?;
                *last = !*last;
                continue;
            }
            OP_ENDIF => {
                exec.pop().ok_or(TapscriptError::UnbalancedConditional)?;
                continue;
            }
            _ => {}
        }
        if !executing {
            continue;
        }
        let b = op.to_u8();
        if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&b) {
            stack.push(encode_num(i64::from(b - OP_PUSHNUM_1.to_u8() + 1)));
            continue;
        }
        match op {
            OP_PUSHNUM_NEG1 => stack.push(encode_num(-1)),
            OP_NOP | OP_CLTV | OP_CSV => {} // Core enforces the locktime opcodes.
            OP_RETURN => return Err(TapscriptError::OpReturn),
            OP_DROP => {
                pop(&mut stack, op)?;
            }
            OP_2DROP => {
                pop(&mut stack, op)?;
                pop(&mut stack, op)?;
            }
            OP_DUP => {
                let top = stack
                    .last()
                    .cloned()
                    .ok_or_else(|| TapscriptError::StackUnderflow(op.to_string()))?;
                stack.push(top);
            }
            OP_SWAP => {
                let a = pop(&mut stack, op)?;
                let b = pop(&mut stack, op)?;
                stack.push(a);
                stack.push(b);
            }
            OP_VERIFY => {
                let top = pop(&mut stack, op)?;
                if !cast_to_bool(&top) {
                    return Err(TapscriptError::VerifyFailed(op.to_string()));
                }
            }
            OP_EQUAL | OP_EQUALVERIFY => {
                let a = pop(&mut stack, op)?;
                let b = pop(&mut stack, op)?;
                if op == OP_EQUAL {
                    stack.push(bool_vec(a == b));
                } else if a != b {
                    return Err(TapscriptError::VerifyFailed(op.to_string()));
                }
            }
            OP_NUMEQUAL | OP_NUMEQUALVERIFY => {
                let a = decode_num(&pop(&mut stack, op)?)?;
                let b = decode_num(&pop(&mut stack, op)?)?;
                if op == OP_NUMEQUAL {
                    stack.push(bool_vec(a == b));
                } else if a != b {
                    return Err(TapscriptError::VerifyFailed(op.to_string()));
                }
            }
            OP_CHECKSIG | OP_CHECKSIGVERIFY => {
                let pubkey = pop(&mut stack, op)?;
                let sig = pop(&mut stack, op)?;
                let ok = ctx.check_sig(op, &sig, &pubkey)?;
                if op == OP_CHECKSIG {
                    stack.push(bool_vec(ok));
                } else if !ok {
                    return Err(TapscriptError::VerifyFailed(op.to_string()));
                }
            }
            OP_CHECKSIGADD => {
                let pubkey = pop(&mut stack, op)?;
                let n = decode_num(&pop(&mut stack, op)?)?;
                let sig = pop(&mut stack, op)?;
                let ok = ctx.check_sig(op, &sig, &pubkey)?;
                stack.push(encode_num(n + i64::from(ok)));
            }
            other => return Err(TapscriptError::UnsupportedOpcode(other.to_string())),
        }
    }
    if !exec.is_empty() {
        return Err(TapscriptError::UnbalancedConditional);
    }
    if stack.len() != 1 || !cast_to_bool(&stack[0]) {
        return Err(TapscriptError::FinalStack(stack.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in [
            -70000i64, -256, -129, -128, -1, 0, 1, 16, 127, 128, 255, 256, 70000,
        ] {
            assert_eq!(decode_num(&encode_num(n)).unwrap(), n, "{n}");
        }
        assert!(decode_num(&[1, 2, 3, 4, 5]).is_err());
    }

    #[test]
    fn bool_casting() {
        assert!(!cast_to_bool(&[]));
        assert!(!cast_to_bool(&[0, 0]));
        assert!(!cast_to_bool(&[0, 0x80]));
        assert!(cast_to_bool(&[0x80, 0]));
        assert!(cast_to_bool(&[1]));
    }

    #[test]
    fn hash_types() {
        for t in [
            0x01, 0x02, 0x03, 0x81, 0x82, 0x83, 0x41, 0x42, 0x43, 0xc1, 0xc2, 0xc3,
        ] {
            assert!(is_valid_bip118_hash_type(t), "{t:#x}");
        }
        for t in [0x00, 0x04, 0x80, 0x84, 0x40, 0x44, 0xc0, 0xc4, 0x21, 0xff] {
            assert!(!is_valid_bip118_hash_type(t), "{t:#x}");
        }
    }

    fn spend_with(witness: Vec<Vec<u8>>) -> (Transaction, Vec<TxOut>) {
        use bitcoin::{absolute::LockTime, transaction::Version, Amount, OutPoint, ScriptBuf};
        use bitcoin::{Sequence, TxIn, Witness};
        let mut p2tr = vec![0x51, 0x20];
        p2tr.extend_from_slice(&[0x11; 32]);
        let tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&witness),
            }],
            output: vec![],
        };
        let spent = vec![TxOut {
            value: Amount::from_sat(1),
            script_pubkey: ScriptBuf::from_bytes(p2tr),
        }];
        (tx, spent)
    }

    fn control_block(version: u8) -> Vec<u8> {
        let mut cb = vec![version];
        cb.extend_from_slice(&[0x22; 32]);
        cb
    }

    #[test]
    fn evaluator_follows_conditionals_and_checks_the_final_stack() {
        // OP_IF OP_1 OP_ELSE OP_0 OP_ENDIF
        let script = vec![0x63, 0x51, 0x67, 0x00, 0x68];
        let (tx, spent) = spend_with(vec![vec![1], script.clone(), control_block(0xc0)]);
        check_input(&tx, 0, &spent).unwrap();
        let (tx, spent) = spend_with(vec![vec![], script.clone(), control_block(0xc1)]);
        assert_eq!(
            check_input(&tx, 0, &spent),
            Err(TapscriptError::FinalStack(1))
        );
        // The annex is removed before finding script and control block.
        let (tx, spent) = spend_with(vec![vec![1], script, control_block(0xc0), vec![0x50, 1]]);
        check_input(&tx, 0, &spent).unwrap();
    }

    #[test]
    fn evaluator_rejects_what_it_cannot_check() {
        // OP_SHA256 anywhere, even in an unexecuted branch.
        let script = vec![0x00, 0x63, 0xa8, 0x68, 0x51];
        let (tx, spent) = spend_with(vec![script, control_block(0xc0)]);
        let err = check_input(&tx, 0, &spent).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tapscript opcode OP_SHA256 not supported by the ledger's BIP118 checker"
        );
        let (tx, spent) = spend_with(vec![vec![0x51], control_block(0xc2)]);
        assert_eq!(
            check_input(&tx, 0, &spent),
            Err(TapscriptError::UnsupportedLeafVersion(0xc2))
        );
        let (tx, spent) = spend_with(vec![vec![0x51], vec![0xc0; 40]]);
        assert_eq!(
            check_input(&tx, 0, &spent),
            Err(TapscriptError::MalformedControlBlock { len: 40 })
        );
        // Empty public key.
        let (tx, spent) = spend_with(vec![vec![1], vec![0x00, 0xac], control_block(0xc0)]);
        assert_eq!(
            check_input(&tx, 0, &spent),
            Err(TapscriptError::EmptyPublicKey("OP_CHECKSIG".into()))
        );
        // A key-path spend (one element) is Core's business only.
        let (tx, spent) = spend_with(vec![vec![0xab; 64]]);
        check_input(&tx, 0, &spent).unwrap();
    }
}
