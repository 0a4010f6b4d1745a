//! `POST /{tenant}/oauth2/v2.0/token` for `grant_type=client_credentials`, on `login.*`
//! (Bearer) and `mtlsauth.*` (mTLS PoP, Bearer over mTLS) hosts.

use ring::rand::SecureRandom as _;
use serde::Serialize;
use serde_json::json;

use crate::certs;
use crate::hosts::HostKind;
use crate::misbehavior::Misbehavior;
use crate::request::Ctx;
use crate::respond::{self, now_secs, Resp, StsError};
use crate::routes::client_auth;
use crate::routes::discovery::issuer;
use crate::routes::META_TENANTS;

#[derive(Serialize)]
struct TokenResponse<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'a str>,
    expires_in: u64,
    ext_expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_in: Option<u64>,
    access_token: String,
}

fn missing(name: &str) -> StsError {
    StsError::invalid_request(
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// Splits a client-credentials scope into its resource (`https://graph.microsoft.com/.default`
/// → `https://graph.microsoft.com`).
fn resource_of(scope: &str) -> Result<String, StsError> {
    let invalid = || {
        StsError::invalid_request(
            1002012,
            format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        )
        .with_error("invalid_scope")
    };
    let mut parts = scope.split_whitespace();
    let (Some(only), None) = (parts.next(), parts.next()) else {
        return Err(invalid());
    };
    match only.strip_suffix("/.default") {
        Some(resource) if !resource.is_empty() => Ok(resource.to_owned()),
        _ => Err(invalid()),
    }
}

impl StsError {
    fn with_error(mut self, error: &'static str) -> Self {
        self.error = error;
        self
    }
}

fn random_uti() -> String {
    let mut bytes = [0u8; 16];
    // If the system RNG fails the uti is all zeros; it is an identifier, not a secret.
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    certs::b64url(&bytes)
}

/// Handles the token endpoint.
pub(crate) fn token(ctx: &Ctx<'_>, kind: HostKind, tenant: &str) -> Resp {
    match issue(ctx, kind, tenant) {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(
                host = ctx.host,
                tenant,
                client_id = ctx.form("client_id").unwrap_or(""),
                error = e.error,
                code = e.code,
                "token request rejected"
            );
            ctx.sts_error(&e)
        }
    }
}

fn issue(ctx: &Ctx<'_>, kind: HostKind, tenant_name: &str) -> Result<Resp, StsError> {
    let (cloud, mtls_host) = match kind {
        HostKind::Login(i) => (i, false),
        HostKind::Mtls(i) => (i, true),
        HostKind::Resource | HostKind::Unknown => {
            return Err(StsError::invalid_request(
                90023,
                "This host has no token endpoint.",
            ))
        }
    };
    let state = ctx.state;
    let tenant = match state.directory().tenant(tenant_name) {
        Some(t) => t,
        None if META_TENANTS.contains(&tenant_name.to_ascii_lowercase().as_str()) => {
            return Err(StsError::new(
                400,
                "invalid_request",
                90002,
                format!("Tenant '{tenant_name}' cannot be used for the client credentials grant; use a tenant-specific authority (tenant id or domain)."),
            ));
        }
        None => {
            return Err(StsError::new(
                400,
                "invalid_tenant",
                90002,
                format!("Tenant '{tenant_name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
            ))
        }
    };
    let grant_type = ctx
        .form("grant_type")
        .ok_or_else(|| missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(StsError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'. The emulator supports client_credentials."),
        ));
    }
    let client_id = ctx.form("client_id").ok_or_else(|| missing("client_id"))?;
    let Some(app) = state.directory().app(&tenant.id, client_id) else {
        return Err(StsError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", tenant.id),
        ));
    };
    let scope = ctx.form("scope").ok_or_else(|| missing("scope"))?;
    let resource = resource_of(scope)?;
    let pop = match ctx.form("token_type") {
        None => false,
        Some(t) if t.eq_ignore_ascii_case("bearer") => false,
        Some(t) if t.eq_ignore_ascii_case("mtls_pop") => true,
        Some(other) => {
            return Err(StsError::invalid_request(
                90023,
                format!(
                "Unsupported token_type '{other}'. Use mtls_pop (on an mtlsauth host) or omit it."
            ),
            ))
        }
    };
    if pop && !mtls_host {
        return Err(StsError::invalid_request(
            90023,
            format!("token_type=mtls_pop is only supported on the mTLS endpoint (mtlsauth.*), not on '{}'.", ctx.host),
        ));
    }

    let auth_req = client_auth::Request {
        ctx,
        app: &app,
        tenant: &tenant,
        cloud,
        mtls_host,
        pop,
    };
    let method = client_auth::authenticate(&auth_req)?;

    let binding = if pop {
        ctx.conn.leaf().map(certs::x5t_s256)
    } else {
        None
    };
    let now = now_secs();
    let lifetime = state.token_lifetime.as_secs();
    let cloud_info = state.clouds.get(cloud);
    let iss = issuer(cloud_info, &tenant.id);
    let oid = app.object_id();
    let mut claims = json!({
        "aud": resource,
        "iss": iss,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime as i64,
        "appid": app.client_id,
        "appidacr": method.acr(),
        "azp": app.client_id,
        "azpacr": method.acr(),
        "idp": iss,
        "idtyp": "app",
        "oid": oid,
        "sub": oid,
        "tid": tenant.id,
        "uti": random_uti(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "ver": "2.0",
    });
    if let Some(thumb) = &binding {
        claims["cnf"] = json!({ "x5t#S256": thumb });
    }
    let access_token = state.signer.sign(&claims).map_err(|e| {
        StsError::new(
            500,
            "server_error",
            90033,
            format!("The emulator could not sign the token ({e})."),
        )
    })?;
    let token_type = match (state.misbehavior(), pop) {
        // Fault::WrongTokenType: the opposite of what was asked for.
        _ if ctx.wrong_token_type => Some(if pop { "Bearer" } else { "mtls_pop" }),
        (Misbehavior::OmitTokenType, _) => None,
        (Misbehavior::AnswerBearerToPop, true) => Some("Bearer"),
        (_, true) => Some("mtls_pop"),
        (_, false) => Some("Bearer"),
    };
    let body = TokenResponse {
        token_type,
        expires_in: lifetime,
        ext_expires_in: lifetime,
        refresh_in: state.refresh_in.map(|d| d.as_secs()),
        access_token,
    };
    tracing::info!(
        host = ctx.host,
        tenant = %tenant.id,
        client_id = %app.client_id,
        auth = ?method,
        bound = binding.is_some(),
        "issued access token"
    );
    let text = serde_json::to_string(&body).map_err(|e| {
        StsError::new(
            500,
            "server_error",
            90033,
            format!("The emulator could not encode the response ({e})."),
        )
    })?;
    Ok(respond::json_text(200, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        assert_eq!(
            resource_of("https://graph.microsoft.com/.default").unwrap(),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            resource_of("api://AzureADTokenExchange/.default").unwrap(),
            "api://AzureADTokenExchange"
        );
        for bad in [
            "https://graph.microsoft.com/User.Read",
            "/.default",
            "a/.default b/.default",
            "",
        ] {
            let e = resource_of(bad).unwrap_err();
            assert_eq!((e.code, e.error), (1002012, "invalid_scope"), "{bad}");
        }
    }
}
