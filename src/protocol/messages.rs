//! Channel messages between a client and the server S: one struct per message, the wrapper
//! enum [`Message`], and their JSON encoding (version 1, at most [`MAX_MESSAGE_SIZE`] bytes).
//!
//! Wire form: `{"version":1,"type":"update_proposal","body":{...}}`. Bytes are lower-case hex,
//! amounts are satoshis (`*_sat`). [`Message::decode`] checks the size first, then the version
//! (an unknown version is rejected before anything else is parsed), then the body; unknown
//! fields in a body are rejected. Decoding checks only the encoding: points are valid,
//! amounts are at most 21 million bitcoin. Whether a message makes sense for a channel is
//! checked by [`crate::protocol::Channel`] before it touches the channel.

use std::fmt;
use std::str::FromStr;

use bitcoin::key::XOnlyPublicKey;
use bitcoin::{Amount, OutPoint};
use serde::{Deserialize, Serialize};

use super::hex;
use crate::crypto::memo::Memo;
use crate::crypto::musig::{PartialSignature, PublicNonce};
use crate::eltoo::{ChannelParams, ChannelState, Party, PartyKeys, Ptlc};

/// The message format version this build writes and reads.
pub const MESSAGE_VERSION: u32 = 1;

/// The largest encoded message [`Message::decode`] accepts, in bytes.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// The most PTLCs one state may carry (bounds message size and settlement weight).
pub const MAX_PTLCS: usize = 32;

/// What is wrong with an encoded message or one of its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The encoding is larger than [`MAX_MESSAGE_SIZE`].
    #[error("message is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message has a version this build does not speak.
    #[error(
        "message version {found} is not supported (this build speaks version {MESSAGE_VERSION}); \
         upgrade the peer that sent it or this program"
    )]
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// The input is not a message of this format.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A field has a well-formed encoding but an invalid value.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> MessageError {
    MessageError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// A checked amount in satoshis: at most 21 million bitcoin.
pub fn amount(field: &'static str, sat: u64) -> Result<Amount, MessageError> {
    let a = Amount::from_sat(sat);
    if a > Amount::MAX_MONEY {
        return Err(invalid(
            field,
            format!("{sat} sat is more than 21 million bitcoin"),
        ));
    }
    Ok(a)
}

fn point(field: &'static str, bytes: &[u8; 33]) -> Result<secp::Point, MessageError> {
    secp::Point::from_slice(bytes).map_err(|_| invalid(field, "not a valid compressed point"))
}

fn xonly_key(field: &'static str, bytes: &[u8; 32]) -> Result<XOnlyPublicKey, MessageError> {
    XOnlyPublicKey::from_slice(bytes).map_err(|_| invalid(field, "not a valid x-only key"))
}

/// The 32-byte identifier of a channel, chosen by the client that opens it (random).
/// Displayed and serialized as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub [u8; 32]);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChannelId({self})")
    }
}

impl FromStr for ChannelId {
    type Err = MessageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hex::decode(s)
            .map(ChannelId)
            .map_err(|reason| invalid("channel id", reason))
    }
}

impl Serialize for ChannelId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One party's public keys on the wire ([`PartyKeys`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireKeys {
    /// MuSig2 funding key, compressed point (33 bytes).
    #[serde(with = "hex::array")]
    pub funding: [u8; 33],
    /// x-only key of the party's `to_node` output: the internal key of a BIP86 address of
    /// the party's own wallet (its channel payout; any valid key is standard as P2TR).
    #[serde(with = "hex::array")]
    pub settlement: [u8; 32],
    /// x-only key for PTLC scripts.
    #[serde(with = "hex::array")]
    pub ptlc: [u8; 32],
}

impl From<&PartyKeys> for WireKeys {
    fn from(k: &PartyKeys) -> Self {
        WireKeys {
            funding: k.funding.serialize(),
            settlement: k.settlement.serialize(),
            ptlc: k.ptlc.serialize(),
        }
    }
}

impl TryFrom<&WireKeys> for PartyKeys {
    type Error = MessageError;

    /// Parsed once per process for the same bytes (issue 10: a client loads a channel's
    /// record several times per payment, and each of its three keys is a square root to
    /// lift): public keys only, in a bounded memo ([`crate::crypto::memo`]).
    fn try_from(k: &WireKeys) -> Result<Self, MessageError> {
        static PARSED: Memo<WireKeys, PartyKeys> = Memo::new();
        PARSED.try_get(k.clone(), || {
            Ok(PartyKeys {
                funding: point("funding key", &k.funding)?,
                settlement: xonly_key("settlement key", &k.settlement)?,
                ptlc: xonly_key("ptlc key", &k.ptlc)?,
            })
        })
    }
}

/// Channel parameters on the wire and in persisted channels ([`ChannelParams`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireParams {
    /// The client's keys.
    pub client: WireKeys,
    /// The server's keys.
    pub server: WireKeys,
    /// Funding amount.
    pub capacity_sat: u64,
    /// Relative delay of settlements, in blocks.
    pub shared_delay: u16,
    /// Outputs below this are trimmed into the anchor.
    pub dust_limit_sat: u64,
}

impl From<&ChannelParams> for WireParams {
    fn from(p: &ChannelParams) -> Self {
        WireParams {
            client: (&p.client).into(),
            server: (&p.server).into(),
            capacity_sat: p.capacity.to_sat(),
            shared_delay: p.shared_delay,
            dust_limit_sat: p.dust_limit.to_sat(),
        }
    }
}

impl TryFrom<&WireParams> for ChannelParams {
    type Error = MessageError;

    fn try_from(p: &WireParams) -> Result<Self, MessageError> {
        let params = ChannelParams {
            client: (&p.client).try_into()?,
            server: (&p.server).try_into()?,
            capacity: amount("capacity", p.capacity_sat)?,
            shared_delay: p.shared_delay,
            dust_limit: amount("dust limit", p.dust_limit_sat)?,
        };
        params
            .aggregate_key()
            .map_err(|e| invalid("funding keys", e.to_string()))?;
        Ok(params)
    }
}

/// A PTLC on the wire ([`Ptlc`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirePtlc {
    /// Who offers the PTLC (and takes it back on timeout).
    pub offerer: Party,
    /// Amount locked.
    pub amount_sat: u64,
    /// Payment point `T`, compressed (33 bytes).
    #[serde(with = "hex::array")]
    pub point: [u8; 33],
    /// Absolute block height of the timeout.
    pub expiry: u32,
}

impl From<&Ptlc> for WirePtlc {
    fn from(p: &Ptlc) -> Self {
        WirePtlc {
            offerer: p.offerer,
            amount_sat: p.amount.to_sat(),
            point: p.point.serialize(),
            expiry: p.expiry,
        }
    }
}

impl TryFrom<&WirePtlc> for Ptlc {
    type Error = MessageError;

    fn try_from(p: &WirePtlc) -> Result<Self, MessageError> {
        Ok(Ptlc {
            offerer: p.offerer,
            amount: amount("ptlc amount", p.amount_sat)?,
            point: point("ptlc point", &p.point)?,
            expiry: p.expiry,
        })
    }
}

/// A channel state on the wire ([`ChannelState`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireState {
    /// State number.
    pub number: u32,
    /// The client's balance.
    pub client_sat: u64,
    /// The server's balance.
    pub server_sat: u64,
    /// Pending PTLCs, in settlement output order.
    pub ptlcs: Vec<WirePtlc>,
}

impl From<&ChannelState> for WireState {
    fn from(s: &ChannelState) -> Self {
        WireState {
            number: s.number,
            client_sat: s.client.to_sat(),
            server_sat: s.server.to_sat(),
            ptlcs: s.ptlcs.iter().map(WirePtlc::from).collect(),
        }
    }
}

impl TryFrom<&WireState> for ChannelState {
    type Error = MessageError;

    fn try_from(s: &WireState) -> Result<Self, MessageError> {
        if s.ptlcs.len() > MAX_PTLCS {
            return Err(invalid(
                "ptlcs",
                format!("{} PTLCs, at most {MAX_PTLCS} allowed", s.ptlcs.len()),
            ));
        }
        Ok(ChannelState {
            number: s.number,
            client: amount("client balance", s.client_sat)?,
            server: amount("server balance", s.server_sat)?,
            ptlcs: s
                .ptlcs
                .iter()
                .map(Ptlc::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Client → S: open a channel. The client picks a fresh random channel id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenChannel {
    /// The new channel's id.
    pub channel_id: ChannelId,
    /// The client's keys.
    pub client_keys: WireKeys,
    /// Funding amount.
    pub capacity_sat: u64,
    /// Who funds the channel (and publishes the funding transaction).
    pub funder: Party,
    /// What the funder gives the other party in state 0 (usually 0).
    pub push_sat: u64,
    /// The settlement delay the client asks for; `None` lets S choose.
    pub shared_delay: Option<u16>,
}

impl OpenChannel {
    /// The balances of state 0: the funder has the capacity minus the push.
    pub fn initial_balances(&self) -> Result<(Amount, Amount), MessageError> {
        let capacity = amount("capacity", self.capacity_sat)?;
        let push = amount("push", self.push_sat)?;
        let funder = capacity.checked_sub(push).ok_or_else(|| {
            invalid(
                "push",
                format!(
                    "{} sat pushed is more than the capacity {} sat",
                    self.push_sat, self.capacity_sat
                ),
            )
        })?;
        Ok(match self.funder {
            Party::Client => (funder, push),
            Party::Server => (push, funder),
        })
    }
}

/// S → client: S accepts the channel, with its keys and the parameters S enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptChannel {
    /// The channel's id (as in [`OpenChannel`]).
    pub channel_id: ChannelId,
    /// S's keys.
    pub server_keys: WireKeys,
    /// Settlement delay in blocks.
    pub shared_delay: u16,
    /// Dust limit of settlement outputs.
    pub dust_limit_sat: u64,
    /// Confirmations of the funding transaction before the channel is open.
    pub minimum_depth: u32,
}

/// Funder → other party: the funding transaction is published (after state 0 was signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingPublished {
    /// The channel's id.
    pub channel_id: ChannelId,
    /// The funding outpoint, `txid:vout`.
    pub funding_outpoint: String,
}

impl FundingPublished {
    /// The funding outpoint.
    pub fn outpoint(&self) -> Result<OutPoint, MessageError> {
        self.funding_outpoint
            .parse()
            .map_err(|e| invalid("funding outpoint", format!("{e}")))
    }
}

/// Proposer → peer: sign state `number` with me; here is my public nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProposal {
    /// The channel's id.
    pub channel_id: ChannelId,
    /// The proposed state's number (latest signed + 1; 0 for the opening state).
    pub number: u32,
    /// The proposed state.
    pub state: WireState,
    /// The proposer's public nonce for the update signature, 66 bytes.
    #[serde(with = "hex::array")]
    pub proposer_nonce: [u8; 66],
}

impl UpdateProposal {
    /// The proposed state, checked field by field (not yet against the channel).
    pub fn next_state(&self) -> Result<ChannelState, MessageError> {
        let state = ChannelState::try_from(&self.state)?;
        if state.number != self.number {
            return Err(invalid(
                "state number",
                format!(
                    "proposal for state {} carries state {}",
                    self.number, state.number
                ),
            ));
        }
        Ok(state)
    }

    /// The proposer's public nonce.
    pub fn nonce(&self) -> Result<PublicNonce, MessageError> {
        public_nonce(&self.proposer_nonce)
    }
}

/// Peer → proposer: I accept state `number`; here is my public nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccept {
    /// The channel's id.
    pub channel_id: ChannelId,
    /// The accepted state's number.
    pub number: u32,
    /// The acceptor's public nonce, 66 bytes.
    #[serde(with = "hex::array")]
    pub nonce: [u8; 66],
}

impl UpdateAccept {
    /// The acceptor's public nonce.
    pub fn public_nonce(&self) -> Result<PublicNonce, MessageError> {
        public_nonce(&self.nonce)
    }
}

/// Either side → the other: my partial signature on update `number`.
///
/// Holds a secret in the asynchronous payment (`s_A` is what B sells to S), so its `Debug`
/// does not print the signature.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSignature {
    /// The channel's id.
    pub channel_id: ChannelId,
    /// The signed state's number.
    pub number: u32,
    /// The partial signature, 32 bytes.
    #[serde(with = "hex::array")]
    pub partial_signature: [u8; 32],
}

impl fmt::Debug for UpdateSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateSignature")
            .field("channel_id", &self.channel_id)
            .field("number", &self.number)
            .field("partial_signature", &"<secret>")
            .finish()
    }
}

impl UpdateSignature {
    /// The partial signature.
    pub fn partial(&self) -> Result<PartialSignature, MessageError> {
        PartialSignature::from_bytes(&self.partial_signature)
            .map_err(|e| invalid("partial signature", e.to_string()))
    }
}

fn public_nonce(bytes: &[u8; 66]) -> Result<PublicNonce, MessageError> {
    PublicNonce::from_bytes(bytes).map_err(|_| invalid("public nonce", "not two valid points"))
}

/// Every channel message. Encoded with its version by [`Message::encode`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
pub enum Message {
    /// [`OpenChannel`].
    OpenChannel(OpenChannel),
    /// [`AcceptChannel`].
    AcceptChannel(AcceptChannel),
    /// [`FundingPublished`].
    FundingPublished(FundingPublished),
    /// [`UpdateProposal`].
    UpdateProposal(UpdateProposal),
    /// [`UpdateAccept`].
    UpdateAccept(UpdateAccept),
    /// [`UpdateSignature`].
    UpdateSignature(UpdateSignature),
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    #[serde(flatten)]
    message: Message,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<serde_json::Value>,
}

impl Message {
    /// The channel the message is about.
    pub fn channel_id(&self) -> ChannelId {
        match self {
            Message::OpenChannel(m) => m.channel_id,
            Message::AcceptChannel(m) => m.channel_id,
            Message::FundingPublished(m) => m.channel_id,
            Message::UpdateProposal(m) => m.channel_id,
            Message::UpdateAccept(m) => m.channel_id,
            Message::UpdateSignature(m) => m.channel_id,
        }
    }

    /// The JSON encoding with `"version": 1`.
    pub fn encode(&self) -> Vec<u8> {
        let envelope = Envelope {
            version: MESSAGE_VERSION,
            message: self.clone(),
        };
        serde_json::to_vec(&envelope).expect("messages serialize to JSON")
    }

    /// Decodes a message: at most [`MAX_MESSAGE_SIZE`] bytes, version 1, known type, every
    /// field well-formed.
    pub fn decode(bytes: &[u8]) -> Result<Message, MessageError> {
        if bytes.len() > MAX_MESSAGE_SIZE {
            return Err(MessageError::TooLarge {
                size: bytes.len(),
                limit: MAX_MESSAGE_SIZE,
            });
        }
        let v: VersionOnly = serde_json::from_slice(bytes)
            .map_err(|e| MessageError::Malformed(format!("not a JSON object: {e}")))?;
        match v.version {
            None => {
                return Err(MessageError::Malformed(
                    "missing \"version\" field".to_string(),
                ))
            }
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(MESSAGE_VERSION.into()) => {}
            Some(serde_json::Value::Number(n)) => match n.as_u64() {
                Some(found) => return Err(MessageError::UnsupportedVersion { found }),
                None => {
                    return Err(MessageError::Malformed(format!(
                        "\"version\" must be a non-negative integer, got {n}"
                    )))
                }
            },
            Some(other) => {
                return Err(MessageError::Malformed(format!(
                    "\"version\" must be a non-negative integer, got {other}"
                )))
            }
        }
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
        Ok(envelope.message)
    }
}

macro_rules! into_message {
    ($($name:ident),*) => {$(
        impl From<$name> for Message {
            fn from(m: $name) -> Message {
                Message::$name(m)
            }
        }
    )*};
}

into_message!(
    OpenChannel,
    AcceptChannel,
    FundingPublished,
    UpdateProposal,
    UpdateAccept,
    UpdateSignature
);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message::UpdateAccept(UpdateAccept {
            channel_id: ChannelId([7; 32]),
            number: 3,
            nonce: [2; 66],
        })
    }

    #[test]
    fn party_keys_parsed_once_are_the_keys_and_a_bad_key_is_refused_every_time() {
        let g = secp::Point::generator();
        let good = WireKeys {
            funding: g.serialize(),
            settlement: g.serialize_xonly(),
            ptlc: (g + g).serialize_xonly(),
        };
        let first = PartyKeys::try_from(&good).unwrap();
        assert_eq!(first.funding, g);
        assert_eq!(first.ptlc.serialize(), (g + g).serialize_xonly());
        assert_eq!(PartyKeys::try_from(&good).unwrap(), first, "from the memo");
        // x = 5 is not on the curve: refused, and not remembered as anything.
        let mut bad = good.clone();
        bad.ptlc = [0; 32];
        bad.ptlc[31] = 5;
        for _ in 0..2 {
            assert!(PartyKeys::try_from(&bad).is_err());
        }
    }

    #[test]
    fn encodes_version_type_and_body() {
        let bytes = sample().encode();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["type"], "update_accept");
        assert_eq!(v["body"]["number"], 3);
        assert_eq!(v["body"]["channel_id"], "07".repeat(32));
        assert_eq!(Message::decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn rejects_bad_versions_sizes_and_fields() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample().encode()).unwrap();
        v["version"] = 2.into();
        let err = Message::decode(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err, MessageError::UnsupportedVersion { found: 2 });
        assert!(err.to_string().contains("version 2 is not supported"));
        v["version"] = "1".into();
        assert!(matches!(
            Message::decode(&serde_json::to_vec(&v).unwrap()),
            Err(MessageError::Malformed(_))
        ));
        v.as_object_mut().unwrap().remove("version");
        assert!(Message::decode(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .to_string()
            .contains("missing \"version\""));
        let big = vec![b' '; MAX_MESSAGE_SIZE + 1];
        assert!(matches!(
            Message::decode(&big),
            Err(MessageError::TooLarge { .. })
        ));
        let mut v: serde_json::Value = serde_json::from_slice(&sample().encode()).unwrap();
        v["body"]["extra"] = 1.into();
        assert!(Message::decode(&serde_json::to_vec(&v).unwrap()).is_err());
        v["body"].as_object_mut().unwrap().remove("extra");
        v["type"] = "update_teleport".into();
        assert!(Message::decode(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .to_string()
            .contains("update_teleport"));
    }

    #[test]
    fn channel_id_parses_and_prints_hex() {
        let id: ChannelId = "ab".repeat(32).parse().unwrap();
        assert_eq!(id, ChannelId([0xab; 32]));
        assert_eq!(id.to_string(), "ab".repeat(32));
        assert!("ab".parse::<ChannelId>().is_err());
    }

    #[test]
    fn wire_types_validate() {
        let state = WireState {
            number: 1,
            client_sat: 21_000_000 * 100_000_000 + 1,
            server_sat: 0,
            ptlcs: vec![],
        };
        assert!(ChannelState::try_from(&state)
            .unwrap_err()
            .to_string()
            .contains("more than 21 million"));
        let ptlc = WirePtlc {
            offerer: Party::Server,
            amount_sat: 1,
            point: [0; 33],
            expiry: 100,
        };
        assert!(Ptlc::try_from(&ptlc).is_err());
        let open = OpenChannel {
            channel_id: ChannelId([1; 32]),
            client_keys: WireKeys {
                funding: [2; 33],
                settlement: [0; 32],
                ptlc: [0; 32],
            },
            capacity_sat: 10,
            funder: Party::Server,
            push_sat: 11,
            shared_delay: None,
        };
        assert!(open.initial_balances().is_err());
        let sig = UpdateSignature {
            channel_id: ChannelId([1; 32]),
            number: 1,
            partial_signature: [0x11; 32],
        };
        assert!(!format!("{sig:?}").contains("1111"));
    }
}
