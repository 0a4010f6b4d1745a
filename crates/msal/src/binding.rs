//! The certificate an mTLS PoP token is bound to, and calling a resource with it.

use std::fmt;

use oauth2_core::ClientCertificate;

/// The certificate a token is bound to (`cnf.x5t#S256`). Its accessors give public material
/// only; [`BindingCertificate::client_identity`] gives the certificate with its key for the
/// mTLS connection to the resource.
#[derive(Clone)]
pub struct BindingCertificate {
    certificate: ClientCertificate,
}

impl BindingCertificate {
    pub(crate) fn new(certificate: ClientCertificate) -> Self {
        Self { certificate }
    }

    /// The certificate chain, leaf first, each standard base64 DER (`x5c`).
    pub fn x5c(&self) -> &[String] {
        self.certificate.x5c()
    }

    /// SHA-256 thumbprint of the leaf, lower-case hex.
    pub fn thumbprint_sha256(&self) -> &str {
        self.certificate.thumbprint_sha256_hex()
    }

    /// `x5t#S256`: base64url SHA-256 of the leaf DER. The token's `cnf` claim carries this value
    /// and the token cache keys bound tokens by it.
    pub fn x5t_s256(&self) -> &str {
        self.certificate.x5t_s256()
    }

    /// The leaf certificate's DER.
    pub fn leaf_der(&self) -> &[u8] {
        self.certificate.leaf_der()
    }

    /// The full client identity (certificate chain and private key) to present in TLS when
    /// calling the resource. The resource rejects the token from any other certificate.
    pub fn client_identity(&self) -> &ClientCertificate {
        &self.certificate
    }
}

impl fmt::Debug for BindingCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindingCertificate")
            .field("subject", &self.certificate.subject())
            .field("x5t#S256", &self.certificate.x5t_s256())
            .finish()
    }
}
