//! What a token endpoint's answer means: a typed error for every failure, and the checks a
//! success must pass before it may be cached.

use std::time::Duration;

use http::StatusCode;
use mtls_transport::HttpResponse;
use oauth2_core::{ErrorResponse, TokenResponse, TokenType};
use url::Url;

use crate::{Error, ServiceError};

/// The error for a non-success answer. `window` is the throttling window the answer opened.
pub(crate) fn failure(
    response: &HttpResponse,
    endpoint: &Url,
    correlation_id: &str,
    window: Option<Duration>,
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
                snippet(&response.body)
            ),
        };
    };
    let service = Box::new(ServiceError {
        status,
        body,
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
) -> Result<TokenResponse, Error> {
    TokenResponse::parse(&response.body).map_err(|e| Error::InvalidResponse {
        endpoint: endpoint.to_string(),
        status: response.status.as_u16(),
        reason: format!("{e} (body: {})", snippet(&response.body)),
    })
}

/// The answer must carry the token type asked for: a PoP request answered without a type or
/// with `Bearer` (a downgrade), or a Bearer request answered with a bound or unknown type, is an
/// error and nothing is cached. A Bearer answer may leave the type out.
pub(crate) fn check_token_type(asked: TokenType, received: Option<&str>) -> Result<(), Error> {
    match (asked, received) {
        (TokenType::MtlsPop, None) => Err(Error::TokenTypeMissing),
        (_, None) => Ok(()),
        (asked, Some(t)) if TokenType::parse(t) == Some(asked) => Ok(()),
        (asked, Some(t)) => Err(Error::TokenTypeMismatch {
            expected: asked,
            received: t.to_owned(),
        }),
    }
}

/// At most 120 characters of a response body for an error message, with anything that looks
/// like a secret (a word of 24+ characters: tokens, assertions, keys) replaced.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let separators = |c: char| c.is_whitespace() || "\",:{}[]<>=&".contains(c);
    let mut out = String::new();
    for word in text.split_inclusive(separators) {
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
    if out.chars().count() > 120 || body.len() > 512 {
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

    fn endpoint() -> Url {
        Url::parse("https://login.microsoftonline.com/t/oauth2/v2.0/token").unwrap()
    }

    #[test]
    fn token_type_checks() {
        use TokenType::{Bearer, MtlsPop};
        assert!(check_token_type(Bearer, None).is_ok());
        assert!(check_token_type(Bearer, Some("bearer")).is_ok());
        assert!(check_token_type(MtlsPop, Some("MTLS_POP")).is_ok());
        assert_eq!(
            check_token_type(MtlsPop, None).unwrap_err().code(),
            "token_type_missing"
        );
        for (asked, got) in [(MtlsPop, "Bearer"), (Bearer, "mtls_pop"), (Bearer, "pop")] {
            let err = check_token_type(asked, Some(got)).unwrap_err();
            assert_eq!(err.code(), "token_type_mismatch", "{asked:?} {got}");
            assert!(!err.is_retryable());
        }
    }

    #[test]
    fn failures_are_typed_by_what_went_wrong() {
        let oauth = r#"{"error":"invalid_client","error_codes":[7000215],"error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        let err = failure(&response(401, oauth), &endpoint(), "corr", None);
        assert_eq!(err.code(), "invalid_client");
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert_eq!(text.matches("AADSTS7000215").count(), 1, "{text}");

        let unavailable = r#"{"error":"temporarily_unavailable"}"#;
        let err = failure(&response(503, unavailable), &endpoint(), "corr", None);
        assert!(err.is_retryable(), "a 503 is retryable");

        let window = Some(Duration::from_secs(30));
        let err = failure(&response(429, oauth), &endpoint(), "corr", window);
        assert!(
            matches!(err, Error::Throttled { remaining, service: Some(_) } if remaining == Duration::from_secs(30))
        );
        assert!(err.is_retryable());
        let err = failure(&response(429, "slow down"), &endpoint(), "corr", window);
        assert!(matches!(err, Error::Throttled { service: None, .. }));

        let err = failure(
            &response(502, "<html>bad gateway</html>"),
            &endpoint(),
            "corr",
            None,
        );
        assert_eq!(err.code(), "invalid_response");
        assert!(err.is_retryable(), "a garbled 5xx is transient");
    }

    #[test]
    fn snippets_hide_long_words_and_bound_their_size() {
        let body = format!("{{\"access_token\":\"{}\"}}", "x".repeat(40));
        let shown = snippet(body.as_bytes());
        assert!(!shown.contains("xxxxxxxxxxxxxxxxxxxxxxxx"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        let long = "a ".repeat(2_000);
        assert!(snippet(long.as_bytes()).chars().count() < 160);
    }
}
