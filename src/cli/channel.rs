//! `asyncpay channel …`: the client's channels with a server S, driven through the client
//! engine ([`crate::client`]), rendered.

use bitcoin::{Address, Network};
use serde::Serialize;

use super::args::ChannelCommand;
use super::context::Context;
use super::error::CliResult;
use super::output::Render;
use crate::client::{ChannelClose, ClientChannel, Engine};
use crate::eltoo::Party;
use crate::server::{summary, ChannelSummary};

/// A channel as the CLI shows it.
#[derive(Debug, Serialize)]
pub struct ChannelReport {
    #[serde(flatten)]
    summary: ChannelSummary,
    server_url: String,
    server_node_id: String,
    /// This wallet's channel key index (`m/9735'/coin'/1'/i'`).
    key_index: u32,
    /// Where the channel pays this wallet when it ends: an address of the wallet's own
    /// change chain (settlement, cooperative close, PTLC claims).
    payout_address: String,
    /// Where it pays the server.
    server_payout_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: Option<String>,
}

impl ChannelReport {
    fn of(ch: &ClientChannel, network: Network) -> Self {
        ChannelReport {
            summary: summary(&ch.channel),
            server_url: ch.server_url.clone(),
            server_node_id: ch.server.to_string(),
            key_index: ch.key_index,
            payout_address: payout_address(ch, Party::Client, network),
            server_payout_address: payout_address(ch, Party::Server, network),
            chain: None,
        }
    }

    fn line(&self) -> String {
        let s = &self.summary;
        format!(
            "{}  {:<16} capacity {:>10} sat  you {:>10} sat  server {:>10} sat  state {}",
            s.channel_id,
            s.status,
            s.capacity_sat,
            s.client_sat.map_or("-".into(), |v| v.to_string()),
            s.server_sat.map_or("-".into(), |v| v.to_string()),
            s.state.map_or("-".into(), |v| v.to_string()),
        )
    }
}

/// The address `party`'s `to_node` output pays (its channel payout).
fn payout_address(ch: &ClientChannel, party: Party, network: Network) -> String {
    let script = ch.channel.params().to_node_script(party);
    Address::from_script(&script, network)
        .map(|a| a.to_string())
        .unwrap_or_else(|_| script.to_hex_string())
}

impl Render for ChannelReport {
    fn human(&self) -> String {
        let s = &self.summary;
        let mut text = format!(
            "channel:        {}\nstatus:         {}\nserver:         {} ({})\ncapacity:       {} sat\nstate:          {}\nyour balance:   {} sat\nserver balance: {} sat\nfunding:        {} ({} confirmations)",
            s.channel_id,
            s.status,
            self.server_url,
            self.server_node_id,
            s.capacity_sat,
            s.state.map_or("-".into(), |v| v.to_string()),
            s.client_sat.map_or("-".into(), |v| v.to_string()),
            s.server_sat.map_or("-".into(), |v| v.to_string()),
            s.funding_outpoint.as_deref().unwrap_or("-"),
            s.confirmations
        );
        text.push_str(&format!("\npays you to:    {}", self.payout_address));
        if let Some(chain) = &self.chain {
            text.push_str(&format!("\non chain:       {chain}"));
        }
        text
    }
}

/// `channel list`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ChannelList(Vec<ChannelReport>);

impl Render for ChannelList {
    fn human(&self) -> String {
        if self.0.is_empty() {
            return "(no channels)".into();
        }
        self.0
            .iter()
            .map(ChannelReport::line)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs a `channel` subcommand.
pub fn run(ctx: &mut Context, cmd: ChannelCommand) -> CliResult<()> {
    let out = ctx.out;
    let e = ctx.engine_with_chain()?;
    let network = e.network();
    let report = match cmd {
        ChannelCommand::Open {
            server_url,
            amount,
            fee_rate,
        } => ChannelReport::of(
            &e.open_channel(&server_url, amount.0, Party::Client, fee_rate.0)?,
            network,
        ),
        ChannelCommand::RequestInbound { server_url, amount } => ChannelReport::of(
            &e.open_channel(
                &server_url,
                amount.0,
                Party::Server,
                bitcoin::FeeRate::BROADCAST_MIN,
            )?,
            network,
        ),
        ChannelCommand::List => {
            let reports = e
                .channels()?
                .into_iter()
                .map(|mut ch| watched_report(&e, &mut ch))
                .collect::<CliResult<_>>()?;
            out.result(&ChannelList(reports));
            return Ok(());
        }
        ChannelCommand::Show { id } => watched_report(&e, &mut e.channel(&id)?)?,
        ChannelCommand::Push { id, amount } => ChannelReport::of(&e.push(&id, amount.0)?, network),
        ChannelCommand::Close {
            id,
            force,
            no_wait,
            fee,
        } => {
            let how = if force {
                ChannelClose::Force { no_wait }
            } else {
                ChannelClose::Cooperative { fee: fee.0 }
            };
            ChannelReport::of(&e.close(&id, how)?, network)
        }
    };
    out.result(&report);
    Ok(())
}

/// The report of a channel after a watch pass (when it has a funding outpoint).
fn watched_report(e: &Engine<'_>, ch: &mut ClientChannel) -> CliResult<ChannelReport> {
    let chain = e.look_at(ch)?.map(|outcome| outcome.to_string());
    let mut report = ChannelReport::of(ch, e.network());
    report.chain = chain;
    Ok(report)
}
