//! The extension points for assertions: providers, async-closure adapters and bound assertions.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use oauth2_core::{ClientCertificate, SecretString};

use crate::error::BoxError;

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

/// A client assertion together with the certificate it is bound to: what leg 2 of a federated
/// (FIC) exchange over mTLS sends. With a binding certificate the request goes over mTLS
/// presenting it, with `client_assertion_type` `jwt-pop`; without one it is an ordinary
/// `jwt-bearer` assertion over TLS.
#[derive(Clone)]
pub struct BoundAssertion {
    assertion: SecretString,
    binding_certificate: Option<ClientCertificate>,
}

impl BoundAssertion {
    /// An assertion (e.g. a leg-1 `mtls_pop` token) and the certificate it is bound to.
    pub fn new(
        assertion: impl Into<SecretString>,
        binding_certificate: Option<ClientCertificate>,
    ) -> Self {
        Self {
            assertion: assertion.into(),
            binding_certificate,
        }
    }

    /// Leg 1's result as leg 2's credential: its token and its binding certificate. `None` for a
    /// result that is not certificate-bound.
    pub fn from_result(result: &crate::AuthenticationResult) -> Option<Self> {
        let binding = result.binding_certificate()?;
        Some(Self::new(
            result.access_token().clone(),
            Some(binding.client_identity().clone()),
        ))
    }

    /// The assertion.
    pub fn assertion(&self) -> &SecretString {
        &self.assertion
    }

    /// The certificate the assertion is bound to, if any.
    pub fn binding_certificate(&self) -> Option<&ClientCertificate> {
        self.binding_certificate.as_ref()
    }
}

impl fmt::Debug for BoundAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundAssertion")
            .field("assertion", &"<redacted>")
            .field("binding_certificate", &self.binding_certificate)
            .finish()
    }
}

/// Supplies an assertion and its binding certificate together for each network token request,
/// so the two cannot drift apart when the certificate rotates. Called once per network request,
/// never on cache hits.
#[async_trait::async_trait]
pub trait BoundAssertionProvider: Send + Sync + fmt::Debug {
    /// Return the assertion and the certificate it is bound to.
    async fn bound_assertion(&self, context: &AssertionContext)
        -> Result<BoundAssertion, BoxError>;

    /// The certificate the next assertion would be bound to, if the provider can tell cheaply:
    /// it is asked on every acquisition, cache hits included, and its answer picks the cache
    /// partition, so the first call after a rotation never returns a token bound to the
    /// previous certificate. `None` (the default) assumes the certificate returned last: after
    /// a rotation, tokens bound to the previous certificate are then served until the next
    /// network request. [`FederatedLeg1`](crate::FederatedLeg1) answers with its leg-1
    /// application's current certificate.
    async fn current_binding_certificate(&self) -> Result<Option<ClientCertificate>, BoxError> {
        Ok(None)
    }
}

type BoundFuture = Pin<Box<dyn Future<Output = Result<BoundAssertion, BoxError>> + Send>>;

/// Adapts an async closure into a [`BoundAssertionProvider`].
pub(crate) struct FnBoundAssertionProvider<F>(pub(crate) F);

impl<F> fmt::Debug for FnBoundAssertionProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnBoundAssertionProvider")
    }
}

#[async_trait::async_trait]
impl<F> BoundAssertionProvider for FnBoundAssertionProvider<F>
where
    F: Fn(AssertionContext) -> BoundFuture + Send + Sync,
{
    async fn bound_assertion(
        &self,
        context: &AssertionContext,
    ) -> Result<BoundAssertion, BoxError> {
        (self.0)(context.clone()).await
    }
}
