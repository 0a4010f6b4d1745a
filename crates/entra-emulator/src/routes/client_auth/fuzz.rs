//! The fuzzing hook over every step of client-assertion handling that reads untrusted bytes.

use serde_json::Value;

use super::assertion_claims::check_times;
use super::certificate::header_x5c;
use crate::certs;
use crate::jwt::{self, Jws};
use crate::respond::now_secs;

/// Runs every step of client-assertion handling that reads untrusted bytes, on `input` as the
/// `client_assertion` form value: JWS splitting and decoding, header parsing (`alg`, `x5t`,
/// `x5t#S256`, `x5c`), certificate parsing, validity and chain walking over the `x5c` chain
/// (anchored at its own last certificate), signature verification, time claims, and the
/// federated path (verifying it as an emulator-issued token). Results are discarded; only
/// panics, hangs and excessive memory matter. The fuzzing entry point behind
/// [`crate::fuzz_parse_jwt`].
pub(crate) fn fuzz_assertion(input: &[u8]) {
    static SIGNER: std::sync::OnceLock<Option<jwt::TokenSigner>> = std::sync::OnceLock::new();
    // Form values reach the handlers decoded as lossy UTF-8.
    let token = String::from_utf8_lossy(input);
    if let Some(signer) = SIGNER.get_or_init(|| jwt::TokenSigner::generate().ok()) {
        let _ = signer.verify(&token, now_secs());
    }
    let Ok(jws) = Jws::parse(&token) else {
        return;
    };
    let _ = jws.alg().map(jwt::is_supported_assertion_alg);
    let _ = jws.header_str("kid");
    let _ = jws.header_str("x5t#S256").map(jwt::b64url_decode_lenient);
    let _ = jws.header_str("x5t").map(jwt::b64url_decode_lenient);
    let _ = (jws.claim_str("iss"), jws.claim_str("sub"));
    if let Some(Value::String(aud)) = jws.claims.get("aud") {
        let _ = url::Url::parse(aud);
    }
    if let Ok(Some(chain)) = header_x5c(&jws) {
        let now = now_secs();
        for der in &chain {
            if let Ok(cert) = certs::parse(der) {
                let _ = certs::common_name(&cert);
                let _ = certs::check_validity(&cert, now, "certificate");
                let _ = jws.verify_with_certificate(&cert);
            }
        }
        if let Some((anchor, _)) = chain.split_last() {
            let _ =
                certs::chains_to_trusted(&chain[0], &chain[1..], std::slice::from_ref(anchor), now);
        }
    }
    let _ = check_times(&jws);
}
