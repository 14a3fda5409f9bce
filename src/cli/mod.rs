//! The command-line interface: parse → resolve a context once → one handler per command →
//! render through [`output`]. Handlers return data; only [`output`] prints.

pub mod args;
pub mod channel;
pub mod commands;
pub mod context;
pub mod demo;
pub mod docs;
pub mod error;
pub mod interrupt;
pub mod output;
pub mod payment;
pub mod payments;
pub mod repl;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod status;
pub mod text;
pub mod types;

use std::io::IsTerminal;

use clap::Parser;

use args::{Cli, Command};
use context::Context;
use error::CliError;
use output::Output;

/// Runs the command line and returns the process exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2);
            // with --json a usage error is a JSON document like every other error.
            if e.use_stderr() && std::env::args().any(|a| a == "--json") {
                let text = e.render().to_string();
                let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
                let message = lines.next().unwrap_or("usage error");
                let message = message.trim_start_matches("error: ");
                // clap's tips are the hint; its usage line and "try --help" are for a person.
                let tips: Vec<&str> = lines.filter_map(|l| l.strip_prefix("tip: ")).collect();
                let hint = if tips.is_empty() {
                    "run `asyncpay --help` (or `asyncpay COMMAND --help`) for the usage".to_owned()
                } else {
                    tips.join("; ")
                };
                Output {
                    json: true,
                    quiet: false,
                }
                .error(&CliError::usage(message).hint(hint));
                return 2;
            }
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let out = Output {
        json: cli.global.json,
        quiet: cli.global.quiet,
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            out.error(&e);
            e.kind.code()
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let mut ctx = Context::new(cli.global)?;
    match cli.command {
        Some(Command::Repl) => repl(&mut ctx),
        None if std::io::stdin().is_terminal() => repl(&mut ctx),
        None => Err(CliError::usage("no command given").hint(
            "run `asyncpay --help` for the commands, or `asyncpay repl` for the interactive shell",
        )),
        Some(command) => commands::run(&mut ctx, command),
    }
}

fn repl(ctx: &mut Context) -> Result<(), CliError> {
    let history = ctx
        .datadir
        .exists()
        .then(|| ctx.datadir.join("history.txt"));
    ctx.out
        .note("asyncpay REPL: commands as on the command line; `help` lists them, Tab completes, Ctrl-C stops a command, `exit` or Ctrl-D leaves");
    ctx.in_repl = true;
    let base = ctx.out;
    let prompt = repl::prompt(ctx.network, &ctx.datadir);
    repl::run_loop(
        history.as_deref(),
        &prompt,
        |line| {
            // Per line, only --json and -q apply; the other global options are the REPL's.
            let out = ctx.with_output(&line.global);
            ctx.out = out;
            let result = match line.command {
                Some(Command::Repl) => Err(CliError::usage("already in the REPL")),
                Some(command) => commands::run(ctx, command),
                None => Ok(()),
            };
            // Ids for completion, read while the wallet is still held.
            let ids = repl::known_ids(ctx);
            // The wallet is held only while a command runs: other asyncpay processes use
            // it between lines (the storage key stays in memory: no new passphrase prompt).
            ctx.release();
            ctx.out = base;
            if let Err(e) = &result {
                out.error(e);
            }
            Ok(ids)
        },
        |e| base.error(e),
    )
}
