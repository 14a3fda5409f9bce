//! S's mailbox: store-and-forward of encrypted update packages (PROTOCOL.md §5 step 2).
//!
//! Any authenticated node (the payer A) posts an opaque package for a recipient node id (the
//! payee B); S cannot read it (it is age-encrypted to B). Only the recipient, authenticated as
//! that node id, can list, fetch and delete its items. Another node's item id answers exactly
//! like an unknown one, so ids are not disclosed.
//!
//! Each item is one encrypted file of S's store, `mailbox/<id>.age` (written atomically),
//! saved before the post is answered; a deletion removes the file (and syncs the directory)
//! before it is answered. The index (everything but the payloads) lives in memory behind a
//! mutex and is loaded from the files on first use.
//!
//! Time is always passed in (unix seconds): the core logic has no clock. Expired items are
//! dropped when their recipient touches the mailbox, and by [`Mailbox::prune`].
//!
//! Senders with something at stake and strangers are kept apart, so that junk from fresh
//! node ids (which cost nothing) cannot stop a real payment. A *member* is S itself or a node
//! with an open (funded) channel with S; every other sender is a *stranger* (which may be an
//! honest payer: the payer need not be a client of the payee's server). Strangers get small
//! quotas — few items per stranger and recipient, a share of each mailbox, a share of the
//! whole server, a shorter lifetime — and when a quota or a mailbox is full, the oldest
//! stranger item makes room: a post from a member always finds room unless members filled
//! the mailbox themselves, and a fresh post from a stranger is never refused because of other
//! strangers' items. Junk can at worst displace strangers' items, never a member's.
//!
//! HTTP (see `docs/api.md`, "Mailbox"): [`routes`] serves `POST /v1/mailbox/{recipient}`,
//! `GET /v1/mailbox`, `GET /v1/mailbox/{id}` and `DELETE /v1/mailbox/{id}`, all signed.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::ServerCore;
use crate::keys::NodeId;
use crate::net::server::{system_clock, AuthState, Authenticated};
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
            MailboxError::SenderLimit { .. } => ApiError::conflict("sender_limit", message),
            MailboxError::ServerFull { .. } => ApiError::conflict("server_mailbox_full", message),
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
    /// The package, lower-case hex.
    payload: String,
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
    index: Mutex<Option<BTreeMap<ItemId, Entry>>>,
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

    /// Whether `sender` posts as a member now.
    pub fn is_member(&self, sender: &NodeId) -> bool {
        match (&self.members, &self.backing) {
            (Some(members), _) => members(sender),
            (None, Backing::Own(_)) => true,
            (None, Backing::Server(core)) => {
                *sender == core.node_id()
                    || core.lock().channels.values().any(|c| {
                        c.client == *sender
                            && c.channel.status() == crate::protocol::ChannelStatus::Open
                    })
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
            let mut index = BTreeMap::new();
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
                index.insert(
                    item.id,
                    Entry {
                        recipient: item.recipient,
                        stranger: item.stranger,
                        meta: ItemMeta {
                            id: item.id,
                            sender: item.sender,
                            size,
                            posted_at: item.posted_at,
                            expires_at: item.expires_at,
                        },
                    },
                );
            }
            *guard = Some(index);
        }
        Ok(IndexGuard(guard))
    }

    /// Removes an item's file (durably) and then its index entry.
    fn remove(&self, index: &mut BTreeMap<ItemId, Entry>, id: &ItemId) -> Result<(), MailboxError> {
        let store = self.store();
        let path = store.keyed_path_of::<StoredItem>(&id.to_string())?;
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(MailboxError::Storage(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )))
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| {
                    MailboxError::Storage(format!("cannot sync {}: {e}", dir.display()))
                })?;
        }
        index.remove(id);
        Ok(())
    }

    /// Drops `recipient`'s expired items (all recipients' when `None`); returns how many.
    fn drop_expired(
        &self,
        index: &mut BTreeMap<ItemId, Entry>,
        recipient: Option<&NodeId>,
        now: u64,
    ) -> Result<usize, MailboxError> {
        let expired: Vec<ItemId> = index
            .values()
            .filter(|e| recipient.is_none_or(|r| e.recipient == *r) && e.meta.expires_at <= now)
            .map(|e| e.meta.id)
            .collect();
        for id in &expired {
            self.remove(index, id)?;
        }
        Ok(expired.len())
    }

    /// `sender` posts `payload` for `recipient`, to be dropped at `expires_at` (default: now +
    /// [`MailboxLimits::default_ttl_secs`]). The item is written before this returns.
    pub fn post(
        &self,
        sender: NodeId,
        recipient: NodeId,
        payload: Vec<u8>,
        expires_at: Option<u64>,
        now: u64,
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
        let strangers_total =
            |index: &BTreeMap<ItemId, Entry>| index.values().filter(|e| e.stranger).count();
        let server_full = |index: &BTreeMap<ItemId, Entry>| {
            index.len() >= limits.max_total_items
                || (!member && strangers_total(index) >= limits.max_stranger_items_total)
        };
        if server_full(index) {
            self.drop_expired(index, None, now)?;
        }
        if server_full(index) {
            // Room is made by the oldest stranger item anywhere; members' items stay.
            if !self.evict_oldest_stranger(index, None, &sender)? {
                return Err(MailboxError::ServerFull {
                    max: limits.max_total_items,
                });
            }
        }
        let count = |index: &BTreeMap<ItemId, Entry>| {
            index.values().filter(|e| e.recipient == recipient).fold(
                (0, 0, 0),
                |(all, mine, strangers), e| {
                    (
                        all + 1,
                        mine + usize::from(e.meta.sender == sender),
                        strangers + usize::from(e.stranger),
                    )
                },
            )
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
            if !self.evict_oldest_stranger(index, Some(&recipient), &sender)? {
                return Err(MailboxError::MailboxFull {
                    recipient,
                    max: limits.max_stranger_items_per_recipient,
                });
            }
        }
        let (all, _, _) = count(index);
        if all >= limits.max_items_per_recipient
            && !self.evict_oldest_stranger(index, Some(&recipient), &sender)?
        {
            return Err(MailboxError::MailboxFull {
                recipient,
                max: limits.max_items_per_recipient,
            });
        }
        let id = loop {
            let id = ItemId::random()?;
            if !index.contains_key(&id) {
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
        index.insert(
            id,
            Entry {
                recipient,
                meta: meta.clone(),
                stranger: !member,
            },
        );
        Ok(meta)
    }

    /// Deletes the oldest stranger item (of `recipient`, or anyone's) not posted by `poster`
    /// (a sender never displaces its own items, so its quota stays exact); false if there is
    /// none.
    fn evict_oldest_stranger(
        &self,
        index: &mut BTreeMap<ItemId, Entry>,
        recipient: Option<&NodeId>,
        poster: &NodeId,
    ) -> Result<bool, MailboxError> {
        let oldest = index
            .values()
            .filter(|e| {
                e.stranger
                    && e.meta.sender != *poster
                    && recipient.is_none_or(|r| e.recipient == *r)
            })
            .min_by_key(|e| (e.meta.posted_at, e.meta.id))
            .map(|e| e.meta.id);
        match oldest {
            Some(id) => {
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
        let mut items: Vec<ItemMeta> = index
            .values()
            .filter(|e| e.recipient == *recipient)
            .map(|e| e.meta.clone())
            .collect();
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

/// The locked, loaded index.
struct IndexGuard<'a>(MutexGuard<'a, Option<BTreeMap<ItemId, Entry>>>);

impl IndexGuard<'_> {
    fn get(&mut self) -> &mut BTreeMap<ItemId, Entry> {
        self.0.as_mut().expect("loaded by Mailbox::index")
    }
}

// ---- HTTP ----

type Shared = Arc<Mailbox>;

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

fn expires_from_query(uri: &Uri) -> Result<Option<u64>, ApiError> {
    let mut found = None;
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "expires_at" {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("unknown query parameter '{key}'; only expires_at is accepted"),
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
    Ok(found)
}

fn is_json(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

async fn post_item(
    State(mailbox): State<Shared>,
    Authenticated(sender): Authenticated,
    Path(recipient): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Posted>, ApiError> {
    let recipient: NodeId = recipient.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_recipient",
            format!("'{recipient}' is not a node id (66 hex digits); post to /v1/mailbox/<recipient node id>"),
        )
    })?;
    let mut expires_at = expires_from_query(&uri)?;
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
        crate::protocol::hex::decode_vec(&form.payload)
            .map_err(|e| ApiError::bad_request("invalid_body", format!("payload: {e}")))?
    } else {
        body.to_vec()
    };
    let now = system_clock();
    let meta = blocking(move || mailbox.post(sender, recipient, payload, expires_at, now)).await?;
    Ok(Json(Posted {
        id: meta.id,
        expires_at: meta.expires_at,
        size: meta.size,
    }))
}

async fn list_items(
    State(mailbox): State<Shared>,
    Authenticated(node): Authenticated,
) -> Result<Json<Vec<ItemMeta>>, ApiError> {
    let now = system_clock();
    blocking(move || mailbox.list(&node, now)).await.map(Json)
}

async fn fetch_item(
    State(mailbox): State<Shared>,
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
    State(mailbox): State<Shared>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ItemId = id.parse().map_err(ApiError::from)?;
    blocking(move || mailbox.delete(&node, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The mailbox routes, all behind `auth`: `POST /v1/mailbox/{recipient}`, `GET /v1/mailbox`,
/// `GET /v1/mailbox/{id}`, `DELETE /v1/mailbox/{id}`.
pub fn routes(mailbox: Arc<Mailbox>, auth: &AuthState) -> Router {
    auth.protect(Router::new().route("/v1/mailbox", get(list_items)).route(
        "/v1/mailbox/{key}",
        get(fetch_item).post(post_item).delete(delete_item),
    ))
    .with_state(mailbox)
}
