//! A certificate credential from a password-protected PKCS#12 (`.pfx`) file, the format the
//! Azure portal and Key Vault export: a Bearer token with a signed client assertion, then an
//! mTLS Proof-of-Possession token bound to the same certificate, against the in-process Entra
//! emulator.
//!
//! `cargo run -p msal-client --example certificate_pfx`
//!
//! Against real Entra ID, drop the emulator and the custom transport, and read the password
//! from your secret store (`AZURE_CLIENT_CERTIFICATE_PASSWORD` with `from_env`).

mod support;

use base64::Engine as _;
use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::AppRegistration;
use msal::{ClientCertificate, ConfidentialClientApplication};
use support::TENANT;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000006";
const PASSWORD: &str = "example-pfx-password";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("pfx-app.contoso.example"))?;
    let registration =
        AppRegistration::new(CLIENT_ID, TENANT).with_certificate(issued.leaf_der.clone());
    let emulator = support::start_emulator(&ca, [registration]).await?;

    // The .pfx file an operator would deploy.
    let dir = support::private_dir("certificate_pfx")?;
    let path = dir.join("app.pfx");
    std::fs::write(&path, pkcs12(&issued)?)?;

    let certificate = ClientCertificate::from_pkcs12(&std::fs::read(&path)?, PASSWORD)?;
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(certificate)
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let scope = "https://graph.microsoft.com/.default";
    let bearer = app.acquire_token_for_client([scope]).await?;
    let pop = app
        .acquire_token_for_client([scope])
        .with_mtls_proof_of_possession()
        .await?;
    println!("first token:  {}", bearer.token_type());
    println!("second token: {}", pop.token_type());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The certificate and its key as a PKCS#12 file protected by [`PASSWORD`] (what `openssl
/// pkcs12 -export` or the Azure portal produce; here written in process).
fn pkcs12(issued: &IssuedCertificate) -> Result<Vec<u8>, BoxError> {
    let key = p12_keystore::PrivateKey::from_der(&pem_body(&issued.key_pem)?)?;
    let cert = p12_keystore::Certificate::from_der(&issued.leaf_der)?;
    let chain = p12_keystore::PrivateKeyChain::new(b"app".to_vec(), key, [cert]);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("app", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    Ok(store.writer(PASSWORD).write()?)
}

/// The DER inside one PEM block.
fn pem_body(pem: &str) -> Result<Vec<u8>, BoxError> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(body)?)
}
