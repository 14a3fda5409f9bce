//! The engine of a client role — the payer A and the payee B: channels with a server S,
//! payments in both directions, recovery from interrupted steps, and watching the chain.
//!
//! An [`Engine`] is one unlocked wallet: its store, its keys, its network, and (for
//! anything that touches channels) a chain source. It has no terminal, argv or printing:
//! what a caller may want to show while it works goes to an [`Observer`], and every
//! failure is a [`ClientError`] whose kind the caller maps (the CLI to exit codes). The
//! CLI, the demo, the tests and the benchmarks all drive this same engine.
//!
//! Every channel transition is written (encrypted) before the message that depends on it
//! is sent.

mod channels;
mod error;
pub mod ids;
mod payments;
mod policy;
mod status;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use bitcoin::Network;

pub use channels::{
    ChannelClose, ClientChannel, MAX_ACCEPTED_SHARED_DELAY, MIN_ACCEPTED_SHARED_DELAY,
};
pub use error::{ClientError, ClientErrorKind, ClientResult};
pub use payments::{
    crash_in_process_at, still_pending, ClientPayment, Direction, LocalStatus, PayOptions,
    PaymentDetails, Progress, TestCrash, WAIT_POLL,
};
pub use policy::{
    default_min_confirmation_budget, default_min_funding_depth, PayeePolicy,
    MAX_MIN_CONFIRMATION_BUDGET, MAX_MIN_FUNDING_DEPTH,
};
pub use status::{PendingTotal, ServerCheck, WalletStatus};

use crate::chain::source::ChainSource;
use crate::chain::spends::SpendIndexRecord;
use crate::keys::{NodeId, Seed, WalletKeys};
use crate::net::client::Client;
use crate::store::{ReadOnlyStore, SeedFile, Store};
use crate::wallet::{ConfirmedBalance, OnchainWallet, WalletState};

/// What a caller may show while the engine works. Every method has a silent default.
pub trait Observer {
    /// A line worth telling the user: a step taken, a warning, a problem skipped.
    fn note(&self, _line: &str) {}
    /// Work that may take a while started or goes on (`Some`: what it is doing now), or
    /// ended (`None`).
    fn busy(&self, _what: Option<&str>) {}
    /// True once the user asked to stop the operation that runs now (Ctrl-C in the REPL).
    /// Only waits check it (`wait` for a payment, the wait of a force close): they return
    /// "still pending" at their next check, with every step taken so far saved. Work that
    /// must not stop halfway (a claim after the scalar left) does not look.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}

/// One unlocked client wallet. See the module documentation.
pub struct Engine<'a> {
    store: &'a Store,
    keys: Arc<WalletKeys>,
    seed: Seed,
    network: Network,
    chain: Option<Box<dyn ChainSource>>,
    server_ca: Option<PathBuf>,
    observer: Box<dyn Observer + 'a>,
    /// The clients of channels' servers made so far: (URL, pinned node id, client).
    servers: RefCell<Vec<(String, NodeId, Rc<Client>)>>,
}

impl<'a> Engine<'a> {
    /// The engine of the wallet in `store` (unlocked), which must be a wallet of `network`.
    /// Without [`Engine::with_chain`] it does what needs neither chain nor server (reading
    /// payments, addresses, keys).
    pub fn new(store: &'a Store, network: Network) -> ClientResult<Engine<'a>> {
        Engine::keeping(store, network, &mut None)
    }

    /// [`Engine::new`] in a session that keeps the wallet's keys from one command to the
    /// next in `kept`: reused while they are the stored seed's ([`Seed::keys_keeping`]),
    /// replaced otherwise.
    pub fn keeping(
        store: &'a Store,
        network: Network,
        kept: &mut Option<Arc<WalletKeys>>,
    ) -> ClientResult<Engine<'a>> {
        let seed = stored_seed(&store.read_only(), network)?;
        let keys = seed.keys_keeping(network, kept.take());
        *kept = Some(Arc::clone(&keys));
        Ok(Engine {
            store,
            keys,
            seed,
            network,
            chain: None,
            server_ca: None,
            observer: Box::new(Silent),
            servers: RefCell::default(),
        })
    }

    /// Uses `source` for the chain (it must serve the wallet's network), going on from
    /// the spend index the wallet stored (bitcoind).
    pub fn with_chain(mut self, source: Box<dyn ChainSource>) -> Self {
        // A record that cannot be read only means scanning again.
        if let Ok(Some(record)) = self.store.load::<SpendIndexRecord>() {
            source.restore_spend_index(record);
        }
        self.chain = Some(source);
        self
    }

    /// Stores the chain source's spend index if it changed (not from a detached store).
    /// Best effort: the index is a cache of the chain, and a command that cannot write it
    /// must still publish what enforces a channel (the next command scans again).
    pub(crate) fn save_spend_index(&self) {
        let Some(source) = self.chain.as_deref() else {
            return;
        };
        if self.store.is_detached() {
            return;
        }
        if let Some((record, generation)) = source.changed_spend_index() {
            match self.store.save(&record) {
                Ok(()) => source.spend_index_stored(generation),
                Err(e) => self.note(&format!("the spend index could not be stored ({e})")),
            }
        }
    }

    /// Trusts `ca` (a PEM certificate) for `https://` servers besides the system roots.
    pub fn with_server_ca(mut self, ca: Option<PathBuf>) -> Self {
        self.server_ca = ca;
        self
    }

    /// Tells `observer` what the engine does.
    pub fn with_observer(mut self, observer: impl Observer + 'a) -> Self {
        self.observer = Box::new(observer);
        self
    }

    /// The wallet's keys.
    pub fn keys(&self) -> &WalletKeys {
        &self.keys
    }

    /// The wallet's seed.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The wallet's store.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The wallet's network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The chain source.
    pub fn chain(&self) -> ClientResult<&dyn ChainSource> {
        self.chain
            .as_deref()
            .ok_or_else(|| ClientError::invalid("this needs a chain source"))
    }

    pub(crate) fn note(&self, line: &str) {
        self.observer.note(line);
    }

    pub(crate) fn busy(&self, what: Option<&str>) {
        self.observer.busy(what);
    }

    /// Whether the caller asked to stop waiting ([`Observer::cancelled`]).
    pub(crate) fn cancelled(&self) -> bool {
        self.observer.cancelled()
    }

    /// Sleeps `duration` between two looks of a wait, in short slices so that a cancel is
    /// seen within a tenth of a second; true if the wait was cancelled.
    pub(crate) fn pause(&self, duration: std::time::Duration) -> bool {
        sleep_unless(duration, || self.cancelled())
    }

    /// Channels need BIP118 (ANYPREVOUT): refused on mainnet.
    pub(crate) fn check_channels_allowed(&self) -> ClientResult<()> {
        if self.network == Network::Bitcoin {
            return Err(ClientError::invalid(
                "channels need BIP118 (ANYPREVOUT), which is not active on mainnet",
            )
            .hint("use --network regtest or signet (Bitcoin Inquisition)"));
        }
        Ok(())
    }

    /// Creates the on-chain wallet of a new seed with its birthday at the chain's tip
    /// ([`OnchainWallet::start_at`]): its first sync starts there instead of at genesis.
    /// Nothing happens if the wallet exists already. (A wallet first made by
    /// [`Engine::onchain`], a restored seed's, scans from genesis.)
    pub fn create_onchain_at_tip(&self) -> ClientResult<()> {
        if self.store.load::<WalletState>()?.is_some() {
            return Ok(());
        }
        let source = self.chain()?;
        let mut wallet = OnchainWallet::create(&self.keys, self.network, source.genesis_hash()?)?;
        wallet.start_at(source.tip()?)?;
        self.save_onchain(&mut wallet, WalletState::default())
    }

    /// The on-chain wallet's confirmed balance at the chain's tip: the stored
    /// [`ConfirmedBalance`] while it is for that block, else the wallet loaded and synced
    /// (and the figure stored for the next command).
    pub(crate) fn confirmed_balance(&self) -> ClientResult<bitcoin::Amount> {
        let tip = self.chain()?.tip()?.hash.to_string();
        if let Some(known) = self.store.load::<ConfirmedBalance>()? {
            if known.tip == tip {
                return Ok(bitcoin::Amount::from_sat(known.confirmed_sat));
            }
        }
        let (mut wallet, state) = self.onchain()?;
        let confirmed = wallet.balance().confirmed;
        self.save_onchain_with(&mut wallet, state, true)?;
        Ok(confirmed)
    }

    /// Loads (or creates, on first use) the on-chain wallet and syncs it with the chain.
    pub fn onchain(&self) -> ClientResult<(OnchainWallet, WalletState)> {
        let source = self.chain()?;
        let state: Option<WalletState> = self.store.load()?;
        let (mut wallet, state) = match state {
            Some(state) => (
                OnchainWallet::load(&self.keys, state.changeset.clone())?,
                state,
            ),
            None => {
                let genesis = source.genesis_hash()?;
                let wallet = OnchainWallet::create(&self.keys, self.network, genesis)?;
                (wallet, WalletState::default())
            }
        };
        self.busy(Some(&format!("syncing with {}", source.describe())));
        let synced = wallet.sync(source);
        self.busy(None);
        synced?;
        Ok((wallet, state))
    }

    /// Writes what changed in the on-chain wallet, with its [`ConfirmedBalance`].
    pub fn save_onchain(&self, wallet: &mut OnchainWallet, state: WalletState) -> ClientResult<()> {
        self.save_onchain_with(wallet, state, false)
    }

    /// [`Engine::save_onchain`]; with `balance_anyway`, the balance is written even when
    /// nothing else changed (it was for an older tip).
    fn save_onchain_with(
        &self,
        wallet: &mut OnchainWallet,
        mut state: WalletState,
        balance_anyway: bool,
    ) -> ClientResult<()> {
        let changed = wallet.persist_into(&mut state);
        // A detached store (a command that only reads while another process holds the
        // wallet) keeps the sync in memory.
        if (changed || balance_anyway) && !self.store.is_detached() {
            let balance = ConfirmedBalance::of(wallet);
            self.store.transaction(|txn| {
                if changed {
                    txn.save(&state)?;
                }
                txn.save(&balance)
            })?;
        }
        Ok(())
    }
}

/// The wallet's seed from its (unlocked) store, checked to be for `network`.
pub fn stored_seed(store: &ReadOnlyStore, network: Network) -> ClientResult<Seed> {
    let file: SeedFile = store.load()?.ok_or_else(|| {
        ClientError::corrupt(format!(
            "the seed record of {} is missing",
            store.dir().display()
        ))
        .hint("restore the wallet with `asyncpay init --restore` in a new data dir")
    })?;
    if file.network != network.to_string() {
        return Err(ClientError::invalid(format!(
            "this data dir ({}) holds a {} wallet, not a {network} one",
            store.dir().display(),
            file.network
        ))
        .hint(format!(
            "drop --network (the wallet remembers its network), or pass --datadir of a {network} wallet"
        )));
    }
    let seed = Seed::from_phrase(&file.mnemonic)
        .map_err(|e| ClientError::corrupt(format!("the stored mnemonic is invalid: {e}")))?;
    Ok(match &file.bip39_seed {
        Some(hex) => seed.with_bip39_seed(zeroize::Zeroizing::new(
            crate::protocol::hex::decode::<64>(hex).map_err(|e| {
                ClientError::corrupt(format!("the stored BIP39 seed is invalid: {e}"))
            })?,
        )),
        None => seed,
    })
}

/// 32 bytes from the operating system.
pub(crate) fn random32() -> ClientResult<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        ClientError::failed(format!("the operating system gave no randomness: {e}"))
    })?;
    Ok(bytes)
}

/// Sleeps `duration` in short slices; true as soon as `cancelled` says so (seen within a
/// twentieth of a second), false once the time is up.
pub fn sleep_unless(duration: std::time::Duration, cancelled: impl Fn() -> bool) -> bool {
    let until = std::time::Instant::now() + duration;
    loop {
        if cancelled() {
            return true;
        }
        let now = std::time::Instant::now();
        if now >= until {
            return false;
        }
        std::thread::sleep((until - now).min(std::time::Duration::from_millis(50)));
    }
}
