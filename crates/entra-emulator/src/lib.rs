//! A local Microsoft Entra ID emulator for the confidential-client flows, served over real HTTPS
//! on loopback.
//!
//! Tests point the client library at the *real* hostnames (`login.microsoftonline.com`,
//! `mtlsauth.microsoft.com`, `{region}.mtlsauth.microsoft.com`, sovereign clouds, ...) by mapping
//! them to [`Emulator::addr`] in a resolver override and trusting
//! [`Emulator::ca_certificate_pem`]. The emulator then behaves like Entra:
//!
//! * OIDC discovery (`/{tenant}/v2.0/.well-known/openid-configuration`), JWKS and instance
//!   discovery (`/common/discovery/instance`);
//! * the token endpoint for `grant_type=client_credentials` with a client secret, a certificate
//!   client assertion (registered certificate or subject-name/issuer trust) or a federated
//!   credential, with Entra-shaped errors (`AADSTSnnnn`);
//! * mTLS Proof-of-Possession on `mtlsauth.*` hosts (`token_type=mtls_pop`, RFC 8705 `cnf`);
//! * a protected resource on `mtlstb.graph.microsoft.com` that enforces the certificate binding;
//! * [`ImdsStub`], a plain-HTTP stand-in for the instance metadata service (region discovery).
//! * fault injection for client hardening tests: [`Emulator::inject_faults`] makes the next
//!   token requests fail with a [`Fault`] (429 + `Retry-After`, 500, 503, a stall, a TCP reset,
//!   a non-JSON, oversized or wrongly typed body, a wrong `token_type`, hostile lifetimes, a
//!   wrong or missing certificate binding, an opaque token).
//!
//! It shares no code with the client crates, so their bugs cannot hide each other: JWTs are
//! parsed and verified here with `ring` and `x509-parser`.
//!
//! # Error codes
//! The `AADSTS` codes follow Entra where Entra's code is known (90002, 700016, 900144, 70003,
//! 1002012, 7000215, 7000218, 700027, 700021, 700024, 700211, 700212, 700213, 50027, 5002738,
//! 500181, 50049). Generic request-shape problems the emulator rejects (duplicate or conflicting
//! credentials, `token_type=mtls_pop` on a non-mTLS host, a secret on an mTLS host, unknown
//! `client_assertion_type`) use `invalid_request` with AADSTS90023.
//!
//! # Example
//! Start an emulator on loopback with one app, read what a client needs to reach it (the CA to
//! trust, the address and the hostnames to map to it), then shut it down:
//! ```
//! use entra_emulator::{AppRegistration, Emulator};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), entra_emulator::Error> {
//!     let tenant = "aaaabbbb-0000-1111-2222-333344445555";
//!     let emulator = Emulator::builder()
//!         .tenant(tenant, &["contoso.onmicrosoft.com"])
//!         .app(AppRegistration::new("my-client-id", tenant).with_secret("s3cret"))
//!         .start()
//!         .await?;
//!
//!     // Trust this CA as an extra root ...
//!     let ca_pem = emulator.ca_certificate_pem();
//!     assert!(ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
//!     // ... and send the Entra hostnames to the emulator's loopback address.
//!     let addr = emulator.addr();
//!     assert!(addr.ip().is_loopback());
//!     assert!(emulator
//!         .resolver_entries()
//!         .contains(&("login.microsoftonline.com".to_owned(), addr)));
//!     println!(
//!         "https://login.microsoftonline.com/{tenant} is served at https://{addr} (port {})",
//!         emulator.port()
//!     );
//!
//!     emulator.shutdown().await;
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]

// The README (the crates.io page) is not the front page; its examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod certs;
mod dispatch;
mod emulator;
mod error;
mod fault;
mod fault_response;
mod hosts;
mod imds;
mod jwt;
mod log;
mod misbehavior;
pub mod pki;
mod registration;
mod request;
mod resource;
mod respond;
mod routes;
mod server;
mod state;
mod tls;

pub use emulator::{Emulator, EmulatorBuilder};
pub use error::Error;
pub use fault::Fault;
pub use imds::ImdsStub;
pub use log::LoggedRequest;
pub use misbehavior::Misbehavior;
pub use registration::AppRegistration;

/// Fuzzing entry point, not part of the supported API: feeds `input` (as a `client_assertion`
/// value) through the emulator's JWT/assertion parsing and verification, discarding the
/// result. Used by the `jwt_verifier` target in `fuzz/`; it must never panic.
#[doc(hidden)]
pub fn fuzz_parse_jwt(input: &[u8]) {
    routes::client_auth::fuzz_assertion(input);
}
