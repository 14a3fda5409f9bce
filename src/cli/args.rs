//! The command line: clap definitions. Completions and man pages are generated from these
//! (`completions/`, `man/`; `tests/generated.rs` fails when they are stale).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::types::{AmountArg, DurationArg, FeeRateArg};

macro_rules! exit_codes {
    () => {
        "\
Exit status:
  0  success
  1  the operation failed (e.g. insufficient funds, transaction rejected, not found)
  2  usage or input error (bad arguments, invalid address or amount, wallet not initialized)
  3  wallet locked: wrong or missing passphrase, identity does not match
  4  unreachable: the chain source or server cannot be reached
  5  still pending
  6  wallet in use by another asyncpay process, named in the message (try --wait-lock)
  7  wallet data is corrupt or from a newer asyncpay"
    };
}

/// Exit status table, shown in `--help` and the man page.
pub const EXIT_CODES: &str = exit_codes!();

/// `--help` (and the man page): the exit status table and the files.
pub const AFTER_LONG_HELP: &str = concat!(
    exit_codes!(),
    "

Files:
  config.toml            Defaults for every wallet (TOML): in the platform config dir
                         (~/.config/asyncpay/config.toml on Linux), or --config FILE
                         (ASYNCPAY_CONFIG). Keys, all optional: network, datadir, chain,
                         server, server_ca. An unknown key is an error. Relative
                         paths in it are relative to its directory.
  DATADIR                One wallet: --datadir, else the config file's datadir, else the
                         platform data dir per network (~/.local/share/asyncpay/regtest).
  DATADIR/settings.toml  What the wallet was made with (network, chain source, default
                         server): a plain copy of the settings sealed in records.sqlite,
                         which decide. Change the chain with `asyncpay wallet set-chain`.
  DATADIR/lock           Held by the process using the wallet; records its pid and command.
                         Must be a regular file of yours (never a link): else remove it.
Precedence: a flag, then its ASYNCPAY_* variable, then what the wallet remembers, then the
config file, then the built-in default. A --network or --chain that contradicts the wallet
is refused."
);

/// asyncpay: asynchronous Lightning payments over eltoo channels.
///
/// Pay while the payee is offline; get paid when you come online; the server never holds
/// money it could run away with. Without a command on a terminal, starts the REPL.
#[derive(Debug, Parser)]
#[command(
    name = "asyncpay",
    version,
    after_help = EXIT_CODES,
    after_long_help = AFTER_LONG_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options accepted by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Wallet data directory [default: the config file's datadir, else the platform data
    /// dir, per network]
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_DATADIR",
        hide_env_values = true,
        value_name = "DIR"
    )]
    pub datadir: Option<PathBuf>,

    /// Bitcoin network (channels need BIP118: regtest or signet) [default: the wallet's,
    /// else the config file's, else regtest]
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_NETWORK",
        hide_env_values = true,
        value_enum
    )]
    pub network: Option<NetworkArg>,

    /// Chain source: regtest:DIR (the local regtest ledger) or bitcoind:URL; `init`
    /// remembers it in the wallet [default: the wallet's, else the config file's, else
    /// regtest:<platform data dir>/regtest-chain, shared by all your wallets]
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_CHAIN",
        hide_env_values = true,
        value_name = "SPEC"
    )]
    pub chain: Option<String>,

    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only the result: no progress, no hints
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Read the wallet passphrase from the first line of FILE
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["passphrase_fd", "identity"])]
    pub passphrase_file: Option<PathBuf>,

    /// Read the wallet passphrase from file descriptor N
    #[arg(long, global = true, value_name = "N", conflicts_with = "identity")]
    pub passphrase_fd: Option<u32>,

    /// Unlock with a plain age identity file instead of a passphrase
    #[arg(long, global = true, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Wait for another asyncpay process holding the wallet instead of failing (commands
    /// that only read never wait)
    #[arg(long, global = true)]
    pub wait_lock: bool,

    /// Config file of defaults (TOML) [default: config.toml in the platform config dir]
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// Fee rate in sat/vB of the children that pay for channel transactions through their
    /// anchors (force closes, settlements, PTLC claims, rebinding, fee bumps), and at a
    /// server the least rate of the fundings it publishes [default: the node's estimate, 2
    /// sat/vB without one]
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_ANCHOR_FEE_RATE",
        hide_env_values = true,
        value_name = "SAT/VB"
    )]
    pub anchor_fee_rate: Option<super::types::FeeRateArg>,

    /// Trust this CA certificate (PEM) for an https server, e.g. a self-signed S
    #[arg(
        long,
        global = true,
        env = "ASYNCPAY_SERVER_CA",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub server_ca: Option<PathBuf>,
}

/// Networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkArg {
    /// Local regtest (the embedded ledger or a bitcoind/Inquisition regtest node)
    Regtest,
    /// Signet (Bitcoin Inquisition's signet has BIP118 active)
    Signet,
    /// Mainnet: on-chain only; channel commands refuse (BIP118 is not active)
    Bitcoin,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk through the story on a local regtest ledger with three wallets
    Demo {
        /// Keep the wallets in DIR (new or empty) for exploring afterwards
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Create a wallet: a new 24-word seed, or restore one with --restore
    Init(InitArgs),
    /// On-chain wallet: addresses, balance, sending, history
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Change the wallet passphrase
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// The local regtest ledger: mine blocks, fund addresses, show the tip
    #[command(subcommand)]
    Regtest(RegtestCommand),
    /// The wallet at a glance: balances, pending payments, channels, servers (only reads)
    ///
    /// Node id, network, chain tip height, on-chain balance (confirmed, unconfirmed), your
    /// side of the open channels, pending payments (outgoing with S's fee, incoming; with
    /// counts), channels by status, and whether each server of a channel answers. Channel
    /// statuses are as last recorded (`asyncpay channel list` refreshes them from the
    /// chain). A server that does not answer within a few seconds is reported unreachable;
    /// that is not an error. With --json: one object, amounts in `*_sat` fields.
    Status,
    /// Show this wallet's payment address: what payers need to pay it while it is offline
    Address {
        /// The server whose mailbox receives payments [default: the server of this wallet's
        /// first channel]
        #[arg(long, value_name = "URL")]
        server: Option<String>,
    },
    /// Explain a string: a payment address, an invoice, a node id, a channel id, a bitcoin
    /// address or a raw transaction (hex; channel updates and settlements are recognized)
    Decode {
        /// The string (or @FILE to read it from a file)
        string: String,
    },
    /// Pay a payment address, even while the payee is offline (asynchronous payment)
    Pay {
        /// The payee's payment address (from `asyncpay address`)
        address: String,
        /// Amount the payee receives: 1000, 1000sat or 0.00001btc (S's fee is added)
        amount: AmountArg,
        /// How long the payee has to collect it: 30s, 10m, 24h, 7d (at most 30d)
        #[arg(long, default_value = "24h", value_name = "DURATION")]
        expiry: DurationArg,
        /// Write the armored, encrypted update package to FILE instead of posting it to the
        /// payee's mailbox (give it to the payee yourself)
        #[arg(long, value_name = "FILE")]
        package_out: Option<PathBuf>,
        /// Pay through this channel (its id or a unique prefix) [default: one with enough
        /// balance]
        #[arg(long, value_name = "ID")]
        channel: Option<String>,
        /// The most S's fee may be: 50, 50sat or 0.0000005btc [default: 1% of AMOUNT]; a
        /// server asking more is refused before anything is signed
        #[arg(long, value_name = "AMOUNT")]
        max_fee: Option<AmountArg>,
        /// Wait until the payment is paid or cancelled, at most DURATION [default: until it
        /// expires]; exit 5 if it is still pending then, exit 1 if it was cancelled or failed
        #[arg(long, value_name = "DURATION", num_args = 0..=1, require_equals = true)]
        wait: Option<Option<DurationArg>>,
    },
    /// Collect payments: fetch update packages, sell them to S, and claim
    Receive {
        /// Read one armored or binary package from FILE instead of the mailbox
        #[arg(long, value_name = "FILE")]
        package: Option<PathBuf>,
        /// Sell, but do not claim yet (run `asyncpay claim` later)
        #[arg(long)]
        no_claim: bool,
    },
    /// Claim sold payments: reveal the scalar to S and take the PTLC into your balance
    Claim {
        /// The payment id or a unique prefix [default: every sold, unclaimed payment]
        id: Option<String>,
    },
    /// Collect what S holds for your payments: invoices, scalars, signatures; cancel
    /// expired ones
    Sync,
    /// Payments sent and received: list, show, wait, cancel
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// Channels with a server S: open, request inbound capacity, pay S, close
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Run this wallet as the server S
    #[command(subcommand)]
    Server(ServerCommand),
    /// Interactive shell: the same commands, unlocked once
    Repl,
    /// Print a shell completion script
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `init` options.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Restore from an existing mnemonic (read from the terminal, or stdin when piped)
    #[arg(long)]
    pub restore: bool,
    /// Keep the wallet's records in this PostgreSQL database (in a schema of their own)
    /// instead of records.sqlite in the data dir, e.g. postgres://asyncpay@db.internal/
    /// asyncpay?sslmode=verify-full&sslrootcert=/etc/asyncpay/db-ca.pem. A host off this
    /// machine needs TLS checked against a CA (sslmode=verify-full or verify-ca, with
    /// sslrootcert=FILE or system) or sslmode=disable. No password in the URL: set
    /// PGPASSWORD, or use peer authentication
    #[arg(long, value_name = "URL", env = "ASYNCPAY_DATABASE")]
    pub database: Option<String>,
}

/// `wallet` subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Show a new receive address
    Address,
    /// Show the balance (confirmed, pending, immature)
    Balance,
    /// Send AMOUNT to ADDRESS, or with --all every confirmed coin (less the fee)
    Send {
        /// Destination address
        address: String,
        /// Amount: 1000, 1000sat or 0.00001btc
        #[arg(required_unless_present = "all")]
        amount: Option<AmountArg>,
        /// Send every confirmed coin, less the fee: one output, no change (unconfirmed coins
        /// stay)
        #[arg(long, conflicts_with = "amount")]
        all: bool,
        /// Fee rate in sat/vB
        #[arg(long, default_value = "2")]
        fee_rate: FeeRateArg,
    },
    /// List wallet transactions, newest first
    Transactions {
        /// Show at most N (the newest)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// List unspent outputs
    Utxos {
        /// Show at most N
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Show the mnemonic (only on explicit request)
    Backup {
        /// Print the mnemonic even when stdout is not a terminal
        #[arg(long)]
        force: bool,
    },
    /// Show the node id and the storage identity's public recipient
    Info,
    /// Switch the wallet to another chain source for good (the one `init` remembered is
    /// used otherwise): e.g. a bitcoind that moved, or a regtest ledger copied elsewhere
    SetChain {
        /// regtest:DIR or bitcoind:URL (it must serve the wallet's network)
        spec: String,
    },
    /// Refuse servers whose confirmation budget is below BLOCKS [default: 6; 1 on regtest]
    ///
    /// A server's confirmation budget is the blocks it allows a claim on chain to take to
    /// confirm; this wallet plans the claims of payments sold into the server's channels
    /// with it, and a budget too small for the chain's congestion would let the server take
    /// a payment back. Below the floor, no payment is sold into that server's channels and
    /// no inbound channel is opened with it. Payments sold already keep their budget.
    SetMinBudget {
        /// Blocks, 1 to 144
        #[arg(value_parser = clap::value_parser!(u16)
            .range(1..=i64::from(crate::client::MAX_MIN_CONFIRMATION_BUDGET)))]
        blocks: u16,
    },
    /// Refuse inbound channels whose server counts its funding as final after fewer than
    /// BLOCKS confirmations [default: 3; 1 on regtest]
    ///
    /// What a server pays this wallet in a channel it funds stands on that funding: a
    /// reorganization deeper than the server's minimum depth could let the server spend
    /// the funding's coins elsewhere after it was paid for what it sold. Below the floor,
    /// no inbound channel is opened with the server; into a channel opened before, nothing
    /// is sold (nor the payment scalar revealed) until its funding is that deep.
    SetMinDepth {
        /// Blocks, 1 to 144
        #[arg(value_parser = clap::value_parser!(u16)
            .range(1..=i64::from(crate::client::MAX_MIN_FUNDING_DEPTH)))]
        blocks: u16,
    },
    /// Move every record of the wallet into a new PostgreSQL schema (TARGET: a database
    /// URL, as for `init --database`; no password in it: set PGPASSWORD), or back into
    /// records.sqlite (TARGET: sqlite); the old copy is destroyed once the new one is in use
    MoveRecords {
        /// postgres://USER@HOST[:PORT]/DBNAME (or key=value form), or `sqlite`
        target: String,
    },
    /// Move the state files an older asyncpay wrote in this data dir into records.sqlite,
    /// vouching for files written before record authentication (once, after upgrading;
    /// only for a data dir you trust)
    Upgrade,
}

/// `passphrase` subcommands.
#[derive(Debug, Subcommand)]
pub enum PassphraseCommand {
    /// Change the passphrase (the records need no re-encryption)
    Change {
        /// Read the new passphrase from the first line of FILE
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
}

/// `regtest` subcommands.
#[derive(Debug, Subcommand)]
pub enum RegtestCommand {
    /// Mine N blocks
    Mine {
        /// Number of blocks (1 to 10000)
        #[arg(value_parser = super::types::parse_blocks)]
        blocks: u32,
        /// Pay the coinbases to ADDRESS [default: the ledger's faucet]
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
    },
    /// Pay AMOUNT to ADDRESS from the faucet and mine it
    Fund {
        /// Destination address
        address: String,
        /// Amount: 1000, 1000sat or 0.00001btc
        amount: AmountArg,
    },
    /// Show the ledger's tip and mempool
    Info,
    /// Re-validate the stored chain by consensus
    ///
    /// Every block's transactions are validated again against the outputs they spend, as
    /// their creating transactions (not the UTXO table) say, and the UTXO table is checked
    /// against the transactions. Every command already does this for the last 6 blocks when
    /// it opens the ledger; a ledger found edited is refused.
    Verify {
        /// Only the last N blocks up to the tip [default: every block, and every row of the
        /// UTXO table accounted for]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        blocks: Option<u32>,
    },
}

/// `channel` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Open a channel to the server at SERVER_URL, funded by this wallet with AMOUNT
    Open {
        /// The server's URL, e.g. http://127.0.0.1:9737
        server_url: String,
        /// Capacity: 100000, 100000sat or 0.001btc
        amount: AmountArg,
        /// Fee rate of the funding transaction in sat/vB
        #[arg(long, default_value = "2")]
        fee_rate: FeeRateArg,
    },
    /// Ask the server at SERVER_URL to fund a channel of AMOUNT to this wallet (inbound
    /// capacity, so this wallet can be paid)
    RequestInbound {
        /// The server's URL
        server_url: String,
        /// Capacity
        amount: AmountArg,
    },
    /// List channels (and update their confirmations from the chain); closed and abandoned
    /// ones only with --all or --status
    List(ListArgs),
    /// Show one channel
    Show {
        /// Channel id: 64 hex digits, or a unique prefix of at least 4
        id: String,
    },
    /// Pay the server AMOUNT inside the channel (a new signed state)
    Push {
        /// Channel id (or a unique prefix)
        id: String,
        /// Amount
        amount: AmountArg,
    },
    /// Close a channel: cooperatively with the server, or on chain alone with --force
    Close {
        /// Channel id (or a unique prefix)
        id: String,
        /// Publish the latest state on chain without the server, wait shared_delay blocks,
        /// then publish the settlement
        #[arg(long)]
        force: bool,
        /// With --force: publish what can be published now and return (exit 5 while the
        /// settlement is not yet final) instead of waiting
        #[arg(long, requires = "force")]
        no_wait: bool,
        /// Fee of the cooperative close transaction, paid from this wallet's balance
        #[arg(long, default_value = "500", conflicts_with = "force")]
        fee: AmountArg,
    },
}

/// Filters of a list.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only entries with this status (e.g. pending, paid, open, closed)
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Show at most N (the most recent)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Also list what is over: closed and abandoned channels, cancelled and failed payments
    #[arg(long)]
    pub all: bool,
}

/// `payments` subcommands.
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// List payments sent and received, oldest first; cancelled and failed ones only with
    /// --all or --status
    List(ListArgs),
    /// Show one payment
    Show {
        /// The payment id: 64 hex digits, or a unique prefix of at least 4
        id: String,
    },
    /// Wait until a payment is paid or cancelled (syncing with S)
    Wait {
        /// The payment id (or a unique prefix)
        id: String,
        /// Give up after this long (exit code 5)
        #[arg(long, default_value = "10m", value_name = "DURATION")]
        timeout: DurationArg,
    },
    /// Cancel a pending payment: S refuses any later sale, your balance comes back
    Cancel {
        /// The payment id (or a unique prefix)
        id: String,
    },
}

/// `server` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Set this wallet up as a server S (channel policy shown to clients)
    Init {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:9737")]
        listen: String,
        /// Settlement delay in blocks for new channels
        #[arg(long, default_value_t = 144)]
        shared_delay: u16,
        /// Smallest settlement delay a client may ask for
        #[arg(long, default_value_t = 6)]
        min_shared_delay: u16,
        /// Settlement delay of channels S funds (where payees receive); client-funded
        /// channels need at least this + 5 x budget + 4
        #[arg(long, default_value_t = 24)]
        inbound_shared_delay: u16,
        /// Blocks S allows a time-critical transaction to confirm in (sets PTLC expiries)
        #[arg(long, default_value_t = 6)]
        confirmation_budget: u16,
        /// Largest channel capacity
        #[arg(long, default_value = "0.1btc")]
        max_capacity: AmountArg,
        /// Dust limit of settlement outputs
        #[arg(long, default_value = "330")]
        dust_limit: AmountArg,
        /// Confirmations before a channel is usable (0: a client's funding is trusted for
        /// updates at once; S still buys a payment only once the payer's funding has one)
        #[arg(long, default_value_t = 3)]
        min_confirmations: u32,
        /// S's fee for a payment, parts per million
        #[arg(long, default_value_t = 1000)]
        fee_ppm: u32,
        /// Do not fund channels for clients
        #[arg(long)]
        no_inbound: bool,
        /// Whom S funds inbound channels for: stake (nodes with their own open channel, up
        /// to --inbound-stake-pct of it, and the allow-list), allow-list, or anyone (Sybil-prone:
        /// demos and tests)
        #[arg(long, default_value = "stake", value_name = "POLICY")]
        inbound: crate::server::InboundPolicy,
        /// A node S funds inbound channels for whatever the policy (repeat for more)
        #[arg(long, value_name = "NODE_ID")]
        inbound_allow: Vec<crate::keys::NodeId>,
        /// Inbound capacity per node, in percent of what it funds itself (policy stake)
        #[arg(long, default_value_t = 100)]
        inbound_stake_pct: u32,
        /// Total capacity of all channels S funds
        #[arg(long, default_value = "1btc")]
        max_inbound: AmountArg,
        /// Channels a node may have open but not funded yet
        #[arg(long, default_value_t = 16)]
        max_unfunded_per_node: u32,
        /// Channels not funded yet that nodes without a funded channel with S may have, all
        /// together (a node with one is held back only by its own limit)
        #[arg(long, default_value_t = 1000)]
        max_unfunded: u32,
        /// Blocks after which an open whose funding S has not seen confirmed is forgotten
        #[arg(long, default_value_t = 144, value_parser = clap::value_parser!(u32).range(1..))]
        open_expiry_blocks: u32,
        /// Blocks after which S closes a channel it funded that nothing was paid into since
        /// its funding or the last payment (0: never)
        #[arg(long, default_value_t = 4032)]
        idle_inbound_blocks: u32,
        /// Blocks of notice before S closes inbound channels a node's live stake no longer
        /// covers (policy stake)
        #[arg(long, default_value_t = 144)]
        inbound_notice_blocks: u32,
    },
    /// Run the server until interrupted (Ctrl-C or SIGTERM)
    Run {
        /// Address to listen on [default: the one from `server init`]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// HTTPS certificate chain (PEM); needs --tls-key
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// HTTPS private key (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Milliseconds between two passes of the chain watcher
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
        watch_interval_ms: u64,
        /// Queue each sale until the operator approves it (`asyncpay server sales approve`)
        #[arg(long)]
        manual: bool,
        /// Log more on stderr: request body sizes and the watcher's passes (`--quiet`: only
        /// warnings and errors)
        #[arg(short, long)]
        verbose: bool,
        /// Stand by while another copy of this data dir (on another machine) writes the
        /// records, and take over when it stops; needs the records in PostgreSQL
        #[arg(long)]
        standby: bool,
    },
    /// Show the server's settings and channels (closed and abandoned ones with --all)
    Info {
        /// Also list closed and abandoned channels
        #[arg(long)]
        all: bool,
    },
    /// Ask the running `server run` how it is: uptime, chain tip, watcher, channels,
    /// balances, payments, mailbox, queued sales (works while it runs; signed as S)
    Status {
        /// The running server.
        #[command(flatten)]
        server: RunningServer,
    },
    /// Sales waiting for the operator of a running `server run --manual`: list, approve
    #[command(subcommand)]
    Sales(SalesCommand),
}

/// `server sales` subcommands: requests to the running `server run --manual`, signed with
/// this (S's) wallet's node key. They unlock the wallet read-only, so they work while
/// `server run` holds it.
#[derive(Debug, Subcommand)]
pub enum SalesCommand {
    /// List the sales waiting for approval
    List {
        /// Show at most N (the oldest)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// The running server.
        #[command(flatten)]
        server: RunningServer,
    },
    /// Approve a queued sale: the payee's next `asyncpay receive` sells and claims it
    Approve {
        /// The payment id (from `server sales list`; a unique prefix of at least 4 hex
        /// digits will do)
        id: String,
        /// The running server.
        #[command(flatten)]
        server: RunningServer,
    },
}

/// Where the running `server run` of this wallet answers.
#[derive(Debug, Clone, Args)]
pub struct RunningServer {
    /// URL of the running `server run` [default: http:// and the listen address from
    /// `server init`]
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
}
