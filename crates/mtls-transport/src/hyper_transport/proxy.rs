//! HTTP proxies: an HTTP `CONNECT` tunnel through which TLS (with the client certificate) runs
//! end to end, so the proxy sees only the target's name and port and encrypted bytes.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::{fmt, io};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tower_service::Service;

use super::connect::OverrideResolver;
use crate::error::BoxError;
use crate::Error;

/// The longest proxy answer to `CONNECT` read (status line and headers).
const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

/// The Azure Instance Metadata Service: never reached through a proxy.
const IMDS_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(169, 254, 169, 254));

/// An HTTP proxy for [`HyperTransportBuilder::proxy`](crate::HyperTransportBuilder::proxy):
/// requests open an HTTP `CONNECT` tunnel through it, and TLS runs inside the tunnel.
///
/// ```
/// let proxy = mtls_transport::Proxy::new("http://proxy.contoso.example:3128")?
///     .no_proxy("localhost,.internal.contoso.example");
/// # Ok::<(), mtls_transport::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    https: Option<Target>,
    http: Option<Target>,
    no_proxy: Vec<String>,
}

/// A proxy's host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
}

impl Proxy {
    /// One proxy for `https://` and `http://` URLs: `http://host:port` (the port defaults to
    /// 80). Credentials in the URL and `https://` proxies are refused.
    pub fn new(url: &str) -> Result<Self, Error> {
        let target = Target::parse(url)?;
        Ok(Self {
            https: Some(target.clone()),
            http: Some(target),
            no_proxy: Vec::new(),
        })
    }

    /// The proxies the environment names, as curl and reqwest read them: `HTTPS_PROXY` for
    /// `https://` URLs, `HTTP_PROXY` for `http://` ones (upper or lower case, upper first), and
    /// `NO_PROXY`. `None` when neither proxy is set.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Error> {
        let var = |upper: &str| {
            lookup(upper)
                .or_else(|| lookup(&upper.to_ascii_lowercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let https = var("HTTPS_PROXY").map(|u| Target::parse(&u)).transpose()?;
        let http = var("HTTP_PROXY").map(|u| Target::parse(&u)).transpose()?;
        if https.is_none() && http.is_none() {
            return Ok(None);
        }
        let proxy = Self {
            https,
            http,
            no_proxy: Vec::new(),
        };
        Ok(Some(match var("NO_PROXY") {
            Some(list) => proxy.no_proxy(&list),
            None => proxy,
        }))
    }

    /// Hosts reached directly, as `NO_PROXY` lists them: comma-separated names (also matching
    /// their subdomains; a leading `.` is allowed), IP addresses, or `*` for every host. The
    /// IMDS address 169.254.169.254 is always reached directly.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no_proxy = list
            .split(',')
            .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        self
    }

    /// The proxy for a request to `host` with `scheme`, if any.
    fn for_host(&self, scheme: Option<&str>, host: &str) -> Option<&Target> {
        let target = match scheme {
            Some("https") => self.https.as_ref(),
            _ => self.http.as_ref(),
        }?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().ok() == Some(IMDS_IP) {
            return None;
        }
        let bypass = self.no_proxy.iter().any(|entry| {
            entry == "*"
                || host == entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        });
        (!bypass).then_some(target)
    }
}

impl Target {
    fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |why: &str| Error::InvalidProxy {
            reason: format!("{why}; give http://host:port"),
        };
        let parsed = url::Url::parse(url.trim()).map_err(|_| invalid("not a URL"))?;
        if parsed.scheme() != "http" {
            return Err(invalid(
                "only http:// proxies are supported (TLS runs inside the tunnel)",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("proxy credentials are not supported"));
        }
        let host = parsed.host_str().ok_or_else(|| invalid("no host"))?;
        Ok(Self {
            host: host.to_owned(),
            port: parsed.port_or_known_default().unwrap_or(80),
        })
    }
}

/// The connector under TLS: straight to the target, or through the proxy's `CONNECT` tunnel.
/// Through a proxy, a resolver override of the target host also applies: the `CONNECT` names
/// the overridden address, so the proxy never resolves a name the transport would not.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector<OverrideResolver>,
    proxy: Option<Arc<Proxy>>,
    overrides: Arc<HashMap<String, SocketAddr>>,
}

impl ProxyConnector {
    pub(crate) fn new(
        http: HttpConnector<OverrideResolver>,
        proxy: Option<Proxy>,
        overrides: HashMap<String, SocketAddr>,
    ) -> Self {
        Self {
            http,
            proxy: proxy.map(Arc::new),
            overrides: Arc::new(overrides),
        }
    }

    /// `host:port` for the `CONNECT` line.
    fn authority(&self, uri: &Uri) -> Result<String, io::Error> {
        let host = uri
            .host()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URL without a host"))?;
        let default_port = if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        };
        let port = uri.port_u16().unwrap_or(default_port);
        let lower = host.to_ascii_lowercase();
        Ok(
            match super::connect::lookup_override(&self.overrides, &lower) {
                Some(addr) => {
                    SocketAddr::new(addr.ip(), uri.port_u16().unwrap_or(addr.port())).to_string()
                }
                None => format!("{host}:{port}"),
            },
        )
    }
}

impl fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> ConnectFuture {
        let proxy = self
            .proxy
            .as_ref()
            .and_then(|p| p.for_host(uri.scheme_str(), uri.host().unwrap_or_default()))
            .cloned();
        let Some(proxy) = proxy else {
            let fut = self.http.call(uri);
            return Box::pin(async move { fut.await.map_err(Into::into) });
        };
        let authority = self.authority(&uri);
        let proxy_uri = format!("http://{}:{}", bracketed(&proxy.host), proxy.port).parse::<Uri>();
        let mut http = self.http.clone();
        Box::pin(async move {
            let authority = authority?;
            let proxy_uri = proxy_uri.map_err(|e| format!("invalid proxy address: {e}"))?;
            let stream = http.call(proxy_uri).await.map_err(|e| {
                format!(
                    "cannot connect to the proxy {}:{}: {e}",
                    proxy.host, proxy.port
                )
            })?;
            let mut tcp = stream.into_inner();
            tunnel(&mut tcp, &authority).await?;
            tracing::debug!(proxy = %format!("{}:{}", proxy.host, proxy.port), target = %authority, "CONNECT tunnel open");
            Ok(TokioIo::new(tcp))
        })
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// Sends `CONNECT authority` and reads the proxy's answer: a 2xx opens the tunnel.
async fn tunnel(tcp: &mut TcpStream, authority: &str) -> Result<(), BoxError> {
    let request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut answer = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    // read byte chunks until the end of the headers; nothing after them is read, since the
    // proxy sends nothing before the client's TLS hello
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        if answer.len() > MAX_CONNECT_RESPONSE {
            return Err(format!(
                "the proxy's answer to CONNECT is longer than {MAX_CONNECT_RESPONSE} bytes"
            )
            .into());
        }
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            return Err("the proxy closed the connection during CONNECT".into());
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let status_line = answer
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_owned())
        .unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(()),
        _ => Err(format!(
            "the proxy refused CONNECT {authority}: {:?}",
            status_line.chars().take(200).collect::<String>()
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matches_names_suffixes_and_star() {
        let proxy = Proxy::new("http://127.0.0.1:3128")
            .unwrap()
            .no_proxy("localhost, .contoso.example,10.0.0.1");
        for direct in [
            "localhost",
            "a.contoso.example",
            "contoso.example",
            "10.0.0.1",
            "169.254.169.254",
        ] {
            assert!(proxy.for_host(Some("https"), direct).is_none(), "{direct}");
        }
        for proxied in ["login.microsoftonline.com", "xcontoso.example", "10.0.0.2"] {
            assert!(
                proxy.for_host(Some("https"), proxied).is_some(),
                "{proxied}"
            );
        }
        let all = Proxy::new("http://p:1").unwrap().no_proxy("*");
        assert!(all
            .for_host(Some("https"), "login.microsoftonline.com")
            .is_none());
    }

    #[test]
    fn env_variables_and_url_rules() {
        let env: HashMap<&str, &str> = HashMap::from([
            ("https_proxy", "http://127.0.0.1:8888"),
            ("NO_PROXY", "localhost"),
        ]);
        let proxy = Proxy::from_env(|k| env.get(k).map(|v| v.to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(proxy.https.as_ref().unwrap().port, 8888);
        assert!(proxy.http.is_none());
        assert!(proxy.for_host(Some("http"), "example.com").is_none());
        assert!(proxy.for_host(Some("https"), "localhost").is_none());
        assert!(Proxy::from_env(|_| None).unwrap().is_none());
        for bad in ["https://p:1", "http://user:pw@p:1", "not a url"] {
            let err = Proxy::new(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_proxy", "{bad}");
        }
        assert_eq!(Proxy::new("http://p").unwrap().https.unwrap().port, 80);
    }
}
