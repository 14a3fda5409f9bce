//! Chain sources: where an on-chain wallet learns about blocks and the mempool, and where it
//! broadcasts its transactions, behind one trait, [`ChainSource`].
//!
//! - [`RegtestSource`]: the local regtest [`Ledger`] in a directory. Sync reads, in one
//!   snapshot ([`Ledger::view`]), only the ledger's blocks above the wallet's last checkpoint,
//!   as full [`bitcoin::Block`]s whose hashes are the ledger's
//!   ([`LedgerView::full_blocks_after`](super::LedgerView::full_blocks_after)), then the
//!   mempool.
//! - [`BitcoindSource`]: a `bitcoind` (Bitcoin Inquisition on regtest or signet, for
//!   ANYPREVOUT) over JSON-RPC, through `bdk_bitcoind_rpc`'s [`Emitter`]; channels are watched
//!   through a spend index of the node's blocks and mempool (`super::spends`). The tests in
//!   `tests/bitcoind.rs` run against a real node when `BITCOIND_EXE` names one.
//!
//! Which source to use is a [`ChainSpec`], parsed from a string (see its docs for the
//! syntax): `regtest:DIR` or `bitcoind:URL`.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use bdk_bitcoind_rpc::bitcoincore_rpc::{self, RpcApi};
use bdk_bitcoind_rpc::Emitter;
use bdk_wallet::chain::{BlockId, ChainPosition};
use bdk_wallet::Wallet;
use bitcoin::hashes::Hash as _;
use bitcoin::{BlockHash, Network, OutPoint, Transaction, Txid};

use super::spends::{BitcoindView, SpendIndex, SpendIndexRecord};
use super::{Ledger, LedgerError};
use crate::watch::ChainView;

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Height of the chain tip the wallet is now synced to.
    pub tip_height: u32,
    /// Blocks applied to the wallet (new blocks since its last checkpoint).
    pub blocks_applied: u32,
    /// Mempool transactions seen (relevant or not; the wallet keeps only its own).
    pub mempool_txs: usize,
    /// The wallet's unconfirmed transactions found gone from the mempool, now ignored.
    pub evicted: usize,
}

/// Errors of a chain source.
#[derive(Debug, thiserror::Error)]
pub enum ChainSourceError {
    /// The regtest ledger failed (i/o, corrupt state file).
    #[error("regtest ledger: {0}")]
    Ledger(#[source] LedgerError),
    /// Nothing was published: what the caller (S) committed could not be made durable
    /// first ([`Adjusted::sync_first`]).
    #[error("nothing was published: {0}")]
    NotDurable(String),
    /// The chain source rejected a transaction.
    #[error("{source_name} rejected transaction {txid}: {reason}")]
    Rejected {
        /// The chain source ([`ChainSource::describe`]).
        source_name: String,
        /// The transaction.
        txid: Txid,
        /// Why.
        reason: String,
    },
    /// A block the wallet synced earlier is not on the chain any more: the chain was
    /// replaced (for the regtest ledger: the ledger directory was reset).
    #[error(
        "the chain changed under the wallet: block {height} ({hash}) that the wallet synced \
         is not on the {source_name} any more (was it reset?); use the chain the wallet was \
         synced with, or restore the wallet from its seed to start over on this chain"
    )]
    ChainChanged {
        /// The chain source.
        source_name: String,
        /// Height of the wallet's last synced block.
        height: u32,
        /// Its hash.
        hash: BlockHash,
    },
    /// The wallet belongs to another chain (different genesis block).
    #[error(
        "the wallet was created for another chain (genesis {wallet}) than the {source_name} \
         (genesis {chain}); pick the chain the wallet was created for"
    )]
    GenesisMismatch {
        /// The chain source.
        source_name: String,
        /// The wallet's genesis hash.
        wallet: BlockHash,
        /// The source's genesis hash.
        chain: BlockHash,
    },
    /// No connection to bitcoind.
    #[error(
        "cannot reach bitcoind at {url}: {reason}; check that bitcoind is running with \
         -server and that the address and port are right"
    )]
    Unreachable {
        /// The RPC URL (without credentials).
        url: String,
        /// The transport error.
        reason: String,
    },
    /// bitcoind refused the credentials.
    #[error(
        "bitcoind at {url} refused the credentials (http 401); check the user and \
         password, or the cookie file"
    )]
    Unauthorized {
        /// The RPC URL (without credentials).
        url: String,
    },
    /// The cookie file cannot be read.
    #[error("cannot read the bitcoind cookie file {}: {reason}; check the path (it is in bitcoind's data directory while bitcoind runs)", path.display())]
    Cookie {
        /// The cookie file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// bitcoind answered with an error or something unexpected.
    #[error("bitcoind at {url}: {reason}")]
    Rpc {
        /// The RPC URL (without credentials).
        url: String,
        /// The error.
        reason: String,
    },
    /// A block did not connect to the wallet's chain (a bug or a misbehaving source).
    #[error(
        "block {height} from the {source_name} does not connect to the wallet's chain: {reason}"
    )]
    CannotConnect {
        /// The chain source.
        source_name: String,
        /// The block height.
        height: u32,
        /// Details.
        reason: String,
    },
}

impl ChainSourceError {
    /// The chain source refused `tx`, one of a channel's zero-fee transactions (version 3
    /// with a pay-to-anchor output: an update or settlement), alone for paying too little
    /// (bitcoind's "min relay fee not met", "mempool min fee not met" when its mempool is
    /// full, or its zero-value anchor as "dust"): it needs a child that pays for it through
    /// its anchor.
    pub fn needs_fee_child(&self, tx: &Transaction) -> bool {
        let anchored = tx.version == bitcoin::transaction::Version(3)
            && tx
                .output
                .iter()
                .any(|o| o.script_pubkey == bitcoin::ScriptBuf::new_p2a());
        anchored
            && matches!(self, ChainSourceError::Rejected { reason, .. }
                if ["min relay fee not met", "mempool min fee not met", "dust"]
                    .iter()
                    .any(|w| reason.starts_with(w)))
    }
}

/// The fee rate for a child paying for a channel transaction when the chain source has no
/// estimate (bitcoind on regtest has none): 2 sat/vB.
pub const FALLBACK_FEE_RATE: bitcoin::FeeRate = bitcoin::FeeRate::from_sat_per_vb_u32(2);

/// An optional transaction in a record, as consensus hex (`#[serde(with = ...)]`).
pub mod kept_tx {
    use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
    use bitcoin::Transaction;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the transaction's consensus hex.
    pub fn serialize<S: Serializer>(tx: &Option<Transaction>, s: S) -> Result<S::Ok, S::Error> {
        match tx {
            Some(tx) => s.serialize_some(&serialize_hex(tx)),
            None => s.serialize_none(),
        }
    }

    /// Reads it back; anything but a whole transaction is refused.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Transaction>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|hex| deserialize_hex(&hex).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A source of blocks and mempool transactions for a [`bdk_wallet::Wallet`], and a way to
/// broadcast transactions.
pub trait ChainSource: fmt::Debug + Send + Sync {
    /// The local regtest ledger behind this source, if it is one (the demo and `regtest`
    /// commands mine on it).
    fn ledger(&self) -> Option<&Ledger> {
        None
    }

    /// Runs `f` once over one consistent look at the chain that follows the spends of
    /// `roots` (channels' funding outpoints: the update, settlement and PTLC claims after
    /// each, confirmed and in the mempool), each with the lowest height its funding can be
    /// at (the tip when the channel was made; 0 if unknown). A read that fails inside `f` fails the whole
    /// look: its answers are never taken for "not on chain".
    fn with_view(
        &self,
        roots: &[(OutPoint, u32)],
        f: &mut dyn FnMut(&dyn ChainView),
    ) -> Result<(), ChainSourceError>;

    /// The transaction that made `outpoint` (a funding a peer names), in the mempool or in
    /// a block; `None` if the chain source knows of none.
    fn find_tx(&self, outpoint: &OutPoint) -> Result<Option<Transaction>, ChainSourceError>;

    /// A short name for messages, e.g. `regtest ledger at /tmp/l` or
    /// `bitcoind at http://127.0.0.1:18443`.
    fn describe(&self) -> String;

    /// The hash of the chain's genesis block (wallets are created with it).
    fn genesis_hash(&self) -> Result<BlockHash, ChainSourceError>;

    /// The height of the chain tip.
    fn tip_height(&self) -> Result<u32, ChainSourceError>;

    /// The chain tip's height and hash.
    fn tip(&self) -> Result<bdk_wallet::chain::BlockId, ChainSourceError>;

    /// The network the chain belongs to (the regtest ledger is [`Network::Regtest`]).
    fn network(&self) -> Result<Network, ChainSourceError>;

    /// Brings `wallet` up to the chain: the blocks after its last checkpoint, then the
    /// mempool (and evictions of its unconfirmed transactions the mempool lost).
    /// `progress(applied, total)` is called after each block. The changes are staged in the
    /// wallet (`Wallet::take_staged`); nothing is persisted here.
    fn sync(
        &self,
        wallet: &mut Wallet,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<SyncReport, ChainSourceError>;

    /// Broadcasts `tx` (the regtest ledger validates it and adds it to its mempool).
    fn broadcast(&self, tx: &Transaction) -> Result<Txid, ChainSourceError>;

    /// Broadcasts a parent and the child that pays for it, as one package (bitcoind's
    /// `submitpackage`; the regtest ledger applies the same package policy).
    fn broadcast_package(&self, txs: &[Transaction]) -> Result<(), ChainSourceError>;

    /// Goes on from a stored spend index (bitcoind; see [`SpendIndexRecord`]).
    fn restore_spend_index(&self, _record: SpendIndexRecord) {}

    /// The spend index to store and its generation, if it changed since it was last
    /// restored or stored (bitcoind; the regtest ledger keeps none). Once it is written,
    /// say so with [`ChainSource::spend_index_stored`].
    fn changed_spend_index(&self) -> Option<(SpendIndexRecord, u64)> {
        None
    }

    /// The spend index of `generation` is written.
    fn spend_index_stored(&self, _generation: u64) {}

    /// The fee rate to confirm within a few blocks ([`FALLBACK_FEE_RATE`] without an
    /// estimate).
    fn fee_rate(&self) -> bitcoin::FeeRate {
        FALLBACK_FEE_RATE
    }

    /// `txid` as it waits in the node's mempool; `None` when it is not there (confirmed,
    /// gone, or a chain source without a mempool).
    fn mempool_entry(&self, _txid: &Txid) -> Result<Option<MempoolEntry>, ChainSourceError> {
        Ok(None)
    }

    /// A token that changes whenever anything [`ChainSource::with_view`] could show
    /// changes (a block, a mempool transaction, the source replaced), read before the look
    /// it vouches for; `None` when the source cannot tell (then every look is made again).
    /// The regtest ledger has one ([`Ledger::change_token`]); bitcoind has none (its
    /// mempool changes all the time on a real network): see
    /// [`ChainSource::spent_in_mempool`] instead.
    fn change_token(&self) -> Result<Option<[u64; 3]>, ChainSourceError> {
        Ok(None)
    }

    /// The tip's height once the source has caught up with its network (bitcoind: out of
    /// its initial block download, every header's block in, its mempool loaded from disk),
    /// `None` while it catches up: what it says is missing may only be late.
    fn caught_up_tip(&self) -> Result<Option<u32>, ChainSourceError> {
        self.tip_height().map(Some)
    }

    /// For each of `outpoints`, whether a transaction in the mempool spends it, asked for
    /// all of them at once (bitcoind's `gettxspendingprevout`); `None` where the source
    /// cannot tell. A source without a [`ChainSource::change_token`] is asked this for the
    /// fundings of open channels: a look at a channel whose funding output is confirmed
    /// and unspent shows the same again while the tip is the same and nothing in the
    /// mempool spends the funding.
    fn spent_in_mempool(
        &self,
        _outpoints: &[OutPoint],
    ) -> Result<Option<Vec<bool>>, ChainSourceError> {
        Ok(None)
    }
}

/// What [`Adjusted::sync_first`] runs before each broadcast.
pub type BeforeBroadcast = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// `inner` with one thing changed; everything else is `inner`'s.
pub struct Adjusted {
    inner: Box<dyn ChainSource>,
    rate: Option<bitcoin::FeeRate>,
    before_broadcast: Option<BeforeBroadcast>,
    catching_up: bool,
}

impl std::fmt::Debug for Adjusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adjusted")
            .field("inner", &self.inner)
            .field("rate", &self.rate)
            .field("before_broadcast", &self.before_broadcast.is_some())
            .field("catching_up", &self.catching_up)
            .finish()
    }
}

impl Adjusted {
    /// `inner` paying `rate` for the children that pay for channel transactions, set by
    /// the user (`--anchor-fee-rate`) instead of estimated.
    pub fn fee_rate(inner: Box<dyn ChainSource>, rate: bitcoin::FeeRate) -> Adjusted {
        Adjusted {
            inner,
            rate: Some(rate),
            before_broadcast: None,
            catching_up: false,
        }
    }

    /// Tests: `inner` as a node still catching up with its network shows it (its
    /// [`ChainSource::caught_up_tip`] is `None`; a restarted node, its tip old).
    #[doc(hidden)]
    pub fn catching_up(inner: Box<dyn ChainSource>) -> Adjusted {
        Adjusted {
            inner,
            rate: None,
            before_broadcast: None,
            catching_up: true,
        }
    }

    /// `inner`, running `sync` before every broadcast and publishing nothing if it fails
    /// ([`ChainSourceError::NotDurable`]): S makes what it committed durable before the
    /// chain can see a transaction that follows from it (group commit, ADR 0014).
    pub fn sync_first(inner: Box<dyn ChainSource>, sync: BeforeBroadcast) -> Adjusted {
        Adjusted {
            inner,
            rate: None,
            before_broadcast: Some(sync),
            catching_up: false,
        }
    }

    fn before_broadcast(&self) -> Result<(), ChainSourceError> {
        match &self.before_broadcast {
            Some(sync) => sync().map_err(ChainSourceError::NotDurable),
            None => Ok(()),
        }
    }
}

impl ChainSource for Adjusted {
    fn ledger(&self) -> Option<&Ledger> {
        self.inner.ledger()
    }
    fn with_view(
        &self,
        roots: &[(OutPoint, u32)],
        f: &mut dyn FnMut(&dyn ChainView),
    ) -> Result<(), ChainSourceError> {
        self.inner.with_view(roots, f)
    }
    fn find_tx(&self, outpoint: &OutPoint) -> Result<Option<Transaction>, ChainSourceError> {
        self.inner.find_tx(outpoint)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn genesis_hash(&self) -> Result<BlockHash, ChainSourceError> {
        self.inner.genesis_hash()
    }
    fn tip_height(&self) -> Result<u32, ChainSourceError> {
        self.inner.tip_height()
    }
    fn tip(&self) -> Result<bdk_wallet::chain::BlockId, ChainSourceError> {
        self.inner.tip()
    }
    fn network(&self) -> Result<Network, ChainSourceError> {
        self.inner.network()
    }
    fn sync(
        &self,
        wallet: &mut Wallet,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<SyncReport, ChainSourceError> {
        self.inner.sync(wallet, progress)
    }
    fn broadcast(&self, tx: &Transaction) -> Result<Txid, ChainSourceError> {
        self.before_broadcast()?;
        self.inner.broadcast(tx)
    }
    fn broadcast_package(&self, txs: &[Transaction]) -> Result<(), ChainSourceError> {
        self.before_broadcast()?;
        self.inner.broadcast_package(txs)
    }
    fn restore_spend_index(&self, record: SpendIndexRecord) {
        self.inner.restore_spend_index(record)
    }
    fn changed_spend_index(&self) -> Option<(SpendIndexRecord, u64)> {
        self.inner.changed_spend_index()
    }
    fn spend_index_stored(&self, generation: u64) {
        self.inner.spend_index_stored(generation)
    }
    fn fee_rate(&self) -> bitcoin::FeeRate {
        self.rate.unwrap_or_else(|| self.inner.fee_rate())
    }
    fn mempool_entry(&self, txid: &Txid) -> Result<Option<MempoolEntry>, ChainSourceError> {
        self.inner.mempool_entry(txid)
    }
    fn change_token(&self) -> Result<Option<[u64; 3]>, ChainSourceError> {
        self.inner.change_token()
    }
    fn spent_in_mempool(
        &self,
        outpoints: &[OutPoint],
    ) -> Result<Option<Vec<bool>>, ChainSourceError> {
        self.inner.spent_in_mempool(outpoints)
    }
    fn caught_up_tip(&self) -> Result<Option<u32>, ChainSourceError> {
        if self.catching_up {
            return Ok(None);
        }
        self.inner.caught_up_tip()
    }
}

/// A transaction waiting in the node's mempool, as fee bumping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolEntry {
    /// The tip's height when it entered the mempool: a block above it was mined without it.
    pub height: u32,
    /// Fees of it and its descendants in the mempool.
    pub descendant_fees: bitcoin::Amount,
    /// Virtual size of it and its descendants.
    pub descendant_vsize: u64,
    /// The mempool transactions that spend its outputs (a zero-fee parent: its fee child,
    /// whoever made it).
    pub spent_by: Vec<Txid>,
}

impl MempoolEntry {
    /// The fee rate of it with its descendants (a zero-fee parent with its child: the
    /// package's rate), rounded down.
    pub fn package_rate(&self) -> bitcoin::FeeRate {
        rate_of(self.descendant_fees, self.descendant_vsize)
    }
}

/// The fee rate of `fee` paid for `vsize` virtual bytes, rounded down.
pub fn rate_of(fee: bitcoin::Amount, vsize: u64) -> bitcoin::FeeRate {
    // 1 sat/vB is 250 sat per 1000 weight units.
    bitcoin::FeeRate::from_sat_per_kwu(fee.to_sat().saturating_mul(250) / vsize.max(1))
}

/// Publishes again a cooperative close of a channel of `capacity` that a node may have
/// lost from its mempool, if it pays at least the source's fee rate today: one paying
/// less is left to end in a force close, or a close at a low fee would hold the channel's
/// coins without end. Whatever the node answers (already known, confirmed, refused) is
/// left to the look that follows.
pub fn publish_close_again(
    source: &dyn ChainSource,
    close: &Transaction,
    capacity: bitcoin::Amount,
) {
    let paid: bitcoin::Amount = close.output.iter().map(|o| o.value).sum();
    let fee = capacity.checked_sub(paid).unwrap_or(bitcoin::Amount::ZERO);
    if rate_of(fee, close.vsize() as u64) >= source.fee_rate() {
        let _ = source.broadcast(close);
    }
}

/// [`ChainSource::with_view`] for a closure that returns something.
pub fn read_chain<R>(
    chain: &dyn ChainSource,
    roots: &[(OutPoint, u32)],
    f: impl FnOnce(&dyn ChainView) -> R,
) -> Result<R, ChainSourceError> {
    let mut f = Some(f);
    let mut out = None;
    chain.with_view(roots, &mut |view| {
        if let Some(f) = f.take() {
            out = Some(f(view));
        }
    })?;
    Ok(out.expect("with_view runs its closure once when it succeeds"))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn check_genesis(
    wallet: &Wallet,
    genesis: BlockHash,
    source_name: impl FnOnce() -> String,
) -> Result<(), ChainSourceError> {
    let wallet_genesis = wallet.local_chain().genesis_hash();
    if wallet_genesis != genesis {
        return Err(ChainSourceError::GenesisMismatch {
            source_name: source_name(),
            wallet: wallet_genesis,
            chain: genesis,
        });
    }
    Ok(())
}

/// The wallet's canonical unconfirmed transactions.
fn unconfirmed_txs(wallet: &Wallet) -> Vec<Arc<Transaction>> {
    wallet
        .transactions()
        .filter(|t| !t.chain_position.is_confirmed())
        .map(|t| t.tx_node.tx.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Regtest ledger
// ---------------------------------------------------------------------------------------

/// The local regtest [`Ledger`] as a chain source.
///
/// Sync is incremental: it checks that the wallet's last checkpoint is still on the ledger
/// (else [`ChainSourceError::ChainChanged`]), applies each later block with
/// `Wallet::apply_block_connected_to`, then the mempool with `apply_unconfirmed_txs` and
/// evicts the wallet's unconfirmed transactions that are neither in the mempool nor
/// confirmed (dropped by mining, replaced).
#[derive(Debug, Clone)]
pub struct RegtestSource {
    ledger: Ledger,
}

impl RegtestSource {
    /// Opens (creating if needed) the ledger in `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<RegtestSource, ChainSourceError> {
        Ok(RegtestSource {
            ledger: Ledger::open(dir).map_err(ChainSourceError::Ledger)?,
        })
    }

    /// Wraps an open ledger.
    pub fn new(ledger: Ledger) -> RegtestSource {
        RegtestSource { ledger }
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

impl ChainSource for RegtestSource {
    fn ledger(&self) -> Option<&Ledger> {
        Some(&self.ledger)
    }

    fn describe(&self) -> String {
        format!("regtest ledger at {}", self.ledger.dir().display())
    }

    fn with_view(
        &self,
        _roots: &[(OutPoint, u32)],
        f: &mut dyn FnMut(&dyn ChainView),
    ) -> Result<(), ChainSourceError> {
        // The ledger indexes every spend: one read snapshot answers for any outpoint.
        self.ledger.view(|v| f(v)).map_err(ChainSourceError::Ledger)
    }

    fn find_tx(&self, outpoint: &OutPoint) -> Result<Option<Transaction>, ChainSourceError> {
        let found = self.ledger.tx(&outpoint.txid);
        found
            .map(|t| t.map(|i| i.tx))
            .map_err(ChainSourceError::Ledger)
    }

    fn genesis_hash(&self) -> Result<BlockHash, ChainSourceError> {
        self.ledger.genesis_hash().map_err(ChainSourceError::Ledger)
    }

    fn tip_height(&self) -> Result<u32, ChainSourceError> {
        Ok(self.ledger.tip().map_err(ChainSourceError::Ledger)?.height)
    }

    fn tip(&self) -> Result<bdk_wallet::chain::BlockId, ChainSourceError> {
        let tip = self.ledger.tip().map_err(ChainSourceError::Ledger)?;
        Ok(bdk_wallet::chain::BlockId {
            height: tip.height,
            hash: tip.hash,
        })
    }

    fn network(&self) -> Result<Network, ChainSourceError> {
        Ok(Network::Regtest)
    }

    fn sync(
        &self,
        wallet: &mut Wallet,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<SyncReport, ChainSourceError> {
        let wallet_tip = wallet.latest_checkpoint().block_id();
        // One consistent snapshot: the blocks above the wallet's checkpoint and the mempool.
        let snapshot = self
            .ledger
            .view(|v| -> Result<_, LedgerError> {
                let genesis = v.genesis_hash()?;
                let on_chain = v.block_hash(wallet_tip.height)? == Some(wallet_tip.hash);
                if !on_chain {
                    return Ok((genesis, None));
                }
                let tip_height = v.tip_height()?;
                let blocks = v.full_blocks_after(wallet_tip.height)?;
                let mempool = v.mempool()?;
                Ok((genesis, Some((blocks, mempool, tip_height))))
            })
            .and_then(|r| r)
            .map_err(ChainSourceError::Ledger)?;
        let (genesis, rest) = snapshot;
        check_genesis(wallet, genesis, || self.describe())?;
        let Some((blocks, mempool, tip_height)) = rest else {
            return Err(ChainSourceError::ChainChanged {
                source_name: self.describe(),
                height: wallet_tip.height,
                hash: wallet_tip.hash,
            });
        };

        let total = blocks.len() as u32;
        for (i, (height, block)) in blocks.iter().enumerate() {
            let connected_to = BlockId {
                height: height - 1,
                hash: block.header.prev_blockhash,
            };
            wallet
                .apply_block_connected_to(block, *height, connected_to)
                .map_err(|e| ChainSourceError::CannotConnect {
                    source_name: self.describe(),
                    height: *height,
                    reason: e.to_string(),
                })?;
            progress(i as u32 + 1, total);
        }

        // Mempool: newly seen (or still seen) transactions, then evictions of the wallet's
        // unconfirmed transactions the ledger no longer has.
        let now = unix_now();
        let in_mempool: HashSet<Txid> = mempool.iter().map(|t| t.compute_txid()).collect();
        let graph = wallet.tx_graph();
        let seen: Vec<(Transaction, u64)> = mempool
            .iter()
            .map(|tx| {
                // A transaction evicted in this same second and seen again must count as
                // seen after its eviction.
                let evicted = graph.get_last_evicted(tx.compute_txid()).unwrap_or(0);
                (tx.clone(), now.max(evicted + 1))
            })
            .collect();
        let mempool_txs = seen.len();
        wallet.apply_unconfirmed_txs(seen);
        // Evicted at no earlier than last seen (an eviction counts if it is not older).
        let evicted: Vec<(Txid, u64)> = wallet
            .transactions()
            .filter(|t| !in_mempool.contains(&t.tx_node.txid))
            .filter_map(|t| match t.chain_position {
                ChainPosition::Unconfirmed { last_seen, .. } => {
                    Some((t.tx_node.txid, now.max(last_seen.unwrap_or(0))))
                }
                ChainPosition::Confirmed { .. } => None,
            })
            .collect();
        let evicted_count = evicted.len();
        wallet.apply_evicted_txs(evicted);

        Ok(SyncReport {
            tip_height,
            blocks_applied: total,
            mempool_txs,
            evicted: evicted_count,
        })
    }

    fn broadcast(&self, tx: &Transaction) -> Result<Txid, ChainSourceError> {
        match self.ledger.submit(tx) {
            // Published before (e.g. by the peer's watcher too): that is success.
            Err(LedgerError::Rejected(crate::chain::RejectError::AlreadyKnown {
                txid, ..
            })) => return Ok(txid),
            result => result,
        }
        .map_err(|e| match e {
            LedgerError::Rejected(reason) => ChainSourceError::Rejected {
                source_name: self.describe(),
                txid: tx.compute_txid(),
                reason: reason.to_string(),
            },
            other => ChainSourceError::Ledger(other),
        })
    }

    fn mempool_entry(&self, txid: &Txid) -> Result<Option<MempoolEntry>, ChainSourceError> {
        self.ledger
            .mempool_entry(txid)
            .map_err(ChainSourceError::Ledger)
    }

    fn change_token(&self) -> Result<Option<[u64; 3]>, ChainSourceError> {
        self.ledger.change_token().map_err(ChainSourceError::Ledger)
    }

    fn broadcast_package(&self, txs: &[Transaction]) -> Result<(), ChainSourceError> {
        self.ledger
            .submit_package(txs)
            .map(drop)
            .map_err(|e| match e {
                LedgerError::Rejected(reason) => ChainSourceError::Rejected {
                    source_name: self.describe(),
                    txid: txs
                        .last()
                        .map(|t| t.compute_txid())
                        .unwrap_or_else(Txid::all_zeros),
                    reason: reason.to_string(),
                },
                other => ChainSourceError::Ledger(other),
            })
    }
}

// ---------------------------------------------------------------------------------------
// bitcoind
// ---------------------------------------------------------------------------------------

/// How to authenticate to bitcoind's RPC server.
#[derive(Clone, PartialEq, Eq)]
pub enum BitcoindAuth {
    /// No credentials (bitcoind will refuse unless a proxy adds them).
    None,
    /// `-rpcuser`/`-rpcpassword` (or `-rpcauth`) credentials.
    UserPass {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// The cookie file bitcoind writes into its data directory (`.cookie`), read when the
    /// source is created.
    Cookie(PathBuf),
}

impl fmt::Debug for BitcoindAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitcoindAuth::None => f.write_str("None"),
            BitcoindAuth::UserPass { user, .. } => {
                write!(f, "UserPass {{ user: {user:?}, password: <redacted> }}")
            }
            BitcoindAuth::Cookie(p) => f.debug_tuple("Cookie").field(p).finish(),
        }
    }
}

/// A bitcoind JSON-RPC server as a chain source (Bitcoin Inquisition on regtest or signet).
///
/// Sync uses `bdk_bitcoind_rpc`'s [`Emitter`] from the wallet's last checkpoint (it follows
/// reorgs), then its mempool snapshot and evictions. Broadcast is `sendrawtransaction`.
/// Only plain `http://` is supported (bitcoind does not serve TLS).
pub struct BitcoindSource {
    url: String,
    client: bitcoincore_rpc::Client,
    /// Confirmed spends of the channels watched so far (`super::spends`).
    index: std::sync::Mutex<SpendIndex>,
    /// The index's generation last restored or taken to be stored.
    stored_generation: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for BitcoindSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitcoindSource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl BitcoindSource {
    /// A client for the RPC server at `url` (`http://host:port[/path]`, no credentials in
    /// it). Does not connect yet; a cookie file is read now.
    pub fn new(url: &str, auth: BitcoindAuth) -> Result<BitcoindSource, ChainSourceError> {
        let rpc_auth = match auth {
            BitcoindAuth::None => bitcoincore_rpc::Auth::None,
            BitcoindAuth::UserPass { user, password } => {
                bitcoincore_rpc::Auth::UserPass(user, password)
            }
            BitcoindAuth::Cookie(path) => {
                // Read it here for a clear error (bitcoincore_rpc's is terse).
                if let Err(e) = std::fs::read_to_string(&path) {
                    return Err(ChainSourceError::Cookie {
                        path,
                        reason: e.to_string(),
                    });
                }
                bitcoincore_rpc::Auth::CookieFile(path)
            }
        };
        let cookie_path = match &rpc_auth {
            bitcoincore_rpc::Auth::CookieFile(p) => Some(p.clone()),
            _ => None,
        };
        let client =
            bitcoincore_rpc::Client::new(url, rpc_auth).map_err(|e| match cookie_path {
                Some(path) if matches!(e, bitcoincore_rpc::Error::InvalidCookieFile) => {
                    ChainSourceError::Cookie {
                        path,
                        reason: "expected one line `user:password`".into(),
                    }
                }
                _ => ChainSourceError::Rpc {
                    url: url.to_owned(),
                    reason: e.to_string(),
                },
            })?;
        Ok(BitcoindSource {
            url: url.to_owned(),
            client,
            index: std::sync::Mutex::default(),
            stored_generation: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The RPC URL (without credentials).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, e: bitcoincore_rpc::Error) -> ChainSourceError {
        rpc_error(&self.url, e)
    }

    fn lock_index(&self) -> std::sync::MutexGuard<'_, SpendIndex> {
        self.index.lock().unwrap_or_else(|poisoned| {
            // A panic while it was held: start the index again rather than trust it.
            let mut index = poisoned.into_inner();
            *index = SpendIndex::default();
            index
        })
    }
}

pub(super) fn rpc_error(url: &str, e: bitcoincore_rpc::Error) -> ChainSourceError {
    use bitcoincore_rpc::jsonrpc;
    let url = url.to_owned();
    match e {
        bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Transport(t)) => {
            // Lower-case like our own messages: "couldn't connect to host: …".
            let text = t.to_string();
            let mut chars = text.chars();
            let reason = match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            };
            if let Some(jsonrpc::simple_http::Error::HttpErrorCode(401)) =
                t.downcast_ref::<jsonrpc::simple_http::Error>()
            {
                return ChainSourceError::Unauthorized { url };
            }
            ChainSourceError::Unreachable { url, reason }
        }
        bitcoincore_rpc::Error::JsonRpc(jsonrpc::Error::Rpc(r)) => ChainSourceError::Rpc {
            url,
            reason: format!("rpc error {}: {}", r.code, r.message),
        },
        other => ChainSourceError::Rpc {
            url,
            reason: other.to_string(),
        },
    }
}

impl ChainSource for BitcoindSource {
    fn describe(&self) -> String {
        format!("bitcoind at {}", self.url)
    }

    fn with_view(
        &self,
        roots: &[(OutPoint, u32)],
        f: &mut dyn FnMut(&dyn ChainView),
    ) -> Result<(), ChainSourceError> {
        let mut index = self.lock_index();
        let tip = index.refresh(&self.client, &self.url, roots)?;
        let view = BitcoindView {
            rpc: &self.client,
            url: &self.url,
            index: &index,
            tip,
            error: Default::default(),
        };
        f(&view);
        match view.error.into_inner() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn find_tx(&self, outpoint: &OutPoint) -> Result<Option<Transaction>, ChainSourceError> {
        super::spends::find_tx(&self.client, &self.url, outpoint)
    }

    fn restore_spend_index(&self, record: SpendIndexRecord) {
        let Ok(genesis) = self.genesis_hash() else {
            return;
        };
        if let Some(restored) = SpendIndex::from_record(record, genesis) {
            let mut index = self.lock_index();
            *index = restored;
            self.stored_generation
                .store(index.generation(), std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn changed_spend_index(&self) -> Option<(SpendIndexRecord, u64)> {
        let genesis = self.genesis_hash().ok()?;
        let index = self.lock_index();
        let generation = index.generation();
        let stored = self
            .stored_generation
            .load(std::sync::atomic::Ordering::SeqCst);
        (stored != generation).then(|| (index.to_record(genesis), generation))
    }

    fn spend_index_stored(&self, generation: u64) {
        self.stored_generation
            .store(generation, std::sync::atomic::Ordering::SeqCst);
    }

    fn genesis_hash(&self) -> Result<BlockHash, ChainSourceError> {
        self.client.get_block_hash(0).map_err(|e| self.error(e))
    }

    fn tip_height(&self) -> Result<u32, ChainSourceError> {
        let count = self.client.get_block_count().map_err(|e| self.error(e))?;
        u32::try_from(count).map_err(|_| ChainSourceError::Rpc {
            url: self.url.clone(),
            reason: format!("block count {count} out of range"),
        })
    }

    fn tip(&self) -> Result<bdk_wallet::chain::BlockId, ChainSourceError> {
        let (height, hash) = super::spends::best_block(&self.client, &self.url)?;
        Ok(bdk_wallet::chain::BlockId { height, hash })
    }

    fn network(&self) -> Result<Network, ChainSourceError> {
        Ok(self
            .client
            .get_blockchain_info()
            .map_err(|e| self.error(e))?
            .chain)
    }

    fn sync(
        &self,
        wallet: &mut Wallet,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<SyncReport, ChainSourceError> {
        let genesis = self.genesis_hash()?;
        check_genesis(wallet, genesis, || self.describe())?;
        let wallet_tip = wallet.latest_checkpoint();
        let total = self.tip_height()?.saturating_sub(wallet_tip.height());
        let mut emitter = Emitter::new(
            &self.client,
            wallet_tip.clone(),
            wallet_tip.height(),
            unconfirmed_txs(wallet),
        );
        let mut applied = 0u32;
        while let Some(event) = emitter.next_block().map_err(|e| self.error(e))? {
            let height = event.block_height();
            wallet
                .apply_block_connected_to(&event.block, height, event.connected_to())
                .map_err(|e| ChainSourceError::CannotConnect {
                    source_name: self.describe(),
                    height,
                    // The stored wallet keeps every block's checkpoint only for the last
                    // `RECENT_CHECKPOINTS` (`WalletState::merge`); below them BDK cannot
                    // tell which of its checkpoints a reorganization replaced.
                    reason: format!(
                        "{e}; the node's chain was reorganized below the last {} blocks the \
                         wallet remembers: restore the wallet from its seed (`asyncpay init \
                         --restore` in a new data dir) to scan the chain again",
                        crate::wallet::RECENT_CHECKPOINTS
                    ),
                })?;
            applied += 1;
            progress(applied, total.max(applied));
        }
        let mempool = emitter.mempool().map_err(|e| self.error(e))?;
        let mempool_txs = mempool.update.len();
        let evicted = mempool.evicted.len();
        wallet.apply_evicted_txs(mempool.evicted);
        wallet.apply_unconfirmed_txs(mempool.update);
        Ok(SyncReport {
            tip_height: wallet.latest_checkpoint().height(),
            blocks_applied: applied,
            mempool_txs,
            evicted,
        })
    }

    fn broadcast(&self, tx: &Transaction) -> Result<Txid, ChainSourceError> {
        self.client.send_raw_transaction(tx).or_else(|e| match e {
            // RPC_VERIFY_ALREADY_IN_CHAIN: published before (in the mempool or a block).
            bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(r))
                if r.code == -27 =>
            {
                Ok(tx.compute_txid())
            }
            bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(r)) => Err({
                ChainSourceError::Rejected {
                    source_name: self.describe(),
                    txid: tx.compute_txid(),
                    reason: r.message,
                }
            }),
            other => Err(self.error(other)),
        })
    }

    fn broadcast_package(&self, txs: &[Transaction]) -> Result<(), ChainSourceError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            package_msg: String,
            #[serde(rename = "tx-results", default)]
            tx_results: std::collections::BTreeMap<String, TxResult>,
        }
        #[derive(serde::Deserialize)]
        struct TxResult {
            #[serde(default)]
            error: Option<String>,
        }
        let hexes: Vec<String> = txs
            .iter()
            .map(bitcoin::consensus::encode::serialize_hex)
            .collect();
        let answer: Answer = self
            .client
            .call("submitpackage", &[serde_json::json!(hexes)])
            .map_err(|e| match e {
                bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(r)) => {
                    ChainSourceError::Rejected {
                        source_name: self.describe(),
                        txid: txs
                            .first()
                            .map(Transaction::compute_txid)
                            .unwrap_or(Txid::all_zeros()),
                        reason: r.message,
                    }
                }
                other => self.error(other),
            })?;
        if answer.package_msg == "success" {
            return Ok(());
        }
        let errors: Vec<String> = answer
            .tx_results
            .into_values()
            .filter_map(|r| r.error)
            .collect();
        Err(ChainSourceError::Rejected {
            source_name: self.describe(),
            txid: txs
                .first()
                .map(Transaction::compute_txid)
                .unwrap_or(Txid::all_zeros()),
            reason: format!("package: {} ({})", answer.package_msg, errors.join("; ")),
        })
    }

    fn caught_up_tip(&self) -> Result<Option<u32>, ChainSourceError> {
        #[derive(serde::Deserialize)]
        struct Chain {
            blocks: u32,
            headers: u32,
            initialblockdownload: bool,
        }
        #[derive(serde::Deserialize)]
        struct Mempool {
            loaded: bool,
        }
        let chain: Chain = self
            .client
            .call("getblockchaininfo", &[])
            .map_err(|e| self.error(e))?;
        let mempool: Mempool = self
            .client
            .call("getmempoolinfo", &[])
            .map_err(|e| self.error(e))?;
        let caught_up =
            !chain.initialblockdownload && chain.headers <= chain.blocks && mempool.loaded;
        Ok(caught_up.then_some(chain.blocks))
    }

    fn spent_in_mempool(
        &self,
        outpoints: &[OutPoint],
    ) -> Result<Option<Vec<bool>>, ChainSourceError> {
        let spenders = super::spends::mempool_spenders(&self.client, &self.url, outpoints)?;
        Ok(Some(spenders.iter().map(Option::is_some).collect()))
    }

    fn mempool_entry(&self, txid: &Txid) -> Result<Option<MempoolEntry>, ChainSourceError> {
        #[derive(serde::Deserialize)]
        struct Entry {
            height: u32,
            descendantsize: u64,
            fees: Fees,
            spentby: Vec<Txid>,
        }
        #[derive(serde::Deserialize)]
        struct Fees {
            /// BTC.
            descendant: f64,
        }
        match self
            .client
            .call::<Entry>("getmempoolentry", &[serde_json::json!(txid)])
        {
            Ok(e) => Ok(Some(MempoolEntry {
                height: e.height,
                descendant_fees: bitcoin::Amount::from_btc(e.fees.descendant).map_err(|err| {
                    self.error(bitcoincore_rpc::Error::ReturnedError(err.to_string()))
                })?,
                descendant_vsize: e.descendantsize,
                spent_by: e.spentby,
            })),
            // RPC_INVALID_ADDRESS_OR_KEY: "Transaction not in mempool".
            Err(bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(r)))
                if r.code == -5 =>
            {
                Ok(None)
            }
            Err(e) => Err(self.error(e)),
        }
    }

    /// `estimatesmartfee` for 6 blocks ([`FALLBACK_FEE_RATE`] without an estimate), and
    /// never below what the node's mempool takes now (`mempoolminfee` plus
    /// `incrementalrelayfee`, for a full mempool).
    fn fee_rate(&self) -> bitcoin::FeeRate {
        #[derive(serde::Deserialize)]
        struct Estimate {
            /// BTC per 1000 vB.
            feerate: Option<f64>,
        }
        #[derive(serde::Deserialize)]
        struct MempoolInfo {
            mempoolminfee: f64,
            incrementalrelayfee: f64,
        }
        /// BTC per 1000 vB to whole sat per vB, rounded up, at most 10 000.
        fn sat_per_vb(btc_per_kvb: f64) -> u64 {
            if btc_per_kvb.is_finite() && btc_per_kvb > 0.0 {
                (btc_per_kvb * 100_000.0).ceil().min(10_000.0) as u64
            } else {
                0
            }
        }
        let estimate = match self
            .client
            .call::<Estimate>("estimatesmartfee", &[serde_json::json!(6)])
        {
            Ok(Estimate {
                feerate: Some(rate),
            }) if sat_per_vb(rate) > 0 => sat_per_vb(rate),
            _ => FALLBACK_FEE_RATE.to_sat_per_vb_ceil(),
        };
        let floor = self
            .client
            .call::<MempoolInfo>("getmempoolinfo", &[])
            .map(|m| sat_per_vb(m.mempoolminfee) + sat_per_vb(m.incrementalrelayfee))
            .unwrap_or(0);
        bitcoin::FeeRate::from_sat_per_vb(estimate.max(floor)).unwrap_or(FALLBACK_FEE_RATE)
    }
}

// ---------------------------------------------------------------------------------------
// ChainSpec
// ---------------------------------------------------------------------------------------

/// Which chain source to use, parsed from a string:
///
/// - `regtest:DIR` — the local regtest ledger in directory `DIR` (created if missing);
/// - `bitcoind:URL` — a bitcoind JSON-RPC server, `URL` being
///   `http://[USER:PASSWORD@]HOST[:PORT][/PATH][?cookie=COOKIE_FILE]`, e.g.
///   `bitcoind:http://user:pass@127.0.0.1:18443` (user and password; the password may
///   contain `:` but not `@` or `/`) or
///   `bitcoind:http://127.0.0.1:18443?cookie=/home/me/.bitcoin/regtest/.cookie` (bitcoind's
///   cookie file). Without either, no credentials are sent. Only `http` is supported.
///
/// [`Display`](fmt::Display) prints the same syntax with the password replaced by `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainSpec {
    /// The local regtest ledger in this directory.
    Regtest(PathBuf),
    /// A bitcoind RPC server.
    Bitcoind {
        /// `http://host:port[/path]`, without credentials or query.
        url: String,
        /// The credentials.
        auth: BitcoindAuth,
    },
}

/// A chain source string that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid chain source '{input}': {reason}; expected `regtest:DIR` or `bitcoind:http://USER:PASSWORD@HOST:PORT` or `bitcoind:http://HOST:PORT?cookie=FILE`")]
pub struct ChainSpecError {
    /// The string given (with any password replaced by `***`).
    pub input: String,
    /// What is wrong.
    pub reason: String,
}

/// `input` with the password of a `bitcoind:http://user:password@` URL replaced by `***`.
fn redact(input: &str) -> String {
    let Some(scheme_end) = input.find("://") else {
        return input.to_owned();
    };
    let rest = &input[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &input[..scheme_end + 3], &rest[at..])
        }
        None => input.to_owned(),
    }
}

impl FromStr for ChainSpec {
    type Err = ChainSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ChainSpecError {
            input: redact(s),
            reason: reason.to_owned(),
        };
        if let Some(dir) = s.strip_prefix("regtest:") {
            if dir.is_empty() {
                return Err(err("the ledger directory is missing"));
            }
            return Ok(ChainSpec::Regtest(PathBuf::from(dir)));
        }
        let Some(url) = s.strip_prefix("bitcoind:") else {
            return Err(err("unknown kind of chain source"));
        };
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(err("https is not supported (bitcoind serves plain http)"));
        } else {
            return Err(err("the bitcoind url must start with http://"));
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (userinfo, host) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(err("the host is missing"));
        }
        // `[v6 address]:port` or `name:port`; the port is optional.
        let port = match host.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((_, "")) => None,
                Some((_, rest)) => Some(rest.strip_prefix(':').unwrap_or(rest)),
                None => return Err(err("the ipv6 address lacks its closing ]")),
            },
            None => host.rsplit_once(':').map(|(_, port)| port),
        };
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(err("the port is not a number from 0 to 65535"));
        }
        let mut cookie = None;
        for param in query.into_iter().flat_map(|q| q.split('&')) {
            match param.split_once('=') {
                Some(("cookie", path)) if !path.is_empty() => {
                    cookie = Some(PathBuf::from(path));
                }
                Some(("cookie", _)) => return Err(err("the cookie file path is empty")),
                _ => {
                    return Err(err(&format!(
                        "unknown url parameter '{param}' (only cookie=FILE is known)"
                    )))
                }
            }
        }
        let auth = match (userinfo, cookie) {
            (Some(_), Some(_)) => {
                return Err(err("give either user:password or a cookie file, not both"))
            }
            (Some(info), None) => match info.split_once(':') {
                Some((user, password)) if !user.is_empty() => BitcoindAuth::UserPass {
                    user: user.to_owned(),
                    password: password.to_owned(),
                },
                _ => return Err(err("credentials must be USER:PASSWORD")),
            },
            (None, Some(path)) => BitcoindAuth::Cookie(path),
            (None, None) => BitcoindAuth::None,
        };
        Ok(ChainSpec::Bitcoind {
            url: format!("http://{host}{path}"),
            auth,
        })
    }
}

impl fmt::Display for ChainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainSpec::Regtest(dir) => write!(f, "regtest:{}", dir.display()),
            ChainSpec::Bitcoind { url, auth } => {
                let rest = url.strip_prefix("http://").unwrap_or(url);
                match auth {
                    BitcoindAuth::None => write!(f, "bitcoind:{url}"),
                    BitcoindAuth::UserPass { user, .. } => {
                        write!(f, "bitcoind:http://{user}:***@{rest}")
                    }
                    BitcoindAuth::Cookie(p) => write!(f, "bitcoind:{url}?cookie={}", p.display()),
                }
            }
        }
    }
}

impl ChainSpec {
    /// The spec in the syntax it was parsed from, credentials included (unlike
    /// [`Display`](fmt::Display)): for sealed storage only, never for output.
    pub fn to_spec_string(&self) -> String {
        match self {
            ChainSpec::Bitcoind {
                url,
                auth: BitcoindAuth::UserPass { user, password },
            } => {
                let rest = url.strip_prefix("http://").unwrap_or(url);
                format!("bitcoind:http://{user}:{password}@{rest}")
            }
            other => other.to_string(),
        }
    }

    /// Opens the chain source (the regtest ledger directory is created if missing; nothing
    /// connects to bitcoind yet).
    pub fn connect(&self) -> Result<Box<dyn ChainSource>, ChainSourceError> {
        Ok(match self {
            ChainSpec::Regtest(dir) => Box::new(RegtestSource::open(dir)?),
            ChainSpec::Bitcoind { url, auth } => Box::new(BitcoindSource::new(url, auth.clone())?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S's chain source syncs S's records before every broadcast, and publishes nothing
    /// when that fails (group commit, ADR 0014).
    #[test]
    fn a_sync_first_source_syncs_before_it_publishes_and_refuses_when_it_cannot() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::test_store(&tmp.path().join("s"));
        assert!(store.defer_durability());
        let seed: crate::store::SeedFile = store.load().unwrap().unwrap();
        store.save(&seed).unwrap();
        assert!(store.sync_pending());
        let ledger = || Box::new(RegtestSource::open(tmp.path().join("chain")).unwrap());
        let sync = store.syncer();
        let source = Adjusted::sync_first(
            ledger(),
            Box::new(move || sync().map_err(|e| e.to_string())),
        );
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: Vec::new(),
            output: Vec::new(),
        };
        // The ledger refuses this transaction, after the sync.
        assert!(matches!(
            source.broadcast(&tx),
            Err(ChainSourceError::Rejected { .. })
        ));
        assert!(!store.sync_pending(), "synced before the broadcast");
        // The source does not keep S's database open: closed with the store (its clean
        // stop marked), with the source still alive.
        drop(store);
        assert!(tmp.path().join("s/records.sqlite-clean").exists());
        assert!(matches!(
            source.broadcast(&tx),
            Err(ChainSourceError::Rejected { .. })
        ));
        let refusing = Adjusted::sync_first(ledger(), Box::new(|| Err("EIO".to_owned())));
        for published in [
            refusing.broadcast(&tx).map(drop),
            refusing.broadcast_package(std::slice::from_ref(&tx)),
        ] {
            let err = published.unwrap_err();
            assert!(matches!(err, ChainSourceError::NotDurable(_)), "{err}");
            assert_eq!(err.to_string(), "nothing was published: EIO");
        }
    }

    #[test]
    fn parses_regtest_and_bitcoind_specs() {
        assert_eq!(
            "regtest:/tmp/ledger".parse::<ChainSpec>().unwrap(),
            ChainSpec::Regtest("/tmp/ledger".into())
        );
        assert_eq!(
            "bitcoind:http://alice:s3:cr3t@127.0.0.1:18443"
                .parse::<ChainSpec>()
                .unwrap(),
            ChainSpec::Bitcoind {
                url: "http://127.0.0.1:18443".into(),
                auth: BitcoindAuth::UserPass {
                    user: "alice".into(),
                    password: "s3:cr3t".into()
                }
            }
        );
        let cookie: ChainSpec = "bitcoind:http://localhost:38332/wallet/w?cookie=/d/.cookie"
            .parse()
            .unwrap();
        assert_eq!(
            cookie,
            ChainSpec::Bitcoind {
                url: "http://localhost:38332/wallet/w".into(),
                auth: BitcoindAuth::Cookie("/d/.cookie".into())
            }
        );
        assert_eq!(
            cookie.to_string(),
            "bitcoind:http://localhost:38332/wallet/w?cookie=/d/.cookie"
        );
        assert_eq!(
            "bitcoind:http://127.0.0.1:18443"
                .parse::<ChainSpec>()
                .unwrap(),
            ChainSpec::Bitcoind {
                url: "http://127.0.0.1:18443".into(),
                auth: BitcoindAuth::None
            }
        );
    }

    #[test]
    fn passwords_never_show() {
        let spec: ChainSpec = "bitcoind:http://u:hunter2@h:1".parse().unwrap();
        assert_eq!(spec.to_string(), "bitcoind:http://u:***@h:1");
        assert!(!format!("{spec:?}").contains("hunter2"));
        let e = "bitcoind:http://u:hunter2@h:99999"
            .parse::<ChainSpec>()
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("u:***@h:99999"), "{e}");
    }

    #[test]
    fn rejects_bad_specs_clearly() {
        for (input, reason) in [
            ("esplora:https://x", "unknown kind"),
            ("/tmp/x", "unknown kind"),
            ("regtest:", "directory is missing"),
            ("bitcoind:https://h:1", "https is not supported"),
            ("bitcoind:127.0.0.1:18443", "must start with http://"),
            ("bitcoind:http://", "host is missing"),
            ("bitcoind:http://h:port", "port is not a number"),
            ("bitcoind:http://[::1]x", "port is not a number"),
            ("bitcoind:http://[::1:1", "closing ]"),
            ("bitcoind:http://u@h:1", "USER:PASSWORD"),
            ("bitcoind:http://u:p@h:1?cookie=/c", "not both"),
            ("bitcoind:http://h:1?wallet=x", "unknown url parameter"),
        ] {
            let e = input.parse::<ChainSpec>().unwrap_err();
            assert!(e.reason.contains(reason), "{input}: {e}");
            assert!(e.to_string().contains("expected `regtest:DIR`"), "{e}");
        }
    }

    /// A kept transaction round-trips as consensus hex; absent stays absent; anything but a
    /// whole transaction is refused.
    #[test]
    fn a_kept_transaction_is_its_consensus_hex() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Kept(#[serde(with = "kept_tx")] Option<Transaction>);
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn::default()],
            output: vec![bitcoin::TxOut::NULL],
        };
        let json = serde_json::to_string(&Kept(Some(tx.clone()))).unwrap();
        assert_eq!(
            json,
            format!("\"{}\"", bitcoin::consensus::encode::serialize_hex(&tx))
        );
        assert_eq!(serde_json::from_str::<Kept>(&json).unwrap(), Kept(Some(tx)));
        assert_eq!(serde_json::from_str::<Kept>("null").unwrap(), Kept(None));
        let cut = &json[..json.len() - 3];
        assert!(serde_json::from_str::<Kept>(&format!("{cut}\"")).is_err());
    }
}
