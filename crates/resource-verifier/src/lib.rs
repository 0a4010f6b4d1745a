//! The resource side of certificate-bound access tokens (RFC 8705 mutual-TLS client
//! authentication and certificate-bound tokens, Entra's `mtls_pop` tokens).
//!
//! A resource server that accepts a certificate-bound token checks, besides the usual JWT
//! checks (signature with a key from the issuer's JWKS, `iss`, `aud`, `exp`/`nbf`), that the
//! token's `cnf.x5t#S256` is the SHA-256 thumbprint of the client certificate presented **on the
//! same TLS connection** (RFC 8705 §3). [`Verifier`] does all of it; [`VerifierLayer`] is its
//! tower layer for axum/hyper servers.
//!
//! # Wiring a server
//! 1. The TLS server asks for a client certificate: [`client_certificate_verifier`] (any
//!    certificate, the binding decides) or rustls's `WebPkiClientVerifier` (your CA).
//! 2. The accept loop reads the connection's certificate ([`PeerCertificate::from_tls_stream`])
//!    and wraps the app in [`AddPeerCertificate`], which puts it on each request.
//! 3. The app has [`VerifierLayer`]; handlers take the [`VerifiedToken`] extension.
//!
//! Requests without a valid bound token are answered by the layer with 401 and RFC 6750
//! `WWW-Authenticate` challenges (`error="invalid_token"`, `error_description`), 400 for a
//! malformed `Authorization` header, 503 when the issuer's keys cannot be fetched
//! ([`Reason`] has the stable codes).
//!
//! # Schemes
//! Entra sends its bound tokens as `Authorization: mtls_pop <token>`; that is the default.
//! RFC 8705 servers take bound tokens as `Bearer`: [`VerifierBuilder::accept_bearer_with_cnf`].
//! Unbound tokens are always refused.
//!
//! # Keys
//! [`HttpsJwks`] fetches the issuer's JWKS over HTTPS (rustls with ring). Keys are cached
//! ([`VerifierBuilder::max_key_age`]); a token with an unknown `kid` triggers one refresh, at
//! most once per [`VerifierBuilder::min_refresh_interval`]. RS256, PS256, ES256 and ES384 are
//! verified with ring.
#![forbid(unsafe_code)]

mod authorization;
mod claims;
mod fetch;
mod jwk;
mod jws;
mod keys;
mod layer;
mod peer;
mod rejection;
mod scheme;
mod verifier;

pub use claims::VerifiedToken;
pub use fetch::{HttpsJwks, HttpsJwksBuilder, JwksSource, StaticJwks};
pub use layer::{VerifierLayer, VerifierService};
pub use peer::{client_certificate_verifier, AddPeerCertificate, PeerCertificate};
pub use rejection::{Reason, Rejection};
pub use scheme::Scheme;
pub use verifier::{BuildError, Verifier, VerifierBuilder};
