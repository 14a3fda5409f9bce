//! 2-of-2 MuSig2 (BIP327) sessions for channel signatures, and the payment point of a partial
//! signature (PROTOCOL.md §2).
//!
//! Built on the `musig2` crate (see `docs/adr/0001-musig2-backend.md`). This module adds what
//! the protocol needs on top of it:
//! - [`SecretNonce`] is neither `Clone` nor `Copy` and is consumed by [`SigningSession::sign`],
//!   so one secret nonce can sign at most once within a process. Persisting it (encrypted,
//!   by the store) goes through [`SecretNonce::to_storage_bytes`], and the store must mark it
//!   consumed durably before the partial signature leaves the process (PROTOCOL.md §7.3).
//! - [`SigningSession::payment_point`] computes `T_i = s_i·G` of a signer's partial signature
//!   from public data only.
//! - [`PartialSignature`] never prints its value: `s_A` is the secret A sells.

use std::fmt;

use musig2::{AggNonce, KeyAggContext, PubNonce, SecNonce};
use secp::{MaybePoint, MaybeScalar, Point, Scalar};

use super::memo::Memo;

/// What went wrong in a MuSig2 session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MusigError {
    /// The two channel keys are the same key.
    #[error("the two channel keys are equal; a 2-of-2 channel needs two distinct keys")]
    DuplicateKey,
    /// Key aggregation failed (the aggregate is the point at infinity).
    #[error("key aggregation failed: {0}")]
    KeyAgg(String),
    /// The signer's key is not one of the two aggregated keys.
    #[error("public key {0} is not part of this 2-of-2 aggregate key")]
    UnknownSigner(String),
    /// A public nonce for one of the signers is missing or given twice.
    #[error("public nonces must be given once for each of the two signers")]
    NonceSet,
    /// The secret nonce was generated for another key.
    #[error("secret nonce was generated for another public key")]
    NonceKeyMismatch,
    /// A partial signature does not verify.
    #[error("partial signature of {signer} does not verify")]
    InvalidPartialSignature {
        /// The signer, compressed public key in hex.
        signer: String,
    },
    /// The aggregated signature does not verify under the aggregate key.
    #[error("aggregated signature does not verify under the aggregate key")]
    InvalidAggregateSignature,
    /// The session is tweaked; payment points are defined for untweaked sessions only.
    #[error("payment points exist only for untweaked sessions (the eltoo update signature)")]
    TweakedSession,
    /// Bytes that should encode a nonce, key or scalar are invalid.
    #[error("invalid {what} encoding")]
    Encoding {
        /// What was being decoded.
        what: &'static str,
    },
}

/// The aggregate key `Q = KeyAgg(KeySort(P_1, P_2))` of a 2-of-2 channel.
#[derive(Debug, Clone)]
pub struct AggregateKey {
    ctx: KeyAggContext,
    tweaked: bool,
}

impl AggregateKey {
    /// Aggregates two distinct public keys (sorted first, so both sides agree on the order).
    pub fn new(p1: Point, p2: Point) -> Result<Self, MusigError> {
        if p1 == p2 {
            return Err(MusigError::DuplicateKey);
        }
        let mut keys = [p1, p2];
        keys.sort_by_key(|p| p.serialize());
        let id = [keys[0].serialize(), keys[1].serialize()];
        let ctx = KEY_AGG.try_get(id, || {
            KeyAggContext::new(keys).map_err(|e| MusigError::KeyAgg(e.to_string()))
        })?;
        Ok(Self {
            ctx,
            tweaked: false,
        })
    }

    /// The same key with a BIP341 taproot tweak for `merkle_root` (for key-path spends of
    /// an output whose internal key is this aggregate key).
    pub fn with_taproot_tweak(&self, merkle_root: &[u8; 32]) -> Result<Self, MusigError> {
        let ctx = self
            .ctx
            .clone()
            .with_taproot_tweak(merkle_root)
            .map_err(|e| MusigError::KeyAgg(e.to_string()))?;
        Ok(Self { ctx, tweaked: true })
    }

    /// The (possibly tweaked) aggregate point.
    pub fn point(&self) -> Point {
        self.ctx.aggregated_pubkey()
    }

    /// The x-only aggregate key, 32 bytes: what BIP340 signatures verify under.
    pub fn xonly(&self) -> [u8; 32] {
        self.point().serialize_xonly()
    }

    /// The two keys in aggregation order.
    pub fn keys(&self) -> [Point; 2] {
        [
            self.ctx.get_pubkey(0).expect("two keys"),
            self.ctx.get_pubkey(1).expect("two keys"),
        ]
    }

    fn coefficient(&self, signer: Point) -> Result<MaybeScalar, MusigError> {
        self.ctx
            .key_coefficient(signer)
            .ok_or_else(|| MusigError::UnknownSigner(hex(&signer.serialize())))
    }
}

/// Key aggregation of the channels in use (issue 10: every state built, nonce drawn and
/// session opened aggregated the same two keys again, two point multiplications each time).
/// Aggregation is a deterministic function of the two public keys, so a cached context is
/// the one `KeyAggContext::new` would return.
static KEY_AGG: Memo<[[u8; 33]; 2], KeyAggContext> = Memo::new();

/// A session's `(b, R, e)` ([`challenge`]) by its aggregate key `Q`, aggregate nonce and
/// message, which determine them: the sessions of one state are made again at every step
/// that looks at it, and `R` costs a multiplication.
type Challenge = (MaybeScalar, Point, MaybeScalar);
type ChallengeKey = ([u8; 33], [u8; 66], [u8; 32]);
static CHALLENGES: Memo<ChallengeKey, Challenge> = Memo::new();

/// Payment points by everything they are computed from: both keys, the aggregate nonce,
/// the message, the signer and its public nonce (public data; two multiplications each).
type PaymentPointKey = ([[u8; 33]; 2], [u8; 66], [u8; 32], [u8; 33], [u8; 66]);
static PAYMENT_POINTS: Memo<PaymentPointKey, MaybePoint> = Memo::new();

/// A signer's public nonce `R_i1 || R_i2` (66 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicNonce(PubNonce);

impl PublicNonce {
    /// The 66-byte encoding.
    pub fn to_bytes(&self) -> [u8; 66] {
        let mut out = [0u8; 66];
        out[..33].copy_from_slice(&self.0.R1.serialize());
        out[33..].copy_from_slice(&self.0.R2.serialize());
        out
    }

    /// Decodes 66 bytes (two compressed points, neither at infinity).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MusigError> {
        let err = MusigError::Encoding {
            what: "public nonce",
        };
        if bytes.len() != 66 {
            return Err(err);
        }
        let r1 = Point::from_slice(&bytes[..33]).map_err(|_| err.clone())?;
        let r2 = Point::from_slice(&bytes[33..]).map_err(|_| err)?;
        Ok(Self(PubNonce::new(r1, r2)))
    }
}

/// A secret nonce: used for at most one partial signature. Not `Clone`; consumed by signing.
pub struct SecretNonce(SecNonce);

impl fmt::Debug for SecretNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretNonce(<secret>)")
    }
}

impl SecretNonce {
    /// Generates a secret nonce for signer `seckey` under `key`, from 32 bytes of fresh
    /// randomness `rand` (the caller draws them from the OS), binding the message if known.
    pub fn generate(
        rand: [u8; 32],
        seckey: Scalar,
        key: &AggregateKey,
        message: Option<&[u8; 32]>,
    ) -> Self {
        let builder = SecNonce::build_with_seckey(rand, seckey).with_aggregated_pubkey(key.point());
        let nonce = match message {
            Some(m) => builder.with_message(m).build(),
            None => builder.build(),
        };
        Self(nonce)
    }

    /// The public nonce to send to the other signer.
    pub fn public_nonce(&self) -> PublicNonce {
        PublicNonce(self.0.public_nonce())
    }

    /// The BIP327 97-byte encoding (`k1 || k2 || pk`), only for encrypted persistence.
    /// Whoever stores it must record its consumption durably before using the restored copy.
    pub fn to_storage_bytes(&self) -> [u8; 97] {
        self.0.serialize()
    }

    /// Restores a secret nonce stored with [`SecretNonce::to_storage_bytes`].
    pub fn from_storage_bytes(bytes: &[u8; 97]) -> Result<Self, MusigError> {
        SecNonce::from_bytes(bytes)
            .map(Self)
            .map_err(|_| MusigError::Encoding {
                what: "secret nonce",
            })
    }
}

/// A partial signature `s_i`, a scalar. Its value is secret until its owner releases it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PartialSignature(MaybeScalar);

impl fmt::Debug for PartialSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PartialSignature(<secret>)")
    }
}

impl PartialSignature {
    /// The 32-byte big-endian encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.serialize()
    }

    /// Decodes 32 bytes (a scalar below the group order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, MusigError> {
        MaybeScalar::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| MusigError::Encoding {
                what: "partial signature",
            })
    }

    /// The scalar.
    pub fn scalar(&self) -> MaybeScalar {
        self.0
    }

    /// `s·G`; equals the signer's payment point when the signature is valid.
    pub fn point(&self) -> MaybePoint {
        self.0.base_point_mul()
    }
}

/// One 2-of-2 signing session: aggregate key, both public nonces and the 32-byte message.
#[derive(Debug, Clone)]
pub struct SigningSession {
    key: AggregateKey,
    nonces: [(Point, PublicNonce); 2],
    agg_nonce: AggNonce,
    message: [u8; 32],
    /// BIP327's nonce coefficient `b`, final nonce `R = R1 + b·R2` and challenge `e`,
    /// computed once (each use would otherwise multiply `R2` again).
    b: MaybeScalar,
    r: Point,
    e: MaybeScalar,
}

impl SigningSession {
    /// A session over `message` with each signer's public nonce, `(signer key, nonce)` pairs
    /// in any order.
    pub fn new(
        key: &AggregateKey,
        nonces: [(Point, PublicNonce); 2],
        message: [u8; 32],
    ) -> Result<Self, MusigError> {
        let [k1, k2] = key.keys();
        let find = |k: Point| -> Result<(Point, PublicNonce), MusigError> {
            let mut it = nonces.iter().filter(|(p, _)| *p == k);
            match (it.next(), it.next()) {
                (Some(n), None) => Ok(n.clone()),
                _ => Err(MusigError::NonceSet),
            }
        };
        let ordered = [find(k1)?, find(k2)?];
        let agg_nonce = AggNonce::sum([&ordered[0].1 .0, &ordered[1].1 .0]);
        let (b, r, e) = CHALLENGES.get(
            (
                key.point().serialize(),
                agg_nonce_bytes(&agg_nonce),
                message,
            ),
            || challenge(key, &agg_nonce, &message),
        );
        Ok(Self {
            key: key.clone(),
            nonces: ordered,
            agg_nonce,
            message,
            b,
            r,
            e,
        })
    }

    /// The message being signed.
    pub fn message(&self) -> &[u8; 32] {
        &self.message
    }

    /// The aggregate key of the session.
    pub fn key(&self) -> &AggregateKey {
        &self.key
    }

    /// The aggregate public nonce, 66 bytes (`R1 || R2`, infinity encoded as 33 zero bytes).
    pub fn aggregate_nonce_bytes(&self) -> [u8; 66] {
        agg_nonce_bytes(&self.agg_nonce)
    }

    fn nonce_of(&self, signer: Point) -> Result<&PubNonce, MusigError> {
        self.nonces
            .iter()
            .find(|(p, _)| *p == signer)
            .map(|(_, n)| &n.0)
            .ok_or_else(|| MusigError::UnknownSigner(hex(&signer.serialize())))
    }

    /// The final nonce `R = R1 + b·R2` (G if that is infinity, per BIP327).
    pub fn final_nonce(&self) -> Point {
        self.r
    }

    /// The payment point of `signer`'s partial signature, from public data only:
    /// `T_i = Re_i + e·a_i·g·P_i`, `Re_i = ±(R_i1 + b·R_i2)` negated iff `R` has odd y,
    /// `g = -1` iff `Q` has odd y (PROTOCOL.md §2). A valid partial signature `s_i` has
    /// `s_i·G == T_i`.
    pub fn payment_point(&self, signer: Point) -> Result<MaybePoint, MusigError> {
        if self.key.tweaked {
            return Err(MusigError::TweakedSession);
        }
        let a = self.key.coefficient(signer)?;
        let nonce = self.nonce_of(signer)?;
        let key = (
            self.key.keys().map(|k| k.serialize()),
            self.aggregate_nonce_bytes(),
            self.message,
            signer.serialize(),
            nonce.serialize(),
        );
        Ok(PAYMENT_POINTS.get(key, || {
            let mut re = nonce.R1 + self.b * nonce.R2;
            if self.r.has_odd_y() {
                re = -re;
            }
            let mut p = signer;
            if self.key.point().has_odd_y() {
                p = -p;
            }
            re + self.e * a * p
        }))
    }

    /// Signs with `seckey`, consuming `secnonce`. The result is verified before it is returned:
    /// `s·G` must be the signer's [`SigningSession::payment_point`] (BIP327's optional check
    /// against faults). The secret nonce must be the one the session holds for the signer
    /// ([`MusigError::NonceKeyMismatch`]).
    pub fn sign(
        &self,
        seckey: Scalar,
        secnonce: SecretNonce,
    ) -> Result<PartialSignature, MusigError> {
        let signer = seckey.base_point_mul();
        if !self.key.tweaked {
            // Computed afresh for the partial, while the check below uses the session's: a
            // fault in either shows (the crate's check computed them again too).
            let fresh = challenge(&self.key, &self.agg_nonce, &self.message);
            let own = PartialSignature(self.own_partial(signer, seckey, secnonce, fresh)?);
            self.verify_partial(signer, own)?;
            return Ok(own);
        }
        self.key.coefficient(signer)?;
        musig2::sign_partial(
            &self.key.ctx,
            seckey,
            secnonce.0,
            &self.agg_nonce,
            self.message,
        )
        .map(PartialSignature)
        .map_err(|e| match e {
            musig2::errors::SigningError::SecNoncePubkeyMismatch => MusigError::NonceKeyMismatch,
            _ => MusigError::InvalidPartialSignature {
                signer: hex(&signer.serialize()),
            },
        })
    }

    /// Signs with `seckey` (the secret key of `signer`), consuming `secnonce`, adds the
    /// other signer's partial signature `other`, and verifies the resulting BIP340 signature
    /// under the aggregate key: our partial signature and the final signature, or
    /// [`MusigError::InvalidAggregateSignature`] and nothing.
    ///
    /// For the signer that signs second. It does the work of [`SigningSession::verify_partial`]
    /// of `other`, [`SigningSession::sign`] and [`SigningSession::aggregate`] with one BIP340
    /// verification instead of two partial-signature verifications (the other's, and the
    /// crate's check of our own) and a BIP340 verification (issue 10): our partial is
    /// computed from our own secret nonce and key and does not depend on `other`; with the
    /// secret nonce checked to be the one the session holds for `signer` and `seckey` to be
    /// `signer`'s (two base-point multiplications, refused with
    /// [`MusigError::NonceKeyMismatch`]), ours is right, so the final signature verifies
    /// exactly when both halves are valid (`s·G = R + e·Q` with
    /// `s_own·G = T_own` leaves `s_other·G = T_other`). A failure does not say whose half is
    /// wrong: ask [`SigningSession::verify_partial`] of `other` then. Our partial signature is
    /// returned only with a final signature that verifies.
    ///
    /// The partial signature is BIP327's `Sign` for an untweaked key (`s = k + e·a·d`, `k`
    /// the secret nonce `k1 + b·k2` negated iff `R` has odd y, `d` the secret key negated iff
    /// `Q` has odd y), the value [`SigningSession::sign`] returns for the same nonce.
    pub fn sign_and_aggregate(
        &self,
        signer: Point,
        seckey: Scalar,
        secnonce: SecretNonce,
        other: PartialSignature,
    ) -> Result<(PartialSignature, [u8; 64]), MusigError> {
        if self.key.tweaked {
            return Err(MusigError::TweakedSession);
        }
        if seckey.base_point_mul() != signer {
            return Err(MusigError::NonceKeyMismatch);
        }
        // The final signature is verified by `aggregate`: the session's b, R, e suffice.
        let own = PartialSignature(self.own_partial(
            signer,
            seckey,
            secnonce,
            (self.b, self.r, self.e),
        )?);
        Ok((own, self.aggregate(own, other)?))
    }

    /// BIP327's `Sign` for an untweaked key, consuming `secnonce`: `s = k + e·a·d`, `k` the
    /// secret nonce `k1 + b·k2` negated iff `R` has odd y, `d` the secret key negated iff
    /// `Q` has odd y. `seckey` must be `signer`'s (the callers make sure: `signer` is
    /// `seckey·G`). Refused ([`MusigError::NonceKeyMismatch`]) unless the secret nonce is
    /// `signer`'s and the one whose public nonce this session holds for it. With
    /// `(b, R, e)` as given; not verified here.
    fn own_partial(
        &self,
        signer: Point,
        seckey: Scalar,
        secnonce: SecretNonce,
        (b, r, e): Challenge,
    ) -> Result<MaybeScalar, MusigError> {
        let a = self.key.coefficient(signer)?;
        // BIP327's 97-byte secret nonce: k1 || k2 || the signer's public key.
        let bytes = zeroize::Zeroizing::new(secnonce.0.serialize());
        if bytes[64..] != signer.serialize()[..] {
            return Err(MusigError::NonceKeyMismatch);
        }
        // Our own partial is not verified on its own, so the final signature proves the
        // other's half only if ours is right: the secret nonce must be the one this session
        // holds for us (else a peer choosing its nonce after ours could make a wrong partial
        // pass, and ours would be a second use of a stored nonce).
        if secnonce.0.public_nonce() != *self.nonce_of(signer)? {
            return Err(MusigError::NonceKeyMismatch);
        }
        let encoding = || MusigError::Encoding {
            what: "secret nonce",
        };
        let k1 = Scalar::try_from(&bytes[..32]).map_err(|_| encoding())?;
        let k2 = Scalar::try_from(&bytes[32..64]).map_err(|_| encoding())?;
        let k = (k1 + b * k2).negate_if(r.parity());
        let d = seckey.negate_if(self.key.point().parity());
        Ok(k + e * a * d)
    }

    /// Verifies the other signer's partial signature.
    pub fn verify_partial(
        &self,
        signer: Point,
        signature: PartialSignature,
    ) -> Result<(), MusigError> {
        let invalid = || MusigError::InvalidPartialSignature {
            signer: hex(&signer.serialize()),
        };
        if !self.key.tweaked {
            // BIP327's `PartialSigVerify`: `s·G` is the signer's payment point.
            return if signature.point() == self.payment_point(signer)? {
                Ok(())
            } else {
                Err(invalid())
            };
        }
        let nonce = self.nonce_of(signer)?;
        musig2::verify_partial(
            &self.key.ctx,
            signature.0,
            &self.agg_nonce,
            signer,
            nonce,
            self.message,
        )
        .map_err(|_| invalid())
    }

    /// Aggregates both partial signatures into a 64-byte BIP340 signature and verifies it.
    pub fn aggregate(
        &self,
        s1: PartialSignature,
        s2: PartialSignature,
    ) -> Result<[u8; 64], MusigError> {
        if !self.key.tweaked {
            // BIP327's `PartialSigAgg` without tweaks: `(R.x, s1 + s2)`.
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&self.r.serialize_xonly());
            signature[32..].copy_from_slice(&(s1.0 + s2.0).serialize());
            return if super::verify_bip340(self.key.point(), &signature, self.message) {
                Ok(signature)
            } else {
                Err(MusigError::InvalidAggregateSignature)
            };
        }
        let sig: musig2::CompactSignature = musig2::aggregate_partial_signatures(
            &self.key.ctx,
            &self.agg_nonce,
            [s1.0, s2.0],
            self.message,
        )
        .map_err(|_| MusigError::InvalidAggregateSignature)?;
        Ok(sig.serialize())
    }
}

/// BIP327's nonce coefficient `b`, final nonce `R = R1 + b·R2` (G if infinity) and
/// challenge `e` of a session.
fn challenge(
    key: &AggregateKey,
    agg_nonce: &AggNonce,
    message: &[u8; 32],
) -> (MaybeScalar, Point, MaybeScalar) {
    let q = key.point();
    let b: MaybeScalar = agg_nonce.nonce_coefficient(q, message);
    let r: Point = agg_nonce.final_nonce(b);
    let e = musig2::compute_challenge_hash_tweak(&r.serialize_xonly(), &q, message);
    (b, r, e)
}

/// An aggregate nonce's 66 bytes (`R1 || R2`, infinity as 33 zero bytes).
fn agg_nonce_bytes(agg_nonce: &AggNonce) -> [u8; 66] {
    let mut out = [0u8; 66];
    out[..33].copy_from_slice(&agg_nonce.R1.serialize());
    out[33..].copy_from_slice(&agg_nonce.R2.serialize());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(byte: u8) -> Scalar {
        Scalar::try_from([byte; 32]).unwrap()
    }

    /// Two signers (secret keys 7 and 9), their aggregate key, their secret nonces (the
    /// first bound to `msg`) and the session over `msg`.
    struct Pair {
        a: Scalar,
        s: Scalar,
        pa: Point,
        ps: Point,
        key: AggregateKey,
        na: SecretNonce,
        ns: SecretNonce,
        session: SigningSession,
    }

    fn pair(msg: [u8; 32]) -> Pair {
        let (a, s) = (scalar(7), scalar(9));
        let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
        let key = AggregateKey::new(pa, ps).unwrap();
        let na = SecretNonce::generate([1; 32], a, &key, Some(&msg));
        let ns = SecretNonce::generate([2; 32], s, &key, None);
        let session = SigningSession::new(
            &key,
            [(pa, na.public_nonce()), (ps, ns.public_nonce())],
            msg,
        )
        .unwrap();
        Pair {
            a,
            s,
            pa,
            ps,
            key,
            na,
            ns,
            session,
        }
    }

    #[test]
    fn two_party_session_signs_and_payment_point_matches() {
        let msg = [0x42; 32];
        let Pair {
            a,
            s,
            pa,
            key,
            na,
            ns,
            session,
            ..
        } = pair(msg);
        // The nonces are given in any order.
        let ps = s.base_point_mul();
        let reversed = SigningSession::new(
            &key,
            [(ps, ns.public_nonce()), (pa, na.public_nonce())],
            msg,
        )
        .unwrap();
        assert_eq!(
            reversed.aggregate_nonce_bytes(),
            session.aggregate_nonce_bytes()
        );
        let t_a = session.payment_point(pa).unwrap();
        assert_eq!(reversed.payment_point(pa).unwrap(), t_a);
        let sa = session.sign(a, na).unwrap();
        assert_eq!(sa.point(), t_a);
        let ss = session.sign(s, ns).unwrap();
        session.verify_partial(pa, sa).unwrap();
        let sig = session.aggregate(sa, ss).unwrap();
        musig2::verify_single(key.point(), sig, msg).unwrap();
        assert_eq!(format!("{sa:?}"), "PartialSignature(<secret>)");
    }

    /// `sign`, `verify_partial` and `aggregate` compute BIP327's `Sign`, `PartialSigVerify`
    /// and `PartialSigAgg` themselves for untweaked sessions: they must give the `musig2`
    /// crate's answers, for keys, nonces and final nonces of either parity.
    #[test]
    fn sign_verify_and_aggregate_equal_the_crates() {
        let mut odd = (0, 0);
        for i in 1..=48u8 {
            let (a, s) = (scalar(i), scalar(i.wrapping_mul(7) ^ 0xa5));
            let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
            let key = AggregateKey::new(pa, ps).unwrap();
            let msg = [i ^ 0x3c; 32];
            let na = SecretNonce::generate([i; 32], a, &key, Some(&msg));
            let ns = SecretNonce::generate([i ^ 0x55; 32], s, &key, None);
            let session = SigningSession::new(
                &key,
                [(pa, na.public_nonce()), (ps, ns.public_nonce())],
                msg,
            )
            .unwrap();
            let copy = |n: &SecretNonce| SecretNonce::from_storage_bytes(&n.to_storage_bytes());
            let crate_sign = |k: Scalar, n: &SecretNonce| -> MaybeScalar {
                musig2::sign_partial(&key.ctx, k, copy(n).unwrap().0, &session.agg_nonce, msg)
                    .unwrap()
            };
            let (ca, cs) = (crate_sign(a, &na), crate_sign(s, &ns));
            let sa = session.sign(a, na).unwrap();
            let ss = session.sign(s, ns).unwrap();
            assert_eq!((sa.scalar(), ss.scalar()), (ca, cs), "session {i}");
            let theirs: musig2::CompactSignature =
                musig2::aggregate_partial_signatures(&key.ctx, &session.agg_nonce, [ca, cs], msg)
                    .unwrap();
            assert_eq!(session.aggregate(sa, ss).unwrap(), theirs.serialize());
            assert_eq!(sa.point(), session.payment_point(pa).unwrap());
            // `verify_partial` (by the payment point) takes and refuses what the crate does.
            let wrong = PartialSignature(ss.scalar() + MaybeScalar::one());
            for (signer, partial, valid) in [(pa, sa, true), (ps, ss, true), (ps, wrong, false)] {
                let nonce = session.nonce_of(signer).unwrap();
                let theirs = musig2::verify_partial(
                    &key.ctx,
                    partial.0,
                    &session.agg_nonce,
                    signer,
                    nonce,
                    msg,
                );
                assert_eq!(theirs.is_ok(), valid);
                assert_eq!(session.verify_partial(signer, partial).is_ok(), valid);
            }
            odd.0 += usize::from(key.point().has_odd_y());
            odd.1 += usize::from(session.final_nonce().has_odd_y());
        }
        // Both parities of `Q` and of `R` were covered.
        assert!(
            (1..48).contains(&odd.0) && (1..48).contains(&odd.1),
            "{odd:?}"
        );
    }

    /// The check of our own partial uses the session's b, R, e while the partial is made
    /// with values computed afresh: a fault in the kept ones is caught, not signed with
    /// (two partials of one nonce under different challenges give the key away). The
    /// faulted payment point this leaves in the process's memo is of data no other test
    /// uses (this message); the partial is made from fresh values either way.
    #[test]
    fn sign_catches_a_fault_in_the_sessions_challenge() {
        let msg = [6; 32];
        let Pair {
            a, na, mut session, ..
        } = pair(msg);
        session.e += MaybeScalar::one();
        assert!(matches!(
            session.sign(a, na).unwrap_err(),
            MusigError::InvalidPartialSignature { .. }
        ));
    }

    #[test]
    fn sign_refuses_a_nonce_the_session_does_not_hold_and_a_wrong_sum() {
        let msg = [8; 32];
        let Pair {
            a,
            s,
            key,
            na,
            ns,
            session,
            ..
        } = pair(msg);
        let stranger = SecretNonce::generate([3; 32], a, &key, Some(&msg));
        assert_eq!(
            session.sign(a, stranger).unwrap_err(),
            MusigError::NonceKeyMismatch
        );
        assert_eq!(
            session.sign(s, na).unwrap_err(),
            MusigError::NonceKeyMismatch
        );
        let (sa, ss) = (
            session
                .sign(a, SecretNonce::generate([1; 32], a, &key, Some(&msg)))
                .unwrap(),
            session.sign(s, ns).unwrap(),
        );
        let wrong = PartialSignature(ss.scalar() + MaybeScalar::one());
        assert_eq!(
            session.aggregate(sa, wrong).unwrap_err(),
            MusigError::InvalidAggregateSignature
        );
    }

    #[test]
    fn sign_and_aggregate_equals_sign_then_aggregate() {
        let (a, s) = (scalar(7), scalar(9));
        let (pa, ps) = (a.base_point_mul(), s.base_point_mul());
        let key = AggregateKey::new(pa, ps).unwrap();
        for i in 0..16u8 {
            let msg = [i; 32];
            let na = SecretNonce::generate([i; 32], a, &key, Some(&msg));
            let ns = SecretNonce::generate([i ^ 0x55; 32], s, &key, None);
            let session = SigningSession::new(
                &key,
                [(pa, na.public_nonce()), (ps, ns.public_nonce())],
                msg,
            )
            .unwrap();
            let ns_copy = SecretNonce::from_storage_bytes(&ns.to_storage_bytes()).unwrap();
            let sa = session.sign(a, na).unwrap();
            let ss = session.sign(s, ns).unwrap();
            let (own, sig) = session.sign_and_aggregate(ps, s, ns_copy, sa).unwrap();
            assert_eq!(own, ss);
            assert_eq!(sig, session.aggregate(sa, ss).unwrap());
            musig2::verify_single(key.point(), sig, msg).unwrap();
        }
    }

    #[test]
    fn sign_and_aggregate_refuses_a_wrong_other_half_and_a_foreign_nonce() {
        let msg = [3; 32];
        let Pair {
            a,
            s,
            ps,
            key,
            na,
            ns,
            session,
            ..
        } = pair(msg);
        let copy = || SecretNonce::from_storage_bytes(&ns.to_storage_bytes()).unwrap();
        let sa = session.sign(a, na).unwrap();
        let wrong = PartialSignature(sa.scalar() + MaybeScalar::one());
        assert_eq!(
            session
                .sign_and_aggregate(ps, s, copy(), wrong)
                .unwrap_err(),
            MusigError::InvalidAggregateSignature
        );
        // A secret nonce of the right key but not the one whose public nonce is in the
        // session: refused before anything is signed (review finding: a peer choosing its
        // nonce after ours could otherwise make a wrong half pass the final check).
        let other_nonce = SecretNonce::generate([4; 32], s, &key, None);
        assert_eq!(
            session
                .sign_and_aggregate(ps, s, other_nonce, sa)
                .unwrap_err(),
            MusigError::NonceKeyMismatch
        );
        // A secret key that is not the signer's: refused too.
        assert_eq!(
            session.sign_and_aggregate(ps, a, copy(), sa).unwrap_err(),
            MusigError::NonceKeyMismatch
        );
        // The other signer's nonce (bound to its key) is refused outright.
        let foreign = SecretNonce::generate([5; 32], a, &key, None);
        assert_eq!(
            session.sign_and_aggregate(ps, s, foreign, sa).unwrap_err(),
            MusigError::NonceKeyMismatch
        );
        session.sign_and_aggregate(ps, s, copy(), sa).unwrap();
    }

    #[test]
    fn rejects_duplicate_keys_and_foreign_signers() {
        let p = scalar(3).base_point_mul();
        assert_eq!(
            AggregateKey::new(p, p).unwrap_err(),
            MusigError::DuplicateKey
        );
        let key = AggregateKey::new(p, scalar(4).base_point_mul()).unwrap();
        let n = SecretNonce::generate([5; 32], scalar(3), &key, None).public_nonce();
        assert_eq!(
            SigningSession::new(&key, [(p, n.clone()), (p, n)], [0; 32]).unwrap_err(),
            MusigError::NonceSet
        );
    }

    #[test]
    fn nonce_encodings_round_trip() {
        let key =
            AggregateKey::new(scalar(1).base_point_mul(), scalar(2).base_point_mul()).unwrap();
        let n = SecretNonce::generate([8; 32], scalar(1), &key, None);
        let pn = n.public_nonce();
        assert_eq!(PublicNonce::from_bytes(&pn.to_bytes()).unwrap(), pn);
        let restored = SecretNonce::from_storage_bytes(&n.to_storage_bytes()).unwrap();
        assert_eq!(restored.public_nonce(), pn);
        assert!(PublicNonce::from_bytes(&[0; 66]).is_err());
    }
}
