//! A client certificate's key as a rustls [`SigningKey`], for keys that are an operation (an
//! external [`KeySigner`](oauth2_core::KeySigner), e.g. a PKCS#11 token) rather than bytes.
//!
//! rustls asks the key for a signature scheme the server offered, then for one signature per
//! handshake. The signature goes through [`ClientCertificate::sign`], which may block for the
//! time a hardware token takes to sign (once per new connection; pooled connections reuse the
//! handshake).
//!
//! Schemes: RSA keys prefer `rsa_pss_rsae_sha256` (the only RSA client scheme TLS 1.3 allows;
//! the same signature as JWS PS256: MGF1-SHA-256, salt of 32 bytes) and fall back to
//! `rsa_pkcs1_sha256` under TLS 1.2; ECDSA keys use `ecdsa_secp256r1_sha256` or
//! `ecdsa_secp384r1_sha384`, whose TLS form is the DER `ECDSA-Sig-Value`, not JWS's `r || s`.

use std::sync::Arc;

use oauth2_core::{ClientCertificate, KeyAlgorithm, SigningAlgorithm};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

/// The certified key rustls presents for `identity`: its TLS chain and a key that signs
/// through the certificate.
pub(super) fn certified_key(identity: &ClientCertificate) -> Arc<CertifiedKey> {
    let key = Arc::new(CertificateKey(identity.clone()));
    Arc::new(CertifiedKey::new(identity.tls_chain(), key))
}

/// The certificate's key, signing through [`ClientCertificate::sign`].
#[derive(Debug)]
struct CertificateKey(ClientCertificate);

impl SigningKey for CertificateKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let preferred: &[(SignatureScheme, SigningAlgorithm)] = match self.0.key_algorithm() {
            KeyAlgorithm::Rsa => &[
                (SignatureScheme::RSA_PSS_SHA256, SigningAlgorithm::Ps256),
                (SignatureScheme::RSA_PKCS1_SHA256, SigningAlgorithm::Rs256),
            ],
            KeyAlgorithm::EcdsaP256 => &[(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SigningAlgorithm::Es256,
            )],
            KeyAlgorithm::EcdsaP384 => &[(
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SigningAlgorithm::Es384,
            )],
            _ => &[],
        };
        let (scheme, algorithm) = preferred.iter().find(|(s, _)| offered.contains(s))?;
        Some(Box::new(CertificateSigner {
            cert: self.0.clone(),
            scheme: *scheme,
            algorithm: *algorithm,
        }))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.0.key_algorithm() {
            KeyAlgorithm::Rsa => SignatureAlgorithm::RSA,
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => SignatureAlgorithm::ECDSA,
            _ => SignatureAlgorithm::Unknown(0),
        }
    }
}

/// One handshake's signer: the scheme chosen and the JWS algorithm that computes it.
#[derive(Debug)]
struct CertificateSigner {
    cert: ClientCertificate,
    scheme: SignatureScheme,
    algorithm: SigningAlgorithm,
}

impl Signer for CertificateSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let signature = self.cert.sign(self.algorithm, message).map_err(|e| {
            rustls::Error::General(format!(
                "the client certificate's key could not sign the handshake ({}): {e}",
                e.code()
            ))
        })?;
        Ok(match self.algorithm {
            SigningAlgorithm::Es256 | SigningAlgorithm::Es384 => {
                oauth2_core::ecdsa_signature_der(&signature)
            }
            _ => signature,
        })
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}
