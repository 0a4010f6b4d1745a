//! Reusing signed client assertions while they are fresh.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{sign_client_assertion, AssertionFlavor, AssertionOptions, ClientAssertion};
use crate::{ClientCertificate, Error, UnixTime};

/// Remaining lifetime below which a cached assertion is replaced.
const MIN_REMAINING: Duration = Duration::from_secs(60);
/// Upper bound on cached assertions; when reached, expired entries are dropped, then all.
const MAX_ENTRIES: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    x5t_s256: String,
    client_id: String,
    audience: String,
    send_x5c: bool,
    flavor: AssertionFlavor,
}

/// Reuses signed client assertions while they have more than 60 seconds of life left.
///
/// MSAL Python signs one assertion and sends it for 540 of its 600 seconds; this cache does the
/// same per (certificate `x5t#S256`, client id, audience, `send_x5c`, flavor). Thread-safe.
#[derive(Debug, Default)]
pub struct AssertionCache {
    entries: Mutex<HashMap<CacheKey, ClientAssertion>>,
}

impl AssertionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the cached assertion for these inputs if it was issued at or before `now` and is
    /// valid for more than 60 more seconds; otherwise signs a new one and caches it.
    pub fn get_or_sign(
        &self,
        cert: &ClientCertificate,
        opts: &AssertionOptions,
        now: SystemTime,
    ) -> Result<ClientAssertion, Error> {
        let key = CacheKey {
            x5t_s256: cert.x5t_s256().to_owned(),
            client_id: opts.client_id.clone(),
            audience: opts.audience.clone(),
            send_x5c: opts.send_x5c,
            flavor: opts.flavor,
        };
        let unix_now = UnixTime::from_system_time(now);
        let is_fresh = |a: &ClientAssertion| a.is_fresh_at(unix_now, MIN_REMAINING);
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = entries.get(&key) {
            if is_fresh(cached) {
                return Ok(cached.clone());
            }
        }
        let assertion = sign_client_assertion(cert, opts, now)?;
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, a| is_fresh(a));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, assertion.clone());
        Ok(assertion)
    }
}
