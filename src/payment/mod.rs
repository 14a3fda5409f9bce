//! The asynchronous payment's data types (PROTOCOL.md §5), sans I/O: nothing here reads a
//! clock, a file or a socket; times (unix seconds) and randomness are passed in.
//!
//! - [`PaymentAddress`] ([`address`]): B's shareable bech32m string (node id, mailbox
//!   recipient, server URL).
//! - [`PaymentId`] and [`Invoice`] ([`invoice`]): B's offer to sell `s_A` for `T_A`, signed by
//!   B's node key.
//! - [`UpdatePackage`] ([`package`]): what A sends B through B's mailbox, encrypted with age to
//!   B's mailbox recipient; B checks `s_A·G == T_A` with [`UpdatePackage::check`].
//!
//! JSON conventions follow [`crate::protocol::messages`]: a versioned envelope
//! `{"version":1,"type":"<snake_case>","body":{…}}`, lower-case hex for bytes, amounts in
//! satoshis (`*_sat`), unknown fields refused, size checked first and version second.

pub mod address;
pub mod invoice;
pub mod package;
pub mod sale;

pub use address::{AddressError, AddressNetwork, PaymentAddress, MAX_SERVER_URL_LEN};
pub use invoice::{Invoice, InvoiceError, InvoiceFields, PaymentId, INVOICE_TAG};
pub use package::{
    PackageError, UpdatePackage, UpdatePackageView, MAX_PACKAGE_PLAINTEXT, MAX_SEALED_HEADER,
    MAX_SEALED_PACKAGE,
};

/// The version of the JSON envelopes written and read by this module (invoice, package).
pub const PAYMENT_FORMAT_VERSION: u32 = 1;

pub(crate) use crate::protocol::hex;

pub(crate) use crate::crypto::bip118::tagged_hash;

/// What the first decoding passes found wrong with a JSON envelope.
pub(crate) enum EnvelopeError {
    /// Not JSON or not an envelope.
    Malformed(String),
    /// A version other than [`PAYMENT_FORMAT_VERSION`].
    Version(u64),
    /// Another `type`.
    Type(String),
}

/// Checks an envelope's version, then its type, before its body is read; then decodes the
/// whole envelope (unknown fields refused).
pub(crate) fn decode_envelope<B: serde::de::DeserializeOwned>(
    bytes: &[u8],
    kind: &str,
) -> Result<B, EnvelopeError> {
    #[derive(serde::Deserialize)]
    struct VersionOnly {
        version: u64,
    }
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(rename = "type")]
        kind: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Envelope<B> {
        #[allow(dead_code)]
        version: u64,
        #[allow(dead_code)]
        #[serde(rename = "type")]
        kind: String,
        body: B,
    }
    let malformed = |e: serde_json::Error| EnvelopeError::Malformed(e.to_string());
    let v: VersionOnly = serde_json::from_slice(bytes).map_err(malformed)?;
    if v.version != u64::from(PAYMENT_FORMAT_VERSION) {
        return Err(EnvelopeError::Version(v.version));
    }
    let t: TypeOnly = serde_json::from_slice(bytes).map_err(malformed)?;
    if t.kind != kind {
        return Err(EnvelopeError::Type(t.kind));
    }
    let e: Envelope<B> = serde_json::from_slice(bytes).map_err(malformed)?;
    Ok(e.body)
}

/// Writes `{"version":1,"type":kind,"body":body}` into `out`.
pub(crate) fn encode_envelope<B: serde::Serialize, W: std::io::Write>(
    out: W,
    kind: &str,
    body: &B,
) {
    #[derive(serde::Serialize)]
    struct Envelope<'a, B> {
        version: u32,
        #[serde(rename = "type")]
        kind: &'a str,
        body: &'a B,
    }
    serde_json::to_writer(
        out,
        &Envelope {
            version: PAYMENT_FORMAT_VERSION,
            kind,
            body,
        },
    )
    .expect("payment types serialize to JSON infallibly");
}
