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
//! * [`Authority`]: authority URL parsing and endpoint derivation (AAD, ADFS, B2C, CIAM, dSTS).
//! * [`SecretString`]: secrets that are redacted in `Debug` and zeroized on drop.
//!
//! Errors are one enum, [`Error`], with a stable [`Error::code`] per variant.
#![forbid(unsafe_code)]

mod assertion;
mod authority;
mod certificate;
mod error;
mod error_response;
mod request;
mod scopes;
mod secret;
mod time;
mod token_response;
mod token_type;

pub use assertion::{
    sign_client_assertion, AssertionCache, AssertionFlavor, AssertionOptions, ClientAssertion,
};
pub use authority::{Authority, AuthorityKind};
pub use certificate::{ClientCertificate, KeyAlgorithm, SigningAlgorithm};
pub use error::Error;
pub use error_response::ErrorResponse;
pub use request::{
    ClientAuthentication, ClientCredentialsRequest, JWT_BEARER_ASSERTION_TYPE,
    JWT_POP_ASSERTION_TYPE,
};
pub use scopes::Scopes;
pub use secret::SecretString;
pub use time::{Clock, SystemClock, UnixTime};
pub use token_response::TokenResponse;
pub use token_type::TokenType;

// Test helpers: public for this crate's integration tests, hidden from the documentation and
// not part of the supported API.
#[doc(hidden)]
pub use assertion::decode_jwt_unverified;
#[doc(hidden)]
pub use authority::WELL_KNOWN_HOSTS;
