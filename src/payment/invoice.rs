//! [`PaymentId`] and the [`Invoice`] B sends S to sell `s_A` (PROTOCOL.md §5 step 3).
//!
//! # Signature
//!
//! The payee signs with its node key a BIP340 signature (verified under the x-only key of
//! `payee`) over the 32-byte digest
//!
//! ```text
//! TaggedHash("asyncpay/invoice/v1", canonical)
//!   = SHA256(SHA256(tag) || SHA256(tag) || canonical)
//! ```
//!
//! where `canonical` is exactly these 114 bytes:
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 32   | payment id |
//! | 32     | 8    | amount in satoshis, unsigned big-endian |
//! | 40     | 33   | payment point `T_A`, compressed |
//! | 73     | 8    | expiry, unix seconds, unsigned big-endian |
//! | 81     | 33   | payee node id, compressed |
//!
//! # JSON
//!
//! `{"version":1,"type":"invoice","body":{"payment_id":"<64 hex>","amount_sat":N,
//! "payment_point":"<66 hex>","expiry":UNIX,"payee":"<66 hex>","signature":"<128 hex>"}}`,
//! at most [`MAX_INVOICE_SIZE`] bytes ([`Invoice::encode`], [`Invoice::decode`]). The serde
//! implementations of [`Invoice`] read and write the body alone and check only its encoding;
//! [`Invoice::decode`] also verifies the signature.

use std::fmt;
use std::str::FromStr;

use bitcoin::secp256k1::{schnorr, Keypair, Message};
use bitcoin::Amount;
use secp::Point;
use serde::{Deserialize, Serialize};

use super::{decode_envelope, hex, tagged_hash, EnvelopeError, PAYMENT_FORMAT_VERSION};
use crate::keys::NodeId;

/// The BIP340 tag of the invoice digest.
pub const INVOICE_TAG: &str = "asyncpay/invoice/v1";

/// The largest encoded invoice [`Invoice::decode`] accepts, in bytes.
pub const MAX_INVOICE_SIZE: usize = 4 * 1024;

use crate::crypto::secp;

/// What is wrong with an invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// The encoding is larger than [`MAX_INVOICE_SIZE`].
    #[error("invoice is {size} bytes, more than the limit of {MAX_INVOICE_SIZE} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
    },
    /// The invoice has a format version this build does not read.
    #[error(
        "invoice version {0} is not supported (this build reads version \
         {PAYMENT_FORMAT_VERSION}); upgrade the program that wrote it or this one"
    )]
    UnsupportedVersion(u64),
    /// The input is not an invoice.
    #[error("malformed invoice: {0}")]
    Malformed(String),
    /// A field is well-formed but invalid.
    #[error("invalid invoice {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The signature is not the payee's over these fields.
    #[error(
        "invoice signature does not verify under payee {payee}: the invoice was altered or \
         not signed by the payee's node key; refuse it"
    )]
    BadSignature {
        /// The payee the invoice names (hex node id).
        payee: String,
    },
    /// The secret key given to [`Invoice::sign`] is not the payee's node key.
    #[error(
        "the signing key belongs to node {signer}, not to the invoice's payee {payee}; \
         sign with the payee's node key"
    )]
    WrongSigner {
        /// The key's node id (hex).
        signer: String,
        /// The payee named in the fields (hex node id).
        payee: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvoiceError {
    InvoiceError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// The 32-byte identifier of a payment, chosen at random by the payer.
/// Displayed and serialized as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentId(pub [u8; 32]);

impl PaymentId {
    /// A fresh payment id from the OS random source.
    pub fn random() -> Result<PaymentId, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(PaymentId(bytes))
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentId({self})")
    }
}

impl FromStr for PaymentId {
    type Err = InvoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::decode(s)
            .map(PaymentId)
            .map_err(|reason| invalid("payment id", reason))
    }
}

impl Serialize for PaymentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PaymentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Checks an amount: positive and at most 21 million bitcoin.
pub(crate) fn check_amount(field: &'static str, sat: u64) -> Result<Amount, InvoiceError> {
    let amount = Amount::from_sat(sat);
    if sat == 0 {
        return Err(invalid(field, "it must be positive"));
    }
    if amount > Amount::MAX_MONEY {
        return Err(invalid(
            field,
            format!("{sat} sat is more than 21 million bitcoin"),
        ));
    }
    Ok(amount)
}

/// What an invoice states, before it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceFields {
    /// The payment being sold.
    pub payment_id: PaymentId,
    /// The amount B receives (without S's fee), in satoshis.
    pub amount_sat: u64,
    /// `T_A`: the point of A's partial signature, which the PTLC S offers B locks to.
    pub payment_point: Point,
    /// Unix time (seconds) after which B no longer offers the sale.
    pub expiry: u64,
    /// B's node id; the invoice is signed by its key.
    pub payee: NodeId,
}

impl InvoiceFields {
    /// The 114 canonical bytes (see the module documentation).
    pub fn canonical_bytes(&self) -> [u8; 114] {
        let mut out = [0u8; 114];
        out[..32].copy_from_slice(&self.payment_id.0);
        out[32..40].copy_from_slice(&self.amount_sat.to_be_bytes());
        out[40..73].copy_from_slice(&self.payment_point.serialize());
        out[73..81].copy_from_slice(&self.expiry.to_be_bytes());
        out[81..].copy_from_slice(&self.payee.0.serialize());
        out
    }

    /// The digest the payee signs: `TaggedHash("asyncpay/invoice/v1", canonical_bytes)`.
    pub fn digest(&self) -> [u8; 32] {
        tagged_hash(INVOICE_TAG, &self.canonical_bytes())
    }
}

/// An invoice signed by the payee's node key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    fields: InvoiceFields,
    signature: schnorr::Signature,
}

impl Invoice {
    /// Signs `fields` with `node_key` (must be the payee's node key), with 32 bytes of
    /// auxiliary randomness `aux` (BIP340; signing stays secure without fresh randomness).
    pub fn sign(
        fields: InvoiceFields,
        node_key: &Keypair,
        aux: [u8; 32],
    ) -> Result<Invoice, InvoiceError> {
        check_amount("amount", fields.amount_sat)?;
        let signer = NodeId(node_key.public_key());
        if signer != fields.payee {
            return Err(InvoiceError::WrongSigner {
                signer: signer.to_string(),
                payee: fields.payee.to_string(),
            });
        }
        let msg = Message::from_digest(fields.digest());
        let signature = secp().sign_schnorr_with_aux_rand(&msg, node_key, &aux);
        Ok(Invoice { fields, signature })
    }

    /// An invoice from its fields and a signature, unchecked: call [`Invoice::verify`].
    pub fn from_parts(fields: InvoiceFields, signature: [u8; 64]) -> Result<Invoice, InvoiceError> {
        let signature = schnorr::Signature::from_slice(&signature)
            .map_err(|_| invalid("signature", "not a 64-byte BIP340 signature"))?;
        Ok(Invoice { fields, signature })
    }

    /// Checks the amount and the signature under the payee's node id (x-only).
    pub fn verify(&self) -> Result<(), InvoiceError> {
        check_amount("amount", self.fields.amount_sat)?;
        let (xonly, _parity) = self.fields.payee.0.x_only_public_key();
        secp()
            .verify_schnorr(
                &self.signature,
                &Message::from_digest(self.fields.digest()),
                &xonly,
            )
            .map_err(|_| InvoiceError::BadSignature {
                payee: self.fields.payee.to_string(),
            })
    }

    /// Whether the invoice has expired at unix time `now` (expired from `expiry` on).
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.fields.expiry
    }

    /// The signed fields.
    pub fn fields(&self) -> &InvoiceFields {
        &self.fields
    }

    /// The payment id.
    pub fn payment_id(&self) -> PaymentId {
        self.fields.payment_id
    }

    /// The amount, in satoshis.
    pub fn amount_sat(&self) -> u64 {
        self.fields.amount_sat
    }

    /// The payment point `T_A`.
    pub fn payment_point(&self) -> Point {
        self.fields.payment_point
    }

    /// The expiry, unix seconds.
    pub fn expiry(&self) -> u64 {
        self.fields.expiry
    }

    /// The payee's node id.
    pub fn payee(&self) -> NodeId {
        self.fields.payee
    }

    /// The 64-byte BIP340 signature.
    pub fn signature(&self) -> [u8; 64] {
        self.signature.serialize()
    }

    /// The JSON envelope `{"version":1,"type":"invoice","body":{…}}`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        super::encode_envelope(&mut out, "invoice", self);
        out
    }

    /// Decodes an envelope written by [`Invoice::encode`]: size first, version second, then
    /// the body (unknown fields refused), and verifies the signature.
    pub fn decode(bytes: &[u8]) -> Result<Invoice, InvoiceError> {
        if bytes.len() > MAX_INVOICE_SIZE {
            return Err(InvoiceError::TooLarge { size: bytes.len() });
        }
        let invoice: Invoice = decode_envelope(bytes, "invoice").map_err(|e| match e {
            EnvelopeError::Malformed(m) => InvoiceError::Malformed(m),
            EnvelopeError::Version(v) => InvoiceError::UnsupportedVersion(v),
            EnvelopeError::Type(t) => {
                InvoiceError::Malformed(format!("expected an invoice, got a '{t}'"))
            }
        })?;
        invoice.verify()?;
        Ok(invoice)
    }
}

/// The JSON body of an invoice.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireInvoice {
    payment_id: PaymentId,
    amount_sat: u64,
    #[serde(with = "hex::array")]
    payment_point: [u8; 33],
    expiry: u64,
    payee: NodeId,
    #[serde(with = "hex::array")]
    signature: [u8; 64],
}

impl Serialize for Invoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireInvoice {
            payment_id: self.fields.payment_id,
            amount_sat: self.fields.amount_sat,
            payment_point: self.fields.payment_point.serialize(),
            expiry: self.fields.expiry,
            payee: self.fields.payee,
            signature: self.signature.serialize(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Invoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireInvoice::deserialize(d)?;
        let err = serde::de::Error::custom;
        check_amount("amount", w.amount_sat).map_err(err)?;
        let payment_point = Point::from_slice(&w.payment_point)
            .map_err(|_| err(invalid("payment point", "not a valid compressed point")))?;
        let fields = InvoiceFields {
            payment_id: w.payment_id,
            amount_sat: w.amount_sat,
            payment_point,
            expiry: w.expiry,
            payee: w.payee,
        };
        Invoice::from_parts(fields, w.signature).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_layout_is_pinned() {
        let sk = bitcoin::secp256k1::SecretKey::from_slice(&[1; 32]).unwrap();
        let payee = NodeId(sk.public_key(secp()));
        let t = secp::Scalar::try_from([2u8; 32]).unwrap().base_point_mul();
        let fields = InvoiceFields {
            payment_id: PaymentId([0xab; 32]),
            amount_sat: 0x0102,
            payment_point: t,
            expiry: 0x0a0b,
            payee,
        };
        let c = fields.canonical_bytes();
        assert_eq!(&c[..32], &[0xab; 32]);
        assert_eq!(&c[32..40], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&c[40..73], &t.serialize());
        assert_eq!(&c[73..81], &[0, 0, 0, 0, 0, 0, 0x0a, 0x0b]);
        assert_eq!(&c[81..], &payee.0.serialize());
        let invoice =
            Invoice::sign(fields, &Keypair::from_secret_key(secp(), &sk), [0; 32]).unwrap();
        invoice.verify().unwrap();
        assert_eq!(Invoice::decode(&invoice.encode()).unwrap(), invoice);
    }
}
