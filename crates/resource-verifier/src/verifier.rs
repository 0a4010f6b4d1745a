//! [`Verifier`]: one resource's rules (issuer, audiences, schemes, skew, key source) and the
//! check of one request's `Authorization` header against its TLS client certificate.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::authorization;
use crate::claims::{self, Expectations, VerifiedToken};
use crate::fetch::JwksSource;
use crate::jws::Jws;
use crate::keys::KeyCache;
use crate::peer::PeerCertificate;
use crate::rejection::Rejection;
use crate::scheme::Scheme;

/// Checks certificate-bound access tokens for one resource (RFC 8705 §3): signature from the
/// issuer's JWKS, `iss`, `aud`, `exp`/`nbf` with clock skew, and `cnf.x5t#S256` against the
/// TLS client certificate of the request's connection. Cheap to clone (shared keys).
///
/// ```
/// use resource_verifier::{StaticJwks, Verifier};
/// let verifier = Verifier::builder()
///     .issuer("https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555/v2.0")
///     .audience("api://my-resource")
///     .jwks(StaticJwks::new(r#"{"keys":[]}"#))
///     .build()
///     .unwrap();
/// # let _ = verifier;
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    expect: Expectations,
    schemes: Vec<Scheme>,
    realm: Option<String>,
    keys: KeyCache,
}

/// Builds a [`Verifier`]; issuer, audience and key source are required.
#[derive(Debug)]
pub struct VerifierBuilder {
    issuers: Vec<String>,
    audiences: Vec<String>,
    source: Option<Arc<dyn JwksSource>>,
    accept_bearer: bool,
    skew: Duration,
    realm: Option<String>,
    max_key_age: Duration,
    min_refresh_interval: Duration,
}

impl Verifier {
    /// A builder: mtls_pop only, 5 minutes of clock skew, keys kept 24 h and refreshed for an
    /// unknown `kid` at most once every 5 minutes.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            issuers: Vec::new(),
            audiences: Vec::new(),
            source: None,
            accept_bearer: false,
            skew: Duration::from_secs(300),
            realm: None,
            max_key_age: Duration::from_secs(24 * 3600),
            min_refresh_interval: Duration::from_secs(300),
        }
    }

    /// The schemes accepted, in challenge order.
    pub fn schemes(&self) -> &[Scheme] {
        &self.inner.schemes
    }

    /// The `realm` of the challenges, if configured.
    pub fn realm(&self) -> Option<&str> {
        self.inner.realm.as_deref()
    }

    /// Checks a request: its raw `Authorization` value (`None` when absent) and the client
    /// certificate of its TLS connection (`None` when the client presented none).
    pub async fn verify(
        &self,
        authorization: Option<&[u8]>,
        peer: Option<&PeerCertificate>,
    ) -> Result<VerifiedToken, Rejection> {
        let (scheme, token) = authorization::parse(authorization, &self.inner.schemes)?;
        let jws = Jws::parse(token)?;
        let keys = self.inner.keys.keys_for(jws.header_str("kid")).await?;
        keys.verify(&jws)?;
        self.inner.expect.check(&jws.claims, unix_now())?;
        let thumbprint = claims::check_binding(&jws.claims, peer)?;
        Ok(claims::verified(scheme, thumbprint, jws.claims))
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl VerifierBuilder {
    /// An accepted `iss` (exact match; Entra v2.0: `https://login.microsoftonline.com/{tenant}/v2.0`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// An accepted `aud` (Entra uses the resource's application ID URI or its client id).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Where the issuer's keys come from: usually an [`crate::HttpsJwks`].
    pub fn jwks(mut self, source: impl JwksSource + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Also accept certificate-bound tokens under the `Bearer` scheme (RFC 8705 servers;
    /// default: `mtls_pop` only, as for Entra's mTLS PoP tokens). Unbound tokens are refused
    /// either way.
    pub fn accept_bearer_with_cnf(mut self, on: bool) -> Self {
        self.accept_bearer = on;
        self
    }

    /// The clock skew allowed on `exp` and `nbf` (default 5 minutes).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// A `realm` for the `WWW-Authenticate` challenges.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// How long fetched keys are used before a refresh (default 24 h).
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_key_age = age;
        self
    }

    /// The least time between two fetches of the keys (default 5 minutes): an unknown `kid`
    /// triggers a refresh only after this long since the last one.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Checks that issuer, audience and key source are set.
    pub fn build(self) -> Result<Verifier, BuildError> {
        let missing = |what: &'static str| Err(BuildError(what));
        let Some(source) = self.source else {
            return missing("a key source (jwks)");
        };
        if self.issuers.is_empty() {
            return missing("an issuer");
        }
        if self.audiences.is_empty() {
            return missing("an audience");
        }
        let mut schemes = vec![Scheme::MtlsPop];
        if self.accept_bearer {
            schemes.push(Scheme::Bearer);
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                expect: Expectations {
                    issuers: self.issuers,
                    audiences: self.audiences,
                    skew_secs: i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX / 2),
                },
                schemes,
                realm: self.realm,
                keys: KeyCache::new(source, self.max_key_age, self.min_refresh_interval),
            }),
        })
    }
}

/// A [`VerifierBuilder`] without issuer, audience or key source; says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildError(&'static str);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the verifier needs {}; set it on the builder", self.0)
    }
}

impl std::error::Error for BuildError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::StaticJwks;

    #[test]
    fn build_names_what_is_missing() {
        let err = Verifier::builder()
            .issuer("i")
            .audience("a")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("key source"));
        let err = Verifier::builder()
            .audience("a")
            .jwks(StaticJwks::new("{}"))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("issuer"));
        let v = Verifier::builder()
            .issuer("i")
            .audience("a")
            .jwks(StaticJwks::new("{}"))
            .accept_bearer_with_cnf(true)
            .build()
            .unwrap();
        assert_eq!(v.schemes(), [Scheme::MtlsPop, Scheme::Bearer]);
    }
}
