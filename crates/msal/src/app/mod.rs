//! The confidential client application: a cheap handle on the shared [`AppState`].

mod builder;
mod certificate_options;

use std::fmt;
use std::sync::Arc;

use mtls_transport::Transport;
use oauth2_core::Authority;

pub use builder::{ConfidentialClientApplicationBuilder, DEFAULT_RETRY_BACKOFF, MAX_RETRY_BACKOFF};

use crate::acquire::AcquireTokenForClient;
use crate::state::AppState;

/// A confidential client: an application that can keep a credential (secret, certificate or
/// assertion) and acquires tokens for itself with the client-credentials grant.
///
/// Create one per (client id, authority) and share it: it is cheap to clone, holds the
/// connection pools and the token cache, and is safe to use from many tasks at once.
///
/// ```no_run
/// # async fn run() -> Result<(), msal::Error> {
/// use msal::ConfidentialClientApplication;
///
/// let app = ConfidentialClientApplication::builder("00000000-0000-0000-0000-000000000001")
///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
///     .client_secret(std::env::var("CLIENT_SECRET").unwrap_or_default())
///     .build()?;
/// let result = app
///     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
///     .await?;
/// println!("{} token, expires {:?}", result.token_type(), result.expires_on());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConfidentialClientApplication {
    state: Arc<AppState>,
}

impl ConfidentialClientApplication {
    /// Start configuring an application with its client (application) id.
    pub fn builder(client_id: impl Into<String>) -> ConfidentialClientApplicationBuilder {
        ConfidentialClientApplicationBuilder::new(client_id.into())
    }

    pub(crate) fn from_state(state: AppState) -> Self {
        Self {
            state: Arc::new(state),
        }
    }

    /// The certificate credential's current certificate (`None`: no certificate credential).
    pub(crate) async fn current_certificate(
        &self,
    ) -> Result<Option<oauth2_core::ClientCertificate>, crate::Error> {
        self.state.current_certificate().await
    }

    /// Acquire a token for the application itself (client-credentials grant).
    ///
    /// Returns a request builder; `.await` it. A still-valid cached token is returned without a
    /// network call.
    ///
    /// The scopes may be any strings (`&str`, `String`, ...): a scope list the application was
    /// asked for before is recognized without copying it, so a cache hit allocates nothing for
    /// its scopes.
    pub fn acquire_token_for_client<I, S>(&self, scopes: I) -> AcquireTokenForClient<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        AcquireTokenForClient::new(&self.state, self.state.shared.scope_sets.lookup(scopes))
    }

    /// The client (application) id.
    pub fn client_id(&self) -> &str {
        &self.state.config.client_id
    }

    /// The configured authority.
    pub fn authority(&self) -> &Authority {
        &self.state.config.authority
    }

    /// The application's HTTP transport (shares its connection pools), e.g. for
    /// [`crate::AuthenticationResult::call_resource`].
    pub fn transport(&self) -> Arc<dyn Transport> {
        Arc::clone(&self.state.services.transport)
    }
}

impl fmt::Debug for ConfidentialClientApplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfidentialClientApplication")
            .field("client_id", &self.state.config.client_id)
            .field(
                "authority",
                &self.state.config.authority.canonical_url().as_str(),
            )
            .field("credential", &self.state.config.credential)
            .field("transport", &self.state.services.transport)
            .finish_non_exhaustive()
    }
}
