//! The custom store keeps partitions apart, as token-cache's contract asks, without any async
//! runtime: the futures are driven by a ten-line executor.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use cache_alone::HashMapCache;
use token_cache::{
    CachedAccessToken, PartitionKey, PartitionParts, Scopes, SecretString, TokenCache, TokenType,
    UnixTime,
};

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

const GRAPH: &str = "https://graph.microsoft.com/.default";

fn partition(token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
    PartitionKey::new(PartitionParts {
        environment: "login.microsoftonline.com",
        client_id: "11111111-2222-3333-4444-555555555555",
        tenant: "contoso.onmicrosoft.com",
        token_type,
        key_id,
    })
}

fn token(partition: &PartitionKey, scopes: &[&str], secret: &str, life: u64) -> CachedAccessToken {
    let now = UnixTime::from_secs(1_700_000_000);
    CachedAccessToken {
        partition: partition.clone(),
        scopes: Scopes::new(scopes.iter().copied()).unwrap(),
        secret: SecretString::new(secret),
        cached_at: now,
        expires_on: now.saturating_add_secs(life),
        extended_expires_on: now.saturating_add_secs(life),
        refresh_on: None,
    }
}

fn scopes(list: &[&str]) -> Scopes {
    Scopes::new(list.iter().copied()).unwrap()
}

#[test]
fn tokens_are_found_in_their_own_partition_only() {
    block_on(async {
        let cache = HashMapCache::new();
        let bearer = partition(TokenType::Bearer, None);
        let pop = partition(TokenType::MtlsPop, Some("x5t-of-certificate-1"));
        cache.store(token(&bearer, &[GRAPH], "bearer", 3600)).await.unwrap();
        cache.store(token(&pop, &[GRAPH], "pop", 3600)).await.unwrap();
        assert_eq!(cache.len(), 2);

        let found = cache.find(&bearer, &scopes(&[GRAPH])).await.unwrap().unwrap();
        assert_eq!(found.secret.expose_secret(), "bearer");
        let found = cache.find(&pop, &scopes(&[GRAPH])).await.unwrap().unwrap();
        assert_eq!(found.secret.expose_secret(), "pop");

        // Another certificate, or the same certificate for a Bearer token, sees nothing.
        let other = partition(TokenType::MtlsPop, Some("x5t-of-certificate-2"));
        assert!(cache.find(&other, &scopes(&[GRAPH])).await.unwrap().is_none());
        let bearer_mtls = partition(TokenType::Bearer, Some("x5t-of-certificate-1"));
        assert!(cache.find(&bearer_mtls, &scopes(&[GRAPH])).await.unwrap().is_none());

        assert!(cache.remove(&pop, &scopes(&[GRAPH])).await.unwrap());
        assert!(cache.find(&pop, &scopes(&[GRAPH])).await.unwrap().is_none());
        assert!(!cache.remove(&pop, &scopes(&[GRAPH])).await.unwrap());
    });
}

#[test]
fn a_wider_token_answers_a_narrower_request_and_the_latest_expiry_wins() {
    block_on(async {
        let cache = HashMapCache::new();
        let bearer = partition(TokenType::Bearer, None);
        cache.store(token(&bearer, &["a", "b"], "short", 60)).await.unwrap();
        cache.store(token(&bearer, &["a", "c"], "long", 7200)).await.unwrap();
        let found = cache.find(&bearer, &scopes(&["a"])).await.unwrap().unwrap();
        assert_eq!(found.secret.expose_secret(), "long");
        let found = cache.find(&bearer, &scopes(&["b"])).await.unwrap().unwrap();
        assert_eq!(found.secret.expose_secret(), "short");
        assert!(cache.find(&bearer, &scopes(&["d"])).await.unwrap().is_none());
        // store_many, the trait's default, stores each.
        let pop = partition(TokenType::MtlsPop, Some("k"));
        let many = vec![token(&pop, &["x"], "1", 60), token(&pop, &["y"], "2", 60)];
        cache.store_many(many).await.unwrap();
        assert_eq!(cache.len(), 4);
    });
}
