//! `Verifier::verify` with pinned keys: every reason, tokens signed here with ring.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use resource_verifier::{PeerCertificate, Reason, Scheme, StaticJwks, Verifier};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

const ISS: &str = "https://login.microsoftonline.com/t/v2.0";
const AUD: &str = "api://resource";

struct Issuer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Issuer {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Issuer { key, rng }
    }

    fn jwks(&self, kid: &str) -> String {
        let (x, y) = self.key.public_key().as_ref()[1..].split_at(32);
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
            "x": B64.encode(x), "y": B64.encode(y)}]})
        .to_string()
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self.key.sign(&self.rng, input.as_bytes()).unwrap();
        format!("{input}.{}", B64.encode(sig.as_ref()))
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(cert: &PeerCertificate) -> Value {
    json!({"iss": ISS, "aud": AUD, "exp": now() + 600, "nbf": now() - 10, "appid": "app",
        "cnf": {"x5t#S256": cert.thumbprint()}})
}

fn verifier(issuer: &Issuer, bearer: bool) -> Verifier {
    Verifier::builder()
        .issuer(ISS)
        .audience(AUD)
        .accept_bearer_with_cnf(bearer)
        .clock_skew(Duration::from_secs(60))
        .jwks(StaticJwks::new(issuer.jwks("k1")))
        .build()
        .unwrap()
}

#[tokio::test]
async fn accepts_a_bound_token_with_its_certificate() {
    let issuer = Issuer::new();
    let cert = PeerCertificate::from_der(b"client certificate".to_vec());
    let token = issuer.sign(&json!({"alg": "ES256", "kid": "k1"}), &claims(&cert));
    let v = verifier(&issuer, false);
    let ok = v
        .verify(Some(format!("mtls_pop {token}").as_bytes()), Some(&cert))
        .await
        .unwrap();
    assert_eq!(ok.scheme(), Scheme::MtlsPop);
    assert_eq!(ok.claim_str("appid"), Some("app"));
    assert_eq!(ok.bound_thumbprint(), cert.thumbprint());
    // Bearer only when configured (RFC 8705 servers).
    let bearer = format!("Bearer {token}");
    let refused = v.verify(Some(bearer.as_bytes()), Some(&cert)).await;
    assert_eq!(refused.unwrap_err().reason(), Reason::UnsupportedScheme);
    let rfc8705 = verifier(&issuer, true);
    let ok = rfc8705
        .verify(Some(bearer.as_bytes()), Some(&cert))
        .await
        .unwrap();
    assert_eq!(ok.scheme(), Scheme::Bearer);
}

#[tokio::test]
async fn refuses_each_broken_rule_with_its_reason() {
    let issuer = Issuer::new();
    let cert = PeerCertificate::from_der(b"client certificate".to_vec());
    let other = PeerCertificate::from_der(b"another".to_vec());
    let v = verifier(&issuer, true);
    let header = json!({"alg": "ES256", "kid": "k1"});
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(&cert);
        f(&mut c);
        format!("mtls_pop {}", issuer.sign(&header, &c))
    };
    let stranger = Issuer::new();
    let cases: Vec<(String, Option<&PeerCertificate>, Reason)> = vec![
        (with(&|_| {}), Some(&other), Reason::BindingMismatch),
        (with(&|_| {}), None, Reason::NoClientCertificate),
        (
            with(&|c| c["exp"] = json!(now() - 61)),
            Some(&cert),
            Reason::Expired,
        ),
        (
            with(&|c| c["nbf"] = json!(now() + 120)),
            Some(&cert),
            Reason::NotYetValid,
        ),
        (
            with(&|c| c["iss"] = json!("https://evil/v2.0")),
            Some(&cert),
            Reason::WrongIssuer,
        ),
        (
            with(&|c| c["aud"] = json!("api://other")),
            Some(&cert),
            Reason::WrongAudience,
        ),
        (
            with(&|c| c["cnf"] = json!({})),
            Some(&cert),
            Reason::MissingBinding,
        ),
        (
            format!("mtls_pop {}", stranger.sign(&header, &claims(&cert))),
            Some(&cert),
            Reason::BadSignature,
        ),
        (
            format!(
                "mtls_pop {}",
                issuer.sign(&json!({"alg": "ES256", "kid": "k2"}), &claims(&cert))
            ),
            Some(&cert),
            Reason::UnknownKey,
        ),
        (
            format!(
                "mtls_pop {}",
                issuer.sign(&json!({"alg": "none", "kid": "k1"}), &claims(&cert))
            ),
            Some(&cert),
            Reason::UnsupportedAlgorithm,
        ),
        (
            "mtls_pop abc".to_owned(),
            Some(&cert),
            Reason::MalformedToken,
        ),
        (
            "Basic abc".to_owned(),
            Some(&cert),
            Reason::UnsupportedScheme,
        ),
    ];
    for (authorization, peer, reason) in cases {
        let err = v
            .verify(Some(authorization.as_bytes()), peer)
            .await
            .unwrap_err();
        assert_eq!(err.reason(), reason, "{err}");
        let token = authorization.split(' ').nth(1).unwrap();
        assert!(!err.to_string().contains(token));
    }
    let err = v.verify(None, Some(&cert)).await.unwrap_err();
    assert_eq!(err.reason(), Reason::MissingToken);
}

#[tokio::test]
async fn unreachable_keys_are_a_retryable_503() {
    let issuer = Issuer::new();
    let v = Verifier::builder()
        .issuer(ISS)
        .audience(AUD)
        .jwks(StaticJwks::new("not json"))
        .build()
        .unwrap();
    let cert = PeerCertificate::from_der(b"c".to_vec());
    let token = issuer.sign(&json!({"alg": "ES256", "kid": "k1"}), &claims(&cert));
    let err = v
        .verify(Some(format!("mtls_pop {token}").as_bytes()), Some(&cert))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::KeysUnavailable);
    assert_eq!(err.reason().status(), 503);
    assert!(err.is_retryable());
}
