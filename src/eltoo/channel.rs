//! Channel parameters and channel states, with checked amount arithmetic.

use bitcoin::key::XOnlyPublicKey;
use bitcoin::{Amount, ScriptBuf, TxOut};

use super::scripts::{self, TapTree, MAX_STATE};
use super::EltooError;
use crate::crypto::musig::AggregateKey;

/// The two parties of a channel: a client (A or B) and the server S.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The client's side.
    Client,
    /// The server's side.
    Server,
}

impl Party {
    /// The other party.
    pub fn other(self) -> Party {
        match self {
            Party::Client => Party::Server,
            Party::Server => Party::Client,
        }
    }
}

/// One party's public keys in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyKeys {
    /// MuSig2 key for the funding/update outputs (full point: BIP327 sorts compressed keys).
    pub funding: secp::Point,
    /// Key of this party's `to_node` output (key-path-only P2TR, BIP86 tweak): the internal
    /// key of a BIP86 address of the party's own on-chain wallet, so the `to_node` output,
    /// the cooperative close output and PTLC claims pay that wallet address.
    pub settlement: XOnlyPublicKey,
    /// Key this party uses in PTLC scripts.
    pub ptlc: XOnlyPublicKey,
}

/// Dust limit of P2TR outputs: smaller balances are trimmed into the anchor.
pub const DUST_LIMIT: Amount = Amount::from_sat(330);

/// The smallest `shared_delay`: with 0 a settlement could confirm in the same block as an old
/// update, leaving no time to rebind the latest update over it.
pub const MIN_SHARED_DELAY: u16 = 2;

/// What both parties agreed on when the channel was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelParams {
    /// The client's keys.
    pub client: PartyKeys,
    /// The server's keys.
    pub server: PartyKeys,
    /// Funding amount; every update output carries it whole.
    pub capacity: Amount,
    /// Blocks a settlement waits after its update confirmed (BIP68 nSequence).
    pub shared_delay: u16,
    /// Outputs below this are trimmed into the anchor.
    pub dust_limit: Amount,
}

impl ChannelParams {
    /// Checks the parameters: `shared_delay` at least [`MIN_SHARED_DELAY`], dust limit at
    /// least [`DUST_LIMIT`] and below the capacity, distinct funding keys.
    pub fn check(&self) -> Result<(), EltooError> {
        if self.shared_delay < MIN_SHARED_DELAY {
            return Err(EltooError::BadParams(format!(
                "shared_delay of {} blocks is below the minimum of {MIN_SHARED_DELAY}",
                self.shared_delay
            )));
        }
        if self.dust_limit < DUST_LIMIT || self.dust_limit >= self.capacity {
            return Err(EltooError::BadParams(format!(
                "dust limit of {} sat must be at least {} sat and below the capacity",
                self.dust_limit.to_sat(),
                DUST_LIMIT.to_sat()
            )));
        }
        if self.client.funding == self.server.funding {
            return Err(EltooError::BadParams(
                "client and server funding keys are the same key".into(),
            ));
        }
        Ok(())
    }

    /// The keys of `party`.
    pub fn keys(&self, party: Party) -> &PartyKeys {
        match party {
            Party::Client => &self.client,
            Party::Server => &self.server,
        }
    }

    /// `Q = KeyAgg(KeySort(P_client, P_server))`, untweaked.
    pub fn aggregate_key(&self) -> Result<AggregateKey, EltooError> {
        Ok(AggregateKey::new(self.client.funding, self.server.funding)?)
    }

    /// `xonly(Q)`: the taproot internal key of the funding, update and PTLC outputs.
    pub fn internal_key(&self) -> Result<XOnlyPublicKey, EltooError> {
        let q = self.aggregate_key()?.xonly();
        Ok(XOnlyPublicKey::from_slice(&q).expect("aggregate key is a valid point"))
    }

    /// The funding output's tree: `tr(Q, EXPR_UPDATE(0))`.
    pub fn funding_tree(&self) -> Result<TapTree, EltooError> {
        let leaf = scripts::leaf_hash(&scripts::update_leaf(0));
        Ok(TapTree::new(self.internal_key()?, &[leaf]))
    }

    /// The funding output.
    pub fn funding_output(&self) -> Result<TxOut, EltooError> {
        Ok(TxOut {
            value: self.capacity,
            script_pubkey: self.funding_tree()?.script_pubkey(),
        })
    }

    /// The `to_node` output script of `party`: key-path-only P2TR of its settlement key (the
    /// party's wallet payout address). Settlements, cooperative closes and PTLC claims that
    /// pay `party` pay this script.
    pub fn to_node_script(&self, party: Party) -> ScriptBuf {
        scripts::key_path_script(self.keys(party).settlement)
    }
}

/// A PTLC: pays `amount` to the receiver against the discrete log of `point`, or back to the
/// offerer after block height `expiry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ptlc {
    /// Who offers (and gets it back on timeout).
    pub offerer: Party,
    /// Amount locked.
    pub amount: Amount,
    /// Payment point `T`.
    pub point: secp::Point,
    /// Absolute block height after which the offerer may take the PTLC back.
    pub expiry: u32,
}

/// One channel state: balances and pending PTLCs. Outputs + PTLCs = capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState {
    /// State number `k`.
    pub number: u32,
    /// The client's balance.
    pub client: Amount,
    /// The server's balance.
    pub server: Amount,
    /// Pending PTLCs.
    pub ptlcs: Vec<Ptlc>,
}

impl ChannelState {
    /// The balance of `party`.
    pub fn balance(&self, party: Party) -> Amount {
        match party {
            Party::Client => self.client,
            Party::Server => self.server,
        }
    }

    /// Checks the state number range and that balances and PTLCs add up to `capacity`
    /// (PROTOCOL.md §7.5), without overflow.
    pub fn check(&self, capacity: Amount) -> Result<(), EltooError> {
        // State k's update output carries EXPR_UPDATE(k+1), so k+1 must be a state number too.
        if self.number >= MAX_STATE {
            return Err(EltooError::StateNumberTooLarge(self.number));
        }
        if let Some(p) = self
            .ptlcs
            .iter()
            .find(|p| p.expiry == 0 || p.expiry >= bitcoin::absolute::LOCK_TIME_THRESHOLD)
        {
            return Err(EltooError::BadExpiry(p.expiry));
        }
        for (i, p) in self.ptlcs.iter().enumerate() {
            if self.ptlcs[..i].iter().any(|q| q.point == p.point) {
                return Err(EltooError::DuplicatePtlc(crate::protocol::hex::encode(
                    &p.point.serialize(),
                )));
            }
        }
        let total = self
            .ptlcs
            .iter()
            .try_fold(self.client.checked_add(self.server), |acc, p| {
                acc.map(|a| a.checked_add(p.amount))
            })
            .flatten()
            .ok_or(EltooError::AmountOverflow)?;
        if total != capacity {
            return Err(EltooError::Conservation { capacity, total });
        }
        Ok(())
    }

    /// The next state: number + 1, with `amount` moved from `from` to the other party.
    pub fn pay(&self, from: Party, amount: Amount) -> Result<ChannelState, EltooError> {
        let mut next = self.clone();
        next.number = self
            .number
            .checked_add(1)
            .ok_or(EltooError::StateNumberTooLarge(u32::MAX))?;
        let (payer, payee) = match from {
            Party::Client => (&mut next.client, &mut next.server),
            Party::Server => (&mut next.server, &mut next.client),
        };
        *payer = payer
            .checked_sub(amount)
            .ok_or(EltooError::InsufficientBalance {
                party: from,
                balance: *payer,
                amount,
            })?;
        *payee = payee
            .checked_add(amount)
            .ok_or(EltooError::AmountOverflow)?;
        Ok(next)
    }
}
