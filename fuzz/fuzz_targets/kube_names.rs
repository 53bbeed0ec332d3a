//! The `kube_names` target: the properties of `fuzz_checks::kube_names` on the fuzzer's bytes.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::kube_names(data));
