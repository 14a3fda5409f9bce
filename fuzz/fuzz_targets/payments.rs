#![no_main]
//! The state-machine fuzzer of asynchronous payments: A, B and S in one process (see
//! tests/common/network.rs). The input is one byte per step (`case_from_bytes`); every
//! invariant violation panics: a crash.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    asyncpay_fuzz::network::run_case(&asyncpay_fuzz::network::case_from_bytes(data));
});
