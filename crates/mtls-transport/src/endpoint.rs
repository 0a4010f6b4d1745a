//! The mTLS endpoint transform: authority + region → the token endpoint that accepts TLS client
//! certificates (`entra-mtls-pop-wire.md` §2). Pure and table-driven; usable by any OAuth client.
//!
//! For an Entra ID (AAD) authority `https://login.X/{tenant}`:
//! * `common` / `organizations` → [`Error::MissingTenantedAuthority`] (`consumers` is a tenant);
//! * the legacy hosts `login.usgovcloudapi.net` and `login.chinacloudapi.cn`, and any host not
//!   starting with `login.` → [`Error::MtlsNotSupportedForEnvironment`];
//! * the public-cloud aliases (`login.microsoftonline.com`, `login.windows.net`,
//!   `login.microsoft.com`) → `mtlsauth.microsoft.com`; a known cloud first becomes its preferred
//!   network host (`login.microsoft-ppe.com` → `login.windows-ppe.net`); then `login.X` →
//!   `mtlsauth.X`;
//! * a valid region `R` (ASCII alphanumeric) prefixes it: `R.mtlsauth.X`; an invalid region is
//!   ignored (never put into a hostname);
//! * a non-default port is kept (as MSAL Python and Go do; .NET drops it).
//!
//! Stricter than MSAL.NET, on purpose (see `docs/mtls-pop.md`): B2C, ADFS and CIAM authorities
//! are rejected ([`Error::UnsupportedAuthorityType`]) and so is a non-tenanted dSTS authority, so a
//! certificate is never presented to an endpoint that cannot bind a token to it. A tenanted dSTS
//! authority keeps its token endpoint unchanged and ignores the region.

use oauth2_core::{Authority, AuthorityKind};
use url::Url;

use crate::Error;

const PUBLIC_ALIASES: &[&str] = &[
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
];

/// Known clouds whose preferred network host differs from the alias used.
const PREFERRED_NETWORK: &[(&str, &str)] = &[("login.microsoft-ppe.com", "login.windows-ppe.net")];

/// Legacy hosts with no mTLS endpoint, and the host to use instead.
const LEGACY_HOSTS: &[(&str, &str)] = &[
    ("login.usgovcloudapi.net", "login.microsoftonline.us"),
    ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
];

/// `true` when `region` is non-empty ASCII letters and digits (`westus3`), the only form that
/// may become part of a hostname.
pub fn is_valid_region(region: &str) -> bool {
    !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn valid_region(region: Option<&str>) -> Option<String> {
    region
        .filter(|r| is_valid_region(r))
        .map(str::to_ascii_lowercase)
}

/// The mTLS token endpoint for `authority` and an optional `region`.
pub fn mtls_token_endpoint(authority: &Authority, region: Option<&str>) -> Result<Url, Error> {
    let host = authority.host();
    match authority.kind() {
        AuthorityKind::Aad => {}
        AuthorityKind::Dsts => {
            if !authority.is_tenanted() {
                return Err(Error::MissingTenantedAuthority {
                    host: host.to_owned(),
                });
            }
            return Ok(authority.token_endpoint());
        }
        other => {
            return Err(Error::UnsupportedAuthorityType {
                kind: format!("{other:?}"),
            })
        }
    }
    if !authority.is_tenanted() {
        return Err(Error::MissingTenantedAuthority {
            host: host.to_owned(),
        });
    }
    if let Some((_, instead)) = LEGACY_HOSTS.iter().find(|(legacy, _)| *legacy == host) {
        return Err(Error::MtlsNotSupportedForEnvironment {
            host: host.to_owned(),
            message: format!("{host} is not supported for mTLS PoP, please use {instead}"),
        });
    }
    let Some(suffix) = host.strip_prefix("login.") else {
        return Err(Error::MtlsNotSupportedForEnvironment {
            host: host.to_owned(),
            message: format!(
                "mTLS PoP is only supported for hosts that start with 'login.'; {host} does not"
            ),
        });
    };
    let mtls_host = if PUBLIC_ALIASES.contains(&host) {
        "mtlsauth.microsoft.com".to_owned()
    } else {
        let preferred = PREFERRED_NETWORK
            .iter()
            .find(|(alias, _)| *alias == host)
            .and_then(|(_, p)| p.strip_prefix("login."))
            .unwrap_or(suffix);
        format!("mtlsauth.{preferred}")
    };
    let full_host = match valid_region(region) {
        Some(r) => format!("{r}.{mtls_host}"),
        None => mtls_host,
    };
    build(&full_host, authority.port(), authority.tenant())
}

/// The (non-mTLS) token endpoint for a Bearer request in `region`: public-cloud aliases (and
/// `sts.windows.net`) → `{region}.login.microsoft.com`, other hosts → `{region}.{host}`. Without a
/// valid region, or for a non-AAD authority, the authority's own token endpoint.
pub fn regional_token_endpoint(authority: &Authority, region: Option<&str>) -> Url {
    let Some(region) = valid_region(region) else {
        return authority.token_endpoint();
    };
    if authority.kind() != AuthorityKind::Aad {
        return authority.token_endpoint();
    }
    let host = authority.host();
    let regional = if PUBLIC_ALIASES.contains(&host) || host == "sts.windows.net" {
        format!("{region}.login.microsoft.com")
    } else {
        format!("{region}.{host}")
    };
    build(&regional, authority.port(), authority.tenant())
        .unwrap_or_else(|_| authority.token_endpoint())
}

fn build(host: &str, port: Option<u16>, tenant: &str) -> Result<Url, Error> {
    let mut url = Url::parse(&format!("https://{host}/")).map_err(|e| Error::InvalidRequest {
        reason: format!("cannot build an endpoint for host {host}: {e}"),
    })?;
    // Port: a non-default port of the authority is kept.
    if let Some(p) = port {
        let _ = url.set_port(Some(p));
    }
    url.path_segments_mut()
        .map_err(|_| Error::InvalidRequest {
            reason: "endpoint URL cannot have a path".to_owned(),
        })?
        .pop_if_empty()
        .extend([tenant, "oauth2", "v2.0", "token"]);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (authority, region, expected endpoint or error code) — `entra-mtls-pop-wire.md` §2.2.
    const CASES: &[(&str, Option<&str>, Result<&str, &str>)] = &[
        // public cloud
        (
            "https://login.microsoftonline.com/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.com/T",
            Some("centralus"),
            Ok("https://centralus.mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.com/T",
            None,
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.windows.net/T",
            None,
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoft.com/T",
            None,
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoft.com/T",
            Some("westus3"),
            Ok("https://westus3.mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        // sovereign clouds
        (
            "https://login.microsoftonline.us/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.microsoftonline.us/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.us/T",
            None,
            Ok("https://mtlsauth.microsoftonline.us/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.partner.microsoftonline.cn/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.partner.microsoftonline.cn/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.partner.microsoftonline.cn/T",
            None,
            Ok("https://mtlsauth.partner.microsoftonline.cn/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.fr/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.fr/T",
            None,
            Ok("https://mtlsauth.sovcloud-identity.fr/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.de/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.sovcloud-identity.de/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.de/T",
            None,
            Ok("https://mtlsauth.sovcloud-identity.de/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.sg/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.sovcloud-identity.sg/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.sovcloud-identity.sg/T",
            None,
            Ok("https://mtlsauth.sovcloud-identity.sg/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.de/T",
            None,
            Ok("https://mtlsauth.microsoftonline.de/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.windows-ppe.net/T",
            None,
            Ok("https://mtlsauth.windows-ppe.net/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoft-ppe.com/T",
            None,
            Ok("https://mtlsauth.windows-ppe.net/T/oauth2/v2.0/token"),
        ),
        // custom login.* cloud
        (
            "https://login.myLocalAAD.com/T",
            Some("eastus"),
            Ok("https://eastus.mtlsauth.mylocalaad.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.myLocalAAD.com/T",
            None,
            Ok("https://mtlsauth.mylocalaad.com/T/oauth2/v2.0/token"),
        ),
        // a non-default port is kept
        (
            "https://login.microsoftonline.com:8443/T",
            None,
            Ok("https://mtlsauth.microsoft.com:8443/T/oauth2/v2.0/token"),
        ),
        // consumers counts as a tenant
        (
            "https://login.microsoftonline.com/consumers",
            None,
            Ok("https://mtlsauth.microsoft.com/consumers/oauth2/v2.0/token"),
        ),
        // invalid regions never reach the hostname
        (
            "https://login.microsoftonline.com/T",
            Some("east us"),
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.com/T",
            Some("west.us"),
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.com/T",
            Some("../x"),
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        (
            "https://login.microsoftonline.com/T",
            Some(""),
            Ok("https://mtlsauth.microsoft.com/T/oauth2/v2.0/token"),
        ),
        // legacy hosts
        (
            "https://login.usgovcloudapi.net/T",
            None,
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://login.usgovcloudapi.net/T",
            Some("eastus"),
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://login.chinacloudapi.cn/T",
            None,
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://login.chinacloudapi.cn/T",
            Some("eastus"),
            Err("mtls_pop_not_supported_for_environment"),
        ),
        // non-login hosts
        (
            "https://mtlsauth.microsoft.com/T",
            None,
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://sts.windows.net/T",
            None,
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://graph.microsoft.com/T",
            None,
            Err("mtls_pop_not_supported_for_environment"),
        ),
        (
            "https://login-us.microsoftonline.com/T",
            Some("eastus"),
            Err("mtls_pop_not_supported_for_environment"),
        ),
        // dSTS
        (
            "https://dsts.core.azure-test.net/dstsv2/T/",
            None,
            Ok("https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token"),
        ),
        (
            "https://dsts.core.azure-test.net/dstsv2/T/",
            Some("eastus"),
            Ok("https://dsts.core.azure-test.net/dstsv2/T/oauth2/v2.0/token"),
        ),
        (
            "https://dsts.core.azure-test.net/dstsv2/common/",
            None,
            Err("missing_tenanted_authority"),
        ),
        (
            "https://dsts.core.azure-test.net/dstsv2/organizations/",
            None,
            Err("missing_tenanted_authority"),
        ),
        // B2C, ADFS, CIAM: refused before any certificate is presented
        (
            "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_signin",
            None,
            Err("invalid_authority_type"),
        ),
        (
            "https://fs.contoso.example/adfs",
            None,
            Err("invalid_authority_type"),
        ),
        (
            "https://contoso.ciamlogin.com/contoso.onmicrosoft.com",
            None,
            Err("invalid_authority_type"),
        ),
    ];

    const CLOUDS: &[&str] = &[
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
        "login.sovcloud-identity.fr",
        "login.sovcloud-identity.de",
        "login.sovcloud-identity.sg",
    ];

    #[test]
    fn endpoint_table() {
        for (authority, region, expected) in CASES {
            let parsed = Authority::parse(authority).unwrap();
            let got = mtls_token_endpoint(&parsed, *region);
            match (expected, got) {
                (Ok(url), Ok(got)) => assert_eq!(got.as_str(), *url, "{authority} {region:?}"),
                (Err(code), Err(e)) => assert_eq!(e.code(), *code, "{authority} {region:?}"),
                (want, got) => panic!("{authority} {region:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn non_tenanted_authorities_on_every_cloud() {
        for cloud in CLOUDS {
            for tenant in ["common", "organizations", "Common"] {
                for region in [None, Some("eastus")] {
                    let authority = Authority::parse(&format!("https://{cloud}/{tenant}")).unwrap();
                    let err = mtls_token_endpoint(&authority, region).unwrap_err();
                    assert_eq!(err.code(), "missing_tenanted_authority");
                    assert!(err.to_string().starts_with(
                        "mTLS authentication requires a tenanted authority. Using 'common', 'organizations', or similar non-tenanted authorities is not allowed."
                    ), "{err}");
                }
            }
        }
    }

    #[test]
    fn exact_error_messages() {
        let msg = |a: &str| {
            mtls_token_endpoint(&Authority::parse(a).unwrap(), None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg("https://login.usgovcloudapi.net/T"),
            "login.usgovcloudapi.net is not supported for mTLS PoP, please use login.microsoftonline.us"
        );
        assert_eq!(
            msg("https://login.chinacloudapi.cn/T"),
            "login.chinacloudapi.cn is not supported for mTLS PoP, please use login.partner.microsoftonline.cn"
        );
        assert_eq!(
            msg("https://sts.windows.net/T"),
            "mTLS PoP is only supported for hosts that start with 'login.'; sts.windows.net does not"
        );
    }

    #[test]
    fn regional_bearer_endpoints() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "https://login.microsoftonline.com/T",
                Some("westus"),
                "https://westus.login.microsoft.com/T/oauth2/v2.0/token",
            ),
            (
                "https://login.windows.net/T",
                Some("westus"),
                "https://westus.login.microsoft.com/T/oauth2/v2.0/token",
            ),
            (
                "https://sts.windows.net/T",
                Some("westus"),
                "https://westus.login.microsoft.com/T/oauth2/v2.0/token",
            ),
            (
                "https://login.microsoftonline.us/T",
                Some("usgovvirginia"),
                "https://usgovvirginia.login.microsoftonline.us/T/oauth2/v2.0/token",
            ),
            (
                "https://login.contoso.example/T",
                Some("westus2"),
                "https://westus2.login.contoso.example/T/oauth2/v2.0/token",
            ),
            (
                "https://login.microsoftonline.com/T",
                None,
                "https://login.microsoftonline.com/T/oauth2/v2.0/token",
            ),
            (
                "https://login.microsoftonline.com/T",
                Some("west us"),
                "https://login.microsoftonline.com/T/oauth2/v2.0/token",
            ),
            (
                "https://fs.contoso.example/adfs",
                Some("westus"),
                "https://fs.contoso.example/adfs/oauth2/token",
            ),
        ];
        for (authority, region, expected) in cases {
            let got = regional_token_endpoint(&Authority::parse(authority).unwrap(), *region);
            assert_eq!(got.as_str(), *expected, "{authority} {region:?}");
        }
    }

    #[test]
    fn region_validation() {
        assert!(is_valid_region("westus3"));
        assert!(is_valid_region("EastUS"));
        for bad in ["", "east us", "west.us", "../x", "wéstus", "a-b"] {
            assert!(!is_valid_region(bad), "{bad}");
        }
    }
}
