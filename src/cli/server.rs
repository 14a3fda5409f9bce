//! `asyncpay server init|run|info|status|sales`: this wallet as the server S. `server
//! status` and `server sales` talk to the running `server run` over its operator routes
//! (`docs/api.md`, "Operator"), signed with S's node key, and unlock the wallet read-only so
//! that they work while `server run` holds the data dir
//! (docs/adr/0003-operator-requests.md).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;

use super::args::{RunningServer, SalesCommand, ServerCommand};
use super::context::{store_error, Context};
use super::error::{CliError, CliResult, ExitKind};
use super::output::Render;
use super::text::{self, Align, Table};
use crate::client::ids::{self, IdError};
use crate::keys::WalletKeys;
use crate::net::client::Client;
use crate::net::server::{AuthState, ServerConfig, ServerHandle, TlsFiles};
use crate::net::NetError;
use crate::payment::PaymentId;
use crate::server::api::{OperatorSale, OperatorStatus, QueuedSales};
use crate::server::mailbox::Mailbox;
use crate::server::watcher::{FdReserve, RESERVE_FDS, RETRY_BACKOFF};
use crate::server::{ServerChannel, ServerCore, ServerInfo, ServerSettings};
use crate::units;

/// Runs a `server` subcommand.
pub fn run(ctx: &mut Context, cmd: ServerCommand) -> CliResult<()> {
    let out = ctx.out;
    match cmd {
        ServerCommand::Init {
            listen,
            shared_delay,
            min_shared_delay,
            inbound_shared_delay,
            confirmation_budget,
            max_capacity,
            dust_limit,
            min_confirmations,
            fee_ppm,
            no_inbound,
            inbound,
            inbound_allow,
            inbound_stake_pct,
            max_inbound,
            max_unfunded_per_node,
            max_unfunded,
            open_expiry_blocks,
            idle_inbound_blocks,
            inbound_notice_blocks,
        } => {
            parse_listen(&listen)?;
            if min_shared_delay < crate::eltoo::MIN_SHARED_DELAY || shared_delay < min_shared_delay
            {
                return Err(CliError::usage(format!(
                    "--shared-delay {shared_delay} and --min-shared-delay {min_shared_delay} must satisfy {} <= min <= shared-delay",
                    crate::eltoo::MIN_SHARED_DELAY
                )));
            }
            let w = ctx.engine()?;
            let mut settings: ServerSettings =
                w.store().load().map_err(store_error)?.unwrap_or_default();
            settings.listen = listen;
            settings.policy.shared_delay = shared_delay;
            settings.policy.min_shared_delay = min_shared_delay;
            settings.policy.max_shared_delay = settings.policy.max_shared_delay.max(shared_delay);
            settings.policy.max_capacity_sat = max_capacity.0.to_sat();
            settings.policy.dust_limit_sat = dust_limit.0.to_sat();
            settings.policy.minimum_depth = min_confirmations;
            settings.policy.fee_ppm = fee_ppm;
            settings.policy.server_funds = !no_inbound;
            let limits = &mut settings.limits;
            limits.inbound = inbound;
            limits.inbound_allow = inbound_allow;
            limits.inbound_stake_pct = inbound_stake_pct;
            limits.max_inbound_sat = max_inbound.0.to_sat();
            limits.max_unfunded_per_node = max_unfunded_per_node;
            limits.max_unfunded = max_unfunded;
            limits.open_expiry_blocks = open_expiry_blocks;
            limits.idle_inbound_blocks = idle_inbound_blocks;
            limits.inbound_notice_blocks = inbound_notice_blocks;
            settings.policy.inbound_shared_delay = inbound_shared_delay;
            settings.policy.confirmation_budget = confirmation_budget;
            use crate::client::{MAX_ACCEPTED_SHARED_DELAY, MIN_ACCEPTED_SHARED_DELAY};
            let accepted = MIN_ACCEPTED_SHARED_DELAY..=MAX_ACCEPTED_SHARED_DELAY;
            for (flag, delay) in [
                ("--shared-delay", shared_delay),
                ("--inbound-shared-delay", inbound_shared_delay),
            ] {
                if !accepted.contains(&delay) {
                    // Another client may accept it; ours will not.
                    out.note(&format!(
                        "warning: {flag} {delay}: asyncpay clients accept a shared_delay of \
                         {MIN_ACCEPTED_SHARED_DELAY} to {MAX_ACCEPTED_SHARED_DELAY} blocks and \
                         refuse such channels"
                    ));
                }
            }
            settings.policy.check_timing().map_err(|e| {
                CliError::usage(e)
                    .hint("raise --shared-delay, or lower --inbound-shared-delay or --confirmation-budget")
            })?;
            w.store().save(&settings).map_err(store_error)?;
            out.result(&SettingsReport {
                node_id: w.keys().node_id().to_string(),
                channels: None,
                hidden: None,
                settings,
            });
        }
        ServerCommand::Info { all } => {
            let w = ctx.engine()?;
            let settings: ServerSettings = w
                .store()
                .load()
                .map_err(store_error)?
                .ok_or_else(not_server)?;
            let store = w.store();
            let mut channels = Vec::new();
            for key in store.keys_of::<ServerChannel>().map_err(store_error)? {
                if let Some(ch) = store
                    .load_keyed::<ServerChannel>(&key)
                    .map_err(store_error)?
                {
                    channels.push(ServerChannelRow::of(&ch));
                }
            }
            let total = channels.len();
            channels.retain(|c| all || !matches!(c.status, "closed" | "abandoned"));
            out.result(&SettingsReport {
                node_id: w.keys().node_id().to_string(),
                hidden: Some(total - channels.len()),
                channels: Some(channels),
                settings,
            });
        }
        ServerCommand::Run {
            listen,
            tls_cert,
            tls_key,
            watch_interval_ms,
            manual,
            verbose,
            standby,
        } => {
            if verbose && out.quiet {
                return Err(CliError::usage(
                    "--verbose and --quiet contradict each other; pass one",
                ));
            }
            init_log(verbose, out.quiet);
            // A bad --listen fails before anything is opened.
            let listen = listen.as_deref().map(parse_listen).transpose()?;
            let mut service = Service::new()?;
            if standby && !service.take_over(ctx)? {
                return Ok(());
            }
            // After another copy of the data dir wrote (whose replay journal is not here),
            // S refuses requests stamped up to a floor and serves once it has passed; the
            // floor is kept until then across restarts (ADR 0018).
            let store = ctx.store()?;
            let turn = store.writer_turn().map_err(store_error)?;
            if turn.copied && !standby {
                tracing::info!(
                    "another copy of this data dir wrote the records since this one did"
                );
            }
            let fresh = if standby || turn.copied {
                takeover_floor()
            } else {
                0
            };
            // A floor kept from a clock far ahead once is not waited for beyond a fresh one.
            let floor = fresh.max(turn.floor.min(takeover_floor()));
            store.take_writer_turn(floor).map_err(store_error)?;
            let floor = (floor != 0).then_some(floor);
            let core = open_core(ctx)?;
            core.set_manual(manual);
            let listen = match listen {
                Some(listen) => listen,
                None => parse_listen(&core.listen())?,
            };
            let config = ServerConfig {
                listen,
                tls: tls_cert
                    .zip(tls_key)
                    .map(|(cert_pem, key_pem)| TlsFiles { cert_pem, key_pem }),
                ..ServerConfig::default()
            };
            if floor.is_some_and(|floor| !service.serve_after(floor)) {
                return Ok(());
            }
            serve(
                service,
                Arc::new(core),
                &config,
                Duration::from_millis(watch_interval_ms),
                out.json,
                floor,
            )?;
        }
        ServerCommand::Status { server } => {
            let operator = Operator::connect(ctx, &server, "asyncpay server run")?;
            let status: OperatorStatus = operator.request(|c| c.get("/v1/admin/status"))?;
            out.result(&StatusReport {
                server: operator.url,
                status,
            });
        }
        ServerCommand::Sales(cmd) => sales(ctx, cmd)?,
    }
    Ok(())
}

/// Opens S's core from this wallet: its settings, channels and payments, and the chain.
fn open_core(ctx: &mut Context) -> CliResult<ServerCore> {
    // Unlock first: the chain source and the network are the wallet's sealed ones.
    ctx.store()?;
    let source = ctx.connect()?;
    let network = ctx.network;
    let store = ctx.store()?;
    let keys = crate::client::stored_seed(&store.read_only(), network)?.keys(network);
    store
        .load::<ServerSettings>()
        .map_err(store_error)?
        .ok_or_else(not_server)?;
    let store = ctx.take_store().expect("unlocked above");
    ServerCore::open(store, keys, network, source).map_err(|e| CliError::new(ExitKind::Data, e))
}

fn not_server() -> CliError {
    CliError::usage("this wallet is not set up as a server")
        .hint("run `asyncpay server init` first")
}

fn parse_listen(s: &str) -> CliResult<SocketAddr> {
    s.parse().map_err(|_| {
        CliError::usage(format!(
            "invalid listen address '{s}': expected IP:PORT, e.g. 127.0.0.1:9737"
        ))
    })
}

// ----- server sales -----

/// `server sales list|approve`: one signed request to the running server (two for an
/// approval by id prefix: the queued sales first, to resolve it).
fn sales(ctx: &mut Context, cmd: SalesCommand) -> CliResult<()> {
    let out = ctx.out;
    let (target, typed, limit) = match &cmd {
        SalesCommand::List { server, limit } => (server, None, *limit),
        SalesCommand::Approve { id, server } => (server, Some(id.clone()), None),
    };
    // A malformed or too short id fails before anything is unlocked or sent.
    if let Some(typed) = &typed {
        if let Err(e @ (IdError::Malformed | IdError::TooShort)) =
            ids::resolve(typed, std::iter::empty::<&str>())
        {
            return Err(ids::id_error(e, "payment", typed, "asyncpay server sales list").into());
        }
    }
    let operator = Operator::connect(ctx, target, "asyncpay server run --manual")?;
    match typed {
        None => {
            let queued: QueuedSales = operator.request(|c| c.get("/v1/admin/sales"))?;
            if !queued.sales.is_empty() {
                out.note("approve one with `asyncpay server sales approve ID`");
            }
            let total = queued.sales.len();
            let mut sales = queued.sales;
            if let Some(limit) = limit {
                sales.truncate(limit);
            }
            out.result(&SalesReport {
                server: operator.url,
                manual: queued.manual,
                now: crate::net::server::system_clock(),
                hidden: total - sales.len(),
                sales,
                quarantined: queued.quarantined,
            });
        }
        Some(typed) => {
            let id = match typed.trim().parse::<PaymentId>() {
                // A full id is sent as typed: S may hold a payment not queued yet.
                Ok(id) => id,
                Err(_) => {
                    let queued: QueuedSales = operator.request(|c| c.get("/v1/admin/sales"))?;
                    let listed = queued.sales.iter().map(|s| s.payment_id.to_string());
                    let found = ids::resolve(&typed, listed).map_err(|e| {
                        CliError::from(ids::id_error(
                            e,
                            "queued sale",
                            &typed,
                            "asyncpay server sales list",
                        ))
                    })?;
                    found.parse().map_err(|e| {
                        CliError::failed(format!("the server listed a bad payment id: {e}"))
                    })?
                }
            };
            let path = format!("/v1/admin/sales/{id}/approve");
            let sale: OperatorSale = operator.request(|c| c.post(&path, &serde_json::json!({})))?;
            out.result(&ApprovedReport {
                server: operator.url,
                sale,
            });
        }
    }
    Ok(())
}

/// The client of the running server, signing as S.
struct Operator {
    client: Client,
    url: String,
    /// How to start the server, for the error when it does not answer.
    start: &'static str,
}

impl Operator {
    /// Unlocks S's wallet read-only (the running server holds its lock), checks it is a
    /// server, and makes a client of `target` (default: S's listen address) signing with
    /// S's node key. `start` is the command that starts the server the request needs.
    fn connect(
        ctx: &mut Context,
        target: &RunningServer,
        start: &'static str,
    ) -> CliResult<Operator> {
        let server_ca = ctx
            .global
            .server_ca
            .clone()
            .or_else(|| ctx.config.server_ca.clone());
        // Unlock first: the network is the one sealed in the wallet.
        ctx.store_read_only()?;
        let network = ctx.network;
        let store = ctx.store_read_only()?;
        let keys: WalletKeys = crate::client::stored_seed(store, network)?.keys(network);
        let settings: ServerSettings = store.load().map_err(store_error)?.ok_or_else(|| {
            CliError::usage("this wallet is not set up as a server, so it has no server to ask")
                .hint("run the command as the server's wallet (its --datadir)")
        })?;
        let url = match &target.server {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => default_url(&settings.listen)?,
        };
        let client = Client::new(&url, keys.node_secret(), server_ca).map_err(|e| {
            let kind = match e {
                NetError::InvalidUrl { .. } | NetError::CertificateFile { .. } => ExitKind::Usage,
                _ => ExitKind::Failed,
            };
            CliError::new(kind, e.to_string())
        })?;
        // The operator's server is its own node: sign for it, whatever the URL answers.
        let client = client.with_server_id(keys.node_id());
        Ok(Operator { client, url, start })
    }

    /// Runs one request and maps its failure to what the operator should do.
    fn request<T>(&self, f: impl FnOnce(&Client) -> Result<T, NetError>) -> CliResult<T> {
        f(&self.client).map_err(|e| self.error(e))
    }

    fn error(&self, e: NetError) -> CliError {
        let url = &self.url;
        match e {
            NetError::Unreachable { reason, .. } => CliError::new(
                ExitKind::Unreachable,
                format!("the server is not running at {url} ({reason})"),
            )
            .hint(format!(
                "start it with `{}`; if it listens elsewhere, pass --server URL",
                self.start
            )),
            NetError::Api { code, message, .. } => {
                let err = CliError::failed(message.clone());
                match code.as_str() {
                    "not_operator" => err.hint(format!(
                        "the server at {url} is not this wallet's server; pass --server with \
                         the URL of this wallet's own `server run`"
                    )),
                    "unknown_payment" => err
                        .hint("`asyncpay server sales list` shows the sales waiting for approval"),
                    "not_pending" => err.hint(
                        "nothing to approve: `asyncpay server sales list` shows the sales \
                         waiting for approval",
                    ),
                    "not_found" | "method_not_allowed" => CliError::failed(format!(
                        "the server at {url} has no operator routes ({message})"
                    ))
                    .hint("upgrade the server to this asyncpay version"),
                    _ => err,
                }
            }
            NetError::InvalidUrl { .. } | NetError::CertificateFile { .. } => {
                CliError::usage(e.to_string())
            }
            other => CliError::failed(other.to_string()),
        }
    }
}

/// `http://` and the listen address; an unspecified address (`0.0.0.0`, `[::]`) is reached
/// on the loopback address of its family.
fn default_url(listen: &str) -> CliResult<String> {
    let mut addr = parse_listen(listen)?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(format!("http://{addr}"))
}

/// The first hex digits of a node id, for a table (the full ids are in `--json`).
fn short(node: &crate::keys::NodeId) -> String {
    let full = node.to_string();
    format!("{}…", &full[..12])
}

/// `server sales list`.
#[derive(Debug, Serialize)]
struct SalesReport {
    server: String,
    manual: bool,
    #[serde(skip)]
    now: u64,
    sales: Vec<OperatorSale>,
    /// How many `--limit` left out.
    hidden: usize,
    /// What S set aside instead of refusing to start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quarantined: Vec<crate::server::Quarantined>,
}

impl Render for SalesReport {
    fn human(&self) -> String {
        let mut lines = Vec::new();
        if !self.manual {
            lines.push(format!(
                "the server at {} does not run with --manual: it sells without asking \
                 (restart it with `asyncpay server run --manual` to approve each sale)",
                self.server
            ));
        }
        for q in &self.quarantined {
            lines.push(format!("QUARANTINED {}: {}", q.what, q.reason));
        }
        if self.sales.is_empty() {
            lines.push("no sales waiting for approval".to_owned());
            return lines.join("\n");
        }
        let ids: Vec<String> = self
            .sales
            .iter()
            .map(|s| s.payment_id.to_string())
            .collect();
        let len = ids::short_len(ids.iter().map(String::as_str));
        let mut table = Table::new(&[
            ("PAYMENT", Align::Left),
            ("AMOUNT", Align::Right),
            ("FEE", Align::Right),
            ("PAYER", Align::Left),
            ("PAYEE", Align::Left),
            ("CREATED", Align::Left),
            ("EXPIRES", Align::Left),
        ]);
        for (s, id) in self.sales.iter().zip(&ids) {
            table.row(vec![
                text::short(id, len),
                units::sat(s.amount_sat),
                units::sat(s.fee_sat),
                short(&s.payer),
                short(&s.payee),
                units::relative(s.created_at, self.now),
                if s.expiry <= self.now {
                    text::status("expired")
                } else {
                    units::relative(s.expiry, self.now)
                },
            ]);
        }
        lines.push(table.render());
        if let Some(note) = text::hidden_note(self.hidden, "sale", "raise --limit") {
            lines.push(note);
        }
        lines.join("\n")
    }
}

/// `server status`.
#[derive(Debug, Serialize)]
struct StatusReport {
    server: String,
    #[serde(flatten)]
    status: OperatorStatus,
}

/// "3 open, 1 closing" from counts by machine word.
fn counts(map: &std::collections::BTreeMap<String, usize>, order: &[&str]) -> String {
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|key| {
            map.get(*key)
                .map(|n| format!("{n} {}", key.replace('_', " ")))
        })
        .collect();
    parts.extend(
        map.iter()
            .filter(|(key, _)| !order.contains(&key.as_str()))
            .map(|(key, n)| format!("{n} {}", key.replace('_', " "))),
    );
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

impl Render for StatusReport {
    fn human(&self) -> String {
        let s = &self.status;
        let watcher = match (&s.watcher.last_success, s.watcher.status.as_str()) {
            (Some(at), "ok") => format!("ok, last pass {}", units::relative(*at, s.now)),
            (None, "ok") => "ok, no pass yet".to_owned(),
            (_, state) => format!(
                "{state}: {} failed passes in a row ({})",
                s.watcher.consecutive_failures,
                s.watcher.last_error.as_deref().unwrap_or("no detail")
            ),
        };
        let sales = if s.manual {
            format!(
                "manual, {} waiting for approval (`asyncpay server sales list`)",
                s.queued_sales
            )
        } else {
            "automatic (run with --manual to approve each sale)".to_owned()
        };
        let mut lines = vec![
            format!(
                "server       running at {}, up since {} (asyncpay {})",
                self.server,
                units::when(s.started_at, s.now),
                s.version
            ),
            format!("node id      {}", s.node_id),
            format!(
                "chain        {}, tip {}",
                s.network,
                s.tip_height.map_or_else(
                    || "unknown (the chain source does not answer)".to_owned(),
                    |h| h.to_string()
                )
            ),
            format!("watcher      {watcher}"),
            format!(
                "channels     {}",
                counts(
                    &s.channels,
                    &["open", "awaiting_funding", "opening", "closing", "closed"]
                )
            ),
            format!(
                "balances     S {}, clients {} (open channels)",
                units::sat(s.server_balance_sat),
                units::sat(s.clients_balance_sat)
            ),
            format!(
                "payments     {}; {} in flight",
                counts(&s.payments, &["pending", "sold", "paid", "cancelled"]),
                units::sat(s.in_flight_sat)
            ),
            format!("sales        {sales}"),
            format!("mailbox      {} package(s)", s.mailbox_items),
        ];
        if s.quarantined > 0 {
            lines.push(format!(
                "quarantined  {} (see `asyncpay server sales list`)",
                s.quarantined
            ));
        }
        lines.join("\n")
    }
}

/// `server sales approve`.
#[derive(Debug, Serialize)]
struct ApprovedReport {
    server: String,
    #[serde(flatten)]
    sale: OperatorSale,
}

impl Render for ApprovedReport {
    fn human(&self) -> String {
        let s = &self.sale;
        let now = crate::net::server::system_clock();
        let next = if s.expired {
            "but it has expired: S will not buy it".to_owned()
        } else if s.sale_queued {
            "the payee's next `asyncpay receive` sells and claims it".to_owned()
        } else {
            "the payee has not asked yet; its first `asyncpay receive` goes through".to_owned()
        };
        format!(
            "approved payment {}\namount:  {} (fee {})\npayer:   {}\npayee:   {}\nexpires: {}\n{next}",
            s.payment_id,
            units::sat(s.amount_sat),
            units::sat(s.fee_sat),
            s.payer,
            s.payee,
            units::when(s.expiry, now),
        )
    }
}

/// `server init` and `server info`.
#[derive(Debug, Serialize)]
struct SettingsReport {
    node_id: String,
    #[serde(flatten)]
    settings: ServerSettings,
    /// `server info`: S's channels (closed and abandoned ones only with `--all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<Vec<ServerChannelRow>>,
    /// `server info`: how many channels `--all` would add.
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden: Option<usize>,
}

/// One of S's channels in `server info`.
#[derive(Debug, Serialize)]
struct ServerChannelRow {
    channel_id: String,
    /// The client's node id.
    client: String,
    /// `opening`, `awaiting_funding`, `open`, `closing`, `closed` or `abandoned`.
    status: &'static str,
    capacity_sat: u64,
    client_sat: Option<u64>,
    server_sat: Option<u64>,
    state: Option<u32>,
}

impl ServerChannelRow {
    fn of(ch: &ServerChannel) -> Self {
        use crate::protocol::ChannelStatus as S;
        let c = &ch.channel;
        let latest = c.latest();
        ServerChannelRow {
            channel_id: c.id().to_string(),
            client: ch.client.to_string(),
            status: match c.status() {
                S::Closed if c.funding_outpoint().is_none() => "abandoned",
                S::Opening => "opening",
                S::AwaitingFunding => "awaiting_funding",
                S::Open => "open",
                S::Closing => "closing",
                S::Closed => "closed",
            },
            capacity_sat: c.params().capacity.to_sat(),
            client_sat: latest.map(|l| l.state.client.to_sat()),
            server_sat: latest.map(|l| l.state.server.to_sat()),
            state: latest.map(|l| l.state.number),
        }
    }
}

impl Render for SettingsReport {
    fn human(&self) -> String {
        let p = &self.settings.policy;
        let s = &self.settings;
        let mut out = format!(
            "node id:           {}\nlisten:            {}\nshared delay:      {} blocks (clients may ask {} to {}); {} for channels S funds\nconf. budget:      {} blocks (sets PTLC expiries)\ncapacity:          {} to {}\ndust limit:        {}\nconfirmations:     {}\ninbound channels:  {}\nfee:               {} ppm",
            self.node_id,
            s.listen,
            p.shared_delay,
            p.min_shared_delay,
            p.max_shared_delay,
            p.inbound_shared_delay,
            p.confirmation_budget,
            units::sat(p.min_capacity_sat),
            units::sat(p.max_capacity_sat),
            units::sat(p.dust_limit_sat),
            p.minimum_depth,
            if p.server_funds {
                format!("funded by this server (policy {})", s.limits.inbound)
            } else {
                "refused".to_owned()
            },
            p.fee_ppm
        );
        if let Some(channels) = &self.channels {
            out.push_str("\n\n");
            if channels.is_empty() {
                out.push_str("(no channels)");
            } else {
                let ids: Vec<&str> = channels.iter().map(|c| c.channel_id.as_str()).collect();
                let len = ids::short_len(ids.iter().copied());
                let amount = |v: Option<u64>| v.map_or("-".into(), units::sat);
                let mut table = Table::new(&[
                    ("CHANNEL", Align::Left),
                    ("CLIENT", Align::Left),
                    ("STATUS", Align::Left),
                    ("CAPACITY", Align::Right),
                    ("CLIENT'S", Align::Right),
                    ("SERVER'S", Align::Right),
                    ("STATE", Align::Right),
                ]);
                for c in channels {
                    table.row(vec![
                        text::short(&c.channel_id, len),
                        format!("{}…", text::short(&c.client, 12)),
                        text::status(c.status),
                        units::sat(c.capacity_sat),
                        amount(c.client_sat),
                        amount(c.server_sat),
                        c.state.map_or("-".into(), |v| v.to_string()),
                    ]);
                }
                out.push_str(&table.render());
            }
            if let Some(note) = text::hidden_note(
                self.hidden.unwrap_or(0),
                "closed channel",
                "`asyncpay server info --all` shows them",
            ) {
                out.push('\n');
                out.push_str(&note);
            }
        }
        out
    }
}

/// What `server run` prints once it listens (one line, flushed, so scripts can read it).
#[derive(Debug, Serialize)]
struct Listening<'a> {
    url: &'a str,
    node_id: String,
    /// What S set aside instead of refusing to start (also logged to stderr).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quarantined: Vec<crate::server::Quarantined>,
}

/// How long `server run --standby` waits between two tries to take the records over (each
/// try itself waits a few seconds for the schema's lock).
const STANDBY_RETRY: Duration = Duration::from_secs(1);

/// How far the clocks of two machines running copies of S may differ for a standby's
/// takeover to refuse every replay of a request the other copy accepted.
pub const TAKEOVER_CLOCK_MARGIN_SECS: u64 = 10;

/// The latest request stamp another copy of S, whose journal this one has not, could have
/// accepted if it stopped now: [`crate::net::auth::MAX_FUTURE_SKEW_SECS`] ahead of its
/// clock, which may be [`TAKEOVER_CLOCK_MARGIN_SECS`] ahead of ours.
fn takeover_floor() -> u64 {
    crate::net::server::system_clock()
        + crate::net::auth::MAX_FUTURE_SKEW_SECS
        + TAKEOVER_CLOCK_MARGIN_SECS
}

/// `server run`'s runtime, and the signals that stop it: one for the whole run, so that a
/// signal is not lost between `--standby`'s waits and the service.
///
/// `server run --standby` (ADR 0018) waits while another copy of this data dir writes the
/// PostgreSQL records, and takes them over when it stops (its session ended, so its lock
/// is free). A standby, and a plain `server run` that finds another copy wrote since this
/// one did, then waits until every request the other copy could have accepted is stamped
/// too early to pass (its replay journal is on its own machine), and only then serves.
/// Signals end either wait.
struct Service {
    runtime: tokio::runtime::Runtime,
    signal: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
}

impl Service {
    fn new() -> CliResult<Service> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| CliError::failed(format!("cannot start the server runtime: {e}")))?;
        Ok(Service {
            runtime,
            signal: Box::pin(wait_for_signal()),
        })
    }

    /// Sleeps `pause`; false if a signal came first.
    fn sleep(&mut self, pause: Duration) -> bool {
        let signal = &mut self.signal;
        self.runtime.block_on(async {
            tokio::select! {
                _ = signal => false,
                _ = tokio::time::sleep(pause) => true,
            }
        })
    }

    /// Opens the wallet's store as the writer of its records once no other process holds
    /// them; false if a signal came first.
    fn take_over(&mut self, ctx: &mut Context) -> CliResult<bool> {
        if !crate::store::records_in_postgres(&ctx.datadir).map_err(store_error)? {
            return Err(CliError::usage(
                "--standby needs the records in PostgreSQL (`asyncpay init --database URL`, or \
                 `asyncpay wallet move-records URL`): a copy of a data dir whose records are in \
                 records.sqlite has records of its own",
            ));
        }
        let mut said = None;
        let took = ctx.store_when_free(|failed| {
            let now = failed.map(ToString::to_string);
            if said.as_ref() != Some(&now) {
                match &now {
                    Some(e) => tracing::warn!("standing by, trying again: {e}"),
                    None => tracing::info!(
                        "standing by: another process writes the records; taking over when it stops"
                    ),
                }
                said = Some(now);
            }
            self.sleep(STANDBY_RETRY)
        })?;
        if took {
            tracing::info!("took over the records");
        }
        Ok(took)
    }

    /// Waits until the clock has passed `floor` (at once if it has); false if a signal
    /// came first.
    fn serve_after(&mut self, floor: u64) -> bool {
        let now = crate::net::server::system_clock();
        if now <= floor {
            tracing::info!(
                "serving in {} s: until then a request could be a replay of one another copy \
                 accepted (requests stamped up to {floor} are refused)",
                floor + 1 - now
            );
        }
        loop {
            let now = crate::net::server::system_clock();
            if now > floor {
                return true;
            }
            if !self.sleep(Duration::from_secs(floor + 1 - now)) {
                return false;
            }
        }
    }
}

fn serve(
    service: Service,
    core: Arc<ServerCore>,
    config: &ServerConfig,
    interval: Duration,
    json: bool,
    floor: Option<u64>,
) -> CliResult<()> {
    let Service {
        runtime,
        mut signal,
    } = service;
    runtime.block_on(async move {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let shutdown = {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let (handle, mailbox, auth) = listen_http(&core, config, floor, shutdown).await?;
        let url = handle.url();
        let info: ServerInfo = core.info();
        let quarantined = core.quarantined();
        for q in &quarantined {
            tracing::warn!("QUARANTINED {}: {}", q.what, q.reason);
        }
        let line = if json {
            serde_json::to_string(&Listening {
                url: &url,
                node_id: info.node_id.to_string(),
                quarantined,
            })
            .expect("serializes")
        } else {
            let set_aside = if quarantined.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} item(s) QUARANTINED (see the log and `asyncpay server sales list`)",
                    quarantined.len()
                )
            };
            format!("listening on {url} (node id {}){set_aside}", info.node_id)
        };
        {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
        }
        // Why S must stop, if it must: a failed sync of its records or of its replay journal
        // (ADR 0014), or its PostgreSQL records taken over by another copy (ADR 0018).
        let must_stop = {
            let core = core.clone();
            move || core.must_stop().or_else(|| auth.journal_failed())
        };
        // The chain watcher: S enforces the latest state without operator action (and drops
        // expired mailbox items). It ends S when a sync failed.
        let mut watcher = {
            let core = core.clone();
            let must_stop = must_stop.clone();
            let mut stop = stop_rx.clone();
            // Descriptors kept for the watcher, given back when a pass fails (idle HTTP
            // connections must not starve it: ISSUE 9 item 14).
            let reserve = Arc::new(Mutex::new(FdReserve::take(RESERVE_FDS)));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(interval);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                    let (pass_core, mailbox) = (core.clone(), mailbox.clone());
                    let reserve = reserve.clone();
                    let pass = move || watch_pass(&pass_core, &mailbox, &reserve);
                    let started = std::time::Instant::now();
                    if let Ok(log) = tokio::task::spawn_blocking(pass).await {
                        for line in log.events {
                            tracing::info!("{line}");
                        }
                        for line in log.alarms {
                            tracing::warn!("{line}");
                        }
                    }
                    tracing::debug!("watcher pass: {} ms", started.elapsed().as_millis());
                    if let Some(reason) = must_stop() {
                        return Some(reason);
                    }
                }
                None
            })
        };
        let (failed, watcher_ended) = tokio::select! {
            _ = &mut signal => (None, false),
            ended = &mut watcher => (ended.ok().flatten(), true),
        };
        match &failed {
            Some(reason) => tracing::error!("stopping: {reason}"),
            None => tracing::info!("shutting down"),
        }
        let _ = stop_tx.send(true);
        if !watcher_ended {
            let _ = watcher.await;
        }
        handle
            .wait()
            .await
            .map_err(|e| CliError::failed(e.to_string()))?;
        // A sync that failed before the watcher looked (stopped by a signal meanwhile).
        match failed.or_else(must_stop) {
            Some(reason) => Err(CliError::failed(format!("S stopped: {reason}"))),
            None => Ok(()),
        }
    })
}

/// S's HTTP service on `config.listen`: the API of `core`, with the replay journal in its
/// data dir (a request captured before a restart is refused after it: issue 9 item 15);
/// its mailbox and its authentication layer (which holds the journal).
async fn listen_http(
    core: &Arc<ServerCore>,
    config: &ServerConfig,
    floor: Option<u64>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> CliResult<(ServerHandle, Arc<Mailbox>, AuthState)> {
    let journal = core.data_dir().join("replay");
    let auth = AuthState::new(&core.node_secret())
        .with_journal(&journal)
        .map_err(|e| {
            CliError::failed(format!(
                "cannot open the replay journal {}: {e}",
                journal.display()
            ))
            .hint("check the permissions and free space of the server's data dir")
        })?;
    let auth = match floor {
        Some(floor) => auth.refusing_up_to(floor),
        None => auth,
    };
    let (router, mailbox) = crate::server::api::app(core.clone(), &auth);
    let handle = crate::net::server::serve(router, config, shutdown)
        .await
        .map_err(|e| CliError::new(ExitKind::Failed, e.to_string()))?;
    Ok((handle, mailbox, auth))
}

/// One pass of S's chain watcher (S enforces the latest state without operator action) and
/// of the mailbox's expiry; the lines to log. A failed pass is retried after giving back the
/// descriptors kept for it (idle HTTP connections must not starve it: issue 9 item 14).
fn watch_pass(core: &ServerCore, mailbox: &Mailbox, reserve: &Mutex<FdReserve>) -> WatchLog {
    let mut reserve = reserve.lock().unwrap_or_else(PoisonError::into_inner);
    // A copy of S whose PostgreSQL records another copy took over acts on nothing more: its
    // state in memory may be older than theirs (ADR 0018). `server run` then stops.
    let confirmed = core.confirm_writer();
    if core.must_stop().is_some() {
        return WatchLog {
            events: Vec::new(),
            alarms: confirmed
                .err()
                .map(|e| format!("records: {e}"))
                .into_iter()
                .collect(),
        };
    }
    let (mut lines, mut errors) = core.watch_pass_checked();
    for pause in RETRY_BACKOFF {
        if errors.is_empty() {
            break;
        }
        reserve.release();
        std::thread::sleep(pause);
        (lines, errors) = core.watch_pass_checked();
    }
    reserve.refill(RESERVE_FDS);
    let mut alarms = Vec::new();
    if let Some(alarm) = core.record_watch(&errors) {
        alarms.push(alarm);
    }
    alarms.extend(errors);
    alarms.extend(confirmed.err().map(|e| format!("records: {e}")));
    let now = crate::net::server::system_clock();
    match mailbox.prune(now) {
        Ok(0) => {}
        Ok(n) => lines.push(format!("mailbox: dropped {n} expired item(s)")),
        Err(e) => alarms.push(format!("mailbox: {e}")),
    }
    // What the pass wrote goes to disk now, not at the next answer (group commit).
    if let Err(e) = core.durable() {
        alarms.push(format!("records: {e}"));
    }
    WatchLog {
        events: lines,
        alarms,
    }
}

/// What a watcher pass logs: its publications and other events (info) and its alarms and
/// failures (warn).
struct WatchLog {
    events: Vec<String>,
    alarms: Vec<String>,
}

/// `server run`'s log on stderr (stdout keeps only the listening line): one line per
/// request and the watcher's events at info, `--verbose` adds debug, `--quiet` keeps
/// warnings and errors. No colours, so that a redirected log stays plain text.
fn init_log(verbose: bool, quiet: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match (verbose, quiet) {
        (true, _) => LevelFilter::DEBUG,
        (false, true) => LevelFilter::WARN,
        (false, false) => LevelFilter::INFO,
    };
    // Only asyncpay's own events: a dependency's debug output could show what it handles.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_ansi(false)
        .with_target(false)
        .finish()
        .with(Targets::new().with_target("asyncpay", level))
        .try_init();
}

/// S in this process, for tests, fuzzing and benchmarks: the core, HTTP API and replay
/// journal of `server run` on 127.0.0.1, with its chain watcher run by the caller
/// ([`InProcessServer::watch_pass`]) instead of a timer. Stops (and releases the data dir)
/// when dropped.
pub struct InProcessServer {
    core: Arc<ServerCore>,
    mailbox: Arc<Mailbox>,
    auth: AuthState,
    reserve: Mutex<FdReserve>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<ServerHandle>,
    runtime: tokio::runtime::Runtime,
}

impl InProcessServer {
    /// Opens the server wallet of `ctx` and serves it on `listen`, a loopback address (port
    /// 0: any free port).
    pub fn start(ctx: &mut Context, listen: SocketAddr) -> CliResult<InProcessServer> {
        if !listen.ip().is_loopback() {
            return Err(CliError::usage(format!(
                "an in-process S listens on 127.0.0.1 only, not {listen}"
            )));
        }
        // Its turn as the writer of PostgreSQL records is marked, so that a `server run` of
        // another copy after it waits out its requests; it does not wait itself (loopback).
        let store = ctx.store()?;
        let turn = store.writer_turn().map_err(store_error)?;
        store.take_writer_turn(turn.floor).map_err(store_error)?;
        let core = Arc::new(open_core(ctx)?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| CliError::failed(format!("cannot start the server runtime: {e}")))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = ServerConfig {
            listen,
            ..ServerConfig::default()
        };
        let (handle, mailbox, auth) =
            runtime.block_on(listen_http(&core, &config, None, async {
                let _ = stopped.await;
            }))?;
        Ok(InProcessServer {
            url: handle.url(),
            core,
            mailbox,
            auth,
            reserve: Mutex::new(FdReserve::take(0)),
            stop: Some(stop),
            handle: Some(handle),
            runtime,
        })
    }

    /// Where S listens (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// S's core.
    pub fn core(&self) -> &ServerCore {
        &self.core
    }

    /// S's mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// The replay journal's appends and the syncs that made them durable so far.
    pub fn journal_stats(&self) -> crate::store::GroupStats {
        self.auth.journal_stats()
    }

    /// One pass of the chain watcher and the mailbox expiry, as `server run`'s timer runs it;
    /// the lines it would log.
    pub fn watch_pass(&self) -> Vec<String> {
        let log = watch_pass(&self.core, &self.mailbox, &self.reserve);
        log.events.into_iter().chain(log.alarms).collect()
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = self.runtime.block_on(handle.wait());
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
