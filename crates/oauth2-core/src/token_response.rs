//! The token endpoint's success response.

use serde_json::{Map, Value};

use crate::json_string::Decoded;
use crate::token_body::{self, Object};
use crate::{Error, SecretString};

/// `expires_in` assumed when a token response has none (MSAL's rule).
const DEFAULT_EXPIRES_IN: u64 = 600;

/// A successful token response.
#[derive(Clone, Debug)]
pub struct TokenResponse {
    /// The access token (redacted in `Debug`).
    pub access_token: SecretString,
    /// `Bearer`, `mtls_pop`, …; `None` when the server sent none.
    pub token_type: Option<String>,
    /// Lifetime in seconds; 600 when the server sent none (MSAL's rule); negative values are
    /// clamped to 0, values above [`TokenResponse::MAX_LIFETIME_SECS`] to that bound.
    pub expires_in: u64,
    /// Extended lifetime in seconds (used during outages), when sent; at most
    /// [`TokenResponse::MAX_LIFETIME_SECS`].
    pub ext_expires_in: Option<u64>,
    /// When the client should refresh proactively, in seconds from now, when sent; never more
    /// than `expires_in`.
    pub refresh_in: Option<u64>,
    /// The granted scopes, space-separated, when sent.
    pub scope: Option<String>,
}

impl TokenResponse {
    /// Reads a token endpoint's answer, from any OAuth 2.0 server: a 2xx status is parsed as a
    /// success ([`parse`](Self::parse)); any other status with an OAuth error body (RFC 6749
    /// §5.2) is an [`Error::OAuth`] carrying the status and the server's `error` code; anything
    /// else is an [`Error::InvalidTokenResponse`] naming the status.
    ///
    /// ```
    /// use oauth2_core::{Error, TokenResponse};
    ///
    /// let body = br#"{"error":"invalid_client","error_description":"client authentication failed"}"#;
    /// match TokenResponse::from_http(401, body) {
    ///     Err(Error::OAuth { status, response }) => {
    ///         assert_eq!((status, response.error.as_str()), (401, "invalid_client"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// let ok = TokenResponse::from_http(200, br#"{"access_token":"t","token_type":"Bearer","expires_in":300}"#)?;
    /// assert_eq!(ok.expires_in, 300);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_http(status: u16, body: &[u8]) -> Result<Self, Error> {
        if (200..300).contains(&status) {
            return Self::parse(body);
        }
        match crate::ErrorResponse::parse(body) {
            Some(response) => Err(Error::OAuth {
                status,
                response: Box::new(response),
            }),
            None => Err(Error::invalid_token_response(format!(
                "HTTP status {status} without an OAuth error body"
            ))),
        }
    }

    /// Parses a token endpoint success body (JSON).
    ///
    /// `expires_in`, `ext_expires_in` and `refresh_in` may be numbers or numeric strings (AAD v1
    /// sends strings). A missing or empty `access_token` is an [`Error::InvalidTokenResponse`].
    /// Error messages never contain the body.
    ///
    /// The access token is decoded once, into the returned [`SecretString`], and no other copy
    /// of it is made: the body is not parsed into a `serde_json::Value` (whose strings are
    /// freed without being wiped). `refresh_token` and `id_token`, which this crate does not
    /// use, are skipped without being decoded. `body` itself belongs to the caller: wiping it
    /// is the caller's job.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let object = token_body::read(body)
            .map_err(|e| not_json(json_error_kind(&e), e.line(), e.column()).with_source(e))?;
        let Some(Object {
            access_token,
            fields: map,
        }) = object
        else {
            return Err(Error::invalid_token_response(
                "the body is not a JSON object",
            ));
        };
        let access_token = match access_token {
            Some(Decoded::String(s)) if !s.is_empty() => s,
            Some(Decoded::String(_)) => {
                return Err(Error::invalid_token_response("`access_token` is empty"))
            }
            Some(Decoded::NotAString) => {
                return Err(Error::invalid_token_response(
                    "`access_token` is not a string",
                ))
            }
            Some(Decoded::Invalid { at }) => {
                let (line, column) = token_body::line_column(body, at);
                return Err(not_json("syntax error", line, column));
            }
            None => {
                let hint = if map.get("error").is_some_and(Value::is_string) {
                    " (the body is an OAuth error response)"
                } else {
                    ""
                };
                return Err(Error::invalid_token_response(format!(
                    "`access_token` is missing{hint}"
                )));
            }
        };
        Ok(clamp_lifetimes(TokenResponse {
            access_token,
            token_type: optional_string(&map, "token_type")?,
            expires_in: seconds(&map, "expires_in")?.unwrap_or(DEFAULT_EXPIRES_IN),
            ext_expires_in: seconds(&map, "ext_expires_in")?,
            refresh_in: seconds(&map, "refresh_in")?,
            scope: optional_string(&map, "scope")?,
        }))
    }
}

impl TokenResponse {
    /// The longest lifetime [`TokenResponse::parse`] accepts, in seconds: one year (365 days).
    ///
    /// `expires_in`, `ext_expires_in` and `refresh_in` above it are lowered to it. No Entra token
    /// lives anywhere near that long (access tokens live about an hour, 24 hours at most), so
    /// the bound never changes a real answer; and it keeps every later time computation (expiry,
    /// `refresh_on`, cache times) far from overflow, whatever number a server sends.
    pub const MAX_LIFETIME_SECS: u64 = 365 * 24 * 60 * 60;
}

/// Bounds the lifetimes of a parsed response: each at most [`TokenResponse::MAX_LIFETIME_SECS`],
/// and `refresh_in` never past `expires_in` (refreshing after expiry would be too late).
fn clamp_lifetimes(mut response: TokenResponse) -> TokenResponse {
    let max = TokenResponse::MAX_LIFETIME_SECS;
    response.expires_in = response.expires_in.min(max);
    response.ext_expires_in = response.ext_expires_in.map(|s| s.min(max));
    response.refresh_in = response.refresh_in.map(|s| s.min(response.expires_in));
    response
}

fn not_json(kind: &str, line: usize, column: usize) -> Error {
    Error::invalid_token_response(format!(
        "the body is not JSON ({kind}, at line {line} column {column})"
    ))
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

fn optional_string(map: &Map<String, Value>, field: &str) -> Result<Option<String>, Error> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid_token_response(format!(
            "`{field}` is not a string"
        ))),
    }
}

/// A number of seconds given as a JSON number or a numeric string; negatives clamp to 0.
fn seconds(map: &Map<String, Value>, field: &str) -> Result<Option<u64>, Error> {
    let not_a_number =
        || Error::invalid_token_response(format!("`{field}` is not a number of seconds"));
    let parse_f64 = |f: f64| -> Result<u64, Error> {
        if !f.is_finite() {
            return Err(not_a_number());
        }
        // Saturating float-to-int conversion; negatives become 0.
        Ok(f.max(0.0) as u64)
    };
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                Ok(Some(u))
            } else if n.as_i64().is_some() {
                Ok(Some(0))
            } else {
                n.as_f64()
                    .map(parse_f64)
                    .transpose()?
                    .map(Some)
                    .ok_or_else(not_a_number)
            }
        }
        Some(Value::String(s)) => {
            let s = s.trim();
            if let Ok(u) = s.parse::<u64>() {
                Ok(Some(u))
            } else if s.parse::<i64>().is_ok() {
                Ok(Some(0))
            } else {
                s.parse::<f64>()
                    .map_err(|_| not_a_number())
                    .and_then(parse_f64)
                    .map(Some)
            }
        }
        Some(_) => Err(not_a_number()),
    }
}
