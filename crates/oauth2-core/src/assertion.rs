//! Client assertions: the signed JWT a confidential client sends instead of a secret
//! ([RFC 7523](https://www.rfc-editor.org/rfc/rfc7523), `client_assertion_type` =
//! [`JWT_BEARER_ASSERTION_TYPE`](crate::JWT_BEARER_ASSERTION_TYPE)).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use crate::certificate::unix_seconds;
use crate::{ClientCertificate, Error, KeyAlgorithm, SecretString, SigningAlgorithm};

/// Which identity provider the assertion is for; selects the algorithm and thumbprint header.
///
/// | flavor | RSA key | EC key | thumbprint header |
/// |---|---|---|---|
/// | `Entra` | `PS256` | `ES256` / `ES384` | `x5t#S256` (SHA-256) |
/// | `Adfs` (and other generic IdPs) | `RS256` | `ES256` / `ES384` | `x5t` (SHA-1) |
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssertionFlavor {
    /// Microsoft Entra ID (AAD, B2C, CIAM): SHA-256 thumbprint, PS256 for RSA keys.
    Entra,
    /// AD FS and other generic OAuth servers: SHA-1 thumbprint, RS256 for RSA keys.
    Adfs,
}

/// What to put into a client assertion.
#[derive(Clone, Debug)]
pub struct AssertionOptions {
    /// The application (client) id: `iss` and `sub`.
    pub client_id: String,
    /// The audience, `aud`: the token endpoint URL the assertion is sent to.
    pub audience: String,
    /// Whether to put the certificate chain into the `x5c` header (needed for subject name /
    /// issuer (SN/I) authentication and for Bearer over mTLS).
    pub send_x5c: bool,
    /// Algorithm and thumbprint header selection.
    pub flavor: AssertionFlavor,
    /// How long the assertion is valid (`exp - iat`). Default 600 s.
    pub lifetime: Duration,
}

impl AssertionOptions {
    /// Options with `send_x5c = false`, [`AssertionFlavor::Entra`] and a 600 s lifetime.
    pub fn new(client_id: impl Into<String>, audience: impl Into<String>) -> Self {
        AssertionOptions {
            client_id: client_id.into(),
            audience: audience.into(),
            send_x5c: false,
            flavor: AssertionFlavor::Entra,
            lifetime: Duration::from_secs(600),
        }
    }
}

/// A signed client assertion and when it expires. `Debug` redacts the JWT.
#[derive(Clone)]
pub struct ClientAssertion {
    jwt: SecretString,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl ClientAssertion {
    /// The compact JWT (`header.claims.signature`). Send it as `client_assertion`.
    pub fn jwt(&self) -> &SecretString {
        &self.jwt
    }

    /// When the assertion expires (its `exp` claim).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("jwt", &self.jwt)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5c: Option<&'a [String]>,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// The algorithm [`sign_client_assertion`] uses for this key and flavor.
fn algorithm_for(key: KeyAlgorithm, flavor: AssertionFlavor) -> SigningAlgorithm {
    match (key, flavor) {
        (KeyAlgorithm::Rsa, AssertionFlavor::Adfs) => SigningAlgorithm::Rs256,
        (KeyAlgorithm::Rsa, _) => SigningAlgorithm::Ps256,
        (KeyAlgorithm::EcdsaP384, _) => SigningAlgorithm::Es384,
        (KeyAlgorithm::EcdsaP256, _) => SigningAlgorithm::Es256,
    }
}

/// Builds and signs a client assertion JWT.
///
/// Header, in this order: `alg`, `typ` (`JWT`), then `x5t#S256` ([`AssertionFlavor::Entra`])
/// or `x5t` ([`AssertionFlavor::Adfs`]) as unpadded base64url, then `x5c` when
/// [`AssertionOptions::send_x5c`] is set. Claims, in this order: `aud`, `iss` and `sub`
/// (the client id), `jti` (a random UUID v4), `nbf` and `iat` (`now` in whole seconds) and
/// `exp` (`now` + lifetime).
pub fn sign_client_assertion(
    cert: &ClientCertificate,
    opts: &AssertionOptions,
    now: SystemTime,
) -> Result<ClientAssertion, Error> {
    if opts.client_id.is_empty() {
        return Err(Error::signing(
            "the client id is empty; set AssertionOptions::client_id",
        ));
    }
    if opts.audience.is_empty() {
        return Err(Error::signing(
            "the audience is empty; set AssertionOptions::audience to the token endpoint URL",
        ));
    }
    let iat = u64::try_from(unix_seconds(now))
        .map_err(|_| Error::signing("the current time is before 1970; check the system clock"))?;
    let exp = iat.saturating_add(opts.lifetime.as_secs());

    let alg = algorithm_for(cert.key_algorithm(), opts.flavor);
    let (x5t_s256, x5t) = match opts.flavor {
        AssertionFlavor::Adfs => (None, Some(cert.x5t())),
        AssertionFlavor::Entra => (Some(cert.x5t_s256()), None),
    };
    let header = Header {
        alg: alg.jws_name(),
        typ: "JWT",
        x5t_s256,
        x5t,
        x5c: opts.send_x5c.then(|| cert.x5c()),
    };
    let claims = Claims {
        aud: &opts.audience,
        iss: &opts.client_id,
        sub: &opts.client_id,
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: iat,
        iat,
        exp,
    };
    let header_json = serde_json::to_vec(&header)
        .map_err(|e| Error::signing("cannot serialize the JWT header").with_source(e))?;
    let claims_json = serde_json::to_vec(&claims)
        .map_err(|e| Error::signing("cannot serialize the JWT claims").with_source(e))?;

    let mut jwt = String::with_capacity(header_json.len() * 2 + claims_json.len() * 2 + 512);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut jwt);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims_json, &mut jwt);
    let signature = cert.sign(alg, jwt.as_bytes())?;
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut jwt);

    Ok(ClientAssertion {
        jwt: SecretString::new(jwt),
        issued_at: UNIX_EPOCH + Duration::from_secs(iat),
        expires_at: UNIX_EPOCH + Duration::from_secs(exp),
    })
}

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

/// Remaining lifetime below which a cached assertion is replaced.
const MIN_REMAINING: Duration = Duration::from_secs(60);
/// Upper bound on cached assertions; when reached, expired entries are dropped, then all.
const MAX_ENTRIES: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    x5t_s256: String,
    client_id: String,
    audience: String,
    send_x5c: bool,
    flavor: AssertionFlavor,
}

/// Reuses signed client assertions while they have more than 60 seconds of life left.
///
/// MSAL Python signs one assertion and sends it for 540 of its 600 seconds; this cache does the
/// same per (certificate `x5t#S256`, client id, audience, `send_x5c`, flavor). Thread-safe.
#[derive(Debug, Default)]
pub struct AssertionCache {
    entries: Mutex<HashMap<CacheKey, ClientAssertion>>,
}

impl AssertionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the cached assertion for these inputs if it was issued at or before `now` and is
    /// valid for more than 60 more seconds; otherwise signs a new one and caches it.
    pub fn get_or_sign(
        &self,
        cert: &ClientCertificate,
        opts: &AssertionOptions,
        now: SystemTime,
    ) -> Result<ClientAssertion, Error> {
        let key = CacheKey {
            x5t_s256: cert.x5t_s256().to_owned(),
            client_id: opts.client_id.clone(),
            audience: opts.audience.clone(),
            send_x5c: opts.send_x5c,
            flavor: opts.flavor,
        };
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = entries.get(&key) {
            if is_fresh(cached, now) {
                return Ok(cached.clone());
            }
        }
        let assertion = sign_client_assertion(cert, opts, now)?;
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, a| is_fresh(a, now));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, assertion.clone());
        Ok(assertion)
    }
}

fn is_fresh(assertion: &ClientAssertion, now: SystemTime) -> bool {
    assertion.issued_at <= now
        && assertion
            .expires_at
            .duration_since(now)
            .is_ok_and(|left| left > MIN_REMAINING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_table() {
        use AssertionFlavor::*;
        assert_eq!(
            algorithm_for(KeyAlgorithm::Rsa, Entra),
            SigningAlgorithm::Ps256
        );
        assert_eq!(
            algorithm_for(KeyAlgorithm::Rsa, Adfs),
            SigningAlgorithm::Rs256
        );
        assert_eq!(
            algorithm_for(KeyAlgorithm::EcdsaP256, Entra),
            SigningAlgorithm::Es256
        );
        assert_eq!(
            algorithm_for(KeyAlgorithm::EcdsaP256, Adfs),
            SigningAlgorithm::Es256
        );
        assert_eq!(
            algorithm_for(KeyAlgorithm::EcdsaP384, Entra),
            SigningAlgorithm::Es384
        );
    }

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
