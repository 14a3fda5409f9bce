//! Persistence: the [`Ledger`] handle on a directory holding the chain in a SQLite database.
//!
//! Layout of a ledger directory:
//! - `ledger.sqlite`: the database, in WAL mode (so `ledger.sqlite-wal` and
//!   `ledger.sqlite-shm` exist while a process uses it: copy a ledger with
//!   [`Ledger::copy_to`], not by copying files, and reset one by deleting all three files or
//!   the directory). Its schema version is
//!   `PRAGMA user_version` ([`SCHEMA_VERSION`]); a newer one is refused. Tables:
//!   - `blocks(height, hash, prev_hash, merkle_root, time, version, bits, nonce)`: every block
//!     header, genesis at height 0;
//!   - `transactions(txid, raw, height, position)`: every confirmed transaction (consensus
//!     bytes, the height of its block and its index in it, the coinbase being 0) and every
//!     mempool transaction (`height` NULL, `position` its order of acceptance);
//!   - `outputs(txid, vout, value, script_pubkey, height, coinbase, spent_by)`: the outputs
//!     of confirmed transactions (OP_RETURN ones excepted), `spent_by` the confirmed
//!     transaction that spent it (NULL: unspent); the unspent ones are indexed by script;
//!   - `mempool_spends(txid, vout, spender)`: the outpoints mempool transactions spend;
//!   - `mempool_entries(txid, height, to_miner)`: when each mempool transaction entered (the
//!     tip's height) and whether it was handed to a miner (mined whatever it pays); added
//!     to databases made before it at their next open, a transaction without a row being
//!     taken as handed to a miner;
//!   - `meta(key, value)`: `imported_from` = `state.json` if the ledger was migrated;
//!     `generation`, random at creation and counted up by triggers with every row written
//!     to the tables above (see [`Ledger::change_token`]).
//! - `state.json.migrated`: the JSON state file of earlier builds (version 1, see
//!   [`decode_state`]). A `state.json` found when the database does not exist yet is
//!   imported into it, then renamed so. A `lock` file of those versions is no longer used.
//!
//! Every operation opens the database and runs in one SQLite transaction: reads in one
//! snapshot, writes (submit, mine, fund) in one `BEGIN IMMEDIATE` transaction committed with
//! `synchronous=FULL`, so concurrent processes are serialized (a busy timeout makes them
//! wait) and a crash leaves either the old or the new state. Each query is an index lookup,
//! so an operation's cost does not grow with the chain (only with its own result).

use std::cell::RefCell;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::consensus::encode::{deserialize, deserialize_hex, serialize, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{
    Address, Amount, BlockHash, CompactTarget, OutPoint, Script, ScriptBuf, Transaction,
    TxMerkleNode, TxOut, Txid,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::ledger::{
    store_expire, store_fund, store_mine, store_tip, store_validate, BlockInfo, Chain, ChainStore,
    Tip, TxInfo, Utxo,
};
use super::policy::{
    store_check, store_mempool_entry, store_submit, store_submit_package, store_submit_to_miner,
};
use super::validate::RejectError;
use super::LedgerError;

mod verify;
pub use verify::{Verification, CHECK_BLOCKS};

/// The version of the old JSON state file ([`decode_state`]), imported on first open.
pub const STATE_VERSION: u64 = 1;
/// Name of the old JSON state file inside the ledger directory.
pub const STATE_FILE: &str = "state.json";
/// What [`STATE_FILE`] is renamed to once imported.
pub const MIGRATED_STATE_FILE: &str = "state.json.migrated";
/// The database schema version this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = 1;
/// Name of the database inside the ledger directory.
pub const DATABASE_FILE: &str = "ledger.sqlite";
/// How long an operation waits for another process's write to finish before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(300);

const SCHEMA: &str = "
CREATE TABLE blocks (
    height INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    prev_hash BLOB NOT NULL,
    merkle_root BLOB NOT NULL,
    time INTEGER NOT NULL,
    version INTEGER NOT NULL,
    bits INTEGER NOT NULL,
    nonce INTEGER NOT NULL
);
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    txid BLOB NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    height INTEGER,
    position INTEGER NOT NULL
);
CREATE INDEX transactions_by_block ON transactions (height, position);
CREATE TABLE outputs (
    txid BLOB NOT NULL,
    vout INTEGER NOT NULL,
    value INTEGER NOT NULL,
    script_pubkey BLOB NOT NULL,
    height INTEGER NOT NULL,
    coinbase INTEGER NOT NULL,
    spent_by BLOB,
    PRIMARY KEY (txid, vout)
) WITHOUT ROWID;
CREATE INDEX unspent_by_script ON outputs (script_pubkey, height, txid, vout, value, coinbase)
    WHERE spent_by IS NULL;
CREATE INDEX outputs_by_spender ON outputs (spent_by) WHERE spent_by IS NOT NULL;
CREATE TABLE mempool_spends (
    txid BLOB NOT NULL,
    vout INTEGER NOT NULL,
    spender BLOB NOT NULL,
    PRIMARY KEY (txid, vout)
) WITHOUT ROWID;
CREATE INDEX mempool_spends_by_spender ON mempool_spends (spender);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// The table of mempool entries, which databases made before it lack until their next open.
const MEMPOOL_ENTRIES: &str = "
CREATE TABLE IF NOT EXISTS mempool_entries (
    txid BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    to_miner INTEGER NOT NULL
) WITHOUT ROWID;";

#[derive(Deserialize)]
struct VersionProbe {
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u64,
    blocks: Vec<StoredBlock>,
    mempool: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    height: u32,
    time: u32,
    hash: String,
    txs: Vec<String>,
}

fn io_err(path: &Path, source: std::io::Error) -> LedgerError {
    LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Serializes a chain to the old state file's JSON bytes (version 1; for tests and fuzzing:
/// the ledger itself no longer writes it).
pub fn encode_state(chain: &Chain) -> Vec<u8> {
    let state = StateFile {
        version: STATE_VERSION,
        blocks: chain
            .blocks()
            .iter()
            .map(|b| StoredBlock {
                height: b.height,
                time: b.time,
                hash: b.hash.to_string(),
                txs: chain
                    .block_transactions(b.height)
                    .into_iter()
                    .map(serialize_hex)
                    .collect(),
            })
            .collect(),
        mempool: chain.mempool().iter().map(serialize_hex).collect(),
    };
    serde_json::to_vec(&state).expect("state serializes")
}

/// Parses the old state file's JSON bytes (`path` only names the file in errors), checking
/// heights and block hashes.
pub fn decode_state(bytes: &[u8], path: &Path) -> Result<Chain, LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let probe: VersionProbe =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("no version field: {e}")))?;
    if probe.version != STATE_VERSION {
        return Err(LedgerError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: probe.version,
            supported: STATE_VERSION,
        });
    }
    let state: StateFile = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let parse_tx = |hex: &str| {
        deserialize_hex::<Transaction>(hex).map_err(|e| corrupt(format!("bad transaction: {e}")))
    };
    let mut blocks = Vec::with_capacity(state.blocks.len());
    for b in state.blocks {
        let hash: BlockHash = b
            .hash
            .parse()
            .map_err(|e| corrupt(format!("bad block hash {}: {e}", b.hash)))?;
        let txs = b
            .txs
            .iter()
            .map(|t| parse_tx(t))
            .collect::<Result<Vec<_>, _>>()?;
        blocks.push((b.height, b.time, hash, txs));
    }
    let mempool = state
        .mempool
        .iter()
        .map(|t| parse_tx(t))
        .collect::<Result<Vec<_>, _>>()?;
    Chain::from_parts(blocks, mempool).map_err(corrupt)
}

/// The chain in an open database transaction (or a plain connection while importing).
struct Sql<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

fn txid_param(txid: &Txid) -> &[u8] {
    txid.as_byte_array()
}

impl Sql<'_> {
    fn db(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Database {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> LedgerError {
        LedgerError::Corrupt {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// SQLite's `PRAGMA data_version`: it moves when another connection commits.
    fn data_version(&self) -> Result<i64, LedgerError> {
        data_version(self.conn).map_err(|e| self.db(e))
    }

    fn hash32(&self, bytes: Vec<u8>, what: &str) -> Result<[u8; 32], LedgerError> {
        bytes
            .try_into()
            .map_err(|b: Vec<u8>| self.corrupt(format!("{what} of {} bytes", b.len())))
    }

    fn txid(&self, bytes: Vec<u8>) -> Result<Txid, LedgerError> {
        Ok(Txid::from_byte_array(self.hash32(bytes, "txid")?))
    }

    fn decode_tx(&self, raw: &[u8]) -> Result<Transaction, LedgerError> {
        deserialize(raw).map_err(|e| self.corrupt(format!("bad transaction: {e}")))
    }

    fn u32_col(&self, value: i64, what: &str) -> Result<u32, LedgerError> {
        u32::try_from(value).map_err(|_| self.corrupt(format!("{what} {value} out of range")))
    }

    /// The one column of the one row `sql` selects with `params`, if there is a row (the
    /// statement is prepared once per connection).
    fn row<T: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<T>, LedgerError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params, |r| r.get(0)).optional())
            .map_err(|e| self.db(e))
    }

    /// The confirmation height of a known transaction: `Some(None)` in the mempool.
    fn tx_height(&self, txid: &Txid) -> Result<Option<Option<u32>>, LedgerError> {
        let row: Option<Option<i64>> = self.row(
            "SELECT height FROM transactions WHERE txid = ?1",
            [txid_param(txid)],
        )?;
        row.map(|h| h.map(|h| self.u32_col(h, "height")).transpose())
            .transpose()
    }

    /// A stored transaction, its bytes checked against its txid, with its block height
    /// (`None`: in the mempool) and its position (in the block, or of acceptance).
    fn stored_tx(
        &self,
        txid: &Txid,
    ) -> Result<Option<(Transaction, Option<u32>, u32)>, LedgerError> {
        let row: Option<(Vec<u8>, Option<i64>, i64)> = self
            .conn
            .prepare_cached("SELECT raw, height, position FROM transactions WHERE txid = ?1")
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
        let height = height.map(|h| self.u32_col(h, "height")).transpose()?;
        Ok(Some((tx, height, self.u32_col(position, "position")?)))
    }

    /// A known transaction, checked against its txid, and a confirmed one against its
    /// block (a watcher acts on what this says).
    fn tx(&self, txid: &Txid) -> Result<Option<TxInfo>, LedgerError> {
        let Some((tx, height, position)) = self.stored_tx(txid)? else {
            return Ok(None);
        };
        if let Some(h) = height {
            self.check_confirmed(txid, h, position)?;
        }
        Ok(Some(TxInfo {
            tx,
            confirmation_height: height,
        }))
    }

    /// The transaction spending `outpoint` (confirmed, else in the mempool), checked to
    /// spend it: a watcher acts on what this returns.
    fn spending_tx(&self, outpoint: &OutPoint) -> Result<Option<TxInfo>, LedgerError> {
        let spender = match self.confirmed_spender(outpoint)? {
            Some(t) => Some(t),
            None => self.mempool_spender(outpoint)?,
        };
        let Some(info) = spender.map(|txid| self.tx(&txid)).transpose()?.flatten() else {
            return Ok(None);
        };
        if !info.tx.input.iter().any(|i| i.previous_output == *outpoint) {
            return Err(self.corrupt(format!(
                "{} is recorded as spending {outpoint} but does not",
                info.tx.compute_txid()
            )));
        }
        Ok(Some(info))
    }

    fn output(&self, outpoint: &OutPoint) -> Result<Option<TxOut>, LedgerError> {
        Ok(self
            .tx(&outpoint.txid)?
            .and_then(|t| t.tx.output.get(outpoint.vout as usize).cloned()))
    }

    /// Transactions in the mempool (`height` None) or in a block, in order.
    fn txs_at(&self, height: Option<u32>) -> Result<Vec<Transaction>, LedgerError> {
        let raws: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT raw FROM transactions WHERE height IS ?1 ORDER BY position")
            .and_then(|mut s| {
                s.query_map([height], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.db(e))?;
        raws.iter().map(|r| self.decode_tx(r)).collect()
    }

    fn mempool(&self) -> Result<Vec<Transaction>, LedgerError> {
        self.txs_at(None)
    }

    fn utxos_for_script(&self, script: &Script) -> Result<Vec<(OutPoint, Utxo)>, LedgerError> {
        let mut all = Vec::new();
        self.scan_unspent_for_script(script, &mut |o, u| {
            all.push((o, u));
            Ok(true)
        })?;
        Ok(all)
    }

    fn value_at(&self, script: &Script) -> Result<Amount, LedgerError> {
        let values: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT value FROM outputs WHERE script_pubkey = ?1 AND spent_by IS NULL",
            )
            .and_then(|mut s| {
                s.query_map([script.as_bytes()], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.db(e))?;
        let mut total = Amount::ZERO;
        for v in values {
            let v = u64::try_from(v).map_err(|_| self.corrupt(format!("output value {v}")))?;
            total = total
                .checked_add(Amount::from_sat(v))
                .ok_or_else(|| self.corrupt("output values overflow"))?;
        }
        Ok(total)
    }

    fn header(&self, height: u32) -> Result<Option<Header>, LedgerError> {
        type Row = (Vec<u8>, Vec<u8>, Vec<u8>, i64, i64, i64, i64);
        let row: Option<Row> = self
            .conn
            .prepare_cached(
                "SELECT hash, prev_hash, merkle_root, time, version, bits, nonce \
                 FROM blocks WHERE height = ?1",
            )
            .and_then(|mut s| {
                s.query_row([height], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        let Some((hash, prev, merkle, time, version, bits, nonce)) = row else {
            return Ok(None);
        };
        let header = Header {
            version: BlockVersion::from_consensus(
                i32::try_from(version).map_err(|_| self.corrupt("block version"))?,
            ),
            prev_blockhash: BlockHash::from_byte_array(self.hash32(prev, "previous hash")?),
            merkle_root: TxMerkleNode::from_byte_array(self.hash32(merkle, "merkle root")?),
            time: self.u32_col(time, "block time")?,
            bits: CompactTarget::from_consensus(self.u32_col(bits, "block bits")?),
            nonce: self.u32_col(nonce, "block nonce")?,
        };
        let hash = BlockHash::from_byte_array(self.hash32(hash, "block hash")?);
        if header.block_hash() != hash {
            return Err(self.corrupt(format!(
                "block {height}: the stored header does not hash to {hash}"
            )));
        }
        Ok(Some(header))
    }

    fn block(&self, height: u32) -> Result<Option<BlockInfo>, LedgerError> {
        let Some(header) = self.header(height)? else {
            return Ok(None);
        };
        let txids: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT txid FROM transactions WHERE height = ?1 ORDER BY position")
            .and_then(|mut s| {
                s.query_map([height], |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.db(e))?;
        Ok(Some(BlockInfo {
            height,
            time: header.time,
            hash: header.block_hash(),
            txids: txids
                .into_iter()
                .map(|t| self.txid(t))
                .collect::<Result<_, _>>()?,
        }))
    }

    fn full_block(&self, height: u32) -> Result<Option<bitcoin::Block>, LedgerError> {
        let Some(header) = self.header(height)? else {
            return Ok(None);
        };
        Ok(Some(bitcoin::Block {
            header,
            txdata: self.txs_at(Some(height))?,
        }))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [key, value],
            )
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))
    }

    /// Writes a whole in-memory chain into empty tables (the migration from `state.json`).
    fn import(&mut self, chain: &Chain) -> Result<(), LedgerError> {
        for info in chain.blocks() {
            for (position, tx) in chain
                .block_transactions(info.height)
                .into_iter()
                .enumerate()
            {
                self.connect_tx(tx, tx.compute_txid(), info.height, position as u32)?;
            }
            let header = chain.header(info.height).expect("the block exists");
            self.push_block(&header, info.clone())?;
        }
        for tx in chain.mempool() {
            self.mempool_add(tx.compute_txid(), tx)?;
        }
        Ok(())
    }
}

impl ChainStore for Sql<'_> {
    fn tip_height(&self) -> Result<u32, LedgerError> {
        let height: Option<i64> = self
            .conn
            .prepare_cached("SELECT MAX(height) FROM blocks")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(|e| self.db(e))?;
        let height = height.ok_or_else(|| self.corrupt("no genesis block"))?;
        self.u32_col(height, "height")
    }

    fn block_time(&self, height: u32) -> Result<u32, LedgerError> {
        let time: Option<i64> = self.row("SELECT time FROM blocks WHERE height = ?1", [height])?;
        let time = time.ok_or_else(|| self.corrupt(format!("block {height} is missing")))?;
        self.u32_col(time, "block time")
    }

    fn block_hash_at(&self, height: u32) -> Result<BlockHash, LedgerError> {
        let hash: Option<Vec<u8>> =
            self.row("SELECT hash FROM blocks WHERE height = ?1", [height])?;
        let hash = hash.ok_or_else(|| self.corrupt(format!("block {height} is missing")))?;
        Ok(BlockHash::from_byte_array(self.hash32(hash, "block hash")?))
    }

    fn is_confirmed(&self, txid: &Txid) -> Result<bool, LedgerError> {
        Ok(matches!(self.tx_height(txid)?, Some(Some(_))))
    }

    fn in_mempool(&self, txid: &Txid) -> Result<bool, LedgerError> {
        Ok(matches!(self.tx_height(txid)?, Some(None)))
    }

    fn unspent(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError> {
        let row: Option<(i64, Vec<u8>, i64, bool)> = self
            .conn
            .prepare_cached(
                "SELECT value, script_pubkey, height, coinbase FROM outputs \
                 WHERE txid = ?1 AND vout = ?2 AND spent_by IS NULL",
            )
            .and_then(|mut s| {
                s.query_row(params![txid_param(&outpoint.txid), outpoint.vout], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        row.map(|(value, script, height, is_coinbase)| {
            Ok(Utxo {
                output: TxOut {
                    value: Amount::from_sat(
                        u64::try_from(value)
                            .map_err(|_| self.corrupt(format!("output value {value}")))?,
                    ),
                    script_pubkey: ScriptBuf::from_bytes(script),
                },
                height: self.u32_col(height, "height")?,
                is_coinbase,
            })
        })
        .transpose()
    }

    fn confirmed_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        let by: Option<Vec<u8>> = self.row(
            "SELECT spent_by FROM outputs WHERE txid = ?1 AND vout = ?2 AND spent_by IS NOT NULL",
            params![txid_param(&outpoint.txid), outpoint.vout],
        )?;
        by.map(|b| self.txid(b)).transpose()
    }

    fn mempool_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        let by: Option<Vec<u8>> = self.row(
            "SELECT spender FROM mempool_spends WHERE txid = ?1 AND vout = ?2",
            params![txid_param(&outpoint.txid), outpoint.vout],
        )?;
        by.map(|b| self.txid(b)).transpose()
    }

    fn mempool_tx(&self, txid: &Txid) -> Result<Option<Transaction>, LedgerError> {
        let raw: Option<Vec<u8>> = self.row(
            "SELECT raw FROM transactions WHERE txid = ?1 AND height IS NULL",
            [txid_param(txid)],
        )?;
        raw.map(|raw| self.decode_tx(&raw)).transpose()
    }

    fn scan_unspent_for_script(
        &self,
        script: &Script,
        f: &mut dyn FnMut(OutPoint, Utxo) -> Result<bool, LedgerError>,
    ) -> Result<(), LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT txid, vout, value, height, coinbase FROM outputs \
                 WHERE script_pubkey = ?1 AND spent_by IS NULL \
                 ORDER BY height, txid, vout",
            )
            .map_err(|e| self.db(e))?;
        let mut rows = stmt.query([script.as_bytes()]).map_err(|e| self.db(e))?;
        while let Some(row) = rows.next().map_err(|e| self.db(e))? {
            let (txid, vout, value, height, is_coinbase): (Vec<u8>, u32, i64, i64, bool) = (|| {
                Ok::<_, rusqlite::Error>((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })(
            )
            .map_err(|e| self.db(e))?;
            let utxo = Utxo {
                output: TxOut {
                    value: Amount::from_sat(
                        u64::try_from(value)
                            .map_err(|_| self.corrupt(format!("output value {value}")))?,
                    ),
                    script_pubkey: script.to_owned(),
                },
                height: self.u32_col(height, "height")?,
                is_coinbase,
            };
            if !f(OutPoint::new(self.txid(txid)?, vout), utxo)? {
                break;
            }
        }
        Ok(())
    }

    fn mempool_add(&mut self, txid: Txid, tx: &Transaction) -> Result<(), LedgerError> {
        let conn = self.conn;
        (|| -> rusqlite::Result<()> {
            let next: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM transactions WHERE height IS NULL",
                )?
                .query_row([], |r| r.get(0))?;
            conn.prepare_cached(
                "INSERT INTO transactions (txid, raw, height, position) VALUES (?1, ?2, NULL, ?3)",
            )?
            .execute(params![txid_param(&txid), serialize(tx), next])?;
            let mut spend = conn.prepare_cached(
                "INSERT OR REPLACE INTO mempool_spends (txid, vout, spender) VALUES (?1, ?2, ?3)",
            )?;
            for input in &tx.input {
                let prev = input.previous_output;
                spend.execute(params![
                    txid_param(&prev.txid),
                    prev.vout,
                    txid_param(&txid)
                ])?;
            }
            Ok(())
        })()
        .map_err(|e| self.db(e))
    }

    fn mempool_remove(&mut self, txid: &Txid) -> Result<(), LedgerError> {
        let id = txid_param(txid);
        self.conn
            .prepare_cached("DELETE FROM transactions WHERE txid = ?1 AND height IS NULL")
            .and_then(|mut s| s.execute([id]))
            .and_then(|_| {
                self.conn
                    .prepare_cached("DELETE FROM mempool_spends WHERE spender = ?1")?
                    .execute([id])?;
                self.conn
                    .prepare_cached("DELETE FROM mempool_entries WHERE txid = ?1")?
                    .execute([id])
            })
            .map(drop)
            .map_err(|e| self.db(e))
    }

    fn mempool_txs(&self) -> Result<Vec<Transaction>, LedgerError> {
        self.mempool()
    }

    fn mempool_entry_info(&self, txid: &Txid) -> Result<Option<(u32, bool)>, LedgerError> {
        let row: Option<(i64, bool)> = self
            .conn
            .prepare_cached("SELECT height, to_miner FROM mempool_entries WHERE txid = ?1")
            .and_then(|mut s| {
                s.query_row([txid_param(txid)], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        row.map(|(h, m)| Ok((self.u32_col(h, "height")?, m)))
            .transpose()
    }

    fn mempool_set_entry_info(
        &mut self,
        txid: &Txid,
        height: u32,
        to_miner: bool,
    ) -> Result<(), LedgerError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO mempool_entries (txid, height, to_miner) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![txid_param(txid), height, to_miner]))
            .map(drop)
            .map_err(|e| self.db(e))
    }

    fn mempool_take(&mut self) -> Result<Vec<Transaction>, LedgerError> {
        let txs = self.mempool()?;
        if !txs.is_empty() {
            self.conn
                .execute_batch(
                    "DELETE FROM transactions WHERE height IS NULL; DELETE FROM mempool_spends; \
                     DELETE FROM mempool_entries;",
                )
                .map_err(|e| self.db(e))?;
        }
        Ok(txs)
    }

    fn connect_tx(
        &mut self,
        tx: &Transaction,
        txid: Txid,
        height: u32,
        position: u32,
    ) -> Result<(), LedgerError> {
        let conn = self.conn;
        let is_coinbase = tx.is_coinbase();
        (|| -> rusqlite::Result<()> {
            conn.prepare_cached(
                "INSERT INTO transactions (txid, raw, height, position) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![txid_param(&txid), serialize(tx), height, position])?;
            if !is_coinbase {
                let mut spend = conn.prepare_cached(
                    "UPDATE outputs SET spent_by = ?3 WHERE txid = ?1 AND vout = ?2",
                )?;
                for input in &tx.input {
                    let prev = input.previous_output;
                    spend.execute(params![
                        txid_param(&prev.txid),
                        prev.vout,
                        txid_param(&txid)
                    ])?;
                }
            }
            let mut add = conn.prepare_cached(
                "INSERT INTO outputs (txid, vout, value, script_pubkey, height, coinbase, spent_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
            )?;
            for (vout, output) in tx.output.iter().enumerate() {
                if output.script_pubkey.is_op_return() {
                    continue;
                }
                add.execute(params![
                    txid_param(&txid),
                    vout as u32,
                    output.value.to_sat() as i64,
                    output.script_pubkey.as_bytes(),
                    height,
                    is_coinbase
                ])?;
            }
            Ok(())
        })()
        .map_err(|e| self.db(e))
    }

    fn push_block(&mut self, header: &Header, block: BlockInfo) -> Result<(), LedgerError> {
        self.conn
            .prepare_cached(
                "INSERT INTO blocks (height, hash, prev_hash, merkle_root, time, version, bits, nonce) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    block.height,
                    block.hash.as_byte_array().as_slice(),
                    header.prev_blockhash.as_byte_array().as_slice(),
                    header.merkle_root.as_byte_array().as_slice(),
                    block.time,
                    header.version.to_consensus(),
                    header.bits.to_consensus(),
                    header.nonce
                ])
            })
            .map(|_| ())
            .map_err(|e| self.db(e))
    }
}

/// A handle on a ledger directory shared by any number of handles and processes.
///
/// Every method runs one transaction; methods that only read never write. A method that
/// writes opens the database and closes it again; reads share one connection per handle
/// (and its clones) between calls, opened again when the database file was replaced or its
/// schema changed (see [`Ledger::read`]).
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
    reader: Arc<Mutex<Option<Reader>>>,
}

/// The connection [`Ledger::read`] keeps between calls, with the file it opened.
struct Reader {
    conn: Connection,
    file: Option<FileId>,
    /// What the files looked like when the last [`CHECK_BLOCKS`] blocks were checked on
    /// this connection ([`Ledger::check_recent`]).
    checked: Option<Checked>,
}

/// [`Ledger::check_recent`]'s mark: the kept connection's `PRAGMA data_version` (it moves
/// when any other connection commits through this file's WAL), and what `stat` says of the
/// database file and of its WAL ([`FileMark`]): bytes written outside SQLite, a file
/// copied over in place or edited under another name move no `data_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked {
    data_version: i64,
    files: [FileMark; 2],
}

/// A file's inode, size, and modification and change times (`None`: missing).
type FileMark = Option<[i64; 6]>;

/// The [`FileMark`]s of the database file and its WAL; `None` where they cannot be told.
/// The WAL's change time is left out when running as root: SQLite then `fchown`s the WAL
/// at every new connection, which moves it (so as root, bytes of the WAL rewritten in
/// place with its mtime put back go unseen until the next commit; ADR 0010).
fn file_marks(database: &Path) -> Option<[FileMark; 2]> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mark = |path: &Path, changed: bool| {
            fs::metadata(path).ok().map(|m| {
                let ctime = if changed {
                    [m.ctime(), m.ctime_nsec()]
                } else {
                    [0; 2]
                };
                [
                    m.ino() as i64,
                    m.size() as i64,
                    m.mtime(),
                    m.mtime_nsec(),
                    ctime[0],
                    ctime[1],
                ]
            })
        };
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let root = rustix::process::geteuid().is_root();
        Some([mark(database, true), mark(Path::new(&wal), !root)])
    }
    #[cfg(not(unix))]
    {
        let _ = database;
        None
    }
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("file", &self.file).finish()
    }
}

/// The tables whose rows a read of the ledger sees: a row written to any of them counts the
/// database's `generation` up ([`Ledger::change_token`]).
const GENERATION_TABLES: [&str; 5] = [
    "blocks",
    "transactions",
    "outputs",
    "mempool_spends",
    "mempool_entries",
];

/// The triggers that count `generation` up: one per table of [`GENERATION_TABLES`] and
/// kind of write.
fn generation_triggers() -> String {
    GENERATION_TABLES
        .iter()
        .flat_map(|table| {
            ["INSERT", "UPDATE", "DELETE"].map(|op| {
                format!(
                    "CREATE TRIGGER IF NOT EXISTS generation_{table}_{op} AFTER {op} ON {table} \
                     BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 \
                     WHERE key = 'generation'; END;\n"
                )
            })
        })
        .collect()
}

/// A random starting `generation` (below 2^62: room to count in SQLite's 64-bit integers).
fn random_generation(path: &Path) -> Result<String, LedgerError> {
    let mut start = [0u8; 8];
    getrandom::fill(&mut start).map_err(|e| io_err(path, std::io::Error::other(e.to_string())))?;
    Ok((u64::from_le_bytes(start) >> 2).to_string())
}

/// Which file a path names now (device and inode), to notice a database replaced under a
/// kept connection. `None` where it cannot be told (then no connection is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).ok().map(|m| FileId(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// One consistent read-only snapshot of the ledger (one SQLite read transaction), for a
/// caller that needs several reads to agree: a wallet sync, a watcher pass. Made by
/// [`Ledger::view`].
pub struct LedgerView<'a> {
    sql: Sql<'a>,
    error: RefCell<Option<LedgerError>>,
}

impl LedgerView<'_> {
    /// The tip.
    pub fn tip(&self) -> Result<Tip, LedgerError> {
        store_tip(&self.sql)
    }

    /// Height of the tip.
    pub fn tip_height(&self) -> Result<u32, LedgerError> {
        self.sql.tip_height()
    }

    /// The hash of the genesis block.
    pub fn genesis_hash(&self) -> Result<BlockHash, LedgerError> {
        self.sql.block_hash_at(0)
    }

    /// The hash of the block at `height`, if any.
    pub fn block_hash(&self, height: u32) -> Result<Option<BlockHash>, LedgerError> {
        Ok(self.sql.header(height)?.map(|h| h.block_hash()))
    }

    /// The block at `height`, if any.
    pub fn block(&self, height: u32) -> Result<Option<BlockInfo>, LedgerError> {
        self.sql.block(height)
    }

    /// Block `height` as a full [`bitcoin::Block`] (see [`Ledger::full_block`]).
    pub fn full_block(&self, height: u32) -> Result<Option<bitcoin::Block>, LedgerError> {
        self.sql.full_block(height)
    }

    /// The blocks above `height` up to the tip, as full blocks with their heights, lowest
    /// first (what a wallet synced to `height` is missing).
    pub fn full_blocks_after(
        &self,
        height: u32,
    ) -> Result<Vec<(u32, bitcoin::Block)>, LedgerError> {
        let tip = self.sql.tip_height()?;
        (height.saturating_add(1)..=tip)
            .map(|h| {
                let block = self
                    .sql
                    .full_block(h)?
                    .ok_or_else(|| self.sql.corrupt(format!("block {h} is missing")))?;
                Ok((h, block))
            })
            .collect()
    }

    /// The mempool in acceptance order.
    pub fn mempool(&self) -> Result<Vec<Transaction>, LedgerError> {
        self.sql.mempool()
    }

    /// A confirmed or mempool transaction with its confirmation height.
    pub fn tx(&self, txid: &Txid) -> Result<Option<TxInfo>, LedgerError> {
        self.sql.tx(txid)
    }

    /// The confirmed, else mempool, transaction spending `outpoint`.
    pub fn spending_tx(&self, outpoint: &OutPoint) -> Result<Option<TxInfo>, LedgerError> {
        self.sql.spending_tx(outpoint)
    }

    /// For readers that cannot return an error (such as the watcher's
    /// [`ChainView`](crate::watch::ChainView)): `result`'s value, or `fallback` after keeping
    /// the error, which [`Ledger::view`] then returns instead of the reader's result.
    pub fn keep<T>(&self, result: Result<T, LedgerError>, fallback: T) -> T {
        result.unwrap_or_else(|e| {
            self.error.borrow_mut().get_or_insert(e);
            fallback
        })
    }
}

impl Ledger {
    /// Opens the ledger in `dir`, creating the directory and a chain holding only the
    /// genesis block if there is none yet. An old `state.json` is imported (and renamed
    /// `state.json.migrated`) the first time.
    pub fn open(dir: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let ledger = Ledger::at(dir);
        let conn = ledger.connect()?;
        ledger.finish_migration(&conn)?;
        drop(conn);
        ledger.check_recent()?;
        Ok(ledger)
    }

    /// Re-validates the last [`CHECK_BLOCKS`] blocks, as [`Ledger::open`] does, unless this
    /// handle (or a clone) checked them already and nothing was written to the database
    /// since: SQLite's `data_version` of the kept connection did not move (no connection
    /// committed through the file's WAL), and neither the file nor its WAL changed inode,
    /// size, modification or change time (a copy over it in place, an edit under another
    /// name, bytes written outside SQLite). A check reads through a new connection, as an
    /// open does. A command of a long session (the REPL, an engine kept in a process) so
    /// costs what a fresh open costs only when the ledger changed.
    ///
    /// `true` when it checked them (they were found valid), `false` when nothing changed.
    pub fn check_recent(&self) -> Result<bool, LedgerError> {
        let path = self.database_path();
        {
            let kept = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(Reader {
                conn,
                checked: Some(checked),
                ..
            }) = kept.as_ref()
            {
                let version = data_version(conn).map_err(|e| self.db_err(e))?;
                if file_marks(&path).is_some_and(|files| {
                    *checked
                        == Checked {
                            data_version: version,
                            files,
                        }
                }) {
                    return Ok(false);
                }
            }
        }
        // The check reads through a new connection, as an open does (the kept one's cached
        // pages may be of files changed behind SQLite's back), which is then kept in place
        // of the old one, with its mark; a failed check leaves none, so the next one reads
        // afresh too.
        let mut reader = self.new_reader()?;
        // Marked before the check: a write after it shows at the next call.
        let files = file_marks(&path);
        let checked = self.read_on(&mut reader, |sql| {
            let version = sql.data_version()?;
            sql.verify_chain(Some(CHECK_BLOCKS))?;
            Ok(version)
        });
        let kept = &mut *self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        *kept = None;
        let version = checked?;
        reader.checked = files.map(|files| Checked {
            data_version: version,
            files,
        });
        *kept = Some(reader);
        Ok(true)
    }

    fn at(dir: PathBuf) -> Ledger {
        Ledger {
            dir,
            reader: Arc::default(),
        }
    }

    /// Re-validates the last `depth` blocks up to the tip, or with `None` the whole chain
    /// and every row of its UTXO table (see [`Verification`]): consensus, the header chain,
    /// merkle roots, txids, coinbase amounts. [`Ledger::open`] does it for the last
    /// [`CHECK_BLOCKS`] blocks. An inconsistency is [`LedgerError::Corrupt`].
    pub fn verify(&self, depth: Option<u32>) -> Result<Verification, LedgerError> {
        self.read(|sql| sql.verify_chain(depth))
    }

    /// The ledger directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the database file (the directory also holds its `-wal` and `-shm` files).
    pub fn database_path(&self) -> PathBuf {
        self.dir.join(DATABASE_FILE)
    }

    fn db_err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Database {
            path: self.database_path(),
            source,
        }
    }

    /// Opens the database, creating and initializing it (or importing `state.json`) if
    /// it is new, and refusing a newer schema.
    fn connect(&self) -> Result<Connection, LedgerError> {
        let path = self.database_path();
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.db_err(e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.db_err(e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.db_err(e))?;
        let version = user_version(&conn).map_err(|e| self.db_err(e))?;
        if version != SCHEMA_VERSION {
            self.check_version(version)?;
            self.initialize(&mut conn)?;
        }
        conn.execute_batch(MEMPOOL_ENTRIES)
            .map_err(|e| self.db_err(e))?;
        self.count_generations(&mut conn)?;
        Ok(conn)
    }

    /// Makes sure the database counts its `generation` ([`Ledger::change_token`]): the
    /// triggers and the row, added to a database made before them (by a build without
    /// them) once, in one transaction.
    fn count_generations(&self, conn: &mut Connection) -> Result<(), LedgerError> {
        let ours = |r: &&verify::SchemaRow| r.0 == "trigger" && r.1.starts_with("generation_");
        let expected: Vec<_> = verify::expected_schema().iter().filter(ours).collect();
        let found = verify::schema_rows(conn).map_err(|e| self.db_err(e))?;
        let found: Vec<_> = found.iter().filter(ours).collect();
        if let Some((_, name, ..)) = found.iter().find(|t| !expected.contains(t)) {
            // Not ours (a body that counts nothing, say): never trusted, never replaced.
            return Err(LedgerError::Corrupt {
                path: self.database_path(),
                reason: format!("its trigger {name} is not the one asyncpay makes"),
            });
        }
        let row = conn
            .query_row(
                "SELECT 1 FROM meta WHERE key = 'generation'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| self.db_err(e))?;
        if found.len() == expected.len() && row.is_some() {
            return Ok(());
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.db_err(e))?;
        tx.execute_batch(&generation_triggers())
            .map_err(|e| self.db_err(e))?;
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', ?1)",
            [random_generation(&self.database_path())?],
        )
        .map_err(|e| self.db_err(e))?;
        tx.commit().map_err(|e| self.db_err(e))
    }

    fn check_version(&self, found: u32) -> Result<(), LedgerError> {
        if found > SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedVersion {
                path: self.database_path(),
                found: found.into(),
                supported: SCHEMA_VERSION.into(),
            });
        }
        Ok(())
    }

    /// Creates the schema in a new database, with the genesis block or the chain of an old
    /// `state.json`, in one transaction (another process may be doing the same: the first
    /// one wins, the other finds the schema).
    fn initialize(&self, conn: &mut Connection) -> Result<(), LedgerError> {
        // WAL: readers never wait for a writer. Persistent in the file; outside a transaction.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(|e| self.db_err(e))?;
        let path = self.database_path();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.db_err(e))?;
        let version = user_version(&tx).map_err(|e| self.db_err(e))?;
        self.check_version(version)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        tx.execute_batch(SCHEMA).map_err(|e| self.db_err(e))?;
        let mut sql = Sql {
            conn: &tx,
            path: &path,
        };
        let legacy = self.dir.join(STATE_FILE);
        match fs::read(&legacy) {
            Ok(bytes) => {
                let chain = decode_state(&bytes, &legacy)?;
                sql.import(&chain)?;
                sql.set_meta("imported_from", STATE_FILE)?;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                sql.import(&Chain::new())?;
            }
            Err(e) => return Err(io_err(&legacy, e)),
        }
        // A random start: a ledger made anew where another was (the same inode, perhaps)
        // never repeats its change token.
        sql.set_meta("generation", &random_generation(&path)?)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| self.db_err(e))?;
        tx.commit().map_err(|e| self.db_err(e))?;
        Ok(())
    }

    /// Renames an imported `state.json` to `state.json.migrated`, once its chain is in the
    /// database (a crash between the two leaves it for the next open to finish).
    fn finish_migration(&self, conn: &Connection) -> Result<(), LedgerError> {
        let legacy = self.dir.join(STATE_FILE);
        let migrated = self.dir.join(MIGRATED_STATE_FILE);
        if !legacy.exists() || migrated.exists() {
            return Ok(());
        }
        let path = self.database_path();
        let sql = Sql { conn, path: &path };
        if sql.meta("imported_from")?.as_deref() != Some(STATE_FILE) {
            return Ok(());
        }
        match fs::rename(&legacy, &migrated) {
            Ok(()) => {}
            // Another process finished it.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&legacy, e)),
        }
        fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(&self.dir, e))
    }

    /// Runs a read-only operation in one read transaction (one snapshot), on the kept
    /// connection if it still reads this database file at this schema (else, or while
    /// another read of this handle has it, on a new one, kept afterwards if none is).
    /// Opening a connection (and parsing the schema and statements on it again) was most
    /// of a watcher pass's cost.
    fn read<R>(
        &self,
        f: impl FnOnce(&Sql<'_>) -> Result<R, LedgerError>,
    ) -> Result<R, LedgerError> {
        let path = self.database_path();
        let kept = self
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let mut reader = match kept {
            Some(r)
                if r.file.is_some()
                    && r.file == file_id(&path)
                    && user_version(&r.conn).ok() == Some(SCHEMA_VERSION) =>
            {
                r
            }
            _ => self.new_reader()?,
        };
        let result = self.read_on(&mut reader, f)?;
        self.reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(reader);
        Ok(result)
    }

    /// A new connection to keep, with the file it opened. The file is named before the
    /// open: a database replaced in between is noticed by the next read, which then opens
    /// the new one.
    fn new_reader(&self) -> Result<Reader, LedgerError> {
        let file = file_id(&self.database_path());
        Ok(Reader {
            conn: self.connect()?,
            file,
            checked: None,
        })
    }

    /// Runs `f` in one read transaction on `reader`'s connection.
    fn read_on<R>(
        &self,
        reader: &mut Reader,
        f: impl FnOnce(&Sql<'_>) -> Result<R, LedgerError>,
    ) -> Result<R, LedgerError> {
        let path = self.database_path();
        let tx = reader
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| self.db_err(e))?;
        let result = f(&Sql {
            conn: &tx,
            path: &path,
        })?;
        tx.commit().map_err(|e| self.db_err(e))?;
        Ok(result)
    }

    /// Runs a mutating operation in one `BEGIN IMMEDIATE` transaction, committed if it
    /// succeeded and rolled back otherwise.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut Sql<'_>) -> Result<R, LedgerError>,
    ) -> Result<R, LedgerError> {
        let mut conn = self.connect()?;
        let path = self.database_path();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.db_err(e))?;
        let result = f(&mut Sql {
            conn: &tx,
            path: &path,
        })?;
        tx.commit().map_err(|e| self.db_err(e))?;
        Ok(result)
    }

    /// A value that changes whenever anything a read could see changes: the database file
    /// (device and inode) and its `generation`, which triggers in the database count up
    /// with every row written to a table a read looks at, whoever writes it (an older
    /// build, `sqlite3` by hand). Read it before a look at the ledger: the same token later
    /// means that look would see the same (a watcher need not look again). `None` where the
    /// file cannot be told apart or the count is missing.
    ///
    /// A ledger file put back under a running reader (a copy restored over it) can repeat
    /// a token it had before; restart what watches it after doing so.
    pub fn change_token(&self) -> Result<Option<[u64; 3]>, LedgerError> {
        let Some(FileId(dev, ino)) = file_id(&self.database_path()) else {
            return Ok(None);
        };
        // No count, or one that is not a count (edited by hand): nothing to vouch with.
        let generation = self.read(|s| s.meta("generation"))?;
        Ok(generation
            .and_then(|g| g.parse().ok())
            .map(|generation| [dev, ino, generation]))
    }

    /// Runs `f` on one consistent read-only snapshot of the ledger. If a read that could not
    /// return its error ([`LedgerView::keep`]) failed, that error is returned instead.
    pub fn view<R>(&self, f: impl FnOnce(&LedgerView<'_>) -> R) -> Result<R, LedgerError> {
        self.read(|sql| {
            let view = LedgerView {
                sql: Sql {
                    conn: sql.conn,
                    path: sql.path,
                },
                error: RefCell::new(None),
            };
            let result = f(&view);
            match view.error.into_inner() {
                Some(e) => Err(e),
                None => Ok(result),
            }
        })
    }

    /// Copies the ledger, consistently, into a new ledger in `dir` (created if needed; it
    /// must not hold a ledger yet) and opens the copy.
    pub fn copy_to(&self, dir: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let target = dir.join(DATABASE_FILE);
        let target_str = target.to_str().ok_or_else(|| {
            io_err(
                &target,
                std::io::Error::new(ErrorKind::InvalidInput, "the path is not valid UTF-8"),
            )
        })?;
        let conn = self.connect()?;
        conn.execute("VACUUM INTO ?1", [target_str])
            .map_err(|e| self.db_err(e))?;
        drop(conn);
        let copy = Ledger::at(dir.to_path_buf());
        let conn = copy.connect()?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(|e| copy.db_err(e))?;
        // The copy's own count: it never repeats a token of the ledger it was copied from.
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'generation'",
            [random_generation(&target)?],
        )
        .map_err(|e| copy.db_err(e))?;
        Ok(copy)
    }

    /// The chain tip.
    pub fn tip(&self) -> Result<Tip, LedgerError> {
        self.read(|s| store_tip(s))
    }

    /// The block at `height`, if any.
    pub fn block(&self, height: u32) -> Result<Option<BlockInfo>, LedgerError> {
        self.read(|s| s.block(height))
    }

    /// The header of block `height`, if any (see [`Chain::header`]).
    pub fn header(&self, height: u32) -> Result<Option<Header>, LedgerError> {
        self.read(|s| s.header(height))
    }

    /// Block `height` as a full [`bitcoin::Block`] (header and transactions, coinbase
    /// first); its `block_hash()` is [`BlockInfo::hash`].
    pub fn full_block(&self, height: u32) -> Result<Option<bitcoin::Block>, LedgerError> {
        self.read(|s| s.full_block(height))
    }

    /// The hash of the genesis block (see [`Chain::genesis_hash`]).
    pub fn genesis_hash(&self) -> Result<BlockHash, LedgerError> {
        self.read(|s| s.block_hash_at(0))
    }

    /// A confirmed unspent output (also returned while a mempool tx spends it).
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError> {
        self.read(|s| s.unspent(outpoint))
    }

    /// All confirmed unspent outputs paying `script`, oldest first.
    pub fn utxos_for_script(&self, script: &Script) -> Result<Vec<(OutPoint, Utxo)>, LedgerError> {
        self.read(|s| s.utxos_for_script(script))
    }

    /// What the confirmed unspent outputs paying `script` hold in total.
    pub fn value_at(&self, script: &Script) -> Result<Amount, LedgerError> {
        self.read(|s| s.value_at(script))
    }

    /// A confirmed or mempool transaction with its confirmation height.
    pub fn tx(&self, txid: &Txid) -> Result<Option<TxInfo>, LedgerError> {
        self.read(|s| s.tx(txid))
    }

    /// The confirmed, else mempool, transaction spending `outpoint`.
    pub fn spending_tx(&self, outpoint: &OutPoint) -> Result<Option<TxInfo>, LedgerError> {
        self.read(|s| s.spending_tx(outpoint))
    }

    /// The output an outpoint refers to (confirmed, spent or not, or in the mempool):
    /// handy for building `spent_outputs` when signing.
    pub fn output(&self, outpoint: &OutPoint) -> Result<Option<TxOut>, LedgerError> {
        self.read(|s| s.output(outpoint))
    }

    /// The mempool in acceptance order.
    pub fn mempool(&self) -> Result<Vec<Transaction>, LedgerError> {
        self.read(|s| s.mempool())
    }

    /// Validates `tx` as [`Ledger::submit`] would, without adding it (like
    /// `testmempoolaccept`). Returns the fee; never writes.
    pub fn check(&self, tx: &Transaction) -> Result<Amount, LedgerError> {
        self.read(|s| store_check(s, tx))?
            .map_err(LedgerError::from)
    }

    /// Validates `tx` against the UTXO set plus the mempool and adds it to the mempool.
    /// A rejection is [`LedgerError::Rejected`] (see [`LedgerError::rejection`]) and writes
    /// nothing.
    pub fn submit(&self, tx: &Transaction) -> Result<Txid, LedgerError> {
        self.write(|s| store_submit(s, tx)?.map_err(LedgerError::from))
    }

    /// A mempool transaction's package as fee bumping sees it (`getmempoolentry`): the
    /// tip's height when it entered, the fees and virtual size of it with its descendants,
    /// and the transactions spending its outputs; `None` if it is not in the mempool.
    pub fn mempool_entry(
        &self,
        txid: &Txid,
    ) -> Result<Option<super::source::MempoolEntry>, LedgerError> {
        self.read(|s| store_mempool_entry(s, txid))
    }

    /// Validates `tx` by consensus alone for the next block (what a miner may include),
    /// without adding it. Returns the fee; never writes.
    pub fn check_consensus(&self, tx: &Transaction) -> Result<Amount, LedgerError> {
        self.read(|s| store_validate(s, tx))?
            .map_err(LedgerError::from)
    }

    /// Hands `tx` to a miner directly, as an attacker paying a miner out of band would
    /// (Core's `prioritisetransaction`, then `generateblock`): only consensus rules apply, no
    /// relay policy, and a conflict with the mempool is refused rather than replaced. It is
    /// mined with the next block. For transactions whose relay is not the point: tests that
    /// play a party publishing by hand, and the faucet.
    pub fn submit_to_miner(&self, tx: &Transaction) -> Result<Txid, LedgerError> {
        self.write(|s| store_submit_to_miner(s, tx)?.map_err(LedgerError::from))
    }

    /// Submits a package, a child with its unconfirmed parents, parents first (Bitcoin
    /// Core's `submitpackage`, see [`super::policy`]). Parents accepted alone stay when the
    /// package is then refused. Returns the transactions it added.
    pub fn submit_package(&self, txs: &[Transaction]) -> Result<Vec<Txid>, LedgerError> {
        self.write(|s| store_submit_package(s, txs))?
            .map_err(LedgerError::from)
    }

    /// Drops `txid` and what descends from it from the mempool, as a node does with a
    /// transaction that waited two weeks or that a full mempool evicted (a test's way to
    /// see what a wallet does then). Returns the transactions dropped.
    pub fn expire(&self, txid: &Txid) -> Result<Vec<Txid>, LedgerError> {
        self.write(|s| store_expire(s, txid))
    }

    /// Mines `n` blocks with coinbases paying `to` (default: the faucet); the first one
    /// includes the still-valid mempool transactions. Returns the new block hashes.
    pub fn mine(&self, n: u32, to: Option<ScriptBuf>) -> Result<Vec<BlockHash>, LedgerError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        self.write(|s| {
            store_mine(
                s,
                n,
                to.as_deref(),
                super::policy::MIN_RELAY_FEE_SAT_PER_KVB,
            )
        })
    }

    /// Mines `n` blocks as a busy mempool's miners do: each takes only the packages paying
    /// at least `min_rate` (and what was handed to a miner); the rest waits. How a test
    /// sees a fee bump at work.
    pub fn mine_busy(
        &self,
        n: u32,
        min_rate: bitcoin::FeeRate,
    ) -> Result<Vec<BlockHash>, LedgerError> {
        let min_rate = min_rate.to_sat_per_kwu().saturating_mul(4);
        self.write(|s| store_mine(s, n, None, min_rate))
    }

    /// Pays `amount` from the faucet to `script_pubkey` and confirms it (see
    /// [`Chain::fund`]). Returns the funded outpoint.
    pub fn fund(&self, script_pubkey: &Script, amount: Amount) -> Result<OutPoint, LedgerError> {
        self.write(|s| store_fund(s, script_pubkey, amount))
    }

    /// [`Ledger::fund`] to an address.
    pub fn fund_address(&self, address: &Address, amount: Amount) -> Result<OutPoint, LedgerError> {
        self.fund(&address.script_pubkey(), amount)
    }
}

fn data_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.pragma_query_value(None, "data_version", |r| r.get(0))
}

fn user_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

impl From<RejectError> for LedgerError {
    fn from(e: RejectError) -> Self {
        LedgerError::Rejected(e)
    }
}
