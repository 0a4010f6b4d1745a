//! mTLS Proof-of-Possession end to end, against the in-process Entra emulator.
//!
//! `cargo run -p msal-client --example mtls_pop`
//!
//! Against real Entra ID, drop the emulator and the custom transport: give the app your
//! certificate (`ClientCertificate::from_pem(&std::fs::read("app.pem")?)`), your client id and
//! `https://login.microsoftonline.com/<tenant-id>`, and call your own mTLS-enabled resource.

mod support;

use entra_emulator::pki::{CertRequest, TestCa};
use entra_emulator::AppRegistration;
use msal::transport::HttpRequest;
use msal::{ClientCertificate, ConfidentialClientApplication};
use support::TENANT;

const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The emulator: trusts certificates with subject `my-app.contoso.example` from this CA.
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("my-app.contoso.example"))?;
    let app_registration =
        AppRegistration::new(CLIENT_ID, TENANT).with_subject_name_issuer("my-app.contoso.example");
    let emulator = support::start_emulator(&ca, [app_registration]).await?;

    let certificate =
        ClientCertificate::from_pem_parts(issued.chain_pem.as_bytes(), issued.key_pem.as_bytes())?;
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(certificate)
        // Reach the emulator through the real Entra host names (leave this out against Entra ID).
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let result = app
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .with_mtls_proof_of_possession()
        .await?;
    let binding = result
        .binding_certificate()
        .ok_or("no binding certificate")?;
    println!("token type:      {}", result.token_type());
    println!(
        "token endpoint:  {}",
        result.token_endpoint().unwrap_or_default()
    );
    println!("bound to:        x5t#S256 {}", binding.x5t_s256());

    let response = result
        .call_resource(
            app.transport().as_ref(),
            HttpRequest::get("https://mtlstb.graph.microsoft.com/v1.0/applications".parse()?),
        )
        .await?;
    println!("resource answer: HTTP {}", response.status);
    emulator.shutdown().await;
    if response.status.is_success() {
        Ok(())
    } else {
        Err("the resource refused the token".into())
    }
}
