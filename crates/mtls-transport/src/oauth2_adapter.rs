//! The `oauth2` crate (oauth2-rs 5.x) over a [`Transport`]: its requests go through this
//! crate's pools, roots and limits, presenting a chosen client certificate (RFC 8705).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use oauth2_core::ClientCertificate;

use crate::{Error, HttpRequest, Transport};

/// An [`oauth2::AsyncHttpClient`] that sends oauth2-rs requests through a [`Transport`],
/// presenting `identity` (when set) as the TLS client certificate.
///
/// With oauth2-rs's `AuthType::RequestBody` and no client secret, its client-credentials
/// request carries `client_id` in the body and no `Authorization` header: with a certificate
/// here that is RFC 8705's `tls_client_auth` / `self_signed_tls_client_auth`.
///
/// ```no_run
/// use std::sync::Arc;
///
/// use mtls_transport::{HyperTransport, Oauth2HttpClient};
/// use oauth2::basic::BasicClient;
/// use oauth2::{AuthType, ClientId, TokenResponse, TokenUrl};
///
/// # async fn run(certificate: oauth2_core::ClientCertificate) -> Result<(), Box<dyn std::error::Error>> {
/// let transport = Arc::new(HyperTransport::builder().build()?);
/// let http = Oauth2HttpClient::new(transport).with_identity(certificate);
/// let client = BasicClient::new(ClientId::new("my-client".to_owned()))
///     .set_auth_type(AuthType::RequestBody)
///     .set_token_uri(TokenUrl::new("https://as.example.com/token".to_owned())?);
/// let token = client
///     .exchange_client_credentials()
///     .add_extra_param("resource", "https://api.example.com")
///     .request_async(&http)
///     .await?;
/// println!("{:?}", token.token_type());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Oauth2HttpClient<T: ?Sized> {
    transport: Arc<T>,
    identity: Option<ClientCertificate>,
}

impl<T: Transport + ?Sized> Oauth2HttpClient<T> {
    /// A client that sends through `transport` without a client certificate.
    pub fn new(transport: Arc<T>) -> Self {
        Oauth2HttpClient {
            transport,
            identity: None,
        }
    }

    /// Presents `certificate` in the TLS handshake of every request.
    pub fn with_identity(mut self, certificate: ClientCertificate) -> Self {
        self.identity = Some(certificate);
        self
    }

    async fn send(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Error> {
        let (parts, body) = request.into_parts();
        let url = url::Url::parse(&parts.uri.to_string()).map_err(|e| Error::InvalidRequest {
            reason: "the request URI is not a URL".to_owned(),
            source: Some(e.into()),
        })?;
        let request = HttpRequest {
            method: parts.method,
            url,
            headers: parts.headers,
            body: body.into(),
        };
        let response = self.transport.send(request, self.identity.as_ref()).await?;
        let mut answer = http::Response::new(response.body.to_vec());
        *answer.status_mut() = response.status;
        *answer.headers_mut() = response.headers;
        Ok(answer)
    }
}

impl<'c, T: Transport + ?Sized> oauth2::AsyncHttpClient<'c> for Oauth2HttpClient<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
