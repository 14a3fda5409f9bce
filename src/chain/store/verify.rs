//! Re-validation of the stored chain, as Bitcoin Core does at start (`-checkblocks`: the
//! last blocks at every open) and on request (`verifychain`: every block).
//!
//! The database is not trusted: each block is checked against its header chain and merkle
//! root, each transaction against its txid, and each non-coinbase transaction is validated
//! again by consensus against the outputs as they stood just before it, read from the
//! transactions that created them (not from the `outputs` table). The `outputs` table is
//! then checked against what the transactions say: every output a block's transactions
//! create, every spend they make. A whole-chain verification also counts the rows, so an
//! output or a spend that no transaction accounts for is found too.

use std::cell::RefCell;

use bitcoin::{Amount, BlockHash, OutPoint, Transaction, TxOut, Txid};
use rusqlite::{params, OptionalExtension};

use super::{txid_param, Sql};
use crate::chain::ledger::{block_header, block_subsidy, ChainStore};
use crate::chain::validate::{validate_transaction, BlockTimes, Coin, CoinLookup, UtxoView};
use crate::chain::{Chain, LedgerError};

/// How many blocks up to the tip every open of a ledger re-validates (Bitcoin Core's
/// `-checkblocks` default).
pub const CHECK_BLOCKS: u32 = 6;

/// What a verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The lowest block re-validated.
    pub from_height: u32,
    /// The tip.
    pub to_height: u32,
    /// Transactions re-validated, coinbases included.
    pub transactions: u64,
    /// Whether the whole chain was verified, every row of the `outputs` table accounted for.
    pub whole: bool,
}

/// Where a confirmed transaction stands: (block height, position in the block).
type Place = (u32, u32);

/// What the rows of the tables must add up to after a whole-chain verification.
#[derive(Default)]
struct Counts {
    transactions: u64,
    outputs: u64,
    spends: u64,
}

impl Sql<'_> {
    /// Re-validates the last `depth` blocks up to the tip (every block, genesis included,
    /// with `None`). The first inconsistency is returned as [`LedgerError::Corrupt`].
    pub(super) fn verify_chain(&self, depth: Option<u32>) -> Result<Verification, LedgerError> {
        let tip = self.tip_height()?;
        let from = match depth {
            None => 1,
            Some(d) => tip.saturating_sub(d.saturating_sub(1)).max(1),
        };
        if depth.is_none() {
            let genesis = Chain::new().header(0).expect("genesis exists");
            if self.header(0)? != Some(genesis) {
                return Err(self.corrupt("block 0 is not the ledger's genesis block"));
            }
        }
        let mut counts = Counts::default();
        let mut prev = self.block_hash_at(from - 1)?;
        for height in from..=tip {
            prev = self.verify_block(height, prev, &mut counts)?;
        }
        if depth.is_none() {
            self.check_row_counts(tip, &counts)?;
        }
        Ok(Verification {
            from_height: from.min(tip),
            to_height: tip,
            transactions: counts.transactions,
            whole: depth.is_none(),
        })
    }

    /// Verifies block `height`, whose parent's hash is `prev`; returns its hash.
    fn verify_block(
        &self,
        height: u32,
        prev: BlockHash,
        counts: &mut Counts,
    ) -> Result<BlockHash, LedgerError> {
        let fail = |what: String| self.corrupt(format!("block {height}: {what}"));
        let header = self
            .header(height)?
            .ok_or_else(|| fail("it is missing".into()))?;
        if header.prev_blockhash != prev {
            return Err(fail(format!("it does not build on block {}", height - 1)));
        }
        let rows: Vec<(Vec<u8>, Vec<u8>, i64)> = self
            .conn
            .prepare_cached(
                "SELECT txid, raw, position FROM transactions WHERE height = ?1 ORDER BY position",
            )
            .and_then(|mut s| {
                s.query_map([height], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.db(e))?;
        let mut txs = Vec::with_capacity(rows.len());
        let mut txids = Vec::with_capacity(rows.len());
        for (index, (stored, raw, position)) in rows.into_iter().enumerate() {
            if position != index as i64 {
                return Err(fail(format!(
                    "transaction positions skip from {} to {position}",
                    index as i64 - 1
                )));
            }
            let tx = self.decode_tx(&raw)?;
            let txid = tx.compute_txid();
            let stored = self.txid(stored)?;
            if txid != stored {
                return Err(fail(format!(
                    "transaction {stored} is stored with the bytes of {txid}"
                )));
            }
            txs.push(tx);
            txids.push(txid);
        }
        if block_header(prev, header.time, &txids).merkle_root != header.merkle_root {
            return Err(fail("its transactions do not match its merkle root".into()));
        }
        let Some((coinbase, rest)) = txs.split_first().filter(|(c, _)| c.is_coinbase()) else {
            return Err(fail("it does not start with a coinbase".into()));
        };
        let mut fees = Amount::ZERO;
        for (position, tx) in (1u32..).zip(rest) {
            let txid = txids[position as usize];
            if tx.is_coinbase() {
                return Err(fail(format!("transaction {txid} is a second coinbase")));
            }
            let before = Before {
                sql: self,
                place: (height, position),
                error: RefCell::new(None),
            };
            let verdict = validate_transaction(tx, &before, &before);
            if let Some(e) = before.error.into_inner() {
                return Err(e);
            }
            fees += verdict
                .map_err(|e| fail(format!("transaction {txid} is invalid: {e}")))?
                .fee;
            for input in &tx.input {
                let o = input.previous_output;
                if self.confirmed_spender(&o)? != Some(txid) {
                    return Err(fail(format!(
                        "the outputs table does not record that {txid} spends {o}"
                    )));
                }
            }
            counts.spends += tx.input.len() as u64;
        }
        let claimed: Amount = coinbase.output.iter().map(|o| o.value).sum();
        if claimed > block_subsidy(height) + fees {
            return Err(fail(format!(
                "the coinbase claims {} sat, more than the subsidy and fees ({} sat)",
                claimed.to_sat(),
                (block_subsidy(height) + fees).to_sat()
            )));
        }
        for (position, (tx, txid)) in txs.iter().zip(&txids).enumerate() {
            counts.outputs += self.check_outputs(tx, *txid, height, position == 0)?;
        }
        counts.transactions += txs.len() as u64;
        Ok(header.block_hash())
    }

    /// Checks that the `outputs` table holds the outputs `tx` (confirmed at `height`)
    /// creates, as it creates them; returns how many rows that is.
    fn check_outputs(
        &self,
        tx: &Transaction,
        txid: Txid,
        height: u32,
        is_coinbase: bool,
    ) -> Result<u64, LedgerError> {
        let mut rows = 0;
        for (vout, output) in (0u32..).zip(&tx.output) {
            if output.script_pubkey.is_op_return() {
                continue;
            }
            let o = OutPoint::new(txid, vout);
            let row: Option<(i64, Vec<u8>, i64, bool)> = self
                .conn
                .prepare_cached(
                    "SELECT value, script_pubkey, height, coinbase FROM outputs \
                     WHERE txid = ?1 AND vout = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![txid_param(&txid), vout], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                })
                .map_err(|e| self.db(e))?;
            let expected = (
                output.value.to_sat() as i64,
                output.script_pubkey.as_bytes(),
                i64::from(height),
                is_coinbase,
            );
            match row {
                Some((value, script, h, cb)) if (value, script.as_slice(), h, cb) == expected => {}
                Some(_) => {
                    return Err(self.corrupt(format!(
                        "the outputs table's {o} differs from its transaction"
                    )))
                }
                None => {
                    return Err(self.corrupt(format!("the outputs table lacks {o}")));
                }
            }
            rows += 1;
        }
        Ok(rows)
    }

    /// After every block was verified: no row is left that no transaction accounts for.
    fn check_row_counts(&self, tip: u32, counts: &Counts) -> Result<(), LedgerError> {
        let count = |sql: &str| -> Result<u64, LedgerError> {
            let n: Option<i64> = self.row(sql, ())?;
            Ok(n.unwrap_or(0) as u64)
        };
        let found = [
            (
                "blocks",
                count("SELECT COUNT(*) FROM blocks")?,
                u64::from(tip) + 1,
            ),
            (
                "confirmed transactions",
                count("SELECT COUNT(*) FROM transactions WHERE height IS NOT NULL")?,
                counts.transactions,
            ),
            (
                "outputs",
                count("SELECT COUNT(*) FROM outputs")?,
                counts.outputs,
            ),
            (
                "spent outputs",
                count("SELECT COUNT(*) FROM outputs WHERE spent_by IS NOT NULL")?,
                counts.spends,
            ),
        ];
        for (what, rows, expected) in found {
            if rows != expected {
                return Err(self.corrupt(format!(
                    "the database holds {rows} {what}, the blocks account for {expected}"
                )));
            }
        }
        Ok(())
    }

    /// A confirmed transaction, checked against its txid, and where it stands.
    fn confirmed_tx(&self, txid: &Txid) -> Result<Option<(Transaction, Place)>, LedgerError> {
        let row: Option<(Vec<u8>, i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT raw, height, position FROM transactions \
                 WHERE txid = ?1 AND height IS NOT NULL",
            )
            .and_then(|mut s| {
                s.query_row([txid_param(txid)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        let Some((raw, height, position)) = row else {
            return Ok(None);
        };
        let tx = self.decode_tx(&raw)?;
        if tx.compute_txid() != *txid {
            return Err(self.corrupt(format!(
                "transaction {txid} is stored with the bytes of {}",
                tx.compute_txid()
            )));
        }
        let place = (
            self.u32_col(height, "height")?,
            self.u32_col(position, "position")?,
        );
        Ok(Some((tx, place)))
    }

    /// Where a confirmed transaction stands.
    fn place(&self, txid: &Txid) -> Result<Option<Place>, LedgerError> {
        let row: Option<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT height, position FROM transactions WHERE txid = ?1 AND height IS NOT NULL",
            )
            .and_then(|mut s| {
                s.query_row([txid_param(txid)], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        row.map(|(h, p)| Ok((self.u32_col(h, "height")?, self.u32_col(p, "position")?)))
            .transpose()
    }
}

/// The chain as it stood just before the transaction at `place`: the outputs of the
/// transactions before it that none of them spent, and the blocks below its block.
struct Before<'a, 'c> {
    sql: &'a Sql<'c>,
    place: Place,
    error: RefCell<Option<LedgerError>>,
}

impl Before<'_, '_> {
    fn try_lookup(&self, o: &OutPoint) -> Result<CoinLookup, LedgerError> {
        let Some((creator, at)) = self.sql.confirmed_tx(&o.txid)? else {
            return Ok(CoinLookup::Missing);
        };
        let Some(output) = creator
            .output
            .get(o.vout as usize)
            .filter(|_| at < self.place)
        else {
            return Ok(CoinLookup::Missing);
        };
        if let Some(by) = self.spender(o, output)? {
            if self.sql.place(&by)?.is_some_and(|p| p < self.place) {
                return Ok(CoinLookup::Spent {
                    by,
                    in_mempool: false,
                });
            }
        }
        Ok(CoinLookup::Unspent(Coin {
            output: output.clone(),
            height: at.0,
            is_coinbase: at.1 == 0,
        }))
    }

    /// What the `outputs` table says spent `o` (whose transaction creates `output`).
    fn spender(&self, o: &OutPoint, output: &TxOut) -> Result<Option<Txid>, LedgerError> {
        if output.script_pubkey.is_op_return() {
            return Ok(None);
        }
        let row: Option<Option<Vec<u8>>> = self.sql.row(
            "SELECT spent_by FROM outputs WHERE txid = ?1 AND vout = ?2",
            params![txid_param(&o.txid), o.vout],
        )?;
        let by = row.ok_or_else(|| self.sql.corrupt(format!("the outputs table lacks {o}")))?;
        by.map(|b| self.sql.txid(b)).transpose()
    }

    fn keep<T>(&self, result: Result<T, LedgerError>, fallback: T) -> T {
        result.unwrap_or_else(|e| {
            self.error.borrow_mut().get_or_insert(e);
            fallback
        })
    }
}

impl UtxoView for Before<'_, '_> {
    fn lookup(&self, outpoint: &OutPoint) -> CoinLookup {
        self.keep(self.try_lookup(outpoint), CoinLookup::Missing)
    }
}

impl BlockTimes for Before<'_, '_> {
    fn tip_height(&self) -> u32 {
        self.place.0 - 1
    }

    fn time_at(&self, height: u32) -> u32 {
        self.keep(self.sql.block_time(height), 0)
    }
}
