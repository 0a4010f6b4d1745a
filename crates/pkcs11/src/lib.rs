//! PKCS#11 keys for client certificates: the private key stays in its token (an HSM, a smart
//! card, SoftHSM2) and signs there, for the client assertions and for the mTLS handshake.
//!
//! A [`Pkcs11Key`] is an [`oauth2_core::KeySigner`]: attach it to its certificate with
//! [`ClientCertificate::from_signer`](oauth2_core::ClientCertificate::from_signer) and give the
//! certificate to the application as usual. Nothing in this crate reads key bytes: the key
//! object may (and should) be `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`.
//!
//! Supported keys: RSA (RS256, PS256; TLS `rsa_pss_rsae_sha256` and `rsa_pkcs1_sha256`) and
//! ECDSA P-256 / P-384 (ES256 / ES384). The PKCS#11 calls block (see [`Pkcs11Key`]).
//!
//! ```no_run
//! use oauth2_core::{ClientCertificate, SecretString};
//! use msal_pkcs11::Pkcs11Key;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = Pkcs11Key::builder("/usr/lib/softhsm/libsofthsm2.so")
//!     .token_label("msal")
//!     .key_label("app-key")
//!     .pin(SecretString::new(std::env::var("MSAL_PKCS11_PIN")?))
//!     .open()?;
//! let chain_pem = std::fs::read("app.pem")?;
//! let certificate = ClientCertificate::from_pem_with_signer(&chain_pem, key)?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod error;
mod key;
mod module;
mod public_key;
mod sign;

pub use error::Error;
pub use key::{Pkcs11Key, Pkcs11KeyBuilder};
