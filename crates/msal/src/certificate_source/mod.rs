//! Where the application's certificate comes from: fixed at build (`.certificate(...)`), a
//! provider asked on every acquisition ([`CertificateProvider`]), or files on disk reloaded
//! when they change ([`FileCertificateSource`]). The [`slot`] keeps the last good certificate of
//! a changing source and turns its changes into rotations, warnings and errors.

mod file;
mod slot;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oauth2_core::ClientCertificate;

use crate::error::BoxError;

pub use file::{FileCertificateSource, DEFAULT_CERTIFICATE_CHECK_INTERVAL};
pub(crate) use slot::{CertificateSlot, SourceEnv};

/// By default the library warns when the certificate in use expires within this window.
pub const DEFAULT_CERTIFICATE_EXPIRY_WARNING: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a [`CertificateProvider`] is told about the acquisition that asks.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct CertificateContext<'a> {
    /// The application (client) id.
    pub client_id: &'a str,
}

/// Supplies the application's current certificate (MSAL.NET's `WithCertificate(Func<...>)`).
///
/// It is asked on **every** acquisition, cache hits included, because the certificate it
/// returns decides the cache partition (`x5t#S256`): the first call after a rotation never
/// answers with a token bound to the previous certificate. Keep it cheap: return a certificate
/// you hold (an `Arc`-backed clone) and renew it in the background or at most once per
/// interval, as [`FileCertificateSource`] does.
///
/// When it fails, the application keeps using the last certificate it returned (if that has not
/// expired), logs a warning and reports a
/// [`CertificateEventKind::RefreshFailed`](crate::CertificateEventKind::RefreshFailed) to the
/// observer.
///
/// ```
/// use msal::{BoxError, CertificateContext, CertificateProvider, ClientCertificate};
/// use std::sync::RwLock;
///
/// /// A certificate some other task renews (e.g. from Key Vault).
/// #[derive(Debug)]
/// struct Renewed(RwLock<ClientCertificate>);
///
/// #[msal::async_trait]
/// impl CertificateProvider for Renewed {
///     async fn certificate(&self, _: &CertificateContext<'_>) -> Result<ClientCertificate, BoxError> {
///         Ok(self.0.read().map_err(|_| "lock poisoned")?.clone())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait CertificateProvider: Send + Sync + fmt::Debug {
    /// The certificate to use now.
    async fn certificate(
        &self,
        context: &CertificateContext<'_>,
    ) -> Result<ClientCertificate, BoxError>;
}

type CertificateFuture = Pin<Box<dyn Future<Output = Result<ClientCertificate, BoxError>> + Send>>;

/// Adapts an async closure into a [`CertificateProvider`].
pub(crate) struct FnCertificateProvider<F>(pub(crate) F);

impl<F> fmt::Debug for FnCertificateProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnCertificateProvider")
    }
}

#[async_trait::async_trait]
impl<F> CertificateProvider for FnCertificateProvider<F>
where
    F: Fn() -> CertificateFuture + Send + Sync,
{
    async fn certificate(&self, _: &CertificateContext<'_>) -> Result<ClientCertificate, BoxError> {
        (self.0)().await
    }
}

/// Where a certificate credential's certificate comes from.
#[derive(Clone)]
pub(crate) enum CertificateSource {
    /// Fixed when the application was built.
    Static(ClientCertificate),
    /// Asked on every acquisition.
    Provider(Arc<dyn CertificateProvider>),
}

impl fmt::Debug for CertificateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateSource::Static(certificate) => fmt::Debug::fmt(certificate, f),
            CertificateSource::Provider(provider) => fmt::Debug::fmt(provider, f),
        }
    }
}
