//! Pure transaction validation: a UTXO view plus a transaction in, a typed verdict out.
//!
//! Nothing here touches files. [`validate_transaction`] applies, in this order, the
//! context-free checks (non-empty inputs and outputs, no duplicate inputs, output value
//! ranges), the input checks (existence, double spends, coinbase maturity), value
//! conservation, absolute locktime (`IsFinalTx` with BIP113), relative locktime (BIP68),
//! Bitcoin Core's script interpreter (libbitcoinconsensus) and finally the ledger's own
//! BIP118 tapscript check ([`super::tapscript`]), which Core 26 does not know.

use std::collections::HashMap;
use std::fmt;

use bitcoin::{Amount, OutPoint, Transaction, TxOut, Txid};

use super::tapscript::{self, TapscriptError};

/// A coinbase output can be spent in a block at least this many blocks above its own.
pub const COINBASE_MATURITY: u32 = 100;

/// Locktimes at or above this value are UNIX timestamps, below it block heights.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;

/// Script verification flags passed to Bitcoin Core's interpreter:
/// P2SH, DERSIG, NULLDUMMY, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, WITNESS and TAPROOT.
pub const SCRIPT_FLAGS: u32 = bitcoinconsensus::VERIFY_P2SH
    | bitcoinconsensus::VERIFY_DERSIG
    | bitcoinconsensus::VERIFY_NULLDUMMY
    | bitcoinconsensus::VERIFY_CHECKLOCKTIMEVERIFY
    | bitcoinconsensus::VERIFY_CHECKSEQUENCEVERIFY
    | bitcoinconsensus::VERIFY_WITNESS
    | bitcoinconsensus::VERIFY_TAPROOT;

/// Maximum weight of a transaction (the block weight limit).
pub const MAX_TX_WEIGHT: u64 = 4_000_000;

const SEQUENCE_FINAL: u32 = 0xffff_ffff;
const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;
const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

/// An unspent output as the validator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output itself.
    pub output: TxOut,
    /// Height of the block that confirmed it; for an unconfirmed (mempool) output, the
    /// height of the next block.
    pub height: u32,
    /// Whether it is an output of a coinbase transaction.
    pub is_coinbase: bool,
}

/// The answer of a [`UtxoView`] for one outpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoinLookup {
    /// The outpoint is unspent.
    Unspent(Coin),
    /// The outpoint existed but was spent by the given transaction.
    Spent {
        /// The spending transaction.
        by: Txid,
        /// Whether the spender is in the mempool (else it is confirmed).
        in_mempool: bool,
    },
    /// The view knows nothing about this outpoint.
    Missing,
}

/// A set of spendable outputs to validate a transaction against.
pub trait UtxoView {
    /// Looks up one outpoint.
    fn lookup(&self, outpoint: &OutPoint) -> CoinLookup;
}

impl UtxoView for HashMap<OutPoint, Coin> {
    fn lookup(&self, outpoint: &OutPoint) -> CoinLookup {
        match self.get(outpoint) {
            Some(coin) => CoinLookup::Unspent(coin.clone()),
            None => CoinLookup::Missing,
        }
    }
}

/// What a valid transaction spends and pays in fees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// Sum of inputs minus sum of outputs.
    pub fee: Amount,
    /// The spent coins, one per input, in input order.
    pub spent: Vec<Coin>,
}

fn fmt_outpoint(o: &OutPoint) -> String {
    format!("{}:{}", o.txid, o.vout)
}

fn fmt_confirmed(height: &Option<u32>) -> String {
    match height {
        Some(h) => format!("confirmed at {h}"),
        None => "unconfirmed".to_string(),
    }
}

fn fmt_spender(in_mempool: &bool) -> &'static str {
    if *in_mempool {
        "mempool"
    } else {
        "confirmed"
    }
}

/// Why a transaction is invalid. Each message starts with Bitcoin Core's reject reason for
/// it (`bad-txns-inputs-missingorspent`, `non-BIP68-final`, ...), then a comma and what
/// exactly, lower case, naming the input index, outpoint and the values involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectError {
    /// The transaction has no inputs.
    #[error("bad-txns-vin-empty, transaction has no inputs")]
    NoInputs,
    /// The transaction has no outputs.
    #[error("bad-txns-vout-empty, transaction has no outputs")]
    NoOutputs,
    /// Coinbase transactions are created by mining, never submitted.
    #[error("coinbase, coinbase transactions cannot be submitted")]
    Coinbase,
    /// The transaction weighs more than [`MAX_TX_WEIGHT`].
    #[error("bad-txns-oversize, transaction weight {weight} exceeds the maximum of {max}", max = MAX_TX_WEIGHT)]
    TooHeavy {
        /// Its weight in weight units.
        weight: u64,
    },
    /// Two inputs spend the same outpoint.
    #[error("bad-txns-inputs-duplicate, input {index} spends {} which input {first_index} already spends", fmt_outpoint(.outpoint))]
    DuplicateInput {
        /// The later input.
        index: usize,
        /// The earlier input.
        first_index: usize,
        /// The outpoint spent twice.
        outpoint: OutPoint,
    },
    /// An output's value exceeds 21 million BTC.
    #[error(
        "bad-txns-vout-toolarge, output {index} value of {value_sat} sat exceeds 21 million btc"
    )]
    OutputTooLarge {
        /// The output index.
        index: usize,
        /// Its value in satoshis.
        value_sat: u64,
    },
    /// The outputs together exceed 21 million BTC.
    #[error("bad-txns-txouttotal-toolarge, outputs total more than 21 million btc")]
    OutputTotalTooLarge,
    /// The transaction is already in the mempool or confirmed.
    #[error("{}, transaction {txid} is already {}", if *.confirmed { "txn-already-known" } else { "txn-already-in-mempool" }, if *.confirmed { "confirmed" } else { "in the mempool" })]
    AlreadyKnown {
        /// Its txid.
        txid: Txid,
        /// Whether it is confirmed (else in the mempool).
        confirmed: bool,
    },
    /// The input's outpoint is unknown (never existed or spent long ago).
    #[error("bad-txns-inputs-missingorspent, input {index} spends {} which does not exist or is already spent", fmt_outpoint(.outpoint))]
    MissingInput {
        /// The input index.
        index: usize,
        /// The missing outpoint.
        outpoint: OutPoint,
    },
    /// The input's outpoint is already spent by another transaction.
    #[error("{}, input {index} spends {} which is already spent by {} transaction {by}", if *.in_mempool { "txn-mempool-conflict" } else { "bad-txns-inputs-missingorspent" }, fmt_outpoint(.outpoint), fmt_spender(.in_mempool))]
    AlreadySpent {
        /// The input index.
        index: usize,
        /// The outpoint.
        outpoint: OutPoint,
        /// The transaction that spent it.
        by: Txid,
        /// Whether that transaction is in the mempool (else confirmed).
        in_mempool: bool,
    },
    /// The input spends a coinbase output that has not reached maturity.
    #[error(
        "bad-txns-premature-spend-of-coinbase, input {index} spends immature coinbase output {} (mined at height {coinbase_height}, spendable from height {}, next block height {spend_height})",
        fmt_outpoint(.outpoint), .coinbase_height + COINBASE_MATURITY
    )]
    ImmatureCoinbase {
        /// The input index.
        index: usize,
        /// The coinbase outpoint.
        outpoint: OutPoint,
        /// Height of the block that mined it.
        coinbase_height: u32,
        /// Height of the block the transaction would enter.
        spend_height: u32,
    },
    /// Summing input values overflowed or exceeded 21 million BTC.
    #[error("bad-txns-inputvalues-outofrange, inputs total more than 21 million btc")]
    InputTotalTooLarge,
    /// The outputs pay more than the inputs provide.
    #[error("bad-txns-in-belowout, outputs total {outputs_sat} sat exceeds inputs total {inputs_sat} sat")]
    ValueCreation {
        /// Sum of inputs in satoshis.
        inputs_sat: u64,
        /// Sum of outputs in satoshis.
        outputs_sat: u64,
    },
    /// A height-based absolute locktime is not reached.
    #[error(
        "non-final, absolute locktime of height {locktime} not reached (next block height {next_height})"
    )]
    LocktimeHeight {
        /// The transaction's nLockTime.
        locktime: u32,
        /// Height of the block the transaction would enter.
        next_height: u32,
    },
    /// A time-based absolute locktime is not reached (BIP113: against median time past).
    #[error(
        "non-final, absolute locktime of time {locktime} not reached (median time past {median_time_past})"
    )]
    LocktimeTime {
        /// The transaction's nLockTime.
        locktime: u32,
        /// Median time past of the tip.
        median_time_past: u32,
    },
    /// A BIP68 height-based relative locktime is not reached.
    #[error("non-BIP68-final, input {index}: relative locktime of {blocks} blocks not reached ({}, tip {tip})", fmt_confirmed(.confirmed_at))]
    RelativeHeight {
        /// The input index.
        index: usize,
        /// The required number of blocks.
        blocks: u32,
        /// Height that confirmed the spent output, `None` if unconfirmed.
        confirmed_at: Option<u32>,
        /// The current tip height.
        tip: u32,
    },
    /// A BIP68 time-based relative locktime is not reached.
    #[error(
        "non-BIP68-final, input {index}: relative locktime of {seconds} seconds not reached ({}, reference median time past {reference_time}, tip median time past {median_time_past})",
        fmt_confirmed(.confirmed_at)
    )]
    RelativeTime {
        /// The input index.
        index: usize,
        /// The required number of seconds (a multiple of 512).
        seconds: u32,
        /// Height that confirmed the spent output, `None` if unconfirmed.
        confirmed_at: Option<u32>,
        /// Median time past of the block before the one that confirmed the spent output.
        reference_time: u32,
        /// Median time past of the tip.
        median_time_past: u32,
    },
    /// Bitcoin Core's script interpreter rejected the input.
    #[error("mandatory-script-verify-flag-failed, input {index}: Bitcoin Core script interpreter rejected the spend: {error}")]
    Script {
        /// The input index.
        index: usize,
        /// libbitcoinconsensus's error code name, e.g. `ERR_SCRIPT`.
        error: String,
    },
    /// The ledger's BIP118 tapscript check rejected the input.
    #[error("mandatory-script-verify-flag-failed, input {index}: {error}")]
    Tapscript {
        /// The input index.
        index: usize,
        /// What failed.
        error: TapscriptError,
    },
    /// Valid by consensus, refused by the relay policy a node with default settings
    /// applies to its mempool ([`super::policy`]): `reason` is the node's reject reason
    /// (`min relay fee not met`, `TRUC-violation`, `insufficient fee`, ...), `detail` its
    /// debug message, shown as Bitcoin Core shows them: `reason, detail`.
    #[error("{reason}{}{detail}", if .detail.is_empty() { "" } else { ", " })]
    Policy {
        /// The node's reject reason.
        reason: String,
        /// What exactly, with the values involved.
        detail: String,
    },
}

/// The times of the blocks a transaction is validated on top of: blocks 0 to
/// [`BlockTimes::tip_height`]. A slice `t` is one, `t[i]` being the time of block `i`; the
/// on-disk ledger looks the few times it needs up in its database.
pub trait BlockTimes {
    /// Height of the last block (the tip).
    fn tip_height(&self) -> u32;

    /// Time of the block at `height`, at most [`BlockTimes::tip_height`].
    fn time_at(&self, height: u32) -> u32;
}

impl BlockTimes for [u32] {
    fn tip_height(&self) -> u32 {
        assert!(!self.is_empty(), "validation needs a genesis block");
        (self.len() - 1) as u32
    }

    fn time_at(&self, height: u32) -> u32 {
        self[height as usize]
    }
}

impl BlockTimes for Vec<u32> {
    fn tip_height(&self) -> u32 {
        self.as_slice().tip_height()
    }

    fn time_at(&self, height: u32) -> u32 {
        self.as_slice().time_at(height)
    }
}

/// Median time past of the block at `height`: the median of the times of the up to 11
/// blocks ending at `height` (`block_times[i]` is the time of block `i`).
///
/// # Panics
/// If `height` is not a valid index into `block_times`.
pub fn median_time_past(block_times: &[u32], height: u32) -> u32 {
    median_time_past_of(block_times, height)
}

/// [`median_time_past`] over any [`BlockTimes`] (reads at most 11 block times).
pub fn median_time_past_of<T: BlockTimes + ?Sized>(block_times: &T, height: u32) -> u32 {
    let start = height.saturating_sub(10);
    let mut window: Vec<u32> = (start..=height).map(|h| block_times.time_at(h)).collect();
    window.sort_unstable();
    window[window.len() / 2]
}

/// Context-free checks (Core's `CheckTransaction`, minus the coinbase-specific parts).
pub fn check_transaction(tx: &Transaction) -> Result<(), RejectError> {
    if tx.input.is_empty() {
        return Err(RejectError::NoInputs);
    }
    if tx.output.is_empty() {
        return Err(RejectError::NoOutputs);
    }
    if tx.is_coinbase() {
        return Err(RejectError::Coinbase);
    }
    let weight = tx.weight().to_wu();
    if weight > MAX_TX_WEIGHT {
        return Err(RejectError::TooHeavy { weight });
    }
    let mut seen: HashMap<OutPoint, usize> = HashMap::with_capacity(tx.input.len());
    for (index, input) in tx.input.iter().enumerate() {
        if let Some(&first_index) = seen.get(&input.previous_output) {
            return Err(RejectError::DuplicateInput {
                index,
                first_index,
                outpoint: input.previous_output,
            });
        }
        seen.insert(input.previous_output, index);
    }
    let mut total: u64 = 0;
    for (index, output) in tx.output.iter().enumerate() {
        let value = output.value.to_sat();
        if value > Amount::MAX_MONEY.to_sat() {
            return Err(RejectError::OutputTooLarge {
                index,
                value_sat: value,
            });
        }
        total = total
            .checked_add(value)
            .filter(|t| *t <= Amount::MAX_MONEY.to_sat())
            .ok_or(RejectError::OutputTotalTooLarge)?;
    }
    Ok(())
}

/// Validates `tx` for inclusion in the block above `block_times.tip_height()`, on top of
/// the blocks whose times are `block_times` (for a slice, block `i` has time
/// `block_times[i]` and the new block is at height `block_times.len()`), spending coins from
/// `view`. Returns the fee and spent coins.
///
/// # Panics
/// If `block_times` is an empty slice (there is always a genesis block).
pub fn validate_transaction<V: UtxoView + ?Sized, T: BlockTimes + ?Sized>(
    tx: &Transaction,
    view: &V,
    block_times: &T,
) -> Result<Validated, RejectError> {
    let tip = block_times.tip_height();
    check_transaction(tx)?;
    let next_height = tip + 1;
    let mtp = median_time_past_of(block_times, tip);

    // Inputs exist, are unspent and mature.
    let mut spent = Vec::with_capacity(tx.input.len());
    for (index, input) in tx.input.iter().enumerate() {
        let outpoint = input.previous_output;
        let coin = match view.lookup(&outpoint) {
            CoinLookup::Unspent(coin) => coin,
            CoinLookup::Spent { by, in_mempool } => {
                return Err(RejectError::AlreadySpent {
                    index,
                    outpoint,
                    by,
                    in_mempool,
                })
            }
            CoinLookup::Missing => return Err(RejectError::MissingInput { index, outpoint }),
        };
        if coin.is_coinbase && next_height.saturating_sub(coin.height) < COINBASE_MATURITY {
            return Err(RejectError::ImmatureCoinbase {
                index,
                outpoint,
                coinbase_height: coin.height,
                spend_height: next_height,
            });
        }
        spent.push(coin);
    }

    // No value creation.
    let mut inputs_sat: u64 = 0;
    for coin in &spent {
        inputs_sat = inputs_sat
            .checked_add(coin.output.value.to_sat())
            .filter(|t| *t <= Amount::MAX_MONEY.to_sat())
            .ok_or(RejectError::InputTotalTooLarge)?;
    }
    let outputs_sat: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    if outputs_sat > inputs_sat {
        return Err(RejectError::ValueCreation {
            inputs_sat,
            outputs_sat,
        });
    }
    let fee = Amount::from_sat(inputs_sat - outputs_sat);

    check_final(tx, next_height, mtp)?;
    check_sequence_locks(tx, &spent, block_times)?;
    check_scripts(tx, &spent)?;
    Ok(Validated { fee, spent })
}

/// Core's `IsFinalTx` at the block height `next_height` with the BIP113 lock time cutoff
/// `median_time_past` (of the previous block).
pub fn check_final(
    tx: &Transaction,
    next_height: u32,
    median_time_past: u32,
) -> Result<(), RejectError> {
    let locktime = tx.lock_time.to_consensus_u32();
    if locktime == 0 {
        return Ok(());
    }
    let reached = if locktime < LOCKTIME_THRESHOLD {
        locktime < next_height
    } else {
        locktime < median_time_past
    };
    if reached || tx.input.iter().all(|i| i.sequence.0 == SEQUENCE_FINAL) {
        return Ok(());
    }
    if locktime < LOCKTIME_THRESHOLD {
        Err(RejectError::LocktimeHeight {
            locktime,
            next_height,
        })
    } else {
        Err(RejectError::LocktimeTime {
            locktime,
            median_time_past,
        })
    }
}

/// BIP68 relative locktimes (Core's `CalculateSequenceLocks` + `EvaluateSequenceLocks`)
/// for inclusion in the block above `block_times.tip_height()`.
pub fn check_sequence_locks<T: BlockTimes + ?Sized>(
    tx: &Transaction,
    spent: &[Coin],
    block_times: &T,
) -> Result<(), RejectError> {
    if (tx.version.0 as u32) < 2 {
        return Ok(());
    }
    let tip = block_times.tip_height();
    let next_height = tip + 1;
    let mtp = median_time_past_of(block_times, tip);
    for (index, (input, coin)) in tx.input.iter().zip(spent).enumerate() {
        let seq = input.sequence.0;
        if seq & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            continue;
        }
        let confirmed_at = (coin.height < next_height).then_some(coin.height);
        let value = seq & SEQUENCE_LOCKTIME_MASK;
        if seq & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
            let reference_height = coin.height.saturating_sub(1).min(tip);
            let reference_time = median_time_past_of(block_times, reference_height);
            let seconds = value << SEQUENCE_LOCKTIME_GRANULARITY;
            let min_time = i64::from(reference_time) + i64::from(seconds) - 1;
            if min_time >= i64::from(mtp) {
                return Err(RejectError::RelativeTime {
                    index,
                    seconds,
                    confirmed_at,
                    reference_time,
                    median_time_past: mtp,
                });
            }
        } else {
            let min_height = i64::from(coin.height) + i64::from(value) - 1;
            if min_height >= i64::from(next_height) {
                return Err(RejectError::RelativeHeight {
                    index,
                    blocks: value,
                    confirmed_at,
                    tip,
                });
            }
        }
    }
    Ok(())
}

/// Runs Bitcoin Core's interpreter and then the ledger's BIP118 tapscript check on every
/// input. `spent` holds the spent coins in input order.
pub fn check_scripts(tx: &Transaction, spent: &[Coin]) -> Result<(), RejectError> {
    let serialized = bitcoin::consensus::serialize(tx);
    let spent_outputs: Vec<TxOut> = spent.iter().map(|c| c.output.clone()).collect();
    // The Utxo structs point into `spent_outputs`' script buffers, alive until the end.
    let utxos: Vec<bitcoinconsensus::Utxo> = spent_outputs
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    for (index, output) in spent_outputs.iter().enumerate() {
        bitcoinconsensus::verify_with_flags(
            output.script_pubkey.as_bytes(),
            output.value.to_sat(),
            &serialized,
            Some(&utxos),
            index,
            SCRIPT_FLAGS,
        )
        .map_err(|e| RejectError::Script {
            index,
            error: ConsensusErrorName(e).to_string(),
        })?;
        tapscript::check_input(tx, index, &spent_outputs)
            .map_err(|error| RejectError::Tapscript { index, error })?;
    }
    Ok(())
}

struct ConsensusErrorName(bitcoinconsensus::Error);

impl fmt::Display for ConsensusErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{ScriptBuf, Sequence, TxIn, Witness};

    fn anchor() -> ScriptBuf {
        ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73])
    }

    fn outpoint(n: u8) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([n; 32]), 0)
    }

    fn view(height: u32, is_coinbase: bool, sat: u64) -> HashMap<OutPoint, Coin> {
        let mut v = HashMap::new();
        v.insert(
            outpoint(1),
            Coin {
                output: TxOut {
                    value: Amount::from_sat(sat),
                    script_pubkey: anchor(),
                },
                height,
                is_coinbase,
            },
        );
        v
    }

    fn spend(seq: u32, lock: u32, out_sat: u64) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::from_consensus(lock),
            input: vec![TxIn {
                previous_output: outpoint(1),
                script_sig: ScriptBuf::new(),
                sequence: Sequence(seq),
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(out_sat),
                script_pubkey: anchor(),
            }],
        }
    }

    fn times(n: u32) -> Vec<u32> {
        (0..n).map(|h| 1_700_000_000 + 600 * h).collect()
    }

    #[test]
    fn mtp_is_median_of_last_eleven() {
        let t = times(30);
        assert_eq!(median_time_past(&t, 0), t[0]);
        assert_eq!(median_time_past(&t, 3), t[2]);
        assert_eq!(median_time_past(&t, 20), t[15]);
    }

    #[test]
    fn anchor_spend_and_value_rules() {
        let v = view(5, false, 1000);
        let ok = validate_transaction(&spend(0xffff_fffd, 0, 400), &v, &times(10)).unwrap();
        assert_eq!(ok.fee, Amount::from_sat(600));
        let err = validate_transaction(&spend(0xffff_fffd, 0, 1001), &v, &times(10)).unwrap_err();
        assert_eq!(
            err,
            RejectError::ValueCreation {
                inputs_sat: 1000,
                outputs_sat: 1001
            }
        );
        assert_eq!(
            err.to_string(),
            "bad-txns-in-belowout, outputs total 1001 sat exceeds inputs total 1000 sat"
        );
    }

    #[test]
    fn missing_and_duplicate_inputs() {
        let v: HashMap<OutPoint, Coin> = HashMap::new();
        let err = validate_transaction(&spend(0, 0, 1), &v, &times(2)).unwrap_err();
        assert!(matches!(err, RejectError::MissingInput { index: 0, .. }));
        assert!(err
            .to_string()
            .contains("does not exist or is already spent"));
        let mut tx = spend(0, 0, 1);
        tx.input.push(tx.input[0].clone());
        let err = validate_transaction(&tx, &view(1, false, 5), &times(2)).unwrap_err();
        assert!(matches!(
            err,
            RejectError::DuplicateInput {
                index: 1,
                first_index: 0,
                ..
            }
        ));
    }

    #[test]
    fn coinbase_maturity() {
        let v = view(1, true, 1000);
        // Block 100 would be 99 blocks above: immature. Block 101: mature.
        let err = validate_transaction(&spend(0xffff_fffe, 0, 1), &v, &times(100)).unwrap_err();
        assert!(matches!(err, RejectError::ImmatureCoinbase { .. }), "{err}");
        validate_transaction(&spend(0xffff_fffe, 0, 1), &v, &times(101)).unwrap();
    }

    #[test]
    fn absolute_locktimes() {
        let v = view(1, false, 1000);
        let t = times(10); // next block height 10
        let err = validate_transaction(&spend(0xffff_fffe, 10, 1), &v, &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "non-final, absolute locktime of height 10 not reached (next block height 10)"
        );
        validate_transaction(&spend(0xffff_fffe, 9, 1), &v, &t).unwrap();
        // All-final sequences disable the locktime.
        validate_transaction(&spend(0xffff_ffff, 1000, 1), &v, &t).unwrap();
        let mtp = median_time_past(&t, 9);
        let err = validate_transaction(&spend(0xffff_fffe, mtp, 1), &v, &t).unwrap_err();
        assert!(matches!(err, RejectError::LocktimeTime { .. }));
        validate_transaction(&spend(0xffff_fffe, mtp - 1, 1), &v, &t).unwrap();
    }

    #[test]
    fn relative_locktimes() {
        let v = view(5, false, 1000);
        // 10 blocks after height 5: spendable in block 15 (tip 14).
        let err = validate_transaction(&spend(10, 0, 1), &v, &times(14)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "non-BIP68-final, input 0: relative locktime of 10 blocks not reached (confirmed at 5, tip 13)"
        );
        validate_transaction(&spend(10, 0, 1), &v, &times(15)).unwrap();
        // Disable flag.
        validate_transaction(&spend(10 | (1 << 31), 0, 1), &v, &times(6)).unwrap();
        // Version 1 ignores BIP68.
        let mut tx = spend(10, 0, 1);
        tx.version = Version::ONE;
        validate_transaction(&tx, &v, &times(6)).unwrap();
        // Time-based: 2 units = 1024 s; reference MTP(4) = time(2).
        let seq = (1 << 22) | 2;
        let t = times(40);
        let reference = median_time_past(&t, 4);
        let needed = (0..40u32)
            .find(|&tip| median_time_past(&t, tip) > reference + 1023)
            .unwrap();
        let err = validate_transaction(&spend(seq, 0, 1), &v, &t[..needed as usize]).unwrap_err();
        assert!(matches!(
            err,
            RejectError::RelativeTime { seconds: 1024, .. }
        ));
        validate_transaction(&spend(seq, 0, 1), &v, &t[..needed as usize + 1]).unwrap();
    }
}
