//! asyncpay: asynchronous Lightning payments over eltoo channels.
//!
//! The payer A pays while the payee B is offline; the always-online server S buys A's partial
//! signature from B over a PTLC and never holds money it could run away with.
//!
//! Layers: [`crypto`] (MuSig2, payment points, adaptor signatures, BIP118 digests) and
//! [`eltoo`] (channel transactions) do no I/O; [`chain`] is the local regtest ledger.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
pub mod cli;
pub mod client;
pub mod crypto;
pub mod eltoo;
pub mod keys;
pub mod net;
pub mod payment;
pub mod protocol;
pub mod server;
pub mod store;
pub mod units;
pub mod wallet;
pub mod watch;
