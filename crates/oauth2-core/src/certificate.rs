//! Client certificates: loading (PEM, PKCS#12), validation, thumbprints and signing.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use x509_parser::oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use zeroize::{Zeroize as _, Zeroizing};

use crate::Error;

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

/// A JWS signature algorithm ([RFC 7518 §3.1](https://www.rfc-editor.org/rfc/rfc7518#section-3.1)).
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

/// A client certificate with its private key: the credential for client assertions and for TLS
/// client authentication (mTLS).
///
/// Loaded once from bytes (this crate does no file I/O); cloning is cheap (an `Arc`).
///
/// At load time the certificate chain and the key are parsed, the key is checked against the
/// leaf certificate's public key, the leaf's validity period is checked against the current
/// time, and the thumbprints and `x5c` values are computed.
///
/// # Chain order
///
/// The leaf is the certificate whose public key matches the private key. It normally comes
/// first; if it does not, it is moved to the front and the other certificates keep their order.
///
/// # Secrets
///
/// The private key DER is held in a [`zeroize::Zeroizing`] buffer and overwritten when the last
/// clone is dropped. `Debug` shows only the subject, issuer, `x5t#S256` and expiry.
///
/// Residual risk, documented rather than hidden: `ring`'s key pair objects (used for signing)
/// keep their own copy of the key material and offer no way to zeroize it; the PKCS#12 parser
/// (`p12-keystore`) and the PEM decoder may leave intermediate copies in freed memory; and
/// [`ClientCertificate::private_key_der`] hands out copies that are not zeroized on drop.
#[derive(Clone)]
pub struct ClientCertificate {
    inner: Arc<Inner>,
}

struct Inner {
    chain: Vec<CertificateDer<'static>>,
    tls_chain: Vec<CertificateDer<'static>>,
    x5c: Vec<String>,
    x5t: String,
    x5t_s256: String,
    sha1_hex: String,
    sha256_hex: String,
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    key: LoadedKey,
    signer: Signer,
}

/// The private key as loaded, in its original encoding.
struct LoadedKey {
    der: Zeroizing<Vec<u8>>,
    format: KeyFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFormat {
    Pkcs8,
    Pkcs1,
    Sec1,
}

/// The `ring` key pair used for signing.
enum Signer {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
}

impl Signer {
    fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Signer::Rsa(_) => KeyAlgorithm::Rsa,
            Signer::EcdsaP256(_) => KeyAlgorithm::EcdsaP256,
            Signer::EcdsaP384(_) => KeyAlgorithm::EcdsaP384,
        }
    }

    fn public_key_bytes(&self) -> &[u8] {
        match self {
            Signer::Rsa(k) => k.public_key().as_ref(),
            Signer::EcdsaP256(k) | Signer::EcdsaP384(k) => k.public_key().as_ref(),
        }
    }
}

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

    /// Loads a PKCS#12 (`.pfx` / `.p12`) file: the private key, its certificate and any other
    /// certificates in the file (the chain).
    ///
    /// Both modern (PBES2 / AES-256) and legacy (3DES / RC2, SHA-1 MAC) files are supported.
    /// A wrong password gives [`Error::Pkcs12WrongPassword`].
    #[cfg(feature = "pkcs12")]
    pub fn from_pkcs12(pfx_der: &[u8], password: &str) -> Result<Self, Error> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(pfx_der, password)
            .map_err(map_pkcs12_error)?;
        let certs: Vec<CertificateDer<'static>> = archive
            .certs
            .iter()
            .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()))
            .collect();
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        // Prefer the key bag that a certificate bag points to (same localKeyId).
        let bag = archive
            .keys
            .iter()
            .find(|k| {
                k.local_key_id.as_ref().is_some_and(|id| {
                    archive
                        .certs
                        .iter()
                        .any(|c| c.local_key_id.as_deref() == Some(id.0.as_slice()))
                })
            })
            .or_else(|| archive.keys.first())
            .ok_or(Error::NoPrivateKey)?;
        let key = LoadedKey {
            der: Zeroizing::new(bag.key.as_der().to_vec()),
            format: KeyFormat::Pkcs8,
        };
        Self::build(certs, key, SystemTime::now())
    }

    fn build(
        mut certs: Vec<CertificateDer<'static>>,
        key: LoadedKey,
        now: SystemTime,
    ) -> Result<Self, Error> {
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        let signer = make_signer(&key)?;

        // Parse every certificate once; the leaf is the one the key belongs to.
        let mut infos = certs
            .iter()
            .enumerate()
            .map(|(i, der)| parse_cert(der, i))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf_index = infos
            .iter()
            .position(|info| info.matches(&signer))
            .ok_or(Error::KeyMismatch)?;
        // Move the leaf to the front; the others keep their order.
        certs[..=leaf_index].rotate_right(1);
        infos[..=leaf_index].rotate_right(1);

        let tls_chain = certs
            .iter()
            .zip(&infos)
            .enumerate()
            .filter(|(i, (_, info))| *i == 0 || !info.self_signed)
            .map(|(_, (der, _))| der.clone())
            .collect();
        let leaf = infos.swap_remove(0);

        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &certs[0]);
        let sha256 = digest::digest(&digest::SHA256, &certs[0]);
        let inner = Inner {
            x5c: certs.iter().map(|c| STANDARD.encode(c)).collect(),
            x5t: URL_SAFE_NO_PAD.encode(sha1),
            x5t_s256: URL_SAFE_NO_PAD.encode(sha256),
            sha1_hex: hex_lower(sha1.as_ref()),
            sha256_hex: hex_lower(sha256.as_ref()),
            subject: leaf.subject,
            issuer: leaf.issuer,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            chain: certs,
            tls_chain,
            key,
            signer,
        };
        let cert = ClientCertificate {
            inner: Arc::new(inner),
        };
        cert.check_validity_at(now)?;
        Ok(cert)
    }

    /// Checks that the leaf certificate is valid at `now` (`not_before <= now <= not_after`).
    ///
    /// The loaders call this with the current time; call it again before long-lived use.
    pub fn check_validity_at(&self, now: SystemTime) -> Result<(), Error> {
        let now = unix_seconds(now);
        if now < self.inner.not_before {
            return Err(Error::CertificateNotYetValid {
                not_before: format_unix_utc(self.inner.not_before),
            });
        }
        if now > self.inner.not_after {
            return Err(Error::CertificateExpired {
                not_after: format_unix_utc(self.inner.not_after),
            });
        }
        Ok(())
    }

    /// The `x5t` JOSE header value: base64url (no padding) of the SHA-1 digest of the leaf DER.
    pub fn x5t(&self) -> &str {
        &self.inner.x5t
    }

    /// The `x5t#S256` value: base64url (no padding) of the SHA-256 digest of the leaf DER.
    ///
    /// This is the RFC 8705 certificate thumbprint that Entra puts in an mTLS PoP token's
    /// `cnf` claim, and the key id of mTLS PoP cache entries.
    pub fn x5t_s256(&self) -> &str {
        &self.inner.x5t_s256
    }

    /// The SHA-1 thumbprint of the leaf DER as lowercase hex without separators
    /// (what Windows and the Azure portal call "Thumbprint", in lowercase).
    pub fn thumbprint_sha1_hex(&self) -> &str {
        &self.inner.sha1_hex
    }

    /// The SHA-256 thumbprint of the leaf DER as lowercase hex without separators.
    pub fn thumbprint_sha256_hex(&self) -> &str {
        &self.inner.sha256_hex
    }

    /// The `x5c` JOSE header values: standard base64 (with padding, one line) of each
    /// certificate's DER, leaf first, then the rest in file order.
    pub fn x5c(&self) -> &[String] {
        &self.inner.x5c
    }

    /// Every certificate loaded, leaf first.
    pub fn chain_der(&self) -> &[CertificateDer<'static>] {
        &self.inner.chain
    }

    /// The chain to present in a TLS handshake: the leaf plus intermediates, with self-signed
    /// (root) certificates removed. The leaf is always included, even when self-signed.
    pub fn tls_chain(&self) -> Vec<CertificateDer<'static>> {
        self.inner.tls_chain.clone()
    }

    /// The leaf certificate's DER.
    pub fn leaf_der(&self) -> &[u8] {
        &self.inner.chain[0]
    }

    /// The leaf certificate's subject, e.g. `O=msal-rust tests, CN=client.example`.
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The leaf certificate's issuer, in the same format as [`ClientCertificate::subject`].
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Start of the leaf certificate's validity period.
    pub fn not_before(&self) -> SystemTime {
        system_time(self.inner.not_before)
    }

    /// End of the leaf certificate's validity period.
    pub fn not_after(&self) -> SystemTime {
        system_time(self.inner.not_after)
    }

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

    /// Signs `message` with the private key.
    ///
    /// `Rs256` and `Ps256` need an RSA key, `Es256` a P-256 key and `Es384` a P-384 key; ECDSA
    /// signatures are returned in the fixed-size JWS form (`r || s`).
    pub fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        match (&self.inner.signer, alg) {
            (Signer::Rsa(key), SigningAlgorithm::Rs256 | SigningAlgorithm::Ps256) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    SigningAlgorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                    _ => &signature::RSA_PSS_SHA256,
                };
                let mut sig = vec![0u8; key.public().modulus_len()];
                key.sign(padding, &rng, message, &mut sig).map_err(|_| {
                    Error::signing(format!("{alg} signing with the RSA key failed"))
                })?;
                Ok(sig)
            }
            (Signer::EcdsaP256(key), SigningAlgorithm::Es256)
            | (Signer::EcdsaP384(key), SigningAlgorithm::Es384) => key
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| Error::signing(format!("{alg} signing with the ECDSA key failed"))),
            (signer, alg) => Err(Error::signing(format!(
                "{alg} cannot be used with this certificate's {:?} key; use {}",
                signer.algorithm(),
                match signer.algorithm() {
                    KeyAlgorithm::Rsa => "RS256 or PS256",
                    KeyAlgorithm::EcdsaP256 => "ES256",
                    KeyAlgorithm::EcdsaP384 => "ES384",
                }
            ))),
        }
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.inner.subject)
            .field("issuer", &self.inner.issuer)
            .field("x5t#S256", &self.inner.x5t_s256)
            .field("not_after", &format_unix_utc(self.inner.not_after))
            .finish()
    }
}

// ------------------------------------------------------------------------------------------
// PEM handling

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

// ------------------------------------------------------------------------------------------
// Keys

fn make_signer(key: &LoadedKey) -> Result<Signer, Error> {
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

// ------------------------------------------------------------------------------------------
// Certificates

struct CertInfo {
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    self_signed: bool,
    public_key: Option<(KeyAlgorithm, Vec<u8>)>,
}

impl CertInfo {
    fn matches(&self, signer: &Signer) -> bool {
        self.public_key.as_ref().is_some_and(|(alg, bytes)| {
            *alg == signer.algorithm() && bytes.as_slice() == signer.public_key_bytes()
        })
    }
}

fn parse_cert(der: &[u8], index: usize) -> Result<CertInfo, Error> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        Error::invalid_certificate(format!("certificate #{} cannot be parsed: {e}", index + 1))
    })?;
    if !rest.is_empty() {
        return Err(Error::invalid_certificate(format!(
            "certificate #{} has trailing data after its DER encoding",
            index + 1
        )));
    }
    let spki = cert.public_key();
    let alg = &spki.algorithm;
    let key_alg = if alg.algorithm == OID_PKCS1_RSAENCRYPTION {
        Some(KeyAlgorithm::Rsa)
    } else if alg.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|oid| oid.to_id_string());
        match curve.as_deref() {
            Some("1.2.840.10045.3.1.7") => Some(KeyAlgorithm::EcdsaP256),
            Some("1.3.132.0.34") => Some(KeyAlgorithm::EcdsaP384),
            _ => None,
        }
    } else {
        None
    };
    let validity = cert.validity();
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        public_key: key_alg.map(|a| (a, spki.subject_public_key.data.to_vec())),
    })
}

#[cfg(feature = "pkcs12")]
fn map_pkcs12_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as P;
    match e {
        // The MAC is keyed with the password; without a MAC, a wrong password shows up as bad
        // padding after decryption.
        P::MacError(_) | P::UnpadError => Error::Pkcs12WrongPassword,
        P::UnsupportedEncryptionScheme | P::UnsupportedMacAlgorithm => Error::Pkcs12Invalid {
            reason: "it uses an unsupported encryption or MAC algorithm".to_owned(),
        },
        P::DerError(_) | P::InvalidVersion | P::UnsupportedContentType => Error::Pkcs12Invalid {
            reason: "the data is not a PKCS#12 (PFX) structure".to_owned(),
        },
        other => Error::Pkcs12Invalid {
            reason: other.to_string(),
        },
    }
}

// ------------------------------------------------------------------------------------------
// Small helpers

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0x0f) as usize] as char);
    }
    s
}

pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn system_time(secs: i64) -> SystemTime {
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    t.unwrap_or(UNIX_EPOCH)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn format_unix_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_utc(978_307_200), "2001-01-01 00:00:00 UTC");
        assert_eq!(format_unix_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_utc(4_102_444_799), "2099-12-31 23:59:59 UTC");
        assert_eq!(format_unix_utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex_lower(&[0x00, 0xab, 0x0f, 0xf0]), "00ab0ff0");
    }

    #[test]
    fn unix_seconds_round_trip() {
        for s in [-86_400_i64, 0, 1_700_000_000] {
            assert_eq!(unix_seconds(system_time(s)), s);
        }
    }

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
