//! Fault injection at the token endpoint (`Emulator::inject_faults`).

use std::time::Duration;

use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator, Fault};
use http_body_util::BodyExt as _;

use crate::common::*;

pub(crate) const LOGIN: &str = "login.microsoftonline.com";
pub(crate) const MTLS: &str = "mtlsauth.microsoft.com";
const CORRELATION: &str = "11111111-2222-3333-4444-555555555555";

pub(crate) struct Setup {
    pub(crate) em: Emulator,
    pub(crate) cert: IssuedCertificate,
}

pub(crate) async fn setup() -> Setup {
    let ca = TestCa::new("Fault test CA").unwrap();
    let cert = ca.issue(&CertRequest::new("fault-app")).unwrap();
    let em = Emulator::builder()
        .tenant(TENANT, &[DOMAIN])
        .app(
            AppRegistration::new("app-1", TENANT)
                .with_secret("s3cret")
                .with_certificate(cert.leaf_der.clone()),
        )
        .start()
        .await
        .unwrap();
    Setup { em, cert }
}

pub(crate) fn secret_form(secret: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", "app-1"),
        ("grant_type", "client_credentials"),
        ("scope", GRAPH),
        ("client_info", "1"),
        ("client_secret", secret),
    ]
}

pub(crate) fn pop_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_id", "app-1"),
        ("grant_type", "client_credentials"),
        ("scope", GRAPH),
        ("client_info", "2"),
        ("token_type", "mtls_pop"),
    ]
}

pub(crate) async fn post_secret(em: &Emulator, secret: &str) -> Resp {
    post_token(em, LOGIN, TENANT, None, &secret_form(secret)).await
}

fn statuses(em: &Emulator) -> Vec<u16> {
    em.token_requests().iter().map(|r| r.status).collect()
}

/// Checks the Entra error shape and returns the code.
fn entra_error(r: &Resp, error: &str) -> u64 {
    let body = r.json();
    assert_eq!(body["error"], error, "{}", r.body);
    let code = r.error_code();
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&format!("AADSTS{code}: ")));
    assert_eq!(body["correlation_id"], CORRELATION);
    assert!(body["trace_id"].is_string());
    assert_eq!(
        r.headers["x-ms-request-id"].to_str().unwrap(),
        body["trace_id"].as_str().unwrap()
    );
    code
}

/// Sends a token POST on a fresh connection and returns hyper's error (the fault answered
/// nothing).
async fn post_expecting_no_response(em: &Emulator) -> hyper::Error {
    let mut conn = Conn::open(em, LOGIN, None).await;
    let result = conn
        .request(
            "POST",
            &format!("/{TENANT}/oauth2/v2.0/token"),
            &[],
            Some(&secret_form("s3cret")),
        )
        .await;
    match result {
        Ok(resp) => panic!("expected no response, got status {}", resp.status()),
        Err(e) => e,
    }
}

fn io_error_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

#[tokio::test]
async fn too_many_requests_then_normal_service() {
    let s = setup().await;
    s.em.inject_faults(
        Fault::TooManyRequests {
            retry_after: "30".to_owned(),
        },
        2,
    );
    assert_eq!(s.em.pending_faults(), 2);
    // The wrong secret proves the fault comes before authentication.
    for _ in 0..2 {
        let r = post_secret(&s.em, "wrong").await;
        assert_eq!(r.status, 429, "{}", r.body);
        assert_eq!(r.headers["retry-after"], "30");
        assert_eq!(entra_error(&r, "temporarily_unavailable"), 90055);
    }
    assert_eq!(s.em.pending_faults(), 0);
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.get("retry-after").is_none());
    assert_eq!(statuses(&s.em), [429, 429, 200]);
    // The faulted requests are logged with what the client sent.
    assert_eq!(
        s.em.token_requests()[0].form_value("client_secret"),
        Some("wrong")
    );
}

#[tokio::test]
async fn retry_after_is_sent_as_given() {
    let s = setup().await;
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    s.em.inject_faults(
        Fault::TooManyRequests {
            retry_after: date.to_owned(),
        },
        1,
    );
    s.em.inject_faults(
        Fault::ServiceUnavailable {
            retry_after: Some("7".to_owned()),
        },
        1,
    );
    s.em.inject_faults(
        // Not a valid header value: the fault is sent without the header.
        Fault::TooManyRequests {
            retry_after: "1\r\nx-injected: yes".to_owned(),
        },
        1,
    );
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(
        (r.status, r.headers["retry-after"].to_str().unwrap()),
        (429, date)
    );
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(
        (r.status, r.headers["retry-after"].to_str().unwrap()),
        (503, "7")
    );
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 429);
    assert!(r.headers.get("retry-after").is_none());
    assert!(r.headers.get("x-injected").is_none());
    assert_eq!(statuses(&s.em), [429, 503, 429]);
}

#[tokio::test]
async fn server_errors() {
    let s = setup().await;
    s.em.inject_faults(Fault::InternalServerError, 1);
    s.em.inject_faults(Fault::ServiceUnavailable { retry_after: None }, 1);
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 500);
    assert_eq!(entra_error(&r, "server_error"), 90033);
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 503);
    assert!(r.headers.get("retry-after").is_none());
    assert_eq!(entra_error(&r, "temporarily_unavailable"), 90033);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
    assert_eq!(statuses(&s.em), [500, 503, 200]);
}

#[tokio::test]
async fn faults_apply_in_order_to_token_requests_only() {
    let s = setup().await;
    s.em.inject_faults(Fault::InternalServerError, 1);
    s.em.inject_faults(Fault::Garbage, 1);
    s.em.inject_faults(Fault::InternalServerError, 1);
    assert_eq!(s.em.pending_faults(), 3);

    // Discovery and a GET on the token path are not token requests.
    let r = get(
        &s.em,
        LOGIN,
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = get(&s.em, LOGIN, &format!("/{TENANT}/oauth2/v2.0/token")).await;
    assert_eq!(r.status, 404);
    assert_eq!(s.em.pending_faults(), 3);

    // Any host and tenant: an unknown tenant on the mTLS host is faulted too.
    let r = post_token(&s.em, MTLS, "no-such-tenant", Some(&s.cert), &pop_form()).await;
    assert_eq!(r.status, 500);
    assert_eq!(post_secret(&s.em, "s3cret").await.body, "<html>oops</html>");
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 500);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
    assert_eq!(statuses(&s.em), [500, 200, 500, 200]);
}

#[tokio::test]
async fn clear_faults_drops_pending_ones() {
    let s = setup().await;
    s.em.inject_faults(Fault::InternalServerError, usize::MAX);
    s.em.inject_faults(Fault::Garbage, 0);
    assert_eq!(s.em.pending_faults(), usize::MAX);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 500);
    assert_eq!(s.em.pending_faults(), usize::MAX - 1);
    s.em.clear_faults();
    assert_eq!(s.em.pending_faults(), 0);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
}

#[tokio::test]
async fn garbage_is_not_json() {
    let s = setup().await;
    s.em.inject_faults(Fault::Garbage, 1);
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "<html>oops</html>");
    assert!(serde_json::from_str::<serde_json::Value>(&r.body).is_err());
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(statuses(&s.em), [200]);
}

#[tokio::test]
async fn invalid_json_types() {
    let s = setup().await;
    s.em.inject_faults(Fault::InvalidJsonTypes, 1);
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"access_token": 42, "expires_in": "soon", "token_type": ["Bearer"]})
    );
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn oversized_body_is_streamed_without_content_length() {
    let s = setup().await;
    let size = 3 * 1024 * 1024 + 5;
    s.em.inject_faults(Fault::OversizedBody { bytes: size }, 2);

    let mut conn = Conn::open(&s.em, LOGIN, None).await;
    let path = format!("/{TENANT}/oauth2/v2.0/token");
    let form = secret_form("s3cret");
    let resp = conn.request("POST", &path, &[], Some(&form)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none());
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), size);
    assert!(body.starts_with(br#"{"token_type":"Bearer","#));
    assert!(body.ends_with(b"AAAA\"}"));

    // A client that stops reading after 1 MiB and hangs up does not upset the emulator.
    let mut conn = Conn::open(&s.em, LOGIN, None).await;
    let resp = conn.request("POST", &path, &[], Some(&form)).await.unwrap();
    let mut body = resp.into_body();
    let mut read = 0usize;
    while read < 1024 * 1024 {
        let frame = body.frame().await.unwrap().unwrap();
        read += frame.data_ref().map_or(0, |d| d.len());
    }
    drop(body);
    drop(conn);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
    assert_eq!(statuses(&s.em), [200, 200, 200]);
}

#[tokio::test]
async fn small_oversized_body_is_a_truncated_prefix() {
    let s = setup().await;
    s.em.inject_faults(Fault::OversizedBody { bytes: 10 }, 1);
    s.em.inject_faults(Fault::OversizedBody { bytes: 0 }, 1);
    assert_eq!(post_secret(&s.em, "s3cret").await.body, r#"{"token_ty"#);
    assert_eq!(post_secret(&s.em, "s3cret").await.body, "");
}

#[tokio::test]
async fn wrong_token_type_for_pop_and_bearer() {
    let s = setup().await;
    s.em.inject_faults(Fault::WrongTokenType, 3);

    // PoP request answered with Bearer, but the token itself is still bound.
    let r = post_token(&s.em, MTLS, TENANT, Some(&s.cert), &pop_form()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    let claims =
        s.em.verify_access_token(body["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], s.cert.x5t_s256());

    // Bearer request answered with mtls_pop.
    let r = post_secret(&s.em, "s3cret").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "mtls_pop");

    // A request that fails authentication keeps its error, and uses up the fault.
    let r = post_secret(&s.em, "wrong").await;
    assert_eq!(r.status, 401);
    assert_eq!(s.em.pending_faults(), 0);

    let r = post_token(&s.em, MTLS, TENANT, Some(&s.cert), &pop_form()).await;
    assert_eq!(r.json()["token_type"], "mtls_pop");
    assert_eq!(statuses(&s.em), [200, 200, 401, 200]);
}

#[tokio::test]
async fn stall_sends_nothing_then_closes() {
    let s = setup().await;
    // A short stall: the request fails once the emulator closes the connection.
    s.em.inject_faults(Fault::Stall(Duration::from_millis(50)), 1);
    let e = post_expecting_no_response(&s.em).await;
    assert!(
        e.is_incomplete_message() || io_error_kind(&e).is_some(),
        "unexpected error: {e:?}"
    );
    assert_eq!(statuses(&s.em), [0]);
    assert_eq!(
        s.em.token_requests()[0].form_value("client_id"),
        Some("app-1")
    );
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
}

#[tokio::test]
async fn long_stall_is_logged_at_once_and_ends_with_shutdown() {
    let s = setup().await;
    s.em.inject_faults(Fault::Stall(Duration::from_secs(3600)), 1);
    let em = s.em.clone();
    let pending = tokio::spawn(async move { post_expecting_no_response(&em).await });
    // The request is logged (status 0) while the connection is still stalled.
    for _ in 0..2000 {
        if !s.em.token_requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(statuses(&s.em), [0]);
    assert!(!pending.is_finished());
    // Shutting the emulator down closes the stalled connection.
    s.em.shutdown().await;
    let e = pending.await.unwrap();
    assert!(
        e.is_incomplete_message() || io_error_kind(&e).is_some(),
        "unexpected error: {e:?}"
    );
}

#[tokio::test]
async fn reset_connection_aborts_without_a_response() {
    let s = setup().await;
    s.em.inject_faults(Fault::ResetConnection, 1);
    let e = post_expecting_no_response(&s.em).await;
    assert_eq!(
        io_error_kind(&e),
        Some(std::io::ErrorKind::ConnectionReset),
        "{e:?}"
    );
    assert_eq!(statuses(&s.em), [0]);
    assert_eq!(post_secret(&s.em, "s3cret").await.status, 200);
    assert_eq!(statuses(&s.em), [0, 200]);
}
