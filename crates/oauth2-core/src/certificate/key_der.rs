//! What a private key says it is, read from its DER structure before `ring` sees it.
//!
//! `ring` reports a rejected key with an opaque error, so the algorithm and the RSA modulus size
//! are read here first: an unsupported key (Ed25519, P-521, a 1024-bit RSA key) is then told
//! apart from a malformed one by what the key declares, and `ring` only ever rejects keys that
//! are broken.

use std::error::Error as StdError;

use x509_parser::asn1_rs::{Any, Class, FromDer as _, Oid, Tag};
use x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY;
use x509_parser::x509::AlgorithmIdentifier;

use super::key::KeyFormat;
use super::KeyAlgorithm;
use crate::Error;

/// The RSA modulus sizes `ring` signs with, in bits.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The algorithm of the private key `der`, encoded as `format`.
///
/// Errors with [`Error::InvalidPrivateKey`] when the structure cannot be read, and with
/// [`Error::UnsupportedKey`] when it names another algorithm or curve, or is an RSA key whose
/// modulus is outside 2048 to 8192 bits.
pub(super) fn key_algorithm(der: &[u8], format: KeyFormat) -> Result<KeyAlgorithm, Error> {
    match format {
        KeyFormat::Pkcs1 => check_rsa_size(der, format).map(|()| KeyAlgorithm::Rsa),
        KeyFormat::Pkcs8 => pkcs8_algorithm(der),
        KeyFormat::Sec1 => sec1_curve(der),
    }
}

/// `PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier,
/// privateKey OCTET STRING, ... }` (RFC 5208 / RFC 5958).
fn pkcs8_algorithm(der: &[u8]) -> Result<KeyAlgorithm, Error> {
    const FORMAT: KeyFormat = KeyFormat::Pkcs8;
    let body = element(der, Tag::Sequence, FORMAT)?.1;
    let rest = element(body, Tag::Integer, FORMAT)?.0;
    let (rest, id) = AlgorithmIdentifier::from_der(rest).map_err(|e| malformed(FORMAT, e))?;
    let private_key = element(rest, Tag::OctetString, FORMAT)?.1;
    match KeyAlgorithm::from_identifier(&id) {
        Some(KeyAlgorithm::Rsa) => {
            check_rsa_size(private_key, FORMAT)?;
            Ok(KeyAlgorithm::Rsa)
        }
        Some(ec) => Ok(ec),
        None if id.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY => {
            let curve = id.parameters.as_ref().and_then(|p| p.as_oid().ok());
            Err(unsupported_curve(FORMAT, curve))
        }
        None => Err(Error::unsupported_key(format!(
            "the PKCS#8 key's algorithm ({}) is neither RSA nor ECDSA (e.g. Ed25519)",
            id.algorithm
        ))),
    }
}

/// `RSAPrivateKey ::= SEQUENCE { version INTEGER, modulus INTEGER, ... }` (RFC 8017 A.1.2):
/// unsupported unless the modulus has 2048 to 8192 bits.
fn check_rsa_size(der: &[u8], format: KeyFormat) -> Result<(), Error> {
    let body = element(der, Tag::Sequence, format)?.1;
    let rest = element(body, Tag::Integer, format)?.0;
    let modulus = element(rest, Tag::Integer, format)?.1;
    let magnitude = modulus
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |i| &modulus[i..]);
    let bits = magnitude
        .first()
        .map_or(0, |b| magnitude.len() * 8 - b.leading_zeros() as usize);
    // `ring` compares the size rounded up to whole bytes with the minimum, the exact size with
    // the maximum.
    if magnitude.len() * 8 < *RSA_BITS.start() || bits > *RSA_BITS.end() {
        return Err(Error::unsupported_key(format!(
            "the {} RSA key has {bits} bits, outside {}..={}",
            format.name(),
            RSA_BITS.start(),
            RSA_BITS.end()
        )));
    }
    Ok(())
}

/// `ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING,
/// parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }` (RFC 5915): the
/// named curve, or, when the key names none, the curve whose private keys have its length.
fn sec1_curve(der: &[u8]) -> Result<KeyAlgorithm, Error> {
    const FORMAT: KeyFormat = KeyFormat::Sec1;
    let body = element(der, Tag::Sequence, FORMAT)?.1;
    let rest = element(body, Tag::Integer, FORMAT)?.0;
    let (rest, private_key) = element(rest, Tag::OctetString, FORMAT)?;
    let parameters = Any::from_der(rest)
        .ok()
        .map(|(_, any)| any)
        .filter(|any| any.class() == Class::ContextSpecific && any.tag() == Tag(0));
    let Some(parameters) = parameters else {
        return match private_key.len() {
            32 => Ok(KeyAlgorithm::EcdsaP256),
            48 => Ok(KeyAlgorithm::EcdsaP384),
            _ => Err(Error::invalid_private_key(
                "the SEC1 EC key names no curve and its length fits neither P-256 nor P-384",
            )),
        };
    };
    // Named curve: an OBJECT IDENTIFIER; explicit curve parameters: a SEQUENCE.
    let curve = Oid::from_der(parameters.data).ok().map(|(_, oid)| oid);
    curve
        .as_ref()
        .and_then(KeyAlgorithm::from_curve)
        .ok_or_else(|| unsupported_curve(FORMAT, curve))
}

/// An EC key on another named curve (`Some`) or with explicit curve parameters (`None`).
fn unsupported_curve(format: KeyFormat, curve: Option<Oid<'_>>) -> Error {
    let curve = match curve {
        Some(oid) => format!("the curve {oid}"),
        None => "explicit curve parameters".to_owned(),
    };
    Error::unsupported_key(format!(
        "the {} EC key uses {curve}, not the named curve P-256 or P-384",
        format.name()
    ))
}

/// Reads the DER element with universal tag `tag` at the start of `input`: the input after it,
/// and its contents.
fn element(input: &[u8], tag: Tag, format: KeyFormat) -> Result<(&[u8], &[u8]), Error> {
    let (rest, any) = Any::from_der(input).map_err(|e| malformed(format, e))?;
    if any.class() != Class::Universal || any.tag() != tag {
        return Err(Error::invalid_private_key(format!(
            "the {} key is not DER-encoded as its format requires (expected {tag}, found {})",
            format.name(),
            any.tag()
        )));
    }
    Ok((rest, any.data))
}

fn malformed(format: KeyFormat, e: impl StdError + Send + Sync + 'static) -> Error {
    Error::invalid_private_key(format!(
        "the {} key is not DER-encoded as its format requires",
        format.name()
    ))
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::der::der_wrap;

    const INTEGER_0: &[u8] = &[0x02, 0x01, 0x00];
    const INTEGER_1: &[u8] = &[0x02, 0x01, 0x01];
    const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const OID_SECP256K1: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a];
    const OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

    /// The start of an `RSAPrivateKey`: `SEQUENCE { INTEGER 0, INTEGER modulus }`.
    fn rsa_with_modulus(modulus: &[u8]) -> Vec<u8> {
        der_wrap(0x30, &[INTEGER_0, &der_wrap(0x02, &[modulus])]).to_vec()
    }

    fn size_code(modulus: &[u8]) -> &'static str {
        match check_rsa_size(&rsa_with_modulus(modulus), KeyFormat::Pkcs1) {
            Ok(()) => "ok",
            Err(e) => e.code(),
        }
    }

    /// An `ECPrivateKey` with a `len`-byte private key and the given `[0]` contents.
    fn sec1(len: usize, parameters: Option<&[u8]>) -> Vec<u8> {
        let key = der_wrap(0x04, &[&vec![1; len]]);
        let parameters = parameters.map(|p| der_wrap(0xa0, &[p]).to_vec());
        der_wrap(
            0x30,
            &[INTEGER_1, &key, parameters.as_deref().unwrap_or_default()],
        )
        .to_vec()
    }

    fn code(result: Result<KeyAlgorithm, Error>) -> String {
        match result {
            Ok(alg) => format!("{alg:?}"),
            Err(e) => e.code().to_owned(),
        }
    }

    #[test]
    fn rsa_sizes_follow_rings_bounds() {
        // (leading bytes, total length, expected): 2041 bits still fill 256 bytes, and ring
        // rounds up to whole bytes for the minimum
        let cases: [(&[u8], usize, &str); 5] = [
            (&[0x00, 0x80], 257, "ok"),         // 2048 bits
            (&[0x01], 256, "ok"),               // 2041 bits
            (&[0xff], 255, "unsupported_key"),  // 2040 bits
            (&[0x00, 0xff], 1025, "ok"),        // 8192 bits
            (&[0x01], 1025, "unsupported_key"), // 8193 bits
        ];
        for (leading, len, expected) in cases {
            let mut modulus = leading.to_vec();
            modulus.resize(len, 0);
            assert_eq!(size_code(&modulus), expected, "{leading:?} {len}");
        }
    }

    #[test]
    fn sec1_curve_is_named_or_follows_the_key_length() {
        assert_eq!(code(sec1_curve(&sec1(32, None))), "EcdsaP256");
        assert_eq!(code(sec1_curve(&sec1(48, None))), "EcdsaP384");
        assert_eq!(code(sec1_curve(&sec1(40, None))), "invalid_private_key");
        assert_eq!(
            code(sec1_curve(&sec1(32, Some(OID_SECP256K1)))),
            "unsupported_key"
        );
        // explicit curve parameters: a SEQUENCE instead of a curve OID
        assert_eq!(
            code(sec1_curve(&sec1(32, Some(&[0x30, 0x00])))),
            "unsupported_key"
        );
    }

    #[test]
    fn pkcs8_ec_key_on_another_curve_is_unsupported() {
        let id = der_wrap(0x30, &[OID_EC_PUBLIC_KEY, OID_P521]);
        let der = der_wrap(0x30, &[INTEGER_0, &id, &[0x04, 0x00]]);
        let err = pkcs8_algorithm(&der).unwrap_err();
        assert_eq!(err.code(), "unsupported_key");
        assert!(err.to_string().contains("1.3.132.0.35"), "{err}");
    }

    #[test]
    fn structure_errors_are_invalid_keys() {
        for der in [
            &[][..],
            &[0x30, 0x00],
            &[0x02, 0x01, 0x00],
            &[0x30, 0x03, 0x02, 0x01],
        ] {
            for format in [KeyFormat::Pkcs1, KeyFormat::Pkcs8, KeyFormat::Sec1] {
                let err = key_algorithm(der, format).unwrap_err();
                assert_eq!(err.code(), "invalid_private_key", "{der:?} {format:?}");
            }
        }
    }
}
