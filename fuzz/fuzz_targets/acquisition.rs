//! libFuzzer target `acquisition`: see `msal_fuzz::acquisition`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::acquisition(data));
