//! The signing-key abstraction: a key is an operation, not bytes.
//!
//! [`KeySigner`] is what a [`ClientCertificate`](super::ClientCertificate) signs with. Keys
//! loaded from PEM or PKCS#12 implement it with `ring` (the private [`Signer`]); a key kept in
//! hardware (a PKCS#11 token, an HSM) implements it outside this crate and is attached with
//! [`ClientCertificate::from_signer`](super::ClientCertificate::from_signer).

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature;

use super::key::Signer;
use super::{KeyAlgorithm, SigningAlgorithm};
use crate::Error;

/// A private key that signs, wherever it lives.
///
/// The key itself is never handed out: the certificate asks for signatures, for its client
/// assertions (JWS) and for the TLS client handshake (mtls-transport turns an external signer
/// into a rustls `SigningKey`). Implementations hold a handle, not key bytes.
///
/// `sign` may block (a hardware token answers over USB, PCIe or a socket): it is called once
/// per assertion and once per TLS handshake, never per request on a pooled connection.
///
/// # Example
///
/// A signer that delegates to an in-memory certificate (a hardware signer has the same shape):
///
/// ```
/// use std::sync::Arc;
/// use oauth2_core::{ClientCertificate, Error, KeyAlgorithm, KeySigner, SigningAlgorithm};
///
/// #[derive(Debug)]
/// struct Delegate(ClientCertificate, Vec<u8>);
///
/// impl KeySigner for Delegate {
///     fn algorithm(&self) -> KeyAlgorithm {
///         self.0.key_algorithm()
///     }
///     fn public_key(&self) -> &[u8] {
///         &self.1
///     }
///     fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
///         self.0.sign(alg, message)
///     }
/// }
/// # fn main() -> Result<(), Error> {
/// # let pem = include_str!("../../tests/fixtures/leaf-combined.pem");
/// let in_memory = ClientCertificate::from_pem(pem.as_bytes())?;
/// let public_key = in_memory.public_key().to_vec();
/// let chain = in_memory.chain_der().to_vec();
/// let cert = ClientCertificate::from_signer(chain, Arc::new(Delegate(in_memory, public_key)))?;
/// assert!(cert.private_key_der().is_err()); // no key bytes behind an external signer
/// let signature = cert.sign(SigningAlgorithm::Rs256, b"message")?;
/// assert_eq!(signature.len(), 256);
/// # Ok(())
/// # }
/// ```
pub trait KeySigner: Send + Sync + fmt::Debug {
    /// The key pair's algorithm.
    fn algorithm(&self) -> KeyAlgorithm;

    /// The public key, as the certificate's `subjectPublicKey` BIT STRING holds it: the DER
    /// `RSAPublicKey` (modulus, exponent) for RSA, the uncompressed point (`04 || x || y`) for
    /// ECDSA. It must equal the leaf certificate's.
    fn public_key(&self) -> &[u8];

    /// Signs `message` (the whole message: the signer hashes it) with `alg`.
    ///
    /// Only the algorithms that fit [`KeySigner::algorithm`] are asked for: `Rs256` or `Ps256`
    /// (salt length 32, MGF1-SHA-256) for RSA, `Es256` for P-256, `Es384` for P-384. ECDSA
    /// signatures are returned as fixed-size `r || s`, as JWS wants them.
    ///
    /// Errors: [`Error::external_signer`] for a signer outside this crate, saying whether a
    /// retry can help (a token that was busy or briefly removed) or not (a wrong PIN).
    fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error>;
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // no key material, only what kind of key this is
        f.debug_tuple("InMemorySigner")
            .field(&self.algorithm())
            .finish()
    }
}

impl KeySigner for Signer {
    fn algorithm(&self) -> KeyAlgorithm {
        Signer::algorithm(self)
    }

    fn public_key(&self) -> &[u8] {
        self.public_key_bytes()
    }

    fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        match (self, alg) {
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
            (signer, alg) => Err(super::sign::algorithm_mismatch(signer.algorithm(), alg)),
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
