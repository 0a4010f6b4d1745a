//! Client authentication at the token endpoint: client secret, certificate client assertion
//! (registered certificate or subject-name/issuer), TLS client certificate (mTLS) and federated
//! credentials (an emulator-issued token used as the assertion).
//!
//! Error descriptions say *why* a credential was rejected but never echo the secret or assertion.

mod assertion_claims;
mod certificate;
mod federated;
mod fuzz;
mod secret;

use crate::jwt::Jws;
use crate::registration::AppRegistration;
use crate::request::Ctx;
use crate::respond::StsError;
use crate::state::Tenant;

pub(crate) use fuzz::fuzz_assertion;

/// `client_assertion_type` for a signed JWT (RFC 7523).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `client_assertion_type` Microsoft uses for a certificate-bound assertion presented over mTLS.
pub(crate) const JWT_POP: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

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
    let credentials = Credentials::read(req.ctx)?;
    if req.mtls_host {
        over_mtls(req, &credentials)
    } else {
        without_mtls(req, &credentials)
    }
}

/// The client credentials in the form: at most one of a secret and an assertion.
struct Credentials<'a> {
    secret: Option<&'a str>,
    assertion: Option<(&'a str, AssertionType)>,
}

impl<'a> Credentials<'a> {
    fn read(ctx: &'a Ctx<'a>) -> Result<Self, StsError> {
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
        Ok(Credentials { secret, assertion })
    }
}

/// On an `mtlsauth.*` host: the TLS client certificate, alone (PoP) or with an assertion.
fn over_mtls(req: &Request<'_>, credentials: &Credentials<'_>) -> Result<AuthMethod, StsError> {
    let Some(leaf) = req.ctx.conn.leaf() else {
        return Err(missing_credential(
            "The mTLS endpoint requires a client certificate in the TLS handshake and none was presented.",
        ));
    };
    if credentials.secret.is_some() {
        return Err(invalid_request(
            "'client_secret' cannot be used on the mTLS endpoint; authenticate with the TLS client certificate.",
        ));
    }
    match credentials.assertion {
        None if req.pop => {
            certificate::tls_certificate(req, leaf)?;
            Ok(AuthMethod::Certificate)
        }
        None => Err(missing_credential(
            "Bearer tokens over mTLS need a client_assertion in addition to the TLS certificate; request token_type=mtls_pop for certificate-only authentication.",
        )),
        Some((a, AssertionType::Pop)) => {
            federated::federated(req, a, Some(leaf))?;
            Ok(AuthMethod::Federated)
        }
        Some((_, AssertionType::Bearer)) if req.pop => Err(invalid_request(
            "mTLS Proof-of-Possession requests must not carry a jwt-bearer client_assertion; the TLS client certificate authenticates the client.",
        )),
        Some((a, AssertionType::Bearer)) => {
            let (method, cert) = jwt_bearer(req, a)?;
            if cert.is_some_and(|cert| cert != leaf) {
                return Err(StsError::invalid_client(
                    500181,
                    "The TLS client certificate does not match the certificate of the client assertion (CertificateValidationFailedTlsCertMismatch).",
                ));
            }
            Ok(method)
        }
    }
}

/// On a `login.*` host: a client secret or a `jwt-bearer` assertion.
fn without_mtls(req: &Request<'_>, credentials: &Credentials<'_>) -> Result<AuthMethod, StsError> {
    match (credentials.secret, credentials.assertion) {
        (Some(s), None) => {
            secret::client_secret(req.app, s)?;
            Ok(AuthMethod::Secret)
        }
        (None, Some((a, AssertionType::Bearer))) => Ok(jwt_bearer(req, a)?.0),
        (None, Some((_, AssertionType::Pop))) => Err(invalid_request(
            "A jwt-pop client_assertion is only accepted on the mTLS endpoint, presented with its bound certificate.",
        )),
        _ => Err(missing_credential("")),
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

/// A `jwt-bearer` assertion: either a certificate-signed JWT or (federated) an emulator token.
/// Returns the certificate that signed it, if any.
fn jwt_bearer(req: &Request<'_>, token: &str) -> Result<(AuthMethod, Option<Vec<u8>>), StsError> {
    let jws = Jws::parse(token).map_err(|r| {
        StsError::invalid_client(50027, format!("JWT token is invalid or malformed: {r}."))
    })?;
    if jws.header_str("kid") == Some(req.ctx.state.signer.kid()) {
        federated::federated(req, token, None)?;
        return Ok((AuthMethod::Federated, None));
    }
    let cert = certificate::certificate_assertion(req, &jws)?;
    Ok((AuthMethod::Certificate, Some(cert)))
}
