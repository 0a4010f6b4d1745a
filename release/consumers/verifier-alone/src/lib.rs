//! A resource server's check of Entra `mtls_pop` tokens, using msal-resource-verifier alone.

use resource_verifier::{JwksSource, PeerCertificate, Rejection, Verifier};

/// A verifier for tokens issued by `issuer` for `audience`, with keys from `jwks`.
pub fn verifier(
    issuer: &str,
    audience: &str,
    jwks: impl JwksSource + 'static,
) -> Result<Verifier, resource_verifier::BuildError> {
    Verifier::builder()
        .issuer(issuer)
        .audience(audience)
        .jwks(jwks)
        .build()
}

/// The `appid` of the caller of a request with `authorization` on a TLS connection whose
/// client certificate is `peer_der` (DER; `None`: no certificate).
pub async fn caller_app(
    verifier: &Verifier,
    authorization: &str,
    peer_der: Option<&[u8]>,
) -> Result<String, Rejection> {
    let peer = peer_der.map(PeerCertificate::from_der);
    let token = verifier
        .verify(Some(authorization.as_bytes()), peer.as_ref())
        .await?;
    Ok(token.claim_str("appid").unwrap_or_default().to_owned())
}
