//! [`KeyCache`]: the issuer's keys, fetched on first use, refreshed when older than the maximum
//! age or when a token names an unknown `kid` — at most once per minimum interval, so tokens
//! with made-up `kid`s cannot make the verifier hammer the issuer.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::fetch::JwksSource;
use crate::jwk::KeySet;
use crate::rejection::{Reason, Rejection};

#[derive(Debug, Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// The cached key set of one issuer.
#[derive(Debug)]
pub(crate) struct KeyCache {
    source: Arc<dyn JwksSource>,
    state: RwLock<State>,
    /// One refresh at a time; the others wait and read its result.
    refreshing: tokio::sync::Mutex<()>,
    max_age: Duration,
    min_refresh_interval: Duration,
}

impl KeyCache {
    pub(crate) fn new(
        source: Arc<dyn JwksSource>,
        max_age: Duration,
        min_refresh_interval: Duration,
    ) -> Self {
        KeyCache {
            source,
            state: RwLock::default(),
            refreshing: tokio::sync::Mutex::new(()),
            max_age,
            min_refresh_interval,
        }
    }

    fn snapshot(&self) -> (Option<Arc<KeySet>>, bool, bool) {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let stale = state.fetched_at.is_none_or(|t| t.elapsed() >= self.max_age);
        let may_refresh = state
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.min_refresh_interval);
        (state.keys.clone(), stale, may_refresh)
    }

    /// The key set to verify a token signed with `kid` against.
    pub(crate) async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<KeySet>, Rejection> {
        let (keys, stale, may_refresh) = self.snapshot();
        let known = matches!((&keys, kid), (Some(k), Some(kid)) if k.contains(kid));
        if (known && !stale) || !may_refresh || (kid.is_none() && keys.is_some()) {
            return keys.ok_or_else(unavailable);
        }
        let _turn = self.refreshing.lock().await;
        let (keys, _, may_refresh) = self.snapshot();
        if keys
            .as_deref()
            .is_some_and(|k| kid.is_some_and(|kid| k.contains(kid)))
            || !may_refresh
        {
            // Another caller refreshed while this one waited.
            return keys.ok_or_else(unavailable);
        }
        self.refresh().await.or(keys.ok_or_else(unavailable))
    }

    async fn refresh(&self) -> Result<Arc<KeySet>, Rejection> {
        let fetched = self.source.fetch().await;
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.last_attempt = Some(Instant::now());
        let parsed = fetched.and_then(|doc| {
            KeySet::parse(&doc).ok_or_else(|| "the document is not a JWKS".to_owned())
        });
        match parsed {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "issuer keys refreshed");
                let keys = Arc::new(keys);
                state.keys = Some(keys.clone());
                state.fetched_at = Some(Instant::now());
                Ok(keys)
            }
            Err(reason) => {
                tracing::warn!(%reason, "fetching the issuer's keys failed");
                Err(unavailable())
            }
        }
    }
}

fn unavailable() -> Rejection {
    Rejection::new(
        Reason::KeysUnavailable,
        "the issuer's signing keys could not be fetched; try again later",
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        documents: Vec<&'static str>,
    }

    #[async_trait::async_trait]
    impl JwksSource for Counting {
        async fn fetch(&self) -> Result<Vec<u8>, String> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            match self.documents.get(n.min(self.documents.len() - 1)) {
                Some(&"fail") | None => Err("down".to_owned()),
                Some(doc) => Ok(doc.as_bytes().to_vec()),
            }
        }
    }

    const A: &str = r#"{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}"#;
    const AB: &str = r#"{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"},{"kty":"RSA","kid":"b","n":"AQAB","e":"AQAB"}]}"#;

    fn make_cache(documents: Vec<&'static str>, interval: Duration) -> (Arc<Counting>, KeyCache) {
        let source = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            documents,
        });
        let cache = KeyCache::new(source.clone(), Duration::from_secs(3600), interval);
        (source, cache)
    }

    #[tokio::test]
    async fn unknown_kid_refreshes_at_most_once_per_interval() {
        let (source, cache) = make_cache(vec![A, AB], Duration::from_secs(3600));
        assert!(cache.keys_for(Some("a")).await.unwrap().contains("a"));
        assert!(cache.keys_for(Some("a")).await.is_ok());
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // "b" is unknown, but the first fetch was just now: no second fetch.
        assert!(!cache.keys_for(Some("b")).await.unwrap().contains("b"));
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn unknown_kid_refreshes_after_the_interval() {
        let (source, cache) = make_cache(vec![A, AB], Duration::ZERO);
        assert!(!cache.keys_for(Some("a")).await.unwrap().contains("b"));
        assert!(cache.keys_for(Some("b")).await.unwrap().contains("b"));
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_old_keys() {
        let (_, cache) = make_cache(vec![A, "fail"], Duration::ZERO);
        assert!(cache.keys_for(Some("a")).await.is_ok());
        assert!(cache.keys_for(Some("b")).await.unwrap().contains("a"));
        let (_, down) = make_cache(vec!["fail"], Duration::ZERO);
        let err = down.keys_for(Some("a")).await.unwrap_err();
        assert_eq!(err.reason(), Reason::KeysUnavailable);
        let (_, garbage) = make_cache(vec!["{}"], Duration::ZERO);
        assert!(garbage.keys_for(Some("a")).await.is_err());
    }
}
