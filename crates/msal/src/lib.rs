// The front page is this package's README (its crates.io page too), so that `cargo package`
// finds it inside the package; its example is the repository README's "Using the library"
// example, and the e2e test crate doctests the repository README itself.
#![doc = include_str!("../README.md")]
//!
//! # This crate's API
//!
//! * [`ConfidentialClientApplication`] (built with [`ConfidentialClientApplication::builder`])
//!   and its request [`AcquireTokenForClient`], which yields an [`AuthenticationResult`] or an
//!   [`Error`] (with a stable [`Error::code`] and [`Error::is_retryable`]).
//! * Credentials: a client secret, a [`ClientCertificate`], an assertion, a
//!   [`ClientAssertionProvider`], or a [`BoundAssertion`] / [`BoundAssertionProvider`]
//!   ([`FederatedLeg1`] for a federated two-leg exchange).
//! * Any RFC 8705 authorization server besides Entra ID:
//!   [`ConfidentialClientApplicationBuilder::issuer`] with
//!   [`ConfidentialClientApplicationBuilder::tls_client_certificate`], and
//!   [`AcquireTokenForClient::with_resource`] ([`guides::generic_rfc8705`]).
//! * [`cache`]: everything needed to keep tokens elsewhere (implement [`cache::TokenCache`]).
//! * [`transport`]: everything needed to send requests another way (implement
//!   [`transport::Transport`]).
//! * [`guides`]: the design notes (mTLS PoP, generic RFC 8705 servers, cache, reliability,
//!   telemetry, architecture).
#![forbid(unsafe_code)]

mod acquire;
mod app;
#[cfg(feature = "azure-core")]
mod azure;
mod binding;
mod bound_call;
mod certificate_source;
mod credential;
mod endpoints;
mod environment;
mod error;
mod federated;
mod file_input;
mod headers;
mod inflight;
mod interned;
mod issuer;
mod key_vault;
mod metrics;
mod partitions;
mod region;
#[cfg(feature = "reqwest")]
mod reqwest_client;
mod result;
mod state;
mod throttle;
mod token_client;

pub mod guides;

pub use acquire::{AcquireTokenForClient, AcquireTokenForClientFuture};
pub use app::{
    ConfidentialClientApplication, ConfidentialClientApplicationBuilder, DEFAULT_RETRY_BACKOFF,
    MAX_RETRY_BACKOFF,
};
pub use binding::BindingCertificate;
pub use bound_call::{BoundTokenLayer, BoundTokenService};
pub use certificate_source::{
    CertificateContext, CertificateProvider, FileCertificateSource,
    DEFAULT_CERTIFICATE_CHECK_INTERVAL, DEFAULT_CERTIFICATE_EXPIRY_WARNING,
};
pub use credential::{
    AssertionContext, BoundAssertion, BoundAssertionProvider, ClientAssertionProvider,
};
pub use error::{BoxError, Error, ServiceError};
pub use federated::{FederatedLeg1, TOKEN_EXCHANGE_SCOPE};
pub use headers::{CLIENT_SKU, CLIENT_VERSION};
pub use metrics::{AcquisitionEvent, AcquisitionObserver, CertificateEvent, CertificateEventKind};
pub use region::{
    AzureRegion, EnvLookup, RegionDetails, RegionOutcome, RegionSource, DEFAULT_IMDS_BASE,
};
pub use result::{AuthenticationResult, TokenSource};

/// The attribute that implements the async extension traits ([`cache::TokenCache`],
/// [`transport::Transport`], [`ClientAssertionProvider`], …) on your types.
pub use async_trait::async_trait;

#[doc(inline)]
pub use oauth2_core::{
    Authority, AuthorityKind, ClientCertificate, Clock, Error as ConfigurationError, KeyAlgorithm,
    KeySigner, Scopes, SecretString, SigningAlgorithm, SystemClock, TokenType, UnixTime,
};

/// Keys that stay in a PKCS#11 token (an HSM, a smart card, SoftHSM2): the `pkcs11` feature.
///
/// A [`Pkcs11Key`](pkcs11::Pkcs11Key) signs inside the token; attach it to its certificate
/// with [`ClientCertificate::from_pem_with_signer`] (or `from_signer`) and configure the app
/// with that certificate as usual: assertions and the mTLS handshake are signed by the token.
///
/// ```no_run
/// use msal::pkcs11::Pkcs11Key;
/// use msal::{ClientCertificate, ConfidentialClientApplication, SecretString};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = Pkcs11Key::builder("/usr/lib/softhsm/libsofthsm2.so")
///     .token_label("msal")
///     .key_label("app-key")
///     .pin(SecretString::new(std::env::var("MSAL_PKCS11_PIN")?))
///     .open()?;
/// let certificate = ClientCertificate::from_pem_with_signer(&std::fs::read("app.pem")?, key)?;
/// let app = ConfidentialClientApplication::builder("client-id")
///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
///     .certificate(certificate)
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "pkcs11")]
pub mod pkcs11 {
    #[doc(inline)]
    pub use ::pkcs11::{Error, Pkcs11Key, Pkcs11KeyBuilder};
}

/// Keeping tokens: the [`TokenCache`](cache::TokenCache) trait the application talks to, the
/// built-in backends, and everything an implementation of the trait needs (with
/// [`async_trait`](crate::async_trait) and the root's [`Scopes`], [`SecretString`],
/// [`TokenType`] and [`UnixTime`]).
///
/// A store of your own, e.g. in front of a database (here a map):
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use msal::cache::{CachedAccessToken, Error, PartitionKey, TokenCache};
/// use msal::Scopes;
///
/// #[derive(Debug, Default)]
/// struct MapCache(Mutex<HashMap<(PartitionKey, Scopes), CachedAccessToken>>);
///
/// #[msal::async_trait]
/// impl TokenCache for MapCache {
///     async fn find(&self, partition: &PartitionKey, scopes: &Scopes)
///         -> Result<Option<CachedAccessToken>, Error> {
///         // Exact matches only: allowed, it only costs extra token requests.
///         let map = self.0.lock().map_err(|_| Error::Poisoned)?;
///         Ok(map.get(&(partition.clone(), scopes.clone())).cloned())
///     }
///     async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
///         let key = (token.partition.clone(), token.scopes.clone());
///         self.0.lock().map_err(|_| Error::Poisoned)?.insert(key, token);
///         Ok(())
///     }
///     async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
///         let mut map = self.0.lock().map_err(|_| Error::Poisoned)?;
///         Ok(map.remove(&(partition.clone(), scopes.clone())).is_some())
///     }
/// }
///
/// let _builder = msal::ConfidentialClientApplication::builder("client-id")
///     .token_cache(Arc::new(MapCache::default()));
/// ```
pub mod cache {
    #[doc(inline)]
    pub use token_cache::{
        CacheDocument, CachedAccessToken, Error, Fill, FillLease, MemoryTokenCache, PartitionKey,
        PartitionParts, TokenCache,
    };
    // the file cache: the `file-cache` feature (on by default)
    #[doc(inline)]
    #[cfg(feature = "file-cache")]
    pub use token_cache::{FileTokenCache, FileTokenCacheBuilder};
    // the Redis cache with fleet-wide single flight: the `redis-cache` feature
    #[doc(inline)]
    #[cfg(feature = "redis-cache")]
    pub use token_cache::{RedisTokenCache, RedisTokenCacheBuilder};
}

/// Sending requests: the [`Transport`](transport::Transport) trait, the default rustls + hyper
/// implementation with one connection pool per client certificate, the messages (with the
/// `http`, `url` and `bytes` crates they are made of), and the mTLS endpoint transform.
///
/// A transport of your own, here one that wraps the default and counts requests:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use msal::transport::{Error, HttpRequest, HttpResponse, HyperTransport, Transport};
/// use msal::ClientCertificate;
///
/// #[derive(Debug)]
/// struct Counting {
///     inner: HyperTransport,
///     sent: AtomicUsize,
/// }
///
/// #[msal::async_trait]
/// impl Transport for Counting {
///     async fn send(&self, request: HttpRequest, identity: Option<&ClientCertificate>)
///         -> Result<HttpResponse, Error> {
///         self.sent.fetch_add(1, Ordering::Relaxed);
///         self.inner.send(request, identity).await
///     }
/// }
///
/// # #[cfg(feature = "webpki-roots")] {
/// let transport = HyperTransport::builder()
///     .request_timeout(std::time::Duration::from_secs(10))
///     .build()?; // trusts the Mozilla roots (the `webpki-roots` feature)
/// let counting = Arc::new(Counting { inner: transport, sent: AtomicUsize::new(0) });
/// let _builder = msal::ConfidentialClientApplication::builder("client-id").transport(counting);
/// # }
/// # Ok::<(), msal::transport::Error>(())
/// ```
pub mod transport {
    #[doc(inline)]
    pub use mtls_transport::{
        bytes, http, is_valid_region, mtls_token_endpoint, regional_token_endpoint, url,
        EndpointError, Error, HttpRequest, HttpResponse, HyperTransport, HyperTransportBuilder,
        Proxy, TimeoutPhase, TlsVersion, Transport,
    };
}
