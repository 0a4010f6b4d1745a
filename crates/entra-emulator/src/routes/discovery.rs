//! OIDC discovery, JWKS and instance discovery.

use serde_json::{json, Value};

use crate::hosts::Cloud;
use crate::request::Ctx;
use crate::respond::{self, Resp, StsError};
use crate::routes::META_TENANTS;

fn invalid_tenant(tenant: &str) -> StsError {
    StsError::new(
        400,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

/// The tenant id to put into URLs, or the meta-tenant name; `None` for an unknown tenant.
fn resolve_tenant(ctx: &Ctx<'_>, tenant: &str) -> Option<(String, bool)> {
    let lower = tenant.to_ascii_lowercase();
    if META_TENANTS.contains(&lower.as_str()) {
        return Some((lower, true));
    }
    ctx.state.directory().tenant(tenant).map(|t| (t.id, false))
}

fn cloud_instance_name(cloud: &Cloud) -> String {
    cloud
        .preferred_network
        .strip_prefix("login.")
        .unwrap_or(&cloud.preferred_network)
        .to_owned()
}

fn tenant_region_scope(cloud: &Cloud) -> &'static str {
    match cloud.preferred_network.as_str() {
        "login.microsoftonline.com" => "NA",
        "login.microsoftonline.us" => "USGov",
        _ => "WW",
    }
}

/// The issuer a tenant's v2.0 tokens carry in `cloud`.
pub(crate) fn issuer(cloud: &Cloud, tenant_id: &str) -> String {
    format!("https://{}/{tenant_id}/v2.0", cloud.preferred_network)
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub(crate) fn openid_configuration(ctx: &Ctx<'_>, cloud: usize, tenant: &str) -> Resp {
    let Some((tenant_id, is_meta)) = resolve_tenant(ctx, tenant) else {
        return ctx.sts_error(&invalid_tenant(tenant));
    };
    let cloud = ctx.state.clouds.get(cloud);
    let base = format!("https://{}/{tenant_id}", ctx.authority);
    let issuer_tenant = if is_meta {
        "{tenantid}"
    } else {
        tenant_id.as_str()
    };
    let doc = json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer(cloud, issuer_tenant),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": if is_meta { Value::Null } else { Value::from(tenant_region_scope(cloud)) },
        "cloud_instance_name": cloud_instance_name(cloud),
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    respond::json(200, &doc)
}

/// `GET /{tenant}/discovery/v2.0/keys`
pub(crate) fn jwks(ctx: &Ctx<'_>, cloud: usize, tenant: &str) -> Resp {
    let Some((tenant_id, is_meta)) = resolve_tenant(ctx, tenant) else {
        return ctx.sts_error(&invalid_tenant(tenant));
    };
    let cloud = ctx.state.clouds.get(cloud);
    let issuer_tenant = if is_meta {
        "{tenantid}"
    } else {
        tenant_id.as_str()
    };
    respond::json(
        200,
        &json!({ "keys": [ctx.state.signer.jwk(&issuer(cloud, issuer_tenant))] }),
    )
}

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`
pub(crate) fn instance_discovery(ctx: &Ctx<'_>) -> Resp {
    match instance_metadata(ctx) {
        Ok(body) => respond::json(200, &body),
        Err(e) => ctx.sts_error(&e),
    }
}

/// The instance discovery document: every cloud's aliases and the authority's OIDC discovery
/// URL.
fn instance_metadata(ctx: &Ctx<'_>) -> Result<Value, StsError> {
    let api_version = api_version(ctx)?;
    let endpoint = known_endpoint(ctx)?;
    let metadata: Vec<Value> = ctx
        .state
        .clouds
        .all()
        .iter()
        .map(|c| {
            json!({
                "preferred_network": c.preferred_network,
                "preferred_cache": c.preferred_cache,
                "aliases": c.aliases,
            })
        })
        .collect();
    Ok(json!({
        "tenant_discovery_endpoint": tenant_discovery_endpoint(&endpoint),
        "api-version": api_version,
        "metadata": metadata,
    }))
}

/// The `api-version` query parameter: `1.0` or `1.1` (the default).
fn api_version(ctx: &Ctx<'_>) -> Result<String, StsError> {
    let api_version = ctx
        .query_param("api-version")
        .unwrap_or_else(|| "1.1".to_owned());
    if api_version != "1.0" && api_version != "1.1" {
        return Err(StsError::invalid_request(
            90023,
            format!("Unsupported api-version '{api_version}'. Use 1.0 or 1.1."),
        ));
    }
    Ok(api_version)
}

/// The `authorization_endpoint` query parameter: an `https` URL on a known authority host.
fn known_endpoint(ctx: &Ctx<'_>) -> Result<url::Url, StsError> {
    let Some(endpoint) = ctx.query_param("authorization_endpoint") else {
        return Err(StsError::invalid_request(
            900144,
            "The request must contain the following parameter: 'authorization_endpoint'.",
        ));
    };
    let parsed = url::Url::parse(&endpoint)
        .ok()
        .filter(|u| u.scheme() == "https");
    let known = parsed
        .as_ref()
        .and_then(|u| u.host_str())
        .map(|h| ctx.state.clouds.is_known_authority(&h.to_ascii_lowercase()))
        .unwrap_or(false);
    parsed.filter(|_| known).ok_or_else(|| {
        StsError::new(
            400,
            "invalid_instance",
            50049,
            "Unknown or invalid instance.",
        )
    })
}

/// The OIDC discovery document URL for the host (and port) and first path segment of
/// `endpoint` (the tenant, `common` when there is none).
fn tenant_discovery_endpoint(endpoint: &url::Url) -> String {
    let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
    let authority = match endpoint.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let tenant = endpoint
        .path_segments()
        .and_then(|mut s| s.next().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "common".to_owned());
    format!("https://{authority}/{tenant}/v2.0/.well-known/openid-configuration")
}
