//! Client-credentials Bearer flows end to end: the msal facade against the Entra emulator over
//! real TLS, reached through the real hostname `login.microsoftonline.com`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use msal::{Error, TokenSource};
use msal_e2e_tests::*;
use oauth2_core::{sign_client_assertion, AssertionOptions};

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn jwt_part(jwt: &str, index: usize) -> serde_json::Value {
    let part = jwt.split('.').nth(index).expect("JWT part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The headers MSAL sends on a token POST (accept, x-client-sku/ver/os, x-ms-lib-capability,
/// client-request-id and the two telemetry headers, as MSAL Python sends them) plus HTTP framing.
const EXPECTED_HEADERS: &[&str] = &[
    "accept",
    "client-request-id",
    "content-length",
    "content-type",
    "host",
    "x-client-current-telemetry",
    "x-client-last-telemetry",
    "x-client-os",
    "x-client-sku",
    "x-client-ver",
    "x-ms-lib-capability",
];

#[tokio::test]
async fn client_secret_flow_sends_exactly_the_reference_fields_and_headers() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();

    assert_eq!(result.token_type(), "Bearer");
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    assert_eq!(result.tenant_id(), TENANT);
    assert_eq!(
        result.token_endpoint(),
        Some(format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token").as_str())
    );
    assert!(result.expires_on() > SystemTime::now());
    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .expect("token signed by the emulator");
    assert_eq!(claims["appid"], SECRET_APP);
    assert_eq!(claims["tid"], TENANT);

    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 1, "exactly one token request");
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.host, "login.microsoftonline.com");
    assert_eq!(req.sni.as_deref(), Some("login.microsoftonline.com"));
    assert_eq!(req.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert!(req.client_certificate.is_none());
    let form: BTreeSet<String> = req.form_names().into_iter().map(str::to_owned).collect();
    assert_eq!(
        form,
        names(&[
            "client_id",
            "grant_type",
            "scope",
            "client_info",
            "client_secret"
        ])
    );
    assert_eq!(req.form_value("client_id"), Some(SECRET_APP));
    assert_eq!(req.form_value("grant_type"), Some("client_credentials"));
    assert_eq!(req.form_value("scope"), Some(SCOPE));
    assert_eq!(req.form_value("client_info"), Some("1"));
    assert_eq!(req.form_value("client_secret"), Some(SECRET));

    let headers: BTreeSet<String> = req.header_names().into_iter().map(str::to_owned).collect();
    assert_eq!(headers, names(EXPECTED_HEADERS));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(req.header("x-client-sku"), Some("MSAL.Rust"));
    assert_eq!(req.header("x-client-ver"), Some(msal::CLIENT_VERSION));
    assert_eq!(req.header("x-client-os"), Some(std::env::consts::OS));
    assert_eq!(req.header("x-ms-lib-capability"), Some("retry-after, h429"));
    assert_eq!(
        req.header("x-client-current-telemetry"),
        Some("5|1004,2,,,|0,0,1,,,")
    );
    assert_eq!(req.header("x-client-last-telemetry"), Some("5|0|||"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let correlation = req.header("client-request-id").unwrap();
    assert_eq!(result.correlation_id(), Some(correlation));
    assert_eq!(correlation.len(), 36, "a UUID: {correlation}");
}

#[tokio::test]
async fn repeat_call_is_served_from_cache_without_a_request() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let first = app.acquire_token_for_client([SCOPE]).await.unwrap();
    let second = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(
        first.access_token().expose_secret(),
        second.access_token().expose_secret()
    );
    assert_eq!(env.emulator.token_requests().len(), 1);

    // force_refresh goes to the network and says so in telemetry.
    let third = app
        .acquire_token_for_client([SCOPE])
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(third.token_source(), TokenSource::IdentityProvider);
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("x-client-current-telemetry"),
        Some("5|1004,1,,,|0,0,1,,,")
    );
    // one cache hit was counted in between
    assert_eq!(
        requests[1].header("x-client-last-telemetry"),
        Some("5|1|||")
    );
}

#[tokio::test]
async fn certificate_assertion_uses_ps256_and_x5t_s256() {
    let env = TestEnv::start().await;
    let certificate = client_certificate(&env.thumbprint_cert);
    let x5t_s256 = certificate.x5t_s256().to_owned();
    let app = env
        .app(THUMBPRINT_APP)
        .certificate(certificate)
        .build()
        .unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(result.token_type(), "Bearer");

    let req = &env.emulator.token_requests()[0];
    let form: BTreeSet<String> = req.form_names().into_iter().map(str::to_owned).collect();
    assert_eq!(
        form,
        names(&[
            "client_id",
            "grant_type",
            "scope",
            "client_info",
            "client_assertion_type",
            "client_assertion"
        ])
    );
    assert_eq!(
        req.form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let jwt = req.form_value("client_assertion").unwrap();
    let header = jwt_part(jwt, 0);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["x5t#S256"], x5t_s256.as_str());
    assert!(header.get("x5c").is_none(), "no x5c unless asked: {header}");
    assert!(header.get("x5t").is_none());
    let claims = jwt_part(jwt, 1);
    assert_eq!(
        claims["aud"],
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(claims["iss"], THUMBPRINT_APP);
    assert_eq!(claims["sub"], THUMBPRINT_APP);
    assert!(claims["jti"].is_string());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 600);
}

#[tokio::test]
async fn subject_name_issuer_needs_x5c() {
    let env = TestEnv::start().await;

    let with_x5c = env.sni_app().send_x5c(true).build().unwrap();
    let result = with_x5c.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(result.token_type(), "Bearer");
    let jwt = env.emulator.token_requests()[0]
        .form_value("client_assertion")
        .unwrap()
        .to_owned();
    let header = jwt_part(&jwt, 0);
    let x5c = header["x5c"].as_array().expect("x5c present");
    let leaf = base64::engine::general_purpose::STANDARD
        .decode(x5c[0].as_str().unwrap())
        .unwrap();
    assert_eq!(leaf, env.sni_cert.leaf_der, "x5c[0] is the leaf");

    // The same certificate without x5c: the emulator cannot trust it by subject + issuer.
    let without_x5c = env.sni_app().build().unwrap();
    let err = without_x5c
        .acquire_token_for_client([SCOPE])
        .await
        .unwrap_err();
    let service = err.as_service_error().expect("service error");
    assert_eq!(service.error(), "invalid_client");
    assert_eq!(service.aadsts_code(), Some(700027));
}

#[tokio::test]
async fn explicit_assertion_and_provider() {
    let env = TestEnv::start().await;
    let certificate = client_certificate(&env.thumbprint_cert);
    let endpoint = format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token");
    let assertion = sign_client_assertion(
        &certificate,
        &AssertionOptions::new(THUMBPRINT_APP, &endpoint),
        SystemTime::now(),
    )
    .unwrap();
    let app = env
        .app(THUMBPRINT_APP)
        .client_assertion(assertion.jwt().expose_secret())
        .build()
        .unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    let sent = env.emulator.token_requests()[0]
        .form_value("client_assertion")
        .unwrap()
        .to_owned();
    assert_eq!(sent, assertion.jwt().expose_secret(), "sent verbatim");

    // A provider is called once per network request and not on cache hits.
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let provider_cert = certificate.clone();
    let app = env
        .app(THUMBPRINT_APP)
        .client_assertion_callback(move |ctx| {
            counter.fetch_add(1, Ordering::SeqCst);
            let cert = provider_cert.clone();
            async move {
                let signed = sign_client_assertion(
                    &cert,
                    &AssertionOptions::new(ctx.client_id, ctx.token_endpoint),
                    SystemTime::now(),
                )?;
                Ok(signed.jwt().expose_secret().to_owned())
            }
        })
        .build()
        .unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // An empty assertion is refused before the network.
    let empty = env
        .app(THUMBPRINT_APP)
        .client_assertion_callback(|_| async { Ok(String::new()) })
        .build()
        .unwrap();
    let before = env.emulator.token_requests().len();
    let err = empty.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(err.code(), "invalid_client_assertion");
    assert_eq!(env.emulator.token_requests().len(), before);
}

#[tokio::test]
async fn wrong_secret_is_a_typed_service_error() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret("wrong").build().unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    let Error::Service(service) = &err else {
        panic!("expected a service error, got {err:?}");
    };
    assert_eq!(service.status(), 401);
    assert_eq!(service.error(), "invalid_client");
    assert_eq!(service.aadsts_code(), Some(7000215));
    assert!(service
        .error_description()
        .unwrap()
        .starts_with("AADSTS7000215"));
    assert!(service.trace_id().is_some());
    let sent = env.emulator.token_requests()[0]
        .header("client-request-id")
        .unwrap()
        .to_owned();
    assert_eq!(service.correlation_id(), sent);
    assert!(
        !format!("{err} {err:?}").contains("wrong\""),
        "no secret echoed"
    );

    // The failure shows up in the next request's last-request telemetry.
    let _ = app.acquire_token_for_client([SCOPE]).await;
    let second = &env.emulator.token_requests()[1];
    assert_eq!(
        second.header("x-client-last-telemetry").unwrap(),
        format!("5|0|1004,{sent}|invalid_client|")
    );
}

#[tokio::test]
async fn build_validates_configuration() {
    let no_authority = msal::ConfidentialClientApplication::builder(SECRET_APP)
        .client_secret(SECRET)
        .build()
        .unwrap_err();
    assert_eq!(no_authority.code(), "missing_authority");
    let http = msal::ConfidentialClientApplication::builder(SECRET_APP)
        .authority("http://login.microsoftonline.com/t")
        .client_secret(SECRET)
        .build()
        .unwrap_err();
    assert_eq!(http.code(), "invalid_authority");
    let no_tenant = msal::ConfidentialClientApplication::builder(SECRET_APP)
        .authority("https://login.microsoftonline.com/")
        .client_secret(SECRET)
        .build()
        .unwrap_err();
    assert_eq!(no_tenant.code(), "invalid_authority");
    let no_credential = msal::ConfidentialClientApplication::builder(SECRET_APP)
        .authority(AUTHORITY)
        .build()
        .unwrap_err();
    assert_eq!(
        no_credential.code(),
        "Client_Credentials_Required_In_Confidential_Client_Application"
    );
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    let token = result.access_token().expose_secret().to_owned();
    let shown = format!("{app:?} {result:?} {:?}", result.access_token());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains(&token), "{shown}");
    let cert = client_certificate(&env.sni_cert);
    let shown = format!("{cert:?}");
    let key_body: String = env
        .sni_cert
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!shown.contains(&key_body[..40]), "{shown}");
}
