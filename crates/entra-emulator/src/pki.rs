//! A small test PKI, so tests and demos can make client certificates the emulator trusts.
//!
//! * [`TestCa`] is a fresh ECDSA P-256 certificate authority. Register it with
//!   [`crate::EmulatorBuilder::trusted_issuer`] to enable subject-name/issuer (SN/I) trust.
//! * [`TestCa::issue`] signs a leaf certificate for either one of the bundled RSA-2048 test keys
//!   (`rcgen` with the `ring` backend cannot generate RSA keys) or a fresh ECDSA P-256 key.
//!   Issuing twice with the same [`KeyChoice::Rsa`] index gives a *renewed certificate with the
//!   same key*: different DER, different `x5t#S256`, same public key.
//!
//! The bundled RSA keys are public test fixtures committed to the repository; never use them for
//! anything but tests.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use ring::rand::SecureRandom as _;

use crate::error::Error;

const BUNDLED_RSA_KEYS: [&str; 4] = [
    include_str!("../keys/rsa-2048-0.pk8.pem"),
    include_str!("../keys/rsa-2048-1.pk8.pem"),
    include_str!("../keys/rsa-2048-2.pk8.pem"),
    include_str!("../keys/rsa-2048-3.pk8.pem"),
];

/// How many pre-generated RSA-2048 test keys are bundled (valid [`KeyChoice::Rsa`] indices are
/// `0..bundled_rsa_key_count()`).
pub fn bundled_rsa_key_count() -> usize {
    BUNDLED_RSA_KEYS.len()
}

/// The PKCS#8 PEM of bundled RSA test key `index`, or `None` when out of range.
///
/// These keys are public test fixtures; they are not secret.
pub fn bundled_rsa_key_pem(index: usize) -> Option<&'static str> {
    BUNDLED_RSA_KEYS.get(index).copied()
}

/// Which key a certificate is issued for.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChoice {
    /// Bundled RSA-2048 test key with this index (see [`bundled_rsa_key_count`]).
    Rsa(usize),
    /// A fresh ECDSA P-256 key.
    EcdsaP256,
}

/// What to put into an issued leaf certificate.
#[derive(Clone, Debug)]
pub struct CertRequest {
    /// Subject common name (CN); SN/I trust compares it with the registered subject.
    pub subject_cn: String,
    /// The key the certificate is issued for.
    pub key: KeyChoice,
    /// Start of validity; `None` means one hour ago.
    pub not_before: Option<SystemTime>,
    /// End of validity; `None` means 365 days from now.
    pub not_after: Option<SystemTime>,
}

impl CertRequest {
    /// A request for `common_name` with bundled RSA key 0, valid from one hour ago for 365 days.
    pub fn new(common_name: &str) -> Self {
        CertRequest {
            subject_cn: common_name.to_owned(),
            key: KeyChoice::Rsa(0),
            not_before: None,
            not_after: None,
        }
    }

    /// Uses `key` instead of bundled RSA key 0.
    pub fn with_key(mut self, key: KeyChoice) -> Self {
        self.key = key;
        self
    }

    /// Sets an explicit validity window (for expiry tests).
    pub fn with_validity(mut self, not_before: SystemTime, not_after: SystemTime) -> Self {
        self.not_before = Some(not_before);
        self.not_after = Some(not_after);
        self
    }
}

/// A leaf certificate issued by a [`TestCa`], with its private key.
///
/// `Debug` never prints the private key.
#[derive(Clone)]
pub struct IssuedCertificate {
    /// The leaf certificate, DER.
    pub leaf_der: Vec<u8>,
    /// PEM of the leaf followed by the issuing CA chain (leaf first, root last).
    pub chain_pem: String,
    /// The leaf's private key, PKCS#8 PEM. Test material only.
    pub key_pem: String,
}

impl IssuedCertificate {
    /// RFC 8705 `x5t#S256` of the leaf: base64url (no padding) of SHA-256 over the DER.
    pub fn x5t_s256(&self) -> String {
        crate::certs::x5t_s256(&self.leaf_der)
    }
}

impl fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("x5t#S256", &self.x5t_s256())
            .field("leaf_der_len", &self.leaf_der.len())
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// A test certificate authority with a fresh ECDSA P-256 key.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    cert_der: Vec<u8>,
    /// PEM of this CA followed by the CAs above it (for intermediates).
    chain_pem: String,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("x5t#S256", &crate::certs::x5t_s256(&self.cert_der))
            .field("key", &"<redacted>")
            .finish()
    }
}

fn random_serial() -> Result<SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Certificate {
            what: "the system random generator failed".to_owned(),
            source: None,
        })?;
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    Ok(SerialNumber::from_slice(&bytes))
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn ca_params(common_name: &str) -> Result<CertificateParams, Error> {
    let now = SystemTime::now();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = (now - Duration::from_secs(3600)).into();
    params.not_after = (now + Duration::from_secs(10 * 365 * 86400)).into();
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

fn key_for(choice: KeyChoice) -> Result<KeyPair, Error> {
    match choice {
        KeyChoice::Rsa(index) => {
            let pem = bundled_rsa_key_pem(index).ok_or(Error::UnknownBundledKey {
                index,
                count: bundled_rsa_key_count(),
            })?;
            KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
                .map_err(|e| Error::certificate("loading a bundled RSA key", e))
        }
        KeyChoice::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Error::certificate("generating an ECDSA P-256 key", e)),
    }
}

impl TestCa {
    /// A new self-signed root CA named `common_name` with a fresh ECDSA P-256 key, valid from one
    /// hour ago for ten years.
    pub fn new(common_name: &str) -> Result<Self, Error> {
        let params = ca_params(common_name)?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Error::certificate("generating the CA key", e))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| Error::certificate("self-signing the CA certificate", e))?;
        let cert_der = cert.der().to_vec();
        let chain_pem = pem_encode("CERTIFICATE", &cert_der);
        Ok(TestCa {
            params,
            key,
            cert_der,
            chain_pem,
        })
    }

    /// A new intermediate CA (fresh ECDSA P-256 key) signed by this CA. Leaves it issues carry a
    /// chain of leaf, intermediate, then this CA's chain.
    pub fn issue_intermediate(&self, common_name: &str) -> Result<TestCa, Error> {
        let params = ca_params(common_name)?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Error::certificate("generating the intermediate CA key", e))?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| Error::certificate("signing the intermediate CA certificate", e))?;
        let cert_der = cert.der().to_vec();
        let chain_pem = format!("{}{}", pem_encode("CERTIFICATE", &cert_der), self.chain_pem);
        Ok(TestCa {
            params,
            key,
            cert_der,
            chain_pem,
        })
    }

    /// This CA's certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.cert_der.clone()
    }

    /// This CA's certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.cert_der)
    }

    /// Issues a client (leaf) certificate for `req`.
    pub fn issue(&self, req: &CertRequest) -> Result<IssuedCertificate, Error> {
        self.sign_leaf(&leaf_params(req)?, req.key)
    }

    /// Issues a client (leaf) certificate for a public key whose private key is held elsewhere
    /// (a PKCS#11 token, an HSM): `spki_der` is its DER `SubjectPublicKeyInfo`. `req.key` is
    /// ignored, and the result's `key_pem` is empty: there is no private key to give.
    pub fn issue_for_public_key(
        &self,
        req: &CertRequest,
        spki_der: &[u8],
    ) -> Result<IssuedCertificate, Error> {
        let public_key = rcgen::SubjectPublicKeyInfo::from_der(spki_der)
            .map_err(|e| Error::certificate("reading the SubjectPublicKeyInfo", e))?;
        self.sign_for(&leaf_params(req)?, &public_key, String::new())
    }

    /// Issues a TLS server certificate for `names` (DNS names or IP addresses) with a fresh
    /// ECDSA P-256 key.
    pub(crate) fn issue_server(&self, names: &[String]) -> Result<IssuedCertificate, Error> {
        let now = SystemTime::now();
        let mut params = CertificateParams::new(names.to_vec())
            .map_err(|e| Error::certificate("building the server certificate names", e))?;
        params.distinguished_name = dn("Entra emulator TLS server");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = (now - Duration::from_secs(3600)).into();
        params.not_after = (now + Duration::from_secs(30 * 86400)).into();
        params.serial_number = Some(random_serial()?);
        self.sign_leaf(&params, KeyChoice::EcdsaP256)
    }

    fn sign_leaf(
        &self,
        params: &CertificateParams,
        key: KeyChoice,
    ) -> Result<IssuedCertificate, Error> {
        let key = key_for(key)?;
        self.sign_for(params, &key, key.serialize_pem())
    }

    /// Signs a leaf certificate for `public_key`, handed out with `key_pem` (its private key's
    /// PEM, or empty when it is held elsewhere).
    fn sign_for(
        &self,
        params: &CertificateParams,
        public_key: &impl rcgen::PublicKeyData,
        key_pem: String,
    ) -> Result<IssuedCertificate, Error> {
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params
            .signed_by(public_key, &issuer)
            .map_err(|e| Error::certificate("signing the leaf certificate", e))?;
        let leaf_der = cert.der().to_vec();
        Ok(IssuedCertificate {
            chain_pem: format!("{}{}", pem_encode("CERTIFICATE", &leaf_der), self.chain_pem),
            leaf_der,
            key_pem,
        })
    }
}

/// The parameters of a client certificate for `req`: client-auth EKU, a random serial.
fn leaf_params(req: &CertRequest) -> Result<CertificateParams, Error> {
    let now = SystemTime::now();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(&req.subject_cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = req
        .not_before
        .unwrap_or(now - Duration::from_secs(3600))
        .into();
    params.not_after = req
        .not_after
        .unwrap_or(now + Duration::from_secs(365 * 86400))
        .into();
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_rsa_and_ecdsa() {
        let ca = TestCa::new("Test Root").unwrap();
        let a = ca.issue(&CertRequest::new("app.contoso.test")).unwrap();
        let b = ca.issue(&CertRequest::new("app.contoso.test")).unwrap();
        assert_ne!(a.leaf_der, b.leaf_der, "renewal must change the DER");
        let (_, pa) = x509_parser::parse_x509_certificate(&a.leaf_der).unwrap();
        let (_, pb) = x509_parser::parse_x509_certificate(&b.leaf_der).unwrap();
        assert_eq!(
            pa.public_key().raw,
            pb.public_key().raw,
            "same key index, same key"
        );
        let ca_der = ca.certificate_der();
        let (_, ca_cert) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        pa.verify_signature(Some(ca_cert.public_key())).unwrap();
        assert!(a.chain_pem.matches("BEGIN CERTIFICATE").count() == 2);
        assert!(a.key_pem.contains("BEGIN PRIVATE KEY"));
        assert!(!format!("{a:?}").contains("PRIVATE"));

        let e = ca
            .issue(&CertRequest::new("ec").with_key(KeyChoice::EcdsaP256))
            .unwrap();
        let (_, pe) = x509_parser::parse_x509_certificate(&e.leaf_der).unwrap();
        assert_ne!(pe.public_key().raw, pa.public_key().raw);
        assert!(matches!(
            ca.issue(&CertRequest::new("x").with_key(KeyChoice::Rsa(99))),
            Err(Error::UnknownBundledKey { index: 99, .. })
        ));
    }

    #[test]
    fn intermediate_chain() {
        let root = TestCa::new("Root").unwrap();
        let inter = root.issue_intermediate("Intermediate").unwrap();
        let leaf = inter.issue(&CertRequest::new("leaf")).unwrap();
        assert_eq!(leaf.chain_pem.matches("BEGIN CERTIFICATE").count(), 3);
    }
}
