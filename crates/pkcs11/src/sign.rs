//! What the token is asked to sign for each JWS algorithm.
//!
//! The message is hashed here (with `ring`) and only the hash goes to the token, so the
//! mechanisms are the raw ones every token supports: `CKM_RSA_PKCS` over the DER `DigestInfo`
//! (RS256, TLS `rsa_pkcs1_sha256`), `CKM_RSA_PKCS_PSS` over the hash with MGF1-SHA-256 and a
//! 32-byte salt (PS256, TLS 1.3's `rsa_pss_rsae_sha256`), `CKM_ECDSA` over the hash (ES256 and
//! ES384; the token returns `r || s`, the JWS form).

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use oauth2_core::SigningAlgorithm;
use ring::digest;

/// `DigestInfo` for SHA-256 up to the hash (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The mechanism and the data to give `C_Sign` for `message` under `alg`.
pub(crate) fn prepare(alg: SigningAlgorithm, message: &[u8]) -> (Mechanism<'static>, Vec<u8>) {
    match alg {
        SigningAlgorithm::Rs256 => {
            let hash = digest::digest(&digest::SHA256, message);
            (
                Mechanism::RsaPkcs,
                [SHA256_DIGEST_INFO, hash.as_ref()].concat(),
            )
        }
        SigningAlgorithm::Ps256 => {
            let params = PkcsPssParams {
                hash_alg: MechanismType::SHA256,
                mgf: PkcsMgfType::MGF1_SHA256,
                s_len: 32.into(),
            };
            let hash = digest::digest(&digest::SHA256, message);
            (Mechanism::RsaPkcsPss(params), hash.as_ref().to_vec())
        }
        SigningAlgorithm::Es384 => {
            let hash = digest::digest(&digest::SHA384, message);
            (Mechanism::Ecdsa, hash.as_ref().to_vec())
        }
        // ES256 (the algorithm enum is non-exhaustive; the certificate only asks for those
        // that fit the key)
        _ => {
            let hash = digest::digest(&digest::SHA256, message);
            (Mechanism::Ecdsa, hash.as_ref().to_vec())
        }
    }
}
