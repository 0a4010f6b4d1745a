//! Checks an [`HttpRequest`] and turns it into a hyper request.

use bytes::Bytes;
use http_body_util::Full;
use oauth2_core::ClientCertificate;

use crate::message::RedactedUrl;
use crate::{Error, HttpRequest};

/// Checks scheme, host and the identity/scheme combination; returns the host.
pub(super) fn validate(
    request: &HttpRequest,
    identity: Option<&ClientCertificate>,
) -> Result<String, Error> {
    let url = &request.url;
    match url.scheme() {
        "https" => {}
        "http" if identity.is_none() => {}
        "http" => {
            return Err(Error::invalid_request(format!(
                "{} uses plain http, but a TLS client certificate can only be presented over \
                 https; use an https URL for certificate-bound (mTLS) requests",
                RedactedUrl(url)
            )))
        }
        other => {
            return Err(Error::invalid_request(format!(
                "unsupported URL scheme {other:?}; only https (and http without a client \
                 certificate) are supported"
            )))
        }
    }
    match url.host_str() {
        Some(host) if !host.is_empty() => Ok(host.to_owned()),
        _ => Err(Error::invalid_request(format!(
            "URL {} has no host",
            RedactedUrl(url)
        ))),
    }
}

/// The hyper request for `request`: URI without fragment, `content-length` where needed.
pub(super) fn to_hyper_request(request: HttpRequest) -> Result<http::Request<Full<Bytes>>, Error> {
    let HttpRequest {
        method,
        url,
        mut headers,
        body,
    } = request;
    let uri: http::Uri = url[..url::Position::AfterQuery].parse().map_err(|e| {
        let reason = format!("URL {} is not a valid URI: {e}", RedactedUrl(&url));
        Error::invalid_request_caused_by(reason, e)
    })?;
    let needs_length = !body.is_empty()
        || matches!(
            method,
            http::Method::POST | http::Method::PUT | http::Method::PATCH
        );
    if needs_length {
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(body.len()),
        );
    }
    let mut builder = http::Request::builder().method(method).uri(uri);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    builder
        .body(Full::new(body))
        .map_err(|e| Error::invalid_request_caused_by(e.to_string(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_without_identity_is_allowed_other_schemes_are_not() {
        let req = HttpRequest::get(url::Url::parse("http://127.0.0.1:1/x").unwrap());
        assert_eq!(validate(&req, None).unwrap(), "127.0.0.1");
        let req = HttpRequest::get(url::Url::parse("ftp://a.example/x").unwrap());
        assert!(matches!(
            validate(&req, None),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn post_gets_content_length_and_get_does_not() {
        let url = url::Url::parse("https://a.example/p?q=1#frag").unwrap();
        let req = to_hyper_request(HttpRequest::post_form(url.clone(), String::new())).unwrap();
        assert_eq!(req.headers()[http::header::CONTENT_LENGTH], "0");
        assert_eq!(req.uri().to_string(), "https://a.example/p?q=1");
        let req = to_hyper_request(HttpRequest::get(url)).unwrap();
        assert!(req.headers().get(http::header::CONTENT_LENGTH).is_none());
        assert!(req.headers().is_empty());
    }
}
