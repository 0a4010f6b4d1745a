//! Authority URLs: parsing, classification and endpoint derivation.

use std::fmt;

use url::Url;

use crate::Error;

/// Entra hosts known without instance discovery (MSAL Python 1.39's list).
///
/// Users ask [`Authority::is_well_known_host`]; the list itself is public only for this crate's
/// tests.
#[doc(hidden)]
pub const WELL_KNOWN_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login-us.microsoftonline.com",
    "login.microsoftonline.us",
    "login.usgovcloudapi.net",
    "login.microsoftonline.de",
    "login.sovcloud-identity.fr",
    "login.sovcloud-identity.de",
    "login.sovcloud-identity.sg",
];

const B2C_HOST_SUFFIXES: &[&str] = &[
    ".b2clogin.com",
    ".b2clogin.cn",
    ".b2clogin.us",
    ".b2clogin.de",
];
const CIAM_HOST_SUFFIX: &str = ".ciamlogin.com";

/// The kind of identity provider an authority URL points at.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthorityKind {
    /// Microsoft Entra ID (Azure AD), including sovereign clouds and unknown hosts.
    Aad,
    /// Active Directory Federation Services (`https://{host}/adfs`).
    Adfs,
    /// Azure AD B2C (`*.b2clogin.*`, `/tfp/…`, or a `b2c_…` policy segment).
    B2C,
    /// Entra External ID for customers (`*.ciamlogin.com`).
    Ciam,
    /// Distributed STS (`/dstsv2/{tenant}`).
    Dsts,
    /// Any OAuth 2.0 authorization server, named by its RFC 8414 issuer URL
    /// ([`Authority::issuer`]): its endpoints come from its metadata
    /// ([`AuthorizationServerMetadata`](crate::AuthorizationServerMetadata)), not from Entra's
    /// URL conventions.
    Issuer,
}

/// A parsed, normalized authority: `https://{host}[:port]/{tenant}` plus its kind.
///
/// `Display` prints the canonical URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// `https://host[:port]/`, used as the base of every derived URL.
    base: Url,
    host: String,
    port: Option<u16>,
    kind: AuthorityKind,
    tenant: String,
    /// B2C only: the user-flow policy (`B2C_1_signin`), when given.
    policy: Option<String>,
    /// B2C only: the legacy `/tfp/` prefix was used.
    tfp: bool,
}

impl Authority {
    /// Parses an authority URL.
    ///
    /// Rules: `https` only; a host is required; the host is lower-cased; a non-default port is
    /// kept; the first path segment is the tenant (required, except for path-less CIAM hosts,
    /// whose tenant becomes `{subdomain}.onmicrosoft.com`); the query, fragment and any further
    /// path are ignored, except for B2C (which keeps its policy segment) and dSTS (whose tenant
    /// is the segment after `dstsv2`).
    ///
    /// Classification: host `*.ciamlogin.com` → CIAM; path `/dstsv2/{tenant}` → dSTS; host
    /// `*.b2clogin.{com,cn,us,de}`, path `/tfp/…`, or a second segment starting with `b2c_`
    /// → B2C; tenant `adfs` (any case) → ADFS; anything else → AAD.
    ///
    /// A URL with user info (a name or password before the host, `https://name:secret@host/…`)
    /// is rejected. Error messages never show user info: they quote the input with everything up
    /// to its last `@` replaced by `…`, cut to 200 characters.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let parsed = parse_https_url(url)?;
        let (host, port, base) = host_port_base(&parsed, url)?;
        let segments: Vec<&str> = parsed
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let tenancy = Tenancy::classify(&host, &segments).ok_or_else(|| {
            Error::invalid_authority(format!(
                "`{}`: the tenant is missing (expected `https://{{host}}/{{tenant}}`)",
                shown(url)
            ))
        })?;
        Ok(Authority {
            base,
            host,
            port,
            kind: tenancy.kind,
            tenant: tenancy.tenant,
            policy: tenancy.policy,
            tfp: tenancy.tfp,
        })
    }

    /// An authority for any OAuth 2.0 authorization server, named by its issuer identifier
    /// (RFC 8414 §2: an `https` URL without query or fragment, e.g. `https://as.example.com` or
    /// `https://idp.example.com/realms/acme`). Its kind is [`AuthorityKind::Issuer`]; its
    /// [`tenant`](Self::tenant) is the issuer's path without the outer `/` (empty for a bare
    /// host), and its [`canonical_url`](Self::canonical_url) is the issuer with a trailing `/`.
    ///
    /// ```
    /// use oauth2_core::{Authority, AuthorityKind};
    ///
    /// let issuer = Authority::issuer("https://127.0.0.1:8443")?;
    /// assert_eq!(issuer.kind(), AuthorityKind::Issuer);
    /// assert_eq!((issuer.host_and_port().as_str(), issuer.tenant()), ("127.0.0.1:8443", ""));
    /// assert_eq!(issuer.canonical_url().as_str(), "https://127.0.0.1:8443/");
    /// # Ok::<(), oauth2_core::Error>(())
    /// ```
    pub fn issuer(url: &str) -> Result<Self, Error> {
        let parsed = parse_https_url(url)?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::invalid_authority(format!(
                "`{}`: an issuer has no query or fragment (RFC 8414 §2)",
                shown(url)
            )));
        }
        let (host, port, base) = host_port_base(&parsed, url)?;
        Ok(Authority {
            base,
            host,
            port,
            kind: AuthorityKind::Issuer,
            tenant: parsed.path().trim_matches('/').to_owned(),
            policy: None,
            tfp: false,
        })
    }

    /// The host, lower-cased (the cache `environment`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when it is not the default 443.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `host` or `host:port`.
    pub fn host_and_port(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The tenant: a GUID, a domain, `common`, `organizations`, `consumers`, or `adfs`.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// What kind of identity provider this is.
    pub fn kind(&self) -> AuthorityKind {
        self.kind
    }

    /// `false` for the multi-tenant aliases `common` and `organizations` (any case), which app-only
    /// tokens should not use; `true` otherwise (including `consumers`).
    pub fn is_tenanted(&self) -> bool {
        !(self.tenant.eq_ignore_ascii_case("common")
            || self.tenant.eq_ignore_ascii_case("organizations"))
    }

    /// Whether the host is a public or sovereign-cloud Entra login host that MSAL Python 1.39
    /// knows without instance discovery: `login.microsoftonline.com`, `login.microsoft.com`,
    /// `login.windows.net`, `sts.windows.net`, the China (`login.chinacloudapi.cn`,
    /// `login.partner.microsoftonline.cn`), US Government (`login-us.microsoftonline.com`,
    /// `login.microsoftonline.us`, `login.usgovcloudapi.net`) and German
    /// (`login.microsoftonline.de`) clouds, and `login.sovcloud-identity.{fr,de,sg}`.
    pub fn is_well_known_host(&self) -> bool {
        WELL_KNOWN_HOSTS.contains(&self.host.as_str())
    }

    /// The canonical authority URL, ending in `/`: `https://host[:port]/{tenant}/`
    /// (dSTS: `https://host/dstsv2/{tenant}/`; B2C: with its `tfp/` prefix and policy, if any).
    pub fn canonical_url(&self) -> Url {
        self.url_with_path(&self.canonical_path())
    }

    /// The token endpoint: `{canonical}oauth2/v2.0/token` (ADFS: `https://host/adfs/oauth2/token`;
    /// an [`AuthorityKind::Issuer`]: `{issuer}/token`, a convention only: such a server's token
    /// endpoint is the one its metadata names).
    pub fn token_endpoint(&self) -> Url {
        match self.kind {
            AuthorityKind::Issuer => self.url_with_path(&format!("{}token", self.canonical_path())),
            AuthorityKind::Adfs => self.url_with_path("/adfs/oauth2/token"),
            _ => self.url_with_path(&format!("{}oauth2/v2.0/token", self.canonical_path())),
        }
    }

    /// The authorization endpoint: `{canonical}oauth2/v2.0/authorize`
    /// (ADFS: `https://host/adfs/oauth2/authorize`).
    pub fn authorize_endpoint(&self) -> Url {
        match self.kind {
            AuthorityKind::Issuer => {
                self.url_with_path(&format!("{}authorize", self.canonical_path()))
            }
            AuthorityKind::Adfs => self.url_with_path("/adfs/oauth2/authorize"),
            _ => self.url_with_path(&format!("{}oauth2/v2.0/authorize", self.canonical_path())),
        }
    }

    /// The OpenID Connect discovery document:
    /// `{canonical}v2.0/.well-known/openid-configuration`
    /// (ADFS: `https://host/adfs/.well-known/openid-configuration`; an
    /// [`AuthorityKind::Issuer`]: `{issuer}/.well-known/openid-configuration`).
    pub fn openid_configuration_url(&self) -> Url {
        match self.kind {
            AuthorityKind::Issuer => self.url_with_path(&format!(
                "{}.well-known/openid-configuration",
                self.canonical_path()
            )),
            AuthorityKind::Adfs => self.url_with_path("/adfs/.well-known/openid-configuration"),
            _ => self.url_with_path(&format!(
                "{}v2.0/.well-known/openid-configuration",
                self.canonical_path()
            )),
        }
    }

    /// The same authority with another tenant, e.g. the tenant GUID re-derived from the
    /// discovered token endpoint. Host, port, kind and B2C policy are kept.
    ///
    /// ADFS authorities (tenant always `adfs`), issuers (whose path is fixed) and an empty
    /// `tenant` return an unchanged copy.
    /// Characters that would change the URL structure (`/`, `?`, `#`) are percent-encoded.
    pub fn with_tenant(&self, tenant: &str) -> Self {
        let tenant = tenant.trim();
        if matches!(self.kind, AuthorityKind::Adfs | AuthorityKind::Issuer) || tenant.is_empty() {
            return self.clone();
        }
        let mut next = self.clone();
        next.tenant = tenant
            .replace('/', "%2F")
            .replace('?', "%3F")
            .replace('#', "%23");
        next
    }

    fn canonical_path(&self) -> String {
        match self.kind {
            AuthorityKind::Issuer if self.tenant.is_empty() => "/".to_owned(),
            AuthorityKind::Dsts => format!("/dstsv2/{}/", self.tenant),
            AuthorityKind::B2C => {
                let mut path = String::from(if self.tfp { "/tfp/" } else { "/" });
                path.push_str(&self.tenant);
                path.push('/');
                if let Some(policy) = &self.policy {
                    path.push_str(policy);
                    path.push('/');
                }
                path
            }
            _ => format!("/{}/", self.tenant),
        }
    }

    fn url_with_path(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical_url().as_str())
    }
}

/// The lower-cased host, the non-default port and the `https://host[:port]/` base of `parsed`
/// (whose text is `url`, quoted by error messages).
fn host_port_base(parsed: &Url, url: &str) -> Result<(String, Option<u16>, Url), Error> {
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid_authority(format!("`{}`: the host is missing", shown(url))))?
        .to_ascii_lowercase();
    let port = parsed.port();
    let base = base_url(&host, port).map_err(|e| {
        Error::invalid_authority(format!(
            "`{}`: the host and port do not form a URL",
            shown(url)
        ))
        .with_source(e)
    })?;
    Ok((host, port, base))
}

/// Parses `url` as an `https` URL without user info.
fn parse_https_url(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url.trim()).map_err(|e| {
        Error::invalid_authority(format!("`{}`: not a URL", shown(url))).with_source(e)
    })?;
    // Before anything else, so that no later message is about a URL with user info.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid_authority(format!(
            "`{}`: the URL carries credentials before the host (`name:secret@`); remove them \
             (an authority never takes any)",
            shown(url)
        )));
    }
    if parsed.scheme() != "https" {
        return Err(Error::invalid_authority(format!(
            "`{}`: the scheme must be https",
            shown(url)
        )));
    }
    Ok(parsed)
}

/// Longest input an error message quotes, in characters.
const SHOWN_MAX_CHARS: usize = 200;

/// `url` as error messages quote it: everything up to its last `@` (or a look-alike that
/// Unicode normalizes to `@`), where user info and its password would be, replaced by `…`, at
/// most [`SHOWN_MAX_CHARS`] characters, control characters replaced.
///
/// The cut is made on the raw text, before any URL parsing, so it also hides user info in text
/// that is not a valid URL (whose parts cannot be told apart).
fn shown(url: &str) -> String {
    let url = url.trim();
    let rest = match url.rfind(['@', '\u{FF20}', '\u{FE6B}']) {
        Some(at) => {
            let len = url[at..].chars().next().map_or(1, char::len_utf8);
            format!("…@{}", &url[at + len..])
        }
        None => url.to_owned(),
    };
    let mut out: String = rest
        .chars()
        .take(SHOWN_MAX_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if rest.chars().nth(SHOWN_MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// What the host and path say about an authority: its kind, tenant and B2C specifics.
struct Tenancy {
    kind: AuthorityKind,
    tenant: String,
    /// B2C only: the user-flow policy segment.
    policy: Option<String>,
    /// B2C only: the path starts with `/tfp/`.
    tfp: bool,
}

impl Tenancy {
    fn new(kind: AuthorityKind, tenant: &str) -> Self {
        Tenancy {
            kind,
            tenant: tenant.to_owned(),
            policy: None,
            tfp: false,
        }
    }

    /// Classifies an authority by its lower-cased `host` and non-empty path `segments`
    /// (the rules of [`Authority::parse`]); `None` when the tenant is missing.
    fn classify(host: &str, segments: &[&str]) -> Option<Self> {
        let first = segments.first().copied();
        if host.ends_with(CIAM_HOST_SUFFIX) {
            let tenant = match first {
                Some(tenant) => tenant.to_owned(),
                // A path-less CIAM authority: `{subdomain}.ciamlogin.com`.
                None => format!(
                    "{}.onmicrosoft.com",
                    host.split('.').next().unwrap_or_default()
                ),
            };
            Some(Tenancy::new(AuthorityKind::Ciam, &tenant))
        } else if first.is_some_and(|s| s.eq_ignore_ascii_case("dstsv2")) {
            Some(Tenancy::new(AuthorityKind::Dsts, segments.get(1)?))
        } else if is_b2c(host, segments) {
            Self::b2c(segments)
        } else if first?.eq_ignore_ascii_case("adfs") {
            Some(Tenancy::new(AuthorityKind::Adfs, "adfs"))
        } else {
            Some(Tenancy::new(AuthorityKind::Aad, first?))
        }
    }

    /// `[tfp/]{tenant}[/{policy}]`; a segment that starts an endpoint path is not a policy.
    fn b2c(segments: &[&str]) -> Option<Self> {
        let tfp = segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("tfp"));
        let rest = if tfp { &segments[1..] } else { segments };
        Some(Tenancy {
            kind: AuthorityKind::B2C,
            tenant: (*rest.first()?).to_owned(),
            policy: rest
                .get(1)
                .filter(|p| !is_endpoint_segment(p))
                .map(|p| (*p).to_owned()),
            tfp,
        })
    }
}

fn base_url(host: &str, port: Option<u16>) -> Result<Url, url::ParseError> {
    match port {
        Some(port) => Url::parse(&format!("https://{host}:{port}/")),
        None => Url::parse(&format!("https://{host}/")),
    }
}

fn is_b2c(host: &str, segments: &[&str]) -> bool {
    B2C_HOST_SUFFIXES.iter().any(|s| host.ends_with(s))
        || segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("tfp"))
        || segments
            .get(1)
            .is_some_and(|s| s.to_ascii_lowercase().starts_with("b2c_"))
}

/// Path segments that start an endpoint path rather than name a B2C policy.
fn is_endpoint_segment(segment: &str) -> bool {
    ["oauth2", "v2.0", ".well-known", "discovery"]
        .iter()
        .any(|s| segment.eq_ignore_ascii_case(s))
}
