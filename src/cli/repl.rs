//! The REPL: rustyline with a history file in the data dir, tab completion from the clap
//! command tree, and the same parser as one-shot commands. Works with piped stdin.

use std::path::Path;

use clap::{CommandFactory, FromArgMatches};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::args::Cli;
use super::error::{CliError, CliResult};

/// Splits a line into words like a shell: whitespace separates, single and double quotes
/// group, backslash escapes the next character (outside single quotes).
pub fn split_words(line: &str) -> CliResult<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(CliError::usage("unterminated single quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err(CliError::usage("unterminated double quote")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(CliError::usage("unterminated double quote")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Hides the credentials of every URL in `word`: whatever lies between a `://` and the last
/// `@` after it (`user:password@`, a token) becomes `***`. Errs on the side of hiding (a
/// password may hold `/` or `@`).
pub fn redact_word(word: &str) -> String {
    match word.find("://") {
        Some(i) => {
            let start = i + 3;
            match word[start..].rfind('@') {
                Some(at) => format!("{}***{}", &word[..start], &word[start + at..]),
                None => word.to_owned(),
            }
        }
        None => word.to_owned(),
    }
}

/// Quotes a word so that [`split_words`] gives it back unchanged.
fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '\'' | '"' | '\\'));
    if plain {
        return word.to_owned();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// What the history keeps of a line: nothing for a line the parser refused (a mistyped
/// line may hold anything, e.g. a mnemonic or a session option's credentials), for an empty
/// line or a comment; otherwise its words with every URL's credentials hidden
/// ([`redact_word`]), re-quoted so that the entry runs as typed.
pub fn history_entry(line: &str) -> Option<String> {
    match parse_line(line) {
        Ok(Line::Empty) | Err(_) => return None,
        Ok(Line::Exit | Line::Text(_) | Line::Command(_)) => {}
    }
    let words = split_words(line).ok()?;
    let words: Vec<String> = words.iter().map(|w| quote_word(&redact_word(w))).collect();
    Some(words.join(" "))
}

/// Tab completion of subcommands and long options from the clap command tree.
pub struct CommandCompleter {
    root: clap::Command,
}

impl CommandCompleter {
    /// A completer for the asyncpay command tree.
    pub fn new() -> Self {
        CommandCompleter {
            root: Cli::command(),
        }
    }

    /// Candidates for the last (partial) word of `line`.
    pub fn candidates(&self, line: &str) -> (usize, Vec<String>) {
        let start = line.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        let partial = &line[start..];
        let mut current = &self.root;
        for word in line[..start].split_whitespace() {
            if let Some(sub) = current.find_subcommand(word) {
                current = sub;
            }
        }
        let mut out: Vec<String> = if partial.starts_with('-') {
            current
                .get_arguments()
                .chain(self.root.get_arguments().filter(|a| a.is_global_set()))
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .chain(["--help".to_owned()])
                .filter(|l| l.starts_with(partial))
                .collect()
        } else {
            let mut names: Vec<String> = current
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name().to_owned())
                .filter(|n| n.starts_with(partial))
                .collect();
            if std::ptr::eq(current, &self.root) {
                names.extend(
                    ["exit", "help"]
                        .iter()
                        .filter(|n| n.starts_with(partial))
                        .map(|n| n.to_string()),
                );
            }
            names
        };
        out.sort();
        out.dedup();
        (start, out)
    }
}

impl Default for CommandCompleter {
    fn default() -> Self {
        Self::new()
    }
}

impl Completer for CommandCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = self.candidates(&line[..pos]);
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

impl Hinter for CommandCompleter {
    type Hint = String;
}
impl Highlighter for CommandCompleter {}
impl Validator for CommandCompleter {}
impl Helper for CommandCompleter {}

/// What one REPL line asks for.
#[derive(Debug)]
pub enum Line {
    /// Nothing (empty line or comment).
    Empty,
    /// Leave the REPL.
    Exit,
    /// Run a command.
    Command(Box<Cli>),
    /// Help or version text clap produced, to print as it is.
    Text(String),
}

/// Parses one REPL line with the one-shot parser.
pub fn parse_line(line: &str) -> CliResult<Line> {
    let words = split_words(line)?;
    match words.first().map(String::as_str) {
        None => return Ok(Line::Empty),
        Some(w) if w.starts_with('#') => return Ok(Line::Empty),
        Some("exit" | "quit") => return Ok(Line::Exit),
        Some("help") if words.len() == 1 => {
            return Ok(Line::Text(Cli::command().render_help().to_string()))
        }
        _ => {}
    }
    let argv = std::iter::once("asyncpay".to_owned()).chain(words);
    let matches = match Cli::command().try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Ok(Line::Text(e.to_string()))
                }
                _ => {
                    let text = e.render().to_string();
                    let text = text.trim_end().trim_start_matches("error: ");
                    Err(CliError::usage(text.to_owned()))
                }
            }
        }
    };
    // The wallet, chain and unlocking are the session's: a line cannot switch them.
    for id in SESSION_OPTIONS {
        if matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
            return Err(CliError::usage(format!(
                "--{} is set when the REPL starts, not per line",
                id.replace('_', "-")
            ))
            .hint("leave the REPL and start it again with that option"));
        }
    }
    let cli = Cli::from_arg_matches(&matches).map_err(|e| CliError::usage(e.to_string()))?;
    Ok(match cli.command {
        None => Line::Empty,
        Some(_) => Line::Command(Box::new(cli)),
    })
}

/// Global options fixed for a whole REPL session.
const SESSION_OPTIONS: [&str; 9] = [
    "server_ca",
    "datadir",
    "network",
    "chain",
    "identity",
    "passphrase_file",
    "passphrase_fd",
    "wait_lock",
    "config",
];

/// Runs the REPL until `exit` or end of input; `run` executes one parsed command and reports
/// its error (the loop continues). History goes to `history` when given.
pub fn run_loop(
    history: Option<&Path>,
    mut run: impl FnMut(Cli) -> CliResult<()>,
    mut report: impl FnMut(&CliError),
) -> CliResult<()> {
    let mut editor: Editor<CommandCompleter, DefaultHistory> =
        Editor::new().map_err(|e| CliError::failed(format!("cannot start the REPL: {e}")))?;
    editor.set_helper(Some(CommandCompleter::new()));
    if let Some(path) = history {
        if editor.load_history(path).is_ok() {
            // A history written by an older version may hold refused lines and credentials:
            // keep only what `history_entry` would keep today (saved over it at the end).
            let old: Vec<String> = editor.history().iter().cloned().collect();
            let kept: Vec<String> = old.iter().filter_map(|l| history_entry(l)).collect();
            if kept != old {
                let _ = editor.clear_history();
                for entry in &kept {
                    let _ = editor.add_history_entry(entry.as_str());
                }
                let _ = editor.save_history(path);
            }
        }
    }
    loop {
        match editor.readline("asyncpay> ") {
            Ok(line) => {
                if let Some(entry) = history_entry(&line) {
                    let _ = editor.add_history_entry(entry.as_str());
                }
                match parse_line(&line) {
                    Ok(Line::Empty) => {}
                    Ok(Line::Exit) => break,
                    Ok(Line::Text(text)) => println!("{}", text.trim_end()),
                    Ok(Line::Command(cli)) => {
                        if let Err(e) = run(*cli) {
                            report(&e);
                        }
                    }
                    Err(e) => report(&e),
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(CliError::failed(format!("reading input failed: {e}"))),
        }
    }
    if let Some(path) = history {
        let _ = editor.save_history(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"wallet send "a b" 'c d' e\ f"#).unwrap(),
            ["wallet", "send", "a b", "c d", "e f"]
        );
        assert!(split_words("'open").is_err());
        assert!(split_words("").unwrap().is_empty());
    }

    #[test]
    fn history_hides_credentials_and_refused_lines() {
        // A session option is refused per line, credentials and all: not recorded.
        assert_eq!(
            history_entry("wallet balance --chain bitcoind:http://user:secret@127.0.0.1:1"),
            None
        );
        assert_eq!(history_entry("wallet fly secret"), None);
        assert_eq!(history_entry("abandon abandon about"), None);
        assert_eq!(history_entry("'unterminated secret"), None);
        assert_eq!(history_entry("# secret"), None);
        assert_eq!(history_entry("   "), None);
        assert_eq!(
            history_entry("wallet  balance").as_deref(),
            Some("wallet balance")
        );
        // A command that parses keeps its words, with any URL credentials hidden.
        let entry = history_entry("channel open http://u:p%40ss@127.0.0.1:9 10000").unwrap();
        assert!(!entry.contains("p%40ss"), "{entry}");
        assert!(entry.contains("http://***@127.0.0.1:9"), "{entry}");
        assert_eq!(
            redact_word("--chain=bitcoind:http://user:se/cr@t@host:1/x"),
            "--chain=bitcoind:http://***@host:1/x"
        );
        assert_eq!(redact_word("http://host:1/a"), "http://host:1/a");
        // Re-quoting gives the same words back.
        for word in ["a b", "it's", "say \"hi\"", "back\\slash", ""] {
            assert_eq!(split_words(&quote_word(word)).unwrap(), [word]);
        }
    }

    #[test]
    fn completes_from_the_command_tree() {
        let c = CommandCompleter::new();
        assert_eq!(c.candidates("wal").1, ["wallet"]);
        assert_eq!(c.candidates("wallet ba").1, ["backup", "balance"]);
        assert!(c
            .candidates("wallet send --f")
            .1
            .contains(&"--fee-rate".to_owned()));
        assert!(c
            .candidates("regtest --js")
            .1
            .contains(&"--json".to_owned()));
        assert_eq!(c.candidates("ex").1, ["exit"]);
    }

    #[test]
    fn lines_parse_with_the_one_shot_parser() {
        assert!(matches!(parse_line("  ").unwrap(), Line::Empty));
        assert!(matches!(parse_line("exit").unwrap(), Line::Exit));
        assert!(matches!(
            parse_line("wallet balance").unwrap(),
            Line::Command(_)
        ));
        assert!(matches!(
            parse_line("wallet --help").unwrap(),
            Line::Text(_)
        ));
        let err = parse_line("wallet fly").unwrap_err();
        assert!(
            err.message.contains("unrecognized subcommand"),
            "{}",
            err.message
        );
    }
}
