//! An OAuth client's token request over mutual TLS, using mtls-transport as its HTTP layer and
//! msal-oauth2-core for the certificate and the answer.

use mtls_transport::url::Url;
use mtls_transport::{HttpRequest, HyperTransport, Transport};
use oauth2_core::{ClientCertificate, TokenResponse};

/// A client-credentials request for `scope` with `token_type=mtls_pop`, sent to `endpoint`
/// presenting `certificate` in the TLS handshake. Returns the HTTP status and, on 200, the
/// parsed answer.
pub async fn mtls_pop_token(
    transport: &HyperTransport,
    endpoint: Url,
    client_id: &str,
    scope: &str,
    certificate: &ClientCertificate,
) -> Result<(u16, Option<TokenResponse>), Box<dyn std::error::Error + Send + Sync>> {
    let form = format!(
        "client_id={}&grant_type=client_credentials&scope={}&token_type=mtls_pop",
        encode(client_id),
        encode(scope)
    );
    let response = transport
        .send(HttpRequest::post_form(endpoint, form), Some(certificate))
        .await?;
    let status = response.status.as_u16();
    let token = if status == 200 {
        Some(TokenResponse::parse(&response.body)?)
    } else {
        None
    };
    Ok((status, token))
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
