//! [`EndpointError`]: why an authority has no mTLS token endpoint.

use oauth2_core::AuthorityKind;

/// Why [`mtls_token_endpoint`](crate::mtls_token_endpoint) cannot give an mTLS token endpoint
/// for an authority.
///
/// These are configuration errors, found before any network traffic and before a client
/// certificate leaves the process: retrying gives the same answer ([`is_retryable`] is always
/// `false`). Fix the authority instead; each message says how.
///
/// [`is_retryable`]: EndpointError::is_retryable
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// mTLS needs a tenanted authority; `common` and `organizations` are not (`consumers` is).
    /// Code `missing_tenanted_authority`.
    #[error("mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use {example}")]
    MissingTenantedAuthority {
        /// The authority host.
        host: String,
        /// The authority form to use instead, e.g. `https://login.microsoftonline.com/{tenant-id}`.
        example: String,
    },

    /// A legacy host without an mTLS endpoint (`login.usgovcloudapi.net`,
    /// `login.chinacloudapi.cn`); its cloud's current host has one.
    /// Code `mtls_pop_not_supported_for_environment`.
    #[error("{host} is not supported for mTLS PoP, please use {replacement}")]
    LegacyHost {
        /// The authority host.
        host: String,
        /// The host of the same cloud to use instead, e.g. `login.microsoftonline.us`.
        replacement: String,
    },

    /// The host does not start with `login.`, so it has no `mtlsauth.` counterpart
    /// (`sts.windows.net`, `login-us.microsoftonline.com`, an authority already on
    /// `mtlsauth.*`, ...). Code `mtls_pop_not_supported_for_environment`.
    #[error("mTLS PoP is only supported for hosts that start with 'login.'; {host} does not")]
    NotALoginHost {
        /// The authority host.
        host: String,
    },

    /// mTLS PoP is only defined for Entra ID (AAD) and dSTS authorities; B2C, ADFS and CIAM are
    /// refused before any certificate is presented. Code `invalid_authority_type`.
    #[error(
        "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not {}",
        kind_name(*kind)
    )]
    UnsupportedAuthorityType {
        /// The authority's kind: [`AuthorityKind::B2C`], [`AuthorityKind::Adfs`] or
        /// [`AuthorityKind::Ciam`].
        kind: AuthorityKind,
    },

    /// The mTLS host derived from the authority is not a valid host name.
    /// Code `invalid_authority`.
    #[error(
        "cannot build a token endpoint on host {host}: {source}; check the authority's host name"
    )]
    InvalidEndpointHost {
        /// The derived host, e.g. `eastus.mtlsauth.microsoft.com`.
        host: String,
        /// Why the URL parser rejected it.
        source: url::ParseError,
    },
}

impl EndpointError {
    /// A stable, machine-readable code for this error: `missing_tenanted_authority`,
    /// `mtls_pop_not_supported_for_environment` (both host variants), `invalid_authority_type`
    /// or `invalid_authority`. The first three are the codes MSAL uses for the same conditions.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingTenantedAuthority { .. } => "missing_tenanted_authority",
            Self::LegacyHost { .. } | Self::NotALoginHost { .. } => {
                "mtls_pop_not_supported_for_environment"
            }
            Self::UnsupportedAuthorityType { .. } => "invalid_authority_type",
            Self::InvalidEndpointHost { .. } => "invalid_authority",
        }
    }

    /// Always `false`: the authority (configuration) is wrong, and sending again cannot help.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The authority kind as Entra documentation names it.
fn kind_name(kind: AuthorityKind) -> String {
    match kind {
        AuthorityKind::Aad => "AAD".to_owned(),
        AuthorityKind::Adfs => "ADFS".to_owned(),
        AuthorityKind::B2C => "B2C".to_owned(),
        AuthorityKind::Ciam => "CIAM".to_owned(),
        AuthorityKind::Dsts => "dSTS".to_owned(),
        other => format!("{other:?}"),
    }
}
