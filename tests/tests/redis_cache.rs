//! The Redis token cache against a real `redis-server` (started on a free loopback port,
//! stopped by PID): isolation by key id and token type across processes, MSAL-schema values,
//! expiry through Redis TTLs, and an outage in the middle of a run that no caller sees.
//!
//! The child process is this test binary re-executed with `REDIS_CACHE_CHILD` set: the harness
//! runs only `child_process`, which does the child's work and exits. Without the variable
//! `child_process` does nothing.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use msal::cache::{
    CachedAccessToken, Fill, PartitionKey, PartitionParts, RedisTokenCache, TokenCache,
};
use msal::{Scopes, SecretString, TokenSource, TokenType, UnixTime};
use msal_e2e_tests::*;

const CHILD: &str = "REDIS_CACHE_CHILD";

fn partition(token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
    PartitionKey::new(PartitionParts {
        environment: "login.microsoftonline.com",
        client_id: SECRET_APP,
        tenant: TENANT,
        token_type,
        key_id,
    })
}

fn scopes() -> Scopes {
    Scopes::new([SCOPE]).unwrap()
}

fn now() -> UnixTime {
    UnixTime::from_system_time(SystemTime::now())
}

fn token(partition: PartitionKey, secret: &str, lifetime_secs: u64) -> CachedAccessToken {
    let now = now();
    CachedAccessToken {
        partition,
        scopes: scopes(),
        secret: SecretString::new(secret),
        cached_at: now,
        expires_on: now.saturating_add_secs(lifetime_secs),
        extended_expires_on: now.saturating_add_secs(lifetime_secs),
        refresh_on: None,
    }
}

fn cache(url: &str, namespace: &str) -> RedisTokenCache {
    RedisTokenCache::builder(url)
        .namespace(namespace)
        .operation_timeout(Duration::from_millis(200))
        .retry_after(Duration::from_millis(200))
        .build()
        .unwrap()
}

/// The partitions of the isolation test and the token each holds.
fn isolated() -> Vec<(PartitionKey, &'static str)> {
    vec![
        (partition(TokenType::Bearer, None), "bearer"),
        (partition(TokenType::MtlsPop, Some("cert-1")), "pop-cert-1"),
        (partition(TokenType::MtlsPop, Some("cert-2")), "pop-cert-2"),
        (
            partition(TokenType::Bearer, Some("cert-1")),
            "bearer-over-mtls-cert-1",
        ),
    ]
}

/// Child entry point (see the module docs): stores the isolation test's tokens.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    assert_eq!(mode, "store");
    let url = std::env::var("REDIS_URL").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cache = cache(&url, "isolation");
        for (p, secret) in isolated() {
            cache.store(token(p, secret, 3600)).await.unwrap();
        }
    });
}

fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

fn keys(connection: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query(connection).unwrap();
    keys.sort();
    keys
}

#[tokio::test]
async fn key_id_and_token_type_isolate_across_processes() {
    let mut server = RedisServer::start();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "store")
        .env("REDIS_URL", server.url())
        .status()
        .unwrap();
    assert!(status.success(), "the child stored its tokens");

    // This process has never seen these tokens: each comes from Redis, from its own partition.
    let cache = cache(&server.url(), "isolation");
    assert!(cache.local().is_empty());
    for (p, secret) in isolated() {
        let found = cache.find(&p, &scopes()).await.unwrap().expect(secret);
        assert_eq!(found.secret.expose_secret(), secret);
        assert_eq!(found.partition, p);
    }
    for (token_type, key_id) in [
        (TokenType::MtlsPop, None),
        (TokenType::MtlsPop, Some("cert-3")),
        (TokenType::Bearer, Some("cert-2")),
    ] {
        let p = partition(token_type, key_id);
        assert!(cache.find(&p, &scopes()).await.unwrap().is_none(), "{p:?}");
    }
    // Another namespace sees nothing.
    let other = self::cache(&server.url(), "other-service");
    let bearer = partition(TokenType::Bearer, None);
    assert!(other.find(&bearer, &scopes()).await.unwrap().is_none());

    // The values are MSAL AccessToken entries, under MSAL keys (`atext` with an ext_cache_key
    // for every token with a key id).
    let mut connection = raw(&server.url());
    let stored = keys(&mut connection, "isolation:at:*");
    assert_eq!(stored.len(), 4, "{stored:?}");
    assert_eq!(stored.iter().filter(|k| k.contains("-atext-")).count(), 3);
    for key in &stored {
        let value: Vec<u8> = redis::cmd("GET").arg(key).query(&mut connection).unwrap();
        let entry: serde_json::Value = serde_json::from_slice(&value).unwrap();
        assert_eq!(entry["credential_type"], "AccessToken");
        assert_eq!(entry["client_id"], SECRET_APP);
        assert_eq!(entry["realm"], TENANT);
        assert_eq!(entry["target"], SCOPE);
        assert!(entry["home_account_id"].is_null());
        assert_eq!(
            entry.get("ext_cache_key").is_some(),
            key.contains("-atext-"),
            "{key}"
        );
    }

    // What this process read is in its L1 now: it keeps serving with Redis gone.
    server.kill();
    for (p, secret) in isolated() {
        let found = cache.find(&p, &scopes()).await.unwrap().expect(secret);
        assert_eq!(found.secret.expose_secret(), secret);
    }
}

#[tokio::test]
async fn entries_expire_with_their_token() {
    let server = RedisServer::start();
    let writer = cache(&server.url(), "ttl");
    let bearer = partition(TokenType::Bearer, None);
    writer
        .store(token(bearer.clone(), "short", 2))
        .await
        .unwrap();
    // Already expired: not written to Redis at all.
    let pop = partition(TokenType::MtlsPop, Some("cert-1"));
    let mut expired = token(pop.clone(), "expired", 0);
    expired.expires_on = now().saturating_sub(Duration::from_secs(10));
    writer.store(expired).await.unwrap();

    let mut connection = raw(&server.url());
    let stored = keys(&mut connection, "ttl:at:*");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&stored[0])
        .query(&mut connection)
        .unwrap();
    assert!((1..=2_000).contains(&ttl), "time-to-live {ttl} ms");

    let reader = cache(&server.url(), "ttl");
    let found = reader.find(&bearer, &scopes()).await.unwrap();
    assert_eq!(found.unwrap().secret.expose_secret(), "short");
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    assert!(
        keys(&mut connection, "ttl:at:*").is_empty(),
        "Redis dropped it"
    );
    let late_reader = cache(&server.url(), "ttl");
    assert!(late_reader
        .find(&bearer, &scopes())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn every_operation_succeeds_while_redis_is_down() {
    let mut server = RedisServer::start();
    let cache = cache(&server.url(), "down");
    let bearer = partition(TokenType::Bearer, None);
    cache
        .store(token(bearer.clone(), "before", 3600))
        .await
        .unwrap();
    server.kill();
    let found = cache.find(&bearer, &scopes()).await.unwrap();
    assert_eq!(found.unwrap().secret.expose_secret(), "before", "from L1");
    let pop = partition(TokenType::MtlsPop, Some("cert-1"));
    assert!(cache.find(&pop, &scopes()).await.unwrap().is_none());
    cache
        .store(token(pop.clone(), "during", 3600))
        .await
        .unwrap();
    let found = cache.find(&pop, &scopes()).await.unwrap();
    assert_eq!(found.unwrap().secret.expose_secret(), "during");
    match cache.begin_fill(&bearer, &scopes()).await.unwrap() {
        Fill::Request(lease) => assert!(!lease.is_fleet(), "no fleet lease without Redis"),
        Fill::Stored => panic!("nothing can have been stored"),
    }
    assert!(cache.remove(&pop, &scopes()).await.unwrap());

    // Back: after `retry_after` the cache writes to Redis again.
    server.restart();
    tokio::time::sleep(Duration::from_millis(250)).await;
    cache
        .store(token(pop.clone(), "after", 3600))
        .await
        .unwrap();
    let mut connection = raw(&server.url());
    assert_eq!(keys(&mut connection, "down:at:*").len(), 1);
}

/// Calls the facade in a loop until `stop`; counts calls and errors.
fn caller(
    app: msal::ConfidentialClientApplication,
    scope: String,
    stop: Arc<AtomicBool>,
    counts: Arc<(AtomicUsize, AtomicUsize)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            match app.acquire_token_for_client([scope.as_str()]).await {
                Ok(_) => counts.0.fetch_add(1, Ordering::Relaxed),
                Err(e) => {
                    eprintln!("error surfaced: {e}");
                    counts.1.fetch_add(1, Ordering::Relaxed)
                }
            };
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_mid_run_surfaces_no_error_and_l1_keeps_serving() {
    let env = TestEnv::start().await;
    let mut server = RedisServer::start();
    let cache = Arc::new(cache(&server.url(), "outage"));
    let app = env
        .app(SECRET_APP)
        .client_secret(SECRET)
        .token_cache(cache.clone())
        .build()
        .unwrap();
    let scopes: Vec<String> = (0..3)
        .map(|i| format!("api://outage-{i}/.default"))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let callers: Vec<_> = scopes
        .iter()
        .map(|s| caller(app.clone(), s.clone(), stop.clone(), counts.clone()))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.kill();
    let before_outage = counts.0.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(800)).await;
    // A token nobody had before the outage: requested, served, kept in L1.
    let cold = app.acquire_token_for_client(["api://cold/.default"]).await;
    assert_eq!(cold.unwrap().token_source(), TokenSource::IdentityProvider);
    let during_outage = counts.0.load(Ordering::Relaxed) - before_outage;
    let cached = app.acquire_token_for_client([scopes[0].as_str()]).await;
    assert_eq!(
        cached.unwrap().token_source(),
        TokenSource::Cache,
        "L1 serves"
    );

    server.restart();
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    assert_eq!(
        counts.1.load(Ordering::Relaxed),
        0,
        "no error reached a caller"
    );
    assert!(during_outage > 10, "calls kept succeeding: {during_outage}");
    // The three scopes and the cold one were each requested once: L1 served the rest.
    assert_eq!(env.emulator.token_requests().len(), 4);
    // Redis is in use again: a new token lands there once the cache's back-off after the last
    // failure (`retry_after`, 1 s) has run out; on a loaded machine the callers' last failure
    // can fall late in the sleep above, so new tokens are asked for until one lands (5 s).
    let mut connection = raw(&server.url());
    let mut landed = 0;
    for i in 0..50 {
        app.acquire_token_for_client([format!("api://after-{i}/.default")])
            .await
            .unwrap();
        landed = keys(&mut connection, "outage:at:*").len();
        if landed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        landed >= 1,
        "no token reached the restarted Redis within 5 s"
    );
}
