//! The protected resource on `mtlstb.graph.microsoft.com` (the Graph test endpoint the MSAL SDKs
//! call with mTLS PoP tokens): `GET /v1.0/applications`.
//!
//! A certificate-bound token (one with `cnf.x5t#S256`) is accepted only with the `mtls_pop`
//! scheme, over a TLS connection presenting exactly that certificate. An unbound token is
//! accepted with the `Bearer` scheme.

use hyper::header::HeaderValue;
use hyper::Method;
use serde_json::{json, Value};

use crate::certs;
use crate::request::Ctx;
use crate::respond::{self, entra_timestamp, now_secs, Resp};

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

fn applications(ctx: &Ctx<'_>) -> Resp {
    let Some(header) = ctx
        .header("authorization")
        .map(str::trim)
        .filter(|h| !h.is_empty())
    else {
        return unauthorized(ctx, "Access token is empty.");
    };
    let Some((scheme, token)) = header.split_once(' ') else {
        return unauthorized(ctx, "The Authorization header must be '<scheme> <token>'.");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "mtls_pop" && scheme != "bearer" {
        return unauthorized(
            ctx,
            &format!("Unsupported authorization scheme '{scheme}'; use mtls_pop or Bearer."),
        );
    }
    let claims = match ctx.state.signer.verify(token.trim(), now_secs()) {
        Ok(c) => c,
        Err(reason) => {
            return unauthorized(ctx, &format!("Access token validation failure: {reason}."))
        }
    };
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("x5t#S256"))
        .and_then(Value::as_str);
    match (scheme.as_str(), bound) {
        ("mtls_pop", Some(thumb)) => match ctx.conn.leaf() {
            None => {
                return unauthorized(
                    ctx,
                    "The token is certificate-bound but no client certificate was presented on the TLS connection.",
                )
            }
            Some(leaf) if certs::x5t_s256(leaf) != thumb => {
                return unauthorized(
                    ctx,
                    "The client certificate presented on the TLS connection does not match the certificate the token is bound to (cnf x5t#S256).",
                )
            }
            Some(_) => {}
        },
        ("mtls_pop", None) => {
            return unauthorized(
                ctx,
                "The mtls_pop scheme requires a certificate-bound token (cnf claim); this token is not bound.",
            )
        }
        (_, Some(_)) => {
            return unauthorized(
                ctx,
                "The token is certificate-bound; present it with the mtls_pop scheme, not Bearer.",
            )
        }
        (_, None) => {}
    }

    let appid = claims
        .get("appid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let tid = claims
        .get("tid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let value: Vec<Value> = ctx
        .state
        .directory()
        .apps_in(tid)
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
        bound = bound.is_some(),
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
