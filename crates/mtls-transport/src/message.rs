//! Transport-neutral request and response values.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

/// An HTTP request to be sent by a [`Transport`](crate::Transport).
///
/// `Debug` prints the method, the URL without query or fragment, the header *names* and the body
/// length, never header values or the body (they carry client secrets, assertions and tokens).
#[derive(Clone)]
pub struct HttpRequest {
    /// Request method.
    pub method: Method,
    /// Absolute `https://` (or, without a client identity, `http://`) URL.
    pub url: Url,
    /// Request headers. `host` and `content-length` are added by the transport.
    pub headers: HeaderMap,
    /// Request body (may be empty).
    pub body: Bytes,
}

impl HttpRequest {
    /// A `GET` request with no headers and an empty body.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `POST` of an `application/x-www-form-urlencoded` body (already encoded).
    pub fn post_form(url: Url, body: String) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        Self {
            method: Method::POST,
            url,
            headers,
            body: Bytes::from(body),
        }
    }

    /// Adds a header (appending if the name is already present) and returns the request.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &RedactedUrl(&self.url))
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response returned by a [`Transport`](crate::Transport). The body is fully read.
///
/// `Debug` prints the status, the header *names* and the body length only.
#[derive(Clone)]
pub struct HttpResponse {
    /// Response status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The complete response body.
    pub body: Bytes,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Formats a URL without user info, query or fragment.
pub(crate) struct RedactedUrl<'a>(pub(crate) &'a Url);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        write!(f, "{}://", url.scheme())?;
        if let Some(host) = url.host_str() {
            f.write_str(host)?;
        }
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())?;
        if url.query().is_some() {
            f.write_str("?…")?;
        }
        Ok(())
    }
}

struct HeaderNames<'a>(&'a HeaderMap);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.keys().map(HeaderName::as_str))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_authorization_value_body_and_query() {
        let url =
            Url::parse("https://login.example/tenant/oauth2/v2.0/token?secret=qqq#frag").unwrap();
        let req = HttpRequest::post_form(url, "client_secret=hunter2&grant_type=x".to_owned())
            .header(
                http::header::AUTHORIZATION,
                HeaderValue::from_static("mtls_pop eyJ0b2tlbi12YWx1ZQ"),
            );
        let s = format!("{req:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!s.contains("client_secret"), "{s}");
        assert!(!s.contains("eyJ0b2tlbi12YWx1ZQ"), "{s}");
        assert!(!s.contains("mtls_pop"), "{s}");
        assert!(!s.contains("qqq"), "{s}");
        assert!(!s.contains("frag"), "{s}");
        assert!(s.contains("authorization"), "{s}");
        assert!(s.contains("content-type"), "{s}");
        assert!(
            s.contains("https://login.example/tenant/oauth2/v2.0/token"),
            "{s}"
        );
        assert!(s.contains("body_len: 34"), "{s}");
        assert!(s.contains("POST"), "{s}");
    }

    #[test]
    fn debug_of_response_hides_body() {
        let resp = HttpResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"access_token":"secret-token-value"}"#),
        };
        let s = format!("{resp:?}");
        assert!(!s.contains("secret-token-value"), "{s}");
        assert!(s.contains("200"), "{s}");
    }

    #[test]
    fn post_form_sets_content_type() {
        let req = HttpRequest::post_form(Url::parse("https://a.example/").unwrap(), "a=b".into());
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            req.headers.get(http::header::CONTENT_TYPE).unwrap(),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(&req.body[..], b"a=b");
    }
}
