//! Watching channels on bitcoind: a spend index built by scanning blocks, plus the mempool.
//!
//! bitcoind has no index of who spent an output. The channel watcher follows each channel
//! from its funding outpoint (funding → update → … → settlement → PTLC claims), so
//! [`SpendIndex`] scans blocks for exactly that: from the funding transaction's block to the
//! tip it records every transaction that spends a *watched* outpoint, and it watches the
//! outputs of every such transaction that spent its input through a script path (updates,
//! settlements and PTLC claims do; a cooperative close or a wallet's spend uses the key path,
//! which ends the chain). The funding transaction itself is recorded by its txid.
//!
//! - **Where a scan starts.** A new funding output that is confirmed and unspent needs no
//!   scan: `gettxout` places it in its block, and the transaction is read from there. A
//!   funding in the mempool is found by the scans of the blocks to come. A spent one is
//!   scanned from the block its transaction is in, which `getrawtransaction` tells on a node
//!   with `-txindex`; without it, from the height its channel was made at less
//!   `FLOOR_MARGIN` (the genesis block for a channel recorded before heights were kept).
//! - **All or nothing.** A refresh works on a copy and keeps it only if every call
//!   succeeded; every scanned block must connect to the one below it.
//! - **Reorganizations.** The index keeps the hashes of the last [`RECENT`] blocks it
//!   scanned; when the node's block at the index's height differs, it forgets everything
//!   above the highest block both still share and scans again from there (deeper than
//!   [`RECENT`]: everything, from each funding's floor).
//! - **The mempool** is not indexed: a view asks `gettxspendingprevout` for an outpoint
//!   without a confirmed spend, and `getrawtransaction` for a transaction it does not know.
//! - **Errors never read as "unspent".** A view keeps the first RPC error and the pass that
//!   used it fails (see [`crate::watch::ChainView`]); an output that is gone without a
//!   spender found is such an error.
//!
//! The index lives in the [`super::source::BitcoindSource`] and is kept, sealed, in the data dir
//! between commands and runs ([`SpendIndexRecord`]): each new block is scanned once.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bdk_bitcoind_rpc::bitcoincore_rpc::{self, jsonrpc, RpcApi};
use bitcoin::{BlockHash, OutPoint, Transaction, Txid};

use super::source::{rpc_error, ChainSourceError};
use crate::watch::ChainView;

/// Block hashes kept to find where a reorganization forked off.
pub const RECENT: usize = 144;

/// Blocks below a channel's recorded opening height that a scan still reads (a
/// reorganization just after the channel was made can put its funding a little lower).
const FLOOR_MARGIN: u32 = 6;

/// bitcoind's "no such transaction / not in the mempool" (`RPC_INVALID_ADDRESS_OR_KEY`).
const RPC_NOT_FOUND: i32 = -5;

/// Confirmed spends of the watched outpoints, from scanning blocks (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct SpendIndex {
    /// The last block scanned.
    scanned: Option<(u32, BlockHash)>,
    /// Hashes of the last [`RECENT`] blocks scanned, oldest first.
    recent: VecDeque<(u32, BlockHash)>,
    /// Funding outpoints being followed, and the lowest height each can be at (the tip
    /// when its channel was made).
    roots: BTreeMap<OutPoint, u32>,
    /// Outpoints whose spender is recorded: the roots and the outputs of script-path spends.
    watched: BTreeSet<OutPoint>,
    /// Transactions found in blocks (fundings and spends of watched outpoints), by txid.
    found: BTreeMap<Txid, (Transaction, u32)>,
    /// Which found transaction spends a watched outpoint.
    spends: BTreeMap<OutPoint, Txid>,
    /// Counts the refreshes that changed the index (to save it only when it changed).
    generation: u64,
}

/// A data dir's [`SpendIndex`], kept sealed in its records so that a command (or a restarted
/// `server run`) goes on from where the last one stopped instead of scanning again from each
/// funding. Read back only for the same chain (genesis), and checked again block by block
/// like any index: a record put back from an older copy only makes the index scan more.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SpendIndexRecord {
    /// The chain's genesis block.
    genesis: BlockHash,
    /// The last block scanned and the hashes of the [`RECENT`] before it, oldest first.
    recent: Vec<(u32, BlockHash)>,
    /// Funding outpoints followed, with their floors.
    roots: Vec<(OutPoint, u32)>,
    /// Transactions found in blocks: hex, height.
    found: Vec<(String, u32)>,
}

impl crate::store::StateFile for SpendIndexRecord {
    const FILE: &'static str = "spend-index";
    const KIND: &'static str = "asyncpay/spend-index";
    const VERSION: u32 = 1;
}

/// True when `tx` spends `outpoint` through a taproot script path (its witness ends in a
/// control block): the channel goes on in its outputs.
fn script_path_spend(tx: &Transaction, outpoint: &OutPoint) -> bool {
    tx.input
        .iter()
        .find(|i| i.previous_output == *outpoint)
        .is_some_and(|i| i.witness.taproot_control_block().is_some())
}

/// What asyncpay reads of `getrawtransaction TXID true`. (`bitcoincore_rpc`'s own result
/// type fails on output types it does not know, such as `anchor`: a channel's update.)
#[derive(serde::Deserialize)]
struct RawTxInfo {
    hex: String,
    blockhash: Option<BlockHash>,
}

/// What asyncpay reads of `gettxout` (see [`RawTxInfo`] for why not `bitcoincore_rpc`'s).
#[derive(serde::Deserialize)]
struct TxOutInfo {
    bestblock: BlockHash,
    confirmations: u32,
}

fn raw_tx_info(
    rpc: &bitcoincore_rpc::Client,
    txid: &Txid,
) -> Result<RawTxInfo, bitcoincore_rpc::Error> {
    rpc.call(
        "getrawtransaction",
        &[serde_json::json!(txid), serde_json::json!(true)],
    )
}

/// `gettxout`: `None` for an output that is spent (or never was).
fn tx_out(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    outpoint: &OutPoint,
    include_mempool: bool,
) -> Result<Option<TxOutInfo>, ChainSourceError> {
    let args = [
        serde_json::json!(outpoint.txid),
        serde_json::json!(outpoint.vout),
        serde_json::json!(include_mempool),
    ];
    rpc.call("gettxout", &args).map_err(|e| rpc_error(url, e))
}

/// The node's tip, height and hash read together (`getblockchaininfo`: one call, and no
/// block can come between the two).
pub fn best_block(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
) -> Result<(u32, BlockHash), ChainSourceError> {
    #[derive(serde::Deserialize)]
    struct Info {
        blocks: u32,
        bestblockhash: BlockHash,
    }
    let info: Info = rpc
        .call("getblockchaininfo", &[])
        .map_err(|e| rpc_error(url, e))?;
    Ok((info.blocks, info.bestblockhash))
}

fn rpc_code(e: &bitcoincore_rpc::Error) -> Option<i32> {
    match e {
        bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Rpc(r)) => Some(r.code),
        _ => None,
    }
}

impl SpendIndex {
    /// The index as a record for the chain whose genesis block is `genesis`.
    pub fn to_record(&self, genesis: BlockHash) -> SpendIndexRecord {
        SpendIndexRecord {
            genesis,
            recent: self.recent.iter().copied().collect(),
            roots: self.roots.iter().map(|(o, f)| (*o, *f)).collect(),
            found: self
                .found
                .values()
                .map(|(tx, h)| (bitcoin::consensus::encode::serialize_hex(tx), *h))
                .collect(),
        }
    }

    /// The index a record holds, if it is one of the chain whose genesis block is `genesis`
    /// and it decodes.
    pub fn from_record(record: SpendIndexRecord, genesis: BlockHash) -> Option<SpendIndex> {
        // Only a record of this chain, with the blocks it scanned one after the other and
        // nothing found above them (anything else is scanned again from the start).
        let contiguous = record.recent.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        let top = record.recent.last().map(|(h, _)| *h);
        if record.genesis != genesis
            || !contiguous
            || top.is_none()
            || record.found.iter().any(|(_, h)| Some(*h) > top)
        {
            return None;
        }
        let mut found = BTreeMap::new();
        for (hex, height) in record.found {
            let tx: Transaction = bitcoin::consensus::encode::deserialize_hex(&hex).ok()?;
            found.insert(tx.compute_txid(), (tx, height));
        }
        let recent: VecDeque<(u32, BlockHash)> = record.recent.into_iter().collect();
        let mut index = SpendIndex {
            scanned: recent.back().copied(),
            recent,
            roots: record.roots.into_iter().collect(),
            found,
            ..SpendIndex::default()
        };
        index.rebuild();
        Some(index)
    }

    /// See [`SpendIndex::generation`].
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn root_txids(&self) -> BTreeSet<Txid> {
        self.roots.keys().map(|o| o.txid).collect()
    }

    /// Records what block `block` at `height` holds for the watched outpoints.
    fn scan_block(&mut self, height: u32, block: &bitcoin::Block, roots: &BTreeSet<Txid>) {
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            let mut relevant = roots.contains(&txid);
            for input in &tx.input {
                let spent = input.previous_output;
                if self.watched.contains(&spent) {
                    relevant = true;
                    self.spends.insert(spent, txid);
                    if script_path_spend(tx, &spent) {
                        let outs = (0..tx.output.len() as u32).map(|vout| OutPoint { txid, vout });
                        self.watched.extend(outs);
                    }
                }
            }
            if relevant {
                self.found.insert(txid, (tx.clone(), height));
            }
        }
    }

    /// Scans blocks `from..=to` of the node's chain. Each block must connect to the one
    /// the index holds below it (a block the node replaced during the scan fails it: the
    /// next refresh finds the reorganization).
    fn scan(
        &mut self,
        rpc: &bitcoincore_rpc::Client,
        url: &str,
        from: u32,
        to: u32,
    ) -> Result<(), ChainSourceError> {
        let roots = self.root_txids();
        for height in from..=to {
            let hash = rpc
                .get_block_hash(u64::from(height))
                .map_err(|e| rpc_error(url, e))?;
            let block = rpc.get_block(&hash).map_err(|e| rpc_error(url, e))?;
            let below = height.checked_sub(1).and_then(|h| self.hash_at(h));
            let known = self.hash_at(height);
            if below.is_some_and(|b| b != block.header.prev_blockhash)
                || known.is_some_and(|k| k != hash)
            {
                return Err(ChainSourceError::Rpc {
                    url: url.to_owned(),
                    reason: format!(
                        "the node's chain changed at block {height} while it was read; \
                         reading again"
                    ),
                });
            }
            self.scan_block(height, &block, &roots);
            if self.scanned.is_none_or(|(h, _)| height > h) {
                self.scanned = Some((height, hash));
                self.recent.push_back((height, hash));
                while self.recent.len() > RECENT {
                    self.recent.pop_front();
                }
            }
        }
        Ok(())
    }

    /// The hash of the block at `height` the index scanned, if it remembers it.
    fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.recent
            .iter()
            .rev()
            .find(|(h, _)| *h == height)
            .map(|(_, hash)| *hash)
    }

    /// Forgets every transaction found above `height` and rebuilds the watched set.
    fn forget_above(&mut self, height: u32) {
        self.found.retain(|_, (_, h)| *h <= height);
        self.recent.retain(|(h, _)| *h <= height);
        self.scanned = self.recent.back().copied();
        self.rebuild();
    }

    /// The watched set and spends from the roots and what was found, in block order.
    fn rebuild(&mut self) {
        self.watched = self.roots.keys().copied().collect();
        self.spends.clear();
        let mut found: Vec<(&Txid, &(Transaction, u32))> = self.found.iter().collect();
        // Within one height the order of `found` is by txid, not the block's: repeat until
        // nothing changes (chains inside one block are short).
        found.sort_by_key(|(_, (_, h))| *h);
        loop {
            let before = (self.watched.len(), self.spends.len());
            for (txid, (tx, _)) in &found {
                for input in &tx.input {
                    let spent = input.previous_output;
                    if self.watched.contains(&spent) {
                        self.spends.insert(spent, **txid);
                        if script_path_spend(tx, &spent) {
                            self.watched.extend(
                                (0..tx.output.len() as u32)
                                    .map(|vout| OutPoint { txid: **txid, vout }),
                            );
                        }
                    }
                }
            }
            if (self.watched.len(), self.spends.len()) == before {
                break;
            }
        }
    }

    /// Brings the index to the node's tip for `roots` (funding outpoints, each with the
    /// lowest height it can be at); returns the tip height. All or nothing: on an error the
    /// index is as it was, so a root is never taken as followed before its blocks were
    /// scanned.
    pub fn refresh(
        &mut self,
        rpc: &bitcoincore_rpc::Client,
        url: &str,
        roots: &[(OutPoint, u32)],
    ) -> Result<u32, ChainSourceError> {
        // Nothing new (the usual case, once per channel per pass): no copy, one call.
        if let Some(scanned) = self.scanned {
            if roots.iter().all(|(o, _)| self.roots.contains_key(o))
                && best_block(rpc, url)? == scanned
            {
                return Ok(scanned.0);
            }
        }
        let mut next = self.clone();
        let tip = next.refresh_in_place(rpc, url, roots)?;
        next.generation += 1;
        *self = next;
        Ok(tip)
    }

    fn refresh_in_place(
        &mut self,
        rpc: &bitcoincore_rpc::Client,
        url: &str,
        roots: &[(OutPoint, u32)],
    ) -> Result<u32, ChainSourceError> {
        let err = |e| rpc_error(url, e);
        let tip = u32::try_from(rpc.get_block_count().map_err(err)?).unwrap_or(u32::MAX);
        // A reorganization: back to the highest block the node still has.
        if let Some((height, hash)) = self.scanned {
            if height > tip || rpc.get_block_hash(u64::from(height)).map_err(err)? != hash {
                let mut common = None;
                for (h, hash) in self.recent.iter().rev() {
                    if *h <= tip && rpc.get_block_hash(u64::from(*h)).map_err(err)? == *hash {
                        common = Some(*h);
                        break;
                    }
                }
                match common {
                    Some(h) => self.forget_above(h),
                    None => {
                        // Deeper than we remember: start again from each funding's floor.
                        let mut all: Vec<(OutPoint, u32)> =
                            self.roots.iter().map(|(o, f)| (*o, *f)).collect();
                        all.extend_from_slice(roots);
                        *self = SpendIndex {
                            generation: self.generation,
                            ..SpendIndex::default()
                        };
                        return self.refresh_in_place(rpc, url, &all);
                    }
                }
            }
        }
        // New fundings: one confirmed and unspent needs no scan (its transaction is read
        // from its block); any other is scanned from where it starts.
        let mut from = u32::MAX;
        for (outpoint, floor) in roots {
            if self.roots.contains_key(outpoint) {
                continue;
            }
            match unspent_funding(rpc, url, outpoint)? {
                Some((tx, height)) if height <= tip => {
                    self.found.insert(outpoint.txid, (tx, height));
                }
                _ => from = from.min(funding_height(rpc, url, outpoint, tip, *floor)?),
            }
            self.roots.insert(*outpoint, *floor);
            self.watched.insert(*outpoint);
        }
        match self.scanned {
            Some((height, _)) if from <= height => self.scan(rpc, url, from, height)?,
            // Nothing scanned yet: start at the earliest funding to scan.
            None if from <= tip => self.scan(rpc, url, from, from)?,
            _ => {}
        }
        if self.scanned.is_none() {
            // Nothing to follow that is confirmed: the index starts at the tip.
            let hash = rpc.get_block_hash(u64::from(tip)).map_err(err)?;
            self.scanned = Some((tip, hash));
            self.recent.push_back((tip, hash));
        }
        let (height, _) = self.scanned.expect("set above");
        if height < tip {
            self.scan(rpc, url, height + 1, tip)?;
        }
        Ok(tip)
    }
}

/// The transaction of a funding output that is confirmed and unspent in the node's chain,
/// and its height (`gettxout`, then the transaction from its block).
fn unspent_funding(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    outpoint: &OutPoint,
) -> Result<Option<(Transaction, u32)>, ChainSourceError> {
    let err = |e| rpc_error(url, e);
    let Some(out) = tx_out(rpc, url, outpoint, false)? else {
        return Ok(None);
    };
    let best = rpc
        .get_block_header_info(&out.bestblock)
        .map_err(err)?
        .height as u32;
    let height = (best + 1).saturating_sub(out.confirmations.max(1));
    let hash = rpc.get_block_hash(u64::from(height)).map_err(err)?;
    let tx = rpc
        .get_raw_transaction(&outpoint.txid, Some(&hash))
        .map_err(err)?;
    Ok(Some((tx, height)))
}

/// The height a scan for the spent or unconfirmed funding `outpoint` starts at: its block
/// on a node with `-txindex`, the next block for one in the mempool, else `floor` (the tip
/// when its channel was made: the funding cannot be much below it) less [`FLOOR_MARGIN`].
fn funding_height(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    outpoint: &OutPoint,
    tip: u32,
    floor: u32,
) -> Result<u32, ChainSourceError> {
    let err = |e| rpc_error(url, e);
    match raw_tx_info(rpc, &outpoint.txid) {
        Ok(info) => match info.blockhash {
            Some(hash) => Ok(rpc.get_block_header_info(&hash).map_err(err)?.height as u32),
            None => Ok(tip + 1), // in the mempool: the next block is the first to look at
        },
        Err(e) if rpc_code(&e) == Some(RPC_NOT_FOUND) => {
            Ok(floor.saturating_sub(FLOOR_MARGIN).min(tip + 1))
        }
        Err(e) => Err(err(e)),
    }
}

/// A transaction in the mempool (or, on a node with `-txindex`, anywhere) and its height.
pub fn lookup_tx(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    txid: &Txid,
) -> Result<Option<(Transaction, Option<u32>)>, ChainSourceError> {
    let err = |e| rpc_error(url, e);
    match raw_tx_info(rpc, txid) {
        Ok(info) => {
            let tx: Transaction =
                bitcoin::consensus::encode::deserialize_hex(&info.hex).map_err(|e| {
                    ChainSourceError::Rpc {
                        url: url.to_owned(),
                        reason: format!("transaction {txid} does not decode: {e}"),
                    }
                })?;
            let height = match info.blockhash {
                Some(hash) => Some(rpc.get_block_header_info(&hash).map_err(err)?.height as u32),
                None => None,
            };
            Ok(Some((tx, height)))
        }
        Err(e) if rpc_code(&e) == Some(RPC_NOT_FOUND) => Ok(None),
        Err(e) => Err(err(e)),
    }
}

/// A transaction by one of its outputs, without `-txindex`: from the mempool, else from the
/// block `gettxout` places the (unspent) output in.
pub fn find_tx(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    outpoint: &OutPoint,
) -> Result<Option<Transaction>, ChainSourceError> {
    if let Some((tx, _)) = lookup_tx(rpc, url, &outpoint.txid)? {
        return Ok(Some(tx));
    }
    Ok(unspent_funding(rpc, url, outpoint)?.map(|(tx, _)| tx))
}

/// Outpoints asked about in one `gettxspendingprevout` call.
const SPENDERS_PER_CALL: usize = 1_000;

/// The mempool transaction spending each of `outpoints`, in their order
/// (`gettxspendingprevout`, [`SPENDERS_PER_CALL`] at a time). An answer that does not name
/// the outpoints asked about, in their order, is an error.
pub fn mempool_spenders(
    rpc: &bitcoincore_rpc::Client,
    url: &str,
    outpoints: &[OutPoint],
) -> Result<Vec<Option<Txid>>, ChainSourceError> {
    #[derive(serde::Deserialize)]
    struct Spending {
        txid: Txid,
        vout: u32,
        spendingtxid: Option<Txid>,
    }
    let mut spenders = Vec::with_capacity(outpoints.len());
    for chunk in outpoints.chunks(SPENDERS_PER_CALL) {
        let asked: Vec<serde_json::Value> = chunk
            .iter()
            .map(|o| serde_json::json!({"txid": o.txid, "vout": o.vout}))
            .collect();
        let answer: Vec<Spending> = rpc
            .call("gettxspendingprevout", &[serde_json::Value::Array(asked)])
            .map_err(|e| rpc_error(url, e))?;
        let named = answer.len() == chunk.len()
            && answer
                .iter()
                .zip(chunk)
                .all(|(a, o)| a.txid == o.txid && a.vout == o.vout);
        if !named {
            return Err(ChainSourceError::Rpc {
                url: url.to_owned(),
                reason: "gettxspendingprevout answered about other outpoints than asked".to_owned(),
            });
        }
        spenders.extend(answer.into_iter().map(|a| a.spendingtxid));
    }
    Ok(spenders)
}

/// One pass's look at bitcoind: the index's confirmed spends, the mempool for the rest.
pub struct BitcoindView<'a> {
    pub(super) rpc: &'a bitcoincore_rpc::Client,
    pub(super) url: &'a str,
    pub(super) index: &'a SpendIndex,
    pub(super) tip: u32,
    /// The first RPC error: the pass fails.
    pub(super) error: RefCell<Option<ChainSourceError>>,
}

impl BitcoindView<'_> {
    fn keep<T>(&self, r: Result<Option<T>, ChainSourceError>) -> Option<T> {
        r.unwrap_or_else(|e| {
            self.error.borrow_mut().get_or_insert(e);
            None
        })
    }

    fn mempool_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, ChainSourceError> {
        Ok(
            mempool_spenders(self.rpc, self.url, std::slice::from_ref(outpoint))?
                .into_iter()
                .next()
                .flatten(),
        )
    }

    fn spender(
        &self,
        outpoint: &OutPoint,
    ) -> Result<Option<(Transaction, Option<u32>)>, ChainSourceError> {
        if let Some(txid) = self.index.spends.get(outpoint) {
            return Ok(self
                .index
                .found
                .get(txid)
                .map(|(tx, h)| (tx.clone(), Some(*h))));
        }
        let gone = |what: String| ChainSourceError::Rpc {
            url: self.url.to_owned(),
            reason: format!("{what}; reading again"),
        };
        // Unspent in the node's chain and in its mempool, in one answer (the usual case:
        // one call).
        if tx_out(self.rpc, self.url, outpoint, true)?.is_some() {
            return Ok(None);
        }
        if let Some(txid) = self.mempool_spender(outpoint)? {
            return match lookup_tx(self.rpc, self.url, &txid)? {
                Some((tx, _)) => Ok(Some((tx, None))),
                None => Err(gone(format!(
                    "{txid}, which spends {outpoint}, left the mempool"
                ))),
            };
        }
        // Nothing spends it in the blocks scanned or in the mempool, and the node has no
        // such unspent output: none at all, unless the output exists and is gone (spent in
        // a block newer than this look): no answer then, rather than a wrong "unspent".
        if self.index.found.contains_key(&outpoint.txid)
            || lookup_tx(self.rpc, self.url, &outpoint.txid)?.is_some()
        {
            return Err(gone(format!(
                "{outpoint} was spent in a block newer than this look"
            )));
        }
        Ok(None)
    }
}

impl ChainView for BitcoindView<'_> {
    fn tip_height(&self) -> u32 {
        self.tip
    }

    fn tx(&self, txid: &Txid) -> Option<(Transaction, Option<u32>)> {
        if let Some((tx, h)) = self.index.found.get(txid) {
            return Some((tx.clone(), Some(*h)));
        }
        // Not in a block the index scanned: the mempool (or a newer block, via -txindex).
        let found = self.keep(lookup_tx(self.rpc, self.url, txid))?;
        Some((found.0, found.1.filter(|h| *h <= self.tip)))
    }

    fn spending_tx(&self, outpoint: &OutPoint) -> Option<(Transaction, Option<u32>)> {
        self.keep(self.spender(outpoint))
    }
}
