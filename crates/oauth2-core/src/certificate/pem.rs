//! Loading a certificate chain and its private key from PEM.

use std::time::SystemTime;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::{Zeroize as _, Zeroizing};

use super::key::{KeyFormat, LoadedKey};
use super::ClientCertificate;
use crate::Error;

impl ClientCertificate {
    /// Loads a certificate chain (leaf first) and exactly one private key from one PEM document.
    ///
    /// Keys may be PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
    /// (`EC PRIVATE KEY`). Encrypted keys are rejected with [`Error::EncryptedPrivateKey`].
    /// Other PEM blocks (e.g. `PUBLIC KEY`) are ignored.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let blocks = pem_blocks(pem);
        if blocks.is_empty() {
            return Err(Error::invalid_certificate(
                "the input is not PEM (no `-----BEGIN` line found)",
            ));
        }
        let certs = certificates_from_blocks(&blocks)?;
        let mut keys = keys_from_blocks(&blocks)?;
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        let key = single_key(&mut keys)?;
        Self::build(certs, key, SystemTime::now())
    }

    /// Loads a certificate chain (leaf first) from `cert_pem` and the private key from `key_pem`.
    ///
    /// The same formats as [`ClientCertificate::from_pem`] are accepted.
    pub fn from_pem_parts(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let cert_blocks = pem_blocks(cert_pem);
        if cert_blocks.is_empty() {
            return Err(Error::invalid_certificate(
                "the certificate input is not PEM (no `-----BEGIN` line found)",
            ));
        }
        let certs = certificates_from_blocks(&cert_blocks)?;
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        let key_blocks = pem_blocks(key_pem);
        if key_blocks.is_empty() {
            return Err(Error::invalid_private_key(
                "the key input is not PEM (no `-----BEGIN` line found)",
            ));
        }
        let mut keys = keys_from_blocks(&key_blocks)?;
        let key = single_key(&mut keys)?;
        Self::build(certs, key, SystemTime::now())
    }
}

impl ClientCertificate {
    /// Loads a certificate chain (any order) from `cert_pem` for a private key held by
    /// `signer` (a PKCS#11 token, an HSM): [`ClientCertificate::from_signer`] from PEM.
    /// Private key blocks in `cert_pem`, if any, are ignored: the key is the signer's.
    pub fn from_pem_with_signer(
        cert_pem: &[u8],
        signer: std::sync::Arc<dyn super::KeySigner>,
    ) -> Result<Self, Error> {
        let blocks = pem_blocks(cert_pem);
        if blocks.is_empty() {
            return Err(Error::invalid_certificate(
                "the certificate input is not PEM (no `-----BEGIN` line found)",
            ));
        }
        Self::from_signer(certificates_from_blocks(&blocks)?, signer)
    }
}

/// One `-----BEGIN {label}-----` … `-----END {label}-----` block of a PEM document.
struct PemBlock<'a> {
    label: String,
    /// The whole block, BEGIN and END lines included (or up to the end of input if unterminated).
    text: &'a [u8],
}

/// Splits a PEM document into its blocks, in order. Text outside blocks is ignored.
fn pem_blocks(input: &[u8]) -> Vec<PemBlock<'_>> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut blocks = Vec::new();
    let mut pos = 0;
    while let Some(offset) = find(&input[pos..], BEGIN) {
        let start = pos + offset;
        let label_start = start + BEGIN.len();
        let Some(label_len) = find(&input[label_start..], b"-----") else {
            break;
        };
        let label = String::from_utf8_lossy(&input[label_start..label_start + label_len])
            .trim()
            .to_owned();
        let mut end_marker = b"-----END ".to_vec();
        end_marker.extend_from_slice(label.as_bytes());
        end_marker.extend_from_slice(b"-----");
        let body_start = label_start + label_len + 5;
        // An unterminated block ends where the next block begins, so that the PEM decoder
        // reports it instead of silently skipping to the next block.
        let next_begin = find(&input[body_start..], BEGIN);
        let end = match (find(&input[body_start..], &end_marker), next_begin) {
            (Some(e), Some(b)) if e < b => body_start + e + end_marker.len(),
            (Some(e), None) => body_start + e + end_marker.len(),
            (_, Some(b)) => body_start + b,
            (None, None) => input.len(),
        };
        blocks.push(PemBlock {
            label,
            text: &input[start..end],
        });
        pos = end;
    }
    blocks
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn certificates_from_blocks(
    blocks: &[PemBlock<'_>],
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut certs = Vec::new();
    for block in blocks.iter().filter(|b| b.label == "CERTIFICATE") {
        let der = CertificateDer::from_pem_slice(block.text).map_err(|e| {
            Error::invalid_certificate(format!(
                "PEM certificate block #{} cannot be decoded ({})",
                certs.len() + 1,
                pem_error_summary(&e)
            ))
        })?;
        certs.push(der);
    }
    Ok(certs)
}

fn keys_from_blocks(blocks: &[PemBlock<'_>]) -> Result<Vec<LoadedKey>, Error> {
    let mut keys = Vec::new();
    for block in blocks {
        match block.label.as_str() {
            "ENCRYPTED PRIVATE KEY" => return Err(Error::EncryptedPrivateKey),
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                if find(block.text, b"Proc-Type:").is_some()
                    || find(block.text, b"DEK-Info:").is_some()
                {
                    // Legacy OpenSSL encryption: `Proc-Type: 4,ENCRYPTED` + `DEK-Info` headers.
                    return Err(Error::EncryptedPrivateKey);
                }
                let mut parsed = PrivateKeyDer::from_pem_slice(block.text).map_err(|e| {
                    Error::invalid_private_key(format!(
                        "the `{}` PEM block cannot be decoded ({})",
                        block.label,
                        pem_error_summary(&e)
                    ))
                })?;
                let format = match &parsed {
                    PrivateKeyDer::Pkcs1(_) => KeyFormat::Pkcs1,
                    PrivateKeyDer::Sec1(_) => KeyFormat::Sec1,
                    _ => KeyFormat::Pkcs8,
                };
                keys.push(LoadedKey {
                    der: Zeroizing::new(parsed.secret_der().to_vec()),
                    format,
                });
                parsed.zeroize();
            }
            label if label.ends_with("PRIVATE KEY") => {
                return Err(Error::unsupported_key(format!(
                    "`{label}` PEM blocks are not supported"
                )));
            }
            _ => {}
        }
    }
    Ok(keys)
}

fn single_key(keys: &mut Vec<LoadedKey>) -> Result<LoadedKey, Error> {
    match keys.len() {
        0 => Err(Error::NoPrivateKey),
        1 => Ok(keys.remove(0)),
        n => Err(Error::invalid_private_key(format!(
            "found {n} private keys; provide exactly one"
        ))),
    }
}

/// A description of a PEM decoding error that never echoes input bytes.
fn pem_error_summary(e: &rustls_pki_types::pem::Error) -> &'static str {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { .. } => "missing END line",
        E::IllegalSectionStart { .. } => "malformed BEGIN line",
        E::Base64Decode(_) => "invalid base64",
        E::NoItemsFound => "no data",
        E::SectionTooLarge => "block too large",
        _ => "malformed PEM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_split_in_order() {
        let pem = b"junk\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
                    -----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n\
                    -----BEGIN X-----\nno end";
        let blocks = pem_blocks(pem);
        let labels: Vec<_> = blocks.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["CERTIFICATE", "PRIVATE KEY", "X"]);
        assert!(blocks[0].text.ends_with(b"-----END CERTIFICATE-----"));
        assert!(blocks[2].text.ends_with(b"no end"));
    }

    #[test]
    fn unterminated_block_stops_at_the_next_block() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n\
                    -----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";
        let blocks = pem_blocks(pem);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].text, b"-----BEGIN CERTIFICATE-----\nAAAA\n");
        assert!(blocks[1]
            .text
            .starts_with(b"-----BEGIN CERTIFICATE-----\nBBBB"));
        // and decoding the first one fails instead of yielding the second
        assert!(certificates_from_blocks(&blocks).is_err());
    }
}
