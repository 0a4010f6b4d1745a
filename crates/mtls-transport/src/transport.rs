//! The pluggable transport trait.

use std::sync::Arc;

use oauth2_core::ClientCertificate;

use crate::{Error, HttpRequest, HttpResponse};

/// Sends one HTTP request and returns the fully read response.
///
/// Implementations must present `identity` as the TLS client certificate when it is `Some`
/// (mutual TLS, RFC 8705), and must not reuse a connection that was opened with a different
/// client certificate (or with none). A transport that cannot present client certificates
/// returns [`Error::ClientIdentityNotSupported`] for `Some` identities rather than silently
/// sending the request without one.
///
/// Non-2xx statuses are not errors: they are returned as an [`HttpResponse`]. Failures use the
/// [`Error`] variant that says what went wrong, with the lower-level error (boxed as a
/// [`BoxError`](crate::BoxError)) as its source: callers decide on retries with
/// [`Error::is_retryable`], which relies on that choice (e.g. [`Error::Connect`] for a refused
/// connection, [`Error::Tls`] for a certificate that fails verification).
#[async_trait::async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request`. `identity`: the TLS client certificate to present (mTLS), or `None` for
    /// ordinary TLS.
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, Error>;

    /// `identity` will not be presented again (its certificate was rotated out): drop what is
    /// kept for it, e.g. its connection pool. Requests already under way finish; a later request
    /// that presents it anyway starts afresh. The default does nothing (a transport that keeps
    /// no per-identity state).
    fn retire_identity(&self, identity: &ClientCertificate) {
        let _ = identity;
    }
}

#[async_trait::async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, Error> {
        (**self).send(request, identity).await
    }

    fn retire_identity(&self, identity: &ClientCertificate) {
        (**self).retire_identity(identity);
    }
}
