//! The checks the fuzz targets run, shared with the bounded proptest versions of the main
//! crate: `tests/common/decoders.rs` (`tests/fuzz_decoders.rs`),
//! `tests/common/state_machine.rs` (`tests/state_machine.rs`) and `tests/common/network.rs`
//! (`tests/payments_state_machine.rs`). `common` mirrors the test crates' `mod common` so the
//! shared files' `crate::common::protocol` paths resolve here too (only `common/protocol.rs`:
//! `common/mod.rs` pulls in the process helpers).

#[path = "../../tests/common/decoders.rs"]
pub mod decoders;

#[path = "../../tests/common/protocol.rs"]
pub mod common_protocol;

pub mod common {
    pub use super::common_protocol as protocol;
}

#[path = "../../tests/common/state_machine.rs"]
pub mod state_machine;

#[path = "../../tests/common/network.rs"]
pub mod network;
