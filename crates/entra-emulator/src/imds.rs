//! A plain-HTTP stand-in for the Azure Instance Metadata Service, for region auto-detection
//! tests. Point the client's IMDS base URL at [`ImdsStub::base_url`]; never at 169.254.169.254.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::error::Error;
use crate::respond::{self, Resp};

/// API versions the stub accepts, newest first (as IMDS lists them in `newest-versions`).
const API_VERSIONS: &[&str] = &[
    "2023-07-01",
    "2021-12-13",
    "2021-02-01",
    "2021-01-01",
    "2020-09-01",
    "2019-06-01",
    "2017-08-01",
];

#[derive(Debug)]
struct Shared {
    location: Mutex<Option<String>>,
    requests: AtomicU64,
}

/// A running IMDS stub on `127.0.0.1` (plain HTTP). Dropping it or calling
/// [`ImdsStub::shutdown`] stops it.
///
/// `GET /metadata/instance/compute?api-version=2021-02-01` with `Metadata: true` answers
/// `{"location": ...}`; without a location it answers 404; without the `Metadata` header 400;
/// without or with an unknown `api-version` 400 with `newest-versions` (as IMDS does).
#[derive(Debug)]
pub struct ImdsStub {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ImdsStub {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl ImdsStub {
    /// Starts the stub on an OS-chosen loopback port. `location` is the region it reports
    /// (e.g. `Some("eastus")`); `None` makes the compute endpoint answer 404.
    pub async fn start(location: Option<&str>) -> Result<ImdsStub, Error> {
        let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| Error::Bind { addr: bind, source })?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            location: Mutex::new(location.map(str::to_owned)),
            requests: AtomicU64::new(0),
        });
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(run(listener, shared.clone(), rx));
        tracing::info!(%addr, "IMDS stub listening");
        Ok(ImdsStub {
            addr,
            shared,
            shutdown: tx,
            task: Mutex::new(Some(task)),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many HTTP requests the stub has received.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Changes the reported location (`None` → 404).
    pub fn set_location(&self, location: Option<&str>) {
        *self
            .shared
            .location
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = location.map(str::to_owned);
    }

    /// Stops the stub and waits for its task to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let shared = shared.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = shared.clone();
                            async move { Ok::<_, Infallible>(handle(&shared, &req)) }
                        });
                        let _ = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(TokioIo::new(tcp), service)
                            .await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "IMDS stub accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

fn bad_request(message: &str) -> Resp {
    respond::json(
        400,
        &json!({ "error": message, "newest-versions": &API_VERSIONS[..3] }),
    )
}

fn handle(shared: &Shared, req: &Request<Incoming>) -> Resp {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(method = %req.method(), path = req.uri().path(), "IMDS stub request");
    if req.method() != Method::GET || req.uri().path() != "/metadata/instance/compute" {
        return respond::json(404, &json!({ "error": "Not found" }));
    }
    let metadata = req
        .headers()
        .get("metadata")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !metadata {
        return respond::json(
            400,
            &json!({ "error": "Bad request. Required metadata header not specified" }),
        );
    }
    let api_version = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.into_owned())
    });
    match api_version {
        None => {
            return bad_request(
                "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds",
            )
        }
        Some(v) if !API_VERSIONS.contains(&v.as_str()) => {
            return bad_request(
                "Bad request. api-version is invalid. For more information refer to aka.ms/azureimds",
            )
        }
        Some(_) => {}
    }
    let location = shared
        .location
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match location {
        Some(location) => respond::json(
            200,
            &json!({
                "azEnvironment": "AzurePublicCloud",
                "location": location,
                "name": "emulated-vm",
                "osType": "Linux",
                "vmId": "00000000-0000-0000-0000-000000000001",
                "vmSize": "Standard_D2s_v3",
            }),
        ),
        None => respond::json(404, &json!({ "error": "Not found" })),
    }
}
