#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod xeplint_fuzz_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    xeplint_fuzz_harness::human(data);
});
