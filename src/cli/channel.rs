//! `asyncpay channel …`: the client's channels with a server S, driven through the client
//! engine ([`crate::client`]), rendered.

use bitcoin::{Address, Network};
use serde::Serialize;

use super::args::ChannelCommand;
use super::context::Context;
use super::error::CliResult;
use super::output::Render;
use crate::client::{ChannelClose, ClientChannel, ClientPayment, Engine, LocalStatus};
use crate::eltoo::Party;
use crate::payment::PaymentId;
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
    /// The outgoing payment pending on the channel: the balances above are those of the
    /// state before it, until it is paid (or cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_payment: Option<PendingPayment>,
}

/// A payment pending on a channel, as `channel show|list` show it.
#[derive(Debug, Serialize)]
struct PendingPayment {
    payment_id: PaymentId,
    amount_sat: u64,
    fee_sat: u64,
    status: LocalStatus,
    /// The state the payment's update brings the channel to.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<u32>,
}

impl PendingPayment {
    fn of(p: &ClientPayment) -> Self {
        PendingPayment {
            payment_id: p.payment_id,
            amount_sat: p.amount_sat,
            fee_sat: p.fee_sat,
            status: p.status,
            state: p.request.as_ref().map(|r| r.proposal.number),
        }
    }

    fn text(&self) -> String {
        format!(
            "payment {} ({} sat + fee {} sat, {}{})",
            self.payment_id,
            self.amount_sat,
            self.fee_sat,
            self.status.name(),
            self.state.map_or(String::new(), |n| format!(", state {n}"))
        )
    }
}

impl ChannelReport {
    /// The report of `ch`, with the payment pending on it.
    fn of(e: &Engine<'_>, ch: &ClientChannel) -> CliResult<Self> {
        let mut report = Self::plain(ch, e.network());
        report.pending_payment = e.pending_payment(ch)?.as_ref().map(PendingPayment::of);
        Ok(report)
    }

    fn plain(ch: &ClientChannel, network: Network) -> Self {
        ChannelReport {
            summary: summary(&ch.channel),
            server_url: ch.server_url.clone(),
            server_node_id: ch.server.to_string(),
            key_index: ch.key_index,
            payout_address: payout_address(ch, Party::Client, network),
            server_payout_address: payout_address(ch, Party::Server, network),
            chain: None,
            pending_payment: None,
        }
    }

    fn line(&self) -> String {
        let s = &self.summary;
        let mut line = format!(
            "{}  {:<16} capacity {:>10} sat  you {:>10} sat  server {:>10} sat  state {}",
            s.channel_id,
            s.status,
            s.capacity_sat,
            s.client_sat.map_or("-".into(), |v| v.to_string()),
            s.server_sat.map_or("-".into(), |v| v.to_string()),
            s.state.map_or("-".into(), |v| v.to_string()),
        );
        if let Some(p) = &self.pending_payment {
            line.push_str(&format!("\n    pending: {}", p.text()));
        }
        line
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
    fn terse(&self) -> Option<String> {
        Some(self.summary.channel_id.to_string())
    }

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
        if let Some(p) = &self.pending_payment {
            text.push_str(&format!(
                "\npending:        {}\n                (balances are before it; `asyncpay payments wait {}`)",
                p.text(),
                p.payment_id
            ));
        }
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
    // The first server a channel is opened with becomes the wallet's default server.
    let server = match &cmd {
        ChannelCommand::Open { server_url, .. }
        | ChannelCommand::RequestInbound { server_url, .. } => Some(server_url.clone()),
        _ => None,
    };
    let e = ctx.engine_with_chain()?;
    let network = e.network();
    let report = match cmd {
        ChannelCommand::Open {
            server_url,
            amount,
            fee_rate,
        } => ChannelReport::plain(
            &e.open_channel(&server_url, amount.0, Party::Client, fee_rate.0)?,
            network,
        ),
        ChannelCommand::RequestInbound { server_url, amount } => ChannelReport::plain(
            &e.open_channel(
                &server_url,
                amount.0,
                Party::Server,
                bitcoin::FeeRate::BROADCAST_MIN,
            )?,
            network,
        ),
        ChannelCommand::List { all } => {
            let reports = e
                .channels()?
                .into_iter()
                .filter(|ch| all || !ch.abandoned())
                .map(|mut ch| watched_report(&e, &mut ch))
                .collect::<CliResult<_>>()?;
            out.result(&ChannelList(reports));
            return Ok(());
        }
        ChannelCommand::Show { id } => watched_report(&e, &mut e.channel(&id)?)?,
        ChannelCommand::Push { id, amount } => {
            ChannelReport::plain(&e.push(&id, amount.0)?, network)
        }
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
            ChannelReport::of(&e, &e.close(&id, how)?)?
        }
    };
    drop(e);
    out.result(&report);
    // After the report: the channel is open whatever happens here, and a failure to
    // remember its server must not hide that (and invite a second channel).
    if let Some(url) = server {
        if let Err(e) = ctx.remember_server(&url) {
            out.note(&format!(
                "note: the channel is open, but its server could not be remembered as the \
                 wallet's default server: {}",
                e.message
            ));
        }
    }
    Ok(())
}

/// The report of a channel after a watch pass (when it has a funding outpoint).
fn watched_report(e: &Engine<'_>, ch: &mut ClientChannel) -> CliResult<ChannelReport> {
    // Read without the lock (another process holds the wallet): as last recorded, no watch
    // pass (it may publish and save).
    let chain = match e.store().is_detached() {
        true => None,
        false => e.look_at(ch)?.map(|outcome| outcome.to_string()),
    };
    let mut report = ChannelReport::of(e, ch)?;
    report.chain = chain;
    Ok(report)
}
