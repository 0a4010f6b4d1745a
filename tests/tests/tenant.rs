//! The per-request tenant override (`.tenant(...)` on the acquire call, MSAL's `WithTenantId`)
//! against the Entra emulator: each tenant gets its own request, endpoint path and cache
//! partition; the authority guards refuse bad tenants before anything is sent.

use entra_emulator::AppRegistration;
use msal::{Error, TokenSource};
use msal_e2e_tests::*;

/// A second tenant in which the secret and SN/I apps are also registered (multi-tenant apps).
const TENANT2: &str = "ccccdddd-0000-1111-2222-333344445555";
const TENANT2_DOMAIN: &str = "fabrikam.onmicrosoft.com";

async fn two_tenants() -> TestEnv {
    TestEnv::start_with(|b| {
        b.tenant(TENANT2, &[TENANT2_DOMAIN])
            .app(AppRegistration::new(SECRET_APP, TENANT2).with_secret(SECRET))
            .app(AppRegistration::new(SNI_APP, TENANT2).with_subject_name_issuer(SNI_SUBJECT))
    })
    .await
}

#[tokio::test]
async fn two_tenants_two_requests_two_cache_entries() {
    let env = two_tenants().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();

    let other = app
        .acquire_token_for_client([SCOPE])
        .tenant(TENANT2)
        .await
        .unwrap();
    let home = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(other.token_source(), TokenSource::IdentityProvider);
    assert_eq!(home.token_source(), TokenSource::IdentityProvider);
    assert_eq!(other.tenant_id(), TENANT2);
    assert_eq!(home.tenant_id(), TENANT);

    let claims = |r: &msal::AuthenticationResult| {
        env.emulator
            .verify_access_token(r.access_token().expose_secret())
            .expect("emulator token")
    };
    assert_eq!(claims(&other)["tid"], TENANT2);
    assert_eq!(claims(&home)["tid"], TENANT);

    let paths: Vec<String> = env
        .emulator
        .token_requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            format!("/{TENANT2}/oauth2/v2.0/token"),
            format!("/{TENANT}/oauth2/v2.0/token"),
        ]
    );

    // Each hit comes from its own partition: the same token as that tenant's first answer.
    let other_hit = app
        .acquire_token_for_client([SCOPE])
        .tenant(TENANT2)
        .await
        .unwrap();
    let home_hit = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(other_hit.token_source(), TokenSource::Cache);
    assert_eq!(home_hit.token_source(), TokenSource::Cache);
    assert_eq!(other_hit.tenant_id(), TENANT2);
    assert_eq!(home_hit.tenant_id(), TENANT);
    assert_eq!(
        other_hit.access_token().expose_secret(),
        other.access_token().expose_secret()
    );
    assert_eq!(
        home_hit.access_token().expose_secret(),
        home.access_token().expose_secret()
    );
    assert_ne!(
        other.access_token().expose_secret(),
        home.access_token().expose_secret()
    );
    assert_eq!(env.emulator.token_requests().len(), 2, "no further request");
}

#[tokio::test]
async fn a_domain_tenant_goes_into_the_path_and_its_own_partition() {
    let env = two_tenants().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let result = app
        .acquire_token_for_client([SCOPE])
        .tenant("Fabrikam.onmicrosoft.com")
        .await
        .unwrap();
    assert_eq!(result.tenant_id(), TENANT2_DOMAIN);
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        format!("/{TENANT2_DOMAIN}/oauth2/v2.0/token")
    );
    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["tid"], TENANT2);
}

#[tokio::test]
async fn pop_with_a_tenant_goes_to_that_tenant_on_mtlsauth() {
    let env = two_tenants().await;
    let app = env.sni_app().build().unwrap();
    let result = app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .tenant(TENANT2)
        .await
        .unwrap();
    assert_eq!(result.token_type(), "mtls_pop");
    assert_eq!(result.tenant_id(), TENANT2);
    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].host, "mtlsauth.microsoft.com");
    assert_eq!(requests[0].path, format!("/{TENANT2}/oauth2/v2.0/token"));
    let home = pop(&app).await;
    assert_eq!(home.tenant_id(), TENANT);
    assert_eq!(env.emulator.token_requests().len(), 2);
}

#[tokio::test]
async fn pop_with_a_bad_tenant_is_a_typed_error_and_nothing_is_sent() {
    let env = two_tenants().await;
    let app = env.sni_app().build().unwrap();
    for (tenant, code) in [
        ("common", "unsupported_authority"),
        ("organizations", "unsupported_authority"),
        ("../common", "invalid_tenant"),
        ("not a tenant", "invalid_tenant"),
    ] {
        let err = app
            .acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .tenant(tenant)
            .await
            .unwrap_err();
        match code {
            "invalid_tenant" => assert!(matches!(err, Error::InvalidTenant { .. }), "{err:?}"),
            _ => assert!(matches!(err, Error::UnsupportedAuthority(_)), "{err:?}"),
        }
        assert!(!err.is_retryable(), "{tenant}");
    }
    let secret_app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    let err = secret_app
        .acquire_token_for_client([SCOPE])
        .tenant("x/y")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_tenant");
    assert!(env.emulator.requests().is_empty(), "nothing was sent");
    assert_eq!(env.emulator.tls_handshakes(), 0, "no connection was opened");
}

#[tokio::test]
async fn a_tenant_goes_into_the_regional_paths_too() {
    let env = two_tenants().await;
    let region = || msal::AzureRegion::Named("eastus".into());
    let pop_app = env.sni_app().azure_region(region()).build().unwrap();
    let pop = pop_app
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .tenant(TENANT2)
        .await
        .unwrap();
    let expected = format!("https://eastus.mtlsauth.microsoft.com/{TENANT2}/oauth2/v2.0/token");
    assert_eq!(pop.token_endpoint(), Some(expected.as_str()));

    let bearer_app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .region_environment(no_env())
        .azure_region(region())
        .build()
        .unwrap();
    let bearer = bearer_app
        .acquire_token_for_client([SCOPE])
        .tenant(TENANT2)
        .await
        .unwrap();
    let expected = format!("https://eastus.login.microsoft.com/{TENANT2}/oauth2/v2.0/token");
    assert_eq!(bearer.token_endpoint(), Some(expected.as_str()));
    assert_eq!(bearer.tenant_id(), TENANT2);
}
