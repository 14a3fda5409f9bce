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
pub mod status;
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
                let message = text.trim_end().trim_start_matches("error: ");
                Output {
                    json: true,
                    quiet: false,
                }
                .error(&CliError::usage(message));
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
            ctx.out = base;
            if let Err(e) = &result {
                out.error(e);
            }
            Ok(repl::known_ids(ctx))
        },
        |e| base.error(e),
    )
}
