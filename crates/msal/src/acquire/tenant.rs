//! The per-request tenant override (MSAL's `WithTenantId`): the application's authority with
//! another tenant, for this call only. The endpoint path (including the `mtlsauth` and regional
//! hosts), the cache partition, the throttling window and the result's `tenant_id` all use it.
//!
//! Guards, before the cache and before anything is sent:
//! * only a Microsoft Entra ID authority (`AuthorityKind::Aad`) can change tenant; ADFS, B2C,
//!   CIAM and dSTS authorities name their tenant in their own way, as in MSAL;
//! * the tenant is a GUID or a domain (`contoso.onmicrosoft.com`), or one of the aliases
//!   `common`, `organizations`, `consumers`; the mTLS guards then refuse `common` and
//!   `organizations` for Proof-of-Possession and every request over mTLS, as they do for the
//!   configured authority.

use oauth2_core::{Authority, AuthorityKind};

use crate::Error;

/// Aliases accepted besides GUIDs and domains.
const ALIASES: &[&str] = &["common", "organizations", "consumers"];

/// The longest domain name (RFC 1035).
const MAX_DOMAIN: usize = 253;

/// `authority` with `tenant`, after the guards above.
pub(crate) fn override_tenant(authority: &Authority, tenant: &str) -> Result<Authority, Error> {
    let invalid = |reason: &str| Error::InvalidTenant {
        tenant: tenant.chars().take(100).collect(),
        reason: reason.to_owned(),
    };
    if authority.kind() != AuthorityKind::Aad {
        return Err(invalid(
            "a per-request tenant needs a Microsoft Entra ID authority (https://login.microsoftonline.com/{tenant}); configure the tenant in the application's authority instead",
        ));
    }
    let valid = is_guid(tenant)
        || is_domain(tenant)
        || ALIASES.iter().any(|a| a.eq_ignore_ascii_case(tenant));
    if !valid {
        return Err(invalid(
            "pass a tenant GUID (aaaabbbb-0000-1111-2222-333344445555) or a domain (contoso.onmicrosoft.com)",
        ));
    }
    Ok(authority.with_tenant(&tenant.to_ascii_lowercase()))
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// At least two labels of letters, digits and inner hyphens, at most 63 bytes each.
fn is_domain(s: &str) -> bool {
    s.len() <= MAX_DOMAIN
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aad() -> Authority {
        Authority::parse("https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555")
            .unwrap()
    }

    #[test]
    fn guids_domains_and_aliases_replace_the_tenant() {
        for (given, expected) in [
            (
                "CCCCDDDD-0000-1111-2222-333344445555",
                "ccccdddd-0000-1111-2222-333344445555",
            ),
            ("fabrikam.onmicrosoft.com", "fabrikam.onmicrosoft.com"),
            ("Organizations", "organizations"),
        ] {
            let a = override_tenant(&aad(), given).unwrap();
            assert_eq!(a.tenant(), expected);
            assert_eq!(a.host(), "login.microsoftonline.com");
        }
    }

    #[test]
    fn anything_else_is_an_invalid_tenant() {
        let long = format!("{}.com", "a".repeat(260));
        for bad in [
            "",
            "x/y",
            "contoso",
            "a..b",
            "-a.b",
            "aaaabbbb-0000-1111-2222-33334444555g",
            "tenant?x=1",
            long.as_str(),
        ] {
            let err = override_tenant(&aad(), bad).unwrap_err();
            assert_eq!(err.code(), "invalid_tenant", "{bad}");
            assert!(!err.is_retryable());
            assert!(err.to_string().len() < 400);
        }
    }

    #[test]
    fn non_entra_authorities_refuse_a_tenant() {
        for url in [
            "https://adfs.contoso.com/adfs",
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
            "https://contoso.ciamlogin.com/",
        ] {
            let authority = Authority::parse(url).unwrap();
            let err = override_tenant(&authority, "fabrikam.onmicrosoft.com").unwrap_err();
            assert_eq!(err.code(), "invalid_tenant", "{url}");
            assert!(err.to_string().contains("Microsoft Entra ID authority"));
        }
    }
}
