//! libFuzzer target `certificate`: see `msal_fuzz::certificate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::certificate(data));
