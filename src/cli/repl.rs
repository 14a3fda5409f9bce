//! The REPL: rustyline with a history file in the data dir, the same parser as one-shot
//! commands, and a completion list from the clap command tree that offers only what the REPL
//! accepts (per-line options, commands, possible values, the wallet's channel and payment
//! ids). Ctrl-C cancels the running command (see [`super::interrupt`]); at the prompt it clears
//! the line, and Ctrl-D leaves. Works with piped stdin.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use clap::{CommandFactory, FromArgMatches};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

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

/// The ids the completion offers: those of the wallet the REPL has unlocked (none before).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    /// Channel ids.
    pub channels: Vec<String>,
    /// Payment ids.
    pub payments: Vec<String>,
}

/// What a REPL line may hold besides a command's own arguments: the global options that
/// apply per line (the others are the session's, see [`SESSION_OPTIONS`]).
const PER_LINE_OPTIONS: [&str; 2] = ["json", "quiet"];

/// Commands the REPL refuses (not offered, not listed by `help`).
const NOT_IN_REPL: [&str; 1] = ["repl"];

/// Words of the REPL itself.
const REPL_WORDS: [&str; 3] = ["exit", "help", "quit"];

/// Tab completion from the clap command tree, limited to what the REPL accepts: commands
/// (not `repl`), the command's options and the per-line global options (not the session's),
/// possible values of an option or argument (`--network`'s, `completions`' shells), and
/// channel or payment ids where a command takes one.
pub struct CommandCompleter {
    root: clap::Command,
    ids: Ids,
}

impl CommandCompleter {
    /// A completer for the asyncpay command tree.
    pub fn new() -> Self {
        CommandCompleter {
            root: Cli::command(),
            ids: Ids::default(),
        }
    }

    /// Sets the ids to offer (after each command: it may have added some).
    pub fn set_ids(&mut self, ids: Ids) {
        self.ids = ids;
    }

    /// Candidates for the last (partial) word of `line`: where it starts, and the
    /// candidates, sorted.
    pub fn candidates(&self, line: &str) -> (usize, Vec<String>) {
        let start = line.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
        let partial = &line[start..];
        let words = split_words(&line[..start]).unwrap_or_else(|_| {
            line[..start]
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        });
        // `help COMMAND…`: command names only.
        if words.first().map(String::as_str) == Some("help") {
            let mut current = &self.root;
            for word in &words[1..] {
                match current.find_subcommand(word) {
                    Some(sub) => current = sub,
                    None => return (start, Vec::new()),
                }
            }
            let mut names: Vec<String> = current
                .get_subcommands()
                .filter(|s| !s.is_hide_set() && !NOT_IN_REPL.contains(&s.get_name()))
                .map(|s| s.get_name().to_owned())
                .filter(|n| n.starts_with(partial))
                .collect();
            names.sort();
            return (start, names);
        }
        let mut path: Vec<&clap::Command> = vec![&self.root];
        let mut positionals = 0usize;
        let mut pending_value: Option<&clap::Arg> = None;
        let mut used: Vec<String> = Vec::new();
        for word in &words {
            let current = *path.last().expect("the root");
            if pending_value.take().is_some() {
                continue;
            }
            if word == "--" {
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((name, _)) => (name, true),
                    None => (long, false),
                };
                used.push(name.to_owned());
                if let Some(arg) = self.find_option(current, |a| a.get_long() == Some(name)) {
                    if !inline && arg.get_action().takes_values() {
                        pending_value = Some(arg);
                    }
                }
                continue;
            }
            if let Some(short) = word.strip_prefix('-').and_then(|w| w.chars().next()) {
                if let Some(arg) = self.find_option(current, |a| a.get_short() == Some(short)) {
                    if let Some(long) = arg.get_long() {
                        used.push(long.to_owned());
                    }
                    if word.len() == 2 && arg.get_action().takes_values() {
                        pending_value = Some(arg);
                    }
                }
                continue;
            }
            if positionals == 0 {
                if let Some(sub) = current.find_subcommand(word) {
                    path.push(sub);
                    continue;
                }
            }
            positionals += 1;
        }
        let current = *path.last().expect("the root");
        let names: Vec<&str> = path[1..].iter().map(|c| c.get_name()).collect();
        let mut out: Vec<String> = if let Some(arg) = pending_value {
            self.values(&names, arg)
        } else if partial.starts_with('-') {
            current
                .get_arguments()
                .filter(|a| !a.is_positional() && !a.is_hide_set())
                .chain(
                    self.root
                        .get_arguments()
                        .filter(|a| PER_LINE_OPTIONS.contains(&a.get_id().as_str())),
                )
                .filter_map(|a| a.get_long())
                .filter(|l| !used.iter().any(|u| u == l))
                .map(|l| format!("--{l}"))
                .chain(["--help".to_owned()])
                .collect()
        } else if current.has_subcommands() && positionals == 0 {
            let mut names: Vec<String> = current
                .get_subcommands()
                .filter(|s| !s.is_hide_set() && !NOT_IN_REPL.contains(&s.get_name()))
                .map(|s| s.get_name().to_owned())
                .collect();
            if path.len() == 1 {
                names.extend(REPL_WORDS.iter().map(|w| w.to_string()));
            }
            names
        } else {
            match current
                .get_arguments()
                .filter(|a| a.is_positional())
                .nth(positionals)
            {
                Some(arg) => self.values(&names, arg),
                None => Vec::new(),
            }
        };
        out.retain(|c| c.starts_with(partial));
        out.sort();
        out.dedup();
        (start, out)
    }

    /// An option of `current` or a global one of the root.
    fn find_option<'c>(
        &'c self,
        current: &'c clap::Command,
        matches: impl Fn(&clap::Arg) -> bool,
    ) -> Option<&'c clap::Arg> {
        current
            .get_arguments()
            .find(|a| !a.is_positional() && matches(a))
            .or_else(|| {
                self.root
                    .get_arguments()
                    .find(|a| a.is_global_set() && matches(a))
            })
    }

    /// The values `arg` of the command at `path` may take, as far as they are known: its
    /// possible values, or the wallet's channel or payment ids.
    fn values(&self, path: &[&str], arg: &clap::Arg) -> Vec<String> {
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .collect();
        if !possible.is_empty() {
            return possible;
        }
        match (path, arg.get_id().as_str()) {
            (["channel", ..], "id") | (["pay"], "channel") => self.ids.channels.clone(),
            (["payments", ..], "id") | (["claim"], "id") => self.ids.payments.clone(),
            _ => Vec::new(),
        }
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
        // A single candidate is complete: a space after it, ready for the next word.
        let space = if words.len() == 1 { " " } else { "" };
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    replacement: format!("{w}{space}"),
                    display: w,
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
        Some("help") if words.len() == 1 => return Ok(Line::Text(repl_help())),
        Some(w) if NOT_IN_REPL.contains(&w) => {
            return Err(
                CliError::usage(format!("`{w}` does not work inside the REPL"))
                    .hint("`help` lists what does"),
            )
        }
        _ => {}
    }
    let argv = std::iter::once("asyncpay".to_owned()).chain(words);
    // The parser is kept: building it costs more than a parse. clap reads the options'
    // environment variables when it builds the parser, so it is built again when one of
    // ours changed (tests set them between lines).
    type Environment = Vec<(OsString, OsString)>;
    static PARSER: Mutex<Option<(Environment, clap::Command)>> = Mutex::new(None);
    let mut env: Environment = std::env::vars_os()
        .filter(|(name, _)| name.as_encoded_bytes().starts_with(b"ASYNCPAY_"))
        .collect();
    env.sort();
    let mut kept = PARSER.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.as_ref().is_none_or(|(seen, _)| *seen != env) {
        *kept = Some((env, Cli::command()));
    }
    let parsed = kept
        .as_mut()
        .map(|(_, parser)| parser.try_get_matches_from_mut(argv))
        .expect("built above");
    drop(kept);
    let matches = match parsed {
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

/// What `help` shows in the REPL: the commands that work there, the REPL's own words and
/// keys, and the options a line may carry.
pub fn repl_help() -> String {
    let root = Cli::command();
    let commands: Vec<(String, String)> = root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && !NOT_IN_REPL.contains(&s.get_name()))
        .map(|s| {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            (s.get_name().to_owned(), about)
        })
        .collect();
    let width = commands.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut text = String::from(
        "Commands (as on the command line, without `asyncpay`; `help COMMAND` or \
         `COMMAND --help` tells more):\n",
    );
    for (name, about) in &commands {
        text.push_str(&format!("  {name:width$}  {about}\n"));
    }
    text.push_str(
        "\nIn the REPL:\n\
         \x20 help [COMMAND]  this list, or the help of COMMAND\n\
         \x20 exit, quit      leave the REPL (or Ctrl-D)\n\
         \x20 Tab             complete commands, options, values and channel or payment ids\n\
         \x20                 (Tab twice lists the candidates)\n\
         \x20 Ctrl-C          stop the running command (a wait returns \"still pending\");\n\
         \x20                 at the prompt, clear the line\n\
         \nA line may end with --json or -q (--quiet) for that line only. The wallet, network,\n\
         chain, config, unlocking and --wait-lock are set when the REPL starts: leave and start it again\n\
         to change them.\n",
    );
    text
}

/// The prompt: the wallet's network and the name of its data dir, e.g.
/// `asyncpay regtest:alice> `.
pub fn prompt(network: bitcoin::Network, datadir: &Path) -> String {
    let name = datadir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| datadir.display().to_string());
    // Control characters in a directory name would garble the prompt.
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    format!("asyncpay {network}:{name}> ")
}

/// The channel and payment ids of the wallet `ctx` has unlocked already, for completion;
/// none if it is still locked (completion never asks for the passphrase).
pub fn known_ids(ctx: &super::context::Context) -> Ids {
    let Some(store) = ctx.unlocked_store() else {
        return Ids::default();
    };
    let Ok(engine) = crate::client::Engine::keeping(store, ctx.network, &mut ctx.kept_keys())
    else {
        return Ids::default();
    };
    Ids {
        channels: engine
            .channels()
            .map(|all| all.iter().map(|c| c.channel.id().to_string()).collect())
            .unwrap_or_default(),
        payments: engine
            .payments()
            .map(|(all, _)| all.iter().map(|p| p.payment_id.to_string()).collect())
            .unwrap_or_default(),
    }
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

/// Runs the REPL until `exit` or end of input, showing `prompt`; `run` executes one parsed
/// command, reports its error (the loop continues) and returns the ids to complete from
/// then on. History goes to `history` when given.
pub fn run_loop(
    history: Option<&Path>,
    prompt: &str,
    mut run: impl FnMut(Cli) -> CliResult<Ids>,
    mut report: impl FnMut(&CliError),
) -> CliResult<()> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<CommandCompleter, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| CliError::failed(format!("cannot start the REPL: {e}")))?;
    editor.set_helper(Some(CommandCompleter::new()));
    super::interrupt::install()?;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        super::interrupt::ignore_when_idle();
    }
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
        match editor.readline(prompt) {
            Ok(line) => {
                if let Some(entry) = history_entry(&line) {
                    let _ = editor.add_history_entry(entry.as_str());
                }
                match parse_line(&line) {
                    Ok(Line::Empty) => {}
                    Ok(Line::Exit) => break,
                    Ok(Line::Text(text)) => println!("{}", text.trim_end()),
                    Ok(Line::Command(cli)) => {
                        let running = super::interrupt::Running::start();
                        let result = run(*cli);
                        drop(running);
                        match result {
                            Ok(ids) => {
                                if let Some(helper) = editor.helper_mut() {
                                    helper.set_ids(ids);
                                }
                            }
                            Err(e) => report(&e),
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

    /// The parser is built once and kept: each line is answered as a freshly built parser
    /// answers it, whatever lines came before (errors, help, other commands).
    #[test]
    fn the_kept_parser_answers_each_line_as_a_fresh_one() {
        // What a parser built for the line says: the command, help text, or the error.
        let fresh = |line: &str| {
            let argv = std::iter::once("asyncpay".to_owned()).chain(split_words(line).unwrap());
            match Cli::command().try_get_matches_from(argv) {
                Ok(m) => format!("{:?}", Cli::from_arg_matches(&m).unwrap().command),
                Err(e) => e.render().to_string().trim_end().replace("error: ", ""),
            }
        };
        let kept = |line: &str| match parse_line(line) {
            Ok(Line::Command(cli)) => format!("{:?}", cli.command),
            Ok(Line::Text(text)) => text.trim_end().replace("error: ", ""),
            Ok(_) => unreachable!("{line}"),
            Err(e) => e.message,
        };
        let lines = [
            "pay",
            "wallet balance",
            "pay --bogus 1",
            "pay --help",
            "channel list --all",
            "wallet nothing",
            "wallet balance",
        ];
        for _ in 0..2 {
            for line in lines {
                assert_eq!(kept(line), fresh(line), "{line}");
            }
        }
    }

    /// clap reads an option's environment variable when it builds the parser: a change of
    /// one of ours between two lines builds it again (review finding F3).
    #[test]
    fn the_kept_parser_sees_a_changed_environment() {
        let database = |line: &str| match parse_line(line) {
            Ok(Line::Command(cli)) => match cli.command {
                Some(super::super::args::Command::Init(init)) => init.database,
                other => panic!("{other:?}"),
            },
            _ => panic!("{line}"),
        };
        // No other test of the library reads or writes this variable.
        std::env::remove_var("ASYNCPAY_DATABASE");
        assert_eq!(database("init"), None);
        std::env::set_var("ASYNCPAY_DATABASE", "postgres://u@h/db");
        assert_eq!(database("init").as_deref(), Some("postgres://u@h/db"));
        std::env::remove_var("ASYNCPAY_DATABASE");
        assert_eq!(database("init"), None);
    }

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
        // A list of every candidate, not one at a time.
        assert_eq!(c.candidates("pay").1, ["pay", "payments"]);
        // Nothing the REPL refuses: no session option, no `repl`; options used are not
        // offered again.
        let options = c.candidates("wallet send --").1;
        assert_eq!(
            options,
            ["--all", "--fee-rate", "--help", "--json", "--quiet"]
        );
        assert_eq!(c.candidates("wallet send x --all --").1.len(), 4);
        assert_eq!(c.candidates("re").1, ["receive", "regtest"]);
        assert_eq!(c.candidates("help wal").1, ["wallet"]);
        assert_eq!(c.candidates("help wallet ba").1, ["backup", "balance"]);
        assert!(c.candidates("help re").1.iter().all(|n| n != "repl"));
        assert!(c.candidates("help wallet nothing ").1.is_empty());
        assert!(c.candidates("--json ").1.contains(&"wallet".to_owned()));
        // Values: possible values of options and arguments; an option's value is no
        // subcommand.
        assert_eq!(c.candidates("completions ").1.len(), 5);
        assert_eq!(c.candidates("completions f").1, ["fish"]);
        assert_eq!(
            c.candidates("status --network ").1,
            ["bitcoin", "regtest", "signet"]
        );
        assert_eq!(
            c.candidates("wallet send --fee-rate ").1,
            Vec::<String>::new()
        );
        assert_eq!(c.candidates("channel show x ").1, Vec::<String>::new());
    }

    #[test]
    fn completes_ids_of_the_unlocked_wallet_where_a_command_takes_one() {
        let mut c = CommandCompleter::new();
        assert!(c.candidates("payments wait ").1.is_empty());
        let (ch1, ch2) = ("ab".repeat(32), "ac".repeat(32));
        let (p1, p2) = ("12".repeat(32), "13".repeat(32));
        c.set_ids(Ids {
            channels: vec![ch1.clone(), ch2.clone()],
            payments: vec![p1.clone(), p2.clone()],
        });
        // A prefix two ids share: both listed, neither chosen.
        assert_eq!(
            c.candidates("channel close a").1,
            [ch1.clone(), ch2.clone()]
        );
        assert_eq!(c.candidates("channel close ab").1, [ch1.as_str()]);
        assert_eq!(c.candidates("channel push --json ac").1, [ch2.as_str()]);
        assert_eq!(c.candidates("payments cancel 13").1, [p2.as_str()]);
        assert_eq!(c.candidates("claim ").1, [p1.clone(), p2.clone()]);
        assert_eq!(
            c.candidates("pay ADDR 1000 --channel ").1,
            [ch1.clone(), ch2]
        );
        // Not where no id goes: the amount of `channel push`, `decode`'s string.
        assert!(c.candidates(&format!("channel push {ch1} ")).1.is_empty());
        assert!(c.candidates("decode ").1.is_empty());
    }

    #[test]
    fn the_prompt_names_network_and_wallet_and_help_lists_what_works() {
        assert_eq!(
            prompt(
                bitcoin::Network::Regtest,
                Path::new("/home/u/wallets/alice")
            ),
            "asyncpay regtest:alice> "
        );
        assert_eq!(
            prompt(bitcoin::Network::Signet, Path::new("/w/evil\x1b[2Jname")),
            "asyncpay signet:evil[2Jname> "
        );
        let help = repl_help();
        assert!(help.contains("  payments "), "{help}");
        assert!(help.contains("exit, quit"), "{help}");
        assert!(!help.contains("\n  repl "), "{help}");
        assert!(parse_line("repl").is_err());
        assert!(matches!(parse_line("help").unwrap(), Line::Text(t) if t == help));
        assert!(matches!(parse_line("help wallet").unwrap(), Line::Text(t) if t.contains("send")));
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
