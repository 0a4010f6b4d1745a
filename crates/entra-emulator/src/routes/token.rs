//! `POST /{tenant}/oauth2/v2.0/token` for `grant_type=client_credentials`, on `login.*`
//! (Bearer) and `mtlsauth.*` (mTLS PoP, Bearer over mTLS) hosts.

use serde_json::{json, Value};

use crate::hosts::HostKind;
use crate::registration::AppRegistration;
use crate::request::Ctx;
use crate::respond::{self, now_secs, Resp, StsError};
use crate::routes::client_auth::{self, AuthMethod};
use crate::routes::discovery::issuer;
use crate::routes::token_answer::{self, Answer};
use crate::routes::META_TENANTS;
use crate::state::Tenant;

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
        Some(resource) if !resource.is_empty() => known_resource(resource),
        _ => Err(invalid()),
    }
}

/// Microsoft resources the emulator knows by URL; any `api://` app id URI is accepted as an app
/// of the tenant. Another `https://` resource is not found, as Entra answers (AADSTS500011).
const KNOWN_RESOURCES: &[&str] = &[
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "https://mtlstb.graph.microsoft.com",
    "https://management.azure.com",
    "https://management.core.windows.net",
    "https://vault.azure.net",
    "https://storage.azure.com",
    "https://database.windows.net",
];

fn known_resource(resource: &str) -> Result<String, StsError> {
    let trimmed = resource.trim_end_matches('/');
    if resource.starts_with("api://") || KNOWN_RESOURCES.contains(&trimmed) {
        return Ok(resource.to_owned());
    }
    Err(StsError::invalid_request(
        500011,
        format!("The resource principal named {resource} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."),
    )
    .with_error("invalid_resource"))
}

impl StsError {
    fn with_error(mut self, error: &'static str) -> Self {
        self.error = error;
        self
    }
}

fn random_uti() -> String {
    token_answer::random_b64url::<16>()
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
    let req = TokenRequest::validate(ctx, kind, tenant_name)?;
    let method = client_auth::authenticate(&req.auth_request())?;
    let binding = token_answer::binding(ctx, req.pop);
    let state = ctx.state;
    let claims = req.claims(method, binding.as_deref());
    let access_token = token_answer::access_token(ctx, &state.signer, &claims)
        .map_err(|e| server_error("sign the token", &e))?;
    let answer = Answer {
        token_type: token_answer::token_type(ctx, req.pop),
        lifetime: state.token_lifetime.as_secs(),
        refresh_in: state.refresh_in.map(|d| d.as_secs()),
        access_token: &access_token,
    };
    tracing::info!(
        host = ctx.host,
        tenant = %req.tenant.id,
        client_id = %req.app.client_id,
        auth = ?method,
        bound = binding.is_some(),
        "issued access token"
    );
    Ok(respond::json_text(200, answer.body(ctx.answer_fault)))
}

/// A token request that passed every check before client authentication.
struct TokenRequest<'a> {
    ctx: &'a Ctx<'a>,
    tenant: Tenant,
    app: AppRegistration,
    /// Cloud index of the host the request arrived on.
    cloud: usize,
    /// True on an `mtlsauth.*` host.
    mtls_host: bool,
    /// The resource of the `/.default` scope (the token's `aud`).
    resource: String,
    /// True when `token_type=mtls_pop` was asked for.
    pop: bool,
}

impl<'a> TokenRequest<'a> {
    /// Checks, in Entra's order, the host, tenant, grant type, client id, scope and token type.
    fn validate(ctx: &'a Ctx<'a>, kind: HostKind, tenant_name: &str) -> Result<Self, StsError> {
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
        let tenant = find_tenant(ctx, tenant_name)?;
        check_grant_type(ctx)?;
        let app = find_app(ctx, &tenant)?;
        let scope = ctx.form("scope").ok_or_else(|| missing("scope"))?;
        let resource = resource_of(scope)?;
        let pop = requested_pop(ctx, mtls_host)?;
        Ok(TokenRequest {
            ctx,
            tenant,
            app,
            cloud,
            mtls_host,
            resource,
            pop,
        })
    }

    /// What client authentication needs to know about this request.
    fn auth_request(&self) -> client_auth::Request<'_> {
        client_auth::Request {
            ctx: self.ctx,
            app: &self.app,
            tenant: &self.tenant,
            cloud: self.cloud,
            mtls_host: self.mtls_host,
            pop: self.pop,
        }
    }

    /// The access token's claims; `binding` is the `x5t#S256` of the certificate it is bound to.
    fn claims(&self, method: AuthMethod, binding: Option<&str>) -> Value {
        let state = self.ctx.state;
        let now = now_secs();
        let iss = issuer(state.clouds.get(self.cloud), &self.tenant.id);
        let oid = self.app.object_id();
        let client_id = &self.app.client_id;
        let mut claims = json!({
            "aud": self.resource,
            "iss": iss,
            "iat": now,
            "nbf": now,
            "exp": now + state.token_lifetime.as_secs() as i64,
            "appid": client_id,
            "appidacr": method.acr(),
            "azp": client_id,
            "azpacr": method.acr(),
            "idp": iss,
            "idtyp": "app",
            "oid": oid,
            "sub": oid,
            "tid": self.tenant.id,
            "uti": random_uti(),
            "jti": uuid::Uuid::new_v4().to_string(),
            "ver": "2.0",
        });
        if let Some(thumb) = binding {
            claims["cnf"] = json!({ "x5t#S256": thumb });
        }
        claims
    }
}

/// The tenant named in the path; meta tenants (`common`, ...) cannot get app tokens.
fn find_tenant(ctx: &Ctx<'_>, tenant_name: &str) -> Result<Tenant, StsError> {
    if let Some(tenant) = ctx.state.directory().tenant(tenant_name) {
        return Ok(tenant);
    }
    if META_TENANTS.contains(&tenant_name.to_ascii_lowercase().as_str()) {
        return Err(StsError::new(
            400,
            "invalid_request",
            90002,
            format!("Tenant '{tenant_name}' cannot be used for the client credentials grant; use a tenant-specific authority (tenant id or domain)."),
        ));
    }
    Err(StsError::new(
        400,
        "invalid_tenant",
        90002,
        format!("Tenant '{tenant_name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
    ))
}

fn check_grant_type(ctx: &Ctx<'_>) -> Result<(), StsError> {
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
    Ok(())
}

/// The app named by `client_id` in `tenant`.
fn find_app(ctx: &Ctx<'_>, tenant: &Tenant) -> Result<AppRegistration, StsError> {
    let client_id = ctx.form("client_id").ok_or_else(|| missing("client_id"))?;
    ctx.state.directory().app(&tenant.id, client_id).ok_or_else(|| {
        StsError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", tenant.id),
        )
    })
}

/// True for `token_type=mtls_pop`, which only an `mtlsauth.*` host accepts.
fn requested_pop(ctx: &Ctx<'_>, mtls_host: bool) -> Result<bool, StsError> {
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
    Ok(pop)
}

/// A 500 for something the emulator itself failed to do.
fn server_error(what: &str, e: &dyn std::fmt::Display) -> StsError {
    StsError::new(
        500,
        "server_error",
        90033,
        format!("The emulator could not {what} ({e})."),
    )
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
        let e = resource_of("https://nonexistent.example/.default").unwrap_err();
        assert_eq!((e.code, e.error), (500011, "invalid_resource"));
        assert!(
            e.message.contains("https://nonexistent.example"),
            "{}",
            e.message
        );
        assert!(resource_of("https://vault.azure.net/.default").is_ok());
    }
}
