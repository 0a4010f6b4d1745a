//! A certificate credential from a PEM file (certificate chain and private key): the app signs a
//! client assertion and gets a Bearer token, against the in-process Entra emulator, where the
//! app is registered with the certificate itself.
//!
//! `cargo run -p msal-client --example certificate_pem`
//!
//! Against real Entra ID, drop the emulator and the custom transport, upload the certificate to
//! your app registration, and point `from_pem` at your own file.

mod support;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::AppRegistration;
use msal::{ClientCertificate, ConfidentialClientApplication};
use support::TENANT;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000002";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("pem-app.contoso.example"))?;
    let registration =
        AppRegistration::new(CLIENT_ID, TENANT).with_certificate(issued.leaf_der.clone());
    let emulator = support::start_emulator(&ca, [registration]).await?;

    // The PEM file an operator would deploy: the certificate chain, then the private key.
    let dir = support::private_dir("certificate_pem")?;
    let path = dir.join("app.pem");
    support::write_private(&path, &format!("{}{}", issued.chain_pem, issued.key_pem))?;

    let certificate = ClientCertificate::from_pem(&std::fs::read(&path)?)?;
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(certificate)
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let result = app
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .await?;
    println!("token type:   {}", result.token_type());
    println!("tenant:       {}", result.tenant_id());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
