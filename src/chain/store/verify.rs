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
use std::collections::HashMap;
use std::sync::OnceLock;

use bitcoin::{Amount, BlockHash, OutPoint, Transaction, TxOut, Txid};
use rusqlite::{params, OptionalExtension};

use super::{generation_triggers, txid_param, Sql, MEMPOOL_ENTRIES, SCHEMA};
use crate::chain::ledger::{block_header, block_time, check_coinbase, ChainStore};
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

/// A row of `sqlite_master`: type, name, table, SQL.
/// A row of `sqlite_master`: type, name, table, SQL.
pub(super) type SchemaRow = (String, String, String, Option<String>);

/// What this build makes: the schema of a new ledger, read back as `sqlite_master` rows.
pub(super) fn expected_schema() -> &'static [SchemaRow] {
    static EXPECTED: OnceLock<Vec<SchemaRow>> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let conn = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        conn.execute_batch(SCHEMA)
            .and_then(|()| conn.execute_batch(MEMPOOL_ENTRIES))
            .and_then(|()| conn.execute_batch(&generation_triggers()))
            .expect("the schema is valid");
        schema_rows(&conn).expect("the schema reads back")
    })
}

pub(super) fn schema_rows(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<SchemaRow>> {
    conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect()
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

/// The txids of the blocks checked so far (against their merkle roots), by height.
type Known = RefCell<HashMap<u32, Vec<Txid>>>;

impl Sql<'_> {
    /// Re-validates the last `depth` blocks up to the tip (every block, genesis included,
    /// with `None`). The first inconsistency is returned as [`LedgerError::Corrupt`].
    pub(super) fn verify_chain(&self, depth: Option<u32>) -> Result<Verification, LedgerError> {
        self.check_schema()?;
        if depth.is_none() {
            self.check_integrity()?;
        }
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
        let known = Known::default();
        let mut prev = self.block_hash_at(from - 1)?;
        for height in from..=tip {
            prev = self.verify_block(height, prev, &known, &mut counts)?;
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

    /// The tables, indexes and triggers are exactly the ones this build makes (the only
    /// triggers count `generation`): no trigger, view or index of someone else's, no index
    /// redefined to leave rows out of it.
    fn check_schema(&self) -> Result<(), LedgerError> {
        let expected = expected_schema();
        let found = schema_rows(self.conn).map_err(|e| self.db(e))?;
        if found != expected {
            let odd = found
                .iter()
                .find(|r| !expected.contains(r))
                .or_else(|| expected.iter().find(|r| !found.contains(r)))
                .map_or_else(String::new, |r| format!(" ({} {})", r.0, r.1));
            return Err(self.corrupt(format!("its schema is not the one asyncpay makes{odd}")));
        }
        Ok(())
    }

    /// SQLite's own check that every index holds exactly its table's rows.
    fn check_integrity(&self) -> Result<(), LedgerError> {
        let problems: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>())
            .map_err(|e| self.db(e))?;
        if problems != ["ok"] {
            return Err(self.corrupt(format!("SQLite's integrity check: {}", problems.join("; "))));
        }
        Ok(())
    }

    /// Verifies block `height`, whose parent's hash is `prev`; returns its hash.
    fn verify_block(
        &self,
        height: u32,
        prev: BlockHash,
        known: &Known,
        counts: &mut Counts,
    ) -> Result<BlockHash, LedgerError> {
        let fail = |what: String| self.corrupt(format!("block {height}: {what}"));
        let header = self
            .header(height)?
            .ok_or_else(|| fail("it is missing".into()))?;
        if header.prev_blockhash != prev {
            return Err(fail(format!("it does not build on block {}", height - 1)));
        }
        if header.time != block_time(height) {
            return Err(fail(format!(
                "its time {} is not the ledger's clock ({})",
                header.time,
                block_time(height)
            )));
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
            check_position(index, position).map_err(&fail)?;
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
        known.borrow_mut().insert(height, txids.clone());
        let Some((coinbase, rest)) = txs.split_first().filter(|(c, _)| c.is_coinbase()) else {
            return Err(fail("it does not start with a coinbase".into()));
        };
        let mut fees = Some(Amount::ZERO);
        for (position, tx) in (1u32..).zip(rest) {
            let txid = txids[position as usize];
            if tx.is_coinbase() {
                return Err(fail(format!("transaction {txid} is a second coinbase")));
            }
            let before = Before {
                sql: self,
                place: (height, position),
                known,
                error: RefCell::new(None),
            };
            let verdict = validate_transaction(tx, &before, &before);
            if let Some(e) = before.error.into_inner() {
                return Err(e);
            }
            let fee = verdict
                .map_err(|e| fail(format!("transaction {txid} is invalid: {e}")))?
                .fee;
            fees = fees.and_then(|f| f.checked_add(fee));
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
        check_coinbase(height, coinbase, fees).map_err(fail)?;
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
        Ok(self
            .stored_tx(txid)?
            .and_then(|(tx, height, position)| Some((tx, (height?, position)))))
    }

    /// [`Sql::check_in_block`] for one transaction a reader is told is confirmed.
    pub(super) fn check_confirmed(
        &self,
        txid: &Txid,
        height: u32,
        position: u32,
    ) -> Result<(), LedgerError> {
        self.check_in_block(txid, (height, position), &Known::default())
    }

    /// Checks that `txid` is transaction `position` of block `height` as its header says:
    /// the block's stored txids (read once per block) hash to its merkle root, and its
    /// header's hash is what the next block builds on. A row placed in an old block thus
    /// means rewriting that block's header and the next one's.
    fn check_in_block(
        &self,
        txid: &Txid,
        (height, position): Place,
        known: &Known,
    ) -> Result<(), LedgerError> {
        let fail = |what: String| self.corrupt(format!("block {height}: {what}"));
        if !known.borrow().contains_key(&height) {
            let header = self
                .header(height)?
                .ok_or_else(|| fail("it is missing".into()))?;
            let rows: Vec<(Vec<u8>, i64)> = self
                .conn
                .prepare_cached(
                    "SELECT txid, position FROM transactions WHERE height = ?1 ORDER BY position",
                )
                .and_then(|mut s| {
                    s.query_map([height], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()
                })
                .map_err(|e| self.db(e))?;
            let mut txids = Vec::with_capacity(rows.len());
            for (index, (stored, at)) in rows.into_iter().enumerate() {
                check_position(index, at).map_err(&fail)?;
                txids.push(self.txid(stored)?);
            }
            if block_header(header.prev_blockhash, header.time, &txids).merkle_root
                != header.merkle_root
            {
                return Err(fail("its transactions do not match its merkle root".into()));
            }
            if let Some(next) = self.header(height + 1)? {
                if next.prev_blockhash != header.block_hash() {
                    return Err(fail(format!("block {} does not build on it", height + 1)));
                }
            }
            known.borrow_mut().insert(height, txids);
        }
        if known.borrow()[&height].get(position as usize) != Some(txid) {
            return Err(fail(format!(
                "transaction {txid} is not at position {position}, where its row says it is"
            )));
        }
        Ok(())
    }

    /// Where a confirmed transaction stands.
    fn place(&self, txid: &Txid) -> Result<Option<Place>, LedgerError> {
        Ok(self.confirmed_tx(txid)?.map(|(_, place)| place))
    }
}

/// The chain as it stood just before the transaction at `place`: the outputs of the
/// transactions before it that none of them spent, and the blocks below its block.
struct Before<'a, 'c> {
    sql: &'a Sql<'c>,
    place: Place,
    known: &'a Known,
    error: RefCell<Option<LedgerError>>,
}

/// Positions in a block run 0, 1, 2, …: `position` must be the `index`-th.
fn check_position(index: usize, position: i64) -> Result<(), String> {
    if position == index as i64 {
        return Ok(());
    }
    Err(format!(
        "transaction positions skip from {} to {position}",
        index as i64 - 1
    ))
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
        self.sql.check_in_block(&o.txid, at, self.known)?;
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
            is_coinbase: creator.is_coinbase(),
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
        // Times below the checked blocks are not read from the database: the ledger's clock
        // is fixed, and locktimes must not depend on rows an open does not check.
        block_time(height)
    }
}
