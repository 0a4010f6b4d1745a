//! [`HyperTransportBuilder`] and the settings it collects.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use oauth2_core::ClientCertificate;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::connect::OverrideResolver;
use super::proxy::{Proxy, ProxyConnector};
use super::tls::{self, TlsVersion};
use super::{roots, HyperTransport};
use crate::Error;

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const DEFAULT_MAX_IDENTITIES: usize = 64;
/// Whether a new builder trusts the Mozilla roots: with the `webpki-roots` feature only.
const DEFAULT_WEBPKI_ROOTS: bool = cfg!(feature = "webpki-roots");

/// The limits a [`HyperTransport`] runs under.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    /// DNS + TCP connect + TLS handshake of a new connection.
    pub(super) connect_timeout: Duration,
    /// A whole request: connect (or pool checkout), send, read the full body.
    pub(super) request_timeout: Duration,
    /// Largest accepted response body.
    pub(super) max_response_bytes: usize,
    /// How long an idle pooled connection is kept.
    pub(super) pool_idle_timeout: Duration,
    /// Most identities with their own pool.
    pub(super) max_identities: usize,
    /// The TLS versions offered (`min..=max`, checked at build).
    pub(super) tls_versions: Vec<&'static rustls::SupportedProtocolVersion>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            max_identities: DEFAULT_MAX_IDENTITIES,
            tls_versions: Vec::new(),
        }
    }
}

/// Builder for [`HyperTransport`].
pub struct HyperTransportBuilder {
    extra_roots: Vec<CertificateDer<'static>>,
    /// Roots read from files (bundles, directories, the OS store): certificates rustls cannot
    /// use are skipped there, as OpenSSL skips them, instead of failing the build.
    file_roots: Vec<CertificateDer<'static>>,
    webpki_roots: bool,
    overrides: HashMap<String, SocketAddr>,
    overrides_only: bool,
    min_tls: TlsVersion,
    max_tls: TlsVersion,
    settings: Settings,
    proxy: Option<Proxy>,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            file_roots: Vec::new(),
            webpki_roots: DEFAULT_WEBPKI_ROOTS,
            overrides: HashMap::new(),
            overrides_only: false,
            min_tls: TlsVersion::Tls12,
            max_tls: TlsVersion::Tls13,
            settings: Settings::default(),
            proxy: None,
        }
    }
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("extra_roots", &self.extra_roots.len())
            .field("file_roots", &self.file_roots.len())
            .field("webpki_roots", &self.webpki_roots)
            .field("overrides", &self.overrides)
            .field("tls_versions", &(self.min_tls, self.max_tls))
            .field("settings", &self.settings)
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl HyperTransportBuilder {
    /// The longest timeout the builder keeps: one day. Longer ones, up to [`Duration::MAX`],
    /// are lowered to it.
    ///
    /// No token or metadata request needs anywhere near a day, and the bound keeps every
    /// deadline (now + timeout) representable: hyper-util's idle-connection reaper, for one,
    /// computes `now + pool_idle_timeout` and would overflow and panic on `Duration::MAX`.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// The largest response size limit the builder keeps: 64 MiB. Larger values, up to
    /// `usize::MAX`, are lowered to it.
    ///
    /// Token, error, discovery and metadata responses are a few kilobytes; the bound keeps a
    /// misbehaving or hostile server from making the transport buffer an unbounded body.
    pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

    /// Trusts an extra root CA certificate (DER), in addition to the Mozilla roots if they are on
    /// (see [`webpki_roots`](Self::webpki_roots)).
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
                source: Some(e.into()),
            })?;
        if certs.is_empty() {
            return Err(Error::InvalidRootCertificate {
                reason: "no CERTIFICATE block found in the PEM data".to_owned(),
                source: None,
            });
        }
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Trusts every certificate of the PEM bundle file at `path` (read now, at most 8 MiB).
    /// Fails, naming the path, when it cannot be read or holds no certificate.
    pub fn add_root_certificates_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        self.file_roots.extend(roots::from_file(path.as_ref())?);
        Ok(self)
    }

    /// Trusts every certificate in the PEM files directly in `dir` (OpenSSL's hashed
    /// directories work; other files are skipped; at most 4096 entries, 8 MiB each). Fails,
    /// naming the directory, when it cannot be read or has no certificate.
    pub fn add_root_certificates_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        self.file_roots.extend(roots::from_dir(dir.as_ref())?);
        Ok(self)
    }

    /// Trusts the bundle named by `SSL_CERT_FILE` and the directories (separated by `:`) named
    /// by `SSL_CERT_DIR`, as OpenSSL-based tools do, when `lookup` (usually
    /// `|name| std::env::var(name).ok()`) returns them; unset or empty variables add nothing.
    /// The roots are added to the others (the Mozilla roots stay unless turned off). An
    /// unreadable path is an error naming the variable and the path.
    ///
    /// ```
    /// let builder = mtls_transport::HyperTransport::builder()
    ///     .ssl_cert_env(&|name| std::env::var(name).ok())?;
    /// # Ok::<(), mtls_transport::Error>(())
    /// ```
    pub fn ssl_cert_env(mut self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        self.file_roots.extend(roots::from_ssl_cert_env(lookup)?);
        Ok(self)
    }

    /// Trusts the operating system's roots, read from the distribution's bundle file
    /// (`/etc/ssl/certs/ca-certificates.crt`, `/etc/pki/tls/certs/ca-bundle.crt`, ... — the
    /// first that exists) or else `/etc/ssl/certs`. Unix only in practice: on macOS and Windows,
    /// whose stores are not files, export a bundle and use [`ssl_cert_env`](Self::ssl_cert_env)
    /// or [`add_root_certificates_file`](Self::add_root_certificates_file). Fails with
    /// [`Error::TlsConfig`] when no bundle is found.
    pub fn os_roots(mut self) -> Result<Self, Error> {
        self.file_roots.extend(roots::os_store()?);
        Ok(self)
    }

    /// Whether to trust the Mozilla root program (the `webpki-roots` crate). Default: `true` with
    /// the crate's `webpki-roots` feature (on by default), `false` without it.
    ///
    /// To trust only the roots you add, call `webpki_roots(false)` rather than relying on the
    /// feature being off: Cargo unifies features, so another crate in the build can turn the
    /// feature (and with it this default) on. `webpki_roots(true)` in a build without the
    /// feature makes [`build`](Self::build) fail with [`Error::TlsConfig`].
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

    /// Send requests through an HTTP proxy (a `CONNECT` tunnel; TLS and the client certificate
    /// run end to end inside it, so the proxy sees only the target's name and port). Default:
    /// no proxy; [`Proxy::from_env`] reads `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`. A
    /// [`resolve`](Self::resolve) override also applies through the proxy: the `CONNECT` then
    /// names the overridden address.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Never ask the system resolver: a host without a [`resolve`](Self::resolve) entry fails
    /// to connect. Tests use it to guarantee that no lookup or packet leaves the machine.
    /// Default `false`.
    pub fn resolve_overrides_only(mut self, only: bool) -> Self {
        self.overrides_only = only;
        self
    }

    /// Time limit for DNS + TCP connect + TLS handshake of a new connection. Default 10 s, at
    /// most [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (longer values are lowered to it). Zero makes
    /// every new connection time out.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.settings.connect_timeout = d.min(Self::MAX_TIMEOUT);
        self
    }

    /// Time limit for a whole request, including connecting and reading the full response body.
    /// Default 30 s, at most [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (longer values are lowered to
    /// it). Zero makes every request time out.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.settings.request_timeout = d.min(Self::MAX_TIMEOUT);
        self
    }

    /// Largest accepted response body in bytes; larger bodies fail with
    /// [`Error::ResponseTooLarge`] without being read further. Default 1 MiB, at most
    /// [`MAX_RESPONSE_BYTES`](Self::MAX_RESPONSE_BYTES) (larger values are lowered to it).
    ///
    /// Memory is reserved as the body arrives, not by the announced `Content-Length`.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.settings.max_response_bytes = n.min(Self::MAX_RESPONSE_BYTES);
        self
    }

    /// How long an idle pooled connection is kept open. Default 90 s, at most
    /// [`MAX_TIMEOUT`](Self::MAX_TIMEOUT) (longer values are lowered to it). Zero keeps no
    /// connection for reuse.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.settings.pool_idle_timeout = d.min(Self::MAX_TIMEOUT);
        self
    }

    /// Maximum number of client identities with their own pool; beyond it the least recently
    /// used identity's pool is dropped (its idle connections close). Default 64, minimum 1.
    pub fn max_identities(mut self, n: usize) -> Self {
        self.settings.max_identities = n.max(1);
        self
    }

    /// The lowest TLS version offered: [`TlsVersion::Tls12`] (the default) or
    /// [`TlsVersion::Tls13`]. A minimum above the maximum fails at [`build`](Self::build).
    ///
    /// ```
    /// use mtls_transport::{HyperTransport, TlsVersion};
    ///
    /// let builder = HyperTransport::builder().min_tls_version(TlsVersion::Tls13);
    /// # let _ = builder;
    /// ```
    pub fn min_tls_version(mut self, version: TlsVersion) -> Self {
        self.min_tls = version;
        self
    }

    /// The highest TLS version offered: [`TlsVersion::Tls13`] (the default) or
    /// [`TlsVersion::Tls12`] (for servers or middleboxes that need TLS 1.2).
    pub fn max_tls_version(mut self, version: TlsVersion) -> Self {
        self.max_tls = version;
        self
    }

    /// The rustls client configuration (ring provider, this builder's roots and TLS versions) presenting
    /// `identity` as TLS client certificate: the piece to give your own HTTP client
    /// (hyper-rustls `HttpsConnectorBuilder::with_tls_config`, reqwest
    /// `use_preconfigured_tls`) so it presents the certificate a token is bound to. ALPN is
    /// empty (HTTP/1.1); resolver overrides and timeouts are not part of it.
    pub fn rustls_client_config(
        &self,
        identity: Option<&ClientCertificate>,
    ) -> Result<Arc<rustls::ClientConfig>, Error> {
        let roots = tls::root_store(self.webpki_roots, &self.extra_roots, &self.file_roots)?;
        let versions = tls::protocol_versions(self.min_tls, self.max_tls)?;
        tls::client_config(roots, &versions, identity)
    }

    /// Builds the transport. Fails on an unusable root certificate, when no root is trusted,
    /// or when the minimum TLS version is above the maximum.
    pub fn build(mut self) -> Result<HyperTransport, Error> {
        self.settings.tls_versions = tls::protocol_versions(self.min_tls, self.max_tls)?;
        let roots = tls::root_store(self.webpki_roots, &self.extra_roots, &self.file_roots)?;
        let mut http = HttpConnector::new_with_resolver(OverrideResolver::new(
            self.overrides.clone(),
            self.overrides_only,
        ));
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = ProxyConnector::new(http, self.proxy, self.overrides);
        HyperTransport::from_parts(self.settings, roots, connector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_roots_is_a_config_error() {
        let err = HyperTransport::builder()
            .webpki_roots(false)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "tls_config_error");
    }

    #[test]
    fn the_mozilla_roots_follow_the_feature() {
        let feature = cfg!(feature = "webpki-roots");
        assert_eq!(HyperTransport::builder().build().is_ok(), feature);
        match HyperTransport::builder().webpki_roots(true).build() {
            Ok(_) => assert!(feature),
            Err(err) => {
                assert!(!feature);
                assert_eq!(err.code(), "tls_config_error");
                assert!(err.to_string().contains("`webpki-roots` feature"), "{err}");
            }
        }
    }

    #[test]
    fn a_minimum_above_the_maximum_is_a_config_error() {
        let err = HyperTransport::builder()
            .add_root_certificate_der(Vec::new())
            .min_tls_version(TlsVersion::Tls13)
            .max_tls_version(TlsVersion::Tls12)
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "tls_config_error");
        assert!(err.to_string().contains("minimum TLS version"), "{err}");
        let only13 = tls::protocol_versions(TlsVersion::Tls13, TlsVersion::Tls13).unwrap();
        assert_eq!(only13.len(), 1);
        assert_eq!(only13[0].version, rustls::ProtocolVersion::TLSv1_3);
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

    #[test]
    fn absurd_settings_are_lowered_to_their_bounds() {
        let b = HyperTransport::builder()
            .connect_timeout(Duration::MAX)
            .request_timeout(Duration::MAX)
            .pool_idle_timeout(Duration::MAX)
            .max_response_bytes(usize::MAX);
        let s = &b.settings;
        let max = HyperTransportBuilder::MAX_TIMEOUT;
        assert_eq!(
            (s.connect_timeout, s.request_timeout, s.pool_idle_timeout),
            (max, max, max)
        );
        assert_eq!(
            s.max_response_bytes,
            HyperTransportBuilder::MAX_RESPONSE_BYTES
        );
        // values within the bounds are kept
        let b = HyperTransport::builder()
            .request_timeout(Duration::ZERO)
            .max_response_bytes(0);
        assert_eq!(b.settings.request_timeout, Duration::ZERO);
        assert_eq!(b.settings.max_response_bytes, 0);
    }
}
