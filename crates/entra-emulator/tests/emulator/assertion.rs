use std::time::{Duration, SystemTime};

use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use serde_json::json;

use crate::common::*;

const HOST: &str = "login.microsoftonline.com";

/// AADSTS700027: the assertion's certificate or signature does not check out.
const BAD_CERTIFICATE: Expect = Expect::status(401).code(700027);

fn aud() -> String {
    format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
}

/// An assertion for `client_id`, signed by `cert`, with the standard claims for [`aud`].
fn signed(cert: &IssuedCertificate, header: AssertionHeader, client_id: &str) -> String {
    assertion(cert, header, &claims(client_id, &aud()))
}

async fn send(em: &Emulator, host: &str, client_id: &str, jwt: &str) -> Resp {
    post_token(em, host, TENANT, None, &assertion_form(client_id, jwt)).await
}

#[tokio::test]
async fn ps256_assertion_with_registered_certificate() {
    let s = cert_apps().await;
    let jwt = signed(&s.registered, AssertionHeader::default(), "cert-app");
    let r = send(&s.em, HOST, "cert-app", &jwt).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = r.verified_claims(&s.em);
    assert_eq!(claims["appidacr"], "2");
    assert!(claims.get("cnf").is_none());
    assert_eq!(
        s.em.token_requests()[0].form_value("client_assertion"),
        Some(jwt.as_str())
    );
}

#[tokio::test]
async fn rs256_with_padded_sha1_x5t_and_domain_audience() {
    let s = cert_apps().await;
    let header = AssertionHeader {
        alg: "RS256",
        x5t_s256: false,
        x5t_sha1_padded: true,
        x5c: false,
    };
    // aud names the tenant by domain: accepted as the same tenant.
    let aud = format!("https://login.microsoftonline.com/{DOMAIN}/oauth2/v2.0/token");
    let jwt = assertion(&s.registered, header, &claims("cert-app", &aud));
    let r = send(&s.em, HOST, "cert-app", &jwt).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn regional_host_accepts_the_central_audience() {
    let s = cert_apps().await;
    let jwt = signed(&s.registered, AssertionHeader::default(), "cert-app");
    let r = send(&s.em, "eastus.login.microsoft.com", "cert-app", &jwt).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let s = cert_apps().await;
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
        r.check(&bad, Expect::status(401).code(700212));
        assert!(!r.body.contains(&jwt), "{bad}: the assertion is echoed");
    }
}

#[tokio::test]
async fn expired_future_and_too_long_assertions_are_rejected() {
    let s = cert_apps().await;
    let (n, aud) = (now(), aud());
    let lifetime = Expect::status(401).code(700024);
    for (case, c, want) in [
        (
            "expired",
            json!({"aud": aud, "iss": "cert-app", "sub": "cert-app", "exp": n - 600, "iat": n - 1200}),
            lifetime,
        ),
        (
            "not yet valid",
            json!({"aud": aud, "iss": "cert-app", "sub": "cert-app", "exp": n + 900, "nbf": n + 600}),
            lifetime,
        ),
        (
            "too long",
            json!({"aud": aud, "iss": "cert-app", "sub": "cert-app", "exp": n + 7200, "iat": n}),
            lifetime,
        ),
        (
            "missing exp is malformed",
            json!({"aud": aud, "iss": "cert-app", "sub": "cert-app"}),
            Expect::status(401).code(50027),
        ),
    ] {
        let jwt = assertion(&s.registered, AssertionHeader::default(), &c);
        send(&s.em, HOST, "cert-app", &jwt).await.check(case, want);
    }
}

#[tokio::test]
async fn issuer_must_be_the_client_id() {
    let s = cert_apps().await;
    let mut c = claims("cert-app", &aud());
    c["iss"] = json!("someone-else");
    let jwt = assertion(&s.registered, AssertionHeader::default(), &c);
    let r = send(&s.em, HOST, "cert-app", &jwt).await;
    r.check("iss is not the client id", Expect::status(401).code(700021));
}

#[tokio::test]
async fn unregistered_certificate_and_bad_signature() {
    let s = cert_apps().await;
    let (registered, other) = (
        signed(&s.registered, AssertionHeader::default(), "cert-app"),
        signed(&s.unregistered, AssertionHeader::default(), "cert-app"),
    );
    // The header names the registered certificate but the JWT is signed by another key.
    let forged = {
        let g: Vec<&str> = registered.split('.').collect();
        let o: Vec<&str> = other.split('.').collect();
        format!("{}.{}.{}", g[0], g[1], o[2])
    };
    for (case, jwt, want) in [
        // A renewed/other certificate that is not registered (thumbprint lookup fails).
        ("unregistered certificate", other.as_str(), BAD_CERTIFICATE),
        (
            "signed by another key",
            forged.as_str(),
            BAD_CERTIFICATE.saying("invalid signature"),
        ),
        (
            "unsupported algorithm",
            "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
            Expect::status(401).code(5002738),
        ),
        ("garbage", "garbage", Expect::status(401).code(50027)),
    ] {
        send(&s.em, HOST, "cert-app", jwt).await.check(case, want);
    }
}

#[tokio::test]
async fn es256_assertion_with_x5c_of_a_registered_ecdsa_certificate() {
    let s = cert_apps().await;
    let ec = leaf(&s.ca, "ec-app", KeyChoice::EcdsaP256);
    s.em.register_app(AppRegistration::new("ec-app", TENANT).with_certificate(ec.leaf_der.clone()));
    let header = AssertionHeader {
        alg: "ES256",
        x5t_s256: true,
        x5t_sha1_padded: false,
        x5c: true,
    };
    let r = send(&s.em, HOST, "ec-app", &signed(&ec, header, "ec-app")).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Sends `sni-app` assertions signed by each certificate of `cases`, each expecting its answer.
async fn sni_cases(em: &Emulator, cases: &[(&str, &IssuedCertificate, AssertionHeader, Expect)]) {
    for &(case, cert, header, want) in cases {
        let jwt = signed(cert, header, "sni-app");
        send(em, HOST, "sni-app", &jwt).await.check(case, want);
    }
}

const WITH_X5C: AssertionHeader = AssertionHeader {
    alg: "PS256",
    x5t_s256: true,
    x5t_sha1_padded: false,
    x5c: true,
};

#[tokio::test]
async fn subject_name_issuer_requires_x5c() {
    let s = cert_apps().await;
    // A renewed certificate (same key, new DER) still works under SN/I.
    let renewed = leaf(&s.ca, "sni.contoso.test", KeyChoice::Rsa(2));
    assert_ne!(renewed.leaf_der, s.sni.leaf_der);
    let no_x5c = AssertionHeader::default();
    sni_cases(
        &s.em,
        &[
            ("with x5c", &s.sni, WITH_X5C, Expect::OK),
            ("renewed certificate", &renewed, WITH_X5C, Expect::OK),
            // Rejected, and the description says why.
            ("without x5c", &s.sni, no_x5c, BAD_CERTIFICATE.saying("x5c")),
        ],
    )
    .await;
}

#[tokio::test]
async fn subject_name_issuer_checks_subject_issuer_and_validity() {
    let s = cert_apps().await;
    let sni = |issuer: &TestCa, key| leaf(issuer, "sni.contoso.test", KeyChoice::Rsa(key));
    let wrong_cn = leaf(&s.ca, "other.contoso.test", KeyChoice::Rsa(2));
    let rogue_leaf = sni(&TestCa::new("Rogue CA").unwrap(), 2);
    let past = SystemTime::now() - Duration::from_secs(3 * 86400);
    let expired =
        s.ca.issue(
            &CertRequest::new("sni.contoso.test")
                .with_key(KeyChoice::Rsa(2))
                .with_validity(past, past + Duration::from_secs(86400)),
        )
        .unwrap();
    let via_inter = sni(&s.ca.issue_intermediate("Issuing CA 1").unwrap(), 3);
    sni_cases(
        &s.em,
        &[
            (
                "wrong CN",
                &wrong_cn,
                WITH_X5C,
                BAD_CERTIFICATE.saying("other.contoso.test"),
            ),
            (
                "right CN from an untrusted CA",
                &rogue_leaf,
                WITH_X5C,
                BAD_CERTIFICATE.saying("trusted issuer"),
            ),
            (
                "expired leaf",
                &expired,
                WITH_X5C,
                BAD_CERTIFICATE.saying("expired"),
            ),
            (
                "intermediate CA chain in x5c",
                &via_inter,
                WITH_X5C,
                Expect::OK,
            ),
        ],
    )
    .await;
}
