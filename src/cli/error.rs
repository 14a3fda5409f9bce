//! User-facing errors: what happened, what to do, and the documented exit code.

use std::fmt;

/// Classes of failure, each with its exit code (the table is in `args::EXIT_CODES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The operation failed.
    Failed,
    /// Usage or input error.
    Usage,
    /// Wallet locked: wrong or missing passphrase.
    Locked,
    /// Chain source or server unreachable.
    Unreachable,
    /// Still pending.
    Pending,
    /// Wallet in use by another process.
    InUse,
    /// Corrupt or unsupported wallet data.
    Data,
}

impl ExitKind {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Failed => 1,
            ExitKind::Usage => 2,
            ExitKind::Locked => 3,
            ExitKind::Unreachable => 4,
            ExitKind::Pending => 5,
            ExitKind::InUse => 6,
            ExitKind::Data => 7,
        }
    }

    /// A stable name for `--json` errors.
    pub fn name(self) -> &'static str {
        match self {
            ExitKind::Failed => "failed",
            ExitKind::Usage => "usage",
            ExitKind::Locked => "locked",
            ExitKind::Unreachable => "unreachable",
            ExitKind::Pending => "pending",
            ExitKind::InUse => "in_use",
            ExitKind::Data => "data",
        }
    }
}

/// An error as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Its class and exit code.
    pub kind: ExitKind,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Warnings the command had for the user before it failed (shown as notes already on
    /// a terminal; in the error's JSON with `--json`).
    pub warnings: Vec<String>,
}

impl CliError {
    /// An error of `kind`.
    pub fn new(kind: ExitKind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            hint: None,
            warnings: Vec::new(),
        }
    }

    /// Adds what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A usage or input error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitKind::Usage, message)
    }

    /// Moves what to do out of the message into the hint: library errors (store, network)
    /// say both in one sentence ("no wallet in DIR; create one with `asyncpay init`"). The
    /// message is cut at the first "; " followed by advice; an error with a hint is kept.
    pub fn split_hint(mut self) -> Self {
        if self.hint.is_some() {
            return self;
        }
        const ADVICE: &[&str] = &[
            "check ",
            "create ",
            "expected ",
            "wait ",
            "try ",
            "make ",
            "choose ",
            "restore ",
            "pass ",
            "upgrade ",
            "open ",
            "unlock ",
            "if ",
            "this is a bug",
            "do not ",
            "run ",
            "use ",
            "start ",
            "copy ",
            "give ",
            "fund ",
            "receive ",
        ];
        let mut from = 0;
        while let Some(at) = self.message[from..].find("; ").map(|i| i + from) {
            let tail = &self.message[at + 2..];
            if ADVICE.iter().any(|a| tail.starts_with(a)) {
                self.hint = Some(tail.to_owned());
                self.message.truncate(at);
                break;
            }
            from = at + 2;
        }
        self
    }

    /// A failed operation.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ExitKind::Failed, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The CLI's result type.
pub type CliResult<T> = Result<T, CliError>;

impl From<crate::client::ClientError> for CliError {
    fn from(e: crate::client::ClientError) -> Self {
        use crate::client::ClientErrorKind as K;
        let kind = match e.kind {
            K::Failed => ExitKind::Failed,
            K::Invalid => ExitKind::Usage,
            K::Locked => ExitKind::Locked,
            K::Unreachable => ExitKind::Unreachable,
            K::Pending => ExitKind::Pending,
            K::InUse => ExitKind::InUse,
            K::Corrupt => ExitKind::Data,
        };
        CliError {
            kind,
            message: e.message,
            hint: e.hint,
            warnings: e.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_moves_into_the_hint() {
        let e = CliError::usage("no wallet in /x; create one with `asyncpay init`").split_hint();
        assert_eq!(e.message, "no wallet in /x");
        assert_eq!(e.hint.as_deref(), Some("create one with `asyncpay init`"));
        let e = CliError::failed("2 problems: a; b; check the server").split_hint();
        assert_eq!(e.message, "2 problems: a; b");
        let e = CliError::failed("a; b").split_hint();
        assert_eq!((e.message.as_str(), e.hint), ("a; b", None));
        let e = CliError::failed("x; check y").hint("z").split_hint();
        assert_eq!(e.message, "x; check y");
    }
}
