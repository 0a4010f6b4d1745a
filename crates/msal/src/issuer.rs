//! Discovering an RFC 8414 issuer's metadata (for `.issuer(...)` applications): the token
//! endpoint and its RFC 8705 mTLS alias. Fetched once per application, without a client
//! certificate; only a parsed, issuer-checked document is kept.

use http::header::{HeaderValue, ACCEPT};
use mtls_transport::{HttpRequest, Transport};
use oauth2_core::{Authority, AuthorizationServerMetadata};
use url::Url;

use crate::Error;

/// Reads the metadata of `authority` (an [`oauth2_core::AuthorityKind::Issuer`]): RFC 8414's
/// `/.well-known/oauth-authorization-server` first, OpenID Connect's
/// `/.well-known/openid-configuration` when the first answers 404.
pub(crate) async fn discover(
    authority: &Authority,
    transport: &dyn Transport,
) -> Result<AuthorizationServerMetadata, Error> {
    let issuer = issuer_url(authority);
    let [rfc8414, oidc] = AuthorizationServerMetadata::well_known_urls(&issuer);
    let mut last_status = 0;
    for url in [rfc8414, oidc] {
        let request = HttpRequest::get(url.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        let response = transport.send(request, None).await?;
        last_status = response.status.as_u16();
        if response.status == http::StatusCode::NOT_FOUND {
            continue;
        }
        if !response.status.is_success() {
            return Err(unreadable(&url, last_status));
        }
        return Ok(AuthorizationServerMetadata::parse(&response.body, &issuer)?);
    }
    Err(unreadable(
        &AuthorizationServerMetadata::well_known_urls(&issuer)[1],
        last_status,
    ))
}

/// The issuer identifier as configured: the canonical URL without its trailing `/`.
fn issuer_url(authority: &Authority) -> Url {
    let mut url = authority.canonical_url();
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url
}

fn unreadable(url: &Url, status: u16) -> Error {
    Error::InvalidResponse {
        endpoint: url.to_string(),
        status,
        reason: "the authorization-server metadata could not be read: check the issuer URL \
                 (RFC 8414 `/.well-known/oauth-authorization-server` or \
                 `/.well-known/openid-configuration` must answer)"
            .to_owned(),
    }
}
