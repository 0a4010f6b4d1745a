//! libFuzzer target `jwt_verifier`: see `msal_fuzz::jwt_verifier`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::jwt_verifier(data));
