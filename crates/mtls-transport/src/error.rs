//! The transport's error type [`Error`], with [`TimeoutPhase`] and [`BoxError`].

use std::fmt;
use std::time::Duration;

/// A boxed, thread-safe error: the `source` of the [`Error`] variants that wrap a lower-level
/// failure. A custom [`Transport`](crate::Transport) boxes its own errors into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which part of an HTTP exchange ran out of time.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the connection: DNS, TCP connect and the TLS handshake.
    Connect,
    /// The whole request: connecting (or pool checkout), sending, and reading the full response.
    Request,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
        })
    }
}

/// Errors returned by a [`Transport`](crate::Transport).
///
/// Messages never contain request bodies, header values, tokens or key material. Every variant
/// that stems from a lower-level failure (hyper, rustls, io, the `http` crate) keeps it as its
/// [`source()`](std::error::Error::source). [`Error::is_retryable`] says whether sending again
/// may help; [`Error::code`] gives a stable code.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be sent as given (bad scheme, missing host, an identity over plain HTTP, ...).
    #[error("invalid HTTP request: {reason}")]
    InvalidRequest {
        /// What is wrong with the request.
        reason: String,
        /// The lower-level error, when one was reported (e.g. an invalid URI).
        source: Option<BoxError>,
    },

    /// No connection could be opened (DNS failure, connection refused, unreachable network).
    #[error("could not connect to {host}: {source}; check the host name, the network path and that the server is listening")]
    Connect {
        /// Host the connection was for.
        host: String,
        /// The underlying cause. [`HyperTransport`](crate::HyperTransport) gives an
        /// [`std::io::Error`] whose kind is that of the innermost io error (e.g.
        /// `ConnectionRefused`) and whose message describes the whole chain; its own `source()`
        /// continues with the original hyper / io errors.
        source: BoxError,
    },

    /// The TLS handshake (or a later TLS record) failed.
    #[error("TLS with {host} failed: {reason}")]
    Tls {
        /// Host the connection was for.
        host: String,
        /// What failed, e.g. "server certificate not trusted (unknown issuer)".
        reason: String,
        /// The TLS library's error ([`HyperTransport`](crate::HyperTransport): a
        /// `rustls::Error`).
        source: BoxError,
    },

    /// A time limit was reached.
    #[error("{phase} timed out after {after:?}; the server did not answer in time (raise the {phase} timeout if the server is known to be slow)")]
    Timeout {
        /// Which limit was reached.
        phase: TimeoutPhase,
        /// The configured limit.
        after: Duration,
    },

    /// The response body was larger than the configured maximum; reading stopped.
    #[error("response body exceeds the limit of {limit} bytes; reading stopped (raise max_response_bytes if such responses are expected)")]
    ResponseTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },

    /// An HTTP protocol error (malformed response, connection closed mid-response, ...).
    #[error("HTTP error: {reason}")]
    Http {
        /// What went wrong.
        reason: String,
        /// The HTTP library's error ([`HyperTransport`](crate::HyperTransport): hyper-util's or
        /// hyper's, with any io error below it).
        source: BoxError,
    },

    /// The client certificate cannot be used for TLS (e.g. the private key does not match the leaf certificate).
    #[error("client certificate cannot be used for TLS: {reason}")]
    ClientCertificate {
        /// What is wrong with the certificate or key.
        reason: String,
        /// The TLS library's error, when it reported one.
        source: Option<BoxError>,
    },

    /// The transport cannot present a TLS client certificate, but the request needs one (mTLS).
    #[error("transport {transport} cannot present a TLS client certificate; use a transport with mTLS support (e.g. HyperTransport) for certificate-bound requests")]
    ClientIdentityNotSupported {
        /// Name of the transport implementation.
        transport: String,
    },

    /// An extra trusted root certificate could not be parsed or used.
    #[error("invalid root certificate: {reason}; pass a DER or PEM encoded X.509 CA certificate")]
    InvalidRootCertificate {
        /// Why it was rejected.
        reason: String,
        /// The parser's or TLS library's error, when it reported one.
        source: Option<BoxError>,
    },

    /// The TLS configuration could not be built (e.g. no trusted roots at all).
    #[error("TLS configuration error: {reason}")]
    TlsConfig {
        /// What is wrong with the configuration.
        reason: String,
        /// The TLS library's error, when it reported one.
        source: Option<BoxError>,
    },

    /// A proxy URL (given to [`Proxy::new`](crate::Proxy::new) or in `HTTPS_PROXY` /
    /// `HTTP_PROXY`) cannot be used.
    #[error("invalid proxy: {reason}")]
    InvalidProxy {
        /// What is wrong and what to give instead.
        reason: String,
    },
}

impl Error {
    /// True for an [`Error::Tls`] where the server ended the connection with a TLS alert (as a
    /// server does when the client refuses to renegotiate), not a local verification failure.
    pub fn is_tls_alert_from_server(&self) -> bool {
        matches!(self, Self::Tls { source, .. }
            if matches!(source.downcast_ref::<rustls::Error>(), Some(rustls::Error::AlertReceived(_))))
    }

    /// True for [`Error::Timeout`] (connect or whole-request timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True for [`Error::Connect`], and for a connect-phase [`Error::Timeout`]: no connection was made,
    /// so the request was certainly not processed by the server.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Timeout {
                    phase: TimeoutPhase::Connect,
                    ..
                }
        )
    }

    /// Whether the failure may be transient, so that sending the same request again may
    /// succeed.
    ///
    /// `true` (transient):
    /// * [`Error::Connect`]: DNS failure, connection refused or reset, unreachable network;
    /// * [`Error::Timeout`], connect or whole-request;
    /// * [`Error::Http`] when the connection broke during the exchange (closed or reset before
    ///   the response was complete).
    ///
    /// `false` (permanent: the same request fails the same way until something is fixed):
    /// * [`Error::Http`] when the response is malformed (hyper could not parse it);
    /// * [`Error::Tls`]: the server certificate failed verification (untrusted, wrong name,
    ///   expired), the server rejected the client certificate, or another TLS failure;
    /// * [`Error::InvalidRequest`]: an invalid URL, or plain `http` with a client identity;
    /// * [`Error::ResponseTooLarge`];
    /// * [`Error::ClientCertificate`] and [`Error::ClientIdentityNotSupported`];
    /// * [`Error::InvalidRootCertificate`] and [`Error::TlsConfig`] (builder / configuration).
    ///
    /// Only [`is_connect`](Self::is_connect) errors guarantee that the server never saw the
    /// request; after a timeout or a broken exchange it may have processed it, so retry only
    /// idempotent requests (token requests are).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Timeout { .. } => true,
            Self::Http { source, .. } => !is_malformed_response(source.as_ref()),
            Self::InvalidRequest { .. }
            | Self::Tls { .. }
            | Self::ResponseTooLarge { .. }
            | Self::ClientCertificate { .. }
            | Self::ClientIdentityNotSupported { .. }
            | Self::InvalidRootCertificate { .. }
            | Self::InvalidProxy { .. }
            | Self::TlsConfig { .. } => false,
        }
    }

    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest { .. } => "invalid_request",
            Self::Connect { .. } => "connect_error",
            Self::Tls { .. } => "tls_error",
            Self::Timeout { .. } => "timeout",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::Http { .. } => "http_error",
            Self::ClientCertificate { .. } => "client_certificate_error",
            Self::ClientIdentityNotSupported { .. } => "client_identity_not_supported",
            Self::InvalidRootCertificate { .. } => "invalid_root_certificate",
            Self::TlsConfig { .. } => "tls_config_error",
            Self::InvalidProxy { .. } => "invalid_proxy",
        }
    }

    /// [`Error::InvalidRequest`] without a lower-level cause.
    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
            source: None,
        }
    }

    /// [`Error::InvalidRequest`] caused by `source`.
    pub(crate) fn invalid_request_caused_by(
        reason: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
            source: Some(source.into()),
        }
    }
}

/// Whether a hyper parse error (a response that is not valid HTTP/1.1) is in `err`'s chain.
fn is_malformed_response(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |e| e.source())
        .filter_map(|e| e.downcast_ref::<hyper::Error>())
        .any(hyper::Error::is_parse)
}
