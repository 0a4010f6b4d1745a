//! Reading the parts of an X.509 certificate this crate uses.

use super::validity::Validity;
use super::{KeyAlgorithm, KeySigner};
use crate::Error;

/// What this crate reads from one certificate of the chain.
pub(super) struct CertInfo {
    pub(super) subject: String,
    pub(super) issuer: String,
    pub(super) validity: Validity,
    pub(super) self_signed: bool,
    /// The public key, when it is of a supported algorithm.
    public_key: Option<(KeyAlgorithm, Vec<u8>)>,
}

impl CertInfo {
    /// Whether this certificate's public key is the one of `signer`'s private key.
    pub(super) fn matches(&self, signer: &dyn KeySigner) -> bool {
        self.public_key.as_ref().is_some_and(|(alg, bytes)| {
            *alg == signer.algorithm() && bytes.as_slice() == signer.public_key()
        })
    }
}

/// Parses certificate number `index` (0-based) of the chain.
pub(super) fn parse_cert(der: &[u8], index: usize) -> Result<CertInfo, Error> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        Error::invalid_certificate(format!(
            "certificate #{} is not a DER X.509 certificate",
            index + 1
        ))
        .with_source(e)
    })?;
    if !rest.is_empty() {
        return Err(Error::invalid_certificate(format!(
            "certificate #{} has trailing data after its DER encoding",
            index + 1
        )));
    }
    let spki = cert.public_key();
    let key_alg = KeyAlgorithm::from_identifier(&spki.algorithm);
    let validity = cert.validity();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        validity: Validity::new(
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        ),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        public_key: key_alg.map(|a| (a, spki.subject_public_key.data.to_vec())),
    })
}
