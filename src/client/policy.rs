//! What the payee requires of a server's timing before it sells a payment into a channel
//! with it: the least confirmation budget `C` (PROTOCOL.md §4.1).
//!
//! B plans its on-chain claim of a sold PTLC with the `C` that S publishes: it goes on chain
//! `delay(B–S) + 3·C − 1` blocks (plus a slack) before the expiry, and publishes its claim
//! only while `tip + C ≤ E`. An S that publishes a `C` too small for the chain's congestion
//! shortens those margins to what a busy chain may not honour: B's claim, `t` in it, could
//! still wait in the mempool at block `E + 1`, where S's timeout claim replaces it — S then
//! holds `t` (the payer's payment) and the PTLC both. So B sells only into a server whose
//! `C` is at least its own floor.

use bitcoin::Network;
use serde::{Deserialize, Serialize};

use super::{ClientError, ClientResult, Engine};
use crate::store::StateFile;

/// The floor of a wallet that never set one: S's own default budget, except on regtest,
/// where blocks come only when asked for and nothing else competes for them.
pub fn default_min_confirmation_budget(network: Network) -> u16 {
    match network {
        Network::Regtest => 1,
        _ => 6,
    }
}

/// The largest floor a wallet may set: a day of blocks (a server with such a budget already
/// needs payers' channels to wait more than five days to settle, `5·C`).
pub const MAX_MIN_CONFIRMATION_BUDGET: u16 = 144;

/// The least minimum depth a wallet that never set one takes from a server for a channel
/// the server funds: 3 confirmations (as Lightning nodes ask of a funder by default),
/// except on regtest, where nobody else mines.
pub fn default_min_funding_depth(network: Network) -> u16 {
    match network {
        Network::Regtest => 1,
        _ => 3,
    }
}

/// The largest minimum depth floor a wallet may set: a day of blocks.
pub const MAX_MIN_FUNDING_DEPTH: u16 = 144;

/// The payee's timing requirements, sealed in the wallet's records (kind
/// `asyncpay/payee-policy`). Version 1 data: `{"min_confirmation_budget": 6}`, and
/// `"min_funding_depth": 3` once set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayeePolicy {
    /// The least confirmation budget `C` (blocks) a server must publish for this wallet to
    /// sell a payment into a channel with it.
    pub min_confirmation_budget: u16,
    /// The least minimum depth a server may set for a channel it funds (absent: the
    /// network's default, [`default_min_funding_depth`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_funding_depth: Option<u16>,
}

impl StateFile for PayeePolicy {
    const FILE: &'static str = "payee-policy";
    const KIND: &'static str = "asyncpay/payee-policy";
    const VERSION: u32 = 1;
}

impl Engine<'_> {
    /// The wallet's payee policy: the one it stored, or the network's default.
    pub fn payee_policy(&self) -> ClientResult<PayeePolicy> {
        Ok(self.store.load::<PayeePolicy>()?.unwrap_or(PayeePolicy {
            min_confirmation_budget: default_min_confirmation_budget(self.network),
            min_funding_depth: None,
        }))
    }

    /// The least minimum depth this wallet takes from a server for a channel the server
    /// funds (`wallet set-min-depth`).
    pub fn min_funding_depth(&self) -> ClientResult<u16> {
        Ok(self
            .payee_policy()?
            .min_funding_depth
            .unwrap_or_else(|| default_min_funding_depth(self.network)))
    }

    /// Sets the least confirmation budget a server must publish for a sale (1 to
    /// [`MAX_MIN_CONFIRMATION_BUDGET`] blocks). Payments sold already keep the budget
    /// recorded at their sale.
    pub fn set_min_confirmation_budget(&self, blocks: u16) -> ClientResult<PayeePolicy> {
        if !(1..=MAX_MIN_CONFIRMATION_BUDGET).contains(&blocks) {
            return Err(ClientError::invalid(format!(
                "a confirmation budget floor of {blocks} blocks is outside 1 to \
                 {MAX_MIN_CONFIRMATION_BUDGET}"
            )));
        }
        self.change_payee_policy(|p| p.min_confirmation_budget = blocks)
    }

    /// Changes one field of the stored payee policy (the others as they were).
    fn change_payee_policy(
        &self,
        change: impl FnOnce(&mut PayeePolicy),
    ) -> ClientResult<PayeePolicy> {
        let mut policy = self.payee_policy()?;
        change(&mut policy);
        self.store.save(&policy)?;
        Ok(policy)
    }

    /// Sets the least minimum depth a server may set for a channel it funds (1 to
    /// [`MAX_MIN_FUNDING_DEPTH`] blocks). Channels opened already keep the depth S set,
    /// and nothing is sold into one until its funding has this floor's confirmations too
    /// ([`Engine::funding_depth_needed`]).
    pub fn set_min_funding_depth(&self, blocks: u16) -> ClientResult<u16> {
        if !(1..=MAX_MIN_FUNDING_DEPTH).contains(&blocks) {
            return Err(ClientError::invalid(format!(
                "a minimum depth floor of {blocks} blocks is outside 1 to {MAX_MIN_FUNDING_DEPTH}"
            )));
        }
        self.change_payee_policy(|p| p.min_funding_depth = Some(blocks))?;
        Ok(blocks)
    }

    /// The confirmations of `ch`'s funding before anything is paid into it or out of it:
    /// its minimum depth (at least 1), and for a channel S funds at least this wallet's
    /// floor, which may have risen since the open ([`Engine::set_min_funding_depth`]).
    pub(crate) fn funding_depth_needed(&self, ch: &super::ClientChannel) -> ClientResult<u32> {
        let depth = ch.channel.minimum_depth().max(1);
        if ch.channel.funder() != crate::eltoo::Party::Server {
            return Ok(depth);
        }
        Ok(depth.max(u32::from(self.min_funding_depth()?)))
    }

    /// Refuses a server that would count the funding of a channel it funds as final after
    /// `depth` confirmations, below this wallet's floor, before `doing` anything with it:
    /// what S pays us in such a channel stands on that funding, and a reorganization of
    /// `depth` blocks would let S spend the funding's coins elsewhere once it had been paid
    /// for what it sold us (docs/protocol.md, "Opening").
    pub(crate) fn check_server_depth(&self, depth: u32, doing: &str) -> ClientResult<()> {
        let floor = self.min_funding_depth()?;
        if depth >= u32::from(floor) {
            return Ok(());
        }
        Err(ClientError::failed(format!(
            "not {doing}: the server counts the channel's funding as final after {depth} \
             confirmation(s), below this wallet's floor of {floor}; a reorganization of that \
             many blocks would let it spend the funding's coins elsewhere after we were paid \
             in the channel"
        ))
        .hint(
            "use a server that waits for more confirmations of its fundings, or lower the \
             floor with `asyncpay wallet set-min-depth BLOCKS`; nothing was signed or funded",
        ))
    }

    /// A channel's `shared_delay` must be above the confirmation budget (docs/protocol.md
    /// §4.1: an old state the server publishes is answered by a later one, confirmed within
    /// the budget, before the old one's settlement can be): the server's published budget,
    /// or this wallet's floor if larger (the server says what it likes of its budget).
    /// Checked at open, and again at each sale (either may have risen since).
    pub(crate) fn check_delay_above_budget(
        &self,
        delay: u16,
        server_budget: u16,
    ) -> ClientResult<()> {
        let budget = server_budget.max(self.payee_policy()?.min_confirmation_budget);
        if delay > budget {
            return Ok(());
        }
        Err(ClientError::failed(format!(
            "the channel's shared_delay of {delay} blocks is not above the confirmation \
             budget of {budget} blocks (the server's, or this wallet's floor if larger): an \
             old state the server publishes could settle before our answer to it confirms"
        )))
    }

    /// Refuses a server whose published confirmation budget `budget` is below the floor,
    /// before `doing` anything with it.
    pub(crate) fn check_server_budget(&self, budget: u16, doing: &str) -> ClientResult<()> {
        let floor = self.payee_policy()?.min_confirmation_budget;
        if budget >= floor {
            return Ok(());
        }
        Err(ClientError::failed(format!(
            "not {doing}: the server's confirmation budget is {budget} blocks, below this \
             wallet's floor of {floor}; a PTLC it sold us could then expire while our claim \
             on chain still waits for a block, and the server could take it back holding \
             the payment scalar"
        ))
        .hint(
            "use a server with a larger budget, or lower the floor with `asyncpay wallet \
             set-min-budget BLOCKS` if blocks on this chain come that fast",
        ))
    }
}
