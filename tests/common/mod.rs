//! Shared test fixtures: channel keys and parameters from small seeds.
#![allow(dead_code)]

pub mod bitcoind;
pub mod duo;
pub mod fault;
pub mod hostile;
pub mod pause;
pub mod procs;
pub mod protocol;
pub mod records;
pub mod story;

use asyncpay::eltoo::{ChannelParams, DUST_LIMIT};
use bitcoin::Amount;
use secp::Point;

/// Defined in `protocol.rs`, which the fuzz crate includes on its own (see `fuzz/src/lib.rs`).
pub use protocol::PartySecrets;

pub fn params(
    client: &PartySecrets,
    server: &PartySecrets,
    capacity: u64,
    delay: u16,
) -> ChannelParams {
    ChannelParams {
        client: client.keys(),
        server: server.keys(),
        capacity: Amount::from_sat(capacity),
        shared_delay: delay,
        dust_limit: DUST_LIMIT,
    }
}

/// The x-only key of a scalar as a secp point with even y (what BIP340 verifies under).
pub fn even(point: Point) -> Point {
    point.to_even_y()
}
