//! Pluggable async HTTP transport for OAuth clients, with mutual-TLS (RFC 8705) client
//! certificates and one connection pool per client identity.
//!
//! * [`Transport`] is the extension point: one method that sends an [`HttpRequest`] and returns a
//!   fully read [`HttpResponse`], optionally presenting a TLS client certificate
//!   ([`oauth2_core::ClientCertificate`]).
//! * [`HyperTransport`] is the default implementation: hyper 1, hyper-util's pooled legacy
//!   client, hyper-rustls and rustls with the *ring* provider passed explicitly (the process-wide
//!   default provider is never installed or used). Server certificates are always verified,
//!   against the Mozilla roots (`webpki-roots`) and/or roots you add.
//!
//! # Pooling rule
//!
//! hyper-util keys pooled connections by `(scheme, authority)` only; it knows nothing about the
//! client certificate used in the TLS handshake. Sharing one pool between identities would send
//! a request for certificate B over a connection authenticated with certificate A (or with none),
//! which silently breaks certificate-bound tokens. [`HyperTransport`] therefore keeps:
//!
//! * one pooled client (with its own rustls config) for requests **without** an identity, and
//! * one pooled client per identity, keyed by the whole certificate chain it presents
//!   ([`ClientCertificate::chain_id`](oauth2_core::ClientCertificate::chain_id): the leaf and
//!   its intermediates), built lazily on first use and reused afterwards (so repeated requests
//!   with the same certificate reuse one keep-alive connection; TLS session resumption is scoped
//!   the same way).
//!
//! A different certificate always gets a different client, hence a new connection. So does the
//! same leaf with another chain: after a wrong intermediate was presented and rejected, the
//! corrected chain gets its own client instead of the pooled one that presents the old chain. The number of
//! identity pools is bounded ([`HyperTransportBuilder::max_identities`]); the least recently
//! used one is dropped first. Plain `http://` is accepted only without an identity (for example
//! the managed identity endpoint on a link-local address).
//!
//! # Limits
//!
//! Every request runs under a whole-request timeout (connect, send and body read), new
//! connections under a connect timeout (DNS, TCP and TLS handshake), and response bodies are read
//! up to a size limit; larger bodies fail with [`Error::ResponseTooLarge`] without buffering
//! them. Memory follows the bytes that actually arrive, not the `Content-Length` a server
//! announces. The builder bounds its settings ([`HyperTransportBuilder::MAX_TIMEOUT`],
//! [`HyperTransportBuilder::MAX_RESPONSE_BYTES`]), so no configuration can overflow a deadline
//! or allow an unbounded body.
//!
//! # Errors
//!
//! A [`Transport`] fails with an [`Error`]: [`Error::is_retryable`] tells transient failures
//! (connection refused or reset, DNS, timeouts, a connection closed mid-response) from permanent
//! ones (TLS verification, an invalid request, a response over the size limit, configuration);
//! [`Error::code`] is a stable machine-readable code, and the lower-level hyper, rustls or io
//! error is the error's `source()`. The endpoint transform fails with an [`EndpointError`].
//!
//! # mTLS endpoint transform
//!
//! [`mtls_token_endpoint`] maps an authority (and an optional Azure region) to the token
//! endpoint that accepts client certificates, e.g. `https://login.microsoftonline.com/{tenant}`
//! → `https://[{region}.]mtlsauth.microsoft.com/{tenant}/oauth2/v2.0/token`;
//! [`regional_token_endpoint`] gives the regional endpoint for Bearer requests, and
//! [`is_valid_region`] the region syntax both accept. They are pure functions, usable by any
//! OAuth client; the transform fails with an [`EndpointError`] (a configuration error, never
//! worth retrying), not with a transport [`Error`]. They follow MSAL.NET, but are stricter on
//! purpose:
//!
//! * B2C, ADFS and CIAM authorities are refused ([`EndpointError::UnsupportedAuthorityType`])
//!   instead of sending the certificate to an endpoint that cannot bind a token to it;
//! * non-tenanted dSTS authorities are refused ([`EndpointError::MissingTenantedAuthority`]), as
//!   Entra ID ones are;
//! * a non-default port of the authority is kept (MSAL.NET drops it).
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `webpki-roots` | on | the builder starts out trusting the Mozilla root program (the `webpki-roots` crate); without it, it trusts only the roots you add ([`HyperTransportBuilder::add_root_certificates_pem`], [`HyperTransportBuilder::add_root_certificate_der`]) |
//! | `pkcs12` | on | `ClientCertificate::from_pkcs12` in `msal-oauth2-core` (its `pkcs12` feature) |
//! | `oauth2` | off | `Oauth2HttpClient`: the `oauth2` crate (oauth2-rs 5.x, without its default reqwest client) sends its requests through a [`Transport`], presenting a chosen client certificate (example `oauth2_client_credentials`) |
//!
//! TLS 1.2 and 1.3 are offered by default; [`HyperTransportBuilder::min_tls_version`] and
//! [`HyperTransportBuilder::max_tls_version`] narrow that ([`TlsVersion`]).
//!
//! To trust only your own roots whatever features the build unifies, call
//! [`HyperTransportBuilder::webpki_roots`] with `false`. The crate has only the client side of
//! hyper (no `server` feature).
//!
//! # Examples
//!
//! The mTLS token endpoint of an authority, globally and in a region, and a transport:
//!
//! ```
//! use std::time::Duration;
//!
//! use mtls_transport::{mtls_token_endpoint, HyperTransport};
//! use oauth2_core::Authority;
//!
//! let authority = Authority::parse("https://login.microsoftonline.com/contoso.onmicrosoft.com")?;
//! assert_eq!(
//!     mtls_token_endpoint(&authority, None)?.as_str(),
//!     "https://mtlsauth.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
//! );
//! assert_eq!(
//!     mtls_token_endpoint(&authority, Some("westus3"))?.as_str(),
//!     "https://westus3.mtlsauth.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
//! );
//!
//! # #[cfg(feature = "webpki-roots")] {
//! let transport = HyperTransport::builder()
//!     .connect_timeout(Duration::from_secs(5))
//!     .request_timeout(Duration::from_secs(10))
//!     .build()?; // trusts the Mozilla roots (the `webpki-roots` feature)
//! assert_eq!(transport.pooled_identities(), 0, "identity pools are built on first use");
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Sending a token request that presents a client certificate (mTLS):
//!
//! ```no_run
//! use mtls_transport::{HttpRequest, HyperTransport, Transport};
//!
//! # async fn run(cert: oauth2_core::ClientCertificate) -> Result<(), mtls_transport::Error> {
//! let transport = HyperTransport::builder()
//!     .request_timeout(std::time::Duration::from_secs(10))
//!     .build()?;
//! let url = mtls_transport::url::Url::parse(
//!     "https://mtlsauth.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
//! )
//! .expect("valid URL");
//! let request = HttpRequest::post_form(url, "grant_type=client_credentials".to_owned());
//! let response = transport.send(request, Some(&cert)).await?;
//! println!("{}", response.status);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

// The README (the crates.io page) is not the front page; its examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod endpoint;
mod error;
mod hyper_transport;
mod message;
#[cfg(feature = "oauth2")]
mod oauth2_adapter;
mod transport;

pub use endpoint::{is_valid_region, mtls_token_endpoint, regional_token_endpoint, EndpointError};
pub use error::{BoxError, Error, TimeoutPhase};
pub use hyper_transport::{HyperTransport, HyperTransportBuilder, Proxy, TlsVersion};
pub use message::{HttpRequest, HttpResponse};
#[cfg(feature = "oauth2")]
pub use oauth2_adapter::Oauth2HttpClient;
pub use transport::Transport;

/// The `http` crate, whose `Method`, `HeaderMap`, `HeaderName`, `HeaderValue` and `StatusCode`
/// make up [`HttpRequest`] and [`HttpResponse`]; re-exported so you need not depend on a
/// matching version.
pub use http;

/// The `url` crate, whose `Url` is [`HttpRequest::url`] and the endpoint transform's result;
/// re-exported so you need not depend on a matching version.
pub use url;

/// The `oauth2` crate (oauth2-rs 5.x) that [`Oauth2HttpClient`] plugs into; re-exported so you
/// need not depend on a matching version.
#[cfg(feature = "oauth2")]
pub use oauth2;

/// The `bytes` crate, whose `Bytes` holds request and response bodies; re-exported so a custom
/// [`Transport`] need not depend on a matching version.
pub use bytes;
