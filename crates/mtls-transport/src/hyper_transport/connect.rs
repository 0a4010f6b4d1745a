//! Connection plumbing: a DNS resolver with per-host overrides and a connector wrapper that puts
//! one time limit on TCP connect plus TLS handshake.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use std::{fmt, io};

use http::Uri;
use hyper_util::client::legacy::connect::dns::{GaiAddrs, GaiResolver, Name};
use tower_service::Service;

use crate::error::BoxError;

/// Resolves overridden host names to fixed addresses and everything else through `getaddrinfo`.
///
/// Server name indication and certificate name checks still use the URL's host; only the
/// address the TCP connection goes to changes. When the URL has no explicit port the override's
/// port is used (hyper-util keeps a non-zero resolved port); an explicit URL port wins.
#[derive(Clone)]
pub(crate) struct OverrideResolver {
    overrides: Arc<HashMap<String, SocketAddr>>,
    gai: GaiResolver,
    overrides_only: bool,
}

impl OverrideResolver {
    /// `overrides` keys must be lower-case host names, or `*.suffix` patterns that match any
    /// host with at least one more label in front of `suffix`. With `overrides_only`, a host
    /// without an override fails instead of going to the system resolver.
    pub(crate) fn new(overrides: HashMap<String, SocketAddr>, overrides_only: bool) -> Self {
        Self {
            overrides: Arc::new(overrides),
            gai: GaiResolver::new(),
            overrides_only,
        }
    }

    fn lookup(&self, host: &str) -> Option<SocketAddr> {
        lookup_override(&self.overrides, host)
    }
}

/// The override of lower-case `host`: an exact entry, else the nearest `*.` wildcard.
pub(crate) fn lookup_override(
    overrides: &HashMap<String, SocketAddr>,
    host: &str,
) -> Option<SocketAddr> {
    if let Some(addr) = overrides.get(host) {
        return Some(*addr);
    }
    // Wildcards: try each parent domain, nearest first (`a.b.c` → `*.b.c`, `*.c`).
    let mut rest = host;
    while let Some((_, parent)) = rest.split_once('.') {
        if let Some(addr) = overrides.get(&format!("*.{parent}")) {
            return Some(*addr);
        }
        rest = parent;
    }
    None
}

impl fmt::Debug for OverrideResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OverrideResolver")
            .field("overrides", &self.overrides)
            .finish_non_exhaustive()
    }
}

/// Addresses produced by [`OverrideResolver`].
pub(crate) enum Addrs {
    Fixed(std::option::IntoIter<SocketAddr>),
    Gai(GaiAddrs),
}

impl Iterator for Addrs {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match self {
            Self::Fixed(it) => it.next(),
            Self::Gai(it) => it.next(),
        }
    }
}

type ResolveFuture = Pin<Box<dyn Future<Output = Result<Addrs, io::Error>> + Send>>;

impl Service<Name> for OverrideResolver {
    type Response = Addrs;
    type Error = io::Error;
    type Future = ResolveFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        self.gai.poll_ready(cx)
    }

    fn call(&mut self, name: Name) -> ResolveFuture {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        if let Some(addr) = self.lookup(&host) {
            return Box::pin(async move { Ok(Addrs::Fixed(Some(addr).into_iter())) });
        }
        if self.overrides_only {
            return Box::pin(async move {
                Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no address override for {host}, and system DNS is disabled (resolve_overrides_only)"),
                ))
            });
        }
        let fut = self.gai.call(name);
        Box::pin(async move { fut.await.map(Addrs::Gai) })
    }
}

/// Marker error: the connect phase (TCP + TLS) exceeded its time limit.
#[derive(Debug)]
pub(crate) struct ConnectTimeout(pub(crate) Duration);

impl fmt::Display for ConnectTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect timed out after {:?}", self.0)
    }
}

impl std::error::Error for ConnectTimeout {}

/// Wraps a connector so that DNS, TCP connect and the TLS handshake together are bounded.
#[derive(Clone, Debug)]
pub(crate) struct TimeoutConnector<C> {
    inner: C,
    timeout: Duration,
}

impl<C> TimeoutConnector<C> {
    pub(crate) fn new(inner: C, timeout: Duration) -> Self {
        Self { inner, timeout }
    }
}

type ConnectFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<C> Service<Uri> for TimeoutConnector<C>
where
    C: Service<Uri>,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = ConnectFuture<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let timeout = self.timeout;
        let fut = self.inner.call(dst);
        Box::pin(async move {
            match tokio::time::timeout(timeout, fut).await {
                Ok(result) => result.map_err(Into::into),
                Err(_) => Err(Box::new(ConnectTimeout(timeout)) as BoxError),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(only: bool) -> OverrideResolver {
        let addr: SocketAddr = "127.0.0.1:4443".parse().unwrap();
        let other: SocketAddr = "127.0.0.1:5553".parse().unwrap();
        OverrideResolver::new(
            HashMap::from([
                ("login.microsoftonline.com".to_owned(), addr),
                ("*.mtlsauth.microsoft.com".to_owned(), addr),
                ("*.microsoft.com".to_owned(), other),
            ]),
            only,
        )
    }

    #[test]
    fn exact_and_wildcard_lookup() {
        let r = resolver(false);
        let a = Some("127.0.0.1:4443".parse().unwrap());
        let b = Some("127.0.0.1:5553".parse().unwrap());
        assert_eq!(r.lookup("login.microsoftonline.com"), a);
        assert_eq!(r.lookup("eastus.mtlsauth.microsoft.com"), a);
        assert_eq!(r.lookup("x.y.mtlsauth.microsoft.com"), a);
        // the nearest wildcard wins; the bare suffix is not matched by its own wildcard
        assert_eq!(r.lookup("mtlsauth.microsoft.com"), b);
        assert_eq!(r.lookup("microsoft.com"), None);
        assert_eq!(r.lookup("example.org"), None);
    }

    #[tokio::test]
    async fn overrides_only_never_asks_dns() {
        let mut r = resolver(true);
        let err = r
            .call("unmapped.example".parse::<Name>().unwrap())
            .await
            .err()
            .expect("unmapped host fails");
        assert!(err.to_string().contains("no address override"), "{err}");
        let ok: Vec<SocketAddr> = r
            .call("westus.mtlsauth.microsoft.com".parse::<Name>().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(ok, vec!["127.0.0.1:4443".parse::<SocketAddr>().unwrap()]);
    }
}
