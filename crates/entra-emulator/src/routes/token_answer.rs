//! The successful token answer: the certificate binding, the access token, the `token_type` and
//! the JSON body, each as altered by an answer-altering [`Fault`] when one applies
//! ([`Fault::alters_answer`]).

use ring::rand::SecureRandom as _;
use serde_json::Value;

use crate::certs;
use crate::error::Error;
use crate::fault::Fault;
use crate::jwt::TokenSigner;
use crate::misbehavior::Misbehavior;
use crate::request::Ctx;

/// Length of the random bytes behind a [`Fault::WrongBinding`] thumbprint (a SHA-256's size).
const THUMBPRINT_BYTES: usize = 32;
/// Length of the random bytes behind a [`Fault::OpaqueToken`] access token.
const OPAQUE_TOKEN_BYTES: usize = 48;
/// How long ago a [`Fault::ExpiredToken`] token expired (beyond any resource's clock skew).
const EXPIRED_BY_SECS: i64 = 600;

/// The base64url of `N` random bytes. If the system RNG fails the bytes are zeros: every use is
/// an identifier or a deliberately unusable value, never a secret.
pub(super) fn random_b64url<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    certs::b64url(&bytes)
}

/// The `cnf.x5t#S256` the token is bound to: the presented certificate's for an `mtls_pop`
/// request, none for a Bearer request, as altered by [`Fault::WrongBinding`] (a random
/// thumbprint) or [`Fault::MissingCnf`] (none).
pub(super) fn binding(ctx: &Ctx<'_>, pop: bool) -> Option<String> {
    match ctx.answer_fault {
        Some(Fault::WrongBinding) => Some(random_b64url::<THUMBPRINT_BYTES>()),
        Some(Fault::MissingCnf) => None,
        _ if pop => ctx.conn.leaf().map(certs::x5t_s256),
        _ => None,
    }
}

/// The access token: `claims` signed by the emulator, or an opaque random string for
/// [`Fault::OpaqueToken`], or `claims` moved an hour and ten minutes into the past for
/// [`Fault::ExpiredToken`].
pub(super) fn access_token(
    ctx: &Ctx<'_>,
    signer: &TokenSigner,
    claims: &Value,
) -> Result<String, Error> {
    match ctx.answer_fault {
        Some(Fault::OpaqueToken) => Ok(random_b64url::<OPAQUE_TOKEN_BYTES>()),
        Some(Fault::ExpiredToken) => {
            let mut expired = claims.clone();
            let exp = crate::respond::now_secs() - EXPIRED_BY_SECS;
            expired["exp"] = exp.into();
            expired["iat"] = (exp - 3600).into();
            expired["nbf"] = (exp - 3600).into();
            signer.sign(&expired)
        }
        _ => signer.sign(claims),
    }
}

/// The `token_type` of the answer, as altered by [`Misbehavior`] or [`Fault::WrongTokenType`].
pub(super) fn token_type(ctx: &Ctx<'_>, pop: bool) -> Option<&'static str> {
    match (ctx.state.misbehavior(), pop) {
        // Fault::WrongTokenType: the opposite of what was asked for.
        _ if ctx.answer_fault == Some(&Fault::WrongTokenType) => {
            Some(if pop { "Bearer" } else { "mtls_pop" })
        }
        (Misbehavior::OmitTokenType, _) => None,
        (Misbehavior::AnswerBearerToPop, true) => Some("Bearer"),
        (_, true) => Some("mtls_pop"),
        (_, false) => Some("Bearer"),
    }
}

/// What a successful answer says.
#[derive(Debug)]
pub(super) struct Answer<'a> {
    /// `token_type`, left out when `None`.
    pub(super) token_type: Option<&'static str>,
    /// `expires_in` and `ext_expires_in`, in seconds.
    pub(super) lifetime: u64,
    /// `refresh_in` in seconds, left out when `None`.
    pub(super) refresh_in: Option<u64>,
    pub(super) access_token: &'a str,
}

impl Answer<'_> {
    /// The JSON body. Fields are written in Entra's order; a [`Fault::HostileLifetime`] field
    /// replaces the usual value with its raw text, verbatim.
    pub(super) fn body(&self, fault: Option<&Fault>) -> String {
        let (expires_in, ext_expires_in, refresh_in) = match fault {
            Some(Fault::HostileLifetime {
                expires_in,
                ext_expires_in,
                refresh_in,
            }) => (
                expires_in.as_deref(),
                ext_expires_in.as_deref(),
                refresh_in.as_deref(),
            ),
            _ => (None, None, None),
        };
        let lifetime = self.lifetime.to_string();
        let usual_refresh = self.refresh_in.map(|r| r.to_string());
        let fields = [
            ("token_type", self.token_type.map(json_string)),
            ("expires_in", Some(raw_or(expires_in, &lifetime))),
            ("ext_expires_in", Some(raw_or(ext_expires_in, &lifetime))),
            ("refresh_in", refresh_in.map(checked_raw).or(usual_refresh)),
            ("access_token", Some(json_string(self.access_token))),
        ];
        let members: Vec<String> = fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| format!("\"{name}\":{v}")))
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

/// A string as JSON text.
fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

/// `raw` (verbatim) when given, else `usual`.
fn raw_or(raw: Option<&str>, usual: &str) -> String {
    raw.map_or_else(|| usual.to_owned(), checked_raw)
}

/// `raw` verbatim, with a warning when it is not exactly one JSON value.
fn checked_raw(raw: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(raw).is_err() {
        tracing::warn!(
            raw,
            "injected HostileLifetime value is not one JSON value; the body is not valid JSON"
        );
    }
    raw.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Answer<'static> {
        Answer {
            token_type: Some("mtls_pop"),
            lifetime: 3599,
            refresh_in: None,
            access_token: "a\"b",
        }
    }

    #[test]
    fn usual_body_is_the_serde_shape() {
        assert_eq!(
            answer().body(None),
            r#"{"token_type":"mtls_pop","expires_in":3599,"ext_expires_in":3599,"access_token":"a\"b"}"#
        );
        let a = Answer {
            token_type: None,
            refresh_in: Some(1800),
            ..answer()
        };
        assert_eq!(
            a.body(Some(&Fault::WrongBinding)),
            r#"{"expires_in":3599,"ext_expires_in":3599,"refresh_in":1800,"access_token":"a\"b"}"#
        );
    }

    #[test]
    fn hostile_fields_are_verbatim() {
        let fault = Fault::HostileLifetime {
            expires_in: Some("9300000000000000000".to_owned()),
            ext_expires_in: Some(r#""18446744073709551615""#.to_owned()),
            refresh_in: Some("1e19".to_owned()),
        };
        assert_eq!(
            answer().body(Some(&fault)),
            r#"{"token_type":"mtls_pop","expires_in":9300000000000000000,"ext_expires_in":"18446744073709551615","refresh_in":1e19,"access_token":"a\"b"}"#
        );
        // Not JSON: sent anyway (the test author asked for it).
        let fault = Fault::hostile_expires_in("soon");
        assert!(answer()
            .body(Some(&fault))
            .contains(r#""expires_in":soon,"#));
    }

    #[test]
    fn random_values_have_the_documented_shape() {
        let thumb = random_b64url::<THUMBPRINT_BYTES>();
        assert_eq!(thumb.len(), 43);
        let opaque = random_b64url::<OPAQUE_TOKEN_BYTES>();
        assert_eq!(opaque.len(), 64);
        assert!(!opaque.contains('.'));
        assert_ne!(opaque, random_b64url::<OPAQUE_TOKEN_BYTES>());
    }
}
