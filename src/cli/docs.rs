//! Shell completions and man pages, generated from the clap definition. The committed copies
//! in `completions/` and `man/` are checked by `tests/generated.rs`; regenerate them with
//! `ASYNCPAY_UPDATE_GENERATED=1 cargo test --test generated`.

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Cli;

/// Every generated file: its path relative to the repository root, and its contents.
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut cmd = Cli::command();
    cmd.build();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "asyncpay", &mut buf);
        let name = match shell {
            Shell::Bash => "asyncpay.bash".to_owned(),
            Shell::Zsh => "_asyncpay".to_owned(),
            Shell::Fish => "asyncpay.fish".to_owned(),
            Shell::PowerShell => "_asyncpay.ps1".to_owned(),
            Shell::Elvish => "asyncpay.elv".to_owned(),
            _ => unreachable!("only the shells listed above"),
        };
        files.push((PathBuf::from("completions").join(name), buf));
    }
    man_pages(&cmd, "asyncpay", &mut files);
    files
}

/// One man page per command, named like git's: `asyncpay-wallet-send.1`.
fn man_pages(cmd: &clap::Command, name: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let page = cmd
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .date("2026-11-24")
        .source(format!("asyncpay {}", env!("CARGO_PKG_VERSION")))
        .manual("asyncpay manual")
        .render(&mut buf)
        .expect("rendering to memory cannot fail");
    files.push((PathBuf::from("man").join(format!("{name}.1")), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files);
    }
}
