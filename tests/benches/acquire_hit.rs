//! `acquire_token_for_client` answered from the cache, through the whole facade (scope
//! normalisation, partition key, lookup, freshness checks, telemetry counter, result), with
//! 10, 1,000 and 100,000 other tokens in the same cache. Compare: MSAL Python 1.39 takes about
//! 14 µs per hit on this machine (`docs/benchmarks.md`).
//!
//! `cargo bench -p msal-e2e-tests --bench acquire_hit`
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use msal::cache::{CachedAccessToken, PartitionKey, PartitionParts};
use msal::cache::{MemoryTokenCache, TokenCache};
use msal::{Scopes, SecretString};
use msal::{TokenType, UnixTime};
use msal_e2e_tests::{TestEnv, SCOPE, SECRET, SECRET_APP, TENANT};

fn filler(rt: &tokio::runtime::Runtime, cache: &MemoryTokenCache, n: usize) {
    let now = UnixTime::from_secs(1_800_000_000);
    let tokens = (0..n)
        .map(|i| CachedAccessToken {
            partition: PartitionKey::new(PartitionParts {
                environment: "login.microsoftonline.com",
                client_id: SECRET_APP,
                tenant: &format!("tenant-{}", i % 1000),
                token_type: TokenType::Bearer,
                key_id: None,
            }),
            scopes: Scopes::new([format!("api://resource-{i}/.default")]).unwrap(),
            secret: SecretString::new(format!("token-{i}")),
            cached_at: now,
            expires_on: now.saturating_add_secs(3600),
            extended_expires_on: now.saturating_add_secs(3600),
            refresh_on: None,
        })
        .collect();
    rt.block_on(cache.store_many(tokens)).unwrap();
}

fn benches(c: &mut Criterion) {
    let rt = msal_e2e_tests::bench_runtime();
    let env = rt.block_on(TestEnv::start());
    let mut group = c.benchmark_group("acquire_token_for_client_cache_hit");
    for n in [10usize, 1_000, 100_000] {
        let cache = Arc::new(MemoryTokenCache::new());
        filler(&rt, &cache, n);
        let app = env
            .app(SECRET_APP)
            .client_secret(SECRET)
            .token_cache(cache)
            .build()
            .unwrap();
        rt.block_on(async { app.acquire_token_for_client([SCOPE]).await.unwrap() });
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.to_async(&rt)
                .iter(|| async { app.acquire_token_for_client([SCOPE]).await.unwrap() });
        });
    }
    group.finish();
    let _ = TENANT;
}

criterion_group!(acquire_hit, benches);
criterion_main!(acquire_hit);
