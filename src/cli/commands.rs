//! One handler per command. Handlers return data ([`Render`] values); `output` prints them.

use std::io::IsTerminal;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, Amount, Network, Txid};
use serde::Serialize;

use super::args::{Command, InitArgs, PassphraseCommand, RegtestCommand, WalletCommand};
use super::context::{store_error, Context};
use super::error::{CliError, CliResult, ExitKind};
use super::output::{Output, Render};
use super::secrets;
use super::text::{self, Align, Table};
use crate::chain::source::ChainSpec;
use crate::chain::{Ledger, LedgerError, CORRUPT_LEDGER_HINT};
use crate::client::ClientError;
use crate::keys::Seed;
use crate::store::{DataDir, SeedFile, Store, Unlock};
use crate::units;
use crate::wallet::WalletError;

/// The command's name as a person types it (`channel list`, `server run`): recorded as the
/// holder of the wallet's lock.
pub fn name(command: &Command) -> String {
    // The leading variant names of the command's `Debug` form: `Channel(List { all: .. })`
    // is `channel list`. Only names are taken, never an argument's value.
    let debug = format!("{command:?}");
    let mut words = Vec::new();
    for token in debug.split(|c: char| !c.is_ascii_alphanumeric()) {
        if token.is_empty() || token.ends_with("Args") {
            continue;
        }
        if !token.starts_with(|c: char| c.is_ascii_uppercase()) || words.len() == 2 {
            break;
        }
        let mut word = String::new();
        for (i, c) in token.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                word.push('-');
            }
            word.push(c.to_ascii_lowercase());
        }
        words.push(word);
    }
    words.join(" ")
}

/// True for a command that only reads the wallet: it works while another process holds
/// the wallet (reading without the lock, saving nothing).
pub fn only_reads(command: &Command) -> bool {
    use super::args::{ChannelCommand, PaymentsCommand, ServerCommand};
    matches!(
        command,
        Command::Status
            | Command::Address { .. }
            | Command::Wallet(
                WalletCommand::Balance
                    | WalletCommand::Transactions { .. }
                    | WalletCommand::Utxos { .. }
                    | WalletCommand::Info
                    | WalletCommand::Backup { .. }
            )
            | Command::Channel(ChannelCommand::List { .. } | ChannelCommand::Show { .. })
            | Command::Payments(PaymentsCommand::List(_) | PaymentsCommand::Show { .. })
            | Command::Server(ServerCommand::Info { .. })
    )
}

/// Runs one command (not `repl`, which the caller handles).
pub fn run(ctx: &mut Context, command: Command) -> CliResult<()> {
    let out = ctx.out;
    ctx.reading = only_reads(&command);
    ctx.ledger_only = matches!(command, Command::Regtest(_));
    ctx.command = match ctx.in_repl {
        true => format!("repl {}", name(&command)),
        false => name(&command),
    };
    match command {
        Command::Demo { keep } => out.result(&super::demo::run(out, keep)?),
        Command::Init(args) => out.result(&init(ctx, args)?),
        Command::Wallet(cmd) => wallet(ctx, cmd)?,
        Command::Passphrase(PassphraseCommand::Change {
            new_passphrase_file,
        }) => out.result(&passphrase_change(ctx, new_passphrase_file)?),
        Command::Regtest(cmd) => regtest(ctx, cmd)?,
        Command::Completions { shell } => {
            let mut cmd = <super::args::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "asyncpay", &mut std::io::stdout());
        }
        Command::Status => super::status::status(ctx)?,
        Command::Address { server } => super::payment::address(ctx, server)?,
        Command::Decode { string } => out.result(&super::payment::decode(&string)?),
        Command::Pay {
            address,
            amount,
            expiry,
            package_out,
            channel,
            max_fee,
            wait,
        } => super::payments::pay(
            ctx,
            &address,
            amount.0,
            crate::client::PayOptions {
                expiry: expiry.0,
                package_out,
                channel,
                max_fee: max_fee.map(|m| m.0),
            },
            wait.map(|w| w.map(|d| d.0)),
        )?,
        Command::Receive { package, no_claim } => super::payments::receive(ctx, package, no_claim)?,
        Command::Claim { id } => super::payments::claim(ctx, id)?,
        Command::Sync => super::payments::sync(ctx)?,
        Command::Payments(cmd) => super::payments::payments(ctx, cmd)?,
        Command::Channel(cmd) => super::channel::run(ctx, cmd)?,
        Command::Server(cmd) => super::server::run(ctx, cmd)?,
        Command::Repl => return Err(CliError::usage("the REPL is already running")),
    }
    Ok(())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// init

/// Result of `init`.
#[derive(Debug, Serialize)]
pub struct InitReport {
    datadir: String,
    network: String,
    /// The chain source the wallet remembers (password shown as `***`).
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: Option<String>,
    node_id: String,
    restored: bool,
    /// The new mnemonic was shown on the terminal and the user typed some of its words back.
    mnemonic_confirmed: bool,
    /// `passphrase` or `identity_file`.
    unlock: &'static str,
}

impl Render for InitReport {
    fn human(&self) -> String {
        let what = if self.restored { "Restored" } else { "Created" };
        let mut s = format!(
            "{what} wallet in {}\nnetwork: {}\nchain:   {}\nnode id: {}\nunlock with: {}",
            self.datadir,
            self.network,
            self.chain
                .as_deref()
                .unwrap_or("none yet (pass --chain once)"),
            self.node_id,
            match self.unlock {
                "identity_file" => "the identity file",
                _ => "the passphrase",
            }
        );
        if self.mnemonic_confirmed {
            s.push_str("\nYou wrote down your mnemonic: keep it offline (`asyncpay wallet backup` shows it again)");
        } else if !self.restored {
            s.push_str(
                "\nWrite down your mnemonic now and keep it offline: asyncpay wallet backup",
            );
        }
        s
    }

    fn terse(&self) -> Option<String> {
        Some(self.node_id.clone())
    }
}

fn init(ctx: &mut Context, args: InitArgs) -> CliResult<InitReport> {
    let source = ctx.unlock_source()?;
    let settings = ctx.new_wallet_settings()?;
    let (out, work_factor) = (ctx.out, ctx.work_factor()?);
    // Refused before anything is asked (the lock is taken, and the data dir created, only
    // once everything is settled: an init stopped halfway leaves nothing behind).
    let datadir = ctx.datadir.clone();
    let exists = || {
        CliError::usage(format!("a wallet already exists in {}", datadir.display()))
            .hint("unlock it with any wallet command, or choose another --datadir")
    };
    if [crate::store::IDENTITY_FILE, crate::store::RECIPIENT_FILE]
        .iter()
        .any(|f| datadir.join(f).exists())
    {
        return Err(exists());
    }
    // Where the records will be, settled (and reachable) before anything is asked.
    let database = match &args.database {
        Some(url) => {
            let db = crate::store::Postgres::new(url)
                .map_err(|e| CliError::usage(e).hint("see `asyncpay init --help`"))?;
            db.check().map_err(store_error)?;
            Some(db)
        }
        None => None,
    };
    let seed = if args.restore {
        let words = secrets::read_mnemonic()?;
        Seed::from_phrase(&words).map_err(|e| CliError::usage(e.to_string()))?
    } else {
        Seed::generate(&crate::client::random32()?)
    };
    // How the new wallet is unlocked: an identity file, a given passphrase (a note if it is
    // weak), or one asked twice on the terminal.
    let passphrase = match source {
        Some(Unlock::IdentityFile(path)) => Err(path),
        Some(Unlock::Passphrase(p)) => {
            if let Some(why) = secrets::passphrase_weakness(p.expose_secret()) {
                out.note(&secrets::weak_warning(&why));
            }
            Ok(p)
        }
        None => Ok(secrets::prompt_passphrase("New wallet passphrase: ", true)?),
    };
    // On a terminal, a new mnemonic is shown once and checked before anything is written.
    let mnemonic_confirmed = !args.restore && secrets::interactive();
    if mnemonic_confirmed {
        secrets::confirm_mnemonic(&seed.phrase(), crate::client::random32()?)?;
    }
    let dir = ctx.data_dir()?;
    if dir.is_initialized() {
        return Err(exists());
    }
    if let Some(db) = &database {
        dir.use_database(db).map_err(store_error)?;
    }
    let (store, unlock) = match passphrase {
        Err(path) => (
            dir.create_with_identity_file(&path).map_err(|e| {
                // Creating a wallet: an unusable identity file is an input error, not a lock.
                let mut err = store_error(e);
                err.kind = ExitKind::Usage;
                err
            })?,
            "identity_file",
        ),
        Ok(p) => (
            create_with_passphrase(out, work_factor, dir, &p)?,
            "passphrase",
        ),
    };
    let file = SeedFile {
        mnemonic: seed.phrase().to_string(),
        network: ctx.network.to_string(),
        created_at: now(),
        bip39_seed: Some(crate::protocol::hex::encode(seed.bip39_seed())),
    };
    store
        .transaction(|tx| {
            tx.save(&file)?;
            tx.save(&settings)
        })
        .map_err(store_error)?;
    let plain = settings.plain()?;
    plain.write(&ctx.datadir)?;
    ctx.set_store(store, settings);
    // A new seed was paid nothing before now: its wallet's first sync starts at the tip
    // (without a reachable chain source, it scans from genesis later, as a restore does).
    if !args.restore {
        let birthday = ctx
            .engine_with_chain()
            .and_then(|e| e.create_onchain_at_tip().map_err(Into::into));
        if let Err(e) = birthday {
            out.note(&format!(
                "the wallet's first sync will scan the chain from its start: {}",
                e.message
            ));
        }
    }
    Ok(InitReport {
        datadir: ctx.datadir.display().to_string(),
        network: ctx.network.to_string(),
        chain: plain.chain,
        node_id: seed.keys(ctx.network).node_id().to_string(),
        restored: args.restore,
        mnemonic_confirmed,
        unlock,
    })
}

fn create_with_passphrase(
    out: Output,
    work_factor: u8,
    dir: &DataDir,
    passphrase: &age::secrecy::SecretString,
) -> CliResult<Store> {
    let spinner = out.spinner("protecting the storage key with scrypt");
    let store = dir.create_with_passphrase(passphrase, work_factor);
    spinner.finish_and_clear();
    store.map_err(store_error)
}

// ---------------------------------------------------------------------------------------
// wallet

pub(super) fn wallet_error(e: WalletError) -> CliError {
    ClientError::from(e).into()
}

/// `wallet address`.
#[derive(Debug, Serialize)]
pub struct AddressReport {
    address: String,
    index: u32,
}

impl Render for AddressReport {
    fn human(&self) -> String {
        self.address.clone()
    }
}

/// `wallet balance`, in satoshis.
#[derive(Debug, Serialize)]
pub struct BalanceReport {
    confirmed_sat: u64,
    trusted_pending_sat: u64,
    untrusted_pending_sat: u64,
    immature_sat: u64,
    spendable_sat: u64,
    total_sat: u64,
    tip_height: u32,
}

impl Render for BalanceReport {
    fn human(&self) -> String {
        let b = units::sat;
        format!(
            "confirmed:   {}\npending:     {} (own change) + {} (incoming)\nimmature:    {}\nspendable:   {}\ntotal:       {}\nchain tip:   {}",
            b(self.confirmed_sat),
            b(self.trusted_pending_sat),
            b(self.untrusted_pending_sat),
            b(self.immature_sat),
            b(self.spendable_sat),
            b(self.total_sat),
            self.tip_height
        )
    }
}

/// `wallet send`.
#[derive(Debug, Serialize)]
pub struct SendReport {
    txid: Txid,
    amount_sat: u64,
    fee_sat: u64,
    address: String,
}

impl Render for SendReport {
    fn human(&self) -> String {
        format!(
            "sent {} to {} (fee {})\ntxid: {}",
            units::sat(self.amount_sat),
            self.address,
            units::sat(self.fee_sat),
            self.txid
        )
    }
}

/// One transaction in `wallet transactions`.
#[derive(Debug, Serialize)]
pub struct TxRow {
    txid: Txid,
    /// What it did to the balance: received minus sent (negative: money left).
    net_sat: i64,
    /// The wallet's coins it spends.
    sent_sat: u64,
    /// Its outputs paying the wallet.
    received_sat: u64,
    /// Its fee, when all its inputs are the wallet's (`null` for coinbases and payments
    /// from others).
    fee_sat: Option<u64>,
    /// Its block height, `null` while unconfirmed.
    confirmation_height: Option<u32>,
    /// Its block's time (unix seconds), `null` while unconfirmed.
    confirmed_at: Option<u64>,
    is_coinbase: bool,
}

/// `wallet transactions`: newest first.
#[derive(Debug, Serialize)]
pub struct TransactionsReport {
    transactions: Vec<TxRow>,
    /// How many older ones `--limit` left out.
    hidden: usize,
    #[serde(skip)]
    now: u64,
}

impl Render for TransactionsReport {
    fn human(&self) -> String {
        if self.transactions.is_empty() {
            return "(no transactions)".to_owned();
        }
        let ids: Vec<String> = self
            .transactions
            .iter()
            .map(|t| t.txid.to_string())
            .collect();
        let len = crate::client::ids::short_len(ids.iter().map(String::as_str));
        let mut table = Table::new(&[
            ("TXID", Align::Left),
            ("AMOUNT", Align::Right),
            ("FEE", Align::Right),
            ("BLOCK", Align::Right),
            ("CONFIRMED", Align::Left),
        ]);
        for (t, id) in self.transactions.iter().zip(&ids) {
            table.row(vec![
                text::short(id, len),
                units::signed_sat(t.net_sat),
                t.fee_sat.map_or("-".into(), units::sat),
                t.confirmation_height.map_or("-".into(), |h| h.to_string()),
                match t.confirmed_at {
                    Some(at) => units::when(at, self.now),
                    None => text::status("unconfirmed"),
                },
            ]);
        }
        let mut s = table.render();
        if let Some(note) = text::hidden_note(self.hidden, "older transaction", "raise --limit") {
            s.push('\n');
            s.push_str(&note);
        }
        s
    }
}

/// One output in `wallet utxos`.
#[derive(Debug, Serialize)]
pub struct UtxoRow {
    outpoint: String,
    amount_sat: u64,
    /// Its block height, `null` while unconfirmed.
    confirmation_height: Option<u32>,
    /// `receive` or `change`.
    keychain: crate::wallet::Keychain,
    /// Its derivation index on that chain.
    index: u32,
}

/// `wallet utxos`.
#[derive(Debug, Serialize)]
pub struct UtxosReport {
    utxos: Vec<UtxoRow>,
    /// How many `--limit` left out.
    hidden: usize,
}

impl Render for UtxosReport {
    fn human(&self) -> String {
        if self.utxos.is_empty() {
            return "(no unspent outputs)".to_owned();
        }
        let ids: Vec<&str> = self.utxos.iter().map(|u| u.outpoint.as_str()).collect();
        let len = crate::client::ids::short_len(ids.iter().copied());
        let mut table = Table::new(&[
            ("OUTPOINT", Align::Left),
            ("AMOUNT", Align::Right),
            ("BLOCK", Align::Right),
            ("KEYCHAIN", Align::Left),
        ]);
        for u in &self.utxos {
            let (txid, vout) = u.outpoint.split_once(':').unwrap_or((&u.outpoint, "?"));
            table.row(vec![
                format!("{}:{vout}", text::short(txid, len)),
                units::sat(u.amount_sat),
                u.confirmation_height
                    .map_or_else(|| text::status("unconfirmed"), |h| h.to_string()),
                format!("{} {}", u.keychain.name(), u.index),
            ]);
        }
        let mut s = table.render();
        if let Some(note) = text::hidden_note(self.hidden, "output", "raise --limit") {
            s.push('\n');
            s.push_str(&note);
        }
        s
    }
}

fn limited<T>(mut items: Vec<T>, limit: Option<usize>) -> (Vec<T>, usize) {
    let total = items.len();
    if let Some(limit) = limit {
        items.truncate(limit);
    }
    let hidden = total - items.len();
    (items, hidden)
}

/// `wallet backup`.
#[derive(Serialize)]
pub struct BackupReport {
    mnemonic: String,
}

impl Drop for BackupReport {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.mnemonic);
    }
}

impl Render for BackupReport {
    fn human(&self) -> String {
        let words: Vec<String> = self
            .mnemonic
            .split(' ')
            .enumerate()
            .map(|(i, w)| format!("{:>2}. {w}", i + 1))
            .collect();
        format!(
            "Your mnemonic. Anyone who sees it can take your funds; write it down offline.\n{}",
            words.join("\n")
        )
    }
}

/// `wallet info`.
#[derive(Debug, Serialize)]
pub struct InfoReport {
    datadir: String,
    network: String,
    /// The chain source the wallet remembers (password shown as `***`).
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: Option<String>,
    /// The default server the wallet remembers.
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    node_id: String,
    mailbox_recipient: String,
    storage_recipient: String,
    /// Where the records are: `records.sqlite`'s path, or the PostgreSQL URL and schema.
    records: String,
    /// The least confirmation budget a server must publish for a sale (`wallet
    /// set-min-budget`).
    min_confirmation_budget: u16,
    /// The least minimum depth a server may set for a channel it funds (`wallet
    /// set-min-depth`).
    min_funding_depth: u16,
}

impl Render for InfoReport {
    fn human(&self) -> String {
        format!(
            "data dir:          {}\nnetwork:           {}\nchain:             {}\nserver:            {}\nnode id:           {}\nmailbox recipient: {}\nstorage recipient: {}\nrecords:           {}\nmin budget:        {} blocks (a server's confirmation budget below it is refused)\nmin depth:         {} blocks (a server funding a channel with fewer is refused)",
            self.datadir,
            self.network,
            self.chain.as_deref().unwrap_or("(none yet)"),
            self.server.as_deref().unwrap_or("(none yet)"),
            self.node_id,
            self.mailbox_recipient,
            self.storage_recipient,
            self.records,
            self.min_confirmation_budget,
            self.min_funding_depth
        )
    }
}

fn invalid_address(s: &str, e: bitcoin::address::ParseError) -> CliError {
    CliError::usage(format!(
        "invalid address '{s}': not a Bitcoin address ({e})"
    ))
    .hint("copy the address again; regtest addresses start with bcrt1")
}

pub(super) fn parse_address(s: &str, network: Network) -> CliResult<Address> {
    let unchecked = Address::<NetworkUnchecked>::from_str(s).map_err(|e| invalid_address(s, e))?;
    unchecked.require_network(network).map_err(|_| {
        CliError::usage(format!("address '{s}' is not a {network} address")).hint(format!(
            "use an address of the wallet's network ({network})"
        ))
    })
}

fn wallet(ctx: &mut Context, cmd: WalletCommand) -> CliResult<()> {
    let out = ctx.out;
    if let WalletCommand::Backup { force } = cmd {
        if !force && !std::io::stdout().is_terminal() {
            return Err(CliError::usage(
                "refusing to print the mnemonic to something that is not a terminal",
            )
            .hint("pass --force if you really mean to write it there"));
        }
        let w = ctx.engine()?;
        out.result(&BackupReport {
            mnemonic: w.seed().phrase().to_string(),
        });
        return Ok(());
    }
    if let WalletCommand::Upgrade = cmd {
        let files = ctx.upgrade_store()?;
        let datadir = ctx.datadir.clone();
        let w = ctx.engine()?;
        out.result(&UpgradeReport {
            node_id: w.keys().node_id().to_string(),
            migrated: files
                .iter()
                .map(|f| f.strip_prefix(&datadir).unwrap_or(f).display().to_string())
                .collect(),
        });
        return Ok(());
    }
    if let WalletCommand::SetChain { spec } = cmd {
        out.result(&set_chain(ctx, &spec)?);
        return Ok(());
    }
    if let WalletCommand::MoveRecords { target } = cmd {
        out.result(&move_records(ctx, &target)?);
        return Ok(());
    }
    if let WalletCommand::SetMinBudget { blocks } = cmd {
        let w = ctx.engine()?;
        let previous = w.payee_policy()?.min_confirmation_budget;
        let now = w
            .set_min_confirmation_budget(blocks)?
            .min_confirmation_budget;
        out.result(&SetMinBudgetReport {
            previous,
            min_confirmation_budget: now,
        });
        return Ok(());
    }
    if let WalletCommand::SetMinDepth { blocks } = cmd {
        let w = ctx.engine()?;
        let previous = w.min_funding_depth()?;
        let min_funding_depth = w.set_min_funding_depth(blocks)?;
        out.result(&SetMinDepthReport {
            previous,
            min_funding_depth,
        });
        return Ok(());
    }
    if let WalletCommand::Info = cmd {
        ctx.store()?;
        let network = ctx.network;
        let datadir = ctx.datadir.display().to_string();
        let plain = ctx.settings().map(|s| s.plain()).transpose()?;
        let records = crate::store::records_location(&ctx.datadir).map_err(store_error)?;
        let w = ctx.engine()?;
        out.result(&InfoReport {
            datadir,
            network: network.to_string(),
            chain: plain.as_ref().and_then(|p| p.chain.clone()),
            server: plain.and_then(|p| p.server),
            node_id: w.keys().node_id().to_string(),
            mailbox_recipient: w.keys().mailbox_identity().to_public().to_string(),
            storage_recipient: w.store().recipient().to_string(),
            records,
            min_confirmation_budget: w.payee_policy()?.min_confirmation_budget,
            min_funding_depth: w.min_funding_depth()?,
        });
        return Ok(());
    }
    let w = ctx.engine_with_chain()?;
    let source = w.chain()?;
    let (mut wallet, state) = w.onchain()?;
    match cmd {
        WalletCommand::Address => {
            let a = wallet.next_address();
            w.save_onchain(&mut wallet, state)?;
            out.result(&AddressReport {
                address: a.address.to_string(),
                index: a.index,
            });
        }
        WalletCommand::Balance => {
            w.save_onchain(&mut wallet, state)?;
            let b = wallet.balance();
            out.result(&BalanceReport {
                confirmed_sat: b.confirmed.to_sat(),
                trusted_pending_sat: b.trusted_pending.to_sat(),
                untrusted_pending_sat: b.untrusted_pending.to_sat(),
                immature_sat: b.immature.to_sat(),
                spendable_sat: b.spendable().to_sat(),
                total_sat: b.total().to_sat(),
                tip_height: wallet.synced_tip().0,
            });
        }
        WalletCommand::Send {
            address,
            amount,
            all,
            fee_rate,
        } => {
            let dest = Address::<NetworkUnchecked>::from_str(&address)
                .map_err(|e| invalid_address(&address, e))?;
            let tx = match amount {
                Some(amount) if !all => wallet.send(&dest, amount.0, fee_rate.0),
                _ => wallet.send_all(&dest, fee_rate.0),
            }
            .map_err(wallet_error)?;
            // What the destination gets: the amount, or with --all the one output.
            let script = dest.assume_checked_ref().script_pubkey();
            let amount = tx
                .output
                .iter()
                .filter(|o| o.script_pubkey == script)
                .map(|o| o.value)
                .sum::<Amount>();
            let fee = wallet.bdk().calculate_fee(&tx).unwrap_or(Amount::ZERO);
            let txid = wallet.broadcast(source, &tx).map_err(wallet_error)?;
            w.save_onchain(&mut wallet, state).map_err(|e| {
                CliError::failed(format!(
                    "payment {txid} was broadcast, but saving the wallet state failed: {}",
                    e.message
                ))
                .hint("do not send it again: the next command's sync finds the transaction")
            })?;
            out.result(&SendReport {
                txid,
                amount_sat: amount.to_sat(),
                fee_sat: fee.to_sat(),
                address,
            });
        }
        WalletCommand::Transactions { limit } => {
            w.save_onchain(&mut wallet, state)?;
            let rows = wallet
                .transactions()
                .into_iter()
                .map(|t| TxRow {
                    txid: t.txid,
                    net_sat: t.net.to_sat(),
                    sent_sat: t.sent.to_sat(),
                    received_sat: t.received.to_sat(),
                    fee_sat: t.fee.map(Amount::to_sat),
                    confirmation_height: t.confirmation.as_ref().map(|c| c.height),
                    confirmed_at: t.confirmation.as_ref().map(|c| c.time),
                    is_coinbase: t.is_coinbase,
                })
                .collect();
            let (transactions, hidden) = limited(rows, limit);
            out.result(&TransactionsReport {
                transactions,
                hidden,
                now: units::now(),
            });
        }
        WalletCommand::Utxos { limit } => {
            w.save_onchain(&mut wallet, state)?;
            let rows = wallet
                .utxos()
                .into_iter()
                .map(|u| UtxoRow {
                    outpoint: u.outpoint.to_string(),
                    amount_sat: u.amount.to_sat(),
                    confirmation_height: u.confirmation_height,
                    keychain: u.keychain,
                    index: u.index,
                })
                .collect();
            let (utxos, hidden) = limited(rows, limit);
            out.result(&UtxosReport { utxos, hidden });
        }
        WalletCommand::Backup { .. }
        | WalletCommand::Info
        | WalletCommand::Upgrade
        | WalletCommand::SetChain { .. }
        | WalletCommand::SetMinBudget { .. }
        | WalletCommand::SetMinDepth { .. }
        | WalletCommand::MoveRecords { .. } => {
            unreachable!("handled above")
        }
    }
    Ok(())
}

/// `wallet set-chain`.
#[derive(Debug, Serialize)]
pub struct SetChainReport {
    /// The chain source before (password shown as `***`).
    previous: Option<String>,
    /// The chain source now.
    chain: String,
    /// The new source's tip height.
    tip_height: u32,
}

impl Render for SetChainReport {
    fn human(&self) -> String {
        format!(
            "chain source: {} (was {}); its tip is at height {}",
            self.chain,
            self.previous.as_deref().unwrap_or("none"),
            self.tip_height
        )
    }
}

/// `wallet set-min-budget`.
#[derive(Debug, Serialize)]
pub struct SetMinBudgetReport {
    /// The floor before.
    previous: u16,
    /// The floor now.
    min_confirmation_budget: u16,
}

impl Render for SetMinBudgetReport {
    fn human(&self) -> String {
        format!(
            "payments are sold only into servers whose confirmation budget is at least {} \
             blocks (was {})",
            self.min_confirmation_budget, self.previous
        )
    }
}

/// `wallet set-min-depth`.
#[derive(Debug, Serialize)]
pub struct SetMinDepthReport {
    /// The floor before.
    previous: u16,
    /// The floor now.
    min_funding_depth: u16,
}

impl Render for SetMinDepthReport {
    fn human(&self) -> String {
        format!(
            "inbound channels are opened only with servers that wait for at least {} \
             confirmation(s) of their funding (was {})",
            self.min_funding_depth, self.previous
        )
    }
}

/// `wallet set-chain SPEC`: checks that SPEC serves the wallet's network, then remembers it.
fn set_chain(ctx: &mut Context, spec: &str) -> CliResult<SetChainReport> {
    if ctx.global.chain.is_some() {
        return Err(CliError::usage(
            "`wallet set-chain` takes the new chain source as its argument; drop --chain (and ASYNCPAY_CHAIN)",
        ));
    }
    let new: ChainSpec = spec
        .parse()
        .map(super::settings::absolute_chain)
        .map_err(|e| CliError::usage(format!("invalid chain source: {e}")))?;
    if let ChainSpec::Regtest(dir) = &new {
        if !dir.join(crate::chain::store::DATABASE_FILE).exists()
            && !dir.join(crate::chain::store::STATE_FILE).exists()
        {
            return Err(CliError::usage(format!(
                "there is no regtest ledger in {}",
                dir.display()
            ))
            .hint("give the directory of the ledger the wallet's coins are on"));
        }
    }
    ctx.store()?;
    let Some(mut settings) = ctx.settings().cloned() else {
        return Err(CliError::failed("the wallet's settings could not be read"));
    };
    let chain_error =
        |e: crate::chain::source::ChainSourceError| CliError::from(ClientError::from(e));
    let source = new.connect().map_err(chain_error)?;
    let network = source.network().map_err(chain_error)?;
    if network != ctx.network {
        return Err(CliError::usage(format!(
            "the chain source {new} serves {network}, but the wallet is on {}",
            ctx.network
        ))
        .hint("give a chain source of the wallet's network"));
    }
    let tip_height = source.tip_height().map_err(chain_error)?;
    let previous = settings.plain()?.chain;
    settings.chain = Some(new.to_spec_string());
    ctx.save_settings(settings)?;
    Ok(SetChainReport {
        previous,
        chain: new.to_string(),
        tip_height,
    })
}

/// `wallet move-records`.
#[derive(Debug, Serialize)]
pub struct MoveRecordsReport {
    /// Where the records were.
    from: String,
    /// Where they are now.
    to: String,
    /// How many records moved.
    records: usize,
    /// The old copy, if it could not be destroyed (remove it by hand).
    left_behind: Option<String>,
}

impl Render for MoveRecordsReport {
    fn human(&self) -> String {
        let mut s = format!(
            "moved {} records from {} to {}",
            self.records, self.from, self.to
        );
        if let Some(left) = &self.left_behind {
            s.push_str(&format!("\nthe old copy is still at {left}: remove it"));
        }
        s
    }
}

/// `wallet move-records TARGET`.
fn move_records(ctx: &mut Context, target: &str) -> CliResult<MoveRecordsReport> {
    let to = match target {
        "sqlite" => None,
        url => {
            let pg = crate::store::Postgres::new(url)
                .map_err(|e| CliError::usage(e).hint("give a PostgreSQL URL, or `sqlite`"))?;
            pg.check().map_err(store_error)?;
            Some(pg)
        }
    };
    ctx.store()?;
    let Some(settings) = ctx.settings().cloned() else {
        return Err(CliError::failed("the wallet's settings could not be read"));
    };
    let store = ctx.take_store().expect("unlocked above");
    // No other handle of the old database may stay open in this process.
    ctx.forget_store();
    let dir = ctx.data_dir()?;
    let from = dir.records_location().map_err(store_error)?;
    if to.is_none() && !dir.path().join(crate::store::DATABASE_FILE).exists() {
        return Err(CliError::usage(format!(
            "the records are in {from} already"
        )));
    }
    let crate::store::Moved {
        store,
        records,
        left_behind: left,
    } = dir.move_records(store, to.as_ref()).map_err(store_error)?;
    let to = dir.records_location().map_err(store_error)?;
    if let Some((old, why)) = &left {
        ctx.out
            .note(&format!("could not destroy the old copy at {old}: {why}"));
    }
    ctx.set_store(store, settings);
    Ok(MoveRecordsReport {
        from,
        to,
        records,
        left_behind: left.map(|(old, _)| old),
    })
}

/// `wallet upgrade`.
#[derive(Debug, Serialize)]
pub struct UpgradeReport {
    node_id: String,
    /// The state files of an older release moved into `records.sqlite` (relative to the
    /// data dir).
    migrated: Vec<String>,
}

impl Render for UpgradeReport {
    fn human(&self) -> String {
        if self.migrated.is_empty() {
            return format!(
                "nothing to upgrade: every record is in records.sqlite (node {})",
                self.node_id
            );
        }
        format!(
            "moved {} file(s) of node {} into records.sqlite: {}",
            self.migrated.len(),
            self.node_id,
            self.migrated.join(", ")
        )
    }
}

// ---------------------------------------------------------------------------------------
// passphrase

/// `passphrase change`.
#[derive(Debug, Serialize)]
pub struct PassphraseReport {
    changed: bool,
}

impl Render for PassphraseReport {
    fn human(&self) -> String {
        "Passphrase changed. The state files did not need re-encryption.".to_owned()
    }
}

fn passphrase_change(
    ctx: &mut Context,
    new_file: Option<std::path::PathBuf>,
) -> CliResult<PassphraseReport> {
    let current = match ctx.unlock_source()? {
        Some(u) => u,
        None => Unlock::Passphrase(secrets::prompt_passphrase("Current passphrase: ", false)?),
    };
    let new = match new_file {
        Some(path) => {
            let global = super::args::GlobalArgs {
                passphrase_file: Some(path),
                passphrase_fd: None,
                ..ctx.global.clone()
            };
            let new = secrets::passphrase_from_args(&global)?.expect("a file was given");
            if let Some(why) = secrets::passphrase_weakness(new.expose_secret()) {
                ctx.out.note(&secrets::weak_warning(&why));
            }
            new
        }
        None => secrets::prompt_passphrase("New passphrase: ", true)?,
    };
    if let Unlock::Passphrase(old) = &current {
        if old.expose_secret() == new.expose_secret() {
            return Err(CliError::usage("the new passphrase is the current one"));
        }
    }
    let (out, work_factor, datadir) = (ctx.out, ctx.work_factor()?, ctx.datadir.clone());
    let dir = ctx.data_dir()?;
    if !dir.is_initialized() {
        return Err(
            CliError::usage(format!("no wallet in {}", datadir.display()))
                .hint("create one with `asyncpay init`"),
        );
    }
    let spinner = out.spinner("re-protecting the storage key");
    let changed = dir.change_passphrase(&current, &new, work_factor);
    spinner.finish_and_clear();
    changed.map_err(store_error)?;
    ctx.forget_store();
    Ok(PassphraseReport { changed: true })
}

// ---------------------------------------------------------------------------------------
// regtest

fn ledger(ctx: &Context) -> CliResult<Ledger> {
    match ctx.chain_spec()? {
        ChainSpec::Regtest(dir) => Ledger::open(&dir).map_err(|e| {
            let message = format!("cannot open the regtest ledger in {}: {e}", dir.display());
            match e {
                LedgerError::Corrupt { .. } => {
                    CliError::new(ExitKind::Data, message).hint(CORRUPT_LEDGER_HINT)
                }
                _ => CliError::failed(message),
            }
        }),
        other => Err(CliError::usage(format!(
            "`regtest` commands work on the local regtest ledger, but the chain is {other}"
        ))
        .hint("use bitcoin-cli against a bitcoind node, or pass --chain regtest:DIR")),
    }
}

/// `regtest info` and the result of `mine` / `fund`.
#[derive(Debug, Serialize)]
pub struct LedgerReport {
    ledger: String,
    height: u32,
    tip: String,
    /// The tip's block time, unix seconds.
    tip_at: u32,
    mempool: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    funded: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mined: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<VerifiedReport>,
}

/// What `regtest verify` re-validated.
#[derive(Debug, Serialize)]
pub struct VerifiedReport {
    from_height: u32,
    to_height: u32,
    transactions: u64,
    /// Whether every row of the UTXO table was accounted for (the whole chain verified).
    whole_chain: bool,
}

impl Render for LedgerReport {
    fn human(&self) -> String {
        let mut s = String::new();
        if let Some(outpoint) = &self.funded {
            s.push_str(&format!("funded: {outpoint}\n"));
        }
        if !self.mined.is_empty() {
            s.push_str(&format!("mined {} block(s)\n", self.mined.len()));
        }
        if let Some(v) = &self.verified {
            s.push_str(&format!(
                "verified: blocks {} to {} ({} transaction(s)){}\n",
                v.from_height,
                v.to_height,
                v.transactions,
                if v.whole_chain {
                    ", every output accounted for"
                } else {
                    ""
                }
            ));
        }
        s.push_str(&format!(
            "ledger:  {}\nheight:  {}\ntip:     {}\nmempool: {} transaction(s)",
            self.ledger, self.height, self.tip, self.mempool
        ));
        s
    }

    fn terse(&self) -> Option<String> {
        match (&self.funded, self.mined.is_empty()) {
            (Some(outpoint), _) => Some(outpoint.clone()),
            (None, false) => Some(self.mined.join("\n")),
            (None, true) => None,
        }
    }
}

fn ledger_report(ledger: &Ledger) -> CliResult<LedgerReport> {
    let fail = |e: crate::chain::LedgerError| CliError::failed(e.to_string());
    let tip = ledger.tip().map_err(fail)?;
    Ok(LedgerReport {
        ledger: ledger.dir().display().to_string(),
        height: tip.height,
        tip: tip.hash.to_string(),
        tip_at: tip.time,
        mempool: ledger.mempool().map_err(fail)?.len(),
        funded: None,
        mined: Vec::new(),
        verified: None,
    })
}

fn regtest(ctx: &mut Context, cmd: RegtestCommand) -> CliResult<()> {
    if ctx.network != Network::Regtest {
        return Err(CliError::usage("`regtest` commands need --network regtest"));
    }
    let ledger = ledger(ctx)?;
    let fail = |e: crate::chain::LedgerError| match e.rejection() {
        Some(r) => CliError::failed(format!("the ledger rejected the transaction: {r}")),
        None => CliError::failed(e.to_string()),
    };
    let report = match cmd {
        RegtestCommand::Info => ledger_report(&ledger)?,
        RegtestCommand::Verify { blocks } => {
            let v = ledger.verify(blocks).map_err(fail)?;
            let mut r = ledger_report(&ledger)?;
            r.verified = Some(VerifiedReport {
                from_height: v.from_height,
                to_height: v.to_height,
                transactions: v.transactions,
                whole_chain: v.whole,
            });
            r
        }
        RegtestCommand::Mine { blocks, to } => {
            let to = to
                .map(|a| parse_address(&a, Network::Regtest).map(|a| a.script_pubkey()))
                .transpose()?;
            let hashes = ledger.mine(blocks, to).map_err(fail)?;
            let mut r = ledger_report(&ledger)?;
            r.mined = hashes.iter().map(ToString::to_string).collect();
            r
        }
        RegtestCommand::Fund { address, amount } => {
            let dest = parse_address(&address, Network::Regtest)?;
            let outpoint = ledger.fund(&dest.script_pubkey(), amount.0).map_err(fail)?;
            let mut r = ledger_report(&ledger)?;
            r.funded = Some(outpoint.to_string());
            r
        }
    };
    ctx.out.result(&report);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn command(args: &[&str]) -> Command {
        let argv = std::iter::once("asyncpay").chain(args.iter().copied());
        super::super::args::Cli::parse_from(argv)
            .command
            .expect("a command")
    }

    #[test]
    fn a_command_is_named_as_typed_and_never_by_its_values() {
        for (args, name_) in [
            (&["server", "run"][..], "server run"),
            (&["wallet", "balance"], "wallet balance"),
            (&["init"], "init"),
            (
                &["channel", "request-inbound", "http://x:1", "1000"],
                "channel request-inbound",
            ),
            (&["pay", "Rasp1SECRET", "1000", "--wait=1m"], "pay"),
            (&["server", "sales", "list"], "server sales"),
            (&["wallet", "set-chain", "regtest:/Tmp"], "wallet set-chain"),
        ] {
            assert_eq!(name(&command(args)), name_, "{args:?}");
        }
        assert!(only_reads(&command(&["wallet", "balance"])));
        assert!(only_reads(&command(&["server", "info"])));
        assert!(!only_reads(&command(&["wallet", "address"])));
        assert!(!only_reads(&command(&["pay", "x", "1"])));
    }
}
