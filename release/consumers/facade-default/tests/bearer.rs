//! A Bearer token with a client secret from the emulator, reached through the real hostname
//! `login.microsoftonline.com`; the second call is a cache hit.

use std::sync::Arc;

use entra_emulator::{AppRegistration, Emulator};
use facade_default::{secret_app, token};
use msal::transport::HyperTransport;
use msal::TokenSource;

const TENANT: &str = "aaaabbbb-0000-1111-2222-333344445555";
const CLIENT_ID: &str = "40000000-0000-0000-0000-000000000001";
const SECRET: &str = "facade-default-secret-7d1e";
const SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::test]
async fn a_bearer_token_with_a_client_secret() {
    let emulator = Emulator::builder()
        .tenant(TENANT, &["contoso.onmicrosoft.com"])
        .app(AppRegistration::new(CLIENT_ID, TENANT).with_secret(SECRET))
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
    let app = secret_app(CLIENT_ID, &authority, SECRET, transport).unwrap();

    let first = token(&app, SCOPE).await.unwrap();
    assert_eq!(first.token_type(), "Bearer");
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let claims = emulator
        .verify_access_token(first.access_token().expose_secret())
        .unwrap();
    assert_eq!(claims["appid"], CLIENT_ID);
    assert_eq!(claims["tid"], TENANT);

    let second = token(&app, SCOPE).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(emulator.token_requests().len(), 1);
    emulator.shutdown().await;
}
