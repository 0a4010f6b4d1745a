//! The facade's error type.

use std::fmt;

use oauth2_core::TokenType;

/// A boxed error returned by user callbacks (assertion providers).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything `msal` can fail with.
///
/// Each variant says what went wrong and what to do. [`Error::code`] gives a stable,
/// machine-readable code; where MSAL has a code for the same condition (`invalid_instance`,
/// `invalid_client_assertion`, ...) it is the same string.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `build()` was called without `.authority(...)`.
    #[error("no authority configured: call .authority(\"https://login.microsoftonline.com/<tenant-id>\") on the builder")]
    MissingAuthority,

    /// No client credential was configured.
    #[error("one client credential is required in a confidential client application: configure a client secret, a certificate, or a client assertion on the builder")]
    NoCredential,

    /// The certificate, scopes or authority given are invalid, or an assertion could not be
    /// signed (see the inner error and its code).
    #[error(transparent)]
    Configuration(#[from] oauth2_core::Error),

    /// The authority cannot be used for this request over mTLS (not tenanted, a cloud without an
    /// mTLS endpoint, an authority kind that cannot bind tokens). Fix the configuration; a retry
    /// never helps. Nothing was sent.
    #[error(transparent)]
    UnsupportedAuthority(#[from] mtls_transport::EndpointError),

    /// The HTTP transport failed (connection, TLS, timeout, size limit).
    #[error(transparent)]
    Transport(#[from] mtls_transport::Error),

    /// The token cache failed.
    #[error(transparent)]
    Cache(#[from] token_cache::Error),

    /// Entra ID answered with an OAuth error.
    #[error(transparent)]
    Service(Box<ServiceError>),

    /// The service answered with something that is not a valid response for this request.
    #[error("unexpected response from {endpoint} (HTTP {status}): {reason}. Check the authority URL; if it is right the service may be degraded, retry later")]
    InvalidResponse {
        /// The endpoint called (without query).
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// What was wrong with the response (never contains token values).
        reason: String,
    },

    /// Instance discovery said the authority host is not a known Entra instance.
    #[error("the authority host {host} is not a known Microsoft Entra instance (invalid_instance). Use a well-known host, or call .validate_authority(false) if you trust this host")]
    InvalidInstance {
        /// The host that was rejected.
        host: String,
    },

    /// The client-assertion provider returned an error (kept as the [`source`]).
    ///
    /// [`source`]: std::error::Error::source
    #[error("the client assertion provider failed: {source}")]
    AssertionProvider {
        /// The provider's own error.
        source: BoxError,
    },

    /// Entra ID asked us to wait (429 / 5xx with `Retry-After`), and the wait is not over: no
    /// request was sent for this token.
    #[error("Entra ID is throttling this application: retry after {}s (Retry-After from the service). Requests for this token fail fast until then{}", remaining.as_secs().max(1), service.as_ref().map(|s| format!("; the service said: {s}")).unwrap_or_default())]
    Throttled {
        /// Time left until a request may be sent again.
        remaining: std::time::Duration,
        /// The service's error, for the response that opened the window.
        service: Option<Box<ServiceError>>,
    },

    /// The IMDS endpoint given to the builder is not a URL.
    #[error("invalid IMDS endpoint: {reason}; pass a base URL like http://169.254.169.254")]
    InvalidImdsEndpoint {
        /// Why it was rejected.
        reason: String,
    },

    /// An option needs another kind of credential than the one configured.
    #[error("{reason}")]
    InvalidCredentialMaterial {
        /// Which option and which credential.
        reason: String,
    },

    /// mTLS Proof-of-Possession was requested but the application has no certificate credential.
    #[error("mTLS Proof-of-Possession requires a certificate for this request: configure the application with .certificate(...), or pass a certificate-bound client assertion (.client_assertion_with_binding / .bound_assertion_provider); a client secret or a plain client assertion cannot bind a token")]
    MtlsCertificateNotProvided,

    /// The service answered a Proof-of-Possession request without a `token_type`.
    #[error("the token response has no token_type; an mtls_pop token was requested. The token was not cached; retry, and report it if it persists")]
    TokenTypeMissing,

    /// The service answered with another token type than the one requested.
    #[error("you asked for token type {expected}, but received {received}. The token was not cached; the app or region may not be enabled for mTLS PoP")]
    TokenTypeMismatch {
        /// The requested type.
        expected: TokenType,
        /// The type received.
        received: String,
    },

    /// The token answered to a request over mTLS names another certificate in its
    /// `cnf.x5t#S256` than the one presented, or an `mtls_pop` token carries no `cnf` at all.
    /// The token was not cached: it would be refused by the resource, or it was not issued for
    /// this request.
    #[error("the token is not bound to the certificate this request presented (x5t#S256 {expected}): its cnf.x5t#S256 is {}. The token was not cached; check that nothing between this process and the token endpoint terminates TLS, and report it to the service if it persists", received.as_deref().unwrap_or("missing"))]
    TokenBindingMismatch {
        /// `x5t#S256` of the certificate presented in TLS.
        expected: String,
        /// The token's `cnf.x5t#S256`, if it has one.
        received: Option<String>,
    },

    /// A token would have been sent over plain HTTP: [`crate::AuthenticationResult::call_resource`]
    /// only calls `https://` resources (plain `http://` only to a loopback address, and only
    /// through [`crate::AuthenticationResult::call_loopback_resource_insecure`], for tests).
    #[error("refusing to send a token to {url}: use an https:// URL (a token sent over plain HTTP can be read and replayed by anyone on the path)")]
    InsecureResourceUrl {
        /// The URL that was refused (without its query).
        url: String,
    },

    /// Azure Key Vault refused an `mtls_pop` token with "Client certificate required": it asks
    /// for the client certificate by TLS renegotiation after reading the request, and rustls
    /// (this library's TLS stack) implements no renegotiation. See docs/resources.md.
    #[error("{host} asked for the client certificate by TLS renegotiation after the request (Azure Key Vault does this for mtls_pop tokens), and rustls does not renegotiate, so the bound token was refused (HTTP 401). Call Key Vault with a Bearer token, or through an HTTP client on a TLS stack that supports client-side renegotiation (docs/resources.md)")]
    TlsRenegotiationRequired {
        /// The resource host.
        host: String,
    },

    /// A configuration variable read by
    /// [`ConfidentialClientApplication::from_env`](crate::ConfidentialClientApplication::from_env)
    /// is missing or invalid. Nothing was sent.
    #[error("environment variable {variable}: {reason}")]
    Environment {
        /// The variable, e.g. `AZURE_CLIENT_ID`.
        variable: String,
        /// What is wrong and what to set (never contains the variable's value when it is a secret).
        reason: String,
    },

    /// The tenant given to a request ([`AcquireTokenForClient::tenant`]) cannot be used: it is
    /// not a tenant GUID or domain, or the application's authority is not a Microsoft Entra ID
    /// authority. Fix the call; a retry never helps. Nothing was sent.
    ///
    /// [`AcquireTokenForClient::tenant`]: crate::AcquireTokenForClient::tenant
    #[error("invalid tenant `{tenant}` for this request: {reason}")]
    InvalidTenant {
        /// The tenant given (cut to 100 characters).
        tenant: String,
        /// What is wrong and what to pass instead.
        reason: String,
    },

    /// The certificate provider failed and there is no earlier certificate to keep using (the
    /// provider's error is the [`source`]).
    ///
    /// [`source`]: std::error::Error::source
    #[error("the certificate provider failed and no earlier certificate is available: {source}. Fix the provider (its error is above); nothing was sent")]
    CertificateProvider {
        /// The provider's own error.
        source: BoxError,
    },

    /// A certificate or key file could not be read.
    #[error("cannot read the certificate file {path}: {source}. Check the path and the process's permission to read it")]
    CertificateFile {
        /// The file.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },

    /// The certificate in use has expired, and its source gave no valid replacement. An
    /// expired certificate is never presented or used to sign. Nothing was sent.
    #[error("the client certificate (x5t#S256 {x5t_s256}) expired on {not_after} and no valid replacement is available: renew it (a file source picks the new files up within its check interval; a provider must return the new certificate)")]
    CertificateExpired {
        /// `x5t#S256` of the expired certificate.
        x5t_s256: String,
        /// When it expired (HTTP date, UTC).
        not_after: String,
    },

    /// The client-assertion provider (or the configured assertion) was empty.
    #[error("client assertion JWT cannot be null or empty: the assertion provider must return a signed JWT")]
    InvalidClientAssertion,
}

impl Error {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &str {
        match self {
            Error::MissingAuthority => "missing_authority",
            Error::NoCredential => "Client_Credentials_Required_In_Confidential_Client_Application",
            Error::Configuration(e) => e.code(),
            Error::UnsupportedAuthority(e) => e.code(),
            Error::Transport(e) => e.code(),
            Error::Cache(e) => e.code(),
            Error::Service(e) => e.error(),
            Error::InvalidResponse { .. } => "invalid_response",
            Error::InvalidInstance { .. } => "invalid_instance",
            Error::AssertionProvider { .. } => "client_assertion_provider_failed",
            Error::InvalidClientAssertion => "invalid_client_assertion",
            Error::InvalidImdsEndpoint { .. } => "invalid_imds_endpoint",
            Error::Throttled { .. } => "throttled",
            Error::InvalidCredentialMaterial { .. } => "invalid_credential_material",
            Error::MtlsCertificateNotProvided => "mtls_certificate_not_provided",
            Error::TokenTypeMissing => "token_type_missing",
            Error::TokenTypeMismatch { .. } => "token_type_mismatch",
            Error::TokenBindingMismatch { .. } => "token_binding_mismatch",
            Error::InsecureResourceUrl { .. } => "insecure_resource_url",
            Error::TlsRenegotiationRequired { .. } => "tls_renegotiation_required",
            Error::Environment { .. } => "invalid_environment",
            Error::InvalidTenant { .. } => "invalid_tenant",
            Error::CertificateProvider { .. } => "certificate_provider_failed",
            Error::CertificateFile { .. } => "certificate_file_unreadable",
            Error::CertificateExpired { .. } => "certificate_expired",
        }
    }

    /// Whether the same call may succeed later without a change of configuration: network
    /// trouble, timeouts, throttling (after the wait), a 5xx or a garbled answer from the
    /// service. Configuration, credential and permanent service errors (`invalid_client`, …)
    /// are not retryable.
    ///
    /// ```
    /// let err = msal::Error::MissingAuthority;
    /// assert!(!err.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_retryable(),
            Error::Cache(e) => e.is_retryable(),
            // an external key signer (PKCS#11 token) may fail transiently
            Error::Configuration(e) => e.is_retryable(),
            Error::Service(e) => e.is_transient(),
            Error::InvalidResponse { status, .. } => *status >= 500 || *status < 300,
            Error::Throttled { .. } | Error::TokenTypeMissing => true,
            Error::MissingAuthority
            | Error::NoCredential
            | Error::UnsupportedAuthority(_)
            | Error::InvalidInstance { .. }
            | Error::AssertionProvider { .. }
            | Error::InvalidImdsEndpoint { .. }
            | Error::InvalidCredentialMaterial { .. }
            | Error::MtlsCertificateNotProvided
            | Error::TokenTypeMismatch { .. }
            | Error::TokenBindingMismatch { .. }
            | Error::InsecureResourceUrl { .. }
            | Error::TlsRenegotiationRequired { .. }
            | Error::Environment { .. }
            | Error::InvalidTenant { .. }
            | Error::CertificateProvider { .. }
            | Error::CertificateFile { .. }
            | Error::CertificateExpired { .. }
            | Error::InvalidClientAssertion => false,
        }
    }

    /// Whether the request ran out of time (connect or whole-request timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_timeout())
    }

    pub(crate) fn environment(variable: &str, reason: impl Into<String>) -> Self {
        Error::Environment {
            variable: variable.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn assertion_provider(source: BoxError) -> Self {
        Error::AssertionProvider { source }
    }

    /// The service error, when Entra ID answered with one.
    pub fn as_service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }
}

/// An OAuth error answered by Entra ID (`error`, `error_description`, `error_codes`, ...).
///
/// The description is the service's own text; it names the AADSTS code and usually the fix.
#[derive(Clone, Debug)]
pub struct ServiceError {
    pub(crate) host: String,
    pub(crate) status: u16,
    pub(crate) body: oauth2_core::ErrorResponse,
    pub(crate) request_correlation_id: String,
}

impl ServiceError {
    /// The host of the token endpoint that answered: `login.microsoftonline.com`, a regional
    /// or mTLS host such as `westus2.mtlsauth.microsoft.com`, or another issuer's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The OAuth error code (`invalid_client`, `invalid_scope`, ...).
    pub fn error(&self) -> &str {
        &self.body.error
    }

    /// The service's description (starts with the AADSTS code on Entra ID).
    pub fn error_description(&self) -> Option<&str> {
        self.body.error_description.as_deref()
    }

    /// The numeric AADSTS codes.
    pub fn error_codes(&self) -> &[i64] {
        &self.body.error_codes
    }

    /// The first AADSTS code, e.g. `7000215` for a wrong client secret.
    pub fn aadsts_code(&self) -> Option<i64> {
        self.body.error_codes.first().copied()
    }

    /// The correlation id: the service's, or else the `client-request-id` we sent.
    pub fn correlation_id(&self) -> &str {
        self.body
            .correlation_id
            .as_deref()
            .unwrap_or(&self.request_correlation_id)
    }

    /// The service's trace id.
    pub fn trace_id(&self) -> Option<&str> {
        self.body.trace_id.as_deref()
    }

    /// The service's timestamp.
    pub fn timestamp(&self) -> Option<&str> {
        self.body.timestamp.as_deref()
    }

    /// Whether the service failed on its side (HTTP 5xx, `server_error`,
    /// `temporarily_unavailable`): the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        self.status >= 500
            || matches!(
                self.body.error.as_str(),
                "server_error" | "temporarily_unavailable"
            )
    }

    /// The sub-error, if any.
    pub fn suberror(&self) -> Option<&str> {
        self.body.suberror.as_deref()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Named by the host that answered, not as "Entra ID": other issuers answer too.
        write!(
            f,
            "{} returned {} (HTTP {})",
            self.host, self.body.error, self.status
        )?;
        // The first line of the description carries the reason (trace ids follow later); on
        // Entra ID it starts with the AADSTS code, which is then not repeated.
        let first = self
            .body
            .error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .unwrap_or_default();
        if let Some(code) = self.aadsts_code() {
            if !first.starts_with(&format!("AADSTS{code}")) {
                write!(f, ", AADSTS{code}")?;
            }
        }
        if !first.is_empty() {
            write!(f, ": {first}")?;
        }
        write!(f, " [correlation id {}]", self.correlation_id())
    }
}

impl std::error::Error for ServiceError {}
