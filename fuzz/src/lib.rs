//! The checks the fuzz targets run: `tests/common/decoders.rs` of the main crate, shared with
//! the bounded proptest version in `tests/fuzz_decoders.rs`.

#[path = "../../tests/common/decoders.rs"]
pub mod decoders;
