//! MSAL telemetry headers for token requests.
//!
//! Entra ID reads two request headers to learn how a client library behaves:
//!
//! * `x-client-current-telemetry` describes the request being sent: which API made it and why the
//!   cache could not answer (see [`CurrentRequest`]).
//! * `x-client-last-telemetry` summarises what happened since the last successful request:
//!   how many calls the cache served and which requests failed (see [`LastRequests`]).
//!
//! This crate writes MSAL Python's **schema 4** (the reference for our wire format, see
//! `docs/telemetry.md`): `4|{api_id},{cache_refresh}|{platform}` and
//! `4|{silent_hits}|{api,correlation_id,...}|{error,...}|`. For mTLS PoP requests the platform
//! section carries the token type number `6` in its third field, as MSAL Python does; that number is
//! the cross-SDK invariant Entra looks for.
//!
//! The crate has no dependencies of ours, does no I/O and never sees a secret: only API ids,
//! correlation ids (random UUIDs) and OAuth error codes (`invalid_client`, ...) are recorded.
#![forbid(unsafe_code)]

use std::fmt::Write as _;

/// The telemetry schema version this crate writes.
pub const SCHEMA_VERSION: u8 = 4;

/// Header name for the current request's telemetry.
pub const CURRENT_TELEMETRY_HEADER: &str = "x-client-current-telemetry";
/// Header name for the summary of earlier requests.
pub const LAST_TELEMETRY_HEADER: &str = "x-client-last-telemetry";

/// Upper bound (in characters) of the failed-request part of the last-request header; failures
/// beyond it are dropped, never evicting older ones (MSAL Python's rule).
pub const MAX_LAST_REQUEST_CHARS: usize = 350;

/// The public API that caused a token request.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiId {
    /// `acquire_token_for_client` (client credentials).
    AcquireTokenForClient,
}

impl ApiId {
    /// The numeric id Entra knows this API by (schema 4).
    pub fn number(self) -> u32 {
        match self {
            ApiId::AcquireTokenForClient => 730,
        }
    }
}

/// Why a token request went to the network instead of being answered by the cache.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheRefreshReason {
    /// The call does not use the cache.
    NotApplicable,
    /// The caller forced a refresh (or passed a claims challenge).
    ForceRefresh,
    /// No matching access token was cached.
    NoCachedToken,
    /// The cached token had expired (or had less than the expiry margin left).
    Expired,
    /// The cached token was still valid but past its `refresh_on` time (proactive refresh).
    ProactiveRefresh,
}

impl CacheRefreshReason {
    /// The number written in the header.
    pub fn number(self) -> u8 {
        match self {
            CacheRefreshReason::NotApplicable => 0,
            CacheRefreshReason::ForceRefresh => 1,
            CacheRefreshReason::NoCachedToken => 2,
            CacheRefreshReason::Expired => 3,
            CacheRefreshReason::ProactiveRefresh => 4,
        }
    }
}

/// The token type asked for, as numbered across MSAL libraries.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenTypeCode {
    /// An ordinary bearer token (1).
    Bearer,
    /// A token bound to the TLS client certificate, `mtls_pop` (6).
    MtlsPop,
}

impl TokenTypeCode {
    /// The number written in the header.
    pub fn number(self) -> u8 {
        match self {
            TokenTypeCode::Bearer => 1,
            TokenTypeCode::MtlsPop => 6,
        }
    }
}

/// Telemetry of the request about to be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrentRequest {
    /// The API that triggered the request.
    pub api: ApiId,
    /// Why the cache did not answer.
    pub cache_refresh: CacheRefreshReason,
    /// The token type requested.
    pub token_type: TokenTypeCode,
}

impl CurrentRequest {
    /// The `x-client-current-telemetry` header value, e.g. `4|730,2|` for a Bearer request that
    /// missed the cache, or `4|730,2|,,6` for an mTLS PoP request.
    pub fn header_value(&self) -> String {
        let platform = match self.token_type {
            TokenTypeCode::Bearer => String::new(),
            other => format!(",,{}", other.number()),
        };
        format!(
            "{SCHEMA_VERSION}|{},{}|{platform}",
            self.api.number(),
            self.cache_refresh.number()
        )
    }
}

/// A bounded record of what happened since the last successful token request of one app.
///
/// Cache hits increment a counter; failed requests append `(api, correlation id, error code)`
/// while the header stays under [`MAX_LAST_REQUEST_CHARS`]; a successful network request resets
/// everything (MSAL Python's rules, `msal-core-wire-and-cache.md` §5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastRequests {
    silent_hits: u64,
    failures: Vec<Failure>,
    failure_chars: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Failure {
    api: u32,
    correlation_id: String,
    error: String,
}

impl LastRequests {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one call answered by the cache.
    pub fn record_cache_hit(&mut self) {
        self.silent_hits = self.silent_hits.saturating_add(1);
    }

    /// Record a failed request. `error` is the OAuth error code (e.g. `invalid_client`), never a
    /// description. Commas and pipes are removed so the header stays parseable. Returns `false`
    /// when the record is full and the failure was dropped.
    pub fn record_failure(&mut self, api: ApiId, correlation_id: &str, error: &str) -> bool {
        let clean = |s: &str| -> String { s.chars().filter(|c| !matches!(c, ',' | '|')).collect() };
        let failure = Failure {
            api: api.number(),
            correlation_id: clean(correlation_id),
            error: clean(error),
        };
        let added = 3 + digits(failure.api) + failure.correlation_id.len() + failure.error.len();
        if self.failure_chars + added >= MAX_LAST_REQUEST_CHARS {
            return false;
        }
        self.failure_chars += added;
        self.failures.push(failure);
        true
    }

    /// Forget everything: called after a successful network request.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Number of failed requests recorded.
    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// The `x-client-last-telemetry` header value, e.g. `4|0|||` when empty or
    /// `4|0|730,<corr>|invalid_client|` after one failure.
    pub fn header_value(&self) -> String {
        let mut calls = String::new();
        let mut errors = String::new();
        for (i, f) in self.failures.iter().enumerate() {
            if i > 0 {
                calls.push(',');
                errors.push(',');
            }
            let _ = write!(calls, "{},{}", f.api, f.correlation_id);
            errors.push_str(&f.error);
        }
        format!("{SCHEMA_VERSION}|{}|{calls}|{errors}|", self.silent_hits)
    }
}

fn digits(n: u32) -> usize {
    n.to_string().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_request_headers() {
        let bearer = CurrentRequest {
            api: ApiId::AcquireTokenForClient,
            cache_refresh: CacheRefreshReason::NoCachedToken,
            token_type: TokenTypeCode::Bearer,
        };
        assert_eq!(bearer.header_value(), "4|730,2|");
        let pop = CurrentRequest {
            cache_refresh: CacheRefreshReason::ProactiveRefresh,
            token_type: TokenTypeCode::MtlsPop,
            ..bearer
        };
        assert_eq!(pop.header_value(), "4|730,4|,,6");
        let forced = CurrentRequest {
            cache_refresh: CacheRefreshReason::ForceRefresh,
            ..bearer
        };
        assert_eq!(forced.header_value(), "4|730,1|");
    }

    #[test]
    fn last_requests_sequence_matches_msal_python() {
        let mut last = LastRequests::new();
        assert_eq!(last.header_value(), "4|0|||");
        assert!(last.record_failure(ApiId::AcquireTokenForClient, "c1", "invalid_client"));
        assert_eq!(last.header_value(), "4|0|730,c1|invalid_client|");
        assert!(last.record_failure(ApiId::AcquireTokenForClient, "c2", "invalid_client"));
        assert_eq!(
            last.header_value(),
            "4|0|730,c1,730,c2|invalid_client,invalid_client|"
        );
        last.reset();
        last.record_cache_hit();
        assert_eq!(last.header_value(), "4|1|||");
    }

    #[test]
    fn failures_are_bounded_and_oldest_kept() {
        let mut last = LastRequests::new();
        let corr = "0123456789abcdef0123456789abcdef0123";
        let mut accepted = 0;
        for _ in 0..100 {
            if last.record_failure(ApiId::AcquireTokenForClient, corr, "temporarily_unavailable") {
                accepted += 1;
            }
        }
        assert!(accepted > 0 && accepted < 100, "accepted {accepted}");
        assert_eq!(last.failure_count(), accepted);
        assert!(last.header_value().len() < MAX_LAST_REQUEST_CHARS + 20);
    }

    #[test]
    fn separators_are_stripped() {
        let mut last = LastRequests::new();
        last.record_failure(ApiId::AcquireTokenForClient, "a,b|c", "x|y");
        assert_eq!(last.header_value(), "4|0|730,abc|xy|");
    }
}
