//! Client certificates: loading (PEM, PKCS#12), validation, thumbprints and signing.
//!
//! One file per job: [`pem`] and [`pkcs12`] load, [`key_der`] reads what a private key says it
//! is, [`key`] turns it into a signer,
//! [`x509`] reads the certificates, [`chain`] checks that each is issued by the next,
//! [`validity`] checks the validity period, [`thumbprint`]
//! computes the JOSE header values, [`signer`] defines the signing-key abstraction
//! ([`KeySigner`]: in memory with `ring`, or external such as a PKCS#11 token) and [`sign`]
//! signs. This file assembles a [`ClientCertificate`] from their results.

mod algorithm;
mod chain;
mod der;
mod key;
mod key_der;
mod pem;
#[cfg(feature = "pkcs12")]
mod pkcs12;
mod sign;
mod signer;
mod thumbprint;
mod validity;
mod x509;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use rustls_pki_types::CertificateDer;

pub use algorithm::{KeyAlgorithm, SigningAlgorithm};
pub use der::{ecdsa_signature_der, rsa_public_key_der, subject_public_key_info_der};
pub use signer::KeySigner;

use key::LoadedKey;
use thumbprint::Thumbprints;
use validity::Validity;

use crate::Error;

/// A client certificate with its private key: the credential for client assertions and for TLS
/// client authentication (mTLS).
///
/// Loaded once from bytes (this crate does no file I/O); cloning is cheap (an `Arc`).
///
/// At load time the certificate chain and the key are parsed, the key is checked against the
/// leaf certificate's public key, the chain's links are checked, the leaf's validity period is
/// checked against the current time, and the thumbprints and `x5c` values are computed.
///
/// # Chain order
///
/// The leaf is the certificate whose public key matches the private key. It normally comes
/// first; if it does not, it is moved to the front and the other certificates keep their order.
///
/// Each certificate must then be issued by the one after it: its issuer name is the next one's
/// subject and its signature verifies with the next one's public key. Otherwise loading fails
/// with [`Error::CertificateChainBroken`], naming the first break; a server would reject such a
/// chain anyway (Entra: AADSTS700027). The last certificate is not checked, so the leaf alone,
/// and a chain that ends at an intermediate (the root left out), are fine.
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
///
/// # Keys that stay in hardware
///
/// [`ClientCertificate::from_signer`] attaches a [`KeySigner`] (e.g. a PKCS#11 token's key)
/// instead of key bytes: the certificate then signs through it, for assertions and (via
/// mtls-transport) for the TLS handshake, and [`ClientCertificate::private_key_der`] answers
/// [`Error::KeyNotExportable`].
#[derive(Clone)]
pub struct ClientCertificate {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every certificate loaded, leaf first.
    chain: Vec<CertificateDer<'static>>,
    /// The leaf and the certificates that are not self-signed.
    tls_chain: Vec<CertificateDer<'static>>,
    /// SHA-256 (hex) over `tls_chain`.
    chain_id: String,
    thumbprints: Thumbprints,
    subject: String,
    issuer: String,
    validity: Validity,
    /// The key bytes, for keys loaded into memory; `None` behind an external signer.
    key: Option<LoadedKey>,
    signer: Arc<dyn KeySigner>,
}

impl ClientCertificate {
    /// Assembles a certificate from its parsed chain and key, and checks it is valid at `now`.
    fn build(
        certs: Vec<CertificateDer<'static>>,
        key: LoadedKey,
        now: SystemTime,
    ) -> Result<Self, Error> {
        if certs.is_empty() {
            return Err(Error::NoCertificate);
        }
        let signer = Arc::new(key::make_signer(&key)?);
        Self::assemble(certs, Some(key), signer, now)
    }

    /// A certificate whose private key is `signer`'s, held outside this process's memory (a
    /// PKCS#11 token, an HSM): `chain` is the leaf and its issuers (any order, as for PEM).
    ///
    /// The same checks as for PEM and PKCS#12 run: the leaf is the certificate whose public key
    /// is [`KeySigner::public_key`] ([`Error::KeyMismatch`] if none is), the chain's links and the
    /// leaf's validity period. The signer is not called here.
    ///
    /// See [`KeySigner`] for an example.
    pub fn from_signer(
        chain: Vec<CertificateDer<'static>>,
        signer: Arc<dyn KeySigner>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::NoCertificate);
        }
        Self::assemble(chain, None, signer, SystemTime::now())
    }

    /// Checks the chain against `signer`'s public key and assembles the certificate.
    fn assemble(
        mut certs: Vec<CertificateDer<'static>>,
        key: Option<LoadedKey>,
        signer: Arc<dyn KeySigner>,
        now: SystemTime,
    ) -> Result<Self, Error> {
        // Parse every certificate once; the leaf is the one the key belongs to.
        let mut infos = certs
            .iter()
            .enumerate()
            .map(|(i, der)| x509::parse_cert(der, i))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf_index = infos
            .iter()
            .position(|info| info.matches(signer.as_ref()))
            .ok_or(Error::KeyMismatch)?;
        // Move the leaf to the front; the others keep their order.
        certs[..=leaf_index].rotate_right(1);
        infos[..=leaf_index].rotate_right(1);
        chain::check_links(&certs)?;

        let tls_chain: Vec<_> = certs
            .iter()
            .zip(&infos)
            .enumerate()
            .filter(|(i, (_, info))| *i == 0 || !info.self_signed)
            .map(|(_, (der, _))| der.clone())
            .collect();
        let leaf = infos.swap_remove(0);
        let inner = Inner {
            thumbprints: Thumbprints::of(&certs),
            subject: leaf.subject,
            issuer: leaf.issuer,
            validity: leaf.validity,
            chain: certs,
            chain_id: chain::chain_id(&tls_chain),
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

    /// Every certificate loaded, leaf first.
    pub fn chain_der(&self) -> &[CertificateDer<'static>] {
        &self.inner.chain
    }

    /// The chain to present in a TLS handshake: the leaf plus intermediates, with self-signed
    /// (root) certificates removed. The leaf is always included, even when self-signed.
    pub fn tls_chain(&self) -> Vec<CertificateDer<'static>> {
        self.inner.tls_chain.clone()
    }

    /// Identifies the TLS identity: lowercase hex SHA-256 over the certificates of
    /// [`ClientCertificate::tls_chain`], in order. Two certificates with the same `chain_id`
    /// present exactly the same chain in a TLS handshake (and, as the key matches the leaf,
    /// hold the same key).
    ///
    /// Unlike [`ClientCertificate::x5t_s256`], which names the leaf alone, it changes when the
    /// intermediates change, so connection pools keyed by it never reuse a connection that
    /// presented another chain for the same leaf.
    pub fn chain_id(&self) -> &str {
        &self.inner.chain_id
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
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.inner.subject)
            .field("issuer", &self.inner.issuer)
            .field("x5t#S256", &self.x5t_s256())
            .field("not_after", &self.inner.validity.not_after_utc())
            .finish()
    }
}
