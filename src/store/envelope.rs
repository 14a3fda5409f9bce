//! The versioned JSON envelope inside every encrypted state file, and the [`StateFile`] trait.
//!
//! Plaintext of a state file: `{"kind": KIND, "version": N, "data": <value>}`. Plaintext only
//! ever lives in [`Zeroizing`] buffers that never reallocate in place (see [`SecretBuf`]).

use std::io::{self, Write};
use std::path::Path;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::StoreError;

/// A value persisted as one encrypted file of the data dir.
///
/// Implement it for each persisted type, in the module that owns the type. `VERSION` starts
/// at 1; when the layout of the type changes, bump it, keep a golden file of the old version
/// in `tests/data/`, and teach [`StateFile::migrate`] to read the old `data`.
pub trait StateFile: Serialize + serde::de::DeserializeOwned {
    /// File name inside the data dir, e.g. `"seed.age"`.
    const FILE: &'static str;
    /// Kind tag written in the envelope, e.g. `"asyncpay/seed"`; a file whose kind differs is
    /// rejected as corrupt.
    const KIND: &'static str;
    /// The version this build writes (and the newest it reads).
    const VERSION: u32;

    /// Saves, in `tx`, the records this one depends on, before it is written in the same
    /// transaction (a channel's history chunks, which its record leaves out). The default
    /// saves none.
    fn save_beside(&self, tx: &mut super::Txn<'_>) -> Result<(), StoreError> {
        let _ = tx;
        Ok(())
    }

    /// Upgrades the `data` of an older `version` (< [`Self::VERSION`]) to the current type,
    /// or refuses with a reason. The default refuses.
    ///
    /// The upgraded value is not written back by a load: it is saved the next time the
    /// caller saves it.
    fn migrate(version: u32, data: serde_json::Value) -> Result<Self, String> {
        drop(data);
        Err(format!(
            "no upgrade path from version {version} is known for {}",
            Self::KIND
        ))
    }
}

/// [`StateFile::migrate`] for a type whose versions from `oldest` on differ only by fields
/// added with serde defaults: their `data` decodes as it is. The error names no stored
/// value.
pub fn migrate_by_defaults<T: StateFile>(
    version: u32,
    oldest: u32,
    data: serde_json::Value,
) -> Result<T, String> {
    if version < oldest {
        return Err(format!("no upgrade path from version {version}"));
    }
    serde_json::from_value(data)
        .map_err(|_| format!("its version-{version} data does not decode as {}", T::KIND))
}

/// A write target for secret bytes: a `Zeroizing<Vec<u8>>` that, when it must grow, copies
/// into a new buffer and zeroizes the old one (a plain `Vec` would leave a copy in freed
/// memory).
pub(crate) struct SecretBuf(Zeroizing<Vec<u8>>);

impl SecretBuf {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SecretBuf(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl Write for SecretBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let needed = self.0.len() + buf.len();
        if needed > self.0.capacity() {
            let capacity = needed.max(self.0.capacity() * 2).max(256);
            let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
            grown.extend_from_slice(&self.0);
            self.0 = grown; // the old buffer is zeroized as it drops
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    kind: &'a str,
    version: u32,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeHead {
    kind: String,
    version: u32,
    #[allow(dead_code)]
    data: IgnoredAny,
}

#[derive(Deserialize)]
struct EnvelopeData<T> {
    data: T,
}

/// Serializes `value` in its envelope, into a zeroizing buffer.
pub(crate) fn encode<T: StateFile>(value: &T) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
    let mut buf = SecretBuf::with_capacity(1024);
    serde_json::to_writer(
        &mut buf,
        &EnvelopeOut {
            kind: T::KIND,
            version: T::VERSION,
            data: value,
        },
    )?;
    Ok(buf.into_inner())
}

/// Parses a decrypted envelope: checks kind and version, migrates older versions.
///
/// Error messages never quote the data (a serde message can quote a value, which may be a
/// secret): only its position.
pub(crate) fn decode<T: StateFile>(path: &Path, plaintext: &[u8]) -> Result<T, StoreError> {
    let head: EnvelopeHead = serde_json::from_slice(plaintext).map_err(|e| {
        StoreError::corrupt(
            path,
            format!(
                "is not an asyncpay state file (its decrypted contents are not a kind/version/data envelope: {})",
                describe(&e)
            ),
        )
    })?;
    if head.kind != T::KIND {
        return Err(StoreError::corrupt(
            path,
            format!(
                "holds `{}` data where `{}` was expected (was another file copied over it?)",
                head.kind,
                T::KIND
            ),
        ));
    }
    if head.version > T::VERSION {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: head.version,
            max: T::VERSION,
        });
    }
    let bad_data = |e: serde_json::Error| {
        StoreError::corrupt(
            path,
            format!(
                "does not hold valid `{}` version {} data ({})",
                T::KIND,
                head.version,
                describe(&e)
            ),
        )
    };
    if head.version == T::VERSION {
        let envelope: EnvelopeData<T> = serde_json::from_slice(plaintext).map_err(bad_data)?;
        return Ok(envelope.data);
    }
    let envelope: EnvelopeData<serde_json::Value> =
        serde_json::from_slice(plaintext).map_err(bad_data)?;
    T::migrate(head.version, envelope.data).map_err(|reason| StoreError::MigrationFailed {
        path: path.to_path_buf(),
        found: head.version,
        current: T::VERSION,
        reason,
    })
}

/// Describes a serde_json error by category and position only.
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected or missing field or value",
        Category::Eof => "unexpected end",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Thing {
        n: u32,
    }

    impl StateFile for Thing {
        const FILE: &'static str = "thing.age";
        const KIND: &'static str = "test/thing";
        const VERSION: u32 = 2;

        fn migrate(version: u32, data: serde_json::Value) -> Result<Self, String> {
            match version {
                1 => Ok(Thing {
                    n: data["old_n"].as_u64().ok_or("old_n missing")? as u32 * 10,
                }),
                _ => Err(format!("version {version} is too old")),
            }
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&Thing { n: 5 }).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"kind":"test/thing","version":2,"data":{"n":5}}"#
        );
        assert_eq!(
            decode::<Thing>(Path::new("t"), &bytes).unwrap(),
            Thing { n: 5 }
        );
    }

    #[test]
    fn migrates_and_refuses() {
        let old = br#"{"kind":"test/thing","version":1,"data":{"old_n":4}}"#;
        assert_eq!(
            decode::<Thing>(Path::new("t"), old).unwrap(),
            Thing { n: 40 }
        );
        let older = br#"{"kind":"test/thing","version":0,"data":{}}"#;
        let err = decode::<Thing>(Path::new("t"), older).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::MigrationFailed {
                    found: 0,
                    current: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_kind_version_and_garbage() {
        let other = br#"{"kind":"test/other","version":2,"data":{"n":5}}"#;
        let err = decode::<Thing>(Path::new("t"), other).unwrap_err();
        assert!(err.to_string().contains("`test/other`"), "{err}");
        let newer = br#"{"kind":"test/thing","version":3,"data":{"n":5}}"#;
        let err = decode::<Thing>(Path::new("t"), newer).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t has format version 3 but this asyncpay reads versions up to 2; upgrade asyncpay"
        );
        for bad in [
            &b"not json"[..],
            b"{}",
            br#"{"kind":"test/thing","version":2}"#,
        ] {
            let err = decode::<Thing>(Path::new("t"), bad).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        }
    }

    #[test]
    fn data_errors_do_not_quote_values() {
        let bad = br#"{"kind":"test/thing","version":2,"data":{"n":"secret words here"}}"#;
        let err = decode::<Thing>(Path::new("t"), bad).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn secret_buf_grows() {
        let mut buf = SecretBuf::with_capacity(1);
        for _ in 0..1000 {
            buf.write_all(b"abc").unwrap();
        }
        assert_eq!(buf.into_inner().len(), 3000);
    }
}
