//! What a successful token acquisition returns.

use std::fmt;
use std::time::SystemTime;

use http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
use mtls_transport::{HttpRequest, HttpResponse, Transport};
use oauth2_core::{Scopes, SecretString, TokenType, UnixTime};

use crate::{key_vault, BindingCertificate, Error, RegionDetails};

/// Where a token came from.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// Freshly issued by Entra ID for this call.
    IdentityProvider,
    /// Served from the token cache.
    Cache,
}

/// A token and what is known about it. `Debug` never shows the token.
#[derive(Clone)]
pub struct AuthenticationResult {
    pub(crate) access_token: SecretString,
    pub(crate) token_type: TokenType,
    pub(crate) expires_on: UnixTime,
    pub(crate) ext_expires_on: UnixTime,
    pub(crate) refresh_on: Option<UnixTime>,
    pub(crate) scopes: Scopes,
    pub(crate) token_source: TokenSource,
    pub(crate) tenant_id: std::sync::Arc<str>,
    pub(crate) binding_certificate: Option<BindingCertificate>,
    /// What only a network result has (`None` for cache hits: the result stays small, it is
    /// built and moved on every hit).
    pub(crate) request: Option<Box<RequestDetails>>,
}

/// The network request behind a result.
#[derive(Clone, Debug)]
pub(crate) struct RequestDetails {
    pub(crate) correlation_id: String,
    pub(crate) token_endpoint: String,
    pub(crate) region: RegionDetails,
}

/// The region details of a cache hit.
static NO_REGION: RegionDetails = RegionDetails::NONE;

impl AuthenticationResult {
    /// The access token. Treat it as a secret: do not log it.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The token type as the service named it (`Bearer`, `mtls_pop`).
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// When the token expires.
    pub fn expires_on(&self) -> SystemTime {
        self.expires_on.to_system_time()
    }

    /// The extended expiry the service reported (resilience window).
    pub fn ext_expires_on(&self) -> SystemTime {
        self.ext_expires_on.to_system_time()
    }

    /// When the library will refresh the token proactively, if the service asked for it.
    pub fn refresh_on(&self) -> Option<SystemTime> {
        self.refresh_on.map(UnixTime::to_system_time)
    }

    /// The scopes the token is for.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// Whether the token came from the identity provider or the cache.
    pub fn token_source(&self) -> TokenSource {
        self.token_source
    }

    /// The `client-request-id` of the network request that obtained the token (None for cache hits).
    pub fn correlation_id(&self) -> Option<&str> {
        self.request.as_ref().map(|r| r.correlation_id.as_str())
    }

    /// The tenant the token was issued in.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The token endpoint the token was requested from (None for cache hits).
    pub fn token_endpoint(&self) -> Option<&str> {
        self.request.as_ref().map(|r| r.token_endpoint.as_str())
    }

    /// The certificate an `mtls_pop` token is bound to (for cache hits too); `None` for Bearer.
    pub fn binding_certificate(&self) -> Option<&BindingCertificate> {
        self.binding_certificate.as_ref()
    }

    /// The Azure region the request used and how it was chosen (for network results).
    pub fn region_details(&self) -> &RegionDetails {
        self.request.as_ref().map_or(&NO_REGION, |r| &r.region)
    }

    /// Send `request` to a resource with this token: adds `Authorization: <scheme> <token>` and,
    /// for an `mtls_pop` token, presents the binding certificate in the TLS handshake (the
    /// resource accepts the token only on a connection with that certificate).
    ///
    /// Only `https://` URLs are called: anything else fails with
    /// [`Error::InsecureResourceUrl`] before the token leaves the process.
    ///
    /// Azure Key Vault hosts (`*.vault.azure.net` and the other clouds' vault and managed-HSM
    /// domains) get `x-ms-tokenboundauth: true` with an `mtls_pop` token, and a 401 carrying
    /// `[MtlsCnfClaimRequestDataValidationFailed]` is retried once. Key Vault then asks for the
    /// certificate by TLS renegotiation, which rustls does not do: see docs/resources.md.
    ///
    /// Pass the application's transport ([`crate::ConfidentialClientApplication::transport`]) to
    /// reuse its connection pools.
    pub async fn call_resource(
        &self,
        transport: &dyn Transport,
        request: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        if request.url.scheme() != "https" {
            return Err(insecure(&request));
        }
        self.send_with_token(transport, request).await
    }

    /// Like [`call_resource`](Self::call_resource), but also accepts plain `http://` to a
    /// loopback address (`127.0.0.0/8`, `[::1]`, `localhost`), for tests and local
    /// development servers. Any other plain-HTTP URL is still refused.
    pub async fn call_loopback_resource_insecure(
        &self,
        transport: &dyn Transport,
        request: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        if request.url.scheme() != "https" && !is_loopback_http(&request.url) {
            return Err(insecure(&request));
        }
        self.send_with_token(transport, request).await
    }

    /// Puts the token on a resource request to `host`: `Authorization` (marked sensitive) and,
    /// for an `mtls_pop` token to a Key Vault host, `x-ms-tokenboundauth`. Returns whether the
    /// host is Key Vault.
    pub(crate) fn add_resource_headers(
        &self,
        headers: &mut HeaderMap,
        host: Option<&str>,
    ) -> Result<bool, Error> {
        let mut value = HeaderValue::from_str(&self.authorization_header()).map_err(|_| {
            Error::InvalidResponse {
                endpoint: "token".to_owned(),
                status: 200,
                reason: "the access token contains characters not allowed in an HTTP header"
                    .to_owned(),
            }
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        let key_vault =
            self.token_type == TokenType::MtlsPop && host.is_some_and(key_vault::is_key_vault_host);
        if key_vault {
            headers.insert(key_vault::TOKEN_BOUND_AUTH, key_vault::header_value());
        }
        Ok(key_vault)
    }

    async fn send_with_token(
        &self,
        transport: &dyn Transport,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, Error> {
        let key_vault = self.add_resource_headers(&mut request.headers, request.url.host_str())?;
        let identity = self
            .binding_certificate
            .as_ref()
            .map(|b| b.client_identity());
        if !key_vault {
            return Ok(transport.send(request, identity).await?);
        }
        let renegotiation = || Error::TlsRenegotiationRequired {
            host: request.url.host_str().unwrap_or_default().to_owned(),
        };
        let mut response = key_vault::send(transport, &request, identity, renegotiation).await?;
        if key_vault::is_cnf_validation_failure(&response) {
            tracing::info!("Key Vault refused the token binding once; retrying the call");
            response = key_vault::send(transport, &request, identity, renegotiation).await?;
        }
        if key_vault::is_certificate_required(&response) {
            return Err(renegotiation());
        }
        Ok(response)
    }

    /// The `Authorization` header value for calling a resource: `Bearer eyJ...` for Bearer
    /// tokens, `mtls_pop eyJ...` for certificate-bound tokens.
    /// The returned string contains the token: do not log it.
    pub fn authorization_header(&self) -> String {
        format!(
            "{} {}",
            self.token_type.as_str(),
            self.access_token.expose_secret()
        )
    }
}

fn insecure(request: &HttpRequest) -> Error {
    let mut url = request.url.clone();
    url.set_query(None);
    let _ = url.set_password(None);
    let _ = url.set_username("");
    Error::InsecureResourceUrl {
        url: url.to_string(),
    }
}

fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

impl fmt::Debug for AuthenticationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationResult")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_on", &self.expires_on)
            .field("refresh_on", &self.refresh_on)
            .field("scopes", &self.scopes)
            .field("token_source", &self.token_source)
            .field("correlation_id", &self.correlation_id())
            .field("tenant_id", &self.tenant_id)
            .field("token_endpoint", &self.token_endpoint())
            .field("binding_certificate", &self.binding_certificate)
            .field("region", self.region_details())
            .finish()
    }
}
