//! Reading a JWT back without verifying it: a test helper.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::Error;

/// Decodes a compact JWT's header and claims **without verifying the signature**.
///
/// A test helper (this crate's tests read the assertions they sign with it), not part of the
/// supported API: never base a trust decision on the result.
#[doc(hidden)]
pub fn decode_jwt_unverified(jwt: &str) -> Result<(serde_json::Value, serde_json::Value), Error> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::invalid_jwt(
            "expected three dot-separated segments (header.claims.signature)",
        ));
    };
    let decode = |segment: &str, what: &str| -> Result<serde_json::Value, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(segment.trim_end_matches('='))
            .map_err(|_| Error::invalid_jwt(format!("the {what} segment is not base64url")))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| Error::invalid_jwt(format!("the {what} segment is not JSON")))?;
        if !value.is_object() {
            return Err(Error::invalid_jwt(format!(
                "the {what} segment is not a JSON object"
            )));
        }
        Ok(value)
    };
    Ok((decode(header, "header")?, decode(claims, "claims")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_malformed() {
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.x", "e30.!!.x", "W10.e30.x"] {
            let err = decode_jwt_unverified(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_jwt", "{bad}");
        }
        let (h, c) = decode_jwt_unverified("eyJhIjoxfQ.e30.sig").unwrap();
        assert_eq!(h["a"], 1);
        assert!(c.as_object().unwrap().is_empty());
    }
}
