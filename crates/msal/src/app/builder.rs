//! Configuring an application: [`ConfidentialClientApplicationBuilder`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mtls_transport::{HyperTransport, Transport};
use oauth2_core::{Authority, ClientCertificate, Clock, SecretString, SystemClock};
#[cfg(feature = "file-cache")]
use token_cache::FileTokenCache;
use token_cache::{MemoryTokenCache, TokenCache};

use super::ConfidentialClientApplication;
use crate::certificate_source::{CertificateSource, DEFAULT_CERTIFICATE_EXPIRY_WARNING};
use crate::credential::{
    AssertionContext, BoundAssertion, BoundAssertionProvider, ClientAssertionProvider,
    ClientCredential, FnAssertionProvider, FnBoundAssertionProvider,
};
use crate::error::BoxError;
use crate::metrics::AcquisitionObserver;
use crate::region::{AzureRegion, EnvLookup, RegionConfig, DEFAULT_IMDS_BASE};
use crate::state::{AppState, Config, Services, Shared};
use crate::Error;

/// Default base delay of the single retry.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(300);

/// The longest base delay [`ConfidentialClientApplicationBuilder::retry_backoff`] accepts: a
/// longer wait would outlast any caller's patience and the token request's own timeout; the
/// service's `Retry-After` (up to an hour) is honoured separately.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(30);

/// Configures a [`ConfidentialClientApplication`]. Exactly one credential is used: the last
/// credential setter called wins.
pub struct ConfidentialClientApplicationBuilder {
    client_id: String,
    authority: Option<String>,
    issuer: Option<String>,
    pub(super) credential: Option<ClientCredential>,
    pub(super) certificate_expiry_warning: Duration,
    send_x5c: bool,
    transport: Option<Arc<dyn Transport>>,
    cache: Option<Arc<dyn TokenCache>>,
    #[cfg(feature = "file-cache")]
    cache_file: Option<std::path::PathBuf>,
    validate_authority: bool,
    send_certificate_over_mtls: bool,
    clock: Option<Arc<dyn Clock>>,
    retry_backoff: Duration,
    observer: Option<Arc<dyn AcquisitionObserver>>,
    region: Option<AzureRegion>,
    imds_base: Option<String>,
    env: Option<EnvLookup>,
}

impl ConfidentialClientApplicationBuilder {
    pub(super) fn new(client_id: String) -> Self {
        Self {
            client_id,
            authority: None,
            issuer: None,
            credential: None,
            certificate_expiry_warning: DEFAULT_CERTIFICATE_EXPIRY_WARNING,
            send_x5c: false,
            transport: None,
            cache: None,
            #[cfg(feature = "file-cache")]
            cache_file: None,
            validate_authority: true,
            send_certificate_over_mtls: false,
            clock: None,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            observer: None,
            region: None,
            imds_base: None,
            env: None,
        }
    }

    /// The authority, e.g. `https://login.microsoftonline.com/<tenant-id>`. Required.
    pub fn authority(mut self, url: impl Into<String>) -> Self {
        self.authority = Some(url.into());
        self
    }

    /// Use any OAuth 2.0 authorization server named by its issuer URL (RFC 8414) instead of an
    /// Entra ID authority: the token endpoint comes from the server's metadata
    /// (`/.well-known/oauth-authorization-server`, else `/.well-known/openid-configuration`),
    /// fetched once per application, and a request that presents a certificate goes to its
    /// `mtls_endpoint_aliases.token_endpoint` when it publishes one (RFC 8705 §5). The form is
    /// the plain client-credentials grant (optional `scope`, `resource` values from
    /// [`AcquireTokenForClient::with_resource`](crate::AcquireTokenForClient::with_resource)),
    /// without Entra's `client_info` or `token_type`. Use it with
    /// [`tls_client_certificate`](Self::tls_client_certificate) (or a client secret); do not
    /// also call [`authority`](Self::authority). See the `generic-rfc8705` guide.
    ///
    /// ```no_run
    /// # async fn run(certificate: msal::ClientCertificate) -> Result<(), msal::Error> {
    /// let app = msal::ConfidentialClientApplication::builder("my-client")
    ///     .issuer("https://as.example.com")
    ///     .tls_client_certificate(certificate)
    ///     .build()?;
    /// let token = app
    ///     .acquire_token_for_client(["read"])
    ///     .with_resource("https://api.example.com")
    ///     .await?;
    /// assert!(token.binding_certificate().is_some());
    /// # Ok(()) }
    /// ```
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        self.issuer = Some(url.into());
        self
    }

    /// Authenticate with RFC 8705 mutual-TLS client authentication: the certificate is
    /// presented in TLS and `client_id` is sent in the body, nothing else (the server's
    /// `tls_client_auth` or `self_signed_tls_client_auth`). Every token is bound to the
    /// certificate and cached under its `x5t#S256`. For an [`issuer`](Self::issuer) only; with
    /// Entra ID use [`certificate`](Self::certificate) and mTLS proof of possession.
    pub fn tls_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.credential = Some(ClientCredential::TlsClientAuth(CertificateSource::Static(
            certificate,
        )));
        self
    }

    /// Authenticate with a client secret.
    pub fn client_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.credential = Some(ClientCredential::Secret(secret.into()));
        self
    }

    /// Authenticate with a certificate: each request carries a client assertion signed with
    /// its key (PS256 with `x5t#S256` for Entra ID). The certificate is fixed for the
    /// application's life; for one that rotates use
    /// [`certificate_provider`](Self::certificate_provider).
    pub fn certificate(mut self, certificate: ClientCertificate) -> Self {
        self.credential = Some(ClientCredential::Certificate {
            certificate: CertificateSource::Static(certificate),
            send_x5c: false,
            over_mtls: false,
        });
        self
    }

    /// Put the certificate chain (`x5c`) in the assertion header. Needed for subject name +
    /// issuer (SN/I) authentication, where Entra trusts the certificate by its subject and issuer
    /// instead of a registered thumbprint.
    pub fn send_x5c(mut self, send: bool) -> Self {
        self.send_x5c = send;
        self
    }

    /// Authenticate with a client assertion you signed yourself. It is sent as is on every
    /// request, so it must outlive the application; prefer [`Self::client_assertion_provider`].
    pub fn client_assertion(mut self, assertion: impl Into<SecretString>) -> Self {
        self.credential = Some(ClientCredential::Assertion(assertion.into()));
        self
    }

    /// Authenticate with assertions from a provider, called once per network token request.
    pub fn client_assertion_provider(mut self, provider: Arc<dyn ClientAssertionProvider>) -> Self {
        self.credential = Some(ClientCredential::AssertionProvider(provider));
        self
    }

    /// Authenticate with assertions from an async closure, called once per network token request.
    pub fn client_assertion_callback<F, Fut>(self, callback: F) -> Self
    where
        F: Fn(AssertionContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, BoxError>> + Send + 'static,
    {
        let boxed = move |ctx: AssertionContext| -> std::pin::Pin<
            Box<dyn Future<Output = Result<String, BoxError>> + Send>,
        > { Box::pin(callback(ctx)) };
        self.client_assertion_provider(Arc::new(FnAssertionProvider(boxed)))
    }

    /// Send ordinary Bearer requests over mTLS too ("Bearer over mTLS", MSAL.NET's
    /// `SendCertificateOverMtls`): the certificate is presented in TLS to the `mtlsauth` host and
    /// the request still carries a signed assertion, which then always includes `x5c` and has the
    /// mTLS token endpoint as `aud`. Tokens are cached under the certificate's key id. Only valid
    /// with [`Self::certificate`]; `build()` fails with `invalid_credential_material` otherwise.
    pub fn send_certificate_over_mtls(mut self, enabled: bool) -> Self {
        self.send_certificate_over_mtls = enabled;
        self
    }

    /// Authenticate with an assertion bound to a certificate (leg 2 of a federated exchange):
    /// requests go over mTLS presenting `binding_certificate` with `client_assertion_type`
    /// `jwt-pop`. The pair is fixed; prefer [`Self::bound_assertion_provider`] for rotation.
    pub fn client_assertion_with_binding(
        mut self,
        assertion: impl Into<SecretString>,
        binding_certificate: ClientCertificate,
    ) -> Self {
        self.credential = Some(ClientCredential::BoundAssertion(BoundAssertion::new(
            assertion,
            Some(binding_certificate),
        )));
        self
    }

    /// Authenticate with (assertion, binding certificate) pairs from a provider, called once per
    /// network token request. [`crate::FederatedLeg1`] wires leg 1 of a federated exchange in.
    pub fn bound_assertion_provider(mut self, provider: Arc<dyn BoundAssertionProvider>) -> Self {
        self.credential = Some(ClientCredential::BoundAssertionProvider(provider));
        self
    }

    /// Authenticate with (assertion, binding certificate) pairs from an async closure.
    pub fn bound_assertion_callback<F, Fut>(self, callback: F) -> Self
    where
        F: Fn(AssertionContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<BoundAssertion, BoxError>> + Send + 'static,
    {
        let boxed = move |ctx: AssertionContext| -> std::pin::Pin<
            Box<dyn Future<Output = Result<BoundAssertion, BoxError>> + Send>,
        > { Box::pin(callback(ctx)) };
        self.bound_assertion_provider(Arc::new(FnBoundAssertionProvider(boxed)))
    }

    /// Use this clock instead of the system clock (token expiry, `refresh_on`, throttling
    /// windows). For tests and simulations.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Report every acquisition (source, error code, duration) to `observer`, e.g. to export
    /// counters and latencies to your metrics system.
    pub fn acquisition_observer(mut self, observer: Arc<dyn AcquisitionObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Base delay before the single retry of a token request that failed with a 5xx answer or a
    /// connection error (default 300 ms; the actual delay is jittered between 50 % and 150 %).
    /// Values above [`MAX_RETRY_BACKOFF`] are clamped to it.
    pub fn retry_backoff(mut self, base: Duration) -> Self {
        self.retry_backoff = base.min(MAX_RETRY_BACKOFF);
        self
    }

    /// Use this HTTP transport instead of the default rustls + hyper one (custom roots, proxies,
    /// a resolver override in tests).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Use this token cache instead of a private in-memory one (e.g. to share one cache between
    /// applications).
    pub fn token_cache(mut self, cache: Arc<dyn TokenCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Keep tokens in a file shared with other processes (and readable by MSAL Python): MSAL's
    /// unified cache format, rewritten atomically under a cross-process lock, mode 0600.
    /// See [`guides::cache`](crate::guides::cache). Replaces any cache set with
    /// [`Self::token_cache`]. Needs the `file-cache` feature (on by default).
    #[cfg(feature = "file-cache")]
    pub fn token_cache_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.cache_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Check an unknown authority host with Entra's instance discovery (default `true`).
    /// Well-known hosts are never checked over the network.
    pub fn validate_authority(mut self, validate: bool) -> Self {
        self.validate_authority = validate;
        self
    }

    /// Use a regional token endpoint (`{region}.login.microsoft.com` for Bearer,
    /// `{region}.mtlsauth.microsoft.com` for mTLS PoP). Without this call the env variable
    /// `MSAL_FORCE_REGION` is honoured; see [`AzureRegion`].
    pub fn azure_region(mut self, region: AzureRegion) -> Self {
        self.region = Some(region);
        self
    }

    /// Where region auto-detection asks the Azure Instance Metadata Service (default
    /// [`DEFAULT_IMDS_BASE`]). Tests point it at a loopback stub.
    pub fn imds_endpoint(mut self, base_url: impl Into<String>) -> Self {
        self.imds_base = Some(base_url.into());
        self
    }

    /// Where `REGION_NAME`, `MSAL_FORCE_REGION` and `MSAL_DISABLE_REGION` are read from
    /// (default: the process environment). Lets tests and hosts supply them explicitly.
    pub fn region_environment(mut self, lookup: EnvLookup) -> Self {
        self.env = Some(lookup);
        self
    }

    /// Validate the configuration and build the application.
    ///
    /// Errors: no authority, an authority that is not `https://host/tenant`, no credential,
    /// an empty client secret or assertion, a transport that cannot be created. Without the
    /// `webpki-roots` feature the default transport has no root to trust, so give one with your
    /// roots ([`transport`](Self::transport) with a
    /// [`HyperTransport`](crate::transport::HyperTransport) built with
    /// `add_root_certificates_pem`).
    pub fn build(self) -> Result<ConfidentialClientApplication, Error> {
        let authority = authority_of(self.authority.as_deref(), self.issuer.as_deref())?;
        let credential = self
            .credential
            .ok_or(Error::NoCredential)?
            .configured(self.send_x5c, self.send_certificate_over_mtls)?;
        check_credential_fits(&authority, &credential)?;
        let imds_base = self.imds_base.as_deref().unwrap_or(DEFAULT_IMDS_BASE);
        let imds_base = url::Url::parse(imds_base).map_err(|e| Error::InvalidImdsEndpoint {
            reason: format!("{imds_base} is not a URL: {e}"),
        })?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        // a cache file wins over a cache given with `token_cache`
        #[cfg(feature = "file-cache")]
        let cache: Option<Arc<dyn TokenCache>> = match &self.cache_file {
            Some(path) => Some(Arc::new(
                FileTokenCache::builder(path).clock(clock.clone()).open()?,
            )),
            None => self.cache,
        };
        #[cfg(not(feature = "file-cache"))]
        let cache = self.cache;
        let cache_serialized = cache.is_some();
        let cache = cache.unwrap_or_else(|| Arc::new(MemoryTokenCache::new()));
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(HyperTransport::new()?),
        };
        let region = RegionConfig {
            region: self.region,
            imds_base,
            env: self.env.unwrap_or_else(RegionConfig::process_env),
        };
        Ok(ConfidentialClientApplication::from_state(AppState {
            config: Config {
                client_id: self.client_id,
                authority,
                validate_authority: self.validate_authority,
                credential,
                region,
                retry_backoff: self.retry_backoff,
                cache_serialized,
                certificate_expiry_warning: self.certificate_expiry_warning,
            },
            services: Services {
                transport,
                cache,
                clock,
                observer: self.observer,
            },
            shared: Shared::default(),
        }))
    }
}

/// The Entra authority or the issuer: exactly one of them.
fn authority_of(authority: Option<&str>, issuer: Option<&str>) -> Result<Authority, Error> {
    match (authority, issuer) {
        (Some(authority), None) => Ok(Authority::parse(authority)?),
        (None, Some(issuer)) => Ok(Authority::issuer(issuer)?),
        (None, None) => Err(Error::MissingAuthority),
        (Some(_), Some(_)) => Err(Error::Configuration(oauth2_core::Error::InvalidAuthority {
            url_or_reason: "and issuer both configured: call .authority(...) for Entra ID \
                                or .issuer(...) for another authorization server, not both"
                .to_owned(),
            source: None,
        })),
    }
}

/// An issuer takes a TLS client certificate or a secret (the credentials its plain form can
/// carry); the TLS-only credential is for issuers (Entra ID binds with `mtls_pop`).
fn check_credential_fits(
    authority: &Authority,
    credential: &ClientCredential,
) -> Result<(), Error> {
    let issuer = authority.kind() == oauth2_core::AuthorityKind::Issuer;
    let fits = match credential {
        ClientCredential::TlsClientAuth(_) => issuer,
        ClientCredential::Secret(_) => true,
        _ => !issuer,
    };
    if fits {
        return Ok(());
    }
    Err(Error::InvalidCredentialMaterial {
        reason: if issuer {
            format!(
                "an issuer takes .tls_client_certificate(...) or .client_secret(...), not a {}",
                credential.kind()
            )
        } else {
            "tls_client_certificate is for an .issuer(...); with an Entra ID authority use \
             .certificate(...) with mTLS proof of possession"
                .to_owned()
        },
    })
}

impl fmt::Debug for ConfidentialClientApplicationBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfidentialClientApplicationBuilder")
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .field("issuer", &self.issuer)
            .field("credential", &self.credential)
            .field("send_x5c", &self.send_x5c)
            .field("validate_authority", &self.validate_authority)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}
