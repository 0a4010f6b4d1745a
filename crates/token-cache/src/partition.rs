//! Partition keys: which tokens may answer a query.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, OnceLock};

use oauth2_core::TokenType;

/// The parts of a [`PartitionKey`], named so that they cannot be passed in the wrong order.
///
/// ```
/// use token_cache::{PartitionKey, PartitionParts, TokenType};
///
/// let key = PartitionKey::new(PartitionParts {
///     environment: "Login.MicrosoftOnline.com",
///     client_id: "11111111-2222-3333-4444-555555555555",
///     tenant: "contoso.onmicrosoft.com",
///     token_type: TokenType::MtlsPop,
///     key_id: Some("x5t-s256-of-the-certificate"),
/// });
/// assert_eq!(key.environment(), "login.microsoftonline.com");
/// assert_eq!(key.token_type(), TokenType::MtlsPop);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionParts<'a> {
    /// The configured authority host (e.g. `login.microsoftonline.com`), even when the token
    /// came from a regional or mTLS host, as MSAL does. Lower-cased by [`PartitionKey::new`].
    pub environment: &'a str,
    /// The application (client) id, as given.
    pub client_id: &'a str,
    /// The tenant (realm): the tenant segment of the configured authority, as given.
    pub tenant: &'a str,
    /// The token type: a PoP query never sees a Bearer token and the reverse.
    pub token_type: TokenType,
    /// `x5t#S256` of the certificate the token is bound to or was acquired with over mTLS;
    /// `None` for tokens acquired without a TLS client certificate.
    pub key_id: Option<&'a str>,
}

/// Which tokens may answer a query: a partition per (environment, client id, tenant, token type,
/// key id). The environment is lower-cased at construction.
///
/// Cloning is a reference-count increment, and hashing writes one precomputed 64-bit value
/// (randomly keyed per process, so it is no hashing weakness to use it as it is), so
/// partition keys are cheap to copy into results and to look up.
#[derive(Clone)]
pub struct PartitionKey {
    inner: Arc<Inner>,
}

struct Inner {
    /// Hash of `parts`, computed once with the process's randomly keyed hasher: equal parts,
    /// equal value.
    hash: u64,
    parts: Parts,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Parts {
    environment: String,
    client_id: String,
    tenant: String,
    token_type: TokenType,
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
            .field("token_type", &p.token_type.cache_key())
            .field("key_id", &p.key_id)
            .finish()
    }
}

impl PartitionKey {
    /// The partition key for `parts`; the environment is lower-cased.
    pub fn new(parts: PartitionParts<'_>) -> Self {
        let parts = Parts {
            environment: parts.environment.to_ascii_lowercase(),
            client_id: parts.client_id.to_owned(),
            tenant: parts.tenant.to_owned(),
            token_type: parts.token_type,
            key_id: parts.key_id.map(str::to_owned),
        };
        // one randomly keyed hasher per process: equal parts, equal value (in this process),
        // and values nobody outside the process can aim at
        static KEYS: OnceLock<RandomState> = OnceLock::new();
        Self {
            inner: Arc::new(Inner {
                hash: KEYS.get_or_init(RandomState::new).hash_one(&parts),
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

    /// The token type.
    pub fn token_type(&self) -> TokenType {
        self.inner.parts.token_type
    }

    /// The key id (`x5t#S256` of the binding certificate), if any.
    pub fn key_id(&self) -> Option<&str> {
        self.inner.parts.key_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;

    fn key(
        environment: &str,
        client_id: &str,
        tenant: &str,
        token_type: TokenType,
        key_id: Option<&str>,
    ) -> PartitionKey {
        PartitionKey::new(PartitionParts {
            environment,
            client_id,
            tenant,
            token_type,
            key_id,
        })
    }

    #[test]
    fn equal_keys_hash_equal_and_different_keys_differ() {
        use TokenType::{Bearer, MtlsPop};
        let a = key("Login.Example", "c", "t", Bearer, None);
        let b = key("login.example", "c", "t", Bearer, None);
        let state = RandomState::new();
        assert_eq!(a, b);
        assert_eq!(state.hash_one(&a), state.hash_one(&b));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        for other in [
            key("login.example", "c", "t", Bearer, Some("k")),
            key("login.example", "c", "t", MtlsPop, None),
            key("login.example", "c", "T", Bearer, None),
            key("login.example", "C", "t", Bearer, None),
            key("login.other", "c", "t", Bearer, None),
        ] {
            assert_ne!(a, other, "{other:?}");
            assert_ne!(a.cmp(&other), std::cmp::Ordering::Equal);
        }
        assert_eq!(a.clone(), a);
        assert_eq!(
            format!("{a:?}"),
            r#"PartitionKey { environment: "login.example", client_id: "c", tenant: "t", token_type: "bearer", key_id: None }"#
        );
        assert_eq!(a.token_type(), Bearer);
        assert!(format!("{:?}", key("e", "c", "t", MtlsPop, None))
            .contains(r#"token_type: "mtls_pop""#));
    }
}
