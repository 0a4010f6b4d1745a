//! The request context the route handlers see: the TLS connection ([`ConnInfo`]) and one HTTP
//! request on it ([`Ctx`]).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use hyper::{HeaderMap, Method};

use crate::respond::{self, Resp};
use crate::state::State;

/// What is known about one TLS connection.
#[derive(Debug)]
pub(crate) struct ConnInfo {
    pub(crate) id: u64,
    pub(crate) sni: Option<String>,
    /// Client certificate chain (leaf first), empty when none was presented.
    pub(crate) peer_chain: Vec<Vec<u8>>,
    /// Set to make the connection end with a TCP reset when it is dropped.
    pub(crate) reset_on_close: Arc<AtomicBool>,
}

impl ConnInfo {
    pub(crate) fn leaf(&self) -> Option<&[u8]> {
        self.peer_chain.first().map(Vec::as_slice)
    }
}

/// A request as the route handlers see it.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a State,
    pub(crate) conn: &'a ConnInfo,
    pub(crate) method: &'a Method,
    /// Normalised host (lower-case, no port).
    pub(crate) host: &'a str,
    /// The Host header as sent (lower-case, port kept), for building absolute URLs.
    pub(crate) authority: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) form: &'a [(String, String)],
    pub(crate) trace_id: String,
    pub(crate) correlation_id: String,
    /// The injected fault that alters this request's successful answer, if any
    /// ([`crate::Fault::alters_answer`]).
    pub(crate) answer_fault: Option<&'a crate::Fault>,
}

impl Ctx<'_> {
    /// The first form value `name`, treating an empty value as absent.
    pub(crate) fn form(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// How many times form field `name` occurs.
    pub(crate) fn form_count(&self, name: &str) -> usize {
        self.form.iter().filter(|(k, _)| k == name).count()
    }

    /// A query parameter (decoded).
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query?;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A request header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path split into non-empty segments.
    pub(crate) fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// An Entra-shaped error response for this request.
    pub(crate) fn sts_error(&self, e: &respond::StsError) -> Resp {
        e.respond(&self.trace_id, &self.correlation_id)
    }
}
