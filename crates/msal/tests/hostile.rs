//! Hostile answers and hostile configuration at the facade (issue "trust boundary, round 2"),
//! against a scripted `Transport`: each test is named after the item it proves.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use msal::transport::HttpRequest;
use msal::{ClientCertificate, ConfidentialClientApplication, TokenSource};

mod support;
use support::{certificate, Scripted};

const SCOPE: &str = "https://graph.microsoft.com/.default";
const TENANTED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com";
const EVIL: &str = "https://login.evil.example/contoso.onmicrosoft.com";

fn builder(
    authority: &str,
    transport: &Arc<Scripted>,
) -> msal::ConfidentialClientApplicationBuilder {
    ConfidentialClientApplication::builder("client-id")
        .authority(authority)
        .transport(transport.clone())
        .retry_backoff(Duration::from_millis(1))
        .region_environment(Arc::new(|_| None))
}

/// A JWT-shaped token with these claims (the client never checks signatures).
fn jwt(claims: &str) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(claims)
    )
}

fn token_body(token: &str, token_type: &str) -> String {
    format!(r#"{{"access_token":"{token}","token_type":"{token_type}","expires_in":3600}}"#)
}

#[tokio::test]
async fn item1_hostile_lifetimes_neither_panic_nor_poison_the_cache() {
    let transport = Arc::new(Scripted::default());
    let app = builder(TENANTED, &transport)
        .client_secret("secret-value")
        .build()
        .unwrap();
    let answers = [
        r#"{"access_token":"a","token_type":"Bearer","expires_in":9300000000000000000}"#,
        r#"{"access_token":"b","token_type":"Bearer","expires_in":"18446744073709551615"}"#,
        r#"{"access_token":"c","token_type":"Bearer","expires_in":3600,"refresh_in":1e19}"#,
    ];
    for (i, answer) in answers.iter().enumerate() {
        transport.answer(200, answer);
        let scope = format!("api://resource-{i}/.default");
        let first = app
            .acquire_token_for_client([scope.as_str()])
            .await
            .unwrap();
        assert_eq!(
            first.token_source(),
            TokenSource::IdentityProvider,
            "{answer}"
        );
        let again = app
            .acquire_token_for_client([scope.as_str()])
            .await
            .unwrap();
        assert_eq!(again.token_source(), TokenSource::Cache, "{answer}");
    }
}

type Configure = fn(
    msal::ConfidentialClientApplicationBuilder,
    ClientCertificate,
) -> msal::ConfidentialClientApplicationBuilder;

#[tokio::test]
async fn item2_every_mtls_path_validates_the_authority_before_sending() {
    let cert = certificate();
    let paths: [(&str, Configure, bool); 3] = [
        ("mtls pop", |b, c| b.certificate(c), true),
        (
            "bearer over mtls",
            |b, c| b.certificate(c).send_certificate_over_mtls(true),
            false,
        ),
        (
            "bound assertion",
            |b, c| b.client_assertion_with_binding("leg1.bound.token", c),
            false,
        ),
    ];
    for (name, configure, pop) in paths {
        let transport = Arc::new(Scripted::default());
        let app = configure(builder(EVIL, &transport), cert.clone())
            .build()
            .unwrap();
        let mut call = app.acquire_token_for_client([SCOPE]);
        if pop {
            call = call.with_mtls_proof_of_possession();
        }
        let err = call.await.unwrap_err();
        assert_eq!(err.code(), "invalid_instance", "{name}: {err}");
        let sent = transport.sent();
        assert!(
            sent.iter()
                .all(|s| !s.url.contains("evil.example") || s.url.contains("discovery")),
            "{name}: {sent:?}"
        );
        assert!(
            sent.iter().all(|s| s.identity.is_none()),
            "{name}: no certificate may leave"
        );
        assert!(
            sent.iter().all(|s| s.method == "GET"),
            "{name}: no form may leave"
        );
        assert_eq!(sent.len(), 1, "{name}: only instance discovery");
    }
}

async fn acquire(
    app: &ConfidentialClientApplication,
    pop: bool,
) -> Result<msal::AuthenticationResult, msal::Error> {
    let call = app.acquire_token_for_client([SCOPE]);
    if pop {
        call.with_mtls_proof_of_possession().await
    } else {
        call.await
    }
}

#[tokio::test]
async fn item3_the_binding_of_tokens_over_mtls_is_checked() {
    let cert = certificate();
    let own = cert.x5t_s256().to_owned();
    let bound_to = |t: &str| jwt(&format!(r#"{{"cnf":{{"x5t#S256":"{t}"}}}}"#));
    // (credential, pop, answer token, token type, accepted?)
    let pop_app: Configure = |b, c| b.certificate(c);
    let over_mtls: Configure = |b, c| b.certificate(c).send_certificate_over_mtls(true);
    let fic_leg2: Configure = |b, c| b.client_assertion_with_binding("leg1.bound.token", c);
    let cases = [
        (
            "pop, cnf of another certificate",
            pop_app,
            true,
            bound_to("another-thumbprint"),
            "mtls_pop",
            false,
        ),
        (
            "pop, no cnf",
            pop_app,
            true,
            jwt(r#"{"aud":"x"}"#),
            "mtls_pop",
            false,
        ),
        (
            "pop, own cnf",
            pop_app,
            true,
            bound_to(&own),
            "mtls_pop",
            true,
        ),
        (
            "pop, opaque token",
            pop_app,
            true,
            "opaque-token-value".to_owned(),
            "mtls_pop",
            true,
        ),
        (
            "bearer over mtls, cnf of another certificate",
            over_mtls,
            false,
            bound_to("another"),
            "Bearer",
            false,
        ),
        (
            "bearer over mtls, no cnf",
            over_mtls,
            false,
            jwt(r#"{"aud":"x"}"#),
            "Bearer",
            true,
        ),
        (
            "fic leg 2, cnf of another certificate",
            fic_leg2,
            false,
            bound_to("another"),
            "Bearer",
            false,
        ),
        (
            "fic leg 2, own cnf",
            fic_leg2,
            false,
            bound_to(&own),
            "Bearer",
            true,
        ),
    ];
    for (name, configure, pop, token, token_type, accepted) in cases {
        let transport = Arc::new(Scripted::default());
        let app = configure(builder(TENANTED, &transport), cert.clone())
            .build()
            .unwrap();
        transport.answer(200, &token_body(&token, token_type));
        let outcome = acquire(&app, pop).await;
        if accepted {
            outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            continue;
        }
        let err = outcome.expect_err(name);
        assert_eq!(err.code(), "token_binding_mismatch", "{name}: {err}");
        assert!(!err.is_retryable(), "{name}");
        // Nothing was cached: the next call goes to the network again.
        let next = acquire(&app, pop).await.unwrap();
        assert_eq!(next.token_source(), TokenSource::IdentityProvider, "{name}");
    }
}

#[tokio::test]
async fn item4_tokens_are_never_sent_over_plain_http() {
    let transport = Arc::new(Scripted::default());
    let app = builder(TENANTED, &transport)
        .client_secret("secret-value")
        .build()
        .unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    let sent_before = transport.sent().len();
    let get = |url: &str| HttpRequest::get(url.parse().unwrap());
    for url in [
        "http://resource.example/api",
        "http://127.0.0.1:8080/api",
        "ftp://resource.example/",
    ] {
        let err = result
            .call_resource(app.transport().as_ref(), get(url))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "insecure_resource_url", "{url}");
    }
    let err = result
        .call_loopback_resource_insecure(
            app.transport().as_ref(),
            get("http://resource.example/api"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "insecure_resource_url");
    assert_eq!(
        transport.sent().len(),
        sent_before,
        "no token left the process"
    );
    for url in [
        "http://127.0.0.1:8080/api",
        "http://[::1]/api",
        "http://localhost/api",
        "https://resource.example/api",
    ] {
        let transport = app.transport();
        let call = result.call_loopback_resource_insecure(transport.as_ref(), get(url));
        call.await.unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[tokio::test]
async fn item7_request_secrets_are_redacted_from_error_text() {
    let secret = "short-Secret-123";
    let transport = Arc::new(Scripted::default());
    let app = builder(TENANTED, &transport)
        .client_secret(secret)
        .build()
        .unwrap();
    let echoes = [
        (
            502,
            format!("<html>proxy error for client_secret={secret}&scope=x</html>"),
        ),
        (
            502,
            "<html>proxy error: short-Secret-123 was refused</html>".to_owned(),
        ),
        (200, format!("not json: client_secret={secret}")),
        (
            400,
            format!(
                r#"{{"error":"invalid_request","error_description":"AADSTS90014: bad value {secret}"}}"#
            ),
        ),
        // Found by the acquisition fuzz target: a token type echoing the secret.
        (
            200,
            format!(r#"{{"access_token":"t","token_type":"Bea{secret}rer"}}"#),
        ),
        (
            400,
            format!(r#"{{"error":"invalid_client","correlation_id":"{secret}"}}"#),
        ),
    ];
    for (status, body) in echoes {
        transport.answer(status, &body);
        transport.answer(status, &body); // the single retry of a 5xx
        let err = app
            .acquire_token_for_client([SCOPE])
            .force_refresh(true)
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("short-Secret"), "{status}: {text}");
    }
}

#[tokio::test(start_paused = true)]
async fn item8_extreme_retry_backoff_is_clamped_and_never_panics() {
    let transport = Arc::new(Scripted::default());
    let app = builder(TENANTED, &transport)
        .client_secret("secret-value")
        .retry_backoff(Duration::MAX)
        .build()
        .unwrap();
    transport.answer(503, r#"{"error":"temporarily_unavailable"}"#);
    transport.answer(503, r#"{"error":"temporarily_unavailable"}"#);
    let started = tokio::time::Instant::now();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert!(err.is_retryable());
    assert!(
        started.elapsed() <= msal::MAX_RETRY_BACKOFF * 3 / 2,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(transport.posts().len(), 2);
}
