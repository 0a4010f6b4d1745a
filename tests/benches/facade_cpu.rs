//! The facade's own CPU time on a network acquisition: everything `acquire_token_for_client`
//! does around the HTTP exchange (plan, route, form, headers and telemetry, the response's
//! JSON, the token's `cnf` check, the cache write, the result), without the exchange.
//!
//! The app's transport sends its first request to the emulator (real TLS, a real token bound
//! to the app's certificate), records that response, and answers every later request with it
//! at once; each iteration is a forced-refresh mTLS PoP acquisition. Next to
//! `pop_requests` (the same acquisition over a pooled TLS connection), it tells the client's
//! work from the exchange's.
//!
//! `cargo bench -p msal-e2e-tests --bench facade_cpu`
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::sync::{Arc, Mutex, PoisonError};

use criterion::{criterion_group, criterion_main, Criterion};
use msal::transport::{Error, HttpRequest, HttpResponse, HyperTransport, Transport};
use msal::{AzureRegion, ClientCertificate, ConfidentialClientApplication};
use msal_e2e_tests::{client_certificate, TestEnv, AUTHORITY, SCOPE, SNI_APP};

/// Sends the first token request for real, then answers with its response.
#[derive(Debug)]
struct Replay {
    real: Arc<HyperTransport>,
    recorded: Mutex<Option<HttpResponse>>,
}

impl Replay {
    fn recorded(&self) -> Option<HttpResponse> {
        let recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        recorded.as_ref().map(|r| HttpResponse {
            status: r.status,
            headers: r.headers.clone(),
            body: r.body.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Transport for Replay {
    async fn send(
        &self,
        request: HttpRequest,
        identity: Option<&ClientCertificate>,
    ) -> Result<HttpResponse, Error> {
        if let Some(response) = self.recorded() {
            return Ok(response);
        }
        let is_token_request = request.url.path().ends_with("/token");
        let response = self.real.send(request, identity).await?;
        if is_token_request && response.status.is_success() {
            *self.recorded.lock().unwrap_or_else(PoisonError::into_inner) = Some(HttpResponse {
                status: response.status,
                headers: response.headers.clone(),
                body: response.body.clone(),
            });
        }
        Ok(response)
    }
}

fn benches(c: &mut Criterion) {
    let rt = msal_e2e_tests::bench_runtime();
    let env = rt.block_on(TestEnv::start());
    let replay = Arc::new(Replay {
        real: env.transport.clone(),
        recorded: Mutex::new(None),
    });
    let app = ConfidentialClientApplication::builder(SNI_APP)
        .authority(AUTHORITY)
        .certificate(client_certificate(&env.sni_cert))
        .azure_region(AzureRegion::Disabled)
        .region_environment(Arc::new(|_| None))
        .transport(replay.clone())
        .build()
        .unwrap();
    let acquire = || async {
        app.acquire_token_for_client([SCOPE])
            .with_mtls_proof_of_possession()
            .force_refresh(true)
            .await
            .unwrap()
    };
    rt.block_on(acquire());
    assert!(
        replay.recorded().is_some(),
        "the emulator's answer was recorded"
    );
    let mut group = c.benchmark_group("facade_cpu");
    group.bench_function("pop_network_acquisition_without_the_exchange", |b| {
        b.to_async(&rt).iter(acquire);
    });
    group.finish();
    assert_eq!(
        env.emulator.token_requests().len(),
        1,
        "every benched acquisition was answered by the recording"
    );
}

criterion_group!(facade_cpu, benches);
criterion_main!(facade_cpu);
