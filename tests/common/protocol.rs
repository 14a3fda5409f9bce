//! Small helpers of the in-process two-party harnesses (tests/protocol.rs, tests/watch.rs,
//! common/state_machine.rs). The fuzz crate includes this file with `#[path]` (see
//! `fuzz/src/lib.rs`): it uses only `asyncpay`, `bitcoin`, `secp` and `serde_json`.

use asyncpay::eltoo::{xonly, ChannelState, PartyKeys};
use asyncpay::protocol::{Channel, Message};
use bitcoin::hashes::{sha256, Hash};
use secp::Scalar;

/// Deterministic "OS randomness": SHA-256 of a label and a counter.
pub struct Rand(pub u64, pub &'static str);

impl Rand {
    /// The next 32 bytes.
    pub fn next(&mut self) -> [u8; 32] {
        self.0 += 1;
        let mut input = self.1.as_bytes().to_vec();
        input.extend_from_slice(&self.0.to_be_bytes());
        sha256::Hash::hash(&input).to_byte_array()
    }
}

/// Persists a channel (JSON round trip, which must be stable) and continues from the loaded
/// copy, as a caller that writes before it sends does.
pub fn persist(channel: Channel) -> Channel {
    let json = serde_json::to_string(&channel).unwrap();
    drop(channel);
    let restored: Channel = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&restored).unwrap(), json);
    restored
}

/// A message over the wire: encode, size-bounded decode.
pub fn wire<M: Into<Message>>(m: M) -> Message {
    Message::decode(&m.into().encode()).unwrap()
}

/// A policy that accepts every state the protocol itself accepts.
pub fn accept_all(_: Option<&ChannelState>, _: &ChannelState) -> Result<(), String> {
    Ok(())
}

/// Secret keys of one party in a channel.
pub struct PartySecrets {
    pub funding: Scalar,
    pub settlement: Scalar,
    pub ptlc: Scalar,
}

impl PartySecrets {
    pub fn from_seed(seed: u8) -> Self {
        let key = |i: u8| Scalar::try_from([seed, i].repeat(16).as_slice()).unwrap();
        Self {
            funding: key(1),
            settlement: key(2),
            ptlc: key(3),
        }
    }

    pub fn keys(&self) -> PartyKeys {
        PartyKeys {
            funding: self.funding.base_point_mul(),
            settlement: xonly(&self.settlement.base_point_mul()),
            ptlc: xonly(&self.ptlc.base_point_mul()),
        }
    }
}
