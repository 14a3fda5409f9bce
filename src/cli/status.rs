//! `asyncpay status`: the wallet at a glance, through the client engine
//! ([`crate::client::Engine::status`]), rendered. It only reads.

use std::collections::BTreeMap;

use serde::Serialize;

use super::context::Context;
use super::error::CliResult;
use super::output::Render;
use crate::client::{ServerCheck, WalletStatus};

/// `status`: one object, amounts in `*_sat` fields.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    node_id: String,
    network: String,
    tip_height: u32,
    onchain_confirmed_sat: u64,
    onchain_unconfirmed_sat: u64,
    /// Our side of every open channel.
    channels_sat: u64,
    /// Outgoing payments not final yet: amount plus S's fee.
    pending_outgoing_sat: u64,
    pending_outgoing_count: usize,
    /// Incoming payments not final yet.
    pending_incoming_sat: u64,
    pending_incoming_count: usize,
    /// Channels by status, as last recorded.
    channels: BTreeMap<&'static str, usize>,
    servers: Vec<ServerCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<String>,
}

impl From<WalletStatus> for StatusReport {
    fn from(s: WalletStatus) -> Self {
        StatusReport {
            node_id: s.node_id.to_string(),
            network: s.network.to_string(),
            tip_height: s.tip_height,
            onchain_confirmed_sat: s.onchain_confirmed_sat,
            onchain_unconfirmed_sat: s.onchain_unconfirmed_sat,
            channels_sat: s.channels_sat,
            pending_outgoing_sat: s.pending_outgoing.amount_sat,
            pending_outgoing_count: s.pending_outgoing.count,
            pending_incoming_sat: s.pending_incoming.amount_sat,
            pending_incoming_count: s.pending_incoming.count,
            channels: s.channels,
            servers: s.servers,
            problems: s.problems,
        }
    }
}

fn payments(n: usize) -> String {
    format!("{n} payment{}", if n == 1 { "" } else { "s" })
}

impl Render for StatusReport {
    fn human(&self) -> String {
        let sat = |v: u64| format!("{:>16}", crate::units::sat(v));
        let counts: Vec<String> = [
            ("open", "open"),
            ("awaiting_funding", "awaiting funding"),
            ("opening", "opening"),
            ("closing", "closing"),
            ("closed", "closed"),
            ("abandoned", "abandoned"),
        ]
        .iter()
        .filter_map(|(key, label)| {
            let n = self.channels.get(key).copied().unwrap_or(0);
            (n > 0 || *key == "open").then(|| format!("{n} {label}"))
        })
        .collect();
        let mut lines = vec![
            format!("node id       {}", self.node_id),
            format!("network       {}", self.network),
            format!("chain tip     {}", self.tip_height),
            format!(
                "on-chain      {}  confirmed, {} unconfirmed",
                sat(self.onchain_confirmed_sat),
                crate::units::sat(self.onchain_unconfirmed_sat)
            ),
            format!(
                "in channels   {}  channels: {}",
                sat(self.channels_sat),
                counts.join(", ")
            ),
            format!(
                "pending out   {}  {} (with S's fee)",
                sat(self.pending_outgoing_sat),
                payments(self.pending_outgoing_count)
            ),
            format!(
                "pending in    {}  {}",
                sat(self.pending_incoming_sat),
                payments(self.pending_incoming_count)
            ),
        ];
        if self.servers.is_empty() {
            lines.push("servers       (none with a channel that is not closed)".into());
        }
        for s in &self.servers {
            // What a server said, on one line of bounded length: it cannot forge lines.
            let clean = |text: &str| {
                let line = super::text::clean(text).replace('\n', " ");
                match line.char_indices().nth(100) {
                    Some((end, _)) => format!("{}…", &line[..end]),
                    None => line,
                }
            };
            let state = if s.reachable {
                format!(
                    "answers (asyncpay {})",
                    clean(s.version.as_deref().unwrap_or("?"))
                )
            } else {
                format!(
                    "unreachable: {}",
                    clean(s.error.as_deref().unwrap_or("no answer"))
                )
            };
            lines.push(format!(
                "server        {}  {} channel{}  {state}",
                s.url,
                s.channels,
                if s.channels == 1 { "" } else { "s" }
            ));
        }
        lines.extend(self.problems.iter().map(|p| format!("problem       {p}")));
        lines.join("\n")
    }
}

/// `status`.
pub fn status(ctx: &mut Context) -> CliResult<()> {
    let out = ctx.out;
    let status = ctx.engine_with_chain()?.status()?;
    out.result(&StatusReport::from(status));
    Ok(())
}
