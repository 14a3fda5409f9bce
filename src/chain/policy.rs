//! The relay policy the ledger's mempool applies on top of consensus, as a Bitcoin
//! Inquisition 28 node with default settings applies it (Bitcoin Core's mempool policy with
//! ephemeral dust), with the node's reject reasons, so that what the ledger takes a node
//! takes too:
//! - **standardness**: version 1 to 3, at most one dust output;
//! - **minimum relay fee**: 1 sat/vB; a version 3 (TRUC) transaction below it only in a
//!   package whose rate covers it;
//! - **TRUC topology** (BIP431): a version 3 transaction spends only version 3 unconfirmed
//!   transactions and is spent only by them, at most 10,000 vB, at most one unconfirmed
//!   ancestor and one descendant, a child at most 1,000 vB; a second child of a parent
//!   evicts the first (sibling eviction) when it pays for it;
//! - **ephemeral dust**: a transaction with a dust output (the zero-value pay-to-anchor)
//!   pays no fee itself, and its child spends that output;
//! - **replacement** (full RBF, rules 2 to 6 of BIP125 as Core applies them): a
//!   transaction conflicting with mempool transactions replaces them and their descendants
//!   when it pays more in total, pays for its own relay, and has a higher fee rate than each
//!   one it conflicts with directly;
//! - **packages** (`submitpackage`): a child with its parents; each parent alone first,
//!   those refused for their fee rate only then with the child at the package's rate;
//!   package replacement for one parent and one child, clusters of at most two, judged by
//!   the feerate diagram;
//! - **chain limits**: 25 unconfirmed ancestors, 25 descendants;
//! - **block assembly** (`left_out_of_block`): a block takes packages paying at least
//!   1 sat/vB (a busy mempool's block, `Ledger::mine_busy`, more), best rate first, and
//!   what was handed to a miner (`store_submit_to_miner`, which relay cannot outbid); the
//!   rest waits.
//!
//! Everything is checked over an overlay of the store (the mempool minus what would be
//! replaced, plus what is submitted); nothing is written until every check passed. What
//! still differs from the node is listed in `docs/adr/0010-ledger-relay-policy.md`;
//! `tests/policy.rs` runs each rule on both.

use std::collections::{BTreeSet, HashMap, HashSet};

use bitcoin::transaction::Version;
use bitcoin::{Amount, BlockHash, OutPoint, Script, Transaction, TxOut, Txid};

use super::ledger::{store_validate, ChainStore, Utxo};
use super::source::MempoolEntry;
use super::validate::{check_transaction, RejectError};
use super::LedgerError;

/// The minimum relay fee rate and the incremental relay fee rate, in sat per 1,000 vB
/// (Bitcoin Core 28's defaults).
pub const MIN_RELAY_FEE_SAT_PER_KVB: u64 = 1_000;
/// The largest version 3 transaction, in vB.
pub const TRUC_MAX_VSIZE: u64 = 10_000;
/// The largest version 3 transaction with an unconfirmed parent, in vB.
pub const TRUC_CHILD_MAX_VSIZE: u64 = 1_000;
/// The most mempool transactions one replacement may evict.
pub const MAX_REPLACEMENT_CANDIDATES: usize = 100;
/// The most unconfirmed ancestors (or descendants) a transaction may have, itself included.
pub const MAX_CHAIN: usize = 25;
/// The smallest transaction relayed, without its witness, in bytes.
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;

const TRUC: Version = Version(3);

/// The fee a transaction of `vsize` vB must pay at the minimum (or incremental) relay fee.
pub fn min_relay_fee(vsize: u64) -> Amount {
    Amount::from_sat(MIN_RELAY_FEE_SAT_PER_KVB * vsize / 1_000)
}

/// Whether `output` is dust at Core's dust relay fee (3 sat/vB): a zero-value
/// pay-to-anchor is.
pub fn is_dust(output: &TxOut) -> bool {
    !output.script_pubkey.is_op_return() && output.value < output.script_pubkey.minimal_non_dust()
}

fn refuse(reason: impl Into<String>, detail: impl Into<String>) -> RejectError {
    RejectError::Policy {
        reason: reason.into(),
        detail: detail.into(),
    }
}

/// A refusal, and whether Core would reconsider it in a package (a fee rate too low).
struct Refusal {
    error: RejectError,
    reconsiderable: bool,
}

impl From<RejectError> for Refusal {
    fn from(error: RejectError) -> Self {
        Refusal {
            error,
            reconsiderable: false,
        }
    }
}

fn reconsiderable(error: RejectError) -> Refusal {
    Refusal {
        error,
        reconsiderable: true,
    }
}

/// Bitcoin Core's `FormatMoney`: btc with at least 2 decimals.
fn btc(amount: Amount) -> String {
    let s = format!("{:.8}", amount.to_btc());
    let trimmed = s.trim_end_matches('0');
    match trimmed.split_once('.') {
        Some((_, decimals)) if decimals.len() < 2 => {
            format!("{trimmed}{}", "0".repeat(2 - decimals.len()))
        }
        _ => trimmed.to_string(),
    }
}

/// Bitcoin Core's `CFeeRate::ToString`: btc per kvB.
fn rate(fee: Amount, vsize: u64) -> String {
    format!(
        "{:.8} BTC/kvB",
        sat_per_kvb(fee, vsize) as f64 / 100_000_000.0
    )
}

/// Core's `CFeeRate(fee, vsize)`: sat per 1,000 vB, rounded down.
fn sat_per_kvb(fee: Amount, vsize: u64) -> u64 {
    fee.to_sat().saturating_mul(1_000) / vsize.max(1)
}

/// `fee` for `vsize` against `than_fee` for `than_vsize` as exact fractions (as Core's
/// `FeeFrac` compares chunks), not rounded to sat/kvB.
fn cmp_rates(fee: Amount, vsize: u64, than_fee: Amount, than_vsize: u64) -> std::cmp::Ordering {
    (u128::from(fee.to_sat()) * u128::from(than_vsize))
        .cmp(&(u128::from(than_fee.to_sat()) * u128::from(vsize)))
}

/// Whether `fee` for `vsize` is a higher fee rate than `than_fee` for `than_vsize`, compared
/// as Core compares `CFeeRate`s.
fn pays_more(fee: Amount, vsize: u64, than_fee: Amount, than_vsize: u64) -> bool {
    sat_per_kvb(fee, vsize) > sat_per_kvb(than_fee, than_vsize)
}

/// A transaction with its fee and size.
struct Entry {
    txid: Txid,
    tx: Transaction,
    fee: Amount,
    vsize: u64,
}

/// The store's mempool seen without `removed` and with `added`: what the mempool would be.
/// Reads pass through; only [`ChainStore::mempool_add`] is recorded, in the overlay.
struct Overlay<'a, S: ?Sized> {
    store: &'a S,
    removed: HashSet<Txid>,
    added: HashMap<Txid, Transaction>,
    spends: HashMap<OutPoint, Txid>,
}

impl<'a, S: ChainStore + ?Sized> Overlay<'a, S> {
    fn new(store: &'a S, removed: HashSet<Txid>) -> Self {
        Overlay {
            store,
            removed,
            added: HashMap::new(),
            spends: HashMap::new(),
        }
    }

    fn remove(&mut self, txid: Txid) {
        self.removed.insert(txid);
    }

    /// The fee and size of a mempool transaction.
    fn entry(&self, txid: &Txid) -> Result<Option<Entry>, LedgerError> {
        let Some(tx) = self.mempool_tx(txid)? else {
            return Ok(None);
        };
        let mut inputs = Amount::ZERO;
        for input in &tx.input {
            let prev = input.previous_output;
            let value = match self.store.unspent(&prev)? {
                Some(u) => Some(u.output.value),
                None => self.mempool_output(&prev)?.map(|o| o.value),
            };
            inputs += value.unwrap_or(Amount::ZERO);
        }
        let outputs: Amount = tx.output.iter().map(|o| o.value).sum();
        Ok(Some(Entry {
            txid: *txid,
            fee: inputs.checked_sub(outputs).unwrap_or(Amount::ZERO),
            vsize: tx.vsize() as u64,
            tx,
        }))
    }

    /// The mempool transactions `tx` spends outputs of.
    fn parents(&self, tx: &Transaction) -> Result<Vec<Txid>, LedgerError> {
        let mut parents = BTreeSet::new();
        for input in &tx.input {
            let txid = input.previous_output.txid;
            if self.in_mempool(&txid)? {
                parents.insert(txid);
            }
        }
        Ok(parents.into_iter().collect())
    }

    /// The mempool transactions spending outputs of `tx`.
    fn children(&self, txid: Txid, tx: &Transaction) -> Result<Vec<Txid>, LedgerError> {
        let mut children = BTreeSet::new();
        for vout in 0..tx.output.len() as u32 {
            if let Some(child) = self.mempool_spender(&OutPoint::new(txid, vout))? {
                children.insert(child);
            }
        }
        Ok(children.into_iter().collect())
    }

    /// `roots` and all their descendants in the mempool.
    fn with_descendants(&self, roots: &BTreeSet<Txid>) -> Result<BTreeSet<Txid>, LedgerError> {
        let mut all = roots.clone();
        let mut todo: Vec<Txid> = roots.iter().copied().collect();
        while let Some(txid) = todo.pop() {
            if let Some(tx) = self.mempool_tx(&txid)? {
                for child in self.children(txid, &tx)? {
                    if all.insert(child) {
                        todo.push(child);
                    }
                }
            }
        }
        Ok(all)
    }
}

impl<S: ChainStore + ?Sized> ChainStore for Overlay<'_, S> {
    fn tip_height(&self) -> Result<u32, LedgerError> {
        self.store.tip_height()
    }
    fn block_time(&self, height: u32) -> Result<u32, LedgerError> {
        self.store.block_time(height)
    }
    fn block_hash_at(&self, height: u32) -> Result<BlockHash, LedgerError> {
        self.store.block_hash_at(height)
    }
    fn is_confirmed(&self, txid: &Txid) -> Result<bool, LedgerError> {
        self.store.is_confirmed(txid)
    }
    fn in_mempool(&self, txid: &Txid) -> Result<bool, LedgerError> {
        Ok(self.added.contains_key(txid)
            || (!self.removed.contains(txid) && self.store.in_mempool(txid)?))
    }
    fn unspent(&self, outpoint: &OutPoint) -> Result<Option<Utxo>, LedgerError> {
        self.store.unspent(outpoint)
    }
    fn confirmed_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        self.store.confirmed_spender(outpoint)
    }
    fn mempool_spender(&self, outpoint: &OutPoint) -> Result<Option<Txid>, LedgerError> {
        if let Some(by) = self.spends.get(outpoint) {
            return Ok(Some(*by));
        }
        Ok(self
            .store
            .mempool_spender(outpoint)?
            .filter(|by| !self.removed.contains(by)))
    }
    fn mempool_tx(&self, txid: &Txid) -> Result<Option<Transaction>, LedgerError> {
        if let Some(tx) = self.added.get(txid) {
            return Ok(Some(tx.clone()));
        }
        if self.removed.contains(txid) {
            return Ok(None);
        }
        self.store.mempool_tx(txid)
    }
    fn scan_unspent_for_script(
        &self,
        script: &Script,
        f: &mut dyn FnMut(OutPoint, Utxo) -> Result<bool, LedgerError>,
    ) -> Result<(), LedgerError> {
        self.store.scan_unspent_for_script(script, f)
    }
    fn mempool_add(&mut self, txid: Txid, tx: &Transaction) -> Result<(), LedgerError> {
        for input in &tx.input {
            self.spends.insert(input.previous_output, txid);
        }
        self.added.insert(txid, tx.clone());
        Ok(())
    }
    fn mempool_remove(&mut self, _txid: &Txid) -> Result<(), LedgerError> {
        unreachable!("the policy overlay only reads the mempool and adds to itself")
    }
    fn mempool_txs(&self) -> Result<Vec<Transaction>, LedgerError> {
        unreachable!("the policy overlay does not list the mempool")
    }
    fn mempool_entry_info(&self, txid: &Txid) -> Result<Option<(u32, bool)>, LedgerError> {
        self.store.mempool_entry_info(txid)
    }
    fn mempool_set_entry_info(&mut self, _: &Txid, _: u32, _: bool) -> Result<(), LedgerError> {
        unreachable!("the policy overlay only reads the mempool and adds to itself")
    }
    fn mempool_take(&mut self) -> Result<Vec<Transaction>, LedgerError> {
        unreachable!("the policy overlay only reads the mempool and adds to itself")
    }
    fn connect_tx(&mut self, _: &Transaction, _: Txid, _: u32, _: u32) -> Result<(), LedgerError> {
        unreachable!("the policy overlay only reads the mempool and adds to itself")
    }
    fn push_block(
        &mut self,
        _: &bitcoin::block::Header,
        _: super::ledger::BlockInfo,
    ) -> Result<(), LedgerError> {
        unreachable!("the policy overlay only reads the mempool and adds to itself")
    }
}

/// A mempool transaction as a node's `getmempoolentry` shows it: the tip's height when it
/// entered, the fees and virtual size of it with its descendants, and the transactions
/// spending its outputs. `None` when it is not in the mempool.
pub(crate) fn store_mempool_entry<S: ChainStore + ?Sized>(
    store: &S,
    txid: &Txid,
) -> Result<Option<MempoolEntry>, LedgerError> {
    let overlay = Overlay::new(store, HashSet::new());
    let Some(tx) = overlay.mempool_tx(txid)? else {
        return Ok(None);
    };
    let (mut fees, mut vsize) = (Amount::ZERO, 0);
    for member in overlay.with_descendants(&BTreeSet::from([*txid]))? {
        let e = overlay
            .entry(&member)?
            .expect("a descendant is in the mempool");
        fees += e.fee;
        vsize += e.vsize;
    }
    let entered = match store.mempool_entry_info(txid)? {
        Some((height, _)) => height,
        None => store.tip_height()?,
    };
    Ok(Some(MempoolEntry {
        height: entered,
        descendant_fees: fees,
        descendant_vsize: vsize,
        spent_by: overlay.children(*txid, &tx)?,
    }))
}

/// What accepting a set of transactions changes in the mempool.
pub(crate) struct Plan {
    evicted: BTreeSet<Txid>,
    added: Vec<(Txid, Transaction)>,
}

/// Applies a plan [`evaluate`] made on the same store.
fn apply<S: ChainStore + ?Sized>(store: &mut S, plan: Plan) -> Result<Vec<Txid>, LedgerError> {
    for txid in &plan.evicted {
        store.mempool_remove(txid)?;
    }
    let tip = store.tip_height()?;
    let mut ids = Vec::with_capacity(plan.added.len());
    for (txid, tx) in &plan.added {
        store.mempool_add(*txid, tx)?;
        store.mempool_set_entry_info(txid, tip, false)?;
        ids.push(*txid);
    }
    Ok(ids)
}

/// The mempool transactions a miner leaves out of the next block, with their entry info:
/// those whose package (with their unconfirmed ancestors not yet in the block) pays less
/// than `min_rate` sat per 1,000 vB (Core's `-blockmintxfee`, 1 sat/vB by default, packages
/// taken by their rate; a higher one stands for a busy mempool whose blocks are full of
/// better-paying transactions), unless one of the package was handed to a miner. A
/// zero-fee parent whose child was replaced away waits.
pub(crate) fn left_out_of_block<S: ChainStore + ?Sized>(
    store: &S,
    min_rate: u64,
) -> Result<HashMap<Txid, (u32, bool)>, LedgerError> {
    let tip = store.tip_height()?;
    let overlay = Overlay::new(store, HashSet::new());
    let txs = store.mempool_txs()?;
    let mut info = HashMap::new();
    let mut sizes = HashMap::new();
    for tx in &txs {
        let txid = tx.compute_txid();
        info.insert(
            txid,
            store.mempool_entry_info(&txid)?.unwrap_or((tip, true)),
        );
        let e = overlay.entry(&txid)?.expect("a mempool transaction");
        sizes.insert(txid, (e.fee, e.vsize));
    }
    let mut selected: HashSet<Txid> = HashSet::new();
    loop {
        // The best package: handed to a miner first, then by rate.
        let mut best: Option<(bool, Amount, u64, BTreeSet<Txid>)> = None;
        for tx in &txs {
            let txid = tx.compute_txid();
            if selected.contains(&txid) {
                continue;
            }
            let mut package: BTreeSet<Txid> = ancestors(&overlay, tx)?
                .into_iter()
                .filter(|a| !selected.contains(a))
                .collect();
            package.insert(txid);
            let fee: Amount = package.iter().map(|t| sizes[t].0).sum();
            let vsize: u64 = package.iter().map(|t| sizes[t].1).sum();
            let forced = package.iter().any(|t| info[t].1);
            if !forced && (fee < min_relay_fee(vsize) || sat_per_kvb(fee, vsize) < min_rate) {
                continue;
            }
            let better = match &best {
                None => true,
                Some((f, bf, bv, _)) => {
                    (forced && !f) || (forced == *f && pays_more(fee, vsize, *bf, *bv))
                }
            };
            if better {
                best = Some((forced, fee, vsize, package));
            }
        }
        match best {
            Some((_, _, _, package)) => selected.extend(package),
            None => break,
        }
    }
    Ok(info
        .into_iter()
        .filter(|(t, _)| !selected.contains(t))
        .collect())
}

/// Validates `tx` for the mempool, consensus and policy, without adding it (like
/// `testmempoolaccept`). Returns the fee.
pub(crate) fn store_check<S: ChainStore + ?Sized>(
    store: &S,
    tx: &Transaction,
) -> Result<Result<Amount, RejectError>, LedgerError> {
    if let Err(known) = check_unknown(store, tx)? {
        return Ok(Err(known));
    }
    Ok(evaluate(store, std::slice::from_ref(tx))?
        .map(|plan| plan.fee)
        .map_err(|r| r.error))
}

fn check_unknown<S: ChainStore + ?Sized>(
    store: &S,
    tx: &Transaction,
) -> Result<Result<(), RejectError>, LedgerError> {
    let txid = tx.compute_txid();
    for confirmed in [true, false] {
        let known = if confirmed {
            store.is_confirmed(&txid)?
        } else {
            store.in_mempool(&txid)?
        };
        if known {
            return Ok(Err(RejectError::AlreadyKnown { txid, confirmed }));
        }
    }
    Ok(Ok(()))
}

/// Accepts `tx` into the mempool if consensus and policy allow it (Core's
/// `sendrawtransaction`), replacing what it outbids; one already there is taken again.
pub(crate) fn store_submit<S: ChainStore + ?Sized>(
    store: &mut S,
    tx: &Transaction,
) -> Result<Result<Txid, RejectError>, LedgerError> {
    match check_unknown(&*store, tx)? {
        // Already waiting: nothing to do (`sendrawtransaction` answers its txid).
        Err(RejectError::AlreadyKnown {
            txid,
            confirmed: false,
        }) => return Ok(Ok(txid)),
        Err(known) => return Ok(Err(known)),
        Ok(()) => {}
    }
    match evaluate(&*store, std::slice::from_ref(tx))? {
        Ok(plan) => Ok(Ok(apply(store, plan.plan)?[0])),
        Err(r) => Ok(Err(r.error)),
    }
}

/// Hands `tx` to a miner directly, as an attacker paying a miner out of band would (Core's
/// `prioritisetransaction` and `generateblock`): consensus rules only, no relay policy, and
/// no replacement (a conflict with the mempool is refused). It is mined with the next block.
pub(crate) fn store_submit_to_miner<S: ChainStore + ?Sized>(
    store: &mut S,
    tx: &Transaction,
) -> Result<Result<Txid, RejectError>, LedgerError> {
    if let Err(known) = check_unknown(&*store, tx)? {
        return Ok(Err(known));
    }
    if let Err(e) = store_validate(&*store, tx)? {
        return Ok(Err(e));
    }
    let txid = tx.compute_txid();
    store.mempool_add(txid, tx)?;
    let tip = store.tip_height()?;
    store.mempool_set_entry_info(&txid, tip, true)?;
    Ok(Ok(txid))
}

/// Accepts a package, a child with its unconfirmed parents in order (Core's
/// `submitpackage`): the ones already in the mempool are skipped, each parent is tried
/// alone, and the parents refused alone for their fee rate only are tried again with the
/// child at the package's rate. Parents accepted alone stay when the child is then refused;
/// a parent already confirmed fails the package (`txn-already-known`) once the rest went
/// in, as on a node.
pub(crate) fn store_submit_package<S: ChainStore + ?Sized>(
    store: &mut S,
    txs: &[Transaction],
) -> Result<Result<Vec<Txid>, RejectError>, LedgerError> {
    if let Err(e) = check_package_shape(txs) {
        return Ok(Err(e));
    }
    // The child's unconfirmed parents are all in the package.
    let (child, parents) = txs.split_last().expect("the shape has a child");
    let ids: HashSet<Txid> = parents.iter().map(|t| t.compute_txid()).collect();
    for input in &child.input {
        let parent = input.previous_output.txid;
        if !ids.contains(&parent) && store.in_mempool(&parent)? {
            return Ok(Err(refuse(
                "package-not-child-with-unconfirmed-parents",
                "",
            )));
        }
    }
    let mut todo = Vec::new();
    let mut confirmed = None;
    for tx in txs {
        match check_unknown(&*store, tx)? {
            Ok(()) => todo.push(tx.clone()),
            Err(
                e @ RejectError::AlreadyKnown {
                    confirmed: true, ..
                },
            ) => confirmed = Some(e),
            Err(_) => {}
        }
    }
    let Some((child, parents)) = todo.split_last() else {
        return Ok(confirmed.map_or(Ok(Vec::new()), Err));
    };
    let mut accepted = Vec::new();
    let mut together = Vec::new();
    for parent in parents {
        match evaluate(&*store, std::slice::from_ref(parent))? {
            Ok(plan) => accepted.extend(apply(store, plan.plan)?),
            Err(r) if r.reconsiderable => together.push(parent.clone()),
            Err(r) => return Ok(Err(r.error)),
        }
    }
    together.push(child.clone());
    match evaluate(&*store, &together)? {
        Ok(plan) => accepted.extend(apply(store, plan.plan)?),
        Err(r) => return Ok(Err(r.error)),
    }
    Ok(confirmed.map_or(Ok(accepted), Err))
}

/// What `submitpackage` takes: 2 to 25 transactions, a child and parents it spends that do
/// not spend each other, nothing twice and no two spending the same output.
fn check_package_shape(txs: &[Transaction]) -> Result<(), RejectError> {
    if !(2..=25).contains(&txs.len()) {
        return Err(refuse(
            "Array must contain between 2 and 25 transactions.",
            "",
        ));
    }
    let ids: Vec<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
    let (child, parents) = txs.split_last().expect("two or more");
    let spent_by_child: HashSet<Txid> =
        child.input.iter().map(|i| i.previous_output.txid).collect();
    let parent_ids: HashSet<Txid> = ids[..parents.len()].iter().copied().collect();
    let child_with_parents = parent_ids.iter().all(|p| spent_by_child.contains(p))
        && parents.iter().all(|p| {
            p.input
                .iter()
                .all(|i| !parent_ids.contains(&i.previous_output.txid))
        });
    if !child_with_parents {
        return Err(refuse(
            "package topology disallowed. not child-with-parents or parents depend on each other.",
            "",
        ));
    }
    let mut seen = HashSet::new();
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(refuse("package-contains-duplicates", ""));
    }
    let mut outpoints = HashSet::new();
    if !txs
        .iter()
        .flat_map(|t| &t.input)
        .all(|i| outpoints.insert(i.previous_output))
    {
        return Err(refuse("conflict-in-package", ""));
    }
    Ok(())
}

/// An accepted set's plan and the fee of its first transaction.
struct Accepted {
    plan: Plan,
    fee: Amount,
}

/// Checks `txs` (one transaction, or parents and their child) for the mempool as it is,
/// consensus first, then policy, and says what accepting them would change.
fn evaluate<S: ChainStore + ?Sized>(
    store: &S,
    txs: &[Transaction],
) -> Result<Result<Accepted, Refusal>, LedgerError> {
    let package = txs.len() > 1;
    let ids: Vec<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
    let mut overlay = Overlay::new(store, HashSet::new());
    // The mempool transactions spending what these spend, and their descendants.
    let mut direct = BTreeSet::new();
    for tx in txs {
        for input in &tx.input {
            if let Some(by) = overlay.mempool_spender(&input.previous_output)? {
                direct.insert(by);
            }
        }
    }
    let mut evicted = overlay.with_descendants(&direct)?;
    // What a miner was paid to take is not outbid by relay (its fee counts as unbounded,
    // as `prioritisetransaction` makes it).
    for txid in &evicted {
        if matches!(store.mempool_entry_info(txid)?, Some((_, true)) | None) {
            return Ok(Err(refuse(
                "insufficient fee",
                format!(
                    "rejecting replacement {}; it conflicts with {txid}, which a miner was paid to include",
                    ids[0]
                ),
            )
            .into()));
        }
    }
    for txid in &evicted {
        overlay.remove(*txid);
    }

    // Each transaction: standardness, consensus, its dust, and (alone) its fee rate.
    let mut entries = Vec::with_capacity(txs.len());
    for (tx, txid) in txs.iter().zip(&ids) {
        // Core's order: the context-free consensus checks, then standardness.
        if let Err(e) = check_transaction(tx).and_then(|()| standard(tx)) {
            return Ok(Err(e.into()));
        }
        if let Some(input) = tx
            .input
            .iter()
            .find(|i| evicted.contains(&i.previous_output.txid))
        {
            return Ok(Err(refuse(
                "bad-txns-spends-conflicting-tx",
                format!(
                    "{txid} spends conflicting transaction {}",
                    input.previous_output.txid
                ),
            )
            .into()));
        }
        let fee = match store_validate(&overlay, tx)? {
            Ok(fee) => fee,
            Err(e) => return Ok(Err(e.into())),
        };
        let e = Entry {
            txid: *txid,
            tx: tx.clone(),
            fee,
            vsize: tx.vsize() as u64,
        };
        if fee != Amount::ZERO && tx.output.iter().any(is_dust) {
            return Ok(Err(
                refuse("dust", "tx with dust output must be 0-fee").into()
            ));
        }
        // Only a TRUC transaction may have a child pay for it, and only in a package.
        if (!package || tx.version != TRUC) && fee < min_relay_fee(e.vsize) {
            let error = refuse(
                "min relay fee not met",
                format!("{} < {}", fee.to_sat(), min_relay_fee(e.vsize).to_sat()),
            );
            return Ok(Err(if tx.version == TRUC {
                reconsiderable(error)
            } else {
                error.into()
            }));
        }
        overlay.mempool_add(*txid, tx)?;
        entries.push(e);
    }

    if !package {
        if let Some(detail) = chain_limits(&overlay, &entries[0])? {
            return Ok(Err(refuse("too-long-mempool-chain", detail).into()));
        }
    }
    let mut sibling = None;
    for e in &entries {
        match truc_rules(&overlay, e, package)? {
            Ok(None) => {}
            Ok(Some(evict)) => sibling = Some(evict),
            Err(refusal) => return Ok(Err(refusal)),
        }
    }
    if let Some(s) = sibling {
        direct.insert(s);
        evicted.insert(s);
        overlay.remove(s);
    }

    let fee: Amount = entries.iter().map(|e| e.fee).sum();
    let vsize: u64 = entries.iter().map(|e| e.vsize).sum();
    if fee < min_relay_fee(vsize) {
        return Ok(Err(refuse(
            "min relay fee not met",
            format!("{} < {}", fee.to_sat(), min_relay_fee(vsize).to_sat()),
        )
        .into()));
    }
    // Alone, the dust check comes before replacement; in a package, after.
    if !package {
        if let Err(refusal) = ephemeral_spends(&overlay, &entries)? {
            return Ok(Err(refusal));
        }
    }
    if !evicted.is_empty() {
        let replaced: Vec<Entry> = evicted
            .iter()
            .map(|t| store_entry(store, t))
            .collect::<Result<_, _>>()?;
        let refusal = if package {
            package_rbf(store, &overlay, &entries, &direct, &replaced, fee, vsize)?
        } else {
            single_rbf(
                store,
                &overlay,
                &entries[0],
                &direct,
                &replaced,
                sibling.is_some(),
            )?
        };
        if let Some(refusal) = refusal {
            return Ok(Err(refusal));
        }
    }
    if package {
        if let Err(refusal) = ephemeral_spends(&overlay, &entries)? {
            // Core names the package's failure, and the child's reason comes after.
            return Ok(Err(refuse("unspent-dust", refusal.error.to_string()).into()));
        }
    }
    Ok(Ok(Accepted {
        fee: entries[0].fee,
        plan: Plan {
            evicted,
            added: entries.into_iter().map(|e| (e.txid, e.tx)).collect(),
        },
    }))
}

fn store_entry<S: ChainStore + ?Sized>(store: &S, txid: &Txid) -> Result<Entry, LedgerError> {
    let overlay = Overlay::new(store, HashSet::new());
    Ok(overlay
        .entry(txid)?
        .expect("an evicted transaction is in the mempool"))
}

/// `IsStandardTx`'s checks that matter here, and the smallest size: the version, the number
/// of dust outputs, at least 65 bytes without the witness.
fn standard(tx: &Transaction) -> Result<(), RejectError> {
    if !(1..=3).contains(&tx.version.0) {
        return Err(refuse("version", ""));
    }
    if tx.output.iter().filter(|o| is_dust(o)).count() > 1 {
        return Err(refuse("dust", ""));
    }
    if tx.base_size() < MIN_STANDARD_TX_NONWITNESS_SIZE {
        return Err(refuse("tx-size-small", ""));
    }
    Ok(())
}

/// Ephemeral dust: a transaction spending a parent with a dust output spends the dust.
fn ephemeral_spends<S: ChainStore + ?Sized>(
    overlay: &Overlay<'_, S>,
    entries: &[Entry],
) -> Result<Result<(), Refusal>, LedgerError> {
    for e in entries {
        for parent in overlay.parents(&e.tx)? {
            let Some(ptx) = overlay.mempool_tx(&parent)? else {
                continue;
            };
            let unspent_dust = ptx.output.iter().enumerate().any(|(vout, o)| {
                let dust = OutPoint::new(parent, vout as u32);
                is_dust(o) && !e.tx.input.iter().any(|i| i.previous_output == dust)
            });
            if unspent_dust {
                return Ok(Err(refuse(
                    "missing-ephemeral-spends",
                    format!("tx {} did not spend parent's ephemeral dust", e.txid),
                )
                .into()));
            }
        }
    }
    Ok(Ok(()))
}

/// BIP431's rules for `e` in the mempool with the transactions submitted with it. A second
/// child of a TRUC parent, submitted alone, may evict the first: its txid is returned.
fn truc_rules<S: ChainStore + ?Sized>(
    overlay: &Overlay<'_, S>,
    e: &Entry,
    package: bool,
) -> Result<Result<Option<Txid>, Refusal>, LedgerError> {
    let truc = |detail: String| Ok(Err(refuse("TRUC-violation", detail).into()));
    let me = format!("tx {} (wtxid={})", e.txid, e.tx.compute_wtxid());
    let parents = overlay.parents(&e.tx)?;
    let mut parent_txs = Vec::with_capacity(parents.len());
    for p in &parents {
        parent_txs.push(overlay.mempool_tx(p)?.expect("a parent is in the mempool"));
    }
    let named = |txid: &Txid, tx: &Transaction| format!("{txid} (wtxid={})", tx.compute_wtxid());
    if e.tx.version != TRUC {
        if let Some((p, ptx)) = parents
            .iter()
            .zip(&parent_txs)
            .find(|(_, t)| t.version == TRUC)
        {
            return truc(format!(
                "non-version=3 {me} cannot spend from version=3 tx {}",
                named(p, ptx)
            ));
        }
        return Ok(Ok(None));
    }
    if e.vsize > TRUC_MAX_VSIZE {
        return truc(format!(
            "version=3 {me} is too big: {} > {TRUC_MAX_VSIZE} virtual bytes",
            e.vsize
        ));
    }
    if let Some((p, ptx)) = parents
        .iter()
        .zip(&parent_txs)
        .find(|(_, t)| t.version != TRUC)
    {
        return truc(format!(
            "version=3 {me} cannot spend from non-version=3 tx {}",
            named(p, ptx)
        ));
    }
    let grandparents = match parent_txs.first() {
        Some(ptx) => overlay.parents(ptx)?.len(),
        None => 0,
    };
    if parents.len() + grandparents > 1 {
        return truc(format!("{me} would have too many ancestors"));
    }
    let (Some(parent), Some(ptx)) = (parents.first(), parent_txs.first()) else {
        return Ok(Ok(None));
    };
    if e.vsize > TRUC_CHILD_MAX_VSIZE {
        return truc(format!(
            "version=3 child {me} is too big: {} > {TRUC_CHILD_MAX_VSIZE} virtual bytes",
            e.vsize
        ));
    }
    let siblings: Vec<Txid> = overlay
        .children(*parent, ptx)?
        .into_iter()
        .filter(|c| *c != e.txid)
        .collect();
    match siblings.as_slice() {
        [] => Ok(Ok(None)),
        // Sibling eviction, for a transaction submitted alone whose sibling has no child.
        [sibling]
            if !package
                && overlay
                    .mempool_tx(sibling)?
                    .map(|s| overlay.children(*sibling, &s))
                    .transpose()?
                    .is_some_and(|c| c.is_empty()) =>
        {
            Ok(Ok(Some(*sibling)))
        }
        _ => truc(format!(
            "tx {} would exceed descendant count limit",
            named(parent, ptx)
        )),
    }
}

/// Rule 5 as Core counts it: the descendants of each direct conflict, itself included
/// (descendants shared by two conflicts count twice).
fn replacement_count<S: ChainStore + ?Sized>(
    store: &S,
    direct: &BTreeSet<Txid>,
) -> Result<usize, LedgerError> {
    let overlay = Overlay::new(store, HashSet::new());
    let mut count = 0;
    for txid in direct {
        count += overlay.with_descendants(&BTreeSet::from([*txid]))?.len();
    }
    Ok(count)
}

/// Rules 2 to 6 for one transaction replacing `replaced` (`direct`: the ones it conflicts
/// with, a TRUC sibling included).
fn single_rbf<S: ChainStore + ?Sized>(
    store: &S,
    overlay: &Overlay<'_, S>,
    e: &Entry,
    direct: &BTreeSet<Txid>,
    replaced: &[Entry],
    sibling_eviction: bool,
) -> Result<Option<Refusal>, LedgerError> {
    let suffix = if sibling_eviction {
        " (including sibling eviction)"
    } else {
        ""
    };
    for old in replaced.iter().filter(|r| direct.contains(&r.txid)) {
        if !pays_more(e.fee, e.vsize, old.fee, old.vsize) {
            return Ok(Some(reconsiderable(refuse(
                format!("insufficient fee{suffix}"),
                format!(
                    "rejecting replacement {}; new feerate {} <= old feerate {}",
                    e.txid,
                    rate(e.fee, e.vsize),
                    rate(old.fee, old.vsize)
                ),
            ))));
        }
    }
    let count = replacement_count(store, direct)?;
    if count > MAX_REPLACEMENT_CANDIDATES {
        return Ok(Some(
            refuse(
                format!("too many potential replacements{suffix}"),
                format!(
                    "rejecting replacement {}; too many potential replacements ({count} > {MAX_REPLACEMENT_CANDIDATES})",
                    e.txid
                ),
            )
            .into(),
        ));
    }
    // Rule 2: no unconfirmed input the replaced transactions did not have.
    let mut old_parents = HashSet::new();
    for old in replaced {
        old_parents.extend(old.tx.input.iter().map(|i| i.previous_output.txid));
    }
    for (index, input) in e.tx.input.iter().enumerate() {
        let parent = input.previous_output.txid;
        if overlay.in_mempool(&parent)? && !old_parents.contains(&parent) {
            return Ok(Some(
                refuse(
                    "replacement-adds-unconfirmed",
                    format!("replacement {} adds unconfirmed input, idx {index}", e.txid),
                )
                .into(),
            ));
        }
    }
    // Rules 3 and 4, which a child may still make up for in a package.
    Ok(pays_for_rbf(e.txid, replaced, e.fee, e.vsize)
        .map(|detail| reconsiderable(refuse(format!("insufficient fee{suffix}"), detail))))
}

/// Rules 3 and 4: the replacement pays at least what it replaces, plus its own relay.
fn pays_for_rbf(txid: Txid, replaced: &[Entry], fee: Amount, vsize: u64) -> Option<String> {
    let old: Amount = replaced.iter().map(|r| r.fee).sum();
    if fee < old {
        return Some(format!(
            "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
            btc(fee),
            btc(old)
        ));
    }
    let relay = min_relay_fee(vsize);
    if fee - old < relay {
        return Some(format!(
            "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
            btc(fee - old),
            btc(relay)
        ));
    }
    None
}

/// Package RBF: one parent and one child, neither with other mempool ancestors, replacing
/// clusters of at most two, paying for what they replace, at a better rate than the parent
/// alone, and improving the feerate diagram of the clusters they touch.
fn package_rbf<S: ChainStore + ?Sized>(
    store: &S,
    overlay: &Overlay<'_, S>,
    entries: &[Entry],
    direct: &BTreeSet<Txid>,
    replaced: &[Entry],
    fee: Amount,
    vsize: u64,
) -> Result<Option<Refusal>, LedgerError> {
    let failed = |what: String, detail: String| {
        Ok(Some(
            refuse(format!("package RBF failed: {what}"), detail).into(),
        ))
    };
    let [parent, child] = entries else {
        return failed("package must be 1-parent-1-child".into(), String::new());
    };
    let package_ids = [parent.txid, child.txid];
    for e in entries {
        let outside = overlay
            .parents(&e.tx)?
            .into_iter()
            .any(|p| !package_ids.contains(&p));
        if outside {
            return failed(
                "new transaction cannot have mempool ancestors".into(),
                String::new(),
            );
        }
    }
    if replacement_count(store, direct)? > MAX_REPLACEMENT_CANDIDATES {
        return failed("too many potential replacements".into(), String::new());
    }
    if let Some(detail) = pays_for_rbf(child.txid, replaced, fee, vsize) {
        return failed("insufficient anti-DoS fees".into(), detail);
    }
    if !pays_more(fee, vsize, parent.fee, parent.vsize) {
        return failed(
            "package feerate is less than or equal to parent feerate".into(),
            format!(
                "package feerate {} <= parent feerate is {}",
                rate(fee, vsize),
                rate(parent.fee, parent.vsize)
            ),
        );
    }
    // The clusters the conflicts are in, before and after: at most two transactions each.
    let mempool = Overlay::new(store, HashSet::new());
    let mut clusters: Vec<Vec<Txid>> = Vec::new();
    for txid in direct {
        if clusters.iter().any(|c| c.contains(txid)) {
            continue;
        }
        match conflict_cluster(&mempool, *txid)? {
            Ok(cluster) => clusters.push(cluster),
            Err(topology) => return failed(topology, String::new()),
        }
    }
    let (mut old, mut new) = (Vec::new(), vec![(fee, vsize)]);
    for cluster in &clusters {
        let members: Vec<Entry> = cluster
            .iter()
            .map(|t| {
                Ok(mempool
                    .entry(t)?
                    .expect("a cluster member is in the mempool"))
            })
            .collect::<Result<_, LedgerError>>()?;
        old.extend(chunks(&members));
        let kept: Vec<Entry> = members
            .into_iter()
            .filter(|m| !replaced.iter().any(|r| r.txid == m.txid))
            .collect();
        new.extend(chunks(&kept));
    }
    if !improves_diagram(old, new) {
        return failed(
            "insufficient feerate: does not improve feerate diagram".into(),
            String::new(),
        );
    }
    Ok(None)
}

/// The cluster of a direct conflict of a package replacement (Core's
/// `CheckConflictTopology`): itself with at most one parent or one child, which it is the
/// only child or parent of; else why not.
fn conflict_cluster<S: ChainStore + ?Sized>(
    mempool: &Overlay<'_, S>,
    txid: Txid,
) -> Result<Result<Vec<Txid>, String>, LedgerError> {
    let tx = mempool
        .mempool_tx(&txid)?
        .expect("a conflict is in the mempool");
    let ancestors = ancestors(mempool, &tx)?;
    let descendants = mempool.with_descendants(&BTreeSet::from([txid]))?.len() - 1;
    if ancestors.len() > 1 {
        return Ok(Err(format!(
            "{txid} has {} ancestors, max 1 allowed",
            ancestors.len()
        )));
    }
    if descendants > 1 {
        return Ok(Err(format!(
            "{txid} has {descendants} descendants, max 1 allowed"
        )));
    }
    if let Some(parent) = ancestors.first() {
        if descendants > 0 {
            return Ok(Err(format!(
                "{txid} has both ancestor and descendant, exceeding cluster limit of 2"
            )));
        }
        let ptx = mempool
            .mempool_tx(parent)?
            .expect("a parent is in the mempool");
        if mempool.children(*parent, &ptx)?.len() > 1 {
            return Ok(Err(format!(
                "{txid} is not the only child of parent {parent}"
            )));
        }
        return Ok(Ok(vec![*parent, txid]));
    }
    match mempool.children(txid, &tx)?.first() {
        Some(child) => {
            let ctx = mempool
                .mempool_tx(child)?
                .expect("a child is in the mempool");
            if mempool.parents(&ctx)?.len() > 1 {
                return Ok(Err(format!(
                    "{txid} is not the only parent of child {child}"
                )));
            }
            Ok(Ok(vec![txid, *child]))
        }
        None => Ok(Ok(vec![txid])),
    }
}

/// Core's default chain limits for `e`, already in `overlay`: at most 25 unconfirmed
/// transactions with its ancestors, and none of them with more than 25 with its
/// descendants.
fn chain_limits<S: ChainStore + ?Sized>(
    overlay: &Overlay<'_, S>,
    e: &Entry,
) -> Result<Option<String>, LedgerError> {
    let ancestors = ancestors(overlay, &e.tx)?;
    if ancestors.len() + 1 > MAX_CHAIN {
        return Ok(Some(format!(
            "too many unconfirmed ancestors [limit: {MAX_CHAIN}]"
        )));
    }
    for a in ancestors {
        if overlay.with_descendants(&BTreeSet::from([a]))?.len() > MAX_CHAIN {
            return Ok(Some(format!(
                "too many descendants for tx {a} [limit: {MAX_CHAIN}]"
            )));
        }
    }
    Ok(None)
}

/// All unconfirmed ancestors of `tx`.
fn ancestors<S: ChainStore + ?Sized>(
    overlay: &Overlay<'_, S>,
    tx: &Transaction,
) -> Result<Vec<Txid>, LedgerError> {
    let mut all = BTreeSet::new();
    let mut todo = overlay.parents(tx)?;
    while let Some(txid) = todo.pop() {
        if all.insert(txid) {
            if let Some(ptx) = overlay.mempool_tx(&txid)? {
                todo.extend(overlay.parents(&ptx)?);
            }
        }
    }
    Ok(all.into_iter().collect())
}

/// The chunks (fee, vsize) of a cluster of at most two, in order: a child paying a higher
/// rate than its parent (exactly, as Core compares fractions) forms one chunk with it.
fn chunks(members: &[Entry]) -> Vec<(Amount, u64)> {
    match members {
        [parent, child]
            if child
                .tx
                .input
                .iter()
                .any(|i| i.previous_output.txid == parent.txid)
                && cmp_rates(child.fee, child.vsize, parent.fee, parent.vsize).is_gt() =>
        {
            vec![(parent.fee + child.fee, parent.vsize + child.vsize)]
        }
        _ => members.iter().map(|m| (m.fee, m.vsize)).collect(),
    }
}

/// Whether the feerate diagram of `new` chunks is nowhere below that of `old` and above it
/// somewhere (Core's `CompareChunks` giving "greater"). A diagram is the cumulative fee
/// against the cumulative size, chunks by decreasing rate, flat after the last.
fn improves_diagram(old: Vec<(Amount, u64)>, new: Vec<(Amount, u64)>) -> bool {
    fn points(mut chunks: Vec<(Amount, u64)>) -> Vec<(u128, u128)> {
        // Decreasing rate.
        chunks.sort_by(|(fa, sa), (fb, sb)| cmp_rates(*fb, *sb, *fa, *sa));
        let mut out = vec![(0u128, 0u128)];
        for (fee, size) in chunks {
            let (s, f) = *out.last().expect("starts at the origin");
            out.push((s + u128::from(size), f + u128::from(fee.to_sat())));
        }
        out
    }
    /// The diagram's fee at size `x`, as a fraction.
    fn at(points: &[(u128, u128)], x: u128) -> (u128, u128) {
        for w in points.windows(2) {
            let ((s0, f0), (s1, f1)) = (w[0], w[1]);
            if x <= s1 {
                // f0 + (x − s0)(f1 − f0)/(s1 − s0)
                let den = (s1 - s0).max(1);
                return (f0 * den + (x - s0) * (f1 - f0), den);
            }
        }
        (points.last().expect("non-empty").1, 1)
    }
    let (old, new) = (points(old), points(new));
    let mut better = false;
    for x in old.iter().chain(&new).map(|p| p.0) {
        let ((a, b), (c, d)) = (at(&new, x), at(&old, x));
        match (a * d).cmp(&(c * b)) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Greater => better = true,
            std::cmp::Ordering::Equal => {}
        }
    }
    better
}
