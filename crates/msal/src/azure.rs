//! The Azure SDK for Rust's credential trait, `azure_core::credentials::TokenCredential`, for
//! [`ConfidentialClientApplication`] (the `azure-core` feature): Azure SDK clients take the
//! application as their credential and get its Bearer tokens, from its cache while they are
//! fresh.
//!
//! The trait has no token type (its `AccessToken` is a bearer token, and the SDK's bearer
//! policy sends `Authorization: Bearer`), so mTLS Proof-of-Possession cannot go through it: a
//! request that asks for it by putting [`TokenType::MtlsPop`] in the options' context fails with
//! a message that says what to use instead.

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::time::OffsetDateTime;

use crate::{ConfidentialClientApplication, TokenType};

/// What a PoP request through the trait is told.
const POP_REFUSED: &str = "mTLS Proof-of-Possession tokens cannot be used through azure_core's TokenCredential (its AccessToken has no token type, and the bearer policy sends them as Bearer): call acquire_token_for_client(...).with_mtls_proof_of_possession() and AuthenticationResult::call_resource instead";

#[async_trait::async_trait]
impl TokenCredential for ConfidentialClientApplication {
    /// A Bearer token for `scopes` with the client-credentials grant (from the cache while
    /// fresh). Errors keep the [`crate::Error`] as their source, with kind `Credential`.
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let asked = options
            .as_ref()
            .and_then(|o| o.method_options.context.value::<TokenType>().copied());
        if asked == Some(TokenType::MtlsPop) {
            return Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                POP_REFUSED,
            ));
        }
        let result = self
            .acquire_token_for_client(scopes.iter().copied())
            .await
            .map_err(|e| azure_core::Error::new(ErrorKind::Credential, e))?;
        Ok(AccessToken::new(
            result.access_token().expose_secret().to_owned(),
            OffsetDateTime::from(result.expires_on()),
        ))
    }
}
