//! `asyncpay server init|run|info`: this wallet as the server S.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::args::ServerCommand;
use super::commands::{connect, unlocked};
use super::context::{store_error, Context};
use super::error::{CliError, CliResult, ExitKind};
use super::output::Render;
use crate::net::server::{AuthState, ServerConfig, TlsFiles};
use crate::server::{ServerCore, ServerInfo, ServerSettings};

/// Runs a `server` subcommand.
pub fn run(ctx: &mut Context, cmd: ServerCommand) -> CliResult<()> {
    let out = ctx.out;
    match cmd {
        ServerCommand::Init {
            listen,
            shared_delay,
            min_shared_delay,
            max_capacity,
            dust_limit,
            min_confirmations,
            fee_ppm,
            no_inbound,
        } => {
            parse_listen(&listen)?;
            if min_shared_delay < crate::eltoo::MIN_SHARED_DELAY || shared_delay < min_shared_delay
            {
                return Err(CliError::usage(format!(
                    "--shared-delay {shared_delay} and --min-shared-delay {min_shared_delay} must satisfy {} <= min <= shared-delay",
                    crate::eltoo::MIN_SHARED_DELAY
                )));
            }
            let w = unlocked(ctx)?;
            let mut settings: ServerSettings =
                w.store.load().map_err(store_error)?.unwrap_or_default();
            settings.listen = listen;
            settings.policy.shared_delay = shared_delay;
            settings.policy.min_shared_delay = min_shared_delay;
            settings.policy.max_shared_delay = settings.policy.max_shared_delay.max(shared_delay);
            settings.policy.max_capacity_sat = max_capacity.0.to_sat();
            settings.policy.dust_limit_sat = dust_limit.0.to_sat();
            settings.policy.minimum_depth = min_confirmations;
            settings.policy.fee_ppm = fee_ppm;
            settings.policy.server_funds = !no_inbound;
            w.store.save(&settings).map_err(store_error)?;
            out.result(&SettingsReport {
                node_id: w.keys.node_id().to_string(),
                settings,
            });
        }
        ServerCommand::Info => {
            let w = unlocked(ctx)?;
            let settings: ServerSettings = w
                .store
                .load()
                .map_err(store_error)?
                .ok_or_else(not_server)?;
            out.result(&SettingsReport {
                node_id: w.keys.node_id().to_string(),
                settings,
            });
        }
        ServerCommand::Run {
            listen,
            tls_cert,
            tls_key,
            watch_interval_ms,
            manual,
        } => {
            let source = connect(ctx)?;
            let network = ctx.network;
            let w = unlocked(ctx)?;
            let keys = w.seed.keys(network);
            let settings: ServerSettings = w
                .store
                .load()
                .map_err(store_error)?
                .ok_or_else(not_server)?;
            let listen = parse_listen(listen.as_deref().unwrap_or(&settings.listen))?;
            let store = ctx.take_store().expect("unlocked above");
            let core = ServerCore::open(store, keys, network, source)
                .map_err(|e| CliError::new(ExitKind::Data, e))?;
            core.set_manual(manual);
            let config = ServerConfig {
                listen,
                tls: tls_cert
                    .zip(tls_key)
                    .map(|(cert_pem, key_pem)| TlsFiles { cert_pem, key_pem }),
                ..ServerConfig::default()
            };
            serve(
                Arc::new(core),
                &config,
                Duration::from_millis(watch_interval_ms),
                out.json,
            )?;
        }
    }
    Ok(())
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

/// `server init` and `server info`.
#[derive(Debug, Serialize)]
struct SettingsReport {
    node_id: String,
    #[serde(flatten)]
    settings: ServerSettings,
}

impl Render for SettingsReport {
    fn human(&self) -> String {
        let p = &self.settings.policy;
        let s = &self.settings;
        format!(
            "node id:           {}\nlisten:            {}\nshared delay:      {} blocks (clients may ask {}..{})\ncapacity:          {}..{} sat\ndust limit:        {} sat\nconfirmations:     {}\ninbound channels:  {}\nfee:               {} ppm",
            self.node_id,
            s.listen,
            p.shared_delay,
            p.min_shared_delay,
            p.max_shared_delay,
            p.min_capacity_sat,
            p.max_capacity_sat,
            p.dust_limit_sat,
            p.minimum_depth,
            if p.server_funds { "funded by this server" } else { "refused" },
            p.fee_ppm
        )
    }
}

/// What `server run` prints once it listens (one line, flushed, so scripts can read it).
#[derive(Debug, Serialize)]
struct Listening<'a> {
    url: &'a str,
    node_id: String,
}

fn serve(
    core: Arc<ServerCore>,
    config: &ServerConfig,
    interval: Duration,
    json: bool,
) -> CliResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the server runtime: {e}")))?;
    runtime.block_on(async move {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let shutdown = {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let auth = AuthState::new();
        let (router, mailbox) = crate::server::api::app(core.clone(), &auth);
        let handle = crate::net::server::serve(router, config, shutdown)
            .await
            .map_err(|e| CliError::new(ExitKind::Failed, e.to_string()))?;
        let url = handle.url();
        let info: ServerInfo = core.info();
        let line = if json {
            serde_json::to_string(&Listening {
                url: &url,
                node_id: info.node_id.to_string(),
            })
            .expect("serializes")
        } else {
            format!("listening on {url} (node id {})", info.node_id)
        };
        {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
        }
        // The chain watcher: S enforces the latest state without operator action (and drops
        // expired mailbox items).
        let watcher = {
            let core = core.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(interval);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                    let core = core.clone();
                    let mailbox = mailbox.clone();
                    let pass = move || {
                        let mut lines = core.watch_once();
                        let now = crate::net::server::system_clock();
                        match mailbox.prune(now) {
                            Ok(0) => {}
                            Ok(n) => lines.push(format!("mailbox: dropped {n} expired item(s)")),
                            Err(e) => lines.push(format!("mailbox: {e}")),
                        }
                        lines
                    };
                    if let Ok(lines) = tokio::task::spawn_blocking(pass).await {
                        for line in lines {
                            eprintln!("{line}");
                        }
                    }
                }
            })
        };
        wait_for_signal().await;
        eprintln!("shutting down");
        let _ = stop_tx.send(true);
        let _ = watcher.await;
        handle
            .wait()
            .await
            .map_err(|e| CliError::failed(e.to_string()))
    })
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
