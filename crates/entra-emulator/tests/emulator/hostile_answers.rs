//! Faults that alter a successful token answer: hostile lifetimes, a wrong or missing
//! certificate binding, an opaque token. Checks the exact bytes on the wire, and that the
//! emulator's resource still applies its own checks to such tokens.

use entra_emulator::pki::IssuedCertificate;
use entra_emulator::Fault;

use crate::common::*;
use crate::faults::{pop_form, post_secret, setup, Setup, MTLS};

const RESOURCE: &str = "mtlstb.graph.microsoft.com";

async fn post_pop(s: &Setup) -> Resp {
    post_token(&s.em, MTLS, TENANT, Some(&s.cert), &pop_form()).await
}

async fn post_bearer(s: &Setup, secret: &str) -> Resp {
    post_secret(&s.em, secret).await
}

/// The `access_token` of a 200 answer.
fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().unwrap().to_owned()
}

/// The body of a 200 answer with its access token replaced by `<token>`, and the token.
fn wire(r: &Resp) -> (String, String) {
    let token = token_of(r);
    (r.body.replacen(&token, "<token>", 1), token)
}

/// The token of a 200 answer with `token_type`, and its verified claims.
fn verified(s: &Setup, r: &Resp, token_type: &str) -> (String, serde_json::Value) {
    assert_eq!(r.json()["token_type"], token_type, "{}", r.body);
    let token = token_of(r);
    let claims = s.em.verify_access_token(&token).unwrap();
    (token, claims)
}

/// Calls the emulator's resource with `scheme token`, presenting `identity` in TLS.
async fn call_resource(
    s: &Setup,
    identity: Option<&IssuedCertificate>,
    scheme: &str,
    token: &str,
) -> Resp {
    let authorization = format!("{scheme} {token}");
    Conn::open(&s.em, RESOURCE, identity)
        .await
        .send(
            "GET",
            "/v1.0/applications",
            &[("authorization", &authorization)],
            None,
        )
        .await
}

fn graph_error_message(r: &Resp) -> String {
    assert_eq!(r.status, 401, "{}", r.body);
    r.json()["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hostile_expires_in_number_is_sent_verbatim() {
    let s = setup().await;
    s.em.inject_faults(Fault::hostile_expires_in("9300000000000000000"), 1);
    let (body, token) = wire(&post_pop(&s).await);
    assert_eq!(
        body,
        r#"{"token_type":"mtls_pop","expires_in":9300000000000000000,"ext_expires_in":3599,"access_token":"<token>"}"#
    );
    // Otherwise a valid, bound token.
    let claims = s.em.verify_access_token(&token).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], s.cert.x5t_s256());
    assert!(claims["exp"].as_i64().unwrap() <= now() + 3600);
    assert_eq!(s.em.pending_faults(), 0);
}

#[tokio::test]
async fn hostile_expires_in_string_is_sent_verbatim() {
    let s = setup().await;
    s.em.inject_faults(Fault::hostile_expires_in(r#""18446744073709551615""#), 1);
    let (body, token) = wire(&post_bearer(&s, "s3cret").await);
    assert_eq!(
        body,
        r#"{"token_type":"Bearer","expires_in":"18446744073709551615","ext_expires_in":3599,"access_token":"<token>"}"#
    );
    assert!(s.em.verify_access_token(&token).is_ok());
}

#[tokio::test]
async fn hostile_refresh_in_and_every_field_at_once() {
    let s = setup().await;
    s.em.inject_faults(Fault::hostile_refresh_in("1e19"), 1);
    s.em.inject_faults(
        Fault::HostileLifetime {
            expires_in: Some("-1".to_owned()),
            ext_expires_in: Some("1.5e308".to_owned()),
            refresh_in: Some("null".to_owned()),
        },
        1,
    );
    let (body, _) = wire(&post_pop(&s).await);
    assert_eq!(
        body,
        r#"{"token_type":"mtls_pop","expires_in":3599,"ext_expires_in":3599,"refresh_in":1e19,"access_token":"<token>"}"#
    );
    let (body, _) = wire(&post_pop(&s).await);
    assert_eq!(
        body,
        r#"{"token_type":"mtls_pop","expires_in":-1,"ext_expires_in":1.5e308,"refresh_in":null,"access_token":"<token>"}"#
    );
}

#[tokio::test]
async fn answer_faults_need_authentication_and_are_used_up_by_errors() {
    let s = setup().await;
    s.em.inject_faults(Fault::hostile_expires_in("9300000000000000000"), 1);
    s.em.inject_faults(Fault::OpaqueToken, 1);
    let r = post_bearer(&s, "wrong").await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_client");
    let r = post_bearer(&s, "s3cret").await;
    assert!(s.em.verify_access_token(&token_of(&r)).is_err());
    let r = post_bearer(&s, "s3cret").await;
    assert!(s.em.verify_access_token(&token_of(&r)).is_ok());
    assert!(r.body.contains(r#""expires_in":3599,"#), "{}", r.body);
}

#[tokio::test]
async fn wrong_binding_names_another_certificate() {
    let s = setup().await;
    s.em.inject_faults(Fault::WrongBinding, 2);
    let (token, claims) = verified(&s, &post_pop(&s).await, "mtls_pop");
    let bound = claims["cnf"]["x5t#S256"].as_str().unwrap();
    assert_eq!(bound.len(), 43, "{bound}");
    assert_ne!(bound, s.cert.x5t_s256());
    assert!(bound
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));

    // The resource's own check refuses it, even with the certificate the client holds.
    let r = call_resource(&s, Some(&s.cert), "mtls_pop", &token).await;
    assert!(graph_error_message(&r).contains("does not match"));

    // A Bearer request gets a Bearer token that carries a cnf.
    let (_, claims) = verified(&s, &post_bearer(&s, "s3cret").await, "Bearer");
    let other = claims["cnf"]["x5t#S256"].as_str().unwrap();
    assert_eq!(other.len(), 43);
    assert_ne!(other, bound);
}

#[tokio::test]
async fn missing_cnf_answers_an_unbound_mtls_pop_token() {
    let s = setup().await;
    s.em.inject_faults(Fault::MissingCnf, 2);
    let (token, claims) = verified(&s, &post_pop(&s).await, "mtls_pop");
    assert!(claims.get("cnf").is_none(), "{claims}");
    let r = call_resource(&s, Some(&s.cert), "mtls_pop", &token).await;
    assert!(graph_error_message(&r).contains("requires a certificate-bound token"));

    // A Bearer request is answered as usual.
    let (_, claims) = verified(&s, &post_bearer(&s, "s3cret").await, "Bearer");
    assert!(claims.get("cnf").is_none());
    assert_eq!(s.em.pending_faults(), 0);
}

#[tokio::test]
async fn opaque_token_is_not_a_jwt() {
    let s = setup().await;
    s.em.inject_faults(Fault::OpaqueToken, 1);
    let (body, token) = wire(&post_pop(&s).await);
    assert_eq!(
        body,
        r#"{"token_type":"mtls_pop","expires_in":3599,"ext_expires_in":3599,"access_token":"<token>"}"#
    );
    assert_eq!(token.len(), 64, "{token}");
    assert!(!token.contains('.'));
    assert!(s.em.verify_access_token(&token).is_err());
    let r = call_resource(&s, Some(&s.cert), "mtls_pop", &token).await;
    assert!(graph_error_message(&r).starts_with("Access token validation failure"));

    // The next answer is a normal bound JWT again.
    let r = post_pop(&s).await;
    let claims = s.em.verify_access_token(&token_of(&r)).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], s.cert.x5t_s256());
}
