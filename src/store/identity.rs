//! The storage identity: `identity.age` (passphrase-encrypted), the public `recipient` file,
//! plain age identity files, and the age encryption helpers.
//!
//! Plaintext of `identity.age` (format 1), itself a valid age identity file, so that
//! `age -d -i identity.age seed.age` works with the passphrase as a last resort:
//!
//! ```text
//! # asyncpay storage identity, format 1
//! # public key: age1...
//! AGE-SECRET-KEY-1...
//! ```
//!
//! `identity.age` is that text encrypted to an age scrypt (passphrase) recipient, ASCII
//! armored. The `recipient` file (format 1) is plain text and a valid age recipients file:
//!
//! ```text
//! # asyncpay storage recipient, format 1
//! age1...
//! ```

use std::io::Read;
use std::iter;
use std::path::Path;
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::{ExposeSecret, SecretString};
use age::{x25519, DecryptError, Decryptor, Encryptor};
use std::io::Write;
use zeroize::Zeroizing;

use super::StoreError;

/// First-line prefix of the plaintext of `identity.age`; the format number follows.
const IDENTITY_HEADER: &str = "# asyncpay storage identity, format ";
/// The `identity.age` format this build writes and reads.
pub(crate) const IDENTITY_VERSION: u32 = 1;
/// First-line prefix of the `recipient` file; the format number follows.
const RECIPIENT_HEADER: &str = "# asyncpay storage recipient, format ";
/// The `recipient` format this build writes and reads.
pub(crate) const RECIPIENT_VERSION: u32 = 1;
const SECRET_KEY_PREFIX: &str = "AGE-SECRET-KEY-1";
/// Largest size of an identity file we read (age's own limit is 16 MiB; ours are tiny).
const IDENTITY_FILE_MAX: u64 = 64 * 1024;

/// The plaintext of `identity.age` for `identity`.
pub(crate) fn identity_plaintext(identity: &x25519::Identity) -> Zeroizing<String> {
    let secret = identity.to_string();
    let mut text = Zeroizing::new(String::with_capacity(256));
    text.push_str(IDENTITY_HEADER);
    text.push_str(&IDENTITY_VERSION.to_string());
    text.push_str("\n# public key: ");
    text.push_str(&identity.to_public().to_string());
    text.push('\n');
    text.push_str(secret.expose_secret());
    text.push('\n');
    text
}

/// The contents of the `recipient` file for `recipient`.
pub(crate) fn recipient_text(recipient: &x25519::Recipient) -> String {
    format!("{RECIPIENT_HEADER}{RECIPIENT_VERSION}\n{recipient}\n")
}

/// Parses a format number following `header` on the first line of `text`.
fn format_version(text: &str, header: &str) -> Option<u32> {
    text.lines()
        .next()?
        .strip_prefix(header)?
        .trim()
        .parse()
        .ok()
}

/// Parses the plaintext of `identity.age` (`path` is for messages).
pub(crate) fn parse_identity_plaintext(
    path: &Path,
    text: &str,
) -> Result<x25519::Identity, StoreError> {
    let version = format_version(text, IDENTITY_HEADER).ok_or_else(|| {
        StoreError::corrupt(
            path,
            "decrypts, but is not an asyncpay storage identity (no format header)",
        )
    })?;
    if version > IDENTITY_VERSION {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            max: IDENTITY_VERSION,
        });
    }
    if version < 1 {
        return Err(StoreError::corrupt(
            path,
            format!("has unknown identity format {version}"),
        ));
    }
    let mut public = None;
    let mut identity = None;
    for line in text.lines().map(str::trim) {
        if let Some(key) = line.strip_prefix("# public key: ") {
            public = Some(key);
        } else if line.is_empty() || line.starts_with('#') {
            continue;
        } else if identity.is_none() {
            identity = Some(x25519::Identity::from_str(line).map_err(|_| {
                StoreError::corrupt(path, "decrypts, but its secret key line is not valid")
            })?);
        } else {
            return Err(StoreError::corrupt(
                path,
                "decrypts, but holds more than one secret key",
            ));
        }
    }
    let identity =
        identity.ok_or_else(|| StoreError::corrupt(path, "decrypts, but holds no secret key"))?;
    if let Some(public) = public {
        if public != identity.to_public().to_string() {
            return Err(StoreError::corrupt(
                path,
                "decrypts, but its public key comment does not match its secret key",
            ));
        }
    }
    Ok(identity)
}

/// Parses the `recipient` file.
pub(crate) fn parse_recipient_text(
    path: &Path,
    text: &str,
) -> Result<x25519::Recipient, StoreError> {
    let version = format_version(text, RECIPIENT_HEADER).ok_or_else(|| {
        StoreError::corrupt(path, "is not an asyncpay recipient file (no format header)")
    })?;
    if version > RECIPIENT_VERSION {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            max: RECIPIENT_VERSION,
        });
    }
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return Err(StoreError::corrupt(
            path,
            "does not hold exactly one recipient line",
        ));
    };
    x25519::Recipient::from_str(line)
        .map_err(|_| StoreError::corrupt(path, "does not hold a valid age X25519 recipient"))
}

/// Reads the X25519 identities of a plain age identity file (comments and blank lines
/// allowed, as written by `age-keygen`/`rage-keygen`).
pub(crate) fn read_identity_file(path: &Path) -> Result<Vec<x25519::Identity>, StoreError> {
    let bad = |reason: &str| StoreError::BadIdentityFile {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let file = std::fs::File::open(path).map_err(|e| StoreError::BadIdentityFile {
        path: path.to_path_buf(),
        reason: format!("cannot open it ({e})"),
    })?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
    file.take(IDENTITY_FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::BadIdentityFile {
            path: path.to_path_buf(),
            reason: format!("cannot read it ({e})"),
        })?;
    if bytes.len() as u64 > IDENTITY_FILE_MAX {
        return Err(bad("it is too large to be an age identity file"));
    }
    if bytes.starts_with(b"age-encryption.org/") || bytes.starts_with(b"-----BEGIN AGE") {
        return Err(bad(
            "it is an encrypted age file; give a plain identity file (as written by age-keygen), or unlock with the passphrase",
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("it is not UTF-8 text"))?;
    let mut identities = Vec::new();
    for (n, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match x25519::Identity::from_str(line) {
            Ok(identity) => identities.push(identity),
            Err(_) => {
                // Never quote the line: it may be a (mistyped) secret.
                let what = if line.starts_with(SECRET_KEY_PREFIX) {
                    "is a malformed AGE-SECRET-KEY-1 key"
                } else {
                    "is not an age X25519 identity (AGE-SECRET-KEY-1...); plugin and SSH identities are not supported"
                };
                return Err(bad(&format!("line {} {what}", n + 1)));
            }
        }
    }
    if identities.is_empty() {
        return Err(bad(
            "it holds no identity; create one with `age-keygen -o FILE`",
        ));
    }
    Ok(identities)
}

/// Encrypts secret text to a passphrase (age scrypt recipient, `work_factor` = log2 N),
/// ASCII armored.
pub(crate) fn encrypt_to_passphrase(
    plaintext: &[u8],
    passphrase: &SecretString,
    work_factor: u8,
) -> Result<Vec<u8>, age::EncryptError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(work_factor);
    let encryptor = Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))?;
    let mut out = Vec::with_capacity(plaintext.len() * 2 + 512);
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    writer.write_all(plaintext)?;
    writer.finish()?.finish()?;
    Ok(out)
}

/// Encrypts `plaintext` to an X25519 recipient (binary age format).
pub(crate) fn encrypt_to_recipient(
    plaintext: &[u8],
    recipient: &x25519::Recipient,
) -> Result<Vec<u8>, age::EncryptError> {
    let encryptor = Encryptor::with_recipients(iter::once(recipient as &dyn age::Recipient))?;
    let mut out = Vec::with_capacity(plaintext.len() + plaintext.len() / 1024 * 16 + 512);
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plaintext)?;
    writer.finish()?;
    Ok(out)
}

/// Decrypts an age file (binary or armored) with one identity into a zeroizing buffer.
pub(crate) fn decrypt_with(
    identity: &dyn age::Identity,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let decryptor = Decryptor::new_buffered(ArmoredReader::new(ciphertext))?;
    let mut reader = decryptor.decrypt(iter::once(identity))?;
    // The plaintext is shorter than the ciphertext, so this buffer never reallocates (which
    // would leave a copy behind) and `read_to_end` reads straight into it.
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader.read_to_end(&mut plaintext)?;
    Ok(plaintext)
}

/// The phrase (after the path) describing why an age file failed to decrypt.
pub(crate) fn decrypt_failure_reason(error: &DecryptError) -> String {
    match error {
        DecryptError::DecryptionFailed | DecryptError::InvalidMac => {
            "is truncated or has been tampered with (authentication failed)".to_owned()
        }
        DecryptError::InvalidHeader => {
            "is truncated or has been tampered with (invalid age header)".to_owned()
        }
        DecryptError::Io(e) => format!("is truncated or has been tampered with ({e})"),
        DecryptError::NoMatchingKeys => {
            "is not encrypted to this wallet's storage identity (was it copied from another wallet?)"
                .to_owned()
        }
        DecryptError::UnknownFormat => {
            "is not in an age format this asyncpay understands (truncated, tampered with, or from a newer age)"
                .to_owned()
        }
        DecryptError::ExcessiveWork { required, .. } => format!(
            "asks for scrypt work factor {required}, more than asyncpay accepts ({}); it has been tampered with",
            super::MAX_WORK_FACTOR
        ),
        other => format!("cannot be decrypted ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_plaintext_round_trip() {
        let identity = x25519::Identity::generate();
        let text = identity_plaintext(&identity);
        assert!(text.starts_with("# asyncpay storage identity, format 1\n# public key: age1"));
        let parsed = parse_identity_plaintext(Path::new("i"), &text).unwrap();
        assert_eq!(parsed.to_public(), identity.to_public());
    }

    #[test]
    fn identity_plaintext_rejects() {
        let identity = x25519::Identity::generate();
        let text = identity_plaintext(&identity);
        let newer = text.replace("format 1", "format 2");
        assert!(matches!(
            parse_identity_plaintext(Path::new("i"), &newer),
            Err(StoreError::UnsupportedVersion {
                found: 2,
                max: 1,
                ..
            })
        ));
        let other = x25519::Identity::generate().to_public().to_string();
        let lying = text.replace(&identity.to_public().to_string(), &other);
        assert!(matches!(
            parse_identity_plaintext(Path::new("i"), &lying),
            Err(StoreError::Corrupt { .. })
        ));
        let headless = text.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert!(matches!(
            parse_identity_plaintext(Path::new("i"), &headless),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn recipient_round_trip() {
        let recipient = x25519::Identity::generate().to_public();
        let text = recipient_text(&recipient);
        assert_eq!(
            parse_recipient_text(Path::new("r"), &text).unwrap(),
            recipient
        );
        assert!(parse_recipient_text(Path::new("r"), "age1xyz\n").is_err());
    }

    #[test]
    fn passphrase_encryption_round_trip() {
        let pass = SecretString::from("pw".to_owned());
        let ct = encrypt_to_passphrase(b"hello", &pass, 2).unwrap();
        assert!(ct.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        let id = age::scrypt::Identity::new(pass);
        assert_eq!(&decrypt_with(&id, &ct).unwrap()[..], b"hello");
        let wrong = age::scrypt::Identity::new(SecretString::from("nope".to_owned()));
        assert!(matches!(
            decrypt_with(&wrong, &ct),
            Err(DecryptError::DecryptionFailed)
        ));
    }
}
