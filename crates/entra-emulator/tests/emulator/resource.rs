use entra_emulator::pki::{CertRequest, IssuedCertificate, KeyChoice, TestCa};
use entra_emulator::{AppRegistration, Emulator};

use crate::common::*;

const RESOURCE: &str = "mtlstb.graph.microsoft.com";

struct Setup {
    em: Emulator,
    cert: IssuedCertificate,
    other: IssuedCertificate,
    bound_token: String,
    unbound_token: String,
}

async fn setup() -> Setup {
    let ca = TestCa::new("CA").unwrap();
    let cert = ca.issue(&CertRequest::new("app")).unwrap();
    let other = ca
        .issue(&CertRequest::new("app").with_key(KeyChoice::Rsa(1)))
        .unwrap();
    let em = Emulator::builder()
        .app(
            AppRegistration::new("cert-app", TENANT)
                .with_certificate(cert.leaf_der.clone())
                .with_secret("s"),
        )
        .start()
        .await
        .unwrap();
    let bound = post_token(
        &em,
        "mtlsauth.microsoft.com",
        TENANT,
        Some(&cert),
        &[
            ("client_id", "cert-app"),
            ("grant_type", "client_credentials"),
            ("scope", GRAPH),
            ("token_type", "mtls_pop"),
        ],
    )
    .await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    let unbound = post_token(
        &em,
        "login.microsoftonline.com",
        TENANT,
        None,
        &[
            ("client_id", "cert-app"),
            ("grant_type", "client_credentials"),
            ("scope", GRAPH),
            ("client_secret", "s"),
        ],
    )
    .await;
    Setup {
        bound_token: bound.json()["access_token"].as_str().unwrap().to_owned(),
        unbound_token: unbound.json()["access_token"].as_str().unwrap().to_owned(),
        em,
        cert,
        other,
    }
}

async fn call(
    s: &Setup,
    identity: Option<&IssuedCertificate>,
    authorization: Option<&str>,
) -> Resp {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("authorization", a))
        .into_iter()
        .collect();
    Conn::open(&s.em, RESOURCE, identity)
        .await
        .send("GET", "/v1.0/applications", &headers, None)
        .await
}

#[track_caller]
fn assert_unauthorized(r: &Resp, case: &str, needle: &str) {
    assert_eq!(r.status, 401, "{case}: {}", r.body);
    let body = r.json();
    assert_eq!(
        body["error"]["code"], "InvalidAuthenticationToken",
        "{case}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains(needle),
        "{case}: {needle}: {}",
        r.body
    );
}

#[tokio::test]
async fn bound_token_with_mtls_pop_scheme_and_same_certificate() {
    let s = setup().await;
    let r = call(
        &s,
        Some(&s.cert),
        Some(&format!("mtls_pop {}", s.bound_token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["caller_app"], "cert-app");
    assert_eq!(body["value"][0]["appId"], "cert-app");
}

#[tokio::test]
async fn bound_token_rejections() {
    let s = setup().await;
    let mut parts: Vec<String> = s.bound_token.split('.').map(str::to_owned).collect();
    parts[2] = b64url(&[7u8; 64]);
    let bad_signature = parts.join(".");
    let pop = |token: &str| Some(format!("mtls_pop {token}"));
    for (case, identity, authorization, says) in [
        (
            "Bearer scheme with a bound token",
            Some(&s.cert),
            Some(format!("Bearer {}", s.bound_token)),
            "mtls_pop scheme",
        ),
        (
            "no client certificate",
            None,
            pop(&s.bound_token),
            "no client certificate",
        ),
        (
            "a different certificate",
            Some(&s.other),
            pop(&s.bound_token),
            "does not match",
        ),
        (
            "bad signature",
            Some(&s.cert),
            pop(&bad_signature),
            "signature",
        ),
        ("no Authorization header", Some(&s.cert), None, "empty"),
        (
            "unbound token with the mtls_pop scheme",
            Some(&s.cert),
            pop(&s.unbound_token),
            "not bound",
        ),
    ] {
        let r = call(&s, identity, authorization.as_deref()).await;
        assert_unauthorized(&r, case, says);
    }
}

#[tokio::test]
async fn unbound_token_with_bearer_scheme() {
    let s = setup().await;
    let r = call(&s, None, Some(&format!("Bearer {}", s.unbound_token))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["caller_app"], "cert-app");
    let r = Conn::open(&s.em, RESOURCE, None)
        .await
        .get("/v1.0/users")
        .await;
    assert_eq!(r.status, 404);
}
