#![doc = include_str!("../../../README.md")]
//!
//! # This crate's API
//!
//! * [`ConfidentialClientApplication`] (built with [`ConfidentialClientApplication::builder`])
//!   and its request [`AcquireTokenForClient`], which yields an [`AuthenticationResult`] or an
//!   [`Error`] (with a stable [`Error::code`] and [`Error::is_retryable`]).
//! * Credentials: a client secret, a [`ClientCertificate`], an assertion, a
//!   [`ClientAssertionProvider`], or a [`BoundAssertion`] / [`BoundAssertionProvider`]
//!   ([`FederatedLeg1`] for a federated two-leg exchange).
//! * [`cache`]: everything needed to keep tokens elsewhere (implement [`cache::TokenCache`]).
//! * [`transport`]: everything needed to send requests another way (implement
//!   [`transport::Transport`]).
//! * [`guides`]: the design notes (mTLS PoP, cache, reliability, telemetry, architecture).
#![forbid(unsafe_code)]

mod acquire;
mod app;
mod binding;
mod credential;
mod endpoints;
mod error;
mod federated;
mod headers;
mod inflight;
mod metrics;
mod region;
mod result;
mod state;
mod throttle;
mod token_client;

pub mod guides;

pub use acquire::AcquireTokenForClient;
pub use app::{
    ConfidentialClientApplication, ConfidentialClientApplicationBuilder, DEFAULT_RETRY_BACKOFF,
};
pub use binding::BindingCertificate;
pub use credential::{
    AssertionContext, BoundAssertion, BoundAssertionProvider, BoxError, ClientAssertionProvider,
};
pub use error::{Error, ServiceError};
pub use federated::{FederatedLeg1, TOKEN_EXCHANGE_SCOPE};
pub use headers::{CLIENT_SKU, CLIENT_VERSION};
pub use metrics::{AcquisitionEvent, AcquisitionObserver};
pub use region::{
    AzureRegion, EnvLookup, RegionDetails, RegionOutcome, RegionSource, DEFAULT_IMDS_BASE,
};
pub use result::{AuthenticationResult, TokenSource};

#[doc(inline)]
pub use oauth2_core::{
    Authority, AuthorityKind, ClientCertificate, Clock, Error as ConfigurationError, Scopes,
    SecretString, SystemClock, TokenType, UnixTime,
};

/// Keeping tokens: the [`TokenCache`](cache::TokenCache) trait the application talks to, the
/// built-in backends, and the types an implementation of the trait needs.
///
/// ```
/// use std::sync::Arc;
/// use msal::cache::MemoryTokenCache;
///
/// // One cache shared by two applications (e.g. two client ids of one service).
/// let shared = Arc::new(MemoryTokenCache::new());
/// let _builder = msal::ConfidentialClientApplication::builder("client-id")
///     .token_cache(shared.clone());
/// assert!(shared.is_empty());
/// ```
pub mod cache {
    #[doc(inline)]
    pub use token_cache::{
        CachedAccessToken, Error, FileTokenCache, FileTokenCacheBuilder, MemoryTokenCache,
        PartitionKey, PartitionParts, TokenCache,
    };
}

/// Sending requests: the [`Transport`](transport::Transport) trait, the default rustls + hyper
/// implementation with one connection pool per client certificate, the messages, and the mTLS
/// endpoint transform.
///
/// ```
/// use msal::transport::HyperTransport;
///
/// let transport = HyperTransport::builder()
///     .request_timeout(std::time::Duration::from_secs(10))
///     .build()?;
/// let _builder = msal::ConfidentialClientApplication::builder("client-id")
///     .transport(std::sync::Arc::new(transport));
/// # Ok::<(), msal::transport::Error>(())
/// ```
pub mod transport {
    #[doc(inline)]
    pub use mtls_transport::{
        is_valid_region, mtls_token_endpoint, regional_token_endpoint, EndpointError, Error,
        HttpRequest, HttpResponse, HyperTransport, HyperTransportBuilder, TimeoutPhase, Transport,
    };
}
