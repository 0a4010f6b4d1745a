//! Cache benchmarks: memory hits and misses at 10, 1,000 and 100,000 tokens (spread over 1,000
//! tenants, or all in one partition), and, on a 10,000-token file, a file-cache write of one
//! token, the opening of the file by a new instance, and a lookup.
//!
//! `cargo bench -p token-cache --bench cache -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use token_cache::{
    CachedAccessToken, FileTokenCache, MemoryTokenCache, PartitionKey, PartitionParts, Scopes,
    SecretString, TokenCache, TokenType, UnixTime,
};

const SIZES: [usize; 3] = [10, 1_000, 100_000];
/// A JWT-sized secret (real access tokens are 1–2 kB).
const SECRET_LEN: usize = 1_500;

#[derive(Clone, Copy)]
enum Layout {
    /// Token `i` in tenant `i % 1000`.
    Spread,
    /// Every token in one partition.
    OnePartition,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Spread => "1000_tenants",
            Layout::OnePartition => "one_partition",
        }
    }

    fn key(self, i: usize) -> (PartitionKey, Scopes) {
        let tenant = match self {
            Layout::Spread => format!("tenant-{:04}-0000-1111-2222-333344445555", i % 1_000),
            Layout::OnePartition => "tenant-0000-0000-1111-2222-333344445555".to_owned(),
        };
        let partition = PartitionKey::new(PartitionParts {
            tenant: &tenant,
            ..parts()
        });
        let scope = format!("api://resource-{i}/.default");
        (partition, Scopes::new([scope.as_str()]).unwrap())
    }
}

/// The parts every benchmark partition shares.
fn parts() -> PartitionParts<'static> {
    PartitionParts {
        environment: "login.microsoftonline.com",
        client_id: "11111111-2222-3333-4444-555555555555",
        tenant: "",
        token_type: TokenType::Bearer,
        key_id: None,
    }
}

/// A token issued now (the file cache prunes by the system clock), valid for a day.
fn token(partition: PartitionKey, scopes: Scopes, secret: &str) -> CachedAccessToken {
    let now = UnixTime::from_system_time(SystemTime::now());
    CachedAccessToken {
        partition,
        scopes,
        secret: SecretString::new(secret),
        cached_at: now,
        expires_on: now.saturating_add_secs(86_400),
        extended_expires_on: now.saturating_add_secs(86_400),
        refresh_on: Some(now.saturating_add_secs(43_200)),
    }
}

fn filled(runtime: &tokio::runtime::Runtime, layout: Layout, n: usize) -> MemoryTokenCache {
    let secret = "e".repeat(SECRET_LEN);
    let cache = MemoryTokenCache::new();
    let tokens = (0..n)
        .map(|i| {
            let (p, s) = layout.key(i);
            token(p, s, &secret)
        })
        .collect();
    runtime.block_on(cache.store_many(tokens)).unwrap();
    assert_eq!(cache.len(), n);
    cache
}

/// Up to 1,024 keys of cached tokens, spread over the cache, looked up in turn.
fn probes(layout: Layout, n: usize) -> Vec<(PartitionKey, Scopes)> {
    let count = n.min(1_024);
    (0..count).map(|j| layout.key(j * n / count)).collect()
}

fn memory(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for layout in [Layout::Spread, Layout::OnePartition] {
        let mut hit = c.benchmark_group(format!("memory_hit/{}", layout.name()));
        for n in SIZES {
            let cache = filled(&runtime, layout, n);
            let keys = probes(layout, n);
            let mut i = 0usize;
            // what the facade calls: the async trait method, returning an owned entry
            hit.bench_with_input(BenchmarkId::new("trait_find", n), &n, |b, _| {
                b.to_async(&runtime).iter(|| {
                    i = (i + 1) % keys.len();
                    let (p, s) = &keys[i];
                    let cache = &cache;
                    async move {
                        let found = cache.find(p, s).await.unwrap();
                        assert!(found.is_some());
                        black_box(found)
                    }
                });
            });
            // the async trait method returning the shared entry (no copy)
            hit.bench_with_input(BenchmarkId::new("trait_find_shared", n), &n, |b, _| {
                b.to_async(&runtime).iter(|| {
                    i = (i + 1) % keys.len();
                    let (p, s) = &keys[i];
                    let cache = &cache;
                    async move {
                        let found = TokenCache::find_shared(cache, p, s).await.unwrap();
                        assert!(found.is_some());
                        black_box(found)
                    }
                });
            });
            // the synchronous lookup underneath
            hit.bench_with_input(BenchmarkId::new("find_shared", n), &n, |b, _| {
                b.iter(|| {
                    i = (i + 1) % keys.len();
                    let (p, s) = &keys[i];
                    black_box(cache.find_shared_sync(p, s).unwrap().unwrap())
                });
            });
        }
        hit.finish();

        let mut miss = c.benchmark_group(format!("memory_miss/{}", layout.name()));
        for n in SIZES {
            let cache = filled(&runtime, layout, n);
            // an existing partition, a scope nobody has
            let partitions: Vec<PartitionKey> =
                probes(layout, n).into_iter().map(|(p, _)| p).collect();
            let absent = Scopes::new(["api://not-cached/.default"]).unwrap();
            let mut i = 0usize;
            miss.bench_with_input(BenchmarkId::new("unknown_scope", n), &n, |b, _| {
                b.iter(|| {
                    i = (i + 1) % partitions.len();
                    let found = cache.find_shared_sync(&partitions[i], &absent).unwrap();
                    black_box(found.is_none())
                });
            });
            // a scope set whose scopes are all cached, but never together: the superset
            // search looks only at the sets holding the rarest scope
            let (p0, s0) = layout.key(0);
            let (_, s1) = layout.key(1);
            let pair = Scopes::new(s0.iter().chain(s1.iter())).unwrap();
            let (probe_partition, probe_scopes) = match layout {
                Layout::OnePartition => (p0, pair),
                Layout::Spread => (p0, Scopes::new(s0.iter().chain(["x"])).unwrap()),
            };
            miss.bench_with_input(BenchmarkId::new("no_superset", n), &n, |b, _| {
                b.iter(|| {
                    let found = cache
                        .find_shared_sync(&probe_partition, &probe_scopes)
                        .unwrap();
                    black_box(found.is_none())
                });
            });
            let unknown_tenant = PartitionKey::new(PartitionParts {
                tenant: "no-such-tenant",
                ..parts()
            });
            let (_, some_scopes) = layout.key(0);
            miss.bench_with_input(BenchmarkId::new("unknown_partition", n), &n, |b, _| {
                b.iter(|| {
                    let found = cache
                        .find_shared_sync(&unknown_tenant, &some_scopes)
                        .unwrap();
                    black_box(found.is_none())
                });
            });
        }
        miss.finish();
    }
}

/// A new directory for the bench's cache; `FileTokenCache::open` creates it (`0700`: the cache
/// refuses a directory others may write, whatever the umask would give).
fn temp_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("token-cache-bench-{nanos}"))
}

fn file(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let dir = temp_dir();
    let path = dir.join("cache.json");
    let secret = "e".repeat(SECRET_LEN);
    let cache = FileTokenCache::open(&path).unwrap();
    runtime.block_on(async {
        let tokens = (0..10_000)
            .map(|i| {
                let (p, s) = Layout::Spread.key(i);
                token(p, s, &secret)
            })
            .collect();
        cache.store_many(tokens).await.unwrap();
    });
    assert_eq!(cache.len(), 10_000);
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("file cache: 10,000 tokens, {size} bytes");

    let mut group = c.benchmark_group("file_10000_tokens");
    group.sample_size(10);
    // one more token (the same key each time, so the file keeps its size)
    let (p, s) = Layout::Spread.key(10_000);
    group.bench_function("store_one", |b| {
        b.to_async(&runtime)
            .iter(|| cache.store(token(p.clone(), s.clone(), &secret)));
    });
    // a new instance reading the file: open, read, parse, build the index. Each instance is
    // dropped, untimed, before the next opens, as MSAL Python's bench frees each loaded cache
    // (`iter_with_large_drop` would keep a whole batch alive: every open then pays for fresh
    // pages from the kernel, which the peer's side never does).
    group.bench_function("open", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let cache = black_box(FileTokenCache::open(&path).unwrap());
                timed += start.elapsed();
                drop(cache);
            }
            timed
        });
    });
    let keys = probes(Layout::Spread, 10_000);
    let mut i = 0usize;
    group.bench_function("find_hit_unchanged_file", |b| {
        b.to_async(&runtime).iter(|| {
            i = (i + 1) % keys.len();
            let (p, s) = &keys[i];
            let cache = &cache;
            async move { black_box(cache.find(p, s).await.unwrap().unwrap()) }
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, file, memory);
criterion_main!(benches);
