//! A hook for exporting counters (acquisitions, cache hits, errors, latency) to the
//! application's metrics system, without this library choosing one.

use std::fmt;
use std::time::Duration;

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
}
