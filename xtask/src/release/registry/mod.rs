//! A real cargo registry on loopback, for the release rehearsal: a sparse index, the publish
//! API and downloads, over plain HTTP on `127.0.0.1`, stored in a folder.
//!
//! * `GET /index/config.json`: `{"dl": ".../api/v1/crates", "api": "..."}`;
//! * `GET /index/<prefix>/<name>`: the crate's index file (see [`index::index_path`]);
//! * `PUT /api/v1/crates/new`: a publish (see [`publish::parse`]); the `.crate` is stored and a
//!   line (see [`index::index_line`]) appended to the crate's index file;
//! * `GET /api/v1/crates/<name>/<version>/download`: the `.crate` file.
//!
//! Cargo reaches it as `sparse+http://127.0.0.1:PORT/index/`. The server stops when the
//! [`LocalRegistry`] is dropped, so a failed release step stops it too.

pub(crate) mod http;
pub(crate) mod index;
pub(crate) mod publish;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use http::{Request, Response};

/// The publish API's answer to a successful publish.
const PUBLISH_OK: &str = r#"{"warnings":{"invalid_categories":[],"invalid_badges":[],"other":[]}}"#;

/// What the request handlers share.
#[derive(Debug)]
struct Store {
    /// Holds `index/` (config.json and the index files) and `crates/<name>/<version>.crate`.
    dir: PathBuf,
    /// The packages this registry stands in for crates.io for (see [`index::index_dep`]).
    stand_in: BTreeSet<String>,
    /// Serialises publishes (read, append, write of an index file).
    lock: Mutex<()>,
}

/// A running registry; dropping it stops the server.
#[derive(Debug)]
pub(crate) struct LocalRegistry {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LocalRegistry {
    /// Starts a registry on an ephemeral loopback port, storing into `dir` (emptied first). It
    /// stands in for crates.io for the packages named in `stand_in`.
    pub(crate) fn start(dir: &Path, stand_in: BTreeSet<String>) -> io::Result<Self> {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir.join("index"))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let root = format!("http://{addr}");
        let config = serde_json::json!({ "dl": format!("{root}/api/v1/crates"), "api": root });
        fs::write(dir.join("index/config.json"), config.to_string())?;
        let store = Arc::new(Store {
            dir: dir.to_path_buf(),
            stand_in,
            lock: Mutex::new(()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("local-registry".to_owned())
            .spawn(move || serve(&listener, &store, &flag))?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The index URL cargo is given: `sparse+http://127.0.0.1:PORT/index/`.
    pub(crate) fn index_url(&self) -> String {
        format!("sparse+http://{}/index/", self.addr)
    }

    /// The address served.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its accept loop to end.
    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.store(true, Ordering::SeqCst);
            // Wake the blocking accept.
            drop(TcpStream::connect(self.addr));
            let _ = thread.join();
        }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The accept loop: one thread per connection, until `stop` is set.
fn serve(listener: &TcpListener, store: &Arc<Store>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let store = store.clone();
        std::thread::spawn(move || {
            if let Ok(request) = http::read_request(&stream) {
                let response = route(&store, &request);
                let _ = http::write_response(&stream, &response);
            }
        });
    }
}

/// Answers one request.
fn route(store: &Store, req: &Request) -> Response {
    let path = req.path.as_str();
    match (req.method.as_str(), path) {
        ("PUT", "/api/v1/crates/new") => match publish(store, &req.body) {
            Ok(()) => Response::json(PUBLISH_OK.to_owned()),
            Err(e) => Response::api_error(400, &e),
        },
        ("GET", "/index/config.json") => {
            file(&store.dir.join("index/config.json"), "application/json")
        }
        ("GET", _) if path.starts_with("/index/") => {
            let name = path.rsplit('/').next().unwrap_or_default();
            match index::index_path(name) {
                Some(rel) if path == format!("/index/{rel}") => {
                    file(&store.dir.join("index").join(rel), "text/plain")
                }
                _ => Response::not_found(),
            }
        }
        ("GET", _) => match download_path(path) {
            Some((name, vers)) => file(&crate_path(&store.dir, &name, &vers), "application/x-tar"),
            None => Response::not_found(),
        },
        _ => Response::new(405, "text/plain", b"method not allowed\n".to_vec()),
    }
}

/// `(name, version)` of `/api/v1/crates/<name>/<version>/download`, both checked.
pub(crate) fn download_path(path: &str) -> Option<(String, String)> {
    let rest = path
        .strip_prefix("/api/v1/crates/")?
        .strip_suffix("/download")?;
    let (name, vers) = rest.split_once('/')?;
    index::index_path(name)?;
    semver::Version::parse(vers).ok()?;
    Some((name.to_ascii_lowercase(), vers.to_owned()))
}

/// Where a `.crate` file is stored below the registry's folder `dir`.
pub(crate) fn crate_path(dir: &Path, name: &str, vers: &str) -> PathBuf {
    dir.join("crates")
        .join(name.to_ascii_lowercase())
        .join(format!("{vers}.crate"))
}

/// A file's contents, or a 404.
fn file(path: &Path, content_type: &'static str) -> Response {
    match fs::read(path) {
        Ok(body) => Response::new(200, content_type, body),
        Err(_) => Response::not_found(),
    }
}

/// Stores a published crate and appends its index line; a version published before is refused.
fn publish(store: &Store, body: &[u8]) -> Result<(), String> {
    let request = publish::parse(body)?;
    let meta = &request.meta;
    let cksum = index::sha256_hex(&request.crate_file);
    let line = index::index_line(meta, &cksum, &store.stand_in);
    let line = serde_json::to_string(&line).map_err(|e| e.to_string())?;
    let rel = index::index_path(&meta.name).ok_or("invalid crate name")?;
    let index_file = store.dir.join("index").join(rel);
    let _guard = store.lock.lock().map_err(|_| "registry lock poisoned")?;
    let mut existing = fs::read_to_string(&index_file).unwrap_or_default();
    let taken = existing.lines().any(|l| {
        serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["vers"] == meta.vers.as_str())
    });
    if taken {
        return Err(format!(
            "crate version `{} {}` is already uploaded",
            meta.name, meta.vers
        ));
    }
    existing.push_str(&line);
    existing.push('\n');
    let crate_file = crate_path(&store.dir, &meta.name, &meta.vers);
    let write = || -> io::Result<()> {
        fs::create_dir_all(crate_file.parent().unwrap_or(&store.dir))?;
        fs::write(&crate_file, &request.crate_file)?;
        fs::create_dir_all(index_file.parent().unwrap_or(&store.dir))?;
        fs::write(&index_file, &existing)
    };
    write().map_err(|e| format!("cannot store {} {}: {e}", meta.name, meta.vers))
}
