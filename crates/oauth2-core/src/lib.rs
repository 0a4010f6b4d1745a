//! OAuth 2.0 / Microsoft Entra ID protocol building blocks for a confidential client.
//!
//! This crate does **no I/O**: no files, no network, no async runtime. It takes bytes and
//! returns values:
//!
//! * [`ClientCertificate`]: load a certificate chain and private key from PEM or PKCS#12
//!   bytes, validate them, compute thumbprints (`x5t`, `x5t#S256`) and sign.
//! * [`sign_client_assertion`] / [`AssertionCache`]: the RFC 7523 client-assertion JWT that
//!   MSAL sends for certificate credentials.
//! * [`ClientCredentialsRequest`], [`TokenResponse`], [`ErrorResponse`], [`Scopes`]: the
//!   client-credentials grant on the wire.
//! * [`GenericTokenRequest`], [`AuthorizationServerMetadata`], [`TokenResponse::from_http`],
//!   [`TokenBinding`]: the same grant against any OAuth 2.0 server (optional `scope`, RFC 8707
//!   `resource`, RFC 8414 metadata with RFC 8705 `mtls_endpoint_aliases`, typed RFC 6749 §5.2
//!   errors, the token's `cnf.x5t#S256`).
//! * [`Authority`]: authority URL parsing and endpoint derivation (AAD, ADFS, B2C, CIAM, dSTS).
//! * [`SecretString`]: secrets that are redacted in `Debug` and zeroized on drop.
//! * [`TokenType`]: Bearer or Entra ID's certificate-bound `mtls_pop`.
//! * [`UnixTime`] and [`Clock`]: bounded, saturating time, and an injectable clock.
//!
//! Errors are one enum, [`Error`], with a stable [`Error::code`] per variant, a message that
//! says what to do, and, where a lower library's error caused it, that error as its `source()`.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `certificates` | on | [`ClientCertificate`], [`KeyAlgorithm`], [`SigningAlgorithm`] and the client assertions ([`sign_client_assertion`], [`AssertionCache`], [`AssertionOptions`], ...); brings in ring, rustls-pki-types, x509-parser and uuid |
//! | `pkcs12` | on | [`ClientCertificate::from_pkcs12`] (.pfx files); implies `certificates`, brings in p12-keystore |
//!
//! With `default-features = false` the crate is the protocol types alone (scopes, secrets, token
//! types, time, authorities, requests and responses): no ring, no X.509 parser. `token-cache`
//! depends on it that way.
//!
//! # Example
//!
//! The wire side of an mTLS proof-of-possession token request: where it goes, what it sends,
//! and what comes back.
//!
//! ```
//! use oauth2_core::{
//!     Authority, AuthorityKind, ClientAuthentication, ClientCredentialsRequest, Scopes,
//!     TokenResponse, TokenType,
//! };
//!
//! # fn main() -> Result<(), oauth2_core::Error> {
//! let authority = Authority::parse("https://login.microsoftonline.com/contoso.onmicrosoft.com")?;
//! assert_eq!(authority.kind(), AuthorityKind::Aad);
//! assert_eq!(
//!     authority.token_endpoint().as_str(),
//!     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
//! );
//!
//! // Scopes are trimmed, deduplicated and sorted.
//! let graph = "https://graph.microsoft.com/.default";
//! let scopes = Scopes::new([" https://graph.microsoft.com/.default ", graph])?;
//! assert_eq!(scopes.joined_str(), graph);
//!
//! // The client authenticates with its TLS client certificate: no secret in the body.
//! let request = ClientCredentialsRequest {
//!     client_id: "11111111-2222-3333-4444-555555555555".to_owned(),
//!     scopes,
//!     authentication: ClientAuthentication::TlsClientCertificate,
//!     token_type: TokenType::MtlsPop,
//!     extra: Vec::new(),
//! };
//! assert_eq!(
//!     request.to_form_body(),
//!     "client_id=11111111-2222-3333-4444-555555555555&grant_type=client_credentials\
//!      &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1&token_type=mtls_pop"
//! );
//!
//! // Entra answers with a certificate-bound token; AAD v1 style numeric strings are accepted.
//! let body = br#"{"access_token":"eyJ0eXAi...","token_type":"mtls_pop","expires_in":"3599"}"#;
//! let response = TokenResponse::parse(body)?;
//! let token_type = response.token_type.as_deref().and_then(TokenType::parse);
//! assert_eq!(token_type, Some(TokenType::MtlsPop));
//! assert_eq!(response.expires_in, 3599);
//! assert_eq!(response.access_token.expose_secret(), "eyJ0eXAi...");
//! # Ok(())
//! # }
//! ```
// Without a feature its items do not exist: their names above link to the Features section.
#![cfg_attr(
    not(feature = "certificates"),
    doc = "[`ClientCertificate`]: #features
[`KeyAlgorithm`]: #features
[`SigningAlgorithm`]: #features
[`sign_client_assertion`]: #features
[`AssertionCache`]: #features
[`AssertionOptions`]: #features"
)]
#![cfg_attr(
    not(feature = "pkcs12"),
    doc = "[`ClientCertificate::from_pkcs12`]: #features"
)]
#![forbid(unsafe_code)]

// The README (the crates.io page) is not the front page; its examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "certificates")]
mod assertion;
mod authority;
#[cfg(feature = "certificates")]
mod certificate;
mod error;
mod error_response;
mod json_string;
mod metadata;
mod request;
mod scopes;
mod secret;
mod time;
mod token_binding;
mod token_body;
mod token_response;
mod token_type;

#[cfg(feature = "certificates")]
pub use assertion::{
    sign_client_assertion, AssertionCache, AssertionFlavor, AssertionOptions, ClientAssertion,
};
pub use authority::{Authority, AuthorityKind};
#[cfg(feature = "certificates")]
pub use certificate::{
    ecdsa_signature_der, rsa_public_key_der, subject_public_key_info_der, ClientCertificate,
    KeyAlgorithm, KeySigner, SigningAlgorithm,
};
pub use error::Error;
pub use error_response::ErrorResponse;
pub use metadata::AuthorizationServerMetadata;
pub use request::{
    ClientAuthentication, ClientCredentialsRequest, GenericTokenRequest, JWT_BEARER_ASSERTION_TYPE,
    JWT_POP_ASSERTION_TYPE,
};
pub use scopes::Scopes;
pub use secret::SecretString;
pub use time::{Clock, SystemClock, UnixTime};
pub use token_binding::TokenBinding;
pub use token_response::TokenResponse;
pub use token_type::TokenType;

// Test helpers: public for this crate's integration tests, hidden from the documentation and
// not part of the supported API.
#[doc(hidden)]
#[cfg(feature = "certificates")]
pub use assertion::decode_jwt_unverified;
#[doc(hidden)]
pub use authority::WELL_KNOWN_HOSTS;
