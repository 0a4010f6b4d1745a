//! The builder's certificate sources: a provider asked on every acquisition, files reloaded
//! when they change ([`crate::FileCertificateSource`]), and the expiry warning window.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oauth2_core::ClientCertificate;

use super::ConfidentialClientApplicationBuilder;
use crate::certificate_source::{CertificateProvider, CertificateSource, FnCertificateProvider};
use crate::credential::ClientCredential;
use crate::error::BoxError;

impl ConfidentialClientApplicationBuilder {
    /// Authenticate with a certificate that can change while the application runs (MSAL.NET's
    /// `WithCertificate(Func<...>)`): `provider` is asked on every acquisition, and its answer
    /// is used exactly like [`certificate`](Self::certificate)'s (signed assertions, mTLS
    /// Proof-of-Possession, Bearer over mTLS).
    ///
    /// A new certificate (another leaf, even with the same key) has another key id
    /// (`x5t#S256`), so no token cached for the previous one is ever returned: the first call
    /// after the rotation requests a new token presenting the new certificate, and the previous
    /// certificate's connection pool is dropped. When the provider fails, the last certificate it
    /// returned stays in use (warning + [`CertificateEventKind::RefreshFailed`] to the observer);
    /// an expired certificate is never used ([`Error::CertificateExpired`]). See the
    /// `certificates` guide.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), msal::Error> {
    /// use std::sync::Arc;
    /// let source = msal::FileCertificateSource::pem("/etc/app/tls.crt", "/etc/app/tls.key")?;
    /// let app = msal::ConfidentialClientApplication::builder("client-id")
    ///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
    ///     .certificate_provider(Arc::new(source))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`CertificateEventKind::RefreshFailed`]: crate::CertificateEventKind::RefreshFailed
    /// [`Error::CertificateExpired`]: crate::Error::CertificateExpired
    pub fn certificate_provider(mut self, provider: Arc<dyn CertificateProvider>) -> Self {
        self.credential = Some(ClientCredential::Certificate {
            certificate: CertificateSource::Provider(provider),
            send_x5c: false,
            over_mtls: false,
        });
        self
    }

    /// [`certificate_provider`](Self::certificate_provider) with an async closure, called on
    /// every acquisition: keep it cheap (return a certificate you hold).
    pub fn certificate_callback<F, Fut>(self, callback: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ClientCertificate, BoxError>> + Send + 'static,
    {
        let boxed =
            move || -> Pin<Box<dyn Future<Output = Result<ClientCertificate, BoxError>> + Send>> {
                Box::pin(callback())
            };
        self.certificate_provider(Arc::new(FnCertificateProvider(boxed)))
    }

    /// [`tls_client_certificate`](Self::tls_client_certificate) (RFC 8705 mutual-TLS client
    /// authentication with an [`issuer`](Self::issuer)) with a certificate that can change, with
    /// the same rotation rules as [`certificate_provider`](Self::certificate_provider).
    pub fn tls_client_certificate_provider(
        mut self,
        provider: Arc<dyn CertificateProvider>,
    ) -> Self {
        self.credential = Some(ClientCredential::TlsClientAuth(
            CertificateSource::Provider(provider),
        ));
        self
    }

    /// Warn (tracing `warn` and [`CertificateEventKind::ExpiresSoon`] to the observer, once per
    /// certificate) when the certificate in use expires within `window` (default
    /// [`DEFAULT_CERTIFICATE_EXPIRY_WARNING`](crate::DEFAULT_CERTIFICATE_EXPIRY_WARNING), 7
    /// days). `Duration::ZERO` turns the warning off.
    ///
    /// [`CertificateEventKind::ExpiresSoon`]: crate::CertificateEventKind::ExpiresSoon
    pub fn certificate_expiry_warning(mut self, window: Duration) -> Self {
        self.certificate_expiry_warning = window;
        self
    }
}
