//! # msal: Microsoft Entra ID tokens for Rust services
//!
//! A confidential client (client secret, certificate, or client assertion) that acquires
//! app-only access tokens from Microsoft Entra ID with the client-credentials grant, caches them,
//! and, as its headline, acquires **mTLS Proof-of-Possession** tokens bound to the app's
//! certificate (RFC 8705).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use msal::{ClientCertificate, ConfidentialClientApplication};
//!
//! let pem = std::fs::read("app.pem")?; // certificate chain + private key
//! let app = ConfidentialClientApplication::builder("00000000-0000-0000-0000-000000000001")
//!     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
//!     .certificate(ClientCertificate::from_pem(&pem)?)
//!     .send_x5c(true) // subject name + issuer (SN/I) authentication
//!     .build()?;
//! let token = app
//!     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
//!     .await?;
//! assert_eq!(token.token_type(), "Bearer");
//! # Ok(()) }
//! ```
//!
//! Layers (see `docs/architecture.md`): [`oauth2_core`] (protocol, certificates, assertions),
//! [`mtls_transport`] (HTTP with per-certificate pools), [`token_cache`], [`telemetry`]; this
//! crate composes them.
#![forbid(unsafe_code)]

mod app;
mod binding;
mod credential;
mod endpoints;
mod error;
mod headers;
mod inflight;
mod metrics;
mod region;
mod request;
mod result;
mod throttle;

pub use app::{
    ConfidentialClientApplication, ConfidentialClientApplicationBuilder, DEFAULT_RETRY_BACKOFF,
};
pub use binding::BindingCertificate;
pub use credential::{
    AssertionContext, BoundAssertion, BoundAssertionProvider, BoxError, ClientAssertionProvider,
    FederatedLeg1, TOKEN_EXCHANGE_SCOPE,
};
pub use error::{Error, ServiceError};
pub use headers::{CLIENT_SKU, CLIENT_VERSION};
pub use metrics::{AcquisitionEvent, AcquisitionObserver};
pub use region::{
    AzureRegion, EnvLookup, RegionDetails, RegionOutcome, RegionSource, DEFAULT_IMDS_BASE,
};
pub use request::AcquireTokenForClient;
pub use result::{AuthenticationResult, TokenSource};

#[doc(inline)]
pub use mtls_transport::{
    HttpRequest, HttpResponse, HyperTransport, HyperTransportBuilder, Transport,
};
#[doc(inline)]
pub use oauth2_core::{Authority, ClientCertificate, Clock, Scopes, SecretString, SystemClock};
#[doc(inline)]
pub use token_cache::{MemoryTokenCache, TokenCache};

/// The crates this facade is built from, for advanced use.
pub mod layers {
    pub use mtls_transport;
    pub use oauth2_core;
    pub use telemetry;
    pub use token_cache;
}
