//! Cache keys and entries.

use oauth2_core::{Scopes, SecretString};

/// Which tokens may answer a query: a partition per (environment, client id, tenant, token type,
/// key id). All parts are normalised at construction (environment and token type lower-cased).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    environment: String,
    client_id: String,
    tenant: String,
    token_type: String,
    key_id: Option<String>,
}

impl PartitionKey {
    /// A partition key.
    ///
    /// * `environment`: the configured authority host (e.g. `login.microsoftonline.com`), even
    ///   when the token came from a regional or mTLS host, as MSAL does.
    /// * `token_type`: `Bearer` or `mtls_pop` (compared case-insensitively).
    /// * `key_id`: `x5t#S256` of the certificate the token is bound to or was acquired with over
    ///   mTLS; `None` for tokens acquired without a TLS client certificate.
    pub fn new(
        environment: &str,
        client_id: &str,
        tenant: &str,
        token_type: &str,
        key_id: Option<&str>,
    ) -> Self {
        Self {
            environment: environment.to_ascii_lowercase(),
            client_id: client_id.to_owned(),
            tenant: tenant.to_owned(),
            token_type: token_type.to_ascii_lowercase(),
            key_id: key_id.map(str::to_owned),
        }
    }

    /// The environment (authority host), lower-cased.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The tenant (realm).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The token type, lower-cased (`bearer`, `mtls_pop`).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The key id (`x5t#S256` of the binding certificate), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }
}

/// One cached access token. Times are Unix epoch seconds.
#[derive(Clone)]
pub struct CachedAccessToken {
    /// Where the token belongs.
    pub partition: PartitionKey,
    /// The scopes the token was granted for.
    pub scopes: Scopes,
    /// The access token itself.
    pub secret: SecretString,
    /// When the token was stored.
    pub cached_at: u64,
    /// When the token expires.
    pub expires_on: u64,
    /// Extended expiry (resilience window) reported by the service.
    pub extended_expires_on: u64,
    /// When the token should be refreshed proactively, if the service said so.
    pub refresh_on: Option<u64>,
}

impl std::fmt::Debug for CachedAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedAccessToken")
            .field("partition", &self.partition)
            .field("scopes", &self.scopes)
            .field("secret", &"<redacted>")
            .field("cached_at", &self.cached_at)
            .field("expires_on", &self.expires_on)
            .field("extended_expires_on", &self.extended_expires_on)
            .field("refresh_on", &self.refresh_on)
            .finish()
    }
}
