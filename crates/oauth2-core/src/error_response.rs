//! The token endpoint's OAuth 2.0 / Entra error response.

use serde_json::Value;

/// An OAuth 2.0 / Entra error response body.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ErrorResponse {
    /// The OAuth error code, e.g. `invalid_client`.
    pub error: String,
    /// Human-readable description (Entra starts it with `AADSTSnnnnn:`).
    pub error_description: Option<String>,
    /// Entra's numeric error codes (the `nnnnn` of `AADSTSnnnnn`).
    pub error_codes: Vec<i64>,
    /// Server timestamp.
    pub timestamp: Option<String>,
    /// Server trace id.
    pub trace_id: Option<String>,
    /// Correlation id (echoes `client-request-id`).
    pub correlation_id: Option<String>,
    /// A link to documentation about the error.
    pub error_uri: Option<String>,
    /// A finer-grained error classification, e.g. `basic_action`.
    pub suberror: Option<String>,
    /// A claims challenge (JSON, as a string) to send back with the next request.
    pub claims: Option<String>,
}

impl ErrorResponse {
    /// Parses an error body; `None` unless it is a JSON object with a string `error`.
    ///
    /// Other fields are read leniently: a field with an unexpected type is left out rather than
    /// failing the parse (`claims` given as a JSON object is kept as its JSON text).
    pub fn parse(body: &[u8]) -> Option<Self> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let error = map.get("error")?.as_str()?.to_owned();
        let string = |field: &str| map.get(field).and_then(Value::as_str).map(str::to_owned);
        let error_codes = map
            .get("error_codes")
            .and_then(Value::as_array)
            .map(|codes| codes.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let claims = match map.get("claims") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ Value::Object(_)) => Some(v.to_string()),
            _ => None,
        };
        Some(ErrorResponse {
            error,
            error_description: string("error_description"),
            error_codes,
            timestamp: string("timestamp"),
            trace_id: string("trace_id"),
            correlation_id: string("correlation_id"),
            error_uri: string("error_uri"),
            suberror: string("suberror"),
            claims,
        })
    }
}
