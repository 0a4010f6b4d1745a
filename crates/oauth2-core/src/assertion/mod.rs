//! Client assertions: the signed JWT a confidential client sends instead of a secret
//! ([RFC 7523](https://www.rfc-editor.org/rfc/rfc7523), `client_assertion_type` =
//! [`JWT_BEARER_ASSERTION_TYPE`](crate::JWT_BEARER_ASSERTION_TYPE)).
//!
//! This file builds and signs one assertion; [`cache`] reuses them while they are fresh, and
//! [`decode`] reads one back for tests.

mod cache;
mod decode;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use crate::{ClientCertificate, Error, KeyAlgorithm, SecretString, SigningAlgorithm, UnixTime};

pub use cache::AssertionCache;
pub use decode::decode_jwt_unverified;

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
    issued_at: UnixTime,
    expires_at: UnixTime,
}

impl ClientAssertion {
    /// The compact JWT (`header.claims.signature`). Send it as `client_assertion`.
    pub fn jwt(&self) -> &SecretString {
        &self.jwt
    }

    /// When the assertion expires (its `exp` claim).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at.to_system_time()
    }

    /// Whether the assertion was issued at or before `now` and is valid for more than
    /// `min_remaining` after it.
    fn is_fresh_at(&self, now: UnixTime, min_remaining: Duration) -> bool {
        self.issued_at <= now && self.expires_at.saturating_duration_since(now) > min_remaining
    }
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("jwt", &self.jwt)
            .field("expires_at", &self.expires_at())
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
/// `exp` (`now` + lifetime, saturating at the end of the year 9999).
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
    if now < UNIX_EPOCH {
        return Err(Error::signing(
            "the current time is before 1970; check the system clock",
        ));
    }
    let issued_at = UnixTime::from_system_time(now);
    let expires_at = issued_at.saturating_add(opts.lifetime);

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
        nbf: issued_at.as_secs(),
        iat: issued_at.as_secs(),
        exp: expires_at.as_secs(),
    };
    Ok(ClientAssertion {
        jwt: SecretString::new(sign_jwt(cert, alg, &header, &claims)?),
        issued_at,
        expires_at,
    })
}

/// The compact JWS `base64url(header).base64url(claims).base64url(signature)`.
fn sign_jwt(
    cert: &ClientCertificate,
    alg: SigningAlgorithm,
    header: &Header<'_>,
    claims: &Claims<'_>,
) -> Result<String, Error> {
    let header_json = serde_json::to_vec(header)
        .map_err(|e| Error::signing("cannot serialize the JWT header").with_source(e))?;
    let claims_json = serde_json::to_vec(claims)
        .map_err(|e| Error::signing("cannot serialize the JWT claims").with_source(e))?;

    let mut jwt = String::with_capacity(header_json.len() * 2 + claims_json.len() * 2 + 512);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut jwt);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims_json, &mut jwt);
    let signature = cert.sign(alg, jwt.as_bytes())?;
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut jwt);
    Ok(jwt)
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
    fn hostile_times_saturate_instead_of_overflowing() {
        let pem = include_bytes!("../../tests/fixtures/leaf-combined.pem");
        let cert = ClientCertificate::from_pem(pem).unwrap();
        let mut opts = AssertionOptions::new("client", "https://login.example/token");
        opts.lifetime = Duration::MAX;
        let last_second = UnixTime::MAX.to_system_time();
        let signed = sign_client_assertion(&cert, &opts, last_second).unwrap();
        assert_eq!(signed.expires_at(), last_second);
        let far_future = last_second + Duration::from_secs(86_400 * 365);
        let cached = AssertionCache::new().get_or_sign(&cert, &opts, far_future);
        assert_eq!(cached.unwrap().expires_at(), last_second);
        let before_1970 = UNIX_EPOCH - Duration::from_secs(1);
        let err = sign_client_assertion(&cert, &opts, before_1970).unwrap_err();
        assert_eq!(err.code(), "signing_failed");
    }
}
