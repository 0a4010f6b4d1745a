//! Authority parsing table and derived endpoints.

use oauth2_core::{Authority, AuthorityKind, WELL_KNOWN_HOSTS};

struct Case {
    input: &'static str,
    kind: AuthorityKind,
    host: &'static str,
    port: Option<u16>,
    tenant: &'static str,
    canonical: &'static str,
    token: &'static str,
    oidc: &'static str,
}

const GUID: &str = "aaaabbbb-0000-1111-2222-333344445555";

fn cases() -> Vec<Case> {
    use AuthorityKind::*;
    vec![
        Case {
            input: "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555",
            kind: Aad,
            host: "login.microsoftonline.com",
            port: None,
            tenant: GUID,
            canonical: "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555/",
            token: "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555/oauth2/v2.0/token",
            oidc: "https://login.microsoftonline.com/aaaabbbb-0000-1111-2222-333344445555/v2.0/.well-known/openid-configuration",
        },
        // host lower-cased; extra path, query and fragment ignored; default port dropped
        Case {
            input: "https://LOGIN.MicrosoftOnline.US:443/contoso.onmicrosoft.com/oauth2/v2.0/authorize?x=1#frag",
            kind: Aad,
            host: "login.microsoftonline.us",
            port: None,
            tenant: "contoso.onmicrosoft.com",
            canonical: "https://login.microsoftonline.us/contoso.onmicrosoft.com/",
            token: "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token",
            oidc: "https://login.microsoftonline.us/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        },
        // non-default port kept (local emulator)
        Case {
            input: "https://127.0.0.1:8443/common/",
            kind: Aad,
            host: "127.0.0.1",
            port: Some(8443),
            tenant: "common",
            canonical: "https://127.0.0.1:8443/common/",
            token: "https://127.0.0.1:8443/common/oauth2/v2.0/token",
            oidc: "https://127.0.0.1:8443/common/v2.0/.well-known/openid-configuration",
        },
        Case {
            input: "https://localhost:1234/organizations",
            kind: Aad,
            host: "localhost",
            port: Some(1234),
            tenant: "organizations",
            canonical: "https://localhost:1234/organizations/",
            token: "https://localhost:1234/organizations/oauth2/v2.0/token",
            oidc: "https://localhost:1234/organizations/v2.0/.well-known/openid-configuration",
        },
        // ADFS (any case)
        Case {
            input: "https://fs.contoso.com/ADFS/",
            kind: Adfs,
            host: "fs.contoso.com",
            port: None,
            tenant: "adfs",
            canonical: "https://fs.contoso.com/adfs/",
            token: "https://fs.contoso.com/adfs/oauth2/token",
            oidc: "https://fs.contoso.com/adfs/.well-known/openid-configuration",
        },
        // B2C by host, policy kept
        Case {
            input: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignIn/oauth2/v2.0/authorize",
            kind: B2C,
            host: "contoso.b2clogin.com",
            port: None,
            tenant: "contoso.onmicrosoft.com",
            canonical: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignIn/",
            token: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignIn/oauth2/v2.0/token",
            oidc: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignIn/v2.0/.well-known/openid-configuration",
        },
        // B2C by host, no policy
        Case {
            input: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn",
            kind: B2C,
            host: "contoso.b2clogin.cn",
            port: None,
            tenant: "contoso.partner.onmschina.cn",
            canonical: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/",
            token: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/oauth2/v2.0/token",
            oidc: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/v2.0/.well-known/openid-configuration",
        },
        // B2C by /tfp/
        Case {
            input: "https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_susi",
            kind: B2C,
            host: "login.microsoftonline.com",
            port: None,
            tenant: "contoso.onmicrosoft.com",
            canonical: "https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_susi/",
            token: "https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_susi/oauth2/v2.0/token",
            oidc: "https://login.microsoftonline.com/tfp/contoso.onmicrosoft.com/B2C_1_susi/v2.0/.well-known/openid-configuration",
        },
        // B2C by b2c_ policy on a custom domain
        Case {
            input: "https://id.contoso.com/contoso.onmicrosoft.com/b2c_1_signup",
            kind: B2C,
            host: "id.contoso.com",
            port: None,
            tenant: "contoso.onmicrosoft.com",
            canonical: "https://id.contoso.com/contoso.onmicrosoft.com/b2c_1_signup/",
            token: "https://id.contoso.com/contoso.onmicrosoft.com/b2c_1_signup/oauth2/v2.0/token",
            oidc: "https://id.contoso.com/contoso.onmicrosoft.com/b2c_1_signup/v2.0/.well-known/openid-configuration",
        },
        // CIAM, path-less
        Case {
            input: "https://contoso.ciamlogin.com",
            kind: Ciam,
            host: "contoso.ciamlogin.com",
            port: None,
            tenant: "contoso.onmicrosoft.com",
            canonical: "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/",
            token: "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            oidc: "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        },
        // CIAM with tenant; `adfs`-looking tenant is not ADFS on a CIAM host
        Case {
            input: "https://contoso.ciamlogin.com/aaaabbbb-0000-1111-2222-333344445555/",
            kind: Ciam,
            host: "contoso.ciamlogin.com",
            port: None,
            tenant: GUID,
            canonical: "https://contoso.ciamlogin.com/aaaabbbb-0000-1111-2222-333344445555/",
            token: "https://contoso.ciamlogin.com/aaaabbbb-0000-1111-2222-333344445555/oauth2/v2.0/token",
            oidc: "https://contoso.ciamlogin.com/aaaabbbb-0000-1111-2222-333344445555/v2.0/.well-known/openid-configuration",
        },
        Case {
            input: "https://contoso.ciamlogin.com/adfs",
            kind: Ciam,
            host: "contoso.ciamlogin.com",
            port: None,
            tenant: "adfs",
            canonical: "https://contoso.ciamlogin.com/adfs/",
            token: "https://contoso.ciamlogin.com/adfs/oauth2/v2.0/token",
            oidc: "https://contoso.ciamlogin.com/adfs/v2.0/.well-known/openid-configuration",
        },
        // dSTS
        Case {
            input: "https://co2agg04-passive-dsts.dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f",
            kind: Dsts,
            host: "co2agg04-passive-dsts.dsts.core.windows.net",
            port: None,
            tenant: "7a433bfc-2514-4697-b467-e0933190487f",
            canonical: "https://co2agg04-passive-dsts.dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/",
            token: "https://co2agg04-passive-dsts.dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/oauth2/v2.0/token",
            oidc: "https://co2agg04-passive-dsts.dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/v2.0/.well-known/openid-configuration",
        },
    ]
}

#[test]
fn parsing_table() {
    for c in cases() {
        let a = Authority::parse(c.input).unwrap_or_else(|e| panic!("{}: {e}", c.input));
        assert_eq!(a.kind(), c.kind, "{}", c.input);
        assert_eq!(a.host(), c.host, "{}", c.input);
        assert_eq!(a.port(), c.port, "{}", c.input);
        assert_eq!(a.tenant(), c.tenant, "{}", c.input);
        assert_eq!(a.canonical_url().as_str(), c.canonical, "{}", c.input);
        assert_eq!(a.token_endpoint().as_str(), c.token, "{}", c.input);
        assert_eq!(a.openid_configuration_url().as_str(), c.oidc, "{}", c.input);
        assert_eq!(a.to_string(), c.canonical);
        // canonical URLs parse back to the same authority
        assert_eq!(Authority::parse(c.canonical).unwrap(), a, "{}", c.canonical);
    }
}

#[test]
fn host_and_port() {
    let a = Authority::parse("https://127.0.0.1:8443/t").unwrap();
    assert_eq!(a.host_and_port(), "127.0.0.1:8443");
    let b = Authority::parse("https://login.microsoftonline.com/t").unwrap();
    assert_eq!(b.host_and_port(), "login.microsoftonline.com");
}

#[test]
fn authorize_endpoints() {
    let a = Authority::parse("https://login.microsoftonline.com/common").unwrap();
    assert_eq!(
        a.authorize_endpoint().as_str(),
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    );
    let adfs = Authority::parse("https://fs.contoso.com:4443/adfs").unwrap();
    assert_eq!(
        adfs.authorize_endpoint().as_str(),
        "https://fs.contoso.com:4443/adfs/oauth2/authorize"
    );
    assert_eq!(
        adfs.token_endpoint().as_str(),
        "https://fs.contoso.com:4443/adfs/oauth2/token"
    );
}

#[test]
fn every_well_known_host_with_common() {
    assert_eq!(WELL_KNOWN_HOSTS.len(), 13);
    for host in WELL_KNOWN_HOSTS {
        let a = Authority::parse(&format!("https://{host}/common")).unwrap();
        assert!(a.is_well_known_host(), "{host}");
        assert_eq!(a.kind(), AuthorityKind::Aad);
        assert_eq!(
            a.token_endpoint().as_str(),
            format!("https://{host}/common/oauth2/v2.0/token")
        );
        assert_eq!(
            a.authorize_endpoint().as_str(),
            format!("https://{host}/common/oauth2/v2.0/authorize")
        );
    }
    for host in [
        "login.contoso.com",
        "westus2.login.microsoft.com",
        "127.0.0.1",
    ] {
        let a = Authority::parse(&format!("https://{host}/t")).unwrap();
        assert!(!a.is_well_known_host(), "{host}");
    }
}

#[test]
fn tenanted_or_not() {
    for (tenant, tenanted) in [
        ("common", false),
        ("Common", false),
        ("organizations", false),
        ("ORGANIZATIONS", false),
        ("consumers", true),
        (GUID, true),
        ("contoso.onmicrosoft.com", true),
    ] {
        let a = Authority::parse(&format!("https://login.microsoftonline.com/{tenant}")).unwrap();
        assert_eq!(a.is_tenanted(), tenanted, "{tenant}");
    }
}

#[test]
fn rejected_authorities() {
    for bad in [
        "http://login.microsoftonline.com/common",
        "ftp://login.microsoftonline.com/common",
        "https://login.microsoftonline.com",
        "https://login.microsoftonline.com/",
        "https://login.microsoftonline.com//",
        "https://host.example/dstsv2/",
        "https://login.microsoftonline.com/tfp/",
        "login.microsoftonline.com/common",
        "not a url",
        "",
        "https://user:pass@login.microsoftonline.com/common",
    ] {
        let err = Authority::parse(bad).expect_err(bad);
        assert_eq!(err.code(), "invalid_authority", "{bad}");
        assert!(!err.to_string().contains("pass@"), "{err}");
    }
    let msg = Authority::parse("http://x/y").unwrap_err().to_string();
    assert!(msg.contains("https"), "{msg}");
}

#[test]
fn with_tenant_replaces_the_realm() {
    let a =
        Authority::parse("https://login.microsoftonline.com:444/contoso.onmicrosoft.com").unwrap();
    let b = a.with_tenant(GUID);
    assert_eq!(b.tenant(), GUID);
    assert_eq!(b.host_and_port(), "login.microsoftonline.com:444");
    assert_eq!(
        b.token_endpoint().as_str(),
        format!("https://login.microsoftonline.com:444/{GUID}/oauth2/v2.0/token")
    );
    assert_eq!(a.with_tenant(""), a);

    let b2c = Authority::parse("https://c.b2clogin.com/c.onmicrosoft.com/B2C_1_x").unwrap();
    assert_eq!(
        b2c.with_tenant(GUID).canonical_url().as_str(),
        format!("https://c.b2clogin.com/{GUID}/B2C_1_x/")
    );
    let dsts = Authority::parse("https://d.example/dstsv2/t1").unwrap();
    assert_eq!(
        dsts.with_tenant("t2").canonical_url().as_str(),
        "https://d.example/dstsv2/t2/"
    );

    let adfs = Authority::parse("https://fs.contoso.com/adfs").unwrap();
    assert_eq!(adfs.with_tenant(GUID), adfs);

    // a tenant cannot inject path, query or fragment
    let odd = a.with_tenant("x/y?z#w");
    assert_eq!(
        odd.token_endpoint().as_str(),
        "https://login.microsoftonline.com:444/x%2Fy%3Fz%23w/oauth2/v2.0/token"
    );
}
