//! Token cache: the [`TokenCache`] trait the `msal` facade talks to, and its in-memory backend.
//!
//! Tokens live in **partitions** keyed by [`PartitionKey`] = (environment, client id, tenant,
//! token type, key id). The key id is the `x5t#S256` of the certificate a token is bound to (or
//! was acquired with over mTLS), so a PoP query never sees a Bearer token, a Bearer query never
//! sees a bound token, and two certificates for the same app never overwrite each other
//! (`entra-mtls-pop-wire.md` §5).
//!
//! Within a partition a lookup by the exact scope set is one hash probe; a request for a subset
//! of a cached scope set (`a` answered by a token for `a b`) goes through a per-scope index and
//! looks only at the scope sets that contain the rarest requested scope. No operation scans the
//! whole cache.
//!
//! The cache stores and returns entries; deciding whether an entry is fresh enough (expiry
//! margin, `refresh_on`) is the caller's job, so that every backend behaves the same.
//!
//! Backends:
//! * [`MemoryTokenCache`]: process-local, the default.
//! * [`FileTokenCache`]: one JSON file in MSAL's unified cache format ([`serialization`]),
//!   shared safely by several processes (a lock around read-merge-write, atomic replace), and
//!   readable by MSAL Python for Bearer tokens.
//!
//! See `docs/cache.md` for the format, the isolation rules and the locking model.
#![forbid(unsafe_code)]

mod entry;
mod error;
mod file;
mod json;
mod memory;
pub mod serialization;

pub use entry::{CachedAccessToken, PartitionKey};
pub use error::Error;
pub use file::FileTokenCache;
pub use memory::MemoryTokenCache;
pub use oauth2_core::{Scopes, SecretString};

use std::sync::Arc;

/// A store of access tokens.
///
/// Implement it to keep tokens somewhere else (Redis, a database, a key vault). Implementations
/// must be safe to call concurrently; they never need to judge expiry.
#[async_trait::async_trait]
pub trait TokenCache: Send + Sync + std::fmt::Debug {
    /// The best token in `partition` whose scopes include all of `scopes`: the entry for exactly
    /// `scopes` if there is one, else the superset entry that expires last.
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error>;

    /// Like [`find`](Self::find), returning a shared entry. The built-in backends answer a hit
    /// without copying the entry (no allocation for the token, the partition or the scopes);
    /// the default wraps [`find`](Self::find).
    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        Ok(self.find(partition, scopes).await?.map(Arc::new))
    }

    /// Store `token`, replacing the entry with the same partition and scope set.
    async fn store(&self, token: CachedAccessToken) -> Result<(), Error>;

    /// Store several tokens. The default calls [`store`](Self::store) for each in turn;
    /// backends with a per-write cost (the file backend) store them in one write.
    async fn store_many(&self, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        for token in tokens {
            self.store(token).await?;
        }
        Ok(())
    }

    /// Remove the entry with exactly this partition and scope set; `true` if one was removed.
    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error>;
}

#[async_trait::async_trait]
impl<T: TokenCache + ?Sized> TokenCache for Arc<T> {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        (**self).find(partition, scopes).await
    }

    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        (**self).find_shared(partition, scopes).await
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        (**self).store(token).await
    }

    async fn store_many(&self, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        (**self).store_many(tokens).await
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        (**self).remove(partition, scopes).await
    }
}
