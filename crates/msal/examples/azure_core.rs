//! The application as the Azure SDK for Rust's `TokenCredential` (feature `azure-core`): what an
//! Azure SDK client calls for its Bearer token; the second call comes from the app's cache.
//!
//! `cargo run -p msal-client --features azure-core --example azure_core`
//!
//! Against real Entra ID, drop the emulator and the custom transport, and pass the credential to
//! an Azure SDK client (`Arc<dyn TokenCredential>`).

mod support;

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use entra_emulator::pki::TestCa;
use entra_emulator::AppRegistration;
use msal::ConfidentialClientApplication;
use support::TENANT;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000005";
const SECRET: &str = "example-secret-not-a-real-one";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let registration = AppRegistration::new(CLIENT_ID, TENANT).with_secret(SECRET);
    let emulator = support::start_emulator(&ca, [registration]).await?;

    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .client_secret(SECRET)
        .transport(support::emulator_transport(&emulator)?)
        .build()?;
    let credential: Arc<dyn TokenCredential> = Arc::new(app);

    let scopes = &["https://graph.microsoft.com/.default"];
    let first = credential.get_token(scopes, None).await?;
    let second = credential.get_token(scopes, None).await?;
    println!("expires on:  {}", first.expires_on);
    if first.token.secret() != second.token.secret() {
        return Err("the second token should come from the app's cache".into());
    }
    println!("second call: the same token (from the cache)");
    Ok(())
}
