//! The context of a command, resolved once: network, data dir, chain source, output, and the
//! unlocked store (kept for a whole REPL session) — or, for commands that only read next to
//! a process holding the data dir (the operator's `server sales` while `server run` runs),
//! a read-only store opened without the lock.

use std::path::PathBuf;
use std::sync::Arc;

use bitcoin::Network;

use super::args::{GlobalArgs, NetworkArg};
use super::error::{CliError, CliResult};
use super::output::{Feedback, Output};
use super::secrets;
use super::settings::{absolute_chain, parse_network, Config, DirSettings, WalletSettings};
use crate::chain::source::{ChainSource, ChainSourceError, ChainSpec, RegtestSource};
use crate::chain::Ledger;
use crate::client::{ClientError, Engine};
use crate::keys::WalletKeys;
use crate::store::{
    DataDir, LockWait, ReadOnlyDir, ReadOnlyStore, SeedFile, StorageKey, StoreError, Unlock,
};

/// scrypt work factor (log2 N) for new passphrases; `ASYNCPAY_SCRYPT_WORK_FACTOR` overrides it
/// (tests and slow machines).
pub const DEFAULT_WORK_FACTOR: u8 = 18;

/// How long a command that writes waits for the wallet another command holds before it
/// fails with exit 6 (without `--wait-lock`): a read that refreshes and saves holds it for
/// moments.
pub const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Everything a handler needs besides its own arguments.
pub struct Context {
    /// The global options.
    pub global: GlobalArgs,
    /// Where results go.
    pub out: Output,
    /// The network: `--network`, else the wallet's remembered one, else the config file's,
    /// else regtest (the wallet's sealed settings decide once it is unlocked).
    pub network: Network,
    /// The wallet's data dir.
    pub datadir: PathBuf,
    /// The config file.
    pub config: Config,
    /// The command running (`pay`, `server run`), recorded as the lock's holder.
    pub command: String,
    /// Commands run in the REPL (the lock's holder says so).
    pub in_repl: bool,
    /// The command only reads: if another process holds the wallet, it reads without the
    /// lock (a detached store) instead of failing.
    pub reading: bool,
    /// The command works on the regtest ledger only (`regtest ...`): it may resolve the
    /// chain source before (or without) unlocking, from `--chain` and `settings.toml`.
    /// Every other command resolves it from the unlocked wallet's sealed settings.
    pub ledger_only: bool,
    /// What `settings.toml` of the data dir says.
    remembered: Option<DirSettings>,
    /// `--network` contradicts the wallet, or `settings.toml` is unreadable: reported by
    /// the first use of the data dir.
    problem: Option<CliError>,
    /// The wallet's sealed settings, once unlocked.
    sealed: Option<WalletSettings>,
    /// The storage key of this session, to take the lock again without asking.
    key: Option<StorageKey>,
    dir: Option<DataDir>,
    unlocked: Option<crate::store::Store>,
    read_only: Option<ReadOnlyStore>,
    /// The regtest ledger this session opened: the next command checks it again only if
    /// it changed ([`Ledger::check_recent`]), instead of opening it anew.
    ledger: Option<Ledger>,
    /// The wallet's keys, kept for the next command while they are the stored seed's
    /// ([`Engine::keeping`]).
    keys: Option<Arc<WalletKeys>>,
}

fn project_dirs() -> CliResult<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "asyncpay", "asyncpay").ok_or_else(|| {
        CliError::usage("cannot find a home directory for the default data dir")
            .hint("pass --datadir DIR (or set ASYNCPAY_DATADIR) and --chain regtest:DIR")
    })
}

fn network_of(arg: NetworkArg) -> Network {
    match arg {
        NetworkArg::Regtest => Network::Regtest,
        NetworkArg::Signet => Network::Signet,
        NetworkArg::Bitcoin => Network::Bitcoin,
    }
}

/// The refusal of a `--network` the wallet was not made for.
fn network_mismatch(datadir: &std::path::Path, wallet: &str, given: Network) -> CliError {
    CliError::usage(format!(
        "this data dir ({}) holds a {wallet} wallet, not a {given} one",
        datadir.display()
    ))
    .hint(format!(
        "drop --network (the wallet remembers its network), or pass --datadir of a {given} wallet"
    ))
}

impl Context {
    /// Resolves the context from the global options, the config file and the data dir's
    /// remembered settings.
    pub fn new(global: GlobalArgs) -> CliResult<Context> {
        let (config, _) = Config::load(global.config.as_deref())?;
        let explicit = global.network.map(network_of);
        let datadir = match (&global.datadir, &config.datadir) {
            (Some(dir), _) | (None, Some(dir)) => dir.clone(),
            (None, None) => {
                let network = explicit.or(config.network()).unwrap_or(Network::Regtest);
                project_dirs()?.data_dir().join(network.to_string())
            }
        };
        let (remembered, mut problem) = match DirSettings::read(&datadir) {
            Ok(r) => (r, None),
            Err(e) => (None, Some(e)),
        };
        let network = explicit
            .or(remembered.as_ref().map(DirSettings::network))
            .or(config.network())
            .unwrap_or(Network::Regtest);
        if let (Some(given), Some(r)) = (explicit, &remembered) {
            if given != r.network() {
                problem = Some(network_mismatch(&datadir, &r.network, given));
            }
        }
        Ok(Context {
            out: Output {
                json: global.json,
                quiet: global.quiet,
            },
            global,
            network,
            datadir,
            config,
            command: String::new(),
            in_repl: false,
            reading: false,
            ledger_only: false,
            remembered,
            problem,
            sealed: None,
            key: None,
            dir: None,
            unlocked: None,
            read_only: None,
            ledger: None,
            keys: None,
        })
    }

    /// Lets go of the data dir's lock and the stores, keeping the storage key: the next
    /// command (a REPL line, the next poll of a wait) takes the lock again without asking
    /// for the passphrase.
    pub fn release(&mut self) {
        self.unlocked = None;
        self.read_only = None;
        self.dir = None;
    }

    /// "No wallet in DIR", and, when DIR is the default of a network nobody chose, the
    /// wallets of the other networks' default dirs: the default data dir is per network,
    /// so a signet wallet is found with `--network signet` (or the config file's `network`).
    fn not_initialized(&self, datadir: PathBuf) -> CliError {
        let mut err = store_error(StoreError::NotInitialized { path: datadir });
        let defaulted = self.global.datadir.is_none()
            && self.config.datadir.is_none()
            && self.global.network.is_none();
        if !defaulted {
            return err;
        }
        let Ok(dirs) = project_dirs() else {
            return err;
        };
        let others: Vec<String> = [Network::Signet, Network::Bitcoin, Network::Regtest]
            .into_iter()
            .filter(|n| *n != self.network)
            .filter(|n| crate::store::is_initialized(&dirs.data_dir().join(n.to_string())))
            .map(|n| n.to_string())
            .collect();
        if let Some(first) = others.first() {
            err.hint = Some(format!(
                "you have a {} wallet: pass --network {first} (the default data dir is per \
                 network), or set network = \"{first}\" in the config file; or create one \
                 here with `asyncpay init`",
                others.join(" and a ")
            ));
        }
        err
    }

    /// Fails with the problem found in the settings, if the data dir holds a wallet.
    fn check_settings(&self) -> CliResult<()> {
        match &self.problem {
            Some(e) if crate::store::is_initialized(&self.datadir) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Applies a REPL line's output options (`--json`, `-q`) for that line only.
    pub fn with_output(&mut self, line: &GlobalArgs) -> Output {
        Output {
            json: self.global.json || line.json,
            quiet: self.global.quiet || line.quiet,
        }
    }

    /// The chain source given by `--chain` or `ASYNCPAY_CHAIN`, a regtest ledger's dir
    /// made absolute.
    fn explicit_chain(&self) -> CliResult<Option<ChainSpec>> {
        self.global
            .chain
            .as_deref()
            .map(|spec| {
                spec.parse()
                    .map(absolute_chain)
                    .map_err(|e| CliError::usage(format!("invalid --chain: {e}")))
            })
            .transpose()
    }

    /// The chain source of a wallet that remembers none: the config file's, else the user's
    /// shared regtest ledger on regtest; `None` on another network.
    fn default_chain(&self) -> CliResult<Option<ChainSpec>> {
        if let Some(spec) = &self.config.chain {
            return spec
                .parse()
                .map(|c| Some(absolute_chain(c)))
                .map_err(|e| CliError::usage(format!("config file: invalid chain: {e}")));
        }
        if self.network == Network::Regtest {
            return Ok(Some(ChainSpec::Regtest(
                project_dirs()?.data_dir().join("regtest-chain"),
            )));
        }
        Ok(None)
    }

    /// The chain source: `--chain` / `ASYNCPAY_CHAIN`, else the one the wallet remembers,
    /// else the config file's, else the user's shared regtest ledger. Once the wallet is
    /// unlocked, a `--chain` that is not the one it remembers is refused (say which, and how
    /// to switch deliberately); before (the `regtest` commands), the plain `settings.toml`
    /// stands in for what it remembers.
    pub fn chain_spec(&self) -> CliResult<ChainSpec> {
        self.check_settings()?;
        if self.sealed.is_none() && !self.ledger_only {
            // Before the unlock only the unauthenticated `settings.toml`, the config file
            // and the flags are known: resolving the chain from them would let a swapped
            // file choose it. A bug if it happens: `connect` unlocks first.
            return Err(CliError::failed(
                "internal error: the chain source was asked for before the wallet was unlocked",
            )
            .hint("please report this bug; nothing was connected"));
        }
        let explicit = self.explicit_chain()?;
        let remembered = match &self.sealed {
            Some(sealed) => sealed.chain_spec()?,
            None => self
                .remembered
                .as_ref()
                .and_then(|r| r.chain.as_deref())
                .and_then(|c| c.parse::<ChainSpec>().ok())
                .filter(|c| matches!(c, ChainSpec::Regtest(_))),
        };
        match (explicit, remembered) {
            (Some(given), Some(wallet))
                if self.sealed.is_some()
                    && given != wallet
                    && given.to_string() == wallet.to_string() =>
            {
                // Only the hidden password differs: both would show as `***`.
                Err(CliError::usage(format!(
                    "this wallet uses the chain source {wallet} (remembered since it was made), \
                     and --chain (or ASYNCPAY_CHAIN) gives the same source with other credentials"
                ))
                .hint(
                    "the credentials differ: drop --chain to use the remembered ones; to change \
                     them for good, run `asyncpay wallet set-chain SPEC` with the new ones",
                ))
            }
            (Some(given), Some(wallet)) if self.sealed.is_some() && given != wallet => {
                Err(CliError::usage(format!(
                    "this wallet uses the chain source {wallet} (remembered since it was made), \
                     but --chain (or ASYNCPAY_CHAIN) gives {given}"
                ))
                .hint(format!(
                    "drop --chain to use {wallet}; to move the wallet to the other chain source for \
                     good, run `asyncpay wallet set-chain {given}`"
                )))
            }
            (Some(spec), _) | (None, Some(spec)) => Ok(spec),
            (None, None) => self.default_chain()?.ok_or_else(|| {
                CliError::usage(format!(
                    "no chain source for {}: the embedded ledger is regtest only",
                    self.network
                ))
                .hint("pass --chain bitcoind:URL once (the wallet remembers it), or set chain in the config file")
            }),
        }
    }

    /// The wallet's remembered default server (`address`, ...), else the config file's.
    pub fn default_server(&self) -> Option<String> {
        self.sealed
            .as_ref()
            .and_then(|s| s.server.clone())
            .or_else(|| self.config.server.clone())
    }

    /// The wallet's sealed settings (after an unlock).
    pub fn settings(&self) -> Option<&WalletSettings> {
        self.sealed.as_ref()
    }

    /// Remembers `url` as the wallet's default server if it has none yet (the first
    /// `channel open` / `request-inbound`).
    pub fn remember_server(&mut self, url: &str) -> CliResult<()> {
        let Some(mut settings) = self.sealed.clone() else {
            return Ok(());
        };
        if settings.server.is_some() {
            return Ok(());
        }
        settings.server = Some(url.to_owned());
        self.save_settings(settings)
    }

    /// Saves new settings for the wallet: sealed, then the plain copy.
    pub fn save_settings(&mut self, settings: WalletSettings) -> CliResult<()> {
        let store = self.store()?;
        store.save(&settings).map_err(store_error)?;
        settings.plain()?.write(&self.datadir)?;
        self.sealed = Some(settings);
        Ok(())
    }

    /// After an unlock: reads the wallet's sealed settings (adopting this command's for a
    /// data dir of an older release that has none), checks `--network` against them, and
    /// writes `settings.toml` again if it does not match them.
    fn load_settings(&mut self, store: &crate::store::Store) -> CliResult<()> {
        let sealed: Option<WalletSettings> = store.load().map_err(store_error)?;
        let explicit = self.global.network.map(network_of);
        let settings = match sealed {
            Some(s) => s,
            None => {
                // An older release's wallet: the seed says its network.
                let Some(seed) = store.load::<SeedFile>().map_err(store_error)? else {
                    return Ok(()); // the engine reports the missing seed
                };
                if explicit.is_some_and(|n| n.to_string() != seed.network) {
                    return Err(network_mismatch(
                        &self.datadir,
                        &seed.network,
                        explicit.expect("checked"),
                    ));
                }
                self.network = parse_network(&seed.network).map_err(CliError::usage)?;
                let chain = match self.explicit_chain()? {
                    Some(c) => Some(c),
                    None => self.default_chain()?,
                };
                let adopted = WalletSettings {
                    network: seed.network.clone(),
                    chain: chain.map(|c| chain_text(&c)),
                    server: self.config.server.clone(),
                };
                if !store.is_detached() {
                    store.save(&adopted).map_err(store_error)?;
                }
                adopted
            }
        };
        let network = parse_network(&settings.network).map_err(CliError::usage)?;
        if let Some(given) = explicit.filter(|n| *n != network) {
            return Err(network_mismatch(&self.datadir, &settings.network, given));
        }
        self.network = network;
        let plain = settings.plain()?;
        if !store.is_detached()
            && DirSettings::read(&self.datadir).ok().flatten() != Some(plain.clone())
        {
            if self.remembered.is_some() {
                self.out.note(&format!(
                    "note: {} did not match the wallet's sealed settings; wrote it again from them",
                    self.datadir
                        .join(super::settings::DIR_SETTINGS_FILE)
                        .display()
                ));
            }
            plain.write(&self.datadir)?;
        }
        self.problem = None;
        self.remembered = Some(plain);
        self.sealed = Some(settings);
        Ok(())
    }

    /// The settings of a wallet `init` creates: this command's network, its chain source
    /// (`--chain`, the config file's, the shared regtest ledger) and the config file's
    /// server.
    pub fn new_wallet_settings(&self) -> CliResult<WalletSettings> {
        let chain = match self.explicit_chain()? {
            Some(c) => Some(c),
            None => self.default_chain()?,
        };
        Ok(WalletSettings {
            network: self.network.to_string(),
            chain: chain.map(|c| chain_text(&c)),
            server: self.config.server.clone(),
        })
    }

    /// The data dir, locked (waiting with `--wait-lock`). The lock is held until
    /// [`Context::release`] (after each REPL line) or the end of the process.
    pub fn data_dir(&mut self) -> CliResult<&DataDir> {
        self.open_dir().map_err(store_error)?;
        Ok(self.dir.as_ref().expect("set above"))
    }

    fn open_dir(&mut self) -> Result<(), StoreError> {
        if self.dir.is_none() {
            // Reading never waits (a held wallet is read without its lock); a command that
            // writes gives another short command (a read, say) a moment to finish.
            let wait = if self.reading {
                LockWait::Fail
            } else if self.global.wait_lock {
                LockWait::Wait
            } else {
                LockWait::Grace(LOCK_GRACE)
            };
            let spinner = self.out.spinner("waiting for the wallet lock");
            let dir = DataDir::open_as(&self.datadir, wait, &self.command);
            spinner.finish_and_clear();
            let dir = dir?;
            if let Some(mode) = dir.fixed_permissions() {
                self.out.note(&format!(
                    "note: data dir {} had mode {mode:04o} (open to other users); changed it to 0700",
                    self.datadir.display()
                ));
            }
            self.dir = Some(dir);
        }
        Ok(())
    }

    /// How to unlock, from the options (`None`: ask on the terminal).
    pub fn unlock_source(&self) -> CliResult<Option<Unlock>> {
        if let Some(path) = &self.global.identity {
            return Ok(Some(Unlock::IdentityFile(path.clone())));
        }
        Ok(secrets::passphrase_from_args(&self.global)?.map(Unlock::Passphrase))
    }

    /// The unlocked store, unlocking once (a REPL session reuses the key). For a command
    /// that only reads ([`Context::reading`]), a wallet another process holds is read
    /// without the lock: a detached store that saves nothing (noted on stderr).
    pub fn store(&mut self) -> CliResult<&crate::store::Store> {
        if self.unlocked.is_none() {
            self.unlock_store(false)?;
        }
        Ok(self.unlocked.as_ref().expect("set above"))
    }

    /// `server run --standby`: unlocks the wallet once (read-only: the passphrase is asked
    /// once), then opens its store as the writer as soon as no other process holds its
    /// PostgreSQL records, calling `keep_waiting` between two tries with the error of a
    /// database server that failed or could not be reached, if that is why the try failed
    /// (tried again too). False if `keep_waiting` gave up (a signal). Any other error ends
    /// the wait. While it waits it follows the records forward as a reader (each record
    /// checked against the sealed digest): records older than it saw, put back meanwhile
    /// or at the takeover, are refused ([`StoreError::RolledBack`], ADR 0018).
    pub fn store_when_free(
        &mut self,
        mut keep_waiting: impl FnMut(Option<&StoreError>) -> bool,
    ) -> CliResult<bool> {
        let reader = self.store_read_only()?.clone();
        let key = self.key.clone().expect("unlocked above");
        let mut seen = reader.records_counter().map_err(store_error)?;
        loop {
            self.open_dir().map_err(store_error)?;
            let dir = self.dir.as_ref().expect("opened above");
            let failed = match dir.unlock_with_key(&key) {
                Ok(store) => match store.read_only().records_counter() {
                    Ok(now) if now < seen => {
                        return Err(store_error(StoreError::RolledBack {
                            path: store.database_path(),
                        }))
                    }
                    Ok(_) => {
                        self.load_settings(&store)?;
                        self.read_only = None;
                        self.unlocked = Some(store);
                        return Ok(true);
                    }
                    // The store (and the lock) let go: tried again.
                    Err(e @ StoreError::DatabaseServer { .. }) => Some(e),
                    Err(e) => return Err(store_error(e)),
                },
                Err(StoreError::DatabaseInUse { .. }) => None,
                Err(e @ StoreError::DatabaseServer { .. }) => Some(e),
                Err(e) => return Err(store_error(e)),
            };
            if !keep_waiting(failed.as_ref()) {
                return Ok(false);
            }
            match reader.records_counter() {
                Ok(now) => seen = seen.max(now),
                Err(StoreError::DatabaseServer { .. }) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    /// Unlocks the store for `wallet upgrade` (see [`DataDir::unlock_upgrading`]): returns
    /// the state files of an older release moved into the database.
    pub fn upgrade_store(&mut self) -> CliResult<Vec<std::path::PathBuf>> {
        self.unlocked = None;
        self.read_only = None;
        self.unlock_store(true)
    }

    fn unlock_store(&mut self, upgrading: bool) -> CliResult<Vec<std::path::PathBuf>> {
        self.check_settings()?;
        let datadir = self.datadir.clone();
        if let Err(e) = self.open_dir() {
            return match e {
                StoreError::InUse { holder, .. } if self.reading && !upgrading => {
                    self.unlock_detached(holder).map(|()| Vec::new())
                }
                e => Err(store_error(e)),
            };
        }
        let out = self.out;
        let key = self.key.clone();
        let unlock = match key {
            Some(_) => None,
            None => Some(self.unlock_source()?),
        };
        let dir = self.dir.as_ref().expect("opened above");
        if !dir.is_initialized() {
            return Err(self.not_initialized(datadir));
        }
        let (store, moved) = match (&key, unlock) {
            (Some(key), _) if !upgrading => {
                (dir.unlock_with_key(key).map_err(store_error)?, Vec::new())
            }
            (_, unlock) => {
                let unlock = match unlock.flatten() {
                    Some(u) => u,
                    None => Unlock::Passphrase(secrets::prompt_passphrase(
                        "Wallet passphrase: ",
                        false,
                    )?),
                };
                let spinner = out.spinner("unlocking");
                let opened = if upgrading {
                    dir.unlock_upgrading(&unlock)
                } else {
                    dir.unlock(&unlock).map(|store| (store, Vec::new()))
                };
                spinner.finish_and_clear();
                opened.map_err(store_error)?
            }
        };
        self.load_settings(&store)?;
        self.key = Some(store.key());
        self.unlocked = Some(store);
        Ok(moved)
    }

    /// Unlocks the wallet `holder` holds, read-only and without its lock.
    fn unlock_detached(&mut self, holder: Option<crate::store::LockHolder>) -> CliResult<()> {
        let reader = self.open_read_only()?;
        let store = crate::store::Store::detached(reader);
        self.load_settings(&store)?;
        let who = holder.map_or_else(|| "another asyncpay process".to_owned(), |h| h.to_string());
        self.out.note(&format!(
            "note: {who} holds the wallet: showing what it recorded, refreshed in memory only (nothing is saved)"
        ));
        self.key = Some(store.key());
        self.unlocked = Some(store);
        Ok(())
    }

    fn open_read_only(&mut self) -> CliResult<ReadOnlyStore> {
        let dir = ReadOnlyDir::open(&self.datadir).map_err(store_error)?;
        if !dir.is_initialized() {
            return Err(self.not_initialized(self.datadir.clone()));
        }
        if let Some(key) = &self.key {
            return dir.unlock_with_key(key).map_err(store_error);
        }
        let unlock = match self.unlock_source()? {
            Some(u) => u,
            None => Unlock::Passphrase(secrets::prompt_passphrase("Wallet passphrase: ", false)?),
        };
        let spinner = self.out.spinner("unlocking");
        let store = dir.unlock(&unlock).map_err(store_error);
        spinner.finish_and_clear();
        let store = store?;
        self.key = Some(store.key());
        Ok(store)
    }

    /// The store unlocked for reading only, *without* the data dir's lock: for a command
    /// that must work while another process (a running `server run`) holds the lock. It
    /// never writes anything (see [`ReadOnlyDir`]). Reuses the store this context already
    /// unlocked, if any, and the session's key.
    /// Its sealed settings are loaded (the network is the wallet's, not a guess).
    pub fn store_read_only(&mut self) -> CliResult<&ReadOnlyStore> {
        self.check_settings()?;
        if self.read_only.is_none() {
            let store = match &self.unlocked {
                Some(store) => store.read_only(),
                None => {
                    let detached = crate::store::Store::detached(self.open_read_only()?);
                    self.load_settings(&detached)?;
                    detached.read_only()
                }
            };
            self.read_only = Some(store);
        }
        Ok(self.read_only.as_ref().expect("set above"))
    }

    /// The store, if this context has unlocked it already; never unlocks (nor asks).
    pub fn unlocked_store(&self) -> Option<&crate::store::Store> {
        self.unlocked.as_ref()
    }

    /// Takes the unlocked store out of the context (a long-running server owns it).
    pub fn take_store(&mut self) -> Option<crate::store::Store> {
        self.read_only = None;
        self.unlocked.take()
    }

    /// Keeps a store just created (`init`, with its `settings`) for the rest of the
    /// session.
    pub fn set_store(&mut self, store: crate::store::Store, settings: WalletSettings) {
        self.key = Some(store.key());
        self.problem = None;
        self.sealed = Some(settings);
        self.unlocked = Some(store);
        self.keys = None;
    }

    /// The wallet's keys this session keeps, if any ([`Engine::keeping`] checks them).
    pub fn kept_keys(&self) -> Option<Arc<WalletKeys>> {
        self.keys.clone()
    }

    /// Forgets the unlocked store and the key (after a passphrase change).
    pub fn forget_store(&mut self) {
        self.unlocked = None;
        self.read_only = None;
        self.key = None;
        self.keys = None;
    }

    /// Connects to the chain source and checks it serves the wallet's network. Unlocks
    /// first (but for the `regtest` ledger commands): the chain source and the network are
    /// the ones sealed in the wallet, never those of a swapped `settings.toml`.
    pub fn connect(&mut self) -> CliResult<Box<dyn ChainSource>> {
        if self.sealed.is_none() && !self.ledger_only {
            self.store()?;
        }
        let chain_error = |e: ChainSourceError| CliError::from(ClientError::from(e));
        let spec = self.chain_spec()?;
        let source = self.open_chain(spec).map_err(chain_error)?;
        let network = source.network().map_err(chain_error)?;
        if network != self.network {
            return Err(CliError::usage(format!(
                "the chain source {} serves {network}, but the wallet is on {}",
                source.describe(),
                self.network
            ))
            .hint(
                "give the wallet a chain source of its network: `asyncpay wallet set-chain SPEC` \
                 (or --chain SPEC for a wallet that remembers none)",
            ));
        }
        Ok(match &self.global.anchor_fee_rate {
            Some(rate) => Box::new(crate::chain::source::Adjusted::fee_rate(source, rate.0)),
            None => source,
        })
    }

    /// The chain source; the regtest ledger kept for the session (see `Context::ledger`).
    fn open_chain(&mut self, spec: ChainSpec) -> Result<Box<dyn ChainSource>, ChainSourceError> {
        let ChainSpec::Regtest(dir) = spec else {
            return spec.connect();
        };
        let ledger = match self.ledger.take() {
            Some(kept) if kept.dir() == dir => kept.check_recent().map(|_| kept),
            _ => Ledger::open(&dir),
        }
        .map_err(ChainSourceError::Ledger)?;
        self.ledger = Some(ledger.clone());
        Ok(Box::new(RegtestSource::new(ledger)))
    }

    /// The client engine of this wallet, without a chain source (local work only), telling
    /// its notes on stderr.
    pub fn engine(&mut self) -> CliResult<Engine<'_>> {
        // Unlock first: the network is the one sealed in the wallet.
        self.store()?;
        let (network, out) = (self.network, self.out);
        let store = self.unlocked.as_ref().expect("unlocked above");
        Ok(Engine::keeping(store, network, &mut self.keys)?.with_observer(Feedback::new(out)))
    }

    /// The client engine with the chain source and the server CA, telling its progress on
    /// stderr. Unlocks first: the chain source is the one the wallet remembers.
    pub fn engine_with_chain(&mut self) -> CliResult<Engine<'_>> {
        let detached = self.store()?.is_detached();
        let source = self.connect()?;
        // A wallet that remembers no chain source (made on signet without one) remembers
        // the first one that served it.
        if let Some(settings) = self.sealed.clone().filter(|s| s.chain.is_none()) {
            if !detached {
                let chain = self.chain_spec()?.to_spec_string();
                self.save_settings(WalletSettings {
                    chain: Some(chain),
                    ..settings
                })?;
            }
        }
        let server_ca = self
            .global
            .server_ca
            .clone()
            .or_else(|| self.config.server_ca.clone());
        let out = self.out;
        Ok(self
            .engine()?
            .with_chain(source)
            .with_server_ca(server_ca)
            .with_observer(Feedback::new(out)))
    }

    /// scrypt work factor for a new passphrase.
    pub fn work_factor(&self) -> CliResult<u8> {
        crate::store::work_factor_from_env(DEFAULT_WORK_FACTOR).map_err(CliError::usage)
    }
}

/// A chain spec as a wallet's sealed settings keep it (the full form, a password
/// included).
fn chain_text(spec: &ChainSpec) -> String {
    spec.to_spec_string()
}

/// The user-facing form of a store error.
pub fn store_error(e: StoreError) -> CliError {
    crate::client::ClientError::from(e).into()
}
