//! The server S: its settings, its channels with clients, and the HTTP API over the
//! sans-I/O [`crate::protocol::Channel`]. Every state change is written (encrypted,
//! atomically) before the reply that depends on it is sent (PROTOCOL.md §7.4).
//!
//! The handlers are synchronous: [`ServerCore`] holds one lock for the whole state, and
//! the HTTP layer calls it from blocking tasks.

pub mod api;
mod book;
mod early;
pub mod mailbox;
pub mod payments;
pub mod watcher;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use bitcoin::{Address, Amount, FeeRate, Network, OutPoint, Transaction};
use serde::{Deserialize, Serialize};

use crate::chain::source::ChainSource;
use crate::crypto::musig::{PartialSignature, PublicNonce, SecretNonce, SigningSession};
use crate::eltoo::{ChannelState, CooperativeClose, Party};
use crate::keys::{NodeId, WalletKeys};
use crate::net::ApiError;
use crate::protocol::{
    Channel, ChannelError, ChannelId, ChannelStatus, FundingPublished, HistoryChunk, Message,
    OpenChannel, OpenPolicy, UpdateAccept, UpdateProposal, UpdateSignature,
};
use crate::store::{StateFile, Store, StoreError, Txn};
use crate::wallet::{OnchainWallet, OwnTx, WalletState};

/// The channel policy S enforces and shows to clients (`GET /v1/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPolicy {
    /// Settlement delay S uses when the client does not ask for one.
    pub shared_delay: u16,
    /// Smallest settlement delay S accepts.
    pub min_shared_delay: u16,
    /// Largest settlement delay S accepts.
    pub max_shared_delay: u16,
    /// Smallest channel capacity, satoshis.
    pub min_capacity_sat: u64,
    /// Largest channel capacity, satoshis.
    pub max_capacity_sat: u64,
    /// Dust limit of settlement outputs, satoshis.
    pub dust_limit_sat: u64,
    /// Confirmations of a funding transaction before the channel is usable.
    pub minimum_depth: u32,
    /// Whether S funds channels for clients (inbound capacity).
    pub server_funds: bool,
    /// S's fee for a payment, parts per million of the amount (used by payments).
    pub fee_ppm: u32,
    /// Settlement delay of the channels S funds (inbound capacity: where payees receive).
    /// Short, so that a PTLC S offers there expires before a payer's channel could settle
    /// (PROTOCOL.md §4.1).
    #[serde(default = "default_inbound_shared_delay")]
    pub inbound_shared_delay: u16,
    /// Blocks S allows a time-critical transaction (a rebinding update, a settlement, a PTLC
    /// claim) to confirm in: `C` of PROTOCOL.md §4.1. Payees compute S's PTLC expiry with it.
    #[serde(default = "default_confirmation_budget")]
    pub confirmation_budget: u16,
}

fn default_inbound_shared_delay() -> u16 {
    24
}

fn default_confirmation_budget() -> u16 {
    6
}

impl Default for ChannelPolicy {
    fn default() -> Self {
        let p = OpenPolicy::default();
        ChannelPolicy {
            shared_delay: p.default_shared_delay,
            min_shared_delay: p.min_shared_delay,
            max_shared_delay: p.max_shared_delay,
            min_capacity_sat: p.min_capacity.to_sat(),
            max_capacity_sat: p.max_capacity.to_sat(),
            dust_limit_sat: p.dust_limit.to_sat(),
            minimum_depth: p.minimum_depth,
            server_funds: p.server_funds,
            fee_ppm: 1_000,
            inbound_shared_delay: default_inbound_shared_delay(),
            confirmation_budget: default_confirmation_budget(),
        }
    }
}

impl ChannelPolicy {
    /// The smallest settlement delay of a channel S accepts: above the confirmation budget,
    /// so that S (and the client) can rebind the latest update over an old one in time.
    pub fn min_delay(&self) -> u16 {
        self.min_shared_delay
            .max(self.confirmation_budget.saturating_add(1))
            .max(crate::eltoo::MIN_SHARED_DELAY)
    }

    /// The smallest delay of a channel the client funds (a payer's channel): long enough
    /// that S can sell its payments into a channel S funds (PROTOCOL.md §4.1:
    /// `delay(A–S) ≥ delay(B–S) + 5·C + margin − 2`).
    pub fn min_payer_delay(&self) -> u16 {
        let timing = crate::payment::sale::PtlcTiming {
            payer_delay: 0,
            payee_delay: self.inbound_shared_delay,
            budget: self.confirmation_budget,
        };
        u16::try_from(timing.min_payer_delay())
            .unwrap_or(u16::MAX)
            .max(self.min_delay())
    }

    /// Checks that the delays of this policy allow sales between its own channels: inbound
    /// channels above the budget, the default delay at least [`ChannelPolicy::min_payer_delay`].
    pub fn check_timing(&self) -> Result<(), String> {
        if self.confirmation_budget == 0 {
            return Err("the confirmation budget must be at least 1 block".into());
        }
        if self.inbound_shared_delay < self.min_delay() {
            return Err(format!(
                "the delay of inbound channels ({} blocks) must be at least {} (above the \
                 confirmation budget of {} blocks and the minimum delay)",
                self.inbound_shared_delay,
                self.min_delay(),
                self.confirmation_budget
            ));
        }
        if self.shared_delay < self.min_payer_delay() {
            return Err(format!(
                "the delay of client-funded channels ({} blocks) must be at least {} blocks: \
                 inbound delay {} + 5 x confirmation budget {} + PTLC margin {} - 2, or S \
                 could not sell their payments safely (PROTOCOL.md 4.1)",
                self.shared_delay,
                self.min_payer_delay(),
                self.inbound_shared_delay,
                self.confirmation_budget,
                crate::payment::sale::PTLC_MARGIN_BLOCKS
            ));
        }
        Ok(())
    }

    /// The policy S applies to an open funded by `funder`: channels S funds get the short
    /// inbound delay (at most that), channels the client funds a delay of at least
    /// [`ChannelPolicy::min_payer_delay`]; every delay is above the confirmation budget.
    pub fn open_policy_for(&self, funder: Party) -> OpenPolicy {
        let mut p = self.open_policy();
        match funder {
            Party::Server => {
                p.default_shared_delay = self.inbound_shared_delay;
                p.min_shared_delay = self.min_delay().min(self.inbound_shared_delay);
                p.max_shared_delay = self.inbound_shared_delay;
            }
            Party::Client => {
                p.min_shared_delay = self.min_payer_delay();
                p.default_shared_delay = self.shared_delay.max(p.min_shared_delay);
                p.max_shared_delay = self.max_shared_delay.max(p.default_shared_delay);
            }
        }
        p
    }

    /// The policy the protocol enforces on channel opens.
    pub fn open_policy(&self) -> OpenPolicy {
        OpenPolicy {
            default_shared_delay: self.shared_delay,
            min_shared_delay: self.min_shared_delay,
            max_shared_delay: self.max_shared_delay,
            min_capacity: Amount::from_sat(self.min_capacity_sat),
            max_capacity: Amount::from_sat(self.max_capacity_sat),
            server_funds: self.server_funds,
            dust_limit: Amount::from_sat(self.dust_limit_sat),
            minimum_depth: self.minimum_depth,
        }
    }
}

/// Whom S funds channels for (inbound capacity). Node ids cost nothing to make, so a limit
/// per node alone does not bound what strangers make S lock up; each policy ties S's coins
/// to something a stranger cannot multiply for free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InboundPolicy {
    /// Nodes on the operator's allow-list, and any node with its own stake: S funds up to
    /// `inbound_stake_pct` % of the capacity that node funded itself in channels with S that
    /// are open (confirmed). Getting inbound costs a Sybil as many coins, locked as long.
    #[default]
    Stake,
    /// Only nodes on the operator's allow-list.
    AllowList,
    /// Any node, within the limits only (for demos and tests on regtest: Sybil-prone).
    Anyone,
}

impl std::fmt::Display for InboundPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InboundPolicy::Stake => "stake",
            InboundPolicy::AllowList => "allow-list",
            InboundPolicy::Anyone => "anyone",
        })
    }
}

impl std::str::FromStr for InboundPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stake" => Ok(InboundPolicy::Stake),
            "allow-list" => Ok(InboundPolicy::AllowList),
            "anyone" => Ok(InboundPolicy::Anyone),
            _ => Err(format!(
                "unknown inbound policy '{s}': expected stake, allow-list or anyone"
            )),
        }
    }
}

/// The limits S puts on channel opens, and whom it funds (`server.age`; not shown to
/// clients: the allow-list is the operator's business).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenLimits {
    /// Whom S funds inbound channels for (with `server_funds`).
    pub inbound: InboundPolicy,
    /// Nodes S funds inbound channels for whatever the policy (still within the limits).
    pub inbound_allow: Vec<NodeId>,
    /// Under [`InboundPolicy::Stake`]: S-funded capacity a node may hold, in percent of the
    /// capacity it funded itself in open channels with S.
    pub inbound_stake_pct: u32,
    /// Total capacity of channels S funds that are not closed (reserved from the open on).
    pub max_inbound_sat: u64,
    /// S-funded capacity one node may hold (channels not closed).
    pub max_inbound_per_node_sat: u64,
    /// Channels one node may have that are not closed.
    pub max_channels_per_node: u32,
    /// Channels one node may have that are not funded yet (opening or awaiting funding).
    pub max_unfunded_per_node: u32,
    /// Channels not funded yet of all the nodes that have no funded channel with S,
    /// together (a node with one is held back only by `max_unfunded_per_node`).
    pub max_unfunded: u32,
    /// A channel whose funding S has not seen confirmed this many blocks after its open is
    /// forgotten (marked closed). S-funded channels S published the funding of never expire.
    pub open_expiry_blocks: u32,
    /// S force-closes a channel it funded into which nothing was paid (the client's balance
    /// never rose) for this many blocks since its funding confirmed or the last payment
    /// arrived (0: never), returning its liquidity. Updates that move nothing do not count.
    pub idle_inbound_blocks: u32,
    /// Under [`InboundPolicy::Stake`]: blocks of notice S gives before it force-closes a
    /// node's inbound channels that its live stake no longer covers.
    pub inbound_notice_blocks: u32,
}

impl Default for OpenLimits {
    fn default() -> Self {
        OpenLimits {
            inbound: InboundPolicy::Stake,
            inbound_allow: Vec::new(),
            inbound_stake_pct: 100,
            max_inbound_sat: 100_000_000,
            max_inbound_per_node_sat: 10_000_000,
            max_channels_per_node: 32,
            max_unfunded_per_node: 16,
            max_unfunded: 1_000,
            open_expiry_blocks: 144,
            idle_inbound_blocks: 4_032,
            inbound_notice_blocks: 144,
        }
    }
}

/// S's settings (`server.age`): the channel policy, where to listen, and the next channel
/// key index (written before any channel key derived from it is used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// The channel policy.
    #[serde(flatten)]
    pub policy: ChannelPolicy,
    /// The least fee rate of the funding transactions S publishes, sat/vB (the node's
    /// estimate when higher); S pays more for one a block passes by (up to twice the
    /// estimate).
    pub fee_rate_sat_vb: u64,
    /// Next channel key index (`m/9735'/coin'/1'/i'`).
    pub next_key_index: u32,
    /// Limits on opens and whom S funds.
    #[serde(default)]
    pub limits: OpenLimits,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: crate::net::server::DEFAULT_LISTEN.to_string(),
            policy: ChannelPolicy::default(),
            fee_rate_sat_vb: 2,
            next_key_index: 0,
            limits: OpenLimits::default(),
        }
    }
}

impl StateFile for ServerSettings {
    const FILE: &'static str = "server.age";
    const KIND: &'static str = "asyncpay/server-settings";
    const VERSION: u32 = 1;
}

/// One channel of S with a client (`server-channels/<id>.age`).
#[derive(Serialize, Deserialize)]
pub struct ServerChannel {
    /// The client's node id: only it may act on the channel.
    pub client: NodeId,
    /// S's channel key index.
    pub key_index: u32,
    /// The channel.
    pub channel: Channel,
    /// Transactions S published for this channel (funding, close, rebinding, settlement).
    #[serde(default)]
    pub published: Vec<bitcoin::Txid>,
    /// Chain height when the client opened the channel (unfunded opens expire from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_height: Option<u32>,
    /// Channels S funds: the client's balance when S last looked, and the height at which
    /// it last rose (a payment into the node). Idle inbound is measured from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Received>,
    /// Channels S funds: the height since which the client's live stake no longer covers
    /// this channel (policy stake); S force-closes it `inbound_notice_blocks` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncovered_since: Option<u32>,
    /// The random value S's keys of this channel are bound to
    /// ([`crate::keys::ChannelSecrets::bound_to`]): an S restored from its seed or an old
    /// copy reuses key indices, never keys, so no client can replay an old channel's states
    /// on a new one. Absent in older records (their keys are the index's alone).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::protocol::hex::option"
    )]
    pub key_salt: Option<[u8; 32]>,
    /// The sale state S last withdrew and superseded on this channel (unsigned by S): while
    /// it is the channel's superseded update, a payee that had not signed it (and dropped it
    /// without superseding) may propose its number again, and S takes its supersede back;
    /// a signature of it sent again is answered `sale_withdrawn`. Inert once the channel's
    /// superseded update is another (numbers only grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_sale: Option<u32>,
    /// The cooperative close S completed and published, published again before S's
    /// watcher would force-close the closing channel because the node lost it. Absent for
    /// any other channel.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::chain::source::kept_tx"
    )]
    pub cooperative_close: Option<bitcoin::Transaction>,
}

impl ServerChannel {
    /// S's secret keys of this channel.
    pub fn secrets(&self, keys: &WalletKeys) -> crate::keys::ChannelSecrets {
        match &self.key_salt {
            Some(salt) => keys.channel_bound_to(self.key_index, salt),
            None => keys.channel(self.key_index),
        }
    }
}

/// What S last saw paid into a channel it funds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The client's balance in the latest state S saw.
    pub client_sat: u64,
    /// The height at which S saw that balance rise above the one before.
    pub height: u32,
}

/// S's notice that it will force-close a channel it funded (`GET /v1/channels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseNotice {
    /// The height from which S force-closes the channel.
    pub at_height: u32,
    /// Why, and what the client can do about it.
    pub reason: String,
}

impl StateFile for ServerChannel {
    const FILE: &'static str = "server-channels";
    const KIND: &'static str = "asyncpay/server-channel";
    /// 2: `key_salt` (a build that does not know it must not read the record: it would
    /// sign with the index's keys alone).
    const VERSION: u32 = 2;

    /// Version 1: without `key_salt` (none: the keys of the index alone).
    fn migrate(version: u32, data: serde_json::Value) -> Result<Self, String> {
        crate::store::migrate_by_defaults(version, 1, data)
    }

    fn save_beside(&self, tx: &mut Txn<'_>) -> Result<(), StoreError> {
        save_history_chunks(tx, &self.channel)
    }
}

/// A chunk of a channel's history stored apart (either role's: the key names the side).
impl StateFile for HistoryChunk {
    const FILE: &'static str = "settle-leaf-hashes";
    const KIND: &'static str = "asyncpay/settle-leaf-hashes";
    const VERSION: u32 = 1;
}

/// Saves, in `tx`, each chunk of `channel`'s history frozen since it was loaded that is not
/// stored yet: the channel's record, saved after them in the same transaction, leaves
/// their hashes out (see [`crate::protocol::history`]). A chunk is written once; one found
/// stored with other hashes fails the save (the record would lose ours). Once a committed
/// copy was found, the chunk is not looked for again.
pub fn save_history_chunks(tx: &mut Txn<'_>, channel: &Channel) -> Result<(), StoreError> {
    for frozen in channel.fresh_history_chunks() {
        if !frozen.is_seen_stored() && tx.save_once_keyed(&frozen.chunk().key(), frozen.chunk())? {
            frozen.mark_seen_stored();
        }
    }
    Ok(())
}

/// What S reports when chunks of `channel`'s history stored apart are not among `stored`
/// (the keys of the data dir's chunks): S still watches the channel, but cannot rebind over
/// an old update from those states.
fn missing_history(channel: &Channel, stored: &BTreeSet<String>) -> Option<Quarantined> {
    let (id, local) = (channel.id(), channel.local());
    let missing: Vec<u32> = (0..channel.stored_history_chunks())
        .filter(|i| !stored.contains(&HistoryChunk::key_of(id, local, *i)))
        .collect();
    let (first, last) = (missing.first()?, missing.last()?);
    Some(Quarantined {
        what: format!("channel {id}"),
        reason: format!(
            "{} chunk(s) of its settle-leaf hashes are missing (chunks {first} to {last}, \
             states {} to {}): S watches the channel but cannot rebind over an old update \
             from those states; restore the data dir from a backup, or close the channel \
             cooperatively",
            missing.len(),
            first * crate::protocol::HISTORY_CHUNK,
            (last + 1) * crate::protocol::HISTORY_CHUNK - 1
        ),
    })
}

/// The public part of S: what `GET /v1/info` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    /// S's node id.
    pub node_id: NodeId,
    /// The network.
    pub network: String,
    /// asyncpay version.
    pub version: String,
    /// The channel policy.
    #[serde(flatten)]
    pub policy: ChannelPolicy,
    /// The chain watcher's health (`server run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watcher: Option<watcher::WatcherStatus>,
}

/// A channel as a client sees it over the API (`GET /v1/channels`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// Channel id.
    pub channel_id: ChannelId,
    /// Status.
    pub status: String,
    /// Capacity, satoshis.
    pub capacity_sat: u64,
    /// Latest signed state number.
    pub state: Option<u32>,
    /// Client balance in the latest signed state.
    pub client_sat: Option<u64>,
    /// Server balance in the latest signed state.
    pub server_sat: Option<u64>,
    /// Funding outpoint, once known.
    pub funding_outpoint: Option<String>,
    /// Funding confirmations S counted.
    pub confirmations: u32,
    /// For a channel S funded: the force close S has scheduled, if any (the client may
    /// close it cooperatively before; `docs/protocol.md` §6, "What S risks at opening").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_notice: Option<CloseNotice>,
}

/// A request for a cooperative close, step 1: the client's nonce and the fee it pays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseRequest {
    /// The channel.
    pub channel_id: ChannelId,
    /// Fee of the close transaction, paid from the client's balance.
    pub fee_sat: u64,
    /// The client's public nonce (66 bytes, hex).
    pub nonce: String,
}

/// S's answer to a [`CloseRequest`]: its public nonce.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseAccept {
    /// S's public nonce (hex).
    pub nonce: String,
}

/// Step 2 of a cooperative close: the client's partial signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseSign {
    /// The channel.
    pub channel_id: ChannelId,
    /// The fee, as in the request.
    pub fee_sat: u64,
    /// The client's public nonce, as in the request (hex).
    pub nonce: String,
    /// S's nonce from [`CloseAccept`] (hex).
    pub server_nonce: String,
    /// The client's partial signature (hex, 32 bytes).
    pub partial_signature: String,
}

/// S's answer to [`CloseSign`]: the close transaction it published.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseDone {
    /// The close transaction id.
    pub txid: bitcoin::Txid,
    /// The signed transaction, hex.
    pub tx_hex: String,
}

/// Replies to a channel message: zero or more messages back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Replies {
    /// The messages, each in its versioned envelope.
    pub messages: Vec<serde_json::Value>,
}

struct Inner {
    settings: ServerSettings,
    channels: book::ChannelBook,
    payments: payments::PaymentBook,
    /// Each client's channels: what S asks about a node (its channels, whether it is a
    /// member of the mailbox or a known node of the request budgets) looks at those alone.
    by_client: HashMap<NodeId, BTreeSet<ChannelId>>,
    onchain: Option<(OnchainWallet, WalletState)>,
    /// What S set aside at startup (or since) instead of refusing to start.
    quarantined: Vec<Quarantined>,
    /// S's secret nonce of each cooperative close in progress, with the fee it was asked
    /// for. In memory only: a nonce on disk could be put back from an old copy of the
    /// channel's file (still authentic) and sign a second close, which would reveal S's
    /// funding key. After a restart the client requests a new close.
    close_nonces: BTreeMap<ChannelId, (SecretNonce, u64)>,
    /// The tip at which S last looked for fee children to pay more for (one look a block).
    fees_checked_at: Option<u32>,
    /// The chain's fee estimate as that look read it (`None` before the first).
    fee_estimate: Option<FeeRate>,
    /// The tip at which [`ServerCore::fee_coins`] last synced the wallet (once a block).
    fee_coins_synced_at: Option<u32>,
    /// The tip at which the watcher last published (or tried to) S's latest update for a
    /// closing channel whose funding was unspent: once a block, not at every pass.
    closing_forced_at: HashMap<ChannelId, u32>,
    /// The looks at the chain the request holding the lock made before it
    /// ([`ServerCore::lock_after_looks`]); emptied when the lock is let go.
    early: early::EarlyLooks,
}

impl Inner {
    /// `client`'s channels, by id.
    fn channels_of<'a>(&'a self, client: &NodeId) -> impl Iterator<Item = &'a ServerChannel> + 'a {
        self.by_client
            .get(client)
            .into_iter()
            .flatten()
            .map(|id| &self.channels[id])
    }

    /// Whether `client` has a channel with S in one of `statuses`.
    fn has_channel_in(&self, client: &NodeId, statuses: &[ChannelStatus]) -> bool {
        self.channels_of(client)
            .any(|c| statuses.contains(&c.channel.status()))
    }
}

/// Blocks S waits before paying for a client's close of a channel that holds no PTLC: its
/// update or settlement, published with the client's own fee child, stuck in the mempool.
const CLIENT_CLOSE_PATIENCE: u32 = 144;

/// How deep a transaction of S's that spent the coins of one of its fundings (after the
/// funding left the mempool) must be before S forgets the funding's channel.
const FUNDING_GIVEN_UP: u32 = 6;

/// Longest the watcher lets waiting requests go first before its next channel.
const WATCHER_YIELD: std::time::Duration = std::time::Duration::from_millis(5);

/// S writes an open channel's funding confirmations down up to this many (or its minimum
/// depth, if more): counting every block into every channel's record would be a write per
/// channel per block.
const COUNTED_CONFIRMATIONS: u32 = 6;

/// A channel, payment or file S could not load or finish and set aside: S starts and keeps
/// watching everything else; the operator sees these in the startup line, the log and
/// `asyncpay server sales list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// What: `channel ID`, `payment ID` or the file's key.
    pub what: String,
    /// What went wrong and what to do.
    pub reason: String,
}

/// What a test runs while a request waits between its early looks and S's lock.
type Pause = Box<dyn FnOnce() + Send>;

/// S's lock of its state, held: the time it is held is counted ([`ServerCore::lock_stats`]).
struct Held<'a> {
    guard: std::sync::MutexGuard<'a, Inner>,
    since: std::time::Instant,
    cpu_since: std::time::Duration,
    stats: &'a LockCounters,
}

impl std::ops::Deref for Held<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.guard
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.guard
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.guard.early = early::EarlyLooks::default();
        let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let cpu = thread_cpu().saturating_sub(self.cpu_since);
        self.stats.taken.fetch_add(1, Relaxed);
        self.stats
            .held_ns
            .fetch_add(nanos(self.since.elapsed()), Relaxed);
        self.stats.cpu_ns.fetch_add(nanos(cpu), Relaxed);
    }
}

#[derive(Default)]
struct LockCounters {
    taken: std::sync::atomic::AtomicU64,
    held_ns: std::sync::atomic::AtomicU64,
    cpu_ns: std::sync::atomic::AtomicU64,
    looks_before: std::sync::atomic::AtomicU64,
    looks_under: std::sync::atomic::AtomicU64,
    reads: std::sync::atomic::AtomicU64,
}

/// The CPU time the calling thread has used (zero if the clock cannot be read: this runs
/// as S's lock is let go, also while a panic unwinds, and must not panic itself).
fn thread_cpu() -> std::time::Duration {
    #[cfg(unix)]
    {
        use rustix::time::{clock_gettime_dynamic, ClockId, DynamicClockId};
        clock_gettime_dynamic(DynamicClockId::Known(ClockId::ThreadCPUTime)).map_or(
            std::time::Duration::ZERO,
            |t| {
                std::time::Duration::new(
                    u64::try_from(t.tv_sec).unwrap_or(0),
                    u32::try_from(t.tv_nsec).unwrap_or(0),
                )
            },
        )
    }
    #[cfg(not(unix))]
    std::time::Duration::ZERO
}

/// How often S's lock of its state was taken and for how long in all, since S started:
/// every request and the watcher serialize on it, so it bounds S's payments per second at
/// one over the time it is held per payment (`cargo bench --bench network`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockStats {
    /// Times taken.
    pub taken: u64,
    /// Wall time held, in all (with the holder's waits for the CPU on a loaded machine).
    pub held: std::time::Duration,
    /// CPU time the holders used while they held it, in all.
    pub cpu: std::time::Duration,
    /// Looks at a channel on chain that S (a request's checks, the watcher) took under the
    /// lock from a read made before it (ADR 0015).
    pub looks_before: u64,
    /// Looks at a channel on chain that S (a request's checks, the watcher) made under the
    /// lock: none was read before it, or the read could not stand for a look made then.
    pub looks_under: u64,
    /// Reads of the chain made before the lock (one per request that reads, of all the
    /// channels it will look at; one per channel for the watcher).
    pub reads: u64,
}

/// The server's state and logic, shared by the HTTP handlers and the chain watcher.
pub struct ServerCore {
    store: Store,
    keys: WalletKeys,
    network: Network,
    chain: Box<dyn ChainSource>,
    manual: std::sync::atomic::AtomicBool,
    watch_health: Mutex<watcher::WatchHealth>,
    /// The chunks of history the watcher read for a channel under dispute, kept for its
    /// next passes ([`watch_at_s`]).
    watch_chunks: Mutex<HashMap<ChannelId, Vec<HistoryChunk>>>,
    /// Unix time this core was opened (`server run` started).
    started_at: u64,
    inner: Mutex<Inner>,
    lock_counters: LockCounters,
    /// Requests waiting for `inner`: the watcher lets them go first between two channels
    /// (a mutex does not hand itself to a waiter, so a pass would otherwise keep it).
    waiting: std::sync::atomic::AtomicUsize,
    /// How many channels the last watcher pass looked at on chain.
    looked: std::sync::atomic::AtomicUsize,
    /// Orders looks at the chain ([`early`]): read when a look made before the lock
    /// begins, and when any look ends.
    look_clock: std::sync::atomic::AtomicU64,
    /// The look clock when the newest look at each channel under the lock (or taken from
    /// before it) ended: a look that began before cannot stand for one made now.
    look_ends: Mutex<HashMap<ChannelId, u64>>,
    /// The look clock when the newest look at any channel S took (made under the lock, or
    /// taken from a read before it) ended: a read that began before it may be older than
    /// what S has seen since.
    last_look_end: std::sync::atomic::AtomicU64,
    /// Tests: run once after the next early looks of the kind named (of the channel named,
    /// if one is), before the lock is taken ([`ServerCore::pause_before_lock`]).
    pause: Mutex<Option<(&'static str, Option<ChannelId>, Pause)>>,
    /// Whether the last pass's question of which fundings the mempool spends failed
    /// ([`ServerCore::unspent_in_mempool`]).
    mempool_question_failed: std::sync::atomic::AtomicBool,
    /// The fundings S published that wait for their first confirmation: S's wallet keeps
    /// them going and spends their coins in nothing else ([`OnchainWallet::keep`]).
    kept_fundings: Mutex<BTreeSet<bitcoin::Txid>>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

fn random32() -> Result<[u8; 32], ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(internal)?;
    Ok(b)
}

use crate::protocol::hex::encode as hex;

/// Exactly `N` bytes of hex from a request field.
fn unhex<const N: usize>(field: &str, s: &str) -> Result<[u8; N], ApiError> {
    crate::protocol::hex::decode::<N>(s)
        .map_err(|e| ApiError::bad_request("invalid_field", format!("{field}: {e}")))
}

fn channel_error(e: crate::protocol::ChannelError) -> ApiError {
    ApiError::conflict("channel_refused", e.to_string())
}

fn store_error(e: crate::store::StoreError) -> ApiError {
    internal(format!("cannot write S's state: {e}"))
}

impl ServerCore {
    /// Loads S's settings and channels from an unlocked store.
    pub fn open(
        store: Store,
        keys: WalletKeys,
        network: Network,
        chain: Box<dyn ChainSource>,
    ) -> Result<ServerCore, String> {
        let settings: ServerSettings = store
            .load()
            .map_err(|e| e.to_string())?
            .ok_or("this wallet is not set up as a server; run `asyncpay server init` first")?;
        // Nothing about one channel or payment keeps S from starting: what cannot be loaded
        // is set aside (quarantined) and reported; S watches everything else.
        let mut quarantined = Vec::new();
        let mut channels = BTreeMap::new();
        for key in store
            .keys_of::<ServerChannel>()
            .map_err(|e| e.to_string())?
        {
            match store.load_keyed::<ServerChannel>(&key) {
                Ok(Some(ch)) => {
                    channels.insert(ch.channel.id(), ch);
                }
                Ok(None) => {}
                Err(e) => quarantined.push(Quarantined {
                    what: format!("channel record {key}"),
                    reason: format!(
                        "cannot be loaded ({e}); S does not watch this channel: restore the \
                         file from a backup, or close the channel from the client's side"
                    ),
                }),
            }
        }
        let mut payments = payments::PaymentBook::default();
        for key in store
            .keys_of::<payments::ServerPayment>()
            .map_err(|e| e.to_string())?
        {
            let p: payments::ServerPayment = match store.load_keyed(&key) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    quarantined.push(Quarantined {
                        what: format!("payment record {key}"),
                        reason: format!(
                            "cannot be loaded ({e}); S neither sells nor cancels it: restore \
                             the file from a backup"
                        ),
                    });
                    continue;
                }
            };
            if !channels.contains_key(&p.payer_channel)
                || p.payee_channel.is_some_and(|c| !channels.contains_key(&c))
            {
                quarantined.push(Quarantined {
                    what: format!("payment {}", p.payment_id),
                    reason: "names a channel S does not have (S's data directory is \
                             incomplete); S neither sells nor cancels it: restore the channel \
                             file from a backup"
                        .to_owned(),
                });
                continue;
            }
            payments.insert(p);
        }
        // A chunk of a channel's history missing from the data dir is found when the channel
        // is loaded, not when a cheater publishes an update from it. S still watches the
        // channel (it can rebind over every other old update).
        let chunks: BTreeSet<String> = store
            .keys_of::<HistoryChunk>()
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect();
        quarantined.extend(
            channels
                .values()
                .filter_map(|ch| missing_history(&ch.channel, &chunks)),
        );
        let mut by_client: HashMap<NodeId, BTreeSet<ChannelId>> = HashMap::new();
        for (id, ch) in &channels {
            by_client.entry(ch.client).or_default().insert(*id);
        }
        // Whatever S publishes follows from what it committed: on disk first (ADR 0014).
        let sync = store.syncer();
        let chain = Box::new(crate::chain::source::Adjusted::sync_first(
            chain,
            Box::new(move || sync().map_err(|e| e.to_string())),
        ));
        let kept_fundings = waiting_fundings(channels.values())
            .map(|(_, output)| output.txid)
            .collect();
        let core = ServerCore {
            store,
            keys,
            network,
            chain,
            manual: std::sync::atomic::AtomicBool::new(false),
            watch_health: Mutex::default(),
            watch_chunks: Mutex::default(),
            started_at: crate::net::server::system_clock(),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            looked: std::sync::atomic::AtomicUsize::new(0),
            look_clock: std::sync::atomic::AtomicU64::new(0),
            look_ends: Mutex::default(),
            last_look_end: Default::default(),
            pause: Mutex::default(),
            mempool_question_failed: std::sync::atomic::AtomicBool::new(false),
            kept_fundings: Mutex::new(kept_fundings),
            lock_counters: LockCounters::default(),
            inner: Mutex::new(Inner {
                settings,
                channels: book::ChannelBook::new(channels),
                payments,
                by_client,
                onchain: None,
                quarantined,
                close_nonces: BTreeMap::new(),
                fees_checked_at: None,
                fee_estimate: None,
                fee_coins_synced_at: None,
                closing_forced_at: HashMap::new(),
                early: early::EarlyLooks::default(),
            }),
        };
        // Go on from the spend index stored by the last run (bitcoind); one that cannot be
        // read only means scanning again.
        if let Ok(Some(record)) = core.store.load::<crate::chain::spends::SpendIndexRecord>() {
            core.chain.restore_spend_index(record);
        }
        core.reconcile_payments();
        Ok(core)
    }

    /// Where S listens unless told otherwise (`server init --listen`).
    pub fn listen(&self) -> String {
        self.lock().settings.listen.clone()
    }

    /// With `true`, each sale waits for the operator's approval (`server run --manual`).
    pub fn set_manual(&self, manual: bool) {
        self.manual
            .store(manual, std::sync::atomic::Ordering::SeqCst);
    }

    fn manual(&self) -> bool {
        self.manual.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn lock(&self) -> Held<'_> {
        use std::sync::atomic::Ordering::SeqCst;
        self.waiting.fetch_add(1, SeqCst);
        let guard = self.lock_unannounced();
        self.waiting.fetch_sub(1, SeqCst);
        guard
    }

    fn lock_unannounced(&self) -> Held<'_> {
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Held {
            guard,
            since: std::time::Instant::now(),
            cpu_since: thread_cpu(),
            stats: &self.lock_counters,
        }
    }

    /// Looks at the channels `pick` names (the live ones) on chain before S's lock, then
    /// takes the lock with them: the request's checks take them for looks made under it
    /// when they can ([`early`], ADR 0015). `what` names the request for
    /// [`ServerCore::pause_before_lock`].
    fn lock_after_looks(
        &self,
        what: &'static str,
        pick: impl FnOnce(&Inner) -> Vec<ChannelId>,
    ) -> Held<'_> {
        let fundings: Vec<(ChannelId, OutPoint, u32)> = {
            let inner = self.lock();
            pick(&inner)
                .into_iter()
                .filter_map(|id| {
                    let ch = inner.channels.get(&id)?;
                    let funding = ch.channel.funding_outpoint()?;
                    ch.channel
                        .is_live()
                        .then_some((id, funding, ch.opened_height.unwrap_or(0)))
                })
                .collect()
        };
        let looks = self.read_before_lock(&fundings);
        self.paused(what, &fundings);
        let mut held = self.lock();
        // A look S took since the read began (at any channel) may have seen a newer block: the read's tip would pass deadline checks the newer one fails, and
        // a tip read now would be newer than the read's views of the channels. The whole
        // read is then made again under the lock, as one that waited too long.
        let overtaken = looks.looks.values().next().is_some_and(|look| {
            self.last_look_end.load(std::sync::atomic::Ordering::SeqCst) >= look.began
        });
        if !overtaken {
            held.early = looks.if_recent();
        }
        held
    }

    /// Reads `funding` of channel `id` for the watcher's look before its lock (to be
    /// taken once the lock is, [`early::EarlyLooks::if_recent`]). A failed read makes the
    /// pass skip the channel, as a failed look would fail it.
    fn read_early(&self, id: ChannelId, funding: (OutPoint, u32)) -> early::EarlyLooks {
        let fundings = [(id, funding.0, funding.1)];
        let looks = self.read_before_lock(&fundings);
        self.paused("watch", &fundings);
        looks
    }

    /// [`early::EarlyLooks::read`] of `fundings` on S's chain, counted
    /// ([`LockStats::reads`]) when there is anything to read.
    fn read_before_lock(&self, fundings: &[(ChannelId, OutPoint, u32)]) -> early::EarlyLooks {
        if !fundings.is_empty() {
            let reads = &self.lock_counters.reads;
            reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        early::EarlyLooks::read(self.chain.as_ref(), &self.look_clock, fundings)
    }

    /// Runs the test pause set for early looks of kind `what` of one of `fundings`.
    fn paused(&self, what: &str, fundings: &[(ChannelId, OutPoint, u32)]) {
        let pause = {
            let mut pause = self.pause.lock().unwrap_or_else(|e| e.into_inner());
            match pause.take() {
                Some((kind, channel, f))
                    if kind == what
                        && channel.is_none_or(|c| fundings.iter().any(|(id, ..)| *id == c)) =>
                {
                    Some(f)
                }
                other => {
                    *pause = other;
                    None
                }
            }
        };
        if let Some(f) = pause {
            f();
        }
    }

    /// Tests: `f` runs once, after the next early looks of kind `what` (a request's:
    /// `sell`, `update_signature`; the watcher's: `watch`), of `channel` among others if
    /// given, and before S's lock is taken.
    #[doc(hidden)]
    pub fn pause_before_lock(&self, what: &'static str, channel: Option<ChannelId>, f: Pause) {
        *self.pause.lock().unwrap_or_else(|e| e.into_inner()) = Some((what, channel, f));
    }

    /// A look at channel `ch` under S's lock: taken from `early`, a look made before the
    /// lock, when it can stand for one made now (never for a forced pass), else made now.
    fn look_under_lock(
        &self,
        ch: &ServerChannel,
        early: Option<early::EarlyLook>,
        force: bool,
    ) -> Result<(crate::watch::WatchOutcome, Option<Channel>), String> {
        use std::sync::atomic::Ordering::Relaxed;
        let early = early.filter(|_| !force);
        match early.and_then(|look| replay_at_s(self, &ch.channel, &look)) {
            Some(look) => {
                self.lock_counters.looks_before.fetch_add(1, Relaxed);
                look
            }
            None => {
                self.lock_counters.looks_under.fetch_add(1, Relaxed);
                watch_at_s(self, &ch.channel, ch.opened_height, force)
            }
        }
    }

    /// The chain tip for a request's checks: the one its early looks saw, or read now
    /// (none if their read failed: `chain_unavailable`).
    fn tip_for_checks(&self, inner: &Inner) -> Result<u32, ApiError> {
        match inner.early.tip {
            Some(tip) => Ok(tip),
            None if inner.early.failed.is_some() => Err(chain_unreadable()),
            None => self.chain.tip_height().map_err(internal),
        }
    }

    /// The lock for the watcher's next channel, once the requests waiting for it had it (for
    /// at most [`WATCHER_YIELD`]: a flood of requests delays a pass, it does not stop it).
    fn lock_after_requests(&self) -> Held<'_> {
        let start = std::time::Instant::now();
        while self.waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
            && start.elapsed() < WATCHER_YIELD
        {
            std::thread::yield_now();
        }
        self.lock_unannounced()
    }

    /// Whether `txid`, a channel transaction of `ch`'s latest state waiting in the mempool,
    /// is a client's close S need not pay for yet: one S did not publish, of a channel with
    /// no PTLC at stake (whose expiry would be a deadline). S bumping it at once let a
    /// client that closes (an inbound channel again and again, say) have S pay every close;
    /// S waits [`CLIENT_CLOSE_PATIENCE`] blocks first ([`Self::bump_fee_children`]; its
    /// balance is locked until then, not lost).
    fn client_close(ch: &ServerChannel, txid: &bitcoin::Txid) -> bool {
        !ch.published.contains(txid) && ch.channel.latest().is_none_or(|l| l.state.ptlcs.is_empty())
    }

    /// What S set aside instead of refusing to start (see [`Quarantined`]).
    pub fn quarantined(&self) -> Vec<Quarantined> {
        self.lock().quarantined.clone()
    }

    /// S's node id.
    pub fn node_id(&self) -> NodeId {
        self.keys.node_id()
    }

    /// S's node secret: its authentication layer derives the request keys of clients with
    /// it.
    pub fn node_secret(&self) -> bitcoin::secp256k1::SecretKey {
        self.keys.node_secret()
    }

    /// S's data dir (where the replay journal lives, next to the store's files).
    pub fn data_dir(&self) -> &std::path::Path {
        self.store.dir()
    }

    /// Group commit (ADR 0014): S's commits no longer sync one by one; every answer and
    /// every published transaction waits for [`ServerCore::durable`] instead, which syncs
    /// once for all the commits waiting. The HTTP API turns it on ([`api::app`]); `server
    /// run` stops when a sync failed ([`ServerCore::must_stop`]).
    pub fn group_commits(&self) {
        self.store.defer_durability();
    }

    /// Returns once everything S committed so far is on disk (at once with nothing
    /// waiting). A failed sync fails every later call: S answers nothing until restarted.
    pub fn durable(&self) -> Result<(), crate::store::StoreError> {
        self.store.sync()
    }

    /// Whether something S committed may not be on disk yet.
    pub fn durable_pending(&self) -> bool {
        self.store.sync_pending()
    }

    /// Why S must stop, if it must: a sync of its records failed (ADR 0014), or another
    /// copy of S took its PostgreSQL records over (ADR 0018).
    pub fn must_stop(&self) -> Option<String> {
        self.store.must_stop()
    }

    /// With the records in PostgreSQL: whether S still is their writer (see
    /// [`crate::store::Store::confirm_writer`]); once not, [`ServerCore::must_stop`] says so.
    pub fn confirm_writer(&self) -> Result<(), crate::store::StoreError> {
        self.store.confirm_writer()
    }

    /// S's commits whose sync was deferred, and the syncs that made them durable.
    pub fn group_stats(&self) -> crate::store::GroupStats {
        self.store.group_stats()
    }

    /// How much S's lock of its state was held since S started.
    pub fn lock_stats(&self) -> LockStats {
        use std::sync::atomic::Ordering::Relaxed;
        LockStats {
            taken: self.lock_counters.taken.load(Relaxed),
            held: std::time::Duration::from_nanos(self.lock_counters.held_ns.load(Relaxed)),
            cpu: std::time::Duration::from_nanos(self.lock_counters.cpu_ns.load(Relaxed)),
            looks_before: self.lock_counters.looks_before.load(Relaxed),
            looks_under: self.lock_counters.looks_under.load(Relaxed),
            reads: self.lock_counters.reads.load(Relaxed),
        }
    }

    /// What `GET /v1/info` shows.
    pub fn info(&self) -> ServerInfo {
        ServerInfo {
            node_id: self.node_id(),
            network: self.network.to_string(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            policy: self.lock().settings.policy.clone(),
            watcher: Some(self.watcher_status()),
        }
    }

    /// The chain watcher's health.
    pub fn watcher_status(&self) -> watcher::WatcherStatus {
        self.watch_health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .status()
    }

    /// Records the errors of a watcher pass (none: it worked); returns the alarm line to log
    /// when passes keep failing.
    pub fn record_watch(&self, errors: &[String]) -> Option<String> {
        self.watch_health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record(errors, crate::net::server::system_clock())
    }

    fn save(&self, ch: &ServerChannel) -> Result<(), ApiError> {
        self.store
            .save_keyed(&ch.channel.id().to_string(), ch)
            .map_err(store_error)
    }

    fn owned<'a>(
        inner: &'a mut Inner,
        client: &NodeId,
        id: &ChannelId,
    ) -> Result<&'a mut ServerChannel, ApiError> {
        match inner.channels.get_mut(id) {
            Some(ch) if ch.client == *client => Ok(ch),
            // Same answer for "not yours" and "does not exist": ids are not disclosed.
            _ => Err(ApiError::not_found(
                "unknown_channel",
                format!("no channel {id} with this node"),
            )),
        }
    }

    /// `f` of channel `id` as S holds it in memory (its history as [`Channel::history`]
    /// shows it), if S has it.
    pub fn with_channel<R>(&self, id: &ChannelId, f: impl FnOnce(&Channel) -> R) -> Option<R> {
        self.lock().channels.get(id).map(|c| f(&c.channel))
    }

    /// The chunks of a channel's history the watcher keeps for its next passes (by index):
    /// those it read while the channel's funding output is spent and it is not closed.
    pub fn watch_chunks_kept(&self, id: &ChannelId) -> Vec<u32> {
        self.watch_chunks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .map(|chunks| chunks.iter().map(HistoryChunk::index).collect())
            .unwrap_or_default()
    }

    /// The client's channels.
    pub fn channels_of(&self, client: &NodeId) -> Vec<ChannelSummary> {
        let inner = self.lock();
        inner
            .channels_of(client)
            .map(|c| ChannelSummary {
                close_notice: close_notice(c, &inner.settings.limits),
                ..summary(&c.channel)
            })
            .collect()
    }

    /// Handles one channel message from `client` and returns the replies. State is written
    /// before this returns.
    pub fn handle(&self, client: &NodeId, message: Message) -> Result<Vec<Message>, ApiError> {
        let mut inner = match &message {
            // The channel, and the payers' channels of the sold payments whose PTLCs its
            // pending update adds, looked at on chain before S's lock (ADR 0015).
            Message::UpdateSignature(s) => self.lock_after_looks("update_signature", |inner| {
                // Only a pending update of the client's own channel is looked at (a
                // signature sent again of a completed state is answered without).
                let theirs = inner.channels.get(&s.channel_id);
                if theirs.is_none_or(|c| c.client != *client || c.channel.pending().is_none()) {
                    return Vec::new();
                }
                let payers = Self::payers_of_added_ptlcs(inner, &s.channel_id);
                std::iter::once(s.channel_id).chain(payers).collect()
            }),
            _ => self.lock(),
        };
        match message {
            Message::OpenChannel(open) => self.open_channel(&mut inner, client, open),
            Message::UpdateProposal(p) => self.on_proposal(&mut inner, client, p),
            Message::UpdateSignature(s) => self.on_signature(&mut inner, client, s),
            Message::FundingPublished(f) => self.on_funding(&mut inner, client, f),
            _ => Err(ApiError::bad_request(
                "unexpected_message",
                "S accepts open_channel, update_proposal, update_signature and funding_published messages",
            )),
        }
    }

    fn open_channel(
        &self,
        inner: &mut Inner,
        client: &NodeId,
        open: OpenChannel,
    ) -> Result<Vec<Message>, ApiError> {
        if inner.channels.contains_key(&open.channel_id) {
            return Err(ApiError::conflict(
                "channel_exists",
                format!("channel {} already exists", open.channel_id),
            ));
        }
        let tip = self.chain.tip_height().ok();
        if let Some(tip) = tip {
            // Opens that were never funded stop counting against anyone's limits.
            let _ = self.expire_unfunded(inner, tip);
        }
        check_open_limits(inner, client, &open)?;
        // Never below an index a loaded channel uses: `server.age` put back from an old copy
        // (still authentic) must not hand out a channel key twice (a second channel with the
        // same funding key would take the first's APOAS-signed states).
        let in_use = inner.channels.values().map(|c| c.key_index + 1).max();
        let index = inner.settings.next_key_index.max(in_use.unwrap_or(0));
        let next_index = index
            .checked_add(1)
            .ok_or_else(|| internal("channel key indexes exhausted"))?;
        let key_salt = random32()?;
        let mut keys = self.keys.channel(index).bound_to(&key_salt).party_keys();
        let policy = inner.settings.policy.open_policy_for(open.funder);
        // Checked before a payout address is revealed: a refused open costs S no address
        // (gaps of unused addresses are what a restore from the seed must scan across).
        Channel::accept_open(&open, &keys, &policy)
            .map_err(|e| ApiError::forbidden("open_refused", e.to_string()))?;
        // The index is spent (written) before any key derived from it is used.
        inner.settings.next_key_index = next_index;
        self.store.save(&inner.settings).map_err(store_error)?;
        // What the channel pays S when it ends goes to a change address of S's wallet,
        // revealed and written before the key leaves; the index advances only past an
        // address a funded channel holds (docs/derivation.md).
        keys.settlement = self.reveal_payout(inner)?;
        let (channel, accept) = Channel::accept_open(&open, &keys, &policy)
            .map_err(|e| ApiError::forbidden("open_refused", e.to_string()))?;
        let ch = ServerChannel {
            client: *client,
            key_index: index,
            channel,
            published: Vec::new(),
            opened_height: tip,
            received: None,
            uncovered_since: None,
            key_salt: Some(key_salt),
            withdrawn_sale: None,
            cooperative_close: None,
        };
        self.save(&ch)?;
        inner
            .by_client
            .entry(*client)
            .or_default()
            .insert(open.channel_id);
        inner.channels.insert(open.channel_id, ch);
        Ok(vec![Message::AcceptChannel(accept)])
    }

    /// Forgets (marks closed) every channel whose funding S has not seen confirmed
    /// `open_expiry_blocks` after its open, except those S funded and published itself.
    /// Returns a log line per channel.
    fn expire_unfunded(&self, inner: &mut Inner, tip: u32) -> Vec<String> {
        let expiry = inner.settings.limits.open_expiry_blocks;
        let mut log = Vec::new();
        let unfunded_ids: Vec<ChannelId> = inner
            .channels
            .values()
            .filter(|c| unfunded(&c.channel))
            .map(|c| c.channel.id())
            .collect();
        for id in unfunded_ids {
            let ch = inner.channels.get_mut(&id).expect("listed above");
            let Some(opened) = ch.opened_height else {
                // Opened before S recorded heights: the expiry runs from now.
                ch.opened_height = Some(tip);
                let _ = self.save(ch);
                continue;
            };
            if tip < opened.saturating_add(expiry) {
                continue;
            }
            ch.channel = ch.channel.closed();
            let id = ch.channel.id();
            match self.save(ch) {
                Ok(()) => log.push(format!(
                    "channel {id}: never funded {expiry} blocks after its open; forgotten"
                )),
                Err(e) => log.push(format!("channel {id}: {}", e.message())),
            }
        }
        log
    }

    fn on_proposal(
        &self,
        inner: &mut Inner,
        client: &NodeId,
        p: UpdateProposal,
    ) -> Result<Vec<Message>, ApiError> {
        let rand = random32()?;
        let id = p.channel_id;
        self.refresh_funding(Self::owned(inner, client, &id)?)?;
        Self::refuse_payment_pending(inner, &id)?;
        // A client that restarts an update after a crash: S has not signed the old one, so
        // it is dropped (its secret nonce is never used).
        self.drop_stale_pending(inner, &id, p.number)?;
        let (channel, accept): (Channel, UpdateAccept) = inner.channels[&id]
            .channel
            .accept(&p, rand, server_policy)
            .map_err(channel_error)?;
        self.commit_channel(inner, &id, channel)?;
        Ok(vec![Message::UpdateAccept(accept)])
    }

    fn on_signature(
        &self,
        inner: &mut Inner,
        client: &NodeId,
        s: UpdateSignature,
    ) -> Result<Vec<Message>, ApiError> {
        let fee_rate = inner.settings.fee_rate_sat_vb;
        let ch = Self::owned(inner, client, &s.channel_id)?;
        let completed = ch.channel.pending().is_none()
            && ch
                .channel
                .latest()
                .is_some_and(|l| l.state.number == s.number);
        if completed {
            // The client resends after a crash: S already completed this state.
            let again = ch.channel.update_signature().map_err(channel_error)?;
            return Ok(vec![Message::UpdateSignature(again)]);
        }
        Self::refuse_payment_pending(inner, &s.channel_id)?;
        // A close may be under way since the watcher's last pass: S completes no update on
        // a channel that is closing or closed (its pending state could never be enforced,
        // and a late signature must not move money off chain while an older state settles).
        self.refresh_channel(inner, &s.channel_id)?;
        let status = inner.channels[&s.channel_id].channel.status();
        if matches!(status, ChannelStatus::Closing | ChannelStatus::Closed) {
            return Err(ApiError::conflict(
                "channel_not_open",
                format!(
                    "the channel is {status}: S completes no update on it (it settles on chain)"
                ),
            ));
        }
        let ch = &inner.channels[&s.channel_id];
        if ch.channel.pending().is_none()
            && ch.channel.superseded() == Some(s.number)
            && ch.withdrawn_sale == Some(s.number)
        {
            // The payee resends its signature of a sale state S withdrew: the same answer as
            // at the withdrawal, for the payee to drop the state (it may have missed that one).
            return Err(payments::sale_withdrawn(format!(
                "S withdrew the sale that state {} adds and signs nothing for it",
                s.number
            )));
        }
        // A state adding a sold PTLC: the sale's conditions are checked again now.
        self.recheck_sale_state(inner, &s.channel_id)?;
        // State 0 of a channel S funds: the stake it was granted against must still be live
        // (a node that closed its stake since its open gets no funding).
        let ch = &inner.channels[&s.channel_id];
        if ch.channel.funder() == Party::Server && ch.channel.latest().is_none() {
            check_stake(inner, client, 0)?;
        }
        let ch = Self::owned(inner, client, &s.channel_id)?;
        let secret = ch.secrets(&self.keys).funding_scalar();
        record_nonce_use(&ch.channel);
        // The client's partial is checked (through the final signature, see
        // `Channel::countersign`) and our nonce is consumed here: the channel without it is
        // written before our partial signature leaves (PROTOCOL.md §7.3).
        let (signed, _partial) = ch.channel.countersign(&s, secret).map_err(channel_error)?;
        let reply = signed.update_signature().map_err(channel_error)?;
        let old = std::mem::replace(&mut ch.channel, signed);
        if let Err(e) = self.save(ch) {
            ch.channel = old;
            return Err(e);
        }
        let mut replies = vec![Message::UpdateSignature(reply)];
        // A completed B–S state may have given a sold PTLC back to S.
        self.reconcile_failed_sales(inner);
        let ch = Self::owned(inner, client, &s.channel_id)?;
        let opening = ch.channel.status() == ChannelStatus::AwaitingFunding
            && ch.channel.funder() == Party::Server
            && ch.channel.funding_outpoint().is_none();
        if opening {
            let id = ch.channel.id();
            let funded = match self.fund_channel(inner, &id, fee_rate) {
                // S put no coin in it and published nothing: forgotten at once, not held
                // against the client's limits (and S's) for `open_expiry_blocks`.
                Err(e) if e.code() == "server_cannot_fund" => {
                    let closed = inner.channels[&id].channel.closed();
                    self.commit_channel(inner, &id, closed)?;
                    return Err(e);
                }
                funded => funded?,
            };
            replies.push(Message::FundingPublished(funded));
        }
        Ok(replies)
    }

    /// Counts the funding confirmations of a channel still awaiting them: the watcher may
    /// not have passed since the funding confirmed.
    fn refresh_funding(&self, ch: &mut ServerChannel) -> Result<(), ApiError> {
        if ch.channel.status() == ChannelStatus::AwaitingFunding {
            if let Ok((_, Some(next))) = watch_at_s(self, &ch.channel, ch.opened_height, false) {
                ch.channel = next;
                self.save(ch)?;
            }
        }
        Ok(())
    }

    /// One watcher pass over channel `id` now (it may be closing since the last pass).
    /// Fails closed: when the chain cannot be read, S decides nothing on the stale view
    /// (`503 chain_unavailable`; the caller signs, sells or completes nothing).
    fn refresh_channel(&self, inner: &mut Inner, id: &ChannelId) -> Result<(), ApiError> {
        let early = inner.early.looks.remove(id);
        let read_failed = inner.early.failed.clone();
        let ch = inner
            .channels
            .get_mut(id)
            .expect("the caller checked the channel");
        if ch.channel.is_live() {
            if let Some(e) = read_failed {
                tracing::warn!("channel {id}: looking at the chain failed: {e}");
                return Err(chain_unavailable(id));
            }
            match self.look_under_lock(ch, early, false) {
                Ok((_, Some(next))) => {
                    ch.channel = next;
                    self.save(ch)?;
                }
                Ok((_, None)) => {}
                Err(e) => {
                    tracing::warn!("channel {id}: looking at the chain failed: {e}");
                    return Err(chain_unavailable(id));
                }
            }
        }
        Ok(())
    }

    /// Enforces channel `id`'s latest state on chain at once when something of the channel
    /// is on chain: the watcher's decision for it (rebind our latest update over an older
    /// published one, publish our settlement) taken in the same pass in which our latest
    /// state changed, not one pass later. Used when S completes the payer's state `n+1`
    /// from a claim (PROTOCOL.md §4.1, 1.: S rebinds `n+1` at the tip at which it learns
    /// `t`). Returns a line for the log, if anything was done or failed (the watcher's next
    /// pass retries a failure).
    fn enforce_now(&self, inner: &mut Inner, id: &ChannelId) -> Option<String> {
        let ch = inner.channels.get_mut(id)?;
        if ch.channel.funding_outpoint().is_none() || ch.channel.status() == ChannelStatus::Closed {
            return None;
        }
        let (outcome, next) = match watch_at_s(self, &ch.channel, ch.opened_height, false) {
            Ok(r) => r,
            Err(e) => return Some(format!("channel {id}: {e}")),
        };
        if let Some(next) = next {
            ch.channel = next;
            if let Err(e) = self.save(ch) {
                return Some(format!("channel {id}: {}", e.message()));
            }
        }
        let b = outcome.broadcast()?;
        Some(match self.publish_broadcast(&mut inner.onchain, b) {
            Ok(txid) => {
                let ch = inner.channels.get_mut(id)?;
                ch.published.push(txid);
                let _ = self.save(ch);
                format!("channel {id}: published {txid}: {}", b.reason)
            }
            Err(e) => format!("channel {id}: publishing failed: {e}"),
        })
    }

    /// A payment holds the channel's pending update: plain channel messages may neither
    /// replace it nor complete it (the payer's partial comes only through B's sale).
    fn refuse_payment_pending(inner: &Inner, id: &ChannelId) -> Result<(), ApiError> {
        match payments::payment_of_pending(inner, &inner.channels[id].channel) {
            Some(p) => Err(ApiError::conflict(
                "payment_pending",
                format!(
                    "payment {} is pending on this channel; wait for it or cancel it (`asyncpay payments cancel {}`)",
                    p.payment_id, p.payment_id
                ),
            )),
            None => Ok(()),
        }
    }

    /// S funds a channel whose state 0 is fully signed: builds the funding transaction
    /// (at `fee_rate` sat/vB, or the node's estimate when higher, up to
    /// [`crate::wallet::onchain::MAX_BUMP_FEE_RATE`]), writes its outpoint,
    /// then publishes it.
    fn fund_channel(
        &self,
        inner: &mut Inner,
        id: &ChannelId,
        fee_rate: u64,
    ) -> Result<FundingPublished, ApiError> {
        let network = self.network;
        let (script, capacity) = {
            let ch = &inner.channels[id];
            let out = ch.channel.params().funding_output().map_err(internal)?;
            (out.script_pubkey, out.value)
        };
        let address = Address::from_script(&script, network).map_err(internal)?;
        let reserved = self.reserved_fee_coins(inner)?;
        let tx = {
            let (wallet, _) = self.onchain(inner)?;
            wallet
                .send_except(
                    address.as_unchecked(),
                    capacity,
                    FeeRate::from_sat_per_vb(fee_rate)
                        .unwrap_or(FeeRate::BROADCAST_MIN)
                        .max(
                            self.chain
                                .fee_rate()
                                .min(crate::wallet::onchain::MAX_BUMP_FEE_RATE),
                        ),
                    &reserved,
                )
                .map_err(|e| {
                    ApiError::conflict(
                        "server_cannot_fund",
                        format!(
                            "S cannot fund the channel now ({} coin(s) held for the fees of \
                             sold payments and closing channels): {e}",
                            reserved.len()
                        ),
                    )
                })?
        };
        let vout = tx
            .output
            .iter()
            .position(|o| o.script_pubkey == script && o.value == capacity)
            .ok_or_else(|| internal("funding output missing from the funding transaction"))?;
        let outpoint = OutPoint::new(tx.compute_txid(), vout as u32);
        let ch = inner.channels.get_mut(id).expect("exists");
        let (channel, msg) = ch
            .channel
            .funding_published(outpoint)
            .map_err(channel_error)?;
        ch.channel = channel;
        ch.published.push(outpoint.txid);
        self.save(ch)?;
        self.kept_fundings().insert(outpoint.txid);
        // In S's wallet before it leaves (the sync before a broadcast makes it durable):
        // kept going from then on, published again at the next block if the node refuses it.
        let (wallet, state) = inner.onchain.as_mut().expect("wallet loaded");
        wallet.record_before_publishing(&tx);
        if wallet.persist_into(state) {
            self.store.save(&*state).map_err(store_error)?;
        }
        self.chain
            .broadcast(&tx)
            .map_err(|e| internal(format!("publishing failed: {e}")))?;
        Ok(msg)
    }

    fn kept_fundings(&self) -> std::sync::MutexGuard<'_, BTreeSet<bitcoin::Txid>> {
        self.kept_fundings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn onchain<'a>(
        &self,
        inner: &'a mut Inner,
    ) -> Result<&'a mut (OnchainWallet, WalletState), ApiError> {
        self.onchain_of(&mut inner.onchain)
    }

    /// S's confirmed coins at `tip` that can each pay for a channel's packages at the last
    /// fee estimate ([`crate::wallet::fee_reserve`]): a fee child spends confirmed coins
    /// only (TRUC), so within a block each pays for one package. Counted at every call in
    /// the wallet as S holds it (every spend of S's applied at once), synced with the
    /// chain once a block.
    fn fee_coins(&self, inner: &mut Inner, tip: u32) -> Result<Vec<OutPoint>, ApiError> {
        let estimate = match inner.fee_estimate {
            Some(rate) => rate,
            None => *inner.fee_estimate.insert(self.chain.fee_rate()),
        };
        let per_coin = crate::wallet::fee_reserve(1, estimate);
        if inner.onchain.is_none() || inner.fee_coins_synced_at != Some(tip) {
            self.onchain(inner)?;
            inner.fee_coins_synced_at = Some(tip);
        }
        let (wallet, _) = inner.onchain.as_ref().expect("loaded above");
        // The coins of fundings kept going pay for nothing but what is urgent.
        let kept = wallet.kept_spends();
        let mut coins: Vec<_> = wallet
            .utxos()
            .into_iter()
            .filter(|u| u.confirmation_height.is_some() && u.amount >= per_coin)
            .filter(|u| !kept.contains(&u.outpoint))
            .collect();
        // Smallest first: the coins held for fees are the smallest that do.
        coins.sort_by_key(|u| (u.amount, u.outpoint));
        Ok(coins.into_iter().map(|u| u.outpoint).collect())
    }

    /// How many fee coins S holds for sold payments and closing payer channels.
    fn held_fee_coins(inner: &Inner) -> usize {
        Self::fee_packages_held(inner).div_ceil(payments::FEE_PACKAGES_PER_COIN)
    }

    /// S's fee coins beyond those it holds ([`Self::held_fee_coins`]).
    fn free_fee_coins(&self, inner: &mut Inner, tip: u32) -> usize {
        let held = Self::held_fee_coins(inner);
        self.fee_coins(inner, tip)
            .map_or(0, |coins| coins.len().saturating_sub(held))
    }

    /// The fee coins ([`Self::fee_coins`]) S holds for the packages it may have to pay for
    /// at once ([`Self::fee_packages_held`]): nothing but their fee children spends them (a
    /// funding S makes for a client, say, would leave sold payments S cannot rebind; S's
    /// own closes of inbound channels and its bumps of clients' closes wait for a coin
    /// beyond them, [`Self::free_fee_coins`]).
    fn reserved_fee_coins(&self, inner: &mut Inner) -> Result<Vec<OutPoint>, ApiError> {
        let tip = self.chain.tip_height().map_err(internal)?;
        // The view the funding is built from (a coin an evicted fee child freed included).
        self.onchain(inner)?;
        let mut coins = self.fee_coins(inner, tip)?;
        coins.truncate(Self::held_fee_coins(inner));
        Ok(coins)
    }

    /// [`ServerCore::onchain`] on the wallet's slot alone (beside a borrowed channel).
    fn onchain_of<'a>(
        &self,
        slot: &'a mut Option<(OnchainWallet, WalletState)>,
    ) -> Result<&'a mut (OnchainWallet, WalletState), ApiError> {
        if slot.is_none() {
            let state: Option<WalletState> = self.store.load().map_err(store_error)?;
            let pair = match state {
                Some(state) => (
                    OnchainWallet::load(&self.keys, state.changeset.clone()).map_err(internal)?,
                    state,
                ),
                None => (
                    OnchainWallet::create(
                        &self.keys,
                        self.network,
                        self.chain.genesis_hash().map_err(internal)?,
                    )
                    .map_err(internal)?,
                    WalletState::default(),
                ),
            };
            *slot = Some(pair);
        }
        let pair = slot.as_mut().expect("set above");
        pair.0.sync(self.chain.as_ref()).map_err(internal)?;
        pair.0.keep(self.kept_fundings().iter().copied());
        Ok(pair)
    }

    /// Reveals the next change address of S's wallet as a channel's payout and writes the
    /// wallet; returns its BIP86 internal key (the channel's settlement key of S).
    fn reveal_payout(&self, inner: &mut Inner) -> Result<bitcoin::key::XOnlyPublicKey, ApiError> {
        // A payout address is spent for good only by a channel with a funding (published by
        // S, or a client's funding S checked): junk opens all share one (docs/derivation.md).
        let held: Vec<bitcoin::key::XOnlyPublicKey> = inner
            .channels
            .values()
            .filter(|c| c.channel.funding_outpoint().is_some())
            .map(|c| c.channel.params().server.settlement)
            .collect();
        let (wallet, state) = self.onchain(inner)?;
        let payout = wallet
            .reveal_channel_payout(|k| held.contains(k))
            .map_err(internal)?;
        if wallet.persist_into(state) {
            self.store.save(&*state).map_err(store_error)?;
        }
        Ok(payout.internal_key)
    }

    /// Publishes what a watch pass calls for (see [`Self::publish_channel_tx`]); a
    /// rebinding the node refuses over an update waiting unconfirmed on the funding output
    /// is replaced by S's latest update on the funding output, with a child outbidding the
    /// old one ([`crate::watch::Broadcast::replacement`]). The txid published.
    fn publish_broadcast(
        &self,
        onchain: &mut Option<(OnchainWallet, WalletState)>,
        b: &crate::watch::Broadcast,
    ) -> Result<bitcoin::Txid, String> {
        let rebound = self.publish_channel_tx(onchain, &b.tx);
        let (Err(refused), Some(replacement)) = (&rebound, &b.replacement) else {
            return rebound;
        };
        let replaced = b.tx.input[0].previous_output.txid;
        let (wallet, state) = self
            .onchain_of(onchain)
            .map_err(|e| e.message().to_owned())?;
        let published = wallet.publish_replacing(self.chain.as_ref(), replacement, &replaced);
        if wallet.persist_into(state) {
            self.store.save(&*state).map_err(|e| e.to_string())?;
        }
        published
            .map(|_| replacement.compute_txid())
            .map_err(|e| format!("{refused}; replacing the old update {replaced} failed too: {e}"))
    }

    /// Publishes one of a channel's zero-fee transactions (an update, a settlement or a
    /// PTLC timeout claim): alone where the chain takes it so, else with a child from S's
    /// wallet that pays for it through its anchor (a node with default relay policy).
    fn publish_channel_tx(
        &self,
        onchain: &mut Option<(OnchainWallet, WalletState)>,
        tx: &Transaction,
    ) -> Result<bitcoin::Txid, String> {
        match self.chain.broadcast(tx) {
            Err(alone) if alone.needs_fee_child(tx) => {
                let (wallet, state) = self
                    .onchain_of(onchain)
                    .map_err(|e| e.message().to_owned())?;
                let published = wallet.publish_with_child(self.chain.as_ref(), tx);
                if wallet.persist_into(state) {
                    self.store.save(&*state).map_err(|e| e.to_string())?;
                }
                published.map(|()| tx.compute_txid()).map_err(|e| {
                    format!(
                        "{alone}; paying its fee through its anchor failed: {e} (S's wallet \
                         needs confirmed coins for fees)"
                    )
                })
            }
            published => published.map_err(|e| e.to_string()),
        }
    }

    /// Once a block: pays (more) for the channel transactions
    /// waiting in it (`unconfirmed`) where a block went by without them
    /// ([`OnchainWallet::bump_fee_children`]), and warns when S's confirmed coins fall
    /// short of its channels' fee reserve ([`crate::wallet::fee_reserve`]).
    fn bump_fee_children(
        &self,
        inner: &mut Inner,
        tip: u32,
        (unconfirmed, client_closes): (
            &[(bitcoin::Txid, bitcoin::OutPoint)],
            &HashSet<bitcoin::Txid>,
        ),
        log: &mut Vec<String>,
        errors: &mut Vec<String>,
    ) {
        if inner.fees_checked_at == Some(tip) {
            return;
        }
        // A client's close waits [`CLIENT_CLOSE_PATIENCE`] blocks from its entry, and for a
        // fee coin S does not hold for sold payments.
        let mut free_coins = self.free_fee_coins(inner, tip);
        let unconfirmed: Vec<_> = unconfirmed
            .iter()
            .filter(|(txid, _)| {
                if !client_closes.contains(txid) {
                    return true;
                }
                let waited = self
                    .chain
                    .mempool_entry(txid)
                    .ok()
                    .flatten()
                    .is_none_or(|e| tip >= e.height.saturating_add(CLIENT_CLOSE_PATIENCE));
                let paid_for = waited && free_coins > 0;
                free_coins -= usize::from(paid_for);
                paid_for
            })
            .copied()
            .collect();
        let live = inner
            .channels
            .values()
            .filter(|c| c.channel.is_live())
            .count();
        // Each with whether it waited long enough (`open_expiry_blocks` after its open)
        // that S takes its coins back where it cannot be published again.
        let expiry = inner.settings.limits.open_expiry_blocks;
        let fundings: Vec<(ChannelId, OutPoint, bool)> = waiting_fundings(inner.channels.values())
            .map(|(id, output)| {
                let opened = inner.channels[&id].opened_height;
                (
                    id,
                    output,
                    opened.is_some_and(|h| tip >= h.saturating_add(expiry)),
                )
            })
            .collect();
        *self.kept_fundings() = fundings.iter().map(|(_, o, _)| o.txid).collect();
        let (wallet, state) = match self.onchain_of(&mut inner.onchain) {
            Ok(pair) => pair,
            Err(e) => return errors.push(format!("fee bumping: {}", e.message())),
        };
        for r in wallet.bump_fee_children(self.chain.as_ref(), &unconfirmed) {
            match r {
                Ok(line) => log.push(line),
                Err(e) => errors.push(e),
            }
        }
        let estimate = self.chain.fee_rate();
        // A funding is not urgent (its channel waits), but one left behind by the fees of
        // the day would keep S's coins and its client waiting for good.
        let ceiling = FeeRate::from_sat_per_kwu(estimate.to_sat_per_kwu().saturating_mul(2))
            .min(crate::wallet::onchain::MAX_BUMP_FEE_RATE);
        for (id, output, give_up) in fundings {
            let (limits, txid) = ((ceiling, FUNDING_GIVEN_UP), output.txid);
            match wallet.keep_own_going(self.chain.as_ref(), output, limits, give_up) {
                Ok(OwnTx::Going(Some(line))) => log.push(format!("channel {id}: funding {line}")),
                Ok(OwnTx::Going(None)) => {}
                // S's coins went elsewhere (its wallet spent them again once the funding
                // left the mempool): the channel can never be funded, and stops counting
                // against S's limits. The client lost nothing (state 0 gives it nothing).
                Ok(OwnTx::Dead(by)) => {
                    let ch = inner.channels.get_mut(&id).expect("listed above");
                    let closed = ch.channel.closed();
                    let old = std::mem::replace(&mut ch.channel, closed);
                    let saved = self.save(ch);
                    if saved.is_err() {
                        ch.channel = old;
                    }
                    let why = by.map_or_else(
                        || "it was given up, and no coin of S's is in it".to_owned(),
                        |by| {
                            format!(
                                "{by}, {FUNDING_GIVEN_UP} blocks deep, spent S's coins it spent"
                            )
                        },
                    );
                    match saved {
                        Ok(()) => log.push(format!(
                            "channel {id}: its funding {txid} can never confirm ({why}); forgotten"
                        )),
                        Err(e) => errors.push(format!("channel {id}: {}", e.message())),
                    }
                }
                // Not a failure of the watcher's (the next block tries again).
                Err(e) => log.push(format!(
                    "WARNING: channel {id}: keeping its funding {txid} going failed: {e}"
                )),
            }
        }
        inner.fee_estimate = Some(estimate);
        let (confirmed, needed) = (
            wallet.balance().confirmed,
            crate::wallet::fee_reserve(live, estimate),
        );
        if confirmed < needed {
            log.push(format!(
                "WARNING: S's wallet has {} of confirmed coins; its {live} channel(s) need at \
                 least {} at today's fee rate to pay for force closes and timeout claims on \
                 this node: send coins to `asyncpay wallet address` of S's data dir",
                crate::units::sat(confirmed.to_sat()),
                crate::units::sat(needed.to_sat())
            ));
        }
        if wallet.persist_into(state) {
            if let Err(e) = self.store.save(&*state) {
                return errors.push(format!("fee bumping: storing the wallet failed: {e}"));
            }
        }
        // A pass that looked at everything without a failure: not again before the next
        // block (a failure, here or at a channel, means trying again at the next pass).
        if errors.is_empty() {
            inner.fees_checked_at = Some(tip);
        }
    }

    fn on_funding(
        &self,
        inner: &mut Inner,
        client: &NodeId,
        f: FundingPublished,
    ) -> Result<Vec<Message>, ApiError> {
        let ch = Self::owned(inner, client, &f.channel_id)?;
        if ch.channel.funder() != Party::Client {
            return Err(ApiError::forbidden(
                "not_funder",
                "S funds this channel; the client cannot name its funding",
            ));
        }
        if f.outpoint().ok() == ch.channel.funding_outpoint() {
            return Ok(Vec::new()); // already known: a client resending after a crash
        }
        let outpoint = f
            .outpoint()
            .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
        // The client's word is not a funding: the output must be on chain (or in the
        // mempool) and pay this channel's funding script with its capacity.
        let tx = self.chain.find_tx(&outpoint).map_err(internal)?;
        let Some(tx) = tx else {
            return Err(ApiError::conflict(
                "funding_not_found",
                format!(
                    "S does not see funding transaction {} on chain or in the mempool; \
                     publish it first, then tell S again",
                    outpoint.txid
                ),
            ));
        };
        ch.channel
            .check_funding_output(&tx, outpoint)
            .map_err(|e| ApiError::conflict("funding_mismatch", e.to_string()))?;
        let channel = ch.channel.on_funding_published(&f).map_err(channel_error)?;
        ch.channel = channel;
        self.save(ch)?;
        Ok(Vec::new())
    }

    /// A cooperative close, step 1: S makes its nonce for the close (kept in memory only).
    pub fn close_request(
        &self,
        client: &NodeId,
        req: CloseRequest,
    ) -> Result<CloseAccept, ApiError> {
        let rand = random32()?;
        let mut inner = self.lock();
        let ch = Self::owned(&mut inner, client, &req.channel_id)?;
        self.refresh_funding(ch)?;
        // No close of a channel whose funding is not confirmed (a client's could be
        // double-spent under it), nor below the relay fee (a node refuses it).
        if ch.channel.status() != ChannelStatus::Open {
            return Err(ApiError::conflict(
                "channel_not_open",
                format!(
                    "the channel is {}: only an open channel closes cooperatively",
                    ch.channel.status()
                ),
            ));
        }
        let (close, key) = close_tx(&ch.channel, req.fee_sat)?;
        let vsize = close.signed(&[0; 64]).vsize() as u64;
        let floor = crate::chain::policy::min_relay_fee(vsize).to_sat();
        if req.fee_sat < floor {
            return Err(ApiError::bad_request(
                "fee_too_low",
                format!(
                    "a close of {vsize} vB must pay at least {floor} sat (the minimum relay \
                     fee); the request offers {}",
                    req.fee_sat
                ),
            ));
        }
        let msg = close.sighash().map_err(internal)?;
        let secret = ch.secrets(&self.keys).funding_scalar();
        let nonce = SecretNonce::generate(rand, secret, &key, Some(&msg));
        let public = nonce.public_nonce();
        inner
            .close_nonces
            .insert(req.channel_id, (nonce, req.fee_sat));
        Ok(CloseAccept {
            nonce: hex(&public.to_bytes()),
        })
    }

    /// A cooperative close, step 2: S takes its nonce (it never signs with it again),
    /// checks the client's partial, signs, publishes the close and reports it.
    pub fn close_sign(&self, client: &NodeId, req: CloseSign) -> Result<CloseDone, ApiError> {
        let mut inner = self.lock();
        Self::owned(&mut inner, client, &req.channel_id)?;
        let (secnonce, fee_sat) = inner.close_nonces.remove(&req.channel_id).ok_or_else(|| {
            ApiError::conflict(
                "no_close",
                "no cooperative close in progress; request one first",
            )
        })?;
        let ch = Self::owned(&mut inner, client, &req.channel_id)?;
        if hex(&secnonce.public_nonce().to_bytes()) != req.server_nonce || req.fee_sat != fee_sat {
            return Err(ApiError::conflict(
                "stale_close",
                "the server nonce or the fee does not match the close in progress; request a \
                 new close",
            ));
        }
        let (close, key) = close_tx(&ch.channel, req.fee_sat)?;
        let msg = close.sighash().map_err(internal)?;
        let client_nonce = PublicNonce::from_bytes(&unhex::<66>("nonce", &req.nonce)?)
            .map_err(bad_field("nonce"))?;
        let params = ch.channel.params().clone();
        let secret = ch.secrets(&self.keys).funding_scalar();
        let session = SigningSession::new(
            &key,
            [
                (params.client.funding, client_nonce),
                (params.server.funding, secnonce.public_nonce()),
            ],
            msg,
        )
        .map_err(bad_field("nonce"))?;
        let partial: [u8; 32] = unhex("partial_signature", &req.partial_signature)?;
        let client_partial =
            PartialSignature::from_bytes(&partial).map_err(bad_field("partial_signature"))?;
        session
            .verify_partial(params.client.funding, client_partial)
            .map_err(|e| ApiError::bad_request("invalid_signature", e.to_string()))?;
        let ours = session.sign(secret, secnonce).map_err(internal)?;
        let sig = session.aggregate(client_partial, ours).map_err(internal)?;
        let tx = close.signed(&sig);
        let txid = tx.compute_txid();
        // Open still only when the close surely did not go out: one the node refused (below
        // its mempool's minimum, say) leaves the channel open at S, and the client, which
        // got no close, force-closes at its own cost. Any other failure may have published
        // it (a node that relayed it, then failed to answer): S stops signing on the
        // channel, as for a close that went out. (A crash after the broadcast: the watcher
        // finds the close spending the funding.)
        let published = self.chain.broadcast(&tx);
        if let Err(
            e @ (crate::chain::source::ChainSourceError::Rejected { .. }
            | crate::chain::source::ChainSourceError::NotDurable(_)),
        ) = &published
        {
            return Err(ApiError::conflict(
                "close_refused",
                format!("the node refused the close ({e}); the channel stays open at S"),
            ));
        }
        ch.channel = ch.channel.closing().map_err(channel_error)?;
        ch.published.push(txid);
        ch.cooperative_close = Some(tx.clone());
        self.save(ch)?;
        published.map_err(|e| internal(format!("publishing the close failed: {e}")))?;
        Ok(CloseDone {
            txid,
            tx_hex: bitcoin::consensus::encode::serialize_hex(&tx),
        })
    }
}

/// Test-only audit of secret nonce use: when `ASYNCPAY_TEST_NONCE_LOG` names a file, each
/// signing of a pending update appends `public nonce, message:peer's nonce` to it before the
/// signature is made, so a test can check that no nonce ever signed two different sessions.
pub fn record_nonce_use(channel: &Channel) {
    let Some(path) = std::env::var_os("ASYNCPAY_TEST_NONCE_LOG") else {
        return;
    };
    let Some(pending) = channel.pending() else {
        return;
    };
    let Ok(txs) = crate::eltoo::StateTransactions::build(channel.params(), pending.next()) else {
        return;
    };
    // The whole session after the public nonce: the message and the peer's nonce (a second
    // signature with one nonce over another aggregate nonce leaks the key as surely as one
    // over another message).
    let remote = pending
        .remote_nonce()
        .map_or_else(|| "-".to_owned(), |n| hex(&n.to_bytes()));
    let line = format!(
        "{} {}:{remote}\n",
        hex(&pending.local_nonce().to_bytes()),
        hex(&txs.update_sighash)
    );
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
        let _ = f.sync_all();
    }
}

/// The funding outpoint of `channel` for [`ChainSource::with_view`], with the height the
/// channel was made at (`None`, a record from before it was kept: from the genesis block).
pub fn roots_of(channel: &Channel, opened_height: Option<u32>) -> Vec<(bitcoin::OutPoint, u32)> {
    channel
        .funding_outpoint()
        .map(|o| (o, opened_height.unwrap_or(0)))
        .into_iter()
        .collect()
}

/// One watcher pass over `channel` on `chain`: the decision, the channel transition it calls
/// for (persist it), and the transaction to publish, if any. `force` publishes our latest
/// update even when nothing else is on chain (a unilateral close).
///
/// A published old update whose settle-leaf hash is in a chunk of the history stored apart
/// is rebound over with that chunk, read from `store`. `chunks` holds the chunks of this
/// channel a caller kept from earlier passes; the chunks this pass reads are added to it.
pub fn watch_pass(
    channel: &Channel,
    opened_height: Option<u32>,
    chain: &dyn ChainSource,
    force: bool,
    store: &Store,
    chunks: &mut Vec<HistoryChunk>,
) -> Result<(crate::watch::WatchOutcome, Option<Channel>), String> {
    let roots = roots_of(channel, opened_height);
    let look = |older: &[HistoryChunk]| {
        crate::chain::source::read_chain(chain, &roots, |view| {
            crate::watch::watch_with(channel, &view, force, older)
        })
        .map_err(|e| e.to_string())
    };
    // The chain may change between two looks (old updates replacing each other in the
    // mempool): every chunk read is kept and shown to every later look, so that updates
    // from chunks already read are answered at once; up to 3 chunks read (so 4 looks), then
    // the next pass.
    let mut read = 0;
    let outcome = loop {
        match look(chunks)? {
            Err(crate::watch::WatchError::Channel(ChannelError::HistoryChunkNeeded(index)))
                if read < 3 && chunks.iter().all(|c| c.index() != index) =>
            {
                read += 1;
                let key = HistoryChunk::key_of(channel.id(), channel.local(), index);
                let chunk = store
                    .load_keyed::<HistoryChunk>(&key)
                    .map_err(|e| {
                        format!("cannot read chunk {index} of the channel's history: {e}")
                    })?
                    .ok_or_else(|| {
                        format!(
                            "chunk {index} of the channel's history is missing from the \
                             data dir: the published old update cannot be rebound over; \
                             restore the data dir from a backup at once"
                        )
                    })?;
                chunks.push(chunk);
            }
            other => break other.map_err(|e| e.to_string())?,
        }
    };
    let next = crate::watch::next_channel(channel, &outcome).map_err(|e| e.to_string())?;
    Ok((outcome, next))
}

/// [`watch_pass`] as S takes it, under S's lock ([`counted`]). The chunks of history a
/// pass read are kept for the channel's next passes while its funding output is spent and
/// it is not closed: a cheater replacing old updates from ever other chunks in the mempool
/// runs out of chunks S has not read.
fn watch_at_s(
    core: &ServerCore,
    channel: &Channel,
    opened_height: Option<u32>,
    force: bool,
) -> Result<(crate::watch::WatchOutcome, Option<Channel>), String> {
    use std::sync::atomic::Ordering::SeqCst;
    let kept = || {
        core.watch_chunks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let mut chunks = kept().remove(&channel.id()).unwrap_or_default();
    let pass = watch_pass(
        channel,
        opened_height,
        core.chain.as_ref(),
        force,
        &core.store,
        &mut chunks,
    );
    let disputed = match &pass {
        Ok((outcome, next)) => {
            !matches!(
                outcome,
                crate::watch::WatchOutcome::Idle { .. }
                    | crate::watch::WatchOutcome::AwaitingFunding { .. }
            ) && next.as_ref().unwrap_or(channel).status() != ChannelStatus::Closed
        }
        Err(_) => true,
    };
    if disputed && !chunks.is_empty() {
        kept().insert(channel.id(), chunks);
    }
    looked_until(core, channel.id(), core.look_clock.fetch_add(1, SeqCst));
    let (outcome, next) = pass?;
    Ok(counted(channel, outcome, next))
}

/// A look's outcome and the channel transition it calls for, as S writes it: one more
/// confirmation of an open channel's funding already counted to [`COUNTED_CONFIRMATIONS`]
/// (or its minimum depth, if more) is no change to write.
fn counted(
    channel: &Channel,
    outcome: crate::watch::WatchOutcome,
    next: Option<Channel>,
) -> (crate::watch::WatchOutcome, Option<Channel>) {
    let deeper_only = |n: &Channel| {
        matches!(outcome, crate::watch::WatchOutcome::Idle { .. })
            && channel.status() == ChannelStatus::Open
            && n.status() == ChannelStatus::Open
            && n.confirmations() > channel.confirmations()
            && channel.confirmations() >= COUNTED_CONFIRMATIONS.max(channel.minimum_depth())
    };
    let next = next.filter(|n| !deeper_only(n));
    (outcome, next)
}

/// Notes that a look at channel `id` whose view is no newer than look clock `end` was
/// taken under S's lock.
fn looked_until(core: &ServerCore, id: ChannelId, end: u64) {
    let mut ends = core.look_ends.lock().unwrap_or_else(|e| e.into_inner());
    let last = ends.entry(id).or_default();
    *last = (*last).max(end);
    core.last_look_end
        .fetch_max(end, std::sync::atomic::Ordering::SeqCst);
}

/// [`watch_at_s`] over `channel` (not forced) answered by `look`, made before S's lock,
/// when it can stand for a look made now ([`early`]): no look at the channel taken under
/// the lock ended after it began, and it answers every question of the pass. `None`:
/// look now.
fn replay_at_s(
    core: &ServerCore,
    channel: &Channel,
    look: &early::EarlyLook,
) -> Option<Result<(crate::watch::WatchOutcome, Option<Channel>), String>> {
    let newer = core
        .look_ends
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&channel.id())
        .is_some_and(|&end| end >= look.began);
    if newer {
        return None;
    }
    let view = early::Replay::new(look);
    let outcome = crate::watch::watch_with(channel, &view, false, &[]);
    if view.missed() {
        return None;
    }
    looked_until(core, channel.id(), look.ended);
    Some(
        outcome
            .map_err(|e| e.to_string())
            .and_then(|o| {
                let next = crate::watch::next_channel(channel, &o).map_err(|e| e.to_string())?;
                Ok((o, next))
            })
            .map(|(o, next)| counted(channel, o, next)),
    )
}

impl ServerCore {
    /// The channels among `fundings` (open ones, on a chain source without a change token)
    /// whose funding output nothing in the mempool spends, asked before any look and
    /// believed only if the tip is still `tip_hash` once answered (a block in between could
    /// have taken a spend out of the mempool). None when the source cannot tell or the
    /// question failed: then every channel is looked at, and the failure is logged when it
    /// starts.
    fn unspent_in_mempool(
        &self,
        fundings: &[(ChannelId, OutPoint)],
        tip_hash: bitcoin::BlockHash,
        log: &mut Vec<String>,
    ) -> HashSet<ChannelId> {
        use std::sync::atomic::Ordering;
        if fundings.is_empty() {
            return HashSet::new();
        }
        let outpoints: Vec<OutPoint> = fundings.iter().map(|(_, o)| *o).collect();
        let answer = self.chain.spent_in_mempool(&outpoints).and_then(|spent| {
            let same_tip = self.chain.tip()?.hash == tip_hash;
            Ok(spent.filter(|spent| same_tip && spent.len() == fundings.len()))
        });
        let failed = answer.as_ref().err().map(ToString::to_string);
        if self
            .mempool_question_failed
            .swap(failed.is_some(), Ordering::Relaxed)
            != failed.is_some()
        {
            log.push(match failed {
                Some(e) => format!(
                    "asking the chain which fundings the mempool spends failed ({e}); \
                     every channel is looked at on chain at each pass until it answers"
                ),
                None => "the chain answers which fundings the mempool spends again".to_owned(),
            });
        }
        match answer {
            Ok(Some(spent)) => fundings
                .iter()
                .zip(spent)
                .filter(|(_, spent)| !spent)
                .map(|((id, _), _)| *id)
                .collect(),
            _ => HashSet::new(),
        }
    }

    /// One pass of the chain watcher over every channel with a funding outpoint: count
    /// funding confirmations, rebind the latest update over old ones, publish settlements.
    /// Returns a log line per action.
    pub fn watch_once(&self) -> Vec<String> {
        let (mut log, errors) = self.watch_pass_checked();
        log.extend(errors);
        log
    }

    /// How many channels the last watcher pass looked at on chain (it took the others'
    /// quiet outcomes, seen under the same chain token and tip less than a minute before).
    pub fn watch_looked(&self) -> usize {
        self.looked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// [`ServerCore::watch_once`] with its failures apart: `(log lines, errors)`. A pass
    /// with errors (a channel that could not be read from the chain, a state that could not
    /// be written, a transaction that could not be published) did not watch everything.
    ///
    /// S's lock is taken for one channel at a time (and once for the pass's start and end),
    /// so requests go on between two channels however many S watches.
    pub fn watch_pass_checked(&self) -> (Vec<String>, Vec<String>) {
        use std::sync::atomic::Ordering;
        let mut log = Vec::new();
        let mut errors = Vec::new();
        // Read before any look: a look made after it sees at least what it vouches for.
        let token = self.chain.change_token().ok().flatten();
        let tip = match self.chain.tip() {
            Ok(tip) => tip,
            Err(e) => {
                errors.push(format!("reading the chain failed: {e}"));
                return (log, errors);
            }
        };
        let (tip, tip_hash, mut looked) = (tip.height, tip.hash, 0);
        let now = crate::net::server::system_clock();
        let (limits, uncovered, watched, fundings) = {
            let mut inner = self.lock();
            log.extend(self.expire_unfunded(&mut inner, tip));
            let watched: Vec<ChannelId> = inner.channels.keys().copied().collect();
            // Without a change token: the funding outputs of the open channels, for the
            // mempool to be asked about all at once.
            let fundings: Vec<(ChannelId, OutPoint)> = match token {
                Some(_) => Vec::new(),
                None => inner
                    .channels
                    .values()
                    .filter(|ch| ch.channel.status() == ChannelStatus::Open)
                    .filter_map(|ch| Some((ch.channel.id(), ch.channel.funding_outpoint()?)))
                    .collect(),
            };
            // Inbound S funded that its client's live stake no longer covers (policy stake).
            (
                inner.settings.limits.clone(),
                uncovered_inbound(&inner),
                watched,
                fundings,
            )
        };
        let unspent_in_mempool = self.unspent_in_mempool(&fundings, tip_hash, &mut log);
        // What a remembered outcome of channel `id` must have been seen under: the tip (a
        // block is seen even by a token that missed it), and the chain's change token or,
        // on a source without one, nothing in the mempool spending the funding output (a
        // look at an idle channel shows nothing else that could change without a block).
        let key = |id: &ChannelId| match token {
            Some(token) => Some((Some(token), tip_hash)),
            None => unspent_in_mempool.contains(id).then_some((None, tip_hash)),
        };
        // The channels this pass will look at on chain (no quiet outcome holds for them),
        // read before S's lock one at a time (ADR 0015).
        let to_read: HashMap<ChannelId, (OutPoint, u32)> = {
            let inner = self.lock();
            inner
                .channels
                .values()
                .filter(|ch| ch.channel.is_live())
                .filter(|ch| {
                    let id = ch.channel.id();
                    key(&id).is_none_or(|key| !inner.channels.quiet_holds(&id, key))
                })
                .filter_map(|ch| {
                    let funding = ch.channel.funding_outpoint()?;
                    Some((ch.channel.id(), (funding, ch.opened_height.unwrap_or(0))))
                })
                .collect()
        };
        // Channel transactions waiting in the mempool: fee bumping looks at them.
        let mut unconfirmed = Vec::new();
        // Those of them that are clients' closes ([`Self::client_close`]).
        let mut client_closes = HashSet::new();
        for id in watched {
            let early = to_read
                .get(&id)
                .map(|&funding| self.read_early(id, funding));
            if let Some(e) = early.as_ref().and_then(|e| e.failed.as_ref()) {
                errors.push(format!("channel {id}: reading the chain failed: {e}"));
                continue;
            }
            let mut inner = self.lock_after_requests();
            let early = early.and_then(|e| e.if_recent().looks.remove(&id));
            let Some(ch) = inner.channels.get(&id) else {
                continue;
            };
            if ch.channel.funding_outpoint().is_none()
                || ch.channel.status() == ChannelStatus::Closed
            {
                continue;
            }
            // A payment is under way on the channel: S closes it neither for idleness nor
            // for stake (a pending one past its expiry holds nothing, `payments::under_way`).
            // A PTLC of the latest state holds it until the PTLC's expiry: a sold one is
            // enforced by then (`watch_sold`), but one whose payment S was paid for (the
            // payee revealed `t`, then never signed the state folding it) would otherwise
            // hold S's inbound capacity for good. Past its expiry S closes such a channel
            // like any idle one; the payee can still claim the PTLC on chain with `t` (S
            // takes back no PTLC whose payer's state it completed). So does a sale state
            // waiting for the payee's signature (withdrawn at S's margin before the expiry).
            let live_ptlc = |s: &crate::eltoo::ChannelState| s.ptlcs.iter().any(|x| tip < x.expiry);
            let busy = payments::payment_of_pending(&inner, &ch.channel)
                .is_some_and(|p| payments::under_way(p, now))
                || ch
                    .channel
                    .pending()
                    .is_some_and(|p| p.proposer() == Party::Server || live_ptlc(p.next()))
                || ch.channel.latest().is_some_and(|l| live_ptlc(&l.state));
            // S's own close of inbound capacity (idle, or no longer covered by stake) is
            // not urgent: it waits for a fee coin beyond those held for sold payments,
            // counted now (requests go on between two channels of a pass).
            let due = idle_close_height(ch, &limits).is_some_and(|h| tip >= h)
                || ch
                    .uncovered_since
                    .is_some_and(|h| tip >= h.saturating_add(limits.inbound_notice_blocks));
            let spare_coin = due && !busy && self.free_fee_coins(&mut inner, tip) > 0;
            let Inner {
                channels,
                onchain,
                closing_forced_at,
                ..
            } = &mut *inner;
            let (ch, quiet) = channels.watch_mut(&id).expect("looked up above");
            log.extend(self.track_inbound(ch, &uncovered, &limits, tip));
            let open = ch.channel.status() == ChannelStatus::Open && !busy;
            // Inbound capacity nothing was paid into goes back to S's wallet.
            let closable = open && spare_coin;
            let idle_inbound = closable && idle_close_height(ch, &limits).is_some_and(|h| tip >= h);
            // So does inbound no live stake covers, once the notice has run out.
            let uncovered_inbound = closable
                && ch
                    .uncovered_since
                    .is_some_and(|h| tip >= h.saturating_add(limits.inbound_notice_blocks));
            if idle_inbound {
                log.push(format!(
                    "channel {id}: nothing paid into this inbound capacity for {} blocks; \
                     closing it",
                    limits.idle_inbound_blocks
                ));
            } else if uncovered_inbound {
                log.push(format!(
                    "channel {id}: its client's live stake has not covered this inbound \
                     capacity for {} blocks; closing it",
                    limits.inbound_notice_blocks
                ));
            }
            // A channel closing whose funding output is unspent (an update that never
            // reached the chain, or left the mempool): S's latest update goes out, or the
            // channel would stay closing for good; tried once a block.
            let closing = ch.channel.status() == ChannelStatus::Closing
                && closing_forced_at.get(&id) != Some(&tip);
            if let Some(close) = ch.cooperative_close.as_ref().filter(|_| closing) {
                // Its cooperative close, out already (refused) or lost by the node: published
                // again first (once a block), and the look finds it rather than an unspent
                // funding.
                crate::chain::source::publish_close_again(
                    &*self.chain,
                    close,
                    ch.channel.params().capacity,
                );
                closing_forced_at.insert(id, tip);
            }
            let force = idle_inbound || uncovered_inbound || closing;
            let key = key(&id);
            let remembered = quiet.filter(|q| key.is_some_and(|key| q.holds_for(key, force)));
            let (outcome, next) = match &remembered {
                Some(q) => (q.outcome().clone(), None),
                None => {
                    looked += 1;
                    match self.look_under_lock(ch, early, force) {
                        Ok(r) => r,
                        Err(e) => {
                            errors.push(format!("channel {id}: {e}"));
                            continue;
                        }
                    }
                }
            };
            // Nothing to publish and nothing to change: the next pass may take this
            // outcome instead of looking again, while the chain's token and tip stay the
            // same (without a token: an idle outcome only, see `key`).
            let nothing_to_do = next.is_none()
                && outcome.broadcast().is_none()
                && (token.is_some() || matches!(outcome, crate::watch::WatchOutcome::Idle { .. }));
            // A close S starts itself (idle or uncovered inbound) is recorded only once its
            // update went out: one that could not be published (no coins for its fee, say)
            // leaves the channel open, and the next pass tries again.
            let close_by_s = force
                && outcome.broadcast().is_some_and(|b| {
                    matches!(b.kind, crate::watch::BroadcastKind::ForceClose { .. })
                });
            let mut next = next;
            if !close_by_s {
                if let Some(next) = next.take() {
                    ch.channel = next;
                    if let Err(e) = self.save(ch) {
                        errors.push(format!("channel {id}: {}", e.message()));
                        continue;
                    }
                }
            }
            if let Some(b) = outcome.broadcast() {
                if closing && matches!(b.kind, crate::watch::BroadcastKind::ForceClose { .. }) {
                    closing_forced_at.insert(id, tip);
                }
                match self.publish_broadcast(onchain, b) {
                    Ok(txid) => {
                        if let Some(next) = next {
                            ch.channel = next;
                        }
                        ch.published.push(txid);
                        if let Err(e) = self.save(ch) {
                            errors.push(format!("channel {id}: {}", e.message()));
                        }
                        log.push(format!("channel {id}: published {txid}: {}", b.reason));
                    }
                    Err(e) => errors.push(format!("channel {id}: publishing failed: {e}")),
                }
            }
            if let crate::watch::WatchOutcome::Alert(a) = &outcome {
                log.push(format!("channel {id}: ALERT: {a}"));
            }
            if let Some(own) = outcome.unconfirmed_own(&ch.channel) {
                if Self::client_close(ch, &own.0) {
                    client_closes.insert(own.0);
                }
                unconfirmed.push(own);
            }
            match (remembered, key) {
                (Some(q), _) => channels.put_back_quiet(id, q),
                (None, Some(key)) if nothing_to_do => {
                    channels.remember_quiet(id, key, force, outcome)
                }
                _ => {}
            }
        }
        self.looked.store(looked, Ordering::Relaxed);
        let mut inner = self.lock();
        self.watch_sold(&mut inner, &mut log, &mut unconfirmed);
        self.bump_fee_children(
            &mut inner,
            tip,
            (&unconfirmed, &client_closes),
            &mut log,
            &mut errors,
        );
        if let Some((record, generation)) = self.chain.changed_spend_index() {
            match self.store.save(&record) {
                Ok(()) => self.chain.spend_index_stored(generation),
                Err(e) => errors.push(format!("storing the spend index failed: {e}")),
            }
        }
        (log, errors)
    }
}

/// `503 chain_unavailable`: S could not look at channel `id` on chain just now, so it acts
/// on nothing it would have to enforce there.
pub(crate) fn chain_unavailable(id: &ChannelId) -> ApiError {
    chain_unreadable_for(&format!(" to check channel {id}"))
}

/// [`chain_unavailable`] of a request whose reads of the chain failed before S's lock.
fn chain_unreadable() -> ApiError {
    chain_unreadable_for("")
}

fn chain_unreadable_for(what: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "chain_unavailable",
        format!(
            "S cannot read the chain{what} right now (the details are in S's log); it signs, \
             sells and completes nothing on a view it could not refresh. Nothing changed; try \
             again later"
        ),
    )
}

impl ServerCore {
    /// Keeps S's records of a channel it funds up to date: when something was last paid
    /// into it, and whether (and since when) its client's stake no longer covers it.
    /// Returns log lines.
    fn track_inbound(
        &self,
        ch: &mut ServerChannel,
        uncovered: &BTreeSet<ChannelId>,
        limits: &OpenLimits,
        tip: u32,
    ) -> Vec<String> {
        let mut log = Vec::new();
        if ch.channel.funder() != Party::Server {
            return log;
        }
        let id = ch.channel.id();
        let before = (ch.received, ch.uncovered_since);
        if ch.channel.status() == ChannelStatus::Open {
            if let Some(latest) = ch.channel.latest() {
                let now = latest.state.client.to_sat();
                ch.received = match ch.received {
                    // Idle is counted from the funding's confirmation first.
                    None => Some(Received {
                        client_sat: now,
                        height: (tip + 1).saturating_sub(ch.channel.confirmations()),
                    }),
                    // A payment arrived: the client's balance rose.
                    Some(r) if now > r.client_sat => Some(Received {
                        client_sat: now,
                        height: tip,
                    }),
                    // Moved nothing in (or the client spent): the clock runs on.
                    Some(r) => Some(Received {
                        client_sat: now,
                        height: r.height,
                    }),
                };
            }
        }
        if uncovered.contains(&id) {
            if ch.uncovered_since.is_none() {
                ch.uncovered_since = Some(tip);
                log.push(format!(
                    "channel {id}: its client's live stake no longer covers it; S closes it \
                     at height {} unless the stake comes back",
                    tip.saturating_add(limits.inbound_notice_blocks)
                ));
            }
        } else if ch.uncovered_since.take().is_some() {
            log.push(format!(
                "channel {id}: covered by its client's stake again; no close"
            ));
        }
        if (ch.received, ch.uncovered_since) != before {
            if let Err(e) = self.save(ch) {
                log.push(format!("channel {id}: {}", e.message()));
            }
        }
        log
    }
}

/// Under [`InboundPolicy::Stake`]: the channels S funded (funding published, not closing)
/// that their client's live stake — the capacity it funded itself in channels with S that
/// are open — no longer covers at `inbound_stake_pct` %: per node, the newest ones until the
/// rest is covered. Allow-listed nodes have none.
fn uncovered_inbound(inner: &Inner) -> BTreeSet<ChannelId> {
    let limits = &inner.settings.limits;
    let mut out = BTreeSet::new();
    if limits.inbound != InboundPolicy::Stake {
        return out;
    }
    type Inbound = Vec<(Option<u32>, ChannelId, u64)>;
    let mut nodes: BTreeMap<NodeId, (u64, Inbound)> = BTreeMap::new();
    for c in inner.channels.values() {
        if limits.inbound_allow.contains(&c.client) {
            continue;
        }
        let status = c.channel.status();
        let capacity = c.channel.params().capacity.to_sat();
        let node = nodes.entry(c.client).or_default();
        match c.channel.funder() {
            Party::Client if status == ChannelStatus::Open => node.0 += capacity,
            Party::Server
                if c.channel.funding_outpoint().is_some()
                    && matches!(status, ChannelStatus::AwaitingFunding | ChannelStatus::Open) =>
            {
                node.1.push((c.opened_height, c.channel.id(), capacity))
            }
            _ => {}
        }
    }
    for (stake, mut inbound) in nodes.into_values() {
        let cap = u128::from(stake) * u128::from(limits.inbound_stake_pct) / 100;
        let mut held: u128 = inbound.iter().map(|i| u128::from(i.2)).sum();
        inbound.sort();
        while held > cap {
            let Some((_, id, capacity)) = inbound.pop() else {
                break;
            };
            held -= u128::from(capacity);
            out.insert(id);
        }
    }
    out
}

/// For a channel S funded that is open: the height from which S closes it as idle (nothing
/// paid into it for `idle_inbound_blocks` since its funding confirmed or the last payment
/// arrived), once S has seen it open; `None` when S never closes it for idleness.
fn idle_close_height(ch: &ServerChannel, limits: &OpenLimits) -> Option<u32> {
    let idle = limits.idle_inbound_blocks;
    if idle == 0
        || ch.channel.funder() != Party::Server
        || ch.channel.status() != ChannelStatus::Open
    {
        return None;
    }
    Some(ch.received?.height.saturating_add(idle))
}

/// The force close S has scheduled for a channel it funded, as the client sees it.
fn close_notice(ch: &ServerChannel, limits: &OpenLimits) -> Option<CloseNotice> {
    if ch.channel.funder() != Party::Server
        || !matches!(
            ch.channel.status(),
            ChannelStatus::AwaitingFunding | ChannelStatus::Open
        )
    {
        return None;
    }
    if let Some(since) = ch.uncovered_since {
        return Some(CloseNotice {
            at_height: since.saturating_add(limits.inbound_notice_blocks),
            reason: format!(
                "S funds inbound capacity up to {}% of the capacity you fund yourself in open \
                 channels with it, and your live stake no longer covers this channel: open \
                 (and confirm) a channel you fund before this height, when S force-closes \
                 it; holding a balance here, you may close this one cooperatively \
                 (`asyncpay channel close`, the fee from your balance) before",
                limits.inbound_stake_pct
            ),
        });
    }
    idle_close_height(ch, limits).map(|at_height| CloseNotice {
        at_height,
        reason: "nothing has been paid into this channel: S force-closes inbound capacity \
                 that receives no payment at this height (each payment received moves it \
                 later)"
            .to_owned(),
    })
}

fn bad_field(field: &'static str) -> impl Fn(crate::crypto::musig::MusigError) -> ApiError {
    move |e| ApiError::bad_request("invalid_field", format!("{field}: {e}"))
}

/// The cooperative close of `channel` with the client paying `fee_sat`, and the key it is
/// signed with.
fn close_tx(
    channel: &Channel,
    fee_sat: u64,
) -> Result<(CooperativeClose, crate::crypto::musig::AggregateKey), ApiError> {
    let close = channel
        .cooperative_close(Amount::from_sat(fee_sat), Party::Client)
        .map_err(channel_error)?;
    let key = CooperativeClose::signing_key(channel.params()).map_err(internal)?;
    Ok((close, key))
}

/// Whether S has no funding of `channel` to stand on yet: not opened, or awaiting a
/// funding S did not publish itself (a client's funding is only real once confirmed).
fn unfunded(channel: &Channel) -> bool {
    match channel.status() {
        ChannelStatus::Opening => true,
        ChannelStatus::AwaitingFunding => {
            channel.funder() == Party::Client || channel.funding_outpoint().is_none()
        }
        _ => false,
    }
}

/// The limits on opens (per node and overall) and, for a channel S would fund, the policy
/// for whom S funds (PROTOCOL.md §7.10). Nothing is written; a refusal changes nothing.
fn check_open_limits(inner: &Inner, client: &NodeId, open: &OpenChannel) -> Result<(), ApiError> {
    let limits = &inner.settings.limits;
    let live = || {
        inner
            .channels
            .values()
            .filter(|c| c.channel.status() != ChannelStatus::Closed)
    };
    let mine = || {
        inner
            .channels_of(client)
            .filter(|c| c.channel.status() != ChannelStatus::Closed)
    };
    let expiry = limits.open_expiry_blocks;
    let too_many = |code: &'static str, message: String| {
        ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            code,
            format!(
                "{message}; fund or close the channels you have (an open never funded is \
                 forgotten {expiry} blocks after it was made), then try again"
            ),
        )
    };
    let channels = mine().count();
    if channels >= limits.max_channels_per_node as usize {
        return Err(too_many(
            "too_many_channels",
            format!(
                "this node already has {channels} channels with S (at most {})",
                limits.max_channels_per_node
            ),
        ));
    }
    let unfunded_mine = mine().filter(|c| unfunded(&c.channel)).count();
    if unfunded_mine >= limits.max_unfunded_per_node as usize {
        return Err(too_many(
            "too_many_unfunded",
            format!(
                "this node already has {unfunded_mine} channels with S that are not funded \
                 (at most {})",
                limits.max_unfunded_per_node
            ),
        ));
    }
    // An open costs nothing until it is funded, so nodes with no funded channel with S
    // (strangers: anyone can make new node ids) share one limit; a node with a funded
    // channel is not held back by them (its own limit above bounds it), or a few dozen
    // strangers' opens would keep every client from opening a channel.
    let funded_here = mine().any(|c| !unfunded(&c.channel));
    let unfunded_all = live().filter(|c| unfunded(&c.channel)).count();
    if !funded_here && unfunded_all >= limits.max_unfunded as usize {
        return Err(too_many(
            "server_busy",
            format!(
                "S has {unfunded_all} channels awaiting funding, its limit for nodes without \
                 a funded channel, all together"
            ),
        ));
    }
    if open.funder != Party::Server || !inner.settings.policy.server_funds {
        return Ok(()); // accept_open refuses S-funded opens when S does not fund
    }
    let capacity = open.capacity_sat;
    let inbound = |c: &&ServerChannel| c.channel.funder() == Party::Server;
    let held: u64 = mine()
        .filter(inbound)
        .map(|c| c.channel.params().capacity.to_sat())
        .sum();
    let total: u64 = live()
        .filter(inbound)
        .map(|c| c.channel.params().capacity.to_sat())
        .sum();
    let allowed = limits.inbound_allow.contains(client);
    let refuse = |message: String| ApiError::forbidden("inbound_refused", message);
    match limits.inbound {
        InboundPolicy::Anyone => {}
        InboundPolicy::AllowList if !allowed => {
            return Err(refuse(
                "this server funds channels only for nodes its operator allows; open a \
                 channel you fund yourself (`asyncpay channel open`)"
                    .to_string(),
            ))
        }
        InboundPolicy::AllowList => {}
        InboundPolicy::Stake => check_stake(inner, client, capacity)?,
    }
    if held.saturating_add(capacity) > limits.max_inbound_per_node_sat {
        return Err(refuse(format!(
            "this node holds {held} sat of inbound capacity S funded; {capacity} sat more is \
             over S's limit of {} sat per node",
            limits.max_inbound_per_node_sat
        )));
    }
    if total.saturating_add(capacity) > limits.max_inbound_sat {
        return Err(ApiError::conflict(
            "server_cannot_fund",
            format!(
                "S has committed {total} sat to channels it funds; {capacity} sat more is over \
                 its total of {} sat; try a smaller amount or later",
                limits.max_inbound_sat
            ),
        ));
    }
    Ok(())
}

/// Under [`InboundPolicy::Stake`] (allow-listed nodes aside): the S-funded channels of
/// `client` that are not closed, plus `capacity` more, are within `inbound_stake_pct` % of
/// its live stake (the capacity it funds itself in channels with S that are open).
fn check_stake(inner: &Inner, client: &NodeId, capacity: u64) -> Result<(), ApiError> {
    let limits = &inner.settings.limits;
    if limits.inbound != InboundPolicy::Stake || limits.inbound_allow.contains(client) {
        return Ok(());
    }
    let mine = || {
        inner
            .channels_of(client)
            .filter(|c| c.channel.status() != ChannelStatus::Closed)
    };
    let held: u64 = mine()
        .filter(|c| c.channel.funder() == Party::Server)
        .map(|c| c.channel.params().capacity.to_sat())
        .sum();
    let stake: u64 = mine()
        .filter(|c| {
            c.channel.funder() == Party::Client && c.channel.status() == ChannelStatus::Open
        })
        .map(|c| c.channel.params().capacity.to_sat())
        .sum();
    let cap = u128::from(stake) * u128::from(limits.inbound_stake_pct) / 100;
    if u128::from(held) + u128::from(capacity) > cap {
        return Err(ApiError::forbidden(
            "inbound_refused",
            format!(
                "this server funds inbound capacity up to {}% of what a node funds itself in \
                 open channels with it, for as long as those stay open: you fund {stake} sat, \
                 hold {held} sat of inbound, so at most {} sat more; open (and confirm) a \
                 channel you fund yourself first (`asyncpay channel open`)",
                limits.inbound_stake_pct,
                cap.saturating_sub(u128::from(held))
            ),
        ));
    }
    Ok(())
}

/// The funding outputs S published that wait for their first confirmation, with their
/// channels.
fn waiting_fundings<'a>(
    channels: impl Iterator<Item = &'a ServerChannel> + 'a,
) -> impl Iterator<Item = (ChannelId, OutPoint)> + 'a {
    channels
        .filter(|c| c.channel.status() == ChannelStatus::AwaitingFunding)
        .filter_map(|c| {
            let output = c.channel.funding_outpoint()?;
            c.published
                .contains(&output.txid)
                .then_some((c.channel.id(), output))
        })
}

/// S's policy for client proposals after state 0: S's balance never goes down and PTLCs
/// are not changed here (payments add them through their own flow).
fn server_policy(latest: Option<&ChannelState>, next: &ChannelState) -> Result<(), String> {
    let Some(latest) = latest else {
        return Ok(()); // state 0: the protocol checks it equals the opening terms
    };
    if next.server < latest.server {
        return Err(format!(
            "the server's balance would go down from {} to {} sat",
            latest.server.to_sat(),
            next.server.to_sat()
        ));
    }
    if next.ptlcs != latest.ptlcs {
        return Err("PTLCs change only through payments".into());
    }
    Ok(())
}

/// The summary of a channel for the API and the CLI.
pub fn summary(channel: &Channel) -> ChannelSummary {
    let latest = channel.latest();
    ChannelSummary {
        channel_id: channel.id(),
        status: channel.status().to_string(),
        capacity_sat: channel.params().capacity.to_sat(),
        state: latest.map(|l| l.state.number),
        client_sat: latest.map(|l| l.state.client.to_sat()),
        server_sat: latest.map(|l| l.state.server.to_sat()),
        funding_outpoint: channel.funding_outpoint().map(|o| o.to_string()),
        confirmations: channel.confirmations(),
        close_notice: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever S publishes, through any path, follows its commits onto the disk:
    /// [`ServerCore::open`] puts a sync of S's records in front of its chain source.
    #[test]
    fn what_s_publishes_waits_for_its_commits_to_be_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::test_store(&tmp.path().join("s"));
        store.save(&ServerSettings::default()).unwrap();
        let keys = crate::client::stored_seed(&store.read_only(), Network::Regtest)
            .unwrap()
            .keys(Network::Regtest);
        let ledger = crate::chain::source::RegtestSource::open(tmp.path().join("chain")).unwrap();
        let core = ServerCore::open(store, keys, Network::Regtest, Box::new(ledger)).unwrap();
        assert!(core.store.defer_durability());
        core.store.save(&ServerSettings::default()).unwrap();
        assert!(core.store.sync_pending());
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: Vec::new(),
            output: Vec::new(),
        };
        // The ledger refuses this transaction, after the sync.
        assert!(core.chain.broadcast(&tx).is_err());
        assert!(!core.store.sync_pending(), "synced before the broadcast");
        assert_eq!(core.store.group_stats().syncs, 1);
    }

    /// A chunk of a channel's history missing from the data dir is reported when S loads the
    /// channel (the golden channel of format 2: one chunk stored apart), not when a cheater
    /// publishes an update from it.
    #[test]
    fn a_missing_chunk_of_history_is_reported_when_s_loads_the_channel() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/channel-v2.json"
        ))
        .unwrap();
        let channel: Channel = serde_json::from_str(&text).unwrap();
        assert_eq!(channel.stored_history_chunks(), 1);
        let key = HistoryChunk::key_of(channel.id(), channel.local(), 0);
        assert_eq!(missing_history(&channel, &BTreeSet::from([key])), None);
        let reported = missing_history(&channel, &BTreeSet::new()).unwrap();
        assert_eq!(reported.what, format!("channel {}", channel.id()));
        assert!(
            reported.reason.contains("chunks 0 to 0, states 0 to 255"),
            "{}",
            reported.reason
        );
    }
}
