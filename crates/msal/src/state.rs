//! What one application holds, grouped by kind: its configuration (fixed at `build()`), the
//! services it talks to (transport, cache, clock, observer) and the state its requests share
//! (assertion cache, resolved endpoints, telemetry, single-flight gates, throttling windows).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use mtls_transport::Transport;
use oauth2_core::{AssertionCache, Authority, ClientCertificate, Clock};
use token_cache::TokenCache;
use tokio::sync::OnceCell;

use crate::certificate_source::{CertificateSlot, SourceEnv};
use crate::credential::ClientCredential;
use crate::endpoints::Endpoints;
use crate::inflight::InFlight;
use crate::metrics::AcquisitionObserver;
use crate::region::RegionConfig;
use crate::throttle::Throttle;
use crate::Error;

/// Everything an application is made of; shared by its clones and its requests.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) config: Config,
    pub(crate) services: Services,
    pub(crate) shared: Shared,
}

/// Fixed at `build()`.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) authority: Authority,
    pub(crate) validate_authority: bool,
    pub(crate) credential: ClientCredential,
    pub(crate) region: RegionConfig,
    /// Base delay of the single retry.
    pub(crate) retry_backoff: Duration,
    /// Whether tokens are kept outside this process (telemetry reports it).
    pub(crate) cache_serialized: bool,
    /// Warn when the certificate in use expires within this window.
    pub(crate) certificate_expiry_warning: Duration,
}

/// What the application talks to.
#[derive(Debug)]
pub(crate) struct Services {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) cache: Arc<dyn TokenCache>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) observer: Option<Arc<dyn AcquisitionObserver>>,
}

/// Mutable state shared by the application's requests.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) assertions: AssertionCache,
    /// The authority's token endpoint and realm, resolved once.
    pub(crate) endpoints: OnceCell<Endpoints>,
    /// An issuer's RFC 8414 metadata, discovered once.
    pub(crate) metadata: OnceCell<oauth2_core::AuthorizationServerMetadata>,
    /// Whether the configured authority can be used over mTLS (the endpoint transform's guards),
    /// decided once per app: the authority never changes, and a cache hit should not rebuild
    /// the mTLS endpoint just to learn that again.
    pub(crate) mtls_guard: OnceLock<Result<(), mtls_transport::EndpointError>>,
    /// The authority passed validation (instance discovery), for mTLS requests; once per app.
    pub(crate) authority_validated: OnceCell<()>,
    pub(crate) last_requests: Mutex<telemetry::LastRequests>,
    /// Cache hits not yet added to `last_requests`: a hit counts itself without a lock.
    pub(crate) pending_hits: AtomicU64,
    pub(crate) inflight: Arc<InFlight>,
    /// The cache partition keys, built once per (token type, key id).
    pub(crate) partitions: crate::partitions::Partitions,
    /// The scope lists the application was asked for, normalized once.
    pub(crate) scope_sets: crate::interned::ScopeSets,
    /// The configured authority's tenant, as results report it (built once, then shared).
    pub(crate) realm: OnceLock<Arc<str>>,
    /// The binding certificate a bound-assertion provider returned last (cache lookups use it).
    pub(crate) last_binding: Mutex<Option<ClientCertificate>>,
    pub(crate) throttle: Throttle,
    /// The certificate credential's current certificate (rotations, last good, expiry).
    pub(crate) certificate: CertificateSlot,
}

impl AppState {
    /// The certificate credential's certificate for this acquisition (`None`: the credential
    /// has no certificate source): the static one or its source's current one, never an
    /// expired one.
    pub(crate) async fn current_certificate(&self) -> Result<Option<ClientCertificate>, Error> {
        let Some(source) = self.config.credential.certificate_source() else {
            return Ok(None);
        };
        self.shared
            .certificate
            .resolve(source, &self.source_env())
            .await
            .map(Some)
    }

    /// [`Self::current_certificate`] when it is known without asking a provider (no
    /// certificate, or a static one; `now`: the time of the call); `None` when a certificate
    /// or bound-assertion provider has to be asked.
    pub(crate) fn certificate_now(
        &self,
        now: SystemTime,
    ) -> Option<Result<Option<ClientCertificate>, Error>> {
        if self.config.credential.has_bound_assertion_provider() {
            return None;
        }
        let Some(source) = self.config.credential.certificate_source() else {
            return Some(Ok(None));
        };
        let certificate = self
            .shared
            .certificate
            .resolve_now(source, &self.source_env(), now)?;
        Some(certificate.map(Some))
    }

    fn source_env(&self) -> SourceEnv<'_> {
        SourceEnv {
            client_id: &self.config.client_id,
            clock: self.services.clock.as_ref(),
            transport: self.services.transport.as_ref(),
            observer: self.services.observer.as_deref(),
            expiry_warning: self.config.certificate_expiry_warning,
        }
    }

    /// Asks a bound-assertion provider which certificate its next assertion is bound to, so
    /// that this acquisition's plan keys the cache by it (a provider that cannot tell keeps
    /// the one it returned last).
    pub(crate) async fn refresh_last_binding(&self) {
        let ClientCredential::BoundAssertionProvider(provider) = &self.config.credential else {
            return;
        };
        match provider.current_binding_certificate().await {
            Ok(Some(certificate)) => self.shared.set_last_binding(Some(&certificate)),
            Ok(None) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "the bound-assertion provider could not tell its current certificate; the one it returned last is assumed"
            ),
        }
    }
}

impl Shared {
    /// Runs `f` on the telemetry record, with the pending cache hits added first (a poisoned
    /// lock is recovered: telemetry is advisory).
    pub(crate) fn telemetry<R>(&self, f: impl FnOnce(&mut telemetry::LastRequests) -> R) -> R {
        let mut last = self
            .last_requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        last.record_cache_hits(self.pending_hits.swap(0, Ordering::Relaxed));
        f(&mut last)
    }

    /// Counts one cache hit (an atomic increment: no lock on the hit path).
    pub(crate) fn record_cache_hit(&self) {
        self.pending_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// The binding certificate a bound-assertion provider returned last.
    pub(crate) fn last_binding(&self) -> Option<ClientCertificate> {
        self.last_binding
            .lock()
            .map(|last| last.clone())
            .unwrap_or_default()
    }

    /// Remembers the binding certificate a bound-assertion provider returned.
    pub(crate) fn set_last_binding(&self, certificate: Option<&ClientCertificate>) {
        if let Ok(mut last) = self.last_binding.lock() {
            last.clone_from(&certificate.cloned());
        }
    }
}
