//! Leg 1 of a federated (FIC) two-leg exchange over mTLS, as a bound-assertion provider.

use crate::credential::{AssertionContext, BoundAssertion, BoundAssertionProvider};
use crate::error::BoxError;
use crate::ConfidentialClientApplication;

/// The audience of the token a federated (leg-1) credential is requested for.
pub const TOKEN_EXCHANGE_SCOPE: &str = "api://AzureADTokenExchange/.default";

/// Leg 1 of a federated exchange as a [`BoundAssertionProvider`]: acquires an `mtls_pop` token
/// for [`TOKEN_EXCHANGE_SCOPE`] with the leg-1 application (served from its cache while valid)
/// and hands it, with its binding certificate, to leg 2. When leg 1's certificate rotates
/// ([`certificate_provider`](crate::ConfidentialClientApplicationBuilder::certificate_provider)),
/// leg 2's next call asks for a new token bound to the new certificate.
#[derive(Debug, Clone)]
pub struct FederatedLeg1 {
    app: ConfidentialClientApplication,
}

impl FederatedLeg1 {
    /// Leg 1 = `app`, which must have a certificate credential.
    pub fn new(app: ConfidentialClientApplication) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl BoundAssertionProvider for FederatedLeg1 {
    async fn bound_assertion(
        &self,
        _context: &AssertionContext,
    ) -> Result<BoundAssertion, BoxError> {
        let result = self
            .app
            .acquire_token_for_client([TOKEN_EXCHANGE_SCOPE])
            .with_mtls_proof_of_possession()
            .await?;
        BoundAssertion::from_result(&result).ok_or_else(|| "leg 1 returned an unbound token".into())
    }

    async fn current_binding_certificate(
        &self,
    ) -> Result<Option<oauth2_core::ClientCertificate>, BoxError> {
        Ok(self.app.current_certificate().await?)
    }
}
