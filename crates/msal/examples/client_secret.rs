//! A client secret and a Bearer token, against the in-process Entra emulator; the second call
//! is answered from the in-memory cache.
//!
//! `cargo run -p msal-client --example client_secret`
//!
//! Against real Entra ID, drop the emulator and the custom transport, and use your tenant,
//! client id and secret (from a secret store, never from source code).

mod support;

use entra_emulator::pki::TestCa;
use entra_emulator::AppRegistration;
use msal::{ConfidentialClientApplication, TokenSource};
use support::TENANT;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000001";
const SECRET: &str = "example-secret-not-a-real-one";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let registration = AppRegistration::new(CLIENT_ID, TENANT).with_secret(SECRET);
    let emulator = support::start_emulator(&ca, [registration]).await?;

    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .client_secret(SECRET)
        // Reach the emulator through the real Entra host names (leave this out against Entra ID).
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let scope = "https://graph.microsoft.com/.default";
    let first = app.acquire_token_for_client([scope]).await?;
    let second = app.acquire_token_for_client([scope]).await?;
    println!("token type:   {}", first.token_type());
    println!("first call:   {:?}", first.token_source());
    println!("second call:  {:?}", second.token_source());
    if second.token_source() != TokenSource::Cache {
        return Err("the second call should come from the cache".into());
    }
    Ok(())
}
