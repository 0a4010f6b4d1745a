//! What a token endpoint's answer means: a typed error for every failure, and the checks a
//! success must pass before it may be cached.

use std::time::Duration;

use http::StatusCode;
use mtls_transport::HttpResponse;
use oauth2_core::{
    ClientAuthentication, ClientCertificate, ErrorResponse, SecretString, TokenBinding,
    TokenResponse, TokenType,
};
use url::Url;
use zeroize::Zeroizing;

use crate::{Error, ServiceError};

/// The error for a non-success answer. `window` is the throttling window the answer opened.
pub(crate) fn failure(
    response: &HttpResponse,
    endpoint: &Url,
    correlation_id: &str,
    window: Option<Duration>,
    redactor: &Redactor,
) -> Error {
    let status = response.status.as_u16();
    let throttled = response.status == StatusCode::TOO_MANY_REQUESTS;
    let Some(body) = ErrorResponse::parse(&response.body) else {
        if throttled {
            return Error::Throttled {
                remaining: window.unwrap_or_default(),
                service: None,
            };
        }
        return Error::InvalidResponse {
            endpoint: endpoint.to_string(),
            status,
            reason: format!(
                "the body is not an OAuth error response: {}",
                snippet(&response.body, redactor)
            ),
        };
    };
    let service = Box::new(ServiceError {
        host: endpoint
            .host_str()
            .unwrap_or("the token endpoint")
            .to_owned(),
        status,
        body: redactor.error_response(body),
        request_correlation_id: correlation_id.to_owned(),
    });
    if throttled {
        Error::Throttled {
            remaining: window.unwrap_or_default(),
            service: Some(service),
        }
    } else {
        Error::Service(service)
    }
}

/// Parses a success body.
pub(crate) fn parse_success(
    response: &HttpResponse,
    endpoint: &Url,
    redactor: &Redactor,
) -> Result<TokenResponse, Error> {
    TokenResponse::parse(&response.body).map_err(|e| Error::InvalidResponse {
        endpoint: endpoint.to_string(),
        status: response.status.as_u16(),
        reason: format!("{e} (body: {})", snippet(&response.body, redactor)),
    })
}

/// The answer must carry the token type asked for: a PoP request answered without a type or
/// with `Bearer` (a downgrade), or a Bearer request answered with a bound or unknown type, is an
/// error and nothing is cached. A Bearer answer may leave the type out.
pub(crate) fn check_token_type(
    asked: TokenType,
    received: Option<&str>,
    redactor: &Redactor,
) -> Result<(), Error> {
    match (asked, received) {
        (TokenType::MtlsPop, None) => Err(Error::TokenTypeMissing),
        (_, None) => Ok(()),
        (asked, Some(t)) if TokenType::parse(t) == Some(asked) => Ok(()),
        (asked, Some(t)) => Err(Error::TokenTypeMismatch {
            expected: asked,
            received: shown(t, redactor),
        }),
    }
}

/// A token answered to a request over mTLS must be bound to the certificate presented: a JWT
/// whose `cnf.x5t#S256` names another certificate is refused, and so is an `mtls_pop` JWT with
/// no `cnf`. Tokens the client cannot read (opaque, not a JWT) are accepted: the resource checks
/// the binding in the end. Without a certificate in TLS there is nothing to check.
pub(crate) fn check_binding(
    token_type: TokenType,
    presented: Option<&ClientCertificate>,
    access_token: &SecretString,
    redactor: &Redactor,
) -> Result<(), Error> {
    let Some(presented) = presented else {
        return Ok(());
    };
    let expected = presented.x5t_s256();
    let received = match TokenBinding::of(access_token.expose_secret()) {
        TokenBinding::Bound(thumbprint) if thumbprint == expected => return Ok(()),
        TokenBinding::Unbound if token_type != TokenType::MtlsPop => return Ok(()),
        TokenBinding::Bound(thumbprint) => Some(shown(&thumbprint, redactor)),
        TokenBinding::Unbound => None,
        _ => return Ok(()), // opaque
    };
    Err(Error::TokenBindingMismatch {
        expected: expected.to_owned(),
        received,
    })
}

/// A short value from the server for an error message: the request's secrets redacted, control
/// characters replaced, at most 64 characters.
fn shown(value: &str, redactor: &Redactor) -> String {
    let clean: String = redactor
        .apply(value)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match clean.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &clean[..end]),
        None => clean,
    }
}

/// The secret values of one request (client secret, client assertion), as sent and as
/// form-encoded, so that error text built from a server's answer never repeats them, whatever
/// their length: a proxy page or an error description echoing the request is redacted.
#[derive(Default)]
pub(crate) struct Redactor {
    values: Vec<Zeroizing<String>>,
}

/// Shorter values are not searched for: they would redact ordinary words.
const MIN_REDACTED_LEN: usize = 4;

impl Redactor {
    /// The secrets in `request`'s client authentication.
    pub(crate) fn for_request(authentication: &ClientAuthentication) -> Self {
        let secret = match authentication {
            ClientAuthentication::Secret(secret) => Some(secret),
            ClientAuthentication::Assertion { assertion, .. } => Some(assertion),
            _ => None,
        };
        let mut values = Vec::new();
        if let Some(secret) = secret.map(SecretString::expose_secret) {
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            values.push(Zeroizing::new(secret.to_owned()));
            values.push(Zeroizing::new(encoded));
        }
        values.retain(|v| v.len() >= MIN_REDACTED_LEN);
        Self { values }
    }

    /// `text` with every occurrence of a secret replaced by `<redacted>`.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), "<redacted>");
            }
        }
        out
    }

    /// The service's error with its free-text fields redacted.
    pub(crate) fn error_response(&self, mut body: ErrorResponse) -> ErrorResponse {
        for field in [
            &mut body.error_description,
            &mut body.claims,
            &mut body.error_uri,
            &mut body.correlation_id,
            &mut body.trace_id,
            &mut body.timestamp,
            &mut body.suberror,
        ] {
            if let Some(text) = field.as_mut() {
                *text = self.apply(text);
            }
        }
        body.error = self.apply(&body.error);
        body
    }
}

/// At most 120 characters of a response body for an error message: the request's secrets
/// redacted exactly (before truncation, so no part of one is shown), then anything else that
/// looks like a secret (a word of 24+ characters: tokens, assertions, keys) replaced.
pub(crate) fn snippet(body: &[u8], redactor: &Redactor) -> String {
    let text = redactor.apply(&String::from_utf8_lossy(body));
    let head: String = text.chars().take(512).collect();
    let separators = |c: char| c.is_whitespace() || "\",:{}[]<>=&".contains(c);
    let mut out = String::new();
    for word in head.split_inclusive(separators) {
        let core = word.trim_end_matches(separators);
        if core.chars().count() >= 24 {
            out.push_str("<redacted>");
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
    }
    let mut shown: String = out
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(120)
        .collect();
    if out.chars().count() > 120 || text.chars().count() > 512 {
        shown.push('…');
    }
    format!("{:?} ({} bytes)", shown, body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn none() -> Redactor {
        Redactor::default()
    }

    fn endpoint() -> Url {
        Url::parse("https://login.microsoftonline.com/t/oauth2/v2.0/token").unwrap()
    }

    #[test]
    fn token_type_checks() {
        use TokenType::{Bearer, MtlsPop};
        assert!(check_token_type(Bearer, None, &none()).is_ok());
        assert!(check_token_type(Bearer, Some("bearer"), &none()).is_ok());
        assert!(check_token_type(MtlsPop, Some("MTLS_POP"), &none()).is_ok());
        assert_eq!(
            check_token_type(MtlsPop, None, &none()).unwrap_err().code(),
            "token_type_missing"
        );
        for (asked, got) in [(MtlsPop, "Bearer"), (Bearer, "mtls_pop"), (Bearer, "pop")] {
            let err = check_token_type(asked, Some(got), &none()).unwrap_err();
            assert_eq!(err.code(), "token_type_mismatch", "{asked:?} {got}");
            assert!(!err.is_retryable());
        }
    }

    #[test]
    fn failures_are_typed_by_what_went_wrong() {
        let oauth = r#"{"error":"invalid_client","error_codes":[7000215],"error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        let err = failure(&response(401, oauth), &endpoint(), "corr", None, &none());
        assert_eq!(err.code(), "invalid_client");
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert_eq!(text.matches("AADSTS7000215").count(), 1, "{text}");
        // named by the host that answered (another issuer is not called Entra ID)
        assert!(
            text.starts_with("login.microsoftonline.com returned invalid_client (HTTP 401)"),
            "{text}"
        );
        let issuer = Url::parse("https://issuer.example:3000/token").unwrap();
        let err = failure(
            &response(400, r#"{"error":"invalid_grant"}"#),
            &issuer,
            "corr",
            None,
            &none(),
        );
        assert_eq!(
            err.as_service_error().map(ServiceError::host),
            Some("issuer.example")
        );
        assert!(
            err.to_string()
                .starts_with("issuer.example returned invalid_grant (HTTP 400)"),
            "{err}"
        );

        let unavailable = r#"{"error":"temporarily_unavailable"}"#;
        let err = failure(
            &response(503, unavailable),
            &endpoint(),
            "corr",
            None,
            &none(),
        );
        assert!(err.is_retryable(), "a 503 is retryable");

        let window = Some(Duration::from_secs(30));
        let err = failure(&response(429, oauth), &endpoint(), "corr", window, &none());
        assert!(
            matches!(err, Error::Throttled { remaining, service: Some(_) } if remaining == Duration::from_secs(30))
        );
        assert!(err.is_retryable());
        let err = failure(
            &response(429, "slow down"),
            &endpoint(),
            "corr",
            window,
            &none(),
        );
        assert!(matches!(err, Error::Throttled { service: None, .. }));

        let err = failure(
            &response(502, "<html>bad gateway</html>"),
            &endpoint(),
            "corr",
            None,
            &none(),
        );
        assert_eq!(err.code(), "invalid_response");
        assert!(err.is_retryable(), "a garbled 5xx is transient");
    }

    #[test]
    fn snippets_hide_long_words_and_bound_their_size() {
        let body = format!("{{\"access_token\":\"{}\"}}", "x".repeat(40));
        let shown = snippet(body.as_bytes(), &none());
        assert!(!shown.contains("xxxxxxxxxxxxxxxxxxxxxxxx"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let long = "a ".repeat(2_000);
        assert!(snippet(long.as_bytes(), &none()).chars().count() < 160);
    }
}
