//! Authorization-server metadata (RFC 8414), with the mutual-TLS endpoint aliases of RFC 8705
//! §5, for clients of any OAuth 2.0 server (Entra ID publishes OpenID Connect metadata instead,
//! read by the facade's authority resolution).

use serde::Deserialize;
use url::Url;

use crate::Error;

/// Metadata bodies larger than this are refused (real documents are a few KiB).
const MAX_METADATA_BYTES: usize = 256 * 1024;

/// The authorization-server metadata a client-credentials client needs (RFC 8414 §2, RFC 8705
/// §3.3 and §5), read from `/.well-known/oauth-authorization-server` or
/// `/.well-known/openid-configuration`.
///
/// ```
/// use oauth2_core::AuthorizationServerMetadata;
///
/// let issuer = url::Url::parse("https://as.example.com")?;
/// let body = br#"{
///     "issuer": "https://as.example.com",
///     "token_endpoint": "https://as.example.com/token",
///     "token_endpoint_auth_methods_supported": ["tls_client_auth", "self_signed_tls_client_auth"],
///     "tls_client_certificate_bound_access_tokens": true,
///     "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.as.example.com/token"}
/// }"#;
/// let metadata = AuthorizationServerMetadata::parse(body, &issuer)?;
/// // A client that presents a certificate uses the alias (RFC 8705 §5).
/// assert_eq!(metadata.mtls_token_endpoint().as_str(), "https://mtls.as.example.com/token");
/// assert!(metadata.supports_auth_method("tls_client_auth"));
/// assert!(metadata.tls_client_certificate_bound_access_tokens);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// `issuer`: equal to the issuer the document was fetched for (checked by
    /// [`parse`](Self::parse), RFC 8414 §3.3).
    pub issuer: Url,
    /// `token_endpoint`.
    pub token_endpoint: Url,
    /// `mtls_endpoint_aliases.token_endpoint` (RFC 8705 §5): where a client that authenticates
    /// or binds tokens with its TLS certificate sends token requests, when the server has one.
    pub mtls_token_endpoint_alias: Option<Url>,
    /// `token_endpoint_auth_methods_supported` (empty when not published).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.3; `false` when not published).
    pub tls_client_certificate_bound_access_tokens: bool,
}

#[derive(Deserialize)]
struct Wire {
    issuer: String,
    token_endpoint: Option<String>,
    #[serde(default)]
    mtls_endpoint_aliases: Option<Aliases>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    tls_client_certificate_bound_access_tokens: Option<bool>,
}

#[derive(Deserialize)]
struct Aliases {
    token_endpoint: Option<String>,
}

impl AuthorizationServerMetadata {
    /// The metadata URLs of `issuer`, in the order to try them: RFC 8414 §3.1's
    /// `/.well-known/oauth-authorization-server` inserted between the host and the issuer's
    /// path, then OpenID Connect Discovery's `{issuer}/.well-known/openid-configuration`.
    ///
    /// ```
    /// let issuer = url::Url::parse("https://as.example.com/tenant1")?;
    /// let [rfc8414, oidc] = oauth2_core::AuthorizationServerMetadata::well_known_urls(&issuer);
    /// assert_eq!(rfc8414.as_str(), "https://as.example.com/.well-known/oauth-authorization-server/tenant1");
    /// assert_eq!(oidc.as_str(), "https://as.example.com/tenant1/.well-known/openid-configuration");
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn well_known_urls(issuer: &Url) -> [Url; 2] {
        let path = issuer.path().trim_end_matches('/');
        let mut rfc8414 = issuer.clone();
        rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
        rfc8414.set_query(None);
        let mut oidc = issuer.clone();
        oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
        oidc.set_query(None);
        [rfc8414, oidc]
    }

    /// Parses a metadata document fetched for `expected_issuer`.
    ///
    /// Fails with [`Error::InvalidMetadata`] when the body is not a JSON object, is larger than
    /// 256 KiB, has no `token_endpoint`, names another issuer (RFC 8414 §3.3: a mismatch means
    /// the document must not be used), or has an endpoint that is not an `https` URL.
    pub fn parse(body: &[u8], expected_issuer: &Url) -> Result<Self, Error> {
        if body.len() > MAX_METADATA_BYTES {
            return Err(Error::invalid_metadata(
                "the document is larger than 256 KiB",
            ));
        }
        let wire: Wire = serde_json::from_slice(body).map_err(|e| {
            Error::invalid_metadata("not a JSON object with a string `issuer`").with_source(e)
        })?;
        if other_issuer(&wire.issuer, expected_issuer) {
            return Err(Error::invalid_metadata(format!(
                "`issuer` is `{}`, not the configured `{expected_issuer}`",
                wire.issuer
            )));
        }
        let token_endpoint = wire
            .token_endpoint
            .ok_or_else(|| Error::invalid_metadata("no `token_endpoint`"))?;
        let alias = wire.mtls_endpoint_aliases.and_then(|a| a.token_endpoint);
        Ok(AuthorizationServerMetadata {
            issuer: expected_issuer.clone(),
            token_endpoint: https_url("token_endpoint", &token_endpoint)?,
            mtls_token_endpoint_alias: alias
                .map(|a| https_url("mtls_endpoint_aliases.token_endpoint", &a))
                .transpose()?,
            token_endpoint_auth_methods_supported: wire
                .token_endpoint_auth_methods_supported
                .unwrap_or_default(),
            tls_client_certificate_bound_access_tokens: wire
                .tls_client_certificate_bound_access_tokens
                .unwrap_or(false),
        })
    }

    /// The token endpoint for a client that presents a TLS client certificate: the mTLS alias
    /// when the server publishes one, the `token_endpoint` otherwise (RFC 8705 §5).
    pub fn mtls_token_endpoint(&self) -> &Url {
        self.mtls_token_endpoint_alias
            .as_ref()
            .unwrap_or(&self.token_endpoint)
    }

    /// Whether `token_endpoint_auth_methods_supported` lists `method`, or the server does not
    /// publish the list (RFC 8414 leaves it optional; the token endpoint then decides).
    pub fn supports_auth_method(&self, method: &str) -> bool {
        self.token_endpoint_auth_methods_supported.is_empty()
            || self
                .token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == method)
    }
}

/// `true` when `published` is NOT the expected issuer (a trailing `/` is not a difference).
fn other_issuer(published: &str, expected: &Url) -> bool {
    published.trim_end_matches('/') != expected.as_str().trim_end_matches('/')
}

fn https_url(field: &str, value: &str) -> Result<Url, Error> {
    let url = Url::parse(value)
        .map_err(|e| Error::invalid_metadata(format!("`{field}` is not a URL")).with_source(e))?;
    if url.scheme() != "https" {
        return Err(Error::invalid_metadata(format!(
            "`{field}` is not an https URL"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Url {
        Url::parse("https://127.0.0.1:8443").unwrap()
    }

    #[test]
    fn alias_absent_falls_back_to_the_token_endpoint() {
        let body = br#"{"issuer":"https://127.0.0.1:8443/","token_endpoint":"https://127.0.0.1:8443/token"}"#;
        let m = AuthorizationServerMetadata::parse(body, &issuer()).unwrap();
        assert_eq!(
            m.mtls_token_endpoint().as_str(),
            "https://127.0.0.1:8443/token"
        );
        assert!(m.supports_auth_method("tls_client_auth"));
        assert!(!m.tls_client_certificate_bound_access_tokens);
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        let cases: [(&[u8], &str); 5] = [
            (b"[]", "JSON object"),
            (br#"{"issuer":"https://evil.example","token_endpoint":"https://x/t"}"#, "issuer"),
            (br#"{"issuer":"https://127.0.0.1:8443"}"#, "token_endpoint"),
            (br#"{"issuer":"https://127.0.0.1:8443","token_endpoint":"http://x/t"}"#, "https"),
            (
                br#"{"issuer":"https://127.0.0.1:8443","token_endpoint":"https://x/t","mtls_endpoint_aliases":{"token_endpoint":"not a url"}}"#,
                "mtls_endpoint_aliases",
            ),
        ];
        for (body, needle) in cases {
            let e = AuthorizationServerMetadata::parse(body, &issuer()).unwrap_err();
            assert_eq!(e.code(), "invalid_metadata");
            assert!(e.to_string().contains(needle), "{e}");
        }
        let huge = vec![b' '; MAX_METADATA_BYTES + 1];
        assert!(AuthorizationServerMetadata::parse(&huge, &issuer()).is_err());
    }

    #[test]
    fn auth_methods_are_matched_exactly() {
        let body = br#"{"issuer":"https://127.0.0.1:8443","token_endpoint":"https://x/t","token_endpoint_auth_methods_supported":["self_signed_tls_client_auth"]}"#;
        let m = AuthorizationServerMetadata::parse(body, &issuer()).unwrap();
        assert!(m.supports_auth_method("self_signed_tls_client_auth"));
        assert!(!m.supports_auth_method("tls_client_auth"));
    }
}
