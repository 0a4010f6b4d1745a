//! The crate's single error type.

use std::net::SocketAddr;

/// A boxed underlying cause, kept so `source()` chains stay useful without tying the public API to
/// the versions of rustls, rcgen or x509-parser used inside.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when starting or using the emulator.
///
/// Messages never contain secrets, assertions, tokens or private keys.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TCP listener could not be bound.
    #[error("could not bind the emulator listener on {addr}: {source}; use 127.0.0.1:0 to let the OS pick a free port")]
    Bind {
        /// The address that was requested.
        addr: SocketAddr,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// A certificate or key could not be generated, parsed or signed.
    #[error("certificate or key operation failed: {what}; check the certificate request (subject, key choice, validity)")]
    Certificate {
        /// What was being done.
        what: String,
        /// The underlying cause, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The TLS server configuration could not be built.
    #[error("the TLS server configuration could not be built: {source}; this is a bug in the emulator's certificate setup")]
    Tls {
        /// The rustls error.
        #[source]
        source: BoxError,
    },

    /// The emulator was configured with a value it cannot use.
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),

    /// A bundled RSA key index was out of range.
    #[error("there is no bundled RSA test key with index {index}; use an index below {count} (see pki::bundled_rsa_key_count)")]
    UnknownBundledKey {
        /// The index asked for.
        index: usize,
        /// How many keys are bundled.
        count: usize,
    },

    /// A token handed to [`crate::Emulator::verify_access_token`] was rejected.
    #[error("the access token was rejected: {reason}; only unexpired tokens issued by this emulator instance verify")]
    InvalidToken {
        /// Why it was rejected (never contains the token itself).
        reason: String,
    },

    /// An I/O error outside binding (for example reading the local address).
    #[error("I/O error in the emulator: {0}; the listener may have been closed")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn certificate(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Certificate {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    pub(crate) fn invalid_token(reason: impl Into<String>) -> Self {
        Error::InvalidToken {
            reason: reason.into(),
        }
    }
}
