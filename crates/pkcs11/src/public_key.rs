//! The key's public half, read from the token, in the forms certificates use.

use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use oauth2_core::KeyAlgorithm;

use crate::Error;

/// The DER OIDs of the named curves (`CKA_EC_PARAMS` holds one of these).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// A public key as a certificate's `subjectPublicKey` holds it.
pub(crate) struct PublicKey {
    pub(crate) algorithm: KeyAlgorithm,
    /// RSA: DER `RSAPublicKey`; ECDSA: the uncompressed point.
    pub(crate) bytes: Vec<u8>,
}

impl PublicKey {
    /// The DER `SubjectPublicKeyInfo`.
    pub(crate) fn spki_der(&self) -> Vec<u8> {
        oauth2_core::subject_public_key_info_der(self.algorithm, &self.bytes)
    }
}

/// Reads the public key of `private` (of `key_type`): RSA's modulus and exponent from the
/// private key object, ECDSA's point from the public key object with the same `CKA_ID`.
pub(crate) fn read(
    session: &Session,
    private: ObjectHandle,
    key_type: KeyType,
) -> Result<PublicKey, Error> {
    if key_type == KeyType::RSA {
        let attrs = attributes(
            session,
            private,
            &[AttributeType::Modulus, AttributeType::PublicExponent],
        )?;
        let (mut n, mut e) = (None, None);
        for a in attrs {
            match a {
                Attribute::Modulus(v) => n = Some(v),
                Attribute::PublicExponent(v) => e = Some(v),
                _ => {}
            }
        }
        let (Some(n), Some(e)) = (n, e) else {
            return Err(unsupported(
                "the RSA key's modulus or exponent is not readable",
            ));
        };
        return Ok(PublicKey {
            algorithm: KeyAlgorithm::Rsa,
            bytes: oauth2_core::rsa_public_key_der(&n, &e),
        });
    }
    if key_type != KeyType::EC {
        return Err(unsupported(&format!(
            "key type {key_type}; use an RSA, ECDSA P-256 or P-384 key"
        )));
    }
    ec_public_key(session, private)
}

/// The point and curve of the public key object that shares `private`'s `CKA_ID`.
fn ec_public_key(session: &Session, private: ObjectHandle) -> Result<PublicKey, Error> {
    let id = attributes(session, private, &[AttributeType::Id])?
        .into_iter()
        .find_map(|a| match a {
            Attribute::Id(id) => Some(id),
            _ => None,
        })
        .ok_or_else(|| unsupported("the EC private key has no CKA_ID to find its public key"))?;
    let public = session
        .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY), Attribute::Id(id)])
        .map_err(|e| Error::token("C_FindObjects", e))?;
    let [public] = public.as_slice() else {
        return Err(unsupported(
            "the token holds no single EC public key object with the private key's CKA_ID",
        ));
    };
    let (mut point, mut params) = (None, None);
    for a in attributes(
        session,
        *public,
        &[AttributeType::EcPoint, AttributeType::EcParams],
    )? {
        match a {
            Attribute::EcPoint(v) => point = Some(v),
            Attribute::EcParams(v) => params = Some(v),
            _ => {}
        }
    }
    let algorithm = match params.as_deref() {
        Some(P256_PARAMS) => KeyAlgorithm::EcdsaP256,
        Some(P384_PARAMS) => KeyAlgorithm::EcdsaP384,
        _ => return Err(unsupported("the EC key is not on P-256 or P-384")),
    };
    let point = point.ok_or_else(|| unsupported("the EC public key's point is not readable"))?;
    Ok(PublicKey {
        algorithm,
        bytes: unwrap_octet_string(point),
    })
}

fn attributes(
    session: &Session,
    object: ObjectHandle,
    types: &[AttributeType],
) -> Result<Vec<Attribute>, Error> {
    session
        .get_attributes(object, types)
        .map_err(|e| Error::token("C_GetAttributeValue", e))
}

fn unsupported(reason: &str) -> Error {
    Error::UnsupportedKey {
        reason: reason.to_owned(),
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the point (PKCS#11 2.40); some modules give
/// the bare point. An uncompressed point starts with 04 and has odd length.
/// (A bare P-256 or P-384 point is 65 or 97 bytes; wrapped, 67 or 99.)
fn unwrap_octet_string(value: Vec<u8>) -> Vec<u8> {
    match value.as_slice() {
        [0x04, len, rest @ ..]
            if matches!(value.len(), 67 | 99) && usize::from(*len) == rest.len() =>
        {
            rest.to_vec()
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_points_are_unwrapped_once() {
        let point = [0x04; 65];
        let mut wrapped = vec![0x04, 65];
        wrapped.extend_from_slice(&point);
        assert_eq!(unwrap_octet_string(wrapped), point);
        assert_eq!(unwrap_octet_string(point.to_vec()), point);
    }
}
