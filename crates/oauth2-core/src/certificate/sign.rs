//! Signing with the certificate's private key.

use ring::rand::SystemRandom;
use ring::signature;

use super::key::Signer;
use super::{ClientCertificate, KeyAlgorithm, SigningAlgorithm};
use crate::Error;

impl ClientCertificate {
    /// Signs `message` with the private key.
    ///
    /// `Rs256` and `Ps256` need an RSA key, `Es256` a P-256 key and `Es384` a P-384 key; ECDSA
    /// signatures are returned in the fixed-size JWS form (`r || s`).
    pub fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        match (&self.inner.signer, alg) {
            (Signer::Rsa(key), SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    SigningAlgorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                    _ => &signature::RSA_PSS_SHA256,
                };
                let mut sig = vec![0u8; key.public().modulus_len()];
                key.sign(padding, &rng, message, &mut sig)
                    .map_err(|e| signature_failed(alg, "RSA").with_source(e))?;
                Ok(sig)
            }
            (Signer::EcdsaP256(key), SigningAlgorithm::Es256)
            | (Signer::EcdsaP384(key), SigningAlgorithm::Es384) => key
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|e| signature_failed(alg, "ECDSA").with_source(e)),
            (signer, alg) => Err(Error::signing(format!(
                "{alg} cannot be used with this certificate's {:?} key; use {}",
                signer.algorithm(),
                match signer.algorithm() {
                    KeyAlgorithm::Rsa => "RS256 or PS256",
                    KeyAlgorithm::EcdsaP256 => "ES256",
                    KeyAlgorithm::EcdsaP384 => "ES384",
                }
            ))),
        }
    }
}

/// `ring` failed to sign: it could not draw random numbers (RSA blinding, the ECDSA nonce).
fn signature_failed(alg: SigningAlgorithm, key: &str) -> Error {
    Error::signing(format!(
        "{alg} signing with the {key} key failed; check that the operating system's random \
         number generator is available"
    ))
}
