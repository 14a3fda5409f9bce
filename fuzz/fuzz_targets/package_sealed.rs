#![no_main]
//! See `asyncpay_fuzz::decoders::package_sealed` (tests/common/decoders.rs).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| asyncpay_fuzz::decoders::package_sealed(data));
