//! Signing with the certificate's private key, wherever it lives.

use super::{ClientCertificate, KeyAlgorithm, SigningAlgorithm};
use crate::Error;

impl ClientCertificate {
    /// Signs `message` with the private key.
    ///
    /// `Rs256` and `Ps256` need an RSA key, `Es256` a P-256 key and `Es384` a P-384 key; ECDSA
    /// signatures are returned in the fixed-size JWS form (`r || s`). A key behind an external
    /// [`KeySigner`](crate::KeySigner) is asked only for an algorithm that fits it.
    pub fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let key = self.key_algorithm();
        if !fits(key, alg) {
            return Err(algorithm_mismatch(key, alg));
        }
        self.inner.signer.sign(alg, message)
    }
}

/// Whether `alg` signs with a key of type `key`.
fn fits(key: KeyAlgorithm, alg: SigningAlgorithm) -> bool {
    matches!(
        (key, alg),
        (
            KeyAlgorithm::Rsa,
            SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256
        ) | (KeyAlgorithm::EcdsaP256, SigningAlgorithm::Es256)
            | (KeyAlgorithm::EcdsaP384, SigningAlgorithm::Es384)
    )
}

/// `alg` was asked of a `key` key it does not fit.
pub(super) fn algorithm_mismatch(key: KeyAlgorithm, alg: SigningAlgorithm) -> Error {
    Error::signing(format!(
        "{alg} cannot be used with this certificate's {key:?} key; use {}",
        match key {
            KeyAlgorithm::Rsa => "RS256 or PS256",
            KeyAlgorithm::EcdsaP256 => "ES256",
            KeyAlgorithm::EcdsaP384 => "ES384",
        }
    ))
}
