//! The default [`Transport`]: hyper 1 + hyper-util's pooled legacy client + hyper-rustls (ring).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use std::{fmt, io};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use oauth2_core::ClientCertificate;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use crate::connect::{ConnectTimeout, OverrideResolver, TimeoutConnector};
use crate::error::{BoxError, TimeoutPhase};
use crate::message::RedactedUrl;
use crate::{tls, Error, HttpRequest, HttpResponse, Transport};

type Connector = TimeoutConnector<HttpsConnector<HttpConnector<OverrideResolver>>>;
type PooledClient = Client<Connector, Full<Bytes>>;

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const DEFAULT_MAX_IDENTITIES: usize = 64;

/// The default [`Transport`]: hyper + rustls (ring provider) with connection pooling.
///
/// Holds one pooled client for requests without a client identity, and one pooled client per
/// client certificate (keyed by its `x5t#S256` thumbprint), created on first use. Connections
/// are therefore reused only between requests that present the same certificate (see the
/// [crate docs](crate)). Cloning is cheap and clones share the pools.
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    roots: Arc<RootCertStore>,
    http: HttpConnector<OverrideResolver>,
    plain: PooledClient,
    identities: Mutex<IdentityPools>,
}

#[derive(Clone, Debug)]
struct Settings {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_response_bytes: usize,
    pool_idle_timeout: Duration,
    max_identities: usize,
}

/// Per-identity clients with least-recently-used eviction.
struct IdentityPools {
    clients: HashMap<String, (PooledClient, u64)>,
    clock: u64,
    max: usize,
}

impl IdentityPools {
    fn get(&mut self, key: &str) -> Option<PooledClient> {
        self.clock += 1;
        let now = self.clock;
        self.clients.get_mut(key).map(|(client, used)| {
            *used = now;
            client.clone()
        })
    }

    /// Inserts `client` unless another task inserted one for `key` first; returns the one to use.
    fn insert(&mut self, key: &str, client: PooledClient) -> PooledClient {
        if let Some(existing) = self.get(key) {
            return existing;
        }
        while self.clients.len() >= self.max {
            let oldest = self
                .clients
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    tracing::debug!(identity = %k, "evicting least recently used identity pool");
                    self.clients.remove(&k);
                }
                None => break,
            }
        }
        self.clock += 1;
        self.clients
            .insert(key.to_owned(), (client.clone(), self.clock));
        client
    }
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("settings", &self.inner.settings)
            .field("pooled_identities", &self.pooled_identities())
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A builder with the defaults: Mozilla roots, 10 s connect timeout, 30 s request timeout,
    /// 1 MiB response limit, 90 s pool idle timeout, at most 64 identity pools.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// A transport with the default settings (see [`HyperTransport::builder`]).
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Number of client identities that currently have their own connection pool.
    pub fn pooled_identities(&self) -> usize {
        self.inner
            .identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clients
            .len()
    }

    fn client_for(&self, identity: Option<&ClientCertificate>) -> Result<PooledClient, Error> {
        let Some(identity) = identity else {
            return Ok(self.inner.plain.clone());
        };
        let key = identity.x5t_s256();
        if let Some(client) = self.lock_identities().get(key) {
            return Ok(client);
        }
        // Built without holding the lock; a concurrent first use may build one too, and the
        // first inserted wins.
        let config = tls::client_config(self.inner.roots.clone(), Some(identity))?;
        let client = build_client(&self.inner.settings, self.inner.http.clone(), config);
        tracing::debug!(identity = %key, subject = %identity.subject(), "new identity pool");
        Ok(self.lock_identities().insert(key, client))
    }

    fn lock_identities(&self) -> std::sync::MutexGuard<'_, IdentityPools> {
        self.inner
            .identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn execute(
        &self,
        client: PooledClient,
        request: http::Request<Full<Bytes>>,
        host: &str,
    ) -> Result<HttpResponse, Error> {
        let settings = &self.inner.settings;
        let response = client
            .request(request)
            .await
            .map_err(|e| map_client_error(&e, host))?;
        let (parts, body) = response.into_parts();
        let body = read_capped(body, settings.max_response_bytes)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => Error::ResponseTooLarge {
                    limit: settings.max_response_bytes,
                },
                ReadError::Body(e) => map_error_chain(&e, host, false),
            })?;
        Ok(HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

#[async_trait::async_trait]
impl Transport for HyperTransport {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, Error> {
        let host = validate(&request, identity)?;
        let client = self.client_for(identity)?;
        let method = request.method.clone();
        let url = request.url.clone();
        let http_request = to_hyper_request(request)?;

        let started = Instant::now();
        tracing::debug!(
            method = %method,
            host = %host,
            path = url.path(),
            mtls = identity.is_some(),
            "sending HTTP request"
        );
        let timeout = self.inner.settings.request_timeout;
        let result =
            match tokio::time::timeout(timeout, self.execute(client, http_request, &host)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout {
                    phase: TimeoutPhase::Request,
                    after: timeout,
                }),
            };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(response) => tracing::debug!(
                method = %method,
                host = %host,
                path = url.path(),
                status = response.status.as_u16(),
                elapsed_ms,
                "HTTP response received"
            ),
            Err(e) => tracing::debug!(
                method = %method,
                host = %host,
                path = url.path(),
                error = e.code(),
                elapsed_ms,
                "HTTP request failed"
            ),
        }
        result
    }
}

/// Checks scheme, host and the identity/scheme combination; returns the host.
fn validate(request: &HttpRequest, identity: Option<&ClientCertificate>) -> Result<String, Error> {
    let url = &request.url;
    match url.scheme() {
        "https" => {}
        "http" if identity.is_none() => {}
        "http" => {
            return Err(Error::invalid_request(format!(
                "{} uses plain http, but a TLS client certificate can only be presented over \
                 https; use an https URL for certificate-bound (mTLS) requests",
                RedactedUrl(url)
            )))
        }
        other => {
            return Err(Error::invalid_request(format!(
                "unsupported URL scheme {other:?}; only https (and http without a client \
                 certificate) are supported"
            )))
        }
    }
    match url.host_str() {
        Some(host) if !host.is_empty() => Ok(host.to_owned()),
        _ => Err(Error::invalid_request(format!(
            "URL {} has no host",
            RedactedUrl(url)
        ))),
    }
}

fn to_hyper_request(request: HttpRequest) -> Result<http::Request<Full<Bytes>>, Error> {
    let HttpRequest {
        method,
        url,
        mut headers,
        body,
    } = request;
    let uri: http::Uri = url[..url::Position::AfterQuery].parse().map_err(|e| {
        Error::invalid_request(format!("URL {} is not a valid URI: {e}", RedactedUrl(&url)))
    })?;
    let needs_length = !body.is_empty()
        || matches!(
            method,
            http::Method::POST | http::Method::PUT | http::Method::PATCH
        );
    if needs_length {
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(body.len()),
        );
    }
    let mut builder = http::Request::builder().method(method).uri(uri);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    builder
        .body(Full::new(body))
        .map_err(|e| Error::invalid_request(e.to_string()))
}

enum ReadError {
    TooLarge,
    Body(hyper::Error),
}

/// Reads the whole body, stopping as soon as more than `limit` bytes are announced or received.
async fn read_capped(mut body: Incoming, limit: usize) -> Result<Bytes, ReadError> {
    let announced = body.size_hint().lower();
    if usize::try_from(announced).map_or(true, |n| n > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = BytesMut::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ReadError::Body)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ReadError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Iterates over an error and its causes, looking inside `io::Error` wrappers (whose `source()`
/// skips the wrapped error).
fn error_chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e| next_cause(*e))
}

fn next_cause<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match e.downcast_ref::<io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => e.source(),
    }
}

fn map_client_error(err: &hyper_util::client::legacy::Error, host: &str) -> Error {
    map_error_chain(err, host, err.is_connect())
}

/// Maps a hyper/hyper-util error to a crate error. `connect` is true when the failure happened
/// while opening the connection.
fn map_error_chain(err: &(dyn StdError + 'static), host: &str, connect: bool) -> Error {
    for e in error_chain(err) {
        if let Some(t) = e.downcast_ref::<ConnectTimeout>() {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: t.0,
            };
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls::map_rustls_error(tls, host);
        }
    }
    let description = describe_chain(err);
    if connect {
        let kind = error_chain(err)
            .filter_map(|e| e.downcast_ref::<io::Error>())
            .last()
            .map_or(io::ErrorKind::Other, io::Error::kind);
        Error::Connect {
            host: host.to_owned(),
            source: Box::new(io::Error::new(kind, description)) as BoxError,
        }
    } else {
        Error::Http {
            reason: description,
        }
    }
}

/// "cause: cause: ..." without repeated messages; skips hyper-util's generic outer wrapper.
fn describe_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in error_chain(err) {
        if e.is::<hyper_util::client::legacy::Error>() && e.source().is_some() {
            continue;
        }
        let msg = e.to_string();
        if parts.last().is_some_and(|last| *last == msg) {
            continue;
        }
        parts.push(msg);
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

fn build_client(
    settings: &Settings,
    http: HttpConnector<OverrideResolver>,
    config: Arc<rustls::ClientConfig>,
) -> PooledClient {
    // From<(H, C)> gives an https-or-http connector with empty ALPN (HTTP/1.1).
    let https = HttpsConnector::from((http, config));
    let connector = TimeoutConnector::new(https, settings.connect_timeout);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(settings.pool_idle_timeout)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}

/// Builder for [`HyperTransport`].
pub struct HyperTransportBuilder {
    extra_roots: Vec<CertificateDer<'static>>,
    webpki_roots: bool,
    overrides: HashMap<String, SocketAddr>,
    overrides_only: bool,
    settings: Settings,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            webpki_roots: true,
            overrides: HashMap::new(),
            overrides_only: false,
            settings: Settings {
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                request_timeout: DEFAULT_REQUEST_TIMEOUT,
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
                max_identities: DEFAULT_MAX_IDENTITIES,
            },
        }
    }
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("extra_roots", &self.extra_roots.len())
            .field("webpki_roots", &self.webpki_roots)
            .field("overrides", &self.overrides)
            .field("settings", &self.settings)
            .finish()
    }
}

impl HyperTransportBuilder {
    /// Trusts an extra root CA certificate (DER), in addition to the webpki roots if enabled.
    /// The certificate is checked in [`build`](Self::build).
    pub fn add_root_certificate_der(mut self, der: Vec<u8>) -> Self {
        self.extra_roots.push(CertificateDer::from(der));
        self
    }

    /// Trusts every certificate in a PEM bundle. Fails if the data is not PEM or holds no
    /// certificate.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::InvalidRootCertificate {
                reason: format!("could not read PEM: {e}"),
            })?;
        if certs.is_empty() {
            return Err(Error::InvalidRootCertificate {
                reason: "no CERTIFICATE block found in the PEM data".to_owned(),
            });
        }
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Whether to trust the Mozilla root program (via `webpki-roots`). Default `true`.
    pub fn webpki_roots(mut self, enabled: bool) -> Self {
        self.webpki_roots = enabled;
        self
    }

    /// Connects to `addr` whenever a URL's host is `host` (case-insensitive), like reqwest's
    /// `resolve`. SNI and server certificate name checks still use `host`. The port of `addr` is
    /// used unless the URL names a port explicitly. `host` may be a wildcard `*.example.com`,
    /// matching any name with at least one more label (`a.example.com`, `a.b.example.com`); an
    /// exact entry wins over a wildcard, a nearer wildcard over a farther one.
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.overrides.insert(host, addr);
        self
    }

    /// Never ask the system resolver: a host without a [`resolve`](Self::resolve) entry fails
    /// to connect. Tests use it to guarantee that no lookup or packet leaves the machine.
    /// Default `false`.
    pub fn resolve_overrides_only(mut self, only: bool) -> Self {
        self.overrides_only = only;
        self
    }

    /// Time limit for DNS + TCP connect + TLS handshake of a new connection. Default 10 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.settings.connect_timeout = d;
        self
    }

    /// Time limit for a whole request, including connecting and reading the full response body.
    /// Default 30 s.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.settings.request_timeout = d;
        self
    }

    /// Largest accepted response body in bytes; larger bodies fail with
    /// [`Error::ResponseTooLarge`] without being read further. Default 1 MiB.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.settings.max_response_bytes = n;
        self
    }

    /// How long an idle pooled connection is kept open. Default 90 s.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.settings.pool_idle_timeout = d;
        self
    }

    /// Maximum number of client identities with their own pool; beyond it the least recently
    /// used identity's pool is dropped (its idle connections close). Default 64, minimum 1.
    pub fn max_identities(mut self, n: usize) -> Self {
        self.settings.max_identities = n.max(1);
        self
    }

    /// Builds the transport. Fails on an unusable root certificate or when no root is trusted.
    pub fn build(self) -> Result<HyperTransport, Error> {
        let roots = tls::root_store(self.webpki_roots, &self.extra_roots)?;
        let mut http = HttpConnector::new_with_resolver(OverrideResolver::new(
            self.overrides,
            self.overrides_only,
        ));
        http.enforce_http(false);
        http.set_nodelay(true);
        let plain = build_client(
            &self.settings,
            http.clone(),
            tls::client_config(roots.clone(), None)?,
        );
        let max = self.settings.max_identities;
        Ok(HyperTransport {
            inner: Arc::new(Inner {
                settings: self.settings,
                roots,
                http,
                plain,
                identities: Mutex::new(IdentityPools {
                    clients: HashMap::new(),
                    clock: 0,
                    max,
                }),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_without_identity_is_allowed_other_schemes_are_not() {
        let req = HttpRequest::get(url::Url::parse("http://127.0.0.1:1/x").unwrap());
        assert_eq!(validate(&req, None).unwrap(), "127.0.0.1");
        let req = HttpRequest::get(url::Url::parse("ftp://a.example/x").unwrap());
        assert!(matches!(
            validate(&req, None),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn post_gets_content_length_and_get_does_not() {
        let url = url::Url::parse("https://a.example/p?q=1#frag").unwrap();
        let req = to_hyper_request(HttpRequest::post_form(url.clone(), String::new())).unwrap();
        assert_eq!(req.headers()[http::header::CONTENT_LENGTH], "0");
        assert_eq!(req.uri().to_string(), "https://a.example/p?q=1");
        let req = to_hyper_request(HttpRequest::get(url)).unwrap();
        assert!(req.headers().get(http::header::CONTENT_LENGTH).is_none());
        assert!(req.headers().is_empty());
    }

    #[test]
    fn no_roots_is_a_config_error() {
        let err = HyperTransport::builder()
            .webpki_roots(false)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "tls_config_error");
    }

    #[test]
    fn bad_root_certificates_are_rejected() {
        let err = HyperTransport::builder()
            .add_root_certificate_der(b"not a certificate".to_vec())
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRootCertificate { .. }), "{err}");
        let err = HyperTransport::builder()
            .add_root_certificates_pem(b"no pem here")
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRootCertificate { .. }), "{err}");
    }
}
