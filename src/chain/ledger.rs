//! The regtest chain's rules and the in-memory chain: blocks, UTXO set, confirmed
//! transactions, mempool, mining and the faucet.
//!
//! The rules (what a submission checks, what mining includes and drops, how the faucet pays)
//! are written once, over the `ChainStore` trait: [`Chain`] implements it in memory (no
//! I/O), and the on-disk [`super::Ledger`] implements it on a transaction of its SQLite
//! database, so both follow exactly the same rules.

use std::cell::RefCell;
use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::block::{Header, Version as BlockVersion};
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::script::Builder;
use bitcoin::secp256k1::Message;
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, BlockHash, CompactTarget, OutPoint, Script, ScriptBuf, Sequence, TapSighashType,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness, XOnlyPublicKey,
};

use super::policy::{self, MIN_RELAY_FEE_SAT_PER_KVB};
use super::validate::{
    self, BlockTimes, Coin, CoinLookup, RejectError, UtxoView, Validated, COINBASE_MATURITY,
};
use super::LedgerError;

/// Time of the genesis block (UNIX seconds). Block `h` has time `GENESIS_TIME + 600 * h`.
pub const GENESIS_TIME: u32 = 1_700_000_000;
/// Seconds between consecutive blocks.
pub const BLOCK_INTERVAL: u32 = 600;
/// The block subsidy halves every this many blocks (the regtest rule).
pub const HALVING_INTERVAL: u32 = 150;
/// Compact target written into block headers (regtest's `0x207fffff`; never checked).
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// The faucet's fixed secret key: 32 bytes of `0x42`. Test use only, obviously.
/// The faucet holds its coins in key-path P2TR outputs of this key (no script tree).
pub const FAUCET_SECRET_KEY: [u8; 32] = [0x42; 32];

/// The block subsidy at `height`: 50 BTC halving every [`HALVING_INTERVAL`] blocks.
pub fn block_subsidy(height: u32) -> Amount {
    let halvings = height / HALVING_INTERVAL;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000u64) >> halvings)
}

/// The faucet's key pair (untweaked internal key).
pub fn faucet_keypair() -> Keypair {
    Keypair::from_seckey_slice(crate::crypto::secp(), &FAUCET_SECRET_KEY)
        .expect("constant key is valid")
}

/// The faucet's scriptPubKey: key-path-only P2TR of [`FAUCET_SECRET_KEY`].
pub fn faucet_script() -> ScriptBuf {
    let (xonly, _) = faucet_keypair().x_only_public_key();
    ScriptBuf::new_p2tr(crate::crypto::secp(), xonly, None)
}

/// Summary of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// Its height (genesis is 0).
    pub height: u32,
    /// Its timestamp (UNIX seconds).
    pub time: u32,
    /// Its header hash.
    pub hash: BlockHash,
    /// Its transactions in block order; the first is the coinbase (genesis has none).
    pub txids: Vec<Txid>,
}

/// The chain tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// Height of the tip block.
    pub height: u32,
    /// Its timestamp.
    pub time: u32,
    /// Its hash.
    pub hash: BlockHash,
    /// Its median time past (what time locktimes are compared against, BIP113).
    pub median_time_past: u32,
}

/// A confirmed unspent output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    /// The output.
    pub output: TxOut,
    /// Height of the block that confirmed it.
    pub height: u32,
    /// Whether it is a coinbase output.
    pub is_coinbase: bool,
}

/// A known transaction and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxInfo {
    /// The transaction.
    pub tx: Transaction,
    /// Height of the block that confirmed it; `None` while in the mempool.
    pub confirmation_height: Option<u32>,
}

#[derive(Debug, Clone)]
struct TxEntry {
    tx: Transaction,
    height: u32,
}

/// The whole regtest chain in memory.
#[derive(Debug, Clone)]
pub struct Chain {
    blocks: Vec<BlockInfo>,
    block_times: Vec<u32>,
    txs: HashMap<Txid, TxEntry>,
    utxos: HashMap<OutPoint, Utxo>,
    spent_by: HashMap<OutPoint, Txid>,
    mempool: Vec<Transaction>,
    mempool_index: HashMap<Txid, usize>,
    mempool_spends: HashMap<OutPoint, Txid>,
    mempool_entries: HashMap<Txid, (u32, bool)>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

fn merkle_root(txids: &[Txid]) -> TxMerkleNode {
    bitcoin::merkle_tree::calculate_root(
        txids
            .iter()
            .map(|t| TxMerkleNode::from_raw_hash(t.to_raw_hash())),
    )
    .unwrap_or_else(TxMerkleNode::all_zeros)
}

/// The header hash of a block with these fields.
pub(crate) fn block_hash(prev: BlockHash, time: u32, txids: &[Txid]) -> BlockHash {
    block_header(prev, time, txids).block_hash()
}

/// The header of a block with these fields: [`block_hash`] is its hash.
pub(crate) fn block_header(prev: BlockHash, time: u32, txids: &[Txid]) -> Header {
    Header {
        version: BlockVersion::TWO,
        prev_blockhash: prev,
        merkle_root: merkle_root(txids),
        time,
        bits: CompactTarget::from_consensus(REGTEST_BITS),
        nonce: 0,
    }
}

/// The coinbase of block `height` paying `value` to `to` (BIP34 height in the scriptSig,
/// which also makes every coinbase txid unique).
fn coinbase_tx(height: u32, value: Amount, to: ScriptBuf) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: Builder::new()
                .push_int(i64::from(height))
                .push_slice(b"asyncpay regtest")
                .into_script(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value,
            script_pubkey: to,
        }],
    }
}

/// The time of the block at `height`: the ledger's clock (genesis at [`GENESIS_TIME`],
/// [`BLOCK_INTERVAL`] between blocks).
pub(crate) fn block_time(height: u32) -> u32 {
    GENESIS_TIME + BLOCK_INTERVAL * height
}

/// Checks a block's coinbase: every output and their total within 21 million btc, and no
/// more than the subsidy at `height` plus the block's `fees` (`None`: they overflowed).
pub(crate) fn check_coinbase(
    height: u32,
    coinbase: &Transaction,
    fees: Option<Amount>,
) -> Result<(), String> {
    let claimed = coinbase
        .output
        .iter()
        .try_fold(Amount::ZERO, |total, o| {
            total
                .checked_add(o.value)
                .filter(|t| *t <= Amount::MAX_MONEY)
        })
        .ok_or("the coinbase pays more than 21 million btc")?;
    let allowed = fees
        .and_then(|f| f.checked_add(block_subsidy(height)))
        .ok_or("the block's fees overflow")?;
    if claimed > allowed {
        return Err(format!(
            "the coinbase claims {} sat, more than the subsidy and fees ({} sat)",
            claimed.to_sat(),
            allowed.to_sat()
        ));
    }
    Ok(())
}

/// The storage the chain's rules act on: the in-memory [`Chain`], or a transaction on the
/// ledger's database. Every method may fail with a storage error ([`Chain`]'s never do).
pub(crate) trait ChainStore {
    /// Height of the tip.
    fn tip_height(&self) -> Result<u32, LedgerError>;
    /// Time of the block at `height` (at most the tip).
    fn block_time(&self, height: u32) -> Result<u32, LedgerError>;
    /// Hash of the block at `height` (at most the tip).
    fn block_hash_at(&self, height: u32) -> Result<BlockHash, LedgerError>;
    /// Whether `txid` is confirmed.
    fn is_confirmed(&self, txid: &Txid) -> Result<bool, LedgerError>;
    /// Whether `txid` is in the mempool.
    fn in_mempool(&self, txid: &Txid) -> Result<bool, LedgerError>;
    /// A confirmed unspent output (whether or not a mempool transaction spends it).
    fn unspent(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError>;
    /// The confirmed transaction that spent `outpoint`.
    fn confirmed_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError>;
    /// The mempool transaction that spends `outpoint`.
    fn mempool_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError>;
    /// A mempool transaction.
    fn mempool_tx(&self, txid: &Txid) -> Result<Option<Transaction>, LedgerError>;
    /// An output of a mempool transaction.
    fn mempool_output(&self, outpoint: &OutPoint) -> Result<Option<TxOut>, LedgerError> {
        Ok(self
            .mempool_tx(&outpoint.txid)?
            .and_then(|tx| tx.output.get(outpoint.vout as usize).cloned()))
    }
    /// Calls `f` on the confirmed unspent outputs paying `script`, oldest first (by height,
    /// then outpoint), until it returns `false`.
    fn scan_unspent_for_script(
        &self,
        script: &Script,
        f: &mut dyn FnMut(OutPoint, Utxo) -> Result<bool, LedgerError>,
    ) -> Result<(), LedgerError>;
    /// Appends a validated transaction to the mempool.
    fn mempool_add(&mut self, txid: Txid, tx: &Transaction) -> Result<(), LedgerError>;
    /// Removes a transaction from the mempool (replaced, or evicted with what it replaced).
    fn mempool_remove(&mut self, txid: &Txid) -> Result<(), LedgerError>;
    /// The mempool, in acceptance order.
    fn mempool_txs(&self) -> Result<Vec<Transaction>, LedgerError>;
    /// When a mempool transaction entered (the tip's height then) and whether it was handed
    /// to a miner (mined whatever it pays); `None` for one recorded before entries were
    /// (taken as handed to a miner at the tip).
    fn mempool_entry_info(&self, txid: &Txid) -> Result<Option<(u32, bool)>, LedgerError>;
    /// Records [`ChainStore::mempool_entry_info`] of a transaction just added.
    fn mempool_set_entry_info(
        &mut self,
        txid: &Txid,
        height: u32,
        to_miner: bool,
    ) -> Result<(), LedgerError>;
    /// Empties the mempool, returning it in acceptance order.
    fn mempool_take(&mut self) -> Result<Vec<Transaction>, LedgerError>;
    /// Applies a transaction to the UTXO set without validation: it is transaction number
    /// `position` (0: the coinbase) of the block at `height`, which is pushed afterwards.
    fn connect_tx(
        &mut self,
        tx: &Transaction,
        txid: Txid,
        height: u32,
        position: u32,
    ) -> Result<(), LedgerError>;
    /// Appends a block whose transactions were connected; `header` hashes to `block.hash`.
    fn push_block(&mut self, header: &Header, block: BlockInfo) -> Result<(), LedgerError>;
}

/// A store seen by the validator: its UTXO set (plus the mempool if `with_mempool`) and its
/// block times. Lookups cannot fail in [`UtxoView`], so the first storage error is kept and
/// [`StoreView::validate`] returns it instead of the verdict.
struct StoreView<'a, S: ?Sized> {
    store: &'a S,
    with_mempool: bool,
    tip: u32,
    error: RefCell<Option<LedgerError>>,
}

impl<'a, S: ChainStore + ?Sized> StoreView<'a, S> {
    fn new(store: &'a S, with_mempool: bool) -> Result<Self, LedgerError> {
        Ok(StoreView {
            store,
            with_mempool,
            tip: store.tip_height()?,
            error: RefCell::new(None),
        })
    }

    fn keep<T>(&self, result: Result<T, LedgerError>, fallback: T) -> T {
        result.unwrap_or_else(|e| {
            self.error.borrow_mut().get_or_insert(e);
            fallback
        })
    }

    fn try_lookup(&self, outpoint: &OutPoint) -> Result<CoinLookup, LedgerError> {
        let store = self.store;
        if self.with_mempool {
            if let Some(by) = store.mempool_spender(outpoint)? {
                return Ok(CoinLookup::Spent {
                    by,
                    in_mempool: true,
                });
            }
        }
        if let Some(u) = store.unspent(outpoint)? {
            return Ok(CoinLookup::Unspent(Coin {
                output: u.output,
                height: u.height,
                is_coinbase: u.is_coinbase,
            }));
        }
        if self.with_mempool {
            if let Some(output) = store.mempool_output(outpoint)? {
                return Ok(CoinLookup::Unspent(Coin {
                    output,
                    height: self.tip + 1,
                    is_coinbase: false,
                }));
            }
        }
        if let Some(by) = store.confirmed_spender(outpoint)? {
            return Ok(CoinLookup::Spent {
                by,
                in_mempool: false,
            });
        }
        Ok(CoinLookup::Missing)
    }

    /// [`validate::validate_transaction`] for the block above the tip.
    fn validate(self, tx: &Transaction) -> Result<Result<Validated, RejectError>, LedgerError> {
        let verdict = validate::validate_transaction(tx, &self, &self);
        match self.error.into_inner() {
            Some(e) => Err(e),
            None => Ok(verdict),
        }
    }
}

impl<S: ChainStore + ?Sized> UtxoView for StoreView<'_, S> {
    fn lookup(&self, outpoint: &OutPoint) -> CoinLookup {
        self.keep(self.try_lookup(outpoint), CoinLookup::Missing)
    }
}

impl<S: ChainStore + ?Sized> BlockTimes for StoreView<'_, S> {
    fn tip_height(&self) -> u32 {
        self.tip
    }

    fn time_at(&self, height: u32) -> u32 {
        self.keep(self.store.block_time(height), 0)
    }
}

/// The tip of a store.
pub(crate) fn store_tip<S: ChainStore + ?Sized>(store: &S) -> Result<Tip, LedgerError> {
    let height = store.tip_height()?;
    let window = (height.saturating_sub(10)..=height)
        .map(|h| store.block_time(h))
        .collect::<Result<Vec<u32>, _>>()?;
    Ok(Tip {
        height,
        time: *window.last().expect("the window holds the tip"),
        hash: store.block_hash_at(height)?,
        median_time_past: validate::median_time_past(&window, (window.len() - 1) as u32),
    })
}

/// Validates `tx` by consensus for the next block, against the confirmed UTXOs plus the
/// mempool of `store`. Returns the fee. (Policy, and what is already known, is
/// [`super::policy`]'s.)
pub(crate) fn store_validate<S: ChainStore + ?Sized>(
    store: &S,
    tx: &Transaction,
) -> Result<Result<Amount, RejectError>, LedgerError> {
    Ok(StoreView::new(store, true)?.validate(tx)?.map(|v| v.fee))
}

/// Mines one block: the mempool transactions a miner takes ([`policy::left_out_of_block`]:
/// packages paying at least `min_rate` sat per 1,000 vB, and what was handed to a miner),
/// re-validated at the
/// new height (invalid ones are dropped, and with them their descendants), then the
/// coinbase paying subsidy plus fees to `to`. The others stay in the mempool. Returns the
/// block hash and the dropped txids.
pub(crate) fn store_mine_block<S: ChainStore + ?Sized>(
    store: &mut S,
    to: &Script,
    min_rate: u64,
) -> Result<(BlockHash, Vec<Txid>), LedgerError> {
    let tip = store.tip_height()?;
    let height = tip + 1;
    let time = block_time(height);
    let mut txids = Vec::new();
    let mut dropped = Vec::new();
    let mut fees = Amount::ZERO;
    // What a miner takes (the rest waits in the mempool, as it entered).
    let waiting = policy::left_out_of_block(&*store, min_rate)?;
    let mut left = Vec::new();
    for tx in store.mempool_take()? {
        let txid = tx.compute_txid();
        if let Some(info) = waiting.get(&txid).copied() {
            left.push((txid, tx, info));
            continue;
        }
        // Transactions connected earlier in this block are in the UTXO set already, at
        // height `height`, which is right for children in the same block.
        let verdict = StoreView::new(&*store, false)?.validate(&tx)?;
        let included = match verdict {
            Ok(v) => (!store.is_confirmed(&txid)?).then_some(v),
            Err(_) => None,
        };
        match included {
            Some(v) => {
                fees += v.fee;
                // Connect now so later children can spend it.
                store.connect_tx(&tx, txid, height, txids.len() as u32 + 1)?;
                txids.push(txid);
            }
            None => dropped.push(txid),
        }
    }
    // The ones left out wait, as they entered (valid still, unless they spent a dropped one).
    for (txid, tx, (entered, to_miner)) in left {
        match StoreView::new(&*store, true)?.validate(&tx)? {
            Ok(_) => {
                store.mempool_add(txid, &tx)?;
                store.mempool_set_entry_info(&txid, entered, to_miner)?;
            }
            Err(_) => dropped.push(txid),
        }
    }
    let coinbase = coinbase_tx(height, block_subsidy(height) + fees, to.to_owned());
    let coinbase_txid = coinbase.compute_txid();
    store.connect_tx(&coinbase, coinbase_txid, height, 0)?;
    let mut all = Vec::with_capacity(txids.len() + 1);
    all.push(coinbase_txid);
    all.extend(txids);
    let prev = store.block_hash_at(tip)?;
    let header = block_header(prev, time, &all);
    let hash = header.block_hash();
    store.push_block(
        &header,
        BlockInfo {
            height,
            time,
            hash,
            txids: all,
        },
    )?;
    Ok((hash, dropped))
}

/// Drops `txid` and the mempool transactions that descend from it, as a node's mempool
/// drops a transaction that waited there two weeks (`-mempoolexpiry`) or that a full
/// mempool evicted. Returns the transactions dropped (none if `txid` is not waiting).
pub(crate) fn store_expire<S: ChainStore + ?Sized>(
    store: &mut S,
    txid: &Txid,
) -> Result<Vec<Txid>, LedgerError> {
    let mempool = store.mempool_txs()?;
    let mut dropped = Vec::new();
    // In acceptance order: a transaction comes after those it spends.
    for tx in &mempool {
        let id = tx.compute_txid();
        if id == *txid
            || tx
                .input
                .iter()
                .any(|i| dropped.contains(&i.previous_output.txid))
        {
            dropped.push(id);
        }
    }
    for id in &dropped {
        store.mempool_remove(id)?;
    }
    Ok(dropped)
}

/// Mines `n` blocks, the coinbases paying `to` (default: the faucet). The first block
/// takes the mempool's valid transactions. Returns the new block hashes.
pub(crate) fn store_mine<S: ChainStore + ?Sized>(
    store: &mut S,
    n: u32,
    to: Option<&Script>,
    min_rate: u64,
) -> Result<Vec<BlockHash>, LedgerError> {
    let faucet = faucet_script();
    let to = to.unwrap_or(&faucet);
    (0..n)
        .map(|_| store_mine_block(store, to, min_rate).map(|(hash, _)| hash))
        .collect()
}

/// Pays `amount` to `script_pubkey` from the faucet in a normal, fully validated
/// transaction and mines it (with the rest of the mempool) into a block. Mines blocks to the
/// faucet first as long as its mature coins do not cover `amount`. Returns the funded
/// outpoint (output 0 of the funding transaction).
pub(crate) fn store_fund<S: ChainStore + ?Sized>(
    store: &mut S,
    script_pubkey: &Script,
    amount: Amount,
) -> Result<OutPoint, LedgerError> {
    if amount > Amount::MAX_MONEY {
        return Err(LedgerError::Faucet(format!(
            "cannot fund {} sat: more than 21 million btc",
            amount.to_sat()
        )));
    }
    let faucet = faucet_script();
    let mut blocks_mined = 0u32;
    loop {
        let next = store.tip_height()? + 1;
        // The oldest mature faucet coins no mempool transaction spends, until they cover
        // `amount`.
        let mut selected: Vec<(OutPoint, Utxo)> = Vec::new();
        let mut total = Amount::ZERO;
        let reader: &S = store;
        reader.scan_unspent_for_script(&faucet, &mut |o, u| {
            if total >= amount && !selected.is_empty() {
                return Ok(false);
            }
            let usable = reader.mempool_spender(&o)?.is_none()
                && (!u.is_coinbase || next - u.height >= COINBASE_MATURITY);
            if usable {
                total += u.output.value;
                selected.push((o, u));
            }
            Ok(true)
        })?;
        if !selected.is_empty() && total >= amount {
            let tx = faucet_payment(&selected, script_pubkey, amount, total, &faucet);
            // Mined at once (as bitcoind's `generateblock` with a transaction would): only
            // consensus applies, so the faucet pays no fee.
            let txid = policy::store_submit_to_miner(store, &tx)??;
            store_mine_block(store, &faucet, MIN_RELAY_FEE_SAT_PER_KVB)?;
            return Ok(OutPoint::new(txid, 0));
        }
        if blocks_mined >= 10_000 || block_subsidy(next) == Amount::ZERO {
            return Err(LedgerError::Faucet(format!(
                "faucet cannot gather {} sat (it has {} sat mature)",
                amount.to_sat(),
                total.to_sat()
            )));
        }
        store_mine_block(store, &faucet, MIN_RELAY_FEE_SAT_PER_KVB)?;
        blocks_mined += 1;
    }
}

/// The faucet's signed payment of `amount` to `to` from `coins` (worth `total`), the change
/// back to the faucet.
fn faucet_payment(
    coins: &[(OutPoint, Utxo)],
    to: &Script,
    amount: Amount,
    total: Amount,
    faucet: &Script,
) -> Transaction {
    let mut output = vec![TxOut {
        value: amount,
        script_pubkey: to.to_owned(),
    }];
    if total > amount {
        output.push(TxOut {
            value: total - amount,
            script_pubkey: faucet.to_owned(),
        });
    }
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: coins
            .iter()
            .map(|(o, _)| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output,
    };
    let prevouts: Vec<TxOut> = coins.iter().map(|(_, u)| u.output.clone()).collect();
    let secp = crate::crypto::secp();
    let tweaked = faucet_keypair().tap_tweak(secp, None).to_keypair();
    let mut witnesses = Vec::with_capacity(coins.len());
    {
        let mut cache = SighashCache::new(&tx);
        for i in 0..coins.len() {
            let sighash = cache
                .taproot_key_spend_signature_hash(
                    i,
                    &Prevouts::All(&prevouts),
                    TapSighashType::Default,
                )
                .expect("inputs and prevouts match");
            let signature = secp
                .sign_schnorr_no_aux_rand(&Message::from_digest(sighash.to_byte_array()), &tweaked);
            witnesses.push(Witness::p2tr_key_spend(&bitcoin::taproot::Signature {
                signature,
                sighash_type: TapSighashType::Default,
            }));
        }
    }
    for (input, w) in tx.input.iter_mut().zip(witnesses) {
        input.witness = w;
    }
    tx
}

/// A result of the in-memory chain, which has no storage to fail.
fn infallible<T>(result: Result<T, LedgerError>) -> T {
    result.expect("the in-memory chain has no storage errors")
}

impl ChainStore for Chain {
    fn tip_height(&self) -> Result<u32, LedgerError> {
        Ok(self.height())
    }
    fn block_time(&self, height: u32) -> Result<u32, LedgerError> {
        Ok(self.block_times[height as usize])
    }
    fn block_hash_at(&self, height: u32) -> Result<BlockHash, LedgerError> {
        Ok(self.blocks[height as usize].hash)
    }
    fn is_confirmed(&self, txid: &Txid) -> Result<bool, LedgerError> {
        Ok(self.txs.contains_key(txid))
    }
    fn in_mempool(&self, txid: &Txid) -> Result<bool, LedgerError> {
        Ok(self.mempool_index.contains_key(txid))
    }
    fn unspent(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError> {
        Ok(self.utxos.get(outpoint).cloned())
    }
    fn confirmed_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        Ok(self.spent_by.get(outpoint).copied())
    }
    fn mempool_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        Ok(self.mempool_spends.get(outpoint).copied())
    }
    fn mempool_tx(&self, txid: &Txid) -> Result<Option<Transaction>, LedgerError> {
        Ok(self
            .mempool_index
            .get(txid)
            .map(|&i| self.mempool[i].clone()))
    }
    fn scan_unspent_for_script(
        &self,
        script: &Script,
        f: &mut dyn FnMut(OutPoint, Utxo) -> Result<bool, LedgerError>,
    ) -> Result<(), LedgerError> {
        for (o, u) in self.utxos_for_script(script) {
            if !f(o, u)? {
                break;
            }
        }
        Ok(())
    }
    fn mempool_add(&mut self, txid: Txid, tx: &Transaction) -> Result<(), LedgerError> {
        self.add_to_mempool(txid, tx.clone());
        Ok(())
    }
    fn mempool_take(&mut self) -> Result<Vec<Transaction>, LedgerError> {
        Ok(self.clear_mempool())
    }
    fn mempool_remove(&mut self, txid: &Txid) -> Result<(), LedgerError> {
        let entries = std::mem::take(&mut self.mempool_entries);
        let kept: Vec<Transaction> = self
            .clear_mempool()
            .into_iter()
            .filter(|tx| tx.compute_txid() != *txid)
            .collect();
        for tx in kept {
            self.add_to_mempool(tx.compute_txid(), tx);
        }
        self.mempool_entries = entries;
        self.mempool_entries.remove(txid);
        Ok(())
    }
    fn mempool_txs(&self) -> Result<Vec<Transaction>, LedgerError> {
        Ok(self.mempool.clone())
    }
    fn mempool_entry_info(&self, txid: &Txid) -> Result<Option<(u32, bool)>, LedgerError> {
        Ok(self.mempool_entries.get(txid).copied())
    }
    fn mempool_set_entry_info(
        &mut self,
        txid: &Txid,
        height: u32,
        to_miner: bool,
    ) -> Result<(), LedgerError> {
        self.mempool_entries.insert(*txid, (height, to_miner));
        Ok(())
    }
    fn connect_tx(
        &mut self,
        tx: &Transaction,
        _txid: Txid,
        height: u32,
        _position: u32,
    ) -> Result<(), LedgerError> {
        Chain::connect_tx(self, tx.clone(), height);
        Ok(())
    }
    fn push_block(&mut self, _header: &Header, block: BlockInfo) -> Result<(), LedgerError> {
        Chain::push_block(self, block);
        Ok(())
    }
}

impl Chain {
    /// A chain holding only the genesis block (no transactions, time [`GENESIS_TIME`]).
    pub fn new() -> Chain {
        let mut chain = Chain {
            blocks: Vec::new(),
            block_times: Vec::new(),
            txs: HashMap::new(),
            utxos: HashMap::new(),
            spent_by: HashMap::new(),
            mempool: Vec::new(),
            mempool_index: HashMap::new(),
            mempool_spends: HashMap::new(),
            mempool_entries: HashMap::new(),
        };
        let hash = block_hash(BlockHash::all_zeros(), GENESIS_TIME, &[]);
        chain.push_block(BlockInfo {
            height: 0,
            time: GENESIS_TIME,
            hash,
            txids: Vec::new(),
        });
        chain
    }

    fn push_block(&mut self, block: BlockInfo) {
        self.block_times.push(block.time);
        self.blocks.push(block);
    }

    /// Height of the tip.
    pub fn height(&self) -> u32 {
        (self.blocks.len() - 1) as u32
    }

    /// The tip.
    pub fn tip(&self) -> Tip {
        infallible(store_tip(self))
    }

    /// All blocks, genesis first.
    pub fn blocks(&self) -> &[BlockInfo] {
        &self.blocks
    }

    /// The block at `height`.
    pub fn block(&self, height: u32) -> Option<&BlockInfo> {
        self.blocks.get(height as usize)
    }

    /// Times of all blocks, `block_times()[h]` being block `h`'s.
    pub fn block_times(&self) -> &[u32] {
        &self.block_times
    }

    /// A confirmed unspent output (regardless of whether a mempool tx spends it).
    pub fn utxo(&self, outpoint: &OutPoint) -> Option<Utxo> {
        self.utxos.get(outpoint).cloned()
    }

    /// All confirmed unspent outputs paying `script`, oldest first.
    pub fn utxos_for_script(&self, script: &Script) -> Vec<(OutPoint, Utxo)> {
        let mut v: Vec<(OutPoint, Utxo)> = self
            .utxos
            .iter()
            .filter(|(_, u)| u.output.script_pubkey.as_script() == script)
            .map(|(o, u)| (*o, u.clone()))
            .collect();
        v.sort_by_key(|(o, u)| (u.height, *o));
        v
    }

    /// A confirmed or mempool transaction.
    pub fn tx(&self, txid: &Txid) -> Option<TxInfo> {
        if let Some(e) = self.txs.get(txid) {
            return Some(TxInfo {
                tx: e.tx.clone(),
                confirmation_height: Some(e.height),
            });
        }
        self.mempool_index.get(txid).map(|&i| TxInfo {
            tx: self.mempool[i].clone(),
            confirmation_height: None,
        })
    }

    /// The transaction that spent `outpoint`: a confirmed one, else a mempool one.
    pub fn spending_tx(&self, outpoint: &OutPoint) -> Option<TxInfo> {
        let txid = self
            .spent_by
            .get(outpoint)
            .or_else(|| self.mempool_spends.get(outpoint))?;
        self.tx(txid)
    }

    /// The mempool, in acceptance order (parents before children).
    pub fn mempool(&self) -> &[Transaction] {
        &self.mempool
    }

    /// The output `outpoint` refers to, whether confirmed (even if spent) or in the
    /// mempool.
    pub fn output(&self, outpoint: &OutPoint) -> Option<TxOut> {
        let tx = match self.txs.get(&outpoint.txid) {
            Some(e) => &e.tx,
            None => &self.mempool[*self.mempool_index.get(&outpoint.txid)?],
        };
        tx.output.get(outpoint.vout as usize).cloned()
    }

    /// Validates `tx` for the mempool, consensus and relay policy ([`super::policy`]), for
    /// the next block, without adding it. Returns the fee.
    pub fn check(&self, tx: &Transaction) -> Result<Amount, RejectError> {
        infallible(policy::store_check(self, tx))
    }

    /// Validates `tx` (consensus and relay policy) and adds it to the mempool, replacing
    /// the mempool transactions it outbids.
    pub fn submit(&mut self, tx: Transaction) -> Result<Txid, RejectError> {
        infallible(policy::store_submit(self, &tx))
    }

    /// Validates `tx` by consensus alone for the next block (what a miner may include),
    /// without adding it. Returns the fee.
    pub fn check_consensus(&self, tx: &Transaction) -> Result<Amount, RejectError> {
        infallible(store_validate(self, tx))
    }

    /// Hands `tx` to a miner: consensus rules only, mined with the next block (see
    /// [`Ledger::submit_to_miner`](super::Ledger::submit_to_miner)).
    pub fn submit_to_miner(&mut self, tx: Transaction) -> Result<Txid, RejectError> {
        infallible(policy::store_submit_to_miner(self, &tx))
    }

    /// Submits a package: a child with its unconfirmed parents, parents first (see
    /// [`super::policy`]). Returns the transactions it added.
    pub fn submit_package(&mut self, txs: &[Transaction]) -> Result<Vec<Txid>, RejectError> {
        infallible(policy::store_submit_package(self, txs))
    }

    fn add_to_mempool(&mut self, txid: Txid, tx: Transaction) {
        for input in &tx.input {
            self.mempool_spends.insert(input.previous_output, txid);
        }
        self.mempool_index.insert(txid, self.mempool.len());
        self.mempool.push(tx);
    }

    fn clear_mempool(&mut self) -> Vec<Transaction> {
        self.mempool_index.clear();
        self.mempool_spends.clear();
        self.mempool_entries.clear();
        std::mem::take(&mut self.mempool)
    }

    /// Applies a transaction to the UTXO set without validation.
    fn connect_tx(&mut self, tx: Transaction, height: u32) -> Txid {
        let txid = tx.compute_txid();
        let is_coinbase = tx.is_coinbase();
        if !is_coinbase {
            for input in &tx.input {
                self.utxos.remove(&input.previous_output);
                self.spent_by.insert(input.previous_output, txid);
            }
        }
        for (vout, output) in tx.output.iter().enumerate() {
            if output.script_pubkey.is_op_return() {
                continue;
            }
            self.utxos.insert(
                OutPoint::new(txid, vout as u32),
                Utxo {
                    output: output.clone(),
                    height,
                    is_coinbase,
                },
            );
        }
        self.txs.insert(txid, TxEntry { tx, height });
        txid
    }

    /// Mines one block (see [`store_mine_block`]). Returns its hash and the dropped txids.
    #[cfg(test)]
    fn mine_block(&mut self, to: &Script) -> (BlockHash, Vec<Txid>) {
        infallible(store_mine_block(self, to, MIN_RELAY_FEE_SAT_PER_KVB))
    }

    /// Mines `n` blocks, the coinbases paying `to` (default: the faucet). The first block
    /// takes the mempool's valid transactions; the rest of the mempool is dropped.
    /// Returns the new block hashes.
    pub fn mine(&mut self, n: u32, to: Option<&Script>) -> Vec<BlockHash> {
        infallible(store_mine(self, n, to, MIN_RELAY_FEE_SAT_PER_KVB))
    }

    /// Pays `amount` to `script_pubkey` from the faucet in a normal, fully validated
    /// transaction and mines it (with the rest of the mempool) into a block. Mines blocks
    /// to the faucet first as long as its mature coins do not cover `amount`. Returns the
    /// funded outpoint (output 0 of the funding transaction).
    pub fn fund(
        &mut self,
        script_pubkey: &Script,
        amount: Amount,
    ) -> Result<OutPoint, LedgerError> {
        store_fund(self, script_pubkey, amount)
    }

    /// Rebuilds a chain from stored blocks (each with its transactions, coinbase first)
    /// and a stored mempool, checking heights, times and hashes, and validating every
    /// transaction again as mining did: each by consensus at its height (so a file edited to
    /// hold a double spend, a forged signature or a coin from nowhere is refused), each
    /// coinbase for at most the subsidy plus its block's fees, and the mempool on top.
    pub(crate) fn from_parts(
        blocks: Vec<(u32, u32, BlockHash, Vec<Transaction>)>,
        mempool: Vec<Transaction>,
    ) -> Result<Chain, String> {
        let mut chain = Chain {
            blocks: Vec::with_capacity(blocks.len()),
            block_times: Vec::with_capacity(blocks.len()),
            txs: HashMap::new(),
            utxos: HashMap::new(),
            spent_by: HashMap::new(),
            mempool: Vec::new(),
            mempool_index: HashMap::new(),
            mempool_spends: HashMap::new(),
            mempool_entries: HashMap::new(),
        };
        let mut prev = BlockHash::all_zeros();
        for (i, (height, time, hash, txs)) in blocks.into_iter().enumerate() {
            if height as usize != i {
                return Err(format!("block {i} claims height {height}"));
            }
            let txids = chain.connect_block(height, txs)?;
            let computed = block_hash(prev, time, &txids);
            if computed != hash {
                return Err(format!(
                    "block {height} hash {hash} does not match its contents ({computed})"
                ));
            }
            chain.push_block(BlockInfo {
                height,
                time,
                hash,
                txids,
            });
            prev = hash;
        }
        if chain.blocks.is_empty() {
            return Err("no genesis block".into());
        }
        for tx in mempool {
            let txid = tx.compute_txid();
            infallible(policy::store_submit_to_miner(&mut chain, &tx))
                .map_err(|e| format!("mempool transaction {txid} is invalid: {e}"))?;
        }
        Ok(chain)
    }

    /// Validates and connects the transactions of block `height` (the next one; genesis has
    /// none, every other block a coinbase first). Returns their txids in block order.
    fn connect_block(&mut self, height: u32, txs: Vec<Transaction>) -> Result<Vec<Txid>, String> {
        let mut txs = txs.into_iter();
        let coinbase = match txs.next() {
            None if height == 0 => return Ok(Vec::new()),
            Some(_) if height == 0 => return Err("the genesis block holds transactions".into()),
            Some(tx) if tx.is_coinbase() => tx,
            _ => return Err(format!("block {height} does not start with a coinbase")),
        };
        let mut txids = vec![coinbase.compute_txid()];
        let mut fees = Some(Amount::ZERO);
        for tx in txs {
            let txid = tx.compute_txid();
            let fee = infallible(StoreView::new(&*self, false).and_then(|v| v.validate(&tx)))
                .map_err(|e| format!("block {height}: transaction {txid} is invalid: {e}"))?
                .fee;
            fees = fees.and_then(|f| f.checked_add(fee));
            txids.push(self.connect_tx(tx, height));
        }
        check_coinbase(height, &coinbase, fees).map_err(|e| format!("block {height}: {e}"))?;
        self.connect_tx(coinbase, height);
        Ok(txids)
    }

    /// The transactions of block `height`, in block order.
    pub(crate) fn block_transactions(&self, height: u32) -> Vec<&Transaction> {
        self.blocks[height as usize]
            .txids
            .iter()
            .map(|t| &self.txs[t].tx)
            .collect()
    }

    /// The header of block `height`, exactly as hashed into [`BlockInfo::hash`] (version 2,
    /// the previous block's hash, the merkle root of its txids, its time, regtest bits,
    /// nonce 0; genesis has an all-zero previous hash and merkle root).
    pub fn header(&self, height: u32) -> Option<Header> {
        let block = self.blocks.get(height as usize)?;
        let prev = match height.checked_sub(1) {
            Some(p) => self.blocks[p as usize].hash,
            None => BlockHash::all_zeros(),
        };
        let header = block_header(prev, block.time, &block.txids);
        debug_assert_eq!(header.block_hash(), block.hash, "header of block {height}");
        Some(header)
    }

    /// Block `height` as a full [`bitcoin::Block`] (header and transactions, coinbase
    /// first), for chain clients such as an on-chain wallet. Its `block_hash()` is
    /// [`BlockInfo::hash`]. Genesis has no transactions.
    pub fn full_block(&self, height: u32) -> Option<bitcoin::Block> {
        let header = self.header(height)?;
        let txdata = self
            .block_transactions(height)
            .into_iter()
            .cloned()
            .collect();
        Some(bitcoin::Block { header, txdata })
    }

    /// The hash of the genesis block (the same for every ledger: no transactions, time
    /// [`GENESIS_TIME`]; it is not Bitcoin's regtest genesis).
    pub fn genesis_hash(&self) -> BlockHash {
        self.blocks[0].hash
    }

    /// The x-only internal key of the faucet.
    pub fn faucet_internal_key() -> XOnlyPublicKey {
        faucet_keypair().x_only_public_key().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidy_halves_every_150_blocks() {
        assert_eq!(block_subsidy(0), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(149), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(150), Amount::from_btc(25.0).unwrap());
        assert_eq!(block_subsidy(300), Amount::from_btc(12.5).unwrap());
        assert_eq!(block_subsidy(150 * 64), Amount::ZERO);
    }

    #[test]
    fn fund_mines_to_maturity_and_pays() {
        let mut chain = Chain::new();
        let target = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
        let op = chain.fund(&target, Amount::from_sat(12_345)).unwrap();
        // The coinbase of block 1 is spendable in block 101.
        assert_eq!(chain.height(), 101);
        let u = chain.utxo(&op).unwrap();
        assert_eq!(u.output.value, Amount::from_sat(12_345));
        assert_eq!(u.height, 101);
        assert!(chain.mempool().is_empty());
        // A second funding reuses the change without 100 more blocks.
        chain.fund(&target, Amount::from_sat(1)).unwrap();
        assert_eq!(chain.height(), 102);
        assert_eq!(chain.utxos_for_script(&target).len(), 2);
        // Block times are deterministic.
        assert_eq!(chain.tip().time, GENESIS_TIME + 102 * BLOCK_INTERVAL);
    }

    #[test]
    fn full_blocks_hash_to_the_stored_hashes() {
        let mut chain = Chain::new();
        let target = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
        chain.fund(&target, Amount::from_sat(5)).unwrap();
        assert_eq!(chain.genesis_hash(), Chain::new().tip().hash);
        for info in chain.blocks() {
            let block = chain.full_block(info.height).unwrap();
            assert_eq!(block.block_hash(), info.hash);
            assert_eq!(block.header.time, info.time);
            let txids: Vec<Txid> = block.txdata.iter().map(|t| t.compute_txid()).collect();
            assert_eq!(txids, info.txids);
            if info.height > 0 {
                assert!(block.check_merkle_root());
                assert_eq!(
                    block.header.prev_blockhash,
                    chain.block(info.height - 1).unwrap().hash
                );
            }
        }
        assert!(chain.full_block(chain.height() + 1).is_none());
    }

    #[test]
    fn from_parts_round_trips() {
        let mut chain = Chain::new();
        let target = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
        chain.fund(&target, Amount::from_sat(5)).unwrap();
        let blocks = chain
            .blocks()
            .iter()
            .map(|b| {
                let txs = chain
                    .block_transactions(b.height)
                    .into_iter()
                    .cloned()
                    .collect();
                (b.height, b.time, b.hash, txs)
            })
            .collect();
        let copy = Chain::from_parts(blocks, Vec::new()).unwrap();
        assert_eq!(copy.tip(), chain.tip());
        assert_eq!(copy.utxos, chain.utxos);
    }

    #[test]
    fn a_replacement_takes_the_place_of_what_it_outbids_in_memory() {
        let mut chain = Chain::new();
        let anchor = ScriptBuf::new_p2a();
        let coin = chain.fund(&anchor, Amount::from_sat(10_000)).unwrap();
        let spend = |each: u64| Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: coin,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: Amount::from_sat(each),
                    script_pubkey: anchor.clone(),
                };
                2
            ],
        };
        let (first, better) = (spend(4_000), spend(3_000));
        chain.submit(first.clone()).unwrap();
        let err = chain.submit(spend(3_990)).unwrap_err();
        assert!(err.to_string().starts_with("insufficient fee"), "{err}");
        let id = chain.submit(better.clone()).unwrap();
        assert_eq!(chain.mempool(), &[better]);
        assert_eq!(chain.spending_tx(&coin).unwrap().tx.compute_txid(), id);
        chain.mine(1, None);
        assert_eq!(
            chain.tx(&id).unwrap().confirmation_height,
            Some(chain.height())
        );
        assert!(chain.tx(&first.compute_txid()).is_none());
    }

    #[test]
    fn mining_drops_invalid_mempool_txs_with_descendants() {
        let mut chain = Chain::new();
        let anchor = ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]);
        let good = chain.fund(&anchor, Amount::from_sat(1_000)).unwrap();
        let faucet_coin = chain.utxos_for_script(&faucet_script())[0].0;
        let spend = |prev: OutPoint, witness: Witness| Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: prev,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness,
            }],
            output: vec![TxOut {
                value: Amount::from_sat(500),
                script_pubkey: anchor.clone(),
            }],
        };
        // An invalid parent (garbage signature) slipped into the mempool, and its child.
        let bad_parent = spend(faucet_coin, Witness::from_slice(&[[7u8; 64]]));
        let bad_id = bad_parent.compute_txid();
        let bad_child = spend(OutPoint::new(bad_id, 0), Witness::new());
        let child_id = bad_child.compute_txid();
        chain.add_to_mempool(bad_id, bad_parent);
        chain.add_to_mempool(child_id, bad_child);
        let good_id = chain.submit_to_miner(spend(good, Witness::new())).unwrap();
        assert_eq!(chain.mempool().len(), 3);
        let (_, dropped) = chain.mine_block(&faucet_script());
        assert_eq!(dropped, vec![bad_id, child_id]);
        assert!(chain.mempool().is_empty());
        assert_eq!(
            chain.tx(&good_id).unwrap().confirmation_height,
            Some(chain.height())
        );
        assert!(chain.tx(&bad_id).is_none());
        assert!(chain.utxo(&faucet_coin).is_some());
    }
}
