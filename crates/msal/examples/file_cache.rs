//! A token cache in a file shared by two application instances (two processes in a real
//! deployment): the second instance is answered from the file, without a token request.
//!
//! `cargo run -p msal-client --example file_cache`
//!
//! Against real Entra ID, drop the emulator and the custom transport; keep the cache file in a
//! directory only the service's user can read (the cache holds access tokens).

mod support;

use entra_emulator::pki::TestCa;
use entra_emulator::AppRegistration;
use msal::{ConfidentialClientApplication, TokenSource};
use support::TENANT;

const CLIENT_ID: &str = "22222222-0000-0000-0000-000000000003";
const SECRET: &str = "example-secret-not-a-real-one";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ca = TestCa::new("example CA")?;
    let registration = AppRegistration::new(CLIENT_ID, TENANT).with_secret(SECRET);
    let emulator = support::start_emulator(&ca, [registration]).await?;
    let dir = support::private_dir("file_cache")?;
    let cache_file = dir.join("token-cache.json");

    let instance =
        || -> Result<ConfidentialClientApplication, Box<dyn std::error::Error + Send + Sync>> {
            Ok(ConfidentialClientApplication::builder(CLIENT_ID)
                .authority(format!("https://login.microsoftonline.com/{TENANT}"))
                .client_secret(SECRET)
                .token_cache_file(&cache_file)
                .transport(support::emulator_transport(&emulator)?)
                .build()?)
        };
    let scope = "https://graph.microsoft.com/.default";
    let first = instance()?.acquire_token_for_client([scope]).await?;
    let second = instance()?.acquire_token_for_client([scope]).await?;
    println!("cache file:        {}", cache_file.display());
    println!("first instance:    {:?}", first.token_source());
    println!("second instance:   {:?}", second.token_source());
    if second.token_source() != TokenSource::Cache {
        return Err("the second instance should read the token from the file".into());
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
