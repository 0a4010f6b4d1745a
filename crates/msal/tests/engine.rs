//! Unit tests of the acquisition engine against a scripted `Transport` (no TLS, no emulator):
//! the planning matrix (each credential kind × Bearer / PoP / Bearer over mTLS × authority kind)
//! and the checks on the token endpoint's answers. The end-to-end suite in `tests/` proves the
//! same flows over real TLS.

use std::sync::Arc;

use msal::{
    BoundAssertion, ClientCertificate, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, Error, TokenSource, TokenType,
};

mod support;
use support::{certificate, Scripted, Sent};

const SCOPE: &str = "https://graph.microsoft.com/.default";
const TENANTED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com";
const COMMON: &str = "https://login.microsoftonline.com/common";
const ADFS: &str = "https://adfs.contoso.com/adfs";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_POP: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

/// The credential kinds the builder offers.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Secret,
    Certificate,
    CertificateOverMtls,
    Assertion,
    AssertionProvider,
    BoundAssertion,
    BoundAssertionProvider,
}

const KINDS: [Kind; 7] = [
    Kind::Secret,
    Kind::Certificate,
    Kind::CertificateOverMtls,
    Kind::Assertion,
    Kind::AssertionProvider,
    Kind::BoundAssertion,
    Kind::BoundAssertionProvider,
];

fn with_credential(
    builder: ConfidentialClientApplicationBuilder,
    kind: Kind,
    cert: &ClientCertificate,
) -> ConfidentialClientApplicationBuilder {
    match kind {
        Kind::Secret => builder.client_secret("secret-value"),
        Kind::Certificate => builder.certificate(cert.clone()),
        Kind::CertificateOverMtls => builder
            .certificate(cert.clone())
            .send_certificate_over_mtls(true),
        Kind::Assertion => builder.client_assertion("user.signed.assertion"),
        Kind::AssertionProvider => builder
            .client_assertion_callback(|_| async { Ok("provided.signed.assertion".to_owned()) }),
        Kind::BoundAssertion => {
            builder.client_assertion_with_binding("leg1.bound.token", cert.clone())
        }
        Kind::BoundAssertionProvider => {
            let cert = cert.clone();
            builder.bound_assertion_callback(move |_| {
                let cert = cert.clone();
                async move { Ok(BoundAssertion::new("leg1.bound.token", Some(cert))) }
            })
        }
    }
}

fn app(
    kind: Kind,
    authority: &str,
    transport: &Arc<Scripted>,
    cert: &ClientCertificate,
) -> ConfidentialClientApplication {
    let builder = ConfidentialClientApplication::builder("client-id")
        .authority(authority)
        .transport(transport.clone())
        .region_environment(Arc::new(|_| None));
    with_credential(builder, kind, cert).build().unwrap()
}

/// What one cell of the matrix must send (or fail with).
#[derive(Debug, PartialEq)]
enum Expect {
    /// A POST to this host with this client authentication, presenting the certificate or not.
    Post {
        host: &'static str,
        auth: Auth,
        mtls: bool,
    },
    /// A typed error with this code, nothing sent, not retryable.
    Refused(&'static str),
}

#[derive(Debug, PartialEq)]
enum Auth {
    Secret,
    JwtBearer,
    JwtPop,
    Tls,
}

fn expected(kind: Kind, pop: bool, authority: &str) -> Expect {
    use Kind::*;
    let mtls = pop
        || matches!(
            kind,
            CertificateOverMtls | BoundAssertion | BoundAssertionProvider
        );
    if pop && matches!(kind, Secret | Assertion | AssertionProvider) {
        return Expect::Refused("mtls_certificate_not_provided");
    }
    if mtls && authority == COMMON {
        return Expect::Refused("missing_tenanted_authority");
    }
    if mtls && authority == ADFS {
        return Expect::Refused("invalid_authority_type");
    }
    let auth = match kind {
        Secret => Auth::Secret,
        Certificate | CertificateOverMtls if pop => Auth::Tls,
        BoundAssertion | BoundAssertionProvider => Auth::JwtPop,
        _ => Auth::JwtBearer,
    };
    let host = match (mtls, authority) {
        (true, _) => "mtlsauth.microsoft.com",
        (false, ADFS) => "adfs.contoso.com",
        (false, _) => "login.microsoftonline.com",
    };
    Expect::Post { host, auth, mtls }
}

fn observed(sent: &Sent) -> Expect {
    let auth = match (
        sent.form.get("client_secret"),
        sent.form.get("client_assertion_type").map(String::as_str),
    ) {
        (Some(_), _) => Auth::Secret,
        (None, Some(JWT_BEARER)) => Auth::JwtBearer,
        (None, Some(JWT_POP)) => Auth::JwtPop,
        (None, _) => Auth::Tls,
    };
    let host = url::Url::parse(&sent.url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    Expect::Post {
        host: Box::leak(host.into_boxed_str()),
        auth,
        mtls: sent.identity.is_some(),
    }
}

#[tokio::test]
async fn planning_matrix() {
    let cert = certificate();
    for authority in [TENANTED, COMMON, ADFS] {
        for kind in KINDS {
            for pop in [false, true] {
                let transport = Arc::new(Scripted::default());
                let app = app(kind, authority, &transport, &cert);
                let mut call = app.acquire_token_for_client([SCOPE]);
                if pop {
                    call = call.with_mtls_proof_of_possession();
                }
                let outcome = call.await;
                let case = format!("{kind:?} pop={pop} {authority}");
                match expected(kind, pop, authority) {
                    Expect::Refused(code) => {
                        let err = outcome.expect_err(&case);
                        assert_eq!(err.code(), code, "{case}: {err}");
                        assert!(!err.is_retryable(), "{case}: a configuration error");
                        assert!(transport.sent().is_empty(), "{case}: nothing may be sent");
                    }
                    expect @ Expect::Post { mtls, .. } => {
                        let result = outcome.unwrap_or_else(|e| panic!("{case}: {e}"));
                        let posts = transport.posts();
                        assert_eq!(posts.len(), 1, "{case}");
                        assert_eq!(observed(&posts[0]), expect, "{case}");
                        if mtls {
                            assert_eq!(
                                posts[0].identity.as_deref(),
                                Some(cert.x5t_s256()),
                                "{case}"
                            );
                        }
                        let token_type = posts[0].form.get("token_type").map(String::as_str);
                        assert_eq!(token_type, pop.then_some("mtls_pop"), "{case}");
                        let wanted = if pop {
                            TokenType::MtlsPop
                        } else {
                            TokenType::Bearer
                        };
                        assert_eq!(result.token_type(), wanted, "{case}");
                        assert_eq!(result.binding_certificate().is_some(), pop, "{case}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_common_authority_with_pop_is_a_configuration_error_and_nothing_is_sent() {
    let cert = certificate();
    let transport = Arc::new(Scripted::default());
    let app = app(Kind::Certificate, COMMON, &transport, &cert);
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedAuthority(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert!(transport.sent().is_empty());
}

#[tokio::test]
async fn a_503_is_retried_once_and_then_retryable() {
    let cert = certificate();
    let transport = Arc::new(Scripted::default());
    let app = ConfidentialClientApplication::builder("client-id")
        .authority(TENANTED)
        .transport(transport.clone())
        .certificate(cert)
        .retry_backoff(std::time::Duration::from_millis(1))
        .region_environment(Arc::new(|_| None))
        .build()
        .unwrap();
    for _ in 0..2 {
        transport.answer(503, r#"{"error":"temporarily_unavailable"}"#);
    }
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(transport.posts().len(), 2, "one retry");
}

#[tokio::test]
async fn answers_are_checked_before_anything_is_cached() {
    let cert = certificate();
    let transport = Arc::new(Scripted::default());
    let app = app(Kind::Certificate, TENANTED, &transport, &cert);
    let cases = [
        (
            200,
            r#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#,
            "token_type_mismatch",
        ),
        (
            200,
            r#"{"access_token":"t","expires_in":3600}"#,
            "token_type_missing",
        ),
        (200, "not json at all", "invalid_response"),
        (
            400,
            r#"{"error":"invalid_client","error_codes":[7000215]}"#,
            "invalid_client",
        ),
    ];
    for (status, body, code) in cases {
        transport.answer(status, body);
        let err = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{body}");
    }
    let ok = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();
    assert_eq!(
        ok.token_source(),
        TokenSource::IdentityProvider,
        "nothing was cached"
    );
    let again = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();
    assert_eq!(again.token_source(), TokenSource::Cache);
}

#[tokio::test]
async fn hostile_lifetimes_saturate_instead_of_panicking() {
    let cert = certificate();
    let transport = Arc::new(Scripted::default());
    let app = app(Kind::Secret, TENANTED, &transport, &cert);
    transport.answer(
        200,
        r#"{"access_token":"t","token_type":"Bearer","expires_in":"18446744073709551615","refresh_in":1e19}"#,
    );
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert!(result.expires_on() > std::time::SystemTime::now());
    let cached = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(cached.token_source(), TokenSource::Cache);
}
