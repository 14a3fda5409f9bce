//! `asyncpay pay | receive | claim | sync | payments …`: the asynchronous payment from the
//! clients' side (PROTOCOL.md §5). The payer A signs state `n+1` with S but withholds `s_A`,
//! which travels only inside the package sealed to B; B sells it to S for a PTLC and claims;
//! A later collects B's invoice, the scalar and S's partial signature.
//!
//! Every step is written (encrypted) before the message that depends on it; every command
//! first finishes what an interrupted run left (`resume_*`).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use bitcoin::Amount;
use serde::{Deserialize, Serialize};

use super::channels::ClientChannel;
use super::error::{refused, ClientError, ClientErrorKind, ClientResult};
use super::{random32, Engine};
use crate::chain::source::ChainSource;
use crate::crypto::adaptor::PreSignature;
use crate::eltoo::{Party, StateTransactions};
use crate::keys::NodeId;
use crate::net::NetError;
use crate::payment::sale::{
    claim_digest, claimed_state, offered_ptlc_expiry, payee_close_margin, payee_enforce_blocks,
    payment_state, ptlc_outputs, ptlc_spend, sale_ptlc, sale_state, server_fee,
    signed_success_claim, sold_ptlc, PtlcSpend, MAX_PAYMENT_EXPIRY_SECS,
};
use crate::payment::{Invoice, InvoiceFields, PaymentAddress, PaymentId, UpdatePackage};
use crate::protocol::hex;
use crate::protocol::{ChannelId, ChannelStatus, UpdateSignature};
use crate::server::mailbox::{FetchedItem, ItemMeta, Posted};
use crate::server::payments::{
    failed_state, CancelRequest, ClaimRequest, FailRequest, PaymentRequest, PaymentStatus,
    PaymentView, SaleAccepted, SaleRequest,
};
use crate::server::ServerInfo;
use crate::store::{StateFile, StoreError};
use crate::watch::WatchOutcome;

/// Which way a payment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// We pay (A).
    Outgoing,
    /// We are paid (B).
    Incoming,
}

/// Where a payment is, as this wallet sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalStatus {
    /// A asked S for the payment; `s_A` not made yet.
    Proposed,
    /// A signed state `n+1` and sent the package; B has not been paid yet.
    Pending,
    /// A asked S to cancel.
    Cancelling,
    /// B holds the package and has not sold it.
    Received,
    /// B's sale waits for S's operator.
    Queued,
    /// B sold: the PTLC is in the B–S state; not claimed yet.
    Sold,
    /// Done: A holds invoice, scalar and the full update signature; B has the amount.
    Paid,
    /// A cancelled before any sale; its balance is back. Incoming: S refused B's sale
    /// because the payer cancelled it or it expired first (`reason` says which).
    Cancelled,
    /// S refused B's sale for good (e.g. superseded by the payer, or terms that differ).
    Failed,
}

impl LocalStatus {
    /// Its name, as in JSON (`paid`, `sold`, …).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Paid, cancelled or failed: nothing more happens to the payment.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LocalStatus::Paid | LocalStatus::Cancelled | LocalStatus::Failed
        )
    }
}

/// The least confirmation budget `C` (blocks) a payee plans its on-chain claim with,
/// whatever S publishes (PROTOCOL.md §4.1).
const MIN_CONFIRMATION_BUDGET: u16 = 1;

/// How long the payee keeps retrying its claim, once `t` has left, for S to sign the
/// claimed state (S restarting, a reply lost) before it force-closes the channel.
const CLAIM_RETRY: Duration = Duration::from_secs(15);

/// One payment of this wallet (`payments/<id>.age`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientPayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// Which way.
    pub direction: Direction,
    /// Where it is.
    pub status: LocalStatus,
    /// Amount the payee receives, satoshis.
    pub amount_sat: u64,
    /// S's fee (paid by the payer), satoshis.
    pub fee_sat: u64,
    /// Unix time from which S no longer buys.
    pub expiry: u64,
    /// Unix time this wallet recorded the payment.
    pub created_at: u64,
    /// The payee (outgoing) or payer (incoming).
    pub counterparty: NodeId,
    /// The channel: A–S (outgoing), B–S (incoming, once selling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Outgoing: the payee's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Outgoing: our request to S (public data; resent after a crash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<PaymentRequest>,
    /// Outgoing: write the package to this file instead of the payee's mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_out: Option<PathBuf>,
    /// Outgoing: where the package went, once delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<String>,
    /// Incoming: the server whose mailbox delivered the package (the payment is sold
    /// there; unknown for a package given as a file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
    /// Incoming: the sealed package (hex; encrypted to our mailbox key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Incoming: S's adaptor pre-signature of our PTLC claim (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptor_signature: Option<String>,
    /// B's invoice: made by B (incoming), delivered by S (outgoing, once paid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// Why it failed or waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Incoming: unix time we first sent `t = s_A` to S with our claim (written before it
    /// leaves). From then on S may know `t`: if S does not sign the claimed state, we close
    /// the channel at once instead of waiting for the PTLC's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar_revealed_at: Option<u64>,
    /// Incoming: S's published confirmation budget `C` when it bought the payment (blocks;
    /// PROTOCOL.md §4.1). Kept so that an S that later publishes less cannot shrink the
    /// time we leave ourselves to claim on chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_budget: Option<u16>,
    /// Outgoing: the payment point `T_A = s_A·G` of our signed update (hex, compressed),
    /// written when the package is delivered. Once the channel has closed, S's scalar is
    /// checked against it: the pending update that held `s_A` is gone then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_point: Option<String>,
    /// Unix time this wallet saw the payment become final (paid, cancelled or failed);
    /// `None` while it is not, and for payments finished by an older asyncpay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

impl ClientPayment {
    /// The amount the payee receives.
    fn amount(&self) -> Amount {
        Amount::from_sat(self.amount_sat)
    }
}

impl StateFile for ClientPayment {
    const FILE: &'static str = "payments";
    const KIND: &'static str = "asyncpay/client-payment";
    const VERSION: u32 = 1;
}

/// The ids of the wallet's payments that are not final (record `open-payments`), kept in
/// the transaction of every payment save ([`save_payment`]): `pay`, `receive` and `sync`
/// decode those records alone instead of every payment the wallet ever made. It also counts
/// the payment records it accounts for: a payment written without it (by an older
/// asyncpay, say) makes the count differ, and the next look builds it again from every
/// record, as it does for a wallet that has none or one that cannot be read. A record that
/// cannot be read when it is built is kept in it (it may be an unfinished payment).
#[derive(Debug, Default, Serialize, Deserialize)]
struct OpenPayments {
    ids: std::collections::BTreeSet<PaymentId>,
    /// Payment records when this was written.
    records: usize,
}

impl StateFile for OpenPayments {
    const FILE: &'static str = "open-payments";
    const KIND: &'static str = "asyncpay/client-open-payments";
    const VERSION: u32 = 1;
}

/// Writes `p` in `tx`, and keeps the open payments with it (while they account for every
/// payment record; otherwise the next look builds them again). Every payment is written
/// here.
fn save_payment(tx: &mut crate::store::Txn<'_>, p: &ClientPayment) -> Result<(), StoreError> {
    let before = tx.keys_of::<ClientPayment>()?.len();
    tx.save_keyed(&p.payment_id.to_string(), p)?;
    let Ok(Some(mut open)) = tx.load::<OpenPayments>() else {
        return Ok(());
    };
    if open.records != before {
        return Ok(());
    }
    open.records = tx.keys_of::<ClientPayment>()?.len();
    if p.status.is_final() {
        open.ids.remove(&p.payment_id);
    } else {
        open.ids.insert(p.payment_id);
    }
    tx.save(&open)
}

/// What a failed look at `ch` before `doing` something means.
fn look_failed(ch: &ClientChannel, doing: &str, e: ClientError) -> ClientError {
    ClientError::failed(format!(
        "cannot look at channel {} on chain ({}): no {doing} on a view of the channel that may \
         be stale",
        ch.channel.id(),
        e.message
    ))
    .hint("check the chain source (--chain) and run the command again")
}

/// Test-only crash point: with `ASYNCPAY_TEST_CRASH_AT=name` the process exits at once
/// (status 137, as after SIGKILL) when it reaches `name`, everything before it written. The
/// adversary tests use it to stop a role between two steps of the protocol. A role run in
/// the test's own thread (the state-machine fuzzer of A, B and S) arms it with
/// [`crash_in_process_at`] instead: the command then unwinds from there with a [`TestCrash`]
/// panic (nothing more is written, as if the process had died), once.
pub(crate) fn crash_point(name: &str) {
    let armed = IN_PROCESS_CRASH.with(|c| {
        let mut c = c.borrow_mut();
        if c.as_deref() == Some(name) {
            c.take()
        } else {
            None
        }
    });
    if armed.is_some() {
        std::panic::panic_any(TestCrash(name.to_owned()));
    }
    if std::env::var_os("ASYNCPAY_TEST_CRASH_AT").is_some_and(|v| v == name) {
        std::process::exit(137);
    }
}

fn crashing_at(name: &str) -> bool {
    IN_PROCESS_CRASH.with(|c| c.borrow().as_deref() == Some(name))
        || std::env::var_os("ASYNCPAY_TEST_CRASH_AT").is_some_and(|v| v == name)
}

thread_local! {
    static IN_PROCESS_CRASH: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// The panic payload of an in-process crash point (see [`crash_in_process_at`]).
#[doc(hidden)]
#[derive(Debug)]
pub struct TestCrash(pub String);

/// Test-only: arms (or with `None` disarms) the crash point `name` on this thread (see
/// `crash_point`): `payment-proposed`, `payment-nonces-recorded`, `sale-answered`,
/// `sale-signed`, `sale-dropped`, `restore-accepted`, `fail-signed`, `cancel-agreed`,
/// `claim-proposed`, `claim-agreed`, `claim-countersigned`, `update-signed`,
/// `watch-written`. The first command to reach it unwinds with a [`TestCrash`] panic.
#[doc(hidden)]
pub fn crash_in_process_at(name: Option<&str>) {
    IN_PROCESS_CRASH.with(|c| *c.borrow_mut() = name.map(str::to_owned));
}

/// The fee S may charge a payment without `--max-fee`: 1 % of its amount (S's default is
/// 0.1 %).
pub const DEFAULT_MAX_FEE_PPM: u32 = 10_000;

/// How A pays ([`Engine::pay`]).
#[derive(Debug, Clone)]
pub struct PayOptions {
    /// How long the payee has to collect the payment.
    pub expiry: Duration,
    /// Write the package to this file instead of posting it to the payee's mailbox.
    pub package_out: Option<PathBuf>,
    /// The channel to pay through (an id or a unique prefix); by default one that can.
    pub channel: Option<String>,
    /// The most S's fee may be; by default [`DEFAULT_MAX_FEE_PPM`] of the amount.
    pub max_fee: Option<Amount>,
}

impl Default for PayOptions {
    fn default() -> Self {
        PayOptions {
            expiry: Duration::from_secs(24 * 3600),
            package_out: None,
            channel: None,
            max_fee: None,
        }
    }
}

/// Why a payee sells or claims nothing now: its chain source's tip may be old.
fn catching_up() -> ClientError {
    ClientError::failed(
        "the chain source is still catching up with its network (its tip may be old): no \
         payment is sold or claimed on its timing until it has",
    )
    .hint("try again once the node has caught up (`bitcoin-cli getblockchaininfo`)")
}

fn now() -> u64 {
    crate::net::server::system_clock()
}

fn api_message(e: &NetError) -> String {
    match e {
        NetError::Api { code, message, .. } => format!("{message} ({code})"),
        other => other.to_string(),
    }
}

/// Whether `ch`'s pending update is state `number` and we never signed it (so it can never
/// complete).
fn unsigned(ch: &ClientChannel, number: u32) -> bool {
    ch.channel
        .pending()
        .is_some_and(|u| u.next().number == number && u.local_partial().is_none())
}

/// What became of a cancel S was asked for.
enum Cancel {
    /// Cancelled: our balance is back.
    Done,
    /// S refused: the payee sold the payment (or is selling it, or it is paid). Nothing of
    /// ours changed; the payment is pending again.
    TooLate(ClientError),
}

fn api_code(e: &NetError) -> Option<&str> {
    match e {
        NetError::Api { code, .. } => Some(code.as_str()),
        _ => None,
    }
}

/// The server URL without a trailing slash, for comparing.
fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Drops `ch`'s pending update if we have not signed it, in memory (the caller writes the
/// channel); true if there was one.
fn cancel_unsigned(ch: &mut ClientChannel) -> ClientResult<bool> {
    if ch
        .channel
        .pending()
        .is_none_or(|u| u.local_partial().is_some())
    {
        return Ok(false);
    }
    ch.channel = ch.channel.cancel_pending().map_err(refused)?;
    Ok(true)
}

/// Writes `p` in a channel's transaction ([`Engine::save_with`], [`Engine::agree_with`],
/// [`Engine::countersign_with`]): a step that changes both commits once.
fn beside(
    p: &mut ClientPayment,
) -> impl FnOnce(&mut crate::store::Txn<'_>) -> Result<(), StoreError> + '_ {
    stamp_finished(p);
    let p = &*p;
    move |tx| save_payment(tx, p)
}

/// Records when a payment became final (once); forgets it if it is not final (a payment
/// taken back to where it truly is).
fn stamp_finished(p: &mut ClientPayment) {
    if !p.status.is_final() {
        p.finished_at = None;
    } else if p.finished_at.is_none() {
        p.finished_at = Some(now());
    }
}

/// The payment steps of an engine, with its chain source at hand.
struct Payments<'s, 'a> {
    s: &'s Engine<'a>,
    source: &'s dyn ChainSource,
    /// Packages this run checked and stored, by payment: the sale and the claim that
    /// follow in the same run take them instead of decrypting the stored copy again.
    opened: std::cell::RefCell<std::collections::HashMap<PaymentId, UpdatePackage>>,
}

impl Payments<'_, '_> {
    fn save(&self, p: &mut ClientPayment) -> ClientResult<()> {
        stamp_finished(p);
        self.s
            .store
            .transaction(|tx| save_payment(tx, p))
            .map_err(ClientError::from)
    }

    /// Saves a channel and a payment as one step: both or neither.
    fn commit(&self, ch: &ClientChannel, p: &mut ClientPayment) -> ClientResult<()> {
        self.s.save_with(ch, beside(p))
    }

    fn load(&self, id: &str) -> ClientResult<ClientPayment> {
        let id = self.s.resolve_payment_id(id)?;
        self.s.store.load_keyed(&id.to_string())?.ok_or_else(|| {
            ClientError::failed(format!("no payment {id} in this wallet"))
                .hint("list them with `asyncpay payments list`")
        })
    }

    fn all(&self) -> ClientResult<Vec<ClientPayment>> {
        let (all, problems) = load_all_reporting(self.s.store)?;
        for problem in problems {
            self.s.note(&problem);
        }
        Ok(all)
    }

    /// The payments not final yet (see [`OpenPayments`]), oldest first; a problem noted per
    /// record that cannot be read.
    fn open(&self) -> ClientResult<Vec<ClientPayment>> {
        let (open, problems) = load_open_reporting(self.s.store)?;
        for problem in problems {
            self.s.note(&problem);
        }
        Ok(open)
    }

    /// Drops the channel's pending update if we did not sign it (S refused or never saw it).
    fn drop_unsigned(&self, ch: &mut ClientChannel) -> ClientResult<()> {
        if cancel_unsigned(ch)? {
            self.s.save(ch)?;
        }
        Ok(())
    }

    fn channel(&self, id: Option<ChannelId>) -> ClientResult<ClientChannel> {
        let id = id.ok_or_else(|| ClientError::corrupt("the payment names no channel"))?;
        self.s.channel(&id.to_string())
    }

    // ----- A: pay -----

    fn pay(
        &self,
        address: &str,
        amount: Amount,
        options: PayOptions,
    ) -> ClientResult<ClientPayment> {
        let PayOptions {
            expiry,
            package_out,
            channel,
            max_fee,
        } = options;
        let addr = PaymentAddress::parse_for(address.trim(), self.s.network)
            .map_err(|e| ClientError::invalid(e.to_string()))?;
        let me = self.s.keys.node_id();
        if addr.node_id() == me {
            return Err(ClientError::invalid("this is your own payment address"));
        }
        if expiry.as_secs() > MAX_PAYMENT_EXPIRY_SECS {
            return Err(ClientError::invalid("--expiry is at most 30d"));
        }
        let mut ch = self.pick_payer_channel(&addr, amount, channel)?;
        let client = self.s.channel_client(&ch)?;
        self.s.recover(&client, &mut ch)?;
        let info: ServerInfo = client.get("/v1/info")?;
        if amount.to_sat() < info.policy.dust_limit_sat {
            return Err(ClientError::invalid(format!(
                "{} sat is below the dust limit of {} sat: a PTLC that small could not be \
                 enforced on chain",
                amount.to_sat(),
                info.policy.dust_limit_sat
            )));
        }
        // S names its fee; we pay no more than we agreed to.
        let fee = Amount::from_sat(server_fee(amount.to_sat(), info.policy.fee_ppm));
        let max_fee = max_fee.unwrap_or(Amount::from_sat(server_fee(
            amount.to_sat(),
            DEFAULT_MAX_FEE_PPM,
        )));
        if fee > max_fee {
            return Err(ClientError::failed(format!(
                "the server asks a fee of {} ({} ppm) for this payment, more than the {} this \
                 payment may cost",
                crate::units::sat(fee.to_sat()),
                info.policy.fee_ppm,
                crate::units::sat(max_fee.to_sat())
            ))
            .hint("pay with a higher --max-fee if you accept that fee"));
        }
        let latest = ch
            .channel
            .latest()
            .ok_or_else(|| ClientError::failed("the channel has no signed state yet"))?;
        let next = payment_state(&latest.state, ch.channel.next_number(), amount, fee)
            .map_err(|e| ClientError::failed(format!("cannot pay {amount} + fee {fee}: {e}")))?;
        let payment_id = PaymentId::random().map_err(|e| ClientError::failed(e.to_string()))?;
        let created_at = now();
        let (c, proposal) = ch.channel.propose(next, random32()?).map_err(refused)?;
        ch.channel = c;
        let request = PaymentRequest {
            payment_id,
            payee: addr.node_id(),
            amount_sat: amount.to_sat(),
            fee_sat: fee.to_sat(),
            expiry: created_at + expiry.as_secs(),
            proposal,
        };
        let mut p = ClientPayment {
            payment_id,
            direction: Direction::Outgoing,
            status: LocalStatus::Proposed,
            amount_sat: amount.to_sat(),
            fee_sat: fee.to_sat(),
            expiry: request.expiry,
            created_at,
            counterparty: addr.node_id(),
            channel_id: Some(ch.channel.id()),
            address: Some(addr.to_string()),
            request: Some(request),
            package_out,
            delivered: None,
            server_url: None,
            sealed: None,
            adaptor_signature: None,
            invoice: None,
            reason: None,
            scalar_revealed_at: None,
            confirmation_budget: None,
            payment_point: None,
            finished_at: None,
        };
        // The proposal and its payment in one step, before the proposal leaves.
        self.s.save_with(&ch, beside(&mut p))?;
        crash_point("payment-proposed");
        self.resume_outgoing(&mut p, true)?;
        Ok(p)
    }

    /// The A–S channel to pay through: open, at the payee's server, no pending update,
    /// enough balance (S's fee is checked when the state is built).
    fn pick_payer_channel(
        &self,
        addr: &PaymentAddress,
        amount: Amount,
        wanted: Option<String>,
    ) -> ClientResult<ClientChannel> {
        let candidates = match wanted {
            Some(id) => vec![self.s.channel(&id)?],
            None => self.s.all()?,
        };
        let mut reasons = Vec::new();
        let mut pending = Vec::new();
        // Read once for every candidate (again only after a cancel was finished).
        let mut open = load_open_reporting(self.s.store)?.0;
        for mut ch in candidates {
            let id = ch.channel.id();
            if !same_server(&ch.server_url, addr.server_url()) {
                reasons.push(format!(
                    "{id}: at {}, not the payee's server",
                    ch.server_url
                ));
                continue;
            }
            // A closing channel whose close cannot go out yet is passed over (noted).
            let _ = self.s.look_among(&mut ch)?;
            if ch.channel.status() != ChannelStatus::Open {
                reasons.push(format!("{id}: {}", ch.channel.status()));
                continue;
            }
            // A cancel asked for and interrupted (a crash, S unreachable) is finished first:
            // the user wanted this payment gone, and S takes no other until its state
            // restoring our balance is signed (`restore_pending`).
            if let Some(p) = pending_in(&open, id).filter(|p| p.status == LocalStatus::Cancelling) {
                let mut p = p.clone();
                match self.resume_outgoing(&mut p, false) {
                    Ok(()) => ch = self.channel(p.channel_id)?,
                    Err(e) => self.s.note(&format!(
                        "payment {}: finishing its cancel failed: {}",
                        p.payment_id, e.message
                    )),
                }
                open = load_open_reporting(self.s.store)?.0;
            }
            if let Some(u) = ch.channel.pending().filter(|u| u.withheld()) {
                let number = u.next().number;
                match pending_in(&open, id) {
                    Some(p) => {
                        reasons.push(format!(
                            "{id}: payment {} ({} sat, {}) is pending on it (state {number}); one \
                             pending payment per channel",
                            p.payment_id,
                            p.amount_sat,
                            p.status.name()
                        ));
                        pending.push(p.payment_id);
                    }
                    None => reasons.push(format!(
                        "{id}: a payment is pending (state {number}); one pending payment per \
                         channel"
                    )),
                }
                continue;
            }
            match ch.channel.latest() {
                Some(l) if l.state.client > amount => return Ok(ch),
                Some(l) => reasons.push(format!("{id}: balance {} sat", l.state.client.to_sat())),
                None => reasons.push(format!("{id}: nothing signed yet")),
            }
        }
        let why = if reasons.is_empty() {
            "this wallet has no channel".to_owned()
        } else {
            reasons.join("; ")
        };
        let open = format!("`asyncpay channel open {} AMOUNT`", addr.server_url());
        let hint = match pending.first() {
            Some(id) => format!("{}; or open another channel with {open}", pending_hint(*id)),
            None => format!("open one with {open} (payments across two servers are later work)"),
        };
        Err(ClientError::failed(format!(
            "no channel can pay {} sat to this address: {why}",
            amount.to_sat()
        ))
        .hint(hint))
    }

    /// Takes an outgoing payment as far as it goes without the payee: S's accept, `s_A`
    /// (withheld), the package delivered; a cancel finished.
    ///
    /// `fresh`: this process proposed the update (`pay`). Our secret nonce for `n+1` signs
    /// only in the session it is bound to (PROTOCOL.md §7.3): S's nonce is written next to it
    /// before we sign, and a later answer of S with another nonce is refused. A proposal
    /// found on disk without S's nonce (a crash, or a restored backup taken between the
    /// nonce exchange and the signature) is never signed: an earlier run whose record the
    /// backup lost may have signed it with another nonce of S, and a second signature with
    /// the same secret nonce would give S our key. The payment is cancelled instead (pay
    /// again: a fresh nonce).
    fn resume_outgoing(&self, p: &mut ClientPayment, fresh: bool) -> ClientResult<()> {
        let mut ch = self.channel(p.channel_id)?;
        let client = self.s.channel_client(&ch)?;
        let signed = ch.channel.pending().is_some_and(|u| u.withheld());
        if p.status == LocalStatus::Proposed && !signed {
            let request = p
                .request
                .clone()
                .expect("a proposed payment keeps its request");
            let ours = ch.channel.pending().filter(|u| {
                u.next().number == request.proposal.number
                    && u.local_nonce().to_bytes() == request.proposal.proposer_nonce
            });
            let Some(ours) = ours else {
                return Err(ClientError::new(
                    ClientErrorKind::Corrupt,
                    format!(
                        "the update of payment {} is missing from channel {}",
                        p.payment_id,
                        ch.channel.id()
                    ),
                ));
            };
            if !fresh && ours.remote_nonce().is_none() {
                self.s.note(&format!(
                    "payment {} was interrupted before S's nonce was recorded (a crash or a \
                     restored backup): its nonce may already have signed, so it is never used \
                     again; cancelling the payment (pay again)",
                    p.payment_id
                ));
                p.reason = Some(
                    "interrupted before S's nonce was recorded; cancelled so that our nonce \
                     never signs twice: pay again"
                        .to_owned(),
                );
                return self.cancel(p);
            }
            let accept = match client.post("/v1/payments", &request) {
                Ok(a) => a,
                // S refused for good (4xx): nothing was signed; drop our side. A busy or
                // failing S (429, 5xx) is asked again later.
                Err(e @ NetError::Api { status, .. })
                    if (400..500).contains(&status) && status != 429 =>
                {
                    // S refused: nothing was signed; our side dropped and the payment
                    // failed in one step (a crash between the two left a proposed payment
                    // whose update was gone).
                    cancel_unsigned(&mut ch)?;
                    p.status = LocalStatus::Failed;
                    p.reason = Some(e.to_string());
                    self.commit(&ch, p)?;
                    return Err(ClientError::from(e));
                }
                Err(e) => return Err(ClientError::from(e)),
            };
            // A different nonce of S for the same update is refused here (the session
            // never changes): S restored from an old backup, or hostile.
            ch.channel = ch.channel.on_accept(&accept).map_err(|e| {
                ClientError::failed(format!(
                    "payment {}: {e}; S answered with another nonce than the one recorded for \
                     this payment, so it is not signed (signing would reuse our nonce)",
                    p.payment_id
                ))
                .hint(format!(
                    "cancel it with `asyncpay payments cancel {}` and pay again",
                    p.payment_id
                ))
            })?;
            // S's nonce is written next to our secret nonce before we sign with it.
            self.s.save(&ch)?;
            crash_point("payment-nonces-recorded");
            let secret = self.s.secrets(&ch).funding_scalar();
            crate::server::record_nonce_use(&ch.channel);
            let (c, _) = ch.channel.sign_withheld(secret).map_err(refused)?;
            ch.channel = c;
            // s_A exists only in this (encrypted) record until it is sealed to B; the
            // payment is pending from the same commit on.
            p.status = LocalStatus::Pending;
            self.commit(&ch, p)?;
        }
        if p.status == LocalStatus::Proposed {
            p.status = LocalStatus::Pending;
            self.save(p)?;
        }
        if p.status == LocalStatus::Pending && p.delivered.is_none() {
            self.deliver(p, &ch)?;
        }
        if p.status == LocalStatus::Cancelling {
            // A cancel an earlier run could not finish (S unreachable). If S answers that
            // the payee sold it meanwhile (or it is paid), the cancel is over: the payment
            // goes on to its true end like any sold one, and that is no failure.
            if let Cancel::TooLate(e) = self.try_cancel(p)? {
                self.s.note(&format!(
                    "payment {}: too late to cancel ({}); it goes on",
                    p.payment_id, e.message
                ));
            }
        }
        Ok(())
    }

    /// Seals the package to the payee and posts it to its mailbox (or writes the file).
    fn deliver(&self, p: &mut ClientPayment, ch: &ClientChannel) -> ClientResult<()> {
        let addr =
            PaymentAddress::parse_for(p.address.as_deref().unwrap_or_default(), self.s.network)
                .map_err(|e| ClientError::corrupt(e.to_string()))?;
        let package = self.package(p, ch)?;
        package
            .check()
            .map_err(|e| ClientError::failed(format!("our own package does not check: {e}")))?;
        let point = ch.channel.payment_point(Party::Client).map_err(refused)?;
        p.payment_point = Some(hex::encode(&point.serialize()));
        p.delivered = Some(match &p.package_out {
            Some(path) => {
                let armored = package.seal_armored(addr.mailbox());
                crate::store::write_atomic(path, armored.as_bytes()).map_err(|e| {
                    ClientError::failed(format!("cannot write {}: {e}", path.display()))
                })?;
                format!("file {}", path.display())
            }
            None => {
                // The payee's mailbox at the channel's server: its client, pinned and
                // connected already; at another server, a client of its own.
                let mailbox = if addr.server_url() == ch.server_url {
                    self.s.channel_client(ch)?
                } else {
                    std::rc::Rc::new(self.s.client(addr.server_url())?)
                };
                // A stranger at the payee's server proves the work it asks (issue 9 item 7).
                let posted: Posted = crate::server::mailbox::post_package(
                    &mailbox,
                    &addr.node_id(),
                    &package.seal(addr.mailbox()),
                    Some(p.expiry),
                )?;
                format!("mailbox {} item {}", addr.server_url(), posted.id)
            }
        });
        crash_point("package-posted");
        self.save(p)
    }

    /// The update package of a pending outgoing payment, from the A–S channel.
    fn package(&self, p: &ClientPayment, ch: &ClientChannel) -> ClientResult<UpdatePackage> {
        let pending = ch
            .channel
            .pending()
            .filter(|u| u.withheld())
            .ok_or_else(|| ClientError::corrupt("the payment's signed update is missing"))?;
        let params = ch.channel.params();
        let txs = StateTransactions::build(params, pending.next()).map_err(refused)?;
        Ok(UpdatePackage {
            payment_id: p.payment_id,
            amount_sat: p.amount_sat,
            fee_sat: p.fee_sat,
            expiry: p.expiry,
            payee: p.counterparty,
            payer: self.s.keys.node_id(),
            payer_funding: params.client.funding,
            server_funding: params.server.funding,
            payer_nonce: pending.local_nonce().clone(),
            server_nonce: pending
                .remote_nonce()
                .cloned()
                .ok_or_else(|| ClientError::corrupt("S's nonce is missing"))?,
            message: txs.update_sighash,
            state_number: pending.next().number,
            partial_signature: pending
                .local_partial()
                .ok_or_else(|| ClientError::corrupt("s_A is missing"))?,
        })
    }

    // ----- A: sync and cancel -----

    /// Collects what S holds for an outgoing payment: when paid, verifies invoice, scalar
    /// and S's partial and completes state `n+1`; cancels it once expired and unsold.
    fn sync_outgoing(&self, p: &mut ClientPayment) -> ClientResult<()> {
        self.resume_outgoing(p, false)?;
        if p.status != LocalStatus::Pending {
            return Ok(());
        }
        let mut ch = self.channel(p.channel_id)?;
        // On a closing channel the chain decides first: once a state before ours settled,
        // nobody can complete ours, whatever S says.
        let number = p.request.as_ref().map_or(0, |r| r.proposal.number);
        // (A look that fails decides nothing: S is asked as usual.)
        if ch.channel.status() != ChannelStatus::Open
            && !unsigned(&ch, number)
            && matches!(
                self.cancel_on_closing_channel(p, &mut ch, number),
                Ok(Cancel::Done)
            )
        {
            return Ok(());
        }
        let client = self.s.channel_client(&ch)?;
        let view: PaymentView = client.get(&format!("/v1/payments/{}", p.payment_id))?;
        match view.status {
            PaymentStatus::Paid => self.collect(p, &mut ch, view),
            PaymentStatus::Pending if view.expired => {
                self.s.note(&format!(
                    "payment {} expired unsold: cancelling",
                    p.payment_id
                ));
                self.try_cancel(p).map(drop)
            }
            // Not cancelled yet (on a closing channel, until the chain decides) is what
            // `try_cancel` wrote down, not a failure of this sync.
            PaymentStatus::Cancelled => self.try_cancel(p).map(drop),
            PaymentStatus::Pending | PaymentStatus::Sold => {
                p.reason = (view.status == PaymentStatus::Sold)
                    .then(|| "the payee sold it; waiting for the claim".to_owned());
                self.save(p)
            }
        }
    }

    fn collect(
        &self,
        p: &mut ClientPayment,
        ch: &mut ClientChannel,
        view: PaymentView,
    ) -> ClientResult<()> {
        let bad = |what: &str| {
            ClientError::failed(format!(
                "S delivered an invalid {what} for payment {}; it is kept pending",
                p.payment_id
            ))
        };
        let invoice = view.invoice.ok_or_else(|| bad("payment (no invoice)"))?;
        invoice.verify().map_err(|_| bad("invoice signature"))?;
        // A crash after our channel completed state n+1 with S's (verified) partial and
        // before this payment was written: the point is the scalar's (`s_A` no longer sits
        // in a pending update), and only the payment is left to write.
        let number = p.request.as_ref().map(|r| r.proposal.number);
        let completed_before =
            ch.channel.pending().is_none() && ch.channel.latest().map(|l| l.state.number) == number;
        // The channel closed on chain with S's state n+1 (S completed it with the scalar the
        // payee revealed, on chain or off): our pending update is gone, and the scalar is
        // checked against the payment point recorded at delivery.
        let closed_paid = !completed_before
            && ch.channel.status() != ChannelStatus::Open
            && ch.channel.pending().is_none();
        let scalar_point = || {
            view.scalar
                .as_deref()
                .and_then(|h| hex::decode::<32>(h).ok())
                .and_then(|t| secp::Scalar::try_from(t.as_slice()).ok())
                .map(|t| t.base_point_mul())
                .ok_or_else(|| bad("scalar"))
        };
        // The payment point recorded at delivery: the scalar must be its (our `s_A`), or
        // the invoice proves another payment.
        let recorded = p
            .payment_point
            .as_deref()
            .and_then(|h| hex::decode::<33>(h).ok())
            .and_then(|b| secp::Point::from_slice(&b).ok());
        let point = if completed_before || closed_paid {
            let point = scalar_point()?;
            match recorded {
                Some(recorded) if recorded != point => return Err(bad("scalar")),
                None if closed_paid => {
                    return Err(bad(
                        "payment (our update is gone and no payment point was recorded)",
                    ))
                }
                // Recorded and equal, or a payment delivered before points were recorded
                // and completed off-chain (the scalar was checked against our update then).
                _ => point,
            }
        } else {
            ch.channel.payment_point(Party::Client).map_err(refused)?
        };
        let f = invoice.fields();
        if f.payment_id != p.payment_id
            || f.payee != p.counterparty
            || f.amount_sat != p.amount_sat
            || f.payment_point != point
        {
            return Err(bad("invoice (terms differ from the payment)"));
        }
        if completed_before || closed_paid {
            return self.mark_paid(p, invoice);
        }
        let ours = ch
            .channel
            .pending()
            .and_then(|u| u.local_partial())
            .ok_or_else(|| bad("payment (our update is gone)"))?;
        if view.scalar.as_deref() != Some(hex::encode(&ours.to_bytes()).as_str()) {
            return Err(bad("scalar"));
        }
        let partial = view
            .server_partial
            .as_deref()
            .and_then(|h| hex::decode::<32>(h).ok())
            .ok_or_else(|| bad("partial signature"))?;
        let number = ch.channel.pending().expect("checked").next().number;
        ch.channel = ch
            .channel
            .on_signature(&UpdateSignature {
                channel_id: ch.channel.id(),
                number,
                partial_signature: partial,
            })
            .map_err(|_| bad("partial signature"))?;
        Self::paid(p, invoice);
        self.commit(ch, p)
    }

    fn paid(p: &mut ClientPayment, invoice: Invoice) {
        p.status = LocalStatus::Paid;
        p.invoice = Some(invoice);
        p.reason = None;
    }

    fn mark_paid(&self, p: &mut ClientPayment, invoice: Invoice) -> ClientResult<()> {
        Self::paid(p, invoice);
        self.save(p)
    }

    /// Cancels an outgoing payment: S decides (refusing once sold), then state `n+1` is
    /// superseded and `n+2` restores our balance. S's refusal because the payee sold it (or
    /// is selling it, or the payment is paid) is an error here; see [`Payments::try_cancel`].
    fn cancel(&self, p: &mut ClientPayment) -> ClientResult<()> {
        match self.try_cancel(p)? {
            Cancel::Done => Ok(()),
            Cancel::TooLate(e) => Err(e),
        }
    }

    /// [`Payments::cancel`], with S's refusal because the payee sold the payment (or is
    /// selling it, or it is paid) as an outcome: the payment is pending again (written),
    /// the cancel is over, and the payment goes on to its end (`sync`, `payments wait`).
    fn try_cancel(&self, p: &mut ClientPayment) -> ClientResult<Cancel> {
        // A payment still being set up is cancelled as it is: its package is never made.
        if !matches!(
            p.status,
            LocalStatus::Proposed | LocalStatus::Pending | LocalStatus::Cancelling
        ) {
            return Err(ClientError::failed(format!(
                "payment {} is {}; only a pending payment can be cancelled",
                p.payment_id,
                p.status.name()
            )));
        }
        p.status = LocalStatus::Cancelling;
        self.save(p)?;
        let mut ch = self.channel(p.channel_id)?;
        let client = self.s.channel_client(&ch)?;
        let request = CancelRequest {
            payment_id: p.payment_id,
        };
        let number = p.request.as_ref().map_or(0, |r| r.proposal.number);
        // Our pending update is the one of this payment's proposal (same number and nonce):
        // a later payment may have proposed the same number after this one was dropped.
        let ours = ch
            .channel
            .pending()
            .filter(|u| {
                p.request.as_ref().is_some_and(|r| {
                    u.next().number == r.proposal.number
                        && u.local_nonce().to_bytes() == r.proposal.proposer_nonce
                })
            })
            .map(|u| u.withheld());
        if ch.channel.status() != ChannelStatus::Open && !unsigned(&ch, number) {
            return self.cancel_on_closing_channel(p, &mut ch, number);
        }
        // Our signed `n+1`, withheld or superseded after S agreed to a cancel: S has
        // recorded this payment (it accepted `n+1` with its nonce), whatever it says now.
        let signed = ours == Some(true) || ch.channel.superseded() == Some(number);
        match client.post::<_, PaymentView>("/v1/payments/cancel", &request) {
            Ok(_) => {}
            Err(e) if api_code(&e) == Some("unknown_payment") && signed => {
                return Err(ClientError::failed(format!(
                    "S says it does not know payment {}, whose update {number} we signed and \
                     S accepted: S lost its records or lies; the payment is not cancelled, and \
                     may still complete",
                    p.payment_id
                ))
                .hint(format!(
                    "if S keeps saying so, close the channel (`asyncpay channel close {} \
                     --force`): the chain then decides, and `asyncpay sync` follows it",
                    ch.channel.id()
                )));
            }
            Err(e) if api_code(&e) == Some("unknown_payment") => {
                // S never recorded it (the request did not arrive, or we were stopped before
                // our proposal was written): nothing was signed, nothing to supersede.
                p.status = LocalStatus::Cancelled;
                p.reason = None;
                if ours == Some(false) {
                    ch.channel = ch.channel.cancel_pending().map_err(refused)?;
                    self.commit(&ch, p)?;
                } else {
                    self.save(p)?;
                }
                return Ok(Cancel::Done);
            }
            Err(e)
                if matches!(
                    api_code(&e),
                    Some("already_sold" | "already_paid" | "sale_in_progress")
                ) =>
            {
                // Too late: nothing of ours changed (the channel is as it was); the payment
                // is pending again and completes as any sold payment does.
                p.status = LocalStatus::Pending;
                p.reason = Some(format!("not cancelled: {}", api_message(&e)));
                self.save(p)?;
                return Ok(Cancel::TooLate(ClientError::from(e).hint(
                    "a sold payment completes when the payee claims; `asyncpay sync` collects it",
                )));
            }
            Err(e) => {
                return Err(ClientError::from(e).hint(format!(
                    "the cancel is recorded: `asyncpay payments cancel {}` again (or \
                     `asyncpay sync`) finishes it",
                    p.payment_id
                )))
            }
        }
        crash_point("cancel-agreed");
        if ch.channel.status() != ChannelStatus::Open {
            // Closing since we asked: nothing new is signed on it, and S refuses any sale.
            if !unsigned(&ch, number) {
                return self.cancel_on_closing_channel(p, &mut ch, number);
            }
            // An `n+1` we never signed can never complete: its unused nonce is dropped.
            ch.channel = ch.channel.cancel_pending().map_err(refused)?;
            p.status = LocalStatus::Cancelled;
            self.commit(&ch, p)?;
            return Ok(Cancel::Done);
        }
        if ch
            .channel
            .pending()
            .is_some_and(|u| u.next().number == number)
        {
            ch.channel = ch.channel.supersede_pending().map_err(refused)?;
            self.s.save(&ch)?;
        }
        // Interrupted after our balance was restored, and since then a newer payment put
        // its own update on the channel: this one is done (recovering would trip over the
        // newer one, which is not ours to finish here).
        let newer_payment = ch
            .channel
            .pending()
            .is_some_and(|u| u.withheld() && u.next().number > number);
        if !newer_payment {
            self.s.recover(&client, &mut ch)?;
        }
        let latest = ch.channel.latest().expect("open channel").state.clone();
        if latest.number <= number {
            let mut restored = latest;
            restored.number = ch.channel.next_number();
            self.s.update(&client, &mut ch, restored)?;
        }
        p.status = LocalStatus::Cancelled;
        p.reason = None;
        self.save(p)?;
        Ok(Cancel::Done)
    }

    // ----- B: receive, sell, claim -----

    /// Stores a sealed package after checking it; `None` when it is already known.
    /// `from`: the mailbox server and the node that posted the package (it must be the
    /// payer the package names).
    fn accept_package(
        &self,
        sealed: &[u8],
        from: Option<(&str, NodeId)>,
    ) -> ClientResult<Option<ClientPayment>> {
        let package = self
            .check_package(sealed, from)
            .map_err(ClientError::failed)?;
        self.store_package(&package, sealed, from.map(|(url, _)| url))
    }

    /// Opens and checks a sealed package; the error says why it is not a payment to us.
    fn check_package(
        &self,
        sealed: &[u8],
        from: Option<(&str, NodeId)>,
    ) -> Result<UpdatePackage, String> {
        let package = UpdatePackage::open(sealed, &self.s.keys.mailbox_identity())
            .map_err(|e| e.to_string())?;
        let me = self.s.keys.node_id();
        if package.payee != me {
            return Err(format!(
                "the package pays {}, not this wallet",
                package.payee
            ));
        }
        if let Some((_, sender)) = from.filter(|(_, sender)| *sender != package.payer) {
            return Err(format!(
                "the package names payer {} but was posted by {sender}",
                package.payer
            ));
        }
        package.check().map_err(|e| e.to_string())?;
        Ok(package)
    }

    /// Stores a checked package as a received payment; `None` when it is already known.
    fn store_package(
        &self,
        package: &UpdatePackage,
        sealed: &[u8],
        server_url: Option<&str>,
    ) -> ClientResult<Option<ClientPayment>> {
        let known: Option<ClientPayment> =
            self.s.store.load_keyed(&package.payment_id.to_string())?;
        if known.is_some() {
            // What is stored may be another package under the same id: not taken for it.
            return Ok(None);
        }
        let mut p = ClientPayment {
            payment_id: package.payment_id,
            direction: Direction::Incoming,
            status: LocalStatus::Received,
            amount_sat: package.amount_sat,
            fee_sat: package.fee_sat,
            expiry: package.expiry,
            created_at: now(),
            counterparty: package.payer,
            channel_id: None,
            address: None,
            request: None,
            package_out: None,
            delivered: None,
            server_url: server_url.map(str::to_owned),
            sealed: Some(hex::encode(sealed)),
            adaptor_signature: None,
            invoice: None,
            reason: None,
            scalar_revealed_at: None,
            confirmation_budget: None,
            payment_point: None,
            finished_at: None,
        };
        self.save(&mut p)?;
        // Opened from the very bytes just stored.
        self.opened
            .borrow_mut()
            .insert(package.payment_id, package.clone());
        Ok(Some(p))
    }

    /// The package of incoming payment `p`: opened from its stored copy, or the one this
    /// run stored for it.
    fn open_package(&self, p: &ClientPayment) -> ClientResult<UpdatePackage> {
        if let Some(package) = self.opened.borrow().get(&p.payment_id) {
            return Ok(package.clone());
        }
        let sealed = p
            .sealed
            .as_deref()
            .and_then(|h| hex::decode_vec(h).ok())
            .ok_or_else(|| ClientError::corrupt("the stored package is missing"))?;
        UpdatePackage::open(&sealed, &self.s.keys.mailbox_identity())
            .map_err(|e| ClientError::corrupt(e.to_string()))
    }

    /// Fetches every package in our mailboxes; each stored one is deleted from S. An item
    /// that is not a payment to us is quarantined: skipped, reported as a warning (never an
    /// error: a stranger's junk must not make `receive` fail, nor keep a real payment from
    /// being received) and deleted from S, so that it does not come back. Junk is: not hex,
    /// not sealed to our mailbox key, not a valid package, paying another node, posted by
    /// another node than the payer it names, or naming a payment that the mailbox's server
    /// (the server the payment is sold to) does not have with the same terms. A server that
    /// cannot be asked (unreachable, or showing another node id than our channel there was
    /// opened with) is a warning too, and the other servers' mailboxes are still fetched;
    /// errors only when no mailbox server could be asked at all, and for local storage
    /// failures. Returns the warnings.
    fn fetch_mailboxes(&self) -> ClientResult<Vec<String>> {
        // Each mailbox server is one of our channels' servers: pinned to the key that channel
        // was opened with, an open channel's when we have one there (a closed channel's
        // server may since have been replaced at its URL).
        let mut urls: Vec<ClientChannel> = Vec::new();
        for ch in self.s.all()? {
            let open = ch.channel.status() == ChannelStatus::Open;
            match urls
                .iter_mut()
                .find(|u| same_server(&u.server_url, &ch.server_url))
            {
                None => urls.push(ch),
                Some(u) if open && u.channel.status() != ChannelStatus::Open => *u = ch,
                Some(_) => {}
            }
        }
        let mut warnings = Vec::new();
        let mut warn = |line: String| {
            self.s.note(&format!("warning: {line}"));
            warnings.push(line);
        };
        let mut failed = Vec::new();
        for ch in &urls {
            if let Err(e) = self.fetch_mailbox(ch, &mut warn)? {
                failed.push((ch, e));
            }
        }
        if !failed.is_empty() && failed.len() == urls.len() {
            // Nothing could be fetched: as before, the (first) server's error.
            return Err(failed.swap_remove(0).1);
        }
        for (ch, e) in failed {
            warn(format!(
                "mailbox at {} (server {}): cannot fetch it ({e}); skipped, the other \
                 servers' mailboxes were fetched",
                ch.server_url, ch.server
            ));
        }
        Ok(warnings)
    }

    /// Fetches the packages in our mailbox at the server of `ch` (see
    /// [`Payments::fetch_mailboxes`]): `Ok(Err(e))` when that server cannot be asked.
    fn fetch_mailbox(
        &self,
        ch: &ClientChannel,
        warn: &mut impl FnMut(String),
    ) -> ClientResult<Result<(), ClientError>> {
        let url = ch.server_url.clone();
        let client = match self.s.channel_client(ch) {
            Ok(client) => client,
            Err(e) => return Ok(Err(e)),
        };
        let items: Vec<ItemMeta> = match client.get("/v1/mailbox") {
            Ok(items) => items,
            Err(e) => return Ok(Err(ClientError::from(e))),
        };
        for item in items {
            // Only an unreachable server stops this server's run; any other failure is about
            // one item.
            macro_rules! soft {
                ($e:expr) => {{
                    let e: NetError = $e;
                    if e.is_unreachable() {
                        return Ok(Err(ClientError::from(e)));
                    }
                    e.to_string()
                }};
            }
            let path = format!("/v1/mailbox/{}", item.id);
            let fetched: FetchedItem = match client.get(&path) {
                Ok(f) => f,
                Err(e) => {
                    let why = soft!(e);
                    warn(format!(
                        "mailbox item {} from {}: cannot fetch it ({why}); skipped",
                        item.id, item.sender
                    ));
                    continue;
                }
            };
            let checked = hex::decode_vec(&fetched.payload)
                .map_err(|e| format!("not hex: {e}"))
                .and_then(|bytes| {
                    let package = self.check_package(&bytes, Some((&url, item.sender)))?;
                    Ok((bytes, package))
                });
            let checked = match checked {
                Ok((bytes, package)) => match self.known_to_server(&client, &package) {
                    Ok(Ok(())) => Ok((bytes, package)),
                    Ok(Err(why)) => Err(why),
                    Err(e) => return Ok(Err(e)), // unreachable
                },
                Err(why) => Err(why),
            };
            let quarantined = match checked {
                Ok((bytes, package)) => {
                    self.store_package(&package, &bytes, Some(&url))?;
                    None
                }
                Err(why) => Some(why),
            };
            let dropped = match client.delete(&path) {
                Ok(()) => None,
                Err(e) => Some(soft!(e)),
            };
            match (quarantined, dropped) {
                (None, None) => {}
                (None, Some(e)) => warn(format!(
                    "mailbox item {} from {}: received, but the server kept it ({e}); \
                     it is skipped as known next time",
                    item.id, item.sender
                )),
                (Some(why), None) => warn(format!(
                    "mailbox item {} from {}: {why}; ignored and deleted from the server",
                    item.id, item.sender
                )),
                (Some(why), Some(e)) => warn(format!(
                    "mailbox item {} from {}: {why}; ignored (the server kept it: {e})",
                    item.id, item.sender
                )),
            }
        }
        Ok(Ok(()))
    }

    /// Whether the mailbox's server has the payment a package names, with its terms (it
    /// records every payment before the payer posts the package): `Err(why)` when it does
    /// not (the package is junk), `Ok(Ok(()))` when it does or cannot tell now (the sale
    /// then decides). Errs only when the server is unreachable.
    fn known_to_server(
        &self,
        client: &crate::net::client::Client,
        package: &UpdatePackage,
    ) -> ClientResult<Result<(), String>> {
        let view: PaymentView = match client.get(&format!("/v1/payments/{}", package.payment_id)) {
            Ok(v) => v,
            Err(e) if api_code(&e) == Some("unknown_payment") => {
                return Ok(Err(format!(
                    "the server knows no payment {} (the package is not from a real payment)",
                    package.payment_id
                )))
            }
            Err(e) if e.is_unreachable() => return Err(ClientError::from(e)),
            Err(_) => return Ok(Ok(())),
        };
        let same = view.payer == package.payer
            && view.payee == package.payee
            && view.amount_sat == package.amount_sat
            && view.fee_sat == package.fee_sat
            && view.expiry == package.expiry;
        Ok(if same {
            Ok(())
        } else {
            Err(format!(
                "the package's terms differ from payment {} at the server",
                package.payment_id
            ))
        })
    }

    /// The B–S channel to receive on: open, no pending update, S can afford the amount.
    fn pick_payee_channel(&self, p: &ClientPayment) -> ClientResult<ClientChannel> {
        if let Some(id) = p.channel_id {
            return self.s.channel(&id.to_string());
        }
        let amount = Amount::from_sat(p.amount_sat);
        let at_server = |ch: &ClientChannel| {
            p.server_url
                .as_deref()
                .is_none_or(|url| same_server(url, &ch.server_url))
        };
        let (mut closing, mut shallow) = (Vec::new(), Vec::new());
        for mut ch in self.s.all()?.into_iter().filter(at_server) {
            // A closing channel whose close cannot go out yet is passed over (noted).
            let _ = self
                .s
                .look_among(&mut ch)
                .map_err(|e| look_failed(&ch, "selling", e))?;
            if matches!(ch.channel.status(), ChannelStatus::Closing) {
                closing.push(ch.channel.id().to_string());
            }
            let open = ch.channel.status() == ChannelStatus::Open;
            let needed = self.s.funding_depth_needed(&ch)?;
            let below = ch.channel.confirmations() < needed;
            if open && below {
                shallow.push(format!(
                    "{} has {} of {needed}",
                    ch.channel.id(),
                    ch.channel.confirmations()
                ));
            }
            let ok = open
                && !below
                && ch.channel.pending().is_none_or(|u| !u.withheld())
                && ch
                    .channel
                    .latest()
                    .is_some_and(|l| l.state.server >= amount);
            if ok {
                return Ok(ch);
            }
        }
        let list = |what: &str, ids: Vec<String>| {
            if ids.is_empty() {
                String::new()
            } else {
                format!(" ({what}: {})", ids.join(", "))
            }
        };
        let closing = list("closing on chain", closing);
        let shallow = list(
            "funding short of the confirmations it needs (a reorganization took some, or this \
             wallet's depth floor rose), until it has them",
            shallow,
        );
        Err(ClientError::failed(format!(
            "no open channel has {} sat of inbound capacity to receive payment {}{closing}{shallow}",
            p.amount_sat, p.payment_id
        ))
        .hint("get inbound capacity with `asyncpay channel request-inbound URL AMOUNT`"))
    }

    /// Sells `s_A` to S: signs the invoice, proposes the B–S state with S's PTLC for
    /// `T_A`, checks S's adaptor pre-signature, and signs that state.
    fn sell(&self, p: &mut ClientPayment, package: &UpdatePackage) -> ClientResult<()> {
        let point = package
            .check()
            .map_err(|e| ClientError::failed(e.to_string()))?;
        // The tip, read once and before we look at the channel (a view at least as new as
        // it shows the channel open through it): the PTLC's expiry is computed from it.
        let tip = self.tip()?;
        let mut ch = self.pick_payee_channel(p)?;
        // A fresh look at the channel on chain (a resumed sale's channel too): no sale into
        // a channel that is closing, and none on a view we could not refresh.
        self.look(&mut ch, "selling")?;
        let amount = p.amount();
        let sold = |ch: &ClientChannel| {
            ch.channel
                .latest()
                .is_some_and(|l| l.state.ptlcs.iter().any(|x| sold_ptlc(x, point, amount)))
        };
        if sold(&ch) {
            return self.mark(p, LocalStatus::Sold, None); // sold before a crash
        }
        if ch.channel.status() != ChannelStatus::Open {
            // Nothing of the sale is pending on it: the next run picks an open channel.
            if ch.channel.pending().is_none() {
                p.channel_id = None;
                self.save(p)?;
            }
            return Err(ClientError::failed(format!(
                "channel {} is {} on chain: no PTLC can be sold into it",
                ch.channel.id(),
                ch.channel.status()
            ))
            .hint("the payment stays received; with inbound capacity on an open channel (`asyncpay channel request-inbound URL AMOUNT`), run `asyncpay receive` again"));
        }
        // The PTLC we are paid by lives in this channel: no sale into it while its funding
        // is below its minimum depth (a reorganization took blocks away since it opened),
        // or, for a channel S funds, below this wallet's floor (it may have risen since the
        // open), where S could still spend the funding's coins elsewhere.
        let needed = self.s.funding_depth_needed(&ch)?;
        if ch.channel.confirmations() < needed {
            if ch.channel.pending().is_none() {
                p.channel_id = None;
                self.save(p)?;
            }
            return Err(ClientError::failed(format!(
                "channel {}'s funding has {} of the {needed} confirmations it needs: no PTLC \
                 is sold into it until it has them",
                ch.channel.id(),
                ch.channel.confirmations()
            ))
            .hint("the payment stays received; run `asyncpay receive` again after the next blocks (if the funding never confirms, the payment expires)"));
        }
        let client = self.s.channel_client(&ch)?;
        self.s.recover(&client, &mut ch)?;
        let latest = ch
            .channel
            .latest()
            .ok_or_else(|| ClientError::failed("the channel has no signed state"))?
            .state
            .clone();
        if sold(&ch) {
            return self.mark(p, LocalStatus::Sold, None); // sold before a crash
        }
        // Sold, the payment could only be claimed or given back: not before we could claim
        // it (an unsold one stays the payer's to cancel). An interrupted sale was finished
        // above, coins or not.
        self.enforceable(
            "selling",
            "the payment stays received, and the payer can still cancel it",
            "`asyncpay receive`",
        )?;
        // S chooses the expiry from its tip, the channel's delay and its published
        // confirmation budget (PROTOCOL.md §4.1); S refuses any other.
        let info: ServerInfo = client.get("/v1/info")?;
        // S's budget sets how early we go on chain and how late our claim may leave: one
        // too small for the chain would let S take the PTLC back holding `t`.
        self.s
            .check_server_budget(info.policy.confirmation_budget, "selling")?;
        // The channel's delay above that budget, as at its open (the budget, or our floor,
        // may have risen since).
        self.s
            .check_delay_above_budget(
                ch.channel.params().shared_delay,
                info.policy.confirmation_budget,
            )
            .map_err(|e| {
                e.hint(
                    "the payment stays received: close this channel (`asyncpay channel \
                     close ID`) and take inbound capacity with a longer delay",
                )
            })?;
        // The budget we plan our on-chain claim with is the one the expiry is computed
        // with: S's today. (Nothing of an earlier attempt is signed: `sold` above. An
        // attempt S completes, by `recover`, keeps the budget written with its proposal; a
        // budget kept from a failed attempt that S since lowered would make us give up a
        // claim the expiry leaves time for.)
        let budget = info.policy.confirmation_budget.max(MIN_CONFIRMATION_BUDGET);
        p.confirmation_budget = Some(budget);
        let ptlc = sale_ptlc(
            amount,
            point,
            offered_ptlc_expiry(tip, ch.channel.params().shared_delay, budget),
        );
        let next = sale_state(&latest, ch.channel.next_number(), ptlc.clone())
            .map_err(|e| ClientError::failed(format!("S cannot offer the PTLC: {e}")))?;
        let fields = InvoiceFields {
            payment_id: p.payment_id,
            amount_sat: p.amount_sat,
            payment_point: point,
            expiry: p.expiry,
            payee: self.s.keys.node_id(),
        };
        // The invoice of an interrupted attempt is sold again as it is.
        let invoice = match p.invoice.clone().filter(|i| *i.fields() == fields) {
            Some(known) => known,
            None => Invoice::sign(fields, &self.s.keys.node_keypair(), random32()?)
                .map_err(|e| ClientError::failed(e.to_string()))?,
        };
        p.channel_id = Some(ch.channel.id());
        p.invoice = Some(invoice.clone());
        let params = ch.channel.params().clone();
        let mut api_error = None;
        let mut adaptor = None;
        // The invoice is written with the proposal, before either leaves.
        let agreed = self.s.agree_with(&mut ch, next, beside(p), |proposal| {
            let sold: SaleAccepted = client
                .post("/v1/payments/sell", &SaleRequest { invoice, proposal })
                .map_err(|e| {
                    api_error = api_code(&e).map(str::to_owned);
                    ClientError::from(e)
                })?;
            // S stands by the sale; nothing of its answer written yet (a crash or a lost
            // reply leaves this): the next attempt sells again.
            crash_point("sale-answered");
            let digest = claim_digest(&params, &ptlc).map_err(refused)?;
            let key = secp::Point::lift_x(params.server.ptlc.serialize())
                .map_err(|_| ClientError::failed("S's PTLC key is not a point"))?;
            let pre = hex::decode::<65>(&sold.adaptor_signature)
                .ok()
                .and_then(|b| PreSignature::from_bytes(&b).ok())
                .filter(|pre| pre.verify(key, &digest, point).is_ok())
                .ok_or_else(|| {
                    ClientError::failed(
                        "S's adaptor pre-signature for the PTLC claim is invalid; not signing",
                    )
                })?;
            adaptor = Some(hex::encode(&pre.to_bytes()));
            Ok(sold.accept)
        });
        if let Err(e) = agreed {
            // Nothing was signed: our proposal is dropped, with the payment's end if S
            // gave one, in one step.
            let dropped = cancel_unsigned(&mut ch)?;
            let (status, reason, failed) = match api_error.as_deref() {
                Some("sale_queued") => (LocalStatus::Queued, e.message.clone(), false),
                // Not our failure: the payer cancelled, or the payment expired, before we
                // came to sell it. Nothing was signed; the payment is over, cancelled, and
                // the payer gets its balance back from S.
                Some(code @ ("payment_cancelled" | "payment_expired")) => {
                    let why = if code == "payment_cancelled" {
                        "the payer cancelled it before it was sold; S does not buy it"
                    } else {
                        "it expired before it was sold; S no longer buys it"
                    };
                    self.s
                        .note(&format!("payment {}: {why}; cancelled", p.payment_id));
                    p.channel_id = None;
                    (LocalStatus::Cancelled, why.to_owned(), false)
                }
                Some(
                    "payment_superseded" | "wrong_point" | "invoice_mismatch" | "already_paid"
                    | "unknown_payment" | "already_sold",
                ) => {
                    p.channel_id = None;
                    (LocalStatus::Failed, e.message.clone(), true)
                }
                _ => {
                    if dropped {
                        self.s.save(&ch)?;
                    }
                    return Err(e);
                }
            };
            p.status = status;
            p.reason = Some(reason);
            self.commit(&ch, p)?;
            return if failed { Err(e) } else { Ok(()) };
        }
        // S's pre-signature is our way to claim on chain: written with our signed update,
        // before our partial signature leaves.
        p.adaptor_signature = adaptor;
        if crashing_at("sale-signed") {
            // Signed and written, our partial not sent yet (what a crash or a lost reply
            // leaves): S must not drop the sale state under us.
            let secret = self.s.secrets(&ch).funding_scalar();
            crate::server::record_nonce_use(&ch.channel);
            let (c, _) = ch.channel.sign(secret).map_err(refused)?;
            ch.channel = c;
            self.s.save_with(&ch, beside(p))?;
            crash_point("sale-signed");
        }
        self.s.countersign_with(&client, &mut ch, beside(p))?;
        self.mark(p, LocalStatus::Sold, None)
    }

    fn mark(
        &self,
        p: &mut ClientPayment,
        status: LocalStatus,
        reason: Option<String>,
    ) -> ClientResult<()> {
        p.status = status;
        p.reason = reason;
        self.save(p)
    }

    /// Claims a sold payment: reveals `t = s_A` to S with the state folding the PTLC into
    /// our balance, and signs it.
    fn claim(&self, p: &mut ClientPayment, package: &UpdatePackage) -> ClientResult<()> {
        let point = p
            .invoice
            .as_ref()
            .map(Invoice::payment_point)
            .ok_or_else(|| ClientError::corrupt("the sold payment has no invoice"))?;
        let mut ch = self.channel(p.channel_id)?;
        // The tip, read once and before we look at the channel: every timing check below
        // (reveal `t` or not, close near the expiry) uses this one value, and the look, at
        // least as new, shows whether the channel is still open through it. Only a
        // caught-up source's times `t`: before it may have left, a source still catching
        // up stops the claim; once it may have (`scalar_revealed_at` is written before it
        // is sent), going on chain must not wait for the node, and nothing is sent to S
        // off-chain on a tip that may be old: the claim is taken as near its expiry.
        let caught_up = self.source.caught_up_tip()?;
        let tip = match (caught_up, p.scalar_revealed_at) {
            (Some(tip), _) => tip,
            (None, None) => return Err(catching_up()),
            (None, Some(_)) => self.source.tip_height()?,
        };
        self.look(&mut ch, "claiming")?;
        if matches!(
            ch.channel.status(),
            ChannelStatus::Closing | ChannelStatus::Closed
        ) {
            return self.claim_on_chain(p, &mut ch, point, package);
        }
        let expiry = ch
            .channel
            .latest()
            .and_then(|l| {
                l.state
                    .ptlcs
                    .iter()
                    .find(|x| sold_ptlc(x, point, p.amount()))
            })
            .map(|x| x.expiry);
        // `t` leaves off-chain only while we could still enforce the PTLC on chain should S
        // take `t` and not sign (PROTOCOL.md §4.1, 4.), with a slack: from
        // `payee_close_margin` blocks before the expiry it never leaves off-chain, not even
        // again. Otherwise S could complete A's payment and take the PTLC back by its
        // timeout.
        let stale = caught_up.is_none();
        if let Some(expiry) = expiry.filter(|&e| stale || self.near_expiry(p, &ch, e, tip)) {
            if p.scalar_revealed_at.is_some() {
                let not_again = if stale {
                    format!(
                        "the chain source is still catching up with its network (its tip \
                         {tip} may be old; the PTLC expires at height {expiry}): the payment \
                         scalar is not sent to S off-chain again"
                    )
                } else {
                    format!(
                        "the PTLC expires at height {expiry} (tip {tip}): too near to send the \
                         payment scalar to S off-chain again"
                    )
                };
                return self.claim_near_expiry_after_reveal(p, &mut ch, point, &not_again);
            }
            let delay = ch.channel.params().shared_delay;
            let budget = self.budget(p);
            if tip + payee_enforce_blocks(delay, budget) > expiry {
                let why = format!(
                    "too late to claim: the PTLC expires at height {expiry} and the tip is {tip}, \
                     but claiming it on chain takes {} blocks (shared_delay {delay} + 3 x \
                     confirmation budget {budget} - 1); the payment scalar is not revealed, \
                     so S cannot be paid by the payer either",
                    payee_enforce_blocks(delay, budget)
                );
                p.reason = Some(why.clone());
                self.save(p)?;
                return Err(ClientError::failed(why).hint(
                    "give the payment back with `asyncpay payments cancel ID` so the payer \
                     is refunded at once",
                ));
            }
            let outcome = self.s.watch(&mut ch, self.source, true)?;
            let why = format!(
                "the PTLC expires at height {expiry} (tip {tip}): too near to reveal the \
                 payment scalar to S off-chain, so channel {} is being force-closed to \
                 claim it on chain ({})",
                ch.channel.id(),
                outcome
            );
            p.reason = Some(why.clone());
            self.save(p)?;
            return Err(ClientError::new(ClientErrorKind::Pending, why)
                .hint("run `asyncpay claim` again after shared_delay blocks"));
        }
        // `t` is what S pays for: it leaves only while the channel's funding is at its
        // minimum depth (a reorganization can take blocks away after the sale; S could then
        // spend its funding's coins elsewhere and keep `t`). Once sent, sending it again
        // tells S nothing new.
        let needed = self.s.funding_depth_needed(&ch)?;
        if p.scalar_revealed_at.is_none() && ch.channel.confirmations() < needed {
            let why = format!(
                "channel {}'s funding has {} of the {needed} confirmations it needs: the \
                 payment scalar is not revealed to S until it has them",
                ch.channel.id(),
                ch.channel.confirmations()
            );
            p.reason = Some(why.clone());
            self.save(p)?;
            return Err(ClientError::failed(why).hint(
                "run `asyncpay claim` again after the next blocks; if the funding never \
                 confirms, the PTLC expires and the payer gets its money back",
            ));
        }
        let mut claimed = self.claim_off_chain(p, &mut ch, point, package);
        // Once `t` has left, S may hold it (and be paid by A): we leave this command either
        // paid or with the channel closing, never waiting for a later run that may come too
        // late. S gets a few seconds to come back (a restart, a lost reply) first.
        let retry_until = Instant::now() + CLAIM_RETRY;
        while claimed.is_err() && p.scalar_revealed_at.is_some() && Instant::now() < retry_until {
            std::thread::sleep(Duration::from_secs(1));
            // A block may have come meanwhile: from the close margin on (or with the tip
            // unknown), `t` is not sent again (the close below).
            let tip = self.source.tip_height();
            if expiry.is_some_and(|e| tip.map_or(true, |t| self.near_expiry(p, &ch, e, t))) {
                break;
            }
            // As written: a failed write may have left the channel in memory ahead of it
            // (S's signature of the claimed state that we could not store), and only what
            // is written protects us. (Unreadable, the one in memory goes on to the close.)
            if let Ok(written) = self.channel(p.channel_id) {
                ch = written;
            }
            claimed = self.claim_off_chain(p, &mut ch, point, package);
        }
        match claimed {
            Ok(()) => Ok(()),
            Err(e) => match expiry {
                // We sent `t` and S did not sign the claimed state: S may hold `t` (and be
                // paid by A) while our PTLC waits for its expiry. Close the channel now and
                // claim the PTLC on chain, whatever the expiry.
                Some(expiry) if p.scalar_revealed_at.is_some() => {
                    let outcome = self.s.watch(&mut ch, self.source, true)?;
                    let why = format!(
                        "{}; S was sent the payment scalar but did not sign the claimed state, \
                         so channel {} is being force-closed to claim the PTLC (expiry height \
                         {expiry}) on chain ({})",
                        e.message,
                        ch.channel.id(),
                        outcome
                    );
                    p.reason = Some(why.clone());
                    self.save(p)?;
                    Err(ClientError::new(ClientErrorKind::Pending, why)
                        .hint("run `asyncpay claim` again after shared_delay blocks"))
                }
                // S did not fold the PTLC and its expiry comes near: close the channel now
                // so that the PTLC can be claimed on chain before S may take it back.
                Some(expiry) if self.near_expiry(p, &ch, expiry, tip) => {
                    let outcome = self.s.watch(&mut ch, self.source, true)?;
                    Err(ClientError::new(
                        ClientErrorKind::Pending,
                        format!(
                            "{}; the PTLC expires at height {expiry}, so channel {} is being \
                             force-closed to claim it on chain ({})",
                            e.message,
                            ch.channel.id(),
                            outcome
                        ),
                    )
                    .hint("run `asyncpay claim` again after shared_delay blocks"))
                }
                _ => Err(e),
            },
        }
    }

    /// A claim within `payee_close_margin` of the PTLC's expiry, when an earlier run wrote
    /// `t` as revealed. That write comes before the send, so `t` may have left or not (a
    /// crash, or a kill, between the two): sent now, it could reach S for the first time,
    /// too late for us to enforce the PTLC on chain should S not sign, and S could complete
    /// A's payment and take the PTLC back by its timeout. So `t` does not leave off-chain
    /// again. A claimed state we had signed is completed (S accepted its proposal, so S
    /// holds `t` already: only our signature is sent again); otherwise the channel is closed
    /// to claim the PTLC on chain, our best chance if S holds `t`.
    fn claim_near_expiry_after_reveal(
        &self,
        p: &mut ClientPayment,
        ch: &mut ClientChannel,
        point: secp::Point,
        not_again: &str,
    ) -> ClientResult<()> {
        let recovered = self
            .s
            .channel_client(ch)
            .and_then(|client| self.s.recover(&client, ch));
        let latest = &ch
            .channel
            .latest()
            .expect("a sold payment's channel is signed")
            .state;
        if recovered.is_ok()
            && claimed_state(latest, ch.channel.next_number(), point, p.amount()).is_none()
        {
            return self.mark(p, LocalStatus::Paid, None);
        }
        let unsigned = match recovered {
            Ok(()) => "S did not sign the claimed state".to_owned(),
            Err(e) => format!("the claim could not be completed with S ({})", e.message),
        };
        let outcome = self.s.watch(ch, self.source, true)?;
        let why = format!(
            "{not_again}, which an earlier claim may have sent, and {unsigned}; channel {} is \
             being force-closed to claim the PTLC on chain ({outcome})",
            ch.channel.id(),
        );
        p.reason = Some(why.clone());
        self.save(p)?;
        Err(ClientError::new(ClientErrorKind::Pending, why)
            .hint("run `asyncpay claim` again after shared_delay blocks"))
    }

    /// A cancel on a channel that is closing (or closed), our `n+1` signed (its `s_A` went
    /// to the payee in the package). The chain decides, not S: should S hold `s_A` (a sale
    /// before the close, and the payee's claim), S completes `n+1` and settles it whatever
    /// it says. So the payment is cancelled only once a state before `n+1` is settled for
    /// good (or the channel closed cooperatively), `minimum_depth` deep; a settled `n+1`
    /// means it was paid, and it waits for S's invoice (`sync`).
    fn cancel_on_closing_channel(
        &self,
        p: &mut ClientPayment,
        ch: &mut ClientChannel,
        number: u32,
    ) -> ClientResult<Cancel> {
        let final_depth = ch.channel.minimum_depth().max(1);
        let id = ch.channel.id();
        let why = match self.s.watch(ch, self.source, false)? {
            WatchOutcome::Settled {
                state,
                confirmations,
                ..
            } if state < number && confirmations >= final_depth => Ok(format!(
                "channel {id} settled state {state}, before this payment's state {number}"
            )),
            WatchOutcome::ClosedCooperatively { confirmations, .. }
                if confirmations >= final_depth =>
            {
                Ok(format!(
                    "channel {id} closed cooperatively, without this payment"
                ))
            }
            WatchOutcome::Settled { state, .. } if state >= number => Err(format!(
                "not cancelled: channel {id} settled state {state}, which holds this \
                 payment: it is paid on chain, and S has not delivered the payee's invoice yet"
            )),
            other => Err(format!(
                "channel {id} is closing ({other}), and S could still complete our signed state \
                 {number} should it hold our partial signature: the payment is cancelled once \
                 an earlier state settles"
            )),
        };
        let why = match why {
            Ok(cancelled) => {
                self.mark(p, LocalStatus::Cancelled, Some(cancelled))?;
                return Ok(Cancel::Done);
            }
            Err(why) => why,
        };
        p.status = LocalStatus::Pending;
        p.reason = Some(why.clone());
        self.save(p)?;
        Ok(Cancel::TooLate(
            ClientError::new(ClientErrorKind::Pending, why)
                .hint("`asyncpay sync` follows it to its end"),
        ))
    }

    /// Whether a PTLC expiring at `expiry` must be enforced on chain now: update,
    /// settlement and claim need `shared_delay + 3·C − 1` blocks (PROTOCOL.md §4.1, 4.),
    /// plus a slack (`sale::payee_close_margin`).
    fn near_expiry(&self, p: &ClientPayment, ch: &ClientChannel, expiry: u32, tip: u32) -> bool {
        let needed = payee_close_margin(ch.channel.params().shared_delay, self.budget(p));
        tip + needed >= expiry
    }

    /// A fresh look at `ch` on chain before `doing` anything that relies on its status.
    /// Fails closed: a look that fails stops `doing` with the reason.
    fn look(&self, ch: &mut ClientChannel, doing: &str) -> ClientResult<()> {
        self.s
            .watch(ch, self.source, false)
            .map(drop)
            .map_err(|e| look_failed(ch, doing, e))
    }

    /// The confirmation budget to plan a payee's on-chain claim with: S's, recorded at the
    /// sale, never below the local minimum (payments sold before it was recorded: that).
    fn budget(&self, p: &ClientPayment) -> u16 {
        p.confirmation_budget
            .unwrap_or(0)
            .max(MIN_CONFIRMATION_BUDGET)
    }

    /// The chain tip a payment's timing is decided on (the PTLC's expiry at a sale; reveal
    /// `t` or go on chain at a claim): only from a source caught up with its network. A
    /// node still catching up (just restarted, say: when a payee comes online) shows an old
    /// tip, by which a PTLC would look further from its expiry than it is.
    fn tip(&self) -> ClientResult<u32> {
        self.source.caught_up_tip()?.ok_or_else(catching_up)
    }

    /// Whether we could enforce a PTLC on chain should S take `t` and not sign: the close
    /// and the claim pay their fees from our confirmed coins (the fee reserve of our live
    /// channels). Short of it, `doing` stops with what is missing.
    fn enforceable(&self, doing: &str, meanwhile: &str, again: &str) -> ClientResult<()> {
        match self.s.fee_reserve_warning()? {
            None => Ok(()),
            Some(short) => Err(ClientError::failed(format!(
                "not {doing} yet: {short}; without them a PTLC could not be enforced on chain \
                 should S take the payment scalar and not sign"
            ))
            .hint(format!(
                "receive coins, then run {again} again; {meanwhile}"
            ))),
        }
    }

    /// The claim with S: reveal `t` with the state folding the PTLC, and sign it.
    fn claim_off_chain(
        &self,
        p: &mut ClientPayment,
        ch: &mut ClientChannel,
        point: secp::Point,
        package: &UpdatePackage,
    ) -> ClientResult<()> {
        let client = self.s.channel_client(ch)?;
        self.s.recover(&client, ch)?;
        let latest = &ch
            .channel
            .latest()
            .expect("a sold payment's channel is signed")
            .state;
        let Some(next) = claimed_state(latest, ch.channel.next_number(), point, p.amount()) else {
            if p.scalar_revealed_at.is_some() {
                return self.mark(p, LocalStatus::Paid, None); // claimed before a crash
            }
            // Gone without a claim of ours: only another payment's claim, with the same
            // point and amount, could have taken it (a payer that reused its signature).
            let why = format!(
                "the PTLC this payment was sold for is no longer in channel {}, and this \
                 payment never sent its scalar: another payment with the same payment point \
                 took it",
                ch.channel.id()
            );
            self.mark(p, LocalStatus::Failed, Some(why.clone()))?;
            return Err(ClientError::failed(why));
        };
        let scalar = hex::encode(&package.partial_signature.to_bytes());
        let payment_id = p.payment_id;
        let revealed_before = p.scalar_revealed_at;
        if revealed_before.is_none() {
            self.enforceable(
                "claiming",
                "you can also give the payment back with `asyncpay payments cancel ID`, so \
                 that the payer is refunded",
                "`asyncpay claim`",
            )?;
            // S must answer before `t` leaves: an unreachable S learns nothing, and the PTLC
            // is then enforced near its expiry as before.
            let _: ServerInfo = client.get("/v1/info")?;
            p.scalar_revealed_at = Some(now());
        }
        // Written with the proposal, before `t` leaves with it.
        let mut sent = false;
        let agreed = self.s.agree_with(ch, next, beside(p), |proposal| {
            sent = true;
            crash_point("claim-proposed");
            client
                .post(
                    "/v1/payments/claim",
                    &ClaimRequest {
                        payment_id,
                        scalar,
                        proposal,
                    },
                )
                .map_err(ClientError::from)
        });
        if agreed.is_err() && !sent {
            // `t` never left: not revealed (a failed write would otherwise have the claim
            // treated as revealed, and the channel closed for nothing).
            p.scalar_revealed_at = revealed_before;
        }
        agreed?;
        crash_point("claim-agreed");
        self.s.countersign(&client, ch)?;
        crash_point("claim-countersigned");
        self.mark(p, LocalStatus::Paid, None)
    }

    /// The payee gives a sold PTLC back to S off-chain (`payments cancel ID` on an incoming
    /// payment): the B–S state without the PTLC, its amount returned to S. No close, no
    /// on-chain fee; S cancels the payment and the payer gets its money back. Marked failed
    /// before anything is sent: we never claim a PTLC we decided to give back.
    fn give_back(&self, p: &mut ClientPayment) -> ClientResult<()> {
        if p.status != LocalStatus::Sold {
            return Err(ClientError::failed(format!(
                "payment {} is {}; only a sold payment can be given back",
                p.payment_id,
                p.status.name()
            )));
        }
        if p.scalar_revealed_at.is_some() {
            // S may hold `t`: given back, the PTLC would return to S while S could still be
            // paid by the payer with it.
            return Err(ClientError::failed(format!(
                "payment {} cannot be given back: a claim already sent, or was about to send, \
                 the payment scalar to S",
                p.payment_id
            ))
            .hint("run `asyncpay claim ID`: it completes the claim, or claims on chain"));
        }
        let point = p
            .invoice
            .as_ref()
            .map(Invoice::payment_point)
            .ok_or_else(|| ClientError::corrupt("the sold payment has no invoice"))?;
        let mut ch = self.channel(p.channel_id)?;
        let client = self.s.channel_client(&ch)?;
        self.s.recover(&client, &mut ch)?;
        if ch.channel.status() != ChannelStatus::Open {
            return Err(ClientError::failed(format!(
                "channel {} is {}: the PTLC is settled on chain",
                ch.channel.id(),
                ch.channel.status()
            )));
        }
        let latest = ch
            .channel
            .latest()
            .expect("a sold payment's channel is signed")
            .state
            .clone();
        let Some(next) = failed_state(&latest, ch.channel.next_number(), point) else {
            return Err(ClientError::failed(format!(
                "the PTLC of payment {} is not in the latest state of channel {}",
                p.payment_id,
                ch.channel.id()
            )));
        };
        self.mark(
            p,
            LocalStatus::Failed,
            Some("given back to S (failed off-chain)".to_owned()),
        )?;
        let payment_id = p.payment_id;
        let agreed = self.s.agree(&mut ch, next, |proposal| {
            client
                .post(
                    "/v1/payments/fail",
                    &FailRequest {
                        payment_id,
                        proposal,
                    },
                )
                .map_err(ClientError::from)
        });
        if let Err(e) = agreed {
            // S refused (nothing signed): the PTLC is ours to claim again.
            self.drop_unsigned(&mut ch)?;
            self.mark(p, LocalStatus::Sold, None)?;
            return Err(e);
        }
        if crashing_at("fail-signed") {
            // Signed and written, our partial not sent yet (a crash or a lost reply).
            let secret = self.s.secrets(&ch).funding_scalar();
            crate::server::record_nonce_use(&ch.channel);
            let (c, _) = ch.channel.sign(secret).map_err(refused)?;
            ch.channel = c;
            self.s.save(&ch)?;
            crash_point("fail-signed");
        }
        self.s.countersign(&client, &mut ch)?;
        Ok(())
    }

    /// The claim when the B–S channel is closed on chain (S went away, or refused to fold
    /// the PTLC): once the settlement with the PTLC has confirmed, B completes S's adaptor
    /// pre-signature with `t = s_A` and spends the PTLC output to its settlement key.
    fn claim_on_chain(
        &self,
        p: &mut ClientPayment,
        ch: &mut ClientChannel,
        point: secp::Point,
        package: &UpdatePackage,
    ) -> ClientResult<()> {
        let outcome = self.s.watch(ch, self.source, false)?;
        let latest = ch
            .channel
            .latest()
            .expect("a sold payment's channel is signed")
            .state
            .clone();
        let params = ch.channel.params().clone();
        // Claimed before a crash (or a failed write) that left the channel closing: our
        // latest state folds the PTLC into our balance, and its settlement pays it.
        let folded = p.scalar_revealed_at.is_some()
            && claimed_state(&latest, ch.channel.next_number(), point, p.amount()).is_none();
        // Final once as deep as the channel's funding had to be: a reorganization may undo
        // what is shallower (and an older state, or S's timeout claim, confirm instead).
        let final_depth = ch.channel.minimum_depth().max(1);
        // Until then the payment stays sold, and says how deep `what` is.
        let not_final = |p: &mut ClientPayment, what: String, depth: u32| {
            self.mark(
                p,
                LocalStatus::Sold,
                Some(format!(
                    "{what} has {depth} of {final_depth} confirmations; the payment is \
                     decided once it has them all"
                )),
            )
        };
        let (settlement, state, settled_depth) = match outcome {
            WatchOutcome::Settled {
                txid,
                state,
                confirmations,
                ..
            } if confirmations > 0 => (txid, state, confirmations),
            other => {
                // What `payments list` shows too: the payment waits for blocks, not for S.
                let then = if folded {
                    format!(
                        "paid once the settlement of state {} confirms",
                        latest.number
                    )
                } else {
                    "the PTLC is claimed once the settlement confirms".to_owned()
                };
                let why = format!(
                    "channel {} is closing on chain ({other}); {then}",
                    ch.channel.id()
                );
                if p.reason.as_ref() != Some(&why) {
                    p.reason = Some(why.clone());
                    self.save(p)?;
                }
                return Err(ClientError::new(ClientErrorKind::Pending, why)
                    .hint("run `asyncpay claim` again after more blocks"));
            }
        };
        if folded && state == latest.number {
            if settled_depth < final_depth {
                let what = format!("the settlement {settlement} of our claimed state");
                return not_final(p, what, settled_depth);
            }
            return self.mark(p, LocalStatus::Paid, None);
        }
        let ptlc = latest
            .ptlcs
            .iter()
            .find(|x| sold_ptlc(x, point, p.amount()))
            .cloned()
            .ok_or_else(|| {
                ClientError::failed(format!(
                    "state {state} settled, not our latest state {} that pays the PTLC into \
                     our balance (the channel was not watched within its shared_delay)",
                    latest.number
                ))
            })?;
        // The settlement and what spent each of its PTLC outputs, in one look at the chain.
        let roots = crate::server::roots_of(&ch.channel, ch.opened_height);
        let (settlement_tx, spends, tip) =
            crate::chain::source::read_chain(self.source, &roots, |v| {
                let tx = v.tx(&settlement).map(|(tx, _)| tx);
                let spends = tx.as_ref().map(|tx| {
                    ptlc_outputs(&params, &ptlc, tx).map(|outs| {
                        outs.into_iter()
                            .map(|o| (o, v.spending_tx(&o)))
                            .collect::<Vec<_>>()
                    })
                });
                (tx, spends, v.tip_height())
            })
            .map_err(ClientError::from)?;
        let settlement_tx = settlement_tx.ok_or_else(|| {
            ClientError::failed(format!("settlement {settlement} is not on the chain"))
        })?;
        let spends = spends
            .expect("looked up with the settlement")
            .map_err(refused)?;
        let ours = params.to_node_script(Party::Client);
        // Whichever state settled (the latest or an older one that still holds the PTLC),
        // its outputs show where the PTLC is.
        if spends.is_empty() {
            // S completed the claimed state we signed (newer than our latest) and settled
            // it: the amount is in our `to_node` output.
            let to_us: u64 = settlement_tx
                .output
                .iter()
                .filter(|o| o.script_pubkey == ours)
                .map(|o| o.value.to_sat())
                .sum();
            if settled_depth < final_depth {
                let what = format!("the settlement {settlement} of state {state}");
                return not_final(p, what, settled_depth);
            }
            if state > latest.number
                && to_us >= latest.client.to_sat().saturating_add(ptlc.amount.to_sat())
            {
                return self.mark(
                    p,
                    LocalStatus::Paid,
                    Some(format!(
                        "S settled the claimed state {state} on chain in {settlement}"
                    )),
                );
            }
            let why = format!(
                "state {state} settled on chain without the PTLC (our latest is {})",
                latest.number
            );
            self.mark(p, LocalStatus::Failed, Some(why.clone()))?;
            return Err(ClientError::failed(why));
        }
        let mut unspent = None;
        let mut taken_back = false;
        // S's timeout claim waiting in the mempool once `t` is out, which ours replaces.
        let mut outbid = None;
        for (outpoint, spend) in spends {
            let Some((tx, confirmation_height)) = spend else {
                unspent.get_or_insert(outpoint);
                continue;
            };
            let txid = tx.compute_txid();
            // Which path spent it, read at the input spending the PTLC (any position), not
            // from the outputs: S's timeout claim is S's own transaction and may pay our
            // script too (with a fee input of its own) without paying us the PTLC.
            match ptlc_spend(&params, &ptlc, outpoint, &tx) {
                PtlcSpend::Success(_) => {}
                // S's timeout claim is final only once deep enough: until then a
                // reorganization or its eviction may still leave the PTLC to our claim.
                PtlcSpend::Timeout
                    if confirmation_height
                        .is_some_and(|h| tip.saturating_sub(h) + 1 >= final_depth) =>
                {
                    taken_back = true;
                    continue;
                }
                // `t` left already (our claim went out, and S's timeout claim replaced it
                // after the expiry, say): S can complete the payer's payment with it, so the
                // PTLC is ours to fight for. Our claim replaces S's while it waits in the
                // mempool, paying what it evicts (up to what the PTLC is worth).
                PtlcSpend::Timeout
                    if confirmation_height.is_none() && p.scalar_revealed_at.is_some() =>
                {
                    unspent.get_or_insert(outpoint);
                    outbid.get_or_insert(txid);
                    continue;
                }
                PtlcSpend::Timeout => {
                    return Err(ClientError::new(
                        ClientErrorKind::Pending,
                        format!(
                            "S's timeout claim {txid} of the PTLC is not final yet; the payment \
                             is lost if it confirms"
                        ),
                    )
                    .hint("run `asyncpay claim` again after more blocks"))
                }
                PtlcSpend::Unknown => {
                    return Err(ClientError::failed(format!(
                        "the PTLC output {outpoint} was spent in {txid} by neither its claim \
                         nor its timeout path; check the channel by hand"
                    )))
                }
            }
            return match confirmation_height {
                Some(h) if tip.saturating_sub(h) + 1 >= final_depth => self.mark(
                    p,
                    LocalStatus::Paid,
                    Some(format!("claimed on chain in {txid}")),
                ),
                Some(h) => not_final(p, format!("claim {txid}"), tip.saturating_sub(h) + 1),
                None => {
                    self.s
                        .bump_claim_child(self.source, txid, outpoint, ptlc.amount)?;
                    self.mark(
                        p,
                        LocalStatus::Sold,
                        Some(format!("claim {txid} published; paid once it confirms")),
                    )
                }
            };
        }
        let Some(outpoint) = unspent else {
            debug_assert!(taken_back);
            let why = "S took the PTLC back on chain after its expiry".to_owned();
            self.mark(p, LocalStatus::Failed, Some(why.clone()))?;
            return Err(ClientError::failed(why));
        };
        let pre = p
            .adaptor_signature
            .as_deref()
            .and_then(|h| hex::decode::<65>(h).ok())
            .and_then(|b| PreSignature::from_bytes(&b).ok())
            .ok_or_else(|| ClientError::corrupt("S's adaptor pre-signature is missing"))?;
        let t = secp::Scalar::try_from(package.partial_signature.to_bytes().as_slice())
            .map_err(|_| ClientError::corrupt("the payer's partial signature is zero"))?;
        let secrets = self.s.secrets(ch);
        // The key the PTLC script names: a claim signed with another is refused by every
        // node (the PTLC then times out to S).
        if secrets.party_keys().ptlc != params.client.ptlc {
            return Err(ClientError::corrupt(format!(
                "our PTLC key of channel {} is not the one its PTLCs name",
                ch.channel.id()
            )));
        }
        // `t` leaves on chain only while our claim can confirm by the expiry within the
        // confirmation budget: from block E + 1 S's timeout claim is valid too, and S could
        // replace ours with it, keeping the PTLC and, with `t`, the payer's payment. Once
        // `t` may have left (an earlier claim, on or off chain) it goes out again whatever
        // the height: our best chance then.
        let budget = u32::from(self.budget(p));
        if p.scalar_revealed_at.is_none() && tip + budget > ptlc.expiry {
            let why = format!(
                "too late to claim on chain: the PTLC expires at height {}, and a claim \
                 published at tip {tip} may not confirm by then (confirmation budget \
                 {budget}); S could then take the PTLC back holding the payment scalar. The \
                 scalar is not revealed: S takes the PTLC back and the payer is refunded",
                ptlc.expiry
            );
            p.reason = Some(why.clone());
            self.save(p)?;
            return Err(ClientError::failed(why));
        }
        let receiver = secrets.ptlc_scalar();
        let tx = signed_success_claim(&params, &ptlc, outpoint, &pre, t, receiver, random32()?)
            .map_err(ClientError::failed)?;
        // Written before it leaves: from now on S may learn `t` from the mempool.
        let revealed_before = p.scalar_revealed_at;
        if revealed_before.is_none() {
            p.scalar_revealed_at = Some(now());
            self.save(p)?;
        }
        let txid = tx.compute_txid();
        let published = match outbid {
            Some(timeout) => self
                .s
                .publish_outbidding(self.source, &tx, &timeout, ptlc.amount),
            None => self.s.publish_channel_tx(self.source, &tx),
        };
        if let Err(e) = published {
            // Refused (no coins for its fee, say): if our node does not hold the claim, `t`
            // did not leave through it, and the expiry check above still applies next time.
            // (A node we cannot ask keeps the reveal written: it may have taken it.)
            if revealed_before.is_none()
                && matches!(self.source.mempool_entry(&txid), Ok(None))
                && matches!(
                    self.source.find_tx(&bitcoin::OutPoint::new(txid, 0)),
                    Ok(None)
                )
            {
                p.scalar_revealed_at = None;
                self.save(p)?;
            }
            return Err(e);
        }
        self.mark(
            p,
            LocalStatus::Sold,
            Some(format!(
                "claim {txid} published; paid once it confirms (run `asyncpay claim` again)"
            )),
        )
    }

    /// Moves every incoming payment forward: sell what is received or queued, claim what is
    /// sold (unless `no_claim`). Errors of one payment are reported, not fatal.
    fn progress_incoming(
        &self,
        no_claim: bool,
        only: Option<PaymentId>,
    ) -> ClientResult<Vec<String>> {
        let mut problems = Vec::new();
        for mut p in self.open()? {
            if p.direction != Direction::Incoming || only.is_some_and(|id| id != p.payment_id) {
                continue;
            }
            // The package is opened (decrypted, decoded) once for the sale and the claim.
            let result = match p.status {
                LocalStatus::Received | LocalStatus::Queued => {
                    self.open_package(&p).and_then(|package| {
                        self.sell(&mut p, &package)?;
                        if p.status == LocalStatus::Sold && !no_claim {
                            self.claim(&mut p, &package)
                        } else {
                            Ok(())
                        }
                    })
                }
                LocalStatus::Sold if !no_claim => self
                    .open_package(&p)
                    .and_then(|package| self.claim(&mut p, &package)),
                _ => Ok(()),
            };
            if let Err(e) = result {
                if e.kind == ClientErrorKind::Unreachable {
                    return Err(e);
                }
                problems.push(format!("payment {}: {}", p.payment_id, e.message));
            }
        }
        Ok(problems)
    }
}

/// The outgoing payment being set up with S on `channel` (S may hold its update as
/// pending), or being cancelled with its update `number` still pending (S may have
/// superseded it already): its unsigned update must not be dropped as an interrupted one.
pub(crate) fn payment_in_setup(
    store: &crate::store::Store,
    channel: ChannelId,
    number: u32,
) -> ClientResult<Option<PaymentId>> {
    Ok(load_open_reporting(store)?
        .0
        .into_iter()
        .find(|p| {
            p.channel_id == Some(channel)
                && match p.status {
                    LocalStatus::Proposed => true,
                    LocalStatus::Cancelling => p
                        .request
                        .as_ref()
                        .is_some_and(|r| r.proposal.number == number),
                    _ => false,
                }
        })
        .map(|p| p.payment_id))
}

/// The outgoing payment that holds (or is setting up, or cancelling) the pending update of
/// `channel`: not final yet, the newest if there were ever more than one.
pub(crate) fn pending_on(
    store: &crate::store::Store,
    channel: ChannelId,
) -> ClientResult<Option<ClientPayment>> {
    Ok(pending_in(&load_open_reporting(store)?.0, channel).cloned())
}

/// [`pending_on`] among the wallet's `open` payments.
fn pending_in(open: &[ClientPayment], channel: ChannelId) -> Option<&ClientPayment> {
    open.iter().rev().find(|p| {
        p.direction == Direction::Outgoing
            && p.channel_id == Some(channel)
            && matches!(
                p.status,
                LocalStatus::Proposed | LocalStatus::Pending | LocalStatus::Cancelling
            )
    })
}

/// What to do about the pending payment `id` (a hint).
pub(crate) fn pending_hint(id: PaymentId) -> String {
    format!(
        "wait for it with `asyncpay payments wait {id}`, or while it is unsold cancel it with \
         `asyncpay payments cancel {id}`"
    )
}

/// Every readable payment of the wallet, oldest first, and a problem line per payment record
/// that cannot be read: one bad file never stops the wallet (it is quarantined: left as it
/// is, reported, and every other payment goes on).
fn load_all_reporting(
    store: &crate::store::Store,
) -> ClientResult<(Vec<ClientPayment>, Vec<String>)> {
    let mut all = Vec::new();
    let mut problems = Vec::new();
    for key in store.keys_of::<ClientPayment>()? {
        match store.load_keyed::<ClientPayment>(&key) {
            Ok(Some(p)) => all.push(p),
            Ok(None) => {}
            Err(e) => problems.push(quarantined(&key, &e)),
        }
    }
    all.sort_by_key(|p| (p.created_at, p.payment_id));
    Ok((all, problems))
}

/// The payments not final yet, oldest first, and a problem line per record of the open
/// payments that cannot be read ([`OpenPayments`]; built from every record when there is
/// none that accounts for them all, and then written unless the store is a read-only view:
/// best effort, the next look builds it again if that fails).
fn load_open_reporting(
    store: &crate::store::Store,
) -> ClientResult<(Vec<ClientPayment>, Vec<String>)> {
    let records = store.keys_of::<ClientPayment>()?;
    let index = match store.load::<OpenPayments>() {
        Ok(Some(index)) if index.records == records.len() => index,
        _ => {
            let (mut all, problems) = load_all_reporting(store)?;
            all.retain(|p| !p.status.is_final());
            let mut index = OpenPayments {
                ids: all.iter().map(|p| p.payment_id).collect(),
                records: records.len(),
            };
            // The unreadable ones too: each may be an unfinished payment.
            for key in &records {
                if store.load_keyed::<ClientPayment>(key).is_err() {
                    index.ids.extend(PaymentId::from_str(key).ok());
                }
            }
            if !store.is_detached() {
                let _ = store.save(&index);
            }
            return Ok((all, problems));
        }
    };
    let mut open = Vec::new();
    let mut problems = Vec::new();
    for id in &index.ids {
        match store.load_keyed::<ClientPayment>(&id.to_string()) {
            Ok(Some(p)) if !p.status.is_final() => open.push(p),
            Ok(_) => {}
            Err(e) => problems.push(quarantined(&id.to_string(), &e)),
        }
    }
    open.sort_by_key(|p| (p.created_at, p.payment_id));
    Ok((open, problems))
}

fn quarantined(key: &str, e: &StoreError) -> String {
    format!(
        "payment record {key} is quarantined: {e}; restore it from a backup (the other \
         payments go on)"
    )
}

/// What a `receive`, `claim` or `sync` did.
#[derive(Debug, Default)]
pub struct Progress {
    /// The payments it worked on, as they are now.
    pub payments: Vec<ClientPayment>,
    /// What it skipped without failing (e.g. junk mailbox items); each also noted.
    pub warnings: Vec<String>,
    /// A line per payment that could not go on.
    pub problems: Vec<String>,
}

/// One payment with, for an incoming one, the public parts of its update package.
#[derive(Debug)]
pub struct PaymentDetails {
    /// The payment.
    pub payment: ClientPayment,
    /// Incoming: the package's public view (never `s_A`), if it opens.
    pub package: Option<serde_json::Value>,
}

/// The engine's payment operations (PROTOCOL.md §5).
/// How long [`Engine::wait`] sleeps between two polls.
pub const WAIT_POLL: Duration = Duration::from_millis(500);

/// The error of a wait that ended with payment `p` still pending (exit 5).
pub fn still_pending(p: &ClientPayment, last_problem: Option<String>) -> ClientError {
    let why = last_problem.map_or(String::new(), |m| format!(" (last: {m})"));
    ClientError::new(
        ClientErrorKind::Pending,
        format!("payment {} is still {}{why}", p.payment_id, p.status.name()),
    )
    .hint(format!(
        "run `asyncpay payments wait {}` again later",
        p.payment_id
    ))
}

impl Engine<'_> {
    fn payment_steps(&self) -> ClientResult<Payments<'_, '_>> {
        self.check_channels_allowed()?;
        Ok(Payments {
            s: self,
            source: self.chain()?,
            opened: Default::default(),
        })
    }

    /// A pays `amount` to the payment address `address`, the package expiring after
    /// `expiry`; also written to `package_out` if given (for delivery by hand); over the
    /// channel `channel` or the first that can carry it.
    pub fn pay(
        &self,
        address: &str,
        amount: Amount,
        options: PayOptions,
    ) -> ClientResult<ClientPayment> {
        let steps = self.payment_steps()?;
        if let Some(warning) = self.fee_reserve_warning()? {
            self.note(&warning);
        }
        steps.pay(address, amount, options)
    }

    /// B takes `package` (sealed bytes), or without one fetches its mailboxes, and moves
    /// every unfinished incoming payment on: sells it and (unless `no_claim`) claims it.
    pub fn receive(&self, package: Option<&[u8]>, no_claim: bool) -> ClientResult<Progress> {
        let ps = self.payment_steps()?;
        // The watch first: nothing that fails after it (an unreachable server, say)
        // keeps it from running.
        let mut warnings = self.watch_live_channels();
        // The watch's warnings go with an error too: not lost when the rest fails.
        let progressed = (|| -> ClientResult<_> {
            match package {
                Some(bytes) => {
                    ps.accept_package(bytes, None)?;
                }
                None => warnings.extend(ps.fetch_mailboxes()?),
            }
            warnings.extend(self.fee_reserve_warning()?);
            // What this run works on: every incoming payment not finished yet.
            let open: Vec<PaymentId> = ps
                .open()?
                .iter()
                .filter(|p| p.direction == Direction::Incoming)
                .map(|p| p.payment_id)
                .collect();
            let problems = ps.progress_incoming(no_claim, None)?;
            let mut payments = Vec::new();
            for id in open {
                match self.store.load_keyed::<ClientPayment>(&id.to_string()) {
                    Ok(p) => payments.extend(p),
                    Err(e) => self.note(&quarantined(&id.to_string(), &e)),
                }
            }
            Ok((payments, problems))
        })();
        match progressed {
            Ok((payments, problems)) => Ok(Progress {
                payments,
                warnings,
                problems,
            }),
            Err(e) => Err(e.with_warnings(warnings)),
        }
    }

    /// B claims its sold payment `id`, or every sold incoming payment.
    pub fn claim(&self, id: Option<&str>) -> ClientResult<Progress> {
        let ps = self.payment_steps()?;
        let only = match id {
            Some(id) => {
                let p = ps.load(id)?;
                if p.direction != Direction::Incoming || p.status != LocalStatus::Sold {
                    return Err(ClientError::failed(format!(
                        "payment {} is {} {}; only a sold incoming payment can be claimed",
                        p.payment_id,
                        if p.direction == Direction::Incoming {
                            "an incoming payment"
                        } else {
                            "an outgoing payment"
                        },
                        p.status.name()
                    )));
                }
                Some(p.payment_id)
            }
            None => None,
        };
        let problems = ps.progress_incoming(false, only)?;
        let mut payments = ps.all()?;
        payments.retain(|p| {
            p.direction == Direction::Incoming && only.is_none_or(|id| id == p.payment_id)
        });
        Ok(Progress {
            payments,
            warnings: Vec::new(),
            problems,
        })
    }

    /// A moves every unfinished outgoing payment on (collects what B's sale left at S).
    pub fn sync(&self) -> ClientResult<Progress> {
        let ps = self.payment_steps()?;
        // The watch first: nothing that fails after it (an unreachable server, say)
        // keeps it from running.
        let warnings = self.watch_live_channels();
        let mut problems = Vec::new();
        let mut payments = Vec::new();
        // The watch's warnings go with an error too: not lost when the rest fails.
        let open = ps.open().map_err(|e| e.with_warnings(warnings.clone()))?;
        for mut p in open {
            if p.direction != Direction::Outgoing {
                continue;
            }
            if let Err(e) = ps.sync_outgoing(&mut p) {
                if e.kind == ClientErrorKind::Unreachable {
                    return Err(e.with_warnings(warnings));
                }
                problems.push(format!("payment {}: {}", p.payment_id, e.message));
            }
            payments.push(p);
        }
        Ok(Progress {
            payments,
            warnings,
            problems,
        })
    }

    /// A cancels its unsold payment `id`; B gives back a sold one (its PTLC returns to S).
    pub fn cancel(&self, id: &str) -> ClientResult<ClientPayment> {
        let ps = self.payment_steps()?;
        let mut p = ps.load(id)?;
        if p.direction == Direction::Incoming && p.status == LocalStatus::Sold {
            // The payee refuses a payment it sold: the PTLC goes back to S off-chain.
            ps.give_back(&mut p)?;
        } else if p.direction != Direction::Outgoing {
            return Err(ClientError::failed(
                "only the payer can cancel a payment; the payee can only give back a sold \
                 one (its PTLC returns to S)",
            ));
        } else if p.status == LocalStatus::Cancelled {
            self.note("the payment is already cancelled");
        } else if let Cancel::TooLate(refusal) = ps.try_cancel(&mut p)? {
            // S would not cancel: the payee sold it, or it is paid. The payment is taken to
            // where it truly is (a paid one's invoice collected, as `sync` does), and the
            // cancel fails saying so.
            if let Err(e) = ps.sync_outgoing(&mut p) {
                self.note(&format!("payment {}: {}", p.payment_id, e.message));
            }
            let id = p.payment_id;
            return Err(if p.status == LocalStatus::Paid {
                ClientError::failed(format!(
                    "payment {id} could not be cancelled: it was already paid; the payee's \
                     invoice is collected"
                ))
                .hint(format!("`asyncpay payments show {id}` shows it"))
            } else {
                // Its kind kept: waiting for the chain is pending, not a failure.
                ClientError::new(
                    refusal.kind,
                    format!("payment {id} could not be cancelled: {}", refusal.message),
                )
                .hint(refusal.hint.unwrap_or_default())
            });
        }
        Ok(p)
    }

    /// Moves the payment `id` on until it is final, or fails with `Pending` after `timeout`.
    pub fn wait(&self, id: &str, timeout: Duration) -> ClientResult<ClientPayment> {
        let deadline = Instant::now() + timeout;
        let mut last_problem = None;
        let result = loop {
            let (p, problem) = match self.poll_payment(id) {
                Ok(polled) => polled,
                Err(e) => break Err(e),
            };
            last_problem = problem.or(last_problem);
            if p.status.is_final() {
                break Ok(p);
            }
            if Instant::now() >= deadline {
                break Err(still_pending(&p, last_problem));
            }
            self.busy(Some(&format!(
                "payment {}: {}",
                p.payment_id,
                p.status.name()
            )));
            if self.pause(WAIT_POLL) {
                break Err(ClientError::new(
                    ClientErrorKind::Pending,
                    format!(
                        "stopped waiting (interrupted): payment {} is still {}",
                        p.payment_id,
                        p.status.name()
                    ),
                )
                .hint(format!(
                    "`asyncpay payments wait {}` waits again; nothing was cancelled",
                    p.payment_id
                )));
            }
        };
        self.busy(None);
        result
    }

    /// One step of [`Engine::wait`]: moves payment `id` on as far as it goes now (an
    /// outgoing one synced with S, an incoming one sold and claimed) and returns it, with
    /// why it could not go on if S was unreachable (that is no error: S may come back). A
    /// caller that waits between two polls need not hold the wallet meanwhile.
    pub fn poll_payment(&self, id: &str) -> ClientResult<(ClientPayment, Option<String>)> {
        let ps = self.payment_steps()?;
        let mut p = ps.load(id)?;
        if p.status.is_final() {
            return Ok((p, None));
        }
        let mut problem = None;
        let step = match p.direction {
            Direction::Outgoing => ps.sync_outgoing(&mut p),
            Direction::Incoming => ps
                .progress_incoming(false, Some(p.payment_id))
                .map(|problems| problem = problems.into_iter().next()),
        };
        match step {
            Err(e) if e.kind == ClientErrorKind::Unreachable => problem = Some(e.message),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        Ok((ps.load(id)?, problem))
    }

    /// B's payment address: its node id and mailbox at the server `server` (default: the
    /// server of its first channel).
    pub fn payment_address(&self, server: Option<&str>) -> ClientResult<PaymentAddress> {
        let server = match server {
            Some(url) => url.to_owned(),
            None => self
                .receiving_server()?
                .ok_or_else(|| {
                    ClientError::invalid("this wallet has no channel, so no server to name")
                        .hint("pass --server URL, or get inbound capacity first: `asyncpay channel request-inbound URL AMOUNT`")
                })?,
        };
        let mailbox = self.keys.mailbox_identity().to_public();
        PaymentAddress::new(self.network, self.keys.node_id(), mailbox, &server)
            .map_err(|e| ClientError::invalid(e.to_string()))
    }

    /// The server of the channel payments to this wallet arrive over: an open channel's,
    /// else one being opened, else any channel's (`None`: no channel).
    pub fn receiving_server(&self) -> ClientResult<Option<String>> {
        use crate::protocol::ChannelStatus;
        let channels = self.all()?;
        let rank = |c: &crate::client::ClientChannel| match c.channel.status() {
            ChannelStatus::Open => 0,
            ChannelStatus::AwaitingFunding | ChannelStatus::Opening => 1,
            ChannelStatus::Closing => 2,
            ChannelStatus::Closed => 3,
        };
        Ok(channels
            .iter()
            .enumerate()
            .min_by_key(|(i, c)| (rank(c), *i))
            .map(|(_, c)| c.server_url.clone()))
    }

    /// Every readable payment of the wallet, oldest first, and a problem line per payment
    /// record that cannot be read (it is quarantined; the others go on). Local only.
    pub fn payments(&self) -> ClientResult<(Vec<ClientPayment>, Vec<String>)> {
        load_all_reporting(self.store)
    }

    /// The id of this wallet's payment that `typed` names: all 64 hex digits or a unique
    /// prefix of at least [`super::ids::MIN_PREFIX`]. Ambiguous or too short: `Invalid`.
    pub fn resolve_payment_id(&self, typed: &str) -> ClientResult<PaymentId> {
        let keys = self.store.keys_of::<ClientPayment>()?;
        let id = super::ids::resolve(typed, &keys).map_err(|e| {
            super::ids::id_error(e, "payment", typed, "asyncpay payments list --all")
        })?;
        // A prefix names the whole id it stood for: what is acted on is never a surprise.
        if !typed.eq_ignore_ascii_case(&id) {
            self.note(&format!("{typed} is payment {id}"));
        }
        PaymentId::from_str(&id)
            .map_err(|_| ClientError::corrupt(format!("the payment record {id} has a bad key")))
    }

    /// The payment `id`, with the public parts of its package (local only).
    pub fn payment(&self, id: &str) -> ClientResult<PaymentDetails> {
        let id = self.resolve_payment_id(id)?;
        let (all, _) = load_all_reporting(self.store)?;
        let payment = all
            .into_iter()
            .find(|p| p.payment_id == id)
            .ok_or_else(|| {
                ClientError::failed(format!("no payment {id} in this wallet"))
                    .hint("list them with `asyncpay payments list`")
            })?;
        // What B received, without s_A (the package is sealed to our mailbox key).
        let package = payment
            .sealed
            .as_deref()
            .and_then(|h| hex::decode_vec(h).ok())
            .and_then(|b| UpdatePackage::open(&b, &self.keys.mailbox_identity()).ok())
            .and_then(|pkg| serde_json::to_value(pkg.public_view()).ok());
        Ok(PaymentDetails { payment, package })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DataDir, LockWait, Store};

    fn payment(n: u8, status: LocalStatus) -> ClientPayment {
        let secp = bitcoin::secp256k1::Secp256k1::signing_only();
        let key = bitcoin::secp256k1::SecretKey::from_slice(&[9; 32]).unwrap();
        ClientPayment {
            payment_id: PaymentId([n; 32]),
            direction: Direction::Outgoing,
            status,
            amount_sat: 1_000,
            fee_sat: 1,
            expiry: 2_000_000_000,
            created_at: 1_700_000_000 + u64::from(n),
            counterparty: NodeId(bitcoin::secp256k1::PublicKey::from_secret_key(&secp, &key)),
            channel_id: None,
            address: None,
            request: None,
            package_out: None,
            delivered: None,
            server_url: None,
            sealed: None,
            adaptor_signature: None,
            invoice: None,
            reason: None,
            scalar_revealed_at: None,
            confirmation_budget: None,
            payment_point: None,
            finished_at: None,
        }
    }

    fn ids(store: &Store) -> Vec<u8> {
        let (open, problems) = load_open_reporting(store).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        open.iter().map(|p| p.payment_id.0[0]).collect()
    }

    fn save(store: &Store, p: &ClientPayment) {
        store.transaction(|tx| save_payment(tx, p)).unwrap();
    }

    /// A wallet from before the open-payments record builds it from every payment record
    /// at its first look; from then on every save keeps it, and a look reads only it; a
    /// payment written without it (an older asyncpay) makes the next look build it again.
    #[test]
    fn the_open_payments_are_built_once_then_kept_by_every_save() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path(), LockWait::Fail).unwrap();
        let store = dir
            .create_with_passphrase(&age::secrecy::SecretString::from("pw".to_owned()), 10)
            .unwrap();
        // As an older asyncpay left them: records, no open-payments record.
        for (n, status) in [
            (1, LocalStatus::Paid),
            (2, LocalStatus::Pending),
            (3, LocalStatus::Received),
            (4, LocalStatus::Cancelled),
        ] {
            store
                .save_keyed(&PaymentId([n; 32]).to_string(), &payment(n, status))
                .unwrap();
        }
        assert!(store.load::<OpenPayments>().unwrap().is_none());
        assert_eq!(ids(&store), [2, 3]);
        let built = store
            .load::<OpenPayments>()
            .unwrap()
            .expect("built and written");
        assert_eq!(built.ids.len(), 2);

        save(&store, &payment(2, LocalStatus::Paid));
        save(&store, &payment(5, LocalStatus::Proposed));
        save(&store, &payment(3, LocalStatus::Sold));
        assert_eq!(ids(&store), [3, 5]);
        save(&store, &payment(5, LocalStatus::Failed));
        save(&store, &payment(3, LocalStatus::Paid));
        assert_eq!(ids(&store), Vec::<u8>::new());
        // What every record says, read in full, agrees.
        let (all, _) = load_all_reporting(&store).unwrap();
        assert!(all.iter().all(|p| p.status.is_final()));
        let kept = store.load::<OpenPayments>().unwrap().unwrap();
        assert_eq!(
            (kept.ids.len(), kept.records),
            (0, 5),
            "kept, not built again"
        );

        // An older asyncpay writes a payment without the record: the next look sees that
        // the record no longer accounts for every payment and builds it again.
        store
            .save_keyed(
                &PaymentId([6; 32]).to_string(),
                &payment(6, LocalStatus::Pending),
            )
            .unwrap();
        save(&store, &payment(7, LocalStatus::Proposed));
        assert_eq!(ids(&store), [6, 7]);
        assert_eq!(store.load::<OpenPayments>().unwrap().unwrap().records, 7);
    }
}
