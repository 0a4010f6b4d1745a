//! [`BoundTokenLayer`]: a tower layer for HTTP clients (hyper-util's client, reqwest through
//! tower) that puts the app's token on every request: it acquires (or takes from the cache)
//! the token, sets `Authorization: <scheme> <token>`, adds Key Vault's `x-ms-tokenboundauth`
//! for `mtls_pop` tokens, and refuses anything but `https://`. Bodies stream through untouched
//! (no buffering, no size cap).
//!
//! The inner client must present the certificate the token is bound to: build its TLS
//! configuration with [`crate::transport::HyperTransportBuilder::rustls_client_config`] and the
//! app's certificate.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{BoxError, ConfidentialClientApplication, Error};

/// Adds the app's token to each request of the wrapped client.
///
/// ```
/// use msal::{BoundTokenLayer, BoundTokenService, ConfidentialClientApplication};
/// use tower_layer::Layer as _;
///
/// // `client`: e.g. a hyper_util::client::legacy::Client whose TLS configuration presents the
/// // app's certificate.
/// fn with_tokens<C>(app: ConfidentialClientApplication, client: C) -> BoundTokenService<C> {
///     BoundTokenLayer::new(app, ["https://graph.microsoft.com/.default"])
///         .mtls_proof_of_possession(true)
///         .layer(client)
/// }
/// ```
#[derive(Clone, Debug)]
pub struct BoundTokenLayer {
    app: ConfidentialClientApplication,
    scopes: Arc<[String]>,
    pop: bool,
}

impl BoundTokenLayer {
    /// A layer acquiring tokens for `scopes` with `app` (Bearer unless
    /// [`mtls_proof_of_possession`](Self::mtls_proof_of_possession) is on).
    pub fn new<I, S>(app: ConfidentialClientApplication, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BoundTokenLayer {
            app,
            scopes: scopes.into_iter().map(Into::into).collect(),
            pop: false,
        }
    }

    /// Acquire `mtls_pop` tokens (certificate-bound) instead of Bearer tokens.
    pub fn mtls_proof_of_possession(mut self, on: bool) -> Self {
        self.pop = on;
        self
    }
}

impl<S> Layer<S> for BoundTokenLayer {
    type Service = BoundTokenService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BoundTokenService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`BoundTokenLayer`]. Errors are boxed: an [`Error`] (token acquisition,
/// [`Error::InsecureResourceUrl`]) or the inner client's error.
#[derive(Clone, Debug)]
pub struct BoundTokenService<S> {
    inner: S,
    layer: BoundTokenLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for BoundTokenService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            if request.uri().scheme_str() != Some("https") {
                let uri = request.uri();
                return Err(Error::InsecureResourceUrl {
                    url: format!(
                        "{}://{}",
                        uri.scheme_str().unwrap_or("(none)"),
                        uri.host().unwrap_or_default()
                    ),
                }
                .into());
            }
            let mut acquire = layer
                .app
                .acquire_token_for_client(layer.scopes.iter().cloned());
            if layer.pop {
                acquire = acquire.with_mtls_proof_of_possession();
            }
            let token = acquire.await?;
            let host = request.uri().host().map(str::to_owned);
            token.add_resource_headers(request.headers_mut(), host.as_deref())?;
            inner.call(request).await.map_err(Into::into)
        })
    }
}
