//! Turns hyper, hyper-util, rustls and io failures into crate [`Error`]s, keeping the original
//! failure as the error's `source()`.

use std::error::Error as StdError;
use std::{fmt, io};

use super::connect::ConnectTimeout;
use super::tls;
use crate::error::{BoxError, TimeoutPhase};
use crate::Error;

/// Iterates over an error and its causes, looking inside `io::Error` wrappers (whose `source()`
/// skips the wrapped error).
fn error_chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e| next_cause(*e))
}

fn next_cause<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match e.downcast_ref::<io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => e.source(),
    }
}

/// Maps a failure of hyper-util's client (connecting, sending or reading the head).
pub(super) fn map_client_error(err: hyper_util::client::legacy::Error, host: &str) -> Error {
    let connect = err.is_connect();
    map_error_chain(Box::new(err), host, connect)
}

/// Maps a hyper/hyper-util error to a crate error. `connect` is true when the failure happened
/// while opening the connection.
pub(super) fn map_error_chain(err: BoxError, host: &str, connect: bool) -> Error {
    let chain: &(dyn StdError + 'static) = err.as_ref();
    for e in error_chain(chain) {
        if let Some(t) = e.downcast_ref::<ConnectTimeout>() {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: t.0,
            };
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls::map_rustls_error(tls, host);
        }
    }
    let description = describe_chain(chain);
    if connect {
        let kind = error_chain(chain)
            .filter_map(|e| e.downcast_ref::<io::Error>())
            .last()
            .map_or(io::ErrorKind::Other, io::Error::kind);
        let described = Described {
            description,
            original: err,
        };
        Error::Connect {
            host: host.to_owned(),
            source: Box::new(io::Error::new(kind, described)),
        }
    } else {
        Error::Http {
            reason: description,
            source: err,
        }
    }
}

/// "cause: cause: ..." without repeated messages; skips hyper-util's generic outer wrapper.
fn describe_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in error_chain(err) {
        if e.is::<hyper_util::client::legacy::Error>() && e.source().is_some() {
            continue;
        }
        let msg = e.to_string();
        if parts.last().is_some_and(|last| *last == msg) {
            continue;
        }
        parts.push(msg);
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// An error shown as the description of its whole chain, with the original as `source()`.
#[derive(Debug)]
struct Described {
    description: String,
    original: BoxError,
}

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl StdError for Described {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.original.as_ref())
    }
}
