//! The `argocd` target: the properties of `fuzz_checks::argocd` on the fuzzer's bytes.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::argocd(data));
