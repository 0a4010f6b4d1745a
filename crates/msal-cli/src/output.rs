//! Printing results without leaking secrets.

use base64::Engine as _;
use msal::AuthenticationResult;
use serde_json::{json, Value};

/// The first characters of a token, enough to recognise it, never enough to use it.
pub(crate) fn redact(token: &str) -> String {
    let shown: String = token.chars().take(12).collect();
    format!("{shown}... ({} chars, redacted)", token.len())
}

/// The claims of a JWT (not verified: for display only).
pub(crate) fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn unix(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The version of the JSON `msal token` prints: raised when a field changes meaning or goes
/// away (new fields keep it).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// A JSON view of a result; the token only when `show_token`.
pub(crate) fn result_json(result: &AuthenticationResult, show_token: bool) -> Value {
    let token = result.access_token().expose_secret();
    let binding = result.binding_certificate().map(|b| {
        json!({
            "x5t#S256": b.x5t_s256(),
            "thumbprint_sha256": b.thumbprint_sha256(),
            "subject": b.client_identity().subject(),
        })
    });
    let region = result.region_details();
    json!({
        "schema_version": SCHEMA_VERSION,
        "token_type": result.token_type().as_str(),
        "access_token": if show_token { token.to_owned() } else { redact(token) },
        "expires_on": unix(result.expires_on()),
        "ext_expires_on": unix(result.ext_expires_on()),
        "refresh_on": result.refresh_on().map(unix),
        "scopes": result.scopes().as_slice(),
        "token_source": format!("{:?}", result.token_source()),
        "tenant_id": result.tenant_id(),
        "token_endpoint": result.token_endpoint(),
        "correlation_id": result.correlation_id(),
        "binding_certificate": binding,
        "region": {
            "used": region.region_used(),
            "source": region.source().map(|s| format!("{s:?}")),
            "outcome": region.outcome().map(|o| format!("{o:?}")),
        },
        "claims": jwt_claims(token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_keeps_only_a_prefix() {
        let token = "eyJhbGciOiJFUzI1NiJ9.payload-that-must-not-show.signature";
        let shown = redact(token);
        assert!(shown.starts_with("eyJhbGciOiJF"));
        assert!(!shown.contains("payload-that-must-not-show"));
    }
}
