//! Where passphrases and mnemonics come from: a file, a file descriptor, the environment, or
//! a no-echo prompt on the terminal. Never from argv.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::args::GlobalArgs;
use super::error::{CliError, CliResult, ExitKind};

/// Environment variable holding the wallet passphrase, for scripts.
pub const PASSPHRASE_ENV: &str = "ASYNCPAY_PASSPHRASE";

fn first_line(reader: impl BufRead, what: &str) -> CliResult<SecretString> {
    let mut line = Zeroizing::new(String::new());
    let mut reader = reader;
    reader
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("cannot read {what}: {e}")))?;
    let trimmed = line.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(CliError::usage(format!("{what} is empty")));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

fn read_file_line(path: &Path, what: &str) -> CliResult<SecretString> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot open {what} {}: {e}", path.display())))?;
    first_line(std::io::BufReader::new(file), what)
}

/// The passphrase from `--passphrase-file`, `--passphrase-fd` or `ASYNCPAY_PASSPHRASE`, in
/// that order; `None` if none is given.
pub fn passphrase_from_args(global: &GlobalArgs) -> CliResult<Option<SecretString>> {
    if let Some(path) = &global.passphrase_file {
        return read_file_line(path, "passphrase file").map(Some);
    }
    if let Some(fd) = global.passphrase_fd {
        let path = format!("/dev/fd/{fd}");
        return read_file_line(Path::new(&path), "passphrase file descriptor").map(Some);
    }
    match std::env::var(PASSPHRASE_ENV) {
        Ok(p) if !p.is_empty() => Ok(Some(SecretString::from(p))),
        _ => Ok(None),
    }
}

/// Asks on the terminal without echo; `confirm` asks twice and compares.
pub fn prompt_passphrase(prompt: &str, confirm: bool) -> CliResult<SecretString> {
    let locked = || {
        CliError::new(ExitKind::Locked, "no passphrase given and no terminal to ask on").hint(
            format!("pass --passphrase-file FILE, --passphrase-fd N, --identity FILE or set {PASSPHRASE_ENV}"),
        )
    };
    if !std::io::stderr().is_terminal() {
        return Err(locked());
    }
    let first = rpassword::prompt_password(prompt).map_err(|_| locked())?;
    let first = SecretString::from(first);
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Repeat the passphrase: ").map_err(|_| locked())?,
        );
        if again.as_str() != first.expose_secret() {
            return Err(CliError::usage(
                "the two passphrases differ; nothing was changed",
            ));
        }
    }
    if first.expose_secret().is_empty() {
        return Err(CliError::usage("the passphrase is empty"));
    }
    Ok(first)
}

/// A mnemonic to restore: from the terminal (no echo) or, when stdin is not a terminal,
/// from stdin (all of it, words separated by whitespace).
pub fn read_mnemonic() -> CliResult<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let words = rpassword::prompt_password("Mnemonic (words are not shown): ")
            .map_err(|e| CliError::usage(format!("cannot read the mnemonic: {e}")))?;
        Ok(Zeroizing::new(words))
    } else {
        let mut all = Zeroizing::new(String::new());
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut all)
            .map_err(|e| CliError::usage(format!("cannot read the mnemonic from stdin: {e}")))?;
        Ok(all)
    }
}
