//! The protected resource on `mtlstb.graph.microsoft.com` (the Graph test endpoint the MSAL SDKs
//! call with mTLS PoP tokens): `GET /v1.0/applications`.
//!
//! The token must be one the emulator signed, unexpired, for Graph (`aud` is
//! `https://graph.microsoft.com` or Graph's app id).
//! A certificate-bound token (one with `cnf.x5t#S256`) is accepted only with the `mtls_pop`
//! scheme, over a TLS connection presenting exactly that certificate. An unbound token is
//! accepted with the `Bearer` scheme.

use hyper::header::HeaderValue;
use hyper::Method;
use serde_json::{json, Map, Value};

use crate::certs;
use crate::jwt::{bound_thumbprint, str_claim};
use crate::request::Ctx;
use crate::respond::{self, entra_timestamp, now_secs, Resp};

/// The `aud` values Graph accepts (its resource URI and its application id).
const GRAPH_AUDIENCES: [&str; 2] = [
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

fn graph_error(ctx: &Ctx<'_>, status: u16, code: &str, message: &str) -> Resp {
    let mut resp = respond::json(
        status,
        &json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": entra_timestamp(now_secs()),
                    "request-id": ctx.trace_id,
                    "client-request-id": ctx.correlation_id,
                }
            }
        }),
    );
    if status == 401 {
        resp.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
    }
    resp
}

fn unauthorized(ctx: &Ctx<'_>, message: &str) -> Resp {
    tracing::info!(reason = message, "resource request rejected");
    graph_error(ctx, 401, "InvalidAuthenticationToken", message)
}

/// Routes a request on the resource host.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Resp {
    match (ctx.method, ctx.path) {
        (&Method::GET, "/v1.0/applications") => applications(ctx),
        _ => graph_error(
            ctx,
            404,
            "Request_ResourceNotFound",
            &format!(
                "The emulated resource has no endpoint for {} {}.",
                ctx.method, ctx.path
            ),
        ),
    }
}

/// `GET /v1.0/applications`: the apps of the caller's tenant, once its token is accepted.
fn applications(ctx: &Ctx<'_>) -> Resp {
    let claims = match authorize(ctx) {
        Ok(claims) => claims,
        Err(reason) => return unauthorized(ctx, &reason),
    };
    let appid = str_claim(&claims, "appid");
    let value: Vec<Value> = ctx
        .state
        .directory()
        .apps_in(str_claim(&claims, "tid"))
        .iter()
        .map(|a| {
            json!({
                "id": a.object_id(),
                "appId": a.client_id(),
                "displayName": format!("Emulated app {}", a.client_id()),
            })
        })
        .collect();
    tracing::info!(
        caller_app = appid,
        bound = bound_thumbprint(&claims).is_some(),
        "resource request accepted"
    );
    respond::json(
        200,
        &json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
            "value": value,
            "caller_app": appid,
        }),
    )
}

/// The claims of the request's access token once the token and its binding are accepted; the
/// reason for a 401 otherwise.
fn authorize(ctx: &Ctx<'_>) -> Result<Map<String, Value>, String> {
    let (scheme, token) = authorization(ctx)?;
    let claims = ctx
        .state
        .signer
        .verify(token, now_secs())
        .map_err(|reason| format!("Access token validation failure: {reason}."))?;
    if !GRAPH_AUDIENCES.contains(&str_claim(&claims, "aud").trim_end_matches('/')) {
        return Err("Invalid audience: the token was not issued for Microsoft Graph.".to_owned());
    }
    check_binding(ctx, &scheme, bound_thumbprint(&claims))?;
    Ok(claims)
}

/// The `Authorization` header: its scheme (lower-case, `mtls_pop` or `bearer`) and token.
fn authorization<'a>(ctx: &'a Ctx<'_>) -> Result<(String, &'a str), String> {
    let Some(header) = ctx
        .header("authorization")
        .map(str::trim)
        .filter(|h| !h.is_empty())
    else {
        return Err("Access token is empty.".to_owned());
    };
    let Some((scheme, token)) = header.split_once(' ') else {
        return Err("The Authorization header must be '<scheme> <token>'.".to_owned());
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "mtls_pop" && scheme != "bearer" {
        return Err(format!(
            "Unsupported authorization scheme '{scheme}'; use mtls_pop or Bearer."
        ));
    }
    Ok((scheme, token.trim()))
}

/// A bound token (`bound` is its `cnf.x5t#S256`) only with `mtls_pop` over a TLS connection
/// presenting that certificate; an unbound one only with `Bearer`.
fn check_binding(ctx: &Ctx<'_>, scheme: &str, bound: Option<&str>) -> Result<(), String> {
    let refusal = match (scheme, bound) {
        ("mtls_pop", Some(thumb)) => match ctx.conn.leaf() {
            None => "The token is certificate-bound but no client certificate was presented on the TLS connection.",
            Some(leaf) if certs::x5t_s256(leaf) != thumb => "The client certificate presented on the TLS connection does not match the certificate the token is bound to (cnf x5t#S256).",
            Some(_) => return Ok(()),
        },
        ("mtls_pop", None) => "The mtls_pop scheme requires a certificate-bound token (cnf claim); this token is not bound.",
        (_, Some(_)) => "The token is certificate-bound; present it with the mtls_pop scheme, not Bearer.",
        (_, None) => return Ok(()),
    };
    Err(refusal.to_owned())
}
