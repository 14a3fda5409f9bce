//! S's mailbox: store-and-forward of encrypted update packages (PROTOCOL.md §5 step 2).
//!
//! Any authenticated node (the payer A) posts an opaque package for a recipient node id (the
//! payee B); S cannot read it (it is age-encrypted to B). Only the recipient, authenticated as
//! that node id, can list, fetch and delete its items. Another node's item id answers exactly
//! like an unknown one, so ids are not disclosed.
//!
//! Each item is one record of S's store (collection `mailbox`, sealed and committed durably)
//! saved before the post is answered; a deletion is committed before it is answered. The index (everything but the payloads) lives in memory behind a
//! mutex and is loaded from the records on first use.
//!
//! Time is always passed in (unix seconds): the core logic has no clock. Expired items are
//! dropped when their recipient touches the mailbox, and by [`Mailbox::prune`].
//!
//! Senders with something at stake and strangers are kept apart, so that junk from fresh
//! node ids (which cost nothing) cannot stop a real payment. A *member* is S itself or a node
//! with an open (funded) channel with S; every other sender is a *stranger* (which may be an
//! honest payer: the payer need not be a client of the payee's server). Strangers get small
//! quotas — few items per stranger and recipient, a share of each mailbox, a share of the
//! whole server, a shorter lifetime — and when a quota or a mailbox is full, the weakest
//! stranger item (least work, then oldest) makes room: a post from a member always finds room
//! unless members filled the mailbox themselves, and a stranger's post is never refused for
//! good because of other strangers' items (more work gets it in). Junk can at worst displace
//! strangers' items, never a member's.
//!
//! Among strangers, room costs work (issue 9 item 7: node ids are free, so a quota per node
//! alone lets fresh keys displace a stranger's real package). A stranger's post may carry a
//! proof of work bound to that one signed request ([`work_digest`]); the item keeps the
//! number of bits it proved. While the strangers' share of the mailbox and of the server has
//! room, a post needs none. Once a stranger's post needs room, the stranger item that goes is
//! the one with the least work (the oldest among equals), and the post must prove strictly
//! more bits than it ([`MailboxError::WorkRequired`]; `GET /v1/mailbox/{recipient}/work`
//! tells how many). So junk from fresh keys with no work displaces nothing once the share is
//! full, and displacing an item that proved `w` bits takes the whole share proving at least
//! `w` bits and one post `w + 1`: about `share · 2^w` hash evaluations, for every package, in
//! every interval between two fetches of the recipient. An honest stranger proves
//! [`RECOMMENDED_WORK_BITS`] (or more when asked), well under a second.
//!
//! HTTP (see `docs/api.md`, "Mailbox"): [`routes`] serves `POST /v1/mailbox/{recipient}`,
//! `GET /v1/mailbox`, `GET /v1/mailbox/{id}` and `DELETE /v1/mailbox/{id}`, all signed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use serde::{Deserialize, Serialize};

use super::ServerCore;
use crate::keys::NodeId;
use crate::net::server::{system_clock, AuthState, Authenticated, RequestStamp};
use crate::net::ApiError;
use crate::store::{StateFile, Store, StoreError};

/// Largest package, bytes. Below the request body limit (64 KiB) even in the JSON form, where
/// the payload is hex.
pub const MAX_ITEM_BYTES: usize = 30 * 1024;
/// Most items waiting for one recipient.
pub const MAX_ITEMS_PER_RECIPIENT: usize = 100;
/// Most items one sender may have waiting for one recipient.
pub const MAX_ITEMS_PER_SENDER: usize = 20;
/// Most items S holds in all mailboxes together.
pub const MAX_TOTAL_ITEMS: usize = 100_000;
/// Most items one member (S itself aside) may have waiting in all mailboxes together: S's
/// whole mailbox then takes a hundred members (each with its channel) to fill, not one
/// posting to thousands of made-up recipients.
pub const MAX_ITEMS_PER_MEMBER: usize = 1_000;
/// Longest lifetime a sender may choose: 30 days.
pub const MAX_TTL_SECS: u64 = 30 * 24 * 3600;
/// Most items one stranger may have waiting for one recipient.
pub const MAX_ITEMS_PER_STRANGER: usize = 5;
/// Most strangers' items waiting for one recipient (the rest of the mailbox is reserved for
/// members).
pub const MAX_STRANGER_ITEMS_PER_RECIPIENT: usize = 40;
/// Most strangers' items S holds in all mailboxes together.
pub const MAX_STRANGER_ITEMS_TOTAL: usize = 10_000;
/// Longest lifetime of a stranger's item: 7 days.
pub const MAX_STRANGER_TTL_SECS: u64 = 7 * 24 * 3600;
/// Lifetime of an item whose sender chose none: 7 days.
pub const DEFAULT_TTL_SECS: u64 = 7 * 24 * 3600;
/// Bits of work an honest stranger's package proves at least ([`post_package`]): about a
/// million hash evaluations (well under a second); displacing it then takes about
/// `MAX_STRANGER_ITEMS_PER_RECIPIENT · 2^20` (4·10^7) of them.
pub const RECOMMENDED_WORK_BITS: u8 = 20;
/// The domain-separation tag of the proof of work of a post.
pub const WORK_TAG: &str = "asyncpay/mailbox-work/v1";

/// The limits a [`Mailbox`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxLimits {
    /// See [`MAX_ITEM_BYTES`].
    pub max_item_bytes: usize,
    /// See [`MAX_ITEMS_PER_RECIPIENT`].
    pub max_items_per_recipient: usize,
    /// See [`MAX_ITEMS_PER_SENDER`].
    pub max_items_per_sender: usize,
    /// See [`MAX_TOTAL_ITEMS`].
    pub max_total_items: usize,
    /// See [`MAX_ITEMS_PER_MEMBER`].
    pub max_items_per_member: usize,
    /// See [`MAX_TTL_SECS`].
    pub max_ttl_secs: u64,
    /// See [`DEFAULT_TTL_SECS`].
    pub default_ttl_secs: u64,
    /// See [`MAX_ITEMS_PER_STRANGER`].
    pub max_items_per_stranger: usize,
    /// See [`MAX_STRANGER_ITEMS_PER_RECIPIENT`].
    pub max_stranger_items_per_recipient: usize,
    /// See [`MAX_STRANGER_ITEMS_TOTAL`].
    pub max_stranger_items_total: usize,
    /// See [`MAX_STRANGER_TTL_SECS`].
    pub max_stranger_ttl_secs: u64,
}

impl Default for MailboxLimits {
    fn default() -> Self {
        MailboxLimits {
            max_item_bytes: MAX_ITEM_BYTES,
            max_items_per_recipient: MAX_ITEMS_PER_RECIPIENT,
            max_items_per_sender: MAX_ITEMS_PER_SENDER,
            max_total_items: MAX_TOTAL_ITEMS,
            max_items_per_member: MAX_ITEMS_PER_MEMBER,
            max_ttl_secs: MAX_TTL_SECS,
            default_ttl_secs: DEFAULT_TTL_SECS,
            max_items_per_stranger: MAX_ITEMS_PER_STRANGER,
            max_stranger_items_per_recipient: MAX_STRANGER_ITEMS_PER_RECIPIENT,
            max_stranger_items_total: MAX_STRANGER_ITEMS_TOTAL,
            max_stranger_ttl_secs: MAX_STRANGER_TTL_SECS,
        }
    }
}

/// The id of a mailbox item: 16 random bytes, shown as 32 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; 16]);

impl ItemId {
    fn random() -> Result<ItemId, MailboxError> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b)
            .map_err(|e| MailboxError::Storage(format!("no OS randomness for an item id: {e}")))?;
        Ok(ItemId(b))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::protocol::hex::encode(&self.0))
    }
}

impl FromStr for ItemId {
    type Err = MailboxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.bytes().all(|b| !b.is_ascii_uppercase());
        match crate::protocol::hex::decode::<16>(s) {
            Ok(b) if lower => Ok(ItemId(b)),
            _ => Err(MailboxError::InvalidId { id: s.to_owned() }),
        }
    }
}

impl Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What the recipient sees of an item before fetching it (`GET /v1/mailbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// The item id.
    pub id: ItemId,
    /// The node that posted it.
    pub sender: NodeId,
    /// Size of the package, bytes.
    pub size: usize,
    /// When S accepted it, unix seconds.
    pub posted_at: u64,
    /// When S drops it, unix seconds (the item is gone from this second on).
    pub expires_at: u64,
}

/// Why the mailbox refused a request. Messages say what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// The package is over [`MailboxLimits::max_item_bytes`].
    #[error("the package is {size} bytes, more than the mailbox limit of {max} bytes; send a smaller package")]
    TooLarge {
        /// Size of the package.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The package is empty.
    #[error("the package is empty; post the encrypted update package as the body")]
    Empty,
    /// The recipient has [`MailboxLimits::max_items_per_recipient`] items waiting.
    #[error("the mailbox of {recipient} is full ({max} items waiting); try again after the recipient fetched its items")]
    MailboxFull {
        /// The recipient.
        recipient: NodeId,
        /// The limit.
        max: usize,
    },
    /// The sender has [`MailboxLimits::max_items_per_sender`] items waiting for the recipient.
    #[error("this node already has {max} items waiting in the mailbox of {recipient}; wait until the recipient fetched them")]
    SenderLimit {
        /// The recipient.
        recipient: NodeId,
        /// The limit.
        max: usize,
    },
    /// The sender, a member, has [`MailboxLimits::max_items_per_member`] items waiting in
    /// all mailboxes together.
    #[error("this node already has {max} items waiting in this server's mailboxes; wait until their recipients fetched some")]
    MemberLimit {
        /// The limit.
        max: usize,
    },
    /// S holds [`MailboxLimits::max_total_items`] items in all mailboxes.
    #[error("the server holds its maximum of {max} mailbox items; try again later")]
    ServerFull {
        /// The limit.
        max: usize,
    },
    /// The expiry is not in the future.
    #[error("expires_at {expires_at} is not after the current time {now}; choose a later expiry")]
    ExpiryPassed {
        /// The requested expiry.
        expires_at: u64,
        /// The current time.
        now: u64,
    },
    /// The expiry is further away than [`MailboxLimits::max_ttl_secs`].
    #[error("expires_at {expires_at} is more than {max_ttl_secs} seconds after the current time {now}; choose an earlier expiry")]
    ExpiryTooFar {
        /// The requested expiry.
        expires_at: u64,
        /// The current time.
        now: u64,
        /// The longest lifetime.
        max_ttl_secs: u64,
    },
    /// The caller's item has expired (and is now deleted).
    #[error("mailbox item {id} expired at {expires_at} and was deleted; ask the sender to send it again")]
    Expired {
        /// The item.
        id: ItemId,
        /// When it expired.
        expires_at: u64,
    },
    /// No such item for this node (also for another node's item: ids are not disclosed).
    #[error("no mailbox item {id} for this node")]
    UnknownItem {
        /// The requested id.
        id: ItemId,
    },
    /// The id is not 32 lower-case hex digits.
    #[error("'{id}' is not a mailbox item id (32 lower-case hex digits)")]
    InvalidId {
        /// What was given.
        id: String,
    },
    /// A stranger's post needs room that only a stranger item with less work can make.
    #[error("the strangers' share of the mailbox of {recipient} is full: a post from a node without a channel with this server must prove at least {required} bits of work to displace the weakest item (this one proved {proven}); prove more work (GET /v1/mailbox/{recipient}/work tells how much) or try again after the recipient fetched its items")]
    WorkRequired {
        /// The recipient.
        recipient: NodeId,
        /// The least number of bits that makes room now.
        required: u8,
        /// What the post proved.
        proven: u8,
    },
    /// S's storage failed (the detail is for S's log only).
    #[error("the mailbox storage failed: {0}")]
    Storage(String),
}

impl From<StoreError> for MailboxError {
    fn from(e: StoreError) -> Self {
        MailboxError::Storage(e.to_string())
    }
}

impl From<MailboxError> for ApiError {
    fn from(e: MailboxError) -> Self {
        let message = e.to_string();
        match e {
            MailboxError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "item_too_large", message)
            }
            MailboxError::Empty => ApiError::bad_request("empty_item", message),
            MailboxError::MailboxFull { .. } => ApiError::conflict("mailbox_full", message),
            MailboxError::SenderLimit { .. } | MailboxError::MemberLimit { .. } => {
                ApiError::conflict("sender_limit", message)
            }
            MailboxError::ServerFull { .. } => ApiError::conflict("server_mailbox_full", message),
            MailboxError::WorkRequired { .. } => ApiError::conflict("work_required", message),
            MailboxError::ExpiryPassed { .. } | MailboxError::ExpiryTooFar { .. } => {
                ApiError::bad_request("invalid_expiry", message)
            }
            MailboxError::Expired { .. } => ApiError::not_found("item_expired", message),
            MailboxError::UnknownItem { .. } => ApiError::not_found("unknown_item", message),
            MailboxError::InvalidId { .. } => ApiError::bad_request("invalid_item_id", message),
            MailboxError::Storage(detail) => ApiError::internal(detail),
        }
    }
}

/// One item as stored (`mailbox/<id>.age`, kind `asyncpay/mailbox-item`, v1).
#[derive(Serialize, Deserialize)]
struct StoredItem {
    id: ItemId,
    recipient: NodeId,
    sender: NodeId,
    posted_at: u64,
    expires_at: u64,
    /// Posted by a stranger (no funded channel with S at the time); items of older versions
    /// have none and count as members'.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    stranger: bool,
    /// Bits of work the post proved (none: 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    work: u8,
    /// The package, lower-case hex.
    payload: String,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl StateFile for StoredItem {
    const FILE: &'static str = "mailbox";
    const KIND: &'static str = "asyncpay/mailbox-item";
    const VERSION: u32 = 1;
}

/// Where the mailbox's files live: its own store, or the one of S's core.
enum Backing {
    Own(Store),
    Server(Arc<ServerCore>),
}

impl Backing {
    fn store(&self) -> &Store {
        match self {
            Backing::Own(store) => store,
            Backing::Server(core) => &core.store,
        }
    }
}

struct Entry {
    recipient: NodeId,
    meta: ItemMeta,
    /// Posted by a stranger: the first to go when room is needed.
    stranger: bool,
    /// Bits of work the post proved: among strangers' items, the least goes first.
    work: u8,
}

/// The items in memory (everything but the payloads), with what the limits ask about kept
/// at hand: each recipient's items, the strangers' items from the weakest up, and every item
/// by expiry. A post, fetch or listing then looks at one recipient's items (at most
/// [`MAX_ITEMS_PER_RECIPIENT`]) however many S holds.
#[derive(Default)]
struct Index {
    items: BTreeMap<ItemId, Entry>,
    by_recipient: HashMap<NodeId, BTreeSet<ItemId>>,
    /// How many items each sender has waiting.
    by_sender: HashMap<NodeId, usize>,
    /// Strangers' items in the order they make room: least work, then oldest.
    strangers: BTreeSet<(u8, u64, ItemId)>,
    by_expiry: BTreeSet<(u64, ItemId)>,
}

impl Index {
    fn insert(&mut self, entry: Entry) {
        let id = entry.meta.id;
        self.remove(&id);
        self.by_recipient
            .entry(entry.recipient)
            .or_default()
            .insert(id);
        if entry.stranger {
            self.strangers
                .insert((entry.work, entry.meta.posted_at, id));
        }
        self.by_expiry.insert((entry.meta.expires_at, id));
        *self.by_sender.entry(entry.meta.sender).or_default() += 1;
        self.items.insert(id, entry);
    }

    fn remove(&mut self, id: &ItemId) {
        let Some(e) = self.items.remove(id) else {
            return;
        };
        if let Some(ids) = self.by_recipient.get_mut(&e.recipient) {
            ids.remove(id);
            if ids.is_empty() {
                self.by_recipient.remove(&e.recipient);
            }
        }
        self.strangers.remove(&(e.work, e.meta.posted_at, *id));
        self.by_expiry.remove(&(e.meta.expires_at, *id));
        if let Some(n) = self.by_sender.get_mut(&e.meta.sender) {
            *n -= 1;
            if *n == 0 {
                self.by_sender.remove(&e.meta.sender);
            }
        }
    }

    /// How many items `sender` has waiting.
    fn sent_by(&self, sender: &NodeId) -> usize {
        self.by_sender.get(sender).copied().unwrap_or(0)
    }

    fn get(&self, id: &ItemId) -> Option<&Entry> {
        self.items.get(id)
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn strangers_total(&self) -> usize {
        self.strangers.len()
    }

    /// `recipient`'s items.
    fn of<'a>(&'a self, recipient: &NodeId) -> impl Iterator<Item = &'a Entry> + 'a {
        self.by_recipient
            .get(recipient)
            .into_iter()
            .flatten()
            .map(|id| &self.items[id])
    }

    /// The items expired at `now`, of `recipient` or anyone's.
    fn expired(&self, recipient: Option<&NodeId>, now: u64) -> Vec<ItemId> {
        match recipient {
            Some(r) => self
                .of(r)
                .filter(|e| e.meta.expires_at <= now)
                .map(|e| e.meta.id)
                .collect(),
            None => self
                .by_expiry
                .iter()
                .take_while(|(at, _)| *at <= now)
                .map(|(_, id)| *id)
                .collect(),
        }
    }

    /// The stranger item (of `scope`, or anyone's) not posted by `poster` that goes first
    /// when room is needed: the least work, then the oldest. With its work.
    fn weakest_stranger(&self, scope: Option<&NodeId>, poster: &NodeId) -> Option<(ItemId, u8)> {
        let not_poster = |e: &&Entry| e.stranger && e.meta.sender != *poster;
        match scope {
            Some(r) => self
                .of(r)
                .filter(not_poster)
                .min_by_key(|e| (e.work, e.meta.posted_at, e.meta.id)),
            None => self
                .strangers
                .iter()
                .map(|(_, _, id)| &self.items[id])
                .find(not_poster),
        }
        .map(|e| (e.meta.id, e.work))
    }
}

/// Which senders are members (see the module documentation).
pub type Members = Arc<dyn Fn(&NodeId) -> bool + Send + Sync>;

/// The mailbox: items on disk (encrypted with S's store), their index in memory.
pub struct Mailbox {
    backing: Backing,
    limits: MailboxLimits,
    /// `None`: S's rule (itself or an open channel) with S's backing, everyone otherwise.
    members: Option<Members>,
    /// `None` until loaded from the files.
    index: Mutex<Option<Index>>,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// Opens the mailbox kept in `store`, loading every stored item now.
    pub fn open(store: Store) -> Result<Mailbox, MailboxError> {
        let mailbox = Mailbox {
            backing: Backing::Own(store),
            limits: MailboxLimits::default(),
            members: None,
            index: Mutex::new(None),
        };
        drop(mailbox.index()?);
        Ok(mailbox)
    }

    /// The mailbox kept in S's store. Loads its items on first use (a load failure is then a
    /// storage error of that request), so building S's router does no I/O.
    pub fn for_server(core: Arc<ServerCore>) -> Mailbox {
        Mailbox {
            backing: Backing::Server(core),
            limits: MailboxLimits::default(),
            members: None,
            index: Mutex::new(None),
        }
    }

    /// Uses `members` to tell members from strangers (by default: for S's mailbox, S itself
    /// and nodes with an open channel with S; for a mailbox of its own store, every sender).
    pub fn with_members(
        mut self,
        members: impl Fn(&NodeId) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.members = Some(Arc::new(members));
        self
    }

    /// Whether `sender` is the server this mailbox belongs to.
    fn is_server(&self, sender: &NodeId) -> bool {
        matches!(&self.backing, Backing::Server(core) if *sender == core.node_id())
    }

    /// Whether `sender` posts as a member now.
    pub fn is_member(&self, sender: &NodeId) -> bool {
        match (&self.members, &self.backing) {
            (Some(members), _) => members(sender),
            (None, Backing::Own(_)) => true,
            (None, Backing::Server(core)) => {
                *sender == core.node_id()
                    || core
                        .lock()
                        .has_channel_in(sender, &[crate::protocol::ChannelStatus::Open])
            }
        }
    }

    /// Uses other limits (e.g. small ones in tests).
    pub fn with_limits(mut self, limits: MailboxLimits) -> Mailbox {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> MailboxLimits {
        self.limits
    }

    fn store(&self) -> &Store {
        self.backing.store()
    }

    /// The index, loaded from the files if not yet.
    fn index(&self) -> Result<IndexGuard<'_>, MailboxError> {
        let mut guard = self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            let store = self.store();
            let mut index = Index::default();
            for key in store.keys_of::<StoredItem>()? {
                let Some(item) = store.load_keyed::<StoredItem>(&key)? else {
                    continue; // removed meanwhile
                };
                if item.id.to_string() != key {
                    return Err(MailboxError::Storage(format!(
                        "mailbox file {key}.age holds item {}",
                        item.id
                    )));
                }
                let size = item.payload.len() / 2;
                index.insert(Entry {
                    recipient: item.recipient,
                    stranger: item.stranger,
                    work: item.work,
                    meta: ItemMeta {
                        id: item.id,
                        sender: item.sender,
                        size,
                        posted_at: item.posted_at,
                        expires_at: item.expires_at,
                    },
                });
            }
            *guard = Some(index);
        }
        Ok(IndexGuard(guard))
    }

    /// Removes an item's record (durably) and then its index entry.
    fn remove(&self, index: &mut Index, id: &ItemId) -> Result<(), MailboxError> {
        self.store().remove_keyed::<StoredItem>(&id.to_string())?;
        index.remove(id);
        Ok(())
    }

    /// Drops `recipient`'s expired items (all recipients' when `None`); returns how many.
    fn drop_expired(
        &self,
        index: &mut Index,
        recipient: Option<&NodeId>,
        now: u64,
    ) -> Result<usize, MailboxError> {
        let expired = index.expired(recipient, now);
        for id in &expired {
            self.remove(index, id)?;
        }
        Ok(expired.len())
    }

    /// `sender` posts `payload` for `recipient`, to be dropped at `expires_at` (default: now +
    /// [`MailboxLimits::default_ttl_secs`]), proving no work. The item is written before this
    /// returns.
    pub fn post(
        &self,
        sender: NodeId,
        recipient: NodeId,
        payload: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<ItemMeta, MailboxError> {
        self.post_with_work(sender, recipient, payload, expires_at, now, 0)
    }

    /// Whether `sender` posts to `recipient` as a member, and how many bits of work its post
    /// must prove now (0 while nothing has to make room for it).
    pub fn work_required(
        &self,
        sender: &NodeId,
        recipient: &NodeId,
        now: u64,
    ) -> Result<(bool, u8), MailboxError> {
        let member = self.is_member(sender);
        if member {
            return Ok((true, 0));
        }
        let mut guard = self.index()?;
        let index = guard.get();
        self.drop_expired(index, Some(recipient), now)?;
        Ok((false, self.required_of_stranger(index, recipient, sender)))
    }

    /// The bits a stranger's post must prove: one more than every stranger item it would
    /// displace (the weakest of each full scope), 0 when nothing is full.
    fn required_of_stranger(&self, index: &Index, recipient: &NodeId, sender: &NodeId) -> u8 {
        let limits = self.limits;
        let mut required = 0u8;
        if index.len() >= limits.max_total_items
            || index.strangers_total() >= limits.max_stranger_items_total
        {
            if let Some((_, w)) = index.weakest_stranger(None, sender) {
                required = required.max(w.saturating_add(1));
            }
        }
        let (all, strangers) = index.of(recipient).fold((0, 0), |(all, st), e| {
            (all + 1, st + usize::from(e.stranger))
        });
        if strangers >= limits.max_stranger_items_per_recipient
            || all >= limits.max_items_per_recipient
        {
            if let Some((_, w)) = index.weakest_stranger(Some(recipient), sender) {
                required = required.max(w.saturating_add(1));
            }
        }
        required
    }

    /// [`Mailbox::post`] with `work` bits proven (see the module documentation: a stranger's
    /// post that needs room must prove more than the item it displaces).
    pub fn post_with_work(
        &self,
        sender: NodeId,
        recipient: NodeId,
        payload: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
        work: u8,
    ) -> Result<ItemMeta, MailboxError> {
        let limits = self.limits;
        if payload.is_empty() {
            return Err(MailboxError::Empty);
        }
        if payload.len() > limits.max_item_bytes {
            return Err(MailboxError::TooLarge {
                size: payload.len(),
                max: limits.max_item_bytes,
            });
        }
        // Asked before the index is locked (it may look at S's channels).
        let member = self.is_member(&sender);
        let max_ttl = if member {
            limits.max_ttl_secs
        } else {
            limits.max_ttl_secs.min(limits.max_stranger_ttl_secs)
        };
        let expires_at =
            expires_at.unwrap_or(now.saturating_add(limits.default_ttl_secs.min(max_ttl)));
        if expires_at <= now {
            return Err(MailboxError::ExpiryPassed { expires_at, now });
        }
        if expires_at - now > max_ttl {
            return Err(MailboxError::ExpiryTooFar {
                expires_at,
                now,
                max_ttl_secs: max_ttl,
            });
        }
        let mut guard = self.index()?;
        let index = guard.get();
        self.drop_expired(index, Some(&recipient), now)?;
        // A stranger pays for the room it takes from other strangers, before anything goes.
        let proven = (!member).then_some(work);
        if let Some(proven) = proven {
            let mut required = self.required_of_stranger(index, &recipient, &sender);
            if required > proven {
                self.drop_expired(index, None, now)?;
                required = self.required_of_stranger(index, &recipient, &sender);
            }
            if required > proven {
                return Err(MailboxError::WorkRequired {
                    recipient,
                    required,
                    proven,
                });
            }
        }
        if member
            && !self.is_server(&sender)
            && index.sent_by(&sender) >= limits.max_items_per_member
        {
            self.drop_expired(index, None, now)?;
            if index.sent_by(&sender) >= limits.max_items_per_member {
                return Err(MailboxError::MemberLimit {
                    max: limits.max_items_per_member,
                });
            }
        }
        let server_full = |index: &Index| {
            index.len() >= limits.max_total_items
                || (!member && index.strangers_total() >= limits.max_stranger_items_total)
        };
        if server_full(index) {
            self.drop_expired(index, None, now)?;
        }
        if server_full(index) {
            // Room is made by the weakest stranger item anywhere; members' items stay.
            if !self.make_room(index, None, &sender, proven, recipient)? {
                return Err(MailboxError::ServerFull {
                    max: limits.max_total_items,
                });
            }
        }
        let count = |index: &Index| {
            index
                .of(&recipient)
                .fold((0, 0, 0), |(all, mine, strangers), e| {
                    (
                        all + 1,
                        mine + usize::from(e.meta.sender == sender),
                        strangers + usize::from(e.stranger),
                    )
                })
        };
        let (_, from_sender, _) = count(index);
        let sender_max = if member {
            limits.max_items_per_sender
        } else {
            limits
                .max_items_per_sender
                .min(limits.max_items_per_stranger)
        };
        if from_sender >= sender_max {
            return Err(MailboxError::SenderLimit {
                recipient,
                max: sender_max,
            });
        }
        let (_, _, strangers) = count(index);
        if !member && strangers >= limits.max_stranger_items_per_recipient {
            // The strangers' share of this mailbox is full: the oldest of them goes.
            if !self.make_room(index, Some(&recipient), &sender, proven, recipient)? {
                return Err(MailboxError::MailboxFull {
                    recipient,
                    max: limits.max_stranger_items_per_recipient,
                });
            }
        }
        let (all, _, _) = count(index);
        if all >= limits.max_items_per_recipient
            && !self.make_room(index, Some(&recipient), &sender, proven, recipient)?
        {
            return Err(MailboxError::MailboxFull {
                recipient,
                max: limits.max_items_per_recipient,
            });
        }
        let id = loop {
            let id = ItemId::random()?;
            if index.get(&id).is_none() {
                break id;
            }
        };
        let item = StoredItem {
            id,
            recipient,
            sender,
            posted_at: now,
            expires_at,
            stranger: !member,
            work,
            payload: crate::protocol::hex::encode(&payload),
        };
        // Durable before it is indexed and acknowledged.
        self.store().save_keyed(&id.to_string(), &item)?;
        let meta = ItemMeta {
            id,
            sender,
            size: payload.len(),
            posted_at: now,
            expires_at,
        };
        index.insert(Entry {
            recipient,
            meta: meta.clone(),
            stranger: !member,
            work,
        });
        Ok(meta)
    }

    /// Deletes the weakest stranger item (of `scope`, or anyone's; see
    /// [`Index::weakest_stranger`]) not posted by `poster` (a sender never displaces its own
    /// items, so its quota stays exact); false if there is none. A stranger poster (`proven`
    /// bits) displaces only an item with less work.
    fn make_room(
        &self,
        index: &mut Index,
        scope: Option<&NodeId>,
        poster: &NodeId,
        proven: Option<u8>,
        recipient: NodeId,
    ) -> Result<bool, MailboxError> {
        match index.weakest_stranger(scope, poster) {
            Some((id, work)) => {
                if let Some(proven) = proven.filter(|p| *p <= work) {
                    return Err(MailboxError::WorkRequired {
                        recipient,
                        required: work.saturating_add(1),
                        proven,
                    });
                }
                self.remove(index, &id)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// `recipient`'s unexpired items, oldest first (expired ones are dropped).
    pub fn list(&self, recipient: &NodeId, now: u64) -> Result<Vec<ItemMeta>, MailboxError> {
        let mut guard = self.index()?;
        let index = guard.get();
        self.drop_expired(index, Some(recipient), now)?;
        let mut items: Vec<ItemMeta> = index.of(recipient).map(|e| e.meta.clone()).collect();
        items.sort_by_key(|m| (m.posted_at, m.id));
        Ok(items)
    }

    /// The item `id` of `recipient`, with its package. An expired item is deleted and
    /// answered with [`MailboxError::Expired`]; another node's item is
    /// [`MailboxError::UnknownItem`].
    pub fn fetch(
        &self,
        recipient: &NodeId,
        id: &ItemId,
        now: u64,
    ) -> Result<(ItemMeta, Vec<u8>), MailboxError> {
        let mut guard = self.index()?;
        let index = guard.get();
        let meta = match index.get(id) {
            Some(e) if e.recipient == *recipient => e.meta.clone(),
            _ => return Err(MailboxError::UnknownItem { id: *id }),
        };
        if meta.expires_at <= now {
            self.remove(index, id)?;
            return Err(MailboxError::Expired {
                id: *id,
                expires_at: meta.expires_at,
            });
        }
        let item = self
            .store()
            .load_keyed::<StoredItem>(&id.to_string())?
            .ok_or_else(|| MailboxError::Storage(format!("mailbox file of item {id} is gone")))?;
        if item.recipient != *recipient || item.id != *id {
            return Err(MailboxError::Storage(format!(
                "mailbox file of item {id} does not match its index"
            )));
        }
        let payload = crate::protocol::hex::decode_vec(&item.payload)
            .map_err(|e| MailboxError::Storage(format!("mailbox item {id}: {e}")))?;
        Ok((meta, payload))
    }

    /// Deletes the item `id` of `recipient` (its file is gone before this returns).
    pub fn delete(&self, recipient: &NodeId, id: &ItemId) -> Result<(), MailboxError> {
        let mut guard = self.index()?;
        let index = guard.get();
        match index.get(id) {
            Some(e) if e.recipient == *recipient => self.remove(index, id),
            _ => Err(MailboxError::UnknownItem { id: *id }),
        }
    }

    /// Drops every item expired at `now`; returns how many. For S's run loop.
    pub fn prune(&self, now: u64) -> Result<usize, MailboxError> {
        let mut guard = self.index()?;
        self.drop_expired(guard.get(), None, now)
    }

    /// Number of items held (expired ones not yet dropped included).
    pub fn len(&self) -> Result<usize, MailboxError> {
        Ok(self.index()?.get().len())
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> Result<bool, MailboxError> {
        Ok(self.len()? == 0)
    }
}

/// The hash state of a post's proof of work before its work nonce: `SHA256(WORK_TAG ‖
/// server (33) ‖ sender (33) ‖ recipient (33) ‖ SHA256(payload) (32) ‖ ts (8, BE) ‖
/// request nonce (16) ‖ work nonce (8, BE))`, where `ts` and the request nonce are the ones
/// the post is signed with: a proof is good for that one request of that sender, for that
/// package, recipient and server (the replay cache admits each request once).
pub fn work_prefix(
    server: &NodeId,
    sender: &NodeId,
    recipient: &NodeId,
    payload: &[u8],
    ts: u64,
    request_nonce: &[u8; 16],
) -> sha256::HashEngine {
    let mut engine = sha256::Hash::engine();
    engine.input(WORK_TAG.as_bytes());
    engine.input(&server.0.serialize());
    engine.input(&sender.0.serialize());
    engine.input(&recipient.0.serialize());
    engine.input(sha256::Hash::hash(payload).as_byte_array());
    engine.input(&ts.to_be_bytes());
    engine.input(request_nonce);
    engine
}

/// The proof-of-work digest for `work_nonce` (see [`work_prefix`]).
pub fn work_digest(prefix: &sha256::HashEngine, work_nonce: u64) -> [u8; 32] {
    let mut engine = prefix.clone();
    engine.input(&work_nonce.to_be_bytes());
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// Number of leading zero bits of `digest`: the bits of work it proves.
pub fn leading_zero_bits(digest: &[u8; 32]) -> u8 {
    let mut bits = 0u32;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    u8::try_from(bits).unwrap_or(u8::MAX)
}

/// A work nonce whose digest proves at least `bits` (expected `2^bits` tries).
pub fn solve_work(prefix: &sha256::HashEngine, bits: u8) -> u64 {
    let mut start = [0u8; 8];
    // Any start is as good; a random one keeps two solvers of one prefix apart.
    let _ = getrandom::fill(&mut start);
    let mut nonce = u64::from_be_bytes(start);
    while leading_zero_bits(&work_digest(prefix, nonce)) < bits {
        nonce = nonce.wrapping_add(1);
    }
    nonce
}

/// The locked, loaded index.
struct IndexGuard<'a>(MutexGuard<'a, Option<Index>>);

impl IndexGuard<'_> {
    fn get(&mut self) -> &mut Index {
        self.0.as_mut().expect("loaded by Mailbox::index")
    }
}

// ---- HTTP ----

/// The state of the mailbox routes: the mailbox and the server's node id (which every proof
/// of work names).
#[derive(Clone)]
struct Shared {
    mailbox: Arc<Mailbox>,
    server: NodeId,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MailboxError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// The JSON form of a post (`Content-Type: application/json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostItem {
    /// The package, hex.
    pub payload: String,
    /// When S drops it, unix seconds (default: in [`DEFAULT_TTL_SECS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The work nonce of a stranger's proof of work ([`work_prefix`]), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<u64>,
}

/// S's answer to `GET /v1/mailbox/{recipient}/work`: what a post of the caller to that
/// recipient must prove now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkNeeded {
    /// The caller posts as a member (S itself or an open channel with S): no work needed.
    pub member: bool,
    /// The least bits a post must prove now (0: none).
    pub required_bits: u8,
    /// What an honest stranger proves at least ([`RECOMMENDED_WORK_BITS`]).
    pub recommended_bits: u8,
}

/// Posts `payload` (a sealed package) for `recipient` with `client`, proving the work S asks
/// of the caller: none as a member, else at least [`RECOMMENDED_WORK_BITS`] or what S
/// requires now (asked again, a few times, if the mailbox filled meanwhile).
pub fn post_package(
    client: &crate::net::client::Client,
    recipient: &NodeId,
    payload: &[u8],
    expires_at: Option<u64>,
) -> Result<Posted, crate::net::NetError> {
    let path = format!("/v1/mailbox/{recipient}");
    let sender = client.node_id();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let needed: WorkNeeded = match client.get(&format!("{path}/work")) {
            Ok(needed) => needed,
            // A server without the route asks no work.
            Err(crate::net::NetError::Api { status: 404, .. }) => WorkNeeded {
                member: true,
                required_bits: 0,
                recommended_bits: 0,
            },
            Err(e) => return Err(e),
        };
        let bits = if needed.member {
            0
        } else {
            needed.required_bits.max(needed.recommended_bits)
        };
        let posted = client.post_stamped(&path, |server, ts, nonce| PostItem {
            payload: crate::protocol::hex::encode(payload),
            expires_at,
            work: (bits > 0).then(|| {
                solve_work(
                    &work_prefix(server, &sender, recipient, payload, ts, nonce),
                    bits,
                )
            }),
        });
        match posted {
            Err(crate::net::NetError::Api { ref code, .. })
                if code == "work_required" && attempts < 3 => {}
            other => return other,
        }
    }
}

/// S's answer to a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    /// The new item's id.
    pub id: ItemId,
    /// When S drops it, unix seconds.
    pub expires_at: u64,
    /// Size of the package, bytes.
    pub size: usize,
}

/// The JSON form of a fetched item (`Accept: application/json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedItem {
    /// What the list shows of the item.
    #[serde(flatten)]
    pub meta: ItemMeta,
    /// The package, hex.
    pub payload: String,
}

/// `expires_at` and `work` from the query of a raw post.
fn expires_from_query(uri: &Uri) -> Result<(Option<u64>, Option<u64>), ApiError> {
    let (mut found, mut work) = (None, None);
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "work" {
            work = Some(value.parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_work",
                    format!("work '{value}' is not a work nonce (an unsigned 64-bit integer)"),
                )
            })?);
            continue;
        }
        if key != "expires_at" {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("unknown query parameter '{key}'; only expires_at and work are accepted"),
            ));
        }
        let value = value.parse::<u64>().map_err(|_| {
            ApiError::bad_request(
                "invalid_expiry",
                format!("expires_at '{value}' is not a unix time in seconds"),
            )
        })?;
        found = Some(value);
    }
    Ok((found, work))
}

fn is_json(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn parse_recipient(recipient: &str) -> Result<NodeId, ApiError> {
    recipient.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_recipient",
            format!("'{recipient}' is not a node id (66 hex digits); post to /v1/mailbox/<recipient node id>"),
        )
    })
}

async fn post_item(
    State(shared): State<Shared>,
    Authenticated(sender): Authenticated,
    stamp: RequestStamp,
    Path(recipient): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Posted>, ApiError> {
    let recipient = parse_recipient(&recipient)?;
    let (mut expires_at, mut work) = expires_from_query(&uri)?;
    let payload = if is_json(&headers, header::CONTENT_TYPE) {
        let form: PostItem = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                "invalid_body",
                format!("the JSON body must be {{\"payload\": \"<hex>\", \"expires_at\": <unix seconds>}} ({e})"),
            )
        })?;
        if form.expires_at.is_some() {
            expires_at = form.expires_at;
        }
        if form.work.is_some() {
            work = form.work;
        }
        crate::protocol::hex::decode_vec(&form.payload)
            .map_err(|e| ApiError::bad_request("invalid_body", format!("payload: {e}")))?
    } else {
        body.to_vec()
    };
    let now = system_clock();
    let Shared { mailbox, server } = shared;
    let meta = blocking(move || {
        let proven = work.map_or(0, |nonce| {
            let prefix = work_prefix(
                &server,
                &sender,
                &recipient,
                &payload,
                stamp.ts,
                &stamp.nonce,
            );
            leading_zero_bits(&work_digest(&prefix, nonce))
        });
        mailbox.post_with_work(sender, recipient, payload, expires_at, now, proven)
    })
    .await?;
    Ok(Json(Posted {
        id: meta.id,
        expires_at: meta.expires_at,
        size: meta.size,
    }))
}

async fn work_needed(
    State(Shared { mailbox, .. }): State<Shared>,
    Authenticated(sender): Authenticated,
    Path(recipient): Path<String>,
) -> Result<Json<WorkNeeded>, ApiError> {
    let recipient = parse_recipient(&recipient)?;
    let now = system_clock();
    let (member, required_bits) =
        blocking(move || mailbox.work_required(&sender, &recipient, now)).await?;
    Ok(Json(WorkNeeded {
        member,
        required_bits,
        recommended_bits: RECOMMENDED_WORK_BITS,
    }))
}

async fn list_items(
    State(Shared { mailbox, .. }): State<Shared>,
    Authenticated(node): Authenticated,
) -> Result<Json<Vec<ItemMeta>>, ApiError> {
    let now = system_clock();
    blocking(move || mailbox.list(&node, now)).await.map(Json)
}

async fn fetch_item(
    State(Shared { mailbox, .. }): State<Shared>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: ItemId = id.parse().map_err(ApiError::from)?;
    let now = system_clock();
    let (meta, payload) = blocking(move || mailbox.fetch(&node, &id, now)).await?;
    let wants_raw = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream"));
    if is_json(&headers, header::ACCEPT) && !wants_raw {
        return Ok(Json(FetchedItem {
            meta,
            payload: crate::protocol::hex::encode(&payload),
        })
        .into_response());
    }
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        payload,
    )
        .into_response())
}

async fn delete_item(
    State(Shared { mailbox, .. }): State<Shared>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ItemId = id.parse().map_err(ApiError::from)?;
    blocking(move || mailbox.delete(&node, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The mailbox routes, all behind `auth`: `POST /v1/mailbox/{recipient}`, `GET /v1/mailbox`,
/// `GET /v1/mailbox/{id}`, `DELETE /v1/mailbox/{id}`, `GET /v1/mailbox/{recipient}/work`.
pub fn routes(mailbox: Arc<Mailbox>, auth: &AuthState) -> Router {
    auth.protect(
        Router::new()
            .route("/v1/mailbox", get(list_items))
            .route(
                "/v1/mailbox/{key}",
                get(fetch_item).post(post_item).delete(delete_item),
            )
            .route("/v1/mailbox/{key}/work", get(work_needed)),
    )
    .with_state(Shared {
        mailbox,
        server: auth.server(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn node(i: u8) -> NodeId {
        static NODES: std::sync::OnceLock<Vec<NodeId>> = std::sync::OnceLock::new();
        NODES.get_or_init(|| {
            let secp = bitcoin::secp256k1::Secp256k1::signing_only();
            (1..=4u8)
                .map(|i| {
                    let key = bitcoin::secp256k1::SecretKey::from_slice(&[i; 32]).unwrap();
                    NodeId(bitcoin::secp256k1::PublicKey::from_secret_key(&secp, &key))
                })
                .collect()
        })[usize::from(i)]
    }

    /// One step on the index: insert an item (id, recipient, sender, stranger, work, posted,
    /// expires), or remove the item of an id.
    #[derive(Debug, Clone)]
    enum Step {
        Insert(u8, u8, u8, bool, u8, u64, u64),
        Remove(u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0..40u8, 0..4u8, 0..4u8, any::<bool>(), 0..3u8, 0..5u64, 0..8u64)
                .prop_map(|(i, r, s, st, w, p, e)| Step::Insert(i, r, s, st, w, p, e)),
            1 => (0..40u8).prop_map(Step::Remove),
        ]
    }

    proptest! {
        /// What the index answers from its by-recipient, by-sender, strangers' and expiry sets
        /// is what a scan of every item answers (the scans the mailbox made before it kept them).
        #[test]
        fn the_index_answers_like_a_scan_of_every_item(steps in proptest::collection::vec(step(), 0..80)) {
            let mut index = Index::default();
            for step in steps {
                match step {
                    Step::Insert(i, r, s, stranger, work, posted_at, expires_at) => {
                        index.insert(Entry {
                            recipient: node(r),
                            stranger,
                            work,
                            meta: ItemMeta {
                                id: ItemId([i; 16]),
                                sender: node(s),
                                size: 1,
                                posted_at,
                                expires_at,
                            },
                        })
                    }
                    Step::Remove(i) => index.remove(&ItemId([i; 16])),
                }
                let all: Vec<&Entry> = index.items.values().collect();
                prop_assert_eq!(index.strangers_total(), all.iter().filter(|e| e.stranger).count());
                for s in 0..4 {
                    let s = node(s);
                    prop_assert_eq!(index.sent_by(&s), all.iter().filter(|e| e.meta.sender == s).count());
                }
                prop_assert!(index.by_sender.values().all(|n| *n > 0));
                for now in 0..9 {
                    let mut scanned: Vec<ItemId> = all
                        .iter()
                        .filter(|e| e.meta.expires_at <= now)
                        .map(|e| e.meta.id)
                        .collect();
                    let mut got = index.expired(None, now);
                    scanned.sort();
                    got.sort();
                    prop_assert_eq!(got, scanned);
                }
                for r in 0..4 {
                    let r = node(r);
                    let mut scanned: Vec<ItemId> =
                        all.iter().filter(|e| e.recipient == r).map(|e| e.meta.id).collect();
                    let mut got: Vec<ItemId> = index.of(&r).map(|e| e.meta.id).collect();
                    scanned.sort();
                    got.sort();
                    prop_assert_eq!(got, scanned);
                    for poster in 0..4 {
                        let poster = node(poster);
                        for scope in [None, Some(&r)] {
                            let scanned = all
                                .iter()
                                .filter(|e| {
                                    e.stranger
                                        && e.meta.sender != poster
                                        && scope.is_none_or(|r| e.recipient == *r)
                                })
                                .min_by_key(|e| (e.work, e.meta.posted_at, e.meta.id))
                                .map(|e| (e.meta.id, e.work));
                            prop_assert_eq!(index.weakest_stranger(scope, &poster), scanned);
                        }
                    }
                }
            }
        }
    }
}
