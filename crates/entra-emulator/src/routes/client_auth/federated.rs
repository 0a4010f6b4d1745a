//! Federated credentials: an emulator-issued access token used as the client assertion.

use serde_json::{Map, Value};

use super::{invalid_request, Request};
use crate::certs;
use crate::jwt::{bound_thumbprint, str_claim};
use crate::registration::FederatedCredential;
use crate::respond::{now_secs, StsError};

/// Audience a federated-credential assertion must have.
const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// A federated-credential assertion: an emulator-issued access token whose `iss`/`sub` match one
/// of the app's federated credentials and whose audience is the token-exchange audience. With
/// `tls_leaf` (jwt-pop over mTLS) the token must be bound to that certificate; without it the
/// token must not be bound.
pub(super) fn federated(
    req: &Request<'_>,
    token: &str,
    tls_leaf: Option<&[u8]>,
) -> Result<(), StsError> {
    let claims = verify_token(req, token)?;
    let aud = str_claim(&claims, "aud");
    if aud != TOKEN_EXCHANGE_AUDIENCE {
        return Err(StsError::invalid_client(
            700212,
            format!("No matching federated identity record found for presented assertion audience '{aud}'. Federated assertions must have audience '{TOKEN_EXCHANGE_AUDIENCE}'."),
        ));
    }
    find_record(&req.app.federated, &claims)?;
    check_binding(bound_thumbprint(&claims), tls_leaf)
}

/// The claims of `token`, once the emulator's signer has verified it.
fn verify_token(req: &Request<'_>, token: &str) -> Result<Map<String, Value>, StsError> {
    req.ctx.state.signer.verify(token, now_secs()).map_err(|r| {
        if r.contains("expired") {
            StsError::invalid_client(
                700024,
                format!("Client assertion is not within its valid time range: {r}."),
            )
        } else {
            StsError::invalid_client(50027, format!("JWT token is invalid or malformed: {r}."))
        }
    })
}

/// A federated credential of the app must name the token's issuer and subject.
fn find_record(creds: &[FederatedCredential], claims: &Map<String, Value>) -> Result<(), StsError> {
    let iss = str_claim(claims, "iss");
    let sub = str_claim(claims, "sub");
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
    Ok(())
}

/// A bound token (`bound` is its `cnf.x5t#S256`) only over mTLS with that certificate, and an
/// unbound one only without mTLS.
fn check_binding(bound: Option<&str>, tls_leaf: Option<&[u8]>) -> Result<(), StsError> {
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
