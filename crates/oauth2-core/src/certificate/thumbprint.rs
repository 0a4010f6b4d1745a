//! The chain's JOSE header values: the leaf's thumbprints (`x5t`, `x5t#S256`, hex) and `x5c`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::digest;
use rustls_pki_types::CertificateDer;

use super::ClientCertificate;

/// The thumbprints of the leaf certificate and the `x5c` values of the chain, computed once at
/// load time.
pub(super) struct Thumbprints {
    x5c: Vec<String>,
    x5t: String,
    x5t_s256: String,
    sha1_hex: String,
    sha256_hex: String,
}

impl Thumbprints {
    /// Computes the values of `chain`, whose first certificate is the leaf.
    pub(super) fn of(chain: &[CertificateDer<'static>]) -> Self {
        let leaf = chain.first().map_or(&[][..], |c| c.as_ref());
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, leaf);
        let sha256 = digest::digest(&digest::SHA256, leaf);
        Thumbprints {
            x5c: chain.iter().map(|c| STANDARD.encode(c)).collect(),
            x5t: URL_SAFE_NO_PAD.encode(sha1),
            x5t_s256: URL_SAFE_NO_PAD.encode(sha256),
            sha1_hex: hex_lower(sha1.as_ref()),
            sha256_hex: hex_lower(sha256.as_ref()),
        }
    }
}

impl ClientCertificate {
    /// The `x5t` JOSE header value: base64url (no padding) of the SHA-1 digest of the leaf DER.
    pub fn x5t(&self) -> &str {
        &self.inner.thumbprints.x5t
    }

    /// The `x5t#S256` value: base64url (no padding) of the SHA-256 digest of the leaf DER.
    ///
    /// This is the RFC 8705 certificate thumbprint that Entra puts in an mTLS PoP token's
    /// `cnf` claim, and the key id of mTLS PoP cache entries.
    pub fn x5t_s256(&self) -> &str {
        &self.inner.thumbprints.x5t_s256
    }

    /// The SHA-1 thumbprint of the leaf DER as lowercase hex without separators
    /// (what Windows and the Azure portal call "Thumbprint", in lowercase).
    pub fn thumbprint_sha1_hex(&self) -> &str {
        &self.inner.thumbprints.sha1_hex
    }

    /// The SHA-256 thumbprint of the leaf DER as lowercase hex without separators.
    pub fn thumbprint_sha256_hex(&self) -> &str {
        &self.inner.thumbprints.sha256_hex
    }

    /// The `x5c` JOSE header values: standard base64 (with padding, one line) of each
    /// certificate's DER, leaf first, then the rest in file order.
    pub fn x5c(&self) -> &[String] {
        &self.inner.thumbprints.x5c
    }
}

pub(super) fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0x0f) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex_lower(&[0x00, 0xab, 0x0f, 0xf0]), "00ab0ff0");
    }
}
