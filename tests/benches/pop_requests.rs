//! mTLS PoP request cost against the in-process emulator over real TLS (loopback, 2 cores):
//!
//! * `pop/first_token_new_connection`: a fresh transport each time, so a full TLS handshake
//!   with the client certificate plus the token request (what the first call of a process pays);
//! * `pop/pooled_second_request`: the same app again with `force_refresh`, over the pooled
//!   connection (what a refresh pays);
//! * `raw_hyper/pooled_post`: the same POST (the body and every header of the library's
//!   request) with a bare hyper-util pooled client and the same rustls client-auth config: the
//!   floor the library's own overhead is measured against;
//! * with `POP_PAIRED_ROUNDS=N` set, also the two interleaved (see `paired`): N rounds of a
//!   batch of each, and the median ratio, printed as a `FIGURE pooled_pop_over_raw` line. That
//!   is the figure `cargo xtask bench` reports: two criterion runs a few seconds apart drift by
//!   ±10 % on this machine, the halves of one round do not.
//!
//! `cargo bench -p msal-e2e-tests --bench pop_requests`
//! (`POP_PAIRED_ROUNDS=200 cargo bench -p msal-e2e-tests --bench pop_requests -- pooled`)
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
    let rt = msal_e2e_tests::bench_runtime();
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

    // The same request with a bare pooled hyper client: the body and every header of the
    // library's last request, so the emulator does the same work for both and the ratio is the
    // client's own overhead. It has no resolver override, so it connects to `localhost:<port>`
    // (covered by the emulator certificate) and names the mTLS host in the Host header, which
    // is what the emulator routes on.
    let sent = env
        .emulator
        .token_requests()
        .pop()
        .expect("the library's requests were logged");
    env.emulator.clear_requests();
    let headers: Vec<(String, String)> = sent
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "host" | "content-length"))
        .cloned()
        .collect();
    assert!(
        headers
            .iter()
            .any(|(name, _)| name == "x-client-current-telemetry"),
        "the library's headers: {headers:?}"
    );
    assert_eq!(sent.form_value("token_type"), Some("mtls_pop"));
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&sent.form)
        .finish();
    let client = raw_client(&env);
    let url = format!(
        "https://localhost:{}/{TENANT}/oauth2/v2.0/token",
        env.emulator.port()
    );
    let send = || {
        let mut request =
            http::Request::post(url.as_str()).header("host", "mtlsauth.microsoft.com");
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new(Bytes::from(body.clone()))).unwrap();
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

    if let Some(rounds) = std::env::var("POP_PAIRED_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        paired(
            &rt,
            rounds,
            || async {
                app.acquire_token_for_client([SCOPE])
                    .with_mtls_proof_of_possession()
                    .force_refresh(true)
                    .await
                    .unwrap();
            },
            || async {
                send().await;
            },
        );
    }
}

/// The pooled PoP request against the raw POST, interleaved: `rounds` rounds, each timing a
/// batch of library requests and a batch of raw ones (in alternating order), and the median
/// of the rounds' ratios. The machine's drift moves both halves of a round alike, so this
/// ratio holds still where two criterion runs a few seconds apart do not. Prints one line:
/// `FIGURE pooled_pop_over_raw rounds=R batch=B pop_us=P raw_us=Q ratio=X`.
fn paired<L, R, LF, RF>(rt: &tokio::runtime::Runtime, rounds: usize, library: L, raw: R)
where
    L: Fn() -> LF,
    R: Fn() -> RF,
    LF: std::future::Future<Output = ()>,
    RF: std::future::Future<Output = ()>,
{
    let (mut ratios, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds.max(1) {
        let (a, b) = if round % 2 == 0 {
            let a = time_batch(rt, &library);
            (a, time_batch(rt, &raw))
        } else {
            let b = time_batch(rt, &raw);
            (time_batch(rt, &library), b)
        };
        ratios.push(a.as_secs_f64() / b.as_secs_f64());
        ours.push(a.as_secs_f64() * 1e6);
        theirs.push(b.as_secs_f64() * 1e6);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "FIGURE pooled_pop_over_raw rounds={} batch={PAIRED_BATCH} pop_us={:.1} raw_us={:.1} ratio={:.3}",
        ratios.len(),
        median(&mut ours),
        median(&mut theirs),
        median(&mut ratios)
    );
}

criterion_group!(pop_requests, benches);
criterion_main!(pop_requests);

/// Requests per batch of [`paired`].
const PAIRED_BATCH: u32 = 20;

/// The mean time of one of [`PAIRED_BATCH`] calls of `one`, run one after the other.
fn time_batch<F, Fut>(rt: &tokio::runtime::Runtime, one: &F) -> std::time::Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = std::time::Instant::now();
    rt.block_on(async {
        for _ in 0..PAIRED_BATCH {
            one().await;
        }
    });
    started.elapsed() / PAIRED_BATCH
}
