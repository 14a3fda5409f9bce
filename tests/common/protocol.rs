//! Small helpers of the in-process two-party harnesses (tests/protocol.rs, tests/watch.rs).

use asyncpay::eltoo::ChannelState;
use asyncpay::protocol::{Channel, Message};
use bitcoin::hashes::{sha256, Hash};

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
