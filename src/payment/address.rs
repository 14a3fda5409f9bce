//! [`PaymentAddress`]: the string a payee B publishes so payers can pay it asynchronously.
//!
//! # Format
//!
//! A bech32m string (BIP350 checksum, like BOLT12 offers: checksummed, copy-pasteable, case
//! insensitive on input, written lower-case) whose human-readable part names the network:
//!
//! | network                      | HRP    | example start |
//! |------------------------------|--------|---------------|
//! | mainnet (`bitcoin`)          | `asp`  | `asp1…`       |
//! | testnet3, testnet4, signet   | `tasp` | `tasp1…`      |
//! | regtest                      | `rasp` | `rasp1…`      |
//!
//! The data part encodes these bytes (8-bit groups regrouped into 5-bit characters, zero
//! padding of at most 4 bits, as in BIP173):
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 1    | version, `0x01` |
//! | 1      | 33   | B's node id, compressed secp256k1 public key |
//! | 34     | 32   | B's mailbox recipient: raw age X25519 public key (the data of `age1…`) |
//! | 66     | 1    | `L`, the length of the server URL in bytes, 1..=200 |
//! | 67     | `L`  | B's server URL, UTF-8 (in practice ASCII): `http://` or `https://`, a host, optional port and path, no credentials, query or fragment |
//!
//! Nothing may follow the URL. The longest address (a 200-byte URL) is 439 characters, well
//! below bech32m's 1023-character limit, within which any single changed character is
//! detected.

use std::fmt;
use std::str::FromStr;

use bitcoin::bech32::primitives::decode::{CheckedHrpstringError, UncheckedHrpstring};
use bitcoin::bech32::{Bech32, Bech32m, Hrp};
use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;

use crate::keys::NodeId;

/// The address format version this build writes and reads.
pub const ADDRESS_VERSION: u8 = 1;

/// The longest server URL an address may carry, in bytes.
pub const MAX_SERVER_URL_LEN: usize = 200;

/// The longest string [`PaymentAddress::from_str`] looks at (bech32m's limit).
pub const MAX_ADDRESS_LEN: usize = 1023;

/// The networks a payment address can be for, each with its own HRP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressNetwork {
    /// Bitcoin mainnet: HRP `asp`.
    Mainnet,
    /// The public test networks (testnet3, testnet4, signet): HRP `tasp`.
    Testnet,
    /// Regtest (local): HRP `rasp`.
    Regtest,
}

impl AddressNetwork {
    /// The address network of a bitcoin network.
    pub fn of(network: Network) -> AddressNetwork {
        match network {
            Network::Bitcoin => AddressNetwork::Mainnet,
            Network::Regtest => AddressNetwork::Regtest,
            _ => AddressNetwork::Testnet,
        }
    }

    /// The human-readable part of addresses for this network.
    pub fn hrp(self) -> &'static str {
        match self {
            AddressNetwork::Mainnet => "asp",
            AddressNetwork::Testnet => "tasp",
            AddressNetwork::Regtest => "rasp",
        }
    }

    fn from_hrp(hrp: &str) -> Option<AddressNetwork> {
        [
            AddressNetwork::Mainnet,
            AddressNetwork::Testnet,
            AddressNetwork::Regtest,
        ]
        .into_iter()
        .find(|n| n.hrp() == hrp)
    }
}

impl fmt::Display for AddressNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressNetwork::Mainnet => "mainnet",
            AddressNetwork::Testnet => "testnet/signet",
            AddressNetwork::Regtest => "regtest",
        })
    }
}

/// Why a payment address could not be built or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The input is longer than any payment address.
    #[error(
        "payment address is {len} characters, more than the limit of {MAX_ADDRESS_LEN}; \
         check that only the address was copied"
    )]
    TooLong {
        /// Length of the input.
        len: usize,
    },
    /// The input is not a bech32 string (bad character, mixed case, no separator).
    #[error("not a payment address: {0}; copy the address again from the payee")]
    Encoding(String),
    /// The human-readable prefix is not one of ours.
    #[error(
        "'{hrp}1…' is not a payment address; payment addresses start with asp1 (mainnet), \
         tasp1 (testnet, signet) or rasp1 (regtest)"
    )]
    UnknownPrefix {
        /// The prefix found.
        hrp: String,
    },
    /// The bech32m checksum does not match: the string was altered.
    #[error(
        "payment address checksum is wrong: a character was changed, lost or added; \
         copy the address again from the payee"
    )]
    BadChecksum,
    /// The address is for another network than the one expected.
    #[error(
        "payment address is for {found} (prefix {}1) but this wallet is on {expected}; \
         ask the payee for a {expected} payment address (prefix {}1)",
        found.hrp(),
        expected.hrp()
    )]
    WrongNetwork {
        /// The address's network.
        found: AddressNetwork,
        /// The network expected.
        expected: AddressNetwork,
    },
    /// The address has a version this build does not read.
    #[error(
        "payment address version {0} is not supported (this build reads version \
         {ADDRESS_VERSION}); upgrade asyncpay or ask the payee for a version \
         {ADDRESS_VERSION} address"
    )]
    UnknownVersion(u8),
    /// The data ends before a field.
    #[error("payment address is truncated: {0} is missing; copy the address again from the payee")]
    Truncated(&'static str),
    /// Bytes follow the server URL.
    #[error(
        "payment address has {0} unexpected bytes after the server URL; \
         copy the address again from the payee"
    )]
    TrailingBytes(usize),
    /// The node id is not a valid public key.
    #[error("payment address carries an invalid node id; ask the payee for a new address")]
    InvalidNodeId,
    /// The mailbox recipient is not a valid age X25519 key.
    #[error("payment address carries an invalid mailbox key; ask the payee for a new address")]
    InvalidMailbox,
    /// The server URL is not acceptable.
    #[error(
        "invalid server URL {url:?}: {reason}; use http://HOST[:PORT][/PATH] or \
         https://HOST[:PORT][/PATH], at most {MAX_SERVER_URL_LEN} bytes"
    )]
    InvalidUrl {
        /// The URL (lossily decoded).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// B's payment address: node id, mailbox recipient and server URL, for one network.
/// `Display` writes the bech32m string, `FromStr` reads it (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentAddress {
    network: AddressNetwork,
    node_id: NodeId,
    mailbox: age::x25519::Recipient,
    server_url: String,
}

impl PaymentAddress {
    /// An address for `network`; checks the server URL.
    pub fn new(
        network: Network,
        node_id: NodeId,
        mailbox: age::x25519::Recipient,
        server_url: &str,
    ) -> Result<PaymentAddress, AddressError> {
        check_url(server_url.as_bytes())?;
        Ok(PaymentAddress {
            network: AddressNetwork::of(network),
            node_id,
            mailbox,
            server_url: server_url.to_owned(),
        })
    }

    /// Decodes `s` and checks that it is an address for `network`.
    pub fn parse_for(s: &str, network: Network) -> Result<PaymentAddress, AddressError> {
        let address: PaymentAddress = s.parse()?;
        address.require_network(network)?;
        Ok(address)
    }

    /// Fails with [`AddressError::WrongNetwork`] unless the address is for `network`.
    pub fn require_network(&self, network: Network) -> Result<(), AddressError> {
        let expected = AddressNetwork::of(network);
        if self.network != expected {
            return Err(AddressError::WrongNetwork {
                found: self.network,
                expected,
            });
        }
        Ok(())
    }

    /// The network the address is for.
    pub fn network(&self) -> AddressNetwork {
        self.network
    }

    /// B's node id: invoices must be signed by its key.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// B's mailbox recipient: update packages are encrypted to it.
    pub fn mailbox(&self) -> &age::x25519::Recipient {
        &self.mailbox
    }

    /// The URL of B's server (where B's mailbox is).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The bytes of the data part (see the module documentation).
    fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(67 + self.server_url.len());
        out.push(ADDRESS_VERSION);
        out.extend_from_slice(&self.node_id.0.serialize());
        out.extend_from_slice(&recipient_bytes(&self.mailbox));
        out.push(u8::try_from(self.server_url.len()).expect("checked at construction"));
        out.extend_from_slice(self.server_url.as_bytes());
        out
    }
}

impl fmt::Display for PaymentAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse(self.network.hrp()).expect("valid hrp");
        bitcoin::bech32::encode_lower_to_fmt::<Bech32m, _>(f, hrp, &self.payload())
            .map_err(|_| fmt::Error)
    }
}

impl FromStr for PaymentAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong { len: s.len() });
        }
        let unchecked = UncheckedHrpstring::new(s)
            .map_err(|e| AddressError::Encoding(CheckedHrpstringError::Parse(e).to_string()))?;
        let hrp = unchecked.hrp().to_lowercase();
        let checked = unchecked
            .validate_and_remove_checksum::<Bech32m>()
            .map_err(|_| AddressError::BadChecksum)?;
        let network = AddressNetwork::from_hrp(&hrp).ok_or(AddressError::UnknownPrefix { hrp })?;
        checked
            .validate_segwit_padding()
            .map_err(|e| AddressError::Encoding(format!("bad padding ({e})")))?;
        let data: Vec<u8> = checked.byte_iter().collect();
        decode_payload(network, &data)
    }
}

fn decode_payload(network: AddressNetwork, data: &[u8]) -> Result<PaymentAddress, AddressError> {
    let mut rest = data;
    let mut take = |n: usize, what: &'static str| -> Result<&[u8], AddressError> {
        if rest.len() < n {
            return Err(AddressError::Truncated(what));
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let version = take(1, "the version")?[0];
    if version != ADDRESS_VERSION {
        return Err(AddressError::UnknownVersion(version));
    }
    let node_id = PublicKey::from_slice(take(33, "the node id")?)
        .map(NodeId)
        .map_err(|_| AddressError::InvalidNodeId)?;
    let mailbox = recipient_from_bytes(take(32, "the mailbox key")?)?;
    let len = usize::from(take(1, "the server URL length")?[0]);
    let url = take(len, "part of the server URL")?;
    let trailing = rest.len();
    if trailing != 0 {
        return Err(AddressError::TrailingBytes(trailing));
    }
    let server_url = check_url(url)?.to_owned();
    Ok(PaymentAddress {
        network,
        node_id,
        mailbox,
        server_url,
    })
}

/// The 32 raw bytes of an age X25519 recipient (the data of its `age1…` bech32 string).
pub(crate) fn recipient_bytes(recipient: &age::x25519::Recipient) -> [u8; 32] {
    let (_, data) =
        bitcoin::bech32::decode(&recipient.to_string()).expect("age writes valid bech32");
    data.try_into().expect("age X25519 recipients are 32 bytes")
}

/// An age X25519 recipient from its 32 raw bytes.
pub(crate) fn recipient_from_bytes(bytes: &[u8]) -> Result<age::x25519::Recipient, AddressError> {
    let hrp = Hrp::parse("age").expect("valid hrp");
    let s =
        bitcoin::bech32::encode::<Bech32>(hrp, bytes).map_err(|_| AddressError::InvalidMailbox)?;
    s.parse().map_err(|_| AddressError::InvalidMailbox)
}

/// Checks a server URL (as bytes, from an address or a caller) and returns it as text.
fn check_url(bytes: &[u8]) -> Result<&str, AddressError> {
    let invalid = |reason: &str| AddressError::InvalidUrl {
        url: String::from_utf8_lossy(bytes).into_owned(),
        reason: reason.to_owned(),
    };
    if bytes.is_empty() {
        return Err(invalid("it is empty"));
    }
    if bytes.len() > MAX_SERVER_URL_LEN {
        return Err(invalid(&format!("it is {} bytes long", bytes.len())));
    }
    let url = std::str::from_utf8(bytes).map_err(|_| invalid("it is not UTF-8"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it contains whitespace or control characters"));
    }
    crate::net::check_server_url(url).map_err(|reason| invalid(&reason))?;
    Ok(url)
}

impl serde::Serialize for PaymentAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PaymentAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(network: Network, url: &str) -> PaymentAddress {
        let secp = bitcoin::secp256k1::Secp256k1::signing_only();
        let sk = bitcoin::secp256k1::SecretKey::from_slice(&[7; 32]).unwrap();
        let mailbox = recipient_from_bytes(&[9; 32]).unwrap();
        PaymentAddress::new(network, NodeId(sk.public_key(&secp)), mailbox, url).unwrap()
    }

    #[test]
    fn recipient_bytes_round_trip() {
        let r = recipient_from_bytes(&[3; 32]).unwrap();
        assert_eq!(recipient_bytes(&r), [3; 32]);
        assert!(r.to_string().starts_with("age1"));
    }

    #[test]
    fn longest_address_fits_and_round_trips() {
        let url = format!("https://{}", "a".repeat(MAX_SERVER_URL_LEN - 8));
        let a = sample(Network::Testnet, &url);
        let s = a.to_string();
        assert_eq!(s.len(), 439);
        assert_eq!(s.parse::<PaymentAddress>().unwrap(), a);
    }

    #[test]
    fn bech32_checksum_is_refused() {
        let a = sample(Network::Regtest, "http://127.0.0.1:9737");
        let hrp = Hrp::parse("rasp").unwrap();
        let s = bitcoin::bech32::encode::<Bech32>(hrp, &a.payload()).unwrap();
        assert_eq!(
            s.parse::<PaymentAddress>().unwrap_err(),
            AddressError::BadChecksum
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let a = sample(Network::Regtest, "http://127.0.0.1:9737");
        let mut data = a.payload();
        data.push(0);
        let hrp = Hrp::parse("rasp").unwrap();
        let s = bitcoin::bech32::encode::<Bech32m>(hrp, &data).unwrap();
        assert_eq!(
            s.parse::<PaymentAddress>().unwrap_err(),
            AddressError::TrailingBytes(1)
        );
    }
}
