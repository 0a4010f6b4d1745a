//! App registrations (what the emulated directory knows about a confidential client).

use std::fmt;

use zeroize::Zeroizing;

/// A confidential-client app registered in one tenant, with the credentials it may use.
///
/// An app may have any mix of secrets, registered certificates and subject-name/issuer (SN/I)
/// subjects; any one of them authenticates it. `Debug` never prints secrets.
#[derive(Clone)]
pub struct AppRegistration {
    pub(crate) client_id: String,
    pub(crate) tenant_id: String,
    pub(crate) secrets: Vec<Zeroizing<String>>,
    pub(crate) certificates: Vec<Vec<u8>>,
    pub(crate) sni_subjects: Vec<String>,
    pub(crate) federated: Vec<FederatedCredential>,
}

/// A federated identity credential: tokens from `issuer` with subject `subject` may be used as a
/// client assertion for the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FederatedCredential {
    pub(crate) issuer: String,
    pub(crate) subject: String,
}

impl AppRegistration {
    /// An app with no credentials yet, registered in `tenant_id` (a tenant GUID, or a domain of a
    /// tenant configured with [`crate::EmulatorBuilder::tenant`]). Unknown tenants are created.
    pub fn new(client_id: &str, tenant_id: &str) -> Self {
        AppRegistration {
            client_id: client_id.to_owned(),
            tenant_id: tenant_id.to_ascii_lowercase(),
            secrets: Vec::new(),
            certificates: Vec::new(),
            sni_subjects: Vec::new(),
            federated: Vec::new(),
        }
    }

    /// Adds a client secret (may be called more than once, e.g. during rotation).
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.secrets.push(Zeroizing::new(secret.to_owned()));
        self
    }

    /// Trusts this exact certificate (matched by DER, i.e. by thumbprint), as when a certificate
    /// is uploaded to the app registration.
    pub fn with_certificate(mut self, cert_der: Vec<u8>) -> Self {
        self.certificates.push(cert_der);
        self
    }

    /// Subject-name/issuer trust: any certificate whose subject CN equals `subject_cn` and that
    /// chains to a [`crate::EmulatorBuilder::trusted_issuer`] authenticates the app. Client
    /// assertions must then carry `x5c`; over mTLS the TLS chain is used.
    pub fn with_subject_name_issuer(mut self, subject_cn: &str) -> Self {
        self.sni_subjects.push(subject_cn.to_owned());
        self
    }

    /// Federated identity credential (FIC): an access token issued by this emulator with `iss`
    /// equal to `issuer` and `sub` equal to `subject` is accepted as this app's client assertion
    /// (`jwt-bearer`, or `jwt-pop` over mTLS when the token is certificate-bound). The token's
    /// audience must be `api://AzureADTokenExchange`.
    pub fn with_federated_credential(mut self, issuer: &str, subject: &str) -> Self {
        self.federated.push(FederatedCredential {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
        });
        self
    }

    /// The client (application) id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The tenant the app is registered in, as given.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The object id of the app's service principal (the `oid`/`sub` of its tokens).
    pub(crate) fn object_id(&self) -> String {
        object_id(&self.client_id)
    }
}

/// A stable object id for the service principal of app `client_id`: a UUID made of the first 16
/// bytes of SHA-256 over the client id.
pub(crate) fn object_id(client_id: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, client_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field(
                "certificates",
                &self
                    .certificates
                    .iter()
                    .map(|c| crate::certs::x5t_s256(c))
                    .collect::<Vec<_>>(),
            )
            .field("sni_subjects", &self.sni_subjects)
            .field("federated", &self.federated)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_is_stable_uuid() {
        assert_eq!(object_id("a"), object_id("a"));
        assert_ne!(object_id("a"), object_id("b"));
        assert!(uuid::Uuid::parse_str(&object_id("a")).is_ok());
    }
}
