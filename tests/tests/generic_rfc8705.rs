//! Certificate-bound tokens from a real RFC 8705 authorization server that is not Entra ID:
//! oidc-provider (node, pinned) on loopback, with both mTLS client-authentication methods, an
//! alias listener, JWT access tokens for a resource server and a bound-token check endpoint.
//! Each acceptance case of the issue is one test.

use std::sync::Arc;

use msal::transport::{HttpRequest, TlsVersion, Transport};
use msal::{ClientCertificate, ConfidentialClientApplication, Error, TokenSource};
use msal_e2e_tests::oidc_provider::{
    OidcProvider, Pki, ServerTls, PKI_CLIENT, RESOURCE, SCOPE, SELF_SIGNED_CLIENT,
};
use oauth2_core::{ClientAuthentication, GenericTokenRequest, TokenBinding, TokenResponse};

fn any_tls(server: &OidcProvider) -> Arc<msal::transport::HyperTransport> {
    server.transport(TlsVersion::Tls12, TlsVersion::Tls13)
}

/// What the check endpoint says about `result` presented with `certificate` (or none).
async fn check(
    server: &OidcProvider,
    transport: &dyn Transport,
    token: &str,
    certificate: Option<&ClientCertificate>,
) -> (u16, serde_json::Value) {
    let url = url::Url::parse(&server.check_url).unwrap();
    let request = HttpRequest::get(url).header(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let response = transport
        .send(request, certificate)
        .await
        .expect("check endpoint answers");
    let body = serde_json::from_slice(&response.body).unwrap_or_default();
    (response.status.as_u16(), body)
}

/// One bound token through the facade: `cnf` = the certificate, cache hit on the second call,
/// the check endpoint accepts it with that certificate only. Returns the token endpoint used.
async fn bound_token_end_to_end(
    server: &OidcProvider,
    app: &ConfidentialClientApplication,
    certificate: &ClientCertificate,
    scopes: &[&str],
    resources: &[&str],
) -> String {
    let acquire = || {
        let mut request = app.acquire_token_for_client(scopes.iter().copied());
        for resource in resources {
            request = request.with_resource(*resource);
        }
        request
    };
    let first = acquire().await.expect("bound token");
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    assert_eq!(first.token_type().as_str(), "Bearer");
    assert_eq!(
        TokenBinding::of(first.access_token().expose_secret()),
        TokenBinding::Bound(certificate.x5t_s256().to_owned()),
        "cnf.x5t#S256 is the presented certificate's thumbprint"
    );
    let binding = first
        .binding_certificate()
        .expect("bound to the TLS certificate");
    assert_eq!(binding.x5t_s256(), certificate.x5t_s256());
    let second = acquire().await.expect("cached token");
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(
        second.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
    let transport = app.transport();
    // call_resource presents the certificate and sends `Bearer <token>`
    let request = HttpRequest::get(url::Url::parse(&server.check_url).unwrap());
    let response = first
        .call_resource(transport.as_ref(), request)
        .await
        .unwrap();
    assert_eq!(
        response.status.as_u16(),
        200,
        "the bound certificate is accepted"
    );
    let token = first.access_token().expose_secret();
    let other = if certificate.x5t_s256() == server.pki.pki_certificate().x5t_s256() {
        server.pki.self_signed_certificate()
    } else {
        server.pki.pki_certificate()
    };
    let (status, _) = check(server, transport.as_ref(), token, Some(&other)).await;
    assert_eq!(status, 401, "another certificate is refused");
    let (status, _) = check(server, transport.as_ref(), token, None).await;
    assert_eq!(status, 401, "no certificate is refused");
    first
        .token_endpoint()
        .expect("network result names its endpoint")
        .to_owned()
}

#[tokio::test]
async fn tls_client_auth_at_the_alias() {
    let server = OidcProvider::start();
    let cert = server.pki.pki_certificate();
    let app = server.app(PKI_CLIENT, cert.clone(), any_tls(&server));
    let endpoint = bound_token_end_to_end(&server, &app, &cert, &[SCOPE], &[RESOURCE]).await;
    assert_eq!(
        endpoint,
        format!("{}/token", server.alias),
        "the mTLS alias is used"
    );
}

#[tokio::test]
async fn self_signed_tls_client_auth_at_the_alias() {
    let server = OidcProvider::start();
    let cert = server.pki.self_signed_certificate();
    let app = server.app(SELF_SIGNED_CLIENT, cert.clone(), any_tls(&server));
    let endpoint = bound_token_end_to_end(&server, &app, &cert, &[SCOPE], &[RESOURCE]).await;
    assert_eq!(endpoint, format!("{}/token", server.alias));
}

#[tokio::test]
async fn both_methods_at_the_token_endpoint_without_an_alias() {
    let server = OidcProvider::start_full(Arc::new(Pki::new()), ServerTls::Any, false);
    for (client, cert) in [
        (PKI_CLIENT, server.pki.pki_certificate()),
        (SELF_SIGNED_CLIENT, server.pki.self_signed_certificate()),
    ] {
        let app = server.app(client, cert.clone(), any_tls(&server));
        let endpoint = bound_token_end_to_end(&server, &app, &cert, &[], &[RESOURCE]).await;
        assert_eq!(endpoint, format!("{}/token", server.issuer), "{client}");
    }
}

#[tokio::test]
async fn resource_only() {
    let server = OidcProvider::start();
    let cert = server.pki.pki_certificate();
    let app = server.app(PKI_CLIENT, cert.clone(), any_tls(&server));
    bound_token_end_to_end(&server, &app, &cert, &[], &[RESOURCE]).await;
    let token = app
        .acquire_token_for_client(Vec::<String>::new())
        .with_resource(RESOURCE)
        .await
        .unwrap();
    let claims = claims(token.access_token().expose_secret());
    assert_eq!(claims["aud"], RESOURCE);
    assert!(
        claims.get("scope").is_none(),
        "no scope asked, none granted"
    );
}

#[tokio::test]
async fn scope_only() {
    let server = OidcProvider::start();
    let cert = server.pki.self_signed_certificate();
    let app = server.app(SELF_SIGNED_CLIENT, cert.clone(), any_tls(&server));
    bound_token_end_to_end(&server, &app, &cert, &[SCOPE], &[]).await;
    let token = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(token.token_source(), TokenSource::Cache);
    let claims = claims(token.access_token().expose_secret());
    assert_eq!(claims["scope"], SCOPE);
}

#[tokio::test]
async fn scope_and_resource_are_cached_apart_from_resource_only() {
    let server = OidcProvider::start();
    let cert = server.pki.pki_certificate();
    let app = server.app(PKI_CLIENT, cert.clone(), any_tls(&server));
    bound_token_end_to_end(&server, &app, &cert, &[SCOPE], &[RESOURCE]).await;
    let both = app
        .acquire_token_for_client([SCOPE])
        .with_resource(RESOURCE)
        .await
        .unwrap();
    let claims_both = claims(both.access_token().expose_secret());
    assert_eq!(claims_both["aud"], RESOURCE);
    assert_eq!(claims_both["scope"], SCOPE);
    // scope-only is another cache entry (the server's default audience), not this token
    let scope_only = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(scope_only.token_source(), TokenSource::IdentityProvider);
}

async fn tls_case(server_tls: ServerTls, min: TlsVersion, max: TlsVersion, expected: &str) {
    let server = OidcProvider::start_with(Arc::new(Pki::new()), server_tls);
    let cert = server.pki.pki_certificate();
    let transport = server.transport(min, max);
    let app = server.app(PKI_CLIENT, cert.clone(), transport.clone());
    bound_token_end_to_end(&server, &app, &cert, &[SCOPE], &[RESOURCE]).await;
    let token = app
        .acquire_token_for_client([SCOPE])
        .with_resource(RESOURCE)
        .await
        .unwrap();
    let (status, body) = check(
        &server,
        transport.as_ref(),
        token.access_token().expose_secret(),
        Some(&cert),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["tls"], expected);
}

#[tokio::test]
async fn tls_1_2() {
    tls_case(
        ServerTls::Only12,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
        "TLSv1.2",
    )
    .await;
    // the client's maximum decides too
    tls_case(
        ServerTls::Any,
        TlsVersion::Tls12,
        TlsVersion::Tls12,
        "TLSv1.2",
    )
    .await;
}

#[tokio::test]
async fn tls_1_3() {
    tls_case(
        ServerTls::Only13,
        TlsVersion::Tls13,
        TlsVersion::Tls13,
        "TLSv1.3",
    )
    .await;
    tls_case(
        ServerTls::Any,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
        "TLSv1.3",
    )
    .await;
}

#[tokio::test]
async fn a_client_limited_to_tls_1_3_cannot_reach_a_tls_1_2_server() {
    let server = OidcProvider::start_with(Arc::new(Pki::new()), ServerTls::Only12);
    let cert = server.pki.pki_certificate();
    let transport = server.transport(TlsVersion::Tls13, TlsVersion::Tls13);
    let app = server.app(PKI_CLIENT, cert, transport);
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(
        !err.is_retryable(),
        "a protocol version mismatch does not heal: {err}"
    );
}

/// The server's `error` of a facade failure.
fn service_error(err: &Error) -> (&str, u16) {
    match err {
        Error::Service(service) => (service.error(), service.status()),
        other => panic!("expected the server's OAuth error, got {other:?}"),
    }
}

#[tokio::test]
async fn no_certificate_is_invalid_client() {
    let server = OidcProvider::start();
    let transport = any_tls(&server);
    let request = GenericTokenRequest::new(PKI_CLIENT, ClientAuthentication::TlsClientCertificate)
        .with_resource(RESOURCE);
    let url = url::Url::parse(&format!("{}/token", server.alias)).unwrap();
    let http = HttpRequest::post_form(url, request.to_form_body()).header(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    let response = transport.send(http, None).await.unwrap();
    match TokenResponse::from_http(response.status.as_u16(), &response.body) {
        Err(oauth2_core::Error::OAuth { status, response }) => {
            assert_eq!((status, response.error.as_str()), (401, "invalid_client"));
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_of_another_client_is_invalid_client() {
    let server = OidcProvider::start();
    // the self-signed client's certificate, presented for the PKI client (and the reverse)
    for (client, cert) in [
        (PKI_CLIENT, server.pki.self_signed_certificate()),
        (SELF_SIGNED_CLIENT, server.pki.pki_certificate()),
    ] {
        let app = server.app(client, cert, any_tls(&server));
        let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
        assert_eq!(service_error(&err), ("invalid_client", 401), "{client}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn a_ca_issued_certificate_with_another_subject_is_invalid_client() {
    let server = OidcProvider::start();
    let app = server.app(
        PKI_CLIENT,
        server.pki.intruder_certificate(),
        any_tls(&server),
    );
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(service_error(&err), ("invalid_client", 401));
}

#[tokio::test]
async fn an_unknown_client_id_is_invalid_client() {
    let server = OidcProvider::start();
    let app = server.app(
        "no-such-client",
        server.pki.pki_certificate(),
        any_tls(&server),
    );
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(service_error(&err), ("invalid_client", 401));
}

#[tokio::test]
async fn an_unknown_resource_is_invalid_target() {
    let server = OidcProvider::start();
    let app = server.app(PKI_CLIENT, server.pki.pki_certificate(), any_tls(&server));
    let err = app
        .acquire_token_for_client(Vec::<String>::new())
        .with_resource("https://unknown.example.test")
        .await
        .unwrap_err();
    assert_eq!(service_error(&err), ("invalid_target", 400));
}

#[tokio::test]
async fn oauth2_rs_gets_a_bound_token_over_the_transport() {
    use mtls_transport::oauth2::basic::BasicClient;
    use mtls_transport::oauth2::{AuthType, ClientId, Scope, TokenResponse as _, TokenUrl};
    use mtls_transport::Oauth2HttpClient;

    let server = OidcProvider::start();
    for (client, cert) in [
        (PKI_CLIENT, server.pki.pki_certificate()),
        (SELF_SIGNED_CLIENT, server.pki.self_signed_certificate()),
    ] {
        let transport = any_tls(&server);
        let http = Oauth2HttpClient::new(transport.clone()).with_identity(cert.clone());
        let oauth = BasicClient::new(ClientId::new(client.to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::new(format!("{}/token", server.alias)).unwrap());
        let token = oauth
            .exchange_client_credentials()
            .add_scope(Scope::new(SCOPE.to_owned()))
            .add_extra_param("resource", RESOURCE)
            .request_async(&http)
            .await
            .expect("oauth2-rs token");
        let access = token.access_token().secret();
        assert_eq!(
            TokenBinding::of(access),
            TokenBinding::Bound(cert.x5t_s256().to_owned()),
            "{client}"
        );
        let (status, _) = check(&server, transport.as_ref(), access, Some(&cert)).await;
        assert_eq!(status, 200);
    }
}

/// The claims of a JWT (signature not checked: the check endpoint verifies it).
fn claims(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn issuer_configuration_mistakes_fail_before_anything_is_sent() {
    let pki = Pki::new();
    let builder = || ConfidentialClientApplication::builder(PKI_CLIENT);
    // an issuer and an Entra authority at once
    let err = builder()
        .issuer("https://127.0.0.1:1")
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
        .tls_client_certificate(pki.pki_certificate())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_authority");
    // the TLS-only credential is for issuers; an issuer takes no assertion credential
    let err = builder()
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
        .tls_client_certificate(pki.pki_certificate())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_credential_material");
    let err = builder()
        .issuer("https://127.0.0.1:1")
        .certificate(pki.pki_certificate())
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_credential_material");
    // an issuer is https without query
    for bad in ["http://127.0.0.1:1", "https://127.0.0.1:1/?x=1"] {
        let err = builder()
            .issuer(bad)
            .tls_client_certificate(pki.pki_certificate())
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "invalid_authority", "{bad}");
    }
    // nothing listens on port 1: these fail in the plan, not on the network
    let app = builder()
        .issuer("https://127.0.0.1:1")
        .tls_client_certificate(pki.pki_certificate())
        .build()
        .unwrap();
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        "invalid_authority_type",
        "an issuer binds Bearer tokens"
    );
    let err = app
        .acquire_token_for_client(Vec::<String>::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_scope", "neither scope nor resource");
    // Entra takes no `resource`
    let entra = builder()
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
        .client_secret("not-sent-anywhere")
        .build()
        .unwrap();
    let err = entra
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .with_resource(RESOURCE)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_scope");
}

#[tokio::test]
async fn an_issuer_without_metadata_is_a_typed_error() {
    let server = OidcProvider::start();
    // a path under the real issuer: both well-known URLs answer 404
    let app = ConfidentialClientApplication::builder(PKI_CLIENT)
        .issuer(format!("{}/other", server.issuer))
        .tls_client_certificate(server.pki.pki_certificate())
        .transport(any_tls(&server))
        .build()
        .unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    match &err {
        Error::InvalidResponse {
            endpoint, status, ..
        } => {
            assert_eq!(*status, 404);
            assert!(
                endpoint.ends_with("/other/.well-known/openid-configuration"),
                "{endpoint}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn issuer_tokens_are_shared_through_the_file_cache_under_the_key_id() {
    let server = OidcProvider::start();
    let dir = msal_e2e_tests::private_temp_dir("msal-issuer-file-cache");
    let file = dir.join("cache.json");
    let app = |certificate: ClientCertificate| {
        ConfidentialClientApplication::builder(SELF_SIGNED_CLIENT)
            .issuer(&server.issuer)
            .tls_client_certificate(certificate)
            .transport(any_tls(&server))
            .token_cache_file(&file)
            .build()
            .unwrap()
    };
    let cert = server.pki.self_signed_certificate();
    let first = app(cert.clone())
        .acquire_token_for_client([SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    // another application (another process, as far as the cache knows) finds it in the file
    let second = app(cert).acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(
        second.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let key_id = server.pki.self_signed_certificate().x5t_s256().to_owned();
    assert!(
        text.contains(&key_id),
        "the entry is keyed by the certificate's x5t#S256"
    );
    // a certificate with another key id does not see the token (and is refused by the server)
    let err = app(server.pki.pki_certificate())
        .acquire_token_for_client([SCOPE])
        .await
        .unwrap_err();
    assert_eq!(service_error(&err), ("invalid_client", 401));
    let _ = std::fs::remove_dir_all(dir);
}

/// RFC 8705 client authentication with a certificate that rotates (files replaced on disk): the
/// same app's next call presents the renewed certificate and gets a token bound to it; the token
/// bound to the previous certificate is not served again.
#[tokio::test]
async fn a_rotated_tls_client_certificate_gets_a_new_bound_token() {
    use entra_emulator::pki::{CertRequest, KeyChoice};
    let server = OidcProvider::start();
    let dir = msal_e2e_tests::private_temp_dir("msal-issuer-rotation");
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    let write = |path: &std::path::Path, content: &str| {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, content).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    };
    write(&cert_path, &server.pki.pki_client.chain_pem);
    write(&key_path, &server.pki.pki_client.key_pem);
    let source = msal::FileCertificateSource::pem(&cert_path, &key_path)
        .unwrap()
        .check_interval(std::time::Duration::ZERO);
    let app = ConfidentialClientApplication::builder(PKI_CLIENT)
        .issuer(&server.issuer)
        .tls_client_certificate_provider(Arc::new(source))
        .transport(any_tls(&server))
        .build()
        .unwrap();
    let first = server.pki.pki_certificate();
    bound_token_end_to_end(&server, &app, &first, &[SCOPE], &[RESOURCE]).await;

    let renewed = server
        .pki
        .client_ca
        .issue(&CertRequest::new(PKI_CLIENT).with_key(KeyChoice::EcdsaP256))
        .unwrap();
    write(&key_path, &renewed.key_pem);
    write(&cert_path, &renewed.chain_pem);
    let renewed = msal_e2e_tests::client_certificate(&renewed);
    assert_ne!(renewed.x5t_s256(), first.x5t_s256());
    bound_token_end_to_end(&server, &app, &renewed, &[SCOPE], &[RESOURCE]).await;
    let _ = std::fs::remove_dir_all(&dir);
}
