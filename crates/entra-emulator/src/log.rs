//! The in-memory request log tests inspect.

use std::fmt;
use std::sync::Mutex;

/// Form fields and headers whose values `Debug` never prints.
const SENSITIVE_FORM: &[&str] = &[
    "client_secret",
    "client_assertion",
    "assertion",
    "refresh_token",
];
const SENSITIVE_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// One HTTP request the emulator received, with the status it answered.
///
/// The raw form values are kept so tests can inspect exactly what a client sent (including
/// `client_assertion`); `Debug` redacts secrets, assertions and `Authorization` headers.
#[derive(Clone)]
pub struct LoggedRequest {
    /// Sequence number of the TCP/TLS connection the request arrived on (starts at 1).
    pub connection_id: u64,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// The Host header without port, lower-case.
    pub host: String,
    /// The TLS SNI name the client sent, if any.
    pub sni: Option<String>,
    /// The request path (no query).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers with lower-cased names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The decoded `application/x-www-form-urlencoded` body, order kept (empty otherwise).
    pub form: Vec<(String, String)>,
    /// The leaf certificate (DER) the client presented in the TLS handshake, if any.
    pub client_certificate: Option<Vec<u8>>,
    /// The HTTP status the emulator answered with.
    pub status: u16,
}

impl LoggedRequest {
    /// The first form value named `name`.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Form field names in body order.
    pub fn form_names(&self) -> Vec<&str> {
        self.form.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Header names (lower-case) in arrival order.
    pub fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }
}

struct Redacted<'a>(&'a [(String, String)], &'a [&'a str]);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                if self.1.iter().any(|s| k.eq_ignore_ascii_case(s)) {
                    (k.as_str(), "<redacted>")
                } else {
                    (k.as_str(), v.as_str())
                }
            }))
            .finish()
    }
}

impl fmt::Debug for LoggedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggedRequest")
            .field("connection_id", &self.connection_id)
            .field("method", &self.method)
            .field("host", &self.host)
            .field("sni", &self.sni)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &Redacted(&self.headers, SENSITIVE_HEADERS))
            .field("form", &Redacted(&self.form, SENSITIVE_FORM))
            .field(
                "client_certificate",
                &self
                    .client_certificate
                    .as_deref()
                    .map(crate::certs::x5t_s256),
            )
            .field("status", &self.status)
            .finish()
    }
}

/// Thread-safe append-only request log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
}

impl RequestLog {
    pub(crate) fn push(&self, entry: LoggedRequest) {
        self.lock().push(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedRequest>> {
        // A panic while holding the lock cannot leave the Vec inconsistent; keep serving.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let r = LoggedRequest {
            connection_id: 1,
            method: "POST".into(),
            host: "login.microsoftonline.com".into(),
            sni: None,
            path: "/t/oauth2/v2.0/token".into(),
            query: None,
            headers: vec![("authorization".into(), "Bearer SECRET1".into())],
            form: vec![
                ("client_secret".into(), "SECRET2".into()),
                ("client_assertion".into(), "SECRET3".into()),
                (
                    "scope".into(),
                    "https://graph.microsoft.com/.default".into(),
                ),
            ],
            client_certificate: None,
            status: 200,
        };
        let s = format!("{r:?}");
        assert!(!s.contains("SECRET"), "{s}");
        assert!(s.contains("graph.microsoft.com"));
        assert_eq!(r.form_value("client_secret"), Some("SECRET2"));
        assert_eq!(r.header("Authorization"), Some("Bearer SECRET1"));
        assert_eq!(
            r.form_names(),
            ["client_secret", "client_assertion", "scope"]
        );
    }
}
