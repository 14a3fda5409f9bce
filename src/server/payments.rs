//! S's side of the asynchronous payment (PROTOCOL.md §5): A's pending payment over A–S
//! state `n+1`, B's sale of `s_A` for a PTLC in the B–S channel, B's claim (S completes
//! A's update), delivery to A, and A's cancel.
//!
//! The sale and a cancel are decided under S's one lock and written to the payment's file
//! before any reply (PROTOCOL.md §7.2); each channel transition is written before the
//! message that depends on it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{channel_error, internal, random32, store_error, unhex, Inner, ServerCore};
use crate::crypto::adaptor::PreSignature;
use crate::eltoo::{ChannelState, Party, Ptlc};
use crate::keys::NodeId;
use crate::net::ApiError;
use crate::payment::sale::{
    claim_digest, claimed_state, payment_state, ptlc_outputs, ptlc_spend, sale_ptlc, sale_state,
    server_close_margin, server_fee, signed_timeout_claim, sold_ptlc, PtlcSpend, PtlcTiming,
    MAX_PAYMENT_EXPIRY_SECS,
};
use crate::payment::{Invoice, PaymentId};
use crate::protocol::hex::encode as hex;
use crate::protocol::{
    Channel, ChannelId, ChannelStatus, UpdateAccept, UpdateProposal, UpdateSignature,
};
use crate::store::StateFile;

/// The packages one confirmed coin of S's pays for within the window S has to rebind a
/// payer's `n+1` after the last claim: one confirmation budget when the PTLC expires at
/// `E_max` ([`PtlcTiming::latest_expiry`]), so one ([`ServerCore::check_fee_capacity`]).
pub(super) const FEE_PACKAGES_PER_COIN: usize = 1;

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// A signed state `n+1` and sent `s_A` to B; S has not bought it.
    Pending,
    /// B sold `s_A`: S offered B the PTLC for `T_A`; B has not claimed yet.
    Sold,
    /// B claimed: S completed A's update; A can collect invoice, scalar and S's partial.
    Paid,
    /// A cancelled before any sale; state `n+1` is superseded.
    Cancelled,
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Sold => "sold",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Cancelled => "cancelled",
        })
    }
}

/// S's record of one payment (`server-payments/<id>.age`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerPayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// A's node id.
    pub payer: NodeId,
    /// The A–S channel.
    pub payer_channel: ChannelId,
    /// B's node id.
    pub payee: NodeId,
    /// Amount B receives, satoshis.
    pub amount_sat: u64,
    /// S's fee, satoshis.
    pub fee_sat: u64,
    /// Unix time from which S no longer buys.
    pub expiry: u64,
    /// The A–S state number `n+1`.
    pub state_number: u32,
    /// Unix time S recorded the payment.
    pub created_at: u64,
    /// Where it is.
    pub status: PaymentStatus,
    /// B asked to sell while S runs with `--manual`: the sale waits for the operator.
    #[serde(default)]
    pub sale_queued: bool,
    /// The operator approved the sale (`server sales approve`).
    #[serde(default)]
    pub approved: bool,
    /// B's invoice, once B sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// The B–S channel carrying the PTLC, once sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee_channel: Option<ChannelId>,
    /// The number of the B–S state that carries the PTLC, once sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptlc_state: Option<u32>,
    /// S's adaptor pre-signature of B's claim (hex), once sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptor_signature: Option<String>,
    /// `s_A`, once B claimed (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<String>,
    /// S's partial signature on A–S state `n+1`, once B claimed (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_partial: Option<String>,
}

impl StateFile for ServerPayment {
    const FILE: &'static str = "server-payments";
    const KIND: &'static str = "asyncpay/server-payment";
    const VERSION: u32 = 1;
}

/// A → S, `POST /v1/payments`: a payment over the next A–S state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// A fresh payment id.
    pub payment_id: PaymentId,
    /// B's node id.
    pub payee: NodeId,
    /// Amount B receives, satoshis.
    pub amount_sat: u64,
    /// S's fee A pays, satoshis (at least S's policy fee).
    pub fee_sat: u64,
    /// Unix time from which S no longer buys.
    pub expiry: u64,
    /// A's proposal of state `n+1` (A's balance − amount − fee, S's + amount + fee).
    pub proposal: UpdateProposal,
}

/// B → S, `POST /v1/payments/sell`: B's invoice and B's proposal of the B–S state with the
/// PTLC for `T_A`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleRequest {
    /// B's signed invoice.
    pub invoice: Invoice,
    /// B's proposal: the latest B–S state with the invoice amount moved from S into a PTLC
    /// offered by S for the invoice's payment point.
    pub proposal: UpdateProposal,
}

/// S's answer to a sale: its nonce for the PTLC state and its APO adaptor pre-signature
/// for B's success claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaleAccepted {
    /// S accepts the B–S state.
    pub accept: UpdateAccept,
    /// S's adaptor pre-signature (65 bytes, hex) of B's claim, locked to `T_A`.
    pub adaptor_signature: String,
}

/// B → S, `POST /v1/payments/claim`: the scalar and B's proposal folding the PTLC into its
/// balance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// The payment.
    pub payment_id: PaymentId,
    /// `t = s_A` (32 bytes, hex).
    pub scalar: String,
    /// The B–S state without the PTLC, its amount added to B.
    pub proposal: UpdateProposal,
}

/// B → S, `POST /v1/payments/fail`: the payee gives a sold PTLC back to S off-chain
/// (it will not claim it, or the PTLC expired), with its proposal of the B–S state without
/// the PTLC, its amount returned to S.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailRequest {
    /// The payment.
    pub payment_id: PaymentId,
    /// The B–S state without the PTLC, its amount added to S.
    pub proposal: UpdateProposal,
}

/// The B–S state after the payee gave the PTLC for `point` back: the PTLC removed and its
/// amount returned to S (its offerer). `None` when `latest` has no PTLC for `point` offered
/// by S.
pub fn failed_state(
    latest: &ChannelState,
    number: u32,
    point: secp::Point,
) -> Option<ChannelState> {
    let index = latest
        .ptlcs
        .iter()
        .position(|p| p.point == point && p.offerer == Party::Server)?;
    let mut next = latest.clone();
    let ptlc = next.ptlcs.remove(index);
    next.number = number;
    next.server = next.server.checked_add(ptlc.amount)?;
    Some(next)
}

/// A → S, `POST /v1/payments/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The payment.
    pub payment_id: PaymentId,
}

/// A payment as S shows it to its payer or payee (`GET /v1/payments[/{id}]`). Invoice,
/// scalar and S's partial signature are shown to the payer only, once paid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentView {
    /// The payment.
    pub payment_id: PaymentId,
    /// Where it is.
    pub status: PaymentStatus,
    /// Whether the expiry has passed (S no longer buys).
    pub expired: bool,
    /// A's node id.
    pub payer: NodeId,
    /// B's node id.
    pub payee: NodeId,
    /// Amount, satoshis.
    pub amount_sat: u64,
    /// Fee, satoshis.
    pub fee_sat: u64,
    /// Expiry, unix seconds.
    pub expiry: u64,
    /// The A–S state number.
    pub state_number: u32,
    /// A sale waits for the operator's approval.
    pub sale_queued: bool,
    /// B's invoice (payer, once paid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// `s_A` (payer, once paid; hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<String>,
    /// S's partial signature on state `n+1` (payer, once paid; hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_partial: Option<String>,
}

fn now() -> u64 {
    crate::net::server::system_clock()
}

fn refused(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::conflict(code, message)
}

/// S's refusal of a payment or a sale over an update superseded above the latest state (a
/// cancelled payment's, or a sale S withdrew) while the state restoring the balances above
/// it is not signed (`restore_pending`).
fn restore_pending(number: u32) -> ApiError {
    refused(
        "restore_pending",
        format!(
            "the update to state {number} was superseded (a cancelled payment, or a sale S \
             withdrew), and the state restoring your balances above it is not signed yet: \
             sign it first (your wallet's next `asyncpay sync` or `asyncpay receive` does)"
        ),
    )
}

/// S's refusal of the payee's signature of a sale state S withdrew (`sale_withdrawn`): the
/// payee drops the state and may sell again.
pub(super) fn sale_withdrawn(message: String) -> ApiError {
    refused("sale_withdrawn", message)
}

fn wrong_scalar() -> ApiError {
    ApiError::bad_request(
        "wrong_scalar",
        "the scalar is not the payer's partial signature (t·G != T_A)",
    )
}

fn unknown_payment(id: &PaymentId) -> ApiError {
    ApiError::not_found(
        "unknown_payment",
        format!("no payment {id} for this node on this server"),
    )
}

impl ServerPayment {
    /// The payee asked to sell this pending payment and the operator has not approved it
    /// yet (`server run --manual`).
    pub fn waits_for_approval(&self) -> bool {
        self.status == PaymentStatus::Pending && self.sale_queued && !self.approved
    }

    fn view(&self, viewer: &NodeId, now: u64) -> PaymentView {
        let delivered = *viewer == self.payer && self.status == PaymentStatus::Paid;
        PaymentView {
            payment_id: self.payment_id,
            status: self.status,
            expired: now >= self.expiry,
            payer: self.payer,
            payee: self.payee,
            amount_sat: self.amount_sat,
            fee_sat: self.fee_sat,
            expiry: self.expiry,
            state_number: self.state_number,
            sale_queued: self.sale_queued && !self.approved,
            invoice: delivered.then(|| self.invoice.clone()).flatten(),
            scalar: delivered.then(|| self.scalar.clone()).flatten(),
            server_partial: delivered.then(|| self.server_partial.clone()).flatten(),
        }
    }

    /// Whether this payment holds the pending update of its A–S channel.
    fn holds_pending(&self) -> bool {
        matches!(self.status, PaymentStatus::Pending | PaymentStatus::Sold)
    }
}

/// S's payments in memory, with the ones in flight (pending or sold) kept apart: the steps
/// of a payment look only at those, so a payment costs S the same after a million others;
/// and each node's (as payer or payee), for the node's listing.
#[derive(Default)]
pub(super) struct PaymentBook {
    all: BTreeMap<PaymentId, ServerPayment>,
    in_flight: BTreeSet<PaymentId>,
    by_node: HashMap<NodeId, BTreeSet<PaymentId>>,
}

impl PaymentBook {
    /// Keeps `p` (written already), replacing what was kept of it.
    pub(super) fn insert(&mut self, p: ServerPayment) {
        if p.holds_pending() {
            self.in_flight.insert(p.payment_id);
        } else {
            self.in_flight.remove(&p.payment_id);
        }
        let id = p.payment_id;
        let nodes = [p.payer, p.payee];
        if let Some(old) = self.all.insert(id, p) {
            for node in [old.payer, old.payee] {
                if !nodes.contains(&node) {
                    if let Some(ids) = self.by_node.get_mut(&node) {
                        ids.remove(&id);
                        if ids.is_empty() {
                            self.by_node.remove(&node);
                        }
                    }
                }
            }
        }
        for node in nodes {
            self.by_node.entry(node).or_default().insert(id);
        }
    }

    /// `node`'s payments (as payer or payee), by id.
    pub(super) fn of<'a>(&'a self, node: &NodeId) -> impl Iterator<Item = &'a ServerPayment> + 'a {
        self.by_node
            .get(node)
            .into_iter()
            .flatten()
            .map(|id| &self.all[id])
    }

    pub(super) fn get(&self, id: &PaymentId) -> Option<&ServerPayment> {
        self.all.get(id)
    }

    /// Every payment, by id.
    pub(super) fn values(&self) -> impl Iterator<Item = &ServerPayment> {
        self.all.values()
    }

    /// The payments pending or sold, by id.
    pub(super) fn in_flight(&self) -> impl Iterator<Item = &ServerPayment> {
        self.in_flight.iter().map(|id| &self.all[id])
    }
}

/// Whether payment `p` (one of [`payment_of_pending`]) is under way at `now`: sold, or
/// pending and still for sale. A pending payment past its expiry is sold to no one (`sell`
/// refuses it) and holds nothing of S's: its payer's channel may be closed under it (the
/// payer never cancelling it must not keep S's inbound capacity, nor its stake checks, at
/// bay for good).
pub(super) fn under_way(p: &ServerPayment, now: u64) -> bool {
    p.status != PaymentStatus::Pending || now < p.expiry
}

/// The payment (pending or sold) whose A–S state is `channel`'s pending update, if any.
pub(super) fn payment_of_pending<'a>(
    inner: &'a Inner,
    channel: &Channel,
) -> Option<&'a ServerPayment> {
    let pending = channel.pending()?;
    inner
        .payments
        .in_flight()
        .find(|p| p.payer_channel == channel.id() && p.state_number == pending.next().number)
}

impl ServerCore {
    fn save_payment(&self, p: &ServerPayment) -> Result<(), ApiError> {
        self.store
            .save_keyed(&p.payment_id.to_string(), p)
            .map_err(store_error)
    }

    /// Writes `p` and keeps it in memory (only once written).
    fn commit_payment(&self, inner: &mut Inner, p: ServerPayment) -> Result<(), ApiError> {
        self.save_payment(&p)?;
        inner.payments.insert(p);
        Ok(())
    }

    /// Replaces the channel `id` with `next` once `next` is written.
    pub(super) fn commit_channel(
        &self,
        inner: &mut Inner,
        id: &ChannelId,
        next: Channel,
    ) -> Result<(), ApiError> {
        self.commit_step(inner, vec![(*id, next)], Vec::new())
    }

    /// One protocol step: the channels' next states and the payments, written in one
    /// transaction (all or none), then taken in memory.
    pub(super) fn commit_step(
        &self,
        inner: &mut Inner,
        channels: Vec<(ChannelId, Channel)>,
        payments: Vec<ServerPayment>,
    ) -> Result<(), ApiError> {
        let mut old = Vec::with_capacity(channels.len());
        for (id, next) in channels {
            let ch = inner
                .channels
                .get_mut(&id)
                .expect("the caller checked the channel");
            old.push((id, std::mem::replace(&mut ch.channel, next)));
        }
        // A panic while writing (a serializer bug) reverts memory too: memory never runs
        // ahead of the disk.
        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.store.transaction(|tx| {
                for (id, _) in &old {
                    tx.save_keyed(&id.to_string(), &inner.channels[id])?;
                }
                for p in &payments {
                    tx.save_keyed(&p.payment_id.to_string(), p)?;
                }
                Ok(())
            })
        }));
        if !matches!(saved, Ok(Ok(()))) {
            for (id, channel) in old {
                inner.channels.get_mut(&id).expect("swapped above").channel = channel;
            }
            match saved {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(Err(e)) => return Err(store_error(e)),
                Ok(Ok(())) => unreachable!("matched above"),
            }
        }
        for (id, _) in &old {
            let ch = inner.channels.get_mut(id).expect("swapped above");
            ch.channel.release_stored_history();
        }
        for p in payments {
            inner.payments.insert(p);
        }
        Ok(())
    }

    /// Before the client's proposal of state `proposed` on channel `id`: drops the pending
    /// update when S has not signed it and no payment holds it (a client restarting an
    /// update after a crash), and takes back S's supersede of update `proposed`.
    pub(super) fn drop_stale_pending(
        &self,
        inner: &mut Inner,
        id: &ChannelId,
        proposed: u32,
    ) -> Result<(), ApiError> {
        let ch = &inner.channels[id];
        let stale = ch
            .channel
            .pending()
            .is_some_and(|p| p.local_partial().is_none())
            && payment_of_pending(inner, &ch.channel).is_none();
        let dropped = if stale {
            Some(ch.channel.cancel_pending().map_err(channel_error)?)
        } else {
            None
        };
        // A sale S withdrew, which the payee had not signed: it dropped the state without
        // superseding and proposes its number again. S signed nothing with that number, so
        // it is free. (Not a cancelled payment's: the payer signs the state restoring its
        // balance above it, `restore_pending`.)
        let current = dropped.as_ref().unwrap_or(&ch.channel);
        let taken_back = match ch.withdrawn_sale {
            Some(number) if number == proposed => current.take_back_supersede(number),
            _ => None,
        };
        let withdrawn = ch.withdrawn_sale.filter(|_| taken_back.is_none());
        match taken_back.or(dropped) {
            Some(next) => self.commit_withdrawn(inner, id, next, withdrawn, Vec::new()),
            None => Ok(()),
        }
    }

    /// [`ServerCore::commit_step`] of channel `id`'s next state and `payments`, with its
    /// `withdrawn_sale` set to `withdrawn`.
    fn commit_withdrawn(
        &self,
        inner: &mut Inner,
        id: &ChannelId,
        next: Channel,
        withdrawn: Option<u32>,
        payments: Vec<ServerPayment>,
    ) -> Result<(), ApiError> {
        let ch = inner
            .channels
            .get_mut(id)
            .expect("the caller checked the channel");
        let before = std::mem::replace(&mut ch.withdrawn_sale, withdrawn);
        let done = self.commit_step(inner, vec![(*id, next)], payments);
        if done.is_err() {
            inner
                .channels
                .get_mut(id)
                .expect("looked up above")
                .withdrawn_sale = before;
        }
        done
    }

    /// A asks for a payment over state `n+1` (PROTOCOL.md §5 step 1). S records it as
    /// pending with its nonce for `n+1` and answers with that nonce; S does not sign.
    pub fn create_payment(
        &self,
        payer: &NodeId,
        req: PaymentRequest,
    ) -> Result<UpdateAccept, ApiError> {
        let rand = random32()?;
        let now = now();
        let mut inner = self.lock();
        let id = req.proposal.channel_id;
        self.refresh_funding(Self::owned(&mut inner, payer, &id)?)?;
        if let Some(known) = inner.payments.get(&req.payment_id) {
            return self.payment_again(&inner, payer, known, &req);
        }
        if req.payee == *payer {
            return Err(ApiError::bad_request(
                "invalid_payment",
                "a payment to yourself through S changes nothing; use another payee",
            ));
        }
        let dust = inner.settings.policy.dust_limit_sat;
        if req.amount_sat < dust {
            return Err(ApiError::bad_request(
                "invalid_payment",
                format!("the amount must be at least the dust limit of {dust} sat (a smaller PTLC could not be enforced on chain)"),
            ));
        }

        if req.expiry <= now || req.expiry > now + MAX_PAYMENT_EXPIRY_SECS {
            return Err(ApiError::bad_request(
                "invalid_expiry",
                format!(
                    "the expiry must be in the future and at most {} days away",
                    MAX_PAYMENT_EXPIRY_SECS / 86_400
                ),
            ));
        }
        let fee = server_fee(req.amount_sat, inner.settings.policy.fee_ppm);
        if req.fee_sat < fee {
            return Err(ApiError::bad_request(
                "fee_too_low",
                format!(
                    "S's fee for {} sat is {fee} sat ({} ppm); the request offers {}",
                    req.amount_sat, inner.settings.policy.fee_ppm, req.fee_sat
                ),
            ));
        }
        let ch = &inner.channels[&id];
        if let Some(p) = payment_of_pending(&inner, &ch.channel) {
            return Err(refused(
                "payment_pending",
                format!(
                    "payment {} is still pending on this channel; one pending payment per \
                     channel in this version: wait for it or cancel it",
                    p.payment_id
                ),
            ));
        }
        self.drop_stale_pending(&mut inner, &id, req.proposal.number)?;
        let ch = &inner.channels[&id];
        if ch.channel.status() != ChannelStatus::Open {
            return Err(refused(
                "channel_not_open",
                format!("the channel is {}, not open", ch.channel.status()),
            ));
        }
        // A cancelled payment's update was superseded: the payer signs the state restoring
        // its balance before it pays again. (Else a payer could create and cancel payments
        // forever without signing anything, each round adding to the channel's record.)
        if let Some(number) = ch.channel.superseded() {
            return Err(restore_pending(number));
        }
        let latest = ch
            .channel
            .latest()
            .expect("an open channel has a signed state");
        let expected = payment_state(
            &latest.state,
            ch.channel.next_number(),
            bitcoin::Amount::from_sat(req.amount_sat),
            bitcoin::Amount::from_sat(req.fee_sat),
        )
        .map_err(|e| refused("insufficient_balance", e.to_string()))?;
        let (channel, accept) = ch
            .channel
            .accept(&req.proposal, rand, exactly(&expected))
            .map_err(channel_error)?;
        let payment = ServerPayment {
            payment_id: req.payment_id,
            payer: *payer,
            payer_channel: id,
            payee: req.payee,
            amount_sat: req.amount_sat,
            fee_sat: req.fee_sat,
            expiry: req.expiry,
            state_number: expected.number,
            created_at: now,
            status: PaymentStatus::Pending,
            sale_queued: false,
            approved: false,
            invoice: None,
            payee_channel: None,
            ptlc_state: None,
            adaptor_signature: None,
            scalar: None,
            server_partial: None,
        };
        // The channel (with S's nonce) and the payment record in one step.
        self.commit_step(&mut inner, vec![(id, channel)], vec![payment])?;
        Ok(accept)
    }

    /// The same payment request again (A resending after a crash): the same answer, or a
    /// clear error when the id is reused for something else.
    fn payment_again(
        &self,
        inner: &Inner,
        payer: &NodeId,
        known: &ServerPayment,
        req: &PaymentRequest,
    ) -> Result<UpdateAccept, ApiError> {
        let same = known.payer == *payer
            && known.payee == req.payee
            && known.amount_sat == req.amount_sat
            && known.fee_sat == req.fee_sat
            && known.expiry == req.expiry
            && known.payer_channel == req.proposal.channel_id
            && known.state_number == req.proposal.number;
        if !same {
            return Err(refused(
                "payment_exists",
                format!(
                    "payment id {} is already used; pay with a new id",
                    known.payment_id
                ),
            ));
        }
        let ch = &inner.channels[&known.payer_channel];
        match ch.channel.pending() {
            Some(p) if known.holds_pending() && p.next().number == known.state_number => {
                Ok(UpdateAccept {
                    channel_id: known.payer_channel,
                    number: known.state_number,
                    nonce: p.local_nonce().to_bytes(),
                })
            }
            _ => Err(refused(
                "payment_exists",
                format!("payment {} is already {}", known.payment_id, known.status),
            )),
        }
    }

    /// B sells `s_A` (PROTOCOL.md §5 step 3): S checks every condition of the sale, marks
    /// the payment sold (durably, before anything leaves), accepts B's PTLC state and
    /// gives B its adaptor pre-signature for the claim.
    pub fn sell(&self, payee: &NodeId, req: SaleRequest) -> Result<SaleAccepted, ApiError> {
        let rand = random32()?;
        let aux = random32()?;
        let now = now();
        let manual = self.manual();
        // The payee's signature needs nothing of S's state: checked before S's lock.
        let invoice = req.invoice;
        invoice
            .verify()
            .map_err(|e| ApiError::bad_request("invalid_invoice", e.to_string()))?;
        let id = invoice.payment_id();
        // The payer's channel and B's, looked at on chain before S's lock (ADR 0015).
        let mut inner = self.lock_after_looks("sell", |inner| {
            let b = req.proposal.channel_id;
            match inner.payments.get(&id) {
                Some(p) if p.payee == *payee => {
                    let mine = inner.channels.get(&b).is_some_and(|c| c.client == *payee);
                    std::iter::once(p.payer_channel)
                        .chain(mine.then_some(b))
                        .collect()
                }
                _ => Vec::new(),
            }
        });
        let mut payment = match inner.payments.get(&id) {
            Some(p) if p.payee == *payee => p.clone(),
            _ => return Err(unknown_payment(&id)),
        };
        if invoice.payee() != *payee {
            return Err(ApiError::forbidden(
                "wrong_payee",
                "the invoice must be signed by the payee the payer named (this node)",
            ));
        }
        match payment.status {
            PaymentStatus::Pending => {}
            PaymentStatus::Sold
                if payment.invoice.as_ref().map(Invoice::fields) == Some(invoice.fields()) =>
            {
                // B resending after a crash: fine while the PTLC state is not signed.
                let signed = payment.payee_channel.is_some_and(|b| {
                    inner.channels[&b].channel.latest().is_some_and(|l| {
                        l.state
                            .ptlcs
                            .iter()
                            .any(|p| p.point == invoice.payment_point())
                    })
                });
                if signed {
                    return Err(refused(
                        "already_sold",
                        format!("payment {id} is already sold to you: claim it"),
                    ));
                }
            }
            PaymentStatus::Sold => {
                return Err(refused(
                    "already_sold",
                    format!("payment {id} is already sold"),
                ))
            }
            PaymentStatus::Paid => {
                return Err(refused(
                    "already_paid",
                    format!("payment {id} is already paid"),
                ))
            }
            PaymentStatus::Cancelled => {
                return Err(refused(
                    "payment_cancelled",
                    format!("payment {id} was cancelled by the payer; S does not buy it"),
                ))
            }
        }
        // A sale resent after a crash is a sale too: none after the payment's expiry. The
        // payee asking again has not signed the first attempt's state (an honest one drops
        // it first): S withdraws it now, for the payer to cancel, rather than at its deadline
        // (`watch_sold`).
        if now >= payment.expiry {
            if let Some(b_id) = payment
                .payee_channel
                .filter(|_| Self::sale_state_pending(&inner, &payment))
            {
                self.withdraw_sale(&mut inner, &b_id, vec![payment])?;
            }
            return Err(refused(
                "payment_expired",
                format!("payment {id} expired; S no longer buys it"),
            ));
        }
        if invoice.amount_sat() != payment.amount_sat || invoice.expiry() != payment.expiry {
            return Err(ApiError::bad_request(
                "invoice_mismatch",
                format!(
                    "the invoice says {} sat expiring at {}, the payment is {} sat expiring at {}",
                    invoice.amount_sat(),
                    invoice.expiry(),
                    payment.amount_sat,
                    payment.expiry
                ),
            ));
        }
        // The tip `h` of PROTOCOL.md §4.1, read once and before S looks at A–S: a view of
        // the channel at least as new as `h` then shows it open through block `h`, which the
        // window assumes (a tip read after the look could be a block the look did not see,
        // holding the payer's close). Every timing check of this sale uses this one value.
        // It is the tip of the looks made before the lock, if any: a look at A–S taken
        // from them is of that very view, and one made now is newer.
        let tip = self.tip_for_checks(&inner)?;
        // The A–S channel is open (no close under way: S must be able to enforce n+1), and
        // state n+1 is still its newest, pending, unsigned by S; T_A is S's own point. A
        // look that fails stops the sale (`chain_unavailable`).
        self.refresh_channel(&mut inner, &payment.payer_channel)?;
        let payer_channel = &inner.channels[&payment.payer_channel].channel;
        if payer_channel.status() != ChannelStatus::Open {
            return Err(refused(
                "payment_superseded",
                format!(
                    "the payer's channel is {}; S does not buy a payment it could not enforce",
                    payer_channel.status()
                ),
            ));
        }
        // S pays the payee out of its own funds: never against a payer's funding below its
        // minimum depth (at least one block; a reorganization took blocks away since the
        // channel opened): the payer could still spend its funding's coins elsewhere once
        // its payee was paid.
        if payer_channel.funding_below_depth() {
            return Err(refused(
                "payer_funding_unconfirmed",
                format!(
                    "the payer's channel funding has {} of its {} confirmations; S buys the \
                     payment once it has them again: receive again after the next blocks \
                     (if it never confirms, the payment expires)",
                    payer_channel.confirmations(),
                    payer_channel.minimum_depth().max(1)
                ),
            ));
        }
        let newest = payer_channel.pending().is_some_and(|p| {
            p.next().number == payment.state_number && p.local_partial().is_none()
        });
        if !newest {
            return Err(refused(
                "payment_superseded",
                format!(
                    "state {} is no longer the newest A–S state",
                    payment.state_number
                ),
            ));
        }
        let point = payer_channel
            .payment_point(Party::Client)
            .map_err(channel_error)?;
        if invoice.payment_point() != point {
            return Err(ApiError::bad_request(
                "wrong_point",
                "the invoice's payment point is not the point of the payer's partial signature \
                 in S's session; S does not buy it",
            ));
        }
        // The B–S channel: B's proposal must be exactly the PTLC state.
        let b_id = req.proposal.channel_id;
        self.refresh_funding(Self::owned(&mut inner, payee, &b_id)?)?;
        // A fresh look at B–S too (fails closed): S offers no PTLC in a channel that is
        // already closing on chain (its pre-signature would leave for a state that can
        // never be signed, and the payment would stay sold with nothing to enforce).
        self.refresh_channel(&mut inner, &b_id)?;
        if let Some(known) = payment.payee_channel {
            if known != b_id {
                return Err(refused("already_sold", "the sale runs on another channel"));
            }
        }
        self.drop_stale_pending(&mut inner, &b_id, req.proposal.number)?;
        let b = &inner.channels[&b_id];
        // As for a payment: no sale over an update superseded above the latest state (a
        // withdrawn sale the payee signed) until the state restoring the balances above it is
        // signed, so that S never supersedes twice over the same latest state.
        if let Some(number) = b.channel.superseded() {
            return Err(restore_pending(number));
        }
        // A sale resent after a crash is counted as held only while its state is pending or
        // signed: one whose state another sale's dropped above (the payee, or a copy of its
        // wallet, sold another payment over the same number) holds nothing now, and is
        // checked as a new sale is. Else a payer and a payee together would sell payment
        // after payment against one coin, the earlier ones resent and signed later.
        if !Self::sale_counted(&inner, &payment) {
            self.check_fee_capacity(&mut inner, tip)?;
        }
        let b = &inner.channels[&b_id];
        // S's expiry (PROTOCOL.md §4.1): late enough that the payee can take the PTLC on
        // chain, early enough that S completes state n+1 from a claim before the payer's
        // channel could settle an older state.
        let timing = PtlcTiming {
            payer_delay: inner.channels[&payment.payer_channel]
                .channel
                .params()
                .shared_delay,
            payee_delay: b.channel.params().shared_delay,
            budget: inner.settings.policy.confirmation_budget,
        };
        timing
            .window(tip)
            .map_err(|e| refused("ptlc_timing", format!("S does not sell this payment: {e}")))?;
        let proposed = req
            .proposal
            .next_state()
            .map_err(|e| ApiError::bad_request("invalid_message", e.to_string()))?;
        let expiry = match proposed.ptlcs.last() {
            Some(p) => {
                timing
                    .check(tip, p.expiry)
                    .map_err(|e| ApiError::bad_request("invalid_ptlc", e.to_string()))?;
                p.expiry
            }
            None => {
                return Err(ApiError::bad_request(
                    "invalid_ptlc",
                    format!(
                        "the proposal has no PTLC; S offers one expiring at height {}",
                        timing.offered_expiry(tip)
                    ),
                ))
            }
        };
        // One PTLC per payment point in a channel (twin outputs would share a claim).
        if b.channel
            .latest()
            .is_some_and(|l| l.state.ptlcs.iter().any(|p| p.point == point))
        {
            return Err(refused(
                "duplicate_ptlc",
                "the channel already holds a PTLC for this payment point; S offers no second",
            ));
        }
        if b.channel.status() != ChannelStatus::Open {
            return Err(refused(
                "channel_not_open",
                format!("the payee's channel is {}, not open", b.channel.status()),
            ));
        }
        let latest = &b.channel.latest().expect("open channel").state;
        let ptlc = sale_ptlc(bitcoin::Amount::from_sat(payment.amount_sat), point, expiry);
        let expected = sale_state(latest, b.channel.next_number(), ptlc.clone())
            .map_err(|e| refused("server_cannot_pay", format!("S cannot offer the PTLC: {e}")))?;
        let (channel, accept) = b
            .channel
            .accept(&req.proposal, rand, exactly(&expected))
            .map_err(channel_error)?;
        let secrets = b.secrets(&self.keys);
        // Everything checks: with `--manual` the sale now waits for the operator (S's new
        // nonce is dropped unused).
        if manual && !payment.approved && payment.status == PaymentStatus::Pending {
            if !payment.sale_queued {
                payment.sale_queued = true;
                self.commit_payment(&mut inner, payment)?;
            }
            return Err(refused(
                "sale_queued",
                format!(
                    "S's operator approves each sale by hand; payment {id} waits for \
                     `asyncpay server sales approve {id}`; try again after that"
                ),
            ));
        }
        let digest = claim_digest(channel.params(), &ptlc).map_err(internal)?;
        let secret = secrets.ptlc_scalar();
        let pre = PreSignature::sign(secret, &digest, point, aux);
        // The sale is decided and written before S's nonce or pre-signature leaves; S keeps
        // its pre-signature to extract `t` from B's claim if B claims on chain.
        payment.status = PaymentStatus::Sold;
        payment.invoice = Some(invoice);
        payment.payee_channel = Some(b_id);
        payment.ptlc_state = Some(expected.number);
        payment.adaptor_signature = Some(hex(&pre.to_bytes()));
        self.commit_step(&mut inner, vec![(b_id, channel)], vec![payment])?;
        Ok(SaleAccepted {
            accept,
            adaptor_signature: hex(&pre.to_bytes()),
        })
    }

    /// B claims (PROTOCOL.md §5 step 4): S checks `t·G = T_A` as A's partial signature,
    /// completes A's update `n+1` and writes it, then accepts B's state folding the PTLC
    /// into B's balance.
    pub fn claim(&self, payee: &NodeId, req: ClaimRequest) -> Result<UpdateAccept, ApiError> {
        let rand = random32()?;
        let mut inner = self.lock();
        let id = req.payment_id;
        let mut payment = match inner.payments.get(&id) {
            Some(p) if p.payee == *payee => p.clone(),
            _ => return Err(unknown_payment(&id)),
        };
        let scalar: [u8; 32] = unhex("scalar", &req.scalar)?;
        let b_id = match (payment.status, payment.payee_channel) {
            (PaymentStatus::Sold | PaymentStatus::Paid, Some(b_id)) => b_id,
            (status, _) => {
                return Err(refused(
                    "not_sold",
                    format!("payment {id} is {status}; only a sold payment can be claimed"),
                ))
            }
        };
        // B is paid only through a signed PTLC state: S completes A's update only then.
        Self::check_ptlc_channel(
            &inner,
            &payment,
            b_id,
            req.proposal.channel_id,
            "claim it on chain (`asyncpay claim`)",
        )?;
        let point = payment
            .invoice
            .as_ref()
            .expect("a sold payment has its invoice")
            .payment_point();
        if payment.status == PaymentStatus::Sold {
            // Off-chain only before the PTLC's expiry `E`: from then on S takes it back by its
            // timeout, and the timing window (§4.1), which assumes a claim by block `E`, no
            // longer keeps S able to rebind A's `n+1` (refusing at tip `E` is a block
            // stricter than the window needs). An honest payee stops revealing long before
            // (`payee_enforce_blocks`). A tip S cannot read now refuses nothing: this guards
            // S against a late payee when its own close at its margin did not go out.
            let expiry = inner.channels[&b_id]
                .channel
                .latest()
                .and_then(|l| l.state.ptlcs.iter().find(|x| x.point == point))
                .map(|x| x.expiry)
                .expect("the PTLC is in the latest state (checked above)");
            if let Some(tip) = self.chain.tip_height().ok().filter(|&tip| tip >= expiry) {
                return Err(refused(
                    "ptlc_expired",
                    format!(
                        "the PTLC expired at height {expiry} (the tip is {tip}): it can no \
                         longer be claimed off-chain, and S takes it back by its timeout"
                    ),
                ));
            }
            if let Some(line) = self.complete_payer_update(&mut inner, &mut payment, scalar)? {
                tracing::info!("payment {id}: {line}");
            }
        } else if payment.scalar.as_deref() != Some(hex(&scalar).as_str()) {
            return Err(wrong_scalar());
        }
        self.drop_stale_pending(&mut inner, &b_id, req.proposal.number)?;
        let b = &inner.channels[&b_id];
        let latest = &b.channel.latest().expect("checked above").state;
        let amount = bitcoin::Amount::from_sat(payment.amount_sat);
        let expected = claimed_state(latest, b.channel.next_number(), point, amount)
            .expect("the PTLC is in the latest state (checked above)");
        let (channel, accept) = b
            .channel
            .accept(&req.proposal, rand, exactly(&expected))
            .map_err(channel_error)?;
        self.commit_channel(&mut inner, &b_id, channel)?;
        Ok(accept)
    }

    /// What a claim and a give-back of a sold PTLC both need: the proposal is for the
    /// channel `b_id` carrying the PTLC, that channel is open (`on_closing` says what happens
    /// instead), and its latest signed state holds the PTLC.
    fn check_ptlc_channel(
        inner: &Inner,
        payment: &ServerPayment,
        b_id: ChannelId,
        proposal_channel: ChannelId,
        on_closing: &str,
    ) -> Result<(), ApiError> {
        if proposal_channel != b_id {
            return Err(ApiError::bad_request(
                "wrong_channel",
                "the proposal must update the channel that carries the PTLC",
            ));
        }
        if inner.channels[&b_id].channel.status() != ChannelStatus::Open {
            return Err(refused(
                "channel_not_open",
                format!("the channel carrying the PTLC is closing: {on_closing}"),
            ));
        }
        if !Self::ptlc_signed(inner, payment) {
            return Err(refused(
                "ptlc_missing",
                "the latest signed state of the channel has no PTLC for this payment; finish \
                 signing the PTLC state first (or it is already claimed or given back)",
            ));
        }
        Ok(())
    }

    /// The payee gives a sold PTLC back off-chain (issue 9 item 10): B proposes the B–S state
    /// without the PTLC, its amount returned to S. S accepts it whenever the PTLC is in the
    /// latest signed state of an open channel (a state that only returns S's money). The
    /// payment becomes cancelled — and A's state `n+1` superseded, A's balance coming back
    /// with its next sync — only once that state is completed ([`Self::reconcile_failed_sales`]),
    /// never on the proposal alone: until then B can still claim on chain.
    pub fn fail(&self, payee: &NodeId, req: FailRequest) -> Result<UpdateAccept, ApiError> {
        let rand = random32()?;
        let mut inner = self.lock();
        let id = req.payment_id;
        let payment = match inner.payments.get(&id) {
            Some(p) if p.payee == *payee => p.clone(),
            _ => return Err(unknown_payment(&id)),
        };
        let b_id = match (payment.status, payment.payee_channel) {
            (PaymentStatus::Sold, Some(b_id)) => b_id,
            (status, _) => {
                return Err(refused(
                    "not_sold",
                    format!("payment {id} is {status}; only a sold PTLC can be given back"),
                ))
            }
        };
        Self::check_ptlc_channel(
            &inner,
            &payment,
            b_id,
            req.proposal.channel_id,
            "it is settled on chain",
        )?;
        let point = payment
            .invoice
            .as_ref()
            .expect("a sold payment has its invoice")
            .payment_point();
        self.drop_stale_pending(&mut inner, &b_id, req.proposal.number)?;
        let b = &inner.channels[&b_id];
        let latest = &b.channel.latest().expect("checked above").state;
        let expected = failed_state(latest, b.channel.next_number(), point).ok_or_else(|| {
            refused(
                "ptlc_missing",
                "the PTLC cannot be returned to S in this state",
            )
        })?;
        let (channel, accept) = b
            .channel
            .accept(&req.proposal, rand, exactly(&expected))
            .map_err(channel_error)?;
        self.commit_channel(&mut inner, &b_id, channel)?;
        Ok(accept)
    }

    /// Before S completes the pending state of B–S channel `b_id`: every PTLC it adds must be
    /// a sold payment's whose sale still holds now (PROTOCOL.md §4.1, §7.4): S can still
    /// force-close in time (`tip + server_close_margin < expiry`), and the payer's channel is
    /// open with state `n+1` pending, unsigned by S. Otherwise S drops its pending sale state
    /// (first the payment goes back to pending) and refuses the signature: S never pays for
    /// a `t` it could not use.
    pub(super) fn recheck_sale_state(
        &self,
        inner: &mut Inner,
        b_id: &ChannelId,
    ) -> Result<(), ApiError> {
        let ch = &inner.channels[b_id].channel;
        let added = added_ptlcs(ch);
        if added.is_empty() {
            return Ok(());
        }
        let payee_delay = ch.params().shared_delay;
        let budget = inner.settings.policy.confirmation_budget;
        let tip = self.tip_for_checks(inner)?;
        let mut problem = None;
        let mut sold = Vec::new();
        for ptlc in &added {
            let Some(payment) = sold_with_ptlc(inner, b_id, ptlc).cloned() else {
                problem = Some("the PTLC it adds belongs to no sold payment".to_string());
                break;
            };
            let margin = server_close_margin(payee_delay, budget);
            if tip + margin >= ptlc.expiry {
                problem = Some(format!(
                    "payment {}: at height {tip} the PTLC expiring at {} leaves S less than \
                     {margin} blocks to enforce it",
                    payment.payment_id, ptlc.expiry
                ));
            } else {
                self.refresh_channel(inner, &payment.payer_channel)?;
                let a = &inner.channels[&payment.payer_channel].channel;
                let newest = a.pending().is_some_and(|p| {
                    p.next().number == payment.state_number && p.local_partial().is_none()
                });
                if a.status() != ChannelStatus::Open {
                    problem = Some(format!(
                        "payment {}: the payer's channel is {}",
                        payment.payment_id,
                        a.status()
                    ));
                } else if a.funding_below_depth() {
                    problem = Some(format!(
                        "payment {}: the payer's channel funding has {} confirmations",
                        payment.payment_id,
                        a.confirmations()
                    ));
                } else if !newest {
                    problem = Some(format!(
                        "payment {}: state {} is no longer the newest A–S state",
                        payment.payment_id, payment.state_number
                    ));
                }
            }
            sold.push(payment);
            if problem.is_some() {
                break;
            }
        }
        let Some(problem) = problem else {
            return Ok(());
        };
        self.withdraw_sale(inner, b_id, sold)?;
        Err(sale_withdrawn(format!(
            "S does not complete this PTLC state: {problem}; S dropped it and no longer stands \
             by the sale"
        )))
    }

    /// The payers' channels of the sold payments whose PTLCs the pending update of B–S
    /// channel `b_id` adds: those [`Self::recheck_sale_state`] looks at.
    pub(super) fn payers_of_added_ptlcs(inner: &Inner, b_id: &ChannelId) -> Vec<ChannelId> {
        let Some(ch) = inner.channels.get(b_id) else {
            return Vec::new();
        };
        added_ptlcs(&ch.channel)
            .iter()
            .filter_map(|ptlc| sold_with_ptlc(inner, b_id, ptlc))
            .map(|p| p.payer_channel)
            .collect()
    }

    /// Drops S's pending sale state of B–S channel `b_id`, unsigned by S, and puts `sold`,
    /// the payments it sells, back to pending, in one step: S no longer stands by the sale.
    /// On an open channel the state is superseded, not just dropped: the payee may have
    /// signed it, and drops it in turn when S refuses its signature (`sale_withdrawn`), so
    /// the next state on both sides is numbered above it and rebinds over it.
    fn withdraw_sale(
        &self,
        inner: &mut Inner,
        b_id: &ChannelId,
        mut sold: Vec<ServerPayment>,
    ) -> Result<(), ApiError> {
        for p in &mut sold {
            p.status = PaymentStatus::Pending;
            p.invoice = None;
            p.payee_channel = None;
            p.ptlc_state = None;
            p.adaptor_signature = None;
        }
        let ch = &inner.channels[b_id];
        let c = &ch.channel;
        let unsigned = c.pending().filter(|u| u.local_partial().is_none());
        let (next, withdrawn) = match unsigned {
            Some(u) if c.status() == ChannelStatus::Open && c.latest().is_some() => {
                let number = u.next().number;
                (c.supersede_pending(), Some(number))
            }
            _ => (c.cancel_pending(), ch.withdrawn_sale),
        };
        let next = next.map_err(channel_error)?;
        self.commit_withdrawn(inner, b_id, next, withdrawn, sold)
    }

    /// Sold payments whose PTLC left the latest signed B–S state without a claim (the payee
    /// gave it back): cancelled, and A's state `n+1` superseded. Run when S completes a B–S
    /// state and at startup (a crash between the two writes).
    pub(super) fn reconcile_failed_sales(&self, inner: &mut Inner) {
        let failed: Vec<ServerPayment> = inner
            .payments
            .in_flight()
            .filter(|p| {
                let (Some(b), Some(k), Some(invoice)) = (p.payee_channel, p.ptlc_state, &p.invoice)
                else {
                    return false;
                };
                let point = invoice.payment_point();
                let payer_completed = inner.channels[&p.payer_channel]
                    .channel
                    .latest()
                    .is_some_and(|l| l.state.number >= p.state_number);
                // Only an open B–S channel: on a closing one the settled state decides, and
                // S's timeout claim takes the PTLC back (`watch_sold`).
                p.status == PaymentStatus::Sold
                    && !payer_completed
                    && inner.channels[&b].channel.status() == ChannelStatus::Open
                    && inner.channels[&b].channel.latest().is_some_and(|l| {
                        l.state.number > k && !l.state.ptlcs.iter().any(|x| x.point == point)
                    })
            })
            .cloned()
            .collect();
        for mut p in failed {
            p.status = PaymentStatus::Cancelled;
            let done = self
                .commit_payment(inner, p.clone())
                .and_then(|()| self.supersede_cancelled(inner, &p));
            if let Err(e) = done {
                inner.quarantined.push(super::Quarantined {
                    what: format!("payment {}", p.payment_id),
                    reason: format!(
                        "the payee gave its PTLC back but the payment could not be cancelled \
                         ({}); S keeps watching both channels",
                        e.message()
                    ),
                });
            }
        }
    }

    /// With `scalar = s_A` (from B's claim, or extracted from B's claim on chain): checks it
    /// as A's partial signature on `n+1` (this is `t·G = T_A`), signs `n+1` with S's stored
    /// nonce, and writes the completed A–S channel and the payment as paid in one
    /// transaction. `n+1` found completed already (a data dir of a release that wrote the
    /// two apart, interrupted between them): `t·G = T_A` is checked against the invoice's
    /// point (S's own point, checked at the sale) and only the payment is written.
    fn complete_payer_update(
        &self,
        inner: &mut Inner,
        payment: &mut ServerPayment,
        scalar: [u8; 32],
    ) -> Result<Option<String>, ApiError> {
        let a_id = payment.payer_channel;
        let a = &inner.channels[&a_id];
        let completed_before = a.channel.pending().is_none()
            && a.channel
                .latest()
                .is_some_and(|l| l.state.number == payment.state_number);
        let (ours, completed) = if completed_before {
            let point = payment.invoice.as_ref().map(Invoice::payment_point);
            let t = secp::Scalar::try_from(scalar.as_slice()).map_err(|_| wrong_scalar())?;
            if point != Some(t.base_point_mul()) {
                return Err(wrong_scalar());
            }
            (a.channel.update_signature().map_err(channel_error)?, None)
        } else {
            let msg = UpdateSignature {
                channel_id: a_id,
                number: payment.state_number,
                partial_signature: scalar,
            };
            let secret = a.secrets(&self.keys).funding_scalar();
            super::record_nonce_use(&a.channel);
            // `t` is checked as A's partial signature through the final signature of n+1
            // (`Channel::countersign`): it verifies only if `t·G = T_A`.
            let (completed, _) = a.channel.countersign(&msg, secret).map_err(|e| match e {
                crate::protocol::ChannelError::InvalidPartialSignature { .. } => wrong_scalar(),
                other => channel_error(other),
            })?;
            let ours = completed.update_signature().map_err(channel_error)?;
            (ours, Some((a_id, completed)))
        };
        payment.status = PaymentStatus::Paid;
        payment.scalar = Some(hex(&scalar));
        payment.server_partial = Some(hex(&ours.partial_signature));
        self.commit_step(
            inner,
            completed.into_iter().collect(),
            vec![payment.clone()],
        )?;
        // A payer's update already on chain (A force-closed, perhaps with an old state): S
        // rebinds n+1 over it now, in the pass (or request) that learnt `t`. Waiting for the
        // watcher's next pass could cost a block, which PROTOCOL.md §4.1 does not budget.
        Ok(self.enforce_now(inner, &a_id))
    }

    /// The chain side of sold payments whose B–S channel is closing or closed (run by the
    /// watcher): once the settlement with the PTLC is on chain, B's success claim reveals
    /// `t` (S completes A's update: paid); from the PTLC's expiry S takes the amount back
    /// with the timeout path (cancelled). An open channel whose PTLC comes within
    /// [`server_close_margin`] blocks of its expiry is force-closed so that S can enforce it.
    pub(super) fn watch_sold(
        &self,
        inner: &mut Inner,
        log: &mut Vec<String>,
        unconfirmed: &mut Vec<(bitcoin::Txid, bitcoin::OutPoint)>,
    ) {
        let Ok(tip) = self.chain.tip_height() else {
            return;
        };
        let sold: Vec<ServerPayment> = inner
            .payments
            .in_flight()
            .filter(|p| p.status == PaymentStatus::Sold)
            .cloned()
            .collect();
        for mut p in sold {
            let (Some(b_id), Some(invoice)) = (p.payee_channel, p.invoice.clone()) else {
                continue;
            };
            let point = invoice.payment_point();
            let ch = &inner.channels[&b_id].channel;
            let opened_height = inner.channels[&b_id].opened_height;
            let Some(latest) = ch.latest().map(|l| l.state.clone()) else {
                continue;
            };
            let what = format!("payment {}", p.payment_id);
            // S force-closes this many blocks before the PTLC's expiry, and refuses the
            // payee's signature of the sale state from then on.
            let margin = server_close_margin(
                ch.params().shared_delay,
                inner.settings.policy.confirmation_budget,
            );
            let Some(ptlc) = latest.ptlcs.iter().find(|x| x.point == point).cloned() else {
                // The PTLC state is not signed yet (or already folded). A payee that never
                // signs it must not hold the payment (and the payer's channel) for good: once
                // S would refuse its signature for the PTLC's expiry, the sale is withdrawn
                // and the payment pending again, for the payer to cancel. (Not for a payer's
                // close alone: an old update put in the mempool for a moment would then let
                // a payer withdraw a sale under a payee that may have signed it.)
                let pending_expiry = ch
                    .pending()
                    .and_then(|u| u.next().ptlcs.iter().find(|x| x.point == point))
                    .map(|x| x.expiry);
                if pending_expiry.is_some_and(|e| tip + margin >= e) {
                    if let Err(e) = self.recheck_sale_state(inner, &b_id) {
                        log.push(format!("{what}: {}", e.message()));
                    }
                }
                continue;
            };
            let payer_completed = inner.channels[&p.payer_channel]
                .channel
                .latest()
                .is_some_and(|l| l.state.number >= p.state_number);
            // A closing channel whose funding is unspent again (the peer's update left the
            // mempool: a real mempool lets it double-spend its fee input) is enforced like an
            // open one, or S could miss the PTLC's expiry waiting for a close that never comes.
            let unspent_again = ch.status() == ChannelStatus::Closing
                && matches!(
                    super::watch_at_s(self, ch, opened_height, false),
                    Ok((crate::watch::WatchOutcome::Idle { .. }, _))
                );
            if ch.status() == ChannelStatus::Open || unspent_again {
                if tip + margin >= ptlc.expiry {
                    match super::watch_at_s(self, ch, opened_height, true) {
                        Ok((outcome, next)) => {
                            if let Some(next) = next {
                                if let Err(e) = self.commit_channel(inner, &b_id, next) {
                                    log.push(format!("{what}: {}", e.message()));
                                    continue;
                                }
                            }
                            if let Some(b) = outcome.broadcast() {
                                let r = self.publish_broadcast(&mut inner.onchain, b);
                                log.push(format!(
                                    "{what}: the payee has not claimed and the PTLC expires at \
                                     {}: force-closing channel {b_id}: {r:?}",
                                    ptlc.expiry
                                ));
                            }
                        }
                        Err(e) => log.push(format!("{what}: {e}")),
                    }
                }
                continue;
            }
            // The channel is closing or closed: whichever B–S state settled (the latest or an
            // older one, published with any inputs), find this PTLC among its outputs.
            let (settlement, settled_state, confs) =
                match super::watch_at_s(self, ch, opened_height, false) {
                    Ok((
                        crate::watch::WatchOutcome::Settled {
                            txid,
                            state,
                            confirmations,
                            ..
                        },
                        _,
                    )) => (txid, state, confirmations),
                    _ => continue,
                };
            // The settlement and what spent its PTLC outputs, in one look at the chain.
            let roots = super::roots_of(ch, opened_height);
            let look = crate::chain::source::read_chain(self.chain.as_ref(), &roots, |v| {
                let tx = v.tx(&settlement)?.0;
                let outpoints = ptlc_outputs(ch.params(), &ptlc, &tx);
                // Each spender with its depth (0: in the mempool).
                let spends: Vec<_> = outpoints
                    .iter()
                    .flatten()
                    .map(|o| {
                        let spend = v.spending_tx(o).map(|(tx, height)| {
                            let depth = height.map_or(0, |h| v.tip_height().saturating_sub(h) + 1);
                            (tx, depth)
                        });
                        (*o, spend)
                    })
                    .collect();
                Some((outpoints, spends))
            });
            let (outpoints, spends) = match look {
                Ok(Some((Ok(outpoints), spends))) => (outpoints, spends),
                Ok(Some((Err(e), _))) => {
                    log.push(format!("{what}: {e}"));
                    continue;
                }
                Ok(None) => continue,
                Err(e) => {
                    log.push(format!("{what}: reading the chain failed: {e}"));
                    continue;
                }
            };
            if outpoints.is_empty() {
                // The settled state does not hold the PTLC: it predates the sale (a claimed
                // state would have made the payment paid first). B can never claim it now;
                // once the settlement is final the payer gets its money back.
                let final_depth = ch.minimum_depth().max(1);
                if confs < final_depth || payer_completed {
                    continue;
                }
                p.status = PaymentStatus::Cancelled;
                let r = self
                    .commit_payment(inner, p.clone())
                    .and_then(|()| self.supersede_cancelled(inner, &p));
                log.push(match r {
                    Ok(()) => format!(
                        "{what}: cancelled: the B–S channel settled state {settled_state} \
                         ({settlement}), which has no PTLC for it"
                    ),
                    Err(e) => format!("{what}: {}", e.message()),
                });
                continue;
            }
            let pre = p
                .adaptor_signature
                .as_deref()
                .and_then(|h| crate::protocol::hex::decode::<65>(h).ok())
                .and_then(|b| PreSignature::from_bytes(&b).ok());
            let (mut scalar, mut timeouts, mut unspent, mut alerts) = (None, 0, vec![], vec![]);
            let mut shallow_timeouts = 0;
            for (outpoint, spender) in &spends {
                let Some((tx, depth)) = spender else {
                    unspent.push(*outpoint);
                    continue;
                };
                let txid = tx.compute_txid();
                match ptlc_spend(ch.params(), &ptlc, *outpoint, tx) {
                    PtlcSpend::Success(sig) => {
                        match pre.as_ref().and_then(|pre| pre.extract(&sig, point).ok()) {
                            Some(t) => {
                                scalar = Some(t);
                                break;
                            }
                            None => alerts.push(format!(
                                "ALERT: the PTLC {outpoint} was claimed in {txid} but s_A \
                                 cannot be extracted from it"
                            )),
                        }
                    }
                    // S's own timeout claim counts once it is final: until then (in the
                    // mempool, or shallow) an eviction or a reorganization may still let B's
                    // success claim confirm and pay B, so the payment is not cancelled yet.
                    PtlcSpend::Timeout if *depth >= ch.minimum_depth().max(1) => timeouts += 1,
                    PtlcSpend::Timeout => {
                        shallow_timeouts += 1;
                        if *depth == 0 {
                            unconfirmed.push((txid, *outpoint));
                        }
                    }
                    PtlcSpend::Unknown => alerts.push(format!(
                        "ALERT: the PTLC output {outpoint} was spent in {txid} by neither of \
                         its paths"
                    )),
                }
            }
            if let Some(t) = scalar {
                let r = self.complete_payer_update(inner, &mut p, t.serialize());
                log.push(match &r {
                    Ok(_) => format!(
                        "{what}: paid: the payee claimed the PTLC on chain (settled state \
                         {settled_state})"
                    ),
                    Err(e) => format!("{what}: {}", e.message()),
                });
                if let Ok(Some(line)) = r {
                    log.push(format!("{what}: {line}"));
                }
                continue;
            }
            log.extend(alerts.iter().map(|a| format!("{what}: {a}")));
            if !unspent.is_empty() {
                // S already holds the payer's completed update (a crash before the payment
                // was written): the claim path finishes it; never take the PTLC back then.
                if tip < ptlc.expiry || payer_completed {
                    continue;
                }
                let secret = inner.channels[&b_id].secrets(&self.keys).ptlc_scalar();
                for outpoint in unspent {
                    let r = signed_timeout_claim(
                        ch.params(),
                        &ptlc,
                        outpoint,
                        secret,
                        random32().unwrap_or_default(),
                    )
                    .map_err(|e| e.to_string())
                    .and_then(|tx| self.publish_channel_tx(&mut inner.onchain, &tx));
                    log.push(format!(
                        "{what}: PTLC {outpoint} expired unclaimed; timeout claim: {r:?}"
                    ));
                }
                continue;
            }
            if timeouts == 0 || shallow_timeouts > 0 || !alerts.is_empty() {
                continue;
            }
            if payer_completed {
                log.push(format!(
                    "{what}: ALERT: S took the PTLC back but already holds the payer's state {}",
                    p.state_number
                ));
                continue;
            }
            p.status = PaymentStatus::Cancelled;
            let r = self
                .commit_payment(inner, p.clone())
                .and_then(|()| self.supersede_cancelled(inner, &p));
            log.push(match r {
                Ok(()) => format!("{what}: cancelled: S took the expired PTLC back"),
                Err(e) => format!("{what}: {}", e.message()),
            });
        }
    }

    /// A cancels a pending payment (PROTOCOL.md §5 step 6): decided and written first, then
    /// S's nonce for `n+1` is dropped unused and state `n+1` superseded, so A can sign
    /// `n+2` restoring its balance. Refused once B sold.
    pub fn cancel(&self, payer: &NodeId, req: CancelRequest) -> Result<PaymentView, ApiError> {
        let now = now();
        let mut inner = self.lock();
        let id = req.payment_id;
        let mut payment = match inner.payments.get(&id) {
            Some(p) if p.payer == *payer => p.clone(),
            _ => return Err(unknown_payment(&id)),
        };
        match payment.status {
            PaymentStatus::Pending => {
                payment.status = PaymentStatus::Cancelled;
                self.commit_payment(&mut inner, payment.clone())?;
            }
            PaymentStatus::Cancelled => {}
            // Once S's accept and pre-signature of the sale state left, the payee may have
            // signed that state: S never drops it under the payee (its channel would be
            // stranded with a signed update S no longer wants). The cancel waits until the
            // payee finishes the sale (then: claim, give back, or the PTLC's expiry), drops
            // the unsigned sale itself, or S's watcher withdraws it (`watch_sold`).
            PaymentStatus::Sold if Self::sale_state_pending(&inner, &payment) => {
                return Err(refused(
                    "sale_in_progress",
                    format!(
                        "payment {id} is being sold: S gave the payee its PTLC and the payee \
                         may already have signed it; S refuses to cancel now. Try again later: \
                         once the payee gives the PTLC back or it expires, the payment is \
                         cancelled"
                    ),
                ))
            }
            PaymentStatus::Sold if !Self::ptlc_signed(&inner, &payment) => {
                // The payee dropped its unsigned sale state itself (S no longer holds it):
                // nothing of the sale can complete any more.
                payment.status = PaymentStatus::Cancelled;
                self.commit_payment(&mut inner, payment.clone())?;
            }
            PaymentStatus::Sold => {
                return Err(refused(
                    "already_sold",
                    format!(
                        "payment {id} is sold: the payee holds S's PTLC; S refuses to cancel \
                         until the payee gives it back or the PTLC times out"
                    ),
                ))
            }
            PaymentStatus::Paid => {
                return Err(refused(
                    "already_paid",
                    format!("payment {id} is already paid"),
                ))
            }
        }
        self.supersede_cancelled(&mut inner, &payment)?;
        Ok(payment.view(payer, now))
    }

    /// Whether the B–S channel of a sold payment has its sale state pending (S accepted it;
    /// the payee may have signed it).
    fn sale_state_pending(inner: &Inner, p: &ServerPayment) -> bool {
        let point = p.invoice.as_ref().map(Invoice::payment_point);
        p.payee_channel.is_some_and(|b| {
            inner.channels[&b]
                .channel
                .pending()
                .is_some_and(|u| u.next().ptlcs.iter().any(|x| Some(x.point) == point))
        })
    }

    /// Refuses one more sale when S could not pay for the rebinding of every sold payment at
    /// once (docs/protocol.md §7, "Fee capacity"). Each sold payment's claim may come as
    /// late as the PTLC allows, with the payer's channel closing on an older state: at
    /// `E_max` S then has one confirmation budget to get the payer's `n+1` confirmed, a
    /// package whose fee child only a confirmed coin pays for — one package per coin.
    /// Without the limit a payer and a payee together sell more payments than S can
    /// rebind, and the payer's older states settle: S pays the payee for nothing.
    fn check_fee_capacity(&self, inner: &mut Inner, tip: u32) -> Result<(), ApiError> {
        let held = Self::fee_packages_held(inner);
        let coins = self.fee_coins(inner, tip)?.len();
        if held < coins * FEE_PACKAGES_PER_COIN {
            return Ok(());
        }
        Err(refused(
            "fee_capacity",
            format!(
                "S holds {held} sold payment(s) and closing payer channel(s), and {coins} \
                 confirmed coin(s) to pay for their rebinding on chain; S sells no more until \
                 some are claimed or closed, or its operator adds coins; try again later"
            ),
        ))
    }

    /// The packages S may have to pay for at once: sold payments whose sale state is
    /// pending or signed (one dropped under it holds nothing S must enforce), and payers'
    /// channels closing (S may still have to get a paid payment's `n+1` confirmed there; a
    /// claim marks a payment paid as the rebinding window opens).
    pub(super) fn fee_packages_held(inner: &Inner) -> usize {
        let sold = inner
            .payments
            .in_flight()
            .filter(|p| Self::sale_counted(inner, p))
            .count();
        let closing = inner
            .channels
            .values()
            .filter(|c| {
                c.channel.funder() == Party::Client && c.channel.status() == ChannelStatus::Closing
            })
            .count();
        sold + closing
    }

    /// Whether `p` is a sold payment that [`ServerCore::fee_packages_held`] counts: its sale
    /// state pending or signed.
    fn sale_counted(inner: &Inner, p: &ServerPayment) -> bool {
        p.status == PaymentStatus::Sold
            && (Self::sale_state_pending(inner, p) || Self::ptlc_signed(inner, p))
    }

    /// Whether the B–S channel of a sold payment has a signed state with its PTLC.
    fn ptlc_signed(inner: &Inner, p: &ServerPayment) -> bool {
        let Some(point) = p.invoice.as_ref().map(Invoice::payment_point) else {
            return false;
        };
        let amount = bitcoin::Amount::from_sat(p.amount_sat);
        p.payee_channel.is_some_and(|b| {
            inner.channels[&b]
                .channel
                .latest()
                .is_some_and(|l| l.state.ptlcs.iter().any(|x| sold_ptlc(x, point, amount)))
        })
    }

    /// Supersedes the A–S pending update of a cancelled payment if it is still there. On a
    /// channel that is no longer open nothing new will be signed: S only drops its unused
    /// nonce for `n+1` (S never signs a cancelled payment's state, so `n+1` can never
    /// complete).
    fn supersede_cancelled(&self, inner: &mut Inner, p: &ServerPayment) -> Result<(), ApiError> {
        let ch = &inner.channels[&p.payer_channel];
        let Some(pending) = ch
            .channel
            .pending()
            .filter(|u| u.next().number == p.state_number)
        else {
            return Ok(());
        };
        let next = if ch.channel.status() == ChannelStatus::Open {
            ch.channel.supersede_pending().map_err(channel_error)?
        } else if pending.local_partial().is_none() {
            ch.channel.cancel_pending().map_err(channel_error)?
        } else {
            return Ok(());
        };
        self.commit_channel(inner, &p.payer_channel, next)
    }

    /// Finishes what a crash interrupted: cancelled payments whose update is still pending,
    /// and sold payments whose PTLC the payee gave back. A payment that cannot be finished
    /// is quarantined and reported, never a reason for S not to start.
    pub(super) fn reconcile_payments(&self) {
        let mut inner = self.lock();
        self.reconcile_failed_sales(&mut inner);
        let cancelled: Vec<ServerPayment> = inner
            .payments
            .values()
            .filter(|p| p.status == PaymentStatus::Cancelled)
            .cloned()
            .collect();
        for p in cancelled {
            if let Err(e) = self.supersede_cancelled(&mut inner, &p) {
                inner.quarantined.push(super::Quarantined {
                    what: format!("payment {}", p.payment_id),
                    reason: format!(
                        "cancelled, but its state {} on channel {} could not be superseded \
                         ({}); S refuses any sale of it and keeps watching the channel; the \
                         payer's next cancel or a close of the channel finishes it",
                        p.state_number,
                        p.payer_channel,
                        e.message()
                    ),
                });
            }
        }
    }

    /// One payment, for its payer or payee.
    pub fn payment(&self, node: &NodeId, id: &PaymentId) -> Result<PaymentView, ApiError> {
        let inner = self.lock();
        match inner.payments.get(id) {
            Some(p) if p.payer == *node || p.payee == *node => Ok(p.view(node, now())),
            _ => Err(unknown_payment(id)),
        }
    }

    /// The payments `node` pays or receives.
    pub fn payments_of(&self, node: &NodeId) -> Vec<PaymentView> {
        let now = now();
        self.lock()
            .payments
            .of(node)
            .map(|p| p.view(node, now))
            .collect()
    }

    /// Sales waiting for the operator (`server run --manual`).
    pub fn queued_sales(&self) -> Vec<ServerPayment> {
        self.lock()
            .payments
            .in_flight()
            .filter(|p| p.waits_for_approval())
            .cloned()
            .collect()
    }

    /// The operator approves a queued sale: B's next attempt goes through.
    pub fn approve_sale(&self, id: &PaymentId) -> Result<ServerPayment, ApiError> {
        let mut inner = self.lock();
        let mut payment = inner
            .payments
            .get(id)
            .cloned()
            .ok_or_else(|| unknown_payment(id))?;
        if payment.status != PaymentStatus::Pending {
            return Err(refused(
                "not_pending",
                format!(
                    "payment {id} is {}; only a pending sale can be approved",
                    payment.status
                ),
            ));
        }
        payment.approved = true;
        self.commit_payment(&mut inner, payment.clone())?;
        Ok(payment)
    }
}

/// A policy accepting exactly `expected`.
fn exactly(
    expected: &ChannelState,
) -> impl Fn(Option<&ChannelState>, &ChannelState) -> Result<(), String> + '_ {
    move |_, next| {
        if next == expected {
            Ok(())
        } else {
            Err(format!(
                "the proposed state is not the one S computes: expected {expected:?}, got {next:?}"
            ))
        }
    }
}

/// The PTLCs the pending update of `ch` adds to its latest state (none without one).
fn added_ptlcs(ch: &Channel) -> Vec<Ptlc> {
    let Some(pending) = ch.pending() else {
        return Vec::new();
    };
    pending
        .next()
        .ptlcs
        .iter()
        .filter(|x| {
            !ch.latest()
                .is_some_and(|l| l.state.ptlcs.iter().any(|y| y.point == x.point))
        })
        .cloned()
        .collect()
}

/// The sold payment of B–S channel `b_id` whose PTLC is `ptlc`.
fn sold_with_ptlc<'a>(
    inner: &'a Inner,
    b_id: &ChannelId,
    ptlc: &Ptlc,
) -> Option<&'a ServerPayment> {
    inner.payments.in_flight().find(|p| {
        p.status == PaymentStatus::Sold
            && p.payee_channel == Some(*b_id)
            && p.invoice.as_ref().map(Invoice::payment_point) == Some(ptlc.point)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn node(i: u8) -> NodeId {
        let key = bitcoin::secp256k1::SecretKey::from_slice(&[i + 1; 32]).unwrap();
        NodeId(key.public_key(crate::crypto::secp()))
    }

    /// A payment with id `id` from `payer` to `payee` in `status`.
    fn payment(id: u8, payer: u8, payee: u8, status: u8, queued: bool) -> ServerPayment {
        ServerPayment {
            payment_id: PaymentId([id; 32]),
            payer: node(payer),
            payer_channel: ChannelId([payer; 32]),
            payee: node(payee),
            amount_sat: 1_000,
            fee_sat: 1,
            expiry: 0,
            state_number: 1,
            created_at: 0,
            status: [
                PaymentStatus::Pending,
                PaymentStatus::Sold,
                PaymentStatus::Paid,
                PaymentStatus::Cancelled,
            ][usize::from(status)],
            sale_queued: queued,
            approved: false,
            invoice: None,
            payee_channel: None,
            ptlc_state: None,
            adaptor_signature: None,
            scalar: None,
            server_partial: None,
        }
    }

    proptest! {
        /// Each node's payments and the payments in flight, as the book keeps them, are what
        /// a scan of every payment finds, whatever was written over what.
        #[test]
        fn the_payment_book_answers_like_a_scan(
            writes in proptest::collection::vec(
                (0..12u8, 0..4u8, 0..4u8, 0..4u8, any::<bool>()), 0..60)
        ) {
            let mut book = PaymentBook::default();
            for (id, payer, payee, status, queued) in writes {
                book.insert(payment(id, payer, payee, status, queued));
            }
            let ids = |it: &mut dyn Iterator<Item = &ServerPayment>| -> Vec<PaymentId> {
                it.map(|p| p.payment_id).collect()
            };
            for n in 0..4 {
                let scan = ids(&mut book
                    .values()
                    .filter(|p| p.payer == node(n) || p.payee == node(n)));
                prop_assert_eq!(ids(&mut book.of(&node(n))), scan);
            }
            let scan = ids(&mut book.values().filter(|p| p.holds_pending()));
            prop_assert_eq!(ids(&mut book.in_flight()), scan);
        }
    }
}
