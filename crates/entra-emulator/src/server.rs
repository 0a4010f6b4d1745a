//! Accept loop, TLS handshakes, HTTP/1.1 serving and request dispatch.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt as _, Either, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::fault::{self, Fault};
use crate::fault_response::{self, Dropped, ServeBody};
use crate::hosts::{normalize_host, HostKind};
use crate::log::LoggedRequest;
use crate::request::{ConnInfo, Ctx};
use crate::respond::{self, Resp};
use crate::state::State;

/// Largest request body the emulator reads.
const MAX_BODY: usize = 1 << 20;
/// Handshakes that take longer than this are abandoned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the accept loop until `shutdown` changes or its sender is dropped.
pub(crate) async fn run(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let id = state.next_connection_id();
                    tracing::debug!(connection_id = id, %peer, "accepted TCP connection");
                    connections.spawn(serve_connection(tcp, id, acceptor.clone(), state.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    tracing::debug!("emulator accept loop stopped");
    // Dropping the JoinSet aborts every open connection.
    connections.shutdown().await;
}

async fn serve_connection(tcp: TcpStream, id: u64, acceptor: TlsAcceptor, state: Arc<State>) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(connection_id = id, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(connection_id = id, "TLS handshake timed out");
            return;
        }
    };
    state.count_handshake();
    let (_, server_conn) = tls.get_ref();
    let reset_on_close = Arc::new(AtomicBool::new(false));
    let info = Arc::new(ConnInfo {
        id,
        sni: server_conn.server_name().map(str::to_owned),
        peer_chain: server_conn
            .peer_certificates()
            .map(|certs| certs.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default(),
        reset_on_close: reset_on_close.clone(),
    });
    tracing::debug!(
        connection_id = id,
        sni = info.sni.as_deref().unwrap_or(""),
        client_cert = info.leaf().map(crate::certs::x5t_s256).unwrap_or_default(),
        "TLS handshake complete"
    );
    let service = service_fn(move |req| {
        let state = state.clone();
        let info = info.clone();
        async move { handle(&state, &info, req).await }
    });
    let io = ConnIo {
        tls,
        reset_on_close,
    };
    if let Err(e) = http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await
    {
        tracing::debug!(connection_id = id, error = %e, "connection ended with an error");
    }
}

/// The TLS stream of one connection; when dropped with `reset_on_close` set, the TCP
/// connection is aborted with a reset instead of a normal close.
struct ConnIo {
    tls: TlsStream<TcpStream>,
    reset_on_close: Arc<AtomicBool>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset_on_close.load(Ordering::Relaxed) {
            // SO_LINGER 0: close() sends RST and does not block. `set_linger` is deprecated in
            // newer Tokio only because a non-zero linger blocks on drop.
            #[allow(deprecated)]
            if let Err(e) = self.tls.get_ref().0.set_linger(Some(Duration::ZERO)) {
                tracing::debug!(error = %e, "could not arm the TCP reset");
            }
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }
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

/// What to do with a request once it has been read.
enum Outcome {
    Respond(Response<ServeBody>),
    /// Answer nothing; wait this long (if `Some`), then drop the connection.
    Drop(Option<Duration>),
}

async fn handle(
    state: &State,
    conn: &ConnInfo,
    req: Request<Incoming>,
) -> Result<Response<ServeBody>, Dropped> {
    let (parts, body) = req.into_parts();
    let authority = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
        .or_else(|| conn.sni.clone())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
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
    // Faults are taken before anything else looks at the request (tenant, client, credential).
    let fault = if fault::applies_to(&parts.method, &path) {
        state.faults.take()
    } else {
        None
    };
    if let Some(f) = &fault {
        tracing::info!(connection_id = conn.id, host = %host, path = %path, fault = ?f, "injecting fault");
    }

    let ctx = Ctx {
        state,
        conn,
        method: &parts.method,
        host: &host,
        authority: &authority,
        path: &path,
        query: query.as_deref(),
        headers: &parts.headers,
        form: &form,
        trace_id: trace_id.clone(),
        correlation_id: correlation_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        wrong_token_type: fault == Some(Fault::WrongTokenType),
    };

    let outcome = match &fault {
        Some(Fault::Stall(d)) => Outcome::Drop(Some(*d)),
        Some(Fault::ResetConnection) => Outcome::Drop(None),
        Some(f) => match fault_response::respond(&ctx, f) {
            Some(resp) => Outcome::Respond(resp),
            None => Outcome::Respond(serve(&ctx, body_error)),
        },
        None => Outcome::Respond(serve(&ctx, body_error)),
    };

    let status = match &outcome {
        Outcome::Respond(resp) => resp.status().as_u16(),
        Outcome::Drop(_) => 0,
    };
    tracing::debug!(
        connection_id = conn.id,
        method = %parts.method,
        host = %host,
        path = %path,
        status,
        "request"
    );
    state.log.push(LoggedRequest {
        connection_id: conn.id,
        method: parts.method.as_str().to_owned(),
        host,
        sni: conn.sni.clone(),
        path,
        query,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        form,
        client_certificate: conn.leaf().map(<[u8]>::to_vec),
        status,
    });

    match outcome {
        Outcome::Respond(mut resp) => {
            add_common_headers(&mut resp, correlation_id.as_deref(), &trace_id);
            Ok(resp)
        }
        Outcome::Drop(stall) => {
            match stall {
                Some(d) => tokio::time::sleep(d).await,
                None => conn.reset_on_close.store(true, Ordering::Relaxed),
            }
            Err(Dropped)
        }
    }
}

/// The normal answer to a request (no fault, or [`Fault::WrongTokenType`]).
fn serve(ctx: &Ctx<'_>, body_error: Option<String>) -> Response<ServeBody> {
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
pub(crate) fn not_found(ctx: &Ctx<'_>) -> Resp {
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
