//! Response helpers: JSON bodies, Entra-shaped errors, clock.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde_json::{json, Value};

/// The response type every handler returns.
pub(crate) type Resp = Response<Full<Bytes>>;

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD hh:mm:ssZ`, as Entra writes `timestamp`.
pub(crate) fn entra_timestamp(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "1970-01-01 00:00:00Z".to_owned(),
    }
}

/// A JSON response with `content-type: application/json; charset=utf-8`.
pub(crate) fn json(status: u16, body: &Value) -> Resp {
    json_text(status, body.to_string())
}

/// A JSON response from already-serialised text.
pub(crate) fn json_text(status: u16, body: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// An error in Entra's token-endpoint shape.
#[derive(Debug, Clone)]
pub(crate) struct StsError {
    pub(crate) status: u16,
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    /// Human-readable description without the `AADSTSnnnn:` prefix and trailer. Never contains
    /// secrets, assertions or tokens.
    pub(crate) message: String,
}

impl StsError {
    pub(crate) fn new(
        status: u16,
        error: &'static str,
        code: u32,
        message: impl Into<String>,
    ) -> Self {
        StsError {
            status,
            error,
            code,
            message: message.into(),
        }
    }

    /// 400 `invalid_request`.
    pub(crate) fn invalid_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", code, message)
    }

    /// 401 `invalid_client`.
    pub(crate) fn invalid_client(code: u32, message: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", code, message)
    }

    /// The JSON body Entra sends.
    pub(crate) fn body(&self, trace_id: &str, correlation_id: &str) -> Value {
        let now = now_secs();
        let ts = entra_timestamp(now);
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {} Correlation ID: {} Timestamp: {}",
                self.code, self.message, trace_id, correlation_id, ts
            ),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }

    pub(crate) fn respond(&self, trace_id: &str, correlation_id: &str) -> Resp {
        json(self.status, &self.body(trace_id, correlation_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_format() {
        assert_eq!(entra_timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(entra_timestamp(1_700_000_000), "2023-11-14 22:13:20Z");
    }

    #[test]
    fn error_shape() {
        let e = StsError::invalid_client(7000215, "Invalid client secret provided.");
        let b = e.body("t-1", "c-1");
        assert_eq!(b["error"], "invalid_client");
        assert_eq!(b["error_codes"][0], 7000215);
        assert!(b["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided. Trace ID: t-1 Correlation ID: c-1 Timestamp: "));
        assert_eq!(
            b["error_uri"],
            "https://login.microsoftonline.com/error?code=7000215"
        );
    }
}
