//! Getting the JWKS document: the [`JwksSource`] trait and [`HttpsJwks`], one HTTPS GET on a
//! fresh rustls (ring) connection, with a time limit and a size cap.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::Url;

/// The largest JWKS document read, in bytes.
const MAX_DOCUMENT: usize = 1024 * 1024;

/// Where the issuer's keys come from. [`HttpsJwks`] fetches them; implement this to read them
/// from elsewhere (a file, a secret store, a pinned set).
#[async_trait::async_trait]
pub trait JwksSource: Send + Sync + fmt::Debug {
    /// The JWKS document (`{"keys": [...]}`), or why it could not be had.
    async fn fetch(&self) -> Result<Vec<u8>, String>;
}

/// A fixed JWKS document (pinned keys; tests).
#[derive(Clone, Debug)]
pub struct StaticJwks(Vec<u8>);

impl StaticJwks {
    /// A source that always answers `document`.
    pub fn new(document: impl Into<Vec<u8>>) -> Self {
        StaticJwks(document.into())
    }
}

#[async_trait::async_trait]
impl JwksSource for StaticJwks {
    async fn fetch(&self) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
}

/// Fetches the JWKS from an `https://` `jwks_uri` (Entra's is
/// `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`).
///
/// ```
/// let source = resource_verifier::HttpsJwks::builder(
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/discovery/v2.0/keys",
/// )
/// .timeout(std::time::Duration::from_secs(5))
/// .build()
/// .unwrap();
/// # let _ = source;
/// ```
#[derive(Clone)]
pub struct HttpsJwks {
    url: Url,
    tls: Arc<ClientConfig>,
    resolve: HashMap<String, SocketAddr>,
    overrides_only: bool,
    timeout: Duration,
}

impl fmt::Debug for HttpsJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsJwks")
            .field("url", &self.url.as_str())
            .field("resolve", &self.resolve)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpsJwks`].
#[derive(Debug)]
pub struct HttpsJwksBuilder {
    url: String,
    roots: RootCertStore,
    webpki_roots: bool,
    resolve: HashMap<String, SocketAddr>,
    overrides_only: bool,
    timeout: Duration,
}

impl HttpsJwks {
    /// A builder for `jwks_uri` (must be `https://`).
    pub fn builder(jwks_uri: impl Into<String>) -> HttpsJwksBuilder {
        HttpsJwksBuilder {
            url: jwks_uri.into(),
            roots: RootCertStore::empty(),
            webpki_roots: cfg!(feature = "webpki-roots"),
            resolve: HashMap::new(),
            overrides_only: false,
            timeout: Duration::from_secs(10),
        }
    }

    async fn get(&self) -> Result<Vec<u8>, String> {
        let host = self.url.host_str().unwrap_or_default().to_owned();
        let port = self.url.port_or_known_default().unwrap_or(443);
        let addr = self.address(&host, port).await?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connecting to {host}: {e}"))?;
        let name = ServerName::try_from(host.clone()).map_err(|_| format!("bad host {host}"))?;
        let tls = TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP with {host}: {e}"))?;
        let conn = tokio::spawn(conn);
        let request = http::Request::get(&self.url[url::Position::BeforePath..])
            .header(http::header::HOST, &host)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("GET {}: {e}", self.url))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_DOCUMENT)
            .collect()
            .await
            .map_err(|e| format!("reading the JWKS from {host}: {e}"))?
            .to_bytes();
        conn.abort();
        if !status.is_success() {
            return Err(format!("GET {} answered {status}", self.url));
        }
        Ok(body.to_vec())
    }

    async fn address(&self, host: &str, port: u16) -> Result<SocketAddr, String> {
        if let Some(addr) = self.resolve.get(&host.to_ascii_lowercase()) {
            return Ok(*addr);
        }
        if self.overrides_only {
            return Err(format!("{host} has no resolver override"));
        }
        tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("resolving {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} resolves to no address"))
    }
}

#[async_trait::async_trait]
impl JwksSource for HttpsJwks {
    async fn fetch(&self) -> Result<Vec<u8>, String> {
        tokio::time::timeout(self.timeout, self.get())
            .await
            .map_err(|_| format!("fetching {} timed out", self.url))?
    }
}

impl HttpsJwksBuilder {
    /// Trusts the PEM certificates in `pem` as roots besides (or, with `webpki_roots(false)`,
    /// instead of) the Mozilla roots.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, String> {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("root certificate PEM: {e}"))?;
            self.roots
                .add(cert)
                .map_err(|e| format!("root certificate: {e}"))?;
        }
        Ok(self)
    }

    /// Whether to trust the Mozilla root program (default: with the `webpki-roots` feature).
    pub fn webpki_roots(mut self, on: bool) -> Self {
        self.webpki_roots = on;
        self
    }

    /// Connects to `addr` for `host` instead of asking the system resolver.
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        self.resolve.insert(host.to_ascii_lowercase(), addr);
        self
    }

    /// Fails instead of asking the system resolver for a host without an override.
    pub fn resolve_overrides_only(mut self, on: bool) -> Self {
        self.overrides_only = on;
        self
    }

    /// The limit on one fetch, connection included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the URL and builds the TLS configuration (ring provider).
    #[cfg_attr(not(feature = "webpki-roots"), allow(unused_mut))]
    pub fn build(mut self) -> Result<HttpsJwks, String> {
        let url = Url::parse(&self.url).map_err(|e| format!("jwks_uri: {e}"))?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err("jwks_uri must be an https:// URL with a host".to_owned());
        }
        #[cfg(feature = "webpki-roots")]
        if self.webpki_roots {
            self.roots
                .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if self.roots.is_empty() {
            return Err("no root certificates to verify the JWKS host with".to_owned());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(self.roots)
            .with_no_client_auth();
        Ok(HttpsJwks {
            url,
            tls: Arc::new(tls),
            resolve: self.resolve,
            overrides_only: self.overrides_only,
            timeout: self.timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_with_roots() {
        let b = |u: &str| HttpsJwks::builder(u).webpki_roots(true);
        assert!(b("http://example.com/keys").build().is_err());
        assert!(b("not a url").build().is_err());
        assert!(HttpsJwks::builder("https://example.com/keys")
            .webpki_roots(false)
            .build()
            .is_err());
    }

    #[cfg(feature = "webpki-roots")]
    #[tokio::test]
    async fn overrides_only_never_asks_the_system_resolver() {
        let source = HttpsJwks::builder("https://keys.example/jwks")
            .webpki_roots(true)
            .resolve_overrides_only(true)
            .build()
            .unwrap();
        let err = source.fetch().await.unwrap_err();
        assert!(err.contains("no resolver override"), "{err}");
    }
}
