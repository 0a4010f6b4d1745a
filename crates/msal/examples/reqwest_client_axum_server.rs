//! A reqwest client and an axum server talking with a certificate-bound token: the app gets an
//! `mtls_pop` token from the in-process Entra emulator, reqwest presents the binding
//! certificate (`AuthenticationResult::reqwest_client_builder`), the axum server checks token
//! and certificate with `msal-resource-verifier`. Everything stays on loopback.
//!
//! `cargo run -p msal-client --features reqwest --example reqwest_client_axum_server`
//!
//! Prints the answer to the bound call (200) and to the same token sent by a client presenting
//! no certificate (401); exits non-zero otherwise. `cargo test --workspace` runs it as a test.

#[path = "support/api_server.rs"]
mod api_server;
mod support;

use http::{header, HeaderValue, StatusCode};
use msal::transport::HyperTransport;
use msal::{AuthenticationResult, ClientCertificate, ConfidentialClientApplication};
use support::TENANT;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";

/// The answers of the API.
struct Outcome {
    /// To the token with its binding certificate presented.
    bound: StatusCode,
    /// To the same token from a client presenting no certificate.
    without_certificate: StatusCode,
}

/// GET `url` with `result`'s token through `client`; prints and returns the answer.
async fn call(
    client: &reqwest::Client,
    url: &str,
    result: &AuthenticationResult,
) -> Result<StatusCode, BoxError> {
    let mut authorization = HeaderValue::try_from(result.authorization_header())?;
    authorization.set_sensitive(true);
    let response = client
        .get(url)
        .header(header::AUTHORIZATION, authorization)
        .send()
        .await?;
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let body = response.text().await?;
    println!("  HTTP {status} {body}{}", challenge.unwrap_or_default());
    Ok(status)
}

async fn run() -> Result<Outcome, BoxError> {
    let (emulator, issued, api) = api_server::start_all(CLIENT_ID).await?;

    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(ClientCertificate::from_pem_parts(
            issued.chain_pem.as_bytes(),
            issued.key_pem.as_bytes(),
        )?)
        .transport(support::emulator_transport(&emulator)?)
        .build()?;
    let result = app
        .acquire_token_for_client(["https://graph.microsoft.com/.default"])
        .with_mtls_proof_of_possession()
        .await?;

    // The roots the reqwest client trusts: here only the API's own certificate.
    let roots = HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificates_pem(api.certificate_pem.as_bytes())?;
    println!("reqwest with the binding certificate:");
    let client = result
        .reqwest_client_builder(&roots)?
        .resolve(api_server::API_HOST, api.addr)
        .build()?;
    let bound = call(&client, &api.whoami_url(), &result).await?;

    println!("reqwest without a client certificate:");
    let no_certificate = reqwest::Client::builder()
        .use_preconfigured_tls(std::sync::Arc::unwrap_or_clone(
            roots.rustls_client_config(None)?,
        ))
        .resolve(api_server::API_HOST, api.addr)
        .build()?;
    let without_certificate = call(&no_certificate, &api.whoami_url(), &result).await?;

    drop(api);
    emulator.shutdown().await;
    Ok(Outcome {
        bound,
        without_certificate,
    })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let outcome = run().await?;
    if outcome.bound == StatusCode::OK && outcome.without_certificate == StatusCode::UNAUTHORIZED {
        Ok(())
    } else {
        Err("the API did not accept the bound call and refuse the unbound one".into())
    }
}

#[cfg(test)]
mod tests {
    /// The example's whole path: 200 with the binding certificate, 401 without it.
    #[tokio::test]
    async fn reqwest_bound_call_is_accepted_and_refused_without_the_certificate() {
        let outcome = super::run().await.unwrap();
        assert_eq!(outcome.bound, 200);
        assert_eq!(outcome.without_certificate, 401);
    }
}
