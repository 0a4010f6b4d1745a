//! A service configured only by its environment: Bearer and mTLS PoP tokens, and a call to a
//! protected resource with each. The code is the same against Entra ID and against a local
//! endpoint; only the environment changes.
//!
//! Against Entra ID: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_CERTIFICATE_PATH`
//! (see `docs/environment.md`), and `APP_RESOURCE_URL` for your mTLS-enabled resource.
//! Locally (`docs/emulator.md`):
//!
//! ```text
//! msal emulator --port 0 --env-file target/emulator/emulator.env &
//! set -a; . target/emulator/emulator.env; set +a
//! cargo run -p msal-client --example from_env
//! ```

use msal::transport::HttpRequest;
use msal::ConfidentialClientApplication;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // the library's warnings (e.g. when the development setting is on) go to stderr
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .init();
    let scope = std::env::var("APP_SCOPE")
        .unwrap_or_else(|_| "https://graph.microsoft.com/.default".to_owned());
    let resource = std::env::var("APP_RESOURCE_URL")
        .unwrap_or_else(|_| "https://mtlstb.graph.microsoft.com/v1.0/applications".to_owned());
    let app = ConfidentialClientApplication::from_env()?;

    let bearer = app.acquire_token_for_client([scope.as_str()]).await?;
    let pop = app
        .acquire_token_for_client([scope.as_str()])
        .with_mtls_proof_of_possession()
        .await?;
    for result in [&bearer, &pop] {
        let response = result
            .call_resource(
                app.transport().as_ref(),
                HttpRequest::get(resource.parse()?),
            )
            .await?;
        println!(
            "{} token from {}: resource answered HTTP {}",
            result.token_type(),
            result.token_endpoint().unwrap_or_default(),
            response.status.as_u16()
        );
        if !response.status.is_success() {
            return Err(format!("the resource refused the {} token", result.token_type()).into());
        }
    }
    Ok(())
}
