//! One eltoo channel as seen by one side: configuration, the latest fully signed state, the
//! settle-leaf-hash history, and at most one pending update with its MuSig2 session.
//!
//! Every transition borrows the channel and returns a new [`Channel`] (and, for some, a
//! message). A rejected input returns an error and leaves the channel untouched.
//!
//! **Persistence rule.** Persist the returned channel (encrypted, atomically) before sending
//! the returned message or anything derived from it, then drop the old value. In particular
//! [`Channel::sign`] removes the secret nonce from the returned channel: once that channel is
//! on disk the nonce can never sign again, and a crash before that point only repeats the
//! byte-identical signature (the session — message and both public nonces — is fixed as soon
//! as the remote nonce is recorded, and [`Channel::on_accept`] refuses to change it).
//!
//! An update runs: proposer [`Channel::propose`] → [`UpdateProposal`]; peer
//! [`Channel::accept`] → [`UpdateAccept`]; proposer [`Channel::on_accept`]; each side
//! [`Channel::sign`] and sends [`Channel::update_signature`]; each side
//! [`Channel::on_signature`] with the other's. When both partial signatures are present
//! (whichever arrives last), they are aggregated, the result is verified, and the update
//! becomes the latest signed state.
//!
//! **The asynchronous payment** (PROTOCOL.md §5). The payer A signs update `n+1` with
//! [`Channel::sign_withheld`]: its partial `s_A` is for the payee B (who sells it to S), so
//! [`Channel::update_signature`] refuses to hand it out ([`ChannelError::Withheld`]). The
//! update still completes when S's partial arrives ([`Channel::on_signature`]). On a cancel,
//! both sides call [`Channel::supersede_pending`]: the update `n+1` is dropped, its
//! settle-leaf hash stays in the history (so a later state can be rebound over it, should S
//! ever publish it) and the next update is `n+2`, which supersedes `n+1` in eltoo.

use std::collections::BTreeMap;
use std::fmt;

use bitcoin::taproot::TapLeafHash;
use bitcoin::{Amount, OutPoint, Transaction};
use secp::{Point, Scalar};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::hex;
use super::history::{
    chunk_of, hashes_from_record, hashes_to_record, FrozenChunk, Hex32, History, HistoryChunk,
};
use super::messages::{
    self, AcceptChannel, ChannelId, FundingPublished, MessageError, OpenChannel, UpdateAccept,
    UpdateProposal, UpdateSignature, WireKeys, WireParams, WireState, MAX_PTLCS,
};
use crate::crypto::musig::{
    AggregateKey, MusigError, PartialSignature, PublicNonce, SecretNonce, SigningSession,
};
use crate::eltoo::scripts::{self, TapTree, MAX_STATE};
use crate::eltoo::{
    published_update_input, ChannelParams, ChannelState, CooperativeClose, EltooError, Party,
    PartyKeys, StateTransactions, UpdateInput, DUST_LIMIT,
};

/// The version of the persisted channel format ([`Channel`]'s serde form). A channel whose
/// history has no chunk stored apart is written in format 1, the format before chunks
/// (which this build reads too).
pub const CHANNEL_FORMAT_VERSION: u32 = 2;

/// Block heights are below this; PTLC expiries must be heights.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;

/// What is wrong with a transition. Whatever the error, the channel is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// A message for another channel.
    #[error("message for channel {got}, but this is channel {expected}")]
    WrongChannel {
        /// This channel.
        expected: ChannelId,
        /// The message's channel.
        got: ChannelId,
    },
    /// A proposal with a number other than [`Channel::next_number`]: latest + 1 (or 0 for
    /// the first state), or superseded + 1 after [`Channel::supersede_pending`].
    #[error("{what} for state {got} but {}", latest_text(*latest, *superseded))]
    WrongNumber {
        /// What carried the number.
        what: &'static str,
        /// The number received.
        got: u32,
        /// The latest signed state.
        latest: Option<u32>,
        /// The superseded update above the latest state, if any.
        superseded: Option<u32>,
    },
    /// A message about a state other than the pending update.
    #[error("{what} for state {got} but the pending update is for state {pending}")]
    NotThePendingUpdate {
        /// What carried the number.
        what: &'static str,
        /// The number received.
        got: u32,
        /// The pending update's number.
        pending: u32,
    },
    /// A new update while one is pending.
    #[error("the update to state {0} is still pending; finish or cancel it first")]
    UpdatePending(u32),
    /// No update is pending.
    #[error("no update is pending")]
    NoPendingUpdate,
    /// No state is signed yet.
    #[error("no state is signed yet; sign state 0 first")]
    NoSignedState,
    /// The action is not possible in the channel's status.
    #[error("cannot {action} while the channel is {status}")]
    WrongStatus {
        /// What was attempted.
        action: &'static str,
        /// The channel's status.
        status: ChannelStatus,
    },
    /// The state is invalid (conservation, amounts, number range).
    #[error("invalid state {number}: {source}")]
    InvalidState {
        /// The state's number.
        number: u32,
        /// What is wrong.
        source: EltooError,
    },
    /// A PTLC in the state is not acceptable.
    #[error("invalid state {number}: PTLC {index}: {reason}")]
    InvalidPtlc {
        /// The state's number.
        number: u32,
        /// Index of the PTLC in the state.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// State 0 does not match the opening terms.
    #[error(
        "state 0 must give the client {client} and the server {server} with no PTLCs, as agreed \
         when opening"
    )]
    InitialState {
        /// The client's agreed initial balance.
        client: Amount,
        /// The server's agreed initial balance.
        server: Amount,
    },
    /// The state number is at the end of the nLockTime range.
    #[error("state number {0} is the last one nLockTime can carry; close the channel")]
    StateNumbersExhausted(u32),
    /// The caller's policy refused the proposed state.
    #[error("update to state {number} refused: {reason}")]
    Refused {
        /// The proposed number.
        number: u32,
        /// The policy's reason.
        reason: String,
    },
    /// An update accept for an update we did not propose.
    #[error("update accept for state {0}, but the peer proposed that update, not us")]
    NotOurProposal(u32),
    /// The peer sent a second, different nonce for the same update.
    #[error(
        "update accept for state {0} carries a different nonce than the one already recorded; \
         a session's nonces never change"
    )]
    NonceConflict(u32),
    /// The remote nonce is not known yet.
    #[error("the peer's nonce for state {0} is not known yet (wait for its update accept)")]
    RemoteNonceMissing(u32),
    /// The secret nonce was already used.
    #[error("the secret nonce for state {0} was already used; a nonce signs at most once")]
    NonceConsumed(u32),
    /// We have not signed the update.
    #[error("we have not signed state {0} yet")]
    NotSigned(u32),
    /// Our partial signature is for the payee of an asynchronous payment, not the peer.
    #[error(
        "our partial signature on state {0} is withheld (sold to the payee in an asynchronous \
         payment) and is never sent to the peer"
    )]
    Withheld(u32),
    /// A pending update we signed cannot be dropped.
    #[error(
        "cannot cancel the update to state {0}: we signed it already, so the peer may complete \
         it"
    )]
    CannotCancelSigned(u32),
    /// The secret key is not this side's funding key.
    #[error("the secret key given is not the {0} funding key of this channel")]
    WrongKey(&'static str),
    /// The peer's partial signature does not verify.
    #[error("the {signer} partial signature on state {number} does not verify")]
    InvalidPartialSignature {
        /// Whose signature.
        signer: &'static str,
        /// The state.
        number: u32,
    },
    /// The funding outpoint is not known yet.
    #[error("the funding outpoint is not known yet")]
    FundingUnknown,
    /// The named funding outpoint does not pay this channel's funding script and capacity.
    #[error("funding outpoint {outpoint} is not this channel's funding output: {reason}")]
    FundingMismatch {
        /// The outpoint named.
        outpoint: OutPoint,
        /// What is wrong with it.
        reason: String,
    },
    /// A second, different funding outpoint.
    #[error("the funding outpoint is already {known}, not {got}")]
    FundingConflict {
        /// The recorded outpoint.
        known: OutPoint,
        /// The outpoint received.
        got: OutPoint,
    },
    /// The channel cannot be opened with these terms.
    #[error("cannot open the channel: {0}")]
    OpenRefused(String),
    /// The transaction is not an update of this channel.
    #[error("transaction {0} is not an update transaction of this channel")]
    NotOurUpdate(bitcoin::Txid),
    /// A published update newer than our latest signed state.
    #[error(
        "published update is state {published}, newer than our latest signed state {latest} \
         (the peer completed an update we signed but never finished)"
    )]
    PublishedNewer {
        /// The published state.
        published: u32,
        /// Our latest.
        latest: u32,
    },
    /// The cooperative close needs a state without PTLCs.
    #[error("the latest state has {0} PTLCs; resolve them before closing cooperatively")]
    PtlcsOutstanding(usize),
    /// The settle-leaf hash of a published old update is in a chunk of the history stored
    /// apart from the channel's record: read that chunk and ask again with it.
    #[error("the settle-leaf hash of this update is in chunk {0} of the channel's history, which was not given")]
    HistoryChunkNeeded(u32),
    /// A persisted channel is inconsistent.
    #[error("persisted channel is corrupt: {0}")]
    Corrupt(String),
    /// A message field is invalid.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Building a transaction failed.
    #[error(transparent)]
    Eltoo(#[from] EltooError),
    /// A MuSig2 operation failed.
    #[error(transparent)]
    Musig(#[from] MusigError),
}

fn latest_text(latest: Option<u32>, superseded: Option<u32>) -> String {
    match (latest, superseded) {
        (Some(n), Some(s)) => format!(
            "the latest signed state is {n} and the update to state {s} was superseded (the \
             next state is {})",
            s.saturating_add(1)
        ),
        (Some(n), None) => format!("the latest signed state is {n}"),
        (None, _) => "no state is signed yet (the first state is 0)".to_string(),
    }
}

fn party_name(p: Party) -> &'static str {
    match p {
        Party::Client => "client",
        Party::Server => "server",
    }
}

/// Where a channel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    /// Parameters agreed; state 0 not signed yet.
    Opening,
    /// State 0 signed; the funding transaction is not confirmed deep enough yet.
    AwaitingFunding,
    /// Usable: states can be updated.
    Open,
    /// A close (cooperative or force) is under way; no more updates.
    Closing,
    /// The funding output is spent for good.
    Closed,
}

impl fmt::Display for ChannelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChannelStatus::Opening => "opening",
            ChannelStatus::AwaitingFunding => "awaiting funding",
            ChannelStatus::Open => "open",
            ChannelStatus::Closing => "closing",
            ChannelStatus::Closed => "closed",
        })
    }
}

/// What S accepts when a client opens a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPolicy {
    /// Settlement delay S uses when the client does not ask for one.
    pub default_shared_delay: u16,
    /// Smallest settlement delay S accepts.
    pub min_shared_delay: u16,
    /// Largest settlement delay S accepts.
    pub max_shared_delay: u16,
    /// Smallest capacity.
    pub min_capacity: Amount,
    /// Largest capacity.
    pub max_capacity: Amount,
    /// Whether S funds channels (inbound liquidity for payees).
    pub server_funds: bool,
    /// Dust limit of settlement outputs.
    pub dust_limit: Amount,
    /// Confirmations of the funding transaction before the channel is open.
    pub minimum_depth: u32,
}

impl Default for OpenPolicy {
    fn default() -> Self {
        OpenPolicy {
            default_shared_delay: 144,
            min_shared_delay: 6,
            max_shared_delay: 2016,
            min_capacity: Amount::from_sat(20_000),
            max_capacity: Amount::from_sat(100_000_000),
            server_funds: true,
            dust_limit: DUST_LIMIT,
            minimum_depth: 3,
        }
    }
}

/// The latest state both parties signed: the state and its 64-byte update signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedState {
    /// The state.
    pub state: ChannelState,
    /// The 2-of-2 BIP340 signature over the state's update digest (APOAS|ALL).
    pub signature: [u8; 64],
}

/// A secret nonce at rest: the BIP327 97-byte encoding, wiped on drop, never printed.
struct StoredNonce(Zeroizing<[u8; 97]>);

impl fmt::Debug for StoredNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredNonce(<secret>)")
    }
}

impl StoredNonce {
    fn new(nonce: &SecretNonce) -> Self {
        StoredNonce(Zeroizing::new(nonce.to_storage_bytes()))
    }

    fn restore(&self) -> Result<SecretNonce, MusigError> {
        SecretNonce::from_storage_bytes(&self.0)
    }

    /// A copy for the next channel value (the old value is dropped by the caller).
    fn duplicate(&self) -> Self {
        StoredNonce(Zeroizing::new(*self.0))
    }
}

impl Serialize for StoredNonce {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(hex::encode(self.0.as_slice()));
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for StoredNonce {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut text = String::deserialize(d)?;
        let bytes = hex::decode::<97>(&text).map(|b| StoredNonce(Zeroizing::new(b)));
        text.zeroize();
        bytes.map_err(|e| serde::de::Error::custom(format!("secret nonce: {e}")))
    }
}

/// An update being signed: the next state and this side's view of the MuSig2 session.
#[derive(Debug)]
pub struct PendingUpdate {
    next: ChannelState,
    proposer: Party,
    secret_nonce: Option<StoredNonce>,
    local_nonce: PublicNonce,
    remote_nonce: Option<PublicNonce>,
    local_partial: Option<PartialSignature>,
    remote_partial: Option<PartialSignature>,
    withheld: bool,
}

impl PendingUpdate {
    /// The update with our partial signature, once we signed it.
    fn signed(&self) -> Option<SignedUpdate> {
        self.local_partial.map(|local_partial| SignedUpdate {
            next: self.next.clone(),
            local_partial,
            withheld: self.withheld,
        })
    }

    /// The state being signed.
    pub fn next(&self) -> &ChannelState {
        &self.next
    }

    /// Who proposed it.
    pub fn proposer(&self) -> Party {
        self.proposer
    }

    /// Our public nonce.
    pub fn local_nonce(&self) -> &PublicNonce {
        &self.local_nonce
    }

    /// The peer's public nonce, once known.
    pub fn remote_nonce(&self) -> Option<&PublicNonce> {
        self.remote_nonce.as_ref()
    }

    /// Our partial signature, once we signed.
    pub fn local_partial(&self) -> Option<PartialSignature> {
        self.local_partial
    }

    /// The peer's (verified) partial signature, once received.
    pub fn remote_partial(&self) -> Option<PartialSignature> {
        self.remote_partial
    }

    /// Whether our secret nonce is gone (used for our partial signature).
    pub fn nonce_consumed(&self) -> bool {
        self.secret_nonce.is_none()
    }

    /// Whether we signed with [`Channel::sign_withheld`]: our partial signature is for the
    /// payee of an asynchronous payment and [`Channel::update_signature`] never returns it.
    pub fn withheld(&self) -> bool {
        self.withheld
    }

    fn duplicate(&self) -> Self {
        PendingUpdate {
            next: self.next.clone(),
            proposer: self.proposer,
            secret_nonce: self.secret_nonce.as_ref().map(StoredNonce::duplicate),
            local_nonce: self.local_nonce.clone(),
            remote_nonce: self.remote_nonce.clone(),
            local_partial: self.local_partial,
            remote_partial: self.remote_partial,
            withheld: self.withheld,
        }
    }
}

/// One channel as seen by one side (`local`). Serialize it (JSON) to persist it — only
/// inside an encrypted file: a pending update holds a secret nonce.
///
/// Not `Clone`: a copy of a channel with a pending update is a copy of a secret nonce.
#[derive(Debug)]
pub struct Channel {
    id: ChannelId,
    local: Party,
    params: ChannelParams,
    funder: Party,
    push: Amount,
    minimum_depth: u32,
    funding: Option<OutPoint>,
    confirmations: u32,
    status: ChannelStatus,
    latest: Option<SignedState>,
    latest_local_partial: Option<PartialSignature>,
    /// The latest state was completed from a withheld partial of ours (never resent).
    latest_withheld: bool,
    history: History,
    /// The update superseded by [`Channel::supersede_pending`] above `latest`, until the next
    /// update completes.
    superseded: Option<u32>,
    /// The updates above `latest` we signed and then superseded, oldest first, until the
    /// next update completes: the peer may still complete and publish one, and we then
    /// adopt it ([`Channel::adopt_pending`]) to settle it.
    superseded_signed: Vec<SignedUpdate>,
    pending: Option<PendingUpdate>,
}

/// An update we signed and then superseded: the state and our partial signature.
#[derive(Debug, Clone)]
struct SignedUpdate {
    next: ChannelState,
    local_partial: PartialSignature,
    withheld: bool,
}

impl Channel {
    /// A new channel in status `Opening`: parameters agreed, nothing signed. State 0 gives
    /// the funder the capacity minus `push` and the other party `push`.
    pub fn new(
        id: ChannelId,
        local: Party,
        params: ChannelParams,
        funder: Party,
        push: Amount,
        minimum_depth: u32,
    ) -> Result<Channel, ChannelError> {
        params.aggregate_key()?;
        if params.capacity > Amount::MAX_MONEY || params.capacity < params.dust_limit {
            return Err(ChannelError::OpenRefused(format!(
                "capacity {} is not between the dust limit {} and 21 million bitcoin",
                params.capacity, params.dust_limit
            )));
        }
        if push > params.capacity {
            return Err(ChannelError::OpenRefused(format!(
                "push {push} is more than the capacity {}",
                params.capacity
            )));
        }
        if params.shared_delay == 0 {
            return Err(ChannelError::OpenRefused(
                "a shared delay of 0 blocks gives no time to react to an old state".to_string(),
            ));
        }
        Ok(Channel {
            id,
            local,
            params,
            funder,
            push,
            minimum_depth,
            funding: None,
            confirmations: 0,
            status: ChannelStatus::Opening,
            latest: None,
            latest_local_partial: None,
            latest_withheld: false,
            history: History::default(),
            superseded: None,
            superseded_signed: Vec::new(),
            pending: None,
        })
    }

    /// S's side of [`OpenChannel`]: checks the request against `policy` and answers with
    /// [`AcceptChannel`]. Persist the returned channel before sending the answer.
    pub fn accept_open(
        open: &OpenChannel,
        server_keys: &PartyKeys,
        policy: &OpenPolicy,
    ) -> Result<(Channel, AcceptChannel), ChannelError> {
        let capacity = messages::amount("capacity", open.capacity_sat)?;
        open.initial_balances()?;
        if capacity < policy.min_capacity || capacity > policy.max_capacity {
            return Err(ChannelError::OpenRefused(format!(
                "capacity {} sat is outside the server's range of {} to {} sat",
                capacity.to_sat(),
                policy.min_capacity.to_sat(),
                policy.max_capacity.to_sat()
            )));
        }
        if open.funder == Party::Server && !policy.server_funds {
            return Err(ChannelError::OpenRefused(
                "this server does not fund channels".to_string(),
            ));
        }
        // S funds nothing it does not get back: a push on a channel S funds would hand the
        // client S's coins in state 0, paid out by the first close.
        if open.funder == Party::Server && open.push_sat != 0 {
            return Err(ChannelError::OpenRefused(format!(
                "a channel the server funds starts with the whole capacity on the server's \
                 side; push_sat must be 0, not {}",
                open.push_sat
            )));
        }
        let shared_delay = open.shared_delay.unwrap_or(policy.default_shared_delay);
        if !(policy.min_shared_delay..=policy.max_shared_delay).contains(&shared_delay) {
            return Err(ChannelError::OpenRefused(format!(
                "shared delay {shared_delay} blocks is outside the server's range of {} to {} blocks",
                policy.min_shared_delay, policy.max_shared_delay
            )));
        }
        let params = ChannelParams {
            client: PartyKeys::try_from(&open.client_keys)?,
            server: server_keys.clone(),
            capacity,
            shared_delay,
            dust_limit: policy.dust_limit,
        };
        let push = messages::amount("push", open.push_sat)?;
        let channel = Channel::new(
            open.channel_id,
            Party::Server,
            params,
            open.funder,
            push,
            policy.minimum_depth,
        )?;
        let accept = AcceptChannel {
            channel_id: open.channel_id,
            server_keys: WireKeys::from(server_keys),
            shared_delay,
            dust_limit_sat: policy.dust_limit.to_sat(),
            minimum_depth: policy.minimum_depth,
        };
        Ok((channel, accept))
    }

    /// The client's side of [`AcceptChannel`] for the [`OpenChannel`] it sent.
    pub fn on_accept_channel(
        open: &OpenChannel,
        accept: &AcceptChannel,
    ) -> Result<Channel, ChannelError> {
        if accept.channel_id != open.channel_id {
            return Err(ChannelError::WrongChannel {
                expected: open.channel_id,
                got: accept.channel_id,
            });
        }
        if let Some(asked) = open.shared_delay {
            if asked != accept.shared_delay {
                return Err(ChannelError::OpenRefused(format!(
                    "asked for a shared delay of {asked} blocks, the server set {}",
                    accept.shared_delay
                )));
            }
        }
        if open.funder == Party::Server && accept.minimum_depth == 0 {
            return Err(ChannelError::OpenRefused(
                "the server funds the channel but wants no confirmation of its funding".to_string(),
            ));
        }
        let dust_limit = messages::amount("dust limit", accept.dust_limit_sat)?;
        if dust_limit > DUST_LIMIT * 10 {
            return Err(ChannelError::OpenRefused(format!(
                "dust limit {dust_limit} is unreasonably high"
            )));
        }
        let params = ChannelParams {
            client: PartyKeys::try_from(&open.client_keys)?,
            server: PartyKeys::try_from(&accept.server_keys)?,
            capacity: messages::amount("capacity", open.capacity_sat)?,
            shared_delay: accept.shared_delay,
            dust_limit,
        };
        Channel::new(
            open.channel_id,
            Party::Client,
            params,
            open.funder,
            messages::amount("push", open.push_sat)?,
            accept.minimum_depth,
        )
    }

    fn duplicate(&self) -> Channel {
        Channel {
            id: self.id,
            local: self.local,
            params: self.params.clone(),
            funder: self.funder,
            push: self.push,
            minimum_depth: self.minimum_depth,
            funding: self.funding,
            confirmations: self.confirmations,
            status: self.status,
            latest: self.latest.clone(),
            latest_local_partial: self.latest_local_partial,
            latest_withheld: self.latest_withheld,
            history: self.history.clone(),
            superseded: self.superseded,
            superseded_signed: self.superseded_signed.clone(),
            pending: self.pending.as_ref().map(PendingUpdate::duplicate),
        }
    }

    // ----- accessors -----

    /// The channel id.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// Which side this is.
    pub fn local(&self) -> Party {
        self.local
    }

    /// The agreed parameters.
    pub fn params(&self) -> &ChannelParams {
        &self.params
    }

    /// Who funds the channel.
    pub fn funder(&self) -> Party {
        self.funder
    }

    /// Confirmations the funding needs before the channel is open.
    pub fn minimum_depth(&self) -> u32 {
        self.minimum_depth
    }

    /// The funding outpoint, once published.
    pub fn funding_outpoint(&self) -> Option<OutPoint> {
        self.funding
    }

    /// Funded and not closed: a channel that may still have to be enforced on chain.
    pub fn is_live(&self) -> bool {
        self.funding.is_some() && self.status() != ChannelStatus::Closed
    }

    /// Confirmations of the funding transaction last reported.
    pub fn confirmations(&self) -> u32 {
        self.confirmations
    }

    /// Whether the funding counts fewer confirmations than the channel's minimum depth (at
    /// least 1): a reorganization took blocks away since the channel opened (its status
    /// stays open). Nobody then pays out against the channel or into it: the funder could
    /// still spend the funding's coins elsewhere.
    pub fn funding_below_depth(&self) -> bool {
        self.confirmations < self.minimum_depth.max(1)
    }

    /// The status.
    pub fn status(&self) -> ChannelStatus {
        self.status
    }

    /// The latest fully signed state.
    pub fn latest(&self) -> Option<&SignedState> {
        self.latest.as_ref()
    }

    /// The settle-leaf hash of every state signed so far, and of every update superseded
    /// by [`Channel::supersede_pending`] (to rebind over any of them), that this copy holds
    /// in memory: all but the chunks that were already stored apart when it was loaded
    /// ([`crate::protocol::history`]).
    pub fn history(&self) -> BTreeMap<u32, TapLeafHash> {
        self.history.in_memory()
    }

    /// How many chunks of the history were stored apart when this copy was loaded (chunks
    /// `0..n`, each under [`HistoryChunk::key_of`]; not in memory).
    pub fn stored_history_chunks(&self) -> u32 {
        self.history.stored()
    }

    /// The chunks of the history frozen since this copy was loaded. Saving the channel
    /// must store each that is not stored yet, in the same transaction as the record,
    /// which leaves their hashes out.
    pub fn fresh_history_chunks(&self) -> impl Iterator<Item = &FrozenChunk> {
        self.history.fresh_chunks()
    }

    /// Lets go of the chunks of history a committed save stored apart: they are read back
    /// from the store when needed ([`ChannelError::HistoryChunkNeeded`]), as for a copy
    /// just loaded, so that a long-lived holder's memory does not grow with the channel's
    /// life. Nothing saved changes.
    pub fn release_stored_history(&mut self) {
        self.history.release_stored();
    }

    /// The update dropped by [`Channel::supersede_pending`] above the latest signed state,
    /// until the next update (which supersedes it) completes.
    pub fn superseded(&self) -> Option<u32> {
        self.superseded
    }

    /// Whether we keep an update we signed and then superseded above the latest state: the
    /// peer could still complete and publish it until a state above it is signed.
    pub fn holds_superseded_signed(&self) -> bool {
        !self.superseded_signed.is_empty()
    }

    /// The pending update.
    pub fn pending(&self) -> Option<&PendingUpdate> {
        self.pending.as_ref()
    }

    /// Our partial signature on the pending update, if we signed it.
    pub fn local_partial(&self) -> Option<PartialSignature> {
        self.pending.as_ref().and_then(|p| p.local_partial)
    }

    /// State 0 as agreed when opening.
    pub fn initial_state(&self) -> ChannelState {
        let other = self.params.capacity - self.push;
        let (client, server) = match self.funder {
            Party::Client => (other, self.push),
            Party::Server => (self.push, other),
        };
        ChannelState {
            number: 0,
            client,
            server,
            ptlcs: vec![],
        }
    }

    /// The number the next update must carry: latest + 1 (0 before the first state), or
    /// superseded + 1 after [`Channel::supersede_pending`].
    pub fn next_number(&self) -> u32 {
        let after_latest = self.latest.as_ref().map_or(0, |l| l.state.number + 1);
        self.superseded
            .map_or(after_latest, |s| after_latest.max(s.saturating_add(1)))
    }

    // ----- update transitions -----

    fn check_channel(&self, got: ChannelId) -> Result<(), ChannelError> {
        if got != self.id {
            return Err(ChannelError::WrongChannel {
                expected: self.id,
                got,
            });
        }
        Ok(())
    }

    fn pending_ref(&self) -> Result<&PendingUpdate, ChannelError> {
        self.pending.as_ref().ok_or(ChannelError::NoPendingUpdate)
    }

    fn remote_key(&self) -> Point {
        self.params.keys(self.local.other()).funding
    }

    fn local_key(&self) -> Point {
        self.params.keys(self.local).funding
    }

    /// Checks that `next` may be the next state: status, no pending update, number, range,
    /// conservation, opening terms for state 0, PTLC sanity.
    fn check_next(&self, next: &ChannelState, what: &'static str) -> Result<(), ChannelError> {
        let action = "sign a new state";
        match (self.latest.is_some(), self.status) {
            (false, ChannelStatus::Opening) | (true, ChannelStatus::Open) => {}
            (_, status) => return Err(ChannelError::WrongStatus { action, status }),
        }
        if let Some(p) = &self.pending {
            return Err(ChannelError::UpdatePending(p.next.number));
        }
        let latest = self.latest.as_ref().map(|l| l.state.number);
        if next.number != self.next_number() {
            return Err(ChannelError::WrongNumber {
                what,
                got: next.number,
                latest,
                superseded: self.superseded,
            });
        }
        // update_leaf(k + 1) must exist for update output k.
        if next.number >= MAX_STATE {
            return Err(ChannelError::StateNumbersExhausted(next.number));
        }
        next.check(self.params.capacity)
            .map_err(|source| ChannelError::InvalidState {
                number: next.number,
                source,
            })?;
        if next.number == 0 {
            let initial = self.initial_state();
            if *next != initial {
                return Err(ChannelError::InitialState {
                    client: initial.client,
                    server: initial.server,
                });
            }
        }
        if next.ptlcs.len() > MAX_PTLCS {
            return Err(ChannelError::InvalidPtlc {
                number: next.number,
                index: MAX_PTLCS,
                reason: format!("more than {MAX_PTLCS} PTLCs"),
            });
        }
        for (index, ptlc) in next.ptlcs.iter().enumerate() {
            let bad = |reason: String| ChannelError::InvalidPtlc {
                number: next.number,
                index,
                reason,
            };
            if ptlc.amount < self.params.dust_limit {
                return Err(bad(format!(
                    "amount {} is below the dust limit {}",
                    ptlc.amount, self.params.dust_limit
                )));
            }
            if ptlc.expiry == 0 || ptlc.expiry >= LOCKTIME_THRESHOLD {
                return Err(bad(format!("expiry {} is not a block height", ptlc.expiry)));
            }
            if next.ptlcs[..index].iter().any(|p| p.point == ptlc.point) {
                return Err(bad("the same payment point is used twice".to_string()));
            }
        }
        Ok(())
    }

    fn new_nonce(
        &self,
        rand: [u8; 32],
        key: &AggregateKey,
        message: &[u8; 32],
        number: u32,
        remote: Option<&PublicNonce>,
    ) -> SecretNonce {
        // BIP327 NonceGen with every optional input: the signer's key, the aggregate key, the
        // message and, as extra input, the session's identity (channel, state, the peer's
        // nonce when known). A repeated `rand` then still gives distinct nonces for distinct
        // sessions.
        let mut extra = b"asyncpay/channel-update".to_vec();
        extra.extend_from_slice(&self.id.0);
        extra.extend_from_slice(&number.to_be_bytes());
        if let Some(r) = remote {
            extra.extend_from_slice(&r.to_bytes());
        }
        let nonce = musig2::SecNonce::build_with_pubkey(rand, self.local_key())
            .with_aggregated_pubkey(key.point())
            .with_message(message)
            .with_extra_input(&extra)
            .build();
        let bytes = Zeroizing::new(nonce.serialize());
        SecretNonce::from_storage_bytes(&bytes).expect("a freshly built nonce encodes")
    }

    /// Proposes `next` (number = latest + 1, or 0 for the opening state) with a fresh nonce
    /// from `rand` (32 bytes from the OS). Persist the returned channel before sending the
    /// proposal: it holds the secret nonce the proposal's public nonce belongs to.
    pub fn propose(
        &self,
        next: ChannelState,
        rand: [u8; 32],
    ) -> Result<(Channel, UpdateProposal), ChannelError> {
        self.check_next(&next, "update proposal")?;
        let key = self.params.aggregate_key()?;
        let txs = StateTransactions::build(&self.params, &next)?;
        let nonce = self.new_nonce(rand, &key, &txs.update_sighash, next.number, None);
        let local_nonce = nonce.public_nonce();
        let proposal = UpdateProposal {
            channel_id: self.id,
            number: next.number,
            state: WireState::from(&next),
            proposer_nonce: local_nonce.to_bytes(),
        };
        let mut channel = self.duplicate();
        channel.pending = Some(PendingUpdate {
            next,
            proposer: self.local,
            secret_nonce: Some(StoredNonce::new(&nonce)),
            local_nonce,
            remote_nonce: None,
            local_partial: None,
            remote_partial: None,
            withheld: false,
        });
        Ok((channel, proposal))
    }

    /// Accepts the peer's proposal: checks channel, number, conservation, PTLCs and then the
    /// caller's policy `check(latest, next)` (e.g. S refuses a state that takes its money;
    /// `latest` is `None` for state 0), and creates our nonce from `rand`. Persist the
    /// returned channel before sending the accept.
    pub fn accept(
        &self,
        proposal: &UpdateProposal,
        rand: [u8; 32],
        check: impl Fn(Option<&ChannelState>, &ChannelState) -> Result<(), String>,
    ) -> Result<(Channel, UpdateAccept), ChannelError> {
        self.check_channel(proposal.channel_id)?;
        let next = proposal.next_state()?;
        let remote_nonce = proposal.nonce()?;
        self.check_next(&next, "update proposal")?;
        check(self.latest.as_ref().map(|l| &l.state), &next).map_err(|reason| {
            ChannelError::Refused {
                number: next.number,
                reason,
            }
        })?;
        let key = self.params.aggregate_key()?;
        let txs = StateTransactions::build(&self.params, &next)?;
        let nonce = self.new_nonce(
            rand,
            &key,
            &txs.update_sighash,
            next.number,
            Some(&remote_nonce),
        );
        let local_nonce = nonce.public_nonce();
        let accept = UpdateAccept {
            channel_id: self.id,
            number: next.number,
            nonce: local_nonce.to_bytes(),
        };
        let mut channel = self.duplicate();
        channel.pending = Some(PendingUpdate {
            next,
            proposer: self.local.other(),
            secret_nonce: Some(StoredNonce::new(&nonce)),
            local_nonce,
            remote_nonce: Some(remote_nonce),
            local_partial: None,
            remote_partial: None,
            withheld: false,
        });
        Ok((channel, accept))
    }

    /// The proposer records the peer's nonce. The same accept twice is harmless; a
    /// different nonce for the same update is refused (the session must never change).
    pub fn on_accept(&self, accept: &UpdateAccept) -> Result<Channel, ChannelError> {
        self.check_channel(accept.channel_id)?;
        let pending = self.pending_ref()?;
        if accept.number != pending.next.number {
            return Err(ChannelError::NotThePendingUpdate {
                what: "update accept",
                got: accept.number,
                pending: pending.next.number,
            });
        }
        if pending.proposer != self.local {
            return Err(ChannelError::NotOurProposal(accept.number));
        }
        let nonce = accept.public_nonce()?;
        let mut channel = self.duplicate();
        let p = channel.pending.as_mut().expect("checked above");
        match &p.remote_nonce {
            Some(known) if *known == nonce => {}
            Some(_) => return Err(ChannelError::NonceConflict(accept.number)),
            None => p.remote_nonce = Some(nonce),
        }
        Ok(channel)
    }

    fn session(&self, pending: &PendingUpdate) -> Result<SigningSession, ChannelError> {
        let remote = pending
            .remote_nonce
            .clone()
            .ok_or(ChannelError::RemoteNonceMissing(pending.next.number))?;
        let key = self.params.aggregate_key()?;
        let txs = StateTransactions::build(&self.params, &pending.next)?;
        Ok(SigningSession::new(
            &key,
            [
                (self.local_key(), pending.local_nonce.clone()),
                (self.remote_key(), remote),
            ],
            txs.update_sighash,
        )?)
    }

    /// The payment point `T = s·G` of `signer`'s partial signature on the pending update,
    /// from public data only (PROTOCOL.md §2). Needs both nonces.
    pub fn payment_point(&self, signer: Party) -> Result<Point, ChannelError> {
        let pending = self.pending_ref()?;
        let session = self.session(pending)?;
        let point = session.payment_point(self.params.keys(signer).funding)?;
        Ok(point
            .not_inf()
            .map_err(|_| MusigError::InvalidAggregateSignature)?)
    }

    /// Signs the pending update with our funding secret key, consuming the secret nonce: the
    /// returned channel no longer holds it, and holds our partial signature instead. If the
    /// peer's partial signature is already here, the update is completed as well.
    ///
    /// No message is returned: the caller decides where the partial goes (to the peer with
    /// [`Channel::update_signature`], or — the asynchronous payment — withheld from S).
    /// **Persist the returned channel before the partial signature leaves the process.**
    /// Signing again on the returned channel fails ([`ChannelError::NonceConsumed`]);
    /// signing again on the persisted pre-sign copy after a crash gives the identical
    /// partial signature.
    pub fn sign(
        &self,
        local_funding_secret: Scalar,
    ) -> Result<(Channel, PartialSignature), ChannelError> {
        self.sign_pending(local_funding_secret, false)
    }

    /// [`Channel::sign`] for the payer of an asynchronous payment (PROTOCOL.md §5): the same
    /// signature, nonce consumption and persist-before-send rule, but the pending update is
    /// marked withheld. Our partial `s_A` goes only to the payee, encrypted (who sells it to
    /// the peer); [`Channel::update_signature`] refuses to return it
    /// ([`ChannelError::Withheld`]), for the pending update and for the state once completed.
    /// The peer's partial still completes the update ([`Channel::on_signature`]); a cancel
    /// drops it with [`Channel::supersede_pending`] ([`Channel::cancel_pending`] refuses, as
    /// for any signed update).
    pub fn sign_withheld(
        &self,
        local_funding_secret: Scalar,
    ) -> Result<(Channel, PartialSignature), ChannelError> {
        self.sign_pending(local_funding_secret, true)
    }

    /// Names why signing the pending update failed, if it is one of these: our key is not
    /// `local_funding_secret`'s, or the secret nonce is not stored or not the one whose public
    /// nonce the session holds. Signing checks them itself, without naming them.
    fn signing_refused(&self, local_funding_secret: Scalar) -> Result<(), ChannelError> {
        let pending = self.pending_ref()?;
        let number = pending.next.number;
        if local_funding_secret.base_point_mul() != self.local_key() {
            return Err(ChannelError::WrongKey(party_name(self.local)));
        }
        let secret_nonce = self.stored_nonce()?;
        if secret_nonce.public_nonce() != pending.local_nonce {
            return Err(ChannelError::Corrupt(format!(
                "the stored secret nonce for state {number} does not match our public nonce"
            )));
        }
        Ok(())
    }

    /// The pending update's secret nonce, restored, unchecked (signing checks it).
    fn stored_nonce(&self) -> Result<SecretNonce, ChannelError> {
        let pending = self.pending_ref()?;
        let stored = pending
            .secret_nonce
            .as_ref()
            .ok_or(ChannelError::NonceConsumed(pending.next.number))?;
        Ok(stored.restore()?)
    }

    fn sign_pending(
        &self,
        local_funding_secret: Scalar,
        withheld: bool,
    ) -> Result<(Channel, PartialSignature), ChannelError> {
        // `SigningSession::sign` checks the key and the secret nonce itself (the base-point
        // multiplications a check before would do a second time); `signing_refused` only
        // names a failure.
        let signed = self.session(self.pending_ref()?).and_then(|session| {
            let partial = session.sign(local_funding_secret, self.stored_nonce()?)?;
            Ok((session, partial))
        });
        let (session, partial) = match signed {
            Ok(signed) => signed,
            Err(e) => {
                self.signing_refused(local_funding_secret)?;
                return Err(e);
            }
        };
        let mut channel = self.duplicate();
        let p = channel.pending.as_mut().expect("checked above");
        p.secret_nonce = None;
        p.local_partial = Some(partial);
        p.withheld = withheld;
        if p.remote_partial.is_some() {
            channel = channel.complete(&session)?;
        }
        Ok((channel, partial))
    }

    /// Our [`UpdateSignature`] for the pending update or, once completed, for the latest
    /// state (to resend it). Send it only after the channel holding the partial is persisted.
    /// A partial signed with [`Channel::sign_withheld`] is never returned
    /// ([`ChannelError::Withheld`]).
    pub fn update_signature(&self) -> Result<UpdateSignature, ChannelError> {
        let (number, partial) = match (&self.pending, &self.latest) {
            (Some(p), _) => {
                let partial = p
                    .local_partial
                    .ok_or(ChannelError::NotSigned(p.next.number))?;
                if p.withheld {
                    return Err(ChannelError::Withheld(p.next.number));
                }
                (p.next.number, partial)
            }
            (None, Some(l)) => {
                let partial = self
                    .latest_local_partial
                    .ok_or(ChannelError::NotSigned(l.state.number))?;
                if self.latest_withheld {
                    return Err(ChannelError::Withheld(l.state.number));
                }
                (l.state.number, partial)
            }
            (None, None) => return Err(ChannelError::NoPendingUpdate),
        };
        Ok(UpdateSignature {
            channel_id: self.id,
            number,
            partial_signature: partial.to_bytes(),
        })
    }

    /// Records the peer's partial signature after verifying it. When ours is there too, the
    /// two are aggregated, the signature is verified, and the update becomes the latest
    /// signed state (its settle-leaf hash joins the history; state 0 moves the channel to
    /// awaiting funding).
    pub fn on_signature(&self, msg: &UpdateSignature) -> Result<Channel, ChannelError> {
        self.check_channel(msg.channel_id)?;
        let pending = self.pending_ref()?;
        let number = pending.next.number;
        if msg.number != number {
            return Err(ChannelError::NotThePendingUpdate {
                what: "update signature",
                got: msg.number,
                pending: number,
            });
        }
        let partial = msg.partial()?;
        let session = self.session(pending)?;
        let invalid = || ChannelError::InvalidPartialSignature {
            signer: party_name(self.local.other()),
            number,
        };
        let mut channel = self.duplicate();
        let p = channel.pending.as_mut().expect("checked above");
        p.remote_partial = Some(partial);
        if p.local_partial.is_none() {
            session
                .verify_partial(self.remote_key(), partial)
                .map_err(|_| invalid())?;
            return Ok(channel);
        }
        // Our partial was checked when we signed (`SigningSession::sign`), so the final
        // signature `complete` verifies is valid exactly when the peer's half is (as in
        // `countersign`): one BIP340 verification instead of that and the peer's partial's.
        match channel.complete(&session) {
            Err(ChannelError::Musig(MusigError::InvalidAggregateSignature)) => {
                session
                    .verify_partial(self.remote_key(), partial)
                    .map_err(|_| invalid())?;
                Err(MusigError::InvalidAggregateSignature.into())
            }
            completed => completed,
        }
    }

    /// [`Channel::on_signature`] with the peer's partial signature, then [`Channel::sign`]:
    /// for the side that signs second (S, completing every update and the payer's state
    /// from B's claim). The same checks, the same result, and the same persistence rule
    /// as `sign` (persist the returned channel before the partial signature leaves).
    ///
    /// Cheaper (issue 10): one session instead of two, and one BIP340 verification of the
    /// final signature instead of a verification of the peer's partial, the crate's check of
    /// our own and a verification of the final signature
    /// ([`SigningSession::sign_and_aggregate`]). The peer's partial is still checked: our
    /// partial is computed from our own nonce and key alone — `sign_and_aggregate` refuses a
    /// secret nonce or key that is not the session's for us, so ours is right — and the final
    /// signature then verifies only if the peer's partial is valid; when it does not verify the peer's partial is
    /// verified on its own to report whose half is wrong, exactly as `on_signature` would.
    /// Our partial signature is computed before the peer's is known to be good, but leaves
    /// nothing: it is returned only with a verified final signature, and signing the same
    /// session again with the same nonce gives the identical partial (the session is fixed).
    ///
    /// Anything but a pending update awaiting both partials goes through `on_signature` and
    /// `sign` themselves.
    pub fn countersign(
        &self,
        msg: &UpdateSignature,
        local_funding_secret: Scalar,
    ) -> Result<(Channel, PartialSignature), ChannelError> {
        let fresh = self.id == msg.channel_id
            && self.pending.as_ref().is_some_and(|p| {
                p.next.number == msg.number
                    && p.local_partial.is_none()
                    && p.remote_partial.is_none()
                    && p.secret_nonce.is_some()
                    && p.remote_nonce.is_some()
            });
        if !fresh {
            return self.on_signature(msg)?.sign(local_funding_secret);
        }
        let pending = self.pending_ref()?;
        let number = pending.next.number;
        let remote = msg.partial()?;
        // `sign_and_aggregate` checks the key and the secret nonce itself (the base-point
        // multiplications a check before would do a second time); `signing_refused` only
        // names a failure.
        let session = self.session(pending)?;
        let signed = session.sign_and_aggregate(
            self.local_key(),
            local_funding_secret,
            self.stored_nonce()?,
            remote,
        );
        let (local, signature) = match signed {
            Ok(done) => done,
            Err(MusigError::NonceKeyMismatch) => {
                self.signing_refused(local_funding_secret)?;
                return Err(MusigError::NonceKeyMismatch.into());
            }
            Err(MusigError::InvalidAggregateSignature) => {
                // Ours is right (`sign_and_aggregate` checked our key and nonce): the peer's half
                // is wrong, reported as `on_signature` reports it.
                session
                    .verify_partial(self.remote_key(), remote)
                    .map_err(|_| ChannelError::InvalidPartialSignature {
                        signer: party_name(self.local.other()),
                        number,
                    })?;
                return Err(MusigError::InvalidAggregateSignature.into());
            }
            Err(e) => return Err(e.into()),
        };
        let mut channel = self.duplicate();
        let p = channel.pending.as_mut().expect("checked above");
        p.secret_nonce = None;
        p.local_partial = Some(local);
        p.remote_partial = Some(remote);
        p.withheld = false;
        Ok((channel.completed(signature)?, local))
    }

    /// Aggregates both partial signatures of the pending update and makes it the latest.
    fn complete(self, session: &SigningSession) -> Result<Channel, ChannelError> {
        let p = self.pending.as_ref().expect("completing a pending update");
        let (Some(local), Some(remote)) = (p.local_partial, p.remote_partial) else {
            unreachable!("both partial signatures are present when completing");
        };
        // Verified by `aggregate`.
        let signature = session.aggregate(local, remote)?;
        self.completed(signature)
    }

    /// Makes the pending update, with our partial signature, the latest signed state with
    /// `signature`, the 2-of-2 aggregate, verified by the caller.
    fn completed(mut self, signature: [u8; 64]) -> Result<Channel, ChannelError> {
        let p = self.pending.take().expect("completing a pending update");
        let Some(local_partial) = p.local_partial else {
            unreachable!("our partial signature is present when completing");
        };
        let signed = SignedUpdate {
            next: p.next,
            local_partial,
            withheld: p.withheld,
        };
        self.completed_with(signed, signature)
    }

    /// Makes `p`, an update we signed, the latest signed state with `signature`.
    fn completed_with(
        mut self,
        p: SignedUpdate,
        signature: [u8; 64],
    ) -> Result<Channel, ChannelError> {
        let local = p.local_partial;
        let txs = StateTransactions::build(&self.params, &p.next)?;
        self.history.insert(p.next.number, txs.settle_leaf_hash());
        self.history
            .freeze_below(self.id, self.local, p.next.number);
        if p.next.number == 0 && self.status == ChannelStatus::Opening {
            self.status = ChannelStatus::AwaitingFunding;
        }
        self.latest = Some(SignedState {
            state: p.next,
            signature,
        });
        self.latest_local_partial = Some(local);
        self.latest_withheld = p.withheld;
        // The new latest state supersedes on chain whatever update was superseded before it.
        self.superseded = None;
        self.superseded_signed.clear();
        Ok(self)
    }

    /// The 2-of-2 signature of our pending update in `tx`, an update transaction on chain:
    /// the peer completed the state we signed and published it without giving us its half
    /// (S withholding the state of a payee's claim, or a payer's payment). The same for an
    /// update we signed and then superseded, until the next state completes (a sale S
    /// withdrew, a cancelled payment). `None` when `tx` is not such an update with a valid
    /// signature.
    pub fn pending_signature_in(&self, tx: &Transaction) -> Result<Option<[u8; 64]>, ChannelError> {
        let number = scripts::state_from_locktime(tx.lock_time);
        let Some(signed) = self
            .signed_above_latest()
            .find(|u| Some(u.next.number) == number)
        else {
            return Ok(None);
        };
        let witnessed = tx
            .input
            .iter()
            .filter_map(|i| i.witness.nth(0)?.get(..64)?.try_into().ok());
        self.signature_of(&signed.next, witnessed)
    }

    /// The updates above the latest state that we signed: the pending one, and those we
    /// superseded.
    fn signed_above_latest(&self) -> impl Iterator<Item = SignedUpdate> + '_ {
        let pending = self.pending.as_ref().and_then(PendingUpdate::signed);
        pending
            .into_iter()
            .chain(self.superseded_signed.iter().cloned())
    }

    /// The first of `signatures` that is the 2-of-2 signature of `next`'s update.
    fn signature_of(
        &self,
        next: &ChannelState,
        signatures: impl IntoIterator<Item = [u8; 64]>,
    ) -> Result<Option<[u8; 64]>, ChannelError> {
        let key = self.params.aggregate_key()?;
        let digest = StateTransactions::build(&self.params, next)?.update_sighash;
        Ok(signatures
            .into_iter()
            .find(|s| crate::crypto::verify_bip340(key.point(), s, digest)))
    }

    /// Makes our pending update (or the update we signed and superseded) the latest signed
    /// state with `signature`, its 2-of-2 signature read from the chain
    /// ([`Channel::pending_signature_in`]): the state is final on chain, and its settlement
    /// (a covenant: anyone can build it) is ours to publish should the peer never do it.
    pub fn adopt_pending(&self, signature: [u8; 64]) -> Result<Channel, ChannelError> {
        let mut signed = self.signed_above_latest().peekable();
        if signed.peek().is_none() {
            return Err(ChannelError::NoPendingUpdate);
        }
        for update in signed {
            if self.signature_of(&update.next, [signature])?.is_some() {
                let number = update.next.number;
                let mut channel = self.duplicate();
                // What we signed above the adopted update stays: the pending update, and
                // superseded ones the peer could publish over it.
                if channel
                    .pending
                    .as_ref()
                    .is_some_and(|p| p.next.number <= number)
                {
                    channel.pending = None;
                }
                let mut adopted = channel.completed_with(update, signature)?;
                adopted.superseded = self.superseded.filter(|s| *s > number);
                adopted.superseded_signed = self
                    .superseded_signed
                    .iter()
                    .filter(|u| u.next.number > number)
                    .cloned()
                    .collect();
                return Ok(adopted);
            }
        }
        Err(MusigError::InvalidAggregateSignature.into())
    }

    /// Drops a pending update we have not signed (the peer refused, or went away). A
    /// pending update we signed cannot be dropped: the peer may complete it.
    pub fn cancel_pending(&self) -> Result<Channel, ChannelError> {
        let pending = self.pending_ref()?;
        if pending.local_partial.is_some() {
            return Err(ChannelError::CannotCancelSigned(pending.next.number));
        }
        let mut channel = self.duplicate();
        channel.pending = None;
        Ok(channel)
    }

    /// Whether we may drop the pending update though we signed it, once the peer refuses
    /// to complete it ([`Channel::supersede_pending`]): it only adds PTLCs the peer offers
    /// us to the latest signed state — our balance and every earlier PTLC as they were, the
    /// peer's balance lowered by what the new ones lock (a sale state, at the payee) — and
    /// we keep no other update we signed and superseded (the state restoring our balances
    /// above that one comes first). Should the peer still complete and publish it, it takes
    /// nothing of ours, and we adopt and settle it ([`Channel::adopt_pending`]).
    pub fn may_drop_signed_pending(&self) -> bool {
        let (Some(latest), Some(pending), true) = (
            &self.latest,
            &self.pending,
            self.superseded_signed.is_empty(),
        ) else {
            return false;
        };
        let (before, after) = (&latest.state, &pending.next);
        let ours = |s: &ChannelState| match self.local {
            Party::Client => s.client,
            Party::Server => s.server,
        };
        let peer = self.local.other();
        after.ptlcs.len() > before.ptlcs.len()
            && after.ptlcs.starts_with(&before.ptlcs)
            && after.ptlcs[before.ptlcs.len()..]
                .iter()
                .all(|x| x.offerer == peer)
            && ours(after) == ours(before)
    }

    /// Takes back [`Channel::supersede_pending`] of update `number` for a peer that proposes
    /// that number again: the next update may carry it, and the dropped update's settle-leaf
    /// hash leaves the history. Only for an update we never signed (so that nobody can ever
    /// complete it): a peer that had not signed it either dropped it without superseding
    /// ([`Channel::cancel_pending`]), and would otherwise stay one number behind us. `None`
    /// while an update is pending, when `number` is not the superseded update's, or when we
    /// had signed it.
    pub fn take_back_supersede(&self, number: u32) -> Option<Channel> {
        if self.pending.is_some()
            || self.superseded != Some(number)
            || !self.superseded_signed.is_empty()
        {
            return None;
        }
        let mut channel = self.duplicate();
        channel.history.remove_newest(number);
        // An update superseded before this one, if any, is the superseded one again.
        let latest = self.latest.as_ref().map(|l| l.state.number);
        channel.superseded = channel
            .history
            .tail()
            .last_key_value()
            .map(|(k, _)| *k)
            .filter(|k| latest.is_some_and(|n| *k > n));
        Some(channel)
    }

    /// Drops the pending update whatever its signing status — proposed by either side, our
    /// nonce used or not, withheld or not — and makes the next update supersede it: the
    /// cancel of an asynchronous payment (PROTOCOL.md §5 step 6), on both sides, once the
    /// peer has agreed to the cancel (S refuses any later sale atomically with it).
    ///
    /// Our secret nonce, if still here, is discarded unused. The pending state's settle-leaf
    /// hash joins the history, so that once the next state is signed it can be rebound over
    /// the dropped update should the peer ever complete and publish it (e.g. S with `s_A`
    /// bought from the payee), and [`Channel::next_number`] becomes the dropped number + 1.
    /// Until that next state is signed, the dropped update is newer than our latest state:
    /// sign the next state promptly. Needs an open channel with a signed state.
    pub fn supersede_pending(&self) -> Result<Channel, ChannelError> {
        if self.status != ChannelStatus::Open {
            return Err(ChannelError::WrongStatus {
                action: "supersede the pending update",
                status: self.status,
            });
        }
        self.latest_ref()?;
        let pending = self.pending_ref()?;
        let number = pending.next.number;
        let txs = StateTransactions::build(&self.params, &pending.next)?;
        let mut channel = self.duplicate();
        channel.superseded_signed.extend(pending.signed());
        channel.pending = None;
        channel.history.insert(number, txs.settle_leaf_hash());
        channel.superseded = Some(number);
        Ok(channel)
    }

    // ----- funding and status -----

    /// The funder published the funding transaction (after state 0 was signed). Persist the
    /// returned channel before sending the message.
    pub fn funding_published(
        &self,
        outpoint: OutPoint,
    ) -> Result<(Channel, FundingPublished), ChannelError> {
        let channel = self.record_funding(outpoint)?;
        let msg = FundingPublished {
            channel_id: self.id,
            funding_outpoint: outpoint.to_string(),
        };
        Ok((channel, msg))
    }

    /// The peer published the funding transaction. (The caller watches the chain for it and
    /// reports its depth with [`Channel::on_funding_confirmed`].)
    pub fn on_funding_published(&self, msg: &FundingPublished) -> Result<Channel, ChannelError> {
        self.check_channel(msg.channel_id)?;
        self.record_funding(msg.outpoint()?)
    }

    /// Checks that output `outpoint` of `tx` (the funding transaction as the chain shows it)
    /// pays exactly this channel's funding script with exactly its capacity. Nobody's word
    /// stands in for this check (PROTOCOL.md §7.8): S checks what a client names, the client
    /// checks what S names, and the watcher counts confirmations only for such an output.
    pub fn check_funding_output(
        &self,
        tx: &Transaction,
        outpoint: OutPoint,
    ) -> Result<(), ChannelError> {
        let mismatch = |reason: String| ChannelError::FundingMismatch { outpoint, reason };
        let txid = tx.compute_txid();
        if txid != outpoint.txid {
            return Err(mismatch(format!("the transaction given is {txid}")));
        }
        let expected = self.params.funding_output()?;
        let Some(out) = usize::try_from(outpoint.vout)
            .ok()
            .and_then(|i| tx.output.get(i))
        else {
            return Err(mismatch(format!(
                "transaction {txid} has only {} outputs",
                tx.output.len()
            )));
        };
        if out.script_pubkey != expected.script_pubkey {
            return Err(mismatch(format!(
                "it pays script {}, not the channel's funding script {}",
                out.script_pubkey.to_hex_string(),
                expected.script_pubkey.to_hex_string()
            )));
        }
        if out.value != expected.value {
            return Err(mismatch(format!(
                "it pays {}, not the channel's capacity {}",
                out.value, expected.value
            )));
        }
        Ok(())
    }

    fn record_funding(&self, outpoint: OutPoint) -> Result<Channel, ChannelError> {
        if self.status != ChannelStatus::AwaitingFunding {
            return Err(ChannelError::WrongStatus {
                action: "record the funding transaction",
                status: self.status,
            });
        }
        if let Some(known) = self.funding {
            if known != outpoint {
                return Err(ChannelError::FundingConflict {
                    known,
                    got: outpoint,
                });
            }
        }
        let mut channel = self.duplicate();
        channel.funding = Some(outpoint);
        Ok(channel)
    }

    /// The funding transaction has `confirmations` confirmations; at the minimum depth the
    /// channel is open.
    pub fn on_funding_confirmed(&self, confirmations: u32) -> Result<Channel, ChannelError> {
        if self.funding.is_none() {
            return Err(ChannelError::FundingUnknown);
        }
        if !matches!(
            self.status,
            ChannelStatus::AwaitingFunding | ChannelStatus::Open
        ) {
            return Err(ChannelError::WrongStatus {
                action: "confirm the funding",
                status: self.status,
            });
        }
        let mut channel = self.duplicate();
        channel.confirmations = confirmations;
        if confirmations >= self.minimum_depth {
            channel.status = ChannelStatus::Open;
        }
        Ok(channel)
    }

    /// A close is under way (cooperative or force): no new updates. A proposal the peer has
    /// not accepted is dropped; an agreed update stays, so that it can still be completed
    /// (and rebound over the published one) while the close is not settled — e.g. S
    /// completing a payer's update when the payee's claim reveals its partial signature.
    pub fn closing(&self) -> Result<Channel, ChannelError> {
        if self.status == ChannelStatus::Closed {
            return Err(ChannelError::WrongStatus {
                action: "close",
                status: self.status,
            });
        }
        let mut channel = self.duplicate();
        if channel
            .pending
            .as_ref()
            .is_some_and(|p| p.local_partial.is_none() && p.remote_nonce.is_none())
        {
            channel.pending = None;
        }
        channel.status = ChannelStatus::Closing;
        Ok(channel)
    }

    /// The funding output is spent for good (close or settlement confirmed deep enough).
    pub fn closed(&self) -> Channel {
        let mut channel = self.duplicate();
        channel.pending = None;
        channel.status = ChannelStatus::Closed;
        channel
    }

    // ----- transactions -----

    fn latest_ref(&self) -> Result<&SignedState, ChannelError> {
        self.latest.as_ref().ok_or(ChannelError::NoSignedState)
    }

    /// Update and settlement transactions of the latest signed state.
    pub fn latest_transactions(&self) -> Result<StateTransactions, ChannelError> {
        Ok(StateTransactions::build(
            &self.params,
            &self.latest_ref()?.state,
        )?)
    }

    /// The latest update, signed, spending `input` (the funding output or an older update).
    pub fn signed_update_tx(&self, input: &UpdateInput) -> Result<Transaction, ChannelError> {
        let latest = self.latest_ref()?;
        Ok(self
            .latest_transactions()?
            .signed_update(&self.params, input, &latest.signature)?)
    }

    /// The latest update spending the funding output: what a force close publishes first.
    pub fn funding_update_tx(&self) -> Result<Transaction, ChannelError> {
        let funding = self.funding.ok_or(ChannelError::FundingUnknown)?;
        self.signed_update_tx(&UpdateInput::Funding(funding))
    }

    /// The latest settlement spending the latest update output at `update_outpoint`
    /// (valid `shared_delay` blocks after that update confirmed).
    pub fn settlement_tx(&self, update_outpoint: OutPoint) -> Result<Transaction, ChannelError> {
        Ok(self
            .latest_transactions()?
            .signed_settlement(update_outpoint))
    }

    /// Reacts to an update transaction of this channel seen on chain. An older state: returns
    /// the latest update rebound over it (publish it). The latest state: `None` (wait
    /// `shared_delay` blocks and publish [`Channel::settlement_tx`]). Anything else is an
    /// error: not an update of this channel, or newer than our latest.
    ///
    /// `older` holds the chunks of the history stored apart that were read (any number; the
    /// one holding the published state is used, [`ChannelError::HistoryChunkNeeded`] names
    /// it when it is missing): empty when none was.
    pub fn react_to_published_update(
        &self,
        tx: &Transaction,
        older: &[HistoryChunk],
    ) -> Result<Option<Transaction>, ChannelError> {
        let latest = self.latest_ref()?;
        let txid = tx.compute_txid();
        let number = scripts::state_from_locktime(tx.lock_time)
            .filter(|n| *n < MAX_STATE)
            .ok_or(ChannelError::NotOurUpdate(txid))?;
        if number > latest.state.number {
            return Err(ChannelError::PublishedNewer {
                published: number,
                latest: latest.state.number,
            });
        }
        let history = self
            .history
            .map_for(
                number,
                older.iter().find(|c| {
                    c.channel_id() == self.id
                        && c.local() == self.local
                        && c.index() == super::history::chunk_of(number)
                }),
            )
            .map_err(ChannelError::HistoryChunkNeeded)?;
        let input = published_update_input(tx, history).map_err(|e| match e {
            EltooError::NotAnUpdate => ChannelError::NotOurUpdate(txid),
            other => ChannelError::Eltoo(other),
        })?;
        let UpdateInput::Update {
            settle_leaf_hash, ..
        } = &input
        else {
            return Err(ChannelError::NotOurUpdate(txid));
        };
        let tree = TapTree::new(
            self.params.internal_key()?,
            &[
                scripts::leaf_hash(&scripts::update_leaf(number + 1)),
                *settle_leaf_hash,
            ],
        );
        let out = &tx.output[0];
        if out.script_pubkey != tree.script_pubkey() || out.value != self.params.capacity {
            return Err(ChannelError::NotOurUpdate(txid));
        }
        if number == latest.state.number {
            return Ok(None);
        }
        self.signed_update_tx(&input).map(Some)
    }

    /// The unsigned cooperative close paying the latest balances, `fee` from `fee_payer`.
    /// Both sides then MuSig2-sign [`CooperativeClose::sighash`] under
    /// [`CooperativeClose::signing_key`] (a separate session with fresh nonces).
    pub fn cooperative_close(
        &self,
        fee: Amount,
        fee_payer: Party,
    ) -> Result<CooperativeClose, ChannelError> {
        let funding = self.funding.ok_or(ChannelError::FundingUnknown)?;
        if let Some(p) = &self.pending {
            return Err(ChannelError::UpdatePending(p.next.number));
        }
        let state = &self.latest_ref()?.state;
        if !state.ptlcs.is_empty() {
            return Err(ChannelError::PtlcsOutstanding(state.ptlcs.len()));
        }
        Ok(CooperativeClose::new(
            &self.params,
            funding,
            state.client,
            state.server,
            fee,
            fee_payer,
        )?)
    }
}

// ----- persisted form -----

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedStateRecord {
    state: WireState,
    #[serde(with = "hex::array")]
    signature: [u8; 64],
    #[serde(with = "hex::option")]
    local_partial: Option<[u8; 32]>,
    /// Completed from a withheld partial of ours (absent: false, the format before it).
    #[serde(default, skip_serializing_if = "is_false")]
    withheld: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingRecord {
    next: WireState,
    proposer: Party,
    secret_nonce: Option<StoredNonce>,
    #[serde(with = "hex::array")]
    local_nonce: [u8; 66],
    #[serde(with = "hex::option")]
    remote_nonce: Option<[u8; 66]>,
    #[serde(with = "hex::option")]
    local_partial: Option<[u8; 32]>,
    #[serde(with = "hex::option")]
    remote_partial: Option<[u8; 32]>,
    /// Signed with `sign_withheld` (absent: false, the format before it).
    #[serde(default, skip_serializing_if = "is_false")]
    withheld: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRecord {
    format: u32,
    channel_id: ChannelId,
    local: Party,
    params: WireParams,
    funder: Party,
    push_sat: u64,
    minimum_depth: u32,
    funding_outpoint: Option<String>,
    confirmations: u32,
    status: ChannelStatus,
    latest: Option<SignedStateRecord>,
    /// The settle-leaf hashes above the chunks stored apart.
    settle_leaf_hashes: BTreeMap<u32, Hex32>,
    /// Chunks of the history stored apart, under [`HistoryChunk::key`] (absent: none,
    /// format 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    history_chunks: u32,
    /// The update superseded above the latest state (absent: none, the format before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    superseded: Option<u32>,
    /// The superseded updates above the latest state that we had signed, oldest first
    /// (absent: none, or the format before it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    superseded_signed: Vec<SupersededRecord>,
    pending: Option<PendingRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupersededRecord {
    state: WireState,
    #[serde(with = "hex::array")]
    local_partial: [u8; 32],
    #[serde(default, skip_serializing_if = "is_false")]
    withheld: bool,
}

impl From<&Channel> for ChannelRecord {
    fn from(c: &Channel) -> Self {
        ChannelRecord {
            format: if c.history.apart() == 0 {
                1
            } else {
                CHANNEL_FORMAT_VERSION
            },
            channel_id: c.id,
            local: c.local,
            params: WireParams::from(&c.params),
            funder: c.funder,
            push_sat: c.push.to_sat(),
            minimum_depth: c.minimum_depth,
            funding_outpoint: c.funding.map(|o| o.to_string()),
            confirmations: c.confirmations,
            status: c.status,
            latest: c.latest.as_ref().map(|l| SignedStateRecord {
                state: WireState::from(&l.state),
                signature: l.signature,
                local_partial: c.latest_local_partial.map(|s| s.to_bytes()),
                withheld: c.latest_withheld,
            }),
            settle_leaf_hashes: hashes_to_record(c.history.tail().iter()),
            history_chunks: c.history.apart(),
            superseded: c.superseded,
            superseded_signed: c
                .superseded_signed
                .iter()
                .map(|u| SupersededRecord {
                    state: WireState::from(&u.next),
                    local_partial: u.local_partial.to_bytes(),
                    withheld: u.withheld,
                })
                .collect(),
            pending: c.pending.as_ref().map(|p| PendingRecord {
                next: WireState::from(&p.next),
                proposer: p.proposer,
                secret_nonce: p.secret_nonce.as_ref().map(StoredNonce::duplicate),
                local_nonce: p.local_nonce.to_bytes(),
                remote_nonce: p.remote_nonce.as_ref().map(PublicNonce::to_bytes),
                local_partial: p.local_partial.map(|s| s.to_bytes()),
                remote_partial: p.remote_partial.map(|s| s.to_bytes()),
                withheld: p.withheld,
            }),
        }
    }
}

fn corrupt(what: impl fmt::Display) -> ChannelError {
    ChannelError::Corrupt(what.to_string())
}

fn partial(bytes: &[u8; 32]) -> Result<PartialSignature, ChannelError> {
    PartialSignature::from_bytes(bytes).map_err(corrupt)
}

/// A persisted state, with the number range every transaction builder relies on.
fn persisted_state(wire: &WireState) -> Result<ChannelState, ChannelError> {
    let state = ChannelState::try_from(wire)?;
    if state.number >= MAX_STATE {
        return Err(corrupt(format_args!(
            "state number {} is out of range",
            state.number
        )));
    }
    Ok(state)
}

impl TryFrom<ChannelRecord> for Channel {
    type Error = ChannelError;

    fn try_from(r: ChannelRecord) -> Result<Channel, ChannelError> {
        if !(1..=CHANNEL_FORMAT_VERSION).contains(&r.format) {
            return Err(corrupt(format_args!(
                "format {} is not supported (this build reads formats 1 to \
                 {CHANNEL_FORMAT_VERSION})",
                r.format
            )));
        }
        if (r.format == 1) != (r.history_chunks == 0) {
            return Err(corrupt(format_args!(
                "format {} with {} chunks of history stored apart (format 1 has none, format \
                 2 at least one)",
                r.format, r.history_chunks
            )));
        }
        let params = ChannelParams::try_from(&r.params)?;
        let push = messages::amount("push", r.push_sat)?;
        let mut c = Channel::new(
            r.channel_id,
            r.local,
            params,
            r.funder,
            push,
            r.minimum_depth,
        )?;
        c.funding = r
            .funding_outpoint
            .map(|s| s.parse::<OutPoint>().map_err(corrupt))
            .transpose()?;
        c.confirmations = r.confirmations;
        c.status = r.status;
        let tail = hashes_from_record(r.settle_leaf_hashes);
        let apart = r.history_chunks;
        if let Some(k) = tail.keys().next().filter(|k| chunk_of(**k) < apart) {
            return Err(corrupt(format_args!(
                "settle-leaf hash of state {k} is kept in the record and in chunk {} stored \
                 apart",
                chunk_of(*k)
            )));
        }
        c.history = History::loaded(apart, tail);
        let key = c.params.aggregate_key()?;
        if let Some(l) = r.latest {
            let state = persisted_state(&l.state)?;
            let txs = StateTransactions::build(&c.params, &state)?;
            if !crate::crypto::verify_bip340(key.point(), &l.signature, txs.update_sighash) {
                return Err(corrupt(format_args!("signature of state {}", state.number)));
            }
            if c.history.get(state.number) != Some(&txs.settle_leaf_hash()) {
                return Err(corrupt(format_args!(
                    "settle-leaf hash of state {} is missing or wrong",
                    state.number
                )));
            }
            c.latest_local_partial = l.local_partial.as_ref().map(partial).transpose()?;
            if l.withheld && c.latest_local_partial.is_none() {
                return Err(corrupt(format_args!(
                    "state {} is marked withheld without our partial signature",
                    state.number
                )));
            }
            c.latest_withheld = l.withheld;
            c.latest = Some(SignedState {
                state,
                signature: l.signature,
            });
        } else if !matches!(c.status, ChannelStatus::Opening | ChannelStatus::Closed) {
            // Closed without a signed state: an opening abandoned before anything was signed.
            return Err(corrupt(format_args!(
                "status {} without a signed state",
                c.status
            )));
        }
        let latest = c.latest.as_ref().map(|l| l.state.number);
        if let Some(s) = r.superseded {
            let Some(n) = latest else {
                return Err(corrupt(format_args!(
                    "update {s} is superseded but no state is signed"
                )));
            };
            if s <= n || s >= MAX_STATE {
                return Err(corrupt(format_args!(
                    "superseded update {s} is not between the latest signed state {n} and \
                     {MAX_STATE}"
                )));
            }
            if c.history.get(s).is_none() {
                return Err(corrupt(format_args!(
                    "settle-leaf hash of the superseded update {s} is missing"
                )));
            }
            c.superseded = Some(s);
        }
        // Each signed superseded update: above the latest state (and the one before it), up
        // to the last superseded, its hash the one the history keeps.
        for u in r.superseded_signed {
            let next = persisted_state(&u.state)?;
            let hash = StateTransactions::build(&c.params, &next)
                .map_err(corrupt)?
                .settle_leaf_hash();
            let floor = c.superseded_signed.last().map(|p| p.next.number).or(latest);
            if floor.is_some_and(|f| next.number <= f)
                || r.superseded.is_none_or(|s| next.number > s)
                || c.history.get(next.number) != Some(&hash)
            {
                return Err(corrupt(format_args!(
                    "the signed superseded update {} is not a superseded update",
                    next.number
                )));
            }
            c.superseded_signed.push(SignedUpdate {
                next,
                local_partial: partial(&u.local_partial)?,
                withheld: u.withheld,
            });
        }
        // Nothing above the latest state is kept but superseded updates (below the last one).
        if let Some((&k, _)) = c.history.tail().last_key_value() {
            if r.superseded.or(latest).is_none_or(|top| k > top) {
                return Err(corrupt(format_args!(
                    "settle-leaf hash of state {k}, which is neither signed nor superseded"
                )));
            }
        }
        // Only chunks entirely below the latest state are stored apart.
        if c.history.apart() > latest.map_or(0, chunk_of) {
            return Err(corrupt(format_args!(
                "{} chunks of history stored apart, but the latest signed state is {latest:?}",
                c.history.apart()
            )));
        }
        // A record of format 1 carries every hash: the next save stores its full chunks apart.
        if let Some(n) = latest {
            c.history.freeze_below(c.id, c.local, n);
        }
        if let Some(p) = r.pending {
            if p.next.number != c.next_number() {
                return Err(corrupt(format_args!(
                    "the pending update is for state {} but the next state is {}",
                    p.next.number,
                    c.next_number()
                )));
            }
            if p.withheld && p.local_partial.is_none() {
                return Err(corrupt(
                    "the pending update is marked withheld without our partial signature",
                ));
            }
            let local_nonce = PublicNonce::from_bytes(&p.local_nonce).map_err(corrupt)?;
            if let Some(s) = &p.secret_nonce {
                if s.restore().map_err(corrupt)?.public_nonce() != local_nonce {
                    return Err(corrupt("secret nonce does not match the public nonce"));
                }
            }
            if p.secret_nonce.is_some() == p.local_partial.is_some() {
                return Err(corrupt(
                    "a pending update must hold either the secret nonce or our partial signature",
                ));
            }
            c.pending = Some(PendingUpdate {
                next: persisted_state(&p.next)?,
                proposer: p.proposer,
                secret_nonce: p.secret_nonce,
                local_nonce,
                remote_nonce: p
                    .remote_nonce
                    .map(|n| PublicNonce::from_bytes(&n).map_err(corrupt))
                    .transpose()?,
                local_partial: p.local_partial.as_ref().map(partial).transpose()?,
                remote_partial: p.remote_partial.as_ref().map(partial).transpose()?,
                withheld: p.withheld,
            });
        }
        Ok(c)
    }
}

impl Serialize for Channel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ChannelRecord::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let record = ChannelRecord::deserialize(d)?;
        Channel::try_from(record).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eltoo::xonly;

    fn keys(seed: u8) -> (Scalar, PartyKeys) {
        let s = |i: u8| Scalar::try_from([seed, i].repeat(16).as_slice()).unwrap();
        let funding = s(1);
        let keys = PartyKeys {
            funding: funding.base_point_mul(),
            settlement: xonly(&s(2).base_point_mul()),
            ptlc: xonly(&s(3).base_point_mul()),
        };
        (funding, keys)
    }

    fn pair() -> (Channel, Channel, Scalar, Scalar) {
        let (cs, ck) = keys(1);
        let (ss, sk) = keys(2);
        let params = ChannelParams {
            client: ck,
            server: sk,
            capacity: Amount::from_sat(100_000),
            shared_delay: 6,
            dust_limit: DUST_LIMIT,
        };
        let id = ChannelId([5; 32]);
        let new = |local| Channel::new(id, local, params.clone(), Party::Client, Amount::ZERO, 1);
        (
            new(Party::Client).unwrap(),
            new(Party::Server).unwrap(),
            cs,
            ss,
        )
    }

    fn ok(_: Option<&ChannelState>, _: &ChannelState) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let (client, _, _, _) = pair();
        let (c, _) = client.propose(client.initial_state(), [9; 32]).unwrap();
        let bytes = c
            .pending()
            .unwrap()
            .secret_nonce
            .as_ref()
            .unwrap()
            .0
            .to_vec();
        let debug = format!("{c:?}");
        assert!(debug.contains("StoredNonce(<secret>)"));
        assert!(!debug.contains(&hex::encode(&bytes[..8])));
    }

    #[test]
    fn the_same_randomness_gives_distinct_nonces_for_distinct_sessions() {
        let (client, server, _, _) = pair();
        let (_, p1) = client.propose(client.initial_state(), [1; 32]).unwrap();
        let (_, p2) = client.propose(client.initial_state(), [2; 32]).unwrap();
        assert_ne!(p1.proposer_nonce, p2.proposer_nonce);
        // The acceptor reuses its randomness by mistake: the proposer's nonce is an input.
        let (_, a1) = server.accept(&p1, [7; 32], ok).unwrap();
        let (_, a2) = server.accept(&p2, [7; 32], ok).unwrap();
        assert_ne!(a1.nonce, a2.nonce);
        // The same session again is the same nonce (deterministic given the inputs).
        let (_, a3) = server.accept(&p1, [7; 32], ok).unwrap();
        assert_eq!(a1.nonce, a3.nonce);
    }

    #[test]
    fn countersign_is_on_signature_then_sign() {
        let (client, server, cs, ss) = pair();
        let (c, proposal) = client.propose(client.initial_state(), [1; 32]).unwrap();
        let (s, accept) = server.accept(&proposal, [2; 32], ok).unwrap();
        let c = c.on_accept(&accept).unwrap();
        let (c, _) = c.sign(cs).unwrap();
        let msg = c.update_signature().unwrap();

        let (slow, slow_partial) = s.on_signature(&msg).unwrap().sign(ss).unwrap();
        let (fast, fast_partial) = s.countersign(&msg, ss).unwrap();
        assert_eq!(fast_partial, slow_partial);
        assert_eq!(
            serde_json::to_value(&fast).unwrap(),
            serde_json::to_value(&slow).unwrap()
        );
        assert_eq!(fast.latest().unwrap().state.number, 0);
        let reply = fast.update_signature().unwrap();
        let c = c.on_signature(&reply).unwrap();
        assert_eq!(
            c.latest().unwrap().signature,
            fast.latest().unwrap().signature
        );

        // A wrong partial: the error on_signature gives, and nothing changes.
        let mut bad = msg.clone();
        bad.partial_signature[31] ^= 1;
        assert_eq!(
            s.countersign(&bad, ss).unwrap_err(),
            s.on_signature(&bad).unwrap_err()
        );
        assert!(matches!(
            s.countersign(&bad, ss).unwrap_err(),
            ChannelError::InvalidPartialSignature { number: 0, .. }
        ));
        // The wrong key, and a signature for another state, as `sign` and `on_signature`.
        assert_eq!(
            s.countersign(&msg, cs).unwrap_err(),
            ChannelError::WrongKey("server")
        );
        let mut other = msg.clone();
        other.number = 1;
        assert_eq!(
            s.countersign(&other, ss).unwrap_err(),
            s.on_signature(&other).unwrap_err()
        );
        // Once signed, the nonce is gone: countersigning the completed channel fails as
        // signing it again would.
        assert!(fast.countersign(&msg, ss).is_err());
    }

    #[test]
    fn sign_needs_the_remote_nonce_and_the_right_key() {
        let (client, _, cs, ss) = pair();
        let (c, _) = client.propose(client.initial_state(), [1; 32]).unwrap();
        assert_eq!(c.sign(cs).unwrap_err(), ChannelError::RemoteNonceMissing(0));
        assert_eq!(c.sign(ss).unwrap_err(), ChannelError::WrongKey("client"));
        assert_eq!(
            c.update_signature().unwrap_err(),
            ChannelError::NotSigned(0)
        );
        assert_eq!(client.sign(cs).unwrap_err(), ChannelError::NoPendingUpdate);
    }

    #[test]
    fn persisted_pending_updates_are_checked() {
        let (client, server, cs, _) = pair();
        let (c, p) = client.propose(client.initial_state(), [1; 32]).unwrap();
        let (_, a) = server.accept(&p, [2; 32], ok).unwrap();
        let c = c.on_accept(&a).unwrap();
        let before: serde_json::Value = serde_json::to_value(&c).unwrap();
        let (signed, partial) = c.sign(cs).unwrap();
        let after: serde_json::Value = serde_json::to_value(&signed).unwrap();

        // Neither the nonce nor our partial: the nonce's fate is unknown.
        let mut v = after.clone();
        v["pending"]["local_partial"] = serde_json::Value::Null;
        let err = serde_json::from_value::<Channel>(v)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("either the secret nonce or our partial"),
            "{err}"
        );
        // Both: a consumed nonce must not come back.
        let mut v = before.clone();
        v["pending"]["local_partial"] = hex::encode(&partial.to_bytes()).into();
        assert!(serde_json::from_value::<Channel>(v).is_err());
        // A secret nonce that does not belong to our public nonce.
        let mut v = before.clone();
        v["pending"]["local_nonce"] = hex::encode(&a.nonce).into();
        assert!(serde_json::from_value::<Channel>(v).is_err());
        // A state number no transaction can carry does not panic.
        let mut v = before;
        v["pending"]["next"]["number"] = MAX_STATE.into();
        assert!(serde_json::from_value::<Channel>(v).is_err());
    }

    #[test]
    fn supersede_needs_an_open_channel() {
        let (client, _, _, _) = pair();
        let (c, _) = client.propose(client.initial_state(), [1; 32]).unwrap();
        assert_eq!(
            c.supersede_pending().unwrap_err(),
            ChannelError::WrongStatus {
                action: "supersede the pending update",
                status: ChannelStatus::Opening,
            }
        );
    }

    #[test]
    fn initial_state_follows_funder_and_push() {
        let (client, _, _, _) = pair();
        assert_eq!(client.next_number(), 0);
        let s = client.initial_state();
        assert_eq!(
            (s.client, s.server),
            (Amount::from_sat(100_000), Amount::ZERO)
        );
        let mut params = client.params().clone();
        params.capacity = Amount::from_sat(100);
        let err = Channel::new(
            client.id(),
            Party::Client,
            params,
            Party::Client,
            Amount::ZERO,
            1,
        );
        assert!(err.unwrap_err().to_string().contains("dust limit"));
    }
}
