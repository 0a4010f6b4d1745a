//! Federated two-leg exchange over mTLS (jwt-pop) and Bearer over mTLS, end to end against the
//! emulator: leg 1 is an `mtls_pop` token for `api://AzureADTokenExchange/.default`; leg 2 sends it
//! as a `jwt-pop` client assertion over mTLS with the same certificate; Bearer over mTLS sends a
//! signed assertion (with `x5c`) to the `mtlsauth` host while presenting the certificate.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use entra_emulator::pki::{CertRequest, KeyChoice};
use entra_emulator::{AppRegistration, Emulator};
use msal::cache::MemoryTokenCache;
use msal::{BoundAssertion, ConfidentialClientApplication, FederatedLeg1, TokenSource};
use msal_e2e_tests::*;

/// The leg-2 app: trusts tokens issued for SNI_APP (leg 1) through a federated credential.
const LEG2_APP: &str = "20000000-0000-0000-0000-000000000002";

async fn fic_env() -> TestEnv {
    TestEnv::start_with(|b| {
        b.app(
            AppRegistration::new(LEG2_APP, TENANT).with_federated_credential(
                &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                &Emulator::object_id(SNI_APP),
            ),
        )
    })
    .await
}

fn leg1(env: &TestEnv) -> ConfidentialClientApplication {
    env.sni_app().build().unwrap()
}

fn form_names(req: &entra_emulator::LoggedRequest) -> BTreeSet<&str> {
    req.form_names().into_iter().collect()
}

#[tokio::test]
async fn leg1_pop_then_leg2_pop_bound_to_the_same_certificate() {
    let env = fic_env().await;
    assert_eq!(
        env.emulator.issuer(TENANT),
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    let leg2 = env
        .app(LEG2_APP)
        .bound_assertion_provider(Arc::new(FederatedLeg1::new(leg1(&env))))
        .region_environment(no_env())
        .build()
        .unwrap();
    let result = pop(&leg2).await;
    assert_eq!(result.token_type(), "mtls_pop");
    let cert = client_certificate(&env.sni_cert);
    assert_eq!(
        result.binding_certificate().unwrap().x5t_s256(),
        cert.x5t_s256()
    );
    let claims = env
        .emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["appid"], LEG2_APP);
    assert_eq!(claims["cnf"]["x5t#S256"], cert.x5t_s256());

    let requests = env.emulator.token_requests();
    assert_eq!(requests.len(), 2);
    let (l1, l2) = (&requests[0], &requests[1]);
    assert_eq!(
        l1.form_value("scope"),
        Some("api://AzureADTokenExchange/.default")
    );
    assert_eq!(l1.form_value("token_type"), Some("mtls_pop"));
    assert_eq!(l2.host, "mtlsauth.microsoft.com");
    assert_eq!(
        l2.client_certificate.as_deref(),
        Some(env.sni_cert.leaf_der.as_slice())
    );
    assert_eq!(
        form_names(l2),
        BTreeSet::from([
            "client_id",
            "grant_type",
            "scope",
            "client_info",
            "client_assertion_type",
            "client_assertion",
            "token_type"
        ])
    );
    assert_eq!(
        l2.form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-pop")
    );
    assert_eq!(l2.form_value("token_type"), Some("mtls_pop"));
    // The assertion is leg 1's token, unmodified.
    let leg1_claims = env
        .emulator
        .verify_access_token(l2.form_value("client_assertion").unwrap())
        .unwrap();
    assert_eq!(leg1_claims["aud"], "api://AzureADTokenExchange");
    assert_eq!(leg1_claims["cnf"]["x5t#S256"], cert.x5t_s256());
}

#[tokio::test]
async fn leg1_pop_then_leg2_bearer() {
    let env = fic_env().await;
    let leg2 = env
        .app(LEG2_APP)
        .bound_assertion_provider(Arc::new(FederatedLeg1::new(leg1(&env))))
        .region_environment(no_env())
        .build()
        .unwrap();
    let result = leg2.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(result.token_type(), "Bearer");
    assert!(result.binding_certificate().is_none());
    let l2 = env.emulator.token_requests().pop().unwrap();
    assert_eq!(
        l2.host, "mtlsauth.microsoft.com",
        "the assertion travels with its certificate"
    );
    assert_eq!(
        l2.client_certificate.as_deref(),
        Some(env.sni_cert.leaf_der.as_slice())
    );
    assert_eq!(
        l2.form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-pop")
    );
    assert!(l2.form_value("token_type").is_none());
}

#[tokio::test]
async fn provider_is_called_once_per_network_request_and_not_on_cache_hits() {
    let env = fic_env().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let leg1_app = leg1(&env);
    let leg2 = env
        .app(LEG2_APP)
        .bound_assertion_callback(move |_ctx| {
            counter.fetch_add(1, Ordering::SeqCst);
            let leg1_app = leg1_app.clone();
            async move {
                let r = leg1_app
                    .acquire_token_for_client(["api://AzureADTokenExchange/.default"])
                    .with_mtls_proof_of_possession()
                    .await?;
                Ok(BoundAssertion::from_result(&r).expect("bound"))
            }
        })
        .region_environment(no_env())
        .build()
        .unwrap();
    for _ in 0..3 {
        pop(&leg2).await;
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "cache hits do not call the provider"
    );
    leg2.acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn leg2_pop_without_a_binding_certificate_or_with_an_empty_assertion() {
    let env = fic_env().await;
    let unbound = env
        .app(LEG2_APP)
        .bound_assertion_callback(|_| async { Ok(BoundAssertion::new("a.b.c", None)) })
        .build()
        .unwrap();
    let err = unbound
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "mtls_certificate_not_provided");

    let cert = client_certificate(&env.sni_cert);
    let empty = env
        .app(LEG2_APP)
        .bound_assertion_callback(move |_| {
            let cert = cert.clone();
            async move { Ok(BoundAssertion::new("", Some(cert))) }
        })
        .region_environment(no_env())
        .build()
        .unwrap();
    let err = empty
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client_assertion");
    assert!(env.emulator.token_requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn leg1_token_with_another_certificate_is_rejected_by_the_sts() {
    let env = fic_env().await;
    let leg1_result = leg1(&env)
        .acquire_token_for_client(["api://AzureADTokenExchange/.default"])
        .with_mtls_proof_of_possession()
        .await
        .unwrap();
    let mut other = CertRequest::new(SNI_SUBJECT);
    other.key = KeyChoice::Rsa(2);
    let other = client_certificate(&env.ca.issue(&other).unwrap());
    let leg2 = env
        .app(LEG2_APP)
        .client_assertion_with_binding(leg1_result.access_token().clone(), other)
        .region_environment(no_env())
        .build()
        .unwrap();
    let err = leg2
        .acquire_token_for_client([SCOPE])
        .with_mtls_proof_of_possession()
        .await
        .unwrap_err();
    let service = err.as_service_error().expect("service error");
    assert_eq!(service.aadsts_code(), Some(500181), "{service}");
}

#[tokio::test]
async fn bearer_over_mtls_needs_a_certificate_credential() {
    let err = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(AUTHORITY)
        .client_secret(SECRET)
        .send_certificate_over_mtls(true)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_credential_material");
}

#[tokio::test]
async fn bearer_over_mtls_sends_an_x5c_assertion_to_the_mtls_host_and_is_isolated_from_pop() {
    let env = TestEnv::start().await;
    let cert = client_certificate(&env.thumbprint_cert);
    let app = env
        .app(THUMBPRINT_APP)
        .certificate(cert.clone())
        .send_certificate_over_mtls(true)
        .region_environment(no_env())
        .build()
        .unwrap();
    let bearer = app.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(bearer.token_type(), "Bearer");
    assert!(bearer.binding_certificate().is_none());
    let req = env.emulator.token_requests().pop().unwrap();
    assert_eq!(req.host, "mtlsauth.microsoft.com");
    assert_eq!(
        req.client_certificate.as_deref(),
        Some(env.thumbprint_cert.leaf_der.as_slice())
    );
    assert!(req.form_value("token_type").is_none());
    assert_eq!(
        req.form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let jwt = req.form_value("client_assertion").unwrap();
    let decode = |i: usize| -> serde_json::Value {
        let part = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert!(decode(0)["x5c"].is_array(), "x5c is forced on");
    assert_eq!(
        decode(1)["aud"],
        format!("https://mtlsauth.microsoft.com/{TENANT}/oauth2/v2.0/token")
    );

    // Cached under the certificate's key id: a repeat is a hit; a PoP call is isolated.
    assert_eq!(
        app.acquire_token_for_client([SCOPE])
            .await
            .unwrap()
            .token_source(),
        TokenSource::Cache
    );
    let pop_result = pop(&app).await;
    assert_eq!(pop_result.token_type(), "mtls_pop");
    assert_eq!(pop_result.token_source(), TokenSource::IdentityProvider);
    let pop_req = env.emulator.token_requests().pop().unwrap();
    assert!(pop_req.form_value("client_assertion").is_none());
    assert_eq!(env.emulator.token_requests().len(), 2);
}

#[tokio::test]
async fn bearer_over_mtls_tokens_are_keyed_by_certificate() {
    let env = TestEnv::start().await;
    let cache = Arc::new(MemoryTokenCache::new());
    let mut second = CertRequest::new(SNI_SUBJECT);
    second.key = KeyChoice::Rsa(3);
    let cert_b = env.ca.issue(&second).unwrap();
    for cert in [&env.sni_cert, &cert_b] {
        let app = env
            .app(SNI_APP)
            .certificate(client_certificate(cert))
            .send_certificate_over_mtls(true)
            .token_cache(cache.clone())
            .region_environment(no_env())
            .build()
            .unwrap();
        let r = app.acquire_token_for_client([SCOPE]).await.unwrap();
        assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    }
    assert_eq!(cache.len(), 2);
    // A plain Bearer app (no mTLS) does not see either.
    let plain = env
        .sni_app()
        .send_x5c(true)
        .token_cache(cache.clone())
        .build()
        .unwrap();
    let r = plain.acquire_token_for_client([SCOPE]).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    assert_eq!(env.emulator.token_requests().len(), 3);
}

#[tokio::test]
async fn bearer_over_mtls_follows_the_region_rules() {
    let env = TestEnv::start().await;
    for (vars, host) in [
        (vec![], "mtlsauth.microsoft.com"),
        (
            vec![("REGION_NAME", "eastus")],
            "eastus.mtlsauth.microsoft.com",
        ),
    ] {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v): (&str, &str)| (k.to_owned(), v.to_owned()))
            .collect();
        let app = env
            .app(THUMBPRINT_APP)
            .certificate(client_certificate(&env.thumbprint_cert))
            .send_certificate_over_mtls(true)
            .azure_region(msal::AzureRegion::AutoDetect)
            .imds_endpoint("http://127.0.0.1:9")
            .region_environment(Arc::new(move |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            }))
            .build()
            .unwrap();
        let result = app
            .acquire_token_for_client([SCOPE])
            .force_refresh(true)
            .await
            .unwrap();
        assert_eq!(result.token_type(), "Bearer");
        assert_eq!(
            result.token_endpoint(),
            Some(format!("https://{host}/{TENANT}/oauth2/v2.0/token").as_str())
        );
        let req = env.emulator.token_requests().pop().unwrap();
        assert_eq!(req.host, host);
        assert!(req.client_certificate.is_some());
    }
}
