//! Test PKI (rcgen) and a real TLS test server (tokio-rustls + hyper) on 127.0.0.1.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mtls_transport::{
    Error, HttpRequest, HttpResponse, HyperTransport, HyperTransportBuilder, Transport as _,
};
use oauth2_core::ClientCertificate;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use url::Url;

pub const LOGIN_HOST: &str = "login.microsoftonline.com";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A test certificate authority.
pub struct Ca {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names`, with its key.
    pub fn server_cert(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.der().clone(),
            PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
    }

    /// An intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Self {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An ECDSA P-256 client certificate with subject CN=`cn`: its PEM and its key's PEM.
    pub fn client_cert_pem(&self, cn: &str) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// An ECDSA P-256 client certificate with subject CN=`cn`.
    pub fn client_cert(&self, cn: &str) -> ClientCertificate {
        let (cert, key) = self.client_cert_pem(cn);
        ClientCertificate::from_pem_parts(cert.as_bytes(), key.as_bytes()).unwrap()
    }
}

/// The parameters of a CA certificate named `name`.
fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

pub fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// GETs `https://{LOGIN_HOST}/t`, presenting `identity`.
pub async fn get_login(
    transport: &HyperTransport,
    identity: Option<&ClientCertificate>,
) -> Result<HttpResponse, Error> {
    let request = HttpRequest::get(url(&format!("https://{LOGIN_HOST}/t")));
    transport.send(request, identity).await
}

/// A transport builder trusting only `ca`, with `LOGIN_HOST` resolved to `addr`.
pub fn builder_for(ca: &Ca, addr: SocketAddr) -> HyperTransportBuilder {
    HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificate_der(ca.cert_der.to_vec())
        .resolve(LOGIN_HOST, addr)
}

/// A transport builder trusting one throwaway root, for tests against plain-HTTP servers or
/// connections that fail before a certificate is checked: they need some root to build, and
/// the Mozilla roots exist only with the `webpki-roots` feature.
pub fn any_roots() -> HyperTransportBuilder {
    HyperTransport::builder()
        .webpki_roots(false)
        .add_root_certificate_der(Ca::new("Unused Root CA").cert_der.to_vec())
}

/// How the server treats client certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Accepts connections with or without a client certificate (issued by the client CA).
    Optional,
    /// Requires a client certificate issued by the client CA.
    Required,
}

/// What the server saw on one TLS connection.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub sni: Option<String>,
    pub client_cert: Option<Vec<u8>>,
}

/// What the server saw for one request.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub conn: usize,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RequestInfo {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct ServerState {
    /// Completed TLS handshakes (or accepted TCP connections for plain servers).
    pub handshakes: AtomicUsize,
    /// Failed TLS handshakes.
    pub failed_handshakes: AtomicUsize,
    pub conns: Mutex<Vec<ConnInfo>>,
    pub requests: Mutex<Vec<RequestInfo>>,
}

impl ServerState {
    /// Records a completed handshake (or accepted plain connection) and returns its index.
    fn connected(&self, info: ConnInfo) -> usize {
        let mut conns = self.conns.lock().unwrap();
        conns.push(info);
        self.handshakes.fetch_add(1, Ordering::SeqCst);
        conns.len() - 1
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
}

impl TestServer {
    pub fn handshakes(&self) -> usize {
        self.state.handshakes.load(Ordering::SeqCst)
    }
    pub fn conns(&self) -> Vec<ConnInfo> {
        self.state.conns.lock().unwrap().clone()
    }
    pub fn requests(&self) -> Vec<RequestInfo> {
        self.state.requests.lock().unwrap().clone()
    }
}

/// Starts an HTTPS server on 127.0.0.1 with the given certificate, trusting `client_ca` for
/// client certificates.
pub async fn start_tls(
    server_cert: (CertificateDer<'static>, PrivateKeyDer<'static>),
    client_ca: &Ca,
    client_auth: ClientAuth,
) -> TestServer {
    let mut client_roots = RootCertStore::empty();
    client_roots.add(client_ca.cert_der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider());
    let verifier = match client_auth {
        ClientAuth::Optional => verifier.allow_unauthenticated().build().unwrap(),
        ClientAuth::Required => verifier.build().unwrap(),
    };
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert.0], server_cert.1)
        .unwrap();
    start(Some(TlsAcceptor::from(Arc::new(config)))).await
}

/// A CA, and an HTTPS server for [`LOGIN_HOST`] with a certificate from it that trusts it for
/// client certificates.
pub async fn start_login(client_auth: ClientAuth) -> (Ca, TestServer) {
    let ca = Ca::new("Test Root CA");
    let server = start_tls(ca.server_cert(&[LOGIN_HOST]), &ca, client_auth).await;
    (ca, server)
}

/// Starts a plain HTTP server on 127.0.0.1.
pub async fn start_plain() -> TestServer {
    start(None).await
}

/// Serves each connection on 127.0.0.1, over TLS with `acceptor` or else in plain text.
async fn start(acceptor: Option<TlsAcceptor>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(ServerState::default());
    let st = state.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let st = st.clone();
            tokio::spawn(async move {
                let Some(acceptor) = acceptor else {
                    let conn = st.connected(ConnInfo {
                        sni: None,
                        client_cert: None,
                    });
                    return serve(TokioIo::new(tcp), st, conn).await;
                };
                let Ok(tls) = acceptor.accept(tcp).await else {
                    st.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                let (_, session) = tls.get_ref();
                let conn = st.connected(ConnInfo {
                    sni: session.server_name().map(str::to_owned),
                    client_cert: session
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| c.to_vec()),
                });
                serve(TokioIo::new(tls), st, conn).await;
            });
        }
    });
    TestServer { addr, state }
}

/// Accepts TCP connections and never speaks (a stalled TLS handshake).
pub async fn start_silent() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    (addr, handle)
}

/// A plain-TCP server that reads each request head, writes `reply` as-is and closes the
/// connection (a broken or malformed HTTP exchange).
pub async fn start_raw(reply: &'static [u8]) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tcp.write_all(reply).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    addr
}

async fn serve<I>(io: I, st: Arc<ServerState>, conn: usize)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let st = st.clone();
        async move { Ok::<_, Infallible>(handle(req, st, conn).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

type ResBody = BoxBody<Bytes, Infallible>;

/// Routes:
/// - `/big/<n>`: `n` bytes with a content-length;
/// - `/chunked/<n>`: `n` bytes, chunked (no content-length);
/// - `/stall`: never answers;
/// - anything else: 200 with body `hello`.
async fn handle(req: Request<Incoming>, st: Arc<ServerState>, conn: usize) -> Response<ResBody> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
    st.requests.lock().unwrap().push(RequestInfo {
        conn,
        method,
        path: path.clone(),
        headers,
        body,
    });
    if let Some(n) = path.strip_prefix("/big/") {
        let n: usize = n.parse().unwrap();
        return Response::new(Full::new(Bytes::from(vec![b'a'; n])).boxed());
    }
    if let Some(n) = path.strip_prefix("/chunked/") {
        let n: usize = n.parse().unwrap();
        return Response::new(Chunks { remaining: n }.boxed());
    }
    if path == "/stall" {
        std::future::pending::<()>().await;
    }
    Response::new(Full::new(Bytes::from_static(b"hello")).boxed())
}

/// A body of unknown length made of 64 KiB chunks.
struct Chunks {
    remaining: usize,
}

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(64 * 1024);
        self.remaining -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'a'; n])))))
    }
}
