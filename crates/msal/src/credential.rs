//! Client credentials of a confidential client.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use oauth2_core::{ClientCertificate, SecretString};

/// A boxed error returned by user callbacks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a client-assertion provider is told about the request it signs for.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AssertionContext {
    /// The application (client) id.
    pub client_id: String,
    /// The token endpoint the assertion is sent to (its `aud`).
    pub token_endpoint: String,
}

/// Supplies a client assertion (a signed JWT) for each token request, e.g. a federated token.
///
/// It is called once per network token request and never on cache hits.
#[async_trait::async_trait]
pub trait ClientAssertionProvider: Send + Sync + fmt::Debug {
    /// Return a signed JWT for `context`.
    async fn client_assertion(&self, context: &AssertionContext) -> Result<String, BoxError>;
}

type AssertionFuture = Pin<Box<dyn Future<Output = Result<String, BoxError>> + Send>>;

/// Adapts an async closure into a [`ClientAssertionProvider`].
pub(crate) struct FnAssertionProvider<F>(pub(crate) F);

impl<F> fmt::Debug for FnAssertionProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnAssertionProvider")
    }
}

#[async_trait::async_trait]
impl<F> ClientAssertionProvider for FnAssertionProvider<F>
where
    F: Fn(AssertionContext) -> AssertionFuture + Send + Sync,
{
    async fn client_assertion(&self, context: &AssertionContext) -> Result<String, BoxError> {
        (self.0)(context.clone()).await
    }
}

/// The credential an application authenticates with.
#[derive(Clone)]
pub(crate) enum ClientCredential {
    Secret(SecretString),
    Certificate {
        certificate: ClientCertificate,
        send_x5c: bool,
    },
    Assertion(SecretString),
    AssertionProvider(Arc<dyn ClientAssertionProvider>),
}

impl ClientCredential {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ClientCredential::Secret(_) => "client_secret",
            ClientCredential::Certificate { .. } => "certificate",
            ClientCredential::Assertion(_) => "client_assertion",
            ClientCredential::AssertionProvider(_) => "client_assertion_provider",
        }
    }
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCredential::Certificate {
                certificate,
                send_x5c,
            } => f
                .debug_struct("Certificate")
                .field("certificate", certificate)
                .field("send_x5c", send_x5c)
                .finish(),
            other => write!(f, "{}(<redacted>)", other.kind()),
        }
    }
}
