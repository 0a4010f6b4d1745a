//! Loading a certificate chain and its private key from a PKCS#12 (`.pfx` / `.p12`) file.

use std::time::SystemTime;

use rustls_pki_types::CertificateDer;
use zeroize::Zeroizing;

use super::key::{KeyFormat, LoadedKey};
use super::ClientCertificate;
use crate::Error;

impl ClientCertificate {
    /// Loads a PKCS#12 (`.pfx` / `.p12`) file: the private key, its certificate and any other
    /// certificates in the file (the chain).
    ///
    /// Both modern (PBES2 / AES-256) and legacy (3DES / RC2, SHA-1 MAC) files are supported.
    /// A wrong password gives [`Error::Pkcs12WrongPassword`].
    pub fn from_pkcs12(pfx_der: &[u8], password: &str) -> Result<Self, Error> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(pfx_der, password)
            .map_err(map_pkcs12_error)?;
        let certs: Vec<CertificateDer<'static>> = archive
            .certs
            .iter()
            .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()))
            .collect();
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        // Prefer the key bag that a certificate bag points to (same localKeyId).
        let bag = archive
            .keys
            .iter()
            .find(|k| {
                k.local_key_id.as_ref().is_some_and(|id| {
                    archive
                        .certs
                        .iter()
                        .any(|c| c.local_key_id.as_deref() == Some(id.0.as_slice()))
                })
            })
            .or_else(|| archive.keys.first())
            .ok_or(Error::NoPrivateKey)?;
        let key = LoadedKey {
            der: Zeroizing::new(bag.key.as_der().to_vec()),
            format: KeyFormat::Pkcs8,
        };
        Self::build(certs, key, SystemTime::now())
    }
}

/// The error for a PKCS#12 file `p12-keystore` could not open, decided by the parser's error
/// variant; the parser's error is kept as the source.
fn map_pkcs12_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as P;
    let reason = match &e {
        // The MAC is keyed with the password; without a MAC, a wrong password shows up as bad
        // padding after decryption.
        P::MacError(_) | P::UnpadError => return Error::Pkcs12WrongPassword,
        P::UnsupportedEncryptionScheme | P::UnsupportedMacAlgorithm => {
            "it uses an unsupported encryption or MAC algorithm"
        }
        P::DerError(_) | P::InvalidVersion | P::UnsupportedContentType => {
            "the data is not a PKCS#12 (PFX) structure"
        }
        _ => "its contents cannot be read",
    };
    Error::pkcs12_invalid(reason).with_source(e)
}
