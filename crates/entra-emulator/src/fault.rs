//! Fault injection at the token endpoint: [`Fault`], the queue of pending faults and the
//! responses (or non-responses) each fault produces.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::Response;

use crate::respond::{self, Resp, StsError};
use crate::server::Ctx;

/// One way the token endpoint fails on purpose, queued with [`crate::Emulator::inject_faults`].
///
/// Faults are taken, in the order they were queued, by the next requests to a token endpoint
/// (`POST …/oauth2/v2.0/token` on any host), before the request is authenticated. Every faulted
/// request is still logged ([`crate::Emulator::requests`]) with the status it was answered with,
/// or status `0` for [`Fault::Stall`] and [`Fault::ResetConnection`]. Other endpoints are never
/// faulted.
///
/// Error bodies have Entra's shape (`error`, `error_description` starting with `AADSTSnnnnn:`,
/// `error_codes`, `trace_id`, `correlation_id`, …):
///
/// | fault | status | `error` | code |
/// |---|---|---|---|
/// | [`TooManyRequests`](Fault::TooManyRequests) | 429 | `temporarily_unavailable` | AADSTS90055 (TenantThrottlingError) |
/// | [`InternalServerError`](Fault::InternalServerError) | 500 | `server_error` | AADSTS90033 |
/// | [`ServiceUnavailable`](Fault::ServiceUnavailable) | 503 | `temporarily_unavailable` | AADSTS90033 |
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: {retry_after}` (sent exactly as given: delay
    /// seconds such as `"30"` or an HTTP date) and an Entra-shaped error body. A value that is
    /// not a valid header value is left out.
    TooManyRequests {
        /// The `Retry-After` header value.
        retry_after: String,
    },
    /// `500 Internal Server Error` with an Entra-shaped error body.
    InternalServerError,
    /// `503 Service Unavailable` with an Entra-shaped error body and, when `Some`, a
    /// `Retry-After` header sent as given (invalid header values are left out).
    ServiceUnavailable {
        /// The `Retry-After` header value, if any.
        retry_after: Option<String>,
    },
    /// Reads the request, then sends nothing for this long and closes the connection (a plain
    /// close, no TLS `close_notify`). Ends early when the client closes first or the emulator
    /// shuts down.
    Stall(Duration),
    /// Reads the request, then drops the connection without a response: a TCP reset (`RST`,
    /// `SO_LINGER` 0) with no TLS `close_notify`.
    ResetConnection,
    /// `200 OK` with `content-type: text/html` and a body that is not JSON
    /// (`<html>oops</html>`).
    Garbage,
    /// `200 OK` with `content-type: application/json` and a JSON-looking body of exactly
    /// `bytes` bytes (`{"token_type":"Bearer",…,"access_token":"AAAA…"}`; shorter sizes are a
    /// truncated prefix of it). The body is streamed with chunked transfer encoding, without a
    /// `Content-Length`, so a client has to cap it while reading; the emulator itself does not
    /// hold it in memory.
    OversizedBody {
        /// Body size in bytes.
        bytes: usize,
    },
    /// `200 OK` with a JSON body whose fields have the wrong types:
    /// `{"access_token": 42, "expires_in": "soon", "token_type": ["Bearer"]}`.
    InvalidJsonTypes,
    /// The request is served normally (so it must authenticate), but a successful answer
    /// carries the wrong `token_type`: `Bearer` for an `mtls_pop` request (a downgrade, like
    /// [`crate::Misbehavior::AnswerBearerToPop`]), and `mtls_pop` for a Bearer request. A
    /// request that fails anyway gets its usual error.
    WrongTokenType,
}

/// The pending faults, run-length encoded so a large `count` costs nothing.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: Mutex<VecDeque<(Fault, usize)>>,
}

impl FaultQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Fault, usize)>> {
        // The queue is consistent at every await-free step; a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `count` occurrences of `fault`.
    pub(crate) fn push(&self, fault: Fault, count: usize) {
        if count == 0 {
            return;
        }
        let mut q = self.lock();
        match q.back_mut() {
            Some((last, n)) if *last == fault => *n = n.saturating_add(count),
            _ => q.push_back((fault, count)),
        }
    }

    /// Takes the next fault, if any.
    pub(crate) fn take(&self) -> Option<Fault> {
        let mut q = self.lock();
        let (fault, n) = q.front_mut()?;
        let fault = fault.clone();
        *n -= 1;
        if *n == 0 {
            q.pop_front();
        }
        Some(fault)
    }

    /// How many faulted requests are still to come (saturating).
    pub(crate) fn len(&self) -> usize {
        self.lock()
            .iter()
            .fold(0usize, |acc, (_, n)| acc.saturating_add(*n))
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// True for the requests faults apply to: `POST …/oauth2/v2.0/token` on any host (the same
/// rule as [`crate::Emulator::token_requests`]).
pub(crate) fn applies_to(method: &hyper::Method, path: &str) -> bool {
    method == hyper::Method::POST && path.ends_with("/oauth2/v2.0/token")
}

/// The body type the server answers with: an ordinary full body, or the streamed body of
/// [`Fault::OversizedBody`].
pub(crate) type ServeBody = Either<Full<Bytes>, Oversized>;

/// The response to a fault that produces one; `None` for [`Fault::Stall`],
/// [`Fault::ResetConnection`] and [`Fault::WrongTokenType`] (which the server handles itself).
pub(crate) fn respond(ctx: &Ctx<'_>, fault: &Fault) -> Option<Response<ServeBody>> {
    let resp = match fault {
        Fault::TooManyRequests { retry_after } => with_retry_after(
            ctx.sts_error(&StsError::new(
                429,
                "temporarily_unavailable",
                90055,
                "There are too many incoming requests; the request was throttled. Retry after the interval in the Retry-After header.",
            )),
            Some(retry_after),
        ),
        Fault::InternalServerError => ctx.sts_error(&StsError::new(
            500,
            "server_error",
            90033,
            "A transient error has occurred. Please try again.",
        )),
        Fault::ServiceUnavailable { retry_after } => with_retry_after(
            ctx.sts_error(&StsError::new(
                503,
                "temporarily_unavailable",
                90033,
                "The service is temporarily unavailable. Please try again.",
            )),
            retry_after.as_deref(),
        ),
        Fault::Garbage => {
            let mut resp = respond::json_text(200, "<html>oops</html>".to_owned());
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            resp
        }
        Fault::InvalidJsonTypes => respond::json_text(
            200,
            r#"{"access_token": 42, "expires_in": "soon", "token_type": ["Bearer"]}"#.to_owned(),
        ),
        Fault::OversizedBody { bytes } => {
            let mut resp = Response::new(Either::Right(Oversized::new(*bytes)));
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            return Some(resp);
        }
        Fault::Stall(_) | Fault::ResetConnection | Fault::WrongTokenType => return None,
    };
    Some(resp.map(Either::Left))
}

fn with_retry_after(mut resp: Resp, value: Option<&str>) -> Resp {
    if let Some(value) = value {
        match HeaderValue::from_str(value) {
            Ok(v) => {
                resp.headers_mut().insert(RETRY_AFTER, v);
            }
            Err(_) => tracing::warn!("injected Retry-After value is not a valid header value; sending the fault without it"),
        }
    }
    resp
}

/// Start of the [`Fault::OversizedBody`] body.
const OVERSIZED_PREFIX: &[u8] =
    br#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":""#;
/// End of the [`Fault::OversizedBody`] body.
const OVERSIZED_SUFFIX: &[u8] = br#""}"#;
/// Filler chunk; the body is sent in chunks of at most this size.
static FILL: [u8; 64 * 1024] = [b'A'; 64 * 1024];

/// The streamed body of [`Fault::OversizedBody`]: prefix, filler, suffix; exactly the requested
/// size, never materialised.
#[derive(Debug)]
pub(crate) struct Oversized {
    prefix: &'static [u8],
    fill: usize,
    suffix: &'static [u8],
}

impl Oversized {
    fn new(bytes: usize) -> Self {
        let frame = OVERSIZED_PREFIX.len() + OVERSIZED_SUFFIX.len();
        if bytes >= frame {
            Oversized {
                prefix: OVERSIZED_PREFIX,
                fill: bytes - frame,
                suffix: OVERSIZED_SUFFIX,
            }
        } else {
            Oversized {
                prefix: &OVERSIZED_PREFIX[..bytes],
                fill: 0,
                suffix: b"",
            }
        }
    }
}

impl Body for Oversized {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let chunk: &'static [u8] = if !self.prefix.is_empty() {
            std::mem::take(&mut self.prefix)
        } else if self.fill > 0 {
            let n = self.fill.min(FILL.len());
            self.fill -= n;
            &FILL[..n]
        } else if !self.suffix.is_empty() {
            std::mem::take(&mut self.suffix)
        } else {
            return Poll::Ready(None);
        };
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.fill == 0 && self.suffix.is_empty()
    }
}

/// Returned by the service to make hyper drop the connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    #[test]
    fn queue_keeps_order_and_counts() {
        let q = FaultQueue::default();
        assert_eq!(q.take(), None);
        q.push(Fault::InternalServerError, 2);
        q.push(Fault::Garbage, 0);
        q.push(Fault::InternalServerError, 1);
        q.push(Fault::Garbage, 1);
        q.push(Fault::InternalServerError, usize::MAX);
        assert_eq!(q.len(), usize::MAX);
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.take(), Some(Fault::Garbage));
        assert_eq!(q.len(), usize::MAX);
        assert_eq!(q.take(), Some(Fault::InternalServerError));
        assert_eq!(q.len(), usize::MAX - 1);
        q.clear();
        assert_eq!(q.len(), 0);
        assert_eq!(q.take(), None);
    }

    async fn collect(bytes: usize) -> Vec<u8> {
        Oversized::new(bytes)
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    }

    #[tokio::test]
    async fn oversized_body_has_exact_size() {
        for n in [
            0,
            1,
            10,
            OVERSIZED_PREFIX.len() + 2,
            100,
            64 * 1024 + 7,
            300_000,
        ] {
            let body = collect(n).await;
            assert_eq!(body.len(), n);
            assert!(OVERSIZED_PREFIX.starts_with(&body[..n.min(OVERSIZED_PREFIX.len())]));
        }
        let body = collect(1000).await;
        assert!(body.ends_with(b"AAAA\"}"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(
            v["access_token"].as_str().unwrap().len(),
            1000 - OVERSIZED_PREFIX.len() - 2
        );
    }

    #[test]
    fn applies_only_to_token_posts() {
        assert!(applies_to(&hyper::Method::POST, "/t/oauth2/v2.0/token"));
        assert!(!applies_to(&hyper::Method::GET, "/t/oauth2/v2.0/token"));
        assert!(!applies_to(&hyper::Method::POST, "/t/oauth2/token"));
        assert!(!applies_to(
            &hyper::Method::POST,
            "/t/v2.0/.well-known/openid-configuration"
        ));
    }
}
