//! `asyncpay channel …`: the client's channels with a server S, driven through the client
//! engine ([`crate::client`]), rendered.

use bitcoin::{Address, Network};
use serde::Serialize;

use super::args::ChannelCommand;
use super::context::Context;
use super::error::CliResult;
use super::output::Render;
use super::text::{self, Align, Table};
use crate::client::{ChannelClose, ClientChannel, ClientPayment, Engine, LocalStatus};
use crate::eltoo::Party;
use crate::payment::PaymentId;
use crate::server::{summary, ChannelSummary};
use crate::units;

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
    /// The status in words, for people.
    description: String,
    /// What the chain says of the channel (after a watch pass; `channel list` and `show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    chain: Option<ChainView>,
    /// The outgoing payment pending on the channel: the balances above are those of the
    /// state before it, until it is paid (or cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_payment: Option<PendingPayment>,
}

/// What a watch pass saw on chain: a machine name and a sentence.
#[derive(Debug, Serialize)]
struct ChainView {
    /// `awaiting_funding`, `open`, `published`, `waiting_for_delay`,
    /// `closed_cooperatively`, `settled` or `alert`.
    status: &'static str,
    description: String,
}

/// A channel status as a machine word, and what it means.
fn channel_status(ch: &ClientChannel) -> (&'static str, &'static str) {
    use crate::protocol::ChannelStatus as S;
    if ch.abandoned() {
        return (
            "abandoned",
            "closed without ever being funded (a failed open)",
        );
    }
    match ch.channel.status() {
        S::Opening => (
            "opening",
            "parameters agreed; the first state is not signed yet",
        ),
        S::AwaitingFunding => (
            "awaiting_funding",
            "waiting for the funding transaction to confirm",
        ),
        S::Open => ("open", "usable for payments"),
        S::Closing => ("closing", "a close is under way; no more payments"),
        S::Closed => ("closed", "the funding output is spent for good"),
    }
}

/// The statuses `channel list --status` takes.
const CHANNEL_STATUSES: &[&str] = &[
    "opening",
    "awaiting_funding",
    "open",
    "closing",
    "closed",
    "abandoned",
];

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
            "payment {} ({} + fee {}, {}{})",
            self.payment_id,
            units::sat(self.amount_sat),
            units::sat(self.fee_sat),
            text::status(&self.status.name()),
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
        let (status, description) = channel_status(ch);
        let mut summary = summary(&ch.channel);
        summary.status = status.to_owned();
        ChannelReport {
            summary,
            description: description.to_owned(),
            server_url: ch.server_url.clone(),
            server_node_id: ch.server.to_string(),
            key_index: ch.key_index,
            payout_address: payout_address(ch, Party::Client, network),
            server_payout_address: payout_address(ch, Party::Server, network),
            chain: None,
            pending_payment: None,
        }
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
        let amount = |v: Option<u64>| v.map_or("-".into(), units::sat);
        let mut text = format!(
            "channel:        {}\nstatus:         {} ({})\nserver:         {}\nserver node:    {}\ncapacity:       {}\nstate:          {}\nyour balance:   {}\nserver balance: {}\nfunding:        {} ({} confirmations)",
            s.channel_id,
            text::status(&s.status),
            self.description,
            self.server_url,
            self.server_node_id,
            units::sat(s.capacity_sat),
            s.state.map_or("-".into(), |v| v.to_string()),
            amount(s.client_sat),
            amount(s.server_sat),
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
            text.push_str(&format!("\non chain:       {}", chain.description));
        }
        text
    }
}

/// `channel list`.
#[derive(Debug, Serialize)]
pub struct ChannelList {
    channels: Vec<ChannelReport>,
    /// How many channels the filters left out (closed and abandoned ones without `--all`,
    /// other statuses with `--status`, older ones with `--limit`).
    hidden: usize,
    /// Digits of the short ids: unique among all channels, hidden ones too (a shown id
    /// typed back must name one channel).
    #[serde(skip)]
    id_len: usize,
}

impl Render for ChannelList {
    fn human(&self) -> String {
        let mut lines = Vec::new();
        if self.channels.is_empty() {
            lines.push("(no channels)".to_owned());
        } else {
            let ids: Vec<String> = self
                .channels
                .iter()
                .map(|c| c.summary.channel_id.to_string())
                .collect();
            let len = self.id_len;
            let amount = |v: Option<u64>| v.map_or("-".into(), units::sat);
            let mut table = Table::new(&[
                ("ID", Align::Left),
                ("STATUS", Align::Left),
                ("CAPACITY", Align::Right),
                ("YOURS", Align::Right),
                ("SERVER'S", Align::Right),
                ("STATE", Align::Right),
                ("CONF", Align::Right),
            ]);
            for (c, id) in self.channels.iter().zip(&ids) {
                let s = &c.summary;
                table.row(vec![
                    text::short(id, len),
                    text::status(&s.status),
                    units::sat(s.capacity_sat),
                    amount(s.client_sat),
                    amount(s.server_sat),
                    s.state.map_or("-".into(), |v| v.to_string()),
                    s.confirmations.to_string(),
                ]);
                if let Some(p) = &c.pending_payment {
                    table.note(format!(
                        "pending: payment {} ({} + fee {}, {})",
                        text::short(&p.payment_id.to_string(), len),
                        units::sat(p.amount_sat),
                        units::sat(p.fee_sat),
                        text::status(&p.status.name()),
                    ));
                }
            }
            lines.push(table.render());
        }
        if let Some(note) = text::hidden_note(
            self.hidden,
            "channel",
            "--all or --status shows closed and abandoned ones",
        ) {
            lines.push(note);
        }
        lines.join("\n")
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
        ChannelCommand::List(filters) => {
            // Watched first: a pass may close a channel, and the filter sees it closed.
            let reports = e
                .channels()?
                .into_iter()
                .map(|mut ch| watched_report(&e, &mut ch, true))
                .collect::<CliResult<Vec<_>>>()?;
            let ids: Vec<String> = reports
                .iter()
                .map(|r| r.summary.channel_id.to_string())
                .collect();
            let id_len = crate::client::ids::short_len(ids.iter().map(String::as_str));
            let (channels, hidden) = text::filter_list(
                reports,
                &filters,
                CHANNEL_STATUSES,
                |r| r.summary.status.clone(),
                |r| matches!(r.summary.status.as_str(), "closed" | "abandoned"),
            )?;
            out.result(&ChannelList {
                channels,
                hidden,
                id_len,
            });
            return Ok(());
        }
        ChannelCommand::Show { id } => watched_report(&e, &mut e.channel(&id)?, false)?,
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

/// The report of a channel after a watch pass (when it has a funding outpoint). Listed
/// `among` others (`channel list`), a closing channel whose close cannot be published yet
/// shows that as an alert instead of stopping the list.
fn watched_report(e: &Engine<'_>, ch: &mut ClientChannel, among: bool) -> CliResult<ChannelReport> {
    // Read without the lock (another process holds the wallet): as last recorded, no watch
    // pass (it may publish and save).
    let view = |outcome: crate::watch::WatchOutcome| ChainView {
        status: outcome.name(),
        description: outcome.to_string(),
    };
    let chain = match (e.store().is_detached(), among) {
        (true, _) => None,
        (false, false) => e.look_at(ch)?.map(view),
        (false, true) => match e.look_among(ch)? {
            Ok(outcome) => outcome.map(view),
            Err(why) => Some(ChainView {
                status: "alert",
                description: why,
            }),
        },
    };
    let mut report = ChannelReport::of(e, ch)?;
    report.chain = chain;
    Ok(report)
}
