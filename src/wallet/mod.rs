//! The wallet: today its on-chain part, [`OnchainWallet`], a BDK wallet on the BIP86
//! descriptors of [`WalletKeys`](crate::keys::WalletKeys), synced through a
//! [`ChainSource`](crate::chain::source::ChainSource).
//!
//! Persistence is the caller's: the wallet stages its changes as a BDK
//! [`ChangeSet`](bdk_wallet::ChangeSet); [`OnchainWallet::take_changeset`] hands them over
//! to be merged into the stored [`WalletState`], which is serde-able and is stored
//! encrypted by the CLI. No secret is in it (descriptors are public; the keys come from the
//! seed at load).

pub mod onchain;

pub use onchain::{
    fee_reserve, ChannelPayout, ConfirmedBalance, Keychain, OnchainBalance, OnchainWallet, OwnTx,
    TxSummary, WalletAddress, WalletError, WalletState, WalletUtxo, RECENT_CHECKPOINTS,
    RESTORE_LOOKAHEAD,
};
