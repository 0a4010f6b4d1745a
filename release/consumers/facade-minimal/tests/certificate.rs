//! A Bearer token with a PEM certificate (a signed client assertion; the emulator knows the
//! certificate by thumbprint), with msal-client's default features off.

use std::sync::Arc;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use facade_minimal::{certificate_app, token};
use msal::transport::HyperTransport;
use msal::TokenSource;

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const CLIENT_ID: &str = "50000000-0000-0000-0000-000000000001";
const SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::test]
async fn a_bearer_token_with_a_pem_certificate() {
    let ca = TestCa::new("facade-minimal CA").unwrap();
    let issued = ca.issue(&CertRequest::new("facade-minimal.contoso.example")).unwrap();
    let emulator = Emulator::builder()
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .app(AppRegistration::new(CLIENT_ID, TENANT).with_certificate(issued.leaf_der.clone()))
        .start()
        .await
        .unwrap();
    let mut builder = HyperTransport::builder()
        .webpki_roots(false)
        .resolve_overrides_only(true)
        .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())
        .unwrap();
    for (host, addr) in emulator.resolver_entries() {
        builder = builder.resolve(&host, addr);
    }
    let transport = Arc::new(builder.build().unwrap());
    let authority = format!("https://login.microsoftonline.com/{TENANT}");
    let app = certificate_app(CLIENT_ID, &authority, &issued.chain_pem, &issued.key_pem, transport)
        .unwrap();

    let result = token(&app, SCOPE).await.unwrap();
    assert_eq!(result.token_type(), "Bearer");
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    let claims = emulator
        .verify_access_token(result.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["appid"], CLIENT_ID);

    let requests = emulator.token_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert!(requests[0].form_value("client_secret").is_none());
    emulator.shutdown().await;
}
