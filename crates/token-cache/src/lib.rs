//! Token cache: the [`TokenCache`] trait the `msal` facade talks to, and its backends.
//!
//! Tokens live in **partitions** keyed by [`PartitionKey`] = (environment, client id, tenant,
//! token type, key id). The key id is the `x5t#S256` of the certificate a token is bound to (or
//! was acquired with over mTLS), so a PoP query never sees a Bearer token, a Bearer query never
//! sees a bound token (not even a Bearer token acquired over mTLS), and two certificates for the
//! same app never overwrite each other: a renewed certificate, even with the same key, has a new
//! `x5t#S256` and so misses and gets a new token. `docs/cache.md` in the repository describes
//! the isolation rules, the file format and the locking model.
//!
//! Within a partition a lookup by the exact scope set is one hash probe; a request for a subset
//! of a cached scope set (`a` answered by a token for `a b`) goes through a per-scope index and
//! looks only at the scope sets that contain the rarest requested scope. No operation scans the
//! whole cache.
//!
//! The cache stores and returns entries; deciding whether an entry is fresh enough (expiry
//! margin, `refresh_on`) is the caller's job, so that every backend behaves the same. The file
//! backend drops expired entries when it writes, by the [`Clock`] its caller gives it.
//!
//! Backends:
//! * [`MemoryTokenCache`]: process-local, the default.
//! * [`FileTokenCache`]: one JSON file in MSAL's unified cache format ([`CacheDocument`]),
//!   shared safely by several processes (a lock around read-merge-write, atomic replace), and
//!   readable by MSAL Python for Bearer tokens.
//! * [`RedisTokenCache`] (feature `redis`): L1 in process memory in front of Redis, shared by
//!   every instance of a service, with fleet-wide single flight ([`TokenCache::begin_fill`]).
//!
//! To keep tokens elsewhere (a database), implement [`TokenCache`]; [`CacheDocument`]
//! reads and writes MSAL's format if the store should hold it.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `file` | on | [`FileTokenCache`] and [`FileTokenCacheBuilder`]; brings in Tokio (`rt`, for `spawn_blocking`) and, on Unix, rustix (the ownership and mode checks) |
//! | `redis` | off | [`RedisTokenCache`] and [`RedisTokenCacheBuilder`]; brings in the `redis` crate (Tokio, no TLS) and Tokio (`rt`, `time`) |
//!
//! The trait and the memory cache are async but need no particular runtime. With
//! `default-features = false` the crate has no Tokio, no rustls and no X.509 parser in its tree:
//! it uses only the light protocol types of `msal-oauth2-core` (without that crate's
//! `certificates` feature).
//!
//! ```
//! use token_cache::{
//!     CachedAccessToken, MemoryTokenCache, PartitionKey, PartitionParts, Scopes, SecretString,
//!     TokenCache, TokenType, UnixTime,
//! };
//!
//! fn partition(token_type: TokenType, key_id: Option<&str>) -> PartitionKey {
//!     PartitionKey::new(PartitionParts {
//!         environment: "login.microsoftonline.com",
//!         client_id: "11111111-2222-3333-4444-555555555555",
//!         tenant: "contoso.onmicrosoft.com",
//!         token_type,
//!         key_id,
//!     })
//! }
//!
//! fn token(partition: PartitionKey, secret: &str) -> CachedAccessToken {
//!     let now = UnixTime::from_secs(1_700_000_000);
//!     CachedAccessToken {
//!         partition,
//!         scopes: Scopes::new(["https://graph.microsoft.com/.default"]).unwrap(),
//!         secret: SecretString::new(secret),
//!         cached_at: now,
//!         expires_on: now.saturating_add_secs(3_600),
//!         extended_expires_on: now.saturating_add_secs(3_600),
//!         refresh_on: None,
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! runtime.block_on(async {
//!     let cache = MemoryTokenCache::new();
//!     let bearer = partition(TokenType::Bearer, None);
//!     let pop = partition(TokenType::MtlsPop, Some("x5t-s256-of-certificate-1"));
//!     cache.store(token(bearer.clone(), "bearer-token")).await?;
//!     cache.store(token(pop.clone(), "pop-token")).await?;
//!
//!     let graph = Scopes::new(["https://graph.microsoft.com/.default"])?;
//!     let found = cache.find(&bearer, &graph).await?.expect("the Bearer token");
//!     assert_eq!(found.secret.expose_secret(), "bearer-token");
//!     let found = cache.find(&pop, &graph).await?.expect("the PoP token");
//!     assert_eq!(found.secret.expose_secret(), "pop-token");
//!
//!     // Another certificate, or the same certificate with another token type, sees nothing.
//!     let other_cert = partition(TokenType::MtlsPop, Some("x5t-s256-of-certificate-2"));
//!     assert!(cache.find(&other_cert, &graph).await?.is_none());
//!     let bearer_over_mtls = partition(TokenType::Bearer, Some("x5t-s256-of-certificate-1"));
//!     assert!(cache.find(&bearer_over_mtls, &graph).await?.is_none());
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(())
//! # }
//! ```
// Without the `file` feature its items do not exist: their names above link to the Features
// section.
#![cfg_attr(
    not(feature = "file"),
    doc = "[`FileTokenCache`]: #features
[`FileTokenCacheBuilder`]: #features"
)]
#![cfg_attr(
    not(feature = "redis"),
    doc = "[`RedisTokenCache`]: #features
[`RedisTokenCacheBuilder`]: #features"
)]
#![forbid(unsafe_code)]

// The README (the crates.io page) is not the front page; its examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod cache;
mod entry;
mod error;
#[cfg(feature = "file")]
mod file;
mod fill;
mod json;
mod memory;
mod partition;
mod precomputed;
#[cfg(feature = "redis")]
mod redis;
mod serialization;

pub use cache::TokenCache;
pub use entry::CachedAccessToken;
pub use error::Error;
#[cfg(feature = "file")]
pub use file::{FileTokenCache, FileTokenCacheBuilder};
pub use fill::{Fill, FillLease};
pub use memory::MemoryTokenCache;
pub use oauth2_core::{Clock, Scopes, SecretString, TokenType, UnixTime};
pub use partition::{PartitionKey, PartitionParts};
#[cfg(feature = "redis")]
pub use redis::{RedisTokenCache, RedisTokenCacheBuilder};
pub use serialization::CacheDocument;
#[doc(hidden)]
pub use serialization::{access_token_key, ext_cache_key};
