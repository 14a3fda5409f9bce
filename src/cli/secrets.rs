//! Where passphrases and mnemonics come from: a file, a file descriptor, the environment, or
//! a no-echo prompt on the terminal. Never from argv.

use std::io::{BufRead, IsTerminal, Write};
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

/// How many times a new passphrase (asked twice) or a word of the mnemonic check is asked
/// before giving up.
pub const TRIES: u32 = 3;

/// Shortest passphrase that passes without a warning.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Why `passphrase` is weak, if it is: fewer than [`MIN_PASSPHRASE_CHARS`] characters, or
/// few different characters (`aaaaaaaaaa`, `abababab`, `12121212`). A hint, not a rule:
/// the storage identity is only as safe as the passphrase against someone who copies
/// `identity.age`.
pub fn passphrase_weakness(passphrase: &str) -> Option<String> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Some(format!(
            "it has {chars} characters (fewer than {MIN_PASSPHRASE_CHARS})"
        ));
    }
    let mut distinct: Vec<char> = passphrase.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Some(format!(
            "it has only {} different characters",
            distinct.len()
        ));
    }
    None
}

/// The warning for a weak passphrase.
pub fn weak_warning(why: &str) -> String {
    format!(
        "warning: the passphrase is weak: {why}. Anyone who gets a copy of the data dir can \
         try passphrases as fast as scrypt allows; a long passphrase of several words is \
         safer"
    )
}

/// The error of a failed read at a no-echo prompt: Ctrl-C, or no terminal.
fn prompt_failed(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::Interrupted || super::interrupt::interrupted() {
        return CliError::usage("interrupted at the prompt; nothing was changed");
    }
    no_terminal()
}

fn no_terminal() -> CliError {
    CliError::new(
        ExitKind::Locked,
        "no passphrase given and no terminal to ask on",
    )
    .hint(format!(
        "pass --passphrase-file FILE, --passphrase-fd N, --identity FILE or set {PASSPHRASE_ENV}"
    ))
}

/// Asks on the terminal without echo. With `confirm` (a new passphrase), asks twice and
/// compares, asking again after a mismatch or an empty passphrase (up to [`TRIES`] times),
/// and asks whether to keep a weak one ([`passphrase_weakness`]).
pub fn prompt_passphrase(prompt: &str, confirm: bool) -> CliResult<SecretString> {
    if !std::io::stderr().is_terminal() {
        return Err(no_terminal());
    }
    if !confirm {
        let first = SecretString::from(rpassword::prompt_password(prompt).map_err(prompt_failed)?);
        if first.expose_secret().is_empty() {
            return Err(CliError::usage("the passphrase is empty"));
        }
        return Ok(first);
    }
    let mut problem = String::new();
    for attempt in 1..=TRIES {
        if attempt > 1 {
            eprintln!("{problem}; try again ({} of {TRIES})", attempt);
        }
        let first = SecretString::from(rpassword::prompt_password(prompt).map_err(prompt_failed)?);
        if first.expose_secret().is_empty() {
            problem = "the passphrase is empty".to_owned();
            continue;
        }
        let again = Zeroizing::new(
            rpassword::prompt_password("Repeat the passphrase: ").map_err(prompt_failed)?,
        );
        if again.as_str() != first.expose_secret() {
            problem = "the two passphrases differ".to_owned();
            continue;
        }
        if let Some(why) = passphrase_weakness(first.expose_secret()) {
            eprintln!("{}", weak_warning(&why));
            if !ask_yes_no("Use it anyway? [y/N] ")? {
                problem = "choose another passphrase".to_owned();
                continue;
            }
        }
        return Ok(first);
    }
    Err(
        CliError::usage(format!("{problem}, {TRIES} times; nothing was changed"))
            .hint("run the command again; or give the passphrase with --passphrase-file FILE"),
    )
}

/// Reads one line typed on the terminal (echoed), after writing `prompt` on stderr.
fn ask_line(prompt: &str) -> CliResult<Zeroizing<String>> {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(prompt.as_bytes());
    let _ = err.flush();
    drop(err);
    let mut line = Zeroizing::new(String::new());
    let read = match std::fs::File::open("/dev/tty") {
        Ok(tty) => std::io::BufReader::new(tty).read_line(&mut line),
        Err(_) => std::io::stdin().lock().read_line(&mut line),
    };
    match read {
        Ok(0) => Err(CliError::usage("no answer (end of input)")),
        Ok(_) => Ok(line),
        Err(e) => Err(CliError::usage(format!("cannot read the answer: {e}"))),
    }
}

fn ask_yes_no(prompt: &str) -> CliResult<bool> {
    let answer = ask_line(prompt)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// True when a person is there to see and type: stdin and stderr are terminals (not a dumb
/// one, which could not hide the mnemonic again).
pub fn interactive() -> bool {
    // A dumb terminal has no alternate screen: the words would stay in its scrollback.
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !dumb
}

/// The mnemonic check of a new wallet, on the terminal: shows the words once, numbered from
/// 1 in columns, on the alternate screen (nothing stays in the scrollback), waits until the
/// user has written them down, then asks for [`CHECKED_WORDS`] words picked at random by
/// position, each up to [`TRIES`] times (without echo). Errs, having created nothing, if a
/// word stays wrong or Ctrl-C is pressed (in the REPL).
pub fn confirm_mnemonic(phrase: &str, random: [u8; 32]) -> CliResult<()> {
    super::interrupt::install()?;
    let words: Vec<&str> = phrase.split(' ').collect();
    let rows = words.len().div_ceil(4);
    let interrupted = || {
        CliError::usage("interrupted: no wallet was created")
            .hint("run `asyncpay init` again: it shows new words")
    };
    {
        let screen = super::interrupt::AlternateScreen::enter();
        // The words are a secret: the text is wiped when dropped, and sized up front so
        // that no copy is left behind by growing it.
        let mut text = Zeroizing::new(String::with_capacity(4096));
        text.push_str(
            "Your new wallet's mnemonic: 24 words that restore it (`asyncpay init --restore`).\n\
             Write them down on paper, in order, and keep them offline. Anyone who sees them can\n\
             take your funds; without them, a lost data dir or passphrase loses your funds.\n\n",
        );
        for row in 0..rows {
            for col in 0..4 {
                if let Some(word) = words.get(col * rows + row) {
                    let line = Zeroizing::new(format!("{:>4}. {word:<10}", col * rows + row + 1));
                    text.push_str(&line);
                }
            }
            text.push('\n');
        }
        text.push_str(
            "\nThese words are shown once (`asyncpay wallet backup` shows them again later).\n",
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        drop(err);
        ask_line(
            "Press Enter when you have written them down (Ctrl-C: stop, no wallet is created) ",
        )?;
        drop(screen);
    }
    if super::interrupt::interrupted() {
        return Err(interrupted());
    }
    // CHECKED_WORDS distinct positions, from the random bytes (bias of at most 1/10 per
    // pick: irrelevant here).
    let mut positions: Vec<usize> = Vec::new();
    for byte in random {
        let i = usize::from(byte) % words.len();
        if !positions.contains(&i) {
            positions.push(i);
        }
        if positions.len() == CHECKED_WORDS {
            break;
        }
    }
    positions.sort_unstable();
    eprintln!("Check: type {CHECKED_WORDS} of the words you wrote down (they are not shown).");
    for &i in &positions {
        let mut ok = false;
        for attempt in 1..=TRIES {
            let answer = Zeroizing::new(
                rpassword::prompt_password(format!("Word #{}: ", i + 1)).map_err(prompt_failed)?,
            );
            if super::interrupt::interrupted() {
                return Err(interrupted());
            }
            if answer.trim().to_lowercase() == words[i] {
                ok = true;
                break;
            }
            if attempt < TRIES {
                eprintln!(
                    "That is not word #{} of your list; look again ({} of {TRIES} tries left).",
                    i + 1,
                    TRIES - attempt
                );
            }
        }
        if !ok {
            return Err(CliError::usage(format!(
                "word #{} did not match {TRIES} times: no wallet was created",
                i + 1
            ))
            .hint("run `asyncpay init` again: it shows new words to write down"));
        }
    }
    Ok(())
}

/// How many words [`confirm_mnemonic`] asks for.
pub const CHECKED_WORDS: usize = 3;

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
