//! [`KeySet`]: the issuer's JSON Web Key Set (RFC 7517), reduced to the signing keys ring can
//! verify with: RSA (RS256, PS256) and EC P-256 / P-384 (ES256, ES384).

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;

use crate::jws::{b64url, Jws};
use crate::rejection::{Reason, Rejection};

/// The most keys kept from one JWKS document (Entra publishes a handful).
const MAX_KEYS: usize = 64;

/// One public key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PublicKey {
    /// RSA modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An uncompressed SEC1 point on P-256 (`p384` false) or P-384.
    Ec { point: Vec<u8>, p384: bool },
}

/// A key of the set: its `kid`, the `alg` it is pinned to (if the JWK says), the key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Jwk {
    kid: String,
    alg: Option<String>,
    key: PublicKey,
}

/// The issuer's signing keys. Keys this crate cannot use (encryption keys, other curves, …)
/// are skipped, not errors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeySet {
    keys: Vec<Jwk>,
}

fn field(jwk: &Value, name: &str) -> Option<Vec<u8>> {
    b64url(jwk.get(name)?.as_str()?)
}

fn parse_key(jwk: &Value) -> Option<Jwk> {
    if jwk
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    let key = match jwk.get("kty")?.as_str()? {
        "RSA" => PublicKey::Rsa {
            n: field(jwk, "n")?,
            e: field(jwk, "e")?,
        },
        "EC" => {
            let (len, p384) = match jwk.get("crv")?.as_str()? {
                "P-256" => (32, false),
                "P-384" => (48, true),
                _ => return None,
            };
            let (x, y) = (field(jwk, "x")?, field(jwk, "y")?);
            if x.len() != len || y.len() != len {
                return None;
            }
            let point = [&[4u8][..], &x, &y].concat();
            PublicKey::Ec { point, p384 }
        }
        _ => return None,
    };
    Some(Jwk {
        kid: jwk.get("kid")?.as_str()?.to_owned(),
        alg: jwk.get("alg").and_then(Value::as_str).map(str::to_owned),
        key,
    })
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`); `None` when it is not one.
    pub(crate) fn parse(document: &[u8]) -> Option<KeySet> {
        let doc: Value = serde_json::from_slice(document).ok()?;
        let keys = doc.get("keys")?.as_array()?;
        Some(KeySet {
            keys: keys.iter().filter_map(parse_key).take(MAX_KEYS).collect(),
        })
    }

    /// True when a key has this `kid`.
    pub(crate) fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid == kid)
    }

    /// The number of usable keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Verifies `jws` with the key named by its `kid` header.
    pub(crate) fn verify(&self, jws: &Jws) -> Result<(), Rejection> {
        let alg = jws.header_str("alg").unwrap_or("(none)");
        let kid = jws.header_str("kid").ok_or_else(|| {
            Rejection::new(
                Reason::UnknownKey,
                "the token header names no signing key (kid)",
            )
        })?;
        let jwk = self.keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            Rejection::new(
                Reason::UnknownKey,
                "the token is signed by a key the issuer does not publish",
            )
        })?;
        let unsupported = || {
            Rejection::new(
                Reason::UnsupportedAlgorithm,
                format!(
                    "the token's alg '{}' is not usable with its key",
                    printable(alg)
                ),
            )
        };
        if jwk.alg.as_deref().is_some_and(|a| a != alg) {
            return Err(unsupported());
        }
        let verified = match (&jwk.key, alg) {
            (PublicKey::Rsa { n, e }, "RS256" | "PS256") => {
                let params = if alg == "RS256" {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &signature::RSA_PSS_2048_8192_SHA256
                };
                RsaPublicKeyComponents { n, e }.verify(params, &jws.signing_input, &jws.signature)
            }
            (PublicKey::Ec { point, p384: false }, "ES256") => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(&jws.signing_input, &jws.signature)
            }
            (PublicKey::Ec { point, p384: true }, "ES384") => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(&jws.signing_input, &jws.signature)
            }
            _ => return Err(unsupported()),
        };
        verified.map_err(|_| {
            Rejection::new(
                Reason::BadSignature,
                "the token signature does not verify with the issuer's key",
            )
        })
    }
}

/// At most 16 printable ASCII characters of an attacker-chosen value, for messages.
fn printable(s: &str) -> String {
    s.chars()
        .take(16)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_signing_keys_it_can_use() {
        let doc = br#"{"keys":[
            {"kty":"EC","crv":"P-256","kid":"ec","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
            {"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB","alg":"RS256"},
            {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
            {"kty":"EC","crv":"P-521","kid":"p521","x":"AA","y":"AA"},
            {"kty":"EC","crv":"P-256","kid":"short","x":"AA","y":"AA"},
            {"kty":"oct","kid":"hmac","k":"AA"},
            {"kty":"RSA","n":"AQAB","e":"AQAB"}
        ]}"#;
        let set = KeySet::parse(doc).unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.contains("ec") && set.contains("rsa") && !set.contains("enc"));
        assert!(KeySet::parse(b"[]").is_none());
        assert!(KeySet::parse(b"{\"keys\":{}}").is_none());
    }

    #[test]
    fn refuses_algorithm_confusion() {
        let set = KeySet::parse(
            br#"{"keys":[{"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB","alg":"RS256"}]}"#,
        )
        .unwrap();
        // {"alg":"ES256","kid":"rsa"}.{}.sig
        let jws = Jws::parse("eyJhbGciOiJFUzI1NiIsImtpZCI6InJzYSJ9.e30.c2ln").unwrap();
        assert_eq!(
            set.verify(&jws).unwrap_err().reason(),
            Reason::UnsupportedAlgorithm
        );
        // {"alg":"RS256","kid":"rsa"}: a 1-byte modulus is refused by ring, not a panic
        let jws = Jws::parse("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYSJ9.e30.c2ln").unwrap();
        assert_eq!(set.verify(&jws).unwrap_err().reason(), Reason::BadSignature);
        // {"alg":"RS256","kid":"other"}
        let jws = Jws::parse("eyJhbGciOiJSUzI1NiIsImtpZCI6Im90aGVyIn0.e30.c2ln").unwrap();
        assert_eq!(set.verify(&jws).unwrap_err().reason(), Reason::UnknownKey);
    }
}
