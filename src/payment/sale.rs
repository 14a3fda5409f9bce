//! The channel states and the PTLC claim of an asynchronous payment (PROTOCOL.md §4–§5),
//! computed the same way by every role: A's payment state `n+1`, the B–S state offering
//! B a PTLC for `T_A`, the state folding the claimed PTLC into B's balance, S's fee, the
//! PTLC expiry window, and the digest of S's APO adaptor pre-signature for B's claim.

use bitcoin::{Amount, OutPoint, Transaction};
use secp::{Point, Scalar};

use crate::crypto::adaptor::PreSignature;
use crate::eltoo::{
    scripts, ChannelParams, ChannelState, ClaimShape, EltooError, Party, Ptlc, PtlcClaim, PtlcPath,
};

/// Blocks of margin a PTLC expiry leaves the payee beyond what it needs to take the PTLC on
/// chain (`shared_delay(B–S) + 3·C − 1`, PROTOCOL.md §4.1): time to try the off-chain claim
/// first, or to come online.
pub const PTLC_MARGIN_BLOCKS: u32 = 6;

/// The timing of one sale (PROTOCOL.md §4.1): the A–S and B–S settlement delays and the
/// confirmation budget `C` (a time-critical transaction broadcast at tip `x` confirms in a
/// block `≤ x + C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtlcTiming {
    /// `shared_delay` of the payer's channel A–S.
    pub payer_delay: u16,
    /// `shared_delay` of the payee's channel B–S.
    pub payee_delay: u16,
    /// S's confirmation budget `C`, blocks (at least 1).
    pub budget: u16,
}

/// Why S cannot offer a PTLC with a given expiry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    /// No expiry is safe for S and enforceable by the payee.
    #[error(
        "the payer's channel settles {payer_delay} blocks after a force close, too soon for a \
         PTLC on a channel with a {payee_delay}-block delay: S needs \
         delay(A–S) >= delay(B–S) + 5·{budget} + {margin} - 2 = {needed} blocks"
    )]
    Infeasible {
        /// A–S delay.
        payer_delay: u16,
        /// B–S delay.
        payee_delay: u16,
        /// Confirmation budget.
        budget: u16,
        /// [`PTLC_MARGIN_BLOCKS`].
        margin: u32,
        /// The smallest A–S delay that works.
        needed: u32,
    },
    /// The expiry is outside S's window.
    #[error(
        "the PTLC must expire between heights {earliest} and {latest} at height {tip} \
         (asked {asked}): S chooses the expiry (offered: {offered})"
    )]
    OutOfWindow {
        /// The asked expiry.
        asked: u32,
        /// S's tip.
        tip: u32,
        /// Earliest accepted.
        earliest: u32,
        /// Latest accepted.
        latest: u32,
        /// What S offers at this tip.
        offered: u32,
    },
}

impl PtlcTiming {
    fn c(&self) -> u32 {
        u32::from(self.budget.max(1))
    }

    /// `E_min = tip + delay(B–S) + 3·C − 1 + margin`: the payee, starting at the sale, gets
    /// its update, settlement and claim confirmed by block `E` (S's timeout claim can be in
    /// block `E+1`), with [`PTLC_MARGIN_BLOCKS`] to spare.
    pub fn earliest_expiry(&self, tip: u32) -> u32 {
        tip + u32::from(self.payee_delay) + 3 * self.c() - 1 + PTLC_MARGIN_BLOCKS
    }

    /// `E_max = tip + delay(A–S) − 2·C + 1`: the last success claim confirms by block
    /// `E + C − 1`, S's state `n+1` completed from it by `E + 2·C − 1`, before the payer's
    /// settlement of state `n` can confirm (block `tip + 1 + delay(A–S)` at the earliest).
    /// `None` when no height works.
    pub fn latest_expiry(&self, tip: u32) -> Option<u32> {
        (tip + u32::from(self.payer_delay) + 1).checked_sub(2 * self.c())
    }

    /// The smallest A–S delay for which the window is not empty:
    /// `delay(B–S) + 5·C + margin − 2`.
    pub fn min_payer_delay(&self) -> u32 {
        u32::from(self.payee_delay) + 5 * self.c() + PTLC_MARGIN_BLOCKS - 2
    }

    /// The expiry S offers at `tip` (and the payee proposes): `E_min`, the shortest lock of
    /// S's liquidity that still leaves the payee its margin.
    pub fn offered_expiry(&self, tip: u32) -> u32 {
        offered_ptlc_expiry(tip, self.payee_delay, self.budget)
    }

    /// The heights S accepts at `tip`: `E_min ..= E_max`.
    pub fn window(&self, tip: u32) -> Result<(u32, u32), TimingError> {
        let earliest = self.earliest_expiry(tip);
        match self.latest_expiry(tip) {
            Some(latest) if latest >= earliest => Ok((earliest, latest)),
            _ => Err(TimingError::Infeasible {
                payer_delay: self.payer_delay,
                payee_delay: self.payee_delay,
                budget: self.budget,
                margin: PTLC_MARGIN_BLOCKS,
                needed: self.min_payer_delay(),
            }),
        }
    }

    /// Checks a proposed expiry `asked` at S's `tip`.
    pub fn check(&self, tip: u32, asked: u32) -> Result<(), TimingError> {
        let (earliest, latest) = self.window(tip)?;
        if (earliest..=latest).contains(&asked) {
            Ok(())
        } else {
            Err(TimingError::OutOfWindow {
                asked,
                tip,
                earliest,
                latest,
                offered: self.offered_expiry(tip),
            })
        }
    }
}

/// The PTLC expiry S offers at `tip` on a B–S channel with delay `payee_delay`, under
/// confirmation budget `budget`: `E_min = tip + delay(B–S) + 3·C − 1 + margin`. The payee
/// computes the same from S's published budget (`GET /v1/info`); S accepts nothing below.
pub fn offered_ptlc_expiry(tip: u32, payee_delay: u16, budget: u16) -> u32 {
    let c = u32::from(budget.max(1));
    tip + u32::from(payee_delay) + 3 * c - 1 + PTLC_MARGIN_BLOCKS
}

/// Blocks before a sold PTLC's expiry at which S force-closes the B–S channel if the payee
/// has not claimed: its latest settlement then confirms by the expiry (`delay + 2·C − 1`),
/// and never later than the old rule (`delay + margin`).
pub fn server_close_margin(payee_delay: u16, budget: u16) -> u32 {
    let c = u32::from(budget.max(1));
    u32::from(payee_delay) + (2 * c - 1).max(PTLC_MARGIN_BLOCKS)
}

/// Blocks of slack the payee keeps beyond what it needs to enforce a PTLC on chain
/// ([`payee_close_margin`]): the rest of [`PTLC_MARGIN_BLOCKS`] is its off-chain window.
pub const PAYEE_SLACK_BLOCKS: u32 = 2;

/// The blocks a payee needs, from the tip at which it starts, to have its B–S update, the
/// settlement and its PTLC claim confirmed under confirmation budget `budget`:
/// `delay(B–S) + 3·C − 1` (PROTOCOL.md §4.1, 4.). Starting at tip `b` is safe iff
/// `b + payee_enforce_blocks ≤ E` (S's timeout claim may be in block `E + 1`).
pub fn payee_enforce_blocks(payee_delay: u16, budget: u16) -> u32 {
    let c = u32::from(budget.max(1));
    u32::from(payee_delay) + 3 * c - 1
}

/// Blocks before a sold PTLC's expiry at which the payee stops trying the off-chain claim
/// (which reveals `t`) and force-closes the B–S channel to claim on chain:
/// `delay(B–S) + 3·C − 1 +` [`PAYEE_SLACK_BLOCKS`]. The payee reveals `t` off-chain only
/// while `tip + payee_close_margin < E`.
pub fn payee_close_margin(payee_delay: u16, budget: u16) -> u32 {
    payee_enforce_blocks(payee_delay, budget) + PAYEE_SLACK_BLOCKS
}

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

/// Whether `ptlc` is the one S sold for a payment of `amount` with payment point `point`.
/// The amount counts as much as the point: a payer that reuses its partial signature (or
/// an S that is its own payer) can give two payments one point, and a PTLC sold for one
/// must never pay the other.
pub fn sold_ptlc(ptlc: &Ptlc, point: Point, amount: Amount) -> bool {
    ptlc.point == point && ptlc.amount == amount && ptlc.offerer == Party::Server
}

/// The B–S state after B's claim: the PTLC sold for `point` and `amount` removed and its
/// amount added to B. `None` when `latest` has no such PTLC ([`sold_ptlc`]).
pub fn claimed_state(
    latest: &ChannelState,
    number: u32,
    point: Point,
    amount: Amount,
) -> Option<ChannelState> {
    let index = latest
        .ptlcs
        .iter()
        .position(|p| sold_ptlc(p, point, amount))?;
    let mut next = latest.clone();
    let ptlc = next.ptlcs.remove(index);
    next.number = number;
    next.client = next.client.checked_add(ptlc.amount)?;
    Some(next)
}

/// B's on-chain success claim of `ptlc` at `outpoint`: the whole amount to B's settlement
/// key and, when anchored, the pay-to-anchor output B's fee child spends (the claim pays no
/// fee itself). S pre-signs its offerer APO digest with adaptor point `ptlc.point`; that
/// digest does not commit to the outpoint: S pre-signs with any.
pub fn success_claim(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
    shape: ClaimShape,
) -> Result<PtlcClaim, EltooError> {
    PtlcClaim::with_shape(
        params,
        ptlc,
        outpoint,
        PtlcPath::Success,
        params.to_node_script(Party::Client),
        shape,
    )
}

/// The digest S's adaptor pre-signature signs for B's (anchored) success claim of `ptlc`.
pub fn claim_digest(params: &ChannelParams, ptlc: &Ptlc) -> Result<[u8; 32], EltooError> {
    shape_digest(params, ptlc, ClaimShape::Anchored)
}

fn shape_digest(
    params: &ChannelParams,
    ptlc: &Ptlc,
    shape: ClaimShape,
) -> Result<[u8; 32], EltooError> {
    success_claim(params, ptlc, OutPoint::null(), shape)?.offerer_apo_sighash()
}

/// The shape of the success claim S's pre-signature `pre` signs: anchored, or the legacy
/// shape of a sale made by an earlier version. `None` when it signs neither (or S's PTLC
/// key is not a point).
pub fn presigned_shape(
    params: &ChannelParams,
    ptlc: &Ptlc,
    pre: &PreSignature,
) -> Option<ClaimShape> {
    let key = Point::lift_x(params.keys(ptlc.offerer).ptlc.serialize()).ok()?;
    [ClaimShape::Anchored, ClaimShape::Legacy]
        .into_iter()
        .find(|&shape| {
            shape_digest(params, ptlc, shape)
                .is_ok_and(|digest| pre.verify(key, &digest, ptlc.point).is_ok())
        })
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

/// B's signed success claim, of the shape S pre-signed: S's pre-signature completed with
/// `t`, and B's signature with its PTLC key `receiver` (`aux`: fresh randomness).
pub fn signed_success_claim(
    params: &ChannelParams,
    ptlc: &Ptlc,
    outpoint: OutPoint,
    pre: &PreSignature,
    t: Scalar,
    receiver: Scalar,
    aux: [u8; 32],
) -> Result<Transaction, String> {
    let shape = presigned_shape(params, ptlc, pre)
        .ok_or("S's pre-signature signs no success claim of this PTLC")?;
    let claim = success_claim(params, ptlc, outpoint, shape).map_err(|e| e.to_string())?;
    let offerer = pre.complete(t, ptlc.point).map_err(|e| e.to_string())?;
    let digest = claim.sighash().map_err(|e| e.to_string())?;
    let ours: musig2::LiftedSignature = musig2::sign_solo(receiver, digest, aux);
    claim
        .signed_success(&offerer, &ours.serialize())
        .map_err(|e| e.to_string())
}

/// S's signed timeout claim of `ptlc` at `outpoint` back to S's settlement key, valid from
/// the PTLC's expiry height: anchored, its fee paid by a child.
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
    )?;
    let sig: musig2::LiftedSignature = musig2::sign_solo(offerer, claim.sighash()?, aux);
    claim.signed_timeout(&sig.serialize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The timing errors read as one sentence each (no runs of spaces from a wrapped line).
    #[test]
    fn timing_errors_read_as_sentences() {
        let infeasible = TimingError::Infeasible {
            payer_delay: 10,
            payee_delay: 20,
            budget: 6,
            margin: 3,
            needed: 51,
        };
        let out_of_window = TimingError::OutOfWindow {
            asked: 900,
            tip: 100,
            earliest: 150,
            latest: 200,
            offered: 180,
        };
        assert_eq!(
            infeasible.to_string(),
            "the payer's channel settles 10 blocks after a force close, too soon for a PTLC on \
             a channel with a 20-block delay: S needs delay(A–S) >= delay(B–S) + 5·6 + 3 - 2 = \
             51 blocks"
        );
        assert_eq!(
            out_of_window.to_string(),
            "the PTLC must expire between heights 150 and 200 at height 100 (asked 900): S \
             chooses the expiry (offered: 180)"
        );
    }

    #[test]
    fn fee_rounds_up() {
        assert_eq!(server_fee(0, 1000), 0);
        assert_eq!(server_fee(1, 1000), 1);
        assert_eq!(server_fee(10_000, 1000), 10);
        assert_eq!(server_fee(10_001, 1000), 11);
        assert_eq!(server_fee(u64::MAX, u32::MAX), u64::MAX);
    }

    #[test]
    fn the_window_is_the_derived_inequality_to_the_block() {
        let t = PtlcTiming {
            payer_delay: 20,
            payee_delay: 6,
            budget: 1,
        };
        // E_min = 100 + 6 + 3 - 1 + 6 = 114; E_max = 100 + 20 + 1 - 2 = 119.
        assert_eq!(t.window(100), Ok((114, 119)));
        assert!(t.check(100, 114).is_ok() && t.check(100, 119).is_ok());
        assert!(t.check(100, 113).is_err() && t.check(100, 120).is_err());
        assert_eq!(t.offered_expiry(100), 114);
        assert_eq!(t.min_payer_delay(), 15);
        // At the bound the window is one height; one block short it is empty.
        let at = PtlcTiming {
            payer_delay: 15,
            ..t
        };
        assert_eq!(at.window(100), Ok((114, 114)));
        let short = PtlcTiming {
            payer_delay: 14,
            ..t
        };
        assert!(matches!(
            short.window(100),
            Err(TimingError::Infeasible { needed: 15, .. })
        ));
        // Equal delays (the old default) never work.
        let equal = PtlcTiming {
            payer_delay: 144,
            payee_delay: 144,
            budget: 6,
        };
        assert!(equal.window(800_000).is_err());
        // Budget 6: A–S needs B–S + 34.
        let main = PtlcTiming {
            payer_delay: 144,
            payee_delay: 110,
            budget: 6,
        };
        assert!(main.window(800_000).is_ok());
        assert!(PtlcTiming {
            payee_delay: 111,
            ..main
        }
        .window(800_000)
        .is_err());
        assert_eq!(server_close_margin(6, 1), 12);
        assert_eq!(server_close_margin(6, 6), 17);
    }

    #[test]
    fn the_payee_goes_on_chain_in_time_to_the_block() {
        for (delay, budget) in [(6u16, 1u16), (6, 4), (24, 6), (110, 6), (6, 0)] {
            let tip = 800_000;
            let e = offered_ptlc_expiry(tip, delay, budget);
            let c = u32::from(budget.max(1));
            let margin = payee_close_margin(delay, budget);
            // At the sale the payee has an off-chain window, smaller than S's margin.
            assert!(tip + margin < e);
            assert_eq!(e - (tip + margin), PTLC_MARGIN_BLOCKS - PAYEE_SLACK_BLOCKS);
            // The last tip at which B may still reveal `t` off-chain, and the first at
            // which it force-closes instead.
            let last_off_chain = e - margin - 1;
            assert!(last_off_chain + margin < e);
            assert!(last_off_chain + 1 + margin >= e);
            // Starting the close then, update + settlement + claim confirm by `E`:
            // `b + D_B + 3C − 1 ≤ E` (§4.1, 4.), with the slack to spare.
            let b = e - margin;
            assert_eq!(b + u32::from(delay) + 3 * c - 1 + PAYEE_SLACK_BLOCKS, e);
            // The last tip from which enforcing on chain still works, and the first from
            // which it does not (B then reveals nothing).
            let last = e - payee_enforce_blocks(delay, budget);
            assert_eq!(last + u32::from(delay) + 3 * c - 1, e);
            assert!(last + 1 + payee_enforce_blocks(delay, budget) > e);
        }
        // The budget counts three times: C = 6 on a 24-block channel needs 41 + 2 blocks,
        // not the old `delay + 6` = 30.
        assert_eq!(payee_close_margin(24, 6), 43);
        assert_eq!(payee_close_margin(6, 1), 10);
        assert_eq!(payee_close_margin(6, 0), 10);
    }
}
