//! [`Rejection`]: why a request was refused, as a stable code, an HTTP status and the RFC 6750
//! `WWW-Authenticate` challenge.

use std::fmt;

use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};

use crate::scheme::Scheme;

/// Why a request was refused. [`Reason::code`] is stable; match on the variant.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No `Authorization` header: answered with a bare challenge (RFC 6750 §3.1).
    MissingToken,
    /// The `Authorization` header is not `<scheme> <token>` (`invalid_request`, 400).
    MalformedAuthorization,
    /// The scheme is not one this verifier accepts.
    UnsupportedScheme,
    /// The token is not a well-formed JWS with JSON header and claims.
    MalformedToken,
    /// The token's `alg` is not RS256, PS256, ES256 or ES384, or differs from its key's.
    UnsupportedAlgorithm,
    /// No key of the issuer's JWKS has the token's `kid` (after one rate-limited refresh).
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// `exp` is missing, not a number, or past (beyond the allowed clock skew).
    Expired,
    /// `nbf` is in the future (beyond the allowed clock skew), or not a number.
    NotYetValid,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// No `aud` value is a configured audience.
    WrongAudience,
    /// The token has no `cnf.x5t#S256`: it is not certificate-bound.
    MissingBinding,
    /// The request came without a TLS client certificate.
    NoClientCertificate,
    /// The TLS client certificate is not the one the token is bound to.
    BindingMismatch,
    /// The JWKS could not be fetched and no keys are cached: a server-side, transient failure
    /// (503).
    KeysUnavailable,
}

impl Reason {
    /// A stable, machine-readable code, e.g. `"binding_mismatch"`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MissingToken => "missing_token",
            Reason::MalformedAuthorization => "malformed_authorization",
            Reason::UnsupportedScheme => "unsupported_scheme",
            Reason::MalformedToken => "malformed_token",
            Reason::UnsupportedAlgorithm => "unsupported_algorithm",
            Reason::UnknownKey => "unknown_key",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::WrongIssuer => "wrong_issuer",
            Reason::WrongAudience => "wrong_audience",
            Reason::MissingBinding => "missing_binding",
            Reason::NoClientCertificate => "no_client_certificate",
            Reason::BindingMismatch => "binding_mismatch",
            Reason::KeysUnavailable => "keys_unavailable",
        }
    }

    /// The RFC 6750 §3.1 error code of the challenge; `None` for a request without credentials.
    fn rfc6750_error(self) -> Option<&'static str> {
        match self {
            Reason::MissingToken | Reason::UnsupportedScheme | Reason::KeysUnavailable => None,
            Reason::MalformedAuthorization => Some("invalid_request"),
            _ => Some("invalid_token"),
        }
    }

    /// The HTTP status to answer with.
    pub fn status(self) -> StatusCode {
        match self {
            Reason::MalformedAuthorization => StatusCode::BAD_REQUEST,
            Reason::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// A refused request: the [`Reason`] and a sentence for the caller (never containing the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    reason: Reason,
    description: String,
}

impl Rejection {
    pub(crate) fn new(reason: Reason, description: impl Into<String>) -> Self {
        Rejection {
            reason,
            description: description.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The `error_description` sent to the caller.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// True when trying again later may succeed (the issuer's keys could not be fetched).
    pub fn is_retryable(&self) -> bool {
        self.reason == Reason::KeysUnavailable
    }

    /// The `WWW-Authenticate` challenge for `scheme` (RFC 6750 §3): `<scheme>` alone for a
    /// request without credentials, else with `error` and `error_description`.
    pub fn challenge(&self, scheme: Scheme, realm: Option<&str>) -> HeaderValue {
        let mut params = Vec::new();
        if let Some(realm) = realm {
            params.push(format!("realm=\"{}\"", quoted(realm)));
        }
        if let Some(error) = self.reason.rfc6750_error() {
            params.push(format!("error=\"{error}\""));
            params.push(format!(
                "error_description=\"{}\"",
                quoted(&self.description)
            ));
        }
        let value = if params.is_empty() {
            scheme.as_str().to_owned()
        } else {
            format!("{} {}", scheme.as_str(), params.join(", "))
        };
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }

    /// The response for this rejection: its status, one `WWW-Authenticate` challenge per
    /// accepted scheme, an empty body.
    pub fn to_response<B: Default>(&self, schemes: &[Scheme], realm: Option<&str>) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = self.reason.status();
        for scheme in schemes {
            response
                .headers_mut()
                .append(WWW_AUTHENTICATE, self.challenge(*scheme, realm));
        }
        response
    }
}

/// `s` as the inside of an RFC 9110 quoted-string: printable ASCII only (RFC 6750 §3 limits
/// `error_description` to %x20-21 / %x23-5B / %x5D-7E), so `"` and `\` become `'` and `/`.
fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description, self.reason.code())
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_follow_rfc_6750() {
        let bare = Rejection::new(Reason::MissingToken, "no token");
        assert_eq!(bare.challenge(Scheme::MtlsPop, None), "mtls_pop");
        let bad = Rejection::new(Reason::Expired, "the \"token\" has expired\n");
        assert_eq!(
            bad.challenge(Scheme::Bearer, Some("api")),
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the 'token' has expired?\""
        );
        let request = Rejection::new(Reason::MalformedAuthorization, "x");
        assert!(request
            .challenge(Scheme::MtlsPop, None)
            .to_str()
            .unwrap()
            .contains("invalid_request"));
    }

    #[test]
    fn responses_carry_status_and_one_challenge_per_scheme() {
        let r = Rejection::new(Reason::BindingMismatch, "other certificate");
        let resp: Response<String> = r.to_response(&[Scheme::MtlsPop, Scheme::Bearer], None);
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers().get_all(WWW_AUTHENTICATE).iter().count(), 2);
        let keys = Rejection::new(Reason::KeysUnavailable, "down");
        assert_eq!(keys.reason().status(), 503);
        assert!(keys.is_retryable() && !r.is_retryable());
        assert_eq!(r.to_string(), "other certificate (binding_mismatch)");
    }
}
