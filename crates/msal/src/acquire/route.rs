//! Where a token request goes: the token endpoint for this call, the realm tokens are cached
//! under, and the region used.
//!
//! * Over mTLS (a certificate in TLS): the mTLS transform of the authority,
//!   `https://[{region}.]mtlsauth.<cloud>/{tenant}/oauth2/v2.0/token`.
//! * Otherwise: the authority's token endpoint (resolved once per application, see
//!   [`crate::endpoints`]), or the regional `{region}.login.microsoft.com` host for Entra ID
//!   authorities when a region is in use.
//! * An issuer (`.issuer(...)`): the `token_endpoint` of its discovered metadata, or over mTLS
//!   its `mtls_endpoint_aliases.token_endpoint` when it has one (RFC 8705 §5).
//!
//! A per-request tenant ([`super::tenant`]) replaces the tenant segment of each: the host and
//! its validation stay the application's.

use oauth2_core::{Authority, AuthorityKind};
use url::Url;

use crate::region::RegionDetails;
use crate::state::AppState;
use crate::Error;
use crate::{endpoints, issuer};

/// The endpoint, realm and region of one request.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) endpoint: Url,
    pub(crate) tenant: String,
    pub(crate) region: RegionDetails,
}

/// The route of a request, `over_mtls` or not, with the call's tenant `authority` (see
/// [`super::plan::Plan::authority`]).
pub(crate) async fn route(
    state: &AppState,
    authority: &Authority,
    over_mtls: bool,
) -> Result<Route, Error> {
    let config = &state.config;
    let transport = state.services.transport.as_ref();
    if config.authority.kind() == AuthorityKind::Issuer {
        // An issuer takes no per-request tenant (refused in the plan).
        let issuer_authority = &config.authority;
        let metadata = state
            .shared
            .metadata
            .get_or_try_init(|| issuer::discover(issuer_authority, transport))
            .await?;
        let endpoint = if over_mtls {
            metadata.mtls_token_endpoint()
        } else {
            &metadata.token_endpoint
        };
        return Ok(Route {
            endpoint: endpoint.clone(),
            tenant: issuer_authority.tenant().to_owned(),
            region: RegionDetails::NONE,
        });
    }
    let region = config.region.resolve(transport).await;
    if over_mtls {
        // The same authority validation as every other path, before any certificate,
        // assertion or form is sent to a host derived from the authority.
        state
            .shared
            .authority_validated
            .get_or_try_init(|| {
                endpoints::validate(&config.authority, config.validate_authority, transport)
            })
            .await?;
        let endpoint = mtls_transport::mtls_token_endpoint(authority, region.region_used())?;
        let tenant = authority.tenant().to_owned();
        return Ok(Route {
            endpoint,
            tenant,
            region,
        });
    }
    let resolved = state
        .shared
        .endpoints
        .get_or_try_init(|| {
            endpoints::resolve(&config.authority, config.validate_authority, transport)
        })
        .await?;
    let overridden = authority != &config.authority;
    let endpoint = match region.region_used() {
        Some(r) if authority.kind() == AuthorityKind::Aad => {
            mtls_transport::regional_token_endpoint(authority, Some(r))
        }
        _ if overridden => with_tenant(&resolved.token_endpoint, authority.tenant()),
        _ => resolved.token_endpoint.clone(),
    };
    let tenant = match overridden {
        true => authority.tenant().to_owned(),
        false => resolved.tenant.clone(),
    };
    Ok(Route {
        endpoint,
        tenant,
        region,
    })
}

/// A resolved Entra token endpoint (`https://host/{tenant}/oauth2/v2.0/token`) with another
/// tenant segment; the host, as discovered, stays.
fn with_tenant(endpoint: &Url, tenant: &str) -> Url {
    let mut url = endpoint.clone();
    let rest: Vec<String> = endpoint
        .path_segments()
        .map(|s| s.skip(1).map(str::to_owned).collect())
        .unwrap_or_default();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.clear().push(tenant).extend(rest);
    }
    url
}
