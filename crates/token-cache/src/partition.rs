//! Cache keys and entries.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use oauth2_core::{Scopes, SecretString};

/// Which tokens may answer a query: a partition per (environment, client id, tenant, token type,
/// key id). All parts are normalised at construction (environment and token type lower-cased).
///
/// Cloning is a reference-count increment, and hashing writes one precomputed 64-bit value, so
/// partition keys are cheap to copy into results and to look up.
#[derive(Clone)]
pub struct PartitionKey {
    inner: Arc<Inner>,
}

struct Inner {
    /// Hash of `parts`, computed once with a fixed-key hasher: equal parts, equal value.
    hash: u64,
    parts: Parts,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Parts {
    environment: String,
    client_id: String,
    tenant: String,
    token_type: String,
    key_id: Option<String>,
}

impl PartialEq for PartitionKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.inner.hash == other.inner.hash && self.inner.parts == other.inner.parts)
    }
}

impl Eq for PartitionKey {}

impl Hash for PartitionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The map's own (randomly keyed) hasher mixes this value.
        state.write_u64(self.inner.hash);
    }
}

impl PartialOrd for PartitionKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PartitionKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.inner.parts.cmp(&other.inner.parts)
    }
}

impl fmt::Debug for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.inner.parts;
        f.debug_struct("PartitionKey")
            .field("environment", &p.environment)
            .field("client_id", &p.client_id)
            .field("tenant", &p.tenant)
            .field("token_type", &p.token_type)
            .field("key_id", &p.key_id)
            .finish()
    }
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
        let parts = Parts {
            environment: environment.to_ascii_lowercase(),
            client_id: client_id.to_owned(),
            tenant: tenant.to_owned(),
            token_type: token_type.to_ascii_lowercase(),
            key_id: key_id.map(str::to_owned),
        };
        // `DefaultHasher::new()` uses fixed keys, so the value depends on the parts only.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        parts.hash(&mut hasher);
        Self {
            inner: Arc::new(Inner {
                hash: hasher.finish(),
                parts,
            }),
        }
    }

    /// The environment (authority host), lower-cased.
    pub fn environment(&self) -> &str {
        &self.inner.parts.environment
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        &self.inner.parts.client_id
    }

    /// The tenant (realm).
    pub fn tenant(&self) -> &str {
        &self.inner.parts.tenant
    }

    /// The token type, lower-cased (`bearer`, `mtls_pop`).
    pub fn token_type(&self) -> &str {
        &self.inner.parts.token_type
    }

    /// The key id (`x5t#S256` of the binding certificate), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.inner.parts.key_id.as_deref()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;

    #[test]
    fn equal_keys_hash_equal_and_different_keys_differ() {
        let a = PartitionKey::new("Login.Example", "c", "t", "BEARER", None);
        let b = PartitionKey::new("login.example", "c", "t", "bearer", None);
        let state = RandomState::new();
        assert_eq!(a, b);
        assert_eq!(state.hash_one(&a), state.hash_one(&b));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        for other in [
            PartitionKey::new("login.example", "c", "t", "bearer", Some("k")),
            PartitionKey::new("login.example", "c", "t", "mtls_pop", None),
            PartitionKey::new("login.example", "c", "T", "bearer", None),
            PartitionKey::new("login.example", "C", "t", "bearer", None),
            PartitionKey::new("login.other", "c", "t", "bearer", None),
        ] {
            assert_ne!(a, other, "{other:?}");
            assert_ne!(a.cmp(&other), std::cmp::Ordering::Equal);
        }
        assert_eq!(a.clone(), a);
        assert_eq!(
            format!("{a:?}"),
            r#"PartitionKey { environment: "login.example", client_id: "c", tenant: "t", token_type: "bearer", key_id: None }"#
        );
    }
}
