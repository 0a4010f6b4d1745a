//! mTLS PoP request cost against the in-process emulator over real TLS (loopback, 2 cores):
//!
//! * `pop/first_token_new_connection`: a fresh transport each time, so a full TLS handshake
//!   with the client certificate plus the token request (what the first call of a process pays);
//! * `pop/pooled_second_request`: the same app again with `force_refresh`, over the pooled
//!   connection (what a refresh pays);
//! * `raw_hyper/pooled_post`: the same POST with a bare hyper-util pooled client and the same
//!   rustls client-auth config: the floor the library's own overhead is measured against.
//!
//! `cargo bench -p msal-e2e-tests --bench pop_requests`
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use msal::{AzureRegion, ConfidentialClientApplication};
use msal_e2e_tests::{
    client_certificate, transport_for, TestEnv, AUTHORITY, SCOPE, SNI_APP, TENANT,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

fn pop_app(env: &TestEnv, fresh_transport: bool) -> ConfidentialClientApplication {
    let transport = if fresh_transport {
        Arc::new(transport_for(&env.emulator).build().unwrap())
    } else {
        env.transport.clone()
    };
    ConfidentialClientApplication::builder(SNI_APP)
        .authority(AUTHORITY)
        .certificate(client_certificate(&env.sni_cert))
        .azure_region(AzureRegion::Disabled)
        .region_environment(Arc::new(|_| None))
        .transport(transport)
        .build()
        .unwrap()
}

fn raw_client(
    env: &TestEnv,
) -> Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(env.emulator.ca_certificate_der()))
        .unwrap();
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(env.sni_cert.chain_pem.as_bytes())
            .take(1)
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(env.sni_cert.key_pem.as_bytes()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .unwrap();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new()).build(https)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let env = rt.block_on(TestEnv::start());

    let mut group = c.benchmark_group("pop");
    group.sample_size(30);
    group.bench_function("first_token_new_connection", |b| {
        b.to_async(&rt).iter(|| async {
            let app = pop_app(&env, true);
            app.acquire_token_for_client([SCOPE])
                .with_mtls_proof_of_possession()
                .await
                .unwrap()
        });
    });
    let app = pop_app(&env, false);
    rt.block_on(async {
        app.acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .await
            .unwrap()
    });
    group.bench_function("pooled_second_request", |b| {
        b.to_async(&rt).iter(|| async {
            app.acquire_token_for_client([SCOPE])
                .with_mtls_proof_of_possession()
                .force_refresh(true)
                .await
                .unwrap()
        });
    });
    group.finish();

    // The same request with a bare pooled hyper client. It has no resolver override, so it
    // connects to `localhost:<port>` (covered by the emulator certificate) and names the mTLS
    // host in the Host header, which is what the emulator routes on.
    let client = raw_client(&env);
    let url = format!(
        "https://localhost:{}/{TENANT}/oauth2/v2.0/token",
        env.emulator.port()
    );
    let body = format!(
        "client_id={SNI_APP}&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1&token_type=mtls_pop"
    );
    let send = || {
        let request = http::Request::post(url.as_str())
            .header("host", "mtlsauth.microsoft.com")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body.clone())))
            .unwrap();
        let fut = client.request(request);
        async move {
            let response = fut.await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            response.into_body().collect().await.unwrap().to_bytes()
        }
    };
    rt.block_on(send());
    let mut raw = c.benchmark_group("raw_hyper");
    raw.sample_size(30);
    raw.bench_function("pooled_post", |b| b.to_async(&rt).iter(send));
    raw.finish();
}

criterion_group!(pop_requests, benches);
criterion_main!(pop_requests);
