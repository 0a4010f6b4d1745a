//! The `reqwest` feature: a reqwest client builder whose TLS configuration presents the
//! certificate a token is bound to (rustls on ring, through `use_preconfigured_tls`; reqwest is
//! built without a crypto provider of its own, so neither aws-lc nor openssl enters the graph).

use std::sync::Arc;

use crate::transport::HyperTransportBuilder;
use crate::{AuthenticationResult, Error};

impl AuthenticationResult {
    /// A [`reqwest::ClientBuilder`] for calling resources with this token: TLS by rustls (ring)
    /// with the roots of `tls` and, for an `mtls_pop` token, the
    /// [binding certificate](Self::binding_certificate) presented as TLS client certificate;
    /// `https_only(true)`, HTTP/1.1. Put [`authorization_header`](Self::authorization_header)
    /// on each request (marked sensitive), and `x-ms-tokenboundauth: true` for Key Vault.
    ///
    /// The client keeps the certificate, not the token: build it once per certificate and take
    /// a fresh result from the app (a cache hit) for each call's header. Resolver overrides and
    /// timeouts of `tls` are not carried over (set them on the returned builder).
    ///
    /// ```no_run
    /// # async fn call(result: msal::AuthenticationResult) -> Result<(), Box<dyn std::error::Error>> {
    /// use msal::transport::HyperTransport;
    ///
    /// let client = result
    ///     .reqwest_client_builder(&HyperTransport::builder())?
    ///     .build()?;
    /// let mut authorization = http::HeaderValue::try_from(result.authorization_header())?;
    /// authorization.set_sensitive(true);
    /// let response = client
    ///     .get("https://mtlstb.graph.microsoft.com/v1.0/applications")
    ///     .header(http::header::AUTHORIZATION, authorization)
    ///     .send()
    ///     .await?;
    /// println!("{}", response.status());
    /// # Ok(()) }
    /// ```
    ///
    /// Fails when `tls` trusts no root or a root certificate is unusable ([`Error::Transport`]).
    pub fn reqwest_client_builder(
        &self,
        tls: &HyperTransportBuilder,
    ) -> Result<reqwest::ClientBuilder, Error> {
        let identity = self.binding_certificate().map(|b| b.client_identity());
        let config = Arc::unwrap_or_clone(tls.rustls_client_config(identity)?);
        Ok(reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .https_only(true))
    }
}
