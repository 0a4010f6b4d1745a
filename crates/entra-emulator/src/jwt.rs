//! Minimal JWS compact handling: parsing and verifying client assertions (PS256, RS256, ES256,
//! ES384 over a certificate's public key) and signing/verifying the emulator's own ES256 access
//! tokens. Independent of any client crate on purpose.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use serde_json::{json, Map, Value};
use x509_parser::certificate::X509Certificate;
use zeroize::Zeroizing;

use crate::certs::b64url;
use crate::error::Error;

/// A parsed (not yet verified) compact JWS.
#[derive(Debug)]
pub(crate) struct Jws {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64url_decode(part: &str, what: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| format!("the JWT {what} is not valid base64url"))
}

/// Decodes a base64url value that may carry `=` padding (MSAL Python pads `x5t`).
pub(crate) fn b64url_decode_lenient(value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .ok()
}

/// Decodes one `x5c` entry: standard base64 of DER, possibly with embedded line breaks.
pub(crate) fn decode_x5c_entry(value: &str) -> Option<Vec<u8>> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

impl Jws {
    /// Splits and decodes a compact JWS. Messages never include the token.
    pub(crate) fn parse(token: &str) -> Result<Jws, String> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the JWT does not have exactly three dot-separated parts".to_owned());
        };
        let header: Value = serde_json::from_slice(&b64url_decode(h, "header")?)
            .map_err(|_| "the JWT header is not JSON".to_owned())?;
        let claims: Value = serde_json::from_slice(&b64url_decode(p, "payload")?)
            .map_err(|_| "the JWT payload is not JSON".to_owned())?;
        let (Value::Object(header), Value::Object(claims)) = (header, claims) else {
            return Err("the JWT header and payload must be JSON objects".to_owned());
        };
        let signature = b64url_decode(s, "signature")?;
        Ok(Jws {
            header,
            claims,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    /// The `alg` header.
    pub(crate) fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// A string header value.
    pub(crate) fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A numeric claim (JWT times may be floats, as PyJWT sends `iat`).
    pub(crate) fn claim_f64(&self, name: &str) -> Option<f64> {
        self.claims.get(name).and_then(Value::as_f64)
    }

    /// A string claim.
    pub(crate) fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// Verifies the signature with the public key of `cert` for the header's `alg`.
    pub(crate) fn verify_with_certificate(&self, cert: &X509Certificate<'_>) -> Result<(), String> {
        let alg: &'static dyn signature::VerificationAlgorithm = match self.alg() {
            Some("PS256") => &signature::RSA_PSS_2048_8192_SHA256,
            Some("RS256") => &signature::RSA_PKCS1_2048_8192_SHA256,
            Some("ES256") => &signature::ECDSA_P256_SHA256_FIXED,
            Some("ES384") => &signature::ECDSA_P384_SHA384_FIXED,
            other => {
                return Err(format!(
                    "'{}' is not a supported signature algorithm",
                    other.unwrap_or("(none)")
                ))
            }
        };
        let key = &cert.public_key().subject_public_key.data;
        UnparsedPublicKey::new(alg, key)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| {
                "the signature does not verify with the certificate's public key".to_owned()
            })
    }
}

/// A string claim of verified `claims`, `""` when absent or not a string.
pub(crate) fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> &'a str {
    claims.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// The `cnf.x5t#S256` of a certificate-bound token's `claims` (RFC 8705), if bound.
pub(crate) fn bound_thumbprint(claims: &Map<String, Value>) -> Option<&str> {
    claims
        .get("cnf")
        .and_then(|c| c.get("x5t#S256"))
        .and_then(Value::as_str)
}

/// True when `alg` is one the token endpoint accepts for client assertions.
pub(crate) fn is_supported_assertion_alg(alg: &str) -> bool {
    matches!(alg, "PS256" | "RS256" | "ES256" | "ES384")
}

/// The emulator's access-token signing key (ES256, fresh per start).
pub(crate) struct TokenSigner {
    key: EcdsaKeyPair,
    kid: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    pub(crate) fn generate() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|_| Error::Certificate {
            what: "generating the token-signing key".to_owned(),
            source: None,
        })?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let key = EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng).map_err(|_| Error::Certificate {
            what: "loading the token-signing key".to_owned(),
            source: None,
        })?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let kid = b64url(&digest.as_ref()[..16]);
        Ok(TokenSigner { key, kid, rng })
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (for the `jwks_uri` document).
    pub(crate) fn jwk(&self, issuer: &str) -> Value {
        let point = self.key.public_key().as_ref();
        // Uncompressed SEC1 point: 0x04 || x (32) || y (32).
        let (x, y) = point[1..].split_at(32);
        json!({
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "crv": "P-256",
            "x": b64url(x),
            "y": b64url(y),
            "issuer": issuer,
        })
    }

    /// Signs `claims` as a compact ES256 JWS.
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, Error> {
        let header = json!({"typ": "JWT", "alg": "ES256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let sig = self
            .key
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| Error::Certificate {
                what: "signing an access token".to_owned(),
                source: None,
            })?;
        Ok(format!("{input}.{}", b64url(sig.as_ref())))
    }

    /// Verifies a token this signer issued: header, signature and `exp` (no skew) at `now`.
    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<Map<String, Value>, String> {
        let jws = Jws::parse(token)?;
        if jws.alg() != Some("ES256") {
            return Err("the token is not ES256-signed".to_owned());
        }
        if jws.header_str("kid") != Some(self.kid.as_str()) {
            return Err("the token's kid is not this emulator's signing key".to_owned());
        }
        UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            self.key.public_key().as_ref(),
        )
        .verify(jws.signing_input.as_bytes(), &jws.signature)
        .map_err(|_| "the token signature is invalid".to_owned())?;
        let exp = jws
            .claim_f64("exp")
            .ok_or_else(|| "the token has no exp claim".to_owned())?;
        if exp <= now as f64 {
            return Err("the token has expired".to_owned());
        }
        Ok(jws.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_roundtrip() {
        let signer = TokenSigner::generate().unwrap();
        let now = 1_700_000_000;
        let token = signer.sign(&json!({"exp": now + 10, "sub": "x"})).unwrap();
        let claims = signer.verify(&token, now).unwrap();
        assert_eq!(claims["sub"], "x");
        assert!(signer
            .verify(&token, now + 10)
            .unwrap_err()
            .contains("expired"));
        // Tamper with the payload.
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = b64url(json!({"exp": now + 10, "sub": "y"}).to_string().as_bytes());
        parts[1] = &other;
        assert!(signer
            .verify(&parts.join("."), now)
            .unwrap_err()
            .contains("signature"));
        // Another signer's token.
        let other_signer = TokenSigner::generate().unwrap();
        let foreign = other_signer.sign(&json!({"exp": now + 10})).unwrap();
        assert!(signer.verify(&foreign, now).is_err());
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(Jws::parse("a.b").is_err());
        assert!(Jws::parse("a.b.c.d").is_err());
        assert!(Jws::parse("!!.e30.").is_err());
        let ok = Jws::parse("eyJhbGciOiJub25lIn0.e30.").unwrap();
        assert_eq!(ok.alg(), Some("none"));
    }
}
