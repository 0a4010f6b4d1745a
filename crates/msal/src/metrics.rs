//! A hook for exporting counters (acquisitions, cache hits, errors, latency) and certificate
//! events (rotations, failed reloads, expiry warnings) to the application's metrics and alerting
//! systems, without this library choosing one.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::TokenSource;

/// What one `acquire_token_for_client` call did. Carries no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcquisitionEvent {
    /// The application (client) id.
    pub client_id: String,
    /// Whether mTLS Proof-of-Possession was requested.
    pub mtls_pop: bool,
    /// Where the token came from, for a success.
    pub source: Option<TokenSource>,
    /// The error code (`Error::code`), for a failure.
    pub error_code: Option<String>,
    /// How long the call took, cache lookup and network included.
    pub duration: Duration,
}

/// Receives an [`AcquisitionEvent`] after every call. Called inline: keep it cheap (increment
/// counters, push to a channel).
pub trait AcquisitionObserver: Send + Sync + fmt::Debug {
    /// One call finished.
    fn on_acquisition(&self, event: &AcquisitionEvent);

    /// Something happened to the application's certificate (see [`CertificateEventKind`]).
    /// The default ignores it.
    fn on_certificate(&self, event: &CertificateEvent) {
        let _ = event;
    }
}

/// Something happened to the application's certificate. Carries no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateEvent {
    /// The application (client) id.
    pub client_id: String,
    /// `x5t#S256` of the certificate in use after the event (`None`: the source failed and
    /// there is no earlier certificate to keep).
    pub x5t_s256: Option<String>,
    /// What happened.
    pub kind: CertificateEventKind,
}

/// What happened to the application's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateEventKind {
    /// The source answered with a new certificate: from now on requests present it, tokens are
    /// cached under its key id, and the previous certificate's connection pool was dropped.
    Rotated {
        /// `x5t#S256` of the certificate used before.
        previous_x5t_s256: String,
    },
    /// The source failed (unreadable or half-written files, a key that does not match the
    /// certificate, an expired replacement, a provider error): the last good certificate stays
    /// in use. Fix the source; this is reported once per bad file content (files) or per failed
    /// call (a provider).
    RefreshFailed {
        /// The error's stable code (`Error::code`), e.g. `key_mismatch`, `certificate_expired`.
        error_code: String,
        /// What went wrong and what to do.
        reason: String,
    },
    /// The certificate in use expires within the warning window
    /// ([`certificate_expiry_warning`](crate::ConfidentialClientApplicationBuilder::certificate_expiry_warning)):
    /// renew it. Reported once per certificate.
    ExpiresSoon {
        /// When it expires.
        not_after: SystemTime,
    },
}
