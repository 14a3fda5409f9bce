//! Looks at the chain that S reads before it takes its lock (ADR 0015).
//!
//! Before S signs, sells or completes anything on a channel it looks at the channel on
//! chain (fail-closed: is it closing?), and its watcher looks at every channel after a
//! block. On bitcoind a look is RPC round trips; made under S's lock, every other request
//! waited for them. A request (and the watcher, one channel at a time) now reads what its
//! looks need before the lock: the chain tip, and for each channel it will look at, what spends the
//! funding output and the transaction that made it ([`EarlyLooks::read`]). Under the lock
//! the watcher's decision is taken on the channel as it is then, with these answers
//! ([`Replay`]), if they can stand for a look made then:
//!
//! - no look at the channel taken under the lock (the watcher's, another request's) ended
//!   after this one began: that look's newer view could be taken back by this older one
//!   (a reorganization that took a funding's confirmations away, written down since);
//! - the funding output is unspent: a pass over a spent one asks about the transactions
//!   after it, which were not read. Any question not read is a miss, and the look is made
//!   again under the lock, as before.
//!
//! What the chain did between the read and the lock (a few milliseconds, the lock's wait)
//! is then seen by S's next look, as what happens just after a look under the lock is.
//! Reads older than [`MAX_AGE`] when the lock is taken are not used: a block could have
//! come meanwhile, and a tip older by blocks would pass a deadline check S must refuse.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bitcoin::{OutPoint, Transaction, Txid};

use crate::chain::source::ChainSource;
use crate::protocol::messages::ChannelId;
use crate::watch::ChainView;

/// A transaction on chain or in the mempool, with its confirmation height (`None`:
/// mempool), as [`ChainView`] answers.
type Found = Option<(Transaction, Option<u32>)>;

/// What one early look at a channel's funding output saw.
pub(super) struct EarlyLook {
    /// The look clock ([`EarlyLooks::read`]) when the read began.
    pub began: u64,
    /// The look clock once it ended.
    pub ended: u64,
    tip: u32,
    funding: OutPoint,
    spend: Found,
    funding_tx: Found,
}

/// The longest a request's reads may wait for S's lock and still be used.
pub(super) const MAX_AGE: Duration = Duration::from_secs(1);

/// The early looks of one request, with the tip they saw (`None`: nothing was read; the
/// request then reads the chain under the lock, as before).
#[derive(Default)]
pub(super) struct EarlyLooks {
    pub tip: Option<u32>,
    pub looks: HashMap<ChannelId, EarlyLook>,
    /// When the read began (its tip is read first).
    read_at: Option<Instant>,
    /// Why the read failed: S's checks then refuse at once (`chain_unavailable`) instead
    /// of looking again under the lock, where a node that does not answer would hold every
    /// other request up for as long as it takes to time out.
    pub failed: Option<String>,
}

impl EarlyLooks {
    /// Reads the tip and, for each of `fundings` (a channel, its funding outpoint and the
    /// lowest height the funding can be at), what spends the output and the transaction
    /// that made it, in one view of `chain`. `clock` orders looks: it is read when the
    /// read begins and once it ended. Nothing is read for no funding.
    pub fn read(
        chain: &dyn ChainSource,
        clock: &AtomicU64,
        fundings: &[(ChannelId, OutPoint, u32)],
    ) -> EarlyLooks {
        if fundings.is_empty() {
            return EarlyLooks::default();
        }
        let roots: Vec<(OutPoint, u32)> = fundings.iter().map(|&(_, o, h)| (o, h)).collect();
        // Aged from when the read began: its tip is read first, a slow read holds an old one.
        let read_at = Some(Instant::now());
        let began = clock.fetch_add(1, Ordering::SeqCst);
        let read = crate::chain::source::read_chain(chain, &roots, |view| {
            let tip = view.tip_height();
            let answers: Vec<(Found, Found)> = fundings
                .iter()
                .map(|(_, funding, _)| (view.spending_tx(funding), view.tx(&funding.txid)))
                .collect();
            (tip, answers)
        });
        let ended = clock.fetch_add(1, Ordering::SeqCst);
        let (tip, answers) = match read {
            Ok(read) => read,
            Err(e) => {
                return EarlyLooks {
                    read_at,
                    failed: Some(e.to_string()),
                    ..EarlyLooks::default()
                };
            }
        };
        let looks = fundings
            .iter()
            .zip(answers)
            .map(|(&(id, funding, _), (spend, funding_tx))| {
                let look = EarlyLook {
                    began,
                    ended,
                    tip,
                    funding,
                    spend,
                    funding_tx,
                };
                (id, look)
            })
            .collect();
        EarlyLooks {
            tip: Some(tip),
            looks,
            read_at,
            failed: None,
        }
    }

    /// These looks (or their failure) if they are at most [`MAX_AGE`] old, else none.
    pub fn if_recent(self) -> EarlyLooks {
        match self.read_at {
            Some(at) if at.elapsed() <= MAX_AGE => self,
            _ => EarlyLooks::default(),
        }
    }
}

/// An early look as the view of a watcher pass: it answers what it read, and notes any
/// other question as missed ([`Replay::missed`]).
pub(super) struct Replay<'a> {
    look: &'a EarlyLook,
    missed: Cell<bool>,
}

impl<'a> Replay<'a> {
    pub fn new(look: &'a EarlyLook) -> Replay<'a> {
        Replay {
            look,
            missed: Cell::new(false),
        }
    }

    /// Whether a question was asked that the early look did not read: its answer stood
    /// for "nothing", and the pass must be made again on the chain.
    pub fn missed(&self) -> bool {
        self.missed.get()
    }

    fn miss(&self) -> Found {
        self.missed.set(true);
        None
    }
}

impl ChainView for Replay<'_> {
    fn tip_height(&self) -> u32 {
        self.look.tip
    }

    fn tx(&self, txid: &Txid) -> Found {
        if *txid == self.look.funding.txid {
            self.look.funding_tx.clone()
        } else {
            self.miss()
        }
    }

    fn spending_tx(&self, outpoint: &OutPoint) -> Found {
        if *outpoint == self.look.funding {
            self.look.spend.clone()
        } else {
            self.miss()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    /// An early look answers what it read (the tip, the funding output's spender, the
    /// funding transaction) and notes any other question as missed.
    #[test]
    fn a_question_the_early_look_did_not_read_is_a_miss() {
        let funding = OutPoint {
            txid: Txid::from_byte_array([7; 32]),
            vout: 1,
        };
        let look = EarlyLook {
            began: 4,
            ended: 5,
            tip: 120,
            funding,
            spend: None,
            funding_tx: None,
        };
        let view = Replay::new(&look);
        assert_eq!(view.tip_height(), 120);
        assert!(view.spending_tx(&funding).is_none());
        assert!(view.tx(&funding.txid).is_none());
        assert!(!view.missed(), "read: no miss");
        let other = OutPoint { vout: 0, ..funding };
        assert!(view.spending_tx(&other).is_none());
        assert!(view.missed());
        let view = Replay::new(&look);
        assert!(view.tx(&Txid::from_byte_array([8; 32])).is_none());
        assert!(view.missed());
    }
}
