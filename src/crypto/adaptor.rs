//! Single-signer BIP340 adaptor signatures (PROTOCOL.md §2, §4).
//!
//! A pre-signature for adaptor point `T` uses nonce `R' = R + T`. It verifies against `T`
//! without revealing `t`; adding `t` (negated when `R'` has odd y) completes it into a valid
//! BIP340 signature, and anyone holding the pre-signature and the completed signature
//! extracts `t`. In asyncpay, S gives B such a pre-signature over B's PTLC claim transaction
//! (an APO digest, so it survives rebinding); B completes it with `t`, and publishing the
//! claim reveals `t` to S.

use musig2::{AdaptorSignature, LiftedSignature};
use secp::{MaybePoint, MaybeScalar, Point, Scalar, G};

/// What went wrong with an adaptor signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdaptorError {
    /// The pre-signature does not verify for this key, message and adaptor point.
    #[error("adaptor pre-signature does not verify for this key, message and adaptor point")]
    InvalidPreSignature,
    /// The scalar does not match the adaptor point (`t·G != T`).
    #[error("scalar does not match the adaptor point")]
    WrongScalar,
    /// The completed signature is not related to this pre-signature.
    #[error("signature was not completed from this pre-signature")]
    Unrelated,
    /// Bytes that should encode a pre-signature or signature are invalid.
    #[error("invalid {what} encoding")]
    Encoding {
        /// What was being decoded.
        what: &'static str,
    },
}

/// An adaptor pre-signature `(R, s')`: 33-byte compressed `R` then 32-byte `s'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreSignature(AdaptorSignature);

impl PreSignature {
    /// Pre-signs the 32-byte `message` with `seckey` for adaptor point `adaptor`; `aux` is
    /// fresh randomness, as BIP340's auxiliary random data.
    pub fn sign(seckey: Scalar, message: &[u8; 32], adaptor: Point, aux: [u8; 32]) -> Self {
        Self(musig2::adaptor::sign_solo(seckey, message, aux, adaptor))
    }

    /// Verifies the pre-signature for x-only key `pubkey`, `message` and adaptor point `adaptor`.
    pub fn verify(
        &self,
        pubkey: Point,
        message: &[u8; 32],
        adaptor: Point,
    ) -> Result<(), AdaptorError> {
        let (r, _): (MaybePoint, MaybeScalar) = self.0.unzip();
        if r.is_infinity() {
            return Err(AdaptorError::InvalidPreSignature);
        }
        musig2::adaptor::verify_single(pubkey, &self.0, message, adaptor)
            .map_err(|_| AdaptorError::InvalidPreSignature)
    }

    /// Completes the pre-signature with the adaptor secret `t` into a 64-byte BIP340
    /// signature. Checks `t` against `adaptor` first.
    pub fn complete(&self, t: Scalar, adaptor: Point) -> Result<[u8; 64], AdaptorError> {
        if t * G != adaptor {
            return Err(AdaptorError::WrongScalar);
        }
        let sig: LiftedSignature = self.0.adapt(t).ok_or(AdaptorError::WrongScalar)?;
        Ok(sig.serialize())
    }

    /// Extracts the adaptor secret from a signature completed from this pre-signature, e.g.
    /// one seen in a transaction witness. Checks the result against `adaptor`.
    pub fn extract(&self, signature: &[u8; 64], adaptor: Point) -> Result<Scalar, AdaptorError> {
        let sig = LiftedSignature::from_bytes(signature)
            .map_err(|_| AdaptorError::Encoding { what: "signature" })?;
        let t: MaybeScalar = self.0.reveal_secret(&sig).ok_or(AdaptorError::Unrelated)?;
        let t = t.not_zero().map_err(|_| AdaptorError::Unrelated)?;
        if t * G == adaptor {
            Ok(t)
        } else if -t * G == adaptor {
            Ok(-t)
        } else {
            Err(AdaptorError::Unrelated)
        }
    }

    /// The 65-byte encoding.
    pub fn to_bytes(&self) -> [u8; 65] {
        let (r, s): ([u8; 33], [u8; 32]) = self.0.unzip();
        let mut out = [0u8; 65];
        out[..33].copy_from_slice(&r);
        out[33..].copy_from_slice(&s);
        out
    }

    /// Decodes 65 bytes (`R` must be a valid point).
    pub fn from_bytes(bytes: &[u8; 65]) -> Result<Self, AdaptorError> {
        let err = AdaptorError::Encoding {
            what: "adaptor pre-signature",
        };
        let r = Point::from_slice(&bytes[..33]).map_err(|_| err.clone())?;
        let s = MaybeScalar::try_from(&bytes[33..]).map_err(|_| err)?;
        Ok(Self(AdaptorSignature::new(r, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_verify_complete_extract() {
        let sk = Scalar::try_from([3u8; 32]).unwrap();
        let t = Scalar::try_from([5u8; 32]).unwrap();
        let (pk, tp) = (sk * G, t * G);
        let msg = [9u8; 32];
        let pre = PreSignature::sign(sk, &msg, tp, [0; 32]);
        pre.verify(pk, &msg, tp).unwrap();
        assert_eq!(
            pre.verify(pk, &msg, sk * G),
            Err(AdaptorError::InvalidPreSignature)
        );
        let sig = pre.complete(t, tp).unwrap();
        musig2::verify_single(pk, sig, msg).unwrap();
        assert_eq!(pre.extract(&sig, tp).unwrap(), t);
        assert_eq!(pre.complete(sk, tp), Err(AdaptorError::WrongScalar));
        let back = PreSignature::from_bytes(&pre.to_bytes()).unwrap();
        assert_eq!(back, pre);
    }
}
