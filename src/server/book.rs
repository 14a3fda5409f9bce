//! S's channels in memory, with what the chain watcher last found quiet about each.
//!
//! A watcher pass looks at every channel on chain. Most of them are quiet: nothing S must
//! do, and nothing that changes the channel. [`ChannelBook`] remembers such an outcome with
//! the chain's change token and tip it was seen under; the next pass takes it instead of
//! looking again while both are the same, for at most [`REMEMBERED_FOR`] (then it looks
//! again whatever happened). A chain source without a change token (bitcoind) has the
//! idle outcomes of open channels remembered under the tip alone, taken while nothing in
//! the mempool spends the channel's funding output
//! ([`crate::chain::source::ChainSource::spent_in_mempool`]). Every mutable access to a channel forgets what was remembered
//! of it (the book hands out `&mut` only through methods that do), so a remembered outcome
//! is always of the channel as it is now.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::ServerChannel;
use crate::protocol::messages::ChannelId;
use crate::watch::WatchOutcome;

/// What a watcher outcome is seen under: the chain source's change token (`None`: the
/// source has none, and nothing in the mempool spent the channel's funding) and the tip's
/// hash.
pub(super) type ChainKey = (Option<[u64; 3]>, bitcoin::BlockHash);

/// How long a quiet outcome is taken at most: each channel is looked at on chain again at
/// least this often, whatever its key says (what a change token could miss is seen then).
const REMEMBERED_FOR: Duration = Duration::from_secs(60);

/// A quiet watcher outcome, what it was seen under, and when.
#[derive(Debug)]
pub(super) struct Quiet {
    key: ChainKey,
    force: bool,
    outcome: WatchOutcome,
    seen_at: Instant,
}

impl Quiet {
    /// Whether the outcome was seen under `key` with the same `force`, less than
    /// [`REMEMBERED_FOR`] ago.
    pub(super) fn holds_for(&self, key: ChainKey, force: bool) -> bool {
        self.key == key && self.force == force && self.seen_at.elapsed() < REMEMBERED_FOR
    }

    /// The outcome.
    pub(super) fn outcome(&self) -> &WatchOutcome {
        &self.outcome
    }
}

/// S's channels by id ([`std::ops::Index`] and the read methods of a map), and the quiet
/// watcher outcomes of some of them.
pub(super) struct ChannelBook {
    channels: BTreeMap<ChannelId, ServerChannel>,
    quiet: HashMap<ChannelId, Quiet>,
}

impl ChannelBook {
    pub(super) fn new(channels: BTreeMap<ChannelId, ServerChannel>) -> ChannelBook {
        ChannelBook {
            channels,
            quiet: HashMap::new(),
        }
    }

    pub(super) fn get(&self, id: &ChannelId) -> Option<&ServerChannel> {
        self.channels.get(id)
    }

    pub(super) fn contains_key(&self, id: &ChannelId) -> bool {
        self.channels.contains_key(id)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &ChannelId> {
        self.channels.keys()
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &ServerChannel> {
        self.channels.values()
    }

    /// Whether a quiet outcome of `id` holds for `key` (in a pass that does not force).
    pub(super) fn quiet_holds(&self, id: &ChannelId, key: ChainKey) -> bool {
        self.quiet.get(id).is_some_and(|q| q.holds_for(key, false))
    }

    /// The channel, to change: what the watcher remembered of it is forgotten.
    pub(super) fn get_mut(&mut self, id: &ChannelId) -> Option<&mut ServerChannel> {
        self.quiet.remove(id);
        self.channels.get_mut(id)
    }

    pub(super) fn insert(&mut self, id: ChannelId, channel: ServerChannel) {
        self.quiet.remove(&id);
        self.channels.insert(id, channel);
    }

    /// The channel for the watcher, with the quiet outcome remembered of it (taken: once the
    /// pass is done with the channel, [`ChannelBook::put_back_quiet`] it if it was used as it
    /// was, or [`ChannelBook::remember_quiet`] what a new look found).
    pub(super) fn watch_mut(
        &mut self,
        id: &ChannelId,
    ) -> Option<(&mut ServerChannel, Option<Quiet>)> {
        let quiet = self.quiet.remove(id);
        self.channels.get_mut(id).map(|ch| (ch, quiet))
    }

    /// Remembers that a look at `id` under `key` found `outcome`, which asks nothing of S
    /// (no transaction to publish, no change of the channel): the caller checked.
    pub(super) fn remember_quiet(
        &mut self,
        id: ChannelId,
        key: ChainKey,
        force: bool,
        outcome: WatchOutcome,
    ) {
        self.quiet.insert(
            id,
            Quiet {
                key,
                force,
                outcome,
                seen_at: Instant::now(),
            },
        );
    }

    /// Puts back a quiet outcome taken with [`ChannelBook::watch_mut`] and used as it was
    /// (it keeps the time it was seen).
    pub(super) fn put_back_quiet(&mut self, id: ChannelId, quiet: Quiet) {
        self.quiet.insert(id, quiet);
    }
}

impl std::ops::Index<&ChannelId> for ChannelBook {
    type Output = ServerChannel;

    fn index(&self, id: &ChannelId) -> &ServerChannel {
        &self.channels[id]
    }
}

#[cfg(test)]
mod tests {
    use bitcoin::hashes::Hash;

    use super::*;

    /// A remembered outcome holds under the same chain key and `force` for less than
    /// [`REMEMBERED_FOR`], and never after it, whatever else is the same.
    #[test]
    fn a_quiet_outcome_holds_for_its_key_and_force_and_less_than_a_minute() {
        let key: ChainKey = (Some([1, 2, 3]), bitcoin::BlockHash::all_zeros());
        let seen = |ago: Duration| Quiet {
            key,
            force: false,
            outcome: WatchOutcome::Idle {
                funding_confirmations: 6,
            },
            seen_at: Instant::now()
                .checked_sub(ago)
                .expect("the clock has run that long"),
        };
        assert!(seen(Duration::ZERO).holds_for(key, false));
        assert!(!seen(Duration::ZERO).holds_for(key, true));
        assert!(!seen(Duration::ZERO).holds_for((Some([1, 2, 4]), key.1), false));
        assert!(!seen(Duration::ZERO).holds_for((None, key.1), false));
        let other_tip = bitcoin::BlockHash::from_byte_array([1; 32]);
        assert!(!seen(Duration::ZERO).holds_for((key.0, other_tip), false));
        assert!(seen(REMEMBERED_FOR - Duration::from_secs(1)).holds_for(key, false));
        assert!(!seen(REMEMBERED_FOR).holds_for(key, false));
        assert!(!seen(REMEMBERED_FOR + Duration::from_secs(1)).holds_for(key, false));
    }
}
