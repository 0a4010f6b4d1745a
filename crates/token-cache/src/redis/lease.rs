//! Fleet-wide single flight through a Redis lease.
//!
//! After a miss, an instance tries `SET <lease key> <random owner> NX PX <lease duration>`. The
//! winner checks L2 once more (the previous holder stores its token before releasing, so a
//! token stored between this instance's miss and its lease is seen here) and otherwise requests
//! the token; it releases the lease after storing it, deleting the key only if it still holds
//! it. The others poll L2 every `poll_interval` for a token newer than the one they already
//! hold, and try the lease again each time, so they take over when the holder's lease expires
//! (it crashed) or is released without a token (its request failed). Redis being unreachable
//! ends the wait at once: the caller requests without a fleet lease.

use std::sync::Arc;
use std::time::Instant;

use oauth2_core::{Scopes, UnixTime};
use ring::rand::SecureRandom as _;

use super::RedisTokenCache;
use crate::serialization::access_token_key;
use crate::{CachedAccessToken, Error, Fill, FillLease, PartitionKey};

/// Deletes the lease only if this owner still holds it (another instance may have taken it
/// over after it expired).
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// See the module documentation.
pub(super) async fn begin_fill(
    cache: &RedisTokenCache,
    partition: &PartitionKey,
    scopes: &Scopes,
) -> Result<Fill, Error> {
    let lease_key = format!(
        "{}:lease:{}",
        cache.namespace,
        access_token_key(partition, scopes)
    );
    let owner = owner_id();
    // A token stored by another instance must be newer than the one this instance has.
    let known = cache
        .l1
        .find_shared_sync(partition, scopes)?
        .map(|entry| entry.expires_on);
    // Twice the lease: long enough for one holder to crash and the next to finish.
    let deadline = Instant::now() + cache.lease_duration.saturating_mul(2);
    loop {
        match try_lease(cache, &lease_key, &owner).await {
            None => return Ok(Fill::Request(FillLease::local())),
            Some(true) => {
                let lease = lease(cache, lease_key, owner);
                if let Some(token) = newer_entry(cache, partition, scopes, known).await {
                    cache.keep(token)?;
                    lease.release().await;
                    return Ok(Fill::Stored);
                }
                return Ok(Fill::Request(lease));
            }
            Some(false) => {}
        }
        tokio::time::sleep(cache.poll_interval).await;
        if let Some(token) = newer_entry(cache, partition, scopes, known).await {
            cache.keep(token)?;
            return Ok(Fill::Stored);
        }
        if Instant::now() >= deadline {
            tracing::warn!(
                "gave up waiting for another instance's token request; requesting without the fleet lease"
            );
            return Ok(Fill::Request(FillLease::local()));
        }
    }
}

/// `Some(true)`: this owner holds the lease now; `Some(false)`: another does; `None`: Redis is
/// unavailable.
async fn try_lease(cache: &RedisTokenCache, lease_key: &str, owner: &str) -> Option<bool> {
    let ttl_ms = u64::try_from(cache.lease_duration.as_millis()).unwrap_or(u64::MAX);
    let mut cmd = redis::cmd("SET");
    cmd.arg(lease_key)
        .arg(owner)
        .arg("NX")
        .arg("PX")
        .arg(ttl_ms.max(1));
    let reply: Option<Option<String>> = cache.link.run("SET NX", &cmd).await;
    reply.map(|ok| ok.is_some())
}

/// The lease of `owner`, released by a compare-and-delete.
fn lease(cache: &RedisTokenCache, lease_key: String, owner: String) -> FillLease {
    let link = Arc::clone(&cache.link);
    FillLease::new(async move {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(RELEASE).arg(1).arg(&lease_key).arg(&owner);
        let _: Option<i64> = link.run("release lease", &cmd).await;
    })
}

/// The L2 entry, if it expires later than `known` (what L1 has).
async fn newer_entry(
    cache: &RedisTokenCache,
    partition: &PartitionKey,
    scopes: &Scopes,
    known: Option<UnixTime>,
) -> Option<CachedAccessToken> {
    let token = cache.read_l2(partition, scopes).await?;
    known
        .is_none_or(|known| token.expires_on > known)
        .then_some(token)
}

/// A random lease owner id (128 bits, hex).
fn owner_id() -> String {
    let mut bytes = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No system randomness: unique enough within a fleet for a compare-and-delete.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return format!("{}-{}", std::process::id(), now.as_nanos());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
