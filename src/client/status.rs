//! The wallet at a glance (`asyncpay status`): keys, chain tip, on-chain and channel
//! balances, pending payments, channels by status, and whether each server answers. It only
//! reads: no record is written, no channel is watched, nothing is published.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{ClientResult, Direction, Engine};
use crate::keys::NodeId;
use crate::net::client::{Client, ClientOptions};
use crate::protocol::ChannelStatus;
use crate::server::ServerInfo;

/// How long `status` waits for a server to connect, and then to answer.
const SERVER_TIMEOUT: Duration = Duration::from_secs(3);

/// Payments that are not final yet, one way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PendingTotal {
    /// How many.
    pub count: usize,
    /// Their amount, satoshis: outgoing with S's fee (what leaves our balance), incoming
    /// what we receive.
    pub amount_sat: u64,
}

/// Whether a server we have channels with answers `GET /v1/info`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCheck {
    /// The server's URL.
    pub url: String,
    /// Its node id, as recorded with our channels.
    pub node_id: NodeId,
    /// How many of our channels (not closed) are with it.
    pub channels: usize,
    /// It answered, as the node id we recorded.
    pub reachable: bool,
    /// Its asyncpay version, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why it did not answer (or answered as another node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The wallet at a glance. See the module documentation.
#[derive(Debug, Clone)]
pub struct WalletStatus {
    /// Our node id.
    pub node_id: NodeId,
    /// The network.
    pub network: bitcoin::Network,
    /// The chain source's tip height.
    pub tip_height: u32,
    /// On-chain: confirmed, satoshis.
    pub onchain_confirmed_sat: u64,
    /// On-chain: unconfirmed (our change and incoming), satoshis.
    pub onchain_unconfirmed_sat: u64,
    /// Our side of the latest signed state of every open channel, satoshis.
    pub channels_sat: u64,
    /// Channels by status (`open`, `awaiting_funding`, …; `abandoned`: failed opens), as
    /// last recorded (`channel list` refreshes them from the chain).
    pub channels: BTreeMap<&'static str, usize>,
    /// Outgoing payments not final yet.
    pub pending_outgoing: PendingTotal,
    /// Incoming payments not final yet.
    pub pending_incoming: PendingTotal,
    /// Each server of a channel that is not closed.
    pub servers: Vec<ServerCheck>,
    /// Records that could not be read (quarantined payment records).
    pub problems: Vec<String>,
}

/// The JSON name of a channel status.
fn status_key(status: ChannelStatus) -> &'static str {
    match status {
        ChannelStatus::Opening => "opening",
        ChannelStatus::AwaitingFunding => "awaiting_funding",
        ChannelStatus::Open => "open",
        ChannelStatus::Closing => "closing",
        ChannelStatus::Closed => "closed",
    }
}

impl Engine<'_> {
    /// The wallet at a glance; reads the chain and asks each server `GET /v1/info` (an
    /// unreachable server is reported in [`WalletStatus::servers`], not an error). Writes
    /// nothing.
    pub fn status(&self) -> ClientResult<WalletStatus> {
        let source = self.chain()?;
        let tip_height = source.tip_height()?;
        // Synced in memory only: the wallet state is not saved.
        let (wallet, _) = self.onchain()?;
        let balance = wallet.balance();

        let mut channels: BTreeMap<&'static str, usize> = [
            "opening",
            "awaiting_funding",
            "open",
            "closing",
            "closed",
            "abandoned",
        ]
        .into_iter()
        .map(|k| (k, 0))
        .collect();
        let mut channels_sat = 0u64;
        let mut servers: Vec<ServerCheck> = Vec::new();
        for ch in self.all()? {
            let status = ch.channel.status();
            let key = if ch.abandoned() {
                "abandoned"
            } else {
                status_key(status)
            };
            *channels.entry(key).or_default() += 1;
            if status == ChannelStatus::Open {
                channels_sat += ch.channel.latest().map_or(0, |l| l.state.client.to_sat());
            }
            if status == ChannelStatus::Closed {
                continue;
            }
            match servers
                .iter_mut()
                .find(|s| s.url == ch.server_url && s.node_id == ch.server)
            {
                Some(s) => s.channels += 1,
                None => servers.push(ServerCheck {
                    url: ch.server_url.clone(),
                    node_id: ch.server,
                    channels: 1,
                    reachable: false,
                    version: None,
                    error: None,
                }),
            }
        }

        let (payments, problems) = self.payments()?;
        let (mut pending_outgoing, mut pending_incoming) =
            (PendingTotal::default(), PendingTotal::default());
        for p in payments.iter().filter(|p| !p.status.is_final()) {
            let total = match p.direction {
                Direction::Outgoing => &mut pending_outgoing,
                Direction::Incoming => &mut pending_incoming,
            };
            total.count += 1;
            total.amount_sat += match p.direction {
                Direction::Outgoing => p.amount_sat.saturating_add(p.fee_sat),
                Direction::Incoming => p.amount_sat,
            };
        }

        for s in &mut servers {
            self.busy(Some(&format!("asking {}", s.url)));
            match self.server_info(&s.url, s.node_id) {
                Ok(info) => {
                    s.reachable = true;
                    s.version = Some(info.version);
                }
                Err(e) => s.error = Some(e),
            }
        }
        self.busy(None);

        Ok(WalletStatus {
            node_id: self.keys.node_id(),
            network: self.network,
            tip_height,
            onchain_confirmed_sat: balance.confirmed.to_sat(),
            onchain_unconfirmed_sat: (balance.trusted_pending + balance.untrusted_pending).to_sat(),
            channels_sat,
            channels,
            pending_outgoing,
            pending_incoming,
            servers,
            problems,
        })
    }

    /// `GET /v1/info` of the server at `url` that must be node `node`, with short timeouts.
    fn server_info(&self, url: &str, node: NodeId) -> Result<ServerInfo, String> {
        let options = ClientOptions {
            connect_timeout: SERVER_TIMEOUT,
            read_timeout: SERVER_TIMEOUT,
            ..ClientOptions::default()
        };
        let client = Client::with_keypair(
            url,
            self.keys.node_keypair(),
            self.server_ca.clone(),
            options,
        )
        .map_err(|e| e.to_string())?
        .pinned_to(node);
        client.get("/v1/info").map_err(|e| e.to_string())
    }
}
