//! Certificate authentication: a certificate-signed client assertion (`jwt-bearer`, the
//! certificate named by `x5c`, `x5t#S256` or `x5t`) and the TLS client certificate alone (mTLS
//! PoP), each trusted as a registered certificate or by subject name and issuer (SN/I).

use super::assertion_claims::check_claims;
use super::{not_registered, Request};
use crate::certs;
use crate::jwt::{self, Jws};
use crate::registration::AppRegistration;
use crate::respond::{now_secs, StsError};

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
pub(super) fn tls_certificate(req: &Request<'_>, leaf: &[u8]) -> Result<(), StsError> {
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

/// The `x5c` header: `None` when absent, else the non-empty chain (leaf first, DER).
pub(super) fn header_x5c(jws: &Jws) -> Result<Option<Vec<Vec<u8>>>, StsError> {
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
pub(super) fn certificate_assertion(req: &Request<'_>, jws: &Jws) -> Result<Vec<u8>, StsError> {
    let alg = jws.alg().unwrap_or("(none)");
    if !jwt::is_supported_assertion_alg(alg) {
        return Err(StsError::invalid_client(
            5002738,
            format!("Invalid JWT token. '{alg}' is not a supported signature algorithm. Supported algorithms: PS256, RS256, ES256, ES384."),
        ));
    }
    let thumbprints = Thumbprints::of(jws);
    let leaf = match header_x5c(jws)? {
        Some(chain) => x5c_leaf(req, &thumbprints, &chain)?,
        None => registered_leaf(req.app, &thumbprints)?,
    };
    verify_signed_by(jws, &leaf)?;
    check_claims(req, jws)?;
    Ok(leaf)
}

/// The certificate thumbprints an assertion header names, decoded (a value that does not decode
/// is empty and matches no certificate).
struct Thumbprints {
    /// `x5t#S256`: SHA-256 of the DER.
    sha256: Option<Vec<u8>>,
    /// `x5t`: SHA-1 of the DER.
    sha1: Option<Vec<u8>>,
}

impl Thumbprints {
    fn of(jws: &Jws) -> Self {
        let decode = |name| {
            jws.header_str(name)
                .map(|v| jwt::b64url_decode_lenient(v).unwrap_or_default())
        };
        Thumbprints {
            sha256: decode("x5t#S256"),
            sha1: decode("x5t"),
        }
    }

    /// True when `cert` has one of the named thumbprints.
    fn match_any(&self, cert: &[u8]) -> bool {
        self.sha256
            .as_ref()
            .is_some_and(|t| *t == certs::sha256(cert))
            || self.sha1.as_ref().is_some_and(|t| *t == certs::sha1(cert))
    }

    /// The header (`x5t#S256` or `x5t`) naming a thumbprint that is not `cert`'s, if any.
    fn contradicting(&self, cert: &[u8]) -> Option<&'static str> {
        if self
            .sha256
            .as_ref()
            .is_some_and(|t| *t != certs::sha256(cert))
        {
            return Some("x5t#S256");
        }
        if self.sha1.as_ref().is_some_and(|t| *t != certs::sha1(cert)) {
            return Some("x5t");
        }
        None
    }
}

/// The leaf of the `x5c` chain, once it agrees with the thumbprints and the app trusts it
/// (registered, or by subject name and issuer).
fn x5c_leaf(
    req: &Request<'_>,
    thumbprints: &Thumbprints,
    chain: &[Vec<u8>],
) -> Result<Vec<u8>, StsError> {
    let leaf = &chain[0];
    if let Some(header) = thumbprints.contradicting(leaf) {
        return Err(not_registered(&format!(
            "the {header} header does not match the x5c leaf certificate"
        )));
    }
    let app = req.app;
    if !app.certificates.contains(leaf) {
        if app.sni_subjects.is_empty() {
            return Err(not_registered(&format!(
                "The key was not found. x5t#S256 of the x5c leaf: '{}'",
                certs::x5t_s256(leaf)
            )));
        }
        subject_name_issuer(req, leaf, &chain[1..])
            .map_err(|r| not_registered(&format!("subject-name/issuer validation failed: {r}")))?;
    }
    Ok(leaf.clone())
}

/// The registered certificate the thumbprints name (without `x5c`, SN/I cannot apply).
fn registered_leaf(app: &AppRegistration, thumbprints: &Thumbprints) -> Result<Vec<u8>, StsError> {
    if thumbprints.sha256.is_none() && thumbprints.sha1.is_none() {
        return Err(StsError::invalid_client(
            50027,
            "JWT token is invalid or malformed: the client assertion header has none of x5c, x5t#S256 or x5t.",
        ));
    }
    match app.certificates.iter().find(|c| thumbprints.match_any(c)) {
        Some(c) => Ok(c.clone()),
        None if !app.sni_subjects.is_empty() => Err(not_registered(
            "The certificate was not found among the application's registered certificates, and subject-name/issuer (SN/I) authentication requires the x5c header with the certificate chain",
        )),
        None => Err(not_registered(
            "The key was not found. No registered certificate has the thumbprint in the x5t#S256 or x5t header",
        )),
    }
}

/// The certificate `leaf` is currently valid and its key made the assertion's signature.
fn verify_signed_by(jws: &Jws, leaf: &[u8]) -> Result<(), StsError> {
    let cert = certs::parse(leaf).map_err(|r| not_registered(&r))?;
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
    })
}
