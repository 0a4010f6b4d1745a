//! The key and signature algorithms a client certificate supports.

use std::fmt;

use x509_parser::asn1_rs::Oid;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::x509::AlgorithmIdentifier;

/// The type of a certificate's key pair.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA, 2048 to 8192 bits.
    Rsa,
    /// ECDSA on NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
}

/// A JWS signature algorithm, named by its JWS `alg` header value as registered by
/// [RFC 7518](https://www.rfc-editor.org/rfc/rfc7518).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    Ps256,
    /// ECDSA P-256 with SHA-256; the signature is the fixed-size `r || s` (64 bytes).
    Es256,
    /// ECDSA P-384 with SHA-384; the signature is the fixed-size `r || s` (96 bytes).
    Es384,
}

impl SigningAlgorithm {
    /// The JWS `alg` name: `RS256`, `PS256`, `ES256` or `ES384`.
    pub fn jws_name(&self) -> &'static str {
        match self {
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Ps256 => "PS256",
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::Es384 => "ES384",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jws_name())
    }
}

impl KeyAlgorithm {
    /// The algorithm's name in messages: `RSA`, `ECDSA P-256` or `ECDSA P-384`.
    pub(super) fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
        }
    }

    /// The algorithm an X.509 / PKCS#8 `AlgorithmIdentifier` names (`rsaEncryption`, or
    /// `id-ecPublicKey` with the P-256 or P-384 named curve); `None` for any other.
    pub(super) fn from_identifier(id: &AlgorithmIdentifier<'_>) -> Option<Self> {
        if id.algorithm == OID_PKCS1_RSAENCRYPTION {
            Some(KeyAlgorithm::Rsa)
        } else if id.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            Self::from_curve(&id.parameters.as_ref()?.as_oid().ok()?)
        } else {
            None
        }
    }

    /// The ECDSA algorithm on the named curve `curve`: P-256 or P-384, `None` for others.
    pub(super) fn from_curve(curve: &Oid<'_>) -> Option<Self> {
        if *curve == OID_EC_P256 {
            Some(KeyAlgorithm::EcdsaP256)
        } else if *curve == OID_NIST_EC_P384 {
            Some(KeyAlgorithm::EcdsaP384)
        } else {
            None
        }
    }
}
