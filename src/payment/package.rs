//! The [`UpdatePackage`] A sends B through B's mailbox (PROTOCOL.md §5 step 2).
//!
//! It carries the payment terms, the public data of the A–S signing session of update `n+1`
//! (both funding keys, both public nonces, the 32-byte APOAS update digest, the state number)
//! and A's partial signature `s_A`. B recomputes `T_A` from the public data and checks
//! `s_A·G == T_A` ([`UpdatePackage::check`]) before selling `s_A` to S for `T_A`.
//!
//! B cannot check that the digest really is the one of A–S update `n+1` paying B: S checks
//! that when B sells (S computes `T_A` from its own session and refuses any other point).
//!
//! # Encryption
//!
//! The package is JSON in an envelope `{"version":1,"type":"update_package","body":{…}}`
//! (body fields as in [`UpdatePackage`], bytes lower-case hex, unknown fields refused),
//! encrypted with age to B's mailbox recipient (X25519): binary age ([`UpdatePackage::seal`])
//! for the mailbox, or ASCII-armored age (`-----BEGIN AGE ENCRYPTED FILE-----`,
//! [`UpdatePackage::seal_armored`]) for files a person carries. [`UpdatePackage::open`]
//! accepts either, at most [`MAX_SEALED_PACKAGE`] bytes in and [`MAX_PACKAGE_PLAINTEXT`]
//! bytes of plaintext; the plaintext lives only in zeroized buffers. `s_A` is never printed
//! by `Debug`; [`UpdatePackage::public_view`] is everything else, for display.

use std::fmt;
use std::io::{Read, Write};

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use secp::{MaybePoint, Point};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::invoice::check_amount;
use super::{
    decode_envelope, encode_envelope, hex, EnvelopeError, PaymentId, PAYMENT_FORMAT_VERSION,
};
use crate::crypto::musig::{AggregateKey, PartialSignature, PublicNonce, SigningSession};
use crate::keys::NodeId;

/// The largest sealed package [`UpdatePackage::open`] accepts, in bytes (armored or binary).
pub const MAX_SEALED_PACKAGE: usize = 64 * 1024;

/// The largest age header (everything before the payload) [`UpdatePackage::open`] parses,
/// in bytes: a package is sealed to one X25519 recipient (with age's grease stanza, under
/// 400 bytes). A recipient type with larger stanzas (post-quantum keys take about 1.5 KB)
/// needs this raised.
pub const MAX_SEALED_HEADER: usize = 2 * 1024;

/// The line that ends an age header (its MAC follows).
const HEADER_END: &[u8] = b"\n--- ";

/// The largest decrypted package [`UpdatePackage::open`] reads, in bytes.
pub const MAX_PACKAGE_PLAINTEXT: usize = 16 * 1024;

const PACKAGE_TYPE: &str = "update_package";

/// What is wrong with an update package or its encryption.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// The sealed input or its plaintext is too large.
    #[error("update package is more than {limit} bytes ({what}); refuse it")]
    TooLarge {
        /// Which limit: sealed input or plaintext.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The input is not age-encrypted data.
    #[error(
        "not an age-encrypted update package ({0}); check that the whole file or mailbox \
         message was given"
    )]
    NotAge(String),
    /// The package is encrypted to another mailbox key.
    #[error(
        "the update package is not encrypted to this wallet's mailbox key; it is for another \
         payee, or was sealed to an old payment address"
    )]
    WrongRecipient,
    /// The ciphertext does not authenticate: it was truncated or altered.
    #[error(
        "the update package is corrupted (truncated or altered in transit: {0}); ask the payer \
         to send it again"
    )]
    Corrupted(String),
    /// The envelope has a version this build does not read.
    #[error(
        "update package version {0} is not supported (this build reads version \
         {PAYMENT_FORMAT_VERSION}); upgrade asyncpay"
    )]
    UnsupportedVersion(u64),
    /// The plaintext is not an update package.
    #[error("malformed update package: {0}")]
    Malformed(String),
    /// A field is well-formed but invalid.
    #[error("invalid update package {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `s_A` is not the partial signature of the payer in this session.
    #[error(
        "the payer's partial signature does not match the payment point of this session \
         (s_A·G != T_A); the package is worthless, do not sell it"
    )]
    BadPartialSignature,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PackageError {
    PackageError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// What A sends B: the payment terms, the A–S session of update `n+1`, and `s_A`.
#[derive(Clone, PartialEq, Eq)]
pub struct UpdatePackage {
    /// The payment.
    pub payment_id: PaymentId,
    /// The amount B is paid, in satoshis.
    pub amount_sat: u64,
    /// S's fee, in satoshis (paid by A on top of the amount).
    pub fee_sat: u64,
    /// Unix time (seconds) after which S no longer buys `s_A`.
    pub expiry: u64,
    /// B's node id.
    pub payee: NodeId,
    /// A's node id.
    pub payer: NodeId,
    /// A's funding key in the A–S channel.
    pub payer_funding: Point,
    /// S's funding key in the A–S channel.
    pub server_funding: Point,
    /// A's public nonce for update `n+1`.
    pub payer_nonce: PublicNonce,
    /// S's public nonce for update `n+1`.
    pub server_nonce: PublicNonce,
    /// The 32-byte APOAS signature digest of update `n+1` (the MuSig2 message).
    pub message: [u8; 32],
    /// The state number `n+1`.
    pub state_number: u32,
    /// A's partial signature `s_A` over `message`: the secret B sells.
    pub partial_signature: PartialSignature,
}

impl fmt::Debug for UpdatePackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdatePackage")
            .field("view", &self.public_view())
            .field("partial_signature", &"<secret>")
            .finish()
    }
}

/// An update package without `s_A`: safe to print (`asyncpay decode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdatePackageView {
    /// The payment.
    pub payment_id: PaymentId,
    /// The amount B is paid, in satoshis.
    pub amount_sat: u64,
    /// S's fee, in satoshis.
    pub fee_sat: u64,
    /// Expiry, unix seconds.
    pub expiry: u64,
    /// B's node id.
    pub payee: NodeId,
    /// A's node id.
    pub payer: NodeId,
    /// A's funding key, compressed.
    #[serde(with = "hex::array")]
    pub payer_funding: [u8; 33],
    /// S's funding key, compressed.
    #[serde(with = "hex::array")]
    pub server_funding: [u8; 33],
    /// A's public nonce.
    #[serde(with = "hex::array")]
    pub payer_nonce: [u8; 66],
    /// S's public nonce.
    #[serde(with = "hex::array")]
    pub server_nonce: [u8; 66],
    /// The update digest.
    #[serde(with = "hex::array")]
    pub message: [u8; 32],
    /// The state number.
    pub state_number: u32,
}

impl UpdatePackage {
    /// Everything but `s_A`.
    pub fn public_view(&self) -> UpdatePackageView {
        UpdatePackageView {
            payment_id: self.payment_id,
            amount_sat: self.amount_sat,
            fee_sat: self.fee_sat,
            expiry: self.expiry,
            payee: self.payee,
            payer: self.payer,
            payer_funding: self.payer_funding.serialize(),
            server_funding: self.server_funding.serialize(),
            payer_nonce: self.payer_nonce.to_bytes(),
            server_nonce: self.server_nonce.to_bytes(),
            message: self.message,
            state_number: self.state_number,
        }
    }

    /// The A–S signing session of update `n+1`, rebuilt from the package's public data.
    pub fn session(&self) -> Result<SigningSession, PackageError> {
        let key = AggregateKey::new(self.payer_funding, self.server_funding)
            .map_err(|e| invalid("funding keys", e.to_string()))?;
        SigningSession::new(
            &key,
            [
                (self.payer_funding, self.payer_nonce.clone()),
                (self.server_funding, self.server_nonce.clone()),
            ],
            self.message,
        )
        .map_err(|e| invalid("session", e.to_string()))
    }

    /// Checks the terms (amounts positive, at most 21 million bitcoin, no overflow; payer
    /// and payee distinct), rebuilds the session, computes A's payment point `T_A` and checks
    /// `s_A·G == T_A`. Returns `T_A`, the point B puts in its invoice.
    pub fn check(&self) -> Result<Point, PackageError> {
        self.check_terms()?;
        let session = self.session()?;
        let t_a = match session.payment_point(self.payer_funding) {
            Ok(MaybePoint::Valid(p)) => p,
            Ok(MaybePoint::Infinity) => {
                return Err(invalid("session", "the payment point is at infinity"))
            }
            Err(e) => return Err(invalid("session", e.to_string())),
        };
        if self.partial_signature.point() != MaybePoint::Valid(t_a) {
            return Err(PackageError::BadPartialSignature);
        }
        Ok(t_a)
    }

    fn check_terms(&self) -> Result<(), PackageError> {
        let amount =
            |field, sat| check_amount(field, sat).map_err(|e| invalid(field, e.to_string()));
        let a = amount("amount", self.amount_sat)?;
        if self.fee_sat > 0 {
            amount("fee", self.fee_sat)?;
        }
        let total = a
            .checked_add(bitcoin::Amount::from_sat(self.fee_sat))
            .filter(|t| *t <= bitcoin::Amount::MAX_MONEY);
        if total.is_none() {
            return Err(invalid("fee", "amount plus fee exceeds 21 million bitcoin"));
        }
        if self.payer == self.payee {
            return Err(invalid(
                "payee",
                "the payer and the payee are the same node",
            ));
        }
        Ok(())
    }

    /// The plaintext [`seal`](UpdatePackage::seal) encrypts: the JSON envelope
    /// `{"version":1,"type":"update_package","body":{…}}`, in a zeroized buffer. It holds `s_A`:
    /// never write it anywhere unencrypted.
    pub fn plaintext(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_PACKAGE_PLAINTEXT));
        encode_envelope(&mut *out, PACKAGE_TYPE, &WireRef(self));
        out
    }

    fn seal_with(&self, recipient: &age::x25519::Recipient, format: Format) -> Vec<u8> {
        let plaintext = self.plaintext();
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
                .expect("an X25519 recipient always wraps the file key");
        let armor = ArmoredWriter::wrap_output(Vec::new(), format).expect("writing to memory");
        let mut writer = encryptor.wrap_output(armor).expect("writing to memory");
        writer.write_all(&plaintext).expect("writing to memory");
        writer
            .finish()
            .and_then(|armor| armor.finish())
            .expect("writing to memory")
    }

    /// Encrypts the package to B's mailbox recipient: binary age.
    pub fn seal(&self, recipient: &age::x25519::Recipient) -> Vec<u8> {
        self.seal_with(recipient, Format::Binary)
    }

    /// Encrypts the package to B's mailbox recipient: ASCII-armored age
    /// (`-----BEGIN AGE ENCRYPTED FILE-----`), for files a person carries.
    pub fn seal_armored(&self, recipient: &age::x25519::Recipient) -> String {
        let bytes = self.seal_with(recipient, Format::AsciiArmor);
        String::from_utf8(bytes).expect("age armor is ASCII")
    }

    /// Decrypts a sealed package (armored or binary) with B's mailbox identity and decodes
    /// it: size, then version, then body. Does not [`check`](UpdatePackage::check) it.
    pub fn open(
        sealed: &[u8],
        identity: &age::x25519::Identity,
    ) -> Result<UpdatePackage, PackageError> {
        if sealed.len() > MAX_SEALED_PACKAGE {
            return Err(PackageError::TooLarge {
                what: "sealed",
                limit: MAX_SEALED_PACKAGE,
            });
        }
        // De-armor first (bounded by the size check above), then bound the age header before
        // age parses it: age's header parser starts again from the first byte for every line
        // it reads, so a stranger's package of thousands of tiny stanzas costs seconds of CPU
        // per package. One recipient and age's grease stanza take a few hundred bytes.
        let mut binary = Vec::with_capacity(sealed.len());
        ArmoredReader::new(sealed)
            .read_to_end(&mut binary)
            .map_err(not_age)?;
        let header_end = binary
            .windows(HEADER_END.len())
            .position(|w| w == HEADER_END);
        if header_end.map_or(binary.len(), |end| end + HEADER_END.len()) > MAX_SEALED_HEADER {
            return Err(PackageError::TooLarge {
                what: "age header",
                limit: MAX_SEALED_HEADER,
            });
        }
        let decryptor = age::Decryptor::new_buffered(&binary[..]).map_err(|e| match e {
            age::DecryptError::Io(io) => not_age(io),
            other => map_decrypt_error(other),
        })?;
        if decryptor.is_scrypt() {
            return Err(PackageError::NotAge(
                "it is passphrase-encrypted, not encrypted to a mailbox key".into(),
            ));
        }
        let mut stream = decryptor
            .decrypt(std::iter::once(identity as &dyn age::Identity))
            .map_err(map_decrypt_error)?;
        let mut plaintext = Zeroizing::new(Vec::with_capacity(MAX_PACKAGE_PLAINTEXT + 1));
        (&mut stream)
            .take(MAX_PACKAGE_PLAINTEXT as u64 + 1)
            .read_to_end(&mut plaintext)
            .map_err(|e| PackageError::Corrupted(e.to_string()))?;
        if plaintext.len() > MAX_PACKAGE_PLAINTEXT {
            return Err(PackageError::TooLarge {
                what: "decrypted",
                limit: MAX_PACKAGE_PLAINTEXT,
            });
        }
        UpdatePackage::decode(&plaintext)
    }

    /// Decodes a decrypted package (the JSON envelope of [`plaintext`](UpdatePackage::plaintext)):
    /// version, then type, then body (unknown fields refused, terms checked). This is what
    /// [`open`](UpdatePackage::open) runs after decryption; it is public so that the decoder of
    /// these untrusted bytes can be fuzzed on its own. Does not [`check`](UpdatePackage::check)
    /// the package.
    pub fn decode(plaintext: &[u8]) -> Result<UpdatePackage, PackageError> {
        let wire: WirePackage = decode_envelope(plaintext, PACKAGE_TYPE).map_err(|e| match e {
            EnvelopeError::Malformed(m) => PackageError::Malformed(m),
            EnvelopeError::Version(v) => PackageError::UnsupportedVersion(v),
            EnvelopeError::Type(t) => {
                PackageError::Malformed(format!("expected an update package, got a '{t}'"))
            }
        })?;
        wire.try_into()
    }
}

/// An input that is not age data: truncated (in its armor or its header), or not age at all.
fn not_age(e: std::io::Error) -> PackageError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        PackageError::NotAge("the input ends inside the age header: it is truncated".into())
    } else {
        PackageError::NotAge(e.to_string())
    }
}

fn map_decrypt_error(e: age::DecryptError) -> PackageError {
    match e {
        age::DecryptError::NoMatchingKeys => PackageError::WrongRecipient,
        age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
            PackageError::NotAge(e.to_string())
        }
        other => PackageError::Corrupted(other.to_string()),
    }
}

/// Serializes a package body (borrowing it; `s_A` goes through a zeroized hex buffer).
struct WireRef<'a>(&'a UpdatePackage);

impl Serialize for WireRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let p = self.0;
        let v = p.public_view();
        let secret = Zeroizing::new(p.partial_signature.to_bytes());
        let secret_hex = Zeroizing::new(hex::encode(&*secret));
        let mut st = s.serialize_struct("UpdatePackage", 13)?;
        st.serialize_field("payment_id", &v.payment_id)?;
        st.serialize_field("amount_sat", &v.amount_sat)?;
        st.serialize_field("fee_sat", &v.fee_sat)?;
        st.serialize_field("expiry", &v.expiry)?;
        st.serialize_field("payee", &v.payee)?;
        st.serialize_field("payer", &v.payer)?;
        st.serialize_field("payer_funding", &hex::encode(&v.payer_funding))?;
        st.serialize_field("server_funding", &hex::encode(&v.server_funding))?;
        st.serialize_field("payer_nonce", &hex::encode(&v.payer_nonce))?;
        st.serialize_field("server_nonce", &hex::encode(&v.server_nonce))?;
        st.serialize_field("message", &hex::encode(&v.message))?;
        st.serialize_field("state_number", &v.state_number)?;
        st.serialize_field("partial_signature", secret_hex.as_str())?;
        st.end()
    }
}

/// The 32 secret bytes of `s_A`, decoded straight from the borrowed JSON string.
struct SecretBytes(Zeroizing<[u8; 32]>);

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecretBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 lower-case hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SecretBytes, E> {
                hex::decode::<32>(s)
                    .map(|b| SecretBytes(Zeroizing::new(b)))
                    .map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// The JSON body of an update package, as decoded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePackage {
    payment_id: PaymentId,
    amount_sat: u64,
    fee_sat: u64,
    expiry: u64,
    payee: NodeId,
    payer: NodeId,
    #[serde(with = "hex::array")]
    payer_funding: [u8; 33],
    #[serde(with = "hex::array")]
    server_funding: [u8; 33],
    #[serde(with = "hex::array")]
    payer_nonce: [u8; 66],
    #[serde(with = "hex::array")]
    server_nonce: [u8; 66],
    #[serde(with = "hex::array")]
    message: [u8; 32],
    state_number: u32,
    partial_signature: SecretBytes,
}

impl TryFrom<WirePackage> for UpdatePackage {
    type Error = PackageError;

    fn try_from(w: WirePackage) -> Result<Self, PackageError> {
        let point = |field, bytes: &[u8; 33]| {
            Point::from_slice(bytes).map_err(|_| invalid(field, "not a valid compressed point"))
        };
        let nonce = |field, bytes: &[u8; 66]| {
            PublicNonce::from_bytes(bytes).map_err(|_| invalid(field, "not a valid public nonce"))
        };
        let package = UpdatePackage {
            payment_id: w.payment_id,
            amount_sat: w.amount_sat,
            fee_sat: w.fee_sat,
            expiry: w.expiry,
            payee: w.payee,
            payer: w.payer,
            payer_funding: point("payer funding key", &w.payer_funding)?,
            server_funding: point("server funding key", &w.server_funding)?,
            payer_nonce: nonce("payer nonce", &w.payer_nonce)?,
            server_nonce: nonce("server nonce", &w.server_nonce)?,
            message: w.message,
            state_number: w.state_number,
            partial_signature: PartialSignature::from_bytes(&w.partial_signature.0)
                .map_err(|_| invalid("partial signature", "not a scalar below the group order"))?,
        };
        package.check_terms()?;
        Ok(package)
    }
}
