//! The mTLS endpoint transform: authority + region → the token endpoint that accepts TLS client
//! certificates. Every request that presents a client certificate goes there: mTLS PoP, Bearer
//! over mTLS, and assertions bound to a certificate. Pure and table-driven (no I/O, no
//! discovery); usable by any OAuth client, not only `msal`. Failures are [`EndpointError`]s.
//!
//! # Rules (MSAL.NET's `RegionAndMtlsDiscoveryProvider`, with the stricter choices below)
//!
//! For an Entra ID (AAD) authority `https://{host}[:port]/{tenant}`, in this order:
//! 1. `common` / `organizations` (any case) → [`EndpointError::MissingTenantedAuthority`]
//!    (`missing_tenanted_authority`); `consumers` counts as a tenant.
//! 2. The legacy hosts `login.usgovcloudapi.net` and `login.chinacloudapi.cn` →
//!    [`EndpointError::LegacyHost`], naming the host to use instead; any host not starting with
//!    `login.` (`sts.windows.net`, `login-us.microsoftonline.com`, an authority already on
//!    `mtlsauth.*`, …) → [`EndpointError::NotALoginHost`]. Both have the code
//!    `mtls_pop_not_supported_for_environment`.
//! 3. An invalid region (not `^[A-Za-z0-9]+$`, see [`is_valid_region`]) is ignored, as if none
//!    was given; it never becomes part of a hostname. Logging it is the caller's job.
//! 4. The public-cloud aliases (`login.microsoftonline.com`, `login.windows.net`,
//!    `login.microsoft.com`) → `mtlsauth.microsoft.com`. Any other host is first replaced by its
//!    cloud's preferred-network host when that differs (`login.microsoft-ppe.com` →
//!    `login.windows-ppe.net`), then `login.X` → `mtlsauth.X`.
//! 5. A region `R` prefixes that host: `R.mtlsauth.X`, lower-cased.
//! 6. The endpoint is `https://{mtls-host}[:port]/{tenant}/oauth2/v2.0/token`.
//!
//! A tenanted dSTS authority keeps its own token endpoint and ignores the region (dSTS has no
//! separate mTLS host).
//!
//! # Where this is stricter than MSAL.NET (on purpose; see `docs/mtls-pop.md`)
//!
//! * **B2C, ADFS and CIAM are rejected** with [`EndpointError::UnsupportedAuthorityType`]
//!   (`invalid_authority_type`). MSAL.NET removed that check (PR #5174) and sends the certificate
//!   and `token_type=mtls_pop` to the unmodified endpoint, where the request fails server-side.
//!   Refusing here means no certificate ever leaves the process for an endpoint that cannot bind
//!   a token to it, and the developer gets the real reason.
//! * **Non-tenanted dSTS (`/dstsv2/common/`, `/dstsv2/organizations/`) is rejected** with
//!   [`EndpointError::MissingTenantedAuthority`]; MSAL.NET attempts the request. Binding needs a
//!   tenant on every other cloud, and MSAL's mTLS PoP design expects this rejection; only
//!   MSAL.NET's implementation lacks it.
//! * **A non-default port is kept** (as MSAL Python and Go do); MSAL.NET drops it. This only
//!   matters for test and private deployments, where dropping it would send the certificate to a
//!   different service.
//!
//! Where other MSALs differ from .NET we follow .NET: `sts.windows.net` is rejected (Python maps
//! it to `mtlsauth.microsoft.com`), the legacy US Gov / China hosts are rejected rather than
//! mapped (Go maps them), and `consumers` is allowed (Go rejects it).

mod error;

use oauth2_core::{Authority, AuthorityKind};
use url::Url;

pub use error::EndpointError;

/// Public-cloud aliases whose mTLS host is `mtlsauth.microsoft.com`.
const PUBLIC_ALIASES: &[&str] = &[
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
];

/// The global mTLS host of the public cloud.
const PUBLIC_MTLS_HOST: &str = "mtlsauth.microsoft.com";

/// Public-cloud hosts whose regional Bearer host is `{region}.login.microsoft.com`.
const PUBLIC_REGIONAL_ALIASES: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
];

/// The regional Bearer host suffix of the public cloud.
const PUBLIC_REGIONAL_HOST: &str = "login.microsoft.com";

/// Known clouds whose preferred-network host differs from the alias in the authority.
const PREFERRED_NETWORK: &[(&str, &str)] = &[("login.microsoft-ppe.com", "login.windows-ppe.net")];

/// Legacy hosts without an mTLS endpoint, and the host to use instead.
const LEGACY_HOSTS: &[(&str, &str)] = &[
    ("login.usgovcloudapi.net", "login.microsoftonline.us"),
    ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
];

/// Whether `region` may be used as a region: non-empty and only ASCII letters and digits
/// (`^[A-Za-z0-9]+$`, e.g. `westus3`).
///
/// Anything else (`east us`, `west.us`, `../x`, the empty string, non-ASCII letters) is rejected,
/// so an invalid region is never put into a hostname; [`mtls_token_endpoint`] and
/// [`regional_token_endpoint`] ignore it.
///
/// ```
/// assert!(mtls_transport::is_valid_region("westus3"));
/// assert!(!mtls_transport::is_valid_region("east us"));
/// ```
pub fn is_valid_region(region: &str) -> bool {
    !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The region to put into a hostname: valid and lower-cased, or `None`.
fn usable_region(region: Option<&str>) -> Option<String> {
    region
        .filter(|r| is_valid_region(r))
        .map(str::to_ascii_lowercase)
}

/// The mTLS token endpoint for `authority` and an optional Azure `region`: the URL a token
/// request that presents a TLS client certificate (mTLS PoP, or Bearer over mTLS) must go to.
///
/// Pure and table-driven: no I/O, no instance discovery. An invalid region (see
/// [`is_valid_region`]) is ignored, as if `None` was given; the caller should log it.
///
/// | authority | region | result |
/// |---|---|---|
/// | `https://login.microsoftonline.com/T` (or `login.windows.net`, `login.microsoft.com`) | none / `eastus` | `https://[eastus.]mtlsauth.microsoft.com/T/oauth2/v2.0/token` |
/// | `https://login.X/T` (US Gov, China, sovereign and custom clouds) | none / `eastus` | `https://[eastus.]mtlsauth.X/T/oauth2/v2.0/token` |
/// | `https://login.microsoft-ppe.com/T` | none | `https://mtlsauth.windows-ppe.net/T/oauth2/v2.0/token` |
/// | `https://login.microsoftonline.com:8443/T` | none | `https://mtlsauth.microsoft.com:8443/T/oauth2/v2.0/token` |
/// | dSTS `https://{host}/dstsv2/T/` | ignored | its own token endpoint, unchanged |
///
/// # Errors
///
/// All are configuration errors ([`EndpointError::is_retryable`] is `false`):
///
/// * [`EndpointError::MissingTenantedAuthority`] (`missing_tenanted_authority`): the tenant is
///   `common` or `organizations` (Entra ID or dSTS); use a tenant ID or domain.
/// * [`EndpointError::LegacyHost`] (`mtls_pop_not_supported_for_environment`): the legacy hosts
///   `login.usgovcloudapi.net` / `login.chinacloudapi.cn`; use the replacement host it names.
/// * [`EndpointError::NotALoginHost`] (`mtls_pop_not_supported_for_environment`): an Entra ID
///   host that does not start with `login.`.
/// * [`EndpointError::UnsupportedAuthorityType`] (`invalid_authority_type`): a B2C, ADFS or CIAM
///   authority. This is stricter than MSAL.NET, which sends the certificate anyway; here it never
///   leaves the process. [All stricter-than-.NET choices](crate#mtls-endpoint-transform).
///
/// # Example
///
/// ```
/// use oauth2_core::Authority;
/// use mtls_transport::mtls_token_endpoint;
///
/// let authority = Authority::parse("https://login.microsoftonline.com/contoso.onmicrosoft.com")?;
/// assert_eq!(
///     mtls_token_endpoint(&authority, Some("westus3"))?.as_str(),
///     "https://westus3.mtlsauth.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
///
/// let common = Authority::parse("https://login.microsoftonline.com/common")?;
/// assert_eq!(
///     mtls_token_endpoint(&common, None).unwrap_err().code(),
///     "missing_tenanted_authority"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mtls_token_endpoint(
    authority: &Authority,
    region: Option<&str>,
) -> Result<Url, EndpointError> {
    let host = authority.host();
    match authority.kind() {
        AuthorityKind::Aad => {}
        AuthorityKind::Dsts => {
            // dSTS has no separate mTLS host: the endpoint is kept and the region ignored.
            if !authority.is_tenanted() {
                return Err(missing_tenant(authority, "/dstsv2"));
            }
            return Ok(authority.token_endpoint());
        }
        other => return Err(EndpointError::UnsupportedAuthorityType { kind: other }),
    }
    if !authority.is_tenanted() {
        return Err(missing_tenant(authority, ""));
    }
    if let Some((_, instead)) = LEGACY_HOSTS.iter().find(|(legacy, _)| *legacy == host) {
        return Err(EndpointError::LegacyHost {
            host: host.to_owned(),
            replacement: (*instead).to_owned(),
        });
    }
    let Some(suffix) = host.strip_prefix("login.") else {
        return Err(EndpointError::NotALoginHost {
            host: host.to_owned(),
        });
    };
    let mtls_host = if PUBLIC_ALIASES.contains(&host) {
        PUBLIC_MTLS_HOST.to_owned()
    } else {
        let suffix = PREFERRED_NETWORK
            .iter()
            .find(|(alias, _)| *alias == host)
            .and_then(|(_, preferred)| preferred.strip_prefix("login."))
            .unwrap_or(suffix);
        format!("mtlsauth.{suffix}")
    };
    let full_host = match usable_region(region) {
        Some(region) => format!("{region}.{mtls_host}"),
        None => mtls_host,
    };
    token_url(&full_host.to_ascii_lowercase(), authority)
}

/// The regional (non-mTLS) token endpoint for a Bearer request in `region`.
///
/// * Public-cloud aliases (`login.microsoftonline.com`, `login.microsoft.com`,
///   `login.windows.net`, `sts.windows.net`) → `https://{region}.login.microsoft.com/{tenant}/oauth2/v2.0/token`;
/// * any other Entra ID host → `https://{region}.{host}[:port]/{tenant}/oauth2/v2.0/token`;
/// * `region` `None` or invalid (see [`is_valid_region`]), or a non-AAD authority (dSTS, B2C,
///   ADFS, CIAM) → [`Authority::token_endpoint`] unchanged.
///
/// The region is lower-cased. A non-default port of the authority is kept.
///
/// ```
/// use oauth2_core::Authority;
///
/// let authority = Authority::parse("https://login.microsoftonline.com/contoso.onmicrosoft.com")?;
/// assert_eq!(
///     mtls_transport::regional_token_endpoint(&authority, Some("westus")).as_str(),
///     "https://westus.login.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn regional_token_endpoint(authority: &Authority, region: Option<&str>) -> Url {
    let Some(region) = usable_region(region) else {
        return authority.token_endpoint();
    };
    if authority.kind() != AuthorityKind::Aad {
        return authority.token_endpoint();
    }
    let host = authority.host();
    let regional = if PUBLIC_REGIONAL_ALIASES.contains(&host) {
        format!("{region}.{PUBLIC_REGIONAL_HOST}")
    } else {
        format!("{region}.{host}")
    };
    // A valid region prefixed to a valid host is a valid host; fall back rather than panic.
    token_url(&regional, authority).unwrap_or_else(|_| authority.token_endpoint())
}

/// `https://{host}[:port]/{tenant}/oauth2/v2.0/token`, with the authority's port and tenant.
fn token_url(host: &str, authority: &Authority) -> Result<Url, EndpointError> {
    let origin = match authority.port() {
        Some(port) => format!("https://{host}:{port}/"),
        None => format!("https://{host}/"),
    };
    let mut url = Url::parse(&origin).map_err(|source| EndpointError::InvalidEndpointHost {
        host: host.to_owned(),
        source,
    })?;
    // An https URL always has path segments (only cannot-be-a-base URLs such as `data:` lack
    // them), so this branch is always taken.
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear()
            .extend([authority.tenant(), "oauth2", "v2.0", "token"]);
    }
    Ok(url)
}

fn missing_tenant(authority: &Authority, path_prefix: &str) -> EndpointError {
    EndpointError::MissingTenantedAuthority {
        host: authority.host().to_owned(),
        example: format!(
            "https://{}{path_prefix}/{{tenant-id}}",
            authority.host_and_port()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Option<&str> = Some("centralus");
    const E: Option<&str> = Some("eastus");
    const N: Option<&str> = None;

    const NOT_SUPPORTED: &str = "mtls_pop_not_supported_for_environment";
    const NO_TENANT: &str = "missing_tenanted_authority";
    const BAD_KIND: &str = "invalid_authority_type";

    /// (authority, region, expected token endpoint or error code): every authority MSAL.NET's
    /// code and tests map (the public cloud and its aliases, the sovereign clouds, PPE, a custom
    /// `login.` host, the legacy and non-`login.` hosts, `/common` and `/organizations` on six
    /// clouds, tenanted dSTS), each with an explicit `centralus`, `eastus` and no region; plus
    /// the authorities refused here but not by MSAL.NET (non-tenanted dSTS, B2C, ADFS, CIAM)
    /// and the port / invalid-region rules.
    #[rustfmt::skip]
    const CASES: &[(&str, Option<&str>, Result<&str, &str>)] = &[
        // public cloud and its aliases
        ("https://login.microsoftonline.com/T", C, Ok("https://centralus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", E, Ok("https://eastus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", N, Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.windows.net/T", C, Ok("https://centralus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.windows.net/T", E, Ok("https://eastus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.windows.net/T", N, Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoft.com/T", C, Ok("https://centralus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoft.com/T", E, Ok("https://eastus.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoft.com/T", N, Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        // sovereign clouds
        ("https://login.microsoftonline.us/T", C, Ok("https://centralus.mtlsauth.microsoftonline.us/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.us/T", E, Ok("https://eastus.mtlsauth.microsoftonline.us/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.us/T", N, Ok("https://mtlsauth.microsoftonline.us/T/oauth2/v2.0/token")),
        ("https://login.partner.microsoftonline.cn/T", C, Ok("https://centralus.mtlsauth.partner.microsoftonline.cn/T/oauth2/v2.0/token")),
        ("https://login.partner.microsoftonline.cn/T", E, Ok("https://eastus.mtlsauth.partner.microsoftonline.cn/T/oauth2/v2.0/token")),
        ("https://login.partner.microsoftonline.cn/T", N, Ok("https://mtlsauth.partner.microsoftonline.cn/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.fr/T", C, Ok("https://centralus.mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.fr/T", E, Ok("https://eastus.mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.fr/T", N, Ok("https://mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.de/T", C, Ok("https://centralus.mtlsauth.sovcloud-identity.de/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.de/T", E, Ok("https://eastus.mtlsauth.sovcloud-identity.de/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.de/T", N, Ok("https://mtlsauth.sovcloud-identity.de/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.sg/T", C, Ok("https://centralus.mtlsauth.sovcloud-identity.sg/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.sg/T", E, Ok("https://eastus.mtlsauth.sovcloud-identity.sg/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.sg/T", N, Ok("https://mtlsauth.sovcloud-identity.sg/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.de/T", C, Ok("https://centralus.mtlsauth.microsoftonline.de/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.de/T", E, Ok("https://eastus.mtlsauth.microsoftonline.de/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.de/T", N, Ok("https://mtlsauth.microsoftonline.de/T/oauth2/v2.0/token")),
        // PPE, including the preferred-network replacement
        ("https://login.windows-ppe.net/T", C, Ok("https://centralus.mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        ("https://login.windows-ppe.net/T", E, Ok("https://eastus.mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        ("https://login.windows-ppe.net/T", N, Ok("https://mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        ("https://login.microsoft-ppe.com/T", C, Ok("https://centralus.mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        ("https://login.microsoft-ppe.com/T", E, Ok("https://eastus.mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        ("https://login.microsoft-ppe.com/T", N, Ok("https://mtlsauth.windows-ppe.net/T/oauth2/v2.0/token")),
        // a custom login.* cloud (host lower-cased)
        ("https://login.myLocalAAD.com/T", C, Ok("https://centralus.mtlsauth.mylocalaad.com/T/oauth2/v2.0/token")),
        ("https://login.myLocalAAD.com/T", E, Ok("https://eastus.mtlsauth.mylocalaad.com/T/oauth2/v2.0/token")),
        ("https://login.myLocalAAD.com/T", N, Ok("https://mtlsauth.mylocalaad.com/T/oauth2/v2.0/token")),
        // a non-default port is kept (MSAL.NET drops it)
        ("https://login.microsoftonline.com:8443/T", C, Ok("https://centralus.mtlsauth.microsoft.com:8443/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com:8443/T", E, Ok("https://eastus.mtlsauth.microsoft.com:8443/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com:8443/T", N, Ok("https://mtlsauth.microsoft.com:8443/T/oauth2/v2.0/token")),
        ("https://login.myLocalAAD.com:9443/T", E, Ok("https://eastus.mtlsauth.mylocalaad.com:9443/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com:443/T", N, Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        // consumers counts as a tenant; a domain tenant and a GUID tenant are kept verbatim
        ("https://login.microsoftonline.com/consumers", C, Ok("https://centralus.mtlsauth.microsoft.com/consumers/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/consumers", E, Ok("https://eastus.mtlsauth.microsoft.com/consumers/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/consumers", N, Ok("https://mtlsauth.microsoft.com/consumers/oauth2/v2.0/token")),
        ("https://login.microsoftonline.us/consumers", N, Ok("https://mtlsauth.microsoftonline.us/consumers/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/contoso.onmicrosoft.com/", N, Ok("https://mtlsauth.microsoft.com/contoso.onmicrosoft.com/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", E, Ok("https://eastus.mtlsauth.microsoft.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token")),
        // regions: lower-cased; invalid ones are ignored and never reach the hostname
        ("https://login.microsoftonline.com/T", Some("EastUS2"), Ok("https://eastus2.mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("east us"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("west.us"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("../x"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some(""), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("west-us"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("evil.com/"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.microsoftonline.com/T", Some("wéstus"), Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token")),
        ("https://login.sovcloud-identity.fr/T", Some("west.us"), Ok("https://mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token")),
        // legacy hosts: rejected, the message names the replacement
        ("https://login.usgovcloudapi.net/T", C, Err(NOT_SUPPORTED)),
        ("https://login.usgovcloudapi.net/T", E, Err(NOT_SUPPORTED)),
        ("https://login.usgovcloudapi.net/T", N, Err(NOT_SUPPORTED)),
        ("https://login.chinacloudapi.cn/T", C, Err(NOT_SUPPORTED)),
        ("https://login.chinacloudapi.cn/T", E, Err(NOT_SUPPORTED)),
        ("https://login.chinacloudapi.cn/T", N, Err(NOT_SUPPORTED)),
        // hosts that do not start with `login.`
        ("https://mtlsauth.microsoft.com/T", C, Err(NOT_SUPPORTED)),
        ("https://mtlsauth.microsoft.com/T", E, Err(NOT_SUPPORTED)),
        ("https://mtlsauth.microsoft.com/T", N, Err(NOT_SUPPORTED)),
        ("https://sts.windows.net/T", C, Err(NOT_SUPPORTED)),
        ("https://sts.windows.net/T", E, Err(NOT_SUPPORTED)),
        ("https://sts.windows.net/T", N, Err(NOT_SUPPORTED)),
        ("https://graph.microsoft.com/T", C, Err(NOT_SUPPORTED)),
        ("https://graph.microsoft.com/T", E, Err(NOT_SUPPORTED)),
        ("https://graph.microsoft.com/T", N, Err(NOT_SUPPORTED)),
        ("https://login-us.microsoftonline.com/T", C, Err(NOT_SUPPORTED)),
        ("https://login-us.microsoftonline.com/T", E, Err(NOT_SUPPORTED)),
        ("https://login-us.microsoftonline.com/T", N, Err(NOT_SUPPORTED)),
        // /common and /organizations on all six clouds; the tenant check runs before the host
        // checks (as in MSAL.NET), so a legacy or non-login host with /common is a tenant error
        ("https://login.microsoftonline.com/common", C, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/common", E, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/common", N, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/organizations", C, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/organizations", E, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/organizations", N, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/common", C, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/common", E, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/common", N, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/organizations", C, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/organizations", E, Err(NO_TENANT)),
        ("https://login.microsoftonline.us/organizations", N, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/common", C, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/common", E, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/common", N, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/organizations", C, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/organizations", E, Err(NO_TENANT)),
        ("https://login.partner.microsoftonline.cn/organizations", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/common", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/common", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/common", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/organizations", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/organizations", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.fr/organizations", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/common", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/common", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/common", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/organizations", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/organizations", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.de/organizations", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/common", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/common", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/common", N, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/organizations", C, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/organizations", E, Err(NO_TENANT)),
        ("https://login.sovcloud-identity.sg/organizations", N, Err(NO_TENANT)),
        ("https://login.microsoftonline.com/Common", N, Err(NO_TENANT)),
        ("https://login.microsoftonline.com:8443/organizations", N, Err(NO_TENANT)),
        ("https://login.usgovcloudapi.net/common", N, Err(NO_TENANT)),
        ("https://sts.windows.net/organizations", E, Err(NO_TENANT)),
        // dSTS: tenanted → its own endpoint, region ignored; non-tenanted → rejected (stricter)
        ("https://dsts.core.azure-test.net/dstsv2/T/", C, Ok("https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token")),
        ("https://dsts.core.azure-test.net/dstsv2/T/", E, Ok("https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token")),
        ("https://dsts.core.azure-test.net/dstsv2/T/", N, Ok("https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token")),
        ("https://dsts.core.azure-test.net/dstsv2/common/", C, Err(NO_TENANT)),
        ("https://dsts.core.azure-test.net/dstsv2/common/", E, Err(NO_TENANT)),
        ("https://dsts.core.azure-test.net/dstsv2/common/", N, Err(NO_TENANT)),
        ("https://dsts.core.azure-test.net/dstsv2/organizations/", C, Err(NO_TENANT)),
        ("https://dsts.core.azure-test.net/dstsv2/organizations/", E, Err(NO_TENANT)),
        ("https://dsts.core.azure-test.net/dstsv2/organizations/", N, Err(NO_TENANT)),
        // B2C, ADFS, CIAM: refused before any certificate is presented (stricter)
        ("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", C, Err(BAD_KIND)),
        ("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", E, Err(BAD_KIND)),
        ("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", N, Err(BAD_KIND)),
        ("https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", N, Err(BAD_KIND)),
        ("https://fs.contoso.example/adfs", C, Err(BAD_KIND)),
        ("https://fs.contoso.example/adfs", E, Err(BAD_KIND)),
        ("https://fs.contoso.example/adfs", N, Err(BAD_KIND)),
        ("https://login.contoso.example/adfs", N, Err(BAD_KIND)),
        ("https://contoso.ciamlogin.com/contoso.onmicrosoft.com", C, Err(BAD_KIND)),
        ("https://contoso.ciamlogin.com/contoso.onmicrosoft.com", E, Err(BAD_KIND)),
        ("https://contoso.ciamlogin.com/contoso.onmicrosoft.com", N, Err(BAD_KIND)),
    ];

    /// The exact message of every erroring authority in [`CASES`] (the region never changes it).
    #[rustfmt::skip]
    const MESSAGES: &[(&str, &str)] = &[
        ("https://login.usgovcloudapi.net/T", "login.usgovcloudapi.net is not supported for mTLS PoP, please use login.microsoftonline.us"),
        ("https://login.chinacloudapi.cn/T", "login.chinacloudapi.cn is not supported for mTLS PoP, please use login.partner.microsoftonline.cn"),
        ("https://mtlsauth.microsoft.com/T", "mTLS PoP is only supported for hosts that start with 'login.'; mtlsauth.microsoft.com does not"),
        ("https://sts.windows.net/T", "mTLS PoP is only supported for hosts that start with 'login.'; sts.windows.net does not"),
        ("https://graph.microsoft.com/T", "mTLS PoP is only supported for hosts that start with 'login.'; graph.microsoft.com does not"),
        ("https://login-us.microsoftonline.com/T", "mTLS PoP is only supported for hosts that start with 'login.'; login-us.microsoftonline.com does not"),
        ("https://login.microsoftonline.com/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.com/{tenant-id}"),
        ("https://login.microsoftonline.com/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.com/{tenant-id}"),
        ("https://login.microsoftonline.us/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.us/{tenant-id}"),
        ("https://login.microsoftonline.us/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.us/{tenant-id}"),
        ("https://login.partner.microsoftonline.cn/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.partner.microsoftonline.cn/{tenant-id}"),
        ("https://login.partner.microsoftonline.cn/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.partner.microsoftonline.cn/{tenant-id}"),
        ("https://login.sovcloud-identity.fr/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.fr/{tenant-id}"),
        ("https://login.sovcloud-identity.fr/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.fr/{tenant-id}"),
        ("https://login.sovcloud-identity.de/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.de/{tenant-id}"),
        ("https://login.sovcloud-identity.de/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.de/{tenant-id}"),
        ("https://login.sovcloud-identity.sg/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.sg/{tenant-id}"),
        ("https://login.sovcloud-identity.sg/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.sovcloud-identity.sg/{tenant-id}"),
        ("https://login.microsoftonline.com/Common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.com/{tenant-id}"),
        ("https://login.microsoftonline.com:8443/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.microsoftonline.com:8443/{tenant-id}"),
        ("https://login.usgovcloudapi.net/common", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://login.usgovcloudapi.net/{tenant-id}"),
        ("https://sts.windows.net/organizations", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://sts.windows.net/{tenant-id}"),
        ("https://dsts.core.azure-test.net/dstsv2/common/", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://dsts.core.azure-test.net/dstsv2/{tenant-id}"),
        ("https://dsts.core.azure-test.net/dstsv2/organizations/", "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed. Use https://dsts.core.azure-test.net/dstsv2/{tenant-id}"),
        ("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not B2C"),
        ("https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not B2C"),
        ("https://fs.contoso.example/adfs", "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not ADFS"),
        ("https://login.contoso.example/adfs", "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not ADFS"),
        ("https://contoso.ciamlogin.com/contoso.onmicrosoft.com", "mTLS PoP is only supported for Microsoft Entra ID (AAD) and dSTS authorities, not CIAM"),
    ];

    const SIX_CLOUDS: &[&str] = &[
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "login.sovcloud-identity.fr",
        "login.sovcloud-identity.de",
        "login.sovcloud-identity.sg",
    ];

    #[test]
    fn every_row_of_the_endpoint_table() {
        for (authority, region, expected) in CASES {
            let parsed = Authority::parse(authority).unwrap();
            let got = mtls_token_endpoint(&parsed, *region);
            match (expected, got) {
                (Ok(url), Ok(got)) => assert_eq!(got.as_str(), *url, "{authority} {region:?}"),
                (Err(code), Err(e)) => {
                    assert_eq!(e.code(), *code, "{authority} {region:?}");
                    assert!(!e.is_retryable(), "{authority} {region:?}");
                    let message = MESSAGES
                        .iter()
                        .find(|(a, _)| a == authority)
                        .map(|(_, m)| *m)
                        .unwrap_or_else(|| panic!("no expected message for {authority}"));
                    assert_eq!(e.to_string(), message, "{authority} {region:?}");
                }
                (want, got) => panic!("{authority} {region:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn table_covers_every_cloud_and_region_config() {
        let has = |authority: &str, region: Option<&str>| {
            CASES
                .iter()
                .any(|(a, r, _)| *a == authority && *r == region)
        };
        for cloud in SIX_CLOUDS {
            for region in [C, E, N] {
                assert!(
                    has(&format!("https://{cloud}/T"), region),
                    "{cloud} {region:?}"
                );
                for tenant in ["common", "organizations"] {
                    let authority = format!("https://{cloud}/{tenant}");
                    assert!(has(&authority, region), "{authority} {region:?}");
                }
            }
        }
        // every message entry is used, so none of them is stale
        for (authority, _) in MESSAGES {
            assert!(
                CASES.iter().any(|(a, _, r)| a == authority && r.is_err()),
                "{authority}"
            );
        }
    }

    #[test]
    fn invalid_regions_never_reach_the_hostname() {
        let authority = Authority::parse("https://login.myLocalAAD.com/T").unwrap();
        for bad in [
            "east us",
            "west.us",
            "../x",
            "",
            "a/b",
            "a:1",
            "a@b",
            "x%2e",
            "ｅａｓｔ",
        ] {
            assert!(!is_valid_region(bad), "{bad:?}");
            let url = mtls_token_endpoint(&authority, Some(bad)).unwrap();
            assert_eq!(url.host_str(), Some("mtlsauth.mylocalaad.com"), "{bad:?}");
            assert_eq!(url.path(), "/T/oauth2/v2.0/token", "{bad:?}");
            let url = regional_token_endpoint(&authority, Some(bad));
            assert_eq!(url, authority.token_endpoint(), "{bad:?}");
        }
    }

    #[test]
    fn region_validation() {
        for good in ["westus3", "EastUS", "centralus", "a", "0"] {
            assert!(is_valid_region(good), "{good}");
        }
        for bad in [
            "", " ", "east us", " eastus", "west.us", "../x", "wéstus", "a-b", "a_b",
        ] {
            assert!(!is_valid_region(bad), "{bad:?}");
        }
    }

    #[test]
    fn regional_bearer_endpoints() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("https://login.microsoftonline.com/T", Some("westus"), "https://westus.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/T", C, "https://centralus.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://login.microsoft.com/T", E, "https://eastus.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://login.windows.net/T", E, "https://eastus.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://sts.windows.net/T", E, "https://eastus.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/T", Some("EastUS2"), "https://eastus2.login.microsoft.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.us/T", Some("usgovvirginia"), "https://usgovvirginia.login.microsoftonline.us/T/oauth2/v2.0/token"),
            ("https://login.sovcloud-identity.fr/T", E, "https://eastus.login.sovcloud-identity.fr/T/oauth2/v2.0/token"),
            ("https://login.myLocalAAD.com/T", E, "https://eastus.login.mylocalaad.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com:8443/T", E, "https://eastus.login.microsoft.com:8443/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/common", E, "https://eastus.login.microsoft.com/common/oauth2/v2.0/token"),
            // no region, or an invalid one → the authority's own endpoint
            ("https://login.microsoftonline.com/T", N, "https://login.microsoftonline.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.us/T", N, "https://login.microsoftonline.us/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com:8443/T", N, "https://login.microsoftonline.com:8443/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/T", Some("west us"), "https://login.microsoftonline.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/T", Some("../x"), "https://login.microsoftonline.com/T/oauth2/v2.0/token"),
            ("https://login.microsoftonline.com/T", Some(""), "https://login.microsoftonline.com/T/oauth2/v2.0/token"),
            // non-AAD kinds → unchanged, whatever the region
            ("https://dsts.core.azure-test.net/dstsv2/T/", E, "https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token"),
            ("https://fs.contoso.example/adfs", E, "https://fs.contoso.example/adfs/oauth2/token"),
            ("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin", E, "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/token"),
            ("https://contoso.ciamlogin.com/contoso.onmicrosoft.com", E, "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token"),
        ];
        for (authority, region, expected) in cases {
            let got = regional_token_endpoint(&Authority::parse(authority).unwrap(), *region);
            assert_eq!(got.as_str(), *expected, "{authority} {region:?}");
        }
    }

    #[test]
    fn region_none_is_the_authority_endpoint_for_every_authority() {
        for (authority, _, _) in CASES {
            let parsed = Authority::parse(authority).unwrap();
            assert_eq!(
                regional_token_endpoint(&parsed, None),
                parsed.token_endpoint()
            );
        }
    }
}
