//! Memory per cached token in [`MemoryTokenCache`], measured with a counting allocator: the
//! bytes allocated and not freed while N tokens are built and stored, divided by N. The
//! tokens have the shape MSAL Python's side of `cargo xtask bench` loads
//! (`tests/peers/msal-python`): token `i` has the scope `api://resource-{i}/.default`, lives
//! in tenant `tenant-{i % 1000:04}-0000-1111-2222-333344445555` of one client on
//! `login.microsoftonline.com`, expires in a day with a `refresh_on`, and carries a distinct
//! secret of the given length. Each token is built with its own partition key, as a loader
//! (a file reload, another process) builds them; the cache keeps one per partition.
//!
//! Counted, as Python's `tracemalloc` counts: the sizes requested, not the system allocator's
//! own overhead per block.
//!
//! `cargo bench -p token-cache --bench memory -- [TOKENS [SECRET_LEN ...]]` (default 100000,
//! secret lengths 1500 and 16). Prints one `FIGURE memory_per_token secret_len=L tokens=N
//! bytes=B` line per secret length.
#![allow(missing_docs, clippy::print_stdout)]

use oauth2_core::{Scopes, SecretString, TokenType, UnixTime};
use token_cache::{CachedAccessToken, MemoryTokenCache, PartitionKey, PartitionParts, TokenCache};

#[global_allocator]
static ALLOCATOR: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;

const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

fn token(i: usize, secret_len: usize, now: UnixTime) -> CachedAccessToken {
    // exact capacity, as a parsed token response or cache file gives
    let mut secret = String::with_capacity(secret_len.max(8));
    secret.push_str(&"e".repeat(secret_len.saturating_sub(8)));
    secret.push_str(&format!("{:08}", i % 100_000_000));
    let tenant = format!("tenant-{:04}-0000-1111-2222-333344445555", i % 1000);
    CachedAccessToken {
        partition: PartitionKey::new(PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: CLIENT_ID,
            tenant: &tenant,
            token_type: TokenType::Bearer,
            key_id: None,
        }),
        scopes: Scopes::new([format!("api://resource-{i}/.default")]).expect("valid scope"),
        secret: SecretString::new(secret),
        cached_at: now,
        expires_on: now.saturating_add_secs(86_400),
        extended_expires_on: now.saturating_add_secs(86_400),
        refresh_on: Some(now.saturating_add_secs(43_200)),
    }
}

/// Bytes per token held by a cache of `n` tokens.
fn per_token(n: usize, secret_len: usize) -> isize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let store =
        |cache: &MemoryTokenCache, batch| rt.block_on(cache.store_many(batch)).expect("store");
    let now = UnixTime::from_secs(1_800_000_000);
    let before = alloc_scan::live_bytes();
    let cache = MemoryTokenCache::new();
    // in batches, as a loader stores them (one write lock per batch)
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        batch.push(token(i, secret_len, now));
        if batch.len() == batch.capacity() {
            store(&cache, std::mem::take(&mut batch));
            batch.reserve(1000);
        }
    }
    store(&cache, batch);
    let after = alloc_scan::live_bytes();
    assert_eq!(cache.len(), n);
    drop(cache);
    (after - before) / isize::try_from(n.max(1)).unwrap_or(isize::MAX)
}

fn main() {
    // `cargo bench` passes `--bench`; numbers are ours
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = numbers.first().copied().unwrap_or(100_000);
    let lengths = if numbers.len() > 1 {
        numbers[1..].to_vec()
    } else {
        vec![1500, 16]
    };
    for secret_len in lengths {
        let bytes = per_token(n, secret_len);
        println!("FIGURE memory_per_token secret_len={secret_len} tokens={n} bytes={bytes}");
    }
}
