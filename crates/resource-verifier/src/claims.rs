//! The claim checks after the signature: lifetimes with skew, `iss`, `aud`, and the RFC 8705
//! binding (`cnf.x5t#S256` against the TLS client certificate); [`VerifiedToken`], what a
//! handler gets.

use serde_json::{Map, Value};

use crate::peer::PeerCertificate;
use crate::rejection::{Reason, Rejection};
use crate::scheme::Scheme;

/// A token that passed every check, as the layer hands it to the handler (a request
/// extension). The token itself is not kept.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedToken {
    scheme: Scheme,
    thumbprint: String,
    claims: Map<String, Value>,
}

impl VerifiedToken {
    /// The scheme it came with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `cnf.x5t#S256` it is bound to: the SHA-256 thumbprint (base64url) of the client
    /// certificate of the connection.
    pub fn bound_thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// All claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A string claim, e.g. `claim_str("appid")` or `claim_str("tid")`.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// What the claims are checked against.
#[derive(Clone, Debug)]
pub(crate) struct Expectations {
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) skew_secs: i64,
}

fn time_claim(claims: &Map<String, Value>, name: &str) -> Option<Option<f64>> {
    match claims.get(name) {
        None => Some(None),
        Some(v) => v.as_f64().filter(|t| t.is_finite()).map(Some),
    }
}

impl Expectations {
    /// Checks lifetimes at `now` (Unix seconds), issuer and audience.
    pub(crate) fn check(&self, claims: &Map<String, Value>, now: i64) -> Result<(), Rejection> {
        let skew = self.skew_secs as f64;
        let now = now as f64;
        match time_claim(claims, "exp") {
            Some(Some(exp)) if now < exp + skew => {}
            _ => return Err(Rejection::new(Reason::Expired, "the token has expired")),
        }
        match time_claim(claims, "nbf") {
            Some(None) => {}
            Some(Some(nbf)) if nbf - skew <= now => {}
            _ => {
                return Err(Rejection::new(
                    Reason::NotYetValid,
                    "the token is not valid yet (nbf)",
                ))
            }
        }
        let iss = claims.get("iss").and_then(Value::as_str);
        if !iss.is_some_and(|iss| self.issuers.iter().any(|i| i == iss)) {
            return Err(Rejection::new(
                Reason::WrongIssuer,
                "the token was not issued by the expected issuer",
            ));
        }
        let aud_ok = |a: &Value| {
            a.as_str()
                .is_some_and(|a| self.audiences.iter().any(|x| x == a))
        };
        let aud_matches = match claims.get("aud") {
            Some(Value::Array(values)) => values.iter().any(aud_ok),
            Some(value) => aud_ok(value),
            None => false,
        };
        if !aud_matches {
            return Err(Rejection::new(
                Reason::WrongAudience,
                "the token is not meant for this resource (aud)",
            ));
        }
        Ok(())
    }
}

/// RFC 8705 §3: the token's `cnf.x5t#S256` must be the thumbprint of the certificate the client
/// presented on this connection. Returns that thumbprint.
pub(crate) fn check_binding(
    claims: &Map<String, Value>,
    peer: Option<&PeerCertificate>,
) -> Result<String, Rejection> {
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("x5t#S256"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Rejection::new(
                Reason::MissingBinding,
                "the token is not certificate-bound (no cnf x5t#S256)",
            )
        })?;
    let peer = peer.ok_or_else(|| {
        Rejection::new(
            Reason::NoClientCertificate,
            "the token is certificate-bound; present its certificate in TLS",
        )
    })?;
    if peer.thumbprint() != bound.trim_end_matches('=') {
        return Err(Rejection::new(
            Reason::BindingMismatch,
            "the TLS client certificate is not the one the token is bound to",
        ));
    }
    Ok(peer.thumbprint().to_owned())
}

/// Assembles the result.
pub(crate) fn verified(
    scheme: Scheme,
    thumbprint: String,
    claims: Map<String, Value>,
) -> VerifiedToken {
    VerifiedToken {
        scheme,
        thumbprint,
        claims,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn expect() -> Expectations {
        Expectations {
            issuers: vec!["https://iss".to_owned()],
            audiences: vec!["api://a".to_owned()],
            skew_secs: 60,
        }
    }

    fn reason(claims: Value, now: i64) -> Option<Reason> {
        let Value::Object(map) = claims else {
            unreachable!()
        };
        expect().check(&map, now).err().map(|r| r.reason())
    }

    #[test]
    fn lifetimes_allow_the_skew_and_no_more() {
        let c = |exp: Value, nbf: Value| json!({"iss": "https://iss", "aud": "api://a", "exp": exp, "nbf": nbf});
        assert_eq!(reason(c(json!(1000), json!(900)), 1000), None);
        assert_eq!(reason(c(json!(1000), json!(900)), 1059), None);
        assert_eq!(
            reason(c(json!(1000), json!(900)), 1060),
            Some(Reason::Expired)
        );
        assert_eq!(reason(c(json!(1000.5), json!(1060)), 1000), None);
        assert_eq!(
            reason(c(json!(2000), json!(1061)), 1000),
            Some(Reason::NotYetValid)
        );
        assert_eq!(
            reason(c(json!("2000"), json!(900)), 1000),
            Some(Reason::Expired)
        );
        assert_eq!(
            reason(c(json!(2000), json!("x")), 1000),
            Some(Reason::NotYetValid)
        );
        assert_eq!(
            reason(json!({"iss": "https://iss", "aud": "api://a"}), 1000),
            Some(Reason::Expired)
        );
    }

    #[test]
    fn issuer_and_audience_must_match() {
        let c = |iss: Value, aud: Value| json!({"iss": iss, "aud": aud, "exp": 2000});
        assert_eq!(
            reason(c(json!("https://iss"), json!(["x", "api://a"])), 1000),
            None
        );
        assert_eq!(
            reason(c(json!("https://other"), json!("api://a")), 1000),
            Some(Reason::WrongIssuer)
        );
        assert_eq!(
            reason(c(json!("https://iss"), json!("api://b")), 1000),
            Some(Reason::WrongAudience)
        );
        assert_eq!(
            reason(c(json!("https://iss"), json!([1])), 1000),
            Some(Reason::WrongAudience)
        );
    }

    #[test]
    fn binding_needs_the_same_certificate() {
        let cert = PeerCertificate::from_der(b"certificate".to_vec());
        let other = PeerCertificate::from_der(b"other".to_vec());
        let Value::Object(bound) = json!({"cnf": {"x5t#S256": cert.thumbprint()}}) else {
            unreachable!()
        };
        assert_eq!(
            check_binding(&bound, Some(&cert)).unwrap(),
            cert.thumbprint()
        );
        let r = |peer| check_binding(&bound, peer).unwrap_err().reason();
        assert_eq!(r(Some(&other)), Reason::BindingMismatch);
        assert_eq!(r(None), Reason::NoClientCertificate);
        let Value::Object(unbound) = json!({"cnf": {"jkt": "x"}}) else {
            unreachable!()
        };
        assert_eq!(
            check_binding(&unbound, Some(&cert)).unwrap_err().reason(),
            Reason::MissingBinding
        );
    }
}
