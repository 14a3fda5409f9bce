//! The server S: its settings, its channels with clients, and the HTTP API over the
//! sans-I/O [`crate::protocol::Channel`]. Every state change is written (encrypted,
//! atomically) before the reply that depends on it is sent (PROTOCOL.md §7.4).
//!
//! The handlers are synchronous: [`ServerCore`] holds one lock for the whole state, and
//! the HTTP layer calls it from blocking tasks.

pub mod api;
pub mod mailbox;
pub mod payments;
pub mod watcher;

use std::collections::BTreeMap;
use std::sync::Mutex;

use bitcoin::{Address, Amount, FeeRate, Network, OutPoint, Transaction};
use serde::{Deserialize, Serialize};

use crate::chain::source::ChainSource;
use crate::crypto::musig::{PartialSignature, PublicNonce, SecretNonce, SigningSession};
use crate::eltoo::{ChannelState, CooperativeClose, Party};
use crate::keys::{NodeId, WalletKeys};
use crate::net::ApiError;
use crate::protocol::{
    Channel, ChannelId, ChannelStatus, FundingPublished, Message, OpenChannel, OpenPolicy,
    UpdateAccept, UpdateProposal, UpdateSignature,
};
use crate::store::{StateFile, Store};
use crate::wallet::{OnchainWallet, WalletState};

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
        }
    }
}

impl ChannelPolicy {
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

/// S's settings (`server.age`): the channel policy, where to listen, and the next channel
/// key index (written before any channel key derived from it is used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// The channel policy.
    #[serde(flatten)]
    pub policy: ChannelPolicy,
    /// Fee rate of funding and close transactions S publishes, sat/vB.
    pub fee_rate_sat_vb: u64,
    /// Next channel key index (`m/9735'/coin'/1'/i'`).
    pub next_key_index: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: crate::net::server::DEFAULT_LISTEN.to_string(),
            policy: ChannelPolicy::default(),
            fee_rate_sat_vb: 2,
            next_key_index: 0,
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
    /// S's secret nonce for a cooperative close in progress (97 bytes, hex; consumed once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_nonce: Option<String>,
    /// Transactions S published for this channel (funding, close, rebinding, settlement).
    #[serde(default)]
    pub published: Vec<bitcoin::Txid>,
}

impl StateFile for ServerChannel {
    const FILE: &'static str = "server-channels";
    const KIND: &'static str = "asyncpay/server-channel";
    const VERSION: u32 = 1;
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
    channels: BTreeMap<ChannelId, ServerChannel>,
    payments: BTreeMap<crate::payment::PaymentId, payments::ServerPayment>,
    onchain: Option<(OnchainWallet, WalletState)>,
}

/// The server's state and logic, shared by the HTTP handlers and the chain watcher.
pub struct ServerCore {
    store: Store,
    keys: WalletKeys,
    network: Network,
    chain: Box<dyn ChainSource>,
    manual: std::sync::atomic::AtomicBool,
    watch_health: Mutex<watcher::WatchHealth>,
    inner: Mutex<Inner>,
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
        let mut channels = BTreeMap::new();
        for key in store
            .keys_of::<ServerChannel>()
            .map_err(|e| e.to_string())?
        {
            let ch: ServerChannel = store
                .load_keyed(&key)
                .map_err(|e| e.to_string())?
                .ok_or("a channel file vanished while loading")?;
            channels.insert(ch.channel.id(), ch);
        }
        let mut payments = BTreeMap::new();
        for key in store
            .keys_of::<payments::ServerPayment>()
            .map_err(|e| e.to_string())?
        {
            let p: payments::ServerPayment = store
                .load_keyed(&key)
                .map_err(|e| e.to_string())?
                .ok_or("a payment file vanished while loading")?;
            if !channels.contains_key(&p.payer_channel)
                || p.payee_channel.is_some_and(|c| !channels.contains_key(&c))
            {
                return Err(format!(
                    "payment {} names a channel S does not have; S's data directory is incomplete",
                    p.payment_id
                ));
            }
            payments.insert(p.payment_id, p);
        }
        let core = ServerCore {
            store,
            keys,
            network,
            chain,
            manual: std::sync::atomic::AtomicBool::new(false),
            watch_health: Mutex::default(),
            inner: Mutex::new(Inner {
                settings,
                channels,
                payments,
                onchain: None,
            }),
        };
        core.reconcile_payments()?;
        Ok(core)
    }

    /// With `true`, each sale waits for the operator's approval (`server run --manual`).
    pub fn set_manual(&self, manual: bool) {
        self.manual
            .store(manual, std::sync::atomic::Ordering::SeqCst);
    }

    fn manual(&self) -> bool {
        self.manual.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// S's node id.
    pub fn node_id(&self) -> NodeId {
        self.keys.node_id()
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

    /// The client's channels.
    pub fn channels_of(&self, client: &NodeId) -> Vec<ChannelSummary> {
        self.lock()
            .channels
            .values()
            .filter(|c| c.client == *client)
            .map(|c| summary(&c.channel))
            .collect()
    }

    /// Handles one channel message from `client` and returns the replies. State is written
    /// before this returns.
    pub fn handle(&self, client: &NodeId, message: Message) -> Result<Vec<Message>, ApiError> {
        let mut inner = self.lock();
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
        let index = inner.settings.next_key_index;
        inner.settings.next_key_index = index
            .checked_add(1)
            .ok_or_else(|| internal("channel key indexes exhausted"))?;
        // The index is spent before any key derived from it is used.
        self.store.save(&inner.settings).map_err(store_error)?;
        let keys = self.keys.channel(index).party_keys();
        let (channel, accept) =
            Channel::accept_open(&open, &keys, &inner.settings.policy.open_policy())
                .map_err(|e| ApiError::forbidden("open_refused", e.to_string()))?;
        let ch = ServerChannel {
            client: *client,
            key_index: index,
            channel,
            close_nonce: None,
            published: Vec::new(),
        };
        self.save(&ch)?;
        inner.channels.insert(open.channel_id, ch);
        Ok(vec![Message::AcceptChannel(accept)])
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
        self.drop_stale_pending(inner, &id)?;
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
        let ch = Self::owned(inner, client, &s.channel_id)?;
        let with_remote = ch.channel.on_signature(&s).map_err(channel_error)?;
        let secret = self.keys.channel(ch.key_index).funding_scalar();
        record_nonce_use(&with_remote);
        // Our nonce is consumed here: the channel without it is written before our partial
        // signature leaves (PROTOCOL.md §7.3).
        let (signed, _partial) = with_remote.sign(secret).map_err(channel_error)?;
        let reply = signed.update_signature().map_err(channel_error)?;
        let old = std::mem::replace(&mut ch.channel, signed);
        if let Err(e) = self.save(ch) {
            ch.channel = old;
            return Err(e);
        }
        let mut replies = vec![Message::UpdateSignature(reply)];
        let opening = ch.channel.status() == ChannelStatus::AwaitingFunding
            && ch.channel.funder() == Party::Server
            && ch.channel.funding_outpoint().is_none();
        if opening {
            let id = ch.channel.id();
            let funded = self.fund_channel(inner, &id, fee_rate)?;
            replies.push(Message::FundingPublished(funded));
        }
        Ok(replies)
    }

    /// Counts the funding confirmations of a channel still awaiting them: the watcher may
    /// not have passed since the funding confirmed.
    fn refresh_funding(&self, ch: &mut ServerChannel) -> Result<(), ApiError> {
        if ch.channel.status() == ChannelStatus::AwaitingFunding {
            if let Ok((_, Some(next))) = watch_pass(&ch.channel, self.chain.as_ref(), false) {
                ch.channel = next;
                self.save(ch)?;
            }
        }
        Ok(())
    }

    /// One watcher pass over channel `id` now (it may be closing since the last pass).
    fn refresh_channel(&self, inner: &mut Inner, id: &ChannelId) -> Result<(), ApiError> {
        let ch = inner
            .channels
            .get_mut(id)
            .expect("the caller checked the channel");
        if ch.channel.funding_outpoint().is_some() && ch.channel.status() != ChannelStatus::Closed {
            if let Ok((_, Some(next))) = watch_pass(&ch.channel, self.chain.as_ref(), false) {
                ch.channel = next;
                self.save(ch)?;
            }
        }
        Ok(())
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

    /// S funds a channel whose state 0 is fully signed: builds the funding transaction,
    /// writes its outpoint, then publishes it.
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
        let tx = {
            let (wallet, _) = self.onchain(inner)?;
            wallet
                .send(
                    address.as_unchecked(),
                    capacity,
                    FeeRate::from_sat_per_vb(fee_rate).unwrap_or(FeeRate::BROADCAST_MIN),
                )
                .map_err(|e| {
                    ApiError::conflict(
                        "server_cannot_fund",
                        format!("S cannot fund the channel now: {e}"),
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
        self.broadcast_from_wallet(inner, &tx)?;
        Ok(msg)
    }

    fn onchain<'a>(
        &self,
        inner: &'a mut Inner,
    ) -> Result<&'a mut (OnchainWallet, WalletState), ApiError> {
        if inner.onchain.is_none() {
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
            inner.onchain = Some(pair);
        }
        let pair = inner.onchain.as_mut().expect("set above");
        pair.0.sync(self.chain.as_ref()).map_err(internal)?;
        Ok(pair)
    }

    fn broadcast_from_wallet(&self, inner: &mut Inner, tx: &Transaction) -> Result<(), ApiError> {
        let (wallet, state) = inner.onchain.as_mut().expect("wallet loaded");
        wallet
            .broadcast(self.chain.as_ref(), tx)
            .map_err(|e| internal(format!("publishing failed: {e}")))?;
        if wallet.persist_into(state) {
            self.store.save(&*state).map_err(store_error)?;
        }
        Ok(())
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
        let channel = ch.channel.on_funding_published(&f).map_err(channel_error)?;
        ch.channel = channel;
        self.save(ch)?;
        Ok(Vec::new())
    }

    /// A cooperative close, step 1: S makes and stores its nonce for the close.
    pub fn close_request(
        &self,
        client: &NodeId,
        req: CloseRequest,
    ) -> Result<CloseAccept, ApiError> {
        let rand = random32()?;
        let mut inner = self.lock();
        let ch = Self::owned(&mut inner, client, &req.channel_id)?;
        let (close, key) = close_tx(&ch.channel, req.fee_sat)?;
        let msg = close.sighash().map_err(internal)?;
        let secret = self.keys.channel(ch.key_index).funding_scalar();
        let nonce = SecretNonce::generate(rand, secret, &key, Some(&msg));
        let public = nonce.public_nonce();
        ch.close_nonce = Some(hex(&nonce.to_storage_bytes()));
        self.save(ch)?;
        Ok(CloseAccept {
            nonce: hex(&public.to_bytes()),
        })
    }

    /// A cooperative close, step 2: S checks the client's partial, signs (consuming its
    /// stored nonce first), publishes the close and reports it.
    pub fn close_sign(&self, client: &NodeId, req: CloseSign) -> Result<CloseDone, ApiError> {
        let mut inner = self.lock();
        let ch = Self::owned(&mut inner, client, &req.channel_id)?;
        let stored = ch.close_nonce.take().ok_or_else(|| {
            ApiError::conflict(
                "no_close",
                "no cooperative close in progress; request one first",
            )
        })?;
        // Consumed durably before it signs anything.
        self.save(ch)?;
        let bytes: [u8; 97] = crate::protocol::hex::decode(&stored).map_err(internal)?;
        let secnonce = SecretNonce::from_storage_bytes(&bytes).map_err(internal)?;
        let (close, key) = close_tx(&ch.channel, req.fee_sat)?;
        let msg = close.sighash().map_err(internal)?;
        let client_nonce = PublicNonce::from_bytes(&unhex::<66>("nonce", &req.nonce)?)
            .map_err(bad_field("nonce"))?;
        if hex(&secnonce.public_nonce().to_bytes()) != req.server_nonce {
            return Err(ApiError::conflict(
                "stale_close",
                "the server nonce does not match the close in progress; request a new close",
            ));
        }
        let params = ch.channel.params().clone();
        let secret = self.keys.channel(ch.key_index).funding_scalar();
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
        ch.channel = ch.channel.closing().map_err(channel_error)?;
        ch.published.push(txid);
        self.save(ch)?;
        self.chain
            .broadcast(&tx)
            .map_err(|e| internal(format!("publishing the close failed: {e}")))?;
        Ok(CloseDone {
            txid,
            tx_hex: bitcoin::consensus::encode::serialize_hex(&tx),
        })
    }
}

/// Test-only audit of secret nonce use: when `ASYNCPAY_TEST_NONCE_LOG` names a file, each
/// signing of a pending update appends `public nonce, message` to it before the signature is
/// made, so a test can check that no nonce ever signed two different messages.
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
    let line = format!(
        "{} {}\n",
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

/// One watcher pass over `channel` on `chain`: the decision, the channel transition it calls
/// for (persist it), and the transaction to publish, if any. `force` publishes our latest
/// update even when nothing else is on chain (a unilateral close).
pub fn watch_pass(
    channel: &Channel,
    chain: &dyn ChainSource,
    force: bool,
) -> Result<(crate::watch::WatchOutcome, Option<Channel>), String> {
    let ledger = chain.ledger().ok_or(
        "watching channels needs the local regtest ledger (no spending index on bitcoind yet)",
    )?;
    let outcome = if force {
        crate::watch::force_close_step_ledger(channel, ledger)
    } else {
        crate::watch::watch_ledger(channel, ledger)
    }
    .map_err(|e| e.to_string())?;
    let next = crate::watch::next_channel(channel, &outcome).map_err(|e| e.to_string())?;
    Ok((outcome, next))
}

impl ServerCore {
    /// One pass of the chain watcher over every channel with a funding outpoint: count
    /// funding confirmations, rebind the latest update over old ones, publish settlements.
    /// Returns a log line per action.
    pub fn watch_once(&self) -> Vec<String> {
        let (mut log, errors) = self.watch_pass_checked();
        log.extend(errors);
        log
    }

    /// [`ServerCore::watch_once`] with its failures apart: `(log lines, errors)`. A pass
    /// with errors (a channel that could not be read from the chain, a state that could not
    /// be written, a transaction that could not be published) did not watch everything.
    pub fn watch_pass_checked(&self) -> (Vec<String>, Vec<String>) {
        let mut inner = self.lock();
        let mut log = Vec::new();
        let mut errors = Vec::new();
        if let Err(e) = self.chain.tip_height() {
            errors.push(format!("reading the chain failed: {e}"));
            return (log, errors);
        }
        for ch in inner.channels.values_mut() {
            if ch.channel.funding_outpoint().is_none()
                || ch.channel.status() == ChannelStatus::Closed
            {
                continue;
            }
            let id = ch.channel.id();
            let (outcome, next) = match watch_pass(&ch.channel, self.chain.as_ref(), false) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("channel {id}: {e}"));
                    continue;
                }
            };
            if let Some(next) = next {
                ch.channel = next;
                if let Err(e) = self.save(ch) {
                    errors.push(format!("channel {id}: {}", e.message()));
                    continue;
                }
            }
            if let Some(b) = outcome.broadcast() {
                match self.chain.broadcast(&b.tx) {
                    Ok(txid) => {
                        ch.published.push(txid);
                        let _ = self.save(ch);
                        log.push(format!("channel {id}: published {txid}: {}", b.reason));
                    }
                    Err(e) => errors.push(format!("channel {id}: publishing failed: {e}")),
                }
            }
            if let crate::watch::WatchOutcome::Alert(a) = &outcome {
                log.push(format!("channel {id}: ALERT: {a}"));
            }
        }
        self.watch_sold(&mut inner, &mut log);
        (log, errors)
    }
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
    }
}
