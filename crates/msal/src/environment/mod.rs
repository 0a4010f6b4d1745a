//! Configuration from the environment: the variables the Azure SDKs read
//! (`azure_identity`'s `EnvironmentCredential` and `WorkloadIdentityCredential`), and the
//! explicit development setting that points an unchanged application at a local endpoint.
//! The names, precedence and values are listed in `docs/environment.md`.

mod certificate;
mod dev;

use std::path::PathBuf;
use std::sync::Arc;

use mtls_transport::{HyperTransport, Proxy};

use crate::app::{ConfidentialClientApplication, ConfidentialClientApplicationBuilder};
use crate::credential::TokenFileAssertion;
use crate::region::{AzureRegion, EnvLookup};
use crate::Error;

pub(crate) const TENANT_ID: &str = "AZURE_TENANT_ID";
pub(crate) const CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub(crate) const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub(crate) const CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
pub(crate) const CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
pub(crate) const SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
pub(crate) const AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
pub(crate) const REGIONAL_AUTHORITY_NAME: &str = "AZURE_REGIONAL_AUTHORITY_NAME";
pub(crate) const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// The public cloud's authority host: the default of `AZURE_AUTHORITY_HOST`, as in the Azure SDKs.
const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// The value of `AZURE_REGIONAL_AUTHORITY_NAME` that asks for region auto-detection
/// (`RegionalAuthority.AutoDiscoverRegion` in the .NET and Python Azure SDKs).
const AUTO_DISCOVER_REGION: &str = "AutoDiscoverRegion";

impl ConfidentialClientApplication {
    /// Build an application configured by the process environment, the way the Azure SDKs'
    /// `EnvironmentCredential` and `WorkloadIdentityCredential` are: `AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID`, then the first credential set of `AZURE_FEDERATED_TOKEN_FILE`
    /// (workload identity; the file is re-read whenever it changes), `AZURE_CLIENT_SECRET`,
    /// `AZURE_CLIENT_CERTIFICATE_PATH` (PEM, or PKCS#12 with
    /// `AZURE_CLIENT_CERTIFICATE_PASSWORD`; `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true` sends
    /// `x5c`), plus `AZURE_AUTHORITY_HOST` and `AZURE_REGIONAL_AUTHORITY_NAME`. See
    /// [`guides::environment`](crate::guides::environment) for every variable.
    ///
    /// Errors: [`Error::Environment`] naming the missing or invalid variable.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), msal::Error> {
    /// let app = msal::ConfidentialClientApplication::from_env()?;
    /// let result = app
    ///     .acquire_token_for_client(["https://graph.microsoft.com/.default"])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env(Arc::new(|name: &str| std::env::var(name).ok()))?.build()
    }

    /// The builder behind [`from_env`](Self::from_env), reading the variables through `env`
    /// (tests and hosts pass a map instead of the process environment; region variables are
    /// read through it too). Set further options (a token cache, an observer, a transport) before
    /// `build()`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::Arc;
    ///
    /// let vars: HashMap<&str, &str> = HashMap::from([
    ///     ("AZURE_TENANT_ID", "aaaabbbb-0000-1111-2222-333344445555"),
    ///     ("AZURE_CLIENT_ID", "22222222-2222-2222-2222-222222222222"),
    ///     ("AZURE_CLIENT_SECRET", "not-a-real-secret"),
    /// ]);
    /// let builder = msal::ConfidentialClientApplication::builder_from_env(Arc::new(move |name| {
    ///     vars.get(name).map(|v| v.to_string())
    /// }))?;
    /// # #[cfg(feature = "webpki-roots")]
    /// let app = builder.build()?;
    /// # Ok::<(), msal::Error>(())
    /// ```
    pub fn builder_from_env(env: EnvLookup) -> Result<ConfidentialClientApplicationBuilder, Error> {
        let lookup = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let tenant = lookup(TENANT_ID).ok_or_else(|| {
            Error::environment(TENANT_ID, "not set; set it to your tenant (directory) id")
        })?;
        let client_id = lookup(CLIENT_ID).ok_or_else(|| {
            Error::environment(
                CLIENT_ID,
                "not set; set it to the application (client) id of your app registration",
            )
        })?;
        let host = lookup(AUTHORITY_HOST).unwrap_or_else(|| DEFAULT_AUTHORITY_HOST.to_owned());
        let authority = authority_url(&host, &tenant)?;
        // first: the development setting warns even when the rest is incomplete
        let transport = transport(&lookup)?;
        let mut builder = ConfidentialClientApplication::builder(client_id).authority(authority);
        builder = with_credential(builder, &lookup)?;
        if let Some(region) = lookup(REGIONAL_AUTHORITY_NAME) {
            builder = builder.azure_region(region_of(&region));
        }
        if let Some(transport) = transport {
            builder = builder.transport(Arc::new(transport));
        }
        Ok(builder.region_environment(env))
    }
}

/// The transport the environment asks for: a proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`),
/// extra roots (`SSL_CERT_FILE`, `SSL_CERT_DIR`) and the development setting; `None` for the
/// default transport.
fn transport(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<HyperTransport>, Error> {
    let proxy = Proxy::from_env(lookup)
        .map_err(|e| Error::environment("HTTPS_PROXY / HTTP_PROXY", e.to_string()))?;
    let dev = dev::builder(lookup)?;
    let ssl_cert = SSL_CERT_VARIABLES
        .iter()
        .any(|v| lookup(v).is_some_and(|v| !v.is_empty()));
    if proxy.is_none() && dev.is_none() && !ssl_cert {
        return Ok(None);
    }
    let mut builder = dev.unwrap_or_else(HyperTransport::builder);
    if let Some(proxy) = proxy {
        builder = builder.proxy(proxy);
    }
    builder = builder
        .ssl_cert_env(lookup)
        .map_err(|e| Error::environment("SSL_CERT_FILE / SSL_CERT_DIR", e.to_string()))?;
    Ok(Some(builder.build()?))
}

/// The OpenSSL variables naming extra root certificates.
const SSL_CERT_VARIABLES: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// `AZURE_AUTHORITY_HOST` + `/` + `AZURE_TENANT_ID`; the host must be an `https://` URL without
/// a path.
fn authority_url(host: &str, tenant: &str) -> Result<String, Error> {
    let host = host.trim().trim_end_matches('/');
    let parsed = url::Url::parse(host).map_err(|e| {
        Error::environment(
            AUTHORITY_HOST,
            format!("{host:?} is not a URL ({e}); use e.g. {DEFAULT_AUTHORITY_HOST}"),
        )
    })?;
    if parsed.scheme() != "https" || parsed.path() != "/" || parsed.query().is_some() {
        return Err(Error::environment(
            AUTHORITY_HOST,
            format!("{host:?} must be an https:// URL with no path, e.g. {DEFAULT_AUTHORITY_HOST}"),
        ));
    }
    if tenant.contains(['/', '?', '#']) || tenant.trim() != tenant {
        return Err(Error::environment(
            TENANT_ID,
            "must be a tenant id or domain, without '/', '?', '#' or spaces",
        ));
    }
    Ok(format!("{host}/{tenant}"))
}

/// The credential, in `azure_identity`'s order: workload identity, secret, certificate.
fn with_credential(
    builder: ConfidentialClientApplicationBuilder,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ConfidentialClientApplicationBuilder, Error> {
    if let Some(path) = lookup(FEDERATED_TOKEN_FILE) {
        let provider = TokenFileAssertion::new(PathBuf::from(path));
        return Ok(builder.client_assertion_provider(Arc::new(provider)));
    }
    if let Some(secret) = lookup(CLIENT_SECRET) {
        return Ok(builder.client_secret(secret));
    }
    if let Some(path) = lookup(CERTIFICATE_PATH) {
        let password = lookup(CERTIFICATE_PASSWORD).map(zeroize::Zeroizing::new);
        let certificate =
            certificate::load(&PathBuf::from(path), password.as_ref().map(|p| p.as_str()))?;
        let send_chain = lookup(SEND_CERTIFICATE_CHAIN)
            .map(|v| parse_flag(SEND_CERTIFICATE_CHAIN, &v))
            .transpose()?
            .unwrap_or(false);
        return Ok(builder.certificate(certificate).send_x5c(send_chain));
    }
    Err(Error::environment(
        CLIENT_SECRET,
        format!("no credential in the environment: set {FEDERATED_TOKEN_FILE} (workload identity), {CLIENT_SECRET}, or {CERTIFICATE_PATH}"),
    ))
}

/// `AutoDiscoverRegion` (any case) detects the region; any other value names it.
fn region_of(value: &str) -> AzureRegion {
    if value.trim().eq_ignore_ascii_case(AUTO_DISCOVER_REGION) {
        AzureRegion::AutoDetect
    } else {
        AzureRegion::Named(value.trim().to_owned())
    }
}

/// `true`/`1` or `false`/`0` (any case), as the Azure SDKs accept.
pub(crate) fn parse_flag(variable: &str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(Error::environment(
            variable,
            format!("{value:?} is not a flag; use true or false"),
        )),
    }
}

#[cfg(test)]
mod tests;
