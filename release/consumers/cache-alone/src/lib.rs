//! A token store of our own behind token-cache's `TokenCache` trait: a `HashMap` behind a
//! `Mutex`, keyed by partition and scope set.

use std::collections::HashMap;
use std::sync::Mutex;

use token_cache::{CachedAccessToken, Error, PartitionKey, Scopes, TokenCache};

/// Tokens by (partition, scopes).
#[derive(Debug, Default)]
pub struct HashMapCache {
    tokens: Mutex<HashMap<(PartitionKey, Scopes), CachedAccessToken>>,
}

impl HashMapCache {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many tokens it holds.
    pub fn len(&self) -> usize {
        self.tokens.lock().unwrap().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait::async_trait]
impl TokenCache for HashMapCache {
    async fn find(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
    ) -> Result<Option<CachedAccessToken>, Error> {
        let tokens = self.tokens.lock().unwrap();
        if let Some(exact) = tokens.get(&(partition.clone(), scopes.clone())) {
            return Ok(Some(exact.clone()));
        }
        // A token for more scopes answers a request for fewer: the one that expires last.
        Ok(tokens
            .iter()
            .filter(|((p, s), _)| p == partition && scopes.is_subset_of(s))
            .map(|(_, token)| token)
            .max_by_key(|token| token.expires_on)
            .cloned())
    }

    async fn store(&self, token: CachedAccessToken) -> Result<(), Error> {
        let key = (token.partition.clone(), token.scopes.clone());
        self.tokens.lock().unwrap().insert(key, token);
        Ok(())
    }

    async fn remove(&self, partition: &PartitionKey, scopes: &Scopes) -> Result<bool, Error> {
        let key = (partition.clone(), scopes.clone());
        Ok(self.tokens.lock().unwrap().remove(&key).is_some())
    }
}
