//! The channel watcher: notices on-chain activity of a channel and decides what enforces the
//! latest state (PROTOCOL.md §3: force close, rebinding).
//!
//! [`watch`] is a pure decision over a read-only [`ChainView`]: it follows the spend chain
//! from the funding outpoint (funding → update → … → the last spend) and returns one
//! [`WatchOutcome`]. It never broadcasts: the caller submits [`Broadcast::tx`], persists the
//! channel transitions [`next_channel`] suggests, and calls [`watch`] again later (on every
//! new block, say). The decision is idempotent: once a broadcast transaction is in the
//! mempool the spend chain contains it, so the next pass waits instead of broadcasting again.
//!
//! | last spend found                                   | outcome                                   |
//! |----------------------------------------------------|-------------------------------------------|
//! | funding tx unknown, or below the minimum depth     | [`WatchOutcome::AwaitingFunding`]         |
//! | funding outpoint not the channel's script/capacity | [`WatchOutcome::Alert`] (never opens)     |
//! | funding output unspent, deep enough                | [`WatchOutcome::Idle`]                    |
//! | key-path spend of the funding output               | [`WatchOutcome::ClosedCooperatively`]     |
//! | any other spend of the funding or an update output | [`WatchOutcome::Alert`] (unknown spend)   |
//! | update of a state older than our latest            | [`WatchOutcome::Broadcast`] (rebind)      |
//! | our latest update, fewer than `shared_delay` confs | [`WatchOutcome::WaitingForDelay`]         |
//! | our latest update, mature                          | [`WatchOutcome::Broadcast`] (settlement)  |
//! | update newer than our latest                       | [`WatchOutcome::Alert`]                   |
//! | settlement (any state) in the mempool or confirmed | [`WatchOutcome::Settled`]                 |
//!
//! Every step is classified by the input that spends the watched outpoint, at whatever
//! position: update and settlement signatures are ALL|APOAS, which commit to no other input
//! and not to the input index, so anyone may add fee inputs before or after ours (and a
//! transaction that spends the watched output in an unexpected way is an alarm, never a
//! close).
//!
//! [`force_close_step`] is the same decision for a party that wants to close: while the
//! funding output is unspent it broadcasts the latest update bound to it.
//!
//! The chain is read through [`ChainView`], implemented for the in-memory [`Chain`] and for
//! a [`LedgerView`] (one read transaction on the on-disk ledger); for the on-disk [`Ledger`]
//! use [`watch_ledger`] and [`force_close_step_ledger`], which run one pass in one
//! [`Ledger::view`] (one consistent snapshot, a few indexed reads per step).

use std::fmt;

use bitcoin::{OutPoint, Transaction, Txid};

use crate::chain::{Chain, Ledger, LedgerError, LedgerView};
use crate::eltoo::scripts;
use crate::protocol::{Channel, ChannelError, ChannelStatus, HistoryChunk};

/// At most this many transactions are followed from the funding output: state numbers grow
/// strictly along the chain, so a longer chain means an inconsistent view.
const MAX_SPEND_CHAIN: usize = 100_000;

/// What the watcher reads from the chain.
pub trait ChainView {
    /// Height of the chain tip.
    fn tip_height(&self) -> u32;

    /// A confirmed or mempool transaction and its confirmation height (`None`: mempool).
    fn tx(&self, txid: &Txid) -> Option<(Transaction, Option<u32>)>;

    /// The transaction spending `outpoint`: a confirmed one, else a mempool one, with its
    /// confirmation height (`None`: mempool).
    fn spending_tx(&self, outpoint: &OutPoint) -> Option<(Transaction, Option<u32>)>;
}

impl ChainView for Chain {
    fn tip_height(&self) -> u32 {
        self.height()
    }

    fn tx(&self, txid: &Txid) -> Option<(Transaction, Option<u32>)> {
        Chain::tx(self, txid).map(|i| (i.tx, i.confirmation_height))
    }

    fn spending_tx(&self, outpoint: &OutPoint) -> Option<(Transaction, Option<u32>)> {
        Chain::spending_tx(self, outpoint).map(|i| (i.tx, i.confirmation_height))
    }
}

/// A read error is kept in the view and makes [`Ledger::view`] fail, so a pass never
/// decides on a partial read.
impl ChainView for LedgerView<'_> {
    fn tip_height(&self) -> u32 {
        self.keep(LedgerView::tip_height(self), 0)
    }

    fn tx(&self, txid: &Txid) -> Option<(Transaction, Option<u32>)> {
        self.keep(LedgerView::tx(self, txid), None)
            .map(|i| (i.tx, i.confirmation_height))
    }

    fn spending_tx(&self, outpoint: &OutPoint) -> Option<(Transaction, Option<u32>)> {
        self.keep(LedgerView::spending_tx(self, outpoint), None)
            .map(|i| (i.tx, i.confirmation_height))
    }
}

impl<T: ChainView + ?Sized> ChainView for &T {
    fn tip_height(&self) -> u32 {
        (**self).tip_height()
    }

    fn tx(&self, txid: &Txid) -> Option<(Transaction, Option<u32>)> {
        (**self).tx(txid)
    }

    fn spending_tx(&self, outpoint: &OutPoint) -> Option<(Transaction, Option<u32>)> {
        (**self).spending_tx(outpoint)
    }
}

/// Why a transaction should be broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastKind {
    /// Force close: our latest update bound to the (unspent) funding output.
    ForceClose {
        /// Our latest state.
        state: u32,
    },
    /// Our latest update rebound over an older published update.
    Rebind {
        /// The published (older) state.
        published: u32,
        /// Our latest state.
        latest: u32,
    },
    /// The settlement of our latest state, `shared_delay` blocks after its update confirmed.
    Settlement {
        /// Our latest state.
        state: u32,
    },
}

/// A transaction to submit, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    /// The transaction (fee-less: bump it through its pay-to-anchor output if needed).
    pub tx: Transaction,
    /// What it is.
    pub kind: BroadcastKind,
    /// A sentence for logs, e.g. "rebind latest update 7 over published update 3".
    pub reason: String,
    /// A rebinding over an update that waits unconfirmed on the funding output: our latest
    /// update bound to the funding output instead, to publish with a child paying more if
    /// the rebinding is refused (on a node with TRUC policy the old update's fee child is
    /// the one descendant it may have): it replaces the old update and its child (package
    /// RBF) rather than waiting for them to confirm.
    pub replacement: Option<Transaction>,
}

/// Something the watcher cannot fix: the operator must look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// An update newer than our latest signed state is on chain (the peer completed an update
    /// we signed but never finished). When it is our pending state, its signature makes it
    /// our latest ([`next_channel`]), and its settlement is then ours to publish too (the
    /// peer may hold it back: our whole balance hostage); otherwise (a restored backup) we
    /// cannot spend it.
    PublishedNewer {
        /// The update transaction.
        txid: Txid,
        /// Its state.
        published: u32,
        /// Our latest signed state.
        latest: u32,
        /// Its 2-of-2 signature when it is our pending state, signed by us.
        signature: Option<[u8; 64]>,
    },
    /// The funding outpoint does not pay the channel's funding script and capacity (a
    /// peer named a fake funding): no confirmations count, the channel never opens.
    FundingMismatch {
        /// The outpoint the channel records.
        outpoint: OutPoint,
        /// What is wrong with it.
        reason: String,
    },
    /// The funding output or an update output is spent by something that is neither a
    /// cooperative close (key path of the funding output), an update nor a settlement.
    UnknownSpend {
        /// The spending transaction.
        txid: Txid,
        /// The channel output it spends.
        spent: OutPoint,
        /// What it looks like.
        reason: String,
    },
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Alert::UnknownSpend {
                txid,
                spent,
                reason,
            } => write!(
                f,
                "{txid} spends the channel's output {spent} in a way the channel does not \
                 allow ({reason}): the channel is not closed, check it by hand"
            ),
            Alert::PublishedNewer {
                txid,
                published,
                latest,
                signature,
            } => {
                write!(
                    f,
                    "update {txid} publishes state {published}, newer than our latest signed \
                     state {latest}"
                )?;
                match signature {
                    Some(_) => f.write_str(
                        ": the state we signed last, completed by the peer; it is now our \
                         latest, and its settlement is published after the delay",
                    ),
                    None => f.write_str(
                        ": not a state this channel's record holds (restored from an older \
                         backup?)",
                    ),
                }
            }
            Alert::FundingMismatch { reason, .. } => write!(
                f,
                "{reason}; this channel is not funded and never opens (close it; nothing of \
                 ours is on chain for it)"
            ),
        }
    }
}

/// What the watcher decided for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchOutcome {
    /// The funding output is unspent and the funding transaction has fewer than
    /// `minimum_depth` confirmations (0: in the mempool, or not `seen` at all). Report
    /// `confirmations` with [`Channel::on_funding_confirmed`] (see [`next_channel`]).
    AwaitingFunding {
        /// Confirmations of the funding transaction.
        confirmations: u32,
        /// Confirmations the channel needs to open.
        minimum_depth: u32,
        /// Whether the funding transaction is known to the view (confirmed or mempool).
        seen: bool,
    },
    /// Nothing to do: the funding output is unspent and confirmed deep enough.
    Idle {
        /// Confirmations of the funding transaction.
        funding_confirmations: u32,
    },
    /// Submit this transaction.
    Broadcast(Broadcast),
    /// Our latest update is on chain (or in the mempool); its settlement becomes valid for
    /// the next block once the update has `shared_delay` confirmations.
    WaitingForDelay {
        /// The update transaction.
        update_txid: Txid,
        /// The channel output it spends (its one input of ours: an update's signatures
        /// commit to no other input, so anyone may add some).
        spends: OutPoint,
        /// Its state (our latest).
        state: u32,
        /// Its confirmations (0: mempool).
        confirmations: u32,
        /// Blocks still to be mined before the settlement can be submitted.
        blocks_left: u32,
    },
    /// The funding output was spent by a key-path spend: a cooperative close.
    ClosedCooperatively {
        /// The close transaction.
        txid: Txid,
        /// Its confirmations (0: mempool).
        confirmations: u32,
    },
    /// An update output was spent by its settlement. `state` below our latest means an old
    /// state won (it was not answered within `shared_delay` blocks).
    Settled {
        /// The settlement transaction.
        txid: Txid,
        /// The update output it spends (its one input of ours, as for an update).
        spends: OutPoint,
        /// The settled state.
        state: u32,
        /// Its confirmations (0: mempool).
        confirmations: u32,
    },
    /// Something is wrong that no broadcast can fix.
    Alert(Alert),
}

impl WatchOutcome {
    /// A stable machine name (`--json`): `awaiting_funding`, `open`, `published`,
    /// `waiting_for_delay`, `closed_cooperatively`, `settled` or `alert`.
    pub fn name(&self) -> &'static str {
        match self {
            WatchOutcome::AwaitingFunding { .. } => "awaiting_funding",
            WatchOutcome::Idle { .. } => "open",
            WatchOutcome::Broadcast(_) => "published",
            WatchOutcome::WaitingForDelay { .. } => "waiting_for_delay",
            WatchOutcome::ClosedCooperatively { .. } => "closed_cooperatively",
            WatchOutcome::Settled { .. } => "settled",
            WatchOutcome::Alert(_) => "alert",
        }
    }

    /// Whether the funding output is spent (on chain or in the mempool).
    pub fn funding_spent(&self) -> bool {
        !matches!(
            self,
            WatchOutcome::AwaitingFunding { .. }
                | WatchOutcome::Idle { .. }
                | WatchOutcome::Alert(Alert::FundingMismatch { .. })
                | WatchOutcome::Broadcast(Broadcast {
                    kind: BroadcastKind::ForceClose { .. },
                    ..
                })
        )
    }

    /// Our own transaction of `channel` that waits in the mempool and that we want
    /// confirmed, with the channel output it spends: our latest update during its delay,
    /// or the settlement of our latest state — never an older state's, which a peer may
    /// have published against us.
    pub fn unconfirmed_own(&self, channel: &Channel) -> Option<(Txid, OutPoint)> {
        match *self {
            WatchOutcome::WaitingForDelay {
                update_txid,
                spends,
                confirmations: 0,
                ..
            } => Some((update_txid, spends)),
            WatchOutcome::Settled {
                txid,
                spends,
                state,
                confirmations: 0,
            } if Some(state) == channel.latest().map(|l| l.state.number) => Some((txid, spends)),
            _ => None,
        }
    }

    /// The transaction to submit, if any.
    pub fn broadcast(&self) -> Option<&Broadcast> {
        match self {
            WatchOutcome::Broadcast(b) => Some(b),
            _ => None,
        }
    }
}

/// Why the watcher could not decide.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The channel has no funding outpoint yet.
    #[error("the channel's funding outpoint is not known yet")]
    FundingUnknown,
    /// The channel has no signed state.
    #[error("the channel has no signed state")]
    NoSignedState,
    /// A transaction in the spend chain is not what this channel's scripts allow.
    #[error("unexpected transaction {txid} in the channel's spend chain: {reason}")]
    Unexpected {
        /// The transaction.
        txid: Txid,
        /// What is wrong.
        reason: String,
    },
    /// Building a transaction of the channel failed (e.g. a published old state whose
    /// settle-leaf hash is not in the history).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The last transaction of the spend chain from the funding output.
enum Last {
    /// Nothing spends the funding output.
    Unspent,
    /// A key-path (cooperative) spend of the funding output.
    Cooperative(Transaction, Option<u32>),
    /// An update whose update output is unspent, with its height, its state and the
    /// channel output it spends.
    Update(Transaction, Option<u32>, u32, OutPoint),
    /// A settlement of update output `state`, with its height, that state and the update
    /// output it spends.
    Settlement(Transaction, Option<u32>, u32, OutPoint),
    /// A spend of the funding output or of an update output that is none of the above.
    Unknown {
        /// The spending transaction.
        tx: Transaction,
        /// The channel output it spends.
        spent: OutPoint,
        /// What it looks like.
        reason: String,
    },
}

/// How an input spends a channel output (funding or update output).
#[derive(Debug, PartialEq, Eq)]
enum InputKind {
    /// Key path (one signature): only both parties together can sign it.
    KeyPath,
    /// Script path through `EXPR_UPDATE(k)` for the `k` given.
    UpdateLeaf,
    /// Script path through a leaf of the `EXPR_SETTLE` form.
    SettleLeaf,
    /// Anything else.
    Other(String),
}

/// The input of `tx` that spends `outpoint`, wherever it is (`None`: `tx` does not spend it).
pub fn spending_input<'a>(tx: &'a Transaction, outpoint: &OutPoint) -> Option<&'a bitcoin::TxIn> {
    tx.input.iter().find(|i| i.previous_output == *outpoint)
}

/// Whether `leaf` is `EXPR_SETTLE(k)` for some covenant signature.
fn is_settle_leaf(leaf: &[u8]) -> bool {
    leaf.len() == 101
        && leaf[0] == 65
        && leaf[1..66]
            .try_into()
            .is_ok_and(|cov: [u8; 65]| scripts::settle_leaf(&cov).as_bytes() == leaf)
}

/// Classifies the input of `tx` spending `outpoint`, `update_leaf` being the update leaf
/// that output offers.
fn classify(tx: &Transaction, outpoint: &OutPoint, update_leaf: &bitcoin::ScriptBuf) -> InputKind {
    let Some(input) = spending_input(tx, outpoint) else {
        return InputKind::Other("it has no input spending the output".to_owned());
    };
    let w = &input.witness;
    match w.len() {
        1 => InputKind::KeyPath,
        3 if w.nth(1) == Some(update_leaf.as_bytes()) => InputKind::UpdateLeaf,
        2 if w.nth(0).is_some_and(is_settle_leaf) => InputKind::SettleLeaf,
        n => InputKind::Other(format!(
            "a witness of {n} elements matching no channel leaf"
        )),
    }
}

/// Follows the spend chain from `funding` to its last transaction, classifying each step by
/// the input that spends the followed output (at any input position).
fn last_spend(funding: OutPoint, view: &impl ChainView) -> Result<Last, WatchError> {
    let Some((first, height)) = view.spending_tx(&funding) else {
        return Ok(Last::Unspent);
    };
    match classify(&first, &funding, &scripts::update_leaf(0)) {
        InputKind::KeyPath => return Ok(Last::Cooperative(first, height)),
        InputKind::UpdateLeaf => {}
        InputKind::SettleLeaf => {
            return Ok(Last::Unknown {
                tx: first,
                spent: funding,
                reason: "a settle leaf on the funding output".to_owned(),
            })
        }
        InputKind::Other(reason) => {
            return Ok(Last::Unknown {
                tx: first,
                spent: funding,
                reason,
            })
        }
    }
    let (mut tx, mut height, mut spent) = (first, height, funding);
    for _ in 0..MAX_SPEND_CHAIN {
        let txid = tx.compute_txid();
        let number = scripts::state_from_locktime(tx.lock_time)
            .filter(|n| *n < scripts::MAX_STATE)
            .ok_or_else(|| WatchError::Unexpected {
                txid,
                reason: format!(
                    "spends through an update leaf but nLockTime {} is no state number",
                    tx.lock_time
                ),
            })?;
        let output = OutPoint::new(txid, 0);
        let Some((next, next_height)) = view.spending_tx(&output) else {
            return Ok(Last::Update(tx, height, number, spent));
        };
        match classify(&next, &output, &scripts::update_leaf(number + 1)) {
            InputKind::UpdateLeaf => (tx, height, spent) = (next, next_height, output),
            InputKind::SettleLeaf => {
                return Ok(Last::Settlement(next, next_height, number, output))
            }
            InputKind::KeyPath => {
                return Ok(Last::Unknown {
                    tx: next,
                    spent: output,
                    reason: format!("a key-path spend of update output {number}"),
                })
            }
            InputKind::Other(reason) => {
                return Ok(Last::Unknown {
                    tx: next,
                    spent: output,
                    reason,
                })
            }
        }
    }
    Err(WatchError::Unexpected {
        txid: tx.compute_txid(),
        reason: format!("spend chain longer than {MAX_SPEND_CHAIN} transactions"),
    })
}

/// Confirmations of a transaction confirmed at `height` (0: mempool).
fn confirmations(view: &impl ChainView, height: Option<u32>) -> u32 {
    height.map_or(0, |h| view.tip_height().saturating_sub(h) + 1)
}

/// Decides what `channel` needs given the chain as `view` sees it. No I/O besides reading
/// `view`; see the module documentation for the decision table.
///
/// A published old update whose state is in a chunk of the history stored apart (a long
/// channel, loaded from the store) is the error [`ChannelError::HistoryChunkNeeded`]: ask
/// again with that chunk through [`watch_with`] (`crate::server::watch_pass` does). The
/// same holds for [`force_close_step`], [`watch_ledger`] and [`force_close_step_ledger`].
pub fn watch(channel: &Channel, view: &impl ChainView) -> Result<WatchOutcome, WatchError> {
    watch_with(channel, view, false, &[])
}

/// [`watch`] for a party that wants to close unilaterally: while the funding output is
/// unspent (the funding transaction confirmed or in the mempool), broadcast our latest update
/// bound to it; once anything spends it, exactly [`watch`] (rebind, wait, settle).
pub fn force_close_step(
    channel: &Channel,
    view: &impl ChainView,
) -> Result<WatchOutcome, WatchError> {
    watch_with(channel, view, true, &[])
}

/// A short description, as `channel show` prints it.
impl fmt::Display for WatchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchOutcome::AwaitingFunding {
                confirmations,
                minimum_depth,
                ..
            } => {
                write!(
                    f,
                    "funding has {confirmations} of {minimum_depth} confirmations"
                )
            }
            WatchOutcome::Idle {
                funding_confirmations,
            } => {
                write!(f, "open, funding has {funding_confirmations} confirmations")
            }
            WatchOutcome::Broadcast(b) => write!(f, "published: {}", b.reason),
            WatchOutcome::WaitingForDelay {
                state, blocks_left, ..
            } => {
                write!(
                    f,
                    "update {state} on chain; settlement in {blocks_left} block(s)"
                )
            }
            WatchOutcome::ClosedCooperatively {
                txid,
                confirmations,
            } => {
                write!(
                    f,
                    "closed cooperatively by {txid} ({confirmations} confirmations)"
                )
            }
            WatchOutcome::Settled {
                txid,
                state,
                confirmations,
                ..
            } => {
                write!(
                    f,
                    "settled state {state} in {txid} ({confirmations} confirmations)"
                )
            }
            WatchOutcome::Alert(a) => write!(f, "ALERT: {a}"),
        }
    }
}

/// [`watch`] on the on-disk ledger, in one consistent read.
pub fn watch_ledger(channel: &Channel, ledger: &Ledger) -> Result<WatchOutcome, WatchError> {
    ledger.view(|v| watch(channel, v))?
}

/// [`force_close_step`] on the on-disk ledger, in one consistent read.
pub fn force_close_step_ledger(
    channel: &Channel,
    ledger: &Ledger,
) -> Result<WatchOutcome, WatchError> {
    ledger.view(|v| force_close_step(channel, v))?
}

/// [`watch`] (or, with `force_close`, [`force_close_step`]) given `older`, chunks of the
/// channel's history stored apart that were read (one may hold a published old update's
/// state): the error [`ChannelError::HistoryChunkNeeded`] names the chunk to read when one
/// is needed.
pub fn watch_with(
    channel: &Channel,
    view: &impl ChainView,
    force_close: bool,
    older: &[HistoryChunk],
) -> Result<WatchOutcome, WatchError> {
    let funding = channel
        .funding_outpoint()
        .ok_or(WatchError::FundingUnknown)?;
    let latest = channel
        .latest()
        .ok_or(WatchError::NoSignedState)?
        .state
        .number;
    let delay = u32::from(channel.params().shared_delay);
    match last_spend(funding, view)? {
        Last::Unspent => {
            let funding_tx = view.tx(&funding.txid);
            // Confirmations count only for an output that pays this channel's funding
            // script and capacity: a peer's word for the outpoint is not enough.
            if let Some((tx, _)) = &funding_tx {
                if let Err(e) = channel.check_funding_output(tx, funding) {
                    return Ok(WatchOutcome::Alert(Alert::FundingMismatch {
                        outpoint: funding,
                        reason: e.to_string(),
                    }));
                }
            }
            let seen = funding_tx.is_some();
            let confs = funding_tx.map_or(0, |(_, h)| confirmations(view, h));
            if force_close && seen {
                return Ok(WatchOutcome::Broadcast(Broadcast {
                    tx: channel.funding_update_tx()?,
                    kind: BroadcastKind::ForceClose { state: latest },
                    reason: format!(
                        "force close: publish latest update {latest} on the funding output"
                    ),
                    replacement: None,
                }));
            }
            if confs < channel.minimum_depth() {
                Ok(WatchOutcome::AwaitingFunding {
                    confirmations: confs,
                    minimum_depth: channel.minimum_depth(),
                    seen,
                })
            } else {
                Ok(WatchOutcome::Idle {
                    funding_confirmations: confs,
                })
            }
        }
        Last::Cooperative(tx, height) => Ok(WatchOutcome::ClosedCooperatively {
            txid: tx.compute_txid(),
            confirmations: confirmations(view, height),
        }),
        Last::Unknown { tx, spent, reason } => Ok(WatchOutcome::Alert(Alert::UnknownSpend {
            txid: tx.compute_txid(),
            spent,
            reason,
        })),
        Last::Settlement(tx, height, state, spends) => Ok(WatchOutcome::Settled {
            txid: tx.compute_txid(),
            spends,
            state,
            confirmations: confirmations(view, height),
        }),
        Last::Update(tx, height, number, spends) => {
            let txid = tx.compute_txid();
            match channel.react_to_published_update(&tx, older) {
                Err(ChannelError::PublishedNewer { published, latest }) => {
                    Ok(WatchOutcome::Alert(Alert::PublishedNewer {
                        txid,
                        published,
                        latest,
                        signature: channel.pending_signature_in(&tx)?,
                    }))
                }
                Err(e) => Err(e.into()),
                Ok(Some(rebound)) => Ok(WatchOutcome::Broadcast(Broadcast {
                    tx: rebound,
                    kind: BroadcastKind::Rebind {
                        published: number,
                        latest,
                    },
                    reason: format!(
                        "rebind latest update {latest} over published update {number} ({txid})"
                    ),
                    replacement: if height.is_none()
                        && tx.input.iter().any(|i| i.previous_output == funding)
                    {
                        Some(channel.funding_update_tx()?)
                    } else {
                        None
                    },
                })),
                Ok(None) => {
                    let confs = confirmations(view, height);
                    if confs >= delay {
                        Ok(WatchOutcome::Broadcast(Broadcast {
                            tx: channel.settlement_tx(OutPoint::new(txid, 0))?,
                            kind: BroadcastKind::Settlement { state: latest },
                            reason: format!(
                                "settle latest state {latest}: its update {txid} has {confs} \
                                 confirmations (delay {delay})"
                            ),
                            replacement: None,
                        }))
                    } else {
                        Ok(WatchOutcome::WaitingForDelay {
                            update_txid: txid,
                            spends,
                            state: latest,
                            confirmations: confs,
                            blocks_left: delay - confs,
                        })
                    }
                }
            }
        }
    }
}

/// The channel transition an outcome calls for, if any (persist the returned channel):
/// funding confirmations while awaiting funding or open ([`Channel::on_funding_confirmed`],
/// only when the count changed), [`Channel::closing`] once the funding output is spent, and
/// [`Channel::closed`] once a cooperative close or a settlement has `minimum_depth`
/// confirmations (at least one).
pub fn next_channel(
    channel: &Channel,
    outcome: &WatchOutcome,
) -> Result<Option<Channel>, ChannelError> {
    let status = channel.status();
    if status == ChannelStatus::Closed {
        return Ok(None);
    }
    let final_depth = channel.minimum_depth().max(1);
    match outcome {
        // Our pending state, completed by the peer and on chain: our latest from now on.
        WatchOutcome::Alert(Alert::PublishedNewer {
            signature: Some(signature),
            ..
        }) => channel.adopt_pending(*signature)?.closing().map(Some),
        WatchOutcome::AwaitingFunding { confirmations, .. }
        | WatchOutcome::Idle {
            funding_confirmations: confirmations,
        } => {
            if matches!(status, ChannelStatus::AwaitingFunding | ChannelStatus::Open)
                && *confirmations != channel.confirmations()
            {
                return channel.on_funding_confirmed(*confirmations).map(Some);
            }
            Ok(None)
        }
        WatchOutcome::ClosedCooperatively { confirmations, .. }
        | WatchOutcome::Settled { confirmations, .. }
            if *confirmations >= final_depth =>
        {
            Ok(Some(channel.closed()))
        }
        o if (o.funding_spent()
            || matches!(
                o.broadcast(),
                Some(Broadcast {
                    kind: BroadcastKind::ForceClose { .. },
                    ..
                })
            ))
            && status != ChannelStatus::Closing =>
        {
            channel.closing().map(Some)
        }
        _ => Ok(None),
    }
}
