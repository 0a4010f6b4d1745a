//! libFuzzer target `cache_file`: see `msal_fuzz::cache_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::cache_file(data));
