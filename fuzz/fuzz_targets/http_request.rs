//! The `http_request` target: the properties of `fuzz_checks::http_request` on the fuzzer's bytes.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::http_request(data));
