//! The private key: its encodings, and the `ring` key pair that signs with it.

use ring::error::KeyRejected;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use zeroize::Zeroizing;

use super::der::der_wrap;
use super::{key_der, ClientCertificate, KeyAlgorithm};
use crate::Error;

/// The private key as loaded, in its original encoding.
pub(super) struct LoadedKey {
    pub(super) der: Zeroizing<Vec<u8>>,
    pub(super) format: KeyFormat,
}

/// How a private key is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyFormat {
    /// `PrivateKeyInfo` (PEM `PRIVATE KEY`, and every PKCS#12 key).
    Pkcs8,
    /// `RSAPrivateKey` (PEM `RSA PRIVATE KEY`).
    Pkcs1,
    /// `ECPrivateKey` (PEM `EC PRIVATE KEY`).
    Sec1,
}

impl KeyFormat {
    /// The format's name in messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            KeyFormat::Pkcs8 => "PKCS#8",
            KeyFormat::Pkcs1 => "PKCS#1",
            KeyFormat::Sec1 => "SEC1",
        }
    }
}

/// The `ring` key pair used for signing.
pub(super) enum Signer {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
}

impl Signer {
    pub(super) fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Signer::Rsa(_) => KeyAlgorithm::Rsa,
            Signer::EcdsaP256(_) => KeyAlgorithm::EcdsaP256,
            Signer::EcdsaP384(_) => KeyAlgorithm::EcdsaP384,
        }
    }

    pub(super) fn public_key_bytes(&self) -> &[u8] {
        match self {
            Signer::Rsa(k) => k.public_key().as_ref(),
            Signer::EcdsaP256(k) | Signer::EcdsaP384(k) => k.public_key().as_ref(),
        }
    }
}

impl ClientCertificate {
    /// The key pair's algorithm.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.inner.signer.algorithm()
    }

    /// The public key, as the leaf certificate's `subjectPublicKey` holds it (see
    /// [`KeySigner::public_key`](crate::KeySigner::public_key)).
    pub fn public_key(&self) -> &[u8] {
        self.inner.signer.public_key()
    }

    /// Whether the private key is in this process's memory (loaded from PEM or PKCS#12), so
    /// that [`ClientCertificate::private_key_der`] can copy it; `false` behind an external
    /// [`KeySigner`](crate::KeySigner).
    pub fn has_private_key_der(&self) -> bool {
        self.inner.key.is_some()
    }

    /// A **copy** of the private key DER (in its original PKCS#8, PKCS#1 or SEC1 form), for
    /// `rustls` client authentication (`with_client_auth_cert`).
    ///
    /// The copy is not zeroized when dropped (rustls-pki-types does not zeroize on drop);
    /// call [`zeroize::Zeroize::zeroize`] on it or wrap it in [`zeroize::Zeroizing`] if it
    /// outlives its use. Ask for it once per TLS configuration, not per request.
    ///
    /// Errors: [`Error::KeyNotExportable`] for a certificate made with
    /// [`ClientCertificate::from_signer`]: that key never enters this process, so there are no
    /// bytes to copy; sign through [`ClientCertificate::sign`] (mtls-transport does so for TLS).
    pub fn private_key_der(&self) -> Result<PrivateKeyDer<'static>, Error> {
        let key = self.inner.key.as_ref().ok_or(Error::KeyNotExportable)?;
        let der = key.der.to_vec();
        Ok(match key.format {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        })
    }
}

/// The `ring` key pair for `key`.
///
/// The algorithm is read from the key's DER first ([`key_der::key_algorithm`]), which reports
/// unsupported keys; whatever `ring` then rejects is a malformed key or one whose parts do not
/// belong together: [`Error::InvalidPrivateKey`], with `ring`'s error as its source.
pub(super) fn make_signer(key: &LoadedKey) -> Result<Signer, Error> {
    let algorithm = key_der::key_algorithm(&key.der, key.format)?;
    let rng = SystemRandom::new();
    let signer = match (algorithm, key.format) {
        (KeyAlgorithm::Rsa, KeyFormat::Pkcs1) => RsaKeyPair::from_der(&key.der).map(Signer::Rsa),
        (KeyAlgorithm::Rsa, _) => RsaKeyPair::from_pkcs8(&key.der).map(Signer::Rsa),
        (KeyAlgorithm::EcdsaP256, _) => ecdsa_key_pair(key, Curve::P256, &rng),
        (KeyAlgorithm::EcdsaP384, _) => ecdsa_key_pair(key, Curve::P384, &rng),
    };
    signer.map_err(|e| {
        Error::invalid_private_key(format!(
            "the {} {} key is malformed or its parts do not belong together",
            key.format.name(),
            algorithm.name()
        ))
        .with_source(e)
    })
}

/// The NIST curves `ring` signs on.
#[derive(Clone, Copy)]
enum Curve {
    P256,
    P384,
}

/// An ECDSA key pair on `curve` from a PKCS#8 key, or from a SEC1 key wrapped into PKCS#8.
fn ecdsa_key_pair(
    key: &LoadedKey,
    curve: Curve,
    rng: &SystemRandom,
) -> Result<Signer, KeyRejected> {
    let (algorithm, prefix, signer): (_, _, fn(EcdsaKeyPair) -> Signer) = match curve {
        Curve::P256 => (
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            PKCS8_PREFIX_ECDSA_P256,
            Signer::EcdsaP256,
        ),
        Curve::P384 => (
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            PKCS8_PREFIX_ECDSA_P384,
            Signer::EcdsaP384,
        ),
    };
    let key_pair = match key.format {
        KeyFormat::Sec1 => {
            EcdsaKeyPair::from_pkcs8(algorithm, &sec1_to_pkcs8(prefix, &key.der), rng)
        }
        KeyFormat::Pkcs8 | KeyFormat::Pkcs1 => EcdsaKeyPair::from_pkcs8(algorithm, &key.der, rng),
    };
    key_pair.map(signer)
}

// PKCS#8 `PrivateKeyInfo` prefixes (version 0 + AlgorithmIdentifier), as in rustls' ring
// provider: a SEC1 `ECPrivateKey` is wrapped in an OCTET STRING after them.
const PKCS8_PREFIX_ECDSA_P256: &[u8] = b"\x02\x01\x00\
      \x30\x13\
      \x06\x07\x2a\x86\x48\xce\x3d\x02\x01\
      \x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07";
const PKCS8_PREFIX_ECDSA_P384: &[u8] = b"\x02\x01\x00\
      \x30\x10\
      \x06\x07\x2a\x86\x48\xce\x3d\x02\x01\
      \x06\x05\x2b\x81\x04\x00\x22";

fn sec1_to_pkcs8(prefix: &[u8], sec1: &[u8]) -> Zeroizing<Vec<u8>> {
    let octet_string = der_wrap(0x04, &[sec1]);
    der_wrap(0x30, &[prefix, &octet_string])
}
