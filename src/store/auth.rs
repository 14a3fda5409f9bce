//! Record authentication. A state file is age-encrypted to the storage *recipient*, which is
//! public (the `recipient` file): encryption alone lets anyone who can write the data dir put
//! a file of their own making in place of one of ours (a forged `seed.age` would make the
//! wallet hand out the forger's addresses). So the plaintext of every state file carries a
//! tag that only the storage *identity* can make:
//!
//! ```text
//! plaintext = MAGIC || tag || envelope
//! tag       = HMAC-SHA256(record_key, "asyncpay/record\0" || record_id || "\0" || envelope)
//! record_key = HMAC-SHA256(identity secret, "asyncpay/record-key/v1")
//! ```
//!
//! `record_id` is the file's path inside the data dir (`seed.age`, `channels/<id>.age`), so
//! a file copied over another record, or from another wallet, fails too. A file without
//! the magic was written by an asyncpay from before authentication (or by a forger): it is
//! refused until the user authenticates the data dir's files once
//! ([`super::Store::authenticate_legacy_records`], `asyncpay wallet upgrade`).

use age::secrecy::ExposeSecret;
use age::x25519;
use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use zeroize::Zeroizing;

/// First bytes of the plaintext of an authenticated state file.
pub(crate) const MAGIC: &[u8] = b"asyncpay-record-v1\n";
const TAG_LEN: usize = 32;

/// Why a state file's plaintext is not authentic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No tag: written before authentication existed, or by someone else.
    Unauthenticated,
    /// A tag that does not match: replaced, or copied from another record or wallet.
    Forged,
}

/// The key of the record tags, derived from the storage identity (zeroized on drop).
pub(crate) struct RecordKey(Zeroizing<[u8; 32]>);

impl RecordKey {
    pub(crate) fn derive(identity: &x25519::Identity) -> RecordKey {
        let secret = identity.to_string();
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(secret.expose_secret().as_bytes());
        engine.input(b"asyncpay/record-key/v1");
        RecordKey(Zeroizing::new(
            hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array(),
        ))
    }

    fn tag(&self, record_id: &str, envelope: &[u8]) -> [u8; TAG_LEN] {
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&self.0[..]);
        engine.input(b"asyncpay/record\0");
        engine.input(record_id.as_bytes());
        engine.input(b"\0");
        engine.input(envelope);
        hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }

    /// The tag that binds a records database's data key to the storage identity (see
    /// `db.rs`): only the identity's holder can make a database this wallet opens.
    pub(crate) fn data_key_tag(&self, db_id: &[u8], data_key: &[u8]) -> [u8; TAG_LEN] {
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&self.0[..]);
        engine.input(b"asyncpay/data-key\0");
        engine.input(db_id);
        engine.input(data_key);
        hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }

    /// The tag of a data dir's `database` file (the PostgreSQL URL and schema it names):
    /// only the storage identity can point the wallet at a database.
    pub(crate) fn database_file_tag(&self, named: &[u8]) -> [u8; TAG_LEN] {
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&self.0[..]);
        engine.input(b"asyncpay/database-file\0");
        engine.input(named);
        hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }

    /// Whether `tag` is [`RecordKey::database_file_tag`] of `named` (constant time).
    pub(crate) fn database_file_tag_matches(&self, named: &[u8], tag: &[u8]) -> bool {
        tag.len() == TAG_LEN && constant_time_eq(tag, &self.database_file_tag(named))
    }

    /// Whether `tag` is [`RecordKey::data_key_tag`] of `db_id` and `data_key` (constant
    /// time).
    pub(crate) fn data_key_tag_matches(&self, db_id: &[u8], data_key: &[u8], tag: &[u8]) -> bool {
        tag.len() == TAG_LEN && constant_time_eq(tag, &self.data_key_tag(db_id, data_key))
    }

    /// The authenticated plaintext of `envelope` stored as `record_id` (the legacy file
    /// format, which this release only reads, to move it into the database).
    #[cfg(test)]
    pub(crate) fn seal(&self, record_id: &str, envelope: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAGIC.len() + TAG_LEN + envelope.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.tag(record_id, envelope));
        out.extend_from_slice(envelope);
        out
    }

    /// The envelope inside `plaintext` stored as `record_id`, if its tag is ours.
    pub(crate) fn open<'a>(
        &self,
        record_id: &str,
        plaintext: &'a [u8],
    ) -> Result<&'a [u8], AuthFailure> {
        let rest = plaintext
            .strip_prefix(MAGIC)
            .ok_or(AuthFailure::Unauthenticated)?;
        if rest.len() < TAG_LEN {
            return Err(AuthFailure::Forged);
        }
        let (tag, envelope) = rest.split_at(TAG_LEN);
        if !constant_time_eq(tag, &self.tag(record_id, envelope)) {
            return Err(AuthFailure::Forged);
        }
        Ok(envelope)
    }
}

/// Constant time: the comparison says nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The envelope of a plaintext whether or not it carries a tag, *without* checking it: for
/// the decoders that are fuzzed without a data dir. Never for reading a record.
pub(crate) fn strip_unchecked(plaintext: &[u8]) -> &[u8] {
    match plaintext.strip_prefix(MAGIC) {
        Some(rest) if rest.len() >= TAG_LEN => &rest[TAG_LEN..],
        _ => plaintext,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_bind_contents_place_and_identity() {
        let (a, b) = (x25519::Identity::generate(), x25519::Identity::generate());
        let (ka, kb) = (RecordKey::derive(&a), RecordKey::derive(&b));
        let sealed = ka.seal("seed.age", b"{}");
        assert_eq!(ka.open("seed.age", &sealed), Ok(&b"{}"[..]));
        assert_eq!(ka.open("wallet.age", &sealed), Err(AuthFailure::Forged));
        assert_eq!(kb.open("seed.age", &sealed), Err(AuthFailure::Forged));
        let mut flipped = sealed.to_vec();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(ka.open("seed.age", &flipped), Err(AuthFailure::Forged));
        assert_eq!(
            ka.open("seed.age", b"{}"),
            Err(AuthFailure::Unauthenticated)
        );
        assert_eq!(
            ka.open("seed.age", &sealed[..MAGIC.len() + 5]),
            Err(AuthFailure::Forged)
        );
        assert_eq!(strip_unchecked(&sealed), b"{}");
        assert_eq!(strip_unchecked(b"{}"), b"{}");
    }
}
