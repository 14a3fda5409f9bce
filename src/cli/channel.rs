//! `asyncpay channel …`: the client's side of channels with a server S. Every channel
//! transition is written (encrypted) before the message that depends on it is sent.

use std::str::FromStr;

use bitcoin::{Address, Amount, Network, OutPoint};
use serde::{Deserialize, Serialize};

use super::args::ChannelCommand;
use super::commands::{
    chain_error, connect, onchain, random32, save_wallet, unlocked, wallet_error, Unlocked,
};
use super::context::{store_error, Context};
use super::error::{CliError, CliResult, ExitKind};
use super::output::Render;
use crate::chain::source::ChainSource;
use crate::crypto::musig::{PartialSignature, PublicNonce, SecretNonce, SigningSession};
use crate::eltoo::{CooperativeClose, Party};
use crate::keys::NodeId;
use crate::net::client::Client;
use crate::net::NetError;
use crate::protocol::{Channel, ChannelId, Message, OpenChannel, WireKeys};
use crate::server::{
    summary, ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerInfo,
};
use crate::store::StateFile;
use crate::watch::WatchOutcome;

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
}

impl StateFile for ClientChannel {
    const FILE: &'static str = "channels";
    const KIND: &'static str = "asyncpay/client-channel";
    const VERSION: u32 = 1;
}

pub(super) fn net_error(e: NetError) -> CliError {
    let kind = if e.is_unreachable() {
        ExitKind::Unreachable
    } else {
        ExitKind::Failed
    };
    CliError::new(kind, e.to_string())
}

pub(super) fn refused(e: impl std::fmt::Display) -> CliError {
    CliError::failed(e.to_string())
}

/// Sends one channel message and decodes the replies.
pub(super) fn send(client: &Client, message: Message) -> CliResult<Vec<Message>> {
    let body: serde_json::Value =
        serde_json::from_slice(&message.encode()).expect("messages are JSON");
    let replies: Replies = client
        .post("/v1/channel-messages", &body)
        .map_err(net_error)?;
    replies
        .messages
        .iter()
        .map(|m| {
            let bytes = serde_json::to_vec(m).expect("JSON value");
            Message::decode(&bytes)
                .map_err(|e| CliError::failed(format!("the server sent an invalid message: {e}")))
        })
        .collect()
}

pub(super) struct Session<'a> {
    pub(super) w: Unlocked<'a>,
    pub(super) network: Network,
    server_ca: Option<std::path::PathBuf>,
}

/// The chain source and an unlocked session for channel work (not on mainnet).
pub(super) fn session(ctx: &mut Context) -> CliResult<(Box<dyn ChainSource>, Session<'_>)> {
    let network = ctx.network;
    if network == Network::Bitcoin {
        return Err(CliError::usage(
            "channels need BIP118 (ANYPREVOUT), which is not active on mainnet",
        )
        .hint("use --network regtest or signet (Bitcoin Inquisition)"));
    }
    let source = connect(ctx)?;
    let server_ca = ctx.global.server_ca.clone();
    let w = unlocked(ctx)?;
    Ok((
        source,
        Session {
            w,
            network,
            server_ca,
        },
    ))
}

impl Session<'_> {
    pub(super) fn client(&self, url: &str) -> CliResult<Client> {
        Client::new(url, self.w.keys.node_secret(), self.server_ca.clone()).map_err(net_error)
    }

    /// The client of a channel's server: every request is signed for the node id the
    /// channel was opened with (`ch.server`, never what the URL answers today), and a
    /// server at that URL showing another id at `GET /v1/info` is refused before anything
    /// is signed for it (`NetError::WrongServer`).
    pub(super) fn channel_client(&self, ch: &ClientChannel) -> CliResult<Client> {
        Ok(self.client(&ch.server_url)?.pinned_to(ch.server))
    }

    pub(super) fn save(&self, ch: &ClientChannel) -> CliResult<()> {
        self.w
            .store
            .save_keyed(&ch.channel.id().to_string(), ch)
            .map_err(store_error)
    }

    pub(super) fn load(&self, id: &str) -> CliResult<ClientChannel> {
        let id = ChannelId::from_str(id).map_err(|_| {
            CliError::usage(format!(
                "invalid channel id '{id}': expected 64 hex characters"
            ))
        })?;
        self.w
            .store
            .load_keyed(&id.to_string())
            .map_err(store_error)?
            .ok_or_else(|| {
                CliError::new(ExitKind::Failed, format!("no channel {id} in this wallet"))
                    .hint("list your channels with `asyncpay channel list`")
            })
    }

    pub(super) fn all(&self) -> CliResult<Vec<ClientChannel>> {
        let store = self.w.store;
        store
            .keys_of::<ClientChannel>()
            .map_err(store_error)?
            .iter()
            .map(|k| {
                store
                    .load_keyed::<ClientChannel>(k)
                    .map_err(store_error)?
                    .ok_or_else(|| {
                        CliError::new(ExitKind::Data, format!("channel file {k} vanished"))
                    })
            })
            .collect()
    }

    /// One full state update with S: propose, accept, sign, countersign (after
    /// [`Session::recover`] for a channel that may hold an interrupted update). Returns the replies
    /// that came with S's signature (e.g. S's funding of an inbound channel).
    pub(super) fn update(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
        next: crate::eltoo::ChannelState,
    ) -> CliResult<Vec<Message>> {
        self.agree(ch, next, |proposal| {
            match send(client, Message::UpdateProposal(proposal))?.pop() {
                Some(Message::UpdateAccept(a)) => Ok(a),
                _ => Err(CliError::failed("the server did not accept the update")),
            }
        })?;
        self.countersign(client, ch)
    }

    /// Proposes `next` (written first), has S accept it through `ask` and records S's
    /// nonce (written with what the caller does next).
    pub(super) fn agree(
        &self,
        ch: &mut ClientChannel,
        next: crate::eltoo::ChannelState,
        ask: impl FnOnce(crate::protocol::UpdateProposal) -> CliResult<crate::protocol::UpdateAccept>,
    ) -> CliResult<()> {
        let (c, proposal) = ch.channel.propose(next, random32()?).map_err(refused)?;
        ch.channel = c;
        self.save(ch)?;
        let accept = ask(proposal)?;
        ch.channel = ch.channel.on_accept(&accept).map_err(refused)?;
        Ok(())
    }

    /// Signs the agreed update (our nonce consumed in what is written before the partial
    /// leaves), sends our partial and completes with S's. Returns the replies that came
    /// with S's signature.
    pub(super) fn countersign(
        &self,
        client: &Client,
        ch: &mut ClientChannel,
    ) -> CliResult<Vec<Message>> {
        let secret = self.w.keys.channel(ch.key_index).funding_scalar();
        crate::server::record_nonce_use(&ch.channel);
        let (c, _) = ch.channel.sign(secret).map_err(refused)?;
        ch.channel = c;
        // Our nonce is consumed in what we write before our partial signature leaves.
        self.save(ch)?;
        let ours = ch.channel.update_signature().map_err(refused)?;
        let mut replies = send(client, Message::UpdateSignature(ours))?;
        let theirs = match replies.first() {
            Some(Message::UpdateSignature(s)) => s.clone(),
            _ => {
                return Err(CliError::failed(
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
    pub(super) fn recover(&self, client: &Client, ch: &mut ClientChannel) -> CliResult<()> {
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
            return Ok(());
        };
        if pending.withheld() {
            // An asynchronous payment: our partial is sold by the payee, never sent to S.
            return Err(CliError::failed(format!(
                "a payment is pending on channel {} (state {}); wait for it or cancel it",
                ch.channel.id(),
                pending.next().number
            ))
            .hint("see `asyncpay payments list`; `asyncpay payments cancel ID` returns the money while it is unsold"));
        }
        if pending.local_partial().is_none() {
            if let Some(id) = super::payments::payment_in_setup(self.w.store, ch.channel.id())? {
                return Err(CliError::failed(format!(
                    "payment {id} was interrupted while it was set up on channel {}",
                    ch.channel.id()
                ))
                .hint("run `asyncpay sync` to finish it (or `asyncpay payments cancel ID`)"));
            }
            ch.channel = ch.channel.cancel_pending().map_err(refused)?;
            return self.save(ch);
        }
        let ours = ch.channel.update_signature().map_err(refused)?;
        let replies = send(client, Message::UpdateSignature(ours))?;
        match replies.first() {
            Some(Message::UpdateSignature(theirs)) => {
                ch.channel = ch.channel.on_signature(theirs).map_err(refused)?;
                self.save(ch)
            }
            _ => Err(CliError::failed(
                "the server did not countersign the interrupted update",
            )),
        }
    }

    fn next_key_index(&self) -> CliResult<u32> {
        Ok(self
            .all()?
            .iter()
            .map(|c| c.key_index + 1)
            .max()
            .unwrap_or(0))
    }

    /// Opens a channel; `funder` is this wallet (client) or the server (inbound).
    fn open(
        &self,
        url: &str,
        amount: Amount,
        funder: Party,
        fee_rate: bitcoin::FeeRate,
        source: &dyn ChainSource,
        out: super::output::Output,
    ) -> CliResult<ChannelReport> {
        let client = self.client(url)?;
        let info: ServerInfo = client.get("/v1/info").map_err(net_error)?;
        if info.network != self.network.to_string() {
            return Err(CliError::usage(format!(
                "the server is on {}, this wallet on {}",
                info.network, self.network
            )));
        }
        let key_index = self.next_key_index()?;
        let mut keys = self.w.keys.channel(key_index).party_keys();
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
            let (mut wallet, state) = onchain(out, self.network, &self.w, source)?;
            let payout = wallet
                .reveal_channel_payout(|k| held.contains(k))
                .map_err(wallet_error)?;
            save_wallet(&self.w, &mut wallet, state)?;
            keys.settlement = payout.internal_key;
        }
        let open = OpenChannel {
            channel_id: ChannelId(random32()?),
            client_keys: WireKeys::from(&keys),
            capacity_sat: amount.to_sat(),
            funder,
            push_sat: 0,
            shared_delay: None,
        };
        let accept = match send(&client, Message::OpenChannel(open.clone()))?.pop() {
            Some(Message::AcceptChannel(a)) => a,
            _ => return Err(CliError::failed("the server did not accept the channel")),
        };
        let channel = Channel::on_accept_channel(&open, &accept).map_err(refused)?;
        let mut ch = ClientChannel {
            server_url: url.to_owned(),
            server: info.node_id,
            key_index,
            channel,
        };
        self.save(&ch)?;
        out.note("state 0 signed by both sides before any funding is published");
        let initial = ch.channel.initial_state();
        let replies = self.update(&client, &mut ch, initial)?;
        match funder {
            Party::Server => {
                let funded = replies.into_iter().find_map(|m| match m {
                    Message::FundingPublished(f) => Some(f),
                    _ => None,
                });
                let funded = funded
                    .ok_or_else(|| CliError::failed("the server did not fund the channel"))?;
                check_server_funding(&ch.channel, &funded, source)?;
                ch.channel = ch.channel.on_funding_published(&funded).map_err(refused)?;
                self.save(&ch)?;
            }
            Party::Client => {
                let script = ch.channel.params().funding_output().map_err(refused)?;
                let address = Address::from_script(&script.script_pubkey, self.network)
                    .map_err(|e| CliError::failed(e.to_string()))?;
                let (mut wallet, state) = onchain(out, self.network, &self.w, source)?;
                let tx = wallet
                    .send(address.as_unchecked(), amount, fee_rate)
                    .map_err(wallet_error)?;
                let vout = tx
                    .output
                    .iter()
                    .position(|o| *o == script)
                    .expect("the wallet pays the funding output");
                let outpoint = OutPoint::new(tx.compute_txid(), vout as u32);
                let (c, published) = ch.channel.funding_published(outpoint).map_err(refused)?;
                ch.channel = c;
                self.save(&ch)?;
                wallet.broadcast(source, &tx).map_err(wallet_error)?;
                save_wallet(&self.w, &mut wallet, state)?;
                send(&client, Message::FundingPublished(published))?;
            }
        }
        Ok(ChannelReport::of(&ch, self.network))
    }

    /// The report of a channel after a watch pass (when it has a funding outpoint).
    fn watched_report(
        &self,
        ch: &mut ClientChannel,
        source: &dyn ChainSource,
    ) -> CliResult<ChannelReport> {
        let chain = match ch.channel.funding_outpoint() {
            Some(_) => Some(describe(&self.watch(ch, source, false)?)),
            None => None,
        };
        let mut report = ChannelReport::of(ch, self.network);
        report.chain = chain;
        Ok(report)
    }

    /// Watches one channel's chain activity (confirmations, rebinding, settlement) and
    /// publishes what it calls for.
    pub(super) fn watch(
        &self,
        ch: &mut ClientChannel,
        source: &dyn ChainSource,
        force: bool,
    ) -> CliResult<WatchOutcome> {
        let (outcome, next) =
            crate::server::watch_pass(&ch.channel, source, force).map_err(CliError::failed)?;
        if let Some(next) = next {
            ch.channel = next;
            self.save(ch)?;
        }
        if let Some(b) = outcome.broadcast() {
            source.broadcast(&b.tx).map_err(|e| chain_error(&e))?;
        }
        Ok(outcome)
    }
}

/// S's word for the funding of a channel it funds is checked against the chain: the
/// output must exist (S published it before answering) and pay this channel's funding
/// script with its capacity. (The watcher also counts confirmations only for such an
/// output, so a lie S tells later, or on a chain we cannot look into, never opens it.)
fn check_server_funding(
    channel: &Channel,
    funded: &crate::protocol::FundingPublished,
    source: &dyn ChainSource,
) -> CliResult<()> {
    let outpoint = funded
        .outpoint()
        .map_err(|e| CliError::failed(format!("the server named an invalid funding: {e}")))?;
    let Some(ledger) = source.ledger() else {
        return Ok(());
    };
    let tx = ledger
        .tx(&outpoint.txid)
        .map(|t| t.map(|i| i.tx))
        .map_err(|e| CliError::failed(e.to_string()))?;
    let lie = |what: String| {
        CliError::failed(format!(
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

pub(super) fn describe(outcome: &WatchOutcome) -> String {
    match outcome {
        WatchOutcome::AwaitingFunding {
            confirmations,
            minimum_depth,
            ..
        } => {
            format!("funding has {confirmations} of {minimum_depth} confirmations")
        }
        WatchOutcome::Idle {
            funding_confirmations,
        } => {
            format!("open, funding has {funding_confirmations} confirmations")
        }
        WatchOutcome::Broadcast(b) => format!("published: {}", b.reason),
        WatchOutcome::WaitingForDelay {
            state, blocks_left, ..
        } => {
            format!("update {state} on chain; settlement in {blocks_left} block(s)")
        }
        WatchOutcome::ClosedCooperatively {
            txid,
            confirmations,
        } => {
            format!("closed cooperatively by {txid} ({confirmations} confirmations)")
        }
        WatchOutcome::Settled {
            txid,
            state,
            confirmations,
        } => {
            format!("settled state {state} in {txid} ({confirmations} confirmations)")
        }
        WatchOutcome::Alert(a) => format!("ALERT: {a}"),
    }
}

/// Runs a `channel` subcommand.
pub fn run(ctx: &mut Context, cmd: ChannelCommand) -> CliResult<()> {
    let out = ctx.out;
    let (source, s) = session(ctx)?;
    match cmd {
        ChannelCommand::Open {
            server_url,
            amount,
            fee_rate,
        } => {
            let report = s.open(
                &server_url,
                amount.0,
                Party::Client,
                fee_rate.0,
                source.as_ref(),
                out,
            )?;
            out.result(&report);
        }
        ChannelCommand::RequestInbound { server_url, amount } => {
            let report = s.open(
                &server_url,
                amount.0,
                Party::Server,
                bitcoin::FeeRate::BROADCAST_MIN,
                source.as_ref(),
                out,
            )?;
            out.result(&report);
        }
        ChannelCommand::List => {
            let reports = s
                .all()?
                .into_iter()
                .map(|mut ch| s.watched_report(&mut ch, source.as_ref()))
                .collect::<CliResult<_>>()?;
            out.result(&ChannelList(reports));
        }
        ChannelCommand::Show { id } => {
            let mut ch = s.load(&id)?;
            out.result(&s.watched_report(&mut ch, source.as_ref())?);
        }
        ChannelCommand::Push { id, amount } => {
            let mut ch = s.load(&id)?;
            s.watch(&mut ch, source.as_ref(), false)?;
            let client = s.channel_client(&ch)?;
            // An update a crash interrupted is finished first: the new one builds on it.
            s.recover(&client, &mut ch)?;
            let latest = ch
                .channel
                .latest()
                .ok_or_else(|| CliError::failed("the channel has no signed state yet"))?
                .state
                .clone();
            let next = latest
                .pay(Party::Client, amount.0)
                .map_err(|e| CliError::failed(e.to_string()))?;
            s.update(&client, &mut ch, next)?;
            out.result(&ChannelReport::of(&ch, s.network));
        }
        ChannelCommand::Close {
            id,
            force,
            no_wait,
            fee,
        } => {
            let mut ch = s.load(&id)?;
            if ch.channel.funding_outpoint().is_none() {
                // Never funded: nothing on chain to close; the channel is abandoned.
                ch.channel = ch.channel.closed();
                s.save(&ch)?;
                out.note("the channel was never funded: nothing to close on chain; marked closed");
            } else if force {
                force_close(&s, &mut ch, source.as_ref(), out, no_wait)?;
            } else {
                cooperative_close(&s, &mut ch, fee.0, source.as_ref())?;
            }
            out.result(&ChannelReport::of(&ch, s.network));
        }
    }
    Ok(())
}

fn cooperative_close(
    s: &Session<'_>,
    ch: &mut ClientChannel,
    fee: Amount,
    source: &dyn ChainSource,
) -> CliResult<()> {
    let client = s.channel_client(ch)?;
    let close = ch
        .channel
        .cooperative_close(fee, Party::Client)
        .map_err(refused)?;
    let key = CooperativeClose::signing_key(ch.channel.params()).map_err(refused)?;
    let msg = close.sighash().map_err(refused)?;
    let secrets = s.w.keys.channel(ch.key_index);
    let nonce = SecretNonce::generate(random32()?, secrets.funding_scalar(), &key, Some(&msg));
    let public = nonce.public_nonce();
    let hex = crate::protocol::hex::encode;
    let accept: CloseAccept = client
        .post(
            "/v1/channels/close/request",
            &CloseRequest {
                channel_id: ch.channel.id(),
                fee_sat: fee.to_sat(),
                nonce: hex(&public.to_bytes()),
            },
        )
        .map_err(net_error)?;
    let server_nonce = crate::protocol::hex::decode::<66>(&accept.nonce)
        .ok()
        .and_then(|b| PublicNonce::from_bytes(&b).ok())
        .ok_or_else(|| CliError::failed("the server sent an invalid nonce"))?;
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
    let done: CloseDone = client
        .post(
            "/v1/channels/close/sign",
            &CloseSign {
                channel_id: ch.channel.id(),
                fee_sat: fee.to_sat(),
                nonce: hex(&public.to_bytes()),
                server_nonce: accept.nonce.clone(),
                partial_signature: hex(&partial.to_bytes()),
            },
        )
        .map_err(net_error)?;
    ch.channel = ch.channel.closing().map_err(refused)?;
    s.save(ch)?;
    // S published it; make sure the chain has it (idempotent).
    let tx: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(&done.tx_hex)
        .map_err(|e| {
            CliError::failed(format!("the server sent an invalid close transaction: {e}"))
        })?;
    if tx.compute_txid() != done.txid {
        return Err(CliError::failed(
            "the server's close transaction does not match its txid",
        ));
    }
    let _ = source.broadcast(&tx);
    Ok(())
}

fn force_close(
    s: &Session<'_>,
    ch: &mut ClientChannel,
    source: &dyn ChainSource,
    out: super::output::Output,
    no_wait: bool,
) -> CliResult<()> {
    let spinner = out.spinner("force closing");
    loop {
        let outcome = s.watch(ch, source, true)?;
        spinner.set_message(describe(&outcome));
        out.note(&describe(&outcome));
        // Our update just went out: its settlement must wait shared_delay blocks whatever
        // the peer answers, so --no-wait stops here (not after a second, racy look).
        let update_published = matches!(
            &outcome,
            WatchOutcome::Broadcast(crate::watch::Broadcast {
                kind: crate::watch::BroadcastKind::ForceClose { .. },
                ..
            })
        );
        match outcome {
            WatchOutcome::Settled { .. } | WatchOutcome::ClosedCooperatively { .. } => break,
            WatchOutcome::Alert(a) => return Err(CliError::failed(a.to_string())),
            WatchOutcome::Broadcast(_) if !(update_published && no_wait) => continue,
            _ if no_wait => {
                spinner.finish_and_clear();
                return Err(CliError::new(ExitKind::Pending, "the force close is still in progress")
                    .hint("run the same command again later; the settlement is published once shared_delay blocks have passed"));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    }
    spinner.finish_and_clear();
    Ok(())
}
