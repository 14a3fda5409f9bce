//! The channel protocol, sans I/O: messages ([`messages`]) and the state machine of one
//! channel as seen by one side ([`channel`]).
//!
//! Nothing here reads a clock, a file, a socket or a random source, or prints: callers pass
//! randomness (32 bytes from the OS for every new nonce), heights and messages in, and get the
//! next [`Channel`] plus the messages to send out.
//!
//! **Persistence rule** (PROTOCOL.md §7.3, §7.4): every transition returns a new [`Channel`].
//! The caller persists it (encrypted, atomically) *before* sending any message the
//! transition returned or that is built from it, and from then on uses only the returned
//! value. A crash before persisting loses nothing: the message was never sent, and replaying
//! the transition on the persisted copy yields the same result (for `sign`, byte-identical
//! partial signatures: the session is fixed once both public nonces are recorded).

pub mod channel;
mod hex;
pub mod messages;

pub use channel::{
    Channel, ChannelError, ChannelStatus, OpenPolicy, PendingUpdate, SignedState,
    CHANNEL_FORMAT_VERSION,
};

pub use messages::{
    AcceptChannel, ChannelId, FundingPublished, Message, MessageError, OpenChannel, UpdateAccept,
    UpdateProposal, UpdateSignature, WireKeys, WireParams, WirePtlc, WireState, MAX_MESSAGE_SIZE,
    MESSAGE_VERSION,
};
