//! The resource of the `reqwest_client_axum_server` and `hyper_tower_client` examples: an axum
//! API behind rustls on loopback, protected by `msal-resource-verifier` (Entra's keys from the
//! emulator, `aud` Microsoft Graph, `cnf.x5t#S256` against the TLS client certificate).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::{Extension, Router};
use entra_emulator::pki::{CertRequest, IssuedCertificate, TestCa};
use entra_emulator::{AppRegistration, Emulator};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use resource_verifier::{
    client_certificate_verifier, AddPeerCertificate, HttpsJwks, PeerCertificate, VerifiedToken,
    Verifier, VerifierLayer,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The API's host name (resolved to loopback by every client of the examples).
pub(crate) const API_HOST: &str = "api.contoso.example";

/// The API's running instance.
pub(crate) struct ApiServer {
    /// Where it listens (127.0.0.1, a free port).
    pub(crate) addr: SocketAddr,
    /// Its self-signed TLS certificate, PEM (the clients trust it).
    pub(crate) certificate_pem: String,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl ApiServer {
    /// `https://api.contoso.example:<port>/whoami`.
    pub(crate) fn whoami_url(&self) -> String {
        format!("https://{API_HOST}:{}/whoami", self.addr.port())
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn whoami(Extension(token): Extension<VerifiedToken>) -> String {
    format!(
        "app {} (certificate {})",
        token.claim_str("appid").unwrap_or("?"),
        token.bound_thumbprint()
    )
}

/// The verifier: tokens of `emulator`'s tenant `tenant` for Microsoft Graph, keys fetched from
/// the emulator over HTTPS (loopback only).
fn verifier(emulator: &Emulator, tenant: &str) -> Result<Verifier, BoxError> {
    let mut jwks = HttpsJwks::builder(format!(
        "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"
    ))
    .webpki_roots(false)
    .resolve_overrides_only(true)
    .add_root_certificates_pem(emulator.ca_certificate_pem().as_bytes())?;
    for (host, addr) in emulator.resolver_entries() {
        jwks = jwks.resolve(&host, addr);
    }
    Ok(Verifier::builder()
        .issuer(emulator.issuer(tenant))
        .audience("https://graph.microsoft.com")
        .jwks(jwks.build()?)
        .build()?)
}

/// Starts the API on 127.0.0.1 (a free port).
pub(crate) async fn start(emulator: &Emulator, tenant: &str) -> Result<ApiServer, BoxError> {
    let key = rcgen::KeyPair::generate()?;
    let cert = rcgen::CertificateParams::new(vec![API_HOST.to_owned()])?.self_signed(&key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(client_certificate_verifier())
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::try_from(key.serialize_der())?,
        )?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifierLayer::new(verifier(emulator, tenant)?));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let accept_loop = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                // the connection's client certificate, for the verifier's cnf check
                let peer = PeerCertificate::from_tls_stream(&stream);
                let service = TowerToHyperService::new(AddPeerCertificate::new(app, peer));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(ApiServer {
        addr,
        certificate_pem: cert.pem(),
        accept_loop,
    })
}

/// The emulator (tenant [`crate::support::TENANT`], app `client_id` trusted for certificates of
/// `my-app.contoso.example` from a fresh CA), the app's certificate, and the API.
pub(crate) async fn start_all(
    client_id: &str,
) -> Result<(Emulator, IssuedCertificate, ApiServer), BoxError> {
    let ca = TestCa::new("example CA")?;
    let issued = ca.issue(&CertRequest::new("my-app.contoso.example"))?;
    let registration = AppRegistration::new(client_id, crate::support::TENANT)
        .with_subject_name_issuer("my-app.contoso.example");
    let emulator = crate::support::start_emulator(&ca, [registration]).await?;
    let api = start(&emulator, crate::support::TENANT).await?;
    Ok((emulator, issued, api))
}
