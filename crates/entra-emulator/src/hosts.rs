//! Which hostnames the emulator answers for, and which "cloud" each one belongs to.
//!
//! The Host header of a request decides what it is: a `login.*` authority host (OIDC, instance
//! discovery, Bearer token endpoint), an `mtlsauth.*` host (mTLS token endpoint) or the protected
//! resource.

/// The protected resource (RFC 8705 bound-token test endpoint).
pub(crate) const RESOURCE_HOST: &str = "mtlstb.graph.microsoft.com";

/// Exact hostnames in the server certificate (wildcards and IP addresses excluded).
pub(crate) const STATIC_HOSTNAMES: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "mtlsauth.microsoft.com",
    "login.microsoftonline.us",
    "mtlsauth.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "mtlsauth.partner.microsoftonline.cn",
    "login.sovcloud-identity.fr",
    "mtlsauth.sovcloud-identity.fr",
    "login.sovcloud-identity.de",
    "mtlsauth.sovcloud-identity.de",
    "login.sovcloud-identity.sg",
    "mtlsauth.sovcloud-identity.sg",
    "login.usgovcloudapi.net",
    "login.chinacloudapi.cn",
    "login.microsoftonline.de",
    "mtlsauth.microsoftonline.de",
    RESOURCE_HOST,
    "localhost",
];

/// Hosts that are treated as public-cloud login hosts although they are not Entra names.
const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1"];

/// One cloud: its login aliases (as in the instance-discovery metadata) and its mTLS host.
#[derive(Debug, Clone)]
pub(crate) struct Cloud {
    pub(crate) preferred_network: String,
    pub(crate) preferred_cache: String,
    pub(crate) aliases: Vec<String>,
    /// `mtlsauth.*` host, when the cloud supports mTLS.
    pub(crate) mtls_host: Option<String>,
    /// `{region}.{suffix}` hosts are regional login hosts (public cloud only).
    pub(crate) regional_login_suffix: Option<String>,
}

impl Cloud {
    fn new(
        preferred_network: &str,
        preferred_cache: &str,
        aliases: &[&str],
        mtls_host: Option<&str>,
    ) -> Self {
        Cloud {
            preferred_network: preferred_network.to_owned(),
            preferred_cache: preferred_cache.to_owned(),
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            mtls_host: mtls_host.map(str::to_owned),
            regional_login_suffix: None,
        }
    }
}

/// What a Host header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostKind {
    /// A login host of cloud `n` (index into [`Clouds`]).
    Login(usize),
    /// An mTLS token host of cloud `n`.
    Mtls(usize),
    /// The protected resource.
    Resource,
    /// Nothing the emulator serves.
    Unknown,
}

/// All clouds known to one emulator instance (built-in ones plus custom authority hosts).
#[derive(Debug, Clone)]
pub(crate) struct Clouds {
    clouds: Vec<Cloud>,
    custom_hosts: Vec<String>,
}

/// True for a DNS label made of ASCII letters and digits only (the region rule MSAL uses).
fn is_region_label(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Normalises a Host header value: lower-case, without port, without a trailing dot.
pub(crate) fn normalize_host(raw: &str) -> String {
    let raw = raw.trim();
    let host = if let Some(rest) = raw.strip_prefix('[') {
        // IPv6 literal: [::1]:443
        rest.split(']').next().unwrap_or(rest)
    } else {
        match raw.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => raw,
        }
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `login.X` → `mtlsauth.X`.
pub(crate) fn mtls_host_for(login_host: &str) -> Option<String> {
    login_host
        .strip_prefix("login.")
        .filter(|rest| !rest.is_empty())
        .map(|rest| format!("mtlsauth.{rest}"))
}

impl Clouds {
    /// The built-in clouds plus one single-alias cloud per custom authority host.
    pub(crate) fn new(custom_hosts: &[String]) -> Self {
        let mut public = Cloud::new(
            "login.microsoftonline.com",
            "login.windows.net",
            &[
                "login.microsoftonline.com",
                "login.windows.net",
                "login.microsoft.com",
                "sts.windows.net",
            ],
            Some("mtlsauth.microsoft.com"),
        );
        public.regional_login_suffix = Some("login.microsoft.com".to_owned());
        let mut clouds = vec![
            public,
            Cloud::new(
                "login.partner.microsoftonline.cn",
                "login.partner.microsoftonline.cn",
                &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
                Some("mtlsauth.partner.microsoftonline.cn"),
            ),
            Cloud::new(
                "login.microsoftonline.de",
                "login.microsoftonline.de",
                &["login.microsoftonline.de"],
                Some("mtlsauth.microsoftonline.de"),
            ),
            Cloud::new(
                "login.microsoftonline.us",
                "login.microsoftonline.us",
                &["login.microsoftonline.us", "login.usgovcloudapi.net"],
                Some("mtlsauth.microsoftonline.us"),
            ),
            Cloud::new(
                "login-us.microsoftonline.com",
                "login-us.microsoftonline.com",
                &["login-us.microsoftonline.com"],
                None,
            ),
        ];
        for tld in ["fr", "de", "sg"] {
            let login = format!("login.sovcloud-identity.{tld}");
            let mtls = format!("mtlsauth.sovcloud-identity.{tld}");
            clouds.push(Cloud::new(&login, &login, &[login.as_str()], Some(&mtls)));
        }
        for host in custom_hosts {
            if clouds.iter().any(|c| c.aliases.iter().any(|a| a == host)) {
                continue;
            }
            let mtls = mtls_host_for(host);
            clouds.push(Cloud::new(host, host, &[host.as_str()], mtls.as_deref()));
        }
        Clouds {
            clouds,
            custom_hosts: custom_hosts.to_vec(),
        }
    }

    /// All clouds, in instance-discovery metadata order.
    pub(crate) fn all(&self) -> &[Cloud] {
        &self.clouds
    }

    /// The cloud with index `i` (as returned by [`Clouds::classify`]).
    pub(crate) fn get(&self, i: usize) -> &Cloud {
        &self.clouds[i]
    }

    /// Classifies a normalised host name.
    pub(crate) fn classify(&self, host: &str) -> HostKind {
        if host == RESOURCE_HOST {
            return HostKind::Resource;
        }
        if LOOPBACK_HOSTS.contains(&host) {
            return HostKind::Login(0);
        }
        for (i, cloud) in self.clouds.iter().enumerate() {
            if cloud.aliases.iter().any(|a| a == host) {
                return HostKind::Login(i);
            }
            if let Some(suffix) = &cloud.regional_login_suffix {
                if let Some(region) = host
                    .strip_suffix(suffix.as_str())
                    .and_then(|p| p.strip_suffix('.'))
                {
                    if is_region_label(region) {
                        return HostKind::Login(i);
                    }
                }
            }
            if let Some(mtls) = &cloud.mtls_host {
                if host == mtls {
                    return HostKind::Mtls(i);
                }
                if let Some(region) = host
                    .strip_suffix(mtls.as_str())
                    .and_then(|p| p.strip_suffix('.'))
                {
                    if is_region_label(region) {
                        return HostKind::Mtls(i);
                    }
                }
            }
        }
        HostKind::Unknown
    }

    /// True when `host` is an authority host instance discovery knows (any alias of any cloud).
    pub(crate) fn is_known_authority(&self, host: &str) -> bool {
        self.clouds
            .iter()
            .any(|c| c.aliases.iter().any(|a| a == host))
    }

    /// The cloud index a host belongs to, whatever kind of host it is.
    pub(crate) fn cloud_of(&self, host: &str) -> Option<usize> {
        match self.classify(host) {
            HostKind::Login(i) | HostKind::Mtls(i) => Some(i),
            HostKind::Resource | HostKind::Unknown => None,
        }
    }

    /// The subject alternative names of the server certificate.
    pub(crate) fn certificate_names(&self) -> Vec<String> {
        let custom_hosts = &self.custom_hosts;
        let mut names: Vec<String> = STATIC_HOSTNAMES.iter().map(|s| (*s).to_owned()).collect();
        names.extend(
            [
                "*.login.microsoft.com",
                "*.mtlsauth.microsoft.com",
                "*.mtlsauth.microsoftonline.us",
                "*.mtlsauth.partner.microsoftonline.cn",
                "*.mtlsauth.sovcloud-identity.fr",
                "*.mtlsauth.sovcloud-identity.de",
                "*.mtlsauth.sovcloud-identity.sg",
                "*.mtlsauth.microsoftonline.de",
                "127.0.0.1",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        for host in custom_hosts {
            for name in std::iter::once(host.clone())
                .chain(mtls_host_for(host))
                .chain(mtls_host_for(host).map(|m| format!("*.{m}")))
            {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// Validates a custom authority host given to the builder.
pub(crate) fn validate_custom_host(host: &str) -> Result<String, String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !host.starts_with("login.") {
        return Err(format!(
            "custom authority host '{host}' must start with 'login.' (mTLS hosts are derived as mtlsauth.*)"
        ));
    }
    if host.split('.').count() < 3 || !host.split('.').all(valid_label) {
        return Err(format!(
            "custom authority host '{host}' is not a valid DNS name such as login.contoso-sovereign.test"
        ));
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_hosts() {
        let clouds = Clouds::new(&["login.contoso-sovereign.test".to_owned()]);
        assert_eq!(
            clouds.classify("login.microsoftonline.com"),
            HostKind::Login(0)
        );
        assert_eq!(clouds.classify("sts.windows.net"), HostKind::Login(0));
        assert_eq!(
            clouds.classify("westus.login.microsoft.com"),
            HostKind::Login(0)
        );
        assert_eq!(clouds.classify("mtlsauth.microsoft.com"), HostKind::Mtls(0));
        assert_eq!(
            clouds.classify("eastus.mtlsauth.microsoft.com"),
            HostKind::Mtls(0)
        );
        assert_eq!(
            clouds.classify("a.b.mtlsauth.microsoft.com"),
            HostKind::Unknown
        );
        assert!(
            matches!(clouds.classify("mtlsauth.microsoftonline.us"), HostKind::Mtls(i) if i == 3)
        );
        assert!(matches!(
            clouds.classify("login.usgovcloudapi.net"),
            HostKind::Login(3)
        ));
        assert!(matches!(
            clouds.classify("eastus.mtlsauth.contoso-sovereign.test"),
            HostKind::Mtls(_)
        ));
        assert_eq!(clouds.classify(RESOURCE_HOST), HostKind::Resource);
        assert_eq!(clouds.classify("graph.microsoft.com"), HostKind::Unknown);
        assert_eq!(clouds.classify("localhost"), HostKind::Login(0));
    }

    #[test]
    fn normalize() {
        assert_eq!(
            normalize_host("Login.MicrosoftOnline.com:443"),
            "login.microsoftonline.com"
        );
        assert_eq!(normalize_host("127.0.0.1:8443"), "127.0.0.1");
        assert_eq!(normalize_host("[::1]:8443"), "::1");
        assert_eq!(normalize_host("host."), "host");
    }

    #[test]
    fn custom_host_rules() {
        assert!(validate_custom_host("login.contoso.test").is_ok());
        assert!(validate_custom_host("sts.contoso.test").is_err());
        assert!(validate_custom_host("login.bad_host.test").is_err());
        let names = Clouds::new(&["login.contoso.test".to_owned()]).certificate_names();
        assert!(names.contains(&"mtlsauth.contoso.test".to_owned()));
        assert!(names.contains(&"*.mtlsauth.contoso.test".to_owned()));
    }
}
