//! libFuzzer target `resource_verifier`: see `msal_fuzz::resource_verifier`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::resource_verifier(data));
