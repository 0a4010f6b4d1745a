//! Honouring `Retry-After`: while Entra ID has asked us to wait, calls for the same token fail
//! fast instead of sending requests (MSAL Python's throttling rules, reference §6).
//!
//! * A 429 or 5xx answer, or any answer carrying `Retry-After`, opens a window for its
//!   (partition, scopes): `Retry-After` seconds or HTTP date, capped at one hour; 5 s when a
//!   429/5xx carries no usable `Retry-After` (MSAL Python's default for confidential clients).
//! * Inside the window a call for the same app, tenant, token type, key id and scopes returns
//!   [`crate::Error::Throttled`] naming the remaining time, without a request.
//! * The table holds at most [`MAX_ENTRIES`] windows; expired ones are dropped first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use oauth2_core::Scopes;
use token_cache::PartitionKey;

/// Longest window honoured.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Window when a 429/5xx has no usable `Retry-After`.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(5);
/// Most windows kept at once.
pub(crate) const MAX_ENTRIES: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    until: Mutex<HashMap<(PartitionKey, Scopes), SystemTime>>,
}

impl Throttle {
    /// Time left in the window for this token, if one is open.
    pub(crate) fn remaining(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
        now: SystemTime,
    ) -> Option<Duration> {
        let until = self.until.lock().ok()?;
        let end = *until.get(&(partition.clone(), scopes.clone()))?;
        end.duration_since(now).ok().filter(|d| !d.is_zero())
    }

    /// Open a window after a response; returns its length when one was opened.
    pub(crate) fn observe(
        &self,
        partition: &PartitionKey,
        scopes: &Scopes,
        status: StatusCode,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Option<Duration> {
        let retry_after = retry_after(headers, now);
        let window = if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            retry_after.unwrap_or(DEFAULT_WINDOW)
        } else {
            retry_after?
        };
        let mut until = self.until.lock().ok()?;
        if until.len() >= MAX_ENTRIES {
            until.retain(|_, end| *end > now);
            if until.len() >= MAX_ENTRIES {
                // Still full of live windows: forget the one ending soonest.
                if let Some(key) = until
                    .iter()
                    .min_by_key(|(_, end)| **end)
                    .map(|(k, _)| k.clone())
                {
                    until.remove(&key);
                }
            }
        }
        until.insert((partition.clone(), scopes.clone()), now + window);
        Some(window)
    }

    /// Close the window after a success.
    pub(crate) fn clear(&self, partition: &PartitionKey, scopes: &Scopes) {
        if let Ok(mut until) = self.until.lock() {
            until.remove(&(partition.clone(), scopes.clone()));
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("30"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(&headers("999999"), now), Some(MAX_RETRY_AFTER));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(120));
        assert_eq!(
            retry_after(&headers(&date), now),
            Some(Duration::from_secs(120))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(retry_after(&headers(&past), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn windows_open_and_close() {
        let t = Throttle::default();
        let p = PartitionKey::new(token_cache::PartitionParts {
            environment: "login.microsoftonline.com",
            client_id: "c",
            tenant: "t",
            token_type: token_cache::TokenType::Bearer,
            key_id: None,
        });
        let s = Scopes::new(["a"]).unwrap();
        let other = Scopes::new(["b"]).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            t.observe(&p, &s, StatusCode::BAD_REQUEST, &HeaderMap::new(), now),
            None
        );
        assert_eq!(
            t.observe(&p, &s, StatusCode::TOO_MANY_REQUESTS, &headers("30"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            t.remaining(&p, &s, now + Duration::from_secs(10)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            t.remaining(&p, &other, now),
            None,
            "another scope is not blocked"
        );
        assert_eq!(t.remaining(&p, &s, now + Duration::from_secs(30)), None);
        assert_eq!(
            t.observe(
                &p,
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                &HeaderMap::new(),
                now
            ),
            Some(DEFAULT_WINDOW)
        );
        t.clear(&p, &s);
        assert_eq!(t.remaining(&p, &s, now), None);
    }
}
