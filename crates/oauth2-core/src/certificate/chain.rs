//! The chain's links: each certificate issued by the one after it, and the chain's identity.

use ring::digest;
use rustls_pki_types::CertificateDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;

use crate::Error;

/// Checks that every certificate of `chain` (leaf first) was issued by the certificate after
/// it: its issuer name is the next one's subject (byte for byte, as TLS path building compares
/// them) and its signature verifies with the next one's public key.
///
/// The last certificate is not checked against anything, so a leaf alone, a chain ending at an
/// intermediate (root left out) and a chain ending at a self-signed root all pass. A signature
/// algorithm `ring` cannot verify (e.g. RSA-PSS with SHA-1) is judged by the names alone.
pub(super) fn check_links(chain: &[CertificateDer<'static>]) -> Result<(), Error> {
    let parsed = chain
        .iter()
        .enumerate()
        .map(|(i, der)| parse(der, i))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, pair) in parsed.windows(2).enumerate() {
        let [cert, next] = pair else { continue };
        let reason = if cert.issuer().as_raw() != next.subject().as_raw() {
            "is not its issuer (the issuer name differs)"
        } else {
            match cert.verify_signature(Some(next.public_key())) {
                Ok(()) | Err(X509Error::SignatureUnsupportedAlgorithm) => continue,
                Err(_) => {
                    "has its issuer's name but did not sign it (another key: a different or \
                     renewed intermediate of the same name)"
                }
            }
        };
        return Err(Error::CertificateChainBroken {
            index,
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            next_subject: next.subject().to_string(),
            reason: reason.to_owned(),
        });
    }
    Ok(())
}

fn parse<'a>(der: &'a [u8], index: usize) -> Result<X509Certificate<'a>, Error> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert)
        .map_err(|e| {
            Error::invalid_certificate(format!(
                "certificate #{} is not a DER X.509 certificate",
                index + 1
            ))
            .with_source(e)
        })
}

/// SHA-256 over the certificates a TLS handshake presents, in order, each preceded by its
/// length (4 bytes, big endian), as lowercase hex: equal exactly when the same certificates
/// are presented in the same order.
pub(super) fn chain_id(tls_chain: &[CertificateDer<'static>]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for der in tls_chain {
        // A DER certificate longer than 4 GiB cannot have been parsed; saturate regardless.
        let len = u32::try_from(der.len()).unwrap_or(u32::MAX);
        ctx.update(&len.to_be_bytes());
        ctx.update(der);
    }
    super::thumbprint::hex_lower(ctx.finish().as_ref())
}
