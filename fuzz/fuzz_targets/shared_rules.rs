//! The `shared_rules` target: the properties of `fuzz_checks::shared_rules` on the fuzzer's bytes.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::shared_rules(data));
