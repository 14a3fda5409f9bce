//! The local regtest ledger.
//!
//! It stands in for `bitcoind -regtest`: blocks with a deterministic clock (genesis at
//! [`GENESIS_TIME`], +600 s per block), a UTXO set, all confirmed transactions, a mempool,
//! mining, and a built-in faucet. Every transaction is validated as Bitcoin would:
//! Bitcoin Core's own script interpreter (libbitcoinconsensus), locktimes, BIP68, double
//! spends, value conservation, coinbase maturity, plus a BIP118 (ANYPREVOUT) signature
//! check that Core 26 lacks ([`tapscript`]).
//!
//! - [`validate`]: pure validation of one transaction against a [`validate::UtxoView`].
//! - [`tapscript`]: the BIP118 tapscript evaluator.
//! - [`Chain`]: the chain in memory (no I/O).
//! - [`Ledger`]: a directory holding the chain in a SQLite database, shared safely by
//!   several processes; every operation is a few indexed queries in one transaction.

pub mod ledger;
pub mod policy;
pub mod source;
pub mod spends;
pub mod store;
pub mod tapscript;
pub mod validate;

use std::path::PathBuf;

pub use ledger::{
    block_subsidy, faucet_keypair, faucet_script, BlockInfo, Chain, Tip, TxInfo, Utxo,
    BLOCK_INTERVAL, FAUCET_SECRET_KEY, GENESIS_TIME, HALVING_INTERVAL,
};
pub use store::{Ledger, LedgerView, Verification, CHECK_BLOCKS, SCHEMA_VERSION, STATE_VERSION};
pub use tapscript::TapscriptError;
pub use validate::{Coin, RejectError, COINBASE_MATURITY};

/// Errors of the ledger: a rejected transaction, or a storage problem.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The transaction is invalid.
    #[error(transparent)]
    Rejected(RejectError),
    /// Reading or writing a file failed.
    #[error("ledger i/o error on {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database (or an old state file being imported) is unreadable or inconsistent.
    #[error("ledger file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The database or state file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The database, or an old state file being imported, has a version this build does
    /// not know (written by a newer asyncpay).
    #[error("ledger file {} has unsupported version {found}: this build of asyncpay reads version {supported}; use a newer asyncpay for this ledger", path.display())]
    UnsupportedVersion {
        /// The database or state file.
        path: PathBuf,
        /// The version found.
        found: u64,
        /// The version this build reads.
        supported: u64,
    },
    /// The database failed (cannot be opened, is not a database, stayed busy, ...).
    #[error("ledger database {}: {source}", path.display())]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The faucet cannot pay.
    #[error("faucet: {0}")]
    Faucet(String),
}

/// What to do about a ledger found [`LedgerError::Corrupt`].
pub const CORRUPT_LEDGER_HINT: &str = "the ledger's files were changed outside asyncpay and \
cannot be trusted: put back a copy of the directory, or move it away to start a new regtest chain";

impl LedgerError {
    /// The rejection reason, if this error is a rejected transaction.
    pub fn rejection(&self) -> Option<&RejectError> {
        match self {
            LedgerError::Rejected(e) => Some(e),
            _ => None,
        }
    }
}
