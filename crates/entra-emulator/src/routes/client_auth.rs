//! Client authentication at the token endpoint: client secret, certificate client assertion
//! (registered certificate or subject-name/issuer), TLS client certificate (mTLS) and federated
//! credentials (an emulator-issued token used as the assertion).
//!
//! Error descriptions say *why* a credential was rejected but never echo the secret or assertion.

use serde_json::Value;

use crate::certs;
use crate::jwt::{self, Jws};
use crate::registration::AppRegistration;
use crate::request::Ctx;
use crate::respond::{now_secs, StsError};
use crate::state::Tenant;

/// `client_assertion_type` for a signed JWT (RFC 7523).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `client_assertion_type` Microsoft uses for a certificate-bound assertion presented over mTLS.
pub(crate) const JWT_POP: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";
/// Audience a federated-credential assertion must have.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Allowed clock skew for assertion times, seconds.
const SKEW: f64 = 60.0;
/// Longest accepted assertion lifetime, seconds.
const MAX_ASSERTION_LIFETIME: f64 = 3600.0;

/// How the client proved its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    Secret,
    Certificate,
    Federated,
}

impl AuthMethod {
    /// The `appidacr` / `azpacr` claim value.
    pub(crate) fn acr(self) -> &'static str {
        match self {
            AuthMethod::Secret => "1",
            AuthMethod::Certificate | AuthMethod::Federated => "2",
        }
    }
}

/// Who is asking, as far as the token endpoint is concerned.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) ctx: &'a Ctx<'a>,
    pub(crate) app: &'a AppRegistration,
    pub(crate) tenant: &'a Tenant,
    /// Cloud index of the host the request arrived on.
    pub(crate) cloud: usize,
    /// True on an `mtlsauth.*` host.
    pub(crate) mtls_host: bool,
    /// True when `token_type=mtls_pop` was asked for.
    pub(crate) pop: bool,
}

fn missing_credential(detail: &str) -> StsError {
    StsError::invalid_client(
        7000218,
        format!(
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. {detail}"
        ),
    )
}

fn not_registered(reason: &str) -> StsError {
    StsError::invalid_client(
        700027,
        format!("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - {reason}]"),
    )
}

fn invalid_request(message: impl Into<String>) -> StsError {
    StsError::invalid_request(90023, message)
}

/// Authenticates the client of `req`.
pub(crate) fn authenticate(req: &Request<'_>) -> Result<AuthMethod, StsError> {
    let ctx = req.ctx;
    for name in ["client_secret", "client_assertion", "client_assertion_type"] {
        if ctx.form_count(name) > 1 {
            return Err(invalid_request(format!(
                "The request body contains the parameter '{name}' more than once."
            )));
        }
    }
    let secret = ctx.form("client_secret");
    let assertion = ctx.form("client_assertion");
    if secret.is_some() && assertion.is_some() {
        return Err(invalid_request(
            "The request presents both 'client_secret' and 'client_assertion'; send exactly one client credential.",
        ));
    }
    let assertion = match assertion {
        Some(a) => Some((a, assertion_type(ctx)?)),
        None => None,
    };

    if req.mtls_host {
        let Some(leaf) = ctx.conn.leaf() else {
            return Err(missing_credential(
                "The mTLS endpoint requires a client certificate in the TLS handshake and none was presented.",
            ));
        };
        if secret.is_some() {
            return Err(invalid_request(
                "'client_secret' cannot be used on the mTLS endpoint; authenticate with the TLS client certificate.",
            ));
        }
        match assertion {
            None if req.pop => {
                tls_certificate(req, leaf)?;
                Ok(AuthMethod::Certificate)
            }
            None => Err(missing_credential(
                "Bearer tokens over mTLS need a client_assertion in addition to the TLS certificate; request token_type=mtls_pop for certificate-only authentication.",
            )),
            Some((a, AssertionType::Pop)) => {
                federated(req, a, Some(leaf))?;
                Ok(AuthMethod::Federated)
            }
            Some((_, AssertionType::Bearer)) if req.pop => Err(invalid_request(
                "mTLS Proof-of-Possession requests must not carry a jwt-bearer client_assertion; the TLS client certificate authenticates the client.",
            )),
            Some((a, AssertionType::Bearer)) => {
                let (method, cert) = jwt_bearer(req, a)?;
                if let Some(cert) = cert {
                    if cert != leaf {
                        return Err(StsError::invalid_client(
                            500181,
                            "The TLS client certificate does not match the certificate of the client assertion (CertificateValidationFailedTlsCertMismatch).",
                        ));
                    }
                }
                Ok(method)
            }
        }
    } else {
        match (secret, assertion) {
            (Some(s), None) => {
                client_secret(req.app, s)?;
                Ok(AuthMethod::Secret)
            }
            (None, Some((a, AssertionType::Bearer))) => Ok(jwt_bearer(req, a)?.0),
            (None, Some((_, AssertionType::Pop))) => Err(invalid_request(
                "A jwt-pop client_assertion is only accepted on the mTLS endpoint, presented with its bound certificate.",
            )),
            _ => Err(missing_credential("")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AssertionType {
    Bearer,
    Pop,
}

fn assertion_type(ctx: &Ctx<'_>) -> Result<AssertionType, StsError> {
    match ctx.form("client_assertion_type") {
        Some(JWT_BEARER) => Ok(AssertionType::Bearer),
        Some(JWT_POP) => Ok(AssertionType::Pop),
        Some(other) => Err(invalid_request(format!(
            "Invalid client_assertion_type '{other}'; use {JWT_BEARER}."
        ))),
        None => Err(StsError::invalid_request(
            900144,
            "The request body must contain the following parameter: 'client_assertion_type'.",
        )),
    }
}

/// Compares a presented secret with the registered ones without early exit on the content.
fn client_secret(app: &AppRegistration, presented: &str) -> Result<(), StsError> {
    let presented = ring::digest::digest(&ring::digest::SHA256, presented.as_bytes());
    let mut any = false;
    for secret in &app.secrets {
        let expected = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
        let diff = presented
            .as_ref()
            .iter()
            .zip(expected.as_ref())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        any |= diff == 0;
    }
    if any {
        Ok(())
    } else {
        Err(StsError::invalid_client(
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                app.client_id
            ),
        ))
    }
}

/// Subject-name/issuer check of `leaf` (+ `intermediates`) for `app`.
fn subject_name_issuer(
    req: &Request<'_>,
    leaf: &[u8],
    intermediates: &[Vec<u8>],
) -> Result<(), String> {
    let cert = certs::parse(leaf)?;
    let cn = certs::common_name(&cert).unwrap_or_default();
    if !req
        .app
        .sni_subjects
        .iter()
        .any(|s| s.eq_ignore_ascii_case(&cn))
    {
        return Err(format!(
            "the certificate subject CN '{cn}' is not a subject-name/issuer subject of the application"
        ));
    }
    let now = now_secs();
    certs::check_validity(&cert, now, "certificate")?;
    certs::chains_to_trusted(leaf, intermediates, &req.ctx.state.trusted_issuers, now)
}

/// Authenticates by the TLS client certificate alone (mTLS PoP).
fn tls_certificate(req: &Request<'_>, leaf: &[u8]) -> Result<(), StsError> {
    if req.app.certificates.iter().any(|c| c == leaf) {
        let cert = certs::parse(leaf).map_err(|r| not_registered(&r))?;
        return certs::check_validity(&cert, now_secs(), "TLS client certificate")
            .map_err(|r| not_registered(&r));
    }
    if req.app.sni_subjects.is_empty() {
        return Err(not_registered(&format!(
            "The TLS client certificate (x5t#S256 '{}') is not registered on application '{}'",
            certs::x5t_s256(leaf),
            req.app.client_id
        )));
    }
    let intermediates = req.ctx.conn.peer_chain.get(1..).unwrap_or_default();
    subject_name_issuer(req, leaf, intermediates)
        .map_err(|r| not_registered(&format!("TLS client certificate: {r}")))
}

/// A `jwt-bearer` assertion: either a certificate-signed JWT or (federated) an emulator token.
/// Returns the certificate that signed it, if any.
fn jwt_bearer(req: &Request<'_>, token: &str) -> Result<(AuthMethod, Option<Vec<u8>>), StsError> {
    let jws = Jws::parse(token).map_err(|r| {
        StsError::invalid_client(50027, format!("JWT token is invalid or malformed: {r}."))
    })?;
    if jws.header_str("kid") == Some(req.ctx.state.signer.kid()) {
        federated(req, token, None)?;
        return Ok((AuthMethod::Federated, None));
    }
    let cert = certificate_assertion(req, &jws)?;
    Ok((AuthMethod::Certificate, Some(cert)))
}

fn header_x5c(jws: &Jws) -> Result<Option<Vec<Vec<u8>>>, StsError> {
    let Some(value) = jws.header.get("x5c") else {
        return Ok(None);
    };
    let malformed = || {
        StsError::invalid_client(50027, "JWT token is invalid or malformed: the x5c header must be a non-empty array of base64 DER certificates.")
    };
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(malformed)?;
    list.iter()
        .map(|v| {
            v.as_str()
                .and_then(jwt::decode_x5c_entry)
                .ok_or_else(malformed)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Verifies a certificate-signed client assertion; returns the signing certificate (DER).
fn certificate_assertion(req: &Request<'_>, jws: &Jws) -> Result<Vec<u8>, StsError> {
    let alg = jws.alg().unwrap_or("(none)");
    if !jwt::is_supported_assertion_alg(alg) {
        return Err(StsError::invalid_client(
            5002738,
            format!("Invalid JWT token. '{alg}' is not a supported signature algorithm. Supported algorithms: PS256, RS256, ES256, ES384."),
        ));
    }
    let x5t_s256 = jws
        .header_str("x5t#S256")
        .map(|v| jwt::b64url_decode_lenient(v).unwrap_or_default());
    let x5t = jws
        .header_str("x5t")
        .map(|v| jwt::b64url_decode_lenient(v).unwrap_or_default());
    let app = req.app;

    let leaf = match header_x5c(jws)? {
        Some(chain) => {
            let leaf = chain[0].clone();
            if x5t_s256
                .as_ref()
                .is_some_and(|t| *t != certs::sha256(&leaf))
            {
                return Err(not_registered(
                    "the x5t#S256 header does not match the x5c leaf certificate",
                ));
            }
            if x5t.as_ref().is_some_and(|t| *t != certs::sha1(&leaf)) {
                return Err(not_registered(
                    "the x5t header does not match the x5c leaf certificate",
                ));
            }
            if !app.certificates.contains(&leaf) {
                if app.sni_subjects.is_empty() {
                    return Err(not_registered(&format!(
                        "The key was not found. x5t#S256 of the x5c leaf: '{}'",
                        certs::x5t_s256(&leaf)
                    )));
                }
                subject_name_issuer(req, &leaf, &chain[1..]).map_err(|r| {
                    not_registered(&format!("subject-name/issuer validation failed: {r}"))
                })?;
            }
            leaf
        }
        None => {
            if x5t_s256.is_none() && x5t.is_none() {
                return Err(StsError::invalid_client(
                    50027,
                    "JWT token is invalid or malformed: the client assertion header has none of x5c, x5t#S256 or x5t.",
                ));
            }
            let found = app.certificates.iter().find(|c| {
                x5t_s256.as_ref().is_some_and(|t| *t == certs::sha256(c))
                    || x5t.as_ref().is_some_and(|t| *t == certs::sha1(c))
            });
            match found {
                Some(c) => c.clone(),
                None if !app.sni_subjects.is_empty() => {
                    return Err(not_registered(
                        "The certificate was not found among the application's registered certificates, and subject-name/issuer (SN/I) authentication requires the x5c header with the certificate chain",
                    ))
                }
                None => {
                    return Err(not_registered(
                        "The key was not found. No registered certificate has the thumbprint in the x5t#S256 or x5t header",
                    ))
                }
            }
        }
    };

    let cert = certs::parse(&leaf).map_err(|r| not_registered(&r))?;
    certs::check_validity(
        &cert,
        now_secs(),
        "certificate that signed the client assertion",
    )
    .map_err(|r| not_registered(&r))?;
    jws.verify_with_certificate(&cert).map_err(|r| {
        StsError::invalid_client(
            700027,
            format!("Client assertion contains an invalid signature. [Reason - {r}]"),
        )
    })?;
    check_claims(req, jws)?;
    Ok(leaf)
}

/// The token endpoint URLs an assertion's `aud` may name for this request.
fn audience_ok(req: &Request<'_>, aud: &str) -> bool {
    let Ok(url) = url::Url::parse(aud) else {
        return false;
    };
    if url.scheme() != "https" {
        return false;
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let clouds = &req.ctx.state.clouds;
    if host != req.ctx.host && clouds.cloud_of(&host) != Some(req.cloud) {
        return false;
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    match segments.as_slice() {
        [t, "oauth2", "v2.0", "token"] | [t, "oauth2", "token"] => req.tenant.matches(t),
        _ => false,
    }
}

fn check_claims(req: &Request<'_>, jws: &Jws) -> Result<(), StsError> {
    let expected = format!(
        "https://{}/{}/oauth2/v2.0/token",
        req.ctx.authority, req.tenant.id
    );
    let aud_ok = match jws.claims.get("aud") {
        Some(Value::String(a)) => audience_ok(req, a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audience_ok(req, a)),
        _ => false,
    };
    if !aud_ok {
        let shown = match jws.claims.get("aud") {
            Some(Value::String(a)) => a.chars().take(200).collect(),
            Some(other) => other.to_string().chars().take(200).collect(),
            None => "(missing)".to_owned(),
        };
        return Err(StsError::invalid_client(
            700212,
            format!("The audience '{shown}' of the client assertion is not valid for this token endpoint. Expected '{expected}' (or an alias of this cloud/tenant)."),
        ));
    }
    let client_id = req.app.client_id.as_str();
    for claim in ["iss", "sub"] {
        if jws.claim_str(claim) != Some(client_id) {
            return Err(StsError::invalid_client(
                700021,
                format!("Client assertion application identifier doesn't match 'client_id' parameter: the '{claim}' claim must equal the client_id '{client_id}'."),
            ));
        }
    }
    check_times(jws)
}

fn check_times(jws: &Jws) -> Result<(), StsError> {
    let now = now_secs() as f64;
    let Some(exp) = jws.claim_f64("exp") else {
        return Err(StsError::invalid_client(
            50027,
            "JWT token is invalid or malformed: the client assertion has no numeric 'exp' claim.",
        ));
    };
    let nbf = jws.claim_f64("nbf");
    let range = |why: &str| {
        StsError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range: {why}. Current time: {}, expiry time of assertion {}.",
                crate::respond::entra_timestamp(now as i64),
                crate::respond::entra_timestamp(exp as i64)
            ),
        )
    };
    if now > exp + SKEW {
        return Err(range("the assertion has expired"));
    }
    if nbf.is_some_and(|nbf| nbf > now + SKEW) {
        return Err(range(
            "the assertion is not yet valid (nbf is in the future)",
        ));
    }
    let start = nbf.or_else(|| jws.claim_f64("iat")).unwrap_or(now);
    if exp - start > MAX_ASSERTION_LIFETIME {
        return Err(range("the assertion lifetime is longer than one hour"));
    }
    Ok(())
}

/// A federated-credential assertion: an emulator-issued access token whose `iss`/`sub` match one
/// of the app's federated credentials and whose audience is the token-exchange audience. With
/// `tls_leaf` (jwt-pop over mTLS) the token must be bound to that certificate; without it the
/// token must not be bound.
fn federated(req: &Request<'_>, token: &str, tls_leaf: Option<&[u8]>) -> Result<(), StsError> {
    let claims = req
        .ctx
        .state
        .signer
        .verify(token, now_secs())
        .map_err(|r| {
            if r.contains("expired") {
                StsError::invalid_client(
                    700024,
                    format!("Client assertion is not within its valid time range: {r}."),
                )
            } else {
                StsError::invalid_client(50027, format!("JWT token is invalid or malformed: {r}."))
            }
        })?;
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if aud != TOKEN_EXCHANGE_AUDIENCE {
        return Err(StsError::invalid_client(
            700212,
            format!("No matching federated identity record found for presented assertion audience '{aud}'. Federated assertions must have audience '{TOKEN_EXCHANGE_AUDIENCE}'."),
        ));
    }
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let creds = &req.app.federated;
    if !creds.iter().any(|c| c.issuer == iss) {
        return Err(StsError::invalid_client(
            700211,
            format!("No matching federated identity record found for presented assertion issuer '{iss}'."),
        ));
    }
    if !creds.iter().any(|c| c.issuer == iss && c.subject == sub) {
        return Err(StsError::invalid_client(
            700213,
            format!("No matching federated identity record found for presented assertion subject '{sub}'."),
        ));
    }
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("x5t#S256"))
        .and_then(Value::as_str);
    match (bound, tls_leaf) {
        (Some(thumb), Some(leaf)) if thumb == certs::x5t_s256(leaf) => Ok(()),
        (Some(_), Some(_)) => Err(StsError::invalid_client(
            500181,
            "The TLS client certificate does not match the certificate the assertion is bound to (CertificateValidationFailedTlsCertMismatch).",
        )),
        (Some(_), None) => Err(StsError::invalid_client(
            500181,
            "The client assertion is certificate-bound; present it as jwt-pop over mTLS with the bound certificate.",
        )),
        (None, Some(_)) => Err(invalid_request(
            "A jwt-pop client_assertion must be certificate-bound (have a cnf claim).",
        )),
        (None, None) => Ok(()),
    }
}

/// Runs every step of client-assertion handling that reads untrusted bytes, on `input` as the
/// `client_assertion` form value: JWS splitting and decoding, header parsing (`alg`, `x5t`,
/// `x5t#S256`, `x5c`), certificate parsing, validity and chain walking over the `x5c` chain
/// (anchored at its own last certificate), signature verification, time claims, and the
/// federated path (verifying it as an emulator-issued token). Results are discarded; only
/// panics, hangs and excessive memory matter. The fuzzing entry point behind
/// [`crate::fuzz_parse_jwt`].
pub(crate) fn fuzz_assertion(input: &[u8]) {
    static SIGNER: std::sync::OnceLock<Option<jwt::TokenSigner>> = std::sync::OnceLock::new();
    // Form values reach the handlers decoded as lossy UTF-8.
    let token = String::from_utf8_lossy(input);
    if let Some(signer) = SIGNER.get_or_init(|| jwt::TokenSigner::generate().ok()) {
        let _ = signer.verify(&token, now_secs());
    }
    let Ok(jws) = Jws::parse(&token) else {
        return;
    };
    let _ = jws.alg().map(jwt::is_supported_assertion_alg);
    let _ = jws.header_str("kid");
    let _ = jws.header_str("x5t#S256").map(jwt::b64url_decode_lenient);
    let _ = jws.header_str("x5t").map(jwt::b64url_decode_lenient);
    let _ = (jws.claim_str("iss"), jws.claim_str("sub"));
    if let Some(Value::String(aud)) = jws.claims.get("aud") {
        let _ = url::Url::parse(aud);
    }
    if let Ok(Some(chain)) = header_x5c(&jws) {
        let now = now_secs();
        for der in &chain {
            if let Ok(cert) = certs::parse(der) {
                let _ = certs::common_name(&cert);
                let _ = certs::check_validity(&cert, now, "certificate");
                let _ = jws.verify_with_certificate(&cert);
            }
        }
        if let Some((anchor, _)) = chain.split_last() {
            let _ =
                certs::chains_to_trusted(&chain[0], &chain[1..], std::slice::from_ref(anchor), now);
        }
    }
    let _ = check_times(&jws);
}
