//! Shared test fixtures: channel keys and parameters from small seeds.
#![allow(dead_code)]

pub mod duo;
pub mod procs;
pub mod protocol;
pub mod story;

use asyncpay::eltoo::{xonly, ChannelParams, PartyKeys, DUST_LIMIT};
use bitcoin::Amount;
use secp::{Point, Scalar};

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
