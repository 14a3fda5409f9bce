//! A channel's settle-leaf hashes (PROTOCOL.md §3: each party keeps the 32-byte settle-leaf
//! hash of every state it signed, enough to rebuild the control block of any published old
//! update), kept so that saving a channel costs the same at state 100,000 as at state 10.
//!
//! The hashes are cut into chunks of [`HISTORY_CHUNK`] states: chunk `i` holds the states
//! `i·HISTORY_CHUNK .. (i+1)·HISTORY_CHUNK`. A chunk entirely below the latest signed state
//! can no longer change (new hashes are only ever added above the latest state). Such a
//! chunk is a [`HistoryChunk`], stored apart from the channel's record once, and the record
//! keeps only the hashes above the last of them. Loading a channel reads none of its chunks:
//! they are needed only to rebind over an old update someone published, and then only the
//! one holding its state ([`ChannelError::HistoryChunkNeeded`](super::ChannelError)).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::taproot::TapLeafHash;
use serde::{Deserialize, Serialize};

use super::hex;
use super::messages::ChannelId;
use crate::eltoo::Party;

/// States per [`HistoryChunk`].
pub const HISTORY_CHUNK: u32 = 256;

/// The version of a [`HistoryChunk`]'s persisted form.
const CHUNK_FORMAT_VERSION: u32 = 1;

/// The chunk that holds state `number`.
pub fn chunk_of(number: u32) -> u32 {
    number / HISTORY_CHUNK
}

/// The settle-leaf hashes of one channel's states `index·HISTORY_CHUNK ..
/// (index+1)·HISTORY_CHUNK` as one side (`local`) holds them, all below its latest signed
/// state: stored apart from the channel's record, never changed once written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryChunk {
    channel_id: ChannelId,
    local: Party,
    index: u32,
    hashes: BTreeMap<u32, TapLeafHash>,
}

impl HistoryChunk {
    /// The channel.
    pub fn channel_id(&self) -> ChannelId {
        self.channel_id
    }

    /// Whose side of the channel (one data dir may hold both sides of a channel id: its
    /// client channel, and the server channel a client of its S opened under that id).
    pub fn local(&self) -> Party {
        self.local
    }

    /// Which chunk: it holds the states `index·HISTORY_CHUNK .. (index+1)·HISTORY_CHUNK`.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The hashes, by state number.
    pub fn hashes(&self) -> &BTreeMap<u32, TapLeafHash> {
        &self.hashes
    }

    /// Its store key: `<channel id>-<client|server>-<index>`.
    pub fn key(&self) -> String {
        HistoryChunk::key_of(self.channel_id, self.local, self.index)
    }

    /// The store key of chunk `index` of `local`'s side of channel `channel_id`.
    pub fn key_of(channel_id: ChannelId, local: Party, index: u32) -> String {
        let side = match local {
            Party::Client => "client",
            Party::Server => "server",
        };
        format!("{channel_id}-{side}-{index}")
    }

    fn range(index: u32) -> std::ops::Range<u32> {
        index * HISTORY_CHUNK..(index + 1).saturating_mul(HISTORY_CHUNK)
    }
}

/// One settle-leaf hash as persisted: 64 hex digits.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub(super) struct Hex32(#[serde(with = "hex::array")] [u8; 32]);

/// The persisted form of settle-leaf hashes: `{"7": "<64 hex>", ...}`.
pub(super) fn hashes_to_record<'a>(
    hashes: impl Iterator<Item = (&'a u32, &'a TapLeafHash)>,
) -> BTreeMap<u32, Hex32> {
    hashes
        .map(|(k, h)| (*k, Hex32(h.to_byte_array())))
        .collect()
}

/// [`hashes_to_record`]'s inverse.
pub(super) fn hashes_from_record(record: BTreeMap<u32, Hex32>) -> BTreeMap<u32, TapLeafHash> {
    record
        .into_iter()
        .map(|(k, h)| (k, TapLeafHash::from_byte_array(h.0)))
        .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkRecord {
    format: u32,
    channel_id: ChannelId,
    local: Party,
    index: u32,
    settle_leaf_hashes: BTreeMap<u32, Hex32>,
}

impl Serialize for HistoryChunk {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ChunkRecord {
            format: CHUNK_FORMAT_VERSION,
            channel_id: self.channel_id,
            local: self.local,
            index: self.index,
            settle_leaf_hashes: hashes_to_record(self.hashes.iter()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for HistoryChunk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = ChunkRecord::deserialize(d)?;
        if r.format != CHUNK_FORMAT_VERSION {
            return Err(serde::de::Error::custom(format_args!(
                "settle-leaf hash chunk format {} is not supported (this build reads format \
                 {CHUNK_FORMAT_VERSION})",
                r.format
            )));
        }
        let range = HistoryChunk::range(r.index);
        if let Some(k) = r.settle_leaf_hashes.keys().find(|k| !range.contains(k)) {
            return Err(serde::de::Error::custom(format_args!(
                "settle-leaf hash chunk {} holds state {k}, outside its range {range:?}",
                r.index
            )));
        }
        Ok(HistoryChunk {
            channel_id: r.channel_id,
            local: r.local,
            index: r.index,
            hashes: hashes_from_record(r.settle_leaf_hashes),
        })
    }
}

/// A chunk frozen since its channel was loaded, with whether a committed copy of it was
/// seen in the store (then no later save needs to look for it again).
#[derive(Debug)]
pub struct FrozenChunk {
    chunk: HistoryChunk,
    seen_stored: AtomicBool,
}

impl FrozenChunk {
    /// The chunk.
    pub fn chunk(&self) -> &HistoryChunk {
        &self.chunk
    }

    /// True once [`FrozenChunk::mark_seen_stored`] was called.
    pub fn is_seen_stored(&self) -> bool {
        self.seen_stored.load(Ordering::Relaxed)
    }

    /// A committed copy equal to this chunk was found in the store.
    pub fn mark_seen_stored(&self) {
        self.seen_stored.store(true, Ordering::Relaxed);
    }
}

/// A channel's settle-leaf hashes as one side holds them: chunks `0..stored` only in the
/// store, `chunks` (the ones frozen since the channel was loaded) in memory too, and the
/// hashes above them in `tail`. Cloning it copies the tail and the chunks' pointers.
#[derive(Debug, Clone, Default)]
pub(super) struct History {
    stored: u32,
    chunks: Vec<Arc<FrozenChunk>>,
    tail: BTreeMap<u32, TapLeafHash>,
}

impl History {
    /// As loaded from a record: `stored` chunks apart, `tail` above them (checked by the
    /// caller to lie above them).
    pub(super) fn loaded(stored: u32, tail: BTreeMap<u32, TapLeafHash>) -> History {
        History {
            stored,
            chunks: Vec::new(),
            tail,
        }
    }

    /// Chunks stored apart when the channel was loaded (not in memory).
    pub(super) fn stored(&self) -> u32 {
        self.stored
    }

    /// Chunks below the tail (stored apart, or to be with the next save).
    pub(super) fn apart(&self) -> u32 {
        self.stored + self.chunks.len() as u32
    }

    /// The hashes the channel's record carries: those above [`History::apart`] chunks.
    pub(super) fn tail(&self) -> &BTreeMap<u32, TapLeafHash> {
        &self.tail
    }

    /// Chunks frozen since the channel was loaded: each must be in the store before a
    /// record that leaves its hashes out (see [`History::apart`]).
    pub(super) fn fresh_chunks(&self) -> impl Iterator<Item = &FrozenChunk> {
        self.chunks.iter().map(|c| &**c)
    }

    /// The hash of state `number`, if held in memory.
    pub(super) fn get(&self, number: u32) -> Option<&TapLeafHash> {
        self.map_for(number, None).ok()?.get(&number)
    }

    /// The map holding state `number`'s hash, in memory or `older` (the chunk read from the
    /// store); `Err(chunk)` names the chunk to read when neither holds it.
    pub(super) fn map_for<'a>(
        &'a self,
        number: u32,
        older: Option<&'a HistoryChunk>,
    ) -> Result<&'a BTreeMap<u32, TapLeafHash>, u32> {
        let chunk = chunk_of(number);
        if chunk >= self.apart() {
            return Ok(&self.tail);
        }
        if let Some(i) = chunk.checked_sub(self.stored) {
            return Ok(&self.chunks[i as usize].chunk.hashes);
        }
        match older {
            Some(c) if c.index == chunk => Ok(&c.hashes),
            _ => Err(chunk),
        }
    }

    /// Every hash held in memory.
    pub(super) fn in_memory(&self) -> BTreeMap<u32, TapLeafHash> {
        let mut all: BTreeMap<u32, TapLeafHash> = self
            .chunks
            .iter()
            .flat_map(|c| c.chunk.hashes.iter().map(|(k, h)| (*k, *h)))
            .collect();
        all.extend(self.tail.iter().map(|(k, h)| (*k, *h)));
        all
    }

    /// Adds state `number`'s hash (above every hash held).
    pub(super) fn insert(&mut self, number: u32, hash: TapLeafHash) {
        self.tail.insert(number, hash);
    }

    /// Removes the newest hash, `number`'s, added by [`History::insert`] and not frozen.
    pub(super) fn remove_newest(&mut self, number: u32) {
        if self
            .tail
            .last_key_value()
            .is_some_and(|(k, _)| *k == number)
        {
            self.tail.remove(&number);
        }
    }

    /// Lets go of the leading chunks that a committed save is known to have stored
    /// ([`FrozenChunk::is_seen_stored`]): from then on they are read back from the store
    /// when needed, as for a channel just loaded. A long-lived holder (S) then keeps no more
    /// of a channel's history in memory than the hashes above its stored chunks. Changes
    /// nothing that is saved ([`History::apart`] and the tail stay as they are).
    pub(super) fn release_stored(&mut self) {
        let n = self
            .chunks
            .iter()
            .take_while(|c| c.is_seen_stored())
            .count();
        self.chunks.drain(..n);
        self.stored += n as u32;
    }

    /// Freezes every chunk entirely below `latest`, the latest signed state: nothing is
    /// ever added below it.
    pub(super) fn freeze_below(&mut self, channel_id: ChannelId, local: Party, latest: u32) {
        while self.apart() < chunk_of(latest) {
            let index = self.apart();
            let above = self.tail.split_off(&HistoryChunk::range(index).end);
            let hashes = std::mem::replace(&mut self.tail, above);
            self.chunks.push(Arc::new(FrozenChunk {
                chunk: HistoryChunk {
                    channel_id,
                    local,
                    index,
                    hashes,
                },
                seen_stored: AtomicBool::new(false),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn only_chunks_seen_stored_are_let_go_and_the_rest_stays_the_same() {
        let id = ChannelId([9; 32]);
        let mut h = History::default();
        let top = 2 * HISTORY_CHUNK + 5;
        for n in 0..=top {
            h.insert(n, TapLeafHash::from_byte_array([n as u8; 32]));
        }
        h.freeze_below(id, Party::Server, top);
        assert_eq!((h.stored(), h.apart(), h.fresh_chunks().count()), (0, 2, 2));
        let tail = h.tail().clone();
        h.release_stored();
        assert_eq!(
            (h.stored(), h.fresh_chunks().count()),
            (0, 2),
            "none seen stored"
        );
        // Only a leading run goes: chunk 1 seen stored alone stays.
        h.chunks[1].mark_seen_stored();
        h.release_stored();
        assert_eq!((h.stored(), h.fresh_chunks().count()), (0, 2));
        h.chunks[0].mark_seen_stored();
        let chunk0 = h.chunks[0].chunk().clone();
        h.release_stored();
        assert_eq!((h.stored(), h.apart(), h.fresh_chunks().count()), (2, 2, 0));
        assert_eq!(h.tail(), &tail);
        // The released states are read back; the others answer from memory.
        assert_eq!(h.map_for(5, None), Err(0));
        assert_eq!(h.map_for(HISTORY_CHUNK + 1, None), Err(1));
        assert_eq!(
            h.map_for(5, Some(&chunk0)).unwrap()[&5],
            chunk0.hashes()[&5]
        );
        assert!(h.get(top).is_some());
        assert!(h.get(5).is_none());
    }
}
