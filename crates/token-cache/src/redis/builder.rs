//! [`RedisTokenCacheBuilder`]: the Redis backend's settings.

use std::sync::Arc;
use std::time::Duration;

use oauth2_core::{Clock, SystemClock};

use super::link::Link;
use super::RedisTokenCache;
use crate::{Error, MemoryTokenCache};

/// Builds a [`RedisTokenCache`].
///
/// ```
/// use std::time::Duration;
/// use token_cache::RedisTokenCache;
///
/// let cache = RedisTokenCache::builder("redis://127.0.0.1:6379/")
///     .namespace("billing-service")
///     .operation_timeout(Duration::from_millis(200))
///     .lease_duration(Duration::from_secs(10))
///     .build()?; // connects on first use
/// # Ok::<(), token_cache::Error>(())
/// ```
#[derive(Debug)]
pub struct RedisTokenCacheBuilder {
    url: String,
    namespace: String,
    operation_timeout: Duration,
    retry_after: Duration,
    lease_duration: Duration,
    poll_interval: Duration,
    clock: Option<Arc<dyn Clock>>,
}

impl RedisTokenCacheBuilder {
    pub(super) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            namespace: "msal".to_owned(),
            operation_timeout: Duration::from_millis(250),
            retry_after: Duration::from_secs(1),
            lease_duration: Duration::from_secs(10),
            poll_interval: Duration::from_millis(20),
            clock: None,
        }
    }

    /// The prefix of every key this cache writes (default `msal`): entries live under
    /// `<namespace>:at:<MSAL key>`, leases under `<namespace>:lease:<MSAL key>`. Applications
    /// that must not see each other's tokens on one Redis use different namespaces (or
    /// databases).
    pub fn namespace(mut self, namespace: &str) -> Self {
        namespace.clone_into(&mut self.namespace);
        self
    }

    /// The longest a Redis command (or a connection attempt) may take before the cache treats
    /// Redis as down (default 250 ms).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// How long the cache leaves Redis alone after a failure before trying again (default
    /// 1 s). Meanwhile it serves from the in-process cache.
    pub fn retry_after(mut self, pause: Duration) -> Self {
        self.retry_after = pause;
        self
    }

    /// How long a fleet lease lasts if its holder never releases it (it crashed): other
    /// instances take over after this (default 10 s). Make it longer than a token request
    /// takes, retries included.
    pub fn lease_duration(mut self, duration: Duration) -> Self {
        self.lease_duration = duration;
        self
    }

    /// How often an instance waiting for another one's token looks for it (default 20 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The clock that turns `expires_on` into a Redis time-to-live (default: the system
    /// clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The cache. Nothing is connected yet (the first command connects, on the caller's Tokio
    /// runtime).
    ///
    /// Errors with [`Error::Backend`] when the URL is not a Redis URL (`redis://host:port/db`
    /// or `redis+unix:///path`); the message never repeats the URL, which may hold a password.
    pub fn build(self) -> Result<RedisTokenCache, Error> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| Error::Backend {
            reason: format!(
                "the Redis URL is not valid ({:?}); use redis://host:port/db",
                e.kind()
            ),
        })?;
        Ok(RedisTokenCache {
            l1: MemoryTokenCache::new(),
            link: Arc::new(Link::new(client, self.operation_timeout, self.retry_after)),
            namespace: self.namespace,
            lease_duration: self.lease_duration,
            poll_interval: self.poll_interval,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        })
    }
}
