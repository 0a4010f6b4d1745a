//! The in-memory backend.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use oauth2_core::Scopes;

use crate::{CachedAccessToken, Error, PartitionKey, TokenCache};

/// A process-local token cache: a hash map of partitions, each indexed by scope set and by
/// single scope. Reads take a shared lock and never wait for each other.
///
/// Entries are kept behind [`Arc`], so [`TokenCache::find_shared`] answers a hit without
/// allocating; [`TokenCache::find`] returns an owned copy.
#[derive(Debug, Default)]
pub struct MemoryTokenCache {
    partitions: RwLock<HashMap<PartitionKey, Partition>>,
}

#[derive(Debug, Default)]
struct Partition {
    by_scopes: HashMap<Scopes, Arc<CachedAccessToken>>,
    /// scope → the scope sets (keys of `by_scopes`) that contain it
    by_scope: HashMap<String, Vec<Scopes>>,
}

impl Partition {
    fn find(&self, scopes: &Scopes) -> Option<&Arc<CachedAccessToken>> {
        if let Some(hit) = self.by_scopes.get(scopes) {
            return Some(hit);
        }
        // Superset search: only the scope sets containing the rarest requested scope.
        let mut rarest: Option<&Vec<Scopes>> = None;
        for scope in scopes.iter() {
            match self.by_scope.get(scope) {
                None => return None,
                Some(sets) if rarest.is_none_or(|r| sets.len() < r.len()) => rarest = Some(sets),
                Some(_) => {}
            }
        }
        rarest?
            .iter()
            .filter(|candidate| scopes.is_subset_of(candidate))
            .filter_map(|candidate| self.by_scopes.get(candidate))
            .max_by_key(|entry| entry.expires_on)
    }

    fn insert(&mut self, token: Arc<CachedAccessToken>) {
        let scopes = token.scopes.clone();
        if self.by_scopes.insert(scopes.clone(), token).is_none() {
            for scope in scopes.iter() {
                self.by_scope
                    .entry(scope.to_owned())
                    .or_default()
                    .push(scopes.clone());
            }
        }
    }

    fn remove(&mut self, scopes: &Scopes) -> bool {
        if self.by_scopes.remove(scopes).is_none() {
            return false;
        }
        for scope in scopes.iter() {
            if let Some(sets) = self.by_scope.get_mut(scope) {
                sets.retain(|s| s != scopes);
                if sets.is_empty() {
                    self.by_scope.remove(scope);
                }
            }
        }
        true
    }
}

impl MemoryTokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tokens held, across all partitions.
    pub fn len(&self) -> usize {
        self.partitions
            .read()
            .map(|p| p.values().map(|part| part.by_scopes.len()).sum())
            .unwrap_or(0)
    }

    /// `true` when no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Synchronous lookup (the trait method and the file backend call this): an owned copy.
    pub(crate) fn find_sync(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        Ok(self
            .find_shared_sync(partition, scopes)?
            .map(|entry| CachedAccessToken::clone(&entry)))
    }

    /// Synchronous [`TokenCache::find_shared`]: a hit costs two hash probes and a
    /// reference-count increment, and allocates nothing. For the file backend and the
    /// benchmarks; use the trait method.
    #[doc(hidden)]
    pub fn find_shared_sync(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        let partitions = self.partitions.read().map_err(|_| Error::Poisoned)?;
        Ok(partitions
            .get(partition)
            .and_then(|p| p.find(scopes))
            .cloned())
    }

    /// Synchronous store (the trait method calls this).
    fn store_sync(&self, token: CachedAccessToken) -> Result<(), Error> {
        self.store_many_sync(std::iter::once(token))
    }

    /// Stores several tokens under one write lock.
    pub(crate) fn store_many_sync(
        &self,
        tokens: impl IntoIterator<Item = CachedAccessToken>,
    ) -> Result<(), Error> {
        let mut partitions = self.partitions.write().map_err(|_| Error::Poisoned)?;
        for token in tokens {
            match partitions.get_mut(&token.partition) {
                Some(part) => part.insert(Arc::new(token)),
                None => partitions
                    .entry(token.partition.clone())
                    .or_default()
                    .insert(Arc::new(token)),
            }
        }
        Ok(())
    }

    /// Synchronous removal (the trait method calls this).
    pub(crate) fn remove_sync(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<bool, Error> {
        let mut partitions = self.partitions.write().map_err(|_| Error::Poisoned)?;
        let Some(part) = partitions.get_mut(partition) else {
            return Ok(false);
        };
        let removed = part.remove(scopes);
        if part.by_scopes.is_empty() {
            partitions.remove(partition);
        }
        Ok(removed)
    }
}

#[async_trait::async_trait]
impl TokenCache for MemoryTokenCache {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        self.find_sync(partition, scopes)
    }

    async fn find_shared(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<Arc<CachedAccessToken>>, Error> {
        self.find_shared_sync(partition, scopes)
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        self.store_sync(token)
    }

    async fn store_many(&self, tokens: Vec<CachedAccessToken>) -> Result<(), Error> {
        self.store_many_sync(tokens)
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        self.remove_sync(partition, scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PartitionParts;
    use oauth2_core::{SecretString, TokenType, UnixTime};

    /// `token_type` is parsed case-insensitively, as callers' strings are.
    fn key(token_type: &str, key_id: Option<&str>) -> PartitionKey {
        PartitionKey::new(PartitionParts {
            environment: "Login.Microsoftonline.com",
            client_id: "cid",
            tenant: "tid",
            token_type: TokenType::parse(token_type).unwrap(),
            key_id,
        })
    }

    fn scopes(list: &[&str]) -> Scopes {
        Scopes::new(list.iter().copied()).unwrap()
    }

    fn token(
        partition: PartitionKey,
        list: &[&str],
        secret: &str,
        expires_on: u64,
    ) -> CachedAccessToken {
        let expires_on = UnixTime::from_secs(expires_on);
        CachedAccessToken {
            partition,
            scopes: scopes(list),
            secret: SecretString::new(secret),
            cached_at: UnixTime::from_secs(1),
            expires_on,
            extended_expires_on: expires_on,
            refresh_on: None,
        }
    }

    #[test]
    fn exact_and_subset_lookup() {
        let cache = MemoryTokenCache::new();
        cache
            .store_sync(token(key("Bearer", None), &["a", "b"], "ab", 100))
            .unwrap();
        cache
            .store_sync(token(key("Bearer", None), &["a", "b", "c"], "abc", 200))
            .unwrap();
        let hit = cache
            .find_sync(&key("bearer", None), &scopes(&["b", "a"]))
            .unwrap()
            .unwrap();
        assert_eq!(hit.secret.expose_secret(), "ab");
        // subset: both contain `a`; the later-expiring superset wins
        let hit = cache
            .find_sync(&key("bearer", None), &scopes(&["a"]))
            .unwrap()
            .unwrap();
        assert_eq!(hit.secret.expose_secret(), "abc");
        assert!(cache
            .find_sync(&key("bearer", None), &scopes(&["d"]))
            .unwrap()
            .is_none());
        assert!(cache
            .find_sync(&key("bearer", None), &scopes(&["a", "d"]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn key_id_and_token_type_isolate() {
        let cache = MemoryTokenCache::new();
        cache
            .store_sync(token(key("mtls_pop", Some("cert1")), &["s"], "pop1", 100))
            .unwrap();
        cache
            .store_sync(token(key("mtls_pop", Some("cert2")), &["s"], "pop2", 100))
            .unwrap();
        assert!(cache
            .find_sync(&key("Bearer", None), &scopes(&["s"]))
            .unwrap()
            .is_none());
        assert!(cache
            .find_sync(&key("Bearer", Some("cert1")), &scopes(&["s"]))
            .unwrap()
            .is_none());
        let one = cache
            .find_sync(&key("MTLS_POP", Some("cert1")), &scopes(&["s"]))
            .unwrap()
            .unwrap();
        let two = cache
            .find_sync(&key("mtls_pop", Some("cert2")), &scopes(&["s"]))
            .unwrap()
            .unwrap();
        assert_eq!(one.secret.expose_secret(), "pop1");
        assert_eq!(two.secret.expose_secret(), "pop2");
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn store_replaces_and_remove_cleans_index() {
        let cache = MemoryTokenCache::new();
        cache
            .store_sync(token(key("bearer", None), &["s"], "old", 100))
            .unwrap();
        cache
            .store_sync(token(key("bearer", None), &["s"], "new", 200))
            .unwrap();
        assert_eq!(cache.len(), 1);
        let hit = cache
            .find_sync(&key("bearer", None), &scopes(&["s"]))
            .unwrap()
            .unwrap();
        assert_eq!(hit.secret.expose_secret(), "new");
        assert!(cache
            .remove_sync(&key("bearer", None), &scopes(&["s"]))
            .unwrap());
        assert!(!cache
            .remove_sync(&key("bearer", None), &scopes(&["s"]))
            .unwrap());
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn trait_find_shared_returns_the_stored_entry_without_copying() {
        let cache = MemoryTokenCache::new();
        cache
            .store_many(vec![
                token(key("bearer", None), &["a"], "a", 100),
                token(key("bearer", None), &["b"], "b", 100),
            ])
            .await
            .unwrap();
        let one = TokenCache::find_shared(&cache, &key("bearer", None), &scopes(&["a"]))
            .await
            .unwrap()
            .unwrap();
        let two = TokenCache::find_shared(&cache, &key("bearer", None), &scopes(&["a"]))
            .await
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&one, &two));
        assert_eq!(one.secret.expose_secret(), "a");
        // through an `Arc<dyn TokenCache>`, as the facade holds it
        let shared: Arc<dyn TokenCache> = Arc::new(cache);
        let three = shared
            .find_shared(&key("bearer", None), &scopes(&["b"]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(three.secret.expose_secret(), "b");
        assert!(shared
            .find_shared(&key("mtls_pop", Some("k")), &scopes(&["b"]))
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn default_find_shared_wraps_find() {
        #[derive(Debug)]
        struct OnlyFind;
        #[async_trait::async_trait]
        impl TokenCache for OnlyFind {
            async fn find(
                &self,
                partition: &PartitionKey,
                scopes: &Scopes,
            ) -> Result<Option<CachedAccessToken>, Error> {
                Ok(Some(CachedAccessToken {
                    partition: partition.clone(),
                    scopes: scopes.clone(),
                    secret: SecretString::new("x"),
                    cached_at: UnixTime::EPOCH,
                    expires_on: UnixTime::from_secs(1),
                    extended_expires_on: UnixTime::from_secs(1),
                    refresh_on: None,
                }))
            }
            async fn store(&self, _: CachedAccessToken) -> Result<(), Error> {
                Ok(())
            }
            async fn remove(&self, _: &PartitionKey, _: &Scopes) -> Result<bool, Error> {
                Ok(false)
            }
        }
        let found = OnlyFind
            .find_shared(&key("bearer", None), &scopes(&["s"]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.secret.expose_secret(), "x");
        // the default store_many stores each in turn
        OnlyFind
            .store_many(vec![token(key("bearer", None), &["s"], "s", 1)])
            .await
            .unwrap();
    }

    #[test]
    fn debug_redacts_the_token() {
        let t = token(key("bearer", None), &["s"], "super-secret-token", 1);
        let shown = format!("{t:?}");
        assert!(!shown.contains("super-secret-token"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
