//! Resolving an authority to its token endpoint, as MSAL.NET and MSAL Python do:
//!
//! * A well-known Entra host (`login.microsoftonline.com`, sovereign clouds, ...) resolves
//!   locally: `https://{host}/{tenant}/oauth2/v2.0/token`. No network call (MSAL.NET's rule).
//! * An unknown host with authority validation on is first checked with instance discovery
//!   (`GET https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=...`,
//!   no client certificate); `invalid_instance` is an error. The discovered OIDC document then
//!   gives the token endpoint.
//! * ADFS, B2C, CIAM, dSTS and unvalidated unknown hosts read the OIDC document at
//!   `{authority}/v2.0/.well-known/openid-configuration`.
//!
//! The result is computed once per application and reused.

use mtls_transport::{HttpRequest, Transport};
use oauth2_core::{Authority, AuthorityKind};
use serde::Deserialize;
use url::Url;

use crate::Error;

const DISCOVERY_HOST: &str = "login.microsoftonline.com";

/// The token endpoint and the realm (tenant) tokens are cached under.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    pub(crate) token_endpoint: Url,
    pub(crate) tenant: String,
}

#[derive(Deserialize)]
struct InstanceDiscovery {
    tenant_discovery_endpoint: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct OidcDocument {
    token_endpoint: String,
}

pub(crate) async fn resolve(
    authority: &Authority,
    validate_authority: bool,
    transport: &dyn Transport,
) -> Result<Endpoints, Error> {
    if authority.kind() == AuthorityKind::Aad && authority.is_well_known_host() {
        return Ok(Endpoints {
            token_endpoint: authority.token_endpoint(),
            tenant: authority.tenant().to_owned(),
        });
    }
    let oidc_url = if authority.kind() == AuthorityKind::Aad && validate_authority {
        instance_discovery(authority, transport).await?
    } else {
        authority.openid_configuration_url()
    };
    let doc: OidcDocument = get_json(transport, oidc_url).await?;
    let token_endpoint = Url::parse(&doc.token_endpoint).map_err(|e| Error::InvalidResponse {
        endpoint: authority.openid_configuration_url().to_string(),
        status: 200,
        reason: format!("token_endpoint is not a URL: {e}"),
    })?;
    if token_endpoint.scheme() != "https" {
        return Err(Error::InvalidResponse {
            endpoint: authority.openid_configuration_url().to_string(),
            status: 200,
            reason: "token_endpoint is not https".to_owned(),
        });
    }
    // MSAL re-derives the realm from the discovered endpoint (a domain becomes the tenant GUID).
    let tenant = match authority.kind() {
        AuthorityKind::Aad | AuthorityKind::Ciam => token_endpoint
            .path_segments()
            .and_then(|mut s| s.next())
            .filter(|s| !s.is_empty())
            .unwrap_or(authority.tenant())
            .to_owned(),
        _ => authority.tenant().to_owned(),
    };
    Ok(Endpoints {
        token_endpoint,
        tenant,
    })
}

/// Checks an authority host the way [`resolve`] does, for requests that do not need its
/// metadata (the mTLS endpoint is derived from the host): a well-known host, a non-Entra
/// authority or a disabled validation pass; an unknown Entra host must pass instance discovery
/// (`invalid_instance` otherwise). Nothing but the discovery request (no client certificate, no
/// credential) is sent.
pub(crate) async fn validate(
    authority: &Authority,
    validate_authority: bool,
    transport: &dyn Transport,
) -> Result<(), Error> {
    if authority.kind() != AuthorityKind::Aad
        || authority.is_well_known_host()
        || !validate_authority
    {
        return Ok(());
    }
    instance_discovery(authority, transport).await.map(drop)
}

async fn instance_discovery(
    authority: &Authority,
    transport: &dyn Transport,
) -> Result<Url, Error> {
    let mut url = Url::parse(&format!(
        "https://{DISCOVERY_HOST}/common/discovery/instance"
    ))
    .expect("static URL is valid");
    url.query_pairs_mut()
        .append_pair("api-version", "1.1")
        .append_pair(
            "authorization_endpoint",
            authority.authorize_endpoint().as_str(),
        );
    let response = transport.send(HttpRequest::get(url.clone()), None).await?;
    let endpoint = format!("https://{DISCOVERY_HOST}/common/discovery/instance");
    let doc: InstanceDiscovery =
        serde_json::from_slice(&response.body).map_err(|e| Error::InvalidResponse {
            endpoint: endpoint.clone(),
            status: response.status.as_u16(),
            reason: format!("not an instance discovery document: {e}"),
        })?;
    if doc.error.as_deref() == Some("invalid_instance") {
        return Err(Error::InvalidInstance {
            host: authority.host().to_owned(),
        });
    }
    let Some(tde) = doc
        .tenant_discovery_endpoint
        .filter(|_| response.status.is_success())
    else {
        return Err(Error::InvalidResponse {
            endpoint,
            status: response.status.as_u16(),
            reason: format!(
                "instance discovery failed with error {}",
                doc.error.as_deref().unwrap_or("<none>")
            ),
        });
    };
    Url::parse(&tde).map_err(|e| Error::InvalidResponse {
        endpoint,
        status: 200,
        reason: format!("tenant_discovery_endpoint is not a URL: {e}"),
    })
}

async fn get_json<T: for<'de> Deserialize<'de>>(
    transport: &dyn Transport,
    url: Url,
) -> Result<T, Error> {
    let mut shown = url.clone();
    shown.set_query(None);
    let response = transport.send(HttpRequest::get(url), None).await?;
    if !response.status.is_success() {
        return Err(Error::InvalidResponse {
            endpoint: shown.to_string(),
            status: response.status.as_u16(),
            reason: "authority metadata could not be read (does the tenant exist?)".to_owned(),
        });
    }
    serde_json::from_slice(&response.body).map_err(|e| Error::InvalidResponse {
        endpoint: shown.to_string(),
        status: response.status.as_u16(),
        reason: format!("not an OpenID configuration document: {e}"),
    })
}
