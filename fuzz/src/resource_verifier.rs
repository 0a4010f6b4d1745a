//! The `resource_verifier` target: `msal-resource-verifier`'s check of one request.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use resource_verifier::{PeerCertificate, StaticJwks, Verifier};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};

/// The issuer and audience the fuzzed tokens are checked against.
const ISSUER: &str = "https://login.microsoftonline.com/t/v2.0";
const AUDIENCE: &str = "api://fuzz";
/// The `kid` of the harness's signing key.
const KID: &str = "fuzz-key";

struct Harness {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    jwks: String,
    verifier: Verifier,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("key generation");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("key loads");
        let (x, y) = key.public_key().as_ref()[1..].split_at(32);
        let jwks = format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"{KID}","alg":"ES256","x":"{}","y":"{}"}}]}}"#,
            B64.encode(x),
            B64.encode(y)
        );
        let verifier = verifier(jwks.as_bytes());
        Harness {
            key,
            rng,
            jwks,
            verifier,
        }
    })
}

fn verifier(jwks: &[u8]) -> Verifier {
    Verifier::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .accept_bearer_with_cnf(true)
        .jwks(StaticJwks::new(jwks))
        .build()
        .expect("verifier builds")
}

/// Polls `f` once: with static keys the verifier never waits, so `Pending` is a finding.
fn now<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the verifier waited although its keys are static"),
    }
}

/// Splits at the first NUL: (first, rest).
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// `Verifier::verify` on fuzzed input. The first byte picks the mode:
/// - `0`: `authorization NUL certificate` as sent, checked against the harness's key;
/// - `1`: `claims NUL certificate`; the harness signs the claims JSON with its key, so the
///   fuzzer reaches the claim and binding checks;
/// - other: `jwks NUL authorization` with the JWKS document fuzzed.
///
/// Properties: an accepted token is bound to exactly the presented certificate, and no
/// rejection's description contains a JWS-shaped token.
pub fn resource_verifier(data: &[u8]) {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let h = harness();
    let (first, rest) = split(data);
    let (verifier, authorization, cert) = match mode {
        0 => (h.verifier.clone(), first.to_vec(), rest),
        1 => (h.verifier.clone(), signed(h, first).into_bytes(), rest),
        _ => (verifier(first), rest.to_vec(), &[][..]),
    };
    let peer = (!cert.is_empty()).then(|| PeerCertificate::from_der(cert));
    match now(verifier.verify(Some(&authorization), peer.as_ref())) {
        Ok(token) => {
            let peer = peer.expect("a token was accepted without a client certificate");
            assert_eq!(token.bound_thumbprint(), peer.thumbprint());
        }
        Err(rejection) => {
            // A JWS-shaped token (dots, no spaces): the fixed messages contain no dot, so a
            // hit is the token's text, not the fuzzer copying a message into its input.
            let token = authorization.splitn(2, |&b| b == b' ').nth(1).unwrap_or(&[]);
            let jws_like = token.contains(&b'.') && !token.iter().any(u8::is_ascii_whitespace);
            if jws_like && token.len() >= 16 {
                let shown = rejection.to_string();
                assert!(
                    !shown.as_bytes().windows(token.len()).any(|w| w == token),
                    "a rejection shows the token"
                );
            }
        }
    }
    let _ = &h.jwks;
}

/// `mtls_pop <header>.<claims>.<ES256 signature>` over the fuzzed claims bytes.
fn signed(h: &Harness, claims: &[u8]) -> String {
    let header = B64.encode(format!(r#"{{"alg":"ES256","kid":"{KID}"}}"#));
    let input = format!("{header}.{}", B64.encode(claims));
    let sig = h.key.sign(&h.rng, input.as_bytes()).expect("signing");
    format!("mtls_pop {input}.{}", B64.encode(sig.as_ref()))
}
