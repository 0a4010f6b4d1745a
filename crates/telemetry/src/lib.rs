//! MSAL telemetry headers for token requests.
//!
//! Entra ID reads two request headers to learn how a client library behaves:
//!
//! * `x-client-current-telemetry` describes the request being sent: which API made it and why the
//!   cache could not answer (see [`CurrentRequest`]).
//! * `x-client-last-telemetry` summarises what happened since the last successful request:
//!   how many calls the cache served and which requests failed (see [`LastRequests`]).
//!
//! This crate writes **schema 5**, MSAL.NET's (see `docs/telemetry.md` for why):
//!
//! * current: `5|{api_id},{cache_info},{region_used},{region_source},{region_outcome}|{is_cache_serialized},{is_legacy_cache},{token_type},{caller_sdk_id},{caller_sdk_ver},{managed_cert}`,
//!   e.g. `5|1004,2,centralus,,6|0,0,6,,,` for a first mTLS PoP call with an explicit region;
//! * last: `5|{silent_hits}|{api,correlation_id,...}|{error,...}|`.
//!
//! Schema 5 is the only one with the region fields (region used, where it came from, outcome)
//! that a regional/mTLS client must report; the token type number (`1` Bearer, `6` mtls_pop) is
//! the cross-SDK invariant Entra looks for. We never had a legacy cache, so that flag is `0`.
//!
//! The crate has no dependencies of ours, does no I/O and never sees a secret: only API ids,
//! correlation ids (random UUIDs) and OAuth error codes (`invalid_client`, ...) are recorded.
//!
//! ```
//! use telemetry::{ApiId, CacheRefreshReason, CurrentRequest, LastRequests, RegionOutcome, TokenTypeCode};
//!
//! let mut current = CurrentRequest::new(
//!     ApiId::AcquireTokenForClient,
//!     CacheRefreshReason::NoCachedToken,
//!     TokenTypeCode::MtlsPop,
//! );
//! current.region_used = Some("centralus".to_owned());
//! current.region_outcome = Some(RegionOutcome::UserProvided);
//! assert_eq!(current.header_value(), "5|1004,2,centralus,,6|0,0,6,,,");
//!
//! let mut last = LastRequests::new();
//! last.record_cache_hit();
//! last.record_failure(ApiId::AcquireTokenForClient, "corr-id", "invalid_client");
//! assert_eq!(last.header_value(), "5|1|1004,corr-id|invalid_client|");
//! ```
#![forbid(unsafe_code)]

// The README (the crates.io page) is not the front page; its examples run as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

use std::fmt::Write as _;

/// The telemetry schema version this crate writes.
pub const SCHEMA_VERSION: u8 = 5;

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
    /// The numeric id Entra knows this API by (MSAL.NET's `ApiIds`).
    pub fn number(self) -> u32 {
        match self {
            ApiId::AcquireTokenForClient => 1004,
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

/// Where the region of a request came from. The telemetry numbers are MSAL.NET's
/// `RegionAutodetectionSource`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionSource {
    /// Set by the application (or `MSAL_FORCE_REGION`); not reported as a source.
    UserProvided,
    /// Auto-detection was attempted and failed (1).
    FailedAutoDiscovery,
    /// A process-wide cached detection result (2).
    Cache,
    /// The `REGION_NAME` environment variable (3).
    EnvVariable,
    /// The Azure Instance Metadata Service (4).
    Imds,
}

impl RegionSource {
    /// The number written in the header; `None` for [`RegionSource::UserProvided`], which the
    /// header leaves empty (the outcome says the region was the user's).
    pub fn number(self) -> Option<u8> {
        match self {
            RegionSource::UserProvided => None,
            RegionSource::FailedAutoDiscovery => Some(1),
            RegionSource::Cache => Some(2),
            RegionSource::EnvVariable => Some(3),
            RegionSource::Imds => Some(4),
        }
    }
}

/// What came of region selection (MSAL.NET's `RegionOutcome` numbers).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionOutcome {
    /// A region was detected and used (4).
    AutodetectSuccess,
    /// No usable region; the global endpoint was used (5).
    FallbackToGlobal,
    /// The configured region was used (6).
    UserProvided,
}

impl RegionOutcome {
    /// The number written in the header.
    pub fn number(self) -> u8 {
        match self {
            RegionOutcome::AutodetectSuccess => 4,
            RegionOutcome::FallbackToGlobal => 5,
            RegionOutcome::UserProvided => 6,
        }
    }
}

/// Telemetry of the request about to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentRequest {
    /// The API that triggered the request.
    pub api: ApiId,
    /// Why the cache did not answer.
    pub cache_refresh: CacheRefreshReason,
    /// The token type requested.
    pub token_type: TokenTypeCode,
    /// The region used (empty for the global endpoint).
    pub region_used: Option<String>,
    /// Where the region came from (`None` when no region was configured or it was given).
    pub region_source: Option<RegionSource>,
    /// What came of region selection (`None` when no region was configured).
    pub region_outcome: Option<RegionOutcome>,
    /// Whether the token cache is persisted (a file or a user store).
    pub cache_serialized: bool,
}

impl CurrentRequest {
    /// A request with no region information and an in-memory cache.
    pub fn new(api: ApiId, cache_refresh: CacheRefreshReason, token_type: TokenTypeCode) -> Self {
        Self {
            api,
            cache_refresh,
            token_type,
            region_used: None,
            region_source: None,
            region_outcome: None,
            cache_serialized: false,
        }
    }

    /// The `x-client-current-telemetry` header value, e.g. `5|1004,2,,,|0,0,1,,,` for a Bearer
    /// request that missed the cache, or `5|1004,2,eastus,3,4|0,0,6,,,` for an mTLS PoP request
    /// whose region came from `REGION_NAME`.
    pub fn header_value(&self) -> String {
        let opt = |n: Option<u8>| n.map(|n| n.to_string()).unwrap_or_default();
        // Region names are ASCII alphanumeric by construction; strip separators defensively.
        let region: String = self
            .region_used
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !matches!(c, ',' | '|'))
            .collect();
        format!(
            "{SCHEMA_VERSION}|{},{},{region},{},{}|{},0,{},,,",
            self.api.number(),
            self.cache_refresh.number(),
            opt(self.region_source.and_then(RegionSource::number)),
            opt(self.region_outcome.map(RegionOutcome::number)),
            u8::from(self.cache_serialized),
            self.token_type.number(),
        )
    }
}

/// A bounded record of what happened since the last successful token request of one app.
///
/// Cache hits increment a counter; failed requests append `(api, correlation id, error code)`
/// while the header stays under [`MAX_LAST_REQUEST_CHARS`]; a successful network request resets
/// everything (MSAL Python's rules).
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
        self.record_cache_hits(1);
    }

    /// Count `hits` calls answered by the cache (a caller that counts hits without a lock adds
    /// them in one go).
    pub fn record_cache_hits(&mut self, hits: u64) {
        self.silent_hits = self.silent_hits.saturating_add(hits);
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

    /// The `x-client-last-telemetry` header value, e.g. `5|0|||` when empty or
    /// `5|0|1004,<corr>|invalid_client|` after one failure.
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

    fn bearer() -> CurrentRequest {
        CurrentRequest::new(
            ApiId::AcquireTokenForClient,
            CacheRefreshReason::NoCachedToken,
            TokenTypeCode::Bearer,
        )
    }

    #[test]
    fn current_request_headers() {
        assert_eq!(bearer().header_value(), "5|1004,2,,,|0,0,1,,,");
        let pop_explicit = CurrentRequest {
            token_type: TokenTypeCode::MtlsPop,
            region_used: Some("centralus".into()),
            region_outcome: Some(RegionOutcome::UserProvided),
            ..bearer()
        };
        assert_eq!(
            pop_explicit.header_value(),
            "5|1004,2,centralus,,6|0,0,6,,,"
        );
        let auto = CurrentRequest {
            token_type: TokenTypeCode::MtlsPop,
            region_used: Some("eastus".into()),
            region_source: Some(RegionSource::EnvVariable),
            region_outcome: Some(RegionOutcome::AutodetectSuccess),
            ..bearer()
        };
        assert_eq!(auto.header_value(), "5|1004,2,eastus,3,4|0,0,6,,,");
        let failed = CurrentRequest {
            region_source: Some(RegionSource::FailedAutoDiscovery),
            region_outcome: Some(RegionOutcome::FallbackToGlobal),
            cache_serialized: true,
            ..bearer()
        };
        assert_eq!(failed.header_value(), "5|1004,2,,1,5|1,0,1,,,");
        let forced = CurrentRequest {
            cache_refresh: CacheRefreshReason::ForceRefresh,
            ..bearer()
        };
        assert_eq!(forced.header_value(), "5|1004,1,,,|0,0,1,,,");
        let refresh = CurrentRequest {
            cache_refresh: CacheRefreshReason::ProactiveRefresh,
            ..bearer()
        };
        assert_eq!(refresh.header_value(), "5|1004,4,,,|0,0,1,,,");
    }

    #[test]
    fn last_requests_sequence() {
        let mut last = LastRequests::new();
        assert_eq!(last.header_value(), "5|0|||");
        assert!(last.record_failure(ApiId::AcquireTokenForClient, "c1", "invalid_client"));
        assert_eq!(last.header_value(), "5|0|1004,c1|invalid_client|");
        assert!(last.record_failure(ApiId::AcquireTokenForClient, "c2", "invalid_client"));
        assert_eq!(
            last.header_value(),
            "5|0|1004,c1,1004,c2|invalid_client,invalid_client|"
        );
        last.reset();
        last.record_cache_hit();
        assert_eq!(last.header_value(), "5|1|||");
    }

    #[test]
    fn failures_are_bounded_and_oldest_kept() {
        let mut last = LastRequests::new();
        let corr = "0123456789abcdef0123456789abcdef0123";
        let mut accepted = 0;
        for _ in 0..100 {
            if last.record_failure(
                ApiId::AcquireTokenForClient,
                corr,
                "temporarily_unavailable",
            ) {
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
        assert_eq!(last.header_value(), "5|0|1004,abc|xy|");
        let odd = CurrentRequest {
            region_used: Some("we,st|us".into()),
            ..bearer()
        };
        assert_eq!(odd.header_value(), "5|1004,2,westus,,|0,0,1,,,");
    }
}
