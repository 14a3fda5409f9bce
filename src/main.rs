//! The `asyncpay` command. The wallet commands arrive with the wallet-shell issue; this
//! version knows `demo`, `--help` and `--version`.

use std::process::ExitCode;

const HELP: &str = "asyncpay — asynchronous Lightning payments over eltoo channels

Usage: asyncpay <COMMAND>

Commands:
  demo       Walk through an asynchronous payment (coming: see below)

Options:
  -h, --help     Print help
  -V, --version  Print version
";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        Some("-V" | "--version") => println!("asyncpay {}", env!("CARGO_PKG_VERSION")),
        Some("demo") => {
            println!(
                "The end-to-end walkthrough (local regtest chain, local server, three wallets) \
                 arrives with the payment issue.\nWhat exists today is the channel core; watch \
                 it work on the regtest ledger with:\n  cargo test --test channel_scenarios -- --nocapture"
            );
        }
        None | Some("-h" | "--help" | "help") => print!("{HELP}"),
        Some(other) => {
            eprintln!("error: unknown command '{other}'\n\n{HELP}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
