//! Property tests of the payment point, MuSig2 sessions and adaptor signatures.

mod common;

use asyncpay::crypto::adaptor::PreSignature;
use asyncpay::crypto::musig::{AggregateKey, SecretNonce, SigningSession};
use asyncpay::eltoo::{ChannelState, Party, Ptlc, PtlcClaim, PtlcPath};
use bitcoin::{Amount, OutPoint, ScriptBuf};
use proptest::prelude::*;
use secp::{Scalar, G};

fn scalar() -> impl Strategy<Value = Scalar> {
    any::<[u8; 32]>().prop_filter_map("not a valid scalar", |b| Scalar::try_from(b).ok())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `T_A` from public data equals `s_A·G`, and `s_A + s_S` is a valid BIP340 signature
    /// for the aggregate key.
    #[test]
    fn payment_point_matches_partial_signature(
        a in scalar(), s in scalar(), ra in any::<[u8; 32]>(), rs in any::<[u8; 32]>(),
        msg in any::<[u8; 32]>(),
    ) {
        prop_assume!(a != s);
        let (pa, ps) = (a * G, s * G);
        let key = AggregateKey::new(pa, ps).unwrap();
        let na = SecretNonce::generate(ra, a, &key, Some(&msg));
        let ns = SecretNonce::generate(rs, s, &key, None);
        let session = SigningSession::new(&key, [(pa, na.public_nonce()), (ps, ns.public_nonce())], msg).unwrap();
        let (t_a, t_s) = (session.payment_point(pa).unwrap(), session.payment_point(ps).unwrap());
        let s_a = session.sign(a, na).unwrap();
        let s_s = session.sign(s, ns).unwrap();
        prop_assert_eq!(s_a.point(), t_a);
        prop_assert_eq!(s_s.point(), t_s);
        session.verify_partial(pa, s_a).unwrap();
        let sig = session.aggregate(s_a, s_s).unwrap();
        prop_assert!(musig2::verify_single(key.point(), sig, msg).is_ok());
        // The final signature's s is s_A + s_S.
        let sum = s_a.scalar() + s_s.scalar();
        prop_assert_eq!(&sig[32..], &sum.serialize()[..]);
        // T_A + T_S = s·G: S, holding s_S, sees that learning s_A completes the signature.
        prop_assert_eq!(t_a + t_s, sum * G);
    }

    /// Pre-sign, verify, complete and extract, for random keys, adaptors and messages.
    #[test]
    fn adaptor_round_trip(sk in scalar(), t in scalar(), msg in any::<[u8; 32]>(), aux in any::<[u8; 32]>()) {
        let (pk, tp) = (sk * G, t * G);
        let pre = PreSignature::sign(sk, &msg, tp, aux);
        pre.verify(pk, &msg, tp).unwrap();
        prop_assert!(pre.verify(pk, &msg, sk * G).is_err() || sk == t);
        let sig = pre.complete(t, tp).unwrap();
        prop_assert!(musig2::verify_single(pk, sig, msg).is_ok());
        prop_assert_eq!(pre.extract(&sig, tp).unwrap(), t);
    }

    /// The offerer's APO adaptor pre-signature on a PTLC success claim, completed and placed
    /// in the claim's witness, yields `t` by extraction from the transaction.
    #[test]
    fn adaptor_secret_extracted_from_claim_witness(t in scalar(), seed in 1u8..200, amount in 1_000u64..1_000_000) {
        let client = common::PartySecrets::from_seed(seed);
        let server = common::PartySecrets::from_seed(seed.wrapping_add(1));
        let params = common::params(&client, &server, 2_000_000, 6);
        let ptlc = Ptlc { offerer: Party::Server, amount: Amount::from_sat(amount), point: t * G, expiry: 500 };
        let state = ChannelState { number: 3, client: Amount::from_sat(1_000_000), server: Amount::from_sat(1_000_000 - amount), ptlcs: vec![ptlc.clone()] };
        asyncpay::eltoo::StateTransactions::build(&params, &state).unwrap();
        let claim = PtlcClaim::new(&params, &ptlc, OutPoint::null(), PtlcPath::Success, ScriptBuf::new_p2a()).unwrap();
        let digest = claim.offerer_apo_sighash().unwrap();
        let pre = PreSignature::sign(server.ptlc, &digest, ptlc.point, [7; 32]);
        pre.verify(server.ptlc * G, &digest, ptlc.point).unwrap();
        let offerer_sig = pre.complete(t, ptlc.point).unwrap();
        let receiver_sig: [u8; 64] = musig2::sign_solo::<musig2::LiftedSignature>(client.ptlc, claim.sighash().unwrap(), [1; 32]).serialize();
        let tx = claim.signed_success(&offerer_sig, &receiver_sig).unwrap();
        let seen = PtlcClaim::offerer_signature_in(&tx, OutPoint::null()).unwrap();
        prop_assert_eq!(pre.extract(&seen, ptlc.point).unwrap(), t);
    }
}
