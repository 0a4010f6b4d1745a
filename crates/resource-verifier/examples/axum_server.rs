//! An axum API that accepts only certificate-bound (`mtls_pop`) tokens from Entra ID.
//!
//! ```text
//! cargo run -p msal-resource-verifier --example axum_server -- \
//!     server.pem server-key.pem 127.0.0.1:8443 <tenant-id> api://my-api
//! ```
//!
//! The TLS server asks every client for a certificate; the accept loop hands the connection's
//! certificate to each request; the layer checks the token against Entra's keys and the
//! certificate; the handler reads the verified claims.

use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use resource_verifier::{
    client_certificate_verifier, AddPeerCertificate, HttpsJwks, PeerCertificate, VerifiedToken,
    Verifier, VerifierLayer,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

async fn whoami(Extension(token): Extension<VerifiedToken>) -> String {
    format!(
        "app {} (certificate {})\n",
        token.claim_str("appid").unwrap_or("?"),
        token.bound_thumbprint()
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert, key, addr, tenant, audience] = args.as_slice() else {
        return Err("usage: axum_server <cert.pem> <key.pem> <addr> <tenant-id> <audience>".into());
    };
    let authority = format!("https://login.microsoftonline.com/{tenant}");
    let verifier = Verifier::builder()
        .issuer(format!("{authority}/v2.0"))
        .audience(audience.as_str())
        .jwks(HttpsJwks::builder(format!("{authority}/discovery/v2.0/keys")).build()?)
        .build()?;

    let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(client_certificate_verifier())
        .with_single_cert(chain, PrivateKeyDer::from_pem_file(key)?)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifierLayer::new(verifier));
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let peer = PeerCertificate::from_tls_stream(&stream);
            let service = TowerToHyperService::new(AddPeerCertificate::new(app, peer));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
