//! Client credentials of a confidential client, and the questions the acquisition flow asks
//! them: can they bind a token, which certificate goes into TLS, and what goes into the form.

mod provider;
mod token_file;

use std::fmt;
use std::sync::Arc;

use oauth2_core::{
    AssertionCache, AssertionFlavor, AssertionOptions, AuthorityKind, ClientAuthentication,
    ClientCertificate, SecretString, TokenType, JWT_BEARER_ASSERTION_TYPE, JWT_POP_ASSERTION_TYPE,
};

pub use provider::{
    AssertionContext, BoundAssertion, BoundAssertionProvider, ClientAssertionProvider,
};
pub(crate) use provider::{FnAssertionProvider, FnBoundAssertionProvider};
pub(crate) use token_file::TokenFileAssertion;

use crate::certificate_source::CertificateSource;
use crate::Error;

/// The credential an application authenticates with.
#[derive(Clone)]
pub(crate) enum ClientCredential {
    Secret(SecretString),
    Certificate {
        certificate: CertificateSource,
        send_x5c: bool,
        /// Bearer over mTLS: present the certificate in TLS and send the assertion to the
        /// mTLS host.
        over_mtls: bool,
    },
    Assertion(SecretString),
    AssertionProvider(Arc<dyn ClientAssertionProvider>),
    BoundAssertion(BoundAssertion),
    BoundAssertionProvider(Arc<dyn BoundAssertionProvider>),
    /// RFC 8705 mutual-TLS client authentication (`tls_client_auth` or
    /// `self_signed_tls_client_auth`): the certificate in TLS, `client_id` in the body, nothing
    /// else; every request presents it, so every token is bound to it.
    TlsClientAuth(CertificateSource),
}

/// The certificate a request presents in TLS and, for bound assertions, the assertion that
/// travels with it: known once per network request.
#[derive(Debug, Default)]
pub(crate) struct RequestIdentity {
    pub(crate) certificate: Option<ClientCertificate>,
    pub(crate) bound_assertion: Option<SecretString>,
}

/// What client authentication is built from, besides the credential.
#[derive(Debug)]
pub(crate) struct AuthenticationContext<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) token_endpoint: &'a str,
    pub(crate) authority_kind: AuthorityKind,
    pub(crate) token_type: TokenType,
    pub(crate) over_mtls: bool,
    /// The certificate credential's current certificate (it signs the assertion).
    pub(crate) certificate: Option<&'a ClientCertificate>,
    pub(crate) assertions: &'a AssertionCache,
    pub(crate) now: std::time::SystemTime,
}

impl ClientCredential {
    /// The credential's name in messages and `Debug`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ClientCredential::Secret(_) => "client_secret",
            ClientCredential::Certificate { .. } => "certificate",
            ClientCredential::Assertion(_) => "client_assertion",
            ClientCredential::AssertionProvider(_) => "client_assertion_provider",
            ClientCredential::BoundAssertion(_) => "bound_client_assertion",
            ClientCredential::BoundAssertionProvider(_) => "bound_client_assertion_provider",
            ClientCredential::TlsClientAuth(_) => "tls_client_certificate",
        }
    }

    /// The credential as configured by the builder's options, or why they do not fit it.
    pub(crate) fn configured(self, send_x5c: bool, over_mtls: bool) -> Result<Self, Error> {
        match self {
            ClientCredential::Certificate { certificate, .. } => Ok(ClientCredential::Certificate {
                certificate,
                send_x5c,
                over_mtls,
            }),
            other if over_mtls => Err(Error::InvalidCredentialMaterial {
                reason: format!(
                    "send_certificate_over_mtls is only valid with a certificate credential (.certificate(...)), not a {}",
                    other.kind()
                ),
            }),
            ClientCredential::BoundAssertion(b) if b.assertion().is_empty() => {
                Err(Error::InvalidClientAssertion)
            }
            ClientCredential::Secret(s) if s.is_empty() => Err(Error::NoCredential),
            ClientCredential::Assertion(a) if a.is_empty() => Err(Error::InvalidClientAssertion),
            other => Ok(other),
        }
    }

    /// Where a certificate credential's certificate comes from (`None`: not a certificate
    /// credential).
    pub(crate) fn certificate_source(&self) -> Option<&CertificateSource> {
        match self {
            ClientCredential::Certificate { certificate, .. }
            | ClientCredential::TlsClientAuth(certificate) => Some(certificate),
            _ => None,
        }
    }

    /// Whether a provider supplies the binding certificate (known only after calling it).
    pub(crate) fn has_bound_assertion_provider(&self) -> bool {
        matches!(self, ClientCredential::BoundAssertionProvider(_))
    }

    /// Whether a token can be bound to a certificate with this credential.
    pub(crate) fn can_bind(&self) -> bool {
        match self {
            ClientCredential::Certificate { .. }
            | ClientCredential::BoundAssertionProvider(_)
            | ClientCredential::TlsClientAuth(_) => true,
            ClientCredential::BoundAssertion(bound) => bound.binding_certificate().is_some(),
            ClientCredential::Secret(_)
            | ClientCredential::Assertion(_)
            | ClientCredential::AssertionProvider(_) => false,
        }
    }

    /// The certificate presented in TLS for a `token_type` request, as far as it is known
    /// before a provider is called; its `x5t#S256` is the cache key id. `current` is a
    /// certificate credential's certificate for this call (from its source). For a
    /// bound-assertion provider it is the certificate the provider returned last
    /// (`last_binding`).
    pub(crate) fn planned_identity(
        &self,
        token_type: TokenType,
        current: Option<&ClientCertificate>,
        last_binding: impl FnOnce() -> Option<ClientCertificate>,
    ) -> Option<ClientCertificate> {
        match self {
            ClientCredential::BoundAssertionProvider(_) => last_binding(),
            _ => self.known_identity(token_type, current).cloned(),
        }
    }

    /// [`Self::planned_identity`] for every credential but a bound-assertion provider (whose
    /// certificate is known only by asking it: `None` here), borrowed.
    pub(crate) fn known_identity<'a>(
        &'a self,
        token_type: TokenType,
        current: Option<&'a ClientCertificate>,
    ) -> Option<&'a ClientCertificate> {
        match self {
            ClientCredential::Certificate { over_mtls, .. }
                if token_type == TokenType::MtlsPop || *over_mtls =>
            {
                current
            }
            ClientCredential::BoundAssertion(bound) => bound.binding_certificate(),
            ClientCredential::TlsClientAuth(_) => current,
            ClientCredential::Certificate { .. }
            | ClientCredential::BoundAssertionProvider(_)
            | ClientCredential::Secret(_)
            | ClientCredential::Assertion(_)
            | ClientCredential::AssertionProvider(_) => None,
        }
    }

    /// The identity of one network request: a bound-assertion provider is called here (once
    /// per network request, never on cache hits); everything else is what was planned.
    pub(crate) async fn request_identity(
        &self,
        planned: Option<&ClientCertificate>,
        context: impl FnOnce() -> AssertionContext,
    ) -> Result<RequestIdentity, Error> {
        let bound = match self {
            ClientCredential::BoundAssertion(bound) => bound.clone(),
            ClientCredential::BoundAssertionProvider(provider) => provider
                .bound_assertion(&context())
                .await
                .map_err(Error::assertion_provider)?,
            _ => {
                return Ok(RequestIdentity {
                    certificate: planned.cloned(),
                    bound_assertion: None,
                })
            }
        };
        Ok(RequestIdentity {
            certificate: bound.binding_certificate().cloned(),
            bound_assertion: Some(bound.assertion().clone()),
        })
    }

    /// How the request proves the client's identity (form fields or TLS).
    pub(crate) async fn authentication(
        &self,
        context: &AuthenticationContext<'_>,
        bound_assertion: Option<SecretString>,
    ) -> Result<ClientAuthentication, Error> {
        Ok(match self {
            ClientCredential::Secret(secret) => ClientAuthentication::Secret(secret.clone()),
            ClientCredential::TlsClientAuth(_) => ClientAuthentication::TlsClientCertificate,
            // PoP with a certificate: the TLS handshake authenticates; no assertion is sent.
            ClientCredential::Certificate { .. } if context.token_type == TokenType::MtlsPop => {
                ClientAuthentication::TlsClientCertificate
            }
            ClientCredential::Certificate { send_x5c, .. } => {
                let certificate = context.certificate.ok_or(Error::NoCredential)?;
                signed_assertion(certificate, *send_x5c, context)?
            }
            ClientCredential::Assertion(assertion) => jwt_bearer(assertion.clone()),
            ClientCredential::AssertionProvider(provider) => {
                let assertion_context = AssertionContext {
                    client_id: context.client_id.to_owned(),
                    token_endpoint: context.token_endpoint.to_owned(),
                };
                let jwt = provider
                    .client_assertion(&assertion_context)
                    .await
                    .map_err(Error::assertion_provider)?;
                non_empty(SecretString::new(jwt)).map(jwt_bearer)?
            }
            ClientCredential::BoundAssertion(_) | ClientCredential::BoundAssertionProvider(_) => {
                let assertion = non_empty(bound_assertion.unwrap_or_default())?;
                ClientAuthentication::Assertion {
                    assertion,
                    // jwt-pop whenever the assertion travels with its binding certificate.
                    assertion_type: if context.over_mtls {
                        JWT_POP_ASSERTION_TYPE
                    } else {
                        JWT_BEARER_ASSERTION_TYPE
                    },
                }
            }
        })
    }
}

/// A client assertion signed with the certificate (cached and reused while fresh): PS256 with
/// `x5t#S256`, `aud` = the token endpoint, and `x5c` when asked for or over mTLS (Bearer over
/// mTLS always sends the chain, as MSAL.NET does).
fn signed_assertion(
    certificate: &ClientCertificate,
    send_x5c: bool,
    context: &AuthenticationContext<'_>,
) -> Result<ClientAuthentication, Error> {
    let mut options = AssertionOptions::new(context.client_id, context.token_endpoint);
    options.send_x5c = send_x5c || context.over_mtls;
    options.flavor = match context.authority_kind {
        AuthorityKind::Adfs => AssertionFlavor::Adfs,
        _ => AssertionFlavor::Entra,
    };
    let assertion = context
        .assertions
        .get_or_sign(certificate, &options, context.now)?;
    Ok(jwt_bearer(assertion.jwt().clone()))
}

fn jwt_bearer(assertion: SecretString) -> ClientAuthentication {
    ClientAuthentication::Assertion {
        assertion,
        assertion_type: JWT_BEARER_ASSERTION_TYPE,
    }
}

fn non_empty(assertion: SecretString) -> Result<SecretString, Error> {
    if assertion.expose_secret().trim().is_empty() {
        Err(Error::InvalidClientAssertion)
    } else {
        Ok(assertion)
    }
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCredential::Certificate {
                certificate,
                send_x5c,
                over_mtls,
            } => f
                .debug_struct("Certificate")
                .field("certificate", certificate)
                .field("send_x5c", send_x5c)
                .field("over_mtls", over_mtls)
                .finish(),
            ClientCredential::BoundAssertion(b) => fmt::Debug::fmt(b, f),
            ClientCredential::TlsClientAuth(certificate) => {
                f.debug_tuple("TlsClientAuth").field(certificate).finish()
            }
            other => write!(f, "{}(<redacted>)", other.kind()),
        }
    }
}
