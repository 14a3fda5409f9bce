//! The channel states and the PTLC claim of an asynchronous payment (PROTOCOL.md §4–§5),
//! computed the same way by every role: A's payment state `n+1`, the B–S state offering
//! B a PTLC for `T_A`, the state folding the claimed PTLC into B's balance, S's fee, the
//! PTLC expiry window, and the digest of S's APO adaptor pre-signature for B's claim.

use bitcoin::{Amount, OutPoint, Transaction, Txid};
use secp::{Point, Scalar};

use crate::crypto::adaptor::PreSignature;
use crate::eltoo::{
    scripts, ChannelParams, ChannelState, EltooError, Party, Ptlc, PtlcClaim, PtlcPath,
    StateTransactions,
};

/// Blocks of margin a PTLC expiry leaves beyond `2·shared_delay` (PROTOCOL.md §4: a peer
/// may publish the penultimate state late).
pub const PTLC_MARGIN_BLOCKS: u32 = 6;

/// How far beyond its earliest allowed height S accepts a PTLC expiry, in blocks.
pub const PTLC_EXPIRY_SLACK_BLOCKS: u32 = 144;

/// The longest a payment may stay pending, seconds (the mailbox keeps items ≤ 30 days).
pub const MAX_PAYMENT_EXPIRY_SECS: u64 = 30 * 24 * 3600;

/// S's fee for forwarding `amount_sat`: `ceil(amount · ppm / 10⁶)` satoshis.
pub fn server_fee(amount_sat: u64, ppm: u32) -> u64 {
    let fee = (u128::from(amount_sat) * u128::from(ppm)).div_ceil(1_000_000);
    u64::try_from(fee).unwrap_or(u64::MAX)
}

/// A's payment state: `latest` with `amount + fee` moved from A (client) to S, numbered
/// `number` (the channel's next number).
pub fn payment_state(
    latest: &ChannelState,
    number: u32,
    amount: Amount,
    fee: Amount,
) -> Result<ChannelState, EltooError> {
    let total = amount.checked_add(fee).ok_or(EltooError::AmountOverflow)?;
    let mut next = latest.pay(Party::Client, total)?;
    next.number = number;
    Ok(next)
}

/// The earliest PTLC expiry height S accepts at chain height `tip`.
pub fn min_ptlc_expiry(tip: u32, shared_delay: u16) -> u32 {
    tip + 2 * u32::from(shared_delay) + PTLC_MARGIN_BLOCKS
}

/// The PTLC S offers B for a sold payment.
pub fn sale_ptlc(amount: Amount, point: Point, expiry: u32) -> Ptlc {
    Ptlc {
        offerer: Party::Server,
        amount,
        point,
        expiry,
    }
}

/// The B–S state of a sale: `latest` with `ptlc.amount` moved from S into `ptlc`,
/// numbered `number`.
pub fn sale_state(
    latest: &ChannelState,
    number: u32,
    ptlc: Ptlc,
) -> Result<ChannelState, EltooError> {
    let mut next = latest.clone();
    next.number = number;
    next.server = next
        .server
        .checked_sub(ptlc.amount)
        .ok_or(EltooError::InsufficientBalance {
            party: Party::Server,
            balance: latest.server,
            amount: ptlc.amount,
        })?;
    next.ptlcs.push(ptlc);
    Ok(next)
}

/// The B–S state after B's claim: the PTLC for `point` removed and its amount added to B.
/// `None` when `latest` has no PTLC for `point` offered by S.
pub fn claimed_state(latest: &ChannelState, number: u32, point: Point) -> Option<ChannelState> {
    let index = latest
        .ptlcs
        .iter()
        .position(|p| p.point == point && p.offerer == Party::Server)?;
    let mut next = latest.clone();
    let ptlc = next.ptlcs.remove(index);
    next.number = number;
    next.client = next.client.checked_add(ptlc.amount)?;
    Some(next)
}

/// B's on-chain success claim of `ptlc` at `outpoint` (to B's settlement key, no fee: the
/// regtest ledger needs none), whose offerer APO digest S pre-signs with adaptor point
/// `ptlc.point`. The APO digest does not commit to the outpoint: S pre-signs with any.
pub fn success_claim(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
) -> Result<PtlcClaim, EltooError> {
    PtlcClaim::new(
        params,
        ptlc,
        outpoint,
        PtlcPath::Success,
        params.to_node_script(Party::Client),
        Amount::ZERO,
    )
}

/// The digest S's adaptor pre-signature signs for B's success claim of `ptlc`.
pub fn claim_digest(params: &ChannelParams, ptlc: &Ptlc) -> Result<[u8; 32], EltooError> {
    success_claim(params, ptlc, OutPoint::null())?.offerer_apo_sighash()
}

/// The PTLC for `point` in the settlement `settlement` of `state`, and its outpoint
/// (`None`: no such PTLC, or it was trimmed as dust).
pub fn ptlc_outpoint(
    params: &ChannelParams,
    state: &ChannelState,
    settlement: Txid,
    point: Point,
) -> Result<Option<(OutPoint, Ptlc)>, EltooError> {
    let Some(index) = state.ptlcs.iter().position(|p| p.point == point) else {
        return Ok(None);
    };
    let txs = StateTransactions::build(params, state)?;
    Ok(txs.ptlc_vouts[index]
        .map(|vout| (OutPoint::new(settlement, vout), state.ptlcs[index].clone())))
}

/// The outputs of `settlement`, the settlement of whichever state, that pay exactly `ptlc`
/// (its output script and amount): what B claims and S watches when a state other than the
/// latest settled. Settlements sign all outputs (ALL|APOAS), so they are fixed per state.
pub fn ptlc_outputs(
    params: &ChannelParams,
    ptlc: &Ptlc,
    settlement: &Transaction,
) -> Result<Vec<OutPoint>, EltooError> {
    let script = crate::eltoo::ptlc_tree(params, ptlc)?.script_pubkey();
    let txid = settlement.compute_txid();
    Ok(settlement
        .output
        .iter()
        .enumerate()
        .filter(|(_, o)| o.script_pubkey == script && o.value == ptlc.amount)
        .filter_map(|(i, _)| u32::try_from(i).ok().map(|vout| OutPoint::new(txid, vout)))
        .collect())
}

/// How the PTLC output `outpoint` was spent by `tx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtlcSpend {
    /// By the success path: the offerer's (completed adaptor) signature in that input.
    Success([u8; 64]),
    /// By the timeout path.
    Timeout,
    /// `tx` does not spend it by one of its two leaves.
    Unknown,
}

/// Which path of `ptlc` the input of `tx` spending `outpoint` took (any input position).
pub fn ptlc_spend(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
    tx: &Transaction,
) -> PtlcSpend {
    let Some(input) = tx.input.iter().find(|i| i.previous_output == outpoint) else {
        return PtlcSpend::Unknown;
    };
    let w = &input.witness;
    let n = w.len();
    let Some(leaf) = n.checked_sub(2).and_then(|i| w.nth(i)) else {
        return PtlcSpend::Unknown;
    };
    let offerer = &params.keys(ptlc.offerer).ptlc;
    let receiver = &params.keys(ptlc.offerer.other()).ptlc;
    if n == 4 && leaf == scripts::ptlc_success_leaf(offerer, receiver).as_bytes() {
        return w
            .nth(1)
            .and_then(|sig| sig.get(..64))
            .and_then(|sig| sig.try_into().ok())
            .map_or(PtlcSpend::Unknown, PtlcSpend::Success);
    }
    if n == 3 && leaf == scripts::ptlc_timeout_leaf(offerer, ptlc.expiry).as_bytes() {
        return PtlcSpend::Timeout;
    }
    PtlcSpend::Unknown
}

/// B's signed success claim: S's pre-signature completed with `t`, and B's signature with
/// its PTLC key `receiver` (`aux`: fresh randomness).
pub fn signed_success_claim(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
    pre: &PreSignature,
    t: Scalar,
    receiver: Scalar,
    aux: [u8; 32],
) -> Result<Transaction, String> {
    let claim = success_claim(params, ptlc, outpoint).map_err(|e| e.to_string())?;
    let offerer = pre.complete(t, ptlc.point).map_err(|e| e.to_string())?;
    let digest = claim.sighash().map_err(|e| e.to_string())?;
    let ours: musig2::LiftedSignature = musig2::sign_solo(receiver, digest, aux);
    claim
        .signed_success(&offerer, &ours.serialize())
        .map_err(|e| e.to_string())
}

/// S's signed timeout claim of `ptlc` at `outpoint` back to S's settlement key, valid from
/// the PTLC's expiry height.
pub fn signed_timeout_claim(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
    offerer: Scalar,
    aux: [u8; 32],
) -> Result<Transaction, EltooError> {
    let claim = PtlcClaim::new(
        params,
        ptlc,
        outpoint,
        PtlcPath::Timeout,
        params.to_node_script(Party::Server),
        Amount::ZERO,
    )?;
    let sig: musig2::LiftedSignature = musig2::sign_solo(offerer, claim.sighash()?, aux);
    claim.signed_timeout(&sig.serialize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_up() {
        assert_eq!(server_fee(0, 1000), 0);
        assert_eq!(server_fee(1, 1000), 1);
        assert_eq!(server_fee(10_000, 1000), 10);
        assert_eq!(server_fee(10_001, 1000), 11);
        assert_eq!(server_fee(u64::MAX, u32::MAX), u64::MAX);
    }
}
