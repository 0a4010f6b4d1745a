//! A service's token helper for a certificate whose private key never leaves its PKCS#11
//! token: the key signs the mTLS handshake inside the token, and the tokens are bound to the
//! certificate (mTLS Proof-of-Possession).

use std::sync::Arc;

use msal::pkcs11::{Error as Pkcs11Error, Pkcs11Key};
use msal::transport::HyperTransport;
use msal::{
    AuthenticationResult, ClientCertificate, ConfidentialClientApplication, Error, SecretString,
};

/// Where the key lives: the PKCS#11 module, the token's label and the key's label.
#[derive(Clone, Copy, Debug)]
pub struct KeyLocation<'a> {
    /// Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: &'a str,
    /// `CKA_LABEL` of the token.
    pub token_label: &'a str,
    /// `CKA_LABEL` of the key pair.
    pub key_label: &'a str,
}

/// Opens the key, logging in with the user PIN.
pub fn open_key(at: KeyLocation<'_>, pin: SecretString) -> Result<Arc<Pkcs11Key>, Pkcs11Error> {
    Pkcs11Key::builder(at.module)
        .token_label(at.token_label)
        .key_label(at.key_label)
        .pin(pin)
        .open()
}

/// A confidential client for the SN/I app `client_id` whose certificate is `chain_pem` (leaf
/// first) and whose key is `key`.
pub fn hardware_app(
    client_id: &str,
    authority: &str,
    chain_pem: &str,
    key: Arc<Pkcs11Key>,
    transport: Arc<HyperTransport>,
) -> Result<ConfidentialClientApplication, Error> {
    let certificate = ClientCertificate::from_pem_with_signer(chain_pem.as_bytes(), key)?;
    ConfidentialClientApplication::builder(client_id)
        .authority(authority)
        .certificate(certificate)
        .transport(transport)
        .build()
}

/// An mTLS PoP token for `scope`, bound to the app's certificate.
pub async fn bound_token(
    app: &ConfidentialClientApplication,
    scope: &str,
) -> Result<AuthenticationResult, Error> {
    app.acquire_token_for_client([scope])
        .with_mtls_proof_of_possession()
        .await
}
