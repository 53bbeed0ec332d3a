//! The `validate` target: the properties of `fuzz_checks::validate` on the fuzzer's bytes.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::validate(data));
