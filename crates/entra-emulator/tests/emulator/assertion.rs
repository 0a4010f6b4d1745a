use std::time::{Duration, SystemTime};

use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use serde_json::json;

use crate::common::*;

const HOST: &str = "login.microsoftonline.com";

fn aud() -> String {
    format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
}

struct Setup {
    em: Emulator,
    registered: IssuedCertificate,
    unregistered: IssuedCertificate,
    sni: IssuedCertificate,
    ca: TestCa,
}

async fn setup() -> Setup {
    let ca = TestCa::new("Emulator test CA").unwrap();
    let registered = ca.issue(&CertRequest::new("registered-app")).unwrap();
    let unregistered = ca
        .issue(&CertRequest::new("registered-app").with_key(KeyChoice::Rsa(1)))
        .unwrap();
    let sni = ca
        .issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::Rsa(2)))
        .unwrap();
    let em = Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .trusted_issuer(ca.certificate_der())
        .app(AppRegistration::new("cert-app", TENANT).with_certificate(registered.leaf_der.clone()))
        .app(AppRegistration::new("sni-app", TENANT).with_subject_name_issuer("sni.contoso.test"))
        .start()
        .await
        .unwrap();
    Setup {
        em,
        registered,
        unregistered,
        sni,
        ca,
    }
}

async fn send(em: &Emulator, host: &str, client_id: &str, jwt: &str) -> Resp {
    post_token(em, host, TENANT, None, &assertion_form(client_id, jwt)).await
}

#[tokio::test]
async fn ps256_assertion_with_registered_certificate() {
    let s = setup().await;
    let jwt = assertion(
        &s.registered,
        AssertionHeader::default(),
        &claims("cert-app", &aud()),
    );
    let r = send(&s.em, HOST, "cert-app", &jwt).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims =
        s.em.verify_access_token(r.json()["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(claims["appidacr"], "2");
    assert!(claims.get("cnf").is_none());
    assert_eq!(
        s.em.token_requests()[0].form_value("client_assertion"),
        Some(jwt.as_str())
    );
}

#[tokio::test]
async fn rs256_with_padded_sha1_x5t_and_domain_audience() {
    let s = setup().await;
    let header = AssertionHeader {
        alg: "RS256",
        x5t_s256: false,
        x5t_sha1_padded: true,
        x5c: false,
    };
    // aud names the tenant by domain: accepted as the same tenant.
    let aud = format!("https://login.microsoftonline.com/{DOMAIN}/oauth2/v2.0/token");
    let r = send(
        &s.em,
        HOST,
        "cert-app",
        &assertion(&s.registered, header, &claims("cert-app", &aud)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn regional_host_accepts_the_central_audience() {
    let s = setup().await;
    let jwt = assertion(
        &s.registered,
        AssertionHeader::default(),
        &claims("cert-app", &aud()),
    );
    let r = send(&s.em, "eastus.login.microsoft.com", "cert-app", &jwt).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let s = setup().await;
    for bad in [
        "https://login.microsoftonline.us/aaaabbbb-0000-1111-2222-333344445555/oauth2/v2.0/token"
            .to_owned(),
        "https://login.microsoftonline.com/99999999-0000-1111-2222-333344445555/oauth2/v2.0/token"
            .to_owned(),
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize"),
        "https://evil.example/token".to_owned(),
    ] {
        let jwt = assertion(
            &s.registered,
            AssertionHeader::default(),
            &claims("cert-app", &bad),
        );
        let r = send(&s.em, HOST, "cert-app", &jwt).await;
        assert_eq!(
            (r.status, r.error_code()),
            (401, 700212),
            "{bad}: {}",
            r.body
        );
        assert!(!r.body.contains(&jwt));
    }
}

#[tokio::test]
async fn expired_future_and_too_long_assertions_are_rejected() {
    let s = setup().await;
    let n = now();
    for (label, c) in [
        (
            "expired",
            json!({"aud": aud(), "iss": "cert-app", "sub": "cert-app", "exp": n - 600, "iat": n - 1200}),
        ),
        (
            "not yet valid",
            json!({"aud": aud(), "iss": "cert-app", "sub": "cert-app", "exp": n + 900, "nbf": n + 600}),
        ),
        (
            "too long",
            json!({"aud": aud(), "iss": "cert-app", "sub": "cert-app", "exp": n + 7200, "iat": n}),
        ),
    ] {
        let r = send(
            &s.em,
            HOST,
            "cert-app",
            &assertion(&s.registered, AssertionHeader::default(), &c),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code()),
            (401, 700024),
            "{label}: {}",
            r.body
        );
    }
    // Missing exp is malformed.
    let c = json!({"aud": aud(), "iss": "cert-app", "sub": "cert-app"});
    let r = send(
        &s.em,
        HOST,
        "cert-app",
        &assertion(&s.registered, AssertionHeader::default(), &c),
    )
    .await;
    assert_eq!(r.error_code(), 50027);
}

#[tokio::test]
async fn issuer_must_be_the_client_id() {
    let s = setup().await;
    let mut c = claims("cert-app", &aud());
    c["iss"] = json!("someone-else");
    let r = send(
        &s.em,
        HOST,
        "cert-app",
        &assertion(&s.registered, AssertionHeader::default(), &c),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 700021));
}

#[tokio::test]
async fn unregistered_certificate_and_bad_signature() {
    let s = setup().await;
    // A renewed/other certificate that is not registered (thumbprint lookup fails).
    let jwt = assertion(
        &s.unregistered,
        AssertionHeader::default(),
        &claims("cert-app", &aud()),
    );
    let r = send(&s.em, HOST, "cert-app", &jwt).await;
    assert_eq!((r.status, r.error_code()), (401, 700027), "{}", r.body);

    // Header names the registered certificate but the JWT is signed by another key.
    let forged = {
        let good = assertion(
            &s.registered,
            AssertionHeader::default(),
            &claims("cert-app", &aud()),
        );
        let other = assertion(
            &s.unregistered,
            AssertionHeader::default(),
            &claims("cert-app", &aud()),
        );
        let g: Vec<&str> = good.split('.').collect();
        let o: Vec<&str> = other.split('.').collect();
        format!("{}.{}.{}", g[0], g[1], o[2])
    };
    let r = send(&s.em, HOST, "cert-app", &forged).await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("invalid signature"));

    // Unsupported algorithm and garbage.
    let r = send(&s.em, HOST, "cert-app", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln").await;
    assert_eq!((r.status, r.error_code()), (401, 5002738));
    let r = send(&s.em, HOST, "cert-app", "garbage").await;
    assert_eq!((r.status, r.error_code()), (401, 50027));
}

#[tokio::test]
async fn es256_assertion_with_x5c_of_a_registered_ecdsa_certificate() {
    let s = setup().await;
    let ec =
        s.ca.issue(&CertRequest::new("ec-app").with_key(KeyChoice::EcdsaP256))
            .unwrap();
    s.em.register_app(AppRegistration::new("ec-app", TENANT).with_certificate(ec.leaf_der.clone()));
    let header = AssertionHeader {
        alg: "ES256",
        x5t_s256: true,
        x5t_sha1_padded: false,
        x5c: true,
    };
    let r = send(
        &s.em,
        HOST,
        "ec-app",
        &assertion(&ec, header, &claims("ec-app", &aud())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn subject_name_issuer_requires_x5c() {
    let s = setup().await;
    let with_x5c = AssertionHeader {
        x5c: true,
        ..AssertionHeader::default()
    };
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&s.sni, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A renewed certificate (same key, new DER) still works under SN/I.
    let renewed =
        s.ca.issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::Rsa(2)))
            .unwrap();
    assert_ne!(renewed.leaf_der, s.sni.leaf_der);
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&renewed, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Without x5c: rejected, and the description says why.
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(
            &s.sni,
            AssertionHeader::default(),
            &claims("sni-app", &aud()),
        ),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("x5c"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn subject_name_issuer_checks_subject_issuer_and_validity() {
    let s = setup().await;
    let with_x5c = AssertionHeader {
        x5c: true,
        ..AssertionHeader::default()
    };
    // Wrong CN.
    let wrong_cn =
        s.ca.issue(&CertRequest::new("other.contoso.test").with_key(KeyChoice::Rsa(2)))
            .unwrap();
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&wrong_cn, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("other.contoso.test"));
    // Right CN from an untrusted CA.
    let rogue = TestCa::new("Rogue CA").unwrap();
    let rogue_leaf = rogue
        .issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::Rsa(2)))
        .unwrap();
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&rogue_leaf, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("trusted issuer"),
        "{}",
        r.body
    );
    // Expired leaf.
    let past = SystemTime::now() - Duration::from_secs(3 * 86400);
    let expired =
        s.ca.issue(
            &CertRequest::new("sni.contoso.test")
                .with_key(KeyChoice::Rsa(2))
                .with_validity(past, past + Duration::from_secs(86400)),
        )
        .unwrap();
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&expired, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (401, 700027));
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        r.body
    );
    // Intermediate CA chain in x5c.
    let inter = s.ca.issue_intermediate("Issuing CA 1").unwrap();
    let via_inter = inter
        .issue(&CertRequest::new("sni.contoso.test").with_key(KeyChoice::Rsa(3)))
        .unwrap();
    let r = send(
        &s.em,
        HOST,
        "sni-app",
        &assertion(&via_inter, with_x5c, &claims("sni-app", &aud())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
