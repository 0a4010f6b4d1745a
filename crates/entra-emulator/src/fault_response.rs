//! The responses (or non-responses) each injected [`Fault`] produces, including the streamed
//! body of [`Fault::OversizedBody`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::Response;

use crate::fault::Fault;
use crate::request::Ctx;
use crate::respond::{self, Resp, StsError};

/// The body type the server answers with: an ordinary full body, or the streamed body of
/// [`Fault::OversizedBody`].
pub(crate) type ServeBody = Either<Full<Bytes>, Oversized>;

/// The response to a fault that produces one; `None` for [`Fault::Stall`],
/// [`Fault::ResetConnection`] and the faults that only alter a normal answer
/// ([`Fault::alters_answer`]), which the server handles itself.
pub(crate) fn respond(ctx: &Ctx<'_>, fault: &Fault) -> Option<Response<ServeBody>> {
    let resp = match fault {
        Fault::TooManyRequests { retry_after } => unavailable(
            ctx,
            429,
            90055,
            "There are too many incoming requests; the request was throttled. Retry after the interval in the Retry-After header.",
            Some(retry_after),
        ),
        Fault::InternalServerError => ctx.sts_error(&StsError::new(
            500,
            "server_error",
            90033,
            "A transient error has occurred. Please try again.",
        )),
        Fault::ServiceUnavailable { retry_after } => unavailable(
            ctx,
            503,
            90033,
            "The service is temporarily unavailable. Please try again.",
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
        Fault::Stall(_)
        | Fault::ResetConnection
        | Fault::WrongTokenType
        | Fault::HostileLifetime { .. }
        | Fault::WrongBinding
        | Fault::MissingCnf
        | Fault::OpaqueToken
        | Fault::ExpiredToken => return None,
    };
    Some(resp.map(Either::Left))
}

/// A `temporarily_unavailable` error with `Retry-After: {retry_after}` when `Some` (an invalid
/// header value is left out).
fn unavailable(
    ctx: &Ctx<'_>,
    status: u16,
    code: u32,
    message: &str,
    retry_after: Option<&str>,
) -> Resp {
    let mut resp = ctx.sts_error(&StsError::new(
        status,
        "temporarily_unavailable",
        code,
        message,
    ));
    if let Some(value) = retry_after {
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
}
