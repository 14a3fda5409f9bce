//! Lower-case hex for fixed-size byte arrays in JSON (serde `with` helpers).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Lower-case hex of `bytes`, by table: a node id, hash or signature is formatted at
/// every request and record (`to_lower_hex_string` goes through the formatter byte by
/// byte, several times slower).
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The value of one hex digit (either case).
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The byte of two hex digits.
fn byte(pair: &[u8]) -> Option<u8> {
    Some(nibble(pair[0])? << 4 | nibble(pair[1])?)
}

/// Decodes exactly `N` bytes of hex (either case).
pub(crate) fn decode<const N: usize>(s: &str) -> Result<[u8; N], String> {
    if s.len() != 2 * N {
        return Err(format!(
            "expected {} hex digits ({N} bytes), got {}",
            2 * N,
            s.len()
        ));
    }
    let mut out = [0u8; N];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        out[i] = byte(pair).ok_or_else(|| {
            let bad = pair.iter().find(|c| nibble(**c).is_none()).copied();
            format!("invalid hex digit {:?}", bad.unwrap_or(pair[0]) as char)
        })?;
    }
    Ok(out)
}

/// Decodes hex of any even length (either case). Digits only: no sign, no spaces.
pub(crate) fn decode_vec(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", s.len()));
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            byte(pair)
                .ok_or_else(|| format!("invalid hex digits {:?}", String::from_utf8_lossy(pair)))
        })
        .collect()
}

/// `#[serde(with = "hex::array")]` for `[u8; N]`.
pub(crate) mod array {
    use super::*;

    pub(crate) fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        decode(&s).map_err(D::Error::custom)
    }
}

/// `#[serde(with = "hex::option")]` for `Option<[u8; N]>` (JSON `null` when absent).
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer, const N: usize>(
        bytes: &Option<[u8; N]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<Option<[u8; N]>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| decode(&s).map_err(D::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let b = [0x00, 0xab, 0xff];
        assert_eq!(encode(&b), "00abff");
        // Every byte as the formatter writes it.
        let all: Vec<u8> = (0..=255).collect();
        let formatted: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(encode(&all), formatted);
        assert_eq!(encode(&[]), "");
        assert_eq!(decode::<3>("00ABff").unwrap(), b);
        assert!(decode::<3>("00abf")
            .unwrap_err()
            .contains("expected 6 hex digits"));
        assert!(decode::<1>("zz").unwrap_err().contains("invalid hex digit"));
        // Multi-byte UTF-8 of the right byte length is rejected, not a panic.
        assert!(decode::<1>("é").is_err());
        assert_eq!(decode_vec("00ABff").unwrap(), b);
        assert_eq!(decode_vec("").unwrap(), Vec::<u8>::new());
        assert!(decode_vec("abc").unwrap_err().contains("odd number"));
        // What `u8::from_str_radix` took, a sign, is not hex.
        for bad in ["+f", "0x", " 1", "é", "g0"] {
            assert!(decode_vec(bad).is_err(), "{bad}");
            assert!(decode::<1>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_byte_decodes_as_it_encodes_in_either_case() {
        let all: Vec<u8> = (0..=255).collect();
        let hex = encode(&all);
        assert_eq!(decode_vec(&hex).unwrap(), all);
        assert_eq!(decode_vec(&hex.to_uppercase()).unwrap(), all);
        for b in all {
            assert_eq!(decode::<1>(&format!("{b:02X}")).unwrap(), [b]);
        }
    }
}
