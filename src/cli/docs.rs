//! Shell completions and man pages, generated from the clap definition. The committed copies
//! in `completions/` and `man/` are checked by `tests/generated.rs`; regenerate them with
//! `ASYNCPAY_UPDATE_GENERATED=1 cargo test --test generated`.
//!
//! A man page has the sections of clap_mangen (SYNOPSIS, DESCRIPTION, OPTIONS, SUBCOMMANDS)
//! and these, written here: NAME (without the program's name twice), EXAMPLES, EXIT STATUS
//! (from [`EXIT_CODES`]), ENVIRONMENT ([`ENVIRONMENT`]), FILES ([`FILES`]) and SEE ALSO.

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::{Cli, EXIT_CODES};

/// Every `ASYNCPAY_*` environment variable a user may set, with what it does (the
/// ENVIRONMENT section; `tests/generated.rs` checks that every variable the sources read is
/// here or in [`TEST_ONLY_ENVIRONMENT`]).
pub const ENVIRONMENT: [(&str, &str); 12] = [
    (
        "ASYNCPAY_DATADIR",
        "The wallet data directory, as --datadir (which wins over it).",
    ),
    (
        "ASYNCPAY_NETWORK",
        "The network: regtest, signet or bitcoin, as --network.",
    ),
    (
        "ASYNCPAY_CHAIN",
        "The chain source, as --chain: regtest:DIR or bitcoind:URL.",
    ),
    (
        "ASYNCPAY_CONFIG",
        "The config file of defaults, as --config [default: config.toml in the platform \
         config dir].",
    ),
    (
        "ASYNCPAY_PASSPHRASE",
        "The wallet passphrase, for scripts (after --passphrase-file and --passphrase-fd). \
         Other processes of the same user may read a process's environment: prefer \
         --passphrase-file or --passphrase-fd.",
    ),
    (
        "ASYNCPAY_DATABASE",
        "A PostgreSQL database for a new wallet's records, as `init --database URL`.",
    ),
    (
        "PGPASSWORD",
        "The password of the PostgreSQL database a wallet's records are in (never written to \
         the data dir).",
    ),
    (
        "ASYNCPAY_SERVER_CA",
        "A CA certificate (PEM) to trust for an https server, as --server-ca.",
    ),
    (
        "SSL_CERT_FILE",
        "The system's CA bundle (PEM) to trust for https servers and for a database URL's \
         sslrootcert=system, instead of the usual places (/etc/ssl/certs/ca-certificates.crt, \
         ...).",
    ),
    (
        "ASYNCPAY_ANCHOR_FEE_RATE",
        "The fee rate in sat/vB of the children that pay for channel transactions through \
         their anchors, as --anchor-fee-rate [default: the node's estimate].",
    ),
    (
        "ASYNCPAY_SCRYPT_WORK_FACTOR",
        "scrypt work factor (log2 N) for a new passphrase, 16 to 22 [default: 18]; lower \
         values only in debug builds or with ASYNCPAY_INSECURE_TEST_WORK_FACTOR=1.",
    ),
    (
        "ASYNCPAY_INSECURE_TEST_WORK_FACTOR",
        "Set to 1 to let a release build accept a work factor below 16: for test runs only, \
         never for a real wallet (a stolen identity.age becomes cheap to brute-force).",
    ),
];

/// Variables the sources read that are for the test suite and development only (not
/// documented for users).
pub const TEST_ONLY_ENVIRONMENT: [&str; 3] = [
    "ASYNCPAY_TEST_CRASH_AT",
    "ASYNCPAY_TEST_NONCE_LOG",
    "ASYNCPAY_UPDATE_GENERATED",
];

/// The FILES section: what lives where.
pub const FILES: [(&str, &str); 13] = [
    (
        "~/.local/share/asyncpay/NETWORK/",
        "The data directory of the wallet of NETWORK (regtest, signet, bitcoin) on Linux \
         ($XDG_DATA_HOME/asyncpay/NETWORK when set); ~/Library/Application \
         Support/org.asyncpay.asyncpay/NETWORK on macOS; %APPDATA%\\asyncpay\\asyncpay\\data\\NETWORK \
         on Windows. --datadir or ASYNCPAY_DATADIR choose another. Mode 0700.",
    ),
    (
        "~/.config/asyncpay/config.toml",
        "Defaults (TOML) for every wallet of the user: network, datadir, chain, server, \
         server_ca; an unknown key is an error ($XDG_CONFIG_HOME/asyncpay/config.toml when \
         set; the platform config dir elsewhere). --config or ASYNCPAY_CONFIG choose \
         another. Flags, ASYNCPAY_* variables and what a wallet remembers win over it.",
    ),
    (
        "DATADIR/settings.toml",
        "A plain copy of the network, chain source and default server the wallet remembers \
         (they are sealed in records.sqlite, which decides once the wallet is unlocked; a \
         bitcoind password is only there). Change the chain with `asyncpay wallet set-chain`.",
    ),
    (
        "DATADIR/identity.age",
        "The storage identity, encrypted to the passphrase (age, scrypt). Absent for a \
         wallet unlocked with --identity.",
    ),
    (
        "DATADIR/recipient",
        "The storage identity's public recipient (age1...), which the records are encrypted to.",
    ),
    (
        "DATADIR/records.sqlite",
        "Every record of the wallet in one SQLite database: seed, on-chain wallet, channels, \
         payments, server state; each record sealed under the storage identity.",
    ),
    (
        "DATADIR/database",
        "Only for a wallet made with `init --database URL`: the PostgreSQL URL and schema \
         that hold its records instead of records.sqlite (no password in it).",
    ),
    (
        "DATADIR/lock",
        "Held (an advisory lock) by the asyncpay process using the wallet, which writes its \
         pid and command into it; another process that writes fails with exit status 6 \
         naming the holder, or waits with --wait-lock; one that only reads goes on without \
         the lock. The file may stay behind: it is the lock, not its presence, that counts.",
    ),
    (
        "DATADIR/history.txt",
        "The REPL's history. Lines the parser refused are not kept, and URL credentials are \
         replaced by ***.",
    ),
    (
        "DATADIR/replay",
        "The replay journal of `asyncpay server run` (requests already answered).",
    ),
    (
        "~/.local/share/asyncpay/regtest-chain/",
        "The embedded regtest ledger shared by all your regtest wallets (the default --chain \
         on regtest; the same platform directory as above).",
    ),
    (
        "LEDGER/ledger.sqlite",
        "The regtest ledger's blocks, UTXO set and mempool (SQLite in WAL mode: \
         ledger.sqlite-wal and ledger.sqlite-shm exist while a process uses it).",
    ),
    (
        "completions/, man/",
        "In the source tree: the shell completions (also `asyncpay completions SHELL`) and \
         these pages.",
    ),
];

/// EXAMPLES of a page: (what it does, the command line).
fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "asyncpay" => &[
            ("Create a wallet on the local regtest ledger:", "asyncpay init"),
            ("Walk through a payment with three wallets:", "asyncpay demo"),
            (
                "The wallet at a glance, as JSON, unlocked by a passphrase file:",
                "asyncpay --passphrase-file ~/.pass --json status",
            ),
            ("Start the interactive shell:", "asyncpay repl"),
        ],
        "asyncpay-init" => &[
            (
                "Create a wallet, shown its 24 words once and asked to confirm three:",
                "asyncpay init",
            ),
            (
                "Restore a wallet from its words, read from a file:",
                "asyncpay init --restore < words.txt",
            ),
            (
                "Create a wallet unlocked by an age identity file instead of a passphrase:",
                "age-keygen -o key.txt && asyncpay --identity key.txt init",
            ),
        ],
        "asyncpay-wallet" | "asyncpay-wallet-send" => &[
            (
                "Send 50000 sat at 5 sat/vB:",
                "asyncpay wallet send bcrt1q... 50000 --fee-rate 5",
            ),
            (
                "Send everything (all confirmed coins, less the fee):",
                "asyncpay wallet send bcrt1q... --all",
            ),
        ],
        "asyncpay-wallet-address" | "asyncpay-regtest" | "asyncpay-regtest-fund" => &[(
            "Fund a new address of the wallet from the regtest faucet:",
            "asyncpay regtest fund $(asyncpay wallet address) 0.01btc",
        )],
        "asyncpay-wallet-balance" => &[
            ("The balance:", "asyncpay wallet balance"),
            (
                "The spendable amount in a script:",
                "asyncpay --json wallet balance | jq .spendable_sat",
            ),
        ],
        "asyncpay-wallet-backup" => &[(
            "Show the 24 words on the terminal:",
            "asyncpay wallet backup",
        )],
        "asyncpay-regtest-mine" => &[("Mine 6 blocks:", "asyncpay regtest mine 6")],
        "asyncpay-pay" => &[
            (
                "Pay 1000 sat to a payment address (returns at once with the payment id):",
                "asyncpay pay aspay1... 1000",
            ),
            (
                "Pay, then wait until the payee has collected it:",
                "id=$(asyncpay --json pay aspay1... 1000 | jq -r .payment_id) && asyncpay payments wait $id",
            ),
        ],
        "asyncpay-address" => &[(
            "The payment address to give to payers:",
            "asyncpay address",
        )],
        "asyncpay-receive" => &[
            ("Collect every payment waiting in the mailbox:", "asyncpay receive"),
            (
                "Collect a package the payer gave you as a file:",
                "asyncpay receive --package package.txt",
            ),
        ],
        "asyncpay-payments" | "asyncpay-payments-wait" => &[
            ("List payments:", "asyncpay payments list"),
            (
                "Wait at most 5 minutes for a payment (exit status 5 if still pending):",
                "asyncpay payments wait PAYMENT_ID --timeout 5m",
            ),
        ],
        "asyncpay-channel" | "asyncpay-channel-open" => &[
            (
                "Open a channel of 100000 sat to a server:",
                "asyncpay channel open http://127.0.0.1:9737 100000",
            ),
            (
                "Ask the server for 50000 sat of inbound capacity:",
                "asyncpay channel request-inbound http://127.0.0.1:9737 50000",
            ),
        ],
        "asyncpay-channel-close" => &[
            (
                "Close cooperatively:",
                "asyncpay channel close CHANNEL_ID",
            ),
            (
                "Close without the server, returning at once (run again until it exits 0):",
                "asyncpay channel close CHANNEL_ID --force --no-wait",
            ),
        ],
        "asyncpay-server" | "asyncpay-server-init" | "asyncpay-server-run" => &[
            (
                "Set up a wallet as a server and run it:",
                "asyncpay --datadir ./s server init && asyncpay --datadir ./s server run",
            ),
            (
                "Run over https:",
                "asyncpay server run --tls-cert cert.pem --tls-key key.pem",
            ),
        ],
        "asyncpay-repl" => &[
            ("Start the shell (Tab completes, Ctrl-C cancels a command, Ctrl-D leaves):", "asyncpay repl"),
            (
                "Run commands from a file:",
                "asyncpay --passphrase-file ~/.pass repl < commands.txt",
            ),
        ],
        "asyncpay-completions" => &[
            (
                "Install bash completions for your user:",
                "asyncpay completions bash > ~/.local/share/bash-completion/completions/asyncpay",
            ),
        ],
        "asyncpay-decode" => &[("Explain a payment address:", "asyncpay decode aspay1...")],
        "asyncpay-passphrase" | "asyncpay-passphrase-change" => &[(
            "Change the passphrase (asked twice on the terminal):",
            "asyncpay passphrase change",
        )],
        _ => &[],
    }
}

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
    // Pages only for real commands: no `help` subcommand (there is no asyncpay-help(1)).
    let mut man = without_help_subcommand(Cli::command());
    man.build();
    man_pages(&man, "asyncpay", None, &mut files);
    files
}

fn without_help_subcommand(cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut cmd = cmd.disable_help_subcommand(true);
    for name in names {
        cmd = cmd.mut_subcommand(name, without_help_subcommand);
    }
    cmd
}

/// Escapes text for a roff text line.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// One man page per command, named like git's: `asyncpay-wallet-send.1`.
fn man_pages(
    cmd: &clap::Command,
    name: &str,
    parent: Option<&str>,
    files: &mut Vec<(PathBuf, Vec<u8>)>,
) {
    let page = cmd
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let man = clap_mangen::Man::new(page.clone())
        .date("2026-11-24")
        .source(format!("asyncpay {}", env!("CARGO_PKG_VERSION")))
        .manual("asyncpay manual");
    let mut buf = Vec::new();
    let fail = "rendering to memory cannot fail";
    man.render_title(&mut buf).expect(fail);
    buf.extend(name_section(&page, name).as_bytes());
    man.render_synopsis_section(&mut buf).expect(fail);
    man.render_description_section(&mut buf).expect(fail);
    if page.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).expect(fail);
    }
    if page.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf).expect(fail);
    }
    buf.extend(extra_sections(name, parent).as_bytes());
    if parent.is_none() {
        man.render_version_section(&mut buf).expect(fail);
    }
    files.push((PathBuf::from("man").join(format!("{name}.1")), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(
            sub,
            &format!("{name}-{}", sub.get_name()),
            Some(name),
            files,
        );
    }
}

/// NAME: `asyncpay-pay - Pay a payment address…`, without a repeated program name.
fn name_section(page: &clap::Command, name: &str) -> String {
    let about = page
        .get_about()
        .or_else(|| page.get_long_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let about = about
        .trim_start_matches("asyncpay:")
        .trim()
        .trim_end_matches('.');
    format!(
        ".SH NAME\n{} \\- {}\n",
        roff_escape(name),
        roff_escape(about)
    )
}

/// A tagged paragraph: `term` in `font` (`B` bold, `I` italic), then what it means.
fn tagged(font: &str, term: &str, what: &str) -> String {
    format!(
        ".TP\n\\f{font}{}\\fR\n{}\n",
        roff_escape(term),
        roff_escape(what)
    )
}

/// EXAMPLES, EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO.
fn extra_sections(name: &str, parent: Option<&str>) -> String {
    let mut s = String::new();
    let examples = examples(name);
    if !examples.is_empty() {
        s.push_str(".SH EXAMPLES\n");
        for (what, line) in examples {
            s.push_str(&format!(
                ".PP\n{}\n.PP\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
                roff_escape(what),
                roff_escape(line)
            ));
        }
    }
    s.push_str(".SH \"EXIT STATUS\"\n");
    for line in EXIT_CODES.lines().skip(1) {
        let line = line.trim();
        if let Some((code, meaning)) = line.split_once(' ') {
            s.push_str(&tagged("B", code, meaning.trim()));
        }
    }
    if parent.is_none() {
        s.push_str(".SH ENVIRONMENT\n");
        for (var, what) in ENVIRONMENT {
            s.push_str(&tagged("B", var, what));
        }
        s.push_str(".SH FILES\n");
        for (path, what) in FILES {
            s.push_str(&tagged("I", path, what));
        }
    } else {
        s.push_str(
            ".SH \"ENVIRONMENT AND FILES\"\nThe ASYNCPAY_* variables and the files of a data \
             directory are described in \\fBasyncpay\\fR(1).\n",
        );
    }
    let mut see_also: Vec<String> = Vec::new();
    if let Some(parent) = parent {
        see_also.push(parent.to_owned());
        if parent != "asyncpay" {
            see_also.push("asyncpay".to_owned());
        }
    }
    if !see_also.is_empty() {
        s.push_str(".SH \"SEE ALSO\"\n");
        let refs: Vec<String> = see_also
            .iter()
            .map(|p| format!("\\fB{}\\fR(1)", roff_escape(p)))
            .collect();
        s.push_str(&refs.join(", "));
        s.push('\n');
    }
    s
}
