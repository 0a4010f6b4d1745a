//! Cache entries.

use std::fmt;

use oauth2_core::{Scopes, SecretString, UnixTime};

use crate::PartitionKey;

/// One cached access token.
#[derive(Clone)]
pub struct CachedAccessToken {
    /// Where the token belongs.
    pub partition: PartitionKey,
    /// The scopes the token was granted for.
    pub scopes: Scopes,
    /// The access token itself.
    pub secret: SecretString,
    /// When the token was stored.
    pub cached_at: UnixTime,
    /// When the token expires.
    pub expires_on: UnixTime,
    /// Extended expiry (resilience window) reported by the service.
    pub extended_expires_on: UnixTime,
    /// When the token should be refreshed proactively, if the service said so.
    pub refresh_on: Option<UnixTime>,
}

impl fmt::Debug for CachedAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
