//! The private key: its encodings, and the `ring` key pair that signs with it.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use zeroize::Zeroizing;

use super::{ClientCertificate, KeyAlgorithm};
use crate::Error;

/// The private key as loaded, in its original encoding.
pub(super) struct LoadedKey {
    pub(super) der: Zeroizing<Vec<u8>>,
    pub(super) format: KeyFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyFormat {
    Pkcs8,
    Pkcs1,
    Sec1,
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

    /// A **copy** of the private key DER (in its original PKCS#8, PKCS#1 or SEC1 form), for
    /// `rustls` client authentication (`with_client_auth_cert`).
    ///
    /// The copy is not zeroized when dropped (rustls-pki-types does not zeroize on drop);
    /// call [`zeroize::Zeroize::zeroize`] on it or wrap it in [`zeroize::Zeroizing`] if it
    /// outlives its use. Ask for it once per TLS configuration, not per request.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        let der = self.inner.key.der.to_vec();
        match self.inner.key.format {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        }
    }
}

pub(super) fn make_signer(key: &LoadedKey) -> Result<Signer, Error> {
    let rng = SystemRandom::new();
    match key.format {
        KeyFormat::Pkcs1 => RsaKeyPair::from_der(&key.der)
            .map(Signer::Rsa)
            .map_err(|e| rsa_rejected(&e, "PKCS#1")),
        KeyFormat::Pkcs8 => match RsaKeyPair::from_pkcs8(&key.der) {
            Ok(k) => Ok(Signer::Rsa(k)),
            Err(e) if e.to_string() != "WrongAlgorithm" => Err(rsa_rejected(&e, "PKCS#8")),
            Err(_) => ecdsa_from_pkcs8(&key.der, &rng),
        },
        KeyFormat::Sec1 => {
            let mut last = None;
            for (prefix, curve) in [
                (PKCS8_PREFIX_ECDSA_P256, Curve::P256),
                (PKCS8_PREFIX_ECDSA_P384, Curve::P384),
            ] {
                let pkcs8 = sec1_to_pkcs8(prefix, &key.der);
                match curve.key_pair(&pkcs8, &rng) {
                    Ok(signer) => return Ok(signer),
                    Err(e) => last = Some(e),
                }
            }
            match last.map(|e| e.to_string()) {
                Some(s) if s == "WrongAlgorithm" => Err(Error::unsupported_key(
                    "the SEC1 EC key is not on the P-256 or P-384 curve",
                )),
                Some(s) => Err(Error::invalid_private_key(format!(
                    "the SEC1 EC key was rejected ({s})"
                ))),
                None => Err(Error::invalid_private_key("the SEC1 EC key was rejected")),
            }
        }
    }
}

fn rsa_rejected(e: &ring::error::KeyRejected, form: &str) -> Error {
    match e.to_string().as_str() {
        "TooSmall" | "TooLarge" => Error::unsupported_key(format!(
            "the {form} RSA key size is outside 2048..=8192 bits"
        )),
        other => Error::invalid_private_key(format!("the {form} RSA key was rejected ({other})")),
    }
}

#[derive(Clone, Copy)]
enum Curve {
    P256,
    P384,
}

impl Curve {
    fn key_pair(
        self,
        pkcs8: &[u8],
        rng: &SystemRandom,
    ) -> Result<Signer, ring::error::KeyRejected> {
        match self {
            Curve::P256 => {
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, rng)
                    .map(Signer::EcdsaP256)
            }
            Curve::P384 => {
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8, rng)
                    .map(Signer::EcdsaP384)
            }
        }
    }
}

fn ecdsa_from_pkcs8(der: &[u8], rng: &SystemRandom) -> Result<Signer, Error> {
    let mut wrong_algorithm = true;
    let mut reason = String::new();
    for curve in [Curve::P256, Curve::P384] {
        match curve.key_pair(der, rng) {
            Ok(signer) => return Ok(signer),
            Err(e) => {
                let s = e.to_string();
                if s != "WrongAlgorithm" {
                    wrong_algorithm = false;
                    reason = s;
                }
            }
        }
    }
    if wrong_algorithm {
        Err(Error::unsupported_key(
            "the PKCS#8 key is neither RSA nor ECDSA P-256/P-384 (e.g. Ed25519 or P-521)",
        ))
    } else {
        Err(Error::invalid_private_key(format!(
            "the PKCS#8 EC key was rejected ({reason})"
        )))
    }
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

fn der_wrap(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len + 6));
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_wrap_long_form() {
        let body = vec![0u8; 300];
        let w = der_wrap(0x04, &[&body]);
        assert_eq!(&w[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(w.len(), 304);
        let short = der_wrap(0x30, &[&[1, 2], &[3]]);
        assert_eq!(short.as_slice(), &[0x30, 3, 1, 2, 3]);
    }
}
