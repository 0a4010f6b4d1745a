//! A service's token helper on top of msal-client without its default features: a certificate
//! from PEM, a transport that trusts only the roots given to it.

use std::sync::Arc;

use msal::transport::HyperTransport;
use msal::{AuthenticationResult, ClientCertificate, ConfidentialClientApplication, Error};

/// A confidential client for `client_id` on `authority` that signs client assertions with the
/// certificate and key in `chain_pem` and `key_pem`.
pub fn certificate_app(
    client_id: &str,
    authority: &str,
    chain_pem: &str,
    key_pem: &str,
    transport: Arc<HyperTransport>,
) -> Result<ConfidentialClientApplication, Error> {
    let certificate = ClientCertificate::from_pem_parts(chain_pem.as_bytes(), key_pem.as_bytes())?;
    ConfidentialClientApplication::builder(client_id)
        .authority(authority)
        .certificate(certificate)
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
