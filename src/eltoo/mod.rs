//! eltoo channels in the LN-Symmetry layout (PROTOCOL.md §3, §4): state numbers in nLockTime,
//! update outputs `tr(Q, {EXPR_UPDATE(k+1), EXPR_SETTLE(k)})` whose settlement is fixed by a
//! covenant signature, PTLC outputs, cooperative close. No I/O.
//!
//! Flow of one state `k`: [`StateTransactions::build`] derives update and settlement `k`;
//! both parties MuSig2-sign [`StateTransactions::update_sighash`] (APOAS|ALL, untweaked
//! aggregate key); [`StateTransactions::signed_update`] binds the update to the funding
//! output or to any older published update output; after `shared_delay` blocks,
//! [`StateTransactions::signed_settlement`] spends it without further signatures.

mod channel;
pub mod scripts;
mod tx;

pub use channel::{
    ChannelParams, ChannelState, Party, PartyKeys, Ptlc, DUST_LIMIT, MIN_SHARED_DELAY,
};
pub use tx::{
    ptlc_internal_key, ptlc_tree, published_update_input, xonly, ClaimShape, CooperativeClose,
    PtlcClaim, PtlcPath, StateTransactions, UpdateInput, CLAIM_SEQUENCE, PTLC_POINT_TAG,
    UPDATE_SEQUENCE,
};

use bitcoin::Amount;

use crate::crypto::bip118::SighashError;
use crate::crypto::musig::MusigError;

/// What is wrong with a channel state or transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EltooError {
    /// Balances and PTLCs do not add up to the capacity.
    #[error("balances and PTLCs add up to {total}, but the channel capacity is {capacity}")]
    Conservation {
        /// Channel capacity.
        capacity: Amount,
        /// What the state adds up to.
        total: Amount,
    },
    /// An amount sum overflowed or went negative.
    #[error("amount arithmetic overflowed")]
    AmountOverflow,
    /// A party cannot pay this much.
    #[error("{party:?} balance {balance} is less than {amount}")]
    InsufficientBalance {
        /// Who pays.
        party: Party,
        /// Its balance.
        balance: Amount,
        /// The amount asked.
        amount: Amount,
    },
    /// The state number does not fit in nLockTime.
    #[error("state number {0} is too large for nLockTime (below {max})", max = scripts::MAX_STATE)]
    StateNumberTooLarge(u32),
    /// An update may only spend the output of an older state.
    #[error("update {state} cannot spend update output {spent}: only older states can be spent")]
    NotNewer {
        /// The spent state.
        spent: u32,
        /// The spending state.
        state: u32,
    },
    /// The transaction is not an update transaction of this layout.
    #[error("transaction is not an eltoo update (nLockTime below 500000000 or wrong outputs)")]
    NotAnUpdate,
    /// No settle leaf hash is known for this state.
    #[error("no settle leaf hash kept for state {0}; cannot rebuild its control block")]
    UnknownState(u32),
    /// Two PTLCs of one state have the same payment point: their outputs would be identical
    /// and one completed claim signature would take both.
    #[error("two PTLCs of the state have the payment point {0}: refused, one claim signature would take both")]
    DuplicatePtlc(String),
    /// The PTLC expiry is not a block height above 0.
    #[error("PTLC expiry {0} is not a block height (1 to 499999999)")]
    BadExpiry(u32),
    /// The channel parameters are unsafe or inconsistent.
    #[error("invalid channel parameters: {0}")]
    BadParams(String),
    /// A PTLC claim was finalized on the other path.
    #[error("this PTLC claim was built for the other spend path")]
    WrongPath,
    /// MuSig2 failure.
    #[error(transparent)]
    Musig(#[from] MusigError),
    /// Digest failure.
    #[error(transparent)]
    Sighash(#[from] SighashError),
}
