//! Reading the certificate binding (`cnf.x5t#S256`, RFC 8705 §3.1) of an access token, so a
//! client can check that a token it was given is bound to the certificate it presented.
//!
//! The token's signature is **not** verified: the client is not the token's audience and has no
//! reason to trust or distrust its issuer here; it only refuses a token that says it is bound to
//! another certificate. Resources verify tokens fully.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// What an access token says about its certificate binding.
///
/// ```
/// use oauth2_core::TokenBinding;
///
/// // header {"alg":"none"} . claims {"cnf":{"x5t#S256":"abc"}} . (no signature)
/// let jwt = "eyJhbGciOiJub25lIn0.eyJjbmYiOnsieDV0I1MyNTYiOiJhYmMifX0.";
/// assert_eq!(TokenBinding::of(jwt), TokenBinding::Bound("abc".to_owned()));
/// assert_eq!(TokenBinding::of("opaque-token-value"), TokenBinding::Opaque);
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenBinding {
    /// Not a JWT (or claims that are not a JSON object): the client cannot read a binding.
    Opaque,
    /// A JWT without a `cnf.x5t#S256` claim.
    Unbound,
    /// A JWT bound to the certificate with this `x5t#S256` (base64url SHA-256 of its DER).
    Bound(String),
}

#[derive(Deserialize)]
struct Claims {
    cnf: Option<Confirmation>,
}

#[derive(Deserialize)]
struct Confirmation {
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

/// Claims larger than this are not read (a JWT access token's claims are a few KiB).
const MAX_CLAIMS_BYTES: usize = 64 * 1024;

impl TokenBinding {
    /// Reads the binding of `access_token` without verifying its signature.
    pub fn of(access_token: &str) -> TokenBinding {
        let mut parts = access_token.split('.');
        let (Some(_header), Some(claims), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return TokenBinding::Opaque;
        };
        if claims.len() > MAX_CLAIMS_BYTES {
            return TokenBinding::Opaque;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')) else {
            return TokenBinding::Opaque;
        };
        match serde_json::from_slice::<Claims>(&bytes) {
            Err(_) => TokenBinding::Opaque,
            Ok(Claims {
                cnf:
                    Some(Confirmation {
                        x5t_s256: Some(thumbprint),
                    }),
            }) => TokenBinding::Bound(thumbprint),
            Ok(_) => TokenBinding::Unbound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!("eyJhbGciOiJub25lIn0.{}.sig", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn bindings_are_read_and_everything_else_is_opaque_or_unbound() {
        assert_eq!(
            TokenBinding::of(&jwt(r#"{"cnf":{"x5t#S256":"T1"},"aud":"x"}"#)),
            TokenBinding::Bound("T1".to_owned())
        );
        assert_eq!(
            TokenBinding::of(&jwt(r#"{"aud":"x"}"#)),
            TokenBinding::Unbound
        );
        assert_eq!(
            TokenBinding::of(&jwt(r#"{"cnf":{"jkt":"k"}}"#)),
            TokenBinding::Unbound
        );
        assert_eq!(
            TokenBinding::of(&jwt(r#"{"cnf":{"x5t#S256":7}}"#)),
            TokenBinding::Opaque
        );
        assert_eq!(TokenBinding::of(&jwt("[1,2]")), TokenBinding::Opaque);
        for opaque in ["", "a.b", "a.b.c.d", "a.%%%.c", "opaque"] {
            assert_eq!(TokenBinding::of(opaque), TokenBinding::Opaque, "{opaque}");
        }
        let huge = jwt(&format!(r#"{{"x":"{}"}}"#, "a".repeat(100_000)));
        assert_eq!(TokenBinding::of(&huge), TokenBinding::Opaque);
    }
}
