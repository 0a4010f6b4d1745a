//! [`VerifierLayer`]: the tower layer for servers (axum, hyper, tonic). A request reaches the
//! inner service only with a verified token, which it finds as a [`VerifiedToken`] extension;
//! any other request is answered here with the [`crate::Rejection`]'s status and
//! `WWW-Authenticate` challenges.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::claims::VerifiedToken;
use crate::peer::PeerCertificate;
use crate::verifier::Verifier;

/// Wraps services in a [`VerifierService`].
///
/// ```
/// # fn demo(verifier: resource_verifier::Verifier) {
/// use axum::{routing::get, Extension, Router};
/// use resource_verifier::{VerifiedToken, VerifierLayer};
///
/// async fn handler(Extension(token): Extension<VerifiedToken>) -> String {
///     format!("hello {}", token.claim_str("appid").unwrap_or("?"))
/// }
/// let app: Router = Router::new()
///     .route("/data", get(handler))
///     .layer(VerifierLayer::new(verifier));
/// # let _ = app;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct VerifierLayer {
    verifier: Verifier,
}

impl VerifierLayer {
    /// A layer checking every request with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        VerifierLayer { verifier }
    }
}

impl<S> Layer<S> for VerifierLayer {
    type Service = VerifierService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifierService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service of [`VerifierLayer`]. The response body type must have a `Default` (empty)
/// value for rejections, as axum's and http-body-util's bodies do.
#[derive(Clone, Debug)]
pub struct VerifierService<S> {
    inner: S,
    verifier: Verifier,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for VerifierService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone is not ready; the ready one (polled above) serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            request.extensions_mut().remove::<VerifiedToken>();
            let outcome = verifier
                .verify(
                    request.headers().get(AUTHORIZATION).map(|v| v.as_bytes()),
                    request.extensions().get::<PeerCertificate>(),
                )
                .await;
            match outcome {
                Ok(token) => {
                    request.extensions_mut().insert(token);
                    inner.call(request).await
                }
                Err(rejection) => {
                    tracing::info!(reason = rejection.reason().code(), "request refused");
                    Ok(rejection.to_response(verifier.schemes(), verifier.realm()))
                }
            }
        })
    }
}
