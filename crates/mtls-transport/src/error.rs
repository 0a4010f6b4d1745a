//! The crate's single error type.

use std::fmt;
use std::time::Duration;

/// Boxed error used as the source of [`Error::Connect`].
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
/// Messages never contain request bodies, header values, tokens or key material.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be sent as given (bad scheme, missing host, an identity over plain HTTP, ...).
    #[error("invalid HTTP request: {reason}")]
    InvalidRequest {
        /// What is wrong with the request.
        reason: String,
    },

    /// No connection could be opened (DNS failure, connection refused, unreachable network).
    #[error("could not connect to {host}: {source}; check the host name, the network path and that the server is listening")]
    Connect {
        /// Host the connection was for.
        host: String,
        /// The underlying cause.
        source: BoxError,
    },

    /// The TLS handshake (or a later TLS record) failed.
    #[error("TLS with {host} failed: {reason}")]
    Tls {
        /// Host the connection was for.
        host: String,
        /// What failed, e.g. "server certificate not trusted (unknown issuer)".
        reason: String,
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
    },

    /// The client certificate cannot be used for TLS (e.g. the private key does not match the leaf certificate).
    #[error("client certificate cannot be used for TLS: {reason}")]
    ClientCertificate {
        /// What is wrong with the certificate or key.
        reason: String,
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
    },

    /// The TLS configuration could not be built (e.g. no trusted roots at all).
    #[error("TLS configuration error: {reason}")]
    TlsConfig {
        /// What is wrong with the configuration.
        reason: String,
    },
}

impl Error {
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
        }
    }

    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
        }
    }
}
