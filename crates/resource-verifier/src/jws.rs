//! Compact JWS parsing: three base64url parts, a JSON-object header and payload. Written for the
//! verifier alone (the emulator has its own parser, so neither can hide the other's bug).

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::rejection::{Reason, Rejection};

/// The longest token accepted, in bytes (Entra's access tokens are 1 to 3 KiB).
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A parsed, not yet verified, compact JWS.
#[derive(Debug)]
pub(crate) struct Jws {
    /// The protected header.
    pub(crate) header: Map<String, Value>,
    /// The payload (the claims).
    pub(crate) claims: Map<String, Value>,
    /// `base64url(header) '.' base64url(payload)`: what the signature covers.
    pub(crate) signing_input: Vec<u8>,
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
}

/// Decodes unpadded base64url (RFC 7515 §2 forbids padding in JWS).
pub(crate) fn b64url(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()
}

fn object(part: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&b64url(part)?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

impl Jws {
    /// Splits and decodes `token`. The rejection never quotes the token.
    pub(crate) fn parse(token: &str) -> Result<Jws, Rejection> {
        let malformed = |what: &str| Rejection::new(Reason::MalformedToken, what);
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("the token is longer than 16 KiB"));
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "the token is not a JWS (three dot-separated parts)",
            ));
        };
        let header = object(h).ok_or_else(|| malformed("the token header is not a JSON object"))?;
        let claims =
            object(p).ok_or_else(|| malformed("the token payload is not a JSON object"))?;
        let signature =
            b64url(s).ok_or_else(|| malformed("the token signature is not base64url"))?;
        Ok(Jws {
            header,
            claims,
            signing_input: token.as_bytes()[..h.len() + 1 + p.len()].to_vec(),
            signature,
        })
    }

    /// A string header parameter.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_decodes() {
        // {"alg":"ES256","kid":"k"} . {"a":1} . "sig"
        let jws = Jws::parse("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJhIjoxfQ.c2ln").unwrap();
        assert_eq!(jws.header_str("kid"), Some("k"));
        assert_eq!(jws.claims["a"], 1);
        assert_eq!(jws.signature, b"sig");
        assert_eq!(
            jws.signing_input,
            b"eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJhIjoxfQ"
        );
    }

    #[test]
    fn refuses_what_is_not_a_jws() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.c2ln",
            "e30.W10.c2ln",    // payload is an array
            "e30.e30.c2ln=",   // padded signature
            "bnVsbA.e30.c2ln", // header is null
        ] {
            let err = Jws::parse(bad).unwrap_err();
            assert_eq!(err.reason(), Reason::MalformedToken, "{bad}");
        }
        assert!(Jws::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }
}
