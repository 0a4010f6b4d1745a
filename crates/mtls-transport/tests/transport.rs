//! End-to-end tests of `HyperTransport` against real TLS servers on 127.0.0.1.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode};
use mtls_transport::{Error, HttpRequest, HyperTransport, TimeoutPhase, Transport};
use support::{
    any_roots, builder_for, get_login, start_login, start_plain, start_raw, start_silent,
    start_tls, url, Ca, ClientAuth, TestServer, LOGIN_HOST,
};

struct Setup {
    ca: Ca,
    server: TestServer,
    transport: HyperTransport,
}

/// A login server and a transport trusting its CA, with `LOGIN_HOST` resolved to it.
async fn setup(client_auth: ClientAuth) -> Setup {
    let (ca, server) = start_login(client_auth).await;
    let transport = builder_for(&ca, server.addr).build().unwrap();
    Setup {
        ca,
        server,
        transport,
    }
}

/// The reason of an `Error::Tls`; panics on any other error.
#[track_caller]
fn tls_reason(err: &Error) -> &str {
    match err {
        Error::Tls { reason, .. } => reason,
        other => panic!("expected Error::Tls, got {other:?}"),
    }
}

/// Asserts a retryable timeout in `phase`, a connect error exactly when connecting timed out.
#[track_caller]
fn assert_timeout(err: &Error, phase: TimeoutPhase) {
    assert!(
        matches!(err, Error::Timeout { phase: p, .. } if *p == phase),
        "{phase:?}: {err:?}"
    );
    assert!(err.is_timeout(), "{phase:?}");
    assert_eq!(
        err.is_connect(),
        phase == TimeoutPhase::Connect,
        "{phase:?}"
    );
    assert!(err.is_retryable(), "{phase:?}");
}

#[tokio::test]
async fn resolver_override_reaches_loopback_with_real_sni_and_host() {
    let s = setup(ClientAuth::Optional).await;
    // No port in the URL: the override's (random) port must be used.
    let req = HttpRequest::post_form(
        url("https://login.microsoftonline.com/t/x?api-version=1"),
        "grant_type=client_credentials".to_owned(),
    );
    let resp = s.transport.send(req, None).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(&resp.body[..], b"hello");

    let conns = s.server.conns();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].sni.as_deref(), Some(LOGIN_HOST));

    let reqs = s.server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/t/x");
    assert_eq!(r.header("host"), Some(LOGIN_HOST));
    assert_eq!(r.header("content-length"), Some("29"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.body, b"grant_type=client_credentials");
    // Nothing but host, content-type and content-length.
    let mut names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["content-length", "content-type", "host"]);
}

#[tokio::test]
async fn explicit_url_port_wins_over_override_port() {
    let s = setup(ClientAuth::Optional).await;
    // Port 1 would fail; the URL's explicit port must be used instead.
    let transport = builder_for(&s.ca, SocketAddr::from(([127, 0, 0, 1], 1)))
        .build()
        .unwrap();
    let u = url(&format!("https://{LOGIN_HOST}:{}/p", s.server.addr.port()));
    let resp = transport.send(HttpRequest::get(u), None).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    let reqs = s.server.requests();
    assert_eq!(
        reqs[0].header("host"),
        Some(format!("{LOGIN_HOST}:{}", s.server.addr.port()).as_str())
    );
}

#[tokio::test]
async fn untrusted_server_ca_is_a_tls_error() {
    let trusted = Ca::new("Trusted CA");
    let rogue = Ca::new("Rogue CA");
    let server = start_tls(
        rogue.server_cert(&[LOGIN_HOST]),
        &trusted,
        ClientAuth::Optional,
    )
    .await;
    let transport = builder_for(&trusted, server.addr).build().unwrap();
    let err = get_login(&transport, None).await.unwrap_err();
    match &err {
        Error::Tls {
            host,
            reason,
            source,
        } => {
            assert_eq!(host, LOGIN_HOST);
            assert!(reason.contains("not trusted"), "{reason}");
            assert!(reason.contains("unknown issuer"), "{reason}");
            assert!(
                matches!(
                    source.downcast_ref::<rustls::Error>(),
                    Some(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::UnknownIssuer
                    ))
                ),
                "{source:?}"
            );
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert_eq!(err.code(), "tls_error");
    assert!(!err.is_connect());
    assert!(!err.is_retryable(), "a verification failure is permanent");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn server_cert_for_another_name_is_a_tls_error() {
    let ca = Ca::new("Test Root CA");
    let server = start_tls(
        ca.server_cert(&["other.example"]),
        &ca,
        ClientAuth::Optional,
    )
    .await;
    let transport = builder_for(&ca, server.addr).build().unwrap();
    let err = get_login(&transport, None).await.unwrap_err();
    let reason = tls_reason(&err);
    assert!(
        reason.contains("not valid for name login.microsoftonline.com"),
        "{reason}"
    );
    assert!(err.to_string().contains("not valid for name"), "{err}");
}

#[tokio::test]
async fn identity_is_presented_and_absent_without_one() {
    let s = setup(ClientAuth::Optional).await;
    let cert = s.ca.client_cert("app-one");
    let u = url("https://login.microsoftonline.com/t/oauth2/v2.0/token");

    let resp = s
        .transport
        .send(HttpRequest::get(u.clone()), Some(&cert))
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    s.transport.send(HttpRequest::get(u), None).await.unwrap();

    let conns = s.server.conns();
    assert_eq!(
        conns.len(),
        2,
        "identity and no identity must not share a connection"
    );
    let reqs = s.server.requests();
    let with_id = &conns[reqs[0].conn];
    let without = &conns[reqs[1].conn];
    assert_eq!(with_id.client_cert.as_deref(), Some(cert.leaf_der()));
    assert_eq!(without.client_cert, None);
}

#[tokio::test]
async fn server_requiring_a_client_cert_reports_its_absence() {
    let s = setup(ClientAuth::Required).await;
    let err = get_login(&s.transport, None).await.unwrap_err();
    let reason = tls_reason(&err);
    assert!(
        reason.contains("requires a TLS client certificate"),
        "{reason}"
    );
    // With a certificate from the CA the server trusts, the same server accepts the request.
    let cert = s.ca.client_cert("app-one");
    let resp = get_login(&s.transport, Some(&cert)).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
}

#[tokio::test]
async fn server_rejecting_the_client_cert_is_reported() {
    let s = setup(ClientAuth::Required).await;
    let stranger = Ca::new("Unknown client CA").client_cert("stranger");
    let err = get_login(&s.transport, Some(&stranger)).await.unwrap_err();
    let reason = tls_reason(&err);
    assert!(
        reason.contains("rejected the TLS client certificate"),
        "{reason}"
    );
}

/// Sends `n` sequential requests with `identity`, letting the transport return the connection
/// to its pool between them.
async fn send_n(
    transport: &HyperTransport,
    identity: Option<&oauth2_core::ClientCertificate>,
    n: usize,
) {
    for _ in 0..n {
        let resp = transport
            .send(
                HttpRequest::post_form(
                    url("https://login.microsoftonline.com/t/token"),
                    "a=b".into(),
                ),
                identity,
            )
            .await
            .unwrap();
        assert_eq!(resp.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn one_pooled_connection_per_identity() {
    let s = setup(ClientAuth::Optional).await;
    let one = s.ca.client_cert("app-one");
    let two = s.ca.client_cert("app-two");
    assert_eq!(s.transport.pooled_identities(), 0);

    send_n(&s.transport, Some(&one), 3).await;
    let reqs = s.server.requests();
    assert!(
        reqs.iter().all(|r| r.conn == reqs[0].conn),
        "requests with one identity must reuse one connection: {reqs:?}"
    );
    assert_eq!(s.transport.pooled_identities(), 1);

    send_n(&s.transport, Some(&two), 2).await;
    let reqs = s.server.requests();
    assert_ne!(
        reqs[3].conn, reqs[0].conn,
        "a second identity needs its own connection"
    );
    assert_eq!(reqs[3].conn, reqs[4].conn);
    assert_eq!(s.transport.pooled_identities(), 2);

    // Back to the first identity: still its original connection.
    send_n(&s.transport, Some(&one), 1).await;
    let reqs = s.server.requests();
    assert_eq!(reqs[5].conn, reqs[0].conn);

    let conns = s.server.conns();
    assert_eq!(
        conns[reqs[0].conn].client_cert.as_deref(),
        Some(one.leaf_der())
    );
    assert_eq!(
        conns[reqs[3].conn].client_cert.as_deref(),
        Some(two.leaf_der())
    );
    assert_eq!(s.server.handshakes(), 2);
    assert_eq!(s.transport.pooled_identities(), 2);

    // A clone shares the pools.
    let clone = s.transport.clone();
    send_n(&clone, Some(&two), 1).await;
    assert_eq!(s.server.handshakes(), 2);
}

#[tokio::test]
async fn identity_pools_are_bounded_lru() {
    let (ca, server) = start_login(ClientAuth::Optional).await;
    let transport = builder_for(&ca, server.addr)
        .max_identities(2)
        .build()
        .unwrap();
    let (a, b, c) = (
        ca.client_cert("a"),
        ca.client_cert("b"),
        ca.client_cert("c"),
    );
    send_n(&transport, Some(&a), 1).await;
    send_n(&transport, Some(&b), 1).await;
    send_n(&transport, Some(&a), 1).await; // a is now the most recently used
    send_n(&transport, Some(&c), 1).await; // evicts b
    assert_eq!(transport.pooled_identities(), 2);
    assert_eq!(server.handshakes(), 3);
    send_n(&transport, Some(&a), 1).await; // still pooled
    assert_eq!(server.handshakes(), 3);
    send_n(&transport, Some(&b), 1).await; // was evicted: new connection
    assert_eq!(server.handshakes(), 4);
    assert_eq!(transport.pooled_identities(), 2);
}

#[tokio::test]
async fn a_retired_identity_loses_its_pool_at_once() {
    let s = setup(ClientAuth::Optional).await;
    let (old, new) = (s.ca.client_cert("old"), s.ca.client_cert("new"));
    send_n(&s.transport, Some(&old), 1).await;
    send_n(&s.transport, Some(&new), 1).await;
    assert_eq!(s.transport.pooled_identities(), 2);
    s.transport.retire_identity(&old);
    assert_eq!(
        s.transport.pooled_identities(),
        1,
        "the old pool is dropped"
    );
    s.transport.retire_identity(&old); // a second retirement is harmless
    send_n(&s.transport, Some(&new), 1).await;
    assert_eq!(s.server.handshakes(), 2, "the new identity keeps its pool");
    send_n(&s.transport, Some(&old), 1).await;
    assert_eq!(
        s.server.handshakes(),
        3,
        "a retired identity presented anyway starts a new connection"
    );
}

#[tokio::test]
async fn response_body_is_capped() {
    let (ca, server) = start_login(ClientAuth::Optional).await;
    let transport = builder_for(&ca, server.addr)
        .max_response_bytes(1024 * 1024)
        .build()
        .unwrap();
    let (limit, two_mib) = (1024 * 1024, 2 * 1024 * 1024);
    for (route, n, capped) in [
        ("big", two_mib, true),
        ("chunked", two_mib, true),
        ("big", limit, false),
        ("chunked", 700 * 1024, false),
        ("big", 0, false),
    ] {
        let case = format!("/{route}/{n}");
        let get = HttpRequest::get(url(&format!("https://{LOGIN_HOST}{case}")));
        match transport.send(get, None).await {
            Ok(resp) => {
                assert!(!capped, "{case}: not capped");
                assert_eq!(resp.body.len(), n, "{case}");
            }
            Err(err) => {
                assert!(capped, "{case}: {err:?}");
                assert!(
                    matches!(err, Error::ResponseTooLarge { limit: 1_048_576 }),
                    "{case}: {err:?}"
                );
                assert_eq!(err.code(), "response_too_large", "{case}");
                assert!(!err.is_retryable(), "{case}");
            }
        }
    }
}

#[tokio::test]
async fn stalled_server_hits_the_request_timeout() {
    let (ca, server) = start_login(ClientAuth::Optional).await;
    let transport = builder_for(&ca, server.addr)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let stall = HttpRequest::get(url("https://login.microsoftonline.com/stall"));
    let err = transport.send(stall, None).await.unwrap_err();
    assert_timeout(&err, TimeoutPhase::Request);
    assert_eq!(server.requests().len(), 1, "the request reached the server");
}

#[tokio::test]
async fn stalled_tls_handshake_hits_the_connect_timeout() {
    let (addr, _listener) = start_silent().await;
    let transport = any_roots()
        .resolve(LOGIN_HOST, addr)
        .connect_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = get_login(&transport, None).await.unwrap_err();
    assert_timeout(&err, TimeoutPhase::Connect);
}

#[tokio::test]
async fn closed_port_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let transport = any_roots()
        .resolve(LOGIN_HOST, SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap();
    for u in [
        format!("https://127.0.0.1:{port}/x"),
        "https://login.microsoftonline.com/x".to_owned(),
    ] {
        let err = transport
            .send(HttpRequest::get(url(&u)), None)
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{u}: {err:?}");
        assert!(!err.is_timeout());
        assert!(err.is_retryable());
        assert_eq!(err.code(), "connect_error");
        match &err {
            Error::Connect { source, .. } => {
                let io = source
                    .downcast_ref::<std::io::Error>()
                    .expect("io error source");
                assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
                // the original hyper-util error and its causes stay reachable
                let original = std::error::Error::source(io).expect("original error");
                assert!(
                    original.is::<hyper_util::client::legacy::Error>(),
                    "{original:?}"
                );
            }
            other => panic!("expected Error::Connect, got {other:?}"),
        }
    }
}

/// Sends a GET to a raw server that answers with `reply` and closes the connection.
async fn exchange_with_raw(reply: &'static [u8]) -> Error {
    let addr = start_raw(reply).await;
    any_roots()
        .build()
        .unwrap()
        .send(HttpRequest::get(url(&format!("http://{addr}/x"))), None)
        .await
        .unwrap_err()
}

/// Whether a `hyper::Error` is in `err`'s source chain.
fn has_hyper_cause(err: &Error) -> bool {
    std::iter::successors(std::error::Error::source(err), |e| e.source())
        .any(|e| e.is::<hyper::Error>())
}

#[tokio::test]
async fn a_broken_exchange_is_retryable_a_malformed_response_is_not() {
    for reply in [
        &b""[..],
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\ntoo short",
    ] {
        let err = exchange_with_raw(reply).await;
        assert!(matches!(err, Error::Http { .. }), "{err:?}");
        assert_eq!(err.code(), "http_error");
        assert!(err.is_retryable(), "closed mid-exchange: {err}");
        assert!(!err.is_connect());
        assert!(has_hyper_cause(&err), "{err:?}");
    }
    let err = exchange_with_raw(b"this is not HTTP\r\n\r\n").await;
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert!(!err.is_retryable(), "malformed: {err}");
    assert!(has_hyper_cause(&err), "{err:?}");
}

#[tokio::test]
async fn plain_http_only_without_identity() {
    let server = start_plain().await;
    let transport = any_roots().build().unwrap();
    let u = url(&format!(
        "http://127.0.0.1:{}/metadata/identity/oauth2/token?resource=x",
        server.addr.port()
    ));
    let req = HttpRequest::get(u.clone()).header(
        HeaderName::from_static("metadata"),
        HeaderValue::from_static("true"),
    );
    let resp = transport.send(req, None).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("metadata"), Some("true"));
    assert_eq!(
        reqs[0].header("host"),
        Some(format!("127.0.0.1:{}", server.addr.port()).as_str())
    );

    let ca = Ca::new("Test Root CA");
    let cert = ca.client_cert("app");
    let err = transport
        .send(HttpRequest::get(u), Some(&cert))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("https"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        server.requests().len(),
        1,
        "nothing sent for the rejected request"
    );
    assert_eq!(transport.pooled_identities(), 0);
}

#[tokio::test]
async fn works_as_a_trait_object() {
    let s = setup(ClientAuth::Optional).await;
    let shared: std::sync::Arc<dyn Transport> = std::sync::Arc::new(s.transport.clone());
    let cert = s.ca.client_cert("app");
    let login = HttpRequest::get(url("https://login.microsoftonline.com/t"));
    let resp = shared.send(login, Some(&cert)).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(s.transport.pooled_identities(), 1);
    let debug = format!("{shared:?}");
    assert!(debug.contains("HyperTransport"), "{debug}");
}

/// A key that is an operation (as a PKCS#11 token's is): it signs through a certificate this
/// test keeps to itself, and counts the signatures.
#[derive(Debug)]
struct ExternalKey {
    inner: oauth2_core::ClientCertificate,
    public_key: Vec<u8>,
    signatures: std::sync::atomic::AtomicUsize,
}

impl oauth2_core::KeySigner for ExternalKey {
    fn algorithm(&self) -> oauth2_core::KeyAlgorithm {
        self.inner.key_algorithm()
    }
    fn public_key(&self) -> &[u8] {
        &self.public_key
    }
    fn sign(
        &self,
        alg: oauth2_core::SigningAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, oauth2_core::Error> {
        self.signatures
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.sign(alg, message)
    }
}

#[tokio::test]
async fn an_external_key_signs_the_handshake_over_tls12_and_tls13() {
    use mtls_transport::TlsVersion;
    let (ca, server) = start_login(ClientAuth::Required).await;
    let inner = ca.client_cert("hardware-app");
    let key = std::sync::Arc::new(ExternalKey {
        public_key: inner.public_key().to_vec(),
        inner: inner.clone(),
        signatures: Default::default(),
    });
    let cert = oauth2_core::ClientCertificate::from_signer(inner.chain_der().to_vec(), key.clone())
        .unwrap();
    assert!(
        cert.private_key_der().is_err(),
        "no key bytes to hand rustls"
    );
    for (i, version) in [TlsVersion::Tls12, TlsVersion::Tls13]
        .into_iter()
        .enumerate()
    {
        let transport = builder_for(&ca, server.addr)
            .min_tls_version(version)
            .max_tls_version(version)
            .build()
            .unwrap();
        let resp = get_login(&transport, Some(&cert)).await.unwrap();
        assert_eq!(resp.status, StatusCode::OK, "{version:?}");
        assert_eq!(
            key.signatures.load(std::sync::atomic::Ordering::SeqCst),
            i + 1,
            "one signature per handshake ({version:?})"
        );
        let conns = server.conns();
        assert_eq!(
            conns.last().unwrap().client_cert.as_deref(),
            Some(cert.leaf_der()),
            "the server saw the certificate ({version:?})"
        );
    }
}
