//! Sends a request on a pooled client and reads the whole response, under the request timeout
//! and the response size limit.

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};

use super::builder::Settings;
use super::error_map::{map_client_error, map_error_chain};
use super::pools::PooledClient;
use crate::error::TimeoutPhase;
use crate::{Error, HttpResponse};

/// Sends `request` to `host` and reads the full response; fails with [`Error::Timeout`] when it
/// all takes longer than the request timeout.
pub(super) async fn exchange(
    client: PooledClient,
    request: http::Request<Full<Bytes>>,
    host: &str,
    settings: &Settings,
) -> Result<HttpResponse, Error> {
    let timeout = settings.request_timeout;
    let work = execute(client, request, host, settings.max_response_bytes);
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            phase: TimeoutPhase::Request,
            after: timeout,
        }),
    }
}

async fn execute(
    client: PooledClient,
    request: http::Request<Full<Bytes>>,
    host: &str,
    max_response_bytes: usize,
) -> Result<HttpResponse, Error> {
    let response = client
        .request(request)
        .await
        .map_err(|e| map_client_error(e, host))?;
    let (parts, body) = response.into_parts();
    let body = read_capped(body, max_response_bytes)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => Error::ResponseTooLarge {
                limit: max_response_bytes,
            },
            ReadError::Body(e) => map_error_chain(Box::new(e), host, false),
        })?;
    Ok(HttpResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

enum ReadError {
    TooLarge,
    Body(hyper::Error),
}

/// The most memory reserved up front for a body, whatever its `Content-Length` says; beyond it
/// the buffer grows only as bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;

/// Reads the whole body, stopping as soon as more than `limit` bytes are announced or received.
///
/// Memory follows the bytes received: a server that announces a length within `limit` and sends
/// little makes the buffer reserve at most [`INITIAL_BODY_CAPACITY`].
async fn read_capped(mut body: Incoming, limit: usize) -> Result<Bytes, ReadError> {
    let announced = match usize::try_from(body.size_hint().lower()) {
        Ok(n) if n <= limit => n,
        _ => return Err(ReadError::TooLarge),
    };
    let mut buf = BytesMut::with_capacity(announced.min(INITIAL_BODY_CAPACITY));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ReadError::Body)?;
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(ReadError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}
