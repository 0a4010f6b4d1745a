//! The claims of a certificate-signed client assertion: audience, issuer/subject and times.

use serde_json::Value;

use super::Request;
use crate::jwt::Jws;
use crate::respond::{entra_timestamp, now_secs, StsError};

/// Allowed clock skew for assertion times, seconds.
const SKEW: f64 = 60.0;
/// Longest accepted assertion lifetime, seconds.
const MAX_ASSERTION_LIFETIME: f64 = 3600.0;

/// The token endpoint URLs an assertion's `aud` may name for this request.
fn audience_ok(req: &Request<'_>, aud: &str) -> bool {
    let Ok(url) = url::Url::parse(aud) else {
        return false;
    };
    if url.scheme() != "https" {
        return false;
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let clouds = &req.ctx.state.clouds;
    if host != req.ctx.host && clouds.cloud_of(&host) != Some(req.cloud) {
        return false;
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    match segments.as_slice() {
        [t, "oauth2", "v2.0", "token"] | [t, "oauth2", "token"] => req.tenant.matches(t),
        _ => false,
    }
}

/// Checks `aud`, `iss`, `sub` and the time claims of a client assertion.
pub(super) fn check_claims(req: &Request<'_>, jws: &Jws) -> Result<(), StsError> {
    check_audience(req, jws)?;
    let client_id = req.app.client_id.as_str();
    for claim in ["iss", "sub"] {
        if jws.claim_str(claim) != Some(client_id) {
            return Err(StsError::invalid_client(
                700021,
                format!("Client assertion application identifier doesn't match 'client_id' parameter: the '{claim}' claim must equal the client_id '{client_id}'."),
            ));
        }
    }
    check_times(jws)
}

/// `aud` (a string or a list) must name this token endpoint or an alias of it.
fn check_audience(req: &Request<'_>, jws: &Jws) -> Result<(), StsError> {
    let aud_ok = match jws.claims.get("aud") {
        Some(Value::String(a)) => audience_ok(req, a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audience_ok(req, a)),
        _ => false,
    };
    if aud_ok {
        return Ok(());
    }
    let expected = format!(
        "https://{}/{}/oauth2/v2.0/token",
        req.ctx.authority, req.tenant.id
    );
    let shown = match jws.claims.get("aud") {
        Some(Value::String(a)) => a.chars().take(200).collect(),
        Some(other) => other.to_string().chars().take(200).collect(),
        None => "(missing)".to_owned(),
    };
    Err(StsError::invalid_client(
        700212,
        format!("The audience '{shown}' of the client assertion is not valid for this token endpoint. Expected '{expected}' (or an alias of this cloud/tenant)."),
    ))
}

/// `exp` (required), `nbf` and the lifetime, with [`SKEW`] either way.
pub(super) fn check_times(jws: &Jws) -> Result<(), StsError> {
    let now = now_secs() as f64;
    let Some(exp) = jws.claim_f64("exp") else {
        return Err(StsError::invalid_client(
            50027,
            "JWT token is invalid or malformed: the client assertion has no numeric 'exp' claim.",
        ));
    };
    let nbf = jws.claim_f64("nbf");
    let range = |why: &str| {
        StsError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range: {why}. Current time: {}, expiry time of assertion {}.",
                entra_timestamp(now as i64),
                entra_timestamp(exp as i64)
            ),
        )
    };
    if now > exp + SKEW {
        return Err(range("the assertion has expired"));
    }
    if nbf.is_some_and(|nbf| nbf > now + SKEW) {
        return Err(range(
            "the assertion is not yet valid (nbf is in the future)",
        ));
    }
    let start = nbf.or_else(|| jws.claim_f64("iat")).unwrap_or(now);
    if exp - start > MAX_ASSERTION_LIFETIME {
        return Err(range("the assertion lifetime is longer than one hour"));
    }
    Ok(())
}
