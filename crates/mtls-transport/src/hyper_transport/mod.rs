//! The default [`Transport`]: hyper 1 + hyper-util's pooled legacy client + hyper-rustls (ring).
//!
//! * `builder`: [`HyperTransportBuilder`] and the settings it collects;
//! * `pools`: which pooled client serves a request (one per identity, LRU-bounded);
//! * `request`: checks a request and turns it into a hyper request;
//! * `exchange`: sends it and reads the response under the time and size limits;
//! * `error_map`: turns hyper, rustls and io failures into [`Error`]s;
//! * `connect`: the resolver with overrides and the connect timeout;
//! * `tls`: all rustls configuration;
//! * `signing_key`: a certificate whose key is an operation (PKCS#11, HSM) as a rustls key.

mod builder;
mod connect;
mod error_map;
mod exchange;
mod pools;
mod proxy;
mod request;
mod roots;
mod signing_key;
mod tls;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use oauth2_core::ClientCertificate;
use rustls::RootCertStore;

pub use builder::HyperTransportBuilder;
pub use proxy::Proxy;
pub use tls::TlsVersion;

use builder::Settings;
use pools::Pools;
use proxy::ProxyConnector;

use crate::{Error, HttpRequest, HttpResponse, Transport};

/// The default [`Transport`]: hyper + rustls (ring provider) with connection pooling.
///
/// Holds one pooled client for requests without a client identity, and one pooled client per
/// client certificate chain (keyed by
/// [`ClientCertificate::chain_id`](oauth2_core::ClientCertificate::chain_id), the leaf and the
/// intermediates it presents), created on first use. Connections
/// are therefore reused only between requests that present the same certificate (see the
/// [crate docs](crate)). Cloning is cheap and clones share the pools.
#[derive(Clone)]
pub struct HyperTransport {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    pools: Pools,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("settings", &self.inner.settings)
            .field("pooled_identities", &self.pooled_identities())
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A builder with the defaults: Mozilla roots, 10 s connect timeout, 30 s request timeout,
    /// 1 MiB response limit, 90 s pool idle timeout, at most 64 identity pools.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// A transport with the default settings (see [`HyperTransport::builder`]).
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Number of client identities (certificate chains) that currently have their own
    /// connection pool.
    pub fn pooled_identities(&self) -> usize {
        self.inner.pools.identity_count()
    }

    fn from_parts(
        settings: Settings,
        roots: Arc<RootCertStore>,
        http: ProxyConnector,
    ) -> Result<Self, Error> {
        let pools = Pools::new(&settings, roots, http)?;
        Ok(Self {
            inner: Arc::new(Inner { settings, pools }),
        })
    }
}

#[async_trait::async_trait]
impl Transport for HyperTransport {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, Error> {
        let host = request::validate(&request, identity)?;
        let client = self.inner.pools.client_for(identity)?;
        let method = request.method.clone();
        let url = request.url.clone();
        let http_request = request::to_hyper_request(request)?;

        let started = Instant::now();
        tracing::debug!(
            method = %method,
            host = %host,
            path = url.path(),
            mtls = identity.is_some(),
            "sending HTTP request"
        );
        let result = exchange::exchange(client, http_request, &host, &self.inner.settings).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(response) => tracing::debug!(
                method = %method,
                host = %host,
                path = url.path(),
                status = response.status.as_u16(),
                elapsed_ms,
                "HTTP response received"
            ),
            Err(e) => tracing::debug!(
                method = %method,
                host = %host,
                path = url.path(),
                error = e.code(),
                elapsed_ms,
                "HTTP request failed"
            ),
        }
        result
    }

    fn retire_identity(&self, identity: &ClientCertificate) {
        self.inner.pools.retire(identity);
    }
}
