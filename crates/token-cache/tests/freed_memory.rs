//! Issue #10 item 6: writing and reading the cache file leaves no unwiped copy of a token in
//! freed memory. This binary runs on `alloc_scan::ScanAlloc`, which scans every freed block for
//! a marker; the tokens below carry the marker.

mod common;

use std::hint::black_box;

use common::{bearer, open, scopes, TempDir, EXPIRES, NOW};
use token_cache::{CacheDocument, CachedAccessToken, SecretString, TokenCache, UnixTime};

#[global_allocator]
static A: alloc_scan::ScanAlloc = alloc_scan::ScanAlloc;

const MARKER: &str = "item6-cache-marker-Hb3nW9";

/// Length of each token: a few of them make a document well over 4 KiB.
const TOKEN_LEN: usize = 1500;

/// A token for its own scope whose secret carries the marker, built at its final size (no
/// growth, so no freed partial copies).
fn token(i: usize) -> CachedAccessToken {
    let mut secret = String::with_capacity(TOKEN_LEN);
    secret.push_str("eyJ0eXAi.");
    secret.push_str(MARKER);
    secret.push_str(&i.to_string());
    while secret.len() < TOKEN_LEN {
        secret.push('x');
    }
    CachedAccessToken {
        partition: bearer(),
        scopes: scopes(&[&format!("api://app-{i}/.default")]),
        secret: SecretString::new(secret),
        cached_at: UnixTime::from_secs(NOW),
        expires_on: UnixTime::from_secs(EXPIRES),
        extended_expires_on: UnixTime::from_secs(EXPIRES),
        refresh_on: None,
    }
}

#[test]
fn item6_control_a_plain_string_is_seen() {
    let found = alloc_scan::control(MARKER.as_bytes());
    assert!(found.hits > 0, "no unwiped copy seen: {found}");
}

#[test]
fn item6_file_cache_write_leaves_no_copy() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = TempDir::new("item6-freed-memory");
    let path = dir.file("cache.json");
    let found = alloc_scan::scan(MARKER.as_bytes(), || {
        runtime.block_on(async {
            let cache = open(&path);
            // the first write creates the file; the second reads, parses and merges it
            cache.store_many((0..6).map(token).collect()).await.unwrap();
            cache.store(token(6)).await.unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() > 8192);
            // another instance reads and parses the file into its index
            let reader = open(&path);
            let found = reader
                .find(&bearer(), &scopes(&["api://app-3/.default"]))
                .await
                .unwrap()
                .unwrap();
            assert!(found.secret.expose_secret().contains(MARKER));
        });
    });
    assert_eq!(found.hits, 0, "{found}");
}

#[test]
fn item6_cache_document_round_trip_leaves_no_copy() {
    let found = alloc_scan::scan(MARKER.as_bytes(), || {
        let json = CacheDocument::from_iter((0..6).map(token)).to_json();
        let doc = CacheDocument::parse(json.expose_secret().as_bytes()).unwrap();
        assert_eq!(doc.len(), 6);
        drop(black_box((doc, json)));
    });
    assert_eq!(found.hits, 0, "{found}");
}
