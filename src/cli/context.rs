//! The context of a command, resolved once: network, data dir, chain source, output, and the
//! unlocked store (kept for a whole REPL session) — or, for commands that only read next to
//! a process holding the data dir (the operator's `server sales` while `server run` runs),
//! a read-only store opened without the lock.

use std::path::PathBuf;

use bitcoin::Network;

use super::args::{GlobalArgs, NetworkArg};
use super::error::{CliError, CliResult};
use super::output::{Feedback, Output};
use super::secrets;
use crate::chain::source::{ChainSource, ChainSourceError, ChainSpec};
use crate::client::{ClientError, Engine};
use crate::store::{DataDir, LockWait, ReadOnlyDir, ReadOnlyStore, StoreError, Unlock};

/// scrypt work factor (log2 N) for new passphrases; `ASYNCPAY_SCRYPT_WORK_FACTOR` overrides it
/// (tests and slow machines).
pub const DEFAULT_WORK_FACTOR: u8 = 18;

/// Everything a handler needs besides its own arguments.
pub struct Context {
    /// The global options.
    pub global: GlobalArgs,
    /// Where results go.
    pub out: Output,
    /// The network.
    pub network: Network,
    /// The wallet's data dir.
    pub datadir: PathBuf,
    dir: Option<DataDir>,
    unlocked: Option<crate::store::Store>,
    read_only: Option<ReadOnlyStore>,
}

fn project_dirs() -> CliResult<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "asyncpay", "asyncpay").ok_or_else(|| {
        CliError::usage("cannot find a home directory for the default data dir")
            .hint("pass --datadir DIR (or set ASYNCPAY_DATADIR) and --chain regtest:DIR")
    })
}

impl Context {
    /// Resolves the context from the global options.
    pub fn new(global: GlobalArgs) -> CliResult<Context> {
        let network = match global.network {
            NetworkArg::Regtest => Network::Regtest,
            NetworkArg::Signet => Network::Signet,
            NetworkArg::Bitcoin => Network::Bitcoin,
        };
        let datadir = match &global.datadir {
            Some(dir) => dir.clone(),
            None => project_dirs()?.data_dir().join(network.to_string()),
        };
        Ok(Context {
            out: Output {
                json: global.json,
                quiet: global.quiet,
            },
            global,
            network,
            datadir,
            dir: None,
            unlocked: None,
            read_only: None,
        })
    }

    /// Applies a REPL line's output options (`--json`, `-q`) for that line only.
    pub fn with_output(&mut self, line: &GlobalArgs) -> Output {
        Output {
            json: self.global.json || line.json,
            quiet: self.global.quiet || line.quiet,
        }
    }

    /// The chain source: `--chain`, `ASYNCPAY_CHAIN`, or the user's shared regtest ledger.
    pub fn chain_spec(&self) -> CliResult<ChainSpec> {
        match &self.global.chain {
            Some(spec) => spec
                .parse()
                .map_err(|e| CliError::usage(format!("invalid --chain: {e}"))),
            None if self.network == Network::Regtest => Ok(ChainSpec::Regtest(
                project_dirs()?.data_dir().join("regtest-chain"),
            )),
            None => Err(CliError::usage(format!(
                "no chain source for {}: the embedded ledger is regtest only",
                self.network
            ))
            .hint("pass --chain bitcoind:URL (or set ASYNCPAY_CHAIN) for a node of that network")),
        }
    }

    /// The data dir, locked (waiting with `--wait`). The lock is taken once and held for
    /// the rest of the process (a REPL session holds it until it ends).
    pub fn data_dir(&mut self) -> CliResult<&DataDir> {
        if self.dir.is_none() {
            let wait = if self.global.wait {
                LockWait::Wait
            } else {
                LockWait::Fail
            };
            let spinner = self.out.spinner("waiting for the wallet lock");
            let dir = DataDir::open(&self.datadir, wait).map_err(store_error);
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
        Ok(self.dir.as_ref().expect("set above"))
    }

    /// How to unlock, from the options (`None`: ask on the terminal).
    pub fn unlock_source(&self) -> CliResult<Option<Unlock>> {
        if let Some(path) = &self.global.identity {
            return Ok(Some(Unlock::IdentityFile(path.clone())));
        }
        Ok(secrets::passphrase_from_args(&self.global)?.map(Unlock::Passphrase))
    }

    /// The unlocked store, unlocking once (a REPL session reuses it).
    pub fn store(&mut self) -> CliResult<&crate::store::Store> {
        if self.unlocked.is_none() {
            self.unlock_store(false)?;
        }
        Ok(self.unlocked.as_ref().expect("set above"))
    }

    /// Unlocks the store for `wallet upgrade` (see [`DataDir::unlock_upgrading`]): returns
    /// the state files of an older release moved into the database.
    pub fn upgrade_store(&mut self) -> CliResult<Vec<std::path::PathBuf>> {
        self.unlocked = None;
        self.read_only = None;
        self.unlock_store(true)
    }

    fn unlock_store(&mut self, upgrading: bool) -> CliResult<Vec<std::path::PathBuf>> {
        let unlock = self.unlock_source()?;
        let out = self.out;
        let datadir = self.datadir.clone();
        let dir = self.data_dir()?;
        if !dir.is_initialized() {
            return Err(store_error(StoreError::NotInitialized { path: datadir }));
        }
        let unlock = match unlock {
            Some(u) => u,
            None => Unlock::Passphrase(secrets::prompt_passphrase("Wallet passphrase: ", false)?),
        };
        let spinner = out.spinner("unlocking");
        let opened = if upgrading {
            dir.unlock_upgrading(&unlock)
        } else {
            dir.unlock(&unlock).map(|store| (store, Vec::new()))
        };
        spinner.finish_and_clear();
        let (store, moved) = opened.map_err(store_error)?;
        self.unlocked = Some(store);
        Ok(moved)
    }

    /// The store unlocked for reading only, *without* the data dir's lock: for a command
    /// that must work while another process (a running `server run`) holds the lock. It
    /// never writes anything (see [`ReadOnlyDir`]: the seed, identity and settings files are
    /// only ever replaced atomically, so a lock-free read is consistent). Reuses the store
    /// this context already unlocked, if any; unlocks once per REPL session otherwise.
    pub fn store_read_only(&mut self) -> CliResult<&ReadOnlyStore> {
        if self.read_only.is_none() {
            let store = match &self.unlocked {
                Some(store) => store.read_only(),
                None => {
                    let unlock = self.unlock_source()?;
                    let dir = ReadOnlyDir::open(&self.datadir).map_err(store_error)?;
                    if !dir.is_initialized() {
                        return Err(store_error(StoreError::NotInitialized {
                            path: self.datadir.clone(),
                        }));
                    }
                    let unlock = match unlock {
                        Some(u) => u,
                        None => Unlock::Passphrase(secrets::prompt_passphrase(
                            "Wallet passphrase: ",
                            false,
                        )?),
                    };
                    let spinner = self.out.spinner("unlocking");
                    let store = dir.unlock(&unlock).map_err(store_error);
                    spinner.finish_and_clear();
                    store?
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
        self.unlocked.take()
    }

    /// Keeps a store just created (`init`) for the rest of the session.
    pub fn set_store(&mut self, store: crate::store::Store) {
        self.unlocked = Some(store);
    }

    /// Forgets the unlocked store (after a passphrase change).
    pub fn forget_store(&mut self) {
        self.unlocked = None;
        self.read_only = None;
    }

    /// Connects to the chain source and checks it serves the wallet's network.
    pub fn connect(&self) -> CliResult<Box<dyn ChainSource>> {
        let chain_error = |e: ChainSourceError| CliError::from(ClientError::from(e));
        let source = self.chain_spec()?.connect().map_err(chain_error)?;
        let network = source.network().map_err(chain_error)?;
        if network != self.network {
            return Err(CliError::usage(format!(
                "the chain source {} serves {network}, but the wallet is on {}",
                source.describe(),
                self.network
            ))
            .hint("pass the --network of the chain, or a --chain of the wallet's network"));
        }
        Ok(source)
    }

    /// The client engine of this wallet, without a chain source (local work only).
    pub fn engine(&mut self) -> CliResult<Engine<'_>> {
        let network = self.network;
        Ok(Engine::new(self.store()?, network)?)
    }

    /// The client engine with the chain source and the server CA, telling its progress on
    /// stderr.
    pub fn engine_with_chain(&mut self) -> CliResult<Engine<'_>> {
        let source = self.connect()?;
        let server_ca = self.global.server_ca.clone();
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

/// The user-facing form of a store error.
pub fn store_error(e: StoreError) -> CliError {
    crate::client::ClientError::from(e).into()
}
