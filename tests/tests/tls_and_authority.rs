//! Server verification and authority resolution, end to end against the emulator.

use std::sync::Arc;

use entra_emulator::Emulator;
use msal::transport::HyperTransport;
use msal::{ConfidentialClientApplication, Error};
use msal_e2e_tests::*;

#[tokio::test]
async fn refuses_a_server_certificate_from_an_untrusted_ca() {
    let env = TestEnv::start().await;
    // Same resolver override, but the emulator's CA is not trusted.
    let mut builder = HyperTransport::builder().resolve_overrides_only(true);
    for host in Emulator::hostnames() {
        builder = builder.resolve(host, env.emulator.addr());
    }
    let app = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(AUTHORITY)
        .client_secret(SECRET)
        .transport(Arc::new(builder.build().unwrap()))
        .build()
        .unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("not trusted")
            || err.to_string().to_lowercase().contains("unknown issuer"),
        "{err}"
    );
    assert!(env.emulator.token_requests().is_empty());
}

#[tokio::test]
async fn refuses_a_server_certificate_for_another_hostname() {
    let env = TestEnv::start().await;
    // login.not-in-the-certificate.example is mapped to the emulator, whose certificate does not
    // cover it: hostname verification must fail even though the CA is trusted.
    let transport = transport_for(&env.emulator)
        .resolve("login.not-in-the-certificate.example", env.emulator.addr())
        .build()
        .unwrap();
    let app = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(format!(
            "https://login.not-in-the-certificate.example/{TENANT}"
        ))
        .validate_authority(false)
        .client_secret(SECRET)
        .transport(Arc::new(transport))
        .build()
        .unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("not valid for name"), "{err}");
    assert!(env.emulator.requests().is_empty());
}

#[tokio::test]
async fn unknown_host_is_validated_with_instance_discovery() {
    let env = TestEnv::start_with(|b| b.custom_authority_host("login.contoso-cloud.example")).await;
    let transport = transport_for(&env.emulator)
        .resolve("login.contoso-cloud.example", env.emulator.addr())
        .build()
        .unwrap();
    let app = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(format!(
            "https://login.contoso-cloud.example/{TENANT_DOMAIN}"
        ))
        .client_secret(SECRET)
        .transport(Arc::new(transport))
        .build()
        .unwrap();
    let result = app.acquire_token_for_client([SCOPE]).await.unwrap();
    // The realm is re-derived from the discovered token endpoint: the tenant GUID.
    assert_eq!(result.tenant_id(), TENANT);
    let requests = env.emulator.requests();
    let paths: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.host.clone(), r.path.clone()))
        .collect();
    assert_eq!(paths[0].0, "login.microsoftonline.com");
    assert_eq!(paths[0].1, "/common/discovery/instance");
    assert!(requests[0]
        .query
        .as_deref()
        .unwrap()
        .contains("authorization_endpoint=https%3A%2F%2Flogin.contoso-cloud.example"));
    assert!(
        paths[1]
            .1
            .ends_with("/v2.0/.well-known/openid-configuration"),
        "{paths:?}"
    );
    assert_eq!(paths[2].0, "login.contoso-cloud.example");
    assert!(paths[2].1.ends_with("/oauth2/v2.0/token"));
    assert_eq!(requests.len(), 3);

    // A second call does not discover again.
    app.acquire_token_for_client(["api://other/.default"])
        .await
        .unwrap();
    assert_eq!(env.emulator.requests().len(), 4);
}

#[tokio::test]
async fn unknown_instance_is_rejected() {
    let env = TestEnv::start().await;
    let transport = transport_for(&env.emulator).build().unwrap();
    let app = ConfidentialClientApplication::builder(SECRET_APP)
        .authority(format!("https://login.evil.example/{TENANT}"))
        .client_secret(SECRET)
        .transport(Arc::new(transport))
        .build()
        .unwrap();
    let err = app.acquire_token_for_client([SCOPE]).await.unwrap_err();
    assert_eq!(err.code(), "invalid_instance", "{err:?}");
    // Only the discovery request was made; no secret went anywhere.
    let requests = env.emulator.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].form.is_empty());
}

#[tokio::test]
async fn well_known_hosts_need_no_discovery() {
    let env = TestEnv::start().await;
    let app = env.app(SECRET_APP).client_secret(SECRET).build().unwrap();
    app.acquire_token_for_client([SCOPE]).await.unwrap();
    let requests = env.emulator.requests();
    assert_eq!(requests.len(), 1, "only the token POST");
}
