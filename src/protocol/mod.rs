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
//! value. A crash before persisting loses nothing: the message was never sent, and the
//! caller resumes from the persisted copy. Replaying `sign` there gives the byte-identical
//! partial signature (the session is fixed once both public nonces are recorded), and once
//! the signed channel is persisted its secret nonce is gone, so a nonce never signs two
//! different messages, across crashes and restarts. Restoring an older backup that still
//! holds a used nonce is the caller's hazard to prevent (PROTOCOL.md §7.3).

pub mod channel;
pub(crate) mod hex;
pub mod history;
pub mod messages;

pub use channel::{
    Channel, ChannelError, ChannelStatus, OpenPolicy, PendingUpdate, SignedState,
    CHANNEL_FORMAT_VERSION,
};
pub use history::{FrozenChunk, HistoryChunk, HISTORY_CHUNK};

pub use messages::{
    AcceptChannel, ChannelId, FundingPublished, Message, MessageError, OpenChannel, UpdateAccept,
    UpdateProposal, UpdateSignature, WireKeys, WireParams, WirePtlc, WireState, MAX_MESSAGE_SIZE,
    MAX_PTLCS, MESSAGE_VERSION,
};
