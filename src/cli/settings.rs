//! Settings: what a wallet remembers (its network, chain source and default server, set at
//! `init`) and the user's config file of defaults.
//!
//! Precedence, highest first: a flag, its `ASYNCPAY_*` environment variable, the data dir's
//! remembered settings, the config file, the built-in default. A flag that contradicts what
//! the wallet remembers is refused with the true story (what the wallet was made with, how
//! to switch deliberately) rather than obeyed: a wallet synced on one chain is not usable on
//! another.
//!
//! A wallet's settings live twice in its data dir:
//!
//! - sealed in `records.sqlite` ([`WalletSettings`], kind `asyncpay/settings`): the truth,
//!   authenticated like every record, read after unlocking;
//! - in plain text in `settings.toml` ([`DirSettings`]), for what runs before (or without)
//!   unlocking: choosing the network, the `regtest` commands' ledger. Its chain is the
//!   display form (a bitcoind password is `***`). A changed or swapped `settings.toml`
//!   cannot redirect the wallet: once unlocked, the sealed settings are used and the file is
//!   written again from them.
//!
//! A data dir of an older release has neither; its first command that unlocks it records
//! the settings that command ran with.

use std::path::{Path, PathBuf};

use bitcoin::Network;
use serde::{Deserialize, Serialize};

use super::error::{CliError, CliResult};
use crate::chain::source::ChainSpec;
use crate::store::{write_atomic, StateFile};

/// Name of the plain settings file in a data dir.
pub const DIR_SETTINGS_FILE: &str = "settings.toml";
/// Name of the config file in the platform config dir.
pub const CONFIG_FILE: &str = "config.toml";
/// Longest config or settings file read.
const MAX_FILE: u64 = 64 * 1024;

/// The config file: defaults for every wallet (TOML). Every key is optional; an unknown key
/// is an error naming it.
///
/// ```toml
/// network = "signet"                       # regtest, signet or bitcoin
/// datadir = "/home/me/wallets/signet"      # the data dir
/// chain = "bitcoind:http://127.0.0.1:38332?cookie=/home/me/.bitcoin/signet/.cookie"
/// server = "https://s.example.org:9737"    # the default server of new wallets
/// server_ca = "/home/me/s-ca.pem"          # trust this CA for an https server
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Network of new wallets, and of the default data dir.
    pub network: Option<String>,
    /// Data dir.
    pub datadir: Option<PathBuf>,
    /// Chain source of new wallets (`regtest:DIR`, `bitcoind:URL`).
    pub chain: Option<String>,
    /// Default server of new wallets.
    pub server: Option<String>,
    /// CA certificate for an https server.
    pub server_ca: Option<PathBuf>,
}

impl Config {
    /// The default config file: `config.toml` in the platform config dir (on Linux
    /// `~/.config/asyncpay/config.toml`).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "asyncpay", "asyncpay")
            .map(|d| d.config_dir().join(CONFIG_FILE))
    }

    /// Loads the config file: `explicit` (`--config`, `ASYNCPAY_CONFIG`; it must exist), or
    /// the default one if it exists.
    pub fn load(explicit: Option<&Path>) -> CliResult<(Config, Option<PathBuf>)> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => match Config::default_path() {
                Some(path) if path.exists() => path,
                _ => return Ok((Config::default(), None)),
            },
        };
        let text = read_text(&path).map_err(|e| {
            CliError::usage(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
            .hint("fix --config (or ASYNCPAY_CONFIG), or remove the file")
        })?;
        let config = Config::parse(&text).map_err(|e| {
            CliError::usage(format!("config file {}: {e}", path.display())).hint(
                "the keys are network, datadir, chain, server and server_ca (see `man asyncpay`, FILES)",
            )
        })?;
        Ok((config.resolve_relative_to(&path), Some(path)))
    }

    /// Parses and checks the text of a config file.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(network) = &config.network {
            parse_network(network).map_err(|e| format!("network: {e}"))?;
        }
        if let Some(chain) = &config.chain {
            chain
                .parse::<ChainSpec>()
                .map_err(|e| format!("chain: {e}"))?;
        }
        if let Some(server) = &config.server {
            check_server(server).map_err(|e| format!("server: {e}"))?;
        }
        Ok(config)
    }

    /// Makes the relative paths of a config file at `path` (its datadir, server_ca and a
    /// regtest chain's dir) relative to the file's directory, not to the working directory
    /// of whichever command reads it.
    fn resolve_relative_to(mut self, path: &Path) -> Config {
        let Some(dir) = path.parent() else {
            return self;
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let base = std::fs::canonicalize(dir)
            .or_else(|_| std::path::absolute(dir))
            .unwrap_or_else(|_| dir.to_path_buf());
        let resolve = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        self.datadir = self.datadir.map(resolve);
        self.server_ca = self.server_ca.map(resolve);
        if let Some(ChainSpec::Regtest(dir)) = self.chain.as_deref().and_then(|c| c.parse().ok()) {
            self.chain = Some(ChainSpec::Regtest(resolve(dir)).to_spec_string());
        }
        self
    }

    /// The network, parsed.
    pub fn network(&self) -> Option<Network> {
        self.network.as_deref().and_then(|n| parse_network(n).ok())
    }
}

fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_FILE)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Checks a server URL read from a file (`http://` or `https://`, a host, nothing that
/// is not a URL: no control characters to reach a terminal).
fn check_server(url: &str) -> Result<(), String> {
    crate::net::check_server_url(url)
        .map(|_| ())
        .map_err(|e| format!("{:?} is not a server URL: {e}", url))
}

/// A network name as the command line spells it.
pub fn parse_network(name: &str) -> Result<Network, String> {
    match name {
        "regtest" => Ok(Network::Regtest),
        "signet" => Ok(Network::Signet),
        "bitcoin" => Ok(Network::Bitcoin),
        other => Err(format!(
            "unknown network {other:?}; expected regtest, signet or bitcoin"
        )),
    }
}

/// A chain spec in the form a wallet remembers: a regtest ledger's directory made absolute
/// (the same ledger whatever the working directory of a later command).
pub fn absolute_chain(spec: ChainSpec) -> ChainSpec {
    match spec {
        ChainSpec::Regtest(dir) => ChainSpec::Regtest(std::path::absolute(&dir).unwrap_or(dir)),
        other => other,
    }
}

/// What a wallet remembers, sealed in its records database (kind `asyncpay/settings`).
///
/// Version 1 data: `{"network": "regtest", "chain": "regtest:/abs/dir" | null,
/// "server": "http://…" | null}`. `chain` is the full spec (a bitcoind password included:
/// it is sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletSettings {
    /// The network name.
    pub network: String,
    /// The chain source; `None` until a command resolves one.
    pub chain: Option<String>,
    /// The default server; `None` until set.
    pub server: Option<String>,
}

impl StateFile for WalletSettings {
    const FILE: &'static str = "settings.age";
    const KIND: &'static str = "asyncpay/settings";
    const VERSION: u32 = 1;
}

impl WalletSettings {
    /// The chain spec, parsed.
    pub fn chain_spec(&self) -> CliResult<Option<ChainSpec>> {
        self.chain
            .as_deref()
            .map(|c| {
                c.parse::<ChainSpec>().map_err(|e| {
                    CliError::new(
                        super::error::ExitKind::Data,
                        format!("the wallet's remembered chain source is unusable: {e}"),
                    )
                    .hint("set it again with `asyncpay wallet set-chain SPEC`")
                })
            })
            .transpose()
    }

    /// The plain form for `settings.toml`.
    pub fn plain(&self) -> CliResult<DirSettings> {
        Ok(DirSettings {
            version: DirSettings::VERSION,
            network: self.network.clone(),
            chain: self.chain_spec()?.map(|c| c.to_string()),
            server: self.server.clone(),
        })
    }
}

/// `settings.toml` in a data dir: the plain copy of [`WalletSettings`] (see the module
/// documentation), with the chain's password replaced by `***`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirSettings {
    /// Format version, [`DirSettings::VERSION`].
    pub version: u32,
    /// The network name.
    pub network: String,
    /// The chain source (display form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// The default server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl DirSettings {
    /// The format this build writes.
    pub const VERSION: u32 = 1;

    /// Reads `settings.toml` of `datadir`; `None` if there is none.
    pub fn read(datadir: &Path) -> CliResult<Option<DirSettings>> {
        let path = datadir.join(DIR_SETTINGS_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bad = |reason: String| {
            CliError::new(
                super::error::ExitKind::Data,
                format!("cannot read {}: {reason}", path.display()),
            )
            .hint("asyncpay writes it again from the wallet's sealed settings: remove it and run the command again")
        };
        let text = read_text(&path).map_err(|e| bad(e.to_string()))?;
        let settings: DirSettings = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if settings.version != DirSettings::VERSION {
            return Err(bad(format!(
                "format version {} is not {} (a newer asyncpay wrote it?)",
                settings.version,
                DirSettings::VERSION
            )));
        }
        parse_network(&settings.network).map_err(bad)?;
        if let Some(server) = &settings.server {
            check_server(server).map_err(|e| bad(format!("server: {e}")))?;
        }
        Ok(Some(settings))
    }

    /// The network, parsed (checked by [`DirSettings::read`]).
    pub fn network(&self) -> Network {
        parse_network(&self.network).unwrap_or(Network::Regtest)
    }

    /// Writes it to `datadir`, atomically.
    pub fn write(&self, datadir: &Path) -> CliResult<()> {
        let path = datadir.join(DIR_SETTINGS_FILE);
        let mut text = String::from(
            "# Written by asyncpay: what this wallet was made with. A copy: the wallet's sealed\n\
             # settings decide; change them with `asyncpay wallet set-chain`.\n",
        );
        text.push_str(&toml::to_string(self).expect("settings serialize"));
        write_atomic(&path, text.as_bytes())
            .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_refuses_unknown_keys_naming_them() {
        let e = Config::parse("network = \"signet\"\nchian = \"regtest:/x\"\n").unwrap_err();
        assert!(e.contains("chian"), "{e}");
        let e = Config::parse("network = \"mainnet\"\n").unwrap_err();
        assert!(e.contains("mainnet"), "{e}");
        let e = Config::parse("chain = \"ftp://x\"\n").unwrap_err();
        assert!(e.contains("chain"), "{e}");
        let e = Config::parse("server = \"http://x\\u001b[2J\"\n").unwrap_err();
        assert!(e.contains("server") && !e.contains('\u{1b}'), "{e}");
        let e = Config::parse("network = \"\\u001b]0;x\\u0007\"\n").unwrap_err();
        assert!(!e.contains('\u{1b}') && !e.contains('\u{7}'), "{e}");
        let e = Config::parse("chain = \"ftp://x\"\n").unwrap_err();
        assert!(e.contains("chain"), "{e}");
        let c = Config::parse("network = \"signet\"\nchain = \"regtest:/x\"\n").unwrap();
        assert_eq!(c.network(), Some(Network::Signet));
    }

    #[test]
    fn plain_settings_hide_the_password() {
        let s = WalletSettings {
            network: "regtest".into(),
            chain: Some("bitcoind:http://u:secret@127.0.0.1:18443".into()),
            server: None,
        };
        let plain = s.plain().unwrap();
        assert!(!plain.chain.unwrap().contains("secret"));
    }
}
