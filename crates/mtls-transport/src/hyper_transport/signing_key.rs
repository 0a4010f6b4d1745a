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
            SigningAlgorithm::Es256 | SigningAlgorithm::Es384 => ecdsa_der(&signature),
            _ => signature,
        })
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// The DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` of a fixed-size `r || s`.
fn ecdsa_der(fixed: &[u8]) -> Vec<u8> {
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let (r, s) = (der_integer(r), der_integer(s));
    let mut out = vec![0x30];
    push_len(&mut out, r.len() + s.len());
    out.extend_from_slice(&r);
    out.extend_from_slice(&s);
    out
}

/// A DER INTEGER of the unsigned big-endian `bytes`: leading zeros dropped, one zero added
/// when the top bit is set (so that it stays positive).
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let digits = match &bytes[skip..] {
        [] => &[0u8][..],
        d => d,
    };
    let pad = digits[0] & 0x80 != 0;
    let mut out = vec![0x02];
    push_len(&mut out, digits.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

/// A DER length (short form below 128, long form with one byte above; an ECDSA signature on
/// P-256 or P-384 is never longer than 255 bytes).
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push(len as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_are_minimal_and_positive() {
        assert_eq!(der_integer(&[0, 0, 0x7f]), [0x02, 1, 0x7f]);
        assert_eq!(der_integer(&[0, 0x80]), [0x02, 2, 0, 0x80]);
        assert_eq!(der_integer(&[0, 0]), [0x02, 1, 0]);
    }

    #[test]
    fn ecdsa_der_wraps_both_halves() {
        let mut fixed = vec![0x01; 32];
        fixed.extend_from_slice(&[0xff; 32]);
        let der = ecdsa_der(&fixed);
        assert_eq!(&der[..4], &[0x30, 32 + 2 + 33 + 2, 0x02, 32]);
        assert_eq!(der.len(), 2 + 34 + 35);
        assert_eq!(&der[36..39], &[0x02, 33, 0x00]);
        // P-384: 2 × (2 + 49) = 102 bytes of contents still use the short form
        let der = ecdsa_der(&[0xff; 96]);
        assert_eq!(&der[..2], &[0x30, 102]);
    }
}
