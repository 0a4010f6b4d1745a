//! The Redis backend: an in-process cache (L1) in front of Redis (L2), shared by every instance
//! of a service, with a fleet-wide lease so that one instance requests each token.

mod builder;
mod lease;
mod link;

use std::sync::Arc;
use std::time::Duration;

use oauth2_core::{Clock, Scopes};

use crate::serialization::{access_token_key, entry_bytes, entry_from_bytes};
use crate::{CachedAccessToken, Error, Fill, MemoryTokenCache, PartitionKey, TokenCache};
pub use builder::RedisTokenCacheBuilder;
use link::Link;

/// A token cache shared by processes through Redis: L1 in process memory, L2 in Redis.
///
/// * **Entries** are MSAL `AccessToken` entries (the JSON of MSAL's unified cache schema, as
///   [`CacheDocument`](crate::CacheDocument) writes them), one Redis string per token under
///   `<namespace>:at:<MSAL key>`. The MSAL key includes the `ext_cache_key` derived from the
///   token type and the key id, and a read checks the entry's own partition and scopes, so key
///   id and token type isolate exactly as in the other backends.
/// * **Expiry**: each entry is written with a Redis time-to-live ending at the token's
///   `expires_on`; Redis drops it then.
/// * **Reads** look in L1 first; an L1 miss reads the exact scope set from L2 and keeps what
///   it finds in L1. A request for a subset of a cached scope set is answered from L1 only.
/// * **Writes** go to L1 and L2.
/// * **Outage**: a Redis that fails or does not answer within the operation timeout is treated
///   as a miss (reads) or skipped (writes), with one `tracing::warn!` per outage: no cache
///   operation returns an error because of Redis. The cache serves from L1 meanwhile and tries
///   Redis again after `retry_after`.
/// * **Fleet single flight** ([`TokenCache::begin_fill`]): after a miss, the caller takes a
///   lease (`SET <namespace>:lease:<MSAL key> <random> NX PX <lease duration>`). The holder
///   requests the token; the others poll L2 until the token is there, or take the lease over
///   when it expires or is released without a token.
///
/// Redis is reached on the caller's Tokio runtime (IO and time enabled); called elsewhere,
/// the cache works from L1 alone, with a warning.
///
/// `docs/cache.md` in the repository describes the consistency model and when to use which
/// backend.
///
/// ```no_run
/// use std::sync::Arc;
/// use token_cache::{RedisTokenCache, TokenCache};
///
/// let cache: Arc<dyn TokenCache> =
///     Arc::new(RedisTokenCache::builder("redis://127.0.0.1:6379/").build()?);
/// # Ok::<(), token_cache::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisTokenCache {
    l1: MemoryTokenCache,
    link: Arc<Link>,
    namespace: String,
    lease_duration: Duration,
    poll_interval: Duration,
    clock: Arc<dyn Clock>,
}

impl RedisTokenCache {
    /// A builder for a cache on the Redis server at `url` (`redis://host:port/db`).
    pub fn builder(url: &str) -> RedisTokenCacheBuilder {
        RedisTokenCacheBuilder::new(url)
    }

    /// The in-process (L1) cache.
    pub fn local(&self) -> &MemoryTokenCache {
        &self.l1
    }

    fn entry_key(&self, partition: &PartitionKey, scopes: &Scopes) -> String {
        format!(
            "{}:at:{}",
            self.namespace,
            access_token_key(partition, scopes)
        )
    }

    /// The L2 entry for exactly `partition` and `scopes`, if Redis has it and it is readable.
    async fn read_l2(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Option<CachedAccessToken> {
        let key = self.entry_key(partition, scopes);
        let bytes: Option<Vec<u8>> = self.link.run("GET", redis::cmd("GET").arg(&key)).await?;
        let bytes = zeroize::Zeroizing::new(bytes?);
        let token = entry_from_bytes(&bytes)?;
        // The key is lower-cased; the entry's own fields decide.
        (token.partition == *partition && token.scopes == *scopes).then_some(token)
    }

    /// Keeps `token` in L1; returns the shared entry.
    fn keep(&self, token: CachedAccessToken) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        let (partition, scopes) = (token.partition.clone(), token.scopes.clone());
        self.l1.store_many_sync(std::iter::once(token))?;
        self.l1.find_shared_sync(&partition, &scopes)
    }

    async fn write_l2(&self, token: &CachedAccessToken) {
        let now = self.clock.unix_now();
        let ttl = token.expires_on.saturating_duration_since(now);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if ttl_ms == 0 {
            return; // expired: nothing to share
        }
        let key = self.entry_key(&token.partition, &token.scopes);
        let bytes = entry_bytes(token);
        let mut cmd = redis::cmd("SET");
        cmd.arg(&key).arg(&bytes[..]).arg("PX").arg(ttl_ms);
        let _: Option<()> = self.link.run("SET", &cmd).await;
    }
}

#[async_trait::async_trait]
impl TokenCache for RedisTokenCache {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        Ok(self
            .find_shared(partition, scopes)
            .await?
            .map(|entry| CachedAccessToken::clone(&entry)))
    }

    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        if let Some(hit) = self.l1.find_shared_sync(partition, scopes)? {
            return Ok(Some(hit));
        }
        match self.read_l2(partition, scopes).await {
            Some(token) => self.keep(token),
            None => Ok(None),
        }
    }

    /// An L1 hit is answered without waiting; anything else needs Redis (`None`).
    fn find_shared_now(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Option<Result<Option<Arc<CachedAccessToken>>, Error>> {
        match self.l1.find_shared_sync(partition, scopes) {
            Ok(None) => None,
            answer => Some(answer),
        }
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        self.write_l2(&token).await;
        self.l1.store_many_sync(std::iter::once(token))
    }

    async fn store_many(&self, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        for token in &tokens {
            self.write_l2(token).await;
        }
        self.l1.store_many_sync(tokens)
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        let key = self.entry_key(partition, scopes);
        let removed: Option<u64> = self.link.run("DEL", redis::cmd("DEL").arg(&key)).await;
        let local = self.l1.remove(partition, scopes).await?;
        Ok(local || removed.unwrap_or(0) > 0)
    }

    async fn begin_fill(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<Fill, Error> {
        lease::begin_fill(self, partition, scopes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PartitionParts;
    use oauth2_core::{SecretString, TokenType, UnixTime};

    /// Polls `future` once: it must be done without waiting.
    fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("must not wait without Redis"),
        }
    }

    #[test]
    fn without_a_tokio_runtime_the_cache_works_from_l1() {
        // Nothing listens on port 1; no runtime at all: no panic, no error.
        let cache = RedisTokenCache::builder("redis://127.0.0.1:1/")
            .build()
            .unwrap();
        let partition = PartitionKey::new(PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: "c",
            tenant: "t",
            token_type: TokenType::Bearer,
            key_id: None,
        });
        let scopes = Scopes::new(["s"]).unwrap();
        let token = CachedAccessToken {
            partition: partition.clone(),
            scopes: scopes.clone(),
            secret: SecretString::new("x"),
            cached_at: UnixTime::EPOCH,
            expires_on: UnixTime::MAX,
            extended_expires_on: UnixTime::MAX,
            refresh_on: None,
        };
        ready(cache.store(token)).unwrap();
        let found = ready(cache.find_shared(&partition, &scopes)).unwrap();
        assert_eq!(found.unwrap().secret.expose_secret(), "x");
        assert!(RedisTokenCache::builder("not a url").build().is_err());
    }
}
