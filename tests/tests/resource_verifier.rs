//! Acceptance 1 of issue 16: app → token from the emulator → an axum server with the
//! `msal-resource-verifier` layer. The same table of cases runs against the emulator's own
//! protected resource (an independent implementation of the same rules), and both must give the
//! same answers: 200 with the bound certificate; 401 with another certificate, no certificate,
//! the Bearer scheme, an expired token, a token signed by an unknown key and a wrong `aud`.
//! The last test streams 100 MiB through `msal::BoundTokenLayer` on a hyper-util client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use entra_emulator::Fault;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use msal::transport::{HttpRequest, HttpResponse, HyperTransport, Transport};
use msal::BoundTokenLayer;
use msal::{AuthenticationResult, ClientCertificate, ConfidentialClientApplication};
use msal_e2e_tests::*;
use resource_verifier::{
    client_certificate_verifier, AddPeerCertificate, HttpsJwks, PeerCertificate, VerifiedToken,
    Verifier, VerifierLayer,
};
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tower_layer::Layer as _;
use tower_service::Service as _;
use url::Url;

/// The host name of the axum resource (mapped to loopback by the test transport).
const API_HOST: &str = "api.contoso.example";
const EMULATED_GRAPH: &str = "https://mtlstb.graph.microsoft.com/v1.0/applications";
const GRAPH: &str = "https://graph.microsoft.com";

async fn handler(Extension(token): Extension<VerifiedToken>) -> String {
    format!(
        "caller_app={} bound={}",
        token.claim_str("appid").unwrap_or_default(),
        token.bound_thumbprint()
    )
}

/// An axum app behind rustls on loopback: asks for a client certificate, puts it on each
/// request, checks tokens with `verifier`. Returns its address and its certificate (PEM).
async fn serve(verifier: Verifier) -> (SocketAddr, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![API_HOST.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(client_certificate_verifier())
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let app = Router::new()
        .route("/v1.0/applications", get(handler))
        .route(
            "/stream",
            get(|| async { axum::body::Body::new(Zeros(STREAMED)) }),
        )
        .layer(VerifierLayer::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = PeerCertificate::from_tls_stream(&tls);
                let service = TowerToHyperService::new(AddPeerCertificate::new(app, peer));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, cert.pem())
}

/// The size of the streamed response.
const STREAMED: u64 = 100 * 1024 * 1024;

/// A response body of `n` zero bytes, produced 64 KiB at a time (never held whole).
struct Zeros(u64);

impl hyper::body::Body for Zeros {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        static CHUNK: [u8; 64 * 1024] = [0; 64 * 1024];
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.0.min(CHUNK.len() as u64);
        self.0 -= n;
        let chunk = bytes::Bytes::from_static(&CHUNK[..n as usize]);
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk))))
    }
}

fn verifier(env: &TestEnv, min_refresh: Duration) -> Verifier {
    let mut jwks = HttpsJwks::builder(format!(
        "https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"
    ))
    .webpki_roots(false)
    .resolve_overrides_only(true)
    .add_root_certificates_pem(env.emulator.ca_certificate_pem().as_bytes())
    .unwrap();
    for (host, addr) in env.emulator.resolver_entries() {
        jwks = jwks.resolve(&host, addr);
    }
    Verifier::builder()
        .issuer(env.emulator.issuer(TENANT))
        .audience(GRAPH)
        .jwks(jwks.build().unwrap())
        .min_refresh_interval(min_refresh)
        .build()
        .unwrap()
}

/// A transport reaching both the emulator and the axum server (and nothing else).
fn transport(env: &TestEnv, addr: SocketAddr, server_pem: &str) -> HyperTransport {
    transport_for(&env.emulator)
        .resolve(API_HOST, addr)
        .add_root_certificates_pem(server_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

/// `token` re-signed by a key the issuer never published (same claims, new `kid`).
fn signed_by_unknown_key(token: &str) -> String {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let header = B64.encode(br#"{"typ":"JWT","alg":"ES256","kid":"not-the-issuers-key"}"#);
    let payload = token.split('.').nth(1).unwrap();
    let input = format!("{header}.{payload}");
    let sig = key.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", B64.encode(sig.as_ref()))
}

/// One row of the table: the Authorization value and the certificate presented.
struct Case {
    name: &'static str,
    authorization: String,
    certificate: Option<ClientCertificate>,
    expected: StatusCode,
}

async fn pop_token(app: &ConfidentialClientApplication, scope: &str) -> AuthenticationResult {
    app.acquire_token_for_client([scope])
        .with_mtls_proof_of_possession()
        .force_refresh(true)
        .await
        .expect("mTLS PoP token")
}

/// The table: every case of acceptance 1.
async fn cases(env: &TestEnv, app: &ConfidentialClientApplication) -> Vec<Case> {
    let bound = pop_token(app, SCOPE).await;
    let token = bound.access_token().expose_secret().to_owned();
    let identity = bound
        .binding_certificate()
        .unwrap()
        .client_identity()
        .clone();
    env.emulator.inject_faults(Fault::ExpiredToken, 1);
    let expired = pop_token(app, SCOPE).await;
    let other_aud = pop_token(app, "api://other-resource/.default").await;
    let pop = |t: &str| format!("mtls_pop {t}");
    let case = |name, authorization, certificate, expected| Case {
        name,
        authorization,
        certificate,
        expected,
    };
    let with = Some(identity.clone());
    vec![
        case(
            "bound certificate",
            pop(&token),
            with.clone(),
            StatusCode::OK,
        ),
        case(
            "another certificate",
            pop(&token),
            Some(client_certificate(&env.thumbprint_cert)),
            StatusCode::UNAUTHORIZED,
        ),
        case(
            "no certificate",
            pop(&token),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        case(
            "Bearer scheme",
            format!("Bearer {token}"),
            with.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        case(
            "expired token",
            pop(expired.access_token().expose_secret()),
            with.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        case(
            "unknown signing key",
            pop(&signed_by_unknown_key(&token)),
            with.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        case(
            "wrong aud",
            pop(other_aud.access_token().expose_secret()),
            with,
            StatusCode::UNAUTHORIZED,
        ),
    ]
}

async fn send(transport: &HyperTransport, url: &str, case: &Case) -> HttpResponse {
    let request = HttpRequest::get(Url::parse(url).unwrap()).header(
        HeaderName::from_static("authorization"),
        HeaderValue::from_str(&case.authorization).unwrap(),
    );
    transport
        .send(request, case.certificate.as_ref())
        .await
        .unwrap()
}

fn keys_fetches(env: &TestEnv) -> usize {
    env.emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/discovery/v2.0/keys"))
        .count()
}

#[tokio::test]
async fn verifier_and_emulator_resource_answer_the_same_table() {
    let env = TestEnv::start().await;
    let app = env.sni_app().build().unwrap();
    let (addr, pem) = serve(verifier(&env, Duration::from_secs(300))).await;
    let transport = transport(&env, addr, &pem);
    let ours = format!("https://{API_HOST}/v1.0/applications");
    for case in cases(&env, &app).await {
        let verifier = send(&transport, &ours, &case).await;
        let emulator = send(&transport, EMULATED_GRAPH, &case).await;
        assert_eq!(verifier.status, case.expected, "verifier: {}", case.name);
        assert_eq!(emulator.status, case.expected, "emulator: {}", case.name);
        let challenge = verifier.headers.get("www-authenticate");
        if case.expected == StatusCode::OK {
            let body = String::from_utf8_lossy(&verifier.body);
            assert!(
                body.starts_with(&format!("caller_app={SNI_APP} bound=")),
                "{body}"
            );
            assert!(challenge.is_none());
        } else if case.name == "Bearer scheme" {
            // Not a scheme this resource takes: a bare challenge naming the one it does
            // (RFC 6750 §3.1: no error code when no usable credentials came).
            assert_eq!(challenge.unwrap(), "mtls_pop");
        } else {
            let challenge = challenge.unwrap().to_str().unwrap();
            assert!(
                challenge.starts_with("mtls_pop error=\"invalid_token\", error_description="),
                "{}: {challenge}",
                case.name
            );
            assert!(
                !challenge.contains(&case.authorization[9..]),
                "no token in errors"
            );
        }
    }
    // One fetch of the keys: the unknown kid came within the minimum refresh interval.
    assert_eq!(keys_fetches(&env), 1);
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_keys_and_a_missing_header_gets_a_bare_challenge() {
    let env = TestEnv::start().await;
    let app = env.sni_app().build().unwrap();
    let (addr, pem) = serve(verifier(&env, Duration::ZERO)).await;
    let transport = transport(&env, addr, &pem);
    let ours = format!("https://{API_HOST}/v1.0/applications");
    let table = cases(&env, &app).await;
    let unknown = table
        .iter()
        .find(|c| c.name == "unknown signing key")
        .unwrap();
    assert_eq!(send(&transport, &ours, unknown).await.status, 401);
    assert_eq!(send(&transport, &ours, unknown).await.status, 401);
    // First use, then one refresh per unknown kid (no minimum interval here).
    assert_eq!(keys_fetches(&env), 2);

    let request = HttpRequest::get(Url::parse(&ours).unwrap());
    let resp = transport.send(request, None).await.unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.headers.get("www-authenticate").unwrap(), "mtls_pop");
}

/// Resolves every name to one loopback address (the client below reaches nothing else).
#[derive(Clone)]
struct Loopback(SocketAddr);

impl tower_service::Service<Name> for Loopback {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Name) -> Self::Future {
        std::future::ready(Ok(vec![self.0].into_iter()))
    }
}

/// The process's peak resident set (VmHWM) in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Acceptance 3 (and the client half of 1): a hyper-util client whose TLS configuration comes
/// from `rustls_client_config` with the app's certificate, wrapped in `BoundTokenLayer`, streams
/// a 100 MiB response from the verifier-protected server; the process's peak RSS grows by far
/// less than the body (the figure is printed).
#[tokio::test]
async fn bound_token_layer_streams_100_mib_through_a_hyper_client() {
    let env = TestEnv::start().await;
    let app = env.sni_app().build().unwrap();
    let (addr, pem) = serve(verifier(&env, Duration::from_secs(300))).await;
    let tls = transport_for(&env.emulator)
        .add_root_certificates_pem(pem.as_bytes())
        .unwrap()
        .rustls_client_config(Some(&client_certificate(&env.sni_cert)))
        .unwrap();
    let mut http = HttpConnector::new_with_resolver(Loopback(addr));
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*tls).clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let client = Client::builder(TokioExecutor::new()).build::<_, Empty<bytes::Bytes>>(https);
    let mut service = BoundTokenLayer::new(app, [SCOPE])
        .mtls_proof_of_possession(true)
        .layer(client);

    // Plain HTTP is refused before any token is sent.
    let plain = http::Request::get(format!("http://{API_HOST}/stream"))
        .body(Empty::new())
        .unwrap();
    let err = service.call(plain).await.unwrap_err();
    let err = err.downcast::<msal::Error>().unwrap();
    assert_eq!(err.code(), "insecure_resource_url");

    let before = peak_rss_kib();
    let request = http::Request::get(format!("https://{API_HOST}/stream"))
        .body(Empty::new())
        .unwrap();
    let response = service.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut received = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            received += data.len() as u64;
        }
    }
    let growth_kib = peak_rss_kib().saturating_sub(before);
    eprintln!("streamed {received} bytes; peak RSS {before} KiB before, grew by {growth_kib} KiB");
    assert_eq!(received, STREAMED);
    if before > 0 {
        // Bounded: the growth is a small fraction of the body (a buffered body would be 100%).
        assert!(
            growth_kib * 1024 < STREAMED / 4,
            "peak RSS grew by {growth_kib} KiB"
        );
    }
}
