//! mTLS Proof-of-Possession end to end: the client presents its certificate to the emulator's
//! `mtlsauth` hosts over real TLS, gets a token bound to it, and calls the protected resource.
//! Covers the scenarios of MSAL.NET's mTLS PoP test checklist that apply to a confidential client
//! (endpoint transform, regions, authority guards, cache isolation by key id, token type checks,
//! binding at the resource), and the extra cases listed in docs/mtls-pop.md.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use entra_emulator::pki::{CertRequest, KeyChoice};
use entra_emulator::{ImdsStub, Misbehavior};
use http::{HeaderName, HeaderValue, StatusCode};
use msal::cache::MemoryTokenCache;
use msal::transport::{HttpRequest, Transport};
use msal::{
    AzureRegion, ConfidentialClientApplication, Error, RegionOutcome, RegionSource, TokenSource,
};
use msal_e2e_tests::*;
use url::Url;

const RESOURCE: &str = "https://mtlstb.graph.microsoft.com/v1.0/applications";

fn env_with(pairs: &[(&str, &str)]) -> msal::EnvLookup {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Arc::new(move |name| map.get(name).cloned())
}

fn pop_app(env: &TestEnv) -> ConfidentialClientApplication {
    env.sni_app().build().unwrap()
}

fn endpoint(host: &str) -> String {
    format!("https://{host}/{TENANT}/oauth2/v2.0/token")
}

#[tokio::test]
async fn pop_token_request_presents_the_certificate_and_sends_no_assertion() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    let certificate = client_certificate(&env.sni_cert);
    let result = pop(&app).await;

    assert_eq!(result.token_type(), "mtls_pop");
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("mtlsauth.microsoft.com").as_str())
    );
    assert_eq!(result.region_details().region_used(), None);
    let binding = result.binding_certificate().expect("binding certificate");
    assert_eq!(binding.x5t_s256(), certificate.x5t_s256());
    assert_eq!(
        binding.thumbprint_sha256(),
        certificate.thumbprint_sha256_hex()
    );
    assert_eq!(binding.x5c(), certificate.x5c());
    assert!(result.authorization_header().starts_with("mtls_pop eyJ"));

    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], certificate.x5t_s256());

    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.host, "mtlsauth.microsoft.com");
    assert_eq!(req.sni.as_deref(), Some("mtlsauth.microsoft.com"));
    assert_eq!(
        req.client_certificate.as_deref(),
        Some(env.sni_cert.leaf_der.as_slice()),
        "the certificate was presented in the TLS handshake"
    );
    let form: BTreeSet<&str> = req.form_names().into_iter().collect();
    assert_eq!(
        form,
        BTreeSet::from([
            "client_id",
            "grant_type",
            "scope",
            "client_info",
            "token_type"
        ])
    );
    assert_eq!(req.form_value("token_type"), Some("mtls_pop"));
    assert_eq!(req.form_value("grant_type"), Some("client_credentials"));
    for absent in [
        "client_assertion",
        "client_assertion_type",
        "client_secret",
        "req_cnf",
    ] {
        assert!(
            req.form_value(absent).is_none(),
            "{absent} must not be sent"
        );
    }
    assert_eq!(
        req.header("x-client-current-telemetry"),
        Some("5|1004,2,,,|0,0,6,,,")
    );
    assert!(req.header("authorization").is_none());
}

#[tokio::test]
async fn second_pop_call_is_a_cache_hit_with_the_binding_certificate() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    let first = pop(&app).await;
    let second = pop(&app).await;
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.token_type(), "mtls_pop");
    assert_eq!(
        first.access_token().expose_secret(),
        second.access_token().expose_secret()
    );
    assert_eq!(
        second.binding_certificate().unwrap().x5t_s256(),
        first.binding_certificate().unwrap().x5t_s256()
    );
    assert_eq!(env.emulator.token_requests().len(), 1);
}

#[tokio::test]
async fn thumbprint_registered_certificate_needs_no_x5c() {
    let env = TestEnv::start().await;
    let app = env
        .app(THUMBPRINT_APP)
        .certificate(client_certificate(&env.thumbprint_cert))
        .region_environment(no_env())
        .build()
        .unwrap();
    let result = pop(&app).await;
    assert_eq!(result.token_type(), "mtls_pop");
}

#[tokio::test]
async fn explicit_region_goes_to_the_regional_mtls_host() {
    let env = TestEnv::start().await;
    let app = env
        .sni_app()
        .azure_region(AzureRegion::Named("centralus".into()))
        .region_environment(no_env())
        .build()
        .unwrap();
    let result = pop(&app).await;
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("centralus.mtlsauth.microsoft.com").as_str())
    );
    let region = result.region_details();
    assert_eq!(region.region_used(), Some("centralus"));
    assert_eq!(region.outcome(), Some(RegionOutcome::UserProvided));
    assert_eq!(
        env.emulator.token_requests()[0].host,
        "centralus.mtlsauth.microsoft.com"
    );
}

#[tokio::test]
async fn invalid_explicit_region_never_reaches_a_hostname() {
    let env = TestEnv::start().await;
    for bad in ["east us", "west.us", "../x", ""] {
        let app = env
            .sni_app()
            .azure_region(AzureRegion::Named(bad.into()))
            .region_environment(no_env())
            .build()
            .unwrap();
        let result = pop(&app).await;
        assert_eq!(
            result.token_endpoint(),
            Some(endpoint("mtlsauth.microsoft.com").as_str())
        );
        assert_eq!(
            result.region_details().outcome(),
            Some(RegionOutcome::FallbackToGlobal)
        );
    }
}

#[tokio::test]
async fn auto_detected_region_from_region_name() {
    let env = TestEnv::start().await;
    let app = env
        .sni_app()
        .azure_region(AzureRegion::AutoDetect)
        .region_environment(env_with(&[("REGION_NAME", "East US")]))
        .imds_endpoint("http://127.0.0.1:9") // never asked: REGION_NAME wins
        .build()
        .unwrap();
    let result = pop(&app).await;
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("eastus.mtlsauth.microsoft.com").as_str())
    );
    let region = result.region_details();
    assert_eq!(region.source(), Some(RegionSource::EnvVariable));
    assert_eq!(region.outcome(), Some(RegionOutcome::AutodetectSuccess));
}

#[tokio::test]
async fn auto_detected_region_from_imds_is_cached_for_the_process() {
    let env = TestEnv::start().await;
    let imds = ImdsStub::start(Some("westus2")).await.unwrap();
    for round in 0..2 {
        let app = env
            .sni_app()
            .azure_region(AzureRegion::AutoDetect)
            .region_environment(no_env())
            .imds_endpoint(imds.base_url())
            .build()
            .unwrap();
        let result = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .force_refresh(true)
            .await
            .unwrap();
        assert_eq!(
            result.token_endpoint(),
            Some(endpoint("westus2.mtlsauth.microsoft.com").as_str()),
            "round {round}"
        );
        let expected = if round == 0 {
            RegionSource::Imds
        } else {
            RegionSource::Cache
        };
        assert_eq!(result.region_details().source(), Some(expected));
        let telemetry = format!(
            "5|1004,1,westus2,{},4|0,0,6,,,",
            if round == 0 { 4 } else { 2 }
        );
        assert_eq!(
            env.emulator
                .token_requests()
                .pop()
                .unwrap()
                .header("x-client-current-telemetry"),
            Some(telemetry.as_str())
        );
    }
    assert_eq!(
        imds.request_count(),
        1,
        "the IMDS answer is cached for the process"
    );
}

#[tokio::test]
async fn failed_auto_detection_falls_back_to_global() {
    let env = TestEnv::start().await;
    let imds = ImdsStub::start(None).await.unwrap(); // 404
    let app = env
        .sni_app()
        .azure_region(AzureRegion::AutoDetect)
        .region_environment(no_env())
        .imds_endpoint(imds.base_url())
        .build()
        .unwrap();
    let result = pop(&app).await;
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("mtlsauth.microsoft.com").as_str())
    );
    assert_eq!(
        result.region_details().outcome(),
        Some(RegionOutcome::FallbackToGlobal)
    );
    assert_eq!(
        result.region_details().source(),
        Some(RegionSource::FailedAutoDiscovery)
    );
    assert_eq!(imds.request_count(), 1);
}

#[tokio::test]
async fn region_disabled_and_not_configured_use_global() {
    let env = TestEnv::start().await;
    for (region, vars) in [
        (
            Some(AzureRegion::Disabled),
            vec![("MSAL_FORCE_REGION", "westus")],
        ),
        (None, vec![]),
        (
            Some(AzureRegion::AutoDetect),
            vec![("MSAL_DISABLE_REGION", "1"), ("REGION_NAME", "westus")],
        ),
    ] {
        let mut builder = env.sni_app().region_environment(env_with(&vars));
        if let Some(r) = region {
            builder = builder.azure_region(r);
        }
        let app = builder.build().unwrap();
        let result = pop(&app).await;
        assert_eq!(
            result.token_endpoint(),
            Some(endpoint("mtlsauth.microsoft.com").as_str())
        );
    }
    // MSAL_FORCE_REGION applies when the app configures nothing.
    let app = env
        .sni_app()
        .region_environment(env_with(&[("MSAL_FORCE_REGION", "westus3")]))
        .build()
        .unwrap();
    let result = pop(&app).await;
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("westus3.mtlsauth.microsoft.com").as_str())
    );
}

#[tokio::test]
async fn bearer_with_region_uses_the_regional_login_host() {
    let env = TestEnv::start().await;
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .azure_region(AzureRegion::Named("westus".into()))
        .region_environment(no_env())
        .build()
        .unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(
        result.token_endpoint(),
        Some(endpoint("westus.login.microsoft.com").as_str())
    );
    assert_eq!(
        env.emulator.token_requests()[0].host,
        "westus.login.microsoft.com"
    );
}

#[tokio::test]
async fn pop_without_a_certificate_fails_before_the_network() {
    let env = TestEnv::start().await;
    let secret = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let err = secret
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mtls_certificate_not_provided");
    let assertion = env
        .app(SECRET_APP)
        .client_assertion("a.b.c")
        .build()
        .unwrap();
    let err = assertion
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MtlsCertificateNotProvided));
    assert!(env.emulator.requests().is_empty());
}

#[tokio::test]
async fn authority_guards_fail_before_any_certificate_leaves() {
    let env = TestEnv::start().await;
    let cases = [
        (
            "https://login.microsoftonline.com/common",
            "missing_tenanted_authority",
        ),
        (
            "https://login.microsoftonline.com/organizations",
            "missing_tenanted_authority",
        ),
        (
            "https://login.microsoftonline.us/common",
            "missing_tenanted_authority",
        ),
        (
            "https://login.usgovcloudapi.net/aaaabbbb-0000-1111-2222-333344445555",
            "mtls_pop_not_supported_for_environment",
        ),
        (
            "https://login.chinacloudapi.cn/aaaabbbb-0000-1111-2222-333344445555",
            "mtls_pop_not_supported_for_environment",
        ),
        (
            "https://sts.windows.net/aaaabbbb-0000-1111-2222-333344445555",
            "mtls_pop_not_supported_for_environment",
        ),
        (
            "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin",
            "invalid_authority_type",
        ),
        ("https://fs.contoso.example/adfs", "invalid_authority_type"),
    ];
    for (authority, code) in cases {
        let app = ConfidentialClientApplication::builder(SNI_APP)
            .authority(authority)
            .certificate(client_certificate(&env.sni_cert))
            .transport(env.transport.clone())
            .region_environment(no_env())
            .build()
            .unwrap();
        let err = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{authority}: {err}");
        assert!(matches!(err, Error::UnsupportedAuthority(_)), "{err:?}");
    }
    assert!(env.emulator.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn sovereign_clouds_map_to_their_mtls_hosts() {
    let env = TestEnv::start().await;
    let clouds = [
        ("login.microsoftonline.us", "mtlsauth.microsoftonline.us"),
        (
            "login.partner.microsoftonline.cn",
            "mtlsauth.partner.microsoftonline.cn",
        ),
        (
            "login.sovcloud-identity.fr",
            "mtlsauth.sovcloud-identity.fr",
        ),
        (
            "login.sovcloud-identity.de",
            "mtlsauth.sovcloud-identity.de",
        ),
        (
            "login.sovcloud-identity.sg",
            "mtlsauth.sovcloud-identity.sg",
        ),
    ];
    for (login, mtls) in clouds {
        for region in [None, Some("eastus")] {
            let mut builder = ConfidentialClientApplication::builder(SNI_APP)
                .authority(format!("https://{login}/{TENANT}"))
                .certificate(client_certificate(&env.sni_cert))
                .transport(env.transport.clone())
                .region_environment(no_env());
            if let Some(r) = region {
                builder = builder.azure_region(AzureRegion::Named(r.into()));
            }
            let app = builder.build().unwrap();
            let result = pop(&app).await;
            let host = match region {
                Some(r) => format!("{r}.{mtls}"),
                None => mtls.to_owned(),
            };
            assert_eq!(result.token_endpoint(), Some(endpoint(&host).as_str()));
            let again = pop(&app).await;
            assert_eq!(
                again.token_source(),
                TokenSource::Cache,
                "{login} {region:?}"
            );
        }
    }
    // No instance discovery for any of them: only token requests were made.
    assert!(env
        .emulator
        .requests()
        .iter()
        .all(|r| r.path.ends_with("/oauth2/v2.0/token")));
}

#[tokio::test]
async fn pop_and_bearer_are_isolated_both_ways() {
    let env = TestEnv::start().await;
    let app = env
        .sni_app()
        .send_x5c(true)
        .region_environment(no_env())
        .build()
        .unwrap();
    // PoP then Bearer
    let pop_result = pop(&app).await;
    let bearer = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(bearer.token_source(), TokenSource::IdentityProvider);
    assert_eq!(bearer.token_type(), "Bearer");
    assert!(bearer.binding_certificate().is_none());
    assert_ne!(
        pop_result.access_token().expose_secret(),
        bearer.access_token().expose_secret()
    );

    // Bearer then PoP on a fresh app
    let app2 = env
        .sni_app()
        .send_x5c(true)
        .region_environment(no_env())
        .build()
        .unwrap();
    app2.acquire_token_for_client([SCOPE]).await.unwrap();
    let pop2 = pop(&app2).await;
    assert_eq!(pop2.token_source(), TokenSource::IdentityProvider);
    assert_eq!(pop2.token_type(), "mtls_pop");
    // Each cached entry answers its own kind.
    assert_eq!(
        app2.acquire_token_for_client([SCOPE])
            .await
            .unwrap()
            .token_type(),
        "Bearer"
    );
    assert_eq!(pop(&app2).await.token_source(), TokenSource::Cache);
    assert_eq!(env.emulator.token_requests().len(), 4);
}

#[tokio::test]
async fn downgraded_or_untyped_answers_are_errors_and_not_cached() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    env.emulator.set_misbehavior(Misbehavior::AnswerBearerToPop);
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_type_mismatch");
    assert!(
        err.to_string().contains("mtls_pop") && err.to_string().contains("Bearer"),
        "{err}"
    );
    env.emulator.set_misbehavior(Misbehavior::OmitTokenType);
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_type_missing");
    env.emulator.set_misbehavior(Misbehavior::None);
    let ok = pop(&app).await;
    assert_eq!(
        ok.token_source(),
        TokenSource::IdentityProvider,
        "nothing was cached before"
    );
    assert_eq!(env.emulator.token_requests().len(), 3);
}

#[tokio::test]
async fn two_certificates_never_share_a_token() {
    let env = TestEnv::start().await;
    let cache = Arc::new(MemoryTokenCache::new());
    let mut second = CertRequest::new(SNI_SUBJECT);
    second.key = KeyChoice::Rsa(2);
    let cert_b = env.ca.issue(&second).unwrap();
    let app_a = env
        .sni_app()
        .token_cache(cache.clone())
        .region_environment(no_env())
        .build()
        .unwrap();
    let app_b = env
        .app(SNI_APP)
        .certificate(client_certificate(&cert_b))
        .token_cache(cache.clone())
        .region_environment(no_env())
        .build()
        .unwrap();
    let a = pop(&app_a).await;
    let b = pop(&app_b).await;
    assert_eq!(b.token_source(), TokenSource::IdentityProvider);
    let claims_b = env
        .emulator
        .verify_access_token(b.access_token().expose_secret())
        .unwrap();
    assert_eq!(
        claims_b["cnf"]["x5t#S256"],
        client_certificate(&cert_b).x5t_s256()
    );
    assert_eq!(cache.len(), 2, "both tokens kept");
    // Each app still gets its own token from the shared cache.
    let a2 = pop(&app_a).await;
    assert_eq!(a2.token_source(), TokenSource::Cache);
    assert_eq!(
        a2.access_token().expose_secret(),
        a.access_token().expose_secret()
    );

    // A renewed certificate (same key, new DER) misses: its token would be bound to other bytes.
    let mut renewed = CertRequest::new(SNI_SUBJECT);
    renewed.key = KeyChoice::Rsa(1);
    let renewed = env.ca.issue(&renewed).unwrap();
    assert_ne!(renewed.leaf_der, env.sni_cert.leaf_der);
    let app_r = env
        .app(SNI_APP)
        .certificate(client_certificate(&renewed))
        .token_cache(cache.clone())
        .region_environment(no_env())
        .build()
        .unwrap();
    let r = pop(&app_r).await;
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    assert_eq!(env.emulator.token_requests().len(), 3);
}

#[tokio::test]
async fn same_certificate_reuses_the_tls_connection() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    pop(&app).await;
    let after_first = env.emulator.tls_handshakes();
    app.acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(
        env.emulator.tls_handshakes(),
        after_first,
        "pooled connection reused"
    );
    assert_eq!(env.emulator.token_requests().len(), 2);

    // Another certificate on the same transport gets its own connection.
    let mut other = CertRequest::new(SNI_SUBJECT);
    other.key = KeyChoice::Rsa(3);
    let other = env.ca.issue(&other).unwrap();
    let app_b = env
        .app(SNI_APP)
        .certificate(client_certificate(&other))
        .region_environment(no_env())
        .build()
        .unwrap();
    pop(&app_b).await;
    assert_eq!(env.emulator.tls_handshakes(), after_first + 1);
    let last = env.emulator.token_requests().pop().unwrap();
    assert_eq!(
        last.client_certificate.as_deref(),
        Some(other.leaf_der.as_slice())
    );
}

#[tokio::test]
async fn resource_accepts_the_bound_token_only_with_its_certificate() {
    let env = TestEnv::start().await;
    let app = pop_app(&env);
    let result = pop(&app).await;
    let url = Url::parse(RESOURCE).unwrap();

    let ok = result
        .call_resource(app.transport().as_ref(), HttpRequest::get(url.clone()))
        .await
        .unwrap();
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&ok.body)
    );

    let token = result.access_token().expose_secret().to_owned();
    let auth = HeaderName::from_static("authorization");
    let transport = app.transport();

    // The Bearer scheme for a bound token is rejected.
    let bearer = HttpRequest::get(url.clone()).header(
        auth.clone(),
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let identity = result.binding_certificate().unwrap().client_identity();
    let resp = transport.send(bearer, Some(identity)).await.unwrap();
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);

    // No client certificate: rejected.
    let pop = HttpRequest::get(url.clone()).header(
        auth.clone(),
        HeaderValue::from_str(&format!("mtls_pop {token}")).unwrap(),
    );
    let resp = transport.send(pop.clone(), None).await.unwrap();
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);

    // Another certificate: rejected.
    let other = client_certificate(&env.thumbprint_cert);
    let resp = transport.send(pop, Some(&other)).await.unwrap();
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_apps_sharing_a_file_cache_serve_each_other() {
    let env = TestEnv::start().await;
    let dir = std::env::temp_dir().join(format!("msal-e2e-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    let build = || {
        env.sni_app()
            .token_cache_file(&path)
            .region_environment(no_env())
            .build()
            .unwrap()
    };
    let first = build()
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();
    let second = build()
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.token_type(), "mtls_pop");
    assert_eq!(
        second.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
    assert!(second.binding_certificate().is_some());
    assert_eq!(env.emulator.token_requests().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn custom_login_cloud_maps_to_its_mtls_host() {
    let env = TestEnv::start_with(|b| b.custom_authority_host("login.contoso-cloud.example")).await;
    for (region, host) in [
        (None, "mtlsauth.contoso-cloud.example"),
        (Some("eastus"), "eastus.mtlsauth.contoso-cloud.example"),
    ] {
        let mut builder = ConfidentialClientApplication::builder(SNI_APP)
            .authority(format!("https://login.contoso-cloud.example/{TENANT}"))
            .validate_authority(false)
            .certificate(client_certificate(&env.sni_cert))
            .transport(env.transport.clone())
            .region_environment(no_env());
        if let Some(r) = region {
            builder = builder.azure_region(AzureRegion::Named(r.into()));
        }
        let result = builder
            .build()
            .unwrap()
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await
            .unwrap();
        assert_eq!(result.token_endpoint(), Some(endpoint(host).as_str()));
    }
    // No instance discovery, no OIDC: the transform is local.
    assert_eq!(env.emulator.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pop_calls_with_several_certificates() {
    let env = TestEnv::start().await;
    let cache = Arc::new(MemoryTokenCache::new());
    let mut apps = Vec::new();
    for key in [1, 2, 3] {
        let mut request = CertRequest::new(SNI_SUBJECT);
        request.key = KeyChoice::Rsa(key);
        let cert = env.ca.issue(&request).unwrap();
        apps.push(
            env.app(SNI_APP)
                .certificate(client_certificate(&cert))
                .token_cache(cache.clone())
                .region_environment(no_env())
                .build()
                .unwrap(),
        );
    }
    let mut tasks = Vec::new();
    for round in 0..60 {
        let app = apps[round % apps.len()].clone();
        tasks.push(tokio::spawn(async move {
            let r = pop(&app).await;
            (
                r.binding_certificate().unwrap().x5t_s256().to_owned(),
                r.access_token().expose_secret().to_owned(),
            )
        }));
    }
    let mut by_cert: HashMap<String, BTreeSet<String>> = HashMap::new();
    for t in tasks {
        let (kid, token) = t.await.unwrap();
        by_cert.entry(kid).or_default().insert(token);
    }
    assert_eq!(by_cert.len(), 3);
    for (kid, tokens) in &by_cert {
        assert_eq!(tokens.len(), 1, "one token per certificate");
        let claims = env
            .emulator
            .verify_access_token(tokens.iter().next().unwrap())
            .unwrap();
        assert_eq!(claims["cnf"]["x5t#S256"], kid.as_str());
    }
    assert_eq!(
        env.emulator.token_requests().len(),
        3,
        "one request per certificate"
    );
}

/// A transport that cannot present client certificates.
#[derive(Debug)]
struct PlainOnly(Arc<msal::transport::HyperTransport>);

#[async_trait::async_trait]
impl Transport for PlainOnly {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&msal::ClientCertificate>,
    ) -> Result<msal::transport::HttpResponse, mtls_transport::Error> {
        if identity.is_some() {
            return Err(mtls_transport::Error::ClientIdentityNotSupported {
                transport: "PlainOnly".to_owned(),
            });
        }
        self.0.send(request, None).await
    }
}

#[tokio::test]
async fn a_transport_without_client_certificates_is_a_typed_error() {
    let env = TestEnv::start().await;
    let app = ConfidentialClientApplication::builder(SNI_APP)
        .authority(AUTHORITY)
        .certificate(client_certificate(&env.sni_cert))
        .send_x5c(true)
        .transport(Arc::new(PlainOnly(env.transport.clone())))
        .region_environment(no_env())
        .build()
        .unwrap();
    // Bearer works through it...
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    // ...PoP says exactly why it cannot.
    let err = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "client_identity_not_supported");
    assert_eq!(env.emulator.token_requests().len(), 1);
}
