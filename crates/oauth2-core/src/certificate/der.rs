//! The few DER encodings a key needs: public keys as certificates hold them, and ECDSA
//! signatures in their X.509 / TLS form. Public for [`KeySigner`](super::KeySigner)
//! implementations (a hardware token gives a key's parts, not its encoding) and for TLS.

use zeroize::Zeroizing;

use super::KeyAlgorithm;

/// The `AlgorithmIdentifier` contents: rsaEncryption + NULL; id-ecPublicKey + the named curve.
const RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// The DER `RSAPublicKey` (RFC 8017 A.1.1) of an RSA key's `modulus` and `public_exponent`
/// (unsigned big-endian, as PKCS#11 `CKA_MODULUS` / `CKA_PUBLIC_EXPONENT` give them): what
/// [`KeySigner::public_key`](super::KeySigner::public_key) returns for RSA.
///
/// ```
/// let der = oauth2_core::rsa_public_key_der(&[0xc3; 256], &[1, 0, 1]);
/// assert_eq!(&der[..4], &[0x30, 0x82, 0x01, 0x0a]);
/// ```
pub fn rsa_public_key_der(modulus: &[u8], public_exponent: &[u8]) -> Vec<u8> {
    der_wrap(0x30, &[&der_uint(modulus), &der_uint(public_exponent)]).to_vec()
}

/// The DER `SubjectPublicKeyInfo` of `public_key` (in the form of
/// [`KeySigner::public_key`](super::KeySigner::public_key)) for `algorithm`: what a certificate
/// signing request or a CA needs to certify a key held elsewhere.
///
/// ```
/// use oauth2_core::{subject_public_key_info_der, KeyAlgorithm};
/// let point = [0x04; 65];
/// let spki = subject_public_key_info_der(KeyAlgorithm::EcdsaP256, &point);
/// assert_eq!(spki.len(), 91);
/// ```
pub fn subject_public_key_info_der(algorithm: KeyAlgorithm, public_key: &[u8]) -> Vec<u8> {
    let identifier = match algorithm {
        KeyAlgorithm::Rsa => der_wrap(0x30, &[RSA_ENCRYPTION]),
        KeyAlgorithm::EcdsaP256 => der_wrap(0x30, &[EC_PUBLIC_KEY, P256]),
        KeyAlgorithm::EcdsaP384 => der_wrap(0x30, &[EC_PUBLIC_KEY, P384]),
    };
    let bits = der_wrap(0x03, &[&[0], public_key]);
    der_wrap(0x30, &[&identifier, &bits]).to_vec()
}

/// The DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (the X.509 and TLS form) of
/// a fixed-size `r || s` signature (the JWS and PKCS#11 form).
///
/// ```
/// let der = oauth2_core::ecdsa_signature_der(&[0x01; 64]);
/// assert_eq!(&der[..4], &[0x30, 68, 0x02, 32]);
/// ```
pub fn ecdsa_signature_der(fixed: &[u8]) -> Vec<u8> {
    let (r, s) = fixed.split_at(fixed.len() / 2);
    der_wrap(0x30, &[&der_uint(r), &der_uint(s)]).to_vec()
}

/// A DER INTEGER of the unsigned big-endian `bytes`: leading zeros dropped, one zero added
/// when the top bit is set (so that it stays positive).
fn der_uint(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let digits = match &bytes[skip..] {
        [] => &[0u8][..],
        d => d,
    };
    if digits[0] & 0x80 != 0 {
        der_wrap(0x02, &[&[0], digits])
    } else {
        der_wrap(0x02, &[digits])
    }
}

/// The DER element with tag `tag` whose contents are `parts`, concatenated.
pub(super) fn der_wrap(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
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

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(der_uint(&[0, 0, 0x7f]).as_slice(), [0x02, 1, 0x7f]);
        assert_eq!(der_uint(&[0, 0x80]).as_slice(), [0x02, 2, 0, 0x80]);
        assert_eq!(der_uint(&[0, 0]).as_slice(), [0x02, 1, 0]);
    }

    #[test]
    fn ecdsa_signatures_wrap_both_halves() {
        let mut fixed = vec![0x01; 32];
        fixed.extend_from_slice(&[0xff; 32]);
        let der = ecdsa_signature_der(&fixed);
        assert_eq!(&der[..4], &[0x30, 32 + 2 + 33 + 2, 0x02, 32]);
        assert_eq!(&der[36..39], &[0x02, 33, 0x00]);
        // P-384: 2 × (2 + 49) = 102 bytes of contents, still the short form
        assert_eq!(&ecdsa_signature_der(&[0xff; 96])[..2], &[0x30, 102]);
    }
}
