//! Turns hyper, hyper-util, rustls and io failures into crate [`Error`]s.

use std::error::Error as StdError;
use std::io;

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
pub(super) fn map_client_error(err: &hyper_util::client::legacy::Error, host: &str) -> Error {
    map_error_chain(err, host, err.is_connect())
}

/// Maps a hyper/hyper-util error to a crate error. `connect` is true when the failure happened
/// while opening the connection.
pub(super) fn map_error_chain(err: &(dyn StdError + 'static), host: &str, connect: bool) -> Error {
    for e in error_chain(err) {
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
    let description = describe_chain(err);
    if connect {
        let kind = error_chain(err)
            .filter_map(|e| e.downcast_ref::<io::Error>())
            .last()
            .map_or(io::ErrorKind::Other, io::Error::kind);
        Error::Connect {
            host: host.to_owned(),
            source: Box::new(io::Error::new(kind, description)) as BoxError,
        }
    } else {
        Error::Http {
            reason: description,
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
