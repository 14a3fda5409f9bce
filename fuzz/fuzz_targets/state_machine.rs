#![no_main]
//! The state-machine fuzzer of one eltoo channel: the input is decoded into a case by
//! `asyncpay_fuzz::state_machine::case_from_bytes` and run through the harness of
//! tests/common/state_machine.rs (every invariant violation panics: a crash).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(case) = asyncpay_fuzz::state_machine::case_from_bytes(data) {
        case.run();
    }
});
