//! The [`TokenCache`] trait every backend implements.

use std::sync::Arc;

use oauth2_core::Scopes;

use crate::{CachedAccessToken, Error, Fill, FillLease, PartitionKey};

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

    /// [`find_shared`](Self::find_shared) answered without waiting, for a backend that holds
    /// its tokens in memory: `Some(answer)`, or `None` when the answer needs I/O (the caller
    /// then awaits [`find_shared`](Self::find_shared)). The facade tries it first, so a memory
    /// hit costs no future and no allocation. The default answers `None`.
    fn find_shared_now(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Option<Result<Option<Arc<CachedAccessToken>>, Error>> {
        let _ = (partition, scopes);
        None
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

    /// Called after a miss, before the caller requests a token for `partition` and `scopes`:
    /// a backend shared by several processes takes a fleet-wide lease for the token (the
    /// caller requests it and releases the lease after storing it) or waits until another
    /// instance has stored it ([`Fill::Stored`]). The default answers
    /// `Fill::Request(FillLease::local())`: no fleet, the caller's own single flight only.
    async fn begin_fill(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<Fill, Error> {
        let _ = (partition, scopes);
        Ok(Fill::Request(FillLease::local()))
    }
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

    fn find_shared_now(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Option<Result<Option<Arc<CachedAccessToken>>, Error>> {
        (**self).find_shared_now(partition, scopes)
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

    async fn begin_fill(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<Fill, Error> {
        (**self).begin_fill(partition, scopes).await
    }
}
