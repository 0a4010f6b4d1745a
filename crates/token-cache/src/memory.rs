//! The in-memory backend.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use oauth2_core::Scopes;

use crate::precomputed::PrecomputedMap;
use crate::{CachedAccessToken, Error, PartitionKey, TokenCache};

/// A process-local token cache: a hash map of partitions, each indexed by scope set and by
/// single scope. Reads take a shared lock and never wait for each other.
///
/// Entries are kept behind [`Arc`], so [`TokenCache::find_shared`] answers a hit without
/// allocating; [`TokenCache::find`] returns an owned copy.
#[derive(Debug, Default)]
pub struct MemoryTokenCache {
    partitions: RwLock<PrecomputedMap<PartitionKey, Partition>>,
}

#[derive(Debug, Default)]
struct Partition {
    by_scopes: PrecomputedMap<Scopes, Arc<CachedAccessToken>>,
    /// scope → the scope sets of two or more scopes (keys of `by_scopes`) that contain it: the
    /// key's own set, then the others. A set of one scope (the usual `{resource}/.default`) is
    /// not indexed: it can only answer a query for exactly itself, which `by_scopes` does.
    /// A scope in one set only costs no allocation: the key shares that set.
    by_scope: HashMap<ScopeRef, Vec<Scopes>>,
}

/// One scope of a cached scope set, as a map key: shares the set (a reference count) instead
/// of copying the string; hashes and compares as the scope itself.
#[derive(Debug, Clone)]
struct ScopeRef {
    set: Scopes,
    index: usize,
}

impl ScopeRef {
    fn as_str(&self) -> &str {
        self.set
            .as_slice()
            .get(self.index)
            .map_or("", String::as_str)
    }
}

impl std::borrow::Borrow<str> for ScopeRef {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::hash::Hash for ScopeRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq for ScopeRef {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ScopeRef {}

impl Partition {
    fn find(&self, scopes: &Scopes) -> Option<&Arc<CachedAccessToken>> {
        if let Some(hit) = self.by_scopes.get(scopes) {
            return Some(hit);
        }
        // Superset search: only the scope sets containing the rarest requested scope.
        let mut rarest: Option<(&ScopeRef, &Vec<Scopes>)> = None;
        for scope in scopes.iter() {
            match self.by_scope.get_key_value(scope) {
                None => return None,
                Some((key, others)) if rarest.is_none_or(|(_, r)| others.len() < r.len()) => {
                    rarest = Some((key, others));
                }
                Some(_) => {}
            }
        }
        let (key, others) = rarest?;
        std::iter::once(&key.set)
            .chain(others)
            .filter(|candidate| scopes.is_subset_of(candidate))
            .filter_map(|candidate| self.by_scopes.get(candidate))
            .max_by_key(|entry| entry.expires_on)
    }

    /// Stores `token` under its scope set. The entry keeps one copy of the set (shared by
    /// both indexes) and the partition's own key (shared by all its entries).
    fn insert(&mut self, key: &PartitionKey, mut token: CachedAccessToken) {
        token.partition = key.clone();
        let scopes = match self.by_scopes.get_key_value(&token.scopes) {
            Some((existing, _)) => existing.clone(),
            None => token.scopes.clone(),
        };
        token.scopes = scopes.clone();
        if self
            .by_scopes
            .insert(scopes.clone(), Arc::new(token))
            .is_some()
            || scopes.len() < 2
        {
            return; // replaced (the index already lists the set), or nothing to index
        }
        for index in 0..scopes.len() {
            let scope = ScopeRef {
                set: scopes.clone(),
                index,
            };
            match self.by_scope.get_mut(scope.as_str()) {
                Some(others) => others.push(scopes.clone()),
                None => {
                    self.by_scope.insert(scope, Vec::new());
                }
            }
        }
    }

    fn remove(&mut self, scopes: &Scopes) -> bool {
        if self.by_scopes.remove(scopes).is_none() {
            return false;
        }
        if scopes.len() < 2 {
            return true; // not indexed
        }
        for scope in scopes.iter() {
            let Some((key, mut others)) = self.by_scope.remove_entry(scope) else {
                continue;
            };
            if key.set != *scopes {
                others.retain(|s| s != scopes);
                self.by_scope.insert(key, others);
            } else if let Some(next) = others.pop() {
                // another set holding this scope becomes the key
                let index = next.iter().position(|s| s == scope).unwrap_or(0);
                self.by_scope.insert(ScopeRef { set: next, index }, others);
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
            // the partition's existing key, so that all its entries share one
            let key = match partitions.get_key_value(&token.partition) {
                Some((key, _)) => key.clone(),
                None => token.partition.clone(),
            };
            partitions
                .entry(key.clone())
                .or_default()
                .insert(&key, token);
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

    fn find_shared_now(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Option<Result<Option<Arc<CachedAccessToken>>, Error>> {
        Some(self.find_shared_sync(partition, scopes))
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

    #[test]
    fn removing_the_set_that_keys_a_scope_keeps_the_others_findable() {
        let cache = MemoryTokenCache::new();
        for (list, secret) in [
            (&["a", "b"][..], "ab"),
            (&["a", "c"], "ac"),
            (&["a", "d"], "ad"),
        ] {
            cache
                .store_sync(token(key("bearer", None), list, secret, 100))
                .unwrap();
        }
        let find = |list: &[&str]| {
            cache
                .find_sync(&key("bearer", None), &scopes(list))
                .unwrap()
                .map(|t| t.secret.expose_secret().to_owned())
        };
        assert!(cache
            .remove_sync(&key("bearer", None), &scopes(&["a", "b"]))
            .unwrap());
        assert_eq!(find(&["b"]), None);
        assert!(find(&["a"]).is_some_and(|s| s == "ac" || s == "ad"));
        assert_eq!(find(&["c"]).as_deref(), Some("ac"));
        assert!(cache
            .remove_sync(&key("bearer", None), &scopes(&["a", "d"]))
            .unwrap());
        assert_eq!(find(&["a"]).as_deref(), Some("ac"));
        assert!(cache
            .remove_sync(&key("bearer", None), &scopes(&["a", "c"]))
            .unwrap());
        assert_eq!(find(&["a"]), None);
        let partitions = cache.partitions.read().unwrap();
        assert!(partitions.is_empty(), "no index entry left behind");
    }

    #[test]
    fn entries_share_the_partition_key_and_one_scope_set() {
        let cache = MemoryTokenCache::new();
        // equal keys built apart, as callers (file reloads, other processes) build them
        cache
            .store_sync(token(key("bearer", None), &["a", "x"], "a", 100))
            .unwrap();
        cache
            .store_sync(token(key("bearer", None), &["b"], "b", 100))
            .unwrap();
        let a = cache.find_shared_sync(&key("bearer", None), &scopes(&["a", "x"]));
        let b = cache.find_shared_sync(&key("bearer", None), &scopes(&["b"]));
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        assert!(std::ptr::eq(
            a.partition.environment(),
            b.partition.environment()
        ));
        let partitions = cache.partitions.read().unwrap();
        let part = partitions.values().next().unwrap();
        let (key_set, _) = part.by_scopes.get_key_value(&scopes(&["a", "x"])).unwrap();
        assert!(std::ptr::eq(key_set.as_slice(), a.scopes.as_slice()));
        let (scope_key, others) = part.by_scope.get_key_value("a").unwrap();
        assert!(std::ptr::eq(scope_key.set.as_slice(), a.scopes.as_slice()));
        assert!(others.is_empty());
        assert!(
            !part.by_scope.contains_key("b"),
            "single-scope sets are not indexed"
        );
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
