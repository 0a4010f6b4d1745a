//! A service's token helper on top of msal-client.

use std::sync::Arc;

use msal::transport::HyperTransport;
use msal::{AuthenticationResult, ConfidentialClientApplication, Error};

/// A confidential client for `client_id` on `authority` with a client secret, sending its
/// requests through `transport`.
pub fn secret_app(
    client_id: &str,
    authority: &str,
    secret: &str,
    transport: Arc<HyperTransport>,
) -> Result<ConfidentialClientApplication, Error> {
    ConfidentialClientApplication::builder(client_id)
        .authority(authority)
        .client_secret(secret)
        .transport(transport)
        .build()
}

/// A token for `scope`.
pub async fn token(
    app: &ConfidentialClientApplication,
    scope: &str,
) -> Result<AuthenticationResult, Error> {
    app.acquire_token_for_client([scope]).await
}
