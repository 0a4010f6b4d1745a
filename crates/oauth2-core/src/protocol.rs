//! The client-credentials grant on the wire: scopes, the token request form body, and the
//! token endpoint's success and error responses.

use std::fmt;

use serde_json::{Map, Value};

use crate::{Error, SecretString};

/// `client_assertion_type` for a JWT client assertion
/// ([RFC 7523 §2.2](https://www.rfc-editor.org/rfc/rfc7523#section-2.2)).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `client_assertion_type` for a proof-of-possession assertion (a Microsoft extension used by
/// mTLS PoP flows; not defined by RFC 7523).
pub const JWT_POP_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

/// The type of an access token: how it is presented to a resource and whether it is bound to a
/// certificate.
///
/// ```
/// use oauth2_core::TokenType;
///
/// assert_eq!(TokenType::parse("MTLS_POP"), Some(TokenType::MtlsPop));
/// assert_eq!(TokenType::MtlsPop.as_str(), "mtls_pop");
/// assert_eq!(TokenType::Bearer.request_parameter(), None); // Bearer is the default
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum TokenType {
    /// `Bearer` (RFC 6750): whoever holds the token can use it.
    #[default]
    Bearer,
    /// `mtls_pop`: Entra ID's certificate-bound token (RFC 8705); its `cnf.x5t#S256` names the
    /// certificate that must be presented in TLS with it.
    MtlsPop,
}

impl TokenType {
    /// The name on the wire and in the `Authorization` scheme: `Bearer` or `mtls_pop`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Bearer => "Bearer",
            TokenType::MtlsPop => "mtls_pop",
        }
    }

    /// The lower-case name used in cache keys: `bearer` or `mtls_pop`.
    pub const fn cache_key(self) -> &'static str {
        match self {
            TokenType::Bearer => "bearer",
            TokenType::MtlsPop => "mtls_pop",
        }
    }

    /// The `token_type` form parameter that asks for this type; `None` for Bearer (the default,
    /// never sent).
    pub const fn request_parameter(self) -> Option<&'static str> {
        match self {
            TokenType::Bearer => None,
            TokenType::MtlsPop => Some("mtls_pop"),
        }
    }

    /// The token type named `name` (case-insensitive); `None` for a type this library does not
    /// know.
    pub fn parse(name: &str) -> Option<Self> {
        [TokenType::Bearer, TokenType::MtlsPop]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `expires_in` assumed when a token response has none (MSAL's rule).
const DEFAULT_EXPIRES_IN: u64 = 600;

/// A normalized set of scopes: each trimmed, non-empty, deduplicated and sorted by code point
/// (so `B` sorts before `a`, as MSAL's cache `target` does).
///
/// Two `Scopes` built from the same scopes in any order or with repeats are equal and hash the
/// same, so the type can key a token cache.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Scopes {
    list: Vec<String>,
    joined: String,
}

impl Scopes {
    /// Normalizes a list of scopes.
    ///
    /// Errors with [`Error::InvalidScope`] when the list is empty, when a scope is empty or only
    /// whitespace, or when a scope contains whitespace inside it (pass `"a b"` as two scopes).
    pub fn new<I, S>(scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for scope in scopes {
            let scope = scope.as_ref().trim();
            if scope.is_empty() {
                return Err(Error::invalid_scope(
                    "a scope is empty or only whitespace; remove it",
                ));
            }
            if scope.chars().any(char::is_whitespace) {
                return Err(Error::invalid_scope(format!(
                    "the scope `{scope}` contains whitespace; pass each scope as its own list item"
                )));
            }
            list.push(scope.to_owned());
        }
        if list.is_empty() {
            return Err(Error::invalid_scope(
                "no scopes given; for client credentials ask for `{resource}/.default`, e.g. \
                 `https://graph.microsoft.com/.default`",
            ));
        }
        list.sort_unstable();
        list.dedup();
        let joined = list.join(" ");
        Ok(Scopes { list, joined })
    }

    /// The normalized scopes, sorted.
    pub fn as_slice(&self) -> &[String] {
        &self.list
    }

    /// The scopes joined with single spaces: the `scope` form field and the cache `target`.
    pub fn joined(&self) -> String {
        self.joined.clone()
    }

    /// Like [`Scopes::joined`], without allocating.
    pub fn joined_str(&self) -> &str {
        &self.joined
    }

    /// Iterates over the scopes in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(String::as_str)
    }

    /// Whether every scope in `self` is also in `other` (exact, case-sensitive).
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.list
            .iter()
            .all(|s| other.list.binary_search(s).is_ok())
    }

    /// The number of distinct scopes (never zero).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Always `false`: a `Scopes` value holds at least one scope.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scopes").field(&self.list).finish()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined)
    }
}

/// How the client proves its identity to the token endpoint.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// `client_secret` in the form body.
    Secret(SecretString),
    /// `client_assertion` + `client_assertion_type` in the form body.
    Assertion {
        /// The assertion (usually a signed JWT).
        assertion: SecretString,
        /// [`JWT_BEARER_ASSERTION_TYPE`] or [`JWT_POP_ASSERTION_TYPE`].
        assertion_type: &'static str,
    },
    /// Nothing in the body: the client is authenticated by its TLS client certificate
    /// (RFC 8705 §2, mTLS proof of possession).
    TlsClientCertificate,
}

/// A client-credentials token request (`grant_type=client_credentials`).
///
/// `Debug` shows the secret or assertion redacted.
#[derive(Clone, Debug)]
pub struct ClientCredentialsRequest {
    /// The application (client) id.
    pub client_id: String,
    /// The requested scopes.
    pub scopes: Scopes,
    /// How the client authenticates.
    pub authentication: ClientAuthentication,
    /// The token type asked for; `token_type` is sent only for types other than Bearer.
    pub token_type: TokenType,
    /// Additional form fields, appended last, in order.
    pub extra: Vec<(String, String)>,
}

impl ClientCredentialsRequest {
    /// The form fields in wire order: `client_id`, `grant_type`, `scope`, `client_info=1`, then
    /// `client_secret` or `client_assertion_type` + `client_assertion` (nothing for TLS client
    /// authentication), then `token_type` if set, then [`extra`](Self::extra).
    /// Fields with empty values are left out.
    ///
    /// The result contains the secret or assertion in clear text: do not log it.
    pub fn form_fields(&self) -> Vec<(&str, &str)> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", self.scopes.joined_str()),
            ("client_info", "1"),
        ];
        match &self.authentication {
            ClientAuthentication::Secret(secret) => {
                fields.push(("client_secret", secret.expose_secret()));
            }
            ClientAuthentication::Assertion {
                assertion,
                assertion_type,
            } => {
                fields.push(("client_assertion_type", assertion_type));
                fields.push(("client_assertion", assertion.expose_secret()));
            }
            ClientAuthentication::TlsClientCertificate => {}
        }
        if let Some(token_type) = self.token_type.request_parameter() {
            fields.push(("token_type", token_type));
        }
        fields.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        fields.retain(|(_, v)| !v.is_empty());
        fields
    }

    /// The `application/x-www-form-urlencoded` request body of [`form_fields`](Self::form_fields).
    ///
    /// Contains the secret or assertion: do not log it.
    pub fn to_form_body(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.form_fields())
            .finish()
    }
}

/// A successful token response.
#[derive(Clone, Debug)]
pub struct TokenResponse {
    /// The access token (redacted in `Debug`).
    pub access_token: SecretString,
    /// `Bearer`, `mtls_pop`, …; `None` when the server sent none.
    pub token_type: Option<String>,
    /// Lifetime in seconds; 600 when the server sent none (MSAL's rule); negative values are
    /// clamped to 0.
    pub expires_in: u64,
    /// Extended lifetime in seconds (used during outages), when sent.
    pub ext_expires_in: Option<u64>,
    /// When the client should refresh proactively, in seconds from now, when sent.
    pub refresh_in: Option<u64>,
    /// The granted scopes, space-separated, when sent.
    pub scope: Option<String>,
}

impl TokenResponse {
    /// Parses a token endpoint success body (JSON).
    ///
    /// `expires_in`, `ext_expires_in` and `refresh_in` may be numbers or numeric strings (AAD v1
    /// sends strings). A missing or empty `access_token` is an [`Error::InvalidTokenResponse`].
    /// Error messages never contain the body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Error::invalid_token_response(format!(
                "the body is not JSON ({}, at line {} column {})",
                json_error_kind(&e),
                e.line(),
                e.column()
            ))
            .with_source(e)
        })?;
        let Value::Object(map) = value else {
            return Err(Error::invalid_token_response(
                "the body is not a JSON object",
            ));
        };
        let access_token = match map.get("access_token") {
            Some(Value::String(s)) if !s.is_empty() => SecretString::new(s.as_str()),
            Some(Value::String(_)) => {
                return Err(Error::invalid_token_response("`access_token` is empty"))
            }
            Some(_) => {
                return Err(Error::invalid_token_response(
                    "`access_token` is not a string",
                ))
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
        Ok(TokenResponse {
            access_token,
            token_type: optional_string(&map, "token_type")?,
            expires_in: seconds(&map, "expires_in")?.unwrap_or(DEFAULT_EXPIRES_IN),
            ext_expires_in: seconds(&map, "ext_expires_in")?,
            refresh_in: seconds(&map, "refresh_in")?,
            scope: optional_string(&map, "scope")?,
        })
    }
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
