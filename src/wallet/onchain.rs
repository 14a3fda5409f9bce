//! The on-chain wallet: a [`bdk_wallet::Wallet`] on the BIP86 descriptors
//! (`tr(…/86'/coin'/0'/{0,1}/*)`) of a [`WalletKeys`], with amounts as [`Amount`] and
//! errors that say what to do.
//!
//! Life cycle: [`OnchainWallet::create`] (first run: the network and the chain's genesis
//! hash are fixed then) or [`OnchainWallet::load`] (from the stored [`ChangeSet`]); then
//! [`OnchainWallet::sync`] against a [`ChainSource`], [`OnchainWallet::next_address`],
//! [`OnchainWallet::send`] and [`OnchainWallet::broadcast`]; after any of them,
//! [`OnchainWallet::take_changeset`] (or [`OnchainWallet::persist_into`]) for the caller to
//! save.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use bdk_wallet::chain::{ChainPosition, Merge};
use bdk_wallet::coin_selection::InsufficientFunds;
use bdk_wallet::error::CreateTxError;
use bdk_wallet::miniscript::descriptor::{Descriptor, DescriptorPublicKey, KeyMap, KeyMapWrapper};
use bdk_wallet::{ChangeSet, KeychainKind, LoadError, SignOptions, Wallet};
use bitcoin::address::NetworkUnchecked;
use bitcoin::{
    Address, Amount, BlockHash, FeeRate, Network, NetworkKind, OutPoint, SignedAmount, Transaction,
    Txid,
};
use serde::{Deserialize, Serialize};

use crate::chain::source::{rate_of, ChainSource, ChainSourceError, SyncReport};
use crate::keys::WalletKeys;

/// The address prefix of `network`, for messages.
fn hrp_hint(network: Network) -> &'static str {
    match network {
        Network::Bitcoin => "bc1…",
        Network::Regtest => "bcrt1…",
        _ => "tb1…",
    }
}

/// Errors of the on-chain wallet.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The keys and the requested wallet network disagree.
    #[error(
        "the keys are for {keys} but the on-chain wallet is for {wallet}; derive the keys \
         for {wallet} (or open the {keys} wallet)"
    )]
    NetworkMismatch {
        /// The keys' network.
        keys: Network,
        /// The wallet's network.
        wallet: Network,
    },
    /// The stored wallet state was made with other keys (or another network).
    #[error(
        "the stored on-chain wallet state belongs to other keys ({detail}); open it with \
         the seed it was created with"
    )]
    WrongKeys {
        /// What differs.
        detail: String,
    },
    /// The stored wallet state cannot be loaded.
    #[error(
        "the stored on-chain wallet state is unusable: {0}; restore the wallet from its \
         seed to rebuild it"
    )]
    CorruptState(String),
    /// A descriptor could not be parsed or used (a bug: descriptors come from the keys).
    #[error("invalid wallet descriptor: {0}")]
    Descriptor(String),
    /// The address belongs to another network.
    #[error(
        "address {address} is not a {network} address; use a {network} address \
         ({hint}) or open the wallet of the address's network"
    )]
    WrongNetwork {
        /// The address as given.
        address: String,
        /// The wallet's network.
        network: Network,
        /// The expected prefix.
        hint: &'static str,
    },
    /// The amount is too small for an output to be relayed.
    #[error(
        "amount {amount} sat is below the dust limit of {minimum} sat for this address; \
         send at least {minimum} sat"
    )]
    BelowDust {
        /// The amount asked for, in satoshis.
        amount: u64,
        /// The smallest amount allowed, in satoshis.
        minimum: u64,
    },
    /// The spendable coins do not cover the amount plus the fee.
    #[error(
        "insufficient funds: {} available, {} + fee needed; {hint}",
        crate::units::sat(available.to_sat()),
        crate::units::sat(needed.to_sat())
    )]
    InsufficientFunds {
        /// Spendable coins (confirmed, plus unconfirmed change).
        available: Amount,
        /// The amount to send (without the fee).
        needed: Amount,
        /// What to do.
        hint: String,
    },
    /// `send --all`: the confirmed coins cannot pay for a transaction with an output above
    /// the dust limit.
    #[error(
        "nothing to send: the confirmed coins ({}) do not cover the fee and an output above \
         the dust limit; {hint}",
        crate::units::sat(confirmed.to_sat())
    )]
    NothingToSweep {
        /// The confirmed, mature coins.
        confirmed: Amount,
        /// What to do.
        hint: String,
    },
    /// The transaction cannot be built for another reason.
    #[error("cannot build the transaction: {0}")]
    Build(String),
    /// The transaction cannot be signed completely (a bug: every input is the wallet's).
    #[error("cannot sign the transaction: {0}")]
    Sign(String),
    /// The chain source failed.
    #[error(transparent)]
    Chain(#[from] ChainSourceError),
}

/// What the CLI stores (encrypted) for the on-chain wallet: the merged BDK [`ChangeSet`].
/// It holds public descriptors, revealed indexes, block checkpoints and the wallet's
/// transactions — no secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalletState {
    /// Everything the wallet staged since creation, merged.
    pub changeset: ChangeSet,
}

impl crate::store::StateFile for WalletState {
    const FILE: &'static str = "wallet.age";
    const KIND: &'static str = "asyncpay/onchain-wallet";
    const VERSION: u32 = 1;
}

/// The confirmed balance of the on-chain wallet at a tip, stored beside [`WalletState`] so
/// that a command needing only that figure (the fee-reserve warning of `pay` and `receive`)
/// neither loads nor syncs the whole wallet. It holds while the chain's tip is `tip`:
/// confirmed coins change with a block, or with the wallet's own spends, and every save of
/// the wallet writes this again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedBalance {
    /// Hash of the block the wallet was synced to.
    pub tip: String,
    /// Its confirmed balance there.
    pub confirmed_sat: u64,
}

impl ConfirmedBalance {
    /// The wallet's, at the block it last synced.
    pub fn of(wallet: &OnchainWallet) -> ConfirmedBalance {
        ConfirmedBalance {
            tip: wallet.synced_tip().1.to_string(),
            confirmed_sat: wallet.balance().confirmed.to_sat(),
        }
    }
}

impl crate::store::StateFile for ConfirmedBalance {
    const FILE: &'static str = "confirmed-balance";
    const KIND: &'static str = "asyncpay/confirmed-balance";
    const VERSION: u32 = 1;
}

/// Block checkpoints kept below the tip in the stored wallet, one per block, besides those
/// its transactions are anchored in: the depth of a chain reorganization a sync on bitcoind
/// can follow (BDK connects the first block after the fork to the checkpoint of the block
/// before it, and replaces those above only when it has a checkpoint at the fork's height).
/// About a week of blocks, 75 KB stored; no reorganization of Bitcoin or signet has come
/// near it. A deeper one stops the sync with an error that says to restore from the seed.
pub const RECENT_CHECKPOINTS: usize = 1000;

/// Blocks a transaction of ours paying the estimate waits before [`OnchainWallet::bump_own`]
/// pays half again for it.
pub const OWN_TX_PATIENCE: u32 = 6;

/// A version 3 (TRUC) child may be at most this large (bitcoind's policy).
pub const MAX_CHILD_VSIZE: u64 = 1_000;

/// `1.5 × old + 1 sat/vB`: a package rate that replaces one paying `old` (BIP125 wants a
/// higher rate and the incremental fee; half as much again ends a fee fight in few rounds).
fn raised(old: FeeRate) -> FeeRate {
    let raised = old
        .to_sat_per_kwu()
        .saturating_mul(3)
        .div_ceil(2)
        .saturating_add(250);
    FeeRate::from_sat_per_kwu(raised)
}

/// `old` and the incremental relay fee (1 sat/vB): the least package rate that replaces one
/// paying `old`.
fn least_raised(old: FeeRate) -> FeeRate {
    FeeRate::from_sat_per_kwu(old.to_sat_per_kwu().saturating_add(250))
}

/// The package rate a bump pays to replace one paying `old`: `max(estimate, `[`raised`]`)`,
/// at most [`MAX_BUMP_FEE_RATE`].
fn raised_rate(estimate: FeeRate, old: FeeRate) -> FeeRate {
    raised(old).max(estimate).min(MAX_BUMP_FEE_RATE)
}

/// The least a package of `vsize` vB pays to replace mempool transactions paying `outbid`
/// (none: nothing): their fees and its own relay at the incremental relay fee (BIP125
/// rules 3 and 4), at most `ceiling` over `vsize` (none: the caller bounds the fee).
fn outbid_fee(outbid: Amount, vsize: u64, ceiling: Option<FeeRate>) -> Result<Amount, WalletError> {
    if outbid == Amount::ZERO {
        return Ok(Amount::ZERO);
    }
    let needed = outbid + crate::chain::policy::min_relay_fee(vsize);
    let Some(ceiling) = ceiling else {
        return Ok(needed);
    };
    if needed > ceiling.fee_vb(vsize).unwrap_or(Amount::MAX_MONEY) {
        return Err(WalletError::Build(format!(
            "the transactions to replace pay {} in fees (padded, maybe, with inputs of \
             someone else's): outbidding them costs {}, more than {} sat/vB over our own \
             {vsize} vB; left to confirm or to leave the mempool",
            crate::units::sat(outbid.to_sat()),
            crate::units::sat(needed.to_sat()),
            ceiling.to_sat_per_vb_floor()
        )));
    }
    Ok(needed)
}

/// What became of a transaction of ours the wallet keeps going
/// ([`OnchainWallet::keep_own_going`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnTx {
    /// Confirmed, waiting, or published again or paid more for (what was done).
    Going(Option<String>),
    /// It can never confirm: another transaction of ours, this one, deep in the chain,
    /// spent one of its coins; or (none) it was given up and no coin of ours is in it
    /// any more (or the wallet never held it).
    Dead(Option<Txid>),
}

/// A transaction built by `build` for a guessed vsize (`guess`), then again for the size
/// built, until it is no larger than the size it was built for.
fn built_for_size(
    mut guess: u64,
    mut build: impl FnMut(u64) -> Result<Transaction, WalletError>,
) -> Result<Transaction, WalletError> {
    for _ in 0..4 {
        let tx = build(guess)?;
        let built = tx.vsize() as u64;
        if built <= guess {
            return Ok(tx);
        }
        guess = built;
    }
    Err(WalletError::Build(
        "the fee child's size did not settle".into(),
    ))
}

/// The rate and the fees of the package of `replaced` (it and its descendants) in the
/// mempool; nothing for a transaction no longer there.
fn replaced_package(
    source: &dyn ChainSource,
    replaced: &Txid,
) -> Result<(FeeRate, Amount), WalletError> {
    Ok(source
        .mempool_entry(replaced)?
        .map_or((FeeRate::ZERO, Amount::ZERO), |e| {
            (e.package_rate(), e.descendant_fees)
        }))
}

/// The package rate our bumps reach `blocks` blocks after a package entered the mempool at
/// the estimate, one [`raised_rate`] a block: a child of someone else's paying that much
/// is the other side's bump.
fn bump_schedule(estimate: FeeRate, blocks: u32) -> FeeRate {
    let mut rate = estimate;
    for _ in 0..blocks {
        if rate >= MAX_BUMP_FEE_RATE {
            break;
        }
        rate = raised_rate(estimate, rate);
    }
    rate
}

/// The confirmed coins `channels` live channels should keep for fee children at `rate`:
/// per channel three packages (update, settlement, claim) of about 350 vB, at three times
/// the rate (room for the bumps of a fee spike).
pub fn fee_reserve(channels: usize, rate: bitcoin::FeeRate) -> Amount {
    let per_channel = rate.fee_vb(3 * 350 * 3).unwrap_or(Amount::MAX_MONEY);
    per_channel
        .checked_mul(channels as u64)
        .unwrap_or(Amount::MAX_MONEY)
}

/// The highest package fee rate a fee child is raised to (1,000 sat/vB): a bound on what a
/// stuck channel transaction can cost the wallet.
pub const MAX_BUMP_FEE_RATE: FeeRate = FeeRate::from_sat_per_kwu(250_000);

impl WalletState {
    /// Merges staged changes ([`OnchainWallet::take_changeset`]) into the stored state, and
    /// keeps of the block checkpoints only genesis, the blocks the wallet's transactions are
    /// anchored in and the [`RECENT_CHECKPOINTS`] highest: a sync applies every block and
    /// stages a checkpoint for each, which would make the stored wallet (and every command
    /// that loads it) grow with the chain's height. Sparse checkpoints are what BDK's own
    /// Esplora and Electrum syncs keep.
    pub fn merge(&mut self, staged: ChangeSet) {
        self.changeset.merge(staged);
        let anchored: std::collections::BTreeSet<u32> = self
            .changeset
            .tx_graph
            .anchors
            .iter()
            .map(|(anchor, _)| anchor.block_id.height)
            .collect();
        let blocks = &mut self.changeset.local_chain.blocks;
        // A height whose block was removed (a reorg) and not replaced: nothing to keep.
        blocks.retain(|_, hash| hash.is_some());
        let recent: std::collections::BTreeSet<u32> = blocks
            .keys()
            .rev()
            .take(RECENT_CHECKPOINTS)
            .copied()
            .collect();
        blocks.retain(|height, _| {
            *height == 0 || anchored.contains(height) || recent.contains(height)
        });
    }
}

/// The balance, split by how spendable the coins are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OnchainBalance {
    /// Confirmed and spendable (serialized in satoshis).
    pub confirmed: Amount,
    /// Unconfirmed change of the wallet's own transactions (spendable; BDK counts a
    /// channel's payout to a change address here too, which a payment spends only once it
    /// confirms).
    pub trusted_pending: Amount,
    /// Unconfirmed payments from others: they could still be replaced or dropped (a
    /// payment spends none of them until they confirm).
    pub untrusted_pending: Amount,
    /// Mined coins (coinbase outputs) younger than 100 blocks: not spendable yet.
    pub immature: Amount,
}

impl OnchainBalance {
    /// Everything: confirmed + pending + immature.
    pub fn total(&self) -> Amount {
        self.confirmed + self.trusted_pending + self.untrusted_pending + self.immature
    }

    /// What is safe to spend now: confirmed + trusted pending.
    pub fn spendable(&self) -> Amount {
        self.confirmed + self.trusted_pending
    }
}

/// A revealed receive address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletAddress {
    /// Its index on the receive chain (`…/0/index`).
    pub index: u32,
    /// The address.
    pub address: Address,
}

/// Where a transaction confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// Block height.
    pub height: u32,
    /// Block time (UNIX seconds).
    pub time: u64,
}

/// One transaction of the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxSummary {
    /// Its id.
    pub txid: Txid,
    /// Sum of the wallet's coins it spends.
    pub sent: Amount,
    /// Sum of its outputs paying the wallet.
    pub received: Amount,
    /// Its fee, when all its inputs are known (always for the wallet's own payments;
    /// `None` for coinbases and payments from others).
    pub fee: Option<Amount>,
    /// `received - sent`: what it did to the balance (serialized in signed satoshis).
    #[serde(with = "bitcoin::amount::serde::as_sat")]
    pub net: SignedAmount,
    /// Its block, `None` while unconfirmed.
    pub confirmation: Option<Confirmation>,
    /// Whether it is a coinbase (mined coins).
    pub is_coinbase: bool,
}

/// The BIP86 chain an output belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keychain {
    /// `…/0/*`: addresses given out to be paid.
    Receive,
    /// `…/1/*`: change of the wallet's own payments.
    Change,
}

impl From<KeychainKind> for Keychain {
    fn from(k: KeychainKind) -> Self {
        match k {
            KeychainKind::External => Keychain::Receive,
            KeychainKind::Internal => Keychain::Change,
        }
    }
}

/// Where a channel pays this wallet when it ends: a BIP86 address of the change chain
/// (`…/1/index`), revealed when the channel is opened (see `docs/derivation.md`).
///
/// Its x-only `internal_key` is what the channel carries as the party's settlement key: the
/// `to_node` output (`P2TR(internal_key)`, BIP86 tweak, no script tree) is then exactly
/// [`script_pubkey`](Self::script_pubkey), so every settlement, cooperative close and PTLC
/// claim that pays this party pays the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPayout {
    /// Its index on the change chain.
    pub index: u32,
    /// The untweaked BIP86 internal key of that address.
    pub internal_key: bitcoin::key::XOnlyPublicKey,
    /// The address's output script.
    pub script_pubkey: bitcoin::ScriptBuf,
}

/// How far past its last revealed address a wallet created here looks for its outputs while
/// it syncs for the first time (a restore from the seed scans the chain from its genesis).
/// Each funded channel holds a change address from its open and uses it only when it ends
/// (opens never funded share one: [`OnchainWallet::reveal_channel_payout`]), so a wallet
/// with many funded channels open at once (a server) leaves gaps of not-yet-used addresses;
/// a restore finds payouts across gaps of up to this many addresses. Later loads
/// use BDK's default of 25 past the last revealed index: everything revealed is watched.
pub const RESTORE_LOOKAHEAD: u32 = 1_000;

/// One unspent output of the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletUtxo {
    /// The outpoint.
    pub outpoint: OutPoint,
    /// Its value.
    pub amount: Amount,
    /// Height of its block, `None` while unconfirmed.
    pub confirmation_height: Option<u32>,
    /// Its chain (receive or change).
    pub keychain: Keychain,
    /// Its derivation index on that chain.
    pub index: u32,
}

/// The on-chain wallet. See the [module docs](self).
///
/// It keeps the private keys of its two descriptors itself (BDK's wallet-held signers are
/// deprecated) and signs with [`bitcoin::Psbt::sign`]; `Debug` does not show them.
pub struct OnchainWallet {
    wallet: Wallet,
    signer: KeyMapWrapper,
    /// Transactions of ours kept going ([`Self::keep`]).
    kept: BTreeSet<Txid>,
}

impl fmt::Debug for OnchainWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnchainWallet")
            .field("network", &self.wallet.network())
            .field("synced_tip", &self.synced_tip())
            .finish_non_exhaustive()
    }
}

/// One signer for both descriptors' keys.
fn signer(external: &KeyMap, internal: &KeyMap) -> KeyMapWrapper {
    let mut all = external.clone();
    all.extend(internal.iter().map(|(k, v)| (k.clone(), v.clone())));
    KeyMapWrapper::from(all)
}

/// Sort key of the history: unconfirmed first, then by last-seen time or height, newest
/// first.
type TxOrder = Reverse<(bool, u64)>;

type KeyedDescriptor = (Descriptor<DescriptorPublicKey>, KeyMap);

/// The wallet's two descriptors with their private keys, parsed without copying the
/// descriptor strings.
fn descriptors(keys: &WalletKeys) -> Result<(KeyedDescriptor, KeyedDescriptor), WalletError> {
    let secp = crate::crypto::secp();
    let (external, internal) = keys.onchain_descriptors();
    let parse = |s: &str| {
        Descriptor::<DescriptorPublicKey>::parse_descriptor(secp, s)
            .map_err(|e| WalletError::Descriptor(e.to_string()))
    };
    Ok((parse(&external)?, parse(&internal)?))
}

impl OnchainWallet {
    /// A new wallet on `network` for the chain whose genesis block is `genesis` (a
    /// [`ChainSource::genesis_hash`]). `keys` must be for the same kind of network
    /// (mainnet keys for [`Network::Bitcoin`], test keys otherwise).
    /// Take the initial state with [`take_changeset`](Self::take_changeset) and store it.
    pub fn create(
        keys: &WalletKeys,
        network: Network,
        genesis: BlockHash,
    ) -> Result<OnchainWallet, WalletError> {
        if NetworkKind::from(network) != NetworkKind::from(keys.network()) {
            return Err(WalletError::NetworkMismatch {
                keys: keys.network(),
                wallet: network,
            });
        }
        let ((external, external_keys), (internal, internal_keys)) = descriptors(keys)?;
        let wallet = Wallet::create(external, internal)
            .network(network)
            .genesis_hash(genesis)
            .lookahead(RESTORE_LOOKAHEAD)
            .use_spk_cache(true)
            .create_wallet_no_persist()
            .map_err(|e| WalletError::Descriptor(e.to_string()))?;
        Ok(OnchainWallet {
            wallet,
            signer: signer(&external_keys, &internal_keys),
            kept: BTreeSet::new(),
        })
    }

    /// Starts a new wallet's view of the chain at `tip`, its birthday: a wallet made from a
    /// new seed cannot have been paid before it existed, so its first sync needs no earlier
    /// block (a restored seed keeps scanning from genesis). Only on a wallet that has not
    /// synced yet.
    pub fn start_at(&mut self, tip: bdk_wallet::chain::BlockId) -> Result<(), WalletError> {
        let local = self.wallet.latest_checkpoint();
        if local.height() != 0 || tip.height == 0 {
            return Ok(());
        }
        let chain = local.insert(tip);
        self.wallet
            .apply_update(bdk_wallet::Update {
                chain: Some(chain),
                ..Default::default()
            })
            .map_err(|e| WalletError::Build(format!("the birthday checkpoint: {e}")))
    }

    /// The wallet stored as `changeset` (a [`WalletState::changeset`]), with the private
    /// keys from `keys`. Fails with [`WalletError::WrongKeys`] if the stored descriptors
    /// are not those of `keys` (or are for another network).
    pub fn load(keys: &WalletKeys, changeset: ChangeSet) -> Result<OnchainWallet, WalletError> {
        if let Some(stored) = changeset.network {
            if NetworkKind::from(stored) != NetworkKind::from(keys.network()) {
                return Err(WalletError::NetworkMismatch {
                    keys: keys.network(),
                    wallet: stored,
                });
            }
        }
        let ((external, external_keys), (internal, internal_keys)) = descriptors(keys)?;
        let signer = signer(&external_keys, &internal_keys);
        let loaded = Wallet::load()
            .descriptor(KeychainKind::External, Some(external))
            .descriptor(KeychainKind::Internal, Some(internal))
            .use_spk_cache(true)
            .load_wallet_no_persist(changeset)
            .map_err(|e| match e {
                LoadError::Mismatch(m) => WalletError::WrongKeys {
                    detail: match m {
                        bdk_wallet::LoadMismatch::Network { loaded, expected } => {
                            format!("network {loaded}, expected {expected}")
                        }
                        bdk_wallet::LoadMismatch::Genesis { .. } => "genesis hash".into(),
                        bdk_wallet::LoadMismatch::Descriptor { keychain, .. } => {
                            format!("{} descriptor", Keychain::from(keychain).name())
                        }
                    },
                },
                LoadError::Descriptor(d) => WalletError::WrongKeys {
                    detail: d.to_string(),
                },
                other => WalletError::CorruptState(other.to_string()),
            })?;
        let wallet =
            loaded.ok_or_else(|| WalletError::CorruptState("the stored state is empty".into()))?;
        Ok(OnchainWallet {
            wallet,
            signer,
            kept: BTreeSet::new(),
        })
    }

    /// The changes staged since the last call (or since creation/loading), to merge into
    /// the stored [`WalletState`]; `None` if nothing changed.
    pub fn take_changeset(&mut self) -> Option<ChangeSet> {
        self.wallet.take_staged()
    }

    /// Merges the staged changes into `state`; returns whether there were any (and so
    /// whether `state` must be saved).
    pub fn persist_into(&mut self, state: &mut WalletState) -> bool {
        match self.take_changeset() {
            Some(staged) => {
                state.merge(staged);
                true
            }
            None => false,
        }
    }

    /// The wallet's network.
    pub fn network(&self) -> Network {
        self.wallet.network()
    }

    /// The genesis hash of the chain the wallet was created for.
    pub fn genesis_hash(&self) -> BlockHash {
        self.wallet.local_chain().genesis_hash()
    }

    /// Height and hash of the last block the wallet synced.
    pub fn synced_tip(&self) -> (u32, BlockHash) {
        let cp = self.wallet.latest_checkpoint();
        (cp.height(), cp.hash())
    }

    /// The underlying BDK wallet, for what this type does not cover.
    pub fn bdk(&self) -> &Wallet {
        &self.wallet
    }

    /// Reveals the next receive address (its index is staged: persist it).
    pub fn next_address(&mut self) -> WalletAddress {
        let info = self.wallet.reveal_next_address(KeychainKind::External);
        WalletAddress {
            index: info.index,
            address: info.address,
        }
    }

    /// The receive address at `index`, without revealing it.
    pub fn peek_address(&self, index: u32) -> WalletAddress {
        let info = self.wallet.peek_address(KeychainKind::External, index);
        WalletAddress {
            index: info.index,
            address: info.address,
        }
    }

    /// The payout of a channel being opened: the last revealed change address again while
    /// no transaction pays it and no funded channel holds it (`held`: whether one of the
    /// caller's channels whose funding is known names this internal key), else the next
    /// change address, revealed (its index is staged: persist it before the channel's keys
    /// leave). So the change index advances only for channels that got funded: opens that
    /// are refused or never funded — however many — leave no run of unused addresses that
    /// a restore from the seed would have to scan across (`RESTORE_LOOKAHEAD`). Channels
    /// opened while another waits for its funding may share one payout address. Change of
    /// the wallet's own payments never goes to an address revealed earlier (see
    /// [`send`](Self::send)).
    pub fn reveal_channel_payout(
        &mut self,
        held: impl Fn(&bitcoin::key::XOnlyPublicKey) -> bool,
    ) -> Result<ChannelPayout, WalletError> {
        if let Some(last) = self.wallet.derivation_index(KeychainKind::Internal) {
            if !self
                .wallet
                .spk_index()
                .is_used(KeychainKind::Internal, last)
            {
                let payout = self.channel_payout(last)?;
                if !held(&payout.internal_key) {
                    return Ok(payout);
                }
            }
        }
        let info = self.wallet.reveal_next_address(KeychainKind::Internal);
        self.channel_payout(info.index)
    }

    /// The channel payout at change index `index` (revealed or not).
    pub fn channel_payout(&self, index: u32) -> Result<ChannelPayout, WalletError> {
        let secp = crate::crypto::secp();
        let descriptor = self
            .wallet
            .public_descriptor(KeychainKind::Internal)
            .at_derivation_index(index)
            .map_err(|e| WalletError::Descriptor(e.to_string()))?;
        let Descriptor::Tr(tr) = &descriptor else {
            return Err(WalletError::Descriptor(
                "the change descriptor is not a taproot descriptor".into(),
            ));
        };
        let internal_key = tr
            .internal_key()
            .derive_public_key(secp)
            .map_err(|e| WalletError::Descriptor(e.to_string()))?
            .inner
            .x_only_public_key()
            .0;
        let script_pubkey = self
            .wallet
            .peek_address(KeychainKind::Internal, index)
            .script_pubkey();
        // BIP86: the address is the internal key with the key-path-only tweak.
        if bitcoin::ScriptBuf::new_p2tr(secp, internal_key, None) != script_pubkey {
            return Err(WalletError::Descriptor(
                "the change address is not the BIP86 address of its key".into(),
            ));
        }
        Ok(ChannelPayout {
            index,
            internal_key,
            script_pubkey,
        })
    }

    /// The receive addresses revealed so far, oldest first.
    pub fn revealed_addresses(&self) -> Vec<WalletAddress> {
        match self.wallet.derivation_index(KeychainKind::External) {
            Some(last) => (0..=last).map(|i| self.peek_address(i)).collect(),
            None => Vec::new(),
        }
    }

    /// The balance as of the last sync.
    pub fn balance(&self) -> OnchainBalance {
        let b = self.wallet.balance();
        OnchainBalance {
            confirmed: b.confirmed,
            trusted_pending: b.trusted_pending,
            untrusted_pending: b.untrusted_pending,
            immature: b.immature,
        }
    }

    /// Checks that `address` is for the wallet's network.
    pub fn check_address(
        &self,
        address: &Address<NetworkUnchecked>,
    ) -> Result<Address, WalletError> {
        let network = self.network();
        address
            .clone()
            .require_network(network)
            .map_err(|_| WalletError::WrongNetwork {
                address: address.clone().assume_checked().to_string(),
                network,
                hint: hrp_hint(network),
            })
    }

    /// Builds and signs a payment of `amount` to `address` at `fee_rate`, change back to
    /// the wallet. The transaction is not broadcast: pass it to
    /// [`broadcast`](Self::broadcast). Persist the staged change index afterwards.
    pub fn send(
        &mut self,
        address: &Address<NetworkUnchecked>,
        amount: Amount,
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        self.send_except(address, amount, fee_rate, &[])
    }

    /// [`Self::send`] spending none of `except` (coins held for something else).
    pub fn send_except(
        &mut self,
        address: &Address<NetworkUnchecked>,
        amount: Amount,
        fee_rate: FeeRate,
        except: &[OutPoint],
    ) -> Result<Transaction, WalletError> {
        let address = self.check_address(address)?;
        let script = address.script_pubkey();
        let minimum = script.minimal_non_dust();
        if amount < minimum {
            return Err(WalletError::BelowDust {
                amount: amount.to_sat(),
                minimum: minimum.to_sat(),
            });
        }
        // Change goes to the first change address never revealed: BDK would otherwise reuse
        // a revealed but still unused one, which may be a channel's payout address.
        let change_index = self.wallet.next_derivation_index(KeychainKind::Internal);
        let change = self
            .wallet
            .peek_address(KeychainKind::Internal, change_index)
            .script_pubkey();
        // A version 3 transaction's unconfirmed outputs (a fee child's change) cannot be
        // spent by this version 2 one.
        let mut unspendable = self.unconfirmed_v3_outputs();
        unspendable.extend(self.kept_spends());
        unspendable.extend(self.unconfirmed_received());
        unspendable.extend_from_slice(except);
        let mut builder = self.wallet.build_tx();
        builder
            .add_recipient(script, amount)
            .drain_to(change.clone())
            .fee_rate(fee_rate)
            .unspendable(unspendable);
        let psbt = builder.finish().map_err(|e| match e {
            CreateTxError::CoinSelection(InsufficientFunds { available, .. }) => {
                self.insufficient(available, amount)
            }
            CreateTxError::OutputBelowDustLimit(_) => WalletError::BelowDust {
                amount: amount.to_sat(),
                minimum: minimum.to_sat(),
            },
            other => WalletError::Build(other.to_string()),
        })?;
        let tx = self.sign(psbt)?;
        if tx.output.iter().any(|o| o.script_pubkey == change) {
            // Staged with the transaction, so the index is never handed out again.
            let _ = self
                .wallet
                .reveal_addresses_to(KeychainKind::Internal, change_index)
                .count();
        }
        Ok(tx)
    }

    /// Sends every confirmed, mature coin of the wallet to `address`, less the fee at
    /// `fee_rate`: one output, no change. Unconfirmed coins stay (they could still vanish).
    /// [`WalletError::NothingToSweep`] when there is no confirmed coin, or when what is left
    /// after the fee would be dust.
    pub fn send_all(
        &mut self,
        address: &Address<NetworkUnchecked>,
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        let address = self.check_address(address)?;
        let script = address.script_pubkey();
        let confirmed = self.balance().confirmed;
        let hint = match self.network() {
            Network::Regtest => "fund the wallet with `asyncpay regtest fund ADDRESS AMOUNT`, \
                                     or wait for unconfirmed coins to confirm"
                .to_owned(),
            _ => "wait for unconfirmed coins to confirm, or receive more".to_owned(),
        };
        let nothing = |confirmed: Amount| WalletError::NothingToSweep {
            confirmed,
            hint: hint.clone(),
        };
        if confirmed == Amount::ZERO {
            return Err(nothing(confirmed));
        }
        let mut builder = self.wallet.build_tx();
        builder
            .drain_wallet()
            .exclude_unconfirmed()
            .drain_to(script.clone())
            .fee_rate(fee_rate);
        let psbt = builder.finish().map_err(|e| match e {
            CreateTxError::CoinSelection(_)
            | CreateTxError::OutputBelowDustLimit(_)
            | CreateTxError::NoUtxosSelected => nothing(confirmed),
            other => WalletError::Build(other.to_string()),
        })?;
        let tx = self.sign(psbt)?;
        // Belt and braces: one output, to the destination, above its dust limit.
        if tx.output.len() != 1
            || tx.output[0].script_pubkey != script
            || tx.output[0].value < script.minimal_non_dust()
        {
            return Err(nothing(confirmed));
        }
        Ok(tx)
    }

    /// Builds and signs the child that makes a channel's zero-fee `parent` (an update or a
    /// settlement: version 3, with a pay-to-anchor output) relay on a node with default
    /// policy: version 3 too (TRUC), spending the anchor and the wallet's largest confirmed
    /// coins, change back to the wallet, paying `fee_rate` for parent and child together,
    /// at most [`MAX_CHILD_VSIZE`]. Returns it with the change index it pays to (reveal it
    /// once the package is accepted).
    ///
    /// `outbid` is what the mempool transactions the package replaces pay in fees: the
    /// package pays that and its own relay besides (BIP125 rule 3, which package RBF keeps),
    /// or a counterparty who padded them with a large input of its own at a low rate would
    /// hold them in the mempool against every bump paying a rate over our size. Never more
    /// than `ceiling` over our size, though: that is an error (none: the caller bounds the
    /// fee).
    fn anchor_child(
        &mut self,
        parent: &Transaction,
        fee_rate: FeeRate,
        outbid: Amount,
        ceiling: Option<FeeRate>,
    ) -> Result<(Transaction, u32), WalletError> {
        let p2a = bitcoin::ScriptBuf::new_p2a();
        let (vout, anchor) = parent
            .output
            .iter()
            .enumerate()
            .find(|(_, o)| o.script_pubkey == p2a)
            .ok_or_else(|| WalletError::Build("the transaction has no anchor output".into()))?;
        let anchor_outpoint = OutPoint::new(parent.compute_txid(), vout as u32);
        // Known to the wallet, the anchor makes the child's fee computable (`paid_for`).
        self.wallet.insert_txout(anchor_outpoint, anchor.clone());
        let change_index = self.wallet.next_derivation_index(KeychainKind::Internal);
        let change = self
            .wallet
            .peek_address(KeychainKind::Internal, change_index)
            .script_pubkey();
        // The anchor's witness is empty: the input is final as it is.
        let input = bitcoin::psbt::Input {
            witness_utxo: Some(anchor.clone()),
            final_script_witness: Some(bitcoin::Witness::new()),
            ..Default::default()
        };
        // The coins of transactions kept going stay out, unless without them there is not
        // enough: what an anchor child pays for is urgent, a funding is not.
        let kept: Vec<OutPoint> = self.kept_spends().into_iter().collect();
        let (anchor, fees) = ((anchor_outpoint, &input), (fee_rate, outbid, ceiling));
        let built = match self.anchor_child_without(parent, anchor, fees, &change, &kept) {
            // Too few coins, or too many small ones (a child over its size limit).
            Err(_) if !kept.is_empty() => {
                self.anchor_child_without(parent, anchor, fees, &change, &[])
            }
            built => built,
        };
        built.map(|signed| (signed, change_index))
    }

    /// [`Self::anchor_child`] built from the wallet's confirmed coins but `kept`.
    fn anchor_child_without(
        &mut self,
        parent: &Transaction,
        (anchor_outpoint, input): (OutPoint, &bitcoin::psbt::Input),
        (fee_rate, outbid, ceiling): (FeeRate, Amount, Option<FeeRate>),
        change: &bitcoin::ScriptBuf,
        kept: &[OutPoint],
    ) -> Result<Transaction, WalletError> {
        let parent_vsize = parent.vsize() as u64;
        built_for_size(160, |child_vsize| {
            let vsize = parent_vsize + child_vsize;
            let fee = fee_rate
                .fee_vb(vsize)
                .ok_or_else(|| WalletError::Build("fee out of range".into()))?
                .max(outbid_fee(outbid, vsize, ceiling)?);
            let mut builder = self
                .wallet
                .build_tx()
                .coin_selection(bdk_wallet::coin_selection::LargestFirstCoinSelection);
            builder
                .version(3)
                .only_witness_utxo()
                .unspendable(kept.to_vec())
                .exclude_unconfirmed()
                .drain_to(change.clone())
                .fee_absolute(fee);
            builder
                .add_foreign_utxo(anchor_outpoint, input.clone(), bitcoin::Weight::ZERO)
                .map_err(|e| WalletError::Build(e.to_string()))?;
            let psbt = builder.finish().map_err(|e| match e {
                CreateTxError::CoinSelection(InsufficientFunds { available, .. }) => {
                    self.insufficient(available, fee)
                }
                other => WalletError::Build(other.to_string()),
            })?;
            let signed = self.sign_except(psbt, Some(anchor_outpoint))?;
            let built = signed.vsize() as u64;
            if built > MAX_CHILD_VSIZE {
                return Err(WalletError::Build(format!(
                    "the fee child would be {built} vB, above the {MAX_CHILD_VSIZE} vB a \
                     version 3 child may have: the wallet's coins are too small; gather \
                     them in one (`asyncpay wallet send --all` to an address of its own)"
                )));
            }
            Ok(signed)
        })
    }

    /// Pays more for `parent`, a version 2 transaction of ours with an output to us (S's
    /// funding of a channel, its change) waiting in the node's mempool. Its package (it and
    /// our fee child, if any) is paid up to the estimate once a block went by without it
    /// since it or our child entered, and half again over what it pays once
    /// [`OWN_TX_PATIENCE`] blocks did, at most `ceiling`: a child spending that output
    /// alone (none of the wallet's other coins: those are kept for what is urgent), paying
    /// only to us, replacing our child before. Where something else of ours spends that
    /// output (a transaction chained on the change, which pays for `parent` too), or
    /// something spends our child, nothing is done: a replacement would evict it. What was
    /// published, or why nothing could be, if anything. Persist the wallet afterwards.
    pub fn bump_own(
        &mut self,
        source: &dyn ChainSource,
        parent: Txid,
        ceiling: FeeRate,
    ) -> Result<Option<String>, WalletError> {
        let Some(package) = source.mempool_entry(&parent)? else {
            return Ok(None); // confirmed, or gone
        };
        let Some(parent_tx) = self.wallet.get_tx(parent).map(|t| t.tx_node.tx.clone()) else {
            return Ok(None);
        };
        let ours = parent_tx
            .output
            .iter()
            .position(|o| self.wallet.is_mine(o.script_pubkey.clone()))
            .map(|vout| OutPoint::new(parent, vout as u32));
        // Our fee child waiting with it, if any: it spends that output alone, pays only to
        // us, and nothing spends it.
        let mut child = None;
        for txid in &package.spent_by {
            let Some(tx) = self.wallet.get_tx(*txid).map(|t| t.tx_node.tx.clone()) else {
                continue;
            };
            if !tx.input.iter().any(|i| Some(i.previous_output) == ours) {
                continue;
            }
            let Some(entry) = source.mempool_entry(txid)? else {
                continue;
            };
            let fee_child = tx.input.len() == 1
                && tx
                    .output
                    .iter()
                    .all(|o| self.wallet.is_mine(o.script_pubkey.clone()))
                && entry.spent_by.is_empty();
            if !fee_child {
                return Ok(None);
            }
            child = Some((tx, entry.height));
        }
        let waited = source
            .tip_height()?
            .saturating_sub(child.as_ref().map_or(package.height, |(_, h)| *h));
        let (paid, estimate) = (package.package_rate(), source.fee_rate());
        // (Within 5 %: a fee is rounded to whole satoshis.)
        let below_estimate =
            paid.to_sat_per_kwu().saturating_mul(20) < estimate.to_sat_per_kwu().saturating_mul(19);
        let rate = if below_estimate && waited >= 1 {
            estimate
        } else if waited >= OWN_TX_PATIENCE {
            raised(paid)
        } else {
            return Ok(None);
        }
        .min(ceiling);
        if rate <= paid {
            return Ok(None);
        }
        // A transaction kept going spends it (one chained on the change, or on our child's
        // change, while the node dropped it): our child must not take its coin.
        if ours.is_some_and(|o| self.kept_spends().contains(&o)) {
            return Ok(None);
        }
        let Some(ours) = ours else {
            return Ok(Some(format!(
                "{parent} waits at {} sat/vB: it has no output of ours that a child could \
                 spend to pay more",
                paid.to_sat_per_vb_floor()
            )));
        };
        let fee_of = |w: &Self, tx: &Transaction| {
            w.wallet
                .calculate_fee(tx)
                .map_err(|e| WalletError::Build(e.to_string()))
        };
        let parent_fee = fee_of(self, &parent_tx)?;
        // A replaced child's fee is paid again, with the new one's relay (BIP125 rules 3, 4).
        let replaced_fee = match &child {
            Some((old, _)) => fee_of(self, old)?,
            None => Amount::ZERO,
        };
        // Our child out of the wallet's view for the build: the output is free again.
        if let Some((old, _)) = &child {
            self.wallet
                .apply_evicted_txs([(old.compute_txid(), crate::units::now())]);
        }
        let published = self
            .own_child(&parent_tx, ours, rate, (parent_fee, replaced_fee))
            .and_then(|(tx, change_index)| {
                source.broadcast(&tx)?;
                self.published(&tx, change_index);
                Ok(tx.compute_txid())
            });
        match published {
            Ok(new) => Ok(Some(format!(
                "{parent} waited {waited} block(s) at {} sat/vB: new fee child {new} at {} sat/vB",
                paid.to_sat_per_vb_floor(),
                rate.to_sat_per_vb_ceil()
            ))),
            Err(e) => {
                if let Some((old, _)) = &child {
                    self.record_unconfirmed(old);
                }
                Err(e)
            }
        }
    }

    /// The transactions of ours kept going (S's fundings waiting for their first
    /// confirmation): neither the coins they spend nor those their unconfirmed ancestors of
    /// ours spend go into another transaction of ours, even while the node has dropped
    /// them (a sync then frees those coins in the wallet's view).
    pub fn keep(&mut self, txids: impl IntoIterator<Item = Txid>) {
        self.kept = txids.into_iter().collect();
    }

    /// The coins the transactions kept going spend, with their unconfirmed ancestors of
    /// ours: none of the wallet's transactions but an urgent anchor child takes them.
    pub fn kept_spends(&self) -> HashSet<OutPoint> {
        if self.kept.is_empty() {
            return HashSet::new();
        }
        let confirmed = self.confirmed_txids();
        self.kept
            .iter()
            .flat_map(|txid| self.needed_by(*txid, &confirmed))
            .flat_map(|tx| {
                tx.input
                    .iter()
                    .map(|i| i.previous_output)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The wallet's confirmed transactions.
    fn confirmed_txids(&self) -> HashSet<Txid> {
        self.wallet
            .transactions()
            .filter(|t| t.chain_position.is_confirmed())
            .map(|t| t.tx_node.txid)
            .collect()
    }

    /// `txid` and the transactions of ours it spends that are not `confirmed`, and theirs,
    /// ancestors first, whether the node still holds them or not; empty when the wallet
    /// does not hold `txid`.
    fn needed_by(&self, txid: Txid, confirmed: &HashSet<Txid>) -> Vec<Arc<Transaction>> {
        let graph = self.wallet.tx_graph();
        let (mut needed, mut seen) = (Vec::new(), HashSet::new());
        // Depth first, each transaction after its parents.
        let mut stack = vec![(txid, false)];
        while let Some((id, parents_done)) = stack.pop() {
            let Some(tx) = graph.get_tx(id) else {
                continue;
            };
            if parents_done {
                needed.push(tx);
                continue;
            }
            if !seen.insert(id) {
                continue;
            }
            stack.push((id, true));
            for input in &tx.input {
                let parent = input.previous_output.txid;
                if !confirmed.contains(&parent) && graph.get_tx(parent).is_some() {
                    stack.push((parent, false));
                }
            }
        }
        needed
    }

    /// Keeps the transaction of `output` (S's funding of a channel: `output` is the funding
    /// output), ours, that the wallet wants confirmed, going: where it waits in the node's
    /// mempool, [`Self::bump_own`]; where it left the mempool unconfirmed (it waited two weeks, or a full mempool evicted it), it
    /// is published again, with the unconfirmed transactions of ours it spends that left
    /// too, unless another transaction of ours spends one of their coins now: then it
    /// waits, and once that one is `deep` blocks deep, it can never confirm
    /// ([`OwnTx::Dead`]). Where it cannot be published again and `give_up` (it waited long
    /// enough), its coins of ours come back to us in a transaction of ours (it then dies
    /// as above); one the wallet does not hold is then given up. Persist the wallet
    /// afterwards.
    pub fn keep_own_going(
        &mut self,
        source: &dyn ChainSource,
        output: OutPoint,
        (ceiling, deep): (FeeRate, u32),
        give_up: bool,
    ) -> Result<OwnTx, WalletError> {
        let txid = output.txid;
        if self.wallet.get_tx(txid).is_some() {
            return self.bump_own(source, txid, ceiling).map(OwnTx::Going);
        }
        self.publish_lost(source, output, deep, give_up)
    }

    /// Whether the wallet sees `txid` in a block or in the node's mempool.
    pub fn holds(&self, txid: Txid) -> bool {
        self.wallet.get_tx(txid).is_some()
    }

    /// A transaction in the wallet's history, whether the node still has it or not, that
    /// spends a coin that `txid` (ours) or one of the unconfirmed transactions of ours it
    /// spends spends, with its depth in the chain (0: not in a block); the deepest if
    /// there are several.
    pub fn spent_elsewhere(&self, txid: Txid) -> Option<(Txid, u32)> {
        let needed = self.needed_by(txid, &self.confirmed_txids());
        let ids: HashSet<Txid> = needed.iter().map(|t| t.compute_txid()).collect();
        let tip = self.wallet.latest_checkpoint().height();
        let graph = self.wallet.tx_graph();
        needed
            .iter()
            .flat_map(|t| &t.input)
            .flat_map(|input| graph.outspends(input.previous_output))
            .filter(|other| !ids.contains(*other))
            .map(|other| {
                let depth = self
                    .wallet
                    .get_tx(*other)
                    .and_then(|t| t.chain_position.confirmation_height_upper_bound())
                    .map_or(0, |h| (tip + 1).saturating_sub(h));
                (*other, depth)
            })
            .max_by_key(|(_, depth)| *depth)
    }

    /// An unconfirmed transaction of ours that `txid` (ours) spends, directly or not, that
    /// the wallet no longer sees in the node's mempool (lost with it, or since).
    pub fn lost_parent(&self, txid: Txid) -> Option<Txid> {
        self.needed_by(txid, &self.confirmed_txids())
            .iter()
            .map(|t| t.compute_txid())
            .find(|id| *id != txid && !self.holds(*id))
    }

    /// The part of [`Self::keep_own_going`] for a transaction of ours (that of `output`)
    /// the wallet no longer sees in a block or in the node's mempool: published again, with
    /// the unconfirmed transactions of ours it spends, unless another transaction of ours
    /// spends one of its coins (then it waits, and is dead once that one is `deep`
    /// blocks deep). Nothing is bumped; one the wallet still sees is left alone. A
    /// client's own channel funding is kept going this way.
    pub fn publish_lost(
        &mut self,
        source: &dyn ChainSource,
        output: OutPoint,
        deep: u32,
        give_up: bool,
    ) -> Result<OwnTx, WalletError> {
        let txid = output.txid;
        if self.wallet.get_tx(txid).is_some() {
            return Ok(OwnTx::Going(None));
        }
        let confirmed = self.confirmed_txids();
        let needed = self.needed_by(txid, &confirmed);
        if needed.is_empty() {
            let nowhere = || -> Result<bool, ChainSourceError> {
                Ok(source.mempool_entry(&txid)?.is_none() && source.find_tx(&output)?.is_none())
            };
            if give_up && nowhere()? {
                return Ok(OwnTx::Dead(None));
            }
            return Err(WalletError::Build(format!(
                "the wallet does not hold transaction {txid}"
            )));
        }
        let ids: HashSet<Txid> = needed.iter().map(|t| t.compute_txid()).collect();
        let tip = self.wallet.latest_checkpoint().height();
        let graph = self.wallet.tx_graph();
        let mut spent = false;
        for input in needed.iter().flat_map(|t| &t.input) {
            for other in graph.outspends(input.previous_output) {
                if ids.contains(other) {
                    continue;
                }
                let Some(other_tx) = self.wallet.get_tx(*other) else {
                    continue;
                };
                spent = true;
                let depth = other_tx
                    .chain_position
                    .confirmation_height_upper_bound()
                    .map_or(0, |h| (tip + 1).saturating_sub(h));
                if depth >= deep {
                    return Ok(OwnTx::Dead(Some(*other)));
                }
            }
        }
        if spent {
            return Ok(OwnTx::Going(None));
        }
        let mut again = 0;
        for tx in &needed {
            if self.wallet.get_tx(tx.compute_txid()).is_some() {
                continue;
            }
            match self.broadcast(source, tx) {
                Ok(_) => again += 1,
                // Refused by the node (not merely unreachable) and given up: its coins come
                // back.
                // (An ancestor of ours refused waits for its own end.)
                Err(e @ WalletError::Chain(ChainSourceError::Rejected { .. }))
                    if give_up && tx.compute_txid() == txid =>
                {
                    return self.take_back(source, tx, txid, e);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(OwnTx::Going(Some(format!(
            "{txid} had left the node's mempool unconfirmed: published again{}",
            if again > 1 {
                " with the transactions of ours it spends"
            } else {
                ""
            }
        ))))
    }

    /// Spends back to us, at the estimate, the coins of ours that `refused` (`txid`, given
    /// up, which the node refused) spends: it then dies ([`Self::keep_own_going`]). Coins
    /// someone else can still replace are not taken.
    fn take_back(
        &mut self,
        source: &dyn ChainSource,
        refused: &Transaction,
        txid: Txid,
        why: WalletError,
    ) -> Result<OwnTx, WalletError> {
        let received = self.unconfirmed_received();
        let unspent: HashSet<OutPoint> = self
            .wallet
            .list_unspent()
            .map(|u| u.outpoint)
            .filter(|o| !received.contains(o))
            .collect();
        let coins: Vec<OutPoint> = refused
            .input
            .iter()
            .map(|i| i.previous_output)
            .filter(|o| unspent.contains(o))
            .collect();
        if coins.is_empty() {
            return Err(WalletError::Build(format!(
                "{why}; it spends no coin of ours to take back (it waits for the \
                 transactions it spends)"
            )));
        }
        let change_index = self.wallet.next_derivation_index(KeychainKind::Internal);
        let change = self
            .wallet
            .peek_address(KeychainKind::Internal, change_index)
            .script_pubkey();
        let mut builder = self.wallet.build_tx();
        builder
            .add_utxos(&coins)
            .map_err(|e| WalletError::Build(e.to_string()))?
            .manually_selected_only()
            .drain_to(change)
            .fee_rate(source.fee_rate());
        let psbt = builder
            .finish()
            .map_err(|e| WalletError::Build(e.to_string()))?;
        let back = self.sign(psbt)?;
        source.broadcast(&back)?;
        self.published(&back, change_index);
        Ok(OwnTx::Going(Some(format!(
            "{txid} cannot be published again ({why}): its coins come back to us in {}",
            back.compute_txid()
        ))))
    }

    /// Records `tx`, ours, as unconfirmed before it is published: kept going
    /// ([`Self::keep`]), it is published again at the next try if the node refuses it.
    pub fn record_before_publishing(&mut self, tx: &Transaction) {
        self.record_unconfirmed(tx);
    }

    /// Builds and signs a version 2 child of `parent` spending `ours` alone, paying what is
    /// left to the wallet, and `rate` for
    /// parent and child together (the parent paying `parent_fee`), and no less than
    /// `replaced` (the fee of the child it replaces) and its own relay. Returns it with the
    /// change index it pays to.
    fn own_child(
        &mut self,
        parent: &Transaction,
        ours: OutPoint,
        rate: FeeRate,
        (parent_fee, replaced): (Amount, Amount),
    ) -> Result<(Transaction, u32), WalletError> {
        let change_index = self.wallet.next_derivation_index(KeychainKind::Internal);
        let change = self
            .wallet
            .peek_address(KeychainKind::Internal, change_index)
            .script_pubkey();
        let parent_vsize = parent.vsize() as u64;
        let signed = built_for_size(111, |child_vsize| {
            let fee = rate
                .fee_vb(parent_vsize + child_vsize)
                .ok_or_else(|| WalletError::Build("fee out of range".into()))?
                .checked_sub(parent_fee)
                .unwrap_or(Amount::ZERO)
                .max(replaced + crate::chain::policy::min_relay_fee(child_vsize));
            let mut builder = self.wallet.build_tx();
            builder
                .add_utxo(ours)
                .map_err(|e| WalletError::Build(e.to_string()))?
                .manually_selected_only()
                .drain_to(change.clone())
                .fee_absolute(fee);
            let psbt = builder.finish().map_err(|e| match e {
                CreateTxError::CoinSelection(InsufficientFunds { available, .. }) => {
                    self.insufficient(available, fee)
                }
                other => WalletError::Build(other.to_string()),
            })?;
            self.sign(psbt)
        })?;
        Ok((signed, change_index))
    }

    /// Publishes a channel's zero-fee `parent` with the child that pays for it through its
    /// anchor, as one package, at `source`'s fee rate, and records the child as
    /// unconfirmed. Persist the wallet afterwards.
    ///
    /// Both sides of a channel publish its latest update and settlement. If the other
    /// side's package got `parent` in since the caller found it missing, ours is refused
    /// (its child does not outbid theirs on the anchor): `parent` is published all the
    /// same, by their child, and that is success, our coins unspent.
    pub fn publish_with_child(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
    ) -> Result<(), WalletError> {
        match self.publish_with_child_at(source, parent, source.fee_rate(), Amount::ZERO) {
            Err(_) if source.broadcast(parent).is_ok() => Ok(()),
            published => published.map(drop),
        }
    }

    /// Publishes `parent`, our latest update bound to the funding output, with a child, in
    /// place of `replaced`, an older update waiting unconfirmed on the same funding output
    /// with its child: the package pays [`raised_rate`] over theirs, and their fees and its
    /// own relay besides, so the node replaces them (package RBF); not when theirs pays more
    /// than twice the estimate (it confirms soon anyway). Returns the child's txid. Persist
    /// the wallet afterwards.
    pub fn publish_replacing(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
        replaced: &Txid,
    ) -> Result<Txid, WalletError> {
        let (theirs, outbid) = replaced_package(source, replaced)?;
        // Outbidding a package that pays well costs much and gains little: it confirms
        // soon, and the latest update then rebinds over it for the estimate.
        let estimate = source.fee_rate();
        if theirs.to_sat_per_kwu() > estimate.to_sat_per_kwu().saturating_mul(2) {
            return Err(WalletError::Build(format!(
                "the old update's package pays {} sat/vB, more than twice the estimate: it \
                 confirms soon, and the latest update is rebound over it then",
                theirs.to_sat_per_vb_floor()
            )));
        }
        self.publish_with_child_at(source, parent, raised_rate(estimate, theirs), outbid)
    }

    /// Publishes `parent`, our claim of a PTLC, with a child, in place of `replaced`, the
    /// other side's spend of the same output waiting unconfirmed (S's timeout claim once
    /// the payment scalar is out): the package pays [`raised`] over theirs (at least the
    /// estimate), or else the least that replaces it ([`least_raised`]), and their fees and
    /// its own relay besides. Bounded by `stake` (what the claim takes), not by
    /// [`MAX_BUMP_FEE_RATE`]: S gains the PTLC and the payer's payment by winning, so it may
    /// pay more than the ceiling for it; refused when outbidding costs `stake` or more, a
    /// fee war past it losing more than the output. Returns the child's txid. Persist the
    /// wallet afterwards.
    pub fn publish_outbidding(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
        replaced: &Txid,
        stake: Amount,
    ) -> Result<Txid, WalletError> {
        let (theirs, outbid) = replaced_package(source, replaced)?;
        let rates = [raised(theirs).max(source.fee_rate()), least_raised(theirs)];
        self.publish_within(source, parent, rates, outbid, stake)
            .map(|(txid, _)| txid)
            .map_err(|e| match e {
                WalletError::Build(why) => WalletError::Build(format!(
                    "outbidding {replaced} (its package pays {} sat/vB, {} in fees): {why}",
                    theirs.to_sat_per_vb_floor(),
                    crate::units::sat(outbid.to_sat()),
                )),
                other => other,
            })
    }

    /// Publishes `parent`, a claim worth `stake`, with a child paying the first of `rates`
    /// whose fee (with `outbid` and its relay besides, [`Self::anchor_child`]) stays below
    /// `stake`; refused when none does. Returns the child's txid and the rate it pays.
    fn publish_within(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
        rates: [FeeRate; 2],
        outbid: Amount,
        stake: Amount,
    ) -> Result<(Txid, FeeRate), WalletError> {
        // Known too dear before a child is built (which could fail for want of coins).
        let mut cost = outbid;
        if outbid < stake {
            for rate in rates {
                let (child, change_index) = self.anchor_child(parent, rate, outbid, None)?;
                cost = self
                    .wallet
                    .calculate_fee(&child)
                    .map_err(|e| WalletError::Build(e.to_string()))?;
                if cost < stake {
                    return self
                        .broadcast_with_child(source, parent, child, change_index)
                        .map(|txid| (txid, rate));
                }
            }
        }
        Err(WalletError::Build(format!(
            "its fee child costs at least {}, no less than the {} at stake",
            crate::units::sat(cost.to_sat()),
            crate::units::sat(stake.to_sat())
        )))
    }

    /// Publishes `parent` with a child paying `rate` for both, and `outbid` besides
    /// ([`Self::anchor_child`]).
    fn publish_with_child_at(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
        rate: FeeRate,
        outbid: Amount,
    ) -> Result<Txid, WalletError> {
        let (child, change_index) =
            self.anchor_child(parent, rate, outbid, Some(MAX_BUMP_FEE_RATE))?;
        self.broadcast_with_child(source, parent, child, change_index)
    }

    /// Publishes `parent` with `child` (from [`Self::anchor_child`], which peeked
    /// `change_index`) as one package.
    fn broadcast_with_child(
        &mut self,
        source: &dyn ChainSource,
        parent: &Transaction,
        child: Transaction,
        change_index: u32,
    ) -> Result<Txid, WalletError> {
        source.broadcast_package(&[parent.clone(), child.clone()])?;
        self.published(&child, change_index);
        Ok(child.compute_txid())
    }

    /// `tx`, just published, paying its change to `change_index`: only now is the index
    /// handed out for good (a refused transaction reveals none), and `tx` recorded as
    /// unconfirmed.
    fn published(&mut self, tx: &Transaction, change_index: u32) {
        let _ = self
            .wallet
            .reveal_addresses_to(KeychainKind::Internal, change_index)
            .count();
        self.record_unconfirmed(tx);
    }

    /// Pays (more) for each of `parents`, channel transactions the caller's bookkeeping
    /// names as its own and wants confirmed (its latest update or settlement, its claim),
    /// zero-fee with an anchor, that wait in the node's mempool; each with the channel
    /// output it spends, its one input of ours. Where a block went by without the package
    /// since it was last paid for, or where it has no child (someone replaced our child and
    /// then dropped theirs: the anchor is anyone's to spend), it gets a new child paying the
    /// package [`raised_rate`] over the most that it or any earlier child of ours paid.
    /// Padded with inputs of someone else's (update and settlement signatures commit to no
    /// other input), to make us pay for their size, and paying less than the estimate (or
    /// up to twice it, a block late), it is replaced by the transaction itself, with its
    /// one channel input, and a child (package RBF). Either package also pays the fees of
    /// what it replaces ([`Self::anchor_child`]); docs/protocol.md §8, "Pinning".
    ///
    /// The new child conflicts on the anchor with the one there: ours (whose coins it may
    /// spend again) or anyone's. One result per parent acted on: what was published, or why
    /// it failed. Persist the wallet afterwards.
    pub fn bump_fee_children(
        &mut self,
        source: &dyn ChainSource,
        parents: &[(Txid, OutPoint)],
    ) -> Vec<Result<String, String>> {
        let mut parents = parents.to_vec();
        parents.sort();
        parents.dedup();
        parents
            .into_iter()
            .filter_map(|(parent, spends)| {
                self.bump_fee_child(source, parent, spends, None)
                    .map_err(|e| format!("paying more for {parent} failed: {e}"))
                    .transpose()
            })
            .collect()
    }

    /// [`Self::bump_fee_children`] for `parent`, our claim of a PTLC worth `stake` (spending
    /// `spends`): its fee child never costs the stake or more; where half as much again
    /// would, it pays the least that replaces the one there ([`least_raised`]), and
    /// nothing more once that too would. What was published, if anything.
    pub fn bump_claim_child(
        &mut self,
        source: &dyn ChainSource,
        parent: Txid,
        spends: OutPoint,
        stake: Amount,
    ) -> Result<Option<String>, WalletError> {
        self.bump_fee_child(source, parent, spends, Some(stake))
    }

    fn bump_fee_child(
        &mut self,
        source: &dyn ChainSource,
        parent: Txid,
        spends: OutPoint,
        stake: Option<Amount>,
    ) -> Result<Option<String>, WalletError> {
        let Some(package) = source.mempool_entry(&parent)? else {
            return Ok(None);
        };
        let Some(published) = source.find_tx(&OutPoint::new(parent, 0))? else {
            return Ok(None);
        };
        // Ours has one input, the channel output it spends, picked by its outpoint: an
        // input's witness tells nothing (a padding P2WPKH input has two elements too, and
        // so looks like a script-path spend).
        let padded = published.input.len() > 1;
        let mut parent_tx = published;
        parent_tx.input.retain(|i| i.previous_output == spends);
        if parent_tx.input.len() != 1 {
            return Ok(None);
        }
        let child = match package.spent_by.first() {
            Some(child) => match source.mempool_entry(child)? {
                Some(entry) => Some((*child, entry)),
                None => return Ok(None),
            },
            None => None,
        };
        // Our own child (it spends our coins), if that is the one there.
        let ours = child
            .as_ref()
            .and_then(|(txid, _)| self.wallet.get_tx(*txid))
            .map(|t| t.tx_node.tx.as_ref().clone())
            .filter(|t| self.wallet.sent_and_received(t).0 > Amount::ZERO);
        let (theirs, estimate) = (package.package_rate(), source.fee_rate());
        let tip = source.tip_height()?;
        // A block went by without the package since it was last paid for: since our child
        // entered, or a child of someone else's that pays what our own bumps would have
        // reached by now (the other side of the channel bumped first: outbidding it at
        // once would start a bidding war); else since the parent entered (a child paying
        // less, put there again after every block, must not keep us waiting for ever).
        // (Within 5 %: a fee is rounded to whole satoshis.)
        let on_schedule = theirs.to_sat_per_kwu().saturating_mul(20)
            >= bump_schedule(estimate, tip.saturating_sub(package.height))
                .to_sat_per_kwu()
                .saturating_mul(19);
        let waiting_since = match (&child, &ours) {
            (Some((_, entry)), Some(_)) => entry.height,
            (Some((_, entry)), None) if on_schedule => entry.height,
            _ => package.height,
        };
        let block_passed = tip > waiting_since;
        // Padding: what outbidding it costs grows with its size (up to 10,000 vB), so only
        // a padded package that may not confirm soon is outbid: below the estimate at once,
        // up to twice the estimate once a block went by without it; above that it confirms
        // soon (at the padder's cost: our transaction is in it).
        let act = if padded {
            theirs < estimate
                || (block_passed
                    && theirs.to_sat_per_kwu() <= estimate.to_sat_per_kwu().saturating_mul(2))
        } else {
            block_passed
        };
        if !act {
            return Ok(None);
        }
        let paid = self.paid_for(&parent_tx).max(theirs);
        if !padded && paid >= MAX_BUMP_FEE_RATE {
            return Ok(None);
        }
        let rate = raised_rate(estimate, paid);
        // Our own child out of the wallet's view for the build: its coins are free again.
        // A child of someone else's is only outbid.
        if let Some(old) = &ours {
            self.wallet
                .apply_evicted_txs([(old.compute_txid(), crate::units::now())]);
        }
        let published = match stake {
            Some(stake) => self.publish_within(
                source,
                &parent_tx,
                [rate, least_raised(paid)],
                package.descendant_fees,
                stake,
            ),
            None => self
                .publish_with_child_at(source, &parent_tx, rate, package.descendant_fees)
                .map(|txid| (txid, rate)),
        };
        match published {
            Ok((new, rate)) => {
                let what = if padded {
                    format!(
                        "{parent}, padded with inputs not ours, replaced by {}",
                        parent_tx.compute_txid()
                    )
                } else {
                    format!(
                        "{parent} waited a block at {} sat/vB",
                        paid.to_sat_per_vb_floor()
                    )
                };
                Ok(Some(format!(
                    "{what}: new fee child {new} at {} sat/vB",
                    rate.to_sat_per_vb_ceil()
                )))
            }
            Err(e) => {
                if let Some(old) = &ours {
                    self.record_unconfirmed(old);
                }
                Err(e)
            }
        }
    }

    /// The highest package rate a child of ours paid for `parent` (children replaced or
    /// dropped since included): a stranger who strips our child and drops theirs resets
    /// the package's rate, not what we go on from.
    fn paid_for(&self, parent: &Transaction) -> FeeRate {
        let txid = parent.compute_txid();
        let parent_vsize = parent.vsize() as u64;
        self.wallet
            .tx_graph()
            .full_txs()
            .filter(|t| t.tx.input.iter().any(|i| i.previous_output.txid == txid))
            .filter_map(|t| {
                let fee = self.wallet.calculate_fee(&t.tx).ok()?;
                Some(rate_of(fee, parent_vsize + t.tx.vsize() as u64))
            })
            .max()
            .unwrap_or(FeeRate::ZERO)
    }

    /// The wallet's coins made by unconfirmed transactions that spend no coin of ours
    /// (someone else's, which they can still replace).
    fn unconfirmed_received(&self) -> Vec<OutPoint> {
        self.unconfirmed_outputs(|tx| {
            tx.is_none_or(|t| self.wallet.sent_and_received(t).0 == Amount::ZERO)
        })
    }

    /// The wallet's coins made by unconfirmed version 3 transactions.
    fn unconfirmed_v3_outputs(&self) -> Vec<OutPoint> {
        self.unconfirmed_outputs(|tx| {
            tx.is_some_and(|t| t.version == bitcoin::transaction::Version(3))
        })
    }

    /// The wallet's unspent coins made by unconfirmed transactions that `made_by` takes
    /// (given the transaction, if the wallet holds it).
    fn unconfirmed_outputs(&self, made_by: impl Fn(Option<&Transaction>) -> bool) -> Vec<OutPoint> {
        let graph = self.wallet.tx_graph();
        self.wallet
            .list_unspent()
            .filter(|u| !u.chain_position.is_confirmed())
            .filter(|u| made_by(graph.get_tx(u.outpoint.txid).as_deref()))
            .map(|u| u.outpoint)
            .collect()
    }

    fn sign(&self, psbt: bitcoin::Psbt) -> Result<Transaction, WalletError> {
        self.sign_except(psbt, None)
    }

    /// Signs the wallet's inputs; `foreign` is an input that is not the wallet's (already
    /// final), whose signing error is expected.
    fn sign_except(
        &self,
        mut psbt: bitcoin::Psbt,
        foreign: Option<OutPoint>,
    ) -> Result<Transaction, WalletError> {
        let foreign_index = foreign.and_then(|o| {
            psbt.unsigned_tx
                .input
                .iter()
                .position(|i| i.previous_output == o)
        });
        if let Err((_, errors)) = psbt.sign(&self.signer, self.wallet.secp_ctx()) {
            if errors.keys().any(|i| Some(*i) != foreign_index) {
                return Err(WalletError::Sign(format!("{errors:?}")));
            }
        }
        let finalized = self
            .wallet
            .finalize_psbt(&mut psbt, SignOptions::default())
            .map_err(|e| WalletError::Sign(e.to_string()))?;
        if !finalized {
            return Err(WalletError::Sign(
                "some inputs could not be finalized".into(),
            ));
        }
        psbt.extract_tx()
            .map_err(|e| WalletError::Build(e.to_string()))
    }

    fn insufficient(&self, available: Amount, needed: Amount) -> WalletError {
        let balance = self.balance();
        let mut hint = match self.network() {
            Network::Regtest => {
                "fund the wallet with `asyncpay regtest fund ADDRESS AMOUNT`".to_owned()
            }
            _ => "receive more coins to an address of this wallet, then sync".to_owned(),
        };
        if balance.immature > Amount::ZERO {
            hint.push_str(&format!(
                " ({} of mined coins become spendable 100 blocks after their block)",
                crate::units::sat(balance.immature.to_sat())
            ));
        }
        let received = self.unconfirmed_received();
        let waiting: Amount = self
            .wallet
            .list_unspent()
            .filter(|u| received.contains(&u.outpoint))
            .map(|u| u.txout.value)
            .sum();
        if waiting > Amount::ZERO {
            hint.push_str(&format!(
                "; or wait: {} received is spendable once it confirms (whoever sent it can \
                 still replace it)",
                crate::units::sat(waiting.to_sat())
            ));
        }
        WalletError::InsufficientFunds {
            available,
            needed,
            hint,
        }
    }

    /// Syncs the wallet with `source` (new blocks since the last sync, then the mempool).
    pub fn sync(&mut self, source: &dyn ChainSource) -> Result<SyncReport, WalletError> {
        self.sync_with_progress(source, &mut |_, _| {})
    }

    /// [`sync`](Self::sync), calling `progress(blocks_applied, blocks_total)` per block.
    pub fn sync_with_progress(
        &mut self,
        source: &dyn ChainSource,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<SyncReport, WalletError> {
        Ok(source.sync(&mut self.wallet, progress)?)
    }

    /// Broadcasts `tx` through `source` and records it as unconfirmed in the wallet at
    /// once (its change shows as pending, its coins as spent) without waiting for a sync.
    pub fn broadcast(
        &mut self,
        source: &dyn ChainSource,
        tx: &Transaction,
    ) -> Result<Txid, WalletError> {
        let txid = source.broadcast(tx)?;
        self.record_unconfirmed(tx);
        Ok(txid)
    }

    fn record_unconfirmed(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        // Seen after any earlier eviction of the same transaction.
        let last_evicted = self.wallet.tx_graph().get_last_evicted(txid).unwrap_or(0);
        self.wallet
            .apply_unconfirmed_txs([(tx.clone(), crate::units::now().max(last_evicted + 1))]);
    }

    /// The wallet's transactions: unconfirmed first (newest first), then confirmed from
    /// the highest block down.
    pub fn transactions(&self) -> Vec<TxSummary> {
        let mut txs: Vec<(TxOrder, TxSummary)> = self
            .wallet
            .transactions()
            .map(|wtx| {
                let tx = &wtx.tx_node.tx;
                let (sent, received) = self.wallet.sent_and_received(tx);
                let is_coinbase = tx.is_coinbase();
                let fee = if is_coinbase {
                    None
                } else {
                    self.wallet.calculate_fee(tx).ok()
                };
                let (confirmation, key) = match &wtx.chain_position {
                    ChainPosition::Confirmed { anchor, .. } => (
                        Some(Confirmation {
                            height: anchor.block_id.height,
                            time: anchor.confirmation_time,
                        }),
                        (false, u64::from(anchor.block_id.height)),
                    ),
                    ChainPosition::Unconfirmed { last_seen, .. } => {
                        (None, (true, last_seen.unwrap_or(0)))
                    }
                };
                let net = received
                    .to_signed()
                    .and_then(|r| sent.to_signed().map(|s| r - s))
                    .unwrap_or(SignedAmount::ZERO);
                (
                    Reverse(key),
                    TxSummary {
                        txid: wtx.tx_node.txid,
                        sent,
                        received,
                        fee,
                        net,
                        confirmation,
                        is_coinbase,
                    },
                )
            })
            .collect();
        txs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.txid.cmp(&b.1.txid)));
        txs.into_iter().map(|(_, t)| t).collect()
    }

    /// The wallet's unspent outputs, confirmed oldest first, then unconfirmed.
    pub fn utxos(&self) -> Vec<WalletUtxo> {
        let mut utxos: Vec<WalletUtxo> = self
            .wallet
            .list_unspent()
            .map(|o| WalletUtxo {
                outpoint: o.outpoint,
                amount: o.txout.value,
                confirmation_height: match o.chain_position {
                    ChainPosition::Confirmed { anchor, .. } => Some(anchor.block_id.height),
                    ChainPosition::Unconfirmed { .. } => None,
                },
                keychain: o.keychain.into(),
                index: o.derivation_index,
            })
            .collect();
        utxos.sort_by_key(|u| (u.confirmation_height.unwrap_or(u32::MAX), u.outpoint));
        utxos
    }
}

impl Keychain {
    /// `receive` or `change`.
    pub fn name(self) -> &'static str {
        match self {
            Keychain::Receive => "receive",
            Keychain::Change => "change",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Seed;

    const BIP86_MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon \
        abandon abandon abandon abandon about";

    /// The pruned stored chain still follows a reorganization up to [`RECENT_CHECKPOINTS`]
    /// deep the way a sync on bitcoind connects it (the first block after the fork, connected
    /// to the block before it), replacing every checkpoint above; a deeper one is refused
    /// (the sync then says to restore from the seed).
    #[test]
    fn the_pruned_chain_follows_reorganizations_within_the_recent_checkpoints() {
        use bdk_wallet::chain::local_chain::LocalChain;
        use bitcoin::block::{Header, Version as BlockVersion};
        use bitcoin::hashes::Hash;
        let header = |height: u32, fork: u32| Header {
            version: BlockVersion::TWO,
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: bitcoin::TxMerkleNode::all_zeros(),
            time: height,
            bits: bitcoin::CompactTarget::from_consensus(fork),
            nonce: 0,
        };
        let tip = 1500u32;
        let mut state = WalletState::default();
        state.changeset.local_chain.blocks = (0..=tip)
            .map(|h| (h, Some(header(h, 0).block_hash())))
            .collect();
        state.merge(ChangeSet::default());
        let stored = &state.changeset.local_chain.blocks;
        assert_eq!(stored.len(), 1 + RECENT_CHECKPOINTS);
        let low = tip + 1 - RECENT_CHECKPOINTS as u32;
        assert!(
            stored.contains_key(&0)
                && stored.contains_key(&low)
                && !stored.contains_key(&(low - 1))
        );

        let follow = |fork_at: u32| {
            let mut chain =
                LocalChain::from_changeset(state.changeset.local_chain.clone()).unwrap();
            let connected_to = bdk_wallet::chain::BlockId {
                height: fork_at - 1,
                hash: header(fork_at - 1, 0).block_hash(),
            };
            let first = Header {
                prev_blockhash: connected_to.hash,
                ..header(fork_at, 1)
            };
            let result = chain.apply_header_connected_to(&first, fork_at, connected_to);
            (result, chain.tip().block_id())
        };
        // The deepest reorganization followed: every stale checkpoint above is gone.
        let (result, tip_after) = follow(low + 1);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(tip_after.height, low + 1);
        assert_ne!(tip_after.hash, header(low + 1, 0).block_hash());
        // One block deeper: refused, not silently wrong.
        assert!(follow(low).0.is_err());
    }

    #[test]
    fn bip86_first_receive_address() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Bitcoin);
        let genesis = bitcoin::constants::genesis_block(Network::Bitcoin).block_hash();
        let mut wallet = OnchainWallet::create(&keys, Network::Bitcoin, genesis).unwrap();
        let first = wallet.next_address();
        assert_eq!(first.index, 0);
        // BIP86 test vector: m/86'/0'/0'/0/0.
        assert_eq!(
            first.address.to_string(),
            "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
        );
        assert_eq!(wallet.next_address().index, 1);
    }

    #[test]
    fn channel_payouts_are_fresh_bip86_change_addresses() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Bitcoin);
        let genesis = bitcoin::constants::genesis_block(Network::Bitcoin).block_hash();
        let mut wallet = OnchainWallet::create(&keys, Network::Bitcoin, genesis).unwrap();
        let first = wallet.reveal_channel_payout(|_| false).unwrap();
        // Not yet held by a funded channel: the next open gets the same address.
        let again = wallet.reveal_channel_payout(|_| false).unwrap();
        assert_eq!(again, first);
        // Held by a funded channel: the next open gets the next address.
        let held = first.internal_key;
        let second = wallet.reveal_channel_payout(|k| *k == held).unwrap();
        assert_eq!((first.index, second.index), (0, 1));
        // BIP86 test vector: m/86'/0'/0'/1/0.
        assert_eq!(
            Address::from_script(&first.script_pubkey, Network::Bitcoin)
                .unwrap()
                .to_string(),
            "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7"
        );
        assert_eq!(first.internal_key, keys.channel_payout_key(0));
        assert_eq!(second.internal_key, keys.channel_payout_key(1));
        // The reveal is staged for the caller to write.
        let staged = wallet.take_changeset().unwrap();
        assert!(!staged.indexer.last_revealed.is_empty());
    }

    #[test]
    fn network_kinds_must_match() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Regtest);
        let genesis = bitcoin::constants::genesis_block(Network::Bitcoin).block_hash();
        let e = OnchainWallet::create(&keys, Network::Bitcoin, genesis).unwrap_err();
        assert!(matches!(e, WalletError::NetworkMismatch { .. }), "{e}");
        assert!(e.to_string().starts_with("the keys are for regtest"), "{e}");
        // Signet and regtest keys are the same test keys.
        OnchainWallet::create(&keys, Network::Signet, genesis).unwrap();
    }
}
