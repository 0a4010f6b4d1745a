//! The single retry of a token request.
//!
//! Client-credentials requests are idempotent, so one failed attempt is repeated once after a
//! jittered backoff when the failure is transient *and* immediate: a 5xx answer without
//! `Retry-After`, or a connection refused, reset or closed mid-response. Never on a 4xx, when the
//! service named its own wait (throttling handles it), or after a timeout (the time budget is
//! spent).

use std::time::Duration;

use mtls_transport::{HttpRequest, HttpResponse, Transport};
use oauth2_core::ClientCertificate;

use crate::Error;

/// Sends the request `build` makes, and once more (built again: the first attempt sends
/// without a copy) after a jittered `backoff` if the first attempt failed in a way worth
/// repeating now.
pub(crate) async fn send_with_one_retry(
    transport: &dyn Transport,
    build: impl Fn() -> HttpRequest,
    identity: Option<&ClientCertificate>,
    backoff: Duration,
) -> Result<HttpResponse, Error> {
    let first = transport.send(build(), identity).await;
    let cause = match &first {
        Ok(r)
            if r.status.is_server_error() && !r.headers.contains_key(http::header::RETRY_AFTER) =>
        {
            format!("HTTP {}", r.status.as_u16())
        }
        Err(e) if e.is_retryable() && !e.is_timeout() => e.code().to_owned(),
        _ => return Ok(first?),
    };
    let delay = jitter(backoff);
    tracing::info!(
        cause = %cause,
        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        "token request failed; retrying once"
    );
    tokio::time::sleep(delay).await;
    Ok(transport.send(build(), identity).await?)
}

/// `base` scaled by a random factor in [0.5, 1.5), saturating (never panics on huge bases).
pub(crate) fn jitter(base: Duration) -> Duration {
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as u32;
    let half = base / 2;
    half.saturating_add(base.checked_mul(random).map_or(Duration::MAX, |d| d / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range_and_never_panics() {
        let base = Duration::from_millis(300);
        for _ in 0..200 {
            let d = jitter(base);
            assert!(
                d >= Duration::from_millis(150) && d < Duration::from_millis(450),
                "{d:?}"
            );
        }
        assert!(jitter(Duration::MAX) >= Duration::MAX / 2);
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
