//! Serving one HTTP request: reading it, applying an injected fault, routing it to its handler,
//! logging it and adding the headers Entra sends on every answer.

use std::sync::atomic::Ordering;
use std::time::Duration;

use http_body_util::{BodyExt as _, Either, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request, Response};
use serde_json::json;

use crate::fault::{self, Fault};
use crate::fault_response::{self, Dropped, ServeBody};
use crate::hosts::{normalize_host, HostKind};
use crate::log::LoggedRequest;
use crate::request::{ConnInfo, Ctx};
use crate::respond::{self, Resp};
use crate::state::State;

/// Largest request body the emulator reads.
const MAX_BODY: usize = 1 << 20;

/// Serves one request on `conn`: answers it, or drops the connection for an injected fault.
pub(crate) async fn handle(
    state: &State,
    conn: &ConnInfo,
    req: Request<Incoming>,
) -> Result<Response<ServeBody>, Dropped> {
    let read = ReadRequest::read(conn, req).await;
    // Faults are taken before anything else looks at the request (tenant, client, credential).
    let fault = take_fault(state, conn, &read);
    let ctx = read.ctx(state, conn, fault.as_ref());
    let outcome = answer(&ctx, fault.as_ref(), read.body_error.as_deref());
    let status = outcome.status();
    tracing::debug!(
        connection_id = conn.id,
        method = %read.parts.method,
        host = %read.host,
        path = %read.path,
        status,
        "request"
    );
    let correlation_id = read.correlation_id.clone();
    let trace_id = read.trace_id.clone();
    state.log.push(read.into_log(conn, status));
    outcome
        .deliver(conn, correlation_id.as_deref(), &trace_id)
        .await
}

/// One request as read off the connection, before anything looks at its content.
struct ReadRequest {
    parts: Parts,
    /// The Host header as sent (lower-case, port kept).
    authority: String,
    /// Normalised host (lower-case, no port).
    host: String,
    path: String,
    query: Option<String>,
    trace_id: String,
    /// The `client-request-id` header, when one was sent.
    correlation_id: Option<String>,
    form: Vec<(String, String)>,
    /// Why the body could not be read, when it could not.
    body_error: Option<String>,
}

impl ReadRequest {
    async fn read(conn: &ConnInfo, req: Request<Incoming>) -> Self {
        let (parts, body) = req.into_parts();
        let authority = authority(&parts, conn);
        let host = normalize_host(&authority);
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().map(str::to_owned);
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = parts
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (form, body_error) = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => (parse_form(&parts.headers, &collected.to_bytes()), None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        ReadRequest {
            parts,
            authority,
            host,
            path,
            query,
            trace_id,
            correlation_id,
            form,
            body_error,
        }
    }

    /// The request as the route handlers see it.
    fn ctx<'a>(
        &'a self,
        state: &'a State,
        conn: &'a ConnInfo,
        fault: Option<&'a Fault>,
    ) -> Ctx<'a> {
        Ctx {
            state,
            conn,
            method: &self.parts.method,
            host: &self.host,
            authority: &self.authority,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.parts.headers,
            form: &self.form,
            trace_id: self.trace_id.clone(),
            correlation_id: self
                .correlation_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            answer_fault: fault.filter(|f| f.alters_answer()),
        }
    }

    /// The entry of [`crate::Emulator::requests`] for this request.
    fn into_log(self, conn: &ConnInfo, status: u16) -> LoggedRequest {
        LoggedRequest {
            connection_id: conn.id,
            method: self.parts.method.as_str().to_owned(),
            host: self.host,
            sni: conn.sni.clone(),
            path: self.path,
            query: self.query,
            headers: self
                .parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            form: self.form,
            client_certificate: conn.leaf().map(<[u8]>::to_vec),
            status,
        }
    }
}

/// The Host header (else the URI authority, else the SNI name), trimmed and lower-cased.
fn authority(parts: &Parts, conn: &ConnInfo) -> String {
    parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
        .or_else(|| conn.sni.clone())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn parse_form(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let is_form = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !is_form {
        return Vec::new();
    }
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The next injected fault, when faults apply to this request.
fn take_fault(state: &State, conn: &ConnInfo, read: &ReadRequest) -> Option<Fault> {
    if !fault::applies_to(&read.parts.method, &read.path) {
        return None;
    }
    let fault = state.faults.take()?;
    tracing::info!(connection_id = conn.id, host = %read.host, path = %read.path, fault = ?fault, "injecting fault");
    Some(fault)
}

/// What to do with a request once it has been read.
enum Outcome {
    Respond(Response<ServeBody>),
    /// Answer nothing; wait this long (if `Some`), then drop the connection.
    Drop(Option<Duration>),
}

impl Outcome {
    /// The status logged for the request: `0` when nothing is answered.
    fn status(&self) -> u16 {
        match self {
            Outcome::Respond(resp) => resp.status().as_u16(),
            Outcome::Drop(_) => 0,
        }
    }

    /// Sends the answer (with Entra's common headers) or drops the connection.
    async fn deliver(
        self,
        conn: &ConnInfo,
        correlation_id: Option<&str>,
        trace_id: &str,
    ) -> Result<Response<ServeBody>, Dropped> {
        match self {
            Outcome::Respond(mut resp) => {
                add_common_headers(&mut resp, correlation_id, trace_id);
                Ok(resp)
            }
            Outcome::Drop(Some(stall)) => {
                tokio::time::sleep(stall).await;
                Err(Dropped)
            }
            Outcome::Drop(None) => {
                conn.reset_on_close.store(true, Ordering::Relaxed);
                Err(Dropped)
            }
        }
    }
}

/// The fault's answer, or the normal one when there is no fault or it only alters the answer.
fn answer(ctx: &Ctx<'_>, fault: Option<&Fault>, body_error: Option<&str>) -> Outcome {
    match fault {
        Some(Fault::Stall(d)) => Outcome::Drop(Some(*d)),
        Some(Fault::ResetConnection) => Outcome::Drop(None),
        _ => Outcome::Respond(
            fault
                .and_then(|f| fault_response::respond(ctx, f))
                .unwrap_or_else(|| serve(ctx, body_error)),
        ),
    }
}

/// The normal answer to a request (no fault, or one that only alters the answer).
fn serve(ctx: &Ctx<'_>, body_error: Option<&str>) -> Response<ServeBody> {
    let resp = match body_error {
        Some(reason) => ctx.sts_error(&respond::StsError::invalid_request(
            900144,
            format!("The request body could not be read ({reason}); bodies are limited to 1 MiB."),
        )),
        None => route(ctx),
    };
    resp.map(Either::Left)
}

/// Headers Entra sends on every answer.
fn add_common_headers<B>(resp: &mut Response<B>, correlation_id: Option<&str>, trace_id: &str) {
    let headers = resp.headers_mut();
    if let Some(cid) = correlation_id.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert("client-request-id", cid);
    }
    if let Ok(v) = HeaderValue::from_str(trace_id) {
        headers.insert("x-ms-request-id", v);
    }
    headers.insert(
        "cache-control",
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    headers.insert(
        "x-ms-ests-server",
        HeaderValue::from_static("entra-emulator"),
    );
}

/// Routes a request to its handler by host kind, method and path.
fn route(ctx: &Ctx<'_>) -> Resp {
    let kind = ctx.state.clouds.classify(ctx.host);
    let segments = ctx.segments();
    let method = ctx.method;
    match kind {
        HostKind::Resource => crate::resource::handle(ctx),
        HostKind::Login(cloud) => match (method, segments.as_slice()) {
            (&Method::GET, ["common", "discovery", "instance"]) => {
                crate::routes::discovery::instance_discovery(ctx)
            }
            (&Method::GET, [tenant, "v2.0", ".well-known", "openid-configuration"]) => {
                crate::routes::discovery::openid_configuration(ctx, cloud, tenant)
            }
            (
                &Method::GET,
                [tenant, "discovery", "v2.0", "keys"] | [tenant, "discovery", "keys"],
            ) => crate::routes::discovery::jwks(ctx, cloud, tenant),
            (&Method::POST, [tenant, "oauth2", "v2.0", "token"]) => {
                crate::routes::token::token(ctx, kind, tenant)
            }
            _ => not_found(ctx),
        },
        HostKind::Mtls(_) => match (method, segments.as_slice()) {
            (&Method::POST, [tenant, "oauth2", "v2.0", "token"]) => {
                crate::routes::token::token(ctx, kind, tenant)
            }
            _ => not_found(ctx),
        },
        HostKind::Unknown => not_found(ctx),
    }
}

/// 404 for anything the emulator does not serve.
fn not_found(ctx: &Ctx<'_>) -> Resp {
    respond::json(
        404,
        &json!({
            "error": "not_found",
            "error_description": format!(
                "The Entra emulator has no endpoint for {} {} on host '{}'.",
                ctx.method, ctx.path, ctx.host
            ),
            "trace_id": ctx.trace_id,
            "correlation_id": ctx.correlation_id,
        }),
    )
}
