//! The client engine's errors: what happened, what to do, and a kind the caller maps to
//! its own outcome (the CLI: an exit code).

use std::fmt;

use crate::chain::source::ChainSourceError;
use crate::chain::{LedgerError, CORRUPT_LEDGER_HINT};
use crate::net::NetError;
use crate::store::StoreError;
use crate::wallet::WalletError;

/// Classes of failure of the client engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientErrorKind {
    /// The operation failed (a refusal, a protocol error, a lie caught).
    Failed,
    /// The input was invalid (an id, an address, an amount, the wrong network).
    Invalid,
    /// The wallet could not be unlocked.
    Locked,
    /// The chain source or the server cannot be reached.
    Unreachable,
    /// The operation is still pending; the same call later goes on.
    Pending,
    /// The wallet is in use by another process.
    InUse,
    /// Stored data is corrupt or of an unsupported format.
    Corrupt,
}

/// An error of the client engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// Its class.
    pub kind: ClientErrorKind,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// What the command had found before it failed and must not be lost with its result
    /// (the warnings of the watch `receive` and `sync` keep first: a channel that needs
    /// attention).
    pub warnings: Vec<String>,
}

/// The client engine's result type.
pub type ClientResult<T> = Result<T, ClientError>;

impl ClientError {
    /// An error of `kind`.
    pub fn new(kind: ClientErrorKind, message: impl Into<String>) -> Self {
        ClientError {
            kind,
            message: message.into(),
            hint: None,
            warnings: Vec::new(),
        }
    }

    /// Carries `warnings`, found before this error, to whoever reports it.
    pub fn with_warnings(mut self, mut warnings: Vec<String>) -> Self {
        warnings.append(&mut self.warnings);
        self.warnings = warnings;
        self
    }

    /// Adds what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Invalid input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ClientErrorKind::Invalid, message)
    }

    /// A failed operation.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ClientErrorKind::Failed, message)
    }

    /// Stored data that is corrupt or missing.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ClientErrorKind::Corrupt, message)
    }
}

/// A protocol step the peer's data or our state refused.
pub(crate) fn refused(e: impl fmt::Display) -> ClientError {
    ClientError::failed(e.to_string())
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        let kind = if e.is_in_use() {
            ClientErrorKind::InUse
        } else if e.is_unreadable_identity_file() {
            ClientErrorKind::Invalid
        } else if e.is_unlock_failure() {
            ClientErrorKind::Locked
        } else if e.is_corrupt_or_unsupported() {
            ClientErrorKind::Corrupt
        } else {
            match e {
                // The disk or the database failed: an operation that failed, not bad input.
                StoreError::Io { .. }
                | StoreError::Database { .. }
                | StoreError::Serialize { .. }
                | StoreError::DatabaseServer { .. }
                | StoreError::LogRemoved { .. } => ClientErrorKind::Failed,
                _ => ClientErrorKind::Invalid,
            }
        };
        ClientError::new(kind, e.to_string())
    }
}

impl From<NetError> for ClientError {
    fn from(e: NetError) -> Self {
        let kind = if e.is_unreachable() {
            ClientErrorKind::Unreachable
        } else if matches!(
            e,
            NetError::InvalidUrl { .. } | NetError::CertificateFile { .. }
        ) {
            // A URL without a scheme, an unreadable CA file: input errors (exit 2).
            ClientErrorKind::Invalid
        } else {
            ClientErrorKind::Failed
        };
        ClientError::new(kind, e.to_string())
    }
}

impl From<&ChainSourceError> for ClientError {
    fn from(e: &ChainSourceError) -> Self {
        let kind = match e {
            ChainSourceError::Unreachable { .. }
            | ChainSourceError::Unauthorized { .. }
            | ChainSourceError::Cookie { .. } => ClientErrorKind::Unreachable,
            ChainSourceError::Ledger(LedgerError::Corrupt { .. }) => {
                return ClientError::corrupt(e.to_string()).hint(CORRUPT_LEDGER_HINT)
            }
            _ => ClientErrorKind::Failed,
        };
        ClientError::new(kind, e.to_string())
    }
}

impl From<ChainSourceError> for ClientError {
    fn from(e: ChainSourceError) -> Self {
        ClientError::from(&e)
    }
}

impl From<WalletError> for ClientError {
    fn from(e: WalletError) -> Self {
        let kind = match &e {
            WalletError::Chain(c) => return ClientError::from(c),
            WalletError::WrongNetwork { .. } | WalletError::BelowDust { .. } => {
                ClientErrorKind::Invalid
            }
            WalletError::CorruptState(_)
            | WalletError::WrongKeys { .. }
            | WalletError::NetworkMismatch { .. } => ClientErrorKind::Corrupt,
            _ => ClientErrorKind::Failed,
        };
        ClientError::new(kind, e.to_string())
    }
}
