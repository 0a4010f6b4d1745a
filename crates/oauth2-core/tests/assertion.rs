//! Client assertion JWTs: exact header/claims, signatures, caching.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oauth2_core::{
    decode_jwt_unverified, sign_client_assertion, AssertionCache, AssertionFlavor,
    AssertionOptions, ClientCertificate,
};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

const LEAF_COMBINED: &[u8] = include_bytes!("fixtures/leaf-combined.pem");
const EC_P256_PEM: &[u8] = include_bytes!("fixtures/ec-p256.pem");
const EC_P256_KEY: &[u8] = include_bytes!("fixtures/ec-p256.key");
const EC_P384_PEM: &[u8] = include_bytes!("fixtures/ec-p384.pem");
const EC_P384_KEY: &[u8] = include_bytes!("fixtures/ec-p384.key");

const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
const AUD: &str =
    "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555/oauth2/v2.0/token";

fn rsa() -> ClientCertificate {
    ClientCertificate::from_pem(LEAF_COMBINED).unwrap()
}

fn ec256() -> ClientCertificate {
    ClientCertificate::from_pem_parts(EC_P256_PEM, EC_P256_KEY).unwrap()
}

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Splits a JWT into (header JSON text, claims JSON text, signing input, signature bytes).
fn split(jwt: &str) -> (String, String, String, Vec<u8>) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    for p in &parts {
        assert!(!p.contains('='), "segments are unpadded");
        assert!(!p.contains(['+', '/']), "segments are base64url");
    }
    let text = |s: &str| String::from_utf8(URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (
        text(parts[0]),
        text(parts[1]),
        format!("{}.{}", parts[0], parts[1]),
        URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    )
}

fn verify(cert: &ClientCertificate, alg: &'static dyn VerificationAlgorithm, jwt: &str) {
    let (_, _, input, sig) = split(jwt);
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.leaf_der()).unwrap();
    let public = parsed.public_key().subject_public_key.data.to_vec();
    UnparsedPublicKey::new(alg, public)
        .verify(input.as_bytes(), &sig)
        .expect("signature verifies against the leaf public key");
}

#[test]
fn entra_rsa_assertion_is_ps256_with_x5t_s256() {
    let cert = rsa();
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    assert!(!opts.send_x5c);
    assert_eq!(opts.flavor, AssertionFlavor::Entra);
    assert_eq!(opts.lifetime, Duration::from_secs(600));

    let a = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap();
    let jwt = a.jwt().expose_secret();
    let (header, claims, _, _) = split(jwt);
    assert_eq!(
        header,
        format!(
            r#"{{"alg":"PS256","typ":"JWT","x5t#S256":"{}"}}"#,
            cert.x5t_s256()
        )
    );
    let (_, decoded) = decode_jwt_unverified(jwt).unwrap();
    let jti = decoded["jti"].as_str().unwrap();
    let parsed_jti = uuid::Uuid::parse_str(jti).unwrap();
    assert_eq!(parsed_jti.get_version_num(), 4);
    assert_eq!(
        claims,
        format!(
            r#"{{"aud":"{AUD}","iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","jti":"{jti}","nbf":1700000000,"iat":1700000000,"exp":1700000600}}"#
        )
    );
    assert_eq!(a.expires_at(), t(1_700_000_600));
    verify(&cert, &signature::RSA_PSS_2048_8192_SHA256, jwt);
}

#[test]
fn x5c_is_added_after_the_thumbprint_when_requested() {
    let cert = rsa();
    let mut opts = AssertionOptions::new(CLIENT_ID, AUD);
    opts.send_x5c = true;
    let a = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap();
    let (header, _, _, _) = split(a.jwt().expose_secret());
    assert_eq!(
        header,
        format!(
            r#"{{"alg":"PS256","typ":"JWT","x5t#S256":"{}","x5c":["{}","{}"]}}"#,
            cert.x5t_s256(),
            cert.x5c()[0],
            cert.x5c()[1]
        )
    );
    let (h, _) = decode_jwt_unverified(a.jwt().expose_secret()).unwrap();
    assert_eq!(h["x5c"].as_array().unwrap().len(), 2);
    assert!(h.get("x5t").is_none());
}

#[test]
fn adfs_rsa_assertion_is_rs256_with_x5t() {
    let cert = rsa();
    let mut opts = AssertionOptions::new("adfs-client", "https://fs.contoso.com/adfs/oauth2/token");
    opts.flavor = AssertionFlavor::Adfs;
    let a = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap();
    let jwt = a.jwt().expose_secret();
    let (header, _, _, _) = split(jwt);
    assert_eq!(
        header,
        format!(r#"{{"alg":"RS256","typ":"JWT","x5t":"{}"}}"#, cert.x5t())
    );
    let (_, claims) = decode_jwt_unverified(jwt).unwrap();
    assert_eq!(claims["aud"], "https://fs.contoso.com/adfs/oauth2/token");
    assert_eq!(claims["iss"], "adfs-client");
    assert_eq!(claims["sub"], "adfs-client");
    verify(&cert, &signature::RSA_PKCS1_2048_8192_SHA256, jwt);
}

#[test]
fn ec_assertions_use_es256_and_es384() {
    let p256 = ec256();
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    let a = sign_client_assertion(&p256, &opts, t(1_700_000_000)).unwrap();
    let (header, _, _, sig) = split(a.jwt().expose_secret());
    assert_eq!(
        header,
        format!(
            r#"{{"alg":"ES256","typ":"JWT","x5t#S256":"{}"}}"#,
            p256.x5t_s256()
        )
    );
    assert_eq!(sig.len(), 64);
    verify(
        &p256,
        &signature::ECDSA_P256_SHA256_FIXED,
        a.jwt().expose_secret(),
    );

    let mut adfs = opts.clone();
    adfs.flavor = AssertionFlavor::Adfs;
    let a = sign_client_assertion(&p256, &adfs, t(1_700_000_000)).unwrap();
    let (header, _, _, _) = split(a.jwt().expose_secret());
    assert_eq!(
        header,
        format!(r#"{{"alg":"ES256","typ":"JWT","x5t":"{}"}}"#, p256.x5t())
    );

    let p384 = ClientCertificate::from_pem_parts(EC_P384_PEM, EC_P384_KEY).unwrap();
    let a = sign_client_assertion(&p384, &opts, t(1_700_000_000)).unwrap();
    let (h, _) = decode_jwt_unverified(a.jwt().expose_secret()).unwrap();
    assert_eq!(h["alg"], "ES384");
    verify(
        &p384,
        &signature::ECDSA_P384_SHA384_FIXED,
        a.jwt().expose_secret(),
    );
}

#[test]
fn lifetime_and_sub_second_now() {
    let mut opts = AssertionOptions::new(CLIENT_ID, AUD);
    opts.lifetime = Duration::from_secs(120);
    let now = t(1_700_000_000) + Duration::from_millis(999);
    let a = sign_client_assertion(&rsa(), &opts, now).unwrap();
    let (_, c) = decode_jwt_unverified(a.jwt().expose_secret()).unwrap();
    assert_eq!(c["iat"], 1_700_000_000u64);
    assert_eq!(c["nbf"], 1_700_000_000u64);
    assert_eq!(c["exp"], 1_700_000_120u64);
    assert_eq!(a.expires_at(), t(1_700_000_120));
}

#[test]
fn each_assertion_has_a_fresh_jti() {
    let cert = rsa();
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    let a = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap();
    let b = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap();
    let jti = |x: &oauth2_core::ClientAssertion| {
        decode_jwt_unverified(x.jwt().expose_secret()).unwrap().1["jti"].clone()
    };
    assert_ne!(jti(&a), jti(&b));
}

#[test]
fn empty_client_id_or_audience_is_rejected() {
    let cert = rsa();
    for opts in [
        AssertionOptions::new("", AUD),
        AssertionOptions::new(CLIENT_ID, ""),
    ] {
        let err = sign_client_assertion(&cert, &opts, t(1_700_000_000)).unwrap_err();
        assert_eq!(err.code(), "signing_failed");
    }
}

#[test]
fn debug_redacts_the_jwt() {
    let a = sign_client_assertion(
        &rsa(),
        &AssertionOptions::new(CLIENT_ID, AUD),
        t(1_700_000_000),
    )
    .unwrap();
    let dbg = format!("{a:?} {a:#?}");
    let jwt = a.jwt().expose_secret();
    for segment in jwt.split('.') {
        assert!(!dbg.contains(&segment[..20]), "Debug leaks a JWT segment");
    }
    assert!(dbg.contains("<redacted>"));
}

// ----------------------------------------------------------------------------- cache

#[test]
fn cache_reuses_within_the_window_and_resigns_after() {
    let cert = rsa();
    let cache = AssertionCache::new();
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    let t0 = t(1_700_000_000);

    let first = cache.get_or_sign(&cert, &opts, t0).unwrap();
    let jwt = first.jwt().expose_secret().to_owned();
    // 539 s later: 61 s left, reused (same JWT, same jti)
    for later in [0, 1, 300, 539] {
        let again = cache
            .get_or_sign(&cert, &opts, t0 + Duration::from_secs(later))
            .unwrap();
        assert_eq!(again.jwt().expose_secret(), jwt, "reused at +{later}s");
    }
    // 540 s later: only 60 s left, re-signed
    let renewed = cache
        .get_or_sign(&cert, &opts, t0 + Duration::from_secs(540))
        .unwrap();
    assert_ne!(renewed.jwt().expose_secret(), jwt);
    assert_eq!(renewed.expires_at(), t(1_700_000_540 + 600));
    // and the renewed one is now the cached one
    let again = cache
        .get_or_sign(&cert, &opts, t0 + Duration::from_secs(541))
        .unwrap();
    assert_eq!(again.jwt().expose_secret(), renewed.jwt().expose_secret());
}

#[test]
fn cache_does_not_reuse_across_inputs() {
    let cert = rsa();
    let cache = AssertionCache::new();
    let t0 = t(1_700_000_000);
    let base = AssertionOptions::new(CLIENT_ID, AUD);
    let first = cache.get_or_sign(&cert, &base, t0).unwrap();
    let first = first.jwt().expose_secret().to_owned();

    let mut variants = Vec::new();
    let mut o = base.clone();
    o.audience = "https://mtlsauth.microsoft.com/tenant/oauth2/v2.0/token".into();
    variants.push((o, cert.clone()));
    let mut o = base.clone();
    o.client_id = "other-client".into();
    variants.push((o, cert.clone()));
    let mut o = base.clone();
    o.send_x5c = true;
    variants.push((o, cert.clone()));
    let mut o = base.clone();
    o.flavor = AssertionFlavor::Adfs;
    variants.push((o, cert.clone()));
    variants.push((base.clone(), ec256()));

    for (opts, cert) in &variants {
        let a = cache.get_or_sign(cert, opts, t0).unwrap();
        assert_ne!(a.jwt().expose_secret(), first, "{opts:?}");
        let (_, c) = decode_jwt_unverified(a.jwt().expose_secret()).unwrap();
        assert_eq!(c["aud"], opts.audience.as_str());
    }
    // the original entry is still there
    let again = cache
        .get_or_sign(&cert, &base, t0 + Duration::from_secs(10))
        .unwrap();
    assert_eq!(again.jwt().expose_secret(), first);
}

#[test]
fn cache_does_not_hand_out_assertions_from_the_future() {
    // the clock went backwards: the cached assertion's nbf is after `now`
    let cert = rsa();
    let cache = AssertionCache::new();
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    let a = cache.get_or_sign(&cert, &opts, t(1_700_000_100)).unwrap();
    let b = cache.get_or_sign(&cert, &opts, t(1_700_000_000)).unwrap();
    assert_ne!(a.jwt().expose_secret(), b.jwt().expose_secret());
    let (_, c) = decode_jwt_unverified(b.jwt().expose_secret()).unwrap();
    assert_eq!(c["nbf"], 1_700_000_000u64);
}

#[test]
fn cache_is_shareable_across_threads() {
    let cert = rsa();
    let cache = std::sync::Arc::new(AssertionCache::default());
    let opts = AssertionOptions::new(CLIENT_ID, AUD);
    let t0 = t(1_700_000_000);
    let expected = cache.get_or_sign(&cert, &opts, t0).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (cache, cert, opts) = (cache.clone(), cert.clone(), opts.clone());
            std::thread::spawn(move || {
                cache
                    .get_or_sign(&cert, &opts, t0)
                    .unwrap()
                    .jwt()
                    .expose_secret()
                    .to_owned()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected.jwt().expose_secret());
    }
    let dbg = format!("{cache:?}");
    assert!(dbg.contains("AssertionCache"));
    let jwt = expected.jwt().expose_secret();
    assert!(
        !dbg.contains(&jwt[jwt.len() - 30..]),
        "cache Debug leaks a JWT"
    );
}
