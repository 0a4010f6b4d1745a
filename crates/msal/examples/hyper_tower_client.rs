//! A hyper client through the tower layer: hyper-util's client, TLS from
//! `HyperTransportBuilder::rustls_client_config` with the app's certificate, wrapped in
//! `BoundTokenLayer`, which acquires the `mtls_pop` token from the in-process Entra emulator
//! and puts it on each request. The server is an axum API checking token and certificate with
//! `msal-resource-verifier`. Everything stays on loopback; response bodies stream (no buffering,
//! no size cap).
//!
//! `cargo run -p msal-client --example hyper_tower_client`
//!
//! Exits non-zero unless the API answers 200 for the certificate the token is bound to.
//! `cargo test --workspace` runs it as a test.

#[path = "support/api_server.rs"]
mod api_server;
mod support;

use std::net::SocketAddr;
use std::task::{Context, Poll};

use http::StatusCode;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use msal::transport::HyperTransport;
use msal::{BoundTokenLayer, ClientCertificate, ConfidentialClientApplication};
use support::TENANT;
use tower_layer::Layer as _;
use tower_service::Service as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";

/// Resolves the API's host name to its loopback address, and nothing else.
#[derive(Clone)]
struct ApiOnly(SocketAddr);

impl tower_service::Service<Name> for ApiOnly {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        std::future::ready(if name.as_str() == api_server::API_HOST {
            Ok(vec![self.0].into_iter())
        } else {
            Err(std::io::Error::other(format!(
                "{name} is not resolved here"
            )))
        })
    }
}

/// The API's answer and body, and the thumbprint of the app's certificate.
async fn run() -> Result<(StatusCode, String, String), BoxError> {
    let (emulator, issued, api) = api_server::start_all(CLIENT_ID).await?;

    let certificate =
        ClientCertificate::from_pem_parts(issued.chain_pem.as_bytes(), issued.key_pem.as_bytes())?;
    // The TLS configuration of your own client: the app's certificate, the API's roots.
    let tls = HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificates_pem(api.certificate_pem.as_bytes())?
        .rustls_client_config(Some(&certificate))?;
    let app = ConfidentialClientApplication::builder(CLIENT_ID)
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .certificate(certificate)
        .transport(support::emulator_transport(&emulator)?)
        .build()?;

    let mut http = HttpConnector::new_with_resolver(ApiOnly(api.addr));
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(std::sync::Arc::unwrap_or_clone(tls))
        .https_only()
        .enable_http1()
        .wrap_connector(http);
    let client = Client::builder(TokioExecutor::new()).build::<_, Empty<bytes::Bytes>>(https);
    let mut service = BoundTokenLayer::new(app, ["https://graph.microsoft.com/.default"])
        .mtls_proof_of_possession(true)
        .layer(client);

    let request = http::Request::get(api.whoami_url()).body(Empty::new())?;
    let response = service.call(request).await?;
    let status = response.status();
    // The body streams; this one is short, so collect it.
    let body = response.into_body().collect().await?.to_bytes();
    let body = String::from_utf8_lossy(&body).into_owned();
    println!("HTTP {status} {body}");

    drop(api);
    emulator.shutdown().await;
    Ok((status, body, issued.x5t_s256()))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (status, _, _) = run().await?;
    if status == StatusCode::OK {
        Ok(())
    } else {
        Err("the API refused the bound call".into())
    }
}

#[cfg(test)]
mod tests {
    /// The example's whole path: 200, and the API saw the app's certificate as the binding.
    #[tokio::test]
    async fn hyper_client_through_the_layer_is_accepted() {
        let (status, body, x5t) = super::run().await.unwrap();
        assert_eq!(status, 200);
        assert!(body.contains(&x5t), "{body}");
    }
}
