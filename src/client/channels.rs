//! Channels with a server S, the client's side: open (funded by us or inbound), push,
//! recovery of an interrupted update, watching, cooperative and force close.

use std::rc::Rc;
use std::str::FromStr;

use bitcoin::{Address, Amount, OutPoint};
use serde::{Deserialize, Serialize};

use super::error::{refused, ClientError, ClientErrorKind, ClientResult};
use super::{random32, ClientPayment, Engine};
use crate::chain::source::ChainSource;
use crate::crypto::musig::{PartialSignature, PublicNonce, SecretNonce, SigningSession};
use crate::eltoo::{CooperativeClose, Party};
use crate::keys::NodeId;
use crate::net::client::{Client, ClientOptions};
use crate::protocol::{Channel, ChannelId, ChannelStatus, Message, OpenChannel, WireKeys};
use crate::server::{
    ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerInfo,
};
use crate::store::{StateFile, StoreError, Txn};
use crate::wallet::OwnTx;
use crate::watch::{Alert, BroadcastKind, WatchOutcome};

/// S forgets a channel whose funding has not reached its minimum depth this many blocks
/// after its open (S's default `open_expiry_blocks`; a client does not learn S's setting).
const S_FORGETS_UNFUNDED_AFTER: u32 = 144;

/// Blocks our own funding the node lost, published again, is given to reach the channel's
/// minimum depth before S would forget the channel.
const REPUBLISHED_FUNDING_MARGIN: u32 = 6;

/// Depth at which a transaction of ours spending our lost funding's coins makes that
/// funding dead (the client publishes nothing once another spends them, whatever depth).
const FUNDING_SPENT_DEEP: u32 = 6;

/// How [`Engine::close`] closes a channel.
#[derive(Debug, Clone, Copy)]
pub enum ChannelClose {
    /// With S: one transaction paying each side its balance, `fee` paid by the client.
    Cooperative {
        /// The close transaction's fee.
        fee: Amount,
    },
    /// Alone: the latest update on chain, then its settlement after the delay;
    /// `no_wait` returns (`Pending`) once the update is out instead of waiting.
    Force {
        /// Return once the update is published.
        no_wait: bool,
    },
}

/// One channel of this wallet (`channels/<id>.age`).
#[derive(Serialize, Deserialize)]
pub struct ClientChannel {
    /// The server's URL.
    pub server_url: String,
    /// The server's node id.
    pub server: NodeId,
    /// This wallet's channel key index.
    pub key_index: u32,
    /// The channel.
    pub channel: Channel,
    /// The chain's height when the channel was made (its funding cannot be below it: a
    /// watcher on bitcoind scans from there). Absent in records from before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_height: Option<u32>,
    /// Its keys are bound to its id ([`crate::keys::ChannelSecrets::bound_to`]): every
    /// channel opened since that was built. False in older records (their keys are the
    /// index's alone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keys_bound: bool,
    /// The cooperative close S completed, published again at each look while the channel
    /// is closing: a node that lost it from its mempool would otherwise have the channel
    /// force-closed (an anchor's fee and the shared delay). Absent for any other channel.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::chain::source::kept_tx"
    )]
    pub cooperative_close: Option<bitcoin::Transaction>,
}

impl ClientChannel {
    /// Closed without ever having a funding outpoint: an open that failed, or a channel
    /// never funded and closed by hand. It never held money; `channel list` hides it
    /// unless `--all`.
    pub fn abandoned(&self) -> bool {
        self.channel.status() == ChannelStatus::Closed && self.channel.funding_outpoint().is_none()
    }
}

impl StateFile for ClientChannel {
    const FILE: &'static str = "channels";
    const KIND: &'static str = "asyncpay/client-channel";
    /// 2: `keys_bound` (a build that does not know it must not read the record: it would
    /// sign with the index's keys alone).
    const VERSION: u32 = 2;

    /// Version 1: without `keys_bound` (false: the keys of the index alone).
    fn migrate(version: u32, data: serde_json::Value) -> Result<Self, String> {
        crate::store::migrate_by_defaults(version, 1, data)
    }

    fn save_beside(&self, tx: &mut Txn<'_>) -> Result<(), StoreError> {
        crate::server::save_history_chunks(tx, &self.channel)
    }
}

/// Writes nothing beside a channel ([`Engine::save_with`]).
pub(crate) fn nothing_more(_: &mut Txn<'_>) -> Result<(), StoreError> {
    Ok(())
}

/// Sends one channel message and decodes the replies.
pub(crate) fn send(client: &Client, message: Message) -> ClientResult<Vec<Message>> {
    decode_replies(post_message(client, message)?)
}

/// Sends our proposal of an update and returns S's accept.
fn ask_accept(
    client: &Client,
    proposal: crate::protocol::UpdateProposal,
) -> ClientResult<crate::protocol::UpdateAccept> {
    match send(client, Message::UpdateProposal(proposal))?.pop() {
        Some(Message::UpdateAccept(a)) => Ok(a),
        _ => Err(ClientError::failed("the server did not accept the update")),
    }
}

fn post_message(client: &Client, message: Message) -> Result<Replies, crate::net::NetError> {
    let body: serde_json::Value =
        serde_json::from_slice(&message.encode()).expect("messages are JSON");
    client.post("/v1/channel-messages", &body)
}

fn decode_replies(replies: Replies) -> ClientResult<Vec<Message>> {
    replies
        .messages
        .iter()
        .map(|m| {
            let bytes = serde_json::to_vec(m).expect("JSON value");
            Message::decode(&bytes).map_err(|e| {
                ClientError::failed(format!("the server sent an invalid message: {e}"))
            })
        })
        .collect()
}

impl Engine<'_> {
    pub(crate) fn client(&self, url: &str) -> ClientResult<Client> {
        Ok(Client::with_keypair(
            url,
            self.keys.node_keypair(),
            self.server_ca.clone(),
            ClientOptions::default(),
        )?)
    }

    /// The client of a channel's server: every request is signed for the node id the
    /// channel was opened with (`ch.server`, never what the URL answers today), and a
    /// server at that URL showing another id at `GET /v1/info` is refused before anything
    /// is signed for it (`NetError::WrongServer`).
    ///
    /// One client per server for the engine's life: its pin is checked once, and its
    /// connections are kept for the next request.
    pub(crate) fn channel_client(&self, ch: &ClientChannel) -> ClientResult<Rc<Client>> {
        let mut kept = self.servers.borrow_mut();
        if let Some((_, _, client)) = kept
            .iter()
            .find(|(url, server, _)| *url == ch.server_url && *server == ch.server)
        {
            return Ok(Rc::clone(client));
        }
        let key = crate::net::auth::request_key_from_ecdh(
            &self.keys.node_ecdh(&ch.server),
            &self.keys.node_id(),
            &ch.server,
        );
        let client = Rc::new(
            self.client(&ch.server_url)?
                .pinned_to(ch.server)
                .with_request_key(ch.server, key),
        );
        kept.push((ch.server_url.clone(), ch.server, Rc::clone(&client)));
        Ok(client)
    }

    pub(crate) fn save(&self, ch: &ClientChannel) -> ClientResult<()> {
        self.save_with(ch, nothing_more)
    }

    /// Saves `ch` and what `with` writes in one transaction: both or neither.
    pub(crate) fn save_with(
        &self,
        ch: &ClientChannel,
        with: impl FnOnce(&mut Txn<'_>) -> Result<(), StoreError>,
    ) -> ClientResult<()> {
        self.store
            .transaction(|tx| {
                with(tx)?;
                tx.save_keyed(&ch.channel.id().to_string(), ch)
            })
            .map_err(ClientError::from)
    }

    /// The channel `id` of this wallet: 64 hex digits, or a unique prefix of them
    /// ([`super::ids`]).
    pub fn channel(&self, id: &str) -> ClientResult<ClientChannel> {
        let id = self.resolve_channel_id(id)?;
        self.store.load_keyed(&id.to_string())?.ok_or_else(|| {
            ClientError::new(
                ClientErrorKind::Failed,
                format!("no channel {id} in this wallet"),
            )
            .hint("list your channels with `asyncpay channel list`")
        })
    }

    /// The id of this wallet's channel that `typed` names: all 64 hex digits or a unique
    /// prefix of at least [`super::ids::MIN_PREFIX`]. Ambiguous or too short: `Invalid`.
    pub fn resolve_channel_id(&self, typed: &str) -> ClientResult<ChannelId> {
        let keys = self.store.keys_of::<ClientChannel>()?;
        let id = super::ids::resolve(typed, &keys).map_err(|e| {
            super::ids::id_error(e, "channel", typed, "asyncpay channel list --all")
        })?;
        // A prefix names the whole id it stood for: what is acted on is never a surprise.
        if !typed.eq_ignore_ascii_case(&id) {
            self.note(&format!("{typed} is channel {id}"));
        }
        ChannelId::from_str(&id)
            .map_err(|_| ClientError::corrupt(format!("the channel record {id} has a bad key")))
    }

    pub(crate) fn all(&self) -> ClientResult<Vec<ClientChannel>> {
        let store = self.store;
        store
            .keys_of::<ClientChannel>()?
            .iter()
            .map(|k| {
                store.load_keyed::<ClientChannel>(k)?.ok_or_else(|| {
                    ClientError::new(
                        ClientErrorKind::Corrupt,
                        format!("channel record {k} vanished"),
                    )
                })
            })
            .collect()
    }

    /// One full state update with S: propose, accept, sign, countersign (after
    /// [`Session::recover`] for a channel that may hold an interrupted update). Returns the replies
    /// that came with S's signature (e.g. S's funding of an inbound channel).
    pub(crate) fn update(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
        next: crate::eltoo::ChannelState,
    ) -> ClientResult<Vec<Message>> {
        self.agree(ch, next, |proposal| ask_accept(client, proposal))?;
        self.countersign(client, ch)
    }

    /// Proposes `next` (written first), has S accept it through `ask` and records S's
    /// nonce (written with what the caller does next).
    pub(crate) fn agree(
        &self,
        ch: &mut ClientChannel,
        next: crate::eltoo::ChannelState,
        ask: impl FnOnce(crate::protocol::UpdateProposal) -> ClientResult<crate::protocol::UpdateAccept>,
    ) -> ClientResult<()> {
        self.agree_with(ch, next, nothing_more, ask)
    }

    /// [`Engine::agree`], the proposal written together with what `with` writes (one
    /// transaction: both or neither, before the proposal leaves).
    pub(crate) fn agree_with(
        &self,
        ch: &mut ClientChannel,
        next: crate::eltoo::ChannelState,
        with: impl FnOnce(&mut Txn<'_>) -> Result<(), StoreError>,
        ask: impl FnOnce(crate::protocol::UpdateProposal) -> ClientResult<crate::protocol::UpdateAccept>,
    ) -> ClientResult<()> {
        let (c, proposal) = ch.channel.propose(next, random32()?).map_err(refused)?;
        ch.channel = c;
        self.save_with(ch, with)?;
        let accept = ask(proposal)?;
        ch.channel = ch.channel.on_accept(&accept).map_err(refused)?;
        Ok(())
    }

    /// Signs the agreed update (our nonce consumed in what is written before the partial
    /// leaves), sends our partial and completes with S's. Returns the replies that came
    /// with S's signature.
    pub(crate) fn countersign(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
    ) -> ClientResult<Vec<Message>> {
        self.countersign_with(client, ch, nothing_more)
    }

    /// [`Engine::countersign`], the signed update written together with what `with` writes
    /// (one transaction: both or neither, before our partial signature leaves).
    pub(crate) fn countersign_with(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
        with: impl FnOnce(&mut Txn<'_>) -> Result<(), StoreError>,
    ) -> ClientResult<Vec<Message>> {
        let secret = self.secrets(ch).funding_scalar();
        crate::server::record_nonce_use(&ch.channel);
        let (c, _) = ch.channel.sign(secret).map_err(refused)?;
        ch.channel = c;
        // Our nonce is consumed in what we write before our partial signature leaves.
        self.save_with(ch, with)?;
        super::payments::crash_point("update-signed");
        let Some(mut replies) = self.send_signature(client, ch)? else {
            return Err(ClientError::failed(format!(
                "S withdrew the sale of this update; it is dropped from channel {}",
                ch.channel.id()
            ))
            .hint("the payment stays received; `asyncpay receive` sells it again while S still buys it"));
        };
        let theirs = match replies.first() {
            Some(Message::UpdateSignature(s)) => s.clone(),
            _ => {
                return Err(ClientError::failed(
                    "the server did not countersign the update",
                ))
            }
        };
        ch.channel = ch.channel.on_signature(&theirs).map_err(refused)?;
        self.save(ch)?;
        replies.remove(0);
        Ok(replies)
    }

    /// Finishes or drops an update a crash interrupted: one we signed is completed by
    /// resending our signature (S answers with its own, or again if it already completed);
    /// one we did not sign is dropped (S drops its side when a new proposal comes).
    pub(crate) fn recover(&self, client: &Client, ch: &mut ClientChannel) -> ClientResult<()> {
        let just_opened = ch.channel.latest().is_some_and(|l| l.state.number == 0);
        if let (Party::Client, Some(outpoint), true) = (
            ch.channel.funder(),
            ch.channel.funding_outpoint(),
            just_opened,
        ) {
            // S may have missed our funding (it was down when we published): tell it again.
            let msg = crate::protocol::FundingPublished {
                channel_id: ch.channel.id(),
                funding_outpoint: outpoint.to_string(),
            };
            send(client, Message::FundingPublished(msg))?;
        }
        let Some(pending) = ch.channel.pending() else {
            return self.restore_over_superseded(client, ch);
        };
        if pending.withheld() {
            // An asynchronous payment: our partial is sold by the payee, never sent to S.
            return Err(self.payment_pending_error(ch, "new state"));
        }
        if pending.local_partial().is_none() {
            // Not ours to drop here: a payment being set up, or being cancelled (S may have
            // superseded its update already; dropping it unsigned would leave our numbers
            // one behind S's).
            let number = pending.next().number;
            if let Some(id) =
                super::payments::payment_in_setup(self.store, ch.channel.id(), number)?
            {
                return Err(ClientError::failed(format!(
                    "payment {id} was interrupted while it was set up or cancelled on channel \
                     {}",
                    ch.channel.id()
                ))
                .hint("run `asyncpay sync` to finish it (or `asyncpay payments cancel ID`)"));
            }
            ch.channel = ch.channel.cancel_pending().map_err(refused)?;
            self.save(ch)?;
            return self.restore_over_superseded(client, ch);
        }
        let Some(replies) = self.send_signature(client, ch)? else {
            return Ok(()); // a sale S withdrew: dropped, nothing is pending any more
        };
        match replies.first() {
            Some(Message::UpdateSignature(theirs)) => {
                ch.channel = ch.channel.on_signature(theirs).map_err(refused)?;
                self.save(ch)
            }
            _ => Err(ClientError::failed(
                "the server did not countersign the interrupted update",
            )),
        }
    }

    /// Signs the state restoring the latest balances above a superseded update (a sale S
    /// withdrew, a cancelled payment): S takes no payment or sale on the channel until then
    /// (`restore_pending`), and S could still complete and publish one we signed. Nothing
    /// to do without such an update, or on a channel not open.
    fn restore_over_superseded(&self, client: &Client, ch: &mut ClientChannel) -> ClientResult<()> {
        if ch.channel.superseded().is_none() || ch.channel.status() != ChannelStatus::Open {
            return Ok(());
        }
        let mut restored = ch.channel.latest().expect("open").state.clone();
        restored.number = ch.channel.next_number();
        self.agree(ch, restored, |proposal| ask_accept(client, proposal))?;
        super::payments::crash_point("restore-accepted");
        self.countersign(client, ch).map(drop)
    }

    /// Sends our partial signature of the pending update and returns S's replies; `None`
    /// when S refuses it because it withdrew the sale the update adds (`sale_withdrawn`,
    /// PROTOCOL.md §7.4) and the update only adds PTLCs S offers us
    /// ([`crate::protocol::Channel::may_drop_signed_pending`]): we drop it then,
    /// superseded, and sign at once a state above it with the latest balances, which
    /// rebinds over it should S ever complete and publish it (until then we would adopt
    /// and settle it). Any other update we signed stays, whatever S says.
    fn send_signature(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
    ) -> ClientResult<Option<Vec<Message>>> {
        let ours = ch.channel.update_signature().map_err(refused)?;
        let number = ours.number;
        match post_message(client, Message::UpdateSignature(ours)) {
            Ok(replies) => decode_replies(replies).map(Some),
            Err(crate::net::NetError::Api { code, message, .. })
                if code == "sale_withdrawn" && ch.channel.may_drop_signed_pending() =>
            {
                ch.channel = ch.channel.supersede_pending().map_err(refused)?;
                self.save(ch)?;
                self.note(&format!(
                    "channel {}: state {number} is dropped: {message}",
                    ch.channel.id()
                ));
                super::payments::crash_point("sale-dropped");
                self.restore_over_superseded(client, ch)?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The outgoing payment pending on `ch` (being set up, pending or being cancelled), if
    /// any: `channel show` and `channel list` show it.
    pub fn pending_payment(&self, ch: &ClientChannel) -> ClientResult<Option<ClientPayment>> {
        super::payments::pending_on(self.store, ch.channel.id())
    }

    /// The refusal of `what` (a new state, a cooperative close) on `ch` while a payment
    /// holds its pending update: which payment, and what to do about it.
    fn payment_pending_error(&self, ch: &ClientChannel, what: &str) -> ClientError {
        let id = ch.channel.id();
        let number = ch.channel.pending().map(|u| u.next().number);
        let state = number.map_or(String::new(), |n| format!(" (the update to state {n})"));
        match self.pending_payment(ch) {
            Ok(Some(p)) => ClientError::failed(format!(
                "payment {} ({} sat, {}) is pending on channel {id}{state}: no {what} until it \
                 is paid or cancelled",
                p.payment_id,
                p.amount_sat,
                p.status.name()
            ))
            .hint(format!(
                "{}; then try again",
                super::payments::pending_hint(p.payment_id)
            )),
            _ => ClientError::failed(format!(
                "a payment is pending on channel {id}{state}: no {what} until it is paid or \
                 cancelled"
            ))
            .hint("see `asyncpay payments list`; `asyncpay payments wait ID` waits for it, `asyncpay payments cancel ID` returns the money while it is unsold"),
        }
    }

    /// The secret keys of `ch`.
    pub(crate) fn secrets(&self, ch: &ClientChannel) -> crate::keys::ChannelSecrets {
        if ch.keys_bound {
            self.keys.channel_bound_to(ch.key_index, &ch.channel.id().0)
        } else {
            self.keys.channel(ch.key_index)
        }
    }

    fn next_key_index(&self) -> ClientResult<u32> {
        Ok(self
            .all()?
            .iter()
            .map(|c| c.key_index + 1)
            .max()
            .unwrap_or(0))
    }

    /// Opens a channel of `amount` with the server at `url`; `funder` is this wallet
    /// (`Party::Client`, paying `fee_rate` for the funding) or the server (inbound).
    pub fn open_channel(
        &self,
        url: &str,
        amount: Amount,
        funder: Party,
        fee_rate: bitcoin::FeeRate,
    ) -> ClientResult<ClientChannel> {
        self.check_channels_allowed()?;
        let source = self.chain()?;
        let client = self.client(url)?;
        let info: ServerInfo = client.get("/v1/info")?;
        if info.network != self.network.to_string() {
            return Err(ClientError::invalid(format!(
                "the server is on {}, this wallet on {}",
                info.network, self.network
            )));
        }
        // Payments are sold into the channels S funds: a server whose budget we would refuse
        // at every sale is refused now, before anything is signed.
        if funder == Party::Server {
            self.check_server_budget(
                info.policy.confirmation_budget,
                "opening an inbound channel",
            )?;
            self.check_server_depth(info.policy.minimum_depth, "opening an inbound channel")?;
        }
        let key_index = self.next_key_index()?;
        let opened_height;
        // Keys bound to a fresh id: a restored wallet reuses key indices, never keys.
        let channel_id = ChannelId(random32()?);
        let mut keys = self
            .keys
            .channel(key_index)
            .bound_to(&channel_id.0)
            .party_keys();
        // Whatever the channel pays us when it ends (settlement, cooperative close, PTLC
        // claims) goes to a change address of our own wallet, revealed and written now,
        // before the key leaves: `wallet balance` shows it, a restore from the seed finds it.
        // The index advances only past an address a funded channel holds: opens S refuses
        // or that are never funded reuse it (docs/derivation.md).
        {
            let held: Vec<bitcoin::key::XOnlyPublicKey> = self
                .all()?
                .iter()
                .filter(|c| c.channel.funding_outpoint().is_some())
                .map(|c| c.channel.params().client.settlement)
                .collect();
            let (mut wallet, state) = self.onchain()?;
            let payout = wallet.reveal_channel_payout(|k| held.contains(k))?;
            opened_height = wallet.synced_tip().0;
            self.save_onchain(&mut wallet, state)?;
            keys.settlement = payout.internal_key;
        }
        let open = OpenChannel {
            channel_id,
            client_keys: WireKeys::from(&keys),
            capacity_sat: amount.to_sat(),
            funder,
            push_sat: 0,
            shared_delay: None,
        };
        let accept = match send(&client, Message::OpenChannel(open.clone()))?.pop() {
            Some(Message::AcceptChannel(a)) => a,
            _ => return Err(ClientError::failed("the server did not accept the channel")),
        };
        let channel = Channel::on_accept_channel(&open, &accept).map_err(refused)?;
        // What S published at `/v1/info` binds it to nothing: its answer counts.
        if funder == Party::Server {
            self.check_server_depth(accept.minimum_depth, "opening an inbound channel")?;
        }
        // S chose the delay: within it, an old state S publishes must be answered, and a
        // force close of ours waits that long for our money.
        if !(MIN_ACCEPTED_SHARED_DELAY..=MAX_ACCEPTED_SHARED_DELAY).contains(&accept.shared_delay) {
            return Err(ClientError::failed(format!(
                "the server set a shared_delay of {} blocks for this channel, outside the \
                 {MIN_ACCEPTED_SHARED_DELAY} to {MAX_ACCEPTED_SHARED_DELAY} blocks this wallet \
                 accepts: shorter, an old state the server publishes could win while we are \
                 offline for a few blocks; longer, a force close would lock our money for \
                 weeks",
                accept.shared_delay
            ))
            .hint("use another server; nothing was signed or funded"));
        }
        self.check_delay_above_budget(accept.shared_delay, info.policy.confirmation_budget)
            .map_err(|e| e.hint("use another server; nothing was signed or funded"))?;
        let mut ch = ClientChannel {
            server_url: url.to_owned(),
            server: info.node_id,
            key_index,
            channel,
            opened_height: Some(opened_height),
            keys_bound: true,
            cooperative_close: None,
        };
        self.save(&ch)?;
        let mut named_funding = false;
        match self.sign_and_fund(
            &client,
            &mut ch,
            amount,
            fee_rate,
            source,
            &mut named_funding,
        ) {
            Ok(()) => Ok(ch),
            Err(e) => Err(self.failed_open(&client, ch.channel.id(), named_funding, e)),
        }
    }

    /// The rest of an open once S accepted it and the channel is written: state 0 signed by
    /// both sides, then the funding (ours published, or S's checked). `named_funding` is
    /// set once S has told us it published its funding.
    fn sign_and_fund(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
        amount: Amount,
        fee_rate: bitcoin::FeeRate,
        source: &dyn ChainSource,
        named_funding: &mut bool,
    ) -> ClientResult<()> {
        self.note("state 0 signed by both sides before any funding is published");
        let initial = ch.channel.initial_state();
        let replies = self.update(client, ch, initial)?;
        match ch.channel.funder() {
            Party::Server => {
                let funded = replies.into_iter().find_map(|m| match m {
                    Message::FundingPublished(f) => Some(f),
                    _ => None,
                });
                let funded = funded
                    .ok_or_else(|| ClientError::failed("the server did not fund the channel"))?;
                *named_funding = true;
                check_server_funding(&ch.channel, &funded, source)?;
                ch.channel = ch.channel.on_funding_published(&funded).map_err(refused)?;
                self.save(ch)?;
            }
            Party::Client => {
                let script = ch.channel.params().funding_output().map_err(refused)?;
                let address = Address::from_script(&script.script_pubkey, self.network)
                    .map_err(|e| ClientError::failed(e.to_string()))?;
                let (mut wallet, state) = self.onchain()?;
                let tx = wallet.send(address.as_unchecked(), amount, fee_rate)?;
                let vout = tx
                    .output
                    .iter()
                    .position(|o| *o == script)
                    .expect("the wallet pays the funding output");
                let outpoint = OutPoint::new(tx.compute_txid(), vout as u32);
                let (c, published) = ch.channel.funding_published(outpoint).map_err(refused)?;
                ch.channel = c;
                // In the wallet before it leaves, as S does with its fundings: one the node
                // loses or refuses is published again from there (`publish_funding_again`).
                wallet.record_before_publishing(&tx);
                self.save_onchain(&mut wallet, state)?;
                // The funding outpoint is written before the transaction may leave: from
                // here on a failed open never hides the channel (see `failed_open`).
                self.save(ch)?;
                source.broadcast(&tx)?;
                send(client, Message::FundingPublished(published))?;
            }
        }
        Ok(())
    }

    /// Cleans up after an open that failed (`e`) once the channel `id` was written, so that
    /// no ghost stays in `channel list`, without ever losing a channel that may hold money:
    ///
    /// - a funding may be on chain (ours was written before it was published, or S named
    ///   one): the channel is kept as it is, to be watched and closed like any other;
    /// - nothing was signed with the channel's key (S refused or vanished before our
    ///   partial signature was made): the record is removed, and its key index may serve
    ///   again (no signature under that key exists);
    /// - state 0 was signed but no funding can exist (ours was never built; S says it has
    ///   none): the channel is marked closed, kept so that its key index is never used
    ///   again, and hidden from `channel list` (see [`ClientChannel::abandoned`]).
    ///
    /// Returns `e`, with a hint when the channel is kept.
    fn failed_open(
        &self,
        client: &Client,
        id: ChannelId,
        named_funding: bool,
        e: ClientError,
    ) -> ClientError {
        let key = id.to_string();
        // What was written is what counts (not what this run held in memory).
        let Ok(Some(mut saved)) = self.store.load_keyed::<ClientChannel>(&key) else {
            return e;
        };
        let keep = |e: ClientError| {
            if e.hint.is_some() {
                return e;
            }
            e.hint(format!(
                "the channel is kept, its funding may be on chain: `asyncpay channel show {id}`"
            ))
        };
        if saved.channel.funding_outpoint().is_some() || named_funding {
            return keep(e);
        }
        let signed = saved.channel.latest().is_some()
            || saved
                .channel
                .pending()
                .is_some_and(|u| u.local_partial().is_some());
        if !signed {
            return match self.store.remove_keyed::<ClientChannel>(&key) {
                Ok(_) => {
                    self.note(&format!(
                        "nothing was signed for channel {id}: its record is removed"
                    ));
                    e
                }
                Err(_) => e,
            };
        }
        let unfunded = match saved.channel.funder() {
            // Our funding is built only after state 0 and written before it is published.
            Party::Client => true,
            // S funds only as it countersigns state 0; it says whether it did.
            Party::Server => client
                .get::<Vec<ChannelSummary>>("/v1/channels")
                .is_ok_and(|all| {
                    !all.iter()
                        .any(|c| c.channel_id == id && c.funding_outpoint.is_some())
                }),
        };
        if !unfunded {
            return keep(e);
        }
        saved.channel = saved.channel.closed();
        if self.save(&saved).is_ok() {
            self.note(&format!(
                "channel {id} was never funded: marked closed (shown by `asyncpay channel list --all`)"
            ));
        }
        e
    }

    /// Every channel of this wallet.
    pub fn channels(&self) -> ClientResult<Vec<ClientChannel>> {
        self.all()
    }

    /// A watch pass over one channel (publishing what it calls for): what the chain says of
    /// it, or `None` before it has a funding outpoint.
    pub fn look_at(&self, ch: &mut ClientChannel) -> ClientResult<Option<WatchOutcome>> {
        self.check_channels_allowed()?;
        match ch.channel.funding_outpoint() {
            Some(_) => Ok(Some(self.watch(ch, self.chain()?, false)?)),
            None => Ok(None),
        }
    }

    /// [`Engine::look_at`] of one of the channels a command goes through (to list them, to
    /// pick one): a channel already closing whose look fails (its close cannot be published
    /// yet: no coins for its fee, say) does not stop the command. That failure is noted
    /// and is the inner `Err`, to show for the channel; any other failure stops the command
    /// as in [`Engine::look_at`].
    pub fn look_among(
        &self,
        ch: &mut ClientChannel,
    ) -> ClientResult<Result<Option<WatchOutcome>, String>> {
        let closing = ch.channel.status() == ChannelStatus::Closing;
        match self.look_at(ch) {
            Err(e) if closing => {
                let why = format!("its close could not be published: {}", e.message);
                self.note(&format!("channel {}: {why}", ch.channel.id()));
                Ok(Err(why))
            }
            looked => looked.map(Ok),
        }
    }

    /// A watch pass over every channel with a funding that is not closed, each publishing
    /// what it calls for: the payment commands a wallet runs routinely (`receive`, `sync`)
    /// keep watch this way, first (before anything that may fail: a server that does not
    /// answer must not keep them from it), not only `channel list`. An old state the
    /// server publishes is answered by the next of them within the channel's delay. What
    /// fails is a warning (also noted), not the command's failure; its next run tries again.
    pub(crate) fn watch_live_channels(&self) -> Vec<String> {
        let failed = |what: String, why: &str| {
            let warning = format!(
                "{what}: watching on chain failed ({why}); the next command that watches \
                 tries again"
            );
            self.note(&warning);
            warning
        };
        // Each record on its own: one that cannot be read keeps no other from the watch.
        let keys = match self.store.keys_of::<ClientChannel>() {
            Ok(keys) => keys,
            Err(e) => return vec![failed("the channels".to_owned(), &e.to_string())],
        };
        let mut warnings = Vec::new();
        for key in keys {
            let mut ch = match self.store.load_keyed::<ClientChannel>(&key) {
                Ok(Some(ch)) => ch,
                Ok(None) => continue,
                Err(e) => {
                    warnings.push(failed(format!("channel record {key}"), &e.to_string()));
                    continue;
                }
            };
            if ch.channel.funding_outpoint().is_none()
                || ch.channel.status() == ChannelStatus::Closed
            {
                continue;
            }
            let id = ch.channel.id();
            match self.look_among(&mut ch) {
                Ok(Ok(_)) => {}
                // Noted by `look_among` already.
                Ok(Err(why)) => warnings.push(format!("channel {id}: {why}")),
                Err(e) => warnings.push(failed(format!("channel {id}"), &e.message)),
            }
        }
        warnings
    }

    /// Pays `amount` to the server in the channel `id` (a synchronous update).
    pub fn push(&self, id: &str, amount: Amount) -> ClientResult<ClientChannel> {
        self.check_channels_allowed()?;
        let source = self.chain()?;
        let mut ch = self.channel(id)?;
        self.watch(&mut ch, source, false)?;
        let client = self.channel_client(&ch)?;
        // An update a crash interrupted is finished first: the new one builds on it.
        self.recover(&client, &mut ch)?;
        let latest = ch
            .channel
            .latest()
            .ok_or_else(|| ClientError::failed("the channel has no signed state yet"))?
            .state
            .clone();
        let next = latest
            .pay(Party::Client, amount)
            .map_err(|e| ClientError::failed(e.to_string()))?;
        self.update(&client, &mut ch, next)?;
        Ok(ch)
    }

    /// Closes the channel `id` as `how` says.
    pub fn close(&self, id: &str, how: ChannelClose) -> ClientResult<ClientChannel> {
        self.check_channels_allowed()?;
        let source = self.chain()?;
        let mut ch = self.channel(id)?;
        if ch.channel.funding_outpoint().is_none() {
            // Never funded: nothing on chain to close; the channel is abandoned.
            ch.channel = ch.channel.closed();
            self.save(&ch)?;
            self.note("the channel was never funded: nothing to close on chain; marked closed");
        } else {
            match how {
                ChannelClose::Force { no_wait } => self.force_close(&mut ch, source, no_wait)?,
                ChannelClose::Cooperative { .. }
                    if ch.channel.pending().is_some() && self.pending_payment(&ch)?.is_some() =>
                {
                    return Err(self.payment_pending_error(&ch, "cooperative close"));
                }
                ChannelClose::Cooperative { fee } => {
                    self.cooperative_close(&mut ch, fee, source)?
                }
            }
        }
        Ok(ch)
    }

    /// Watches one channel's chain activity (confirmations, rebinding, settlement) and
    /// publishes what it calls for. A channel we are closing whose funding output is
    /// unspent is force-closed (again): its close was written but never reached the chain
    /// (the command died, or its disk failed, between the two; or the close left the
    /// mempool), and nothing else would ever publish it, while a PTLC in it may be running
    /// out of time with S holding its scalar.
    pub(crate) fn watch(
        &self,
        ch: &mut ClientChannel,
        source: &dyn ChainSource,
        force: bool,
    ) -> ClientResult<WatchOutcome> {
        let closing = ch.channel.status() == ChannelStatus::Closing;
        if let Some(close) = ch.cooperative_close.as_ref().filter(|_| closing) {
            // Out already (refused), or lost by the node: published again before the look,
            // which would force-close a channel whose funding it finds unspent.
            crate::chain::source::publish_close_again(source, close, ch.channel.params().capacity);
        }
        let (outcome, next) = crate::server::watch_pass(
            &ch.channel,
            ch.opened_height,
            source,
            force || closing,
            self.store,
            &mut Vec::new(),
        )
        .map_err(ClientError::failed)?;
        // The peer completed and published the state we signed last: it is our latest now
        // (saved below), and a second look answers as for any latest update.
        let adopted = next.is_some()
            && matches!(
                outcome,
                WatchOutcome::Alert(Alert::PublishedNewer {
                    signature: Some(_),
                    ..
                })
            );
        let saved = match next {
            Some(next) => {
                ch.channel = next;
                self.save(ch)
            }
            None => Ok(()),
        };
        // What we publish is our latest update, its settlement or a claim: safe whatever we
        // could write, and a close must not wait for a disk that fails.
        if let Some(b) = outcome.broadcast() {
            super::payments::crash_point("watch-written");
            self.publish_broadcast(source, b)?;
        }
        saved?;
        if adopted {
            self.note(&format!("channel {}: {outcome}", ch.channel.id()));
            return self.watch(ch, source, force);
        }
        if let Some(own) = outcome.unconfirmed_own(&ch.channel) {
            self.bump_fee_children(source, &[own])?;
        }
        // Our own funding that the node has neither in a block nor in its mempool (it
        // restarted without its mempool, or evicted it): nothing else would ever publish
        // it again.
        let lost = matches!(outcome, WatchOutcome::AwaitingFunding { seen: false, .. })
            && ch.channel.status() == ChannelStatus::AwaitingFunding;
        if lost && ch.channel.funder() == Party::Client {
            self.publish_funding_again(source, ch)?;
        }
        self.save_spend_index();
        Ok(outcome)
    }

    /// Publishes our funding of `ch` again ([`crate::wallet::OnchainWallet::publish_lost`])
    /// if our wallet no longer sees it, no other transaction of this wallet spends its
    /// coins (not even one lost as well: the funding must not take the coins of a payment
    /// the user made with them), the node has caught up with its network (all its blocks,
    /// its mempool loaded), and S still holds the channel: S forgets a channel whose
    /// funding it has not seen confirmed some blocks after its open, and coins that
    /// confirmed in it then would wait for a force close. What happened, or why not, is a
    /// note. Once a transaction spending its coins is [`FUNDING_SPENT_DEEP`] blocks deep,
    /// the funding can never confirm, and the channel is closed (its coins were never in
    /// it: nothing to close on chain).
    fn publish_funding_again(
        &self,
        source: &dyn ChainSource,
        ch: &mut ClientChannel,
    ) -> ClientResult<()> {
        let id = ch.channel.id();
        let Some(output) = ch.channel.funding_outpoint() else {
            return Ok(());
        };
        let txid = output.txid;
        let not_again = |why: &str| -> ClientResult<()> {
            self.note(&format!(
                "channel {id}: its funding {txid} is neither in a block nor in the node's \
                 mempool, {why}: not published again"
            ));
            Ok(())
        };
        let (mut wallet, state) = match self.onchain() {
            Ok(pair) => pair,
            Err(e) => return not_again(&e.message),
        };
        if wallet.holds(txid) {
            return Ok(());
        }
        match wallet.spent_elsewhere(txid) {
            Some((other, depth)) if depth >= FUNDING_SPENT_DEEP => {
                ch.channel = ch.channel.closed();
                self.save(ch)?;
                self.note(&format!(
                    "channel {id}: its funding {txid} can never confirm ({other} of this \
                     wallet spent its coins, {depth} blocks deep): the channel is closed"
                ));
                return Ok(());
            }
            Some((other, _)) => {
                return not_again(&format!(
                    "and {other} of this wallet spends its coins (the channel is closed once \
                     that is {FUNDING_SPENT_DEEP} blocks deep)"
                ));
            }
            None => {}
        }
        // A transaction of ours it spends that the node lost as well (a payment, another
        // funding): publishing it again could pay twice (the user may have paid again).
        if let Some(parent) = wallet.lost_parent(txid) {
            return not_again(&format!(
                "and {parent} of this wallet, whose coins it spends, left the node's mempool \
                 too (publishing that again could pay twice)"
            ));
        }
        let Some(opened) = ch.opened_height else {
            return not_again("and the channel's record does not say when it was opened");
        };
        let tip = match source.caught_up_tip() {
            Ok(Some(tip)) => tip,
            Ok(None) => return Ok(()), // the node catches up: the next command sees more
            Err(e) => return not_again(&e.to_string()),
        };
        // Time left for it to reach the minimum depth before S would forget the channel.
        let within = S_FORGETS_UNFUNDED_AFTER
            .saturating_sub(ch.channel.minimum_depth())
            .saturating_sub(REPUBLISHED_FUNDING_MARGIN);
        if tip >= opened.saturating_add(within) {
            return not_again(&format!(
                "{within} blocks or more after the open (S forgets a channel never funded \
                 {S_FORGETS_UNFUNDED_AFTER} blocks after its open); its coins are back in \
                 the wallet: spending them ends the channel"
            ));
        }
        match wallet.publish_lost(source, output, FUNDING_SPENT_DEEP, false) {
            Ok(OwnTx::Going(Some(line))) => self.note(&format!("channel {id}: funding {line}")),
            Ok(_) => {}
            Err(e) => not_again(&format!("and publishing it failed: {e}"))?,
        }
        if let Err(e) = self.save_onchain(&mut wallet, state) {
            self.note(&format!("channel {id}: {}", e.message));
        }
        Ok(())
    }

    /// Pays (more) for `parents`, channel transactions of ours waiting in the mempool, and
    /// for those our fee children pay for, where a block went by without them
    /// ([`OnchainWallet::bump_fee_children`]).
    pub(crate) fn bump_fee_children(
        &self,
        source: &dyn ChainSource,
        parents: &[(bitcoin::Txid, bitcoin::OutPoint)],
    ) -> ClientResult<()> {
        let (mut wallet, state) = self.onchain()?;
        for line in wallet.bump_fee_children(source, parents) {
            self.note(line.as_ref().unwrap_or_else(|e| e));
        }
        self.save_onchain(&mut wallet, state)
    }

    /// [`Engine::bump_fee_children`] for `parent`, our claim of a PTLC worth `stake` waiting
    /// in the mempool: its fee child never costs the stake or more
    /// ([`crate::wallet::OnchainWallet::bump_claim_child`]).
    pub(crate) fn bump_claim_child(
        &self,
        source: &dyn ChainSource,
        parent: bitcoin::Txid,
        spends: bitcoin::OutPoint,
        stake: Amount,
    ) -> ClientResult<()> {
        let (mut wallet, state) = self.onchain()?;
        match wallet.bump_claim_child(source, parent, spends, stake) {
            Ok(Some(line)) => self.note(&line),
            Ok(None) => {}
            Err(e) => self.note(&format!("paying more for our claim {parent} failed: {e}")),
        }
        self.save_onchain(&mut wallet, state)
    }

    /// A warning when the wallet's confirmed coins fall short
    /// of the fee reserve its live channels need ([`crate::wallet::fee_reserve`]): every
    /// force close and on-chain claim is paid by a child from them, and without them a
    /// channel cannot be enforced (a payee whose inbound channel S funded starts with none).
    pub(crate) fn fee_reserve_warning(&self) -> ClientResult<Option<String>> {
        let source = self.chain()?;
        let live = self.all()?.iter().filter(|c| c.channel.is_live()).count();
        if live == 0 {
            return Ok(None);
        }
        let confirmed = self.confirmed_balance()?;
        let needed = crate::wallet::fee_reserve(live, source.fee_rate());
        Ok((confirmed < needed).then(|| {
            format!(
                "this wallet has {} of confirmed coins; its {live} channel(s) need at least {} \
                 at today's fee rate to pay for a force close and an on-chain claim on this \
                 node: receive some (`asyncpay wallet address`)",
                crate::units::sat(confirmed.to_sat()),
                crate::units::sat(needed.to_sat())
            )
        }))
    }

    /// Publishes what a watch pass calls for; a rebinding the node refuses over an update
    /// waiting unconfirmed on the funding output is replaced by our latest update on the
    /// funding output, with a child outbidding the old one ([`Broadcast::replacement`]).
    fn publish_broadcast(
        &self,
        source: &dyn ChainSource,
        b: &crate::watch::Broadcast,
    ) -> ClientResult<()> {
        let rebound = self.publish_channel_tx(source, &b.tx);
        let (Err(refused), Some(replacement)) = (&rebound, &b.replacement) else {
            return rebound;
        };
        let replaced = b.tx.input[0].previous_output.txid;
        let (mut wallet, state) = self.onchain()?;
        let published = wallet.publish_replacing(source, replacement, &replaced);
        self.save_onchain(&mut wallet, state)?;
        published.map(drop).map_err(|e| {
            ClientError::failed(format!(
                "{}; replacing the old update {replaced} failed too: {e}",
                refused.message
            ))
        })
    }

    /// Publishes one of the channel's zero-fee transactions (an update, a settlement or a
    /// PTLC claim): alone where the chain takes it so, else with a child from the on-chain
    /// wallet that pays for it through its anchor (a node with default relay policy).
    pub(crate) fn publish_channel_tx(
        &self,
        source: &dyn ChainSource,
        tx: &bitcoin::Transaction,
    ) -> ClientResult<()> {
        match source.broadcast(tx) {
            Err(alone) if alone.needs_fee_child(tx) => {
                let (mut wallet, state) = self.onchain()?;
                let published = wallet.publish_with_child(source, tx);
                self.save_onchain(&mut wallet, state)?;
                published.map(drop).map_err(|e| {
                    ClientError::failed(format!(
                        "{alone}; paying its fee through its anchor failed: {e}"
                    ))
                    .hint("the fee comes from this wallet's confirmed coins: receive some (`asyncpay wallet address`), then run the command again")
                })
            }
            published => published.map(drop).map_err(ClientError::from),
        }
    }

    /// Publishes `tx`, our claim of a PTLC worth `stake`, with a fee child, in place of
    /// `replaced` (S's timeout claim of it) waiting in the mempool
    /// ([`crate::wallet::OnchainWallet::publish_outbidding`]).
    pub(crate) fn publish_outbidding(
        &self,
        source: &dyn ChainSource,
        tx: &bitcoin::Transaction,
        replaced: &bitcoin::Txid,
        stake: Amount,
    ) -> ClientResult<()> {
        let (mut wallet, state) = self.onchain()?;
        let published = wallet.publish_outbidding(source, tx, replaced, stake);
        self.save_onchain(&mut wallet, state)?;
        published.map(drop).map_err(|e| {
            ClientError::failed(format!(
                "our claim could not replace S's timeout claim {replaced}: {e}"
            ))
        })
    }
}

/// S's word for the funding of a channel it funds is checked against the chain: the
/// output must exist (S published it before answering) and pay this channel's funding
/// script with its capacity. (The watcher also counts confirmations only for such an
/// output, so a lie S tells later never opens it.)
fn check_server_funding(
    channel: &Channel,
    funded: &crate::protocol::FundingPublished,
    source: &dyn ChainSource,
) -> ClientResult<()> {
    let outpoint = funded
        .outpoint()
        .map_err(|e| ClientError::failed(format!("the server named an invalid funding: {e}")))?;
    let tx = source
        .find_tx(&outpoint)
        .map_err(|e| ClientError::failed(e.to_string()))?;
    let lie = |what: String| {
        ClientError::failed(format!(
            "the server's funding of channel {} is not real: {what}",
            channel.id()
        ))
        .hint("do not use this server: nothing of yours is in this channel; `asyncpay channel close ID` forgets it")
    };
    let tx = tx.ok_or_else(|| {
        lie(format!(
            "transaction {} is neither on chain nor in the mempool",
            outpoint.txid
        ))
    })?;
    channel
        .check_funding_output(&tx, outpoint)
        .map_err(|e| lie(e.to_string()))
}

/// The shortest `shared_delay` a client accepts from S for a channel: six blocks (about an
/// hour) to notice and answer an old state.
pub const MIN_ACCEPTED_SHARED_DELAY: u16 = 6;
/// The longest `shared_delay` a client accepts from S: two weeks of blocks, the longest
/// S's own policy offers by default.
pub const MAX_ACCEPTED_SHARED_DELAY: u16 = 2016;

impl Engine<'_> {
    fn cooperative_close(
        &self,
        ch: &mut ClientChannel,
        fee: Amount,
        source: &dyn ChainSource,
    ) -> ClientResult<()> {
        let client = self.channel_client(ch)?;
        let close = ch
            .channel
            .cooperative_close(fee, Party::Client)
            .map_err(refused)?;
        let key = CooperativeClose::signing_key(ch.channel.params()).map_err(refused)?;
        let msg = close.sighash().map_err(refused)?;
        let secrets = self.secrets(ch);
        let nonce = SecretNonce::generate(random32()?, secrets.funding_scalar(), &key, Some(&msg));
        let public = nonce.public_nonce();
        let hex = crate::protocol::hex::encode;
        let accept: CloseAccept = client.post(
            "/v1/channels/close/request",
            &CloseRequest {
                channel_id: ch.channel.id(),
                fee_sat: fee.to_sat(),
                nonce: hex(&public.to_bytes()),
            },
        )?;
        let server_nonce = crate::protocol::hex::decode::<66>(&accept.nonce)
            .ok()
            .and_then(|b| PublicNonce::from_bytes(&b).ok())
            .ok_or_else(|| ClientError::failed("the server sent an invalid nonce"))?;
        let params = ch.channel.params();
        let session = SigningSession::new(
            &key,
            [
                (params.client.funding, public.clone()),
                (params.server.funding, server_nonce),
            ],
            msg,
        )
        .map_err(refused)?;
        let partial: PartialSignature = session
            .sign(secrets.funding_scalar(), nonce)
            .map_err(refused)?;
        // Once our partial leaves, S can complete this close whenever it likes: it pays
        // today's balances, so the channel must carry no new state from here on. Written as
        // closing before it leaves; should S not complete it, our latest update goes out
        // instead (the same balances).
        ch.channel = ch.channel.closing().map_err(refused)?;
        self.save(ch)?;
        let closed = client
            .post::<_, CloseDone>(
                "/v1/channels/close/sign",
                &CloseSign {
                    channel_id: ch.channel.id(),
                    fee_sat: fee.to_sat(),
                    nonce: hex(&public.to_bytes()),
                    server_nonce: accept.nonce.clone(),
                    partial_signature: hex(&partial.to_bytes()),
                },
            )
            .map_err(ClientError::from)
            .and_then(|done| {
                let tx: bitcoin::Transaction =
                    bitcoin::consensus::encode::deserialize_hex(&done.tx_hex).map_err(|e| {
                        ClientError::failed(format!(
                            "the server sent an invalid close transaction: {e}"
                        ))
                    })?;
                if tx.compute_txid() != done.txid {
                    return Err(ClientError::failed(
                        "the server's close transaction does not match its txid",
                    ));
                }
                // The close we signed, with the 2-of-2 signature of it: nothing else is kept
                // and published again.
                let signature = tx
                    .input
                    .first()
                    .and_then(|i| i.witness.nth(0))
                    .and_then(|w| <[u8; 64]>::try_from(w).ok())
                    .filter(|s| tx == close.signed(s))
                    .filter(|s| crate::crypto::verify_bip340(key.point(), s, msg));
                if signature.is_none() {
                    return Err(ClientError::failed(
                        "the server's close transaction is not the close we signed",
                    ));
                }
                Ok(tx)
            });
        match closed {
            Ok(tx) => {
                // S published it; make sure the chain has it (idempotent), and keep it to
                // publish again should the node lose it.
                let _ = source.broadcast(&tx);
                ch.cooperative_close = Some(tx);
                if let Err(e) = self.save(ch) {
                    self.note(&format!(
                        "channel {}: the close is out, but keeping it failed ({}): should the \
                         node lose it, the channel is force-closed instead",
                        ch.channel.id(),
                        e.message
                    ));
                }
                Ok(())
            }
            // S did not complete the close with us, and may hold our signature of it.
            Err(e) => {
                let why = format!(
                    "{}; the server may hold our signature of the cooperative close, so channel \
                     {} carries no new payment",
                    e.message,
                    ch.channel.id()
                );
                Err(match self.watch(ch, source, true) {
                    Ok(outcome) => ClientError::new(
                        ClientErrorKind::Pending,
                        format!("{why} and is being force-closed ({outcome})"),
                    )
                    .hint("`asyncpay channel show ID` follows the close"),
                    Err(f) => ClientError::new(
                        f.kind,
                        format!("{why}; force-closing it failed: {}", f.message),
                    )
                    .hint(f.hint.unwrap_or_else(|| {
                        "the channel is closing: its next look (`asyncpay channel show ID`) \
                         publishes our latest update"
                            .to_owned()
                    })),
                })
            }
        }
    }

    fn force_close(
        &self,
        ch: &mut ClientChannel,
        source: &dyn ChainSource,
        no_wait: bool,
    ) -> ClientResult<()> {
        self.busy(Some("force closing"));
        loop {
            let outcome = self.watch(ch, source, true)?;
            self.busy(Some(&outcome.to_string()));
            self.note(&outcome.to_string());
            // Our update just went out: its settlement must wait shared_delay blocks whatever
            // the peer answers, so --no-wait stops here (not after a second, racy look).
            let update_published = matches!(
                &outcome,
                WatchOutcome::Broadcast(crate::watch::Broadcast {
                    kind: BroadcastKind::ForceClose { .. },
                    ..
                })
            );
            match outcome {
                WatchOutcome::Settled { .. } | WatchOutcome::ClosedCooperatively { .. } => break,
                WatchOutcome::Alert(a) => {
                    self.busy(None);
                    return Err(ClientError::failed(a.to_string()));
                }
                WatchOutcome::Broadcast(_) if !(update_published && no_wait) => continue,
                _ if no_wait => {
                    self.busy(None);
                    return Err(ClientError::new(ClientErrorKind::Pending, "the force close is still in progress")
                    .hint("run the same command again later; the settlement is published once shared_delay blocks have passed"));
                }
                _ => {
                    if self.pause(std::time::Duration::from_millis(500)) {
                        self.busy(None);
                        return Err(ClientError::new(
                            ClientErrorKind::Pending,
                            "stopped waiting (interrupted): the force close is still in progress",
                        )
                        .hint("run the same command again to go on; what was published stays published"));
                    }
                }
            }
        }
        self.busy(None);
        Ok(())
    }
}
