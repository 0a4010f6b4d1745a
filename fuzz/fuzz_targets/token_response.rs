//! libFuzzer target `token_response`: see `msal_fuzz::token_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msal_fuzz::token_response(data));
